"""torch's top-level spellings of nn.functional ops: ``torch.layer_norm(input, normalized_shape,
weight, bias, eps, cudnn_enable)``, ``torch.kl_div(input, target, reduction=0)``, ...

They are ATen's signatures, which differ from nn.functional's: arguments in ATen's order,
``reduction`` as an integer (0 none, 1 mean, 2 sum), modes as integers for grid_sampler, no
``inplace``/``size_average``/``reduce``.  Each maps its arguments onto the one nn.functional op
that computes it (no maths here).  ``ember/__init__.py`` re-exports them; the core (ember/ops)
never imports nn.
"""

import warnings

from ... import linalg as _linalg
from .. import functional as F

__all__ = [
    "layer_norm", "group_norm", "instance_norm", "batch_norm", "embedding", "prelu", "rrelu",
    "selu", "celu", "threshold", "hardshrink", "bilinear", "kl_div", "poisson_nll_loss",
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
    "triplet_margin_loss", "ctc_loss", "binary_cross_entropy_with_logits", "constant_pad_nd",
    "rms_norm", "max_pool1d_with_indices", "grid_sampler", "grid_sampler_2d",
    "affine_grid_generator",
    "norm_except_dim", "frobenius_norm", "nuclear_norm",
]

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}  # ATen's Reduction enum


# NOTE: ATen's schemas say ``reduction=Mean``, but torch's Python binding reads that default as
# 0: a left-out reduction is "none" (torch.kl_div(x, t) keeps x's shape; checked on torch 2.13),
# so the defaults below are 0.
def _reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _REDUCTIONS[reduction]


# `cudnn_enable(d)` asks for cuDNN kernels on CUDA; ember's result is the same without them.

def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return F.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
                  eps, cudnn_enabled):
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                           momentum, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled):
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """ATen's order (weight first); a negative padding_idx means none."""
    return F.embedding(indices, weight, padding_idx if padding_idx >= 0 else None,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def prelu(input, weight):
    return F.prelu(input, weight)


def rrelu(input, lower=0.125, upper=0.3333333333333333, training=False, generator=None):
    if generator is not None:
        raise NotImplementedError("ember's rrelu draws from the default generator; "
                                  "torch.rrelu(generator=) is not supported")
    return F.rrelu(input, lower, upper, training)


def selu(input):
    return F.selu(input)


def celu(input, alpha=1.0):
    return F.celu(input, alpha)


def threshold(input, threshold, value):
    return F.threshold(input, threshold, value)


def hardshrink(input, lambd=0.5):
    return F.hardshrink(input, lambd)


def bilinear(input1, input2, weight, bias=None):
    return F.bilinear(input1, input2, weight, bias)


def kl_div(input, target, reduction=0, *, log_target=False):
    return F.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction(reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return F.margin_ranking_loss(input1, input2, target, margin,
                                 reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False,
                        reduction=0):
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction(reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
             zero_infinity=False):
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      _reduction(reduction), zero_infinity)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return F.binary_cross_entropy_with_logits(input, target, weight,
                                              reduction=_reduction(reduction),
                                              pos_weight=pos_weight)


def constant_pad_nd(input, pad, value=0):
    return F.pad(input, pad, "constant", value)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return F.rms_norm(input, normalized_shape, weight, eps)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """(values, indices) of a 1-d max pool; an empty stride means the kernel size."""
    return F.max_pool1d(input, kernel_size, stride if stride != () else None, padding, dilation,
                        ceil_mode, return_indices=True)


_INTERPOLATION = {0: "bilinear", 1: "nearest", 2: "bicubic"}  # ATen's GridSamplerInterpolation
_PADDING = {0: "zeros", 1: "border", 2: "reflection"}           # ATen's GridSamplerPadding


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    return F.grid_sample(input, grid, _INTERPOLATION[interpolation_mode],
                         _PADDING[padding_mode], align_corners)


# torch's kernel for 4-d inputs (grid_sampler picks it; ember's grid_sample has no 5-d one)
def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    if input.ndim != 4:
        raise RuntimeError(f"grid_sampler(): expected 4D input and grid with same number of "
                           f"dimensions, but got input with sizes {list(input.shape)} and grid "
                           f"with sizes {list(grid.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def affine_grid_generator(theta, size, align_corners):
    return F.affine_grid(theta, size, align_corners)


def norm_except_dim(v, pow=2, dim=0):
    """The pow-norm over every dim but ``dim`` (size 1 there), or of the whole tensor for
    dim=-1 (weight_norm's g). Same as torch.norm_except_dim."""
    if dim == -1:
        return _linalg.vector_norm(v, pow)
    others = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    return _linalg.vector_norm(v, pow, others, keepdim=True)


def frobenius_norm(input, dim, keepdim=False):
    """sqrt(sum of squares) over ``dim``. Same as torch.frobenius_norm (deprecated there)."""
    warnings.warn("at::frobenius_norm is deprecated and it is just left for JIT compatibility. "
                  "It will be removed in a future PyTorch release. Please use "
                  "`linalg.vector_norm(A, 2., dim, keepdim)` instead", UserWarning, stacklevel=2)
    return _linalg.vector_norm(input, 2, dim, keepdim)


def nuclear_norm(input, dim=(-2, -1), keepdim=False):
    """The sum of singular values of each matrix (over the two dims ``dim``). Same as
    torch.nuclear_norm (deprecated there), which also reads nuclear_norm(input, keepdim)."""
    if isinstance(dim, bool):  # torch.nuclear_norm(input, keepdim)
        dim, keepdim = (-2, -1), dim
    warnings.warn("at::nuclear_norm is deprecated and it is just left for JIT compatibility. "
                  "It will be removed in a future PyTorch release. Please use "
                  "`linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead", UserWarning,
                  stacklevel=2)
    return _linalg.matrix_norm(input, "nuc", dim, keepdim)
