"""The few NumPy calls that CuPy lacks, done another way on the GPU (and one that is slow).

ember computes with ``xp`` (numpy or cupy).  CuPy has almost all of NumPy, but not
``ufunc.accumulate`` for maximum/minimum, ``multiply.at``, or ``initial=`` in max/min.  Each
helper below uses NumPy's call on the CPU and a plain equivalent elsewhere.  ``add_into`` works
around NumPy's fixed cost of an in-place add on a one-element array.
"""

import numpy as np


def accumulate(xp, ufunc_name, x, axis):
    """``xp.<ufunc>.accumulate(x, axis)`` for maximum/minimum (running max/min).

    On the GPU: a log-step scan, after step k every position holds the result over the 2**k
    positions ending at it (log2(n) vectorised steps)."""
    if xp is np:
        return getattr(np, ufunc_name).accumulate(x, axis=axis)
    ufunc = getattr(xp, ufunc_name)
    out = xp.moveaxis(x, axis, -1).copy()
    n, shift = out.shape[-1], 1
    while shift < n:
        out[..., shift:] = ufunc(out[..., shift:], out[..., :-shift].copy())
        shift *= 2
    return xp.moveaxis(out, -1, axis)


def ufunc_at(xp, ufunc_name, target, index, values):
    """``xp.<ufunc>.at(target, index, values)``: unbuffered in-place op at (repeated) indices.

    CuPy has add/maximum/minimum .at but not multiply.at: that one runs on a host copy."""
    ufunc = getattr(xp, ufunc_name)
    if xp is np or ufunc_name != "multiply":
        ufunc.at(target, index, values)
        return
    host = target.get()
    if isinstance(index, tuple):
        index = tuple(_to_host(i) for i in index)
    else:
        index = _to_host(index)
    np.multiply.at(host, index, _to_host(values))
    target[...] = xp.asarray(host)


def _to_host(a):
    """A GPU array as a NumPy array (anything else unchanged)."""
    return a.get() if hasattr(a, "get") else a


def max_or(xp, a, axis, keepdims, empty_value):
    """``a.max(axis, keepdims, initial=empty_value)`` for non-negative ``a``: the max, or
    ``empty_value`` where the reduced dimensions are empty (CuPy's max has no ``initial``)."""
    if xp is np:
        return a.max(axis=axis, keepdims=keepdims, initial=empty_value)
    if a.size:
        return a.max(axis=axis, keepdims=keepdims)
    shape = np.zeros(a.shape).sum(axis=axis, keepdims=keepdims).shape
    return xp.full(shape, empty_value, dtype=a.dtype)


def add_into(dst, src):
    """``dst += src`` (same shapes and dtypes), for gradients and optimizer updates.

    NumPy's in-place add has a fixed cost (overlap and casting checks) that makes it ~6x
    NumPy's scalar add on a one-element array, the size of a scalar parameter (``w`` in
    ``w * x + b``): there the element is added as a scalar and written back."""
    if dst.size == 1 and type(dst) is np.ndarray:
        at = (0,) * dst.ndim
        dst[at] = dst[at] + src[at]
    else:
        dst += src
