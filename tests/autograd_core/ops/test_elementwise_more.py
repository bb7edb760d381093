"""newops10a, elementwise ops of issue 10, checked from one table against PyTorch:

* forward values and dtypes against torch, over broadcasting and edge shapes (0-d, empty);
* the gradient (with a random cotangent) against torch's, on the same inputs;
* float64 `gradcheck` and `gradgradcheck` (autograd_core.gradcheck) on the first input set;
* typed errors for bad arguments, and the Tensor method forms.

Each row: name, our function of Tensors, the same function in torch, and a domain (a function
of a seeded Generator and a shape giving float64 inputs where the function is smooth).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError

# PyTorch is the oracle of every comparison here; without it this file skips (CI installs it).
torch = pytest.importorskip("torch")

# ---- domains: (rng, shape) -> float64 array ---------------------------------------------------


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.3, 3.0, shape)


def unit(rng, shape):
    """Inside (-0.85, 0.85): asin, acos, atanh, erfinv are smooth there."""
    return rng.uniform(-0.85, 0.85, shape)


def above_one(rng, shape):
    return rng.uniform(1.2, 3.0, shape)


def signed_away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)


def between_integers(rng, shape):
    """k + u with u in [0.15, 0.85] (rounding is locally constant; halves avoided)."""
    return rng.integers(-3, 3, shape) + rng.uniform(0.15, 0.85, shape) * np.where(
        rng.random(shape) < 0.5, 1.0, 0.9)


#: Broadcasting shape sets for one- and two-input functions (first one: for gradcheck).
UNARY_SHAPES = [[(2, 3)], [()], [(4,)], [(0,)], [(2, 0, 3)]]
BINARY_SHAPES = [[(2, 3), (3,)], [(), (2, 1)], [(2, 1), (1, 3)], [(3,), ()], [(0,), (1,)],
                 [(2, 0), (2, 1)]]
TERNARY_SHAPES = [[(2, 3), (3,), (2, 1)], [(), (4,), ()], [(0,), (1,), (1,)]]


@dataclass
class Case:
    name: str
    ours: Callable
    theirs: Callable
    domains: tuple
    shapes: list
    gradgrad: bool = True


def _u(name, domain, torch_name=None, gradgrad=True):
    return Case(name, getattr(ag, name), getattr(torch, torch_name or name), (domain,),
                UNARY_SHAPES, gradgrad)


def _b(name, d1, d2, torch_name=None, gradgrad=True):
    return Case(name, getattr(ag, name), getattr(torch, torch_name or name), (d1, d2),
                BINARY_SHAPES, gradgrad)


CASES = [
    _u("floor", between_integers), _u("ceil", between_integers), _u("trunc", between_integers),
    _u("round", between_integers), _u("frac", between_integers),
    Case("round_decimals", lambda x: ag.round(x, decimals=1),
         lambda x: torch.round(x, decimals=1), (lambda r, s: between_integers(r, s) / 10 + 0.001,),
         UNARY_SHAPES),
    Case("round_negative_decimals", lambda x: ag.round(x, decimals=-1),
         lambda x: torch.round(x, decimals=-1), (lambda r, s: between_integers(r, s) * 10,),
         UNARY_SHAPES),
    _u("reciprocal", signed_away_from_zero), _u("rsqrt", positive), _u("square", normal),
    _u("log2", positive), _u("log10", positive), _u("exp2", normal),
    _u("asin", unit), _u("acos", unit), _u("atan", normal), _u("sinh", normal),
    _u("cosh", normal), _u("asinh", normal), _u("acosh", above_one), _u("atanh", unit),
    _u("erfc", normal), _u("erfinv", unit),
    _u("arcsin", unit), _u("arctanh", unit),
    Case("nan_to_num", ag.nan_to_num, torch.nan_to_num, (normal,), UNARY_SHAPES),
    Case("nan_to_num_values", lambda x: ag.nan_to_num(x, nan=1.5, posinf=9.0, neginf=-9.0),
         lambda x: torch.nan_to_num(x, nan=1.5, posinf=9.0, neginf=-9.0), (normal,), UNARY_SHAPES),
    _b("atan2", signed_away_from_zero, signed_away_from_zero),
    _b("copysign", signed_away_from_zero, signed_away_from_zero),
    _b("hypot", signed_away_from_zero, signed_away_from_zero),
    _b("xlogy", signed_away_from_zero, positive),
    _b("logaddexp", normal, normal), _b("logaddexp2", normal, normal),
    Case("clamp_min_tensor", ag.clamp_min, torch.clamp_min, (normal, normal), BINARY_SHAPES),
    Case("clamp_max_tensor", ag.clamp_max, torch.clamp_max, (normal, normal), BINARY_SHAPES),
    Case("clamp_min_scalar", lambda x: ag.clamp_min(x, 0.25), lambda x: torch.clamp_min(x, 0.25),
         (lambda r, s: r.uniform(-1, 1, s) + 0.01,), UNARY_SHAPES),
    Case("clamp_max_scalar", lambda x: ag.clamp_max(x, -0.25),
         lambda x: torch.clamp_max(x, -0.25), (lambda r, s: r.uniform(-1, 1, s) + 0.01,),
         UNARY_SHAPES),
    Case("lerp", ag.lerp, torch.lerp, (normal, normal, normal), TERNARY_SHAPES),
    Case("lerp_scalar_weight", lambda a, b: ag.lerp(a, b, 0.75), lambda a, b: torch.lerp(a, b, 0.75),
         (normal, normal), BINARY_SHAPES),
]
IDS = [c.name for c in CASES]


def _inputs(case: Case, shape_set: list, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.asarray(domain(rng, shape), dtype=np.float64)
            for domain, shape in zip(case.domains, shape_set)]


def _compare_with_torch(case: Case, arrays: list[np.ndarray]) -> None:
    ours_in = [ag.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = case.ours(*ours_in), case.theirs(*theirs_in)
    assert out.shape == tuple(expected.shape)
    assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    cotangent = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(ag.tensor(cotangent))
    expected.backward(torch.tensor(cotangent))
    for ours, theirs in zip(ours_in, theirs_in):
        assert ours.grad is not None and ours.grad.shape == ours.shape
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_and_gradient_match_torch_over_shapes(case: Case) -> None:
    for seed, shape_set in enumerate(case.shapes):
        _compare_with_torch(case, _inputs(case, shape_set, seed))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck_and_gradgradcheck(case: Case) -> None:
    arrays = _inputs(case, case.shapes[0], seed=7)
    assert ag.gradcheck(case.ours, arrays)
    if case.gradgrad:
        assert ag.gradgradcheck(case.ours, arrays)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float32_stays_float32(case: Case) -> None:
    arrays = [a.astype(np.float32) for a in _inputs(case, case.shapes[0], seed=3)]
    out = case.ours(*[ag.tensor(a) for a in arrays])
    expected = case.theirs(*[torch.tensor(a) for a in arrays])
    assert out.dtype == np.float32 and expected.dtype == torch.float32
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=2e-5, atol=1e-6)


# ---- edge values, PyTorch's conventions --------------------------------------------------------

SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 0.5, -0.5, np.inf, -np.inf, np.nan, 1e300])


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "frac", "reciprocal",
                                  "rsqrt", "log2", "log10", "exp2", "asin", "acos", "atan",
                                  "sinh", "cosh", "asinh", "acosh", "atanh", "erfc", "erfinv",
                                  "isnan", "isinf", "isfinite", "isposinf", "isneginf",
                                  "nan_to_num", "logical_not"])
def test_special_values_match_torch(name: str) -> None:
    with np.errstate(all="ignore"):
        out = getattr(ag, name)(ag.tensor(SPECIAL))
    expected = getattr(torch, name)(torch.tensor(SPECIAL))
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-15, atol=0)  # nan == nan here
    zeros = out.data == 0
    np.testing.assert_array_equal(np.signbit(out.data[zeros]), np.signbit(expected.numpy()[zeros]))
    assert str(out.dtype) == str(expected.dtype).replace("torch.", "")


def test_rounding_has_zero_gradient_and_frac_one_as_torch() -> None:
    for name in ("floor", "ceil", "round", "trunc", "frac"):
        x = ag.tensor([0.3, 1.7, -2.2], requires_grad=True)
        t = torch.tensor([0.3, 1.7, -2.2], requires_grad=True)
        getattr(ag, name)(x).sum().backward()
        getattr(torch, name)(t).sum().backward()
        np.testing.assert_array_equal(x.grad.data, t.grad.numpy())
        assert x.grad.data.tolist() == ([1.0, 1.0, 1.0] if name == "frac" else [0.0, 0.0, 0.0])


def test_rounding_keeps_integer_tensors() -> None:
    ints = np.array([-3, 0, 7], dtype=np.int64)
    for name in ("floor", "ceil", "trunc", "round"):
        out = getattr(ag, name)(ag.tensor(ints))
        expected = getattr(torch, name)(torch.tensor(ints))
        assert out.dtype == np.int64 and expected.dtype == torch.int64
        np.testing.assert_array_equal(out.data, expected.numpy())


def test_float_functions_of_integers_give_the_default_float_dtype() -> None:
    for name in ("reciprocal", "rsqrt", "log2", "exp2", "atan", "erfc"):
        out = getattr(ag, name)(ag.tensor([1, 2, 4]))
        expected = getattr(torch, name)(torch.tensor([1, 2, 4]))
        assert out.dtype == np.float32 and expected.dtype == torch.float32
        np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-6)


def _grads(fn_ours, fn_torch, *arrays):
    ours = [ag.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, expected = fn_ours(*ours), fn_torch(*theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-12)


def test_clamp_bounds_at_ties_give_the_gradient_to_x_as_torch() -> None:
    x = np.array([0.0, 1.0, 2.0, -1.0])
    bound = np.array([1.0, 1.0, 1.0, 1.0])
    _grads(ag.clamp_min, torch.clamp_min, x, bound)
    _grads(ag.clamp_max, torch.clamp_max, x, bound)
    _grads(lambda a: ag.clamp_min(a, 1.0), lambda a: torch.clamp_min(a, 1.0), x)


def test_nan_to_num_gradient_is_zero_at_replaced_elements() -> None:
    _grads(ag.nan_to_num, torch.nan_to_num, np.array([np.nan, 1.0, np.inf, -np.inf, -2.0]))


def test_copysign_at_zero_and_xlogy_at_zero_match_torch() -> None:
    _grads(ag.copysign, torch.copysign, np.array([0.0, -0.0, 1.5, -2.0]),
           np.array([-1.0, 1.0, -0.0, 3.0]))
    _grads(ag.xlogy, torch.xlogy, np.array([0.0, 0.0, 0.0, 2.0, 1.0]),
           np.array([0.0, 3.0, -1.0, 0.5, 4.0]))
    out = ag.xlogy(ag.tensor([0.0, 0.0]), ag.tensor([np.nan, 0.0]))
    np.testing.assert_array_equal(out.data, torch.xlogy(torch.tensor([0.0, 0.0]),
                                                        torch.tensor([np.nan, 0.0])).numpy())


def test_logaddexp_is_stable_for_large_inputs() -> None:
    _grads(ag.logaddexp, torch.logaddexp, np.array([1000.0, -1000.0, 5.0]),
           np.array([999.0, -1001.0, 5.0]))
    _grads(ag.logaddexp2, torch.logaddexp2, np.array([1000.0, -1000.0]), np.array([999.0, 0.0]))


# ---- comparisons and logic (not differentiable) ------------------------------------------------

A = np.array([1.0, np.nan, np.inf, 0.0, 1e-9, 2.0])
B = np.array([1.0 + 1e-6, np.nan, np.inf, -0.0, 0.0, 2.1])


@pytest.mark.parametrize("kwargs", [{}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 1e-5}])
def test_isclose_and_allclose_match_torch(kwargs) -> None:
    out = ag.isclose(ag.tensor(A), ag.tensor(B), **kwargs)
    expected = torch.isclose(torch.tensor(A), torch.tensor(B), **kwargs)
    np.testing.assert_array_equal(out.data, expected.numpy())
    assert out.dtype == np.bool_ and not out.requires_grad
    for a, b in ((A, B), (A[[0, 3]], B[[0, 3]]), (A[[2]], B[[2]])):
        assert ag.allclose(ag.tensor(a), ag.tensor(b), **kwargs) is torch.allclose(
            torch.tensor(a), torch.tensor(b), **kwargs)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_ops_match_torch_on_floats_ints_and_bools(name: str) -> None:
    pairs = [(np.array([0.0, 1.5, -2.0, 0.0]), np.array([0.0, 0.0, 3.0, 1.0])),
             (np.array([[0, 2], [3, 0]]), np.array([1, 0])),
             (np.array([True, False]), np.array([[True], [False]]))]
    for a, b in pairs:
        out = getattr(ag, name)(ag.tensor(a), ag.tensor(b))
        expected = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
        assert out.dtype == np.bool_ and expected.dtype == torch.bool
        np.testing.assert_array_equal(out.data, expected.numpy())
        np.testing.assert_array_equal(getattr(ag.tensor(a), name)(ag.tensor(b)).data, out.data)
    np.testing.assert_array_equal(ag.tensor([0.0, 2.0]).logical_not().data, [True, False])


# ---- typed errors and method forms ------------------------------------------------------------

def test_bad_arguments_raise_typed_errors() -> None:
    x = ag.tensor(np.ones((2, 3)))
    for fn in (ag.atan2, ag.copysign, ag.hypot, ag.xlogy, ag.logaddexp, ag.logaddexp2,
               ag.clamp_min, ag.clamp_max, ag.isclose):
        with pytest.raises(ShapeError, match=fn.__name__):
            fn(x, ag.tensor(np.ones(4)))
    with pytest.raises(ShapeError, match="lerp"):
        ag.lerp(x, x, ag.tensor(np.ones(4)))
    with pytest.raises(InvalidArgumentError, match="round"):
        ag.round(x, decimals=1.5)
    with pytest.raises(InvalidArgumentError, match="clamp_min"):
        ag.clamp_min(x, None)
    with pytest.raises(InvalidArgumentError, match="clamp_max"):
        ag.clamp_max(x, None)
    with pytest.raises(InvalidArgumentError, match="isclose"):
        ag.isclose(x, x, rtol=-1.0)
    assert issubclass(DTypeError, TypeError)


METHOD_NAMES = ("floor ceil trunc frac round reciprocal rsqrt log2 log10 exp2 asin acos atan sinh "
                "cosh asinh atanh erfc erfinv isnan isinf isposinf isneginf nan_to_num").split()


def test_tensor_methods_call_the_functions() -> None:
    values = np.array([[0.2, -0.4], [0.6, 0.1]])
    for name in METHOD_NAMES:
        np.testing.assert_array_equal(getattr(ag.tensor(values), name)().data,
                                      getattr(ag, name)(ag.tensor(values)).data)
    x, y = ag.tensor(values), ag.tensor(values[::-1].copy())
    for name in ("atan2", "copysign", "hypot", "xlogy", "logaddexp", "logaddexp2", "clamp_min",
                 "clamp_max", "isclose", "logical_and", "logical_or", "logical_xor"):
        np.testing.assert_array_equal(getattr(x, name)(y).data, getattr(ag, name)(x, y).data)
    np.testing.assert_array_equal(x.lerp(y, 0.3).data, ag.lerp(x, y, 0.3).data)
    assert x.allclose(x) is True
    assert x.round(decimals=1).data.tolist() == np.round(values, 1).tolist()


def test_gradient_reaches_through_method_chain_under_create_graph() -> None:
    """A second derivative through a chain of new ops, against torch."""
    def f(lib, x):
        return (lib.sinh(x) * lib.atan(x) + lib.log2(lib.hypot(x, x * 0.5 + 1.0))).sum()

    x = ag.tensor(np.array([0.3, -0.7, 1.2]), requires_grad=True)
    t = torch.tensor([0.3, -0.7, 1.2], requires_grad=True, dtype=torch.float64)
    y = f(ag, x)
    y.backward(create_graph=True)
    first = x.grad
    x.grad = None
    first.sum().backward()
    (gt,) = torch.autograd.grad(f(torch, t), t, create_graph=True)
    (ggt,) = torch.autograd.grad(gt.sum(), t)
    np.testing.assert_allclose(first.data, gt.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.data, ggt.numpy(), rtol=1e-10)



def test_erfc_and_erfinv_work_without_scipy(monkeypatch) -> None:
    """scipy is optional at run time: the numpy fallbacks match torch to double precision."""
    from autograd_core.ops import elementwise_more

    monkeypatch.setattr(elementwise_more, "_special", lambda name: elementwise_more._FALLBACKS[name])
    grid = np.concatenate([np.linspace(-0.999999, 0.999999, 4001),
                           [-1.0, 1.0, 0.0, 1.5, np.nan, 1 - 1e-15, 0.5, 1e-300]])
    np.testing.assert_allclose(ag.erfinv(ag.tensor(grid)).data,
                               torch.erfinv(torch.tensor(grid)).numpy(), rtol=1e-14, atol=0)
    wide = np.linspace(-6.0, 26.0, 2001)
    np.testing.assert_allclose(ag.erfc(ag.tensor(wide)).data, torch.erfc(torch.tensor(wide)).numpy(),
                               rtol=1e-13, atol=0)
    assert ag.erfinv(ag.tensor(np.float32([0.3]))).dtype == np.float32
    assert ag.gradgradcheck(ag.erfinv, [np.array([-0.6, 0.1, 0.8])])


def test_ops_module_never_calls_the_shadowed_builtins():
    """ops/__init__.py defines any, all and round (torch's names), which shadow the builtins
    for every function in that module: code there must call builtins.any/all/round."""
    import re
    from pathlib import Path

    import autograd_core.ops as ops_module

    source = Path(ops_module.__file__).read_text()
    bare = [line for line in source.splitlines()
            if re.search(r"(^|[^\w.])(any|all|round)\(", line) and not re.match(r"\s*def ", line)]
    assert bare == []
