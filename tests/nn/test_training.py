"""Train to a real result, and prove the engine reproduces the textbook layer-wise equations."""

import time

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
import optim
from nn import datasets, reference
from nn.data import DataLoader


def train_classifier(X, y, hidden, epochs, lr, seed=0, batch_size=32):
    nn.init.manual_seed(seed)
    model = nn.MLP([X.shape[1], *hidden, int(y.max()) + 1], activation="relu")
    opt = optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(X.astype(np.float32), y, batch_size=batch_size, shuffle=True, generator=seed)
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    return model


def accuracy(model, X, y) -> float:
    with ag.no_grad():
        return float((model(X.astype(np.float32)).data.argmax(axis=1) == y).mean())


def test_mlp_reaches_97_percent_on_spirals_within_seconds():
    X, y = datasets.spirals(n_samples=300, noise=0.2, seed=0)
    start = time.perf_counter()
    model = train_classifier(X, y, hidden=(64, 64), epochs=150, lr=0.01)
    seconds = time.perf_counter() - start
    assert accuracy(model, X, y) >= 0.97, seconds


def test_mlp_reaches_99_percent_on_moons():
    X, y = datasets.moons(n_samples=300, noise=0.1, seed=0)
    model = train_classifier(X, y, hidden=(32, 32), epochs=60, lr=0.01)
    assert accuracy(model, X, y) >= 0.99


def test_mlp_reaches_95_percent_held_out_on_digits():
    pytest.importorskip("sklearn")
    X, y = datasets.digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.25, seed=0)
    model = train_classifier(X_train, y_train, hidden=(128,), epochs=25, lr=0.003, batch_size=64)
    assert accuracy(model, X_test, y_test) >= 0.95


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_engine_grads_of_every_linear_equal_the_layer_wise_equations(activation, loss):
    """dL/dW(l) = delta(l) a(l-1)^T and dL/db(l) = delta(l), computed by nn.reference in plain numpy,
    equal the engine's .grad of each nn.Linear to 1e-10 in float64, for random MLPs."""
    rng = np.random.default_rng(hash((activation, loss)) % 2**32)
    sizes = [5, 7, 6, 4]
    layers = [nn.Linear(a, b, dtype=np.float64, generator=rng) for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.standard_normal((9, sizes[0]))
    output_activation = "identity"
    if loss == "mse":
        target = rng.standard_normal((9, sizes[-1]))
        output_activation = activation
    else:
        target = rng.integers(0, sizes[-1], 9)
    activations = {"sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "relu": nn.ReLU(),
                   "identity": nn.Identity()}
    h = ag.tensor(x)
    for i, layer in enumerate(layers):
        h = layer(h)
        last = i == len(layers) - 1
        h = activations[output_activation if last else activation](h)
    value = F.mse_loss(h, ag.tensor(target)) if loss == "mse" else F.cross_entropy(h, target)
    value.backward()

    expected_loss, dWs, dbs = reference.mlp_gradients(
        [layer.weight.data for layer in layers], [layer.bias.data for layer in layers], x, target,
        activation=activation, output_activation=output_activation, loss=loss)
    assert value.item() == pytest.approx(expected_loss, abs=1e-12)
    for layer, dW, db in zip(layers, dWs, dbs):
        np.testing.assert_allclose(layer.weight.grad.data, dW, rtol=0, atol=1e-10)
        np.testing.assert_allclose(layer.bias.grad.data, db, rtol=0, atol=1e-10)
