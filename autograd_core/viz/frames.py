"""Backward, step by step: `backward_frames` draws one diagram per op in the order backward
applies the chain rule (`graph.backward_order`, newest op first), each highlighting that op and
the gradients its vjp (`graph.node_vjp`) sends to its inputs. The gradients shown are the
engine's own: every tensor's total from the engine's backward (walk._all_gradients), every
step's from the same vjp backward runs; nothing here applies the chain rule itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import graph as engine
from ..errors import GraphError, InvalidArgumentError
from ..tensor import Tensor
from .condense import _condense
from .rendering import _to_digraph
from .style import (_FILL, _GRAD_EDGE_COLOR, DEFAULT_MAX_NODES, _build, _grad_line, _Parameters,
                    _settings, _Settings)
from .walk import _all_gradients, _resolved_inputs, _trace, _Trace

if TYPE_CHECKING:
    import graphviz


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
    # the trace's ops are graph.backward_order's, oldest first: backward runs them newest first
    steps = [node for node in reversed(trace.nodes) if id(trace.outputs[node]) in grads]
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


