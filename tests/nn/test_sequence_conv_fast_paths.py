"""The speed-up paths of issue 16's CNN and sequence workloads give the general paths' values."""

import numpy as np
import pytest

import autograd_core.ops.nn_ops as nn_ops
from autograd_core.amp import matmul_array


@pytest.mark.parametrize("shape, kernel", [((2, 3, 8, 8), (2, 2)), ((1, 2, 5, 7), (2, 2)),
                                           ((3, 1, 6, 6), (3, 3)), ((2, 2, 6, 4), (2, 1))])
def test_tiling_windows_match_the_general_im2col_col2im(monkeypatch, shape, kernel):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    x[0, 0, 0, 0] = -0.0
    args = (kernel, kernel, (0, 0), (1, 1))
    cols = nn_ops.im2col_array(x, *args)
    grads = rng.standard_normal(cols.shape).astype(np.float32)
    grads[0, 0, 0] = -0.0
    image = nn_ops.col2im_array(grads, shape[2:], *args)
    monkeypatch.setattr(nn_ops, "_tiles", lambda *arguments: False)
    assert cols.tobytes() == nn_ops.im2col_array(x, *args).tobytes()
    general = nn_ops.col2im_array(grads, shape[2:], *args)
    assert image.shape == general.shape
    assert np.ascontiguousarray(image).tobytes() == np.ascontiguousarray(general).tobytes()


def test_stacked_matmul_is_numpy_matmul():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 3, 5, 6)).astype(np.float32)
    b = rng.standard_normal((7, 6)).astype(np.float32).T  # a transposed (6, 7) view
    expected = np.matmul(a, b)
    np.testing.assert_allclose(matmul_array(a, b), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(matmul_array(a.swapaxes(0, 1), b), np.matmul(a.swapaxes(0, 1), b),
                               rtol=1e-6, atol=1e-6)
    out = np.empty(expected.shape, np.float32)
    assert matmul_array(a, b, out=out) is out
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    assert matmul_array(np.zeros((2, 0, 6)), np.ones((6, 3))).shape == (2, 0, 3)
    with pytest.raises(ValueError):
        matmul_array(a, np.ones((5, 2), np.float32))


def test_lstm_backward_reads_the_saved_gates(monkeypatch):
    """A first-order backward of nn.LSTM uses the gates its forward kept (no recomputation)."""
    import autograd_core as ag
    import nn
    import nn.rnn as rnn

    lstm = nn.LSTM(3, 4)
    x = ag.tensor(np.random.default_rng(2).standard_normal((5, 2, 3)).astype(np.float32))
    out, (h, c) = lstm(x)
    recomputed = []
    original = rnn._sigmoid
    monkeypatch.setattr(rnn, "_sigmoid", lambda xp, a: recomputed.append(a) or original(xp, a))
    (out.sum() + c.sum()).backward()
    assert not recomputed
    assert lstm.weight_hh_l0.grad is not None
