"""Training in mixed precision on digits: float16 autocast with a GradScaler reaches float32's
accuracy (within 1 point); without the scaler, float16 gradients underflow to zero."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
import optim

pytest.importorskip("sklearn")


def train(mode: str, epochs: int = 6) -> tuple[float, float]:
    """(test accuracy, fraction of the first hidden layer's gradient entries that are exactly 0
    over the last 50 steps) for mode fp32, fp16 (autocast, no scaler) or fp16+scaler."""
    X, y = nn.datasets.digits()
    Xtr, Xte, ytr, yte = nn.datasets.train_test_split(X, y, test_size=0.25, seed=0)
    Xtr, Xte = Xtr.astype(np.float32), Xte.astype(np.float32)
    nn.init.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scaler = ag.amp.GradScaler(enabled=mode == "fp16+scaler")
    rng = np.random.default_rng(0)
    zeros = []
    for _ in range(epochs):
        order = rng.permutation(len(Xtr))
        for start in range(0, len(order), 32):
            batch = order[start:start + 32]
            with ag.autocast(dtype=ag.float16, enabled=mode != "fp32"):
                hidden = model[1](model[0](ag.tensor(Xtr[batch])))
                hidden.retain_grad()
                loss = F.cross_entropy(model[4](model[3](model[2](hidden))), ag.tensor(ytr[batch]))
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            zeros.append(float(np.mean(hidden.grad.data == 0)))
            scaler.step(optimizer)
            scaler.update()
            for p in model.parameters():
                assert p.dtype == np.float32 and p.grad.dtype == np.float32  # master weights
    model.eval()
    with ag.no_grad():
        accuracy = float((model(ag.tensor(Xte)).data.argmax(1) == yte).mean())
    return accuracy, float(np.mean(zeros[-50:]))


def test_float16_with_grad_scaler_matches_float32_and_unscaled_float16_underflows():
    fp32, _ = train("fp32")
    fp16, underflow = train("fp16")
    scaled, scaled_underflow = train("fp16+scaler")
    assert abs(scaled - fp32) <= 0.01, f"float32 {fp32:.3f}, float16 + GradScaler {scaled:.3f}"
    assert underflow > 0 and scaled_underflow < underflow, (
        f"fraction of hidden-layer gradient entries that are 0: float16 without scaling "
        f"{underflow:.4%}, with GradScaler {scaled_underflow:.4%}")


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_cli_train_amp_reports_scaling(tmp_path, dtype):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-m", "autograd_cli", "train", "--epochs", "3", "--samples",
                             "200", "--amp", dtype, "--out", "out"], cwd=tmp_path, capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=str(root)), timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"mixed precision: autocast to {dtype}, float32 master weights" in result.stdout
    if dtype == "float16":
        assert "GradScaler:" in result.stdout and "final scale" in result.stdout
