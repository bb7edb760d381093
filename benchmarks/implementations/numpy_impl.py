"""The numpy floor: forward and backward written out by hand (the reference every ratio is to)."""

import functools
from collections.abc import Callable

import numpy as np

from common import StepResult, weight_bias_pairs
from workloads import ChainProblem, ConvProblem, ConvSpec, MLPProblem, MLPSpec


def numpy_chain_step(x: np.ndarray, a: np.ndarray, b: np.ndarray, length: int) -> StepResult:
    """The chain forward, keeping tanh and exp outputs, then its chain rule backward."""
    tanh_outputs, exp_outputs = [], []
    value = x
    for _ in range(length // 5):
        value = value + a
        value = value * b
        value = np.tanh(value)
        tanh_outputs.append(value)
        value = value * 0.5
        value = np.exp(value)
        exp_outputs.append(value)
    loss = value.sum()

    grad = np.ones_like(value)
    for tanh_output, exp_output in zip(reversed(tanh_outputs), reversed(exp_outputs), strict=True):
        grad = grad * exp_output
        grad = grad * 0.5
        grad = grad * (1.0 - tanh_output * tanh_output)
        grad = grad * b
    return float(loss), [grad]


def numpy_activation(name: str, z: np.ndarray) -> np.ndarray:
    """a = f(z)."""
    return np.maximum(z, 0.0) if name == "relu" else np.tanh(z)


def numpy_activation_derivative(name: str, a: np.ndarray) -> np.ndarray:
    """f'(z) written with a = f(z), which the forward pass keeps: relu' = [a > 0], tanh' = 1 - a^2."""
    return a > 0.0 if name == "relu" else 1.0 - a * a


def numpy_loss_and_output_delta(spec: MLPSpec | ConvSpec, output: np.ndarray, targets: np.ndarray):
    """The loss and delta_L = dL/dz_L of the linear output layer."""
    n = spec.batch
    loss_name = getattr(spec, "loss", "cross_entropy")
    if loss_name == "cross_entropy":
        shifted = output - output.max(axis=1, keepdims=True)
        exp_shifted = np.exp(shifted)
        sum_exp = exp_shifted.sum(axis=1, keepdims=True)
        log_probs = shifted - np.log(sum_exp)
        loss = -log_probs[np.arange(n), targets].mean()
        delta = exp_shifted / sum_exp
        delta[np.arange(n), targets] -= 1.0
        delta /= n
    elif loss_name == "mse":
        difference = output - targets
        loss = (difference * difference).mean()
        delta = difference * (2.0 / difference.size)
    else:
        margins = 1.0 - targets * output
        loss = np.maximum(margins, 0.0).mean()
        delta = np.where(margins > 0.0, -targets, 0.0) / n
    return float(loss), delta


def numpy_mlp_step(params: list[np.ndarray], x: np.ndarray, targets: np.ndarray, spec: MLPSpec) -> StepResult:
    """Layer-wise backprop, the floor every engine is measured against.

    Forward: z = a W^T + b, a = f(z) (no f on the output layer).
    Backward: delta_L = dL/dz_L; dW = delta^T a_prev; db = delta.sum(0);
    delta_prev = (delta W) * f'(z_prev).
    """
    layers = weight_bias_pairs(params)
    layer_inputs = []
    a = x
    for index, (weight, bias) in enumerate(layers):
        layer_inputs.append(a)
        z = a @ weight.T + bias
        a = z if index == len(layers) - 1 else numpy_activation(spec.activation, z)
    loss, delta = numpy_loss_and_output_delta(spec, a, targets)

    grads = [None] * len(params)
    for index in reversed(range(len(layers))):
        a_prev = layer_inputs.pop()
        grads[2 * index] = delta.T @ a_prev
        grads[2 * index + 1] = delta.sum(axis=0)
        if index > 0:
            weight = layers[index][0]
            delta = (delta @ weight) * numpy_activation_derivative(spec.activation, a_prev)

    if spec.l2:
        loss += spec.l2 * sum(float((p * p).sum()) for p in params)
        grads = [grad + (2.0 * spec.l2) * p for grad, p in zip(grads, params, strict=True)]

    for param, grad in zip(params, grads, strict=True):
        param -= spec.lr * grad
    return loss, grads


# ---- the CNN, with im2col, in NHWC internally -------------------------------------------------------


def numpy_conv3x3_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray):
    """3x3 cross-correlation, padding 1, stride 1, of NHWC x (N, H, W, C) with weight (F, C, 3, 3).

    im2col: cols (N*H*W, C*9), one row per output pixel, columns in the weight's (C, kh, kw)
    order; out = cols @ W^T + b, (N, H, W, F). Returns (out, cols), cols kept for backward.
    """
    n, h, w, c = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # (N, H, W, C, 3, 3)
    cols = windows.reshape(n * h * w, c * 9)
    out = cols @ weight.reshape(weight.shape[0], -1).T + bias
    return out.reshape(n, h, w, -1), cols


def numpy_conv3x3_backward(d_out: np.ndarray, cols: np.ndarray, weight: np.ndarray, need_input_grad: bool):
    """(d_x or None, d_weight, d_bias) of numpy_conv3x3_forward; col2im adds each tap back."""
    n, h, w, f = d_out.shape
    rows = d_out.reshape(-1, f)
    d_weight = (rows.T @ cols).reshape(weight.shape)
    d_bias = rows.sum(axis=0)
    if not need_input_grad:
        return None, d_weight, d_bias
    c = weight.shape[1]
    d_cols = (rows @ weight.reshape(f, -1)).reshape(n, h, w, c, 3, 3)
    d_padded = np.zeros((n, h + 2, w + 2, c), dtype=d_out.dtype)
    for i in range(3):
        for j in range(3):
            d_padded[:, i : i + h, j : j + w, :] += d_cols[..., i, j]
    return d_padded[:, 1:-1, 1:-1, :], d_weight, d_bias


def numpy_maxpool2_forward(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2x2 max pool, stride 2, of NHWC a (N, H, W, C) -> (N, H/2, W/2, C), and the index (0..3,
    row-major in the window) of each window's first maximum, which backward routes to, as torch
    does. Ties are common here: a blank region of a digit gives a constant ReLU(bias)."""
    n, h, w, c = a.shape
    blocks = a.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4)
    windows = blocks.reshape(n, h // 2, w // 2, c, 4)
    index = windows.argmax(axis=-1)
    return np.take_along_axis(windows, index[..., None], axis=-1)[..., 0], index


def numpy_maxpool2_backward(d_pooled: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Each window's gradient goes to its first maximum; (N, H/2, W/2, C) -> (N, H, W, C)."""
    n, h2, w2, c = d_pooled.shape
    d_windows = np.zeros((n, h2, w2, c, 4), dtype=d_pooled.dtype)
    np.put_along_axis(d_windows, index[..., None], d_pooled[..., None], axis=-1)
    return d_windows.reshape(n, h2, w2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(n, 2 * h2, 2 * w2, c)


def numpy_conv_step(params: list[np.ndarray], x: np.ndarray, targets: np.ndarray,
                    spec: ConvSpec) -> StepResult:
    """conv-relu-pool twice, flatten (in torch's NCHW order), linear, cross-entropy; backward; SGD."""
    w1, b1, w2, b2, w3, b3 = params
    n = x.shape[0]
    z1, cols1 = numpy_conv3x3_forward(x.transpose(0, 2, 3, 1), w1, b1)
    a1 = np.maximum(z1, 0.0)
    p1, index1 = numpy_maxpool2_forward(a1)
    z2, cols2 = numpy_conv3x3_forward(p1, w2, b2)
    a2 = np.maximum(z2, 0.0)
    p2, index2 = numpy_maxpool2_forward(a2)
    flat = p2.transpose(0, 3, 1, 2).reshape(n, -1)
    logits = flat @ w3.T + b3
    loss, delta = numpy_loss_and_output_delta(spec, logits, targets)

    g_w3, g_b3 = delta.T @ flat, delta.sum(axis=0)
    d_p2 = (delta @ w3).reshape(n, p2.shape[3], p2.shape[1], p2.shape[2]).transpose(0, 2, 3, 1)
    d_z2 = numpy_maxpool2_backward(d_p2, index2) * (a2 > 0.0)
    d_p1, g_w2, g_b2 = numpy_conv3x3_backward(d_z2, cols2, w2, need_input_grad=True)
    d_z1 = numpy_maxpool2_backward(d_p1, index1) * (a1 > 0.0)
    _, g_w1, g_b1 = numpy_conv3x3_backward(d_z1, cols1, w1, need_input_grad=False)
    grads = [g_w1, g_b1, g_w2, g_b2, g_w3, g_b3]
    for param, grad in zip(params, grads, strict=True):
        param -= spec.lr * grad
    return loss, grads


# ---- runners ------------------------------------------------------------------------------------------


def numpy_chain_runner(problem: ChainProblem) -> Callable[[], StepResult]:
    """The chain on the problem's arrays (the floor only reads them)."""
    return functools.partial(numpy_chain_step, problem.x, problem.a, problem.b, problem.spec.length)


def numpy_mlp_runner(problem: MLPProblem) -> Callable[[], StepResult]:
    """SGD steps on a private copy of the initial parameters."""
    params = [p.copy() for p in problem.params]
    return functools.partial(numpy_mlp_step, params, problem.x, problem.targets, problem.spec)


def numpy_conv_runner(problem: ConvProblem) -> Callable[[], StepResult]:
    """SGD steps of the CNN on a private copy of the initial parameters."""
    params = [p.copy() for p in problem.params]
    return functools.partial(numpy_conv_step, params, problem.x, problem.targets, problem.spec)
