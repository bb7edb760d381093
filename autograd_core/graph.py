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
from .array_namespace import array_namespace  # re-exported: graph.array_namespace
from .errors import AnomalyError, DTypeError, GraphError, IndexOutOfRangeError, ShapeError
from .tensor import INPLACE_UPDATES, Tensor, version_counter

_state = mode.state
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
#: Directories whose frames are library code (each an absolute path ending in os.sep): a "user
#: location" is the innermost frame outside all of them. A tuple, so `_user_location` tests a frame
#: with one `str.startswith`. Packages add themselves with `register_library_location` on import
#: (nn, optim and the autograd_cli app do); the engine knows only its own directory.
_LIBRARY_DIRS: tuple[str, ...] = (_PACKAGE_DIR + os.sep,)


def register_library_location(path: str | os.PathLike) -> None:
    """Marks the directory `path` (a package's directory, e.g. `os.path.dirname(__file__)`) as library
    code: ops called from frames under it are reported at their caller outside it (anomaly mode's
    `created_at`, tape and trace warnings), as frames inside autograd_core are. Registering a
    directory twice, or one under a registered directory, changes nothing."""
    global _LIBRARY_DIRS
    directory = os.path.join(os.path.abspath(os.fspath(path)), "")
    if not directory.startswith(_LIBRARY_DIRS):
        _LIBRARY_DIRS = _LIBRARY_DIRS + (directory,)

#: Each new Node takes the next number: a node is always created after its inputs' nodes, so
#: running nodes in decreasing sequence number is a valid order for backward.
next_sequence_number = itertools.count().__next__

# ---- tapes: thread-local observers of the graph (kernel11) -----------------------------------
# The tapes open in a thread live in that thread's grad-mode state (`mode.state.tapes`, a list,
# innermost last), so a tape records only the thread that opened it. Everything a tape sees comes
# through `notify_tapes`; callers guard it with `if _state.tapes:` (one attribute load when no
# tape is open).

def current_tapes() -> list:
    """The open tapes that record this thread's ops (not paused by a replayable host call)."""
    return [tape for tape in _state.tapes if not tape._paused]


def notify_tapes(event: str, *args: Any) -> None:
    """The one hook through which the engine tells this thread's open (unpaused) tapes what ran:
    "op" (op, inputs, attrs, result) from `apply` and `apply_nondifferentiable`, "backward"
    (roots, seeds, retain_graph, create_graph, inputs) from `backward`, "inplace" (target,
    operand, fn) from in-place updates, "read" (tensor, what) when Python reads a value, "call"
    (fn, args, kwargs) from replayable host functions. See `Tape.observe`."""
    for tape in _state.tapes:
        if not tape._paused:
            tape.observe(event, *args)


def __getattr__(name: str) -> Any:
    if name == "active_tapes":  # the former module-level list: now this thread's open tapes
        return _state.tapes
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The Op classes whose `fresh_output` is True (a set lookup is cheaper than the attribute).
_FRESH_OUTPUT_OPS: set = set()


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
    #: Optional finer form: read_by[i] lists the inputs whose gradients read input i's value (for
    #: Mul, a is read only when b needs a gradient), so a write into an input that no needed
    #: gradient reads is not an error (PyTorch saves only what the needed gradients use).
    read_by: tuple | None = None
    #: True when forward always returns new memory (a numpy ufunc does): apply then skips the
    #: check for outputs that view an input. Set automatically for ufunc forwards.
    fresh_output: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        forward = cls.__dict__.get("forward")
        if forward is not None and "fresh_output" not in cls.__dict__:
            forward = getattr(forward, "__func__", forward)
            cls.fresh_output = isinstance(forward, np.ufunc) and forward.nout == 1
        if cls.fresh_output:
            _FRESH_OUTPUT_OPS.add(cls)
        else:
            _FRESH_OUTPUT_OPS.discard(cls)


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

    `versions` holds the inputs' version counters at record time (None when all were 0) so
    backward can detect in-place changes; `epoch` holds the process-wide count of in-place
    updates at record time, so backward looks at neither unless some tensor was written in
    place since (every write bumps that count, see tensor._bump_version). Rarely
    used fields (out_version, created_at, under_autocast) live in the instance dict only when
    set; the fields backward reads at every node are slots (`apply` sets all of them: attrs and
    out may be None, hooks is None or a list, retained None or a weak reference). Nodes are made
    only by `apply`."""

    __slots__ = ("op", "inputs", "needs", "versions", "epoch", "seq", "attrs", "out", "hooks", "retained",
                 "__dict__", "__weakref__")
    #: (VersionCounter, value when recorded) of the saved output's memory, once some tensor on
    #: that memory has a counter (see tensor.version_counter); None while nobody can write it.
    out_version: tuple | None = None
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
        return tuple(input_grad_fn(x, self) if hasattr(x, "grad_fn") else None
                     for x in self.inputs)

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


def input_grad_fn(x: Any, node: Node) -> Node | None:
    """The grad_fn input `x` had when `node` recorded it. It differs from `x.grad_fn` only after a
    recorded in-place update of x (x += ... on a non-leaf): x's grad_fn then became a newer node,
    recognisable by its higher sequence number, and the older one is found in x's history."""
    parent = x.grad_fn
    if parent is not None and parent.seq > node.seq:
        for older in reversed(x._grad_fn_history):
            if older is None or older.seq < node.seq:
                return older
    return parent


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
    flags = _state.hot  # this thread's grad mode, autocast and observers: one thread-local read
    if flags.autocast_dtype is not None:
        inputs, attrs = amp.cast_op_inputs(op, inputs, attrs)
    if len(inputs) == 2:
        a, b = inputs
        if isinstance(a, Tensor):
            if isinstance(b, Tensor):
                arrays = (a.data, b.data)
                needs = (a.requires_grad, b.requires_grad)
                va, vb = a._vc, b._vc
                versioned = (va is not None and va.value) or (vb is not None and vb.value)
            else:
                arrays = (a.data, b)
                needs = (a.requires_grad, False)
                va = a._vc
                versioned = va is not None and va.value
        elif isinstance(b, Tensor):
            arrays = (a, b.data)
            needs = (False, b.requires_grad)
            vb = b._vc
            versioned = vb is not None and vb.value
        else:
            arrays, needs, versioned = inputs, (False, False), 0
        requires = needs[0] or needs[1]
    elif len(inputs) == 1:
        x = inputs[0]
        if isinstance(x, Tensor):
            arrays = (x.data,)
            requires = x.requires_grad
            vx = x._vc
            versioned = vx is not None and vx.value
        else:
            arrays, requires, versioned = inputs, False, 0
        needs = (requires,)
    elif len(inputs) == 3 and isinstance(inputs[0], Tensor) and isinstance(inputs[1], Tensor) \
            and isinstance(inputs[2], Tensor):  # linear with a bias: the op of every nn layer
        a, b, c = inputs
        arrays = (a.data, b.data, c.data)
        needs = (a.requires_grad, b.requires_grad, c.requires_grad)
        requires = needs[0] or needs[1] or needs[2]
        v0, v1, v2 = a._vc, b._vc, c._vc
        versions = (0 if v0 is None else v0.value, 0 if v1 is None else v1.value,
                    0 if v2 is None else v2.value)
        versioned = versions != (0, 0, 0)
    else:
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        needs = [isinstance(x, Tensor) and x.requires_grad for x in inputs]
        requires = True in needs
        versions = tuple([x._version if isinstance(x, Tensor) else 0 for x in inputs])
        versioned = any(versions)
    try:
        out = op.forward(*arrays, **attrs) if attrs else op.forward(*arrays)
    except (ValueError, IndexError, TypeError, OverflowError) as exc:
        raise _forward_error(op, arrays, attrs, exc) from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    result = Tensor.__new__(Tensor)
    result.data = out
    if op in _FRESH_OUTPUT_OPS:
        vc = None
    else:
        base = out.base
        if base is None and out is not arrays[0]:
            vc = None  # fresh memory
        else:  # a view of (or the same array as) an input: share the input's version counter
            vc = _shared_counter(inputs, out if base is None else base, out)
            if vc is not None:
                result._vc = vc
    if requires and flags.grad_enabled:
        node = Node.__new__(Node)
        node.op = op
        if out.size >= UNSAVED_MIN_SIZE and op.saved_inputs is not None:
            node.inputs = _without_unsaved(inputs, op.saved_inputs)
        else:
            node.inputs = inputs
        node.attrs = attrs or None
        if op.save_output:
            node.out = out
            if vc is not None:
                node.out_version = (vc, vc.value)
        else:
            node.out = None
        node.hooks = node.retained = None
        node.needs = needs
        node.seq = next_sequence_number()
        node.epoch = INPLACE_UPDATES[0]
        if not versioned:
            node.versions = None
        elif len(inputs) > 2:
            node.versions = versions
        else:
            node.versions = tuple([x._version if isinstance(x, Tensor) else 0 for x in inputs])
        result.grad_fn = node
        result.requires_grad = True
    else:
        node = None
        result.grad_fn = None
        result.requires_grad = False
    if flags.observed:  # detect_anomaly is on or a tape is open: one flag for both
        _observe_op(op, inputs, attrs, result, node)
    return result


def _observe_op(op: type[Op], inputs: tuple, attrs: dict | None, result: Tensor,
                node: Node | None) -> None:
    """What `apply` does only under detect_anomaly or while a tape is open in this thread: note
    where the node was created and check the output (anomaly), then tell the tapes."""
    if _state.anomaly:
        if node is not None:
            node.created_at = _user_location()
            if _state.autocast_dtype is not None:
                node.under_autocast = True
        _check_finite(result.data, op, "forward", node)
    if _state.tapes:
        notify_tapes("op", op, inputs, attrs, result)


def _shared_counter(inputs: Sequence, root: Any, out: np.ndarray) -> Any:
    """The version counter an op's output shares when it is a numpy view of an input's memory (a
    slice, transpose, reshape, expand...): that input's, so an in-place write through either is
    seen by every node that saved the memory. None when `out` views a temporary made in forward.
    `root` is the array owning out's memory (numpy points a view's base at the owner)."""
    for x in inputs:
        if isinstance(x, Tensor):
            data = x.data
            if data is root or data.base is root:
                vc = x._vc
                return vc if vc is not None else version_counter(x)
    for x in inputs:  # memory owned by a non-numpy object: compare bounds
        if isinstance(x, Tensor) and np.may_share_memory(out, x.data):
            vc = x._vc
            return vc if vc is not None else version_counter(x)
    return None


def apply_nondifferentiable(op: type[Op], inputs: tuple, attrs: dict | None = None) -> Tensor:
    """Runs an op with no gradient (comparisons, argmax, sign): the result never requires grad,
    but open tapes still record it, so a traced program recomputes it from new inputs."""
    arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
    try:
        out = op.forward(*arrays, **attrs) if attrs else op.forward(*arrays)
    except (ValueError, IndexError, TypeError, OverflowError) as exc:
        raise _forward_error(op, arrays, attrs, exc) from None
    result = Tensor._wrap(out)
    base = result.data.base
    if base is not None:
        vc = _shared_counter(inputs, base, result.data)
        if vc is not None:
            result._vc = vc
    if _state.tapes:
        notify_tapes("op", op, inputs, attrs, result)
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

# ---- the kernel: the chain rule's pieces, used by every consumer (eager backward on arrays and
# ---- under create_graph, Tape.gradient, trace's code generator, viz's backward frames, explain)

def broadcast_axes(shape: tuple, target: tuple) -> tuple[tuple, bool]:
    """The axes to sum a gradient of `shape` over to undo numpy broadcasting to `target`, and
    whether the sum keeps its dims (axes that broadcasting stretched from 1; the result is then
    reshaped to `target`) or not (only leading axes were added). E.g. (4, 5, 3) -> (5, 1):
    ((0, 2), True); (4, 5, 3) -> (3,): ((0, 1), False)."""
    lead = len(shape) - len(target)
    if shape[lead:] == target:  # only leading axes were added (a bias): the common case
        return tuple(range(lead)), False
    stretched = tuple(i + lead for i, n in enumerate(target) if n == 1 and shape[i + lead] != 1)
    return tuple(range(lead)) + stretched, bool(stretched)


def sum_to_array(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Undoes numpy broadcasting: sums `g` over the axes that broadcasting added or stretched, as
    one numpy reduction (`broadcast_axes`)."""
    if g.shape == shape:
        return g
    axes, keepdims = broadcast_axes(g.shape, shape)
    if keepdims:
        return g.sum(axis=axes, keepdims=True).reshape(shape)
    return g.sum(axis=axes)


def fit_gradient(gx: Any, shape: tuple, dtype: Any, xp: Any = None,
                 steps: list | None = None) -> Any:
    """A vjp's result `gx` fitted to its input's `shape` and `dtype`: reshaped when only the layout
    differs (same size), summed back over broadcast axes otherwise (`xp.sum_to`: `sum_to_array`
    on arrays, `ops.sum_to` on Tensors), then cast. The one place this is decided. Works on arrays
    (xp = array_namespace, the default) and on Tensors (xp = autograd_core.ops, recorded under
    create_graph). When `steps` is a list, the fixes made are appended to it as
    ("reshape", shape) / ("sum_to", from_shape, shape) / ("astype", dtype) (the axes summed are
    `broadcast_axes(from_shape, shape)`): that is how trace's code generator learns, at trace
    time, which code to emit."""
    if gx.shape != shape:
        if gx.size == math.prod(shape):
            gx = gx.reshape(shape)
            step = ("reshape", shape)
        else:
            step = ("sum_to", gx.shape, shape)
            if xp is None:
                xp = array_namespace
            gx = xp.sum_to(gx, shape)
        if steps is not None:
            steps.append(step)
    if gx.dtype != dtype:
        gx = gx.astype(dtype)
        if steps is not None:
            steps.append(("astype", dtype))
    return gx


def vjp_step(op: type[Op], needs: Sequence[bool], g: Any, out: Any, arrays: Sequence,
             attrs: dict | None, fixes: list | None = None) -> tuple:
    """One chain-rule step on arrays: `op`'s vjp for the upstream gradient `g`, each result fitted
    to its input (`fit_gradient`; None where the input needs none). Nothing is routed or
    accumulated. `node_vjp`, `Tape.gradient` and trace's code generator call it; with `fixes`, the
    fitting steps of each needed input (a list per input, else None) are appended to it."""
    produced = op.vjp(array_namespace, needs, g, out, *arrays, **(attrs or {}))
    fitted = []
    for data, need, gx in zip(arrays, needs, produced):
        if not need or gx is None:
            fitted.append(None)
            if fixes is not None:
                fixes.append(None)
            continue
        steps = [] if fixes is not None else None
        gx = np.asarray(gx)
        fitted.append(fit_gradient(gx, np.shape(data), getattr(data, "dtype", gx.dtype),
                                   steps=steps))
        if fixes is not None:
            fixes.append(steps)
    return tuple(fitted)


def accumulate(existing: Any, g: Any) -> Any:
    """The sum of the gradients a value received so far and a new one (`existing` None: the first):
    how every consumer adds up gradients that reach one value along several paths."""
    return g if existing is None else existing + g


def _freed_error(node: Node) -> GraphError:
    return GraphError(
        f"backward: trying to backward through the graph a second time (through {node!r}); its "
        "saved buffers were freed by the first backward. Pass retain_graph=True to the first "
        "backward() if you need to call it again.")


def backward_order(roots: Sequence[Any], parents: Callable[[Any], Sequence] | None = None) -> list:
    """The nodes reachable from `roots` in the order backward applies them: newest first (by
    `seq`). A node is always created after the nodes of its inputs, so every node runs after all
    its consumers. The one graph walk: eager backward under create_graph, viz, checkpoint and, over
    tape entries (whose `seq` is their tape position, which is the order of their nodes),
    Tape.gradient and trace's code generator all use it. `parents(item)` lists the items an item
    sends gradients to (None entries are skipped); by default a Node's input nodes that need a
    gradient, as they were when it was recorded. Iterative, so 10^6-op chains work."""
    stack = list(roots)
    seen = set(stack)
    while stack:
        node = stack.pop()
        if parents is not None:
            for parent in parents(node):
                if parent is not None and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
            continue
        inputs = node.inputs
        if inputs is None:
            raise _freed_error(node)
        for x, need in zip(inputs, node.needs):
            if need:
                parent = input_grad_fn(x, node)
                if parent is not None and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    return sorted(seen, key=_sequence_of, reverse=True)


_sequence_of = operator.attrgetter("seq")


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """Nodes reachable from `roots`, each after all the nodes it consumes (leaf side first)."""
    return backward_order(roots)[::-1]


def _apply_hooks(hooks: list, g: Any, create_graph: bool) -> Any:
    """Runs the hooks in order on the gradient (as a Tensor); a hook may return a replacement of
    the same shape and dtype (anything else raises, as PyTorch does)."""
    value = g if isinstance(g, Tensor) else Tensor._wrap(g)
    for hook in list(hooks):
        replaced = hook(value)
        if replaced is not None:
            value = _hook_result(hook, replaced, value)
    return value if create_graph else value.data


def _hook_result(hook: Callable, replaced: Any, current: Tensor) -> Tensor:
    """A hook's return value as a gradient Tensor, checked against the gradient it replaces."""
    name = getattr(hook, "__qualname__", None) or repr(hook)
    if isinstance(replaced, Tensor):
        new = replaced
    elif isinstance(replaced, np.ndarray):
        new = Tensor._wrap(replaced)
    elif isinstance(replaced, (bool, int, float, complex, np.generic, list, tuple)):
        try:
            new = Tensor._wrap(np.asarray(replaced, dtype=current.dtype))
        except (TypeError, ValueError):
            raise DTypeError(f"hook {name!r} returned a non-numeric {type(replaced).__name__}; a "
                             "gradient hook must return a Tensor, an array or None") from None
    else:
        raise DTypeError(f"hook {name!r} returned a {type(replaced).__name__}; a gradient hook "
                         "must return a Tensor, an array or None")
    if new.shape != current.shape:
        raise ShapeError(f"hook {name!r} has changed the size of value: the gradient has shape "
                         f"{current.shape}, the hook returned shape {new.shape}")
    if new.dtype != current.dtype:
        raise DTypeError(f"hook {name!r} has changed the type of value (was {current.dtype}, got "
                         f"{new.dtype})")
    return new


def owned_gradient(gx: np.ndarray) -> np.ndarray:
    """`gx` as an array a leaf's `.grad` may keep: itself when it is a fresh, writeable, row-major
    array that is no view, else a row-major copy. (The eager backward decides ownership exactly,
    see `_run`; this conservative form is what traced replays use.)"""
    if gx.base is not None or not gx.flags.writeable or not gx.flags.c_contiguous:
        return np.array(gx, order="C")
    return gx


def _storable(g: Any, owned: bool) -> Any:
    """A leaf gradient ready to become `.grad`: a row-major writeable array nobody else holds
    (copied unless the engine made it and handed it to no one else)."""
    if owned and type(g) is np.ndarray:
        flags = g.flags  # a new object at each access
        if flags.writeable and flags.c_contiguous:
            return g
    return np.array(g, order="C")


class Clone(Op):
    """A differentiable copy (used to give a leaf under create_graph a gradient of its own)."""

    name = "clone"
    saved_inputs = ()

    @staticmethod
    def forward(x: np.ndarray) -> np.ndarray:
        return np.array(x, copy=True)

    @staticmethod
    def vjp(xp: Any, needs: tuple, g: Any, out: Any, x: Any) -> tuple:
        return (g,)


def _storable_tensor(g: Tensor, owned: bool) -> Tensor:
    """create_graph's `_storable`: a gradient Tensor whose memory nobody else holds (a recorded
    copy when it is borrowed, so it stays differentiable)."""
    if owned and g.data.flags.writeable and g.data.base is None:
        return g
    return apply(Clone, (g,))


def _root_of(array: Any) -> Any:
    base = array.base
    return array if base is None else base


def _version_error(node: Node, what: str, x: Any, version: int, current: int) -> GraphError:
    label = f" {x.name!r}" if getattr(x, "name", None) else ""
    return GraphError(
        f"backward: one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {what}{label} of {node!r} (shape {x.shape}, {x.dtype}) was modified "
        f"in place after it was recorded (version {version} -> {current}); its gradient would be "
        "wrong. Use an out-of-place op instead (or .clone() before the in-place update).")


def _check_versions(node: Node) -> None:
    """Raises if a value the node's vjp reads (a saved input, or its saved output) was written in
    place after the node recorded it (version counters are shared per buffer)."""
    recorded = node.versions
    if recorded is None:
        recorded = (0,) * len(node.inputs)
    op = node.op
    saved = op.saved_inputs
    read_by = op.read_by
    for i, (x, version) in enumerate(zip(node.inputs, recorded)):
        if isinstance(x, Tensor) and (saved is None or i in saved) and (
                read_by is None or any(node.needs[j] for j in read_by[i])):
            vc = x._vc
            current = 0 if vc is None else vc.value
            if current != version:
                raise _version_error(node, f"input {i}", x, version, current)
    watched = node.out_version
    if watched is not None and node.out is not None and watched[0].value != watched[1]:
        raise _version_error(node, "the output", Tensor._wrap(node.out), watched[1],
                             watched[0].value)


def _useful_nodes(root_nodes: Sequence[Node], wanted: dict,
                  wanted_nodes: dict) -> tuple[set, set]:
    """For backward(inputs=...): (the nodes that lead to a wanted tensor, the nodes whose vjp must
    run because some input leads to one). Only these run, as PyTorch runs only the part of the
    graph between the roots and the inputs; the rest is neither computed nor freed."""
    useful: set = set()
    runs: set = set()
    done: set = set()
    stack = [(node, False) for node in root_nodes]
    while stack:
        node, expanded = stack.pop()
        if node in done:
            continue
        inputs = node.inputs
        if not expanded:
            stack.append((node, True))
            if inputs is not None:
                for x, need in zip(inputs, node.needs):
                    if need:
                        parent = input_grad_fn(x, node)
                        if parent is not None and parent not in done:
                            stack.append((parent, False))
            continue
        done.add(node)
        hit = False
        if inputs is not None:
            for x, need in zip(inputs, node.needs):
                if need:
                    parent = input_grad_fn(x, node)
                    if parent is None:
                        if id(x) in wanted:
                            hit = True
                    elif parent in useful:
                        hit = True
        else:
            hit = True  # let it run, so the freed-graph error is raised
        if hit:
            runs.add(node)
            useful.add(node)
        elif node in wanted_nodes:
            useful.add(node)
    return useful, runs


def backward(roots: Sequence[Tensor], grads: Sequence[Any], retain_graph: bool = False,
             create_graph: bool = False, inputs: Sequence[Tensor] | None = None,
             accumulate: bool = True) -> dict | None:
    """Applies the chain rule from `roots` (seeded with `grads`) back through the recorded graph.

    Leaf tensors that require grad get their `.grad` accumulated. With `inputs`, only those
    tensors (leaves or not, as PyTorch) get `.grad`, and only the part of the graph that leads to
    them runs. With `accumulate=False` no `.grad` is touched: the gradients of `inputs` are
    returned in a dict keyed by id. Without `retain_graph` each node releases its saved buffers
    as soon as it has run. A `.grad` never shares memory with a caller's array (a seed, a hook's
    result) or with another tensor's `.grad`: gradients the engine did not make itself, or handed
    to two consumers, are copied when stored.
    """
    if accumulate and _state.tapes:
        notify_tapes("backward", roots, grads, retain_graph, create_graph, inputs)
    pending: dict = {}
    borrowed: set = set()  # nodes whose pending gradient the engine does not own
    leaf_grads: dict = {}  # id -> (tensor, gradient, owned)
    wanted = None if inputs is None else {id(t): t for t in inputs}
    wanted_nodes = {} if inputs is None else {t.grad_fn: id(t) for t in inputs
                                              if t.grad_fn is not None}
    root_nodes = []
    for root, g in zip(roots, grads):
        if not create_graph:
            g = g.data if isinstance(g, Tensor) else g
        if root.grad_fn is None:
            previous = leaf_grads.get(id(root))
            leaf_grads[id(root)] = (root, g, False) if previous is None else (
                root, previous[1] + g, True)
            continue
        node = root.grad_fn
        if create_graph and not isinstance(g, Tensor):
            g = Tensor._wrap(np.asarray(g))  # the create_graph loop works on Tensors only
        if node in pending:
            pending[node] = pending[node] + g
            borrowed.discard(node)
        else:
            pending[node] = g
            borrowed.add(node)
            root_nodes.append(node)
    useful = runs = None
    if wanted is not None and root_nodes:
        useful, runs = _useful_nodes(root_nodes, wanted, wanted_nodes)
        root_nodes = [node for node in root_nodes if node in useful]

    flags = _state.hot
    previous_mode = flags.grad_enabled
    flags.grad_enabled = create_graph
    try:
        _run(root_nodes, pending, borrowed, leaf_grads, wanted, wanted_nodes, retain_graph,
             accumulate, useful, runs, create_graph)
    finally:
        flags.grad_enabled = previous_mode

    if not accumulate:
        found = {}
        for key, (tensor, g, owned) in leaf_grads.items():
            if wanted is None or key in wanted:
                found[key] = (_storable_tensor(g, owned) if isinstance(g, Tensor)
                              else _storable(g, owned))
        return found
    for key, (tensor, g, owned) in leaf_grads.items():
        if wanted is not None and key not in wanted:
            continue
        if tensor._hooks:
            g = _apply_hooks(tensor._hooks, g, create_graph)
            owned = False  # a hook saw it (and may keep it) or made it
        # a non-leaf is here only when backward(inputs=) asked for it; one that retains its grad
        # got it already when its node ran
        if tensor.requires_grad and (tensor.grad_fn is None or not tensor.retains_grad):
            _store_grad(tensor, g, create_graph, owned)
    return None


def _run(root_nodes: list, pending: dict, borrowed: set, leaf_grads: dict,
         wanted: dict | None, wanted_nodes: dict, retain_graph: bool, accumulate: bool = True,
         useful: set | None = None, runs: set | None = None, create_graph: bool = False) -> None:
    """The backward loop, the one place where vjp results are routed and accumulated. Nodes wait
    in a heap keyed by sequence number, so each runs newest first (the order of `backward_order`)
    once all of its consumers have sent their gradients. Each step applies the node's vjp, fits
    each result to its input (`fit_gradient`), and sends it to the input's node (`pending`) or,
    for a leaf, to `leaf_grads` (id -> (tensor, gradient, owned)).

    On arrays (the fast path) vjps run with xp = `array_namespace` and nothing is recorded. With
    `create_graph` they run on Tensors (xp = autograd_core.ops), so the backward pass is itself
    recorded and can be differentiated again; a saved output is then used as a tensor whose
    grad_fn is its own node, so derivatives through it stay connected.

    Ownership of each gradient is tracked explicitly (on the gradients' arrays): a vjp result is
    the engine's own when it is fresh memory; when it is (a view of) the upstream gradient it is
    owned only if the upstream was and no other input receives it too; anything else (seeds, hook
    results, views of saved arrays) is borrowed, and a leaf copies it before keeping it as
    `.grad`."""
    if create_graph:
        from . import ops as xp

        order = backward_order(root_nodes)  # raises for a freed graph before anything runs
        kept: set = set()  # reached but not run (backward(inputs=) stops there): not freed
    else:
        xp = array_namespace
    updates = INPLACE_UPDATES  # read live at each node: a hook may write in place mid-backward
    anomaly = _state.anomaly
    # The newest waiting node runs next. While it is the only one waiting (one root, a chain) it
    # is held in `following` instead of the heap: `following` is set only while the heap is
    # empty, and is moved into the heap as soon as a second node starts waiting, so the order is
    # the heap's.
    if len(root_nodes) == 1:
        heap, following = [], root_nodes[0]
    else:
        heap = [(-node.seq, node) for node in dict.fromkeys(root_nodes)]
        heapq.heapify(heap)
        following = None
    pop, push = heapq.heappop, heapq.heappush
    while True:
        if following is not None:
            node = following
            following = None
            seq = node.seq
        elif heap:
            seq, node = pop(heap)
            seq = -seq
        else:
            break
        g = pending.pop(node)
        if borrowed and node in borrowed:
            borrowed.discard(node)
            g_owned = False
        else:
            g_owned = True
        inputs = node.inputs
        if inputs is None:
            raise _freed_error(node)
        if node.hooks is not None or node.retained is not None:
            g = _node_extras(node, g, create_graph, accumulate)
            if node.hooks:
                g_owned = False
        if wanted_nodes and node in wanted_nodes:
            tensor = wanted[wanted_nodes[node]]
            leaf_grads[id(tensor)] = (tensor, g, False)
            if runs is not None and node not in runs:
                if create_graph:
                    kept.add(node)
                continue  # nothing wanted lies beyond: leave this part of the graph alone
        if node.epoch != updates[0]:  # some tensor was written in place since node was recorded
            _check_versions(node)
        op = node.op
        attrs = node.attrs
        if create_graph:
            arrays = inputs
            out = _output_as_tensor(node) if op.save_output else None
        else:
            out = node.out
            if len(inputs) == 1:
                arrays = (inputs[0].data,)
            elif len(inputs) == 2:
                a, b = inputs
                arrays = (a.data if isinstance(a, Tensor) else a,
                          b.data if isinstance(b, Tensor) else b)
            elif len(inputs) == 3:  # linear with a bias; an Unsaved input is passed as itself
                a, b, c = inputs
                arrays = (a.data if isinstance(a, Tensor) else a,
                          b.data if isinstance(b, Tensor) else b,
                          c.data if isinstance(c, Tensor) else c)
            else:
                arrays = tuple([x.data if isinstance(x, Tensor) else x for x in inputs])
        needs = node.needs
        if attrs:
            input_grads = op.vjp(xp, needs, g, out, *arrays, **attrs)
        elif len(arrays) == 1:  # positional calls: CPython makes no argument tuple for them
            input_grads = op.vjp(xp, needs, g, out, arrays[0])
        elif len(arrays) == 2:
            input_grads = op.vjp(xp, needs, g, out, arrays[0], arrays[1])
        elif len(arrays) == 3:
            input_grads = op.vjp(xp, needs, g, out, arrays[0], arrays[1], arrays[2])
        else:
            input_grads = op.vjp(xp, needs, g, out, *arrays)
        if anomaly:
            for gx in input_grads:
                if gx is not None:
                    _check_finite(gx, op, "backward", node)
        g_root = None  # with `shared`, computed on first need
        for i in range(len(input_grads)):  # indexing: cheaper than zip for one or two inputs
            gx = input_grads[i]
            if gx is None or not needs[i]:
                continue
            x = inputs[i]
            data = arrays[i]
            if create_graph:
                if not isinstance(gx, Tensor):
                    gx = Tensor._wrap(np.asarray(gx))
                data = x.data
                if gx.shape != data.shape or gx.dtype != data.dtype:
                    gx = fit_gradient(gx, data.shape, data.dtype, xp)
                gd = gx.data
            else:  # the hot path: a cheap guard, the fitting itself is fit_gradient's
                if gx.shape != data.shape or (gx.dtype is not data.dtype and gx.dtype != data.dtype):
                    gx = fit_gradient(gx, data.shape, data.dtype, xp)
                gd = gx
            base = gd.base
            if base is None and gx is not g:
                owned = True  # fresh memory: the common case
            else:
                if g_root is None:
                    g_array = g.data if create_graph else g
                    g_root = g_array if g_array.base is None else g_array.base
                    shared = 0
                    for gy in input_grads:
                        if gy is None:
                            continue
                        if create_graph:
                            if not isinstance(gy, Tensor):
                                continue
                            gy = gy.data
                        if gy is g_array or gy.base is g_root:
                            shared += 1
                # a gradient is linear in g: g itself, a view of g's memory, or computed (fresh
                # memory, possibly seen through a view of a temporary)
                owned = (gd if base is None else base) is not g_root or (g_owned and shared == 1)
            parent = x.grad_fn
            if parent is not None:
                parent_seq = parent.seq
                if parent_seq > seq:  # x was updated in place (recorded) after this node
                    parent = input_grad_fn(x, node)
                    if parent is None:
                        continue
                    parent_seq = parent.seq
                if useful is not None and parent not in useful:
                    continue
                existing = pending.get(parent)
                if existing is None:
                    pending[parent] = gx
                    if not owned:
                        borrowed.add(parent)
                    if following is None and not heap:
                        following = parent
                    else:
                        if following is not None:
                            push(heap, (-following.seq, following))
                            following = None
                        push(heap, (-parent_seq, parent))
                else:
                    pending[parent] = existing + gx
                    if borrowed:
                        borrowed.discard(parent)
            else:
                key = id(x)
                if wanted is not None and key not in wanted:
                    continue
                previous = leaf_grads.get(key)
                leaf_grads[key] = (x, gx, owned) if previous is None else (
                    x, previous[1] + gx, True)
        if not retain_graph:
            node.inputs = node.out = None
    if create_graph and not retain_graph:
        # nodes that received no gradient (a vjp returned None) are released too
        for node in order:
            if node not in kept and (useful is None or node in useful):
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
            _store_grad(holder, g, create_graph, False)
    return g


def _output_as_tensor(node: Node) -> Tensor:
    """The node's saved output as a Tensor whose grad_fn is the node itself (as PyTorch unpacks a
    saved output), so a vjp that uses it stays differentiable through this node."""
    out = Tensor._wrap(node.out)
    out.grad_fn = node
    out.requires_grad = True
    return out


def _store_grad(tensor: Tensor, g: Any, create_graph: bool, owned: bool = False) -> None:
    """Accumulates `g` into tensor.grad; a first gradient is kept as is only when `owned`."""
    if create_graph:
        new = g if isinstance(g, Tensor) else Tensor._wrap(g)
        tensor.grad = _storable_tensor(new, owned) if tensor.grad is None else tensor.grad + new
        return
    grad = tensor.grad
    if grad is None:
        new = Tensor.__new__(Tensor)  # Tensor._wrap inlined: this runs once per parameter
        new.data = _storable(g, owned)
        new.grad_fn = None
        new.requires_grad = False
        tensor.grad = new
    else:
        tensor.grad = Tensor._wrap(grad.data + g)


# ---- in-place writes recorded on tensors that require grad (core9) ---------------------------

class Assign(Op):
    """`a` with `b` written at [key]: the out-of-place value of `a[key] = b`, which an in-place
    write records when it involves a tensor that requires grad. d/da is g with zeros at key,
    d/db is g[key] (summed to b's shape by the engine). Reads no input values."""

    name = "setitem"
    saved_inputs = ()

    @staticmethod
    def forward(a: np.ndarray, b: Any, key: Any) -> np.ndarray:
        result = np.array(a, copy=True)
        result[key] = b
        return result

    @staticmethod
    def vjp(xp: Any, needs: tuple, g: Any, out: Any, a: Any, b: Any, key: Any) -> tuple:
        ga = gb = None
        if needs[0]:
            keep = np.ones(a.shape, dtype=bool)
            keep[key] = False
            ga = xp.where(keep, g, 0)
        if needs[1]:
            gb = g[key]
        return ga, gb


class Copy(Assign):
    """x.copy_(src): src broadcast and cast into x."""

    name = "copy"


class Fill(Assign):
    """x.fill_(value)."""

    name = "fill"


class Zero(Assign):
    """x.zero_()."""

    name = "zero"


class MaskedFill(Assign):
    """x.masked_fill_(mask, value)."""

    name = "masked_fill"


class Uniform(Assign):
    """x.uniform_(a, b): new values, no gradient to the old ones."""

    name = "uniform"


class Normal(Assign):
    """x.normal_(mean, std): new values, no gradient to the old ones."""

    name = "normal"


def node_vjp(node: Node, g: np.ndarray) -> tuple:
    """What one backward step computes at `node` for the upstream gradient `g`, on arrays: the
    gradient sent to each input, fitted to that input's shape and dtype (None where the input
    needs none). Nothing is routed, accumulated or freed; the graph must not have been freed."""
    if node.inputs is None:
        raise _freed_error(node)
    arrays = [x.data if isinstance(x, (Tensor, Unsaved)) else x for x in node.inputs]
    return vjp_step(node.op, node.needs, g, node.out, arrays, node.attrs)
