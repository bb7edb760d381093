"""Small deterministic toy datasets made in code, for examples, notebooks and tests.

Each returns (X, y) with X float64 of shape (n_samples, features); classification labels are int64 of
shape (n_samples,), regression targets float64 of shape (n_samples, 1). The same seed gives the same data.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autograd_core.errors import AutogradError, InvalidArgumentError, ShapeError

__all__ = [
    "OptionalDependencyError",
    "circles",
    "digits",
    "moons",
    "sine",
    "sine_regression",
    "spirals",
    "train_test_split",
    "xor",
]


class OptionalDependencyError(AutogradError, ImportError):
    """A feature needs a package that is not installed; the message says which extra to install."""


def spirals(
    n_samples: int = 300, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The CS231n spiral: `n_classes` interleaved arms in 2-D, not linearly separable.

    Arm j has radius r in [0, 1] and angle 4j + 4r (plus Gaussian noise of std `noise` on the angle).
    Samples are split as evenly as possible between classes and grouped by class. X (n, 2), y (n,) int64.
    """
    _check_sample_count("spirals", n_samples)
    if not isinstance(n_classes, numbers.Integral) or n_classes < 1:
        raise InvalidArgumentError(f"spirals: invalid n_classes {n_classes!r} (must be a positive integer)")
    _check_noise("spirals", noise)
    rng = np.random.default_rng(seed)
    per_class = [n_samples // n_classes + (1 if j < n_samples % n_classes else 0) for j in range(n_classes)]
    points, labels = [], []
    for label, count in enumerate(per_class):
        radius = np.linspace(0.0, 1.0, count)
        angle = np.linspace(label * 4.0, (label + 1) * 4.0, count) + rng.normal(size=count) * noise
        points.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        labels.append(np.full(count, label, dtype=np.int64))
    return np.concatenate(points), np.concatenate(labels)


def moons(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (like scikit-learn's make_moons), shuffled. X (n, 2), y (n,) int64.

    Class 0 is the upper moon centred at (0, 0), class 1 the lower one centred at (1, 0.5) and flipped;
    Gaussian noise of std `noise` is added to every coordinate.
    """
    _check_sample_count("moons", n_samples)
    _check_noise("moons", noise)
    rng = np.random.default_rng(seed)
    upper_count = n_samples // 2
    lower_count = n_samples - upper_count
    upper_angle = np.linspace(0, math.pi, upper_count)
    lower_angle = np.linspace(0, math.pi, lower_count)
    upper = np.column_stack([np.cos(upper_angle), np.sin(upper_angle)])
    lower = np.column_stack([1 - np.cos(lower_angle), 0.5 - np.sin(lower_angle)])
    X = np.concatenate([upper, lower]) + rng.normal(scale=noise, size=(n_samples, 2))
    y = np.concatenate([np.zeros(upper_count, dtype=np.int64), np.ones(lower_count, dtype=np.int64)])
    return _shuffled(rng, X, y)


def circles(
    n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius `factor` (class 1) inside the unit circle (class 0), shuffled. X (n, 2), y (n,).

    Like scikit-learn's make_circles: evenly spaced angles, plus Gaussian noise of std `noise`.
    """
    _check_sample_count("circles", n_samples)
    _check_noise("circles", noise)
    if not 0 < factor < 1:
        raise InvalidArgumentError(f"circles: invalid factor {factor!r} (must be in (0, 1))")
    rng = np.random.default_rng(seed)
    outer_count = n_samples // 2
    inner_count = n_samples - outer_count
    outer_angle = np.linspace(0, 2 * math.pi, outer_count, endpoint=False)
    inner_angle = np.linspace(0, 2 * math.pi, inner_count, endpoint=False)
    outer = np.column_stack([np.cos(outer_angle), np.sin(outer_angle)])
    inner = factor * np.column_stack([np.cos(inner_angle), np.sin(inner_angle)])
    X = np.concatenate([outer, inner]) + rng.normal(scale=noise, size=(n_samples, 2))
    y = np.concatenate([np.zeros(outer_count, dtype=np.int64), np.ones(inner_count, dtype=np.int64)])
    return _shuffled(rng, X, y)


def xor(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: points uniform in [-1, 1]^2, label 1 where x0 and x1 have opposite signs.

    Labels come from the clean points; Gaussian noise of std `noise` is then added to X. X (n, 2), y (n,).
    """
    _check_sample_count("xor", n_samples)
    _check_noise("xor", noise)
    rng = np.random.default_rng(seed)
    clean = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = ((clean[:, 0] > 0) != (clean[:, 1] > 0)).astype(np.int64)
    return clean + rng.normal(scale=noise, size=clean.shape), y


def sine(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Regression on y = sin(x) + Gaussian noise of std `noise`, x uniform in [-pi, pi]; X, y (n, 1)."""
    _check_sample_count("sine", n_samples)
    _check_noise("sine", noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-math.pi, math.pi, size=(n_samples, 1))
    y = np.sin(X) + rng.normal(scale=noise, size=(n_samples, 1))
    return X, y


sine_regression = sine


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 handwritten digits: X (1797, 64) float64 in [0, 1], y (1797,) int64 in 0..9.

    Needs scikit-learn (the `digits` extra); the data ships inside it, so nothing is downloaded.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise OptionalDependencyError(
            "digits() needs scikit-learn: pip install 'autograd-core[digits]'"
        ) from None
    bunch = load_digits()
    return bunch.data.astype(np.float64) / 16.0, bunch.target.astype(np.int64)


def train_test_split(
    X: Any, y: Any, test_size: float | int = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into (X_train, X_test, y_train, y_test), like scikit-learn's function of that name.

    `test_size` is a fraction in (0, 1) (the test set gets ceil(fraction * n) samples) or a sample count.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ShapeError(
            f"train_test_split: X and y must have the same length (first dimension), "
            f"got shapes {X.shape} and {y.shape}"
        )
    sample_count = len(X)
    test_count = _test_count(test_size, sample_count)
    order = np.random.default_rng(seed).permutation(sample_count)
    test_indices, train_indices = order[:test_count], order[test_count:]
    return X[train_indices], X[test_indices], y[train_indices], y[test_indices]


def _test_count(test_size: float | int, sample_count: int) -> int:
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        count = int(test_size)
    elif isinstance(test_size, numbers.Real) and 0 < test_size < 1:
        count = math.ceil(test_size * sample_count)
    else:
        raise InvalidArgumentError(
            f"train_test_split: invalid test_size {test_size!r} (a fraction in (0, 1) or a sample count)"
        )
    if not 0 < count < sample_count:
        raise InvalidArgumentError(
            f"train_test_split: test_size {test_size!r} gives {count} test samples out of {sample_count}; "
            "both the train and the test set need at least one"
        )
    return count


def _shuffled(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(X))
    return X[order], y[order]


def _check_sample_count(name: str, n_samples: Any) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise InvalidArgumentError(f"{name}: invalid n_samples {n_samples!r} (must be a positive integer)")


def _check_noise(name: str, noise: Any) -> None:
    if not isinstance(noise, numbers.Real) or not noise >= 0:
        raise InvalidArgumentError(f"{name}: invalid noise {noise!r} (must be >= 0)")
