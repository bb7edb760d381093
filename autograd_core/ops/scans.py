"""Scans and order statistics (issue 10): cumsum, cumprod, logcumsumexp as differentiable ops,
and the numpy index computations behind sort/argsort/topk/cummax/cummin/median/kthvalue/mode.

The ordering ops are differentiable through their values only: the public functions compute the
indices with the non-differentiable index ops at the end of this module (recorded by tapes, so a
traced program recomputes them from new inputs) and take the values with `gather`, whose vjp
scatters the gradient back to the chosen elements (PyTorch's gradient for all of them), to any
order. Every index op returns indices with x's number of dimensions (the reduced axis kept).
All functions take one non-negative `axis` (the public functions normalise torch's `dim`).
"""

from __future__ import annotations

import numpy as np

from ..graph import Op
from ..tensor import is_floating_dtype

# ---- cumulative ops ----------------------------------------------------------------------------


def _reverse_cumsum(xp, g, axis):
    """sum_{j >= i} g_j along axis, as total - inclusive prefix + g (no flip needed)."""
    return xp.sum(g, axis, keepdims=True) - xp.cumsum(g, axis) + g


class Cumsum(Op):
    """Inclusive prefix sums along `axis`; d/dx_i = sum_{j >= i} g_j (a reverse cumsum)."""
    name = "cumsum"
    saved_inputs = ()

    def forward(x, axis):
        return np.cumsum(x, axis=axis)

    def vjp(xp, needs, g, out, x, axis):
        return (_reverse_cumsum(xp, g, axis),)


class Cumprod(Op):
    """Inclusive prefix products along `axis`. d/dx_i = sum_{j >= i} g_j prod_{k <= j, k != i} x_k,
    computed exactly in O(n) per slice even where x has zeros (PyTorch's approach). With z the
    first zero of a slice (none: z = n), y = x with the elements up to z replaced by 1 and
    p = prod_{k < z} x_k:
      * i < z: reverse_cumsum(g * out)_i / x_i (x_i != 0, and out_j = 0 for j >= z);
      * i = z: p * sum_{j >= z} g_j cumprod(y)_j;
      * i > z: p * x_z * (this vjp of cumprod(y) with g masked to j >= z)_i. That is 0 since
        x_z = 0, but its derivative in x_z is not: it is only built under create_graph (one
        level of recursion per further zero in the slice), so second derivatives are exact too.
    Each piece is written with xp ops, so the gradient is itself differentiable."""
    name = "cumprod"
    saved_inputs = (0,)
    save_output = True

    def forward(x, axis):
        return np.cumprod(x, axis=axis)

    def vjp(xp, needs, g, out, x, axis):
        recording = hasattr(x, "grad_fn")  # Tensors: under create_graph
        raw = np.asarray(x.data if recording else x)
        is_zero = raw == 0
        if not is_zero.any():
            return (_reverse_cumsum(xp, g * out, axis) / x,)
        n = raw.shape[axis]
        k = np.arange(n).reshape((n,) + (1,) * (raw.ndim - axis - 1))  # broadcasts along axis
        has_zero = is_zero.any(axis=axis, keepdims=True)
        z = np.where(has_zero, np.argmax(is_zero, axis=axis, keepdims=True), n)
        before, at = k < z, k == z
        safe_x = xp.where(before, x, 1.0)
        grad_before = _reverse_cumsum(xp, g * out, axis) / safe_x
        prefix = xp.cumprod(safe_x, axis)                         # at the last index: prod_{k<z}
        prefix = xp.sum(xp.where(k == n - 1, prefix, 0.0), axis, keepdims=True)
        y = xp.where(k <= z, 1.0, x)
        cumprod_y = xp.cumprod(y, axis)                           # prod_{z < k <= j} x_k
        g_y = xp.where(k >= z, g, 0.0)
        grad_at = prefix * xp.sum(g_y * cumprod_y, axis, keepdims=True)
        grad_after = 0.0
        if recording:
            (inner,) = Cumprod.vjp(xp, needs, g_y, cumprod_y, y, axis)
            grad_after = prefix * xp.sum(xp.where(at, x, 0.0), axis, keepdims=True) * inner
        return (xp.where(before, grad_before, xp.where(at, grad_at, grad_after)),)


def _reverse_logcumsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """log(sum_{j >= i} exp(a_j)) along axis, stably (numpy arrays only)."""
    flipped = np.flip(a, axis=axis)
    return np.flip(np.logaddexp.accumulate(flipped, axis=axis), axis=axis)


class Logcumsumexp(Op):
    """log(cumsum(exp(x))) along `axis`, stably (np.logaddexp.accumulate).
    d/dx_i = sum_{j >= i} g_j exp(x_i - out_j).

    On arrays (first order) that is PyTorch's O(n) form: the positive and negative parts of g
    summed in log space, exp(x_i + log sum_{j >= i} exp(log|g_j| - out_j)). Under create_graph
    it is the (..., n, n) matrix form, where every exp(x_i - out_j) (j >= i) is <= 1: stable and
    differentiable again even where g has zeros, at n^2 memory per slice."""
    name = "logcumsumexp"
    saved_inputs = (0,)
    save_output = True

    def forward(x, axis):
        return np.logaddexp.accumulate(x, axis=axis)

    def vjp(xp, needs, g, out, x, axis):
        if not hasattr(x, "grad_fn"):
            with np.errstate(divide="ignore", invalid="ignore"):
                log_abs = np.log(np.abs(g))
                parts = [_reverse_logcumsumexp(np.where(sign * g > 0, log_abs, -np.inf) - out,
                                               axis) for sign in (1, -1)]
                positive, negative = (np.exp(part + x) for part in parts)
            return (positive - negative,)
        n = x.shape[axis]
        later = np.triu(np.ones((n, n), dtype=bool))          # [i, j]: j >= i
        x_i = xp.expand_dims(xp.moveaxis(x, axis, -1), -1)    # (..., n, 1)
        out_j = xp.expand_dims(xp.moveaxis(out, axis, -1), -2)  # (..., 1, n)
        exponent = xp.where(later, x_i - out_j, -np.inf)
        g_j = xp.expand_dims(xp.moveaxis(g, axis, -1), -2)
        grad = xp.sum(xp.exp(exponent) * g_j, -1)
        return (xp.moveaxis(grad, -1, axis),)


# ---- index computations (numpy, not differentiable) --------------------------------------------

def sort_indices(x: np.ndarray, axis: int, descending: bool, stable: bool) -> np.ndarray:
    """Indices that sort x along axis. NaN counts as the largest value (torch): last ascending,
    first descending. Descending keeps equal elements in their original order when stable."""
    kind = "stable" if stable else None
    if not descending:
        return np.argsort(x, axis=axis, kind=kind)
    key = x.astype(np.int64) if x.dtype.kind in "ub" else x
    order = np.argsort(-key, axis=axis, kind=kind)
    if is_floating_dtype(x.dtype):
        is_nan = np.isnan(np.take_along_axis(x, order, axis=axis))
        if is_nan.any():
            order = np.take_along_axis(order, np.argsort(~is_nan, axis=axis, kind="stable"), axis)
    return order


def cumulative_extreme_indices(x: np.ndarray, axis: int, largest: bool) -> np.ndarray:
    """For cummax (largest) / cummin: at each position the index of the running extreme, the
    latest one among ties, and the latest NaN once one is seen (torch's rule)."""
    moved = np.moveaxis(x, axis, -1)
    running = (np.maximum if largest else np.minimum).accumulate(moved, axis=-1)
    better = moved[..., 1:] >= running[..., :-1] if largest else moved[..., 1:] <= running[..., :-1]
    if is_floating_dtype(moved.dtype):
        better = better | np.isnan(moved[..., 1:])
    take = np.concatenate([np.ones(moved.shape[:-1] + (min(1, moved.shape[-1]),), dtype=bool),
                           better], axis=-1)
    positions = np.where(take, np.arange(moved.shape[-1]), 0)
    return np.moveaxis(np.maximum.accumulate(positions, axis=-1), -1, axis).astype(np.int64)


def median_position(x: np.ndarray, order: np.ndarray, axis: int) -> np.ndarray:
    """Position, in the ascending order along axis, of the lower median; of the first NaN in rows
    that hold one (torch.median propagates NaN). Shape: x's with axis kept as size 1."""
    n = x.shape[axis]
    position = np.full(x.shape[:axis] + (1,) + x.shape[axis + 1:], (n - 1) // 2, dtype=np.int64)
    if is_floating_dtype(x.dtype):
        nan_count = np.isnan(x).sum(axis=axis, keepdims=True)
        position = np.where(nan_count > 0, n - nan_count, position)
    return position


def mode_indices(x: np.ndarray, axis: int) -> np.ndarray:
    """Index along axis of the most frequent value of each row (the smallest among equally
    frequent values; its last occurrence, as torch). Shape: x's with axis kept as size 1."""
    moved = np.moveaxis(x, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    result = np.empty(rows.shape[0], dtype=np.int64)
    for r, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        value = values[np.argmax(counts)]  # unique sorts ascending: argmax picks the smallest
        result[r] = np.flatnonzero(row == value)[-1]
    return np.moveaxis(result.reshape(moved.shape[:-1] + (1,)), -1, axis)


def topk_indices(x: np.ndarray, axis: int, k: int, largest: bool) -> np.ndarray:
    order = sort_indices(x, axis, largest, True)
    return np.take(order, np.arange(k), axis=axis)


def median_indices(x: np.ndarray, axis: int) -> np.ndarray:
    order = sort_indices(x, axis, False, True)
    return np.take_along_axis(order, median_position(x, order, axis), axis=axis)


def kthvalue_indices(x: np.ndarray, axis: int, k: int) -> np.ndarray:
    order = sort_indices(x, axis, False, True)
    return np.take(order, [k - 1], axis=axis)


def _index_op(name: str, fn) -> type[Op]:
    """A non-differentiable op computing int64 indices: applied with apply_nondifferentiable, so
    open tapes record it and traced replays recompute the indices instead of baking them in."""
    def forward(x, **attrs):
        return np.asarray(fn(x, **attrs), dtype=np.int64)

    return type(name.title().replace("_", ""), (Op,), {
        "name": name, "differentiable": False, "forward": staticmethod(forward),
        "__doc__": f"{name}: {fn.__doc__ or 'indices'} (not differentiable)."})


SortIndices = _index_op("sort_indices", sort_indices)
CumulativeExtremeIndices = _index_op("cumulative_extreme_indices", cumulative_extreme_indices)
TopkIndices = _index_op("topk_indices", topk_indices)
MedianIndices = _index_op("median_indices", median_indices)
KthvalueIndices = _index_op("kthvalue_indices", kthvalue_indices)
ModeIndices = _index_op("mode_indices", mode_indices)
