"""Elementwise ops: arithmetic, transcendental functions and activations.

Each op's forward and vjp sit together. Inputs broadcast like numpy; a vjp may return a gradient
of the broadcast shape, and backward reduces it to the input's shape (graph._fit_to_input).
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import Op

_erf_vectorized = np.frompyfunc(math.erf, 1, 1)


def erf_array(x: np.ndarray) -> np.ndarray:
    """The error function on an array: scipy's when installed (fast), else math.erf per element.
    scipy is imported on first use, so `import autograd_core` stays quick."""
    global _erf_array_impl
    if _erf_array_impl is None:
        try:
            from scipy.special import erf as scipy_erf

            _erf_array_impl = scipy_erf
        except ImportError:  # pragma: no cover - scipy is optional
            def _erf_array_impl(values: np.ndarray) -> np.ndarray:
                values = np.asarray(values)
                dtype = values.dtype if values.dtype.kind == "f" else np.float64
                return _erf_vectorized(values).astype(dtype)
    return _erf_array_impl(x)


_erf_array_impl = None
_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _raw(value):
    """The array inside a Tensor (vjps under create_graph get Tensors), or the value itself."""
    return value.data if hasattr(value, "grad_fn") else value


def _broadcast_error(name: str):
    def explain(*arrays, **attrs):
        try:
            np.broadcast_shapes(*(np.shape(a) for a in arrays))
        except ValueError:
            shapes = " and ".join(str(np.shape(a)) for a in arrays)
            return f"{name}: shapes {shapes} cannot be broadcast together"
        return None  # not a shape problem (dtype, integer power...): numpy's own message is kept
    return staticmethod(explain)


# ---- arithmetic --------------------------------------------------------------------------------

class Add(Op):
    """a + b; each input's gradient is g (reduced to its shape by backward)."""
    name = "add"
    saved_inputs = ()
    forward = staticmethod(np.add)
    explain_error = _broadcast_error("add")

    def vjp(xp, needs, g, out, a, b):
        return g, g


class Sub(Op):
    """a - b."""
    name = "sub"
    saved_inputs = ()
    forward = staticmethod(np.subtract)
    explain_error = _broadcast_error("sub")

    def vjp(xp, needs, g, out, a, b):
        return g, (-g if needs[1] else None)


class Mul(Op):
    """a * b; d/da = b, d/db = a."""
    name = "mul"
    saved_inputs = (0, 1)
    read_by = ((1,), (0,))  # a is read only for b's gradient, b only for a's
    forward = staticmethod(np.multiply)
    explain_error = _broadcast_error("mul")

    def vjp(xp, needs, g, out, a, b):
        return (g * b if needs[0] else None), (g * a if needs[1] else None)


class Div(Op):
    """a / b; d/da = 1/b, d/db = -a/b^2."""
    name = "div"
    saved_inputs = (0, 1)
    read_by = ((1,), (0, 1))
    forward = staticmethod(np.true_divide)
    explain_error = _broadcast_error("div")

    def vjp(xp, needs, g, out, a, b):
        return (g / b if needs[0] else None), (-g * a / (b * b) if needs[1] else None)


class Neg(Op):
    """-x."""
    name = "neg"
    saved_inputs = ()
    forward = staticmethod(np.negative)

    def vjp(xp, needs, g, out, x):
        return (-g,)


class Pow(Op):
    """a ** b. d/da = b a^(b-1) (0 where b == 0); d/db = a^b log(a) (0 where a == 0 and b >= 0,
    PyTorch's convention, so 0**b has a finite exponent gradient)."""
    name = "pow"
    saved_inputs = (0, 1)
    explain_error = _broadcast_error("pow")

    def forward(a, b):
        return np.power(a, b)

    def vjp(xp, needs, g, out, a, b):
        grad_a = grad_b = None
        if needs[0]:
            with np.errstate(invalid="ignore", divide="ignore"):  # 0 ** -1 where b == 0 is masked
                grad_a = xp.where(b == 0, 0.0, g * b * a ** (b - 1))
        if needs[1]:
            # a mask, not differentiated: computed on the raw arrays, so a numpy base with a
            # Tensor exponent (ndarray ** t under create_graph) works too
            base_is_zero = (np.asarray(_raw(a)) == 0) & (np.asarray(_raw(b)) >= 0)
            safe_base = xp.where(base_is_zero, 1.0, a)
            with np.errstate(invalid="ignore", divide="ignore"):
                grad_b = xp.where(base_is_zero, 0.0, g * a ** b * xp.log(safe_base))
        return grad_a, grad_b


# ---- transcendental ------------------------------------------------------------------------

class Exp(Op):
    """exp(x); the derivative is the saved output."""
    name = "exp"
    saved_inputs = ()
    save_output = True
    forward = staticmethod(np.exp)

    def vjp(xp, needs, g, out, x):
        return (g * out,)


class Log(Op):
    """Natural log; d/dx = 1/x."""
    name = "log"
    saved_inputs = (0,)
    forward = staticmethod(np.log)

    def vjp(xp, needs, g, out, x):
        return (g / x,)


class Log1p(Op):
    """log(1 + x), accurate for small x; d/dx = 1/(1+x)."""
    name = "log1p"
    saved_inputs = (0,)
    forward = staticmethod(np.log1p)

    def vjp(xp, needs, g, out, x):
        return (g / (x + 1),)


class Expm1(Op):
    """exp(x) - 1, accurate for small x; d/dx = exp(x) = out + 1."""
    name = "expm1"
    saved_inputs = ()
    save_output = True
    forward = staticmethod(np.expm1)

    def vjp(xp, needs, g, out, x):
        return (g * (out + 1),)


class Sqrt(Op):
    """sqrt(x); d/dx = 1/(2 sqrt(x)) (inf at 0, like PyTorch)."""
    name = "sqrt"
    saved_inputs = ()
    save_output = True
    forward = staticmethod(np.sqrt)

    def vjp(xp, needs, g, out, x):
        return (g / (2 * out),)


class Sin(Op):
    name = "sin"
    saved_inputs = (0,)
    forward = staticmethod(np.sin)

    def vjp(xp, needs, g, out, x):
        return (g * xp.cos(x),)


class Cos(Op):
    name = "cos"
    saved_inputs = (0,)
    forward = staticmethod(np.cos)

    def vjp(xp, needs, g, out, x):
        return (-g * xp.sin(x),)


class Tan(Op):
    """tan(x); d/dx = 1 + tan(x)^2."""
    name = "tan"
    saved_inputs = ()
    save_output = True
    forward = staticmethod(np.tan)

    def vjp(xp, needs, g, out, x):
        return (g * (1 + out * out),)


class Tanh(Op):
    """tanh(x); d/dx = 1 - tanh(x)^2, from the saved output."""
    name = "tanh"
    saved_inputs = ()
    save_output = True
    forward = staticmethod(np.tanh)

    def vjp(xp, needs, g, out, x):
        return (g * (1 - out * out),)


class Erf(Op):
    """The error function; d/dx = 2/sqrt(pi) exp(-x^2)."""
    name = "erf"
    saved_inputs = (0,)

    def forward(x):
        return erf_array(x)

    def vjp(xp, needs, g, out, x):
        return (g * (2 * _INV_SQRT_2PI * _SQRT_2) * xp.exp(-(x * x)),)


class Abs(Op):
    """|x|; the derivative is sign(x), so abs'(0) = 0 (PyTorch's choice)."""
    name = "abs"
    saved_inputs = (0,)
    forward = staticmethod(np.abs)

    def vjp(xp, needs, g, out, x):
        return (g * xp.sign(x),)


class Sign(Op):
    """sign(x): its derivative is 0 everywhere it exists, so backward sends a zero gradient (as
    PyTorch does) instead of refusing a loss that uses sign."""
    name = "sign"
    saved_inputs = ()
    forward = staticmethod(np.sign)

    def vjp(xp, needs, g, out, x):
        return (xp.zeros_like(g),)


# ---- activations ---------------------------------------------------------------------------

class Sigmoid(Op):
    """1/(1+exp(-x)), computed without overflow; d/dx = s(1-s) from the saved output."""
    name = "sigmoid"
    saved_inputs = ()
    save_output = True

    def forward(x):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def vjp(xp, needs, g, out, x):
        return (g * out * (1 - out),)


class Relu(Op):
    """max(x, 0); relu'(0) = 0 (PyTorch's choice)."""
    name = "relu"
    saved_inputs = ()
    save_output = True

    def forward(x):
        return np.maximum(x, 0)

    def vjp(xp, needs, g, out, x):
        return (g * (out > 0),)


class LeakyRelu(Op):
    """x for x > 0, negative_slope * x otherwise; the slope at 0 is negative_slope (PyTorch)."""
    name = "leaky_relu"
    saved_inputs = (0,)

    def forward(x, negative_slope):
        return np.where(x > 0, x, x * negative_slope)

    def vjp(xp, needs, g, out, x, negative_slope):
        return (xp.where(x > 0, g, g * negative_slope),)


class Gelu(Op):
    """x * Phi(x) (approximate='none', exact with erf) or PyTorch's tanh approximation."""
    name = "gelu"
    saved_inputs = (0,)

    def forward(x, approximate):
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)
            return 0.5 * x * (1 + np.tanh(inner))
        return 0.5 * x * (1 + erf_array(x / _SQRT_2))

    def vjp(xp, needs, g, out, x, approximate):
        if approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner),)
        cdf = 0.5 * (1 + xp.erf(x / _SQRT_2))
        pdf = _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
        return (g * (cdf + x * pdf),)


class Softplus(Op):
    """log(1 + exp(beta x)) / beta, linear where beta*x > threshold (PyTorch); d/dx = sigmoid(beta x)."""
    name = "softplus"
    saved_inputs = (0,)

    def forward(x, beta, threshold):
        z = x * beta
        soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        return np.where(z > threshold, x, soft)

    def vjp(xp, needs, g, out, x, beta, threshold):
        z = x * beta
        e = xp.exp(-xp.abs(z))
        slope = xp.where(z >= 0, 1 / (1 + e), e / (1 + e))
        return (xp.where(z > threshold, g, g * slope),)


# ---- selection -----------------------------------------------------------------------------

class Clip(Op):
    """torch.clamp: min(max(x, lo), hi), so where lo > hi the result is hi. lo and hi are None,
    numbers, or (broadcasting) arrays/Tensors, which are then inputs 1 and 2 of the op and get
    gradients. PyTorch's rule: x gets g where lo <= x <= hi (ties go to x), lo where x < lo < hi,
    hi where x > hi or hi < lo."""
    name = "clip"
    saved_inputs = (0, 1, 2)
    explain_error = _broadcast_error("clip")

    def forward(x, lo, hi):
        out = x
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        if out is x:
            out = np.array(x, copy=True)
        return out

    def vjp(xp, needs, g, out, x, lo, hi):
        x, lo_v, hi_v = _raw(x), _raw(lo), _raw(hi)
        if lo is not None and hi is not None:
            pass_x = (x >= lo_v) & (x <= hi_v)
            pass_lo = (x < lo_v) & (lo_v < hi_v)
            pass_hi = (x > hi_v) | (hi_v < lo_v)
        elif lo is not None:
            pass_x, pass_lo, pass_hi = x >= lo_v, x < lo_v, None
        else:
            pass_x, pass_lo, pass_hi = x <= hi_v, None, x > hi_v
        zero = xp.zeros_like(g)
        grads = [xp.where(pass_x, g, zero) if needs[0] else None]
        grads.append(xp.where(pass_lo, g, zero) if len(needs) > 1 and needs[1] else None)
        grads.append(xp.where(pass_hi, g, zero) if len(needs) > 2 and needs[2] else None)
        return tuple(grads)


class Maximum(Op):
    """Elementwise max; at ties each input gets half the gradient (PyTorch's rule)."""
    name = "maximum"
    saved_inputs = (0, 1)
    explain_error = _broadcast_error("maximum")
    forward = staticmethod(np.maximum)

    def vjp(xp, needs, g, out, a, b):
        tie = (a == b) * 0.5
        grad_a = g * ((a > b) + tie) if needs[0] else None
        grad_b = g * ((b > a) + tie) if needs[1] else None
        return grad_a, grad_b


class Minimum(Op):
    """Elementwise min; at ties each input gets half the gradient (PyTorch's rule)."""
    name = "minimum"
    saved_inputs = (0, 1)
    explain_error = _broadcast_error("minimum")
    forward = staticmethod(np.minimum)

    def vjp(xp, needs, g, out, a, b):
        tie = (a == b) * 0.5
        grad_a = g * ((a < b) + tie) if needs[0] else None
        grad_b = g * ((b < a) + tie) if needs[1] else None
        return grad_a, grad_b


class Where(Op):
    """where(cond, a, b): the gradient flows to a where cond holds, to b elsewhere.

    The unselected branch still gets a zero gradient, so a NaN in its own derivative (e.g. sqrt at
    negative x) leaks as 0 * nan = nan: guard the input too (the double-where pattern)."""
    name = "where"
    saved_inputs = (0,)
    explain_error = _broadcast_error("where")

    def forward(cond, a, b):
        return np.where(cond, a, b)

    def vjp(xp, needs, g, out, cond, a, b):
        zero = xp.zeros_like(g)
        grad_a = xp.where(cond, g, zero) if needs[1] else None
        grad_b = xp.where(cond, zero, g) if needs[2] else None
        return None, grad_a, grad_b


class AsType(Op):
    """Casts to another floating dtype; the gradient is cast back by backward."""
    name = "astype"
    saved_inputs = ()

    def forward(x, dtype):
        return x.astype(dtype)

    def vjp(xp, needs, g, out, x, dtype):
        return (g,)


# ---- conv10: PyTorch's type promotion and the integer ops ---------------------------------------
#
# numpy (NEP 50) already agrees with PyTorch when a Python scalar meets a tensor of its own category
# (float32 * 1.5 is float32, int32 + 2 is int32). It disagrees in three cases, fixed here in one
# place, `promote`, which the binary elementwise functions call before `apply`:
#   * an int/bool tensor with a Python float gives the default float dtype (float32), not float64;
#   * a 0-d tensor does not widen a dimensioned tensor of the same category
#     (float32 (3,) + float64 0-d -> float32), and across categories the higher category's dtype
#     wins without widening (int64 + float32 -> float32);
#   * true division of integers or bools gives the default float dtype.

from .. import mode as _mode  # noqa: E402
from ..tensor import Tensor as _Tensor  # noqa: E402

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def dtype_category(dtype: np.dtype) -> int:
    """0 bool, 1 integer, 2 floating (bfloat16 too), 3 complex."""
    kind = dtype.kind
    if kind == "V" and dtype.itemsize == 2 and dtype.name == "bfloat16":
        return 2
    return _CATEGORY.get(kind, 2)


def _promote_types(a: np.dtype | None, b: np.dtype | None) -> np.dtype | None:
    """torch.promote_types: within a category numpy's rule (bfloat16 + float16 -> float32); across
    categories the higher category's dtype, not widened (int64 + float16 -> float16), except that
    a complex result keeps at least the floating operand's precision."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    ca, cb = dtype_category(a), dtype_category(b)
    if ca == cb:
        if ca == 2 and {a.name, b.name} == {"bfloat16", "float16"}:
            return np.dtype(np.float32)
        return np.promote_types(a, b)
    high, low = (a, b) if ca > cb else (b, a)
    if dtype_category(high) == 3 and dtype_category(low) == 2:
        return np.promote_types(high, low)
    return high


def _combine_categories(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """PyTorch's combine_categories (aten/native/TypeProperties.cpp): `higher` is the dtype of the
    more dimensioned operands, `lower` of the 0-d tensors or Python scalars."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = dtype_category(higher), dtype_category(lower)
    if ch == 3:
        return higher
    if cl == 3:
        return np.promote_types(higher, np.complex64) if ch == 2 else lower
    if ch == 2:
        return higher
    if ch == 0 or cl == 2:
        return _promote_types(higher, lower)
    return higher


def _scalar_dtype(value) -> np.dtype:
    """The dtype PyTorch gives a Python scalar (a 'wrapped number')."""
    if isinstance(value, bool):
        return np.dtype(bool)
    if isinstance(value, int):
        return np.dtype(np.int64)
    if isinstance(value, complex):
        return np.dtype(np.complex128 if _mode.get_default_dtype() == np.float64 else np.complex64)
    return _mode.get_default_dtype()


def result_dtype(*operands) -> np.dtype:
    """The dtype PyTorch's binary (and ternary) elementwise ops give these operands: Tensors,
    numpy arrays/scalars (as tensors) and Python scalars."""
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, _Tensor):
            x = x.data
        if isinstance(x, (bool, int, float, complex)):  # np.float64 is a float: a Python scalar
            wrapped = _promote_types(wrapped, _scalar_dtype(x))
        elif isinstance(x, np.ndarray) and x.ndim:
            dim = _promote_types(dim, x.dtype)
        elif isinstance(x, (np.ndarray, np.generic)):
            zero = _promote_types(zero, x.dtype)
        else:
            zero = _promote_types(zero, np.asarray(x).dtype)
    return _combine_categories(dim, _combine_categories(zero, wrapped))


def _cast(x, dtype: np.dtype):
    """x as `dtype` (Python scalars are left for numpy, which keeps the array's dtype). A tensor's
    cast is an op, so a gradient flows back in the tensor's own dtype. (Only same-category or
    widening-category casts happen here, so an operand that requires grad is never cast to an
    integer dtype.)"""
    if isinstance(x, _Tensor):
        if x.data.dtype == dtype:
            return x
        from ..graph import apply

        # recorded (not a plain copy) so that a tape replays the cast on new inputs
        return apply(AsType, (x,), {"dtype": dtype})
    if isinstance(x, (np.ndarray, np.generic)):
        return x if x.dtype == dtype else np.asarray(x).astype(dtype)
    return x


def promote(a, b, true_divide: bool = False) -> tuple:
    """(a, b) cast to PyTorch's result dtype for a binary elementwise op (`true_divide`: an
    integer or bool result becomes the default float dtype). The common cases, two tensors of one
    dtype or a tensor with a Python scalar numpy already treats as PyTorch does, return at once."""
    if a.__class__ is _Tensor:
        da = a.data.dtype
        if b.__class__ is _Tensor:
            if b.data.dtype is da and (not true_divide or da.kind in "fc"):
                return a, b
        elif b.__class__ is float and da.kind in "fc":
            return a, b
        elif b.__class__ is int and (da.kind in "fc" or (da.kind in "iu" and not true_divide)):
            return a, b
    elif b.__class__ is _Tensor:
        db = b.data.dtype
        if a.__class__ is float and db.kind in "fc":
            return a, b
        if a.__class__ is int and (db.kind in "fc" or (db.kind in "iu" and not true_divide)):
            return a, b
    dtype = result_dtype(a, b)
    if true_divide and dtype_category(dtype) < 2:
        dtype = _mode.get_default_dtype()
    return _cast(a, dtype), _cast(b, dtype)


def promote_all(*operands, true_divide: bool = False) -> tuple:
    """`promote` for any number of operands (where's a and b, lerp's three...)."""
    dtype = result_dtype(*operands)
    if true_divide and dtype_category(dtype) < 2:
        dtype = _mode.get_default_dtype()
    return tuple(_cast(x, dtype) for x in operands)


def _raw_array(value):
    return np.asarray(value.data if hasattr(value, "grad_fn") else value)


class Remainder(Op):
    """a - b * floor(a / b): the result has the sign of the divisor (torch.remainder, Python's %).
    d/da = 1, d/db = -floor(a / b) (0 between the jumps of the floor, which are not differentiable)."""
    name = "remainder"
    saved_inputs = (0, 1)
    forward = staticmethod(np.remainder)
    explain_error = _broadcast_error("remainder")

    def vjp(xp, needs, g, out, a, b):
        grad_b = None
        if needs[1]:
            grad_b = -g * np.floor_divide(_raw_array(a), _raw_array(b))
        return (g if needs[0] else None), grad_b


class Fmod(Op):
    """C's fmod, a - b * trunc(a / b): the result has the sign of the dividend (torch.fmod).
    d/da = 1, d/db = -trunc(a / b)."""
    name = "fmod"
    saved_inputs = (0, 1)
    forward = staticmethod(np.fmod)
    explain_error = _broadcast_error("fmod")

    def vjp(xp, needs, g, out, a, b):
        grad_b = None
        if needs[1]:
            a_raw, b_raw = _raw_array(a), _raw_array(b)
            grad_b = -g * ((a_raw - np.fmod(a_raw, b_raw)) / b_raw)
        return (g if needs[0] else None), grad_b


def _trunc_divide(a, b):
    """Division rounded toward zero; exact for integers (no float round trip)."""
    a, b = np.asarray(a), np.asarray(b)
    if np.result_type(a, b).kind in "iub":
        quotient = np.floor_divide(a, b)
        return quotient + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
    return np.trunc(np.true_divide(a, b))


class RoundedDiv(Op):
    """a / b rounded toward -inf ('floor', also floor_divide) or toward 0 ('trunc'). A step
    function: its gradient is 0 almost everywhere, and PyTorch returns zeros, as here."""
    name = "div_rounded"
    saved_inputs = ()
    explain_error = _broadcast_error("div")

    def forward(a, b, rounding_mode):
        if rounding_mode == "floor":
            return np.floor_divide(a, b)
        return _trunc_divide(a, b)

    def vjp(xp, needs, g, out, a, b, rounding_mode):
        return (g * 0 if needs[0] else None), (g * 0 if needs[1] else None)


class Clone(Op):
    """A copy with its own memory (Tensor.clone); the gradient passes unchanged."""
    name = "clone"
    saved_inputs = ()

    def forward(x):
        return np.array(x, copy=True, order="C")

    def vjp(xp, needs, g, out, x):
        return (g,)


class _SelectAlongDim(Op):
    """max/min along one dimension, the values of the (first) selected elements; the gradient goes
    to the selected element only (PyTorch's rule for max/min with a dim). The selection is
    recomputed from the saved input in the vjp, so traced programs replay it on new inputs."""
    saved_inputs = (0,)
    pick = staticmethod(np.argmax)

    @classmethod
    def forward(cls, x, axis, keepdim):
        index = cls.pick(x, axis=axis, keepdims=True)
        values = np.take_along_axis(x, index, axis=axis)
        return values if keepdim else values.squeeze(axis)

    @classmethod
    def vjp(cls, xp, needs, g, out, x, axis, keepdim):
        index = cls.pick(_raw_array(x), axis=axis, keepdims=True)
        if not keepdim:
            g = xp.expand_dims(g, axis)
        return (xp.scatter_add(np.zeros(x.shape, dtype=_raw_array(g).dtype), axis, index, g),)


class MaxAlongDim(_SelectAlongDim):
    name = "max"
    pick = staticmethod(np.argmax)


class MinAlongDim(_SelectAlongDim):
    name = "min"
    pick = staticmethod(np.argmin)
