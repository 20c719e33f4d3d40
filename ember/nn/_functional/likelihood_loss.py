"""nn.functional, negative log-likelihood losses of distributions: poisson_nll_loss and
gaussian_nll_loss.  Composed from ember ops, so autograd gives the gradients."""

import math

from ...ops.binary_math import where as _where
from ...ops.creation import full_like as _full_like
from .loss import _check_reduction, _legacy, _reduce

__all__ = ["poisson_nll_loss", "gaussian_nll_loss"]


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of target ~ Poisson(rate), dropping the constant log(target!):

        log_input=True  (input = log rate):  exp(input) - target * input
        log_input=False (input = rate):      input - target * log(input + eps)

    ``full`` adds Stirling's approximation of log(target!), target log(target) - target +
    0.5 log(2 pi target), for target > 1 (0 elsewhere)."""
    reduction = _legacy(size_average, reduce, reduction)
    _check_reduction(reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # NOTE: evaluated only where target > 1 (elsewhere a safe 2, then dropped), so that the
        # dropped branch's log(0) cannot turn a zero gradient into NaN
        safe = _where(target > 1, target, 2.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + _where(target > 1, stirling, 0)
    return _reduce(loss, reduction)


def _var_shape(input, var):
    """var reshaped to broadcast against input: the same shape, input's shape without the
    last dim (one variance per sample, unsqueezed), or that with a last dim of 1."""
    if var.shape == input.shape:
        return var
    if input.shape[:-1] == var.shape:
        return var.unsqueeze(-1)
    if input.ndim and input.shape[:-1] == var.shape[:-1] and var.ndim and var.shape[-1] == 1:
        return var
    raise ValueError("var is of incorrect size")


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of target ~ Normal(input, var):

        0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps))  (+ 0.5 log(2 pi) if full)

    NOTE: as torch, the clamp of var at eps is outside autograd: the gradient w.r.t. var is
    computed as if var were the clamped value.  var may be a float (homoscedastic)."""
    if isinstance(var, (int, float)):
        var = _full_like(input, float(var))
    var = _var_shape(input, var)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = var + (var.clamp(min=eps) - var).detach()
    diff = input - target
    loss = 0.5 * (var.log() + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
