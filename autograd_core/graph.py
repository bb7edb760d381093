"""The recorded graph: one Node per op application, `apply` that records it, `backward` that replays it.

A Node keeps what its op's vector-Jacobian product needs (the op, its inputs, its attributes and,
for ops that ask, its output array) and never references its own output Tensor, so the graph has
no reference cycles and is freed by reference counting alone.
"""

from __future__ import annotations

import os
import sys
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from . import mode
from .errors import AnomalyError, GraphError, ShapeError
from .tensor import Tensor

_state = mode.state
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

#: Tapes currently open (autograd_core.tape.Tape); `apply` reports each op to them.
active_tapes: list = []


class Op:
    """An op: `forward(*arrays, **attrs) -> array` and `vjp(xp, needs, g, out, *inputs, **attrs)`.

    `vjp` returns one gradient (or None) per input. It is written once and runs on numpy arrays
    (xp = `array_namespace`) for speed, or on Tensors (xp = `autograd_core.ops`) under
    create_graph=True, which records the backward pass so it can be differentiated again.
    `needs[i]` says whether input i wants a gradient; `out` is the forward result when
    `save_output` is True (recomputed as a Tensor under create_graph), else None.
    """

    name: str = "op"
    save_output: bool = False

    @staticmethod
    def forward(*arrays: Any, **attrs: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def vjp(xp: Any, needs: tuple, g: Any, out: Any, *inputs: Any, **attrs: Any) -> tuple:
        raise NotImplementedError

    @staticmethod
    def explain_error(*arrays: Any, **attrs: Any) -> str | None:
        """A message for a forward that numpy rejected, or None for the generic one."""
        return None


class Node:
    """One recorded op application (what `tensor.grad_fn` is): op, inputs, attributes, saved output."""

    __slots__ = ("op", "inputs", "attrs", "out", "needs", "versions", "hooks", "retained",
                 "created_at", "__weakref__")

    def __init__(self, op: type[Op], inputs: tuple, attrs: dict | None, out: Any,
                 needs: tuple, versions: tuple) -> None:
        self.op = op
        self.inputs = inputs
        self.attrs = attrs
        self.out = out
        self.needs = needs
        self.versions = versions
        self.hooks: list | None = None
        self.retained: weakref.ref | None = None
        self.created_at: str | None = None

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def next_functions(self) -> tuple:
        """(grad_fn of each input, or None), like PyTorch's; empty once the graph is freed."""
        if self.inputs is None:
            return ()
        return tuple(x.grad_fn if isinstance(x, Tensor) else None for x in self.inputs)

    def release(self) -> None:
        """Drops the saved inputs and output so their memory is freed after backward."""
        self.inputs = None
        self.out = None

    def __repr__(self) -> str:
        return f"<{type_name(self.op)}Backward>"


def type_name(op: type[Op]) -> str:
    name = op.name
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _user_location() -> str:
    """file:line of the innermost stack frame outside this package (where the user called the op)."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)).startswith(
            _PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _as_array(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _shape_of(x: Any) -> tuple:
    return np.shape(x.data if isinstance(x, Tensor) else x)


def apply(op: type[Op], inputs: tuple, attrs: dict | None = None) -> Tensor:
    """Runs `op` forward on the inputs' arrays and, when grad mode is on and some input requires
    grad, records a Node so backward can apply the op's vjp. Inputs are Tensors, arrays or scalars."""
    arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
    try:
        out = op.forward(*arrays, **attrs) if attrs else op.forward(*arrays)
    except (ValueError, IndexError, TypeError) as exc:
        raise _forward_error(op, arrays, attrs, exc) from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    result = Tensor.__new__(Tensor)
    result.data = out
    result.grad = None
    result.grad_fn = None
    result._version = 0
    result._hooks = None
    result.name = None
    result.requires_grad = False
    if _state.grad_enabled:
        needs = tuple([isinstance(x, Tensor) and x.requires_grad for x in inputs])
        if True in needs:
            node = Node(op, inputs, attrs, out if op.save_output else None, needs,
                        tuple([x._version if isinstance(x, Tensor) else 0 for x in inputs]))
            result.grad_fn = node
            result.requires_grad = True
            if _state.anomaly:
                node.created_at = _user_location()
    if _state.anomaly:
        _check_finite(out, op, "forward", result.grad_fn)
    if active_tapes:
        for tape in active_tapes:
            tape._record(op, inputs, attrs, result)
    return result


def _forward_error(op: type[Op], arrays: list, attrs: dict | None, exc: Exception) -> Exception:
    message = op.explain_error(*arrays, **(attrs or {}))
    if message is None:
        shapes = ", ".join(str(np.shape(a)) for a in arrays)
        message = f"{op.name}: cannot apply to shapes {shapes}: {exc}"
    if isinstance(exc, IndexError):
        return IndexError(message)
    if isinstance(exc, TypeError):
        from .errors import DTypeError

        return DTypeError(message)
    return ShapeError(message)


def _check_finite(value: Any, op: type[Op], phase: str, node: Node | None) -> None:
    array = value.data if isinstance(value, Tensor) else value
    if isinstance(array, np.ndarray) and array.dtype.kind in "fc" and not np.isfinite(array).all():
        kind = "nan" if np.isnan(array).any() else "inf"
        where = node.created_at if node is not None and node.created_at else _user_location()
        raise AnomalyError(f"detect_anomaly: {op.name} produced {kind} in {phase} "
                           f"(op created at {where})")


# ---------------------------------------------------------------------------------------------
# Backward
# ---------------------------------------------------------------------------------------------

def sum_to_array(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Undoes numpy broadcasting: sums `g` over the axes that broadcasting added or stretched."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                       if n == 1 and g.shape[i + lead] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead:
        g = g.reshape(g.shape[lead:])
    return g.reshape(shape) if g.shape != shape else g


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """Nodes reachable from `roots`, each after all the nodes it consumes (iterative: no recursion)."""
    order: list[Node] = []
    visited: set = set()
    stack: list = [(node, False) for node in roots]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        if node.inputs is None:
            raise GraphError(
                f"backward: trying to backward through the graph a second time (through {node!r}); "
                "its saved buffers were freed by the first backward. Pass retain_graph=True to the "
                "first backward() if you need to call it again.")
        stack.append((node, True))
        for x in node.inputs:
            if isinstance(x, Tensor):
                parent = x.grad_fn
                if parent is not None and parent not in visited:
                    stack.append((parent, False))
    return order


def _accumulate(existing: Any, g: Any) -> Any:
    return g if existing is None else existing + g


def _apply_hooks(hooks: list, g: Any, create_graph: bool) -> Any:
    value = g if isinstance(g, Tensor) else Tensor._wrap(g)
    for hook in hooks:
        replaced = hook(value)
        if replaced is not None:
            value = replaced if isinstance(replaced, Tensor) else Tensor._wrap(np.asarray(replaced))
    return value if create_graph else value.data


def backward(roots: Sequence[Tensor], grads: Sequence[Any], retain_graph: bool = False,
             create_graph: bool = False, inputs: Sequence[Tensor] | None = None,
             accumulate: bool = True) -> dict | None:
    """Applies the chain rule from `roots` (seeded with `grads`) back through the recorded graph.

    Leaf tensors that require grad get their `.grad` accumulated (unless `accumulate` is False, in
    which case the gradients of `inputs` are returned in a dict keyed by id, touching no `.grad`).
    Without `retain_graph` every visited node releases its saved buffers as soon as it has run.
    """
    from . import ops as tensor_namespace

    xp = tensor_namespace if create_graph else array_namespace
    pending: dict = {}
    leaf_grads: dict = {}
    wanted = None if inputs is None else {id(t): t for t in inputs}
    wanted_nodes = {} if inputs is None else {t.grad_fn: id(t) for t in inputs
                                              if t.grad_fn is not None}
    root_nodes = []
    for root, g in zip(roots, grads):
        g = g if create_graph else _as_array(g)
        if root.grad_fn is None:
            leaf_grads[id(root)] = (root, _accumulate(leaf_grads.get(id(root), (None, None))[1], g))
            continue
        pending[root.grad_fn] = _accumulate(pending.get(root.grad_fn), g)
        root_nodes.append(root.grad_fn)

    previous_mode = _state.grad_enabled
    _state.grad_enabled = create_graph
    try:
        order = topological_order(root_nodes)
        anomaly = _state.anomaly
        for node in reversed(order):
            g = pending.pop(node, None)
            if g is None:
                if not retain_graph:
                    node.release()
                continue
            if node.hooks:
                g = _apply_hooks(node.hooks, g, create_graph)
            if node in wanted_nodes:
                tensor = wanted[wanted_nodes[node]]
                leaf_grads[id(tensor)] = (tensor, g)
            if node.retained is not None:
                holder = node.retained()
                if holder is not None:
                    _store_grad(holder, g, create_graph)
            node_inputs = node.inputs
            for x, version in zip(node_inputs, node.versions):
                if isinstance(x, Tensor) and x._version != version:
                    raise GraphError(
                        f"backward: an input of {node!r} (shape {x.shape}) was modified in place "
                        f"after it was recorded (version {version} -> {x._version}); its gradient "
                        "would be wrong. Use an out-of-place op instead.")
            attrs = node.attrs or {}
            if create_graph:
                out = apply(node.op, node_inputs, node.attrs) if node.op.save_output else None
                input_grads = node.op.vjp(xp, node.needs, g, out, *node_inputs, **attrs)
            else:
                input_grads = node.op.vjp(xp, node.needs, g, node.out,
                                          *[x.data if isinstance(x, Tensor) else x
                                            for x in node_inputs], **attrs)
            for x, need, gx in zip(node_inputs, node.needs, input_grads):
                if not need or gx is None:
                    continue
                gx = _fit_to_input(gx, x, create_graph)
                if anomaly:
                    _check_finite(gx, node.op, "backward", node)
                parent = x.grad_fn
                if parent is not None:
                    pending[parent] = _accumulate(pending.get(parent), gx)
                else:
                    key = id(x)
                    previous = leaf_grads.get(key)
                    leaf_grads[key] = (x, gx if previous is None else previous[1] + gx)
            if not retain_graph:
                node.release()
    finally:
        _state.grad_enabled = previous_mode

    if not accumulate:
        found = {}
        for key, (tensor, g) in leaf_grads.items():
            if wanted is None or key in wanted:
                found[key] = g
        return found
    for key, (tensor, g) in leaf_grads.items():
        if wanted is not None and key not in wanted:
            continue
        if tensor._hooks:
            g = _apply_hooks(tensor._hooks, g, create_graph)
        if tensor.requires_grad and (tensor.grad_fn is None or tensor.retains_grad):
            _store_grad(tensor, g, create_graph)
    return None


def _fit_to_input(gx: Any, x: Tensor, create_graph: bool) -> Any:
    """Reduces a gradient to its input's exact shape and dtype (the one place broadcasting is undone)."""
    data = x.data
    if create_graph:
        if gx.shape != data.shape:
            gx = tensor_sum_to(gx, data.shape)
        if gx.dtype != data.dtype:
            gx = gx.astype(data.dtype)
        return gx
    if type(gx) is not np.ndarray:
        gx = np.asarray(gx)
    if gx.shape != data.shape:
        if gx.size == data.size:
            gx = gx.reshape(data.shape)
        else:
            gx = sum_to_array(gx, data.shape)
    if gx.dtype != data.dtype:
        gx = gx.astype(data.dtype)
    return gx


def tensor_sum_to(g: Tensor, shape: tuple) -> Tensor:
    from . import ops

    return ops.sum_to(g, shape)


def _store_grad(tensor: Tensor, g: Any, create_graph: bool) -> None:
    if create_graph:
        new = g if isinstance(g, Tensor) else Tensor._wrap(g)
        tensor.grad = new if tensor.grad is None else tensor.grad + new
        return
    if tensor.grad is None:
        tensor.grad = Tensor._wrap(g)
    else:
        tensor.grad = Tensor._wrap(tensor.grad.data + g)


class _ArrayNamespace:
    """What a vjp calls `xp` when not recording: numpy's functions plus the few helpers that numpy
    lacks, under the same names and signatures as autograd_core.ops."""

    def __init__(self, extra: dict[str, Callable]) -> None:
        for name in ("exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "tanh", "abs",
                     "sign", "where", "sum", "mean", "broadcast_to", "reshape", "transpose",
                     "swapaxes", "expand_dims", "squeeze", "matmul", "maximum", "minimum",
                     "concatenate", "stack", "zeros_like", "ones_like", "einsum", "pad", "outer",
                     "prod", "clip", "moveaxis", "take_along_axis", "isfinite"):
            setattr(self, name, getattr(np, name))
        for name, fn in extra.items():
            setattr(self, name, fn)


array_namespace = _ArrayNamespace({"sum_to": sum_to_array})
