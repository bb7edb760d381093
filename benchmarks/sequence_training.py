"""The long training results of issue 12 (seq12), with the time each took:

1. the adding problem (length 50): an LSTM and a tanh RNN, same size, data, optimiser and number
   of steps; the test MSE of each (predicting the mean gives ~0.167);
2. a tiny causal transformer (decoder-only LM: an encoder stack under a causal mask) on
   addition_strings of 2-digit sums: exact match of greedy decoding on held-out sums.

    PYTHONPATH=$PWD OPENBLAS_NUM_THREADS=1 python benchmarks/sequence_training.py [adding|addition]

The tests (tests/nn/test_sequence_training.py) run shorter versions of both.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import autograd_core as ag
from autograd_cli.cli_sequences import (SequenceData, addition_exact_match, build_sequence_model,
                                         load_sequence_data, train_sequence_model)
from nn.datasets import ADDITION_VOCABULARY


def adding(steps: int = 700, length: int = 50, hidden: int = 16, lr: float = 0.02) -> dict:
    data = load_sequence_data("adding", 5000, length, seed=0)
    results = {}
    for kind in ("lstm", "rnn"):
        model = build_sequence_model(kind, 2, 1, hidden=hidden, generator=0)
        start = time.perf_counter()
        history = train_sequence_model(model, data, steps, lr, batch_size=32, seed=0, eval_every=100)
        results[kind] = (history[-1]["val_metric"], time.perf_counter() - start)
        curve = ", ".join(f"{row['step']}: {row['val_metric']:.4f}" for row in history)
        print(f"adding L={length} {kind}: test MSE {results[kind][0]:.4f} after {steps} steps "
              f"({results[kind][1]:.1f} s)   [{curve}]", flush=True)
    return results


def addition(steps: int = 600, d_model: int = 64, lr: float = 0.003, batch: int = 128) -> dict:
    data = load_sequence_data("addition", 6480, 0, seed=0)
    held_out = data.val_strings
    model = build_sequence_model("transformer", len(ADDITION_VOCABULARY), len(ADDITION_VOCABULARY),
                                 hidden=d_model, num_layers=2, tokens=True, max_len=16, generator=0)
    start = time.perf_counter()
    train_only = SequenceData("addition", data.X_train, data.y_train, data.X_val[:1], data.y_val[:1],
                              held_out[:1])
    train_sequence_model(model, train_only, steps, lr, batch_size=batch, seed=0, eval_every=steps)
    seconds = time.perf_counter() - start
    accuracy = addition_exact_match(model, held_out)
    print(f"addition: exact match {accuracy:.3f} on {len(held_out)} held-out sums after {steps} steps "
          f"({seconds:.1f} s training, d_model {d_model}, 2 layers, batch {batch})", flush=True)
    return {"accuracy": accuracy, "seconds": seconds}


if __name__ == "__main__":
    ag.set_default_dtype(np.float32)
    which = sys.argv[1:] or ["adding", "addition"]
    if "adding" in which:
        adding()
    if "addition" in which:
        addition()
