"""Training does not leak: 2,000 SGD steps of a small MLP leave traced memory and RSS flat."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np

import autograd_core as ag
import nn
import nn.functional as F


def resident_bytes() -> int:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * 4096
    except OSError:
        return 0


def test_two_thousand_training_steps_keep_memory_flat():
    rng = np.random.default_rng(0)
    model = nn.MLP([4, 32, 32, 3], generator=0)
    x = ag.tensor(rng.standard_normal((64, 4)).astype(np.float32))
    targets = (x.data[:, 0] > 0).astype(np.int64) + (x.data[:, 1] > 0)

    def step() -> float:
        model.zero_grad()
        loss = F.cross_entropy(model(x), targets)
        loss.backward()
        with ag.no_grad():
            for p in model.parameters():
                p.data -= 0.1 * p.grad.data
        return loss.item()

    first_loss = step()
    for _ in range(100):
        step()
    gc.collect()
    rss_before = resident_bytes()
    tracemalloc.start()
    try:
        traced_before = tracemalloc.get_traced_memory()[0]
        for _ in range(2000):
            last_loss = step()
        gc.collect()
        traced_growth = tracemalloc.get_traced_memory()[0] - traced_before
    finally:
        tracemalloc.stop()
    rss_growth = resident_bytes() - rss_before
    assert traced_growth < 1 << 20, f"traced memory grew by {traced_growth / 2**20:.2f} MiB"
    assert rss_growth < 8 << 20, f"RSS grew by {rss_growth / 2**20:.2f} MiB"
    assert last_loss < first_loss
