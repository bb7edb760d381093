"""torch.nn.utils.rnn: padding variable-length sequences into one batch."""

from __future__ import annotations

from typing import Any, Sequence

import autograd_core.ops as ops
from autograd_core import Tensor
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError

__all__ = ["pad_sequence"]


def pad_sequence(
    sequences: Sequence[Any],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stacks sequences of shapes (L_i, *) into (max L, B, *) — (B, max L, *) with batch_first —
    padding each with padding_value on the right (or the left with padding_side='left').
    Differentiable: each sequence's gradient is its slice of the batch's gradient."""
    if padding_side not in ("right", "left"):
        raise InvalidArgumentError(
            f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}"
        )
    if isinstance(sequences, Tensor):
        sequences = list(sequences)
    items = [s if isinstance(s, Tensor) else Tensor(s) for s in sequences]
    if not items:
        raise InvalidArgumentError("pad_sequence: received an empty list of sequences")
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise DTypeError(f"pad_sequence: sequence {i} is a {type(item).__name__}, expected a Tensor")
        if item.ndim == 0 or item.shape[1:] != items[0].shape[1:]:
            raise ShapeError(
                f"pad_sequence: every sequence must be (L_i, *) with the same trailing shape; "
                f"sequence 0 has shape {items[0].shape}, sequence {i} has {item.shape}"
            )
    longest = max(item.shape[0] for item in items)
    padded = []
    for item in items:
        missing = longest - item.shape[0]
        if missing:
            before, after = (missing, 0) if padding_side == "left" else (0, missing)
            widths = [(before, after)] + [(0, 0)] * (item.ndim - 1)
            item = ops.pad(item, widths, constant_values=padding_value)
        padded.append(item)
    return ops.stack(padded, axis=0 if batch_first else 1)
