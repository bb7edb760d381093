"""nn.TrainingMonitor: gradient flow, update ratios, activation statistics and the warnings the
seeds' vanishing/exploding gradients call for; the CLI's diagnostics."""

import csv
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
import optim

REPO_ROOT = Path(__file__).resolve().parents[2]


def train(activation, widths, steps=40, batch_norm=False, lr=0.1, seed=0):
    rng = np.random.default_rng(seed)
    nn.init.manual_seed(seed)
    X = ag.tensor(rng.standard_normal((64, 2)), dtype="float32")
    y = ag.tensor((X.data[:, 0] * X.data[:, 1] > 0).astype(np.int64))
    layers, width = [], 2
    for h in widths:
        layers += [nn.Linear(width, h)] + ([nn.BatchNorm1d(h)] if batch_norm else [])
        layers.append(getattr(nn, activation)())
        width = h
    layers.append(nn.Linear(width, 2))
    model = nn.Sequential(*layers)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    monitor = nn.TrainingMonitor(model)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(steps):
            loss = F.cross_entropy(model(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            monitor.step()
    return model, monitor, caught


def test_deep_sigmoid_net_warns_of_vanishing_gradients_naming_the_layer():
    _, monitor, caught = train("Sigmoid", [16] * 8)
    assert len(monitor.warnings) == 1 and "vanishing gradients: layer 0 (Linear)" in monitor.warnings[0]
    assert [w.category for w in caught] == [nn.GradientWarning]
    norms = monitor.layer_norms()
    assert norms["0"][0] < 1e-3 * norms["16"][0]


@pytest.mark.parametrize("activation, batch_norm", [("ReLU", False), ("ReLU", True), ("Tanh", False)])
def test_remedies_do_not_warn(activation, batch_norm):
    _, monitor, caught = train(activation, [16] * 8, batch_norm=batch_norm)
    assert monitor.warnings == [] and not caught


def test_exploding_gradients_are_reported():
    model, monitor, _ = train("ReLU", [16, 16], steps=3, lr=0.0)
    model[0].weight.grad = ag.tensor(np.full(model[0].weight.shape, np.inf, dtype=np.float32))
    with pytest.warns(nn.GradientWarning, match="exploding gradients: layer 0 \\(Linear\\) has a non-finite"):
        monitor.step()


def test_statistics_are_measured_from_the_model():
    model, monitor, _ = train("ReLU", [8], steps=2, lr=0.5)
    first, second = monitor.records
    grad = model[0].weight.grad.data
    assert second["layers"]["0"]["params"]["weight"]["grad_norm"] == pytest.approx(
        float(np.linalg.norm(grad)), rel=1e-6)
    ratio = second["layers"]["2"]["params"]["weight"]["update_ratio"]
    assert ratio is not None and ratio > 0
    stats = second["activations"]["1"]
    assert 0.0 <= stats["dead"] <= 1.0 and {"mean", "std"} <= set(stats)
    text = monitor.summary()
    assert "0.weight (Linear)" in text and "update/data" in text and "1 (ReLU)" in text


def test_saturation_and_dead_units_measures():
    from nn.monitor import _dead_units, _saturated_sigmoid, _saturated_tanh

    assert _saturated_tanh(np.array([0.999, 0.5, -0.995, 0.0])) == 0.5
    assert _saturated_sigmoid(np.array([0.001, 0.5, 0.999, 0.3])) == 0.5
    assert _dead_units(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])) == pytest.approx(1 / 3)


def test_csv_plot_every_and_remove(tmp_path):
    model, monitor, _ = train("Tanh", [8, 8], steps=4)
    path = monitor.to_csv(tmp_path / "diagnostics.csv")
    rows = list(csv.DictReader(path.open()))
    assert {"grad_norm", "update_ratio", "mean", "std", "saturated"} <= {r["quantity"] for r in rows}
    monitor.plot(tmp_path / "flow.png")
    assert (tmp_path / "flow.png").read_bytes().startswith(b"\x89PNG")
    monitor.remove()
    assert not any(m._has_hooks for m in model.modules())
    sparse = nn.TrainingMonitor(model, every=3)
    for _ in range(7):
        model(ag.ones((2, 2))).sum().backward()
        sparse.step()
    assert [r["step"] for r in sparse.records] == [1, 4, 7]


def run_cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, "-m", "autograd_cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_train_writes_diagnostics_and_warns_for_a_deep_sigmoid_net(tmp_path):
    result = run_cli("train", "--activation", "sigmoid", "--hidden", "32,32,32,32,32,32,32,32",
                     "--epochs", "5", "--samples", "200", "--out", "deep", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warning_lines = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warning_lines) == 1 and "vanishing gradients: layer 0 (Linear)" in warning_lines[0]
    assert (tmp_path / "deep" / "gradient_flow.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "deep" / "diagnostics.csv").read_text().startswith("step,layer,module")


def test_cli_default_train_does_not_warn(tmp_path):
    result = run_cli("train", "--epochs", "10", "--out", "plain", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning:" not in result.stderr
    assert {"diagnostics.csv", "gradient_flow.png"} <= {p.name for p in (tmp_path / "plain").iterdir()}
