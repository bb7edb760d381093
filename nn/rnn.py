"""Recurrent layers with PyTorch's signatures, parameter names, layouts, gate orders and returns:
nn.RNN, nn.LSTM, nn.GRU and the single-step cells nn.RNNCell, nn.LSTMCell, nn.GRUCell.

Every layer is unrolled over time on the engine's own ops (linear, sigmoid, tanh, indexing, stack,
cat), so backpropagation through time is plain `backward()` over the unrolled graph and gradients
of any order exist. The input projection W_ih x_t + b_ih of all time steps is one `linear` on the
whole (L, N, H_in) sequence; only the recurrent part runs step by step.

Shapes (torch's): input (L, N, H_in) — (N, L, H_in) with batch_first — or unbatched (L, H_in);
h_0 / h_n (num_layers * num_directions, N, H) — unbatched (num_layers * num_directions, H);
output (L, N, num_directions * H). Gate rows in weight_ih / weight_hh / biases are stacked as
torch does: LSTM (i, f, g, o), GRU (r, z, n).

Truncated backpropagation through time: run a long sequence in chunks and cut the graph between
them, carrying only the values of the state::

    h = None
    for chunk in chunks:                 # each (T, N, H_in)
        out, h = lstm(chunk, h)
        loss(out).backward(); opt.step(); opt.zero_grad()
        h = tuple(s.detach() for s in h)  # (h, c) for LSTM; `h = h.detach()` for RNN/GRU
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_core.ops as ops
from autograd_core import Tensor
from autograd_core.graph import Op, apply, next_sequence_number
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError, UnsupportedError

from . import functional as F
from . import init
from .init import GeneratorLike, resolve_generator
from .layers import _factory_dtype, _positive_int
from .module import Module, Parameter
from autograd_core.tensor import is_floating_dtype

__all__ = [
    "RNNBase",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCellBase",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "rnn_tanh_cell",
    "rnn_relu_cell",
    "lstm_cell",
    "gru_cell",
]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# ---- one time step (shared by the layers and the cells) ------------------------------------------
# `gi` is the input projection W_ih x + b_ih (N, G*H), already computed; h (N, H) the previous state.
# The LSTM and GRU gate arithmetic of one step is one fused op each (forward and vjp together, the
# vjp written against `xp` so it is differentiable again); `_lstm_step_reference` and
# `_gru_step_reference` are the same steps composed of primitives, which the tests compare against.


def _sigmoid(xp: Any, a: Any) -> Any:
    """sigmoid(a) = (1 + tanh(a / 2)) / 2: stable, and only needs xp.tanh (arrays and Tensors)."""
    return 0.5 * (xp.tanh(0.5 * a) + 1.0)


def _sigmoid_in_place(a: np.ndarray) -> None:
    """a <- _sigmoid(np, a), the same operations in the same order (so the same values)."""
    a *= 0.5
    np.tanh(a, out=a)
    a += 1.0
    a *= 0.5


class LSTMGates(Op):
    """Fused LSTM step arithmetic: pre-activations a = gi + gh (N, 4H) in torch's gate order
    (i, f, g, o) and the cell c (N, H) -> [h', c'] concatenated (N, 2H), with
    c' = s(a_f) c + s(a_i) tanh(a_g) and h' = s(a_o) tanh(c')."""

    name = "lstm_gates"

    def forward(gi, gh, c):
        a = gi + gh
        hidden = c.shape[-1]
        i = _sigmoid(np, a[..., 0:hidden])
        f = _sigmoid(np, a[..., hidden : 2 * hidden])
        g = np.tanh(a[..., 2 * hidden : 3 * hidden])
        o = _sigmoid(np, a[..., 3 * hidden :])
        c_next = f * c + i * g
        return np.concatenate([o * np.tanh(c_next), c_next], axis=-1)

    def vjp(xp, needs, g, out, gi, gh, c):
        hidden = c.shape[-1]
        a = gi + gh
        i = _sigmoid(xp, a[..., 0:hidden])
        f = _sigmoid(xp, a[..., hidden : 2 * hidden])
        gg = xp.tanh(a[..., 2 * hidden : 3 * hidden])
        o = _sigmoid(xp, a[..., 3 * hidden :])
        tc = xp.tanh(f * c + i * gg)
        g_h, g_c = g[..., 0:hidden], g[..., hidden:]
        d_c = g_c + g_h * o * (1.0 - tc * tc)
        d_a = xp.concatenate(
            [
                d_c * gg * i * (1.0 - i),
                d_c * c * f * (1.0 - f),
                d_c * i * (1.0 - gg * gg),
                g_h * tc * o * (1.0 - o),
            ],
            axis=-1,
        )
        return (d_a if needs[0] else None, d_a if needs[1] else None, d_c * f if needs[2] else None)


class GRUGates(Op):
    """Fused GRU step arithmetic with torch's equations: gi, gh (N, 3H) in gate order (r, z, n) and
    h (N, H) -> h' = (1 - z) n + z h, r = s(gi_r + gh_r), z = s(gi_z + gh_z), n = tanh(gi_n + r gh_n)."""

    name = "gru_gates"

    def forward(gi, gh, h):
        hidden = h.shape[-1]
        r = _sigmoid(np, gi[..., 0:hidden] + gh[..., 0:hidden])
        z = _sigmoid(np, gi[..., hidden : 2 * hidden] + gh[..., hidden : 2 * hidden])
        n = np.tanh(gi[..., 2 * hidden :] + r * gh[..., 2 * hidden :])
        return (1.0 - z) * n + z * h

    def vjp(xp, needs, g, out, gi, gh, h):
        hidden = h.shape[-1]
        r = _sigmoid(xp, gi[..., 0:hidden] + gh[..., 0:hidden])
        z = _sigmoid(xp, gi[..., hidden : 2 * hidden] + gh[..., hidden : 2 * hidden])
        gh_n = gh[..., 2 * hidden :]
        n = xp.tanh(gi[..., 2 * hidden :] + r * gh_n)
        d_n = g * (1.0 - z) * (1.0 - n * n)
        d_r = d_n * gh_n * r * (1.0 - r)
        d_z = g * (h - n) * z * (1.0 - z)
        grad_gi = xp.concatenate([d_r, d_z, d_n], axis=-1) if needs[0] else None
        grad_gh = xp.concatenate([d_r, d_z, d_n * r], axis=-1) if needs[1] else None
        return grad_gi, grad_gh, g * z if needs[2] else None


class LSTMSequence(Op):
    """A whole LSTM layer direction as one node: projected inputs P (L, N, 4H) (W_ih x_t + b_ih +
    b_hh for every step, gate order i, f, g, o), h_0 and c_0 (N, H) and W_hh (4H, H) ->
    [h_t, c_t] for t = 1..L as (L, N, 2H). The vjp is backpropagation through time written against
    `xp`, so the layer is differentiable again; it equals the step-by-step composition (tested).

    The output is a view of an (L, N, 6H) buffer that also holds every step's activated gates, so
    a first-order vjp reads them instead of recomputing them (one (L*N, H) x (H, 4H) matmul and
    four activations); a differentiated vjp (a Tensor `out`) recomputes them from its inputs."""

    name = "lstm_sequence"
    save_output = True

    def forward(projected, h0, c0, w_hh):
        steps, hidden = projected.shape[0], h0.shape[-1]
        dtype = np.result_type(projected, h0, w_hh)
        buffer = np.empty(projected.shape[:2] + (6 * hidden,), dtype=dtype)
        h, c = h0, c0
        w_t = w_hh.T
        for t in range(steps):
            # gates activated in place; fresh arrays, then one copy each into the buffer (ufuncs
            # between overlapping views of one buffer are slower)
            a = h @ w_t
            a += projected[t]
            np.tanh(a[:, 2 * hidden : 3 * hidden], out=a[:, 2 * hidden : 3 * hidden])
            _sigmoid_in_place(a[:, 0 : 2 * hidden])
            _sigmoid_in_place(a[:, 3 * hidden :])
            i, f, g, o = (a[:, k * hidden : (k + 1) * hidden] for k in range(4))
            c = f * c
            c += i * g
            h = np.tanh(c)
            h *= o
            buffer[t, :, :hidden] = h
            buffer[t, :, hidden : 2 * hidden] = c
            buffer[t, :, 2 * hidden :] = a
        return buffer[..., : 2 * hidden]

    def vjp(xp, needs, g, out, projected, h0, c0, w_hh):
        steps, hidden = projected.shape[0], h0.shape[-1]
        first = (1,) + tuple(h0.shape)
        h_prev = xp.concatenate([xp.reshape(h0, first), out[0 : steps - 1, :, 0:hidden]], axis=0)
        c_prev = xp.concatenate([xp.reshape(c0, first), out[0 : steps - 1, :, hidden:]], axis=0)
        buffer = getattr(out, "base", None)
        if isinstance(out, np.ndarray) and getattr(buffer, "shape", None) == out.shape[:2] + (6 * hidden,):
            i, f, gg, o = (buffer[..., k * hidden : (k + 1) * hidden] for k in range(2, 6))
        else:  # recomputed from the inputs, so that the gates are differentiable
            a = projected + xp.matmul(h_prev, xp.swapaxes(w_hh, 0, 1))
            i = _sigmoid(xp, a[..., 0:hidden])
            f = _sigmoid(xp, a[..., hidden : 2 * hidden])
            gg = xp.tanh(a[..., 2 * hidden : 3 * hidden])
            o = _sigmoid(xp, a[..., 3 * hidden :])
        tc = xp.tanh(out[..., hidden:])
        c_from_h = o * (1.0 - tc * tc)  # dc/dh through h = o tanh(c)
        coefficients = (gg * i * (1.0 - i), c_prev * f * (1.0 - f), i * (1.0 - gg * gg), tc * o * (1.0 - o))
        dh_next = dc_next = None
        d_steps = [None] * steps
        for t in range(steps - 1, -1, -1):
            g_h = g[t, :, 0:hidden] if dh_next is None else g[t, :, 0:hidden] + dh_next
            g_c = g[t, :, hidden:] if dc_next is None else g[t, :, hidden:] + dc_next
            d_c = g_c + g_h * c_from_h[t]
            d_a = xp.concatenate(
                [
                    d_c * coefficients[0][t],
                    d_c * coefficients[1][t],
                    d_c * coefficients[2][t],
                    g_h * coefficients[3][t],
                ],
                axis=-1,
            )
            d_steps[t] = d_a
            dc_next = d_c * f[t]
            dh_next = xp.matmul(d_a, w_hh)
        d_projected = xp.stack(d_steps, axis=0)
        d_w_hh = None
        if needs[3]:
            rows = xp.reshape(d_projected, (-1, 4 * hidden))
            d_w_hh = xp.matmul(xp.swapaxes(rows, 0, 1), xp.reshape(h_prev, (-1, hidden)))
        return (
            d_projected if needs[0] else None,
            dh_next if needs[1] else None,
            dc_next if needs[2] else None,
            d_w_hh,
        )


def _rnn_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    """h' = act(W_ih x + b_ih + W_hh h + b_hh) with act tanh or relu."""
    pre = gi + ops.linear(h, w_hh, b_hh)
    return ops.relu(pre) if relu else ops.tanh(pre)


def _lstm_step(gi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> tuple[Tensor, Tensor]:
    """One LSTM step through the fused LSTMGates op -> (h', c')."""
    hidden = h.shape[-1]
    both = apply(LSTMGates, (gi, ops.linear(h, w_hh, b_hh), c))
    return both[..., 0:hidden], both[..., hidden:]


def _gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """One GRU step through the fused GRUGates op -> h'."""
    return apply(GRUGates, (gi, ops.linear(h, w_hh, b_hh), h))


def _lstm_step_reference(
    gi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None
) -> tuple[Tensor, Tensor]:
    """The LSTM step composed of primitives: gates (i, f, g, o) = split(gi + W_hh h + b_hh);
    c' = f c + i g; h' = o tanh(c')."""
    hidden = h.shape[-1]
    gates = gi + ops.linear(h, w_hh, b_hh)
    i = ops.sigmoid(gates[..., 0:hidden])
    f = ops.sigmoid(gates[..., hidden : 2 * hidden])
    g = ops.tanh(gates[..., 2 * hidden : 3 * hidden])
    o = ops.sigmoid(gates[..., 3 * hidden : 4 * hidden])
    c_next = f * c + i * g
    return o * ops.tanh(c_next), c_next


def _gru_step_reference(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """The GRU step composed of primitives (torch's equations)."""
    hidden = h.shape[-1]
    gh = ops.linear(h, w_hh, b_hh)
    r = ops.sigmoid(gi[..., 0:hidden] + gh[..., 0:hidden])
    z = ops.sigmoid(gi[..., hidden : 2 * hidden] + gh[..., hidden : 2 * hidden])
    n = ops.tanh(gi[..., 2 * hidden : 3 * hidden] + r * gh[..., 2 * hidden : 3 * hidden])
    return (1.0 - z) * n + z * h


def rnn_tanh_cell(input: Any, hx: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None) -> Tensor:  # noqa: A002
    """One Elman step h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh): x (N, H_in), h (N, H) -> (N, H)."""
    return _rnn_step(ops.linear(_as_tensor(input), w_ih, b_ih), _as_tensor(hx), w_hh, b_hh, relu=False)


def rnn_relu_cell(input: Any, hx: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None) -> Tensor:  # noqa: A002
    """One Elman step with relu instead of tanh."""
    return _rnn_step(ops.linear(_as_tensor(input), w_ih, b_ih), _as_tensor(hx), w_hh, b_hh, relu=True)


def lstm_cell(
    input: Any,
    hx: tuple,
    w_ih: Any,
    w_hh: Any,
    b_ih: Any = None,  # noqa: A002
    b_hh: Any = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step: x (N, H_in), (h, c) each (N, H) -> (h', c'), gates in torch's order (i, f, g, o)."""
    h, c = hx
    return _lstm_step(ops.linear(_as_tensor(input), w_ih, b_ih), _as_tensor(h), _as_tensor(c), w_hh, b_hh)


def gru_cell(input: Any, hx: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None) -> Tensor:  # noqa: A002
    """One GRU step: x (N, H_in), h (N, H) -> h' (N, H), gates in torch's order (r, z, n)."""
    return _gru_step(ops.linear(_as_tensor(input), w_ih, b_ih), _as_tensor(hx), w_hh, b_hh)


# ---- the multi-layer, optionally bidirectional layers ------------------------------------------


class RNNBase(Module):
    """Shared constructor, parameters and unrolled forward of RNN, LSTM and GRU (torch.nn.RNNBase).

    Parameters per layer k and direction (suffix '' or '_reverse'): weight_ih_l{k} (G*H, H_in or
    D*H for k > 0), weight_hh_l{k} (G*H, H), bias_ih_l{k} and bias_hh_l{k} (G*H,), with G = 1
    (RNN), 4 (LSTM), 3 (GRU) and D = 2 if bidirectional else 1; all start U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
        *,
        generator: GeneratorLike = None,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        if mode not in _GATES:
            raise InvalidArgumentError(f"{owner}: unknown mode {mode!r}")
        self.mode = mode
        self.input_size = _positive_int(input_size, owner, "input_size")
        self.hidden_size = _positive_int(hidden_size, owner, "hidden_size")
        self.num_layers = _positive_int(num_layers, owner, "num_layers")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise InvalidArgumentError(
                f"{owner}: dropout should be a number in range [0, 1] representing "
                f"the probability of an element being zeroed, got {dropout!r}"
            )
        if proj_size != 0:
            raise UnsupportedError(f"{owner}: proj_size is not supported (got {proj_size!r}); use 0")
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = 0
        dtype = _factory_dtype(dtype, device, owner)
        directions = 2 if self.bidirectional else 1
        gate_size = _GATES[mode] * self.hidden_size
        self._flat_weights_names: list[str] = []
        #: When True, forward keeps the last layer's (forward-direction) per-step hidden states h_t
        #: in `step_states`, with retain_grad(), so dL/dh_t can be read after backward.
        self.retain_step_states = False
        self.step_states: list[Tensor] = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else self.hidden_size * directions
            for direction in range(directions):
                suffix = "_reverse" if direction == 1 else ""
                shapes = [
                    ("weight_ih", (gate_size, layer_input)),
                    ("weight_hh", (gate_size, self.hidden_size)),
                ]
                if self.bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    self.register_parameter(name, Parameter(np.zeros(shape, dtype=dtype)))
                    self._flat_weights_names.append(name)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: GeneratorLike = None) -> None:
        """Every weight and bias U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""
        rng = resolve_generator(generator)
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound, generator=rng)

    def flatten_parameters(self) -> None:
        """No-op (torch packs weights for cuDNN here; there is nothing to pack on numpy)."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, as torch's all_weights."""
        per = 4 if self.bias else 2
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i : i + per]] for i in range(0, len(names), per)]

    def _weights(self, layer: int, direction: int) -> tuple:
        suffix = "_reverse" if direction == 1 else ""
        get = self._parameters.get
        return (
            get(f"weight_ih_l{layer}{suffix}"),
            get(f"weight_hh_l{layer}{suffix}"),
            get(f"bias_ih_l{layer}{suffix}"),
            get(f"bias_hh_l{layer}{suffix}"),
        )

    # ---- argument checks ----------------------------------------------------------------------
    def _check_input(self, input: Any) -> tuple[Tensor, bool]:  # noqa: A002
        owner = type(self).__name__
        x = _as_tensor(input)
        if not is_floating_dtype(x.dtype):
            raise _dtype_error(owner, x)
        if x.ndim not in (2, 3):
            raise ShapeError(
                f"{owner}: Expected input to be 2D or 3D, got {x.ndim}D tensor of shape {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ShapeError(
                f"{owner}: input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {x.shape[-1]} (input shape {x.shape})"
            )
        return x, x.ndim == 2

    def _check_state(self, state: Any, batch: int, unbatched: bool, what: str) -> Tensor:
        owner = type(self).__name__
        state = _as_tensor(state)
        directions = 2 if self.bidirectional else 1
        expected = (
            (self.num_layers * directions, self.hidden_size)
            if unbatched
            else (self.num_layers * directions, batch, self.hidden_size)
        )
        if tuple(state.shape) != expected:
            kind = "unbatched (2-D)" if unbatched else "batched (3-D)"
            raise ShapeError(
                f"{owner}: Expected {what} size {expected} for {kind} input, got {tuple(state.shape)}"
            )
        return state

    def _lstm_whole_sequence(self, x: Tensor, h0: Any, c0: Any, zeros: Any) -> tuple[Tensor, Tensor, Tensor]:
        """The LSTM on a seq-first (L, N, H_in) input with one LSTMSequence node per layer and
        direction (the input projection of all steps is one linear); -> (output, h_n, c_n)."""
        directions = 2 if self.bidirectional else 1
        hidden = self.hidden_size
        final_h, final_c = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
                h = zeros if h0 is None else h0[index]
                c = zeros if c0 is None else c0[index]
                source = layer_input if direction == 0 else layer_input[::-1]
                projected = ops.linear(source, w_ih, b_ih)
                if b_hh is not None:
                    projected = projected + b_hh
                both = apply(LSTMSequence, (projected, h, c, w_hh))
                sequence = both[:, :, 0:hidden]
                outputs.append(sequence if direction == 0 else sequence[::-1])
                final_h.append(both[-1, :, 0:hidden])
                final_c.append(both[-1, :, hidden:])
            layer_input = outputs[0] if directions == 1 else ops.concatenate(outputs, axis=-1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, training=True)
        return layer_input, ops.stack(final_h, axis=0), ops.stack(final_c, axis=0)

    # ---- the unrolled forward -------------------------------------------------------------------
    def _forward(self, input: Any, hx: Any) -> tuple[Tensor, Any]:  # noqa: A002
        """Returns (output, h_n) or, for LSTM, (output, (h_n, c_n)); shapes as torch."""
        x, unbatched = self._check_input(input)
        if unbatched:
            x = ops.reshape(x, (x.shape[0], 1, x.shape[1]))
        elif self.batch_first:
            x = ops.swapaxes(x, 0, 1)
        steps, batch = x.shape[0], x.shape[1]
        directions = 2 if self.bidirectional else 1
        lstm = self.mode == "LSTM"
        h0 = c0 = None
        if hx is not None:
            if lstm:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise InvalidArgumentError("LSTM: hx must be a tuple (h_0, c_0)")
                h0 = self._check_state(hx[0], batch, unbatched, "hidden[0]")
                c0 = self._check_state(hx[1], batch, unbatched, "hidden[1]")
            else:
                if isinstance(hx, (tuple, list)):
                    raise InvalidArgumentError(f"{type(self).__name__}: hx must be a Tensor, got a tuple")
                h0 = self._check_state(hx, batch, unbatched, "hidden")
            if unbatched:
                h0 = ops.reshape(h0, (h0.shape[0], 1, h0.shape[1]))
                c0 = None if c0 is None else ops.reshape(c0, (c0.shape[0], 1, c0.shape[1]))
        zeros = Tensor(np.zeros((batch, self.hidden_size), dtype=x.dtype)) if hx is None else None

        if lstm and not self.retain_step_states:
            output, h_n, c_n = self._lstm_whole_sequence(x, h0, c0, zeros)
            if unbatched:
                output = ops.reshape(output, (steps, output.shape[-1]))
                h_n = ops.reshape(h_n, (h_n.shape[0], self.hidden_size))
                c_n = ops.reshape(c_n, (c_n.shape[0], self.hidden_size))
            elif self.batch_first:
                output = ops.swapaxes(output, 0, 1)
            return output, (h_n, c_n)
        final_h: list[Tensor] = []
        final_c: list[Tensor] = []
        # Each layer's input as a list of per-step (N, features) tensors: slicing a stacked
        # sequence per step would make every step's gradient a full (L, N, features) scatter.
        layer_input = [x[t] for t in range(steps)]
        step_states: list[Tensor] = []
        #: (first, end) node numbers of each step of this forward, for viz's time-step grouping
        time_steps: list[tuple[int, int, str]] = []
        object.__setattr__(self, "_time_steps", time_steps)
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
                h = zeros if h0 is None else h0[index]
                c = (zeros if c0 is None else c0[index]) if lstm else None
                order = range(steps - 1, -1, -1) if direction == 1 else range(steps)
                per_step: list[Tensor] = [None] * steps  # type: ignore[list-item]
                for t in order:
                    start = next_sequence_number()
                    gi = ops.linear(layer_input[t], w_ih, b_ih)
                    if lstm:
                        h, c = _lstm_step(gi, h, c, w_hh, b_hh)
                    elif self.mode == "GRU":
                        h = _gru_step(gi, h, w_hh, b_hh)
                    else:
                        h = _rnn_step(gi, h, w_hh, b_hh, relu=self.mode == "RNN_RELU")
                    per_step[t] = h
                    time_steps.append((start, next_sequence_number(),
                                       f"l{layer}{'_reverse' if direction else ''} t={t}"))
                outputs.append(per_step)
                final_h.append(h)
                if lstm:
                    final_c.append(c)
            if self.retain_step_states and layer == self.num_layers - 1:
                step_states = outputs[0]
            if directions == 1:
                layer_input = outputs[0]
            else:
                layer_input = [ops.concatenate([fwd, bwd], axis=-1) for fwd, bwd in zip(*outputs)]
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = [F.dropout(step, self.dropout, training=True) for step in layer_input]

        if self.retain_step_states:
            for state in step_states:
                if state.requires_grad:
                    state.retain_grad()
            self.step_states = step_states
        output = ops.stack(layer_input, axis=1 if self.batch_first and not unbatched else 0)
        h_n = ops.stack(final_h, axis=0)
        c_n = ops.stack(final_c, axis=0) if lstm else None
        if unbatched:
            output = ops.reshape(output, (steps, output.shape[-1]))
            h_n = ops.reshape(h_n, (h_n.shape[0], self.hidden_size))
            c_n = None if c_n is None else ops.reshape(c_n, (c_n.shape[0], self.hidden_size))
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Any]:  # noqa: A002
        return self._forward(input, hx)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


def _dtype_error(owner: str, x: Tensor) -> DTypeError:
    return DTypeError(f"{owner}: input must be floating point, got dtype {x.dtype} (shape {x.shape})")


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act 'tanh' or 'relu'.

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0, bidirectional=False); forward(input, h_0=None) -> (output, h_n)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        generator: GeneratorLike = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise InvalidArgumentError(
                f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__(
            "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            0,
            device,
            dtype,
            generator=generator,
        )

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity='relu'"


class LSTM(RNNBase):
    """Long short-term memory; gates (i, f, g, o) stacked in that order in the weight rows.

    forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n))."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
        *,
        generator: GeneratorLike = None,
    ) -> None:
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device,
            dtype,
            generator=generator,
        )


class GRU(RNNBase):
    """Gated recurrent unit with torch's equations (r, z, n; the reset gate multiplies W_hn h + b_hn).

    forward(input, h_0=None) -> (output, h_n)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        generator: GeneratorLike = None,
    ) -> None:
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            0,
            device,
            dtype,
            generator=generator,
        )


# ---- cells ------------------------------------------------------------------------------------------


class RNNCellBase(Module):
    """Shared parameters of the cells: weight_ih (G*H, H_in), weight_hh (G*H, H), bias_ih and
    bias_hh (G*H,), all U(-1/sqrt(H), 1/sqrt(H)); input (N, H_in) or unbatched (H_in,)."""

    _gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        device: Any = None,
        dtype: Any = None,
        *,
        generator: GeneratorLike = None,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.input_size = _positive_int(input_size, owner, "input_size")
        self.hidden_size = _positive_int(hidden_size, owner, "hidden_size")
        self.bias = bool(bias)
        dtype = _factory_dtype(dtype, device, owner)
        gate_size = self._gates * self.hidden_size
        self.weight_ih = Parameter(np.zeros((gate_size, self.input_size), dtype=dtype))
        self.weight_hh = Parameter(np.zeros((gate_size, self.hidden_size), dtype=dtype))
        if self.bias:
            self.bias_ih = Parameter(np.zeros((gate_size,), dtype=dtype))
            self.bias_hh = Parameter(np.zeros((gate_size,), dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: GeneratorLike = None) -> None:
        """Every weight and bias U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""
        rng = resolve_generator(generator)
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters():
            init.uniform_(parameter, -bound, bound, generator=rng)

    def _prepare(self, input: Any, states: tuple) -> tuple[Tensor, list[Tensor], bool]:  # noqa: A002
        """(x as (N, H_in), the states as (N, H) with zeros for None, whether input was 1-D)."""
        owner = type(self).__name__
        x = _as_tensor(input)
        if not is_floating_dtype(x.dtype):
            raise _dtype_error(owner, x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ShapeError(
                f"{owner}: Expected input of shape (N, {self.input_size}) or ({self.input_size},), "
                f"got {x.shape}"
            )
        unbatched = x.ndim == 1
        if unbatched:
            x = ops.reshape(x, (1, self.input_size))
        batch = x.shape[0]
        out = []
        for state in states:
            if state is None:
                out.append(Tensor(np.zeros((batch, self.hidden_size), dtype=x.dtype)))
                continue
            state = _as_tensor(state)
            expected = (self.hidden_size,) if unbatched else (batch, self.hidden_size)
            if tuple(state.shape) != expected:
                raise ShapeError(
                    f"{owner}: Expected hidden state of shape {expected}, got {tuple(state.shape)} "
                    f"(input shape {tuple(_as_tensor(input).shape)})"
                )
            out.append(ops.reshape(state, (1, self.hidden_size)) if unbatched else state)
        return x, out, unbatched

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        return text if nonlinearity == "tanh" else text + f", nonlinearity={nonlinearity}"


def _unbatch(t: Tensor, unbatched: bool) -> Tensor:
    return ops.reshape(t, (t.shape[-1],)) if unbatched else t


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh); forward(input, hx=None) -> h'."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
        *,
        generator: GeneratorLike = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise InvalidArgumentError(f"RNNCell: Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype, generator=generator)

    def forward(self, input: Any, hx: Any = None) -> Tensor:  # noqa: A002
        x, (h,), unbatched = self._prepare(input, (hx,))
        step = rnn_relu_cell if self.nonlinearity == "relu" else rnn_tanh_cell
        return _unbatch(step(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh), unbatched)


class LSTMCell(RNNCellBase):
    """One LSTM step; forward(input, (h, c)=None) -> (h', c')."""

    _gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        generator: GeneratorLike = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, device, dtype, generator=generator)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise InvalidArgumentError("LSTMCell: hx must be a tuple (h, c)")
        x, (h, c), unbatched = self._prepare(input, (None, None) if hx is None else tuple(hx))
        h, c = lstm_cell(x, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return _unbatch(h, unbatched), _unbatch(c, unbatched)


class GRUCell(RNNCellBase):
    """One GRU step; forward(input, hx=None) -> h'."""

    _gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        generator: GeneratorLike = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, device, dtype, generator=generator)

    def forward(self, input: Any, hx: Any = None) -> Tensor:  # noqa: A002
        x, (h,), unbatched = self._prepare(input, (hx,))
        return _unbatch(gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh), unbatched)
