"""Stochastic gradient descent with optional momentum, Nesterov momentum, dampening and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor
from autograd_core.errors import InvalidArgumentError

from .optimizer import BUFFER, Optimizer, ParamGroup, check_non_negative


class SGD(Optimizer):
    """SGD exactly as `torch.optim.SGD`: for each parameter with a grad g,

    g <- -g if maximize;  g <- g + weight_decay * p
    if momentum: b <- g on the first step, else b <- momentum * b + (1 - dampening) * g
                 g <- g + momentum * b if nesterov else b
    p <- p - lr * g
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[ParamGroup],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        check_non_negative("SGD", "learning rate", group["lr"])
        check_non_negative("SGD", "momentum value", group["momentum"])
        check_non_negative("SGD", "weight_decay value", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise InvalidArgumentError(
                "SGD: nesterov momentum requires momentum > 0 and dampening == 0 "
                f"(got momentum={group['momentum']}, dampening={group['dampening']})"
            )

    def _state_spec(self, group: ParamGroup) -> dict[str, tuple[str, bool]]:
        return {"momentum_buffer": (BUFFER, False)}

    def _update_parameter(
        self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup
    ) -> None:
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.data

        momentum = group["momentum"]
        if momentum != 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = grad.copy()
            else:
                buffer = state["momentum_buffer"]
                buffer *= momentum
                buffer += (1 - group["dampening"]) * grad
            buffer = state["momentum_buffer"]
            grad = grad + momentum * buffer if group["nesterov"] else buffer

        param -= group["lr"] * grad
