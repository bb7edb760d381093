"""Every error the engine raises: its autograd_core class, the builtin it also subclasses (so
`except ValueError` keeps working), and a message that says what went wrong with which shapes."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import (AnomalyError, AutogradError, DTypeError, GraphError,
                                  IndexOutOfRangeError, InvalidArgumentError, ShapeError,
                                  UnsupportedError)


def T(*shape: int) -> ag.Tensor:
    return ag.tensor(np.ones(shape), requires_grad=True)


@pytest.mark.parametrize("error, builtin", [
    (ShapeError, ValueError), (InvalidArgumentError, ValueError), (DTypeError, TypeError),
    (UnsupportedError, TypeError), (GraphError, RuntimeError), (AnomalyError, FloatingPointError),
    (ag.GradcheckError, RuntimeError), (IndexOutOfRangeError, IndexError),
])
def test_error_hierarchy(error, builtin) -> None:
    assert issubclass(error, AutogradError) and issubclass(error, builtin)
    assert getattr(ag, error.__name__) is error


# (id, call, autograd_core class, builtin, exact message or a regex when it starts with "re:")
CASES = [
    # ---- shapes
    ("matmul-not-aligned", lambda: T(3, 4) @ T(5, 2), ShapeError, ValueError,
     "matmul: shapes (3, 4) and (5, 2) are not aligned (4 != 5)"),
    ("matmul-vector-not-aligned", lambda: ag.matmul(T(3), T(4, 2)), ShapeError, ValueError,
     "matmul: shapes (3,) and (4, 2) are not aligned (3 != 4)"),
    ("matmul-0d", lambda: ag.matmul(T(), T(3)), ShapeError, ValueError,
     "matmul: both operands must have at least 1 dimension, got shapes () and (3,)"),
    ("matmul-batch", lambda: T(2, 3, 4) @ T(3, 4, 5), ShapeError, ValueError,
     "matmul: batch dimensions of shapes (2, 3, 4) and (3, 4, 5) cannot be broadcast together"),
    ("add-broadcast", lambda: T(2, 3) + T(4), ShapeError, ValueError,
     "add: shapes (2, 3) and (4,) cannot be broadcast together"),
    ("add-ndarray-right", lambda: T(2, 3) + np.ones(4), ShapeError, ValueError,
     "add: shapes (2, 3) and (4,) cannot be broadcast together"),
    ("add-ndarray-left", lambda: np.ones(4) + T(2, 3), ShapeError, ValueError,
     "add: shapes (4,) and (2, 3) cannot be broadcast together"),
    ("sub-broadcast", lambda: T(2, 3) - T(3, 2), ShapeError, ValueError,
     "sub: shapes (2, 3) and (3, 2) cannot be broadcast together"),
    ("mul-broadcast", lambda: T(2, 3) * T(3, 2), ShapeError, ValueError,
     "mul: shapes (2, 3) and (3, 2) cannot be broadcast together"),
    ("div-broadcast", lambda: T(2) / T(3), ShapeError, ValueError,
     "div: shapes (2,) and (3,) cannot be broadcast together"),
    ("pow-broadcast", lambda: T(2) ** T(3), ShapeError, ValueError,
     "pow: shapes (2,) and (3,) cannot be broadcast together"),
    ("maximum-broadcast", lambda: ag.maximum(T(2), T(3)), ShapeError, ValueError,
     "maximum: shapes (2,) and (3,) cannot be broadcast together"),
    ("compare-broadcast", lambda: T(2, 3) < T(4), ShapeError, ValueError,
     "lt: shapes (2, 3) and (4,) cannot be broadcast together"),
    ("int-to-negative-int-power", lambda: ag.tensor([2]) ** -1, AutogradError, ValueError,
     "pow: cannot apply to shapes (1,), (): Integers to negative integer powers are not allowed."),
    ("reshape-wrong-size", lambda: T(2, 3).reshape(4, 2), ShapeError, ValueError,
     "reshape: cannot reshape a tensor of shape (2, 3) (6 elements) into shape (4, 2)"),
    ("view-wrong-size", lambda: T(2, 3).view(-1, 4), ShapeError, ValueError,
     "reshape: cannot reshape a tensor of shape (2, 3) (6 elements) into shape (-1, 4)"),
    ("broadcast_to", lambda: ag.broadcast_to(T(3), (2, 4)), ShapeError, ValueError,
     "broadcast_to: cannot expand shape (3,) to (2, 4): dimension 1 has size 3, which is not 1"),
    ("cat-mismatch", lambda: ag.cat([T(2, 3), T(3, 2)]), ShapeError, ValueError,
     "concatenate: shapes (2, 3), (3, 2) do not match outside axis 0"),
    ("stack-mismatch", lambda: ag.stack([T(2, 3), T(3, 2)]), ShapeError, ValueError,
     "stack: all inputs must have the same shape, got (2, 3), (3, 2)"),
    ("squeeze-out-of-range", lambda: T(2, 3).squeeze(2), InvalidArgumentError, ValueError,
     "squeeze: dimension 2 is out of range for a tensor of shape (2, 3) (expected in [-2, 1])"),
    ("split-sizes-sum", lambda: ag.split(T(5, 2), [2, 2]), ShapeError, ValueError,
     "split: sizes [2, 2] must be non-negative and add up to 5, the size of dimension 0 of shape "
     "(5, 2)"),
    ("pad-width-shape", lambda: ag.pad(T(2, 2), ((1, 1), (1, 1), (1, 1))), ShapeError, ValueError,
     "pad: pad_width ((1, 1), (1, 1), (1, 1)) does not fit a tensor of shape (2, 2)"),
    ("gather-rank", lambda: ag.gather(T(2, 3), 0, np.zeros(2, dtype=int)), ShapeError, ValueError,
     "gather: index has 1 dimensions but x has 2 (shapes (2,) and (2, 3))"),
    ("index_add-source", lambda: ag.index_add(T(2, 3), 0, np.array([0]), T(2, 3)), ShapeError,
     ValueError, "index_add: source must have shape (1, 3) for x (2, 3) and 1 indices, got (2, 3)"),
    ("scatter_add-rank", lambda: ag.scatter_add(T(2, 3), 0, np.zeros(3, dtype=int), T(2, 3)),
     ShapeError, ValueError, "re:scatter_add: index has 1 dimensions but x has 2 \\(shapes \\(3,\\)"),
    ("dot-3d", lambda: ag.dot(T(2, 2, 2), T(2)), ShapeError, ValueError,
     "dot: expected 1-D or 2-D operands, got shapes (2, 2, 2) and (2,); use matmul for batches"),
    ("linear-mismatch", lambda: ag.linear(T(5, 3), T(4, 2)), ShapeError, ValueError,
     "linear: input of shape (5, 3) does not match weight of shape (4, 2) (expected input [..., 2])"),
    ("max-of-empty", lambda: ag.max(ag.zeros(0)), ShapeError, ValueError,
     "max: cannot reduce an empty tensor of shape (0,)"),
    ("in-place-shape", lambda: ag.tensor(np.ones(3)).__iadd__(np.ones(4)), ShapeError, ValueError,
     "re:^iadd: cannot update shape \\(3,\\) in place with shape \\(4,\\)"),
    # ---- bad axes and arguments
    ("sum-axis-out-of-range", lambda: T(2, 3).sum(axis=2), InvalidArgumentError, ValueError,
     "sum: axis 2 is out of range for a tensor with 2 dimension(s)"),
    ("mean-negative-axis", lambda: T(2, 3).mean(axis=-3), InvalidArgumentError, ValueError,
     "mean: axis -3 is out of range for a tensor with 2 dimension(s)"),
    ("max-tuple-axis", lambda: ag.max(T(2, 3), axis=(0, 5)), InvalidArgumentError, ValueError,
     "max: axis (0, 5) is out of range for a tensor with 2 dimension(s)"),
    ("repeated-axis", lambda: T(2, 3).sum(axis=(0, -2)), InvalidArgumentError, ValueError,
     "sum: repeated axis in (0, -2)"),
    ("float-axis", lambda: T(2, 3).sum(axis=1.0), InvalidArgumentError, ValueError,
     "sum: axis must be an int or a tuple of ints, got 1.0"),
    ("softmax-axis", lambda: ag.softmax(T(2, 3), axis=2), InvalidArgumentError, ValueError,
     "softmax: axis 2 is out of range for a tensor with 2 dimension(s)"),
    ("log_softmax-dim", lambda: ag.log_softmax(T(2, 3), dim=-3), InvalidArgumentError, ValueError,
     "log_softmax: axis -3 is out of range for a tensor with 2 dimension(s)"),
    ("var-axis", lambda: ag.var(T(2, 3), axis=3), InvalidArgumentError, ValueError,
     "var: axis 3 is out of range for a tensor with 2 dimension(s)"),
    ("argmax-axis", lambda: ag.argmax(T(2, 3), axis=2), InvalidArgumentError, ValueError,
     "argmax: axis 2 is out of range for a tensor with 2 dimension(s)"),
    ("expand_dims-axis", lambda: ag.expand_dims(T(2, 3), 4), InvalidArgumentError, ValueError,
     "expand_dims: axis 4 is out of range for a tensor with 2 dimension(s)"),
    ("swapaxes-axis", lambda: ag.swapaxes(T(2, 3), 0, 2), InvalidArgumentError, ValueError,
     "swapaxes: dimension 2 is out of range for a tensor of shape (2, 3) (expected in [-2, 1])"),
    ("concatenate-axis", lambda: ag.cat([T(2, 3), T(2, 3)], axis=2), InvalidArgumentError,
     ValueError, "concatenate: axis 2 is out of range for a tensor with 2 dimension(s)"),
    ("permute-not-a-permutation", lambda: T(2, 3).permute(0, 0), InvalidArgumentError, ValueError,
     "permute: repeated dimension in (0, 0) (shape (2, 3))"),
    ("flatten-order", lambda: ag.flatten(T(2, 3, 4), 2, 1), InvalidArgumentError, ValueError,
     "flatten: start_dim 2 comes after end_dim 1 (shape (2, 3, 4))"),
    ("cat-empty", lambda: ag.cat([]), InvalidArgumentError, ValueError,
     "concatenate: expected a non-empty sequence of tensors"),
    ("pad-negative", lambda: ag.pad(T(2), -1), InvalidArgumentError, ValueError,
     "pad: pad widths must be >= 0, got -1"),
    ("norm-ord", lambda: ag.norm(T(3), -1), InvalidArgumentError, ValueError,
     "norm: ord must be a positive number, inf or 'fro', got -1"),
    ("gelu-approximate", lambda: ag.gelu(T(3), approximate="fast"), InvalidArgumentError, ValueError,
     "gelu: approximate must be 'none' or 'tanh', got 'fast'"),
    ("clip-no-bounds", lambda: ag.clip(T(3)), InvalidArgumentError, ValueError,
     "clip: at least one of min and max must be given"),
    ("einsum-operand-count", lambda: ag.einsum("ij,jk->ik", T(2, 3)), InvalidArgumentError,
     ValueError, "einsum: equation 'ij,jk->ik': names 2 operand(s) but 1 were given"),
    ("einsum-subscripts", lambda: ag.einsum("ijk->i", T(2, 3)), InvalidArgumentError, ValueError,
     "einsum: equation 'ijk->i': subscripts 'ijk' do not match an operand with 2 dimension(s)"),
    ("factory-negative-shape", lambda: ag.zeros(-1), InvalidArgumentError, ValueError,
     "zeros: shape must be non-negative integers, got (-1,)"),
    ("item-multi-element", lambda: T(2).item(), InvalidArgumentError, ValueError,
     "item: only a tensor with one element can be converted to a Python scalar, got shape (2,)"),
    ("float-multi-element", lambda: float(T(2, 2)), InvalidArgumentError, ValueError,
     "item: only a tensor with one element can be converted to a Python scalar, got shape (2, 2)"),
    ("bool-ambiguous", lambda: bool(T(2)), InvalidArgumentError, ValueError,
     "bool: the truth value of a tensor with shape (2,) is ambiguous"),
    # ---- dtypes
    ("requires-grad-on-int", lambda: ag.tensor([1, 2], requires_grad=True), DTypeError, TypeError,
     "requires_grad: only floating-point tensors can require gradients, got int64"),
    ("requires-grad-on-bool", lambda: ag.tensor([True]).requires_grad_(), DTypeError, TypeError,
     "requires_grad: only floating-point tensors can require gradients, got bool"),
    ("ragged-data", lambda: ag.tensor([[1, 2], [3]]), DTypeError, TypeError,
     "re:^tensor: cannot make a tensor from list"),
    ("string-data", lambda: ag.tensor("abc"), DTypeError, TypeError,
     "tensor: cannot make a tensor from str (ragged or non-numeric data)"),
    ("add-a-string", lambda: T(2) + "a", DTypeError, TypeError,
     "re:^add: cannot apply to shapes \\(2,\\), \\(\\): ufunc 'add' did not contain a loop"),
    ("add-none", lambda: T(2) + None, DTypeError, TypeError,
     "re:^add: cannot apply to shapes \\(2,\\), \\(\\): unsupported operand type"),
    ("gather-float-index", lambda: ag.gather(T(2, 3), 0, np.zeros((2, 3))), DTypeError, TypeError,
     "gather: index must be an integer tensor, got float64"),
    ("mean-of-int", lambda: ag.mean(ag.tensor([1, 2])), DTypeError, TypeError,
     "mean: expected a floating tensor, got int64"),
    ("in-place-dtype", lambda: ag.tensor([1, 2]).__iadd__(0.5), DTypeError, TypeError,
     "iadd: result dtype float64 cannot be stored in place in a int64 tensor"),
    ("default-dtype", lambda: ag.set_default_dtype(np.int32), DTypeError, TypeError,
     "set_default_dtype: expected a floating dtype, got int32"),
    ("index-with-float-tensor", lambda: ag.tensor([1, 2]).__index__(), DTypeError, TypeError,
     "re:^index: only integer tensors of one element can be used as an index"),
    # ---- unsupported
    ("numpy-function", lambda: np.cumsum(T(3)), UnsupportedError, TypeError,
     "re:^numpy.cumsum is not supported on autograd_core Tensors \\(it would drop the graph\\)"),
    ("numpy-ufunc-method", lambda: np.add.reduce(T(3)), UnsupportedError, TypeError,
     "re:^numpy.add.reduce is not supported on autograd_core Tensors"),
    ("pad-mode", lambda: ag.pad(T(2), 1, mode="reflect"), UnsupportedError, TypeError,
     "pad: only mode='constant' is differentiable here, got 'reflect'"),
    ("len-of-0d", lambda: len(T()), UnsupportedError, TypeError, "len() of a 0-d tensor"),
    ("iterate-0d", lambda: list(T()), UnsupportedError, TypeError, "iteration over a 0-d tensor"),
    # ---- graph
    ("non-scalar-backward", lambda: (T(2) * 2).backward(), GraphError, RuntimeError,
     "backward: grad can be implicitly created only for scalar outputs; this tensor has shape (2,): "
     "pass gradient="),
    ("backward-without-grad", lambda: ag.tensor(1.0).backward(), GraphError, RuntimeError,
     "re:^backward: element 0 of tensors does not require grad and does not have a grad_fn"),
    ("backward-gradient-shape", lambda: (T(2) * 2).backward(np.ones(3)), GraphError, RuntimeError,
     "backward: gradient has shape (3,) but the tensor has shape (2,)"),
    ("in-place-requires-grad", lambda: T(2).__iadd__(1), GraphError, RuntimeError,
     "iadd: in-place update of a tensor that requires grad (leaf, shape (2,)): a leaf Variable that "
     "requires grad is being used in an in-place operation; use an out-of-place op, or wrap "
     "parameter updates in `with no_grad():`"),
    ("setitem-requires-grad", lambda: T(2).__setitem__(0, 1.0), GraphError, RuntimeError,
     "re:^setitem: in-place update of a tensor that requires grad"),
    ("retain-grad-without-grad", lambda: ag.tensor([1.0]).retain_grad(), GraphError, RuntimeError,
     "retain_grad: cannot retain the grad of a tensor that does not require grad"),
    ("requires-grad-off-non-leaf", lambda: (T(1) * 2).requires_grad_(False), GraphError,
     RuntimeError, "requires_grad_: cannot turn off requires_grad on a non-leaf tensor; use .detach()"),
    ("grad-of-non-scalar", lambda: ag.grad(lambda x: x * 2)(np.ones(2)), GraphError, RuntimeError,
     "grad: the function must return a scalar (one element), got shape (2,)"),
    ("grad-of-non-tensor", lambda: ag.grad(lambda x: 1.0)(np.ones(2)), GraphError, RuntimeError,
     "grad: the function must return a Tensor, got float"),
    ("vjp-cotangent", lambda: ag.vjp(lambda x: x * 2, np.ones(3))[1](np.ones(2)), GraphError,
     RuntimeError, "vjp: cotangent has shape (2,), output has shape (3,)"),
]


@pytest.mark.parametrize("call, error, builtin, message", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_error_type_builtin_and_message(call, error, builtin, message) -> None:
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, builtin) and isinstance(info.value, AutogradError)
    if message.startswith("re:"):
        assert re.search(message[3:], str(info.value)), str(info.value)
    else:
        assert str(info.value) == message


def test_freed_graph_error_message() -> None:
    y = (T(2) * 2).sum()
    y.backward()
    with pytest.raises(GraphError) as info:
        y.backward()
    assert isinstance(info.value, RuntimeError)
    assert str(info.value) == (
        "backward: trying to backward through the graph a second time (through <SumBackward>); its "
        "saved buffers were freed by the first backward. Pass retain_graph=True to the first "
        "backward() if you need to call it again.")


def test_stale_saved_tensor_error_message() -> None:
    x, b = T(2), ag.tensor(np.ones(2))
    y = (x * b).sum()
    b += 1
    with pytest.raises(GraphError) as info:
        y.backward()
    assert str(info.value) == (
        "backward: one of the variables needed for gradient computation has been modified by an "
        "inplace operation: input 1 of <MulBackward> (shape (2,), float64) was modified in place "
        "after it was recorded (version 0 -> 1); its gradient would be wrong. Use an out-of-place "
        "op instead (or .clone() before the in-place update).")


def test_anomaly_error_message() -> None:
    with ag.detect_anomaly(), np.errstate(divide="ignore"), pytest.raises(AnomalyError) as info:
        ag.log(ag.tensor(0.0))
    assert isinstance(info.value, FloatingPointError)
    assert re.fullmatch(r"detect_anomaly: log produced inf in forward \(op created at .*"
                        r"test_errors\.py:\d+\)", str(info.value))


def test_gradcheck_error_message_names_input_element_and_values() -> None:
    from autograd_core.graph import Op, apply

    class Wrong(Op):
        name = "wrong"
        forward = staticmethod(np.square)

        def vjp(xp, needs, g, out, x):
            return (g * x,)  # should be 2 g x

    with pytest.raises(ag.GradcheckError) as info:
        ag.gradcheck(lambda x: apply(Wrong, (x,)), [np.array([1.0, -3.0, 2.0])])
    assert isinstance(info.value, GraphError) and isinstance(info.value, RuntimeError)
    assert re.fullmatch(r"gradcheck: gradient of input 0 \(shape \(3,\)\) is wrong at element \(\d,\): "
                        r"analytic -?[\d.e+-]+ vs numeric -?[\d.e+-]+", str(info.value))


@pytest.mark.parametrize("call, message", [
    (lambda: T(2, 3)[5], "getitem: index 5 is invalid for a tensor of shape (2, 3)"),
    (lambda: ag.scatter_add(T(2, 3), 0, np.full((2, 3), 5), T(2, 3)),
     "scatter_add: index 5 is out of range for axis 0 of size 2"),
    (lambda: ag.index_add(T(2, 3), 0, np.array([7]), T(1, 3)),
     "index_add: index 7 is out of range for axis 0 of size 2"),
], ids=["getitem", "scatter_add", "index_add"])
def test_out_of_range_indices_raise_index_out_of_range_error(call, message) -> None:
    with pytest.raises(IndexOutOfRangeError) as info:
        call()
    assert isinstance(info.value, IndexError) and isinstance(info.value, AutogradError)
    assert str(info.value) == message
