"""Textbook layer-wise backpropagation for an MLP in plain numpy: no autodiff, one function per equation.

Notation (layers l = 1..L, a(0) = x):

    forward     z(l) = W(l) a(l-1) + b(l)                      (1)
                a(l) = f(z(l))                                  (2)
    backward    delta(L) = dL/da(L) * f'(z(L))                  (3)
                delta(l) = (W(l+1)^T delta(l+1)) * f'(z(l))     (4)
                dL/dW(l) = delta(l) a(l-1)^T                     (5)
                dL/db(l) = delta(l)                              (6)

The equations are for one sample as a column vector. Here a batch is stored as rows, shape (N, features),
and W(l) has PyTorch's layout (out, in), so each equation is applied to every row at once:
(1) is `a_prev @ W.T + b`, (4) is `(delta_next @ W_next) * f'(z)`, and (5), (6) are summed over the batch.
This module is the ground truth the autodiff engine is checked against, and a readable reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "activation_derivative",
    "activation_function",
    "backward",
    "bias_gradient",
    "cross_entropy_loss",
    "cross_entropy_loss_gradient",
    "forward",
    "hidden_delta",
    "identity",
    "identity_derivative",
    "layer_output",
    "linear_forward",
    "mlp_gradients",
    "mse_loss",
    "mse_loss_gradient",
    "output_delta",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
    "tanh",
    "tanh_derivative",
    "weight_gradient",
]


# Activations f and their derivatives f'.


def sigmoid(z: np.ndarray) -> np.ndarray:
    """f(z) = 1 / (1 + exp(-z)), computed without overflow for large |z|."""
    exp_of_minus_abs = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + exp_of_minus_abs), exp_of_minus_abs / (1 + exp_of_minus_abs))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    """f'(z) = f(z) (1 - f(z)) for the sigmoid."""
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """f(z) = tanh(z)."""
    return np.tanh(z)


def tanh_derivative(z: np.ndarray) -> np.ndarray:
    """f'(z) = 1 - tanh(z)^2."""
    return 1 - np.tanh(z) ** 2


def relu(z: np.ndarray) -> np.ndarray:
    """f(z) = max(z, 0)."""
    return np.maximum(z, 0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    """f'(z) = 1 where z > 0, else 0 (PyTorch's choice of 0 at z = 0)."""
    return (z > 0).astype(z.dtype)


def identity(z: np.ndarray) -> np.ndarray:
    """f(z) = z: the output layer of a regression net, or logits fed to softmax cross-entropy."""
    return z


def identity_derivative(z: np.ndarray) -> np.ndarray:
    """f'(z) = 1."""
    return np.ones_like(z)


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "identity": (identity, identity_derivative),
}


def activation_function(name: str):
    """The activation f called `name` (one of ACTIVATIONS)."""
    return ACTIVATIONS[_check_activation_name(name)][0]


def activation_derivative(name: str):
    """The derivative f' of the activation called `name` (one of ACTIVATIONS)."""
    return ACTIVATIONS[_check_activation_name(name)][1]


def _check_activation_name(name: str) -> str:
    if name not in ACTIVATIONS:
        raise InvalidArgumentError(
            f"reference: unknown activation {name!r} (expected one of {sorted(ACTIVATIONS)})"
        )
    return name


# Losses L and their gradients dL/da(L).


def mse_loss(output: np.ndarray, target: np.ndarray) -> float:
    """L = mean((a(L) - y)^2) over all N * k elements (PyTorch's mse_loss, reduction='mean')."""
    return float(np.mean((output - target) ** 2))


def mse_loss_gradient(output: np.ndarray, target: np.ndarray) -> np.ndarray:
    """dL/da(L) = 2 (a(L) - y) / (N * k) for the mean squared error; shape (N, k)."""
    return 2 * (output - target) / output.size


def softmax(logits: np.ndarray) -> np.ndarray:
    """softmax(a)_j = exp(a_j) / sum_i exp(a_i) for each row; rows shifted by their max to avoid overflow."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def cross_entropy_loss(logits: np.ndarray, target: np.ndarray) -> float:
    """L = mean over the batch of -log softmax(a(L))[y]: PyTorch's cross_entropy on logits, integer labels."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(log_probabilities[np.arange(len(target)), target]))


def cross_entropy_loss_gradient(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """dL/da(L) = (softmax(a(L)) - onehot(y)) / N: the softmax and the log fused; shape (N, classes)."""
    one_hot = np.zeros_like(logits)
    one_hot[np.arange(len(target)), target] = 1
    return (softmax(logits) - one_hot) / len(target)


LOSSES = {
    "mse": (mse_loss, mse_loss_gradient),
    "cross_entropy": (cross_entropy_loss, cross_entropy_loss_gradient),
}


# The forward pass, equations (1) and (2).


def linear_forward(weight: np.ndarray, bias: np.ndarray, a_prev: np.ndarray) -> np.ndarray:
    """Equation (1), z(l) = W(l) a(l-1) + b(l), for each row: `a_prev @ W.T + b`; (N, in) -> (N, out)."""
    return a_prev @ weight.T + bias


def layer_output(z: np.ndarray, activation: str) -> np.ndarray:
    """Equation (2), a(l) = f(z(l)), elementwise; same shape as z."""
    return activation_function(activation)(z)


def forward(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    x: np.ndarray,
    activations: str | Sequence[str],
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Run the MLP on a batch x (N, in): returns zs [z(1)..z(L)] and activations [a(0)=x, a(1)..a(L)].

    `activations` names f for each layer (one name per layer, or one name for all layers).
    """
    names = _activation_names(activations, len(weights))
    _check_layer_shapes(weights, biases, x)
    zs: list[np.ndarray] = []
    activations_list = [x]
    for weight, bias, name in zip(weights, biases, names, strict=True):
        z = linear_forward(weight, bias, activations_list[-1])
        zs.append(z)
        activations_list.append(layer_output(z, name))
    return zs, activations_list


# The backward pass, equations (3) to (6).


def output_delta(loss_gradient: np.ndarray, z_last: np.ndarray, activation: str) -> np.ndarray:
    """Equation (3), delta(L) = dL/da(L) * f'(z(L)), elementwise; shape (N, k).

    For softmax cross-entropy with an identity output layer, f' = 1 and this is (softmax(z(L)) - onehot) / N:
    the usual fused form of dL/da * f'.
    """
    return loss_gradient * activation_derivative(activation)(z_last)


def hidden_delta(
    weight_next: np.ndarray, delta_next: np.ndarray, z: np.ndarray, activation: str
) -> np.ndarray:
    """Equation (4), delta(l) = (W(l+1)^T delta(l+1)) * f'(z(l)), per row: `(delta_next @ W_next) * f'(z)`.

    Shapes: W_next (out_next, out), delta_next (N, out_next), z (N, out) -> (N, out).
    """
    return (delta_next @ weight_next) * activation_derivative(activation)(z)


def weight_gradient(delta: np.ndarray, a_prev: np.ndarray) -> np.ndarray:
    """Equation (5), dL/dW(l) = delta(l) a(l-1)^T summed over the batch: `delta.T @ a_prev`.

    Shapes: delta (N, out), a_prev (N, in) -> (out, in), the layout of W(l).
    """
    return delta.T @ a_prev


def bias_gradient(delta: np.ndarray) -> np.ndarray:
    """Equation (6), dL/db(l) = delta(l) summed over the batch; shape (out,)."""
    return delta.sum(axis=0)


def backward(
    weights: Sequence[np.ndarray],
    zs: Sequence[np.ndarray],
    activations_list: Sequence[np.ndarray],
    y: np.ndarray,
    loss: str = "mse",
    *,
    activations: str | Sequence[str],
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Backpropagate from the loss to every layer: returns (dL/dW(l) list, dL/db(l) list), l = 1..L.

    `zs` and `activations_list` come from `forward`; `y` is (N, k) for 'mse' or integer labels (N,)
    for 'cross_entropy' (which treats a(L) as logits); `activations` are the names given to `forward`.
    """
    names = _activation_names(activations, len(weights))
    output = activations_list[-1]
    _check_loss_inputs(loss, output, y)
    loss_gradient = LOSSES[loss][1](output, y)

    deltas = [output_delta(loss_gradient, zs[-1], names[-1])]
    for layer in range(len(weights) - 2, -1, -1):
        deltas.insert(0, hidden_delta(weights[layer + 1], deltas[0], zs[layer], names[layer]))

    layer_inputs = activations_list[:-1]
    weight_gradients = [
        weight_gradient(delta, a_prev) for delta, a_prev in zip(deltas, layer_inputs, strict=True)
    ]
    bias_gradients = [bias_gradient(delta) for delta in deltas]
    return weight_gradients, bias_gradients


def mlp_gradients(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    activation: str = "tanh",
    output_activation: str = "identity",
    loss: str = "mse",
) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """Loss and its gradients for an MLP with `activation` on hidden layers: returns (loss, dWs, dbs)."""
    names = [activation] * (len(weights) - 1) + [output_activation]
    zs, activations_list = forward(weights, biases, x, names)
    output = activations_list[-1]
    _check_loss_inputs(loss, output, y)
    loss_value = LOSSES[loss][0](output, y)
    weight_gradients, bias_gradients = backward(weights, zs, activations_list, y, loss, activations=names)
    return loss_value, weight_gradients, bias_gradients


def _activation_names(activations: str | Sequence[str], layer_count: int) -> list[str]:
    names = [activations] * layer_count if isinstance(activations, str) else list(activations)
    if len(names) != layer_count:
        raise InvalidArgumentError(
            f"reference: got {len(names)} activation names for {layer_count} layers (give one per layer)"
        )
    for name in names:
        _check_activation_name(name)
    return names


def _check_layer_shapes(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], x: np.ndarray) -> None:
    if len(weights) == 0 or len(weights) != len(biases):
        raise ShapeError(
            f"reference: need one bias per weight matrix and at least one layer, got "
            f"{len(weights)} weights and {len(biases)} biases"
        )
    if x.ndim != 2:
        raise ShapeError(f"reference: x must be a batch of rows (N, in), got shape {x.shape}")
    features = x.shape[1]
    for layer, (weight, bias) in enumerate(zip(weights, biases, strict=True), start=1):
        if weight.ndim != 2 or weight.shape[1] != features:
            raise ShapeError(
                f"reference: W({layer}) has shape {weight.shape}, expected (out, {features}) to take "
                f"a({layer - 1}) with {features} features"
            )
        if bias.shape != (weight.shape[0],):
            raise ShapeError(f"reference: b({layer}) has shape {bias.shape}, expected ({weight.shape[0]},)")
        features = weight.shape[0]


def _check_loss_inputs(loss: str, output: np.ndarray, y: np.ndarray) -> None:
    if loss not in LOSSES:
        raise InvalidArgumentError(f"reference: unknown loss {loss!r} (expected one of {sorted(LOSSES)})")
    if loss == "mse" and y.shape != output.shape:
        raise ShapeError(f"reference: mse target has shape {y.shape}, the output has shape {output.shape}")
    if loss == "cross_entropy":
        if y.dtype.kind not in "iu":
            raise DTypeError(f"reference: cross_entropy needs integer class labels, got dtype {y.dtype}")
        if y.shape != (output.shape[0],):
            raise ShapeError(
                f"reference: cross_entropy labels must have shape ({output.shape[0]},), got {y.shape}"
            )
        if y.size and (y.min() < 0 or y.max() >= output.shape[1]):
            raise InvalidArgumentError(
                f"reference: cross_entropy labels must be in [0, {output.shape[1]}), got {y.min()}..{y.max()}"
            )
