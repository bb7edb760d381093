"""The tape as an object: record the straight-line program (a Wengert list) that Python code ran,
print it, take gradients from it, and replay it (trace).

Inside `with Tape() as tape:` every op applied through `graph.apply` is appended as a TapeEntry:
op, input and output value numbers (%k), shapes, dtypes, attributes and the user's file:line.
Calls to `backward()` and to replayable host functions (optimizer steps, zero_grad, clipping)
are recorded as events too, so `trace` can replay a whole training step.
"""

from __future__ import annotations

import collections.abc
import functools
import os
import warnings
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import graph, mode
from .errors import GraphError, UnsupportedError
from .tensor import Tensor

_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**"}


class TracerWarning(UserWarning):
    """Python read a traced tensor's value (item(), bool()): control flow that depends on it is
    frozen into the trace as it ran this time."""


class TapeEntry:
    """One recorded op: `output = op(inputs..., **attrs)` with value numbers, shapes and location."""

    __slots__ = ("index", "op", "inputs", "input_ids", "attrs", "output", "output_id",
                 "location", "grad_enabled", "versions", "node")

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def seq(self) -> int:
        """The entry's place in the recorded program. Entries are appended as `apply` runs, so
        the entries that recorded a Node (`node`) are in their nodes' sequence-number order:
        graph.backward_order over entries and over nodes is one order."""
        return self.index

    @property
    def shapes(self) -> list:
        return [np.shape(x.data if isinstance(x, Tensor) else x) for x in self.inputs]

    @property
    def dtypes(self) -> list:
        return [np.asarray(x.data if isinstance(x, Tensor) else x).dtype for x in self.inputs]

    @property
    def output_shape(self) -> tuple:
        return self.output.shape

    def __repr__(self) -> str:
        return f"<TapeEntry %{self.output_id} = {self.name}>"


class BackwardEvent:
    """A `backward()` call made while the tape was open (replayed by trace)."""

    __slots__ = ("roots", "seeds", "retain_graph", "create_graph", "inputs", "position")


class InplaceEvent:
    """An in-place update (`t -= u`, `t[...] = u`) made while the tape was open."""

    __slots__ = ("fn", "target_id", "operand", "operand_id", "position")


class CallEvent:
    """A replayable host call (optimizer.step(), zero_grad(), clip_grad_norm_...) made while the
    tape was open; trace replays it by calling the function again with the same arguments."""

    __slots__ = ("fn", "args", "kwargs", "position")


class Tape:
    """Records every op executed inside `with Tape() as tape:`, in execution order.

    `print(tape)` shows the program; `tape.gradient(target, sources)` differentiates it without
    touching `.grad`; with persistent=False the tape releases its buffers after one gradient call.
    """

    def __init__(self, persistent: bool = False) -> None:
        self.persistent = persistent
        self.entries: list[TapeEntry] = []
        self.events: list = []
        self.values: list[Tensor] = []
        self._value_ids: dict[int, int] = {}
        self._names: dict[int, str] = {}
        self._kinds: dict[int, str] = {}
        self._released = False
        self.tracing = False
        self._warned: set = set()
        #: whether the tape is open (in the opening thread's mode.state.tapes: it records that
        #: thread's ops only) and how many replayable host calls are running in it (their inner
        #: ops are not recorded)
        self._open = False
        self._paused = 0

    # ---- recording -------------------------------------------------------------------------------
    def __enter__(self) -> Tape:
        if self._released:
            raise GraphError("Tape: this tape was released (by gradient() or release()); record on "
                             "a new Tape")
        if self._open:
            raise GraphError("Tape: this tape is already recording")
        self._open = True
        mode.state.open_tape(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        mode.state.close_tape(self)
        self._open = False

    def observe(self, event: str, *args: Any) -> None:
        """What graph.notify_tapes calls (the engine's one hook into open tapes): records `event`
        ("op", "backward", "inplace", "call", "read"; arguments as notify_tapes documents)."""
        _OBSERVERS[event](self, *args)

    def _value_id(self, x: Tensor, kind: str) -> int:
        key = id(x)
        found = self._value_ids.get(key)
        if found is not None:
            return found
        number = len(self.values)
        self.values.append(x)
        self._value_ids[key] = number
        self._kinds[number] = kind
        if x.name:
            self._names[number] = x.name
        return number

    def _record(self, op: type, inputs: tuple, attrs: dict | None, result: Tensor) -> None:
        entry = TapeEntry()
        entry.index = len(self.entries)
        entry.op = op
        entry.inputs = inputs
        entry.input_ids = tuple(
            self._value_id(x, "param" if x.requires_grad and x.grad_fn is None else "input")
            if isinstance(x, Tensor) else None for x in inputs)
        entry.attrs = attrs or {}
        entry.output = result
        entry.node = result.grad_fn  # the graph's own node (None when nothing was recorded)
        entry.output_id = self._value_id(result, "op")
        entry.location = graph._user_location()
        entry.grad_enabled = mode.state.grad_enabled
        entry.versions = tuple(x._version if isinstance(x, Tensor) else 0 for x in inputs)
        self.entries.append(entry)

    def _record_backward(self, roots: Sequence[Tensor], seeds: Sequence[Any], retain_graph: bool,
                         create_graph: bool, inputs: Sequence[Tensor] | None) -> None:
        event = BackwardEvent()
        event.roots = list(roots)
        event.seeds = [np.array(s.data if isinstance(s, Tensor) else s) for s in seeds]
        event.retain_graph = retain_graph
        event.create_graph = create_graph
        event.inputs = None if inputs is None else list(inputs)
        event.position = len(self.entries)
        self.events.append(event)

    def _record_inplace(self, target: Tensor, operand: Any, fn: Callable) -> None:
        event = InplaceEvent()
        event.fn = fn
        event.target_id = self._value_id(target, "param" if target.requires_grad else "input")
        event.operand = operand
        event.operand_id = self._value_id(operand, "input") if isinstance(operand, Tensor) else None
        event.position = len(self.entries)
        self.events.append(event)
        if self.tracing and isinstance(operand, np.ndarray) and operand.size > 1:
            warnings.warn(TracerWarning(
                f"trace: an in-place update at {graph._user_location()} writes a numpy array "
                f"{operand.shape} computed outside the engine's ops (e.g. nn.init's random fills, "
                "or numpy on .data); every replay writes these same values. Compute it with "
                "autograd_core ops (or a @replayable function) if it should change"),
                stacklevel=4)

    def _record_call(self, fn: Callable, args: tuple, kwargs: dict) -> None:
        event = CallEvent()
        event.fn, event.args, event.kwargs = fn, args, kwargs
        event.position = len(self.entries)
        self.events.append(event)

    def _note_data_dependence(self, tensor: Tensor, what: str) -> None:
        if not self.tracing or id(tensor) not in self._value_ids:
            return
        location = graph._user_location()
        if location in self._warned:
            return
        self._warned.add(location)
        warnings.warn(TracerWarning(
            f"trace: {what} read the value of a traced tensor at {location}; Python control flow "
            "or numbers that depend on it are frozen into the trace as they were this time "
            "(use autograd_core ops such as where() instead, or retrace)"), stacklevel=3)

    # ---- reading ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[TapeEntry]:
        return iter(self.entries)

    def __getitem__(self, index: int) -> TapeEntry:
        return self.entries[index]

    def name(self, params: Any = None, **tensors: Tensor) -> Tape:
        """Labels values in the printout: `params` is a dict name -> tensor (e.g.
        dict(model.named_parameters())), a Module, or pairs; keywords name single tensors."""
        if params is not None:
            if hasattr(params, "named_parameters"):
                params = params.named_parameters()
            pairs = params.items() if isinstance(params, dict) else params
            for label, tensor in pairs:
                number = self._value_ids.get(id(tensor))
                if number is not None:
                    self._names[number] = label
        for label, tensor in tensors.items():
            number = self._value_ids.get(id(tensor))
            if number is not None:
                self._names[number] = label
        return self

    def _label(self, number: int) -> str:
        name = self._names.get(number)
        return f"%{number}" if name is None else f"%{number}:{name}"

    def __str__(self) -> str:
        produced = {entry.output_id for entry in self.entries}
        lines = [f"Tape: {len(self.entries)} ops, {len(self.values) - len(produced)} inputs"]
        for number, value in enumerate(self.values):
            if number in produced:
                continue
            kind = self._kinds.get(number, "input")
            lines.append(f"  {self._label(number)} = {kind}  {_shape_text(value.shape)} "
                         f"{value.dtype}")
        events = sorted(self.events, key=lambda event: event.position)
        for entry in self.entries:
            while events and events[0].position <= entry.index:
                lines.append("  " + self._event_line(events.pop(0)))
            lines.append("  " + self._entry_line(entry))
        lines += ["  " + self._event_line(event) for event in events]
        return "\n".join(lines)

    def _event_line(self, event: Any) -> str:
        if isinstance(event, BackwardEvent):
            roots = ", ".join(self._label(self._value_ids[id(r)]) for r in event.roots
                              if id(r) in self._value_ids)
            return f"-- backward({roots})"
        if isinstance(event, InplaceEvent):
            return f"-- {self._label(event.target_id)} updated in place ({event.fn.__name__})"
        return f"-- {getattr(event.fn, '__qualname__', event.fn)}()"

    def _entry_line(self, entry: TapeEntry) -> str:
        args = []
        for x, number in zip(entry.inputs, entry.input_ids):
            args.append(self._label(number) if number is not None else _constant_text(x))
        args += [f"{k}={_attr_text(v)}" for k, v in entry.attrs.items()]
        shapes = [_shape_text(s) for s in entry.shapes]
        symbol = _SYMBOLS.get(entry.name)
        signature = f" {symbol} ".join(shapes) if symbol and len(shapes) == 2 else ", ".join(shapes)
        where = os.path.basename(entry.location.rsplit(":", 1)[0]) + ":" + \
            entry.location.rsplit(":", 1)[-1]
        return (f"{self._label(entry.output_id)} = {entry.name}({', '.join(args)})  {signature} -> "
                f"{_shape_text(entry.output.shape)}  {where}")

    __repr__ = __str__

    def to_dot(self, **options: Any) -> str:
        """DOT text of the recorded program (one box per value, one ellipse per op)."""
        return self.to_digraph(**options).source

    #: Draws a tape: `renderer(tape, rankdir=...)` returns a graphviz.Digraph. The drawing code is
    #: autograd_core.viz's (`viz.draw_tape`), which sets this slot when it is imported (as
    #: `import autograd_core` does): viz depends on this module, never the reverse.
    _diagram_renderer: Callable[..., Any] | None = None

    def to_digraph(self, rankdir: str = "LR") -> Any:
        """A graphviz.Digraph of the recorded program, drawn from the entries alone."""
        renderer = Tape._diagram_renderer
        if renderer is None:
            raise GraphError("Tape.to_digraph: no diagram renderer is registered; import "
                             "autograd_core.viz (which draws tapes) first")
        return renderer(self, rankdir=rankdir)

    # ---- differentiating ---------------------------------------------------------------------------
    def gradient(self, target: Tensor, sources: Sequence[Tensor] | Tensor) -> Any:
        """d target / d source for each source, from the recorded entries alone (a reverse sweep
        over the Wengert list); `.grad` attributes are not touched. Sources need not require grad.
        A source the target does not depend on gets None, like TensorFlow's GradientTape."""
        if self._released:
            raise GraphError("Tape.gradient: the tape was already used by gradient() and its "
                             "buffers released; create it with Tape(persistent=True) to call "
                             "gradient() several times")
        single = isinstance(sources, Tensor)
        source_list = [sources] if single else list(sources)
        target_id = self._value_ids.get(id(target))
        if target_id is None:
            raise GraphError("Tape.gradient: the target was not recorded on this tape")
        if target.size != 1:
            raise GraphError(f"Tape.gradient: the target must be a scalar, got shape {target.shape}")
        source_ids = [self._value_ids.get(id(s)) for s in source_list]
        grads = reverse_sweep(self.entries, target_id, np.ones_like(target.data),
                              {n for n in source_ids if n is not None})
        results = [None if n is None or n not in grads else Tensor._wrap(grads[n])
                   for n in source_ids]
        if not self.persistent:
            self.release()
        return results[0] if single else results

    def release(self) -> None:
        """Drops every recorded entry and event and the tensors (and so the buffers) they hold;
        the tape can no longer be differentiated, replayed or recorded on."""
        self.entries = []
        self.events = []
        self.values = []
        self._value_ids = {}
        self._names = {}
        self._kinds = {}
        self._released = True


def reverse_sweep(entries: Sequence[TapeEntry], target_id: int, seed: np.ndarray,
                  source_ids: set) -> dict:
    """The chain rule over a Wengert list: from the target back through the entries whose values
    depend on a source, newest first (graph.backward_order over entries), each step the graph
    kernel's graph.vjp_step. Sources need not require grad, so which inputs need a gradient is
    worked out from the tape, not from the nodes. Returns value number -> gradient."""
    depends = set(source_ids)
    producer: dict = {}
    for entry in entries:
        if entry.grad_enabled and entry.op.differentiable and any(
                n in depends for n in entry.input_ids if n is not None):
            depends.add(entry.output_id)
        producer.setdefault(entry.output_id, entry)
    grads: dict = {target_id: seed}
    target = producer.get(target_id)
    if target is None:
        return {n: g for n, g in grads.items() if n in source_ids}

    def parents(entry: TapeEntry) -> list:
        return [producer.get(n) for n in entry.input_ids if n is not None and n in depends]

    for entry in graph.backward_order([target], parents):
        g = grads.get(entry.output_id)
        if g is None or entry.output_id not in depends or not entry.op.differentiable:
            continue
        if entry.output_id not in source_ids:
            del grads[entry.output_id]
        needs = tuple(n is not None and n in depends for n in entry.input_ids)
        if not any(needs):
            continue
        for x, version in zip(entry.inputs, entry.versions):
            if isinstance(x, Tensor) and x._version != version:
                raise GraphError(f"Tape.gradient: an input of {entry.name} was modified in place "
                                 "after it was recorded")
        arrays = [x.data if isinstance(x, Tensor) else x for x in entry.inputs]
        out = entry.output.data if entry.op.save_output else None
        input_grads = graph.vjp_step(entry.op, needs, g, out, arrays, entry.attrs)
        for number, gx in zip(entry.input_ids, input_grads):
            if gx is not None:
                grads[number] = graph.accumulate(grads.get(number), gx)
    return {n: g for n, g in grads.items() if n in source_ids}


def replayable(fn: Callable | None = None, *,
               plan: Callable[..., Callable | None] | None = None) -> Callable:
    """Marks a host function (optimizer.step, zero_grad, gradient clipping) so that open tapes
    record calls to it and trace replays them. Calls nested inside another replayable function
    are not recorded separately. Use as `@replayable` or `@replayable(plan=...)`.

    `plan(*args, **kwargs)`, asked once by trace's code generator with a recorded call's
    arguments, may return a cheaper function to replay with the same arguments: one that does
    exactly what `fn` does for every state a replay can meet (falling back to `fn` itself where it
    cannot), or None to replay `fn`."""
    if fn is None:
        return functools.partial(replayable, plan=plan)
    fn.replay_plan = plan

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not mode.state.tapes:
            return fn(*args, **kwargs)
        tapes = graph.current_tapes()
        args = tuple(list(a) if isinstance(a, collections.abc.Iterator) else a for a in args)
        graph.notify_tapes("call", fn, args, kwargs)
        for tape in tapes:
            tape._paused += 1  # this thread's tapes only: other threads keep recording
        try:
            return fn(*args, **kwargs)
        finally:
            for tape in tapes:
                tape._paused -= 1

    return wrapper


def _shape_text(shape: tuple) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _constant_text(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"const{_shape_text(x.shape)}" if x.size > 1 else repr(x.item())
    return repr(x)


def _attr_text(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array{_shape_text(value.shape)}"
    if isinstance(value, tuple) and any(isinstance(v, np.ndarray) for v in value):
        return "(" + ", ".join(_attr_text(v) for v in value) + ")"
    if isinstance(value, np.dtype):
        return str(value)
    return repr(value)


def check_no_create_graph(event: BackwardEvent) -> None:
    if event.create_graph:
        raise UnsupportedError("trace: backward(create_graph=True) inside a traced function is not "
                               "supported; trace the first-order step, or use functional.hessian")


#: What Tape.observe does for each event graph.notify_tapes reports.
_OBSERVERS = {"op": Tape._record, "backward": Tape._record_backward, "inplace": Tape._record_inplace,
              "call": Tape._record_call, "read": Tape._note_data_dependence}

__all__ = ["Tape", "TapeEntry", "TracerWarning", "replayable", "reverse_sweep"]
