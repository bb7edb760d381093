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
from . import return_types as RT
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

def add(a: Any, b: Any, *, alpha: Any = 1) -> Tensor:
    """a + alpha * b with broadcasting and PyTorch's type promotion (torch.add)."""
    if alpha != 1:
        b = mul(b, alpha)
    return apply(E.Add, E.promote(a, b))


def sub(a: Any, b: Any, *, alpha: Any = 1) -> Tensor:
    """a - alpha * b with broadcasting (torch.sub)."""
    if alpha != 1:
        b = mul(b, alpha)
    return apply(E.Sub, E.promote(a, b))


subtract = sub


def mul(a: Any, b: Any) -> Tensor:
    """a * b with broadcasting."""
    return apply(E.Mul, E.promote(a, b))


multiply = mul


def div(a: Any, b: Any, *, rounding_mode: str | None = None) -> Tensor:
    """a / b with broadcasting: true division (integers give the default float dtype), or with
    rounding_mode 'floor' / 'trunc' the quotient rounded down / toward zero in the operands' dtype
    (torch.div; the rounded forms have a zero gradient, as in PyTorch)."""
    if rounding_mode is None:
        return apply(E.Div, E.promote(a, b, true_divide=True))
    if rounding_mode not in ("floor", "trunc"):
        raise InvalidArgumentError(f"div: rounding_mode must be None, 'floor' or 'trunc', got "
                                   f"{rounding_mode!r}")
    return apply(E.RoundedDiv, E.promote(a, b), {"rounding_mode": rounding_mode})


divide = true_divide = div


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 (numpy/PyTorch name)
    """a ** b with broadcasting."""
    return apply(E.Pow, E.promote(a, b))


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
    return apply(E.Maximum, E.promote(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    return apply(E.Minimum, E.promote(a, b))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Picks a where condition holds, else b (all broadcast)."""
    if not isinstance(condition, Tensor):
        condition = np.asarray(condition)
    if condition.dtype != bool:
        condition = ne(condition, 0)
    return apply(E.Where, (condition, *E.promote(a, b)))


def astype(x: Any, dtype: Any) -> Tensor:
    from ..tensor import _resolve_dtype

    x = _tensor(x)
    dtype = _resolve_dtype(dtype)
    if dtype == x.dtype:
        return x
    if dtype.kind not in "fc" and dtype.name != "bfloat16" and x.requires_grad:
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


def _arg_extremum(op, x, dim, keepdim, axis, keepdims, name):
    x = _tensor(x)
    dim = _axis_arg(axis, dim)
    keepdim = bool(keepdims) if keepdims is not None else bool(keepdim)
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise InvalidArgumentError(f"{name}: dim must be an int or None, got {dim!r}")
    if dim is None:
        if x.size == 0:
            raise ShapeError(f"{name}: cannot take the {name} of an empty tensor of shape {x.shape}")
        flat = apply_nondifferentiable(op, (x,), {"axis": None, "keepdims": False})
        return reshape(flat, (1,) * x.ndim) if keepdim else flat
    axis_n = normalize_axis(dim, x.ndim, name)[0]
    if x.ndim and x.shape[axis_n] == 0:
        raise ShapeError(f"{name}: cannot reduce dimension {dim} of size 0 (shape {x.shape})")
    if x.ndim == 0:
        return Tensor._wrap(np.zeros((), dtype=np.int64))
    return apply_nondifferentiable(op, (x,), {"axis": axis_n, "keepdims": keepdim})


def argmax(x: Any, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
           keepdims: bool | None = None) -> Tensor:
    """Index of the first largest element along `dim` (torch.argmax); over the flattened tensor
    when dim is None. Not differentiable. numpy's axis=/keepdims= are accepted as aliases."""
    return _arg_extremum(_ARGMAX, x, dim, keepdim, axis, keepdims, "argmax")


def argmin(x: Any, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
           keepdims: bool | None = None) -> Tensor:
    """Index of the first smallest element along `dim` (torch.argmin); not differentiable."""
    return _arg_extremum(_ARGMIN, x, dim, keepdim, axis, keepdims, "argmin")


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
    if (axis is None and x.size == 0) or (axis is not None and any(shape[a] == 0 for a in axis)):
        raise ShapeError(f"{name}: cannot reduce an empty tensor of shape {shape}")


def _extremum(name, op, arg_op, pairwise, x, dim, keepdim, axis, keepdims):
    """max/min: a dimension gives (values, indices) (torch), numpy's axis= the values only, a
    tensor second argument the elementwise maximum/minimum, nothing the full reduction."""
    if isinstance(dim, (Tensor, np.ndarray)):
        if axis is not None or keepdims is not None or keepdim:
            raise InvalidArgumentError(f"{name}: with a tensor second argument {name} is the "
                                       f"elementwise {pairwise.__name__}; it takes no dim")
        return pairwise(x, dim)
    x = _tensor(x)
    if axis is not None or dim is None:
        keep = bool(keepdims) if keepdims is not None else bool(keepdim)
        _check_nonempty(x, normalize_axis(axis, x.ndim, name), name)
        return _reduce(op, x, axis, keep)
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise InvalidArgumentError(f"{name}: dim must be an int (use amax/amin or axis= for a "
                                   f"tuple of dims), got {dim!r}")
    keep = bool(keepdims) if keepdims is not None else bool(keepdim)
    axis_n = normalize_axis(dim, x.ndim, name)[0]
    _check_nonempty(x, (axis_n,) if x.ndim else None, name)
    if x.ndim == 0:
        return RT.ValuesIndices(reshape(x, ()), Tensor._wrap(np.zeros((), dtype=np.int64)))
    values = apply(E.MaxAlongDim if name == "max" else E.MinAlongDim, (x,),
                   {"axis": axis_n, "keepdim": keep})
    indices = apply_nondifferentiable(arg_op, (x,), {"axis": axis_n, "keepdims": keep})
    return RT.ValuesIndices(values, indices)


def max(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A001
        keepdims: bool | None = None) -> Any:
    """torch.max: `max(x)` the largest value (tied maxima share the gradient evenly, as torch);
    `max(x, dim, keepdim=False)` the named tuple (values, indices), the gradient going to the
    selected (first) index only, as torch; `max(x, other_tensor)` = maximum(x, other).
    numpy's `axis=` (an int or a tuple) gives the values only, with amax's gradient."""
    return _extremum("max", R.Max, _ARGMAX, maximum, x, dim, keepdim, axis, keepdims)


def min(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,  # noqa: A001
        keepdims: bool | None = None) -> Any:
    """torch.min: the counterpart of `max` (values, indices with a dim; minimum with a tensor)."""
    return _extremum("min", R.Min, _ARGMIN, minimum, x, dim, keepdim, axis, keepdims)


def amax(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    """Largest values over `dim` (an int, a tuple, or None/() for all): values only; tied maxima
    share the gradient evenly (torch.amax)."""
    x = _tensor(x)
    dim = _axis_arg(axis, dim)
    dim = None if dim == () else dim
    keep = bool(keepdims) if keepdims is not None else bool(keepdim)
    _check_nonempty(x, normalize_axis(dim, x.ndim, "amax"), "amax")
    return _reduce(R.Max, x, dim, keep)


def amin(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    """Smallest values over `dim`: values only; tied minima share the gradient (torch.amin)."""
    x = _tensor(x)
    dim = _axis_arg(axis, dim)
    dim = None if dim == () else dim
    keep = bool(keepdims) if keepdims is not None else bool(keepdim)
    _check_nonempty(x, normalize_axis(dim, x.ndim, "amin"), "amin")
    return _reduce(R.Min, x, dim, keep)


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
    """Varargs or one sequence (`view(2, 3)`, `view((2, 3))`, `view([2, 3])`) as a tuple of ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, np.ndarray)):
        shape = tuple(shape[0])
    elif len(shape) == 1 and isinstance(shape[0], Tensor):
        shape = tuple(shape[0].data.reshape(-1).tolist())
    try:
        return tuple(int(n) for n in shape)
    except TypeError:
        raise InvalidArgumentError(f"expected a shape of ints, got {shape!r}") from None


def _dim(d: Any, ndim: int, name: str, shape: tuple) -> int:
    """One dimension index checked against a tensor with `ndim` dims (a 0-d tensor accepts 0 and
    -1, as in PyTorch), made non-negative."""
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)):
        raise InvalidArgumentError(f"{name}: dimensions must be ints, got {d!r} (shape {shape})")
    bound = builtins.max(ndim, 1)
    if not -bound <= d < bound:
        raise InvalidArgumentError(f"{name}: dimension {d} is out of range for a tensor of shape "
                                   f"{shape} (expected in [{-bound}, {bound - 1}])")
    return int(d) % bound


def _dims(dims: Any, ndim: int, name: str, shape: tuple) -> tuple:
    """A sequence of dimensions checked like `_dim`, with no repeats."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    result = tuple(_dim(d, ndim, name, shape) for d in dims)
    if len(set(result)) != len(result):
        raise InvalidArgumentError(f"{name}: repeated dimension in {dims} (shape {shape})")
    return result


def reshape(x: Any, *shape: Any) -> Tensor:
    """Same elements in a new shape (one entry may be -1): `reshape(x, 2, 3)` or `(x, (2, 3))`."""
    x = _tensor(x)
    shape = _shape_arg(shape)
    if shape == x.shape:
        return apply(S.Reshape, (x,), {"shape": shape}) if x.requires_grad else x
    return apply(S.Reshape, (x,), {"shape": shape})


def view(x: Any, *shape: Any) -> Tensor:
    """torch's view(*shape): reshape (the result is a copy or a view as numpy decides; there is
    no contiguity requirement). view(dtype), a reinterpretation of the bits, is not supported."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list, Tensor)):
        raise UnsupportedError(f"view: only view(*shape) is supported, got {shape[0]!r} "
                               "(reinterpreting the dtype is not differentiable; use astype)")
    return reshape(x, *shape)


def _permutation(x: Tensor, dims: Any, name: str) -> tuple:
    dims = tuple(dims)
    if len(dims) != x.ndim:
        raise InvalidArgumentError(f"{name}: dims {dims} are not a permutation of the {x.ndim} "
                                   f"dimensions of shape {x.shape}")
    if x.ndim == 0:
        return ()
    return _dims(dims, x.ndim, name, x.shape)


def transpose(x: Any, *dims: Any, dim0: int | None = None, dim1: int | None = None,
              axes: Any = None) -> Tensor:
    """torch.transpose(x, dim0, dim1): swaps two dimensions. With one sequence, `transpose(x,
    (2, 0, 1))` (or numpy's axes=), permutes the dimensions; with none, reverses them (x.T)."""
    x = _tensor(x)
    if dim0 is not None or dim1 is not None:
        dims = dims + tuple(d for d in (dim0, dim1) if d is not None)
    if axes is not None:
        dims = (axes,)
    if not dims or (len(dims) == 1 and dims[0] is None):
        return apply(S.Transpose, (x,), {"axes": None})
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return apply(S.Transpose, (x,), {"axes": _permutation(x, dims[0], "transpose")})
    if len(dims) != 2:
        raise InvalidArgumentError(f"transpose: expected two dimensions to swap (or one sequence, a "
                                   f"permutation), got {dims} for shape {x.shape}; use permute "
                                   "for a permutation")
    a, b = _dim(dims[0], x.ndim, "transpose", x.shape), _dim(dims[1], x.ndim, "transpose", x.shape)
    if x.ndim == 0:  # dims 0 and -1 are accepted, as torch does
        return reshape(x, ())
    order = list(range(x.ndim))
    order[a], order[b] = b, a
    return apply(S.Transpose, (x,), {"axes": tuple(order)})


def permute(x: Any, *dims: Any) -> Tensor:
    """torch.permute: the dimensions in the order `dims` (varargs or one sequence)."""
    x = _tensor(x)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return apply(S.Transpose, (x,), {"axes": _permutation(x, dims, "permute") or None}) \
        if x.ndim else reshape(x, ())


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Swaps two axes (PyTorch's transpose(dim0, dim1); also swapdims)."""
    x = _tensor(x)
    a, b = _dim(axis1, x.ndim, "swapaxes", x.shape), _dim(axis2, x.ndim, "swapaxes", x.shape)
    if x.ndim == 0:
        return reshape(x, ())
    return apply(S.Swapaxes, (x,), {"axis1": a, "axis2": b})


swapdims = swapaxes


def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Moves dimension(s) `source` to position(s) `destination`, the others keeping their order
    (torch.movedim / numpy.moveaxis); ints or equal-length sequences."""
    x = _tensor(x)
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise InvalidArgumentError(f"moveaxis: source {source} and destination {destination} must "
                                   f"have the same number of dimensions (shape {x.shape})")
    sources = _dims(src, x.ndim, "moveaxis", x.shape)
    targets = _dims(dst, x.ndim, "moveaxis", x.shape)
    if x.ndim == 0:
        return reshape(x, ())
    order = [a for a in range(x.ndim) if a not in sources]
    for target, origin in sorted(zip(targets, sources)):
        order.insert(target, origin)
    return apply(S.Transpose, (x,), {"axes": tuple(order)})


movedim = moveaxis


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


def squeeze(x: Any, dim: Any = None, *, axis: Any = None) -> Tensor:
    """Removes size-1 dimensions: all of them, or those of `dim` (an int or a tuple) that have
    size 1; a listed dimension of another size is left as it is (torch.squeeze)."""
    x = _tensor(x)
    dim = _axis_arg(axis, dim)
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        dims = _dims(dim, x.ndim, "squeeze", x.shape)
        shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return apply(S.Reshape, (x,), {"shape": shape})


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merges dimensions start_dim..end_dim into one (torch.flatten; all by default)."""
    x = _tensor(x)
    start = _dim(start_dim, x.ndim, "flatten", x.shape)
    end = _dim(end_dim, x.ndim, "flatten", x.shape)
    if x.ndim == 0:
        return reshape(x, (1,))
    if start > end:
        raise InvalidArgumentError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                                   f"(shape {x.shape})")
    merged = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
    return apply(S.Reshape, (x,), {"shape": x.shape[:start] + (merged,) + x.shape[end + 1:]})


def unflatten(x: Any, dim: int, sizes: Sequence[int]) -> Tensor:
    """Splits dimension `dim` into `sizes` (one may be -1), the inverse of flatten."""
    x = _tensor(x)
    d = _dim(dim, x.ndim, "unflatten", x.shape)
    sizes = _shape_arg((sizes,))
    if not sizes:
        raise InvalidArgumentError(f"unflatten: sizes must be non-empty (shape {x.shape})")
    known = int(np.prod([n for n in sizes if n != -1], dtype=np.int64))
    n = x.shape[d] if x.ndim else 1
    if sizes.count(-1) > 1 or any(s < -1 for s in sizes) or (
            -1 not in sizes and known != n) or (-1 in sizes and (known == 0 or n % known)):
        raise ShapeError(f"unflatten: sizes {sizes} do not multiply to the size {n} of dimension "
                         f"{dim} (shape {x.shape})")
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return apply(S.Reshape, (x,), {"shape": x.shape[:d] + sizes + x.shape[d + 1:]})


def _expanded_shape(x: Tensor, sizes: tuple, name: str) -> tuple:
    """torch.expand's target: -1 keeps a size; new dimensions go in front; size-1 dims stretch."""
    if len(sizes) < x.ndim:
        raise ShapeError(f"{name}: the number of sizes {len(sizes)} ({sizes}) must be at least the "
                         f"number of dimensions of shape {x.shape}")
    lead = len(sizes) - x.ndim
    shape = []
    for i, size in enumerate(sizes):
        if i < lead:
            if size < 0:
                raise ShapeError(f"{name}: size -1 is not allowed for the new leading dimension "
                                 f"{i} (sizes {sizes}, shape {x.shape})")
            shape.append(size)
            continue
        current = x.shape[i - lead]
        if size == -1:
            size = current
        if current != size and current != 1:
            raise ShapeError(f"{name}: cannot expand shape {x.shape} to {sizes}: dimension {i} has "
                             f"size {current}, which is not 1")
        if size < 0:
            raise ShapeError(f"{name}: invalid size {size} in {sizes}")
        shape.append(size)
    return tuple(shape)


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    """Repeats x along broadcast axes to `shape` (-1 keeps a size, as torch.broadcast_to)."""
    x = _tensor(x)
    return apply(S.BroadcastTo, (x,), {"shape": _expanded_shape(x, _shape_arg((shape,)),
                                                                "broadcast_to")})


def expand(x: Any, *sizes: Any) -> Tensor:
    """torch's expand(*sizes): broadcast_to with varargs, -1 keeping a dimension's size."""
    x = _tensor(x)
    return apply(S.BroadcastTo, (x,), {"shape": _expanded_shape(x, _shape_arg(sizes), "expand")})


def repeat(x: Any, *sizes: Any) -> Tensor:
    """torch's Tensor.repeat: tiles x `sizes[i]` times along dimension i; extra leading sizes add
    dimensions. Differentiable: a reshape, a broadcast and a reshape (the gradient sums the copies)."""
    x = _tensor(x)
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise ShapeError(f"repeat: the number of repeats {len(sizes)} ({sizes}) must be at least "
                         f"the number of dimensions of shape {x.shape}")
    if any(n < 0 for n in sizes):
        raise InvalidArgumentError(f"repeat: repeats must be non-negative, got {sizes}")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    interleaved = tuple(v for n in shape for v in (1, n))
    target = tuple(v for r, n in zip(sizes, shape) for v in (r, n))
    spread = broadcast_to(reshape(x, interleaved), target)
    return reshape(spread, tuple(r * n for r, n in zip(sizes, shape)))


def tile(x: Any, *dims: Any) -> Tensor:
    """torch.tile: repeat with `dims` padded with leading ones when shorter than x's rank."""
    x = _tensor(x)
    dims = _shape_arg(dims)
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


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


def _pieces(x: Tensor, axis: int, bounds: list) -> tuple:
    lead = (slice(None),) * axis
    return tuple(getitem(x, lead + (slice(lo, hi),)) for lo, hi in zip(bounds[:-1], bounds[1:]))


def _split_dim(x: Tensor, dim: Any, axis: Any, name: str) -> int:
    if x.ndim == 0:
        raise InvalidArgumentError(f"{name}: expected a tensor with at least one dimension, got "
                                   "a 0-d tensor")
    return _dim(_dim_overrides(dim, axis), x.ndim, name, x.shape)


def split(x: Any, split_size_or_sections: Any, dim: int = 0, *, axis: int | None = None) -> tuple:
    """torch.split: an int is the size of each chunk (the last one smaller when the size does not
    divide the dimension); a list gives the sizes, which must add up to the dimension. Each piece
    is a differentiable slice of x. (np.split(t, ...) keeps numpy's meaning.)"""
    x = _tensor(x)
    axis_n = _split_dim(x, dim, axis, "split")
    length = x.shape[axis_n]
    sizes = split_size_or_sections
    if isinstance(sizes, (int, np.integer)) and not isinstance(sizes, (bool, np.bool_)):
        size = int(sizes)
        if size < 0 or (size == 0 and length != 0):
            raise InvalidArgumentError(f"split: split_size must be positive, got {size} for "
                                       f"dimension {dim} of shape {x.shape}")
        bounds = list(range(0, length, size)) + [length] if length else [0, 0]
        return _pieces(x, axis_n, bounds)
    if isinstance(sizes, Tensor):
        sizes = sizes.data.tolist()
    try:
        sizes = [int(n) for n in sizes]
    except TypeError:
        raise InvalidArgumentError(f"split: split_size_or_sections must be an int or a sequence "
                                   f"of ints, got {split_size_or_sections!r}") from None
    if any(n < 0 for n in sizes) or _py_sum(sizes) != length:
        raise ShapeError(f"split: sizes {sizes} must be non-negative and add up to {length}, the "
                         f"size of dimension {dim} of shape {x.shape}")
    return _pieces(x, axis_n, [0, *np.cumsum(sizes, dtype=np.int64).tolist()])


def chunk(x: Any, chunks: int, dim: int = 0) -> tuple:
    """torch.chunk: at most `chunks` pieces of size ceil(n / chunks), the last one smaller (so
    there may be fewer than `chunks` pieces)."""
    x = _tensor(x)
    axis_n = _split_dim(x, dim, None, "chunk")
    if isinstance(chunks, (bool, np.bool_)) or not isinstance(chunks, (int, np.integer)) \
            or chunks <= 0:
        raise InvalidArgumentError(f"chunk: chunks must be a positive int, got {chunks!r}")
    length = x.shape[axis_n]
    if length == 0:
        return _pieces(x, axis_n, [0] * (int(chunks) + 1))
    return split(x, -(-length // int(chunks)), axis_n)


def unbind(x: Any, dim: int = 0) -> tuple:
    """torch.unbind: the slices along `dim`, each without that dimension."""
    x = _tensor(x)
    axis_n = _split_dim(x, dim, None, "unbind")
    lead = (slice(None),) * axis_n
    return tuple(getitem(x, lead + (i,)) for i in range(x.shape[axis_n]))


def tensor_split(x: Any, indices_or_sections: Any, dim: int = 0) -> tuple:
    """torch.tensor_split: an int n gives n pieces, the first (size % n) one element longer; a
    sequence (or 1-D integer tensor) gives the indices where to cut, as numpy.array_split."""
    x = _tensor(x)
    axis_n = _split_dim(x, dim, None, "tensor_split")
    length = x.shape[axis_n]
    value = indices_or_sections
    if isinstance(value, Tensor):
        if value.dtype.kind not in "iu" or value.ndim > 1:
            raise DTypeError(f"tensor_split: a tensor indices_or_sections must be a 0-d or 1-D "
                             f"integer tensor, got {value.dtype} of shape {value.shape}")
        value = value.data.item() if value.ndim == 0 else value.data.tolist()
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        sections = int(value)
        if sections <= 0:
            raise InvalidArgumentError(f"tensor_split: number of sections must be positive, got "
                                       f"{sections}")
        base, extra = divmod(length, sections)
        sizes = [base + 1] * extra + [base] * (sections - extra)
        return _pieces(x, axis_n, [0, *np.cumsum(sizes, dtype=np.int64).tolist()])
    try:
        cuts = [int(i) for i in value]
    except TypeError:
        raise InvalidArgumentError(f"tensor_split: expected an int or a sequence of ints, got "
                                   f"{indices_or_sections!r}") from None
    lead = (slice(None),) * axis_n
    bounds = [0, *cuts, None]
    return tuple(getitem(x, lead + (slice(lo, hi),)) for lo, hi in zip(bounds[:-1], bounds[1:]))


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
    if index.ndim != x.ndim or index.ndim != src.ndim or any(
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


# ---- conv10: integer and bool ops (bitwise, remainder, fmod, floor_divide) -----------------------

def remainder(a: Any, b: Any) -> Tensor:
    """a - b * floor(a / b), the sign of the divisor (torch.remainder, Python's %); differentiable:
    d/da = 1, d/db = -floor(a / b)."""
    return apply(E.Remainder, E.promote(a, b))


def fmod(a: Any, b: Any) -> Tensor:
    """C's fmod, the sign of the dividend (torch.fmod); d/da = 1, d/db = -trunc(a / b)."""
    return apply(E.Fmod, E.promote(a, b))


def floor_divide(a: Any, b: Any) -> Tensor:
    """a / b rounded toward -inf, in the operands' promoted dtype (torch.floor_divide, `//`)."""
    return div(a, b, rounding_mode="floor")


def _bitwise(ufunc: Any, name: str) -> Any:
    op = _nondifferentiable_op(name, ufunc)

    def explain(*arrays: Any, **attrs: Any) -> str:
        dtypes = " and ".join(str(np.asarray(x).dtype) for x in arrays)
        shapes = " and ".join(str(np.shape(x)) for x in arrays)
        return f"{name}: needs integer or bool tensors of broadcastable shapes, got {dtypes} " \
               f"of shapes {shapes}"

    op.explain_error = staticmethod(explain)

    def fn(a: Any, b: Any) -> Tensor:
        return apply_nondifferentiable(op, E.promote(a, b))

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} of integer tensors (logical for bool); not differentiable."
    return fn


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _bitwise(np.left_shift, "bitwise_left_shift")
bitwise_right_shift = _bitwise(np.right_shift, "bitwise_right_shift")
_BITWISE_NOT = _nondifferentiable_op("bitwise_not", np.invert)


def bitwise_not(x: Any) -> Tensor:
    """~x: bitwise not of an integer tensor, logical not of a bool tensor; not differentiable."""
    x = _tensor(x)
    if x.dtype.kind not in "iub":
        raise DTypeError(f"bitwise_not: needs an integer or bool tensor, got {x.dtype} "
                         f"(shape {x.shape})")
    return apply_nondifferentiable(_BITWISE_NOT, (x,))


def clone(x: Any) -> Tensor:
    """A differentiable copy of x with its own memory (torch.clone)."""
    return apply(E.Clone, (_tensor(x),))


__all__ = [name for name in dir() if not name.startswith("_") and name not in {
    "annotations", "builtins", "np", "apply", "Tensor", "Any", "Sequence", "E", "L", "R", "S",
    "DTypeError", "InvalidArgumentError", "ShapeError", "UnsupportedError", "normalize_axis",
    "elementwise", "linalg", "reductions", "shape", "RT", "return_types"}]


#: Every function above whose first argument is a tensor, as a Tensor method of the same name
#: (x.exp(), x.add(y, alpha=2), x.max(1), ...). One explicit list: add a name here to add a method.
_TENSOR_METHODS = (
    "add sub subtract mul multiply div divide true_divide pow power neg negative "
    "exp log log1p expm1 sqrt sin cos tan tanh erf abs sigmoid relu leaky_relu gelu softplus sign "
    "square clip clamp maximum minimum astype "
    "lt less le less_equal gt greater ge greater_equal eq equal ne not_equal "
    "logical_and logical_or logical_xor logical_not isfinite "
    "sum mean var std max min amax amin prod logsumexp norm softmax log_softmax sum_to "
    "argmax argmin "
    "reshape view transpose permute swapaxes swapdims moveaxis movedim expand_dims unsqueeze "
    "squeeze flatten unflatten broadcast_to expand repeat tile split chunk unbind tensor_split pad "
    "gather take_along_axis scatter_add index_add matmul dot outer "
    "remainder fmod floor_divide bitwise_and bitwise_or bitwise_xor bitwise_not "
    "bitwise_left_shift bitwise_right_shift clone"
).split()

for _name in _TENSOR_METHODS:
    setattr(Tensor, _name, globals()[_name])


def _where_method(self: Tensor, condition: Any, other: Any) -> Tensor:
    """x.where(condition, y) = where(condition, x, y), as torch's Tensor.where."""
    return where(condition, self, other)


Tensor.where = _where_method


# The operators. `E.promote` holds the promotion rules; these only skip calling it in the two
# cases where it has nothing to do (another tensor of the same dtype, or a Python float or int
# with a floating tensor), which keeps the per-op cost of the hot path what it was before promotion.
def _binary_operator(op: type[Op], name: str) -> tuple:
    promote, tensor, fp, integer = E.promote, Tensor, float, int

    def forward(a: Any, b: Any) -> Tensor:
        cls = b.__class__
        if (cls is tensor and a.data.dtype is b.data.dtype) or (
                (cls is fp or cls is integer) and a.data.dtype.kind == "f"):
            return apply(op, (a, b))
        return apply(op, promote(a, b))

    def reflected(a: Any, b: Any) -> Tensor:
        cls = b.__class__
        if (cls is fp or cls is integer) and a.data.dtype.kind == "f":
            return apply(op, (b, a))
        return apply(op, promote(b, a))

    forward.__name__, reflected.__name__ = f"__{name}__", f"__r{name}__"
    return forward, reflected


def _truediv(a: Any, b: Any) -> Tensor:
    return apply(E.Div, E.promote(a, b, true_divide=True))


def _reflected(fn: Any) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        return fn(other, self)

    method.__name__ = f"r{fn.__name__}"
    return method


_add, _radd = _binary_operator(E.Add, "add")
_sub, _rsub = _binary_operator(E.Sub, "sub")
_mul, _rmul = _binary_operator(E.Mul, "mul")
Tensor.__add__ = _add
Tensor.__radd__ = _radd
Tensor.__sub__ = _sub
Tensor.__rsub__ = _rsub
Tensor.__mul__ = _mul
Tensor.__rmul__ = _rmul
Tensor.__truediv__ = _truediv
Tensor.__rtruediv__ = _reflected(_truediv)
Tensor.__floordiv__ = floor_divide
Tensor.__rfloordiv__ = _reflected(floor_divide)
Tensor.__mod__ = remainder
Tensor.__rmod__ = _reflected(remainder)
Tensor.__pow__ = pow
Tensor.__rpow__ = _reflected(pow)
Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: apply(L.MatMul, (other, self))
Tensor.__and__ = bitwise_and
Tensor.__rand__ = _reflected(bitwise_and)
Tensor.__or__ = bitwise_or
Tensor.__ror__ = _reflected(bitwise_or)
Tensor.__xor__ = bitwise_xor
Tensor.__rxor__ = _reflected(bitwise_xor)
Tensor.__lshift__ = bitwise_left_shift
Tensor.__rlshift__ = _reflected(bitwise_left_shift)
Tensor.__rshift__ = bitwise_right_shift
Tensor.__rrshift__ = _reflected(bitwise_right_shift)
Tensor.__invert__ = bitwise_not
from .nn_ops import *  # noqa: E402,F401,F403  (fused nn ops: im2col, softmax_cross_entropy, ...)
