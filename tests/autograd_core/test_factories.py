"""newops10a, factories and random sampling of issue 10: linspace, logspace, arange with float
steps, empty/empty_like/full_like, rand_like/randn_like, randint/randint_like, randperm,
multinomial, normal, bernoulli, manual_seed and generator=, varargs shapes, tensor() from lists
of tensors.

Deterministic values are compared with torch; random ones are checked for their support, shape,
dtype and (seeded, with tolerances several standard errors wide) their statistics, and for
reproducibility under manual_seed and an explicit generator.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import random as ag_random
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError

# PyTorch is the oracle of every comparison here; without it this file skips (CI installs it).
torch = pytest.importorskip("torch")


def _dtype_name(t) -> str:
    return str(t.dtype).replace("torch.", "")


# ---- deterministic factories, against torch ---------------------------------------------------

LINSPACE = [(0, 1, 5), (-2.5, 7.25, 11), (3, -3, 7), (1.0, 1.0, 4), (0, 10, 1), (0, 1, 0),
            (0.1, 0.9, 2), (-1e3, 1e3, 101)]


@pytest.mark.parametrize("start,end,steps", LINSPACE)
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_linspace_and_logspace_match_torch(start, end, steps, dtype) -> None:
    torch_dtype = getattr(torch, dtype) if dtype else None
    ours, theirs = ag.linspace(start, end, steps, dtype=dtype), torch.linspace(
        start, end, steps, dtype=torch_dtype)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == _dtype_name(theirs)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6 if dtype is None else 1e-15,
                               atol=1e-12)
    if steps:
        assert ours.data[0] == theirs[0].item() and ours.data[-1] == theirs[-1].item()
    if abs(start) < 50 and abs(end) < 50:
        for base in (10.0, 2.0, 0.5):
            ours = ag.logspace(start / 4, end / 4, steps, base=base, dtype=dtype)
            theirs = torch.logspace(start / 4, end / 4, steps, base=base, dtype=torch_dtype)
            assert str(ours.dtype) == _dtype_name(theirs)
            np.testing.assert_allclose(ours.data, theirs.numpy(),
                                       rtol=2e-6 if dtype is None else 1e-13)


def test_linspace_accepts_0d_tensors_and_int_dtype() -> None:
    ours = ag.linspace(ag.tensor(1.0), ag.tensor(3.0), 5)
    np.testing.assert_allclose(ours.data, torch.linspace(torch.tensor(1.0), torch.tensor(3.0),
                                                         5).numpy())
    ours, theirs = ag.linspace(0, 10, 4, dtype="int64"), torch.linspace(0, 10, 4,
                                                                           dtype=torch.int64)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ag.linspace(0, 1, 3, requires_grad=True).requires_grad


ARANGE = [(0, 1, 0.1), (1, 2.5, 0.5), (0, 1, 0.3), (-1, 1, 0.25), (5, 1, -0.7), (0.5, 0.5, 0.1),
          (0, 10, 3), (1, 7, 1.5), (0, 0.3, 0.1), (2.0,), (5,), (-3, 4)]


@pytest.mark.parametrize("args", ARANGE)
def test_arange_length_and_values_match_torch(args) -> None:
    ours, theirs = ag.arange(*args), torch.arange(*args)
    assert ours.shape == tuple(theirs.shape), "length rule ceil((end - start) / step)"
    assert str(ours.dtype) == _dtype_name(theirs)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6, atol=1e-7)
    ours64 = ag.arange(*args, dtype="float64")
    np.testing.assert_allclose(ours64.data, torch.arange(*args, dtype=torch.float64).numpy(),
                               rtol=1e-15)


def test_empty_and_like_factories_shapes_and_dtypes() -> None:
    base = ag.tensor(np.zeros((2, 3), dtype=np.float64))
    for ours, theirs in [(ag.empty(2, 3), torch.empty(2, 3)),
                         (ag.empty((4,), dtype="float64"), torch.empty((4,), dtype=torch.float64)),
                         (ag.empty([]), torch.empty([])), (ag.empty(0, 2), torch.empty(0, 2)),
                         (ag.empty_like(base), torch.empty_like(torch.zeros(2, 3,
                                                                            dtype=torch.float64))),
                         (ag.full_like(base, 7), torch.full_like(torch.zeros(2, 3,
                                                                             dtype=torch.float64),
                                                                 7)),
                         (ag.full_like(ag.tensor([1, 2]), 3.7), torch.full_like(
                             torch.tensor([1, 2]), 3.7))]:
        assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == _dtype_name(theirs)
    np.testing.assert_array_equal(ag.full_like(ag.tensor([1, 2]), 3.7).data,
                                  torch.full_like(torch.tensor([1, 2]), 3.7).numpy())
    assert ag.empty(2, requires_grad=True).requires_grad
    assert ag.empty_like(base, dtype="float32").dtype == np.float32


@pytest.mark.parametrize("name", ["zeros", "ones", "rand", "randn", "empty"])
def test_varargs_and_tuple_shapes_with_dtype_and_requires_grad(name: str) -> None:
    fn = getattr(ag, name)
    for shape_args, shape in [((2, 3), (2, 3)), (((2, 3),), (2, 3)), (([4],), (4,)), (((),), ()),
                              ((0, 5), (0, 5))]:
        out = fn(*shape_args)
        assert out.shape == shape == tuple(getattr(torch, name)(*shape_args).shape)
        assert out.dtype == np.float32
    out = fn(2, 3, dtype="float64", requires_grad=True)
    assert out.dtype == np.float64 and out.requires_grad and out.is_leaf
    with pytest.raises(InvalidArgumentError):
        fn(2, -1)


def test_full_forms_match_torch() -> None:
    for args in [((2, 3), 1.5), ([2], 7), ((), 2.0), ((2, 2), True)]:
        ours, theirs = ag.full(*args), torch.full(*args)
        assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == _dtype_name(theirs)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ag.full((2,), 1.0, dtype="float64", requires_grad=True).requires_grad


def test_tensor_from_nested_lists_of_tensors() -> None:
    scalars = ag.tensor([ag.tensor(1.5), ag.tensor(-2.0), ag.tensor(3.0)])
    theirs = torch.tensor([torch.tensor(1.5), torch.tensor(-2.0), torch.tensor(3.0)])
    assert scalars.shape == tuple(theirs.shape) and str(scalars.dtype) == _dtype_name(theirs)
    np.testing.assert_array_equal(scalars.data, theirs.numpy())
    rows = ag.tensor([ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0])])
    assert rows.shape == (2, 2) and rows.dtype == np.float32
    assert rows.data.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    mixed = ag.tensor([[ag.tensor(1.0), 2.0], [3.0, ag.tensor(4)]])
    assert mixed.dtype == np.float32 and mixed.data.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    ints = ag.tensor([ag.tensor(1), ag.tensor(2)])
    assert ints.dtype == np.int64 == np.dtype(str(torch.tensor([torch.tensor(1)]).dtype)[6:])
    nonleaf = ag.tensor([1.0, 2.0], requires_grad=True) * 2
    copied = ag.tensor([nonleaf, nonleaf])
    assert copied.shape == (2, 2) and not copied.requires_grad and copied.is_leaf
    assert ag.tensor([ag.tensor(np.float64(2.0))]).dtype == np.float64


# ---- the global generator and explicit generators -------------------------------------------------

def _draws(generator=None):
    kw = {} if generator is None else {"generator": generator}
    probs = ag.tensor(np.full((3, 4), 0.5))
    return [ag.rand(3, **kw), ag.randn(2, 2, **kw), ag.randint(0, 10, (5,), **kw),
            ag.randperm(6, **kw), ag.multinomial(ag.tensor([1.0, 2.0, 3.0]), 2, **kw),
            ag.normal(0.0, 1.0, (3,), **kw), ag.normal(ag.tensor(np.zeros(3)), 2.0, **kw),
            ag.bernoulli(probs, **kw), ag.rand_like(probs, **kw), ag.randn_like(probs, **kw),
            ag.randint_like(probs, 5, **kw)]


def test_manual_seed_makes_every_random_factory_reproducible() -> None:
    ag.manual_seed(123)
    first = _draws()
    ag.manual_seed(123)
    second = _draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.data, b.data)
    third = _draws()  # the stream moved on
    assert any(not np.array_equal(a.data, b.data) for a, b in zip(first, third))
    assert ag.manual_seed(5) is ag_random.default_generator


def test_explicit_generator_is_used_and_leaves_the_global_stream_alone() -> None:
    ag.manual_seed(7)
    expected_global = _draws()
    ag.manual_seed(7)
    with_generator = _draws(np.random.default_rng(99))
    after = _draws()
    for a, b in zip(expected_global, after):
        np.testing.assert_array_equal(a.data, b.data)
    again = _draws(np.random.default_rng(99))
    for a, b in zip(with_generator, again):
        np.testing.assert_array_equal(a.data, b.data)


def test_rng_state_round_trip() -> None:
    ag.manual_seed(1)
    state = ag.get_rng_state()
    first = ag.randn(4).data
    ag.randn(10)
    ag.set_rng_state(state)
    np.testing.assert_array_equal(ag.randn(4).data, first)
    with pytest.raises(InvalidArgumentError):
        ag.set_rng_state({"not": "a state"})
    with pytest.raises(InvalidArgumentError):
        ag.manual_seed(1.5)
    with pytest.raises(InvalidArgumentError):
        ag.rand(2, generator="nope")


# ---- random factories: support, shape, dtype, statistics -----------------------------------------

def test_randint_forms_and_range() -> None:
    gen = np.random.default_rng(0)
    a = ag.randint(5, (2000,), generator=gen)
    b = ag.randint(-3, 4, (50, 40), generator=gen)
    c = ag.randint(low=2, high=3, size=(3,), generator=gen)
    assert a.dtype == np.int64 == b.dtype and torch.randint(5, (2,)).dtype == torch.int64
    assert a.data.min() == 0 and a.data.max() == 4 and set(np.unique(a.data)) == set(range(5))
    assert b.shape == (50, 40) and b.data.min() == -3 and b.data.max() == 3
    assert c.data.tolist() == [2, 2, 2]
    counts = np.bincount(a.data, minlength=5)
    assert np.all(np.abs(counts - 400) < 5 * np.sqrt(400 * 0.8))
    assert ag.randint(3, (2,), dtype="int32").dtype == np.int32
    like = ag.randint_like(ag.tensor(np.zeros((3, 2))), 1, 4, generator=gen)
    assert like.dtype == np.float64 and like.shape == (3, 2) and set(like.data.ravel()) <= {1, 2, 3}
    assert torch.randint_like(torch.zeros(2, dtype=torch.float64), 5).dtype == torch.float64
    with pytest.raises(InvalidArgumentError, match="randint"):
        ag.randint(3, 3, (2,))
    with pytest.raises(InvalidArgumentError, match="randint"):
        ag.randint(1, 2, 3, (2,))
    with pytest.raises(InvalidArgumentError, match="randint"):
        ag.randint(0.5, 3, (2,))


def test_randperm_is_a_permutation() -> None:
    gen = np.random.default_rng(1)
    for n in (0, 1, 10, 257):
        p = ag.randperm(n, generator=gen)
        assert p.dtype == np.int64 and sorted(p.data.tolist()) == list(range(n))
    firsts = [ag.randperm(4, generator=gen).data[0] for _ in range(800)]
    assert np.all(np.abs(np.bincount(firsts, minlength=4) - 200) < 5 * np.sqrt(150))
    with pytest.raises(InvalidArgumentError, match="randperm"):
        ag.randperm(-1)


def test_multinomial_without_replacement_never_repeats() -> None:
    gen = np.random.default_rng(2)
    weights = ag.tensor(np.array([[1.0, 2.0, 3.0, 4.0, 0.0], [5.0, 0.0, 1.0, 1.0, 1.0]]))
    for _ in range(200):
        draw = ag.multinomial(weights, 4, generator=gen)
        assert draw.shape == (2, 4) and draw.dtype == np.int64
        for row in draw.data:
            assert len(set(row.tolist())) == 4
        assert 4 not in draw.data[0].tolist()  # the zero-weight category needs all 4 others first
    full = ag.multinomial(ag.tensor([1.0, 1.0, 1.0]), 3, generator=gen)
    assert sorted(full.data.tolist()) == [0, 1, 2]


def test_multinomial_frequencies() -> None:
    gen = np.random.default_rng(3)
    p = np.array([0.1, 0.2, 0.3, 0.4])
    n = 20000
    with_replacement = ag.multinomial(ag.tensor(p * 7), n, replacement=True, generator=gen)
    counts = np.bincount(with_replacement.data, minlength=4)
    assert np.all(np.abs(counts - n * p) < 5 * np.sqrt(n * p * (1 - p)))
    # without replacement, the first draw of each row follows the weights
    rows = ag.tensor(np.tile(p, (n, 1)))
    first = ag.multinomial(rows, 2, generator=gen).data[:, 0]
    counts = np.bincount(first, minlength=4)
    assert np.all(np.abs(counts - n * p) < 5 * np.sqrt(n * p * (1 - p)))
    # and the second, given the first was category 3 (p = 0.4), follows the renormalised rest
    second = ag.multinomial(rows, 2, generator=gen).data
    after_three = second[second[:, 0] == 3, 1]
    q = p[:3] / p[:3].sum()
    counts = np.bincount(after_three, minlength=4)[:3]
    m = len(after_three)
    assert np.all(np.abs(counts - m * q) < 5 * np.sqrt(m * q * (1 - q)))


def test_multinomial_errors() -> None:
    with pytest.raises(InvalidArgumentError, match="multinomial"):
        ag.multinomial(ag.tensor([1.0, 2.0]), 3)
    with pytest.raises(InvalidArgumentError, match="multinomial"):
        ag.multinomial(ag.tensor([1.0, -2.0]), 1)
    with pytest.raises(InvalidArgumentError, match="multinomial"):
        ag.multinomial(ag.tensor([0.0, 0.0]), 1)
    with pytest.raises(InvalidArgumentError, match="multinomial"):
        ag.multinomial(ag.tensor([1.0, np.nan]), 1)
    with pytest.raises(InvalidArgumentError, match="multinomial"):
        ag.multinomial(ag.tensor([1.0, 2.0]), 0)
    with pytest.raises(ShapeError, match="multinomial"):
        ag.multinomial(ag.tensor(np.ones((2, 2, 2))), 1)


def test_normal_forms_statistics_and_zero_gradient_as_torch() -> None:
    gen = np.random.default_rng(4)
    n = 40000
    x = ag.normal(2.0, 3.0, (n,), generator=gen)
    assert x.dtype == np.float32 and x.shape == (n,)
    assert abs(x.data.mean() - 2.0) < 5 * 3 / np.sqrt(n) and abs(x.data.std() - 3.0) < 0.05
    mean = ag.tensor(np.array([[-5.0], [5.0]]), requires_grad=True)
    std = ag.tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    y = ag.normal(mean, std, generator=gen)
    assert y.shape == (2, 3) and y.dtype == np.float64 and y.requires_grad
    big = ag.normal(ag.tensor(np.full((n,), 1.0)), 0.5, generator=gen).data
    assert abs(big.mean() - 1.0) < 5 * 0.5 / np.sqrt(n) and abs(big.std() - 0.5) < 0.01
    assert ag.normal(0.0, ag.tensor(np.ones(3)), generator=gen).shape == (3,)
    y.sum().backward()
    tm = torch.tensor([[-5.0], [5.0]], requires_grad=True, dtype=torch.float64)
    ts = torch.tensor([0.5, 1.0, 2.0], requires_grad=True, dtype=torch.float64)
    torch.normal(tm, ts).sum().backward()
    np.testing.assert_array_equal(mean.grad.data, tm.grad.numpy())
    np.testing.assert_array_equal(std.grad.data, ts.grad.numpy())
    with pytest.raises(InvalidArgumentError, match="normal"):
        ag.normal(0.0, -1.0, (2,))
    with pytest.raises(InvalidArgumentError, match="normal"):
        ag.normal(0.0, 1.0)
    with pytest.raises(ShapeError, match="normal"):
        ag.normal(ag.tensor(np.zeros(2)), ag.tensor(np.ones(3)))


def test_bernoulli_frequencies_dtype_and_zero_gradient() -> None:
    gen = np.random.default_rng(5)
    p = np.linspace(0.0, 1.0, 5)
    probs = ag.tensor(np.tile(p, (20000, 1)), requires_grad=True)
    draw = ag.bernoulli(probs, generator=gen)
    assert draw.dtype == np.float64 and set(np.unique(draw.data)) <= {0.0, 1.0}
    freq = draw.data.mean(axis=0)
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / 20000) + 1e-12)
    assert freq[0] == 0.0 and freq[-1] == 1.0
    draw.sum().backward()
    assert (probs.grad.data == 0).all()
    assert torch.bernoulli(torch.tensor([0.5], requires_grad=True)).requires_grad
    assert ag.bernoulli(ag.tensor(np.zeros(1000)), p=1.0).data.all()
    with pytest.raises(InvalidArgumentError, match="bernoulli"):
        ag.bernoulli(ag.tensor([0.5, 1.5]))
    with pytest.raises(DTypeError, match="bernoulli"):
        ag.bernoulli(ag.tensor([0, 1]))


def test_rand_like_and_randn_like() -> None:
    gen = np.random.default_rng(6)
    base = ag.tensor(np.zeros((100, 50), dtype=np.float64))
    u, z = ag.rand_like(base, generator=gen), ag.randn_like(base, generator=gen)
    assert u.shape == z.shape == (100, 50) and u.dtype == z.dtype == np.float64
    assert 0 <= u.data.min() and u.data.max() < 1 and abs(u.data.mean() - 0.5) < 0.02
    assert abs(z.data.mean()) < 0.03 and abs(z.data.std() - 1) < 0.03
    assert ag.rand_like(base, dtype="float32").dtype == np.float32
    with pytest.raises(DTypeError, match="rand_like"):
        ag.rand_like(ag.tensor([1, 2]))
    with pytest.raises(DTypeError, match="randn_like"):
        ag.randn_like(ag.tensor([1, 2]))


def test_factory_errors_are_typed() -> None:
    with pytest.raises(InvalidArgumentError, match="linspace"):
        ag.linspace(0, 1, -1)
    with pytest.raises(InvalidArgumentError, match="linspace"):
        ag.linspace(0, 1, 2.5)
    with pytest.raises(InvalidArgumentError, match="linspace"):
        ag.linspace(ag.tensor([0.0, 1.0]), 1, 3)
    with pytest.raises(InvalidArgumentError, match="logspace"):
        ag.logspace(0, 1, 3, base="ten")
    with pytest.raises(InvalidArgumentError, match="empty_like"):
        ag.empty_like([1, 2])
