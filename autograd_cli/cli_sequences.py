"""Sequence models end to end: models, training loops, metrics and the `train --model ...` command.

Used by `autograd-core train --model rnn|lstm|gru|transformer --dataset adding|sine|addition`, by
benchmarks/sequence_training.py, by the tests and by notebooks/05_sequences.ipynb.

Tasks (all batch first):
- adding   X (n, L, 2) -> y (n, 1): regression from the last step's output (MSE).
- sine     X (n, L, 1) -> y (n, L, 1): next-value regression at every step (MSE).
- addition characters "37+85=122": a causal language model, trained on the answer characters only,
  scored by exact match of greedy decoding on held-out sums.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SEQUENCE_MODELS = ("rnn", "lstm", "gru", "transformer")
SEQUENCE_DATASETS = ("adding", "sine", "addition")
SEQUENCE_METRICS_COLUMNS = ("step", "loss", "val_loss", "val_metric", "lr", "seconds")
ADDITION_LENGTH = 10  # "99+99=198" plus eos


# ---- models -----------------------------------------------------------------------------------------

def build_sequence_model(kind: str, input_size: int, output_size: int, hidden: int = 32, num_layers: int = 1,
                                 tokens: bool = False, max_len: int = 64, nhead: int = 4,
                         forget_bias: float = 1.0,
                         generator: Any = 0) -> Any:
    """A recurrent or causal-transformer model mapping (N, L, input_size) floats — or (N, L) token
    ids when `tokens` (input_size is then the vocabulary size) — to per-step outputs
    (N, L, output_size). An LSTM's forget-gate input bias starts at `forget_bias` (1.0: the usual
    remedy, Jozefowicz et al. 2015, for the forget gate's 0.5^t decay at torch's default init)."""
    import nn

    class SequenceModel(nn.Module):
        """Embedding/projection, a recurrent layer or a causal TransformerEncoder, a linear head."""

        def __init__(self) -> None:
            super().__init__()
            rng = nn.init.resolve_generator(generator)
            self.kind, self.tokens = kind, tokens
            width = hidden
            if tokens:
                self.embedding = nn.Embedding(input_size, width, generator=rng)
                self.embedding.weight.data[...] *= 0.1
            elif kind == "transformer":
                self.embedding = nn.Linear(input_size, width, generator=rng)
            if kind == "transformer":
                self.position = nn.Embedding(max_len, width, generator=rng)
                self.position.weight.data[...] *= 0.1
                layer = nn.TransformerEncoderLayer(width, nhead, 2 * width, dropout=0.0, activation="gelu",
                                                   batch_first=True, norm_first=True, generator=rng)
                self.encoder = nn.TransformerEncoder(layer, num_layers)
                for index, module in enumerate(self.encoder.layers):
                    if index:
                        module.self_attn._reset_parameters(rng)
                        module.linear1.reset_parameters(rng)
                        module.linear2.reset_parameters(rng)
                self.norm = nn.LayerNorm(width)
            else:
                rnn_class = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
                self.rnn = rnn_class(width if tokens else input_size, width, num_layers, batch_first=True,
                                     generator=rng)
                if kind == "lstm":
                    for layer_index in range(num_layers):
                        getattr(self.rnn, f"bias_ih_l{layer_index}").data[width:2 * width] = forget_bias
            self.head = nn.Linear(width, output_size, generator=rng)
            self.inputs: Any = None

        def forward(self, x: Any, keep_inputs: bool = False) -> Any:
            import autograd_core as ag
            from nn.transformer import generate_square_subsequent_mask

            h = self.embedding(x) if hasattr(self, "embedding") else ag.tensor(x)
            if self.kind == "transformer":
                steps = h.shape[1]
                h = h + self.position(np.arange(steps)[None, :].repeat(h.shape[0], axis=0))
                if keep_inputs:  # the per-position inputs, to read dL/dx_t after backward
                    h.retain_grad()
                    self.inputs = h
                mask = generate_square_subsequent_mask(steps, h.dtype)
                h = self.norm(self.encoder(h, mask=mask, is_causal=True))
            else:
                self.rnn.retain_step_states = keep_inputs
                h, _ = self.rnn(h)
            return self.head(h)

    return SequenceModel()


# ---- data and losses --------------------------------------------------------------------------------

@dataclass
class SequenceData:
    """Train/validation arrays of one task (tokens: int64 ids; strings kept for exact match)."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    val_strings: list = field(default_factory=list)


def addition_batch(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (n, 9), targets (n, 9)) for next-character prediction; targets are -100 (ignored)
    except for the answer characters and the eos after them."""
    from nn.datasets import ADDITION_VOCABULARY as vocab

    ids = vocab.encode_batch(strings, ADDITION_LENGTH)
    inputs, targets = ids[:, :-1], ids[:, 1:].copy()
    equals = np.array([s.index("=") for s in strings])[:, None]
    positions = np.arange(targets.shape[1])[None, :]
    targets[(positions < equals) | (targets == vocab.pad_index)] = -100
    return inputs, targets


def load_sequence_data(name: str, samples: int, length: int, seed: int,
                       dtype: str = "float32") -> SequenceData:
    """The task's train and validation splits (validation: a fresh seed, or held-out sums)."""
    from nn import datasets

    if name == "adding":
        X, y = datasets.adding_problem(samples, length, seed=seed)
        Xv, yv = datasets.adding_problem(max(200, samples // 5), length, seed=seed + 10_000)
    elif name == "sine":
        X, y = datasets.sine_sequences(samples, length, seed=seed)
        Xv, yv = datasets.sine_sequences(max(100, samples // 5), length, seed=seed + 10_000)
    elif name == "addition":
        train = datasets.addition_strings(samples, 2, "train", seed=seed)
        val = datasets.addition_strings(min(500, max(100, samples // 5)), 2, "test", seed=seed)
        X, y = addition_batch(train)
        Xv, yv = addition_batch(val)
        return SequenceData(name, X, y, Xv, yv, val)
    else:
        raise ValueError(f"unknown sequence dataset {name!r}")
    return SequenceData(name, X.astype(dtype), y.astype(dtype), Xv.astype(dtype), yv.astype(dtype))


def sequence_loss(model: Any, task: str, X: np.ndarray, y: np.ndarray, keep_inputs: bool = False) -> Any:
    """MSE on the last step (adding), on every step (sine), or cross entropy on answers (addition)."""
    import autograd_core as ag
    import nn.functional as F

    out = model(X, keep_inputs=keep_inputs)
    if task == "adding":
        return F.mse_loss(out[:, -1], y)
    if task == "sine":
        return F.mse_loss(out, y)
    return F.cross_entropy(ag.reshape(out, (-1, out.shape[-1])), y.reshape(-1))


def addition_exact_match(model: Any, strings: list[str]) -> float:
    """Fraction of sums whose greedily decoded answer (after '=') is exactly right."""
    import autograd_core as ag
    from nn.datasets import ADDITION_VOCABULARY as vocab

    prompts = [s[: s.index("=") + 1] for s in strings]
    ids = np.stack([vocab.encode(p) for p in prompts])  # all "ab+cd=" prompts have the same length
    with ag.no_grad():
        for _ in range(4):  # up to 3 answer digits and the eos
            logits = model(ids).data[:, -1]
            ids = np.concatenate([ids, logits.argmax(-1)[:, None]], axis=1)
    answers = [p + vocab.decode(row[len(p):]) for p, row in zip(prompts, ids)]
    return float(np.mean([a == s for a, s in zip(answers, strings)]))


def validation_metric(model: Any, data: SequenceData) -> tuple[float, float]:
    """(validation loss, validation metric): MSE twice for regression; exact match for addition."""
    import autograd_core as ag

    with ag.no_grad():
        loss = float(sequence_loss(model, data.name, data.X_val, data.y_val).item())
    if data.name == "addition":
        return loss, addition_exact_match(model, data.val_strings)
    return loss, loss


def gradient_through_time(model: Any, task: str, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """||dL/dh_t|| for t = 0..L-1 (mean over the batch of the per-example norm): the gradient of
    the loss with respect to the last recurrent layer's hidden state h_t — for a transformer, its
    input at position t — through every path (the total derivative, not only dL/doutput_t)."""
    loss = sequence_loss(model, task, X, y, keep_inputs=True)
    model.zero_grad()
    loss.backward()
    if model.kind == "transformer":
        grads = model.inputs.grad.data                                   # (N, L, D)
        norms = np.sqrt((grads.astype(np.float64) ** 2).sum(-1)).mean(0)
        model.inputs = None
    else:
        states = model.rnn.step_states
        norms = np.array([0.0 if s.grad is None else float(np.sqrt((s.grad.data.astype(np.float64) ** 2)
                                                                   .sum(-1)).mean()) for s in states])
        model.rnn.retain_step_states = False
        model.rnn.step_states = []
    model.zero_grad()
    return norms


# ---- training ---------------------------------------------------------------------------------------

def train_sequence_model(model: Any, data: SequenceData, steps: int, lr: float, batch_size: int = 32,
                         clip: float | None = None, seed: int = 0, eval_every: int = 0,
                         progress: Any = None) -> list[dict]:
    """Adam for `steps` minibatch steps (optionally clipping the gradient norm); returns metric rows
    (one per eval_every steps, and the last step)."""
    import nn
    import optim

    optimizer = optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    history: list[dict] = []
    start = time.perf_counter()
    eval_every = eval_every or max(1, steps // 20)
    running = None
    for step in range(1, steps + 1):
        model.train()
        index = rng.integers(0, len(data.X_train), batch_size)
        loss = sequence_loss(model, data.name, data.X_train[index], data.y_train[index])
        optimizer.zero_grad()
        loss.backward()
        if clip:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        value = float(loss.item())
        if not math.isfinite(value):
            raise FloatingPointError(f"the loss became {value} at step {step}: lower the learning rate")
        running = value if running is None else 0.9 * running + 0.1 * value
        if step % eval_every == 0 or step == steps:
            model.eval()
            val_loss, metric = validation_metric(model, data)
            history.append({"step": step, "loss": running, "val_loss": val_loss, "val_metric": metric,
                            "lr": lr, "seconds": time.perf_counter() - start})
        if progress is not None:
            progress.update(1)
            progress.set_postfix(loss=f"{running:.4f}", refresh=False)
    return history


# ---- the CLI command -------------------------------------------------------------------------------

MLP_DEFAULT_SAMPLES, MLP_DEFAULT_HIDDEN = 600, (64, 64)  # cli.py's defaults: "not given" for sequences
DEFAULTS = {  # dataset -> (samples, length, steps, lr, hidden)
    "adding": (5000, 50, 800, 0.02, 16),
    "sine": (1000, 40, 300, 0.01, 32),
    "addition": (6480, ADDITION_LENGTH, 500, 0.003, 64),
}


def run_train_sequence(args: argparse.Namespace) -> None:
    """`train --model rnn|lstm|gru|transformer`: trains on a sequence dataset and writes
    metrics.csv, model.npz, loss.png and gradient_through_time.png into the output directory."""
    import autograd_core as ag
    import nn
    from autograd_cli.cli import CommandError, UsageError, _output_directory

    if args.dataset not in SEQUENCE_DATASETS:
        raise UsageError(f"--model {args.model} needs a sequence dataset ({', '.join(SEQUENCE_DATASETS)}), "
                         f"got --dataset {args.dataset}")
    samples, length, steps, lr, hidden = DEFAULTS[args.dataset]
    samples = args.samples if args.samples != MLP_DEFAULT_SAMPLES else samples
    length = args.seq_len or length
    steps = args.steps or steps
    lr = args.lr if args.lr is not None else lr
    hidden = args.hidden[0] if args.hidden and tuple(args.hidden) != MLP_DEFAULT_HIDDEN else hidden
    previous = ag.get_default_dtype()
    ag.set_default_dtype(args.dtype)
    try:
        nn.init.manual_seed(args.seed)
        data = load_sequence_data(args.dataset, samples, length if args.dataset != "addition" else 0,
                                  args.seed, args.dtype)
        tokens = args.dataset == "addition"
        from nn.datasets import ADDITION_VOCABULARY

        size = len(ADDITION_VOCABULARY) if tokens else data.X_train.shape[-1]
        out_size = len(ADDITION_VOCABULARY) if tokens else 1
        model = build_sequence_model(args.model, size, out_size, hidden=hidden, num_layers=args.layers,
                                     tokens=tokens, max_len=max(64, length + 1), generator=args.seed)
        directory = _output_directory(args.out)
        probe = slice(0, min(64, len(data.X_val)))
        before = gradient_through_time(model, args.dataset, data.X_val[probe], data.y_val[probe])
        from tqdm import tqdm

        bar = tqdm(total=steps, desc=f"train {args.model} on {args.dataset}", unit="step", file=sys.stderr,
                   dynamic_ncols=True, mininterval=0.1 if sys.stderr.isatty() else 2.0)
        try:
            history = train_sequence_model(model, data, steps, lr, args.batch_size, args.clip, args.seed,
                                           progress=bar)
        except FloatingPointError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        after = gradient_through_time(model, args.dataset, data.X_val[probe], data.y_val[probe])
        nn.save(model, directory / "model.npz")
        write_sequence_metrics(directory / "metrics.csv", history)
        written = ["model.npz", "metrics.csv"] + plot_sequence_run(directory, history, before, after, args)
    finally:
        ag.set_default_dtype(previous)
    last = history[-1]
    metric_name = "exact match" if args.dataset == "addition" else "MSE"
    print(f"model      {args.model} ({model.num_parameters()} parameters), {args.layers} layer(s), "
          f"hidden {hidden}")
    print(f"dataset    {args.dataset}: {len(data.X_train)} train / {len(data.X_val)} validation sequences")
    print(f"training   {steps} steps of Adam (lr {lr:g}, batch {args.batch_size}"
          f"{f', clip {args.clip:g}' if args.clip else ''}) in {last['seconds']:.1f} s")
    print(f"result     train loss {last['loss']:.4f}, validation {metric_name} {last['val_metric']:.4f}")
    print(f"gradients  ||dL/dh_0|| / ||dL/dh_L-1|| = {_ratio(before):.2e} at init, {_ratio(after):.2e} after")
    print(f"wrote      {directory}/: {', '.join(written)}")


def _ratio(norms: np.ndarray) -> float:
    return float(norms[0] / norms[-1]) if norms[-1] > 0 else float("nan")


def write_sequence_metrics(path: Path, history: list[dict]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(SEQUENCE_METRICS_COLUMNS)
        for row in history:
            writer.writerow([row["step"], f"{row['loss']:.6f}", f"{row['val_loss']:.6f}",
                             f"{row['val_metric']:.6f}", f"{row['lr']:g}", f"{row['seconds']:.3f}"])


def plot_sequence_run(directory: Path, history: list[dict], before: np.ndarray, after: np.ndarray,
                      args: argparse.Namespace) -> list[str]:
    """loss.png and gradient_through_time.png (when matplotlib is installed)."""
    try:
        import matplotlib
    except ImportError:
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    steps = [row["step"] for row in history]
    axes[0].plot(steps, [row["loss"] for row in history], label="train (smoothed)")
    axes[0].plot(steps, [row["val_loss"] for row in history], label="validation")
    axes[0].set(xlabel="step", ylabel="loss", yscale="log", title="loss")
    axes[0].legend()
    axes[1].plot(steps, [row["val_metric"] for row in history])
    axes[1].set(xlabel="step", title="validation " + ("exact match" if args.dataset == "addition" else "MSE"))
    figure.tight_layout()
    figure.savefig(directory / "loss.png", dpi=100)
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(7, 4))
    t = np.arange(len(before))
    axes.plot(t, np.maximum(before, 1e-30), label="at initialisation")
    axes.plot(t, np.maximum(after, 1e-30), label="after training")
    if args.clip:
        total = float(np.sqrt((after ** 2).sum()))
        scale = min(1.0, args.clip / (total + 1e-6))
        axes.plot(t, np.maximum(after * scale, 1e-30), "--", label=f"after, clipped to norm {args.clip:g}")
    what = "input x_t" if args.model == "transformer" else "hidden state h_t"
    axes.set(xlabel="time step t", ylabel=f"||dL/d {what}||", yscale="log",
             title=f"gradient through time: {args.model} on {args.dataset}")
    axes.legend()
    figure.tight_layout()
    figure.savefig(directory / "gradient_through_time.png", dpi=100)
    plt.close(figure)
    return ["loss.png", "gradient_through_time.png"]
