"""Every op, checked three ways in float64 over several shapes (broadcasting included):

* `gradcheck`: the analytic vjp against central finite differences;
* `gradgradcheck`: the vjp differentiated again through the create_graph backward pass;
* PyTorch as an oracle: forward values and gradients (with a random cotangent) against torch.

Each case is one `OpCase`: our function of Tensors, the same function written with torch, and its
float64 inputs. Non-differentiable arguments (indices, masks, constants) live in the closures.
Inputs are drawn from a generator seeded at import, so the suite is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

import autograd_core as ag

_rng = np.random.default_rng(20240601)


# ---- input domains --------------------------------------------------------------------------------

def normal(*shape: int) -> np.ndarray:
    return np.asarray(_rng.standard_normal(shape))


def positive(*shape: int, low: float = 0.5, high: float = 2.0) -> np.ndarray:
    return np.asarray(_rng.uniform(low, high, shape))


def uniform(low: float, high: float, *shape: int) -> np.ndarray:
    return np.asarray(_rng.uniform(low, high, shape))


def away_from_zero(*shape: int) -> np.ndarray:
    """Values with |x| in [0.3, 1.5] and random signs: clear of the kinks at 0 (abs, relu...)."""
    return np.asarray(_rng.choice([-1.0, 1.0], shape) * _rng.uniform(0.3, 1.5, shape))


def avoiding(points: list[float], *shape: int, low: float = -1.5, high: float = 1.5) -> np.ndarray:
    """Uniform values kept at least 0.05 away from each of `points` (clip bounds, thresholds)."""
    x = np.asarray(_rng.uniform(low, high, shape))
    for p in points:
        x = np.where(np.abs(x - p) < 0.05, x + 0.1, x)
    return x


def distinct(*shape: int, signed: bool = True) -> np.ndarray:
    """No two elements tie (and no |x| ties): max/min/norm-inf have a unique winner."""
    n = int(np.prod(shape, dtype=np.int64))
    spacing = 1.8 / max(n - 1, 1)
    # jittered, so two arrays drawn separately do not share values either (maximum(a, b))
    values = _rng.permutation(np.linspace(0.2, 2.0, n) + _rng.uniform(0, 0.3 * spacing, n))
    if signed:
        values = values * _rng.choice([-1.0, 1.0], n)
    return values.reshape(shape)


# ---- cases -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpCase:
    id: str
    ours: Callable[..., ag.Tensor]
    inputs: tuple[np.ndarray, ...]
    theirs: Callable[..., Any] | None = None
    second_order: bool = True

    def __repr__(self) -> str:  # pytest shows the id
        return self.id


CASES: list[OpCase] = []


def case(id: str, ours: Callable, inputs: tuple | list, theirs: Callable | None = None,
         second_order: bool = True) -> None:
    CASES.append(OpCase(id, ours, tuple(np.asarray(a, dtype=np.float64) for a in inputs), theirs,
                        second_order))


def _t():
    """torch, imported only when a torch lambda runs (the lambdas are built without it)."""
    import torch

    return torch


def shape_id(*shapes: tuple) -> str:
    return "x".join("(" + ",".join(map(str, s)) + ")" for s in shapes)


# -- binary arithmetic with broadcasting --------------------------------------------------------------

BROADCAST_PAIRS = [
    ((), (3, 4)),          # scalar with matrix
    ((3, 4), ()),
    ((3, 1), (1, 4)),      # both operands stretched
    ((1, 3), (3, 1)),
    ((2, 3, 4), (4,)),     # missing leading axes
    ((4,), (2, 3, 4)),
    ((3, 1, 4), (2, 1)),
    ((2, 3), (2, 3)),
]

BINARY = {
    "add": (lambda a, b: a + b, normal, normal),
    "sub": (lambda a, b: a - b, normal, normal),
    "mul": (lambda a, b: a * b, normal, normal),
    "div": (lambda a, b: a / b, normal, away_from_zero),
    "pow": (lambda a, b: a ** b, positive, normal),
    "maximum": (None, distinct, distinct),
    "minimum": (None, distinct, distinct),
}

for _name, (_fn, _da, _db) in BINARY.items():
    for _sa, _sb in BROADCAST_PAIRS:
        if _fn is None:
            _ours = getattr(ag, _name)
            _theirs = (lambda name: lambda a, b: getattr(_t(), name)(a, b))(_name)
        else:
            _ours = _theirs = _fn
        case(f"{_name}-{shape_id(_sa, _sb)}", _ours, (_da(*_sa), _db(*_sb)), _theirs)

# the function forms of the operators are the same ops
case("ag.add", ag.add, (normal(3, 1), normal(4)), lambda a, b: a + b)
case("ag.subtract", ag.subtract, (normal(3, 1), normal(4)), lambda a, b: a - b)
case("ag.multiply", ag.multiply, (normal(3, 1), normal(4)), lambda a, b: a * b)
case("ag.divide", ag.divide, (normal(3, 1), away_from_zero(4)), lambda a, b: a / b)
case("ag.pow", ag.pow, (positive(3, 1), normal(4)), lambda a, b: a ** b)

for _sa in [(), (3, 4)]:
    _cond = normal(3, 4) > 0
    case(f"where-{shape_id(_sa)}-with-matrix",
         lambda a, b, c=_cond: ag.where(c, a, b), (normal(*_sa), normal(3, 4)),
         lambda a, b, c=_cond: _t().where(_t().tensor(c), a, b))
case("where-(3,1)x(1,4)-cond-(3,4)",
     lambda a, b, c=normal(3, 4) > 0: ag.where(c, a, b), (normal(3, 1), normal(1, 4)),
     None)
case("where-tensor-condition", lambda a, b: ag.where(a > b, a, b), (distinct(2, 3), distinct(2, 3)),
     lambda a, b: _t().where(a > b, a, b))


# -- reflected forms: a Python scalar or a numpy array on either side ---------------------------------

_CONST_ARRAY = positive(3, 4)
_CONST_SCALAR = 1.7
REFLECTED = {
    # op: (tensor on the left, tensor on the right, domain of the tensor)
    "+": (lambda t, c: t + c, lambda t, c: c + t, normal),
    "-": (lambda t, c: t - c, lambda t, c: c - t, normal),
    "*": (lambda t, c: t * c, lambda t, c: c * t, normal),
    "/": (lambda t, c: t / c, lambda t, c: c / t, away_from_zero),
    "**": (lambda t, c: t ** c, lambda t, c: c ** t, positive),
}

for _sym, (_left, _right, _dom) in REFLECTED.items():
    for _kind, _const in [("python-scalar", _CONST_SCALAR), ("ndarray", _CONST_ARRAY)]:
        for _side, _f in [("tensor-left", _left), ("tensor-right", _right)]:
            def _ours(t, f=_f, c=_const):
                return f(t, c)

            def _theirs(t, f=_f, c=_const):
                return f(t, c if np.isscalar(c) else _t().tensor(c))

            case(f"reflected-{_sym}-{_kind}-{_side}", _ours, (_dom(3, 4),), _theirs)

_MAT = normal(4, 3)
case("reflected-@-ndarray-tensor-left", lambda t: t @ _MAT, (normal(2, 4),),
     lambda t: t @ _t().tensor(_MAT))
case("reflected-@-ndarray-tensor-right", lambda t: _MAT @ t, (normal(3, 2),),
     lambda t: _t().tensor(_MAT) @ t)
case("integer-exponent-on-negative-base", lambda t: t ** 3, (normal(3, 4),), lambda t: t ** 3)
case("integer-exponent-2-on-negative-base", lambda t: t ** 2.0, (normal(5),), lambda t: t ** 2.0)
case("negative-exponent", lambda t: t ** -2, (away_from_zero(5),), lambda t: t ** -2)
case("rsub-from-ndarray-with-broadcast", lambda t: _CONST_ARRAY - t, (normal(4),),
     lambda t: _t().tensor(_CONST_ARRAY) - t)


# -- unary ops ------------------------------------------------------------------------------------

def _torch_gelu(approximate):
    return lambda x: _t().nn.functional.gelu(x, approximate=approximate)


UNARY = {
    "neg": (lambda x: -x, lambda x: -x, normal),
    "abs": (ag.abs, lambda x: _t().abs(x), away_from_zero),
    "abs-method": (lambda x: x.abs(), lambda x: x.abs(), away_from_zero),
    "builtin-abs": (lambda x: abs(x), lambda x: abs(x), away_from_zero),
    "exp": (ag.exp, lambda x: _t().exp(x), normal),
    "log": (ag.log, lambda x: _t().log(x), positive),
    "log1p": (ag.log1p, lambda x: _t().log1p(x), lambda *s: uniform(-0.5, 2.0, *s)),
    "expm1": (ag.expm1, lambda x: _t().expm1(x), normal),
    "sqrt": (ag.sqrt, lambda x: _t().sqrt(x), positive),
    "sin": (ag.sin, lambda x: _t().sin(x), normal),
    "cos": (ag.cos, lambda x: _t().cos(x), normal),
    "tan": (ag.tan, lambda x: _t().tan(x), lambda *s: uniform(-1.2, 1.2, *s)),
    "tanh": (ag.tanh, lambda x: _t().tanh(x), normal),
    "erf": (ag.erf, lambda x: _t().erf(x), normal),
    "sigmoid": (ag.sigmoid, lambda x: _t().sigmoid(x), lambda *s: 3 * normal(*s)),
    "relu": (ag.relu, lambda x: _t().relu(x), away_from_zero),
    "leaky_relu-default": (ag.leaky_relu, lambda x: _t().nn.functional.leaky_relu(x), away_from_zero),
    "leaky_relu-0.2": (lambda x: ag.leaky_relu(x, 0.2),
                       lambda x: _t().nn.functional.leaky_relu(x, 0.2), away_from_zero),
    "gelu-none": (ag.gelu, _torch_gelu("none"), lambda *s: 2 * normal(*s)),
    "gelu-tanh": (lambda x: ag.gelu(x, approximate="tanh"), _torch_gelu("tanh"),
                  lambda *s: 2 * normal(*s)),
    "softplus": (ag.softplus, lambda x: _t().nn.functional.softplus(x), lambda *s: 3 * normal(*s)),
    "softplus-beta2-threshold1": (
        lambda x: ag.softplus(x, beta=2.0, threshold=1.0),
        lambda x: _t().nn.functional.softplus(x, beta=2.0, threshold=1.0),
        lambda *s: avoiding([0.5], *s)),
    "clip-both": (lambda x: ag.clip(x, -0.5, 0.5), lambda x: _t().clamp(x, -0.5, 0.5),
                  lambda *s: avoiding([-0.5, 0.5], *s)),
    "clamp-both": (lambda x: ag.clamp(x, min=-0.5, max=0.5), lambda x: _t().clamp(x, -0.5, 0.5),
                   lambda *s: avoiding([-0.5, 0.5], *s)),
    "clip-min-only": (lambda x: ag.clip(x, min=0.2), lambda x: _t().clamp(x, min=0.2),
                      lambda *s: avoiding([0.2], *s)),
    "clamp-max-only-method": (lambda x: x.clamp(max=0.2), lambda x: x.clamp(max=0.2),
                              lambda *s: avoiding([0.2], *s)),
    "square": (ag.square, lambda x: _t().square(x), normal),
}

UNARY_SHAPES = [(), (5,), (3, 4), (2, 3, 4)]

for _name, (_ours, _theirs, _dom) in UNARY.items():
    for _shape in UNARY_SHAPES:
        case(f"{_name}-{shape_id(_shape)}", _ours, (_dom(*_shape),), _theirs)

case("tensor-methods-chain", lambda x: x.exp().sin().tanh().sigmoid().relu(), (normal(3, 4),),
     lambda x: x.exp().sin().tanh().sigmoid().relu())


# -- reductions ------------------------------------------------------------------------------------

def _dims(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes))


def _torch_prod(x, axis, keepdims):
    dims = _dims(axis, x.ndim)
    for d in reversed(dims):
        x = _t().prod(x, dim=d, keepdim=True)
    return x if keepdims else x.squeeze(dims) if dims else x


def _reduction_torch(name, axis, keepdims, **kw):
    def fn(x):
        torch = _t()
        dims = _dims(axis, x.ndim)
        if x.ndim == 0:
            dims = ()
        if name == "sum":
            return torch.sum(x, dim=dims, keepdim=keepdims) if dims else x.clone()
        if name == "mean":
            return torch.mean(x, dim=dims, keepdim=keepdims) if dims else x.clone()
        if name == "var":
            return torch.var(x, dim=dims, keepdim=keepdims, correction=kw["ddof"])
        if name == "std":
            return torch.std(x, dim=dims, keepdim=keepdims, correction=kw["ddof"])
        if name == "max":
            return torch.amax(x, dim=dims, keepdim=keepdims) if dims else x.clone()
        if name == "min":
            return torch.amin(x, dim=dims, keepdim=keepdims) if dims else x.clone()
        if name == "prod":
            return _torch_prod(x, axis, keepdims)
        if name == "logsumexp":
            return torch.logsumexp(x, dim=dims, keepdim=keepdims) if dims else x.clone()
        if name == "norm":
            return torch.linalg.vector_norm(x, ord=kw["ord"], dim=dims or None, keepdim=keepdims)
        raise AssertionError(name)

    return fn


def _reduction_ours(name, axis, keepdims, **kw):
    def fn(x):
        if name == "norm":
            return ag.norm(x, kw["ord"], axis=axis, keepdims=keepdims)
        if name in ("var", "std"):
            return getattr(ag, name)(x, axis=axis, keepdims=keepdims, ddof=kw["ddof"])
        return getattr(ag, name)(x, axis=axis, keepdims=keepdims)

    return fn


REDUCTIONS = [
    ("sum", {}, normal),
    ("mean", {}, normal),
    ("var", {"ddof": 0}, normal),
    ("var", {"ddof": 1}, normal),
    ("std", {"ddof": 0}, normal),
    ("std", {"ddof": 1}, normal),
    ("max", {}, distinct),
    ("min", {}, distinct),
    ("prod", {}, lambda *s: uniform(0.5, 1.5, *s) * np.sign(normal(*s))),
    ("logsumexp", {}, normal),
    ("norm", {"ord": 1}, away_from_zero),
    ("norm", {"ord": 2}, normal),
    ("norm", {"ord": np.inf}, distinct),
    ("norm", {"ord": 3}, away_from_zero),
]

REDUCTION_AXES = [
    ((2, 3, 4), None),
    ((2, 3, 4), 1),
    ((2, 3, 4), -1),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), (-1, -3)),
    ((5,), 0),
    ((5,), None),
]

for _name, _kw, _dom in REDUCTIONS:
    for _shape, _axis in REDUCTION_AXES:
        for _keep in (False, True):
            if _name in ("var", "std") and _kw["ddof"] == 1 and _shape == (5,) and _keep:
                continue  # covered without keepdims
            _label = "-".join(f"{k}{v}" for k, v in _kw.items())
            case(f"{_name}{'-' + _label if _label else ''}-{shape_id(_shape)}-axis{_axis}"
                 f"{'-keepdims' if _keep else ''}",
                 _reduction_ours(_name, _axis, _keep, **_kw), (_dom(*_shape),),
                 _reduction_torch(_name, _axis, _keep, **_kw))

for _name in ("sum", "mean", "max", "min", "prod", "logsumexp"):
    case(f"{_name}-0d", _reduction_ours(_name, None, False), (normal(),),
         _reduction_torch(_name, None, False))

case("var-ddof2-axis1", lambda x: ag.var(x, axis=1, ddof=2), (normal(3, 5),),
     lambda x: _t().var(x, dim=1, correction=2))
case("std-correction-keyword-dim", lambda x: ag.std(x, dim=0, correction=0, keepdim=True),
     (normal(4, 3),), lambda x: _t().std(x, dim=0, correction=0, keepdim=True))
case("var-default-is-unbiased", lambda x: x.var(), (normal(6),), lambda x: x.var())
case("sum-method-dim-keepdim", lambda x: x.sum(dim=-1, keepdim=True), (normal(3, 4),),
     lambda x: x.sum(dim=-1, keepdim=True))
case("mean-method-tuple", lambda x: x.mean((0, 1)), (normal(2, 3, 4),), lambda x: x.mean((0, 1)))

_WITH_ONE_ZERO = np.array([[1.5, 0.0, 2.0, -0.5], [0.7, 1.1, -1.3, 0.9], [0.0, 0.0, 1.2, 2.0]])
for _axis in (None, 0, 1, -1, (0, 1)):
    case(f"prod-with-zeros-axis{_axis}", _reduction_ours("prod", _axis, False), (_WITH_ONE_ZERO,),
         _reduction_torch("prod", _axis, False))
case("prod-with-zeros-keepdims", _reduction_ours("prod", 1, True), (_WITH_ONE_ZERO,),
     _reduction_torch("prod", 1, True))

for _shape, _axis in [((5,), -1), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1)]:
    case(f"softmax-{shape_id(_shape)}-axis{_axis}", lambda x, a=_axis: ag.softmax(x, axis=a),
         (2 * normal(*_shape),), lambda x, a=_axis: _t().softmax(x, dim=a))
    case(f"log_softmax-{shape_id(_shape)}-axis{_axis}", lambda x, a=_axis: ag.log_softmax(x, axis=a),
         (2 * normal(*_shape),), lambda x, a=_axis: _t().log_softmax(x, dim=a))
case("softmax-default-last-axis-method", lambda x: x.softmax(), (normal(3, 4),),
     lambda x: x.softmax(-1))
case("log_softmax-dim-keyword", lambda x: ag.log_softmax(x, dim=0), (normal(3, 4),),
     lambda x: x.log_softmax(0))
case("softmax-dim-keyword-method", lambda x: x.softmax(dim=0), (normal(3, 4),),
     lambda x: x.softmax(0))


# -- shape ops ----------------------------------------------------------------------------------------

SHAPE_OPS = [
    ("reshape-(4,3)", lambda x: ag.reshape(x, (4, 3)), (3, 4), lambda x: x.reshape(4, 3)),
    ("reshape-minus-one", lambda x: x.reshape(2, -1), (3, 4), lambda x: x.reshape(2, -1)),
    ("reshape-to-1d", lambda x: x.reshape(12), (3, 4), lambda x: x.reshape(12)),
    ("reshape-0d-to-(1,1)", lambda x: x.reshape(1, 1), (), lambda x: x.reshape(1, 1)),
    ("view", lambda x: x.view(6, 2), (3, 4), lambda x: x.view(6, 2)),
    ("ag.view", lambda x: ag.view(x, (2, 2, 3)), (3, 4), lambda x: x.view(2, 2, 3)),
    ("transpose-default-reverses", ag.transpose, (2, 3, 4), lambda x: x.permute(2, 1, 0)),
    ("transpose-axes", lambda x: ag.transpose(x, (1, 0, 2)), (2, 3, 4),
     lambda x: x.permute(1, 0, 2)),
    ("permute", lambda x: x.permute(2, 0, 1), (2, 3, 4), lambda x: x.permute(2, 0, 1)),
    ("ag.permute-negative", lambda x: ag.permute(x, (-1, 0, 1)), (2, 3, 4),
     lambda x: x.permute(-1, 0, 1)),
    (".T", lambda x: x.T, (3, 4), lambda x: x.T),
    ("swapaxes", lambda x: ag.swapaxes(x, 0, 2), (2, 3, 4), lambda x: x.swapaxes(0, 2)),
    ("swapaxes-negative", lambda x: x.swapaxes(-1, 0), (2, 3, 4), lambda x: x.swapaxes(-1, 0)),
    ("moveaxis", lambda x: ag.moveaxis(x, 0, -1), (2, 3, 4), lambda x: x.movedim(0, -1)),
    ("expand_dims-0", lambda x: ag.expand_dims(x, 0), (3, 4), lambda x: x.unsqueeze(0)),
    ("expand_dims--1", lambda x: ag.expand_dims(x, -1), (3, 4), lambda x: x.unsqueeze(-1)),
    ("unsqueeze-1", lambda x: x.unsqueeze(1), (3, 4), lambda x: x.unsqueeze(1)),
    ("unsqueeze-0d", lambda x: ag.unsqueeze(x, 0), (), lambda x: x.unsqueeze(0)),
    ("squeeze-all", ag.squeeze, (1, 3, 1, 4), lambda x: x.squeeze()),
    ("squeeze-axis0", lambda x: ag.squeeze(x, 0), (1, 3, 1, 4), lambda x: x.squeeze(0)),
    ("squeeze-tuple", lambda x: x.squeeze((0, 2)), (1, 3, 1, 4), lambda x: x.squeeze((0, 2))),
    ("squeeze-negative", lambda x: x.squeeze(-2), (1, 3, 1, 4), lambda x: x.squeeze(-2)),
    ("broadcast_to-(3,1)-(2,3,4)", lambda x: ag.broadcast_to(x, (2, 3, 4)), (3, 1),
     lambda x: x.broadcast_to(2, 3, 4)),
    ("broadcast_to-(4,)-(3,4)", lambda x: x.broadcast_to((3, 4)), (4,),
     lambda x: x.broadcast_to(3, 4)),
    ("broadcast_to-0d", lambda x: ag.broadcast_to(x, (2, 3)), (), lambda x: x.broadcast_to(2, 3)),
    ("expand", lambda x: x.expand((2, 3, 4)), (1, 4), lambda x: x.expand(2, 3, 4)),
    ("flatten", ag.flatten, (2, 3, 4), lambda x: x.flatten()),
    ("flatten-start1", lambda x: x.flatten(1), (2, 3, 4), lambda x: x.flatten(1)),
    ("flatten-0-1", lambda x: ag.flatten(x, 0, 1), (2, 3, 4), lambda x: x.flatten(0, 1)),
    ("flatten-0d", ag.flatten, (), lambda x: x.flatten()),
    ("pad-2d", lambda x: ag.pad(x, ((1, 2), (0, 3))), (3, 4),
     lambda x: _t().nn.functional.pad(x, (0, 3, 1, 2))),
    ("pad-scalar-width-constant2", lambda x: ag.pad(x, 1, constant_values=2.0), (2, 3),
     lambda x: _t().nn.functional.pad(x, (1, 1, 1, 1), value=2.0)),
    ("pad-1d", lambda x: x.pad((2, 1)), (4,), lambda x: _t().nn.functional.pad(x, (2, 1))),
]

for _name, _ours, _shape, _theirs in SHAPE_OPS:
    case(f"{_name}-{shape_id(_shape)}", _ours, (normal(*_shape),), _theirs)

case("concatenate-axis0", lambda a, b, c: ag.concatenate([a, b, c]),
     (normal(1, 3), normal(2, 3), normal(4, 3)), lambda a, b, c: _t().cat([a, b, c]))
case("cat-axis-1", lambda a, b: ag.cat([a, b], axis=-1), (normal(2, 3, 1), normal(2, 3, 4)),
     lambda a, b: _t().cat([a, b], dim=-1))
case("cat-dim-keyword-1d", lambda a, b: ag.cat((a, b), dim=0), (normal(3), normal(2)),
     lambda a, b: _t().cat((a, b), dim=0))
case("cat-dim-keyword-1", lambda a, b: ag.cat((a, b), dim=1), (normal(2, 3), normal(2, 1)),
     lambda a, b: _t().cat((a, b), dim=1))
case("stack-dim-keyword-1", lambda a, b: ag.stack((a, b), dim=1), (normal(2, 3), normal(2, 3)),
     lambda a, b: _t().stack((a, b), dim=1))
case("cat-with-constant-ndarray", lambda a: ag.cat([a, np.ones((1, 3))]), (normal(2, 3),),
     lambda a: _t().cat([a, _t().ones(1, 3, dtype=_t().float64)]))
for _axis in (0, 1, -1):
    case(f"stack-axis{_axis}", lambda a, b, c, ax=_axis: ag.stack([a, b, c], axis=ax),
         (normal(2, 3), normal(2, 3), normal(2, 3)),
         lambda a, b, c, ax=_axis: _t().stack([a, b, c], dim=ax))
case("stack-0d", lambda a, b: ag.stack([a, b]), (normal(), normal()), lambda a, b: _t().stack([a, b]))


def _weighted_cat(pieces, cat):
    return cat([p * (i + 1) for i, p in enumerate(pieces)])


# torch's split: an int is the chunk size (the last chunk smaller), a list the sizes.
case("split-size", lambda x: _weighted_cat(ag.split(x, 4), ag.cat), (normal(10, 2),),
     lambda x: _weighted_cat(_t().split(x, 4), _t().cat))
case("split-sizes-axis1", lambda x: _weighted_cat(ag.split(x, [1, 3, 1], axis=1),
                                                  lambda ps: ag.cat(ps, axis=1)),
     (normal(2, 5),),
     lambda x: _weighted_cat(_t().split(x, [1, 3, 1], dim=1), lambda ps: _t().cat(ps, dim=1)))
case("split-dim-keyword", lambda x: _weighted_cat(ag.split(x, 2, dim=1), lambda ps: ag.cat(ps, dim=1)),
     (normal(3, 5),),
     lambda x: _weighted_cat(_t().split(x, 2, dim=1), lambda ps: _t().cat(ps, dim=1)))
case("split-method-unused-piece", lambda x: x.split(2)[1], (normal(4, 3),),
     lambda x: _t().split(x, 2)[1])
case("tensor_split-sections", lambda x: _weighted_cat(ag.tensor_split(x, 3), ag.cat), (normal(7, 2),),
     lambda x: _weighted_cat(_t().tensor_split(x, 3), _t().cat))
case("tensor_split-indices", lambda x: _weighted_cat(x.tensor_split([1, 3], dim=1),
                                                     lambda ps: ag.cat(ps, dim=1)),
     (normal(2, 5),),
     lambda x: _weighted_cat(_t().tensor_split(x, [1, 3], dim=1), lambda ps: _t().cat(ps, dim=1)))
case("chunk-uneven", lambda x: _weighted_cat(ag.chunk(x, 4), ag.cat), (normal(6, 2),),
     lambda x: _weighted_cat(_t().chunk(x, 4), _t().cat))
case("unbind-dim1", lambda x: _weighted_cat(x.unbind(1), ag.stack), (normal(2, 3),),
     lambda x: _weighted_cat(x.unbind(1), _t().stack))


# -- indexing ---------------------------------------------------------------------------------------------

_MASK = normal(3, 4) > 0
_ROW_MASK = np.array([True, False, True])
INDEXING = [
    ("int", lambda x: x[1], lambda x: x[1]),
    ("slice", lambda x: x[:, 1:3], lambda x: x[:, 1:3]),
    ("step", lambda x: x[..., ::2], lambda x: x[..., ::2]),
    ("negative-step", lambda x: x[-1, ::-1], lambda x: x[-1].flip(0)),
    ("newaxis", lambda x: x[None, 1], lambda x: x[None, 1]),
    ("scalar-element", lambda x: x[1, 2], lambda x: x[1, 2]),
    ("int-array-with-repeats", lambda x: x[[0, 2, 2, 0]], lambda x: x[[0, 2, 2, 0]]),
    ("2d-int-array", lambda x: x[np.array([[0, 1], [2, 2]])],
     lambda x: x[_t().tensor([[0, 1], [2, 2]])]),
    ("columns-with-repeats", lambda x: x[:, [3, 3, 1]], lambda x: x[:, [3, 3, 1]]),
    ("paired-int-arrays", lambda x: x[[0, 1, 1], [2, 3, 3]], lambda x: x[[0, 1, 1], [2, 3, 3]]),
    ("tensor-index", lambda x: x[ag.tensor([2, 0, 2])], lambda x: x[_t().tensor([2, 0, 2])]),
    ("bool-mask", lambda x: x[_MASK], lambda x: x[_t().tensor(_MASK)]),
    ("bool-row-mask", lambda x: x[_ROW_MASK], lambda x: x[_t().tensor(_ROW_MASK)]),
    ("tensor-bool-mask", lambda x: x[ag.tensor(_MASK)], lambda x: x[_t().tensor(_MASK)]),
    ("slice-then-int-array", lambda x: x[1:, [0, 0]], lambda x: x[1:, [0, 0]]),
]
for _name, _ours, _theirs in INDEXING:
    case(f"getitem-{_name}", _ours, (normal(3, 4),), _theirs)
case("getitem-3d-ellipsis-int", lambda x: x[..., 1], (normal(2, 3, 4),), lambda x: x[..., 1])
case("getitem-iterate", lambda x: ag.stack([row * (i + 1) for i, row in enumerate(x)]),
     (normal(3, 2),), lambda x: _t().stack([row * (i + 1) for i, row in enumerate(x)]))

_IDX = np.array([[0, 1, 2, 0], [2, 0, 2, 2]])
case("gather-axis0", lambda x: ag.gather(x, 0, _IDX), (normal(3, 4),),
     lambda x: _t().gather(x, 0, _t().tensor(_IDX)))
_IDX1 = np.array([[3, 3, 0], [1, 2, 1], [0, 0, 0]])
case("gather-axis1-repeats", lambda x: x.gather(1, _IDX1), (normal(3, 4),),
     lambda x: _t().gather(x, 1, _t().tensor(_IDX1)))
case("gather-axis-1", lambda x: ag.gather(x, -1, _IDX1), (normal(3, 4),),
     lambda x: _t().gather(x, -1, _t().tensor(_IDX1)))
case("take_along_axis", lambda x: ag.take_along_axis(x, 1, _IDX1), (normal(3, 4),),
     lambda x: _t().gather(x, 1, _t().tensor(_IDX1)))

_SIDX = np.array([[0, 2, 2], [1, 0, 2]])
case("scatter_add-axis0-repeats", lambda x, s: ag.scatter_add(x, 0, _SIDX, s),
     (normal(3, 3), normal(2, 3)),
     lambda x, s: _t().scatter_add(x, 0, _t().tensor(_SIDX), s))
# torch's own backward rejects a src larger than the index (a torch limitation): no oracle here
case("scatter_add-axis1-src-larger-than-index", lambda x, s: x.scatter_add(1, _SIDX, s),
     (normal(2, 4), normal(3, 4)))
_AIDX = np.array([0, 2, 2, 1])
case("index_add-axis0-repeats", lambda x, s: ag.index_add(x, 0, _AIDX, s),
     (normal(3, 2), normal(4, 2)), lambda x, s: _t().index_add(x, 0, _t().tensor(_AIDX), s))
case("index_add-axis-1-alpha", lambda x, s: x.index_add(-1, _AIDX, s, alpha=0.5),
     (normal(2, 3), normal(2, 4)),
     lambda x, s: _t().index_add(x, -1, _t().tensor(_AIDX), s, alpha=0.5))


# -- linear algebra -----------------------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),          # 1-D left operand
    ((3, 4), (4,)),          # 1-D right operand
    ((4,), (4,)),            # inner product
    ((2, 3, 4), (4, 5)),     # batch with a matrix
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),  # batched
    ((2, 1, 3, 4), (5, 4, 2)),  # broadcast batch dims
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
]
for _sa, _sb in MATMUL_SHAPES:
    case(f"matmul-{shape_id(_sa, _sb)}", lambda a, b: a @ b, (normal(*_sa), normal(*_sb)),
         lambda a, b: a @ b)
case("ag.matmul", ag.matmul, (normal(2, 3), normal(3, 2)), lambda a, b: a @ b)
case("matmul-method", lambda a, b: a.matmul(b), (normal(2, 3), normal(3)), lambda a, b: a.matmul(b))
case("dot-1d", ag.dot, (normal(4), normal(4)), lambda a, b: _t().dot(a, b))
case("dot-2d-is-matmul", ag.dot, (normal(2, 3), normal(3, 4)), lambda a, b: a @ b)
case("dot-matrix-vector-method", lambda a, b: a.dot(b), (normal(2, 3), normal(3)),
     lambda a, b: a @ b)
case("outer", ag.outer, (normal(3), normal(4)), lambda a, b: _t().outer(a, b))

EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,i->", [(4,), (4,)]),
    ("ij->ji", [(3, 4)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ij->", [(3, 4)]),
    ("ij,k->ijk", [(2, 3), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
]
for _spec, _shapes in EINSUM:
    case(f"einsum-{_spec}-{shape_id(*_shapes)}", lambda *ops, s=_spec: ag.einsum(s, *ops),
         [normal(*s) for s in _shapes], lambda *ops, s=_spec: _t().einsum(s, *ops))

LINEAR = [
    ("with-bias", (5, 3), True),
    ("without-bias", (5, 3), False),
    ("batched-input", (2, 5, 3), True),
    ("1d-input", (3,), True),
]
for _name, _xshape, _bias in LINEAR:
    if _bias:
        case(f"linear-{_name}", lambda x, w, b: ag.linear(x, w, b),
             (normal(*_xshape), normal(4, 3), normal(4)),
             lambda x, w, b: _t().nn.functional.linear(x, w, b))
    else:
        case(f"linear-{_name}", lambda x, w: ag.linear(x, w), (normal(*_xshape), normal(4, 3)),
             lambda x, w: _t().nn.functional.linear(x, w))



# ---- the tests ------------------------------------------------------------------------------------------

def _ids(cases):
    return [c.id for c in cases]


@pytest.mark.parametrize("op_case", CASES, ids=_ids(CASES))
def test_gradcheck_matches_finite_differences(op_case: OpCase) -> None:
    assert ag.gradcheck(op_case.ours, list(op_case.inputs))


SECOND_ORDER = [c for c in CASES if c.second_order]


@pytest.mark.parametrize("op_case", SECOND_ORDER, ids=_ids(SECOND_ORDER))
def test_gradgradcheck_second_derivatives(op_case: OpCase) -> None:
    assert ag.gradgradcheck(op_case.ours, list(op_case.inputs))


WITH_TORCH = [c for c in CASES if c.theirs is not None]


@pytest.mark.parametrize("op_case", WITH_TORCH, ids=_ids(WITH_TORCH))
def test_values_and_gradients_match_torch(op_case: OpCase) -> None:
    torch = pytest.importorskip("torch")
    leaves = [ag.tensor(a, requires_grad=True) for a in op_case.inputs]
    out = op_case.ours(*leaves)
    t_leaves = [torch.tensor(a, requires_grad=True) for a in op_case.inputs]
    t_out = op_case.theirs(*t_leaves)

    assert out.dtype == np.float64
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)

    cotangent = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(cotangent)
    t_out.backward(torch.tensor(cotangent))
    for leaf, t_leaf in zip(leaves, t_leaves):
        assert leaf.grad is not None
        assert leaf.grad.shape == leaf.shape
        assert leaf.grad.dtype == np.float64
        expected = t_leaf.grad.numpy() if t_leaf.grad is not None else np.zeros(leaf.shape)
        np.testing.assert_allclose(leaf.grad.data, expected, rtol=1e-9, atol=1e-12)


def test_every_case_id_is_unique() -> None:
    ids = _ids(CASES)
    assert len(ids) == len(set(ids))


# ---- both names exist, and Tensor methods are the same ops ---------------------------------------

@pytest.mark.parametrize("first, second", [
    ("clip", "clamp"), ("swapaxes", "swapdims"), ("moveaxis", "movedim"),
    ("expand_dims", "unsqueeze"), ("concatenate", "cat"),
])
def test_both_names_exist_as_functions_and_methods(first: str, second: str) -> None:
    assert getattr(ag, first) is getattr(ag, second)
    if first != "concatenate":
        assert callable(getattr(ag.Tensor, first)) and callable(getattr(ag.Tensor, second))


# ---- non-differentiable ops ------------------------------------------------------------------------

@pytest.mark.parametrize("compare", [
    lambda a, b: a < b, lambda a, b: a <= b, lambda a, b: a > b, lambda a, b: a >= b,
    lambda a, b: a == b, lambda a, b: a != b,
    lambda a, b: ag.lt(a, b), lambda a, b: ag.ge(a, b), lambda a, b: ag.eq(a, 0.5),
    lambda a, b: np.less(a, b), lambda a, b: a > 0.0,
], ids=["<", "<=", ">", ">=", "==", "!=", "ag.lt", "ag.ge", "ag.eq-scalar", "np.less", "gt-scalar"])
def test_comparisons_return_bool_tensors_without_grad(compare) -> None:
    a = ag.tensor(np.array([[0.5, 1.0, 2.0]]), requires_grad=True)
    b = ag.tensor(np.array([[1.0], [0.5]]), requires_grad=True)
    result = compare(a, b)
    assert isinstance(result, ag.Tensor)
    assert result.dtype == np.bool_
    assert not result.requires_grad and result.grad_fn is None


def test_comparison_values_match_numpy() -> None:
    a_data, b_data = np.array([0.5, 1.0, 2.0]), np.array([1.0, 1.0, 1.0])
    a, b = ag.tensor(a_data), ag.tensor(b_data)
    for ours, ref in [(a < b, a_data < b_data), (a <= b, a_data <= b_data), (a > b, a_data > b_data),
                      (a >= b, a_data >= b_data), (a == b, a_data == b_data),
                      (a != b, a_data != b_data)]:
        np.testing.assert_array_equal(ours.data, ref)


@pytest.mark.parametrize("fn, axis, expected", [
    (ag.argmax, None, 5), (ag.argmax, 0, [1, 1, 1]), (ag.argmax, -1, [1, 2]),
    (ag.argmin, None, 0), (ag.argmin, 1, [0, 0]),
])
def test_argmax_argmin_return_integer_tensors_without_grad(fn, axis, expected) -> None:
    x = ag.tensor(np.array([[0.0, 3.0, 1.0], [2.0, 4.0, 5.0]]), requires_grad=True)
    result = fn(x, axis=axis)
    assert result.dtype.kind == "i"
    assert not result.requires_grad and result.grad_fn is None
    np.testing.assert_array_equal(result.data, expected)


def test_argmax_method_and_keepdims() -> None:
    x = ag.tensor(np.array([[0.0, 3.0, 1.0], [2.0, 4.0, 5.0]]), requires_grad=True)
    assert x.argmax(dim=1, keepdims=True).shape == (2, 1)
    assert x.argmin().item() == 0


def test_sign_has_a_zero_gradient() -> None:
    x = ag.tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    s = ag.sign(x)
    np.testing.assert_array_equal(s.data, [-1.0, 0.0, 1.0])
    s.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])
