"""More elementwise ops (issue 10): rounding, reciprocal and roots, logs and exponentials in other
bases, inverse trigonometric and hyperbolic functions, two-input functions (atan2, copysign,
hypot, xlogy, logaddexp, lerp), erfc/erfinv, nan_to_num and one-sided clamps.

Each op's forward and vjp sit together, as in elementwise.py; vjps are written against `xp` so
they also run on Tensors under create_graph. Masks that are not differentiated (which side of a
clamp, where x == 0) are computed on the raw arrays (`_raw`), so they are constants of the graph.
Derivatives follow PyTorch's conventions (floor/ceil/round/trunc: zero gradient; copysign: zero
gradient for the sign source; nan_to_num: the gradient passes where x is finite).
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import Op
from .elementwise import _broadcast_error, _raw
from ..tensor import is_floating_dtype

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0


def _special(name: str):
    """scipy.special.<name> (imported on first use) when scipy is installed, else the numpy
    fallback below: scipy is optional at run time."""
    try:
        from scipy import special
    except ImportError:  # pragma: no cover - exercised by forcing the fallbacks in the tests
        return _FALLBACKS[name]
    return getattr(special, name)


_erfc_vectorized = np.frompyfunc(math.erfc, 1, 1)
_erf_vectorized = np.frompyfunc(math.erf, 1, 1)


def _float_result(x: np.ndarray, values) -> np.ndarray:
    return np.asarray(values, dtype=x.dtype if is_floating_dtype(x.dtype) else np.float64)


def erfc_fallback(x: np.ndarray) -> np.ndarray:
    """erfc with math.erfc per element (slow, exact)."""
    x = np.asarray(x)
    return _float_result(x, _erfc_vectorized(x.astype(np.float64)))


def erfinv_fallback(x: np.ndarray) -> np.ndarray:
    """erfinv without scipy: Giles' single-precision approximation ("Approximating the erfinv
    function", 2010) refined by Newton steps on math.erf / math.erfc, to double precision."""
    x = np.asarray(x)
    y = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1.0 - y) * (1.0 + y))
        central, tail = w - 2.5, np.sqrt(w) - 3.0
        p_central = np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                                0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                                1.50140941], central)
        p_tail = np.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                             0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
                             2.83297682], tail)
        z = np.abs(np.where(w < 5.0, p_central, p_tail) * y)
        a = np.abs(y)
        inside = a < 1
        # Newton on erf(z) = a near 0, on log erfc(z) = log(1 - a) (1 - a exact for a >= 0.5)
        # in the tails
        for _ in range(4):
            safe = np.where(inside, z, 0.0)
            slope = _TWO_OVER_SQRT_PI * np.exp(-safe * safe)
            central_step = (_erf_vectorized(safe).astype(np.float64) - a) / slope
            tail = _erfc_vectorized(safe).astype(np.float64)  # on log erfc: nearly linear
            tail_step = (np.log(1.0 - a) - np.log(tail)) * tail / slope
            z = np.where(inside, z - np.where(a < 0.5, central_step, tail_step), z)
        z = np.copysign(z, y)
    z = np.where(np.abs(y) == 1, np.copysign(np.inf, y), np.where(np.abs(y) > 1, np.nan, z))
    return _float_result(x, z)


_FALLBACKS = {"erfc": erfc_fallback, "erfinv": erfinv_fallback}


def _mask(condition) -> np.ndarray:
    return np.asarray(condition)


# ---- rounding: piecewise constant, zero gradient (PyTorch's choice) ------------------------------

class _ZeroGrad(Op):
    saved_inputs = ()

    def vjp(xp, needs, g, out, x, **attrs):
        return (xp.zeros_like(g),)


def _keep_integers(fn):
    """Rounding an integer tensor returns it unchanged (same dtype), as torch."""
    def forward(x):
        return np.array(x, copy=True) if x.dtype.kind in "iub" else fn(x)
    return staticmethod(forward)


class Floor(_ZeroGrad):
    """Largest integer <= x; gradient 0."""
    name = "floor"
    forward = _keep_integers(np.floor)


class Ceil(_ZeroGrad):
    """Smallest integer >= x; gradient 0."""
    name = "ceil"
    forward = _keep_integers(np.ceil)


class Trunc(_ZeroGrad):
    """x rounded toward zero; gradient 0."""
    name = "trunc"
    forward = _keep_integers(np.trunc)


class Round(_ZeroGrad):
    """x rounded to `decimals` places, halves to even (as torch.round); gradient 0."""
    name = "round"

    def forward(x, decimals):
        if x.dtype.kind in "iub" and decimals >= 0:
            return np.array(x, copy=True)
        return np.round(x, decimals)


class Frac(Op):
    """x - trunc(x) (the sign of x kept); gradient 1."""
    name = "frac"
    saved_inputs = ()

    def forward(x):
        return x - np.trunc(x)

    def vjp(xp, needs, g, out, x):
        return (g,)


# ---- powers, logs and exponentials ------------------------------------------------------------

class Reciprocal(Op):
    """1 / x; d/dx = -1/x^2 = -out^2."""
    name = "reciprocal"
    saved_inputs = ()
    save_output = True

    def forward(x):
        return np.reciprocal(x)

    def vjp(xp, needs, g, out, x):
        return (-g * out * out,)


class Rsqrt(Op):
    """1 / sqrt(x); d/dx = -out^3 / 2."""
    name = "rsqrt"
    saved_inputs = ()
    save_output = True

    def forward(x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1 / np.sqrt(x)

    def vjp(xp, needs, g, out, x):
        return (g * (-0.5) * out * out * out,)


class Log2(Op):
    """log2(x); d/dx = 1/(x ln 2)."""
    name = "log2"
    saved_inputs = (0,)
    forward = staticmethod(np.log2)

    def vjp(xp, needs, g, out, x):
        return (g / (x * _LN2),)


class Log10(Op):
    """log10(x); d/dx = 1/(x ln 10)."""
    name = "log10"
    saved_inputs = (0,)
    forward = staticmethod(np.log10)

    def vjp(xp, needs, g, out, x):
        return (g / (x * _LN10),)


class Exp2(Op):
    """2^x; d/dx = 2^x ln 2, from the saved output."""
    name = "exp2"
    saved_inputs = ()
    save_output = True
    forward = staticmethod(np.exp2)

    def vjp(xp, needs, g, out, x):
        return (g * out * _LN2,)


# ---- inverse trigonometric and hyperbolic --------------------------------------------------------

class Asin(Op):
    """arcsin(x); d/dx = 1/sqrt(1 - x^2)."""
    name = "asin"
    saved_inputs = (0,)
    forward = staticmethod(np.arcsin)

    def vjp(xp, needs, g, out, x):
        return (g / xp.sqrt(1 - x * x),)


class Acos(Op):
    """arccos(x); d/dx = -1/sqrt(1 - x^2)."""
    name = "acos"
    saved_inputs = (0,)
    forward = staticmethod(np.arccos)

    def vjp(xp, needs, g, out, x):
        return (-g / xp.sqrt(1 - x * x),)


class Atan(Op):
    """arctan(x); d/dx = 1/(1 + x^2)."""
    name = "atan"
    saved_inputs = (0,)
    forward = staticmethod(np.arctan)

    def vjp(xp, needs, g, out, x):
        return (g / (1 + x * x),)


class Sinh(Op):
    """sinh(x); d/dx = cosh(x)."""
    name = "sinh"
    saved_inputs = (0,)
    forward = staticmethod(np.sinh)

    def vjp(xp, needs, g, out, x):
        return (g * xp.cosh(x),)


class Cosh(Op):
    """cosh(x); d/dx = sinh(x)."""
    name = "cosh"
    saved_inputs = (0,)
    forward = staticmethod(np.cosh)

    def vjp(xp, needs, g, out, x):
        return (g * xp.sinh(x),)


class Asinh(Op):
    """arcsinh(x); d/dx = 1/sqrt(x^2 + 1)."""
    name = "asinh"
    saved_inputs = (0,)
    forward = staticmethod(np.arcsinh)

    def vjp(xp, needs, g, out, x):
        return (g / xp.sqrt(x * x + 1),)


class Acosh(Op):
    """arccosh(x) for x >= 1; d/dx = 1/sqrt(x^2 - 1)."""
    name = "acosh"
    saved_inputs = (0,)
    forward = staticmethod(np.arccosh)

    def vjp(xp, needs, g, out, x):
        return (g / xp.sqrt(x * x - 1),)


class Atanh(Op):
    """arctanh(x) for |x| < 1; d/dx = 1/(1 - x^2)."""
    name = "atanh"
    saved_inputs = (0,)
    forward = staticmethod(np.arctanh)

    def vjp(xp, needs, g, out, x):
        return (g / (1 - x * x),)


# ---- error functions ----------------------------------------------------------------------

class Erfc(Op):
    """1 - erf(x), accurate for large x; d/dx = -2/sqrt(pi) exp(-x^2)."""
    name = "erfc"
    saved_inputs = (0,)

    def forward(x):
        return _special("erfc")(x)

    def vjp(xp, needs, g, out, x):
        return (-g * _TWO_OVER_SQRT_PI * xp.exp(-(x * x)),)


class Erfinv(Op):
    """The inverse of erf on (-1, 1); d/dx = sqrt(pi)/2 exp(erfinv(x)^2), from the saved output."""
    name = "erfinv"
    saved_inputs = ()
    save_output = True

    def forward(x):
        return np.where(x == 0, x, _special("erfinv")(x))  # keeps the sign of -0.0, as torch

    def vjp(xp, needs, g, out, x):
        return (g * _SQRT_PI_OVER_2 * xp.exp(out * out),)


# ---- two inputs ------------------------------------------------------------------------------

class Atan2(Op):
    """atan2(y, x), the angle of (x, y); d/dy = x/(x^2+y^2), d/dx = -y/(x^2+y^2)."""
    name = "atan2"
    saved_inputs = (0, 1)
    forward = staticmethod(np.arctan2)
    explain_error = _broadcast_error("atan2")

    def vjp(xp, needs, g, out, y, x):
        scale = g / (x * x + y * y)
        return (scale * x if needs[0] else None), (-scale * y if needs[1] else None)


class Copysign(Op):
    """|a| with the sign of b. d/da = sign(a) * sign(out) (0 where a == 0, as torch); the sign
    source b gets a zero gradient."""
    name = "copysign"
    saved_inputs = (0,)
    save_output = True
    forward = staticmethod(np.copysign)
    explain_error = _broadcast_error("copysign")

    def vjp(xp, needs, g, out, a, b):
        factor = np.sign(_raw(a)) * np.sign(_raw(out))
        return (g * factor if needs[0] else None), (xp.zeros_like(g) if needs[1] else None)


class Hypot(Op):
    """sqrt(a^2 + b^2) without overflow; d/da = a/out, d/db = b/out."""
    name = "hypot"
    saved_inputs = (0, 1)
    save_output = True
    forward = staticmethod(np.hypot)
    explain_error = _broadcast_error("hypot")

    def vjp(xp, needs, g, out, a, b):
        scale = g / out
        return (scale * a if needs[0] else None), (scale * b if needs[1] else None)


class Lerp(Op):
    """start + weight * (end - start) (torch.lerp, computed from the nearer end as torch does);
    d/dstart = 1 - weight, d/dend = weight, d/dweight = end - start."""
    name = "lerp"
    saved_inputs = (0, 1, 2)
    explain_error = _broadcast_error("lerp")

    def forward(start, end, weight):
        diff = end - start
        return np.where(np.abs(weight) < 0.5, start + weight * diff, end - diff * (1 - weight))

    def vjp(xp, needs, g, out, start, end, weight):
        return ((g * (1 - weight) if needs[0] else None), (g * weight if needs[1] else None),
                (g * (end - start) if needs[2] else None))


class Xlogy(Op):
    """x * log(y), 0 where x == 0 (unless y is nan), as torch.xlogy. d/dx = log(y) (0 where
    x == 0 and y <= 0, torch's choice); d/dy = x / y."""
    name = "xlogy"
    saved_inputs = (0, 1)
    explain_error = _broadcast_error("xlogy")

    def forward(x, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            product = x * np.log(y)
        return np.where((x == 0) & ~np.isnan(y), np.zeros_like(product), product)

    def vjp(xp, needs, g, out, x, y):
        grad_x = grad_y = None
        if needs[0]:
            zero = _mask((_raw(x) == 0) & (_raw(y) <= 0))
            safe_y = xp.where(zero, 1.0, y)
            grad_x = xp.where(zero, 0.0, g * xp.log(safe_y))
        if needs[1]:
            grad_y = g * x / y
        return grad_x, grad_y


class LogAddExp(Op):
    """log(exp(a) + exp(b)), stably; d/da = exp(a - out), d/db = exp(b - out)."""
    name = "logaddexp"
    saved_inputs = (0, 1)
    save_output = True
    forward = staticmethod(np.logaddexp)
    explain_error = _broadcast_error("logaddexp")

    def vjp(xp, needs, g, out, a, b):
        return ((g * xp.exp(a - out) if needs[0] else None),
                (g * xp.exp(b - out) if needs[1] else None))


class LogAddExp2(Op):
    """log2(2^a + 2^b), stably; d/da = 2^(a - out), d/db = 2^(b - out)."""
    name = "logaddexp2"
    saved_inputs = (0, 1)
    save_output = True
    forward = staticmethod(np.logaddexp2)
    explain_error = _broadcast_error("logaddexp2")

    def vjp(xp, needs, g, out, a, b):
        return ((g * xp.exp((a - out) * _LN2) if needs[0] else None),
                (g * xp.exp((b - out) * _LN2) if needs[1] else None))


# ---- replacing non-finite values and one-sided clamps --------------------------------------------

class NanToNum(Op):
    """nan -> `nan`, +inf -> `posinf`, -inf -> `neginf` (the dtype's extremes by default); the
    gradient passes where x is finite and is 0 at the replaced elements (torch)."""
    name = "nan_to_num"
    saved_inputs = (0,)

    def forward(x, nan, posinf, neginf):
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def vjp(xp, needs, g, out, x, nan, posinf, neginf):
        return (g * _mask(np.isfinite(_raw(x))),)


class ClampMin(Op):
    """max(x, lo) with a tensor or scalar bound. The gradient goes to x where x >= lo and to lo
    where x < lo (torch.clamp_min; at ties x gets it all, unlike maximum)."""
    name = "clamp_min"
    saved_inputs = (0, 1)
    explain_error = _broadcast_error("clamp_min")

    forward = staticmethod(np.maximum)  # a nan in x stays nan, as torch

    def vjp(xp, needs, g, out, x, lo):
        keep = _mask(_raw(x) >= _raw(lo))
        return (g * keep if needs[0] else None), (g * ~keep if needs[1] else None)


class ClampMax(Op):
    """min(x, hi) with a tensor or scalar bound; the gradient goes to x where x <= hi, to hi
    where x > hi (torch.clamp_max)."""
    name = "clamp_max"
    saved_inputs = (0, 1)
    explain_error = _broadcast_error("clamp_max")

    forward = staticmethod(np.minimum)

    def vjp(xp, needs, g, out, x, hi):
        keep = _mask(_raw(x) <= _raw(hi))
        return (g * keep if needs[0] else None), (g * ~keep if needs[1] else None)
