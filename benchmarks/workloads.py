"""The benchmark workloads: what network, which batch, which loss, from which initial weights.

Every implementation builds its step from the same problem (same float32 initial weights and
batch), so the first steps can be compared with the numpy floor before anything is timed.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from common import SEED, NotInstalled, Unavailable


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


@dataclass(frozen=True)
class ConvSpec:
    """A small CNN on the 8x8 digits: Conv2d(1, c1, 3, padding=1)-ReLU-MaxPool2d(2)-
    Conv2d(c1, c2, 3, padding=1)-ReLU-MaxPool2d(2)-Flatten-Linear(c2 * 2 * 2, 10), cross-entropy."""

    batch: int = 64
    channels: tuple[int, int] = (8, 16)
    image: int = 8
    classes: int = 10
    lr: float = 0.01
    unit: str = "ms"


@dataclass(frozen=True)
class SequenceSpec:
    """A sequence workload of benchmarks/sequences.py ("lstm" or "encoder"); see that module.

    Its float32 recurrences accumulate more rounding than an MLP, hence the looser check.
    """

    name: str
    grad_rtol: float = 1e-3
    grad_atol: float = 1e-6
    unit: str = "ms"


Spec = ChainSpec | MLPSpec | ConvSpec | SequenceSpec

WORKLOADS: dict[str, Spec] = {
    "overhead-chain": ChainSpec(),
    "mlp-small-step": MLPSpec((64, 128, 128, 10), batch=32),
    "mlp-mnist-step": MLPSpec((784, 512, 256, 10), batch=128),
    "mlp-large-step": MLPSpec((1024, 2048, 2048, 1024, 10), batch=512),
    "deep-narrow": MLPSpec((32,) * 51 + (1,), batch=16, activation="tanh", loss="mse"),
    "scalar-tiny": MLPSpec((2, 16, 16, 1), batch=100, loss="hinge", l2=1e-4),
    "conv-digits": ConvSpec(),
    "lstm": SequenceSpec("lstm"),
    "encoder": SequenceSpec("encoder"),
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


@dataclass
class ConvProblem:
    """Initial parameters [conv1.weight (c1, 1, 3, 3), conv1.bias, conv2.weight (c2, c1, 3, 3),
    conv2.bias, fc.weight (10, c2 * 4), fc.bias], images x (N, 1, 8, 8) and integer labels."""

    spec: ConvSpec
    params: list[np.ndarray]
    x: np.ndarray
    targets: np.ndarray


@dataclass
class SequenceProblem:
    """A sequence workload of benchmarks/sequences.py; `step(implementation)` builds a fresh step.

    sequences.make_runners builds the floor, autograd_core's nn step and torch's nn step together
    from torch's initial weights; each call builds new ones, so every implementation (and the
    reference first step) starts from the initial weights.
    """

    spec: "SequenceSpec"
    step: Callable
    implementations: tuple[str, ...]


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


def load_digit_images(batch: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `batch` of scikit-learn's bundled 8x8 digits as (N, 1, 8, 8) float32 in [0, 1]."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise NotInstalled(f"scikit-learn is not installed (the digits images; {error})") from None
    bunch = load_digits()
    images = (bunch.images[:batch] / 16.0).astype(np.float32)[:, None]
    return images, bunch.target[:batch].astype(np.int64)


def make_conv_problem(spec: ConvSpec, seed: int = SEED) -> ConvProblem:
    """He-normal conv and linear weights, small uniform biases, and the first digits batch."""
    rng = np.random.default_rng(seed)
    c1, c2 = spec.channels
    shapes = [(c1, 1, 3, 3), (c2, c1, 3, 3), (spec.classes, c2 * (spec.image // 4) ** 2)]
    params = []
    for shape in shapes:
        fan_in = int(np.prod(shape[1:]))
        weight = rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / fan_in))
        params += [weight, rng.uniform(-0.1, 0.1, shape[0]).astype(np.float32)]
    x, targets = load_digit_images(spec.batch)
    return ConvProblem(spec, params, x, targets)


SEQUENCE_LABELS = {"numpy": "numpy floor", "autograd_core nn": "autograd_core", "torch nn": "torch eager"}
"""run.py's implementation -> sequences.make_runners' label."""


def make_sequence_problem(spec: SequenceSpec) -> SequenceProblem:
    """sequences.make_runners for `spec.name`, with its labels mapped to run.py's implementations.

    Each step returns (loss, {parameter name: gradient}); the gradients are put in sorted-name
    order so they compare as lists. Needs torch (the initial weights come from torch's modules).
    """
    try:
        import sequences
        sequences.make_runners(spec.name)
    except ImportError as error:
        raise NotInstalled(f"torch is not installed (sequences.py takes torch's initial weights; {error})") \
            from None
    except Exception as error:  # noqa: BLE001 - nn's sequence layers may be unfinished
        raise Unavailable(f"sequences.make_runners({spec.name!r}) fails: {error!r}") from None

    def step(implementation: str):
        fresh = sequences.make_runners(spec.name)[SEQUENCE_LABELS[implementation]]

        def run_step():
            loss, grads = fresh()
            return loss, [np_copy(grads[name]) for name in sorted(grads)]
        return run_step

    return SequenceProblem(spec, step, tuple(SEQUENCE_LABELS))


def np_copy(value) -> np.ndarray:
    """A numpy copy of an ndarray, an autograd_core tensor or a torch tensor."""
    if isinstance(value, np.ndarray):
        return value.copy()
    data = getattr(value, "data", None)
    if isinstance(data, np.ndarray):
        return data.copy()
    return value.detach().numpy().copy()


def make_problem(spec: Spec):
    """The inputs of one workload, identical for every implementation."""
    if isinstance(spec, ChainSpec):
        return make_chain_problem(spec)
    if isinstance(spec, ConvSpec):
        return make_conv_problem(spec)
    if isinstance(spec, SequenceSpec):
        return make_sequence_problem(spec)
    return make_mlp_problem(spec)
