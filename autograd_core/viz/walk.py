"""Reading the recorded graph for a diagram: which ops and tensors are reachable from the roots,
in the engine's own order, and every tensor's gradient (computed by the engine's backward).

The walk is `graph.backward_order`, the order backward applies the chain rule (newest node
first), so a diagram numbers its ops as they were recorded and the backward frames step through
them exactly as backward does. Nothing here touches a `.grad`.
"""

from __future__ import annotations

import contextlib
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .. import graph as engine
from ..errors import GraphError, InvalidArgumentError
from ..tensor import Tensor


@dataclass
class _Trace:
    """What is reachable from the roots: ops leaf side first, each op's output tensor, every tensor."""

    roots: list[Tensor]
    nodes: list[engine.Node]
    outputs: dict[engine.Node, Tensor]
    tensors: dict[int, Tensor]
    consumers: dict[int, list[int]] = field(default_factory=dict)

    @property
    def freed(self) -> bool:
        return any(node.inputs is None for node in self.nodes)

    def index_of(self) -> dict[engine.Node, int]:
        return {node: index for index, node in enumerate(self.nodes)}



def _flatten_roots(roots: Sequence[Any]) -> list[Tensor]:
    flat: list[Tensor] = []
    for root in roots:
        if isinstance(root, (list, tuple)):
            flat.extend(_flatten_roots(root))
        elif isinstance(root, Tensor):
            flat.append(root)
        else:
            raise InvalidArgumentError(f"draw_graph: roots must be Tensors, got {type(root).__name__}")
    if not flat:
        raise InvalidArgumentError("draw_graph: give at least one tensor to draw (e.g. the loss)")
    return flat



def walk_order(root_nodes: Sequence[engine.Node]) -> list[engine.Node]:
    """The nodes reachable from `root_nodes`, newest first: `graph.backward_order`, the order
    backward runs them. Where backward already freed part of the graph (a freed node has no
    inputs), backward_order raises the error backward needs, but a diagram still draws that part
    (the freed nodes, marked, and nothing beyond them): only then does `_walk_through_freed`
    collect the nodes."""
    try:
        return engine.backward_order(root_nodes)
    except GraphError:
        return _walk_through_freed(root_nodes)


def _walk_through_freed(root_nodes: Sequence[engine.Node]) -> list[engine.Node]:
    """backward_order's list for a graph backward partly freed: the nodes reached through
    `Node.next_functions` (which is empty on a freed node), newest first. On an intact graph it
    is exactly backward_order's list (tests/autograd_core/test_viz_walk.py)."""
    seen = dict.fromkeys(root_nodes)
    stack = list(seen)
    while stack:
        for parent in stack.pop().next_functions:
            if parent is not None and parent not in seen:
                seen[parent] = None
                stack.append(parent)
    return sorted(seen, key=lambda node: node.seq, reverse=True)


def _trace(roots: list[Tensor]) -> _Trace:
    """The ops reachable from the roots (oldest first: `walk_order` reversed), the tensor each
    produced, every tensor by id and which ops consume it. Works on graphs freed by backward."""
    outputs: dict[engine.Node, Tensor] = {}
    root_nodes = []
    for root in roots:
        if root.grad_fn is not None and root.grad_fn not in outputs:
            outputs[root.grad_fn] = root
            root_nodes.append(root.grad_fn)
    order = walk_order(root_nodes)[::-1]
    for node in reversed(order):  # each node's output tensor, as its consumers hold it
        for x in _resolved_inputs(node):
            if isinstance(x, Tensor):
                parent = engine.input_grad_fn(x, node)
                if parent is not None:
                    outputs.setdefault(parent, x)
    tensors: dict[int, Tensor] = {}
    consumers: dict[int, list[int]] = {}
    for index, node in enumerate(order):
        for x in _resolved_inputs(node):
            if isinstance(x, Tensor):
                tensors.setdefault(id(x), x)
                consumers.setdefault(id(x), []).append(index)
        output = outputs[node]
        tensors.setdefault(id(output), output)
    for root in roots:
        tensors.setdefault(id(root), root)
    return _Trace(roots=roots, nodes=order, outputs=outputs, tensors=tensors, consumers=consumers)


_STAND_INS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _resolved_inputs(node: engine.Node) -> tuple:
    """A node's inputs with each `Unsaved` stand-in replaced by its tensor when that is still alive,
    else by one shape-only Tensor per producing node (so every consumer draws the same box)."""
    resolved = []
    for x in node.inputs or ():
        if isinstance(x, engine.Unsaved):
            tensor = x.tensor()
            if tensor is None:
                tensor = _STAND_INS.get(x.grad_fn)
                if tensor is None:
                    tensor = Tensor._wrap(np.broadcast_to(np.zeros((), dtype=x.dtype), x.shape))
                    tensor.grad_fn = x.grad_fn
                    tensor.requires_grad = True
                    tensor.name = "(freed)"
                    _STAND_INS[x.grad_fn] = tensor
            x = tensor
        resolved.append(x)
    return tuple(resolved)


@contextlib.contextmanager
def _retained_grads_paused(nodes: Iterable[engine.Node]) -> Iterator[None]:
    """Stops backward from writing retained non-leaf `.grad`s (it does so even with accumulate=False)."""
    paused = [(node, node.retained) for node in nodes if node.retained is not None]
    for node, _ in paused:
        node.retained = None
    try:
        yield
    finally:
        for node, retained in paused:
            node.retained = retained


def _all_gradients(trace: _Trace) -> dict[int, np.ndarray]:
    """d(sum of roots)/d(tensor) for every tensor of the graph that requires grad, by id; no `.grad`
    is touched and the graph is retained. Empty when the graph was already freed by backward."""
    if trace.freed:
        return {}
    roots = [root for root in trace.roots if root.requires_grad]
    if not roots:
        return {}
    wanted = [t for t in trace.tensors.values() if t.requires_grad]
    seeds = [np.ones_like(root.data) for root in roots]
    with _retained_grads_paused(trace.nodes):
        found = engine.backward(roots, seeds, retain_graph=True, accumulate=False, inputs=wanted)
    return {key: np.asarray(g.data if isinstance(g, Tensor) else g) for key, g in (found or {}).items()}


def retain_all_grads(*roots: Tensor) -> list[Tensor]:
    """Calls `retain_grad()` on every non-leaf tensor of the graph, so the next backward fills their `.grad`.

    Call it before `loss.backward()`; returns the tensors it applied to.
    """
    trace = _trace(_flatten_roots(roots))
    retained = []
    for tensor in trace.tensors.values():
        if tensor.grad_fn is not None and tensor.requires_grad:
            tensor.retain_grad()
            retained.append(tensor)
    return retained


def _existing_grads(trace: _Trace) -> dict[int, np.ndarray]:
    """The `.grad` each tensor of the graph holds (for a heat map of a graph backward freed)."""
    return {key: np.asarray(t.grad.data) for key, t in trace.tensors.items() if t.grad is not None}
