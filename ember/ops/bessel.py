"""torch.special's Bessel functions that have no derivative in torch (the results carry no
gradient, as there): modified_bessel_i0/i1 and spherical_bessel_j0.

Each is computed in float64 and rounded once to the result dtype (integers give the default
float).  modified_bessel_i0/i1 are the values of ember.i0 and ember.special.i1 (the same
numerics, _gamma.i0/i1), without their gradients.
"""

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from . import _gamma
from .binary import write_out as _out

__all__ = ["modified_bessel_i0", "modified_bessel_i1", "spherical_bessel_j0"]


def _no_gradient(name, fn, input, out):
    """fn(float64 array) for a real tensor, rounded once, wrapped without a gradient."""
    if input.dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{input.dtype._short}'")
    dtype = input.dtype if input.dtype.category == D.FLOAT else D.get_default_dtype()
    with np.errstate(all="ignore"):
        values = fn(input._data.astype(np.float64))
    result = Tensor._make(np.asarray(values).astype(D.to_numpy_dtype(dtype)), input.device)
    return _out(result, out, name)


def _spherical_j0(x):
    """j0(x) = sin(x) / x: 1 at 0, 0 at +-inf (sin(x) is exact to its last digits for small x,
    so no series is needed there)."""
    safe = np.where((x == 0) | np.isinf(x), 1.0, x)
    value = np.sin(safe) / safe
    value = np.where(x == 0, 1.0, value)
    return np.where(np.isinf(x), 0.0, value)


def modified_bessel_i0(input, *, out=None):
    """The modified Bessel function of the first kind I0(input). Same as torch.special's (NaN
    at +-inf, as there)."""
    return _out_i("modified_bessel_i0", _gamma.i0, input, out)


def modified_bessel_i1(input, *, out=None):
    """The modified Bessel function of the first kind I1(input). Same as torch.special's."""
    return _out_i("modified_bessel_i1", _gamma.i1, input, out)


def _out_i(name, fn, input, out):
    return _no_gradient(name, lambda x: fn(np, x), input, out)


def spherical_bessel_j0(input, *, out=None):
    """The spherical Bessel function of the first kind j0(input) = sin(input) / input. Same as
    torch.special's."""
    return _no_gradient("spherical_bessel_j0", _spherical_j0, input, out)
