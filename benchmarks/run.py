"""Benchmark autograd_core against a hand-written numpy floor and PyTorch CPU eager.

    python benchmarks/run.py [--workload W] [--impl I] [--json out.json] [--rounds N]
    python benchmarks/run.py --scaling [--json out.json]

Every implementation runs the same network from the same initial weights, in float32,
on one thread. Before anything is timed, each implementation's first step must give
the numpy floor's loss and gradients, or the workload is aborted. Times are the
median over rounds of each round's median step time. See benchmarks/README.md.
"""

import os
import sys

THREAD_COUNT_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
KERNEL_OVERRIDE_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
REMOVED_OVERRIDES_MARKER = "AUTOGRAD_CORE_BENCH_REMOVED_OVERRIDES"


def pin_environment_before_numpy() -> None:
    """Pin every thread pool to one thread and drop OpenBLAS kernel overrides.

    OpenBLAS reads these variables when it is loaded, so this must run before numpy is
    imported. When a kernel override is set, the process re-executes itself without it
    (the change applies to this process and its children only), so that nothing loaded
    before this point keeps the forced, slower kernel.
    """
    for name in THREAD_COUNT_VARIABLES:
        os.environ[name] = "1"
    overrides = [name for name in KERNEL_OVERRIDE_VARIABLES if name in os.environ]
    if overrides:
        for name in overrides:
            del os.environ[name]
        os.environ[REMOVED_OVERRIDES_MARKER] = ",".join(overrides)
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


pin_environment_before_numpy()

import argparse  # noqa: E402
import ctypes  # noqa: E402
import datetime  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import asdict, dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED = 0
GRAD_RTOL = 1e-4
GRAD_ATOL = 1e-5
KINK_MAX_FRACTION = 1e-3
KINK_MAX_RELATIVE_L2 = 1e-2
MEMORY_STEPS = 2
MMAP_THRESHOLD_BYTES = 64 * 1024
DEFAULT_ROUND_SECONDS = 0.5
MIN_STEPS_PER_ROUND = 5
MAX_STEPS_PER_ROUND = 5000
NOISY_SPREAD = 0.1
NOISY_NOTE = "noisy: round medians differ by more than 10% (a busy machine?); rerun to confirm"

IMPLEMENTATION_LABELS = {
    "numpy": "numpy floor",
    "torch": "torch eager",
    "autograd_core": "autograd_core",
    "autograd_core nn": "autograd_core nn",
    "autograd_core traced": "autograd_core traced",
    "autograd_core nn traced": "autograd_core nn traced",
    "autograd_core checkpoint": "autograd_core + checkpoint",
}
TABLE_IMPLEMENTATIONS = ("numpy", "torch", "autograd_core", "autograd_core nn", "autograd_core traced",
                         "autograd_core nn traced")
FLOOR = "numpy"

StepResult = tuple[float, list]
"""One training step's loss and the gradient of every parameter, before the update."""


class Unavailable(Exception):
    """An implementation cannot run a workload here (not installed, not written yet)."""


STEP_FAILURES = (
    ArithmeticError,
    AttributeError,
    LookupError,
    NotImplementedError,
    RuntimeError,
    TypeError,
    ValueError,
)
"""What a step of an unfinished engine raises; reported in the table instead of crashing."""


# --------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainSpec:
    """A chain of elementwise ops cycling +a, *b, tanh, *0.5, exp; then sum, backward."""

    length: int = 200
    size: int = 16
    unit: str = "µs/op"


@dataclass(frozen=True)
class MLPSpec:
    """A fully connected network: `activation` after every layer but the last.

    `loss` is "cross_entropy" (integer targets), "mse" (float targets) or "hinge"
    (targets in {-1, +1}, micrograd's max-margin loss); `l2` adds l2 * sum(p**2) over
    every parameter. Each step is forward, backward and a plain SGD update.
    """

    layer_sizes: tuple[int, ...]
    batch: int
    activation: str = "relu"
    loss: str = "cross_entropy"
    l2: float = 0.0
    lr: float = 0.01
    unit: str = "ms"


WORKLOADS: dict[str, ChainSpec | MLPSpec] = {
    "overhead-chain": ChainSpec(),
    "mlp-small-step": MLPSpec((64, 128, 128, 10), batch=32),
    "mlp-mnist-step": MLPSpec((784, 512, 256, 10), batch=128),
    "mlp-large-step": MLPSpec((1024, 2048, 2048, 1024, 10), batch=512),
    "deep-narrow": MLPSpec((32,) * 51 + (1,), batch=16, activation="tanh", loss="mse"),
    "scalar-tiny": MLPSpec((2, 16, 16, 1), batch=100, loss="hinge", l2=1e-4),
}
MEMORY_WORKLOAD = "memory"
MEMORY_SOURCE_WORKLOAD = "mlp-large-step"
ALL_WORKLOADS = (*WORKLOADS, MEMORY_WORKLOAD)


def deep_wide_spec(depth: int, width: int, batch: int) -> MLPSpec:
    """`depth` ReLU layers of `width` units and a 10-class head (memory-vs-depth curves)."""
    return MLPSpec((width,) * (depth + 1) + (10,), batch=batch)


@dataclass
class ChainProblem:
    """Inputs of the overhead chain: x is differentiated, a and b are constants."""

    spec: ChainSpec
    x: np.ndarray
    a: np.ndarray
    b: np.ndarray


@dataclass
class MLPProblem:
    """Initial parameters [W1, b1, W2, b2, ...] (W is out x in, like torch) and a batch."""

    spec: MLPSpec
    params: list[np.ndarray]
    x: np.ndarray
    targets: np.ndarray


def make_chain_problem(spec: ChainSpec, seed: int = SEED) -> ChainProblem:
    """Pick x, a, b so the chain neither overflows nor loses its gradient.

    With a close to -1 and b close to 2, each cycle maps v near 1 back near 1
    (exp(0.5 * tanh(b * (v + a))) is about exp(0) = 1), and the derivative of one
    cycle, 0.5 * b * tanh' * exp, stays near 1.
    """
    rng = np.random.default_rng(seed)
    x = 1.0 + rng.uniform(-0.2, 0.2, spec.size)
    a = -1.0 + rng.uniform(-0.01, 0.01, spec.size)
    b = rng.uniform(1.8, 2.0, spec.size)
    return ChainProblem(spec, *(v.astype(np.float32) for v in (x, a, b)))


def make_moons(n_points: int, noise: float, rng: np.random.Generator):
    """Two interleaved half circles (sklearn's make_moons), labels -1 and +1."""
    n_outer = n_points // 2
    n_inner = n_points - n_outer
    outer = np.linspace(0.0, np.pi, n_outer)
    inner = np.linspace(0.0, np.pi, n_inner)
    points = np.concatenate(
        [
            np.stack([np.cos(outer), np.sin(outer)], axis=1),
            np.stack([1.0 - np.cos(inner), 0.5 - np.sin(inner)], axis=1),
        ]
    )
    points += rng.normal(scale=noise, size=points.shape)
    labels = np.concatenate([-np.ones(n_outer), np.ones(n_inner)])
    return points.astype(np.float32), labels.astype(np.float32)[:, None]


def init_params(spec: MLPSpec, rng: np.random.Generator) -> list[np.ndarray]:
    """Normal weights with variance gain**2 / fan_in (He for ReLU, LeCun for tanh)."""
    gain = np.sqrt(2.0) if spec.activation == "relu" else 1.0
    params = []
    for fan_in, fan_out in zip(spec.layer_sizes[:-1], spec.layer_sizes[1:], strict=True):
        weight = rng.standard_normal((fan_out, fan_in), dtype=np.float32)
        weight *= np.float32(gain / np.sqrt(fan_in))
        bias = rng.uniform(-0.1, 0.1, fan_out).astype(np.float32)
        params += [weight, bias]
    return params


def make_mlp_problem(spec: MLPSpec, seed: int = SEED) -> MLPProblem:
    """Initial weights and one fixed batch of inputs and targets for `spec`."""
    rng = np.random.default_rng(seed)
    params = init_params(spec, rng)
    n_in, n_out = spec.layer_sizes[0], spec.layer_sizes[-1]
    if spec.loss == "hinge":
        x, targets = make_moons(spec.batch, noise=0.1, rng=rng)
    else:
        x = rng.standard_normal((spec.batch, n_in), dtype=np.float32)
        if spec.loss == "cross_entropy":
            targets = rng.integers(0, n_out, spec.batch)
        else:
            targets = rng.standard_normal((spec.batch, n_out), dtype=np.float32)
    return MLPProblem(spec, params, x, targets)


def make_problem(spec: ChainSpec | MLPSpec) -> ChainProblem | MLPProblem:
    """The inputs of one workload, identical for every implementation."""
    if isinstance(spec, ChainSpec):
        return make_chain_problem(spec)
    return make_mlp_problem(spec)


def weight_bias_pairs(params: list) -> list[tuple]:
    """[W1, b1, W2, b2, ...] -> [(W1, b1), (W2, b2), ...]."""
    return list(zip(params[0::2], params[1::2], strict=True))


# --------------------------------------------------------------------------------------
# (a) numpy floor: forward and backward written out by hand
# --------------------------------------------------------------------------------------


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


def numpy_loss_and_output_delta(spec: MLPSpec, output: np.ndarray, targets: np.ndarray):
    """The loss and delta_L = dL/dz_L of the linear output layer."""
    n = spec.batch
    if spec.loss == "cross_entropy":
        shifted = output - output.max(axis=1, keepdims=True)
        exp_shifted = np.exp(shifted)
        sum_exp = exp_shifted.sum(axis=1, keepdims=True)
        log_probs = shifted - np.log(sum_exp)
        loss = -log_probs[np.arange(n), targets].mean()
        delta = exp_shifted / sum_exp
        delta[np.arange(n), targets] -= 1.0
        delta /= n
    elif spec.loss == "mse":
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


def numpy_chain_runner(problem: ChainProblem) -> Callable[[], StepResult]:
    """The chain on the problem's arrays (the floor only reads them)."""
    return functools.partial(numpy_chain_step, problem.x, problem.a, problem.b, problem.spec.length)


def numpy_mlp_runner(problem: MLPProblem) -> Callable[[], StepResult]:
    """SGD steps on a private copy of the initial parameters."""
    params = [p.copy() for p in problem.params]
    return functools.partial(numpy_mlp_step, params, problem.x, problem.targets, problem.spec)


# --------------------------------------------------------------------------------------
# (b) PyTorch CPU eager
# --------------------------------------------------------------------------------------


@functools.cache
def load_torch():
    """torch on one thread, or Unavailable. torch is never a dependency of the project."""
    try:
        import torch
    except ImportError as error:
        raise Unavailable(f"torch is not installed ({error})") from None
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    return torch


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


# --------------------------------------------------------------------------------------
# (c) autograd_core: eager, nn + optim, checkpoint; (d) traced
# --------------------------------------------------------------------------------------


@functools.cache
def import_from_repo(module_name: str):
    """Import a package of this repository, installed or not, or raise Unavailable.

    Successful imports are cached (steps call this); failures are retried next time.
    """
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    try:
        return __import__(module_name)
    except Exception as error:  # noqa: BLE001 - a package being written can fail in any way
        raise Unavailable(f"`import {module_name}` fails: {error!r}") from None


def load_autograd_core():
    """The engine under test, or Unavailable while it does not import."""
    return import_from_repo("autograd_core")


def chain_loss(x, a, b, length: int):
    """The chain, summed, written once for torch and autograd_core tensors (same API)."""
    value = x
    for _ in range(length // 5):
        value = value + a
        value = value * b
        value = value.tanh()
        value = value * 0.5
        value = value.exp()
    return value.sum()


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


def autograd_core_nn_mlp_step(model: list, loss_function: Callable, optimizer, x, targets, spec: MLPSpec):
    """nn.Linear layers, the loss, optimizer.zero_grad(), backward, optimizer.step()."""
    optimizer.zero_grad()
    out = x
    for index, layer in enumerate(model):
        out = layer(out)
        if index < len(model) - 1:
            out = out.relu() if spec.activation == "relu" else out.tanh()
    loss = loss_function(out, targets)
    params = [p for layer in model for p in (layer.weight, layer.bias)]
    if spec.l2:
        loss = loss + autograd_core_l2_penalty(params, spec.l2)
    loss.backward()
    grads = [p.grad for p in params]
    optimizer.step()
    return float(loss.data), grads


def autograd_core_nn_mlp_runner(problem: MLPProblem) -> Callable[[], StepResult]:
    """nn.Linear layers loaded with the initial parameters, and an optim.SGD.

    Cross-entropy comes from nn.functional; the other losses are the raw-tensor ones.
    """
    nn = import_from_repo("nn")
    optim = import_from_repo("optim")
    for owner, name in ((nn, "Linear"), (nn, "functional"), (optim, "SGD")):
        if not hasattr(owner, name):
            raise Unavailable(f"{owner.__name__}.{name} does not exist yet")
    model = []
    for weight, bias in weight_bias_pairs(problem.params):
        layer = nn.Linear(weight.shape[1], weight.shape[0])
        layer.weight.data[...] = weight
        layer.bias.data[...] = bias
        model.append(layer)
    if problem.spec.loss == "cross_entropy":
        loss_function = nn.functional.cross_entropy
    else:
        loss_function = functools.partial(autograd_core_loss, problem.spec)
    optimizer = optim.SGD([p for layer in model for p in (layer.weight, layer.bias)], lr=problem.spec.lr)
    x, targets = autograd_core_batch(problem)
    return functools.partial(
        autograd_core_nn_mlp_step, model, loss_function, optimizer, x, targets, problem.spec
    )


def autograd_core_nn_traced_mlp_runner(problem: MLPProblem) -> Callable[[], StepResult]:
    """The whole nn training step (zero_grad, forward, loss, backward, optimizer.step) traced once
    with `autograd_core.trace`, then replayed; the tracing run's update is undone, so the first
    replayed step starts from the initial parameters like every other implementation."""
    ag = load_autograd_core()
    if not hasattr(ag, "trace"):
        raise Unavailable("autograd_core.trace does not exist yet")
    eager_step = autograd_core_nn_mlp_runner(problem)
    model, loss_function, optimizer, x, targets, spec = eager_step.args
    params = [p for layer in model for p in (layer.weight, layer.bias)]
    initial = [p.data.copy() for p in params]

    def train_step(x, targets):
        return autograd_core_nn_mlp_step_loss(model, loss_function, optimizer, x, targets, spec)

    traced = ag.trace(train_step, x, targets, params=params)
    for param, value in zip(params, initial, strict=True):
        param.data[...] = value
        param.grad = None

    def step() -> StepResult:
        loss, grads = traced(x, targets)
        return float(loss.data), grads

    return step


def autograd_core_nn_mlp_step_loss(model: list, loss_function: Callable, optimizer, x, targets,
                                   spec: MLPSpec):
    """autograd_core_nn_mlp_step returning the loss tensor (what a traced step hands back)."""
    optimizer.zero_grad()
    out = x
    for index, layer in enumerate(model):
        out = layer(out)
        if index < len(model) - 1:
            out = out.relu() if spec.activation == "relu" else out.tanh()
    loss = loss_function(out, targets)
    if spec.l2:
        params = [p for layer in model for p in (layer.weight, layer.bias)]
        loss = loss + autograd_core_l2_penalty(params, spec.l2)
    loss.backward()
    optimizer.step()
    return loss


# --------------------------------------------------------------------------------------
# Runner table, correctness check, timing, memory
# --------------------------------------------------------------------------------------

RUNNERS: dict[tuple[str, type], Callable] = {
    ("numpy", ChainSpec): numpy_chain_runner,
    ("numpy", MLPSpec): numpy_mlp_runner,
    ("torch", ChainSpec): torch_chain_runner,
    ("torch", MLPSpec): torch_mlp_runner,
    ("autograd_core", ChainSpec): autograd_core_chain_runner,
    ("autograd_core", MLPSpec): autograd_core_mlp_runner,
    ("autograd_core nn", MLPSpec): autograd_core_nn_mlp_runner,
    ("autograd_core traced", ChainSpec): autograd_core_traced_chain_runner,
    ("autograd_core traced", MLPSpec): autograd_core_traced_mlp_runner,
    ("autograd_core nn traced", MLPSpec): autograd_core_nn_traced_mlp_runner,
    ("autograd_core checkpoint", MLPSpec): autograd_core_checkpoint_runner,
}


def build_runner(implementation: str, problem: ChainProblem | MLPProblem) -> Callable[[], StepResult]:
    """A zero-argument callable running one step of `problem` with `implementation`."""
    builder = RUNNERS.get((implementation, type(problem.spec)))
    if builder is None:
        raise Unavailable("not applicable to this workload")
    return builder(problem)


def as_numpy(value) -> np.ndarray:
    """A numpy copy of a numpy array, an autograd_core tensor or a torch tensor."""
    if isinstance(value, np.ndarray):
        return value.copy()
    data = getattr(value, "data", None)
    if isinstance(data, np.ndarray):
        return data.copy()
    return value.detach().numpy().copy()


def compare_gradient(index: int, expected: np.ndarray, actual, allow_kinks: bool):
    """(problem, note) for one gradient; either may be None.

    Elementwise allclose(rtol=GRAD_RTOL, atol=GRAD_ATOL) must hold. With ReLU, a
    pre-activation within rounding of 0 can land on either side in another BLAS,
    which moves one unit of one sample; `allow_kinks` accepts that when few elements
    (KINK_MAX_FRACTION) are off and the relative L2 error stays small
    (KINK_MAX_RELATIVE_L2), and reports it as a note.
    """
    if actual is None:
        return f"gradient {index} is None", None
    actual = as_numpy(actual)
    if actual.shape != expected.shape:
        return (f"gradient {index} has shape {actual.shape}, floor {expected.shape}", None)
    outside = ~np.isclose(actual, expected, rtol=GRAD_RTOL, atol=GRAD_ATOL)
    if not outside.any():
        return None, None
    fraction = outside.mean()
    relative_l2 = np.linalg.norm(actual - expected) / max(np.linalg.norm(expected), 1e-30)
    summary = (
        f"gradient {index} {expected.shape}: {outside.sum()} of {outside.size} elements "
        f"({fraction:.3%}) beyond tolerance, relative L2 error {relative_l2:.2g}"
    )
    if allow_kinks and fraction <= KINK_MAX_FRACTION and relative_l2 <= KINK_MAX_RELATIVE_L2:
        return None, summary + " (accepted as ReLU kink flips)"
    error = np.abs(actual - expected)
    worst = np.unravel_index(np.argmax(error - GRAD_RTOL * np.abs(expected)), error.shape)
    worst_text = f"{actual[worst]!r} vs floor {expected[worst]!r} at {tuple(int(i) for i in worst)}"
    return f"{summary}; worst {worst_text}", None


def first_step_mismatches(
    reference: StepResult, candidate: StepResult, allow_kinks: bool
) -> tuple[list[str], list[str]]:
    """(problems, notes): where `candidate`'s first step disagrees with the floor's."""
    problems, notes = [], []
    reference_loss, reference_grads = reference
    candidate_loss, candidate_grads = candidate
    if not np.isclose(candidate_loss, reference_loss, rtol=GRAD_RTOL, atol=GRAD_ATOL):
        problems.append(f"loss {candidate_loss!r} != floor {reference_loss!r}")
    if len(candidate_grads) != len(reference_grads):
        count = f"{len(candidate_grads)} gradients, floor has {len(reference_grads)}"
        return [*problems, count], notes
    for index, (expected, actual) in enumerate(zip(reference_grads, candidate_grads, strict=True)):
        problem, note = compare_gradient(index, expected, actual, allow_kinks)
        problems += [problem] if problem else []
        notes += [note] if note else []
    return problems, notes


@dataclass
class Timing:
    """Median over rounds of each round's median step time, in seconds."""

    median: float
    round_medians: list[float]
    steps_per_round: int


def time_steps(step: Callable[[], object], rounds: int, round_seconds: float) -> Timing:
    """Warm up, size the rounds to about `round_seconds`, then time every step alone."""
    warmup_end = time.perf_counter() + max(0.1 * round_seconds, 0.0)
    for _ in range(2):
        step()
    while time.perf_counter() < warmup_end:
        step()
    start = time.perf_counter()
    step()
    one_step = time.perf_counter() - start
    steps_per_round = int(
        min(MAX_STEPS_PER_ROUND, max(MIN_STEPS_PER_ROUND, round_seconds / max(one_step, 1e-9)))
    )

    round_medians = []
    for _ in range(rounds):
        gc.collect()
        durations = []
        for _ in range(steps_per_round):
            start = time.perf_counter()
            step()
            durations.append(time.perf_counter() - start)
        round_medians.append(statistics.median(durations))
    return Timing(statistics.median(round_medians), round_medians, steps_per_round)


def read_status_kib(field: str) -> int:
    """A field of /proc/self/status, in KiB (VmRSS: resident now, VmHWM: peak resident)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False when the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def release_free_heap() -> None:
    """Hand glibc's cached free memory back to the OS, so RSS counts live memory only."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def memory_child(implementation: str, spec: MLPSpec, steps: int = MEMORY_STEPS) -> dict:
    """Peak RSS during `steps` training steps minus the RSS right after setup, in MiB.

    Meant to run in a fresh process per implementation (see measure_step_memory), so
    that no other implementation's arrays, allocator caches or imports are counted.
    The setup's own peak is forgotten (VmHWM reset) and its freed memory returned
    (malloc_trim), so the difference is what a step needs on top of the parameters
    and the batch: activations kept for backward, gradients and temporaries.
    """
    try:
        step = build_runner(implementation, make_mlp_problem(spec))
    except Unavailable as reason:
        return {"unavailable": str(reason)}
    gc.collect()
    release_free_heap()
    peak_was_reset = reset_peak_rss()
    steady_kib = read_status_kib("VmRSS")
    for _ in range(steps):
        step()
    peak_kib = read_status_kib("VmHWM")
    return {
        "steady_mib": steady_kib / 1024,
        "peak_mib": peak_kib / 1024,
        "step_mib": (peak_kib - steady_kib) / 1024,
        "peak_was_reset": peak_was_reset,
    }


def measure_step_memory(implementation: str, spec: MLPSpec) -> dict:
    """memory_child in a fresh `python benchmarks/run.py --memory-child IMPL` process.

    The child's glibc gets a fixed mmap threshold, so every array larger than
    MMAP_THRESHOLD_BYTES is mapped on allocation and unmapped when freed, and RSS
    follows the memory actually in use instead of what malloc chose to keep.
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--memory-child", implementation]
    command += ["--memory-spec", json.dumps(asdict(spec))]
    environment = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD_BYTES)}
    completed = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"child exited {completed.returncode}: {last_line}"}
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------
# Running workloads and reporting
# --------------------------------------------------------------------------------------


@dataclass
class Cell:
    """One implementation's result on one workload: a value in the workload's unit, or why not."""

    value: float | None = None
    note: str = ""
    round_medians: list[float] | None = None
    steps_per_round: int | None = None


def build_checked_runners(name: str, problem, implementations) -> tuple[dict, dict[str, Cell]]:
    """Build every runner, run its first step and compare it with the floor's first step.

    Returns the runners that passed and the cells of the implementations that could not
    run. If any first step disagrees with the floor, prints why and returns no runners:
    the whole workload is aborted, every cell saying so.
    """
    runners, cells, mismatches = {}, {}, []
    reference = build_runner(FLOOR, problem)()
    allow_kinks = getattr(problem.spec, "activation", None) == "relu"
    for implementation in implementations:
        label = IMPLEMENTATION_LABELS[implementation]
        try:
            runner = build_runner(implementation, problem)
            first_step = runner()
        except Unavailable as reason:
            cells[implementation] = Cell(note=f"n/a: {reason}")
            continue
        except NotImplementedError as error:
            cells[implementation] = Cell(note=f"n/a: not implemented yet ({error})")
            continue
        except STEP_FAILURES as error:
            cells[implementation] = Cell(note=f"error: {error!r}")
            continue
        problems, notes = first_step_mismatches(reference, first_step, allow_kinks)
        mismatches += [f"{label}: {line}" for line in problems]
        for line in notes:
            print(f"  note, {label}: {line}")
        runners[implementation] = runner
    if mismatches:
        print(f"\nABORTED {name}: first step disagrees with the numpy floor", file=sys.stderr)
        for line in mismatches:
            print(f"  {line}", file=sys.stderr)
        return {}, {impl: Cell(note="aborted: first-step mismatch (see stderr)") for impl in implementations}
    return runners, cells


def run_timed_workload(
    name: str, spec, implementations, rounds: int, round_seconds: float
) -> dict[str, Cell]:
    """Check, then time, every implementation on one workload; values in spec.unit."""
    runners, cells = build_checked_runners(name, make_problem(spec), implementations)
    scale = 1e6 / spec.length if isinstance(spec, ChainSpec) else 1e3
    for implementation, runner in runners.items():
        try:
            timing = time_steps(runner, rounds, round_seconds)
        except STEP_FAILURES as error:
            cells[implementation] = Cell(note=f"error: {error!r}")
            continue
        cells[implementation] = Cell(
            value=timing.median * scale,
            round_medians=[t * scale for t in timing.round_medians],
            steps_per_round=timing.steps_per_round,
        )
        label = IMPLEMENTATION_LABELS[implementation]
        print(f"  {name:16s} {label:26s} {timing.median * scale:10.4g} {spec.unit}", flush=True)
    return {implementation: cells[implementation] for implementation in implementations}


def run_memory_workload(name: str, spec: MLPSpec, implementations) -> dict[str, Cell]:
    """Step memory (MiB above steady state) of `spec`, one fresh process per implementation."""
    cells = {}
    for implementation in implementations:
        result = measure_step_memory(implementation, spec)
        if "step_mib" in result:
            cells[implementation] = Cell(value=result["step_mib"])
            label = IMPLEMENTATION_LABELS[implementation]
            print(f"  {name:16s} {label:26s} {result['step_mib']:10.4g} MiB", flush=True)
        elif "unavailable" in result:
            cells[implementation] = Cell(note=f"n/a: {result['unavailable']}")
        else:
            cells[implementation] = Cell(note=f"error: {result['error']}")
    return cells


def format_cell(cell: Cell, floor: Cell | None, notes: list[str]) -> str:
    """'value (ratio×)', or 'n/a' with its reason added to the footnotes.

    A value whose round medians spread by more than NOISY_SPREAD of their median is
    marked as noisy, with a footnote.
    """
    if cell.value is None:
        return f"n/a {footnote(cell.note, notes)}"
    text = f"{cell.value:.3g}"
    if floor is not None and floor.value:
        text += f" ({cell.value / floor.value:.2f}×)"
    if cell.round_medians and (max(cell.round_medians) - min(cell.round_medians)) > NOISY_SPREAD * cell.value:
        text += " " + footnote(NOISY_NOTE, notes)
    return text


def footnote(note: str, notes: list[str]) -> str:
    """The marker '[n]' of `note`, adding it to `notes` if new."""
    if note not in notes:
        notes.append(note)
    return f"[{notes.index(note) + 1}]"


def markdown_table(
    rows: dict[str, dict[str, Cell]], implementations, units: dict[str, str] | None, row_title: str
) -> str:
    """One row per workload (or scaling point), one column per implementation.

    Each value is followed by its ratio to the numpy floor; n/a cells point to a
    numbered footnote with the reason. `units` adds a unit column.
    """
    notes: list[str] = []
    header = [row_title, *(["unit"] if units else []), *(IMPLEMENTATION_LABELS[i] for i in implementations)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row, cells in rows.items():
        floor = cells.get(FLOOR)
        values = [format_cell(cells.get(i, Cell(note="n/a: not run")), floor, notes) for i in implementations]
        lines.append("| " + " | ".join([row, *([units[row]] if units else []), *values]) + " |")
    lines += ["", *(f"[{number}] {note}" for number, note in enumerate(notes, start=1))]
    return "\n".join(lines).rstrip()


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment_report(load_torch_first: bool) -> dict:
    """Versions, machine, and every thread pool threadpoolctl sees (with its BLAS kernel)."""
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    if load_torch_first:
        try:
            versions["torch"] = load_torch().__version__
        except Unavailable as reason:
            versions["torch"] = f"n/a ({reason})"
    try:
        versions["autograd_core"] = getattr(load_autograd_core(), "__version__", "unversioned")
    except Unavailable as reason:
        versions["autograd_core"] = f"n/a ({reason})"
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "nproc": os.cpu_count(),
        "versions": versions,
        "thread_pools": threadpool_info(),
        "removed_kernel_overrides": os.environ.get(REMOVED_OVERRIDES_MARKER, ""),
        "command": " ".join(["python", *sys.orig_argv[1:]]),
    }


def print_environment(report: dict) -> None:
    """The environment report, readably, including which BLAS kernel runs."""
    print(f"# {report['date_utc']}: {report['cpu']}, nproc={report['nproc']}")
    print("# " + ", ".join(f"{name} {version}" for name, version in report["versions"].items()))
    removed = report["removed_kernel_overrides"] or "none were set"
    print(f"# OpenBLAS kernel overrides removed for this run: {removed}")
    for pool in report["thread_pools"]:
        version = pool.get("version") or ""
        kernel = pool.get("architecture") or "-"
        library = Path(pool["filepath"]).name
        print(
            f"# {pool['internal_api']} {version} ({library}): "
            f"num_threads={pool['num_threads']}, kernel/architecture={kernel}"
        )
    print(f"# command: {report['command']}", flush=True)


# --------------------------------------------------------------------------------------
# Scaling curves
# --------------------------------------------------------------------------------------

SCALING_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
SCALING_WIDTHS = (32, 64, 128, 256, 512, 1024, 2048)
SCALING_DEPTHS = (8, 16, 32, 64)
SCALING_MEMORY_SHAPES = ((1024, 256), (256, 2048))
"""(width, batch): gradients outweigh activations in the first, activations in the second."""
SCALING_TIME_IMPLEMENTATIONS = ("numpy", "torch", "autograd_core")
SCALING_MEMORY_IMPLEMENTATIONS = ("numpy", "torch", "autograd_core", "autograd_core checkpoint")


def run_time_scaling(implementations, rounds: int, round_seconds: float) -> dict[str, dict]:
    """Step time of 784-W-W-10 ReLU MLPs versus batch size and versus width."""
    timed = [i for i in SCALING_TIME_IMPLEMENTATIONS if i in implementations]
    base = WORKLOADS["mlp-mnist-step"]
    curves = {
        "batch": {batch: replace(base, batch=batch) for batch in SCALING_BATCHES},
        "width": {width: replace(base, layer_sizes=(784, width, width, 10)) for width in SCALING_WIDTHS},
    }
    results = {}
    for curve, specs in curves.items():
        results[curve] = {
            str(point): run_timed_workload(f"{curve} {point}", spec, timed, rounds, round_seconds)
            for point, spec in specs.items()
        }
    return results


def run_memory_scaling(implementations) -> dict[str, dict[str, dict[str, Cell]]]:
    """Step memory of `depth` ReLU layers, with and without checkpoint, for each shape.

    The first step of each implementation is checked at the smallest depth; one that
    does not run or disagrees is not measured.
    """
    measured = [i for i in SCALING_MEMORY_IMPLEMENTATIONS if i in implementations]
    curves = {}
    for width, batch in SCALING_MEMORY_SHAPES:
        curve = f"width {width}, batch {batch}"
        check_problem = make_mlp_problem(deep_wide_spec(SCALING_DEPTHS[0], width, batch))
        runners, check_cells = build_checked_runners(f"memory vs depth, {curve}", check_problem, measured)
        curves[curve] = {}
        for depth in SCALING_DEPTHS:
            spec = deep_wide_spec(depth, width, batch)
            cells = run_memory_workload(f"depth {depth}", spec, list(runners))
            curves[curve][str(depth)] = {i: cells.get(i) or check_cells[i] for i in measured}
    return curves


def run_scaling(implementations, rounds: int, round_seconds: float) -> tuple[str, dict]:
    """All scaling curves, as markdown sections and as results for --json."""
    time_curves = run_time_scaling(implementations, rounds, round_seconds)
    memory_curves = run_memory_scaling(implementations)
    timed = [i for i in SCALING_TIME_IMPLEMENTATIONS if i in implementations]
    measured = [i for i in SCALING_MEMORY_IMPLEMENTATIONS if i in implementations]
    sections = [
        "### step time (ms) vs batch, 784-512-256-10 ReLU\n\n"
        + markdown_table(time_curves["batch"], timed, None, row_title="batch"),
        "### step time (ms) vs width, 784-W-W-10 ReLU, batch 128\n\n"
        + markdown_table(time_curves["width"], timed, None, row_title="width"),
    ]
    for curve, rows in memory_curves.items():
        title = f"### step memory (MiB above steady state) vs depth, ReLU layers of {curve}"
        sections.append(title + "\n\n" + markdown_table(rows, measured, None, row_title="depth"))
    results = {"time vs batch": time_curves["batch"], "time vs width": time_curves["width"]}
    results.update({f"memory vs depth, {curve}": rows for curve, rows in memory_curves.items()})
    return "\n\n".join(sections), results


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def cells_as_json(rows: dict[str, dict[str, Cell]], units: dict[str, str] | None = None) -> dict:
    """Rows of cells as plain dicts, with the ratio to the floor."""
    output = {}
    for workload, cells in rows.items():
        floor = cells.get(FLOOR)
        output[workload] = {}
        for implementation, cell in cells.items():
            entry = {"value": cell.value, "note": cell.note or None}
            if units:
                entry["unit"] = units[workload]
            if cell.round_medians is not None:
                entry["round_medians"] = cell.round_medians
                entry["steps_per_round"] = cell.steps_per_round
            if cell.value is not None and floor is not None and floor.value:
                entry["ratio_to_floor"] = cell.value / floor.value
            output[workload][implementation] = entry
    return output


def parse_arguments(argv=None) -> argparse.Namespace:
    """The command line described in the module docstring."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workload", action="append", choices=ALL_WORKLOADS, help="repeatable; default: all")
    parser.add_argument(
        "--impl", action="append", choices=tuple(IMPLEMENTATION_LABELS), help="repeatable; default: all"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds (default 5)")
    parser.add_argument(
        "--round-seconds",
        type=float,
        default=DEFAULT_ROUND_SECONDS,
        help=f"approximate length of one round (default {DEFAULT_ROUND_SECONDS})",
    )
    parser.add_argument("--scaling", action="store_true", help="scaling curves instead of the workload table")
    parser.add_argument("--memory-child", metavar="IMPL", help=argparse.SUPPRESS)
    parser.add_argument("--memory-spec", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_workload_table(arguments: argparse.Namespace, implementations) -> tuple[str, dict]:
    """Every requested workload for every implementation, as a markdown table and for --json."""
    table_implementations = [i for i in TABLE_IMPLEMENTATIONS if i in implementations]
    rows, units = {}, {}
    for name in arguments.workload or ALL_WORKLOADS:
        if name == MEMORY_WORKLOAD:
            units[name] = "MiB"
            rows[name] = run_memory_workload(name, WORKLOADS[MEMORY_SOURCE_WORKLOAD], table_implementations)
        else:
            spec = WORKLOADS[name]
            units[name] = spec.unit
            rows[name] = run_timed_workload(
                name, spec, table_implementations, arguments.rounds, arguments.round_seconds
            )
    table = markdown_table(rows, table_implementations, units, row_title="workload")
    return table, {"workloads": cells_as_json(rows, units)}


def main(argv=None) -> int:
    """Run the workload table (or the scaling curves) and print it as markdown."""
    arguments = parse_arguments(argv)
    if arguments.memory_child:
        spec_fields = json.loads(arguments.memory_spec)
        spec = MLPSpec(**{**spec_fields, "layer_sizes": tuple(spec_fields["layer_sizes"])})
        print(json.dumps(memory_child(arguments.memory_child, spec)))
        return 0

    implementations = arguments.impl or list(IMPLEMENTATION_LABELS)
    if FLOOR not in implementations:
        implementations.insert(0, FLOOR)
    environment = environment_report(load_torch_first="torch" in implementations)
    print_environment(environment)

    if arguments.scaling:
        text, results = run_scaling(implementations, arguments.rounds, arguments.round_seconds)
        output = {"scaling": {name: cells_as_json(rows) for name, rows in results.items()}}
    else:
        text, output = run_workload_table(arguments, implementations)
    print("\n" + text)

    if arguments.json:
        arguments.json.write_text(json.dumps({"environment": environment, **output}, indent=2) + "\n")
        print(f"\nwrote {arguments.json}")
    return 0


if __name__ == "__main__":
    with threadpool_limits(limits=1):
        sys.exit(main())
