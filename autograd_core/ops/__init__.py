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


def _operand(x: Any, name: str, label: str) -> Tensor:
    """x as a Tensor; a DTypeError naming the op and the argument when it is not numeric data."""
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x)
    except DTypeError:
        raise DTypeError(f"{name}: {label} must be a tensor or numeric array, got "
                         f"{type(x).__name__}") from None


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


def sign(x: Any) -> Tensor:
    """sign(x); its gradient is 0 (PyTorch's), so a loss through sign backpropagates zeros."""
    return apply(E.Sign, (_tensor(x),))


def square(x: Any) -> Tensor:
    x = _tensor(x)
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
    """torch.clamp: min(max(x, min), max) (so max wins where min > max). Bounds are numbers or
    tensors/arrays that broadcast against x; tensor bounds that require grad get gradients
    (PyTorch's rule: x gets g where min <= x <= max, min where x < min < max, max where x > max
    or max < min)."""
    x = _tensor(x)
    if min is None and max is None:
        raise InvalidArgumentError("clip: at least one of min and max must be given")
    bounds = []
    for label, bound in (("min", min), ("max", max)):
        if bound is None or isinstance(bound, Tensor):
            bounds.append(bound)
            continue
        if isinstance(bound, bool) or not isinstance(bound, (int, float, np.number, np.ndarray,
                                                             list, tuple)):
            raise DTypeError(f"clip: {label} must be a number or a tensor, got "
                             f"{type(bound).__name__}")
        bounds.append(bound if isinstance(bound, (int, float, np.number)) else Tensor(bound))
    lo, hi = bounds
    shapes = [x.shape] + [b.shape for b in (lo, hi) if isinstance(b, Tensor)]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(f"clip: x {x.shape} and the bounds' shapes {shapes[1:]} cannot be "
                         "broadcast together") from None
    for b in (lo, hi):
        if isinstance(b, Tensor) and b.dtype.kind not in "biuf":
            raise DTypeError(f"clip: bounds must be real numbers, got {b.dtype}")
    return apply(E.Clip, (x, lo, hi))


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
    if condition.dtype.kind not in "biuf":
        raise DTypeError(f"where: condition must be a bool (or numeric) tensor, got {condition.dtype}")
    if condition.dtype != bool:
        condition = ne(condition, 0)
    return apply(E.Where, (condition, a, b))


def astype(x: Any, dtype: Any) -> Tensor:
    from ..tensor import _resolve_dtype

    x = _tensor(x)
    dtype = _resolve_dtype(dtype, "astype")
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
    return apply_nondifferentiable(_LOGICAL_NOT, (_tensor(x),))


def isfinite(x: Any) -> Tensor:
    return apply_nondifferentiable(_ISFINITE, (_tensor(x),))


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


def _floating(x: Any, name: str) -> Tensor:
    """x as a Tensor, which must be floating (PyTorch refuses integer var/std/norm/softmax)."""
    x = _tensor(x)
    if x.dtype.kind not in "fc":
        raise DTypeError(f"{name}: expected a floating tensor, got {x.dtype}")
    return x


def _check_ddof(ddof: Any, name: str) -> None:
    if isinstance(ddof, bool) or not isinstance(ddof, (int, float, np.integer, np.floating)):
        raise InvalidArgumentError(f"{name}: correction (ddof) must be a number, got {ddof!r}")


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 1, *, dim: Any = None,
        keepdim: bool | None = None, correction: int | None = None,
        unbiased: bool | None = None) -> Tensor:
    """Variance over `axis`; ddof=1 (unbiased) by default, as in PyTorch."""
    x = _floating(x, "var")
    _check_ddof(_ddof(ddof, correction, unbiased), "var")
    return _reduce(R.Var, x, axis, keepdims, dim, keepdim, ddof=_ddof(ddof, correction, unbiased))


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 1, *, dim: Any = None,
        keepdim: bool | None = None, correction: int | None = None,
        unbiased: bool | None = None) -> Tensor:
    """Standard deviation over `axis`; ddof=1 by default, as in PyTorch."""
    x = _floating(x, "std")
    _check_ddof(_ddof(ddof, correction, unbiased), "std")
    return _reduce(R.Std, x, axis, keepdims, dim, keepdim, ddof=_ddof(ddof, correction, unbiased))


def _check_nonempty(x, axis, name):
    shape = x.shape
    if (axis is None and x.size == 0) or (axis is not None and any(shape[a] == 0 for a in axis)):
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
    x = _floating(x, "norm")
    return _reduce(R.Norm, x, axis, keepdims, dim, keepdim, ord=order)


def _softmax_axis(x, axis, dim, name):
    axis = _dim_overrides(axis, dim)
    axis = -1 if axis is None else axis
    if isinstance(axis, (tuple, list)):
        raise InvalidArgumentError(f"{name}: dim must be one int, got {axis!r}")
    return normalize_axis(axis, x.ndim, name)[0] if x.ndim else None


def softmax(x: Any, axis: int | None = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (default last), computed stably."""
    x = _floating(x, "softmax")
    return apply(R.Softmax, (x,), {"axis": _softmax_axis(x, axis, dim, "softmax")})


def log_softmax(x: Any, axis: int | None = -1, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along `axis` (default last), computed stably."""
    x = _floating(x, "log_softmax")
    return apply(R.LogSoftmax, (x,), {"axis": _softmax_axis(x, axis, dim, "log_softmax")})


def sum_to(x: Any, shape: Sequence[int]) -> Tensor:
    """Sums a broadcast tensor back down to `shape` (x's shape must broadcast from it)."""
    x = _tensor(x)
    try:
        shape = tuple(int(n) for n in shape)
        valid = all(n >= 0 for n in shape) and np.broadcast_shapes(shape, x.shape) == x.shape
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ShapeError(f"sum_to: cannot sum a tensor of shape {x.shape} down to {shape!r} (it "
                         "must broadcast to the tensor's shape)")
    return apply(R.SumTo, (x,), {"shape": shape})


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
    except TypeError:
        raise InvalidArgumentError(f"expand_dims: axis must be an int, got {axis!r}") from None
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
    x = _tensor(x)
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(shape)
        valid = all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape)
    except TypeError:
        valid = False
    if not valid:
        raise InvalidArgumentError(f"broadcast_to: shape must be a sequence of ints, got {shape!r}")
    return apply(S.BroadcastTo, (x,), {"shape": tuple(int(n) for n in shape)})


expand = broadcast_to


def _tensor_sequence(tensors: Any, name: str) -> list:
    if isinstance(tensors, (Tensor, np.ndarray, str)) or not hasattr(tensors, "__iter__"):
        raise InvalidArgumentError(f"{name}: expected a sequence of tensors, got "
                                   f"{type(tensors).__name__}")
    return [_tensor(t) for t in tensors]


def concatenate(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Joins tensors along an existing axis; alias cat."""
    tensors = _tensor_sequence(tensors, "concatenate")
    if not tensors:
        raise InvalidArgumentError("concatenate: expected a non-empty sequence of tensors")
    axis = _dim_overrides(axis, dim)
    normalize_axis(axis, tensors[0].ndim, "concatenate")
    return apply(S.Concatenate, tuple(tensors), {"axis": axis})


cat = concatenate


def stack(tensors: Sequence[Any], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Joins same-shape tensors along a new axis."""
    tensors = _tensor_sequence(tensors, "stack")
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
        raw_widths = np.asarray(pad_width)
    except (TypeError, ValueError):
        raw_widths = np.asarray(None)
    if raw_widths.dtype.kind not in "iu":
        raise InvalidArgumentError(f"pad: pad_width must be ints ((before, after) per axis), got "
                                   f"{pad_width!r}")
    try:
        widths = np.broadcast_to(raw_widths.astype(np.int64), (x.ndim, 2))
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
    if index is None:
        raise InvalidArgumentError(f"{name}: missing the index argument")
    index = np.asarray(_plain(index))
    if index.dtype.kind not in "iu":
        raise DTypeError(f"{name}: index must be an integer tensor, got {index.dtype}")
    return index


def _one_axis(axis: Any, ndim: int, name: str) -> int:
    """One axis as a non-negative int (torch's `dim`; a 0-d tensor has the single axis 0 or -1)."""
    if axis is None:
        raise InvalidArgumentError(f"{name}: missing the dim argument")
    if isinstance(axis, (tuple, list)):
        raise InvalidArgumentError(f"{name}: dim must be one int, got {axis!r}")
    return normalize_axis(axis, ndim, name)[0]


def _check_index_range(index: np.ndarray, size: int, axis: int, name: str) -> None:
    """torch's rule: every index in [0, size) (negative indices are out of range too)."""
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexOutOfRangeError(f"{name}: index {int(bad)} is out of range for axis {axis} of "
                                   f"size {size}")


def _check_along_axis(name: str, x: Tensor, axis: int, index: np.ndarray,
                      src: Tensor | None = None) -> None:
    """torch.gather / scatter_add shape rules: index has x's rank, index.size(d) <= x.size(d) for
    d != axis (and <= src.size(d) for every d), no broadcasting."""
    if index.ndim != x.ndim and not (index.ndim <= 1 and x.ndim <= 1):
        raise ShapeError(f"{name}: index has {index.ndim} dimensions but x has {x.ndim} "
                         f"(shapes {index.shape} and {x.shape})")
    if src is not None and index.ndim != src.ndim and not (index.ndim <= 1 and src.ndim <= 1):
        raise ShapeError(f"{name}: index has {index.ndim} dimensions but src has {src.ndim} "
                         f"(shapes {index.shape} and {src.shape})")
    x_shape = x.shape if x.ndim else (1,)
    i_shape = index.shape if index.ndim else (1,)
    for d, n in enumerate(i_shape):
        if d != axis and n > x_shape[d]:
            raise ShapeError(f"{name}: index {index.shape} is larger than x {x.shape} in dimension "
                             f"{d} (index.size(d) <= x.size(d) is required for d != dim {axis})")
    if src is not None:
        s_shape = src.shape if src.ndim else (1,)
        if any(n > s for n, s in zip(i_shape, s_shape)):
            raise ShapeError(f"{name}: index {index.shape} must fit inside src {src.shape} "
                             "(index.size(d) <= src.size(d) for every d)")


def gather(x: Any, dim: Any = None, index: Any = None, *, sparse_grad: bool = False,
           axis: Any = None) -> Tensor:
    """torch.gather: out[i][j] = x[index[i][j]][j] for dim 0 (x[i][index[i][j]] for dim 1), with
    out.shape == index.shape. index has x's rank and may be smaller than x on every axis other
    than dim; it never broadcasts (numpy's broadcasting version is take_along_axis).
    `sparse_grad` is accepted for PyTorch compatibility and ignored."""
    x = _tensor(x)
    dim = _one_axis(_axis_arg(axis, dim) if dim is None else dim, x.ndim, "gather")
    index = _index_array(index, "gather")
    _check_along_axis("gather", x, dim, index)
    _check_index_range(index, x.shape[dim] if x.ndim else 1, dim, "gather")
    if x.ndim == 0:
        return reshape(apply(S.Gather, (reshape(x, (1,)),), {"axis": 0,
                                                            "index": index.reshape(1)}), ())
    return apply(S.Gather, (x,), {"axis": dim, "index": index})


def take_along_axis(x: Any, indices: Any = None, axis: Any = None, *, dim: Any = None) -> Tensor:
    """numpy.take_along_axis(arr, indices, axis): like gather, but indices and x broadcast against
    each other on the axes other than `axis` (the gradient sums over the broadcast copies).
    The older call order take_along_axis(x, axis, indices) is accepted too."""
    x = _tensor(x)
    legacy_order = isinstance(indices, (int, np.integer)) and not isinstance(indices, bool)
    if legacy_order and axis is not None and not isinstance(axis, (int, np.integer)):
        indices, axis = axis, indices
    axis = _dim_overrides(axis, dim)
    if x.ndim == 0:
        raise ShapeError("take_along_axis: x must have at least one dimension, got shape ()")
    axis = _one_axis(axis, x.ndim, "take_along_axis")
    index = _index_array(indices, "take_along_axis")
    if index.ndim != x.ndim:
        raise ShapeError(f"take_along_axis: indices have {index.ndim} dimensions but x has "
                         f"{x.ndim} (shapes {index.shape} and {x.shape})")
    others_x = x.shape[:axis] + x.shape[axis + 1:]
    others_i = index.shape[:axis] + index.shape[axis + 1:]
    try:
        np.broadcast_shapes(others_x, others_i)
    except ValueError:
        raise ShapeError(f"take_along_axis: indices {index.shape} and x {x.shape} cannot be "
                         f"broadcast together outside axis {axis}") from None
    size = x.shape[axis]
    if index.size and (index.min() < -size or index.max() >= size):
        bad = index.min() if index.min() < -size else index.max()
        raise IndexOutOfRangeError(f"take_along_axis: index {int(bad)} is out of range for axis "
                                   f"{axis} of size {size}")
    # the index array itself is the attribute (not a copy), so a traced replay reads new indices
    return apply(S.TakeAlongAxis, (x,), {"axis": axis, "index": index})


def scatter_add(x: Any, dim: Any = None, index: Any = None, src: Any = None, *,
                axis: Any = None) -> Tensor:
    """torch.scatter_add(input, dim, index, src): x with src[i][j] added at [index[i][j]][j] for
    dim 0, repeats accumulating. index has x's and src's rank, index.size(d) <= src.size(d) for
    every d and <= x.size(d) for d != dim; only the index.shape corner of src is used."""
    x = _tensor(x)
    dim = _one_axis(_axis_arg(axis, dim) if dim is None else dim, x.ndim, "scatter_add")
    if src is None:
        raise InvalidArgumentError("scatter_add: missing the src argument")
    src = _tensor(src)
    index = _index_array(index, "scatter_add")
    _check_along_axis("scatter_add", x, dim, index, src)
    _check_index_range(index, x.shape[dim] if x.ndim else 1, dim, "scatter_add")
    if x.dtype != src.dtype and (x.dtype.kind in "fc") != (src.dtype.kind in "fc"):
        raise DTypeError(f"scatter_add: src ({src.dtype}) and x ({x.dtype}) must both be floating "
                         "or both be integer")
    if x.ndim == 0:
        flat = apply(S.ScatterAdd, (reshape(x, (1,)), reshape(src, (1,))),
                     {"axis": 0, "index": index.reshape(1)})
        return reshape(flat, ())
    return apply(S.ScatterAdd, (x, src), {"axis": dim, "index": index})


def index_add(x: Any, dim: Any = None, index: Any = None, source: Any = None, alpha: float = 1, *,
              axis: Any = None, src: Any = None) -> Tensor:
    """torch.index_add(input, dim, index, source, alpha=1): x with alpha * source's slices added at
    positions `index` (1-D) along dim, repeats accumulating. source has x's shape except
    source.size(dim) == len(index). `src=` is accepted as an alias of `source`."""
    x = _tensor(x)
    dim = _one_axis(_axis_arg(axis, dim) if dim is None else dim, x.ndim, "index_add")
    if source is None:
        source = src
    if source is None:
        raise InvalidArgumentError("index_add: missing the source argument")
    source = _tensor(source)
    index = _index_array(index, "index_add")
    if index.ndim > 1:
        raise ShapeError(f"index_add: index must be 1-D, got shape {index.shape}")
    if index.ndim == 0:
        index = index.reshape(1)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.number)):
        raise InvalidArgumentError(f"index_add: alpha must be a number, got {alpha!r}")
    x_shape = x.shape if x.ndim else (1,)
    expected = x_shape[:dim] + (len(index),) + x_shape[dim + 1:]
    if (source.shape if source.ndim else (1,)) != expected:
        raise ShapeError(f"index_add: source must have shape {expected} for x {x.shape} and "
                         f"{len(index)} indices, got {source.shape}")
    _check_index_range(index, x_shape[dim], dim, "index_add")
    if x.ndim == 0:
        flat = apply(S.IndexAdd, (reshape(x, (1,)), reshape(source, (1,))),
                     {"axis": 0, "index": index, "alpha": alpha})
        return reshape(flat, ())
    return apply(S.IndexAdd, (x, source), {"axis": dim, "index": index, "alpha": alpha})


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
    """Outer product of two vectors: out[i, j] = a[i] * b[j] (1-D operands, as torch.outer)."""
    a, b = _tensor(a), _tensor(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    return mul(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight.T + bias as one op (weight of shape (out_features, in_features), as PyTorch)."""
    x, weight = _operand(x, "linear", "input"), _operand(weight, "linear", "weight")
    if bias is not None:
        bias = _operand(bias, "linear", "bias")
    if weight.ndim not in (1, 2):
        raise ShapeError(f"linear: weight must be 1-D or 2-D (out_features, in_features), got "
                         f"shape {weight.shape}")
    if weight.ndim == 1:  # torch: a 1-D weight maps the last axis to a scalar (it is dropped)
        if bias is not None and _tensor(bias).size != 1:
            raise ShapeError(f"linear: a 1-D weight takes a bias with one element, got shape "
                             f"{_tensor(bias).shape}")
        out = linear(x, reshape(weight, (1, -1)), None if bias is None else reshape(bias, (1,)))
        return reshape(out, out.shape[:-1])
    inputs = (x, weight) if bias is None else (x, weight, _tensor(bias))
    return apply(L.Linear, inputs)


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """numpy/torch einsum, differentiable in every operand to any order: explicit or implicit
    output, '...' broadcasting, repeated letters (traces "ii", diagonals "ii->i", "iij->j").
    Operands are given one by one or as one list: einsum(eq, a, b) or einsum(eq, [a, b])."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(_tensor(op) for op in operands)
    if not operands:
        raise InvalidArgumentError(f"einsum: equation {subscripts!r}: expected at least one operand")
    inputs, _ = L.parse_einsum(subscripts, [op.ndim for op in operands])
    L.einsum_sizes(subscripts, inputs, [op.shape for op in operands])
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
