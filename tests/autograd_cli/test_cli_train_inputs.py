"""`autograd-core train` (issue 15): model.safetensors by default (loads into the equivalent torch.nn model
with strict=True), --format npz for the old file, and --init-from FILE --freeze I,J to fine-tune a saved
model on another dataset; bad --init-from / --freeze values are one-line usage errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd_cli import cli
from cli_helpers import run as _run
from cli_helpers import run_in_process


def run(*args: str, cwd: Path, timeout: float = 300):
    """The app as a subprocess, with a training run's longer time limit."""
    return _run(*args, cwd=cwd, timeout=timeout)


def assert_usage_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


QUICK = ("--epochs", "2", "--samples", "80", "--hidden", "8,8")


def test_train_writes_model_safetensors_that_torch_loads_strictly(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    result = run("train", *QUICK, "--activation", "tanh", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "out" / "model.safetensors"
    assert not (tmp_path / "out" / "model.npz").exists()
    assert "model.safetensors" in result.stdout
    config = json.loads(nn.load_metadata(path)[cli.CONFIG_KEY])
    assert config == {"model": "MLP", "input_size": 2, "hidden": [8, 8], "activation": "tanh", "classes": 3,
                      "dataset": "spirals", "dtype": "float32"}
    reference = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8),
                                    torch.nn.Tanh(), torch.nn.Linear(8, 3))
    reference.load_state_dict(safetensors_torch.load_file(str(path)), strict=True)

    npz = run("train", *QUICK, "--format", "npz", "--out", "old", cwd=tmp_path)
    assert npz.returncode == 0, npz.stderr
    assert (tmp_path / "old" / "model.npz").exists() and not (tmp_path / "old" / "model.safetensors").exists()
    with np.load(tmp_path / "old" / "model.npz") as saved:
        assert len(saved.files) == 6


def test_init_from_and_freeze_fine_tune_a_saved_model_on_another_dataset(tmp_path):
    pretrain = run("train", "--dataset", "spirals", *QUICK, "--out", "pre", cwd=tmp_path)
    assert pretrain.returncode == 0, pretrain.stderr
    pretrained = nn.load(tmp_path / "pre" / "model.safetensors")

    # The hidden sizes come from the saved config (no --hidden); the 3-class head does not fit moons.
    fine = run("train", "--dataset", "moons", "--epochs", "2", "--samples", "80", "--init-from",
               str(tmp_path / "pre" / "model.safetensors"), "--freeze", "0,2", "--out", "fine", cwd=tmp_path)
    assert fine.returncode == 0, fine.stderr
    assert "loaded 4 of 6 tensors; started fresh: 4.weight, 4.bias" in fine.stdout
    assert "frozen: 0 (Linear), 2 (Linear)" in fine.stdout
    assert "MLP 2-8-8-2" in fine.stdout and "(18 trainable)" in fine.stdout
    tuned = nn.load(tmp_path / "fine" / "model.safetensors")
    for key in ("0.weight", "0.bias", "2.weight", "2.bias"):
        np.testing.assert_array_equal(tuned[key], pretrained[key])
    assert tuned["4.weight"].shape == (2, 8)

    # Same dataset, only layer 2 frozen: every tensor fits, and layer 0 is trained further.
    unfrozen = run("train", "--dataset", "spirals", *QUICK, "--init-from",
                   str(tmp_path / "pre" / "model.safetensors"), "--freeze", "2", "--out", "more",
                   cwd=tmp_path)
    assert unfrozen.returncode == 0, unfrozen.stderr
    assert "loaded 6 of 6 tensors" in unfrozen.stdout
    more = nn.load(tmp_path / "more" / "model.safetensors")
    assert not np.array_equal(more["0.weight"], pretrained["0.weight"])
    np.testing.assert_array_equal(more["2.weight"], pretrained["2.weight"])


def test_bad_init_from_and_freeze_are_one_line_usage_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    nn.save(nn.Sequential(nn.Linear(5, 5)), tmp_path / "other.safetensors")
    (tmp_path / "evil.safetensors").write_bytes(b"\xff" * 8 + b"{}")
    cases = [
        (("--freeze", "9"), "no module '9'"),
        (("--freeze", "1"), "'1' (ReLU) has no parameters"),
        (("--freeze", "0,2,4"), "leaves no parameter to train"),
        (("--freeze", "0,,2"), "--freeze"),
        (("--init-from", "absent.safetensors"), "No such file"),
        (("--init-from", "evil.safetensors"), "not a valid safetensors file"),
        (("--init-from", "other.safetensors"), "none of its 2 tensors fits"),
        (("--format", "pickle"), "invalid choice: 'pickle'"),
    ]
    for args, fragment in cases:
        result = run_in_process("train", "--epochs", "1", "--samples", "40", "--out", "out", *args,
                                capsys=capsys)
        assert_usage_error(result, fragment)
