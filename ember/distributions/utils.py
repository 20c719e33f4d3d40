"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, lazy
attributes."""

import numbers

import ember

_EMPTY = ember.Size()  # the default sample_shape: one draw

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits"]


def broadcast_all(*values):
    """Broadcast tensors and Python numbers to one shape.  Numbers become tensors of the first
    tensor's dtype (the default dtype when there is none)."""
    if not all(isinstance(v, (ember.Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, "
                         "ember.Tensor or objects implementing __torch_function__.")
    if not all(isinstance(v, ember.Tensor) for v in values):
        options = dict(dtype=ember.get_default_dtype())
        for v in values:
            if isinstance(v, ember.Tensor):
                options = dict(dtype=v.dtype, device=v.device)
                break
        values = [v if isinstance(v, ember.Tensor) else ember.tensor(v, **options)
                  for v in values]
    return ember.broadcast_tensors(*values)


def broadcast_parameters(*values):
    """The parameters broadcast together (``broadcast_all``) and the batch shape they give:
    empty when every one is a Python number, as torch's distributions make it."""
    tensors = broadcast_all(*values)
    scalar = all(isinstance(v, numbers.Number) for v in values)
    return tensors, ember.Size() if scalar else tensors[0].size()


def _standard_normal(shape, dtype, device):
    """N(0, 1) noise drawn with normal_, the call torch's rsample makes (same stream)."""
    return ember.empty(shape, dtype=dtype, device=device).normal_()


def _sum_rightmost(value, dim):
    """Sum out the rightmost ``dim`` dimensions."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:value.dim() - dim] + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: sigmoid for binary (Bernoulli) logits, softmax otherwise."""
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def clamp_probs(probs):
    """Clamp into [eps, 1 - eps] (eps = the dtype's machine epsilon) so their logs are finite."""
    eps = ember.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities: log p, or log p - log(1 - p) for binary probabilities."""
    clamped = clamp_probs(probs)
    if is_binary:
        return ember.log(clamped) - ember.log1p(-clamped)
    return ember.log(clamped)


class lazy_property:
    """Computed on first read, then stored on the instance (so ``probs`` and ``logits`` of a
    categorical are derived from each other only when asked for)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with ember.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
