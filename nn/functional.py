"""torch.nn.functional on autograd_core: activations, linear/conv/pooling/normalisation layers as
functions, and losses. Import it as `import nn.functional as F`.

Every function checks its arguments (shapes, dtypes, target ranges) before computing anything and
raises autograd_core's typed errors naming the function and the offending shapes or values.
Where PyTorch's `dim=None` for softmax picks a legacy axis, these pick the last axis.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

import autograd_core.ops as ops
from autograd_core import Tensor, no_grad
from autograd_core.errors import (DTypeError, IndexOutOfRangeError, InvalidArgumentError, ShapeError,
                                  UnsupportedError)
from autograd_core.ops.nn_ops import GeneratorSource, conv_output_size, dropout_mask
from autograd_core.tape import replayable

from .init import GeneratorLike, resolve_generator
from autograd_core.tensor import is_differentiable_dtype, is_floating_dtype

__all__ = [
    "avg_pool2d", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d",
    "cross_entropy", "dropout", "embedding", "fold", "gelu", "huber_loss", "l1_loss", "layer_norm",
    "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse_loss", "nll_loss", "one_hot", "relu",
    "sigmoid", "smooth_l1_loss", "softmax", "softplus", "tanh", "unfold",
]

REDUCTIONS = ("mean", "sum", "none")


# ---- argument helpers -----------------------------------------------------------------------------

def _as_tensor(x: Any, name: str, what: str = "input") -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray) and x.dtype != object:
        return Tensor._wrap(x)
    try:
        return Tensor(x)
    except (TypeError, ValueError) as exc:
        raise DTypeError(f"{name}: {what} must be a Tensor or array, got {type(x).__name__}: {exc}") from None


def _float_input(x: Any, name: str, what: str = "input") -> Tensor:
    tensor = _as_tensor(x, name, what)
    if not is_differentiable_dtype(tensor.dtype):
        raise DTypeError(f"{name}: {what} must be a floating tensor, got {tensor.dtype}")
    return tensor


def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _pair(value: Any, name: str, what: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        return int(value[0]), int(value[1])
    if isinstance(value, (tuple, list)) and len(value) == 1:
        return _pair(value[0], name, what)
    raise InvalidArgumentError(f"{name}: {what} must be an int or a pair of ints, got {value!r}")


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str, name: str) -> str:
    """PyTorch's mapping of the deprecated size_average/reduce flags onto `reduction`."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in REDUCTIONS:
        raise InvalidArgumentError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    return loss


def _matching_target(input: Tensor, target: Any, name: str, float_only: bool = False) -> Any:  # noqa: A002
    """The target as a Tensor (kept, may require grad) or an array cast to the input's dtype,
    after checking that its shape equals the input's and its dtype is numeric."""
    data = _data(target)
    allowed = "fc" if float_only else "fciu"
    if data.dtype.kind not in allowed:
        kind = "floating" if float_only else "numeric"
        raise DTypeError(f"{name}: target must be a {kind} tensor, got {data.dtype}")
    if data.shape != input.shape:
        raise ShapeError(f"{name}: target shape {data.shape} does not match input shape {input.shape} "
                         "(broadcasting is not applied; reshape one of them)")
    if isinstance(target, Tensor) and is_differentiable_dtype(target.dtype):
        return target
    return data.astype(input.dtype, copy=False)


# ---- activations -----------------------------------------------------------------------------------

def relu(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(x, 0) elementwise (any shape); `inplace` is accepted but a new tensor is returned."""
    return ops.relu(_float_input(input, "relu"))


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > 0 else negative_slope * x, elementwise."""
    return ops.leaky_relu(_float_input(input, "leaky_relu"), negative_slope)


def gelu(input: Any, approximate: str = "none") -> Tensor:  # noqa: A002
    """x * Phi(x) elementwise (exact erf form, or approximate='tanh')."""
    return ops.gelu(_float_input(input, "gelu"), approximate)


def sigmoid(input: Any) -> Tensor:  # noqa: A002
    """1 / (1 + exp(-x)) elementwise."""
    return ops.sigmoid(_float_input(input, "sigmoid"))


def tanh(input: Any) -> Tensor:  # noqa: A002
    """tanh(x) elementwise."""
    return ops.tanh(_float_input(input, "tanh"))


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """log(1 + exp(beta x)) / beta elementwise, linear where beta x > threshold."""
    return ops.softplus(_float_input(input, "softplus"), beta, threshold)


def _softmax_input(input: Any, dim: int | None, dtype: Any, name: str) -> tuple[Tensor, int]:
    x = _float_input(input, name)
    if dtype is not None:
        x = ops.astype(x, dtype)
    return x, -1 if dim is None else dim


def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along `dim` (the last axis when None), computed stably."""
    x, dim = _softmax_input(input, dim, dtype, "softmax")
    return ops.softmax(x, dim)


def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """x - logsumexp(x) along `dim` (the last axis when None), computed stably."""
    x, dim = _softmax_input(input, dim, dtype, "log_softmax")
    return ops.log_softmax(x, dim)


def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False,  # noqa: A002
            generator: GeneratorLike = None) -> Tensor:
    """Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p);
    the identity when not training. The mask comes from `generator` (nn.init's default if None)."""
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise InvalidArgumentError(f"dropout: probability has to be between 0 and 1, but got {p!r}")
    x = _float_input(input, "dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros((), dtype=x.dtype)
    if not isinstance(generator, np.random.Generator):
        resolve_generator(generator)  # validates it now; the draw resolves it again each run
        generator = GeneratorSource(resolve_generator, generator)
    # the mask is a recorded op, so a traced step draws a new mask on every replay
    return x * dropout_mask(generator, p, x.shape, x.dtype)


# ---- linear, convolution and pooling ---------------------------------------------------------------

def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:  # noqa: A002
    """x @ weight.T + bias: (*, in) with weight (out, in) and bias (out,) -> (*, out), one fused op."""
    x = _float_input(input, "linear")
    w = _data(weight)
    if w.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape {w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ShapeError(f"linear: expected input with {w.shape[1]} features (last dim), got shape {x.shape}")
    if bias is not None and _data(bias).shape != (w.shape[0],):
        raise ShapeError(f"linear: bias must have shape ({w.shape[0]},), got {_data(bias).shape}")
    return ops.linear(x, weight, bias)


def _batched_image(input: Any, name: str) -> tuple[Tensor, bool]:
    """(N, C, H, W) input, and whether it was an unbatched (C, H, W) one."""
    x = _float_input(input, name)
    if x.ndim == 3:
        return ops.reshape(x, (1,) + x.shape), True
    if x.ndim != 4:
        raise ShapeError(f"{name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {x.shape}")
    return x, False


def _check_output_size(name: str, shape: tuple, kernel: tuple, stride: tuple, padding: tuple,
                       dilation: tuple) -> tuple[int, int]:
    if min(kernel) <= 0 or min(stride) <= 0 or min(dilation) <= 0 or min(padding) < 0:
        raise InvalidArgumentError(f"{name}: kernel_size, stride and dilation must be positive and padding "
                                   f"non-negative, got kernel_size={kernel}, stride={stride}, "
                                   f"padding={padding}, dilation={dilation}")
    size = tuple(conv_output_size(shape[axis], kernel[axis], stride[axis], padding[axis], dilation[axis])
                 for axis in range(2))
    if min(size) <= 0:
        raise ShapeError(f"{name}: input of spatial size {shape} is too small for kernel_size={kernel}, "
                         f"dilation={dilation}, padding={padding} (output size would be {size})")
    return size


def unfold(input: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:  # noqa: A002
    """Sliding patches as columns: (N, C, H, W) -> (N, C*kh*kw, L) (im2col)."""
    x = _float_input(input, "unfold")
    if x.ndim != 4:
        raise ShapeError(f"unfold: expected a 4-D (N, C, H, W) input, got shape {x.shape}")
    kernel = _pair(kernel_size, "unfold", "kernel_size")
    dilation, padding = _pair(dilation, "unfold", "dilation"), _pair(padding, "unfold", "padding")
    stride = _pair(stride, "unfold", "stride")
    _check_output_size("unfold", x.shape[2:], kernel, stride, padding, dilation)
    return ops.im2col(x, kernel, stride, padding, dilation)


def fold(input: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
         stride: Any = 1) -> Tensor:
    """Columns back to an image, overlaps summed: (N, C*kh*kw, L) -> (N, C, H, W) (col2im)."""
    cols = _float_input(input, "fold")
    size = _pair(output_size, "fold", "output_size")
    kernel = _pair(kernel_size, "fold", "kernel_size")
    dilation, padding = _pair(dilation, "fold", "dilation"), _pair(padding, "fold", "padding")
    stride = _pair(stride, "fold", "stride")
    blocks = _check_output_size("fold", size, kernel, stride, padding, dilation)
    patch = kernel[0] * kernel[1]
    if cols.ndim != 3 or cols.shape[1] % patch or cols.shape[2] != blocks[0] * blocks[1]:
        raise ShapeError(f"fold: expected input of shape (N, C*{patch}, {blocks[0] * blocks[1]}) for "
                         f"output_size={size}, kernel_size={kernel}, got {cols.shape}")
    return ops.col2im(cols, size, kernel, stride, padding, dilation)


def _conv_padding(padding: Any, kernel: tuple, stride: tuple, dilation: tuple) -> tuple[tuple, tuple]:
    """(symmetric padding for im2col, extra (top, bottom, left, right) padding) for padding given as
    ints, 'valid' or 'same' (which may need one more row/column at the end, like PyTorch)."""
    if padding == "valid":
        return (0, 0), (0, 0, 0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise InvalidArgumentError("conv2d: padding='same' is not supported for strided convolutions")
        totals = [dilation[axis] * (kernel[axis] - 1) for axis in range(2)]
        lows = [total // 2 for total in totals]
        extras = [total - 2 * low for total, low in zip(totals, lows)]
        return (lows[0], lows[1]), (0, extras[0], 0, extras[1])
    if isinstance(padding, str):
        raise InvalidArgumentError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', "
                                   f"got {padding!r}")
    return _pair(padding, "conv2d", "padding"), (0, 0, 0, 0)


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation: (N, C, H, W) with weight (O, C/groups, kh, kw) -> (N, O, OH, OW),
    as im2col + matmul (differentiable to any order)."""
    x, unbatched = _batched_image(input, "conv2d")
    w = _float_input(weight, "conv2d", "weight")
    if w.ndim != 4:
        raise ShapeError(f"conv2d: weight must be 4-D (out_channels, in_channels/groups, kh, kw), "
                         f"got shape {w.shape}")
    out_channels, group_channels, kh, kw = w.shape
    if not isinstance(groups, int) or groups <= 0 or out_channels % groups:
        raise InvalidArgumentError(f"conv2d: groups must be a positive divisor of out_channels "
                                   f"({out_channels}), got {groups!r}")
    if x.shape[1] != group_channels * groups:
        raise ShapeError(f"conv2d: expected input with {group_channels * groups} channels (dim 1), got "
                         f"shape {x.shape} for weight of shape {w.shape} and groups={groups}")
    if bias is not None and _data(bias).shape != (out_channels,):
        raise ShapeError(f"conv2d: bias must have shape ({out_channels},), got {_data(bias).shape}")
    kernel = (kh, kw)
    stride, dilation = _pair(stride, "conv2d", "stride"), _pair(dilation, "conv2d", "dilation")
    padding, extra = _conv_padding(padding, kernel, stride, dilation)
    if any(extra):
        x = ops.pad(x, ((0, 0), (0, 0), extra[:2], extra[2:]))
    out_h, out_w = _check_output_size("conv2d", x.shape[2:], kernel, stride, padding, dilation)
    batch = x.shape[0]
    cols = ops.im2col(x, kernel, stride, padding, dilation)
    if groups == 1:
        out = ops.matmul(ops.reshape(w, (out_channels, -1)), cols)
    else:
        grouped_cols = ops.reshape(cols, (batch, groups, -1, out_h * out_w))
        grouped_w = ops.reshape(w, (groups, out_channels // groups, -1))
        out = ops.matmul(grouped_w, grouped_cols)
    out = ops.reshape(out, (batch, out_channels, out_h, out_w))
    if bias is not None:
        out = out + ops.reshape(bias, (1, out_channels, 1, 1))
    return ops.reshape(out, out.shape[1:]) if unbatched else out


def _pool_arguments(name: str, kernel_size: Any, stride: Any, padding: Any,
                    dilation: Any = 1) -> tuple[tuple, tuple, tuple, tuple]:
    kernel = _pair(kernel_size, name, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) \
        else _pair(stride, name, "stride")
    padding = _pair(padding, name, "padding")
    dilation = _pair(dilation, name, "dilation")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise InvalidArgumentError(f"{name}: pad should be at most half of kernel size, got "
                                   f"kernel_size={kernel} and padding={padding}")
    return kernel, stride, padding, dilation


def _ceil_extra(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """The padding to add at the end so ceil_mode=True windows fit (PyTorch's rule: output length
    rounded up, but the last window must start inside the input or the left padding)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    length = -(-span // stride) + 1
    if (length - 1) * stride >= size + padding:
        length -= 1
    return max(0, (length - 1) * stride + dilation * (kernel - 1) + 1 - (size + 2 * padding))


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over each window: (N, C, H, W) -> (N, C, OH, OW). The gradient goes to the first maximum of
    each window (PyTorch's rule). With return_indices, also the flat H*W index of each maximum."""
    x, unbatched = _batched_image(input, "max_pool2d")
    kernel, stride, padding, dilation = _pool_arguments("max_pool2d", kernel_size, stride, padding, dilation)
    n, c, h, w = x.shape
    extra = (0, 0)
    if ceil_mode:
        extra = (_ceil_extra(h, kernel[0], stride[0], padding[0], dilation[0]),
                 _ceil_extra(w, kernel[1], stride[1], padding[1], dilation[1]))
    widths = ((0, 0), (0, 0), (padding[0], padding[0] + extra[0]), (padding[1], padding[1] + extra[1]))
    if any(any(pair) for pair in widths):
        x = ops.pad(x, widths, constant_values=-np.inf)
    out_h, out_w = _check_output_size("max_pool2d", x.shape[2:], kernel, stride, (0, 0), dilation)
    cols = ops.reshape(ops.im2col(x, kernel, stride, (0, 0), dilation), (n, c, kernel[0] * kernel[1], -1))
    winner = np.argmax(cols.data, axis=2)
    out = ops.reshape(ops.gather(cols, 2, winner[:, :, None, :]), (n, c, out_h, out_w))
    if unbatched:
        out = ops.reshape(out, out.shape[1:])
    if not return_indices:
        return out
    rows = (np.arange(out_h)[:, None] * stride[0] - padding[0]).reshape(1, 1, -1, 1)
    columns = (np.arange(out_w)[None, :] * stride[1] - padding[1]).reshape(1, 1, 1, -1)
    offsets = winner.reshape(n, c, out_h, out_w)
    row = rows + (offsets // kernel[1]) * dilation[0]
    column = columns + (offsets % kernel[1]) * dilation[1]
    indices = (row * w + column).astype(np.int64)
    return out, Tensor._wrap(indices[0] if unbatched else indices)


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over each window: (N, C, H, W) -> (N, C, OH, OW); zero padding counts towards the mean
    unless count_include_pad=False. With ceil_mode the output size is rounded up (PyTorch's rule)
    and the part of a last window beyond the padded input never counts."""
    x, unbatched = _batched_image(input, "avg_pool2d")
    kernel, stride, padding, _ = _pool_arguments("avg_pool2d", kernel_size, stride, padding)
    n, c, h, w = x.shape
    extra = (0, 0)
    if ceil_mode:
        extra = (_ceil_extra(h, kernel[0], stride[0], padding[0], 1),
                 _ceil_extra(w, kernel[1], stride[1], padding[1], 1))
    widths = ((0, 0), (0, 0), (padding[0], padding[0] + extra[0]), (padding[1], padding[1] + extra[1]))
    if any(any(pair) for pair in widths):
        x = ops.pad(x, widths)
    out_h, out_w = _check_output_size("avg_pool2d", x.shape[2:], kernel, stride, (0, 0), (1, 1))
    cols = ops.reshape(ops.im2col(x, kernel, stride, (0, 0), (1, 1)), (n, c, kernel[0] * kernel[1], -1))
    if divisor_override is not None:
        if divisor_override == 0:
            raise InvalidArgumentError("avg_pool2d: divisor_override must be non-zero")
        divisor = np.asarray(divisor_override, dtype=x.dtype)
    elif (count_include_pad or padding == (0, 0)) and extra == (0, 0):
        divisor = np.asarray(kernel[0] * kernel[1], dtype=x.dtype)
    else:
        from autograd_core.ops.nn_ops import im2col_array

        counted = np.zeros((1, 1) + x.shape[2:], dtype=x.dtype)
        if count_include_pad:
            counted[:, :, :h + 2 * padding[0], :w + 2 * padding[1]] = 1
        else:
            counted[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w] = 1
        divisor = im2col_array(counted, kernel, stride, (0, 0), (1, 1)).sum(axis=1)
    out = ops.reshape(ops.sum(cols, axis=2) / divisor, (n, c, out_h, out_w))
    return ops.reshape(out, out.shape[1:]) if unbatched else out


# ---- normalisation and embedding --------------------------------------------------------------------

def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,  # noqa: A002
               eps: float = 1e-5) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias over the last len(normalized_shape) axes
    (biased variance), as in PyTorch."""
    x = _float_input(input, "layer_norm")
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(int(n) for n in normalized_shape)
    if len(shape) == 0 or x.ndim < len(shape) or tuple(x.shape[x.ndim - len(shape):]) != shape:
        raise ShapeError(f"layer_norm: expected input with trailing shape {shape} (normalized_shape), "
                         f"got shape {x.shape}")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and _data(value).shape != shape:
            raise ShapeError(f"layer_norm: {name} must have shape {shape}, got {_data(value).shape}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    centered = x - ops.mean(x, axis=axes, keepdims=True)
    variance = ops.mean(centered * centered, axis=axes, keepdims=True)
    out = centered / ops.sqrt(variance + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _check_per_channel(op: str, x: Tensor, **tensors: Any) -> None:
    """Each given per-channel tensor (running stats, affine) must have shape (C,), C = x.shape[1]."""
    channels = x.shape[1]
    for name, value in tensors.items():
        if value is not None and _data(value).shape != (channels,):
            raise ShapeError(f"{op}: {name} must have shape ({channels},) for input of shape "
                             f"{x.shape}, got {_data(value).shape}")


def batch_norm(input: Any, running_mean: Tensor | None, running_var: Tensor | None,  # noqa: A002
               weight: Any = None, bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalises each channel (dim 1) of (N, C, *) input. In training, by the batch's mean and biased
    variance, and updates running_mean/running_var in place (running_var with the unbiased variance);
    otherwise by the running statistics."""
    x = _float_input(input, "batch_norm")
    if x.ndim < 2:
        raise ShapeError(f"batch_norm: expected input of shape (N, C) or (N, C, *), got {x.shape}")
    channels = x.shape[1]
    _check_per_channel("batch_norm", x, running_mean=running_mean, running_var=running_var,
                       weight=weight, bias=bias)
    axes = (0,) + tuple(range(2, x.ndim))
    broadcast = (1, channels) + (1,) * (x.ndim - 2)
    if training:
        count = x.size // channels
        if count <= 1:
            raise InvalidArgumentError(f"batch_norm: expected more than 1 value per channel when training, "
                                       f"got input of shape {x.shape}")
        mean = ops.mean(x, axis=axes, keepdims=True)
        centered = x - mean
        variance = ops.mean(centered * centered, axis=axes, keepdims=True)
        if running_mean is not None or running_var is not None:
            _update_running_stats(running_mean, running_var, mean, variance, momentum, count)
    else:
        if running_mean is None or running_var is None:
            raise InvalidArgumentError("batch_norm: running_mean and running_var are required when not "
                                       "training")
        # engine ops, not numpy on .data: a traced step reads the buffers' current values
        centered = x - ops.astype(ops.reshape(running_mean, broadcast), x.dtype)
        variance = ops.astype(ops.reshape(running_var, broadcast), x.dtype)
    out = centered / ops.sqrt(variance + eps)
    if weight is not None:
        out = out * ops.reshape(weight, broadcast)
    if bias is not None:
        out = out + ops.reshape(bias, broadcast)
    return out


@replayable
def _update_running_stats(running_mean: Tensor | None, running_var: Tensor | None, mean: Tensor,
                          variance: Tensor, momentum: Any, count: int) -> None:
    """running <- (1 - momentum) running + momentum batch (the unbiased variance for running_var),
    in place. A replayable host call, so a traced training step updates the buffers on every
    replay from that replay's batch statistics, exactly as eager does. `momentum` is a number or
    a zero-argument callable evaluated at each call (BatchNorm's cumulative average, 1/n)."""
    factor = momentum() if callable(momentum) else momentum
    channels = mean.data.size
    with no_grad():
        if running_mean is not None:
            batch_mean = mean.data.reshape(channels)
            running_mean.copy_((1 - factor) * running_mean.data + factor * batch_mean)
        if running_var is not None:
            unbiased = variance.data.reshape(channels) * (count / (count - 1))
            running_var.copy_((1 - factor) * running_var.data + factor * unbiased)


def _integer_indices(indices: Any, name: str, what: str = "input") -> np.ndarray:
    data = _data(indices)
    if data.dtype.kind not in "iu":
        raise DTypeError(f"{name}: {what} must be an integer tensor (class indices), got {data.dtype}")
    return data


def embedding(input: Any, weight: Any, padding_idx: int | None = None, max_norm: float | None = None,  # noqa: A002
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight (V, D) at integer indices of any shape -> (*indices.shape, D); repeated
    indices accumulate gradient, the padding_idx row gets none."""
    if scale_grad_by_freq or sparse:
        raise UnsupportedError("embedding: scale_grad_by_freq and sparse are not supported")
    indices = _integer_indices(input, "embedding")
    w = _float_input(weight, "embedding", "weight")
    if w.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got {w.shape}")
    vocabulary = w.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= vocabulary):
        bad = indices[(indices < 0) | (indices >= vocabulary)].flat[0]
        raise IndexOutOfRangeError(f"embedding: index {int(bad)} is out of range for {vocabulary} embeddings "
                                   f"(valid: 0..{vocabulary - 1})")
    if padding_idx is not None:
        if not -vocabulary <= padding_idx < vocabulary:
            raise InvalidArgumentError(f"embedding: padding_idx {padding_idx} must be within num_embeddings "
                                       f"({vocabulary})")
        padding_idx %= vocabulary
    if max_norm is not None:
        rows = np.unique(indices)
        norms = np.linalg.norm(w.data[rows], ord=norm_type, axis=1, keepdims=True)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        with no_grad():
            w[rows] = w.data[rows] * scale.astype(w.dtype)
    return ops.embedding_lookup(w, indices, padding_idx)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class indices (*) -> int64 one-hot (*, num_classes); num_classes=-1 means max + 1."""
    indices = _integer_indices(tensor, "one_hot")
    if num_classes == -1:
        num_classes = int(indices.max()) + 1 if indices.size else 0
    if indices.size and (indices.min() < 0 or indices.max() >= num_classes):
        raise InvalidArgumentError(f"one_hot: class values must be in [0, {num_classes}), got values from "
                                   f"{int(indices.min())} to {int(indices.max())}")
    return Tensor._wrap(np.eye(num_classes, dtype=np.int64)[indices])


# ---- losses ---------------------------------------------------------------------------------------------

def mse_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
             reduction: str = "mean") -> Tensor:
    """(input - target)^2, averaged (or summed, or per element); shapes must match."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "mse_loss")
    x = _float_input(input, "mse_loss")
    difference = x - _matching_target(x, target, "mse_loss")
    return _reduce(difference * difference, reduction)


def l1_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
            reduction: str = "mean") -> Tensor:
    """|input - target|, averaged (or summed, or per element); shapes must match."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "l1_loss")
    x = _float_input(input, "l1_loss")
    return _reduce(ops.abs(x - _matching_target(x, target, "l1_loss")), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0,  # noqa: A002
               weight: Any = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), for d = input - target; an optional
    `weight` of the input's shape multiplies each element's loss before the reduction (torch 2.13)."""
    reduction = _legacy_reduction(None, None, reduction, "huber_loss")
    if delta <= 0:
        raise InvalidArgumentError(f"huber_loss: delta must be positive, got {delta}")
    x = _float_input(input, "huber_loss")
    difference = x - _matching_target(x, target, "huber_loss")
    size = ops.abs(difference)
    loss = ops.where(ops.lt(size, delta), 0.5 * difference * difference, delta * (size - 0.5 * delta))
    if weight is not None:
        if _data(weight).shape != x.shape:
            raise ShapeError(f"huber_loss: Weights and input must have the same size, got weight of shape "
                             f"{_data(weight).shape} for input of shape {x.shape}")
        loss = loss * _weight_value(weight, x.dtype)
    return _reduce(loss, reduction)


def smooth_l1_loss(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (Huber loss divided by beta)."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "smooth_l1_loss")
    if beta < 0:
        raise InvalidArgumentError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    x = _float_input(input, "smooth_l1_loss")
    difference = x - _matching_target(x, target, "smooth_l1_loss")
    size = ops.abs(difference)
    if beta == 0:
        return _reduce(size, reduction)
    loss = ops.where(ops.lt(size, beta), 0.5 * difference * difference / beta, size - 0.5 * beta)
    return _reduce(loss, reduction)


def _class_weights(weight: Any, classes: int, dtype: np.dtype, name: str) -> np.ndarray | None:
    if weight is None:
        return None
    data = _data(weight)
    if data.dtype.kind not in "fiu":
        raise DTypeError(f"{name}: weight must be a floating tensor, got {data.dtype}")
    if data.shape != (classes,):
        raise ShapeError(f"{name}: weight must have shape ({classes},) (one per class), got {data.shape}")
    return data.astype(dtype, copy=False)


def _classes_last(x: Tensor) -> Tensor:
    """(C,) -> (1, C); (N, C) as is; (N, C, d1, ...) -> (N*d1*..., C)."""
    if x.ndim == 1:
        return ops.reshape(x, (1, x.shape[0]))
    if x.ndim == 2:
        return x
    return ops.reshape(ops.moveaxis(x, 1, -1), (-1, x.shape[1]))


def _class_targets(input: Tensor, target: Any, ignore_index: int, name: str) -> np.ndarray:
    """Integer targets checked against the input: shape (N, d1, ...) for input (N, C, d1, ...),
    every value in [0, C) or equal to ignore_index. Returned flat."""
    indices = _integer_indices(target, name, "target")
    classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    expected = input.shape[:1] + input.shape[2:] if input.ndim >= 2 else ()
    if indices.shape != expected:
        raise ShapeError(f"{name}: expected target of shape {expected} for input of shape {input.shape}, "
                         f"got {indices.shape}")
    flat = indices.reshape(-1)
    if flat.size and (flat.min() < 0 or flat.max() >= classes):
        bad = (flat != ignore_index) & ((flat < 0) | (flat >= classes))
        if bad.any():
            raise IndexOutOfRangeError(f"{name}: target {int(flat[bad][0])} is out of bounds for {classes} "
                                       f"classes (valid: 0..{classes - 1}, or ignore_index={ignore_index})")
    return flat


def _probability_target_coefficients(logits: Tensor, target: Any, weights: np.ndarray | None,
                                     label_smoothing: float) -> Any:
    """Coefficients (M, C) for class-probability targets: (target (1 - eps) + eps / C) * weight, as a
    Tensor when the target requires grad (so the loss is differentiable in it), else an array."""
    data = _data(target)
    if data.shape != logits.shape:
        raise ShapeError(f"cross_entropy: class-probability target must have the input's shape "
                         f"{logits.shape}, got {data.shape}")
    classes = logits.shape[1] if logits.ndim >= 2 else logits.shape[0]
    if isinstance(target, Tensor) and target.requires_grad:
        coefficients = _classes_last(target)
    else:
        coefficients = _classes_last(Tensor._wrap(data.astype(logits.dtype, copy=False))).data
    if label_smoothing > 0:
        coefficients = coefficients * (1.0 - label_smoothing) + label_smoothing / classes
    if weights is not None:
        coefficients = coefficients * weights
    return coefficients


def cross_entropy(input: Any, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross entropy of logits (N, C) (or (C,), or (N, C, d1, ...)) against integer class targets
    (N,) or class probabilities shaped like the input, with PyTorch's weight, ignore_index and
    label_smoothing rules. One fused op, stable for any finite logits."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "cross_entropy")
    logits = _float_input(input, "cross_entropy")
    if logits.ndim == 0:
        raise ShapeError("cross_entropy: input must have at least 1 dimension (classes), got a scalar")
    if not 0.0 <= label_smoothing <= 1.0:
        raise InvalidArgumentError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                                   f"{label_smoothing}")
    classes = logits.shape[1] if logits.ndim >= 2 else logits.shape[0]
    weights = _class_weights(weight, classes, logits.dtype, "cross_entropy")
    target_kind = _data(target).dtype.kind
    if target_kind in "iu":
        flat = _class_targets(logits, target, ignore_index, "cross_entropy")
        if logits.ndim == 2:
            target_input = target if isinstance(target, (Tensor, np.ndarray)) else flat
            return ops.class_cross_entropy(logits, target_input, weights, ignore_index,
                                           label_smoothing, reduction)
        coefficients, weight_total = ops.class_index_coefficients(flat, classes, weights, ignore_index,
                                                                label_smoothing, logits.dtype)
        batch_shape = _data(target).shape
    elif target_kind == "f":
        coefficients = _probability_target_coefficients(logits, target, weights, label_smoothing)
        weight_total = float(coefficients.shape[0])
        batch_shape = logits.shape[:1] + logits.shape[2:] if logits.ndim >= 2 else ()
    else:
        raise DTypeError(f"cross_entropy: target must hold integer class indices or floating class "
                         f"probabilities, got {_data(target).dtype}")
    divisor = weight_total if reduction == "mean" else 1.0
    loss = ops.softmax_cross_entropy(_classes_last(logits), coefficients, divisor, reduction != "none")
    return ops.reshape(loss, batch_shape) if reduction == "none" else loss


def nll_loss(input: Any, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """-weight[t] * input[i, t] for log-probabilities input (N, C) and integer targets (N,); 'mean'
    divides by the sum of the targets' weights (PyTorch's rule)."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "nll_loss")
    log_probs = _float_input(input, "nll_loss")
    if log_probs.ndim == 0:
        raise ShapeError("nll_loss: input must have at least 1 dimension (classes), got a scalar")
    classes = log_probs.shape[1] if log_probs.ndim >= 2 else log_probs.shape[0]
    weights = _class_weights(weight, classes, log_probs.dtype, "nll_loss")
    flat = _class_targets(log_probs, target, ignore_index, "nll_loss")
    safe, picked = ops.picked_weights(flat, weights, ignore_index, log_probs.dtype)
    rows = _classes_last(log_probs)
    losses = -ops.getitem(rows, (np.arange(len(safe)), safe)) * picked
    if reduction == "none":
        return ops.reshape(losses, _data(target).shape)
    total = ops.sum(losses)
    return total / picked.sum() if reduction == "mean" else total


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,  # noqa: A002
                                     size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """Sigmoid + binary cross entropy in one stable expression:
    (1 - y) x + (1 + (pos_weight - 1) y) (log(1 + exp(-|x|)) + max(-x, 0)), times weight."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy_with_logits")
    x = _float_input(input, "binary_cross_entropy_with_logits")
    y = _matching_target(x, target, "binary_cross_entropy_with_logits", float_only=True)
    softplus_of_negative = ops.log1p(ops.exp(-ops.abs(x))) + ops.relu(-x)
    if pos_weight is not None:
        _check_broadcasts(pos_weight, x.shape, "binary_cross_entropy_with_logits", "pos_weight")
        log_weight = ops.add(ops.mul(y, ops.sub(_weight_value(pos_weight, x.dtype), 1)), 1)
        loss = ops.mul(x, ops.sub(1, y)) + log_weight * softplus_of_negative
    else:
        loss = ops.mul(x, ops.sub(1, y)) + softplus_of_negative
    if weight is not None:
        _check_broadcasts(weight, x.shape, "binary_cross_entropy_with_logits", "weight")
        loss = loss * _weight_value(weight, x.dtype)
    return _reduce(loss, reduction)


def _weight_value(weight: Any, dtype: np.dtype) -> Any:
    """A weight Tensor as is (it may require grad), anything else as an array of `dtype`."""
    return weight if isinstance(weight, Tensor) else _data(weight).astype(dtype, copy=False)


def _check_broadcasts(value: Any, shape: tuple, name: str, what: str) -> None:
    try:
        result = np.broadcast_shapes(_data(value).shape, shape)
    except ValueError:
        result = None
    if result != shape:
        raise ShapeError(f"{name}: {what} of shape {_data(value).shape} does not broadcast to the input's "
                         f"shape {shape}")


def binary_cross_entropy(input: Any, target: Any, weight: Any = None, size_average: Any = None,  # noqa: A002
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) for probabilities p in [0, 1], each log clamped to >= -100."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "binary_cross_entropy")
    p = _float_input(input, "binary_cross_entropy")
    y = _matching_target(p, target, "binary_cross_entropy", float_only=True)
    if p.size and (np.nanmin(p.data) < 0 or np.nanmax(p.data) > 1):
        raise InvalidArgumentError(f"binary_cross_entropy: all elements of input should be between 0 and 1, "
                                   f"got values from {np.nanmin(p.data)} to {np.nanmax(p.data)}")
    loss = ops.binary_cross_entropy_elementwise(p, y)
    if weight is not None:
        _check_broadcasts(weight, p.shape, "binary_cross_entropy", "weight")
        loss = loss * _weight_value(weight, p.dtype)
    return _reduce(loss, reduction)



# ---- nn10: more activations, F.pad, conv1d / transposed convolutions, 1-D and adaptive pooling,
# ---- interpolate, distances, more losses, group and instance norm (issue 10) -----------------------
# Everything here is composed from engine ops whose vjps are themselves differentiable (where,
# clip, exp, getitem, matmul, im2col/col2im, ...), so every function is differentiable twice.
# =====================================================================================================

__all__ += [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "avg_pool1d",
    "celu", "conv1d", "conv_transpose1d", "conv_transpose2d", "cosine_embedding_loss", "cosine_similarity",
    "elu", "glu", "group_norm", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "instance_norm",
    "interpolate", "kl_div", "logsigmoid", "margin_ranking_loss", "max_pool1d", "mish", "normalize", "pad",
    "pairwise_distance", "poisson_nll_loss", "prelu", "relu6", "selu", "silu", "softmin", "softshrink",
    "softsign", "tanhshrink", "threshold",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _number(value: Any, name: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgumentError(f"{name}: {what} must be a number, got {value!r}")
    return float(value)


def _constant(value: float, like: Tensor) -> np.ndarray:
    """A 0-d array of `like`'s dtype (so `where` neither promotes nor records a leaf)."""
    return np.asarray(value, dtype=like.dtype)


# Masks below are computed with engine comparisons (ops.gt, ...), not on `.data`, so a traced
# program (autograd_core.trace) recomputes them from each new input instead of freezing them.

def silu(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * sigmoid(x) elementwise (`inplace` accepted and ignored: a new tensor is returned)."""
    return ops.silu(_float_input(input, "silu"))


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x for x > 0, alpha (exp(x) - 1) otherwise (`inplace` accepted and ignored)."""
    alpha = _number(alpha, "elu", "alpha")
    return ops.elu(_float_input(input, "elu"), alpha)


def selu(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """scale * elu(x, alpha) with PyTorch's fixed alpha and scale (`inplace` ignored)."""
    return ops.elu(_float_input(input, "selu"), _SELU_ALPHA, _SELU_SCALE)


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (`inplace` ignored)."""
    alpha = _number(alpha, "celu", "alpha")
    if alpha == 0:
        raise InvalidArgumentError("celu: ZeroDivisionError, alpha cannot be 0 for CELU")
    return ops.elu(_float_input(input, "celu"), alpha, 1.0, 1.0 / alpha)


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x clamped to [min_val, max_val]; gradient 1 strictly inside (`inplace` ignored)."""
    low, high = _number(min_val, "hardtanh", "min_val"), _number(max_val, "hardtanh", "max_val")
    if low > high:
        raise InvalidArgumentError(f"hardtanh: min_val ({low}) cannot be greater than max_val ({high})")
    x = _float_input(input, "hardtanh")
    inside = ops.logical_and(ops.gt(x, low), ops.lt(x, high))
    return ops.where(inside, x, ops.where(ops.ge(x, high), _constant(high, x), _constant(low, x)))


def relu6(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(x, 0), 6) elementwise (`inplace` ignored)."""
    return hardtanh(_float_input(input, "relu6"), 0.0, 6.0)


def hardsigmoid(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between (`inplace` ignored)."""
    x = _float_input(input, "hardsigmoid")
    inside = ops.logical_and(ops.gt(x, -3.0), ops.lt(x, 3.0))
    return ops.where(inside, x / 6.0 + 0.5, ops.where(ops.ge(x, 3.0), _constant(1.0, x), _constant(0.0, x)))


def hardswish(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * relu6(x + 3) / 6: 0 for x <= -3, x for x >= 3 (`inplace` ignored)."""
    x = _float_input(input, "hardswish")
    middle = x * (x / 6.0 + 0.5)
    upper = ops.where(ops.ge(x, 3.0), x, _constant(0.0, x))
    return ops.where(ops.logical_and(ops.gt(x, -3.0), ops.lt(x, 3.0)), middle, upper)


def mish(input: Any, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * tanh(softplus(x)) elementwise (`inplace` ignored)."""
    x = _float_input(input, "mish")
    return x * ops.tanh(ops.softplus(x))


def softsign(input: Any) -> Tensor:  # noqa: A002
    """x / (1 + |x|) elementwise."""
    x = _float_input(input, "softsign")
    return x / (ops.abs(x) + 1.0)


def logsigmoid(input: Any) -> Tensor:  # noqa: A002
    """log(sigmoid(x)) = -softplus(-x), stable for any x."""
    x = _float_input(input, "logsigmoid")
    return -ops.softplus(-x)


def softmin(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """softmax(-x) along `dim` (the last axis when None)."""
    x, dim = _softmax_input(input, dim, dtype, "softmin")
    return ops.softmax(-x, dim)


def glu(input: Any, dim: int = -1) -> Tensor:  # noqa: A002
    """a * sigmoid(b) for the two halves a, b of `dim` (whose size must be even)."""
    x = _float_input(input, "glu")
    if x.ndim == 0:
        raise ShapeError("glu: glu does not support scalars because halving size must be even")
    if not -x.ndim <= dim < x.ndim:
        raise InvalidArgumentError(f"glu: dim {dim} is out of range for input of shape {x.shape}")
    axis = dim % x.ndim
    size = x.shape[axis]
    if size % 2:
        raise ShapeError(f"glu: halving dimension must be even, but dimension {axis} is size {size} "
                         f"(input shape {x.shape})")
    lead = (slice(None),) * axis
    first = ops.getitem(x, lead + (slice(0, size // 2),))
    second = ops.getitem(x, lead + (slice(size // 2, size),))
    return first * ops.sigmoid(second)


def prelu(input: Any, weight: Any) -> Tensor:  # noqa: A002
    """x for x > 0, weight * x otherwise; weight has 1 element or one per channel (dim 1)."""
    x = _float_input(input, "prelu")
    w = _float_input(weight, "prelu", "weight")
    if w.ndim > 1:
        raise ShapeError(f"prelu: weight must be 0-D or 1-D, got shape {w.shape}")
    count = w.size
    if count != 1:
        channels = x.shape[1] if x.ndim >= 2 else (x.shape[0] if x.ndim == 1 else 1)
        if count != channels:
            raise ShapeError(f"prelu: mismatch of parameter numbers and input channel size: weight has "
                             f"{count} elements, input of shape {x.shape} has {channels} channels")
        if x.ndim >= 2:
            w = ops.reshape(w, (1, count) + (1,) * (x.ndim - 2))
    elif w.ndim == 1 and x.ndim == 0:
        w = ops.reshape(w, ())
    return ops.where(ops.gt(x, 0.0), x, w * x)


def threshold(input: Any, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > threshold, else `value` (`inplace` ignored)."""
    limit, value = _number(threshold, "threshold", "threshold"), _number(value, "threshold", "value")
    x = _float_input(input, "threshold")
    return ops.where(ops.gt(x, limit), x, _constant(value, x))


def tanhshrink(input: Any) -> Tensor:  # noqa: A002
    """x - tanh(x) elementwise."""
    x = _float_input(input, "tanhshrink")
    return x - ops.tanh(x)


def softshrink(input: Any, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x - lambd for x > lambd, x + lambd for x < -lambd, 0 between (lambd >= 0)."""
    lambd = _number(lambd, "softshrink", "lambd")
    if lambd < 0:
        raise InvalidArgumentError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                                   f"{lambd}")
    x = _float_input(input, "softshrink")
    zero = _constant(0.0, x)
    return ops.where(ops.gt(x, lambd), x - lambd, ops.where(ops.lt(x, -lambd), x + lambd, zero))


def hardshrink(input: Any, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x where |x| > lambd, else 0."""
    lambd = _number(lambd, "hardshrink", "lambd")
    x = _float_input(input, "hardshrink")
    outside = ops.logical_or(ops.gt(x, lambd), ops.lt(x, -lambd))
    return ops.where(outside, x, _constant(0.0, x))


# ---- F.pad: PyTorch's last-dimension-first pairs ------------------------------------------------------

_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """Source positions along one axis for the padded output (positions -before .. size+after-1)."""
    positions = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "circular":  # PyTorch crops negative widths first, then wraps the cropped range
        low, high = max(0, -before), size - max(0, -after)
        return np.arange(-max(0, before), high - low + max(0, after)) % (high - low) + low
    period = 2 * (size - 1)  # reflect, without repeating the edge
    if period == 0:
        return np.zeros_like(positions)
    folded = np.abs(positions) % period
    return np.where(folded > size - 1, period - folded, folded)


def pad(input: Any, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """Pads the last len(pad) // 2 dimensions: pad = (last_before, last_after, second_last_before, ...),
    as torch.nn.functional.pad. mode 'constant' fills `value` (negative widths crop); 'reflect'
    mirrors without repeating the edge (widths < size), 'replicate' repeats the edge, 'circular'
    wraps around (widths <= size). The non-constant modes pad 1 to 3 trailing dimensions of a
    (C, *) or (N, C, *) input, as PyTorch. Differentiable twice in every mode (slicing and
    indexing ops)."""
    if mode not in _PAD_MODES:
        raise InvalidArgumentError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    x = _as_tensor(input, "pad")
    if isinstance(pad, (int, np.integer)) or not all(
            isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in pad):
        raise InvalidArgumentError(f"pad: pad must be a sequence of ints, got {pad!r}")
    widths = [int(p) for p in pad]
    if len(widths) % 2:
        raise InvalidArgumentError(f"pad: Padding length must be divisible by 2, got {len(widths)}")
    if len(widths) > 2 * x.ndim:
        raise InvalidArgumentError(f"pad: Padding length should be less than or equal to two times the input "
                                   f"dimension but got padding length {len(widths)} and input of dimension "
                                   f"{x.ndim}")
    count = len(widths) // 2
    pairs = {x.ndim - 1 - i: (widths[2 * i], widths[2 * i + 1]) for i in range(count)}
    for axis, (before, after) in pairs.items():
        if x.shape[axis] + before + after < 0 or (mode != "constant" and x.shape[axis] + before + after <= 0):
            raise ShapeError(f"pad: the padded size of dimension {axis} would be "
                             f"{x.shape[axis] + before + after} (input shape {x.shape}, pad {tuple(widths)})")
    if mode == "constant":
        fill = 0.0 if value is None else value
        crop = tuple(slice(max(0, -pairs[a][0]), x.shape[a] - max(0, -pairs[a][1])) if a in pairs
                     else slice(None) for a in range(x.ndim))
        if any(min(p) < 0 for p in pairs.values()):
            x = ops.getitem(x, crop)
        grow = tuple((max(0, pairs[a][0]), max(0, pairs[a][1])) if a in pairs else (0, 0)
                     for a in range(x.ndim))
        if any(any(p) for p in grow):
            x = ops.pad(x, grow, constant_values=fill)
        return x
    if value is not None and value != 0:
        raise InvalidArgumentError(f"pad: Padding mode {mode!r} doesn't take in value argument")
    if count == 0 or count > 3 or x.ndim not in (count + 1, count + 2):
        raise UnsupportedError(f"pad: padding size {len(widths)} is not supported for {x.ndim}D input in "
                               f"mode {mode!r}; non-constant padding pads 1 to 3 trailing dimensions of a "
                               f"(C, *) or (N, C, *) input")
    for axis, (before, after) in pairs.items():
        size = x.shape[axis]
        if mode == "reflect" and (before >= size or after >= size):
            raise ShapeError(f"pad: Padding size should be less than the corresponding input dimension, but "
                             f"got: padding ({before}, {after}) at dimension {axis} of input {x.shape}")
        if mode == "circular" and (before > size or after > size):
            raise ShapeError(f"pad: Padding value causes wrapping around more than once: padding "
                             f"({before}, {after}) at dimension {axis} of input {x.shape}")
        if mode == "replicate" and size == 0:
            raise ShapeError(f"pad: cannot replicate-pad the empty dimension {axis} of input {x.shape}")
    for axis in sorted(pairs):
        before, after = pairs[axis]
        if before == 0 and after == 0:
            continue
        index = _pad_index(x.shape[axis], before, after, mode)
        x = ops.getitem(x, (slice(None),) * axis + (index,))
    return x


# ---- 1-D convolution and transposed convolutions ------------------------------------------------------

def _single(value: Any, name: str, what: str) -> int:
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise InvalidArgumentError(f"{name}: {what} must be an int or a 1-tuple of ints, got {value!r}")


def _batched_sequence(input: Any, name: str) -> tuple[Tensor, bool]:
    """(N, C, L) input, and whether it was an unbatched (C, L) one."""
    x = _float_input(input, name)
    if x.ndim == 2:
        return ops.reshape(x, (1,) + x.shape), True
    if x.ndim != 3:
        raise ShapeError(f"{name}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {x.shape}")
    return x, False


def _as_image(x: Tensor) -> Tensor:
    """(N, C, L) -> (N, C, 1, L), so 1-D layers run on the 2-D machinery."""
    return ops.reshape(x, x.shape[:2] + (1, x.shape[2]))


def _from_image(out: Tensor, unbatched: bool) -> Tensor:
    out = ops.reshape(out, out.shape[:2] + (out.shape[3],))
    return ops.reshape(out, out.shape[1:]) if unbatched else out


def conv1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation: (N, C, L) with weight (O, C/groups, k) -> (N, O, OL), run as conv2d on
    height-1 images (padding may be an int, 'same' or 'valid')."""
    x, unbatched = _batched_sequence(input, "conv1d")
    w = _float_input(weight, "conv1d", "weight")
    if w.ndim != 3:
        raise ShapeError(f"conv1d: weight must be 3-D (out_channels, in_channels/groups, k), got shape "
                         f"{w.shape}")
    stride = (1, _single(stride, "conv1d", "stride"))
    dilation = (1, _single(dilation, "conv1d", "dilation"))
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise InvalidArgumentError(f"conv1d: padding must be an int, 'valid' or 'same', got {padding!r}")
        if padding == "same" and stride != (1, 1):
            raise InvalidArgumentError("conv1d: padding='same' is not supported for strided convolutions")
    else:
        padding = (0, _single(padding, "conv1d", "padding"))
    if x.shape[1] != w.shape[1] * (groups if isinstance(groups, int) and groups > 0 else 1):
        raise ShapeError(f"conv1d: expected input with {w.shape[1] * groups} channels (dim 1), got shape "
                         f"{x.shape} for weight of shape {w.shape} and groups={groups}")
    out = conv2d(_as_image(x), ops.reshape(w, w.shape[:2] + (1, w.shape[2])), bias, stride, padding, dilation,
                 groups)
    return _from_image(out, unbatched)


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """The adjoint of conv2d ("deconvolution"): (N, C_in, H, W) with weight (C_in, C_out/groups, kh, kw)
    -> (N, C_out, OH, OW), OH = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1.
    Computed as weight^T @ input (columns) folded back by col2im, so differentiable to any order."""
    x, unbatched = _batched_image(input, "conv_transpose2d")
    w = _float_input(weight, "conv_transpose2d", "weight")
    if w.ndim != 4:
        raise ShapeError(f"conv_transpose2d: weight must be 4-D (in_channels, out_channels/groups, kh, kw), "
                         f"got shape {w.shape}")
    in_channels, group_out, kh, kw = w.shape
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups <= 0 \
            or in_channels % groups:
        raise InvalidArgumentError(f"conv_transpose2d: groups must be a positive divisor of in_channels "
                                   f"({in_channels}), got {groups!r}")
    if x.shape[1] != in_channels:
        raise ShapeError(f"conv_transpose2d: expected input with {in_channels} channels (dim 1), got shape "
                         f"{x.shape} for weight of shape {w.shape}")
    out_channels = group_out * groups
    if bias is not None and _data(bias).shape != (out_channels,):
        raise ShapeError(f"conv_transpose2d: bias must have shape ({out_channels},), got {_data(bias).shape}")
    kernel = (kh, kw)
    stride = _pair(stride, "conv_transpose2d", "stride")
    padding = _pair(padding, "conv_transpose2d", "padding")
    extra = _pair(output_padding, "conv_transpose2d", "output_padding")
    dilation = _pair(dilation, "conv_transpose2d", "dilation")
    if min(stride) <= 0 or min(dilation) <= 0 or min(padding) < 0 or min(extra) < 0:
        raise InvalidArgumentError(f"conv_transpose2d: stride and dilation must be positive, padding and "
                                   f"output_padding non-negative, got stride={stride}, padding={padding}, "
                                   f"output_padding={extra}, dilation={dilation}")
    for axis in range(2):
        if extra[axis] >= stride[axis] and extra[axis] >= dilation[axis]:
            raise InvalidArgumentError(f"conv_transpose2d: output padding must be smaller than either stride "
                                       f"or dilation, got output_padding={extra}, stride={stride}, "
                                       f"dilation={dilation}")
    n, _, h, wd = x.shape
    full = tuple((size - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + 1 for a, size in enumerate((h, wd)))
    out_size = tuple(full[a] - 2 * padding[a] + extra[a] for a in range(2))
    if min(out_size) <= 0:
        raise ShapeError(f"conv_transpose2d: input of spatial size {(h, wd)} gives a non-positive output "
                         f"size {out_size} for kernel_size={kernel}, stride={stride}, padding={padding}, "
                         f"dilation={dilation}")
    flat = ops.reshape(x, (n, groups, in_channels // groups, h * wd))
    grouped_w = ops.reshape(w, (groups, in_channels // groups, group_out * kh * kw))
    cols = ops.matmul(ops.swapaxes(grouped_w, 1, 2), flat)  # (N, g, C_out/g * kh * kw, H W)
    cols = ops.reshape(cols, (n, out_channels * kh * kw, h * wd))
    canvas = ops.col2im(cols, full, kernel, stride, (0, 0), dilation)
    out = pad(canvas, (-padding[1], out_size[1] + padding[1] - full[1],
                       -padding[0], out_size[0] + padding[0] - full[0]))
    if bias is not None:
        out = out + ops.reshape(bias, (1, out_channels, 1, 1))
    return ops.reshape(out, out.shape[1:]) if unbatched else out


def conv_transpose1d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """The adjoint of conv1d: (N, C_in, L) with weight (C_in, C_out/groups, k) -> (N, C_out, OL),
    OL = (L - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1 (conv_transpose2d on
    height-1 images)."""
    x, unbatched = _batched_sequence(input, "conv_transpose1d")
    w = _float_input(weight, "conv_transpose1d", "weight")
    if w.ndim != 3:
        raise ShapeError(f"conv_transpose1d: weight must be 3-D (in_channels, out_channels/groups, k), got "
                         f"shape {w.shape}")
    out = conv_transpose2d(_as_image(x), ops.reshape(w, w.shape[:2] + (1, w.shape[2])), bias,
                           (1, _single(stride, "conv_transpose1d", "stride")),
                           (0, _single(padding, "conv_transpose1d", "padding")),
                           (0, _single(output_padding, "conv_transpose1d", "output_padding")), groups,
                           (1, _single(dilation, "conv_transpose1d", "dilation")))
    return _from_image(out, unbatched)


# ---- 1-D pooling, adaptive pooling ---------------------------------------------------------------------

def _pool1d_stride(kernel_size: Any, stride: Any, name: str) -> tuple[int, int]:
    kernel = _single(kernel_size, name, "kernel_size")
    if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0):
        return kernel, kernel
    return kernel, _single(stride, name, "stride")


def max_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over each window: (N, C, L) -> (N, C, OL) (max_pool2d on height-1 images); with
    return_indices, also the index along L of each maximum."""
    x, unbatched = _batched_sequence(input, "max_pool1d")
    kernel, step = _pool1d_stride(kernel_size, stride, "max_pool1d")
    result = max_pool2d(_as_image(x), (1, kernel), (1, step), (0, _single(padding, "max_pool1d", "padding")),
                        (1, _single(dilation, "max_pool1d", "dilation")), ceil_mode, return_indices)
    if not return_indices:
        return _from_image(result, unbatched)
    out, indices = result
    index = indices.data.reshape(indices.shape[:2] + (indices.shape[3],))
    return _from_image(out, unbatched), Tensor._wrap(index[0] if unbatched else index)


def avg_pool1d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over each window: (N, C, L) -> (N, C, OL) (avg_pool2d on height-1 images)."""
    x, unbatched = _batched_sequence(input, "avg_pool1d")
    kernel, step = _pool1d_stride(kernel_size, stride, "avg_pool1d")
    out = avg_pool2d(_as_image(x), (1, kernel), (1, step), (0, _single(padding, "avg_pool1d", "padding")),
                     ceil_mode, count_include_pad)
    return _from_image(out, unbatched)


def _adaptive_sizes(output_size: Any, spatial: tuple, name: str) -> tuple:
    """output_size (an int, or a tuple of ints and Nones meaning 'keep that size') per spatial dim."""
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        sizes = (int(output_size),) * len(spatial)
    elif isinstance(output_size, (tuple, list)) and len(output_size) == len(spatial):
        sizes = tuple(spatial[a] if s is None else s for a, s in enumerate(output_size))
    else:
        raise InvalidArgumentError(f"{name}: output_size must be an int or a tuple of {len(spatial)} ints "
                                   f"(or None), got {output_size!r}")
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise InvalidArgumentError(f"{name}: output_size must be positive, got {output_size!r}")
    return tuple(int(s) for s in sizes)


def _adaptive_bins(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive bins: [floor(i size / out), ceil((i + 1) size / out))."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _adaptive_average_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    matrix = np.zeros((out, size), dtype=dtype)
    for i, (start, end) in enumerate(_adaptive_bins(size, out)):
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def _spatial_input(input: Any, name: str, spatial: int) -> Tensor:
    x = _float_input(input, name)
    if x.ndim not in (spatial + 1, spatial + 2) or 0 in x.shape[-spatial:]:
        raise ShapeError(f"{name}: expected a {spatial + 1}-D or {spatial + 2}-D input with non-empty "
                         f"spatial dimensions, got shape {x.shape}")
    return x


def _apply_axis_matrices(x: Tensor, matrices: Sequence[np.ndarray]) -> Tensor:
    """x with matrix k (out_k, in_k) applied along the k-th of its last len(matrices) axes."""
    out = x
    count = len(matrices)
    for k, matrix in enumerate(matrices):
        axis = x.ndim - count + k
        if axis == x.ndim - 1:
            out = ops.matmul(out, Tensor._wrap(np.ascontiguousarray(matrix.T)))
        else:
            moved = ops.swapaxes(out, axis, -1)
            out = ops.swapaxes(ops.matmul(moved, Tensor._wrap(np.ascontiguousarray(matrix.T))), axis, -1)
    return out


def adaptive_avg_pool1d(input: Any, output_size: Any) -> Tensor:  # noqa: A002
    """Mean over PyTorch's adaptive bins: (N, C, L) -> (N, C, output_size), as a matmul by the
    (L, output_size) bin-averaging matrix."""
    x = _spatial_input(input, "adaptive_avg_pool1d", 1)
    (size,) = _adaptive_sizes(output_size, x.shape[-1:], "adaptive_avg_pool1d")
    return _apply_axis_matrices(x, [_adaptive_average_matrix(x.shape[-1], size, x.dtype)])


def adaptive_avg_pool2d(input: Any, output_size: Any) -> Tensor:  # noqa: A002
    """Mean over PyTorch's adaptive bins: (N, C, H, W) -> (N, C, oh, ow) (None keeps a size)."""
    x = _spatial_input(input, "adaptive_avg_pool2d", 2)
    sizes = _adaptive_sizes(output_size, x.shape[-2:], "adaptive_avg_pool2d")
    return _apply_axis_matrices(x, [_adaptive_average_matrix(x.shape[-2 + a], sizes[a], x.dtype)
                                    for a in range(2)])


def _adaptive_max(x: Tensor, sizes: tuple, return_indices: bool) -> Any:
    """Max over adaptive bins of the last two axes of (B, H, W), by gathering the first maximum of
    each bin from the flattened image (so the gradient reaches it alone, as PyTorch)."""
    batch, h, w = x.shape
    data = x.data
    bins_h, bins_w = _adaptive_bins(h, sizes[0]), _adaptive_bins(w, sizes[1])
    winners = np.empty((batch, sizes[0], sizes[1]), dtype=np.int64)
    for i, (top, bottom) in enumerate(bins_h):
        for j, (left, right) in enumerate(bins_w):
            window = data[:, top:bottom, left:right].reshape(batch, -1)
            best = np.argmax(window, axis=1)
            if np.isnan(window).any():
                nan_rows = np.isnan(window).any(axis=1)
                best = np.where(nan_rows, np.argmax(np.isnan(window), axis=1), best)
            width = right - left
            winners[:, i, j] = (top + best // width) * w + left + best % width
    flat = winners.reshape(batch, -1)
    out = ops.reshape(ops.gather(ops.reshape(x, (batch, h * w)), 1, flat), (batch,) + sizes)
    return (out, winners) if return_indices else out


def adaptive_max_pool2d(input: Any, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """Max over PyTorch's adaptive bins: (N, C, H, W) -> (N, C, oh, ow); with return_indices, also
    the flat H*W index of each maximum."""
    x = _spatial_input(input, "adaptive_max_pool2d", 2)
    sizes = _adaptive_sizes(output_size, x.shape[-2:], "adaptive_max_pool2d")
    lead = x.shape[:-2]
    result = _adaptive_max(ops.reshape(x, (-1,) + x.shape[-2:]), sizes, return_indices)
    if not return_indices:
        return ops.reshape(result, lead + sizes)
    out, winners = result
    return ops.reshape(out, lead + sizes), Tensor._wrap(winners.reshape(lead + sizes))


def adaptive_max_pool1d(input: Any, output_size: Any, return_indices: bool = False) -> Any:  # noqa: A002
    """Max over PyTorch's adaptive bins: (N, C, L) -> (N, C, output_size)."""
    x = _spatial_input(input, "adaptive_max_pool1d", 1)
    (size,) = _adaptive_sizes(output_size, x.shape[-1:], "adaptive_max_pool1d")
    lead = x.shape[:-1]
    result = _adaptive_max(ops.reshape(x, (-1, 1, x.shape[-1])), (1, size), return_indices)
    if not return_indices:
        return ops.reshape(result, lead + (size,))
    out, winners = result
    return ops.reshape(out, lead + (size,)), Tensor._wrap(winners.reshape(lead + (size,)))


# ---- interpolate ------------------------------------------------------------------------------------------

_INTERPOLATE_RANKS = {"nearest": (3, 4), "nearest-exact": (3, 4), "area": (3, 4), "linear": (3,),
                      "bilinear": (4,)}


def _interpolation_matrix(size: int, out: int, mode: str, align_corners: bool,
                          scale: float | None) -> np.ndarray:
    """The (out, size) matrix mapping one input axis to the resized axis (PyTorch's source-index rules;
    `scale` is 1 / scale_factor when one was given and not recomputed)."""
    matrix = np.zeros((out, size))
    rows = np.arange(out)
    if mode in ("nearest", "nearest-exact"):
        ratio = np.float32(scale if scale is not None else size / out)
        offset = np.float32(0.5 if mode == "nearest-exact" else 0.0)
        source = np.floor((rows.astype(np.float32) + offset) * ratio).astype(np.int64)
        if out == size and mode == "nearest":
            source = rows
        matrix[rows, np.minimum(source, size - 1)] = 1.0
        return matrix
    if align_corners:
        source = rows * ((size - 1) / (out - 1)) if out > 1 else np.zeros(out)
    else:
        ratio = scale if scale is not None else size / out
        source = np.maximum((rows + 0.5) * ratio - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(np.int64), size - 1)
    high = np.minimum(low + 1, size - 1)
    weight = source - low
    np.add.at(matrix, (rows, low), 1.0 - weight)
    np.add.at(matrix, (rows, high), weight)
    return matrix


def interpolate(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",  # noqa: A002
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resizes the spatial dims of (N, C, L) or (N, C, H, W) input to `size` (or floor(in *
    scale_factor)): mode 'nearest', 'nearest-exact', 'area' (adaptive averaging), 'linear' (3-D) or
    'bilinear' (4-D), with align_corners as PyTorch. Each axis is a matmul by a fixed (out, in)
    matrix, so the result is differentiable to any order."""
    if mode not in _INTERPOLATE_RANKS:
        raise UnsupportedError(f"interpolate: mode {mode!r} is not supported; expected one of "
                               f"{sorted(_INTERPOLATE_RANKS)}")
    if antialias:
        raise UnsupportedError("interpolate: antialias=True is not supported")
    if align_corners is not None and mode not in ("linear", "bilinear"):
        raise InvalidArgumentError("interpolate: align_corners option can only be set with the interpolating "
                                   "modes: linear | bilinear | bicubic | trilinear")
    x = _float_input(input, "interpolate")
    if x.ndim not in _INTERPOLATE_RANKS[mode]:
        ranks = " or ".join(map(str, _INTERPOLATE_RANKS[mode]))
        raise ShapeError(f"interpolate: mode {mode!r} expects a {ranks}-D input (N, C, spatial...), got "
                         f"shape {x.shape}")
    spatial = x.shape[2:]
    count = len(spatial)
    if (size is None) == (scale_factor is None):
        raise InvalidArgumentError("interpolate: only one of size or scale_factor should be defined")
    scales: list = [None] * count
    if size is not None:
        sizes = (size,) * count if isinstance(size, (int, np.integer)) else tuple(size)
        if len(sizes) != count or not all(isinstance(s, (int, np.integer)) and s > 0 for s in sizes):
            raise InvalidArgumentError(f"interpolate: size must be a positive int or {count} positive ints "
                                       f"for input of shape {x.shape}, got {size!r}")
        if recompute_scale_factor:
            raise InvalidArgumentError("interpolate: recompute_scale_factor is not meaningful with an "
                                       "explicit size")
    else:
        factors = (scale_factor,) * count if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
        if len(factors) != count or not all(isinstance(f, (int, float)) and f > 0 for f in factors):
            raise InvalidArgumentError(f"interpolate: scale_factor must be a positive number or {count} of "
                                       f"them for input of shape {x.shape}, got {scale_factor!r}")
        sizes = tuple(int(math.floor(s * float(f))) for s, f in zip(spatial, factors))
        if not recompute_scale_factor:
            scales = [1.0 / float(f) for f in factors]
        if min(sizes) <= 0:
            raise ShapeError(f"interpolate: scale_factor {scale_factor!r} gives an empty output for input of "
                             f"shape {x.shape}")
    sizes = tuple(int(s) for s in sizes)
    if mode == "area":
        return adaptive_avg_pool1d(x, sizes[0]) if count == 1 else adaptive_avg_pool2d(x, sizes)
    matrices = [_interpolation_matrix(spatial[a], sizes[a], mode, bool(align_corners),
                                      scales[a]).astype(x.dtype) for a in range(count)]
    return _apply_axis_matrices(x, matrices)


# ---- distances and normalisation ---------------------------------------------------------------------

def _dim_in_range(dim: int, ndim: int, name: str) -> int:
    is_int = isinstance(dim, (int, np.integer)) and not isinstance(dim, bool)
    if not is_int or not -max(ndim, 1) <= dim < max(ndim, 1):
        raise InvalidArgumentError(f"{name}: dim {dim!r} is out of range for a {ndim}-D input")
    return int(dim) % max(ndim, 1)


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Tensor:  # noqa: A002
    """x / max(||x||_p, eps) along `dim`."""
    if out is not None:
        raise UnsupportedError("normalize: out= is not supported")
    x = _float_input(input, "normalize")
    axis = _dim_in_range(dim, x.ndim, "normalize")
    if x.ndim == 0:
        raise ShapeError("normalize: input must have at least 1 dimension")
    norm = ops.norm(x, ord=p, axis=axis, keepdims=True)
    return x / ops.maximum(norm, np.asarray(eps, dtype=x.dtype))


def _broadcast_pair(x1: Any, x2: Any, name: str) -> tuple[Tensor, Tensor]:
    a, b = _float_input(x1, name, "x1"), _float_input(x2, name, "x2")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ShapeError(f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None
    if a.shape != shape:
        a = ops.broadcast_to(a, shape)
    if b.shape != shape:
        b = ops.broadcast_to(b, shape)
    return a, b


def _clamped_norm(x: Tensor, axis: int, eps: float) -> Tensor:
    """||x|| along axis (kept), its value raised to eps where smaller while the gradient stays that
    of the norm: PyTorch clamps the norm in place under no_grad."""
    norm = ops.norm(x, ord=2, axis=axis, keepdims=True)
    return norm + ops.clamp_lift(norm, eps)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along `dim` (inputs broadcast), as PyTorch."""
    a, b = _broadcast_pair(x1, x2, "cosine_similarity")
    axis = _dim_in_range(dim, a.ndim, "cosine_similarity")
    if a.ndim == 0:
        raise ShapeError("cosine_similarity: inputs must have at least 1 dimension")
    return ops.sum((a / _clamped_norm(a, axis, eps)) * (b / _clamped_norm(b, axis, eps)), axis=axis)


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension (inputs broadcast)."""
    a, b = _broadcast_pair(x1, x2, "pairwise_distance")
    if a.ndim == 0:
        raise ShapeError("pairwise_distance: inputs must have at least 1 dimension")
    return ops.norm(a - b + eps, ord=p, axis=-1, keepdims=keepdim)


# ---- more losses --------------------------------------------------------------------------------------

def _xlogy_self(t: Tensor) -> Tensor:
    """t log t with 0 where t == 0 (NaN stays NaN), differentiable where t > 0."""
    positive = ops.gt(t, 0.0)
    safe = ops.where(positive, t, _constant(1.0, t))
    nan = ops.ne(t, t)
    return ops.where(ops.logical_or(positive, nan), t * ops.log(safe), _constant(0.0, t))


def kl_div(input: Any, target: Any, size_average: Any = None, reduce: Any = None,  # noqa: A002
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target (log target - input) pointwise for log-probabilities `input` (0 where target == 0), or
    exp(target) (target - input) with log_target. reduction 'batchmean' divides the sum by the batch
    size (input.shape[0]); 'mean' averages over every element, as PyTorch."""
    if reduction == "batchmean" and size_average is None and reduce is None:
        mode = "batchmean"
    else:
        mode = _legacy_reduction(size_average, reduce, reduction, "kl_div")
    x = _float_input(input, "kl_div")
    y = _matching_target(x, target, "kl_div", float_only=True)
    if not isinstance(y, Tensor):
        y = Tensor._wrap(y)
    if log_target:
        loss = ops.exp(y) * (y - x)
    else:
        loss = _xlogy_self(y) - y * x
    if mode == "batchmean":
        total = ops.sum(loss)
        return total / x.shape[0] if x.ndim else total
    return _reduce(loss, mode)


def poisson_nll_loss(input: Any, target: Any, log_input: bool = True, full: bool = False,  # noqa: A002
                     size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """Negative log likelihood of a Poisson target: exp(input) - target input (log_input), or
    input - target log(input + eps); with `full`, plus Stirling's target log target - target +
    log(2 pi target) / 2 where target > 1."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "poisson_nll_loss")
    x = _float_input(input, "poisson_nll_loss")
    y = _matching_target(x, target, "poisson_nll_loss")
    loss = ops.exp(x) - y * x if log_input else x - y * ops.log(x + eps)
    if full:  # Stirling's term, differentiable in the target as torch's
        t = y if isinstance(y, Tensor) else Tensor._wrap(y)
        large = ops.gt(t, 1.0)
        safe = ops.where(large, t, _constant(2.0, t))
        stirling = safe * ops.log(safe) - safe + 0.5 * ops.log(safe * (2 * np.pi))
        loss = loss + ops.where(large, stirling, _constant(0.0, t))
    return _reduce(loss, reduction)


def _paired_inputs(input1: Any, input2: Any, name: str) -> tuple[Tensor, Tensor]:
    a, b = _float_input(input1, name, "input1"), _float_input(input2, name, "input2")
    if a.shape != b.shape:
        raise ShapeError(f"{name}: input1 and input2 must have the same shape, got {a.shape} and {b.shape}")
    return a, b


def cosine_embedding_loss(input1: Any, input2: Any, target: Any, margin: float = 0,  # noqa: A002
                          size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target == 1, max(0, cos(x1, x2) - margin) where target == -1, for inputs
    (N, D) (or (D,)) and target (N,) (or 0-D) of 1s and -1s; cos along dim 1 with PyTorch's 1e-12."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "cosine_embedding_loss")
    a, b = _paired_inputs(input1, input2, "cosine_embedding_loss")
    if a.ndim not in (1, 2):
        raise ShapeError(f"cosine_embedding_loss: expected 1-D or 2-D inputs, got shape {a.shape}")
    if _data(target).shape != a.shape[:-1]:
        raise ShapeError(f"cosine_embedding_loss: target must have shape {a.shape[:-1]} for inputs of shape "
                         f"{a.shape}, got {_data(target).shape}")
    y = target if isinstance(target, Tensor) else Tensor._wrap(_data(target))
    axis = a.ndim - 1
    products = ops.sum(a * b, axis=axis)
    squares = ops.sum(a * a, axis=axis) + 1e-12
    other = ops.sum(b * b, axis=axis) + 1e-12
    cosine = products / ops.sqrt(squares * other)
    zero = np.zeros((), dtype=a.dtype)
    positive = ops.where(ops.eq(y, 1), 1.0 - cosine, zero)
    negative = ops.where(ops.eq(y, -1), ops.relu(cosine - margin), zero)
    return _reduce(positive + negative, reduction)


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0,  # noqa: A002
                        size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """max(0, -target (input1 - input2) + margin) elementwise (all three of one shape)."""
    reduction = _legacy_reduction(size_average, reduce, reduction, "margin_ranking_loss")
    a, b = _paired_inputs(input1, input2, "margin_ranking_loss")
    y = target if isinstance(target, Tensor) and is_floating_dtype(target.dtype) else _data(target)
    if _data(y).shape != a.shape:
        raise ShapeError(f"margin_ranking_loss: target must have the inputs' shape {a.shape}, got "
                         f"{_data(y).shape}")
    if not isinstance(y, Tensor):
        y = y.astype(a.dtype, copy=False)
    return _reduce(ops.relu(-y * (a - b) + margin), reduction)


# ---- group and instance normalisation ---------------------------------------------------------------

def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,  # noqa: A002
               eps: float = 1e-5) -> Tensor:
    """Normalises each group of C / num_groups channels of (N, C, *) input over its channels and
    spatial positions (biased variance), then per-channel weight and bias."""
    x = _float_input(input, "group_norm")
    if x.ndim < 2:
        raise ShapeError(f"group_norm: expected input of shape (N, C, *), got {x.shape}")
    channels = x.shape[1]
    if not isinstance(num_groups, (int, np.integer)) or num_groups <= 0 or channels % num_groups:
        raise InvalidArgumentError(f"group_norm: Expected number of channels in input ({channels}) to be "
                                   f"divisible by num_groups ({num_groups})")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and _data(value).shape != (channels,):
            raise ShapeError(f"group_norm: {name} must have shape ({channels},), got {_data(value).shape}")
    grouped = ops.reshape(x, (x.shape[0], int(num_groups), -1))
    centered = grouped - ops.mean(grouped, axis=2, keepdims=True)
    variance = ops.mean(centered * centered, axis=2, keepdims=True)
    out = ops.reshape(centered / ops.sqrt(variance + eps), x.shape)
    broadcast = (1, channels) + (1,) * (x.ndim - 2)
    if weight is not None:
        out = out * ops.reshape(weight, broadcast)
    if bias is not None:
        out = out + ops.reshape(bias, broadcast)
    return out


def instance_norm(input: Any, running_mean: Any = None, running_var: Any = None, weight: Any = None,  # noqa: A002
                  bias: Any = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Normalises each channel of each sample of (N, C, *) input over its spatial positions (biased
    variance). With use_input_stats and running buffers, those are updated in place with the batch
    average of the per-instance mean and unbiased variance; without use_input_stats the running
    statistics normalise instead."""
    x = _float_input(input, "instance_norm")
    if x.ndim < 3:
        raise ShapeError(f"instance_norm: expected input of shape (N, C, *) with spatial dims, got {x.shape}")
    channels = x.shape[1]
    _check_per_channel("instance_norm", x, running_mean=running_mean, running_var=running_var,
                       weight=weight, bias=bias)
    axes = tuple(range(2, x.ndim))
    broadcast = (1, channels) + (1,) * (x.ndim - 2)
    if use_input_stats:
        count = int(np.prod(x.shape[2:]))
        if count <= 1:
            raise InvalidArgumentError(f"instance_norm: expected more than 1 spatial element when training, "
                                       f"got input of shape {x.shape}")
        mean = ops.mean(x, axis=axes, keepdims=True)
        centered = x - mean
        variance = ops.mean(centered * centered, axis=axes, keepdims=True)
        with no_grad():
            if running_mean is not None:
                batch_mean = mean.data.reshape(x.shape[:2]).mean(axis=0)
                running_mean.copy_((1 - momentum) * running_mean.data + momentum * batch_mean)
            if running_var is not None:
                unbiased = variance.data.reshape(x.shape[:2]).mean(axis=0) * (count / (count - 1))
                running_var.copy_((1 - momentum) * running_var.data + momentum * unbiased)
    else:
        if running_mean is None or running_var is None:
            raise InvalidArgumentError("instance_norm: Expected running_mean and running_var to be defined "
                                       "when use_input_stats is false")
        centered = x - np.reshape(_data(running_mean), broadcast).astype(x.dtype, copy=False)
        variance = np.reshape(_data(running_var), broadcast).astype(x.dtype, copy=False)
    out = centered / ops.sqrt(variance + eps)
    if weight is not None:
        out = out * ops.reshape(weight, broadcast)
    if bias is not None:
        out = out + ops.reshape(bias, broadcast)
    return out


# ---- seq12: attention (defined in nn/attention.py) --------------------------------------------------
from .attention import scaled_dot_product_attention  # noqa: E402,F401

__all__.append("scaled_dot_product_attention")


# ---- mixed precision: composite functions that autocast treats as one op (autograd_core.amp) --------
# Under `ag.autocast`, these cast their tensor arguments per the autocast tables (float32 for norms
# and losses, the low dtype for convolutions and attention) and run their body with autocast off.
from autograd_core import amp as _amp  # noqa: E402

for _name in ("layer_norm", "batch_norm", "group_norm", "instance_norm", "cross_entropy", "nll_loss",
              "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
              "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss", "cosine_embedding_loss",
              "margin_ranking_loss", "normalize", "cosine_similarity", "softmin", "conv1d", "conv2d",
              "conv_transpose1d", "conv_transpose2d", "prelu", "scaled_dot_product_attention"):
    globals()[_name] = _amp.autocast_op(_name)(globals()[_name])
