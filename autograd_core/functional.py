"""JAX-style function transforms built on the tape: grad, value_and_grad, vjp, jvp, jacobian,
hessian, hvp. Inputs need not require grad; they are wrapped in fresh leaves, and no `.grad`
attribute of the caller's tensors is touched."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import graph
from .errors import DTypeError, GraphError, InvalidArgumentError
from .mode import enable_grad
from .tensor import Tensor


class _Argument(graph.Op):
    """Identity: stands for one argument position of a transformed function, so each position
    gets its own gradient (JAX semantics) even when the same tensor is passed twice, while
    derivatives still flow on to the tensor (transforms nest: grad of grad, hessian)."""

    name = "argument"
    saved_inputs = ()

    @staticmethod
    def forward(x: np.ndarray) -> np.ndarray:
        return x.view()

    @staticmethod
    def vjp(xp: Any, needs: tuple, g: Any, out: Any, x: Any) -> tuple:
        return (g,)


def _leaf(x: Any) -> Tensor:
    """A tensor standing for one differentiated argument position: a fresh leaf that requires
    grad, or, for a Tensor that already requires grad, a recorded identity of it (a new node per
    position, so `grad(f, argnums=(0, 1))(x, x)` differentiates each position separately and
    transforms nest: grad of grad, hessian = jacobian of grad)."""
    if isinstance(x, Tensor) and x.requires_grad:
        return graph.apply(_Argument, (x,))
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype.kind not in "fc":
        if data.dtype.kind not in "biu":
            raise DTypeError(f"cannot differentiate with respect to an argument of dtype "
                             f"{data.dtype}")
        data = data.astype(np.float64)
    t = Tensor._wrap(data)
    t.requires_grad = True
    return t


def _argnums_tuple(argnums: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool):
        return (int(argnums),)
    try:
        nums = tuple(argnums)
    except TypeError:
        raise DTypeError(f"argnums must be an int or a sequence of ints, got "
                         f"{type(argnums).__name__}") from None
    if not nums or any(not isinstance(n, (int, np.integer)) or isinstance(n, bool) for n in nums):
        raise DTypeError(f"argnums must be an int or a non-empty sequence of ints, got {argnums!r}")
    return tuple(int(n) for n in nums)


def _positions(nums: tuple[int, ...], count: int, op_name: str) -> tuple[int, ...]:
    """argnums checked against the number of arguments (negative ones count from the end)."""
    result = []
    for n in nums:
        if not -count <= n < count:
            raise InvalidArgumentError(f"{op_name}: argnums {n} is out of range for a call with "
                                       f"{count} positional argument(s)")
        result.append(n % count)
    return tuple(result)


def _gradients(output: Tensor, sources: Sequence[Tensor], seed: Any, create_graph: bool,
               retain_graph: bool | None = None) -> list:
    """d(output . seed)/d(source) for each source, zeros for sources the output does not reach.
    The graph is kept when `retain_graph` (default: create_graph), for repeated pulls."""
    if not output.requires_grad:
        return [_zeros_for(s, create_graph) for s in sources]
    retain = create_graph if retain_graph is None else retain_graph
    found = graph.backward([output], [seed], retain_graph=retain, create_graph=create_graph,
                           inputs=sources, accumulate=False)
    results = []
    for s in sources:
        g = found.get(id(s))
        if g is None:
            results.append(_zeros_for(s, create_graph))
        else:
            results.append(g if isinstance(g, Tensor) else Tensor._wrap(g))
    return results


def _zeros_for(source: Tensor, create_graph: bool) -> Tensor:
    return Tensor._wrap(np.zeros_like(source.data))


def _check_output(output: Any, op_name: str) -> Tensor:
    if not isinstance(output, Tensor):
        raise GraphError(f"{op_name}: the function must return a Tensor, got "
                         f"{type(output).__name__}")
    return output


def _seed_for(output: Tensor, create_graph: bool, op_name: str) -> Any:
    if output.size != 1:
        raise GraphError(f"{op_name}: the function must return a scalar (one element), got shape "
                         f"{output.shape}")
    seed = np.ones_like(output.data)
    return Tensor._wrap(seed) if create_graph else seed


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
                   create_graph: bool = False) -> Callable:
    """Returns a function computing (f(*args), df/dargs[argnums]) for a scalar-valued f."""
    nums = _argnums_tuple(argnums)

    def wrapped(*args: Any) -> tuple:
        positions = _positions(nums, len(args), "grad")
        with enable_grad():
            leaves = list(args)
            for i in dict.fromkeys(positions):
                leaves[i] = _leaf(args[i])
            result = f(*leaves)
            value, aux = result if has_aux else (result, None)
            if not isinstance(value, Tensor):
                raise GraphError(f"grad: the function must return a Tensor, got {type(value).__name__}")
            grads = _gradients(value, [leaves[i] for i in positions],
                               _seed_for(value, create_graph, "grad"), create_graph)
        grad_out = grads[0] if isinstance(argnums, int) else tuple(grads)
        return ((value, aux), grad_out) if has_aux else (value, grad_out)

    return wrapped


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
         create_graph: bool = False) -> Callable:
    """Returns a function computing df/dargs[argnums] for a scalar-valued f (JAX's grad).
    With create_graph=True the result is itself differentiable (grad of grad works)."""
    vg = value_and_grad(f, argnums, has_aux, create_graph)

    def wrapped(*args: Any) -> Any:
        (value_aux, g) = vg(*args)
        return (g, value_aux[1]) if has_aux else g

    return wrapped


def vjp(f: Callable, *primals: Any, create_graph: bool = False) -> tuple[Any, Callable]:
    """Returns (f(*primals), vjp_fn) where vjp_fn(v) = v^T J for each primal (JAX's vjp)."""
    with enable_grad():
        leaves = [_leaf(p) for p in primals]
        output = _check_output(f(*leaves), "vjp")

    def vjp_fn(cotangent: Any) -> tuple:
        seed = cotangent if isinstance(cotangent, Tensor) else Tensor._wrap(
            np.asarray(cotangent, dtype=output.dtype))
        if seed.shape != output.shape:
            raise GraphError(f"vjp: cotangent has shape {seed.shape}, output has shape {output.shape}")
        with enable_grad():
            # the graph is retained so vjp_fn can be called again; it is recorded only when
            # create_graph asks for differentiable results
            grads = _gradients(output, leaves, seed if create_graph else seed.data, create_graph,
                               retain_graph=True)
        return tuple(grads)

    return output, vjp_fn


def jvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Tensor, Tensor]:
    """(f(*primals), J tangents) by the double-vjp trick: the vjp is linear in its cotangent u,
    so differentiating u -> u^T J against the tangent gives J t."""
    with enable_grad():
        leaves = [_leaf(p) for p in primals]
        output = _check_output(f(*leaves), "jvp")
        if not output.requires_grad:
            return output, Tensor._wrap(np.zeros_like(output.data))
        u = _leaf(np.zeros_like(output.data))
        pulled = _gradients(output, leaves, u, create_graph=True)
        total = None
        for g, t in zip(pulled, tangents):
            t_data = t.data if isinstance(t, Tensor) else np.asarray(t, dtype=g.dtype)
            if t_data.shape != g.shape:
                raise GraphError(f"jvp: tangent has shape {t_data.shape}, primal has shape "
                                 f"{g.shape}")
            term = (g * Tensor._wrap(t_data)).sum()
            total = term if total is None else total + term
        if not total.requires_grad:
            return output.detach(), Tensor._wrap(np.zeros_like(output.data))
        (tangent_out,) = _gradients(total, [u], np.ones_like(total.data), create_graph=False)
    return output.detach(), tangent_out


def jacobian(f: Callable, argnums: int | Sequence[int] = 0, create_graph: bool = False) -> Callable:
    """Returns a function computing the Jacobian of f: shape output.shape + input.shape
    (one vjp per output element)."""
    nums = _argnums_tuple(argnums)

    def wrapped(*args: Any) -> Any:
        positions = _positions(nums, len(args), "jacobian")
        with enable_grad():
            leaves = list(args)
            for i in dict.fromkeys(positions):
                leaves[i] = _leaf(args[i])
            output = _check_output(f(*leaves), "jacobian")
            sources = [leaves[i] for i in positions]
            rows = [[] for _ in nums]
            for index in np.ndindex(*output.shape):
                seed = np.zeros_like(output.data)
                seed[index] = 1
                grads = _gradients(output, sources, Tensor._wrap(seed) if create_graph else seed,
                                   create_graph, retain_graph=True) if output.requires_grad else [
                    _zeros_for(s, False) for s in sources]
                for row, g in zip(rows, grads):
                    row.append(g)
        from . import ops

        results = []
        for source, row in zip(sources, rows):
            stacked = ops.stack(row) if row else Tensor._wrap(np.zeros((0,) + source.shape))
            jac = ops.reshape(stacked, output.shape + source.shape)
            results.append(jac if create_graph else jac.detach())
        return results[0] if isinstance(argnums, int) else tuple(results)

    return wrapped


def hessian(f: Callable, argnums: int = 0) -> Callable:
    """Returns a function computing the Hessian of a scalar f: shape input.shape + input.shape."""
    return jacobian(grad(f, argnums, create_graph=True), argnums)


def hvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Tensor, Any]:
    """(f(*primals), H v): the gradient of (grad f . v), without forming the Hessian."""
    with enable_grad():
        leaves = [_leaf(p) for p in primals]
        value = _check_output(f(*leaves), "hvp")
        grads = _gradients(value, leaves, _seed_for(value, True, "hvp"), create_graph=True)
        total = None
        for g, v in zip(grads, tangents):
            v_data = v.data if isinstance(v, Tensor) else np.asarray(v, dtype=g.dtype)
            term = (g * Tensor._wrap(v_data)).sum()
            total = term if total is None else total + term
        products = _gradients(total, leaves, np.ones_like(total.data), create_graph=False)
    out = products[0] if len(products) == 1 else tuple(products)
    return value.detach(), out
