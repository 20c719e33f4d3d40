"""Indexing: ``x[index]`` and ``x[index] = value`` (and ``index_put``).

Basic indexing (ints, slices, None, ...) returns a view sharing memory, as in torch; advanced
indexing (integer or bool tensors/lists) returns a copy.  Gradients flow through both.

The other indexing families live beside this file and are re-exported from here (so this
module's ``METHODS`` covers them all): ``selection.py`` (masks, take/put, nonzero, where),
``scatter.py`` (gather/scatter), ``index_dim.py`` (index_select/index_add/...), ``sorting.py``
(sort, topk, unique, searchsorted) and ``diagonal.py`` (tril/triu, diag, diagonal, trace).
"""

import operator
import re

import numpy as np

from .. import _device
from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node, ViewNode
from ._numpy_names import REQUIRED, missing, numpy_axis
from .shape import wrap_dim

__all__ = ["index_put", "select"]

_INDEX_DTYPE_ERROR = "tensors used as indices must be long, int, byte or bool tensors"


# ---------------------------------------------------------------------------- index parsing

def _convert_index(index, device):
    """An index with tensors and lists turned into backend arrays; also: is it basic?

    Basic items (ints, slices, None, ...) stay as they are; integer and bool tensors, lists and
    arrays become arrays of the input's backend (advanced indexing).
    """
    if type(index) is not tuple:
        if type(index) is list and _is_legacy_tuple(index):
            index = tuple(index)  # x[[0, slice(None)]] and x[[[0, 1], [1, 2]]] mean x[0, :] ...
        else:
            index = (index,)
    out = []
    basic = True
    for item in index:
        kind = type(item)
        if kind is int or item is None or item is Ellipsis:
            pass
        elif kind is slice:
            item = _slice(item)
        elif isinstance(item, Tensor):
            if item.dtype.category > D.INT:
                raise IndexError(_INDEX_DTYPE_ERROR)
            if item._data.ndim == 0 and item.dtype is not D.bool and item.dtype is not D.uint8:
                item = int(item.item())  # a 0-dim integer tensor selects, like an int
            else:
                if item.dtype is D.uint8:
                    item = item.to(D.bool)
                if item.device is not device:
                    from .convert import move_array

                    item = move_array(item._data, device)
                else:
                    item = item._data
                basic = False
        elif kind is bool or kind is np.bool_:
            item = bool(item)
            basic = False  # x[True] adds a dim, x[False] an empty one (numpy does the same)
        elif isinstance(item, (int, np.integer)):
            item = int(item)
        elif isinstance(item, (list, range, np.ndarray)):
            item = _device.xp_for(device).asarray(list(item) if kind is range else item)
            if item.dtype.kind == "f" and item.size == 0:
                item = item.astype(np.int64)  # x[[]] selects nothing
            elif item.dtype.kind not in "biu":
                raise IndexError(_INDEX_DTYPE_ERROR)
            basic = False
        elif isinstance(item, str):
            raise TypeError(f"new(): invalid data type '{kind.__name__}'")
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {kind.__name__})")
        out.append(item)
    return tuple(out), basic


def _is_legacy_tuple(seq):
    """A list holding slices, None, ..., tensors or lists is read as a tuple (torch's rule)."""
    for item in seq:
        if item is None or item is Ellipsis or isinstance(item, (slice, list, tuple, Tensor)):
            return True
    return False


def _slice(item):
    start, stop, step = item.start, item.stop, item.step
    if step is not None:
        step = _as_int(step)
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")
    if type(start) is int or start is None:
        if type(stop) is int or stop is None:
            return item if step is None or type(item.step) is int else slice(start, stop, step)
    return slice(_opt_int(start), _opt_int(stop), step)


def _as_int(v):
    return int(v.item()) if isinstance(v, Tensor) else int(v)


def _opt_int(v):
    return None if v is None else _as_int(v)


def _index_error(err, shape):
    """NumPy's IndexError in torch's words."""
    msg = str(err)
    if msg.startswith("too many indices"):
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    found = re.match(r"boolean index did not match indexed array along (?:axis|dimension) (\d+); "
                     r"size of (?:axis|dimension) is (\d+) but size of corresponding boolean "
                     r"(?:axis|dimension) is (\d+)", msg)
    if found:
        dim, size, mask = found.groups()
        return IndexError(f"The shape of the mask [{mask}] at index {dim} does not match the "
                          f"shape of the indexed tensor [{size}] at index {dim}")
    if msg.startswith("shape mismatch: indexing arrays"):
        shapes = ", ".join("[" + s.strip(",").replace(",", ", ").replace(",  ", ", ") + "]"
                           for s in re.findall(r"\(([\d, ]*)\)", msg))
        return IndexError("shape mismatch: indexing tensors could not be broadcast together "
                          f"with shapes {shapes}")
    return IndexError(msg.replace("axis", "dimension") + f" (tensor shape {list(shape)})")


def _shape_mismatch(value_shape, target_shape):
    return RuntimeError(f"shape mismatch: value tensor of shape {list(value_shape)} cannot be "
                        f"broadcast to indexing result of shape {list(target_shape)}")


# ---------------------------------------------------------------------------- x[index]

_VIEW_NAMES = {int: "SelectBackward0", slice: "SliceBackward0", type(None): "UnsqueezeBackward0"}


class BasicIndex(ViewNode):
    """y = x[index] for ints/slices/None/... (a view)          grad_x = zeros with grad at index"""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        index = self.index
        try:
            y = x[index]
        except IndexError as e:
            raise _index_error(e, x.shape) from None
        if type(y) is not type(x):  # numpy gives a scalar for a full int index: keep a 0-d view
            y = x[index + (Ellipsis,)]
        return y

    def view_fn(self, base):
        """The same view of another base (used after in-place changes through the view)."""
        return BasicIndex(self.index).apply(base)

    def backward(self, grad):
        shape, dtype = self._input_meta[0]
        return _put(grad.new_zeros(shape), self.index, grad, False)

    def name(self):
        # torch applies the items one by one: the node is named after the last one
        for item in reversed(self.index):
            if item is not Ellipsis:
                return _VIEW_NAMES[type(item)]
        return "AliasBackward0"


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
        return _put(grad.new_zeros(shape), self.index, grad, True)


def getitem(input, index):
    """``input[index]`` with torch's rules (a view for basic indexing)."""
    kind = type(index)
    if kind is int:  # the hot path: x[i]
        return BasicIndex((index,)).apply(input)
    if kind is slice and index.step is None:
        return BasicIndex((_slice(index),)).apply(input)
    index, basic = _convert_index(index, input.device)
    if basic:
        return BasicIndex(index).apply(input)
    split = _split_ints(index, input._data.ndim)
    if split is not None:  # ints select first, then the tensors index the view
        return AdvancedIndex(split[1]).apply(BasicIndex(split[0]).apply(input))
    return AdvancedIndex(index).apply(input)


def _split_ints(index, ndim):
    """(basic part, advanced part) of an index mixing ints with index arrays, else None.

    torch applies ints (and slices, None, ...) first and then the index tensors to that view,
    where numpy counts ints as index arrays too; the two place the result's dims differently
    (x[0, :, [1, 2]] has shape (4, 2) in torch for x of shape (3, 4, 5)).  Indexing in two
    steps gives torch's rule.
    """
    has_int = has_array = False
    consumed = 0
    for item in index:
        if type(item) is int:
            has_int = True
            consumed += 1
        elif type(item) is slice:
            consumed += 1
        elif item is not None and item is not Ellipsis and type(item) is not bool:
            has_array = True
            consumed += item.ndim if item.dtype == bool else 1
    if not (has_int and has_array):
        return None
    rest = max(ndim - consumed, 0)
    xp = _device.array_module_of(next(i for i in index if hasattr(i, "ndim")))
    basic, advanced = [], []
    for item in index:
        kind = type(item)
        if kind is int:
            basic.append(item)
        elif kind is slice or item is None:
            basic.append(item)
            advanced.append(slice(None))
        elif item is Ellipsis:
            basic.extend([slice(None)] * rest)
            advanced.extend([slice(None)] * rest)
        elif kind is bool:  # a new dim, indexed by a bool array (as numpy reads x[True])
            basic.append(None)
            advanced.append(xp.asarray([item]))
        else:
            basic.extend([slice(None)] * (item.ndim if item.dtype == bool else 1))
            advanced.append(item)
    return tuple(basic), tuple(advanced)


def select_index(input, index):
    """``input[index]`` for an index already converted by ``_convert_index``."""
    for item in index:
        if not (item is None or item is Ellipsis or type(item) in (int, slice)):
            return AdvancedIndex(index).apply(input)
    return BasicIndex(index).apply(input)


# ---------------------------------------------------------------------------- x[index] = value

class IndexPut(Node):
    """y = x with y[index] = v (or += v)
    grad_x = grad with index zeroed (kept when accumulating), grad_v = grad[index]"""

    _name = "IndexPutBackward0"

    def __init__(self, index, accumulate):
        self.index = index
        self.accumulate = accumulate

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
            raise _shape_mismatch(v.shape, x[self.index].shape) from None
        return y

    def backward(self, grad):
        grad_x = grad_v = None
        if self.needs_input_grad[0]:
            grad_x = grad if self.accumulate else _put(grad, self.index, 0, False)
        if self.needs_input_grad[1]:
            grad_v = select_index(grad, self.index)
            v_shape = self.input_shape(1)
            if len(v_shape) > grad_v.ndim:  # leading size-1 dims of the value were dropped
                grad_v = grad_v.reshape((1,) * (len(v_shape) - grad_v.ndim) + grad_v.shape)
        return grad_x, grad_v


def _put(input, index, values, accumulate):
    """``index_put`` for an index already converted by ``_convert_index``."""
    if not isinstance(values, Tensor):
        values = _scalar(values, input)
    elif values.dtype is not input.dtype:
        values = values.to(input.dtype)
    return IndexPut(index, accumulate).apply(input, values)


def _scalar(value, like):
    """A Python number (or list) as a tensor of ``like``'s dtype and device."""
    xp = _device.xp_for(like.device)
    return Tensor._make(xp.asarray(value, dtype=D.to_numpy_dtype(like.dtype)), like.device)


def index_put(input, indices, values, accumulate=False):
    """y = input with y[indices] = values (or += values when accumulating).

    A copy of ``input``; ``indices`` is a tuple of index tensors.  Same as torch.index_put.
    """
    index, _ = _convert_index(tuple(indices), input.device)
    if isinstance(values, Tensor) and values.device is not input.device:
        values = _same_device(values, input, "index_put")
    return _put(input, index, values, accumulate)


def _same_device(value, input, op):
    """A 0-dim value may come from the CPU (as in torch); anything else must match devices."""
    if value._data.ndim == 0 and value.device.type == "cpu":
        return value.to(input.device)
    from .._errors import device_mismatch

    raise device_mismatch(input.device, value.device, op)


def setitem(input, index, value):
    """``input[index] = value`` in place (values are cast to ``input``'s dtype)."""
    from ..autograd.grad_mode import state

    if not isinstance(value, (Tensor, int, float, complex)) and not isinstance(value, np.integer):
        raise _assign_type_error(value, input)
    if isinstance(value, Tensor) and value.device is not input.device:
        value = _same_device(value, input, "setitem")
    if type(index) is not int:
        index, basic = _convert_index(index, input.device)
        split = None if basic else _split_ints(index, input._data.ndim)
        if split is not None:  # ints select first (a view), then the tensors index it
            setitem(BasicIndex(split[0]).apply(input), split[1], value)
            return
    else:
        index = (index,)
        basic = True
    if 0 in input._data.strides:
        _check_overlapping_target(input, index, basic, value)
    if state.enabled and (input._requires_grad or
                          (isinstance(value, Tensor) and value._requires_grad)):
        if basic and 0 in input._data.strides:
            # an expand: copy into the view (as torch does), so the graph sees that one write
            # changes every alias of the region
            view = BasicIndex(index).apply(input)
            view.copy_(value if isinstance(value, Tensor) else _scalar(value, input))
            return
        input._inplace(_put, index, value, False)
        return
    data = value._data if isinstance(value, Tensor) else value
    try:
        input._data[index] = data
    except IndexError as e:
        raise _index_error(e, input.shape) from None
    except ValueError:
        raise _shape_mismatch(np.shape(data), input._data[index].shape) from None
    input._counter().value += 1


def _assign_type_error(value, input):
    """torch's TypeError for ``x[i] = value`` with a value that is neither a tensor nor a
    Python number (a list, a NumPy array, a float32 NumPy scalar ...)."""
    kind = type(value)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    return TypeError(f"can't assign a {name} to a {input.type()}\n  ember: make the value a "
                     "tensor first: x[i] = ember.as_tensor(value) (or ember.from_numpy(array))")


def _check_overlapping_target(input, index, basic, value):
    """``x[index] = value`` where ``x`` is an expand (elements sharing memory), as torch: a
    basic index copies into a view, which must not overlap itself; an advanced index is
    index_put_, which torch still runs, with a deprecation warning."""
    from .._tensor import _OVERLAP_MESSAGE, _overlaps, _warn_expanded_write

    if not _overlaps(input._data) or input.device.type == "meta":  # (meta: no values)
        return
    if basic or not any(hasattr(i, "ndim") for i in index):  # x[True] is a view too
        if any(i is False for i in index):
            return  # nothing is written
        try:
            target = input._data[tuple(None if i is True else i for i in index)]
        except IndexError as e:
            raise _index_error(e, input.shape) from None
        if _overlaps(target):
            raise RuntimeError(_OVERLAP_MESSAGE)
        return
    is_mask = any(getattr(i, "dtype", None) is not None and i.dtype.kind == "b" for i in index)
    _warn_expanded_write("index_put_")
    if is_mask and not isinstance(value, Tensor):  # torch goes on to masked_fill_, which warns
        _warn_expanded_write("masked_fill_")


def select(input, dim=REQUIRED, index=REQUIRED, *, axis=None):
    """The slice at ``index`` along ``dim``, that dim removed (a view: x.select(1, i) is
    x[:, i]). Same as torch.select."""
    if axis is not None or dim is REQUIRED:  # NumPy's names (ops/_numpy_names.py)
        dim = numpy_axis("select", dim, axis, REQUIRED)
    if index is REQUIRED:
        raise missing("select", "index")
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, len(shape))
    size = shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(shape)} at dimension {dim}")
    return BasicIndex((slice(None),) * d + (operator.index(index),)).apply(input)


# ---------------------------------------------------------------------------- the other families

from . import diagonal as _diagonal  # noqa: E402
from . import index_dim as _index_dim  # noqa: E402
from . import scatter as _scatter  # noqa: E402
from . import selection as _selection  # noqa: E402
from . import sorting as _sorting  # noqa: E402
from .diagonal import *  # noqa: E402, F403
from .index_dim import *  # noqa: E402, F403
from .scatter import *  # noqa: E402, F403
from .selection import *  # noqa: E402, F403
from .sorting import *  # noqa: E402, F403

_FAMILIES = (_selection, _scatter, _index_dim, _sorting, _diagonal)
for _module in _FAMILIES:
    __all__ += _module.__all__

# Tensor methods (installed by ember/_methods.py)
METHODS = {"index_put": index_put, "select": select}
INPLACE = {"index_put_": index_put}
for _module in _FAMILIES:
    METHODS.update(_module.METHODS)
    INPLACE.update(_module.INPLACE)
