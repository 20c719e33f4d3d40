"""Scaled dot-product attention as one fused node.

Attention is the hot spot of a Transformer: composed from matmul, mul, add, softmax, mul
(dropout) and matmul it records six nodes and keeps six large (..., L, S) arrays alive.  One
node records once, keeps only the probabilities, and its backward is five short formulas.
"""

import numpy as np

from .. import _kernels
from .._threads import fit_to_product
from ..autograd.function import Node
from ..autograd.grad_mode import state as _grad_state


def _safe_softmax(xp, s):
    """softmax over the last axis, computed in place in ``s``; a row that is -inf everywhere
    (fully masked) gives zeros (as torch's scaled_dot_product_attention) instead of 0/0 = NaN."""
    top = s.max(axis=-1, keepdims=True)
    s -= xp.where(top == -xp.inf, 0, top)
    xp.exp(s, out=s)
    total = s.sum(axis=-1, keepdims=True)
    s /= xp.where(total == 0, 1, total)
    return s


class ScaledDotProductAttention(Node):
    """y = D @ v  with  D = P * keep,  P = softmax(S) (over the last dim),  S = scale q @ k^T + bias

    ``bias`` is the additive mask (0 where a query may look, -inf where not); ``keep`` is the
    dropout mask (0 or 1 / (1 - p)).  Both are optional inputs, named by the constructor flags.
    A row of S that is -inf everywhere gives P = 0 (and zero gradients), as torch.

    grad_v = D^T @ g
    grad_P = (g @ v^T) * keep
    grad_S = P * (grad_P - sum(grad_P * P))        (softmax's backward, along the last dim)
    grad_q = scale grad_S @ k,   grad_k = scale grad_S^T @ q,   grad_bias = grad_S
    (the engine sums each gradient back over broadcast batch dims)
    """

    def __init__(self, scale, has_bias, has_keep):
        self.scale = scale
        self.has_bias = has_bias
        self.has_keep = has_keep

    def forward(self, q, k, v, *extra):
        xp = self.xp
        k_t = xp.swapaxes(k, -1, -2)
        fit_to_product(q, k_t)  # BLAS threads: only the cores other programs leave free
        s = xp.matmul(q, k_t)
        bias = extra[0] if self.has_bias else None
        keep = extra[-1] if self.has_keep else None
        masks = _mask_rows(s, bias)
        if masks is not None:  # float32: scale, mask and softmax in one loop (ember/_kernels.py)
            _kernels.attention_rows(_kernels.rows(s), np.float32(self.scale), masks)
            p = s.astype(q.dtype, copy=False)  # (16-bit floats: NumPy's products are float32)
        else:
            s *= self.scale
            if bias is not None:
                s += bias  # nn.functional checked that bias broadcasts to the scores' shape
            p = _safe_softmax(xp, s).astype(q.dtype, copy=False)
        d = p * keep if keep is not None else p
        self.save(q, k, v, *extra, p, d)  # (d: backward needs it, and remaking it cost a pass)
        return xp.matmul(d, v).astype(q.dtype, copy=False)  # NumPy: bfloat16 products in float32

    def backward(self, grad):
        q, k, v, *extra, p, d = self.saved
        keep = extra[-1] if self.has_keep else None
        if _grad_state.enabled:  # create_graph: P must take part in the gradient's graph
            p = self._probabilities(q, k, extra[0] if self.has_bias else None)
            d = p * keep if keep is not None else p
        grad_v = d.mT @ grad if self.needs_input_grad[2] else None
        grad_p = grad @ v.mT
        if self._fused_backward(p, grad_p, keep):  # one loop (ember/_kernels.py), in place in
            # grad_p (a new array): scale * grad_s, dropout's mask and softmax's backward in it
            no_keep = np.empty((0, p.shape[-1]), dtype=np.float32)
            keep_rows = _kernels.rows(keep._data) if keep is not None else no_keep
            _kernels.attention_grad_rows(_kernels.rows(p._data), _kernels.rows(grad_p._data),
                                         keep_rows, np.float32(self.scale))
            grad_q = grad_p @ k if self.needs_input_grad[0] else None
            grad_k = grad_p.mT @ q if self.needs_input_grad[1] else None
            return tuple([grad_q, grad_k, grad_v] + [None] * len(extra))
        if keep is not None:
            grad_p = grad_p * keep
        grad_s = p * (grad_p - (grad_p * p).sum(-1, keepdim=True))
        grad_q = (grad_s @ k) * self.scale if self.needs_input_grad[0] else None
        grad_k = (grad_s.mT @ q) * self.scale if self.needs_input_grad[1] else None
        grads = [grad_q, grad_k, grad_v]
        if self.has_bias:
            grads.append(grad_s if self.needs_input_grad[3] else None)
        if self.has_keep:
            grads.append(None)
        return tuple(grads)

    def _fused_backward(self, p, grad_p, keep):
        """True when the kernel takes the scores' gradient: float32 arrays of one shape, no
        create_graph, and no gradient wanted for the mask (it is grad_s without the scale)."""
        if _grad_state.enabled or grad_p.shape != p.shape:
            return False
        if self.has_bias and self.needs_input_grad[3]:
            return False
        if keep is not None and (keep.shape != p.shape or not _kernels.takes(keep._data)):
            return False
        return _kernels.takes(p._data, grad_p._data)

    def _probabilities(self, q, k, bias):
        """P recomputed with ember ops, so that double backward differentiates through it."""
        s = (q @ k.mT) * self.scale
        if bias is not None:
            s = s + bias
        dead = (s == float("-inf")).all(-1, keepdim=True)  # fully masked rows
        if not bool(dead.any()):
            return s.softmax(-1)
        return s.masked_fill(dead, 0).softmax(-1).masked_fill(dead, 0)


def _mask_rows(s, bias):
    """The rows ``_kernels.attention_rows`` takes for the additive mask ``bias`` on the scores
    ``s`` (float32, C-contiguous): bias as (L, S), or no rows for no mask; None when the kernels
    do not take these (other dtypes or devices, or a mask that varies over batch or heads)."""
    if not _kernels.takes(s) or s.ndim < 2 or s.size == 0:
        return None
    if bias is None:
        return np.empty((0, s.shape[-1]), dtype=np.float32)
    if bias.shape[-2:] != s.shape[-2:] or any(n != 1 for n in bias.shape[:-2]):
        return None
    masks = _kernels.contiguous(bias.reshape(s.shape[-2:]))
    return masks if _kernels.takes(masks) else None


def scaled_dot_product_attention(query, key, value, bias=None, keep=None, scale=1.0):
    """The fused node on prepared tensors: ``bias`` an additive float mask broadcastable to
    (..., L, S) and ``keep`` a dropout mask, either may be None (nn.functional checks the
    arguments and builds them)."""
    extra = [t for t in (bias, keep) if t is not None]
    node = ScaledDotProductAttention(scale, bias is not None, keep is not None)
    return node.apply(query, key, value, *extra)
