"""Issue 16's op-wrapper fast paths: a Parameter operand of a binary operator skips `promote` only
when it has nothing to do, `x.sum()` / `x.mean()` over everything go straight to their node, and
Sum/Mean compute exactly numpy's bits (np.add.reduce, numpy's own mean division). Results and
gradients are pinned against numpy and PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.ops.reductions import mean_array

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(16)


def _torch_dtype(dtype):
    return getattr(torch, np.dtype(dtype).name)


@pytest.mark.parametrize("op", ["__add__", "__sub__", "__mul__", "__radd__", "__rsub__", "__rmul__"])
@pytest.mark.parametrize("da, db", [(np.float32, np.float32), (np.float32, np.float64),
                                    (np.float64, np.float32), (np.float16, np.float32)])
def test_parameter_operands_promote_like_torch(op, da, db):
    a_data = RNG.standard_normal((3, 4)).astype(da)
    b_data = RNG.standard_normal((3, 4)).astype(db)
    a, b = nn.Parameter(a_data.copy()), nn.Parameter(b_data.copy())
    ta = torch.tensor(a_data, requires_grad=True)
    tb = torch.tensor(b_data, requires_grad=True)
    out, tout = getattr(a, op)(b), getattr(ta, op)(tb)
    assert out.dtype == np.dtype(str(tout.dtype).removeprefix("torch."))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-3)
    out.sum().backward()
    tout.sum().backward()
    assert a.grad.dtype == a_data.dtype and b.grad.dtype == b_data.dtype
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-3)
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-3)


def test_parameter_with_tensor_and_python_scalars_keeps_its_dtype():
    p = nn.Parameter(np.ones((2, 2), np.float32))
    assert (p * p).dtype == np.float32
    assert (p * ag.Tensor(np.ones(2, np.float32))).dtype == np.float32
    assert (p * ag.Tensor(np.ones(2, np.float64))).dtype == np.float64
    assert (1e-4 * p).dtype == np.float32 and (p - 1).dtype == np.float32
    assert (0 + (p * p).sum()).dtype == np.float32
    ints = nn.Parameter(np.ones(2, np.float32)) * ag.Tensor(np.ones(2, np.int64))
    assert ints.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (1,), (7,), (5, 3), (2, 3, 4), (100, 1)])
def test_full_sum_and_mean_are_numpys_bits(dtype, shape):
    data = (RNG.standard_normal(shape) * 10).astype(dtype)
    x = ag.Tensor(data)
    for name in ("sum", "mean"):
        got = getattr(x, name)().data
        want = np.asarray(getattr(data, name)())
        assert got.dtype == want.dtype and got.shape == want.shape == ()
        assert got.tobytes() == want.tobytes(), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis, keepdims", [(None, True), ((0,), False), ((1,), True), ((0, 2), False),
                                            ((0, 1, 2), False)])
def test_mean_array_matches_numpy_mean(dtype, axis, keepdims):
    data = RNG.standard_normal((3, 5, 4)).astype(dtype) * 3
    got, want = mean_array(data, axis, keepdims), data.mean(axis=axis, keepdims=keepdims)
    assert np.asarray(got).dtype == want.dtype and np.shape(got) == np.shape(want)
    assert np.asarray(got).tobytes() == np.asarray(want).tobytes()


def test_mean_of_empty_still_warns_and_gives_nan():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = ag.Tensor(np.zeros((0, 3), np.float32)).mean()
    assert np.isnan(out.item()) and caught


@pytest.mark.parametrize("call", [
    lambda f: f.sum(), lambda f: f.mean(), lambda f: f.sum(dim=1), lambda f: f.mean(dim=0, keepdim=True),
    lambda f: f.sum((0, 1), keepdim=True) if isinstance(f, torch.Tensor) else f.sum(keepdims=True),
    lambda f: (f * f).sum() * 1e-4, lambda f: 0 + f.mean(),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reduction_values_and_gradients_match_torch(call, dtype):
    data = RNG.standard_normal((4, 6)).astype(dtype)
    x, tx = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, tout = call(x), call(tx)
    assert out.shape == tuple(tout.shape) and out.dtype == data.dtype
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-5)
    weights = RNG.standard_normal(out.shape).astype(dtype)
    (out * ag.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-5)


def test_full_reductions_differentiate_twice():
    data = RNG.standard_normal((3, 4))
    for name in ("sum", "mean"):
        x = ag.tensor(data, requires_grad=True)
        tx = torch.tensor(data, requires_grad=True)
        (g,) = ag.autograd.grad(getattr(x * x * x, name)(), [x], create_graph=True)
        (tg,) = torch.autograd.grad(getattr(tx * tx * tx, name)(), [tx], create_graph=True)
        g.sum().backward()
        tg.sum().backward()
        np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_zero_dim_sum_gradient_is_an_array():
    x = ag.tensor(np.float32(2.0), requires_grad=True)
    (x.sum() * 3.0).backward()
    assert isinstance(x.grad.data, np.ndarray) and x.grad.item() == 3.0
