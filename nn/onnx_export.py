"""How each nn layer is written by `autograd_core.onnx.export`: one ONNX operator per layer call
(Linear as Gemm, Conv2d as Conv, BatchNorm in eval as BatchNormalization, ...), parameters
referenced by their `named_parameters()` names. Registered when nn is imported."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import onnx
from autograd_core.errors import UnsupportedError

from . import layers


def _pair(value: Any) -> list[int]:
    return [int(v) for v in value] if isinstance(value, (tuple, list)) else [int(value)] * 2


def _linear(b: onnx.GraphBuilder, m: layers.Linear, inputs: list, output: Any) -> str:
    bias = None if m.bias is None else b.name_of(m.bias)
    return onnx.linear_nodes(b, inputs[0], output.ndim, b.name_of(m.weight), bias)


def _conv2d(b: onnx.GraphBuilder, m: layers.Conv2d, inputs: list, output: Any) -> str:
    if m.padding_mode != "zeros":
        raise UnsupportedError(f"onnx export: Conv2d padding_mode={m.padding_mode!r} is not supported")
    padding = m.padding
    attrs: dict = {"kernel_shape": list(m.kernel_size), "strides": _pair(m.stride),
                   "dilations": _pair(m.dilation), "group": int(m.groups)}
    if padding == "same":
        attrs["auto_pad"] = "SAME_UPPER"
    elif padding == "valid":
        attrs["pads"] = [0, 0, 0, 0]
    else:
        ph, pw = _pair(padding)
        attrs["pads"] = [ph, pw, ph, pw]
    names = [inputs[0], b.name_of(m.weight)] + ([b.name_of(m.bias)] if m.bias is not None else [])
    return b.node("Conv", names, **attrs)


def _max_pool2d(b: onnx.GraphBuilder, m: layers.MaxPool2d, inputs: list, output: Any) -> str:
    if getattr(m, "return_indices", False):
        raise UnsupportedError("onnx export: MaxPool2d(return_indices=True) is not supported")
    ph, pw = _pair(m.padding)
    return b.node("MaxPool", [inputs[0]], kernel_shape=_pair(m.kernel_size), strides=_pair(m.stride),
                  pads=[ph, pw, ph, pw], dilations=_pair(getattr(m, "dilation", 1)),
                  ceil_mode=int(bool(getattr(m, "ceil_mode", False))))


def _avg_pool2d(b: onnx.GraphBuilder, m: layers.AvgPool2d, inputs: list, output: Any) -> str:
    if getattr(m, "divisor_override", None) is not None:
        raise UnsupportedError("onnx export: AvgPool2d(divisor_override=...) is not supported")
    ph, pw = _pair(m.padding)
    return b.node("AveragePool", [inputs[0]], kernel_shape=_pair(m.kernel_size), strides=_pair(m.stride),
                  pads=[ph, pw, ph, pw], ceil_mode=int(bool(getattr(m, "ceil_mode", False))),
                  count_include_pad=int(bool(getattr(m, "count_include_pad", True))))


def _batch_norm(b: onnx.GraphBuilder, m: Any, inputs: list, output: Any) -> str:
    if m.running_mean is None:
        raise UnsupportedError(f"onnx export: {type(m).__name__}(track_running_stats=False) uses "
                               "batch statistics in eval, which ONNX's BatchNormalization cannot")
    dtype = m.running_mean.dtype
    scale = b.name_of(m.weight) if m.weight is not None else b.constant(np.ones(m.num_features), dtype)
    shift = b.name_of(m.bias) if m.bias is not None else b.constant(np.zeros(m.num_features), dtype)
    return b.node("BatchNormalization", [inputs[0], scale, shift, b.name_of(m.running_mean),
                                         b.name_of(m.running_var)], epsilon=float(m.eps))


def _layer_norm(b: onnx.GraphBuilder, m: layers.LayerNorm, inputs: list, output: Any) -> str:
    axis = output.ndim - len(m.normalized_shape)
    dtype = output.dtype
    scale = b.name_of(m.weight) if m.weight is not None else b.constant(np.ones(m.normalized_shape), dtype)
    names = [inputs[0], scale] + ([b.name_of(m.bias)] if getattr(m, "bias", None) is not None else [])
    return b.node("LayerNormalization", names, axis=axis, epsilon=float(m.eps))


def _embedding(b: onnx.GraphBuilder, m: layers.Embedding, inputs: list, output: Any) -> str:
    return b.node("Gather", [b.name_of(m.weight), inputs[0]], axis=0)


def _identity(b: onnx.GraphBuilder, m: Any, inputs: list, output: Any) -> str:
    return b.node("Identity", [inputs[0]])


def _flatten(b: onnx.GraphBuilder, m: layers.Flatten, inputs: list, output: Any) -> str:
    ndim = output.ndim + (m.end_dim % max(output.ndim, 1) - m.start_dim % max(output.ndim, 1))
    start, end = m.start_dim % ndim, m.end_dim % ndim
    if end == ndim - 1:
        flat = b.node("Flatten", [inputs[0]], axis=start)
        if start == 0:
            return b.node("Reshape", [flat, b.int64s([-1])])
        return flat
    shape = [0] * start + [-1] + list(output.shape[start + 1:])
    return b.node("Reshape", [inputs[0], b.int64s(shape)])


for _cls, _fn in ((layers.Linear, _linear), (layers.Conv2d, _conv2d), (layers.MaxPool2d, _max_pool2d),
                  (layers.AvgPool2d, _avg_pool2d), (layers.BatchNorm1d, _batch_norm),
                  (layers.BatchNorm2d, _batch_norm), (layers.LayerNorm, _layer_norm),
                  (layers.Embedding, _embedding), (layers.Dropout, _identity),
                  (layers.Flatten, _flatten)):
    onnx.register_module_exporter(_cls, _fn)


# ---- recurrent layers: ONNX's own RNN / LSTM / GRU operators, one per layer -------------------------
# PyTorch stacks the gates of an LSTM as (i, f, g, o) and ONNX as (i, o, f, c); a GRU as (r, z, n)
# and ONNX as (z, r, h), with linear_before_reset=1 for PyTorch's n = tanh(W_in x + r (W_hn h + b_hn)).
_GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN_TANH": (0,), "RNN_RELU": (0,)}


def _reordered(weight: np.ndarray, mode: str) -> np.ndarray:
    blocks = np.split(weight, len(_GATE_ORDER[mode]), axis=0)
    return np.concatenate([blocks[i] for i in _GATE_ORDER[mode]], axis=0)


def _recurrent(b: onnx.GraphBuilder, m: Any, inputs: list, output: Any) -> tuple:
    from .rnn import RNNBase  # noqa: F401  (the class this exporter is registered for)

    if len(inputs) > 1:
        raise UnsupportedError(f"onnx export: {type(m).__name__} with given initial states is not "
                               "supported; export with the default zero state")
    mode, hidden = m.mode, m.hidden_size
    directions = 2 if m.bidirectional else 1
    op_type = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
    x = inputs[0]
    out_tensor = output[0]
    unbatched = out_tensor.ndim == 2
    if unbatched:
        x = b.node("Unsqueeze", [x, b.int64s([1])])
    elif m.batch_first:
        x = b.node("Transpose", [x], perm=[1, 0, 2])
    finals_h, finals_c = [], []
    for layer in range(m.num_layers):
        w, r, bias = [], [], []
        for direction in range(directions):
            w_ih, w_hh, b_ih, b_hh = (t.data if t is not None else None for t in m._weights(layer, direction))
            w.append(_reordered(w_ih, mode))
            r.append(_reordered(w_hh, mode))
            zeros = np.zeros(w_ih.shape[0], dtype=w_ih.dtype)
            bias.append(np.concatenate([_reordered(zeros if b_ih is None else b_ih, mode),
                                        _reordered(zeros if b_hh is None else b_hh, mode)]))
        attrs: dict = {"hidden_size": hidden,
                       "direction": "bidirectional" if directions == 2 else "forward"}
        if op_type == "GRU":
            attrs["linear_before_reset"] = 1
        if op_type == "RNN":
            attrs["activations"] = ["Relu" if mode == "RNN_RELU" else "Tanh"] * directions
        outs = [b.fresh("y"), b.fresh("y_h")] + ([b.fresh("y_c")] if op_type == "LSTM" else [])
        b.node(op_type, [x, b.constant(np.stack(w)), b.constant(np.stack(r)), b.constant(np.stack(bias))],
               outs, **attrs)
        # Y is (L, directions, N, H): back to (L, N, directions * H)
        x = b.node("Reshape", [b.node("Transpose", [outs[0]], perm=[0, 2, 1, 3]), b.int64s([0, 0, -1])])
        finals_h.append(outs[1])
        if op_type == "LSTM":
            finals_c.append(outs[2])
    y = x
    if unbatched:
        y = b.node("Squeeze", [y, b.int64s([1])])
    elif m.batch_first:
        y = b.node("Transpose", [y], perm=[1, 0, 2])

    def stacked(names: list) -> str:
        joined = b.node("Concat", names, axis=0) if len(names) > 1 else b.node("Identity", names)
        return b.node("Squeeze", [joined, b.int64s([1])]) if unbatched else joined

    if op_type == "LSTM":
        return y, (stacked(finals_h), stacked(finals_c))
    return y, stacked(finals_h)


def _register_recurrent() -> None:
    from .rnn import GRU, LSTM, RNN

    for cls in (RNN, LSTM, GRU):
        onnx.register_module_exporter(cls, _recurrent)


_register_recurrent()
