"""Layers: gradients by gradcheck (float64) and gradgradcheck, forward/backward against torch with
the same parameters, PyTorch's initialisation distributions, running statistics, and input errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core.errors import (DTypeError, IndexOutOfRangeError, InvalidArgumentError, ShapeError)
from nn.utils import functional_call


def leaf(array):
    return ag.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def with_parameters(module, names):
    """f(x, *params) calling `module` with the named parameters replaced: for gradcheck."""
    def f(x, *values):
        return functional_call(module, dict(zip(names, values)), (x,))
    return f


def torch_copy(torch, ours, theirs):
    """Loads our module's state into the torch twin (float64)."""
    theirs.double()
    state = {k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in ours.state_dict().items()}
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return theirs


def compare_with_torch(torch, ours, theirs, x, rng, atol=1e-10):
    """Forward output and the gradients of input and every parameter, for a random cotangent."""
    ours.double()
    torch_copy(torch, ours, theirs)
    xo = leaf(x)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out_ours, out_theirs = ours(xo), theirs(xt)
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), atol=atol, rtol=1e-9)
    cotangent = rng.standard_normal(out_ours.shape)
    (out_ours * ag.tensor(cotangent)).sum().backward()
    (out_theirs * torch.from_numpy(cotangent)).sum().backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), atol=atol, rtol=1e-9)
    theirs_params = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad.data, theirs_params[name].grad.numpy(), atol=atol,
                                   rtol=1e-9, err_msg=name)


# ---- Linear ----------------------------------------------------------------------------------------

def test_linear_shapes_dtype_and_repr():
    layer = nn.Linear(3, 5)
    assert layer.weight.shape == (5, 3) and layer.bias.shape == (5,)
    assert layer.weight.dtype == ag.get_default_dtype()
    assert repr(nn.Linear(3, 5, bias=False)) == "Linear(in_features=3, out_features=5, bias=False)"
    assert nn.Linear(3, 5, dtype="float64").weight.dtype == np.float64
    assert layer(ag.tensor(np.ones((2, 7, 3), dtype=np.float32))).shape == (2, 7, 5)


def test_linear_wrong_width_names_the_layer_and_shapes():
    message = r"^Linear: expected input with 3 features \(last dim\), got shape \(4, 5\)$"
    with pytest.raises(ShapeError, match=message):
        nn.Linear(3, 2)(ag.tensor(np.ones((4, 5))))


def test_linear_init_matches_torch_distribution():
    fan_in = 50
    layer = nn.Linear(fan_in, 400, generator=0)
    bound = 1 / math.sqrt(fan_in)
    for values in (layer.weight.data, layer.bias.data):
        assert values.min() >= -bound and values.max() <= bound
    weights = layer.weight.data.astype(np.float64)
    assert abs(weights.mean()) < 0.01 * bound * 3
    assert abs(weights.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert weights.max() > 0.98 * bound and weights.min() < -0.98 * bound


def test_linear_generator_reproducible_and_default_generator_seeded():
    a, b = nn.Linear(4, 3, generator=7), nn.Linear(4, 3, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    nn.init.manual_seed(11)
    c = nn.Linear(4, 3)
    nn.init.manual_seed(11)
    d = nn.Linear(4, 3)
    np.testing.assert_array_equal(c.weight.data, d.weight.data)
    assert not np.array_equal(nn.Linear(4, 3).weight.data, d.weight.data)


def test_linear_gradcheck(rng):
    layer = nn.Linear(3, 2, dtype=np.float64)
    f = with_parameters(layer, ["weight", "bias"])
    assert ag.gradcheck(f, [rng.standard_normal((4, 3)), layer.weight.data, layer.bias.data])
    inputs = [rng.standard_normal((4, 3)), layer.weight.data, layer.bias.data]
    assert ag.gradgradcheck(lambda x, w, b: ag.tanh(f(x, w, b)), inputs)


def test_linear_matches_torch(rng):
    torch = pytest.importorskip("torch")
    compare_with_torch(torch, nn.Linear(3, 4), torch.nn.Linear(3, 4), rng.standard_normal((5, 3)), rng)


# ---- MLP ---------------------------------------------------------------------------------------------

def test_mlp_structure_and_names():
    model = nn.MLP([2, 8, 8, 3], activation="tanh", output_activation=nn.Softmax, dropout=0.2, generator=0)
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout",
                                                  "Linear", "Softmax"]
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "3.weight", "3.bias",
                                                        "6.weight", "6.bias"]
    assert isinstance(model, nn.Sequential) and model.sizes == (2, 8, 8, 3)
    assert model.eval()(ag.tensor(np.ones((4, 2), dtype=np.float32))).shape == (4, 3)


def test_mlp_activation_instances_are_copied_and_seed_reproduces():
    activation = nn.LeakyReLU(0.3)
    model = nn.MLP([2, 4, 4, 1], activation=activation)
    assert model[1] is not model[3] and model[1].negative_slope == 0.3
    a, b = nn.MLP([2, 4, 1], generator=3), nn.MLP([2, 4, 1], generator=3)
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert not np.array_equal(a[0].weight.data[:1, :1], a[2].weight.data[:1, :1])


def test_mlp_state_dict_loads_into_torch_sequential(rng):
    torch = pytest.importorskip("torch")
    ours = nn.MLP([3, 5, 2], dtype=np.float64)
    theirs = torch_copy(torch, ours, torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(),
                                                         torch.nn.Linear(5, 2)))
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(ours(ag.tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy())


def test_mlp_errors():
    with pytest.raises(InvalidArgumentError):
        nn.MLP([3])
    with pytest.raises(InvalidArgumentError, match="unknown activation 'swishy'"):
        nn.MLP([3, 2, 1], activation="swishy")
    with pytest.raises(InvalidArgumentError):
        nn.MLP([3, 0, 1])


# ---- Dropout -------------------------------------------------------------------------------------------

def test_dropout_eval_is_identity_and_train_scales(rng):
    x = ag.tensor(np.ones((200, 50)))
    layer = nn.Dropout(0.25, generator=0)
    out = layer(x).data
    assert set(np.unique(out)) <= {0.0, 1 / 0.75}
    assert abs((out == 0).mean() - 0.25) < 0.02
    assert layer.eval()(x) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).data.any()


def test_dropout_generator_makes_masks_reproducible():
    x = ag.tensor(np.ones(100))
    a, b = nn.Dropout(0.5, generator=3)(x), nn.Dropout(0.5, generator=3)(x)
    np.testing.assert_array_equal(a.data, b.data)
    nn.init.manual_seed(5)
    c = nn.Dropout(0.5)(x)
    nn.init.manual_seed(5)
    np.testing.assert_array_equal(c.data, nn.Dropout(0.5)(x).data)


def test_dropout_gradcheck_with_a_fixed_mask(rng):
    fixed_mask = lambda x: F.dropout(x, 0.4, generator=np.random.default_rng(1))
    assert ag.gradcheck(fixed_mask, [rng.standard_normal((5, 4))])
    x = leaf(np.ones(50))
    out = F.dropout(x, 0.5, generator=2)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, out.data)


def test_dropout_probability_errors():
    with pytest.raises(InvalidArgumentError, match="between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(InvalidArgumentError):
        F.dropout(ag.tensor(np.ones(2)), -0.1)


# ---- BatchNorm ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batchnorm_train_mode_gradcheck(rng, shape):
    layer = nn.BatchNorm1d(3, dtype=np.float64)
    f = with_parameters(layer, ["weight", "bias"])
    inputs = [rng.standard_normal(shape), rng.standard_normal(3), rng.standard_normal(3)]
    assert ag.gradcheck(f, inputs)
    assert ag.gradgradcheck(f, inputs)


@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_batchnorm_running_stats_match_torch_over_several_steps(rng, momentum, shape):
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm1d(3, momentum=momentum, dtype=np.float64)
    ours.weight.data[...] = rng.standard_normal(3)
    ours.bias.data[...] = rng.standard_normal(3)
    theirs = torch_copy(torch, ours, torch.nn.BatchNorm1d(3, momentum=momentum))
    for _ in range(5):
        x = rng.standard_normal(shape) * 3 + 1
        np.testing.assert_allclose(ours(ag.tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy(),
                                   atol=1e-10)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), atol=1e-12, err_msg=name)
    assert int(ours.num_batches_tracked.data) == 5
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(ag.tensor(x)).data, expected, atol=1e-10)


def test_batchnorm_eval_uses_running_stats_and_grads_match_torch(rng):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4)
    ours.running_mean.data[...] = rng.standard_normal(4)
    ours.running_var.data[...] = rng.random(4) + 0.5
    ours.eval()
    theirs.eval()
    compare_with_torch(torch, ours, theirs, rng.standard_normal((5, 4)), rng)
    ours.train()
    theirs.train()
    compare_with_torch(torch, ours, theirs, rng.standard_normal((5, 4, 2)), rng)


def test_batchnorm_without_running_stats_or_affine(rng):
    layer = nn.BatchNorm1d(2, affine=False, track_running_stats=False)
    assert list(layer.state_dict()) == [] and list(layer.parameters()) == []
    out = layer.eval()(ag.tensor(rng.standard_normal((10, 2)) * 5 + 3)).data
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(out.var(axis=0), 1, atol=1e-3)


def test_batchnorm2d_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 4, 4))
    compare_with_torch(torch, nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3), x, rng)


def test_batchnorm_errors_leave_state_untouched():
    layer = nn.BatchNorm1d(3)
    message = r"BatchNorm1d: expected input with 3 channels \(dim 1\), got shape \(4, 5\)"
    with pytest.raises(ShapeError, match=message):
        layer(ag.tensor(np.ones((4, 5))))
    with pytest.raises(ShapeError, match="2D"):
        layer(ag.tensor(np.ones((2, 3, 4, 4))))
    with pytest.raises(InvalidArgumentError, match="more than 1 value per channel"):
        layer(ag.tensor(np.ones((1, 3))))
    assert int(layer.num_batches_tracked.data) == 0


# ---- LayerNorm -----------------------------------------------------------------------------------------

def test_layernorm_gradcheck_and_gradgradcheck(rng):
    layer = nn.LayerNorm((3, 4), dtype=np.float64)
    f = with_parameters(layer, ["weight", "bias"])
    inputs = [rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))]
    assert ag.gradcheck(f, inputs)
    assert ag.gradgradcheck(f, inputs)


def test_layernorm_matches_torch(rng):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.LayerNorm(5), torch.nn.LayerNorm(5)
    ours.weight.data[...] = rng.standard_normal(5)
    compare_with_torch(torch, ours, theirs, rng.standard_normal((3, 2, 5)), rng)
    assert [n for n, _ in nn.LayerNorm(5, bias=False).named_parameters()] == ["weight"]


def test_layernorm_shape_error():
    message = r"LayerNorm: expected input with trailing shape \(4,\), got shape \(2, 3\)"
    with pytest.raises(ShapeError, match=message):
        nn.LayerNorm(4)(ag.tensor(np.ones((2, 3))))


# ---- Embedding -------------------------------------------------------------------------------------------

def test_embedding_init_is_standard_normal():
    weights = nn.Embedding(500, 40, generator=0).weight.data.astype(np.float64)
    assert abs(weights.mean()) < 0.02 and abs(weights.std() - 1) < 0.02


def test_embedding_repeated_indices_accumulate(rng):
    layer = nn.Embedding(5, 3, dtype=np.float64)
    indices = np.array([[1, 1, 4], [1, 0, 4]])
    out = layer(indices)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.data[0, 1], layer.weight.data[1])
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.data[:, 0], [1, 3, 0, 0, 2])
    f = lambda w: functional_call(layer, {"weight": w}, (indices,)) ** 2
    assert ag.gradcheck(f, [rng.standard_normal((5, 3))])
    assert ag.gradgradcheck(f, [rng.standard_normal((5, 3))])


def test_embedding_padding_idx_gets_no_gradient_and_matches_torch(rng):
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(6, 2, padding_idx=2, dtype=np.float64)
    assert not ours.weight.data[2].any()
    theirs = torch_copy(torch, ours, torch.nn.Embedding(6, 2, padding_idx=2))
    indices = np.array([[2, 0, 2, 5], [5, 5, 1, 2]])
    out_ours, out_theirs = ours(indices), theirs(torch.from_numpy(indices))
    np.testing.assert_array_equal(out_ours.data, out_theirs.detach().numpy())
    cotangent = rng.standard_normal(out_ours.shape)
    (out_ours * ag.tensor(cotangent)).sum().backward()
    (out_theirs * torch.from_numpy(cotangent)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy())
    assert repr(ours) == repr(torch.nn.Embedding(6, 2, padding_idx=2))


def test_embedding_max_norm_renormalises_used_rows_like_torch(rng):
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(5, 3, max_norm=1.0, dtype=np.float64)
    ours.weight.data[...] = rng.standard_normal((5, 3)) * 3
    theirs = torch_copy(torch, ours, torch.nn.Embedding(5, 3, max_norm=1.0))
    indices = np.array([0, 2, 2])
    np.testing.assert_allclose(ours(indices).data, theirs(torch.from_numpy(indices)).detach().numpy())
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy())
    assert np.linalg.norm(ours.weight.data[1]) > 1


def test_embedding_errors_and_from_pretrained():
    layer = nn.Embedding(4, 2)
    with pytest.raises(IndexOutOfRangeError, match="index 4 is out of range for 4 embeddings"):
        layer(np.array([0, 4]))
    with pytest.raises(IndexError, match="index -1"):
        layer(np.array([-1]))
    with pytest.raises(DTypeError, match="integer"):
        layer(np.array([0.0, 1.0]))
    frozen = nn.Embedding.from_pretrained(np.eye(3))
    assert not frozen.weight.requires_grad
    np.testing.assert_array_equal(frozen(np.array([2])).data, [[0, 0, 1]])


# ---- Conv2d ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [dict(), dict(stride=2, padding=1), dict(stride=(2, 1), padding=(0, 2)),
                                     dict(dilation=2, padding=1), dict(padding="same")])
def test_conv2d_gradcheck(rng, options):
    layer = nn.Conv2d(2, 3, (3, 2), dtype=np.float64, **options)
    f = with_parameters(layer, ["weight", "bias"])
    assert ag.gradcheck(f, [rng.standard_normal((2, 2, 6, 5)), layer.weight.data, layer.bias.data])


def test_conv2d_gradgradcheck(rng):
    layer = nn.Conv2d(2, 2, 3, stride=2, padding=1, dtype=np.float64)
    f = with_parameters(layer, ["weight", "bias"])
    assert ag.gradgradcheck(f, [rng.standard_normal((1, 2, 5, 4)), layer.weight.data, layer.bias.data])


@pytest.mark.parametrize("options", [dict(kernel_size=3), dict(kernel_size=3, stride=2, padding=1),
                                     dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1)),
                                     dict(kernel_size=3, padding="same", bias=False),
                                     dict(kernel_size=2, groups=2)])
def test_conv2d_matches_torch(rng, options):
    torch = pytest.importorskip("torch")
    compare_with_torch(torch, nn.Conv2d(4, 6, **options), torch.nn.Conv2d(4, 6, **options),
                       rng.standard_normal((2, 4, 7, 6)), rng)


def test_conv2d_init_bounds_and_unbatched_input():
    layer = nn.Conv2d(3, 8, 3, generator=0)
    bound = 1 / math.sqrt(3 * 3 * 3)
    assert layer.weight.shape == (8, 3, 3, 3)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.9 * bound
    assert layer(ag.tensor(np.ones((3, 5, 5), dtype=np.float32))).shape == (8, 3, 3)


def test_conv2d_errors():
    layer = nn.Conv2d(3, 4, 3)
    with pytest.raises(ShapeError, match=r"Conv2d: expected \(N, 3, H, W\).*got shape \(2, 4, 8, 8\)"):
        layer(ag.tensor(np.ones((2, 4, 8, 8))))
    with pytest.raises(ShapeError, match="too small"):
        layer(ag.tensor(np.ones((1, 3, 2, 2))))
    with pytest.raises(InvalidArgumentError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(InvalidArgumentError, match="strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(InvalidArgumentError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")


# ---- pooling, unfold/fold, Flatten, Residual ------------------------------------------------------------

@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                     dict(kernel_size=2, stride=1, dilation=2),
                                     dict(kernel_size=3, stride=2, ceil_mode=True)])
def test_max_pool_gradcheck_and_torch(rng, options):
    x = rng.standard_normal((2, 3, 7, 6))
    assert ag.gradcheck(lambda x: F.max_pool2d(x, **options), [x])
    torch = pytest.importorskip("torch")
    compare_with_torch(torch, nn.MaxPool2d(**options), torch.nn.MaxPool2d(**options), x, rng)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum_like_torch():
    torch = pytest.importorskip("torch")
    x = np.zeros((1, 1, 4, 4))
    compare_with_torch(torch, nn.MaxPool2d(2), torch.nn.MaxPool2d(2), x, np.random.default_rng(0))


def test_max_pool_return_indices_match_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 2, 7, 7))
    _, ours = F.max_pool2d(ag.tensor(x), 3, 2, 1, return_indices=True)
    _, theirs = torch.nn.functional.max_pool2d(torch.from_numpy(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                     dict(kernel_size=3, stride=1, padding=1, count_include_pad=False),
                                     dict(kernel_size=2, divisor_override=3)])
def test_avg_pool_gradcheck_and_torch(rng, options):
    x = rng.standard_normal((2, 3, 6, 5))
    assert ag.gradcheck(lambda x: F.avg_pool2d(x, **options), [x])
    torch = pytest.importorskip("torch")
    compare_with_torch(torch, nn.AvgPool2d(**options), torch.nn.AvgPool2d(**options), x, rng)


def test_pooling_gradgradcheck_and_defaults(rng):
    x = rng.standard_normal((1, 2, 5, 5))
    assert ag.gradgradcheck(lambda x: F.max_pool2d(x, 2, 1), [x])
    assert ag.gradgradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1), [x])
    assert nn.MaxPool2d(3).stride == 3 and nn.AvgPool2d((2, 3)).stride == (2, 3)
    assert nn.MaxPool2d(2)(ag.tensor(x)).shape == (1, 2, 2, 2)
    with pytest.raises(InvalidArgumentError, match="at most half"):
        nn.MaxPool2d(2, padding=2)


def test_unfold_and_fold_match_torch_and_are_adjoint(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 6, 5))
    options = dict(dilation=(1, 2), padding=1, stride=(2, 1))
    ours = F.unfold(ag.tensor(x), (2, 3), **options)
    theirs = torch.nn.functional.unfold(torch.from_numpy(x), (2, 3), **options)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    cols = rng.standard_normal(ours.shape)
    folded = F.fold(ag.tensor(cols), (6, 5), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    np.testing.assert_allclose(np.sum(ours.data * cols), np.sum(x * folded.data))
    assert ag.gradgradcheck(lambda c: F.fold(c, (4, 4), 2) ** 2, [rng.standard_normal((1, 8, 9))])


def test_flatten_and_residual(rng):
    x = ag.tensor(rng.standard_normal((2, 3, 4, 5)))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    block = nn.Residual(nn.Linear(5, 5, dtype=np.float64))
    y = ag.tensor(rng.standard_normal((3, 5)))
    np.testing.assert_allclose(block(y).data, y.data + block.module(y).data)
    assert [n for n, _ in block.named_parameters()] == ["module.weight", "module.bias"]
    with pytest.raises(ShapeError, match="Residual"):
        nn.Residual(nn.Linear(5, 2))(y)


# ---- activations ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, args", [("ReLU", ()), ("LeakyReLU", (0.2,)), ("Tanh", ()), ("Sigmoid", ()),
                                        ("GELU", ()), ("GELU", ("tanh",)), ("Softplus", (2.0, 3.0)),
                                        ("Softmax", (0,)), ("LogSoftmax", (1,)), ("Identity", ())])
def test_activation_modules_match_torch(rng, name, args):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    compare_with_torch(torch, ours, theirs, rng.standard_normal((4, 5)) * 3, rng)


def test_softmax_dim_none_means_last_axis(rng):
    x = ag.tensor(rng.standard_normal((2, 3, 4)))
    np.testing.assert_allclose(nn.Softmax()(x).data.sum(axis=-1), 1.0)
    np.testing.assert_allclose(F.log_softmax(x).data, F.log_softmax(x, dim=-1).data)


def test_small_cnn_end_to_end_matches_torch(rng):
    torch = pytest.importorskip("torch")

    def build(m):
        return m.Sequential(m.Conv2d(1, 4, 3, padding=1), m.BatchNorm2d(4), m.ReLU(), m.MaxPool2d(2),
                            m.Conv2d(4, 4, 3, stride=2, padding=1), m.GELU(), m.AvgPool2d(2), m.Flatten(),
                            m.Linear(4, 3), m.LayerNorm(3))

    compare_with_torch(torch, build(nn), build(torch.nn), rng.standard_normal((3, 1, 8, 8)), rng, atol=1e-9)
