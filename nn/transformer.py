"""nn.TransformerEncoderLayer and nn.TransformerEncoder with torch's submodule names, options and
state_dict keys, plus generate_square_subsequent_mask and a tiny decoder-only language model
(TransformerLM: an encoder stack under a causal mask) used by the examples, CLI and notebook.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import numpy as np

from autograd_core import Tensor, get_default_dtype
from autograd_core.errors import InvalidArgumentError, ShapeError
from autograd_core.tensor import _resolve_dtype

from . import functional as F
from .attention import MultiheadAttention
from .containers import ModuleList
from .init import GeneratorLike, resolve_generator
from .layers import Dropout, Embedding, LayerNorm, Linear, _positive_int
from .module import Module

__all__ = [
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "TransformerLM",
    "generate_square_subsequent_mask",
]


def generate_square_subsequent_mask(sz: int, dtype: Any = None) -> Tensor:
    """(sz, sz) float mask: 0 on and below the diagonal, -inf above (torch.nn.Transformer's), for
    attn_mask / src_mask: position i attends only to positions j <= i."""
    dtype = get_default_dtype() if dtype is None else _resolve_dtype(dtype)
    return Tensor(np.triu(np.full((sz, sz), -np.inf), k=1).astype(dtype))


def _activation(activation: Any) -> Callable:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if callable(activation):
        return activation
    raise InvalidArgumentError(f"TransformerEncoderLayer: activation should be relu/gelu, not {activation!r}")


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block, each residual, with LayerNorm after (post-norm,
    torch's default) or before (norm_first=True) each block. (L, N, E) or (N, L, E) with
    batch_first, or unbatched (L, E) -> same shape.

    Submodules as torch: self_attn, linear1 (E -> dim_feedforward), dropout, linear2, norm1, norm2,
    dropout1, dropout2; activation is 'relu', 'gelu' or a callable (a Module becomes a submodule)."""

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Any = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        generator: GeneratorLike = None,
    ) -> None:
        super().__init__()
        rng = resolve_generator(generator)
        dim_feedforward = _positive_int(dim_feedforward, "TransformerEncoderLayer", "dim_feedforward")
        self.self_attn = MultiheadAttention(
            d_model,
            nhead,
            dropout=dropout,
            bias=bias,
            batch_first=batch_first,
            device=device,
            dtype=dtype,
            generator=rng,
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, device=device, dtype=dtype, generator=rng)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, device=device, dtype=dtype, generator=rng)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.batch_first = bool(batch_first)
        self.activation = _activation(activation)

    def _sa_block(self, x: Tensor, attn_mask: Any, key_padding_mask: Any, is_causal: bool) -> Tensor:
        x = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(
        self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None, is_causal: bool = False
    ) -> Tensor:
        """src (L, N, E) / (N, L, E) / (L, E); src_mask (L, L) or (N*nhead, L, L); src_key_padding_mask
        (N, L) (True = padding, ignored); is_causal: hint that src_mask is causal (torch's rule)."""
        x = src if isinstance(src, Tensor) else Tensor(src)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


def _is_causal_mask(mask: Any, size: int) -> bool:
    """torch's _detect_is_causal_mask: whether mask equals generate_square_subsequent_mask(size)."""
    array = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if array.shape != (size, size):
        return False
    reference = np.triu(np.full((size, size), -np.inf), k=1)
    if array.dtype == bool:
        return bool((array == ~np.isfinite(reference)).all())
    return bool((array == reference).all())


class TransformerEncoder(Module):
    """num_layers deep copies of encoder_layer (as `layers`, a ModuleList) and an optional final norm."""

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise InvalidArgumentError(
                f"TransformerEncoder: encoder_layer must be a Module, got {type(encoder_layer).__name__}"
            )
        self.num_layers = _positive_int(num_layers, "TransformerEncoder", "num_layers")
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(self.num_layers)])
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def forward(
        self, src: Any, mask: Any = None, src_key_padding_mask: Any = None, is_causal: bool | None = None
    ) -> Tensor:
        """Runs the layers in turn with the same mask; is_causal=None detects a causal mask."""
        x = src if isinstance(src, Tensor) else Tensor(src)
        if is_causal is None:
            is_causal = mask is not None and _is_causal_mask(
                mask, x.shape[0 if x.ndim == 2 else (1 if self._batch_first() else 0)]
            )
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
        if self.norm is not None:
            x = self.norm(x)
        return x

    def _batch_first(self) -> bool:
        return bool(getattr(self.layers[0], "batch_first", False))


class TransformerLM(Module):
    """A decoder-only (GPT-style) character model: token + learned position embeddings, a
    TransformerEncoder run under the causal mask, a final LayerNorm and a linear head.

    forward(tokens (N, L) int) -> logits (N, L, vocab_size); position t sees tokens 0..t only.
    `attention_weights(tokens)` returns each layer's head-averaged (N, L, L) attention maps."""

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 64,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 128,
        max_len: int = 64,
        dropout: float = 0.0,
        *,
        generator: GeneratorLike = None,
    ) -> None:
        super().__init__()
        rng = resolve_generator(generator)
        self.vocab_size = _positive_int(vocab_size, "TransformerLM", "vocab_size")
        self.max_len = _positive_int(max_len, "TransformerLM", "max_len")
        self.token_embedding = Embedding(vocab_size, d_model, generator=rng)
        self.position_embedding = Embedding(max_len, d_model, generator=rng)
        # N(0, 1) embeddings scaled to 0.1: keeps the pre-norm residual stream well scaled at init
        self.token_embedding.weight.data[...] *= 0.1
        self.position_embedding.weight.data[...] *= 0.1
        layer = TransformerEncoderLayer(
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
            generator=rng,
        )
        self.encoder = TransformerEncoder(layer, num_layers)
        for copy_index, module in enumerate(self.encoder.layers):  # distinct initial weights per layer
            if copy_index:
                module.self_attn._reset_parameters(rng)
                module.linear1.reset_parameters(rng)
                module.linear2.reset_parameters(rng)
        self.norm = LayerNorm(d_model)
        self.head = Linear(d_model, vocab_size, generator=rng)

    def _embed(self, tokens: Any) -> Tensor:
        ids = np.asarray(tokens.data if isinstance(tokens, Tensor) else tokens)
        if ids.ndim != 2:
            raise ShapeError(f"TransformerLM: expected tokens (N, L), got shape {ids.shape}")
        if ids.shape[1] > self.max_len:
            raise ShapeError(f"TransformerLM: sequence length {ids.shape[1]} exceeds max_len {self.max_len}")
        positions = np.arange(ids.shape[1])[None, :].repeat(ids.shape[0], axis=0)
        return self.token_embedding(ids) + self.position_embedding(positions)

    def forward(self, tokens: Any) -> Tensor:
        x = self._embed(tokens)
        mask = generate_square_subsequent_mask(x.shape[1], x.dtype)
        return self.head(self.norm(self.encoder(x, mask=mask, is_causal=True)))

    def attention_weights(self, tokens: Any) -> list[np.ndarray]:
        """Per layer, the head-averaged attention weights (N, L, L) under the causal mask."""
        x = self._embed(tokens)
        mask = generate_square_subsequent_mask(x.shape[1], x.dtype)
        maps = []
        for layer in self.encoder.layers:
            normed = layer.norm1(x) if layer.norm_first else x
            _, weights = layer.self_attn(normed, normed, normed, attn_mask=mask, need_weights=True)
            maps.append(np.array(weights.data))
            x = layer(x, src_mask=mask, is_causal=True)
        return maps
