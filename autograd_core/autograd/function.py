"""Custom differentiable functions, as `torch.autograd.Function`.

A subclass defines `forward(ctx, *args)` and `backward(ctx, *grad_outputs)` as static methods;
`MyFn.apply(*args)` runs forward without recording and records ONE node whose vjp calls
`backward`. The node is an ordinary graph node (its Op class is named after the subclass), so
backward, `create_graph`, tapes, diagrams and anomaly messages treat it like a built-in op.

Saved tensors are kept by reference to the node's own inputs and output where possible (never
to the output Tensor itself, which would make a reference cycle), so under `create_graph=True`
a `backward` written with differentiable ops stays connected to the graph.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from .. import graph
from ..errors import GraphError, InvalidArgumentError, ShapeError
from ..mode import no_grad, state
from ..tensor import Tensor
from ..tensor import is_differentiable_dtype


class _InputSlot:
    """A saved tensor that is the node's positional input number `index`."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class _OutputSlot:
    """A saved tensor that is the function's differentiable output number `index`."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class FunctionCtx:
    """The `ctx` passed to forward and backward: `save_for_backward`, `saved_tensors`,
    `needs_input_grad`, `mark_non_differentiable`, `set_materialize_grads`, and any attribute the
    function sets on it (`ctx.constant = 2`)."""

    def __init__(self, needs_input_grad: tuple) -> None:
        self.needs_input_grad = needs_input_grad
        self.materialize_grads = True
        self._saved: tuple = ()
        self._resolved: tuple | None = None
        self._non_differentiable: list = []
        #: Per output, where backward's gradient comes from: an index into the differentiable
        #: outputs, (shape, dtype) of zeros for a non-differentiable one, or None.
        self._grad_slots: tuple = ()

    def save_for_backward(self, *tensors: Any) -> None:
        """Keeps tensors (or None) for backward; read them back as `ctx.saved_tensors`."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise InvalidArgumentError(
                    f"save_for_backward: can only save tensors or None, got {type(t).__name__}")
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._resolved is not None:
            return self._resolved
        if any(isinstance(t, (_InputSlot, _OutputSlot)) for t in self._saved):
            raise GraphError("saved_tensors: saved tensors can only be read inside backward "
                             "(or inside forward, before it returns)")
        return tuple(self._saved)

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Declares outputs that get no gradient (e.g. the indices of a sort)."""
        self._non_differentiable.extend(tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors: Tensor) -> None:
        from ..errors import UnsupportedError

        raise UnsupportedError("mark_dirty: in-place custom functions are not supported; return a "
                               "new tensor from forward instead")


class _FunctionOp(graph.Op):
    """The Op behind a Function subclass: forward hands back the output computed by
    `Function.apply`; vjp calls the subclass's backward. One such class per subclass."""

    function: type = None  # the Function subclass
    traceable = False  # trace cannot re-run user code with fresh saved tensors

    @staticmethod
    def forward(*arrays: Any, ctx: FunctionCtx, layout: tuple) -> np.ndarray:
        output, ctx._pending = ctx._pending, None
        return output


def _vjp(function: type, xp: Any, needs: tuple, g: Any, out: Any, *inputs: Any,
         ctx: FunctionCtx, layout: tuple) -> tuple:
    """Splits the upstream gradient per output, runs the user's backward on Tensors and checks
    what it returns: one gradient (or None) per positional input, each of its input's shape."""
    recorded = isinstance(g, Tensor)
    wrap = (lambda v: v) if recorded else (lambda v: v if isinstance(v, Tensor) else Tensor._wrap(
        np.asarray(v)))
    g = wrap(g)
    out = None if out is None else wrap(out)
    pieces = _split(g, layout)
    grads = [pieces[slot] if isinstance(slot, int) else None if slot is None
             else Tensor._wrap(np.zeros(*slot)) for slot in ctx._grad_slots]
    outputs = _split(out, layout) if out is not None else None
    ctx._resolved = tuple(
        wrap(inputs[t.index]) if isinstance(t, _InputSlot)
        else outputs[t.index] if isinstance(t, _OutputSlot) else t for t in ctx._saved)
    try:
        result = function.backward(ctx, *grads)
    finally:
        ctx._resolved = None
    if not isinstance(result, tuple):
        result = (result,)
    name = function.__name__
    if len(result) < len(inputs) or any(r is not None for r in result[len(inputs):]):
        raise InvalidArgumentError(
            f"{name}.backward returned an incorrect number of gradients (expected {len(inputs)}, "
            f"got {len(result)})")
    checked = []
    for i, (gx, x, need) in enumerate(zip(result, inputs, needs)):
        if gx is None or not need:
            checked.append(None)
            continue
        if not isinstance(gx, Tensor):
            gx = Tensor._wrap(np.asarray(gx, dtype=x.dtype))
        try:
            expandable = np.broadcast_shapes(gx.shape, x.shape) == gx.shape
        except ValueError:
            expandable = False
        if not expandable:
            raise ShapeError(f"{name}.backward returned an invalid gradient at index {i}: got shape "
                             f"{gx.shape} but expected shape compatible with {x.shape}")
        checked.append(gx if recorded else gx.data)
    return tuple(checked)


def _split(packed: Tensor, layout: tuple) -> list:
    """The per-output pieces of a packed (flattened, concatenated) tensor; `layout` is None for a
    single output, else ((offset, shape), ...)."""
    if layout is None:
        return [packed]
    from .. import ops

    return [ops.reshape(packed[start:start + int(np.prod(shape, dtype=np.int64))], shape)
            for start, shape in layout]


class _FunctionMeta(type):
    """Gives each Function subclass its own Op class, named after it."""

    def __init__(cls, name: str, bases: tuple, namespace: dict) -> None:
        super().__init__(name, bases, namespace)
        op_name = name
        vjp = functools.partial(_vjp, cls)
        cls._op = type(f"{name}Op", (_FunctionOp,), {
            "name": op_name, "function": cls, "save_output": True,
            "vjp": staticmethod(vjp), "__doc__": f"The recorded node of the custom function {name}."})


class Function(metaclass=_FunctionMeta):
    """Base class of custom differentiable functions (torch.autograd.Function).

    ```python
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2

    y = Cube.apply(x)
    ```
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define a static forward(ctx, ...)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define a static backward(ctx, ...)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Runs forward (not recorded) and records one node for the differentiable outputs."""
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        for o in outputs:
            if o is not None and not isinstance(o, Tensor):
                raise InvalidArgumentError(f"{cls.__name__}.forward must return tensors (or a tuple "
                                           f"of them), got {type(o).__name__}")
        if not (state.grad_enabled and any(needs)):
            return result
        excluded = {id(t) for t in ctx._non_differentiable}
        positions = [i for i, o in enumerate(outputs) if o is not None and id(o) not in excluded
                     and is_differentiable_dtype(o.dtype)]
        if not positions:
            return result
        diff_outputs = [outputs[i] for i in positions]
        ctx._grad_slots = tuple(
            positions.index(i) if i in positions else None if o is None else (o.shape, o.dtype)
            for i, o in enumerate(outputs))
        ctx._saved = tuple(_slot_for(t, args, diff_outputs) for t in ctx._saved)
        if single or len(positions) == 1:
            layout, packed = None, diff_outputs[0].data
        else:
            dtype = np.result_type(*[o.dtype for o in diff_outputs])
            layout, offset = [], 0
            for o in diff_outputs:
                layout.append((offset, o.shape))
                offset += o.size
            layout = tuple(layout)
            packed = np.concatenate([o.data.astype(dtype, copy=False).ravel() for o in diff_outputs])
        ctx._pending = packed
        node_output = graph.apply(cls._op, args, {"ctx": ctx, "layout": layout})
        if layout is None:
            pieces = [node_output]
        else:
            pieces = [p.astype(o.dtype) for p, o in zip(_split(node_output, layout), diff_outputs)]
        final = list(outputs)
        for i, piece in zip(positions, pieces):
            final[i] = piece
        return final[0] if single else tuple(final)


def _slot_for(t: Any, args: tuple, outputs: list) -> Any:
    """What the ctx keeps for a saved tensor: a slot for an input or output (resolved in backward
    from the node itself), else the tensor detached from any graph."""
    if t is None:
        return None
    for i, a in enumerate(args):
        if a is t:
            return _InputSlot(i)
    for i, o in enumerate(outputs):
        if o is t:
            return _OutputSlot(i)
    return t.detach() if t.requires_grad else t


def once_differentiable(backward: Callable) -> Callable:
    """Decorates a backward that is not itself differentiable: it runs without recording; under
    create_graph its results are marked so that differentiating them again raises, instead of
    silently giving zeros."""

    @functools.wraps(backward)
    def wrapper(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        with no_grad():
            result = backward(ctx, *[g.detach() if isinstance(g, Tensor) else g
                                     for g in grad_outputs])
        if not state.grad_enabled:
            return result
        connected = [t for t in tuple(grad_outputs) + tuple(ctx.saved_tensors)
                     if isinstance(t, Tensor) and t.requires_grad]
        if not connected:
            return result
        single = not isinstance(result, tuple)
        marked = tuple(_RefuseSecondOrder.apply(r, *connected) if isinstance(r, Tensor) else r
                       for r in ((result,) if single else result))
        return marked[0] if single else marked

    return wrapper


class _RefuseSecondOrder(Function):
    """Identity on a once-differentiable backward's result, linked to what it depends on; its
    own backward raises."""

    @staticmethod
    def forward(ctx: FunctionCtx, result: Tensor, *connected: Tensor) -> Tensor:
        return result.detach()

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Any) -> tuple:
        raise GraphError("once_differentiable: trying to differentiate twice a custom function "
                         "whose backward is marked @once_differentiable")
