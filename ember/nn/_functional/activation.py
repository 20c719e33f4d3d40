"""nn.functional, activations: relu and its relatives, the shrink family, glu, softmax.

Each activation is composed from ember ops, so autograd derives its gradient; the comments
note where the composition is chosen to give torch's gradient at a kink.  ``inplace=True``
writes the result into ``input`` (``copy_`` bumps its version, as torch's in-place ops do).
"""

import math as _math
import warnings

from ...autograd.grad_mode import state as _grad_state
from ...ops import nn as _nn_ops
from ...ops.binary_math import where as _where
from ...ops.unary import relu as _relu

__all__ = [
    "relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "celu", "gelu", "silu",
    "mish", "softplus", "softsign", "hardtanh", "hardtanh_", "relu6", "hardsigmoid", "hardswish",
    "logsigmoid", "tanh", "sigmoid", "threshold", "threshold_", "prelu", "softmax", "softmin",
    "log_softmax",
    "selu_", "celu_", "rrelu", "rrelu_", "hardshrink", "softshrink", "tanhshrink", "glu",
    "gumbel_softmax",
]


def _write_into(input, result):
    """``input`` overwritten with ``result`` (torch's in-place activations), returned."""
    input.copy_(result)
    return input


def _source(input):
    """The tensor an in-place activation reads: a clone when autograd records, so that the
    values the graph saves are not the ones about to be overwritten."""
    if _grad_state.enabled and input.requires_grad:
        return input.clone()
    return input


def relu(input, inplace=False):
    """max(input, 0). Same as torch.nn.functional.relu."""
    if inplace:
        return input.relu_()
    return _relu(input)


def relu_(input):
    return input.relu_()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x. NOTE: the gradient at 0 is negative_slope, as torch."""
    if inplace:
        return _write_into(input, leaky_relu(_source(input), negative_slope))
    return _where(input > 0, input, input * negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    if inplace:
        return _write_into(input, elu(_source(input), alpha))
    return _where(input > 0, input, input.expm1() * alpha)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale * elu(x, alpha) with the self-normalising constants (alpha~1.6733, scale~1.0507)."""
    if inplace:
        return _write_into(input, selu(_source(input)))
    return _where(input > 0, input * _SELU_SCALE, input.expm1() * (_SELU_ALPHA * _SELU_SCALE))


def celu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x / alpha) - 1)."""
    if inplace:
        return _write_into(input, celu(_source(input), alpha))
    return _where(input > 0, input, (input / alpha).expm1() * alpha)


def gelu(input, approximate="none"):
    """x * Phi(x) (Phi: the standard normal CDF), or its tanh approximation
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) when approximate='tanh'."""
    if approximate == "none":
        return _nn_ops.gelu_exact(input)  # one node: ember/ops/nn.py
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _math.sqrt(2 / _math.pi)
        return input * 0.5 * (1 + inner.tanh())
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    if inplace:
        return _write_into(input, silu(_source(input)))
    return input * input.sigmoid()


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    if inplace:
        return _write_into(input, mish(_source(input)))
    return input * softplus(input).tanh()


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (for stability)."""
    scaled = input * beta
    # NOTE: exp sees at most ``threshold``, so the branch where() drops never overflows (an inf
    # there would turn its zero gradient into 0 * inf = NaN).
    smooth = scaled.clamp(max=threshold).exp().log1p() / beta
    return _where(scaled > threshold, input, smooth)


def softsign(input):
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val). NOTE: the gradient is 0 at both bounds, as torch."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return _write_into(input, hardtanh(_source(input), min_val, max_val))
    inside = (input > min_val) & (input < max_val)
    return _where(inside, input, input.detach().clamp(min_val, max_val))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (hardtanh(x, 0, 6), with its gradients)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between."""
    if inplace:
        return _write_into(input, hardsigmoid(_source(input)))
    inside = (input > -3) & (input < 3)
    return _where(inside, input / 6 + 0.5, (input.detach() / 6 + 0.5).clamp(0, 1))


def hardswish(input, inplace=False):
    """x * hardsigmoid(x): 0 for x <= -3, x for x >= 3, x (x + 3) / 6 between.
    NOTE: at the ends the gradient is that of the outer pieces (0 at -3, 1 at 3), as torch."""
    if inplace:
        return _write_into(input, hardswish(_source(input)))
    middle = _where(input < 3, input * (input + 3) / 6, input)
    return _where(input <= -3, input * 0, middle)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -softplus(-input)


def tanh(input):
    """Element-wise tanh. Same as torch.nn.functional.tanh."""
    return input.tanh()


def sigmoid(input):
    """1 / (1 + exp(-x)). Same as torch.nn.functional.sigmoid."""
    return input.sigmoid()


def threshold(input, threshold, value, inplace=False):
    """x if x > threshold else value."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input, threshold, value):
    return _threshold(input, threshold, value, True)


def _threshold(input, limit, value, inplace):
    if inplace:
        return _write_into(input, _threshold(_source(input), limit, value, False))
    return _where(input > limit, input, value)


def prelu(input, weight):
    """x if x > 0 else a * x, with a learnable ``weight`` a of 1 or C (channel dim 1) values."""
    if weight.numel() != 1 and input.ndim >= 2:
        if weight.numel() != input.shape[1]:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers "
                f"= {weight.numel()} and channel size = {input.shape[1]}.")
        weight = weight.reshape((input.shape[1],) + (1,) * (input.ndim - 2))
    return _where(input > 0, input, weight * input)


def _softmax_dim(name, ndim):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x_i) / sum_j exp(x_j) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    return _nn_ops.softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return _nn_ops.softmax(-input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably in one node."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    return _nn_ops.log_softmax(input, dim, dtype=dtype)


def selu_(input):
    return selu(input, inplace=True)


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: x if x > 0 else a * x.

    Training: a ~ U(lower, upper), drawn per element (the gradient is a where x <= 0, as torch).
    Evaluation: a = (lower + upper) / 2 for every element (a leaky_relu with that slope).
    """
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if inplace:
        return _write_into(input, rrelu(_source(input), lower, upper, training))
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    slopes = input.detach().new_empty(input.shape).uniform_(lower, upper)
    return _where(input > 0, input, input * slopes)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0.  Gradient: 1 where |x| > lambd, else 0."""
    return _where(input.abs() > lambd, input, input * 0)


def softshrink(input, lambd=0.5):
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0.
    Gradient: 1 where |x| > lambd, else 0."""
    if lambd < 0:
        top = {"Double": "1.79769e+308", "Half": "65504", "BFloat16": "3.38953e+38"}
        short = input.dtype._short
        raise RuntimeError(f"lambda must be in range [0, {top.get(short, '3.40282e+38')}] for "
                           f"input dtype {short}, "
                           f"but found {lambd:g}")
    shrunk = input - input.sign() * lambd
    return _where(input.abs() > lambd, shrunk, input * 0)


def tanhshrink(input):
    """x - tanh(x).  Gradient: tanh(x)^2."""
    return input - input.tanh()


def glu(input, dim=-1):
    """Gated linear unit: a * sigmoid(b), where a and b are the two halves of ``input`` along
    ``dim``.  Gradients: grad_a = grad sigmoid(b), grad_b = grad a sigmoid(b) (1 - sigmoid(b))."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        d = dim % input.ndim
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {size}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """A differentiable sample from the categorical distribution given by ``logits``:
    y = softmax((logits + g) / tau) along ``dim``, g_i = -log(E_i) with E_i ~ Exponential(1)
    (Gumbel noise).  ``hard=True`` returns the one-hot of argmax(y) in the forward pass with
    y's gradient (the straight-through estimator: one_hot - y.detach() + y).
    ``eps`` is unused, as in torch."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    noise = -logits.detach().new_empty(logits.shape).exponential_().log()
    y = _nn_ops.softmax((logits + noise) / tau, dim)
    if not hard:
        return y
    index = y.argmax(dim, keepdim=True)
    one_hot = y.detach().new_zeros(y.shape).scatter_(dim, index, 1.0)
    return one_hot - y.detach() + y
