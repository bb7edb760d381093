"""Functions that make tensors: tensor, zeros, ones, full, arange, eye, rand, randn, *_like."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import mode
from . import random as _rng
from .errors import DTypeError, InvalidArgumentError, OutOfMemoryError, TracerError
from .tensor import Tensor, _resolve_dtype
from .tensor import is_differentiable_dtype, is_floating_dtype


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
    return _random_tensor("rand", "random", shape, generator, seed, rng, dtype, requires_grad)


def randn(*shape: Any, generator: Any = None, seed: Any = None, rng: Any = None, dtype: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples from a numpy Generator (or a seed)."""
    return _random_tensor("randn", "standard_normal", shape, generator, seed, rng, dtype, requires_grad)


def _random_tensor(name: str, method: str, shape: tuple, generator_arg: Any, seed: Any, rng: Any,
            dtype: Any, requires_grad: bool) -> Tensor:
    """A random tensor drawn through a recorded op (ops.nn_ops.RandomDraw), so that a traced
    function re-draws it from the same generator on every replay. A new leaf that requires grad
    cannot be replayed (each eager call would make a new one): TracerError inside trace()."""
    from . import graph
    from .ops.nn_ops import GeneratorSource, random_draw

    shape = _shape(shape, name)
    dtype = _float_dtype(dtype, name)
    if not is_differentiable_dtype(dtype):
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
    source = chosen if isinstance(chosen, np.random.Generator) else GeneratorSource(_rng.resolve,
                                                                                    chosen)
    result = random_draw(source, method, shape, dtype)
    if requires_grad:
        result.requires_grad_(True)
    return result


def _pick_generator(generator_arg: Any, seed: Any, rng: Any) -> np.random.Generator:
    chosen = next((g for g in (generator_arg, rng, seed) if g is not None), None)
    return _rng.resolve(chosen)  # the global generator when none is given


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


# ---- newops10a: more factories and random sampling (PyTorch's signatures) ----------------------
# linspace, logspace, empty, empty_like, rand_like, randn_like, randint, randint_like, randperm,
# multinomial, normal, bernoulli. Every random one draws from `generator=` when given (a numpy
# Generator) and otherwise from the global generator of autograd_core.random (manual_seed).

from .errors import ShapeError  # noqa: E402
from .graph import Op as _Op  # noqa: E402
from .graph import apply as _apply  # noqa: E402
from .random import get_rng_state, manual_seed, set_rng_state  # noqa: E402,F401


def _scalar(value: Any, op: str, what: str) -> Any:
    """A Python number from a number or a one-element tensor/array (torch accepts 0-d tensors)."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise InvalidArgumentError(f"{op}: {what} must be a number or a one-element tensor, "
                                       f"got shape {value.shape}")
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(f"{op}: {what} must be a number, got {type(value).__name__}")
    return value


def _count(value: Any, op: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise InvalidArgumentError(f"{op}: {what} must be a non-negative int, got {value!r}")
    return int(value)


def _data(x: Any, op: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, np.ndarray):
        return x
    raise InvalidArgumentError(f"{op}: expected a tensor, got {type(x).__name__}")


def _floating(dtype: np.dtype, op: str) -> np.dtype:
    if not is_floating_dtype(dtype):
        raise DTypeError(f"{op}: expected a floating dtype, got {dtype}")
    return dtype


def _symmetric_ramp(start: float, end: float, steps: int) -> np.ndarray:
    """start..end in `steps` points, in float64, as PyTorch computes it: the first half counts up
    from start and the second half down from end, so both ends are exact."""
    if steps == 1:
        return np.array([start], dtype=np.float64)
    step = (end - start) / (steps - 1)
    i = np.arange(steps, dtype=np.float64)
    return np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive (torch.linspace): shape (steps,),
    the default float dtype unless `dtype` is given."""
    start, end = _scalar(start, "linspace", "start"), _scalar(end, "linspace", "end")
    steps = _count(steps, "linspace", "steps")
    values = _symmetric_ramp(float(start), float(end), steps) if steps else np.zeros(0)
    return _make(values.astype(_float_dtype(dtype)), requires_grad)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps) (torch.logspace): shape (steps,)."""
    start, end = _scalar(start, "logspace", "start"), _scalar(end, "logspace", "end")
    base = _scalar(base, "logspace", "base")
    steps = _count(steps, "logspace", "steps")
    exponents = _symmetric_ramp(float(start), float(end), steps) if steps else np.zeros(0)
    return _make(np.power(float(base), exponents).astype(_float_dtype(dtype)), requires_grad)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of `shape` (varargs or one tuple), as torch.empty."""
    return _make(np.empty(_shape(shape), dtype=_float_dtype(dtype)), requires_grad)


def empty_like(x: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with x's shape and (unless given) dtype."""
    data = _data(x, "empty_like")
    return _make(np.empty(data.shape, dtype=_resolve_dtype(dtype) or data.dtype), requires_grad)


def rand_like(x: Any, *, dtype: Any = None, generator: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples with x's shape and (floating) dtype."""
    data = _data(x, "rand_like")
    dtype = _floating(_resolve_dtype(dtype) or data.dtype, "rand_like")
    return _make(_rng.resolve(generator).random(data.shape).astype(dtype), requires_grad)


def randn_like(x: Any, *, dtype: Any = None, generator: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Standard normal samples with x's shape and (floating) dtype."""
    data = _data(x, "randn_like")
    dtype = _floating(_resolve_dtype(dtype) or data.dtype, "randn_like")
    return _make(_rng.resolve(generator).standard_normal(data.shape).astype(dtype),
                 requires_grad)


def _integers(op: str, low: Any, high: Any, shape: tuple, dtype: np.dtype,
              generator: Any) -> np.ndarray:
    low, high = _scalar(low, op, "low"), _scalar(high, op, "high")
    if int(low) != low or int(high) != high:
        raise InvalidArgumentError(f"{op}: low and high must be integers, got {low!r} and {high!r}")
    if high <= low:
        raise InvalidArgumentError(f"{op}: expected low < high, got low={low}, high={high}")
    draws = _rng.resolve(generator).integers(int(low), int(high), size=shape, dtype=np.int64)
    return draws.astype(dtype)


def randint(*args: Any, size: Any = None, low: Any = None, high: Any = None, generator: Any = None,
            dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform integers in [low, high) (torch.randint): `randint(high, size)` or
    `randint(low, high, size)`; int64 unless `dtype` is given."""
    args = list(args)
    if size is None:
        if not args:
            raise InvalidArgumentError("randint: missing the size argument")
        size = args.pop()
    if high is None:
        if not args:
            raise InvalidArgumentError("randint: missing the high argument")
        high = args.pop()
    if args:
        if low is not None or len(args) > 1:
            raise InvalidArgumentError("randint: expected randint(high, size) or "
                                       "randint(low, high, size)")
        low = args.pop()
    shape = _shape(tuple(size) if isinstance(size, (tuple, list)) else (size,))
    dtype = _resolve_dtype(dtype) or np.dtype(np.int64)
    return _make(_integers("randint", 0 if low is None else low, high, shape, dtype, generator),
                 requires_grad)


def randint_like(x: Any, low: Any = 0, high: Any = None, *, dtype: Any = None,
                 generator: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform integers in [low, high) with x's shape and dtype: `randint_like(x, high)` or
    `randint_like(x, low, high)`."""
    data = _data(x, "randint_like")
    if high is None:
        low, high = 0, low
    dtype = _resolve_dtype(dtype) or data.dtype
    return _make(_integers("randint_like", low, high, data.shape, dtype, generator), requires_grad)


def randperm(n: int, *, generator: Any = None, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1, int64 unless `dtype` is given."""
    n = _count(n, "randperm", "n")
    dtype = _resolve_dtype(dtype) or np.dtype(np.int64)
    return _make(_rng.resolve(generator).permutation(n).astype(dtype), requires_grad)


def multinomial(input: Any, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Any = None) -> Tensor:
    """Indices drawn from the categories of each row of `input` (non-negative weights, 1-D of
    shape (C,) or 2-D (N, C)), with probability proportional to the weights: shape (k,) or (N, k),
    int64. Without replacement no row repeats an index (weighted sampling by exponential races:
    the k smallest of E_c / w_c are drawn in order, which is successive weighted drawing)."""
    weights = np.asarray(_data(input, "multinomial"), dtype=np.float64)
    k = num_samples
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
        raise InvalidArgumentError(f"multinomial: num_samples must be a positive int, got {k!r}")
    if weights.ndim not in (1, 2) or weights.shape[-1] == 0:
        raise ShapeError(f"multinomial: expected a 1-D or 2-D tensor with at least one category, "
                         f"got shape {weights.shape}")
    rows = weights.reshape(-1, weights.shape[-1])
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise InvalidArgumentError("multinomial: weights must be finite and non-negative")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise InvalidArgumentError("multinomial: each row of weights must have a positive sum")
    if not replacement and k > rows.shape[1]:
        raise InvalidArgumentError(f"multinomial: cannot draw {k} samples without replacement "
                                   f"from {rows.shape[1]} categories")
    rng = _rng.resolve(generator)
    if replacement:
        cdf = np.cumsum(rows, axis=1) / totals[:, None]
        u = rng.random((rows.shape[0], k))
        picks = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        picks = np.minimum(picks, rows.shape[1] - 1)  # guards the rounding of cdf[-1] below 1
    else:
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(rows.shape) / rows  # weight 0: key inf, drawn last
        picks = np.argsort(keys, axis=1, kind="stable")[:, :k]
    return _make(picks.reshape(weights.shape[:-1] + (k,)).astype(np.int64), False)


class _Sample(_Op):
    """A random sample drawn by the factory (attribute `sample`); its gradient with respect to the
    distribution's parameters is zero, as PyTorch's normal/bernoulli define it."""

    name = "sample"
    saved_inputs = ()

    def forward(*arrays, sample):
        return sample

    def vjp(xp, needs, g, out, *inputs, sample):
        return tuple(xp.zeros_like(g) if need else None for need in needs)


class Normal(_Sample):
    name = "normal"


class Bernoulli(_Sample):
    name = "bernoulli"


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples (torch.normal): `normal(mean_tensor, std_tensor_or_float)`,
    `normal(float, std_tensor)` (shape of the broadcast tensors), or `normal(float, float, size)`.
    With tensor parameters the result is differentiable with zero gradient, as torch."""
    rng = _rng.resolve(generator)
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise InvalidArgumentError("normal: with float mean and std, size must be given")
        mean, std = _scalar(mean, "normal", "mean"), _scalar(std, "normal", "std")
        if std < 0:
            raise InvalidArgumentError(f"normal: std must be >= 0, got {std}")
        shape = _shape(tuple(size) if isinstance(size, (tuple, list)) else (size,))
        sample = mean + std * rng.standard_normal(shape)
        return _make(sample.astype(_float_dtype(dtype)), requires_grad)
    if size is not None:
        raise InvalidArgumentError("normal: size is only accepted with float mean and std")
    out_dtype = np.result_type(*[t.dtype for t in tensors])
    _floating(out_dtype, "normal")
    m = mean.data if isinstance(mean, Tensor) else _scalar(mean, "normal", "mean")
    s = std.data if isinstance(std, Tensor) else _scalar(std, "normal", "std")
    if np.any(np.asarray(s) < 0):
        raise InvalidArgumentError("normal: std must be >= 0")
    try:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    except ValueError:
        raise ShapeError(f"normal: mean {np.shape(m)} and std {np.shape(s)} cannot be broadcast "
                         "together") from None
    sample = (m + s * rng.standard_normal(shape)).astype(out_dtype)
    return _apply(Normal, (mean, std), {"sample": sample})


def bernoulli(input: Any, p: Any = None, *, generator: Any = None) -> Tensor:  # noqa: A002
    """0/1 samples, 1 with probability input (or `p` for every element when given), in input's
    dtype (torch.bernoulli); differentiable with zero gradient, as torch."""
    probs = _data(input, "bernoulli")
    _floating(probs.dtype, "bernoulli")
    if p is not None:
        probs = np.full(probs.shape, _scalar(p, "bernoulli", "p"))
    if probs.size and (np.isnan(probs).any() or probs.min() < 0 or probs.max() > 1):
        raise InvalidArgumentError("bernoulli: probabilities must be in [0, 1]")
    sample = (_rng.resolve(generator).random(probs.shape) < probs).astype(input.dtype)
    return _apply(Bernoulli, (input,), {"sample": sample})


# ---- device=, as PyTorch code passes it ------------------------------------------------------------

def _accepting_device(factory: Any) -> Any:
    """The factory with torch's placement keywords: `device` must name the CPU (it is the only
    one); `pin_memory` and `layout` (strided only) are accepted for drop-in code."""
    import functools

    from .device import check_device

    @functools.wraps(factory)
    def wrapper(*args: Any, device: Any = None, pin_memory: bool = False, layout: Any = None,
                **kwargs: Any) -> Tensor:
        check_device(device, factory.__name__)
        if layout is not None and str(layout) not in ("strided", "torch.strided"):
            raise InvalidArgumentError(f"{factory.__name__}: only the strided layout exists here, "
                                       f"got {layout!r}")
        return factory(*args, **kwargs)

    return wrapper


for _name in ("tensor", "zeros", "ones", "full", "arange", "eye", "rand", "randn", "zeros_like",
              "ones_like", "full_like", "linspace", "logspace", "empty", "empty_like", "rand_like",
              "randn_like", "randint", "randint_like", "randperm", "normal", "bernoulli"):
    globals()[_name] = _accepting_device(globals()[_name])
