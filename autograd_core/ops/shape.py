"""Shape ops (reshape, transpose, swapaxes, broadcast_to, concatenate, stack, pad) and indexing.

None of these computes anything: each vjp moves the gradient back to where the input's elements
came from. Indexing with repeated integer indices scatters with np.add.at, so repeats accumulate.
"""

from __future__ import annotations

import numpy as np

from ..graph import Op


class Reshape(Op):
    """Same elements, new shape (also unsqueeze, squeeze and flatten); vjp reshapes back."""
    name = "reshape"
    saved_inputs = ()

    def forward(x, shape):
        return x.reshape(shape)

    def explain_error(x, shape):
        return f"reshape: cannot reshape a tensor of shape {np.shape(x)} ({np.size(x)} elements) " \
               f"into shape {tuple(shape)}"

    def vjp(xp, needs, g, out, x, shape):
        return (xp.reshape(g, x.shape),)


class Transpose(Op):
    """Permutes axes (all reversed when axes is None); vjp applies the inverse permutation."""
    name = "transpose"
    saved_inputs = ()

    def forward(x, axes):
        return x.transpose(axes)

    def explain_error(x, axes):
        return f"transpose: axes {axes} are not a permutation of the {np.ndim(x)} axes of shape " \
               f"{np.shape(x)}"

    def vjp(xp, needs, g, out, x, axes):
        if axes is None:
            return (xp.transpose(g),)
        return (xp.transpose(g, tuple(np.argsort(axes))),)


class Swapaxes(Op):
    """Swaps two axes; its own inverse."""
    name = "swapaxes"
    saved_inputs = ()

    def forward(x, axis1, axis2):
        return np.swapaxes(x, axis1, axis2)

    def vjp(xp, needs, g, out, x, axis1, axis2):
        return (xp.swapaxes(g, axis1, axis2),)


class BroadcastTo(Op):
    """Repeats x to `shape` by numpy broadcasting; backward sums the gradient back (generically)."""
    name = "broadcast_to"
    saved_inputs = ()

    def forward(x, shape):
        return np.broadcast_to(x, shape)

    def explain_error(x, shape):
        return f"broadcast_to: cannot broadcast shape {np.shape(x)} to {tuple(shape)}"

    def vjp(xp, needs, g, out, x, shape):
        return (g,)


class Concatenate(Op):
    """Joins tensors along an existing axis; vjp slices the gradient into their extents."""
    name = "concatenate"
    saved_inputs = ()

    def forward(*xs, axis):
        return np.concatenate(xs, axis=axis)

    def explain_error(*xs, axis):
        shapes = ", ".join(str(np.shape(x)) for x in xs)
        return f"concatenate: shapes {shapes} do not match outside axis {axis}"

    def vjp(xp, needs, g, out, *xs, axis):
        axis = axis % g.ndim
        grads, start = [], 0
        for x, need in zip(xs, needs):
            stop = start + x.shape[axis]
            grads.append(g[(slice(None),) * axis + (slice(start, stop),)] if need else None)
            start = stop
        return tuple(grads)


class Stack(Op):
    """Joins same-shape tensors along a new axis; vjp takes each one's slice of the gradient."""
    name = "stack"
    saved_inputs = ()

    def forward(*xs, axis):
        return np.stack(xs, axis=axis)

    def explain_error(*xs, axis):
        shapes = ", ".join(str(np.shape(x)) for x in xs)
        return f"stack: all inputs must have the same shape, got {shapes}"

    def vjp(xp, needs, g, out, *xs, axis):
        axis = axis % g.ndim
        return tuple(g[(slice(None),) * axis + (i,)] if need else None
                     for i, need in enumerate(needs))


class Pad(Op):
    """Pads with a constant (numpy's pad_width convention); vjp crops the gradient."""
    name = "pad"
    saved_inputs = ()

    def forward(x, pad_width, constant_values):
        return np.pad(x, pad_width, mode="constant", constant_values=constant_values)

    def vjp(xp, needs, g, out, x, pad_width, constant_values):
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (g.ndim, 2))
        crop = tuple(slice(int(lo), int(n - hi)) for (lo, hi), n in zip(widths, g.shape))
        return (g[crop],)


def is_basic_index(key) -> bool:
    """True for keys made only of ints, slices, None and Ellipsis (views; no repeated elements)."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(isinstance(k, (int, np.integer, slice)) or k is None or k is Ellipsis
               for k in parts) and not any(isinstance(k, (bool, np.bool_)) for k in parts)


class GetItem(Op):
    """x[key] with basic or advanced (integer array, boolean mask) indexing; vjp scatters back."""
    name = "getitem"
    saved_inputs = ()

    def forward(x, key):
        return x[key]

    def explain_error(x, key):
        return f"getitem: index {key!r} is invalid for a tensor of shape {np.shape(x)}"

    def vjp(xp, needs, g, out, x, key):
        return (xp.index_scatter(g, x.shape, key),)


def index_scatter_array(g: np.ndarray, shape: tuple, key) -> np.ndarray:
    """zeros(shape) with g added at [key]; repeated indices accumulate (np.add.at)."""
    result = np.zeros(shape, dtype=g.dtype)
    if is_basic_index(key):
        result[key] = g
    else:
        np.add.at(result, key, g)
    return result


class IndexScatter(Op):
    """The gradient of getitem as an op of its own, so getitem is differentiable to any order."""
    name = "index_scatter"
    saved_inputs = ()

    def forward(g, shape, key):
        return index_scatter_array(g, shape, key)

    def vjp(xp, needs, g, out, source, shape, key):
        return (g[key],)


def along_axis_key(index: np.ndarray, axis: int) -> tuple:
    """The advanced index that reads x[..., index[i, j, ...], ...] along `axis` for every position
    of `index` (torch.gather's addressing): the positions' own coordinates on the other axes, the
    index values on `axis`. The result of x[key] has exactly index.shape (no broadcasting)."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[axis] = index
    return tuple(grids)


class Gather(Op):
    """torch.gather: out[i][j] = x[index[i][j]][j] for axis 0, out.shape == index.shape; index may
    be smaller than x on every axis (validated by ops.gather). vjp scatters g back (index_scatter,
    repeats accumulating), so its gradient is that of its own forward."""
    name = "gather"
    saved_inputs = ()

    def forward(x, axis, index):
        return x[along_axis_key(index, axis)]

    def vjp(xp, needs, g, out, x, axis, index):
        return (xp.index_scatter(g, x.shape, along_axis_key(index, axis)),)


class TakeAlongAxis(Op):
    """numpy.take_along_axis: index and x broadcast against each other on the axes other than
    `axis`. vjp scatters g into x broadcast to the common shape; backward then sums the stretched
    axes back to x's shape, so the gradient is that of this forward (broadcasting included)."""
    name = "take_along_axis"
    saved_inputs = ()

    def forward(x, axis, index):
        return np.take_along_axis(x, index, axis=axis)

    def vjp(xp, needs, g, out, x, axis, index):
        shape = list(g.shape)
        shape[axis] = x.shape[axis]
        index = np.broadcast_to(index, g.shape)
        return (xp.index_scatter(g, tuple(shape), along_axis_key(index, axis)),)


def _corner(shape: tuple) -> tuple:
    return tuple(slice(0, n) for n in shape)


class ScatterAdd(Op):
    """torch.scatter_add: out = x with src[i][j] added at out[index[i][j]][j] (axis 0), repeats
    accumulating. Only the index.shape corner of src is read (index may be smaller than src and,
    off `axis`, than x). d/dx = g; d/dsrc = g gathered at the index positions in the corner, 0
    elsewhere."""
    name = "scatter_add"
    saved_inputs = ()

    def forward(x, src, axis, index):
        out = np.array(x, copy=True)
        np.add.at(out, along_axis_key(index, axis), src[_corner(index.shape)])
        return out

    def vjp(xp, needs, g, out, x, src, axis, index):
        grad_src = None
        if needs[1]:
            grad_src = xp.gather(g, axis, index)
            if grad_src.shape != src.shape:
                grad_src = xp.pad(grad_src, [(0, s - n) for s, n in zip(src.shape, index.shape)])
        return g, grad_src


class IndexAdd(Op):
    """torch.index_add: out = x with alpha * source added at the positions `index` along `axis`,
    repeated indices accumulating; d/dx = g, d/dsource = alpha * g taken at those positions."""
    name = "index_add"
    saved_inputs = ()

    def forward(x, source, axis, index, alpha):
        out = np.array(x, copy=True)
        key = (slice(None),) * axis + (index,)
        np.add.at(out, key, source * alpha if alpha != 1 else source)
        return out

    def vjp(xp, needs, g, out, x, source, axis, index, alpha):
        grad_source = None
        if needs[1]:
            grad_source = g[(slice(None),) * axis + (index,)]
            if alpha != 1:
                grad_source = grad_source * alpha
        return g, grad_source


def scatter_add_array(x: np.ndarray, axis: int, index: np.ndarray, src: np.ndarray) -> np.ndarray:
    """ops.scatter_add on arrays (xp.scatter_add, see autograd_core/array_namespace.py)."""
    return ScatterAdd.forward(x, src, axis, index)


def gather_array(x: np.ndarray, axis: int, index: np.ndarray) -> np.ndarray:
    """ops.gather on arrays (xp.gather, see autograd_core/array_namespace.py)."""
    return x[along_axis_key(index, axis)]
