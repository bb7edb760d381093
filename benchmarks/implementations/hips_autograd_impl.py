"""HIPS autograd (https://github.com/HIPS/autograd): a loss written with autograd.numpy, and
`value_and_grad(loss)(params)` for its value and the gradient of every parameter; SGD in place.

It has no convolution layer (only autograd.scipy.signal.convolve, a full N-d convolution), and
no recurrent or attention layers, so the CNN and sequence workloads are "n/a" for it.
"""

import functools
from collections.abc import Callable

from common import NotInstalled, StepResult, weight_bias_pairs
from workloads import ChainProblem, MLPProblem, MLPSpec


@functools.cache
def load_hips_autograd():
    """(autograd.numpy, autograd.value_and_grad, autograd.scipy.special.logsumexp), or NotInstalled."""
    try:
        import autograd
        import autograd.numpy as anp
        from autograd.scipy.special import logsumexp
    except ImportError as error:
        raise NotInstalled(f"HIPS autograd is not installed ({error}); pip install 'autograd-core[bench]'") \
            from None
    return anp, autograd.value_and_grad, logsumexp


def hips_chain_loss(x, a, b, length: int):
    """The chain with autograd.numpy functions, summed."""
    anp, _, _ = load_hips_autograd()
    value = x
    for _ in range(length // 5):
        value = value + a
        value = value * b
        value = anp.tanh(value)
        value = value * 0.5
        value = anp.exp(value)
    return anp.sum(value)


def hips_mlp_loss(params: list, x, targets, spec: MLPSpec):
    """x W^T + b with anp.maximum(z, 0) / anp.tanh; cross-entropy via logsumexp, MSE or hinge."""
    anp, _, logsumexp = load_hips_autograd()
    layers = weight_bias_pairs(params)
    out = x
    for index, (weight, bias) in enumerate(layers):
        out = anp.dot(out, weight.T) + bias
        if index < len(layers) - 1:
            out = anp.maximum(out, 0.0) if spec.activation == "relu" else anp.tanh(out)
    if spec.loss == "cross_entropy":
        log_probs = out - logsumexp(out, axis=1, keepdims=True)
        loss = -anp.mean(log_probs[anp.arange(spec.batch), targets])
    elif spec.loss == "mse":
        loss = anp.mean((out - targets) ** 2)
    else:
        loss = anp.mean(anp.maximum(1.0 - targets * out, 0.0))
    if spec.l2:
        loss = loss + spec.l2 * sum(anp.sum(p * p) for p in params)
    return loss


def hips_step(value_and_grad_of_loss: Callable, params: list, lr: float) -> StepResult:
    """Loss and gradients in one call, then p -= lr * g in place."""
    loss, grads = value_and_grad_of_loss(params)
    for param, grad in zip(params, grads, strict=True):
        param -= lr * grad
    return float(loss), list(grads)


def hips_chain_runner(problem: ChainProblem) -> Callable[[], StepResult]:
    """value_and_grad of the chain with respect to x (no update: the chain has no parameters)."""
    _, value_and_grad, _ = load_hips_autograd()
    loss = functools.partial(hips_chain_loss, a=problem.a, b=problem.b, length=problem.spec.length)
    x = problem.x.copy()
    gradient = value_and_grad(loss)

    def step() -> StepResult:
        value, grad = gradient(x)
        return float(value), [grad]
    return step


def hips_mlp_runner(problem: MLPProblem) -> Callable[[], StepResult]:
    """SGD steps on a private copy of the initial parameters (a list, differentiated as one)."""
    _, value_and_grad, _ = load_hips_autograd()
    params = [p.copy() for p in problem.params]
    loss = functools.partial(hips_mlp_loss, x=problem.x, targets=problem.targets, spec=problem.spec)
    return functools.partial(hips_step, value_and_grad(loss), params, problem.spec.lr)
