"""Changing a tensor's dtype or device, differentiably (``Tensor.to`` and friends)."""

from .. import _device, _tensor
from .._dtype import cast
from ..autograd.function import Node


class ToCopy(Node):
    """y = x in another dtype and/or on another device      dy/dx = identity (cast back)"""

    _name = "ToCopyBackward0"

    def __init__(self, dtype, device):
        self.dtype = dtype
        self.target = device

    def forward(self, x):
        y = cast(x, self.dtype) if self.dtype is not None else x
        if self.target is not None:
            y = move_array(y, self.target)
        return y

    def backward(self, grad):
        src_dtype = self._edges[0][3]  # the input's dtype (and below, its device)
        if not grad._requires_grad and grad.device is self.device:
            # no graph to record: the array cast as it is (no node; autocast casts each weight's
            # gradient back to float32 at every step)
            return _tensor.Tensor._make(cast(grad._data, src_dtype), grad.device)
        return to(grad, src_dtype, self.device)  # (not Tensor.to: no arguments to parse)

    def apply(self, x):
        out = super().apply(x)
        if self.target is not None and out.device is not self.target:
            out.device = self.target
        return out


def move_array(array, target):
    """Copy an array to the backend of ``target`` (numpy <-> cupy; to ``meta``: no values)."""
    if target.type == "meta":
        return _device.meta_array(array.shape, array.dtype)
    xp = _device.xp_for(target)
    src = _device.array_module_of(array)
    if xp is src:
        return array.copy() if target.type != "cpu" or _device._fake_cuda else array
    if src.__name__ == "numpy":
        return xp.asarray(array)
    return array.get()  # cupy -> numpy


def to(input, dtype=None, device=None, copy=False):
    """``input`` in ``dtype`` on ``device``; returns ``input`` itself when nothing changes."""
    if dtype is not None and dtype is input.dtype:
        dtype = None
    if device is not None:
        device = _device.canonical(device)
        if device is input.device:
            device = None
    if dtype is None and device is None:
        return input.clone() if copy else input
    if device is not None:
        check_copy_from_meta(input.device, device)
    return ToCopy(dtype, device).apply(input)


def check_copy_from_meta(source, target):
    """torch's error for moving a meta tensor (which has no values) to a real device."""
    if source.type == "meta" and target.type != "meta":
        raise NotImplementedError(
            "Cannot copy out of meta tensor; no data!\n  ember: a meta tensor has a shape and a "
            f"dtype but no values to copy to {target}; make a new tensor there instead "
            "(ember.empty_like(t, device=...), or module.to_empty(device=...) for a model)")
