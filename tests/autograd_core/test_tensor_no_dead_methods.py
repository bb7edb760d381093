"""Issue 11: no dead Tensor methods. tensor.py used to define __add__, __mul__, ..., astype that
ops/__init__.py then replaced, so the definitions one read were not the ones that ran. Every
method written in tensor.py's class body must be the one Tensor has once autograd_core is
imported."""

from __future__ import annotations

import ast
import importlib
import pathlib

import autograd_core  # imports ops, which sets the operators on Tensor
from autograd_core.tensor import Tensor

tensor = importlib.import_module("autograd_core.tensor")  # autograd_core.tensor is the factory


def _class_body_functions() -> dict[str, int]:
    tree = ast.parse(pathlib.Path(tensor.__file__).read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor")
    return {n.name: n.lineno for n in cls.body if isinstance(n, ast.FunctionDef)}


def _code(value):
    value = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
    return getattr(value, "__code__", None)


def test_every_method_defined_in_tensor_py_is_the_one_that_runs() -> None:
    functions = _class_body_functions()
    assert {"__neg__", "__iadd__", "backward", "__getitem__"} <= set(functions)
    replaced = []
    for name in functions:
        code = _code(Tensor.__dict__.get(name))
        if code is None or code.co_filename != tensor.__file__ or \
                code.co_qualname != f"Tensor.{name}":
            replaced.append(name)
    assert not replaced, f"defined in tensor.py but replaced later (dead code): {replaced}"


def test_the_operators_are_the_ops_versions() -> None:
    for name in ("__add__", "__radd__", "__sub__", "__mul__", "__truediv__", "__pow__",
                 "__matmul__", "__rmatmul__", "astype"):
        assert Tensor.__dict__[name].__module__ == "autograd_core.ops", name
    x = autograd_core.tensor([1.0, 2.0])
    assert ((x + 1) * 2 - x / 2).tolist() == [3.5, 5.0]
    assert (2 ** x).tolist() == [2.0, 4.0] and (x @ x).item() == 5.0
    assert x.astype("float32").dtype == "float32"
