"""Reductions (sum, mean, var, std, max, min, prod, logsumexp, norm) and softmax/log_softmax.

All take numpy's `axis` (None, an int, negative ints, or a tuple) and `keepdims`. Their vjps
first put the reduced axes back (`restore_reduced`), then broadcast against the input.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..errors import InvalidArgumentError
from ..graph import Op, sum_to_array


def normalize_axis(axis, ndim: int, op_name: str) -> tuple | None:
    """axis as a sorted tuple of non-negative ints (None stays None); raises on an invalid axis."""
    if axis is None:
        return None
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, (bool, np.bool_)):
            raise InvalidArgumentError(f"{op_name}: axis must be an int or a tuple of ints, got "
                                       f"{axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise InvalidArgumentError(f"{op_name}: axis {axis} is out of range for a tensor with "
                                       f"{ndim} dimension(s)")
        result.append(int(a) % max(ndim, 1))
    if len(set(result)) != len(result):
        raise InvalidArgumentError(f"{op_name}: repeated axis in {axis}")
    return tuple(sorted(result))


def restore_reduced(xp, g, shape: tuple, axis: tuple | None, keepdims: bool):
    """Reshapes a reduced gradient so it broadcasts against the input shape (axes kept as size 1)."""
    if keepdims:
        return g
    if axis is None:
        return xp.reshape(g, (1,) * len(shape))
    kept = tuple(1 if i in axis else n for i, n in enumerate(shape))
    return xp.reshape(g, kept)


def reduced_count(shape: tuple, axis: tuple | None) -> int:
    if axis is None:
        return math.prod(shape)
    return math.prod([shape[i] for i in axis])


_add_reduce = np.add.reduce


def mean_array(x: np.ndarray, axis: tuple | None, keepdims: bool) -> np.ndarray:
    """x.mean(axis=axis, keepdims=keepdims) without numpy's Python-level `_mean` for float32 and
    float64: the same reduction and the same division (by an np.intp count, in float64 for a
    float32 scalar, then rounded), so the bits are numpy's. Other dtypes and empty arrays (the
    warning, float16's float32 accumulation) are left to numpy."""
    dtype = x.dtype
    if dtype.kind != "f" or dtype.itemsize < 4 or not x.size:
        return x.mean(axis=axis, keepdims=keepdims)
    count = np.intp(reduced_count(x.shape, axis))
    total = _add_reduce(x, axis, None, None, keepdims)
    if type(total) is np.ndarray:
        return np.true_divide(total, count, out=total, casting="unsafe", subok=False)
    return total.dtype.type(total / count)


class Sum(Op):
    """Sum over `axis`; the gradient is g broadcast back over the summed axes."""
    name = "sum"
    saved_inputs = ()

    def forward(x, axis, keepdims):
        return _add_reduce(x, axis, None, None, keepdims)  # x.sum(), minus numpy's Python wrapper

    def vjp(xp, needs, g, out, x, axis, keepdims):
        if axis is None and not keepdims and x.ndim:  # a 0-d g broadcasts as it is
            return (xp.broadcast_to(g, x.shape),)
        return (xp.broadcast_to(restore_reduced(xp, g, x.shape, axis, keepdims), x.shape),)


class SumTo(Op):
    """Sums a broadcast array back down to `shape` (the inverse of broadcast_to)."""
    name = "sum_to"
    saved_inputs = ()

    def forward(x, shape):
        return sum_to_array(x, shape)

    def vjp(xp, needs, g, out, x, shape):
        return (xp.broadcast_to(g, x.shape),)


class Mean(Op):
    """Mean over `axis`; the gradient is g / count broadcast back."""
    name = "mean"
    saved_inputs = ()

    forward = staticmethod(mean_array)

    def vjp(xp, needs, g, out, x, axis, keepdims):
        count = reduced_count(x.shape, axis)
        if axis is None and not keepdims and x.ndim:  # a 0-d g broadcasts as it is
            return (xp.broadcast_to(g / count, x.shape),)
        return (xp.broadcast_to(restore_reduced(xp, g, x.shape, axis, keepdims) / count, x.shape),)


def _var_backward(xp, g, x, axis, ddof):
    """PyTorch's var_backward for a gradient g already broadcastable against x: 2 (x - mean) g /
    (N - ddof). With N - ddof <= 0 over all elements it is g * (nan where x == mean, else inf),
    as PyTorch returns; over an axis the plain formula (inf/nan at N == ddof, finite below)."""
    count = reduced_count(x.shape, axis)
    dof = count - ddof
    centered = x - xp.mean(x, axis=axis, keepdims=True)
    if dof > 0:
        return g * centered * (2.0 / dof)
    data = _raw(x)
    if axis is None or data.ndim == 0:
        flags = np.where(data == data.mean(), np.nan, np.inf) if data.size else data
        return g * flags
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = 2.0 / dof if dof else np.inf
        return g * (centered * factor)


def _raw(value):
    return value.data if hasattr(value, "grad_fn") else value


def _spread(fn, x, axis, keepdims: bool, ddof):
    """np.var / np.std; with N - ddof <= 0 PyTorch's inf/nan and one warning like PyTorch's
    ("degrees of freedom is <= 0"), instead of numpy's several."""
    if reduced_count(x.shape, axis) - ddof > 0:
        return fn(x, axis=axis, keepdims=keepdims, ddof=ddof)
    warnings.warn(f"{fn.__name__}: degrees of freedom is <= 0 (correction {ddof} for "
                  f"{reduced_count(x.shape, axis)} element(s)); the result is inf or nan",
                  RuntimeWarning, stacklevel=6)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(x, axis=axis, keepdims=keepdims, ddof=ddof)


class Var(Op):
    """Variance with `ddof` (1 = unbiased, PyTorch's default); d/dx = 2 (x - mean) / (N - ddof).
    N - ddof <= 0 gives PyTorch's forward (inf, or nan for a constant/empty slice) and backward."""
    name = "var"
    saved_inputs = (0,)

    def forward(x, axis, keepdims, ddof):
        return _spread(np.var, x, axis, keepdims, ddof)

    def vjp(xp, needs, g, out, x, axis, keepdims, ddof):
        return (_var_backward(xp, restore_reduced(xp, g, x.shape, axis, keepdims), x, axis, ddof),)


class Std(Op):
    """Standard deviation with `ddof`; d/dx = (x - mean) / ((N - ddof) std), and 0 where the std
    is 0 (a constant slice), as PyTorch does: var's gradient with g / (2 std) masked to 0 there."""
    name = "std"
    saved_inputs = (0,)
    save_output = True

    def forward(x, axis, keepdims, ddof):
        return _spread(np.std, x, axis, keepdims, ddof)

    def vjp(xp, needs, g, out, x, axis, keepdims, ddof):
        is_zero = _raw(out) == 0
        safe = xp.where(is_zero, xp.ones_like(out), out)
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = xp.where(is_zero, xp.zeros_like(g * safe), g / (safe * 2))
        scaled = restore_reduced(xp, scaled, x.shape, axis, keepdims)
        return (_var_backward(xp, scaled, x, axis, ddof),)


class _Extremum(Op):
    """max/min over `axis`; ties share the gradient evenly (PyTorch's amax/amin rule)."""
    save_output = True
    saved_inputs = (0,)

    def vjp(xp, needs, g, out, x, axis, keepdims):
        winners = x == restore_reduced(xp, out, x.shape, axis, keepdims)
        count = xp.sum(winners, axis=axis, keepdims=True)
        return (restore_reduced(xp, g, x.shape, axis, keepdims) * winners / count,)


class Max(_Extremum):
    name = "max"

    def forward(x, axis, keepdims):
        return np.max(x, axis=axis, keepdims=keepdims)


class Min(_Extremum):
    name = "min"

    def forward(x, axis, keepdims):
        return np.min(x, axis=axis, keepdims=keepdims)


class Prod(Op):
    """Product over `axis`; d/dx_i = product of the other elements (exact even when some are 0)."""
    name = "prod"
    saved_inputs = (0,)

    def forward(x, axis, keepdims):
        return np.prod(x, axis=axis, keepdims=keepdims)

    def vjp(xp, needs, g, out, x, axis, keepdims):
        g = restore_reduced(xp, g, x.shape, axis, keepdims)
        data = x.data if hasattr(x, "grad_fn") else x
        if np.all(data != 0):
            return (g * xp.prod(x, axis=axis, keepdims=True) / x,)
        if axis is None:
            flat = xp.reshape(x, (-1,))
            return (g * xp.reshape(_product_of_others(xp, flat, 0), x.shape),)
        moved = xp.moveaxis(x, axis, tuple(range(-len(axis), 0)))
        merged = xp.reshape(moved, moved.shape[:moved.ndim - len(axis)] + (-1,))
        others = xp.reshape(_product_of_others(xp, merged, merged.ndim - 1), moved.shape)
        return (g * xp.moveaxis(others, tuple(range(-len(axis), 0)), axis),)


def _product_of_others(xp, x, axis: int):
    """For each element along `axis`, the product of all the other elements (O(n^2), zero-safe)."""
    n = x.shape[axis]
    moved = xp.moveaxis(x, axis, -1)
    expanded = xp.broadcast_to(xp.expand_dims(moved, -2), moved.shape + (n,))
    eye = np.eye(n, dtype=bool)
    others = xp.prod(xp.where(eye, xp.ones_like(expanded), expanded), axis=-1)
    return xp.moveaxis(others, -1, axis)


# ---- the one softmax / logsumexp kernel (ops.softmax, ops.log_softmax, ops.logsumexp, ----------
# ---- softmax_cross_entropy and, on arrays, xp.softmax / xp.log_softmax all use these) ----------

def _finite_max(x: np.ndarray, axis) -> np.ndarray:
    """x's max along `axis` (kept), 0 where that max is not finite: the shift that keeps exp()
    from overflowing without turning rows of -inf (or an inf) into NaN by itself."""
    shift = x.max(axis=axis, keepdims=True)
    if not np.isfinite(shift).all():
        shift = np.where(np.isfinite(shift), shift, 0)
    return shift


def _log_sum_exp(shifted: np.ndarray, axis) -> np.ndarray:
    """log(sum(exp(shifted))) along `axis` (kept); log(0) is -inf without a warning."""
    with np.errstate(divide="ignore"):
        return np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def logsumexp_array(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """log(sum(exp(x))) with the max subtracted first; -inf over an empty reduction (PyTorch)."""
    if x.size == 0:
        result = _log_sum_exp(x, axis)
        return result if keepdims else (result.reshape(()) if axis is None else
                                        result.squeeze(axis=axis))
    shift = _finite_max(x, axis)
    result = _log_sum_exp(x - shift, axis) + shift
    return result if keepdims else result.squeeze(axis=axis)


def softmax_array(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along `axis`; empty in, empty out (PyTorch)."""
    if x.size == 0:
        return np.exp(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    if not (isinstance(shifted, np.ndarray) and shifted.ndim and shifted.dtype.kind == "f"):
        e = np.exp(shifted)
        return e / e.sum(axis=axis, keepdims=True)
    e = np.exp(shifted, out=shifted)  # in place: the same values, two fewer temporaries
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax_array(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """(x - max) - log(sum(exp(x - max))) along `axis`, PyTorch's order of operations (so float32
    results round as torch's do); empty in, empty out."""
    if x.size == 0:
        return x - logsumexp_array(x, axis, True)
    shifted = x - _finite_max(x, axis)
    return shifted - _log_sum_exp(shifted, axis)


class LogSumExp(Op):
    """log(sum(exp(x))) with the max subtracted first (stable for 1e3 and rows of -inf);
    d/dx = softmax(x)."""
    name = "logsumexp"
    saved_inputs = (0,)
    save_output = True

    def forward(x, axis, keepdims):
        return logsumexp_array(x, axis, keepdims)

    def vjp(xp, needs, g, out, x, axis, keepdims):
        out = restore_reduced(xp, out, x.shape, axis, keepdims)
        return (restore_reduced(xp, g, x.shape, axis, keepdims) * xp.exp(x - out),)


class Softmax(Op):
    """exp(x - max) / sum(exp(x - max)) along `axis`; vjp = s * (g - sum(g s))."""
    name = "softmax"
    saved_inputs = ()
    save_output = True

    def forward(x, axis):
        return softmax_array(x, axis)

    def vjp(xp, needs, g, out, x, axis):
        return (out * (g - xp.sum(g * out, axis=axis, keepdims=True)),)


class LogSoftmax(Op):
    """x - logsumexp(x) along `axis`; vjp = g - softmax * sum(g)."""
    name = "log_softmax"
    saved_inputs = ()
    save_output = True

    def forward(x, axis):
        return log_softmax_array(x, axis)

    def vjp(xp, needs, g, out, x, axis):
        return (g - xp.exp(out) * xp.sum(g, axis=axis, keepdims=True),)


class Norm(Op):
    """The p-norm over `axis` (all elements when None): ord 2 (default), 1, inf, or any p > 0.
    The gradient at a zero vector is 0 (no NaN), like PyTorch's."""
    name = "norm"
    saved_inputs = (0,)
    save_output = True

    def forward(x, ord, axis, keepdims):
        a = np.abs(x)
        if ord == np.inf:
            return np.max(a, axis=axis, keepdims=keepdims)
        if ord == 1:
            return np.sum(a, axis=axis, keepdims=keepdims)
        if ord == 2:
            return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))
        return np.sum(a ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)

    def vjp(xp, needs, g, out, x, ord, axis, keepdims):
        g = restore_reduced(xp, g, x.shape, axis, keepdims)
        out = restore_reduced(xp, out, x.shape, axis, keepdims)
        if ord == np.inf:
            winners = xp.abs(x) == out
            count = xp.sum(winners, axis=axis, keepdims=True)
            return (g * xp.sign(x) * winners / count,)
        if ord == 1:
            return (g * xp.sign(x),)
        is_zero = _raw(out) == 0
        safe_out = xp.where(is_zero, xp.ones_like(out), out)
        if ord == 2:
            return (xp.where(is_zero, xp.zeros_like(x * g), g * x / safe_out),)
        nonzero_x = _raw(x) != 0
        safe_x = xp.where(nonzero_x, x, xp.ones_like(x))
        ratio = xp.abs(safe_x) / safe_out
        grad = g * xp.sign(x) * ratio ** (ord - 1)
        return (xp.where(is_zero | ~nonzero_x, xp.zeros_like(grad), grad),)

