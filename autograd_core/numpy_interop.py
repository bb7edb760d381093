"""numpy functions applied to Tensors: mapped to the recorded op, or a clear error (never a silent
drop of the graph). `np.exp(t)`, `ndarray + t`, `np.sum(t, axis=0)` all return recorded Tensors."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import ops
from .errors import ShapeError, UnsupportedError
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
    np.remainder: ops.remainder, np.fmod: ops.fmod, np.floor_divide: ops.floor_divide,
    np.bitwise_and: ops.bitwise_and, np.bitwise_or: ops.bitwise_or, np.bitwise_xor: ops.bitwise_xor,
    np.invert: ops.bitwise_not, np.left_shift: ops.bitwise_left_shift,
    np.right_shift: ops.bitwise_right_shift,
}

def _numpy_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """numpy.split's meaning (N equal sections, or the cut indices), not torch.split's."""
    x = ops._tensor(x)
    if isinstance(indices_or_sections, (int, np.integer)):
        length = x.shape[ops._dim(axis, x.ndim, "split", x.shape)]
        if indices_or_sections <= 0 or length % indices_or_sections:
            raise ShapeError(f"split: axis {axis} of size {length} cannot be split into "
                             f"{indices_or_sections} equal sections (shape {x.shape})")
    return list(ops.tensor_split(x, indices_or_sections, axis))


def _numpy_array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    return list(ops.tensor_split(x, indices_or_sections, axis))


def _numpy_transpose(x: Any, axes: Any = None) -> Any:
    """numpy.transpose: `axes` is a permutation (all reversed when None)."""
    return ops.transpose(x) if axes is None else ops.permute(x, tuple(axes))


def _numpy_squeeze(x: Any, axis: Any = None) -> Any:
    """numpy.squeeze raises for a listed axis whose size is not 1 (torch leaves it)."""
    x = ops._tensor(x)
    if axis is not None:
        for a in ops._dims(axis, x.ndim, "squeeze", x.shape):
            if x.shape[a] != 1:
                raise ShapeError(f"squeeze: cannot select an axis to squeeze out which has size "
                                 f"not equal to one (axis {a}, shape {x.shape})")
    return ops.squeeze(x, axis)


def _numpy_extremum(fn: Callable) -> Callable:
    def reduce(x: Any, axis: Any = None, out: Any = None, keepdims: bool = False, **kwargs: Any):
        if out is not None or kwargs:
            raise UnsupportedError(f"numpy.{fn.__name__}: out= and {sorted(kwargs)} are not "
                                   "supported on autograd_core Tensors")
        return fn(x, axis=axis, keepdims=keepdims)

    return reduce


def _numpy_arg_extremum(fn: Callable) -> Callable:
    def reduce(x: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False):
        return fn(x, axis, keepdims)

    return reduce


FUNCTIONS: dict[Callable, Callable] = {
    np.sum: ops.sum, np.mean: ops.mean, np.var: lambda x, axis=None, keepdims=False, ddof=0:
    ops.var(x, axis, keepdims, ddof), np.std: lambda x, axis=None, keepdims=False, ddof=0:
    ops.std(x, axis, keepdims, ddof), np.max: _numpy_extremum(ops.amax),
    np.amax: _numpy_extremum(ops.amax), np.min: _numpy_extremum(ops.amin),
    np.amin: _numpy_extremum(ops.amin), np.prod: ops.prod, np.reshape: ops.reshape,
    np.transpose: _numpy_transpose, np.array_split: _numpy_array_split,
    np.swapaxes: ops.swapaxes, np.expand_dims: ops.expand_dims, np.squeeze: _numpy_squeeze,
    np.broadcast_to: ops.broadcast_to, np.concatenate: ops.concatenate, np.stack: ops.stack,
    np.split: _numpy_split, np.pad: ops.pad, np.where: ops.where, np.dot: ops.dot,
    np.outer: lambda a, b: ops.outer(ops.reshape(a, (-1,)), ops.reshape(b, (-1,))),  # flattens
    np.einsum: ops.einsum, np.clip: ops.clip,
    np.argmax: _numpy_arg_extremum(ops.argmax), np.argmin: _numpy_arg_extremum(ops.argmin),
    np.take_along_axis: lambda x, index, axis: ops.take_along_axis(x, index, axis),
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
