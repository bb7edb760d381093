"""trace: run a function once under a Tape, then replay its recorded forward AND backward ops
directly on numpy arrays, with no Tensor objects or graph nodes per op.

The replay is generated Python source, one line per op (readable: `print(step.source)`):

    v7 = F7(v3, v5, out=B7)          # forward: the op's own numpy function, output buffer reused
    r7 = V7(g7, None, v3, v5)        # backward: the op's vjp, exactly as eager backward calls it
    g3 = r7[0]                       # gradient routing, accumulation and broadcast fixes decided
                                     # once at trace time instead of checked on every call

Like torch.jit.trace and tinygrad's TinyJit, Python control flow is frozen as it ran while
tracing; reading a traced value (item(), bool()) warns. Inputs are guarded by shape and dtype.
"""

from __future__ import annotations

import re
import sys
from typing import Any, Callable, Sequence

import numpy as np

from . import graph
from .errors import DTypeError, InvalidArgumentError, ShapeError, UnsupportedError
from .tape import BackwardEvent, CallEvent, InplaceEvent, Tape, check_no_create_graph
from .tensor import Tensor


def trace(fn: Callable, *example_inputs: Any, params: Sequence[Tensor] | None = None,
          retrace: bool = False, reuse_buffers: bool = True) -> TracedFunction:
    """Runs `fn(*example_inputs)` once (a normal eager call, side effects included) under a Tape
    and returns a callable that replays it: `result, grads = step(*inputs)`.

    Array and Tensor arguments are the traced inputs (new values each call, same shapes and
    dtypes); other arguments are frozen. `grads` are the gradients of the traced loss with respect
    to `params` (default: every leaf that requires grad, in order of first use): the `.grad` that a
    traced `backward()` left, or, when `fn` calls no backward, d result / d param computed by the
    replay without touching `.grad`. With retrace=True a call with new shapes traces again.

    What is frozen: Python control flow and Python numbers as they were while tracing, tensors
    created inside `fn` from fresh data, and arrays `fn` derives from an input with plain numpy
    (only the input arrays themselves, and values computed by engine ops, are re-read).
    """
    return TracedFunction(fn, example_inputs, params, retrace, reuse_buffers)


class TracedFunction:
    """The callable returned by `trace`: guards, the generated program, and how to rebuild results."""

    def __init__(self, fn: Callable, example_inputs: tuple, params: Sequence[Tensor] | None,
                 retrace: bool, reuse_buffers: bool) -> None:
        self.fn = fn
        self.retrace = retrace
        self.reuse_buffers = reuse_buffers
        self.requested_params = None if params is None else list(params)
        self._compiled: dict = {}
        self._current = self._compile(example_inputs)
        self.first_result = self._current.first_result

    @property
    def source(self) -> str:
        """The generated replay program, as Python source."""
        return self._current.source

    @property
    def tape(self) -> Tape:
        """The tape recorded while tracing."""
        return self._current.tape

    def _compile(self, example_inputs: tuple) -> _Program:
        program = _Program(self.fn, example_inputs, self.requested_params, self.reuse_buffers)
        self._compiled[program.signature] = program
        return program

    def __call__(self, *inputs: Any) -> tuple:
        program = self._current
        arrays = program.check_inputs(inputs, raise_error=not self.retrace)
        if arrays is None:
            signature = _signature(inputs)
            program = self._compiled.get(signature)
            if program is None:
                program = self._compile(inputs)
                self._current = program
                return program.first_result, program.first_grads()
            self._current = program
            arrays = program.check_inputs(inputs, raise_error=True)
        return program.run(arrays)


def _signature(inputs: tuple) -> tuple:
    parts = []
    for x in inputs:
        if isinstance(x, (Tensor, np.ndarray)):
            parts.append(("array", x.shape, str(x.dtype)))
        else:
            parts.append(("static", repr(x)))
    return tuple(parts)


class _Program:
    """One traced signature: records fn, plans backward, generates and compiles the replay."""

    def __init__(self, fn: Callable, example_inputs: tuple, params: list | None,
                 reuse_buffers: bool) -> None:
        self.signature = _signature(example_inputs)
        self.tape = tape = Tape(persistent=True)
        tape.tracing = True
        self.placeholders: list[tuple[int, int]] = []
        self.static_inputs: dict[int, Any] = {}
        call_args = []
        for position, x in enumerate(example_inputs):
            if isinstance(x, (Tensor, np.ndarray)):
                t = x if isinstance(x, Tensor) else Tensor._wrap(x)
                self.placeholders.append((position, tape._value_id(t, "input")))
                call_args.append(t)
            else:
                self.static_inputs[position] = x
                call_args.append(x)
        self.input_shapes = {position: (x.shape, x.dtype) for position, x in enumerate(example_inputs)
                             if isinstance(x, (Tensor, np.ndarray))}
        with tape:
            result = fn(*call_args)
        self.first_result = result
        self.result_template, result_tensors = _flatten_result(result)
        self.result_ids = []
        for t in result_tensors:
            number = tape._value_ids.get(id(t))
            if number is None:
                number = tape._value_id(t, "input")
            self.result_ids.append(number)
        self.params = params if params is not None else _default_params(tape)
        self.calls_backward = any(isinstance(e, BackwardEvent) for e in tape.events)
        self.implicit_gradient = not self.calls_backward and bool(self.params) and bool(
            self.result_ids) and tape.values[self.result_ids[0]].size == 1
        self.source, self.namespace = _Generator(self, reuse_buffers).generate()
        code = compile(self.source, f"<trace of {getattr(fn, '__qualname__', 'fn')}>", "exec")
        exec(code, self.namespace)
        self._run = self.namespace["program"]

    def check_inputs(self, inputs: tuple, raise_error: bool) -> list | None:
        """The input arrays in placeholder order, or None (retrace) / an error when they differ
        from the traced shapes, dtypes or frozen values."""
        expected_count = len(self.input_shapes) + len(self.static_inputs)
        if len(inputs) != expected_count:
            if not raise_error:
                return None
            raise InvalidArgumentError(f"trace: expected {expected_count} inputs, got {len(inputs)}")
        arrays = []
        for position, _ in self.placeholders:
            x = inputs[position]
            data = x.data if isinstance(x, Tensor) else x
            if not isinstance(data, np.ndarray):
                data = np.asarray(data)
            shape, dtype = self.input_shapes[position]
            if data.shape != shape or data.dtype != dtype:
                if not raise_error:
                    return None
                if data.shape != shape:
                    raise ShapeError(f"trace: input {position} has shape {data.shape} but the trace "
                                     f"was recorded with shape {shape}; pass retrace=True to trace "
                                     "again for new shapes")
                raise DTypeError(f"trace: input {position} has dtype {data.dtype} but the trace was "
                                 f"recorded with dtype {dtype}")
            arrays.append(data)
        for position, value in self.static_inputs.items():
            if not _same_static(inputs[position], value):
                if not raise_error:
                    return None
                raise InvalidArgumentError(f"trace: input {position} was frozen as {value!r} while "
                                           f"tracing, got {inputs[position]!r}; pass retrace=True")
        return arrays

    def run(self, arrays: list) -> tuple:
        outputs, grads = self._run(arrays)
        result = _rebuild_result(self.result_template, [np.array(o) for o in outputs])
        return result, grads

    def first_grads(self) -> list:
        """The gradients of the tracing run itself (what a replay would have returned)."""
        if self.implicit_gradient:
            from .functional import _gradients

            root = self.tape.values[self.result_ids[0]]
            return _gradients(root, self.params, np.ones_like(root.data), create_graph=False)
        return [p.grad for p in self.params]


def _same_static(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _default_params(tape: Tape) -> list:
    seen, params = set(), []
    for entry in tape.entries:
        for x in entry.inputs:
            if isinstance(x, Tensor) and x.requires_grad and x.grad_fn is None and id(x) not in seen:
                seen.add(id(x))
                params.append(x)
    return params


def _flatten_result(result: Any) -> tuple[Any, list]:
    """A template of fn's return value with each Tensor replaced by its slot number."""
    tensors: list = []

    def walk(value: Any) -> Any:
        if isinstance(value, Tensor):
            tensors.append(value)
            return ("__tensor__", len(tensors) - 1)
        if isinstance(value, (tuple, list)):
            return type(value)(walk(v) for v in value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(result), tensors


def _rebuild_result(template: Any, arrays: list) -> Any:
    if isinstance(template, tuple) and len(template) == 2 and template[0] == "__tensor__":
        return Tensor._wrap(arrays[template[1]])
    if isinstance(template, (tuple, list)):
        return type(template)(_rebuild_result(v, arrays) for v in template)
    if isinstance(template, dict):
        return {k: _rebuild_result(v, arrays) for k, v in template.items()}
    return template


class _Generator:
    """Writes the replay program for a traced _Program, one line per op."""

    def __init__(self, program: _Program, reuse_buffers: bool) -> None:
        self.program = program
        self.tape = program.tape
        self.reuse_buffers = reuse_buffers and not any(
            e.name == "getitem" and _has_mask(e.attrs.get("key")) for e in self.tape.entries)
        self.namespace: dict = {"np": np, "Tensor": Tensor, "store_grad": _store_leaf_grad,
                                "sum_to": graph.sum_to_array, "owned": _owned_gradient,
                                "xp": graph.array_namespace,
                                "add_reduce": np.add.reduce}
        self.lines: list[str] = []
        produced = {entry.output_id: entry for entry in self.tape.entries}
        self.producer = produced
        self.data_ids = {id(v.data): n for n, v in enumerate(self.tape.values)}
        self.constants = 0

    def constant(self, value: Any, prefix: str = "C") -> str:
        name = f"{prefix}{self.constants}"
        self.constants += 1
        self.namespace[name] = value
        return name

    def expression(self, value: Any) -> str:
        """Source for an attribute or constant: a value name when it is a traced array."""
        if isinstance(value, np.ndarray) and id(value) in self.data_ids:
            return f"v{self.data_ids[id(value)]}"
        if isinstance(value, tuple) and any(isinstance(v, np.ndarray) and id(v) in self.data_ids
                                            for v in value):
            return "(" + "".join(self.expression(v) + ", " for v in value) + ")"
        return self.constant(value)

    def generate(self) -> tuple[str, dict]:
        tape, program = self.tape, self.program
        emit = self.lines.append
        emit("def program(inputs):")
        placeholder_ids = {number for _, number in program.placeholders}
        for index, (_, number) in enumerate(program.placeholders):
            emit(f"    v{number} = inputs[{index}]")
        self.externals = [n for n in range(len(tape.values))
                          if n not in self.producer and n not in placeholder_ids]
        for number in self.externals:
            self.namespace[f"t{number}"] = tape.values[number]
            emit(f"    v{number} = t{number}.data")
        events = sorted(tape.events, key=lambda e: e.position)
        event_index = 0
        for entry in tape.entries:
            while event_index < len(events) and events[event_index].position <= entry.index:
                self.event(events[event_index])
                event_index += 1
            self.forward(entry)
        for event in events[event_index:]:
            self.event(event)
        outputs = "".join(f"v{n}, " for n in program.result_ids)
        if program.implicit_gradient:
            grads = self.gradient_of_result()
        else:
            grads = self.constant(program.params, "P")
            grads = f"[p.grad for p in {grads}]"
        emit(f"    return ({outputs}), {grads}")
        return "\n".join(_free_dead_values(self.lines, self.local_sizes())) + "\n", self.namespace

    def local_sizes(self) -> dict[str, int]:
        """Bytes held by each local of the program: a value (v), its gradient (g, the same
        shape), a leaf gradient (l) and a vjp's result tuple (r: its inputs' and output's sizes)."""
        sizes: dict[str, int] = {}
        for number, value in enumerate(self.tape.values):
            size = value.data.nbytes if isinstance(value.data, np.ndarray) else None
            if size is not None:
                sizes[f"v{number}"] = sizes[f"g{number}"] = sizes[f"l{number}"] = size
        for entry in self.tape.entries:
            parts = [np.asarray(x.data if isinstance(x, Tensor) else x).nbytes for x in entry.inputs]
            sizes[f"r{entry.index}"] = sum(parts) + sizes.get(f"v{entry.output_id}", 0)
        return sizes

    # ---- forward ---------------------------------------------------------------------------------
    def forward(self, entry: Any) -> None:
        if not getattr(entry.op, "traceable", True):
            raise UnsupportedError(f"trace: {entry.op.name} (a custom autograd.Function) runs user "
                                   "code that trace cannot replay; call it outside the traced function")
        args = []
        for x, number in zip(entry.inputs, entry.input_ids):
            args.append(f"v{number}" if number is not None else self.expression(x))
        keywords = [f"{k}={self.expression(v)}" for k, v in entry.attrs.items()]
        name = self.constant(entry.op.forward, f"{entry.op.name}_")
        call = ", ".join(args + keywords)
        out = entry.output.data
        if (self.reuse_buffers and (isinstance(entry.op.forward, np.ufunc)
                                    or getattr(entry.op.forward, "supports_out", False)) and not entry.attrs
                and isinstance(out, np.ndarray) and out.ndim > 0
                and entry.op.forward.nin == len(args)):
            buffer = self.constant(np.empty_like(out), "buffer_")
            call += f", out={buffer}"
        self.lines.append(f"    v{entry.output_id} = {name}({call})")

    # ---- events ----------------------------------------------------------------------------------
    def event(self, event: Any) -> None:
        if isinstance(event, BackwardEvent):
            check_no_create_graph(event)
            self.backward(event.roots, event.seeds, store=True)
        elif isinstance(event, InplaceEvent):
            operand = f"v{event.operand_id}" if event.operand_id is not None else \
                self.constant(event.operand)
            fn = self.constant(event.fn, "F")
            if isinstance(event.fn, np.ufunc):
                self.lines.append(f"    {fn}(v{event.target_id}, {operand}, out=v{event.target_id})")
            else:
                self.lines.append(f"    v{event.target_id}[...] = {fn}(v{event.target_id}, {operand})")
        elif isinstance(event, CallEvent):
            plan = getattr(event.fn, "replay_plan", None)
            replay_fn = plan(*event.args, **event.kwargs) if plan is not None else None
            fn = self.constant(event.fn if replay_fn is None else replay_fn, "H")
            args = ", ".join(self.call_argument(a) for a in event.args)
            kwargs = "".join(f", {k}={self.call_argument(v)}" for k, v in event.kwargs.items())
            self.lines.append(f"    {fn}({args}{kwargs})")
            for number in self.externals:
                self.lines.append(f"    v{number} = t{number}.data")

    def call_argument(self, value: Any) -> str:
        if isinstance(value, Tensor) and id(value) in self.tape._value_ids:
            number = self.tape._value_ids[id(value)]
            if number in self.producer or number not in self.externals:
                return f"Tensor._wrap(v{number})"
        return self.constant(value)

    # ---- backward --------------------------------------------------------------------------------
    def gradient_of_result(self) -> str:
        root = self.tape.values[self.program.result_ids[0]]
        leaf_vars = self.backward([root], [np.ones_like(root.data)], store=False)
        parts = [f"Tensor._wrap({leaf_vars[id(p)]})" if id(p) in leaf_vars else
                 f"Tensor._wrap(np.zeros_like({self.constant(p, 'L')}.data))"
                 for p in self.program.params]
        return "[" + ", ".join(parts) + "]"

    def backward(self, roots: list, seeds: list, store: bool) -> dict:
        """Emits the backward pass for `roots` exactly as graph.backward would run it: the same
        nodes in the same order, the same accumulation order, the same broadcast fixes."""
        tape, emit = self.tape, self.lines.append
        pending: dict = {}
        for root, seed in zip(roots, seeds):
            number = tape._value_ids.get(id(root))
            if number is None or number not in self.producer or root.grad_fn is None:
                raise UnsupportedError("trace: backward() must start from a tensor computed inside "
                                       "the traced function")
            name = self.constant(np.array(seed), "S")
            if number in pending:
                emit(f"    g{number} = g{number} + {name}")
            else:
                emit(f"    g{number} = {name}")
            pending[number] = np.array(seed)
        order = self.backward_order(pending)
        leaf_order: list = []
        leaf_values: dict = {}
        #: leaf -> (line, the line without a copy) while the leaf has one gradient term
        leaf_first: dict = {}
        owned_later: set = set()
        for entry in order:
            g = pending.pop(entry.output_id, None)
            if g is None:
                continue
            node = entry.output.grad_fn
            if node.hooks is not None or node.retained is not None:
                raise UnsupportedError("trace: hooks and retain_grad on intermediate tensors are not "
                                       "replayed; remove them from the traced function")
            arrays = [x.data if isinstance(x, Tensor) else x for x in entry.inputs]
            out = entry.output.data if entry.op.save_output else None
            fixes: list = []
            input_grads = graph.vjp_step(entry.op, node.needs, g, out, arrays, entry.attrs, fixes)
            name = self.constant(entry.op.vjp, f"{entry.op.name}_vjp_")
            needs = self.constant(node.needs, "N")
            args = [f"v{n}" if n is not None else self.expression(x)
                    for x, n in zip(entry.inputs, entry.input_ids)]
            saved = f"v{entry.output_id}" if entry.op.save_output else "None"
            keywords = [f"{k}={self.expression(v)}" for k, v in entry.attrs.items()]
            call = ", ".join(["xp", needs, f"g{entry.output_id}", saved] + args + keywords)
            used = [position for position, fixed in enumerate(input_grads) if fixed is not None]
            if len(used) == 1:  # no tuple to name: index the call
                results = f"{name}({call})"
            else:
                results = f"r{entry.index}"
                if used:
                    emit(f"    {results} = {name}({call})")
            for position, (x, number, fixed, steps) in enumerate(
                    zip(entry.inputs, entry.input_ids, input_grads, fixes)):
                if fixed is None:
                    continue
                expression = self.fitting_source(f"{results}[{position}]", steps)
                parent = x.grad_fn
                if parent is not None:
                    if number not in self.producer:
                        raise UnsupportedError("trace: a tensor computed outside the traced function "
                                               "requires grad; compute it inside or detach it")
                    if number in pending:
                        emit(f"    g{number} = g{number} + {expression}")
                        pending[number] = pending[number] + fixed
                    else:
                        emit(f"    g{number} = {expression}")
                        pending[number] = fixed
                elif number in leaf_first:
                    emit(f"    l{number} = l{number} + {expression}")
                    # the sum is a new array: the first term need not be a copy any more
                    line, plain = leaf_first.pop(number)
                    self.lines[line] = plain
                    owned_later.discard(number)
                elif number in leaf_values:
                    emit(f"    l{number} = l{number} + {expression}")
                else:
                    plain = f"    l{number} = {expression}"
                    if fixed is g:
                        expression = f"np.array({expression}, order='C')"
                    elif fixed.nbytes > SMALL_LOCAL:
                        # decided where the gradient is stored, when the vjp's other results
                        # that may share its memory have been freed (small ones are not)
                        if fixed.base is not None or not fixed.flags.writeable:
                            owned_later.add(number)
                    elif fixed.base is not None or not fixed.flags.writeable:
                        holders = 0 if results.endswith(")") else 1
                        expression = f"owned({expression}, {holders})"
                    leaf_first[number] = (len(self.lines), plain)
                    emit(f"    l{number} = {expression}")
                    leaf_order.append((number, x))
                    leaf_values[number] = True
        leaf_vars = {}
        for number, tensor in leaf_order:
            value = f"owned(l{number}, 1)" if number in owned_later else f"l{number}"
            if store:
                if tensor._hooks:
                    raise UnsupportedError("trace: hooks on leaf tensors are not replayed")
                if tensor.requires_grad:
                    emit(f"    store_grad({self.constant(tensor, 'L')}, {value})")
            leaf_vars[id(tensor)] = value
        return leaf_vars

    def backward_order(self, roots: dict) -> list:
        """The entries backward runs for the root values `roots` (value numbers), newest first:
        graph.backward_order over the tape's entries, following the inputs whose node needs a
        gradient (the nodes may have been freed by the traced backward; the entries keep them)."""
        producer = self.producer

        def recorded(number: Any) -> Any:
            entry = producer.get(number)
            return entry if entry is not None and entry.output.grad_fn is not None else None

        def parents(entry: Any) -> list:
            return [recorded(n) for n, need in zip(entry.input_ids, entry.output.grad_fn.needs)
                    if need and n is not None]

        return graph.backward_order([e for e in map(recorded, roots) if e is not None], parents)

    def fitting_source(self, expression: str, steps: list) -> str:
        """Source applying graph.fit_gradient's steps (decided at trace time) to a vjp result: a
        reshape, the same single numpy reduction as graph.sum_to_array (np.add.reduce, which
        ndarray.sum calls, without its Python wrapper; its axes from
        graph.broadcast_axes, so the sums are bit-identical), a cast."""
        for step in steps:
            if step[0] == "reshape":
                expression = f"{expression}.reshape({step[1]!r})"
            elif step[0] == "sum_to":
                _, source, target = step
                axes, keepdims = graph.broadcast_axes(source, target)
                if keepdims:
                    expression = f"add_reduce({expression}, {axes!r}, keepdims=True).reshape({target!r})"
                else:
                    expression = f"add_reduce({expression}, {axes!r})"
            else:
                expression = f"{expression}.astype({self.constant(step[1], 'D')})"
        return expression


_LOCAL_NAME = re.compile(r"\b[vgrl]\d+\b")
_REREAD = re.compile(r"    (v\d+) = t\d+\.data$")

#: Locals of at most SMALL_LOCAL bytes are left for the return to free (a `del` costs about as
#: much as freeing early saves), while their total stays within SMALL_LOCALS_KEPT bytes.
SMALL_LOCAL = 64 * 1024
SMALL_LOCALS_KEPT = 1024 * 1024


def _free_dead_values(lines: list[str], nbytes: dict[str, int] | None = None) -> list[str]:
    """Adds `del` after the last line that reads each local, so a replay frees activations and
    gradients as soon as they are used up, as eager backward does; drops re-reads of an external
    tensor's `.data` that nothing reads. `nbytes` (local -> size of its arrays) lets small locals
    live to the return instead (SMALL_LOCAL, SMALL_LOCALS_KEPT); unknown locals are deleted."""
    last_use: dict[str, int] = {}
    for index, line in enumerate(lines):
        for name in _LOCAL_NAME.findall(line):
            last_use[name] = index
    dropped = set()
    for name, index in last_use.items():
        match = _REREAD.match(lines[index])
        if match and match.group(1) == name:
            dropped.add(index)
    last_use = {}
    for index, line in enumerate(lines):
        if index not in dropped:
            for name in _LOCAL_NAME.findall(line):
                last_use[name] = index
    nbytes = nbytes or {}
    kept = 0
    dead_after: dict[int, list[str]] = {}
    for name, index in sorted(last_use.items(), key=lambda item: item[1]):
        if lines[index].lstrip().startswith("return"):
            continue
        size = nbytes.get(name)
        if size is not None and size <= SMALL_LOCAL and kept + size <= SMALL_LOCALS_KEPT:
            kept += size
            continue
        dead_after.setdefault(index, []).append(name)
    result = []
    for index, line in enumerate(lines):
        if index in dropped:
            continue
        result.append(line)
        if index in dead_after:
            result.append("    del " + ", ".join(sorted(dead_after[index])))
    return result


def _has_mask(key: Any) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, np.ndarray) and k.dtype == bool for k in parts)


def _owned_gradient(gx: np.ndarray, holders: int) -> np.ndarray:
    """graph.owned_gradient for a leaf gradient that `holders` references (the replay's local)
    and nothing else hold: a view with the very layout of the fresh array under it, which nothing
    else holds either (the transpose of a transposed product), is that array, not a copy of it."""
    base = gx.base
    if (base is not None and type(base) is np.ndarray and base.base is None
            and base.shape == gx.shape and base.strides == gx.strides and base.dtype == gx.dtype
            and base.flags.writeable and base.flags.c_contiguous and base.flags.owndata
            and sys.getrefcount(gx) == 2 + holders and sys.getrefcount(base) == 3):
        return base
    return graph.owned_gradient(gx)


def _store_leaf_grad(tensor: Tensor, g: np.ndarray) -> None:
    """What eager backward does with a leaf's total gradient (the replay made `g`, so it is owned):
    set .grad, or accumulate into it. The same function as eager backward's."""
    graph._store_grad(tensor, g, False, True)
