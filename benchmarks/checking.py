"""The correctness check that runs before anything is timed: each implementation's first step
must give the numpy floor's loss and gradients."""

import numpy as np

from common import StepResult
from workloads import np_copy

GRAD_RTOL = 1e-4
GRAD_ATOL = 1e-5
KINK_MAX_FRACTION = 1e-3
KINK_MAX_RELATIVE_L2 = 1e-2


def as_numpy(value) -> np.ndarray:
    """A numpy copy of a numpy array, an autograd_core, MyGrad or torch tensor."""
    return np_copy(value)


def compare_gradient(index: int, expected: np.ndarray, actual, allow_kinks: bool,
                     rtol: float = GRAD_RTOL, atol: float = GRAD_ATOL):
    """(problem, note) for one gradient; either may be None.

    Elementwise allclose(rtol, atol) must hold. With ReLU, a pre-activation within rounding
    of 0 can land on either side in another BLAS, which moves one unit of one sample;
    `allow_kinks` accepts that when few elements (KINK_MAX_FRACTION) are off and the relative
    L2 error stays small (KINK_MAX_RELATIVE_L2), and reports it as a note.
    """
    if actual is None:
        return f"gradient {index} is None", None
    actual = as_numpy(actual)
    if actual.shape != expected.shape:
        return (f"gradient {index} has shape {actual.shape}, floor {expected.shape}", None)
    outside = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
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
    worst = np.unravel_index(np.argmax(error - rtol * np.abs(expected)), error.shape)
    worst_text = f"{actual[worst]!r} vs floor {expected[worst]!r} at {tuple(int(i) for i in worst)}"
    return f"{summary}; worst {worst_text}", None


def first_step_mismatches(
    reference: StepResult, candidate: StepResult, allow_kinks: bool,
    rtol: float = GRAD_RTOL, atol: float = GRAD_ATOL,
) -> tuple[list[str], list[str]]:
    """(problems, notes): where `candidate`'s first step disagrees with the floor's."""
    problems, notes = [], []
    reference_loss, reference_grads = reference
    candidate_loss, candidate_grads = candidate
    if not np.isclose(candidate_loss, reference_loss, rtol=rtol, atol=atol):
        problems.append(f"loss {candidate_loss!r} != floor {reference_loss!r}")
    if len(candidate_grads) != len(reference_grads):
        count = f"{len(candidate_grads)} gradients, floor has {len(reference_grads)}"
        return [*problems, count], notes
    for index, (expected, actual) in enumerate(zip(reference_grads, candidate_grads, strict=True)):
        problem, note = compare_gradient(index, expected, actual, allow_kinks, rtol, atol)
        problems += [problem] if problem else []
        notes += [note] if note else []
    return problems, notes


def tolerances(spec) -> tuple[float, float]:
    """(rtol, atol) of the first-step check for `spec` (looser for the sequence workloads)."""
    return getattr(spec, "grad_rtol", GRAD_RTOL), getattr(spec, "grad_atol", GRAD_ATOL)


def allows_kinks(spec) -> bool:
    """ReLU networks (the MLPs with relu, and the CNN) may flip a kink in another BLAS."""
    return getattr(spec, "activation", "relu") == "relu" and not hasattr(spec, "length")
