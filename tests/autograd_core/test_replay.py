"""trace: a replayed training step is bit-identical to the eager one; guards and warnings."""

import numpy as np
import pytest

import autograd_core as ag
import optim
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError


def make_mlp(rng: np.random.Generator, sizes=(4, 16, 16, 3)) -> list:
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(ag.tensor(rng.uniform(-bound, bound, (fan_out, fan_in)), requires_grad=True))
        params.append(ag.tensor(rng.uniform(-bound, bound, fan_out), requires_grad=True))
    return params


def forward(params: list, x, y) -> ag.Tensor:
    h = x
    for i in range(0, len(params) - 2, 2):
        h = ag.linear(h, params[i], params[i + 1]).relu()
    logits = h @ params[-2].T + params[-1]
    logp = ag.log_softmax(logits, axis=1)
    return -logp[np.arange(len(y)), y].mean()


def batches(rng: np.random.Generator, steps: int, n: int = 8) -> list:
    return [(rng.standard_normal((n, 4)), rng.integers(0, 3, n)) for _ in range(steps)]


@pytest.mark.parametrize("make_optimizer", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: optim.Adam(p, lr=0.01),
], ids=["sgd-momentum", "adam"])
def test_traced_training_step_is_bit_identical_to_eager_over_100_steps(make_optimizer):
    data = batches(np.random.default_rng(1), 100)
    eager_params = make_mlp(np.random.default_rng(0))
    traced_params = make_mlp(np.random.default_rng(0))
    eager_opt, traced_opt = make_optimizer(eager_params), make_optimizer(traced_params)

    def eager_step(x, y):
        eager_opt.zero_grad()
        loss = forward(eager_params, x, y)
        loss.backward()
        eager_opt.step()
        return loss

    def train_step(x, y):
        traced_opt.zero_grad()
        loss = forward(traced_params, x, y)
        loss.backward()
        traced_opt.step()
        return loss

    x0, y0 = data[0]
    step = ag.trace(train_step, x0, y0)
    eager_losses = [eager_step(x, y).item() for x, y in data]
    traced_losses = [step.first_result.item()]
    for x, y in data[1:]:
        loss, grads = step(x, y)
        traced_losses.append(loss.item())
    assert eager_losses == traced_losses
    for a, b in zip(eager_params, traced_params):
        assert np.array_equal(a.data, b.data)
        assert np.array_equal(a.grad.data, b.grad.data)
    assert all(g is p.grad for g, p in zip(grads, traced_params))


def test_trace_without_backward_returns_gradients_without_touching_grad():
    params = make_mlp(np.random.default_rng(0))
    (x, y), = batches(np.random.default_rng(2), 1)
    step = ag.trace(lambda x, y: forward(params, x, y), x, y, params=params)
    loss, grads = step(x, y)
    assert all(p.grad is None for p in params)
    expected = ag.grad(lambda *ps: forward(list(ps), x, y), argnums=tuple(range(len(params))))(
        *params)
    for g, e in zip(grads, expected):
        np.testing.assert_array_equal(g.data, e.data)
    assert loss.item() == forward(params, x, y).item()


def test_replay_reads_new_inputs():
    def f(x):
        return (x * x).sum()

    x = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    step = ag.trace(f, x, params=[x])
    value, (grad,) = step(np.array([3.0, 4.0]))
    assert value.item() == 25.0
    np.testing.assert_array_equal(grad.data, [6.0, 8.0])


def test_shape_mismatch_names_the_input_and_both_shapes():
    step = ag.trace(lambda x: (x * 2).sum(), np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"input 0 has shape \(4, 3\).*shape \(2, 3\)"):
        step(np.ones((4, 3)))
    with pytest.raises(DTypeError, match="input 0 has dtype float32"):
        step(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(InvalidArgumentError, match="expected 1 inputs, got 2"):
        step(np.ones((2, 3)), np.ones(2))


def test_retrace_traces_again_for_new_shapes():
    step = ag.trace(lambda x: (x * 2).sum(), np.ones((2, 3)), retrace=True)
    value, _ = step(np.ones((4, 3)))
    assert value.item() == 24.0
    value, _ = step(np.ones((2, 3)))
    assert value.item() == 12.0


def test_reading_a_traced_value_in_python_warns():
    def f(x):
        y = (x * 2).sum()
        if y.item() > 0:
            return y
        return -y

    with pytest.warns(ag.TracerWarning, match="frozen into the trace"):
        ag.trace(f, np.ones(3))


def test_data_dependent_branch_is_frozen_as_traced():
    def f(x):
        y = x.sum()
        return y * 2 if bool(y > 0) else y * 3

    with pytest.warns(ag.TracerWarning):
        step = ag.trace(f, np.ones(3))
    value, _ = step(-np.ones(3))
    assert value.item() == -6.0  # the branch taken while tracing (x > 0) is replayed


def test_comparisons_and_where_are_recomputed_from_new_inputs():
    step = ag.trace(lambda x: ag.where(x > 0, x, x * 0.1).sum(), np.array([1.0, -1.0]))
    value, _ = step(np.array([-1.0, 1.0]))
    assert value.item() == pytest.approx(0.9)


def test_in_place_updates_are_replayed():
    w = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)

    def sgd_by_hand(x):
        nonlocal w
        loss = (w * x).sum()
        w.grad = None
        loss.backward()
        with ag.no_grad():
            w -= 0.5 * w.grad
        return loss

    step = ag.trace(sgd_by_hand, np.array([1.0, 1.0]))
    np.testing.assert_array_equal(w.data, [0.5, 1.5])
    step(np.array([1.0, 1.0]))
    np.testing.assert_array_equal(w.data, [0.0, 1.0])


def test_generated_source_is_readable():
    step = ag.trace(lambda x: ag.tanh(x).sum(), np.ones(3), params=[])
    assert "tanh_" in step.source and "def program" in step.source


def test_traced_cross_entropy_reads_new_targets_each_call():
    import nn.functional as F

    logits = ag.tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    step = ag.trace(lambda y: F.cross_entropy(logits, y), np.array([0, 1, 2, 0]), params=[logits])
    for targets in (np.array([2, 2, 1, 0]), np.array([1, 0, 0, 2])):
        loss, (grad,) = step(targets)
        fresh = ag.tensor(logits.data, requires_grad=True)
        expected = F.cross_entropy(fresh, targets)
        expected.backward()
        assert loss.item() == expected.item()
        np.testing.assert_array_equal(grad.data, fresh.grad.data)


def test_traced_nn_training_step_with_clipping_matches_eager():
    import nn
    import nn.functional as F

    def build():
        nn.init.manual_seed(3)
        model = nn.Sequential(nn.Linear(4, 32, dtype=np.float64), nn.Tanh(),
                              nn.Linear(32, 3, dtype=np.float64))
        return model, optim.AdamW(model.parameters(), lr=0.01)

    data = batches(np.random.default_rng(4), 20, n=16)
    eager_model, eager_opt = build()
    traced_model, traced_opt = build()

    def step_of(model, opt):
        def train_step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            opt.step()
            return loss
        return train_step

    eager_step = step_of(eager_model, eager_opt)
    step = ag.trace(step_of(traced_model, traced_opt), *data[0])
    eager_losses = [eager_step(x, y).item() for x, y in data]
    traced_losses = [step.first_result.item()] + [step(x, y)[0].item() for x, y in data[1:]]
    assert eager_losses == traced_losses
    for (name, a), (_, b) in zip(eager_model.named_parameters(), traced_model.named_parameters()):
        assert np.array_equal(a.data, b.data), name
