"""nn.functional, margin and ranking losses: margin_ranking, hinge_embedding, triplet_margin
(with a custom distance too), multi_margin, multilabel_margin, multilabel_soft_margin.

Each one is composed from ember ops (clamp, where, gather, logsigmoid), so autograd gives the
gradients; each reduces with ``reduction`` ('mean', 'sum' or 'none').
"""

from ... import _dtype as D
from ..._device import xp_for
from ..._tensor import Tensor
from ...ops.binary_math import where as _where
from ...ops.creation import arange as _arange
from .activation import logsigmoid
from .distance import pairwise_distance
from .loss import _check_reduction, _legacy, _reduce

__all__ = [
    "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
]


def _reduced(loss, reduction):
    _check_reduction(reduction)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 where y = 1, below where y = -1.
    Shape: input1, input2, target all (N) or () -> () or (N) with reduction='none'."""
    reduction = _legacy(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    loss = (-target * (input1 - input2) + margin).clamp(min=0)
    return _reduced(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1 (x is usually a distance).
    NOTE: as torch, a target that is neither 1 nor -1 gets both terms."""
    reduction = _legacy(size_average, reduce, reduction)
    hinge = _where(target != 1, (margin - input).clamp(min=0), 0)
    direct = _where(target != -1, input, 0)
    return _reduced(hinge + direct, reduction)


def _check_triplet_dims(anchor, positive, negative):
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with d the pairwise p-norm distance (+ eps); with
    ``swap``, d(a, n) is replaced by min(d(a, n), d(p, n)).  Shape: (N, D) or (D,) each."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_triplet_dims(anchor, positive, negative)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduced((d_pos - d_neg + margin).clamp(min=0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) for any distance function d (default: the pairwise
    Euclidean distance); ``swap`` as triplet_margin_loss."""
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    distance = distance_function if distance_function is not None else pairwise_distance
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(distance(positive, negative))
    return _reduced((d_pos - d_neg + margin).clamp(min=0), reduction)


def _check_class_target(input, target):
    if input.ndim > 2 or (input.ndim and input.numel() == 0 and input.ndim != 2):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    if target.dtype is not D.int64:
        raise RuntimeError(f"expected scalar type Long but found {target.dtype._short}")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss of each sample x (C scores) with class y:
    sum over i != y of w[y] max(0, margin - x[y] + x[i])^p, divided by C  (p is 1 or 2).
    Shape: input (N, C) or (C,), target (N) or () int64 -> (N) with reduction='none'."""
    reduction = _legacy(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    _check_class_target(input, target)
    scores = input if input.ndim == 2 else input.reshape(1, -1)
    labels = target.reshape(-1)
    if labels.shape[0] != scores.shape[0]:
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{scores.shape[0]}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}.")
    classes = scores.shape[1]
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise RuntimeError("target out of range")
    picked = scores.gather(1, labels.unsqueeze(1))  # x[y], (N, 1)
    hinge = (scores - picked + margin).clamp(min=0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight[labels].unsqueeze(1)
    others = labels.unsqueeze(1) != _arange_like(scores, classes)
    loss = _where(others, hinge, 0).sum(1) / classes
    if input.ndim < 2 and reduction == "none":
        loss = loss.reshape(target.shape)
    return _reduced(loss, reduction)


def _arange_like(x, n):
    return _arange(n, device=x.device)


def _multilabel_targets(labels, classes):
    """(is_target (N, C): class c is one of the sample's targets;  valid (N, J): position j of
    the target row holds a class, i.e. it comes before the first negative entry)."""
    xp = xp_for(labels.device)
    t = labels._data
    valid = xp.cumsum(t < 0, axis=1) == 0
    if bool((t[valid] >= classes).any()):
        raise RuntimeError("argument #2 'target' is out of range")
    is_target = xp.zeros((t.shape[0], classes), dtype=bool)
    rows = xp.broadcast_to(xp.arange(t.shape[0])[:, None], t.shape)
    is_target[rows[valid], t[valid]] = True
    return is_target, valid


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: for each sample, the targets y_j are the entries of its target
    row before the first -1, and
        loss = sum over targets j, non-targets i of max(0, 1 - (x[y_j] - x[i])) / C.
    Shape: input (N, C) or (C,), target of the same shape (int64) -> (N) with 'none'."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_class_target(input, target)
    if target.shape != input.shape:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    scores = input if input.ndim == 2 else input.reshape(1, -1)
    labels = target if target.ndim == 2 else target.reshape(1, -1)
    classes = scores.shape[1]
    is_target, valid = _multilabel_targets(labels, classes)
    safe = Tensor._make(labels._data * valid, labels.device)  # -1 and after -> class 0
    picked = scores.gather(1, safe)  # x[y_j], (N, J)
    hinge = (1 - picked.unsqueeze(2) + scores.unsqueeze(1)).clamp(min=0)  # (N, J, C)
    keep = valid[:, :, None] & ~is_target[:, None, :]
    loss = _where(Tensor._make(keep, input.device), hinge, 0).sum((1, 2)) / classes
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduced(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """Multi-label one-vs-all logistic loss, averaged over the C classes (the last dim):
    -(y log sigmoid(x) + (1 - y) log sigmoid(-x)) * w, summed over classes, divided by C."""
    reduction = _legacy(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    classes = input.shape[-1] if input.ndim else 1
    loss = loss.sum(-1) / classes if input.ndim else loss / classes
    return _reduced(loss, reduction)
