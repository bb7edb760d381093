"""Learning-rate schedulers: lr sequences against hand values and against torch (when installed),
state_dict resume, last_epoch semantics and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd_core as ag
import optim
from autograd_core.errors import DTypeError, InvalidArgumentError
from optim import lr_scheduler

EPOCHS = 40


def make_optimizer(optimizer_class=optim.SGD, lrs=(0.1, 0.02), **kwargs):
    groups = [{"params": [ag.tensor(np.ones(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return optimizer_class(groups, **kwargs)


def lr_sequence(scheduler, optimizer, epochs=EPOCHS):
    """The lrs in use at each epoch: the constructor's, then after each scheduler.step()."""
    sequence = [list(scheduler.get_last_lr())]
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        sequence.append(list(scheduler.get_last_lr()))
        assert sequence[-1] == [group["lr"] for group in optimizer.param_groups]
    return sequence


def torch_lr_sequence(
    torch,
    scheduler_name,
    scheduler_kwargs,
    optimizer_name="SGD",
    lrs=(0.1, 0.02),
    optimizer_kwargs=None,
    epochs=EPOCHS,
):
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    optimizer = getattr(torch.optim, optimizer_name)(groups, **(optimizer_kwargs or {}))
    scheduler = getattr(torch.optim.lr_scheduler, scheduler_name)(optimizer, **scheduler_kwargs)
    sequence = [list(scheduler.get_last_lr())]
    momenta = [_momenta(optimizer)]
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        sequence.append(list(scheduler.get_last_lr()))
        momenta.append(_momenta(optimizer))
    return sequence, momenta


def _momenta(optimizer):
    return [
        group["betas"][0] if "betas" in group else group.get("momentum") for group in optimizer.param_groups
    ]


SCHEDULER_CASES = [
    ("StepLR", {"step_size": 7}),
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [5, 12, 12, 30]}),
    ("MultiStepLR", {"milestones": [3, 9], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 15, "eta_min": 0.001}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.9, "total_iters": 12}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 20}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": EPOCHS}),
    ("OneCycleLR", {"max_lr": [1.0, 0.5], "epochs": 4, "steps_per_epoch": 10, "anneal_strategy": "linear"}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": EPOCHS, "three_phase": True, "pct_start": 0.25}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": EPOCHS, "cycle_momentum": False, "div_factor": 10.0}),
]
SCHEDULER_IDS = [f"{name}-{kwargs}" for name, kwargs in SCHEDULER_CASES]


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULER_CASES, ids=SCHEDULER_IDS)
def test_scheduler_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    optimizer = make_optimizer(momentum=0.9)
    scheduler = getattr(lr_scheduler, name)(optimizer, **kwargs)
    ours = lr_sequence(scheduler, optimizer)
    theirs, _ = torch_lr_sequence(torch, name, kwargs, optimizer_kwargs={"momentum": 0.9})
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
def test_one_cycle_momentum_and_beta1_match_torch(optimizer_name):
    torch = pytest.importorskip("torch")
    optimizer_kwargs = {"momentum": 0.9} if optimizer_name == "SGD" else {}
    optimizer = make_optimizer(getattr(optim, optimizer_name), **optimizer_kwargs)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=EPOCHS, base_momentum=0.8)
    momenta = [_momenta(optimizer)]
    for _ in range(EPOCHS):
        optimizer.step()
        scheduler.step()
        momenta.append(_momenta(optimizer))
    _, torch_momenta = torch_lr_sequence(
        torch,
        "OneCycleLR",
        {"max_lr": 0.5, "total_steps": EPOCHS, "base_momentum": 0.8},
        optimizer_name=optimizer_name,
        optimizer_kwargs=optimizer_kwargs,
    )
    np.testing.assert_allclose(momenta, torch_momenta, rtol=1e-12)


def test_lambda_lr_matches_torch_and_hand_values():
    optimizer = make_optimizer()
    scheduler = lr_scheduler.LambdaLR(optimizer, [lambda epoch: epoch // 3, lambda epoch: 0.95**epoch])
    ours = lr_sequence(scheduler, optimizer, epochs=10)
    assert [lrs[0] for lrs in ours] == pytest.approx([0.1 * (epoch // 3) for epoch in range(11)])
    assert [lrs[1] for lrs in ours] == pytest.approx([0.02 * 0.95**epoch for epoch in range(11)])
    torch = pytest.importorskip("torch")
    theirs, _ = torch_lr_sequence(
        torch, "LambdaLR", {"lr_lambda": [lambda epoch: epoch // 3, lambda epoch: 0.95**epoch]}, epochs=10
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def first_group(sequence):
    return [lrs[0] for lrs in sequence]


def test_step_lr_hand_values():
    optimizer = make_optimizer(lrs=(1.0,))
    sequence = lr_sequence(lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5), optimizer, epochs=9)
    assert first_group(sequence) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]


def test_multistep_lr_hand_values():
    optimizer = make_optimizer(lrs=(1.0,))
    scheduler = lr_scheduler.MultiStepLR(optimizer, milestones=[2, 5, 5], gamma=0.5)
    assert first_group(lr_sequence(scheduler, optimizer, epochs=6)) == [1, 1, 0.5, 0.5, 0.5, 0.125, 0.125]


def test_exponential_lr_hand_values():
    optimizer = make_optimizer(lrs=(2.0,))
    sequence = lr_sequence(lr_scheduler.ExponentialLR(optimizer, gamma=0.5), optimizer, epochs=4)
    assert first_group(sequence) == [2.0, 1.0, 0.5, 0.25, 0.125]


def test_cosine_annealing_follows_the_closed_form_and_restarts_periodically():
    optimizer = make_optimizer(lrs=(1.0,))
    sequence = first_group(
        lr_sequence(lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.1), optimizer, 30)
    )
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * epoch / 10)) / 2 for epoch in range(31)]
    np.testing.assert_allclose(sequence, expected, rtol=1e-12, atol=1e-12)
    assert sequence[10] == pytest.approx(0.1)
    assert sequence[20] == pytest.approx(1.0)


def test_linear_lr_hand_values():
    optimizer = make_optimizer(lrs=(1.0,))
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.5, end_factor=1.0, total_iters=4)
    assert first_group(lr_sequence(scheduler, optimizer, epochs=6)) == pytest.approx(
        [0.5, 0.625, 0.75, 0.875, 1.0, 1.0, 1.0]
    )


def test_one_cycle_hand_values():
    optimizer = make_optimizer(lrs=(123.0,), momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(
        optimizer, max_lr=1.0, total_steps=11, pct_start=0.5, anneal_strategy="linear"
    )
    sequence = first_group(lr_sequence(scheduler, optimizer, epochs=10))
    initial, minimum = 1.0 / 25, 1.0 / 25 / 1e4
    warmup_end = 0.5 * 11 - 1
    expected = [
        initial + (1.0 - initial) * step / warmup_end
        if step <= warmup_end
        else 1.0 + (minimum - 1.0) * (step - warmup_end) / (10 - warmup_end)
        for step in range(11)
    ]
    np.testing.assert_allclose(sequence, expected, rtol=1e-12, atol=1e-15)
    assert optimizer.param_groups[0]["momentum"] == pytest.approx(0.95)
    assert optimizer.param_groups[0]["initial_lr"] == pytest.approx(initial)


def test_one_cycle_stepping_past_total_steps_is_an_error():
    optimizer = make_optimizer(momentum=0.9)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=3)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    with pytest.raises(
        InvalidArgumentError,
        match=r"^OneCycleLR: tried to step 4 times. The specified number of total steps is 3$",
    ):
        scheduler.step()


PLATEAU_CASES = [
    ({}, [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3]),
    ({"patience": 2}, [5, 4, 4.1, 4.2, 4.0, 3.9, 3.9, 3.9, 3.9, 3.8, 3.8, 3.8, 3.8]),
    ({"patience": 1, "cooldown": 2, "factor": 0.5}, [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]),
    (
        {"mode": "max", "patience": 0, "threshold": 0.1, "threshold_mode": "abs"},
        [1, 1.05, 1.2, 1.25, 1.4, 1.4],
    ),
    (
        {"mode": "max", "patience": 1, "threshold_mode": "rel", "min_lr": [0.05, 0.0]},
        [1, 1, 1, 1, 1, 1, 1, 1],
    ),
    ({"patience": 0, "factor": 0.5, "min_lr": 0.015, "eps": 0.005}, [1, 1, 1, 1, 1, 1, 1]),
]


@pytest.mark.parametrize(("kwargs", "metrics"), PLATEAU_CASES)
def test_reduce_lr_on_plateau_matches_torch(kwargs, metrics):
    optimizer = make_optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, **kwargs)
    ours = [list(scheduler.get_last_lr())]
    for metric in metrics:
        optimizer.step()
        scheduler.step(metric)
        ours.append(list(scheduler.get_last_lr()))
    torch = pytest.importorskip("torch")
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in (0.1, 0.02)]
    torch_optimizer = torch.optim.SGD(groups)
    torch_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_optimizer, **kwargs)
    theirs = [list(torch_scheduler.get_last_lr())]
    for metric in metrics:
        torch_optimizer.step()
        torch_scheduler.step(metric)
        theirs.append(list(torch_scheduler.get_last_lr()))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_reduce_lr_on_plateau_hand_values():
    optimizer = make_optimizer(lrs=(1.0,))
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, factor=0.5, min_lr=0.3)
    lrs = []
    for metric in [10, 9, 9, 9, 9, 8, 8, 8, 8, 8, 8, 8]:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]
    assert scheduler.last_epoch == 12
    assert scheduler.best == 8


RESUMABLE_CASES = [
    (lr_scheduler.StepLR, {"step_size": 3, "gamma": 0.5}),
    (lr_scheduler.MultiStepLR, {"milestones": [2, 7]}),
    (lr_scheduler.ExponentialLR, {"gamma": 0.8}),
    (lr_scheduler.CosineAnnealingLR, {"T_max": 6, "eta_min": 0.01}),
    (lr_scheduler.LinearLR, {"start_factor": 0.2, "total_iters": 8}),
    (lr_scheduler.OneCycleLR, {"max_lr": 1.0, "total_steps": 20}),
]


@pytest.mark.parametrize(("scheduler_class", "kwargs"), RESUMABLE_CASES)
def test_resume_from_state_dicts_continues_the_same_schedule(scheduler_class, kwargs):
    optimizer = make_optimizer(momentum=0.9)
    scheduler = scheduler_class(optimizer, **kwargs)
    lr_sequence(scheduler, optimizer, epochs=5)
    optimizer_state, scheduler_state = optimizer.state_dict(), scheduler.state_dict()
    assert "optimizer" not in scheduler_state
    uninterrupted = lr_sequence(scheduler, optimizer, epochs=10)

    resumed_optimizer = make_optimizer(momentum=0.9)
    resumed_scheduler = scheduler_class(resumed_optimizer, **kwargs)
    resumed_optimizer.load_state_dict(optimizer_state)
    resumed_scheduler.load_state_dict(scheduler_state)
    assert lr_sequence(resumed_scheduler, resumed_optimizer, epochs=10) == uninterrupted


def test_reduce_lr_on_plateau_state_dict_round_trip():
    optimizer = make_optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=1)
    for metric in [1, 2, 2]:
        scheduler.step(metric)
    state = scheduler.state_dict()
    resumed = lr_scheduler.ReduceLROnPlateau(make_optimizer())
    resumed.load_state_dict(state)
    assert (resumed.mode, resumed.best, resumed.num_bad_epochs, resumed.last_epoch) == ("max", 2, 1, 3)


def test_lambda_lr_state_dict_keeps_callable_objects_state_only():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate**epoch

    optimizer = make_optimizer()
    scheduler = lr_scheduler.LambdaLR(optimizer, [Decay(0.5), lambda epoch: 1.0])
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None]
    other = lr_scheduler.LambdaLR(make_optimizer(), [Decay(0.9), lambda epoch: 2.0])
    other.load_state_dict(state)
    assert other.lr_lambdas[0].rate == 0.5


@pytest.mark.parametrize(("scheduler_class", "kwargs"), RESUMABLE_CASES[:5])
def test_last_epoch_resumes_like_torch(scheduler_class, kwargs):
    optimizer = make_optimizer()
    with pytest.raises(KeyError, match="initial_lr"):
        scheduler_class(optimizer, last_epoch=4, **kwargs)
    for group in optimizer.param_groups:
        group["initial_lr"] = group["lr"] * 2
    scheduler = scheduler_class(optimizer, last_epoch=4, **kwargs)
    assert scheduler.last_epoch == 5
    ours = lr_sequence(scheduler, optimizer, epochs=8)

    torch = pytest.importorskip("torch")
    groups = [
        {"params": [torch.zeros(2, requires_grad=True)], "lr": lr, "initial_lr": lr * 2} for lr in (0.1, 0.02)
    ]
    torch_optimizer = torch.optim.SGD(groups)
    torch_scheduler = getattr(torch.optim.lr_scheduler, scheduler_class.__name__)(
        torch_optimizer, last_epoch=4, **kwargs
    )
    theirs = [list(torch_scheduler.get_last_lr())]
    for _ in range(8):
        torch_optimizer.step()
        torch_scheduler.step()
        theirs.append(list(torch_scheduler.get_last_lr()))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize(("scheduler_class", "kwargs"), RESUMABLE_CASES[:5])
def test_step_with_epoch_uses_closed_form_and_warns_like_torch(scheduler_class, kwargs):
    optimizer = make_optimizer()
    scheduler = scheduler_class(optimizer, **kwargs)
    optimizer.step()
    ours = []
    for epoch in [3, 7, 4, 12]:
        with pytest.warns(UserWarning, match="deprecated"):
            scheduler.step(epoch)
        ours.append(scheduler.get_last_lr())
    assert scheduler.last_epoch == 12

    torch = pytest.importorskip("torch")
    torch_optimizer = torch.optim.SGD(
        [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in (0.1, 0.02)]
    )
    torch_scheduler = getattr(torch.optim.lr_scheduler, scheduler_class.__name__)(torch_optimizer, **kwargs)
    torch_optimizer.step()
    theirs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 4, 12]:
            torch_scheduler.step(epoch)
            theirs.append(torch_scheduler.get_last_lr())
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_constructor_performs_the_initial_step():
    optimizer = make_optimizer(lrs=(1.0,))
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.25)
    assert scheduler.last_epoch == 0
    assert optimizer.param_groups[0]["lr"] == 0.25
    assert optimizer.param_groups[0]["initial_lr"] == 1.0
    assert scheduler.base_lrs == [1.0]
    assert scheduler.get_last_lr() == [0.25]


def test_warns_when_scheduler_steps_before_optimizer():
    optimizer = make_optimizer()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2)
    with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)"):
        scheduler.step()


def test_get_lr_outside_step_warns_to_use_get_last_lr():
    optimizer = make_optimizer()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2)
    with pytest.warns(UserWarning, match="get_last_lr"):
        scheduler.get_lr()


def test_scheduler_errors():
    not_an_optimizer = object()
    with pytest.raises(DTypeError, match=r"^StepLR: object is not an Optimizer$"):
        lr_scheduler.StepLR(not_an_optimizer, step_size=2)
    with pytest.raises(DTypeError, match=r"^ReduceLROnPlateau: object is not an Optimizer$"):
        lr_scheduler.ReduceLROnPlateau(not_an_optimizer)
    optimizer = make_optimizer()
    with pytest.raises(InvalidArgumentError, match=r"^LambdaLR: expected 2 lr_lambdas, but got 1$"):
        lr_scheduler.LambdaLR(optimizer, [lambda epoch: 1.0])
    with pytest.raises(
        InvalidArgumentError, match=r"^LinearLR: invalid start_factor 0 \(must be in \(0, 1\]\)$"
    ):
        lr_scheduler.LinearLR(optimizer, start_factor=0)
    with pytest.raises(
        InvalidArgumentError, match=r"^LinearLR: invalid end_factor 1.5 \(must be in \[0, 1\]\)$"
    ):
        lr_scheduler.LinearLR(optimizer, end_factor=1.5)
    with pytest.raises(InvalidArgumentError, match=r"^OneCycleLR: you must define either total_steps OR"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=1.0)
    with pytest.raises(
        InvalidArgumentError, match=r"^OneCycleLR: expected positive integer total_steps, but got 0$"
    ):
        lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=0)
    with pytest.raises(
        InvalidArgumentError, match=r"^OneCycleLR: expected positive integer epochs, but got -1$"
    ):
        lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, epochs=-1, steps_per_epoch=3)
    with pytest.raises(
        InvalidArgumentError, match=r"^OneCycleLR: expected float between 0 and 1 pct_start, but got 1.5$"
    ):
        lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10, pct_start=1.5)
    with pytest.raises(
        InvalidArgumentError, match=r"^OneCycleLR: anneal_strategy must be one of 'cos' or 'linear'"
    ):
        lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=10, anneal_strategy="step")
    with pytest.raises(InvalidArgumentError, match=r"^OneCycleLR: expected 2 values for max_lr, got 3$"):
        lr_scheduler.OneCycleLR(optimizer, max_lr=[1.0, 2.0, 3.0], total_steps=10)
    with pytest.raises(InvalidArgumentError, match=r"^OneCycleLR: optimizer must support momentum or beta1"):
        lr_scheduler.OneCycleLR(make_optimizer(optim.Adagrad), max_lr=1.0, total_steps=10)
    with pytest.raises(
        InvalidArgumentError, match=r"^ReduceLROnPlateau: invalid factor 1.0 \(must be < 1.0\)$"
    ):
        lr_scheduler.ReduceLROnPlateau(optimizer, factor=1.0)
    with pytest.raises(
        InvalidArgumentError, match=r"^ReduceLROnPlateau: mode 'avg' is unknown \(use 'min' or 'max'\)$"
    ):
        lr_scheduler.ReduceLROnPlateau(optimizer, mode="avg")
    with pytest.raises(InvalidArgumentError, match=r"^ReduceLROnPlateau: threshold mode 'pct' is unknown"):
        lr_scheduler.ReduceLROnPlateau(optimizer, threshold_mode="pct")
    with pytest.raises(InvalidArgumentError, match=r"^ReduceLROnPlateau: expected 2 min_lrs, got 1$"):
        lr_scheduler.ReduceLROnPlateau(optimizer, min_lr=[0.1])


def test_errors_are_value_and_type_errors_for_callers_who_do_not_know_autograd_core():
    with pytest.raises(TypeError):
        lr_scheduler.ExponentialLR(None, gamma=0.5)
    with pytest.raises(ValueError):
        lr_scheduler.ReduceLROnPlateau(make_optimizer(), factor=2.0)
