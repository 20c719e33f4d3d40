"""nn.functional, fractional max pooling: fractional_max_pool2d/3d (and their _with_indices
forms): max pools whose windows start at pseudo-random, non-integer-stride positions, so the
output size can be any fraction of the input's (Graham, 2014).

The window starts come from one u ~ U[0, 1) per (sample, channel, pooled dim), drawn with
``rand`` as torch draws them (same seed, same windows) or given as ``_random_samples``; the
maths is ``ember.ops.resample.FractionalMaxIndices``, the gradient goes back to each maximum.
"""

from ..._random import rand
from ...ops import pooling as P
from ...ops.resample import FractionalMaxIndices as _FractionalMaxIndices

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices"]

_COUNT = {2: "", 3: "three "}
_AXES = {2: ("height", "width"), 3: ("time", "height", "width")}
# the column of _random_samples each pooled dim reads (torch's order: W first in 2-D)
_COLUMNS = {2: (1, 0), 3: (0, 1, 2)}


def _sizes(value, n, op, what):
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"{op}: {what} must either be a single Int or tuple of "
                           f"{_COUNT[n]}Ints")
    return value


def _fractional(n, input, kernel_size, output_size, output_ratio, _random_samples):
    op = f"fractional_max_pool{n}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if len(output_ratio) > n:  # NOTE: as torch, a single float fails here (no len)
            raise ValueError(f"{op} requires output_ratio to either be a single Int or tuple "
                             "of Ints.")
        ratio = tuple(output_ratio) if len(output_ratio) == n else tuple(output_ratio) * n
        output_size = [int(input.size(d - n) * ratio[d]) for d in range(n)]
    if _random_samples is None:
        batch = 1 if input.ndim == n + 1 else input.size(0)
        _random_samples = rand(batch, input.size(-n - 1), n, dtype=input.dtype,
                               device=input.device)
    kernel = _sizes(kernel_size, n, op, "kernel_size")
    out = _sizes(output_size, n, op, "output_size")
    _check(n, input, kernel, out, _random_samples)
    samples = _random_samples._data
    if input.ndim == n + 2:
        samples = samples[: input.shape[0]]
    else:
        samples = samples[0]
    indices = _FractionalMaxIndices(kernel, out, samples, _COLUMNS[n]).apply(input)
    values = P.PoolGather(indices._data, n, f"FractionalMaxPool{n}DBackward0").apply(input)
    return values, indices


def _check(n, input, kernel, out, samples):
    """torch's checks, classes and first lines."""
    where = "fractional_max_pool2d()" if n == 2 else "fractional_max_pool3d_out()"
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{where}: Expected {n + 1}D or {n + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    for d in range(input.ndim - n - 1, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(f"{where}: Expected input to have non-zero size for non-batch "
                               f"dimensions, but got{list(input.shape)} with dimension {d} "
                               "being empty.")
    if not input.is_floating_point():
        raise NotImplementedError(f'"fractional_max_pool{n}d_out_frame" not implemented for '
                                  f"'{input.dtype._short}'")
    if samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3 or samples.shape[2] != n:
        got = samples.shape[2] if samples.ndim == 3 else list(samples.shape)
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {n}; got {got}.")
    if samples.shape[1] != input.shape[-n - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    batch = input.shape[0] if input.ndim == n + 2 else 1
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    for axis, size, k, o in zip(_AXES[n], input.shape[-n:], kernel, out):
        if o + k - 1 > size:
            raise RuntimeError(f"{where}: pool {axis} {k} too large relative to input "
                               f"{axis} {size}")


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """(values, indices) of fractional_max_pool2d; indices are flat positions in each H x W
    plane (return_indices is ignored, as in torch)."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """(values, indices) of fractional_max_pool3d; indices are flat positions in each T x H x W
    volume (return_indices is ignored, as in torch)."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling over the last two dims of (N, C, H, W) or (C, H, W).

    Args: kernel_size (int or pair), output_size (int or pair) or output_ratio (pair of
    fractions of H, W), return_indices (default False), _random_samples ((N, C, 2) of u in
    [0, 1), in the input's dtype; drawn with rand when None).
    """
    values, indices = _fractional(2, input, kernel_size, output_size, output_ratio,
                                  _random_samples)
    return (values, indices) if return_indices else values


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling over the last three dims of (N, C, T, H, W) or (C, T, H, W);
    arguments as fractional_max_pool2d, with triples and (N, C, 3) samples."""
    values, indices = _fractional(3, input, kernel_size, output_size, output_ratio,
                                  _random_samples)
    return (values, indices) if return_indices else values
