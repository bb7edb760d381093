"""Learning-rate schedulers: change each group's 'lr' during training, like `torch.optim.lr_scheduler`.

A scheduler's constructor performs the initial step (last_epoch -1 -> 0); call `scheduler.step()` once per
epoch (OneCycleLR: once per batch) after `optimizer.step()`. The recursive rules below give PyTorch's numbers.
"""

from __future__ import annotations

import math
import numbers
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, SupportsFloat

from autograd_core.tape import replayable
from autograd_core.errors import DTypeError, InvalidArgumentError

from .optimizer import Optimizer

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "StepLR",
]

_EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` is deprecated (as in PyTorch): "
    "call `scheduler.step()` without it."
)


def _check_is_optimizer(scheduler_name: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise DTypeError(f"{scheduler_name}: {type(optimizer).__name__} is not an Optimizer")


def _check_int(scheduler_name: str, what: str, value: Any, minimum: int) -> None:
    """Raise unless `value` is an integer >= minimum (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise DTypeError(f"{scheduler_name}: {what} must be an integer, got {value!r}")
    if value < minimum:
        raise InvalidArgumentError(f"{scheduler_name}: invalid {what} {value!r} (must be >= {minimum})")


def _check_real(scheduler_name: str, what: str, value: Any, minimum: float | None = 0.0,
                strict: bool = False) -> None:
    """Raise unless `value` is a finite real number >= minimum (> minimum when strict)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InvalidArgumentError(f"{scheduler_name}: {what} must be a finite number, got {value!r}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = ">" if strict else ">="
        raise InvalidArgumentError(f"{scheduler_name}: invalid {what} {value!r} "
                                   f"(must be {relation} {minimum})")


class LRScheduler:
    """Base class: subclasses compute the next lrs in `get_lr()` from `last_epoch` and the current lrs.

    `last_epoch` is the index of the last epoch seen: -1 starts a new schedule (and records each group's
    'initial_lr'); any other value resumes one (the groups must already have 'initial_lr').
    """

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        _check_is_optimizer(name, optimizer)
        _check_int(name, "last_epoch", last_epoch, -1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}: param 'initial_lr' is not specified in param_groups[{index}] when resuming "
                        f"with last_epoch={last_epoch}; load the optimizer's state_dict first"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The lrs for epoch `last_epoch`, one per parameter group (called by `step()`)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The lrs most recently set by this scheduler, one per parameter group."""
        return self._last_lr

    @replayable
    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and write the new lrs into the optimizer's groups.

        `epoch` (deprecated, as in PyTorch) jumps to that epoch using the closed form where there is one.
        """
        if self._step_count == 1 and self.optimizer._step_count == 0:
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`: call them in the opposite "
                "order, otherwise the first value of the learning rate schedule is skipped.",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                warnings.warn(_EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _warn_if_called_outside_step(self) -> None:
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                UserWarning,
                stacklevel=3,
            )

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (save the optimizer's own state_dict beside it)."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def _check_arguments(self) -> None:
        """Raise a typed error if this scheduler's arguments (attributes) cannot give a schedule: called by
        the constructor, before the first step, and by load_state_dict."""

    def _check_loaded(self) -> None:
        name = type(self).__name__
        _check_int(name, "last_epoch", self.last_epoch, -1)
        groups = len(self.optimizer.param_groups)
        for what in ("base_lrs", "_last_lr"):
            values = self.__dict__.get(what)
            if values is None and what == "_last_lr":
                continue
            if not isinstance(values, (list, tuple)) or len(values) != groups:
                raise InvalidArgumentError(f"{name}.load_state_dict: {what} must be a list of {groups} "
                                           f"learning rates, got {values!r}")
            for value in values:
                _check_real(name, f"{what} entry", value)
        self._check_arguments()

    def _load_checked(self, state_dict: Any, apply: Callable[[dict[str, Any]], None]) -> None:
        """Check `state_dict` has every attribute `state_dict()` makes, apply it, validate the result and
        roll back on failure, so a malformed snapshot changes nothing."""
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise DTypeError(f"{name}.load_state_dict: expected a dict made by state_dict(), got "
                             f"{type(state_dict).__name__}")
        missing = sorted(set(self.state_dict()) - set(state_dict))
        if missing:
            raise InvalidArgumentError(f"{name}.load_state_dict: the state dict lacks {missing} (was it made "
                                       f"by another kind of scheduler's state_dict()?)")
        backup = dict(self.__dict__)
        try:
            apply(state_dict)
            self._check_loaded()
        except Exception:
            self.__dict__.clear()
            self.__dict__.update(backup)
            raise

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by `state_dict()` (all checked; nothing changes on an error)."""
        self._load_checked(state_dict, self.__dict__.update)


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch); `lr_lambda` is one function, or a list with one per group."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        _check_is_optimizer("LambdaLR", optimizer)
        self.optimizer = optimizer
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise InvalidArgumentError(
                    f"LambdaLR: expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise DTypeError(f"LambdaLR: lr_lambda must be callable, got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """initial_lr * lr_lambda(last_epoch) for each group."""
        self._warn_if_called_outside_step()
        return [
            base_lr * lmbda(self.last_epoch)
            for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]

    def state_dict(self) -> dict[str, Any]:
        """Like the base class, but a lambda is saved only if it is a callable object (its __dict__)."""
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy() for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes; saved callable objects get their __dict__ back."""

        def apply(state: dict[str, Any]) -> None:
            saved_lambdas = state["lr_lambdas"]
            if not isinstance(saved_lambdas, (list, tuple)) or len(saved_lambdas) != len(self.lr_lambdas):
                raise InvalidArgumentError(f"LambdaLR.load_state_dict: lr_lambdas must be a list of "
                                           f"{len(self.lr_lambdas)} entries, got {saved_lambdas!r}")
            if not all(saved is None or isinstance(saved, dict) for saved in saved_lambdas):
                raise DTypeError("LambdaLR.load_state_dict: each lr_lambdas entry must be None or a dict")
            self.__dict__.update({key: value for key, value in state.items() if key != "lr_lambdas"})
            for fn, saved in zip(self.lr_lambdas, saved_lambdas, strict=True):
                if saved is not None:
                    fn.__dict__.update(saved)

        self._load_checked(state_dict, apply)


class StepLR(LRScheduler):
    """Multiply the lr by `gamma` every `step_size` epochs: initial_lr * gamma ** (epoch // step_size)."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = step_size
        self.gamma = gamma
        self._check_arguments()
        super().__init__(optimizer, last_epoch)

    def _check_arguments(self) -> None:
        _check_int("StepLR", "step_size", self.step_size, 1)
        _check_real("StepLR", "gamma", self.gamma)

    def get_lr(self) -> list[float]:
        """The current lrs, times gamma when last_epoch is a non-zero multiple of step_size."""
        self._warn_if_called_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by `gamma` at each epoch listed in `milestones` (twice if listed twice)."""

    def __init__(
        self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Iterable):
            raise DTypeError(f"MultiStepLR: milestones must be a list of epochs, got {milestones!r}")
        self.milestones = Counter(milestones)
        self.gamma = gamma
        self._check_arguments()
        super().__init__(optimizer, last_epoch)

    def _check_arguments(self) -> None:
        if not isinstance(self.milestones, Counter):
            raise DTypeError(f"MultiStepLR: milestones must be a Counter of epochs, got {self.milestones!r}")
        for milestone in self.milestones:
            _check_int("MultiStepLR", "milestone", milestone, 0)
        _check_real("MultiStepLR", "gamma", self.gamma)

    def get_lr(self) -> list[float]:
        """The current lrs, times gamma ** (times last_epoch is listed) at a milestone."""
        self._warn_if_called_outside_step()
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        return [
            base_lr * self.gamma ** bisect_right(milestones, self.last_epoch) for base_lr in self.base_lrs
        ]


class ExponentialLR(LRScheduler):
    """Multiply the lr by `gamma` every epoch: lr = initial_lr * gamma ** epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        self._check_arguments()
        super().__init__(optimizer, last_epoch)

    def _check_arguments(self) -> None:
        _check_real("ExponentialLR", "gamma", self.gamma)

    def get_lr(self) -> list[float]:
        """The current lrs times gamma (unchanged by the constructor's initial step)."""
        self._warn_if_called_outside_step()
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from initial_lr down to `eta_min` over `T_max` epochs (then back up, periodically):

    lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2, computed recursively as PyTorch
    does.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        self._check_arguments()
        super().__init__(optimizer, last_epoch)

    def _check_arguments(self) -> None:
        _check_int("CosineAnnealingLR", "T_max", self.T_max, 1)
        _check_real("CosineAnnealingLR", "eta_min", self.eta_min)

    def get_lr(self) -> list[float]:
        """PyTorch's recursive form: scale (lr - eta_min) by the ratio of consecutive cosine factors."""
        self._warn_if_called_outside_step()
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and self.last_epoch > 0:
            return [
                self.eta_min
                + (base_lr - self.eta_min) * (1 + math.cos(self.last_epoch * math.pi / self.T_max)) / 2
                for base_lr in self.base_lrs
            ]
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            return [
                lr + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                for base_lr, lr in zip(self.base_lrs, self._current_lrs(), strict=True)
            ]
        return [
            (1 + math.cos(math.pi * self.last_epoch / self.T_max))
            / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
            * (lr - self.eta_min)
            + self.eta_min
            for lr in self._current_lrs()
        ]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base_lr in self.base_lrs
        ]


class LinearLR(LRScheduler):
    """Scale the lr by a factor going linearly from `start_factor` to `end_factor` in `total_iters` epochs."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        self._check_arguments()
        super().__init__(optimizer, last_epoch)

    def _check_arguments(self) -> None:
        _check_real("LinearLR", "start_factor", self.start_factor, None)
        _check_real("LinearLR", "end_factor", self.end_factor, None)
        if not 0 < self.start_factor <= 1:
            raise InvalidArgumentError(f"LinearLR: invalid start_factor {self.start_factor} "
                                       "(must be in (0, 1])")
        if not 0 <= self.end_factor <= 1:
            raise InvalidArgumentError(f"LinearLR: invalid end_factor {self.end_factor} (must be in [0, 1])")
        _check_int("LinearLR", "total_iters", self.total_iters, 1)

    def get_lr(self) -> list[float]:
        """PyTorch's recursive form: multiply by the ratio of consecutive linear factors."""
        self._warn_if_called_outside_step()
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        factor_change = self.end_factor - self.start_factor
        ratio = 1.0 + factor_change / (
            self.total_iters * self.start_factor + (self.last_epoch - 1) * factor_change
        )
        return [lr * ratio for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr
            * (
                self.start_factor
                + (self.end_factor - self.start_factor)
                * min(self.total_iters, self.last_epoch)
                / self.total_iters
            )
            for base_lr in self.base_lrs
        ]


def _one_value_per_group(scheduler_name: str, name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise InvalidArgumentError(
                f"{scheduler_name}: expected {len(optimizer.param_groups)} values for {name}, "
                f"got {len(value)}"
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


class OneCycleLR(LRScheduler):
    """The 1cycle policy: warm the lr up from max_lr/div_factor to max_lr, then anneal it far below.

    Step it after every batch. With `cycle_momentum`, momentum (or Adam's beta1) moves inversely to the lr.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: Literal["cos", "linear"] = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        _check_is_optimizer("OneCycleLR", optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise InvalidArgumentError(
                    f"OneCycleLR: expected positive integer total_steps, but got {total_steps}"
                )
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise InvalidArgumentError(f"OneCycleLR: expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise InvalidArgumentError(
                    f"OneCycleLR: expected positive integer steps_per_epoch, but got {steps_per_epoch}"
                )
            self.total_steps = epochs * steps_per_epoch
        else:
            raise InvalidArgumentError(
                "OneCycleLR: you must define either total_steps OR (epochs AND steps_per_epoch)"
            )
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise InvalidArgumentError(
                f"OneCycleLR: expected float between 0 and 1 pct_start, but got {pct_start}"
            )
        if anneal_strategy not in ("cos", "linear"):
            raise InvalidArgumentError(
                "OneCycleLR: anneal_strategy must be one of 'cos' or 'linear', "
                f"instead got {anneal_strategy!r}"
            )
        self._anneal_func_type = anneal_strategy
        _check_real("OneCycleLR", "div_factor", div_factor, 0.0, strict=True)
        _check_real("OneCycleLR", "final_div_factor", final_div_factor, 0.0, strict=True)

        warmup_end = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                _phase(warmup_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(
                    float(2 * pct_start * self.total_steps) - 2,
                    "max_lr",
                    "initial_lr",
                    "base_momentum",
                    "max_momentum",
                ),
                _phase(self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._schedule_phases = [
                _phase(warmup_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]

        max_lrs = _one_value_per_group("OneCycleLR", "max_lr", optimizer, max_lr)
        for value in max_lrs:
            _check_real("OneCycleLR", "max_lr", value, 0.0, strict=True)
        self._check_arguments()
        if last_epoch == -1:
            for group, group_max_lr in zip(optimizer.param_groups, max_lrs, strict=True):
                group["initial_lr"] = group_max_lr / div_factor
                group["max_lr"] = group_max_lr
                group["min_lr"] = group["initial_lr"] / final_div_factor

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise InvalidArgumentError(
                    "OneCycleLR: optimizer must support momentum or beta1 "
                    "with `cycle_momentum` option enabled"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            max_momentums = _one_value_per_group("OneCycleLR", "max_momentum", optimizer, max_momentum)
            base_momentums = _one_value_per_group("OneCycleLR", "base_momentum", optimizer, base_momentum)
            for value in (*max_momentums, *base_momentums):
                _check_real("OneCycleLR", "momentum", value)
            if last_epoch == -1:
                for group, group_max, group_base in zip(
                    optimizer.param_groups, max_momentums, base_momentums, strict=True
                ):
                    self._set_momentum(group, group_max)
                    group["max_momentum"] = group_max
                    group["base_momentum"] = group_base
        super().__init__(optimizer, last_epoch)

    def _check_arguments(self) -> None:
        _check_int("OneCycleLR", "total_steps", self.total_steps, 1)
        start_step = 0.0
        for index, phase in enumerate(self._schedule_phases):
            if phase["end_step"] == start_step:
                raise InvalidArgumentError(
                    f"OneCycleLR: phase {index} of the schedule is empty with total_steps={self.total_steps} "
                    "and this pct_start (it would divide by zero): change pct_start or total_steps")
            start_step = phase["end_step"]

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        """Interpolate within the current phase; also sets momentum/beta1 when cycle_momentum is on."""
        self._warn_if_called_outside_step()
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise InvalidArgumentError(
                f"OneCycleLR: tried to step {step_num} times. "
                f"The specified number of total steps is {self.total_steps}"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for index, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step_num <= end_step or index == len(self._schedule_phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
                    if self.cycle_momentum:
                        momentum = self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                        )
                        self._set_momentum(group, momentum)
                    break
                start_step = phase["end_step"]
        return lrs


def _phase(
    end_step: float, start_lr: str, end_lr: str, start_momentum: str, end_momentum: str
) -> dict[str, Any]:
    return {
        "end_step": end_step,
        "start_lr": start_lr,
        "end_lr": end_lr,
        "start_momentum": start_momentum,
        "end_momentum": end_momentum,
    }


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by `factor` once a metric has not improved for more than `patience` epochs.

    Call `step(metric)` once per epoch with the validation loss (mode='min') or accuracy (mode='max').
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: Literal["min", "max"] = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: Literal["rel", "abs"] = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        _check_real("ReduceLROnPlateau", "factor", factor)
        if factor >= 1.0:
            raise InvalidArgumentError(f"ReduceLROnPlateau: invalid factor {factor} (must be < 1.0)")
        self.factor = factor
        _check_is_optimizer("ReduceLROnPlateau", optimizer)
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise InvalidArgumentError(
                    f"ReduceLROnPlateau: expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}"
                )
            self.default_min_lr: float | None = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.threshold = threshold
        self._check_arguments()
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _check_arguments(self) -> None:
        name = "ReduceLROnPlateau"
        _check_real(name, "factor", self.factor)
        if self.factor >= 1.0:
            raise InvalidArgumentError(f"{name}: invalid factor {self.factor} (must be < 1.0)")
        _check_int(name, "patience", self.patience, 0)
        _check_int(name, "cooldown", self.cooldown, 0)
        _check_real(name, "eps", self.eps)
        _check_real(name, "threshold", self.threshold)
        if not isinstance(self.min_lrs, (list, tuple)):
            raise DTypeError(f"{name}: min_lrs must be a list, got {self.min_lrs!r}")
        for value in self.min_lrs:
            _check_real(name, "min_lr", value)

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in ("min", "max"):
            raise InvalidArgumentError(f"ReduceLROnPlateau: mode {mode!r} is unknown (use 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise InvalidArgumentError(
                f"ReduceLROnPlateau: threshold mode {threshold_mode!r} is unknown (use 'rel' or 'abs')"
            )
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    @property
    def in_cooldown(self) -> bool:
        """True while the scheduler waits `cooldown` epochs after a reduction."""
        return self.cooldown_counter > 0

    def _is_better(self, current: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return current < best * (1.0 - self.threshold)
        if self.mode == "min":
            return current < best - self.threshold
        if self.threshold_mode == "rel":
            return current > best * (self.threshold + 1.0)
        return current > best + self.threshold

    @replayable
    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric and reduce the lrs if it has plateaued."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(_EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch

        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise InvalidArgumentError(
                    "ReduceLROnPlateau: the optimizer now has "
                    f"{len(self.optimizer.param_groups)} param groups "
                    f"but min_lr was given for {len(self.min_lrs)}; update `min_lrs` to match"
                )
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by `state_dict()` (all checked; nothing changes on an error)."""

        def apply(state: dict[str, Any]) -> None:
            self.__dict__.update(state)
            self._init_is_better(self.mode, self.threshold, self.threshold_mode)

        self._load_checked(state_dict, apply)

    def _check_loaded(self) -> None:
        _check_int("ReduceLROnPlateau", "last_epoch", self.last_epoch, 0)
        self._check_arguments()
