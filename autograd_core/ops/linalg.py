"""Linear algebra: batched matmul with broadcasting, the fused linear layer op, and einsum."""

from __future__ import annotations

import re

import numpy as np

from ..amp import lowp_einsum, matmul_array
from ..graph import Op


class MatMul(Op):
    """a @ b with numpy's rules (1-D operands promoted, batch dims broadcast).
    d/da = g @ b^T, d/db = a^T @ g; broadcast batch dims are summed back by backward."""
    name = "matmul"
    saved_inputs = (0, 1)
    forward = staticmethod(matmul_array)

    def explain_error(a, b):
        sa, sb = np.shape(a), np.shape(b)
        if len(sa) == 0 or len(sb) == 0:
            return f"matmul: both operands must have at least 1 dimension, got shapes {sa} and {sb}"
        inner_a = sa[-1]
        inner_b = sb[0] if len(sb) == 1 else sb[-2]
        if inner_a != inner_b:
            return f"matmul: shapes {sa} and {sb} are not aligned ({inner_a} != {inner_b})"
        return f"matmul: batch dimensions of shapes {sa} and {sb} cannot be broadcast together"

    def vjp(xp, needs, g, out, a, b):
        a_vector, b_vector = a.ndim == 1, b.ndim == 1
        if b_vector:  # first, so that a 0-d g (vector @ vector) becomes (1,) before the next step
            b = xp.reshape(b, (b.shape[0], 1))
            g = xp.expand_dims(g, -1)
        if a_vector:
            a = xp.reshape(a, (1, a.shape[0]))
            g = xp.expand_dims(g, -2)
        grad_a = grad_b = None
        if needs[0]:
            grad_a = (_transpose_of_product(xp, b, xp.swapaxes(g, -1, -2)) if _is_transposed(a)
                      else xp.matmul(g, xp.swapaxes(b, -1, -2)))
        if needs[1]:
            grad_b = (_transpose_of_product(xp, xp.swapaxes(g, -1, -2), a) if _is_transposed(b)
                      else xp.matmul(xp.swapaxes(a, -1, -2), g))
        # drop the axis a promoted 1-D operand gained, so batch dims reduce onto the vector
        if a_vector and grad_a is not None:
            grad_a = xp.squeeze(grad_a, -2)
        if b_vector and grad_b is not None:
            grad_b = xp.squeeze(grad_b, -1)
        return grad_a, grad_b


def _is_transposed(x) -> bool:
    """True for a 2-D array stored column-major (typically `W.T`): its gradient is then built in
    the same layout, so the gradient that reaches W itself is row-major and needs no copy."""
    return isinstance(x, np.ndarray) and x.ndim == 2 and x.flags.f_contiguous and \
        not x.flags.c_contiguous


def _transpose_of_product(xp, left, right):
    """(left @ right)^T as a transposed view of a row-major product."""
    return xp.swapaxes(xp.matmul(left, right), -1, -2)


class Linear(Op):
    """x @ W^T + b as one node (PyTorch's layout, W of shape (out, in)): the layer-wise equations
    z = W a + b, dL/dW = delta a^T, dL/db = delta, dL/da = W^T delta, for a batch of rows."""
    name = "linear"
    saved_inputs = (0, 1)

    def forward(x, weight, bias=None):
        out = matmul_array(x, weight.T)
        if bias is not None:
            out += bias
        return out

    def explain_error(x, weight, bias=None):
        return (f"linear: input of shape {np.shape(x)} does not match weight of shape "
                f"{np.shape(weight)} (expected input [..., {np.shape(weight)[-1]}])")

    def vjp(xp, needs, g, out, x, weight, bias=None):
        grad_x = xp.matmul(g, weight) if needs[0] else None
        grad_w = grad_b = None
        if needs[1] or (len(needs) > 2 and needs[2]):
            rows = xp.reshape(g, (-1, g.shape[-1])) if g.ndim != 2 else g
            if needs[1]:
                inputs = xp.reshape(x, (-1, x.shape[-1])) if x.ndim != 2 else x
                grad_w = xp.matmul(xp.swapaxes(rows, 0, 1), inputs)
            if len(needs) > 2 and needs[2]:
                grad_b = xp.sum(rows, axis=0)
        return grad_x, grad_w, grad_b


def parse_einsum(subscripts: str, ndims: list[int]) -> tuple[list[str], str]:
    """Explicit input and output subscripts for an einsum spec (implicit output: the sorted
    letters that appear once); '...' is supported by mapping it to unused capital letters."""
    from ..errors import InvalidArgumentError

    spec = subscripts.replace(" ", "")
    if "->" in spec:
        lhs, output = spec.split("->")
    else:
        lhs, output = spec, None
    inputs = lhs.split(",")
    if len(inputs) != len(ndims):
        raise InvalidArgumentError(f"einsum: '{subscripts}' names {len(inputs)} operands but "
                                   f"{len(ndims)} were given")
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in spec]
    ellipsis_rank = max((n - len(s.replace("...", "")) for s, n in zip(inputs, ndims)
                         if "..." in s), default=0)
    batch = "".join(free[:ellipsis_rank])
    expanded = []
    for s, n in zip(inputs, ndims):
        if "..." in s:
            own = n - len(s.replace("...", ""))
            s = s.replace("...", batch[ellipsis_rank - own:])
        if not re.fullmatch(r"[a-zA-Z]*", s) or len(s) != n:
            raise InvalidArgumentError(f"einsum: subscripts '{s}' do not match an operand with "
                                       f"{n} dimension(s)")
        expanded.append(s)
    if output is None:
        letters = "".join(expanded)
        output = batch + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                        and c not in batch))
    else:
        output = output.replace("...", batch)
    return expanded, output


class Einsum(Op):
    """numpy.einsum; the gradient of operand i is an einsum of g with the other operands.
    Letters summed away inside operand i alone are restored by broadcasting."""
    name = "einsum"

    def forward(*operands, subscripts):
        return lowp_einsum(subscripts, *operands)

    def vjp(xp, needs, g, out, *operands, subscripts):
        inputs, output = parse_einsum(subscripts, [op.ndim for op in operands])
        grads = []
        for i, need in enumerate(needs):
            if not need:
                grads.append(None)
                continue
            target = inputs[i]
            if len(set(target)) != len(target):
                from ..errors import UnsupportedError

                raise UnsupportedError(f"einsum: the gradient of a repeated index in '{target}' "
                                       "(a diagonal) is not supported")
            others = [(s, op) for j, (s, op) in enumerate(zip(inputs, operands)) if j != i]
            available = set(output).union(*[set(s) for s, _ in others])
            kept = "".join(c for c in target if c in available)
            spec = ",".join([output] + [s for s, _ in others]) + "->" + kept
            grad = xp.einsum(spec, g, *[op for _, op in others])
            if kept != target:
                shape = tuple(operands[i].shape[target.index(c)] if c in kept else 1
                              for c in target)
                order = [kept.index(c) for c in target if c in kept]
                grad = xp.reshape(xp.transpose(grad, tuple(order)), shape)
                grad = xp.broadcast_to(grad, operands[i].shape)
            grads.append(grad)
        return tuple(grads)
