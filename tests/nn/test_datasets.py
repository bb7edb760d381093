"""seq12: the sequence datasets of nn.datasets — shapes, determinism, the adding problem's markers,
held-out addition sums and the character vocabulary."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_core.errors import InvalidArgumentError
from nn import datasets as D


def test_sine_sequences_shapes_targets_and_determinism():
    X, y = D.sine_sequences(8, 20, noise=0.0, seed=3)
    assert X.shape == (8, 20, 1) and y.shape == (8, 20, 1) and X.dtype == np.float64
    np.testing.assert_allclose(X[:, 1:], y[:, :-1])  # without noise, the target is the next input
    X2, y2 = D.sine_sequences(8, 20, noise=0.0, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(D.sine_sequences(8, 20, seed=4)[0], D.sine_sequences(8, 20, seed=3)[0])
    noisy, clean = D.sine_sequences(200, 20, noise=0.1, seed=3)
    assert 0.05 < np.std(noisy[:, 1:] - clean[:, :-1]) < 0.15


def test_adding_problem_markers_and_targets():
    X, y = D.adding_problem(50, 30, seed=1)
    assert X.shape == (50, 30, 2) and y.shape == (50, 1)
    markers = X[..., 1]
    assert np.all(markers.sum(1) == 2)
    assert np.all(markers[:, :15].sum(1) == 1) and np.all(markers[:, 15:].sum(1) == 1)
    np.testing.assert_allclose(y[:, 0], (X[..., 0] * markers).sum(1))
    np.testing.assert_array_equal(D.adding_problem(50, 30, seed=1)[0], X)
    with pytest.raises(InvalidArgumentError):
        D.adding_problem(10, 1)


def test_addition_strings_are_correct_and_held_out_sums_are_disjoint():
    train = D.addition_strings(2000, 2, "train", seed=0)
    test = D.addition_strings(500, 2, "test", seed=0)
    for text in train[:50] + test[:50]:
        left, answer = text.split("=")
        a, b = left.split("+")
        assert 10 <= int(a) <= 99 and 10 <= int(b) <= 99 and int(a) + int(b) == int(answer)
    assert not set(train) & set(test)
    assert len(set(train)) == 2000  # drawn without replacement
    assert D.addition_strings(5, seed=1) == D.addition_strings(5, seed=1)
    with pytest.raises(InvalidArgumentError):
        D.addition_strings(5, split="validation")


def test_character_vocabulary_round_trip():
    vocab = D.ADDITION_VOCABULARY
    assert len(vocab) == 14 and vocab.pad_index == 0 and vocab.eos_index == 1
    ids = vocab.encode_batch(["37+85=122", "1+2=3"])
    assert ids.shape == (2, 10) and ids.dtype == np.int64
    assert ids[0, 9] == vocab.eos_index and ids[1, 5] == vocab.eos_index and np.all(ids[1, 6:] == 0)
    assert vocab.decode(ids[0]) == "37+85=122" and vocab.decode(ids[1]) == "1+2=3"
    with pytest.raises(InvalidArgumentError, match="not in the vocabulary"):
        vocab.encode("3*4")
    with pytest.raises(InvalidArgumentError):
        D.CharVocabulary("aa")
