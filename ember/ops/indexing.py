"""Indexing: ``x[index]`` and ``x[index] = value``, gather/scatter, masks, sorting, selection.

Basic indexing (ints, slices, None, ...) returns a view sharing memory, as in torch; advanced
indexing (integer or bool tensors/lists) returns a copy.  Gradients flow through both.
"""

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node

__all__ = ["index_put", "masked_fill"]


# ---------------------------------------------------------------------------- index parsing

def _convert_index(index, xp):
    """An index with tensors and lists turned into backend arrays; also: is it basic?"""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for item in index:
        if isinstance(item, Tensor):
            if item.dtype.category > D.INT:
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            if item.dtype is D.uint8:
                item = item.to(D.bool)
            item = item._data
            basic = False
        elif isinstance(item, (list, np.ndarray)):
            item = xp.asarray(item)
            if item.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            basic = False
        elif isinstance(item, slice):
            if item.step is not None and _as_int(item.step) <= 0:
                raise ValueError("step must be greater than zero")
            item = slice(_opt_int(item.start), _opt_int(item.stop), _opt_int(item.step))
        elif item is None or item is Ellipsis:
            pass
        elif isinstance(item, bool):
            basic = False  # x[True] adds a dim, as numpy and torch do
        elif isinstance(item, (int, np.integer)):
            item = int(item)
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices (got "
                             f"{type(item).__name__})")
        out.append(item)
    return tuple(out), basic


def _as_int(v):
    return int(v.item()) if isinstance(v, Tensor) else int(v)


def _opt_int(v):
    return None if v is None else _as_int(v)


def _index_error(err, shape):
    """NumPy's IndexError in torch's words."""
    msg = str(err).replace("axis", "dimension")
    return IndexError(msg + f" (tensor shape {list(shape)})")


def _name_for(index):
    kinds = {type(i) for i in index}
    if len(index) == 1 and int in kinds:
        return "SelectBackward0"
    if kinds <= {slice}:
        return "SliceBackward0"
    if kinds <= {type(None)}:
        return "UnsqueezeBackward0"
    return "SliceBackward0" if slice in kinds else "SelectBackward0"


# ---------------------------------------------------------------------------- x[index]

class BasicIndex(Node):
    """y = x[index] for ints/slices/None/... (a view)          grad_x = zeros with grad at index"""

    def __init__(self, index):
        self.index = index
        self._name = _name_for(index)

    def forward(self, x):
        index = self.index
        self.view_fn = lambda base: base[index]
        try:
            return x[index]
        except IndexError as e:
            raise _index_error(e, x.shape) from None

    def backward(self, grad):
        shape, dtype = self._input_meta[0]
        zeros = grad.new_zeros(shape)
        return index_put(zeros, self.index, grad)


class AdvancedIndex(Node):
    """y = x[index] with integer/bool arrays (a copy)          grad_x = grad added at index"""

    _name = "IndexBackward0"

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        try:
            return x[self.index]
        except IndexError as e:
            raise _index_error(e, x.shape) from None

    def backward(self, grad):
        shape, dtype = self._input_meta[0]
        return index_put(grad.new_zeros(shape), self.index, grad, accumulate=True)


def getitem(input, index):
    """``input[index]`` with torch's rules (a view for basic indexing)."""
    index, basic = _convert_index(index, _xp(input))
    if basic:
        return BasicIndex(index).apply(input)
    return AdvancedIndex(index).apply(input)


def select_index(input, index):
    """``input[index]`` for an index already converted by ``_convert_index``."""
    basic = all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in index)
    return BasicIndex(index).apply(input) if basic else AdvancedIndex(index).apply(input)


def _xp(t):
    from .. import _device

    return _device.xp_for(t.device)


# ---------------------------------------------------------------------------- x[index] = value

class IndexPut(Node):
    """y = x with y[index] = v (or += v)
    grad_x = grad with index zeroed (kept when accumulating), grad_v = grad[index]"""

    def __init__(self, index, accumulate):
        self.index = index
        self.accumulate = accumulate
        self._name = "IndexPutBackward0"

    def forward(self, x, v):
        y = x.copy()
        try:
            if self.accumulate:
                self.xp.add.at(y, self.index, v)
            else:
                y[self.index] = v
        except IndexError as e:
            raise _index_error(e, x.shape) from None
        except ValueError:
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {list(v.shape)} cannot be broadcast to "
                f"indexing result of shape {list(x[self.index].shape)}") from None
        return y

    def backward(self, grad):
        grad_x = grad_v = None
        if self.needs_input_grad[0]:
            grad_x = grad if self.accumulate else index_put(grad, self.index, 0.0)
        if self.needs_input_grad[1]:
            grad_v = select_index(grad, self.index)
        return grad_x, grad_v


def index_put(input, indices, values, accumulate=False):
    """A copy of ``input`` with ``values`` written (or added) at ``indices``."""
    indices, _ = _convert_index(indices, _xp(input))
    from .binary import scalar_tensor

    values = scalar_tensor(values, input.dtype, input.device)
    return IndexPut(indices, accumulate).apply(input, values)


def setitem(input, index, value):
    """``input[index] = value`` in place (values are cast to ``input``'s dtype)."""
    from ..autograd.grad_mode import state

    recording = state.enabled and (input._requires_grad or
                                   (isinstance(value, Tensor) and value._requires_grad))
    if recording:
        input._inplace(index_put, index, value)
        return
    index, _ = _convert_index(index, _xp(input))
    if isinstance(value, Tensor):
        if value.device is not input.device and value._data.ndim:
            from .._errors import device_mismatch

            raise device_mismatch(input.device, value.device, "setitem")
        value = value._data
    try:
        input._data[index] = value
    except IndexError as e:
        raise _index_error(e, input.shape) from None
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(np.shape(value))} cannot be broadcast "
            f"to indexing result of shape {list(input._data[index].shape)}") from None
    input._vc.value += 1


# ---------------------------------------------------------------------------- masks

class MaskedFill(Node):
    """y = where(mask, value, x)
    grad_x = grad where not mask,  grad_value = sum(grad where mask)"""

    def __init__(self, mask):
        self.mask = mask

    def forward(self, x, value):
        return self.xp.where(self.mask, value.astype(x.dtype), x)

    def backward(self, grad):
        keep = ~self._mask_tensor(grad)
        grad_x = grad * keep if self.needs_input_grad[0] else None
        grad_v = (grad * ~keep).sum() if self.needs_input_grad[1] else None
        return grad_x, grad_v

    def _mask_tensor(self, like):
        return Tensor._make(self.mask, like.device)


def masked_fill(input, mask, value):
    """``value`` where ``mask`` is True, else ``input``. Same as torch.masked_fill."""
    if not isinstance(mask, Tensor) or mask.dtype is not D.bool:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{getattr(mask, 'dtype', type(mask).__name__)}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    from .binary import scalar_tensor

    value = scalar_tensor(value, input.dtype, input.device)
    return MaskedFill(mask._data).apply(input, value)


# Tensor methods (installed by ember/_methods.py)
METHODS = {"masked_fill": masked_fill, "index_put": index_put}
INPLACE = {"masked_fill_": masked_fill, "index_put_": index_put}
