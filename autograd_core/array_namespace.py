"""The array namespace: what a vjp calls `xp` when backward runs on plain numpy arrays.

Every vjp is written once against `xp` (graph.Op): on arrays `xp` is `array_namespace` (this
module, for speed); under `create_graph=True` it is `autograd_core.ops` (so each step is itself
recorded). Both must therefore offer every `xp.<name>` a vjp calls, under the same name and
signature; tests/autograd_core/test_array_namespace.py checks that by scanning every vjp.

This module is the one place that says what each name means on arrays. It imports only numpy
and amp, never `autograd_core.ops` or `graph` (graph imports it). The few entries that are an
op's own forward kernel (im2col, scatter_reduce, ...) live next to their Op and are listed in
`_OP_KERNELS` below; they are bound on first use, when the ops are necessarily imported.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np

from . import amp

#: Names whose array meaning is numpy's own function of that name (same call convention as the
#: op of that name in autograd_core.ops).
_NUMPY_NAMES = (
    "abs", "concatenate", "cos", "cosh", "cumprod", "cumsum", "exp", "expand_dims", "flip", "log",
    "log1p", "maximum", "moveaxis", "ones_like", "prod", "roll", "sign", "sin", "sinh", "sqrt",
    "squeeze", "stack", "tanh", "tril", "triu", "where", "zeros_like",
)


# ---- helpers defined here: numpy lacks them, or numpy's module-level wrapper is slow --------------
# The array methods are called directly: numpy's module-level wrappers (np.sum, np.swapaxes...)
# add a dispatch layer that costs more than the op itself on small arrays.

_add_reduce = np.add.reduce


def _array_sum(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return _add_reduce(np.asarray(a), axis, None, None, keepdims)  # what ndarray.sum calls


def _array_mean(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return np.asarray(a).mean(axis=axis, keepdims=keepdims)


def _array_reshape(a: Any, shape: Any) -> Any:
    return np.asarray(a).reshape(shape)


def _array_transpose(a: Any, axes: Any = None) -> Any:
    return np.asarray(a).transpose(axes)


def _array_swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    return np.asarray(a).swapaxes(axis1, axis2)


def _array_broadcast_to(a: Any, shape: tuple) -> np.ndarray:
    """a broadcast to `shape`: a filled new array when small (numpy's broadcast_to view costs more
    to build than the copy), a read-only view when large (no memory for the repeats)."""
    if a.shape == shape:
        return a
    if math.prod(shape) <= 65536:
        result = np.empty(shape, dtype=a.dtype)
        result[...] = a
        return result
    return np.broadcast_to(a, shape)


def _array_pad(x: np.ndarray, pad_width: Any) -> np.ndarray:
    """Zero padding, ops.pad's two-argument form (the vjp of scatter_add's src)."""
    return np.pad(x, pad_width)


#: Entries defined in this module (or amp's mixed-precision kernels), and the vjps that call them.
_HELPERS = {
    "sum": _array_sum,  # reductions, softmax family, Linear, scans
    "mean": _array_mean,  # var/std
    "reshape": _array_reshape,  # Reshape, MatMul, Linear, restore_reduced (every reduction)
    "transpose": _array_transpose,  # Transpose, Einsum
    "swapaxes": _array_swapaxes,  # Swapaxes, MatMul, Linear, Cdist, LSTMSequence
    "broadcast_to": _array_broadcast_to,  # Sum, Mean, SumTo, Einsum, Prod
    "pad": _array_pad,  # ScatterAdd (src larger than index)
    "matmul": amp.matmul_array,  # MatMul, Linear, Cdist, LSTMSequence (float32 accumulation)
    "einsum": amp.lowp_einsum,  # Einsum (float32 accumulation under autocast)
}

#: Entries that are an op's own array kernel, as name -> (module, attribute). Each stays next to
#: its Op, whose forward calls the same function; those modules import graph, which imports this
#: module, so the kernel is imported the first time a vjp asks for it.
_OP_KERNELS = {
    "sum_to": ("autograd_core.graph", "sum_to_array"),  # graph.fit_gradient (broadcast undone)
    "softmax": ("autograd_core.ops.reductions", "softmax_array"),  # SoftmaxCrossEntropy
    "log_softmax": ("autograd_core.ops.reductions", "log_softmax_array"),  # SoftmaxCrossEntropy
    "erf": ("autograd_core.ops.elementwise", "erf_array"),  # Gelu (exact)
    "index_scatter": ("autograd_core.ops.shape", "index_scatter_array"),  # GetItem, Gather,
    # TakeAlongAxis, Scatter, EmbeddingLookup
    "gather": ("autograd_core.ops.shape", "gather_array"),  # ScatterAdd
    "scatter_add": ("autograd_core.ops.shape", "scatter_add_array"),  # _SelectAlongDim (max/min)
    "scatter_reduce": ("autograd_core.ops.indexing", "scatter_reduce_array"),  # Scatter (prod)
    "im2col": ("autograd_core.ops.nn_ops", "im2col_array"),  # Col2Im (conv2d, pooling, fold)
    "col2im": ("autograd_core.ops.nn_ops", "col2im_array"),  # Im2Col (conv2d, pooling, unfold)
}

#: Every name the array namespace offers.
NAMES = frozenset(_NUMPY_NAMES) | frozenset(_HELPERS) | frozenset(_OP_KERNELS)


class _ArrayNamespace:
    """What a vjp calls `xp` when not recording: numpy's functions plus the helpers numpy lacks,
    under the same names and signatures as autograd_core.ops. Attribute access is a plain
    instance lookup; an `_OP_KERNELS` entry is imported and stored the first time it is asked."""

    def __init__(self) -> None:
        for name in _NUMPY_NAMES:
            setattr(self, name, getattr(np, name))
        for name, fn in _HELPERS.items():
            setattr(self, name, fn)

    def __getattr__(self, name: str) -> Any:  # only called when `name` is not yet set
        if name not in _OP_KERNELS:
            raise AttributeError(f"the array namespace has no {name!r} (see "
                                 "autograd_core/array_namespace.py)")
        module, attribute = _OP_KERNELS[name]
        fn = getattr(importlib.import_module(module), attribute)
        setattr(self, name, fn)
        return fn

    def __dir__(self) -> list[str]:
        return sorted(NAMES)

    def __repr__(self) -> str:
        return f"<array namespace: {len(NAMES)} names, see autograd_core/array_namespace.py>"


array_namespace = _ArrayNamespace()
