"""Activation modules: thin Module wrappers around the functions of nn.functional, with PyTorch's
names, constructor arguments and reprs (PReLU holds its `weight` parameter)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor, get_default_dtype
from autograd_core.errors import DTypeError, InvalidArgumentError, UnsupportedError
from autograd_core.graph import apply as _apply
from autograd_core.ops import elementwise as _E

from . import functional as F
from .module import Module, Parameter
from autograd_core.tensor import is_floating_dtype
from autograd_core.tensor import _resolve_dtype

__all__ = ["ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "Softplus", "Softmax", "LogSoftmax", "Identity",
           "SiLU", "ELU", "SELU", "CELU", "ReLU6", "Hardtanh", "Hardsigmoid", "Hardswish", "Mish", "Softsign",
           "LogSigmoid", "Softmin", "GLU", "PReLU", "Threshold", "Tanhshrink", "Softshrink", "Hardshrink"]


class ReLU(Module):
    """max(x, 0) elementwise; any shape -> same shape."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if type(input) is Tensor and input.data.dtype.kind == "f":  # straight to the op
            return _apply(_E.Relu, (input,))
        return F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x; any shape -> same shape."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Tanh(Module):
    """tanh(x) elementwise; any shape -> same shape."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if type(input) is Tensor and input.data.dtype.kind == "f":  # straight to the op
            return _apply(_E.Tanh, (input,))
        return F.tanh(input)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise; any shape -> same shape."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if type(input) is Tensor and input.data.dtype.kind == "f":  # straight to the op
            return _apply(_E.Sigmoid, (input,))
        return F.sigmoid(input)


class GELU(Module):
    """x * Phi(x) (approximate='none') or its tanh approximation; any shape -> same shape."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise InvalidArgumentError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, linear above `threshold`; any shape -> same shape."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """Softmax along `dim` (the last axis when None); any shape -> same shape."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along `dim` (the last axis when None), computed stably."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Identity(Module):
    """Returns its input unchanged (constructor arguments are accepted and ignored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:  # noqa: A002
        return input


# =====================================================================================================
# ---- nn10: the rest of PyTorch's activation modules (issue 10). `inplace=True` is accepted and
# ---- shown in the repr as PyTorch does, but ignored: the result is always a new tensor.
# =====================================================================================================

def _inplace_suffix(inplace: bool, first: bool = False) -> str:
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class SiLU(Module):
    """x * sigmoid(x) (swish); any shape -> same shape. `inplace` is accepted and ignored."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.silu(input)

    def extra_repr(self) -> str:
        return _inplace_suffix(self.inplace, first=True)


class Mish(SiLU):
    """x * tanh(softplus(x)); any shape -> same shape. `inplace` is accepted and ignored."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.mish(input)


class SELU(SiLU):
    """scale * elu(x, alpha) with PyTorch's constants; `inplace` is accepted and ignored."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.selu(input)


class ELU(Module):
    """x for x > 0, alpha (exp(x) - 1) otherwise; `inplace` is accepted and ignored."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + _inplace_suffix(self.inplace)


class CELU(ELU):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)); `inplace` is accepted and ignored."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.celu(input, self.alpha)


class Hardtanh(Module):
    """x clamped to [min_val, max_val]; `inplace` is accepted and ignored (min_value/max_value are
    PyTorch's deprecated spellings)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        self.min_val = min_val if min_value is None else min_value
        self.max_val = max_val if max_value is None else max_value
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise InvalidArgumentError(f"Hardtanh: max_val ({self.max_val}) must be greater than min_val "
                                       f"({self.min_val})")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_suffix(self.inplace)


class ReLU6(Hardtanh):
    """min(max(x, 0), 6); `inplace` is accepted and ignored."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_suffix(self.inplace, first=True)


class Hardsigmoid(Module):
    """relu6(x + 3) / 6; `inplace` is accepted and ignored."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.hardsigmoid(input)


class Hardswish(Hardsigmoid):
    """x * relu6(x + 3) / 6; `inplace` is accepted and ignored."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.hardswish(input)


class Softsign(Module):
    """x / (1 + |x|); any shape -> same shape."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softsign(input)


class LogSigmoid(Module):
    """log(sigmoid(x)), stable; any shape -> same shape."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.logsigmoid(input)


class Tanhshrink(Module):
    """x - tanh(x); any shape -> same shape."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.tanhshrink(input)


class Softmin(Module):
    """softmax(-x) along `dim` (the last axis when None)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GLU(Module):
    """a * sigmoid(b) for the halves a, b of `dim`: (*, 2n, *) -> (*, n, *)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """x for x > 0, a * x otherwise, with a learnable `weight` a of num_parameters elements (1, or
    one per channel of dim 1), initialised to `init`."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, (int, np.integer)) \
                or num_parameters <= 0:
            raise InvalidArgumentError(f"PReLU: num_parameters must be a positive int, got "
                                       f"{num_parameters!r}")
        if device is not None and str(device) not in ("cpu", "cpu:0"):
            raise UnsupportedError(f"PReLU: only device='cpu' is available, got {device!r}")
        if isinstance(dtype, str):
            dtype = dtype.replace("torch.", "")
        resolved = get_default_dtype() if dtype is None else _resolve_dtype(dtype)
        if not is_floating_dtype(resolved):
            raise DTypeError(f"PReLU: parameters must have a floating dtype, got {resolved}")
        self.num_parameters = int(num_parameters)
        self.init = init
        self.weight = Parameter(np.full((self.num_parameters,), init, dtype=resolved))

    def reset_parameters(self) -> None:
        """weight = init."""
        from . import init

        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Threshold(Module):
    """x where x > threshold, else value; `inplace` is accepted and ignored."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + _inplace_suffix(self.inplace)


class Softshrink(Module):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """x where |x| > lambd, else 0."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.hardshrink(input, self.lambd)
