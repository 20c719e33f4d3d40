"""Selecting by mask and by flat position: masked_fill, masked_select, masked_scatter, take,
put, nonzero/argwhere.

A mask is a bool tensor that broadcasts with the input; flat positions count through the input
as if it were 1-D (``take``/``put``).
"""

import numpy as np

from .. import _device
from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node
from .binary import write_out
from .indexing import _put, _scalar, select_index

# NOTE: where(condition) is nonzero(condition, as_tuple=True); ``where`` itself lives with the
# element-wise ops (binary_math.py) and calls nonzero from here
__all__ = ["masked_fill", "masked_select", "masked_scatter", "take", "put", "nonzero",
           "argwhere"]


# ---------------------------------------------------------------------------- masks

def _check_mask(mask, op):
    if not isinstance(mask, Tensor) or mask.dtype is not D.bool:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype "
                           f"{getattr(mask, 'dtype', type(mask).__name__)}")
    return mask._data


class MaskedFill(Node):
    """y = where(mask, value, x)
    grad_x = grad where not mask,  grad_value = sum(grad where mask)"""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x, value):
        return self.xp.where(self.mask, value.astype(x.dtype), x)

    def _broadcast_shapes(self, shapes):
        return [self.mask.shape, shapes[0]]  # torch names the mask first

    def backward(self, grad):
        mask = Tensor._make(self.mask, grad.device)
        grad_x = grad.masked_fill(mask, 0) if self.needs_input_grad[0] else None
        grad_v = (grad * mask).sum() if self.needs_input_grad[1] else None
        return grad_x, grad_v


def masked_fill(input, mask, value):
    """y = value where mask else input (mask broadcasts). Same as torch.masked_fill."""
    mask = _check_mask(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
        if value.device is not input.device:
            value = value.to(input.device)
        value = value if value.dtype is input.dtype else value.to(input.dtype)
    else:
        value = _scalar(value, input)
    return MaskedFill(mask).apply(input, value)


class MaskedSelect(Node):
    """y = the elements of x where mask (x and mask broadcast; 1-D)
    grad_x = zeros with grad written where mask"""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x):
        xp = self.xp
        shape = xp.broadcast_shapes(x.shape, self.mask.shape)
        self.mask = xp.broadcast_to(self.mask, shape)
        return xp.broadcast_to(x, shape)[self.mask]

    def _broadcast_shapes(self, shapes):
        return [self.mask.shape, shapes[0]]  # torch names the mask first

    def backward(self, grad):
        return _put(grad.new_zeros(self.mask.shape), (self.mask,), grad, False)


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (both broadcast)."""
    mask = _check_mask(mask, "masked_select:")
    return MaskedSelect(mask).apply(input)


class MaskedScatter(Node):
    """y = x with the positions where mask is True filled by source's elements in order
    grad_x = grad where not mask,  grad_source[:n] = grad[mask] (n = number of True)"""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x, source):
        xp = self.xp
        shape = xp.broadcast_shapes(x.shape, self.mask.shape)
        mask = self.mask = xp.broadcast_to(self.mask, shape)
        n = int(mask.sum())
        if source.size < n:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        y = xp.broadcast_to(x, shape).copy()
        y[mask] = source.reshape(-1)[:n]
        return y

    def backward(self, grad):
        mask = Tensor._make(self.mask, grad.device)
        grad_x = grad.masked_fill(mask, 0) if self.needs_input_grad[0] else None
        grad_source = None
        if self.needs_input_grad[1]:
            shape = self.input_shape(1)
            picked = select_index(grad, (self.mask,))
            flat = grad.new_zeros(int(np.prod(shape)))
            grad_source = _put(flat, (slice(0, picked.shape[0]),), picked, False).reshape(shape)
        return grad_x, grad_source


def masked_scatter(input, mask, source):
    """Copy ``source``'s elements, in order, into ``input`` where ``mask`` is True."""
    mask = _check_mask(mask, "masked_scatter_")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but "
                           f"got {input.dtype._short} and {source.dtype._short}")
    return MaskedScatter(mask).apply(input, source)


# ---------------------------------------------------------------------------- take / put

def _long_index(index, op, like):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype is not D.int64:
        raise RuntimeError(f"{op}(): Expected a long tensor for index, but got "
                           f"{index.dtype._short}")
    if index.device is not like.device:
        from .._errors import device_mismatch

        raise device_mismatch(like.device, index.device, op)
    return index._data


def _check_flat_range(xp, index, n):
    if index.size and (int(index.min()) < -n or int(index.max()) >= n):
        bad = int(index.max()) if int(index.max()) >= n else int(index.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")


class Take(Node):
    """y = x.flatten()[index] (shape of index)          grad_x = grad added at index"""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        _check_flat_range(self.xp, self.index, x.size)
        return x.reshape(-1)[self.index]

    def backward(self, grad):
        shape = self.input_shape(0)
        flat = grad.new_zeros(int(np.prod(shape)))
        return _put(flat, (self.index,), grad, True).reshape(shape)


def take(input, index):
    """y = input.flatten()[index], shaped like ``index``. Same as torch.take."""
    return Take(_long_index(index, "take", input)).apply(input)


class Put(Node):
    """y = x with y.flatten()[index] = source (or += source)
    grad_x = grad with index zeroed (kept when accumulating), grad_source = grad.take(index)"""

    def __init__(self, index, accumulate):
        self.index = index
        self.accumulate = accumulate

    def forward(self, x, source):
        if source.size != self.index.size:
            raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                               f"elements, but got source.numel() = {source.size}, "
                               f"index.numel() = {self.index.size}")
        _check_flat_range(self.xp, self.index, x.size)
        y = x.copy()
        flat = y.reshape(-1)
        if self.accumulate:
            self.xp.add.at(flat, self.index.reshape(-1), source.reshape(-1))
        else:
            flat[self.index.reshape(-1)] = source.reshape(-1)
        return y

    def backward(self, grad):
        grad_x = grad_source = None
        if self.needs_input_grad[0]:
            grad_x = grad
            if not self.accumulate:
                shape = grad.shape
                grad_x = _put(grad.reshape(-1), (self.index.reshape(-1),), 0, False).reshape(shape)
        if self.needs_input_grad[1]:
            grad_source = Take(self.index).apply(grad).reshape(self.input_shape(1))
        return grad_x, grad_source


def put(input, index, source, accumulate=False):
    """y = input with y.flatten()[index] = source (added when ``accumulate``)."""
    index = _long_index(index, "put_", input)
    if source.dtype is not input.dtype:
        raise RuntimeError(f"put_(): Expected self and source to have same dtype, but got "
                           f"{input.dtype._short} and {source.dtype._short}")
    return Put(index, accumulate).apply(input, source)


# ---------------------------------------------------------------------------- nonzero

def nonzero(input, *, out=None, as_tuple=False):
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or one 1-D tensor per
    dim with ``as_tuple=True``.  Same as torch.nonzero."""
    xp = _device.xp_for(input.device)
    data = input._data
    if out is not None:
        if as_tuple:
            raise RuntimeError("nonzero does not support the out kwarg when as_tuple is True")
        if out.dtype is not D.int64:
            raise RuntimeError(f"nonzero: Expected out tensor to have scalar type Long but got "
                               f"scalar type{out.dtype._short}")
    if as_tuple:
        if data.ndim == 0:
            data = data.reshape(1)
        return tuple(Tensor._make(i.astype(np.int64), input.device) for i in xp.nonzero(data))
    return write_out(Tensor._make(xp.argwhere(data).astype(np.int64), input.device), out,
                     "nonzero")


def argwhere(input):
    """The indices of the non-zero elements as an (n, ndim) tensor. Same as torch.argwhere."""
    return nonzero(input)


# Tensor methods (installed by ember/_methods.py through ops/indexing.py)
METHODS = {
    "masked_fill": masked_fill, "masked_select": masked_select, "masked_scatter": masked_scatter,
    "take": take, "put": put, "nonzero": nonzero, "argwhere": argwhere,
}
INPLACE = {"masked_fill_": masked_fill, "masked_scatter_": masked_scatter, "put_": put}
