"""The recorded graph: one Node per op application, `apply` that records it, `backward` that replays it.

A Node keeps what its op's vector-Jacobian product needs (the op, its inputs, its attributes and,
for ops that ask, its output array) and never references its own output Tensor, so the graph has
no reference cycles and is freed by reference counting alone.
"""

from __future__ import annotations

import heapq
import itertools
import math
import operator
import os
import sys
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from . import amp, mode
from .errors import AnomalyError, GraphError, IndexOutOfRangeError, ShapeError
from .tensor import INPLACE_UPDATES, Tensor

_state = mode.state
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
#: The project's own packages: a "user location" is the innermost frame outside all of them.
_LIBRARY_DIRS = tuple(os.path.join(os.path.dirname(_PACKAGE_DIR), name) + os.sep
                      for name in ("autograd_core", "nn", "optim"))

#: Each new Node takes the next number: a node is always created after its inputs' nodes, so
#: running nodes in decreasing sequence number is a valid order for backward.
next_sequence_number = itertools.count().__next__

#: Tapes currently open (autograd_core.tape.Tape); `apply` reports each op to them.
active_tapes: list = []


class Op:
    """An op: `forward(*arrays, **attrs) -> array` and `vjp(xp, needs, g, out, *inputs, **attrs)`.

    `vjp` returns one gradient (or None) per input. It is written once and runs on numpy arrays
    (xp = `array_namespace`) for speed, or on Tensors (xp = `autograd_core.ops`) under
    create_graph=True, which records the backward pass so it can be differentiated again.
    `needs[i]` says whether input i wants a gradient; `out` is the forward result when
    `save_output` is True (under create_graph, a Tensor whose grad_fn is this op's node), else None.
    """

    name: str = "op"
    save_output: bool = False
    differentiable: bool = True
    #: Indices of the inputs whose values vjp reads (None: all). Other large intermediate inputs
    #: are held as `Unsaved` stand-ins, so their arrays can be freed before backward.
    saved_inputs: tuple | None = None

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
    """One recorded op application (what `tensor.grad_fn` is): op, inputs, attributes, saved output.

    `versions` holds the inputs' version counters at record time so backward can detect in-place
    changes; when all were 0 it holds the process-wide count of in-place updates instead, so
    backward need not look at the inputs unless some tensor was updated in place since. Rarely
    used fields (hooks, retained, created_at) live in the instance dict only when set. Nodes are
    made only by `apply`."""

    __slots__ = ("op", "inputs", "needs", "versions", "seq", "__dict__", "__weakref__")
    attrs: dict | None = None
    out: Any = None
    hooks: list | None = None
    retained: weakref.ref | None = None
    created_at: str | None = None
    #: Set (under detect_anomaly only) on nodes recorded inside autocast, whose gradients may
    #: overflow on purpose: a GradScaler skips those steps.
    under_autocast: bool = False

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def next_functions(self) -> tuple:
        """(grad_fn of each input, or None), like PyTorch's; empty once the graph is freed."""
        if self.inputs is None:
            return ()
        return tuple(getattr(x, "grad_fn", None) for x in self.inputs)

    def __repr__(self) -> str:
        return f"<{type_name(self.op)}Backward>"


class Unsaved:
    """Stands in a node for an input whose values the op's vjp never reads (e.g. the input of
    tanh, whose derivative comes from the output): it keeps the link to the input's grad_fn, its
    shape and dtype, and only a weak reference to the tensor, so the array can be freed early."""

    __slots__ = ("shape", "dtype", "grad_fn", "tensor")
    requires_grad = True

    def __init__(self, tensor: Tensor) -> None:
        self.shape = tensor.data.shape
        self.dtype = tensor.data.dtype
        self.grad_fn = tensor.grad_fn
        self.tensor = weakref.ref(tensor)

    @property
    def data(self) -> Unsaved:
        return self

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __repr__(self) -> str:
        return f"<unsaved input {self.shape} {self.dtype} of {self.grad_fn!r}>"


#: Inputs smaller than this stay saved even when their op does not need them (they cost little
#: and keep their values visible to graph diagrams).
UNSAVED_MIN_SIZE = 1024


def _without_unsaved(inputs: tuple, saved: tuple) -> tuple:
    return tuple([Unsaved(x) if i not in saved and isinstance(x, Tensor) and x.grad_fn is not None
                  and x.data.size >= UNSAVED_MIN_SIZE else x for i, x in enumerate(inputs)])


def type_name(op: type[Op]) -> str:
    name = op.name
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _user_location() -> str:
    """file:line of the innermost stack frame outside this package (where the user called the op)."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_LIBRARY_DIRS):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def apply(op: type[Op], inputs: tuple, attrs: dict | None = None) -> Tensor:
    """Runs `op` forward on the inputs' arrays and, when grad mode is on and some input requires
    grad, records a Node so backward can apply the op's vjp. Inputs are Tensors, arrays or scalars.

    This is the engine's hot path: the common one- and two-input cases are unrolled, and nothing
    is checked that numpy does not check itself."""
    if _state.autocast_dtype is not None:
        inputs = amp.cast_inputs(op.name, inputs)
    if len(inputs) == 2:
        a, b = inputs
        if isinstance(a, Tensor):
            if isinstance(b, Tensor):
                arrays = (a.data, b.data)
                needs = (a.requires_grad, b.requires_grad)
                versioned = a._version or b._version
            else:
                arrays = (a.data, b)
                needs = (a.requires_grad, False)
                versioned = a._version
        elif isinstance(b, Tensor):
            arrays = (a, b.data)
            needs = (False, b.requires_grad)
            versioned = b._version
        else:
            arrays, needs, versioned = inputs, (False, False), 0
        requires = needs[0] or needs[1]
    elif len(inputs) == 1:
        x = inputs[0]
        if isinstance(x, Tensor):
            arrays = (x.data,)
            requires = x.requires_grad
            versioned = x._version
        else:
            arrays, requires, versioned = inputs, False, 0
        needs = (requires,)
    else:
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        needs = [isinstance(x, Tensor) and x.requires_grad for x in inputs]
        requires = True in needs
        versioned = any(isinstance(x, Tensor) and x._version for x in inputs)
    try:
        out = op.forward(*arrays, **attrs) if attrs else op.forward(*arrays)
    except (ValueError, IndexError, TypeError, OverflowError) as exc:
        raise _forward_error(op, arrays, attrs, exc) from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    result = Tensor.__new__(Tensor)
    result.data = out
    if requires and _state.grad_enabled:
        node = Node.__new__(Node)
        node.op = op
        if out.size >= UNSAVED_MIN_SIZE and op.saved_inputs is not None:
            node.inputs = _without_unsaved(inputs, op.saved_inputs)
        else:
            node.inputs = inputs
        if attrs:
            node.attrs = attrs
        if op.save_output:
            node.out = out
        node.needs = needs
        node.seq = next_sequence_number()
        node.versions = tuple([x._version if isinstance(x, Tensor) else 0 for x in inputs]) \
            if versioned else INPLACE_UPDATES[0]
        result.grad_fn = node
        result.requires_grad = True
        if _state.anomaly:
            node.created_at = _user_location()
            if _state.autocast_dtype is not None:
                node.under_autocast = True
            _check_finite(out, op, "forward", node)
    else:
        result.grad_fn = None
        result.requires_grad = False
        if _state.anomaly:
            _check_finite(out, op, "forward", None)
    if active_tapes:
        for tape in active_tapes:
            tape._record(op, inputs, attrs, result)
    return result


def apply_nondifferentiable(op: type[Op], inputs: tuple, attrs: dict | None = None) -> Tensor:
    """Runs an op with no gradient (comparisons, argmax, sign): the result never requires grad,
    but open tapes still record it, so a traced program recomputes it from new inputs."""
    arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
    try:
        out = op.forward(*arrays, **attrs) if attrs else op.forward(*arrays)
    except (ValueError, IndexError, TypeError, OverflowError) as exc:
        raise _forward_error(op, arrays, attrs, exc) from None
    result = Tensor._wrap(out)
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
        return IndexOutOfRangeError(message)
    if isinstance(exc, OverflowError):  # e.g. a Python int too large for the array's dtype
        from .errors import InvalidArgumentError

        return InvalidArgumentError(message)
    if isinstance(exc, TypeError):
        from .errors import DTypeError

        return DTypeError(message)
    return ShapeError(message)


def _check_finite(value: Any, op: type[Op], phase: str, node: Node | None) -> None:
    array = value.data if isinstance(value, Tensor) else value
    if isinstance(array, np.generic):  # a vjp on 0-d arrays may return a numpy scalar
        array = np.asarray(array)
    if isinstance(array, np.ndarray) and (array.dtype.kind in "fc" or array.dtype.name == "bfloat16") \
            and not np.isfinite(array).all():
        kind = "nan" if np.isnan(array).any() else "inf"
        if (kind == "inf" and (amp.low_precision(array.dtype) or _state.autocast_dtype is not None)) or (
                phase == "backward" and node is not None and node.under_autocast):
            # overflow in float16/bfloat16 (and inf - inf after it in backward) is GradScaler's
            # signal to skip the step, not a bug; a NaN computed in forward still is
            return
        where = node.created_at if node is not None and node.created_at else _user_location()
        raise AnomalyError(f"detect_anomaly: {op.name} produced {kind} in {phase} "
                           f"(op created at {where})")


# ---------------------------------------------------------------------------------------------
# Backward
# ---------------------------------------------------------------------------------------------

def sum_to_array(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Undoes numpy broadcasting: sums `g` over the axes that broadcasting added or stretched."""
    g_shape = g.shape
    if g_shape == shape:
        return g
    lead = len(g_shape) - len(shape)
    if g_shape[lead:] == shape:
        return g.sum(axis=tuple(range(lead)))
    stretched = tuple(i + lead for i, n in enumerate(shape) if n == 1 and g_shape[i + lead] != 1)
    return g.sum(axis=tuple(range(lead)) + stretched, keepdims=True).reshape(shape)


def _freed_error(node: Node) -> GraphError:
    return GraphError(
        f"backward: trying to backward through the graph a second time (through {node!r}); its "
        "saved buffers were freed by the first backward. Pass retain_graph=True to the first "
        "backward() if you need to call it again.")


def backward_order(roots: Sequence[Node]) -> list[Node]:
    """The nodes reachable from `roots` in the order backward applies them: newest first. A node is
    always created after the nodes of its inputs, so every node runs after all its consumers.
    Iterative, so 10^6-op chains work."""
    stack = list(roots)
    seen = set(stack)
    while stack:
        node = stack.pop()
        inputs = node.inputs
        if inputs is None:
            raise _freed_error(node)
        for x, need in zip(inputs, node.needs):
            if need:
                parent = x.grad_fn
                if parent is not None and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    return sorted(seen, key=_sequence_of, reverse=True)


_sequence_of = operator.attrgetter("seq")


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """Nodes reachable from `roots`, each after all the nodes it consumes (leaf side first)."""
    return backward_order(roots)[::-1]


def _accumulate(existing: Any, g: Any) -> Any:
    return g if existing is None else existing + g


def _apply_hooks(hooks: list, g: Any, create_graph: bool) -> Any:
    value = g if isinstance(g, Tensor) else Tensor._wrap(g)
    for hook in list(hooks):
        replaced = hook(value)
        if replaced is not None:
            value = replaced if isinstance(replaced, Tensor) else Tensor._wrap(np.asarray(replaced))
    return value if create_graph else value.data


def owned_gradient(gx: np.ndarray) -> np.ndarray:
    """A leaf's gradient as an array nobody else holds, in row-major order: `gx` itself when it is
    fresh, else a copy (a view of an array that something else still references, read-only, or
    column-major)."""
    base = gx.base
    if (not gx.flags.writeable or not gx.flags.c_contiguous
            or (base is not None and sys.getrefcount(base) > 3)):
        return np.array(gx, order="C")
    return gx


def _check_versions(node: Node) -> None:
    """Raises if an input was modified in place after the node recorded it (version counters)."""
    recorded = node.versions
    if recorded.__class__ is not tuple:
        if recorded == INPLACE_UPDATES[0]:
            return
        recorded = (0,) * len(node.inputs)
    for x, version in zip(node.inputs, recorded):
        if isinstance(x, Tensor) and x._version != version:
            raise GraphError(
                f"backward: an input of {node!r} (shape {x.shape}) was modified in place after it "
                f"was recorded (version {version} -> {x._version}); its gradient would be wrong. "
                "Use an out-of-place op instead.")


def backward(roots: Sequence[Tensor], grads: Sequence[Any], retain_graph: bool = False,
             create_graph: bool = False, inputs: Sequence[Tensor] | None = None,
             accumulate: bool = True) -> dict | None:
    """Applies the chain rule from `roots` (seeded with `grads`) back through the recorded graph.

    Leaf tensors that require grad get their `.grad` accumulated. With `accumulate=False` no
    `.grad` is touched: the gradients of `inputs` (leaves or not) are returned in a dict keyed by
    id. Without `retain_graph` each node releases its saved buffers as soon as it has run.
    """
    from . import ops as tensor_namespace

    if active_tapes and accumulate:
        for tape in active_tapes:
            tape._record_backward(roots, grads, retain_graph, create_graph, inputs)
    pending: dict = {}
    leaf_grads: dict = {}
    wanted = None if inputs is None else {id(t): t for t in inputs}
    wanted_nodes = {} if inputs is None else {t.grad_fn: id(t) for t in inputs
                                              if t.grad_fn is not None}
    root_nodes = []
    for root, g in zip(roots, grads):
        if not create_graph:
            g = g.data if isinstance(g, Tensor) else g
        if root.grad_fn is None:
            previous = leaf_grads.get(id(root))
            leaf_grads[id(root)] = (root, g if previous is None else previous[1] + g)
            continue
        pending[root.grad_fn] = _accumulate(pending.get(root.grad_fn), g)
        root_nodes.append(root.grad_fn)

    previous_mode = _state.grad_enabled
    _state.grad_enabled = create_graph
    try:
        if create_graph:
            _run_recorded(backward_order(root_nodes), pending, leaf_grads, wanted, wanted_nodes,
                          retain_graph, tensor_namespace, accumulate)
        else:
            _run_on_arrays(root_nodes, pending, leaf_grads, wanted, wanted_nodes, retain_graph,
                           accumulate)
    finally:
        _state.grad_enabled = previous_mode

    if not accumulate:
        return {key: g for key, (tensor, g) in leaf_grads.items()
                if wanted is None or key in wanted}
    for key, (tensor, g) in leaf_grads.items():
        if wanted is not None and key not in wanted:
            continue
        if tensor._hooks:
            g = _apply_hooks(tensor._hooks, g, create_graph)
        if tensor.requires_grad and (tensor.grad_fn is None or tensor.retains_grad):
            _store_grad(tensor, g, create_graph)
    return None


def _run_on_arrays(root_nodes: list, pending: dict, leaf_grads: dict, wanted: dict | None,
                   wanted_nodes: dict, retain_graph: bool, accumulate: bool = True) -> None:
    """The fast backward loop: vjps run on numpy arrays and nothing is recorded. Nodes wait in a
    heap keyed by sequence number, so each runs newest first (the order of `backward_order`)
    once all of its consumers have sent their gradients."""
    xp = array_namespace
    anomaly = _state.anomaly
    epoch = INPLACE_UPDATES[0]
    heap = [(-node.seq, node) for node in dict.fromkeys(root_nodes)]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        node = pop(heap)[1]
        g = pending.pop(node)
        inputs = node.inputs
        if inputs is None:
            raise _freed_error(node)
        if node.hooks is not None or node.retained is not None:
            g = _node_extras(node, g, False, accumulate)
        if wanted_nodes and node in wanted_nodes:
            tensor = wanted[wanted_nodes[node]]
            leaf_grads[id(tensor)] = (tensor, g)
        if node.versions != epoch:
            _check_versions(node)
        op = node.op
        attrs = node.attrs
        if len(inputs) == 1:
            arrays = (inputs[0].data,)
        elif len(inputs) == 2:
            a, b = inputs
            arrays = (a.data if isinstance(a, Tensor) else a, b.data if isinstance(b, Tensor) else b)
        else:
            arrays = [x.data if isinstance(x, (Tensor, Unsaved)) else x for x in inputs]
        if attrs:
            input_grads = op.vjp(xp, node.needs, g, node.out, *arrays, **attrs)
        else:
            input_grads = op.vjp(xp, node.needs, g, node.out, *arrays)
        if anomaly:
            for gx in input_grads:
                if gx is not None:
                    _check_finite(gx, op, "backward", node)
        upstream_id = id(g)
        g = None  # so a leaf's gradient that is a view of it can be kept without a copy
        for x, data, need, gx in zip(inputs, arrays, node.needs, input_grads):
            if not need or gx is None:
                continue
            if gx.shape != data.shape:
                gx = gx.reshape(data.shape) if gx.size == data.size else sum_to_array(gx, data.shape)
            if gx.dtype is not data.dtype and gx.dtype != data.dtype:
                gx = gx.astype(data.dtype)
            parent = x.grad_fn
            if parent is not None:
                existing = pending.get(parent)
                if existing is None:
                    pending[parent] = gx
                    push(heap, (-parent.seq, parent))
                else:
                    pending[parent] = existing + gx
            else:
                gx = np.array(gx, order="C") if id(gx) == upstream_id else owned_gradient(gx)
                key = id(x)
                previous = leaf_grads.get(key)
                leaf_grads[key] = (x, gx if previous is None else previous[1] + gx)
        if not retain_graph:
            node.inputs = None
            if node.out is not None:
                node.out = None


def _node_extras(node: Node, g: Any, create_graph: bool, accumulate: bool) -> Any:
    """Hooks, retain_grad and requested non-leaf gradients: the rarely used per-node features."""
    if node.hooks:
        g = _apply_hooks(node.hooks, g, create_graph)
    if node.retained is not None and accumulate:
        holder = node.retained()
        if holder is not None:
            _store_grad(holder, g if create_graph else np.array(g), create_graph)
    return g


def _output_as_tensor(node: Node) -> Tensor:
    """The node's saved output as a Tensor whose grad_fn is the node itself (as PyTorch unpacks a
    saved output), so a vjp that uses it stays differentiable through this node."""
    out = Tensor._wrap(node.out)
    out.grad_fn = node
    out.requires_grad = True
    return out


def _run_recorded(order: list, pending: dict, leaf_grads: dict, wanted: dict | None,
                  wanted_nodes: dict, retain_graph: bool, xp: Any, accumulate: bool = True) -> None:
    """The create_graph backward loop: vjps run on Tensors, so the backward pass is itself recorded
    and can be differentiated again. A saved output is used as a tensor whose grad_fn is its own
    node, so derivatives through it stay connected."""
    for node in order:
        g = pending.pop(node, None)
        inputs = node.inputs
        if g is None:
            if not retain_graph:
                node.inputs = None
                if node.out is not None:
                    node.out = None
            continue
        if not isinstance(g, Tensor):
            g = Tensor._wrap(np.asarray(g))
        if node.hooks is not None or node.retained is not None:
            g = _node_extras(node, g, True, accumulate)
        if node in wanted_nodes:
            tensor = wanted[wanted_nodes[node]]
            leaf_grads[id(tensor)] = (tensor, g)
        _check_versions(node)
        out = _output_as_tensor(node) if node.op.save_output else None
        input_grads = node.op.vjp(xp, node.needs, g, out, *inputs, **(node.attrs or {}))
        for x, need, gx in zip(inputs, node.needs, input_grads):
            if not need or gx is None:
                continue
            if not isinstance(gx, Tensor):
                gx = Tensor._wrap(np.asarray(gx))
            data = x.data
            if gx.shape != data.shape:
                gx = tensor_sum_to(gx, data.shape) if gx.size != data.size else gx.reshape(data.shape)
            if gx.dtype != data.dtype:
                gx = gx.astype(data.dtype)
            if _state.anomaly:
                _check_finite(gx, node.op, "backward", node)
            parent = x.grad_fn
            if parent is not None:
                pending[parent] = _accumulate(pending.get(parent), gx)
            else:
                key = id(x)
                previous = leaf_grads.get(key)
                leaf_grads[key] = (x, gx if previous is None else previous[1] + gx)
        if not retain_graph:
            node.inputs = None
            if node.out is not None:
                node.out = None


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


def _array_sum(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return np.asarray(a).sum(axis=axis, keepdims=keepdims)


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


#: The array methods are called directly: numpy's module-level wrappers (np.sum, np.swapaxes...)
#: add a dispatch layer that costs more than the op itself on small arrays.
array_namespace = _ArrayNamespace({"sum_to": sum_to_array, "sum": _array_sum, "mean": _array_mean,
                                   "matmul": amp.matmul_array, "einsum": amp.lowp_einsum,
                                   "reshape": _array_reshape, "transpose": _array_transpose,
                                   "swapaxes": _array_swapaxes,
                                   "broadcast_to": _array_broadcast_to,
                                   # newops10a: used by the vjps of cumsum, cumprod, sinh, cosh
                                   "cumsum": np.cumsum, "cumprod": np.cumprod,
                                   "sinh": np.sinh, "cosh": np.cosh})


def node_vjp(node: Node, g: np.ndarray) -> tuple:
    """What one backward step computes at `node` for the upstream gradient `g`, on arrays: the
    gradient sent to each input, fitted to that input's shape and dtype (None where the input
    needs none). Nothing is routed, accumulated or freed; the graph must not have been freed."""
    if node.inputs is None:
        raise _freed_error(node)
    arrays = [x.data if isinstance(x, (Tensor, Unsaved)) else x for x in node.inputs]
    produced = node.op.vjp(array_namespace, node.needs, g, node.out, *arrays, **(node.attrs or {}))
    fitted = []
    for data, need, gx in zip(arrays, node.needs, produced):
        if not need or gx is None:
            fitted.append(None)
            continue
        gx = np.asarray(gx)
        shape = np.shape(data)
        if gx.shape != shape:
            gx = gx.reshape(shape) if gx.size == math.prod(shape) else sum_to_array(gx, shape)
        dtype = getattr(data, "dtype", gx.dtype)
        fitted.append(gx if gx.dtype == dtype else gx.astype(dtype))
    return tuple(fitted)
