"""Tensor: a numpy array plus what reverse-mode autodiff needs (grad, requires_grad, grad_fn)."""

from __future__ import annotations

import weakref
from typing import Any, Callable, Sequence

import numpy as np

from . import mode
from .device import device
from .errors import DTypeError, GraphError, InvalidArgumentError, UnsupportedError

_state = mode.state

#: How many in-place updates any tensor has had (one counter for the process): a recorded node
#: remembers it, so backward checks inputs' version counters only after an in-place update.
INPLACE_UPDATES = [0]


#: torch's dtype aliases whose numpy spelling means something else ("float" is float64 in numpy).
_TORCH_DTYPE_NAMES = {"float": "float32", "int": "int32", "long": "int64", "half": "float16",
                      "double": "float64", "short": "int16", "cfloat": "complex64",
                      "cdouble": "complex128", "bool": "bool"}


def _resolve_dtype(dtype: Any, name: str = "tensor") -> np.dtype | None:
    """A numpy dtype from a dtype, a type, a name or a 'torch.float32'-style string; a DTypeError
    naming `name` (the op) for unknown names and non-numeric dtypes."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        if dtype.startswith("torch."):
            dtype = _TORCH_DTYPE_NAMES.get(dtype[len("torch."):], dtype[len("torch."):])
        if dtype == "bfloat16":
            import ml_dtypes

            return np.dtype(ml_dtypes.bfloat16)
    try:
        resolved = np.dtype(dtype)
    except (TypeError, ValueError):
        raise DTypeError(f"{name}: unknown dtype {dtype!r}") from None
    if resolved.kind not in "biufc" and resolved.name != "bfloat16":
        raise DTypeError(f"{name}: unsupported dtype {resolved} (only bool, integer, floating and "
                         "complex dtypes)")
    return resolved


def as_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    """Converts user data to an ndarray: Python floats take the default dtype, arrays keep theirs."""
    dtype = _resolve_dtype(dtype)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        return np.array(data, dtype=dtype, copy=copy) if copy or dtype is not None else data
    if isinstance(data, np.generic):
        return np.array(data, dtype=dtype)
    try:
        array = np.array(data, dtype=dtype)
    except (ValueError, TypeError) as exc:
        raise DTypeError(f"tensor: cannot make a tensor from {type(data).__name__}: {exc}") from None
    if array.dtype == object or (array.dtype.kind in "USV" and array.dtype.name != "bfloat16"):
        raise DTypeError(f"tensor: cannot make a tensor from {type(data).__name__} "
                         "(ragged or non-numeric data)")
    if dtype is None and array.dtype == np.float64 and not _has_numpy_float64(data):
        array = array.astype(mode.get_default_dtype())
    return array


def _has_numpy_float64(data: Any) -> bool:
    """True when nested data holds float64 numpy values (they keep their dtype, like arrays do)."""
    if isinstance(data, (np.ndarray, np.generic)):
        return data.dtype == np.float64
    if isinstance(data, (list, tuple)):
        return any(_has_numpy_float64(item) for item in data)
    if isinstance(data, Tensor):
        return data.dtype == np.float64
    return False


class Tensor:
    """An n-dimensional array that records the ops applied to it, so `backward()` can compute gradients.

    `data` is the numpy array; `grad` is a Tensor (or None) filled by backward for leaves that
    require grad; `grad_fn` is the Node of the op that produced this tensor (None for leaves).
    """

    __slots__ = ("data", "requires_grad", "grad_fn", "__dict__", "__weakref__")
    __array_priority__ = 1000
    #: Attributes most tensors never set, so the per-op path does not assign them: they read as
    #: these class defaults until assigned, and then live in the instance dict.
    grad: Tensor | None = None
    _version: int = 0
    name: str | None = None
    _hooks: list | None = None
    _aliases: list | None = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data = as_array(data, dtype)
        self.grad_fn = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array: np.ndarray) -> Tensor:
        """A leaf Tensor around an existing array, with no copy and no checks (internal fast path)."""
        t = Tensor.__new__(cls)
        t.data = array if type(array) is np.ndarray else np.asarray(array)
        t.grad_fn = None
        t.requires_grad = False
        return t

    # ---- attributes -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> Size:
        """The number of elements (numpy's `.size`), and callable as torch's: `x.size()` is the
        shape, `x.size(1)` one dimension's size (see `Size`)."""
        return Size(self.data)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:  # noqa: N802 (numpy/PyTorch name)
        return ops.transpose(self)

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise UnsupportedError("len() of a 0-d tensor")
        return len(self.data)

    # ---- conversion ---------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied), like PyTorch's .numpy() of a detached tensor."""
        return self.data

    def item(self) -> Any:
        if self.data.size != 1:
            raise InvalidArgumentError(
                f"item: only a tensor with one element can be converted to a Python scalar, "
                f"got shape {self.shape}")
        _warn_if_tracing(self, "item()")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise InvalidArgumentError(
                f"bool: the truth value of a tensor with shape {self.shape} is ambiguous")
        _warn_if_tracing(self, "bool()")
        return bool(self.data)

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise DTypeError(f"index: only integer tensors of one element can be used as an index, "
                             f"got {self.dtype} of shape {self.shape}")
        return int(self.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.data.dtype:
            return self.data.astype(dtype)
        return self.data

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        from .numpy_interop import array_ufunc

        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:
        from .numpy_interop import array_function

        return array_function(func, args, kwargs)

    def astype(self, dtype: Any) -> Tensor:
        return ops.astype(self, dtype)

    def float(self) -> Tensor:
        return ops.astype(self, np.float32)

    def double(self) -> Tensor:
        return ops.astype(self, np.float64)

    # ---- autograd ---------------------------------------------------------------------------
    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut from the graph. The two share a version
        counter, so an in-place update through either is caught by backward."""
        alias = Tensor._wrap(self.data)
        if self._aliases is None:
            self._aliases = [weakref.ref(self)]
        alias._aliases = self._aliases
        alias._version = self._version
        self._aliases.append(weakref.ref(alias))
        return alias

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and not is_differentiable_dtype(self.data.dtype):
            raise DTypeError(
                f"requires_grad: only floating-point tensors can require gradients, got {self.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise GraphError("requires_grad_: cannot turn off requires_grad on a non-leaf tensor; "
                             "use .detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward (leaves keep theirs anyway)."""
        if not self.requires_grad:
            raise GraphError("retain_grad: cannot retain the grad of a tensor that does not require grad")
        if self.grad_fn is not None:
            self.grad_fn.retained = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retained is not None

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Callable[[], None]:
        """`hook(grad)` runs when this tensor's gradient is computed; it may return a replacement.
        Returns a function that removes the hook."""
        if not self.requires_grad:
            raise GraphError("register_hook: cannot register a hook on a tensor that does not "
                             "require grad")
        if self.grad_fn is not None:
            if self.grad_fn.hooks is None:
                self.grad_fn.hooks = []
            hooks = self.grad_fn.hooks
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)

        def remove() -> None:
            if hook in hooks:
                hooks.remove(hook)

        return remove

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Sequence[Tensor] | None = None) -> None:
        """Accumulates d(self)/d(leaf) into every leaf's `.grad`; `gradient` seeds a non-scalar self."""
        if not self.requires_grad:
            raise GraphError("backward: element 0 of tensors does not require grad and does not have "
                             "a grad_fn (the tensor was not computed from a tensor that requires grad)")
        if gradient is None:
            if self.data.size != 1:
                raise GraphError(f"backward: grad can be implicitly created only for scalar outputs; "
                                 f"this tensor has shape {self.shape}: pass gradient=")
            seed = np.ones_like(self.data)
        else:
            seed = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient,
                                                                                 dtype=self.dtype)
            if seed.shape != self.shape:
                raise GraphError(f"backward: gradient has shape {seed.shape} but the tensor has "
                                 f"shape {self.shape}")
            if create_graph and isinstance(gradient, Tensor):
                seed = gradient
        if create_graph and not isinstance(seed, Tensor):
            seed = Tensor._wrap(seed)
        retain = create_graph if retain_graph is None else retain_graph
        graph.backward([self], [seed], retain_graph=retain, create_graph=create_graph, inputs=inputs)

    # ---- in-place ops (version counters) -------------------------------------------------------
    def _inplace(self, other: Any, op_name: str, fn: Callable) -> Tensor:
        if self.requires_grad and _state.grad_enabled:
            raise GraphError(
                f"{op_name}: in-place update of a tensor that requires grad "
                f"({'leaf' if self.is_leaf else 'non-leaf'}, shape {self.shape}); use an out-of-place "
                "op, or wrap parameter updates in `with no_grad():`")
        other_data = other.data if isinstance(other, Tensor) else other
        if isinstance(fn, np.ufunc):
            self._check_inplace_operand(other_data, op_name, fn)
            _record_inplace(self, other, fn)
            fn(self.data, other_data, out=self.data)
        else:
            result = fn(self.data, other_data)
            _record_inplace(self, other, fn)
            self.data[...] = result
        if self._aliases is None:
            self._version += 1
        else:
            for ref in self._aliases:
                alias = ref()
                if alias is not None:
                    alias._version = self._version + 1
        INPLACE_UPDATES[0] += 1
        return self

    def _check_inplace_operand(self, other: Any, op_name: str, fn: np.ufunc) -> None:
        """Shape and dtype checks done before an in-place update, so a failure changes nothing."""
        from .errors import ShapeError

        data = self.data
        if type(other) is np.ndarray and other.shape == data.shape and other.dtype == data.dtype \
                and (fn is not np.true_divide or data.dtype.kind in "fc"):
            return
        if type(other) in (float, int) and data.dtype.kind in "fc":
            return

        try:
            shape = np.broadcast_shapes(self.data.shape, np.shape(other))
        except ValueError:
            raise ShapeError(f"{op_name}: cannot update shape {self.shape} in place with shape "
                             f"{np.shape(other)}") from None
        if shape != self.data.shape:
            raise ShapeError(f"{op_name}: result shape {shape} does not match the tensor's shape "
                             f"{self.shape}")
        result_dtype = np.result_type(self.data, other)
        if fn is np.true_divide and result_dtype.kind in "iub":
            result_dtype = np.dtype(np.float64)
        if not np.can_cast(result_dtype, self.data.dtype, casting="same_kind"):
            raise DTypeError(f"{op_name}: result dtype {result_dtype} cannot be stored in place in a "
                             f"{self.dtype} tensor")

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(other, "iadd", np.add)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(other, "isub", np.subtract)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(other, "imul", np.multiply)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(other, "itruediv", np.true_divide)

    def zero_(self) -> Tensor:
        return self._inplace(0, "zero_", lambda a, b: np.zeros_like(a))

    def copy_(self, other: Any) -> Tensor:
        return self._inplace(other, "copy_",
                             lambda a, b: np.broadcast_to(np.asarray(b, dtype=a.dtype), a.shape))

    # ---- arithmetic ---------------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __getitem__(self, key: Any) -> Tensor:
        return ops.getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        def assign(a: np.ndarray, b: Any) -> np.ndarray:
            result = a.copy()
            result[ops.normalize_index(key)] = b
            return result

        self._inplace(value, "setitem", assign)

    # ---- comparisons (not differentiable) -------------------------------------------------------
    def __lt__(self, other: Any) -> Tensor:
        return ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.ge(self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.ne(self, other)

    __hash__ = object.__hash__

    # ---- printing -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(",
                               precision=4, suppress_small=False)
        extras = []
        if self.data.dtype not in (mode.get_default_dtype(), np.dtype(np.int64), np.dtype(bool)):
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __iter__(self):
        if self.data.ndim == 0:
            raise UnsupportedError("iteration over a 0-d tensor")
        for i in range(self.data.shape[0]):
            yield self[i]


# ---- conv10: PyTorch's out-of-place tensor helpers (dtype casts, to, size, new_*, ...) ----------

class Size(int):
    """`tensor.size`: an int, the number of elements (numpy's `.size`, which code here relies on),
    that is also callable as PyTorch's `tensor.size(dim=None)`: the shape tuple, or one size."""

    def __new__(cls, array: np.ndarray) -> Size:
        value = super().__new__(cls, array.size)
        value.shape = array.shape
        return value

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        ndim = len(self.shape)
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not -ndim <= dim < ndim:
            raise InvalidArgumentError(f"size: dimension {dim!r} is out of range for a tensor of "
                                       f"shape {self.shape}")
        return self.shape[dim]


CPU = device("cpu")

#: torch's legacy tensor type names, for Tensor.type().
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
               "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
               "complex128": "ComplexDoubleTensor"}
_TYPE_DTYPES = {name: dtype for dtype, name in _TYPE_NAMES.items()}


def is_floating_dtype(dtype: np.dtype) -> bool:
    """Floating point, bfloat16 (a numpy 'V' kind from ml_dtypes) included."""
    return dtype.kind == "f" or dtype.name == "bfloat16"


def is_differentiable_dtype(dtype: np.dtype) -> bool:
    """Floating or complex (the dtypes that can require grad), bfloat16 included."""
    return dtype.kind in "fc" or dtype.name == "bfloat16"


def _bfloat16() -> np.dtype:
    import ml_dtypes

    return np.dtype(ml_dtypes.bfloat16)


def _torch_helpers() -> None:
    """Adds PyTorch's out-of-place helpers to Tensor (one place, so they are easy to find)."""

    def half(self: Tensor) -> Tensor:
        return ops.astype(self, np.float16)

    def bfloat16(self: Tensor) -> Tensor:
        return ops.astype(self, _bfloat16())

    def int_(self: Tensor) -> Tensor:
        return ops.astype(self, np.int32)

    def long(self: Tensor) -> Tensor:
        return ops.astype(self, np.int64)

    def short(self: Tensor) -> Tensor:
        return ops.astype(self, np.int16)

    def byte(self: Tensor) -> Tensor:
        return ops.astype(self, np.uint8)

    def char(self: Tensor) -> Tensor:
        return ops.astype(self, np.int8)

    def bool_(self: Tensor) -> Tensor:
        return ops.astype(self, np.bool_)

    def type_(self: Tensor, dtype: Any = None) -> Any:
        """`x.type()`: torch's type name for the dtype ('autograd_core.FloatTensor', or the dtype
        name when torch has none); `x.type(dtype)`: the tensor cast to dtype (a dtype, or a name
        such as 'torch.FloatTensor')."""
        if dtype is None:
            name = _TYPE_NAMES.get(self.data.dtype.name)
            return f"autograd_core.{name}" if name else self.data.dtype.name
        if isinstance(dtype, str) and dtype.rsplit(".", 1)[-1] in _TYPE_DTYPES:
            dtype = _TYPE_DTYPES[dtype.rsplit(".", 1)[-1]]
        return ops.astype(self, _resolve_dtype(dtype))

    def to(self: Tensor, *args: Any, dtype: Any = None, device: Any = None,
           non_blocking: bool = False, copy: bool = False) -> Tensor:
        """torch's .to: `.to(dtype)`, `.to('cpu')`, `.to(device, dtype)`, `.to(other)` (other's
        dtype), with dtype=/device=/copy= keywords. Only the cpu device exists."""
        target = dtype
        for arg in args:
            if isinstance(arg, Tensor):
                target = arg.data.dtype
            elif _is_device(arg):
                _check_device(arg)
            else:
                target = arg
        if device is not None:
            _check_device(device)
        result = self if target is None else ops.astype(self, _resolve_dtype(target))
        return ops.clone(result) if copy and result is self else result

    def cpu(self: Tensor) -> Tensor:
        return self

    def contiguous(self: Tensor) -> Tensor:
        """self when its array is row-major contiguous, else a differentiable contiguous copy."""
        return self if self.data.flags.c_contiguous else ops.clone(self)

    def nelement(self: Tensor) -> int:
        return self.data.size

    def element_size(self: Tensor) -> int:
        return self.data.dtype.itemsize

    def is_floating_point(self: Tensor) -> bool:
        return is_floating_dtype(self.data.dtype)

    def is_complex(self: Tensor) -> bool:
        return self.data.dtype.kind == "c"

    def ndimension(self: Tensor) -> int:
        return self.data.ndim

    def view_as(self: Tensor, other: Any) -> Tensor:
        return ops.view(self, tuple(np.shape(other)))

    def reshape_as(self: Tensor, other: Any) -> Tensor:
        return ops.reshape(self, tuple(np.shape(other)))

    def expand_as(self: Tensor, other: Any) -> Tensor:
        return ops.expand(self, tuple(np.shape(other)))

    def _new(self: Tensor, array: np.ndarray, requires_grad: bool) -> Tensor:
        t = Tensor._wrap(array)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def _new_args(self: Tensor, size: tuple, dtype: Any) -> tuple:
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        return tuple(int(n) for n in size), (_resolve_dtype(dtype) or self.data.dtype)

    def new_zeros(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        shape, dt = _new_args(self, size, dtype)
        return _new(self, np.zeros(shape, dtype=dt), requires_grad)

    def new_ones(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        shape, dt = _new_args(self, size, dtype)
        return _new(self, np.ones(shape, dtype=dt), requires_grad)

    def new_empty(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        shape, dt = _new_args(self, size, dtype)
        return _new(self, np.empty(shape, dtype=dt), requires_grad)

    def new_full(self: Tensor, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        shape, dt = _new_args(self, (size,), dtype)
        return _new(self, np.full(shape, fill_value, dtype=dt), requires_grad)

    def new_tensor(self: Tensor, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
        """A new leaf with a copy of `data`, in self's dtype unless dtype is given."""
        array = as_array(data, dtype=_resolve_dtype(dtype) or self.data.dtype)
        return _new(self, array, requires_grad)

    for name, fn in {"half": half, "bfloat16": bfloat16, "int": int_, "long": long, "short": short,
                     "byte": byte, "char": char, "bool": bool_, "type": type_, "to": to,
                     "cpu": cpu, "contiguous": contiguous, "nelement": nelement,
                     "element_size": element_size, "is_floating_point": is_floating_point,
                     "is_complex": is_complex, "ndimension": ndimension, "view_as": view_as,
                     "reshape_as": reshape_as, "expand_as": expand_as, "new_zeros": new_zeros,
                     "new_ones": new_ones, "new_empty": new_empty, "new_full": new_full,
                     "new_tensor": new_tensor}.items():
        fn.__name__ = name
        setattr(Tensor, name, fn)
    Tensor.device = property(lambda self: CPU, doc="Always the cpu device.")
    Tensor.mT = property(_matrix_transpose, doc="The last two dimensions swapped (torch's .mT).")


def _matrix_transpose(self: Tensor) -> Tensor:
    if self.data.ndim < 2:
        raise InvalidArgumentError(f"mT: needs a tensor with at least 2 dimensions, got shape "
                                   f"{self.shape}")
    return ops.transpose(self, -2, -1)


def _is_device(value: Any) -> bool:
    return isinstance(value, device) or (isinstance(value, str) and not value.startswith(
        "torch.") and value.split(":")[0] in ("cpu", "cuda", "mps", "meta", "xpu"))


def _check_device(value: Any) -> None:
    device(value)


_torch_helpers()


def _record_inplace(target: Tensor, operand: Any, fn: Callable) -> None:
    for tape in graph.active_tapes:
        tape._record_inplace(target, operand, fn)


def _warn_if_tracing(tensor: Tensor, what: str) -> None:
    if graph.active_tapes:
        for tape in graph.active_tapes:
            tape._note_data_dependence(tensor, what)


from . import graph, ops  # noqa: E402  (both need Tensor defined first)
