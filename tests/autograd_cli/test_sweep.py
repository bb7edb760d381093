"""autograd-core sweep: grid and random search over train's options in worker processes,
results ranked by validation accuracy, a heat map, the best run's files, and Ctrl-C keeping the
finished trials."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograd_cli import sweep
from autograd_core.errors import InvalidArgumentError

REPO_ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen([sys.executable, "-m", "autograd_cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_trial_settings_grid_and_random():
    grid = sweep.trial_settings({"lr": ["0.01", "0.1"], "hidden": ["8", "8,8"], "optimizer": ["adam"]})
    assert len(grid) == 4 and {"lr": "0.1", "hidden": "8,8", "optimizer": "adam"} in grid
    picked = sweep.trial_settings({"lr": ["0.01", "0.1", "1"], "hidden": ["8", "16"]}, "random", 4, seed=1)
    assert len(picked) == 4 and len({tuple(p.items()) for p in picked}) == 4
    assert picked == sweep.trial_settings({"lr": ["0.01", "0.1", "1"], "hidden": ["8", "16"]},
                                          "random", 4, seed=1)
    with pytest.raises(InvalidArgumentError, match="cannot be swept"):
        sweep.trial_settings({"momentum": [1]})
    with pytest.raises(InvalidArgumentError, match="needs trials"):
        sweep.trial_settings({"lr": [1]}, "random")


def test_grid_sweep_ranks_trials_and_writes_heatmap_and_best(tmp_path):
    process = cli("sweep", "--lr", "0.01,0.1", "--hidden", "8:16,16", "--optimizer", "adam",
                  "--epochs", "3", "--samples", "120", "--jobs", "2", "--out", "grid", cwd=tmp_path)
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    assert "sweep: 4 of 4 trials finished" in stdout and "sweep" in stderr  # the progress bar
    rows = list(csv.DictReader((tmp_path / "grid" / "results.csv").open()))
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4"]
    accuracies = [float(r["val_acc"]) for r in rows]
    assert accuracies == sorted(accuracies, reverse=True)
    assert {(r["lr"], r["hidden"]) for r in rows} == {("0.01", "8"), ("0.01", "16,16"),
                                                      ("0.1", "8"), ("0.1", "16,16")}
    assert (tmp_path / "grid" / "sweep.png").read_bytes().startswith(b"\x89PNG")
    best = tmp_path / "grid" / "best"
    assert (best / "metrics.csv").exists() and (best / "model.npz").exists() or \
        (best / "model.safetensors").exists()
    best_metrics = list(csv.DictReader((best / "metrics.csv").open()))
    assert float(best_metrics[-1]["val_acc"]) == pytest.approx(accuracies[0], abs=1e-4)


def test_random_search_runs_the_requested_trials(tmp_path):
    result = sweep.grid_search({"lr": ["0.01", "0.05", "0.1"], "hidden": ["8", "12"]},
                               {"epochs": 2, "samples": 100}, out=tmp_path / "r", jobs=2,
                               search="random", trials=3, progress=False)
    assert len(result.trials) == 3 and not result.interrupted
    assert result.best is result.trials[0] and result.best["status"] == "ok"


def test_usage_errors(tmp_path):
    for args, fragment in ((["sweep"], "nothing to sweep"),
                           (["sweep", "--lr", "0.1", "--search", "random"], "needs --trials"),
                           (["sweep", "--hidden", "8:x"], "hidden"),
                           (["sweep", "--lr", "0.1,1", "--heatmap", "lr,foo"], "--heatmap")):
        process = cli(*args, cwd=tmp_path)
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 2 and fragment in stderr and "Traceback" not in stderr


def test_ctrl_c_keeps_the_finished_trials(tmp_path):
    process = cli("sweep", "--lr", "0.01,0.02,0.03,0.04,0.05,0.06,0.07,0.08", "--epochs", "3",
                  "--samples", "100", "--jobs", "1", "--out", "stop", cwd=tmp_path)
    results = tmp_path / "stop" / "results.csv"
    deadline = time.time() + 300
    while time.time() < deadline and not (results.exists() and len(results.read_text().splitlines()) >= 2):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    rows = list(csv.DictReader(results.open()))
    assert 1 <= len(rows) < 8 and all(r["status"] == "ok" for r in rows)
    assert "interrupted: finished trials kept" in stdout
