"""torch.nn.functional on autograd_core: activations, linear/conv/pooling/normalisation layers as
functions, and losses. Import it as `import nn.functional as F`.

Every function checks its arguments (shapes, dtypes, target ranges) before computing anything and
raises autograd_core's typed errors naming the function and the offending shapes or values.
Where PyTorch's `dim=None` for softmax picks a legacy axis, these pick the last axis.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_core.ops as ops
from autograd_core import Tensor, no_grad
from autograd_core.errors import (DTypeError, IndexOutOfRangeError, InvalidArgumentError, ShapeError,
                                  UnsupportedError)
from autograd_core.ops.nn_ops import conv_output_size

from .init import GeneratorLike, resolve_generator

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
    if tensor.dtype.kind not in "fc":
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
    if isinstance(target, Tensor) and target.dtype.kind in "fc":
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
    keep = resolve_generator(generator).random(x.shape) >= p
    return x * (keep * (1.0 / (1.0 - p))).astype(x.dtype)


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
    unless count_include_pad=False."""
    if ceil_mode:
        raise UnsupportedError("avg_pool2d: ceil_mode=True is not supported")
    x, unbatched = _batched_image(input, "avg_pool2d")
    kernel, stride, padding, _ = _pool_arguments("avg_pool2d", kernel_size, stride, padding)
    n, c, h, w = x.shape
    out_h, out_w = _check_output_size("avg_pool2d", (h, w), kernel, stride, padding, (1, 1))
    cols = ops.reshape(ops.im2col(x, kernel, stride, padding, (1, 1)), (n, c, kernel[0] * kernel[1], -1))
    if divisor_override is not None:
        if divisor_override == 0:
            raise InvalidArgumentError("avg_pool2d: divisor_override must be non-zero")
        divisor = np.asarray(divisor_override, dtype=x.dtype)
    elif count_include_pad or padding == (0, 0):
        divisor = np.asarray(kernel[0] * kernel[1], dtype=x.dtype)
    else:
        ones = np.ones((1, 1, h, w), dtype=x.dtype)
        from autograd_core.ops.nn_ops import im2col_array

        divisor = im2col_array(ones, kernel, stride, padding, (1, 1)).sum(axis=1)
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
    for name, value in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                        ("bias", bias)):
        if value is not None and _data(value).shape != (channels,):
            raise ShapeError(f"batch_norm: {name} must have shape ({channels},) for input of shape "
                             f"{x.shape}, got {_data(value).shape}")
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
            with no_grad():
                if running_mean is not None:
                    batch_mean = mean.data.reshape(channels)
                    running_mean.copy_((1 - momentum) * running_mean.data + momentum * batch_mean)
                if running_var is not None:
                    unbiased = variance.data.reshape(channels) * (count / (count - 1))
                    running_var.copy_((1 - momentum) * running_var.data + momentum * unbiased)
    else:
        if running_mean is None or running_var is None:
            raise InvalidArgumentError("batch_norm: running_mean and running_var are required when not "
                                       "training")
        centered = x - np.reshape(_data(running_mean), broadcast).astype(x.dtype, copy=False)
        variance = np.reshape(_data(running_var), broadcast).astype(x.dtype, copy=False)
    out = centered / ops.sqrt(variance + eps)
    if weight is not None:
        out = out * ops.reshape(weight, broadcast)
    if bias is not None:
        out = out + ops.reshape(bias, broadcast)
    return out


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


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:  # noqa: A002
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), for d = input - target."""
    reduction = _legacy_reduction(None, None, reduction, "huber_loss")
    if delta <= 0:
        raise InvalidArgumentError(f"huber_loss: delta must be positive, got {delta}")
    x = _float_input(input, "huber_loss")
    difference = x - _matching_target(x, target, "huber_loss")
    size = ops.abs(difference)
    loss = ops.where(size.data < delta, 0.5 * difference * difference, delta * (size - 0.5 * delta))
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
    loss = ops.where(size.data < beta, 0.5 * difference * difference / beta, size - 0.5 * beta)
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



# ---- seq12: attention (defined in nn/attention.py) --------------------------------------------------
from .attention import scaled_dot_product_attention  # noqa: E402,F401

__all__.append("scaled_dot_product_attention")
