"""DataLoader / ArrayDataset batching and the toy datasets: determinism, shapes, dtypes and errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError
from nn import datasets
from nn.data import ArrayDataset, DataLoader


def numbered_arrays(count=10):
    X = np.arange(count * 2, dtype=np.float64).reshape(count, 2)
    y = np.arange(count, dtype=np.int64)
    return X, y


def test_batches_in_order_with_a_smaller_last_batch():
    X, y = numbered_arrays(10)
    loader = DataLoader(X, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [xb.shape for xb, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y)
    assert all(isinstance(batch, tuple) and len(batch) == 2 for batch in batches)
    assert batches[0][1].dtype == np.int64


def test_drop_last_drops_the_incomplete_batch():
    X, y = numbered_arrays(10)
    loader = DataLoader(X, y, batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [len(yb) for _, yb in loader] == [4, 4]
    assert len(DataLoader(X, batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(X, batch_size=11, drop_last=True)) == 0


def test_default_batch_size_is_one_and_a_single_array_gives_one_tuples():
    X, _ = numbered_arrays(3)
    batches = list(DataLoader(X))
    assert len(batches) == 3
    assert all(len(batch) == 1 and batch[0].shape == (1, 2) for batch in batches)


def test_shuffle_keeps_rows_together_and_covers_every_sample_once():
    X, y = numbered_arrays(23)
    for xb, yb in DataLoader(X, y, batch_size=5, shuffle=True, generator=0):
        np.testing.assert_array_equal(xb, X[yb])
    seen = np.concatenate([yb for _, yb in DataLoader(X, y, batch_size=5, shuffle=True, generator=0)])
    assert sorted(seen) == list(range(23))
    assert list(seen) != list(range(23))


def epoch_orders(loader, epochs=3):
    return [np.concatenate([yb for _, yb in loader]).tolist() for _ in range(epochs)]


def test_shuffle_is_deterministic_per_seed_and_reshuffles_each_epoch():
    X, y = numbered_arrays(20)
    first = epoch_orders(DataLoader(X, y, batch_size=3, shuffle=True, generator=7))
    again = epoch_orders(DataLoader(X, y, batch_size=3, shuffle=True, generator=7))
    other_seed = epoch_orders(DataLoader(X, y, batch_size=3, shuffle=True, generator=8))
    assert first == again
    assert first != other_seed
    assert first[0] != first[1] != first[2]

    with_generator = epoch_orders(
        DataLoader(X, y, batch_size=3, shuffle=True, generator=np.random.default_rng(7))
    )
    assert with_generator == first


def test_accepts_an_array_dataset_and_any_indexable_dataset():
    X, y = numbered_arrays(7)
    from_dataset = list(DataLoader(ArrayDataset(X, y), batch_size=3))
    from_arrays = list(DataLoader(X, y, batch_size=3))
    for (xa, ya), (xb, yb) in zip(from_dataset, from_arrays, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)

    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return np.array([index, index**2]), index % 2

    batches = list(DataLoader(Squares(), batch_size=2))
    np.testing.assert_array_equal(batches[0][0], [[0, 0], [1, 1]])
    np.testing.assert_array_equal(batches[2][1], [0])

    class Singles:
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return np.full(2, index)

    (only_batch,) = list(DataLoader(Singles(), batch_size=3))
    np.testing.assert_array_equal(only_batch[0], [[0, 0], [1, 1], [2, 2]])


def test_array_dataset_indexing():
    X, y = numbered_arrays(4)
    dataset = ArrayDataset(X, y)
    assert len(dataset) == 4
    row, label = dataset[2]
    np.testing.assert_array_equal(row, [4.0, 5.0])
    assert label == 2
    rows, labels = dataset[np.array([3, 0])]
    np.testing.assert_array_equal(labels, [3, 0])
    assert repr(dataset) == "ArrayDataset((4, 2), (4,))"


def test_loader_errors():
    X, y = numbered_arrays(10)
    with pytest.raises(
        ShapeError,
        match=r"^ArrayDataset: arrays must have the same length \(first dimension\), got \[10, 9\]$",
    ):
        DataLoader(X, y[:9])
    with pytest.raises(
        InvalidArgumentError, match=r"^DataLoader: invalid batch_size 0 \(must be a positive integer\)$"
    ):
        DataLoader(X, y, batch_size=0)
    with pytest.raises(InvalidArgumentError, match=r"^DataLoader: invalid batch_size -2"):
        DataLoader(X, batch_size=-2)
    with pytest.raises(InvalidArgumentError, match=r"^DataLoader: invalid batch_size 2.5"):
        DataLoader(X, batch_size=2.5)
    with pytest.raises(InvalidArgumentError, match=r"^DataLoader: needs a dataset or at least one array$"):
        DataLoader(batch_size=2)
    with pytest.raises(ShapeError, match=r"^ArrayDataset: array 1 is 0-d"):
        DataLoader(X, np.float64(3.0))
    with pytest.raises(
        DTypeError,
        match=r"^DataLoader: generator must be a numpy Generator, an integer seed or None, got str$",
    ):
        DataLoader(X, shuffle=True, generator="seed")
    with pytest.raises(DTypeError, match=r"^DataLoader: expected numpy arrays or a dataset"):
        DataLoader(42)
    with pytest.raises(InvalidArgumentError, match=r"^ArrayDataset: needs at least one array$"):
        ArrayDataset()


CLASSIFICATION_SETS = [
    (datasets.spirals, {"n_samples": 300, "n_classes": 3}, 3),
    (datasets.spirals, {"n_samples": 100, "n_classes": 4, "noise": 0.0}, 4),
    (datasets.moons, {"n_samples": 101, "noise": 0.1}, 2),
    (datasets.circles, {"n_samples": 200, "noise": 0.05}, 2),
    (datasets.xor, {"n_samples": 150, "noise": 0.1}, 2),
]


@pytest.mark.parametrize(("make", "kwargs", "class_count"), CLASSIFICATION_SETS)
def test_classification_sets_shapes_dtypes_and_determinism(make, kwargs, class_count):
    X, y = make(**kwargs, seed=0)
    n = kwargs["n_samples"]
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(np.unique(y)) == set(range(class_count))
    assert np.all(np.isfinite(X))
    X_again, y_again = make(**kwargs, seed=0)
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    if kwargs.get("noise", 1) > 0:
        X_other, _ = make(**kwargs, seed=1)
        assert not np.array_equal(X, X_other)


def test_spirals_split_samples_evenly_between_classes():
    _, y = datasets.spirals(n_samples=100, n_classes=3)
    assert np.bincount(y).tolist() == [34, 33, 33]


def test_noise_free_sets_have_their_exact_geometry():
    X, y = datasets.circles(n_samples=100, noise=0.0, factor=0.3)
    radii = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radii[y == 0], 1.0)
    np.testing.assert_allclose(radii[y == 1], 0.3)

    X, y = datasets.moons(n_samples=100, noise=0.0)
    np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(X[y == 1] - [1.0, 0.5], axis=1), 1.0)

    X, y = datasets.xor(n_samples=100, noise=0.0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))

    X, y = datasets.spirals(n_samples=30, n_classes=3, noise=0.0)
    np.testing.assert_allclose(np.linalg.norm(X[:10], axis=1), np.linspace(0, 1, 10))


def test_sine_regression():
    X, y = datasets.sine(n_samples=50, noise=0.0, seed=3)
    assert X.shape == (50, 1) and y.shape == (50, 1)
    assert X.dtype == y.dtype == np.float64
    assert X.min() >= -np.pi and X.max() <= np.pi
    np.testing.assert_allclose(y, np.sin(X))
    noisy_X, noisy_y = datasets.sine_regression(n_samples=50, noise=0.1, seed=3)
    np.testing.assert_array_equal(noisy_X, X)
    assert 0 < np.std(noisy_y - np.sin(noisy_X)) < 0.2
    assert datasets.sine_regression is datasets.sine


def test_digits_when_scikit_learn_is_installed():
    pytest.importorskip("sklearn")
    X, y = datasets.digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


def test_digits_without_scikit_learn_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(
        ImportError, match=r"^digits\(\) needs scikit-learn: pip install 'autograd-core\[digits\]'$"
    ):
        datasets.digits()
    with pytest.raises(datasets.OptionalDependencyError):
        datasets.digits()


def test_train_test_split():
    X, y = numbered_arrays(10)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25, seed=0)
    assert len(X_test) == len(y_test) == 3
    assert len(X_train) == len(y_train) == 7
    np.testing.assert_array_equal(X_train, X[y_train])
    np.testing.assert_array_equal(X_test, X[y_test])
    assert sorted(np.concatenate([y_train, y_test])) == list(range(10))

    again = datasets.train_test_split(X, y, test_size=0.25, seed=0)
    for a, b in zip(again, (X_train, X_test, y_train, y_test), strict=True):
        np.testing.assert_array_equal(a, b)
    _, _, _, other_test = datasets.train_test_split(X, y, test_size=0.25, seed=1)
    assert other_test.tolist() != y_test.tolist()

    _, X_test, _, _ = datasets.train_test_split(X, y, test_size=4)
    assert len(X_test) == 4


def test_dataset_errors():
    with pytest.raises(
        InvalidArgumentError, match=r"^spirals: invalid n_samples 0 \(must be a positive integer\)$"
    ):
        datasets.spirals(n_samples=0)
    with pytest.raises(
        InvalidArgumentError, match=r"^spirals: invalid n_classes 0 \(must be a positive integer\)$"
    ):
        datasets.spirals(n_classes=0)
    with pytest.raises(InvalidArgumentError, match=r"^moons: invalid noise -0.1 \(must be >= 0\)$"):
        datasets.moons(noise=-0.1)
    with pytest.raises(InvalidArgumentError, match=r"^circles: invalid factor 1.5 \(must be in \(0, 1\)\)$"):
        datasets.circles(factor=1.5)
    with pytest.raises(InvalidArgumentError, match=r"^sine: invalid n_samples 2.5"):
        datasets.sine(n_samples=2.5)
    X, y = numbered_arrays(10)
    with pytest.raises(ShapeError, match=r"^train_test_split: X and y must have the same length"):
        datasets.train_test_split(X, y[:5])
    with pytest.raises(InvalidArgumentError, match=r"^train_test_split: invalid test_size 1.5"):
        datasets.train_test_split(X, y, test_size=1.5)
    with pytest.raises(
        InvalidArgumentError, match=r"^train_test_split: test_size 10 gives 10 test samples out of 10"
    ):
        datasets.train_test_split(X, y, test_size=10)
