"""nn.functional, losses: regression (mse, l1, huber, smooth_l1), classification
(nll, cross_entropy, binary cross entropy), kl_div, soft_margin and cosine_embedding.

Margin and ranking losses live in margin_loss.py, the likelihood losses (poisson, gaussian) and
CTC in their own files; nn.functional re-exports them all.
"""

import warnings

from ... import _dtype as D
from ..._errors import device_mismatch
from ...autograd.function import Node as _Node
from ...autograd.grad_mode import is_grad_enabled
from ...ops import binary as _binary
from ...ops import nn as _nn
from ...ops.binary import quiet as _quiet
from ...ops.binary_math import where as _where
from .activation import softplus

__all__ = [
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "soft_margin_loss", "kl_div",
    "cosine_embedding_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "nll_loss", "cross_entropy",
]


def _reduce(loss, reduction):
    """Apply a loss's ``reduction``: 'mean', 'sum' or 'none'."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """mean((input - target)^2); with ``weight``, sum(w (input - target)^2) / sum(w).
    Same as torch.nn.functional.mse_loss."""
    if target._data.shape != input._data.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=2)
    if size_average is not None or reduce is not None:
        from ..modules.loss import _legacy_reduction

        reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if weight is not None:
        return _weighted_mse(input, target, weight, reduction)
    input, target = _binary.operands(input, target)
    if input._dtype.category < D.FLOAT:
        raise RuntimeError(f'"mse_cpu" not implemented for \'{input.dtype._short}\'')
    return _nn.MseLoss(reduction).apply(input, target)


def _weighted_mse(input, target, weight, reduction):
    """Each squared error scaled by its weight; 'mean' divides by the total weight, not the
    count, so a zero weight removes an element from the mean (as torch does)."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    weighted = (input - target) ** 2 * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / weight.sum()


def _legacy(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    from ..modules.loss import _legacy_reduction

    return _legacy_reduction(size_average, reduce, reduction)


def _check_reduction(reduction):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _warn_broadcast(input, target):
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.", stacklevel=3)


def _weighted_reduce(loss, weight, reduction):
    _check_reduction(reduction)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced. Same as torch.nn.functional.l1_loss."""
    _warn_broadcast(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    return _weighted_reduce((input - target).abs(), weight, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2), with d = input - target."""
    _warn_broadcast(input, target)
    d = input - target
    a = d.abs()
    loss = _where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    return _weighted_reduce(loss, weight, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (l1_loss when beta = 0)."""
    _warn_broadcast(input, target)
    reduction = _legacy(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input - target
    a = d.abs()
    if beta == 0:
        return _weighted_reduce(a, None, reduction)
    loss = _where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)
    return _weighted_reduce(loss, None, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)), reduced (targets are +1 / -1)."""
    reduction = _legacy(size_average, reduce, reduction)
    return _weighted_reduce((-target * input).exp().log1p(), None, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """target * (log(target) - input) (input holds log-probabilities), reduced; 'batchmean'
    divides the sum by the batch size, the mathematical KL divergence."""
    reduction = _legacy(size_average, reduce, reduction)
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = target.xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _weighted_reduce(loss, None, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target = 1, max(0, cos(x1, x2) - margin) where target = -1."""
    reduction = _legacy(size_average, reduce, reduction)
    eps = 1e-12
    dot = (input1 * input2).sum(-1)
    mag = ((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps)
    cos = dot / mag.sqrt()
    pos = _where(target == 1, 1 - cos, cos * 0)
    neg = _where(target == -1, (cos - margin).clamp(min=0), cos * 0)
    return _weighted_reduce(pos + neg, None, reduction)


class _BinaryCrossEntropy(_Node):
    """l = -(t log(x) + (1 - t) log(1 - x)), each log clamped to >= -100 (so x = 0 or 1 gives a
    finite loss); dl/dx = (x - t) / max(x (1 - x), 1e-12), dl/dt = log(1 - x) - log(x)."""

    @_quiet

    def forward(self, x, t):
        xp = self.xp
        log_x = xp.maximum(xp.log(x), -100)
        log_1mx = xp.maximum(xp.log1p(-x), -100)
        self.save(x, t)
        return ((t - 1) * log_1mx - t * log_x).astype(x.dtype, copy=False)

    def backward(self, grad):
        x, t = self.saved
        grad_x = grad_t = None
        if self.needs_input_grad[0]:
            grad_x = grad * (x - t) / (x * (1 - x)).clamp(min=1e-12)
        if self.needs_input_grad[1]:
            # NOTE: unclamped, as torch: infinite where x is 0 or 1
            grad_t = grad * ((-x).log1p() - x.log())
        return grad_x, grad_t


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-(t log(x) + (1 - t) log(1 - x)) for probabilities x in [0, 1], reduced."""
    reduction = _legacy(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
            + _bce_shape_hint(input, target))
    # both are probabilities: a target outside [0, 1] (class labels like 2, or NaN) would
    # give a finite but meaningless loss, so torch refuses it as it refuses such an input
    for name, t in (("input", input), ("target", target)):
        if t.numel() and not bool(((t >= 0) & (t <= 1)).all()):
            raise RuntimeError(
                f"all elements of {name} should be between 0 and 1\n  ember: binary_cross_entropy "
                "takes probabilities: apply sigmoid to raw scores (or use "
                "binary_cross_entropy_with_logits), and use cross_entropy for class indices")
    if target.dtype is not input.dtype:
        target = target.to(input.dtype)
    loss = _BinaryCrossEntropy().apply(input, target)
    return _weighted_reduce(loss, weight, reduction)


def _bce_shape_hint(input, target):
    return (f"\n  ember: input has shape {tuple(input.shape)} and target {tuple(target.shape)}; "
            "make them match, e.g. target.view_as(input) or input.squeeze(-1) for a (N, 1) "
            "model output")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """-(pos_weight t log(sigmoid(x)) + (1 - t) log(1 - sigmoid(x))), computed from the logits
    x without forming sigmoid(x), so it stays finite for large |x|."""
    reduction = _legacy(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
            + _bce_shape_hint(input, target))
    # -log(sigmoid(x)) = softplus(-x); (1 - t) x + softplus(-x) is the loss for pos_weight = 1
    neg_log_sig = softplus(-input)
    if pos_weight is not None:
        loss = (1 - target) * input + ((pos_weight - 1) * target + 1) * neg_log_sig
    else:
        loss = (1 - target) * input + neg_log_sig
    return _weighted_reduce(loss, weight, reduction)


def _nll_check(input, target, weight, hint):
    if input.ndim == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1 and target.ndim > 0 or input.ndim == 2 and target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported"
                           + (hint("shape") if hint else ""))
    if input.ndim >= 2 and target.ndim >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if input.ndim > 2:
        expected = [input.shape[0], *input.shape[2:]]
        if list(target.shape) != expected:
            raise RuntimeError(f"Expected target size {expected}, got {list(target.shape)}")
    if target.dtype not in (D.int64, D.uint8):
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {target.dtype._short}"
            + (hint("dtype") if hint else ""))
    classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(
            f"weight tensor should be defined either for all {classes} classes or no classes "
            f"but got weight tensor of shape: {list(weight.shape)}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean", *, _hint=None):
    """-w[t] * input[t] per sample (input holds log-probabilities, class dim 1); 'mean' divides
    by the total weight of the targets that are not ``ignore_index``.  One node: ops/nn.py's
    NllLoss."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    _nll_check(input, target, weight, _hint)
    for other in (target, weight):
        if other is not None and other.device != input.device:
            raise device_mismatch(input.device, other.device, "nll_loss")
    if weight is not None and weight.dtype is not input.dtype:
        raise RuntimeError(
            f"expected scalar type {input.dtype._short} but found "
            f"{weight.dtype._short}\n  ember: the class weights of nll_loss/cross_entropy "
            f"must have the input's dtype ({input.dtype}): pass weight.to({input.dtype})")
    if weight is not None and weight.requires_grad and is_grad_enabled():
        raise RuntimeError("The function 'nll_loss_forward' is not differentiable with respect "
                           "to argument 'weight'. This input cannot have requires_grad True.")
    node = _nn.NllLoss(target._data, None if weight is None else weight._data, ignore_index,
                       reduction)
    return node.apply(input)


def _cross_entropy_hint(kind):
    if kind == "dtype":
        return ("\n  ember: class-index targets must be int64 (target.long()); for class "
                "probabilities, pass a float target of the same shape as input (N, C)")
    return ("\n  ember: class-index targets have shape (N,); a one-hot (N, C) target needs "
            "float dtype (target.float()) or convert it with target.argmax(1); a (N, 1) target "
            "needs target.squeeze(1)")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """nll_loss(log_softmax(input, 1), target) for class indices, or
    -sum_c w_c p_c log_softmax(input)_c for class probabilities p (a float target shaped like
    input); ``label_smoothing`` mixes the targets with the uniform distribution."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if input.ndim >= 2 else 0
    logp = _nn.log_softmax(input, class_dim)
    classes = input.shape[class_dim] if input.ndim else 1
    w_shape = [1] * input.ndim
    if input.ndim:
        w_shape[class_dim] = classes
    if target.shape == input.shape:
        if target.dtype.category < D.FLOAT:
            raise RuntimeError("Expected floating point type for target with class probabilities, "
                               f"got {target.dtype._short}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        terms = logp * target
        if weight is not None:
            terms = terms * weight.reshape(w_shape)
        loss = -terms.sum(class_dim)
        if reduction == "mean":
            return loss.sum() / (input.numel() // classes) if input.numel() else loss.sum() / 0
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction,
                   _hint=_cross_entropy_hint)
    if label_smoothing == 0:
        return nll
    terms = logp if weight is None else logp * weight.reshape(w_shape)
    valid = target != ignore_index
    smooth = _where(valid, -terms.sum(class_dim), 0)
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / valid.sum()
        else:  # over the total weight of the counted targets, as the nll term
            smooth = smooth.sum() / _where(valid, weight[_where(valid, target, 0)], 0).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)
