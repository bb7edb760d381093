"""autograd_core: raw tensors (eager), traced with `autograd_core.trace`, checkpointed; and the
`nn` path (nn.Sequential + optim.SGD, see nn_style.py), eager and traced."""

import functools
from collections.abc import Callable

import numpy as np

from common import (StepResult, Unavailable, chain_loss, import_from_repo, load_autograd_core,
                    weight_bias_pairs)
from implementations.nn_style import Framework, TrainingStep, make_training_step
from workloads import ChainProblem, ConvProblem, MLPProblem, MLPSpec


def autograd_core_chain_step(chain_loss: Callable, x) -> StepResult:
    """Backward through the chain; `chain_loss(x)` is eager or traced."""
    loss = chain_loss(x)
    loss.backward()
    grad = x.grad
    x.grad = None
    return float(loss.data), [grad]


def autograd_core_loss(spec: MLPSpec, output, targets):
    """The workload's loss from the tensor ops the engine promises."""
    ag = load_autograd_core()
    if spec.loss == "cross_entropy":
        log_probs = ag.log_softmax(output, axis=1)
        return log_probs[np.arange(spec.batch), targets].sum() * (-1.0 / spec.batch)
    if spec.loss == "mse":
        difference = output - targets
        return (difference * difference).sum() * (1.0 / (spec.batch * spec.layer_sizes[-1]))
    return (1.0 - targets * output).relu().sum() * (1.0 / spec.batch)


def autograd_core_l2_penalty(params: list, l2: float):
    """l2 * sum of every parameter squared."""
    penalty = (params[0] * params[0]).sum()
    for param in params[1:]:
        penalty = penalty + (param * param).sum()
    return penalty * l2


def autograd_core_layers(layers: list, x, activation: str, last_is_output: bool):
    """z = a @ W.T + b for each (W, b), with the activation after all but an output layer."""
    out = x
    for index, (weight, bias) in enumerate(layers):
        out = out @ weight.T + bias
        if not (last_is_output and index == len(layers) - 1):
            out = out.relu() if activation == "relu" else out.tanh()
    return out


def autograd_core_mlp_loss(params: list, x, targets, spec: MLPSpec):
    """Forward pass and loss (with the L2 term, if any) on raw tensors."""
    output = autograd_core_layers(weight_bias_pairs(params), x, spec.activation, last_is_output=True)
    loss = autograd_core_loss(spec, output, targets)
    if spec.l2:
        loss = loss + autograd_core_l2_penalty(params, spec.l2)
    return loss


def autograd_core_sgd_update(params: list, lr: float) -> list:
    """p.data -= lr * p.grad.data, then drop the grads; returns them for the check."""
    grads = [p.grad for p in params]
    for param in params:
        param.data -= lr * param.grad.data
        param.grad = None
    return grads


def autograd_core_mlp_step(mlp_loss: Callable, params: list, x, targets, lr: float) -> StepResult:
    """Backward and SGD; `mlp_loss(x, targets)` is eager, traced or checkpointed."""
    loss = mlp_loss(x, targets)
    loss.backward()
    return float(loss.data), autograd_core_sgd_update(params, lr)


def autograd_core_params(problem: MLPProblem) -> list:
    """Leaf tensors holding copies of the initial parameters."""
    ag = load_autograd_core()
    return [ag.tensor(p.copy(), requires_grad=True) for p in problem.params]


def autograd_core_batch(problem: MLPProblem) -> tuple:
    """Inputs as a constant tensor; integer class targets stay a numpy index array."""
    ag = load_autograd_core()
    targets = problem.targets if problem.spec.loss == "cross_entropy" else ag.tensor(problem.targets)
    return ag.tensor(problem.x), targets


def autograd_core_chain_tensors(problem: ChainProblem) -> tuple:
    """x as a leaf tensor that requires grad, a and b as constants."""
    ag = load_autograd_core()
    return ag.tensor(problem.x.copy(), requires_grad=True), ag.tensor(problem.a), ag.tensor(problem.b)


def autograd_core_chain_runner(problem: ChainProblem) -> Callable[[], StepResult]:
    """The eager chain."""
    x, a, b = autograd_core_chain_tensors(problem)
    loss_of_x = functools.partial(chain_loss, a=a, b=b, length=problem.spec.length)
    return functools.partial(autograd_core_chain_step, loss_of_x, x)


def autograd_core_mlp_runner(problem: MLPProblem) -> Callable[[], StepResult]:
    """SGD steps on raw autograd_core tensors, as a user of the public API writes them."""
    params = autograd_core_params(problem)
    x, targets = autograd_core_batch(problem)
    mlp_loss = functools.partial(autograd_core_mlp_loss, params, spec=problem.spec)
    return functools.partial(autograd_core_mlp_step, mlp_loss, params, x, targets, problem.spec.lr)


def autograd_core_trace(function: Callable, example_inputs: tuple, params: list) -> Callable:
    """`autograd_core.trace(function, *example_inputs, params=params)`, or Unavailable.

    trace runs `function` once eagerly (leaving .grad set, which is cleared here) and
    returns a replay: `result, grads = traced(*inputs)`, grads in `params` order.
    """
    ag = load_autograd_core()
    if not hasattr(ag, "trace"):
        raise Unavailable("autograd_core.trace does not exist yet")
    try:
        traced = ag.trace(function, *example_inputs, params=params)
    except NotImplementedError as error:
        raise Unavailable(f"autograd_core.trace is not implemented yet ({error})") from None
    for param in params:
        param.grad = None
    return traced


def autograd_core_with_backward(loss_function: Callable, *inputs):
    """loss_function(*inputs), then its backward: the forward and backward that trace records."""
    loss = loss_function(*inputs)
    loss.backward()
    return loss


def autograd_core_traced_step(traced: Callable, params: list, inputs: tuple, lr: float) -> StepResult:
    """Replay the traced forward and backward, then SGD (lr 0: no update) on the returned grads."""
    loss, grads = traced(*inputs)
    for param, grad in zip(params, grads, strict=True):
        if lr:
            param.data -= lr * grad.data
        param.grad = None
    return float(loss.data), grads


def autograd_core_traced_chain_runner(problem: ChainProblem) -> Callable[[], StepResult]:
    """The chain's forward and backward traced once from x, then replayed each step."""
    x, a, b = autograd_core_chain_tensors(problem)
    loss_of_x = functools.partial(chain_loss, a=a, b=b, length=problem.spec.length)
    traced = autograd_core_trace(functools.partial(autograd_core_with_backward, loss_of_x), (x,), [x])
    return functools.partial(autograd_core_traced_step, traced, [x], (x,), 0.0)


def autograd_core_traced_mlp_runner(problem: MLPProblem) -> Callable[[], StepResult]:
    """The MLP's forward, loss and backward traced once from the batch, then replayed."""
    params = autograd_core_params(problem)
    inputs = autograd_core_batch(problem)
    mlp_loss = functools.partial(autograd_core_mlp_loss, params, spec=problem.spec)
    traced = autograd_core_trace(functools.partial(autograd_core_with_backward, mlp_loss), inputs, params)
    return functools.partial(autograd_core_traced_step, traced, params, inputs, problem.spec.lr)


def autograd_core_checkpointed_mlp_loss(params: list, x, targets, spec: MLPSpec):
    """Forward and loss with the hidden layers in about sqrt(n) checkpointed segments.

    `autograd_core.checkpoint(function, *inputs)` (torch.utils.checkpoint's call) keeps
    only each segment's input and recomputes the segment during backward.
    """
    ag = load_autograd_core()
    layers = weight_bias_pairs(params)
    hidden, output_layer = layers[:-1], layers[-1:]
    segment_length = max(1, round(len(hidden) ** 0.5))
    out = x
    for start in range(0, len(hidden), segment_length):
        segment = functools.partial(
            autograd_core_layers,
            hidden[start : start + segment_length],
            activation=spec.activation,
            last_is_output=False,
        )
        out = ag.checkpoint(segment, out)
    output = autograd_core_layers(output_layer, out, spec.activation, last_is_output=True)
    return autograd_core_loss(spec, output, targets)


def autograd_core_checkpoint_runner(problem: MLPProblem) -> Callable[[], StepResult]:
    """SGD steps whose forward keeps only segment inputs (memory vs depth)."""
    ag = load_autograd_core()
    if not hasattr(ag, "checkpoint"):
        raise Unavailable("autograd_core.checkpoint does not exist yet")
    if problem.spec.l2:
        raise Unavailable("the checkpoint variant has no L2 term")
    params = autograd_core_params(problem)
    x, targets = autograd_core_batch(problem)
    mlp_loss = functools.partial(autograd_core_checkpointed_mlp_loss, params, spec=problem.spec)
    return functools.partial(autograd_core_mlp_step, mlp_loss, params, x, targets, problem.spec.lr)


# ---- the nn path: written the way a user writes it ---------------------------------------------------


def autograd_core_framework() -> Framework:
    """This repository's nn, nn.functional and optim; arrays enter as `autograd_core.tensor`."""
    ag = load_autograd_core()
    nn = import_from_repo("nn")
    optim = import_from_repo("optim")
    for owner, name in ((nn, "Sequential"), (nn, "Linear"), (nn, "functional"), (optim, "SGD")):
        if not hasattr(owner, name):
            raise Unavailable(f"{owner.__name__}.{name} does not exist yet")
    return Framework(nn, nn.functional, optim, ag.tensor, lambda targets: targets)


def autograd_core_nn_runner(problem: MLPProblem | ConvProblem) -> TrainingStep:
    """nn.Sequential loaded with the initial parameters, F.cross_entropy (or the workload's loss),
    optim.SGD: `optimizer.zero_grad()`, `loss.backward()`, `optimizer.step()`."""
    return make_training_step(autograd_core_framework(), problem)


def autograd_core_nn_traced_runner(problem: MLPProblem | ConvProblem) -> Callable[[], StepResult]:
    """The whole nn training step (zero_grad, forward, loss, backward, optimizer.step) traced once
    with `autograd_core.trace`, then replayed; the tracing run's update is undone, so the first
    replayed step starts from the initial parameters like every other implementation."""
    ag = load_autograd_core()
    if not hasattr(ag, "trace"):
        raise Unavailable("autograd_core.trace does not exist yet")
    step = autograd_core_nn_runner(problem)
    params = list(step.model.parameters())
    initial = [p.data.copy() for p in params]
    traced = ag.trace(step.loss_tensor, step.x, step.targets, params=params)
    for param, value in zip(params, initial, strict=True):
        param.data[...] = value
        param.grad = None

    def traced_step() -> StepResult:
        loss, grads = traced(step.x, step.targets)
        return float(loss.data), grads

    return traced_step
