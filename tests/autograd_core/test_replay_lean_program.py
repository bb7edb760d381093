"""Issue 16: the leaner replay program (plain SGD steps through a replay plan, indexed single-result
vjp calls, no needless copies or `del`s) replays exactly what eager runs: the same parameters,
gradients, version counters, optimizer state and step counts, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
import optim
from autograd_core import replay
from autograd_core.errors import InvalidArgumentError
from autograd_core.tape import replayable
from optim import replay_plans


def _model():
    nn.init.manual_seed(3)
    return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))


def _step(model, optimizer):
    def step(x, targets):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), targets)
        loss.backward()
        optimizer.step()
        return loss
    return step


def _batches(count: int) -> list:
    rng = np.random.default_rng(5)
    return [(rng.standard_normal((4, 5)).astype(np.float32), rng.integers(0, 3, 4))
            for _ in range(count)]


def _pair(**sgd):
    eager_model, traced_model = _model(), _model()
    eager_opt = optim.SGD(eager_model.parameters(), lr=0.1, **sgd)
    traced_opt = optim.SGD(traced_model.parameters(), lr=0.1, **sgd)
    return (eager_model, eager_opt), (traced_model, traced_opt)


def _assert_same(eager, traced):
    (eager_model, eager_opt), (traced_model, traced_opt) = eager, traced
    for a, b in zip(eager_model.parameters(), traced_model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
        np.testing.assert_array_equal(a.grad.data, b.grad.data)
        assert a._version == b._version
    assert eager_opt._step_count == traced_opt._step_count
    assert eager_opt.state.keys() == traced_opt.state.keys() or (
        len(eager_opt.state) == len(traced_opt.state))


def test_plain_sgd_replays_through_its_plan_bit_identical_to_eager():
    eager, traced = _pair()
    data = _batches(5)
    eager_step = _step(*eager)
    step = ag.trace(_step(*traced), *data[0])
    eager_step(*data[0])
    for x, targets in data[1:]:
        loss, _ = step(x, targets)
        assert loss.item() == eager_step(x, targets).item()
    _assert_same(eager, traced)
    assert not traced[1].state
    assert any(v is replay_plans.plain_sgd_step for v in step._current.namespace.values())


def test_sgd_plan_follows_changes_made_between_replays():
    """A new learning rate is used; momentum turned on later takes the general step (state and
    all); an invalid learning rate raises as eager step() does."""
    eager, traced = _pair()
    data = _batches(6)
    eager_step = _step(*eager)
    step = ag.trace(_step(*traced), *data[0])
    eager_step(*data[0])
    for index, (x, targets) in enumerate(data[1:]):
        if index == 1:
            for opt in (eager[1], traced[1]):
                opt.param_groups[0]["lr"] = 0.03
        if index == 3:
            for opt in (eager[1], traced[1]):
                opt.param_groups[0]["momentum"] = 0.9
        step(x, targets)
        eager_step(x, targets)
    _assert_same(eager, traced)
    assert len(traced[1].state) == len(eager[1].state) > 0
    for a, b in zip(eager[0].parameters(), traced[0].parameters()):
        np.testing.assert_array_equal(eager[1].state[a]["momentum_buffer"],
                                      traced[1].state[b]["momentum_buffer"])
    traced[1].param_groups[0]["lr"] = -1.0
    with pytest.raises(InvalidArgumentError):
        step(*data[0])


def test_sgd_with_momentum_or_a_subclass_is_replayed_by_the_general_step():
    class MySGD(optim.SGD):
        pass

    model = _model()
    assert replay_plans.step_plan(optim.SGD(model.parameters(), lr=0.1, momentum=0.9)) is \
        replay_plans.plain_sgd_step  # decided per call: momentum takes the general step then
    assert replay_plans.step_plan(MySGD(model.parameters(), lr=0.1)) is None
    assert replay_plans.step_plan(optim.Adam(model.parameters())) is None
    assert replay_plans.step_plan(optim.SGD(model.parameters(), lr=0.1), lambda: None) is None
    eager, traced = _pair(momentum=0.9, weight_decay=0.01)
    data = _batches(4)
    eager_step = _step(*eager)
    step = ag.trace(_step(*traced), *data[0])
    eager_step(*data[0])
    for x, targets in data[1:]:
        step(x, targets)
        eager_step(x, targets)
    _assert_same(eager, traced)


def test_replayable_plan_replaces_the_host_call_in_the_replay():
    calls = []

    def fast(box):
        calls.append("fast")
        box[0] += 1

    def plan(box):
        return fast if box[1] == "fast" else None

    @replayable(plan=plan)
    def bump(box):
        calls.append("general")
        box[0] += 1

    for mode, expected in (("fast", ["general", "fast", "fast"]),
                           ("slow", ["general", "general", "general"])):
        calls.clear()
        box = [0, mode]
        w = ag.tensor(np.ones(3), requires_grad=True)

        def fn(x):
            bump(box)
            return (x * w).sum()

        step = ag.trace(fn, np.ones(3))
        step(np.ones(3))
        step(np.ones(3))
        assert calls == expected
        assert box[0] == 3


def test_leaf_gradients_are_owned_arrays_whatever_their_terms():
    """A weight used through W.T (its gradient a transposed view of a fresh product), twice (two
    terms), and through a broadcast: every .grad is a row-major array of its own, equal to eager."""
    rng = np.random.default_rng(0)
    w = ag.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    v = ag.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    b = ag.tensor(rng.standard_normal(4), requires_grad=True)

    def fn(x):
        h = ag.tensor(x) @ w.T + b
        loss = (h * h).sum() + (v @ v).sum() + (w * w).sum()
        loss.backward()
        return loss

    x = rng.standard_normal((6, 3))
    fn(x)
    expected = [p.grad.data.copy() for p in (w, v, b)]
    for p in (w, v, b):
        p.grad = None
    step = ag.trace(fn, x, params=[w, v, b])
    for p in (w, v, b):
        p.grad = None
    _, grads = step(x)
    arrays = [g.data for g in grads]
    for got, want in zip(arrays, expected):
        np.testing.assert_array_equal(got, want)
        assert got.flags.c_contiguous and got.flags.writeable
    for i, a in enumerate(arrays):
        for other in arrays[i + 1:] + [w.data, v.data, b.data]:
            assert not np.shares_memory(a, other)


def test_owned_gradient_copies_unless_the_fresh_array_is_unshared():
    fresh = np.ones((3, 4)) @ np.ones((4, 5))
    view = fresh.T.T
    del fresh
    assert replay._owned_gradient(view, 1) is view.base  # held by `view` alone
    kept = np.ones((3, 4)) @ np.ones((4, 5))
    copied = replay._owned_gradient(kept.T.T, 0)
    assert copied.base is None and copied is not kept and not np.shares_memory(copied, kept)
    held = (np.ones((2, 2)) @ np.ones((2, 2))).T.T
    pair = (held, held)
    assert replay._owned_gradient(pair[0], 1).base is None
    assert not np.shares_memory(replay._owned_gradient(pair[0], 1), held)
    transposed = (np.ones((3, 4)) @ np.ones((4, 5))).T
    result = replay._owned_gradient(transposed, 0)
    assert result.flags.c_contiguous and result.shape == (5, 3)


def test_small_locals_are_left_to_the_return_and_large_ones_deleted():
    small = ag.tensor(np.ones((4, 4)), requires_grad=True)
    large = ag.tensor(np.ones((300, 300)), requires_grad=True)

    def fn(x):
        loss = (ag.tensor(x) * small).tanh().sum() + (large * large).tanh().sum()
        loss.backward()
        return loss

    step = ag.trace(fn, np.ones((4, 4)))
    deleted = {name for line in step.source.splitlines() if line.strip().startswith("del ")
               for name in line.strip()[4:].split(", ")}
    number = step.tape._value_ids[id(large)]
    assert f"v{number}" in deleted  # 720 kB
    assert not any(step.tape.values[int(name[1:])].data.nbytes <= replay.SMALL_LOCAL
                   for name in deleted if name[0] == "v")
    small.grad = large.grad = None
    loss, grads = step(np.ones((4, 4)))
    np.testing.assert_allclose(grads[1].data, 2 * (1 - np.tanh(1.0) ** 2) * np.ones((300, 300)))


def test_free_dead_values_drops_unread_rereads_and_keeps_small_locals_in_budget():
    lines = ["def program(inputs):", "    v0 = inputs[0]", "    v1 = t1.data", "    v2 = F(v0, v1)",
             "    H0()", "    v1 = t1.data", "    return (v2, ), []"]
    out = replay._free_dead_values(lines, {"v0": 10, "v1": 10, "v2": 10})
    assert out == lines[:5] + ["    return (v2, ), []"]
    out = replay._free_dead_values(lines, {"v0": replay.SMALL_LOCAL + 1})
    assert out[4] == "    del v0, v1"


def test_large_weight_gradient_through_a_transpose_is_not_copied(monkeypatch):
    """x @ W.T: the vjp gives W's gradient as a transposed view of a fresh product; once the
    replay has freed the other results, .grad is that product itself, equal to eager's."""
    rng = np.random.default_rng(1)
    w = ag.tensor(rng.standard_normal((300, 200)), requires_grad=True)

    def fn(x):
        loss = (ag.tensor(x) @ w.T).tanh().sum()
        loss.backward()
        return loss

    x = rng.standard_normal((400, 200))
    fn(x)
    expected = w.grad.data.copy()
    w.grad = None
    step = ag.trace(fn, x)
    w.grad = None
    copies = []
    original = replay.graph.owned_gradient
    monkeypatch.setattr(replay.graph, "owned_gradient", lambda g: copies.append(g) or original(g))
    _, (grad,) = step(x)
    np.testing.assert_array_equal(grad.data, expected)
    assert grad.data.base is None and grad.data.flags.c_contiguous and grad.data.flags.owndata
    assert not copies
