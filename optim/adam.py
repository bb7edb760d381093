"""Adam and AdamW: Adam with L2 weight decay added to the gradient, or decoupled (decay the weights)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor
from autograd_core.errors import InvalidArgumentError

from .optimizer import (BUFFER, STEP, FlatStates, Optimizer, ParamGroup, bump_version, check_beta,
                        check_non_negative, flat_states, subtract_scaled)


class Adam(Optimizer):
    """Adam exactly as `torch.optim.Adam`: for each parameter with a grad g, at step t,

    g <- -g if maximize;  g <- g + weight_decay * p
    m <- beta1 * m + (1 - beta1) * g;   v <- beta2 * v + (1 - beta2) * g^2
    (amsgrad: v_max <- max(v_max, v), used instead of v below)
    denom = sqrt(v) / sqrt(1 - beta2^t) + eps;   p <- p - lr / (1 - beta1^t) * m / denom
    """

    _decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[ParamGroup],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        name = type(self).__name__
        check_non_negative(name, "learning rate", group["lr"])
        check_non_negative(name, "epsilon value", group["eps"])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise InvalidArgumentError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        check_beta(name, "beta parameter at index 0:", betas[0])
        check_beta(name, "beta parameter at index 1:", betas[1])
        check_non_negative(name, "weight_decay value", group["weight_decay"])

    def _state_spec(self, group: ParamGroup) -> dict[str, tuple[str, bool]]:
        return {"step": (STEP, True), "exp_avg": (BUFFER, True), "exp_avg_sq": (BUFFER, True),
                "max_exp_avg_sq": (BUFFER, False)}

    def _initial_state(self, param: Tensor, group: ParamGroup) -> dict[str, Any]:
        state = {
            "step": 0,
            "exp_avg": np.zeros_like(param.data),
            "exp_avg_sq": np.zeros_like(param.data),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param.data)
        return state

    def _update_group(self, group: ParamGroup, params: list[Tensor], grads: list[np.ndarray],
                      states: list[Any]) -> None:
        """The update above for each param of the group: the same numpy expressions as one
        parameter at a time (so the same rounding), with the hyperparameters read once and the
        bias corrections computed once per distinct step count."""
        lr, weight_decay, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = self._decoupled_weight_decay
        if amsgrad:
            for state in states:
                if state is not None and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = np.zeros_like(state["exp_avg"])
        keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if amsgrad else ("exp_avg", "exp_avg_sq")
        flat = flat_states(self, group, params, grads, states, keys)
        if flat is not None:
            self._update_flat(group, flat, params, grads, states)
            return
        state_of = self.state
        corrections_step = None
        step_size = root_bias_correction2 = 0.0
        for param, grad, state in zip(params, grads, states, strict=True):
            data = param.data
            if maximize:
                grad = -grad
            if state is None:
                state = state_of[param] = self._initial_state(param, group)
            step = state["step"] = state["step"] + 1

            if weight_decay != 0:
                if decoupled:
                    np.multiply(data, 1 - lr * weight_decay, out=data)
                    bump_version(param)
                else:
                    grad = grad + weight_decay * data

            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg *= beta1
            exp_avg += (1 - beta1) * grad
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * grad * grad

            if step != corrections_step:
                corrections_step = step
                step_size = lr / (1 - beta1**step)
                root_bias_correction2 = (1 - beta2**step) ** 0.5
            if amsgrad:
                max_exp_avg_sq = state.get("max_exp_avg_sq")
                if max_exp_avg_sq is None:
                    max_exp_avg_sq = state["max_exp_avg_sq"] = np.zeros_like(data)
                np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                second_moment = max_exp_avg_sq
            else:
                second_moment = exp_avg_sq
            step_direction = _step_direction(exp_avg, second_moment, root_bias_correction2, eps)
            subtract_scaled(data, step_size, step_direction)
            bump_version(param)

    def _update_flat(self, group: ParamGroup, flat: FlatStates, params: list[Tensor],
                     grads: list[np.ndarray], states: list[dict[str, Any]]) -> None:
        """The same update on all params at once: grads (and, for L2 decay, params) gathered into one
        1-D array, the moments updated in their flat buffers, each param written with one subtract.
        Elementwise the same operations on the same values as param by param, so bit-identical."""
        lr, weight_decay, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        grad = np.concatenate([g.reshape(-1) for g in grads])
        if group["maximize"]:
            grad = -grad
        step = states[0]["step"] + 1
        for state in states:
            state["step"] = step
        if weight_decay != 0:
            if self._decoupled_weight_decay:
                factor = 1 - lr * weight_decay
                for param in params:
                    np.multiply(param.data, factor, out=param.data)
                    bump_version(param)
            else:
                grad = grad + weight_decay * np.concatenate([p.data.reshape(-1) for p in params])

        exp_avg, exp_avg_sq = flat.flats["exp_avg"], flat.flats["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        step_size = lr / (1 - beta1**step)
        if group["amsgrad"]:
            second_moment = flat.flats["max_exp_avg_sq"]
            np.maximum(second_moment, exp_avg_sq, out=second_moment)
        else:
            second_moment = exp_avg_sq
        step_direction = _step_direction(exp_avg, second_moment, (1 - beta2**step) ** 0.5, eps)
        flat.scatter_subtract(params, step_size, step_direction)


def _step_direction(exp_avg: np.ndarray, second_moment: np.ndarray, root_bias_correction2: float,
                    eps: float) -> np.ndarray:
    """exp_avg / (sqrt(second_moment) / root_bias_correction2 + eps), computed in one new array
    (the same operations in the same order as that expression, so the same rounding). With numpy
    scalars (whose dtype may widen the arithmetic) the expression itself."""
    if type(root_bias_correction2) is not float or type(eps) not in (float, int):
        return exp_avg / (np.sqrt(second_moment) / root_bias_correction2 + eps)
    direction = np.sqrt(second_moment)
    direction /= root_bias_correction2
    direction += eps
    return np.divide(exp_avg, direction, out=direction)


class AdamW(Adam):
    """AdamW exactly as `torch.optim.AdamW`: Adam whose weight decay is decoupled from the gradient,

    p <- p * (1 - lr * weight_decay)   before the Adam update (which then sees the raw gradient).
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[ParamGroup],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
