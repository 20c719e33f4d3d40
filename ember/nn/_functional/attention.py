"""nn.functional attention: scaled_dot_product_attention and multi_head_attention_forward.

    attention(q, k, v) = softmax(q k^T * scale + mask) v

scaled_dot_product_attention runs one fused node (ember/ops/attention.py).  Multi-head
attention projects the inputs, splits the embedding into ``num_heads`` heads of
``embed_dim // num_heads`` features, attends within each head (all heads in one batched
product) and projects the concatenated heads back.  Its masks follow nn.MultiheadAttention:
a bool ``True`` means "do not attend" (the opposite of scaled_dot_product_attention's).
"""

import math
import warnings

import numpy as np

from ... import _dtype as D
from ... import _random
from ..._random import rand
from ...ops import attention as _attention
from ...ops.creation import empty, ones, zeros
from ...ops.join import cat
from .. import functional as F

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _sdpa_checks(query, key, value, attn_mask):
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
            f"{query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead.")
    if not (query.dtype is key.dtype is value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_c_name(query.dtype)} key.dtype: {_c_name(key.dtype)} and value.dtype: "
            f"{_c_name(value.dtype)} instead.")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{_rows(query)}, {query.shape[-1]}] but got: [{_rows(key)}, {key.shape[-1]}].\n"
            f"  ember: query {list(query.shape)}, key {list(key.shape)}, value "
            f"{list(value.shape)}: query and key need the same last dim (E) and key and value "
            "the same sequence length (dim -2)")
    if attn_mask is not None and attn_mask.dtype is not D.bool and (
            attn_mask.dtype.category != D.FLOAT or attn_mask.dtype is not query.dtype):
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {_c_name(attn_mask.dtype)} and  query.dtype: "
            f"{_c_name(query.dtype)} instead.")


def _c_name(dtype):
    names = {"float32": "float", "float64": "double", "float16": "c10::Half",
             "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "bool": "bool"}
    return names.get(dtype.name, dtype.name)


def _rows(t):
    n = 1
    for s in t.shape[:-2]:
        n *= s
    return n


def _additive(mask, dtype, allowed_value):
    """A float mask to add to the scores: a bool mask becomes 0 / -inf (``allowed_value`` is
    the bool that means "may attend"); a float mask is used as it is."""
    if mask.dtype is not D.bool:
        return mask
    blocked = ~mask if allowed_value else mask
    return zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(blocked, -math.inf)


def _dropout_keep(shape, p, like):
    """The dropout mask: 0 with probability p, else 1 / (1 - p).
    NOTE: drawn as rand() < 1 - p, which costs half of bernoulli_(1 - p) (one random word per
    value instead of two); torch's attention dropout is not F.dropout's stream either."""
    if p >= 1:
        return zeros(shape, dtype=like.dtype, device=like.device)
    if like.dtype is D.float32 and like.device.type == "cpu":  # the same mask, in one pass
        keep = empty(shape, dtype=D.float32)
        return _random.scaled_uniform_below_(keep, 1 - p, np.float32(1 / (1 - p)))
    kept = rand(shape, dtype=like.dtype, device=like.device) < 1 - p
    return kept.to(like.dtype).mul_(1 / (1 - p))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value on (..., L, E), (..., S, E), (..., S, Ev).

    ``attn_mask``: bool (True = may attend) or float (added to the scores), broadcastable to
    (..., L, S).  ``is_causal``: query i attends to keys 0..i only.  ``scale`` defaults to
    1 / sqrt(E).  ``dropout_p`` drops attention probabilities (always: pass 0 in eval).
    ``enable_gqa``: key and value may have fewer heads (dim -3) than query, shared by groups.
    A query that may attend to nothing gets zeros. Same as torch's.
    """
    _sdpa_checks(query, key, value, attn_mask)
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    L, S = query.shape[-2], key.shape[-2]
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if heads % kv_heads or value.shape[-3] != kv_heads:
            raise RuntimeError("Number of heads in key and value must divide the number of heads "
                               f"in query (query has {heads}, key {kv_heads}, value "
                               f"{value.shape[-3]})")
        key = key.repeat_interleave(heads // kv_heads, dim=-3)
        value = value.repeat_interleave(heads // kv_heads, dim=-3)
    bias = None
    if is_causal:
        allowed = ones((L, S), dtype=D.bool, device=query.device).tril()
        bias = _additive(allowed, query.dtype, True)
    elif attn_mask is not None:
        bias = _additive(attn_mask, query.dtype, True)
    scores_shape = _scores_shape(query, key, value, bias)
    keep = _dropout_keep(scores_shape, dropout_p, query) if dropout_p > 0 else None
    if scale is None:
        scale = 1 / math.sqrt(query.shape[-1])
    return _attention.scaled_dot_product_attention(query, key, value, bias, keep, scale)


def _scores_shape(query, key, value, bias):
    """The shape of softmax(q k^T + bias): the broadcast batch dims, then (L, S).  The mask
    may not add dims to the scores (torch's error)."""
    from ...ops.shape import broadcast_shapes

    scores = tuple(broadcast_shapes(query.shape[:-2] + (query.shape[-2], key.shape[-2]),
                                    key.shape[:-2] + (1, 1), value.shape[:-2] + (1, 1)))
    if bias is None:
        return scores
    try:
        total = tuple(broadcast_shapes(scores, bias.shape))
    except RuntimeError as error:
        raise RuntimeError(
            f"{error}\n  ember: in scaled_dot_product_attention the scores have shape "
            f"{list(scores)} and attn_mask {list(bias.shape)}; the mask must broadcast to "
            "(..., L, S)") from None
    if total != scores:
        raise RuntimeError(f"output with shape {list(scores)} doesn't match the broadcast shape "
                           f"{list(total)}\n  ember: attn_mask {list(bias.shape)} has more or "
                           f"larger batch dims than the attention scores {list(scores)}")
    return scores


# ---------------------------------------------------------------------------- multi-head


def _check_mha_inputs(query, key, value, key_padding_mask, attn_mask, num_heads):
    """torch's checks (as AssertionErrors); returns whether the input has a batch dim."""
    q, k, v = query.ndim, key.ndim, value.ndim
    if q == 3:
        if k != 3 or v != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be "
                                 f"3-D but found {k}-D and {v}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.ndim}-D tensor instead")
        return True
    if q == 2:
        if k != 2 or v != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {k}-D and {v}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 1-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.ndim}-D tensor "
                                     "instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {q}-D "
                         "query tensor")


def _mask_kind_check(mask, name):
    if mask is not None and mask.dtype is not D.bool and mask.dtype.category != D.FLOAT:
        raise AssertionError(f"only bool and floating types of {name} are supported")


def _pad_last(mask):
    """One more key column that every query may attend to (0 / False)."""
    return cat([mask, mask.new_zeros(tuple(mask.shape[:-1]) + (1,))], -1)


def _project(x, weight, bias):
    """linear over the last dim of a (N, L, E) tensor, as one (N*L, E) matrix product."""
    n, length, _ = x.shape
    return F.linear(x.reshape(n * length, x.shape[-1]), weight, bias).reshape(n, length, -1)


def _heads(x, num_heads):
    """(N, L, E) -> (N, heads, L, E / heads)."""
    n, length, e = x.shape
    return x.reshape(n, length, num_heads, e // num_heads).transpose(1, 2)


def _in_projection(query, key, value, num_heads, in_proj_weight, in_proj_bias,
                   use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight):
    """q, k, v = query W_q^T + b_q, key W_k^T + b_k, value W_v^T + b_v, each (N, L|S, E).
    Self-attention (query is key is value) runs the three as one product with in_proj_weight."""
    e = query.shape[-1]
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias[:e], in_proj_bias[e:2 * e], in_proj_bias[2 * e:]
    if use_separate_proj_weight:
        return (_project(query, q_proj_weight, b_q), _project(key, k_proj_weight, b_k),
                _project(value, v_proj_weight, b_v))
    if query is key and key is value:
        n, length, _ = query.shape
        qkv = _project(query, in_proj_weight, in_proj_bias).reshape(n, length, 3, e)
        return qkv.unbind(2)
    w_q, w_k, w_v = in_proj_weight[:e], in_proj_weight[e:2 * e], in_proj_weight[2 * e:]
    return _project(query, w_q, b_q), _project(key, w_k, b_k), _project(value, w_v, b_v)


def _check_mha_sizes(query, key, value, embed_dim_to_check, num_heads, use_separate_proj_weight,
                     key_padding_mask, attn_mask, is_causal):
    """torch's size checks in its (L, N, E) layout."""
    length, batch, embed_dim = query.shape
    source = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    if embed_dim % num_heads:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if attn_mask is not None:
        if attn_mask.ndim == 2 and tuple(attn_mask.shape) != (length, source):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should "
                               f"be {(length, source)}.")
        if attn_mask.ndim == 3 and tuple(attn_mask.shape) != (batch * num_heads, length, source):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should "
                               f"be {(batch * num_heads, length, source)}.")
    if key_padding_mask is not None:
        for dim, size in enumerate((batch, source)):
            if key_padding_mask.shape[dim] != size:
                raise AssertionError(f"Expected key_padded_mask.shape[{dim}] to be {size}, but "
                                     f"got {key_padding_mask.shape[dim]}")


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention on (L, N, E) query and (S, N, Ek/Ev) key and value (or unbatched
    (L, E), (S, E)).  Returns (output (L, N, E), weights (N, L, S), or (N, heads, L, S) when
    not averaged, or None when not need_weights).

        q, k, v = query W_q^T + b_q, key W_k^T + b_k, value W_v^T + b_v, split into heads
        head_h = softmax(q_h k_h^T / sqrt(E / heads) + mask) v_h        (dropout on softmax)
        output = concat(head_1 .. head_heads) W_out^T + b_out

    Masks: bool True (or -inf in a float mask) = do not attend.  ``key_padding_mask`` (N, S)
    hides keys of each sample; ``attn_mask`` (L, S) or (N * heads, L, S) hides query-key pairs.
    ``is_causal`` is only a hint that attn_mask is causal; attn_mask is what is applied.
    Same as torch.nn.functional.multi_head_attention_forward.
    """
    batched = _check_mha_inputs(query, key, value, key_padding_mask, attn_mask, num_heads)
    _mask_kind_check(key_padding_mask, "key_padding_mask")
    _mask_kind_check(attn_mask, "attn_mask")
    if (key_padding_mask is not None and attn_mask is not None
            and (key_padding_mask.dtype is D.bool) != (attn_mask.dtype is D.bool)):
        warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. Use "
                      "same type for both instead.", stacklevel=2)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    _check_mha_sizes(query, key, value, embed_dim_to_check, num_heads, use_separate_proj_weight,
                     key_padding_mask, attn_mask, is_causal)
    if not training:
        dropout_p = 0.0
    # work batch-first: (L, N, E) -> (N, L, E); the same tensor stays the same for self-attention
    q_in = query.transpose(0, 1)
    k_in = q_in if key is query else key.transpose(0, 1)
    v_in = k_in if value is key else value.transpose(0, 1)
    output, weights = _multi_head(
        q_in, k_in, v_in, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
        add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, key_padding_mask, need_weights,
        attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight,
        static_k, static_v, average_attn_weights)
    output = output.transpose(0, 1)
    if not batched:
        output = output.squeeze(1)
        weights = weights.squeeze(0) if weights is not None else None
    return output, weights


def _multi_head(query, key, value, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
                add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, key_padding_mask,
                need_weights, attn_mask, use_separate_proj_weight, q_proj_weight, k_proj_weight,
                v_proj_weight, static_k, static_v, average_attn_weights):
    """The computation on batch-first (N, L, E) inputs; see multi_head_attention_forward."""
    batch, length, embed_dim = query.shape
    head_dim = embed_dim // num_heads
    q, k, v = _in_projection(query, key, value, num_heads, in_proj_weight, in_proj_bias,
                             use_separate_proj_weight, q_proj_weight, k_proj_weight,
                             v_proj_weight)
    if bias_k is not None and bias_v is not None:  # one more learned key and value
        k = cat([k, bias_k.reshape(1, 1, embed_dim).expand(batch, 1, embed_dim)], 1)
        v = cat([v, bias_v.reshape(1, 1, embed_dim).expand(batch, 1, embed_dim)], 1)
        attn_mask = _pad_last(attn_mask) if attn_mask is not None else None
        key_padding_mask = _pad_last(key_padding_mask) if key_padding_mask is not None else None
    q = _heads(q, num_heads)
    k = _heads(k, num_heads) if static_k is None else _static(static_k, "k", batch, num_heads)
    v = _heads(v, num_heads) if static_v is None else _static(static_v, "v", batch, num_heads)
    if add_zero_attn:  # one more key and value of zeros
        k = cat([k, k.new_zeros((batch, num_heads, 1, head_dim))], 2)
        v = cat([v, v.new_zeros((batch, num_heads, 1, head_dim))], 2)
        attn_mask = _pad_last(attn_mask) if attn_mask is not None else None
        key_padding_mask = _pad_last(key_padding_mask) if key_padding_mask is not None else None
    mask = _merged_mask(attn_mask, key_padding_mask, q.dtype, batch, num_heads)
    weights = None
    if need_weights:
        scores = (q * (1 / math.sqrt(head_dim))) @ k.mT
        if mask is not None:
            scores = scores + mask
        weights = F.softmax(scores, dim=-1)
        if dropout_p > 0:
            weights = F.dropout(weights, p=dropout_p)
        heads = weights @ v
        if average_attn_weights:
            weights = weights.mean(1)
    else:
        heads = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
    # (N, heads, L, head_dim) -> (N * L, E): the heads side by side, then the output projection
    joined = heads.transpose(1, 2).reshape(batch * length, embed_dim)
    output = F.linear(joined, out_proj_weight, out_proj_bias).reshape(batch, length, embed_dim)
    return output, weights


def _static(t, which, batch, num_heads):
    """A precomputed key or value (N * heads, S, head_dim) as (N, heads, S, head_dim)."""
    if t.shape[0] != batch * num_heads:
        raise AssertionError(f"expecting static_{which}.size(0) of {batch * num_heads}, but got "
                             f"{t.shape[0]}")
    return t.reshape(batch, num_heads, t.shape[1], t.shape[2])


def _merged_mask(attn_mask, key_padding_mask, dtype, batch, num_heads):
    """One float mask to add to the (N, heads, L, S) scores, or None.
    attn_mask (L, S) or (N * heads, L, S); key_padding_mask (N, S) -> (N, 1, 1, S)."""
    mask = None
    if attn_mask is not None:
        mask = _additive(attn_mask, dtype, False)
        if mask.ndim == 3:
            mask = mask.reshape(batch, num_heads, mask.shape[1], mask.shape[2])
    if key_padding_mask is not None:
        padding = _additive(key_padding_mask, dtype, False)
        padding = padding.reshape(batch, 1, 1, padding.shape[1])
        mask = padding if mask is None else mask + padding
    if mask is not None and mask.dtype is not dtype:
        mask = mask.to(dtype)
    return mask
