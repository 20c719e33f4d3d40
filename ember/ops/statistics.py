"""Statistics of a tensor's values: bincount, histc, histogram (counts, no gradient); cov and
corrcoef (built from means and a matmul: their gradients come from those ops).

quantile/nanquantile live in ``ops/quantile.py`` and are re-exported here, so this module's
``METHODS`` table covers the whole family.
"""

import operator
import warnings

import numpy as np

from .. import _device, return_types
from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node
from ..autograd.grad_mode import state as _grad_state
from .binary import write_out
from .quantile import nanquantile, quantile

__all__ = ["bincount", "histc", "histogram", "histogramdd", "quantile", "nanquantile", "cov",
           "corrcoef"]


class _NoDerivative(Node):
    """Counts computed without a graph, recorded only so that backward raises torch's error
    (torch marks bincount's and histogram's results as requiring grad when their inputs do)."""

    def __init__(self, result, op):
        self.result = result  # an array, or a tuple of arrays
        self.op = op

    def forward(self, *inputs):
        return self.result

    def backward(self, *grads):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


def _counts_result(result, device, inputs, op):
    """``result`` (an array or a tuple of arrays) as tensors; through _NoDerivative when one
    of ``inputs`` requires grad."""
    inputs = [t for t in inputs if t is not None]
    if _grad_state.enabled and any(t._requires_grad for t in inputs):
        return _NoDerivative(result, op).apply(*inputs)
    if isinstance(result, tuple):
        return tuple(Tensor._make(a, device) for a in result)
    return Tensor._make(result, device)


def _check_float(input, kernel):
    if input.dtype.category != D.FLOAT:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype._short}\'')


# ---------------------------------------------------------------------------- bincount

def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ..., max(input) occurs in a 1-D tensor of non-negative
    integers (at least ``minlength`` counts); with ``weights``, the sum of the weights of each
    value's occurrences. int64 counts; weighted sums in float32 for float32 weights, else
    float64 (as torch). Same as torch.bincount."""
    if input.dtype.category != D.INT:
        raise NotImplementedError(f'"bincount_cpu" not implemented for \'{input.dtype._short}\'')
    minlength = operator.index(minlength)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    data = input._data
    if data.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = _device.xp_for(input.device)
    if weights is None or data.size == 0:  # NOTE: torch counts an empty input in int64 always
        counts = xp.bincount(data.astype(np.int64), minlength=minlength).astype(np.int64)
        return Tensor._make(counts, input.device)
    if weights._data.ndim != 1 or weights._data.shape[0] != data.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    out_dtype = np.float32 if weights.dtype is D.float32 else np.float64
    sums = xp.bincount(data.astype(np.int64), weights=weights._data.astype(np.float64),
                       minlength=minlength).astype(out_dtype)
    return _counts_result(sums, input.device, [weights], "bincount")


# ---------------------------------------------------------------------------- histograms

def _bin_of(xp, values, edges):
    """The bin of each value for increasing ``edges`` (bins [e_i, e_i+1), the last one closed);
    -1 for values outside [e_0, e_last] and NaN.

    Equal-width bins are found by arithmetic, then moved by one where rounding put a value on
    the wrong side of an edge; so a value equal to an edge always starts that edge's bin.
    """
    bins = edges.shape[0] - 1
    lo, hi = edges[0], edges[-1]
    inside = (values >= lo) & (values <= hi)
    pos = xp.floor((values.astype(np.float64) - float(lo)) * bins / (float(hi) - float(lo)))
    pos = xp.clip(xp.where(inside, pos, 0), 0, bins - 1).astype(np.int64)
    pos = pos - (edges[pos] > values)
    pos = pos + ((edges[xp.minimum(pos + 1, bins)] <= values) & (pos < bins - 1))
    return xp.where(inside, pos, -1)


def _finite_range(lo, hi, message):
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(message.format(lo=f"{lo:g}", hi=f"{hi:g}"))


def histc(input, bins=100, min=0, max=0, *, out=None):  # noqa: A002 - torch's names
    """Counts of the values in ``bins`` equal-width bins between ``min`` and ``max`` (both 0:
    the data's own min and max; a single value v: [v - 1, v + 1]); values outside are
    ignored. Same dtype as the input. Same as torch.histc."""
    _check_float(input, "histogram_cpu")
    bins = operator.index(bins)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                           "dimension 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    xp = _device.xp_for(input.device)
    values = input._data.reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and values.size:
        lo, hi = float(values.min()), float(values.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    _finite_range(lo, hi, "torch.histc: range of [{lo}, {hi}] is not finite")
    # NOTE: the bin is floor((x - lo) * bins / (hi - lo)), each step rounded in the input's
    # dtype as torch does it (so a float16 value near an edge lands where torch puts it);
    # x == hi goes into the last bin
    scalar = values.dtype.type
    lo_t, hi_t = scalar(lo), scalar(hi)
    inside = (values >= lo_t) & (values <= hi_t)
    pos = (values - lo_t) * scalar(bins) / (hi_t - lo_t)
    pos = xp.minimum(xp.where(inside, pos, 0).astype(np.int64), bins - 1)
    counts = xp.bincount(pos[inside], minlength=bins).astype(values.dtype)
    return write_out(Tensor._make(counts, input.device), out, "histc")


def _edges(xp, values, bins, lo_hi, dim, input):
    """The bin edges of one dim: ``bins`` a 1-D tensor of edges, or a number of equal-width
    bins over ``lo_hi`` (default: the values' min and max; a single value v: v -+ 0.5)."""
    if isinstance(bins, Tensor):
        if bins._data.ndim != 1:
            raise RuntimeError(
                "torch.histogramdd: bins tensor should have one dimension, but got "
                f"{bins._data.ndim} dimensions in the bins tensor for dimension {dim}")
        if bins.dtype is not input.dtype:
            raise RuntimeError(
                "torch.histogramdd: input tensor and bins tensors should have the same dtype, "
                f"but got input with dtype {_c_name(input.dtype)} and bins for dimension {dim} "
                f"with dtype {_c_name(bins.dtype)}")
        if bins._data.shape[0] < 2:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got "
                               f"{bins._data.shape[0] - 1} for dimension {dim}")
        return bins._data.copy()
    count = operator.index(bins)
    if count <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {count} for "
                           f"dimension {dim}")
    if lo_hi is not None:
        lo, hi = float(lo_hi[0]), float(lo_hi[1])
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                               f"{lo:g} max {hi:g} for dimension {dim}")
    elif values.size:
        lo, hi = float(values.min()), float(values.max())
    else:
        lo, hi = 0.0, 1.0
    _finite_range(lo, hi, f"torch.histogramdd: dimension {dim}'s range [{{lo}}, {{hi}}] is not "
                          "finite")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return xp.linspace(lo, hi, count + 1).astype(values.dtype)


def _histogram_counts(xp, points, edges, weights, density):
    """Counts (or summed weights) of the (N, D) ``points`` in the D-dim grid of bins that the
    D ``edges`` arrays bound, in the points' dtype; ``density``: hist / (total * bin volume)."""
    sizes = tuple(e.shape[0] - 1 for e in edges)
    if any(e.shape[0] > 1 and bool((e[1:] < e[:-1]).any()) for e in edges):
        hist = xp.zeros(sizes)  # decreasing edges hold nothing (as torch)
    else:
        # each point's bin along each dim, then its flat (row-major) bin number
        positions = [_bin_of(xp, points[:, d], e) for d, e in enumerate(edges)]
        flat = xp.zeros(points.shape[0], dtype=np.int64)
        inside = xp.ones(points.shape[0], dtype=bool)
        for pos, size in zip(positions, sizes):
            flat = flat * size + xp.maximum(pos, 0)
            inside &= pos >= 0
        w = None if weights is None else weights[inside].astype(np.float64)
        total = int(np.prod(sizes))
        hist = xp.bincount(flat[inside], weights=w, minlength=total).reshape(sizes)
    hist = hist.astype(points.dtype)
    if density:
        # NOTE: hist / (total * volume), dividing by each dim's own widths (torch's order)
        hist = hist / hist.sum()
        for d, e in enumerate(edges):
            shape = [1] * len(edges)
            shape[d] = sizes[d]
            hist = hist / xp.diff(e).reshape(shape)
    return hist


def _check_histogram_input(input):
    _check_float(input, "histogramdd")
    if input.dtype.itemsize == 2:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{input.dtype._short}'")


def _check_weight(weight, shape, input, points):
    """The weights as a flat array, after torch's checks (one per point, input's dtype)."""
    if weight is None:
        return None
    if tuple(weight._data.shape) != tuple(shape):
        raise RuntimeError(
            "torch.histogramdd: if weight tensor is provided it should have the same shape "
            "as the input tensor excluding its innermost dimension, but got input with "
            f"shape {list(points.shape)} and weight with shape {list(weight.shape)}")
    if weight.dtype is not input.dtype:
        raise RuntimeError(
            "torch.histogramdd: if weight tensor is provided, input tensor and weight "
            f"tensor should have the same dtype, but got input({_c_name(input.dtype)}), "
            f"and weight({_c_name(weight.dtype)})")
    return weight._data.reshape(-1)


def histogram(input, bins, *, range=None, weight=None, density=False, out=None):  # noqa: A002
    """(hist, bin_edges): counts of the values (or sums of ``weight``) in the bins. ``bins``
    is a number of equal-width bins over ``range`` (default: the data's min and max; a single
    value v: [v - 0.5, v + 0.5]) or a 1-D tensor of increasing edges. Bins are [e_i, e_i+1),
    the last one closed. ``density``: hist / (total * bin width). Same as torch.histogram."""
    _check_histogram_input(input)
    xp = _device.xp_for(input.device)
    points = input._data.reshape(-1, 1)  # torch's histogram is a histogramdd of one dim
    w = _check_weight(weight, input._data.shape, input, points)
    edges = _edges(xp, points[:, 0], bins, range, 0, input)
    hist = _histogram_counts(xp, points, [edges], w, density)
    counts = _counts_result((hist, edges), input.device, [input, weight], "histogram")
    result = return_types.histogram(counts)
    return write_out(result, out, "histogram")


def histogramdd(input, bins, *, range=None, weight=None, density=False):  # noqa: A002
    """(hist, bin_edges) of the points in the last dim of ``input`` (..., D): a D-dim grid of
    counts (or sums of ``weight``). ``bins``: one count for every dim, one count per dim, or
    one 1-D tensor of edges per dim; ``range``: [min0, max0, min1, max1, ...]. Bins are
    [e_i, e_i+1), the last one closed. Same as torch.histogramdd."""
    _check_histogram_input(input)
    if input.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    xp = _device.xp_for(input.device)
    dims = input.shape[-1]
    points = input._data.reshape(-1, dims)
    if not isinstance(bins, (list, tuple)):
        bins = [bins] * dims
    if len(bins) != dims:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.")
    tensors = [isinstance(b, Tensor) for b in bins]
    if any(isinstance(b, float) for b in bins) or (any(tensors) and not all(tensors)):
        bad = tensors.index(False)
        raise TypeError(f"expected Tensor as element {bad} in argument 1, but got "
                        f"{type(bins[bad]).__name__}")
    if range is not None and len(range) != 2 * dims:
        raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram range should "
                           f"have {2 * dims} elements, but got {len(range)}")
    w = _check_weight(weight, input._data.shape[:-1], input, points)
    edges = [_edges(xp, points[:, d], b, None if range is None else range[2 * d:2 * d + 2], d,
                    input) for d, b in enumerate(bins)]
    hist = _histogram_counts(xp, points, edges, w, density)
    arrays = _counts_result((hist, *edges), input.device, [input, weight], "histogramdd")
    return return_types.histogramdd((arrays[0], tuple(arrays[1:])))


def _c_name(dtype):
    """torch's C++ name of a dtype in histogram's errors (float, double)."""
    return {"float32": "float", "float64": "double"}.get(dtype.name, dtype.name)


# ---------------------------------------------------------------------------- covariance

def _observation_weights(weights, name, n, integral):
    if weights is None:
        return None
    if weights._data.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {weights._data.ndim} dimensions")
    if integral and weights.dtype.category > D.INT:
        raise RuntimeError(f"cov(): expected {name} to have integral dtype but got {name} with "
                           f"{weights.dtype._short} dtype")
    if not integral and weights.dtype.category < D.FLOAT:
        raise RuntimeError(f"cov(): expected {name} to have floating point dtype but got "
                           f"{name} with {weights.dtype._short} dtype")
    if weights.numel() != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {weights.numel()} != {n}")
    if weights.numel() and bool((weights._data < 0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")
    return weights.reshape(-1)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns; a 1-D input is one variable, giving a 0-dim variance). Same as torch.cov.

    With weights w = fweights * aweights (each optional), the weighted mean
    m = sum_j w_j x_j / sum_j w_j and C = (x - m) diag(w) (x - m)^H / f, where the degrees of
    freedom f are n - correction (no weights), sum w - correction (fweights only), or
    sum w - correction * sum(w * aweights) / sum w; f below 0 is taken as 0 (with a warning).
    """
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {ndim} dimensions")
    if isinstance(correction, bool) or not isinstance(correction, (int, np.integer)):
        raise TypeError(f"cov(): argument 'correction' must be int, not "
                        f"{type(correction).__name__}")
    if input.dtype is D.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.reshape(1, -1) if ndim < 2 else input
    if x.dtype.category < D.FLOAT:
        x = x.to(D.get_default_dtype())
    n = x.shape[1]
    fw = _observation_weights(fweights, "fweights", n, integral=True)
    aw = _observation_weights(aweights, "aweights", n, integral=False)
    w = fw
    if aw is not None:
        w = aw if w is None else w * aw
    if w is None:
        mean = x.mean(1, keepdim=True)
        w_sum = n
        dof = n - correction
    else:
        w_sum = w.sum()
        mean = (x * w).sum(1, keepdim=True) / w_sum
        if correction == 0:
            dof = w_sum
        elif aw is None:
            dof = w_sum - correction
        else:
            dof = w_sum - correction * (w * aw).sum() / w_sum
    if float(dof) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=2)
        dof = 0 if isinstance(dof, (int, float)) else dof.clamp(min=0)
    centred = x - mean
    weighted = centred if w is None else centred * w
    c = weighted @ centred.t().conj()
    c = c / dof if not isinstance(dof, int) else c / float(dof)
    return c.squeeze() if ndim < 2 or x.shape[0] == 1 else c


def corrcoef(input):
    """Pearson correlation coefficients of the variables in the rows of ``input``:
    R_ij = C_ij / sqrt(C_ii C_jj) with C = cov(input), clipped to [-1, 1] for real inputs.
    Same as torch.corrcoef."""
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but "
                           f"got an input with {ndim} dimensions")
    c = cov(input)
    if c._data.ndim == 0:
        return c / c
    d = c.diagonal()
    if d.is_complex():
        d = d.real
    stddev = d.sqrt()
    c = c / stddev.unsqueeze(1)
    c = c / stddev.unsqueeze(0)
    if c.is_complex():
        return c
    return c.clamp(-1, 1)


METHODS = {
    "bincount": bincount,
    "histc": histc,
    "histogram": histogram,
    "quantile": quantile,
    "nanquantile": nanquantile,
    "cov": cov,
    "corrcoef": corrcoef,
}
INPLACE = {}
