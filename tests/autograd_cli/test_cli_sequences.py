"""seq12: `autograd-core train --model rnn|lstm|gru|transformer --dataset adding|sine|addition`
driven as a subprocess: files written (metrics.csv, model.npz, loss.png, gradient_through_time.png),
the summary, the saved model loading back, and one-line usage errors."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import run as _run

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path, timeout: float = 300):
    """The app as a subprocess, with a training run's longer time limit."""
    return _run(*args, cwd=cwd, timeout=timeout)
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


@pytest.mark.parametrize("model,dataset", [("lstm", "adding"), ("gru", "sine"), ("rnn", "addition"),
                                           ("transformer", "addition")])
def test_train_sequence_model_writes_run_files(tmp_path, model, dataset):
    out = tmp_path / "run"
    result = run("train", "--model", model, "--dataset", dataset, "--steps", "6", "--samples", "200",
                 "--seq-len", "12", "--hidden", "8", "--clip", "1.0", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"model      {model}" in result.stdout and "gradients  ||dL/dh_0||" in result.stdout
    assert "train " in result.stderr  # the progress bar
    with (out / "metrics.csv").open() as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["step", "loss", "val_loss", "val_metric", "lr", "seconds"]
    assert int(rows[-1][0]) == 6 and np.isfinite(float(rows[-1][1]))
    assert (out / "model.npz").stat().st_size > 0
    if HAS_MATPLOTLIB:
        assert (out / "gradient_through_time.png").stat().st_size > 0
        assert (out / "loss.png").stat().st_size > 0


def test_saved_sequence_model_loads_back(tmp_path):
    out = tmp_path / "run"
    result = run("train", "--model", "lstm", "--dataset", "adding", "--steps", "3", "--samples", "100",
                 "--seq-len", "8", "--hidden", "8", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(REPO_ROOT))
    import nn
    from autograd_cli.cli_sequences import build_sequence_model
    model = build_sequence_model("lstm", 2, 1, hidden=8, generator=5)
    state = nn.load(out / "model.npz")
    model.load_state_dict(state)  # strict: every key and shape matches
    np.testing.assert_array_equal(model.rnn.weight_hh_l0.data, state["rnn.weight_hh_l0"])


@pytest.mark.parametrize("arguments,message", [
    (("--model", "lstm", "--dataset", "spirals"), "needs a sequence dataset"),
    (("--dataset", "adding"), "needs a sequence --model"),
    (("--model", "cnn", "--dataset", "adding"), "invalid choice"),
])
def test_sequence_usage_errors(tmp_path, arguments, message):
    result = run("train", *arguments, "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
