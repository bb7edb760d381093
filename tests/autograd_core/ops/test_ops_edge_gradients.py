"""Issue 9, op-level silent wrong gradients: gather/take_along_axis, scatter_add/index_add, std/var/
norm at zero spread, clamp with tensor bounds, sign, softmax/logsumexp over empty axes.

Each test compares values and gradients with PyTorch in float64 and, where the op is
differentiable at the point, runs gradcheck and gradgradcheck."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import (AutogradError, DTypeError, IndexOutOfRangeError,
                                  InvalidArgumentError, ShapeError)

torch = pytest.importorskip("torch")


def _leaves(*values):
    ours = [ag.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    theirs = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    return ours, theirs


def _compare(ours_fn, theirs_fn, *values, weights=None):
    """Forward values and the gradients of sum(weights * out) agree with torch (nan/inf too)."""
    ours, theirs = _leaves(*values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, t_out = ours_fn(*ours), theirs_fn(*theirs)
        np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
        w = np.ones(out.shape) if weights is None else np.asarray(weights, dtype=np.float64)
        (out * w).sum().backward()
        (t_out * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        expected = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
        assert a.grad is not None and a.grad.shape == a.shape
        np.testing.assert_allclose(a.grad.data, expected, rtol=1e-12, atol=1e-12)
    return ours


def _checks(fn, *values):
    inputs = [np.asarray(v, dtype=np.float64) for v in values]
    assert ag.gradcheck(fn, inputs)
    assert ag.gradgradcheck(fn, inputs)


X34 = np.arange(12.0).reshape(3, 4) / 7 - 0.5
W34 = np.arange(12.0).reshape(3, 4) + 1


# ---- gather follows torch.gather (no broadcasting) ---------------------------------------------

@pytest.mark.parametrize("dim, index", [
    (0, [[0], [2]]),                     # the repro: index smaller on dim 1
    (1, [[3, 0]]),                       # smaller on dim 0
    (0, [[2, 2, 0, 1], [0, 1, 1, 1]]),   # repeats
    (-1, [[1], [0], [3]]),
], ids=["repro", "dim1-smaller-rows", "repeats", "dim-1"])
def test_gather_with_an_index_smaller_than_x_matches_torch_gather(dim, index):
    index = np.array(index)
    ours = _compare(lambda x: ag.gather(x, dim, index),
                    lambda x: torch.gather(x, dim, torch.tensor(index)), X34,
                    weights=np.arange(index.size).reshape(index.shape) + 1.0)
    assert ag.gather(ours[0], dim, index).shape == index.shape
    _checks(lambda x: ag.gather(x, dim, index), X34)


def test_gather_keywords_and_method_and_3d():
    x3 = np.arange(24.0).reshape(2, 3, 4) / 5
    index = np.array([[[0, 2], [1, 1]]])
    _compare(lambda x: ag.gather(x, dim=1, index=index, sparse_grad=False),
             lambda x: torch.gather(x, 1, torch.tensor(index)), x3)
    _compare(lambda x: x.gather(2, index), lambda x: x.gather(2, torch.tensor(index)), x3)
    _checks(lambda x: ag.gather(x, dim=2, index=index), x3)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: ag.gather(x, 0, np.array([[0, 1, 2, 0, 1]])), ShapeError,
     "larger than x (3, 4) in dimension 1"),
    (lambda x: ag.gather(x, 0, np.array([0, 1])), ShapeError, "index has 1 dimensions but x has 2"),
    (lambda x: ag.gather(x, 0, np.array([[3]])), IndexOutOfRangeError,
     "gather: index 3 is out of range for axis 0 of size 3"),
    (lambda x: ag.gather(x, 1, np.array([[-1]])), IndexOutOfRangeError,
     "gather: index -1 is out of range for axis 1 of size 4"),
    (lambda x: ag.gather(x, 2, np.array([[0]])), InvalidArgumentError, "gather: axis 2 is out of range"),
    (lambda x: ag.gather(x, 0, np.array([[0.5]])), DTypeError, "gather: index must be an integer"),
    (lambda x: ag.gather(x, 0), InvalidArgumentError, "gather: missing the index argument"),
], ids=["too-large", "rank", "out-of-range", "negative", "bad-dim", "float-index", "no-index"])
def test_gather_bad_shapes_and_indices_raise_typed_errors(call, error, message):
    with pytest.raises(error) as info:
        call(ag.tensor(X34))
    assert isinstance(info.value, AutogradError)
    assert message in str(info.value)


@pytest.mark.parametrize("x_shape, index", [
    ((3, 4), [[0, 3]]),          # index broadcasts over x's rows
    ((1, 4), [[0, 3], [1, 1], [2, 0]]),  # x broadcasts over the index's rows
    ((3, 4), [[1], [0], [3]]),
], ids=["index-broadcasts", "x-broadcasts", "same-rows"])
def test_take_along_axis_gradient_matches_finite_differences_of_its_broadcasting_forward(
        x_shape, index):
    index = np.array(index)
    x = np.arange(np.prod(x_shape), dtype=np.float64).reshape(x_shape) / 3
    out = ag.take_along_axis(ag.tensor(x), index, 1)
    np.testing.assert_array_equal(out.data, np.take_along_axis(x, index, 1))
    _checks(lambda t: ag.take_along_axis(t, index, axis=1), x)
    _checks(lambda t: ag.take_along_axis(t, 1, index), x)   # the older (x, axis, index) order


# ---- scatter_add / index_add follow torch ---------------------------------------------------------

def test_scatter_add_with_an_index_smaller_than_src_gives_torch_src_gradient():
    index = np.array([[0], [2]])
    src = np.array([[5.0], [7.0]])
    ours = _compare(lambda x, s: ag.scatter_add(x, 0, index, s),
                    lambda x, s: torch.scatter_add(x, 0, torch.tensor(index), s),
                    np.zeros((3, 4)), src, weights=W34)
    np.testing.assert_array_equal(ours[1].grad.data, [[1.0], [9.0]])  # was [[10], [42]]
    _checks(lambda x, s: ag.scatter_add(x, 0, index, s), np.zeros((3, 4)), src)


def test_scatter_add_uses_only_the_index_corner_of_a_larger_src():
    index = np.array([[0], [2]])
    src = np.arange(6.0).reshape(2, 3) + 1
    x = ag.tensor(np.zeros((3, 4)), requires_grad=True)
    s = ag.tensor(src, requires_grad=True)
    y = ag.scatter_add(x, dim=0, index=index, src=s)
    expected = torch.zeros(3, 4, dtype=torch.float64).scatter_add(0, torch.tensor(index),
                                                                  torch.tensor(src))
    np.testing.assert_array_equal(y.data, expected.numpy())
    (y * W34).sum().backward()
    np.testing.assert_array_equal(s.grad.data, [[1.0, 0, 0], [9.0, 0, 0]])
    np.testing.assert_array_equal(x.grad.data, W34)
    _checks(lambda a, b: ag.scatter_add(a, 1, np.array([[1, 1], [0, 3]]), b), np.zeros((3, 4)),
            np.arange(9.0).reshape(3, 3))


@pytest.mark.parametrize("call, error, message", [
    (lambda: ag.scatter_add(ag.zeros(3, 4), 2, np.array([[0]]), ag.ones(1, 1)), InvalidArgumentError,
     "scatter_add: axis 2 is out of range for a tensor with 2 dimension(s)"),
    (lambda: ag.scatter_add(ag.zeros(3, 4), -3, np.array([[0]]), ag.ones(1, 1)), InvalidArgumentError,
     "scatter_add: axis -3 is out of range"),
    (lambda: ag.scatter_add(ag.zeros(3, 4), 0, np.array([[0, 1]]), ag.ones(1, 1)), ShapeError,
     "must fit inside src (1, 1)"),
    (lambda: ag.scatter_add(ag.zeros(3, 4), 0, np.array([[-1]]), ag.ones(1, 1)),
     IndexOutOfRangeError, "scatter_add: index -1 is out of range for axis 0 of size 3"),
    (lambda: ag.scatter_add(ag.zeros(3, 4), 0, np.array([[0]])), InvalidArgumentError,
     "scatter_add: missing the src argument"),
    (lambda: ag.index_add(ag.zeros(3), 0, np.array([-1]), ag.ones(1)), IndexOutOfRangeError,
     "index_add: index -1 is out of range for axis 0 of size 3"),
    (lambda: ag.index_add(ag.zeros(3), 1, np.array([0]), ag.ones(1)), InvalidArgumentError,
     "index_add: axis 1 is out of range"),
    (lambda: ag.index_add(ag.zeros(3, 2), 0, np.array([[0]]), ag.ones(1, 2)), ShapeError,
     "index_add: index must be 1-D"),
], ids=["axis", "negative-axis", "index-larger-than-src", "negative-index", "no-src",
        "index_add-negative", "index_add-axis", "index_add-2d-index"])
def test_scatter_add_and_index_add_bad_arguments_raise_typed_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, AutogradError)
    assert message in str(info.value)


def test_index_add_keywords_match_torch():
    index = np.array([2, 0, 2])
    _compare(lambda x, s: ag.index_add(x, dim=-1, index=index, source=s, alpha=0.5),
             lambda x, s: torch.index_add(x, -1, torch.tensor(index), s, alpha=0.5),
             X34, np.arange(9.0).reshape(3, 3), weights=W34)
    _compare(lambda x, s: x.index_add(0, index, s),
             lambda x, s: x.index_add(0, torch.tensor(index), s),
             X34, np.arange(12.0).reshape(3, 4), weights=W34)
    _checks(lambda x, s: ag.index_add(x, 1, index, src=s, alpha=2.0), X34,
            np.arange(9.0).reshape(3, 3))


# ---- gradients at zero spread ---------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, value", [
    ({"dim": 1}, [[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]]),   # one constant row
    ({}, [2.0, 2.0, 2.0]),
    ({"dim": 0, "keepdim": True}, [[3.0, 1.0], [3.0, 2.0]]),
], ids=["constant-row", "all-constant", "keepdim-constant-column"])
def test_std_at_zero_spread_has_a_zero_gradient_like_torch(kwargs, value):
    ours_kwargs = dict(kwargs)
    _compare(lambda x: x.std(**ours_kwargs), lambda x: x.std(**kwargs), value)


def test_std_gradient_away_from_zero_spread_is_checked():
    _checks(lambda x: ag.std(x, axis=1), [[1.0, 3.0, 2.5], [0.5, 2.0, -1.0]])


@pytest.mark.parametrize("p", [0.5, 0.3, 1.5, 3.0])
@pytest.mark.parametrize("value", [[0.0, 1.0, -2.0], [0.0, 0.0, 0.0], [[0.0, 1.5], [-2.0, 0.0]]],
                         ids=["some-zeros", "all-zeros", "2d"])
def test_norm_with_zero_entries_matches_torch(p, value):
    _compare(lambda x: ag.norm(x, p), lambda x: torch.linalg.vector_norm(x, p), value)


def test_norm_small_p_gradients_are_checked_away_from_zero():
    _checks(lambda x: ag.norm(x, p=0.5, dim=1), [[0.3, -1.0, 2.0], [1.5, 0.7, -0.2]])


@pytest.mark.parametrize("kwargs, value", [
    ({}, [2.0]),                              # N = 1, correction 1
    ({"correction": 2}, [2.0, 3.0]),          # N == correction
    ({"correction": 3}, [2.0, 3.0]),          # N < correction
    ({"correction": 2}, [2.0, 2.0]),          # constant: nan
    ({"dim": 1, "correction": 2}, [[2.0, 3.0], [1.0, 1.0]]),
    ({"dim": 1, "correction": 3}, [[2.0, 3.0], [1.0, 1.0]]),
], ids=["one-element", "n-equals-correction", "n-below-correction", "constant", "dim-equal",
        "dim-below"])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_with_no_degrees_of_freedom_match_torch_never_zero_division(name, kwargs,
                                                                               value):
    ours_kwargs = dict(kwargs)
    if "dim" in ours_kwargs:
        ours_kwargs["axis"] = ours_kwargs.pop("dim")
    ours, theirs = _leaves(value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(ag, name)(ours[0], **ours_kwargs)
        t_out = getattr(torch, name)(theirs[0], **kwargs)
        out.sum().backward()
        t_out.sum().backward()
    np.testing.assert_array_equal(out.data, t_out.detach().numpy())
    np.testing.assert_array_equal(ours[0].grad.data, theirs[0].grad.numpy())


# ---- clamp with tensor bounds ---------------------------------------------------------------------

def test_clamp_with_tensor_bounds_passes_gradients_to_the_bounds():
    ours = _compare(lambda x, lo, hi: ag.clamp(x, lo, hi), lambda x, lo, hi: torch.clamp(x, lo, hi),
                    [1.2, 0.5, 3.0], 1.0, 1.5)
    np.testing.assert_array_equal(ours[0].grad.data, [1.0, 0.0, 0.0])
    assert ours[1].grad.item() == 1.0 and ours[2].grad.item() == 1.0


@pytest.mark.parametrize("x, lo, hi", [
    ([0.5, 1.0, 1.5, 2.0], 1.0, 1.5),                 # ties at both bounds go to x
    ([0.5, 1.0, 1.5, 2.0], 2.0, 1.0),                 # min > max: everything is max
    ([[0.5, 1.0, 1.5, 2.0]] * 2, [[2.0], [0.0]], [1.0, 3.0, 3.0, 1.0]),  # broadcasting bounds
], ids=["ties", "min-above-max", "broadcast"])
def test_clamp_tensor_bounds_follow_torch(x, lo, hi):
    _compare(lambda a, b, c: ag.clamp(a, min=b, max=c), lambda a, b, c: torch.clamp(a, b, c),
             x, lo, hi, weights=None)


def test_clamp_one_tensor_bound_and_checks():
    _compare(lambda x, lo: x.clamp(min=lo), lambda x, lo: x.clamp(min=lo),
             [0.5, 1.0, 1.5, 2.0], [2.0, 0.0, 0.0, 0.0])
    _compare(lambda x, hi: ag.clip(x, max=hi), lambda x, hi: torch.clamp(x, max=hi),
             [0.5, 1.0, 1.5, 2.0], [0.0, 0.0, 3.0, 3.0])
    _checks(lambda x, lo, hi: ag.clamp(x, lo, hi), [0.3, 1.2, 2.0], [0.5, 1.0, 1.0], 1.5)


# ---- sign ------------------------------------------------------------------------------------------

def test_sign_alone_in_a_loss_backpropagates_a_zero_gradient():
    ours = _compare(lambda x: ag.sign(x), lambda x: torch.sign(x), [1.5, -2.0, 0.0])
    np.testing.assert_array_equal(ours[0].grad.data, [0.0, 0.0, 0.0])
    _compare(lambda x: x.sign() * x, lambda x: x.sign() * x, [1.5, -2.0, 0.5])
    _checks(lambda x: ag.sign(x) * x * x, [1.5, -2.0, 0.5])


# ---- empty axes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, dim", [((3, 0), 1), ((0, 3), 1), ((0,), 0), ((2, 0), 0)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_over_an_empty_axis_follows_torch(name, shape, dim):
    ours = _compare(lambda x: getattr(ag, name)(x, dim=dim),
                    lambda x: getattr(torch, name)(x, dim=dim), np.zeros(shape))
    assert ours[0].grad.shape == shape


def test_logsumexp_of_an_empty_reduction_is_minus_inf():
    out = ag.logsumexp(ag.zeros(3, 0), axis=1)
    np.testing.assert_array_equal(out.data, [-np.inf] * 3)
    assert ag.logsumexp(ag.zeros(0)).item() == -np.inf


def test_numpy_take_along_axis_on_a_tensor_keeps_numpy_broadcasting():
    x = ag.tensor(X34, requires_grad=True)
    index = np.array([[0, 3]])
    out = np.take_along_axis(x, index, 1)
    np.testing.assert_array_equal(out.data, np.take_along_axis(X34, index, 1))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.tile([1.0, 0.0, 0.0, 1.0], (3, 1)))


def test_traced_gather_and_scatter_read_new_index_arrays_on_replay():
    x = ag.tensor(X34, requires_grad=True)

    def loss(index):
        return (ag.take_along_axis(x, index, 1) * 2).sum() + ag.gather(x, 1, index).sum()

    step = ag.trace(loss, np.array([[0], [1], [2]]), params=[x])
    new = np.array([[3], [3], [0]])
    value, (grad,) = step(new)
    fresh = ag.tensor(X34, requires_grad=True)
    expected = (ag.take_along_axis(fresh, new, 1) * 2).sum() + ag.gather(fresh, 1, new).sum()
    expected.backward()
    assert value.item() == expected.item()
    np.testing.assert_array_equal(grad.data, fresh.grad.data)


@pytest.mark.parametrize("seed", range(6))
def test_gather_scatter_add_index_add_match_torch_on_random_3d_cases(seed):
    rng = np.random.default_rng(seed)
    x_shape = tuple(int(n) for n in rng.integers(2, 5, size=3))
    dim = int(rng.integers(-3, 3))
    axis = dim % 3
    index_shape = tuple(int(rng.integers(1, n + 1)) for n in x_shape)
    index = rng.integers(0, x_shape[axis], size=index_shape)
    x = rng.standard_normal(x_shape)
    _compare(lambda t: ag.gather(t, dim, index), lambda t: torch.gather(t, dim, torch.tensor(index)),
             x, weights=rng.standard_normal(index_shape))
    src = rng.standard_normal(index_shape)  # torch's backward needs src.shape == index.shape
    _compare(lambda t, s: ag.scatter_add(t, dim, index, s),
             lambda t, s: torch.scatter_add(t, dim, torch.tensor(index), s), x, src,
             weights=rng.standard_normal(x_shape))
    flat = rng.integers(0, x_shape[axis], size=int(rng.integers(1, 6)))
    source_shape = list(x_shape)
    source_shape[axis] = len(flat)
    _compare(lambda t, s: ag.index_add(t, dim, flat, s, alpha=1.5),
             lambda t, s: torch.index_add(t, dim, torch.tensor(flat), s, alpha=1.5), x,
             rng.standard_normal(source_shape), weights=rng.standard_normal(x_shape))
