"""Ops keep only the inputs their vjp reads: large intermediate inputs are dropped (held as
`Unsaved` stand-ins) and their memory freed before backward, with unchanged gradients."""

import gc
import weakref

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import graph

SIZE = (48, 64)  # 3072 elements: above graph.UNSAVED_MIN_SIZE

OPS = {
    "add": lambda h, c: h + c,
    "sub": lambda h, c: c - h,
    "neg": lambda h, c: -h,
    "exp": lambda h, c: (h * 0.1).exp(),
    "expm1": lambda h, c: (h * 0.1).expm1(),
    "sqrt": lambda h, c: (h * h + 1).sqrt(),
    "tan": lambda h, c: (h * 0.1).tan(),
    "tanh": lambda h, c: h.tanh(),
    "sigmoid": lambda h, c: h.sigmoid(),
    "relu": lambda h, c: h.relu(),
    "astype": lambda h, c: h.astype(np.float32).astype(np.float64),
    "sum": lambda h, c: h.sum(axis=1),
    "sum_to": lambda h, c: ag.sum_to(h, (1, SIZE[1])),
    "mean": lambda h, c: h.mean(axis=0, keepdims=True),
    "softmax": lambda h, c: ag.softmax(h, axis=1),
    "log_softmax": lambda h, c: ag.log_softmax(h, axis=1),
    "reshape": lambda h, c: h.reshape(-1),
    "transpose": lambda h, c: h.T,
    "swapaxes": lambda h, c: h.swapaxes(0, 1),
    "broadcast_to": lambda h, c: ag.broadcast_to(h[None], (2,) + SIZE),
    "concatenate": lambda h, c: ag.concatenate([h, h * 2], axis=1),
    "stack": lambda h, c: ag.stack([h, h], axis=0),
    "pad": lambda h, c: ag.pad(h, ((1, 0), (0, 2))),
    "getitem": lambda h, c: h[np.array([0, 0, 3])],
    "gather": lambda h, c: ag.gather(h, 1, np.zeros(SIZE, dtype=np.int64)),
    "index_add": lambda h, c: ag.index_add(h, 0, np.array([0, 0]), h[:2] * 3),
    "where": lambda h, c: ag.where(c > 0, h, h * 2),
    "linear": lambda h, c: ag.linear(h, ag.tensor(np.ones((5, SIZE[1])), requires_grad=True)),
    "matmul": lambda h, c: h @ h.T,
}


def gradients(op, x_data, c_data):
    """First and second order: d(sum(op(h)^2))/dx and the Hessian-vector product with a fixed v."""
    def f(x):
        h = x * 1.5 - 0.2
        return (op(h, ag.tensor(c_data)) ** 2).sum()

    first = ag.grad(f)(x_data).data
    _, second = ag.hvp(f, [x_data], [np.linspace(-1, 1, x_data.size).reshape(x_data.shape)])
    return first, second.data


@pytest.mark.parametrize("name", sorted(OPS))
def test_dropping_unread_inputs_changes_no_gradient(name, monkeypatch):
    rng = np.random.default_rng(0)
    x, c = rng.standard_normal(SIZE), rng.standard_normal(SIZE)
    dropped = gradients(OPS[name], x, c)
    monkeypatch.setattr(graph, "UNSAVED_MIN_SIZE", 10**12)
    kept = gradients(OPS[name], x, c)
    for a, b in zip(dropped, kept):
        np.testing.assert_array_equal(a, b)


def test_an_intermediate_only_tanh_reads_is_freed_before_backward():
    x = ag.tensor(np.ones(SIZE), requires_grad=True)
    h = x * 2
    probe = weakref.ref(h)
    y = h.tanh()
    del h
    gc.collect()
    assert probe() is None, "tanh's input should not be kept: its vjp reads only the output"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * (1 - np.tanh(2.0) ** 2))


def test_small_intermediates_stay_saved_for_diagrams():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    probe = weakref.ref(h)
    y = h.tanh()
    del h
    assert probe() is not None
    assert y.grad_fn.inputs[0] is probe()
