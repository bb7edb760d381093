"""Making big diagrams readable: `group_modules=True` collapses each submodule of a model (and
each time step of an unrolled recurrent layer) into one box, and `max_nodes` keeps the boxes
nearest the roots with a note saying how many were left out."""

from __future__ import annotations

import bisect
import math
from collections import deque

from ..errors import InvalidArgumentError
from ..tensor import Tensor
from .heat import HEAT_COLORS, ZERO_GRAD_COLOR, _font_color
from .style import _FILL, _Box, _Diagram, _Edge, _format_shape, _Parameters, _Settings
from .walk import _resolved_inputs, _Trace


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


def _condense(diagram: _Diagram, trace: _Trace, parameters: _Parameters, settings: _Settings) -> None:
    """Groups modules and cuts the diagram to max_nodes, as the settings ask."""
    if settings.group_modules:
        if not parameters.names:
            raise InvalidArgumentError("draw_graph: group_modules=True needs params= (the model, or its "
                                       "named_parameters())")
        _group_modules(diagram, trace, parameters)
    if settings.max_nodes is not None:
        _truncate(diagram, settings.max_nodes)

