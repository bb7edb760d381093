"""Layers that only point down (issue 11): the engine `autograd_core` imports none of the packages built
on it (`nn`, `optim`, the `autograd_cli` app), `nn` imports neither `optim` nor the app, and "user
location" frames are found through `graph.register_library_location`, which each package calls on import.

Checked twice: statically (an AST scan of every .py file, which also catches `importlib.import_module("nn")`
-style strings and relative imports that climb out of the package) and at run time (a fresh interpreter
imports every submodule and looks at sys.modules).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import graph

REPO_ROOT = Path(__file__).resolve().parents[2]
UPPER_LAYERS = ("nn", "optim", "autograd_cli")
#: The one documented exception: `autograd_core.nn` / `autograd_core.optim` resolved on attribute access
#: (torch-style `torch.nn`) by importlib, in this function, naming exactly these modules.
ALLOWED = {("autograd_core/__init__.py", "__getattr__"): {"nn", "optim"}}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer_named(text: str, layers: tuple[str, ...]) -> str | None:
    """The upper layer a dotted module name such as "nn", "nn.functional" or "autograd_core.optim" (the
    alias, which imports optim) names, if it is one of `layers`."""
    parts = text.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    if parts[0] == "autograd_core" and len(parts) > 1:
        parts = parts[1:]
    return parts[0] if parts[0] in layers else None


def _resolve(node: ast.ImportFrom, package_name: str) -> str:
    """The absolute module of `from <module> import ...` (relative imports resolved against this file's
    package; an empty string when they climb to the top level, as `from .. import nn` in a top-level
    package's module does)."""
    if not node.level:
        return node.module or ""
    base = package_name.split(".")
    base = base[:len(base) - (node.level - 1)] if node.level - 1 <= len(base) else []
    return ".".join(base + ([node.module] if node.module else []))


def references(package: str, layers: tuple[str, ...]) -> list[tuple[str, str, int, str, str]]:
    """Every import of (or module-name string naming) one of `layers` in the .py files under `package`:
    (file, enclosing function or class or "<module>", line, the layer named, how)."""
    found = []
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        name = _module_name(path)
        package_name = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)

        def visit(node: ast.AST, scope: str) -> None:
            for child in ast.iter_child_nodes(node):
                inner = scope
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    inner = child.name if scope == "<module>" else f"{scope}.{child.name}"
                targets: list[tuple[str, str]] = []
                if isinstance(child, ast.Import):
                    targets = [(alias.name, "import") for alias in child.names]
                elif isinstance(child, ast.ImportFrom):
                    module = _resolve(child, package_name)
                    names = [f"{module}.{alias.name}" if module else alias.name for alias in child.names]
                    targets = [(text, "from-import") for text in ([module] if module else []) + names]
                elif isinstance(child, ast.Constant) and isinstance(child.value, str):
                    targets = [(child.value, "string")]  # importlib.import_module("nn"), __import__(...)
                elif isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name) \
                        and child.value.id in ("ag", "autograd_core"):
                    targets = [(f"autograd_core.{child.attr}", "attribute")]  # ag.nn: the alias imports nn
                heads = {_layer_named(text, layers) for text, _ in targets} - {None}
                for head in sorted(heads):
                    how = next(h for text, h in targets if _layer_named(text, layers) == head)
                    found.append((rel, inner if inner != scope else scope, child.lineno, head, how))
                visit(child, inner)

        visit(tree, "<module>")
    return found


def test_the_scan_finds_what_it_looks_for(tmp_path, monkeypatch):
    """The scanner itself: each form of import is caught (so an empty result below means something)."""
    pkg = tmp_path / "enginepkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("import os\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text(textwrap.dedent("""
        import nn
        from optim import SGD
        from ... import autograd_cli
        from . import nn as not_the_nn_package
        from autograd_core import optim as via_the_alias
        def f():
            import importlib
            return importlib.import_module("nn.functional")
        class C:
            def g(self):
                return __import__("optim")
    """))
    monkeypatch.setattr(sys.modules[__name__], "REPO_ROOT", tmp_path)
    hits = {(scope, line, head, how) for _, scope, line, head, how in references("enginepkg", UPPER_LAYERS)}
    assert hits == {("<module>", 2, "nn", "import"), ("<module>", 3, "optim", "from-import"),
                    ("<module>", 4, "autograd_cli", "from-import"), ("<module>", 6, "optim", "from-import"),
                    ("f", 9, "nn", "string"), ("C.g", 12, "optim", "string")}


def test_autograd_core_imports_no_upper_layer():
    hits = references("autograd_core", UPPER_LAYERS)
    outside = [h for h in hits if (h[0], h[1]) not in ALLOWED]
    assert outside == [], "autograd_core imports an upper layer:\n" + "\n".join(map(str, outside))
    # the exception is exactly the documented one: strings naming nn and optim in __getattr__, no import
    named: dict = {}
    for rel, scope, _, head, how in hits:
        assert how == "string", (rel, scope, how)
        named.setdefault((rel, scope), set()).add(head)
    assert named == ALLOWED
    assert "one documented exception" in ag.__getattr__.__doc__


def test_nn_imports_neither_optim_nor_the_app():
    assert references("nn", ("optim", "autograd_cli")) == []
    assert references("optim", ("autograd_cli",)) == []


def _fresh_python(code: str) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


_IMPORT_ALL = """
    import importlib, pkgutil, sys
    import {package}
    names = [m.name for m in pkgutil.walk_packages({package}.__path__, "{package}.")]
    for name in names:
        importlib.import_module(name)
    assert len(names) >= {minimum}, names
    print(sorted({{m.split(".")[0] for m in sys.modules}} & {layers!r}))
"""


def test_importing_all_of_autograd_core_loads_no_upper_layer():
    code = _IMPORT_ALL.format(package="autograd_core", minimum=20, layers=set(UPPER_LAYERS))
    out = _fresh_python(code + """
    import autograd_core
    assert autograd_core.nn is sys.modules["nn"]  # the documented alias still resolves, on access
    """)
    assert out == "[]"


def test_importing_all_of_nn_loads_neither_optim_nor_the_app():
    code = _IMPORT_ALL.format(package="nn", minimum=10, layers={"optim", "autograd_cli"})
    assert _fresh_python(code) == "[]"


def test_each_upper_layer_registers_its_directory():
    import autograd_cli
    import nn
    import optim

    for module in (ag, nn, optim, autograd_cli):
        directory = os.path.join(os.path.dirname(os.path.abspath(module.__file__)), "")
        assert directory in graph._LIBRARY_DIRS, module.__name__
    assert isinstance(graph._LIBRARY_DIRS, tuple)  # one str.startswith per frame
    assert "register_library_location" in dir(graph) and graph.register_library_location.__doc__


def _created_at(fn, x):
    with ag.detect_anomaly():
        return fn(x).grad_fn.created_at


def test_ops_called_in_a_registered_directory_are_reported_at_their_caller(tmp_path, monkeypatch):
    monkeypatch.setattr(graph, "_LIBRARY_DIRS", graph._LIBRARY_DIRS)  # restored after the test
    library = tmp_path / "helperlib"
    library.mkdir()
    (library / "helpers.py").write_text("def double(x):\n    return x * 2\n")
    lookalike = tmp_path / "helperlib2"  # a sibling whose name starts the same is not covered
    lookalike.mkdir()
    (lookalike / "helpers2.py").write_text("def triple(x):\n    return x * 3\n")
    monkeypatch.syspath_prepend(str(library))
    monkeypatch.syspath_prepend(str(lookalike))
    import helpers
    import helpers2

    x = ag.tensor(np.ones(3), requires_grad=True)
    assert _created_at(helpers.double, x) == f"{library / 'helpers.py'}:2"  # not registered: reported there
    graph.register_library_location(library)
    before = graph._LIBRARY_DIRS
    assert _created_at(helpers.double, x) == f"{__file__}:{_caller_line()}"  # registered: at its caller
    assert _created_at(helpers2.triple, x) == f"{lookalike / 'helpers2.py'}:2"
    graph.register_library_location(str(library))  # again, and a directory under it: no change
    graph.register_library_location(library / "sub")
    assert graph._LIBRARY_DIRS == before


def _caller_line() -> int:
    """The line in this file where `_created_at` called the op (the innermost frame outside helperlib)."""
    for number, text in enumerate(Path(__file__).read_text().splitlines(), 1):
        if text.strip() == "return fn(x).grad_fn.created_at":
            return number
    raise AssertionError("the call line of _created_at was not found")


def test_a_layer_is_reported_at_the_line_that_called_it():
    """nn and optim frames are library frames: anomaly mode names the user's line, not nn/layers.py."""
    import nn

    layer = nn.Linear(3, 2, dtype=np.float64)
    x = ag.tensor(np.ones((4, 3)), requires_grad=True)
    with ag.detect_anomaly():
        line = sys._getframe().f_lineno + 1
        y = layer(x)
    assert y.grad_fn.created_at == f"{__file__}:{line}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
