"""Mini-batches over numpy arrays: ArrayDataset (like PyTorch's TensorDataset) and DataLoader.

    loader = DataLoader(X, y, batch_size=32, shuffle=True, generator=0)
    for xb, yb in loader:      # numpy arrays, (32, d) and (32,)
        ...

With a seed (or np.random.Generator), every epoch gets a new shuffle and the whole run is repeatable.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np

from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError

__all__ = ["ArrayDataset", "DataLoader", "Dataset"]


class Dataset(Protocol):
    """Anything with a length whose items are tuples of arrays (or single arrays), one sample each."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Any: ...


class ArrayDataset:
    """Samples are rows of the given arrays, which must all have the same length (first dimension).

    `dataset[i]` is a tuple with row i of each array; `dataset[index_array]` gathers many rows at once.
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise InvalidArgumentError("ArrayDataset: needs at least one array")
        self.arrays = tuple(np.asarray(array) for array in arrays)
        for position, array in enumerate(self.arrays):
            if array.ndim == 0:
                raise ShapeError(
                    f"ArrayDataset: array {position} is 0-d; samples are rows, so it needs a length"
                )
        lengths = [len(array) for array in self.arrays]
        if len(set(lengths)) > 1:
            raise ShapeError(
                f"ArrayDataset: arrays must have the same length (first dimension), got {lengths}"
            )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        return tuple(array[index] for array in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(str(array.shape) for array in self.arrays)
        return f"ArrayDataset({shapes})"


class DataLoader:
    """Iterate over a dataset in mini-batches, each a tuple of numpy arrays with batch_size rows.

    Give numpy arrays (rows are samples) or one dataset. `len(loader)` is the number of batches per epoch;
    the last batch is smaller unless `drop_last`. `generator` (a seed or np.random.Generator) makes
    shuffling deterministic; each new iteration (epoch) draws a fresh permutation from it.
    """

    def __init__(
        self,
        *arrays_or_dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | int | None = None,
    ) -> None:
        if not arrays_or_dataset:
            raise InvalidArgumentError("DataLoader: needs a dataset or at least one array")
        if len(arrays_or_dataset) == 1 and not isinstance(arrays_or_dataset[0], (np.ndarray, list, tuple)):
            dataset = arrays_or_dataset[0]
            if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
                raise DTypeError(
                    f"DataLoader: expected numpy arrays or a dataset with __len__ and __getitem__, "
                    f"got {type(dataset).__name__}"
                )
            self.dataset = dataset
        else:
            self.dataset = ArrayDataset(*arrays_or_dataset)
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise InvalidArgumentError(
                f"DataLoader: invalid batch_size {batch_size!r} (must be a positive integer)"
            )
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = _as_generator(generator)

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.dataset) // self.batch_size
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        sample_count = len(self.dataset)
        order = self.generator.permutation(sample_count) if self.shuffle else np.arange(sample_count)
        for batch_index in range(len(self)):
            indices = order[batch_index * self.batch_size : (batch_index + 1) * self.batch_size]
            yield self._gather(indices)

    def _gather(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        if isinstance(self.dataset, ArrayDataset):
            return self.dataset[indices]
        samples = [self.dataset[int(index)] for index in indices]
        if not isinstance(samples[0], tuple):
            return (np.stack([np.asarray(sample) for sample in samples]),)
        return tuple(
            np.stack([np.asarray(field) for field in fields]) for fields in zip(*samples, strict=True)
        )


def _as_generator(generator: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is None or (isinstance(generator, numbers.Integral) and not isinstance(generator, bool)):
        return np.random.default_rng(generator)
    raise DTypeError(
        "DataLoader: generator must be a numpy Generator, an integer seed or None, "
        f"got {type(generator).__name__}"
    )
