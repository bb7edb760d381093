"""Functions that make tensors: tensor, zeros, ones, full, arange, eye, rand, randn, *_like."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import mode
from .errors import DTypeError, InvalidArgumentError, OutOfMemoryError, TracerError
from .tensor import Tensor, _resolve_dtype


def _shape(shape: tuple, name: str = "shape") -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if any(not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0 for n in shape):
        raise InvalidArgumentError(f"{name}: shape must be non-negative integers, got {shape}")
    return tuple(int(n) for n in shape)


def _float_dtype(dtype: Any, name: str = "tensor") -> np.dtype:
    return _resolve_dtype(dtype, name) if dtype is not None else mode.get_default_dtype()


def _allocate(name: str, make: Any, shape: tuple, *args: Any, **kwargs: Any) -> np.ndarray:
    """make(shape, ...) with numpy's "array is too big" refusal turned into a typed error."""
    try:
        return make(shape, *args, **kwargs)
    except ValueError as exc:
        raise InvalidArgumentError(f"{name}: cannot allocate a tensor of shape {shape}: "
                                   f"{exc}") from None
    except MemoryError as exc:
        raise OutOfMemoryError(f"{name}: not enough memory for a tensor of shape {shape}: "
                               f"{exc}") from None


def _numeric_fill(fill_value: Any, name: str) -> None:
    kind = np.asarray(fill_value.data if isinstance(fill_value, Tensor) else fill_value).dtype.kind
    if kind not in "biufc":
        raise DTypeError(f"{name}: fill_value must be a number, got {fill_value!r}")


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def generator(seed: Any = None) -> np.random.Generator:
    """A numpy Generator from a seed, an existing Generator (returned as is), or None (fresh)."""
    if isinstance(seed, np.random.Generator):
        return seed
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"generator: seed must be a non-negative int, a numpy Generator "
                                   f"or None, got {seed!r}") from None


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new leaf tensor holding a copy of `data` (Python floats become the default dtype)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(_allocate("zeros", np.zeros, _shape(shape, "zeros"),
                           dtype=_float_dtype(dtype, "zeros")), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(_allocate("ones", np.ones, _shape(shape, "ones"),
                           dtype=_float_dtype(dtype, "ones")), requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape = _shape(tuple(shape) if isinstance(shape, (tuple, list)) else (shape,), "full")
    _numeric_fill(fill_value, "full")
    if dtype is None:
        dtype = np.asarray(fill_value).dtype
        if dtype == np.float64 and isinstance(fill_value, float):
            dtype = mode.get_default_dtype()
    return _make(_allocate("full", np.full, shape, fill_value, dtype=_resolve_dtype(dtype, "full")),
                 requires_grad)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop); integers stay int64, floats take the default dtype."""
    if stop is None:
        start, stop = 0, start
    resolved = _resolve_dtype(dtype, "arange")
    for label, value in (("start", start), ("end", stop), ("step", step)):
        if isinstance(value, Tensor) and value.size == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise DTypeError(f"arange: {label} must be a real number, got {value!r}")
        if not np.isfinite(value):
            raise InvalidArgumentError(f"arange: {label} must be finite, got {value!r}")
    if step == 0:
        raise InvalidArgumentError(f"arange: step must be nonzero, got arange({start}, {stop}, {step})")
    if (stop - start) / step > 2 ** 40:
        raise InvalidArgumentError(f"arange: arange({start}, {stop}, {step}) would have "
                                   f"{(stop - start) / step:.3g} elements")
    array = np.arange(start, stop, step)
    if resolved is not None:
        array = array.astype(resolved)
    elif array.dtype == np.float64:
        array = array.astype(mode.get_default_dtype())
    return _make(array, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    for label, value in (("n", n), ("m", m)):
        if value is None and label == "m":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise DTypeError(f"eye: {label} must be an int, got {value!r}")
        if value < 0:
            raise InvalidArgumentError(f"eye: {label} must be non-negative, got {value}")
    return _make(_allocate("eye", np.eye, n, m, dtype=_float_dtype(dtype, "eye")), requires_grad)


def rand(*shape: Any, generator: Any = None, seed: Any = None, rng: Any = None, dtype: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples from a numpy Generator (or a seed) for reproducibility."""
    return _random("rand", "random", shape, generator, seed, rng, dtype, requires_grad)


def randn(*shape: Any, generator: Any = None, seed: Any = None, rng: Any = None, dtype: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples from a numpy Generator (or a seed)."""
    return _random("randn", "standard_normal", shape, generator, seed, rng, dtype, requires_grad)


def _random(name: str, method: str, shape: tuple, generator_arg: Any, seed: Any, rng: Any,
            dtype: Any, requires_grad: bool) -> Tensor:
    """A random tensor drawn through a recorded op (ops.nn_ops.RandomDraw), so that a traced
    function re-draws it from the same generator on every replay. A new leaf that requires grad
    cannot be replayed (each eager call would make a new one): TracerError inside trace()."""
    from . import graph
    from .ops.nn_ops import GeneratorSource, random_draw

    shape = _shape(shape, name)
    dtype = _float_dtype(dtype, name)
    if dtype.kind not in "fc":
        raise DTypeError(f"{name}: expected a floating dtype, got {dtype}")
    chosen = next((g for g in (generator_arg, rng, seed) if g is not None), None)
    if not (chosen is None or isinstance(chosen, np.random.Generator) or (
            isinstance(chosen, (int, np.integer)) and not isinstance(chosen, bool))):
        raise InvalidArgumentError(f"{name}: generator must be a numpy Generator, an int seed or "
                                   f"None, got {type(chosen).__name__}")
    if requires_grad and any(getattr(tape, "tracing", False) for tape in graph.active_tapes):
        raise TracerError(f"trace: {name}(..., requires_grad=True) inside a traced function makes a "
                          "new leaf on every eager call, which a replay cannot reproduce; create "
                          "it outside the traced function")
    source = chosen if isinstance(chosen, np.random.Generator) else GeneratorSource(generator,
                                                                                    chosen)
    result = random_draw(source, method, shape, dtype)
    if requires_grad:
        result.requires_grad_(True)
    return result


def _pick_generator(generator_arg: Any, seed: Any, rng: Any) -> np.random.Generator:
    chosen = next((g for g in (generator_arg, rng, seed) if g is not None), None)
    return generator(chosen)


def zeros_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    data = _data_of(x, "zeros_like")
    return _make(np.zeros(data.shape, dtype=_like_dtype(dtype, data, "zeros_like")), requires_grad)


def ones_like(x: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    data = _data_of(x, "ones_like")
    return _make(np.ones(data.shape, dtype=_like_dtype(dtype, data, "ones_like")), requires_grad)


def full_like(x: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    data = _data_of(x, "full_like")
    _numeric_fill(fill_value, "full_like")
    return _make(np.full(data.shape, fill_value, dtype=_like_dtype(dtype, data, "full_like")),
                 requires_grad)


def _data_of(x: Any, name: str) -> np.ndarray:
    """The array of the model tensor of a *_like factory (typed error for non-numeric data)."""
    if isinstance(x, Tensor):
        return x.data
    try:
        return Tensor(x).data
    except DTypeError:
        raise DTypeError(f"{name}: expected a tensor or numeric array, got "
                         f"{type(x).__name__}") from None


def _like_dtype(dtype: Any, data: np.ndarray, name: str) -> np.dtype:
    """The dtype of a *_like result: `dtype` when given, else the model's (which must be numeric)."""
    if dtype is not None:
        return _resolve_dtype(dtype, name)
    return _resolve_dtype(data.dtype, name)
