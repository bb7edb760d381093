"""Stochastic gradient descent with optional momentum, Nesterov momentum, dampening and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor
from autograd_core.errors import InvalidArgumentError

from .optimizer import (BUFFER, SCRATCH_ELEMENTS, FlatStates, Optimizer, ParamGroup, bump_version,
                        check_non_negative, flat_states, subtract_scaled)


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

    def _update_group(self, group: ParamGroup, params: list[Tensor], grads: list[np.ndarray],
                      states: list[Any]) -> None:
        """The update above for each param of the group: the same numpy expressions as one
        parameter at a time (so the same rounding), with the hyperparameters read once."""
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        if momentum != 0:
            flat = flat_states(self, group, params, grads, states, ("momentum_buffer",))
            if flat is not None:
                self._update_flat(group, flat, params, grads)
                return
        state_of = self.state
        for param, grad, state in zip(params, grads, states, strict=True):
            data = param.data
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad + weight_decay * data
            if momentum != 0:
                if state is None:
                    state = state_of[param] = {}
                buffer = state.get("momentum_buffer")
                if buffer is None:
                    buffer = state["momentum_buffer"] = grad.copy()
                else:
                    buffer *= momentum
                    buffer += (1 - dampening) * grad
                grad = grad + momentum * buffer if nesterov else buffer
            if grad.size > SCRATCH_ELEMENTS:
                subtract_scaled(data, lr, grad)
            else:
                np.subtract(data, lr * grad, out=data)
            bump_version(param)

    def _update_flat(self, group: ParamGroup, flat: FlatStates, params: list[Tensor],
                     grads: list[np.ndarray]) -> None:
        """Momentum SGD on all params at once: grads (and, for weight decay, params) gathered into one
        1-D array, the momentum buffers updated in their flat buffer, each param written with one
        subtract. Elementwise the same operations as param by param, so bit-identical."""
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        grad = np.concatenate([g.reshape(-1) for g in grads])
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * np.concatenate([p.data.reshape(-1) for p in params])
        buffer = flat.flats["momentum_buffer"]
        buffer *= momentum
        buffer += (1 - group["dampening"]) * grad
        grad = grad + momentum * buffer if group["nesterov"] else buffer
        flat.scatter_subtract(params, lr, grad)
