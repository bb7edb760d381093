"""Issue 16's nn path: nn.Linear and the common activation modules go straight to their one op,
and a registered parameter, buffer or child is found without the failed lookup that reaching
Module.__getattr__ costs. Everything is checked against PyTorch (the oracle) and, in float64, by
gradcheck and gradgradcheck; module hooks and attribute semantics stay as before."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.errors import AutogradError, DTypeError, ShapeError

try:  # torch is the oracle only: without it the comparisons skip, the rest still runs
    import torch
except ImportError:  # pragma: no cover
    torch = None
requires_torch = pytest.mark.skipif(torch is None, reason="torch (the test oracle) is not installed")

SHAPES = [(5,), (4, 5), (2, 3, 5)]


def _pair(in_features, out_features, bias, dtype, seed=0):
    """Our Linear and torch's with the same weights."""
    ours = nn.Linear(in_features, out_features, bias=bias, dtype=dtype, generator=seed)
    theirs = torch.nn.Linear(in_features, out_features, bias=bias, dtype=getattr(torch, np.dtype(dtype).name))
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
        if bias:
            theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    return ours, theirs


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@requires_torch
def test_linear_matches_torch(shape, bias, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    ours, theirs = _pair(5, 3, bias, dtype)
    xa = ag.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out, expected = ours(xa), theirs(xt)
    assert out.shape == tuple(expected.shape) and out.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=tol, atol=tol)
    cotangent = rng.standard_normal(out.shape).astype(dtype)
    (out * ag.tensor(cotangent)).sum().backward()
    (expected * torch.from_numpy(cotangent)).sum().backward()
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=tol, atol=tol)
    if bias:
        np.testing.assert_allclose(ours.bias.grad.data, theirs.bias.grad.numpy(), rtol=tol, atol=tol)


def test_linear_is_one_node():
    layer = nn.Linear(5, 3, generator=0)
    out = layer(ag.tensor(np.ones((4, 5), np.float32)))
    assert out.grad_fn.op.name == "linear"
    assert [type(i).__name__ for i in out.grad_fn.inputs[1:]] == ["Parameter", "Parameter"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck_and_gradgradcheck(shape, bias):
    rng = np.random.default_rng(2)
    layer = nn.Linear(5, 3, bias=bias, dtype=np.float64, generator=0)
    params = [layer.weight] + ([layer.bias] if bias else [])
    x = ag.tensor(rng.standard_normal(shape), requires_grad=True)

    def f(x, *ps):  # gradcheck hands in fresh tensors: put them in the layer's registry
        layer._parameters["weight"] = ps[0]
        if bias:
            layer._parameters["bias"] = ps[1]
        return layer(x).tanh()

    inputs = [x] + [ag.tensor(p.data.copy(), requires_grad=True) for p in params]
    assert ag.gradcheck(f, inputs)
    assert ag.gradgradcheck(f, inputs)


def test_linear_other_inputs_take_the_checked_path():
    layer = nn.Linear(5, 3, dtype=np.float64, generator=0)
    x = np.random.default_rng(3).standard_normal((2, 5))
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(x).data, expected)  # a numpy array
    np.testing.assert_allclose(layer(nn.Parameter(x)).data, expected)  # a Tensor subclass
    with pytest.raises(ShapeError, match=r"Linear: expected input with 5 features .*\(2, 4\)"):
        layer(ag.tensor(np.ones((2, 4))))
    with pytest.raises(ShapeError, match="Linear: expected input with 5 features"):
        layer(ag.tensor(1.0))
    assert layer.weight.grad is None  # nothing changed by the failed calls


@pytest.mark.parametrize("name", ["ReLU", "Tanh", "Sigmoid"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@requires_torch
def test_activation_modules_match_torch(name, dtype):
    x = np.random.default_rng(4).standard_normal((3, 4)).astype(dtype)
    xa, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = getattr(nn, name)()(xa), getattr(torch.nn, name)()(xt)
    assert out.dtype == dtype and out.grad_fn.op.name == name.lower()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-6, atol=1e-7)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["ReLU", "Tanh", "Sigmoid"])
@requires_torch
def test_activation_modules_keep_their_checks(name):
    with pytest.raises(DTypeError, match=name.lower()):
        getattr(nn, name)()(ag.tensor(np.arange(3)))
    x = np.linspace(-1, 1, 5)  # a numpy array still works (F's path)
    np.testing.assert_allclose(getattr(nn, name)()(x).data,
                               getattr(torch.nn, name)()(torch.tensor(x)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["ReLU", "Tanh", "Sigmoid"])
def test_activation_gradcheck_and_gradgradcheck(name):
    x = ag.tensor(np.array([[-1.3, 0.4], [0.7, -0.2]]), requires_grad=True)
    module = getattr(nn, name)()
    assert ag.gradcheck(module, [x])
    assert ag.gradgradcheck(module, [x])


def test_hooks_still_run_on_the_fast_path():
    layer, act = nn.Linear(3, 2, generator=0), nn.ReLU()
    calls = []
    layer.register_forward_pre_hook(lambda m, args: calls.append("pre"))
    layer.register_forward_hook(lambda m, args, out: calls.append("post") or out * 2)
    act.register_full_backward_hook(lambda m, gi, go: calls.append(("bwd", go[0].shape)))
    x = ag.tensor(np.ones((4, 3), np.float32), requires_grad=True)
    out = act(layer(x))
    np.testing.assert_allclose(out.data, np.maximum(2 * (x.data @ layer.weight.data.T + layer.bias.data), 0),
                               rtol=1e-6)
    out.sum().backward()
    assert calls == ["pre", "post", ("bwd", (4, 2))]


def test_registered_attributes_are_never_stale():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    first, last = model[0], model[2]
    assert getattr(model, "0") is first and first.weight is first._parameters["weight"]
    del model[0]  # renumbers the children by editing _modules directly
    assert getattr(model, "1") is last and not hasattr(model, "2")
    holder = nn.ModuleDict({"head": nn.Linear(2, 2)})
    holder.body = nn.Linear(2, 2)
    assert holder.head is holder["head"]
    del holder["head"]  # a direct _modules edit
    with pytest.raises(AttributeError, match="'ModuleDict' object has no attribute 'head'"):
        holder.head
    holder._modules.pop("body")
    assert not hasattr(holder, "body")

    layer = nn.Linear(2, 2)
    new = nn.Parameter(np.zeros((2, 2), np.float32))
    layer.weight = new
    assert layer.weight is new
    layer.bias = None
    assert layer.bias is None and layer._parameters["bias"] is None
    del layer.weight
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'weight'"):
        layer.weight


def test_plain_attributes_and_class_access_are_unchanged():
    class Model(nn.Module):
        def __init__(self, registered):
            super().__init__()
            if registered:
                self.scale = nn.Parameter(np.ones(1, np.float32))
            else:
                self.scale = 3.0  # another instance keeps a plain attribute of the same name

    registered, plain = Model(True), Model(False)
    assert isinstance(registered.scale, nn.Parameter) and plain.scale == 3.0
    assert "scale" not in plain._parameters
    with pytest.raises(AttributeError, match="type object 'Model' has no attribute 'scale'"):
        Model.scale
    assert not hasattr(nn.Linear, "weight")
    bare = Model.__new__(Model)  # before __init__: no registries at all
    with pytest.raises(AttributeError):
        bare.scale
    assert issubclass(ShapeError, AutogradError)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@requires_torch
def test_plain_cross_entropy_is_bitwise_the_general_form(dtype):
    """The fast plain-mean path equals the coefficient form (forced here by unit class weights),
    bit for bit, in the loss and the gradient, and matches torch."""
    from nn import functional as F

    rng = np.random.default_rng(5)
    logits = rng.standard_normal((32, 10)).astype(dtype) * 3
    target = rng.integers(0, 10, 32)
    results = []
    for weight in (None, np.ones(10, dtype)):
        x = ag.tensor(logits, requires_grad=True)
        loss = F.cross_entropy(x, target, weight=None if weight is None else ag.tensor(weight))
        loss.backward()
        results.append((loss.data, x.grad.data))
    assert results[0][0].dtype == dtype and results[0][0].tobytes() == results[1][0].tobytes()
    assert results[0][1].tobytes() == results[1][1].tobytes()
    xt = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(xt, torch.from_numpy(target))
    expected.backward()
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(results[0][0], expected.item(), rtol=tol)
    np.testing.assert_allclose(results[0][1], xt.grad.numpy(), rtol=tol, atol=tol)


@requires_torch
def test_plain_cross_entropy_derivatives_and_the_general_cases():
    from nn import functional as F

    rng = np.random.default_rng(6)
    logits = ag.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    target = np.array([0, 2, 1, 2])
    assert ag.gradcheck(lambda x: F.cross_entropy(x, target), [logits])
    assert ag.gradgradcheck(lambda x: F.cross_entropy(x, target), [logits])
    xt = torch.tensor(logits.data)
    for kwargs in ({"ignore_index": 2}, {"label_smoothing": 0.1}, {"reduction": "sum"}):
        ours = F.cross_entropy(logits, target, **kwargs)
        theirs = torch.nn.functional.cross_entropy(xt, torch.from_numpy(target), **kwargs)
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
    everything_ignored = F.cross_entropy(logits, np.full(4, -100))
    assert np.isnan(everything_ignored.data)  # torch: 0/0
