"""Shape and indexing ops that need a vjp of their own: flip, roll, tril/triu and the scatter
family (scatter, scatter with reduce=, scatter_reduce).

Most of issue 10's indexing ops (narrow, diagonal, index_select, take, masked_select, ...) are
compositions of getitem / index_scatter in `ops/__init__.py` and need no class here. The ops
below are either their own adjoints up to a parameter (flip, roll, tril, triu: the vjp applies
the same op to the gradient) or have gradients that no composition gives as torch defines them
(scatter_reduce's prod with zeros, amax/amin ties shared evenly).

Conventions (torch's): `dim` is one axis; `index` has the rank of `x` and of `src`, is no larger
than `src` in every dimension and no larger than `x` outside `dim`; only the `index.shape`
corner of `src` is used.
"""

from __future__ import annotations

import numpy as np

from ..errors import GraphError
from ..graph import Op, apply
from ..tensor import Tensor
from ..tensor import is_differentiable_dtype, is_floating_dtype


def _array(value):
    """The numpy array behind a Tensor (vjps compute their masks on plain arrays)."""
    return value.data if isinstance(value, Tensor) else np.asarray(value)


class Flip(Op):
    """Reverses the order of elements along `dims` (a tuple of non-negative axes); its own
    adjoint, so the vjp flips the gradient back."""
    name = "flip"
    saved_inputs = ()

    def forward(x, dims):
        return np.flip(x, dims) if dims else x.copy()

    def vjp(xp, needs, g, out, x, dims):
        return (xp.flip(g, dims),)


class Roll(Op):
    """Rotates elements along `dims` by `shifts` (tuples of equal length, torch.roll);
    the vjp rolls the gradient back by -shifts."""
    name = "roll"
    saved_inputs = ()

    def forward(x, shifts, dims):
        return np.roll(x, shifts, dims)

    def vjp(xp, needs, g, out, x, shifts, dims):
        return (xp.roll(g, tuple(-s for s in shifts), dims),)


class Tril(Op):
    """The lower triangle (on and below `diagonal`) of the last two dims, zeros elsewhere;
    the vjp keeps the same triangle of the gradient."""
    name = "tril"
    saved_inputs = ()

    def forward(x, diagonal):
        return np.tril(x, diagonal)

    def vjp(xp, needs, g, out, x, diagonal):
        return (xp.tril(g, diagonal),)


class Triu(Op):
    """The upper triangle (on and above `diagonal`) of the last two dims; vjp as Tril."""
    name = "triu"
    saved_inputs = ()

    def forward(x, diagonal):
        return np.triu(x, diagonal)

    def vjp(xp, needs, g, out, x, diagonal):
        return (xp.triu(g, diagonal),)


# ---- scatter family -----------------------------------------------------------------------------

def along_dim_key(index: np.ndarray, dim: int) -> tuple:
    """The advanced index addressing x[..., index[i, j, ...], ...] along `dim`, for every position
    of `index` (so x[key] is torch.gather(x, dim, index) and only index's corner of x is read)."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _corner(index_shape: tuple) -> tuple:
    return tuple(slice(0, n) for n in index_shape)


def _identity(reduce: str, dtype: np.dtype):
    """The value a position starts from when include_self=False (so only src is reduced)."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = np.inf if is_floating_dtype(dtype) else np.iinfo(dtype).max
    return -big if reduce == "amax" else big


_UFUNCS = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
           "amin": np.minimum}


def _scattered_mask(shape: tuple, key: tuple) -> np.ndarray:
    """True at every position of `shape` that some index entry writes to."""
    mask = np.zeros(shape, dtype=bool)
    mask[key] = True
    return mask


def _counts(shape: tuple, key: tuple, include_self: bool, dtype) -> np.ndarray:
    """How many values are reduced into each position (1 for self when included, +1 per index
    entry); 1 where nothing is, so dividing by it is safe (torch's N in scatter_reduce mean)."""
    counts = np.full(shape, 1 if include_self else 0, dtype=dtype)
    np.add.at(counts, key, 1)
    counts[counts == 0] = 1
    return counts


def scatter_forward(x: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray,
                    reduce: str | None, include_self: bool) -> np.ndarray:
    """torch.scatter (reduce None: src's values written at index; the last write wins for
    repeated indices) and torch.scatter_reduce (reduce in sum prod mean amax amin)."""
    out = np.array(x, copy=True)
    if index.size == 0:
        return out
    key = along_dim_key(index, dim)
    values = src[_corner(index.shape)]
    if reduce is None:
        out[key] = values
        return out
    if not include_self:
        out[key] = _identity(reduce, out.dtype)
    _UFUNCS[reduce].at(out, key, values)
    if reduce == "mean":
        counts = _counts(out.shape, key, include_self, out.dtype)
        out = out / counts if is_differentiable_dtype(out.dtype) else out // counts
    return out


class Scatter(Op):
    """out = x with src's index-corner scattered along `dim` at `index`, either written
    (reduce None) or reduced (sum, prod, mean, amax, amin; include_self says whether x's own
    value takes part). Gradients are torch's (FunctionsManual scatter_reduce_backward):

    * written:   dx = g with the scattered positions zeroed, dsrc = g[key];
    * sum:       dx = g, dsrc = g[key];
    * mean:      dx = g / N, dsrc = (g / N)[key], N the count of values reduced per position;
    * amax/amin: the gradient of a position is shared evenly by all values equal to the result;
    * prod:      dx = g * (product of the others), dsrc likewise, computed without dividing by a
                 zero (a single zero in a group gets the product of the others, 2+ zeros get 0);

    and with include_self=False dx is zero at the scattered positions. dsrc outside the index
    corner is zero (torch raises there instead, see the README's deviations table)."""
    name = "scatter"
    saved_inputs = (0, 1)
    save_output = True

    def forward(x, src, dim, index, reduce, include_self):
        return scatter_forward(x, src, dim, index, reduce, include_self)

    def vjp(xp, needs, g, out, x, src, dim, index, reduce, include_self):
        key = along_dim_key(index, dim)
        corner = _corner(index.shape)
        scattered = _scattered_mask(x.shape, key)
        dtype = _array(g).dtype
        untouched = (~scattered).astype(dtype)
        grad_x = grad_src = None
        if reduce is None or reduce == "sum":
            if needs[0]:
                grad_x = g * untouched if reduce is None or not include_self else g
            if needs[1]:
                grad_src = g[key]
        elif reduce == "mean":
            g_share = g / _counts(x.shape, key, include_self, dtype)
            if needs[0]:
                grad_x = g_share
            if needs[1]:
                grad_src = g_share[key]
        elif reduce in ("amax", "amin"):
            result, values = _array(out), _array(out)[key]
            self_wins = (_array(x) == result).astype(dtype)
            src_wins = (_array(src)[corner] == values).astype(dtype)
            winners = np.array(self_wins, copy=True)
            np.add.at(winners, key, src_wins)
            winners[winners == 0] = 1
            g_share = g / winners
            if needs[0]:
                grad_x = g_share * self_wins
            if needs[1]:
                grad_src = g_share[key] * src_wins
        else:  # prod
            x_zero = _array(x) == 0
            if needs[0]:
                masked_x = xp.where(x_zero, 1.0, x) if x_zero.any() else x
                others = xp.scatter_reduce(masked_x, dim, index, src, "prod",
                                           include_self=include_self)
                grad_x = g * others / masked_x
            if needs[1]:
                src_corner = src[corner]
                src_zero = _array(src_corner) == 0
                zeros_per_position = np.zeros(x.shape, dtype=np.int64)
                np.add.at(zeros_per_position, key, src_zero.astype(np.int64))
                single_zero = src_zero & (zeros_per_position[key] == 1)
                grad_src = (g * out)[key] / (xp.where(src_zero, 1.0, src_corner)
                                             if src_zero.any() else src_corner)
                if single_zero.any():
                    padded = np.zeros(src.shape, dtype=bool)
                    padded[corner] = single_zero
                    masked_src = xp.where(padded, 1.0, src)
                    others = xp.scatter_reduce(x, dim, index, masked_src, "prod",
                                               include_self=include_self)
                    grad_src = xp.where(single_zero, (g * others)[key], grad_src)
                if isinstance(grad_src, Tensor) and (zeros_per_position > 1).any():
                    grad_src = apply(DoubleBackwardError, (grad_src,), {"message": _PROD_ZEROS})
        if grad_x is not None and reduce is not None and not include_self:
            grad_x = grad_x * untouched
        if grad_src is not None and tuple(grad_src.shape) != tuple(src.shape):
            grad_src = xp.index_scatter(grad_src, tuple(src.shape), corner)
        return grad_x, grad_src


_PROD_ZEROS = ("scatter_reduce: the second derivative of reduce='prod' with respect to src is not "
               "supported when two or more zeros of src are reduced into the same position "
               "(as in torch)")


class DoubleBackwardError(Op):
    """Identity in forward; its vjp raises. Put on a first-order gradient built under
    create_graph whose own derivative is not available (torch's DelayedError), so the error comes
    only if that derivative is actually asked for."""
    name = "double_backward_error"
    saved_inputs = ()

    def forward(x, message):
        return x

    def vjp(xp, needs, g, out, x, message):
        raise GraphError(message)


def scatter_reduce_array(x: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray, reduce: str,
                         include_self: bool = True) -> np.ndarray:
    """ops.scatter_reduce on arrays (xp.scatter_reduce, see autograd_core/array_namespace.py)."""
    return scatter_forward(x, np.asarray(src), dim, np.asarray(index), reduce, include_self)
