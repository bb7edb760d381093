"""The safe expression parser: what it accepts, what it rejects (with one-line messages), how it
evaluates, and that it never reaches eval or exec."""

from __future__ import annotations

import builtins
import math

import numpy as np
import pytest

import autograd_core as ag
from autograd_cli import expr
from autograd_core.errors import AutogradError


def evaluate(text: str, **values) -> np.ndarray:
    tensors = {name: ag.tensor(value, dtype="float64") for name, value in values.items()}
    return expr.parse_expression(text).evaluate(tensors).data


@pytest.mark.parametrize("name, reference", [
    ("sin", np.sin), ("cos", np.cos), ("tan", np.tan), ("exp", np.exp), ("log", np.log),
    ("log1p", np.log1p), ("sqrt", np.sqrt), ("tanh", np.tanh), ("abs", np.abs),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))), ("relu", lambda x: np.maximum(x, 0)),
    ("softplus", lambda x: np.log1p(np.exp(x))),
    ("gelu", lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
    ("sum", np.sum), ("mean", np.mean),
])
def test_every_function_matches_numpy(name, reference):
    x = np.array([0.25, 0.5, 1.5])
    np.testing.assert_allclose(evaluate(f"{name}(x)", x=x), reference(x), rtol=1e-12)


def test_arithmetic_precedence_unary_minus_and_constants():
    assert evaluate("-x**2 + 3*x - 4/2", x=3.0) == pytest.approx(-9 + 9 - 2)
    assert evaluate("(x + 1) * (x - 1)", x=5.0) == pytest.approx(24)
    assert evaluate("2**-1 + +x", x=1.0) == pytest.approx(1.5)
    assert evaluate("pi * e") == pytest.approx(math.pi * math.e)
    assert evaluate("1e-3 * 2") == pytest.approx(2e-3)


def test_results_are_float64_tensors_that_differentiate():
    x = ag.tensor(1.5, dtype="float64", requires_grad=True)
    y = ag.tensor(-2.0, dtype="float64", requires_grad=True)
    value = expr.parse_expression("x*sin(y) + exp(x)/y").evaluate({"x": x, "y": y})
    assert value.dtype == np.float64
    value.backward()
    assert x.grad.item() == pytest.approx(math.sin(-2) + math.exp(1.5) / -2)
    assert y.grad.item() == pytest.approx(1.5 * math.cos(-2) - math.exp(1.5) / 4)


def test_constant_only_expressions_give_tensors_and_division_by_zero_gives_inf():
    assert isinstance(expr.parse_expression("2**3").evaluate({}), ag.Tensor)
    with np.errstate(divide="ignore"):
        assert np.isinf(evaluate("1/0"))


def test_variables_are_listed_in_first_use_order_without_functions_or_constants():
    parsed = expr.parse_expression("y * sin(x) + y + pi")
    assert parsed.variables == ("y", "x")


def test_a_missing_variable_is_an_expression_error():
    with pytest.raises(expr.ExpressionError, match="'y' has no value"):
        expr.parse_expression("x + y").evaluate({"x": 1.0})


@pytest.mark.parametrize("text, message", [
    ('__import__("os").system("true")', "only calls of the functions"),
    ('__import__("os")', "unknown function '__import__'"),
    ("os.system", "attribute access"),
    ("x.__class__", "attribute access"),
    ("x[0]", "subscripts"),
    ("lambda: 1", "lambda"),
    ("sin(x, y)", "exactly one argument"),
    ("sin()", "exactly one argument"),
    ("sin(x=1)", "keyword arguments"),
    ("sin(*x)", "exactly one argument"),
    ("foo(x)", "unknown function 'foo'"),
    ("eval('1')", "unknown function 'eval'"),
    ("sin", "must be called"),
    ("x // 2", "'//'"),
    ("x % 2", "'%'"),
    ("x @ y", "'@'"),
    ("~x", "'~'"),
    ("not x", "'not'"),
    ("x < y", "comparisons"),
    ("x and y", "'and'/'or'"),
    ("x if y else 2", "conditional"),
    ("[1, 2]", "lists"),
    ("(1, 2)", "tuples"),
    ("{1: 2}", "dicts"),
    ("[i for i in x]", "comprehensions"),
    ("'text'", "only numbers"),
    ("b'bytes'", "only numbers"),
    ("True", "only numbers"),
    ("None", "only numbers"),
    ("1j", "only numbers"),
    ("f'{x}'", "f-strings"),
    ("(y := 2)", "assignment"),
    ("x +", "syntax error"),
    ("import os", "syntax error"),
    ("x; y", "syntax error"),
    ("", "empty"),
    ("   ", "empty"),
    ("-" * 20000 + "x", "too long"),
    ("-" * 5000 + "x", "nested too deeply"),
    ("+".join(["x"] * 3000), "nested too deeply"),
])
def test_rejected_expressions_give_one_line_errors(text, message):
    with pytest.raises(expr.ExpressionError) as caught:
        expr.parse_expression(text)
    text_of_error = str(caught.value)
    assert "\n" not in text_of_error
    assert message in text_of_error
    assert isinstance(caught.value, AutogradError) and isinstance(caught.value, ValueError)


def test_parsing_and_evaluating_never_call_eval_or_exec(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec/compile must not be used")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert evaluate("sqrt(x) * 2", x=4.0) == pytest.approx(4.0)
    with pytest.raises(expr.ExpressionError):
        expr.parse_expression('__import__("os")')


@pytest.mark.parametrize("text, expected", [
    ("1.5", 1.5), ("-2", -2.0), ("1e3", 1000.0), ("[1, 2, 3]", [1.0, 2.0, 3.0]),
    ("[[1, 2], [3, 4.5]]", [[1.0, 2.0], [3.0, 4.5]]), (" 7 ", 7.0), ("(1, 2)", [1.0, 2.0]),
])
def test_parse_value_accepts_numbers_and_lists(text, expected):
    value = expr.parse_value(text)
    assert value.dtype == np.float64
    np.testing.assert_array_equal(value, expected)


@pytest.mark.parametrize("text", [
    "abc", "'1'", "True", "[1, 'a']", "[[1, 2], [3]]", "[]", "1+2j", "__import__('os')", "{1: 2}",
    "[True, 1]", "",
])
def test_parse_value_rejects_everything_else(text):
    with pytest.raises(expr.ExpressionError):
        expr.parse_value(text)


def test_parse_assignments():
    values = expr.parse_assignments(["x=1.5", "y = [1, 2]"])
    assert list(values) == ["x", "y"]
    np.testing.assert_array_equal(values["y"], [1.0, 2.0])
    for bad, message in [(["x"], "NAME=VALUE"), (["=1"], "NAME=VALUE"), (["2x=1"], "not a valid"),
                         (["sin=1"], "reserved"), (["pi=3"], "reserved"), (["x=1", "x=2"], "twice"),
                         (["x=oops"], "not a number")]:
        with pytest.raises(expr.ExpressionError, match=message):
            expr.parse_assignments(bad)
