"""PyTorch CPU eager: "torch" (F.linear, manual SGD) and "torch nn" (nn.Sequential, optim.SGD)."""

import functools
from collections.abc import Callable

from common import StepResult, chain_loss, load_torch, weight_bias_pairs
from implementations.nn_style import Framework, make_training_step
from workloads import ChainProblem, ConvProblem, MLPProblem, MLPSpec


def torch_chain_step(x, a, b, length: int) -> StepResult:
    """The chain on torch tensors (the same code as autograd_core's); autograd does the backward."""
    loss = chain_loss(x, a, b, length)
    loss.backward()
    grad = x.grad
    x.grad = None
    return loss.item(), [grad]


def torch_loss(spec: MLPSpec, output, targets):
    """The workload's loss with torch's own fused functions."""
    torch = load_torch()
    functional = torch.nn.functional
    if spec.loss == "cross_entropy":
        return functional.cross_entropy(output, targets)
    if spec.loss == "mse":
        return functional.mse_loss(output, targets)
    return torch.relu(1.0 - targets * output).mean()


def torch_mlp_step(params: list, x, targets, spec: MLPSpec) -> StepResult:
    """Idiomatic torch: F.linear, tensor activations, fused loss, manual SGD."""
    torch = load_torch()
    layers = weight_bias_pairs(params)
    out = x
    for index, (weight, bias) in enumerate(layers):
        out = torch.nn.functional.linear(out, weight, bias)
        if index < len(layers) - 1:
            out = out.relu() if spec.activation == "relu" else out.tanh()
    loss = torch_loss(spec, out, targets)
    if spec.l2:
        loss = loss + spec.l2 * sum((p * p).sum() for p in params)
    loss.backward()

    grads = [p.grad for p in params]
    with torch.no_grad():
        for param in params:
            param.add_(param.grad, alpha=-spec.lr)
            param.grad = None
    return loss.item(), grads


def torch_chain_runner(problem: ChainProblem) -> Callable[[], StepResult]:
    """The chain with x as a leaf tensor that requires grad."""
    torch = load_torch()
    x = torch.from_numpy(problem.x.copy()).requires_grad_()
    a, b = torch.from_numpy(problem.a), torch.from_numpy(problem.b)
    return functools.partial(torch_chain_step, x, a, b, problem.spec.length)


def torch_mlp_runner(problem: MLPProblem) -> Callable[[], StepResult]:
    """SGD steps on torch copies of the initial parameters."""
    torch = load_torch()
    params = [torch.from_numpy(p.copy()).requires_grad_() for p in problem.params]
    x, targets = torch.from_numpy(problem.x), torch.from_numpy(problem.targets)
    return functools.partial(torch_mlp_step, params, x, targets, problem.spec)


def torch_framework() -> Framework:
    """torch.nn, torch.nn.functional, torch.optim; numpy arrays enter through torch.from_numpy."""
    torch = load_torch()
    return Framework(torch.nn, torch.nn.functional, torch.optim, torch.from_numpy, torch.from_numpy)


def torch_nn_runner(problem: MLPProblem | ConvProblem) -> Callable[[], StepResult]:
    """torch.nn.Sequential, F.cross_entropy (or the workload's loss), torch.optim.SGD."""
    return make_training_step(torch_framework(), problem)
