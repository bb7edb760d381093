"""Attention with PyTorch's semantics: F.scaled_dot_product_attention and nn.MultiheadAttention.

Built on matmul, softmax, swapaxes, reshape and indexing, so every gradient (of any order) comes
from the engine's primitives. Masks follow torch exactly, and the two functions differ the way
torch's do:

- scaled_dot_product_attention: a boolean attn_mask is True where a query MAY attend; a float mask
  is added to the scores; is_causal=True allows key j for query i only when j <= i.
- MultiheadAttention: a boolean attn_mask / key_padding_mask is True where attention is NOT
  allowed (the position is masked out); float masks are added.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_core.ops as ops
from autograd_core import Tensor
from autograd_core.errors import DTypeError, InvalidArgumentError, ShapeError, UnsupportedError

from . import functional as F
from . import init
from .init import GeneratorLike, resolve_generator
from .layers import Linear, _factory_dtype, _positive_int
from .module import Module, Parameter
from autograd_core.tensor import is_floating_dtype

__all__ = ["scaled_dot_product_attention", "MultiheadAttention", "causal_mask"]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _mask_array(mask: Any) -> np.ndarray:
    return np.asarray(mask.data if isinstance(mask, Tensor) else mask)


def causal_mask(length: int, source_length: int | None = None) -> np.ndarray:
    """Boolean (L, S) array, True where query i may attend key j (j <= i): torch's tril(ones)."""
    source_length = length if source_length is None else source_length
    return np.tril(np.ones((length, source_length), dtype=bool))


def _attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    additive: Any,
    dropout_p: float,
    scale: float,
    generator: GeneratorLike = None,
) -> tuple[Tensor, Tensor]:
    """softmax(q k^T * scale + additive) (dropout) @ v -> (output (..., L, Ev), weights (..., L, S)),
    the weights after dropout (what multiplied v, as torch's MultiheadAttention returns them).

    `additive` is None, a numpy array or a Tensor broadcastable to (..., L, S)."""
    scores = ops.matmul(q, ops.swapaxes(k, -2, -1)) * scale
    if additive is not None:
        scores = scores + additive
    weights = ops.softmax(scores, axis=-1)
    attended = weights
    if dropout_p > 0.0:
        attended = F.dropout(weights, dropout_p, training=True, generator=generator)
    return ops.matmul(attended, v), attended


def _neg_inf_where(blocked: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """0 where allowed and -inf where blocked, in `dtype` (the additive form of a boolean mask)."""
    return np.where(blocked, -np.inf, 0.0).astype(dtype)


def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    *,
    generator: GeneratorLike = None,
) -> Tensor:
    """softmax(Q K^T * scale + mask) V over the last two axes (torch's math reference).

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); leading axes broadcast.
    scale defaults to 1/sqrt(E). attn_mask, broadcastable to (..., L, S): boolean True = may attend
    (False becomes -inf), float = added to the scores. is_causal=True masks keys after the query
    (the top-left aligned lower triangle) and must not be combined with attn_mask. dropout_p drops
    attention weights (always, as torch's function; modules pass 0 in eval mode)."""
    q, k, v = _as_tensor(query), _as_tensor(key), _as_tensor(value)
    name = "scaled_dot_product_attention"
    for label, t in (("query", q), ("key", k), ("value", v)):
        if not is_floating_dtype(t.dtype):
            raise DTypeError(f"{name}: {label} must be floating point, got {t.dtype}")
        if t.ndim < 2:
            raise ShapeError(f"{name}: {label} must have at least 2 dims (..., seq, features), got {t.shape}")
    if enable_gqa:
        raise UnsupportedError(f"{name}: enable_gqa=True is not supported")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(
            f"{name}: expected query (..., L, E), key (..., S, E), value (..., S, Ev); got "
            f"query {q.shape}, key {k.shape}, value {v.shape}"
        )
    if not isinstance(dropout_p, (int, float)) or isinstance(dropout_p, bool) or not 0.0 <= dropout_p <= 1.0:
        raise InvalidArgumentError(f"{name}: dropout_p must be in [0, 1], got {dropout_p!r}")
    length, source = q.shape[-2], k.shape[-2]
    additive: Any = None
    if is_causal:
        if attn_mask is not None:
            raise InvalidArgumentError(f"{name}: Explicit attn_mask should not be set when is_causal=True")
        additive = _neg_inf_where(~causal_mask(length, source), q.dtype)
    elif attn_mask is not None:
        mask = _mask_array(attn_mask)
        try:
            np.broadcast_shapes(mask.shape, (length, source))
        except ValueError:
            raise ShapeError(
                f"{name}: attn_mask of shape {mask.shape} does not broadcast to (..., {length}, "
                f"{source}) for query {q.shape} and key {k.shape}"
            ) from None
        if mask.dtype == bool:
            additive = _neg_inf_where(~mask, q.dtype)
        elif is_floating_dtype(mask.dtype):
            additive = attn_mask if isinstance(attn_mask, Tensor) else mask.astype(q.dtype, copy=False)
        else:
            raise DTypeError(f"{name}: attn_mask must be bool or floating point, got {mask.dtype}")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    out, _ = _attention(q, k, v, additive, float(dropout_p), scale, generator)
    return out


class MultiheadAttention(Module):
    """torch.nn.MultiheadAttention: num_heads parallel scaled dot-product attentions over
    embed_dim / num_heads features each, then an output projection.

    Parameters: in_proj_weight (3E, E) and in_proj_bias (3E,) [q, k, v rows], out_proj (Linear E->E);
    when kdim or vdim differs from embed_dim, q_proj_weight (E, E), k_proj_weight (E, kdim) and
    v_proj_weight (E, vdim) instead of in_proj_weight. Weights start xavier_uniform_, biases 0.

    forward(query (L, N, E), key (S, N, kdim), value (S, N, vdim)) — (N, L, E)... with batch_first,
    or unbatched (L, E) — returns (attn_output like query, attn_weights (N, L, S) averaged over heads,
    (N, num_heads, L, S) with average_attn_weights=False, or None with need_weights=False).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        generator: GeneratorLike = None,
    ) -> None:
        super().__init__()
        owner = "MultiheadAttention"
        self.embed_dim = _positive_int(embed_dim, owner, "embed_dim")
        self.num_heads = _positive_int(num_heads, owner, "num_heads")
        if self.embed_dim % self.num_heads != 0:
            raise InvalidArgumentError(
                f"{owner}: embed_dim must be divisible by num_heads, got "
                f"embed_dim={embed_dim}, num_heads={num_heads}"
            )
        if add_bias_kv or add_zero_attn:
            raise UnsupportedError(f"{owner}: add_bias_kv and add_zero_attn are not supported")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise InvalidArgumentError(f"{owner}: dropout must be in [0, 1], got {dropout!r}")
        self.kdim = self.embed_dim if kdim is None else _positive_int(kdim, owner, "kdim")
        self.vdim = self.embed_dim if vdim is None else _positive_int(vdim, owner, "vdim")
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.dropout = float(dropout)
        self.batch_first = bool(batch_first)
        self.head_dim = self.embed_dim // self.num_heads
        self.bias_k = self.bias_v = None
        self.add_zero_attn = False
        dtype = _factory_dtype(dtype, device, owner)
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(np.zeros((3 * e, e), dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(np.zeros((e, e), dtype=dtype))
            self.k_proj_weight = Parameter(np.zeros((e, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(np.zeros((e, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(np.zeros((3 * e,), dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        rng = resolve_generator(generator)
        self.out_proj = Linear(e, e, bias=bias, dtype=dtype, generator=rng)
        self.generator = None if generator is None else rng
        self._reset_parameters(rng)

    def _reset_parameters(self, generator: GeneratorLike = None) -> None:
        """xavier_uniform_ projection weights, zero biases (torch's _reset_parameters)."""
        rng = resolve_generator(generator)
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight, generator=rng)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight, generator=rng)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _projections(self) -> tuple:
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            weights = (w[0:e], w[e : 2 * e], w[2 * e : 3 * e])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        biases = (None, None, None) if b is None else (b[0:e], b[e : 2 * e], b[2 * e : 3 * e])
        return weights, biases

    def _additive_mask(
        self, attn_mask: Any, key_padding_mask: Any, batch: int, length: int, source: int, dtype: np.dtype
    ) -> Any:
        """attn_mask ((L, S) or (N*heads, L, S)) and key_padding_mask ((N, S)) as one additive term
        broadcastable to (N, heads, L, S): boolean True -> -inf, floats added as they are."""
        owner = "MultiheadAttention"
        total: Any = None
        if attn_mask is not None:
            mask = _mask_array(attn_mask)
            if mask.shape == (length, source):
                shape = (1, 1, length, source)
            elif mask.shape == (batch * self.num_heads, length, source):
                shape = (batch, self.num_heads, length, source)
            else:
                raise ShapeError(
                    f"{owner}: attn_mask should have shape {(length, source)} or "
                    f"{(batch * self.num_heads, length, source)}, got {mask.shape}"
                )
            if mask.dtype == bool:
                total = _neg_inf_where(mask, dtype).reshape(shape)
            elif is_floating_dtype(mask.dtype):
                total = (
                    ops.reshape(attn_mask, shape)
                    if isinstance(attn_mask, Tensor)
                    else mask.astype(dtype, copy=False).reshape(shape)
                )
            else:
                raise DTypeError(
                    f"{owner}: only bool and floating types of attn_mask are supported, got {mask.dtype}"
                )
        if key_padding_mask is not None:
            mask = _mask_array(key_padding_mask)
            if mask.shape != (batch, source):
                raise ShapeError(
                    f"{owner}: expected key_padding_mask of shape {(batch, source)}, got {mask.shape}"
                )
            if mask.dtype == bool:
                padding = _neg_inf_where(mask, dtype).reshape(batch, 1, 1, source)
            elif is_floating_dtype(mask.dtype):
                padding = (
                    ops.reshape(key_padding_mask, (batch, 1, 1, source))
                    if isinstance(key_padding_mask, Tensor)
                    else mask.astype(dtype).reshape(batch, 1, 1, source)
                )
            else:
                raise DTypeError(
                    f"{owner}: only bool and floating types of key_padding_mask are supported, "
                    f"got {mask.dtype}"
                )
            total = padding if total is None else total + padding
        return total

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """(attn_output, attn_weights); see the class docstring for shapes. is_causal is, as in torch,
        a hint that attn_mask is the causal mask: attn_mask is required with it and is what is applied."""
        owner = "MultiheadAttention"
        q_in, k_in, v_in = _as_tensor(query), _as_tensor(key), _as_tensor(value)
        if is_causal and attn_mask is None:
            raise InvalidArgumentError(
                f"{owner}: Need attn_mask if specifying the is_causal hint "
                "(e.g. nn.transformer.generate_square_subsequent_mask)"
            )
        unbatched = q_in.ndim == 2
        for label, t, features in (
            ("query", q_in, self.embed_dim),
            ("key", k_in, self.kdim),
            ("value", v_in, self.vdim),
        ):
            if not is_floating_dtype(t.dtype):
                raise DTypeError(f"{owner}: {label} must be floating point, got {t.dtype}")
            if t.ndim != (2 if unbatched else 3) or t.shape[-1] != features:
                kind = "(L, E) unbatched" if unbatched else "(L, N, E) / (N, L, E)"
                raise ShapeError(f"{owner}: expected {label} {kind} with {features} features, got {t.shape}")
        if unbatched:
            q_in, k_in, v_in = (ops.reshape(t, (t.shape[0], 1, t.shape[1])) for t in (q_in, k_in, v_in))
            if key_padding_mask is not None:
                key_padding_mask = (
                    _mask_array(key_padding_mask).reshape(1, -1)
                    if not isinstance(key_padding_mask, Tensor)
                    else ops.reshape(key_padding_mask, (1, -1))
                )
        elif self.batch_first:
            q_in, k_in, v_in = (ops.swapaxes(t, 0, 1) for t in (q_in, k_in, v_in))
        length, batch, e = q_in.shape
        source = k_in.shape[0]
        if k_in.shape[:2] != v_in.shape[:2] or k_in.shape[1] != batch:
            raise ShapeError(
                f"{owner}: key and value must have the same (S, N) as each other and N as query; "
                f"got query {q_in.shape}, key {k_in.shape}, value {v_in.shape} (seq-first)"
            )
        self_attention = query is key and key is value and self._qkv_same_embed_dim
        heads, head_dim = self.num_heads, self.head_dim

        def batch_major(x: Tensor) -> Tensor:
            # (steps, N, features) -> a row-major (N, steps, features) copy: each (batch, head)
            # block of q, k and v is then one stretch of rows, which the head matmuls read about
            # twice as fast as rows strided by N * features.
            return ops.swapaxes(x, 0, 1).contiguous()

        def split_heads(x: Tensor, steps: int) -> Tensor:
            # batch-major (N, steps, E) -> (N, heads, steps, head_dim)
            return ops.swapaxes(ops.reshape(x, (batch, steps, heads, head_dim)), 1, 2)

        if self_attention:  # one (3E, E) projection for q, k and v, then split (torch's packed path)
            packed = batch_major(ops.linear(q_in, self.in_proj_weight, self.in_proj_bias))
            q = split_heads(packed[..., 0:e], length)
            k = split_heads(packed[..., e : 2 * e], source)
            v = split_heads(packed[..., 2 * e :], source)
        else:
            (w_q, w_k, w_v), (b_q, b_k, b_v) = self._projections()
            q = split_heads(batch_major(ops.linear(q_in, w_q, b_q)), length)
            k = split_heads(batch_major(ops.linear(k_in, w_k, b_k)), source)
            v = split_heads(batch_major(ops.linear(v_in, w_v, b_v)), source)
        additive = self._additive_mask(attn_mask, key_padding_mask, batch, length, source, q.dtype)
        dropout_p = self.dropout if self.training else 0.0
        out, weights = _attention(q, k, v, additive, dropout_p, 1.0 / math.sqrt(head_dim), self.generator)
        # (N, heads, L, hd) -> (L, N, E)
        out = ops.reshape(ops.swapaxes(ops.swapaxes(out, 1, 2), 0, 1), (length, batch, e))
        out = self.out_proj(out)
        if unbatched:
            out = ops.reshape(out, (length, e))
        elif self.batch_first:
            out = ops.swapaxes(out, 0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = ops.mean(weights, axis=1)
        if unbatched:
            weights = ops.reshape(weights, weights.shape[1:])
        return out, weights

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
            f"batch_first={self.batch_first}"
        )
