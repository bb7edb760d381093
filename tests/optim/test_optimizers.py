"""Optimizers: update rules against hand transcriptions of PyTorch's documented pseudo-code and
against torch itself (when installed), state_dict round trips, parameter groups, and every error."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autograd_core as ag
import optim
from autograd_core.errors import DTypeError, GraphError, InvalidArgumentError, ShapeError

STEPS = 7
SHAPES = [(3,), (2, 3)]


def make_param(array: np.ndarray) -> ag.Tensor:
    return ag.tensor(array.copy(), requires_grad=True, dtype=array.dtype)


def set_grad(param: ag.Tensor, grad: np.ndarray) -> None:
    param.grad = ag.tensor(grad, dtype=grad.dtype)


def initial_arrays(dtype=np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(size=shape).astype(dtype) for shape in SHAPES]


def quadratic_grad(index: int, value: np.ndarray) -> np.ndarray:
    """Gradient of sum(scale * (p - target)^2) + sin(p): different per coordinate and step."""
    scale = np.linspace(0.5, 2.0, value.size).reshape(value.shape) * (index + 1)
    return (2 * scale * (value - 0.3) + np.cos(value)).astype(value.dtype)


def run_ours(optimizer_class, kwargs, arrays, steps=STEPS):
    params = [make_param(a) for a in arrays]
    optimizer = optimizer_class(params, **kwargs)
    trajectory = []
    for _ in range(steps):
        for index, param in enumerate(params):
            set_grad(param, quadratic_grad(index, param.data))
        optimizer.step()
        trajectory.append([param.data.copy() for param in params])
    return trajectory


# Hand transcriptions of the pseudo-code in PyTorch's documentation, one function per algorithm:
# each takes the initial arrays and returns the trajectory of all parameters.


def reference_sgd(arrays, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    params = [a.copy() for a in arrays]
    buffers = [None] * len(params)
    trajectory = []
    for t in range(1, STEPS + 1):
        for i, theta in enumerate(params):
            g = quadratic_grad(i, theta)
            if maximize:
                g = -g
            if weight_decay != 0:
                g = g + weight_decay * theta
            if momentum != 0:
                buffers[i] = g.copy() if t == 1 else momentum * buffers[i] + (1 - dampening) * g
                g = g + momentum * buffers[i] if nesterov else buffers[i]
            params[i] = theta - lr * g
        trajectory.append([p.copy() for p in params])
    return trajectory


def reference_adam(
    arrays,
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0,
    amsgrad=False,
    maximize=False,
    decoupled=False,
):
    beta1, beta2 = betas
    params = [a.copy() for a in arrays]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    v_max = [np.zeros_like(p) for p in params]
    trajectory = []
    for t in range(1, STEPS + 1):
        for i, theta in enumerate(params):
            g = quadratic_grad(i, theta)
            if maximize:
                g = -g
            if weight_decay != 0:
                if decoupled:
                    theta = theta * (1 - lr * weight_decay)
                else:
                    g = g + weight_decay * theta
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g**2
            m_hat = m[i] / (1 - beta1**t)
            if amsgrad:
                v_max[i] = np.maximum(v_max[i], v[i])
                v_hat = v_max[i] / (1 - beta2**t)
            else:
                v_hat = v[i] / (1 - beta2**t)
            params[i] = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append([p.copy() for p in params])
    return trajectory


def reference_adamw(arrays, weight_decay=1e-2, **kwargs):
    return reference_adam(arrays, weight_decay=weight_decay, decoupled=True, **kwargs)


def reference_rmsprop(
    arrays, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False
):
    params = [a.copy() for a in arrays]
    v = [np.zeros_like(p) for p in params]
    g_ave = [np.zeros_like(p) for p in params]
    b = [np.zeros_like(p) for p in params]
    trajectory = []
    for _ in range(STEPS):
        for i, theta in enumerate(params):
            g = quadratic_grad(i, theta)
            if maximize:
                g = -g
            if weight_decay != 0:
                g = g + weight_decay * theta
            v[i] = alpha * v[i] + (1 - alpha) * g**2
            v_tilde = v[i]
            if centered:
                g_ave[i] = g_ave[i] * alpha + (1 - alpha) * g
                v_tilde = v_tilde - g_ave[i] ** 2
            if momentum > 0:
                b[i] = momentum * b[i] + g / (np.sqrt(v_tilde) + eps)
                params[i] = theta - lr * b[i]
            else:
                params[i] = theta - lr * g / (np.sqrt(v_tilde) + eps)
        trajectory.append([p.copy() for p in params])
    return trajectory


def reference_adagrad(
    arrays, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False
):
    params = [a.copy() for a in arrays]
    state_sum = [np.full_like(p, initial_accumulator_value) for p in params]
    trajectory = []
    for t in range(1, STEPS + 1):
        for i, theta in enumerate(params):
            g = quadratic_grad(i, theta)
            if maximize:
                g = -g
            gamma = lr / (1 + (t - 1) * lr_decay)
            if weight_decay != 0:
                g = g + weight_decay * theta
            state_sum[i] = state_sum[i] + g**2
            params[i] = theta - gamma * g / (np.sqrt(state_sum[i]) + eps)
        trajectory.append([p.copy() for p in params])
    return trajectory


CASES = [
    ("SGD", reference_sgd, {"lr": 0.05}),
    ("SGD", reference_sgd, {"lr": 0.05, "momentum": 0.9}),
    ("SGD", reference_sgd, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", reference_sgd, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", reference_sgd, {"lr": 0.05, "weight_decay": 0.1}),
    ("SGD", reference_sgd, {"lr": 0.05, "maximize": True}),
    (
        "SGD",
        reference_sgd,
        {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1, "maximize": True},
    ),
    ("SGD", reference_sgd, {"lr": 0.05, "momentum": 0.8, "dampening": 0.5, "weight_decay": 0.1}),
    ("Adam", reference_adam, {}),
    ("Adam", reference_adam, {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", reference_adam, {"lr": 0.1, "weight_decay": 0.1}),
    ("Adam", reference_adam, {"lr": 0.1, "amsgrad": True}),
    ("Adam", reference_adam, {"lr": 0.1, "maximize": True}),
    ("Adam", reference_adam, {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    ("AdamW", reference_adamw, {}),
    ("AdamW", reference_adamw, {"lr": 0.1, "weight_decay": 0.3}),
    ("AdamW", reference_adamw, {"lr": 0.1, "weight_decay": 0.3, "amsgrad": True, "maximize": True}),
    ("RMSprop", reference_rmsprop, {}),
    ("RMSprop", reference_rmsprop, {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", reference_rmsprop, {"lr": 0.01, "centered": True}),
    ("RMSprop", reference_rmsprop, {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", reference_rmsprop, {"lr": 0.01, "weight_decay": 0.1}),
    ("RMSprop", reference_rmsprop, {"lr": 0.01, "maximize": True}),
    (
        "RMSprop",
        reference_rmsprop,
        {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1, "maximize": True},
    ),
    ("Adagrad", reference_adagrad, {}),
    ("Adagrad", reference_adagrad, {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", reference_adagrad, {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", reference_adagrad, {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("Adagrad", reference_adagrad, {"lr": 0.1, "maximize": True}),
    (
        "Adagrad",
        reference_adagrad,
        {
            "lr": 0.1,
            "lr_decay": 0.05,
            "weight_decay": 0.1,
            "initial_accumulator_value": 0.2,
            "maximize": True,
        },
    ),
]
CASE_IDS = [
    f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items()) or 'defaults'}" for name, _, kwargs in CASES
]


@pytest.mark.parametrize(("name", "reference", "kwargs"), CASES, ids=CASE_IDS)
def test_matches_hand_transcription_of_pytorch_pseudocode(name, reference, kwargs):
    arrays = initial_arrays(np.float64)
    ours = run_ours(getattr(optim, name), kwargs, arrays)
    expected = reference(arrays, **kwargs)
    for step, (got_params, want_params) in enumerate(zip(ours, expected, strict=True)):
        for got, want in zip(got_params, want_params, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=f"step {step + 1}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "reference", "kwargs"), CASES, ids=CASE_IDS)
def test_matches_torch(name, reference, kwargs, dtype):
    torch = pytest.importorskip("torch")
    arrays = initial_arrays(dtype)
    ours = run_ours(getattr(optim, name), kwargs, arrays)

    torch_params = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch_optimizer = getattr(torch.optim, name)(torch_params, **kwargs)
    tolerance = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-11, "atol": 1e-13}
    for step in range(STEPS):
        for index, param in enumerate(torch_params):
            param.grad = torch.from_numpy(quadratic_grad(index, param.detach().numpy()))
        torch_optimizer.step()
        for got, param in zip(ours[step], torch_params, strict=True):
            assert got.dtype == dtype
            np.testing.assert_allclose(got, param.detach().numpy(), **tolerance, err_msg=f"step {step + 1}")


@pytest.mark.parametrize(("name", "reference", "kwargs"), CASES, ids=CASE_IDS)
def test_state_dict_has_torch_layout(name, reference, kwargs):
    torch = pytest.importorskip("torch")
    arrays = initial_arrays(np.float32)
    params = [make_param(a) for a in arrays]
    optimizer = getattr(optim, name)(params, **kwargs)
    torch_params = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch_optimizer = getattr(torch.optim, name)(torch_params, **kwargs)
    for index, (param, torch_param) in enumerate(zip(params, torch_params, strict=True)):
        set_grad(param, quadratic_grad(index, param.data))
        torch_param.grad = torch.from_numpy(quadratic_grad(index, arrays[index]))
    optimizer.step()
    torch_optimizer.step()

    ours, theirs = optimizer.state_dict(), torch_optimizer.state_dict()
    assert set(ours["state"]) == set(theirs["state"])
    for index in theirs["state"]:
        assert set(ours["state"][index]) == set(theirs["state"][index])
        for key, value in ours["state"][index].items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32
                np.testing.assert_allclose(value, theirs["state"][index][key].numpy(), rtol=1e-5, atol=1e-7)
            else:
                assert value == theirs["state"][index][key].item()
    assert ours["param_groups"][0]["params"] == theirs["param_groups"][0]["params"] == [0, 1]
    for key, value in ours["param_groups"][0].items():
        assert theirs["param_groups"][0][key] == value, key


def all_flags_cases():
    return [
        (optim.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1, "maximize": True}),
        (optim.SGD, {"lr": 0.05, "momentum": 0.8, "dampening": 0.5}),
        (optim.Adam, {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
        (optim.AdamW, {"lr": 0.1, "weight_decay": 0.3, "amsgrad": True}),
        (optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
        (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.2}),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("optimizer_class", "kwargs"), all_flags_cases())
def test_resume_from_state_dict_is_bit_exact(optimizer_class, kwargs, dtype):
    arrays = initial_arrays(dtype)
    params = [make_param(a) for a in arrays]
    optimizer = optimizer_class(params, **kwargs)

    def train(optimizer, params, steps):
        for _ in range(steps):
            for index, param in enumerate(params):
                set_grad(param, quadratic_grad(index, param.data))
            optimizer.step()
        return [param.data.copy() for param in params]

    train(optimizer, params, 3)
    snapshot = optimizer.state_dict()
    snapshot_copy = copy.deepcopy(snapshot)
    saved_values = [param.data.copy() for param in params]
    uninterrupted = train(optimizer, params, 4)

    for index, state in snapshot["state"].items():
        for key, value in state.items():
            np.testing.assert_array_equal(value, snapshot_copy["state"][index][key])

    resumed_params = [make_param(a) for a in saved_values]
    resumed_optimizer = optimizer_class(resumed_params, lr=123.0)
    resumed_optimizer.load_state_dict(snapshot)
    resumed = train(resumed_optimizer, resumed_params, 4)
    for got, want in zip(resumed, uninterrupted, strict=True):
        np.testing.assert_array_equal(got, want)
    assert resumed_optimizer.param_groups[0]["lr"] == kwargs["lr"]
    assert resumed_optimizer.param_groups[0]["params"][0] is resumed_params[0]


def test_load_state_dict_casts_state_to_parameter_dtype():
    params64 = [make_param(a) for a in initial_arrays(np.float64)]
    optimizer64 = optim.Adam(params64)
    for index, param in enumerate(params64):
        set_grad(param, quadratic_grad(index, param.data))
    optimizer64.step()

    params32 = [make_param(a) for a in initial_arrays(np.float32)]
    optimizer32 = optim.Adam(params32)
    optimizer32.load_state_dict(optimizer64.state_dict())
    assert optimizer32.state[params32[1]]["exp_avg"].dtype == np.float32
    assert optimizer32.state[params32[1]]["step"] == 1


@pytest.mark.parametrize(("optimizer_class", "kwargs"), all_flags_cases())
def test_update_is_in_place_keeps_dtype_and_leaves_grad_untouched(optimizer_class, kwargs):
    params = [make_param(a) for a in initial_arrays(np.float32)]
    arrays_before = [param.data for param in params]
    optimizer = optimizer_class(params, **kwargs)
    grads = [quadratic_grad(index, param.data) for index, param in enumerate(params)]
    for param, grad in zip(params, grads, strict=True):
        set_grad(param, grad.copy())
    optimizer.step()
    for param, array_before, grad in zip(params, arrays_before, grads, strict=True):
        assert param.data is array_before
        assert param.data.dtype == np.float32
        np.testing.assert_array_equal(param.grad.data, grad)
        for value in optimizer.state[param].values():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32
                assert value.shape == param.shape
        assert param.requires_grad
        assert param.is_leaf


@pytest.mark.parametrize(("optimizer_class", "kwargs"), all_flags_cases())
def test_params_without_grad_are_skipped(optimizer_class, kwargs):
    with_grad, without_grad = (make_param(a) for a in initial_arrays(np.float64))
    before = without_grad.data.copy()
    optimizer = optimizer_class([with_grad, without_grad], **kwargs)
    state_before = copy.deepcopy(optimizer.state.get(without_grad))
    set_grad(with_grad, quadratic_grad(0, with_grad.data))
    optimizer.step()
    np.testing.assert_array_equal(without_grad.data, before)
    state_after = optimizer.state.get(without_grad)
    if state_before is None:
        assert state_after is None
    else:
        assert state_after["step"] == state_before["step"] == 0


def test_zero_grad_sets_to_none_by_default_or_zeros_in_place():
    params = [make_param(a) for a in initial_arrays()]
    optimizer = optim.SGD(params, lr=0.1)
    for index, param in enumerate(params):
        set_grad(param, quadratic_grad(index, param.data))
    grad_array = params[0].grad.data
    optimizer.zero_grad(set_to_none=False)
    assert params[0].grad.data is grad_array
    np.testing.assert_array_equal(grad_array, 0)
    optimizer.zero_grad()
    assert all(param.grad is None for param in params)
    optimizer.zero_grad()


def test_step_with_closure_runs_it_with_grad_enabled_and_returns_the_loss():
    param = make_param(np.array([1.0, -2.0, 3.0]))
    optimizer = optim.SGD([param], lr=0.25)
    calls = []

    def closure():
        calls.append(ag.is_grad_enabled())
        optimizer.zero_grad()
        loss = (param * param).sum()
        loss.backward()
        return loss

    with ag.no_grad():
        loss = optimizer.step(closure)
    assert calls == [True]
    assert float(loss.data) == pytest.approx(14.0)
    np.testing.assert_allclose(param.data, [0.5, -1.0, 1.5])
    assert optimizer.step() is None


def test_per_group_hyperparameters_and_add_param_group():
    first, second = (make_param(a) for a in initial_arrays())
    optimizer = optim.SGD([{"params": [first]}, {"params": second, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [group["lr"] for group in optimizer.param_groups] == [0.1, 0.5]
    assert optimizer.param_groups[1]["momentum"] == 0.9
    assert len(optimizer.param_groups[1]["params"]) == 1
    assert optimizer.param_groups[1]["params"][0] is second

    third = make_param(np.ones(4))
    optimizer.add_param_group({"params": [third], "momentum": 0.0})
    assert optimizer.param_groups[2]["lr"] == 0.1
    assert optimizer.param_groups[2]["momentum"] == 0.0

    first_before, third_before = first.data.copy(), third.data.copy()
    set_grad(first, np.ones_like(first.data))
    set_grad(third, np.ones_like(third.data))
    optimizer.step()
    np.testing.assert_allclose(first.data, first_before - 0.1)
    np.testing.assert_allclose(third.data, third_before - 0.1)
    assert third not in optimizer.state


def test_adagrad_creates_state_when_params_are_added_like_torch():
    param = make_param(np.zeros(3))
    optimizer = optim.Adagrad([param], initial_accumulator_value=0.5)
    assert optimizer.state[param]["step"] == 0
    np.testing.assert_array_equal(optimizer.state[param]["sum"], 0.5)
    extra = make_param(np.zeros(2))
    optimizer.add_param_group({"params": [extra], "initial_accumulator_value": 0.25})
    np.testing.assert_array_equal(optimizer.state[extra]["sum"], 0.25)


HYPERPARAMETER_ERRORS = [
    (optim.SGD, {"lr": -0.1}, "SGD: invalid learning rate -0.1 (must be >= 0)"),
    (optim.SGD, {"lr": float("nan")}, "SGD: invalid learning rate nan (must be >= 0)"),
    (optim.SGD, {"lr": "fast"}, "SGD: invalid learning rate 'fast' (must be >= 0)"),
    (optim.SGD, {"momentum": -0.5}, "SGD: invalid momentum value -0.5 (must be >= 0)"),
    (optim.SGD, {"weight_decay": -1}, "SGD: invalid weight_decay value -1 (must be >= 0)"),
    (
        optim.SGD,
        {"nesterov": True},
        "SGD: nesterov momentum requires momentum > 0 and dampening == 0 (got momentum=0, dampening=0)",
    ),
    (
        optim.SGD,
        {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
        "SGD: nesterov momentum requires momentum > 0 and dampening == 0 (got momentum=0.9, dampening=0.1)",
    ),
    (optim.Adam, {"lr": -1e-3}, "Adam: invalid learning rate -0.001 (must be >= 0)"),
    (optim.Adam, {"eps": -1e-8}, "Adam: invalid epsilon value -1e-08 (must be >= 0)"),
    (optim.Adam, {"betas": (1.0, 0.999)}, "Adam: invalid beta parameter at index 0: 1.0 (must be in [0, 1))"),
    (optim.Adam, {"betas": (0.9, -0.1)}, "Adam: invalid beta parameter at index 1: -0.1 (must be in [0, 1))"),
    (optim.Adam, {"betas": (0.9,)}, "Adam: betas must be a pair (beta1, beta2), got (0.9,)"),
    (optim.Adam, {"weight_decay": -0.1}, "Adam: invalid weight_decay value -0.1 (must be >= 0)"),
    (optim.AdamW, {"betas": (0.9, 1.5)}, "AdamW: invalid beta parameter at index 1: 1.5 (must be in [0, 1))"),
    (optim.AdamW, {"weight_decay": -0.01}, "AdamW: invalid weight_decay value -0.01 (must be >= 0)"),
    (optim.RMSprop, {"lr": -1}, "RMSprop: invalid learning rate -1 (must be >= 0)"),
    (optim.RMSprop, {"alpha": -0.99}, "RMSprop: invalid alpha value -0.99 (must be >= 0)"),
    (optim.RMSprop, {"eps": -1.0}, "RMSprop: invalid epsilon value -1.0 (must be >= 0)"),
    (optim.RMSprop, {"momentum": -0.9}, "RMSprop: invalid momentum value -0.9 (must be >= 0)"),
    (optim.RMSprop, {"weight_decay": -0.1}, "RMSprop: invalid weight_decay value -0.1 (must be >= 0)"),
    (optim.Adagrad, {"lr": -0.01}, "Adagrad: invalid learning rate -0.01 (must be >= 0)"),
    (optim.Adagrad, {"lr_decay": -0.1}, "Adagrad: invalid lr_decay value -0.1 (must be >= 0)"),
    (optim.Adagrad, {"weight_decay": -0.1}, "Adagrad: invalid weight_decay value -0.1 (must be >= 0)"),
    (
        optim.Adagrad,
        {"initial_accumulator_value": -1},
        "Adagrad: invalid initial_accumulator_value -1 (must be >= 0)",
    ),
    (optim.Adagrad, {"eps": -1e-10}, "Adagrad: invalid epsilon value -1e-10 (must be >= 0)"),
]


@pytest.mark.parametrize(("optimizer_class", "kwargs", "message"), HYPERPARAMETER_ERRORS)
def test_invalid_hyperparameters_are_rejected_up_front(optimizer_class, kwargs, message):
    with pytest.raises(InvalidArgumentError) as excinfo:
        optimizer_class([make_param(np.ones(2))], **kwargs)
    assert str(excinfo.value) == message
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize(("optimizer_class", "kwargs", "message"), HYPERPARAMETER_ERRORS)
def test_invalid_group_override_is_rejected_by_add_param_group(optimizer_class, kwargs, message):
    optimizer = optimizer_class([make_param(np.ones(2))])
    with pytest.raises(InvalidArgumentError, match="invalid|requires|pair"):
        optimizer.add_param_group({"params": [make_param(np.ones(2))], **kwargs})
    assert len(optimizer.param_groups) == 1


def test_invalid_hyperparameter_set_after_construction_fails_step_before_any_update():
    first, second = (make_param(a) for a in initial_arrays())
    optimizer = optim.SGD([{"params": [first]}, {"params": [second]}], lr=0.1)
    optimizer.param_groups[1]["lr"] = -1.0
    before = [first.data.copy(), second.data.copy()]
    set_grad(first, np.ones_like(first.data))
    set_grad(second, np.ones_like(second.data))
    with pytest.raises(InvalidArgumentError, match=r"SGD: invalid learning rate -1.0 \(must be >= 0\)"):
        optimizer.step()
    np.testing.assert_array_equal(first.data, before[0])
    np.testing.assert_array_equal(second.data, before[1])


@pytest.mark.parametrize(("optimizer_class", "kwargs"), all_flags_cases())
def test_wrong_grad_shape_raises_before_touching_any_parameter(optimizer_class, kwargs):
    first, second = (make_param(a) for a in initial_arrays())
    optimizer = optimizer_class([first, second], **kwargs)
    state_before = copy.deepcopy(optimizer.state_dict())
    before = [first.data.copy(), second.data.copy()]
    set_grad(first, np.ones_like(first.data))
    set_grad(second, np.ones((3, 2)))
    name = optimizer_class.__name__
    with pytest.raises(
        ShapeError, match=rf"^{name}: grad of shape \(3, 2\) does not match its parameter's shape \(2, 3\)$"
    ):
        optimizer.step()
    np.testing.assert_array_equal(first.data, before[0])
    np.testing.assert_array_equal(second.data, before[1])
    assert optimizer.state_dict().keys() == state_before.keys()
    assert set(optimizer.state_dict()["state"]) == set(state_before["state"])


def test_wrong_grad_dtype_raises_before_touching_any_parameter():
    first, second = (make_param(a) for a in initial_arrays(np.float32))
    optimizer = optim.Adam([first, second])
    before = first.data.copy()
    set_grad(first, np.ones_like(first.data))
    set_grad(second, np.ones(second.shape, dtype=np.float64))
    with pytest.raises(
        DTypeError, match=r"^Adam: grad of dtype float64 does not match its parameter's dtype float32$"
    ):
        optimizer.step()
    np.testing.assert_array_equal(first.data, before)
    assert optimizer.state == {}


def test_empty_parameter_list():
    with pytest.raises(InvalidArgumentError, match=r"^SGD: optimizer got an empty parameter list$"):
        optim.SGD([], lr=0.1)
    with pytest.raises(InvalidArgumentError, match=r"^Adam: optimizer got an empty parameter list$"):
        optim.Adam(iter([]))


def test_param_that_is_not_a_tensor():
    with pytest.raises(
        DTypeError, match=r"^SGD: optimizer can only optimize Tensors, but parameter 1 is a numpy.ndarray$"
    ):
        optim.SGD([make_param(np.ones(2)), np.ones(2)], lr=0.1)
    with pytest.raises(TypeError):
        optim.Adam([[1.0, 2.0]])


def test_single_tensor_instead_of_an_iterable():
    with pytest.raises(
        DTypeError, match=r"^SGD: params must be an iterable of Tensors or dicts, got a single Tensor"
    ):
        optim.SGD(make_param(np.ones(2)), lr=0.1)


def test_integer_parameter_is_rejected():
    integer_param = ag.tensor(np.arange(3), dtype=np.int64)
    with pytest.raises(
        DTypeError, match=r"^SGD: parameter 0 has dtype int64; only floating tensors can be optimized$"
    ):
        optim.SGD([integer_param], lr=0.1)


def test_set_of_params_is_rejected():
    with pytest.raises(
        InvalidArgumentError, match=r"^SGD: params must be an ordered collection \(list or tuple\), not a set"
    ):
        optim.SGD({make_param(np.ones(2))}, lr=0.1)


def test_mixing_tensors_and_groups_is_rejected():
    param = make_param(np.ones(2))
    with pytest.raises(DTypeError, match=r"^SGD: params must be all Tensors or all dicts"):
        optim.SGD([param, {"params": [make_param(np.ones(2))]}], lr=0.1)


def test_same_param_in_two_groups_is_rejected():
    param = make_param(np.ones(2))
    with pytest.raises(
        InvalidArgumentError, match=r"^SGD: some parameters appear in more than one parameter group$"
    ):
        optim.SGD([{"params": [param]}, {"params": [param]}], lr=0.1)

    optimizer = optim.SGD([param], lr=0.1)
    with pytest.raises(InvalidArgumentError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [make_param(np.ones(3)), param]})
    assert len(optimizer.param_groups) == 1


def test_same_param_twice_in_one_group_is_rejected():
    param = make_param(np.ones((2, 2)))
    with pytest.raises(
        InvalidArgumentError,
        match=r"^Adam: parameter 1 \(shape \(2, 2\)\) appears twice in the same parameter group$",
    ):
        optim.Adam([param, param])


def test_bad_param_group_arguments():
    optimizer = optim.SGD([make_param(np.ones(2))], lr=0.1)
    with pytest.raises(DTypeError, match=r"^SGD: a param_group must be a dict, got list$"):
        optimizer.add_param_group([make_param(np.ones(2))])
    with pytest.raises(InvalidArgumentError, match=r"^SGD: a param_group must have a 'params' entry$"):
        optimizer.add_param_group({"lr": 0.1})


def test_load_state_dict_errors_change_nothing():
    params = [make_param(a) for a in initial_arrays()]
    optimizer = optim.Adam(params, lr=0.1)
    for index, param in enumerate(params):
        set_grad(param, quadratic_grad(index, param.data))
    optimizer.step()
    good = optimizer.state_dict()

    other = optim.Adam([make_param(np.ones(3))])
    with pytest.raises(
        InvalidArgumentError,
        match=r"^Adam: loaded parameter group 0 has 2 parameters, the optimizer's has 1$",
    ):
        other.load_state_dict(good)

    two_groups = optim.Adam([{"params": [make_param(np.ones(3))]}, {"params": [make_param(np.ones((2, 3)))]}])
    with pytest.raises(
        InvalidArgumentError, match=r"^Adam: loaded state dict has 1 parameter groups, the optimizer has 2$"
    ):
        two_groups.load_state_dict(good)

    mismatched = [make_param(np.ones(3)), make_param(np.ones((3, 2)))]
    target = optim.Adam(mismatched, lr=0.5)
    with pytest.raises(
        ShapeError,
        match=r"^Adam: loaded state 'exp_avg' has shape \(2, 3\), its parameter has shape \(3, 2\)$",
    ):
        target.load_state_dict(good)
    assert target.state == {}
    assert target.param_groups[0]["lr"] == 0.5

    from_sgd = optim.SGD([make_param(a) for a in initial_arrays()], lr=0.1).state_dict()
    fresh = optim.Adam([make_param(a) for a in initial_arrays()])
    with pytest.raises(
        InvalidArgumentError,
        match=r"^Adam: loaded parameter group 0 lacks hyperparameters \['amsgrad', 'betas', 'eps'\] "
        r"\(was it saved by another kind of optimizer\?\)$",
    ):
        fresh.load_state_dict(from_sgd)

    bad_hyperparameters = copy.deepcopy(good)
    bad_hyperparameters["param_groups"][0]["betas"] = (1.2, 0.999)
    fresh = optim.Adam([make_param(a) for a in initial_arrays()])
    with pytest.raises(InvalidArgumentError, match="invalid beta parameter at index 0"):
        fresh.load_state_dict(bad_hyperparameters)
    assert fresh.state == {}


def test_repr_lists_groups_and_hyperparameters():
    optimizer = optim.SGD([make_param(np.ones(2))], lr=0.1, momentum=0.9)
    text = repr(optimizer)
    assert text.startswith("SGD (")
    assert "Parameter Group 0" in text
    assert "momentum: 0.9" in text


def test_training_a_linear_regression_end_to_end_converges():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    true_w = np.array([1.5, -2.0, 0.5])
    y = x @ true_w
    w = make_param(np.zeros(3))
    optimizer = optim.Adam([w], lr=0.1)
    for _ in range(300):
        optimizer.zero_grad()
        residual = x @ w.data - y
        set_grad(w, 2 * x.T @ residual / len(x))
        optimizer.step()
    np.testing.assert_allclose(w.data, true_w, atol=1e-3)


def test_backward_through_a_graph_recorded_before_the_update_is_refused():
    param = make_param(np.array([1.0, 2.0]))
    optimizer = optim.SGD([param], lr=0.1)
    stale_loss = (param * param).sum()
    set_grad(param, np.ones(2))
    optimizer.step()
    with pytest.raises(GraphError, match="modified in place"):
        stale_loss.backward()


def test_non_leaf_tensor_is_rejected():
    leaf = make_param(np.ones(2))
    with pytest.raises(InvalidArgumentError, match=r"^SGD: can't optimize a non-leaf Tensor \(parameter 0"):
        optim.SGD([leaf * 2], lr=0.1)


def test_training_with_the_engine_and_a_closure_reduces_the_loss():
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.normal(size=(32, 3)))
    y = ag.tensor(x.data @ np.array([1.0, -1.0, 2.0]))
    w = make_param(np.zeros(3))
    optimizer = optim.SGD([w], lr=0.05, momentum=0.9)

    def closure():
        optimizer.zero_grad()
        residual = (x * w).sum(axis=1) - y
        loss = (residual * residual).mean()
        loss.backward()
        return loss

    first = float(optimizer.step(closure).data)
    for _ in range(100):
        last = float(optimizer.step(closure).data)
    assert last < first * 1e-3
