"""The error hierarchy: every error the engine raises is one of these.

Each class also subclasses the matching builtin, so `except ValueError` keeps working
for users who do not know this module exists.
"""


class AutogradError(Exception):
    """Base class of every error raised by autograd_core, nn and optim."""


class ShapeError(AutogradError, ValueError):
    """Operand shapes are incompatible for an op (broadcasting, matmul, reshape...)."""


class DTypeError(AutogradError, TypeError):
    """An operand has a dtype the op cannot use (e.g. an integer tensor asked to require grad)."""


class InvalidArgumentError(AutogradError, ValueError):
    """An argument has a value the op does not accept (bad axis, negative lr, unknown option)."""


class IndexOutOfRangeError(AutogradError, IndexError):
    """An index is out of range for the axis it indexes."""


class UnsupportedError(AutogradError, TypeError):
    """An operation is not supported on Tensors (e.g. a numpy function with no Tensor version)."""


class GraphError(AutogradError, RuntimeError):
    """The recorded graph cannot be used as asked (freed graph, non-scalar backward, in-place conflict)."""


class AnomalyError(AutogradError, FloatingPointError):
    """detect_anomaly() saw a NaN or inf produced by an op in forward or backward."""


class TracerError(AutogradError, RuntimeError):
    """trace() met something it cannot replay faithfully (host state a replay would freeze, e.g.
    a new leaf that requires grad created inside the traced function); raised at trace time."""


class OutOfMemoryError(AutogradError, MemoryError):
    """A tensor could not be allocated (its shape and dtype need more memory than is available)."""
