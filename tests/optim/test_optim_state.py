"""Optimizer and scheduler state as untrusted input (issue 9): step() validates all state, including what
load_state_dict brought in, before changing any parameter; malformed snapshots raise typed errors naming
what is wrong; hyperparameters and scheduler arguments are validated at construction as torch does."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import optim
from autograd_core.errors import AutogradError, DTypeError, InvalidArgumentError, ShapeError
from optim import lr_scheduler


def three_params(rng):
    params = [ag.tensor(rng.standard_normal(shape), requires_grad=True) for shape in ((2,), (3,), (2, 2))]
    for param in params:
        param.grad = ag.tensor(rng.standard_normal(param.shape))
    return params


OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "Adam": lambda p: optim.Adam(p, lr=0.1),
    "AdamW": lambda p: optim.AdamW(p, lr=0.1, amsgrad=True),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.1, momentum=0.5, centered=True),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.1),
}


def snapshot(params):
    return [param.data.copy() for param in params]


def assert_unchanged(params, before):
    for param, old in zip(params, before):
        np.testing.assert_array_equal(param.data, old)


@pytest.mark.parametrize("name", [name for name in OPTIMIZERS if name != "SGD"])
def test_a_step_none_in_the_last_parameter_changes_no_parameter(rng, name):
    params = three_params(rng)
    optimizer = OPTIMIZERS[name](params)
    optimizer.step()
    optimizer.state[params[2]]["step"] = None
    before = snapshot(params)
    with pytest.raises(InvalidArgumentError, match="parameter 2.*'step' is None"):
        optimizer.step()
    assert_unchanged(params, before)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_loaded_state_with_a_bad_step_or_buffer_is_refused_and_changes_nothing(rng, name):
    params = three_params(rng)
    optimizer = OPTIMIZERS[name](params)
    optimizer.step()
    state = optimizer.state_dict()
    buffer_key = next(key for key, value in state["state"][2].items() if isinstance(value, np.ndarray))

    wrong_shape = optimizer.state_dict()
    wrong_shape["state"][2][buffer_key] = np.zeros(5)
    with pytest.raises(ShapeError, match=f"{buffer_key}.*shape \\(5,\\)"):
        optimizer.load_state_dict(wrong_shape)

    not_an_array = optimizer.state_dict()
    not_an_array["state"][2][buffer_key] = [0.0, 0.0, 0.0, 0.0]
    with pytest.raises(DTypeError, match=f"parameter 2.*{buffer_key}.*list"):
        optimizer.load_state_dict(not_an_array)

    if "step" in state["state"][2]:
        for bad in (None, -1, float("nan"), "3"):
            broken = optimizer.state_dict()
            broken["state"][2]["step"] = bad
            with pytest.raises(InvalidArgumentError, match="loaded state of parameter 2.*'step'"):
                optimizer.load_state_dict(broken)
        lacking = optimizer.state_dict()
        del lacking["state"][1]["step"]
        with pytest.raises(InvalidArgumentError, match="parameter 1.*lacks 'step'"):
            optimizer.load_state_dict(lacking)

    # Nothing above was applied: the next step equals a step from the saved state.
    reference_params = [ag.tensor(p.data.copy(), requires_grad=True) for p in params]
    for mine, ref in zip(params, reference_params):
        ref.grad = ag.tensor(mine.grad.data.copy())
    reference = OPTIMIZERS[name](reference_params)
    reference.load_state_dict(state)
    optimizer.step()
    reference.step()
    for mine, ref in zip(params, reference_params):
        np.testing.assert_array_equal(mine.data, ref.data)


def test_state_changed_by_hand_is_checked_at_step(rng):
    params = three_params(rng)
    optimizer = optim.SGD(params, lr=0.1, momentum=0.9)
    optimizer.step()
    optimizer.state[params[1]]["momentum_buffer"] = np.zeros((3, 1))
    before = snapshot(params)
    with pytest.raises(ShapeError, match="parameter 1.*momentum_buffer"):
        optimizer.step()
    assert_unchanged(params, before)
    optimizer.state[params[1]]["momentum_buffer"] = np.zeros(3, dtype=np.float32)
    with pytest.raises(DTypeError, match="float32"):
        optimizer.step()
    assert_unchanged(params, before)


@pytest.mark.parametrize("bad, error, fragment", [
    ({}, InvalidArgumentError, "lacks 'state' and 'param_groups'"),
    ({"state": {}}, InvalidArgumentError, "lacks 'param_groups'"),
    ({"param_groups": []}, InvalidArgumentError, "lacks 'state'"),
    ([], DTypeError, "expected a dict"),
    ({"state": [], "param_groups": []}, DTypeError, "'state' must be a dict"),
    ({"state": {}, "param_groups": {}}, DTypeError, "'param_groups' must be a list"),
    ({"state": {}, "param_groups": [{"lr": 1}]}, InvalidArgumentError, "param_groups\\[0\\]"),
    ({"state": {}, "param_groups": [{"params": ["a"]}]}, DTypeError, "parameter indices"),
    ({"state": {}, "param_groups": [{"params": [0, 1, 2]}]}, InvalidArgumentError, "lacks hyperparameters"),
])
def test_malformed_optimizer_state_dicts_raise_typed_errors(rng, bad, error, fragment):
    params = three_params(rng)
    optimizer = optim.Adam(params, lr=0.1)
    with pytest.raises(error, match=fragment):
        optimizer.load_state_dict(bad)
    assert optimizer.state == {}


def test_loaded_state_for_an_unknown_index_or_of_a_wrong_kind(rng):
    params = three_params(rng)
    optimizer = optim.Adam(params, lr=0.1)
    saved = optimizer.state_dict()
    saved["state"] = {7: {}}
    with pytest.raises(InvalidArgumentError, match="unknown parameter index 7"):
        optimizer.load_state_dict(saved)
    saved["state"] = {0: None}
    with pytest.raises(DTypeError, match="parameter 0 must be a dict"):
        optimizer.load_state_dict(saved)


@pytest.mark.parametrize("make, fragment", [
    (lambda p: optim.SGD(p, lr=-0.1), "learning rate"),
    (lambda p: optim.SGD(p, lr=float("nan")), "learning rate"),
    (lambda p: optim.SGD(p, lr=None), "learning rate"),
    (lambda p: optim.SGD(p, momentum=-0.5), "momentum"),
    (lambda p: optim.SGD(p, weight_decay=-1), "weight_decay"),
    (lambda p: optim.SGD(p, nesterov=True), "nesterov"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (lambda p: optim.SGD(p, nesterov="yes", momentum=0.9), "nesterov must be a bool"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "beta parameter at index 0"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "beta parameter at index 1"),
    (lambda p: optim.Adam(p, betas=0.9), "pair"),
    (lambda p: optim.Adam(p, eps=-1e-8), "epsilon"),
    (lambda p: optim.Adam(p, weight_decay=-0.1), "weight_decay"),
    (lambda p: optim.Adam(p, amsgrad="False"), "amsgrad must be a bool"),
    (lambda p: optim.AdamW(p, lr=-1), "learning rate"),
    (lambda p: optim.RMSprop(p, alpha=-0.9), "alpha"),
    (lambda p: optim.RMSprop(p, momentum=-1), "momentum"),
    (lambda p: optim.RMSprop(p, centered=1), "centered must be a bool"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "lr_decay"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
    (lambda p: optim.Adam([{"params": p[:1]}, {"params": p[1:], "lr": -3}]), "learning rate"),
])
def test_invalid_hyperparameters_raise_at_construction(rng, make, fragment):
    with pytest.raises(AutogradError, match=fragment):
        make(three_params(rng))


def optimizer_for_scheduler(rng):
    return optim.SGD(three_params(rng), lr=0.1, momentum=0.9)


@pytest.mark.parametrize("make, fragment", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), "step_size"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2.5), "step_size must be an integer"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=None), "gamma"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=-0.5), "gamma"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, -1]), "milestone"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=5), "milestones"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=["a"]), "milestone"),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma=float("inf")), "gamma"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=-1), "eta_min"),
    (lambda o: lr_scheduler.LinearLR(o, total_iters=0), "total_iters"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=None), "start_factor"),
    (lambda o: lr_scheduler.LambdaLR(o, lr_lambda=3), "callable"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=2, pct_start=0.5), "empty"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=-0.1, total_steps=10), "max_lr"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10, div_factor=0), "div_factor"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), "patience"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, cooldown=1.5), "cooldown"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=-1), "min_lr"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=None), "factor"),
    (lambda o: lr_scheduler.StepLR(o, step_size=1, last_epoch=-2), "last_epoch"),
])
def test_invalid_scheduler_arguments_raise_at_construction(rng, make, fragment):
    optimizer = optimizer_for_scheduler(rng)
    with pytest.raises(AutogradError, match=fragment):
        make(optimizer)
    assert optimizer.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.StepLR(o, step_size=2),
    lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5),
    lambda o: lr_scheduler.ReduceLROnPlateau(o),
    lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 0.5**epoch),
])
def test_malformed_scheduler_state_dicts_raise_and_change_nothing(rng, make):
    scheduler = make(optimizer_for_scheduler(rng))
    before = dict(scheduler.__dict__)
    with pytest.raises(InvalidArgumentError, match="lacks"):
        scheduler.load_state_dict({})
    with pytest.raises(DTypeError, match="expected a dict"):
        scheduler.load_state_dict(None)
    broken = scheduler.state_dict()
    for key in ("step_size", "T_max", "patience", "last_epoch"):
        if key in broken:
            broken[key] = 0 if key in ("step_size", "T_max") else -5
            break
    with pytest.raises(AutogradError):
        scheduler.load_state_dict(broken)
    assert scheduler.__dict__ == before
    scheduler.load_state_dict(scheduler.state_dict())
