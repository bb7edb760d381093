"""nn10 (issue 10): the new nn modules against torch.nn, table-driven.

Each case builds the module with one expression run on both `nn` and `torch.nn` (so constructor names,
argument names and defaults are torch's). torch's randomly initialised float64 weights are copied into
ours with load_state_dict(strict=True); forward values and the gradients of the input and of every
parameter are compared; our state_dict loads back into a fresh torch module with strict=True (same keys,
shapes and buffers); reprs equal torch's; gradcheck and gradgradcheck run through the parameters.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.errors import InvalidArgumentError, ShapeError
from nn.utils import functional_call

try:  # torch is the oracle only: without it the comparisons skip, gradcheck and errors still run
    import torch
except ImportError:  # pragma: no cover
    torch = None
requires_torch = pytest.mark.skipif(torch is None, reason="torch (the test oracle) is not installed")


def normal(*shape: int, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape) * scale


SIGNS = np.array([1, -1, 1, -1])

# (id, build(namespace), floating inputs, extra constant call arguments built with T)
MODULES = [
    ("SiLU", lambda m: m.SiLU(), [normal(2, 5, scale=3)]),
    ("SiLU_inplace", lambda m: m.SiLU(inplace=True), [normal(2, 5, scale=3)]),
    ("ELU", lambda m: m.ELU(alpha=0.5, inplace=True), [normal(2, 5, scale=3)]),
    ("SELU", lambda m: m.SELU(), [normal(2, 5, scale=3)]),
    ("CELU", lambda m: m.CELU(2.0), [normal(2, 5, scale=3)]),
    ("ReLU6", lambda m: m.ReLU6(inplace=True), [normal(2, 5, scale=5)]),
    ("Hardtanh", lambda m: m.Hardtanh(), [normal(2, 5, scale=2)]),
    ("Hardtanh_range", lambda m: m.Hardtanh(-2.0, 0.5), [normal(2, 5, scale=2)]),
    ("Hardsigmoid", lambda m: m.Hardsigmoid(), [normal(2, 5, scale=4)]),
    ("Hardswish", lambda m: m.Hardswish(), [normal(2, 5, scale=4)]),
    ("Mish", lambda m: m.Mish(inplace=True), [normal(2, 5, scale=3)]),
    ("Softsign", lambda m: m.Softsign(), [normal(2, 5, scale=3)]),
    ("LogSigmoid", lambda m: m.LogSigmoid(), [normal(2, 5, scale=3)]),
    ("Softmin", lambda m: m.Softmin(dim=1), [normal(2, 5)]),
    ("GLU", lambda m: m.GLU(), [normal(2, 6)]),
    ("GLU_dim", lambda m: m.GLU(dim=1), [normal(2, 6, 3)]),
    ("PReLU", lambda m: m.PReLU(), [normal(2, 3, 4)]),
    ("PReLU_channels", lambda m: m.PReLU(num_parameters=3, init=0.1), [normal(2, 3, 4)]),
    ("Threshold", lambda m: m.Threshold(0.1, 20.0), [normal(2, 5)]),
    ("Tanhshrink", lambda m: m.Tanhshrink(), [normal(2, 5)]),
    ("Softshrink", lambda m: m.Softshrink(), [normal(2, 5)]),
    ("Hardshrink", lambda m: m.Hardshrink(0.3), [normal(2, 5)]),
    ("Conv1d", lambda m: m.Conv1d(3, 4, 3), [normal(2, 3, 6)]),
    (
        "Conv1d_options",
        lambda m: m.Conv1d(4, 6, 2, stride=2, padding=1, dilation=2, groups=2, bias=False),
        [normal(2, 4, 7)],
    ),
    ("Conv1d_same", lambda m: m.Conv1d(2, 3, 4, padding="same"), [normal(1, 2, 5)]),
    ("Conv1d_valid_unbatched", lambda m: m.Conv1d(2, 3, 2, padding="valid"), [normal(2, 5)]),
    *[
        (
            f"Conv1d_{mode}",
            (lambda mode: lambda m: m.Conv1d(2, 3, 3, padding=2, padding_mode=mode))(mode),
            [normal(1, 2, 5)],
        )
        for mode in ("reflect", "replicate", "circular")
    ],
    *[
        (
            f"Conv2d_{mode}",
            (lambda mode: lambda m: m.Conv2d(2, 2, (2, 3), padding=(1, 2), padding_mode=mode))(mode),
            [normal(1, 2, 4, 5)],
        )
        for mode in ("reflect", "replicate", "circular")
    ],
    (
        "Conv2d_same_reflect",
        lambda m: m.Conv2d(2, 2, (2, 3), padding="same", padding_mode="reflect"),
        [normal(1, 2, 4, 5)],
    ),
    (
        "Conv2d_groups_dilation",
        lambda m: m.Conv2d(4, 2, 3, padding=2, dilation=2, groups=2),
        [normal(1, 4, 5, 5)],
    ),
    ("ConvTranspose1d", lambda m: m.ConvTranspose1d(3, 2, 3), [normal(2, 3, 4)]),
    (
        "ConvTranspose1d_options",
        lambda m: m.ConvTranspose1d(
            4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=2
        ),
        [normal(1, 4, 4)],
    ),
    ("ConvTranspose2d", lambda m: m.ConvTranspose2d(2, 3, (2, 3)), [normal(1, 2, 3, 3)]),
    (
        "ConvTranspose2d_options",
        lambda m: m.ConvTranspose2d(4, 2, 3, stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=2),
        [normal(2, 4, 3, 2)],
    ),
    ("ConvTranspose2d_unbatched", lambda m: m.ConvTranspose2d(2, 2, 2, stride=2), [normal(2, 2, 3)]),
    ("MaxPool1d", lambda m: m.MaxPool1d(3), [normal(2, 3, 7)]),
    (
        "MaxPool1d_options",
        lambda m: m.MaxPool1d(3, stride=2, padding=1, dilation=1, ceil_mode=True),
        [normal(2, 2, 8)],
    ),
    ("AvgPool1d", lambda m: m.AvgPool1d(3), [normal(2, 3, 7)]),
    (
        "AvgPool1d_options",
        lambda m: m.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False),
        [normal(2, 2, 8)],
    ),
    ("AvgPool2d_ceil", lambda m: m.AvgPool2d(3, 2, 1, ceil_mode=True), [normal(1, 2, 6, 5)]),
    ("AdaptiveAvgPool1d", lambda m: m.AdaptiveAvgPool1d(3), [normal(2, 3, 7)]),
    ("AdaptiveAvgPool2d", lambda m: m.AdaptiveAvgPool2d((2, None)), [normal(2, 2, 5, 3)]),
    ("AdaptiveMaxPool1d", lambda m: m.AdaptiveMaxPool1d(2), [normal(2, 3, 7)]),
    ("AdaptiveMaxPool2d", lambda m: m.AdaptiveMaxPool2d(3), [normal(2, 2, 5, 7)]),
    ("Upsample_nearest", lambda m: m.Upsample(scale_factor=2), [normal(1, 2, 3, 2)]),
    ("Upsample_size", lambda m: m.Upsample(size=5), [normal(1, 2, 3)]),
    ("Upsample_linear", lambda m: m.Upsample(size=5, mode="linear"), [normal(1, 2, 3)]),
    (
        "Upsample_bilinear",
        lambda m: m.Upsample(scale_factor=(1.5, 2), mode="bilinear", align_corners=True),
        [normal(1, 2, 3, 2)],
    ),
    ("GroupNorm", lambda m: m.GroupNorm(2, 4), [normal(2, 4, 3)]),
    ("GroupNorm_no_affine", lambda m: m.GroupNorm(3, 6, eps=1e-3, affine=False), [normal(2, 6, 2, 2)]),
    ("GroupNorm_no_bias", lambda m: m.GroupNorm(1, 3, bias=False), [normal(2, 3, 4)]),
    ("InstanceNorm1d", lambda m: m.InstanceNorm1d(3), [normal(2, 3, 5)]),
    ("InstanceNorm1d_unbatched", lambda m: m.InstanceNorm1d(3, affine=True), [normal(3, 5)]),
    (
        "InstanceNorm2d",
        lambda m: m.InstanceNorm2d(2, affine=True, track_running_stats=True),
        [normal(2, 2, 3, 3)],
    ),
    ("InstanceNorm2d_default", lambda m: m.InstanceNorm2d(2), [normal(2, 2, 3, 3)]),
    ("Unflatten", lambda m: m.Unflatten(1, (2, 3)), [normal(2, 6, 2)]),
    ("Unflatten_infer", lambda m: m.Unflatten(-1, (2, -1)), [normal(2, 6)]),
]


def _build(build):
    torch.manual_seed(0)
    theirs = build(torch.nn).double()
    ours = build(nn)
    ours.double()
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}, strict=True)
    return ours, theirs


@requires_torch
@pytest.mark.parametrize("name, build, inputs", MODULES, ids=[case[0] for case in MODULES])
def test_module_matches_torch_with_copied_weights(name, build, inputs):
    ours, theirs = _build(build)
    x = ag.tensor(inputs[0], requires_grad=True)
    tx = torch.tensor(inputs[0], requires_grad=True)
    out, expected = ours(x), theirs(tx.clone())  # a non-leaf copy: torch's inplace=True needs one
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    cotangent = np.random.default_rng(5).standard_normal(out.shape)
    out.backward(ag.tensor(cotangent))
    expected.backward(torch.tensor(cotangent))
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-7, atol=1e-11)
    torch_parameters = dict(theirs.named_parameters())
    ours_parameters = dict(ours.named_parameters())
    assert sorted(ours_parameters) == sorted(torch_parameters)
    for key, parameter in ours_parameters.items():
        np.testing.assert_allclose(
            parameter.grad.data, torch_parameters[key].grad.numpy(), rtol=1e-9, atol=1e-11
        )
    assert repr(ours) == repr(theirs)


@requires_torch
@pytest.mark.parametrize("name, build, inputs", MODULES, ids=[case[0] for case in MODULES])
def test_state_dict_loads_into_torch_strictly(name, build, inputs):
    ours = build(nn)
    ours.double()
    fresh = build(torch.nn).double()
    state = ours.state_dict()
    assert list(state) == list(fresh.state_dict())
    fresh.load_state_dict(
        {k: torch.from_numpy(np.array(v.data if hasattr(v, "data") else v)) for k, v in state.items()},
        strict=True,
    )
    for key, value in fresh.state_dict().items():
        np.testing.assert_array_equal(
            value.numpy(), np.asarray(state[key].data if hasattr(state[key], "data") else state[key])
        )


PARAMETER_CASES = [
    case
    for case in MODULES
    if case[0]
    in {
        "PReLU_channels",
        "Conv1d_options",
        "Conv1d_reflect",
        "Conv2d_circular",
        "ConvTranspose1d_options",
        "ConvTranspose2d",
        "GroupNorm",
        "InstanceNorm1d_unbatched",
    }
]


@pytest.mark.parametrize("name, build, inputs", PARAMETER_CASES, ids=[case[0] for case in PARAMETER_CASES])
def test_module_gradcheck_through_parameters(name, build, inputs):
    ours = build(nn)
    ours.double()
    names = [key for key, _ in ours.named_parameters()]
    values = [parameter.data for _, parameter in ours.named_parameters()]

    def f(x, *params):
        return functional_call(ours, dict(zip(names, params)), (x,))

    assert ag.gradcheck(f, [inputs[0], *values])
    assert ag.gradgradcheck(f, [inputs[0], *values])


@requires_torch
def test_instance_norm_running_statistics_and_eval_match_torch():
    ours, theirs = _build(lambda m: m.InstanceNorm1d(2, momentum=0.2, track_running_stats=True))
    for seed in range(3):
        x = normal(3, 2, 4, seed=seed)
        ours(ag.tensor(x))
        theirs(torch.tensor(x))
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(np.asarray(ours.state_dict()[key].data), value.numpy())
    ours.eval()
    theirs.eval()
    x = normal(3, 2, 4, seed=9)
    np.testing.assert_allclose(ours(ag.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy())


@requires_torch
def test_conv_transpose_output_size_matches_torch():
    ours, theirs = _build(lambda m: m.ConvTranspose2d(2, 3, 3, stride=2, padding=1))
    x = normal(1, 2, 3, 3)
    for size in [(5, 5), (6, 6), (1, 3, 6, 5)]:
        np.testing.assert_allclose(
            ours(ag.tensor(x), output_size=size).data,
            theirs(torch.tensor(x), output_size=size).detach().numpy(),
        )
    with pytest.raises(ShapeError, match="output size"):
        ours(ag.tensor(x), output_size=(8, 8))


@requires_torch
def test_pool_modules_return_indices_like_torch():
    x = normal(2, 3, 5, 7)
    for build, data in [
        (lambda m: m.AdaptiveMaxPool2d((2, 3), return_indices=True), x),
        (lambda m: m.AdaptiveMaxPool1d(3, return_indices=True), x[0]),
        (lambda m: m.MaxPool1d(3, 2, 1, return_indices=True), x[0]),
    ]:
        (out, index), (expected, expected_index) = (
            build(nn)(ag.tensor(data)),
            build(torch.nn)(torch.tensor(data)),
        )
        np.testing.assert_array_equal(index.data, expected_index.numpy())
        np.testing.assert_allclose(out.data, expected.numpy())


LOSS_MODULES = [
    (
        "KLDivLoss",
        lambda m: m.KLDivLoss(reduction="batchmean"),
        lambda T: [T(np.log(np.full((2, 3), 1 / 3))), T(np.array([[0.2, 0.3, 0.5], [0.1, 0.8, 0.1]]))],
    ),
    (
        "KLDivLoss_log_target",
        lambda m: m.KLDivLoss(reduction="sum", log_target=True),
        lambda T: [T(normal(2, 3)), T(normal(2, 3, seed=1))],
    ),
    (
        "SmoothL1Loss",
        lambda m: m.SmoothL1Loss(beta=0.5),
        lambda T: [T(normal(3, 4)), T(normal(3, 4, seed=1))],
    ),
    ("HuberLoss", lambda m: m.HuberLoss(delta=0.5), lambda T: [T(normal(3, 4)), T(normal(3, 4, seed=1))]),
    (
        "PoissonNLLLoss",
        lambda m: m.PoissonNLLLoss(),
        lambda T: [T(normal(3, 4)), T(np.abs(normal(3, 4, seed=1)))],
    ),
    (
        "PoissonNLLLoss_rates",
        lambda m: m.PoissonNLLLoss(log_input=False, full=True, reduction="none"),
        lambda T: [T(np.abs(normal(3, 4)) + 0.1), T(np.round(np.abs(normal(3, 4, seed=1)) * 3))],
    ),
    (
        "CosineEmbeddingLoss",
        lambda m: m.CosineEmbeddingLoss(margin=0.1),
        lambda T: [T(normal(4, 3)), T(normal(4, 3, seed=1)), T(SIGNS)],
    ),
    (
        "MarginRankingLoss",
        lambda m: m.MarginRankingLoss(margin=0.2, reduction="sum"),
        lambda T: [T(normal(4)), T(normal(4, seed=1)), T(SIGNS.astype(float))],
    ),
]


@requires_torch
@pytest.mark.parametrize("name, build, arguments", LOSS_MODULES, ids=[case[0] for case in LOSS_MODULES])
def test_loss_modules_match_torch(name, build, arguments):
    ours = build(nn)(*arguments(ag.tensor))
    theirs = build(torch.nn)(*arguments(torch.tensor))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-10, atol=1e-12)
    assert repr(build(nn)) == repr(build(torch.nn))
    assert build(nn).reduction == build(torch.nn).reduction


def test_module_argument_errors():
    with pytest.raises(InvalidArgumentError, match="groups"):
        nn.Conv1d(3, 4, 3, groups=2)
    with pytest.raises(InvalidArgumentError, match="padding_mode"):
        nn.Conv1d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(InvalidArgumentError, match="zeros"):
        nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(InvalidArgumentError, match="strided"):
        nn.Conv1d(2, 2, 3, stride=2, padding="same")
    with pytest.raises(ShapeError, match="channels"):
        nn.Conv1d(3, 4, 3)(ag.tensor(normal(1, 2, 5)))
    with pytest.raises(ShapeError, match="channels"):
        nn.ConvTranspose2d(3, 4, 3)(ag.tensor(normal(1, 2, 5, 5)))
    with pytest.raises(InvalidArgumentError, match="divisible"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ShapeError, match="num_features"):
        nn.InstanceNorm1d(3, affine=True)(ag.tensor(normal(2, 4, 5)))
    with pytest.raises(ShapeError, match="2D or 3D"):
        nn.InstanceNorm1d(3)(ag.tensor(normal(2, 3, 4, 5)))
    with pytest.raises(InvalidArgumentError, match="num_parameters"):
        nn.PReLU(0)
    with pytest.raises(ShapeError, match="channel"):
        nn.PReLU(3)(ag.tensor(normal(2, 4)))
    with pytest.raises(InvalidArgumentError, match="max_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ShapeError, match="multiply"):
        nn.Unflatten(1, (4, 2))(ag.tensor(normal(2, 6)))
    with pytest.raises(InvalidArgumentError, match="reduction"):
        nn.KLDivLoss(reduction="avg")


def test_prelu_reset_parameters_and_dtype():
    layer = nn.PReLU(2, init=0.4, dtype=np.float32)
    assert layer.weight.dtype == np.float32 and layer.weight.shape == (2,)
    layer.weight.data[:] = 1.0
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.weight.data, np.full(2, 0.4, dtype=np.float32))


def test_mlp_accepts_the_new_activation_names():
    model = nn.MLP([2, 3, 1], activation="silu", output_activation="hardsigmoid")
    assert [type(m).__name__ for m in model] == ["Linear", "SiLU", "Linear", "Hardsigmoid"]


def test_new_modules_save_and_load(tmp_path):
    model = nn.Sequential(nn.Conv1d(2, 3, 3), nn.PReLU(3), nn.GroupNorm(1, 3), nn.ConvTranspose1d(3, 2, 2),
                          nn.InstanceNorm1d(2, affine=True, track_running_stats=True))
    nn.save(model.state_dict(), tmp_path / "model.npz")
    twin = nn.Sequential(nn.Conv1d(2, 3, 3), nn.PReLU(3), nn.GroupNorm(1, 3), nn.ConvTranspose1d(3, 2, 2),
                         nn.InstanceNorm1d(2, affine=True, track_running_stats=True))
    twin.load_state_dict(nn.load(tmp_path / "model.npz"))
    x = ag.tensor(normal(2, 2, 6).astype(np.float32))
    np.testing.assert_array_equal(model.eval()(x).data, twin.eval()(x).data)
