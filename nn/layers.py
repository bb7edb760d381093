"""Layers with parameters or state: Linear, MLP, Dropout, BatchNorm1d/2d, LayerNorm, Embedding,
Conv2d, MaxPool2d, AvgPool2d, Flatten and Residual; and (issue 10) Conv1d, ConvTranspose1d/2d,
MaxPool1d, AvgPool1d, AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d, Upsample, GroupNorm,
InstanceNorm1d/2d and Unflatten.

Constructors follow PyTorch's signatures and initialisation; every layer with random state also
takes `generator=` (a numpy Generator, an int seed, or None for nn.init's default generator).
"""

from __future__ import annotations

import copy
import math
from typing import Any, Sequence

import numpy as np

import autograd_core.ops as ops
from autograd_core import Tensor, get_default_dtype, no_grad
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError, UnsupportedError
from autograd_core.graph import apply as _apply
from autograd_core.ops.linalg import Linear as _LinearOp

from . import functional as F
from . import init
from .activations import (CELU, ELU, GELU, SELU, Hardsigmoid, Hardswish, Hardtanh, Identity, LeakyReLU,
                          LogSigmoid, Mish, ReLU, ReLU6, Sigmoid, SiLU, Softplus, Softsign, Tanh, Tanhshrink)
from .containers import Sequential
from .init import GeneratorLike, resolve_generator
from .module import Module, Parameter
from autograd_core.tensor import is_floating_dtype
from autograd_core.tensor import _resolve_dtype

__all__ = ["Linear", "MLP", "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding", "Conv2d",
           "MaxPool2d", "AvgPool2d", "Flatten", "Residual"]


def _factory_dtype(dtype: Any, device: Any, owner: str) -> np.dtype:
    """The parameter dtype (the default dtype when None); only the CPU device exists."""
    if device is not None and str(device) not in ("cpu", "cpu:0"):
        raise UnsupportedError(f"{owner}: only device='cpu' is available, got {device!r}")
    if isinstance(dtype, str):
        dtype = dtype.replace("torch.", "")
    resolved = get_default_dtype() if dtype is None else _resolve_dtype(dtype)
    if not is_floating_dtype(resolved):
        raise DTypeError(f"{owner}: parameters must have a floating dtype, got {resolved}")
    return resolved


def _positive_int(value: Any, owner: str, name: str, allow_zero: bool = False) -> int:
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not is_int or value < (0 if allow_zero else 1):
        kind = "a non-negative" if allow_zero else "a positive"
        raise InvalidArgumentError(f"{owner}: {name} must be {kind} int, got {value!r}")
    return int(value)


def _empty_parameter(shape: tuple, dtype: np.dtype) -> Parameter:
    return Parameter(np.zeros(shape, dtype=dtype))


def _register_affine(module: Module, shape: Any, dtype: np.dtype, affine: bool, bias: bool) -> None:
    """A norm layer's elementwise affine: weight = 1 and (with `bias`) bias = 0 of `shape`, or
    both registered as None, as torch's norm layers do."""
    module.register_parameter("weight", Parameter(np.ones(shape, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(np.zeros(shape, dtype=dtype)) if affine and bias
                              else None)


def _reset_affine(module: Module) -> None:
    """weight = 1, bias = 0 (those that exist)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


def _check_feature_input(input: Any, owner: str, features: int) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.ndim == 0 or input.shape[-1] != features:
        raise ShapeError(f"{owner}: expected input with {features} features (last dim), "
                         f"got shape {input.shape}")
    return input


class Linear(Module):
    """y = x W^T + b: (*, in_features) -> (*, out_features); weight (out, in) and bias (out,) start
    U(-1/sqrt(in), 1/sqrt(in)) like PyTorch's."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None, *, generator: GeneratorLike = None) -> None:
        super().__init__()
        self.in_features = _positive_int(in_features, "Linear", "in_features", allow_zero=True)
        self.out_features = _positive_int(out_features, "Linear", "out_features", allow_zero=True)
        dtype = _factory_dtype(dtype, device, "Linear")
        self.weight = _empty_parameter((out_features, in_features), dtype)
        if bias:
            self.bias = _empty_parameter((out_features,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: GeneratorLike = None) -> None:
        """Redraws weight (kaiming_uniform_ with a=sqrt(5)) and bias (U(-1/sqrt(in), 1/sqrt(in)))."""
        rng = resolve_generator(generator)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=rng)
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator=rng)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        # the common case (a Tensor input, the layer's own 2-D weight) goes straight to the
        # one `linear` node; anything else takes ops.linear's checked path
        params = self._parameters
        weight, bias = params["weight"], params["bias"]
        if type(input) is Tensor and weight.data.ndim == 2:
            shape = input.data.shape
            if not shape or shape[-1] != self.in_features:
                raise ShapeError(f"Linear: expected input with {self.in_features} features (last dim), "
                                 f"got shape {tuple(shape)}")
            return _apply(_LinearOp, (input, weight) if bias is None else (input, weight, bias))
        x = _check_feature_input(input, "Linear", self.in_features)
        return ops.linear(x, weight, bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "gelu": GELU, "leaky_relu": LeakyReLU,
                "softplus": Softplus, "identity": Identity}
_ACTIVATIONS.update({  # nn10: the issue-10 activations by their F. names
    "silu": SiLU, "elu": ELU, "selu": SELU, "celu": CELU, "relu6": ReLU6, "hardtanh": Hardtanh,
    "hardsigmoid": Hardsigmoid, "hardswish": Hardswish, "mish": Mish, "softsign": Softsign,
    "logsigmoid": LogSigmoid, "tanhshrink": Tanhshrink})


def _make_activation(spec: Any, owner: str) -> Module:
    """A fresh activation module from a name ('relu', ...), a Module class, or a Module instance
    (deep-copied, so no two layers share one)."""
    if isinstance(spec, str):
        if spec.lower() not in _ACTIVATIONS:
            raise InvalidArgumentError(f"{owner}: unknown activation {spec!r}; expected one of "
                                       f"{sorted(_ACTIVATIONS)} or a Module")
        return _ACTIVATIONS[spec.lower()]()
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec()
    if isinstance(spec, Module):
        return copy.deepcopy(spec)
    raise InvalidArgumentError(f"{owner}: activation must be a name, a Module class or a Module instance, "
                               f"got {spec!r}")


class MLP(Sequential):
    """A multilayer perceptron: Linear(sizes[0], sizes[1]), activation, [Dropout], ..., Linear(sizes[-2],
    sizes[-1]), [output_activation]. (N, sizes[0]) -> (N, sizes[-1]).

    It is a Sequential, so parameters are named like PyTorch's equivalent nn.Sequential:
    '0.weight', '0.bias', '2.weight', ... (activations and dropouts take positions too), and its
    state_dict loads into that torch model directly."""

    def __init__(self, sizes: Sequence[int], activation: Any = "relu", output_activation: Any = None,
                 dropout: float = 0.0, bias: bool = True, dtype: Any = None, *,
                 generator: GeneratorLike = None) -> None:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise InvalidArgumentError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        for size in sizes:
            _positive_int(size, "MLP", "every size")
        if not 0.0 <= dropout < 1.0:
            raise InvalidArgumentError(f"MLP: dropout must be in [0, 1), got {dropout}")
        rng = resolve_generator(generator)
        layers: list[Module] = []
        for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(fan_in, fan_out, bias=bias, dtype=dtype, generator=rng))
            if index < len(sizes) - 2:
                if activation is not None:
                    layers.append(_make_activation(activation, "MLP"))
                if dropout > 0:
                    layers.append(Dropout(dropout, generator=None if generator is None else rng))
            elif output_activation is not None:
                layers.append(_make_activation(output_activation, "MLP"))
        super().__init__(*layers)
        self.sizes = tuple(sizes)


class Dropout(Module):
    """Inverted dropout (zero with probability p, scale the rest by 1/(1-p)) in training mode, the
    identity in eval mode; any shape -> same shape. Masks come from `generator`."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *, generator: GeneratorLike = None) -> None:
        super().__init__()
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise InvalidArgumentError(f"Dropout: probability has to be between 0 and 1, but got {p!r}")
        self.p = p
        self.inplace = inplace
        self.generator = None if generator is None else resolve_generator(generator)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout(input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class _BatchNorm(Module):
    """Shared BatchNorm logic; subclasses fix which input ranks they accept."""

    accepted_ranks: tuple = ()
    input_description = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_features = _positive_int(num_features, owner, "num_features")
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = _factory_dtype(dtype, device, owner)
        _register_affine(self, (num_features,), dtype, affine, bias)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._wrap(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor._wrap(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor._wrap(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.copy_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Resets the running statistics, weight = 1 and bias = 0."""
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        owner = type(self).__name__
        if not isinstance(input, Tensor):
            input = Tensor(input)
        if input.ndim not in self.accepted_ranks:
            raise ShapeError(f"{owner}: expected {self.input_description} input, got shape {input.shape}")
        if input.shape[1] != self.num_features:
            raise ShapeError(f"{owner}: expected input with {self.num_features} channels (dim 1), got shape "
                             f"{input.shape}")
        if self.training and input.size // self.num_features <= 1:
            raise InvalidArgumentError(f"{owner}: expected more than 1 value per channel when training, got "
                                       f"input of shape {input.shape}")
        factor: Any = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked += 1
            if self.momentum is None:
                # read when the running statistics are updated (on every traced replay too)
                factor = _CumulativeFactor(self.num_batches_tracked)
        use_batch_statistics = self.training or (self.running_mean is None and self.running_var is None)
        keep_running = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep_running else None,
                            self.running_var if keep_running else None, self.weight, self.bias,
                            use_batch_statistics, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _CumulativeFactor:
    """BatchNorm's momentum=None factor 1 / num_batches_tracked, evaluated at each update."""

    __slots__ = ("count",)

    def __init__(self, count: Tensor) -> None:
        self.count = count

    def __call__(self) -> float:
        return 1.0 / float(self.count.data)

    def __repr__(self) -> str:
        return "1/num_batches_tracked"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) input, per channel C, with PyTorch's running
    statistics: running_mean/var <- (1 - momentum) old + momentum batch (unbiased batch variance);
    momentum=None is a cumulative average. Eval mode normalises with the running statistics."""

    accepted_ranks = (2, 3)
    input_description = "2D (N, C) or 3D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) input, per channel C (see BatchNorm1d)."""

    accepted_ranks = (4,)
    input_description = "4D (N, C, H, W)"


class LayerNorm(Module):
    """Normalises over the last len(normalized_shape) axes (biased variance), then weight * x + bias;
    (*, *normalized_shape) -> same shape."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(_positive_int(n, "LayerNorm", "normalized_shape")
                                      for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = _factory_dtype(dtype, device, "LayerNorm")
        _register_affine(self, self.normalized_shape, dtype, elementwise_affine, bias)

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor):
            input = Tensor(input)
        count = len(self.normalized_shape)
        if input.ndim < count or tuple(input.shape[input.ndim - count:]) != self.normalized_shape:
            raise ShapeError(f"LayerNorm: expected input with trailing shape {self.normalized_shape}, "
                             f"got shape {input.shape}")
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class Embedding(Module):
    """A lookup table: integer indices (*) -> rows of weight (*, embedding_dim). Weight starts N(0, 1)
    (the padding_idx row zero); repeated indices accumulate gradient, padding_idx gets none."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Any = None, _freeze: bool = False, device: Any = None,
                 dtype: Any = None, *, generator: GeneratorLike = None) -> None:
        super().__init__()
        self.num_embeddings = _positive_int(num_embeddings, "Embedding", "num_embeddings", allow_zero=True)
        self.embedding_dim = _positive_int(embedding_dim, "Embedding", "embedding_dim", allow_zero=True)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise InvalidArgumentError(f"Embedding: padding_idx {padding_idx} must be within "
                                           f"num_embeddings ({num_embeddings})")
            padding_idx %= num_embeddings
        if scale_grad_by_freq or sparse:
            raise UnsupportedError("Embedding: scale_grad_by_freq and sparse are not supported")
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = _empty_parameter((num_embeddings, embedding_dim), _factory_dtype(dtype, device,
                                                                                             "Embedding"))
            self.reset_parameters(generator)
        else:
            weight = _weight.data if isinstance(_weight, Tensor) else np.asarray(_weight)
            if weight.shape != (num_embeddings, embedding_dim):
                raise ShapeError(f"Embedding: _weight must have shape ({num_embeddings}, {embedding_dim}), "
                                 f"got {weight.shape}")
            self.weight = Parameter(weight, requires_grad=not _freeze)

    def reset_parameters(self, generator: GeneratorLike = None) -> None:
        """Redraws weight from N(0, 1) and zeroes the padding_idx row."""
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0) -> Embedding:
        """An Embedding holding a copy of a 2-D (num_embeddings, embedding_dim) array, frozen by default."""
        weight = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if weight.ndim != 2:
            raise ShapeError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape {weight.shape}")
        return cls(weight.shape[0], weight.shape[1], padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, _weight=weight.copy(), _freeze=freeze)

    def forward(self, input: Any) -> Tensor:  # noqa: A002
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        return text


def _pair_or_same(value: Any, owner: str, name: str) -> Any:
    if isinstance(value, str):
        if value not in ("same", "valid"):
            raise InvalidArgumentError(f"{owner}: {name} must be an int, a pair, 'valid' or 'same', "
                                       f"got {value!r}")
        return value
    return F._pair(value, owner, name)


class Conv2d(Module):
    """2-D convolution (cross-correlation) of NCHW input: (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = floor((H + 2 padding - dilation (kernel - 1) - 1) / stride) + 1. Weight (out, in/groups, kh, kw)
    and bias start U(-1/sqrt(fan_in), 1/sqrt(fan_in)) like PyTorch's."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: str | int | tuple[int, int] = 0,
                 dilation: int | tuple[int, int] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None, *,
                 generator: GeneratorLike = None) -> None:
        super().__init__()
        self.in_channels = _positive_int(in_channels, "Conv2d", "in_channels")
        self.out_channels = _positive_int(out_channels, "Conv2d", "out_channels")
        self.groups = _positive_int(groups, "Conv2d", "groups")
        if in_channels % groups or out_channels % groups:
            raise InvalidArgumentError(f"Conv2d: in_channels ({in_channels}) and out_channels "
                                       f"({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise InvalidArgumentError(f"Conv2d: padding_mode must be 'zeros', 'reflect', 'replicate' or "
                                       f"'circular', got {padding_mode!r}")
        self.kernel_size = F._pair(kernel_size, "Conv2d", "kernel_size")
        self.stride = F._pair(stride, "Conv2d", "stride")
        self.padding = _pair_or_same(padding, "Conv2d", "padding")
        self.dilation = F._pair(dilation, "Conv2d", "dilation")
        if self.padding == "same" and self.stride != (1, 1):
            raise InvalidArgumentError("Conv2d: padding='same' is not supported for strided convolutions")
        self.output_padding = (0, 0)
        self.transposed = False
        self.padding_mode = padding_mode
        dtype = _factory_dtype(dtype, device, "Conv2d")
        self.weight = _empty_parameter((out_channels, in_channels // groups) + self.kernel_size, dtype)
        if bias:
            self.bias = _empty_parameter((out_channels,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: GeneratorLike = None) -> None:
        """Redraws weight (kaiming_uniform_ with a=sqrt(5)) and bias (U(-1/sqrt(fan_in), 1/sqrt(fan_in)))."""
        rng = resolve_generator(generator)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=rng)
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound, generator=rng)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor):
            input = Tensor(input)
        if input.ndim not in (3, 4) or input.shape[-3] != self.in_channels:
            channels = self.in_channels
            raise ShapeError(f"Conv2d: expected (N, {channels}, H, W) or ({channels}, H, W) input "
                             f"({channels} channels), got shape {input.shape}")
        if self.padding_mode != "zeros":  # nn10: PyTorch pads with F.pad first, then convolves unpadded
            padded = F.pad(input, _reversed_padding(self.padding, self.kernel_size, self.dilation),
                           mode=self.padding_mode)
            return F.conv2d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class MaxPool2d(Module):
    """Max over kernel_size windows of NCHW input (stride defaults to kernel_size):
    (N, C, H, W) -> (N, C, OH, OW); padding counts as -inf."""

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0, dilation: int | tuple[int, int] = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode
        F._pool_arguments("MaxPool2d", kernel_size, self.stride, padding, dilation)

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over kernel_size windows of NCHW input (stride defaults to kernel_size):
    (N, C, H, W) -> (N, C, OH, OW)."""

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override
        F._pool_arguments("AvgPool2d", kernel_size, self.stride, padding)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Flatten(Module):
    """Merges dims start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor):
            input = Tensor(input)
        for dim in (self.start_dim, self.end_dim):
            if not -max(input.ndim, 1) <= dim < max(input.ndim, 1):
                raise InvalidArgumentError(f"Flatten: dimension {dim} is out of range for input of shape "
                                           f"{input.shape}")
        return ops.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Residual(Module):
    """x + module(x), for a module that keeps the shape: (*) -> (*)."""

    def __init__(self, module: Module) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise DTypeError(f"Residual: expected a Module, got {type(module).__name__}")
        self.module = module

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        output = self.module(input)
        if output.shape != input.shape:
            raise ShapeError(f"Residual: the wrapped {type(self.module).__name__} changed the shape from "
                             f"{input.shape} to {output.shape}; x + module(x) needs them equal")
        return input + output


# =====================================================================================================
# ---- nn10: Conv1d, ConvTranspose1d/2d, 1-D and adaptive pooling, Upsample, GroupNorm,
# ---- InstanceNorm1d/2d, Unflatten (issue 10) ---------------------------------------------------------
# =====================================================================================================

__all__ += ["Conv1d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d",
            "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "Upsample", "GroupNorm",
            "InstanceNorm1d", "InstanceNorm2d", "Unflatten"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value: Any, count: int, owner: str, name: str) -> tuple:
    if count == 2:
        return F._pair(value, owner, name)
    return (F._single(value, owner, name),)


def _reversed_padding(padding: Any, kernel: tuple, dilation: tuple) -> tuple:
    """F.pad widths (last dimension first) for a convolution's padding (ints or 'same'/'valid'),
    PyTorch's `_reversed_padding_repeated_twice`."""
    widths: list[int] = []
    for axis in reversed(range(len(kernel))):
        if padding == "valid":
            widths += [0, 0]
        elif padding == "same":
            total = dilation[axis] * (kernel[axis] - 1)
            widths += [total // 2, total - total // 2]
        else:
            widths += [padding[axis], padding[axis]]
    return tuple(widths)


class _ConvNd(Module):
    """Shared constructor, initialisation and repr of Conv1d, ConvTranspose1d and ConvTranspose2d
    (attribute names, weight layout and state_dict keys as PyTorch's _ConvNd): weight
    (out, in/groups, *k) for a convolution, (in, out/groups, *k) when transposed."""

    dims = 1
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any, padding: Any,
                 dilation: Any, output_padding: Any, groups: int, bias: bool, padding_mode: str,
                 device: Any, dtype: Any, generator: GeneratorLike) -> None:
        super().__init__()
        owner = type(self).__name__
        self.in_channels = _positive_int(in_channels, owner, "in_channels")
        self.out_channels = _positive_int(out_channels, owner, "out_channels")
        self.groups = _positive_int(groups, owner, "groups")
        if in_channels % groups or out_channels % groups:
            raise InvalidArgumentError(f"{owner}: in_channels ({in_channels}) and out_channels "
                                       f"({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise InvalidArgumentError(f"{owner}: padding_mode must be one of {_PADDING_MODES}, got "
                                       f"{padding_mode!r}")
        if self.transposed and padding_mode != "zeros":
            raise InvalidArgumentError(f"{owner}: Only 'zeros' padding mode is supported for {owner}")
        self.kernel_size = _ntuple(kernel_size, self.dims, owner, "kernel_size")
        self.stride = _ntuple(stride, self.dims, owner, "stride")
        if isinstance(padding, str) and not self.transposed:
            if padding not in ("same", "valid"):
                raise InvalidArgumentError(f"{owner}: padding must be an int, a tuple, 'valid' or 'same', "
                                           f"got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise InvalidArgumentError(f"{owner}: padding='same' is not supported for strided "
                                           f"convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, self.dims, owner, "padding")
        self.dilation = _ntuple(dilation, self.dims, owner, "dilation")
        self.output_padding = _ntuple(output_padding, self.dims, owner, "output_padding")
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _reversed_padding(self.padding, self.kernel_size,
                                                                  self.dilation)
        dtype = _factory_dtype(dtype, device, owner)
        shape = ((in_channels, out_channels // groups) if self.transposed
                 else (out_channels, in_channels // groups))
        self.weight = _empty_parameter(shape + self.kernel_size, dtype)
        if bias:
            self.bias = _empty_parameter((out_channels,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    reset_parameters = Conv2d.reset_parameters

    def _check_input(self, input: Any) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor):
            input = Tensor(input)
        ranks = (self.dims + 1, self.dims + 2)
        if input.ndim not in ranks or input.shape[-self.dims - 1] != self.in_channels:
            raise ShapeError(f"{type(self).__name__}: expected a {ranks[0]}-D or {ranks[1]}-D input with "
                             f"{self.in_channels} channels (dim -{self.dims + 1}), got shape {input.shape}")
        return input

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self.dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation): (N, in_channels, L) -> (N, out_channels, OL),
    OL = floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1. padding_mode 'reflect',
    'replicate' or 'circular' pads with F.pad first, as PyTorch."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None, *,
                 generator: GeneratorLike = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         padding_mode, device, dtype, generator)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        x = self._check_input(input)
        if self.padding_mode != "zeros":
            x = F.pad(x, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return F.conv1d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None, dtype: Any = None, *,
                 generator: GeneratorLike = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding,
                         groups, bias, padding_mode, device, dtype, generator)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple:
        """output_padding for an explicit output_size (PyTorch's rule: between the smallest and the
        largest size the stride allows)."""
        if output_size is None:
            return self.output_padding
        sizes = list(output_size)[-self.dims:] if not isinstance(output_size, (int, np.integer)) \
            else [int(output_size)] * self.dims
        if len(sizes) != self.dims:
            raise InvalidArgumentError(f"{type(self).__name__}: output_size must have {self.dims} or "
                                       f"{self.dims + 2} elements, got {output_size!r}")
        extra = []
        for axis in range(self.dims):
            size = input.shape[input.ndim - self.dims + axis]
            smallest = ((size - 1) * self.stride[axis] - 2 * self.padding[axis]
                        + self.dilation[axis] * (self.kernel_size[axis] - 1) + 1)
            if not smallest <= sizes[axis] < smallest + self.stride[axis]:
                raise ShapeError(f"{type(self).__name__}: requested an output size of {sizes}, but valid "
                                 f"sizes range from {smallest} to {smallest + self.stride[axis] - 1} "
                                 f"(for an input of {input.shape})")
            extra.append(sizes[axis] - smallest)
        return tuple(extra)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution: (N, in_channels, L) -> (N, out_channels, OL),
    OL = (L - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1; weight
    (in_channels, out_channels/groups, k)."""

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        x = self._check_input(input)
        return F.conv_transpose1d(x, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(x, output_size), self.groups, self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution: (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1; weight
    (in_channels, out_channels/groups, kh, kw)."""

    dims = 2

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        x = self._check_input(input)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(x, output_size), self.groups, self.dilation)


class MaxPool1d(Module):
    """Max over kernel_size windows of (N, C, L) input (stride defaults to kernel_size)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode
        F._pool1d_stride(kernel_size, self.stride, "MaxPool1d")

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(Module):
    """Mean over kernel_size windows of (N, C, L) input (stride defaults to kernel_size)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = (F._single(kernel_size, "AvgPool1d", "kernel_size"),)
        self.stride = (F._single(stride, "AvgPool1d", "stride"),) if stride is not None else self.kernel_size
        self.padding = (F._single(padding, "AvgPool1d", "padding"),)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    """output_size as given (an int, or a tuple whose None entries keep the input's size)."""

    function: Any = None

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return type(self).function(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Mean over adaptive bins: (N, C, L) -> (N, C, output_size)."""

    function = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Mean over adaptive bins: (N, C, H, W) -> (N, C, *output_size)."""

    function = staticmethod(F.adaptive_avg_pool2d)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Any:  # noqa: A002
        return type(self).function(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max over adaptive bins: (N, C, L) -> (N, C, output_size)."""

    function = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max over adaptive bins: (N, C, H, W) -> (N, C, *output_size)."""

    function = staticmethod(F.adaptive_max_pool2d)


class Upsample(Module):
    """F.interpolate as a module: resizes (N, C, L) or (N, C, H, W) input to `size` or by `scale_factor`."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class GroupNorm(Module):
    """Normalises groups of num_channels / num_groups channels of (N, C, *) input (biased variance),
    then per-channel weight (starts 1) and bias (starts 0)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_groups = _positive_int(num_groups, "GroupNorm", "num_groups")
        self.num_channels = _positive_int(num_channels, "GroupNorm", "num_channels")
        if num_channels % num_groups:
            raise InvalidArgumentError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                                       f"num_groups ({num_groups})")
        self.eps = eps
        self.affine = affine
        dtype = _factory_dtype(dtype, device, "GroupNorm")
        _register_affine(self, (num_channels,), dtype, affine, bias)

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0."""
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor):
            input = Tensor(input)
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ShapeError(f"GroupNorm: expected input (N, {self.num_channels}, *), got shape "
                             f"{input.shape}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InstanceNorm(_BatchNorm):
    """Instance normalisation: each channel of each sample over its spatial positions. PyTorch's
    defaults (affine=False, track_running_stats=False); with track_running_stats, running
    statistics are updated in training and used in eval (num_batches_tracked is kept but, as in
    PyTorch, not counted)."""

    spatial = 1

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        owner = type(self).__name__
        if not isinstance(input, Tensor):
            input = Tensor(input)
        if input.ndim not in (self.spatial + 1, self.spatial + 2):
            raise ShapeError(f"{owner}: expected {self.spatial + 1}D or {self.spatial + 2}D input, got shape "
                             f"{input.shape}")
        unbatched = input.ndim == self.spatial + 1
        if unbatched:
            input = ops.reshape(input, (1,) + input.shape)
        if input.shape[1] != self.num_features and self.affine:
            raise ShapeError(f"{owner}: expected input's size at dim={1 - unbatched} to match num_features "
                             f"({self.num_features}), but got: {input.shape[1]}.")
        out = F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              self.momentum if self.momentum is not None else 0.0, self.eps)
        return ops.reshape(out, out.shape[1:]) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or (C, L) input."""

    spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or (C, H, W) input."""

    spatial = 2


class Unflatten(Module):
    """Splits dimension `dim` into `unflattened_size`: (*, d, *) -> (*, *unflattened_size, *)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if isinstance(unflattened_size, (int, np.integer)) or not all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in unflattened_size):
            raise InvalidArgumentError(f"Unflatten: unflattened_size must be a tuple of ints, got "
                                       f"{unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = tuple(int(s) for s in unflattened_size)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor):
            input = Tensor(input)
        if not isinstance(self.dim, (int, np.integer)) or not -input.ndim <= self.dim < max(input.ndim, 1):
            raise InvalidArgumentError(f"Unflatten: dimension {self.dim} is out of range for input of shape "
                                       f"{input.shape}")
        axis = self.dim % input.ndim
        sizes = list(self.unflattened_size)
        known = int(np.prod([s for s in sizes if s != -1]))
        if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != input.shape[axis]) or (
                sizes.count(-1) == 1 and (known == 0 or input.shape[axis] % known)):
            raise ShapeError(f"Unflatten: unflattened_size {self.unflattened_size} does not multiply to the "
                             f"size {input.shape[axis]} of dimension {self.dim} (input shape {input.shape})")
        return ops.reshape(input, input.shape[:axis] + tuple(sizes) + input.shape[axis + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
