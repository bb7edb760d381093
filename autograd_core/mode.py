"""Process-wide switches: grad mode (thread-local, like PyTorch), default dtype, anomaly detection."""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

import numpy as np

from .errors import DTypeError


class HotFlags:
    """The per-thread flags `graph.apply` reads on every op, as plain slots: reading a
    threading.local attribute costs some 500 machine instructions, a slot of an object a few dozen,
    so `apply` reads `state.hot` once and then its slots."""

    __slots__ = ("grad_enabled", "autocast_dtype", "observed")

    def __init__(self) -> None:
        self.grad_enabled = True
        #: The low dtype inside an enabled autocast region (autograd_core.amp), else None.
        self.autocast_dtype: Any = None
        #: True while anomaly detection is on or a tape is open in this thread: `graph.apply`
        #: reads this one flag and does nothing more for either when it is False (kernel11).
        self.observed = False


def _hot_flag(name: str) -> property:
    """A `_ThreadState` attribute that lives in this thread's `HotFlags`."""

    def get(self: _ThreadState) -> Any:
        return getattr(self.hot, name)

    def set(self: _ThreadState, value: Any) -> None:
        setattr(self.hot, name, value)

    return property(get, set, doc=f"This thread's {name} (kept in `state.hot`).")


class _ThreadState(threading.local):
    """Per-thread grad-mode state. The flags read on every op are in `hot` (see HotFlags); the
    same names here (`state.grad_enabled`...) read and write them there."""

    _anomaly: bool = False
    grad_enabled = _hot_flag("grad_enabled")
    autocast_dtype = _hot_flag("autocast_dtype")
    observed = _hot_flag("observed")

    def __init__(self) -> None:
        self.hot = HotFlags()
        #: This thread's open tapes (autograd_core.tape.Tape), innermost last: observers of the
        #: ops this thread runs, told through graph.notify_tapes (kernel11). Change it only
        #: through `open_tape` / `close_tape`, which keep `observed` up to date.
        self.tapes: list = []

    @property
    def anomaly(self) -> bool:
        """Whether detect_anomaly is on in this thread."""
        return self._anomaly

    @anomaly.setter
    def anomaly(self, value: bool) -> None:
        self._anomaly = value
        self.observed = bool(value) or bool(self.tapes)

    def open_tape(self, tape: Any) -> None:
        self.tapes.append(tape)
        self.observed = True

    def close_tape(self, tape: Any) -> None:
        self.tapes.remove(tape)
        self.observed = bool(self._anomaly) or bool(self.tapes)


state = _ThreadState()
_default_dtype: np.dtype = np.dtype(np.float32)


def is_grad_enabled() -> bool:
    """True when ops on tensors that require grad are recorded for backward."""
    return state.hot.grad_enabled


class _GradMode:
    """Context manager and decorator that sets grad mode, restoring the previous mode on exit."""

    enabled: bool

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # bare decorator use, `@no_grad` without parentheses (as PyTorch allows): wrap the function
        if cls is not set_grad_enabled and len(args) == 1 and not kwargs and callable(args[0]):
            return super().__new__(cls)(args[0])
        return super().__new__(cls)

    def __enter__(self) -> None:
        hot = state.hot
        self._previous = hot.grad_enabled
        hot.grad_enabled = self.enabled

    def __exit__(self, *exc: Any) -> None:
        state.hot.grad_enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 (PyTorch's name)
    """Ops inside are not recorded: results do not require grad (use for inference and updates)."""

    enabled = False


class enable_grad(_GradMode):  # noqa: N801 (PyTorch's name)
    """Re-enables recording inside a no_grad region."""

    enabled = True


class set_grad_enabled(_GradMode):  # noqa: N801 (PyTorch's name)
    """Sets grad mode to `mode` for the block (or the decorated function)."""

    def __init__(self, mode: bool) -> None:
        self.enabled = bool(mode)
        self._previous = state.grad_enabled
        state.grad_enabled = self.enabled

    def __enter__(self) -> None:
        pass

    def __call__(self, fn: Callable) -> Callable:
        state.grad_enabled = self._previous
        mode = self.enabled

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class detect_anomaly:  # noqa: N801 (PyTorch's name)
    """Inside, a NaN/inf produced by any op in forward or backward raises AnomalyError naming the op
    and the file:line of the user's call that created it. Slow: for debugging only."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._previous = state.anomaly
        state.anomaly = self.check_nan

    def __exit__(self, *exc: Any) -> None:
        state.anomaly = self._previous


def is_anomaly_enabled() -> bool:
    """True inside detect_anomaly()."""
    return state.anomaly


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become, and the dtype nn layers initialise their parameters in."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Sets the default floating dtype (float32 or float64; float16 is accepted but not advised)."""
    global _default_dtype
    resolved = np.dtype(dtype)
    if resolved.kind != "f":
        raise DTypeError(f"set_default_dtype: expected a floating dtype, got {resolved}")
    _default_dtype = resolved
