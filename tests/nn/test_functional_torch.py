"""nn10 (issue 10): the new nn.functional functions against torch.nn.functional, table-driven.

Each case is one expression written once against a functional module `F` and a tensor factory `T`,
so the identical call runs on nn.functional (with ag.tensor) and torch.nn.functional (with
torch.tensor): that pins torch's argument names, defaults and values. For every case the forward
values and the gradients of every floating input (for a random cotangent) are compared with torch,
and float64 gradcheck and gradgradcheck run on our implementation.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError, UnsupportedError

try:  # torch is the oracle only: without it the comparisons skip, gradcheck and errors still run
    import torch

    TF = torch.nn.functional
except ImportError:  # pragma: no cover
    torch = TF = None
requires_torch = pytest.mark.skipif(torch is None, reason="torch (the test oracle) is not installed")

# torch's own deprecation notices for the legacy size_average/reduce flags this table pins
pytestmark = pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated:UserWarning")


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def normal(*shape: int, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    return _rng(seed).standard_normal(shape) * scale


def positive(*shape: int, seed: int = 0) -> np.ndarray:
    return _rng(seed).uniform(0.5, 2.0, shape)


def log_probs(*shape: int, seed: int = 0) -> np.ndarray:
    return np.log(_rng(seed).dirichlet(np.ones(shape[-1]), shape[:-1]))


def probs(*shape: int, seed: int = 0, with_zero: bool = False) -> np.ndarray:
    p = _rng(seed).dirichlet(np.ones(shape[-1]), shape[:-1])
    if with_zero:
        p.flat[1] = 0.0  # a zero target: kl_div's 0 log 0 = 0 rule
    return p / p.sum(axis=-1, keepdims=True)


def counts(*shape: int, seed: int = 0) -> np.ndarray:
    return _rng(seed).poisson(2.0, shape).astype(np.float64)


SIGNS = np.array([1, -1, 1, -1])
RANK_SIGNS = np.array([1.0, -1.0, -1.0, 1.0, 1.0])

# (id, call(F, T, *inputs), inputs, twice differentiable)
ACTIVATIONS = [
    ("silu", lambda F, T, x: F.silu(x), [normal(3, 5, scale=3)]),
    ("silu_inplace_flag", lambda F, T, x: F.silu(x, inplace=False), [normal(3, 5, scale=3)]),
    ("elu", lambda F, T, x: F.elu(x), [normal(3, 5, scale=3)]),
    ("elu_alpha", lambda F, T, x: F.elu(x, alpha=0.3), [normal(3, 5, scale=3)]),
    ("selu", lambda F, T, x: F.selu(x), [normal(3, 5, scale=3)]),
    ("celu", lambda F, T, x: F.celu(x, alpha=1.7), [normal(3, 5, scale=3)]),
    ("relu6", lambda F, T, x: F.relu6(x), [normal(3, 5, scale=5)]),
    ("hardtanh", lambda F, T, x: F.hardtanh(x), [normal(3, 5, scale=2)]),
    ("hardtanh_range", lambda F, T, x: F.hardtanh(x, min_val=-0.5, max_val=2.0), [normal(3, 5, scale=2)]),
    ("hardsigmoid", lambda F, T, x: F.hardsigmoid(x), [normal(3, 5, scale=4)]),
    ("hardswish", lambda F, T, x: F.hardswish(x), [normal(3, 5, scale=4)]),
    ("mish", lambda F, T, x: F.mish(x), [normal(3, 5, scale=3)]),
    ("softsign", lambda F, T, x: F.softsign(x), [normal(3, 5, scale=3)]),
    ("logsigmoid", lambda F, T, x: F.logsigmoid(x), [normal(3, 5, scale=10)]),
    ("softmin", lambda F, T, x: F.softmin(x, dim=1), [normal(3, 5)]),
    ("softmin_dim0", lambda F, T, x: F.softmin(x, 0), [normal(3, 5)]),
    ("glu", lambda F, T, x: F.glu(x), [normal(3, 4)]),
    ("glu_dim0", lambda F, T, x: F.glu(x, dim=0), [normal(4, 3)]),
    ("prelu_shared", lambda F, T, x, w: F.prelu(x, w), [normal(2, 3, 4), np.array([0.25])]),
    ("prelu_channels", lambda F, T, x, w: F.prelu(x, w), [normal(2, 3, 4), normal(3, seed=1)]),
    ("threshold", lambda F, T, x: F.threshold(x, 0.2, -1.5), [normal(3, 5)]),
    ("tanhshrink", lambda F, T, x: F.tanhshrink(x), [normal(3, 5, scale=2)]),
    ("softshrink", lambda F, T, x: F.softshrink(x), [normal(3, 5)]),
    ("softshrink_lambd", lambda F, T, x: F.softshrink(x, lambd=1.0), [normal(3, 5, scale=2)]),
    ("hardshrink", lambda F, T, x: F.hardshrink(x), [normal(3, 5)]),
    ("hardshrink_lambd", lambda F, T, x: F.hardshrink(x, 1.2), [normal(3, 5, scale=2)]),
]

PADS = [
    (
        f"pad_{mode}_{'_'.join(map(str, widths))}",
        (lambda mode, widths: lambda F, T, x: F.pad(x, widths, mode=mode))(mode, widths),
        [normal(*shape)],
    )
    for mode in ("constant", "reflect", "replicate", "circular")
    for shape, widths in [
        ((2, 3, 4), (1, 2)),
        ((2, 3, 4), (2, -1, 1, 2)),
        ((3, 4), (-1, 3)),
        ((1, 2, 3, 4), (1, 1, 2, 0)),
        ((1, 1, 2, 3, 3), (1, 0, 1, 1, 0, 1)),
    ]
] + [
    ("pad_constant_value", lambda F, T, x: F.pad(x, (1, 1, 0, 2, 1, 0), value=2.5), [normal(2, 3, 2)]),
    ("pad_constant_1d", lambda F, T, x: F.pad(x, [2, 1]), [normal(4)]),
]

CONVOLUTIONS = [
    (
        "conv1d",
        lambda F, T, x, w, b: F.conv1d(x, w, b),
        [normal(2, 3, 6), normal(4, 3, 3, seed=1), normal(4, seed=2)],
    ),
    (
        "conv1d_options",
        lambda F, T, x, w: F.conv1d(x, w, stride=2, padding=1, dilation=2, groups=2),
        [normal(2, 4, 7), normal(6, 2, 2, seed=1)],
    ),
    (
        "conv1d_same",
        lambda F, T, x, w: F.conv1d(x, w, padding="same", dilation=2),
        [normal(1, 2, 5), normal(3, 2, 2, seed=1)],
    ),
    (
        "conv1d_valid_unbatched",
        lambda F, T, x, w: F.conv1d(x, w, padding="valid"),
        [normal(2, 5), normal(3, 2, 3, seed=1)],
    ),
    (
        "conv2d_groups_dilation",
        lambda F, T, x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1, dilation=(2, 1), groups=2),
        [normal(1, 4, 5, 5), normal(4, 2, 2, 3, seed=1), normal(4, seed=2)],
    ),
    (
        "conv2d_same",
        lambda F, T, x, w: F.conv2d(x, w, padding="same"),
        [normal(1, 2, 4, 4), normal(2, 2, 2, 3, seed=1)],
    ),
    (
        "conv_transpose1d",
        lambda F, T, x, w, b: F.conv_transpose1d(x, w, b),
        [normal(2, 3, 4), normal(3, 2, 3, seed=1), normal(2, seed=2)],
    ),
    (
        "conv_transpose1d_options",
        lambda F, T, x, w: F.conv_transpose1d(
            x, w, stride=3, padding=2, output_padding=2, groups=2, dilation=2
        ),
        [normal(1, 4, 4), normal(4, 2, 3, seed=1)],
    ),
    (
        "conv_transpose1d_unbatched",
        lambda F, T, x, w: F.conv_transpose1d(x, w, stride=2, output_padding=1),
        [normal(2, 3), normal(2, 3, 2, seed=1)],
    ),
    (
        "conv_transpose2d",
        lambda F, T, x, w, b: F.conv_transpose2d(x, w, b),
        [normal(1, 2, 3, 3), normal(2, 3, 2, 2, seed=1), normal(3, seed=2)],
    ),
    (
        "conv_transpose2d_options",
        lambda F, T, x, w: F.conv_transpose2d(
            x, w, stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2, dilation=1
        ),
        [normal(1, 4, 3, 2), normal(4, 1, 3, 2, seed=1)],
    ),
    (
        "conv_transpose2d_dilation",
        lambda F, T, x, w: F.conv_transpose2d(x, w, stride=1, padding=1, output_padding=1, dilation=2),
        [normal(1, 2, 3, 3), normal(2, 2, 2, 2, seed=1)],
    ),
]

POOLING = [
    ("max_pool1d", lambda F, T, x: F.max_pool1d(x, 2), [normal(2, 3, 6)]),
    (
        "max_pool1d_options",
        lambda F, T, x: F.max_pool1d(x, 3, stride=2, padding=1, dilation=1, ceil_mode=True),
        [normal(2, 2, 8)],
    ),
    ("max_pool1d_dilation", lambda F, T, x: F.max_pool1d(x, 2, 1, 0, 2), [normal(3, 7)]),
    ("avg_pool1d", lambda F, T, x: F.avg_pool1d(x, 3), [normal(2, 3, 7)]),
    (
        "avg_pool1d_options",
        lambda F, T, x: F.avg_pool1d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        [normal(2, 2, 8)],
    ),
    (
        "avg_pool2d_ceil",
        lambda F, T, x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
        [normal(1, 2, 6, 5)],
    ),
    (
        "avg_pool2d_ceil_no_pad_count",
        lambda F, T, x: F.avg_pool2d(x, (2, 3), stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        [normal(1, 2, 5, 6)],
    ),
    ("avg_pool2d_ceil_no_padding", lambda F, T, x: F.avg_pool2d(x, 2, ceil_mode=True), [normal(1, 2, 5, 5)]),
    (
        "max_pool2d_ceil_dilation",
        lambda F, T, x: F.max_pool2d(x, 2, stride=2, padding=1, dilation=2, ceil_mode=True),
        [normal(1, 2, 6, 7)],
    ),
    ("adaptive_avg_pool1d", lambda F, T, x: F.adaptive_avg_pool1d(x, 3), [normal(2, 3, 7)]),
    ("adaptive_avg_pool2d", lambda F, T, x: F.adaptive_avg_pool2d(x, (2, 3)), [normal(2, 2, 5, 7)]),
    ("adaptive_avg_pool2d_none", lambda F, T, x: F.adaptive_avg_pool2d(x, (None, 2)), [normal(2, 3, 5)]),
    ("adaptive_avg_pool2d_upscale", lambda F, T, x: F.adaptive_avg_pool2d(x, 4), [normal(1, 2, 3, 3)]),
    ("adaptive_max_pool2d", lambda F, T, x: F.adaptive_max_pool2d(x, (2, 3)), [normal(2, 2, 5, 7)]),
    ("adaptive_max_pool2d_unbatched", lambda F, T, x: F.adaptive_max_pool2d(x, 2), [normal(3, 4, 5)]),
    ("adaptive_max_pool1d", lambda F, T, x: F.adaptive_max_pool1d(x, 3), [normal(2, 2, 7)]),
]

RESIZING = [
    ("nearest_size", lambda F, T, x: F.interpolate(x, size=7), [normal(1, 2, 4)]),
    ("nearest_scale", lambda F, T, x: F.interpolate(x, scale_factor=1.7), [normal(1, 2, 4)]),
    ("nearest_down", lambda F, T, x: F.interpolate(x, size=(2, 3)), [normal(1, 2, 5, 6)]),
    ("nearest_scale_2d", lambda F, T, x: F.interpolate(x, scale_factor=(2, 1.5)), [normal(1, 1, 3, 4)]),
    ("nearest_exact", lambda F, T, x: F.interpolate(x, size=5, mode="nearest-exact"), [normal(1, 2, 3)]),
    ("area", lambda F, T, x: F.interpolate(x, size=(2, 3), mode="area"), [normal(1, 2, 5, 7)]),
    ("linear", lambda F, T, x: F.interpolate(x, size=7, mode="linear"), [normal(2, 2, 4)]),
    (
        "linear_align",
        lambda F, T, x: F.interpolate(x, size=7, mode="linear", align_corners=True),
        [normal(2, 2, 4)],
    ),
    ("linear_scale", lambda F, T, x: F.interpolate(x, scale_factor=2.5, mode="linear"), [normal(1, 2, 3)]),
    (
        "linear_recompute",
        lambda F, T, x: F.interpolate(x, scale_factor=1.5, mode="linear", recompute_scale_factor=True),
        [normal(1, 2, 5)],
    ),
    ("linear_down", lambda F, T, x: F.interpolate(x, size=3, mode="linear"), [normal(1, 2, 7)]),
    ("bilinear", lambda F, T, x: F.interpolate(x, size=(5, 4), mode="bilinear"), [normal(1, 2, 3, 3)]),
    (
        "bilinear_align",
        lambda F, T, x: F.interpolate(x, size=(2, 5), mode="bilinear", align_corners=True),
        [normal(1, 2, 4, 3)],
    ),
    (
        "bilinear_scale",
        lambda F, T, x: F.interpolate(x, scale_factor=2, mode="bilinear"),
        [normal(1, 1, 3, 2)],
    ),
]

DISTANCES = [
    ("normalize", lambda F, T, x: F.normalize(x), [normal(3, 4)]),
    ("normalize_p1_dim0", lambda F, T, x: F.normalize(x, p=1, dim=0), [normal(3, 4)]),
    ("normalize_eps", lambda F, T, x: F.normalize(x, dim=-1, eps=10.0), [normal(3, 4)]),
    ("cosine_similarity", lambda F, T, a, b: F.cosine_similarity(a, b), [normal(3, 4), normal(3, 4, seed=1)]),
    (
        "cosine_similarity_broadcast",
        lambda F, T, a, b: F.cosine_similarity(a, b, dim=-1),
        [normal(3, 4), normal(1, 4, seed=1)],
    ),
    (
        "cosine_similarity_eps",
        lambda F, T, a, b: F.cosine_similarity(a, b, dim=0, eps=5.0),
        [normal(3, 2), normal(3, 2, seed=1)],
    ),
    ("pairwise_distance", lambda F, T, a, b: F.pairwise_distance(a, b), [normal(3, 4), normal(3, 4, seed=1)]),
    (
        "pairwise_distance_p",
        lambda F, T, a, b: F.pairwise_distance(a, b, p=3.0, eps=1e-3, keepdim=True),
        [normal(3, 4), normal(3, 4, seed=1)],
    ),
    (
        "pairwise_distance_1d",
        lambda F, T, a, b: F.pairwise_distance(a, b, p=1),
        [normal(4), normal(4, seed=1)],
    ),
    ("embedding", lambda F, T, w: F.embedding(T(np.array([[0, 2], [3, 2]])), w), [normal(4, 3)]),
    (
        "embedding_padding_idx",
        lambda F, T, w: F.embedding(T(np.array([[0, 2], [3, 2]])), w, padding_idx=3),
        [normal(4, 3)],
    ),
]

LOSSES = [
    *[
        (
            f"kl_div_{r}",
            (lambda r: lambda F, T, x, y: F.kl_div(x, y, reduction=r))(r),
            [log_probs(3, 4), probs(3, 4, seed=1)],
        )
        for r in ("batchmean", "sum", "none")
    ],
    (
        "kl_div_zero_target",
        lambda F, T, x: F.kl_div(x, T(probs(3, 4, seed=1, with_zero=True)), reduction="batchmean"),
        [log_probs(3, 4)],
    ),
    (
        "kl_div_log_target",
        lambda F, T, x, y: F.kl_div(x, y, reduction="batchmean", log_target=True),
        [log_probs(3, 4), log_probs(3, 4, seed=1)],
    ),
    (
        "kl_div_legacy",
        lambda F, T, x, y: F.kl_div(x, y, reduce=False),
        [log_probs(2, 3), probs(2, 3, seed=1)],
    ),
    (
        "smooth_l1_beta",
        lambda F, T, x, y: F.smooth_l1_loss(x, y, beta=0.5),
        [normal(3, 4), normal(3, 4, seed=1)],
    ),
    (
        "smooth_l1_zero_beta",
        lambda F, T, x, y: F.smooth_l1_loss(x, y, reduction="sum", beta=0.0),
        [normal(3, 4), normal(3, 4, seed=1)],
    ),
    ("huber", lambda F, T, x, y: F.huber_loss(x, y, delta=0.7), [normal(3, 4), normal(3, 4, seed=1)]),
    (
        "huber_weight",
        lambda F, T, x, y, w: F.huber_loss(x, y, delta=0.7, weight=w),
        [normal(3, 4), normal(3, 4, seed=1), positive(3, 4, seed=2)],
    ),
    ("poisson_nll", lambda F, T, x: F.poisson_nll_loss(x, T(counts(3, 4, seed=1))), [normal(3, 4)]),
    (
        "poisson_nll_full",
        lambda F, T, x: F.poisson_nll_loss(x, T(counts(3, 4, seed=1)), full=True, reduction="sum"),
        [normal(3, 4)],
    ),
    (
        "poisson_nll_rates",
        lambda F, T, x, y: F.poisson_nll_loss(x, y, log_input=False, eps=1e-4, reduction="none"),
        [positive(3, 4), positive(3, 4, seed=1)],
    ),
    (
        "poisson_nll_full_rates",
        lambda F, T, x, y: F.poisson_nll_loss(x, y, log_input=False, full=True),
        [positive(3, 4), positive(3, 4, seed=1) * 2],
    ),
    (
        "cosine_embedding",
        lambda F, T, a, b: F.cosine_embedding_loss(a, b, T(SIGNS)),
        [normal(4, 3), normal(4, 3, seed=1)],
    ),
    (
        "cosine_embedding_margin",
        lambda F, T, a, b: F.cosine_embedding_loss(a, b, T(SIGNS), margin=-0.3, reduction="none"),
        [normal(4, 3), normal(4, 3, seed=1)],
    ),
    (
        "cosine_embedding_1d",
        lambda F, T, a, b: F.cosine_embedding_loss(a, b, T(np.array(-1))),
        [normal(3), normal(3, seed=1)],
    ),
    (
        "margin_ranking",
        lambda F, T, a, b: F.margin_ranking_loss(a, b, T(RANK_SIGNS)),
        [normal(5), normal(5, seed=1)],
    ),
    (
        "margin_ranking_margin",
        lambda F, T, a, b: F.margin_ranking_loss(a, b, T(RANK_SIGNS), margin=0.5, reduction="sum"),
        [normal(5), normal(5, seed=1)],
    ),
]

NORMS = [
    (
        "group_norm",
        lambda F, T, x, w, b: F.group_norm(x, 2, w, b),
        [normal(2, 4, 3), normal(4, seed=1), normal(4, seed=2)],
    ),
    ("group_norm_plain", lambda F, T, x: F.group_norm(x, 3, eps=1e-3), [normal(2, 6, 2, 2)]),
    ("group_norm_one_group", lambda F, T, x: F.group_norm(x, 1), [normal(2, 3, 4)]),
    ("instance_norm", lambda F, T, x: F.instance_norm(x), [normal(2, 3, 5)]),
    (
        "instance_norm_affine",
        lambda F, T, x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3),
        [normal(2, 3, 2, 3), normal(3, seed=1), normal(3, seed=2)],
    ),
]

CASES = ACTIVATIONS + PADS + CONVOLUTIONS + POOLING + RESIZING + DISTANCES + LOSSES + NORMS

#: Cases whose torch gradient is by design not the derivative of the forward, so no gradcheck can pass
#: (torch's own fails too, see test_torch_gradients_that_are_not_derivatives): padding_idx rows get no
#: gradient, and cosine_similarity clamps the norms in place under no_grad.
NOT_DERIVATIVES = {"embedding_padding_idx", "cosine_similarity_eps"}
#: torch rounds a few scalar constants of its backward formulas to float32 (celu's 1 / alpha,
#: hardsigmoid's 1 / 6), so gradients agree to float32 precision relative to the value; ours are exact
#: in float64 (gradcheck proves them).
GRADIENT_RTOL = 1e-7


def _ours(call, inputs, requires_grad=False):
    leaves = [ag.tensor(x, requires_grad=requires_grad) for x in inputs]
    return call(F, ag.tensor, *leaves), leaves


def _theirs(call, inputs):
    leaves = [torch.tensor(x, requires_grad=True) for x in inputs]
    return call(TF, torch.tensor, *leaves), leaves


@requires_torch
@pytest.mark.parametrize("name, call, inputs", CASES, ids=[case[0] for case in CASES])
def test_forward_and_gradients_match_torch(name, call, inputs):
    out, leaves = _ours(call, inputs, requires_grad=True)
    expected, torch_leaves = _theirs(call, inputs)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    cotangent = _rng(99).standard_normal(out.shape)
    out.backward(ag.tensor(cotangent))
    expected.backward(torch.tensor(cotangent))
    for ours, theirs in zip(leaves, torch_leaves):
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=GRADIENT_RTOL, atol=1e-11)


DERIVATIVE_CASES = [case for case in CASES if case[0] not in NOT_DERIVATIVES]


@pytest.mark.parametrize("name, call, inputs", DERIVATIVE_CASES, ids=[case[0] for case in DERIVATIVE_CASES])
def test_gradcheck_and_gradgradcheck(name, call, inputs):
    def f(*xs):
        return call(F, ag.tensor, *xs)

    assert ag.gradcheck(f, inputs)
    assert ag.gradgradcheck(f, inputs)


@requires_torch
def test_torch_gradients_that_are_not_derivatives():
    """The NOT_DERIVATIVES cases: torch's own gradcheck rejects them, so matching torch (tested above)
    is the specification there."""
    for name, call, inputs in CASES:
        if name in NOT_DERIVATIVES:
            leaves = [torch.tensor(x, requires_grad=True) for x in inputs]
            assert not torch.autograd.gradcheck(
                lambda *xs: call(TF, torch.tensor, *xs), leaves, raise_exception=False
            )


def test_kl_div_gradient_at_a_zero_target():
    """d/dtarget where target == 0: the t log t term contributes 0 here (torch gives NaN there), so the
    gradient is -input; elsewhere log(target) + 1 - input, as torch."""
    x = log_probs(2, 3)
    target = ag.tensor(np.array([[0.2, 0.0, 0.8], [0.5, 0.5, 0.0]]), requires_grad=True)
    F.kl_div(ag.tensor(x), target, reduction="sum").backward()
    zero = target.data == 0
    np.testing.assert_allclose(target.grad.data[zero], -x[zero])
    np.testing.assert_allclose(target.grad.data[~zero], np.log(target.data[~zero]) + 1 - x[~zero])


def test_float32_stays_float32():
    x = ag.tensor(normal(2, 3, 4).astype(np.float32))
    for fn in (
        F.silu,
        F.mish,
        F.hardswish,
        F.logsigmoid,
        lambda t: F.pad(t, (1, 1), mode="reflect"),
        lambda t: F.interpolate(t, size=6, mode="linear"),
        lambda t: F.adaptive_avg_pool1d(t, 2),
        lambda t: F.conv_transpose1d(t, ag.tensor(np.ones((3, 2, 2), dtype=np.float32))),
    ):
        assert fn(x).dtype == np.float32


@requires_torch
def test_pooling_indices_match_torch():
    x = normal(2, 3, 5, 7)
    for ours, theirs in [
        (
            F.adaptive_max_pool2d(ag.tensor(x), (2, 3), return_indices=True),
            TF.adaptive_max_pool2d(torch.tensor(x), (2, 3), return_indices=True),
        ),
        (
            F.adaptive_max_pool1d(ag.tensor(x[0]), 3, return_indices=True),
            TF.adaptive_max_pool1d(torch.tensor(x[0]), 3, return_indices=True),
        ),
        (
            F.max_pool1d(ag.tensor(x[0]), 3, 2, 1, return_indices=True),
            TF.max_pool1d(torch.tensor(x[0]), 3, 2, 1, return_indices=True),
        ),
    ]:
        np.testing.assert_array_equal(ours[1].data, theirs[1].numpy())
        np.testing.assert_allclose(ours[0].data, theirs[0].numpy())


@requires_torch
def test_instance_norm_running_statistics_match_torch():
    x = normal(3, 2, 5)
    mean, var = ag.tensor(np.zeros(2)), ag.tensor(np.ones(2))
    torch_mean, torch_var = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    F.instance_norm(ag.tensor(x), mean, var, momentum=0.3)
    TF.instance_norm(torch.tensor(x), torch_mean, torch_var, momentum=0.3)
    np.testing.assert_allclose(mean.data, torch_mean.numpy())
    np.testing.assert_allclose(var.data, torch_var.numpy())
    out = F.instance_norm(ag.tensor(x), mean, var, use_input_stats=False)
    expected = TF.instance_norm(torch.tensor(x), torch_mean, torch_var, use_input_stats=False)
    np.testing.assert_allclose(out.data, expected.numpy())


@requires_torch
def test_one_hot_and_embedding_match_torch():
    index = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(ag.tensor(index)).data, TF.one_hot(torch.tensor(index)).numpy())
    np.testing.assert_array_equal(
        F.one_hot(ag.tensor(index), num_classes=6).data,
        TF.one_hot(torch.tensor(index), num_classes=6).numpy(),
    )
    with pytest.raises(InvalidArgumentError):
        F.one_hot(ag.tensor(index), num_classes=2)


# ---- typed errors for bad arguments (raised before anything is computed) ---------------------------------

ERRORS = [
    (lambda: F.conv1d(ag.tensor(normal(1, 2, 5)), ag.tensor(normal(2, 2, 3)), stride=2, padding="same"),
     InvalidArgumentError, "conv1d: padding='same'"),
    (lambda: F.conv1d(ag.tensor(normal(1, 2, 5)), ag.tensor(normal(2, 2, 3)), padding="full"),
     InvalidArgumentError, "conv1d: padding"),
    (lambda: F.pad(ag.tensor(normal(2, 3)), (1, 1, 1)), InvalidArgumentError, "divisible by 2"),
    (lambda: F.pad(ag.tensor(normal(2, 3)), (1, 1, 1, 1, 1, 1)), InvalidArgumentError, "two times"),
    (lambda: F.pad(ag.tensor(normal(2, 3)), (1, 1), mode="mirror"), InvalidArgumentError, "mode"),
    (lambda: F.pad(ag.tensor(normal(2, 3)), (3, 0), mode="reflect"), ShapeError, "less than"),
    (lambda: F.pad(ag.tensor(normal(2, 3)), (4, 0), mode="circular"), ShapeError, "wrapping"),
    (lambda: F.pad(ag.tensor(normal(4)), (1, 1), mode="replicate"), UnsupportedError, "not supported"),
    (lambda: F.pad(ag.tensor(normal(2, 3)), (1, 1, 1, 1), mode="reflect"), UnsupportedError, "not supported"),
    (
        lambda: F.pad(ag.tensor(normal(2, 3)), (1, 1), mode="reflect", value=1.0),
        InvalidArgumentError,
        "value",
    ),
    (lambda: F.pad(ag.tensor(normal(2, 3)), (-2, -2)), ShapeError, "padded size"),
    (lambda: F.pad(ag.tensor(normal(2, 3)), 1), InvalidArgumentError, "sequence"),
    (lambda: F.glu(ag.tensor(normal(2, 3))), ShapeError, "even"),
    (lambda: F.prelu(ag.tensor(normal(2, 3, 4)), ag.tensor(np.ones(2))), ShapeError, "channel"),
    (lambda: F.softshrink(ag.tensor(normal(2)), -1.0), InvalidArgumentError, "lambda"),
    (lambda: F.hardtanh(ag.tensor(normal(2)), 1.0, -1.0), InvalidArgumentError, "min_val"),
    (lambda: F.celu(ag.tensor(normal(2)), alpha=0.0), InvalidArgumentError, "alpha"),
    (lambda: F.elu(ag.tensor(normal(2)), alpha="1"), InvalidArgumentError, "alpha"),
    (lambda: F.silu(ag.tensor(np.arange(3))), DTypeError, "floating"),
    (lambda: F.conv1d(ag.tensor(normal(1, 3, 5)), ag.tensor(normal(2, 2, 3))), ShapeError, "channels"),
    (lambda: F.conv1d(ag.tensor(normal(3, 5, 1, 1)), ag.tensor(normal(2, 3, 3))), ShapeError, "3-D"),
    (
        lambda: F.conv_transpose2d(ag.tensor(normal(1, 3, 4, 4)), ag.tensor(normal(2, 2, 3, 3))),
        ShapeError,
        "channels",
    ),
    (
        lambda: F.conv_transpose2d(ag.tensor(normal(1, 4, 4, 4)), ag.tensor(normal(4, 2, 3, 3)), groups=3),
        InvalidArgumentError,
        "groups",
    ),
    (
        lambda: F.conv_transpose2d(
            ag.tensor(normal(1, 2, 4, 4)), ag.tensor(normal(2, 2, 3, 3)), stride=2, output_padding=2
        ),
        InvalidArgumentError,
        "output padding",
    ),
    (
        lambda: F.conv_transpose1d(ag.tensor(normal(1, 2, 2)), ag.tensor(normal(2, 2, 1)), padding=2),
        ShapeError,
        "non-positive",
    ),
    (lambda: F.max_pool1d(ag.tensor(normal(1, 2, 4)), 2, padding=2), InvalidArgumentError, "half"),
    (lambda: F.avg_pool1d(ag.tensor(normal(4)), 2), ShapeError, "2-D"),
    (
        lambda: F.adaptive_avg_pool2d(ag.tensor(normal(2, 3, 4)), (1, 2, 3)),
        InvalidArgumentError,
        "output_size",
    ),
    (lambda: F.adaptive_max_pool2d(ag.tensor(normal(2, 3, 4)), 0), InvalidArgumentError, "positive"),
    (lambda: F.adaptive_avg_pool1d(ag.tensor(normal(2, 3, 4, 5)), 2), ShapeError, "3-D"),
    (
        lambda: F.interpolate(ag.tensor(normal(1, 2, 3)), size=4, scale_factor=2),
        InvalidArgumentError,
        "only one",
    ),
    (lambda: F.interpolate(ag.tensor(normal(1, 2, 3)), size=4, mode="bicubic"), UnsupportedError, "bicubic"),
    (
        lambda: F.interpolate(ag.tensor(normal(1, 2, 3)), size=4, align_corners=True),
        InvalidArgumentError,
        "align_corners",
    ),
    (lambda: F.interpolate(ag.tensor(normal(1, 2, 3)), size=4, mode="bilinear"), ShapeError, "4-D"),
    (lambda: F.interpolate(ag.tensor(normal(1, 2, 3, 3)), size=(2, 2, 2)), InvalidArgumentError, "size"),
    (lambda: F.normalize(ag.tensor(normal(2, 3)), dim=2), InvalidArgumentError, "dim"),
    (lambda: F.cosine_similarity(ag.tensor(normal(2, 3)), ag.tensor(normal(2, 4))), ShapeError, "broadcast"),
    (lambda: F.kl_div(ag.tensor(normal(2, 3)), ag.tensor(normal(3, 2))), ShapeError, "shape"),
    (
        lambda: F.kl_div(ag.tensor(normal(2, 3)), ag.tensor(normal(2, 3)), reduction="avg"),
        InvalidArgumentError,
        "reduction",
    ),
    (lambda: F.poisson_nll_loss(ag.tensor(normal(2, 3)), ag.tensor(normal(2))), ShapeError, "shape"),
    (
        lambda: F.cosine_embedding_loss(
            ag.tensor(normal(2, 3)), ag.tensor(normal(2, 3)), ag.tensor(np.ones(3))
        ),
        ShapeError,
        "target",
    ),
    (
        lambda: F.cosine_embedding_loss(
            ag.tensor(normal(2, 3)), ag.tensor(normal(3, 3)), ag.tensor(np.ones(2))
        ),
        ShapeError,
        "same shape",
    ),
    (
        lambda: F.margin_ranking_loss(ag.tensor(normal(3)), ag.tensor(normal(3)), ag.tensor(np.ones(2))),
        ShapeError,
        "target",
    ),
    (lambda: F.group_norm(ag.tensor(normal(2, 4, 3)), 3), InvalidArgumentError, "divisible"),
    (lambda: F.group_norm(ag.tensor(normal(2, 4, 3)), 2, ag.tensor(np.ones(3))), ShapeError, "weight"),
    (lambda: F.instance_norm(ag.tensor(normal(2, 4))), ShapeError, "spatial"),
    (lambda: F.instance_norm(ag.tensor(normal(2, 4, 1))), InvalidArgumentError, "more than 1"),
    (
        lambda: F.instance_norm(ag.tensor(normal(2, 4, 3)), use_input_stats=False),
        InvalidArgumentError,
        "running_mean",
    ),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_typed_errors(index):
    call, error, message = ERRORS[index]
    with pytest.raises(error, match=message):
        call()


@requires_torch
def test_fused_activations_are_one_node_and_stable_at_extremes():
    x = ag.tensor(np.array([-1000.0, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0]), requires_grad=True)
    for ours, theirs in [(F.silu, TF.silu), (F.elu, TF.elu), (F.selu, TF.selu),
                         (lambda t: F.celu(t, 0.5), lambda t: TF.celu(t, 0.5))]:
        out = ours(x)
        assert out.grad_fn.op.name in ("silu", "elu")
        assert out.grad_fn.inputs[0] is x  # a single node straight on the input
        t = torch.tensor(x.data, requires_grad=True)
        expected = theirs(t)
        expected.sum().backward()
        x.grad = None
        out.sum().backward()
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-7, atol=1e-12)
        assert np.isfinite(x.grad.data).all()


TRACED = [
    ("hardtanh", lambda x, y: F.hardtanh(x * 2.0).sum()),
    ("hardsigmoid", lambda x, y: F.hardsigmoid(x * 4.0).sum()),
    ("hardswish", lambda x, y: F.hardswish(x * 4.0).sum()),
    ("softshrink", lambda x, y: F.softshrink(x).sum()),
    ("hardshrink", lambda x, y: F.hardshrink(x).sum()),
    ("threshold", lambda x, y: F.threshold(x, 0.1, 5.0).sum()),
    ("prelu", lambda x, y: F.prelu(x, ag.tensor(np.array([0.2]))).sum()),
    ("kl_div", lambda x, y: F.kl_div(x, F.relu(y), reduction="batchmean")),
    ("poisson_full", lambda x, y: F.poisson_nll_loss(x, F.relu(y) * 3.0, full=True)),
    ("cosine_similarity_eps", lambda x, y: F.cosine_similarity(x, y, eps=2.0).sum()),
    ("pad_reflect", lambda x, y: (F.pad(x, (1, 2), mode="reflect") * 1.5).sum()),
]


@pytest.mark.parametrize("name, fn", TRACED, ids=[case[0] for case in TRACED])
def test_traced_programs_recompute_masks_from_new_inputs(name, fn):
    """Masks and clamps are engine ops, not numpy on `.data`, so autograd_core.trace replays them
    on each new input instead of freezing the traced example's."""
    first, second = normal(3, 4, seed=3), normal(3, 4, seed=4)
    step = ag.trace(lambda x, y: fn(x, y), first, normal(3, 4, seed=5))
    result, _ = step(second, normal(3, 4, seed=6))
    expected = fn(ag.tensor(second), ag.tensor(normal(3, 4, seed=6)))
    np.testing.assert_allclose(np.asarray(result.data if hasattr(result, "data") else result), expected.data)


def test_traced_huber_and_smooth_l1_recompute_their_masks():
    zeros = ag.tensor(np.zeros((1, 4)))
    for fn in (lambda x: F.huber_loss(x, zeros, delta=0.5), lambda x: F.smooth_l1_loss(x, zeros, beta=0.5)):
        step = ag.trace(fn, np.array([[1.0, 0.0, 0.2, -2.0]]))
        result, _ = step(np.array([[0.1, 3.0, -0.3, 0.4]]))
        np.testing.assert_allclose(result.data, fn(ag.tensor(np.array([[0.1, 3.0, -0.3, 0.4]]))).data)
