"""numpy functions applied to Tensors: mapped to the recorded op, or a clear error (never a silent
drop of the graph). `np.exp(t)`, `ndarray + t`, `np.sum(t, axis=0)` all return recorded Tensors."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import ops
from .errors import UnsupportedError
from .tensor import Tensor

UFUNCS: dict[np.ufunc, Callable] = {
    np.add: ops.add, np.subtract: ops.sub, np.multiply: ops.mul, np.true_divide: ops.div,
    np.power: ops.pow, np.negative: ops.neg, np.exp: ops.exp, np.log: ops.log,
    np.log1p: ops.log1p, np.expm1: ops.expm1, np.sqrt: ops.sqrt, np.sin: ops.sin, np.cos: ops.cos,
    np.tan: ops.tan, np.tanh: ops.tanh, np.absolute: ops.abs, np.maximum: ops.maximum,
    np.minimum: ops.minimum, np.matmul: ops.matmul, np.square: ops.square, np.sign: ops.sign,
    np.less: ops.lt, np.less_equal: ops.le, np.greater: ops.gt, np.greater_equal: ops.ge,
    np.equal: ops.eq, np.not_equal: ops.ne, np.logical_and: ops.logical_and,
    np.logical_or: ops.logical_or, np.logical_not: ops.logical_not, np.isfinite: ops.isfinite,
}

FUNCTIONS: dict[Callable, Callable] = {
    np.sum: ops.sum, np.mean: ops.mean, np.var: lambda x, axis=None, keepdims=False, ddof=0:
    ops.var(x, axis, keepdims, ddof), np.std: lambda x, axis=None, keepdims=False, ddof=0:
    ops.std(x, axis, keepdims, ddof), np.max: ops.max, np.amax: ops.max, np.min: ops.min,
    np.amin: ops.min, np.prod: ops.prod, np.reshape: ops.reshape, np.transpose: ops.transpose,
    np.swapaxes: ops.swapaxes, np.expand_dims: ops.expand_dims, np.squeeze: ops.squeeze,
    np.broadcast_to: ops.broadcast_to, np.concatenate: ops.concatenate, np.stack: ops.stack,
    np.split: ops.split, np.pad: ops.pad, np.where: ops.where, np.dot: ops.dot,
    np.outer: ops.outer, np.einsum: ops.einsum, np.clip: ops.clip, np.argmax: ops.argmax,
    np.argmin: ops.argmin, np.take_along_axis: lambda x, index, axis: ops.gather(x, axis, index),
    np.moveaxis: ops.moveaxis, np.shape: lambda x: x.shape, np.ndim: lambda x: x.ndim,
    np.size: lambda x: x.size, np.zeros_like: ops.zeros_like, np.ones_like: ops.ones_like,
}


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """Tensor.__array_ufunc__: ufunc calls become the matching recorded op. With `out=` numpy
    arrays (what `array += tensor` does, e.g. micrograd's `p.data += -lr * p.grad`), the result is
    written into those arrays and returned, and nothing is recorded, as for any `.data` write."""
    out = kwargs.get("out")
    if method == "__call__" and out is not None and all(type(o) is np.ndarray for o in out):
        return _into_arrays(ufunc, inputs, kwargs)
    fn = UFUNCS.get(ufunc)
    if method != "__call__" or fn is None or kwargs.get("out") is not None or (
            set(kwargs) - {"out"}):
        raise UnsupportedError(
            f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method} is not supported on "
            "autograd_core Tensors (it would drop the graph); use the autograd_core function or "
            "call it on tensor.data / tensor.detach().numpy()")
    return fn(*inputs)


def array_function(func: Callable, args: tuple, kwargs: dict) -> Any:
    """Tensor.__array_function__: numpy functions become the matching recorded op."""
    fn = FUNCTIONS.get(func)
    if fn is None:
        raise UnsupportedError(
            f"numpy.{func.__name__} is not supported on autograd_core Tensors (it would drop the "
            "graph); use the autograd_core function, or call it on tensor.detach().numpy()")
    return fn(*args, **kwargs)


def _into_arrays(ufunc: np.ufunc, inputs: tuple, kwargs: dict) -> Any:
    """A ufunc with numpy output arrays: plain numpy on the tensors' arrays. Refused when an
    operand would need a gradient (the graph would be dropped silently)."""
    from .mode import is_grad_enabled

    if is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise UnsupportedError(
            f"numpy.{ufunc.__name__} with out= arrays is not supported on autograd_core Tensors "
            "that require grad (the graph would be dropped); use .detach() (or .data) on them, or "
            "run under no_grad()")
    arrays = tuple(x.data if isinstance(x, Tensor) else x for x in inputs)
    result = ufunc(*arrays, **kwargs)
    return result
