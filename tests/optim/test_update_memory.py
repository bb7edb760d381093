"""Updates of large parameters go through a small scratch block instead of a temporary as
large as the parameter (optim.optimizer.subtract_scaled), bit-identical to the one-call formulas."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import autograd_core as ag
import optim
from optim import replay_plans
from optim.optimizer import SCRATCH_ELEMENTS, subtract_scaled

LARGE = (301, 700)  # 210700 elements: several blocks and a partial last one
SMALL = (5, 3)


def _params(shapes: list[tuple[int, ...]], dtype, seed: int = 0) -> tuple[list, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    return [ag.tensor(a.copy(), requires_grad=True) for a in arrays], arrays


def _grads(shapes: list[tuple[int, ...]], dtype, step: int) -> list[np.ndarray]:
    rng = np.random.default_rng(100 + step)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def _bits(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array).tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("scale", [0.01, 3, np.float64(0.01), np.float32(0.3)])
def test_subtract_scaled_matches_the_one_call_formula(dtype, scale):
    rng = np.random.default_rng(1)
    data = rng.standard_normal(LARGE).astype(dtype)
    values = rng.standard_normal(LARGE).astype(dtype)
    expected = data.copy()
    np.subtract(expected, scale * values, out=expected)
    subtract_scaled(data, scale, values)
    assert data.dtype == dtype
    assert _bits(data) == _bits(expected)


def test_subtract_scaled_non_contiguous_and_mixed_dtypes_keep_the_one_call():
    rng = np.random.default_rng(2)
    data = rng.standard_normal((700, 301)).astype(np.float32).T  # a transposed view
    values = rng.standard_normal(LARGE).astype(np.float64)
    expected = data.copy()
    np.subtract(expected, 0.1 * values, out=expected)
    subtract_scaled(data, 0.1, values)
    assert _bits(data) == _bits(expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_plain_sgd_on_large_and_small_params_is_the_one_call_update(dtype):
    shapes = [LARGE, SMALL]
    params, arrays = _params(shapes, dtype)
    optimizer = optim.SGD(params, lr=0.01)
    for step in range(2):
        grads = _grads(shapes, dtype, step)
        for param, grad in zip(params, grads, strict=True):
            param.grad = ag.tensor(grad)
        optimizer.step()
        for array, grad in zip(arrays, grads, strict=True):
            np.subtract(array, 0.01 * grad, out=array)
    for param, array in zip(params, arrays, strict=True):
        assert _bits(param.data) == _bits(array)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_sgd_flat_update_of_large_params_is_the_param_by_param_formula(nesterov):
    shapes = [LARGE, SMALL, (SCRATCH_ELEMENTS + 1,)]
    params, arrays = _params(shapes, np.float32)
    lr, momentum = 0.05, 0.9
    optimizer = optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=0.01)
    buffers = [None] * len(shapes)
    for step in range(3):
        grads = _grads(shapes, np.float32, step)
        for param, grad in zip(params, grads, strict=True):
            param.grad = ag.tensor(grad)
        optimizer.step()
        for index, (array, grad) in enumerate(zip(arrays, grads, strict=True)):
            grad = grad + 0.01 * array
            if buffers[index] is None:
                buffers[index] = grad.copy()
            else:
                buffers[index] *= momentum
                buffers[index] += 1 * grad
            grad = grad + momentum * buffers[index] if nesterov else buffers[index]
            np.subtract(array, lr * grad, out=array)
    for param, array in zip(params, arrays, strict=True):
        assert _bits(param.data) == _bits(array)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("count", [1, 2])  # one param: the param-by-param path; two: the flat one
def test_adam_update_of_large_params_is_the_one_expression_formula(name, count):
    shapes = [LARGE, SMALL][:count]
    params, arrays = _params(shapes, np.float32)
    lr, beta1, beta2, eps, decay = 0.01, 0.9, 0.999, 1e-8, 0.1
    optimizer = getattr(optim, name)(params, lr=lr, eps=eps, weight_decay=decay)
    exp_avgs = [np.zeros(shape, np.float32) for shape in shapes]
    exp_avg_sqs = [np.zeros(shape, np.float32) for shape in shapes]
    for step in range(1, 4):
        grads = _grads(shapes, np.float32, step)
        for param, grad in zip(params, grads, strict=True):
            param.grad = ag.tensor(grad)
        optimizer.step()
        for array, grad, exp_avg, exp_avg_sq in zip(arrays, grads, exp_avgs, exp_avg_sqs, strict=True):
            if name == "AdamW":
                np.multiply(array, 1 - lr * decay, out=array)
            else:
                grad = grad + decay * array
            exp_avg *= beta1
            exp_avg += (1 - beta1) * grad
            exp_avg_sq *= beta2
            exp_avg_sq += (1 - beta2) * grad * grad
            denom = np.sqrt(exp_avg_sq) / (1 - beta2**step) ** 0.5 + eps
            np.subtract(array, lr / (1 - beta1**step) * (exp_avg / denom), out=array)
    for param, array in zip(params, arrays, strict=True):
        assert _bits(param.data) == _bits(array)


STEPS = {"SGD.step": lambda optimizer: optimizer.step(),
         "trace's plain SGD plan": replay_plans.plain_sgd_step}


@pytest.mark.parametrize("step", STEPS.values(), ids=STEPS.keys())
def test_plain_sgd_step_of_a_large_param_allocates_no_param_sized_temporary(step):
    shape = (1024, 1024)  # 4 MiB of float32
    params, _ = _params([shape], np.float32)
    params[0].grad = ag.tensor(np.ones(shape, np.float32))
    optimizer = optim.SGD(params, lr=0.01)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        step(optimizer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * SCRATCH_ELEMENTS * 4 + (1 << 16)


def test_plain_sgd_on_a_large_param_matches_torch():
    torch = pytest.importorskip("torch")
    params, arrays = _params([LARGE], np.float32)
    grad = _grads([LARGE], np.float32, 0)[0]
    params[0].grad = ag.tensor(grad)
    optim.SGD(params, lr=0.01).step()
    reference = torch.tensor(arrays[0], requires_grad=True)
    reference.grad = torch.tensor(grad)
    torch.optim.SGD([reference], lr=0.01).step()
    np.testing.assert_allclose(params[0].data, reference.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_trace_plain_sgd_plan_on_a_large_param_is_the_one_call_formula():
    params, arrays = _params([LARGE], np.float32)
    grad = _grads([LARGE], np.float32, 0)[0]
    params[0].grad = ag.tensor(grad)
    replay_plans.plain_sgd_step(optim.SGD(params, lr=0.01))
    np.subtract(arrays[0], 0.01 * grad, out=arrays[0])
    assert _bits(params[0].data) == _bits(arrays[0])
