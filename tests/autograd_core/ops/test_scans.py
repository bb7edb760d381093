"""newops10a, reductions and scans of issue 10, from one table checked against PyTorch:
cumsum cumprod cummax cummin logcumsumexp, sort argsort topk, median kthvalue mode, any all
count_nonzero, var_mean std_mean, nansum nanmean.

Each row: name, our function, torch's, the input domain and the shapes to try (edge shapes
included: 0-d, empty, negative dims). Values and gradients are compared with torch, then the
first input gets float64 gradcheck and gradgradcheck. Index outputs are compared separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import ops
from autograd_core.errors import DTypeError, IndexOutOfRangeError, InvalidArgumentError

# PyTorch is the oracle of every comparison here; without it this file skips (CI installs it).
torch = pytest.importorskip("torch")


def normal(rng, shape):
    return rng.standard_normal(shape)


def distinct(rng, shape):
    """No ties: sort/topk/median/cummax have a unique answer (and gradient)."""
    n = int(np.prod(shape, dtype=np.int64))
    return rng.permutation(np.linspace(-2.0, 2.0, n) + rng.uniform(0, 0.5 / max(n, 1), n)
                           ).reshape(shape)


def with_zeros(rng, shape):
    """Normal values with about a third set to exactly zero (cumprod's hard case)."""
    x = rng.standard_normal(shape)
    return np.where(rng.random(shape) < 0.35, 0.0, x)


def small_integers(rng, shape):
    """Floats with many repeats (mode)."""
    return rng.integers(0, 3, shape).astype(np.float64)


@dataclass
class Case:
    name: str
    ours: Callable
    theirs: Callable
    domain: Callable
    shapes: list
    gradgrad: bool = True
    gradcheck: bool = True  # False where perturbing the input changes the answer (mode's ties)


SCAN_SHAPES = [(3, 4), (5,), (), (0,), (2, 0, 3)]

CASES = [
    Case("cumsum_dim1", lambda x: ag.cumsum(x, 1), lambda x: torch.cumsum(x, 1), normal,
         [(3, 4), (2, 0)]),
    Case("cumsum_dim-1", lambda x: ag.cumsum(x, dim=-1), lambda x: torch.cumsum(x, dim=-1),
         normal, SCAN_SHAPES),
    Case("cumsum_dim0", lambda x: x.cumsum(0), lambda x: x.cumsum(0), normal, SCAN_SHAPES),
    Case("cumprod_dim-1", lambda x: ag.cumprod(x, -1), lambda x: torch.cumprod(x, -1), normal,
         SCAN_SHAPES),
    Case("cumprod_zeros", lambda x: ag.cumprod(x, 0), lambda x: torch.cumprod(x, 0), with_zeros,
         [(6, 3), (7,), (4, 2, 3)]),
    Case("cumprod_zeros_dim1", lambda x: x.cumprod(1), lambda x: x.cumprod(1), with_zeros,
         [(3, 6), (2, 5, 2)]),
    Case("logcumsumexp", lambda x: ag.logcumsumexp(x, -1), lambda x: torch.logcumsumexp(x, -1),
         normal, SCAN_SHAPES),
    Case("logcumsumexp_dim0_large", lambda x: ag.logcumsumexp(x * 300, 0),
         lambda x: torch.logcumsumexp(x * 300, 0), normal, [(4, 3)]),
    Case("cummax", lambda x: ag.cummax(x, -1).values, lambda x: torch.cummax(x, -1).values,
         distinct, SCAN_SHAPES),
    Case("cummin_dim0", lambda x: ag.cummin(x, 0)[0], lambda x: torch.cummin(x, 0)[0],
         distinct, SCAN_SHAPES),
    Case("sort", lambda x: ag.sort(x).values, lambda x: torch.sort(x).values, distinct,
         SCAN_SHAPES),
    Case("sort_desc_dim0", lambda x: x.sort(0, descending=True)[0],
         lambda x: x.sort(0, descending=True)[0], distinct, SCAN_SHAPES),
    Case("topk", lambda x: ag.topk(x, 2).values, lambda x: torch.topk(x, 2).values, distinct,
         [(3, 4), (2,), (2, 3, 5)]),
    Case("topk_smallest_dim0", lambda x: x.topk(1, dim=0, largest=False).values,
         lambda x: x.topk(1, dim=0, largest=False).values, distinct, [(3, 4), (2, 0), ()]),
    Case("median_all", lambda x: ag.median(x), lambda x: torch.median(x), distinct,
         [(3, 4), (5,), (), (4,)]),
    Case("median_dim", lambda x: ag.median(x, 1).values, lambda x: torch.median(x, 1).values,
         distinct, [(3, 4), (2, 5), (2, 3, 1)]),
    Case("median_keepdim", lambda x: x.median(-1, keepdim=True).values,
         lambda x: x.median(-1, keepdim=True).values, distinct, [(3, 4), ()]),
    Case("kthvalue", lambda x: ag.kthvalue(x, 2).values, lambda x: torch.kthvalue(x, 2).values,
         distinct, [(3, 4), (2,), (2, 2, 3)]),
    Case("kthvalue_dim0_keepdim", lambda x: x.kthvalue(1, 0, True)[0],
         lambda x: x.kthvalue(1, 0, True)[0], distinct, [(3, 4), ()]),
    Case("mode", lambda x: x.mode(-1).values * x.sum(), lambda x: x.mode(-1).values * x.sum(),
         small_integers, [(4, 7), (9,), ()], gradgrad=False, gradcheck=False),
    Case("var_mean", lambda x: _pair_sum(ag.var_mean(x, 1)), lambda x: _pair_sum(
        torch.var_mean(x, 1)), normal, [(3, 4), (2, 5, 2)]),
    Case("var_mean_correction0", lambda x: _pair_sum(ag.var_mean(x, correction=0)),
         lambda x: _pair_sum(torch.var_mean(x, correction=0)), normal, [(3, 4), (5,)]),
    Case("std_mean_unbiased_false", lambda x: _pair_sum(ag.std_mean(x, 0, False, True)),
         lambda x: _pair_sum(torch.std_mean(x, 0, False, True)), normal, [(3, 4), (4,)]),
    Case("std_mean_keepdim", lambda x: _pair_sum(ag.std_mean(x, dim=(0, -1), keepdim=True)),
         lambda x: _pair_sum(torch.std_mean(x, dim=(0, -1), keepdim=True)), normal,
         [(3, 2, 4)]),
    Case("nansum", lambda x: ag.nansum(_holes(x)), lambda x: torch.nansum(_holes(x)), normal,
         [(3, 4), (5,), (0,)]),
    Case("nansum_dim", lambda x: ag.nansum(_holes(x), 1),
         lambda x: torch.nansum(_holes(x), 1), normal, [(3, 4), (2, 3, 2)]),
    Case("nanmean", lambda x: ag.nanmean(_holes(x)), lambda x: torch.nanmean(_holes(x)), normal,
         [(3, 4), (5,)]),
    Case("nanmean_dim", lambda x: ag.nanmean(_holes(x), -1, True),
         lambda x: torch.nanmean(_holes(x), -1, True), normal, [(3, 4), (2, 3, 5)]),
]
IDS = [c.name for c in CASES]


def _pair_sum(pair):
    first, second = pair
    return first * 2 + second * 3


def _holes(x):
    """x with NaNs at fixed positions (every third element), differentiably elsewhere."""
    lib = ag if isinstance(x, ag.Tensor) else torch
    mask = (np.arange(int(np.prod(x.shape))) % 3 == 1).reshape(tuple(x.shape))
    nan = np.where(mask, np.nan, 0.0)
    return x + (lib.tensor(nan) if lib is torch else ag.tensor(nan))


def _compare_with_torch(case: Case, array: np.ndarray) -> None:
    x, t = ag.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, expected = case.ours(x), case.theirs(t)
    assert out.shape == tuple(expected.shape)
    assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    cotangent = np.random.default_rng(5).standard_normal(out.shape)
    out.backward(ag.tensor(cotangent))
    expected.backward(torch.tensor(cotangent))
    assert x.grad is not None and x.grad.shape == x.shape
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_and_gradient_match_torch_over_shapes(case: Case) -> None:
    for seed, shape in enumerate(case.shapes):
        _compare_with_torch(case, case.domain(np.random.default_rng(seed), shape))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck_and_gradgradcheck(case: Case) -> None:
    if not case.gradcheck:
        pytest.skip(f"{case.name}: ties decide the answer, finite differences break them")
    array = case.domain(np.random.default_rng(11), case.shapes[0])
    assert ag.gradcheck(case.ours, [array])
    if case.gradgrad:
        assert ag.gradgradcheck(case.ours, [array])


# ---- cumprod with zeros, in detail -------------------------------------------------------------

@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 2.0], [1.5, 2.0, 0.0],
                                    [0.0, 4.0], [3.0, -1.0, 0.0, 0.0, 5.0]])
def test_cumprod_gradient_with_zeros_matches_torch_to_second_order(values) -> None:
    array = np.array(values)
    x, t = ag.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    weights = np.arange(1.0, len(values) + 1)
    (ag.cumprod(x, 0) * ag.tensor(weights)).sum().backward(create_graph=True)
    (gt,) = torch.autograd.grad((torch.cumprod(t, 0) * torch.tensor(weights)).sum(), t,
                                create_graph=True)
    np.testing.assert_allclose(x.grad.data, gt.detach().numpy(), rtol=1e-12)
    first = x.grad
    x.grad = None
    (first * ag.tensor(weights[::-1].copy())).sum().backward()
    (ggt,) = torch.autograd.grad((gt * torch.tensor(weights[::-1].copy())).sum(), t)
    np.testing.assert_allclose(x.grad.data, ggt.numpy(), rtol=1e-12, atol=1e-12)


# ---- indices ------------------------------------------------------------------------------------

def _same_pair(ours, theirs) -> None:
    np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    assert ours.indices.dtype == np.int64 and not ours.indices.requires_grad


def test_indices_match_torch() -> None:
    rng = np.random.default_rng(3)
    a = distinct(rng, (3, 5))
    x, t = ag.tensor(a), torch.tensor(a)
    for dim in (0, 1, -1, -2):
        _same_pair(x.sort(dim), t.sort(dim))
        _same_pair(x.sort(dim, descending=True), t.sort(dim, descending=True))
        _same_pair(x.cummax(dim), t.cummax(dim))
        _same_pair(x.cummin(dim), t.cummin(dim))
        _same_pair(x.topk(2, dim), t.topk(2, dim))
        _same_pair(x.topk(2, dim, largest=False), t.topk(2, dim, largest=False))
        _same_pair(x.median(dim), t.median(dim))
        _same_pair(x.kthvalue(3, dim), t.kthvalue(3, dim))
        np.testing.assert_array_equal(x.argsort(dim).data, t.argsort(dim).numpy())
        np.testing.assert_array_equal(ag.argsort(x, dim, descending=True).data,
                                      torch.argsort(t, dim, descending=True).numpy())


def test_stable_sort_keeps_ties_in_order_as_torch() -> None:
    a = np.array([[2.0, 1.0, 2.0, 1.0, 3.0, 2.0], [0.0, 0.0, 0.0, 1.0, 1.0, 0.0]])
    for descending in (False, True):
        _same_pair(ag.sort(ag.tensor(a), -1, descending, stable=True),
                   torch.sort(torch.tensor(a), dim=-1, descending=descending, stable=True))
    ints = np.array([3, 1, 3, 2, 1], dtype=np.int64)
    _same_pair(ag.sort(ag.tensor(ints), stable=True, descending=True),
               torch.sort(torch.tensor(ints), stable=True, descending=True))
    bools = np.array([True, False, True, False])
    _same_pair(ag.sort(ag.tensor(bools), stable=True, descending=True),
               torch.sort(torch.tensor(bools), stable=True, descending=True))


def test_nan_sorts_as_the_largest_value_and_median_propagates_it() -> None:
    a = np.array([1.0, np.nan, 3.0, -1.0, np.nan])
    for descending in (False, True):
        ours = ag.sort(ag.tensor(a), descending=descending, stable=True)
        theirs = torch.sort(torch.tensor(a), descending=descending, stable=True)
        np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    assert np.isnan(ag.median(ag.tensor(a)).item()) and np.isnan(torch.median(torch.tensor(a)).item())
    assert np.isnan(ag.median(ag.tensor(a), 0).values.item())


def test_cummax_ties_and_nan_indices_as_torch() -> None:
    for a in ([1.0, 3.0, 3.0, 2.0, 3.0], [1.0, np.nan, 2.0, np.nan, 0.0], [2.0, 2.0, 1.0, 1.0]):
        arr = np.array(a)
        for name in ("cummax", "cummin"):
            ours = getattr(ag, name)(ag.tensor(arr), 0)
            theirs = getattr(torch, name)(torch.tensor(arr), 0)
            np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
            np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())


def test_median_is_the_lower_median_and_mode_picks_smallest_most_frequent() -> None:
    a = np.array([4.0, 1.0, 3.0, 2.0])
    assert ag.median(ag.tensor(a)).item() == torch.median(torch.tensor(a)).item() == 2.0
    ints = np.array([[1, 2, 2, 3, 3, 1], [5, 5, 0, 0, 0, 7]])
    ours, theirs = ops.mode(ag.tensor(ints), 1), torch.mode(torch.tensor(ints), 1)
    np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
    assert np.isnan(ag.median(ag.tensor(np.zeros(0))).item())


def test_median_gradient_goes_to_one_element_as_torch() -> None:
    a = np.array([[1.0, 5.0, 3.0], [2.0, 0.0, 9.0]])
    x, t = ag.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ag.median(x).backward()
    torch.median(t).backward()
    np.testing.assert_array_equal(x.grad.data, t.grad.numpy())


# ---- logical and counting reductions -------------------------------------------------------------

@pytest.mark.parametrize("name", ["any", "all", "count_nonzero"])
def test_logical_reductions_match_torch(name: str) -> None:
    a = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [2.0, -1.0, 3.0]])
    dims = [None, 0, 1, -1] + ([(0, 1)] if name == "count_nonzero" else [])
    for array in (a, a.astype(bool), a.astype(np.int64), np.zeros((0, 3)), np.array(2.0)):
        for dim in dims if array.ndim == 2 else [None]:
            kwargs = {} if dim is None else {"dim": dim}
            out = getattr(ag, name)(ag.tensor(array), **kwargs)
            expected = getattr(torch, name)(torch.tensor(array), **kwargs)
            assert out.shape == tuple(expected.shape)
            assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
            np.testing.assert_array_equal(out.data, expected.numpy())
    if name != "count_nonzero":
        out = getattr(ag.tensor(a), name)(1, keepdim=True)
        np.testing.assert_array_equal(out.data, getattr(torch.tensor(a), name)(1, keepdim=True))


def test_nan_reductions_ignore_nan_with_zero_gradient_there() -> None:
    a = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan]])
    x, t = ag.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (ag.nansum(x, 1).sum() + ag.nanmean(x, 1)[0]).backward()
    (torch.nansum(t, 1).sum() + torch.nanmean(t, 1)[0]).backward()
    np.testing.assert_array_equal(x.grad.data[0], t.grad.numpy()[0])
    # a row that is all NaN: torch's gradient is 0 * inf = NaN there, ours 0 (README deviation)
    assert np.isnan(t.grad.numpy()[1]).all() and (x.grad.data[1] == 0).all()
    np.testing.assert_array_equal(ag.nanmean(ag.tensor(a), 1).data,
                                  torch.nanmean(torch.tensor(a), 1).numpy())


# ---- typed errors --------------------------------------------------------------------------------

def test_bad_arguments_raise_typed_errors() -> None:
    x = ag.tensor(np.ones((2, 3)))
    for fn in (ag.cumsum, ag.cumprod, ag.logcumsumexp, ag.cummax, ag.cummin):
        with pytest.raises(InvalidArgumentError, match=fn.__name__):
            fn(x)  # dim is required, as in torch
        with pytest.raises(InvalidArgumentError, match=fn.__name__):
            fn(x, 2)
    for fn in (ag.sort, ag.argsort):
        with pytest.raises(InvalidArgumentError, match=fn.__name__):
            fn(x, -3)
    with pytest.raises(InvalidArgumentError, match="topk"):
        ag.topk(x, 4)
    with pytest.raises(InvalidArgumentError, match="topk"):
        ag.topk(x, -1)
    with pytest.raises(InvalidArgumentError, match="kthvalue"):
        ag.kthvalue(x, 0)
    with pytest.raises(IndexOutOfRangeError, match="median"):
        ag.median(ag.tensor(np.zeros((2, 0))), 1)
    with pytest.raises(IndexOutOfRangeError, match="mode"):
        ops.mode(ag.tensor(np.zeros((2, 0))), 1)
    with pytest.raises(DTypeError, match="logcumsumexp"):
        ag.logcumsumexp(ag.tensor([1, 2]), 0)
    with pytest.raises(DTypeError, match="nanmean"):
        ag.nanmean(ag.tensor([1, 2]))
    with pytest.raises(InvalidArgumentError, match="any"):
        ag.any(x, 5)


def test_integer_and_bool_scans_as_torch() -> None:
    for array in (np.array([[1, 2], [3, 4]], dtype=np.int64), np.array([True, False, True])):
        for name in ("cumsum", "cumprod"):
            out = getattr(ag, name)(ag.tensor(array), 0)
            expected = getattr(torch, name)(torch.tensor(array), 0)
            assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
            np.testing.assert_array_equal(out.data, expected.numpy())
    out = ag.cumsum(ag.tensor(np.array([1, 2, 3])), 0, dtype=np.float64)
    assert out.dtype == np.float64 and out.data.tolist() == [1.0, 3.0, 6.0]


def test_traced_replay_recomputes_indices_for_new_inputs() -> None:
    """The index ops are recorded, so a trace taken on one input sorts the next one afresh."""
    weights = ag.tensor(np.arange(1.0, 6.0))

    def f(x):
        total = (ag.sort(x, -1, descending=True).values * weights).sum()
        total = total + (ag.cummax(x, 1).values * weights).sum() + ag.median(x)
        total = total + (ag.topk(x, 2).values * weights[:2]).sum() + ag.kthvalue(x, 2, 0)[0].sum()
        return total + (ops.mode(ag.round(x), 1).values * x.sum()).sum()

    rng = np.random.default_rng(8)
    traced = ag.trace(f, ag.tensor(distinct(rng, (3, 5)), requires_grad=True))
    for _ in range(3):
        x = ag.tensor(distinct(rng, (3, 5)), requires_grad=True)
        value, grads = traced(x)
        expected = f(x)
        expected.backward()
        np.testing.assert_allclose(value.data, expected.data, rtol=1e-12)
        np.testing.assert_allclose(grads[0].data, x.grad.data, rtol=1e-12)


def test_logcumsumexp_first_order_gradient_with_zero_cotangents_and_large_values() -> None:
    rng = np.random.default_rng(9)
    a = rng.standard_normal((3, 400)) * 50
    g = rng.standard_normal(a.shape)
    g[:, ::5] = 0.0
    x, t = ag.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ag.logcumsumexp(x, -1).backward(ag.tensor(g))
    torch.logcumsumexp(t, -1).backward(torch.tensor(g))
    assert np.isfinite(x.grad.data).all()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12, atol=1e-12)
