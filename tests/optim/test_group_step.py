"""The group-at-a-time step() of every optimizer, against torch over several steps with many
parameters of mixed shapes, None grads, replaced .data, add_param_group and state_dict round trips
mid-training; zero_grad(set_to_none=False) and gradient clipping against torch on many parameters."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autograd_core as ag
import nn
import optim
from autograd_core.errors import InvalidArgumentError, ShapeError

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (4,), (2, 3, 2), (1,), (5, 1), (3, 3), (7,), (2, 2, 2, 2), (6, 2), (1, 1)]
STEPS = 6

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.95), "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "maximize": True, "alpha": 0.9}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.2}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items())}" for name, kwargs in CONFIGS]

TOLERANCE = {np.float64: {"rtol": 1e-11, "atol": 1e-13}, np.float32: {"rtol": 2e-5, "atol": 2e-6}}


def pairs(dtype, shapes=SHAPES, seed=0):
    """Our parameters and torch's, with equal values."""
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=shape).astype(dtype) for shape in shapes]
    ours = [ag.tensor(a.copy(), requires_grad=True, dtype=a.dtype) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    return ours, theirs


def grad_of(index: int, value: np.ndarray, step: int) -> np.ndarray:
    """A gradient that differs per coordinate, parameter and step."""
    scale = np.linspace(0.5, 2.0, value.size).reshape(value.shape) * (index + 1)
    return (scale * (value - 0.3) + np.cos(value + step)).astype(value.dtype)


def set_grads(ours, theirs, step, skip=()):
    """The same grad for both (computed from our current value); params in `skip` get None."""
    for index, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        if index in skip:
            mine.grad, reference.grad = None, None
            continue
        g = grad_of(index, mine.data, step)
        mine.grad = ag.tensor(g, dtype=g.dtype)
        reference.grad = torch.tensor(g.copy())


def assert_same(ours, theirs, dtype, where=""):
    for index, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(mine.data, reference.detach().numpy(), **TOLERANCE[dtype],
                                   err_msg=f"{where} parameter {index}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_many_params_none_grads_and_versions_match_torch(name, kwargs, dtype):
    ours, theirs = pairs(dtype)
    arrays = [p.data for p in ours]
    optimizer = getattr(optim, name)(ours, **kwargs)
    reference = getattr(torch.optim, name)(theirs, **kwargs)
    for step in range(STEPS):
        skip = {step % len(SHAPES), (3 * step + 1) % len(SHAPES)}  # a different pair each step
        set_grads(ours, theirs, step, skip)
        versions = [p._version for p in ours]
        torch_versions = [p._version for p in theirs]
        optimizer.step()
        reference.step()
        assert_same(ours, theirs, dtype, f"step {step + 1}")
        for index, (mine, theirs_param) in enumerate(zip(ours, theirs, strict=True)):
            # in-place writes bump the version as torch's in-place ops do (AdamW's decay is a second one)
            assert mine._version - versions[index] == theirs_param._version - torch_versions[index]
            if index in skip:
                assert mine._version == versions[index]
    for mine, array, shape in zip(ours, arrays, SHAPES, strict=True):
        assert mine.data is array  # updated in place: the same writable array of the same shape
        assert mine.data.shape == shape and mine.data.flags.writeable
    for index, (mine, theirs_param) in enumerate(zip(ours, theirs, strict=True)):
        state, torch_state = optimizer.state.get(mine, {}), reference.state.get(theirs_param, {})
        assert set(state) == set(torch_state), f"parameter {index}"
        for key, value in state.items():
            want = torch_state[key]
            want = want.item() if key == "step" else want.numpy()
            np.testing.assert_allclose(value, want, **TOLERANCE[dtype], err_msg=f"{index} {key}")


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_replaced_data_add_param_group_and_state_dict_round_trip_mid_training(name, kwargs):
    dtype = np.float64
    ours, theirs = pairs(dtype, SHAPES[:6])
    late_ours, late_theirs = pairs(dtype, SHAPES[6:], seed=1)
    optimizer = getattr(optim, name)(ours, **kwargs)
    reference = getattr(torch.optim, name)(theirs, **kwargs)
    everything, torch_everything = ours + late_ours, theirs + late_theirs
    for step in range(8):
        if step == 2:  # replace some parameters' data by new arrays (torch: param.data = ...)
            rng = np.random.default_rng(step)
            for index in (0, 3):
                fresh = rng.normal(size=ours[index].shape)
                ours[index].data = fresh.copy()
                theirs[index].data = torch.tensor(fresh.copy())
        if step == 3:  # start training more parameters, with their own learning rate
            optimizer.add_param_group({"params": late_ours, "lr": kwargs["lr"] / 2})
            reference.add_param_group({"params": late_theirs, "lr": kwargs["lr"] / 2})
        if step == 5:  # a fresh optimizer continues from a snapshot
            snapshot = copy.deepcopy(optimizer.state_dict())
            optimizer = getattr(optim, name)([{"params": ours}, {"params": late_ours}], **kwargs)
            optimizer.load_state_dict(snapshot)
        active = (ours, theirs) if step < 3 else (everything, torch_everything)
        set_grads(*active, step, skip={step % 4})
        optimizer.step()
        reference.step()
        assert_same(*active, dtype, f"step {step + 1}")
    assert [p.data.shape for p in everything] == SHAPES


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=IDS)
def test_a_failing_step_changes_nothing(name, kwargs):
    """A bad grad, a parameter whose data was replaced by another shape, or a hyperparameter set
    to an invalid value after construction: step() raises before writing any parameter or state."""
    ours, _ = pairs(np.float64, SHAPES[:4])
    optimizer = getattr(optim, name)(ours, **kwargs)
    for index, p in enumerate(ours):
        p.grad = ag.tensor(grad_of(index, p.data, 0))
    optimizer.step()

    def snapshot():
        return ([p.data.copy() for p in ours], [p._version for p in ours],
                copy.deepcopy(optimizer.state_dict()))

    def assert_unchanged(before):
        data, versions, state = before
        for p, d in zip(ours, data, strict=True):
            np.testing.assert_array_equal(p.data, d)
        assert [p._version for p in ours] == versions
        after = optimizer.state_dict()
        for index, saved in state["state"].items():
            for key, value in saved.items():
                np.testing.assert_array_equal(after["state"][index][key], value)

    before = snapshot()
    ours[3].grad = ag.tensor(np.ones((2, 2)))  # the last parameter's grad has the wrong shape
    with pytest.raises(ShapeError):
        optimizer.step()
    assert_unchanged(before)

    ours[3].grad = ag.tensor(grad_of(3, ours[3].data, 1))
    optimizer.param_groups[0]["lr"] = -1.0
    with pytest.raises(InvalidArgumentError, match="learning rate"):
        optimizer.step()
    assert_unchanged(before)
    optimizer.param_groups[0]["lr"] = kwargs["lr"]

    if optimizer.state:  # state arrays no longer fit a parameter whose data changed shape
        old = ours[2].data
        ours[2].data = np.zeros(old.size + 1)
        ours[2].grad = ag.tensor(np.zeros(old.size + 1))
        with pytest.raises(ShapeError):
            optimizer.step()
        ours[2].data = old
        ours[2].grad = ag.tensor(grad_of(2, old, 1))
        assert_unchanged(before)
    optimizer.step()  # and then it steps normally


def test_lr_scheduler_changes_are_used_by_the_next_step():
    ours, theirs = pairs(np.float64)
    optimizer = optim.SGD(ours, lr=0.1, momentum=0.9)
    reference = torch.optim.SGD(theirs, lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    torch_scheduler = torch.optim.lr_scheduler.StepLR(reference, step_size=2, gamma=0.5)
    for step in range(6):
        set_grads(ours, theirs, step)
        optimizer.step()
        reference.step()
        scheduler.step()
        torch_scheduler.step()
        assert_same(ours, theirs, np.float64, f"step {step + 1}")


def test_mixed_dtypes_in_one_group():
    rng = np.random.default_rng(5)
    arrays = [rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=(4,)),
              rng.normal(size=(2,)).astype(np.float16)]
    ours = [ag.tensor(a.copy(), requires_grad=True, dtype=a.dtype) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    optimizer = optim.Adam(ours, lr=0.01, weight_decay=0.1)
    reference = torch.optim.Adam(theirs, lr=0.01, weight_decay=0.1)
    for step in range(4):
        set_grads(ours, theirs, step)
        optimizer.step()
        reference.step()
    for mine, reference_param, array in zip(ours, theirs, arrays, strict=True):
        assert mine.data.dtype == array.dtype
        tolerance = 1e-12 if array.dtype == np.float64 else 1e-5 if array.dtype == np.float32 else 2e-3
        np.testing.assert_allclose(mine.data.astype(np.float64),
                                   reference_param.detach().double().numpy(), rtol=tolerance, atol=tolerance)


def test_zero_grad_in_place_keeps_the_arrays_bumps_versions_and_accumulates_again():
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    x = ag.tensor(np.random.default_rng(0).normal(size=(3, 4)))
    model(x).sum().backward()
    grads = [p.grad for p in model.parameters()]
    versions = [g._version for g in grads]
    optimizer.zero_grad(set_to_none=False)
    for p, g, version in zip(model.parameters(), grads, versions, strict=True):
        assert p.grad is g and g._version == version + 1
        np.testing.assert_array_equal(g.data, np.zeros_like(g.data))
    model(x).sum().backward()
    first = [p.grad.data.copy() for p in model.parameters()]
    optimizer.zero_grad(set_to_none=False)
    model(x).sum().backward()
    for p, want in zip(model.parameters(), first, strict=True):
        np.testing.assert_array_equal(p.grad.data, want)
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf"), 0.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm_over_many_params_matches_torch(norm_type, dtype):
    ours, theirs = pairs(dtype)
    set_grads(ours, theirs, 0, skip={4})
    grads = [p.grad for p in ours if p.grad is not None]
    total = nn.utils.clip_grad_norm_(ours, 0.5, norm_type=norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type=norm_type)
    assert total.dtype == dtype
    np.testing.assert_allclose(total.data, torch_total.numpy(), **TOLERANCE[dtype])
    kept = [p.grad for p in ours if p.grad is not None]
    assert all(a is b for a, b in zip(kept, grads, strict=True))  # scaled in place, same tensors
    for mine, reference in zip(ours, theirs, strict=True):
        if reference.grad is None:
            assert mine.grad is None
        else:
            np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), **TOLERANCE[dtype])
    unclipped = [g.data.copy() for g in grads]
    nn.utils.clip_grad_norm_(ours, 1e9, norm_type=norm_type)  # coefficient >= 1: grads untouched
    for g, want in zip(grads, unclipped, strict=True):
        np.testing.assert_array_equal(g.data, want)


def test_clip_grad_norm_nonfinite_and_clip_grad_value_match_torch():
    ours, theirs = pairs(np.float64)
    set_grads(ours, theirs, 1)
    nn.utils.clip_grad_value_(ours, 0.4)
    torch.nn.utils.clip_grad_value_(theirs, 0.4)
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(mine.grad.data, reference.grad.numpy())
    ours[2].grad.data[0, 0, 0] = np.nan
    assert np.isnan(nn.utils.clip_grad_norm_(ours, 1.0, norm_type=float("inf")).item())
    with pytest.raises(InvalidArgumentError, match="non-finite"):
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
