"""Quantiles: quantile and nanquantile, built from sort, gather and lerp (their gradients
come from those ops). Re-exported by ``ops/statistics.py``.
"""

from .. import _dtype as D
from .._tensor import Tensor
from ._numpy_names import numpy_names
from .binary import write_out
from .shape import wrap_dim

__all__ = ["quantile", "nanquantile"]


# ---------------------------------------------------------------------------- quantiles

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_q(input, q, name):
    """q as a 1-D tensor of input's dtype, and whether q was a scalar (0-dim or a number)."""
    from .creation import tensor

    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        values = q._data
        if values.size and not bool(((values >= 0) & (values <= 1)).all()):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        return q.reshape(-1), q._data.ndim == 0
    q = float(q)
    if not 0 <= q <= 1:
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q:g}")
    return tensor([q], dtype=input.dtype, device=input.device), True


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, name):
    """The q-quantiles of ``input`` along ``dim`` (all values when dim is None).

    The values are sorted; quantile q sits at rank q * (n - 1) among the n sorted values
    (n: the non-NaN ones for nanquantile). A rank between two positions takes the lower or
    higher value, the nearer one (ties to even), their midpoint, or (linear) the lerp of the
    two by the rank's fraction. NaNs sort last: for quantile a row holding a NaN gets the
    rank n - 1 (a NaN); for nanquantile a row of only NaNs gets rank 0 (a NaN too).
    """
    from .binary_math import lerp
    from .nonfinite import isnan
    from .scatter import gather
    from .sorting import sort

    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    q, scalar_q = _quantile_q(input, q, name)
    ndim = input._data.ndim
    if dim is not None:
        d = wrap_dim(dim, ndim)
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if dim is None or ndim == 0:
        x = input.reshape(-1)
        kept = (1,) * ndim  # the shape of the reduced dims under keepdim
    else:
        x = input.movedim(d, -1)
        kept = tuple(1 if i == d else s for i, s in enumerate(input.shape))
    values = sort(x, -1)[0]  # rows: all but the last dim; the sorted values: the last dim
    n = values.shape[-1]
    rows = tuple(values.shape[:-1])
    nq = q.shape[0]
    # ranks: one per (q, row), shape (nq, *rows, 1)
    qs = q.reshape((nq,) + (1,) * (len(rows) + 1))
    if ignore_nan:
        # NOTE: a row of only NaNs has count 0: its rank is clamped to 0 (a NaN), as torch
        count = (~isnan(values)).sum(-1, keepdim=True).to(input.dtype)
        ranks = (qs * (count - 1)).clamp(min=0)
    else:
        nan_row = isnan(values[..., -1:])  # a row holds a NaN iff its last sorted value is NaN
        ranks = qs * float(n - 1)
        ranks = ranks.where(~nan_row, ranks.new_full((), n - 1))
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.floor()
    above = ranks.ceil()
    spread = values.expand((nq,) + rows + (n,))
    lo = gather(spread, -1, below.long())
    if interpolation in ("linear", "midpoint"):
        hi = gather(spread, -1, above.long())
        weight = ranks - below if interpolation == "linear" else ranks.new_full((), 0.5)
        result = lerp(lo, hi, weight)
    else:
        result = lo
    result = result.squeeze(-1)  # (nq, *rows)
    if keepdim:
        result = result.reshape((nq,) + kept)
    if scalar_q:
        result = result.squeeze(0)
    return result


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None,
             axis=None, keepdims=None):
    """The q-th quantiles of the values along ``dim`` (q a number or a 1-D tensor in [0, 1];
    a tensor q adds a leading dim). Same as torch.quantile."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("quantile", dim, keepdim, axis, keepdims)
    result = _quantile(input, q, dim, keepdim, interpolation, False, "quantile")
    return _quantile_out(result, out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None,
                axis=None, keepdims=None):
    """quantile ignoring NaN values (NaN where a row is all NaN). Same as torch.nanquantile."""
    if axis is not None or keepdims is not None:  # NumPy's names (ops/_numpy_names.py)
        dim, keepdim = numpy_names("nanquantile", dim, keepdim, axis, keepdims)
    result = _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")
    return _quantile_out(result, out)


def _quantile_out(result, out):
    if out is not None and isinstance(out, Tensor) and out.dtype is not result.dtype:
        # NOTE: torch says "quantile()" for nanquantile too
        raise RuntimeError("quantile() out tensor must be same dtype as the input tensor")
    return write_out(result, out, "quantile")
