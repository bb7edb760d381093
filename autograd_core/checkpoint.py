"""Activation checkpointing: keep a segment's inputs, not its intermediate activations, and
recompute the segment during backward. Trades one extra forward pass for memory."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import graph
from .errors import UnsupportedError
from .graph import Op, apply
from .mode import enable_grad, is_grad_enabled
from .tensor import Tensor


class Checkpoint(Op):
    """fn(*args) as one node: forward keeps only the output; vjp re-runs fn with grad enabled on
    the saved inputs and backpropagates through that fresh graph, which is then dropped."""
    name = "checkpoint"

    def forward(*arrays, fn, n_args, params, result):
        return result.pop()

    def vjp(xp, needs, g, out, *inputs, fn, n_args, params, result):
        if xp is not graph.array_namespace:
            raise UnsupportedError("checkpoint: create_graph=True through a checkpointed segment is "
                                   "not supported; call the function without checkpoint")
        with enable_grad():
            leaves = []
            for array, need in zip(inputs[:n_args], needs[:n_args]):
                leaf = Tensor._wrap(array)
                leaf.requires_grad = need
                leaves.append(leaf)
            output = fn(*leaves)
            sources = [leaf for leaf in leaves if leaf.requires_grad] + list(params)
            found = graph.backward([output], [g], inputs=sources, accumulate=False)
        grads = [found.get(id(leaf)) if need else None for leaf, need in zip(leaves, needs)]
        grads += [found[id(p)] if id(p) in found else np.zeros_like(p.data) for p in params]
        return tuple(grads)


def checkpoint(fn: Callable[..., Tensor], *args: Any) -> Tensor:
    """Calls fn(*args) without keeping its intermediate activations for backward; they are
    recomputed when the gradient is needed. Parameters fn uses (leaves that require grad) get their
    gradients as usual. fn must be deterministic (e.g. no dropout with a fresh mask) and return
    one Tensor. Not differentiable twice (create_graph)."""
    tensors = tuple(a if isinstance(a, Tensor) else Tensor(a) for a in args)
    if not is_grad_enabled():
        return fn(*tensors)
    probe = fn(*tensors)
    if not isinstance(probe, Tensor):
        raise UnsupportedError(f"checkpoint: fn must return one Tensor, got {type(probe).__name__}")
    params = _parameters_reached(probe, tensors) if probe.grad_fn is not None else []
    output = probe.data
    del probe
    attrs = {"fn": fn, "n_args": len(tensors), "params": tuple(params), "result": [output]}
    return apply(Checkpoint, tensors + tuple(params), attrs)


def _parameters_reached(output: Tensor, args: tuple) -> list:
    """The leaves requiring grad that `output` depends on inside fn: the engine's walk
    (`graph.backward_order`) of the segment's graph, stopping at the arguments (what came before
    them belongs to other nodes)."""
    arg_ids = {id(a) for a in args}

    def inside(node: graph.Node) -> list:
        return [x for x, need in zip(node.inputs, node.needs) if need and id(x) not in arg_ids]

    found: dict = {}
    for node in graph.backward_order([output.grad_fn], lambda node: [x.grad_fn for x in inside(node)]):
        for x in inside(node):
            if x.grad_fn is None:
                found.setdefault(id(x), x)
    return list(found.values())
