"""autograd_core: a reverse-mode automatic-differentiation engine on numpy.

A Tensor records every op applied to it; `backward()` walks that graph in reverse topological
order applying each op's vector-Jacobian product. See docs/architecture.md.
"""

from . import errors
from .errors import (AnomalyError, AutogradError, DTypeError, GraphError, IndexOutOfRangeError,
                     InvalidArgumentError,
                     ShapeError, TracerError, UnsupportedError)
from .factories import (arange, eye, full, full_like, ones, ones_like, rand, randn, tensor, zeros,
                        zeros_like)
from .factories import (bernoulli, empty, empty_like, get_rng_state, linspace, logspace,  # newops10a
                        manual_seed, multinomial, normal, rand_like, randint, randint_like,
                        randn_like, randperm, set_rng_state)
from .mode import (detect_anomaly, enable_grad, get_default_dtype, is_anomaly_enabled,
                   is_grad_enabled, no_grad, set_default_dtype, set_grad_enabled)
from .ops import *  # noqa: F403  (every op as a module-level function)
from .ops import abs, max, min, pow, sum  # noqa: A004  (numpy/PyTorch names)
from .tensor import Tensor
from . import functional
from .functional import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

# ---- conv10: dtype objects (numpy dtypes), usable wherever a dtype is taken, as torch.float32 ----
import numpy as _np  # noqa: E402

float16 = half = _np.dtype(_np.float16)
float32 = float = _np.dtype(_np.float32)  # noqa: A001 (torch.float)
float64 = double = _np.dtype(_np.float64)
complex64 = cfloat = _np.dtype(_np.complex64)
complex128 = cdouble = _np.dtype(_np.complex128)
int8 = _np.dtype(_np.int8)
int16 = short = _np.dtype(_np.int16)
int32 = int = _np.dtype(_np.int32)  # noqa: A001 (torch.int)
int64 = long = _np.dtype(_np.int64)
uint8 = _np.dtype(_np.uint8)
bool = _np.dtype(_np.bool_)  # noqa: A001 (torch.bool)
dtype = _np.dtype
from .tensor import Size  # noqa: E402

__version__ = "0.1.0"
from .tape import Tape, TracerWarning, replayable
from .replay import TracedFunction, trace
from .checkpoint import checkpoint
from . import viz
from .explain import explain
from . import autograd
from . import onnx
from . import amp
from .amp import GradScaler, autocast, finfo
from .device import (accelerator, backends, cuda, device, get_default_device,
                     set_default_device)


def __getattr__(name: str):
    """`autograd_core.nn` and `autograd_core.optim`, so code written as `torch.nn.Linear` runs
    with only its import changed. They are imported on first use, never by the engine itself.

    Layering: autograd_core never imports nn, optim or the autograd_cli app (they import it). This
    attribute alias, resolved by importlib only when user code asks for `autograd_core.nn`, is the
    one documented exception (tests/autograd_core/test_layering.py checks that it is the only one)."""
    if name in ("nn", "optim"):
        import importlib

        return importlib.import_module(name)
    if name == "bfloat16":  # ml_dtypes takes most of a second to import: only when asked for
        import ml_dtypes

        globals()["bfloat16"] = _np.dtype(ml_dtypes.bfloat16)
        return globals()["bfloat16"]
    raise AttributeError(f"module 'autograd_core' has no attribute {name!r}")

# ---- the public API (core9): `__all__`, computed from what is defined above. Keep this block ----
# ---- last, so that names added above it are exported by `from autograd_core import *` too. ----
from types import ModuleType as _ModuleType  # noqa: E402

#: Engine internals reachable as attributes (for op authors and vjps) but not part of the API.
_INTERNAL_NAMES = frozenset({"Op", "apply_nondifferentiable", "normalize_index", "index_scatter"})
#: Submodules that are public API (the others are implementation modules).
_PUBLIC_MODULES = frozenset({"errors", "functional", "viz", "autograd", "amp", "onnx", "random"})
__all__ = sorted(
    name for name, value in globals().items()
    if not name.startswith("_") and name not in _INTERNAL_NAMES
    and (not isinstance(value, _ModuleType) or name in _PUBLIC_MODULES)) + ["bfloat16"]  # noqa: F405
