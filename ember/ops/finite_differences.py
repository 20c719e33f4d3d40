"""torch.gradient: the derivative of sampled values by finite differences, along each chosen dim.

Inside, central differences (second-order accurate); at the two ends one-sided differences of
order ``edge_order`` (1 or 2).  The samples sit ``h`` apart (``spacing`` a number per dim) or at
given coordinates (``spacing`` a 1-D tensor per dim).  Written with ember ops (narrow, cat,
arithmetic), so the result has gradients.
"""

import numbers

from .. import _dtype as D
from .join import cat
from .shape import narrow

__all__ = ["gradient"]


def _dims(input, dim):
    if dim is None:
        return list(range(input.ndim))
    dims = [dim] if isinstance(dim, numbers.Integral) else list(dim)
    return [d % input.ndim for d in dims]


def _spacings(spacing, dims):
    """One spacing per dim: a number h, or a 1-D tensor of coordinates."""
    if spacing is None:
        return [1.0] * len(dims)
    if isinstance(spacing, numbers.Number) or (hasattr(spacing, "_data") and spacing.ndim == 0):
        return [float(spacing)] * len(dims)
    spacing = list(spacing)
    if len(spacing) != len(dims):
        raise RuntimeError(
            "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and "
            "dim arguments to have the same length, but got a spacing argument of length "
            f"{len(spacing)} and a dim argument of length {len(dims)}.")
    return [s if hasattr(s, "_data") and s.ndim == 1 else float(s) for s in spacing]


def _along(v, d, ndim):
    """A 1-D tensor shaped to broadcast along dim ``d`` of an ``ndim``-dim tensor."""
    shape = [1] * ndim
    shape[d] = v.shape[0]
    return v.reshape(shape)


def _uniform(f, d, h, edge_order):
    """Samples h apart: (f[i+1] - f[i-1]) / 2h inside; one-sided differences at the ends."""
    n = f.shape[d]

    def at(start, length=1):
        return narrow(f, d, start, length)

    inside = (at(2, n - 2) - at(0, n - 2)) / (2 * h)
    if edge_order == 1:
        first = (at(1) - at(0)) / h
        last = (at(n - 1) - at(n - 2)) / h
    else:  # the parabola through the first (last) three samples
        first = (-1.5 * at(0) + 2 * at(1) - 0.5 * at(2)) / h
        last = (0.5 * at(n - 3) - 2 * at(n - 2) + 1.5 * at(n - 1)) / h
    return cat([first, inside, last], d)


def _coordinates(f, d, x, edge_order):
    """Samples at coordinates x: the derivative at x[i] of the parabola through the samples
    i-1, i, i+1 (with steps hl = x[i] - x[i-1], hr = x[i+1] - x[i]):
        (hl^2 f[i+1] - hr^2 f[i-1] + (hr^2 - hl^2) f[i]) / (hl hr (hl + hr))
    and at the ends the line (edge_order 1) or parabola (2) through the nearest samples."""
    n, ndim = f.shape[d], f.ndim
    if x.shape[0] != n:
        raise RuntimeError(f"torch.gradient expected the coordinates for dim {d} to hold "
                           f"{n} values, but got {x.shape[0]}")
    x = x.to(f.dtype)
    steps = x[1:] - x[:-1]

    def at(start, length=1):
        return narrow(f, d, start, length)

    hl, hr = _along(steps[:-1], d, ndim), _along(steps[1:], d, ndim)
    inside = ((hl * hl) * at(2, n - 2) - (hr * hr) * at(0, n - 2)
              + (hr * hr - hl * hl) * at(1, n - 2)) / (hl * hr * (hl + hr))
    if edge_order == 1:
        first = (at(1) - at(0)) / steps[0]
        last = (at(n - 1) - at(n - 2)) / steps[-1]
    else:
        h1, h2 = steps[0], steps[1]
        first = (-(2 * h1 + h2) / (h1 * (h1 + h2)) * at(0) + (h1 + h2) / (h1 * h2) * at(1)
                 - h1 / (h2 * (h1 + h2)) * at(2))
        h1, h2 = steps[-2], steps[-1]
        last = (h2 / (h1 * (h1 + h2)) * at(n - 3) - (h1 + h2) / (h1 * h2) * at(n - 2)
                + (2 * h2 + h1) / (h2 * (h1 + h2)) * at(n - 1))
    return cat([first, inside, last], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The derivative of ``input``'s samples along each dim of ``dim`` (default: all), one
    tensor per dim. Same as torch.gradient."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = _dims(input, dim)
    spacings = _spacings(spacing, dims)
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least "
                               "edge_order+1")
    f = input if input.dtype.category >= D.FLOAT else input.to(D.get_default_dtype())
    return tuple(_uniform(f, d, h, edge_order) if isinstance(h, float)
                 else _coordinates(f, d, h, edge_order) for d, h in zip(dims, spacings))
