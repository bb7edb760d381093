"""`autograd-core grad` on hostile input (issue 9): expression length, nesting depth and --hessian input size
are capped, each a one-line usage error with exit status 2; never a RecursionError. The recursion's root
was the recursive evaluator of the parsed tree (backward, also under create_graph, was already iterative):
a 990-factor product now gives its value, gradient and Hessian."""

from __future__ import annotations

import subprocess

import pytest

from autograd_cli import cli, expr
from cli_helpers import run, run_in_process


def assert_usage_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_a_990_factor_product_has_value_gradient_and_hessian(tmp_path):
    product = "*".join(["x"] * 990)
    result = run("grad", product, "--at", "x=1.001", "--hessian", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    x = 1.001
    lines = result.stdout.splitlines()
    assert f"f = {x**990:.10g}" in lines
    assert f"df/dx = {990 * x**989:.10g}" in lines
    hessian_row = lines[lines.index("hessian:") + 2].split()
    assert float(hessian_row[1]) == pytest.approx(990 * 989 * x**988, rel=1e-9)


def test_deep_expressions_within_the_cap_evaluate_without_recursion(capsys):
    depth = expr.MAX_NESTING_DEPTH
    result = run_in_process("grad", " " + "-" * (depth - 1) + "x", "--at", "x=2", "--hessian", capsys=capsys)
    assert result.returncode == 0, result.stderr
    sign = -1 if (depth - 1) % 2 else 1
    assert f"df/dx = {sign}" in result.stdout.splitlines()


@pytest.mark.parametrize("expression", [
    "*".join(["x"] * (expr.MAX_NESTING_DEPTH + 2)),
    " " + "-" * (expr.MAX_NESTING_DEPTH + 1) + "x",
    "+".join(["x"] * 3000),
    "**".join(["x"] * 3000),
], ids=["product", "negations", "sum-3000", "power-3000"])
def test_too_deep_expressions_are_one_line_usage_errors(capsys, expression):
    result = run_in_process("grad", expression, "--at", "x=1", "--hessian", capsys=capsys)
    assert_usage_error(result, "nested too deeply")


def test_too_long_expressions_are_one_line_usage_errors(capsys):
    result = run_in_process("grad", "x+" * 6000 + "x", "--at", "x=1", capsys=capsys)
    assert_usage_error(result, "too long", str(expr.MAX_EXPRESSION_LENGTH))


def test_hessian_input_size_is_capped_before_computing(tmp_path, capsys):
    big = "[" + ",".join(["0.5"] * 2400) + "]"
    result = run_in_process("grad", "sum(x*x)", "--at", f"x={big}", "--hessian", capsys=capsys)
    assert_usage_error(result, "--hessian", "2,400", f"at most {cli.MAX_HESSIAN_ELEMENTS}")
    split = "[" + ",".join(["1"] * 300) + "]"
    result = run_in_process("grad", "sum(x*y)", "--at", f"x={split}", f"y={split}", "--hessian",
                            capsys=capsys)
    assert_usage_error(result, "600 input elements")
    # The gradient alone is not capped, and a small Hessian is still printed.
    result = run_in_process("grad", "sum(x*x)", "--at", f"x={big}", capsys=capsys)
    assert result.returncode == 0, result.stderr
    small = "[" + ",".join(["0.5"] * 4) + "]"
    result = run_in_process("grad", "sum(x*x)", "--at", f"x={small}", "--hessian", capsys=capsys)
    assert result.returncode == 0 and "hessian:" in result.stdout
