"""Issue 9: trace() never freezes host state silently. Random draws (Dropout masks, rand/randn) are
re-drawn from the same generator on every replay, bit-identical to eager calls; buffers updated in
the forward (BatchNorm running statistics) are updated by every replay exactly as eager; what a
replay cannot reproduce raises TracerError (or warns) at trace time."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
import optim
from autograd_core.errors import AutogradError, TracerError


def _batches(count: int, shape=(6, 4)) -> list:
    rng = np.random.default_rng(11)
    return [rng.standard_normal(shape) for _ in range(count)]


def _model(dropout_seed: int, momentum=0.1):
    nn.init.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(4, 8, dtype=np.float64),
        nn.Dropout(0.5, generator=np.random.default_rng(dropout_seed)),
        nn.BatchNorm1d(8, momentum=momentum, dtype=np.float64),
        nn.Linear(8, 1, dtype=np.float64))
    return model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def _train_step(model, opt):
    def step(x):
        opt.zero_grad()
        out = model(x)
        loss = (out * out).mean()
        loss.backward()
        opt.step()
        return loss, out
    return step


@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum-0.1", "cumulative"])
def test_traced_step_with_dropout_and_batchnorm_replays_bit_identical_to_eager(momentum):
    data = _batches(8)
    eager_model, eager_opt = _model(7, momentum)
    traced_model, traced_opt = _model(7, momentum)
    eager = _train_step(eager_model, eager_opt)
    step = ag.trace(_train_step(traced_model, traced_opt), data[0])
    eager_outputs = [eager(x) for x in data]
    traced_outputs = [step.first_result] + [step(x)[0] for x in data[1:]]
    masks = set()
    for (e_loss, e_out), (t_loss, t_out) in zip(eager_outputs, traced_outputs):
        assert e_loss.item() == t_loss.item()
        np.testing.assert_array_equal(e_out.data, t_out.data)
        masks.add(e_loss.item())
    assert len(masks) == len(data)  # the losses (and masks) differ from step to step
    for (name, a), (_, b) in zip(eager_model.named_parameters(), traced_model.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    e_bn, t_bn = eager_model[2], traced_model[2]
    assert int(t_bn.num_batches_tracked.item()) == len(data)
    np.testing.assert_array_equal(e_bn.running_mean.data, t_bn.running_mean.data)
    np.testing.assert_array_equal(e_bn.running_var.data, t_bn.running_var.data)
    np.testing.assert_array_equal(e_bn.num_batches_tracked.data, t_bn.num_batches_tracked.data)


def test_replays_of_dropout_draw_a_new_mask_each_call_from_the_same_generator():
    x = np.ones((4, 10))
    traced_layer = nn.Dropout(0.5, generator=np.random.default_rng(3))
    step = ag.trace(lambda v: traced_layer(v), x)
    expected_rng = np.random.default_rng(3)
    first = (expected_rng.random(x.shape) >= 0.5) * 2.0
    np.testing.assert_array_equal(step.first_result.data, first)
    replays = [step(x)[0].data for _ in range(4)]
    for replay in replays:
        np.testing.assert_array_equal(replay, (expected_rng.random(x.shape) >= 0.5) * 2.0)
    assert len({r.tobytes() for r in replays}) == 4


def test_functional_dropout_with_the_default_generator_or_a_seed_replays_like_eager():
    x = np.ones((3, 8))

    def run(fn, calls):
        nn.init.manual_seed(5)
        return [fn(x) for _ in range(calls)]

    eager_default = [t.data for t in run(lambda v: F.dropout(ag.tensor(v), 0.3), 4)]
    nn.init.manual_seed(5)
    step = ag.trace(lambda v: F.dropout(v, 0.3), x)
    traced_default = [step.first_result.data] + [step(x)[0].data for _ in range(3)]
    for a, b in zip(eager_default, traced_default):
        np.testing.assert_array_equal(a, b)
    nn.init.manual_seed(9)  # a new default generator: replays use it, as eager calls would
    expected = F.dropout(ag.tensor(x), 0.3).data
    nn.init.manual_seed(9)
    np.testing.assert_array_equal(step(x)[0].data, expected)
    # an int seed makes a fresh generator per call: the same mask every time, eager and replayed
    seeded = ag.trace(lambda v: F.dropout(v, 0.3, generator=21), x)
    once = F.dropout(ag.tensor(x), 0.3, generator=21).data
    for _ in range(3):
        np.testing.assert_array_equal(seeded(x)[0].data, once)


def test_rand_and_randn_inside_a_traced_function_are_redrawn_on_every_replay():
    traced_rng, eager_rng = np.random.default_rng(4), np.random.default_rng(4)

    def noisy(v, rng):
        return v + ag.randn(2, 3, generator=rng, dtype=np.float64) * ag.rand(2, 3, generator=rng,
                                                                             dtype=np.float64)

    step = ag.trace(lambda v: noisy(v, traced_rng), np.zeros((2, 3)))
    eager = [noisy(ag.zeros(2, 3, dtype=np.float64), eager_rng).data for _ in range(4)]
    traced = [step.first_result.data] + [step(np.zeros((2, 3)))[0].data for _ in range(3)]
    for a, b in zip(eager, traced):
        np.testing.assert_array_equal(a, b)


def test_batchnorm_eval_replay_reads_the_current_running_statistics():
    bn = nn.BatchNorm1d(3, dtype=np.float64)
    bn.eval()
    x = np.arange(6.0).reshape(2, 3)
    step = ag.trace(lambda v: bn(v), x)
    with ag.no_grad():
        bn.running_mean.copy_(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(step(x)[0].data, bn(ag.tensor(x)).data)


def test_a_new_leaf_that_requires_grad_inside_trace_raises_tracer_error():
    assert issubclass(TracerError, RuntimeError) and issubclass(TracerError, AutogradError)
    assert ag.TracerError is TracerError

    def f(v):
        w = ag.randn(3, requires_grad=True, generator=0)
        return (w * v).sum()

    with pytest.raises(TracerError, match=r"randn\(\.\.\., requires_grad=True\) inside a traced "):
        ag.trace(f, np.ones(3))
    f(ag.tensor(np.ones(3)))  # eager calls are fine


def test_an_in_place_write_of_a_frozen_numpy_array_warns_at_trace_time():
    w = ag.tensor(np.zeros(4))

    def reinit(v):
        nn.init.normal_(w, generator=np.random.default_rng(0))
        return v * 2

    with pytest.warns(ag.TracerWarning, match=r"in-place update at .*test_replay_host_state.py:\d+ writes "
                                             r"a numpy array \(4,\)"):
        ag.trace(reinit, np.ones(2))
