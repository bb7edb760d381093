"""The entry points that draw a recorded graph: `draw_graph` (walk, boxes, heat map, grouping
and truncation, then DOT), `to_dot` and `save_graph`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..tape import Tape
from ..tensor import Tensor
from .condense import _condense
from .heat import _paint_heat
from .rendering import _to_digraph, draw_tape, render
from .style import DEFAULT_MAX_NODES, _build, _Parameters, _settings
from .walk import _all_gradients, _existing_grads, _flatten_roots, _trace

if TYPE_CHECKING:
    import graphviz


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
    if len(roots) == 1 and isinstance(roots[0], Tape):
        return draw_tape(roots[0], rankdir=rankdir)
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


def to_dot(*roots: Tensor, **options: Any) -> str:
    """The DOT source of `draw_graph(*roots, **options)`; needs no Graphviz program."""
    return draw_graph(*roots, **options).source


def save_graph(path: str | Path, *roots: Tensor, format: str | None = None,  # noqa: A002
               fallback_dot: bool = False, **draw_options: Any) -> Path:
    """`render(draw_graph(*roots, **draw_options), path, ...)`: draws and writes in one call."""
    return render(draw_graph(*roots, **draw_options), path, format=format, fallback_dot=fallback_dot)


