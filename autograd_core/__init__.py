"""autograd_core: a reverse-mode automatic-differentiation engine on numpy.

A Tensor records every op applied to it; `backward()` walks that graph in reverse topological
order applying each op's vector-Jacobian product. See docs/architecture.md.
"""

from . import errors
from .errors import (AnomalyError, AutogradError, DTypeError, GraphError, IndexOutOfRangeError,
                     InvalidArgumentError,
                     ShapeError, UnsupportedError)
from .factories import (arange, eye, full, full_like, ones, ones_like, rand, randn, tensor, zeros,
                        zeros_like)
from .mode import (detect_anomaly, enable_grad, get_default_dtype, is_anomaly_enabled,
                   is_grad_enabled, no_grad, set_default_dtype, set_grad_enabled)
from .ops import *  # noqa: F403  (every op as a module-level function)
from .ops import abs, max, min, pow, sum  # noqa: A004  (numpy/PyTorch names)
from .tensor import Tensor
from . import functional
from .functional import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

float32 = "float32"
float64 = "float64"

__version__ = "0.1.0"
from .tape import Tape, TracerWarning, replayable
from .replay import TracedFunction, trace
from .checkpoint import checkpoint
from . import viz

# ---- the public API (core9): `__all__`, computed from what is defined above. Keep this block ----
# ---- last, so that names added above it are exported by `from autograd_core import *` too. ----
from types import ModuleType as _ModuleType  # noqa: E402

#: Engine internals reachable as attributes (for op authors and vjps) but not part of the API.
_INTERNAL_NAMES = frozenset({"Op", "apply_nondifferentiable", "normalize_index", "index_scatter"})
#: Submodules that are public API (the others are implementation modules).
_PUBLIC_MODULES = frozenset({"errors", "functional", "viz", "autograd"})
__all__ = sorted(
    name for name, value in globals().items()
    if not name.startswith("_") and name not in _INTERNAL_NAMES
    and (not isinstance(value, _ModuleType) or name in _PUBLIC_MODULES))
