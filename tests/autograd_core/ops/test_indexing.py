"""Issue 10's shape and indexing ops (tril ... cdist), one table checked four ways in float64:

* forward values against torch (same function written with torch, shapes included);
* gradients against torch's, with a random cotangent;
* `gradcheck`: our vjp against central finite differences;
* `gradgradcheck` of ours(x)**2, so the vjp itself is differentiated through create_graph
  (for ops linear in x the squaring makes the second derivative non-trivial).

Each row: (id, ours, theirs, inputs). `ours` takes autograd_core Tensors, `theirs` torch tensors;
indices, masks and other non-differentiable arguments live in the closures. Rows whose gradient is
not defined by finite differences (ties of amax/amin, zero distances) set gradcheck=False and are
compared with torch only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import ops

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(20261201)


def normal(*shape: int) -> np.ndarray:
    return np.asarray(_rng.standard_normal(shape))


def positive(*shape: int) -> np.ndarray:
    return np.asarray(_rng.uniform(0.5, 1.5, shape))


def distinct(*shape: int) -> np.ndarray:
    """No two elements equal (amax/amin have one winner) and none near another."""
    n = int(np.prod(shape, dtype=np.int64))
    return _rng.permutation(np.linspace(-2.0, 2.0, n) + _rng.uniform(0, 0.1, n)).reshape(shape)


def ints(*values) -> np.ndarray:
    """ints(1, 2) is [1, 2]; ints([[0], [1]]) is that nested list as an int64 array."""
    if len(values) == 1 and isinstance(values[0], list):
        values = values[0]
    return np.asarray(values, dtype=np.int64)


def T(a: np.ndarray) -> Any:  # noqa: N802
    """A torch constant (index, mask) from a numpy array."""
    return torch.as_tensor(np.asarray(a))


@dataclass(frozen=True)
class Row:
    id: str
    ours: Callable
    theirs: Callable
    inputs: tuple
    gradcheck: bool = True
    second_order: bool = True

    def __repr__(self) -> str:
        return self.id


ROWS: list[Row] = []


def row(id: str, ours: Callable, theirs: Callable, *inputs: np.ndarray, gradcheck: bool = True,
        second_order: bool = True) -> None:
    ROWS.append(Row(id, ours, theirs, tuple(np.asarray(a, dtype=np.float64) for a in inputs),
                    gradcheck, second_order))


# ---- triangles, flips, rolls ----------------------------------------------------------------------

for _shape in [(3, 4), (4, 2), (2, 3, 3), (0, 3)]:
    for _k in [0, 1, -2, 5]:
        row(f"tril-{_shape}-k{_k}", lambda x, k=_k: ag.tril(x, diagonal=k),
            lambda x, k=_k: torch.tril(x, diagonal=k), normal(*_shape))
        row(f"triu-{_shape}-k{_k}", lambda x, k=_k: x.triu(k), lambda x, k=_k: x.triu(k),
            normal(*_shape))

for _shape, _dims in [((3, 4), (0,)), ((3, 4), (0, 1)), ((2, 3, 4), (-1, 0)), ((3, 4), ()),
                      ((0, 3), (0,)), ((), ())]:
    row(f"flip-{_shape}-{_dims}", lambda x, d=_dims: ag.flip(x, d),
        lambda x, d=_dims: torch.flip(x, d), normal(*_shape))
row("flip-method-varargs", lambda x: x.flip(0, 2), lambda x: x.flip(0, 2), normal(2, 3, 4))
row("flip-keyword-dims", lambda x: ag.flip(x, dims=[1]), lambda x: torch.flip(x, dims=[1]),
    normal(2, 3))
row("fliplr", ag.fliplr, torch.fliplr, normal(2, 3, 4))
row("flipud", lambda x: x.flipud(), lambda x: x.flipud(), normal(3, 2))
row("flipud-1d", ag.flipud, torch.flipud, normal(5))

for _shifts, _dims in [(1, None), (-7, None), ((1, -2), (0, 1)), (5, -1), ((2, 1), (1, 1)),
                       (3, 0)]:
    row(f"roll-{_shifts}-{_dims}", lambda x, s=_shifts, d=_dims: ag.roll(x, s, d),
        lambda x, s=_shifts, d=_dims: torch.roll(x, s, d), normal(3, 4))
row("roll-method-keywords", lambda x: x.roll(shifts=2, dims=0),
    lambda x: x.roll(shifts=2, dims=0), normal(4, 2))
row("roll-empty", lambda x: ag.roll(x, 1, 0), lambda x: torch.roll(x, 1, 0), normal(0, 3))
row("roll-0d", lambda x: ag.roll(x, 3), lambda x: torch.roll(x, 3), normal())

# ---- selecting by position -----------------------------------------------------------------------

for _name, _reps, _dim in [("int-flat", 2, None), ("int-dim0", 3, 0), ("tensor-dim0", ints(1, 0, 2), 0),
                           ("one-count-dim1", ints(2), 1), ("0d-count", ints(2).reshape(()), -1),
                           ("zeros", ints(0, 0, 0), 0)]:
    row(f"repeat_interleave-{_name}",
        lambda x, r=_reps, d=_dim: ag.repeat_interleave(x, r if np.isscalar(r) else ag.tensor(r),
                                                        dim=d),
        lambda x, r=_reps, d=_dim: torch.repeat_interleave(x, r if np.isscalar(r) else T(r), dim=d),
        normal(3, 4))
row("repeat_interleave-method", lambda x: x.repeat_interleave(2, dim=1),
    lambda x: x.repeat_interleave(2, dim=1), normal(2, 3))
row("repeat_interleave-0d", lambda x: ag.repeat_interleave(x, 3),
    lambda x: torch.repeat_interleave(x, 3), normal())

for _dim, _start, _length in [(1, -2, 2), (0, 1, 2), (0, 3, 0), (-1, 0, 4)]:
    row(f"narrow-{_dim}-{_start}-{_length}",
        lambda x, d=_dim, s=_start, n=_length: ag.narrow(x, d, s, n),
        lambda x, d=_dim, s=_start, n=_length: torch.narrow(x, d, s, n), normal(3, 4))
row("narrow-method", lambda x: x.narrow(1, 1, 2), lambda x: x.narrow(1, 1, 2), normal(2, 4, 3))

for _k in [0, 1, -2, 5]:
    row(f"diag-1d-k{_k}", lambda x, k=_k: ag.diag(x, k), lambda x, k=_k: torch.diag(x, k), normal(3))
    row(f"diag-2d-k{_k}", lambda x, k=_k: x.diag(diagonal=k), lambda x, k=_k: x.diag(diagonal=k),
        normal(3, 4))
row("diag-empty", ag.diag, torch.diag, normal(0))

for _offset, _d1, _d2 in [(0, 0, 1), (1, 2, 0), (-1, -1, -2), (5, 0, 2), (-2, 1, 2)]:
    row(f"diagonal-{_offset}-{_d1}-{_d2}",
        lambda x, o=_offset, a=_d1, b=_d2: ag.diagonal(x, offset=o, dim1=a, dim2=b),
        lambda x, o=_offset, a=_d1, b=_d2: torch.diagonal(x, offset=o, dim1=a, dim2=b),
        normal(2, 3, 4))
row("diagonal-method-default", lambda x: x.diagonal(), lambda x: x.diagonal(), normal(4, 3))

for _shape, _offset, _d1, _d2 in [((3,), 0, -2, -1), ((2, 3), 1, 0, 2), ((2, 3), -1, 2, 1),
                                  ((2, 0), 1, -2, -1), ((2, 3, 2), 0, 1, 3)]:
    row(f"diag_embed-{_shape}-{_offset}-{_d1}-{_d2}",
        lambda x, o=_offset, a=_d1, b=_d2: ag.diag_embed(x, offset=o, dim1=a, dim2=b),
        lambda x, o=_offset, a=_d1, b=_d2: torch.diag_embed(x, offset=o, dim1=a, dim2=b),
        normal(*_shape))

for _shape in [(3, 4), (3, 3), (4, 2), (0, 0)]:
    row(f"trace-{_shape}", lambda x: x.trace(), lambda x: x.trace(), normal(*_shape))
row("trace-module-function", ops.trace, torch.trace, normal(3, 3))

for _indexing in ["ij", "xy"]:
    row(f"meshgrid-2-{_indexing}",
        lambda a, b, i=_indexing: ag.stack(ag.meshgrid(a, b, indexing=i)),
        lambda a, b, i=_indexing: torch.stack(torch.meshgrid(a, b, indexing=i)), normal(3), normal(2))
    row(f"meshgrid-3-list-{_indexing}",
        lambda a, b, c, i=_indexing: ag.stack(ag.meshgrid([a, b, c], indexing=i)) * c,
        lambda a, b, c, i=_indexing: torch.stack(torch.meshgrid([a, b, c], indexing=i)) * c,
        normal(2), normal(3), normal(4))
row("meshgrid-0d-and-1d", lambda a, b: ag.stack(ag.meshgrid(a, b)),
    lambda a, b: torch.stack(torch.meshgrid(a, b, indexing="ij")), normal(), normal(3))

# ---- selecting by mask ------------------------------------------------------------------------------

_MASK_34 = normal(3, 4) > 0
_MASK_4 = np.array([True, False, True, False])
row("masked_fill-scalar", lambda x: ag.masked_fill(x, _MASK_34, -1.5),
    lambda x: torch.masked_fill(x, T(_MASK_34), -1.5), normal(3, 4))
row("masked_fill-mask-broadcast", lambda x: x.masked_fill(_MASK_4, 2.0),
    lambda x: x.masked_fill(T(_MASK_4), 2.0), normal(3, 4))
row("masked_fill-x-broadcast", lambda x: ag.masked_fill(x, _MASK_34, 0.0),
    lambda x: torch.masked_fill(x, T(_MASK_34), 0.0), normal(4))
row("masked_fill-0d-tensor-value", lambda x, v: ag.masked_fill(x, _MASK_34, v * v),
    lambda x, v: torch.masked_fill(x, T(_MASK_34), v * v), normal(3, 4), normal())
row("masked_fill-keyword-value", lambda x, v: x.masked_fill(mask=_MASK_4, value=v),
    lambda x, v: x.masked_fill(mask=T(_MASK_4), value=v), normal(2, 4), normal())
row("masked_fill-empty", lambda x: ag.masked_fill(x, np.zeros((0, 4), bool), 1.0),
    lambda x: torch.masked_fill(x, torch.zeros(0, 4, dtype=torch.bool), 1.0), normal(0, 4))
row("masked_select", lambda x: ag.masked_select(x, _MASK_34),
    lambda x: torch.masked_select(x, T(_MASK_34)), normal(3, 4))
row("masked_select-broadcast-both", lambda x: x.masked_select(_MASK_34[:1]),
    lambda x: x.masked_select(T(_MASK_34[:1])), normal(3, 1))
row("masked_select-none", lambda x: ag.masked_select(x, np.zeros(4, bool)),
    lambda x: torch.masked_select(x, torch.zeros(4, dtype=torch.bool)), normal(3, 4))

# ---- index_select, index_fill, take, take_along_dim -------------------------------------------------

for _dim, _index in [(0, ints(2, 0, 2)), (1, ints(3)), (-1, ints(1, 1, 0, 3)), (0, ints()),
                     (1, ints(2).reshape(()))]:
    row(f"index_select-{_dim}-{_index.tolist()}",
        lambda x, d=_dim, i=_index: ag.index_select(x, d, ag.tensor(i)),
        lambda x, d=_dim, i=_index: torch.index_select(x, d, T(i)), normal(3, 4))
row("index_select-method-keywords", lambda x: x.index_select(dim=1, index=ints(0, 0)),
    lambda x: x.index_select(dim=1, index=T(ints(0, 0))), normal(2, 3))
row("index_select-0d", lambda x: ag.index_select(x, 0, ints(0)),
    lambda x: torch.index_select(x, 0, T(ints(0))), normal())

for _dim, _index in [(1, ints(0, 2)), (0, ints(-1)), (1, ints(3, 3)), (0, ints())]:
    row(f"index_fill-{_dim}-{_index.tolist()}",
        lambda x, d=_dim, i=_index: ag.index_fill(x, d, i, -1.0),
        lambda x, d=_dim, i=_index: torch.index_fill(x, d, T(i), -1.0), normal(3, 4))
row("index_fill-tensor-value", lambda x, v: x.index_fill(1, ints(1, 3), v * 2),
    lambda x, v: x.index_fill(1, T(ints(1, 3)), v * 2), normal(2, 4), normal())

_TAKE = ints([[0, -1], [5, 5]])
row("take", lambda x: ag.take(x, _TAKE), lambda x: torch.take(x, T(_TAKE)), normal(3, 4))
row("take-method-empty-index", lambda x: x.take(ints()), lambda x: x.take(T(ints())), normal(3, 4))
row("take-0d", lambda x: ag.take(x, ints(0, 0)), lambda x: torch.take(x, T(ints(0, 0))), normal())

_TAD = ints([[0], [3], [-1]])
row("take_along_dim-dim1", lambda x: ag.take_along_dim(x, _TAD, dim=1),
    lambda x: torch.take_along_dim(x, T(_TAD), dim=1), normal(3, 4))
row("take_along_dim-broadcast-indices", lambda x: x.take_along_dim(ints([[1, 0, 1]]), 1),
    lambda x: x.take_along_dim(T(ints([[1, 0, 1]])), 1), normal(3, 2))
row("take_along_dim-broadcast-x", lambda x: ag.take_along_dim(x, ints([[0], [1], [0]]), 0),
    lambda x: torch.take_along_dim(x, T(ints([[0], [1], [0]])), 0), normal(2, 1))
row("take_along_dim-flat", lambda x: ag.take_along_dim(x, ints([[0, 11], [4, 4]])),
    lambda x: torch.take_along_dim(x, T(ints([[0, 11], [4, 4]]))), normal(3, 4))
row("take_along_dim-argsort", lambda x: ag.take_along_dim(x, np.argsort(x.data, 1), 1),
    lambda x: torch.take_along_dim(x, torch.argsort(x, 1), 1), distinct(3, 4))

# ---- scatter and scatter_reduce ------------------------------------------------------------------

_IDX = ints([[0, 1, 2], [2, 0, 1]])           # (2, 3) into x (3, 4) along dim 0, no repeats
_IDX_REP = ints([[0, 1, 1], [0, 1, 1]])       # along dim 0, repeated positions
row("scatter-src-same-shape", lambda x, s: ag.scatter(x, 0, _IDX, s),
    lambda x, s: torch.scatter(x, 0, T(_IDX), s), normal(3, 4), normal(2, 3))
row("scatter-src-larger-than-index", lambda x, s: x.scatter(0, _IDX, s),
    lambda x, s: x.scatter(0, T(_IDX), s[:2, :3]), normal(3, 4), normal(3, 5))
row("scatter-dim1-keywords", lambda x, s: x.scatter(dim=1, index=ints([[3], [0]]), src=s),
    lambda x, s: x.scatter(dim=1, index=T(ints([[3], [0]])), src=s), normal(2, 4), normal(2, 1))
row("scatter-value", lambda x: ag.scatter(x, 0, _IDX, 2.5),
    lambda x: torch.scatter(x, 0, T(_IDX), 2.5), normal(3, 4))
row("scatter-value-keyword", lambda x: x.scatter(1, ints([[0, 1]]), value=-1.0),
    lambda x: x.scatter(1, T(ints([[0, 1]])), value=-1.0), normal(2, 3))
row("scatter-empty-index", lambda x, s: ag.scatter(x, 0, np.zeros((0, 4), np.int64), s),
    lambda x, s: torch.scatter(x, 0, torch.zeros(0, 4, dtype=torch.long), s[:0]), normal(3, 4),
    normal(2, 4))
row("scatter-0d", lambda x, s: ag.scatter(x, 0, ints(0).reshape(()), s),
    lambda x, s: torch.scatter(x, 0, T(ints(0).reshape(())), s), normal(), normal())
# reduce='add'/'multiply' (torch: forward only, "derivative for aten::scatter is not implemented";
# the gradients are compared with torch's scatter_reduce sum/prod, the same function)
row("scatter-reduce-add", lambda x, s: ag.scatter(x, 0, _IDX_REP, s, reduce="add"),
    lambda x, s: torch.scatter_reduce(x, 0, T(_IDX_REP), s, "sum"), normal(3, 4), normal(2, 3))
row("scatter-reduce-multiply", lambda x, s: x.scatter(0, _IDX_REP, s, reduce="multiply"),
    lambda x, s: torch.scatter_reduce(x, 0, T(_IDX_REP), s, "prod"), normal(3, 4), normal(2, 3))
row("scatter-value-reduce-add", lambda x: ag.scatter(x, 0, _IDX_REP, 1.5, reduce="add"),
    lambda x: torch.scatter_reduce(x, 0, T(_IDX_REP), torch.full((2, 3), 1.5, dtype=x.dtype),
                                   "sum"), normal(3, 4))

for _reduce in ["sum", "prod", "mean", "amax", "amin"]:
    _x = distinct if _reduce in ("amax", "amin") else normal
    for _include in [True, False]:
        row(f"scatter_reduce-{_reduce}-include_self={_include}",
            lambda x, s, r=_reduce, i=_include: ag.scatter_reduce(x, 0, _IDX_REP, s, r,
                                                                  include_self=i),
            lambda x, s, r=_reduce, i=_include: torch.scatter_reduce(x, 0, T(_IDX_REP), s, r,
                                                                     include_self=i),
            _x(3, 4), _x(2, 3))
    row(f"scatter_reduce-{_reduce}-dim1-method",
        lambda x, s, r=_reduce: x.scatter_reduce(1, ints([[0, 0, 3]]), s, reduce=r),
        lambda x, s, r=_reduce: x.scatter_reduce(1, T(ints([[0, 0, 3]])), s, reduce=r),
        _x(2, 4), _x(1, 3))
    row(f"scatter_reduce-{_reduce}-src-larger",
        lambda x, s, r=_reduce: ag.scatter_reduce(x, 0, _IDX_REP, s, r),
        lambda x, s, r=_reduce: torch.scatter_reduce(x, 0, T(_IDX_REP), s[:2, :3], r),
        _x(3, 4), _x(3, 5))

# ties for amax/amin: the gradient is shared evenly by the tied values (compared with torch only)
_TIE_X = np.array([[1.0, 2.0, 0.5], [3.0, 0.0, 0.5]])
_TIE_SRC = np.array([[1.0, 2.0, 0.5], [1.0, -1.0, 0.5]])
for _reduce in ["amax", "amin"]:
    for _include in [True, False]:
        row(f"scatter_reduce-{_reduce}-ties-include_self={_include}",
            lambda x, s, r=_reduce, i=_include: ag.scatter_reduce(
                x, 0, ints([[0, 0, 1], [0, 0, 1]]), s, r, include_self=i),
            lambda x, s, r=_reduce, i=_include: torch.scatter_reduce(
                x, 0, T(ints([[0, 0, 1], [0, 0, 1]])), s, r, include_self=i),
            _TIE_X, _TIE_SRC, gradcheck=False)

# zeros for prod: one zero in a group (its gradient is the product of the others), two zeros (all
# zero) and a zero in x itself; prod is a polynomial, so finite differences are exact here
_ZERO_IDX = ints([[0, 0, 1, 2], [0, 1, 1, 2]])
_ZERO_SRC = np.array([[0.0, 1.5, 0.0, 2.0], [0.7, 0.0, 0.0, 0.0]])  # two zeros into (1, 2)
_ZERO_X = np.array([[1.1, 0.0, 0.9, -0.8], [0.6, 1.3, 0.0, 1.4], [0.0, 0.5, -0.7, 1.2]])
for _include in [True, False]:
    row(f"scatter_reduce-prod-zeros-include_self={_include}",
        lambda x, s, i=_include: ag.scatter_reduce(x, 0, _ZERO_IDX, s, "prod", include_self=i),
        lambda x, s, i=_include: torch.scatter_reduce(x, 0, T(_ZERO_IDX), s, "prod",
                                                      include_self=i),
        _ZERO_X, _ZERO_SRC, second_order=False)
# one zero per group only: torch's double backward is defined, and so is ours
_ONE_ZERO_SRC = np.array([[0.0, 1.5, 0.4, 2.0], [0.7, 0.8, -1.2, 0.0]])
row("scatter_reduce-prod-single-zeros", lambda x, s: ag.scatter_reduce(x, 0, _ZERO_IDX, s, "prod"),
    lambda x, s: torch.scatter_reduce(x, 0, T(_ZERO_IDX), s, "prod"), _ZERO_X, _ONE_ZERO_SRC)

# ---- products ------------------------------------------------------------------------------------

row("cross-default-dim", lambda a, b: ag.cross(a, b), lambda a, b: torch.linalg.cross(a, b),
    normal(4, 3), normal(4, 3))
row("cross-dim0-method", lambda a, b: a.cross(b, dim=0), lambda a, b: a.cross(b, dim=0),
    normal(3, 2), normal(3, 2))
row("cross-broadcast", lambda a, b: ag.cross(a, b, dim=-1),
    lambda a, b: torch.linalg.cross(a, b, dim=-1), normal(1, 3), normal(4, 3))
row("cross-1d", ag.cross, lambda a, b: torch.linalg.cross(a, b), normal(3), normal(3))

for _name, _sa, _sb, _dims in [("default", (2, 3, 4), (3, 4, 5), 2), ("outer", (2, 3), (4,), 0),
                               ("one", (2, 3), (3, 2), 1), ("lists", (2, 3, 4), (4, 3, 5),
                                                            ([1, 2], [1, 0])),
                               ("all", (2, 3), (2, 3), 2), ("empty", (2, 0), (0, 3), 1)]:
    row(f"tensordot-{_name}", lambda a, b, d=_dims: ag.tensordot(a, b, dims=d),
        lambda a, b, d=_dims: torch.tensordot(a, b, dims=d), normal(*_sa), normal(*_sb))

for _sa, _sb in [((2, 3), (4,)), ((), (2,)), ((2, 2), (3, 1)), ((2, 1, 2), (2, 3)), ((0, 2), (2, 2))]:
    row(f"kron-{_sa}-{_sb}", lambda a, b: a.kron(b), lambda a, b: a.kron(b), normal(*_sa),
        normal(*_sb))

row("mm", ag.mm, torch.mm, normal(3, 2), normal(2, 4))
row("mm-method-empty-inner", lambda a, b: a.mm(b), lambda a, b: a.mm(b), normal(3, 0), normal(0, 2))
row("bmm", ag.bmm, torch.bmm, normal(2, 3, 2), normal(2, 2, 4))
row("mv", lambda a, v: a.mv(v), lambda a, v: a.mv(v), normal(3, 2), normal(2))
row("addmm", ag.addmm, torch.addmm, normal(3, 4), normal(3, 2), normal(2, 4))
row("addmm-broadcast-beta-alpha", lambda i, a, b: i.addmm(a, b, beta=0.5, alpha=-2.0),
    lambda i, a, b: i.addmm(a, b, beta=0.5, alpha=-2.0), normal(4), normal(3, 2), normal(2, 4))
row("addmm-beta-0", lambda i, a, b: ag.addmm(i, a, b, beta=0),
    lambda i, a, b: torch.addmm(i, a, b, beta=0), normal(3, 1), normal(3, 2), normal(2, 4))
row("baddbmm", lambda i, a, b: ag.baddbmm(i, a, b, beta=2.0, alpha=0.5),
    lambda i, a, b: torch.baddbmm(i, a, b, beta=2.0, alpha=0.5), normal(1, 3, 4), normal(2, 3, 2),
    normal(2, 2, 4))
row("addmv", lambda i, a, v: i.addmv(a, v, alpha=3), lambda i, a, v: i.addmv(a, v, alpha=3),
    normal(3), normal(3, 2), normal(2))
row("addbmm", ag.addbmm, torch.addbmm, normal(3, 4), normal(2, 3, 2), normal(2, 2, 4))

for _p in [2.0, 1.0, 3.0, 0.5, float("inf")]:
    _x1 = distinct(4, 3) if _p == float("inf") else normal(4, 3)
    row(f"cdist-p{_p}", lambda a, b, p=_p: ag.cdist(a, b, p=p),
        lambda a, b, p=_p: torch.cdist(a, b, p=p), _x1, normal(5, 3) + 3.0)
row("cdist-batch-broadcast", ag.cdist, torch.cdist, normal(2, 3, 2), normal(1, 4, 2))
row("cdist-x2-batched", lambda a, b: ag.cdist(a, b, p=2), lambda a, b: torch.cdist(a, b, p=2),
    normal(3, 2), normal(2, 4, 2))
row("cdist-p2-int-p", lambda a, b: ag.cdist(a, b, p=2), lambda a, b: torch.cdist(a, b, p=2),
    normal(1, 3), normal(1, 3))
row("cdist-p0", lambda a, b: ag.cdist(a, b, p=0), lambda a, b: torch.cdist(a, b, p=0),
    normal(3, 2), np.array([[0.0, 1.0], [2.0, 0.5]]))
row("cdist-empty", ag.cdist, torch.cdist, normal(0, 3), normal(2, 3))
# a zero distance (x2's first row equals x1's second): torch's gradient there is 0, so is ours
_SHARED = normal(1, 3)
row("cdist-zero-distance", lambda a, b: ag.cdist(a, b), lambda a, b: torch.cdist(a, b),
    np.concatenate([normal(1, 3), _SHARED]), np.concatenate([_SHARED, normal(1, 3)]),
    gradcheck=False)


# ---- the four checks -------------------------------------------------------------------------------

def _ids(rows: list[Row]) -> list[str]:
    return [r.id for r in rows]


def test_row_ids_are_unique() -> None:
    assert len(set(_ids(ROWS))) == len(ROWS)


@pytest.mark.parametrize("r", ROWS, ids=_ids(ROWS))
def test_forward_and_gradient_match_torch(r: Row) -> None:
    leaves = [ag.tensor(a, requires_grad=True) for a in r.inputs]
    out = r.ours(*leaves)
    t_leaves = [torch.tensor(a, requires_grad=True) for a in r.inputs]
    t_out = r.theirs(*t_leaves)
    assert out.dtype == np.float64
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)

    cotangent = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(cotangent)
    t_out.backward(torch.tensor(cotangent))
    for leaf, t_leaf in zip(leaves, t_leaves):
        assert leaf.grad is not None and leaf.grad.shape == leaf.shape
        expected = t_leaf.grad.numpy() if t_leaf.grad is not None else np.zeros(leaf.shape)
        np.testing.assert_allclose(leaf.grad.data, expected, rtol=1e-9, atol=1e-12)


GRADCHECK = [r for r in ROWS if r.gradcheck]
SECOND_ORDER = [r for r in GRADCHECK if r.second_order]


@pytest.mark.parametrize("r", GRADCHECK, ids=_ids(GRADCHECK))
def test_gradcheck(r: Row) -> None:
    assert ag.gradcheck(r.ours, list(r.inputs))


@pytest.mark.parametrize("r", SECOND_ORDER, ids=_ids(SECOND_ORDER))
def test_gradgradcheck_of_square(r: Row) -> None:
    def squared(*xs: ag.Tensor) -> ag.Tensor:
        out = r.ours(*xs)
        return out * out

    assert ag.gradgradcheck(squared, list(r.inputs))


def test_prod_second_derivative_with_two_zeros_in_a_group_raises_as_torch() -> None:
    x = ag.tensor(_ZERO_X, requires_grad=True)
    src = ag.tensor(_ZERO_SRC, requires_grad=True)
    out = ag.scatter_reduce(x, 0, _ZERO_IDX, src, "prod")
    (grad_src,) = ag.functional._gradients(out, [src], np.ones(out.shape), create_graph=True)
    # the first-order values are still right (compared with torch above)
    with pytest.raises(ag.GraphError, match="two or more zeros"):
        grad_src.sum().backward()
