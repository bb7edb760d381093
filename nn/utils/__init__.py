"""Gradient clipping, flattening parameters to one vector and back, and calling a module with
substituted parameters (torch.nn.utils and torch.func.functional_call)."""

from __future__ import annotations

import contextlib
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

import autograd_core.ops as ops
from autograd_core import Tensor, no_grad
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError
from autograd_core.tape import replayable

from ..module import Module
from ..monitor import TrainingMonitor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters",
           "functional_call", "TrainingMonitor"]


def _parameter_list(parameters: Tensor | Iterable[Tensor], name: str) -> list[Tensor]:
    items = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for item in items:
        if not isinstance(item, Tensor):
            raise DTypeError(f"{name}: expected Tensors, got {type(item).__name__}")
    return items


@replayable
def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Any = None) -> Tensor:
    """Scales all gradients together by max_norm / (total_norm + 1e-6) when that is < 1; returns the
    total norm (of all gradients as one vector) as a 0-d Tensor, before clipping.

    The norm is taken in float64 over all gradients concatenated into one vector (a handful of numpy
    calls however many parameters there are); clipping multiplies each grad array in place."""
    with_grads = [p for p in _parameter_list(parameters, "clip_grad_norm_") if p.grad is not None]
    grads = [p.grad.data for p in with_grads]
    norm_type = float(norm_type)
    if norm_type <= 0:
        raise InvalidArgumentError(f"clip_grad_norm_: norm_type must be positive or inf, got {norm_type}")
    if not grads:
        return Tensor._wrap(np.array(0.0))
    dtype = grads[0].dtype
    flat = np.concatenate([g.reshape(-1) for g in grads], dtype=np.float64)
    np.abs(flat, out=flat)
    if norm_type == float("inf"):
        total = float(np.max(flat)) if flat.size else 0.0
    else:
        if norm_type == 2.0:
            np.square(flat, out=flat)
        elif norm_type != 1.0:
            np.power(flat, norm_type, out=flat)
        total = float(np.sum(flat)) ** (1.0 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise InvalidArgumentError(f"clip_grad_norm_: the total norm of order {norm_type} for gradients is "
                                   f"non-finite ({total}), so it cannot be clipped; pass "
                                   "error_if_nonfinite=False to clip anyway")
    coefficient = float(max_norm) / (total + 1e-6)
    if coefficient < 1:
        typed: dict[np.dtype, np.ndarray] = {}
        for p in with_grads:
            grad = p.grad.data
            factor = typed.get(grad.dtype)
            if factor is None:
                factor = typed[grad.dtype] = np.asarray(coefficient, dtype=grad.dtype)
            if grad.flags.writeable:
                np.multiply(grad, factor, out=grad)
            else:
                p.grad.data = grad * factor
    return Tensor._wrap(np.array(total, dtype=dtype))


@replayable
def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: Any = None) -> None:
    """Clamps every gradient element to [-clip_value, clip_value] in place (one np.clip per grad)."""
    clip_value = float(clip_value)
    for p in _parameter_list(parameters, "clip_grad_value_"):
        if p.grad is not None:
            grad = p.grad.data
            if grad.flags.writeable:
                np.clip(grad, -clip_value, clip_value, out=grad)
            else:
                p.grad.data = np.clip(grad, -clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D Tensor (differentiable)."""
    items = _parameter_list(parameters, "parameters_to_vector")
    if not items:
        raise InvalidArgumentError("parameters_to_vector: expected at least one parameter")
    return ops.concatenate([ops.reshape(p, (-1,)) for p in items])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copies consecutive slices of a 1-D vector into the parameters' data (in place)."""
    if not isinstance(vec, Tensor):
        raise DTypeError(f"vector_to_parameters: expected vec to be a Tensor, got {type(vec).__name__}")
    if vec.ndim != 1:
        raise ShapeError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    items = _parameter_list(parameters, "vector_to_parameters")
    needed = sum(p.size for p in items)
    if vec.size != needed:
        raise ShapeError(f"vector_to_parameters: vec has {vec.size} elements but the {len(items)} parameters "
                         f"hold {needed}")
    offset = 0
    with no_grad():
        for p in items:
            p.copy_(vec.data[offset:offset + p.size].reshape(p.shape))
            offset += p.size


@contextlib.contextmanager
def _substituted(module: Module, tensors: Mapping[str, Any]) -> Iterator[None]:
    """Temporarily replaces the parameters/buffers named in `tensors` (dotted names) by those values."""
    known = module.state_dict(keep_vars=True)
    known.update(dict(module.named_parameters(remove_duplicate=False)))
    unknown = [name for name in tensors if name not in known]
    if unknown:
        names = ", ".join(repr(n) for n in unknown)
        raise InvalidArgumentError(f"functional_call: {type(module).__name__} has no parameter or buffer "
                                   f"named {names}")
    saved = []
    try:
        for name, value in tensors.items():
            owner_path, _, attribute = name.rpartition(".")
            owner = module.get_submodule(owner_path)
            registry = owner._parameters if attribute in owner._parameters else owner._buffers
            saved.append((registry, attribute, registry[attribute]))
            registry[attribute] = value if isinstance(value, Tensor) else Tensor(value)
        yield
    finally:
        for registry, attribute, original in reversed(saved):
            registry[attribute] = original


def functional_call(module: Module, parameters_and_buffers: Mapping[str, Any], args: Any = (),
                    kwargs: Mapping[str, Any] | None = None) -> Any:
    """Calls module(*args, **kwargs) with some parameters/buffers replaced by the given tensors (keyed by
    dotted name), so gradients flow to those tensors; the module is restored afterwards."""
    if not isinstance(args, tuple):
        args = (args,)
    with _substituted(module, parameters_and_buffers):
        return module(*args, **(kwargs or {}))


# ---- seq12: nn.utils.rnn (pad_sequence) ----------------------------------------------------------
from . import rnn  # noqa: E402,F401  (torch.nn.utils.rnn; imported last so the helpers above load first)
