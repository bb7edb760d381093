"""`device`: PyTorch code names where tensors live; here that is always the CPU."""

from __future__ import annotations

from typing import Any

from .errors import UnsupportedError


class device:  # noqa: N801 (PyTorch's name)
    """The CPU, as `torch.device("cpu")`: accepted wherever torch code passes a device; any other
    device type raises UnsupportedError."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        name, _, number = str(type).partition(":")
        if name != "cpu":
            raise UnsupportedError(f"device: only 'cpu' is available here (numpy runs on the CPU), "
                                   f"got {type!r}")
        self.type = "cpu"
        self.index = int(number) if number else index

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except UnsupportedError:
                return False
        return isinstance(other, device) and other.type == self.type

    def __hash__(self) -> int:
        return hash(self.type)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


def check_device(value: Any, op: str) -> None:
    """Raises unless `value` (a factory's or `.to`'s device argument) names the CPU."""
    if value is not None:
        try:
            device(value)
        except UnsupportedError:
            raise UnsupportedError(f"{op}: only the 'cpu' device is available, got {value!r}") from None


class _NoAccelerator:
    """`torch.cuda`, `torch.accelerator`, `torch.backends.mps` as seen from here: none available,
    so scripts that pick a device (`"cuda" if torch.cuda.is_available() else "cpu"`) pick the CPU."""

    def __init__(self, name: str) -> None:
        self.__name__ = name

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def device_count() -> int:
        return 0

    @staticmethod
    def current_accelerator() -> None:
        return None

    @staticmethod
    def manual_seed(seed: int) -> None:
        """Accepted and ignored: there is no accelerator generator to seed."""

    manual_seed_all = manual_seed

    def __repr__(self) -> str:
        return f"<{self.__name__}: not available (numpy runs on the CPU)>"


cuda = _NoAccelerator("cuda")
accelerator = _NoAccelerator("accelerator")


class _Backends:
    mps = _NoAccelerator("backends.mps")
    cuda = cuda


backends = _Backends()


def set_default_device(value: Any) -> None:
    """Accepts the CPU (what tensors are always made on here); any other device raises."""
    check_device(value, "set_default_device")


def get_default_device() -> device:
    return device("cpu")
