"""Issue 11: one softmax and one logsumexp kernel. ops.softmax / log_softmax / logsumexp,
nn.functional's softmax, log_softmax and cross_entropy (the fused softmax_cross_entropy op) and,
on arrays, xp.softmax / xp.log_softmax all compute with the functions in ops/reductions.py, so
they agree bit for bit (they used to be two implementations with different rounding)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from autograd_core import amp, graph
from autograd_core.ops import reductions as R

sys.path.insert(0, str(Path(__file__).parent))
from test_array_namespace import _all_op_classes  # noqa: E402


def _logits(dtype=np.float32) -> np.ndarray:
    rng = np.random.default_rng(11)
    return (rng.standard_normal((64, 10)) * 5).astype(dtype)


def test_one_op_per_name_and_the_autocast_table_names_them() -> None:
    classes = _all_op_classes()
    for name in ("softmax", "log_softmax", "logsumexp", "softmax_cross_entropy"):
        owners = [c for c in classes if c.__dict__.get("name") == name]
        assert len(owners) == 1, (name, owners)
        assert name in amp.FLOAT32_OPS


def test_the_array_namespace_uses_the_ops_kernels() -> None:
    assert graph.array_namespace.softmax is R.softmax_array
    assert graph.array_namespace.log_softmax is R.log_softmax_array


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_entry_point_gives_the_same_bits(dtype) -> None:
    x = _logits(dtype)
    target = np.arange(64) % 10
    log_p = ag.log_softmax(ag.tensor(x), axis=1).data
    assert np.array_equal(F.log_softmax(ag.tensor(x), dim=1).data, log_p)
    assert np.array_equal(R.log_softmax_array(x, 1), log_p)
    assert np.array_equal(ag.softmax(ag.tensor(x), axis=1).data, R.softmax_array(x, 1))
    assert np.array_equal(F.softmax(ag.tensor(x), dim=1).data, R.softmax_array(x, 1))
    losses = F.cross_entropy(ag.tensor(x), ag.tensor(target), reduction="none").data
    assert np.array_equal(losses, -log_p[np.arange(64), target])
    lse = ag.logsumexp(ag.tensor(x), axis=1, keepdims=True).data
    assert np.array_equal(lse, R.logsumexp_array(x, 1, True))


def test_cross_entropy_gradient_is_the_same_on_arrays_and_on_tensors() -> None:
    """backward on arrays (xp.softmax = the kernel) and under create_graph (xp = ops, so
    ops.softmax, whose forward is the same kernel) give identical gradients."""
    x = _logits(np.float64)
    target = ag.tensor(np.arange(64) % 10)

    def loss(logits):
        return F.cross_entropy(logits, target)

    plain = ag.grad(loss)(ag.tensor(x))
    recorded = ag.grad(loss, create_graph=True)(ag.tensor(x))
    assert np.array_equal(plain.data, recorded.data)


def test_log_softmax_follows_torch() -> None:
    torch = pytest.importorskip("torch")
    x = _logits(np.float32)
    expected = torch.log_softmax(torch.tensor(x), dim=1).numpy()
    np.testing.assert_allclose(ag.log_softmax(ag.tensor(x), axis=1).data, expected, rtol=0,
                               atol=4e-6)
    expected = torch.logsumexp(torch.tensor(x), dim=1).numpy()
    np.testing.assert_allclose(ag.logsumexp(ag.tensor(x), axis=1).data, expected, rtol=1e-6)


@pytest.mark.parametrize("shape, axis", [((0, 3), 1), ((3, 0), 1), ((0,), 0)])
def test_empty_inputs(shape, axis) -> None:
    x = np.zeros(shape)
    assert R.softmax_array(x, axis).shape == shape
    assert R.log_softmax_array(x, axis).shape == shape
    assert R.logsumexp_array(x, axis, False).shape == tuple(n for i, n in enumerate(shape) if i != axis)


def test_rows_of_minus_infinity_and_huge_values() -> None:
    x = np.array([[-np.inf, -np.inf], [1e4, 1e4 - 1.0], [-np.inf, 0.0]])
    with np.errstate(invalid="ignore"):  # -inf - -inf, as before and as numpy says
        log_p = R.log_softmax_array(x, 1)
    assert np.isnan(log_p[0]).all()  # as torch: log_softmax of an all -inf row is nan
    np.testing.assert_allclose(log_p[1], [-np.log1p(np.exp(-1.0)), -1 - np.log1p(np.exp(-1.0))])
    assert log_p[2].tolist() == [-np.inf, 0.0]
    assert R.logsumexp_array(x, 1, False)[0] == -np.inf
