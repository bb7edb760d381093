"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import BUFFER, STEP, Optimizer, ParamGroup, bump_version, check_non_negative


class RMSprop(Optimizer):
    """RMSprop exactly as `torch.optim.RMSprop`: for each parameter with a grad g,

    g <- -g if maximize;  g <- g + weight_decay * p
    v <- alpha * v + (1 - alpha) * g^2
    centered: g_avg <- alpha * g_avg + (1 - alpha) * g;  v~ = v - g_avg^2, else v~ = v
    momentum > 0: b <- momentum * b + g / (sqrt(v~) + eps);  p <- p - lr * b
    otherwise:    p <- p - lr * g / (sqrt(v~) + eps)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[ParamGroup],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        check_non_negative("RMSprop", "learning rate", group["lr"])
        check_non_negative("RMSprop", "epsilon value", group["eps"])
        check_non_negative("RMSprop", "momentum value", group["momentum"])
        check_non_negative("RMSprop", "weight_decay value", group["weight_decay"])
        check_non_negative("RMSprop", "alpha value", group["alpha"])

    def _state_spec(self, group: ParamGroup) -> dict[str, tuple[str, bool]]:
        return {"step": (STEP, True), "square_avg": (BUFFER, True), "momentum_buffer": (BUFFER, False),
                "grad_avg": (BUFFER, False)}

    def _initial_state(self, param: Tensor, group: ParamGroup) -> dict[str, Any]:
        state: dict[str, Any] = {"step": 0, "square_avg": np.zeros_like(param.data)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param.data)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param.data)
        return state

    def _update_group(self, group: ParamGroup, params: list[Tensor], grads: list[np.ndarray],
                      states: list[Any]) -> None:
        """The update above for each param of the group: the same numpy expressions as one
        parameter at a time (so the same rounding), with the hyperparameters read once."""
        alpha, eps, momentum, lr = group["alpha"], group["eps"], group["momentum"], group["lr"]
        weight_decay, centered, maximize = group["weight_decay"], group["centered"], group["maximize"]
        state_of = self.state
        for param, grad, state in zip(params, grads, states, strict=True):
            data = param.data
            if maximize:
                grad = -grad
            if state is None:
                state = state_of[param] = self._initial_state(param, group)
            state["step"] += 1
            if weight_decay != 0:
                grad = grad + weight_decay * data

            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += (1 - alpha) * grad * grad
            if centered:
                grad_avg = state.get("grad_avg")
                if grad_avg is None:
                    grad_avg = state["grad_avg"] = np.zeros_like(data)
                grad_avg *= alpha
                grad_avg += (1 - alpha) * grad
                avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
            else:
                avg = np.sqrt(square_avg) + eps

            if momentum > 0:
                buffer = state.get("momentum_buffer")
                if buffer is None:
                    buffer = state["momentum_buffer"] = np.zeros_like(data)
                buffer *= momentum
                buffer += grad / avg
                np.subtract(data, lr * buffer, out=data)
            else:
                np.subtract(data, lr * (grad / avg), out=data)
            bump_version(param)
