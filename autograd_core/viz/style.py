"""What a diagram shows before it becomes DOT: one box per tensor, op and constant, their lines
(names, shapes, small values, gradients), fill colors and tooltips, and the data-flow edges.

`_build` turns a walked graph (`walk._Trace`) into a `_Diagram`; heat.py recolors it, condense.py
groups and cuts it, and rendering.py writes it out as a graphviz.Digraph. Nothing here imports
graphviz.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import graph as engine
from ..errors import InvalidArgumentError
from ..tensor import Tensor, is_differentiable_dtype
from .walk import _resolved_inputs, _Trace

if TYPE_CHECKING:
    from .heat import _HeatScale

SMALL_TENSOR_SIZE = 6
DEFAULT_MAX_NODES = 200

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

