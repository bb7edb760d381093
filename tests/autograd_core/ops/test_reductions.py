"""PyTorch's max/min/amax/amin/argmax/argmin conventions (issue 10), pinned against torch:
a dimension gives the named tuple (values, indices) whose gradient goes to the selected index only;
the full reduction and amax/amin share the gradient evenly among ties; numpy's axis= gives values
only; a tensor second argument is maximum/minimum."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import InvalidArgumentError, ShapeError
from autograd_core.ops.return_types import ValuesIndices

torch = pytest.importorskip("torch")

TIED = np.array([[1.0, 3.0, 3.0, -2.0], [5.0, 5.0, 0.0, 5.0], [-1.0, -4.0, -4.0, 2.0]])


def _pair(data):
    return ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


def _backward_both(out, tout):
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * ag.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("call", [
    lambda f, x: f(x, 1), lambda f, x: f(x, 0), lambda f, x: f(x, -1, True),
    lambda f, x: f(x, dim=1), lambda f, x: f(x, dim=0, keepdim=True),
])
def test_max_min_with_dim_return_values_and_indices_like_torch(name, call):
    x, tx = _pair(TIED)
    out, tout = call(getattr(ag, name), x), call(getattr(torch, name), tx)
    assert isinstance(out, ValuesIndices) and isinstance(out, tuple)
    values, indices = out
    assert out.values is values and out.indices is indices
    np.testing.assert_allclose(values.data, tout.values.detach().numpy())
    np.testing.assert_array_equal(indices.data, tout.indices.numpy())
    assert indices.dtype == np.int64 and not indices.requires_grad
    _backward_both(values, tout.values)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())  # ties: the selected index only


@pytest.mark.parametrize("name", ["max", "min"])
def test_method_forms_with_dim(name):
    x, tx = _pair(TIED)
    out, tout = getattr(x, name)(1), getattr(tx, name)(1)
    np.testing.assert_array_equal(out.indices.data, tout.indices.numpy())
    out = getattr(x, name)(dim=0, keepdim=True)
    assert out.values.shape == (1, 4) and out.indices.shape == (1, 4)


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_full_reduction_shares_ties_evenly_like_torch(name):
    x, tx = _pair(TIED)
    out, tout = getattr(ag, name)(x), getattr(torch, name)(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy())
    out.backward()
    tout.backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


@pytest.mark.parametrize("name", ["amax", "amin"])
@pytest.mark.parametrize("dim, keepdim", [(1, False), (0, True), ((0, 1), False), (-1, True)])
def test_amax_amin_return_values_with_even_tie_gradient(name, dim, keepdim):
    x, tx = _pair(TIED)
    out = getattr(x, name)(dim, keepdim)
    tout = getattr(tx, name)(dim, keepdim)
    assert isinstance(out, ag.Tensor)
    np.testing.assert_allclose(out.data, tout.detach().numpy())
    _backward_both(out, tout)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


def test_numpy_axis_keyword_gives_values_only():
    x = ag.tensor(TIED)
    out = ag.max(x, axis=1)
    assert isinstance(out, ag.Tensor) and out.shape == (3,)
    np.testing.assert_allclose(x.max(axis=(0, 1), keepdims=True).data, [[5.0]])
    np.testing.assert_allclose(x.min(axis=0).data, TIED.min(axis=0))
    np.testing.assert_allclose(np.max(x, axis=1).data, TIED.max(axis=1))
    np.testing.assert_allclose(np.amin(x, axis=0, keepdims=True).data, TIED.min(0, keepdims=True))


@pytest.mark.parametrize("name, torch_name", [("max", "maximum"), ("min", "minimum")])
def test_max_min_of_two_tensors_is_elementwise(name, torch_name):
    a, ta = _pair(TIED)
    b, tb = _pair(np.full((4,), 3.0))
    out, tout = getattr(ag, name)(a, b), getattr(torch, name)(ta, tb)
    np.testing.assert_allclose(out.data, getattr(torch, torch_name)(ta, tb).detach().numpy())
    _backward_both(out, tout)
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy())
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy())
    np.testing.assert_allclose(getattr(a, name)(b).data, out.data)


@pytest.mark.parametrize("f", [lambda x: ag.max(x, 1).values, lambda x: x.min(0, True).values * 2,
                               lambda x: ag.amax(x, (0, 1)), lambda x: x.max()])
def test_max_min_gradcheck(f):
    x = np.random.default_rng(5).standard_normal((3, 4))
    assert ag.gradcheck(f, [x]) and ag.gradgradcheck(f, [x])


def test_max_with_dim_on_a_0d_tensor_matches_torch():
    x, tx = _pair(np.array(2.5))
    out, tout = ag.max(x, 0), torch.max(tx, 0)
    assert out.values.shape == () and int(out.indices.data) == int(tout.indices)
    out.values.backward()
    assert float(x.grad.data) == 1.0


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"keepdim": True},
                                    {"dim": -1}])
def test_argmax_argmin_match_torch(name, kwargs):
    x = ag.tensor(TIED)
    ours, theirs = getattr(ag, name)(x, **kwargs), getattr(torch, name)(torch.tensor(TIED), **kwargs)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    np.testing.assert_array_equal(getattr(x, name)(**kwargs).data, theirs.numpy())


def test_argmax_keeps_numpy_keywords():
    x = ag.tensor(TIED)
    np.testing.assert_array_equal(x.argmax(axis=1).data, TIED.argmax(axis=1))
    np.testing.assert_array_equal(np.argmax(x, axis=0).data, TIED.argmax(axis=0))


@pytest.mark.parametrize("call, error", [
    (lambda x: ag.max(x, 2), InvalidArgumentError),
    (lambda x: ag.max(x, (0, 1)), InvalidArgumentError),
    (lambda x: ag.max(x, 1.5), InvalidArgumentError),
    (lambda x: ag.max(ag.zeros((0, 3)), 0), ShapeError),
    (lambda x: ag.argmax(x, 3), InvalidArgumentError),
    (lambda x: ag.argmax(ag.zeros(0)), ShapeError),
    (lambda x: ag.amax(x, 2), InvalidArgumentError),
])
def test_errors_are_typed(call, error):
    with pytest.raises(error):
        call(ag.tensor(TIED))


def test_traced_max_with_dim_reselects_on_new_inputs():
    traced = ag.trace(lambda x: x.max(1).values * 2 + x.min(0, True).values.sum(),
                      ag.tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])))
    new = np.array([[9.0, 1.0, 2.0], [0.0, 0.0, 8.0]])
    result, _ = traced(ag.tensor(new))
    np.testing.assert_allclose(result.data, new.max(1) * 2 + new.min(0).sum())
