"""torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp with torch's signatures.

`inputs` is a tensor or a tuple of tensors and results mirror that structure (and the structure
of what `func` returns), as in PyTorch. Results are detached unless `create_graph=True`."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import GraphError, InvalidArgumentError, ShapeError
from ..mode import enable_grad
from ..tensor import Tensor
from ..tensor import is_differentiable_dtype


def _as_tuple(value: Any, what: str, op: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(value, (tuple, list))
    items = tuple(value) if is_tuple else (value,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise InvalidArgumentError(f"{op}: {what} must be a Tensor or a tuple of Tensors; "
                                       f"element {i} is {type(t).__name__}")
    return is_tuple, items


def _fresh_inputs(inputs: tuple, create_graph: bool) -> tuple:
    """Distinct tensors that require grad, one per input position: with create_graph they stay
    connected to inputs that require grad (so the result is differentiable in them)."""
    from .. import ops

    fresh = []
    for x in inputs:
        if not is_differentiable_dtype(x.dtype):
            raise InvalidArgumentError(f"autograd.functional: inputs must be floating point, got "
                                       f"{x.dtype}")
        if create_graph and x.requires_grad:
            fresh.append(ops.reshape(x, x.shape))
        else:
            leaf = Tensor._wrap(x.data.copy())
            leaf.requires_grad = True
            fresh.append(leaf)
    return tuple(fresh)


def _pull(outputs: tuple, inputs: tuple, seeds: list, create_graph: bool, strict: bool,
          op: str) -> list:
    """d(sum_k outputs[k] . seeds[k]) / d(input) per input: zeros where unreached (an error in
    strict mode)."""
    from . import grad

    live = [(o, s) for o, s in zip(outputs, seeds) if o.requires_grad]
    if live:
        found = grad([o for o, _ in live], list(inputs), [s for _, s in live], retain_graph=True,
                     create_graph=create_graph, allow_unused=True)
    else:
        found = (None,) * len(inputs)
    results = []
    for i, (x, g) in enumerate(zip(inputs, found)):
        if g is None:
            if strict:
                raise GraphError(f"{op}: the output of the user-provided function is independent "
                                 f"of input {i}; this is not allowed in strict mode")
            g = Tensor._wrap(np.zeros_like(x.data))
        results.append(g)
    return results


def _finish(t: Tensor, create_graph: bool) -> Tensor:
    return t if create_graph else t.detach()


def _shape_like(values: list, is_tuple: bool) -> Any:
    return tuple(values) if is_tuple else values[0]


def _vectors(v: Any, like: tuple, what: str, op: str) -> list:
    if v is None:
        if any(t.size != 1 for t in like):
            raise InvalidArgumentError(f"{op}: v can be omitted only when the {what} have a single "
                                       "element each")
        return [np.ones_like(t.data) for t in like]
    _, vs = _as_tuple(v, "v", op)
    if len(vs) != len(like):
        raise InvalidArgumentError(f"{op}: v has {len(vs)} entries but there are {len(like)} {what}")
    for i, (a, b) in enumerate(zip(vs, like)):
        if a.shape != b.shape:
            raise ShapeError(f"{op}: v[{i}] has shape {a.shape} but the matching {what[:-1]} has "
                             f"shape {b.shape}")
    return list(vs)


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), v^T J): the vector-Jacobian product at `inputs`."""
    in_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        leaves = _fresh_inputs(ins, create_graph)
        out_tuple, outs = _as_tuple(func(*leaves), "the outputs of func", "vjp")
        seeds = _vectors(v, outs, "outputs", "vjp")
        grads = _pull(outs, leaves, seeds, create_graph, strict, "vjp")
    outputs = [_finish(o, create_graph) for o in outs]
    return (_shape_like(outputs, out_tuple),
            _shape_like([_finish(g, create_graph) for g in grads], in_tuple))


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), J v): the Jacobian-vector product, by the double-vjp trick (the vjp is
    linear in its cotangent u, so differentiating u -> u^T J against v gives J v)."""
    in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
    tangents = _vectors(v, ins, "inputs", "jvp")
    with enable_grad():
        leaves = _fresh_inputs(ins, create_graph)
        out_tuple, outs = _as_tuple(func(*leaves), "the outputs of func", "jvp")
        cotangents = []
        for o in outs:
            u = Tensor._wrap(np.zeros_like(o.data))
            u.requires_grad = True
            cotangents.append(u)
        pulled = _pull(outs, leaves, cotangents, True, strict, "jvp")
        total = None
        for g, t in zip(pulled, tangents):
            term = (g * t).sum()
            total = term if total is None else total + term
        if total is None or not total.requires_grad:
            results = [Tensor._wrap(np.zeros_like(o.data)) for o in outs]
        else:
            results = _pull((total,), tuple(cotangents), [np.ones_like(total.data)], create_graph,
                            False, "jvp")
    outputs = [_finish(o, create_graph) for o in outs]
    return (_shape_like(outputs, out_tuple),
            _shape_like([_finish(r, create_graph) for r in results], out_tuple))


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of func at inputs: for output o and input x, shape o.shape + x.shape; nested
    in tuples as torch (outputs outer, inputs inner). One vjp per output element."""
    from .. import ops

    if strategy not in ("reverse-mode", "forward-mode"):
        raise InvalidArgumentError(f"jacobian: strategy must be 'reverse-mode' or 'forward-mode', "
                                   f"got {strategy!r}")
    in_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        leaves = _fresh_inputs(ins, create_graph)
        out_tuple, outs = _as_tuple(func(*leaves), "the outputs of func", "jacobian")
        per_output = []
        for o in outs:
            rows = [[] for _ in leaves]
            for k in range(o.size):
                seed = np.zeros(o.size, dtype=o.dtype)
                seed[k] = 1
                grads = _pull((o,), leaves, [seed.reshape(o.shape)], create_graph, strict,
                              "jacobian")
                for row, g in zip(rows, grads):
                    row.append(g)
            blocks = []
            for x, row in zip(leaves, rows):
                stacked = ops.stack(row) if row else Tensor._wrap(np.zeros((0,) + x.shape, x.dtype))
                blocks.append(_finish(ops.reshape(stacked, o.shape + x.shape), create_graph))
            per_output.append(_shape_like(blocks, in_tuple))
    return _shape_like(per_output, out_tuple)


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar func: shape x.shape + x.shape, or a tuple of tuples over pairs of
    inputs, as torch."""
    in_tuple, ins = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs: Tensor) -> tuple:
        out = func(*xs)
        if not isinstance(out, Tensor) or out.size != 1:
            raise InvalidArgumentError("hessian: the function must return a tensor with a single "
                                       "element")
        return tuple(_pull((out,), xs, [np.ones_like(out.data)], True, strict, "hessian"))

    result = jacobian(gradient, ins, create_graph=create_graph, strict=strict)
    if in_tuple:
        return result
    return result[0][0]


def _second_order(func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool,
                  op: str) -> tuple:
    in_tuple, ins = _as_tuple(inputs, "inputs", op)
    vs = _vectors(v, ins, "inputs", op)
    with enable_grad():
        leaves = _fresh_inputs(ins, create_graph)
        out = func(*leaves)
        if not isinstance(out, Tensor) or out.size != 1:
            raise InvalidArgumentError(f"{op}: the function must return a tensor with a single "
                                       "element")
        grads = _pull((out,), leaves, [np.ones_like(out.data)], True, strict, op)
        total = None
        for g, w in zip(grads, vs):
            term = (g * w).sum()
            total = term if total is None else total + term
        if total is None or not total.requires_grad:
            products = [Tensor._wrap(np.zeros_like(x.data)) for x in leaves]
        else:
            products = _pull((total,), leaves, [np.ones_like(total.data)], create_graph, strict, op)
    return (_finish(out, create_graph),
            _shape_like([_finish(p, create_graph) for p in products], in_tuple))


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), H v) for a scalar func, without forming the Hessian."""
    return _second_order(func, inputs, v, create_graph, strict, "hvp")


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), v^T H); equal to hvp since the Hessian of a twice-differentiable func is
    symmetric."""
    return _second_order(func, inputs, v, create_graph, strict, "vhp")
