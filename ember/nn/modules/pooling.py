"""Pooling layers: MaxPool, AvgPool, AdaptiveAvgPool, AdaptiveMaxPool, MaxUnpool, LPPool,
FractionalMaxPool.

Each layer keeps its options and calls the function of the same name in nn.functional; the
pools have no parameters.  Shapes: (N, C, *spatial) or unbatched (C, *spatial), where spatial
has 1, 2 or 3 dims for the 1d, 2d and 3d layers.
"""

from .. import functional as F
from .module import Module

__all__ = [
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "LPPool1d", "LPPool2d", "LPPool3d",
    "FractionalMaxPool2d", "FractionalMaxPool3d",
]


def _single(value, n):
    """torch stores 1d pooling and unpooling options as 1-tuples, 2d/3d unpooling as n-tuples."""
    return (value,) * n if isinstance(value, int) else tuple(value)


class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return getattr(F, self._fn)(input, self.kernel_size, self.stride, self.padding,
                                    self.dilation, ceil_mode=self.ceil_mode,
                                    return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """The max over windows of the last dim.

    Args: kernel_size, stride (default kernel_size), padding (0, filled with -inf),
    dilation (1), return_indices (False), ceil_mode (False).
    Shape: (N, C, L_in) or (C, L_in) -> (N, C, L_out), L_out = floor((L_in + 2 padding -
    dilation (kernel_size - 1) - 1) / stride) + 1 (ceil in ceil_mode).
    """

    _fn = "max_pool1d"


class MaxPool2d(_MaxPoolNd):
    """The max over windows of the last 2 dims (see MaxPool1d for the arguments).

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out), each dim as in MaxPool1d.
    """

    _fn = "max_pool2d"


class MaxPool3d(_MaxPoolNd):
    """The max over windows of the last 3 dims (see MaxPool1d for the arguments)."""

    _fn = "max_pool3d"


class AvgPool1d(Module):
    """The mean over windows of the last dim.

    Args: kernel_size, stride (default kernel_size), padding (0, zeros), ceil_mode (False),
    count_include_pad (True: the zeros of the padding count in the mean).
    Shape: (N, C, L_in) or (C, L_in) -> (N, C, L_out), as MaxPool1d with dilation 1.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size, 1)
        self.stride = _single(stride if stride is not None else kernel_size, 1)
        self.padding = _single(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AvgPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return getattr(F, self._fn)(input, self.kernel_size, self.stride, self.padding,
                                    self.ceil_mode, self.count_include_pad,
                                    self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """The mean over windows of the last 2 dims.

    Args: as AvgPool1d, plus divisor_override (None: divide by the window's size instead).
    Shape: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out).
    """

    _fn = "avg_pool2d"


class AvgPool3d(_AvgPoolNd):
    """The mean over windows of the last 3 dims (see AvgPool2d for the arguments)."""

    _fn = "avg_pool3d"


class _AdaptivePool(Module):
    _fn = None

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        if "max" in self._fn:
            self.return_indices = return_indices

    def forward(self, input):
        if "max" in self._fn:
            return getattr(F, self._fn)(input, self.output_size, self.return_indices)
        return getattr(F, self._fn)(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """The mean over output_size near-equal windows of the last dim: output i of a dim of
    length L averages inputs floor(i L / out) .. ceil((i + 1) L / out) - 1.

    Args: output_size (int). Shape: (N, C, L) or (C, L) -> (N, C, output_size).
    """

    def __init__(self, output_size):
        super().__init__(output_size)

    _fn = "adaptive_avg_pool1d"


class AdaptiveAvgPool2d(_AdaptivePool):
    """The mean over near-equal windows of the last 2 dims (see AdaptiveAvgPool1d).

    Args: output_size (int or (H, W); None keeps that dim). Shape: (N, C, H, W) -> (N, C, *out).
    """

    def __init__(self, output_size):
        super().__init__(output_size)

    _fn = "adaptive_avg_pool2d"


class AdaptiveAvgPool3d(_AdaptivePool):
    """The mean over near-equal windows of the last 3 dims (see AdaptiveAvgPool1d)."""

    def __init__(self, output_size):
        super().__init__(output_size)

    _fn = "adaptive_avg_pool3d"


class AdaptiveMaxPool1d(_AdaptivePool):
    """The max over output_size near-equal windows of the last dim (AdaptiveAvgPool1d's).

    Args: output_size, return_indices (False). Shape: (N, C, L) -> (N, C, output_size).
    """

    _fn = "adaptive_max_pool1d"


class AdaptiveMaxPool2d(_AdaptivePool):
    """The max over near-equal windows of the last 2 dims (see AdaptiveMaxPool1d)."""

    _fn = "adaptive_max_pool2d"


class AdaptiveMaxPool3d(_AdaptivePool):
    """The max over near-equal windows of the last 3 dims (see AdaptiveMaxPool1d)."""

    _fn = "adaptive_max_pool3d"


class _MaxUnpoolNd(Module):
    _fn = None
    _n = 1

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _single(kernel_size, self._n)
        self.stride = _single(stride if stride is not None else kernel_size, self._n)
        self.padding = _single(padding, self._n)

    def forward(self, input, indices, output_size=None):
        return getattr(F, self._fn)(input, indices, self.kernel_size, self.stride, self.padding,
                                    output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Undo MaxPool1d's selection: each value goes back to its index in a zero tensor.

    Args: kernel_size, stride (default kernel_size), padding (0). forward(input, indices,
    output_size=None). Shape: L_out = (L_in - 1) stride - 2 padding + kernel_size.
    """

    _fn = "max_unpool1d"
    _n = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Undo MaxPool2d's selection (see MaxUnpool1d); indices are flat over H_out x W_out."""

    _fn = "max_unpool2d"
    _n = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """Undo MaxPool3d's selection (see MaxUnpool1d)."""

    _fn = "max_unpool3d"
    _n = 3


class _LPPoolNd(Module):
    _fn = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return getattr(F, self._fn)(input, float(self.norm_type), self.kernel_size, self.stride,
                                    self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """(sum of x^p over each window)^(1/p) along the last dim.

    Args: norm_type (p), kernel_size, stride (default kernel_size), ceil_mode (False).
    """

    _fn = "lp_pool1d"


class LPPool2d(_LPPoolNd):
    """(sum of x^p over each window)^(1/p) over the last 2 dims (see LPPool1d)."""

    _fn = "lp_pool2d"


class LPPool3d(_LPPoolNd):
    """(sum of x^p over each window)^(1/p) over the last 3 dims (see LPPool1d)."""

    _fn = "lp_pool3d"


class _FractionalMaxPoolNd(Module):
    """Options of the fractional max pools; ``_random_samples`` is a buffer (None unless given),
    as in torch."""

    n = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _single(kernel_size, self.n)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _single(output_size, self.n) if output_size is not None else None
        self.output_ratio = None
        if output_ratio is not None:
            self.output_ratio = ((output_ratio,) * self.n if isinstance(output_ratio, float)
                                 else tuple(output_ratio))
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             "ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        fn = F.fractional_max_pool2d if self.n == 2 else F.fractional_max_pool3d
        return fn(input, self.kernel_size, self.output_size, self.output_ratio,
                  self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling (Graham, 2014) over (N, C, H, W) or (C, H, W): windows of
    ``kernel_size`` at pseudo-random starts, giving ``output_size`` (or ``output_ratio`` of
    the input size, each in (0, 1)) outputs per plane.

    Args: kernel_size, output_size=None, output_ratio=None, return_indices=False,
    _random_samples=None ((N, C, 2) fixed draws in [0, 1); drawn per call when None).
    """

    n = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling over (N, C, T, H, W) or (C, T, H, W); arguments as
    FractionalMaxPool2d, with triples and (N, C, 3) samples."""

    n = 3
