"""Issue 11, explicit registries: every `xp.<name>` a vjp calls exists, and is callable, both in
the array namespace (autograd_core/array_namespace.py, backward on arrays) and in the tensor
namespace (autograd_core.ops, backward under create_graph=True).

The calls are found by reading the source (ast), not by running backward, so a vjp branch that
no test reaches is checked too: every function in autograd_core/, nn/ and optim/ with a
parameter named `xp` (each Op's vjp and the helpers vjps hand `xp` to) is scanned.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pathlib
import pkgutil
from collections import defaultdict

import pytest

import autograd_core
import autograd_core.ops as tensor_namespace
from autograd_core import array_namespace as array_namespace_module
from autograd_core import graph

ROOT = pathlib.Path(autograd_core.__file__).resolve().parent.parent
PACKAGES = ("autograd_core", "nn", "optim")


def _source_files() -> list[pathlib.Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def _xp_functions(tree: ast.AST) -> list[ast.FunctionDef]:
    """Every function (method, nested function) with a parameter named `xp`."""
    return [node for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and any(a.arg == "xp" for a in node.args.posonlyargs + node.args.args
                    + node.args.kwonlyargs)]


def _xp_uses() -> dict[str, list[str]]:
    """name -> ["path:line in function", ...] for every `xp.<name>` in an xp function."""
    uses: dict[str, list[str]] = defaultdict(list)
    for path in _source_files():
        for function in _xp_functions(ast.parse(path.read_text(), str(path))):
            for node in ast.walk(function):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                        and node.value.id == "xp":
                    uses[node.attr].append(f"{path.relative_to(ROOT)}:{node.lineno} in "
                                           f"{function.name}")
    return dict(uses)


USES = _xp_uses()


def _all_op_classes() -> list[type]:
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    found, stack = [], [graph.Op]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


def test_the_scan_sees_the_vjps() -> None:
    """The scan finds what it must: the names of vjps known to call xp, and every Op class's vjp
    (in every module of the three packages) takes `xp` first, so none is missed by its name."""
    assert {"sum", "reshape", "im2col", "col2im", "softmax", "index_scatter"} <= set(USES)
    ops = _all_op_classes()
    assert len(ops) > 100
    for cls in ops:
        if "vjp" not in cls.__dict__:
            continue
        first = next(iter(inspect.signature(cls.vjp).parameters))  # a classmethod binds cls
        assert first == "xp", f"{cls.__module__}.{cls.__qualname__}.vjp takes {first!r} first"


@pytest.mark.parametrize("name", sorted(USES))
def test_every_xp_name_a_vjp_calls_exists_in_both_namespaces(name: str) -> None:
    where = "; ".join(USES[name][:3])
    array_fn = getattr(graph.array_namespace, name, None)
    assert callable(array_fn), f"xp.{name} (used at {where}) is missing from the array namespace: " \
                               "list it in autograd_core/array_namespace.py"
    tensor_fn = getattr(tensor_namespace, name, None)
    assert callable(tensor_fn), f"xp.{name} (used at {where}) is missing from autograd_core.ops, " \
                                "the namespace vjps get under create_graph=True"


def test_the_array_namespace_lists_exactly_what_vjps_call() -> None:
    """No entry that no vjp calls (a dead entry is a name nobody keeps in step with ops)."""
    names = array_namespace_module.NAMES
    assert names == set(dir(graph.array_namespace))
    unused = sorted(names - set(USES))
    assert not unused, f"array namespace entries no vjp calls: {unused}"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="array_namespace.py"):
        graph.array_namespace.no_such_function  # noqa: B018
    assert not hasattr(graph.array_namespace, "no_such_function")


def test_graph_array_namespace_is_the_one_namespace() -> None:
    assert graph.array_namespace is array_namespace_module.array_namespace


def test_nothing_adds_to_the_array_namespace_from_outside() -> None:
    """The registry is the one module: no `array_namespace.x = ...` or setattr(array_namespace, ...)
    anywhere else (that is how it used to be filled, from four files)."""
    offenders = []
    for path in _source_files():
        text = path.read_text()
        if path.name == "array_namespace.py" or "array_namespace" not in text:
            continue
        for node in ast.walk(ast.parse(text, str(path))):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            for target in targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, (ast.Name, ast.Attribute)) \
                        and ast.unparse(target.value).endswith("array_namespace"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "setattr" and node.args \
                    and ast.unparse(node.args[0]).endswith("array_namespace"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


def test_the_array_namespace_module_imports_no_ops_and_no_graph() -> None:
    """graph imports it, and the op modules import graph: at import time it may need neither."""
    tree = ast.parse(pathlib.Path(array_namespace_module.__file__).read_text())
    imported = set()
    for node in tree.body:  # module level only: the lazy kernel imports happen on first use
        if isinstance(node, ast.ImportFrom):
            imported.add((node.module or "") + ":" + ",".join(a.name for a in node.names))
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    assert not [i for i in imported if "ops" in i or "graph" in i], imported


@pytest.mark.parametrize("name", sorted(array_namespace_module._OP_KERNELS))
def test_each_op_kernel_entry_resolves_to_the_named_function(name: str) -> None:
    module, attribute = array_namespace_module._OP_KERNELS[name]
    assert getattr(graph.array_namespace, name) is getattr(importlib.import_module(module), attribute)


def _xp_call_keywords() -> dict[tuple[str, str], str]:
    """(name, keyword) -> "path:line" for every keyword argument of an `xp.<name>(...)` call."""
    found = {}
    for path in _source_files():
        for function in _xp_functions(ast.parse(path.read_text(), str(path))):
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "xp":
                    for keyword in node.keywords:
                        if keyword.arg is not None:
                            found.setdefault((node.func.attr, keyword.arg),
                                             f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _accepts(fn, keyword: str) -> bool | None:
    """Whether fn takes `keyword` by name; None when its signature cannot be read (a ufunc)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    return any(p.name == keyword and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
               or p.kind == p.VAR_KEYWORD for p in parameters)


KEYWORDS = _xp_call_keywords()


@pytest.mark.parametrize("name, keyword", sorted(KEYWORDS))
def test_both_namespaces_take_the_keywords_vjps_pass(name: str, keyword: str) -> None:
    where = KEYWORDS[name, keyword]
    for namespace, label in ((graph.array_namespace, "array namespace"),
                             (tensor_namespace, "autograd_core.ops")):
        assert _accepts(getattr(namespace, name), keyword) is not False, \
            f"{label}.{name} does not take {keyword}= (passed at {where})"
