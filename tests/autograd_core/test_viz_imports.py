"""The viz subpackage's import structure: graphviz is imported only when something is drawn,
tape.py does not import viz (viz depends on tape), the modules of viz import one another in one
direction only, and `autograd_core.viz` keeps its public names."""

from __future__ import annotations

import ast
import os
import pickle
import subprocess
import sys
from pathlib import Path

import graphviz
import pytest

import autograd_core as ag
from autograd_core import viz
from autograd_core.tape import Tape

PACKAGE = Path(ag.__file__).parent
VIZ = PACKAGE / "viz"
#: viz's modules, each importing only those before it (as its __init__ documents)
LAYERS = ["walk", "style", "heat", "condense", "rendering", "draw", "frames", "player"]


def _run(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_packages_does_not_import_graphviz():
    code = ("import sys, autograd_core\n"
            "first = 'graphviz' in sys.modules\n"
            "import nn, optim, autograd_core.viz\n"
            "print(first, 'graphviz' in sys.modules)\n"
            "x = autograd_core.tensor([1.0, 2.0], requires_grad=True)\n"
            "d = autograd_core.viz.draw_graph((x * 2).sum())\n"
            "import graphviz\n"
            "print(isinstance(d, graphviz.Digraph), type(d) is autograd_core.viz.Diagram)")
    assert _run(code).splitlines() == ["False False", "True True"]


def _top_level_imports(path: Path) -> list[str]:
    """Modules imported when `path` is imported (not inside functions nor `if TYPE_CHECKING:`),
    relative ones as written ('.walk', '..tape', '.')."""
    found = []

    def visit(statements: list) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                found.append(module)
                if node.module is None:
                    found.extend(module + alias.name for alias in node.names)
            elif isinstance(node, ast.If) and not (isinstance(node.test, ast.Name)
                                                   and node.test.id == "TYPE_CHECKING"):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def _all_imports(path: Path) -> list[str]:
    """Every module named by an import statement anywhere in the file (functions included)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            names.append(module)
            names.extend(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_tape_does_not_import_viz_and_viz_imports_tape():
    assert not [name for name in _all_imports(PACKAGE / "tape.py") if "viz" in name]
    assert not [name for name in _all_imports(PACKAGE / "graph.py") if "viz" in name]
    assert "..tape" in _top_level_imports(VIZ / "rendering.py")


def test_no_viz_module_imports_graphviz_on_import():
    for path in sorted(VIZ.glob("*.py")):
        assert not [m for m in _top_level_imports(path) if m.split(".")[0] == "graphviz"], path.name


def test_viz_modules_import_each_other_in_one_direction():
    assert sorted(p.stem for p in VIZ.glob("*.py")) == sorted(LAYERS + ["__init__"])
    for rank, name in enumerate(LAYERS):
        siblings = [m[1:] for m in _top_level_imports(VIZ / f"{name}.py")
                    if m.startswith(".") and not m.startswith("..")]
        assert all(LAYERS.index(s) < rank for s in siblings), (name, siblings)


def test_tape_draws_through_the_slot_viz_fills(monkeypatch):
    with Tape() as tape:
        x = ag.tensor([1.0, 2.0], requires_grad=True)
        (x * 3 + 1).sum()
    assert tape.to_dot() == viz.to_dot(tape) == viz.draw_tape(tape).source
    assert "rankdir=TB" in tape.to_digraph(rankdir="TB").source
    assert isinstance(tape.to_digraph(), viz.Diagram)
    monkeypatch.setattr(Tape, "_diagram_renderer", None)
    with pytest.raises(ag.GraphError, match="no diagram renderer.*autograd_core.viz"):
        tape.to_dot()


def test_public_names_and_the_lazily_made_diagram_class():
    assert viz.__all__ == [
        "HEAT_COLORS", "INSTALL_HINT", "ZERO_GRAD_COLOR", "GraphvizNotFoundError",
        "GraphvizRenderError", "backward_frames", "backward_player", "draw_graph",
        "graphviz_available", "render", "retain_all_grads", "save_frames", "save_graph",
        "svg_renderer", "to_dot"]
    assert all(callable(getattr(viz, name)) or name.isupper() for name in viz.__all__)
    assert callable(viz.render) and viz.render.__module__ == "autograd_core.viz.rendering"
    from autograd_core.viz import Diagram

    assert Diagram is viz.Diagram and issubclass(Diagram, graphviz.Digraph) and "Diagram" in dir(viz)
    assert f"{Diagram.__module__}.{Diagram.__qualname__}" == "autograd_core.viz.Diagram"
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    diagram = viz.draw_graph((x * 2).sum())
    copy = pickle.loads(pickle.dumps(diagram))
    assert type(copy) is Diagram and copy.source == diagram.source
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        viz.nothing  # noqa: B018
