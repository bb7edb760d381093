"""Linear algebra: batched matmul with broadcasting, the fused linear layer op, and einsum."""

from __future__ import annotations

import re
from typing import Any

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
    #: under autocast, the weights stay float32 inputs and are cast here (see amp.cast_op_inputs)
    casts_weights_itself = True

    def forward(x, weight, bias=None, compute_dtype=None):
        if compute_dtype is not None:
            weight = weight.astype(compute_dtype)
            bias = None if bias is None else bias.astype(compute_dtype)
        out = matmul_array(x, weight.T)
        if bias is not None:
            out += bias
        return out

    def explain_error(x, weight, bias=None, compute_dtype=None):
        return (f"linear: input of shape {np.shape(x)} does not match weight of shape "
                f"{np.shape(weight)} (expected input [..., {np.shape(weight)[-1]}])")

    def vjp(xp, needs, g, out, x, weight, bias=None, compute_dtype=None):
        if compute_dtype is not None:  # the low-precision weight of forward, recomputed
            weight = weight.astype(compute_dtype)
        grad_x = xp.matmul(g, weight) if needs[0] else None
        grad_w = grad_b = None
        if needs[1] or (len(needs) > 2 and needs[2]):
            rows = xp.reshape(g, (-1, g.shape[-1])) if g.ndim != 2 else g
            if needs[1]:
                inputs = xp.reshape(x, (-1, x.shape[-1])) if x.ndim != 2 else x
                grad_w = xp.matmul(rows.T, inputs)  # rows is 2-D: .T is the swap
            if len(needs) > 2 and needs[2]:
                grad_b = xp.sum(rows, axis=0)
        return grad_x, grad_w, grad_b


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_error(subscripts: str, message: str, error: type | None = None) -> Exception:
    from ..errors import InvalidArgumentError

    return (error or InvalidArgumentError)(f"einsum: equation {subscripts!r}: {message}")


def parse_einsum(subscripts: Any, ndims: list[int]) -> tuple[list[str], str]:
    """Explicit input and output subscripts for an einsum equation (implicit output: the sorted
    letters that appear exactly once, after the ellipsis dims). '...' becomes unused capital
    letters, right-aligned per operand as broadcasting aligns dims. Raises InvalidArgumentError
    naming the equation for anything malformed (several '->', bad characters, operand counts,
    subscripts that do not match an operand's rank, output letters not in any input)."""
    if not isinstance(subscripts, str):
        from ..errors import DTypeError

        raise DTypeError(f"einsum: the equation must be a str, got {type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    if spec.count("->") > 1:
        raise _einsum_error(subscripts, "more than one '->'")
    if "->" in spec:
        lhs, output = spec.split("->")
    else:
        lhs, output = spec, None
    inputs = lhs.split(",")
    if len(inputs) != len(ndims):
        raise _einsum_error(subscripts, f"names {len(inputs)} operand(s) but {len(ndims)} "
                                        "were given")
    for part in inputs + ([output] if output is not None else []):
        if part.count("...") > 1 or not re.fullmatch(r"[a-zA-Z]*", part.replace("...", "", 1)):
            raise _einsum_error(subscripts, f"invalid subscripts {part!r} (letters a-z, A-Z and "
                                            "at most one '...' per operand)")
    free = [c for c in _LETTERS[26:] if c not in spec]
    ellipsis_rank = max((n - len(s.replace("...", "")) for s, n in zip(inputs, ndims)
                         if "..." in s), default=0)
    if ellipsis_rank > len(free):
        raise _einsum_error(subscripts, "too many dimensions under '...'")
    batch = "".join(free[:ellipsis_rank])
    expanded = []
    for s, n in zip(inputs, ndims):
        if "..." in s:
            own = n - len(s.replace("...", ""))
            if own < 0:
                raise _einsum_error(subscripts, f"subscripts {s!r} have more letters than the "
                                                f"operand's {n} dimension(s)")
            s = s.replace("...", batch[ellipsis_rank - own:])
        if len(s) != n:
            raise _einsum_error(subscripts, f"subscripts {s!r} do not match an operand with {n} "
                                            "dimension(s)")
        expanded.append(s)
    letters = "".join(expanded)
    if output is None:
        output = batch + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                        and c not in batch))
    else:
        # without '...' in the output the broadcast dims are summed away (PyTorch; numpy refuses)
        output = output.replace("...", batch)
        for c in output:
            if c not in letters:
                raise _einsum_error(subscripts, f"output letter {c!r} does not appear in the "
                                                "inputs")
        if len(set(output)) != len(output):
            raise _einsum_error(subscripts, "an output letter is repeated")
    return expanded, output


def einsum_sizes(subscripts: str, inputs: list[str], shapes: list[tuple]) -> dict:
    """Letter -> size. A letter repeated inside one operand must have one size there; across
    operands a size of 1 broadcasts (PyTorch's rule), other mismatches raise ShapeError."""
    from ..errors import ShapeError

    sizes: dict = {}
    for s, shape in zip(inputs, shapes):
        own: dict = {}
        for c, n in zip(s, shape):
            if own.setdefault(c, n) != n:
                raise _einsum_error(subscripts, f"letter {c!r} is repeated in subscripts {s!r} "
                                                f"with different sizes {own[c]} and {n}",
                                    ShapeError)
        for c, n in own.items():
            known = sizes.get(c)
            if known is None or known == 1:
                sizes[c] = n
            elif n != known and n != 1:
                raise _einsum_error(subscripts, f"letter {c!r} has size {known} in one operand "
                                                f"and {n} in another (operand shapes "
                                                f"{[tuple(x) for x in shapes]})", ShapeError)
    return sizes


def einsum_spec(subscripts: str, shapes: list[tuple]) -> str:
    """The equation with '...' expanded and the output written out (what forward runs)."""
    inputs, output = parse_einsum(subscripts, [len(s) for s in shapes])
    return ",".join(inputs) + "->" + output


def _einsum_vjp_one(xp, g, operands: tuple, i: int, inputs: list, output: str, sizes: dict):
    """d out / d operand i contracted with g, as einsums of g and the other operands:
    letters of operand i that no other subscript has are restored by broadcasting, a letter
    repeated in operand i (a diagonal, "ii->i") is put back on the diagonal through identity
    matrices, and dims where operand i has size 1 under '...' are summed by backward."""
    target = inputs[i]
    unique = "".join(dict.fromkeys(target))
    others = []
    for j, (s, op) in enumerate(zip(inputs, operands)):
        if j == i:
            continue
        full = tuple(sizes[c] for c in s)
        if tuple(op.shape) != full:
            op = xp.broadcast_to(op, full)
        others.append((s, op))
    available = set(output).union(*[set(s) for s, _ in others])
    kept = "".join(c for c in unique if c in available)
    spec = ",".join([output] + [s for s, _ in others]) + "->" + kept
    grad = xp.einsum(spec, g, *[op for _, op in others])
    if kept != unique:
        shape = tuple(sizes[c] if c in kept else 1 for c in unique)
        order = [kept.index(c) for c in unique if c in kept]
        grad = xp.reshape(xp.transpose(grad, tuple(order)), shape)
        grad = xp.broadcast_to(grad, tuple(sizes[c] for c in unique))
    if unique == target:
        return grad
    used = set("".join(inputs) + output)
    spare = [c for c in _LETTERS if c not in used]
    renamed, eyes, seen = [], [], set()
    for c in target:
        if c in seen:
            fresh = spare.pop()
            renamed.append(fresh)
            eyes.append(c + fresh)
        else:
            seen.add(c)
            renamed.append(c)
    spec = ",".join([unique] + eyes) + "->" + "".join(renamed)
    identities = [np.eye(sizes[pair[0]], dtype=np.asarray(_raw(g)).dtype) for pair in eyes]
    return xp.einsum(spec, grad, *identities)


def _raw(value):
    return value.data if hasattr(value, "grad_fn") else value


class Einsum(Op):
    """numpy.einsum (explicit or implicit output, '...' broadcasting, repeated letters such as
    traces and diagonals); the gradient of operand i is an einsum of g with the other operands
    (see _einsum_vjp_one), so it is differentiable to any order."""
    name = "einsum"

    def forward(*operands, subscripts):
        return lowp_einsum(einsum_spec(subscripts, [op.shape for op in operands]), *operands)

    def vjp(xp, needs, g, out, *operands, subscripts):
        inputs, output = parse_einsum(subscripts, [op.ndim for op in operands])
        sizes = einsum_sizes(subscripts, inputs, [op.shape for op in operands])
        return tuple(_einsum_vjp_one(xp, g, operands, i, inputs, output, sizes) if need else None
                     for i, need in enumerate(needs))


# ==== issue 10 (newops10b): cdist ================================================================

#: Elements of the (rows, R, M) difference block cdist's forward builds at a time (memory bound).
CDIST_BLOCK = 1 << 20


class Cdist(Op):
    """Euclidean distances between the rows of x1 (..., P, M) and x2 (..., R, M), batch dims
    broadcast: out (..., P, R), computed exactly from the differences (a block of rows at a time,
    so memory stays O(P R)). With w = g / out (0 where out == 0, torch's gradient at a zero
    distance), d/dx1 = x1 * sum_r w - w @ x2 and d/dx2 = x2 * sum_p w - w^T @ x1: two matmuls, no
    (P, R, M) array in backward, and differentiable again through the saved output."""
    name = "cdist"
    save_output = True

    def forward(x1, x2):
        batch = np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
        rows, cols, width = x1.shape[-2], x2.shape[-2], x1.shape[-1]
        out = np.empty(batch + (rows, cols), dtype=np.result_type(x1, x2))
        step = max(1, CDIST_BLOCK // max(1, cols * width * max(1, int(np.prod(batch)))))
        for start in range(0, rows, step):
            diff = x1[..., start:start + step, None, :] - x2[..., None, :, :]
            out[..., start:start + step, :] = np.sqrt(np.einsum("...k,...k->...", diff, diff))
        return out

    def vjp(xp, needs, g, out, x1, x2):
        is_zero = out == 0
        w = xp.where(is_zero, xp.zeros_like(g), g / xp.where(is_zero, xp.ones_like(out), out))
        grad_x1 = grad_x2 = None
        if needs[0]:
            grad_x1 = x1 * xp.sum(w, -1, True) - xp.matmul(w, x2)
        if needs[1]:
            grad_x2 = x2 * xp.swapaxes(xp.sum(w, -2, True), -1, -2) - \
                xp.matmul(xp.swapaxes(w, -1, -2), x1)
        return grad_x1, grad_x2
