"""Issue 11, explicit registries: autograd_core.ops has an explicit `__all__` (a literal list at the
end of ops/__init__.py, not computed from dir()), and every public function defined there is
either in it or deliberately left out (`_NOT_EXPORTED`)."""

from __future__ import annotations

import ast
import inspect
import pathlib

import autograd_core
import autograd_core.ops as ops
from autograd_core.ops import nn_ops


def test_every_name_in_all_exists_once_and_is_a_function_or_an_op_author_class() -> None:
    assert len(ops.__all__) == len(set(ops.__all__))
    for name in ops.__all__:
        value = getattr(ops, name)
        assert callable(value), name
        assert not inspect.ismodule(value), name


def test_all_is_a_literal_list_not_computed() -> None:
    """`__all__` is assigned once, from string literals only (no dir(), no `+=` in sections)."""
    tree = ast.parse(pathlib.Path(ops.__file__).read_text())
    assignments = [node for node in tree.body
                   if isinstance(node, (ast.Assign, ast.AugAssign))
                   and any(isinstance(t, ast.Name) and t.id == "__all__"
                           for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))]
    assert len(assignments) == 1 and isinstance(assignments[0], ast.Assign)
    value = assignments[0].value
    for call in (n for n in ast.walk(value) if isinstance(n, ast.Call)):  # only "...".split()
        assert isinstance(call.func, ast.Attribute) and call.func.attr == "split" \
            and isinstance(call.func.value, ast.Constant) and not call.args, ast.unparse(call)
    assert not [n.id for n in ast.walk(value) if isinstance(n, ast.Name)]


def _public_functions() -> set[str]:
    """Public functions defined in ops/__init__.py, plus nn_ops' public ones (star-imported)."""
    defined = {name for name, value in vars(ops).items()
               if not name.startswith("_") and inspect.isfunction(value)
               and value.__module__ == ops.__name__}
    return defined | set(nn_ops.__all__)


def test_every_public_function_is_exported_or_deliberately_not() -> None:
    missing = sorted(_public_functions() - set(ops.__all__) - ops._NOT_EXPORTED)
    assert not missing, f"public functions of autograd_core.ops in neither __all__ nor " \
                        f"_NOT_EXPORTED: {missing}"
    assert not set(ops.__all__) & ops._NOT_EXPORTED
    assert ops._NOT_EXPORTED <= _public_functions()


def test_star_import_exports_exactly_all() -> None:
    namespace: dict = {}
    exec("from autograd_core.ops import *", namespace)  # noqa: S102
    namespace.pop("__builtins__")
    assert set(namespace) == set(ops.__all__)
    assert "mode" not in namespace and "im2col" not in namespace


def test_autograd_core_exports_the_ops_except_the_engine_internals() -> None:
    exported = set(ops.__all__) - autograd_core._INTERNAL_NAMES
    assert exported <= set(autograd_core.__all__)
    assert not autograd_core._INTERNAL_NAMES & set(autograd_core.__all__)
    for name in autograd_core._INTERNAL_NAMES:
        assert getattr(autograd_core, name) is getattr(ops, name)  # reachable for op authors
