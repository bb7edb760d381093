"""A safe parser for math expressions such as `x * sin(y) + 2`, evaluated with autograd_core ops.

Nothing is ever passed to eval or exec: the text is parsed with `ast.parse(mode='eval')` and every
node of the tree is checked against a strict whitelist (numbers, variable names, + - * / **,
unary minus, parentheses and calls of the functions in FUNCTIONS with one positional argument).

Untrusted text is bounded: at most MAX_EXPRESSION_LENGTH characters and MAX_NESTING_DEPTH levels of
nesting (a product of n factors is n - 1 levels deep). Validation and evaluation walk the tree with an
explicit stack, not Python recursion, so any expression within the caps is evaluated (and
differentiated, as backward is iterative too) without RecursionError.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from autograd_core import ops
from autograd_core.errors import AutogradError
from autograd_core.tensor import Tensor

MAX_EXPRESSION_LENGTH = 10_000
MAX_NESTING_DEPTH = 1_000

FUNCTIONS: dict[str, Callable[[Any], Tensor]] = {
    "sin": ops.sin,
    "cos": ops.cos,
    "tan": ops.tan,
    "exp": ops.exp,
    "log": ops.log,
    "log1p": ops.log1p,
    "sqrt": ops.sqrt,
    "tanh": ops.tanh,
    "sigmoid": ops.sigmoid,
    "relu": ops.relu,
    "abs": ops.abs,
    "softplus": ops.softplus,
    "gelu": ops.gelu,
    "sum": ops.sum,
    "mean": ops.mean,
}

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

_BINARY_OPS: dict[type, Callable[[Any, Any], Tensor]] = {
    ast.Add: ops.add,
    ast.Sub: ops.sub,
    ast.Mult: ops.mul,
    ast.Div: ops.div,
    ast.Pow: ops.pow,
}

_OPERATOR_SYMBOLS = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~",
}

_DESCRIPTIONS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.Lambda: "lambda",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "conditional expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Starred: "starred arguments",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignment expressions",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


class ExpressionError(AutogradError, ValueError):
    """The expression text (or a variable's value) is not in the accepted language."""


@dataclass(frozen=True)
class Expression:
    """A validated expression: its source text, parsed tree and the variable names it uses."""

    text: str
    tree: ast.Expression
    variables: tuple[str, ...]

    def evaluate(self, values: dict[str, Any]) -> Tensor:
        """The expression's value computed with autograd_core ops (so it can be differentiated)."""
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise ExpressionError(f"variable {missing[0]!r} has no value")
        return _as_tensor(_evaluate_node(self.tree.body, values))


def parse_expression(text: str) -> Expression:
    """Parses and validates `text`; raises ExpressionError with a one-line reason if it is not allowed."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression is too long ({len(text)} characters, at most "
                              f"{MAX_EXPRESSION_LENGTH})")
    if not text.strip():
        raise ExpressionError("expression is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        column = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"syntax error{column}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"expression is nested too deeply (at most {MAX_NESTING_DEPTH} levels)"
                              ) from None
    variables: list[str] = []
    _validate(tree.body, variables)
    return Expression(text=text.strip(), tree=tree, variables=tuple(variables))


def _validate(root: ast.AST, variables: list[str]) -> None:
    """Raises ExpressionError at the first node outside the whitelist or deeper than MAX_NESTING_DEPTH;
    collects variable names in reading order. Walks the tree with an explicit stack (no recursion)."""
    stack: list[tuple[ast.AST, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING_DEPTH:
            raise ExpressionError(f"expression is nested too deeply (more than {MAX_NESTING_DEPTH} levels)")
        children = _validate_node(node, variables)
        stack.extend((child, depth + 1) for child in reversed(children))


def _validate_node(node: ast.AST, variables: list[str]) -> list[ast.AST]:
    """Checks one node against the whitelist; returns its operands (to be checked next)."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants, got {value!r}")
        try:
            float(value)
        except OverflowError:
            raise ExpressionError(f"number too large: {ast.unparse(node)[:40]}") from None
        return []
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"function {node.id!r} must be called, e.g. {node.id}(x)")
        if node.id not in CONSTANTS and node.id not in variables:
            variables.append(node.id)
        return []
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY_OPS:
            raise ExpressionError(f"operator {_operator_symbol(node.op)!r} is not supported (use + - * / **)")
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExpressionError(f"operator {_operator_symbol(node.op)!r} is not supported (use + - * / **)")
        return [node.operand]
    if isinstance(node, ast.Call):
        _validate_call(node)
        return [node.args[0]]
    description = _DESCRIPTIONS.get(type(node), type(node).__name__)
    raise ExpressionError(f"{description} not allowed: {_snippet(node)}")


def _operator_symbol(operator: ast.AST) -> str:
    return _OPERATOR_SYMBOLS.get(type(operator), type(operator).__name__)


def _validate_call(node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(f"only calls of the functions {', '.join(FUNCTIONS)} are allowed, "
                              f"not {_snippet(node.func)}")
    name = node.func.id
    if name not in FUNCTIONS:
        raise ExpressionError(f"unknown function {name!r}; known functions: {', '.join(FUNCTIONS)}")
    if node.keywords:
        raise ExpressionError(f"keyword arguments not allowed: {_snippet(node)}")
    if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        raise ExpressionError(f"{name}() takes exactly one argument, got {len(node.args)}")


def _snippet(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except RecursionError:  # ast.unparse recurses; a deep disallowed subtree is shown by its type
        return type(node).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _operands(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return [node.args[0]]
    return []


def _evaluate_node(root: ast.AST, values: dict[str, Any]) -> Any:
    """The value of a validated tree, operands left to right, with an explicit stack (post-order)."""
    results: list[Any] = []
    stack: list[tuple[ast.AST, bool]] = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        operands = _operands(node)
        if operands and not operands_done:
            stack.append((node, True))
            stack.extend((operand, False) for operand in reversed(operands))
            continue
        arguments = results[len(results) - len(operands):] if operands else []
        del results[len(results) - len(operands):]
        results.append(_apply(node, arguments, values))
    return results[0]


def _apply(node: ast.AST, arguments: list[Any], values: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id] if node.id in values else CONSTANTS[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY_OPS[type(node.op)](arguments[0], arguments[1])
    if isinstance(node, ast.UnaryOp):
        return ops.neg(arguments[0]) if isinstance(node.op, ast.USub) else arguments[0]
    if isinstance(node, ast.Call):
        return FUNCTIONS[node.func.id](_as_tensor(arguments[0]))
    raise ExpressionError(f"cannot evaluate {_snippet(node)}")


def _as_tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=np.float64))


def parse_value(text: str) -> np.ndarray:
    """A float64 array from a number or a (nested) list of numbers, e.g. '1.5' or '[1, 2, 3]'."""
    stripped = text.strip()
    try:
        value = ast.literal_eval(stripped)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ExpressionError(f"value {text!r} is not a number or a list of numbers") from None
    if not _is_numeric(value):
        raise ExpressionError(f"value {text!r} is not a number or a list of numbers")
    try:
        array = np.array(value, dtype=np.float64)
    except (ValueError, OverflowError):
        raise ExpressionError(f"value {text!r} is not a rectangular list of numbers") from None
    if array.size == 0:
        raise ExpressionError(f"value {text!r} is empty")
    return array


def _is_numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_numeric(item) for item in value)
    return False


def parse_assignments(items: list[str]) -> dict[str, np.ndarray]:
    """{'x': array(1.5), ...} from ['x=1.5', 'y=[1,2]']; each name must be a valid, unreserved identifier."""
    values: dict[str, np.ndarray] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ExpressionError(f"expected NAME=VALUE, got {item!r}")
        if not name.isidentifier():
            raise ExpressionError(f"{name!r} is not a valid variable name")
        if name in FUNCTIONS or name in CONSTANTS:
            raise ExpressionError(f"{name!r} is a reserved name (a function or constant), not a variable")
        if name in values:
            raise ExpressionError(f"variable {name!r} is given twice")
        values[name] = parse_value(text)
    return values
