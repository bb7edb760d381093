"""Data augmentation for nn.data: composable batch transforms applied by DataLoader with its
explicit generator, and `train --augment` narrowing the train/validation gap on digits."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError
from nn.data import Compose, DataLoader, GaussianNoise, RandomFlip, RandomShift


def test_gaussian_noise_statistics_and_determinism():
    batch = np.zeros((400, 50), dtype=np.float32)
    a = GaussianNoise(0.1)(batch, np.random.default_rng(3))
    b = GaussianNoise(0.1)(batch, np.random.default_rng(3))
    assert a.dtype == np.float32 and np.array_equal(a, b)
    assert abs(a.std() - 0.1) < 0.005 and abs(a.mean()) < 0.005


def test_random_shift_moves_pixels_by_at_most_max_shift():
    image = np.zeros((8, 8))
    image[3, 4] = 1.0
    batch = np.tile(image.reshape(1, 64), (200, 1))
    shifted = RandomShift(1, image_shape=(8, 8))(batch, np.random.default_rng(0)).reshape(200, 8, 8)
    rows, cols = np.nonzero(shifted)[1:]
    assert set(rows) == {2, 3, 4} and set(cols) == {3, 4, 5}
    assert (shifted.reshape(200, -1).sum(axis=1) == 1).all()  # nothing lost away from the border


def test_random_flip_probability_and_axes():
    batch = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
    always = RandomFlip(p=1.0)(batch, np.random.default_rng(0))
    assert np.array_equal(always, batch[:, :, ::-1])
    assert np.array_equal(RandomFlip(p=1.0, axis=-2)(batch, np.random.default_rng(0)), batch[:, ::-1])
    assert np.array_equal(RandomFlip(p=0.0)(batch, np.random.default_rng(0)), batch)


def test_dataloader_applies_transform_per_batch_to_inputs_only():
    X = np.zeros((10, 4), dtype=np.float32)
    y = np.arange(10)
    loader = DataLoader(X, y, batch_size=5, generator=7, transform=Compose([GaussianNoise(1.0)]))
    (x1, y1), (x2, y2) = list(loader)
    assert np.array_equal(np.concatenate([y1, y2]), y) and not np.array_equal(x1, 0 * x1)
    again = list(DataLoader(X, y, batch_size=5, generator=7, transform=Compose([GaussianNoise(1.0)])))
    assert np.array_equal(again[0][0], x1)
    assert not np.array_equal(list(loader)[0][0], x1)  # a new epoch draws new noise


def test_bad_transform_arguments_are_typed_errors():
    with pytest.raises(InvalidArgumentError, match="std must be >= 0"):
        GaussianNoise(-1)
    with pytest.raises(InvalidArgumentError, match="max_shift"):
        RandomShift(-1)
    with pytest.raises(InvalidArgumentError, match="p must be in"):
        RandomFlip(p=2)
    with pytest.raises(ShapeError, match="pass image_shape"):
        RandomShift(1)(np.zeros((2, 64)), np.random.default_rng(0))
    with pytest.raises(ShapeError, match="do not fit image_shape"):
        RandomShift(1, (8, 8))(np.zeros((2, 60)), np.random.default_rng(0))
    with pytest.raises(DTypeError, match="transform must be callable"):
        DataLoader(np.zeros((2, 2)), transform=3)


def _gap(*extra, tmp_path):
    pytest.importorskip("sklearn")
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-m", "autograd_cli", "train", "--dataset", "digits",
                          "--epochs", "30", "--out", str(tmp_path / ("aug" if extra else "plain")),
                          *extra], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    train, val = (float(v) for v in re.search(r"train accuracy ([0-9.]+)%, validation accuracy "
                                               r"([0-9.]+)%", out.stdout).groups())
    return train, val


def test_train_augment_narrows_the_train_validation_gap_on_digits(tmp_path):
    plain_train, plain_val = _gap(tmp_path=tmp_path)
    aug_train, aug_val = _gap("--augment", tmp_path=tmp_path)
    assert aug_train - aug_val < plain_train - plain_val, (
        f"gap without --augment {plain_train - plain_val:.1f} points "
        f"({plain_train}% / {plain_val}%), with {aug_train - aug_val:.1f} ({aug_train}% / {aug_val}%)")
