"""nn.init: gains and fans as PyTorch computes them, the distributions each function draws from
(bounds, mean and std checked statistically), in-place filling under no_grad, and generators."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.errors import DTypeError, InvalidArgumentError


def parameter(*shape):
    return nn.Parameter(np.zeros(shape))


@pytest.mark.parametrize("nonlinearity, param, expected", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)), ("selu", None, 0.75)])
def test_calculate_gain(nonlinearity, param, expected):
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(expected)
    torch = pytest.importorskip("torch")
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param))


def test_calculate_gain_rejects_unknown():
    with pytest.raises(InvalidArgumentError, match="swish"):
        nn.init.calculate_gain("swish")


def test_fan_in_and_fan_out():
    assert nn.init._calculate_fan_in_and_fan_out(parameter(5, 3)) == (3, 5)
    assert nn.init._calculate_fan_in_and_fan_out(parameter(8, 4, 3, 2)) == (24, 48)
    with pytest.raises(InvalidArgumentError, match="fewer than 2 dimensions"):
        nn.init._calculate_fan_in_and_fan_out(parameter(5))


def _uniform_checks(values, low, high):
    assert values.min() >= low and values.max() <= high
    width = high - low
    assert abs(values.mean() - (low + high) / 2) < 0.02 * width
    assert abs(values.std() - width / math.sqrt(12)) < 0.02 * width


def _normal_checks(values, mean, std):
    assert abs(values.mean() - mean) < 0.03 * std + 1e-12
    assert abs(values.std() - std) < 0.03 * std


def test_uniform_and_normal_fill_in_place_and_return_the_tensor():
    p = parameter(200, 100)
    data = p.data
    assert nn.init.uniform_(p, -2.0, 3.0, generator=0) is p
    assert p.data is data
    _uniform_checks(p.data, -2.0, 3.0)
    nn.init.normal_(p, 1.5, 0.5, generator=1)
    _normal_checks(p.data, 1.5, 0.5)
    assert p.requires_grad and p.grad_fn is None


def test_constant_zeros_ones_eye():
    p = parameter(3, 4)
    np.testing.assert_array_equal(nn.init.constant_(p, 2.5).data, 2.5)
    np.testing.assert_array_equal(nn.init.ones_(p).data, 1.0)
    np.testing.assert_array_equal(nn.init.zeros_(p).data, 0.0)
    np.testing.assert_array_equal(nn.init.eye_(p).data, np.eye(3, 4))


def test_xavier():
    p = parameter(300, 200)
    bound = math.sqrt(6 / 500)
    _uniform_checks(nn.init.xavier_uniform_(p, generator=0).data, -bound, bound)
    _uniform_checks(nn.init.xavier_uniform_(p, gain=2.0, generator=0).data, -2 * bound, 2 * bound)
    _normal_checks(nn.init.xavier_normal_(p, generator=1).data, 0.0, math.sqrt(2 / 500))


@pytest.mark.parametrize("mode, fan", [("fan_in", 200 * 9), ("fan_out", 40 * 9)])
def test_kaiming(mode, fan):
    p = parameter(40, 200, 3, 3)
    bound = math.sqrt(2) * math.sqrt(3 / fan)
    uniform = nn.init.kaiming_uniform_(p, mode=mode, nonlinearity="relu", generator=0).data
    _uniform_checks(uniform, -bound, bound)
    _normal_checks(nn.init.kaiming_normal_(p, mode=mode, nonlinearity="relu", generator=0).data, 0.0,
                   math.sqrt(2) / math.sqrt(fan))
    default_bound = math.sqrt(2) * math.sqrt(3 / fan)
    assert np.abs(nn.init.kaiming_uniform_(p, mode=mode, generator=2).data).max() <= default_bound


def test_kaiming_with_sqrt5_is_torch_linear_default():
    p = parameter(500, 64)
    _uniform_checks(nn.init.kaiming_uniform_(p, a=math.sqrt(5), generator=0).data, -1 / 8, 1 / 8)
    with pytest.raises(InvalidArgumentError, match="mode"):
        nn.init.kaiming_uniform_(p, mode="fan_avg")


def test_trunc_normal_stays_in_bounds():
    values = nn.init.trunc_normal_(parameter(100, 100), std=2.0, a=-1.0, b=1.5, generator=0).data
    assert values.min() >= -1.0 and values.max() <= 1.5


def test_generators_reproduce_and_manual_seed_resets_the_default():
    a = nn.init.normal_(parameter(4, 4), generator=9).data.copy()
    b = nn.init.normal_(parameter(4, 4), generator=np.random.default_rng(9)).data
    np.testing.assert_array_equal(a, b)
    nn.init.manual_seed(3)
    c = nn.init.uniform_(parameter(4)).data.copy()
    nn.init.manual_seed(3)
    np.testing.assert_array_equal(c, nn.init.uniform_(parameter(4)).data)
    with pytest.raises(InvalidArgumentError, match="generator"):
        nn.init.uniform_(parameter(2), generator="seed")


def test_init_keeps_dtype_and_refuses_integers():
    p = nn.Parameter(np.zeros((3, 3), dtype=np.float32))
    assert nn.init.normal_(p).dtype == np.float32
    with pytest.raises(DTypeError):
        nn.init.normal_(ag.tensor(np.zeros(3, dtype=np.int64)))
    with pytest.raises(DTypeError):
        nn.init.normal_(np.zeros(3))


def test_init_bumps_the_version_so_stale_graphs_are_detected():
    p = parameter(2, 2)
    before = p._version
    nn.init.ones_(p)
    assert p._version > before
