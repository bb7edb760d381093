"""Automatic mixed precision, as `torch.autocast` and `torch.amp.GradScaler`.

Inside `with ag.autocast(dtype=ag.bfloat16):` each op's floating inputs are cast (by recorded
`astype` ops, so gradients flow back through the casts and a float32 parameter's `.grad` stays
float32) to the dtype the tables below give the op: the low dtype for the matmul family, float32
for ops whose range or precision matters (softmax, losses, norms, reductions, exp/log, pow), and
otherwise the widest floating dtype among the op's inputs. The tables follow PyTorch's CUDA
autocast lists; they are the one place that decides.

numpy has no BLAS for float16 and no bfloat16 at all (bfloat16 comes from `ml_dtypes`), so
low-precision matmuls multiply in float32 and round the result to the low dtype, as tensor cores
accumulate in float32.

`GradScaler` multiplies the loss by a scale so small float16 gradients do not underflow to zero,
unscales the gradients before the optimizer step, skips steps whose gradients overflowed and
adapts the scale: PyTorch's algorithm and bookkeeping, step for step.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Iterable

import numpy as np

from . import mode
from .errors import DTypeError, GraphError, InvalidArgumentError
from .tensor import Tensor

__all__ = ["autocast", "autocast_op", "GradScaler", "finfo", "LOWER_PRECISION_OPS", "FLOAT32_OPS",
           "is_autocast_enabled", "get_autocast_dtype", "autocast_dtype_for", "low_precision"]

#: Ops that run in the autocast dtype (float16 or bfloat16): the matmul family.
LOWER_PRECISION_OPS = frozenset({
    "matmul", "mm", "bmm", "mv", "addmm", "addmv", "addbmm", "baddbmm", "linear", "einsum",
    "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "prelu",
    "scaled_dot_product_attention", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell",
})

#: Ops that run in float32 under autocast: their range or accuracy needs it.
FLOAT32_OPS = frozenset({
    "softmax", "log_softmax", "softmin", "cross_entropy", "softmax_cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "l1_loss",
    "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss", "cosine_embedding_loss",
    "margin_ranking_loss", "layer_norm", "batch_norm", "group_norm", "instance_norm", "norm",
    "normalize", "sum", "prod", "cumsum", "cumprod", "exp", "expm1", "log", "log1p", "log2",
    "log10", "pow", "logsumexp", "var", "std", "softplus", "reciprocal", "rsqrt", "acos", "asin",
    "cosh", "sinh", "tan", "erfinv", "cdist", "cosine_similarity", "pdist",
})

#: Ops autocast never touches: the cast itself, and ops whose inputs are not numbers to compute on.
_UNCAST = frozenset({"astype"})


def _bfloat16() -> np.dtype:
    import ml_dtypes

    return np.dtype(ml_dtypes.bfloat16)


def _as_dtype(dtype: Any) -> np.dtype:
    """A dtype from a dtype or a name, "bfloat16" included (ml_dtypes is imported on demand)."""
    from .tensor import _resolve_dtype

    return dtype if isinstance(dtype, np.dtype) else _resolve_dtype(dtype, "autocast")


def low_precision(dtype: Any) -> bool:
    """True for float16 and bfloat16."""
    dtype = _as_dtype(dtype)
    return dtype == np.float16 or dtype.name == "bfloat16"


def _floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f" or dtype.name == "bfloat16"


def is_autocast_enabled() -> bool:
    """True inside an enabled `autocast` region of this thread."""
    return mode.state.autocast_dtype is not None


def get_autocast_dtype() -> np.dtype | None:
    return mode.state.autocast_dtype


def autocast_dtype_for(op_name: str, dtypes: Iterable[np.dtype]) -> np.dtype | None:
    """The dtype `op_name` runs in under the current autocast (None: leave the inputs alone)."""
    low = mode.state.autocast_dtype
    if low is None or op_name in _UNCAST:
        return None
    if op_name in LOWER_PRECISION_OPS:
        return low
    if op_name in FLOAT32_OPS:
        return np.dtype(np.float32)
    floating = [d for d in dtypes if _floating(d)]
    if len(set(floating)) < 2:
        return None
    return functools.reduce(np.promote_types, floating)


def cast_op_inputs(op: Any, inputs: tuple, attrs: dict | None) -> tuple[tuple, dict | None]:
    """What `apply` runs under autocast: the op's inputs cast per the tables. An op that declares
    `casts_weights_itself` (Linear) gets only its first input cast and `compute_dtype=` instead:
    it casts its float32 weights inside forward and vjp, so no low-precision copy of a weight is
    saved for backward (the parameter itself is, and it is resident anyway)."""
    if getattr(op, "casts_weights_itself", False) and op.name in LOWER_PRECISION_OPS:
        low = mode.state.autocast_dtype
        first = inputs[0]
        if isinstance(first, Tensor) and _floating(first.dtype) and all(
                not isinstance(x, Tensor) or _floating(x.dtype) for x in inputs[1:]):
            from . import ops

            cast = ops.astype(first, low) if first.dtype != low else first
            return (cast,) + tuple(inputs[1:]), {**(attrs or {}), "compute_dtype": low}
    return cast_inputs(op.name, inputs), attrs


def cast_inputs(op_name: str, inputs: tuple) -> tuple:
    """The op's inputs with floating tensors cast (by recorded ops) to the op's autocast dtype."""
    target = autocast_dtype_for(op_name, [x.dtype for x in inputs if isinstance(x, Tensor)])
    if target is None:
        return inputs
    from . import ops

    return tuple(ops.astype(x, target) if isinstance(x, Tensor) and _floating(x.dtype)
                 and x.dtype != target else x for x in inputs)


def autocast_op(name: str) -> Callable:
    """Makes a composite function (F.layer_norm, F.conv2d, a loss...) one autocast op named
    `name`: under autocast its floating tensor arguments are cast per the tables and its body runs
    with autocast off, as PyTorch runs the whole function as one kernel in that dtype."""
    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous = mode.state.autocast_dtype
            if previous is None:
                return fn(*args, **kwargs)
            args = cast_inputs(name, args)
            kwargs = dict(zip(kwargs, cast_inputs(name, tuple(kwargs.values()))))
            mode.state.autocast_dtype = None
            try:
                return fn(*args, **kwargs)
            finally:
                mode.state.autocast_dtype = previous

        wrapper.autocast_name = name
        return wrapper

    return decorate


class autocast:  # noqa: N801 (PyTorch's name)
    """Context manager and decorator: ops inside run in the dtypes of the autocast tables.

    `dtype` is float16 or bfloat16 (default float16, as CUDA's; PyTorch's CPU default is
    bfloat16). Thread-local like no_grad; nests, and an inner `enabled=False` turns it off.
    `device_type` is accepted for PyTorch's signature and must be "cpu" or "cuda" (both mean
    this process's numpy)."""

    def __init__(self, device_type: str = "cpu", dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):  # autocast(ag.bfloat16): dtype given positionally
            device_type, dtype = "cpu", device_type
        if device_type not in ("cpu", "cuda"):
            raise InvalidArgumentError(f"autocast: device_type must be 'cpu' or 'cuda', got {device_type!r}")
        target = np.dtype(np.float16) if dtype is None else _as_dtype(dtype)
        if not low_precision(target):
            raise DTypeError(f"autocast: dtype must be float16 or bfloat16, got {target}")
        self.dtype = target
        self.enabled = bool(enabled)

    def __enter__(self) -> autocast:
        self._previous = mode.state.autocast_dtype
        mode.state.autocast_dtype = self.dtype if self.enabled else None
        return self

    def __exit__(self, *exc: Any) -> None:
        mode.state.autocast_dtype = self._previous

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with autocast(dtype=self.dtype, enabled=self.enabled):
                return fn(*args, **kwargs)

        return wrapper


def finfo(dtype: Any) -> Any:
    """Machine limits of a floating dtype, bfloat16 included: eps, tiny (= smallest_normal),
    max, min, smallest_subnormal, resolution, bits (torch.finfo's fields)."""
    import ml_dtypes

    target = _as_dtype(dtype)
    if not _floating(target):
        raise DTypeError(f"finfo: expected a floating dtype, got {target}")
    return ml_dtypes.finfo(target)


def _stacked_rows_matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """(..., M, K) @ (K, P) as one (rows, K) @ (K, P) product: numpy's matmul runs one small gemm
    per leading index instead (3x slower for a (64, 16, 64) @ (64, 192)). One product can round
    differently from the per-slice ones (within an ulp), as a BLAS with another blocking would."""
    rows = a.reshape(math.prod(a.shape[:-1]), a.shape[-1])
    if out is None:
        return np.matmul(rows, b).reshape(a.shape[:-1] + b.shape[-1:])
    np.matmul(rows, b, out=out.reshape(rows.shape[0], b.shape[-1]))
    return out


def matmul_array(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """np.matmul, except that float16/bfloat16 operands multiply in float32 and the product is
    rounded to the low dtype once (float32 accumulation, as tensor cores do; numpy has no BLAS
    for float16 and no bfloat16 matmul of its own)."""
    try:  # the common case first: no operand is 2 bytes wide (float16/bfloat16 are)
        a_dtype, b_dtype = a.dtype, b.dtype
        if a_dtype.itemsize > 2 and b_dtype.itemsize > 2:
            if (a.ndim > 2 and b.ndim == 2 and a.shape[-1] == b.shape[0]
                    and (out is None or out.flags.c_contiguous)):
                return _stacked_rows_matmul(a, b, out)
            return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    except AttributeError:  # a Python scalar or list: numpy's own rules
        return np.matmul(a, b, out=out)
    if not (low_precision(a_dtype) or low_precision(b_dtype)):
        return np.matmul(a, b, out=out)
    result_dtype = np.promote_types(a_dtype, b_dtype)
    product = np.matmul(a.astype(np.float32), b.astype(np.float32))
    with np.errstate(over="ignore"):  # overflow to inf is what float16 does (GradScaler's cue)
        if out is not None:
            out[...] = product
            return out
        return product.astype(result_dtype) if result_dtype != np.float32 else product


def lowp_einsum(subscripts: str, *operands: np.ndarray) -> np.ndarray:
    """np.einsum, with float16/bfloat16 operands contracted in float32 and rounded once."""
    dtypes = [np.asarray(o).dtype for o in operands]
    if not any(low_precision(d) for d in dtypes):
        return np.einsum(subscripts, *operands)
    result_dtype = functools.reduce(np.promote_types, dtypes)
    product = np.einsum(subscripts, *[np.asarray(o).astype(np.float32) for o in operands])
    with np.errstate(over="ignore"):
        return product.astype(result_dtype)


#: trace may hand it a reused output buffer, as it does for ufuncs
matmul_array.supports_out = True
matmul_array.nin = 2


# ---- loss scaling ----------------------------------------------------------------------------------

_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


class GradScaler:
    """Dynamic loss scaling (torch.amp.GradScaler): `scaler.scale(loss).backward()`, optionally
    `scaler.unscale_(optimizer)` (then clip), `scaler.step(optimizer)` (skipped when a gradient is
    inf/NaN), `scaler.update()` (backs the scale off after an overflow; grows it after
    `growth_interval` clean steps). The scale and its updates are float32, as torch's."""

    def __init__(self, device: str = "cpu", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        if not isinstance(device, str):  # GradScaler(2.0**10): init_scale given positionally
            device, init_scale = "cpu", device
        if growth_factor <= 1.0:
            raise InvalidArgumentError(f"GradScaler: growth_factor should be > 1, got {growth_factor}")
        if not 0.0 < backoff_factor < 1.0:
            raise InvalidArgumentError(f"GradScaler: backoff_factor should be in (0, 1), got "
                                       f"{backoff_factor}")
        if not isinstance(growth_interval, int) or growth_interval <= 0:
            raise InvalidArgumentError(f"GradScaler: growth_interval should be a positive int, got "
                                       f"{growth_interval!r}")
        if init_scale <= 0:
            raise InvalidArgumentError(f"GradScaler: init_scale should be > 0, got {init_scale}")
        self._enabled = bool(enabled)
        self._scale = np.float32(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer: dict[int, dict] = {}

    # ---- the training-loop calls -------------------------------------------------------------------
    def scale(self, outputs: Any) -> Any:
        """outputs * scale (a tensor, or tensors nested in lists/tuples)."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            # the product keeps the output's dtype (a 0-d scale does not widen it, as in torch);
            # a low-precision output is multiplied in float32 and rounded once, as torch's kernel does
            scale = Tensor._wrap(np.asarray(self._scale, dtype=np.float32))
            if low_precision(outputs.dtype):
                return (outputs.astype(np.float32) * scale).astype(outputs.dtype)
            return outputs * scale.astype(outputs.dtype)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise DTypeError(f"GradScaler.scale: expected a Tensor or a sequence of them, got "
                         f"{type(outputs).__name__}")

    def _state(self, optimizer: Any) -> dict:
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY, "found_inf": None})

    def unscale_(self, optimizer: Any) -> None:
        """Divides the optimizer's gradients by the scale in place, noting whether any is inf/NaN."""
        if not self._enabled:
            return
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise GraphError("unscale_() has already been called on this optimizer since the last "
                             "update().")
        if state["stage"] == _STEPPED:
            raise GraphError("unscale_() is being called after step().")
        inverse = np.float32(np.float64(1.0) / np.float64(self._scale))
        found = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.data
                if not np.all(np.isfinite(grad)):
                    found = True
                p.grad.data = (grad.astype(np.float32) * inverse).astype(grad.dtype) \
                    if grad.dtype != np.float32 else grad * inverse
        state["found_inf"] = found
        state["stage"] = _UNSCALED

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Unscales (unless `unscale_` was called) and runs `optimizer.step()` unless a gradient is
        inf/NaN; returns what step returned, or None when skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise GraphError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        result = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return result

    def update(self, new_scale: Any = None) -> None:
        """Sets the scale for the next iteration: `new_scale` if given, else backed off after an
        overflow in any optimizer's gradients, or grown after growth_interval clean steps."""
        if not self._enabled:
            return
        if new_scale is not None:
            value = new_scale.item() if isinstance(new_scale, Tensor) else new_scale
            if not isinstance(value, (int, float, np.floating)):
                raise DTypeError(f"GradScaler.update: new_scale must be a number or a one-element "
                                 f"tensor, got {type(new_scale).__name__}")
            self._scale = np.float32(value)
        else:
            recorded = [s["found_inf"] for s in self._per_optimizer.values() if s["found_inf"] is not None]
            if not recorded:
                raise GraphError("No inf checks were recorded prior to update().")
            # torch's _amp_update_scale_: float32 scale times a double factor, stored as float32;
            # a grown scale that is no longer finite is not taken
            if any(recorded):
                self._scale = np.float32(float(self._scale) * self._backoff_factor)
                self._growth_tracker = 0
            elif self._growth_tracker + 1 == self._growth_interval:
                grown = np.float32(float(self._scale) * self._growth_factor)
                if np.isfinite(grown):
                    self._scale = grown
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
        self._per_optimizer.clear()

    # ---- inspection and state ------------------------------------------------------------------------
    def get_scale(self) -> float:
        return float(self._scale) if self._enabled else 1.0

    def is_enabled(self) -> bool:
        return self._enabled

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_factor(self, value: float) -> None:
        self._growth_factor = float(value)

    def set_backoff_factor(self, value: float) -> None:
        self._backoff_factor = float(value)

    def set_growth_interval(self, value: int) -> None:
        self._growth_interval = int(value)

    def state_dict(self) -> dict:
        """torch's keys: scale, growth_factor, backoff_factor, growth_interval, _growth_tracker
        (empty when disabled)."""
        if not self._enabled:
            return {}
        return {"scale": float(self._scale), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state: dict) -> None:
        if not self._enabled:
            return
        if not state:
            raise InvalidArgumentError("GradScaler.load_state_dict: the source state dict is empty, "
                                     "possibly because it was saved from a disabled GradScaler")
        missing = [k for k in ("scale", "growth_factor", "backoff_factor", "growth_interval",
                               "_growth_tracker") if k not in state]
        if missing:
            raise InvalidArgumentError(f"GradScaler.load_state_dict: missing {', '.join(missing)}")
        self._scale = np.float32(state["scale"])
        self._growth_factor = float(state["growth_factor"])
        self._backoff_factor = float(state["backoff_factor"])
        self._growth_interval = int(state["growth_interval"])
        self._growth_tracker = int(state["_growth_tracker"])

    def __repr__(self) -> str:
        return (f"GradScaler(scale={self.get_scale():g}, growth_factor={self._growth_factor:g}, "
                f"backoff_factor={self._backoff_factor:g}, growth_interval={self._growth_interval}, "
                f"enabled={self._enabled})")
