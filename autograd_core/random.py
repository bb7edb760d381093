"""The global random generator (PyTorch's default generator): one numpy Generator that every random
factory (rand, randn, randint, randperm, multinomial, normal, bernoulli, *_like) draws from when no
explicit `generator=` is given. `manual_seed(s)` makes every later draw reproducible."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .errors import InvalidArgumentError

#: The generator random factories use by default. manual_seed re-seeds it in place, so a
#: reference taken earlier (`from autograd_core.random import default_generator`) stays valid.
default_generator: np.random.Generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Re-seeds the global generator (torch.manual_seed) and returns it."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InvalidArgumentError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    default_generator.bit_generator.state = np.random.default_rng(int(seed)).bit_generator.state
    return default_generator


seed = manual_seed


def get_rng_state() -> dict:
    """A snapshot of the global generator's state (numpy's bit-generator state dict)."""
    return copy.deepcopy(default_generator.bit_generator.state)


def set_rng_state(state: dict) -> None:
    """Restores a state returned by get_rng_state: the draws that followed it repeat exactly."""
    if not isinstance(state, dict) or "bit_generator" not in state:
        raise InvalidArgumentError("set_rng_state: expected a state returned by get_rng_state()")
    default_generator.bit_generator.state = copy.deepcopy(state)


def resolve(generator: Any = None) -> np.random.Generator:
    """The Generator to draw from: `generator` when given (a numpy Generator, or a seed numpy
    accepts: an int, a SeedSequence...), else the global one."""
    if generator is None:
        return default_generator
    if isinstance(generator, np.random.Generator):
        return generator
    try:
        return np.random.default_rng(generator)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"generator must be a numpy.random.Generator or a seed, got "
                                   f"{type(generator).__name__}") from None
