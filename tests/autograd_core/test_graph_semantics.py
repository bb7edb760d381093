"""Issue 9, autograd semantics: functional.grad differentiates argument positions (JAX), .grad never
aliases a caller's array, backward(inputs=) on non-leaf tensors, typed errors for bad gradients and
bad hook results."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import graph
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError

torch = pytest.importorskip("torch")


# ---- functional.grad: one gradient per argument position -------------------------------------

def f_ab(a, b):
    return (a * a + 3 * b).sum()


@pytest.mark.parametrize("requires_grad", [False, True])
def test_grad_argnums_gives_each_position_its_gradient_even_for_the_same_tensor(requires_grad) -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=requires_grad, dtype=np.float64)
    da, db = ag.grad(f_ab, argnums=(0, 1))(x, x)
    np.testing.assert_allclose(da.data, [2.0, 4.0])
    np.testing.assert_allclose(db.data, [3.0, 3.0])
    assert x.grad is None
    value, (va, vb) = ag.value_and_grad(f_ab, argnums=(0, 1))(x, x)
    np.testing.assert_allclose(va.data, [2.0, 4.0])
    np.testing.assert_allclose(vb.data, [3.0, 3.0])


@pytest.mark.parametrize("requires_grad", [False, True])
def test_jacobian_argnums_per_position(requires_grad) -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=requires_grad, dtype=np.float64)
    ja, jb = ag.jacobian(lambda a, b: a * b, argnums=(0, 1))(x, x)
    np.testing.assert_allclose(ja.data, np.diag([1.0, 2.0]))
    np.testing.assert_allclose(jb.data, np.diag([1.0, 2.0]))


def test_grad_of_a_tensor_that_requires_grad_nests_and_leaves_the_callers_graph_intact() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    y = x * 3.0
    g = ag.grad(lambda t: (t ** 3).sum(), create_graph=True)(y)  # 3 y^2, connected to x
    np.testing.assert_allclose(g.data, 3 * (3 * np.array([1.0, 2.0])) ** 2)
    g.sum().backward()  # d/dx sum 3 (3x)^2 = 54 x
    np.testing.assert_allclose(x.grad.data, [54.0, 108.0])
    x.grad = None
    y = x * 3.0
    ag.grad(lambda t: (t * t).sum())(y)  # without create_graph: y's graph must survive
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])
    h = ag.hessian(lambda t: (t ** 3).sum())(x)
    np.testing.assert_allclose(h.data, np.diag(6 * np.array([1.0, 2.0])))


@pytest.mark.parametrize("transform", [
    lambda f: ag.grad(f, argnums=2), lambda f: ag.grad(f, argnums=(0, -3)),
    lambda f: ag.value_and_grad(f, argnums=5), lambda f: ag.jacobian(f, argnums=2),
    lambda f: ag.jacobian(f, argnums=(1, 7)), lambda f: ag.hessian(f, argnums=3),
], ids=["grad", "grad-negative", "value_and_grad", "jacobian", "jacobian-tuple", "hessian"])
def test_out_of_range_argnums_raise_a_typed_error(transform) -> None:
    with pytest.raises(InvalidArgumentError, match="argnums .* out of range"):
        transform(f_ab)(np.ones(2), np.ones(2))


def test_argnums_of_a_wrong_type_raise_a_typed_error() -> None:
    with pytest.raises(DTypeError, match="argnums"):
        ag.grad(f_ab, argnums="0")(np.ones(2), np.ones(2))
    with pytest.raises(DTypeError, match="argnums"):
        ag.jacobian(f_ab, argnums=(0.5,))(np.ones(2), np.ones(2))


def test_negative_argnums_count_from_the_end() -> None:
    db = ag.grad(f_ab, argnums=-1)(np.ones(2), np.ones(2))
    np.testing.assert_allclose(db.data, [3.0, 3.0])


# ---- .grad owns its memory ------------------------------------------------------------------

def test_backward_seed_on_a_leaf_is_not_aliased_by_grad() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    g = np.array([3.0, 4.0], dtype=np.float32)
    x.backward(g)
    x.grad.data *= 0.5  # what clip_grad_norm_ does
    np.testing.assert_array_equal(g, [3.0, 4.0])
    with ag.no_grad():
        x.grad *= 0.5
    np.testing.assert_array_equal(g, [3.0, 4.0])


@pytest.mark.parametrize("make", [lambda x: x.reshape(2, 2), lambda x: x + 0.0, lambda x: x.T,
                                  lambda x: x[...]], ids=["reshape", "add", "T", "getitem"])
def test_a_seed_passed_through_ops_is_not_aliased_by_grad(make) -> None:
    x = ag.tensor(np.ones((2, 2)), requires_grad=True)
    y = make(x)
    g = np.arange(4.0, dtype=np.float32).reshape(y.shape)
    y.backward(g)
    x.grad.data[...] = -1
    np.testing.assert_array_equal(g, np.arange(4.0).reshape(y.shape))


def test_clip_grad_norm_does_not_change_the_callers_gradient() -> None:
    from nn.utils import clip_grad_norm_

    x = ag.tensor([3.0, 4.0], requires_grad=True)
    g = np.array([30.0, 40.0], dtype=np.float32)
    x.backward(g)
    clip_grad_norm_([x], 1.0)
    np.testing.assert_array_equal(g, [30.0, 40.0])
    np.testing.assert_allclose(x.grad.data, [0.6, 0.8], rtol=1e-5)


def test_a_hook_returning_a_callers_array_is_not_aliased_by_grad() -> None:
    replacement = np.array([7.0, 8.0], dtype=np.float32)
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: replacement)
    (x * 2).sum().backward()
    x.grad.data[0] = 0.0
    np.testing.assert_array_equal(replacement, [7.0, 8.0])
    y = ag.tensor([1.0, 2.0], requires_grad=True)
    z = y * 2
    z.register_hook(lambda g: replacement)  # on a non-leaf: flows on to y unchanged
    z.sum().backward()
    y.grad.data[1] = 0.0
    np.testing.assert_array_equal(replacement, [7.0, 8.0])


def test_two_leaves_fed_the_same_gradient_get_separate_arrays() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.tensor([1.0, 2.0], requires_grad=True)
    (x + y).sum().backward()
    x.grad.data[0] = 9.0
    np.testing.assert_array_equal(y.grad.data, [1.0, 1.0])


def test_create_graph_gradients_do_not_alias_the_seed_either() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    g = np.array([3.0, 4.0], dtype=np.float32)
    x.backward(g, create_graph=True)
    x.grad.data[0] = 0.0
    np.testing.assert_array_equal(g, [3.0, 4.0])


def test_fresh_gradients_are_kept_without_a_copy() -> None:
    x = ag.tensor(np.ones(3), requires_grad=True)
    (x * ag.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.data.base is None and x.grad.data.flags.writeable


def test_ownership_is_decided_without_reference_counts() -> None:
    assert "getrefcount" not in inspect.getsource(graph)


# ---- backward(inputs=), bad gradients, bad hooks -----------------------------------------------

def test_backward_inputs_fills_grad_of_a_non_leaf_like_torch() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    t = x * 3.0
    (t * t).sum().backward(inputs=[t])
    tx = torch.tensor([1.0, 2.0], requires_grad=True, dtype=torch.float64)
    tt = tx * 3.0
    (tt * tt).sum().backward(inputs=[tt])
    np.testing.assert_allclose(t.grad.data, tt.grad.numpy())
    assert x.grad is None and tx.grad is None


def test_backward_inputs_runs_only_the_part_of_the_graph_it_needs() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    t = x * 3.0
    loss = (t * t).sum()
    loss.backward(inputs=[t])
    assert t.grad_fn.inputs is not None  # t's own graph was not run, so not freed
    t.sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_backward_inputs_accepts_one_tensor_and_checks_its_elements() -> None:
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward(inputs=w)
    np.testing.assert_allclose(w.grad.data, [2.0, 4.0])
    with pytest.raises(InvalidArgumentError, match="cannot be empty"):
        (w * w).sum().backward(inputs=[])
    with pytest.raises(DTypeError, match=r"inputs\[0\] must be a Tensor"):
        (w * w).sum().backward(inputs=["w"])


@pytest.mark.parametrize("gradient", ["x", b"x", {"a": 1}, object()], ids=["str", "bytes", "dict",
                                                                           "object"])
def test_backward_with_a_gradient_of_the_wrong_kind_raises_a_typed_error(gradient) -> None:
    y = ag.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(DTypeError, match="backward: gradient"):
        y.backward(gradient)


def test_a_hook_that_changes_the_shape_raises_like_torch() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: np.ones(5, dtype=np.float32))
    with pytest.raises(ShapeError, match="has changed the size of value"):
        (x * 2).sum().backward()
    assert x.grad is None
    y = ag.tensor([1.0, 2.0], requires_grad=True)
    z = y * 2
    z.register_hook(lambda g: ag.ones(2, 2))
    with pytest.raises(ShapeError, match="has changed the size of value"):
        z.sum().backward()


def test_a_hook_that_changes_the_dtype_raises() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g.data.astype(np.float64))
    with pytest.raises(DTypeError, match="has changed the type of value"):
        (x * 2).sum().backward()


@pytest.mark.parametrize("result", ["grad", b"g", {"g": 1}, ["a", "b"]], ids=["str", "bytes",
                                                                          "dict", "list-of-str"])
def test_a_hook_returning_a_non_gradient_raises_a_typed_error(result) -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: result)
    with pytest.raises(DTypeError, match="hook"):
        (x * 2).sum().backward()


def test_hooks_returning_numbers_lists_or_tensors_of_the_right_shape_work() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: [1.0, 1.0])
    x.register_hook(lambda g: g * 3)
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])
    assert x.grad.shape == (2,) and x.grad.dtype == np.float32
