"""Padding layers: Zero-, Constant-, Reflection-, Replication- and CircularPad 1d/2d/3d.

Each one calls F.pad with its mode on the last 1, 2 or 3 dims.  ``padding`` is an int (the
same on every side) or a tuple (left, right[, top, bottom[, front, back]]), as in torch.
"""

from .. import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    """y = F.pad(x, padding, mode).  Shape: (*, in) -> (*, in + before + after) per padded dim."""

    nd = 1
    mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = (padding,) * (2 * self.nd) if isinstance(padding, int) else tuple(padding)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    """Pads with a constant ``value``."""

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with ``value``: (C, W) or (N, C, W) -> W + left + right."""

    nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last 2 dims with ``value``; padding (left, right, top, bottom)."""

    nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last 3 dims with ``value``; padding (left, right, top, bottom, front, back)."""

    nd = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last 2 dims with zeros; padding (left, right, top, bottom)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last 3 dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Mirrors the input at its edges without repeating them: 2 1 | 0 1 2 3 | 2 1.
    Shape: (C, W) or (N, C, W); each pad must be smaller than the size it pads."""

    nd = 1
    mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Reflection padding of the last 2 dims: (C, H, W) or (N, C, H, W)."""

    nd = 2
    mode = "reflect"


class ReflectionPad3d(_PadNd):
    """Reflection padding of the last 3 dims: (C, D, H, W) or (N, C, D, H, W)."""

    nd = 3
    mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Repeats the edge values: 0 0 | 0 1 2 3 | 3 3.  Shape: (C, W) or (N, C, W)."""

    nd = 1
    mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Replication padding of the last 2 dims: (C, H, W) or (N, C, H, W)."""

    nd = 2
    mode = "replicate"


class ReplicationPad3d(_PadNd):
    """Replication padding of the last 3 dims: (C, D, H, W) or (N, C, D, H, W)."""

    nd = 3
    mode = "replicate"


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input):
        if input.ndim not in (self.nd + 1, self.nd + 2):
            raise ValueError(f"expected {self.nd + 1}D or {self.nd + 2}D input (got "
                             f"{input.ndim}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Wraps around: 2 3 | 0 1 2 3 | 0 1.  Shape: (C, W) or (N, C, W)."""

    nd = 1


class CircularPad2d(_CircularPadNd):
    """Circular padding of the last 2 dims: (C, H, W) or (N, C, H, W)."""

    nd = 2


class CircularPad3d(_CircularPadNd):
    """Circular padding of the last 3 dims: (C, D, H, W) or (N, C, D, H, W)."""

    nd = 3
