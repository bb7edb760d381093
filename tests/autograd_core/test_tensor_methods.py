"""Tensor method forms of the module functions and PyTorch's tensor helpers (issue 10): x.add(y,
alpha=), x.div, x.neg, ..., .float()/.half()/.bfloat16()/.long()..., .type, .to, .size(dim),
.clone, .new_*, .device, and the dtype objects (ag.float32, ag.long, ...) usable wherever a dtype is
taken. Pinned against torch."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import ops
from autograd_core.errors import InvalidArgumentError, UnsupportedError

torch = pytest.importorskip("torch")


def _pair(shape=(2, 3), seed=0, positive=False):
    data = np.random.default_rng(seed).standard_normal(shape)
    if positive:
        data = np.abs(data) + 0.5
    return ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


@pytest.mark.parametrize("name, args", [
    ("add", ()), ("sub", ()), ("mul", ()), ("div", ()), ("pow", ()), ("maximum", ()),
    ("minimum", ()), ("matmul", ("T",)), ("remainder", ()), ("fmod", ()),
])
def test_binary_methods_match_torch(name, args):
    x, tx = _pair(positive=True)
    y, ty = _pair(seed=1, positive=True)
    if args == ("T",):
        y, ty = y.T, ty.T
    out, tout = getattr(x, name)(y), getattr(tx, name)(ty)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-6)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid",
                                  "relu", "abs", "square", "log1p", "expm1", "erf", "clone"])
def test_unary_methods_match_torch(name):
    x, tx = _pair(positive=True)
    out, tout = getattr(x, name)(), getattr(tx, name)()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-6)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-6)


def test_add_sub_alpha_as_function_and_method():
    x, tx = _pair()
    y, ty = _pair(seed=1)
    for ours, theirs in ((x.add(y, alpha=2.5), tx.add(ty, alpha=2.5)),
                         (ag.add(x, y, alpha=-1), torch.add(tx, ty, alpha=-1)),
                         (x.sub(y, alpha=3), tx.sub(ty, alpha=3)),
                         (ag.sub(x, 2.0, alpha=0.5), torch.sub(tx, 2.0, alpha=0.5))):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy())
    (x.add(y, alpha=2.5) + x.sub(y, alpha=3)).sum().backward()
    (tx.add(ty, alpha=2.5) + tx.sub(ty, alpha=3)).sum().backward()
    np.testing.assert_allclose(y.grad.data, ty.grad.numpy())


def test_where_method_takes_self_as_the_first_branch():
    x, tx = _pair()
    cond = np.array([[True, False, True], [False, False, True]])
    np.testing.assert_allclose(x.where(ag.tensor(cond), 0.0).data,
                               tx.where(torch.tensor(cond), 0.0).detach().numpy())


def test_every_listed_method_is_the_module_function():
    for name in ops._TENSOR_METHODS:
        assert getattr(ag.Tensor, name) is getattr(ops, name), name


def test_every_public_tensor_first_function_has_a_method():
    """Every op function of today's ops/__init__ taking a tensor first is also a Tensor method."""
    not_methods = {"concatenate", "cat", "stack", "where", "einsum", "linear", "normalize_index",
                   "index_scatter", "getitem", "zeros_like", "ones_like", "im2col", "col2im",
                   "softmax_cross_entropy", "class_cross_entropy", "picked_weights",
                   "class_index_coefficients", "binary_cross_entropy_elementwise",
                   "embedding_lookup", "conv_output_size", "apply_nondifferentiable",
                   "meshgrid", "tensordot", "cdist"}  # torch has no such Tensor methods
    missing = [name for name in ops.__all__ if callable(getattr(ops, name))
               and not inspect.isclass(getattr(ops, name)) and name not in not_methods
               and not hasattr(ag.Tensor, name)]
    assert not missing, f"{missing}: add them to ops._TENSOR_METHODS (or, if a method makes no " \
        "sense, to not_methods here)"


# ---- dtype helpers ------------------------------------------------------------------------------

@pytest.mark.parametrize("method, dtype", [
    ("float", "float32"), ("double", "float64"), ("half", "float16"), ("bfloat16", "bfloat16"),
    ("int", "int32"), ("long", "int64"), ("bool", "bool"), ("short", "int16"), ("byte", "uint8"),
    ("char", "int8"),
])
def test_dtype_cast_methods_match_torch(method, dtype):
    data = np.array([[0.0, 1.7, -2.2]])
    ours, theirs = getattr(ag.tensor(data), method)(), getattr(torch.tensor(data), method)()
    assert str(ours.dtype) == dtype == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.data.astype(np.float64), theirs.to(torch.float64).numpy())


def test_float_casts_are_differentiable():
    x, tx = _pair()
    (x.float() * 2).sum().backward()
    (tx.float() * 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


def test_dtype_objects():
    pairs = {"float16": "float16", "bfloat16": "bfloat16", "float32": "float32", "float64": "float64",
             "int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64", "uint8": "uint8",
             "bool": "bool", "long": "int64", "int": "int32", "float": "float32", "double": "float64",
             "half": "float16", "short": "int16"}
    for name, expected in pairs.items():
        dtype = getattr(ag, name)
        assert isinstance(dtype, np.dtype) and dtype.name == expected, name
        assert str(getattr(torch, name)).replace("torch.", "") == expected
        assert ag.zeros(2, dtype=dtype).dtype == dtype
        assert ag.tensor([1, 0], dtype=dtype).dtype == dtype
        assert ag.ones(2).astype(dtype).dtype == dtype
        assert ag.ones(2).to(dtype).dtype == dtype
        assert ag.ones(2).to(f"torch.{name}").dtype == dtype
        assert ag.astype(ag.ones(2), f"torch.{name}").dtype == dtype
        assert ag.full((2,), 1, dtype=dtype).dtype == dtype


def test_type_and_to():
    x = ag.tensor([1.5, -2.0])
    assert x.type() == "autograd_core.FloatTensor" and x.long().type() == "autograd_core.LongTensor"
    assert x.type(ag.float64).dtype == ag.float64
    assert x.type("torch.IntTensor").dtype == ag.int32
    assert x.to("cpu") is x and x.to(ag.device("cpu")) is x and x.cpu() is x
    assert x.to("cpu", ag.int64).dtype == ag.int64
    assert x.to(ag.tensor([1], dtype=ag.int16)).dtype == ag.int16
    assert x.to(dtype=ag.float64, device="cpu").dtype == ag.float64
    assert x.to(copy=True) is not x
    assert x.device == "cpu" and x.device == ag.device("cpu") and str(x.device) == "cpu"
    with pytest.raises(UnsupportedError, match="only 'cpu'"):
        x.to("cuda")


def test_size_numel_dim_and_friends_match_torch():
    x, tx = ag.zeros((2, 3, 4)), torch.zeros((2, 3, 4))
    assert x.size() == tuple(tx.size()) and x.size(1) == tx.size(1) and x.size(-1) == tx.size(-1)
    assert x.size(dim=0) == 2
    assert x.size == 24  # also numpy's .size, which code relies on
    assert x.numel() == x.nelement() == tx.numel() and x.dim() == tx.dim() == x.ndimension()
    assert x.element_size() == tx.element_size()
    assert x.is_floating_point() and not x.long().is_floating_point()
    assert x.bfloat16().is_floating_point() and not x.is_complex()
    with pytest.raises(InvalidArgumentError, match="size: dimension 3"):
        x.size(3)


def test_clone_contiguous_and_as_methods():
    x, tx = _pair((2, 3))
    c = x.clone()
    assert c.data is not x.data and c.grad_fn is not None
    assert x.contiguous() is x
    t = x.T.contiguous()
    assert t.data.flags.c_contiguous
    other = ag.zeros((3, 2))
    out = x.view_as(other) * 2 + x.reshape_as(other) + ag.ones((1, 3)).expand_as(x).reshape(3, 2)
    tout = tx.view_as(torch.zeros(3, 2)) * 2 + tx.reshape_as(torch.zeros(3, 2)) + \
        torch.ones(1, 3).expand_as(tx).reshape(3, 2)
    np.testing.assert_allclose(out.data, tout.detach().numpy())
    (out.sum() + c.sum() + t.sum()).backward()
    (tout.sum() + tx.clone().sum() + tx.T.contiguous().sum()).backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())
    assert ag.gradcheck(lambda a: a.clone() ** 2, [np.ones((2, 2)) * 0.3])
    assert ag.gradgradcheck(lambda a: a.clone() ** 3, [np.ones((2, 2)) * 0.3])


@pytest.mark.parametrize("dtype", ["float32", "int64", "float64"])
def test_new_factories_take_self_dtype(dtype):
    x, tx = ag.zeros(2, dtype=dtype), torch.zeros(2, dtype=getattr(torch, dtype))
    for ours, theirs in ((x.new_zeros(2, 3), tx.new_zeros(2, 3)),
                         (x.new_ones((3,)), tx.new_ones((3,))),
                         (x.new_full((2, 2), 7), tx.new_full((2, 2), 7)),
                         (x.new_tensor([1, 2]), tx.new_tensor([1, 2])),
                         (x.new_empty(4), tx.new_empty(4))):
        assert ours.shape == tuple(theirs.shape)
        assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))
    np.testing.assert_array_equal(x.new_full((2,), 7).data, [7, 7])
    assert x.new_zeros(2, dtype=ag.int32).dtype == ag.int32
    assert ag.zeros(2).new_ones(2, requires_grad=True).requires_grad


def test_bfloat16_casts_are_differentiable_like_torch():
    data = np.array([1.5, -2.25, 3.0])
    x, tx = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out = ((x.bfloat16() * 3) ** 2).float().sum()
    tout = ((tx.bfloat16() * 3) ** 2).float().sum()
    assert out.dtype == ag.float32
    np.testing.assert_allclose(out.data, tout.detach().numpy())
    out.backward()
    tout.backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())
    assert (ag.ones(2, dtype=ag.bfloat16) + ag.ones(2, dtype=ag.float16)).dtype == ag.float32
    assert (ag.ones(2, dtype=ag.bfloat16) * 1.5).dtype == ag.bfloat16
