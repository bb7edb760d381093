"""ag.onnx.export: ONNX models that pass onnx's full checker and that onnxruntime evaluates to
eager's outputs (1e-5, float32) at two batch sizes with a dynamic batch axis."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core.errors import UnsupportedError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def export_and_compare(model, example, tmp_path, batch_sizes=(5, 2), make_input=None, tol=1e-5):
    path = tmp_path / "model.onnx"
    proto = ag.onnx.export(model, (example,), path, input_names=["x"], output_names=["y"],
                           dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    was_training = getattr(model, "training", None)
    if was_training is not None:
        assert model.training == was_training  # export restores the mode it found
        model.eval()
    for n in batch_sizes:
        x = make_input(n) if make_input else np.random.default_rng(n).standard_normal(
            (n,) + example.shape[1:]).astype(np.float32)
        (got,) = session.run(None, {"x": x})
        with ag.no_grad():
            expected = model(ag.tensor(x, dtype=x.dtype)).data
        np.testing.assert_allclose(got, expected, atol=tol, rtol=tol)
    if was_training:
        model.train()
    return proto


def test_mlp(tmp_path):
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Dropout(0.3), nn.Linear(16, 8), nn.GELU(),
                          nn.Linear(8, 3), nn.LogSoftmax(dim=1))
    model.train()  # export switches to eval (dropout becomes Identity) and back
    proto = export_and_compare(model, ag.tensor(np.zeros((5, 4), np.float32)), tmp_path)
    assert model.training
    assert {"0.weight", "0.bias", "3.weight", "5.bias"} <= {i.name for i in proto.graph.initializer}
    assert [n.op_type for n in proto.graph.node].count("Gemm") == 3


def test_cnn_on_digits_shapes(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, stride=1, dilation=1), nn.ReLU(),
                          nn.AvgPool2d(2, stride=1), nn.Flatten(), nn.Linear(6 * 1 * 1, 10))
    # non-trivial running statistics
    model.train()
    rng = np.random.default_rng(0)
    for _ in range(3):
        model(ag.tensor(rng.standard_normal((8, 1, 8, 8)).astype(np.float32)))
    proto = export_and_compare(model, ag.tensor(np.zeros((3, 1, 8, 8), np.float32)), tmp_path)
    ops = [n.op_type for n in proto.graph.node]
    assert {"Conv", "BatchNormalization", "MaxPool", "AveragePool", "Flatten", "Gemm"} <= set(ops)


def test_layer_norm_embedding_and_primitive_ops(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(11, 6)
            self.norm = nn.LayerNorm(6)
            self.out = nn.Linear(6, 4)

        def forward(self, tokens):
            h = self.norm(self.embed(tokens))          # (N, L, 6)
            h = ag.tanh(h) * 2.0 + h.mean(axis=-1, keepdims=True)
            scores = F.softmax(h @ h.swapaxes(1, 2) / 3.0, dim=-1)  # (N, L, L)
            h = scores @ h
            return self.out(h[:, 1:, :].sum(axis=1))

    model = Net()
    tokens = lambda n: np.random.default_rng(n).integers(0, 11, size=(n, 5)).astype(np.int64)  # noqa: E731
    export_and_compare(model, ag.tensor(tokens(3)), tmp_path, make_input=tokens)


def test_plain_function_export(tmp_path):
    weight = ag.tensor(np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32))

    def f(x):
        return ag.relu(x @ weight.T).exp().reshape(x.shape[0], 3) - 1

    export_and_compare(f, ag.tensor(np.zeros((4, 3), np.float32) @ np.zeros((3, 4), np.float32)),
                       tmp_path)


def test_unmapped_op_raises_naming_it(tmp_path):
    def f(x):
        return ag.erf(x).std(axis=0)

    with pytest.raises(UnsupportedError, match="no ONNX mapping for op 'std'"):
        ag.onnx.export(f, (ag.ones((2, 2)),), tmp_path / "bad.onnx")


def test_cli_train_export_onnx(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-m", "autograd_cli", "train", "--epochs", "2",
                             "--samples", "80", "--export-onnx", "--out", "out"], cwd=tmp_path,
                            env=dict(os.environ, PYTHONPATH=str(root)), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    session = ort.InferenceSession(str(tmp_path / "out" / "model.onnx"))
    (logits,) = session.run(None, {"x": np.zeros((7, 2), np.float32)})
    assert logits.shape == (7, 3) and "model.onnx" in result.stdout


@pytest.mark.parametrize("cls, options", [
    (nn.LSTM, dict(num_layers=2, bidirectional=True, batch_first=True)),
    (nn.LSTM, dict()),
    (nn.GRU, dict(num_layers=2, batch_first=True)),
    (nn.GRU, dict(bias=False, bidirectional=True)),
    (nn.RNN, dict(nonlinearity="relu", batch_first=True)),
    (nn.RNN, dict(num_layers=2)),
])
def test_recurrent_layers_export_as_onnx_operators(tmp_path, cls, options):
    model = cls(4, 6, **options)
    batch_first = options.get("batch_first", False)
    shape = (lambda n: (n, 7, 4)) if batch_first else (lambda n: (7, n, 4))
    axis = {0: "batch"} if batch_first else {1: "batch"}
    names = ["y", "h_n"] + (["c_n"] if cls is nn.LSTM else [])
    proto = ag.onnx.export(model, (ag.tensor(np.zeros(shape(3), np.float32)),), tmp_path / "r.onnx",
                           input_names=["x"], output_names=names,
                           dynamic_axes={"x": axis, "y": axis, "h_n": {1: "batch"},
                                         **({"c_n": {1: "batch"}} if cls is nn.LSTM else {})})
    onnx.checker.check_model(proto, full_check=True)
    assert {"LSTM": "LSTM", "GRU": "GRU"}.get(cls.__name__, "RNN") in [n.op_type for n in proto.graph.node]
    session = ort.InferenceSession(str(tmp_path / "r.onnx"))
    for n in (3, 2):
        x = np.random.default_rng(n).standard_normal(shape(n)).astype(np.float32)
        got = session.run(None, {"x": x})
        with ag.no_grad():
            out, state = model(ag.tensor(x))
        expected = [out] + (list(state) if isinstance(state, tuple) else [state])
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e.data, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("batch_first, norm_first, activation",
                         [(True, True, "gelu"), (False, False, "relu")])
def test_transformer_encoder_exports_with_a_dynamic_batch(tmp_path, batch_first, norm_first, activation):
    layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, dropout=0.1,
                                       batch_first=batch_first, norm_first=norm_first, activation=activation)
    model = nn.TransformerEncoder(layer, num_layers=2)
    shape = (lambda n: (n, 5, 16)) if batch_first else (lambda n: (5, n, 16))
    axis = {0: "batch"} if batch_first else {1: "batch"}
    ag.onnx.export(model, (ag.tensor(np.zeros(shape(3), np.float32)),), tmp_path / "t.onnx",
                   input_names=["x"], output_names=["y"], dynamic_axes={"x": axis, "y": axis})
    onnx.checker.check_model(onnx.load(str(tmp_path / "t.onnx")), full_check=True)
    session = ort.InferenceSession(str(tmp_path / "t.onnx"))
    model.eval()
    for n in (3, 2):
        x = np.random.default_rng(n).standard_normal(shape(n)).astype(np.float32)
        with ag.no_grad():
            expected = model(ag.tensor(x)).data
        np.testing.assert_allclose(session.run(None, {"x": x})[0], expected, atol=1e-5, rtol=1e-5)
