"""Fused ops for neural-network layers and losses: im2col/col2im (unfold/fold), softmax cross
entropy, binary cross entropy and the embedding lookup.

Each vjp is written with `xp` so it also runs on Tensors (create_graph=True): im2col and col2im
are each other's adjoint, so convolutions and pooling are differentiable to any order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidArgumentError, ShapeError
from ..graph import Op, apply, apply_nondifferentiable
from ..tensor import Tensor
from .reductions import log_softmax_array


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# ---- im2col / col2im ----------------------------------------------------------------------------

def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length of a sliding window along one axis (PyTorch's floor formula)."""
    if stride <= 0 or kernel <= 0 or dilation <= 0 or padding < 0:
        raise InvalidArgumentError(f"conv_output_size: kernel ({kernel}), stride ({stride}) and "
                                   f"dilation ({dilation}) must be positive and padding "
                                   f"({padding}) non-negative")
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _window_slices(offset: int, count: int, stride: int) -> slice:
    return slice(offset, offset + stride * (count - 1) + 1, stride)


def _tiles(kernel_size: tuple, stride: tuple, padding: tuple, dilation: tuple) -> bool:
    """Whether the windows tile the input without overlap or gaps (stride = kernel, no padding or
    dilation, as a 2x2 max pool): im2col and col2im are then one transpose."""
    return tuple(stride) == tuple(kernel_size) and not any(padding) and tuple(dilation) == (1, 1)


def im2col_array(x: np.ndarray, kernel_size: tuple, stride: tuple, padding: tuple,
                 dilation: tuple) -> np.ndarray:
    """(N, C, H, W) -> (N, C*kh*kw, OH*OW): every kernel-sized patch as a column (torch unfold)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh = conv_output_size(h, kh, sh, ph, dh)
    ow = conv_output_size(w, kw, sw, pw, dw)
    if _tiles(kernel_size, stride, padding, dilation):
        tiles = x[:, :, : oh * kh, : ow * kw].reshape(n, c, oh, kh, ow, kw)
        return np.ascontiguousarray(tiles.transpose(0, 1, 3, 5, 2, 4)).reshape(n, c * kh * kw, oh * ow)
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, _window_slices(i * dh, oh, sh), _window_slices(j * dw, ow, sw)]
    return cols.reshape(n, c * kh * kw, oh * ow)


def col2im_array(cols: np.ndarray, output_size: tuple, kernel_size: tuple, stride: tuple,
                 padding: tuple, dilation: tuple) -> np.ndarray:
    """(N, C*kh*kw, OH*OW) -> (N, C, H, W), overlapping patches summed (torch fold)."""
    h, w = output_size
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh = conv_output_size(h, kh, sh, ph, dh)
    ow = conv_output_size(w, kw, sw, pw, dw)
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    patches = cols.reshape(n, c, kh, kw, oh, ow)
    if _tiles(kernel_size, stride, padding, dilation) and (h, w) == (oh * kh, ow * kw):
        # each pixel in exactly one window: one pass of 0 + patch (what the loop below computes)
        out = np.empty((n, c, oh, kh, ow, kw), dtype=cols.dtype)
        np.add(patches.transpose(0, 1, 4, 2, 5, 3), 0, out=out)
        return out.reshape(n, c, h, w)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, _window_slices(i * dh, oh, sh), _window_slices(j * dw, ow, sw)] += patches[:, :, i, j]
    return out[:, :, ph:ph + h, pw:pw + w]


class Im2Col(Op):
    """Sliding patches of an NCHW input as columns; vjp is col2im (sums patches back)."""
    name = "im2col"

    def forward(x, kernel_size, stride, padding, dilation):
        return im2col_array(x, kernel_size, stride, padding, dilation)

    def vjp(xp, needs, g, out, x, kernel_size, stride, padding, dilation):
        return (xp.col2im(g, x.shape[2:], kernel_size, stride, padding, dilation),)


class Col2Im(Op):
    """Columns summed back into an NCHW image; vjp is im2col."""
    name = "col2im"

    def forward(cols, output_size, kernel_size, stride, padding, dilation):
        return col2im_array(cols, output_size, kernel_size, stride, padding, dilation)

    def vjp(xp, needs, g, out, cols, output_size, kernel_size, stride, padding, dilation):
        return (xp.im2col(g, kernel_size, stride, padding, dilation),)


def _window_args(name: str, kernel_size: Any, stride: Any, padding: Any, dilation: Any) -> dict:
    """The (h, w) pairs of a sliding window, validated: ints, kernel/stride/dilation >= 1,
    padding >= 0 (an int is used for both axes)."""
    attrs = {}
    for label, value, low in (("kernel_size", kernel_size, 1), ("stride", stride, 1),
                              ("padding", padding, 0), ("dilation", dilation, 1)):
        pair = (value, value) if isinstance(value, (int, np.integer)) else value
        try:
            pair = tuple(pair)
        except TypeError:
            pair = ()
        if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                 for v in pair):
            raise InvalidArgumentError(f"{name}: {label} must be an int or a pair of ints, got "
                                       f"{value!r}")
        if min(pair) < low:
            raise InvalidArgumentError(f"{name}: {label} must be >= {low}, got {value!r}")
        attrs[label] = tuple(int(v) for v in pair)
    return attrs


def _check_windows(name: str, spatial: tuple, attrs: dict) -> tuple:
    size = tuple(conv_output_size(spatial[axis], attrs["kernel_size"][axis], attrs["stride"][axis],
                                  attrs["padding"][axis], attrs["dilation"][axis])
                 for axis in range(2))
    if min(size) <= 0:
        raise ShapeError(f"{name}: spatial size {tuple(spatial)} is too small for "
                         f"kernel_size={attrs['kernel_size']}, dilation={attrs['dilation']}, "
                         f"padding={attrs['padding']} (output size would be {size})")
    return size


def im2col(x: Any, kernel_size: tuple, stride: tuple = (1, 1), padding: tuple = (0, 0),
           dilation: tuple = (1, 1)) -> Tensor:
    """(N, C, H, W) -> (N, C*kh*kw, L) patches as columns (all arguments are (h, w) pairs)."""
    x = _as_tensor(x)
    attrs = _window_args("im2col", kernel_size, stride, padding, dilation)
    if x.ndim != 4:
        raise ShapeError(f"im2col: expected a 4-D (N, C, H, W) input, got shape {x.shape}")
    _check_windows("im2col", x.shape[2:], attrs)
    return apply(Im2Col, (x,), attrs)


def col2im(cols: Any, output_size: tuple, kernel_size: tuple, stride: tuple = (1, 1),
           padding: tuple = (0, 0), dilation: tuple = (1, 1)) -> Tensor:
    """(N, C*kh*kw, L) -> (N, C, H, W) with overlapping patches summed (the adjoint of im2col)."""
    cols = _as_tensor(cols)
    attrs = _window_args("col2im", kernel_size, stride, padding, dilation)
    try:
        size = tuple(int(n) for n in output_size)
    except (TypeError, ValueError):
        size = ()
    if len(size) != 2 or min(size) < 0:
        raise InvalidArgumentError(f"col2im: output_size must be two non-negative ints, got "
                                   f"{output_size!r}")
    blocks = _check_windows("col2im", size, attrs)
    kh, kw = attrs["kernel_size"]
    if cols.ndim != 3 or cols.shape[1] % (kh * kw) or cols.shape[2] != blocks[0] * blocks[1]:
        raise ShapeError(f"col2im: expected columns of shape (N, C*{kh}*{kw}, {blocks[0] * blocks[1]})"
                         f" for output_size {size}, got {cols.shape}")
    return apply(Col2Im, (cols,), {"output_size": size, **attrs})


# ---- softmax cross entropy --------------------------------------------------------------------

class SoftmaxCrossEntropy(Op):
    """loss_i = -sum_c A_ic log_softmax(x)_ic for logits x (M, C) and coefficients A (M, C), summed
    and divided by `divisor` when `reduce`, else per row (M,).

    Integer targets, class weights and label smoothing are all folded into A, so one op covers
    every form of cross entropy. d/dx = (rowsum(A) softmax(x) - A) g, d/dA = -log_softmax(x) g.
    """
    name = "softmax_cross_entropy"

    def forward(logits, coefficients, divisor, reduce):
        weighted = coefficients * log_softmax_array(logits, axis=1)
        if not np.isfinite(weighted).all():
            with np.errstate(invalid="ignore"):
                weighted = np.where(coefficients != 0, weighted, 0)
        rows = -weighted.sum(axis=1)
        if reduce:
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.asarray(rows.sum() / divisor, dtype=logits.dtype)
        return rows.astype(logits.dtype, copy=False)

    def vjp(xp, needs, g, out, logits, coefficients, divisor, reduce):
        scale = g / divisor if reduce else xp.reshape(g, (-1, 1))
        grad_logits = grad_coefficients = None
        if needs[0]:
            row_total = xp.sum(coefficients, axis=1, keepdims=True)
            grad_logits = scale * (row_total * xp.softmax(logits, axis=1) - coefficients)
        if needs[1]:
            grad_coefficients = -scale * xp.log_softmax(logits, axis=1)
        return grad_logits, grad_coefficients


def softmax_cross_entropy(logits: Any, coefficients: Any, divisor: float = 1.0,
                          reduce: bool = True) -> Tensor:
    """Fused -sum(A * log_softmax(logits, 1)) for logits (M, C) and coefficients A (M, C)."""
    logits = _as_tensor(logits)
    shape = np.shape(coefficients.data if isinstance(coefficients, Tensor) else coefficients)
    if logits.ndim != 2 or shape != logits.shape:
        raise ShapeError(f"softmax_cross_entropy: expected logits (M, C) and coefficients of the "
                         f"same shape, got {logits.shape} and {shape}")
    return apply(SoftmaxCrossEntropy, (_as_tensor(logits), coefficients),
                 {"divisor": float(divisor), "reduce": bool(reduce)})


def picked_weights(flat_targets: np.ndarray, weights: np.ndarray | None, ignore_index: int,
                   dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """(targets with ignored ones replaced by class 0, the weight of each target: 0 when ignored)."""
    valid = flat_targets != ignore_index
    if valid.all():
        picked = weights[flat_targets] if weights is not None else np.ones(flat_targets.shape, dtype=dtype)
        return flat_targets, picked
    safe = np.where(valid, flat_targets, 0)
    picked = weights[safe] if weights is not None else np.ones(safe.shape, dtype=dtype)
    return safe, (picked * valid).astype(dtype, copy=False)


def class_index_coefficients(flat: np.ndarray, classes: int, weights: np.ndarray | None,
                             ignore_index: int, label_smoothing: float,
                             dtype: np.dtype) -> tuple[np.ndarray, float]:
    """Coefficients A (M, C) with loss_i = -sum_c A_ic log p_ic for class-index targets, and the sum
    of the targets' weights ('mean' divides by it). PyTorch's rule: A_it = (1 - eps) w_t, plus
    eps w_c / C on every class of a non-ignored row."""
    safe, picked = picked_weights(flat, weights, ignore_index, dtype)
    coefficients = np.zeros((len(safe), classes), dtype=dtype)
    coefficients[np.arange(len(safe)), safe] = (1.0 - label_smoothing) * picked
    if label_smoothing > 0:
        spread = (weights if weights is not None else np.ones(classes, dtype=dtype)) / classes
        valid = (flat != ignore_index).astype(dtype)
        coefficients += label_smoothing * valid[:, None] * spread[None, :]
    return coefficients, float(picked.sum())


def _plain_mean_targets(target: Any, weights: Any, ignore_index: int, label_smoothing: float,
                        reduction: str) -> np.ndarray | None:
    """The flat targets when cross entropy is the plain mean of -log p[i, t_i] (no class
    weights, no smoothing, no ignored target, at least one row), else None. The result is bitwise
    the general coefficient form's, whose A is then one-hot and whose divisor is N."""
    if weights is not None or label_smoothing != 0 or reduction != "mean":
        return None
    flat = np.reshape(target, -1)
    if not flat.size or (flat == ignore_index).any():
        return None
    return flat


class ClassCrossEntropy(Op):
    """Cross entropy of logits (N, C) against integer class targets (N,), the targets being an
    input of the op (so a traced step reads new targets each call). The coefficients of
    SoftmaxCrossEntropy are rebuilt from the targets in forward and in vjp."""
    name = "cross_entropy"

    def forward(logits, target, weights, ignore_index, label_smoothing, reduction):
        flat = _plain_mean_targets(target, weights, ignore_index, label_smoothing, reduction)
        if flat is not None:  # the plain mean over one target per row, without the (N, C) A
            picked = log_softmax_array(logits, axis=1)[np.arange(len(flat)), flat]
            return np.asarray((-picked).sum() / float(len(flat)), dtype=logits.dtype)
        coefficients, total = class_index_coefficients(
            np.reshape(target, -1), logits.shape[1], weights, ignore_index, label_smoothing,
            logits.dtype)
        divisor = total if reduction == "mean" else 1.0
        return SoftmaxCrossEntropy.forward(logits, coefficients, divisor, reduction != "none")

    def vjp(xp, needs, g, out, logits, target, weights, ignore_index, label_smoothing, reduction):
        target_data = target.data if hasattr(target, "grad_fn") else target
        flat = _plain_mean_targets(target_data, weights, ignore_index, label_smoothing, reduction)
        if flat is not None:  # (softmax - one_hot) g / N: what the general form gives when A is one-hot
            residual = xp.softmax(logits, axis=1)
            if isinstance(residual, np.ndarray):  # p - 1 at each target, in place (the same bits)
                residual[np.arange(len(flat)), flat] -= 1
            else:
                one_hot = np.zeros(logits.shape, dtype=logits.dtype)
                one_hot[np.arange(len(flat)), flat] = 1
                residual = residual - one_hot
            return (g / float(len(flat))) * residual, None
        coefficients, total = class_index_coefficients(
            np.reshape(target_data, -1), logits.shape[1], weights, ignore_index, label_smoothing,
            logits.dtype)
        divisor = total if reduction == "mean" else 1.0
        grad_logits, _ = SoftmaxCrossEntropy.vjp(xp, (True, False), g, None, logits, coefficients,
                                                 divisor, reduction != "none")
        return grad_logits, None


def class_cross_entropy(logits: Any, target: Any, weights: np.ndarray | None = None,
                        ignore_index: int = -100, label_smoothing: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """Fused cross entropy of logits (N, C) and integer targets (N,) (validated by the caller)."""
    return apply(ClassCrossEntropy, (_as_tensor(logits), target),
                 {"weights": weights, "ignore_index": ignore_index,
                  "label_smoothing": float(label_smoothing), "reduction": reduction})


# ---- binary cross entropy on probabilities ------------------------------------------------------

_BCE_EPSILON = 1e-12


class BinaryCrossEntropy(Op):
    """-(y log p + (1 - y) log(1 - p)) elementwise, each log clamped to >= -100 (PyTorch);
    d/dp = (p - y) / max(p (1 - p), 1e-12), d/dy = log(1 - p) - log(p) (clamped likewise)."""
    name = "binary_cross_entropy"

    def forward(probabilities, target):
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(probabilities), -100)
            log_not_p = np.maximum(np.log1p(-probabilities), -100)
        return -(target * log_p + (1 - target) * log_not_p)

    def vjp(xp, needs, g, out, probabilities, target):
        grad_p = grad_target = None
        if needs[0]:
            denominator = xp.maximum(probabilities * (1 - probabilities), _BCE_EPSILON)
            grad_p = g * (probabilities - target) / denominator
        if needs[1]:
            with np.errstate(divide="ignore"):
                log_p = xp.maximum(xp.log(probabilities), -100.0)
                log_not_p = xp.maximum(xp.log1p(-probabilities), -100.0)
            grad_target = g * (log_not_p - log_p)
        return grad_p, grad_target


def binary_cross_entropy_elementwise(probabilities: Any, target: Any) -> Tensor:
    """Elementwise binary cross entropy of probabilities in [0, 1] (logs clamped at -100)."""
    return apply(BinaryCrossEntropy, (_as_tensor(probabilities), target))


# ---- embedding lookup ---------------------------------------------------------------------------

class EmbeddingLookup(Op):
    """weight[indices]; the gradient scatter-adds rows (repeats accumulate), skipping padding_idx."""
    name = "embedding"

    def forward(weight, indices, padding_idx):
        return weight[indices]

    def vjp(xp, needs, g, out, weight, indices, padding_idx):
        if padding_idx is not None:
            keep = (indices != padding_idx)[..., None].astype(weight.dtype)
            g = g * keep
        return (xp.index_scatter(g, weight.shape, indices),)


def embedding_lookup(weight: Any, indices: np.ndarray, padding_idx: int | None = None) -> Tensor:
    """Rows of weight (V, D) at integer indices (any shape) -> (*indices.shape, D)."""
    return apply(EmbeddingLookup, (_as_tensor(weight),), {"indices": indices, "padding_idx": padding_idx})


# ---- random draws (recorded ops, so trace re-draws them on every replay) ------------------------

class GeneratorSource:
    """Where a recorded random draw takes its numpy Generator each time it runs: `resolve(spec)`
    is called at every run (eager or replayed), so the default generator in force at that time,
    a fresh Generator from an int seed, or a given Generator object (its state advancing) are used
    exactly as an eager call would use them."""

    __slots__ = ("resolve", "spec")

    def __init__(self, resolve: Any, spec: Any) -> None:
        self.resolve = resolve
        self.spec = spec

    def __call__(self) -> np.random.Generator:
        return self.resolve(self.spec)

    def __repr__(self) -> str:
        return "default generator" if self.spec is None else f"generator({self.spec!r})"


def _generator_of(source: Any) -> np.random.Generator:
    return source if isinstance(source, np.random.Generator) else source()


class RandomDraw(Op):
    """`generator.<method>(size=shape, **params)` cast to dtype (rand: "random", randn:
    "standard_normal"): an op with no inputs, so a Tape records it and a traced program draws
    again on every replay instead of freezing the first draw."""
    name = "random"
    differentiable = False

    def forward(generator, method, shape, dtype, params):
        return getattr(_generator_of(generator), method)(size=shape, **dict(params)).astype(dtype)


class DropoutMask(Op):
    """The inverted-dropout mask: (U[0, 1) >= p) / (1 - p) as dtype, U drawn from the generator
    on every run (eager or replayed), shape `shape`."""
    name = "dropout_mask"
    differentiable = False

    def forward(generator, p, shape, dtype):
        keep = _generator_of(generator).random(shape) >= p
        return (keep * (1.0 / (1.0 - p))).astype(dtype)


def random_draw(generator: Any, method: str, shape: tuple, dtype: Any, **params: Any) -> Tensor:
    """A tensor of random draws (see RandomDraw); `generator` is a Generator or a GeneratorSource."""
    if not isinstance(method, str) or method.startswith("_") or not callable(
            getattr(np.random.Generator, method, None)):
        raise InvalidArgumentError(f"random_draw: {method!r} is not a numpy Generator method")
    return apply_nondifferentiable(RandomDraw, (), {
        "generator": generator, "method": method, "shape": tuple(shape), "dtype": np.dtype(dtype),
        "params": tuple(sorted(params.items()))})


def dropout_mask(generator: Any, p: float, shape: tuple, dtype: Any) -> Tensor:
    """The inverted-dropout mask of `shape` (see DropoutMask); multiply the input by it."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
        raise InvalidArgumentError(f"dropout_mask: p must be in [0, 1), got {p!r}")
    return apply_nondifferentiable(DropoutMask, (), {"generator": generator, "p": float(p),
                                                     "shape": tuple(shape),
                                                     "dtype": np.dtype(dtype)})


__all__ = ["im2col", "col2im", "softmax_cross_entropy", "class_cross_entropy",
           "class_index_coefficients", "picked_weights", "binary_cross_entropy_elementwise",
           "embedding_lookup", "conv_output_size"]


# =====================================================================================================
# ---- nn10: fused activations (issue 10). The vjps use only xp names that exist both in numpy's
# ---- namespace and in autograd_core.ops (exp, abs, where, minimum), so they differentiate again. ----
# =====================================================================================================

def _sigmoid_by_tanh(xp: Any, x: Any) -> Any:
    """sigmoid(x) = (1 + tanh(x / 2)) / 2: one transcendental, no branch, no overflow."""
    return 0.5 + 0.5 * xp.tanh(0.5 * x)


class Silu(Op):
    """x * sigmoid(x) in one node; d/dx = s (1 + x (1 - s)) with s = sigmoid(x), computed as
    (1 + tanh(x / 2)) / 2 so that the create_graph path (Tensor ops) never overflows."""
    name = "silu"
    saved_inputs = (0,)

    def forward(x):
        with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x gives x / inf = -0
            return x / (1 + np.exp(-x))

    def vjp(xp, needs, g, out, x):
        s = _sigmoid_by_tanh(xp, x)
        return (g * (s * (1 + x * (1 - s))),)


class Elu(Op):
    """scale * x for x > 0, scale * alpha * (exp(input_scale * x) - 1) otherwise: elu, selu and celu
    (PyTorch's elu(alpha, scale, input_scale)) in one node; d/dx = scale, or
    scale * alpha * input_scale * exp(input_scale * x)."""
    name = "elu"
    saved_inputs = (0,)
    save_output = True

    def forward(x, alpha, scale, input_scale):
        negative = np.minimum(x, 0)
        return np.where(x > 0, scale * x, (scale * alpha) * np.expm1(negative * input_scale)).astype(
            x.dtype, copy=False)

    def vjp(xp, needs, g, out, x, alpha, scale, input_scale):
        # on x <= 0, scale alpha input_scale exp(input_scale x) = input_scale (out + scale alpha)
        slope = (out + scale * alpha) * input_scale
        return (xp.where(x > 0, g * scale, g * slope),)


def silu(x: Any) -> Tensor:
    """x * sigmoid(x) elementwise, one fused node (validated by nn.functional.silu)."""
    return apply(Silu, (_as_tensor(x),))


def _float_attribute(value: Any, op: str, what: str) -> float:
    """A number argument as a float; anything else is a typed error naming the op."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        from ..errors import InvalidArgumentError

        raise InvalidArgumentError(f"{op}: {what} must be a number, got {value!r}")
    return float(value)


def elu(x: Any, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Tensor:
    """PyTorch's elu(alpha, scale, input_scale), one fused node (validated by nn.functional)."""
    return apply(Elu, (_as_tensor(x),), {"alpha": _float_attribute(alpha, "elu", "alpha"),
                                         "scale": _float_attribute(scale, "elu", "scale"),
                                         "input_scale": _float_attribute(input_scale, "elu",
                                                                         "input_scale")})


__all__ += ["silu", "elu"]


class ClampLift(Op):
    """max(x, minimum) - x, with no gradient: added to x, it raises x's value to `minimum` while the
    gradient stays x's (PyTorch clamps the norms of cosine_similarity in place under no_grad)."""
    name = "clamp_lift"
    differentiable = False

    def forward(x, minimum):
        return np.maximum(x, minimum) - x


def clamp_lift(x: Any, minimum: float) -> Tensor:
    """max(x, minimum) - x as a constant (no gradient), recomputed by traced programs."""
    from ..graph import apply_nondifferentiable

    return apply_nondifferentiable(ClampLift, (_as_tensor(x),),
                                   {"minimum": _float_attribute(minimum, "clamp_lift", "minimum")})


__all__ += ["clamp_lift"]
