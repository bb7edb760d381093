"""The Optimizer base class: parameter groups, per-parameter state, zero_grad, step, state_dict.

Subclasses say how one parameter is updated (`_update_parameter`), or, faster, how a whole group is
(`_update_group`: the built-in optimizers), and which hyperparameter values they accept
(`_check_hyperparameters`); everything else follows `torch.optim.Optimizer`. Adam/AdamW and momentum
SGD keep a group's state buffers in one flat array per key (`FlatStates`; state entries are views).
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError
from autograd_core.tape import replayable
from autograd_core.tensor import _bump_version as bump_version
from autograd_core.tensor import is_floating_dtype

from . import replay_plans

ParamGroup = dict[str, Any]
StateDict = dict[str, Any]

STEP = "step"
BUFFER = "buffer"
_FLAGS = ("nesterov", "amsgrad", "maximize", "centered")


class Optimizer:
    """Base class of all optimizers: updates `param.data` in place from `param.grad`, group by group.

    `params` is an iterable of Tensors, or of dicts (parameter groups) each holding a 'params' list
    and optional per-group hyperparameters that override `defaults`.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[ParamGroup], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise DTypeError(
                f"{name}: params must be an iterable of Tensors or dicts, got a single Tensor "
                "(wrap it in a list)"
            )
        if isinstance(params, (set, frozenset)):
            raise InvalidArgumentError(
                f"{name}: params must be an ordered collection (list or tuple), not a set: "
                "set order changes between runs"
            )
        self.defaults = dict(defaults)
        self._validate_group(self.defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[ParamGroup] = []
        self._step_count = 0
        self._flat_cache: dict[int, FlatStates] = {}

        groups = list(params)
        if len(groups) == 0:
            raise InvalidArgumentError(f"{name}: optimizer got an empty parameter list")
        if all(isinstance(group, dict) for group in groups):
            for group in groups:
                self.add_param_group(group)
        elif any(isinstance(group, dict) for group in groups):
            raise DTypeError(f"{name}: params must be all Tensors or all dicts (parameter groups), not a mix")
        else:
            self.add_param_group({"params": groups})

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines.extend(f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params")
        lines.append(")")
        return "\n".join(lines)

    def _check_hyperparameters(self, group: ParamGroup) -> None:
        """Raise InvalidArgumentError if a hyperparameter in `group` has a value the update cannot use."""

    def _validate_group(self, group: ParamGroup) -> None:
        """The boolean flags must be bools (a string 'False' would be truthy), then the subclass' checks."""
        for flag in _FLAGS:
            if flag in group and not isinstance(group[flag], (bool, np.bool_)):
                raise DTypeError(f"{type(self).__name__}: {flag} must be a bool, got {group[flag]!r}")
        self._check_hyperparameters(group)

    def _state_spec(self, group: ParamGroup) -> dict[str, tuple[str, bool]]:
        """The per-parameter state this optimizer reads: key -> (STEP or BUFFER, required).

        STEP is a count (a non-negative real number), BUFFER an array of the parameter's shape and dtype.
        `step()` and `load_state_dict()` check every parameter's state against it before changing anything.
        """
        return {}

    def _check_state(self, where: str, param: Tensor, state: Any, group: ParamGroup,
                     spec: dict[str, tuple[str, bool]] | None = None) -> None:
        """Raise a typed error naming `where` (e.g. 'state of parameter 2') if `state` cannot be used.

        `spec` is `_state_spec(group)`, passed in by `step()` so it is built once per group."""
        if spec is None:
            spec = self._state_spec(group)
        if type(state) is dict:
            shape, dtype = param.data.shape, param.data.dtype
            for key, (kind, required) in spec.items():  # fast path: everything as step() leaves it
                value = state.get(key)
                if value is None and not required and key not in state:
                    continue
                if kind == STEP:
                    if type(value) is int and value >= 0:
                        continue
                elif type(value) is np.ndarray and value.shape == shape and value.dtype == dtype:
                    continue
                break
            else:
                return
        self._explain_bad_state(where, param, state, spec)

    def _explain_bad_state(self, where: str, param: Tensor, state: Any,
                           spec: dict[str, tuple[str, bool]]) -> None:
        name = type(self).__name__
        if not isinstance(state, dict):
            raise DTypeError(f"{name}: {where} must be a dict, got {type(state).__name__}")
        for key, (kind, required) in spec.items():
            if key not in state:
                if required:
                    raise InvalidArgumentError(f"{name}: {where} (shape {param.shape}) lacks {key!r}")
                continue
            value = state[key]
            if kind == STEP:
                if isinstance(value, np.ndarray) and value.shape == ():
                    value = value.item()
                if (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
                        or not math.isfinite(value) or value < 0):
                    raise InvalidArgumentError(f"{name}: {where}: {key!r} is {value!r}, expected a "
                                               "non-negative number")
            elif not isinstance(value, np.ndarray):
                raise DTypeError(f"{name}: {where}: {key!r} is a {type(value).__name__}, expected an array "
                                 f"of shape {param.shape}")
            elif value.shape != param.data.shape:
                raise ShapeError(f"{name}: {where}: {key!r} has shape {value.shape}, its parameter has "
                                 f"shape {param.data.shape}")
            elif value.dtype != param.data.dtype:
                raise DTypeError(f"{name}: {where}: {key!r} has dtype {value.dtype}, its parameter has "
                                 f"dtype {param.data.dtype}")

    def _update_parameter(
        self, param: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup
    ) -> None:
        """Update `param` in place from `grad` (same shape and dtype); `state` is this param's state.

        Runs under no_grad; write the parameter with Tensor in-place ops (`param -= update`), which
        keep `param.data` the same array and bump its version counter like PyTorch's in-place ops.
        """
        raise NotImplementedError

    def _initial_state(self, param: Tensor, group: ParamGroup) -> dict[str, Any]:
        """The state a parameter starts with before its first update (zeros buffers, step 0...)."""
        return {}

    def add_param_group(self, param_group: ParamGroup) -> None:
        """Add a group of parameters (a dict with 'params' and optional hyperparameter overrides).

        Useful to start training layers that were frozen; everything is checked before the group is added.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise DTypeError(f"{name}: a param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise InvalidArgumentError(f"{name}: a param_group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise InvalidArgumentError(
                f"{name}: params must be an ordered collection (list or tuple), not a set: "
                "set order changes between runs"
            )
        else:
            params = list(params)

        for index, param in enumerate(params):
            _check_is_optimizable(name, index, param)
        seen_in_group: set[int] = set()
        for index, param in enumerate(params):
            if id(param) in seen_in_group:
                raise InvalidArgumentError(
                    f"{name}: parameter {index} (shape {param.shape}) "
                    "appears twice in the same parameter group"
                )
            seen_in_group.add(id(param))
        already_optimized = {id(param) for group in self.param_groups for param in group["params"]}
        if already_optimized & seen_in_group:
            raise InvalidArgumentError(f"{name}: some parameters appear in more than one parameter group")

        group = dict(param_group)
        group["params"] = params
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._validate_group(group)
        self.param_groups.append(group)

    @replayable
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters: to None (default) or to zeros in place.

        In place, each grad array is filled with zeros by one numpy call and its version counter is
        bumped: what `grad.zero_()` under no_grad does, without its per-call dispatch."""
        for group in self.param_groups:
            for param in group["params"]:
                grad = param.grad
                if grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                elif type(grad) is Tensor and grad.data.flags.writeable:
                    grad.data.fill(0)
                    bump_version(grad)
                else:
                    with ag.no_grad():
                        grad.zero_()

    @replayable(plan=replay_plans.step_plan)
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a grad; returns the closure's loss (or None).

        `closure` re-evaluates the model and returns the loss; it runs with grad enabled before the update.
        All grads, hyperparameters and per-parameter state (also what load_state_dict brought in) are
        checked first, so a failing step changes nothing. Parameters whose grad is None are skipped.
        """
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()

        updates = self._collect_updates()
        with ag.no_grad():
            for group, params, grads, states in updates:
                if params:
                    self._update_group(group, params, grads, states)
        self._step_count += 1
        return loss

    def _collect_updates(self) -> list[tuple[ParamGroup, list[Tensor], list[np.ndarray], list[Any]]]:
        """Check every group's hyperparameters and every (param, grad, state) triple before anything
        is written; per group, the params that have a grad, their grad arrays and their states (None
        for a param not updated yet). The checks in the loop are the cheap ones that pass when
        everything is as `step()` left it; only a mismatch calls the explaining (raising) checks."""
        updates = []
        state_of = self.state
        index = -1
        for group in self.param_groups:
            self._validate_group(group)
            spec = None
            params: list[Tensor] = []
            grads: list[np.ndarray] = []
            states: list[Any] = []
            for param in group["params"]:
                index += 1
                grad = param.grad
                if grad is None:
                    continue
                grad = grad.data if type(grad) is Tensor else _grad_array(param)
                data = param.data
                if grad.shape != data.shape or grad.dtype != data.dtype:
                    self._check_grad_matches(param, grad)
                state = state_of.get(param)
                if state is not None:
                    if spec is None:
                        spec = self._state_spec(group)
                    if not _state_looks_fresh(state, data, spec):
                        self._check_state(f"state of parameter {index}", param, state, group, spec)
                params.append(param)
                grads.append(grad)
                states.append(state)
            updates.append((group, params, grads, states))
        return updates

    def _update_group(self, group: ParamGroup, params: list[Tensor], grads: list[np.ndarray],
                      states: list[Any]) -> None:
        """Update the (already checked) params of one group from their grads; `states[i]` is params[i]'s
        state, or None before its first update. Runs under no_grad.

        The default calls `_update_parameter` once per parameter (the simple way to write a new
        optimizer); the built-in optimizers override it with one loop of numpy calls per group
        that write `param.data` in place and bump the version counter (`bump_version`) once per
        in-place write, as the Tensor in-place ops would, without their per-call checks."""
        for param, grad, state in zip(params, grads, states, strict=True):
            if state is None:
                state = self._initial_state(param, group)
            self._update_parameter(param, grad, state, group)
            if state:
                self.state[param] = state

    def _check_grad_matches(self, param: Tensor, grad: np.ndarray) -> None:
        name = type(self).__name__
        if grad.shape != param.data.shape:
            raise ShapeError(
                f"{name}: grad of shape {grad.shape} does not match its parameter's shape {param.data.shape}"
            )
        if grad.dtype != param.data.dtype:
            raise DTypeError(
                f"{name}: grad of dtype {grad.dtype} does not match its parameter's dtype {param.data.dtype}"
            )

    def state_dict(self) -> StateDict:
        """A snapshot of the optimizer in PyTorch's layout, with parameters replaced by their indices.

        {'state': {index: {name: ndarray or number}},
         'param_groups': [{hyperparameters..., 'params': [indices]}]}.
        Arrays are copies, so later steps do not change a saved snapshot.
        """
        index_of: dict[int, int] = {}
        packed_groups = []
        for group in self.param_groups:
            packed = {key: copy.deepcopy(value) for key, value in group.items() if key != "params"}
            packed["params"] = []
            for param in group["params"]:
                index_of[id(param)] = len(index_of)
                packed["params"].append(index_of[id(param)])
            packed_groups.append(packed)
        packed_state = {index_of[id(param)]: copy.deepcopy(state) for param, state in self.state.items()}
        return {"state": packed_state, "param_groups": packed_groups}

    def load_state_dict(self, state_dict: StateDict) -> None:
        """Restore a snapshot made by `state_dict()` on an optimizer over parameters of the same shapes.

        Hyperparameters come from the snapshot; state arrays are copied in the parameters' dtypes.
        Everything is checked before anything is replaced.
        """
        name = type(self).__name__
        _check_state_dict_layout(name, state_dict)
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise InvalidArgumentError(
                f"{name}: loaded state dict has {len(saved_groups)} parameter groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
        for index, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise InvalidArgumentError(
                    f"{name}: loaded parameter group {index} has {len(saved['params'])} parameters, "
                    f"the optimizer's has {len(group['params'])}"
                )
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise InvalidArgumentError(
                    f"{name}: loaded parameter group {index} lacks hyperparameters {missing} "
                    "(was it saved by another kind of optimizer?)"
                )

        param_of_index = {
            saved_index: param
            for saved, group in zip(saved_groups, self.param_groups, strict=True)
            for saved_index, param in zip(saved["params"], group["params"], strict=True)
        }
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            new_group = copy.deepcopy({key: value for key, value in saved.items() if key != "params"})
            new_group["params"] = group["params"]
            self._validate_group(new_group)
            new_groups.append(new_group)
        group_of_index = {
            saved_index: new_group
            for saved, new_group in zip(saved_groups, new_groups, strict=True)
            for saved_index in saved["params"]
        }

        new_state = {}
        for saved_index, saved_state in state_dict["state"].items():
            if saved_index not in param_of_index:
                raise InvalidArgumentError(
                    f"{name}: loaded state refers to unknown parameter index {saved_index!r}"
                )
            param = param_of_index[saved_index]
            where = f"loaded state of parameter {saved_index}"
            if not isinstance(saved_state, Mapping):
                raise DTypeError(f"{name}: {where} must be a dict, got {type(saved_state).__name__}")
            new_state[param] = {
                key: _state_value_for(name, param, key, value) for key, value in saved_state.items()
            }
            self._check_state(where, param, new_state[param], group_of_index[saved_index])

        self.param_groups = new_groups
        self.state = new_state
        self._flat_cache = {}  # the flat state buffers are gathered again from the loaded state


def _check_state_dict_layout(optimizer_name: str, state_dict: Any) -> None:
    """The outer layout made by `state_dict()`: {'state': {int: dict}, 'param_groups': [{'params': ...}]}."""
    where = f"{optimizer_name}.load_state_dict"
    if not isinstance(state_dict, Mapping):
        raise DTypeError(f"{where}: expected a dict made by state_dict(), got {type(state_dict).__name__}")
    missing = [key for key in ("state", "param_groups") if key not in state_dict]
    if missing:
        raise InvalidArgumentError(f"{where}: the state dict lacks {' and '.join(map(repr, missing))} "
                                   "(expected {'state': {...}, 'param_groups': [...]} as made by "
                                   "state_dict())")
    if not isinstance(state_dict["state"], Mapping):
        raise DTypeError(f"{where}: 'state' must be a dict index -> state, got "
                         f"{type(state_dict['state']).__name__}")
    groups = state_dict["param_groups"]
    if not isinstance(groups, (list, tuple)):
        raise DTypeError(f"{where}: 'param_groups' must be a list, got {type(groups).__name__}")
    for index, group in enumerate(groups):
        if not isinstance(group, Mapping) or "params" not in group:
            raise InvalidArgumentError(f"{where}: param_groups[{index}] must be a dict with a 'params' list")
        params = group["params"]
        if not isinstance(params, (list, tuple)) or not all(
                isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in params):
            raise DTypeError(f"{where}: param_groups[{index}]['params'] must be a list of parameter indices, "
                             f"got {params!r}")


def _check_is_optimizable(optimizer_name: str, index: int, param: Any) -> None:
    if not isinstance(param, Tensor):
        raise DTypeError(
            f"{optimizer_name}: optimizer can only optimize Tensors, but parameter {index} is a "
            f"{type(param).__module__}.{type(param).__qualname__}"
        )
    if not is_floating_dtype(param.data.dtype):
        raise DTypeError(
            f"{optimizer_name}: parameter {index} has dtype {param.data.dtype}; "
            "only floating tensors can be optimized"
        )
    if not param.is_leaf:
        raise InvalidArgumentError(
            f"{optimizer_name}: can't optimize a non-leaf Tensor (parameter {index}, the result of an op)"
        )


# ---- per-group flat state buffers -------------------------------------------------------

class FlatStates:
    """The state buffers (e.g. Adam's exp_avg, exp_avg_sq) of a group's parameters, one 1-D array per
    key holding every parameter's buffer back to back; each `state[key]` is a view into it. An
    elementwise update then costs one numpy call per operation for all parameters together.

    `spans[i]` = (start, stop, shape) of params[i]; `views[key][i]` is what `state[key]` must still be
    (`matches`), otherwise the buffers are gathered again (after load_state_dict, or a user's new array)."""

    __slots__ = ("group", "params", "keys", "flats", "views", "spans")

    def __init__(self, group: ParamGroup, params: list[Tensor], states: list[dict[str, Any]],
                 keys: tuple[str, ...]) -> None:
        self.group, self.params, self.keys = group, list(params), keys
        self.spans = []
        start = 0
        for param in params:
            stop = start + param.data.size
            self.spans.append((start, stop, param.data.shape))
            start = stop
        self.flats = {key: np.concatenate([state[key].reshape(-1) for state in states]) for key in keys}
        self.views = {}
        for key in keys:
            flat = self.flats[key]
            views = [flat[start:stop].reshape(shape) for start, stop, shape in self.spans]
            for state, view in zip(states, views, strict=True):
                state[key] = view
            self.views[key] = views

    def matches(self, group: ParamGroup, params: list[Tensor], states: list[dict[str, Any]],
                keys: tuple[str, ...]) -> bool:
        if self.group is not group or self.keys != keys or len(self.params) != len(params):
            return False
        for mine, param in zip(self.params, params, strict=True):
            if mine is not param:
                return False
        for key, views in self.views.items():
            for state, view in zip(states, views, strict=True):
                if state.get(key) is not view:
                    return False
        return True

    def scatter_subtract(self, params: list[Tensor], scale: float, values: np.ndarray) -> None:
        """param.data -= scale * its slice of the flat `values`, in place, bumping each version once.

        Bit-identical to subtracting slices of `scale * values`; when that product would be larger than
        one scratch block, each slice is scaled block by block instead (subtract_scaled)."""
        if values.size <= SCRATCH_ELEMENTS:
            update = scale * values
            for param, (start, stop, shape) in zip(params, self.spans, strict=True):
                data = param.data
                np.subtract(data, update[start:stop].reshape(shape), out=data)
                bump_version(param)
            return
        for param, (start, stop, shape) in zip(params, self.spans, strict=True):
            subtract_scaled(param.data, scale, values[start:stop].reshape(shape))
            bump_version(param)


SCRATCH_ELEMENTS = 1 << 16
"""Block size of subtract_scaled: 256 KiB of float32, small enough to stay in cache."""


def subtract_scaled(data: np.ndarray, scale: float, values: np.ndarray) -> None:
    """data -= scale * values in place, bit-identical to `np.subtract(data, scale * values, out=data)`.

    Above SCRATCH_ELEMENTS elements the product is formed block by block in one small scratch buffer
    (the same two elementwise operations, so the same rounding) instead of as a temporary as large as
    the parameter, which would be made while every gradient of the step is alive (torch's
    `p.add_(g, alpha=-lr)` makes none either). Other cases (a numpy scalar or tensor scale, whose dtype
    may change the arithmetic; mixed dtypes; non-contiguous arrays) keep the one call."""
    size = values.size
    if (size <= SCRATCH_ELEMENTS or type(scale) not in (float, int) or values.dtype != data.dtype
            or not data.flags.c_contiguous or not values.flags.c_contiguous):
        np.subtract(data, scale * values, out=data)
        return
    flat_data, flat_values = data.reshape(-1), values.reshape(-1)
    scratch = np.empty(SCRATCH_ELEMENTS, dtype=data.dtype)
    for start in range(0, size, SCRATCH_ELEMENTS):
        stop = min(start + SCRATCH_ELEMENTS, size)
        block = scratch[:stop - start]
        np.multiply(flat_values[start:stop], scale, out=block)
        target = flat_data[start:stop]
        np.subtract(target, block, out=target)


def flat_states(optimizer: Optimizer, group: ParamGroup, params: list[Tensor], grads: list[np.ndarray],
                states: list[Any], keys: tuple[str, ...]) -> FlatStates | None:
    """The group's FlatStates when a flat update applies: at least two params, all of one dtype, all
    with a state holding `keys` and the same int step count; None means: update param by param."""
    if len(params) < 2:
        return None
    dtype = grads[0].dtype
    step = None
    for grad, state in zip(grads, states, strict=True):
        if state is None or grad.dtype != dtype:
            return None
        count = state.get("step", 0)
        if type(count) is not int or (step is not None and count != step):
            return None
        step = count
        for key in keys:
            if key not in state:
                return None
    caches = optimizer.__dict__.setdefault("_flat_cache", {})
    cache = caches.get(id(group))
    if cache is None or not cache.matches(group, params, states, keys):
        cache = caches[id(group)] = FlatStates(group, params, states, keys)
    return cache


def _state_looks_fresh(state: Any, data: np.ndarray, spec: dict[str, tuple[str, bool]]) -> bool:
    """True when `state` is as `step()` leaves it for a parameter whose array is `data`: a dict whose
    STEP entries are non-negative ints and whose BUFFER entries are arrays of data's shape and dtype
    (optional entries may be absent). False means: let `_check_state` explain (or accept) it."""
    if type(state) is not dict:
        return False
    shape, dtype = data.shape, data.dtype
    for key, (kind, required) in spec.items():
        value = state.get(key)
        if value is None:
            if required or key in state:
                return False
        elif kind == STEP:
            if type(value) is not int or value < 0:
                return False
        elif type(value) is not np.ndarray or value.shape != shape or value.dtype != dtype:
            return False
    return True


def _grad_array(param: Tensor) -> np.ndarray:
    grad = param.grad
    return grad.data if isinstance(grad, Tensor) else np.asarray(grad)


def _state_value_for(optimizer_name: str, param: Tensor, key: str, value: Any) -> Any:
    """A copy of a loaded state value; arrays are cast to the parameter's dtype and shape-checked."""
    if isinstance(value, np.ndarray):
        if value.shape != param.data.shape:
            raise ShapeError(
                f"{optimizer_name}: loaded state {key!r} has shape {value.shape}, "
                f"its parameter has shape {param.data.shape}"
            )
        return value.astype(param.data.dtype, copy=True)
    return copy.deepcopy(value)


def check_non_negative(optimizer_name: str, description: str, value: Any) -> None:
    """Raise InvalidArgumentError unless `value` is a real number >= 0 (NaN is rejected too)."""
    if type(value) is float or type(value) is int:  # the common case, without the ABC check
        if value >= 0:
            return
    elif isinstance(value, numbers.Real) and value >= 0:
        return
    raise InvalidArgumentError(f"{optimizer_name}: invalid {description} {value!r} (must be >= 0)")


def check_beta(optimizer_name: str, description: str, value: Any) -> None:
    """Raise InvalidArgumentError unless 0 <= value < 1."""
    if type(value) is float or type(value) is int:
        if 0 <= value < 1:
            return
    elif isinstance(value, numbers.Real) and 0 <= value < 1:
        return
    raise InvalidArgumentError(f"{optimizer_name}: invalid {description} {value!r} (must be in [0, 1))")
