"""Issue 9: einsum with a broadcasting ellipsis and with repeated indices (traces, diagonals) has a
correct backward to first and second order; both calling forms; malformed equations are typed
errors naming the equation."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import AutogradError, DTypeError, InvalidArgumentError, ShapeError

torch = pytest.importorskip("torch")

CASES = [
    ("...ij,...k->...i", [(2, 3, 4), (2, 5)]),
    ("...ij,...k->...i", [(2, 3, 4), (1, 5)]),     # the ellipsis broadcasts a size-1 dim
    ("...ij,...k->...i", [(2, 3, 4), (5,)]),       # and a missing one
    ("...ij,...k->i", [(2, 3, 4), (5,)]),          # torch sums unwritten ellipsis dims
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->j", [(3, 3, 2)]),
    ("ij,jj->i", [(2, 3), (3, 3)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("bii,bj->bij", [(2, 3, 3), (2, 4)]),
    ("ij,jk", [(2, 1), (3, 4)]),                   # a size-1 letter broadcasts (torch)
    ("i,i->i", [(3,), (1,)]),
]


def _ids():
    return [f"{eq}-{'x'.join(str(s) for s in shapes)}" for eq, shapes in CASES]


@pytest.mark.parametrize("equation, shapes", CASES, ids=_ids())
def test_einsum_ellipsis_and_repeated_index_backward_matches_torch(equation, shapes):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s) for s in shapes]
    ours = [ag.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    out, t_out = ag.einsum(equation, *ours), torch.einsum(equation, *theirs)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = rng.standard_normal(tuple(t_out.shape))
    (out * weights).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("equation, shapes", CASES, ids=_ids())
def test_einsum_ellipsis_and_repeated_index_gradcheck_and_gradgradcheck(equation, shapes):
    rng = np.random.default_rng(1)
    values = [rng.standard_normal(s) for s in shapes]
    assert ag.gradcheck(lambda *ops: ag.einsum(equation, *ops), values)
    assert ag.gradgradcheck(lambda *ops: ag.einsum(equation, *ops), values)


def test_einsum_accepts_operands_one_by_one_or_as_a_list():
    a, b = np.ones((2, 3)), np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(ag.einsum("ij,jk->ik", a, b).data, a @ b)
    np.testing.assert_array_equal(ag.einsum("ij,jk->ik", [a, b]).data, a @ b)
    np.testing.assert_array_equal(ag.einsum("ij,jk->ik", (ag.tensor(a), b)).data, a @ b)


@pytest.mark.parametrize("equation, shapes, error, message", [
    ("ij->i->j", [(2, 2)], InvalidArgumentError, "einsum: equation 'ij->i->j': more than one '->'"),
    ("ij,jk->ik", [(2, 2)], InvalidArgumentError,
     "einsum: equation 'ij,jk->ik': names 2 operand(s) but 1 were given"),
    ("ij->i", [(2, 2), (2, 2)], InvalidArgumentError, "names 1 operand(s) but 2 were given"),
    ("i1->i", [(2, 2)], InvalidArgumentError, "einsum: equation 'i1->i': invalid subscripts 'i1'"),
    ("i$", [(2, 2)], InvalidArgumentError, "einsum: equation 'i$': invalid subscripts"),
    ("ij->k", [(2, 2)], InvalidArgumentError, "output letter 'k' does not appear in the inputs"),
    ("ij->ii", [(2, 2)], InvalidArgumentError, "an output letter is repeated"),
    ("......->", [(2,)], InvalidArgumentError, "invalid subscripts '......'"),
    ("ijk", [(2, 2)], InvalidArgumentError,
     "subscripts 'ijk' do not match an operand with 2 dimension(s)"),
    ("ii", [(2, 3)], ShapeError, "letter 'i' is repeated in subscripts 'ii' with different sizes"),
    ("ij,jk", [(2, 3), (4, 2)], ShapeError, "letter 'j' has size 3 in one operand and 4"),
    ("ij", [], InvalidArgumentError, "einsum: equation 'ij': expected at least one operand"),
], ids=["two-arrows", "too-few-operands", "too-many-operands", "digit", "symbol", "unknown-output",
        "repeated-output", "two-ellipses", "rank", "diagonal-sizes", "size-mismatch", "no-operands"])
def test_malformed_einsum_equations_raise_typed_errors_naming_the_equation(equation, shapes, error,
                                                                         message):
    with pytest.raises(error) as info:
        ag.einsum(equation, *[np.ones(s) for s in shapes])
    assert isinstance(info.value, AutogradError)
    assert message in str(info.value)
    assert repr(equation) in str(info.value) or "names" in message


def test_einsum_equation_must_be_a_string():
    with pytest.raises(DTypeError, match="einsum: the equation must be a str, got int"):
        ag.einsum(3, np.ones(2))
