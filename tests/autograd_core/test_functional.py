"""Function transforms (grad, value_and_grad, vjp, jvp, jacobian, hessian, hvp) against hand
results and torch.func, and gradcheck / gradgradcheck catching deliberately wrong custom ops."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import AutogradError, GraphError
from autograd_core.graph import Op, apply

X = np.array([0.5, -1.0, 2.0])
W = np.array([[0.3, -0.2, 0.1], [0.5, 0.4, -0.6]])


def cubic(x):
    return (x ** 3).sum()


def mlp_like(x, w):
    """A scalar function of two inputs with some curvature in both."""
    return (ag.tanh(w @ x) * (w @ x)).sum() + (x * x).sum()


def mlp_like_torch(x, w):
    import torch

    return (torch.tanh(w @ x) * (w @ x)).sum() + (x * x).sum()


def vector_fn(x):
    """R^3 -> R^2: [x0 * x1, sin(x2) + x0^2]."""
    return ag.stack([x[0] * x[1], ag.sin(x[2]) + x[0] ** 2])


def vector_fn_torch(x):
    import torch

    return torch.stack([x[0] * x[1], torch.sin(x[2]) + x[0] ** 2])


def hand_jacobian(x):
    return np.array([[x[1], x[0], 0.0], [2 * x[0], 0.0, np.cos(x[2])]])


# ---- grad / value_and_grad -------------------------------------------------------------------------

@pytest.mark.parametrize("make_input", [
    lambda: X.copy(), lambda: ag.tensor(X), lambda: ag.tensor(X, requires_grad=True),
    lambda: list(X),
], ids=["ndarray", "tensor-without-grad", "tensor-with-grad", "list"])
def test_grad_accepts_inputs_that_do_not_require_grad(make_input) -> None:
    g = ag.grad(cubic)(make_input())
    assert isinstance(g, ag.Tensor)
    np.testing.assert_allclose(g.data, 3 * X ** 2)


def test_grad_of_a_python_float() -> None:
    assert ag.grad(lambda x: x ** 3)(2.0).item() == 12.0


def test_grad_does_not_touch_the_callers_grad() -> None:
    x = ag.tensor(X, requires_grad=True)
    ag.grad(cubic)(x)
    assert x.grad is None


def test_grad_argnums_int_and_tuple() -> None:
    dw = ag.grad(mlp_like, argnums=1)(X, W)
    assert dw.shape == W.shape
    dx, dw2 = ag.grad(mlp_like, argnums=(0, 1))(X, W)
    assert dx.shape == X.shape
    np.testing.assert_allclose(dw.data, dw2.data)


def test_grad_matches_torch_func() -> None:
    torch = pytest.importorskip("torch")
    dx, dw = ag.grad(mlp_like, argnums=(0, 1))(X, W)
    tdx, tdw = torch.func.grad(mlp_like_torch, argnums=(0, 1))(torch.tensor(X), torch.tensor(W))
    np.testing.assert_allclose(dx.data, tdx.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dw.data, tdw.numpy(), rtol=1e-12)


def test_grad_of_a_non_scalar_function_raises() -> None:
    with pytest.raises(GraphError, match="must return a scalar"):
        ag.grad(lambda x: x * 2)(X)


def test_grad_has_aux() -> None:
    g, aux = ag.grad(lambda x: ((x ** 2).sum(), "extra"), has_aux=True)(X)
    assert aux == "extra"
    np.testing.assert_allclose(g.data, 2 * X)


def test_grad_of_an_input_the_function_ignores_is_zero() -> None:
    dx, dy = ag.grad(lambda x, y: (x * 2).sum(), argnums=(0, 1))(X, np.ones(2))
    np.testing.assert_array_equal(dy.data, np.zeros(2))


def test_grad_of_grad_with_create_graph() -> None:
    second = ag.grad(ag.grad(lambda x: x ** 4, create_graph=True))
    assert second(2.0).item() == 48.0


def test_value_and_grad() -> None:
    value, g = ag.value_and_grad(cubic)(X)
    assert value.item() == pytest.approx(np.sum(X ** 3))
    np.testing.assert_allclose(g.data, 3 * X ** 2)
    (value, aux), g = ag.value_and_grad(lambda x: (cubic(x), 7), has_aux=True)(X)
    assert aux == 7


def test_grad_with_a_bad_argnum_raises() -> None:
    with pytest.raises(ag.InvalidArgumentError, match="argnums 2"):
        ag.grad(cubic, argnums=2)(X)


# ---- vjp / jvp --------------------------------------------------------------------------------------

def test_vjp_by_hand() -> None:
    out, vjp_fn = ag.vjp(vector_fn, X)
    np.testing.assert_allclose(out.data, [X[0] * X[1], np.sin(X[2]) + X[0] ** 2])
    v = np.array([1.0, -2.0])
    (g,) = vjp_fn(v)
    np.testing.assert_allclose(g.data, v @ hand_jacobian(X))
    (g_again,) = vjp_fn(np.array([0.0, 1.0]))  # the vjp function can be called repeatedly
    np.testing.assert_allclose(g_again.data, hand_jacobian(X)[1])


def test_vjp_with_two_primals_matches_torch_func() -> None:
    torch = pytest.importorskip("torch")
    out, vjp_fn = ag.vjp(lambda x, w: ag.tanh(w @ x), X, W)
    v = np.array([0.7, -1.3])
    gx, gw = vjp_fn(v)
    t_out, t_vjp = torch.func.vjp(lambda x, w: torch.tanh(w @ x), torch.tensor(X), torch.tensor(W))
    tgx, tgw = t_vjp(torch.tensor(v))
    np.testing.assert_allclose(out.data, t_out.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx.data, tgx.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gw.data, tgw.numpy(), rtol=1e-12)


def test_vjp_results_are_plain_unless_create_graph() -> None:
    _, vjp_fn = ag.vjp(lambda x: x ** 3, X)
    (g,) = vjp_fn(np.ones(3))
    assert not g.requires_grad and g.grad_fn is None
    _, vjp_fn = ag.vjp(lambda x: x ** 3, X, create_graph=True)
    (g,) = vjp_fn(ag.tensor(np.ones(3)))
    assert g.requires_grad
    second = ag.grad(lambda x: (ag.vjp(lambda y: y ** 3, x, create_graph=True)[1](np.ones(3))[0])
                     .sum())(X)
    np.testing.assert_allclose(second.data, 6 * X)


def test_vjp_cotangent_of_wrong_shape_raises() -> None:
    _, vjp_fn = ag.vjp(vector_fn, X)
    with pytest.raises(GraphError, match="cotangent has shape"):
        vjp_fn(np.ones(3))


def test_jvp_by_hand() -> None:
    t = np.array([1.0, 0.5, -1.0])
    out, tangent = ag.jvp(vector_fn, (X,), (t,))
    np.testing.assert_allclose(out.data, vector_fn(ag.tensor(X)).data)
    np.testing.assert_allclose(tangent.data, hand_jacobian(X) @ t)


def test_jvp_matches_torch_func() -> None:
    torch = pytest.importorskip("torch")
    tx, tw = np.array([0.1, 0.2, 0.3]), np.ones_like(W) * 0.5
    out, tangent = ag.jvp(lambda x, w: ag.tanh(w @ x) * 2, (X, W), (tx, tw))
    t_out, t_tangent = torch.func.jvp(lambda x, w: torch.tanh(w @ x) * 2,
                                      (torch.tensor(X), torch.tensor(W)),
                                      (torch.tensor(tx), torch.tensor(tw)))
    np.testing.assert_allclose(out.data, t_out.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tangent.data, t_tangent.numpy(), rtol=1e-12)


def test_jvp_tangent_of_wrong_shape_raises() -> None:
    with pytest.raises(GraphError, match=r"jvp: tangent has shape \(2,\), primal has shape \(3,\)"):
        ag.jvp(lambda x: x * 2, (X,), (np.ones(2),))


@pytest.mark.parametrize("transform", [
    lambda f: ag.vjp(f, X), lambda f: ag.jvp(f, (X,), (X,)), lambda f: ag.jacobian(f)(X),
    lambda f: ag.hvp(f, (X,), (X,)), lambda f: ag.grad(f)(X), lambda f: ag.hessian(f)(X),
], ids=["vjp", "jvp", "jacobian", "hvp", "grad", "hessian"])
def test_transforms_of_a_function_that_returns_no_tensor_raise_graph_error(transform) -> None:
    with pytest.raises(GraphError, match="the function must return a Tensor, got float"):
        transform(lambda x: 1.0)


@pytest.mark.parametrize("transform", [
    lambda: ag.grad(cubic)(X), lambda: ag.jacobian(vector_fn)(X), lambda: ag.hessian(cubic)(X),
    lambda: ag.jvp(vector_fn, (X,), (X,))[1], lambda: ag.hvp(cubic, (X,), (X,))[1],
    lambda: ag.vjp(vector_fn, X)[1](np.ones(2))[0],
], ids=["grad", "jacobian", "hessian", "jvp", "hvp", "vjp"])
def test_transforms_work_inside_no_grad(transform) -> None:
    expected = transform()
    with ag.no_grad():
        inside = transform()
    np.testing.assert_allclose(inside.data, expected.data)
    assert not inside.requires_grad


def test_jvp_of_a_linear_function_and_a_constant_function() -> None:
    _, tangent = ag.jvp(lambda x: x * 3, (X,), (np.ones(3),))
    np.testing.assert_allclose(tangent.data, [3.0, 3.0, 3.0])
    _, zero = ag.jvp(lambda x: ag.tensor(np.ones(2)), (X,), (np.ones(3),))
    np.testing.assert_array_equal(zero.data, np.zeros(2))


# ---- jacobian / hessian / hvp -----------------------------------------------------------------------

def test_jacobian_by_hand_and_shape() -> None:
    jac = ag.jacobian(vector_fn)(X)
    assert jac.shape == (2, 3)
    np.testing.assert_allclose(jac.data, hand_jacobian(X))


def test_jacobian_of_matrix_input_has_output_then_input_shape() -> None:
    jac = ag.jacobian(lambda w: w @ X)(W)
    assert jac.shape == (2, 2, 3)
    expected = np.zeros((2, 2, 3))
    expected[0, 0], expected[1, 1] = X, X
    np.testing.assert_allclose(jac.data, expected)


def test_jacobian_with_several_argnums_matches_torch_func() -> None:
    torch = pytest.importorskip("torch")
    jx, jw = ag.jacobian(lambda x, w: ag.tanh(w @ x), argnums=(0, 1))(X, W)
    tjx, tjw = torch.func.jacrev(lambda x, w: torch.tanh(w @ x), argnums=(0, 1))(
        torch.tensor(X), torch.tensor(W))
    np.testing.assert_allclose(jx.data, tjx.numpy(), rtol=1e-12)
    np.testing.assert_allclose(jw.data, tjw.numpy(), rtol=1e-12)


def test_hessian_by_hand() -> None:
    h = ag.hessian(cubic)(X)
    np.testing.assert_allclose(h.data, np.diag(6 * X))
    cross = ag.hessian(lambda x: x[0] * x[1] * x[2])(X)
    np.testing.assert_allclose(cross.data, [[0, X[2], X[1]], [X[2], 0, X[0]], [X[1], X[0], 0]])


def test_hessian_matches_torch_func() -> None:
    torch = pytest.importorskip("torch")
    h = ag.hessian(lambda x: mlp_like(x, ag.tensor(W)))(X)
    th = torch.func.hessian(lambda x: mlp_like_torch(x, torch.tensor(W)))(torch.tensor(X))
    np.testing.assert_allclose(h.data, th.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.data, h.data.T, rtol=1e-12)


def test_hvp_equals_hessian_times_vector() -> None:
    v = np.array([1.0, -1.0, 0.5])
    f = lambda x: mlp_like(x, ag.tensor(W))
    value, product = ag.hvp(f, (X,), (v,))
    assert value.item() == pytest.approx(f(ag.tensor(X)).item())
    np.testing.assert_allclose(product.data, ag.hessian(f)(X).data @ v, rtol=1e-10)
    np.testing.assert_allclose(ag.hvp(cubic, (X,), (v,))[1].data, 6 * X * v)


def test_hvp_matches_torch_double_backward() -> None:
    torch = pytest.importorskip("torch")
    v = np.array([0.3, 0.2, -0.4])
    _, product = ag.hvp(lambda x, w: mlp_like(x, w), (X, W), (v, np.ones_like(W)))
    tx, tw = torch.tensor(X, requires_grad=True), torch.tensor(W, requires_grad=True)
    gx, gw = torch.autograd.grad(mlp_like_torch(tx, tw), (tx, tw), create_graph=True)
    dot = (gx * torch.tensor(v)).sum() + (gw * torch.ones_like(gw)).sum()
    hx, hw = torch.autograd.grad(dot, (tx, tw))
    np.testing.assert_allclose(product[0].data, hx.numpy(), rtol=1e-10)
    np.testing.assert_allclose(product[1].data, hw.numpy(), rtol=1e-10)


# ---- gradcheck / gradgradcheck -----------------------------------------------------------------------

class WrongSecondInputGradient(Op):
    """a * b whose vjp for b is off by a factor 2 at element (1, 1) only."""
    name = "wrong_mul"
    forward = staticmethod(np.multiply)

    def vjp(xp, needs, g, out, a, b):
        scale = np.ones(np.shape(b))
        scale[1, 1] = 2.0
        return g * b, g * a * scale


class FrozenCurvatureSin(Op):
    """sin whose vjp is right but treats cos(x) as a constant, so its second derivative is wrong."""
    name = "frozen_sin"
    forward = staticmethod(np.sin)

    def vjp(xp, needs, g, out, x):
        raw = x.data if isinstance(x, ag.Tensor) else x
        return (g * np.cos(raw),)


A = np.arange(1.0, 7.0).reshape(2, 3)
B = np.linspace(-1.0, 1.0, 6).reshape(2, 3)


def test_gradcheck_returns_true_for_correct_ops() -> None:
    assert ag.gradcheck(lambda a, b: (a * b).exp(), [A / 6, B]) is True
    assert ag.gradcheck(ag.tanh, ag.tensor(B)) is True  # a single input, not in a list


def test_gradcheck_locates_the_worst_element_of_a_wrong_custom_op() -> None:
    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(lambda a, b: apply(WrongSecondInputGradient, (a, b)), [A, B])
    message = str(info.value)
    assert message.startswith("gradcheck: gradient of input 1 (shape (2, 3)) is wrong at element (1, 1)")
    values = message.split("analytic ")[1].split("vs numeric ")
    analytic, numeric = [float(part.split()[0]) for part in values]
    assert analytic == pytest.approx(2 * numeric, rel=1e-6)


def test_gradcheck_error_is_a_graph_error_and_a_runtime_error() -> None:
    assert issubclass(ag.GradcheckError, GraphError)
    assert issubclass(ag.GradcheckError, RuntimeError)
    assert issubclass(ag.GradcheckError, AutogradError)
    with pytest.raises(RuntimeError):
        ag.gradcheck(lambda a, b: apply(WrongSecondInputGradient, (a, b)), [A, B])


def test_gradcheck_without_raising_returns_false() -> None:
    ok = ag.gradcheck(lambda a, b: apply(WrongSecondInputGradient, (a, b)), [A, B],
                      raise_exception=False)
    assert ok is False


def test_gradcheck_and_gradgradcheck_pass_integer_inputs_through_unchanged() -> None:
    index = np.array([1, 0, 1])
    assert ag.gradcheck(lambda x, i: x[i] ** 3, [B, index])
    assert ag.gradgradcheck(lambda x, i: x[i] ** 3, [B, index])
    assert ag.gradcheck(lambda x, m: ag.where(m, x, 0.0) ** 2, [B, B > 0])


def test_gradcheck_requires_a_tensor_output() -> None:
    with pytest.raises(ag.GradcheckError, match="must return a Tensor"):
        ag.gradcheck(lambda x: 1.0, [B])


def test_gradgradcheck_passes_the_first_order_check_but_catches_a_wrong_second_derivative() -> None:
    frozen = lambda x: apply(FrozenCurvatureSin, (x,))
    assert ag.gradcheck(frozen, [B])
    with pytest.raises(ag.GradcheckError, match=r"gradient of input 0 \(shape \(2, 3\)\) is wrong at "
                                                r"element \(\d, \d\): analytic .* vs numeric"):
        ag.gradgradcheck(frozen, [B])
    assert ag.gradgradcheck(frozen, [B], raise_exception=False) is False


def test_gradgradcheck_returns_true_for_correct_ops() -> None:
    assert ag.gradgradcheck(lambda a, b: ag.sin(a) * b ** 2, [A / 6, B]) is True
