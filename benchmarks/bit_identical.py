"""Prints the sha256 of the raw bytes (and dtype, shape) of the gradients a set of graphs
produce: eager backward on arrays and with create_graph, backward(inputs=), hooks, retain_grad,
views and in-place updates, Tape.gradient, and trace replays of an MLP training step with nn
layers. Run it on two checkouts and compare the output, e.g.

    PYTHONPATH=/path/to/a python benchmarks/bit_identical.py > a.txt
    PYTHONPATH=/path/to/b python benchmarks/bit_identical.py > b.txt && diff a.txt b.txt

Used to check that a refactoring of the backward kernel changes no result bit.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable

import numpy as np

import autograd_core as ag
import nn
import optim

RESULTS: list[str] = []


def record(label: str, value: Any) -> None:
    if value is None:
        RESULTS.append(f"{label}: None")
        return
    array = np.ascontiguousarray(value.data if isinstance(value, ag.Tensor) else value)
    digest = hashlib.sha256(array.tobytes()).hexdigest()[:20]
    RESULTS.append(f"{label}: {array.dtype} {array.shape} {digest}")


def case(fn: Callable) -> Callable:
    rng = np.random.default_rng(len(RESULTS) + 7)
    try:
        fn(rng)
    except Exception as exc:  # noqa: BLE001  (a case that raises is part of the record)
        RESULTS.append(f"{fn.__name__}: raised {type(exc).__name__}: {exc}")
    return fn


def t(rng: np.random.Generator, *shape: int, dtype: Any = np.float32, grad: bool = True) -> ag.Tensor:
    return ag.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=grad)


@case
def broadcasting(rng):
    a, b, c = t(rng, 4, 1, 3), t(rng, 5, 3), t(rng, 3)
    ((a * b + c).tanh() * (a - c)).sum().backward()
    for name, x in zip("abc", (a, b, c)):
        record(f"broadcasting.{name}", x.grad)


@case
def mixed_dtypes(rng):
    a, b = t(rng, 3, 4, dtype=np.float32), t(rng, 4, dtype=np.float64)
    (a * b).exp().mean().backward()
    record("mixed.a", a.grad)
    record("mixed.b", b.grad)


@case
def views(rng):
    a = t(rng, 6, 4)
    v = a[1:5].transpose(1, 0).reshape(2, 8)
    w = a[::2].sum(axis=0)
    ((v * 2).sum() + (w * w).sum()).backward()
    record("views.a", a.grad)


@case
def inplace(rng):
    a, b = t(rng, 5, 3), t(rng, 5, 3)
    h = a * 2
    h += b
    h *= a
    h[1] = b[0] * 3
    h.sum().backward()
    record("inplace.a", a.grad)
    record("inplace.b", b.grad)


@case
def second_order(rng):
    x, w = t(rng, 4, 3, dtype=np.float64), t(rng, 3, dtype=np.float64)
    y = ((x * w).tanh() ** 3).sum()
    gx, gw = ag.autograd.grad(y, [x, w], create_graph=True)
    record("second.gx", gx)
    record("second.gw", gw)
    ((gx * gx).sum() + gw.sum()).backward()
    record("second.x", x.grad)
    record("second.w", w.grad)


@case
def create_graph_backward(rng):
    x = t(rng, 3, 5)
    b = t(rng, 5)
    y = (x * x * b + b).sigmoid().sum()
    y.backward(create_graph=True)
    record("cg.x1", x.grad)
    g = x.grad
    x.grad = None
    b.grad = None
    (g * g).sum().backward()
    record("cg.x2", x.grad)
    record("cg.b2", b.grad)


@case
def backward_inputs(rng):
    a, b, c = t(rng, 4, 4), t(rng, 4), t(rng, 4, 4)
    h = (a @ c + b).relu()
    k = h * 3
    (k.sum() + (a * b).sum()).backward(inputs=[b, h])
    record("inputs.b", b.grad)
    record("inputs.h", h.grad)
    record("inputs.a", a.grad)


@case
def hooks_and_retain(rng):
    a, b = t(rng, 3, 4), t(rng, 4)
    h = a * b
    h.retain_grad()
    h.register_hook(lambda g: g * 2)
    k = (h + 1).tanh()
    k.register_hook(lambda g: g + 0.5)
    a.register_hook(lambda g: g * 3)
    k.sum().backward()
    record("hooks.h", h.grad)
    record("hooks.a", a.grad)
    record("hooks.b", b.grad)


@case
def accumulate_twice(rng):
    a = t(rng, 3, 3)
    y = (a @ a).sum()
    y.backward(retain_graph=True)
    y.backward()
    record("twice.a", a.grad)


@case
def tape_gradient(rng):
    x, w = t(rng, 4, 3), t(rng, 3, 2)
    s = ag.Tensor(rng.standard_normal((2,)).astype(np.float32))  # a source without grad
    with ag.Tape(persistent=True) as tape:
        y = ((x @ w).tanh() * s + s).sum()
    gx, gw, gs = tape.gradient(y, [x, w, s])
    record("tape.x", gx)
    record("tape.w", gw)
    record("tape.s", gs)


@case
def nn_step_eager(rng):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.LayerNorm(32), nn.Linear(32, 4))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    xb = ag.Tensor(rng.standard_normal((8, 16)).astype(np.float32))
    yb = ag.Tensor(rng.integers(0, 4, 8))
    for _ in range(3):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    for name, p in model.named_parameters():
        record(f"nn_eager.{name}", p.grad)
        record(f"nn_eager.{name}.value", p)


@case
def traced_mlp_step(rng):
    ag.manual_seed(1)
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 32), nn.GELU(),
                          nn.Linear(32, 4))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(xb, yb):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    xs = [rng.standard_normal((8, 16)).astype(np.float32) for _ in range(3)]
    ys = [rng.standard_normal((8, 4)).astype(np.float32) for _ in range(3)]
    traced = ag.trace(step, xs[0], ys[0])
    for i in range(1, 3):
        loss, grads = traced(xs[i], ys[i])
        record(f"trace.loss{i}", loss)
        for j, g in enumerate(grads):
            record(f"trace.grad{i}.{j}", g)
    for name, p in model.named_parameters():
        record(f"trace.{name}.value", p)


@case
def traced_implicit_gradient(rng):
    w, b = t(rng, 5, 3), t(rng, 3)

    def f(x):
        return ((x @ w + b).tanh() ** 2).mean()

    xs = [rng.standard_normal((4, 5)).astype(np.float32) for _ in range(2)]
    traced = ag.trace(f, xs[0])
    for i, x in enumerate(xs):
        value, grads = traced(x)
        record(f"trace_implicit.value{i}", value)
        for j, g in enumerate(grads):
            record(f"trace_implicit.grad{i}.{j}", g)


@case
def checkpointed(rng):
    lin = nn.Linear(6, 6)
    x = t(rng, 3, 6)
    y = ag.checkpoint(lambda h: lin(h).tanh() * 2, x)
    y.sum().backward()
    record("checkpoint.x", x.grad)
    record("checkpoint.w", lin.weight.grad)


@case
def functional_transforms(rng):
    x = t(rng, 4, dtype=np.float64)
    record("hessian", ag.hessian(lambda v: (v.tanh() ** 3).sum())(x))
    record("jacobian", ag.jacobian(lambda v: v.sin() * v)(x))
    value, g = ag.value_and_grad(lambda v, u: (v * u).exp().sum(), argnums=(0, 1))(x, x * 2)
    record("value_and_grad", value)
    for i, gi in enumerate(g):
        record(f"value_and_grad.{i}", gi)


if __name__ == "__main__":
    print("\n".join(RESULTS))
