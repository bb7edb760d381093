"""nn.utils: gradient clipping against torch, parameters <-> vector, functional_call."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError
from nn.utils import (clip_grad_norm_, clip_grad_value_, functional_call, parameters_to_vector,
                      vector_to_parameters)


def with_grads(rng, shapes, scale=1.0):
    params = []
    for shape in shapes:
        p = nn.Parameter(rng.standard_normal(shape))
        p.grad = ag.tensor(rng.standard_normal(shape) * scale)
        params.append(p)
    return params


@pytest.mark.parametrize("max_norm, norm_type", [(0.5, 2.0), (100.0, 2.0), (1.0, 1.0), (0.3, float("inf")),
                                                 (2.0, 3.0)])
def test_clip_grad_norm_matches_torch(rng, max_norm, norm_type):
    torch = pytest.importorskip("torch")
    ours = with_grads(rng, [(3, 4), (4,), (2, 2)])
    theirs = [torch.tensor(p.data, requires_grad=True) for p in ours]
    for p, q in zip(ours, theirs):
        q.grad = torch.from_numpy(p.grad.data.copy())
    total = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, ag.Tensor) and total.shape == ()
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_only_scales_down_and_skips_missing_grads(rng):
    params = with_grads(rng, [(5,)], scale=0.01)
    before = params[0].grad.data.copy()
    no_grad = nn.Parameter(np.ones(2))
    total = clip_grad_norm_(params + [no_grad], max_norm=10.0)
    np.testing.assert_array_equal(params[0].grad.data, before)
    assert total.item() == pytest.approx(np.linalg.norm(before))
    assert no_grad.grad is None
    assert clip_grad_norm_([no_grad], 1.0).item() == 0.0
    big = with_grads(rng, [(10,)], scale=10.0)
    clip_grad_norm_(big[0], 1.0)
    assert np.linalg.norm(big[0].grad.data) == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_nonfinite(rng):
    params = with_grads(rng, [(3,)])
    params[0].grad.data[0] = np.inf
    with pytest.raises(InvalidArgumentError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_(rng):
    params = with_grads(rng, [(20,)], scale=3.0)
    assert clip_grad_value_(params, 0.5) is None
    assert np.abs(params[0].grad.data).max() <= 0.5
    assert np.isclose(np.abs(params[0].grad.data).max(), 0.5)


def test_parameters_to_vector_and_back(rng):
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vector = parameters_to_vector(model.parameters())
    assert vector.shape == (model.num_parameters(),)
    np.testing.assert_array_equal(vector.data[:6], model[0].weight.data.ravel())
    new = ag.tensor(np.arange(vector.size, dtype=np.float32))
    vector_to_parameters(new, model.parameters())
    np.testing.assert_array_equal(model[0].weight.data, np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(model[1].bias.data, [10])
    with pytest.raises(ShapeError, match="has 3 elements but the 4 parameters hold 11"):
        vector_to_parameters(ag.tensor(np.ones(3)), model.parameters())
    with pytest.raises(ShapeError):
        vector_to_parameters(ag.tensor(np.ones((11, 1))), model.parameters())
    with pytest.raises(DTypeError):
        vector_to_parameters(np.ones(11), model.parameters())


def test_parameters_to_vector_is_differentiable(rng):
    model = nn.Linear(2, 2, dtype=np.float64)
    (parameters_to_vector(model.parameters()) ** 2).sum().backward()
    np.testing.assert_allclose(model.weight.grad.data, 2 * model.weight.data)


def test_functional_call_routes_gradients_and_restores(rng):
    model = nn.Linear(3, 1, dtype=np.float64)
    weight = ag.tensor(rng.standard_normal((1, 3)), requires_grad=True)
    x = ag.tensor(rng.standard_normal((4, 3)))
    out = functional_call(model, {"weight": weight}, (x,))
    np.testing.assert_allclose(out.data, x.data @ weight.data.T + model.bias.data)
    out.sum().backward()
    np.testing.assert_allclose(weight.grad.data, x.data.sum(axis=0, keepdims=True))
    assert model.weight.grad is None and model.weight is not weight
    with pytest.raises(InvalidArgumentError, match="'nope'"):
        functional_call(model, {"nope": weight}, x)


def test_functional_call_allows_hessians_of_a_loss(rng):
    model = nn.Linear(2, 1, dtype=np.float64)
    x, y = ag.tensor(rng.standard_normal((5, 2))), rng.standard_normal((5, 1))
    loss = lambda w: F.mse_loss(functional_call(model, {"weight": w}, x), y)
    hessian = ag.hessian(loss)(model.weight.data).data.reshape(2, 2)
    np.testing.assert_allclose(hessian, 2 * x.data.T @ x.data / 5, atol=1e-10)
