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


# ---- seq12: sequence datasets (sine_sequences, adding_problem, addition_strings) ---------------------

def _check_length(name: str, length: Any, minimum: int = 2) -> None:
    if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < minimum:
        raise InvalidArgumentError(f"{name}: invalid length {length!r} (must be an integer >= {minimum})")


def sine_sequences(n_samples: int = 200, length: int = 50, noise: float = 0.05,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Next-value regression on noisy sine waves: X (n, length, 1) and y (n, length, 1) float64,
    batch first, where y[:, t] is the clean wave at step t + 1 and X[:, t] the noisy wave at step t.

    Each wave has its own frequency (0.05..0.25 cycles per step), phase and amplitude (0.5..1.0);
    the noise (std `noise`) is on the inputs only, so the targets are clean next values."""
    _check_sample_count("sine_sequences", n_samples)
    _check_length("sine_sequences", length)
    _check_noise("sine_sequences", noise)
    rng = np.random.default_rng(seed)
    frequency = rng.uniform(0.05, 0.25, size=(n_samples, 1))
    phase = rng.uniform(0.0, 2 * math.pi, size=(n_samples, 1))
    amplitude = rng.uniform(0.5, 1.0, size=(n_samples, 1))
    steps = np.arange(length + 1)[None, :]
    wave = amplitude * np.sin(2 * math.pi * frequency * steps + phase)
    X = wave[:, :-1] + rng.normal(scale=noise, size=(n_samples, length))
    return X[..., None], wave[:, 1:, None]


def adding_problem(n: int = 1000, length: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015): X (n, length, 2) float64,
    batch first, channel 0 uniform in [0, 1], channel 1 a marker that is 1 at exactly two steps (one
    in the first half, one in the second half); y (n, 1) the sum of the two marked values.

    Predicting the mean (1.0) gives MSE 1/6 ~ 0.167; solving it needs memory across ~length/2 steps,
    which a tanh RNN's vanishing gradients make hard and an LSTM's cell state makes easy."""
    _check_sample_count("adding_problem", n)
    _check_length("adding_problem", length)
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, length))
    half = length // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    markers = np.zeros((n, length))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = (values[rows, first] + values[rows, second])[:, None]
    return np.stack([values, markers], axis=-1), y


class CharVocabulary:
    """A character vocabulary with a padding and an end-of-sequence token.

    Index 0 is `pad`, 1 is `eos`, then `chars` in order. encode/decode map str <-> int64 ids;
    encode_batch pads a list of strings (each followed by eos) into an (n, length) array."""

    def __init__(self, chars: str, pad: str = "_", eos: str = "$") -> None:
        if len(set(chars)) != len(chars) or pad in chars or eos in chars or pad == eos:
            raise InvalidArgumentError(f"CharVocabulary: characters must be distinct and exclude pad/eos, "
                                       f"got {chars!r} with pad {pad!r} and eos {eos!r}")
        self.pad, self.eos = pad, eos
        self.itos = [pad, eos] + list(chars)
        self.stoi = {c: i for i, c in enumerate(self.itos)}
        self.pad_index, self.eos_index = 0, 1

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> np.ndarray:
        """int64 ids of each character of text; an unknown character raises InvalidArgumentError."""
        try:
            return np.array([self.stoi[c] for c in text], dtype=np.int64)
        except KeyError as exc:
            raise InvalidArgumentError(f"CharVocabulary.encode: character {exc.args[0]!r} of {text!r} is not "
                                       f"in the vocabulary {''.join(self.itos)!r}") from None

    def encode_batch(self, texts: list[str], length: int | None = None) -> np.ndarray:
        """(n, length) int64: each text then eos, right-padded with pad (length: the longest + 1)."""
        needed = max(len(t) for t in texts) + 1
        length = needed if length is None else length
        if length < needed:
            raise InvalidArgumentError(f"CharVocabulary.encode_batch: length {length} < longest text + eos "
                                       f"({needed})")
        out = np.full((len(texts), length), self.pad_index, dtype=np.int64)
        for row, text in enumerate(texts):
            out[row, :len(text)] = self.encode(text)
            out[row, len(text)] = self.eos_index
        return out

    def decode(self, ids: Any) -> str:
        """Characters of ids up to the first eos, skipping pad."""
        chars = []
        for i in np.asarray(ids).reshape(-1):
            if int(i) == self.eos_index:
                break
            if int(i) != self.pad_index:
                chars.append(self.itos[int(i)])
        return "".join(chars)


ADDITION_VOCABULARY = CharVocabulary("0123456789+=")


def addition_strings(n_samples: int = 1000, digits: int = 2, split: str = "train",
                     test_fraction: float = 0.2, seed: int = 0) -> list[str]:
    """Sums written out as characters, e.g. "37+85=122", for character-level language modelling.

    Operands are every pair (a, b) with `digits`-digit a and b (10..99 for 2 digits); the pairs are
    shuffled once with `seed` and cut into a held-out "test" part (the first test_fraction) and a
    "train" part, so the two never share a sum. n_samples strings are drawn from the chosen part
    (without replacement while it lasts). Encode with ADDITION_VOCABULARY."""
    _check_sample_count("addition_strings", n_samples)
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or not 1 <= digits <= 4:
        raise InvalidArgumentError(f"addition_strings: digits must be an integer in 1..4, got {digits!r}")
    if split not in ("train", "test"):
        raise InvalidArgumentError(f"addition_strings: split must be 'train' or 'test', got {split!r}")
    if not 0.0 < test_fraction < 1.0:
        raise InvalidArgumentError(f"addition_strings: test_fraction must be in (0, 1), "
                                   f"got {test_fraction!r}")
    low, high = (0 if digits == 1 else 10 ** (digits - 1)), 10 ** digits
    operands = np.arange(low, high)
    pairs = np.stack(np.meshgrid(operands, operands, indexing="ij"), axis=-1).reshape(-1, 2)
    pairs = pairs[np.random.default_rng(seed).permutation(len(pairs))]
    cut = max(1, int(round(test_fraction * len(pairs))))
    part = pairs[:cut] if split == "test" else pairs[cut:]
    rng = np.random.default_rng(seed + (1 if split == "train" else 2))
    chosen = rng.permutation(len(part))[:n_samples] if n_samples <= len(part) \
        else rng.integers(0, len(part), size=n_samples)
    return [f"{a}+{b}={a + b}" for a, b in part[chosen]]


__all__ += ["sine_sequences", "adding_problem", "addition_strings", "CharVocabulary", "ADDITION_VOCABULARY"]
