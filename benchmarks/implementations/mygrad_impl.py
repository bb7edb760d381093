"""MyGrad (https://github.com/rsokl/MyGrad), with its memory guard off, as its docs advise for speed.

MyGrad has functional layers (mygrad.nnet) but no module or optimizer classes, so a step is
written the way its docs write one: tensors for the parameters, `loss.backward()`, then
`p.data -= lr * p.grad` (a new operation involving p clears p.grad).
"""

import functools
from collections.abc import Callable

import numpy as np

from common import NotInstalled, StepResult, Unavailable, weight_bias_pairs
from workloads import ChainProblem, ConvProblem, MLPProblem, MLPSpec


@functools.cache
def load_mygrad():
    """mygrad with the memory guard off (turn_memory_guarding_off), or NotInstalled."""
    try:
        import mygrad
    except ImportError as error:
        raise NotInstalled(f"mygrad is not installed ({error}); pip install 'autograd-core[bench]'") from None
    mygrad.turn_memory_guarding_off()
    return mygrad


def mygrad_chain_step(x, a, b, length: int) -> StepResult:
    """The chain with mygrad's functions; backward to x."""
    mg = load_mygrad()
    value = x
    for _ in range(length // 5):
        value = value + a
        value = value * b
        value = mg.tanh(value)
        value = value * 0.5
        value = mg.exp(value)
    loss = mg.sum(value)
    loss.backward()
    return float(loss.item()), [x.grad]


def mygrad_loss(spec, output, targets):
    """softmax_crossentropy (mean over the batch), MSE, or micrograd's hinge loss."""
    mg = load_mygrad()
    name = getattr(spec, "loss", "cross_entropy")
    if name == "cross_entropy":
        return mg.nnet.losses.softmax_crossentropy(output, targets)
    if name == "mse":
        return mg.mean((output - targets) ** 2)
    return mg.mean(mg.nnet.activations.relu(1 - targets * output))


def mygrad_sgd(params: list, lr: float) -> list:
    """p.data -= lr * p.grad; returns the gradients (numpy arrays) for the check."""
    grads = [p.grad for p in params]
    for param, grad in zip(params, grads, strict=True):
        param.data -= lr * grad
    return grads


def mygrad_mlp_step(params: list, x, targets, spec: MLPSpec) -> StepResult:
    """x @ W.T + b, mygrad's relu / tanh, the loss (plus L2), backward, SGD."""
    mg = load_mygrad()
    relu, tanh = mg.nnet.activations.relu, mg.tanh
    layers = weight_bias_pairs(params)
    out = x
    for index, (weight, bias) in enumerate(layers):
        out = mg.matmul(out, weight.T) + bias
        if index < len(layers) - 1:
            out = relu(out) if spec.activation == "relu" else tanh(out)
    loss = mygrad_loss(spec, out, targets)
    if spec.l2:
        loss = loss + spec.l2 * sum(mg.sum(p * p) for p in params)
    loss.backward()
    return float(loss.item()), mygrad_sgd(params, spec.lr)


def mygrad_conv_step(params: list, x, targets, spec) -> StepResult:
    """mygrad.nnet.layers.conv_nd and max_pool, relu, reshape, a dense layer, softmax_crossentropy."""
    mg = load_mygrad()
    layers = mg.nnet.layers
    relu = mg.nnet.activations.relu
    w1, b1, w2, b2, w3, b3 = params
    out = relu(layers.conv_nd(x, w1, stride=1, padding=1) + b1.reshape(1, -1, 1, 1))
    out = layers.max_pool(out, (2, 2), 2)
    out = relu(layers.conv_nd(out, w2, stride=1, padding=1) + b2.reshape(1, -1, 1, 1))
    out = layers.max_pool(out, (2, 2), 2)
    out = mg.matmul(out.reshape(out.shape[0], -1), w3.T) + b3
    loss = mygrad_loss(spec, out, targets)
    loss.backward()
    return float(loss.item()), mygrad_sgd(params, spec.lr)


def mygrad_chain_runner(problem: ChainProblem) -> Callable[[], StepResult]:
    """x a mygrad tensor; a and b plain arrays (constants)."""
    mg = load_mygrad()
    x = mg.tensor(problem.x.copy())
    return functools.partial(mygrad_chain_step, x, problem.a, problem.b, problem.spec.length)


def mygrad_params(problem) -> list:
    """Copies of the initial parameters as mygrad tensors (float32 kept)."""
    mg = load_mygrad()
    params = [mg.tensor(p.copy()) for p in problem.params]
    if any(p.dtype != np.float32 for p in params):
        raise Unavailable("mygrad did not keep the parameters in float32")
    return params


def mygrad_mlp_runner(problem: MLPProblem) -> Callable[[], StepResult]:
    """SGD steps on mygrad tensors; the batch stays numpy arrays (constants)."""
    params = mygrad_params(problem)
    return functools.partial(mygrad_mlp_step, params, problem.x, problem.targets, problem.spec)


def mygrad_conv_runner(problem: ConvProblem) -> Callable[[], StepResult]:
    """The CNN's SGD steps on mygrad tensors."""
    params = mygrad_params(problem)
    return functools.partial(mygrad_conv_step, params, problem.x, problem.targets, problem.spec)
