"""numpy functions applied to Tensors: mapped to the recorded op, or a clear error (never a silent
drop of the graph). `np.exp(t)`, `ndarray + t`, `np.sum(t, axis=0)` all return recorded Tensors."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import ops
from .errors import UnsupportedError

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
    np.outer: lambda a, b: ops.outer(ops.reshape(a, (-1,)), ops.reshape(b, (-1,))),  # flattens
    np.einsum: ops.einsum, np.clip: ops.clip, np.argmax: ops.argmax,
    np.argmin: ops.argmin,
    np.take_along_axis: lambda x, index, axis: ops.take_along_axis(x, index, axis),
    np.moveaxis: ops.moveaxis, np.shape: lambda x: x.shape, np.ndim: lambda x: x.ndim,
    np.size: lambda x: x.size, np.zeros_like: ops.zeros_like, np.ones_like: ops.ones_like,
}


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """Tensor.__array_ufunc__: ufunc calls become the matching recorded op."""
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
