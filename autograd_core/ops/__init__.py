"""The public op functions (`autograd_core.exp(x)`, ...) and the Tensor methods that call them.

Op classes (forward + vjp) live in elementwise, reductions, shape and linalg. This module only
validates arguments, normalises them (axis, shapes, keys) and calls `apply`. It is also the
namespace (`xp`) vjps use when create_graph=True, so every name a vjp calls exists here too.
"""

from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from ..errors import (DTypeError, IndexOutOfRangeError, InvalidArgumentError, ShapeError,
                      UnsupportedError)
from ..graph import Op, apply, apply_nondifferentiable
from ..tensor import Tensor
from . import elementwise as E
from . import linalg as L
from . import reductions as R
from . import shape as S
from .reductions import normalize_axis

_py_abs, _py_max, _py_min, _py_sum, _py_pow = builtins.abs, builtins.max, builtins.min, \
    builtins.sum, builtins.pow


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _axis_arg(axis, dim):
    return dim if axis is None and dim is not None else axis


def _dim_overrides(axis, dim):
    """For ops whose `axis` has a non-None default (softmax, cat, stack, split): PyTorch's `dim=`
    keyword, when given, is the axis."""
    return axis if dim is None else dim


# ---- arithmetic ---------------------------------------------------------------------------------

def add(a: Any, b: Any) -> Tensor:
    """a + b with broadcasting."""
    return apply(E.Add, (a, b))


def sub(a: Any, b: Any) -> Tensor:
    """a - b with broadcasting."""
    return apply(E.Sub, (a, b))


subtract = sub


def mul(a: Any, b: Any) -> Tensor:
    """a * b with broadcasting."""
    return apply(E.Mul, (a, b))


multiply = mul


def div(a: Any, b: Any) -> Tensor:
    """a / b with broadcasting (true division)."""
    return apply(E.Div, (a, b))


divide = true_divide = div


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 (numpy/PyTorch name)
    """a ** b with broadcasting."""
    return apply(E.Pow, (a, b))


power = pow


def neg(x: Any) -> Tensor:
    return apply(E.Neg, (_tensor(x),))


negative = neg


def _unary(op):
    def fn(x: Any) -> Tensor:
        return apply(op, (x if isinstance(x, Tensor) else Tensor(x),))

    fn.__name__ = op.name
    fn.__doc__ = op.__doc__
    return fn


exp = _unary(E.Exp)
log = _unary(E.Log)
log1p = _unary(E.Log1p)
expm1 = _unary(E.Expm1)
sqrt = _unary(E.Sqrt)
sin = _unary(E.Sin)
cos = _unary(E.Cos)
tan = _unary(E.Tan)
tanh = _unary(E.Tanh)
erf = _unary(E.Erf)
abs = _unary(E.Abs)  # noqa: A001
sigmoid = _unary(E.Sigmoid)
relu = _unary(E.Relu)


def _nondifferentiable_op(name: str, fn: Any) -> type[Op]:
    """An Op class for a function with no gradient (recorded by tapes, never by backward)."""
    return type(name.title().replace("_", ""), (Op,), {
        "name": name, "differentiable": False, "forward": staticmethod(fn),
        "__doc__": f"{name}: not differentiable; recorded so traced programs recompute it."})


_SIGN = _nondifferentiable_op("sign", np.sign)


def sign(x: Any) -> Tensor:
    """sign(x), not differentiable (its derivative is 0 almost everywhere)."""
    return apply_nondifferentiable(_SIGN, (_tensor(x),))


def square(x: Any) -> Tensor:
    return mul(x, x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    return apply(E.LeakyRelu, (_tensor(x),), {"negative_slope": negative_slope})


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x * Phi(x) with the exact erf form (approximate='none') or PyTorch's 'tanh' form."""
    if approximate not in ("none", "tanh"):
        raise InvalidArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return apply(E.Gelu, (_tensor(x),), {"approximate": approximate})


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return apply(E.Softplus, (_tensor(x),), {"beta": beta, "threshold": threshold})


def clip(x: Any, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 (PyTorch names)
    """Limits x to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise InvalidArgumentError("clip: at least one of min and max must be given")
    return apply(E.Clip, (_tensor(x),), {"lo": _plain(min), "hi": _plain(max)})


clamp = clip


def _plain(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def maximum(a: Any, b: Any) -> Tensor:
    return apply(E.Maximum, (a, b))


def minimum(a: Any, b: Any) -> Tensor:
    return apply(E.Minimum, (a, b))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Picks a where condition holds, else b (all broadcast)."""
    if not isinstance(condition, Tensor):
        condition = np.asarray(condition)
    if condition.dtype != bool:
        condition = ne(condition, 0)
    return apply(E.Where, (condition, a, b))


def astype(x: Any, dtype: Any) -> Tensor:
    x = _tensor(x)
    dtype = np.dtype(dtype)
    if dtype == x.dtype:
        return x
    if dtype.kind not in "fc" and x.requires_grad:
        return Tensor._wrap(x.data.astype(dtype))
    return apply(E.AsType, (x,), {"dtype": dtype})


def zeros_like(x: Any, **kwargs: Any) -> Tensor:
    from ..factories import zeros_like as make

    return make(x, **kwargs)


def ones_like(x: Any, **kwargs: Any) -> Tensor:
    from ..factories import ones_like as make

    return make(x, **kwargs)


# ---- comparisons and logic (not differentiable) -------------------------------------------------

def _compare(ufunc, name):
    op = _nondifferentiable_op(name, ufunc)
    op.explain_error = staticmethod(lambda a, b: f"{name}: shapes {np.shape(a)} and {np.shape(b)} "
                                    "cannot be broadcast together")

    def fn(a: Any, b: Any) -> Tensor:
        return apply_nondifferentiable(op, (a, b))

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name}; returns a bool tensor that does not require grad."
    return fn


lt = less = _compare(np.less, "lt")
le = less_equal = _compare(np.less_equal, "le")
gt = greater = _compare(np.greater, "gt")
ge = greater_equal = _compare(np.greater_equal, "ge")
eq = equal = _compare(np.equal, "eq")
ne = not_equal = _compare(np.not_equal, "ne")
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")


_LOGICAL_NOT = _nondifferentiable_op("logical_not", np.logical_not)
_ISFINITE = _nondifferentiable_op("isfinite", np.isfinite)
_ARGMAX = _nondifferentiable_op("argmax", np.argmax)
_ARGMIN = _nondifferentiable_op("argmin", np.argmin)


def logical_not(x: Any) -> Tensor:
    return apply_nondifferentiable(_LOGICAL_NOT, (x,))


def isfinite(x: Any) -> Tensor:
    return apply_nondifferentiable(_ISFINITE, (x,))


def argmax(x: Any, axis: int | None = None, keepdims: bool = False, dim: int | None = None) -> Tensor:
    """Index of the largest element (over all elements when axis is None); not differentiable."""
    x = _tensor(x)
    axis = _axis_arg(axis, dim)
    normalize_axis(axis, x.ndim, "argmax")
    return apply_nondifferentiable(_ARGMAX, (x,), {"axis": axis, "keepdims": keepdims})


def argmin(x: Any, axis: int | None = None, keepdims: bool = False, dim: int | None = None) -> Tensor:
    """Index of the smallest element; not differentiable."""
    x = _tensor(x)
    axis = _axis_arg(axis, dim)
    normalize_axis(axis, x.ndim, "argmin")
    return apply_nondifferentiable(_ARGMIN, (x,), {"axis": axis, "keepdims": keepdims})


# ---- reductions -----------------------------------------------------------------------------------

def _reduce(op, x, axis, keepdims, dim=None, keepdim=None, **attrs):
    x = _tensor(x)
    axis = normalize_axis(_axis_arg(axis, dim), x.ndim, op.name)
    keepdims = bool(keepdim) if keepdim is not None else bool(keepdims)
    if x.ndim == 0:
        axis = None
    return apply(op, (x,), {"axis": axis, "keepdims": keepdims, **attrs})


def sum(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Sum over `axis` (all when None)."""
    return _reduce(R.Sum, x, axis, keepdims, dim, keepdim)


def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Mean over `axis` (all when None)."""
    x = _tensor(x)
    if x.dtype.kind not in "fc":
        raise DTypeError(f"mean: expected a floating tensor, got {x.dtype}")
    return _reduce(R.Mean, x, axis, keepdims, dim, keepdim)


def _ddof(ddof, correction, unbiased):
    if correction is not None:
        return correction
    if unbiased is not None:
        return 1 if unbiased else 0
    return ddof


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 1, *, dim: Any = None,
        keepdim: bool | None = None, correction: int | None = None,
        unbiased: bool | None = None) -> Tensor:
    """Variance over `axis`; ddof=1 (unbiased) by default, as in PyTorch."""
    return _reduce(R.Var, x, axis, keepdims, dim, keepdim, ddof=_ddof(ddof, correction, unbiased))


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 1, *, dim: Any = None,
        keepdim: bool | None = None, correction: int | None = None,
        unbiased: bool | None = None) -> Tensor:
    """Standard deviation over `axis`; ddof=1 by default, as in PyTorch."""
    return _reduce(R.Std, x, axis, keepdims, dim, keepdim, ddof=_ddof(ddof, correction, unbiased))


def _check_nonempty(x, axis, name):
    shape = x.shape
    if (axis is None and x.size == 0) or (axis is not None and builtins.any(shape[a] == 0 for a in axis)):
        raise ShapeError(f"{name}: cannot reduce an empty tensor of shape {shape}")


def max(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Largest value over `axis`; tied maxima share the gradient evenly (like torch.amax)."""
    x = _tensor(x)
    _check_nonempty(x, normalize_axis(_axis_arg(axis, dim), x.ndim, "max"), "max")
    return _reduce(R.Max, x, axis, keepdims, dim, keepdim)


def min(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Smallest value over `axis`; tied minima share the gradient evenly (like torch.amin)."""
    x = _tensor(x)
    _check_nonempty(x, normalize_axis(_axis_arg(axis, dim), x.ndim, "min"), "min")
    return _reduce(R.Min, x, axis, keepdims, dim, keepdim)


amax, amin = max, min


def prod(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Product over `axis`."""
    return _reduce(R.Prod, x, axis, keepdims, dim, keepdim)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
              keepdim: bool | None = None) -> Tensor:
    """log(sum(exp(x))) over `axis`, computed stably."""
    return _reduce(R.LogSumExp, x, axis, keepdims, dim, keepdim)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False, *,  # noqa: A002
         p: Any = None, dim: Any = None, keepdim: bool | None = None) -> Tensor:
    """Vector p-norm over `axis` (all elements, i.e. Frobenius, when None): ord 2 by default."""
    order = p if p is not None else ord
    if order is None or order == "fro":
        order = 2
    if order == "inf":
        order = np.inf
    if not isinstance(order, (int, float, np.number)) or order <= 0:
        raise InvalidArgumentError(f"norm: ord must be a positive number, inf or 'fro', got {order!r}")
    return _reduce(R.Norm, x, axis, keepdims, dim, keepdim, ord=order)


def _softmax_axis(x, axis, dim, name):
    axis = _dim_overrides(axis, dim)
    axis = -1 if axis is None else axis
    return normalize_axis(axis, x.ndim, name)[0] if x.ndim else None


def softmax(x: Any, axis: int | None = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (default last), computed stably."""
    x = _tensor(x)
    return apply(R.Softmax, (x,), {"axis": _softmax_axis(x, axis, dim, "softmax")})


def log_softmax(x: Any, axis: int | None = -1, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along `axis` (default last), computed stably."""
    x = _tensor(x)
    return apply(R.LogSoftmax, (x,), {"axis": _softmax_axis(x, axis, dim, "log_softmax")})


def sum_to(x: Any, shape: Sequence[int]) -> Tensor:
    """Sums a broadcast tensor back down to `shape`."""
    return apply(R.SumTo, (_tensor(x),), {"shape": tuple(shape)})


# ---- shape ops ------------------------------------------------------------------------------------

def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def reshape(x: Any, *shape: Any) -> Tensor:
    """Same elements in a new shape (one entry may be -1)."""
    x = _tensor(x)
    shape = _shape_arg(shape)
    if shape == x.shape:
        return apply(S.Reshape, (x,), {"shape": shape}) if x.requires_grad else x
    return apply(S.Reshape, (x,), {"shape": shape})


view = reshape


def transpose(x: Any, *axes: Any) -> Tensor:
    """Permutes the axes (numpy semantics: reverses them when none are given); alias permute."""
    x = _tensor(x)
    axes = _shape_arg(axes) if axes and axes[0] is not None else None
    if axes is not None:
        if sorted(a % builtins.max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise InvalidArgumentError(f"transpose: axes {axes} are not a permutation of the "
                                       f"{x.ndim} axes of shape {x.shape}")
        axes = tuple(a % x.ndim for a in axes)
    return apply(S.Transpose, (x,), {"axes": axes})


permute = transpose


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Swaps two axes (PyTorch's transpose(dim0, dim1))."""
    x = _tensor(x)
    normalize_axis(axis1, x.ndim, "swapaxes")
    normalize_axis(axis2, x.ndim, "swapaxes")
    return apply(S.Swapaxes, (x,), {"axis1": axis1, "axis2": axis2})


def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Moves axes to new positions (numpy.moveaxis), as a transpose."""
    x = _tensor(x)
    sources = [a % x.ndim for a in (source if isinstance(source, (tuple, list)) else (source,))]
    targets = [a % x.ndim for a in (destination if isinstance(destination, (tuple, list))
                                    else (destination,))]
    order = [a for a in range(x.ndim) if a not in sources]
    for target, src in sorted(zip(targets, sources)):
        order.insert(target, src)
    return transpose(x, tuple(order))


def expand_dims(x: Any, axis: int) -> Tensor:
    """Inserts a size-1 axis at `axis`; alias unsqueeze."""
    x = _tensor(x)
    try:
        shape = np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape
    except np.exceptions.AxisError:
        raise InvalidArgumentError(f"expand_dims: axis {axis} is out of range for a tensor with "
                                   f"{x.ndim} dimension(s)") from None
    return apply(S.Reshape, (x,), {"shape": shape})


unsqueeze = expand_dims


def squeeze(x: Any, axis: Any = None, *, dim: Any = None) -> Tensor:
    """Removes size-1 axes (all of them, or those in `axis`)."""
    x = _tensor(x)
    axis = normalize_axis(_axis_arg(axis, dim), x.ndim, "squeeze")
    if axis is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        for a in axis:
            if x.shape[a] != 1:
                raise ShapeError(f"squeeze: cannot squeeze axis {a} of size {x.shape[a]} "
                                 f"(shape {x.shape})")
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axis)
    return apply(S.Reshape, (x,), {"shape": shape})


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges axes start_dim..end_dim into one (PyTorch semantics; all axes by default)."""
    x = _tensor(x)
    if x.ndim == 0:
        return reshape(x, (1,))
    start, end = start_dim % x.ndim, end_dim % x.ndim
    if start > end:
        raise InvalidArgumentError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
    return apply(S.Reshape, (x,), {"shape": x.shape[:start] + (merged,) + x.shape[end + 1:]})


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    """Repeats x along broadcast axes to `shape` (a read-only view in forward)."""
    return apply(S.BroadcastTo, (_tensor(x),), {"shape": tuple(shape)})


expand = broadcast_to


def concatenate(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Joins tensors along an existing axis; alias cat."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise InvalidArgumentError("concatenate: expected a non-empty sequence of tensors")
    axis = _dim_overrides(axis, dim)
    normalize_axis(axis, tensors[0].ndim, "concatenate")
    return apply(S.Concatenate, tuple(tensors), {"axis": axis})


cat = concatenate


def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Joins same-shape tensors along a new axis."""
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise InvalidArgumentError("stack: expected a non-empty sequence of tensors")
    axis = _dim_overrides(axis, dim)
    normalize_axis(axis, tensors[0].ndim + 1, "stack")
    return apply(S.Stack, tuple(tensors), {"axis": axis})


def split(x: Any, indices_or_sections: Any, axis: int = 0, *, dim: int | None = None) -> list:
    """numpy.split semantics: N equal sections, or the indices where to cut. Each piece is a
    differentiable slice of x."""
    x = _tensor(x)
    axis = normalize_axis(_dim_overrides(axis, dim), x.ndim, "split")[0]
    length = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or length % sections:
            raise ShapeError(f"split: axis {axis} of size {length} cannot be split into "
                             f"{indices_or_sections} equal sections")
        step = length // sections
        cuts = list(range(step, length, step))
    else:
        cuts = [int(i) for i in indices_or_sections]
    bounds = [0] + cuts + [length]
    lead = (slice(None),) * axis
    return [getitem(x, lead + (slice(lo, hi),)) for lo, hi in zip(bounds[:-1], bounds[1:])]


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: float = 0) -> Tensor:
    """Pads with a constant, numpy's pad_width convention ((before, after) per axis)."""
    if mode != "constant":
        raise UnsupportedError(f"pad: only mode='constant' is differentiable here, got {mode!r}")
    x = _tensor(x)
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except ValueError:
        raise ShapeError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape "
                         f"{x.shape}") from None
    if (widths < 0).any():
        raise InvalidArgumentError(f"pad: pad widths must be >= 0, got {pad_width!r}")
    widths = tuple((int(a), int(b)) for a, b in widths)
    return apply(S.Pad, (x,), {"pad_width": widths, "constant_values": constant_values})


# ---- indexing -------------------------------------------------------------------------------------

def normalize_index(key: Any) -> Any:
    """An index key with Tensors and lists turned into arrays (hashing-free, numpy-ready)."""
    if isinstance(key, tuple):
        return tuple(normalize_index(k) for k in key)
    if isinstance(key, Tensor):
        return key.data
    if isinstance(key, list):
        return np.asarray([k.data if isinstance(k, Tensor) else k for k in key])
    return key


def getitem(x: Any, key: Any) -> Tensor:
    """x[key] with basic and advanced indexing; repeated indices accumulate in the gradient."""
    x = _tensor(x)
    key = normalize_index(key)
    return apply(S.GetItem, (x,), {"key": key})


def index_scatter(g: Any, shape: tuple, key: Any) -> Tensor:
    """zeros(shape) with g added at [key] (repeats accumulate): the adjoint of getitem."""
    return apply(S.IndexScatter, (_tensor(g),), {"shape": tuple(shape), "key": key})


def _index_array(index: Any, name: str) -> np.ndarray:
    index = np.asarray(_plain(index))
    if index.dtype.kind not in "iu":
        raise DTypeError(f"{name}: index must be an integer tensor, got {index.dtype}")
    return index


def gather(x: Any, axis: int, index: Any) -> Tensor:
    """out[i][j] = x[index[i][j]][j] for axis 0 (torch.gather, numpy.take_along_axis)."""
    x = _tensor(x)
    index = _index_array(index, "gather")
    if index.ndim != x.ndim:
        raise ShapeError(f"gather: index has {index.ndim} dimensions but x has {x.ndim} "
                         f"(shapes {index.shape} and {x.shape})")
    return apply(S.Gather, (x,), {"axis": axis, "index": index})


take_along_axis = gather


def scatter_add(x: Any, axis: int, index: Any, src: Any) -> Tensor:
    """x with src[i][j] added at [index[i][j]][j] for axis 0, repeats accumulating
    (torch.scatter_add(input, dim, index, src))."""
    x, src = _tensor(x), _tensor(src)
    index = _index_array(index, "scatter_add")
    if index.ndim != x.ndim or index.ndim != src.ndim or builtins.any(
            i > s for i, s in zip(index.shape, src.shape)):
        raise ShapeError(f"scatter_add: index {index.shape} must have x's rank and fit inside src; "
                         f"x {x.shape}, src {src.shape}")
    if index.size and (index.min() < -x.shape[axis] or index.max() >= x.shape[axis]):
        raise IndexOutOfRangeError(f"scatter_add: index out of range for axis {axis} of size {x.shape[axis]}")
    return apply(S.ScatterAdd, (x, src), {"axis": axis, "index": index})


def index_add(x: Any, axis: int, index: Any, source: Any, alpha: float = 1) -> Tensor:
    """x with source's slices added at positions `index` along `axis`, repeats accumulating
    (torch.index_add(input, dim, index, source))."""
    x, source = _tensor(x), _tensor(source)
    index = _index_array(index, "index_add")
    if index.ndim != 1:
        raise ShapeError(f"index_add: index must be 1-D, got shape {index.shape}")
    axis_n = normalize_axis(axis, x.ndim, "index_add")[0]
    expected = x.shape[:axis_n] + (len(index),) + x.shape[axis_n + 1:]
    if source.shape != expected:
        raise ShapeError(f"index_add: source must have shape {expected} for x {x.shape} and "
                         f"{len(index)} indices, got {source.shape}")
    if index.size and (index.min() < -x.shape[axis_n] or index.max() >= x.shape[axis_n]):
        raise IndexOutOfRangeError(f"index_add: index out of range for axis {axis} of size {x.shape[axis_n]}")
    return apply(S.IndexAdd, (x, source), {"axis": axis_n, "index": index, "alpha": alpha})


# ---- linear algebra -----------------------------------------------------------------------------

def matmul(a: Any, b: Any) -> Tensor:
    """a @ b with numpy's rules: 1-D operands are promoted, batch dimensions broadcast."""
    return apply(L.MatMul, (a, b))


def dot(a: Any, b: Any) -> Tensor:
    """Inner product of two 1-D tensors (matmul for 2-D operands)."""
    a, b = _tensor(a), _tensor(b)
    if a.ndim > 2 or b.ndim > 2:
        raise ShapeError(f"dot: expected 1-D or 2-D operands, got shapes {a.shape} and {b.shape}; "
                         "use matmul for batches")
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    return matmul(a, b)


def outer(a: Any, b: Any) -> Tensor:
    """Outer product of two vectors: out[i, j] = a[i] * b[j]."""
    a, b = _tensor(a), _tensor(b)
    return mul(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight.T + bias as one op (weight of shape (out_features, in_features), as PyTorch)."""
    x = _tensor(x)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return apply(L.Linear, inputs)


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """numpy.einsum, differentiable in every operand (no repeated index within one operand)."""
    operands = tuple(_tensor(op) for op in operands)
    L.parse_einsum(subscripts, [op.ndim for op in operands])
    return apply(L.Einsum, operands, {"subscripts": subscripts})


__all__ = [name for name in dir() if not name.startswith("_") and name not in {
    "annotations", "builtins", "np", "apply", "Tensor", "Any", "Sequence", "E", "L", "R", "S",
    "DTypeError", "InvalidArgumentError", "ShapeError", "UnsupportedError", "normalize_axis",
    "elementwise", "linalg", "reductions", "shape"}]


_TENSOR_METHODS = (
    "exp log log1p expm1 sqrt sin cos tan tanh erf sigmoid relu leaky_relu gelu softplus sign "
    "square clip clamp maximum minimum astype sum mean var std max min amax amin prod logsumexp "
    "norm softmax log_softmax reshape view transpose permute swapaxes moveaxis expand_dims "
    "unsqueeze squeeze flatten broadcast_to expand split pad gather take_along_axis scatter_add "
    "index_add matmul dot outer argmax argmin sum_to isfinite"
).split()

for _name in _TENSOR_METHODS:
    setattr(Tensor, _name, globals()[_name])
Tensor.abs = abs
Tensor.__add__ = add
Tensor.__radd__ = lambda self, other: apply(E.Add, (other, self))
Tensor.__sub__ = sub
Tensor.__rsub__ = lambda self, other: apply(E.Sub, (other, self))
Tensor.__mul__ = mul
Tensor.__rmul__ = lambda self, other: apply(E.Mul, (other, self))
Tensor.__truediv__ = div
Tensor.__rtruediv__ = lambda self, other: apply(E.Div, (other, self))
Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: apply(L.MatMul, (other, self))
Tensor.pow = pow
Tensor.__and__ = logical_and
Tensor.__rand__ = lambda self, other: logical_and(other, self)
Tensor.__or__ = logical_or
Tensor.__ror__ = lambda self, other: logical_or(other, self)
Tensor.__xor__ = logical_xor
Tensor.__invert__ = logical_not
from .nn_ops import *  # noqa: E402,F401,F403  (fused nn ops: im2col, softmax_cross_entropy, ...)


# ---- newops10a: more elementwise ops, scans, order statistics and reductions (issue 10) ---------
# Op classes live in elementwise_more.py and scans.py; ordering ops (sort, topk, cummax, median,
# ...) compute their indices with recorded non-differentiable index ops and take their values with
# `gather`, so their gradient is gather's (to any order) and traced replays re-sort new inputs.
# NOTE: this section defines `any`, `all` and `round`, which shadow the builtins inside this
# module: code above uses builtins.any / builtins.all explicitly.

from . import elementwise_more as EM  # noqa: E402
from . import scans as SC  # noqa: E402
from .return_types import ValuesIndices  # noqa: E402


def _floating_input(x: Any) -> Tensor:
    """x as a Tensor; integer and bool tensors become the default float dtype (torch gives a
    float result for sqrt-like functions of integers)."""
    x = _tensor(x)
    if x.dtype.kind in "iub":
        from ..mode import get_default_dtype

        return astype(x, get_default_dtype())  # recorded, so a traced replay casts new inputs
    return x


def _float_unary(op: type[Op]):
    def fn(x: Any) -> Tensor:
        return apply(op, (_floating_input(x),))

    fn.__name__ = op.name
    fn.__doc__ = op.__doc__
    return fn


reciprocal = _float_unary(EM.Reciprocal)
rsqrt = _float_unary(EM.Rsqrt)
log2 = _float_unary(EM.Log2)
log10 = _float_unary(EM.Log10)
exp2 = _float_unary(EM.Exp2)
asin = arcsin = _float_unary(EM.Asin)
acos = arccos = _float_unary(EM.Acos)
atan = arctan = _float_unary(EM.Atan)
sinh = _float_unary(EM.Sinh)
cosh = _float_unary(EM.Cosh)
asinh = arcsinh = _float_unary(EM.Asinh)
acosh = arccosh = _float_unary(EM.Acosh)
atanh = arctanh = _float_unary(EM.Atanh)
erfc = _float_unary(EM.Erfc)
erfinv = _float_unary(EM.Erfinv)
floor = _unary(EM.Floor)
ceil = _unary(EM.Ceil)
trunc = fix = _unary(EM.Trunc)
frac = _float_unary(EM.Frac)


def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001 (PyTorch name)
    """x rounded to `decimals` places (negative: tens, hundreds...), halves to even; gradient 0."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise InvalidArgumentError(f"round: decimals must be an int, got {decimals!r}")
    return apply(EM.Round, (_tensor(x),), {"decimals": int(decimals)})


def _binary(op: type[Op]):
    def fn(input: Any, other: Any) -> Tensor:  # noqa: A002 (PyTorch names)
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            input = Tensor(input)
        return apply(op, (input, other))

    fn.__name__ = op.name
    fn.__doc__ = op.__doc__
    return fn


atan2 = arctan2 = _binary(EM.Atan2)
copysign = _binary(EM.Copysign)
hypot = _binary(EM.Hypot)
xlogy = _binary(EM.Xlogy)
logaddexp = _binary(EM.LogAddExp)
logaddexp2 = _binary(EM.LogAddExp2)


def lerp(start: Any, end: Any, weight: Any) -> Tensor:
    """start + weight * (end - start), all three broadcast; weight a tensor or a number."""
    return apply(EM.Lerp, (_tensor(start), end, weight))


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN -> nan, +inf -> posinf, -inf -> neginf (the dtype's largest/lowest by default);
    the gradient passes where x is finite."""
    return apply(EM.NanToNum, (_tensor(x),), {"nan": nan, "posinf": posinf, "neginf": neginf})


def clamp_min(x: Any, min: Any) -> Tensor:  # noqa: A002 (PyTorch name)
    """max(x, min) with a tensor (broadcast) or number bound; a tensor bound gets the gradient
    where it is the larger."""
    if min is None:
        raise InvalidArgumentError("clamp_min: min must be a tensor or a number, got None")
    return apply(EM.ClampMin, (_tensor(x), min))


def clamp_max(x: Any, max: Any) -> Tensor:  # noqa: A002 (PyTorch name)
    """min(x, max) with a tensor (broadcast) or number bound."""
    if max is None:
        raise InvalidArgumentError("clamp_max: max must be a tensor or a number, got None")
    return apply(EM.ClampMax, (_tensor(x), max))


_ISNAN = _nondifferentiable_op("isnan", np.isnan)
_ISINF = _nondifferentiable_op("isinf", np.isinf)
_ISPOSINF = _nondifferentiable_op("isposinf", np.isposinf)
_ISNEGINF = _nondifferentiable_op("isneginf", np.isneginf)
_ISCLOSE = _nondifferentiable_op("isclose", np.isclose)
_ISCLOSE.explain_error = staticmethod(
    lambda a, b, **attrs: f"isclose: shapes {np.shape(a)} and {np.shape(b)} cannot be broadcast "
                          "together")


def isnan(x: Any) -> Tensor:
    """Elementwise x != x (a bool tensor)."""
    return apply_nondifferentiable(_ISNAN, (_tensor(x),))


def isinf(x: Any) -> Tensor:
    """Elementwise |x| == inf (a bool tensor)."""
    return apply_nondifferentiable(_ISINF, (_tensor(x),))


def isposinf(x: Any) -> Tensor:
    return apply_nondifferentiable(_ISPOSINF, (_tensor(x),))


def isneginf(x: Any) -> Tensor:
    return apply_nondifferentiable(_ISNEGINF, (_tensor(x),))


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other| elementwise (torch.isclose), a bool tensor."""
    if rtol < 0 or atol < 0:
        raise InvalidArgumentError(f"isclose: rtol and atol must be >= 0, got {rtol} and {atol}")
    return apply_nondifferentiable(_ISCLOSE, (_tensor(input), other),
                                   {"rtol": rtol, "atol": atol, "equal_nan": equal_nan})


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """True when isclose holds everywhere (a Python bool, as torch.allclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).data.all())


# ---- scans ----------------------------------------------------------------------------------------

def _dim(x: Tensor, dim: Any, name: str) -> int:
    """torch's single `dim` (required, may be negative) as a non-negative axis."""
    if dim is None:
        raise InvalidArgumentError(f"{name}: dim must be given (an int), as in torch")
    return normalize_axis(dim, x.ndim, name)[0]


def _on_0d(fn, x: Tensor, *args: Any, **kwargs: Any):
    """Runs fn on x viewed as shape (1,) and views every tensor result back as 0-d (torch treats
    a 0-d tensor as one element along dim 0 or -1)."""
    result = fn(reshape(x, (1,)), 0, *args, **kwargs)
    if isinstance(result, tuple):
        return type(result)(*(reshape(r, ()) for r in result))
    return reshape(result, ())


def _scan(op: type[Op], x: Any, dim: Any, dtype: Any = None) -> Tensor:
    x = _tensor(x)
    axis = _dim(x, dim, op.name)
    if dtype is not None:
        x = astype(x, dtype)
    if x.ndim == 0:
        return reshape(apply(op, (reshape(x, (1,)),), {"axis": 0}), ())
    return apply(op, (x,), {"axis": axis})


def cumsum(x: Any, dim: Any = None, *, dtype: Any = None) -> Tensor:
    """Inclusive prefix sums along `dim` (required, as torch); same shape as x."""
    return _scan(SC.Cumsum, x, dim, dtype)


def cumprod(x: Any, dim: Any = None, *, dtype: Any = None) -> Tensor:
    """Inclusive prefix products along `dim`; the gradient is exact where x has zeros."""
    return _scan(SC.Cumprod, x, dim, dtype)


def logcumsumexp(x: Any, dim: Any = None) -> Tensor:
    """log(cumsum(exp(x))) along `dim`, computed stably."""
    x = _tensor(x)
    if x.dtype.kind not in "fc":
        raise DTypeError(f"logcumsumexp: expected a floating tensor, got {x.dtype}")
    return _scan(SC.Logcumsumexp, x, dim)


def _take(x: Tensor, axis: int, op: type[Op], attrs: dict, keepdim: bool = True) -> ValuesIndices:
    """(x's values at the indices `op` computes along axis, those indices), the axis dropped
    unless keepdim. The index op is recorded by tapes and its output array is what gather takes,
    so traced replays recompute the indices."""
    indices = apply_nondifferentiable(op, (x,), {"axis": axis, **attrs})
    values = gather(x, axis, indices.data)
    if not keepdim:
        shape = indices.shape[:axis] + indices.shape[axis + 1:]
        values, indices = reshape(values, shape), reshape(indices, shape)
    return ValuesIndices(values, indices)


def _cumulative_extreme(x: Any, dim: Any, largest: bool, name: str) -> ValuesIndices:
    x = _tensor(x)
    axis = _dim(x, dim, name)
    if x.ndim == 0:
        return _on_0d(lambda y, d: _cumulative_extreme(y, d, largest, name), x)
    return _take(x, axis, SC.CumulativeExtremeIndices, {"largest": largest})


def cummax(x: Any, dim: Any = None) -> ValuesIndices:
    """(running maximum along dim, index of each running maximum); the gradient goes to the
    element each position took its value from (the latest among ties, as torch)."""
    return _cumulative_extreme(x, dim, True, "cummax")


def cummin(x: Any, dim: Any = None) -> ValuesIndices:
    """(running minimum along dim, its indices), as cummax."""
    return _cumulative_extreme(x, dim, False, "cummin")


# ---- sorting and order statistics -----------------------------------------------------------------

def sort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:
    """(sorted values, their indices in x) along `dim` (default last); NaN sorts as the largest.
    `stable=True` keeps equal elements in their original order."""
    x = _tensor(x)
    axis = _dim(x, dim, "sort")
    if x.ndim == 0:
        return _on_0d(sort, x, descending, stable)
    return _take(x, axis, SC.SortIndices, {"descending": bool(descending), "stable": bool(stable)})


def argsort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort x along `dim` (int64, not differentiable)."""
    x = _tensor(x)
    axis = _dim(x, dim, "argsort")
    if x.ndim == 0:
        return Tensor._wrap(np.zeros((), dtype=np.int64))
    return apply_nondifferentiable(SC.SortIndices, (x,), {
        "axis": axis, "descending": bool(descending), "stable": bool(stable)})


def topk(x: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True  # noqa: A002
         ) -> ValuesIndices:
    """(the k largest (or smallest) values along dim, their indices); always returned sorted."""
    x = _tensor(x)
    axis = _dim(x, dim, "topk")
    size = x.shape[axis] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= size:
        raise InvalidArgumentError(f"topk: k must be an int in [0, {size}] for dim {dim} of shape "
                                   f"{x.shape}, got {k!r}")
    if x.ndim == 0:
        return _on_0d(lambda y, d: topk(y, k, d, largest), x) if k else ValuesIndices(
            reshape(x, (1,))[0:0], Tensor._wrap(np.zeros(0, dtype=np.int64)))
    return _take(x, axis, SC.TopkIndices, {"k": int(k), "largest": bool(largest)})


def _order_statistic(x: Tensor, dim: Any, keepdim: bool, name: str, op: type[Op],
                     attrs: dict) -> ValuesIndices:
    """(values, indices) of the order statistic `op` computes along dim (median, kthvalue)."""
    axis = _dim(x, dim, name)
    if x.ndim == 0:
        return _on_0d(lambda y, d: _order_statistic(y, d, False, name, op, attrs), x)
    if x.shape[axis] == 0:
        raise IndexOutOfRangeError(f"{name}: dim {dim} of shape {x.shape} is empty")
    return _take(x, axis, op, attrs, keepdim)


def median(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median (element (n-1)//2 of the sorted values; NaN if there is one). Without dim:
    over all elements, a 0-d tensor (NaN for an empty tensor, as torch); with dim:
    (values, indices) along it."""
    x = _tensor(x)
    if dim is None:
        if x.size == 0:
            return Tensor._wrap(np.full((), np.nan, dtype=x.dtype if x.dtype.kind == "f"
                                        else np.float32))
        return median(reshape(x, (-1,)), 0).values
    return _order_statistic(x, dim, keepdim, "median", SC.MedianIndices, {})


def kthvalue(x: Any, k: int, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """(the k-th smallest value along dim (k counts from 1), its index)."""
    x = _tensor(x)
    axis = _dim(x, dim, "kthvalue")
    size = x.shape[axis] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= size:
        raise InvalidArgumentError(f"kthvalue: k must be an int in [1, {size}] for dim {dim} of "
                                   f"shape {x.shape}, got {k!r}")
    return _order_statistic(x, dim, keepdim, "kthvalue", SC.KthvalueIndices, {"k": int(k)})


def mode(x: Any, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """(the most frequent value along dim (the smallest among ties), the index of its last
    occurrence), as torch.mode."""
    x = _tensor(x)
    axis = _dim(x, dim, "mode")
    if x.ndim == 0:
        return _on_0d(lambda y, d: mode(y, d), x)
    if x.shape[axis] == 0:
        raise IndexOutOfRangeError(f"mode: dim {dim} of shape {x.shape} is empty")
    return _take(x, axis, SC.ModeIndices, {}, keepdim)


# ---- logical and counting reductions, var_mean/std_mean, nan-ignoring reductions ------------------

def _bool_reduction(name: str, fn):
    op = _nondifferentiable_op(name, fn)

    def reduce(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
        x = _tensor(x)
        axis = normalize_axis(dim, x.ndim, name)
        if x.ndim == 0:
            axis = None
        return apply_nondifferentiable(op, (x,), {"axis": axis, "keepdims": bool(keepdim)})

    reduce.__name__ = name
    return reduce


any = _bool_reduction("any", np.any)  # noqa: A001 (PyTorch name)
any.__doc__ = "Whether any element (along dim, an int or tuple) is nonzero; a bool tensor."
all = _bool_reduction("all", np.all)  # noqa: A001 (PyTorch name)
all.__doc__ = "Whether every element (along dim, an int or tuple) is nonzero; a bool tensor."
_COUNT_NONZERO = _nondifferentiable_op(
    "count_nonzero", lambda x, axis: np.asarray(np.count_nonzero(x, axis=axis), dtype=np.int64))


def count_nonzero(x: Any, dim: Any = None) -> Tensor:
    """The number of nonzero elements (along dim, an int or tuple), int64."""
    x = _tensor(x)
    axis = normalize_axis(dim, x.ndim, "count_nonzero")
    return apply_nondifferentiable(_COUNT_NONZERO, (x,), {"axis": None if x.ndim == 0 else axis})


def var_mean(x: Any, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: int | None = None) -> tuple:
    """(var, mean) over dim (torch.var_mean; correction=1 by default, unbiased=False means 0)."""
    ddof = _ddof(1, correction, unbiased)
    return (var(x, dim=dim, keepdim=keepdim, correction=ddof),
            mean(x, dim=dim, keepdim=keepdim))


def std_mean(x: Any, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: int | None = None) -> tuple:
    """(std, mean) over dim (torch.std_mean)."""
    ddof = _ddof(1, correction, unbiased)
    return (std(x, dim=dim, keepdim=keepdim, correction=ddof),
            mean(x, dim=dim, keepdim=keepdim))


def nansum(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Sum treating NaN as 0; the gradient is 0 at the NaNs."""
    x = _tensor(x)
    if x.dtype.kind == "f":
        x = where(np.isnan(x.data), 0.0, x)
    return sum(x, dim=dim, keepdim=keepdim)


def nanmean(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Mean of the non-NaN elements (NaN where there are none)."""
    x = _tensor(x)
    if x.dtype.kind != "f":
        raise DTypeError(f"nanmean: expected a floating tensor, got {x.dtype}")
    axis = normalize_axis(dim, x.ndim, "nanmean")
    count = np.sum(~np.isnan(x.data), axis=None if x.ndim == 0 else axis, keepdims=keepdim)
    with np.errstate(invalid="ignore", divide="ignore"):
        return nansum(x, dim=dim, keepdim=keepdim) / count.astype(x.dtype)


_NEWOPS10A_NAMES = (
    "reciprocal rsqrt log2 log10 exp2 asin arcsin acos arccos atan arctan sinh cosh asinh arcsinh "
    "acosh arccosh atanh arctanh erfc erfinv floor ceil trunc fix frac round atan2 arctan2 copysign "
    "hypot xlogy logaddexp logaddexp2 lerp nan_to_num clamp_min clamp_max isnan isinf isposinf "
    "isneginf isclose allclose cumsum cumprod logcumsumexp cummax cummin sort argsort topk median "
    "kthvalue mode any all count_nonzero var_mean std_mean nansum nanmean"
).split()
# `mode` is not star-exported: `autograd_core.mode` is the grad-mode submodule. Use x.mode(dim)
# or autograd_core.ops.mode.
__all__ += [name for name in _NEWOPS10A_NAMES if name != "mode"]  # noqa: PLE0605
for _name in _NEWOPS10A_NAMES + ["logical_and", "logical_or", "logical_xor", "logical_not"]:
    setattr(Tensor, _name, globals()[_name])
