"""checkpoint: same gradients as the plain run, a fraction of the peak memory."""

import tracemalloc

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import UnsupportedError

LAYERS, WIDTH, BATCH, SEGMENT = 64, 64, 512, 8


def deep_mlp(rng):
    return [ag.tensor(rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH), requires_grad=True)
            for _ in range(LAYERS)]


def block(h, weights):
    for w in weights:
        h = ag.linear(h, w).tanh()
    return h


def train_step(weights, x, use_checkpoint):
    """One forward/backward of the 64-layer MLP; returns the peak traced memory in bytes."""
    for w in weights:
        w.grad = None
    tracemalloc.start()
    tracemalloc.reset_peak()
    h = ag.tensor(x)
    for start in range(0, LAYERS, SEGMENT):
        segment = weights[start:start + SEGMENT]
        if use_checkpoint:
            h = ag.checkpoint(lambda t, segment=segment: block(t, segment), h)
        else:
            h = block(h, segment)
    (h * h).mean().backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_checkpointed_mlp_uses_under_half_the_peak_memory_with_the_same_gradients():
    rng = np.random.default_rng(0)
    weights = deep_mlp(rng)
    x = rng.standard_normal((BATCH, WIDTH))
    plain_peak = train_step(weights, x, use_checkpoint=False)
    plain_grads = [w.grad.data.copy() for w in weights]
    checkpoint_peak = train_step(weights, x, use_checkpoint=True)
    for w, expected in zip(weights, plain_grads):
        np.testing.assert_allclose(w.grad.data, expected, rtol=0, atol=1e-12)
    assert checkpoint_peak < plain_peak / 2, (checkpoint_peak, plain_peak)


def test_checkpoint_trains_with_an_optimizer():
    import optim

    rng = np.random.default_rng(1)
    weights = [ag.tensor(rng.standard_normal((8, 8)) * 0.3, requires_grad=True) for _ in range(4)]
    opt = optim.SGD(weights, lr=0.1)
    x, target = rng.standard_normal((16, 8)), rng.standard_normal((16, 8))
    losses = []
    for _ in range(30):
        opt.zero_grad()
        out = ag.checkpoint(lambda t: block(t, weights[:2]), ag.tensor(x))
        out = ag.checkpoint(lambda t: block(t, weights[2:]), out)
        loss = ((out - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_checkpoint_gradient_with_respect_to_its_input():
    rng = np.random.default_rng(2)
    w = ag.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    x = ag.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    ag.checkpoint(lambda t: block(t, [w]), x).sum().backward()
    expected_x, expected_w = x.grad.data.copy(), w.grad.data.copy()
    x.grad = w.grad = None
    block(x, [w]).sum().backward()
    np.testing.assert_allclose(x.grad.data, expected_x, atol=1e-15)
    np.testing.assert_allclose(w.grad.data, expected_w, atol=1e-15)


def test_checkpoint_under_create_graph_is_refused():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.checkpoint(lambda t: (t * t).sum(), x)
    with pytest.raises(UnsupportedError, match="create_graph"):
        ag.grad(lambda t: ag.checkpoint(lambda u: (u ** 3).sum(), t), create_graph=True)(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
