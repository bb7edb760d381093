"""What every benchmark module shares: the seed, the step result type, `Unavailable`, and the
loaders of this repository's packages and of PyTorch (never a dependency of the project)."""

import functools
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SEED = 0

StepResult = tuple[float, list]
"""One training step's loss and the gradient of every parameter, before the update."""


class Unavailable(Exception):
    """An implementation cannot run a workload here (not installed, not written yet)."""


class NotInstalled(Unavailable):
    """A peer library (torch, MyGrad, HIPS autograd) or a workload's data source does not import."""


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


@functools.cache
def load_torch():
    """torch on one thread, or NotInstalled. torch is never a dependency of the project."""
    try:
        import torch
    except ImportError as error:
        raise NotInstalled(f"torch is not installed ({error})") from None
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    return torch


def weight_bias_pairs(params: list) -> list[tuple]:
    """[W1, b1, W2, b2, ...] -> [(W1, b1), (W2, b2), ...]."""
    return list(zip(params[0::2], params[1::2], strict=True))


def chain_loss(x, a, b, length: int):
    """The overhead chain, summed, written once for every tensor type with methods (torch,
    autograd_core, MyGrad): cycles of +a, *b, tanh, *0.5, exp."""
    value = x
    for _ in range(length // 5):
        value = value + a
        value = value * b
        value = value.tanh()
        value = value * 0.5
        value = value.exp()
    return value.sum()
