"""gradcheck / gradgradcheck: analytic gradients against central finite differences in float64."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .errors import GraphError
from .functional import _gradients, _leaf
from .mode import enable_grad
from .tensor import Tensor
from .tensor import is_differentiable_dtype


class GradcheckError(GraphError):
    """The analytic and numerical gradients disagree (the message locates the worst element)."""


def _as_inputs(inputs: Any) -> list:
    return list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]


def _input_values(inputs: Any) -> list[np.ndarray]:
    """Floating inputs as float64 copies (the ones checked); integer/bool inputs (indices, masks)
    passed through unchanged, as PyTorch's gradcheck does."""
    values = []
    for x in _as_inputs(inputs):
        array = np.asarray(x.data if isinstance(x, Tensor) else x)
        values.append(np.array(array, dtype=np.float64) if is_differentiable_dtype(array.dtype) else array)
    return values


def _numeric_jacobian_products(f: Callable, values: list[np.ndarray], index: int,
                               seed: np.ndarray, eps: float) -> np.ndarray:
    """d(sum(seed * f))/d(values[index]) by central differences, one element at a time."""
    base = values[index]
    result = np.zeros_like(base)
    for element in np.ndindex(*base.shape):
        original = base[element]
        base[element] = original + eps
        plus = _evaluate(f, values)
        base[element] = original - eps
        minus = _evaluate(f, values)
        base[element] = original
        result[element] = np.sum(seed * (plus - minus)) / (2 * eps)
    return result


def _evaluate(f: Callable, values: list[np.ndarray]) -> np.ndarray:
    out = f(*[Tensor._wrap(v.copy()) for v in values])
    return np.asarray(out.data if isinstance(out, Tensor) else out, dtype=np.float64)


def gradcheck(f: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0, raise_exception: bool = True) -> bool:
    """Checks every floating input's analytic gradient of f (any output shape, contracted with a
    random cotangent) against central differences, in float64. Returns True, or raises
    GradcheckError naming the input index, element index, analytic and numeric values."""
    rng = np.random.default_rng(seed)
    values = _input_values(inputs)
    differentiable = [i for i, v in enumerate(values) if is_differentiable_dtype(v.dtype)]
    with enable_grad():
        leaves = [_leaf(v) if is_differentiable_dtype(v.dtype) else Tensor._wrap(v) for v in values]
        output = f(*leaves)
        if not isinstance(output, Tensor):
            raise GradcheckError(f"gradcheck: the function must return a Tensor, got "
                                 f"{type(output).__name__}")
        cotangent = rng.standard_normal(output.shape)
        analytic = _gradients(output, [leaves[i] for i in differentiable], cotangent,
                              create_graph=False)
    for i, grad in zip(differentiable, analytic):
        numeric = _numeric_jacobian_products(f, values, i, cotangent, eps)
        error = np.abs(grad.data - numeric) - (atol + rtol * np.abs(numeric))
        if error.size and (np.max(error) > 0 or not np.all(np.isfinite(grad.data) == np.isfinite(
                numeric))):
            worst = np.unravel_index(int(np.nanargmax(np.where(np.isfinite(error), error, np.inf))),
                                     error.shape)
            message = (f"gradcheck: gradient of input {i} (shape {values[i].shape}) is wrong at "
                       f"element {tuple(int(j) for j in worst)}: analytic {float(grad.data[worst])!r} vs "
                       f"numeric {float(numeric[worst])!r}")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradgradcheck(f: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, seed: int = 0, raise_exception: bool = True) -> bool:
    """Second-order check: gradcheck of the function inputs -> (vjp of f with a fixed random
    cotangent), whose own gradient runs through the create_graph backward pass."""
    rng = np.random.default_rng(seed + 1)
    values = _input_values(inputs)
    with enable_grad():
        probe = f(*[_leaf(v) if is_differentiable_dtype(v.dtype) else Tensor._wrap(v) for v in values])
    cotangent = Tensor._wrap(rng.standard_normal(probe.shape))

    def first_order(*xs: Tensor) -> Tensor:
        xs = tuple(x if x.requires_grad or not is_differentiable_dtype(x.dtype) else _leaf(x) for x in xs)
        output = f(*xs)
        grads = _gradients(output, [x for x in xs if x.requires_grad], cotangent,
                           create_graph=True)
        weights = np.random.default_rng(seed + 2)
        total = None
        for g in grads:
            term = (g * Tensor._wrap(weights.standard_normal(g.shape))).sum()
            total = term if total is None else total + term
        return total

    return gradcheck(first_order, values, eps=eps, atol=atol, rtol=rtol, seed=seed,
                     raise_exception=raise_exception)
