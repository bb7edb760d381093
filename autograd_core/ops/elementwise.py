"""Elementwise ops: arithmetic, transcendental functions and activations.

Each op's forward and vjp sit together. Inputs broadcast like numpy; a vjp may return a gradient
of the broadcast shape, and backward reduces it to the input's shape (graph._fit_to_input).
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import Op, array_namespace

_erf_vectorized = np.frompyfunc(math.erf, 1, 1)


def _erf_array(x: np.ndarray) -> np.ndarray:
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
array_namespace.erf = _erf_array
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
        return _erf_array(x)

    def vjp(xp, needs, g, out, x):
        return (g * (2 * _INV_SQRT_2PI * _SQRT_2) * xp.exp(-(x * x)),)


class Abs(Op):
    """|x|; the derivative is sign(x), so abs'(0) = 0 (PyTorch's choice)."""
    name = "abs"
    saved_inputs = (0,)
    forward = staticmethod(np.abs)

    def vjp(xp, needs, g, out, x):
        return (g * xp.sign(x),)


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
        return 0.5 * x * (1 + _erf_array(x / _SQRT_2))

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
    """clip(x, lo, hi); the gradient passes where lo <= x <= hi (inclusive, like torch.clamp)."""
    name = "clip"
    saved_inputs = (0,)

    def forward(x, lo, hi):
        return np.clip(x, lo, hi)

    def vjp(xp, needs, g, out, x, lo, hi):
        inside = True
        if lo is not None:
            inside = x >= lo
        if hi is not None:
            inside = inside & (x <= hi) if lo is not None else x <= hi
        return (g * inside,)


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
