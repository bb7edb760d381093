"""Issue 10's shape and indexing ops beyond gradients: typed errors for bad arguments (one table),
the non-differentiable ops (nonzero, one-argument where, integer inputs) against torch, dtypes
kept, and the Tensor methods being the module functions."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import ops
from autograd_core.errors import (AutogradError, DTypeError, IndexOutOfRangeError,
                                  InvalidArgumentError, ShapeError)

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(20261202)
X = ag.tensor(_rng.standard_normal((3, 4)))
V = ag.tensor(_rng.standard_normal(3))
B = ag.tensor(_rng.standard_normal((2, 3, 4)))
IDX = np.array([[0, 1, 2, 0]])

# ---- typed errors: (id, call, error class, words the message must contain) ---------------------

ERRORS = [
    ("tril-1d", lambda: ag.tril(V), ShapeError, ["tril", "(3,)"]),
    ("triu-0d", lambda: ag.triu(ag.tensor(1.0)), ShapeError, ["triu", "()"]),
    ("flip-no-dims", lambda: ag.flip(X), InvalidArgumentError, ["flip", "dims"]),
    ("flip-repeated-dim", lambda: X.flip(0, 0), InvalidArgumentError, ["flip", "repeats"]),
    ("flip-dim-out-of-range", lambda: ag.flip(X, (2,)), InvalidArgumentError, ["flip", "2"]),
    ("fliplr-1d", lambda: ag.fliplr(V), ShapeError, ["fliplr", "(3,)"]),
    ("flipud-0d", lambda: ag.flipud(ag.tensor(1.0)), ShapeError, ["flipud"]),
    ("roll-length-mismatch", lambda: ag.roll(X, (1, 2), (0,)), InvalidArgumentError,
     ["roll", "same length"]),
    ("roll-tuple-shifts-no-dims", lambda: ag.roll(X, (1, 2)), InvalidArgumentError, ["roll"]),
    ("repeat_interleave-negative", lambda: ag.repeat_interleave(X, -1), InvalidArgumentError,
     ["repeat_interleave", "non-negative"]),
    ("repeat_interleave-wrong-count", lambda: ag.repeat_interleave(X, np.array([1, 2]), dim=0),
     ShapeError, ["repeat_interleave", "(2,)", "(3, 4)"]),
    ("repeat_interleave-float-repeats", lambda: ag.repeat_interleave(X, np.array([1.0]), dim=0),
     DTypeError, ["repeat_interleave", "float64"]),
    ("narrow-past-end", lambda: ag.narrow(X, 1, 3, 2), IndexOutOfRangeError,
     ["narrow", "(3, 4)"]),
    ("narrow-start-out-of-range", lambda: X.narrow(0, -4, 1), IndexOutOfRangeError, ["narrow"]),
    ("narrow-0d", lambda: ag.narrow(ag.tensor(1.0), 0, 0, 1), ShapeError, ["narrow", "0-d"]),
    ("diag-3d", lambda: ag.diag(B), ShapeError, ["diag", "(2, 3, 4)"]),
    ("diagonal-same-dims", lambda: ag.diagonal(X, 0, 1, 1), InvalidArgumentError, ["diagonal"]),
    ("diagonal-1d", lambda: V.diagonal(), ShapeError, ["diagonal", "(3,)"]),
    ("diag_embed-0d", lambda: ag.diag_embed(ag.tensor(1.0)), ShapeError, ["diag_embed"]),
    ("trace-3d", lambda: ops.trace(B), ShapeError, ["trace", "(2, 3, 4)"]),
    ("meshgrid-2d", lambda: ag.meshgrid(X, V), ShapeError, ["meshgrid", "(3, 4)"]),
    ("meshgrid-indexing", lambda: ag.meshgrid(V, indexing="ji"), InvalidArgumentError,
     ["meshgrid", "ji"]),
    ("meshgrid-empty", lambda: ag.meshgrid(), InvalidArgumentError, ["meshgrid"]),
    ("where-one-branch", lambda: ag.where(X > 0, X), InvalidArgumentError, ["where"]),
    ("masked_fill-int-mask", lambda: ag.masked_fill(X, np.ones(4, np.int64), 1.0), DTypeError,
     ["masked_fill", "bool", "int64"]),
    ("masked_fill-1d-value", lambda: X.masked_fill(X.data > 0, ag.tensor([1.0])), ShapeError,
     ["masked_fill", "0-d", "(1,)"]),
    ("masked_fill-bad-broadcast", lambda: ag.masked_fill(X, np.ones(3, bool), 1.0), ShapeError,
     ["masked_fill", "(3, 4)", "(3,)"]),
    ("masked_fill-string-value", lambda: ag.masked_fill(X, X.data > 0, "a"), DTypeError,
     ["masked_fill", "str"]),
    ("masked_select-bad-broadcast", lambda: ag.masked_select(X, np.ones(3, bool)), ShapeError,
     ["masked_select"]),
    ("index_select-negative", lambda: ag.index_select(X, 0, np.array([-1])), IndexOutOfRangeError,
     ["index_select", "-1", "(3, 4)"]),
    ("index_select-past-end", lambda: X.index_select(1, np.array([4])), IndexOutOfRangeError,
     ["index_select", "4"]),
    ("index_select-2d-index", lambda: ag.index_select(X, 0, np.array([[0]])), ShapeError,
     ["index_select", "(1, 1)"]),
    ("index_select-bool-index", lambda: ag.index_select(X, 0, np.array([True])), DTypeError,
     ["index_select", "bool"]),
    ("index_select-bad-dim", lambda: ag.index_select(X, 2, np.array([0])), InvalidArgumentError,
     ["index_select"]),
    ("index_fill-out-of-range", lambda: ag.index_fill(X, 1, np.array([-5]), 0.0),
     IndexOutOfRangeError, ["index_fill", "-5"]),
    ("take-out-of-range", lambda: ag.take(X, np.array([12])), IndexOutOfRangeError,
     ["take", "12"]),
    ("take_along_dim-rank", lambda: ag.take_along_dim(X, np.array([0]), 1), ShapeError,
     ["take_along_dim", "(3, 4)", "(1,)"]),
    ("take_along_dim-broadcast", lambda: ag.take_along_dim(X, np.zeros((2, 1), np.int64), 1),
     ShapeError, ["take_along_dim"]),
    ("take_along_dim-out-of-range", lambda: ag.take_along_dim(X, np.array([[4]]), 1),
     IndexOutOfRangeError, ["take_along_dim", "4"]),
    ("scatter-rank", lambda: ag.scatter(X, 0, np.array([0]), 1.0), ShapeError,
     ["scatter", "(1,)", "(3, 4)"]),
    ("scatter-index-too-large", lambda: ag.scatter(X, 1, np.zeros((4, 1), np.int64), 1.0),
     ShapeError, ["scatter", "(4, 1)", "(3, 4)"]),
    ("scatter-src-smaller-than-index", lambda: ag.scatter(X, 0, IDX, ag.tensor(np.ones((1, 2)))),
     ShapeError, ["scatter", "(1, 4)", "(1, 2)"]),
    ("scatter-negative-index", lambda: X.scatter(0, np.array([[-1]]), 1.0), IndexOutOfRangeError,
     ["scatter", "-1"]),
    ("scatter-dtype", lambda: ag.scatter(X, 0, IDX, ag.tensor(np.ones((1, 4), np.float32))),
     DTypeError, ["scatter", "float32", "float64"]),
    ("scatter-bad-reduce", lambda: ag.scatter(X, 0, IDX, 1.0, reduce="sum"), InvalidArgumentError,
     ["scatter", "sum"]),
    ("scatter-src-and-value", lambda: ag.scatter(X, 0, IDX, src=X, value=1.0),
     InvalidArgumentError, ["scatter"]),
    ("scatter-float-index", lambda: ag.scatter(X, 0, IDX.astype(float), 1.0), DTypeError,
     ["scatter", "float64"]),
    ("scatter_reduce-bad-reduce", lambda: ag.scatter_reduce(X, 0, IDX, X, "max"),
     InvalidArgumentError, ["scatter_reduce", "max"]),
    ("scatter_reduce-index-past-end", lambda: X.scatter_reduce(0, IDX + 3, X, "sum"),
     IndexOutOfRangeError, ["scatter_reduce", "3"]),
    ("cross-size", lambda: ag.cross(X, X), ShapeError, ["cross", "size 3", "(3, 4)"]),
    ("cross-rank", lambda: ag.cross(V, ag.tensor(np.ones((2, 3)))), ShapeError,
     ["cross", "(3,)", "(2, 3)"]),
    ("tensordot-mismatch", lambda: ag.tensordot(X, X, dims=([1], [0])), ShapeError,
     ["tensordot", "(3, 4)"]),
    ("tensordot-too-many", lambda: ag.tensordot(X, V, dims=2), InvalidArgumentError,
     ["tensordot", "(3, 4)", "(3,)"]),
    ("tensordot-unequal-lists", lambda: ag.tensordot(X, X, dims=([0, 1], [0])),
     InvalidArgumentError, ["tensordot"]),
    ("mm-1d", lambda: ag.mm(V, X), ShapeError, ["mm", "(3,)", "(3, 4)"]),
    ("mm-inner", lambda: X.mm(X), ShapeError, ["mm", "(3, 4)"]),
    ("bmm-batch", lambda: ag.bmm(B, ag.tensor(np.ones((1, 4, 2)))), ShapeError,
     ["bmm", "(2, 3, 4)", "(1, 4, 2)"]),
    ("mv-shapes", lambda: ag.mv(X, V), ShapeError, ["mv", "(3, 4)", "(3,)"]),
    ("addmm-input", lambda: ag.addmm(B, X, ag.tensor(np.ones((4, 4)))), ShapeError,
     ["addmm", "(2, 3, 4)", "(3, 4)"]),
    ("cdist-1d", lambda: ag.cdist(V, X), ShapeError, ["cdist", "(3,)"]),
    ("cdist-last-dim", lambda: ag.cdist(X, ag.tensor(np.ones((2, 3)))), ShapeError,
     ["cdist", "(3, 4)", "(2, 3)"]),
    ("cdist-negative-p", lambda: ag.cdist(X, X, p=-1), InvalidArgumentError, ["cdist", "-1"]),
]


@pytest.mark.parametrize("call, error, words", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_bad_arguments_raise_typed_errors_naming_op_and_shapes(call, error, words) -> None:
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, AutogradError)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_errors_are_raised_before_anything_is_recorded() -> None:
    x = ag.tensor(np.ones((3, 4)), requires_grad=True)
    with pytest.raises(IndexOutOfRangeError):
        x.scatter(0, np.array([[5]]), 1.0)
    assert x.grad is None and x.grad_fn is None


# ---- non-differentiable results against torch ------------------------------------------------------

NONZERO_INPUTS = [np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]]), np.array([0, 3, 0, 4]),
                  np.array([[True, False], [True, True]]), np.zeros((2, 0)), np.array(5.0),
                  np.array(0.0), np.zeros((2, 3))]


@pytest.mark.parametrize("data", NONZERO_INPUTS, ids=lambda a: f"{a.dtype}{a.shape}")
def test_nonzero_and_one_argument_where_match_torch(data) -> None:
    ours, theirs = ag.tensor(data), torch.as_tensor(data)
    np.testing.assert_array_equal(ag.nonzero(ours).data, torch.nonzero(theirs).numpy())
    assert ag.nonzero(ours).dtype == np.int64 and ag.nonzero(ours).shape == \
        tuple(torch.nonzero(theirs).shape)
    for as_tuple in (ours.nonzero(as_tuple=True), ag.where(ours)):
        expected = torch.nonzero(theirs, as_tuple=True)
        assert isinstance(as_tuple, tuple) and len(as_tuple) == len(expected)
        for a, b in zip(as_tuple, expected):
            np.testing.assert_array_equal(a.data, b.numpy())
            assert a.dtype == np.int64


def test_where_condition_indexes_the_selected_elements() -> None:
    x = ag.tensor(np.array([[1.0, -2.0], [-3.0, 4.0]]), requires_grad=True)
    picked = x[ag.where(x > 0)]
    picked.sum().backward()
    np.testing.assert_array_equal(picked.data, [1.0, 4.0])
    np.testing.assert_array_equal(x.grad.data, [[1.0, 0.0], [0.0, 1.0]])


def test_nonzero_does_not_require_grad() -> None:
    x = ag.tensor(np.array([1.0, 0.0]), requires_grad=True)
    assert not ag.nonzero(x).requires_grad


def test_repeat_interleave_of_counts_alone_matches_torch() -> None:
    counts = np.array([1, 0, 3, 2])
    np.testing.assert_array_equal(ag.repeat_interleave(ag.tensor(counts)).data,
                                  torch.repeat_interleave(torch.as_tensor(counts)).numpy())


INTEGER_CASES = [
    ("tril", lambda m: ag.tril(m, 1), lambda m: torch.tril(m, 1)),
    ("flip", lambda m: m.flip(1), lambda m: m.flip(1)),
    ("roll", lambda m: m.roll(1, 0), lambda m: m.roll(1, 0)),
    ("diagonal", lambda m: m.diagonal(1), lambda m: m.diagonal(1)),
    ("trace", lambda m: m.trace(), lambda m: m.trace()),
    ("masked_fill", lambda m: m.masked_fill(m.data > 3, 7), lambda m: m.masked_fill(m > 3, 7)),
    ("index_fill", lambda m: m.index_fill(1, np.array([0]), -1),
     lambda m: m.index_fill(1, torch.tensor([0]), -1)),
    ("scatter-value", lambda m: m.scatter(1, np.array([[2], [0], [1]]), 9),
     lambda m: m.scatter(1, torch.tensor([[2], [0], [1]]), 9)),
    ("scatter_reduce-mean", lambda m: m.scatter_reduce(0, np.array([[0, 0, 0]]), m[:1] * 2, "mean"),
     lambda m: m.scatter_reduce(0, torch.tensor([[0, 0, 0]]), m[:1] * 2, "mean")),
    ("scatter_reduce-amax-no-self", lambda m: m.scatter_reduce(0, np.array([[1, 1, 1]]), m[:1],
                                                               "amax", include_self=False),
     lambda m: m.scatter_reduce(0, torch.tensor([[1, 1, 1]]), m[:1], "amax",
                                include_self=False)),
    ("kron", lambda m: m.kron(m[:2, :2]), lambda m: m.kron(m[:2, :2])),
    ("mm", lambda m: m.mm(m.T), lambda m: m.mm(m.T)),
    ("take", lambda m: m.take(np.array([8, 0])), lambda m: m.take(torch.tensor([8, 0]))),
]


@pytest.mark.parametrize("name, ours, theirs", INTEGER_CASES, ids=[c[0] for c in INTEGER_CASES])
def test_integer_inputs_match_torch_values_and_dtype(name, ours, theirs) -> None:
    data = np.arange(9, dtype=np.int64).reshape(3, 3)
    out, expected = ours(ag.tensor(data)), theirs(torch.as_tensor(data))
    np.testing.assert_array_equal(out.data, expected.numpy())
    assert out.dtype == np.int64 == expected.numpy().dtype


@pytest.mark.parametrize("fn", [
    lambda x: ag.masked_fill(x, x.data > 0, 2.5), lambda x: x.scatter(0, np.array([[1, 0]]), 0.5),
    lambda x: ag.index_fill(x, 0, np.array([1]), ag.tensor(1.0)), lambda x: ag.tril(x),
    lambda x: ag.cdist(x, x), lambda x: ag.cross(x[:, :3], x[:, 1:]), lambda x: ag.roll(x, 1),
    lambda x: ag.scatter_reduce(x, 0, np.array([[0, 0]]), x, "prod"),
], ids=["masked_fill", "scatter-value", "index_fill-float64-value", "tril", "cdist", "cross",
        "roll", "scatter_reduce-prod"])
def test_float32_stays_float32(fn) -> None:
    x = ag.tensor(np.arange(8, dtype=np.float32).reshape(2, 4) - 3.0, requires_grad=True)
    out = fn(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_masked_fill_gradient_reaches_a_0d_value_summed_over_the_mask() -> None:
    x = ag.tensor(np.zeros((2, 3)), requires_grad=True)
    value = ag.tensor(1.0, requires_grad=True)
    mask = np.array([[True, False, True], [False, False, True]])
    ag.masked_fill(x, mask, value).sum().backward()
    assert value.grad.item() == 3.0
    np.testing.assert_array_equal(x.grad.data, ~mask)


def test_addmm_beta_zero_ignores_nan_input_as_torch() -> None:
    nan_input = np.full((2, 2), np.nan)
    a, b = _rng.standard_normal((2, 3)), _rng.standard_normal((3, 2))
    ours = ag.tensor(nan_input, requires_grad=True)
    out = ag.addmm(ours, a, b, beta=0)
    np.testing.assert_allclose(out.data, torch.addmm(torch.tensor(nan_input), torch.tensor(a),
                                                     torch.tensor(b), beta=0).numpy())
    out.sum().backward()
    np.testing.assert_array_equal(ours.grad.data, np.zeros((2, 2)))


def test_meshgrid_returns_a_tuple_of_broadcast_grids() -> None:
    a, b = ag.tensor([1.0, 2.0, 3.0]), ag.tensor([4.0, 5.0])
    grids = ag.meshgrid(a, b)
    assert isinstance(grids, tuple) and [g.shape for g in grids] == [(3, 2), (3, 2)]
    assert [g.shape for g in ag.meshgrid(a, b, indexing="xy")] == [(2, 3), (2, 3)]


def test_scatter_with_repeated_indices_keeps_one_written_value() -> None:
    """torch leaves the choice undefined; here the last write wins (numpy assignment order)."""
    x = ag.tensor(np.zeros(3))
    out = ag.scatter(x, 0, np.array([1, 1]), ag.tensor(np.array([5.0, 7.0])))
    np.testing.assert_array_equal(out.data, [0.0, 7.0, 0.0])


# ---- names: module functions, Tensor methods, exports ----------------------------------------------

NAMES = ("tril triu flip fliplr flipud roll repeat_interleave narrow diag diagonal diag_embed "
         "meshgrid nonzero masked_fill masked_select index_select index_fill scatter scatter_reduce "
         "take take_along_dim cross tensordot kron mm bmm mv addmm baddbmm addmv addbmm cdist").split()


@pytest.mark.parametrize("name", NAMES)
def test_exported_from_autograd_core_and_torch_has_it(name) -> None:
    assert getattr(ag, name) is getattr(ops, name)
    assert name in ops.__all__
    assert hasattr(torch, name)


@pytest.mark.parametrize("name", [n for n in NAMES + ["trace"] if hasattr(torch.Tensor, n)])
def test_tensor_method_is_the_module_function(name) -> None:
    assert getattr(ag.Tensor, name) is getattr(ops, name)


def test_autograd_core_trace_stays_the_program_tracer() -> None:
    """`ag.trace` was already autograd_core.replay.trace; the matrix trace is x.trace() and
    ag.ops.trace (listed in the README's deviations table)."""
    from autograd_core.replay import trace as tracer

    assert ag.trace is tracer
    assert ag.tensor(np.eye(3)).trace().item() == 3.0


def test_keyword_names_are_torchs() -> None:
    a, b = ag.tensor(np.ones((2, 3))), ag.tensor(np.ones((3, 2)))
    assert ag.mm(a, mat2=b).shape == (2, 2) and a.mv(vec=ag.tensor(np.ones(3))).shape == (2,)
    assert ag.cross(a, other=a, dim=1).shape == (2, 3) and a.kron(other=a).shape == (4, 9)
    assert ag.bmm(a[None], mat2=b[None]).shape == (1, 2, 2)
    assert ag.diagonal(a, offset=1, dim1=1, dim2=0).shape == (1,)
    assert ag.scatter_reduce(a, dim=0, index=np.zeros((1, 3), np.int64), src=a, reduce="amax",
                             include_self=False).shape == (2, 3)
    assert ag.roll(a, shifts=(1,), dims=(1,)).shape == (2, 3)
    assert ag.take_along_dim(a, indices=np.zeros((1, 1), np.int64), dim=0).shape == (1, 3)


# ---- traced replay: the new ops replay bit-identically to eager --------------------------------------

_W = _rng.standard_normal((3, 4))
_S = _rng.standard_normal((2, 4))
_SCATTER_INDEX = np.array([[0, 1, 1, 2], [2, 1, 0, 0]])
TRACED = {
    "scatter_reduce-prod": lambda w, s, x: ag.scatter_reduce(w * x, 0, _SCATTER_INDEX, s, "prod"),
    "scatter_reduce-amax": lambda w, s, x: ag.scatter_reduce(w * x, 0, _SCATTER_INDEX, s, "amax",
                                                             include_self=False),
    "scatter": lambda w, s, x: ag.scatter(w * x, 0, _SCATTER_INDEX[:1], s[:1]),
    "roll-flip-tril": lambda w, s, x: (w * x).roll(1, 0).flip(1).tril() + s.sum(),
    "masked_fill": lambda w, s, x: (w * x).masked_fill(x > 0, s[0, 0]),
    "cdist": lambda w, s, x: ag.cdist(w * x, s),
    "diag_embed-diagonal": lambda w, s, x: ag.diag_embed(w * x, 1).diagonal(1, 1, 2) + s.sum(),
    "addmm-cross": lambda w, s, x: ag.addmm(s[0, :3], w * x, w.T) + ag.cross(w[:, :3], x[:, 1:]),
}


@pytest.mark.parametrize("name", list(TRACED))
def test_traced_step_replays_bit_identically(name) -> None:
    fn = TRACED[name]
    w, s = ag.tensor(_W, requires_grad=True), ag.tensor(_S, requires_grad=True)

    def step(x):
        out = fn(w, s, x)
        loss = (out * out).sum()
        loss.backward()
        return loss

    replay = ag.trace(step, ag.tensor(_rng.standard_normal((3, 4))), params=[w, s])
    x = ag.tensor(_rng.standard_normal((3, 4)))
    w.grad = s.grad = None
    loss, grads = replay(x)
    traced = [g.data.copy() for g in grads]
    w.grad = s.grad = None
    assert step(x).item() == loss.item()
    for got, param in zip(traced, (w, s)):
        np.testing.assert_array_equal(got, param.grad.data)


def test_cdist_computes_in_blocks_of_rows_with_the_same_result(monkeypatch) -> None:
    """Euclidean cdist builds its differences a few rows at a time; the block size changes
    nothing but memory."""
    from autograd_core.ops import linalg

    x1, x2 = _rng.standard_normal((2, 7, 3)), _rng.standard_normal((5, 3))
    expected = torch.cdist(torch.tensor(x1), torch.tensor(x2)).numpy()
    monkeypatch.setattr(linalg, "CDIST_BLOCK", 4)
    np.testing.assert_allclose(ag.cdist(x1, x2).data, expected, rtol=1e-12)
