"""Issue 10: in-place ops on non-leaf tensors are recorded as in PyTorch (micrograd's test_more_ops
runs unchanged), micrograd's update loop works, and the in-place initialisers zero_/fill_/
uniform_/normal_/masked_fill_ exist. PyTorch (float64) is the oracle."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import DTypeError, GraphError, ShapeError, UnsupportedError

torch = pytest.importorskip("torch")


def _micrograd_test_more_ops(Value):  # noqa: N803 (micrograd's name)
    """micrograd's test_more_ops, verbatim."""
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def test_micrograd_test_more_ops_runs_unchanged_and_matches_torch() -> None:
    ag_a, ag_b, ag_g = _micrograd_test_more_ops(
        lambda v: ag.tensor(v, requires_grad=True, dtype=np.float64))
    pt_a, pt_b, pt_g = _micrograd_test_more_ops(
        lambda v: torch.tensor(v, requires_grad=True, dtype=torch.float64))
    tol = 1e-6
    assert abs(ag_g.data.item() - pt_g.data.item()) < tol
    assert abs(ag_a.grad.item() - pt_a.grad.item()) < tol
    assert abs(ag_b.grad.item() - pt_b.grad.item()) < tol
    assert repr(ag_g.grad_fn) == "<AddBackward>"


def test_micrograd_test_more_ops_with_default_float32_values() -> None:
    ag_a, ag_b, ag_g = _micrograd_test_more_ops(lambda v: ag.tensor(v, requires_grad=True))
    assert ag_g.item() == pytest.approx(24.70408163265306, rel=1e-5)
    assert ag_a.grad.item() == pytest.approx(138.83381924198252, rel=1e-5)
    assert ag_b.grad.item() == pytest.approx(645.5772594752186, rel=1e-5)


def _both(fn, *values):
    """fn run on autograd_core and torch leaves (float64): the results and the leaves."""
    ag_leaves = [ag.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]
    pt_leaves = [torch.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]
    return fn(ag, ag_leaves), fn(torch, pt_leaves), ag_leaves, pt_leaves


CASES = {
    "imul-reads-the-old-value": lambda m, ls: _imul(ls),
    "idiv": lambda m, ls: _idiv(ls),
    "isub-self": lambda m, ls: _isub_self(ls),
    "setitem-from-a-tensor": lambda m, ls: _setitem(ls),
    "copy_-from-a-tensor": lambda m, ls: _copy(ls),
    "plain-tensor-plus-one-that-requires-grad": lambda m, ls: _plain_iadd(m, ls),
    "masked_fill_": lambda m, ls: _masked(m, ls),
    "fill_-with-a-0d-tensor": lambda m, ls: _fill(ls),
    "zero_": lambda m, ls: _zero(ls),
}


def _imul(ls):
    x, w = ls
    y = x * 1.0
    y *= w
    return (y * y).sum()


def _idiv(ls):
    x, w = ls
    y = x + 0.0
    y /= w
    return (y * x).sum()


def _isub_self(ls):
    x, _ = ls
    y = x * 3.0
    y -= y
    y += x
    return (y * x).sum()


def _setitem(ls):
    x, w = ls
    y = x * 2.0
    y[1] = w[0] * 5.0
    return (y * y).sum()


def _copy(ls):
    x, w = ls
    y = x * 2.0
    y.copy_(w * w)
    return (y * x).sum()


def _plain_iadd(m, ls):
    x, w = ls
    acc = m.zeros(3, dtype=m.float64) if m is torch else ag.tensor(np.zeros(3))
    acc += x * w
    acc += x
    return (acc * acc).sum()


def _masked(m, ls):
    x, w = ls
    mask = (torch.tensor if m is torch else ag.tensor)(np.array([True, False, True]))
    y = x * w
    y.masked_fill_(mask, 0.5)
    return (y * x).sum()


def _fill(ls):
    x, w = ls
    y = x * 1.0
    y.fill_(w[2] * 1.0)
    return (y * x).sum()


def _zero(ls):
    x, w = ls
    y = x * w
    y.zero_()
    y += x
    return (y * w).sum()


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_in_place_ops_on_non_leaf_tensors_are_recorded_and_match_torch(case) -> None:
    out, expected, ag_leaves, pt_leaves = _both(case, [1.0, -2.0, 3.0], [0.5, 4.0, -1.5])
    out.backward()
    expected.backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    for mine, theirs in zip(ag_leaves, pt_leaves):
        reference = np.zeros(3) if theirs.grad is None else theirs.grad.numpy()
        got = np.zeros(3) if mine.grad is None else mine.grad.data
        np.testing.assert_allclose(got, reference, rtol=1e-12, atol=1e-12)


def test_the_grad_fn_becomes_the_in_place_op() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y += 1
    assert repr(y.grad_fn) == "<AddBackward>" and not y.is_leaf and y.requires_grad
    y *= x
    assert repr(y.grad_fn) == "<MulBackward>"
    y[0] = 3.0
    assert repr(y.grad_fn) == "<SetitemBackward>"


def test_a_saved_value_overwritten_by_a_recorded_in_place_op_is_still_caught() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y  # saves y
    y += 1
    with pytest.raises(GraphError, match="modified by an inplace operation"):
        z.sum().backward()


def test_the_saved_output_of_exp_overwritten_by_a_recorded_in_place_op_is_caught() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.exp(x)
    y += 1  # recorded (y is a non-leaf), but ExpBackward needs exp(x), which is gone
    with pytest.raises(GraphError, match=r"the output of <ExpBackward>"):
        y.sum().backward()


def test_older_consumers_keep_the_value_they_used() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    y = x * 2
    z = y + 1  # uses y before the update
    y *= 3
    (z.sum() + y.sum()).backward()
    np.testing.assert_allclose(x.grad.data, [2.0 + 6.0, 2.0 + 6.0])


def test_in_place_on_a_leaf_that_requires_grad_still_raises() -> None:
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    for update in (lambda: w.__iadd__(1), lambda: w.__setitem__(0, 1.0), lambda: w.zero_(),
                   lambda: w.fill_(1.0), lambda: w.uniform_(), lambda: w.copy_([3.0, 4.0])):
        with pytest.raises(GraphError, match="a leaf Variable that requires grad is being used in "
                                             "an in-place operation"):
            update()
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    assert w._version == 0


def test_recorded_in_place_ops_are_refused_while_a_tape_records() -> None:
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.Tape():
        y = x * 2
        with pytest.raises(UnsupportedError, match="Tape"):
            y += 1


# ---- micrograd's update loop -----------------------------------------------------------------

def test_micrograd_update_loop_p_data_plus_equals_tensor_updates_the_array_in_place() -> None:
    p = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (p * p).sum().backward()
    array = p.data
    p.data += -0.1 * p.grad
    assert p.data is array and type(p.data) is np.ndarray
    np.testing.assert_allclose(p.data, [0.8, 1.6, 2.4], rtol=1e-6)
    assert p.is_leaf and p.grad_fn is None and p._version == 0  # nothing recorded
    p.data -= 0.1 * p.grad.data
    np.testing.assert_allclose(p.data, [0.6, 1.2, 1.8], rtol=1e-6)


def test_micrograd_training_loop_learns() -> None:
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(20, 2))
    ys = np.sign(xs[:, 0] + xs[:, 1])
    w = ag.tensor(rng.normal(size=2), requires_grad=True)
    losses = []
    for _ in range(30):
        loss = (1 - ag.tensor(ys) * (ag.tensor(xs) @ w)).relu().mean()
        w.grad = None
        loss.backward()
        w.data += -0.5 * w.grad
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_array_out_with_an_operand_that_requires_grad_is_refused() -> None:
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    array = np.zeros(2)
    with pytest.raises(UnsupportedError, match="graph would be dropped"):
        array += w * 2
    with ag.no_grad():
        array += w
    np.testing.assert_array_equal(array, [1.0, 2.0])


# ---- in-place initialisers ---------------------------------------------------------------------

def test_initialisers_work_under_no_grad_on_parameters_and_bump_the_version() -> None:
    p = ag.tensor(np.ones((3, 4)), requires_grad=True)
    with ag.no_grad():
        assert p.zero_() is p and not p.data.any()
        p.fill_(2.5)
        assert (p.data == 2.5).all()
        p.uniform_(-1.0, 1.0, generator=np.random.default_rng(0))
        assert ((p.data >= -1) & (p.data < 1)).all() and p.data.std() > 0.1
        p.normal_(5.0, 0.01, generator=np.random.default_rng(0))
        assert abs(p.data.mean() - 5.0) < 0.05
        p.masked_fill_(p.data > 5.0, 0.0)
        assert not (p.data > 5.0).any()
    assert p._version == 5 and p.is_leaf and p.requires_grad
    assert p.dtype == np.float64


def test_initialisers_on_tensors_that_do_not_require_grad_need_no_no_grad() -> None:
    t = ag.tensor(np.zeros(4, dtype=np.float32))
    t.uniform_(generator=np.random.default_rng(1))
    assert t.dtype == np.float32 and ((t.data >= 0) & (t.data < 1)).all()
    t.normal_()
    t.fill_(3)
    t.zero_()
    t.masked_fill_(np.array([True, False, True, False]), 1.0)
    np.testing.assert_array_equal(t.data, [1, 0, 1, 0])
    assert t._version == 5


def test_random_initialisers_are_reproducible_with_a_generator() -> None:
    a, b = ag.tensor(np.zeros(5)), ag.tensor(np.zeros(5))
    a.normal_(generator=np.random.default_rng(7))
    b.normal_(generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.data, b.data)
    a.uniform_(2, 3, generator=np.random.default_rng(7))
    b.uniform_(2, 3, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.data, b.data)


def test_initialisers_catch_a_stale_graph() -> None:
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with ag.no_grad():
        w.normal_()
    with pytest.raises(GraphError, match="modified"):
        loss.backward()


def test_initialiser_argument_errors_are_typed() -> None:
    with pytest.raises(DTypeError, match="uniform_: expected a floating tensor"):
        ag.tensor([1, 2]).uniform_()
    with pytest.raises(DTypeError, match="generator"):
        ag.tensor([1.0]).normal_(generator=3)
    with pytest.raises(ShapeError, match="0-dimensional"):
        ag.tensor([1.0, 2.0]).fill_(ag.tensor([1.0, 2.0]))
    with pytest.raises(DTypeError, match="mask must be a bool"):
        ag.tensor([1.0, 2.0]).masked_fill_(np.array([1, 0]), 0.0)
    with pytest.raises(ShapeError, match="cannot be broadcast"):
        ag.tensor([1.0, 2.0]).masked_fill_(np.array([True, False, True]), 0.0)


def test_fill_with_a_tensor_value_that_requires_grad_gets_the_summed_gradient() -> None:
    value = ag.tensor(2.0, requires_grad=True, dtype=np.float64)
    t = ag.tensor(np.zeros(3))
    t.fill_(value)
    (t * ag.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert value.grad.item() == pytest.approx(6.0)


def test_second_derivatives_through_recorded_in_place_ops_match_torch() -> None:
    def run(make):
        a, b = make(-4.0), make(2.0)
        c = a * b
        c += a * a * b
        c *= b
        c -= 2 * c
        return a, (c * a).sum()

    a, out = run(lambda v: ag.tensor(v, requires_grad=True, dtype=np.float64))
    out.backward(create_graph=True)
    first = a.grad
    a.grad = None
    first.backward()
    ta, tout = run(lambda v: torch.tensor(v, requires_grad=True, dtype=torch.float64))
    (tfirst,) = torch.autograd.grad(tout, [ta], create_graph=True)
    (tsecond,) = torch.autograd.grad(tfirst, [ta])
    assert first.item() == pytest.approx(tfirst.item(), rel=1e-12)
    assert a.grad.item() == pytest.approx(tsecond.item(), rel=1e-12)
