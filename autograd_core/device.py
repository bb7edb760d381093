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
