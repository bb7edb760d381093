"""PyTorch's `torch.autograd` namespace: custom `Function`s, `grad`, `backward`, `gradcheck`,
grad-mode switches, and `functional` (jacobian, hessian, vjp, jvp, hvp, vhp) with torch's
signatures. The JAX-style transforms stay at `autograd_core.grad`, `autograd_core.functional`."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import graph
from ..errors import GraphError, InvalidArgumentError, ShapeError
from ..gradcheck import GradcheckError
from ..gradcheck import gradcheck as _gradcheck
from ..gradcheck import gradgradcheck as _gradgradcheck
from ..mode import state as mode_state
from ..mode import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad,
                    set_grad_enabled)
from ..tensor import Tensor
from . import functional
from .function import Function, FunctionCtx, once_differentiable
from ..tensor import is_differentiable_dtype

__all__ = ["Function", "FunctionCtx", "once_differentiable", "grad", "backward", "gradcheck",
           "gradgradcheck", "GradcheckError", "functional", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled"]


class set_detect_anomaly:  # noqa: N801 (PyTorch's name)
    """Turns anomaly detection on or off at once; as a context manager, restores it on exit."""

    def __init__(self, mode: bool) -> None:
        self._previous = mode_state.anomaly
        mode_state.anomaly = bool(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        mode_state.anomaly = self._previous


def _as_tensors(value: Any, what: str, op: str) -> tuple:
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise InvalidArgumentError(f"{op}: {what}[{i}] must be a Tensor, got {type(t).__name__}")
    return items


def _seeds(outputs: tuple, grad_outputs: Any, create_graph: bool, op: str) -> list:
    """One seed per output: the given gradient, or ones for a one-element output."""
    given = (None,) * len(outputs) if grad_outputs is None else (
        tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,))
    if len(given) != len(outputs):
        raise InvalidArgumentError(f"{op}: got {len(given)} grad_outputs for {len(outputs)} outputs")
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, given)):
        if g is None:
            if out.size != 1:
                raise GraphError(f"{op}: grad can be implicitly created only for scalar outputs; "
                                 f"output {i} has shape {out.shape}")
            seed = np.ones_like(out.data)
        elif isinstance(g, Tensor):
            seed = g if create_graph else g.data
        else:
            seed = np.asarray(g, dtype=out.dtype)
        if seed.shape != out.shape:
            raise ShapeError(f"{op}: mismatch in shape: grad_outputs[{i}] has shape {seed.shape} "
                             f"and outputs[{i}] has shape {out.shape}")
        seeds.append(seed)
    return seeds


def _check_roots(outputs: tuple, op: str) -> None:
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise GraphError(f"{op}: element {i} of tensors does not require grad and does not "
                             "have a grad_fn")


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """The gradients of `outputs` (seeded with `grad_outputs`) with respect to each of `inputs`,
    as a tuple; no `.grad` is touched. Unreached inputs raise unless `allow_unused` (then None,
    or zeros with `materialize_grads`)."""
    if is_grads_batched:
        from ..errors import UnsupportedError

        raise UnsupportedError("autograd.grad: is_grads_batched=True is not supported")
    outs = _as_tensors(outputs, "outputs", "autograd.grad")
    ins = _as_tensors(inputs, "inputs", "autograd.grad")
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise GraphError(f"autograd.grad: inputs[{i}] (shape {t.shape}) does not require grad")
    _check_roots(outs, "autograd.grad")
    seeds = _seeds(outs, grad_outputs, create_graph, "autograd.grad")
    retain = create_graph if retain_graph is None else retain_graph
    found = graph.backward(list(outs), seeds, retain_graph=retain, create_graph=create_graph,
                           inputs=list(ins), accumulate=False)
    results = []
    for i, t in enumerate(ins):
        g = found.get(id(t))
        if g is None:
            if not allow_unused:
                raise GraphError(f"autograd.grad: inputs[{i}] (shape {t.shape}) appears not to have "
                                 "been used in the graph; set allow_unused=True if this is intended")
            results.append(Tensor._wrap(np.zeros_like(t.data)) if materialize_grads else None)
        else:
            results.append(g if isinstance(g, Tensor) else Tensor._wrap(g))
    return tuple(results)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Sequence[Tensor] | None = None) -> None:
    """Accumulates the gradients of `tensors` (seeded with `grad_tensors`) into the leaves'
    `.grad` (or only into `inputs`' when given), as torch.autograd.backward."""
    outs = _as_tensors(tensors, "tensors", "autograd.backward")
    _check_roots(outs, "autograd.backward")
    seeds = _seeds(outs, grad_tensors, create_graph, "autograd.backward")
    retain = create_graph if retain_graph is None else retain_graph
    wanted = None if inputs is None else list(_as_tensors(inputs, "inputs", "autograd.backward"))
    graph.backward(list(outs), seeds, retain_graph=retain, create_graph=create_graph, inputs=wanted)


def _check_only_grad_inputs(inputs: tuple) -> tuple:
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    positions = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not positions:
        raise InvalidArgumentError("gradcheck: expects at least one input tensor to require grad")
    return inputs, positions


def _flat_output(result: Any) -> Tensor:
    """A function's output as one tensor: a tuple of tensors is flattened and concatenated."""
    from .. import ops

    if isinstance(result, Tensor):
        return result
    parts = [ops.reshape(t, (-1,)) for t in result
             if isinstance(t, Tensor) and is_differentiable_dtype(t.dtype)]
    return ops.concatenate(parts) if parts else Tensor._wrap(np.zeros(0))


def _bound(func: Any, inputs: tuple, positions: list) -> Any:
    def f(*xs: Tensor) -> Tensor:
        full = list(inputs)
        for i, x in zip(positions, xs):
            full[i] = x
        return _flat_output(func(*full))

    return f


def gradcheck(func: Any, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **options: Any) -> bool:
    """torch.autograd.gradcheck: checks the inputs that require grad (others are constants) by
    central differences in float64; `func` may return a tensor or a tuple of tensors. Options
    of torch's that select other checks (fast_mode, check_forward_ad, ...) are accepted."""
    inputs, positions = _check_only_grad_inputs(inputs)
    return _gradcheck(_bound(func, inputs, positions), [inputs[i] for i in positions], eps=eps,
                      atol=atol, rtol=rtol, raise_exception=raise_exception)


def gradgradcheck(func: Any, inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  **options: Any) -> bool:
    """torch.autograd.gradgradcheck: second-order check of the inputs that require grad (random
    grad_outputs; given ones are accepted and ignored)."""
    inputs, positions = _check_only_grad_inputs(inputs)
    return _gradgradcheck(_bound(func, inputs, positions), [inputs[i] for i in positions], eps=eps,
                          atol=atol, rtol=rtol, raise_exception=raise_exception)
