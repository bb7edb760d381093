"""Adagrad: per-coordinate learning rates shrinking with the sum of all past squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import BUFFER, STEP, Optimizer, ParamGroup, bump_version, check_non_negative


class Adagrad(Optimizer):
    """Adagrad exactly as `torch.optim.Adagrad`: for each parameter with a grad g, at step t,

        g <- -g if maximize;  g <- g + weight_decay * p
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s <- s + g^2   (s starts at initial_accumulator_value)
        p <- p - lr_t * g / (sqrt(s) + eps)

    Like PyTorch, the state of every parameter is created when it is added, not at its first step.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[ParamGroup],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def add_param_group(self, param_group: ParamGroup) -> None:
        """Add a parameter group and create the accumulator state of its parameters right away."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for param in group["params"]:
            self.state[param] = self._initial_state(param, group)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        check_non_negative("Adagrad", "learning rate", group["lr"])
        check_non_negative("Adagrad", "lr_decay value", group["lr_decay"])
        check_non_negative("Adagrad", "weight_decay value", group["weight_decay"])
        check_non_negative("Adagrad", "initial_accumulator_value", group["initial_accumulator_value"])
        check_non_negative("Adagrad", "epsilon value", group["eps"])

    def _state_spec(self, group: ParamGroup) -> dict[str, tuple[str, bool]]:
        return {"step": (STEP, True), "sum": (BUFFER, True)}

    def _initial_state(self, param: Tensor, group: ParamGroup) -> dict[str, Any]:
        return {"step": 0, "sum": np.full_like(param.data, group["initial_accumulator_value"])}

    def _update_group(self, group: ParamGroup, params: list[Tensor], grads: list[np.ndarray],
                      states: list[Any]) -> None:
        """The update above for each param of the group: the same numpy expressions as one
        parameter at a time (so the same rounding), with the hyperparameters read once."""
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        state_of = self.state
        for param, grad, state in zip(params, grads, states, strict=True):
            data = param.data
            if maximize:
                grad = -grad
            if state is None:
                state = state_of[param] = self._initial_state(param, group)
            step = state["step"] = state["step"] + 1
            if weight_decay != 0:
                grad = grad + weight_decay * data

            decayed_lr = lr / (1 + (step - 1) * lr_decay)
            state_sum = state["sum"]
            state_sum += grad * grad
            np.subtract(data, decayed_lr * (grad / (np.sqrt(state_sum) + eps)), out=data)
            bump_version(param)
