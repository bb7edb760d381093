"""ag.amp.GradScaler against torch.amp.GradScaler("cpu"): the same skip decisions, scales and
parameters for a scripted sequence of gradients with injected infs, state_dict, error cases."""

import numpy as np
import pytest

import autograd_core as ag
import optim
from autograd_core.errors import GraphError, InvalidArgumentError

torch = pytest.importorskip("torch")

INF_STEPS = {2, 3, 9, 10, 11}


def scripted_gradients(steps, seed=0):
    rng = np.random.default_rng(seed)
    for step in range(steps):
        grads = [rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(2).astype(np.float32)]
        if step in INF_STEPS:
            grads[step % 2].flat[0] = np.inf if step % 3 else np.nan
        yield grads


@pytest.mark.parametrize("manual_unscale", [False, True])
def test_same_scales_skips_and_parameters_as_torch(manual_unscale):
    rng = np.random.default_rng(1)
    init = [rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(2).astype(np.float32)]
    ours = [ag.tensor(v.copy(), requires_grad=True) for v in init]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in init]
    opt = optim.SGD(ours, lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(theirs, lr=0.1, momentum=0.9)
    scaler = ag.amp.GradScaler(init_scale=2.0 ** 4, growth_factor=2.0, backoff_factor=0.5, growth_interval=3)
    tscaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 4, growth_factor=2.0, backoff_factor=0.5,
                                   growth_interval=3)
    for step, grads in enumerate(scripted_gradients(20)):
        scaler.scale(ag.tensor(np.float32(1.0)))  # as a loop does: scale(loss).backward()
        tscaler.scale(torch.tensor(1.0))
        scale = scaler.get_scale()
        assert scale == tscaler.get_scale(), f"step {step}"
        for p, tp, g in zip(ours, theirs, grads):
            p.grad = ag.tensor(g * scale)
            tp.grad = torch.tensor(g * scale)
        if manual_unscale:
            scaler.unscale_(opt)
            tscaler.unscale_(topt)
            ag.nn.utils.clip_grad_norm_(ours, 1.0)
            torch.nn.utils.clip_grad_norm_(theirs, 1.0)
        before = [p.data.copy() for p in ours]
        result = scaler.step(opt)
        tscaler.step(topt)
        skipped = all(np.array_equal(b, p.data) for b, p in zip(before, ours))
        assert skipped == (step in INF_STEPS)
        scaler.update()
        tscaler.update()
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-6, atol=1e-7)
        assert result is None
    assert scaler.get_scale() == tscaler.get_scale()
    state, tstate = scaler.state_dict(), tscaler.state_dict()
    assert state == {k: (float(v) if k == "scale" else v) for k, v in tstate.items()}


def test_state_dict_round_trip_and_new_scale():
    scaler = ag.amp.GradScaler(init_scale=8.0, growth_interval=5)
    scaler._growth_tracker = 3
    other = ag.amp.GradScaler()
    other.load_state_dict(scaler.state_dict())
    assert other.state_dict() == scaler.state_dict()
    with pytest.raises(InvalidArgumentError, match="empty"):
        other.load_state_dict({})
    p = ag.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = ag.tensor([1.0])
    other.step(opt)
    other.update(new_scale=3.0)
    assert other.get_scale() == 3.0


def test_bookkeeping_errors_as_torch():
    p = ag.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    scaler = ag.amp.GradScaler()
    with pytest.raises(GraphError, match="No inf checks"):
        scaler.update()
    p.grad = ag.tensor([1.0])
    scaler.unscale_(opt)
    with pytest.raises(GraphError, match="already been called on this optimizer"):
        scaler.unscale_(opt)
    scaler.step(opt)  # does not unscale a second time
    np.testing.assert_allclose(p.data, [1.0 - 0.1 * 2.0 ** -16])
    with pytest.raises(GraphError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    with pytest.raises(GraphError, match="after step"):
        scaler.unscale_(opt)
    scaler.update()
    with pytest.raises(InvalidArgumentError, match="growth_factor"):
        ag.amp.GradScaler(growth_factor=0.5)


def test_disabled_scaler_is_a_pass_through():
    p = ag.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    scaler = ag.amp.GradScaler(enabled=False)
    loss = (p * 2).sum()
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    loss.backward()
    scaler.step(opt)
    scaler.update()
    np.testing.assert_allclose(p.data, [0.0])


def test_scale_keeps_the_loss_dtype():
    scaler = ag.amp.GradScaler()
    for dtype in (np.float16, np.float32, np.float64):
        loss = ag.tensor(np.array(0.5, dtype=dtype), requires_grad=True)
        assert scaler.scale(loss).dtype == dtype
    assert float(scaler.scale(ag.tensor(np.float32(0.5))).data) == 0.5 * 2 ** 16
    # 0.5 * 2**16 fits float16 although 2**16 itself does not
    assert float(scaler.scale(ag.tensor(np.float16(0.5))).data) == 0.5 * 2 ** 16


def test_clip_and_detect_anomaly_with_autocast_and_scaler():
    """The documented order (scale, backward, unscale_, clip, step, update) under detect_anomaly:
    an overflow to inf in float16 is skipped by the scaler, not reported as an anomaly; a NaN still is."""
    rng = np.random.default_rng(0)
    w = ag.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    scaler = ag.amp.GradScaler(init_scale=2.0 ** 30)  # large enough to overflow float16
    x = ag.tensor(rng.standard_normal((8, 3)).astype(np.float32) * 100)
    with ag.detect_anomaly():
        for _ in range(3):
            with ag.autocast(dtype=ag.float16):
                loss = (x @ w.T).sum()
            opt.zero_grad()
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            ag.nn.utils.clip_grad_norm_([w], 1.0)
            scaler.step(opt)
            scaler.update()
    assert scaler.get_scale() < 2.0 ** 30  # the overflowing steps were skipped and the scale backed off
    with pytest.raises(ag.AnomalyError, match="nan"), ag.detect_anomaly():
        with ag.autocast(dtype=ag.float16):
            (ag.log(x @ w.T - 1e9) * 0).sum()
