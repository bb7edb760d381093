"""autograd.Function, autograd.grad/backward/gradcheck and autograd.functional against torch."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.autograd import Function, once_differentiable
from autograd_core.errors import AutogradError, GraphError, InvalidArgumentError, ShapeError

torch = pytest.importorskip("torch")


def rng():
    return np.random.default_rng(0)


class Legendre3(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x ** 2 - 1)


class TorchLegendre3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x ** 2 - 1)


class Exp(Function):
    """Saves its own output: backward must use it without a reference cycle."""

    @staticmethod
    def forward(ctx, x):
        result = x.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


class ScaledMul(Function):
    """Two tensor inputs, a non-tensor argument and a ctx attribute."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.scale = scale
        ctx.save_for_backward(a, b)
        return a * b * scale

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b * ctx.scale if ctx.needs_input_grad[0] else None,
                g * a * ctx.scale if ctx.needs_input_grad[1] else None, None)


class SortWithIndices(Function):
    """Two outputs, one of them non-differentiable."""

    @staticmethod
    def forward(ctx, x):
        order = np.argsort(x.data, axis=-1, kind="stable")
        values = ag.tensor(np.take_along_axis(x.data, order, -1))
        indices = ag.tensor(order)
        ctx.mark_non_differentiable(indices)
        ctx.order = order
        return values, indices

    @staticmethod
    def backward(ctx, g_values, g_indices):
        grad = np.zeros_like(g_values.data)
        np.put_along_axis(grad, ctx.order, g_values.data, -1)
        return ag.tensor(grad)


class SplitHalves(Function):
    """Two differentiable outputs."""

    @staticmethod
    def forward(ctx, x):
        n = x.shape[0] // 2
        return x[:n] * 2, x[n:] ** 2 + 0

    @staticmethod
    def backward(ctx, g1, g2):
        return None  # replaced below per test


def test_legendre_matches_torch_values_and_grads():
    x = rng().standard_normal(7)
    ours = ag.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y = Legendre3.apply(ours)
    yt = TorchLegendre3.apply(theirs)
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12)


def test_custom_function_named_after_its_class():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = Legendre3.apply(x)
    assert y.grad_fn.name == "Legendre3"
    assert "Legendre3" in repr(y.grad_fn)
    with ag.Tape() as tape:
        Legendre3.apply(x)
    assert "Legendre3" in str(tape)


def test_custom_function_gradcheck_first_and_second_order():
    x = ag.tensor(rng().standard_normal(5), requires_grad=True)
    assert ag.gradcheck(Legendre3.apply, [x])
    assert ag.gradgradcheck(Legendre3.apply, [x])
    assert ag.autograd.gradcheck(Legendre3.apply, (x,))
    assert ag.autograd.gradgradcheck(Legendre3.apply, (x,))


def test_custom_function_create_graph_matches_torch_second_derivative():
    x = rng().standard_normal(4)
    ours = ag.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    (g,) = ag.autograd.grad(Legendre3.apply(ours).sum(), ours, create_graph=True)
    (gt,) = torch.autograd.grad(TorchLegendre3.apply(theirs).sum(), theirs, create_graph=True)
    (h,) = ag.autograd.grad(g.sum(), ours)
    (ht,) = torch.autograd.grad(gt.sum(), theirs)
    np.testing.assert_allclose(h.data, ht.numpy(), rtol=1e-12)


def test_saved_output_is_used_and_graph_has_no_cycle():
    import gc
    import weakref

    x = ag.tensor([0.5, -1.0], requires_grad=True)
    y = Exp.apply(x)
    node = weakref.ref(y.grad_fn)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp([0.5, -1.0]))
    gc.disable()
    try:
        del y
        assert node() is None, "the custom node was kept alive by a reference cycle"
    finally:
        gc.enable()
    assert ag.gradgradcheck(Exp.apply, [ag.tensor([0.3, 0.1])])


def test_non_tensor_arguments_ctx_attributes_and_needs_input_grad():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0])
    seen = {}

    class Probe(ScaledMul):
        @staticmethod
        def backward(ctx, g):
            seen["needs"] = ctx.needs_input_grad
            return ScaledMul.backward(ctx, g)

    Probe.apply(a, b, 2.0).sum().backward()
    assert seen["needs"] == (True, False, False)
    np.testing.assert_allclose(a.grad.data, [6.0, 8.0])
    assert b.grad is None


def test_mark_non_differentiable_outputs():
    x = ag.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = SortWithIndices.apply(x)
    assert not indices.requires_grad and indices.dtype.kind == "i"
    (values * ag.tensor([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_allclose(x.grad.data, [100.0, 1.0, 10.0])


def test_two_differentiable_outputs_get_their_own_gradients():
    class Halves(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            n = x.shape[0] // 2
            return x[:n] * 2, x[n:] ** 2

        @staticmethod
        def backward(ctx, g1, g2):
            (x,) = ctx.saved_tensors
            n = x.shape[0] // 2
            return ag.concatenate([g1 * 2, g2 * 2 * x[n:]])

    x = ag.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    first, second = Halves.apply(x)
    (first.sum() + 10 * second.sum()).backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0, 60.0, 80.0])
    x.grad = None
    first, _ = Halves.apply(x)  # the unused output gets zeros
    first.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0, 0.0, 0.0])
    assert ag.gradcheck(lambda t: ag.concatenate(Halves.apply(t)), [ag.tensor([0.5, 1.5, 2.0, 3.0])])


def test_backward_wrong_number_or_shape_of_gradients_raise_typed_errors():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    class WrongShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return ag.ones(5)

    a = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(InvalidArgumentError, match="TooFew.backward returned an incorrect number"):
        TooFew.apply(a, a).sum().backward()
    with pytest.raises(ShapeError, match=r"WrongShape.backward returned an invalid gradient at index 0"):
        WrongShape.apply(a).sum().backward()


def test_forward_must_return_tensors():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a):
            return 3

    with pytest.raises(InvalidArgumentError, match="Bad.forward must return tensors"):
        Bad.apply(ag.tensor([1.0], requires_grad=True))


def test_once_differentiable_refuses_double_backward():
    class Once(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    x = ag.tensor([1.0, 3.0], requires_grad=True)
    Once.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 6.0])
    (g,) = ag.autograd.grad(Once.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, [2.0, 6.0])
    with pytest.raises(GraphError, match="once_differentiable"):
        g.sum().backward()


def test_custom_function_in_trace_raises_at_trace_time():
    from autograd_core.errors import UnsupportedError

    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(UnsupportedError, match="Legendre3"):
        ag.trace(lambda t: Legendre3.apply(t).sum(), x)


# ---- autograd.grad / backward --------------------------------------------------------------------

def test_autograd_grad_matches_torch_including_create_graph():
    data = rng().standard_normal((3, 2))
    x = ag.tensor(data, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    y, yt = (x.tanh() * x).sum(), (xt.tanh() * xt).sum()
    (g,) = ag.autograd.grad(y, x, create_graph=True)
    (gt,) = torch.autograd.grad(yt, xt, create_graph=True)
    np.testing.assert_allclose(g.data, gt.detach().numpy(), rtol=1e-12)
    (gg,) = ag.autograd.grad(g.sum(), [x])
    (ggt,) = torch.autograd.grad(gt.sum(), [xt])
    np.testing.assert_allclose(gg.data, ggt.numpy(), rtol=1e-12)
    assert x.grad is None


def test_autograd_grad_outputs_and_unused_inputs():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    z = ag.tensor([5.0], requires_grad=True)
    y = x * 3
    (g,) = ag.autograd.grad(y, x, grad_outputs=ag.tensor([1.0, 10.0]), retain_graph=True)
    np.testing.assert_allclose(g.data, [3.0, 30.0])
    with pytest.raises(GraphError, match="implicitly created only for scalar outputs"):
        ag.autograd.grad(y, x, retain_graph=True)
    with pytest.raises(GraphError, match="allow_unused"):
        ag.autograd.grad(y.sum(), [x, z], retain_graph=True)
    gx, gz = ag.autograd.grad(y.sum(), [x, z], allow_unused=True, retain_graph=True)
    assert gz is None
    _, gz = ag.autograd.grad(y.sum(), [x, z], materialize_grads=True)
    np.testing.assert_array_equal(gz.data, [0.0])
    with pytest.raises(ShapeError, match="mismatch in shape"):
        ag.autograd.grad(x * 2, x, grad_outputs=ag.ones(3))
    with pytest.raises(GraphError, match="does not require grad"):
        ag.autograd.grad(ag.tensor([1.0]).sum(), x)


def test_autograd_backward_accumulates_like_torch():
    data = rng().standard_normal(3)
    x = ag.tensor(data, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    ag.autograd.backward([(x * x).sum(), x.sin()], [None, ag.ones(3)])
    torch.autograd.backward([(xt * xt).sum(), xt.sin()], [None, torch.ones(3)])
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-12)


def test_set_detect_anomaly_as_call_and_context():
    previous = ag.is_anomaly_enabled()
    with ag.autograd.set_detect_anomaly(True):
        assert ag.is_anomaly_enabled()
    assert ag.is_anomaly_enabled() == previous


def test_torch_style_gradcheck_checks_only_inputs_requiring_grad():
    a = ag.tensor(rng().standard_normal(3), requires_grad=True)
    b = ag.tensor(rng().standard_normal(3))
    assert ag.autograd.gradcheck(lambda x, y: (x * y).exp(), (a, b))
    assert ag.autograd.gradcheck(lambda x, y: (x * y, x.sin()), (a, b))
    with pytest.raises(InvalidArgumentError, match="at least one input tensor to require grad"):
        ag.autograd.gradcheck(lambda x: x, (b,))

    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    with pytest.raises(AutogradError):
        ag.autograd.gradcheck(Wrong.apply, (a,))
    assert ag.autograd.gradcheck(Wrong.apply, (a,), raise_exception=False) is False


# ---- autograd.functional -------------------------------------------------------------------------

def _pair(fn_ours, fn_torch, *arrays):
    return fn_ours, fn_torch, [ag.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def _assert_same(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _assert_same(o, t)
    else:
        assert isinstance(ours, ag.Tensor)
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_functional_jacobian_structures_match_torch():
    r = rng()
    a, b = r.standard_normal(3), r.standard_normal(2)
    f = lambda x: x.sin() * x  # noqa: E731
    _assert_same(ag.autograd.functional.jacobian(f, ag.tensor(a)),
                 torch.autograd.functional.jacobian(f, torch.tensor(a)))
    g = lambda x, y: (x.sum() * y, x * 2)  # noqa: E731
    _assert_same(ag.autograd.functional.jacobian(g, (ag.tensor(a), ag.tensor(b))),
                 torch.autograd.functional.jacobian(g, (torch.tensor(a), torch.tensor(b))))
    h = lambda x, y: x.sum() * y  # noqa: E731
    _assert_same(ag.autograd.functional.jacobian(h, (ag.tensor(a), ag.tensor(b))),
                 torch.autograd.functional.jacobian(h, (torch.tensor(a), torch.tensor(b))))


def test_functional_hessian_vjp_jvp_hvp_vhp_match_torch():
    r = rng()
    a, b, v1, v2 = (r.standard_normal(3) for _ in range(4))
    f = lambda x: (x.exp() * x).sum()  # noqa: E731
    F = torch.autograd.functional
    G = ag.autograd.functional
    _assert_same(G.hessian(f, ag.tensor(a)), F.hessian(f, torch.tensor(a)))
    g2 = lambda x, y: (x * y.sin()).sum()  # noqa: E731
    _assert_same(G.hessian(g2, (ag.tensor(a), ag.tensor(b))),
                 F.hessian(g2, (torch.tensor(a), torch.tensor(b))))
    m = lambda x: x.tanh() * 3  # noqa: E731
    _assert_same(G.vjp(m, ag.tensor(a), ag.tensor(v1)), F.vjp(m, torch.tensor(a), torch.tensor(v1)))
    _assert_same(G.jvp(m, ag.tensor(a), ag.tensor(v1)), F.jvp(m, torch.tensor(a), torch.tensor(v1)))
    _assert_same(G.hvp(f, ag.tensor(a), ag.tensor(v2)), F.hvp(f, torch.tensor(a), torch.tensor(v2)))
    _assert_same(G.vhp(f, ag.tensor(a), ag.tensor(v2)), F.vhp(f, torch.tensor(a), torch.tensor(v2)))
    _assert_same(G.vjp(f, ag.tensor(a)), F.vjp(f, torch.tensor(a)))
    _assert_same(G.hvp(g2, (ag.tensor(a), ag.tensor(b)), (ag.tensor(v1), ag.tensor(v2))),
                 F.hvp(g2, (torch.tensor(a), torch.tensor(b)), (torch.tensor(v1), torch.tensor(v2))))


def test_functional_strict_and_argument_errors():
    G = ag.autograd.functional
    x = ag.tensor([1.0, 2.0])
    with pytest.raises(GraphError, match="independent of input 0"):
        G.jacobian(lambda t: ag.ones(2) * 1.0, x, strict=True)
    np.testing.assert_array_equal(G.jacobian(lambda t: ag.ones(2) * 1.0, x).data, np.zeros((2, 2)))
    with pytest.raises(InvalidArgumentError, match="v can be omitted only"):
        G.vjp(lambda t: t * 2, x)
    with pytest.raises(ShapeError, match="v\\[0\\] has shape"):
        G.jvp(lambda t: t * 2, x, ag.ones(3))
    with pytest.raises(InvalidArgumentError, match="single element"):
        G.hessian(lambda t: t * 2, x)


def test_functional_create_graph_keeps_results_differentiable():
    x = ag.tensor([0.3, -0.2], requires_grad=True)
    jac = ag.autograd.functional.jacobian(lambda t: t ** 3, x, create_graph=True)
    jac.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)
