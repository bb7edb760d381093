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

__all__ = ["ArrayDataset", "DataLoader", "Dataset", "Compose", "GaussianNoise", "RandomShift",
           "RandomFlip"]


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
    `transform` (e.g. `Compose([GaussianNoise(0.05), RandomShift(1, (8, 8))])`) augments the first
    array of every batch (the inputs), drawing its randomness from the same generator.
    """

    def __init__(
        self,
        *arrays_or_dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | int | None = None,
        transform: Any = None,
    ) -> None:
        if transform is not None and not callable(transform):
            raise DTypeError(f"DataLoader: transform must be callable, got {type(transform).__name__}")
        self.transform = transform
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
            batch = self._gather(indices)
            if self.transform is not None:
                batch = (np.asarray(self.transform(batch[0], self.generator)),) + tuple(batch[1:])
            yield batch

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


# ---- data augmentation: transforms of a batch of inputs ------------------------------------------
# Each transform is called as `transform(batch, generator)` on a whole batch (rows are samples) and
# returns a new array; DataLoader(transform=...) passes its own generator, so runs are repeatable.


class Compose:
    """Applies transforms in order: `Compose([GaussianNoise(0.05), RandomShift(1, (8, 8))])`."""

    def __init__(self, transforms: list) -> None:
        for t in transforms:
            if not callable(t):
                raise DTypeError(f"Compose: every transform must be callable, got {type(t).__name__}")
        self.transforms = list(transforms)

    def __call__(self, batch: np.ndarray, generator: np.random.Generator) -> np.ndarray:
        for t in self.transforms:
            batch = t(batch, generator)
        return batch

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


class GaussianNoise:
    """Adds N(0, std^2) noise to every input value."""

    def __init__(self, std: float = 0.05) -> None:
        if not (isinstance(std, numbers.Real) and std >= 0):
            raise InvalidArgumentError(f"GaussianNoise: std must be >= 0, got {std!r}")
        self.std = float(std)

    def __call__(self, batch: np.ndarray, generator: np.random.Generator) -> np.ndarray:
        noise = generator.standard_normal(batch.shape) * self.std
        return (batch + noise).astype(batch.dtype, copy=False)

    def __repr__(self) -> str:
        return f"GaussianNoise(std={self.std:g})"


def _as_images(batch: np.ndarray, image_shape: tuple | None, name: str) -> np.ndarray:
    """The batch as (N, ..., H, W): flat rows are reshaped to image_shape."""
    if image_shape is not None:
        size = int(np.prod(image_shape))
        if batch.ndim < 2 or int(np.prod(batch.shape[1:])) != size:
            raise ShapeError(f"{name}: samples of shape {batch.shape[1:]} do not fit image_shape "
                             f"{tuple(image_shape)}")
        return batch.reshape((len(batch),) + tuple(image_shape))
    if batch.ndim < 3:
        raise ShapeError(f"{name}: a batch of shape {batch.shape} is not images; pass image_shape= "
                         "(e.g. (8, 8) for flat digits)")
    return batch


class RandomShift:
    """Shifts each image by a random whole number of pixels in [-max_shift, max_shift] along height
    and width, filling with `fill` (translation invariance, the notes' remedy for overfitting)."""

    def __init__(self, max_shift: int = 1, image_shape: tuple | None = None, fill: float = 0.0) -> None:
        if not isinstance(max_shift, numbers.Integral) or max_shift < 0:
            raise InvalidArgumentError(f"RandomShift: max_shift must be an int >= 0, got {max_shift!r}")
        self.max_shift = int(max_shift)
        self.image_shape = None if image_shape is None else tuple(int(n) for n in image_shape)
        self.fill = fill

    def __call__(self, batch: np.ndarray, generator: np.random.Generator) -> np.ndarray:
        images = _as_images(batch, self.image_shape, "RandomShift")
        height, width = images.shape[-2:]
        m = self.max_shift
        padded = np.full(images.shape[:-2] + (height + 2 * m, width + 2 * m), self.fill,
                         dtype=images.dtype)
        padded[..., m:m + height, m:m + width] = images
        shifts = generator.integers(-m, m + 1, size=(len(images), 2))
        out = np.empty_like(images)
        for i, (dy, dx) in enumerate(shifts):
            out[i] = padded[i, ..., m - dy:m - dy + height, m - dx:m - dx + width]
        return out.reshape(batch.shape)

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift}, image_shape={self.image_shape})"


class RandomFlip:
    """Mirrors each image left-right (axis -1) or top-bottom (axis -2) with probability p."""

    def __init__(self, p: float = 0.5, axis: int = -1, image_shape: tuple | None = None) -> None:
        if not (isinstance(p, numbers.Real) and 0 <= p <= 1):
            raise InvalidArgumentError(f"RandomFlip: p must be in [0, 1], got {p!r}")
        if axis not in (-1, -2):
            raise InvalidArgumentError(f"RandomFlip: axis must be -1 (width) or -2 (height), got {axis!r}")
        self.p, self.axis = float(p), axis
        self.image_shape = None if image_shape is None else tuple(int(n) for n in image_shape)

    def __call__(self, batch: np.ndarray, generator: np.random.Generator) -> np.ndarray:
        images = _as_images(batch, self.image_shape, "RandomFlip")
        flip = generator.random(len(images)) < self.p
        out = images.copy()
        out[flip] = np.flip(images[flip], axis=self.axis)
        return out.reshape(batch.shape)

    def __repr__(self) -> str:
        return f"RandomFlip(p={self.p:g}, axis={self.axis})"
