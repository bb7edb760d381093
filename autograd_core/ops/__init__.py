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
from ..tensor import is_differentiable_dtype, is_floating_dtype

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
    return apply(E.Maximum, E.promote(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    return apply(E.Minimum, E.promote(a, b))


_NOT_GIVEN = object()


def where(condition: Any, a: Any = _NOT_GIVEN, b: Any = _NOT_GIVEN) -> Tensor | tuple:
    """Picks a where condition holds, else b (all broadcast). where(condition) alone is
    nonzero(condition, as_tuple=True), as in torch."""
    if a is _NOT_GIVEN and b is _NOT_GIVEN:
        return nonzero(condition, as_tuple=True)
    if a is _NOT_GIVEN or b is _NOT_GIVEN:
        raise InvalidArgumentError("where: give both a and b, or neither (where(condition))")
    if not isinstance(condition, Tensor):
        condition = np.asarray(condition)
    if condition.dtype.kind not in "biuf":
        raise DTypeError(f"where: condition must be a bool (or numeric) tensor, got {condition.dtype}")
    if condition.dtype != bool:
        condition = ne(condition, 0)
    return apply(E.Where, (condition, *E.promote(a, b)))


def astype(x: Any, dtype: Any) -> Tensor:
    from ..tensor import _resolve_dtype

    x = _tensor(x)
    dtype = _resolve_dtype(dtype, "astype")
    if dtype == x.dtype:
        return x
    if not is_differentiable_dtype(dtype) and dtype.name != "bfloat16" and x.requires_grad:
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
    if axis is None and dim is None and not keepdims and not keepdim and isinstance(x, Tensor):
        return apply(R.Sum, (x,), {"axis": None, "keepdims": False})  # x.sum(): what _reduce makes
    return _reduce(R.Sum, x, axis, keepdims, dim, keepdim)


def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: bool | None = None) -> Tensor:
    """Mean over `axis` (all when None)."""
    x = _tensor(x)
    if x.data.dtype.kind != "f" and not is_differentiable_dtype(x.dtype):
        raise DTypeError(f"mean: expected a floating tensor, got {x.dtype}")
    if axis is None and dim is None and not keepdims and not keepdim:
        return apply(R.Mean, (x,), {"axis": None, "keepdims": False})  # x.mean(), as _reduce makes it
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
    if not is_differentiable_dtype(x.dtype):
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
    if (axis is None and x.size == 0) or (axis is not None and builtins.any(shape[a] == 0 for a in axis)):
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
        valid = builtins.all(n >= 0 for n in shape) and np.broadcast_shapes(shape, x.shape) == x.shape
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ShapeError(f"sum_to: cannot sum a tensor of shape {x.shape} down to {shape!r} (it "
                         "must broadcast to the tensor's shape)")
    return apply(R.SumTo, (x,), {"shape": shape})


# ---- shape ops ------------------------------------------------------------------------------------

def _shape_arg(shape: tuple, name: str = "shape") -> tuple:
    """Varargs or one sequence (`view(2, 3)`, `view((2, 3))`, `view([2, 3])`) as a tuple of ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, np.ndarray)):
        shape = tuple(shape[0])
    elif len(shape) == 1 and isinstance(shape[0], Tensor):
        shape = tuple(shape[0].data.reshape(-1).tolist())
    try:
        return tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{name}: shape must be a sequence of ints, got {shape!r}") from None


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
    except TypeError:
        raise InvalidArgumentError(f"expand_dims: axis must be an int, got {axis!r}") from None
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
    if sizes.count(-1) > 1 or builtins.any(s < -1 for s in sizes) or (
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
    return apply(S.BroadcastTo, (x,), {"shape": _expanded_shape(x, _shape_arg((shape,), "broadcast_to"),
                                                                "broadcast_to")})


def expand(x: Any, *sizes: Any) -> Tensor:
    """torch's expand(*sizes): broadcast_to with varargs, -1 keeping a dimension's size."""
    x = _tensor(x)
    return apply(S.BroadcastTo, (x,), {"shape": _expanded_shape(x, _shape_arg(sizes, "expand"), "expand")})


def repeat(x: Any, *sizes: Any) -> Tensor:
    """torch's Tensor.repeat: tiles x `sizes[i]` times along dimension i; extra leading sizes add
    dimensions. Differentiable: a reshape, a broadcast and a reshape (the gradient sums the copies)."""
    x = _tensor(x)
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise ShapeError(f"repeat: the number of repeats {len(sizes)} ({sizes}) must be at least "
                         f"the number of dimensions of shape {x.shape}")
    if builtins.any(n < 0 for n in sizes):
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
    if builtins.any(n < 0 for n in sizes) or _py_sum(sizes) != length:
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
    if isinstance(value, str):
        raise DTypeError(f"tensor_split: expected an int or a sequence of ints, got {value!r}")
    try:
        cuts = [int(i) for i in value]
    except (TypeError, ValueError):
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
        if builtins.any(n > s for n, s in zip(i_shape, s_shape)):
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
    if x.dtype != src.dtype and is_differentiable_dtype(x.dtype) != is_differentiable_dtype(src.dtype):
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
# cases where it has nothing to do (another tensor of the same dtype, Parameters included, or a
# Python float or int with a floating tensor), which keeps the per-op cost of the hot path what
# it was before promotion.
def _binary_operator(op: type[Op], name: str) -> tuple:
    promote, tensor, fp, integer = E.promote, Tensor, float, int

    def forward(a: Any, b: Any) -> Tensor:
        cls = b.__class__
        if cls is fp or cls is integer:
            if a.data.dtype.kind == "f":  # bfloat16 (kind "V"): promote
                return apply(op, (a, b))
        elif (cls is tensor or isinstance(b, tensor)) and a.data.dtype is b.data.dtype:
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


# ==== issue 10, shape and indexing ops (newops10b) ========================================

# tril triu flip fliplr flipud roll repeat_interleave narrow diag diagonal diag_embed trace meshgrid
# nonzero masked_fill masked_select index_select index_fill scatter scatter_reduce take
# take_along_dim cross tensordot kron mm bmm mv addmm baddbmm addmv addbmm cdist, with torch's
# argument names and rules. Most are compositions of getitem / index_scatter / matmul, whose
# gradients are exact to any order; flip, roll, tril, triu and the scatter family are Op classes
# in ops/indexing.py. Internal reshapes and permutations apply the Ops directly, so these
# functions do not depend on the public reshape/transpose signatures.

from . import indexing as I  # noqa: E402


def _one_dim(dim: Any, ndim: int, name: str) -> int:
    """One dimension as a non-negative int (a 0-d tensor accepts 0 and -1, as torch)."""
    return normalize_axis(int(dim) if isinstance(dim, np.integer) else dim, ndim, name)[0]


def _dim_list(dims: Any, ndim: int, name: str) -> tuple:
    """Dimensions as non-negative ints, in the order given; duplicates are an error."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    result = tuple(_one_dim(d, ndim, name) for d in dims)
    if len(set(result)) != len(result):
        raise InvalidArgumentError(f"{name}: dim {dims} repeats a dimension")
    return result


def _reshaped(x: Tensor, shape: tuple) -> Tensor:
    return x if x.shape == tuple(shape) else apply(S.Reshape, (x,), {"shape": tuple(shape)})


def _permuted(x: Tensor, order: Sequence[int]) -> Tensor:
    order = tuple(int(a) for a in order)
    return x if order == tuple(range(x.ndim)) else apply(S.Transpose, (x,), {"axes": order})


def _int_array(index: Any, name: str, what: str = "index") -> np.ndarray:
    """An integer index (tensor, array or list) as an int64 array; bool and float are errors."""
    try:
        array = np.asarray(_plain(index))
    except ValueError:
        raise DTypeError(f"{name}: {what} must be an integer tensor, got ragged data") from None
    if array.dtype.kind not in "iu":
        raise DTypeError(f"{name}: {what} must be an integer tensor, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


def _int_arg(value: Any, name: str, what: str) -> int:
    """A Python int from an int-like argument (diagonal, offset, shifts); anything else is a
    typed error naming the op."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, Tensor) and value.size == 1 and value.dtype.kind in "iu":
            return int(value.item())
        raise DTypeError(f"{name}: {what} must be an int, got {type(value).__name__} {value!r}")
    return int(value)


def _bool_array(mask: Any, name: str) -> np.ndarray:
    array = np.asarray(_plain(mask))
    if array.dtype != np.bool_:
        raise DTypeError(f"{name}: mask must be a bool tensor, got dtype {array.dtype}")
    return array


def _check_range(index: np.ndarray, size: int, name: str, what: str, negative: bool) -> None:
    """Every index within [0, size) (or [-size, size) when negative indices are allowed)."""
    if index.size == 0:
        return
    low, high = int(index.min()), int(index.max())
    if high >= size or low < (-size if negative else 0):
        bad = high if high >= size else low
        raise IndexOutOfRangeError(f"{name}: index {bad} is out of range for {what} of size {size}")


def _broadcast_shapes(name: str, *shapes: tuple) -> tuple:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeError(f"{name}: shapes {', '.join(map(str, shapes))} cannot be broadcast "
                         "together") from None


def _fill_value(value: Any, x: Tensor, name: str) -> Any:
    """A fill value for x: a Python number becomes a 0-d array of x's dtype; a 0-d tensor is cast
    to x's dtype (staying differentiable); anything else is an error, as in torch."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(f"{name}: value must be a number or a 0-d tensor, got a tensor of "
                             f"shape {value.shape}")
        return value if value.dtype == x.dtype else astype(value, x.dtype)
    if isinstance(value, np.ndarray) and value.ndim != 0:
        raise ShapeError(f"{name}: value must be a number or a 0-d tensor, got an array of shape "
                         f"{value.shape}")
    if not isinstance(value, (int, float, bool, np.number, np.bool_, np.ndarray)):
        raise DTypeError(f"{name}: value must be a number or a 0-d tensor, got "
                         f"{type(value).__name__}")
    return np.asarray(value).astype(x.dtype)


def _zero_gradient_link(values: np.ndarray, source: Tensor) -> Tensor:
    """`values` (a constant) as a result connected to `source` with a zero gradient, for ops torch
    defines with a zero derivative (cdist p=0, addmm's input when beta=0): no NaN from source
    leaks into the values."""
    return apply(E.Where, (np.ones(values.shape, dtype=bool), values, source))


# ---- triangles, flips, rolls ----------------------------------------------------------------------

def tril(x: Any, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (on and below `diagonal`; > 0 above the main
    diagonal), zeros elsewhere; batched over leading dims. x: (..., n, m)."""
    x = _tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"tril: input must have at least 2 dimensions, got shape {x.shape}")
    return apply(I.Tril, (x,), {"diagonal": _int_arg(diagonal, "tril", "diagonal")})


def triu(x: Any, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (on and above `diagonal`), zeros elsewhere."""
    x = _tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"triu: input must have at least 2 dimensions, got shape {x.shape}")
    return apply(I.Triu, (x,), {"diagonal": _int_arg(diagonal, "triu", "diagonal")})


def flip(x: Any, *args: Any, dims: Any = None) -> Tensor:
    """Reverses x along `dims` (torch.flip(x, dims), x.flip(0), x.flip(0, 1)); same shape."""
    x = _tensor(x)
    if dims is None:
        if not args:
            raise InvalidArgumentError("flip: missing the dims argument")
        dims = args[0] if len(args) == 1 else args
    elif args:
        raise InvalidArgumentError("flip: dims given both positionally and as a keyword")
    return apply(I.Flip, (x,), {"dims": _dim_list(dims, x.ndim, "flip")})


def fliplr(x: Any) -> Tensor:
    """Reverses dim 1 (left/right); x must have at least 2 dimensions."""
    x = _tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"fliplr: input must have at least 2 dimensions, got shape {x.shape}")
    return apply(I.Flip, (x,), {"dims": (1,)})


def flipud(x: Any) -> Tensor:
    """Reverses dim 0 (up/down); x must have at least 1 dimension."""
    x = _tensor(x)
    if x.ndim < 1:
        raise ShapeError(f"flipud: input must have at least 1 dimension, got shape {x.shape}")
    return apply(I.Flip, (x,), {"dims": (0,)})


def roll(x: Any, shifts: Any, dims: Any = None) -> Tensor:
    """Rotates x by `shifts` along `dims` (elements leaving one end re-enter at the other); with
    dims=None, x is rolled as if flattened and the shape restored (torch.roll)."""
    x = _tensor(x)
    shift_list = tuple(_int_arg(s, "roll", "shifts")
                       for s in (shifts if isinstance(shifts, (tuple, list)) else (shifts,)))
    if dims is None:
        if len(shift_list) != 1:
            raise InvalidArgumentError(f"roll: with dims=None, shifts must be one int, got {shifts}")
        flat = _reshaped(x, (x.size,))
        return _reshaped(apply(I.Roll, (flat,), {"shifts": shift_list, "dims": (0,)}), x.shape)
    dim_list = tuple(_one_dim(d, x.ndim, "roll")
                     for d in (dims if isinstance(dims, (tuple, list)) else (dims,)))
    if len(dim_list) != len(shift_list):
        raise InvalidArgumentError(f"roll: shifts and dims must have the same length, got "
                                   f"{len(shift_list)} and {len(dim_list)}")
    if x.ndim == 0:
        return _reshaped(apply(I.Roll, (_reshaped(x, (1,)),), {"shifts": shift_list,
                                                               "dims": (0,) * len(dim_list)}), ())
    return apply(I.Roll, (x,), {"shifts": shift_list, "dims": dim_list})


# ---- selecting by position -----------------------------------------------------------------------

def _along(dim: int, index: Any) -> tuple:
    return (slice(None),) * dim + (index,)


def repeat_interleave(x: Any, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeats each slice of x along `dim` `repeats` times (an int, or one count per slice);
    dim=None flattens x first. repeat_interleave(counts) alone gives the index 0..n-1 with each
    i repeated counts[i] times. Differentiable in x (repeated slices add their gradients)."""
    if repeats is None:
        counts = _int_array(x, "repeat_interleave", "repeats")
        if counts.ndim != 1 or (counts < 0).any():
            raise InvalidArgumentError("repeat_interleave: repeats must be a 1-D tensor of "
                                       f"non-negative counts, got shape {counts.shape}")
        return Tensor._wrap(np.repeat(np.arange(len(counts), dtype=np.int64), counts))
    x = _tensor(x)
    if dim is None:
        x, dim = _reshaped(x, (x.size,)), 0
    elif x.ndim == 0:
        _one_dim(dim, 0, "repeat_interleave")
        x, dim = _reshaped(x, (1,)), 0
    dim = _one_dim(dim, x.ndim, "repeat_interleave")
    size = x.shape[dim]
    counts = _int_array(repeats, "repeat_interleave", "repeats")
    if counts.ndim > 1 or (counts.ndim == 1 and counts.shape[0] not in (1, size)):
        raise ShapeError(f"repeat_interleave: repeats of shape {counts.shape} must be one count "
                         f"or {size} counts for dim {dim} of shape {x.shape}")
    if (counts < 0).any():
        raise InvalidArgumentError("repeat_interleave: repeats must be non-negative")
    index = np.repeat(np.arange(size, dtype=np.int64), np.broadcast_to(counts, (size,)))
    if output_size is not None and output_size != len(index):
        raise ShapeError(f"repeat_interleave: output_size {output_size} does not match the "
                         f"{len(index)} repeated slices")
    return getitem(x, _along(dim, index))


def narrow(x: Any, dim: int, start: Any, length: int) -> Tensor:
    """x's slice start:start+length along `dim` (a negative start counts from the end)."""
    x = _tensor(x)
    if x.ndim == 0:
        raise ShapeError("narrow: cannot be applied to a 0-d tensor")
    dim = _one_dim(dim, x.ndim, "narrow")
    size, start, length = x.shape[dim], int(_plain(start)), int(length)
    if not -size <= start <= size:
        raise IndexOutOfRangeError(f"narrow: start {start} is out of range for dim {dim} of "
                                   f"size {size} (shape {x.shape})")
    start = start % size if start < 0 else start
    if length < 0 or start + length > size:
        raise IndexOutOfRangeError(f"narrow: start ({start}) + length ({length}) exceeds dim "
                                   f"{dim} of size {size} (shape {x.shape})")
    return getitem(x, _along(dim, slice(start, start + length)))


def _diagonal_positions(rows: int, cols: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the `offset` diagonal of a rows x cols matrix."""
    if offset >= 0:
        n = builtins.max(0, builtins.min(rows, cols - offset))
        return np.arange(n), np.arange(n) + offset
    n = builtins.max(0, builtins.min(rows + offset, cols))
    return np.arange(n) - offset, np.arange(n)


def diagonal(x: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The `offset` diagonal of each (dim1, dim2) plane, as a new last dim: x (..., n, m) with
    dim1=-2, dim2=-1 gives (..., k); offset > 0 is above the main diagonal (torch.diagonal)."""
    x = _tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"diagonal: input must have at least 2 dimensions, got shape {x.shape}")
    d1, d2 = _one_dim(dim1, x.ndim, "diagonal"), _one_dim(dim2, x.ndim, "diagonal")
    if d1 == d2:
        raise InvalidArgumentError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
    rest = [d for d in range(x.ndim) if d not in (d1, d2)]
    planes = _permuted(x, rest + [d1, d2])
    rows, cols = _diagonal_positions(x.shape[d1], x.shape[d2], _int_arg(offset, "diagonal", "offset"))
    return getitem(planes, (slice(None),) * len(rest) + (rows, cols))


_diagonal = diagonal  # for diag, whose `diagonal` argument (torch's name) shadows the function


def diag_embed(x: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Places the last dim of x on the `offset` diagonal of new (dim1, dim2) planes, zeros
    elsewhere: x (..., n) gives (..., n+|offset|, n+|offset|) for the default dims."""
    x = _tensor(x)
    if x.ndim < 1:
        raise ShapeError("diag_embed: input must have at least 1 dimension, got a 0-d tensor")
    out_ndim = x.ndim + 1
    d1, d2 = _one_dim(dim1, out_ndim, "diag_embed"), _one_dim(dim2, out_ndim, "diag_embed")
    if d1 == d2:
        raise InvalidArgumentError(f"diag_embed: dim1 and dim2 must differ, got {dim1} and {dim2}")
    n, offset = x.shape[-1], _int_arg(offset, "diag_embed", "offset")
    m = n + _py_abs(offset)
    rows, cols = _diagonal_positions(m, m, offset)
    planes = index_scatter(x, x.shape[:-1] + (m, m), (slice(None),) * (x.ndim - 1) + (rows, cols))
    batch = iter(range(x.ndim - 1))
    order = [x.ndim - 1 if i == d1 else x.ndim if i == d2 else next(batch) for i in range(out_ndim)]
    return _permuted(planes, order)


def diag(x: Any, diagonal: int = 0) -> Tensor:
    """1-D x: the square matrix with x on its `diagonal`; 2-D x: that diagonal as a 1-D tensor."""
    x = _tensor(x)
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim == 2:
        return _diagonal(x, diagonal)
    raise ShapeError(f"diag: supports 1-D or 2-D tensors, got shape {x.shape}")


def trace(x: Any) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor. (`autograd_core.trace` is the program tracer of
    autograd_core.replay; this op is `x.trace()` and `autograd_core.ops.trace`.)"""
    x = _tensor(x)
    if x.ndim != 2:
        raise ShapeError(f"trace: expected a matrix, got shape {x.shape}")
    return sum(diagonal(x))


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors: with indexing='ij' (torch's default) output i varies
    along dim i; 'xy' swaps the first two dims (numpy's default). Each output is a broadcast view
    of its input, so gradients sum over the grid."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise InvalidArgumentError("meshgrid: expects at least one tensor")
    if indexing not in ("ij", "xy"):
        raise InvalidArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    tensors = [_tensor(t) for t in tensors]
    for t in tensors:
        if t.ndim > 1:
            raise ShapeError(f"meshgrid: expects 0-d or 1-D tensors, got shape {t.shape}")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
    sizes = [t.size for t in tensors]
    shape = [0] * len(tensors)
    for axis, n in zip(axes, sizes):
        shape[axis] = n
    grids = []
    for t, axis in zip(tensors, axes):
        column = _reshaped(t, tuple(n if i == axis else 1 for i, n in enumerate(shape)))
        grids.append(apply(S.BroadcastTo, (column,), {"shape": tuple(shape)}))
    return tuple(grids)


def _argwhere(x: np.ndarray) -> np.ndarray:
    return np.argwhere(x).astype(np.int64, copy=False)


_NONZERO = _nondifferentiable_op("nonzero", _argwhere)


def nonzero(x: Any, *, as_tuple: bool = False) -> Tensor | tuple:
    """Indices of the non-zero elements: an int64 tensor (count, x.ndim) in row-major order, or
    with as_tuple=True one 1-D index tensor per dim (a 0-d x counts as 1-D). Not differentiable."""
    x = _tensor(x)
    if as_tuple:
        x = _reshaped(x, (1,)) if x.ndim == 0 else x
        positions = apply_nondifferentiable(_NONZERO, (x,))
        return tuple(getitem(positions, (slice(None), d)) for d in range(x.ndim))
    return apply_nondifferentiable(_NONZERO, (x,))


# ---- selecting by mask -----------------------------------------------------------------------------

def masked_fill(x: Any, mask: Any, value: Any) -> Tensor:
    """x with `value` where the bool `mask` holds (mask and x broadcast together). value is a
    number or a 0-d tensor; the gradient reaches x where mask is False and a tensor value
    (summed over the mask)."""
    x = _tensor(x)
    mask_array = _bool_array(mask, "masked_fill")
    _broadcast_shapes("masked_fill", x.shape, mask_array.shape)
    # a Tensor mask stays an input (not a constant), so a traced program recomputes it
    return apply(E.Where, (mask if isinstance(mask, Tensor) else mask_array,
                           _fill_value(value, x, "masked_fill"), x))


def masked_select(x: Any, mask: Any) -> Tensor:
    """The elements of x where the bool `mask` holds, as a 1-D tensor (both broadcast first)."""
    x = _tensor(x)
    mask = _bool_array(mask, "masked_select")
    shape = _broadcast_shapes("masked_select", x.shape, mask.shape)
    if x.shape != shape:
        x = apply(S.BroadcastTo, (x,), {"shape": shape})
    return getitem(x, np.broadcast_to(mask, shape))


# ---- index_select, index_fill, take, take_along_dim -------------------------------------------------

def _vector_index(index: Any, name: str) -> np.ndarray:
    index = _int_array(index, name)
    if index.ndim > 1:
        raise ShapeError(f"{name}: index must be 1-D or 0-d, got shape {index.shape}")
    return index.reshape(-1)


def index_select(x: Any, dim: int, index: Any) -> Tensor:
    """The slices of x at positions `index` (1-D, or 0-d) along `dim`; repeated positions add
    their gradients. Negative indices are an error, as in torch."""
    x = _tensor(x)
    index = _vector_index(index, "index_select")
    dim = _one_dim(dim, x.ndim, "index_select")
    size = x.shape[dim] if x.ndim else 1
    _check_range(index, size, "index_select", f"dim {dim} (shape {x.shape})", negative=False)
    if x.ndim == 0:
        if index.shape != (1,):
            raise ShapeError(f"index_select: a 0-d input takes one index, got {index.shape}")
        return _reshaped(getitem(_reshaped(x, (1,)), index), ())
    return getitem(x, _along(dim, index))


def index_fill(x: Any, dim: int, index: Any, value: Any) -> Tensor:
    """x with every slice at positions `index` along `dim` set to `value` (a number or a 0-d
    tensor, differentiable); negative indices count from the end."""
    x = _tensor(x)
    index = _vector_index(index, "index_fill")
    dim = _one_dim(dim, x.ndim, "index_fill")
    size = x.shape[dim] if x.ndim else 1
    _check_range(index, size, "index_fill", f"dim {dim} (shape {x.shape})", negative=True)
    filled = np.zeros(size, dtype=bool)
    filled[index] = True
    mask = filled.reshape((size,) + (1,) * (x.ndim - dim - 1)) if x.ndim else filled.reshape(())
    return masked_fill(x, mask, value)


def take(x: Any, index: Any) -> Tensor:
    """x flattened, taken at `index` (any shape; negative counts from the end): out has index's
    shape."""
    x = _tensor(x)
    index = _int_array(index, "take")
    _check_range(index, x.size, "take", f"a tensor of {x.size} elements", negative=True)
    return getitem(_reshaped(x, (x.size,)), index)


def take_along_dim(x: Any, indices: Any, dim: int | None = None) -> Tensor:
    """x picked at `indices` along `dim`, x and indices broadcast in the other dims
    (torch.take_along_dim); dim=None takes from x flattened at indices flattened."""
    x = _tensor(x)
    indices = _int_array(indices, "take_along_dim", "indices")
    if dim is None:
        return take(x, indices.reshape(-1))
    if indices.ndim != x.ndim:
        raise ShapeError(f"take_along_dim: x and indices must have the same number of dimensions, "
                         f"got shapes {x.shape} and {indices.shape}")
    dim = _one_dim(dim, x.ndim, "take_along_dim")
    if x.ndim == 0:
        return take(x, indices)
    others = _broadcast_shapes("take_along_dim", x.shape[:dim] + (1,) + x.shape[dim + 1:],
                               indices.shape[:dim] + (1,) + indices.shape[dim + 1:])
    x_shape = others[:dim] + (x.shape[dim],) + others[dim + 1:]
    index_shape = others[:dim] + (indices.shape[dim],) + others[dim + 1:]
    _check_range(indices, x.shape[dim], "take_along_dim", f"dim {dim} (shape {x.shape})",
                 negative=True)
    if x.shape != x_shape:
        x = apply(S.BroadcastTo, (x,), {"shape": x_shape})
    indices = np.broadcast_to(indices, index_shape) % builtins.max(x.shape[dim], 1)
    return getitem(x, I.along_dim_key(indices, dim))


# ---- scatter and scatter_reduce ------------------------------------------------------------------

def _check_scatter(name: str, x: Tensor, dim: int, index: np.ndarray, src: Any) -> None:
    """torch's rules: index has x's (and src's) rank, is no larger than src anywhere and no
    larger than x outside dim, and its values are in [0, x.shape[dim]); src has x's dtype."""
    src_shape = None if src is None else tuple(src.shape)
    if index.ndim != x.ndim or (src_shape is not None and len(src_shape) != index.ndim):
        raise ShapeError(f"{name}: index, x and src must have the same number of dimensions, got "
                         f"index {index.shape}, x {x.shape}" +
                         ("" if src_shape is None else f", src {src_shape}"))
    for d, n in enumerate(index.shape):
        if (d != dim and n > x.shape[d]) or (src_shape is not None and n > src_shape[d]):
            raise ShapeError(f"{name}: index {index.shape} must be no larger than x {x.shape} "
                             f"apart from dim {dim}" +
                             ("" if src_shape is None else f" and no larger than src {src_shape}"))
    _check_range(index, x.shape[dim], name, f"dim {dim} (shape {x.shape})", negative=False)
    if src is not None and src.dtype != x.dtype:
        raise DTypeError(f"{name}: src has dtype {src.dtype} but x has dtype {x.dtype}")


def _scatter_apply(name: str, x: Any, dim: int, index: Any, src: Any, reduce: str | None,
                   include_self: bool) -> Tensor:
    x = _tensor(x)
    index = _int_array(index, name)
    dim = _one_dim(dim, x.ndim, name)
    if x.ndim == 0:  # torch allows 0-d x with 0-d index and src: scatter into a 1-element vector
        as_vector = _reshaped(src, (1,)) if isinstance(src, Tensor) else src
        if isinstance(as_vector, np.ndarray) and as_vector.ndim == 0:
            as_vector = as_vector.reshape(1)
        out = _scatter_apply(name, _reshaped(x, (1,)), 0, index.reshape(1) if index.ndim == 0
                             else index, as_vector, reduce, include_self)
        return _reshaped(out, ())
    if isinstance(src, Tensor) or isinstance(src, np.ndarray):
        _check_scatter(name, x, dim, index, src)
    else:
        _check_scatter(name, x, dim, index, None)
        src = np.full(index.shape, src, dtype=x.dtype)
    return apply(I.Scatter, (x, src), {"dim": dim, "index": index, "reduce": reduce,
                                       "include_self": include_self})


_SCATTER_REDUCE = {None: None, "add": "sum", "multiply": "prod"}


def scatter(x: Any, dim: int, index: Any, src: Any = None, value: Any = None, *,
            reduce: str | None = None) -> Tensor:
    """x with values written along `dim` at `index`: out[index[i][j]][j] = src[i][j] for dim 0
    (torch.scatter). The 4th argument is `src` (a tensor of x's dtype and rank, of which only
    index.shape's corner is used) or `value` (a number). reduce='add' or 'multiply' combines
    with x's value instead of overwriting. Differentiable in x and src (with reduce= too, where
    torch's raises); repeated indices without reduce keep one written value (the last, where
    torch leaves the choice undefined)."""
    if reduce not in _SCATTER_REDUCE:
        raise InvalidArgumentError(f"scatter: reduce must be None, 'add' or 'multiply', got "
                                   f"{reduce!r}")
    if (src is None) == (value is None):
        raise InvalidArgumentError("scatter: give exactly one of src and value")
    if src is not None and not isinstance(src, (Tensor, np.ndarray)):
        src, value = None, src  # scatter(x, dim, index, 2.0): torch's value overload
    if value is not None and not isinstance(value, (int, float, bool, np.number, np.bool_)):
        raise DTypeError(f"scatter: value must be a number, got {type(value).__name__}; pass a "
                         "tensor as src=")
    return _scatter_apply("scatter", x, dim, index, src if src is not None else value,
                          _SCATTER_REDUCE[reduce], True)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(x: Any, dim: int, index: Any, src: Any, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """x with src's index corner reduced into it along `dim` at `index` (torch.scatter_reduce):
    reduce is 'sum', 'prod', 'mean', 'amax' or 'amin'; include_self=False leaves x's own value
    out at the positions scattered to. Gradients as torch: ties of amax/amin share evenly, prod
    handles zeros exactly."""
    if reduce not in _REDUCTIONS:
        raise InvalidArgumentError(f"scatter_reduce: reduce must be one of {', '.join(_REDUCTIONS)}"
                                   f", got {reduce!r}")
    src = src if isinstance(src, Tensor) else Tensor(np.asarray(src))
    return _scatter_apply("scatter_reduce", x, dim, index, src, reduce, bool(include_self))


# ---- products: cross, tensordot, kron, mm and friends, cdist -------------------------------------

def cross(x: Any, other: Any, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along `dim`, x and other broadcast together. dim=None
    means -1 (torch.linalg.cross's default; torch.cross's deprecated None picks the first size-3
    dim)."""
    a, b = _tensor(x), _tensor(other)
    if a.ndim != b.ndim:
        raise ShapeError(f"cross: inputs must have the same number of dimensions, got shapes "
                         f"{a.shape} and {b.shape}")
    if a.ndim == 0:
        raise ShapeError("cross: inputs must have at least 1 dimension, got 0-d tensors")
    d = _one_dim(-1 if dim is None else dim, a.ndim, "cross")
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise ShapeError(f"cross: dim {d} must have size 3 in both inputs, got shapes {a.shape} "
                         f"and {b.shape}")
    shape = _broadcast_shapes("cross", a.shape, b.shape)
    a, b = (t if t.shape == shape else apply(S.BroadcastTo, (t,), {"shape": shape}) for t in (a, b))
    a0, a1, a2 = (getitem(a, _along(d, i)) for i in range(3))
    b0, b1, b2 = (getitem(b, _along(d, i)) for i in range(3))
    return apply(S.Stack, (a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0), {"axis": d})


def tensordot(a: Any, b: Any, dims: Any = 2) -> Tensor:
    """Contracts the last `dims` dims of a with the first `dims` of b (an int), or the dims listed
    in a pair (dims_a, dims_b); out has a's free dims then b's. A transpose, a reshape and one
    matmul, so gradients are the matmul's."""
    a, b = _tensor(a), _tensor(b)
    if isinstance(dims, (int, np.integer)):
        n = int(dims)
        if n < 0 or n > a.ndim or n > b.ndim:
            raise InvalidArgumentError(f"tensordot: dims={n} does not fit shapes {a.shape} and "
                                       f"{b.shape}")
        dims_a, dims_b = tuple(range(a.ndim - n, a.ndim)), tuple(range(n))
    else:
        if len(dims) != 2:
            raise InvalidArgumentError(f"tensordot: dims must be an int or a pair of dim lists, "
                                       f"got {dims!r}")
        dims_a = _dim_list(_plain(dims[0]).tolist() if isinstance(_plain(dims[0]), np.ndarray)
                           else dims[0], a.ndim, "tensordot")
        dims_b = _dim_list(_plain(dims[1]).tolist() if isinstance(_plain(dims[1]), np.ndarray)
                           else dims[1], b.ndim, "tensordot")
        if len(dims_a) != len(dims_b):
            raise InvalidArgumentError(f"tensordot: both dim lists must have the same length, got "
                                       f"{dims_a} and {dims_b}")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise ShapeError(f"tensordot: contracted dims must match, got size {a.shape[da]} in dim "
                             f"{da} of {a.shape} and {b.shape[db]} in dim {db} of {b.shape}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    inner = int(np.prod([a.shape[d] for d in dims_a], dtype=np.int64))
    left = _reshaped(_permuted(a, free_a + list(dims_a)), (-1, inner) if a.size else
                     (int(np.prod([a.shape[d] for d in free_a], dtype=np.int64)), inner))
    right = _reshaped(_permuted(b, list(dims_b) + free_b), (inner, -1) if b.size else
                      (inner, int(np.prod([b.shape[d] for d in free_b], dtype=np.int64))))
    out_shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return _reshaped(matmul(left, right), out_shape)


def kron(x: Any, other: Any) -> Tensor:
    """The Kronecker product: out[i*m + k, ...] = x[i, ...] * other[k, ...], the shorter shape
    padded with leading 1s; out.shape[d] = x.shape[d] * other.shape[d]."""
    a, b = _tensor(x), _tensor(other)
    ndim = builtins.max(a.ndim, b.ndim)
    sa, sb = (1,) * (ndim - a.ndim) + a.shape, (1,) * (ndim - b.ndim) + b.shape
    spread_a = _reshaped(a, tuple(n for pair in zip(sa, (1,) * ndim) for n in pair))
    spread_b = _reshaped(b, tuple(n for pair in zip((1,) * ndim, sb) for n in pair))
    return _reshaped(spread_a * spread_b, tuple(p * q for p, q in zip(sa, sb)))


def mm(x: Any, mat2: Any) -> Tensor:
    """Matrix product of two 2-D tensors, (n, m) @ (m, p) -> (n, p) (no broadcasting)."""
    a, b = _tensor(x), _tensor(mat2)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ShapeError(f"mm: expected matrices (n, m) and (m, p), got shapes {a.shape} and "
                         f"{b.shape}")
    return matmul(a, b)


def bmm(x: Any, mat2: Any) -> Tensor:
    """Batched matrix product, (B, n, m) @ (B, m, p) -> (B, n, p) (no broadcasting)."""
    a, b = _tensor(x), _tensor(mat2)
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise ShapeError(f"bmm: expected batches (B, n, m) and (B, m, p), got shapes {a.shape} "
                         f"and {b.shape}")
    return matmul(a, b)


def mv(x: Any, vec: Any) -> Tensor:
    """Matrix-vector product, (n, m) @ (m,) -> (n,)."""
    a, v = _tensor(x), _tensor(vec)
    if a.ndim != 2 or v.ndim != 1 or a.shape[1] != v.shape[0]:
        raise ShapeError(f"mv: expected a matrix (n, m) and a vector (m,), got shapes {a.shape} "
                         f"and {v.shape}")
    return matmul(a, v)


def _beta_input_plus_alpha_product(name: str, x: Any, product: Tensor, beta: Any,
                                   alpha: Any) -> Tensor:
    """beta * x + alpha * product, x broadcast to product's shape. With beta=0, x is ignored
    (NaN or inf in it does not propagate; its gradient is 0), as torch documents."""
    x = _tensor(x)
    if _broadcast_shapes(name, x.shape, product.shape) != product.shape:
        raise ShapeError(f"{name}: input of shape {x.shape} cannot be broadcast to the product's "
                         f"shape {product.shape}")
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:
        return scaled + _zero_gradient_link(np.zeros(x.shape, dtype=x.dtype), x)
    return scaled + (x if beta == 1 else x * beta)


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2) for matrices; input broadcasts to (n, p)."""
    return _beta_input_plus_alpha_product("addmm", input, mm(mat1, mat2), beta, alpha)


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1,  # noqa: A002
            alpha: Any = 1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2); input broadcasts to (B, n, p)."""
    return _beta_input_plus_alpha_product("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat @ vec); input broadcasts to (n,)."""
    return _beta_input_plus_alpha_product("addmv", input, mv(mat, vec), beta, alpha)


def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1,  # noqa: A002
           alpha: Any = 1) -> Tensor:
    """beta * input + alpha * sum over the batch of bmm(batch1, batch2); input broadcasts to
    (n, p)."""
    return _beta_input_plus_alpha_product("addbmm", input, sum(bmm(batch1, batch2), axis=0),
                                          beta, alpha)


def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M), batch dims
    broadcast: out (..., P, R). The gradient at zero distance is 0 (as torch), p=0 counts the
    differing coordinates (zero gradient). p=2 is one op (linalg.Cdist: exact distances, matmul
    gradients); other p take the p-norm of the (..., P, R, M) differences. compute_mode is
    accepted and ignored (always the exact differences)."""
    x1, x2 = _tensor(x1), _tensor(x2)
    if x1.ndim < 2 or x2.ndim < 2:
        raise ShapeError(f"cdist: expects inputs of at least 2 dimensions, got shapes {x1.shape} "
                         f"and {x2.shape}")
    if x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(f"cdist: x1 {x1.shape} and x2 {x2.shape} must have the same last dim")
    if not isinstance(p, (int, float, np.number)) or p < 0 or np.isnan(p):
        raise InvalidArgumentError(f"cdist: p must be a non-negative number, got {p!r}")
    _broadcast_shapes("cdist", x1.shape[:-2], x2.shape[:-2])
    if p == 2:
        return apply(L.Cdist, (x1, x2))
    rows = _reshaped(x1, x1.shape[:-1] + (1, x1.shape[-1]))
    cols = _reshaped(x2, x2.shape[:-2] + (1,) + x2.shape[-2:])
    diff = rows - cols
    last = (diff.ndim - 1,)
    if p == 0:
        counts = np.count_nonzero(diff.data, axis=-1).astype(diff.dtype)
        return _zero_gradient_link(counts, sum(diff, axis=-1))
    return apply(R.Norm, (diff,), {"ord": float(p), "axis": last, "keepdims": False})


_NEWOPS10B_NAMES = (
    "tril triu flip fliplr flipud roll repeat_interleave narrow diag diagonal diag_embed trace "
    "meshgrid nonzero masked_fill masked_select index_select index_fill scatter scatter_reduce take "
    "take_along_dim cross tensordot kron mm bmm mv addmm baddbmm addmv addbmm cdist"
).split()
#: Tensor methods (torch has no Tensor.meshgrid, .tensordot or .cdist)
_NEWOPS10B_METHODS = tuple(n for n in _NEWOPS10B_NAMES if n not in ("meshgrid", "tensordot", "cdist"))
for _name in _NEWOPS10B_METHODS:
    setattr(Tensor, _name, globals()[_name])
# ==== end of issue 10, shape and indexing ops (newops10b) ===========================================
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

def _scan_dim(x: Tensor, dim: Any, name: str) -> int:
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
    axis = _scan_dim(x, dim, op.name)
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
    if not is_differentiable_dtype(x.dtype):
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
    axis = _scan_dim(x, dim, name)
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
    axis = _scan_dim(x, dim, "sort")
    if x.ndim == 0:
        return _on_0d(sort, x, descending, stable)
    return _take(x, axis, SC.SortIndices, {"descending": bool(descending), "stable": bool(stable)})


def argsort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort x along `dim` (int64, not differentiable)."""
    x = _tensor(x)
    axis = _scan_dim(x, dim, "argsort")
    if x.ndim == 0:
        return Tensor._wrap(np.zeros((), dtype=np.int64))
    return apply_nondifferentiable(SC.SortIndices, (x,), {
        "axis": axis, "descending": bool(descending), "stable": bool(stable)})


def topk(x: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True  # noqa: A002
         ) -> ValuesIndices:
    """(the k largest (or smallest) values along dim, their indices); always returned sorted."""
    x = _tensor(x)
    axis = _scan_dim(x, dim, "topk")
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
    axis = _scan_dim(x, dim, name)
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
            return Tensor._wrap(np.full((), np.nan, dtype=x.dtype if is_floating_dtype(x.dtype)
                                        else np.float32))
        return median(reshape(x, (-1,)), 0).values
    return _order_statistic(x, dim, keepdim, "median", SC.MedianIndices, {})


def kthvalue(x: Any, k: int, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """(the k-th smallest value along dim (k counts from 1), its index)."""
    x = _tensor(x)
    axis = _scan_dim(x, dim, "kthvalue")
    size = x.shape[axis] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= size:
        raise InvalidArgumentError(f"kthvalue: k must be an int in [1, {size}] for dim {dim} of "
                                   f"shape {x.shape}, got {k!r}")
    return _order_statistic(x, dim, keepdim, "kthvalue", SC.KthvalueIndices, {"k": int(k)})


def mode(x: Any, dim: int = -1, keepdim: bool = False) -> ValuesIndices:
    """(the most frequent value along dim (the smallest among ties), the index of its last
    occurrence), as torch.mode."""
    x = _tensor(x)
    axis = _scan_dim(x, dim, "mode")
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
    if is_floating_dtype(x.dtype):
        x = where(np.isnan(x.data), 0.0, x)
    return sum(x, dim=dim, keepdim=keepdim)


def nanmean(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Mean of the non-NaN elements (NaN where there are none)."""
    x = _tensor(x)
    if not is_floating_dtype(x.dtype):
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
for _name in _NEWOPS10A_NAMES + ["logical_and", "logical_or", "logical_xor", "logical_not"]:
    setattr(Tensor, _name, globals()[_name])


# ==== registry11 (issue 11): the explicit public names ==========================================
# `from autograd_core.ops import *` (and so `autograd_core`) exports exactly these; add a new public
# op here. tests/autograd_core/test_ops_all.py checks that each exists and that every public
# function defined in this module (or nn_ops' __all__) is listed or in _NOT_EXPORTED.
from . import nn_ops as _nn_ops  # noqa: E402

__all__ = (
    "abs acos acosh add addbmm addmm addmv all allclose amax amin any arccos arccosh arcsin arcsinh "
    "arctan arctan2 arctanh argmax argmin argsort asin asinh astype atan atan2 atanh baddbmm "
    "bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor bmm "
    "broadcast_to cat cdist ceil chunk clamp clamp_max clamp_min clip clone concatenate copysign cos "
    "cosh count_nonzero cross cummax cummin cumprod cumsum diag diag_embed diagonal div divide dot "
    "einsum eq equal erf erfc erfinv exp exp2 expand expand_dims expm1 fix flatten flip fliplr flipud "
    "floor floor_divide fmod frac gather ge gelu getitem greater greater_equal gt hypot index_add "
    "index_fill index_select isclose isfinite isinf isnan isneginf isposinf kron kthvalue le leaky_relu "
    "lerp less less_equal linear log log10 log1p log2 log_softmax logaddexp logaddexp2 logcumsumexp "
    "logical_and logical_not logical_or logical_xor logsumexp lt masked_fill masked_select matmul max "
    "maximum mean median meshgrid min minimum mm moveaxis movedim mul multiply mv nan_to_num nanmean "
    "nansum narrow ne neg negative nonzero norm not_equal ones_like outer pad permute pow power prod "
    "reciprocal relu remainder repeat repeat_interleave reshape roll round rsqrt scatter scatter_add "
    "scatter_reduce sigmoid sign sin sinh softmax softplus sort split sqrt square squeeze stack std "
    "std_mean sub subtract sum sum_to swapaxes swapdims take take_along_axis take_along_dim tan tanh "
    "tensor_split tensordot tile topk trace transpose tril triu true_divide trunc unbind unflatten "
    "unsqueeze var var_mean view where xlogy zeros_like "
).split() + [
    "IndexOutOfRangeError",  # also autograd_core.IndexOutOfRangeError (autograd_core.errors)
    # engine internals for op authors: autograd_core has them as attributes, its __all__ leaves them
    # out (_INTERNAL_NAMES in autograd_core/__init__.py)
    "Op", "apply_nondifferentiable", "index_scatter", "normalize_index",
]

#: Public functions of this module deliberately not star-exported. `mode` would shadow the
#: autograd_core.mode submodule (use x.mode(dim) or autograd_core.ops.mode); nn_ops' fused kernels
#: are nn's building blocks (nn.functional calls them as ops.<name>), not torch-level functions.
_NOT_EXPORTED = frozenset(["mode"]) | frozenset(_nn_ops.__all__)
# ==== end of registry11: the explicit public names ==============================================
