"""The Tensor methods that are ops: torch's method name -> the op function that does it.

Each op is written once, as a function in ``ember/ops`` whose first argument is the tensor;
each op module ends with a ``METHODS`` table that makes it a method too (``x.exp()`` is
``ember.exp(x)``), and an ``INPLACE`` table for the in-place variants.  In-place variants
(``x.exp_()``) run the same function and write the result back (``Tensor._inplace``).
"""

from . import _random, storage
from ._tensor import Tensor
from .ops import (
    along_dim,
    binary,
    complex_views,
    indexing,
    linalg,
    misc_tail,
    nn,
    pointwise,
    reduction,
    shape,
    special_math,
    statistics,
    stft,
    strided,
    structure,
    toplevel_tail,
    unary,
)


def _inplace(fn):
    def method(self, *args, **kwargs):
        return self._inplace(fn, *args, **kwargs)

    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return method


# each op module lists its methods: METHODS (name -> function) and INPLACE (name_ -> function)
_MODULES = (binary, unary, reduction, shape, indexing, linalg, nn, statistics, strided, structure,
            special_math, pointwise, along_dim, stft, _random, complex_views, toplevel_tail,
            misc_tail, storage)


def install():
    for module in _MODULES:
        for name, fn in getattr(module, "METHODS", {}).items():
            setattr(Tensor, name, fn)
        for name, fn in getattr(module, "INPLACE", {}).items():
            setattr(Tensor, name, _inplace(fn))
