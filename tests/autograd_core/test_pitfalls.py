"""Named pitfalls of reverse-mode autodiff, each pinned by a test: broadcasting, fan-out, dtypes,
ties and kinks, pow at the edges of its domain, NaN leakage through where, extreme logits, numpy
interoperability, integer inputs, reductions over odd axes, and norm at zero.

Where PyTorch defines the behaviour, the test compares against torch (values, gradients, and
where the NaNs are)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import AutogradError, DTypeError, UnsupportedError


def leaf(values, dtype=np.float64) -> ag.Tensor:
    return ag.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def torch_leaf(torch, values):
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def assert_same_as_torch(ours: ag.Tensor, theirs, rtol: float = 1e-12) -> None:
    """Equal values, with NaN and inf in the same places."""
    expected = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs.numpy()
    np.testing.assert_allclose(ours.data, expected, rtol=rtol, atol=1e-14, equal_nan=True)
    np.testing.assert_array_equal(np.isnan(ours.data), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(ours.data), np.isinf(expected))


# ---- broadcasting: gradients come back in the input's exact shape ----------------------------------

@pytest.mark.parametrize("shape_a, shape_b", [
    ((), (3, 4)),
    ((3, 4), ()),
    ((1, 3), (3, 1)),
    ((3, 1), (1, 3)),
    ((4,), (2, 3, 4)),
    ((1,), (3,)),
    ((1, 1), (2, 3)),
])
@pytest.mark.parametrize("op", ["add", "mul", "sub", "div"])
def test_broadcast_gradients_are_reduced_to_the_input_shape(shape_a, shape_b, op) -> None:
    rng = np.random.default_rng(0)
    a = leaf(rng.uniform(1, 2, shape_a))
    b = leaf(rng.uniform(1, 2, shape_b))
    getattr(ag, op)(a, b).sum().backward()
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    # each element of a broadcast operand was used once per element it was stretched over
    out_size = np.broadcast_shapes(shape_a, shape_b)
    if op == "add":
        np.testing.assert_allclose(a.grad.data, np.full(shape_a, np.prod(out_size) / max(a.size, 1)))
        np.testing.assert_allclose(b.grad.data, np.full(shape_b, np.prod(out_size) / max(b.size, 1)))


def test_scalar_times_matrix_gradient_by_hand() -> None:
    s = leaf(2.0)
    m = leaf([[1.0, 2.0], [3.0, 4.0]])
    (s * m).sum().backward()
    assert s.grad.shape == () and s.grad.item() == 10.0
    np.testing.assert_array_equal(m.grad.data, np.full((2, 2), 2.0))


def test_row_plus_column_gradient_by_hand() -> None:
    row = leaf([[1.0, 2.0, 3.0]])
    col = leaf([[10.0], [20.0], [30.0]])
    (row * col).sum().backward()
    np.testing.assert_array_equal(row.grad.data, [[60.0, 60.0, 60.0]])
    np.testing.assert_array_equal(col.grad.data, [[6.0], [6.0], [6.0]])


def test_zero_dim_tensor_with_vector() -> None:
    s = leaf(3.0)
    v = leaf([1.0, 2.0])
    (s ** 2 * v).sum().backward()
    assert s.grad.shape == () and s.grad.item() == 2 * 3.0 * 3.0
    np.testing.assert_array_equal(v.grad.data, [9.0, 9.0])


def test_broadcast_through_size_one_axis_in_the_middle() -> None:
    a = leaf(np.ones((2, 1, 4)))
    b = leaf(np.ones((3, 1)))
    (a + b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.full((2, 1, 4), 3.0))
    np.testing.assert_array_equal(b.grad.data, np.full((3, 1), 8.0))


# ---- fan-out ------------------------------------------------------------------------------------------

def test_fan_out_a_plus_a() -> None:
    a = leaf([1.0, -2.0])
    (a + a).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0])


def test_fan_out_a_times_a() -> None:
    a = leaf([1.0, -2.0])
    (a * a).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [2.0, -4.0])


def test_fan_out_b_equals_a_plus_a_then_b_plus_b() -> None:
    a = leaf([1.0, -2.0])
    b = a + a
    c = b + b
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.data, [4.0, 4.0])


def test_fan_out_into_two_different_ops() -> None:
    a = leaf(0.5)
    (ag.sin(a) * ag.exp(a)).backward()
    assert a.grad.item() == pytest.approx(np.exp(0.5) * (np.cos(0.5) + np.sin(0.5)))


# ---- dtypes -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [
    lambda x: (x * x).sum(), lambda x: ag.exp(x).mean(), lambda x: (x / 3.0).sum(),
    lambda x: (2.0 ** x).sum(), lambda x: ag.softmax(x, axis=0)[0],
    lambda x: (x @ x), lambda x: ag.norm(x), lambda x: ag.logsumexp(x),
], ids=["mul", "exp-mean", "div-scalar", "rpow", "softmax", "matmul", "norm", "logsumexp"])
def test_float32_inputs_get_float32_gradients(fn) -> None:
    x = leaf([0.5, 1.5, 2.5], dtype=np.float32)
    y = fn(x)
    assert y.dtype == np.float32  # Python scalars do not promote float32 (NEP 50)
    y.backward()
    assert x.grad.dtype == np.float32


def test_mixed_float32_and_float64_each_gradient_keeps_its_input_dtype() -> None:
    a = leaf([1.0, 2.0], dtype=np.float32)
    b = leaf([3.0, 4.0], dtype=np.float64)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.data, [3.0, 4.0])
    np.testing.assert_array_equal(b.grad.data, [1.0, 2.0])


def test_float32_tensor_with_float64_ndarray_gradient_stays_float32() -> None:
    a = leaf([1.0, 2.0], dtype=np.float32)
    (a * np.array([2.0, 3.0])).sum().backward()
    assert a.grad.dtype == np.float32


def test_astype_gradient_is_cast_back() -> None:
    a = leaf([1.0, 2.0], dtype=np.float32)
    y = a.astype(np.float64) * 2
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0])


def test_float32_second_order_gradient_keeps_dtype() -> None:
    x = leaf(1.5, dtype=np.float32)
    (x ** 3).backward(create_graph=True)
    first = x.grad
    assert first.dtype == np.float32
    x.grad = None
    first.backward()
    assert x.grad.dtype == np.float32 and x.grad.item() == pytest.approx(9.0)


# ---- ties and kinks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_ties_in_max_min_split_the_gradient_evenly_like_torch_amax(name, axis) -> None:
    values = [[1.0, 3.0, 3.0], [-2.0, -2.0, 3.0]]
    x = leaf(values)
    getattr(ag, name)(x, axis=axis).sum().backward()
    torch = pytest.importorskip("torch")
    tx = torch_leaf(torch, values)
    reduce = torch.amax if name == "max" else torch.amin
    (reduce(tx, dim=axis if axis is not None else (0, 1))).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


def test_max_ties_by_hand() -> None:
    x = leaf([2.0, 5.0, 5.0, 5.0])
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 1 / 3, 1 / 3, 1 / 3])


def test_relu_derivative_at_zero_is_zero() -> None:
    x = leaf([0.0, -0.0, 1.0, -1.0])
    ag.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0, 0.0])


def test_abs_derivative_at_zero_is_zero() -> None:
    x = leaf([0.0, 2.0, -2.0])
    ag.abs(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0, -1.0])


def test_leaky_relu_slope_at_zero_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    x = leaf([0.0, 1.0, -1.0])
    ag.leaky_relu(x, 0.1).sum().backward()
    tx = torch_leaf(torch, [0.0, 1.0, -1.0])
    torch.nn.functional.leaky_relu(tx, 0.1).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_give_half_to_each_input(name) -> None:
    a = leaf([1.0, 2.0, 3.0])
    b = leaf([1.0, 5.0, 0.0])
    getattr(ag, name)(a, b).sum().backward()
    if name == "maximum":
        np.testing.assert_array_equal(a.grad.data, [0.5, 0.0, 1.0])
        np.testing.assert_array_equal(b.grad.data, [0.5, 1.0, 0.0])
    else:
        np.testing.assert_array_equal(a.grad.data, [0.5, 1.0, 0.0])
        np.testing.assert_array_equal(b.grad.data, [0.5, 0.0, 1.0])
    torch = pytest.importorskip("torch")
    ta, tb = torch_leaf(torch, [1.0, 2.0, 3.0]), torch_leaf(torch, [1.0, 5.0, 0.0])
    getattr(torch, name)(ta, tb).sum().backward()
    np.testing.assert_array_equal(a.grad.data, ta.grad.numpy())
    np.testing.assert_array_equal(b.grad.data, tb.grad.numpy())


def test_clip_gradient_passes_at_the_bounds_like_torch_clamp() -> None:
    torch = pytest.importorskip("torch")
    values = [-1.0, -0.5, 0.0, 0.5, 1.0]
    x = leaf(values)
    ag.clip(x, -0.5, 0.5).sum().backward()
    tx = torch_leaf(torch, values)
    torch.clamp(tx, -0.5, 0.5).sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


# ---- pow at the edges -------------------------------------------------------------------------------

POW_BASES = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -2.0, -2.0, -2.0, -1.5, 2.0, -3.0, 1.0]
POW_EXPONENTS = [2.0, 1.0, 0.0, 0.5, -1.0, 3.0, 3.0, 2.0, -2.0, 0.0, 0.0, 0.5, 1e3]


def test_pow_edge_cases_match_torch_values_and_both_gradients() -> None:
    # 0**e, x**0, negative bases with integer exponents, and the exponent's gradient at base 0
    torch = pytest.importorskip("torch")
    a, b = leaf(POW_BASES), leaf(POW_EXPONENTS)
    with np.errstate(all="ignore"):
        y = a ** b
        y.backward(np.ones(y.shape))
    ta, tb = torch_leaf(torch, POW_BASES), torch_leaf(torch, POW_EXPONENTS)
    ty = ta ** tb
    ty.backward(torch.ones_like(ty))
    assert_same_as_torch(y, ty)
    assert_same_as_torch(a.grad, ta.grad)
    assert_same_as_torch(b.grad, tb.grad)


def test_pow_by_hand_at_zero_base() -> None:
    a, b = leaf([0.0, 0.0, 3.0]), leaf([2.0, 0.0, 0.0])
    (a ** b).sum().backward()
    np.testing.assert_array_equal((a ** b).data, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(a.grad.data, [0.0, 0.0, 0.0])  # x**0 has derivative 0, even at 0
    np.testing.assert_array_equal(b.grad.data, [0.0, 0.0, np.log(3.0)])  # no NaN at base 0
    assert not np.isnan(b.grad.data).any()


@pytest.mark.parametrize("exponent", [0, 0.0, 1, 2, 3, 0.5, -1, 2.5])
def test_pow_with_python_scalar_exponent_matches_torch(exponent) -> None:
    torch = pytest.importorskip("torch")
    values = [0.0, -2.0, 1.5]
    x = leaf(values)
    with np.errstate(all="ignore"):
        y = x ** exponent
        y.sum().backward()
    tx = torch_leaf(torch, values)
    ty = tx ** exponent
    ty.sum().backward()
    assert_same_as_torch(y, ty)
    assert_same_as_torch(x.grad, tx.grad)


@pytest.mark.parametrize("base", [0.0, 2.0, -2.0])
def test_python_scalar_base_exponent_gradient_matches_torch(base) -> None:
    torch = pytest.importorskip("torch")
    values = [0.0, 2.0, -1.0, 3.0]
    e = leaf(values)
    with np.errstate(all="ignore"):
        y = base ** e
        y.sum().backward()
    te = torch_leaf(torch, values)
    ty = base ** te
    ty.sum().backward()
    assert_same_as_torch(y, ty)
    assert_same_as_torch(e.grad, te.grad)


def test_negative_base_integer_exponent_is_finite() -> None:
    x = leaf([-2.0, -0.5])
    (x ** 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [12.0, 0.75])


# ---- NaN leakage through where ----------------------------------------------------------------------

def test_where_leaks_nan_from_the_unselected_branch_like_torch() -> None:
    # sqrt'(x) at x = -1 is NaN; where passes it a zero gradient, and 0 * NaN = NaN. PyTorch does the
    # same: this is documented behaviour, not a bug to "fix" in where.
    values = [-1.0, 4.0]
    x = leaf(values)
    with np.errstate(invalid="ignore"):
        y = ag.where(x > 0, ag.sqrt(x), 0.0)
        y.sum().backward()
    np.testing.assert_array_equal(y.data, [0.0, 2.0])
    assert np.isnan(x.grad.data[0]) and x.grad.data[1] == 0.25
    torch = pytest.importorskip("torch")
    tx = torch_leaf(torch, values)
    torch.where(tx > 0, torch.sqrt(tx), 0.0).sum().backward()
    assert_same_as_torch(x.grad, tx.grad)


def test_double_where_keeps_the_gradient_finite() -> None:
    x = leaf([-1.0, 4.0, 0.0])
    positive = x > 0
    safe = ag.where(positive, x, 1.0)
    y = ag.where(positive, ag.sqrt(safe), 0.0)
    y.sum().backward()
    np.testing.assert_array_equal(y.data, [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.25, 0.0])
    assert np.isfinite(x.grad.data).all()


# ---- extreme logits ---------------------------------------------------------------------------------

EXTREME_ROWS = np.array([
    [-np.inf, -np.inf, -np.inf],   # a row of all -inf
    [1000.0, 1001.0, 999.0],       # logits of 1e3
    [-1000.0, 1000.0, 0.0],
    [-np.inf, 0.0, 1.0],           # a masked entry
    [1.0, 2.0, 3.0],
])


@pytest.mark.parametrize("name", ["logsumexp", "softmax", "log_softmax"])
def test_extreme_logits_match_torch_values_gradients_and_nan_placement(name) -> None:
    torch = pytest.importorskip("torch")
    x = leaf(EXTREME_ROWS)
    cotangent = np.random.default_rng(3).standard_normal((5, 3) if name != "logsumexp" else (5,))
    with np.errstate(all="ignore"):
        y = getattr(ag, name)(x, axis=1)
        y.backward(cotangent)
    tx = torch_leaf(torch, EXTREME_ROWS)
    ty = getattr(torch, name)(tx, 1)
    ty.backward(torch.tensor(cotangent))
    assert_same_as_torch(y, ty, rtol=1e-12)
    assert_same_as_torch(x.grad, tx.grad, rtol=1e-10)


@pytest.mark.parametrize("name", ["logsumexp", "softmax", "log_softmax"])
def test_large_logits_stay_finite(name) -> None:
    x = leaf([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0]])
    y = getattr(ag, name)(x, axis=-1)
    y.sum().backward()
    assert np.isfinite(y.data).all() and np.isfinite(x.grad.data).all()


def test_logsumexp_of_all_negative_infinity_is_negative_infinity() -> None:
    x = leaf([-np.inf, -np.inf])
    assert ag.logsumexp(x).item() == -np.inf


# ---- numpy interoperability ---------------------------------------------------------------------------

@pytest.mark.parametrize("op", [
    lambda a, t: a + t, lambda a, t: t + a, lambda a, t: a - t, lambda a, t: t - a,
    lambda a, t: a * t, lambda a, t: t * a, lambda a, t: a / t, lambda a, t: t / a,
    lambda a, t: a ** t, lambda a, t: t ** a, lambda a, t: a @ t, lambda a, t: t @ a,
], ids=["nd+T", "T+nd", "nd-T", "T-nd", "nd*T", "T*nd", "nd/T", "T/nd", "nd**T", "T**nd",
        "nd@T", "T@nd"])
def test_ndarray_and_tensor_on_either_side_give_a_recorded_tensor(op) -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = leaf([[0.5, 1.5], [2.5, 3.5]])
    result = op(a, t)
    assert type(result) is ag.Tensor
    assert result.dtype == np.float64  # never an object array
    assert result.grad_fn is not None
    result.sum().backward()
    assert t.grad.shape == (2, 2) and np.isfinite(t.grad.data).all()


def test_numpy_scalar_on_the_left_gives_a_recorded_tensor() -> None:
    t = leaf([1.0, 2.0])
    for result in (np.float64(2.0) * t, np.float64(2.0) + t, np.float32(3.0) - t):
        assert type(result) is ag.Tensor and result.grad_fn is not None


@pytest.mark.parametrize("call, expected_fn", [
    (lambda t: np.exp(t), "exp"),
    (lambda t: np.sum(t, axis=0), "sum"),
    (lambda t: np.mean(t), "mean"),
    (lambda t: np.tanh(t), "tanh"),
    (lambda t: np.sqrt(t), "sqrt"),
    (lambda t: np.maximum(t, 2.0), "maximum"),
    (lambda t: np.reshape(t, (4,)), "reshape"),
    (lambda t: np.transpose(t), "transpose"),
    (lambda t: np.concatenate([t, t]), "concatenate"),
    (lambda t: np.matmul(t, t), "matmul"),
    (lambda t: np.where(np.ones((2, 2), bool), t, 0.0), "where"),
    (lambda t: np.max(t, axis=1), "max"),
    (lambda t: np.var(t, axis=0, ddof=1), "var"),
    (lambda t: np.einsum("ij->i", t), "einsum"),
])
def test_numpy_functions_on_tensors_return_recorded_tensors(call, expected_fn) -> None:
    t = leaf([[1.0, 2.0], [3.0, 4.0]])
    result = call(t)
    assert type(result) is ag.Tensor
    assert result.grad_fn is not None and result.grad_fn.name == expected_fn
    result.sum().backward()
    assert t.grad is not None


def test_numpy_sum_with_axis_gives_the_right_gradient() -> None:
    t = leaf([[1.0, 2.0], [3.0, 4.0]])
    (np.sum(t, axis=0) * np.array([1.0, 10.0])).sum().backward()
    np.testing.assert_array_equal(t.grad.data, [[1.0, 10.0], [1.0, 10.0]])


@pytest.mark.parametrize("call", [
    lambda t: np.linalg.inv(t),
    lambda t: np.cumsum(t),
    lambda t: np.sort(t),
    lambda t: np.add.reduce(t),
    lambda t: np.exp(t, out=np.empty((2, 2))),
    lambda t: np.arctan2(t, t),
], ids=["linalg.inv", "cumsum", "sort", "ufunc.reduce", "out=", "arctan2"])
def test_unsupported_numpy_functions_raise_unsupported_error(call) -> None:
    t = leaf([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(UnsupportedError, match="not supported on autograd_core Tensors"):
        call(t)


def test_unsupported_error_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        np.cumsum(leaf([1.0]))
    assert issubclass(UnsupportedError, AutogradError)


def test_np_asarray_of_a_tensor_is_its_data() -> None:
    t = leaf([1.0, 2.0])
    array = np.asarray(t)
    assert type(array) is np.ndarray and array.dtype == np.float64
    np.testing.assert_array_equal(array, [1.0, 2.0])


# ---- integer and bool inputs ---------------------------------------------------------------------------

@pytest.mark.parametrize("values", [[1, 2], [True, False], np.array([1, 2], dtype=np.int32),
                                    np.array([1, 2], dtype=np.uint8)],
                         ids=["int64", "bool", "int32", "uint8"])
def test_integer_and_bool_tensors_cannot_require_grad(values) -> None:
    with pytest.raises(DTypeError, match="only floating-point tensors can require gradients"):
        ag.tensor(values, requires_grad=True)
    t = ag.tensor(values)
    with pytest.raises(DTypeError):
        t.requires_grad_()
    with pytest.raises(TypeError):
        t.requires_grad_(True)


def test_integer_operand_gets_no_gradient() -> None:
    i = ag.tensor([1, 2, 3])
    x = leaf([0.5, 0.5, 0.5])
    y = x * i
    assert y.dtype == np.float64
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 2.0, 3.0])
    assert i.grad is None and not i.requires_grad


def test_integer_factories_cannot_require_grad() -> None:
    with pytest.raises(DTypeError):
        ag.arange(5, requires_grad=True)
    with pytest.raises(DTypeError):
        ag.zeros(3, dtype=np.int64, requires_grad=True)


# ---- reductions over odd axes ---------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [-1, -2, -3, (0, -1), (-1, -2), (2, 0, 1), None])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "max", "min", "prod", "logsumexp"])
def test_reductions_with_negative_and_tuple_axes_match_numpy(axis, keepdims, name) -> None:
    data = np.random.default_rng(5).uniform(0.5, 1.5, (2, 3, 4))
    x = leaf(data)
    y = getattr(ag, name)(x, axis=axis, keepdims=keepdims)
    if name == "logsumexp":
        expected = np.log(np.sum(np.exp(data), axis=axis, keepdims=keepdims))
    elif name in ("var", "std"):
        expected = getattr(np, name)(data, axis=axis, keepdims=keepdims, ddof=1)
    else:
        expected = getattr(np, name)(data, axis=axis, keepdims=keepdims)
    assert y.shape == np.shape(expected)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    y.sum().backward()
    assert x.grad.shape == (2, 3, 4)


@pytest.mark.parametrize("ddof", [0, 1, 2])
def test_var_and_std_ddof_gradients_by_hand(ddof) -> None:
    values = np.array([1.0, 2.0, 4.0, 7.0])
    x = leaf(values)
    ag.var(x, ddof=ddof).backward()
    np.testing.assert_allclose(x.grad.data, 2 * (values - values.mean()) / (4 - ddof))
    y = leaf(values)
    ag.std(y, ddof=ddof).backward()
    std = np.std(values, ddof=ddof)
    np.testing.assert_allclose(y.grad.data, (values - values.mean()) / ((4 - ddof) * std))


def test_prod_gradient_with_zeros_by_hand() -> None:
    x = leaf([2.0, 0.0, 3.0])
    ag.prod(x).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 6.0, 0.0])
    y = leaf([0.0, 0.0, 3.0])
    ag.prod(y).backward()
    np.testing.assert_array_equal(y.grad.data, [0.0, 0.0, 0.0])
    z = leaf([[0.0, 2.0], [4.0, 5.0]])
    ag.prod(z, axis=1).sum().backward()
    np.testing.assert_array_equal(z.grad.data, [[2.0, 0.0], [5.0, 4.0]])


# ---- norm at zero -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("order", [1, 2, 3, np.inf])
def test_norm_at_zero_has_zero_gradient_like_torch(order) -> None:
    x = leaf(np.zeros(3))
    y = ag.norm(x, order)
    y.backward()
    assert y.item() == 0.0
    np.testing.assert_array_equal(x.grad.data, np.zeros(3))
    torch = pytest.importorskip("torch")
    tx = torch_leaf(torch, np.zeros(3))
    torch.linalg.vector_norm(tx, order).backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_norm_of_a_zero_row_next_to_a_nonzero_row() -> None:
    x = leaf([[0.0, 0.0], [3.0, 4.0]])
    ag.norm(x, axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0.0, 0.0], [0.6, 0.8]])
