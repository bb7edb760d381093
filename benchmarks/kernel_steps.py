"""N steps of two eager workloads, for instruction counts under callgrind (wall clock is too noisy
on a shared machine): (a) a 100-op chain of tanh/mul/add on small arrays plus backward, (b) one
step of a 64-128-128-10 MLP on a batch of 32 written with raw ops plus backward.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python benchmarks/kernel_steps.py 3
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python benchmarks/kernel_steps.py 13

(count(13) - count(3)) / 10 is the cost of one step of each workload, imports excluded. The
cyclic garbage collector is off (the engine's graphs are freed by reference counting alone):
whether a full collection happens to fall inside a run would otherwise swamp the difference.
"""

from __future__ import annotations

import gc
import sys

import numpy as np

import autograd_core as ag


def chain_step(x: ag.Tensor, w: ag.Tensor) -> None:
    h = x
    for i in range(34):
        h = ag.tanh(h)
        h = h * w
        h = h + x
    h.sum().backward()


def mlp_step(params: list, xb: ag.Tensor, yb: np.ndarray) -> None:
    w1, b1, w2, b2, w3, b3 = params
    h = ag.tanh(xb @ w1 + b1)
    h = ag.tanh(h @ w2 + b2)
    logits = h @ w3 + b3
    loss = ((logits - yb) * (logits - yb)).mean()
    loss.backward()
    for p in params:
        p.grad = None


def nn_runner(widths: list, activation: str, batch: int, rng: np.random.Generator):
    """One user-style training step: nn.Sequential, a loss from nn.functional, optim.SGD."""
    import nn
    import optim
    from nn import functional as F

    layers: list = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU() if activation == "relu" else nn.Tanh()]
    model = nn.Sequential(*layers[:-1])
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    x = ag.Tensor(rng.standard_normal((batch, widths[0])).astype(np.float32))
    if activation == "relu":
        target = ag.Tensor(rng.integers(0, widths[-1], batch))
        loss_fn = F.cross_entropy
    else:
        target = ag.Tensor(rng.standard_normal((batch, widths[-1])).astype(np.float32))
        loss_fn = F.mse_loss

    def step() -> None:
        optimizer.zero_grad()
        loss_fn(model(x), target).backward()
        optimizer.step()

    return step


def main(steps: int, workload: str = "both") -> None:
    gc.disable()
    if workload in ("nn", "deep"):
        ag.manual_seed(0)
        rng = np.random.default_rng(0)
        step = (nn_runner([64, 128, 128, 10], "relu", 32, rng) if workload == "nn"
                else nn_runner([32] * 51, "tanh", 16, rng))
        for _ in range(steps):
            step()
        return
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.standard_normal((8, 8)).astype(np.float32), requires_grad=True)
    w = ag.Tensor(rng.standard_normal((8, 8)).astype(np.float32), requires_grad=True)
    sizes = [64, 128, 128, 10]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params.append(ag.Tensor((rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32),
                                requires_grad=True))
        params.append(ag.Tensor(np.zeros(b, np.float32), requires_grad=True))
    xb = ag.Tensor(rng.standard_normal((32, 64)).astype(np.float32))
    yb = rng.standard_normal((32, 10)).astype(np.float32)
    for _ in range(steps):
        if workload != "mlp":
            chain_step(x, w)
        if workload != "chain":
            mlp_step(params, xb, yb)


if __name__ == "__main__":
    main(int(sys.argv[1]), *sys.argv[2:3])
