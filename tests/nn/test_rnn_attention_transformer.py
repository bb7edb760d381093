"""seq12: RNN / LSTM / GRU, the cells, scaled_dot_product_attention, MultiheadAttention and the
transformer encoder against torch (float64, weights copied from torch through state_dict):
outputs, final states and the gradient of the input and of every parameter; gradcheck and
gradgradcheck of cells and attention; causality; state_dict both ways with strict=True."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.ops as ops
import nn
import nn.functional as F
from autograd_core.errors import InvalidArgumentError, ShapeError
from nn import rnn as R
from nn.utils import functional_call
from nn.utils.rnn import pad_sequence

torch = pytest.importorskip("torch")


# ---- helpers -----------------------------------------------------------------------------------------


def copy_from_torch(ours, theirs):
    """Loads torch's (float64) weights into our module (strict) and returns ours in float64."""
    theirs.double()
    ours.double()
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    return ours


def _flatten(value):
    if value is None:
        return []
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flatten(v)]
    return [value]


def compare(ours, theirs, args, kwargs=None, rng=None, atol=1e-10, grad_inputs=True):
    """Calls both modules on the same float inputs (numpy arrays; None and non-float passed as is),
    compares every output, then the gradients of a random projection of the outputs with respect
    to every float input and every parameter."""
    rng = rng or np.random.default_rng(0)
    kwargs = kwargs or {}

    def convert(value, to_torch):
        if isinstance(value, tuple):
            return tuple(convert(v, to_torch) for v in value)
        if isinstance(value, np.ndarray):
            needs = grad_inputs and value.dtype.kind == "f"
            if to_torch:
                return torch.tensor(value, requires_grad=needs)
            return ag.tensor(value, requires_grad=needs) if needs else value
        return value

    our_args, their_args = convert(tuple(args), False), convert(tuple(args), True)
    our_kwargs = {k: convert(v, False) for k, v in kwargs.items()}
    their_kwargs = {k: convert(v, True) for k, v in kwargs.items()}
    our_out = _flatten(ours(*our_args, **our_kwargs))
    their_out = _flatten(theirs(*their_args, **their_kwargs))
    assert len(our_out) == len(their_out)
    our_loss, their_loss = 0.0, 0.0
    for a, b in zip(our_out, their_out):
        assert a.shape == tuple(b.shape), (a.shape, tuple(b.shape))
        np.testing.assert_allclose(a.data, b.detach().numpy(), atol=atol, rtol=1e-9)
        cot = rng.standard_normal(a.shape)
        our_loss = our_loss + (a * cot).sum()
        their_loss = their_loss + (b * torch.from_numpy(cot)).sum()
    our_loss.backward()
    their_loss.backward()
    our_leaves = _flatten(our_args) + _flatten(list(our_kwargs.values()))
    their_leaves = _flatten(their_args) + _flatten(list(their_kwargs.values()))
    for a, b in zip(our_leaves, their_leaves):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            assert b.grad is not None and a.grad is not None
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), atol=atol, rtol=1e-8)
    their_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        expected = their_params[name].grad
        if expected is None:
            assert p.grad is None or not np.any(p.grad.data), name
            continue
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad.data, expected.numpy(), atol=atol, rtol=1e-8, err_msg=name)
    return our_out


RECURRENT = {
    "rnn_tanh": (nn.RNN, torch.nn.RNN, {}),
    "rnn_relu": (nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, torch.nn.LSTM, {}),
    "gru": (nn.GRU, torch.nn.GRU, {}),
}


def make_pair(kind, *args, **kwargs):
    ours_cls, theirs_cls, extra = RECURRENT[kind]
    torch.manual_seed(0)
    theirs = theirs_cls(*args, **kwargs, **extra)
    ours = ours_cls(*args, **kwargs, **extra)
    return copy_from_torch(ours, theirs), theirs


# ---- recurrent layers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,num_layers,bidirectional,batch_first,bias,given_state",
    list(itertools.product(RECURRENT, (1, 2), (False, True), (False, True), (True, False), (False, True))),
)
def test_recurrent_matches_torch(kind, num_layers, bidirectional, batch_first, bias, given_state):
    rng = np.random.default_rng(hash((kind, num_layers, bidirectional, batch_first, bias)) % 2**32)
    steps, batch, features, hidden = 4, 2, 3, 3
    ours, theirs = make_pair(
        kind, features, hidden, num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional
    )
    shape = (batch, steps, features) if batch_first else (steps, batch, features)
    x = rng.standard_normal(shape)
    args = [x]
    if given_state:
        state_shape = (num_layers * (2 if bidirectional else 1), batch, hidden)
        h0 = rng.standard_normal(state_shape)
        args.append((h0, rng.standard_normal(state_shape)) if kind == "lstm" else h0)
    out = compare(ours, theirs, args, rng=rng)
    directions = 2 if bidirectional else 1
    assert out[0].shape == (shape[0], shape[1], directions * hidden)


@pytest.mark.parametrize("kind", list(RECURRENT))
@pytest.mark.parametrize("given_state", [False, True])
def test_recurrent_unbatched_matches_torch(kind, given_state):
    rng = np.random.default_rng(3)
    ours, theirs = make_pair(kind, 2, 3, 2, bidirectional=True, batch_first=True)
    args = [rng.standard_normal((5, 2))]
    if given_state:
        h0 = rng.standard_normal((4, 3))
        args.append((h0, rng.standard_normal((4, 3))) if kind == "lstm" else h0)
    out = compare(ours, theirs, args, rng=rng)
    assert out[0].shape == (5, 6) and out[1].shape == (4, 3)


def test_recurrent_parameters_shapes_and_init_like_torch():
    for kind in RECURRENT:
        ours, theirs = make_pair(kind, 5, 7, 2, bidirectional=True)
        fresh = RECURRENT[kind][0](5, 7, 2, bidirectional=True, generator=1, **RECURRENT[kind][2])
        assert [(n, p.shape) for n, p in fresh.named_parameters()] == [
            (n, tuple(p.shape)) for n, p in theirs.named_parameters()
        ]
        bound = 1 / np.sqrt(7)
        values = np.concatenate([p.data.ravel() for p in fresh.parameters()])
        assert values.min() >= -bound and values.max() <= bound and values.std() > bound / 3


def test_lstm_gate_order_is_i_f_g_o():
    """Only the forget gate's bias open and c_0 = 1: c_1 = sigmoid(big) * 1, h_1 = 0 since o = 0."""
    lstm = nn.LSTM(1, 1, dtype=np.float64)
    for p in lstm.parameters():
        p.data[...] = 0.0
    lstm.bias_ih_l0.data[...] = [0.0, 30.0, 0.0, -30.0]  # i, f, g, o
    x = np.zeros((1, 1, 1))
    _, (h, c) = lstm(x, (np.zeros((1, 1, 1)), np.ones((1, 1, 1))))
    np.testing.assert_allclose(c.data, 1.0, atol=1e-12)
    np.testing.assert_allclose(h.data, 0.0, atol=1e-12)


def test_inter_layer_dropout_only_in_training():
    rng = np.random.default_rng(0)
    ours, theirs = make_pair("lstm", 3, 8, 2, dropout=0.5)
    x = rng.standard_normal((4, 2, 3))
    ours.eval()
    theirs.eval()
    compare(ours, theirs, [x], rng=rng)  # eval: no dropout, equal to torch
    ours.train()
    first = ours(x)[0].data
    second = ours(x)[0].data
    assert not np.allclose(first, second)  # a new mask per call in training
    single = nn.LSTM(3, 8, 1, dropout=0.5, dtype=np.float64)
    assert np.allclose(single(x)[0].data, single(x)[0].data)  # no dropout after the last layer


def test_recurrent_errors():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(ShapeError, match="input_size"):
        lstm(np.zeros((2, 1, 5)))
    with pytest.raises(ShapeError, match="hidden"):
        lstm(np.zeros((2, 1, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 1, 4))))
    with pytest.raises(InvalidArgumentError):
        nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ShapeError):
        nn.GRU(3, 4)(np.zeros((3,)))


def test_truncated_bptt_detach_cuts_the_graph():
    rng = np.random.default_rng(0)
    lstm = nn.LSTM(2, 3, dtype=np.float64)
    x = rng.standard_normal((6, 1, 2))
    _, state = lstm(x[:3])
    state = tuple(s.detach() for s in state)
    out, _ = lstm(x[3:], state)
    out.sum().backward()
    truncated = lstm.weight_hh_l0.grad.data.copy()
    lstm.zero_grad()
    full, _ = lstm(x)
    full[3:].sum().backward()
    assert not np.allclose(truncated, lstm.weight_hh_l0.grad.data)  # the full graph reaches steps 0..2
    assert state[0].grad_fn is None and not state[0].requires_grad


# ---- cells -----------------------------------------------------------------------------------------------

CELLS = {
    "rnn_tanh": (nn.RNNCell, torch.nn.RNNCell, {}),
    "rnn_relu": (nn.RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (nn.GRUCell, torch.nn.GRUCell, {}),
}


@pytest.mark.parametrize(
    "kind,bias,given_state,batched",
    list(itertools.product(CELLS, (True, False), (False, True), (True, False))),
)
def test_cells_match_torch(kind, bias, given_state, batched):
    rng = np.random.default_rng(7)
    ours_cls, theirs_cls, extra = CELLS[kind]
    torch.manual_seed(1)
    theirs = theirs_cls(3, 4, bias=bias, **extra)
    ours = copy_from_torch(ours_cls(3, 4, bias=bias, **extra), theirs)
    lead = (2,) if batched else ()
    args = [rng.standard_normal(lead + (3,))]
    if given_state:
        h = rng.standard_normal(lead + (4,))
        args.append((h, rng.standard_normal(lead + (4,))) if kind == "lstm" else h)
    out = compare(ours, theirs, args, rng=rng)
    assert out[0].shape == lead + (4,)


@pytest.mark.parametrize("step", [R.rnn_tanh_cell, R.rnn_relu_cell, R.gru_cell, "lstm"])
def test_cell_gradcheck_and_gradgradcheck(step):
    rng = np.random.default_rng(2)
    gates = {R.rnn_tanh_cell: 1, R.rnn_relu_cell: 1, R.gru_cell: 3, "lstm": 4}[step]
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    w_ih, w_hh = rng.standard_normal((gates * 2, 3)), rng.standard_normal((gates * 2, 2))
    b_ih, b_hh = rng.standard_normal(gates * 2), rng.standard_normal(gates * 2)
    if step == "lstm":

        def f(x, h, c, w_ih, w_hh, b_ih, b_hh):
            h1, c1 = R.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)
            return ops.stack([h1, c1])

        inputs = [x, h, c, w_ih, w_hh, b_ih, b_hh]
    else:
        f = step
        inputs = [x, h, w_ih, w_hh, b_ih, b_hh]
    assert ag.gradcheck(f, inputs)
    assert ag.gradgradcheck(f, inputs)


def test_unrolled_layer_gradcheck():
    """Backpropagation through time of a 2-layer bidirectional GRU over 3 steps, first order."""
    rng = np.random.default_rng(4)
    gru = nn.GRU(2, 2, 2, bidirectional=True, dtype=np.float64)
    names = [n for n, _ in gru.named_parameters()]

    def f(x, *values):
        return functional_call(gru, dict(zip(names, values)), (x,))[0]

    assert ag.gradcheck(f, [rng.standard_normal((3, 1, 2))] + [p.data.copy() for p in gru.parameters()])


# ---- attention -----------------------------------------------------------------------------------------


def sdpa_both(q, k, v, **kwargs):
    mask = kwargs.get("attn_mask")
    ours = F.scaled_dot_product_attention(
        ag.tensor(q, requires_grad=True),
        ag.tensor(k, requires_grad=True),
        ag.tensor(v, requires_grad=True),
        **kwargs,
    )
    if mask is not None:
        kwargs["attn_mask"] = torch.from_numpy(mask)
    theirs = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), **kwargs
    )
    return ours, theirs


@pytest.mark.parametrize(
    "case", ["plain", "bool", "float", "causal", "scale", "broadcast_bool", "rect_causal"]
)
def test_sdpa_matches_torch(case):
    rng = np.random.default_rng(5)
    q, k, v = (
        rng.standard_normal((2, 3, 4, 5)),
        rng.standard_normal((2, 3, 6, 5)),
        rng.standard_normal((2, 3, 6, 2)),
    )
    kwargs = {}
    if case == "bool":
        mask = rng.random((2, 3, 4, 6)) > 0.4
        mask[..., 0] = True  # no fully masked row (torch gives NaN there, as we do)
        kwargs["attn_mask"] = mask
    elif case == "float":
        kwargs["attn_mask"] = rng.standard_normal((4, 6))
    elif case == "causal":
        k, v = k[:, :, :4], v[:, :, :4]
        kwargs["is_causal"] = True
    elif case == "rect_causal":
        kwargs["is_causal"] = True
    elif case == "scale":
        kwargs["scale"] = 0.3
    elif case == "broadcast_bool":
        mask = rng.random((1, 6)) > 0.3
        mask[0, 0] = True
        kwargs["attn_mask"] = mask
    ours, theirs = sdpa_both(q, k, v, **kwargs)
    np.testing.assert_allclose(ours.data, theirs.numpy(), atol=1e-12)


def test_sdpa_gradients_match_torch():
    rng = np.random.default_rng(6)
    q, k, v = (rng.standard_normal((2, 4, 3)) for _ in range(3))
    mask = rng.standard_normal((4, 4))
    ours_in = [ag.tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    cot = rng.standard_normal((2, 4, 3))
    (F.scaled_dot_product_attention(*ours_in, attn_mask=mask) * cot).sum().backward()
    (
        torch.nn.functional.scaled_dot_product_attention(*theirs_in, attn_mask=torch.from_numpy(mask))
        * torch.from_numpy(cot)
    ).sum().backward()
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), atol=1e-12)


def test_sdpa_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(8)
    q, k, v = rng.standard_normal((1, 3, 2)), rng.standard_normal((1, 3, 2)), rng.standard_normal((1, 3, 2))
    mask = rng.standard_normal((3, 3))

    def masked(q, k, v, m):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m)

    def causal(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)

    for f, inputs in ((masked, [q, k, v, mask]), (causal, [q, k, v])):
        assert ag.gradcheck(f, inputs)
        assert ag.gradgradcheck(f, inputs)


def test_sdpa_errors():
    x = np.zeros((2, 3))
    with pytest.raises(InvalidArgumentError):
        F.scaled_dot_product_attention(x, x, x, attn_mask=np.ones((2, 2), bool), is_causal=True)
    with pytest.raises(ShapeError):
        F.scaled_dot_product_attention(x, np.zeros((2, 4)), x)
    with pytest.raises(ShapeError):
        F.scaled_dot_product_attention(x, x, x, attn_mask=np.ones((3, 3), bool))


def mha_pair(embed=4, heads=2, **kwargs):
    torch.manual_seed(2)
    theirs = torch.nn.MultiheadAttention(embed, heads, **kwargs)
    return copy_from_torch(nn.MultiheadAttention(embed, heads, **kwargs), theirs), theirs


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize(
    "case",
    [
        "plain",
        "bool_mask",
        "float_mask",
        "mask_3d",
        "padding_bool",
        "padding_float",
        "both_masks",
        "causal",
        "no_weights",
        "per_head",
        "kdim_vdim",
        "no_bias",
    ],
)
def test_multihead_attention_matches_torch(case, batch_first):
    rng = np.random.default_rng(9)
    L, S, N, E, H = 3, 4, 2, 4, 2
    kwargs = {"batch_first": batch_first}
    if case == "kdim_vdim":
        kwargs.update(kdim=3, vdim=5)
    if case == "no_bias":
        kwargs["bias"] = False
    ours, theirs = mha_pair(E, H, **kwargs)
    kd, vd = (3, 5) if case == "kdim_vdim" else (E, E)
    if case == "causal":
        S = L
    shape = (lambda n: (N, n)) if batch_first else (lambda n: (n, N))
    q = rng.standard_normal(shape(L) + (E,))
    k = rng.standard_normal(shape(S) + (kd,))
    v = rng.standard_normal(shape(S) + (vd,))
    call = {}
    padding = np.zeros((N, S), bool)
    padding[0, 1] = padding[1, S - 1] = True
    if case == "bool_mask":
        mask = np.zeros((L, S), bool)
        mask[0, 2] = mask[2, 0] = True
        call["attn_mask"] = mask
    elif case == "float_mask":
        call["attn_mask"] = rng.standard_normal((L, S))
    elif case == "mask_3d":
        call["attn_mask"] = rng.standard_normal((N * H, L, S))
    elif case == "padding_bool":
        call["key_padding_mask"] = padding
    elif case == "padding_float":
        call["key_padding_mask"] = np.where(padding, -3.0, 0.5)
    elif case == "both_masks":
        call["key_padding_mask"] = padding
        mask = np.zeros((L, S), bool)
        mask[1, 0] = True
        call["attn_mask"] = mask
    elif case == "causal":
        call["attn_mask"] = np.triu(np.ones((L, L), bool), 1)
        call["is_causal"] = True
    elif case == "no_weights":
        call["need_weights"] = False
    elif case == "per_head":
        call["average_attn_weights"] = False
    masks_as_constants = {
        key: torch.from_numpy(value) for key, value in call.items() if isinstance(value, np.ndarray)
    }
    plain = {key: value for key, value in call.items() if not isinstance(value, np.ndarray)}
    ours_call = {**plain, **{key: value for key, value in call.items() if isinstance(value, np.ndarray)}}
    # masks are constants (no gradient): bound to the calls rather than passed through `compare`
    torch_module = _Bound(theirs, {**masks_as_constants, **plain})
    our_module = _Bound(ours, ours_call)
    out = compare(our_module, torch_module, [q, k, v], rng=rng)
    if case == "no_weights":
        assert len(out) == 1
    elif case == "per_head":
        assert out[1].shape == (N, H, L, S)
    else:
        assert out[1].shape == (N, L, S)


class _Bound:
    """A module called with fixed keyword arguments, exposing the module's named_parameters."""

    def __init__(self, module, kwargs):
        self.module, self.kwargs = module, kwargs

    def __call__(self, *args):
        return self.module(*args, **self.kwargs)

    def named_parameters(self):
        return self.module.named_parameters()


def test_multihead_attention_unbatched_matches_torch():
    rng = np.random.default_rng(10)
    ours, theirs = mha_pair(4, 2)
    q, k = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    padding = np.array([False, True, False, False, False])
    out = compare(
        _Bound(ours, {"key_padding_mask": padding}),
        _Bound(theirs, {"key_padding_mask": torch.from_numpy(padding)}),
        [q, k, k],
        rng=rng,
    )
    assert out[0].shape == (3, 4) and out[1].shape == (3, 5)


def test_multihead_attention_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(11)
    mha = nn.MultiheadAttention(4, 2, dtype=np.float64)
    names = [n for n, _ in mha.named_parameters()]
    mask = np.triu(np.ones((3, 3), bool), 1)

    def f(x, *values):
        return functional_call(mha, dict(zip(names, values)), (x, x, x), {"attn_mask": mask})[0]

    inputs = [rng.standard_normal((3, 1, 4))] + [rng.standard_normal(p.shape) * 0.5 for p in mha.parameters()]
    assert ag.gradcheck(f, inputs)
    assert ag.gradgradcheck(
        lambda x, w: functional_call(mha, {"in_proj_weight": w}, (x, x, x))[0], inputs[:2]
    )


def test_multihead_attention_errors():
    with pytest.raises(InvalidArgumentError):
        nn.MultiheadAttention(5, 2)
    mha = nn.MultiheadAttention(4, 2)
    x = np.zeros((3, 1, 4))
    with pytest.raises(InvalidArgumentError, match="attn_mask"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(ShapeError):
        mha(x, x, x, attn_mask=np.zeros((2, 2), bool))
    with pytest.raises(ShapeError):
        mha(x, x, x, key_padding_mask=np.zeros((1, 2), bool))


# ---- transformer encoder ---------------------------------------------------------------------------------


def encoder_layer_pair(**kwargs):
    torch.manual_seed(3)
    theirs = torch.nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, **kwargs)
    return copy_from_torch(nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, **kwargs), theirs), theirs


@pytest.mark.parametrize(
    "norm_first,activation,batch_first",
    list(itertools.product((False, True), ("relu", "gelu"), (False, True))),
)
@pytest.mark.parametrize("mode", ["eval", "train_no_dropout"])
def test_encoder_layer_matches_torch(norm_first, activation, batch_first, mode):
    rng = np.random.default_rng(12)
    dropout = 0.1 if mode == "eval" else 0.0
    ours, theirs = encoder_layer_pair(
        norm_first=norm_first, activation=activation, batch_first=batch_first, dropout=dropout
    )
    if mode == "eval":
        ours.eval()
        theirs.eval()
    x = rng.standard_normal((2, 5, 4) if batch_first else (5, 2, 4))
    padding = np.zeros((2, 5), bool)
    padding[1, 4] = True
    causal = np.triu(np.full((5, 5), -np.inf), 1)
    compare(ours, theirs, [x], rng=rng)
    compare(
        _Bound(ours, {"src_mask": causal, "is_causal": True, "src_key_padding_mask": padding}),
        _Bound(
            theirs,
            {
                "src_mask": torch.from_numpy(causal),
                "is_causal": True,
                "src_key_padding_mask": torch.from_numpy(padding),
            },
        ),
        [x],
        rng=rng,
    )


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_matches_torch(norm_first):
    rng = np.random.default_rng(13)
    torch.manual_seed(4)
    kwargs = dict(dim_feedforward=6, dropout=0.0, norm_first=norm_first, activation="gelu")
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(4, 2, **kwargs),
        2,
        norm=torch.nn.LayerNorm(4),
        enable_nested_tensor=False,
    )
    ours = copy_from_torch(
        nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, **kwargs), 2, norm=nn.LayerNorm(4)), theirs
    )
    x = rng.standard_normal((5, 2, 4))
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    ours_mask = nn.transformer.generate_square_subsequent_mask(5, np.float64)
    np.testing.assert_array_equal(ours_mask.data, mask.numpy())
    compare(_Bound(ours, {"mask": ours_mask}), _Bound(theirs, {"mask": mask}), [x], rng=rng)
    compare(ours, theirs, [x], rng=rng)


def test_causality_of_encoder_under_causal_mask():
    """Changing token t changes neither the outputs before t nor the gradients that flow from them."""
    rng = np.random.default_rng(14)
    layer = nn.TransformerEncoderLayer(
        4, 2, dim_feedforward=8, dropout=0.0, batch_first=True, dtype=np.float64
    )
    encoder = nn.TransformerEncoder(layer, 2)
    mask = nn.transformer.generate_square_subsequent_mask(6, np.float64)
    x = rng.standard_normal((1, 6, 4))
    changed = x.copy()
    changed[0, 4:] += rng.standard_normal((2, 4))
    results = []
    for data in (x, changed):
        inp = ag.tensor(data, requires_grad=True)
        out = encoder(inp, mask=mask, is_causal=True)
        encoder.zero_grad()
        out[:, :4].sum().backward()
        results.append(
            (out.data[:, :4].copy(), inp.grad.data.copy(), encoder.layers[0].linear1.weight.grad.data.copy())
        )
    np.testing.assert_allclose(results[0][0], results[1][0], atol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-12)
    np.testing.assert_allclose(results[0][2], results[1][2], atol=1e-12)
    assert np.all(results[0][1][:, 4:] == 0)  # later inputs get no gradient from earlier outputs
    q = ag.tensor(x[0], requires_grad=True)
    F.scaled_dot_product_attention(q, q, q, is_causal=True)[:3].sum().backward()
    assert np.all(q.grad.data[3:] == 0) and np.any(q.grad.data[:3] != 0)


# ---- state_dict both ways --------------------------------------------------------------------------------

MODULE_PAIRS = [
    ("RNN", lambda m: m.RNN(3, 4, 2, bidirectional=True)),
    ("RNN_relu_nobias", lambda m: m.RNN(3, 4, nonlinearity="relu", bias=False)),
    ("LSTM", lambda m: m.LSTM(3, 4, 2, bidirectional=True)),
    ("GRU", lambda m: m.GRU(3, 4, 2)),
    ("RNNCell", lambda m: m.RNNCell(3, 4)),
    ("LSTMCell", lambda m: m.LSTMCell(3, 4)),
    ("GRUCell", lambda m: m.GRUCell(3, 4, bias=False)),
    ("MultiheadAttention", lambda m: m.MultiheadAttention(4, 2)),
    ("MultiheadAttention_kv", lambda m: m.MultiheadAttention(4, 2, kdim=3, vdim=5)),
    ("MultiheadAttention_nobias", lambda m: m.MultiheadAttention(4, 2, bias=False)),
    ("TransformerEncoderLayer", lambda m: m.TransformerEncoderLayer(4, 2, 8)),
    (
        "TransformerEncoder",
        lambda m: m.TransformerEncoder(m.TransformerEncoderLayer(4, 2, 8), 2, norm=m.LayerNorm(4)),
    ),
]


@pytest.mark.parametrize("name,build", MODULE_PAIRS, ids=[p[0] for p in MODULE_PAIRS])
def test_state_dict_loads_into_torch_and_back(name, build):
    ours = build(nn).double()
    kwargs = {"enable_nested_tensor": False} if name == "TransformerEncoder" else {}
    theirs = (
        build(torch.nn)
        if not kwargs
        else torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(4, 2, 8), 2, norm=torch.nn.LayerNorm(4), **kwargs
        )
    )
    theirs.double()
    ours_state = ours.state_dict()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours_state.items()}, strict=True)
    assert list(ours_state) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), ours_state[key])
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(1.0)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()}, strict=True)
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), ours.state_dict()[key])


# ---- pad_sequence ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    rng = np.random.default_rng(15)
    arrays = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    ours_in = [ag.tensor(a, requires_grad=True) for a in arrays]
    ours = pad_sequence(ours_in, batch_first=batch_first, padding_value=-1.0, padding_side=side)
    theirs = torch.nn.utils.rnn.pad_sequence(
        [torch.from_numpy(a) for a in arrays], batch_first=batch_first, padding_value=-1.0, padding_side=side
    )
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    (ours * np.arange(ours.size).reshape(ours.shape)).sum().backward()
    assert ours_in[1].grad.shape == (1, 2)
    with pytest.raises(ShapeError):
        pad_sequence([np.zeros((2, 2)), np.zeros((2, 3))])


# ---- fused step ops equal the composition of primitives -------------------------------------------------


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_fused_step_equals_primitive_composition(kind):
    """Outputs, first-order gradients and (through create_graph) second-order gradients of the
    fused LSTMGates / GRUGates step equal those of the step written with primitives."""
    rng = np.random.default_rng(16)
    gates = 4 if kind == "lstm" else 3
    arrays = [rng.standard_normal((2, 3)), rng.standard_normal((2, 2)), rng.standard_normal((2, 2)),
              rng.standard_normal((gates * 2, 2)), rng.standard_normal(gates * 2)]
    cot = rng.standard_normal((2, 2))

    projection = np.ones((3, gates * 2)) * 0.3

    def step_loss(fused):
        def f(x, h, c, w_hh, b_hh):
            gi = x @ projection
            if kind == "lstm":
                h1, c1 = (R._lstm_step if fused else R._lstm_step_reference)(gi, h, c, w_hh, b_hh)
                return (h1 * cot + c1 * cot * 0.5).sum()
            h1 = (R._gru_step if fused else R._gru_step_reference)(gi, h, w_hh, b_hh)
            return (h1 * cot).sum()
        return f

    def run(fused):
        f = step_loss(fused)
        argnums = (0, 1, 2, 3, 4) if kind == "lstm" else (0, 1, 3, 4)
        first = ag.grad(f, argnums=argnums, create_graph=True)

        def squared_gradient_norm(*args):
            return sum(((g * g).sum() for g in first(*args)), ag.tensor(0.0))
        second = ag.grad(squared_gradient_norm, argnums=argnums)(*arrays)
        return [f(*arrays).data] + [g.data for g in first(*arrays)] + [g.data for g in second]

    for a, b in zip(run(True), run(False)):
        np.testing.assert_allclose(a, b, atol=1e-12, rtol=1e-10)


def test_lstm_sequence_op_equals_the_step_by_step_path():
    """nn.LSTM runs each layer direction as one LSTMSequence node; with retain_step_states it runs
    step by step (fused LSTMGates per step). Outputs and every gradient agree."""
    rng = np.random.default_rng(17)
    lstm = nn.LSTM(3, 4, 2, bidirectional=True, dtype=np.float64)
    x = rng.standard_normal((5, 2, 3))
    state = (rng.standard_normal((4, 2, 4)), rng.standard_normal((4, 2, 4)))
    results = []
    for per_step in (False, True):
        lstm.retain_step_states = per_step
        lstm.zero_grad()
        inputs = [ag.tensor(a, requires_grad=True) for a in (x, *state)]
        out, (h, c) = lstm(inputs[0], (inputs[1], inputs[2]))
        (out.sum() + (h * h).sum() + (c * 0.5).sum()).backward()
        results.append([out.data, h.data, c.data] + [t.grad.data for t in inputs]
                       + [p.grad.data for p in lstm.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_lstm_layer_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(18)
    lstm = nn.LSTM(2, 2, bidirectional=True, dtype=np.float64)
    names = [n for n, _ in lstm.named_parameters()]

    def f(x, h0, c0, *values):
        out, (h, c) = functional_call(lstm, dict(zip(names, values)), (x, (h0, c0)))
        return ops.concatenate([ops.reshape(out, (-1,)), ops.reshape(h, (-1,)), ops.reshape(c, (-1,))])

    inputs = [rng.standard_normal((3, 1, 2)), rng.standard_normal((2, 1, 2)), rng.standard_normal((2, 1, 2))]
    inputs += [p.data.copy() for p in lstm.parameters()]
    assert ag.gradcheck(f, inputs)
    assert ag.gradgradcheck(f, inputs[:3] + [p.data.copy() for p in lstm.parameters()])


def test_diagram_groups_an_unrolled_rnn_by_time_step():
    """A 50-step network draws as one box per layer and time step (plus the input slices and the
    stack), not hundreds of ops; the heat map and backward frames work on it."""
    from autograd_core import viz

    rnn = nn.RNN(3, 8, num_layers=2)
    x = ag.tensor(np.random.default_rng(0).standard_normal((50, 2, 3)).astype("float32"))
    out, _ = rnn(x)
    loss = (out[-1] ** 2).sum()
    plain = viz.draw_graph(loss, params=rnn, max_nodes=None).source
    grouped = viz.draw_graph(loss, params=rnn, group_modules=True, max_nodes=None,
                             color_by="grad_norm").source
    for layer in (0, 1):
        for t in (0, 17, 49):
            assert f"l{layer} t={t}" in grouped
    assert grouped.count("box3d") == 100  # one box per layer and step
    assert grouped.count("->") < plain.count("->")
    frames = viz.backward_frames(loss, params=rnn, group_modules=True, max_nodes=None)
    assert len(frames) > 0 and all("t=" in f.source for f in frames[:3])
