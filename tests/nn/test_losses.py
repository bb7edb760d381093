"""Losses: hand-computed values, gradcheck/gradgradcheck, torch (forward and grad) for every option,
numerical stability at extreme logits, and argument errors raised before any computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core.errors import DTypeError, IndexOutOfRangeError, InvalidArgumentError, ShapeError


def leaf(array):
    return ag.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def torch_value(torch, value):
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    return value


def assert_matches_torch(ours_fn, theirs_fn, inputs, constants=(), options=None, atol=1e-10):
    """ours_fn(*inputs, *constants, **options) vs theirs_fn(...) on float64 copies: value and the
    gradient of every input, for a random cotangent when the loss is not a scalar."""
    torch = pytest.importorskip("torch")
    options = options or {}
    ours_inputs = [leaf(x) for x in inputs]
    theirs_inputs = [torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True) for x in inputs]
    ours = ours_fn(*ours_inputs, *constants, **options)
    theirs = theirs_fn(*theirs_inputs, *[torch_value(torch, c) for c in constants],
                       **{k: torch_value(torch, v) for k, v in options.items()})
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), atol=atol, rtol=1e-9)
    assert np.all(np.isfinite(ours.data))
    cotangent = np.random.default_rng(0).standard_normal(ours.shape)
    (ours * ag.tensor(cotangent)).sum().backward()
    (theirs * torch.from_numpy(cotangent)).sum().backward()
    for a, b in zip(ours_inputs, theirs_inputs):
        assert np.all(np.isfinite(a.grad.data))
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), atol=atol, rtol=1e-9)


# ---- regression losses ---------------------------------------------------------------------------

def test_regression_losses_hand_computed():
    x, y = ag.tensor([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0])
    assert math.isclose(F.mse_loss(x, y).item(), 5 / 3, rel_tol=1e-6)
    assert math.isclose(F.mse_loss(x, y, reduction="sum").item(), 5.0, rel_tol=1e-6)
    np.testing.assert_allclose(F.mse_loss(x, y, reduction="none").data, [0, 1, 4])
    assert math.isclose(F.l1_loss(x, y).item(), 1.0, rel_tol=1e-6)
    np.testing.assert_allclose(F.huber_loss(x, y, reduction="none").data, [0, 0.5, 1.5])
    np.testing.assert_allclose(F.huber_loss(x, y, reduction="none", delta=2.0).data, [0, 0.5, 2.0])
    np.testing.assert_allclose(F.smooth_l1_loss(x, y, reduction="none", beta=2.0).data, [0, 0.25, 1.0])
    assert math.isclose(nn.HuberLoss(delta=0.5)(x, y).item(), F.huber_loss(x, y, delta=0.5).item())


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_match_torch(rng, name, reduction):
    torch = pytest.importorskip("torch")
    x, y = rng.standard_normal((4, 3)) * 2, rng.standard_normal((4, 3))
    assert_matches_torch(getattr(F, name), getattr(torch.nn.functional, name), [x, y],
                         options={"reduction": reduction})


def test_regression_losses_gradcheck(rng):
    x, y = rng.standard_normal((3, 4)) * 2, rng.standard_normal((3, 4))
    for loss in (F.mse_loss, F.huber_loss, F.l1_loss):
        assert ag.gradcheck(loss, [x, y])
    assert ag.gradgradcheck(F.mse_loss, [x, y])


def test_regression_loss_errors():
    x = ag.tensor(np.ones((4, 1)))
    message = r"mse_loss: target shape \(4,\) does not match input shape \(4, 1\)"
    with pytest.raises(ShapeError, match=message):
        F.mse_loss(x, np.ones(4))
    with pytest.raises(DTypeError):
        F.l1_loss(x, np.ones((4, 1), dtype=bool))
    with pytest.raises(InvalidArgumentError, match="reduction"):
        F.mse_loss(x, np.ones((4, 1)), reduction="avg")
    with pytest.raises(InvalidArgumentError):
        nn.MSELoss(reduction="max")


def test_integer_regression_targets_are_cast():
    assert F.mse_loss(ag.tensor([1.0, 2.0]), np.array([1, 1])).item() == pytest.approx(0.5)


# ---- cross entropy --------------------------------------------------------------------------------

def test_cross_entropy_hand_computed():
    logits = ag.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    targets = np.array([2, 0])
    expected = [-(3 - math.log(math.e + math.e ** 2 + math.e ** 3)), math.log(3)]
    np.testing.assert_allclose(F.cross_entropy(logits, targets, reduction="none").data, expected, rtol=1e-6)
    assert F.cross_entropy(logits, targets).item() == pytest.approx(np.mean(expected), rel=1e-6)
    eps = 0.3
    log_probs = F.log_softmax(logits, dim=1).data.astype(np.float64)
    smoothed = (1 - eps) * -log_probs[[0, 1], targets] + eps / 3 * -log_probs.sum(axis=1)
    np.testing.assert_allclose(F.cross_entropy(logits, targets, reduction="none", label_smoothing=eps).data,
                               smoothed, rtol=1e-6)


def test_cross_entropy_weights_ignore_index_and_class_probabilities_hand_computed():
    logits = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]]))
    weight = np.array([1.0, 2.0, 3.0])
    loss = F.cross_entropy(ag.tensor(logits), np.array([0, 1, -100]), weight=weight)
    assert loss.item() == pytest.approx((-math.log(0.5) * 1 - math.log(0.6) * 2) / 3)
    probabilities = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    loss = F.cross_entropy(ag.tensor(logits), probabilities)
    assert loss.item() == pytest.approx((-math.log(0.5) - 0.5 * math.log(0.6) - 0.5 * math.log(0.3)
                                         - math.log(0.6)) / 3)


CROSS_ENTROPY_OPTIONS = [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.2},
    {"weight": np.array([0.3, 1.0, 2.0, 0.5])},
    {"weight": np.array([0.3, 1.0, 2.0, 0.5]), "label_smoothing": 0.1},
    {"ignore_index": 1}, {"ignore_index": 2, "label_smoothing": 0.25, "reduction": "none"},
    {"weight": np.array([0.3, 0.0, 2.0, 0.5]), "label_smoothing": 0.4, "reduction": "sum"},
]


@pytest.mark.parametrize("options", CROSS_ENTROPY_OPTIONS)
def test_cross_entropy_with_class_indices_matches_torch(rng, options):
    torch = pytest.importorskip("torch")
    targets = np.array([0, 3, 1, 2, 1, 2])
    assert_matches_torch(F.cross_entropy, torch.nn.functional.cross_entropy, [rng.standard_normal((6, 4))],
                         [targets], options)


@pytest.mark.parametrize("options", [
    {}, {"label_smoothing": 0.3}, {"reduction": "none"},
    {"weight": np.array([0.3, 1.0, 2.0]), "label_smoothing": 0.1, "reduction": "sum"}])
def test_cross_entropy_with_class_probabilities_matches_torch(rng, options):
    torch = pytest.importorskip("torch")
    probabilities = rng.dirichlet(np.ones(3), size=5)
    assert_matches_torch(F.cross_entropy, torch.nn.functional.cross_entropy,
                         [rng.standard_normal((5, 3)), probabilities], options=options)


def test_cross_entropy_higher_dimensional_and_unbatched_match_torch(rng):
    torch = pytest.importorskip("torch")
    targets = rng.integers(0, 4, size=(2, 3, 5))
    for reduction in ("mean", "none"):
        assert_matches_torch(F.cross_entropy, torch.nn.functional.cross_entropy,
                             [rng.standard_normal((2, 4, 3, 5))], [targets], {"reduction": reduction,
                                                                              "label_smoothing": 0.1})
    assert_matches_torch(F.cross_entropy, torch.nn.functional.cross_entropy, [rng.standard_normal(4)],
                         [np.array(2)], {"reduction": "none"})


@pytest.mark.parametrize("scale", [1e4, 1e6])
def test_cross_entropy_is_stable_for_huge_logits(rng, scale):
    logits = rng.standard_normal((5, 3)) * scale
    targets = np.array([0, 1, 2, 0, 1])
    for options in ({}, {"label_smoothing": 0.1}, {"reduction": "none"}):
        x = leaf(logits)
        loss = F.cross_entropy(x, targets, **options)
        loss.sum().backward()
        assert np.all(np.isfinite(loss.data)) and np.all(np.isfinite(x.grad.data))
    assert_matches_torch(F.cross_entropy, pytest.importorskip("torch").nn.functional.cross_entropy,
                         [logits], [targets], {"label_smoothing": 0.1}, atol=1e-6)
    single = F.cross_entropy(ag.tensor([[1e4, 0.0]]), np.array([1]))
    assert single.item() == pytest.approx(1e4)


def test_cross_entropy_float32_huge_logits_stay_finite():
    logits = ag.tensor(np.array([[1e4, -1e4, 0.0]], dtype=np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1]))
    loss.backward()
    assert loss.dtype == np.float32 and np.isfinite(loss.item()) and np.all(np.isfinite(logits.grad.data))


def test_cross_entropy_gradcheck_and_gradgradcheck(rng):
    targets = np.array([0, 2, 1, 1])
    weight = rng.random(3)
    for options in ({}, {"weight": weight, "label_smoothing": 0.2}, {"reduction": "none", "ignore_index": 1}):
        f = lambda x: F.cross_entropy(x, targets, **options)
        assert ag.gradcheck(f, [rng.standard_normal((4, 3))])
        assert ag.gradgradcheck(f, [rng.standard_normal((4, 3))])
    g = lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1)
    assert ag.gradgradcheck(g, [rng.standard_normal((4, 3)), rng.dirichlet(np.ones(3), 4)])


def test_cross_entropy_with_integer_targets_is_one_fused_op(rng):
    logits = leaf(rng.standard_normal((8, 5)))
    loss = F.cross_entropy(logits, rng.integers(0, 5, 8), label_smoothing=0.1)
    assert loss.grad_fn.name == "cross_entropy"
    assert loss.grad_fn.next_functions[0] is None
    loss.backward()
    softmax = F.softmax(ag.tensor(logits.data), dim=1).data
    assert logits.grad.shape == softmax.shape


def test_cross_entropy_errors_before_computing():
    logits = ag.tensor(np.zeros((3, 4)))
    with pytest.raises(IndexOutOfRangeError, match=r"cross_entropy: target 4 is out of bounds for 4 classes"):
        F.cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(IndexError, match="target -1"):
        F.cross_entropy(logits, np.array([0, -1, 1]))
    with pytest.raises(ShapeError, match=r"expected target of shape \(3,\)"):
        F.cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(ShapeError, match="class-probability target"):
        F.cross_entropy(logits, np.zeros((3, 3)))
    with pytest.raises(DTypeError, match="target"):
        F.cross_entropy(logits, np.array([True, False, True]))
    with pytest.raises(DTypeError, match="input must be a floating tensor"):
        F.cross_entropy(np.zeros((3, 4), dtype=np.int64), np.array([0, 1, 2]))
    with pytest.raises(ShapeError, match=r"weight must have shape \(4,\)"):
        F.cross_entropy(logits, np.array([0, 1, 2]), weight=np.ones(3))
    with pytest.raises(InvalidArgumentError, match="label_smoothing"):
        F.cross_entropy(logits, np.array([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(InvalidArgumentError, match="reduction"):
        F.cross_entropy(logits, np.array([0, 1, 2]), reduction="avg")


def test_cross_entropy_accepts_integer_tensor_targets_and_module_form(rng):
    logits = ag.tensor(rng.standard_normal((4, 3)))
    targets = ag.tensor(np.array([0, 1, 2, 1]))
    weight = np.array([1.0, 2.0, 0.5])
    loss_fn = nn.CrossEntropyLoss(weight=weight, label_smoothing=0.1)
    assert "weight" in loss_fn.state_dict()
    assert loss_fn(logits, targets).item() == pytest.approx(
        F.cross_entropy(logits, targets.data, weight=weight, label_smoothing=0.1).item())


# ---- nll -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [{}, {"reduction": "none"}, {"weight": np.array([0.5, 2.0, 1.0])},
                                     {"ignore_index": 0, "reduction": "sum"}])
def test_nll_loss_matches_torch(rng, options):
    torch = pytest.importorskip("torch")
    log_probs = F.log_softmax(ag.tensor(rng.standard_normal((5, 3))), dim=1).data
    assert_matches_torch(F.nll_loss, torch.nn.functional.nll_loss, [log_probs], [np.array([0, 2, 1, 0, 2])],
                         options)


def test_nll_loss_hand_computed_and_errors():
    log_probs = ag.tensor([[-1.0, -2.0], [-3.0, -4.0]])
    assert F.nll_loss(log_probs, np.array([1, 0])).item() == pytest.approx(2.5)
    assert nn.NLLLoss(weight=np.array([1.0, 3.0]))(log_probs, np.array([1, 0])).item() == pytest.approx(9 / 4)
    with pytest.raises(DTypeError, match="integer"):
        F.nll_loss(log_probs, np.array([1.0, 0.0]))
    with pytest.raises(IndexOutOfRangeError, match="target 2 is out of bounds"):
        F.nll_loss(log_probs, np.array([2, 0]))


def test_log_softmax_plus_nll_equals_cross_entropy(rng):
    logits = ag.tensor(rng.standard_normal((6, 4)))
    targets = rng.integers(0, 4, 6)
    assert F.nll_loss(F.log_softmax(logits, dim=1), targets).item() == pytest.approx(
        F.cross_entropy(logits, targets).item())


# ---- binary cross entropy --------------------------------------------------------------------------------

def test_bce_with_logits_hand_computed_and_stable():
    logits, targets = ag.tensor([0.0, 1e4, -1e4, 1e4]), np.array([1.0, 0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    np.testing.assert_allclose(loss.data, [math.log(2), 1e4, 1e4, 0.0])
    weighted = F.binary_cross_entropy_with_logits(ag.tensor([0.0]), np.array([1.0]),
                                                  pos_weight=np.array([3.0]))
    assert weighted.item() == pytest.approx(3 * math.log(2))


@pytest.mark.parametrize("options", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"weight": np.array([0.5, 1.0, 2.0])},
    {"pos_weight": np.array([2.0, 0.5, 1.0])},
    {"weight": np.array([[1.0], [2.0], [0.0], [1.0]]), "pos_weight": np.array([3.0, 1.0, 0.2])}])
def test_bce_with_logits_matches_torch(rng, options):
    torch = pytest.importorskip("torch")
    logits = rng.standard_normal((4, 3)) * 40
    reference = torch.nn.functional.binary_cross_entropy_with_logits
    assert_matches_torch(F.binary_cross_entropy_with_logits, reference, [logits, rng.random((4, 3))],
                         options=options)


def test_bce_hand_computed_clamped_and_matches_torch(rng):
    torch = pytest.importorskip("torch")
    loss = F.binary_cross_entropy(ag.tensor([0.5, 0.0, 1.0]), np.array([1.0, 1.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.data, [math.log(2), 100.0, 0.0], rtol=1e-6)
    for options in ({}, {"reduction": "none"}, {"weight": np.array([1.0, 2.0, 0.5])}):
        assert_matches_torch(F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy,
                             [rng.random((4, 3)) * 0.9 + 0.05, rng.random((4, 3))], options=options)
    probabilities = leaf([0.0, 1.0, 0.3])
    F.binary_cross_entropy(probabilities, np.array([0.2, 0.7, 0.5]), reduction="sum").backward()
    reference = torch.tensor([0.0, 1.0, 0.3], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(reference, torch.tensor([0.2, 0.7, 0.5], dtype=torch.float64),
                                             reduction="sum").backward()
    np.testing.assert_allclose(probabilities.grad.data, reference.grad.numpy())


def test_binary_losses_gradcheck(rng):
    x, y = rng.standard_normal((3, 2)), rng.random((3, 2))
    with_logits = lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=np.array([2.0, 0.5]))
    assert ag.gradgradcheck(with_logits, [x, y])
    assert ag.gradgradcheck(F.binary_cross_entropy, [rng.random((3, 2)) * 0.8 + 0.1, y])


def test_binary_loss_errors_and_modules(rng):
    x = ag.tensor(rng.standard_normal((4, 2)))
    with pytest.raises(ShapeError, match="target shape"):
        F.binary_cross_entropy_with_logits(x, np.ones((4, 1)))
    with pytest.raises(DTypeError, match="floating"):
        F.binary_cross_entropy_with_logits(x, np.ones((4, 2), dtype=np.int64))
    with pytest.raises(InvalidArgumentError, match="between 0 and 1"):
        F.binary_cross_entropy(ag.tensor([1.5]), np.array([1.0]))
    with pytest.raises(ShapeError, match="pos_weight"):
        F.binary_cross_entropy_with_logits(x, np.ones((4, 2)), pos_weight=np.ones(3))
    module = nn.BCEWithLogitsLoss(pos_weight=np.array([2.0, 1.0]))
    assert list(module.state_dict()) == ["pos_weight"]
    assert module(x, np.ones((4, 2))).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(x, np.ones((4, 2)), pos_weight=np.array([2.0, 1.0])).item())
    probabilities = ag.sigmoid(x)
    assert nn.BCELoss()(probabilities, np.ones((4, 2))).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(x, np.ones((4, 2))).item(), rel=1e-6)


# ---- other functional helpers --------------------------------------------------------------------------

def test_one_hot():
    encoded = F.one_hot(np.array([0, 2, 1]))
    assert encoded.dtype == np.int64
    np.testing.assert_array_equal(encoded.data, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert F.one_hot(ag.tensor(np.array([[1]])), num_classes=4).shape == (1, 1, 4)
    with pytest.raises(InvalidArgumentError):
        F.one_hot(np.array([3]), num_classes=3)
    with pytest.raises(DTypeError):
        F.one_hot(np.array([1.0]))


def test_legacy_size_average_and_reduce_flags():
    x, y = ag.tensor([1.0, 3.0]), np.array([0.0, 0.0])
    assert F.mse_loss(x, y, size_average=False).item() == pytest.approx(10.0)
    assert F.mse_loss(x, y, reduce=False).shape == (2,)
