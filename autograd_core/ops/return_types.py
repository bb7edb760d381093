"""Named tuples returned by ops that give values and indices, as `torch.return_types`:
`x.max(1).values`, `values, indices = sort(x)`."""

from __future__ import annotations

from typing import NamedTuple

from ..tensor import Tensor


class ValuesIndices(NamedTuple):
    """(values, indices): what max/min/sort/topk/cummax/cummin/median/mode/kthvalue return."""

    values: Tensor
    indices: Tensor


#: PyTorch's per-op names for the same pair (torch.return_types.max, .sort, ...).
max = min = sort = topk = cummax = cummin = median = mode = kthvalue = ValuesIndices  # noqa: A001
