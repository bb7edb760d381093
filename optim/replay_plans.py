"""Cheaper replays of optimizer host calls for `autograd_core.trace` (see tape.replayable's `plan`).

A traced training step replays `optimizer.step()` as a host call on every replay. For plain SGD
(no momentum, weight decay or maximize, no per-parameter state) the update is one subtract per
parameter, and the general step's bookkeeping costs more than the update itself on small models;
`step_plan` gives trace a step that does only that, checking on every call that the optimizer is
still in that case and calling the general step otherwise.
"""

from __future__ import annotations

from typing import Any, Callable

from autograd_core import Tensor

#: (SGD, the general Optimizer.step, bump_version, subtract_scaled), imported on first use:
#: optim.optimizer imports this module, so importing them at the top would be circular
_DEPENDENCIES: tuple = ()


def _load_dependencies() -> tuple:
    global _DEPENDENCIES
    from .optimizer import Optimizer, bump_version, subtract_scaled
    from .sgd import SGD

    _DEPENDENCIES = (SGD, Optimizer.step.__wrapped__, bump_version, subtract_scaled)
    return _DEPENDENCIES


def step_plan(optimizer: Any, closure: Callable | None = None) -> Callable | None:
    """The `plan` of Optimizer.step: `plain_sgd_step` for an exact SGD called without a closure
    (the only case it covers), else None (replay the general step)."""
    SGD = (_DEPENDENCIES or _load_dependencies())[0]
    if type(optimizer) is not SGD or closure is not None:
        return None
    return plain_sgd_step


def plain_sgd_step(optimizer: Any, closure: Callable | None = None) -> Any:
    """`optimizer.step(closure)`, as SGD.step computes it when every group has momentum 0, weight
    decay 0, nesterov and maximize False and the optimizer holds no state: p <- p - lr * g for each
    parameter with a grad (`subtract_scaled`, as SGD does), the same version bumps and step
    count. Anything else (another optimizer, a closure, a grad that is no plain Tensor or does not
    match its parameter) is handed to the general step before any parameter is written."""
    SGD, general, bump_version, subtract_scaled = _DEPENDENCIES or _load_dependencies()
    if type(optimizer) is not SGD or closure is not None or optimizer.state:
        return general(optimizer, closure)
    updates = []
    for group in optimizer.param_groups:
        optimizer._validate_group(group)
        if not _plain_group(group):
            return general(optimizer, closure)
        lr = group["lr"]
        for param in group["params"]:
            grad = param.grad
            if grad is None:
                continue
            if type(grad) is not Tensor:
                return general(optimizer, closure)
            grad, data = grad.data, param.data
            if grad.shape != data.shape or grad.dtype != data.dtype:
                return general(optimizer, closure)
            updates.append((param, data, lr, grad))
    for param, data, lr, grad in updates:
        subtract_scaled(data, lr, grad)  # SGD's update, large parameters without a temporary
        bump_version(param)
    optimizer._step_count += 1
    return None


def _plain_group(group: dict) -> bool:
    """Whether SGD's update of a validated `group` is p - lr * g."""
    return (group["momentum"] == 0 and group["weight_decay"] == 0 and not group["nesterov"]
            and not group["maximize"])
