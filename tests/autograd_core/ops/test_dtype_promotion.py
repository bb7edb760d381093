"""PyTorch's type promotion (issue 10) and the integer/bool operators, pinned against torch:
Python scalars never widen a tensor, int with a Python float gives the default float dtype, integer
true division gives the default float dtype, a 0-d tensor does not widen a dimensioned tensor of
its category; & | ^ ~ << >> are bitwise on integers; % is remainder, // floor_divide."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import DTypeError, InvalidArgumentError

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _torch_dtype(name):
    return getattr(torch, name)


def _operand(kind, dtype, ndim):
    """The same operand for both libraries: a tensor of `dtype` (0-d or (3,)) or a Python scalar."""
    if kind == "scalar":
        value = {"bool": True, "int": 2, "float": 1.5}[dtype]
        return value, value
    data = np.array([1, 0, 1] if dtype == "bool" else [1, 2, 3]).astype(dtype)
    if ndim == 0:
        data = data[0]
    return ag.tensor(data), torch.tensor(data)


OPERANDS = ([("tensor", d, 1) for d in DTYPES] + [("tensor", d, 0) for d in DTYPES]
            + [("scalar", s, None) for s in ("bool", "int", "float")])
BINARY = [("add", operator.add), ("mul", operator.mul), ("truediv", operator.truediv)]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # x / 0 in some combinations
@pytest.mark.parametrize("left", OPERANDS[:len(DTYPES)], ids=lambda o: f"{o[1]}{o[2]}")
@pytest.mark.parametrize("right", OPERANDS, ids=lambda o: f"{o[0]}-{o[1]}{o[2] or ''}")
@pytest.mark.parametrize("name, op", BINARY, ids=[b[0] for b in BINARY])
def test_result_dtype_matches_torch(left, right, name, op):
    a, ta = _operand(*left)
    b, tb = _operand(*right)
    try:
        expected = op(ta, tb)
    except RuntimeError:
        pytest.skip("torch rejects this combination")
    for x, y in ((a, b), (b, a)):
        if not isinstance(x, ag.Tensor) and not isinstance(y, ag.Tensor):
            continue
        tx, ty = (ta, tb) if x is a else (tb, ta)
        try:
            theirs = op(tx, ty)
        except RuntimeError:
            continue
        ours = op(x, y)
        assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", "")), (x, y)
        np.testing.assert_allclose(ours.data.astype(np.float64),
                                   theirs.to(torch.float64).numpy(), rtol=1e-3)
    assert expected is not None


def test_promotion_examples_from_the_issue():
    f32 = ag.ones(3, dtype=ag.float32)
    i64 = ag.tensor([1, 2, 3])
    assert (f32 * 1.5).dtype == ag.float32
    assert (i64 * 2).dtype == ag.int64
    assert (i64 * 1.5).dtype == ag.float32
    assert (i64 / 2).dtype == ag.float32 and (i64 / i64).dtype == ag.float32
    assert (ag.tensor([True, False]) / 2).dtype == ag.float32
    assert (f32 + ag.tensor(np.float64(2.0))).dtype == ag.float32
    assert (ag.tensor([True]) + ag.tensor([3], dtype=ag.int32)).dtype == ag.int32
    assert (ag.tensor([True]) + 1).dtype == ag.int64
    assert (ag.ones(3, dtype=ag.int32) + ag.tensor(np.float64(1.0))).dtype == ag.float64
    assert (ag.ones(3, dtype=ag.int64) + ag.ones(3, dtype=ag.float16)).dtype == ag.float16


def test_promotion_follows_the_default_dtype(float64_default):
    assert (ag.tensor([1, 2]) * 1.5).dtype == ag.float64
    assert (ag.tensor([1, 2]) / 2).dtype == ag.float64


def test_gradient_flows_through_a_promoted_operand():
    x = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float32, requires_grad=True)
    s = ag.tensor(np.float64(2.0), requires_grad=True)
    out = x * s
    assert out.dtype == ag.float32
    out.sum().backward()
    assert x.grad.dtype == ag.float32 and s.grad.dtype == ag.float64
    np.testing.assert_allclose(s.grad.data, 6.0)
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0, 2.0])


def test_numpy_arrays_promote_as_tensors():
    f32 = ag.ones(3, dtype=ag.float32)
    assert (f32 + np.ones(3)).dtype == ag.float64  # both dimensioned: float64 wins, as in torch
    assert (f32 + np.float64(1.0)).dtype == ag.float32  # a numpy float64 is a Python float
    assert (np.ones(3, dtype=np.int64) * ag.tensor(1.5)).dtype == ag.float32


# ---- integer and bool operators ------------------------------------------------------------------

INTS = np.array([-7, -3, 0, 5, 12, 255], dtype=np.int64)
OTHER = np.array([3, -2, 4, -3, 5, 7], dtype=np.int64)


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor, operator.lshift,
                                operator.rshift, operator.mod, operator.floordiv])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int16"])
def test_integer_operators_match_torch(op, dtype):
    a, b = INTS.astype(dtype), np.abs(OTHER).astype(dtype) if dtype == "uint8" else OTHER.astype(dtype)
    if op in (operator.lshift, operator.rshift):
        b = np.abs(OTHER).astype(dtype)
    ta, tb = torch.tensor(a), torch.tensor(b)
    for x, y, tx, ty in ((ag.tensor(a), ag.tensor(b), ta, tb), (ag.tensor(a), 3, ta, 3),
                         (5, ag.tensor(b), 5, tb)):
        if isinstance(x, int) and op in (operator.lshift, operator.rshift):
            continue
        ours, theirs = op(x, y), op(tx, ty)
        assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_invert_is_bitwise_on_integers_and_logical_on_bool():
    np.testing.assert_array_equal((~ag.tensor(INTS)).data, (~torch.tensor(INTS)).numpy())
    mask = np.array([True, False, True])
    np.testing.assert_array_equal((~ag.tensor(mask)).data, ~mask)
    for op in (operator.and_, operator.or_, operator.xor):
        out = op(ag.tensor(mask), ag.tensor(mask[::-1].copy()))
        assert out.dtype == np.bool_
        theirs = op(torch.tensor(mask), torch.tensor(mask[::-1].copy()))
        np.testing.assert_array_equal(out.data, theirs.numpy())


def test_bitwise_on_floats_is_a_typed_error():
    with pytest.raises(DTypeError, match="bitwise_and"):
        ag.ones(3) & ag.ones(3)
    with pytest.raises(DTypeError, match="bitwise_not"):
        ~ag.ones(3)


FLOATS = np.array([-7.5, -3.2, 0.7, 5.1, 12.25, 9.9])
FLOAT_OTHER = np.array([2.0, -1.5, 0.4, -3.0, 2.5, 7.0])


@pytest.mark.parametrize("name", ["remainder", "fmod", "floor_divide"])
@pytest.mark.parametrize("data", ["int", "float"])
def test_remainder_fmod_floor_divide_match_torch(name, data):
    a, b = (INTS, OTHER) if data == "int" else (FLOATS, FLOAT_OTHER)
    ours = getattr(ag, name)(ag.tensor(a), ag.tensor(b))
    theirs = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))
    np.testing.assert_allclose(ours.data, theirs.numpy())
    np.testing.assert_allclose(getattr(ag.tensor(a), name)(ag.tensor(b)).data, theirs.numpy())
    np.testing.assert_allclose(getattr(ag, name)(ag.tensor(a), 3).data,
                               getattr(torch, name)(torch.tensor(a), 3).numpy())


def test_percent_is_remainder_with_the_sign_of_the_divisor():
    np.testing.assert_array_equal((ag.tensor([-7, 7]) % ag.tensor([3, -3])).data, [2, -2])
    np.testing.assert_allclose((ag.tensor([-7.5]) % 2).data, [0.5])
    np.testing.assert_allclose((10 % ag.tensor([3.0, -4.0])).data, [1.0, -2.0])


@pytest.mark.parametrize("mode", [None, "floor", "trunc"])
@pytest.mark.parametrize("data", ["int", "float"])
def test_div_rounding_mode_matches_torch(mode, data):
    a, b = (INTS, OTHER) if data == "int" else (FLOATS, FLOAT_OTHER)
    ours = ag.div(ag.tensor(a), ag.tensor(b), rounding_mode=mode)
    theirs = torch.div(torch.tensor(a), torch.tensor(b), rounding_mode=mode)
    assert ours.dtype == np.dtype(str(theirs.dtype).replace("torch.", ""))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ag.tensor(a).div(3, rounding_mode=mode).data,
                               torch.tensor(a).div(3, rounding_mode=mode).numpy(), rtol=1e-6)


def test_trunc_division_is_exact_for_large_integers():
    big = np.array([2**62 + 1, -(2**62) - 3], dtype=np.int64)
    np.testing.assert_array_equal(ag.div(ag.tensor(big), 3, rounding_mode="trunc").data,
                                  torch.div(torch.tensor(big), 3, rounding_mode="trunc").numpy())


def test_div_rounding_mode_is_validated():
    with pytest.raises(InvalidArgumentError, match="div: rounding_mode"):
        ag.div(ag.ones(2), 2, rounding_mode="round")


@pytest.mark.parametrize("name", ["remainder", "fmod"])
def test_remainder_fmod_gradients_match_torch(name):
    a, ta = ag.tensor(FLOATS, requires_grad=True), torch.tensor(FLOATS, requires_grad=True)
    b, tb = ag.tensor(FLOAT_OTHER, requires_grad=True), torch.tensor(FLOAT_OTHER, requires_grad=True)
    getattr(ag, name)(a, b).sum().backward()
    getattr(torch, name)(ta, tb).sum().backward()
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy())
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy())


@pytest.mark.parametrize("f", [ag.remainder, ag.fmod, lambda a, b: a % b])
def test_remainder_fmod_gradcheck_away_from_the_jumps(f):
    # a / b stays at least 0.1 away from an integer, so the step of floor/trunc is never crossed
    a = np.array([[2.3, -2.3, 5.5], [-7.4, 0.6, 3.3]])
    b = np.array([[1.0, 1.0, 2.0], [-2.0, 1.5, -1.2]])
    assert ag.gradcheck(f, [a, b]) and ag.gradgradcheck(f, [a, b])


def test_rounded_division_has_zero_gradient_like_torch():
    # torch.div(rounding_mode=...) has a zero gradient; torch.floor_divide has no derivative at
    # all (backward raises): here floor_divide is div(rounding_mode="floor"), zero gradient too.
    a, ta = ag.tensor(FLOATS, requires_grad=True), torch.tensor(FLOATS, requires_grad=True)
    (ag.floor_divide(a, 2.0) + a.div(3.0, rounding_mode="trunc")).sum().backward()
    (ta.div(2.0, rounding_mode="floor") + ta.div(3.0, rounding_mode="trunc")).sum().backward()
    np.testing.assert_array_equal(a.grad.data, ta.grad.numpy())
