"""Parameter initialisation (torch.nn.init): each function fills `tensor.data` in place under no_grad
and returns the tensor.

Random functions take `generator=`: a numpy Generator, an int seed, or None for this module's
default generator, which `manual_seed(seed)` reseeds (it starts seeded with 0, so runs repeat).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_core import Tensor, no_grad
from autograd_core.errors import DTypeError, InvalidArgumentError
from autograd_core.tensor import is_differentiable_dtype

__all__ = [
    "calculate_gain", "constant_", "default_generator", "get_generator", "kaiming_normal_",
    "kaiming_uniform_", "manual_seed", "normal_", "ones_", "resolve_generator", "trunc_normal_",
    "uniform_", "xavier_normal_", "xavier_uniform_", "zeros_", "eye_",
]

GeneratorLike = np.random.Generator | int | None

_default_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseeds the default generator every layer and init function uses when given none."""
    global _default_generator
    _default_generator = np.random.default_rng(seed)
    return _default_generator


def default_generator() -> np.random.Generator:
    """The current default generator (replaced by each `manual_seed`)."""
    return _default_generator


get_generator = default_generator


def resolve_generator(generator: GeneratorLike) -> np.random.Generator:
    """A numpy Generator from a Generator (as is), an int seed (a new Generator) or None (default)."""
    if generator is None:
        return _default_generator
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise InvalidArgumentError(f"generator must be a numpy Generator, an int seed or None, "
                               f"got {type(generator).__name__}")


def _check_tensor(tensor: Any, name: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise DTypeError(f"nn.init.{name}: expected a Tensor, got {type(tensor).__name__}")
    if not is_differentiable_dtype(tensor.dtype):
        raise DTypeError(f"nn.init.{name}: expected a floating tensor, got {tensor.dtype}")
    return tensor


def _fill(tensor: Tensor, values: Any) -> Tensor:
    with no_grad():
        tensor.copy_(np.asarray(values, dtype=tensor.dtype))
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity: 1 (linear, conv, sigmoid), 5/3 (tanh), sqrt(2) (relu),
    sqrt(2 / (1 + slope^2)) (leaky_relu, slope 0.01 by default), 3/4 (selu)."""
    linear_like = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                   "conv_transpose3d", "sigmoid")
    if nonlinearity in linear_like:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise InvalidArgumentError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise InvalidArgumentError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight (out, in, *kernel): in * receptive field, out * receptive field."""
    if tensor.ndim < 2:
        raise InvalidArgumentError(f"nn.init: fan in and fan out can not be computed for a tensor "
                                   f"with fewer than 2 dimensions (shape {tensor.shape})")
    receptive_field = int(np.prod(tensor.shape[2:], dtype=np.int64)) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise InvalidArgumentError(f"nn.init: mode {mode!r} not supported, please use one of "
                                   "'fan_in', 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: GeneratorLike = None) -> Tensor:
    """Fills with U(a, b)."""
    _check_tensor(tensor, "uniform_")
    return _fill(tensor, resolve_generator(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: GeneratorLike = None) -> Tensor:
    """Fills with N(mean, std^2)."""
    _check_tensor(tensor, "normal_")
    return _fill(tensor, resolve_generator(generator).normal(mean, std, size=tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: GeneratorLike = None) -> Tensor:
    """Fills with N(mean, std^2) restricted to [a, b] (resampling the values that fall outside)."""
    _check_tensor(tensor, "trunc_normal_")
    rng = resolve_generator(generator)
    values = rng.normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = rng.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fills with the value `val`."""
    _check_tensor(tensor, "constant_")
    return _fill(tensor, np.full(tensor.shape, val))


def ones_(tensor: Tensor) -> Tensor:
    """Fills with 1."""
    return constant_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fills with 0."""
    return constant_(tensor, 0.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fills a 2-D tensor with the identity matrix (ones on the diagonal)."""
    _check_tensor(tensor, "eye_")
    if tensor.ndim != 2:
        raise InvalidArgumentError(f"nn.init.eye_: only 2-D tensors are supported, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: GeneratorLike = None) -> Tensor:
    """Fills with U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    _check_tensor(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator=generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: GeneratorLike = None) -> Tensor:
    """Fills with N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    _check_tensor(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator=generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: GeneratorLike = None) -> Tensor:
    """Fills with U(-bound, bound), bound = gain * sqrt(3 / fan) (He et al., 2015); gain from
    `calculate_gain(nonlinearity, a)`."""
    _check_tensor(tensor, "kaiming_uniform_")
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator=generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: GeneratorLike = None) -> Tensor:
    """Fills with N(0, std^2), std = gain / sqrt(fan)."""
    _check_tensor(tensor, "kaiming_normal_")
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator=generator)
