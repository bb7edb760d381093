"""The Tensor API: factories, dtype defaults, attributes, conversion methods, repr, grad modes
(context managers, decorators, thread-local), and the autograd methods on Tensor."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import DTypeError, GraphError, InvalidArgumentError


# ---- factories -----------------------------------------------------------------------------------

@pytest.mark.parametrize("make, shape, fill", [
    (lambda **kw: ag.zeros(2, 3, **kw), (2, 3), 0.0),
    (lambda **kw: ag.zeros((2, 3), **kw), (2, 3), 0.0),
    (lambda **kw: ag.ones(4, **kw), (4,), 1.0),
    (lambda **kw: ag.ones([2, 2], **kw), (2, 2), 1.0),
    (lambda **kw: ag.full((2, 2), 7.5, **kw), (2, 2), 7.5),
    (lambda **kw: ag.zeros_like(np.empty((3, 1)), **kw), (3, 1), 0.0),
    (lambda **kw: ag.ones_like(ag.zeros(2, 5), **kw), (2, 5), 1.0),
], ids=["zeros-varargs", "zeros-tuple", "ones", "ones-list", "full", "zeros_like", "ones_like"])
def test_constant_factories_shape_value_dtype_and_requires_grad(make, shape, fill) -> None:
    t = make()
    assert t.shape == shape and (t.data == fill).all()
    assert not t.requires_grad and t.is_leaf
    t64 = make(dtype=np.float64, requires_grad=True)
    assert t64.dtype == np.float64 and t64.requires_grad and t64.is_leaf


def test_zeros_and_ones_take_the_default_float_dtype() -> None:
    assert ag.zeros(2).dtype == np.float32
    assert ag.ones(2).dtype == np.float32
    assert ag.full((2,), 1.5).dtype == np.float32
    assert ag.eye(2).dtype == np.float32


def test_like_factories_keep_the_source_dtype() -> None:
    source = ag.tensor(np.zeros((2,), dtype=np.float64))
    assert ag.zeros_like(source).dtype == np.float64
    assert ag.ones_like(source, dtype=np.float32).dtype == np.float32


def test_tensor_factory_copies_its_input() -> None:
    array = np.array([1.0, 2.0])
    t = ag.tensor(array)
    array[0] = 100.0
    assert t.data[0] == 1.0


def test_arange() -> None:
    np.testing.assert_array_equal(ag.arange(4).data, [0, 1, 2, 3])
    assert ag.arange(4).dtype == np.int64
    np.testing.assert_array_equal(ag.arange(1, 7, 2).data, [1, 3, 5])
    floats = ag.arange(0.0, 1.0, 0.25)
    assert floats.dtype == np.float32
    np.testing.assert_array_equal(floats.data, [0.0, 0.25, 0.5, 0.75])
    t = ag.arange(3, dtype=np.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad


def test_eye() -> None:
    np.testing.assert_array_equal(ag.eye(3).data, np.eye(3))
    np.testing.assert_array_equal(ag.eye(2, 3).data, np.eye(2, 3))
    assert ag.eye(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("make", [ag.rand, ag.randn], ids=["rand", "randn"])
def test_random_factories_are_reproducible_with_a_seed_or_generator(make) -> None:
    a = make(3, 4, generator=42)
    b = make(3, 4, generator=42)
    np.testing.assert_array_equal(a.data, b.data)
    c = make(3, 4, generator=np.random.default_rng(42))
    np.testing.assert_array_equal(a.data, c.data)
    d = make(3, 4, generator=43)
    assert not np.array_equal(a.data, d.data)
    assert a.shape == (3, 4) and a.dtype == np.float32
    e = make(2, dtype=np.float64, requires_grad=True, generator=0)
    assert e.dtype == np.float64 and e.requires_grad


def test_a_shared_generator_advances_between_calls() -> None:
    gen = np.random.default_rng(0)
    first, second = ag.randn(5, generator=gen), ag.randn(5, generator=gen)
    assert not np.array_equal(first.data, second.data)


def test_rand_values_are_in_the_unit_interval() -> None:
    values = ag.rand(1000, generator=1).data
    assert values.min() >= 0.0 and values.max() < 1.0


# ---- dtypes ----------------------------------------------------------------------------------------

def test_python_floats_default_to_float32() -> None:
    assert ag.tensor(1.5).dtype == np.float32
    assert ag.tensor([1.0, 2]).dtype == np.float32
    assert ag.get_default_dtype() == np.float32


def test_set_default_dtype_changes_python_floats(float64_default) -> None:
    assert ag.get_default_dtype() == np.float64
    assert ag.tensor(1.5).dtype == np.float64
    assert ag.zeros(2).dtype == np.float64
    assert ag.randn(2, generator=0).dtype == np.float64


def test_set_default_dtype_rejects_non_floating_dtypes() -> None:
    with pytest.raises(DTypeError, match="expected a floating dtype"):
        ag.set_default_dtype(np.int32)


def test_numpy_arrays_keep_their_dtype() -> None:
    assert ag.tensor(np.array([1.0], dtype=np.float64)).dtype == np.float64
    assert ag.tensor(np.array([1.0], dtype=np.float32)).dtype == np.float32
    assert ag.tensor(np.float64(2.0)).dtype == np.float64
    assert ag.tensor(np.array([1, 2], dtype=np.int32)).dtype == np.int32


def test_python_ints_and_bools_make_integer_and_bool_tensors() -> None:
    assert ag.tensor(3).dtype == np.int64
    assert ag.tensor([True, False]).dtype == np.bool_


@pytest.mark.parametrize("dtype", [np.float64, "float64", ag.float64, "torch.float64"])
def test_dtype_argument_spellings(dtype) -> None:
    assert ag.tensor([1.0], dtype=dtype).dtype == np.float64


def test_cast_methods() -> None:
    t = ag.tensor([1.0, 2.0])
    assert t.double().dtype == np.float64
    assert t.double().float().dtype == np.float32
    assert t.astype(np.int64).dtype == np.int64


# ---- attributes --------------------------------------------------------------------------------------

def test_attributes_of_a_leaf() -> None:
    t = ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert isinstance(t.data, np.ndarray)
    assert t.grad is None and t.requires_grad
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and t.dtype == np.float64
    assert t.is_leaf and t.grad_fn is None
    assert t.T.shape == (3, 2) and t.T.grad_fn is not None
    assert len(t) == 2 and t.dim() == 2 and t.numel() == 6


def test_attributes_of_a_non_leaf() -> None:
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    y = t * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    assert y.grad_fn.name == "mul"


def test_results_of_ops_on_constants_are_leaves_without_grad() -> None:
    y = ag.tensor([1.0]) * 2
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None


# ---- conversion methods ------------------------------------------------------------------------------

def test_numpy_returns_the_underlying_array() -> None:
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    assert t.numpy() is t.data


def test_item_and_float_int_of_one_element_tensors() -> None:
    assert ag.tensor(2.5).item() == 2.5
    assert isinstance(ag.tensor(2.5).item(), float)
    assert ag.tensor([[7]]).item() == 7
    assert float(ag.tensor([1.5])) == 1.5 and int(ag.tensor(3)) == 3


def test_item_of_a_multi_element_tensor_raises() -> None:
    with pytest.raises(InvalidArgumentError, match=r"only a tensor with one element.*shape \(2,\)"):
        ag.tensor([1.0, 2.0]).item()


def test_tolist() -> None:
    assert ag.tensor([[1.0, 2.0]]).tolist() == [[1.0, 2.0]]
    assert ag.tensor(3.0).tolist() == 3.0


def test_detach_shares_data_and_cuts_the_graph() -> None:
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    y = t * 2
    d = y.detach()
    assert d.data is y.data
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None


def test_requires_grad_in_place_method() -> None:
    t = ag.tensor([1.0])
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad_(False)
    assert not t.requires_grad


def test_requires_grad_cannot_be_turned_off_on_a_non_leaf() -> None:
    y = ag.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(GraphError, match="non-leaf"):
        y.requires_grad_(False)


def test_retain_grad_and_register_hook_on_non_leaves() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    h = x * 3
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.data.copy()))
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.data, [6.0, 12.0])
    np.testing.assert_array_equal(seen[0], [6.0, 12.0])
    np.testing.assert_array_equal(x.grad.data, [18.0, 36.0])


def test_register_hook_on_a_leaf_replaces_the_stored_gradient() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 0)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_iteration_and_indexing_return_tensors() -> None:
    t = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(t)
    assert len(rows) == 2 and all(isinstance(r, ag.Tensor) and r.grad_fn is not None for r in rows)
    assert t[1, 0].item() == 3.0


# ---- repr ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, expected", [
    (lambda: ag.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: ag.tensor([1.0, 2.0], requires_grad=True) * 2, "tensor([2., 4.], grad_fn=<MulBackward>)"),
    (lambda: ag.tensor([1.0, 2.0], requires_grad=True).sum(), "tensor(3., grad_fn=<SumBackward>)"),
    (lambda: ag.tensor([1.0, 2.0], requires_grad=True).exp().log(),
     "tensor([1., 2.], grad_fn=<LogBackward>)"),
    (lambda: ag.tensor(3.5), "tensor(3.5)"),
    (lambda: ag.tensor([1, 2]), "tensor([1, 2])"),
    (lambda: ag.tensor(np.array([1.0, 2.0])), "tensor([1., 2.], dtype=float64)"),
    (lambda: ag.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    (lambda: ag.relu(ag.tensor([1.0], requires_grad=True)), "tensor([1.], grad_fn=<ReluBackward>)"),
    (lambda: ag.log_softmax(ag.tensor([0.0], requires_grad=True)),
     "tensor([0.], grad_fn=<LogSoftmaxBackward>)"),
])
def test_repr_is_pytorch_style(make, expected) -> None:
    assert repr(make()) == expected


# ---- grad modes ------------------------------------------------------------------------------------------

def test_no_grad_context_manager_stops_recording() -> None:
    x = ag.tensor([1.0], requires_grad=True)
    assert ag.is_grad_enabled()
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_enable_grad_inside_no_grad() -> None:
    x = ag.tensor([1.0], requires_grad=True)
    with ag.no_grad():
        with ag.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_no_grad_and_enable_grad_as_decorators() -> None:
    x = ag.tensor([1.0], requires_grad=True)

    @ag.no_grad()
    def double(t):
        return t * 2

    @ag.enable_grad()
    def triple(t):
        return t * 3

    assert not double(x).requires_grad
    with ag.no_grad():
        assert triple(x).requires_grad
    assert double.__name__ == "double"


def test_bare_decorators_without_parentheses() -> None:
    @ag.no_grad
    def inside():
        return ag.is_grad_enabled()

    @ag.enable_grad
    def reenabled():
        return ag.is_grad_enabled()

    assert inside() is False
    with ag.no_grad():
        assert reenabled() is True
    assert ag.is_grad_enabled()


def test_set_grad_enabled_as_function_context_and_decorator() -> None:
    with ag.set_grad_enabled(False):
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def off():
        return ag.is_grad_enabled()

    assert off() is False and ag.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception() -> None:
    with pytest.raises(ValueError):
        with ag.no_grad():
            raise ValueError("boom")
    assert ag.is_grad_enabled()


def test_no_grad_is_thread_local() -> None:
    entered, checked = threading.Event(), threading.Event()
    results = {}

    def in_no_grad():
        with ag.no_grad():
            entered.set()
            checked.wait(timeout=10)
            results["no_grad thread"] = ag.is_grad_enabled()

    def other():
        entered.wait(timeout=10)
        x = ag.tensor([1.0], requires_grad=True)
        results["other thread"] = ag.is_grad_enabled()
        results["other records"] = (x * 2).requires_grad
        checked.set()

    threads = [threading.Thread(target=in_no_grad), threading.Thread(target=other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert results == {"no_grad thread": False, "other thread": True, "other records": True}
    assert ag.is_grad_enabled()


def test_a_new_thread_starts_with_grad_enabled_even_inside_no_grad() -> None:
    results = []
    with ag.no_grad():
        thread = threading.Thread(target=lambda: results.append(ag.is_grad_enabled()))
        thread.start()
        thread.join(timeout=10)
    assert results == [True]


# ---- backward via the Tensor method ---------------------------------------------------------------

def test_backward_arguments() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    y = x ** 2
    y.backward(gradient=np.array([1.0, 1.0]), retain_graph=True)
    y.backward(np.array([1.0, 0.0]))
    np.testing.assert_array_equal(x.grad.data, [4.0, 4.0])
    z = ag.tensor(3.0, requires_grad=True, dtype=np.float64)
    (z ** 3).backward(create_graph=True)
    assert z.grad.requires_grad and z.grad.item() == 27.0


def test_grad_is_a_tensor_of_the_leaf_shape() -> None:
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()
    assert isinstance(x.grad, ag.Tensor) and x.grad.shape == (2, 3)
    assert not x.grad.requires_grad
