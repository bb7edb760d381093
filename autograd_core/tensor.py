"""Tensor: a numpy array plus what reverse-mode autodiff needs (grad, requires_grad, grad_fn)."""

from __future__ import annotations

import weakref
from typing import Any, Callable, Sequence

import numpy as np

from . import mode
from .device import device
from .errors import DTypeError, GraphError, InvalidArgumentError, ShapeError, UnsupportedError

_state = mode.state

#: How many in-place updates any tensor has had (one counter for the process): a recorded node
#: remembers it, so backward checks inputs' version counters only after an in-place update.
INPLACE_UPDATES = [0]


class VersionCounter:
    """How many times one buffer (numpy memory) was written in place: shared by every Tensor that
    views that memory (slices, transposes, reshapes, detach(), expand...), as PyTorch's views share
    their base's version counter. A node records the value when it saves a tensor, and backward
    compares. Holds only an int, so sharing it creates no reference cycles; it lives exactly as
    long as some tensor on that memory."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def __repr__(self) -> str:
        return f"<VersionCounter {self.value}>"


def version_counter(t: Tensor) -> VersionCounter:
    """`t`'s version counter, created on first need (most tensors never need one). A new counter
    starts at 0, so when `t` is the saved output of its own node (exp, tanh, softmax...), that
    node starts watching it: writing into the output then makes backward raise."""
    vc = t._vc
    if vc is None:
        vc = t._vc = VersionCounter()
        node = t.grad_fn
        if node is not None and node.out is t.data:
            node.out_version = (vc, 0)
    return vc


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
    #: The VersionCounter of this tensor's memory (None until one is needed; then shared by all
    #: tensors that view the same memory).
    _vc: VersionCounter | None = None
    #: Earlier grad_fns, oldest first, of a tensor updated in place while recorded (x += y on a
    #: non-leaf): nodes recorded before an update still lead to the grad_fn x had then.
    _grad_fn_history: tuple = ()
    name: str | None = None
    _hooks: list | None = None

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

    def float(self) -> Tensor:
        return ops.astype(self, np.float32)

    def double(self) -> Tensor:
        return ops.astype(self, np.float64)

    # ---- autograd ---------------------------------------------------------------------------
    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's memory has had (PyTorch's `_version`), counted
        per buffer: a write through any view or detached alias counts for all of them."""
        vc = self._vc
        return 0 if vc is None else vc.value

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut from the graph. The two share a version
        counter, so an in-place update through either is caught by backward."""
        alias = Tensor._wrap(self.data)
        alias._vc = version_counter(self)
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
            seed = gradient.data if isinstance(gradient, Tensor) else _seed_array(gradient,
                                                                                  self.dtype)
            if seed.shape != self.shape:
                raise GraphError(f"backward: gradient has shape {seed.shape} but the tensor has "
                                 f"shape {self.shape}")
            if create_graph and isinstance(gradient, Tensor):
                seed = gradient
        if create_graph and not isinstance(seed, Tensor):
            seed = Tensor._wrap(seed)
        if inputs is not None:
            inputs = _backward_inputs(inputs)
        retain = create_graph if retain_graph is None else retain_graph
        graph.backward([self], [seed], retain_graph=retain, create_graph=create_graph, inputs=inputs)

    # ---- in-place ops (core9: one version counter per buffer; recorded on non-leaf tensors) ----
    def _inplace(self, other: Any, op_name: str, fn: Callable, op: Any = None,
                 attrs: dict | None = None) -> Tensor:
        """Writes `fn(self.data, other)` into self's memory and bumps its buffer's version counter.

        Under grad mode, when self or `other` requires grad, the update is recorded as PyTorch
        records it: `op` (the Op computing the same value out of place) is applied to a stand-in
        for self's old value, and self's grad_fn becomes that node. A leaf that requires grad is
        refused (PyTorch's rule)."""
        if _state.hot.grad_enabled and (self.requires_grad or (
                isinstance(other, Tensor) and other.requires_grad)):
            return self._inplace_recorded(other, op_name, fn, op, attrs)
        other_data = other.data if isinstance(other, Tensor) else other
        if isinstance(fn, np.ufunc):
            self._check_inplace_operand(other_data, op_name, fn)
            _record_inplace(self, other, fn)
            fn(self.data, other_data, out=self.data)
        else:
            try:
                result = fn(self.data, other_data)
            except (ValueError, IndexError, TypeError) as exc:
                raise _inplace_error(op_name, self, other_data, exc) from None
            _record_inplace(self, other, fn)
            self.data[...] = result
        _bump_version(self)
        return self

    def _inplace_recorded(self, other: Any, op_name: str, fn: Callable, op: Any,
                          attrs: dict | None) -> Tensor:
        """The recorded in-place update (self is a non-leaf that requires grad, or `other`
        requires grad): everything is checked and computed before self's memory is written."""
        if self.requires_grad and self.grad_fn is None:
            raise GraphError(
                f"{op_name}: in-place update of a tensor that requires grad (leaf, shape "
                f"{self.shape}): a leaf Variable that requires grad is being used in an in-place "
                "operation; use an out-of-place op, or wrap parameter updates in `with no_grad():`")
        if isinstance(fn, np.ufunc):
            op = _ufunc_op(fn)
            self._check_inplace_operand(other.data if isinstance(other, Tensor) else other,
                                        op_name, fn)
        if op is None:
            raise UnsupportedError(f"{op_name}: this in-place update cannot be recorded for backward "
                                   f"(shape {self.shape}); use an out-of-place op")
        if graph.current_tapes():
            raise UnsupportedError(
                f"{op_name}: an in-place update recorded for backward (of a non-leaf tensor, or with "
                "an operand that requires grad) is not supported while a Tape records; use an "
                "out-of-place op")
        if other is None:  # a fill whose value fn draws (uniform_, normal_)
            other = fn(self.data, None)
        saved = op.saved_inputs
        # the old value, as the node's input: a copy when the op's vjp reads it
        old = Tensor._wrap(self.data.copy() if saved is None or 0 in saved else self.data)
        old.grad_fn = self.grad_fn
        old.requires_grad = self.requires_grad
        if other is self:
            other = old
        result = graph.apply(op, (old, other), attrs)
        self.data[...] = result.data
        previous = self.grad_fn
        _bump_version(self)  # before grad_fn changes: the previous node may have saved this output
        node = result.grad_fn
        self._grad_fn_history = self._grad_fn_history + (previous,)
        self.grad_fn = node
        self.requires_grad = True
        if previous is not None and previous.retained is not None:
            node.retained, previous.retained = previous.retained, None
        return self

    def _check_inplace_operand(self, other: Any, op_name: str, fn: np.ufunc) -> None:
        """Shape and dtype checks done before an in-place update, so a failure changes nothing."""
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
        """Fills with zeros in place (allowed under no_grad and on tensors that do not require
        grad; recorded on a non-leaf)."""
        return self._inplace(0, "zero_", _zeros_of, graph.Zero, _WHOLE)

    def fill_(self, value: Any) -> Tensor:
        """Fills with `value` (a number or a 0-d tensor, which then receives the summed gradient)."""
        if isinstance(value, Tensor) and value.ndim != 0:
            from .errors import ShapeError

            raise ShapeError(f"fill_: only a 0-dimensional value tensor is supported, got shape "
                             f"{value.shape}")
        return self._inplace(value, "fill_", _assign_at(Ellipsis), graph.Fill, _WHOLE)

    def copy_(self, other: Any) -> Tensor:
        """Copies `other` (broadcast to self's shape, cast to self's dtype) into self in place."""
        return self._inplace(other, "copy_", _copy_into, graph.Copy, _WHOLE)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """Writes `value` (a number or 0-d tensor) where `mask` (bool, broadcast to self) is True."""
        from .errors import ShapeError

        mask_data = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
        if mask_data.dtype != bool:
            raise DTypeError(f"masked_fill_: mask must be a bool tensor, got {mask_data.dtype}")
        if isinstance(value, Tensor) and value.ndim != 0:
            raise ShapeError(f"masked_fill_: only a 0-dimensional value tensor is supported, got "
                             f"shape {value.shape}")
        try:
            mask_data = np.broadcast_to(mask_data, self.shape)
        except ValueError:
            raise ShapeError(f"masked_fill_: mask of shape {mask_data.shape} cannot be broadcast to "
                             f"the tensor's shape {self.shape}") from None
        return self._inplace(value, "masked_fill_", _assign_at(mask_data), graph.MaskedFill,
                             {"key": mask_data})

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
        """Fills with samples from U[a, b) drawn from `generator` (a numpy Generator; default the
        global generator)."""
        self._check_random_fill("uniform_")
        rng = _random_source(generator)
        low, high = float(a), float(b)

        def draw(array: np.ndarray, _: Any) -> np.ndarray:
            sample = rng.random(array.shape, dtype=_draw_dtype(array.dtype))
            return (low + (high - low) * sample).astype(array.dtype, copy=False)

        return self._inplace(None, "uniform_", draw, graph.Uniform, _WHOLE)

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
        """Fills with samples from N(mean, std**2) drawn from `generator` (default: the global one)."""
        self._check_random_fill("normal_")
        if std < 0:
            raise InvalidArgumentError(f"normal_: std must be >= 0, got {std}")
        rng = _random_source(generator)
        mu, sigma = float(mean), float(std)

        def draw(array: np.ndarray, _: Any) -> np.ndarray:
            sample = rng.standard_normal(array.shape, dtype=_draw_dtype(array.dtype))
            return (mu + sigma * sample).astype(array.dtype, copy=False)

        return self._inplace(None, "normal_", draw, graph.Normal, _WHOLE)

    def _check_random_fill(self, op_name: str) -> None:
        if self.dtype.kind not in "fc":
            raise DTypeError(f"{op_name}: expected a floating tensor, got {self.dtype}")

    # ---- arithmetic ---------------------------------------------------------------------------
    # The binary operators (+ - * / ** @ // % & | ^ << >> and their reflections) and astype are
    # set on Tensor by ops/__init__.py (grep `Tensor.__add__ =`, `_TENSOR_METHODS`).
    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __getitem__(self, key: Any) -> Tensor:
        return ops.getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        index = ops.normalize_index(key)
        self._inplace(value, "setitem", _assign_at(index), graph.Assign, {"key": index})

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
    if mode.state.tapes:
        graph.notify_tapes("inplace", target, operand, fn)


def _warn_if_tracing(tensor: Tensor, what: str) -> None:
    if mode.state.tapes:
        graph.notify_tapes("read", tensor, what)


# ---- backward arguments (core9) ----------------------------------------------------------------

def _seed_array(gradient: Any, dtype: np.dtype) -> np.ndarray:
    """backward()'s `gradient` as an array of the tensor's dtype: numbers, nested lists, arrays."""
    if isinstance(gradient, (str, bytes)) or not isinstance(
            gradient, (np.ndarray, np.generic, list, tuple, int, float, complex)):
        raise DTypeError(f"backward: gradient must be a Tensor, an array or numbers, got "
                         f"{type(gradient).__name__}")
    try:
        return np.asarray(gradient, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise DTypeError(f"backward: gradient cannot be converted to {dtype}: {exc}") from None


def _backward_inputs(inputs: Any) -> list:
    """backward()'s `inputs`: a Tensor or a non-empty sequence of Tensors (PyTorch's rules)."""
    if isinstance(inputs, Tensor):
        return [inputs]
    try:
        items = list(inputs)
    except TypeError:
        raise DTypeError(f"backward: inputs must be a Tensor or a sequence of Tensors, got "
                         f"{type(inputs).__name__}") from None
    if not items:
        raise InvalidArgumentError("backward: the inputs argument cannot be empty")
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise DTypeError(f"backward: inputs[{i}] must be a Tensor, got {type(t).__name__}")
        if not t.requires_grad:
            raise GraphError(f"backward: inputs[{i}] (shape {t.shape}) does not require grad")
    return items


# ---- in-place helpers (core9) ----------------------------------------------------------------------

#: attrs of the in-place ops that write the whole tensor
_WHOLE = {"key": Ellipsis}


def _bump_version(t: Tensor) -> None:
    """Counts one in-place write into t's memory (for every tensor sharing it) and in the
    process-wide count that lets backward skip version checks until some write happened."""
    vc = t._vc
    if vc is None:
        vc = version_counter(t)
    vc.value += 1
    INPLACE_UPDATES[0] += 1


def _assign_at(key: Any) -> Callable:
    def assign(a: np.ndarray, b: Any) -> np.ndarray:
        result = a.copy()
        result[key] = b
        return result

    return assign


def _zeros_of(a: np.ndarray, b: Any) -> np.ndarray:
    return np.zeros_like(a)


def _copy_into(a: np.ndarray, b: Any) -> np.ndarray:
    return np.broadcast_to(np.asarray(b, dtype=a.dtype), a.shape)


def _ufunc_op(fn: np.ufunc) -> Any:
    """The Op class that an in-place update with ufunc `fn` records."""
    from .ops import elementwise as E

    return {np.add: E.Add, np.subtract: E.Sub, np.multiply: E.Mul, np.true_divide: E.Div}[fn]


def _inplace_error(op_name: str, target: Tensor, other: Any, exc: Exception) -> Exception:
    from .errors import IndexOutOfRangeError, ShapeError

    message = (f"{op_name}: cannot write a value of shape {np.shape(other)} into a tensor of shape "
               f"{target.shape} ({target.dtype}) in place: {exc}")
    if isinstance(exc, IndexError):
        return IndexOutOfRangeError(message)
    if isinstance(exc, TypeError):
        return DTypeError(message)
    return ShapeError(message)


def _draw_dtype(dtype: np.dtype) -> type:
    return np.float32 if dtype in (np.float32, np.float16) else np.float64


def _random_source(generator: Any) -> np.random.Generator:
    """The numpy Generator to draw from: `generator`, or the package's default (the global
    generator that manual_seed seeds, where factories provides one)."""
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is not None:
        raise DTypeError(f"expected generator to be a numpy.random.Generator or None, got "
                         f"{type(generator).__name__}")
    from . import factories

    return factories._pick_generator(None, None, None)


from . import graph, ops  # noqa: E402  (both need Tensor defined first)
