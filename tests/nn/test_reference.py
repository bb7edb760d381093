"""The plain-numpy backprop reference: every gradient against central finite differences in float64,
and against torch autograd when torch is installed."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError
from nn import reference

LAYER_SIZES = [4, 5, 3, 2]
BATCH = 6


def make_network(layer_sizes=LAYER_SIZES, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(scale=0.7, size=(out, inp)) for inp, out in zip(layer_sizes, layer_sizes[1:])]
    biases = [rng.normal(scale=0.3, size=out) for out in layer_sizes[1:]]
    return weights, biases


def make_batch(loss, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, LAYER_SIZES[0]))
    if loss == "mse":
        y = rng.normal(size=(BATCH, LAYER_SIZES[-1]))
    else:
        y = rng.integers(0, LAYER_SIZES[-1], size=BATCH)
    return x, y


def loss_only(weights, biases, x, y, activation, output_activation, loss):
    return reference.mlp_gradients(weights, biases, x, y, activation, output_activation, loss)[0]


def finite_difference(weights, biases, x, y, activation, output_activation, loss, step=1e-6):
    """Central differences (L(theta + h) - L(theta - h)) / 2h for every weight and bias entry."""
    gradients = []
    for array in [*weights, *biases]:
        gradient = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + step
            plus = loss_only(weights, biases, x, y, activation, output_activation, loss)
            array[index] = original - step
            minus = loss_only(weights, biases, x, y, activation, output_activation, loss)
            array[index] = original
            gradient[index] = (plus - minus) / (2 * step)
        gradients.append(gradient)
    return gradients[: len(weights)], gradients[len(weights) :]


GRADIENT_CASES = [
    (activation, output_activation, loss)
    for activation in ["tanh", "sigmoid", "relu", "identity"]
    for output_activation, loss in [
        ("identity", "mse"),
        ("sigmoid", "mse"),
        ("tanh", "mse"),
        ("identity", "cross_entropy"),
    ]
]


@pytest.mark.parametrize(("activation", "output_activation", "loss"), GRADIENT_CASES)
def test_gradients_match_finite_differences(activation, output_activation, loss):
    weights, biases = make_network()
    x, y = make_batch(loss)
    loss_value, weight_gradients, bias_gradients = reference.mlp_gradients(
        weights, biases, x, y, activation=activation, output_activation=output_activation, loss=loss
    )
    assert np.isfinite(loss_value)
    expected_weights, expected_biases = finite_difference(
        weights, biases, x, y, activation, output_activation, loss
    )
    for got, want, weight in zip(weight_gradients, expected_weights, weights, strict=True):
        assert got.shape == weight.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)
    for got, want, bias in zip(bias_gradients, expected_biases, biases, strict=True):
        assert got.shape == bias.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize(("activation", "output_activation", "loss"), GRADIENT_CASES)
def test_gradients_match_torch_autograd(activation, output_activation, loss):
    torch = pytest.importorskip("torch")
    weights, biases = make_network()
    x, y = make_batch(loss)
    loss_value, weight_gradients, bias_gradients = reference.mlp_gradients(
        weights, biases, x, y, activation=activation, output_activation=output_activation, loss=loss
    )

    torch_functions = {
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "identity": lambda z: z,
    }
    torch_weights = [torch.tensor(w, requires_grad=True) for w in weights]
    torch_biases = [torch.tensor(b, requires_grad=True) for b in biases]
    a = torch.tensor(x)
    for layer, (w, b) in enumerate(zip(torch_weights, torch_biases, strict=True)):
        name = output_activation if layer == len(weights) - 1 else activation
        a = torch_functions[name](torch.nn.functional.linear(a, w, b))
    if loss == "mse":
        torch_loss = torch.nn.functional.mse_loss(a, torch.tensor(y))
    else:
        torch_loss = torch.nn.functional.cross_entropy(a, torch.tensor(y))
    torch_loss.backward()

    assert loss_value == pytest.approx(torch_loss.item(), rel=1e-12)
    for got, param in zip(weight_gradients + bias_gradients, torch_weights + torch_biases, strict=True):
        np.testing.assert_allclose(got, param.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_forward_returns_every_z_and_activation():
    weights, biases = make_network()
    x, _ = make_batch("mse")
    zs, activations = reference.forward(weights, biases, x, ["relu", "tanh", "identity"])
    assert [z.shape for z in zs] == [(BATCH, 5), (BATCH, 3), (BATCH, 2)]
    assert len(activations) == 4
    assert activations[0] is x
    np.testing.assert_allclose(zs[0], x @ weights[0].T + biases[0])
    np.testing.assert_allclose(activations[1], np.maximum(zs[0], 0))
    np.testing.assert_allclose(zs[1], activations[1] @ weights[1].T + biases[1])
    np.testing.assert_allclose(activations[2], np.tanh(zs[1]))
    np.testing.assert_array_equal(activations[3], zs[2])


def test_single_activation_name_applies_to_every_layer():
    weights, biases = make_network()
    x, _ = make_batch("mse")
    _, by_name = reference.forward(weights, biases, x, "sigmoid")
    _, by_list = reference.forward(weights, biases, x, ["sigmoid"] * 3)
    for a, b in zip(by_name, by_list, strict=True):
        np.testing.assert_array_equal(a, b)


def test_backward_is_the_equations_applied_by_hand():
    weights, biases = make_network([3, 4, 2])
    x, y = np.random.default_rng(2).normal(size=(5, 3)), np.random.default_rng(3).normal(size=(5, 2))
    zs, activations = reference.forward(weights, biases, x, ["tanh", "identity"])
    weight_gradients, bias_gradients = reference.backward(
        weights, zs, activations, y, "mse", activations=["tanh", "identity"]
    )

    delta_2 = 2 * (activations[2] - y) / y.size
    delta_1 = (delta_2 @ weights[1]) * (1 - np.tanh(zs[0]) ** 2)
    np.testing.assert_allclose(
        weight_gradients[1], sum(np.outer(d, a) for d, a in zip(delta_2, activations[1]))
    )
    np.testing.assert_allclose(weight_gradients[0], sum(np.outer(d, a) for d, a in zip(delta_1, x)))
    np.testing.assert_allclose(bias_gradients[1], delta_2.sum(axis=0))
    np.testing.assert_allclose(bias_gradients[0], delta_1.sum(axis=0))


def test_cross_entropy_output_delta_is_softmax_minus_onehot_over_n():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]])
    labels = np.array([0, 2])
    gradient = reference.cross_entropy_loss_gradient(logits, labels)
    delta = reference.output_delta(gradient, logits, "identity")
    one_hot = np.eye(3)[labels]
    np.testing.assert_allclose(delta, (reference.softmax(logits) - one_hot) / 2)


def test_losses_match_their_definitions():
    output = np.array([[1.0, 2.0], [3.0, 5.0]])
    target = np.array([[0.0, 2.0], [1.0, 1.0]])
    assert reference.mse_loss(output, target) == pytest.approx((1 + 0 + 4 + 16) / 4)
    logits = np.array([[0.0, np.log(3.0)]])
    assert reference.cross_entropy_loss(logits, np.array([1])) == pytest.approx(-np.log(0.75))


def test_activations_and_derivatives():
    z = np.linspace(-3, 3, 13)
    for name in reference.ACTIVATIONS:
        f = reference.activation_function(name)
        f_prime = reference.activation_derivative(name)
        numeric = (f(z + 1e-6) - f(z - 1e-6)) / 2e-6
        away_from_kink = np.abs(z) > 1e-3
        np.testing.assert_allclose(f_prime(z)[away_from_kink], numeric[away_from_kink], rtol=1e-6, atol=1e-9)
    assert reference.relu_derivative(np.array([0.0]))[0] == 0
    np.testing.assert_allclose(reference.sigmoid(np.array([0.0])), [0.5])


def test_sigmoid_and_softmax_do_not_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(reference.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])
        probabilities = reference.softmax(np.array([[1000.0, 0.0], [-1000.0, -1000.0]]))
    np.testing.assert_allclose(probabilities, [[1.0, 0.0], [0.5, 0.5]])
    assert reference.cross_entropy_loss(np.array([[1000.0, 0.0]]), np.array([0])) == pytest.approx(0.0)


def test_errors():
    weights, biases = make_network()
    x, y = make_batch("mse")
    with pytest.raises(InvalidArgumentError, match=r"^reference: unknown activation 'gelu'"):
        reference.forward(weights, biases, x, "gelu")
    with pytest.raises(InvalidArgumentError, match=r"^reference: got 2 activation names for 3 layers"):
        reference.forward(weights, biases, x, ["tanh", "tanh"])
    with pytest.raises(ShapeError, match=r"^reference: W\(1\) has shape \(5, 4\), expected \(out, 3\)"):
        reference.forward(weights, biases, x[:, :3], "tanh")
    with pytest.raises(ShapeError, match=r"^reference: b\(2\) has shape \(4,\), expected \(3,\)"):
        reference.forward(weights, [biases[0], np.zeros(4), biases[2]], x, "tanh")
    with pytest.raises(
        ShapeError, match=r"^reference: x must be a batch of rows \(N, in\), got shape \(4,\)"
    ):
        reference.forward(weights, biases, x[0], "tanh")
    with pytest.raises(InvalidArgumentError, match=r"^reference: unknown loss 'hinge'"):
        reference.mlp_gradients(weights, biases, x, y, loss="hinge")
    with pytest.raises(
        ShapeError, match=r"^reference: mse target has shape \(6,\), the output has shape \(6, 2\)$"
    ):
        reference.mlp_gradients(weights, biases, x, y[:, 0])
    with pytest.raises(
        DTypeError, match=r"^reference: cross_entropy needs integer class labels, got dtype float64$"
    ):
        reference.mlp_gradients(weights, biases, x, y[:, 0], loss="cross_entropy")
    labels = np.array([0, 1, 2, 0, 1, 0])
    with pytest.raises(
        InvalidArgumentError, match=r"^reference: cross_entropy labels must be in \[0, 2\), got 0..2$"
    ):
        reference.mlp_gradients(weights, biases, x, labels, loss="cross_entropy")
    with pytest.raises(
        ShapeError, match=r"^reference: cross_entropy labels must have shape \(6,\), got \(3,\)$"
    ):
        reference.mlp_gradients(weights, biases, x, labels[:3], loss="cross_entropy")
