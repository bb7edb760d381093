"""PyTorch's shape conventions (issue 10): split/chunk/unbind/tensor_split, transpose(dim0, dim1),
permute, mT, movedim, squeeze(dim), and the varargs forms of view/reshape/expand/repeat/tile/
flatten/unflatten. Each is pinned against torch (values and gradients) and, where differentiable,
checked with float64 gradcheck and gradgradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.errors import AutogradError, InvalidArgumentError, ShapeError

torch = pytest.importorskip("torch")


def _pair(shape, seed=0):
    """The same float64 data as an autograd_core leaf and a torch leaf."""
    data = np.random.default_rng(seed).standard_normal(shape)
    return ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


def _weighted(pieces):
    """A scalar that depends differently on every piece, so each piece's gradient is checked."""
    return sum(((p * (i + 1)) ** 2).sum() for i, p in enumerate(pieces))


def _check_pieces(ours, theirs, x, tx):
    assert isinstance(ours, tuple) and isinstance(theirs, tuple)
    assert [tuple(p.shape) for p in ours] == [tuple(p.shape) for p in theirs]
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy())
    _weighted(ours).backward()
    _weighted(theirs).backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


# ---- split, chunk, unbind, tensor_split ----------------------------------------------------------

@pytest.mark.parametrize("shape, arg, dim", [
    ((10, 3), 4, 0), ((10, 3), 3, 0), ((10, 3), 10, 0), ((10, 3), 20, 0), ((3, 7), 2, 1),
    ((3, 7), 2, -1), ((3, 7), [2, 4, 1], 1), ((6,), [0, 6], 0), ((2, 3, 4), [1, 1, 2], -1),
    ((5, 2), (2, 3), 0),
])
def test_split_matches_torch(shape, arg, dim):
    x, tx = _pair(shape)
    _check_pieces(ag.split(x, arg, dim), torch.split(tx, arg, dim), x, tx)


def test_split_method_and_dim_keyword():
    x, tx = _pair((4, 6))
    _check_pieces(x.split(4, dim=1), tx.split(4, dim=1), x, tx)


@pytest.mark.parametrize("shape, chunks, dim", [
    ((5,), 3, 0), ((6,), 4, 0), ((6,), 3, 0), ((7, 2), 7, 0), ((2, 9), 4, 1), ((3,), 5, 0),
])
def test_chunk_matches_torch(shape, chunks, dim):
    x, tx = _pair(shape)
    _check_pieces(ag.chunk(x, chunks, dim), torch.chunk(tx, chunks, dim), x, tx)


def test_chunk_of_an_empty_dimension_matches_torch():
    ours, theirs = ag.chunk(ag.zeros(0), 3), torch.chunk(torch.zeros(0), 3)
    assert [p.shape for p in ours] == [tuple(p.shape) for p in theirs]


@pytest.mark.parametrize("shape, dim", [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -1), ((1,), 0)])
def test_unbind_matches_torch(shape, dim):
    x, tx = _pair(shape)
    _check_pieces(ag.unbind(x, dim), torch.unbind(tx, dim), x, tx)
    assert len(x.unbind(dim)) == shape[dim]


@pytest.mark.parametrize("shape, arg, dim", [
    ((7,), 3, 0), ((7, 2), 4, 0), ((3, 8), 3, 1), ((5,), 7, 0), ((7,), [3, 1, 9], 0),
    ((7,), [2, 5], 0), ((4, 6), (1, 4), 1),
])
def test_tensor_split_matches_torch(shape, arg, dim):
    x, tx = _pair(shape)
    _check_pieces(ag.tensor_split(x, arg, dim), torch.tensor_split(tx, arg, dim), x, tx)


def test_tensor_split_accepts_an_integer_tensor():
    x, tx = _pair((7,))
    _check_pieces(x.tensor_split(ag.tensor([2, 5])), tx.tensor_split(torch.tensor([2, 5])), x, tx)


@pytest.mark.parametrize("f", [
    lambda x: ag.stack([p * (i + 1) for i, p in enumerate(ag.split(x, 2, 1))][:2], 0),
    lambda x: ag.cat([p * (i + 1) for i, p in enumerate(ag.chunk(x, 3, 1))], 1),
    lambda x: ag.stack([p * (i + 1) for i, p in enumerate(x.unbind(1))]),
    lambda x: ag.cat([p * p for p in x.tensor_split(3, 1)], 1),
])
def test_split_family_gradcheck(f):
    x = np.random.default_rng(3).standard_normal((2, 5))
    assert ag.gradcheck(f, [x]) and ag.gradgradcheck(f, [x])


@pytest.mark.parametrize("call, error", [
    (lambda: ag.split(ag.zeros(5), [2, 2]), ShapeError),
    (lambda: ag.split(ag.zeros(5), [6, -1]), ShapeError),
    (lambda: ag.split(ag.zeros(5), 0), InvalidArgumentError),
    (lambda: ag.split(ag.zeros(5), 2, 1), InvalidArgumentError),
    (lambda: ag.split(ag.zeros(()), 1), InvalidArgumentError),
    (lambda: ag.chunk(ag.zeros(5), 0), InvalidArgumentError),
    (lambda: ag.unbind(ag.zeros((2, 3)), 2), InvalidArgumentError),
    (lambda: ag.tensor_split(ag.zeros(5), 0), InvalidArgumentError),
])
def test_split_family_errors_are_typed(call, error):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, AutogradError)


def test_split_error_names_the_op_and_shape():
    with pytest.raises(ShapeError, match=r"split: sizes \[2, 2\] .* shape \(5,\)"):
        ag.split(ag.zeros(5), [2, 2])


def test_numpy_split_keeps_numpy_semantics():
    x = ag.tensor(np.arange(12.0).reshape(6, 2), requires_grad=True)
    pieces = np.split(x, 3)  # numpy: 3 equal sections
    assert isinstance(pieces, list) and [p.shape for p in pieces] == [(2, 2)] * 3
    assert [p.shape for p in np.split(x, [1, 4])] == [(1, 2), (3, 2), (2, 2)]
    assert [p.shape for p in np.array_split(x, 4)] == [(2, 2), (2, 2), (1, 2), (1, 2)]
    with pytest.raises(ShapeError):
        np.split(x, 4)
    sum((p * (i + 1)).sum() for i, p in enumerate(pieces)).backward()
    np.testing.assert_allclose(x.grad.data, np.repeat([1.0, 2.0, 3.0], 4).reshape(6, 2))


# ---- transpose, permute, mT, movedim -------------------------------------------------------------

@pytest.mark.parametrize("shape, ours, theirs", [
    ((2, 3), lambda x: ag.transpose(x, 0, 1), lambda x: torch.transpose(x, 0, 1)),
    ((2, 3, 4), lambda x: x.transpose(0, 2), lambda x: x.transpose(0, 2)),
    ((2, 3, 4), lambda x: x.transpose(-1, 1), lambda x: x.transpose(-1, 1)),
    ((2, 3, 4), lambda x: x.transpose(1, 1), lambda x: x.transpose(1, 1)),
    ((2, 3, 4), lambda x: x.transpose(dim0=2, dim1=0), lambda x: x.transpose(dim0=2, dim1=0)),
    ((2, 3, 4), lambda x: ag.transpose(x, (2, 0, 1)), lambda x: x.permute(2, 0, 1)),
    ((2, 3, 4), lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1)),
    ((2, 3, 4), lambda x: x.permute((1, 2, 0)), lambda x: x.permute((1, 2, 0))),
    ((2, 3, 4), lambda x: x.permute([-1, 0, 1]), lambda x: x.permute([-1, 0, 1])),
    ((2, 3, 4), lambda x: ag.permute(x, (0, 2, 1)), lambda x: torch.permute(x, (0, 2, 1))),
    ((2, 3, 4), lambda x: x.mT, lambda x: x.mT),
    ((3, 4), lambda x: x.mT, lambda x: x.mT),
    ((3, 4), lambda x: x.T, lambda x: x.T),
    ((2, 3, 4), lambda x: x.movedim(0, -1), lambda x: x.movedim(0, -1)),
    ((2, 3, 4, 5), lambda x: x.movedim((0, 1), (3, 0)), lambda x: x.movedim((0, 1), (3, 0))),
    ((2, 3, 4, 5), lambda x: ag.moveaxis(x, [3, 1], [0, 2]), lambda x: torch.moveaxis(x, [3, 1], [0, 2])),
    ((2, 3, 4), lambda x: x.swapdims(0, 1), lambda x: x.swapdims(0, 1)),
    ((), lambda x: x.transpose(0, -1), lambda x: x.transpose(0, -1)),
])
def test_transpose_family_matches_torch(shape, ours, theirs):
    x, tx = _pair(shape)
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy())
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * ag.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


@pytest.mark.parametrize("f", [lambda x: x.transpose(0, 2), lambda x: x.permute(1, 2, 0),
                               lambda x: x.mT, lambda x: x.movedim((0, 2), (1, 0))])
def test_transpose_family_gradcheck(f):
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    assert ag.gradcheck(f, [x]) and ag.gradgradcheck(f, [x])


@pytest.mark.parametrize("call, pattern", [
    (lambda A: ag.moveaxis(A, 0, 5), r"moveaxis: dimension 5 is out of range .* shape \(2, 3\)"),
    (lambda A: ag.transpose(A, (3, 0)), r"transpose: dimension 3 is out of range .* shape \(2, 3\)"),
    (lambda A: ag.transpose(A, 0, 2), r"transpose: dimension 2 is out of range .* shape \(2, 3\)"),
    (lambda A: A.permute(0, 0), r"permute: repeated dimension in \(0, 0\) \(shape \(2, 3\)\)"),
    (lambda A: A.permute(0), r"permute: dims \(0,\) are not a permutation .* shape \(2, 3\)"),
    (lambda A: A.permute(0, 1, 2), r"permute: dims .* not a permutation"),
    (lambda A: ag.moveaxis(A, (0, 1), (1, 1)), r"moveaxis: repeated dimension"),
    (lambda A: ag.moveaxis(A, (0, 1), 1), r"moveaxis: source .* same number"),
    (lambda A: A.transpose(0), r"transpose: expected two dimensions"),
    (lambda A: A.transpose(0, 1, 2), r"transpose: expected two dimensions"),
    (lambda A: ag.swapaxes(A, 0, -3), r"swapaxes: dimension -3 is out of range"),
    (lambda A: ag.zeros(3).mT, r"mT: needs a tensor with at least 2 dimensions"),
])
def test_transpose_family_errors_name_op_and_shape(call, pattern):
    with pytest.raises(InvalidArgumentError, match=pattern):
        call(ag.zeros((2, 3)))


def test_numpy_transpose_keeps_numpy_semantics():
    x = ag.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert np.transpose(x).shape == (4, 3, 2)
    assert np.transpose(x, (1, 0, 2)).shape == (3, 2, 4)
    assert np.transpose(x, axes=(2, 0, 1)).shape == (4, 2, 3)
    np.testing.assert_array_equal(np.transpose(x, (1, 0, 2)).data, np.transpose(x.data, (1, 0, 2)))


# ---- squeeze -------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, dim", [
    ((1, 3, 1, 4), None), ((1, 3, 1, 4), 0), ((1, 3, 1, 4), 1), ((1, 3, 1, 4), -2),
    ((1, 3, 1, 4), (0, 1, 2)), ((2, 3), 0), ((2, 3), (0, 1)), ((), 0), ((1,), -1),
])
def test_squeeze_matches_torch(shape, dim):
    x, tx = _pair(shape)
    out = x.squeeze() if dim is None else x.squeeze(dim)
    tout = tx.squeeze() if dim is None else tx.squeeze(dim)
    assert out.shape == tuple(tout.shape)
    assert ag.squeeze(x, dim).shape == tuple(tout.shape)
    (out * 2).sum().backward()
    (tout * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


def test_squeeze_out_of_range_is_a_typed_error():
    with pytest.raises(InvalidArgumentError, match=r"squeeze: dimension 2 .* shape \(2, 3\)"):
        ag.zeros((2, 3)).squeeze(2)
    with pytest.raises(InvalidArgumentError, match="squeeze: repeated dimension"):
        ag.zeros((1, 3)).squeeze((0, -2))


def test_numpy_squeeze_keeps_numpy_semantics():
    x = ag.zeros((1, 3))
    assert np.squeeze(x, 0).shape == (3,)
    with pytest.raises(ShapeError):
        np.squeeze(x, 1)


# ---- varargs: view, reshape, expand, repeat, tile, flatten, unflatten ---------------------------

@pytest.mark.parametrize("shape, ours, theirs", [
    ((2, 6), lambda x: x.view(3, 4), lambda x: x.view(3, 4)),
    ((2, 6), lambda x: x.view((4, -1)), lambda x: x.view((4, -1))),
    ((2, 6), lambda x: x.view(-1), lambda x: x.view(-1)),
    ((2, 6), lambda x: ag.view(x, [12, 1]), lambda x: x.view([12, 1])),
    ((2, 6), lambda x: x.reshape(3, 2, 2), lambda x: x.reshape(3, 2, 2)),
    ((2, 6), lambda x: ag.reshape(x, 4, 3), lambda x: torch.reshape(x, (4, 3))),
    ((3, 1), lambda x: x.expand(3, 4), lambda x: x.expand(3, 4)),
    ((3, 1), lambda x: x.expand(2, -1, 5), lambda x: x.expand(2, -1, 5)),
    ((3, 1), lambda x: x.expand((2, 3, 4)), lambda x: x.expand((2, 3, 4))),
    ((3, 1), lambda x: ag.broadcast_to(x, (2, -1, 4)), lambda x: torch.broadcast_to(x, (2, -1, 4))),
    ((3,), lambda x: x.repeat(2), lambda x: x.repeat(2)),
    ((2, 3), lambda x: x.repeat(2, 3), lambda x: x.repeat(2, 3)),
    ((2, 3), lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3)),
    ((2, 3), lambda x: x.repeat((1, 2)), lambda x: x.repeat((1, 2))),
    ((2, 3), lambda x: ag.repeat(x, 0, 2), lambda x: x.repeat(0, 2)),
    ((), lambda x: x.repeat(3, 2), lambda x: x.repeat(3, 2)),
    ((2, 3), lambda x: ag.tile(x, (2,)), lambda x: torch.tile(x, (2,))),
    ((2, 3), lambda x: x.tile(2, 1, 2), lambda x: x.tile(2, 1, 2)),
    ((2, 3, 4), lambda x: x.flatten(), lambda x: x.flatten()),
    ((2, 3, 4), lambda x: x.flatten(1), lambda x: x.flatten(1)),
    ((2, 3, 4), lambda x: ag.flatten(x, 0, 1), lambda x: torch.flatten(x, 0, 1)),
    ((2, 3, 4), lambda x: x.flatten(start_dim=-2, end_dim=-1), lambda x: x.flatten(-2, -1)),
    ((2, 12), lambda x: x.unflatten(1, (3, 4)), lambda x: x.unflatten(1, (3, 4))),
    ((2, 12), lambda x: ag.unflatten(x, -1, (2, -1, 3)), lambda x: torch.unflatten(x, -1, (2, -1, 3))),
])
def test_varargs_shape_ops_match_torch(shape, ours, theirs):
    x, tx = _pair(shape)
    out, tout = ours(x), theirs(tx)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.data, tout.detach().numpy())
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * ag.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


@pytest.mark.parametrize("f", [
    lambda x: x.repeat(2, 3) ** 2, lambda x: x.repeat(3, 1, 2) ** 2, lambda x: ag.tile(x, (2,)) ** 2,
    lambda x: x.tile(2, 2, 1) ** 2, lambda x: x.expand(2, -1, -1) ** 2,
    lambda x: x.unflatten(1, (1, 3)) ** 2, lambda x: x.view(3, 2) ** 2,
])
def test_repeat_tile_expand_gradcheck(f):
    x = np.random.default_rng(4).standard_normal((2, 3))
    assert ag.gradcheck(f, [x]) and ag.gradgradcheck(f, [x])


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: ag.zeros((3, 2)).expand(3, 4), ShapeError, r"expand: cannot expand shape \(3, 2\)"),
    (lambda: ag.zeros((3, 1)).expand(4), ShapeError, r"expand: the number of sizes"),
    (lambda: ag.zeros((3, 1)).expand(-1, 3, 1), ShapeError, r"expand: size -1 is not allowed"),
    (lambda: ag.zeros((2, 3)).repeat(2), ShapeError, r"repeat: the number of repeats 1"),
    (lambda: ag.zeros((2, 3)).repeat(2, -1), InvalidArgumentError, r"repeat: repeats must be"),
    (lambda: ag.zeros((2, 12)).unflatten(1, (5, -1)), ShapeError, r"unflatten: sizes \(5, -1\)"),
    (lambda: ag.zeros((2, 12)).unflatten(1, (5, 2)), ShapeError, r"unflatten: sizes"),
    (lambda: ag.zeros((2, 3)).flatten(0, 2), InvalidArgumentError, r"flatten: dimension 2"),
    (lambda: ag.zeros((2, 3)).view(ag.float64), Exception, r"view: only view\(\*shape\)"),
    (lambda: ag.zeros((2, 3)).view(4, 2), ShapeError, r"reshape: cannot reshape"),
])
def test_varargs_shape_op_errors(call, error, pattern):
    with pytest.raises(error, match=pattern) as info:
        call()
    assert isinstance(info.value, AutogradError)
