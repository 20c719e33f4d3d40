"""Three ops that work along one dim: logcumsumexp (a running logsumexp), aminmax (min and max
in one call) and renorm (rescale the slices whose norm is too large).
"""

import math

from .. import _dtype as D
from .. import return_types
from .._compat import accumulate
from ..autograd.function import Node
from ._numpy_names import REQUIRED, numpy_axis, numpy_names
from .binary import write_out as _out
from .binary_math import where
from .extrema import amax, amin
from .norms import vector_norm
from .reduction import reduce_dims
from .reorder import flip
from .shape import wrap_dim

__all__ = ["logcumsumexp", "aminmax", "renorm"]


# ---------------------------------------------------------------------------- logcumsumexp

class Logcumsumexp(Node):
    """y_i = log sum_(j <= i) exp(x_j) along dim
    grad_x_j = sum_(i >= j) grad_i exp(x_j - y_i)"""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        wide = x.astype("float32") if x.dtype.itemsize == 2 else x  # 16-bit: rounded once
        # NOTE: log(e^a + e^b) pair by pair (NumPy's logaddexp) never overflows, and keeps
        # the digits of small early terms that a shift by the overall max would lose
        y = accumulate(self.xp, "logaddexp", wide, self.dim).astype(x.dtype, copy=False)
        self.save(x, y)
        return y

    def backward(self, grad):
        x, y = self.saved
        d = self.dim
        # the sum has terms of both signs: split grad by sign so that each part is a
        # logcumsumexp (reversed) of real logarithms, exp(x_j + log sum_(i >= j) e^(log g_i - y_i))
        positive = grad > 0
        negative = grad < 0
        log_pos = where(positive, grad.masked_fill(~positive, 1).log() - y, -math.inf)
        log_neg = where(negative, (-grad).masked_fill(~negative, 1).log() - y, -math.inf)
        return (x + _reverse_logcumsumexp(log_pos, d)).exp() - \
            (x + _reverse_logcumsumexp(log_neg, d)).exp()


def _reverse_logcumsumexp(t, dim):
    """log sum_(i >= j) exp(t_i) along dim."""
    return flip(Logcumsumexp(dim).apply(flip(t, [dim])), [dim])


def logcumsumexp(input, dim=REQUIRED, *, out=None, axis=None):
    """log(cumsum(exp(input), dim)) computed without overflow. Same as torch.logcumsumexp."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("logcumsumexp", dim, axis, REQUIRED)
    if input.dtype.category != D.FLOAT:
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for "
                                  f"'{input.dtype._short}'")
    if input.dim() == 0:
        wrap_dim(dim, 0)
        return _out(Logcumsumexp(0).apply(input.reshape(1)).reshape(()), out, "logcumsumexp")
    result = Logcumsumexp(wrap_dim(dim, input.dim())).apply(input)
    return _out(result, out, "logcumsumexp", same_dtype=True)


# ---------------------------------------------------------------------------- aminmax

def aminmax(input, *, dim=None, keepdim=False, out=None, axis=None, keepdims=None):
    """(min, max) over ``dim`` (all dims for None) as a named tuple; the gradient of each is
    shared among ties, as amin/amax. Same as torch.aminmax."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("aminmax", dim, keepdim, axis, keepdims)
    if input.dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"aminmax_cpu\" not implemented for '{input.dtype._short}'")
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        dims = reduce_dims(None, input.dim())
    else:
        dims = reduce_dims(dim, input.dim())
        for d in dims:
            if input.shape[d] == 0:
                raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    result = return_types.aminmax((amin(input, dims, keepdim), amax(input, dims, keepdim)))
    return _out(result, out, "aminmax", same_dtype=True)


# ---------------------------------------------------------------------------- renorm

_RENORM_EPS = 1e-7  # torch divides by norm + 1e-7


def renorm(input, p, dim, maxnorm, *, out=None):
    """Each slice input.select(dim, i) whose p-norm exceeds maxnorm is scaled to norm maxnorm:
    y = x * maxnorm / (norm + 1e-7) there, y = x elsewhere.  Composed of ember ops, so the
    gradient (through the norm too) and higher orders come from them. Same as torch.renorm."""
    if input.dim() < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.dim()} "
                           "dimensions")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    dim = wrap_dim(dim, input.dim())
    others = [d for d in range(input.dim()) if d != dim]
    norms = vector_norm(input, p, others, keepdim=True)
    if norms.dtype is not input.dtype:  # complex input: a real norm
        norms = norms.to(input.dtype)
    factor = where(norms > maxnorm, maxnorm / (norms + _RENORM_EPS), 1.0)
    return _out(input * factor, out, "renorm")


# Tensor methods (installed by ember/_methods.py)
METHODS = {"logcumsumexp": logcumsumexp, "aminmax": aminmax, "renorm": renorm}
INPLACE = {"renorm_": renorm}
