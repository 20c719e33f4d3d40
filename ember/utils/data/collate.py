"""default_collate and default_convert: samples -> batches of tensors, as torch.utils.data.

``default_collate(samples)`` is applied to the list of samples of one batch; it looks at the
first sample and recurses into its structure:

- tensors are stacked along a new first dimension; NumPy arrays become tensors first (their
  dtype is kept: float64 stays float64), string and object arrays are refused;
- NumPy scalars become a 1-d tensor of their dtype; Python floats a float64 tensor, ints an
  int64 tensor, bools a bool tensor; strings and bytes stay as a list;
- a dict gives a dict of collated values per key; a namedtuple the same namedtuple of collated
  fields; any other sequence (a tuple too) a list of collated positions.

``default_convert(sample)`` is what a DataLoader with ``batch_size=None`` applies: the same
conversions without stacking.

``collate(batch, collate_fn_map=...)`` is the engine both use: ``collate_fn_map`` maps a type
(or a tuple of types) to the function for batches whose first element is of that type.
"""

import collections.abc
import copy
import re

import numpy as np

from ... import _dtype
from ..._errors import _fmt_shape
from ..._tensor import Tensor
from ...ops.creation import as_tensor, tensor
from ...ops.join import stack

__all__ = ["default_collate", "default_convert", "collate", "default_collate_fn_map"]

_STRING_OR_OBJECT = re.compile(r"[SaUO]")  # NumPy dtype codes that do not make tensors
_TYPE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
               "lists; found {}")


def default_convert(data):
    """NumPy arrays and scalars -> tensors, recursing into mappings and sequences (tuples
    become lists, namedtuples stay namedtuples); everything else is returned as it is."""
    kind = type(data)
    if isinstance(data, Tensor):
        return data
    if kind.__module__ == "numpy" and kind.__name__ not in ("str_", "string_"):
        if isinstance(data, np.ndarray) and _STRING_OR_OBJECT.search(data.dtype.str):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return kind(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(like, values):
    """A mapping of ``like``'s type holding ``values`` (a plain dict when the type cannot be
    copied or built from a dict)."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)  # keeps any extra attributes of the mapping type
            clone.update(values)
            return clone
        return type(like)(values)
    except TypeError:
        return values


def _rebuild_sequence(like, items):
    """A sequence of ``like``'s type holding ``items`` (a list when that type cannot be)."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


# ---------------------------------------------------------------------------- leaf collators


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Tensors of one shape -> stack(batch, 0)."""
    return stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """NumPy arrays -> tensors of the same dtype, stacked."""
    if _STRING_OR_OBJECT.search(batch[0].dtype.str):
        raise TypeError(_TYPE_ERROR.format(batch[0].dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """NumPy scalars -> a 1-d tensor of their dtype."""
    return as_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None):
    """Python floats -> a float64 tensor (not the default dtype: no precision is lost)."""
    return tensor(batch, dtype=_dtype.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    """Python ints -> an int64 tensor (bools -> a bool tensor)."""
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes stay a list."""
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


# ---------------------------------------------------------------------------- the recursion


def _find_fn(elem, collate_fn_map):
    """The function of ``collate_fn_map`` for ``elem``: its exact type first, then the first
    entry it is an instance of."""
    if collate_fn_map is None:
        return None
    if type(elem) in collate_fn_map:
        return collate_fn_map[type(elem)]
    for kind, fn in collate_fn_map.items():
        if isinstance(elem, kind):
            return fn
    return None


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` (a list of samples) by the type of its first sample; see the module's
    docstring for the rules."""
    return _collate(batch, collate_fn_map, "")


def _collate(batch, collate_fn_map, where):
    """``collate`` that knows where it is in the sample (``where``, e.g. "['image']"), so a
    shape mismatch can be named."""
    elem = batch[0]
    fn = _find_fn(elem, collate_fn_map)
    if fn is not None:
        try:
            return fn(batch, collate_fn_map=collate_fn_map)
        except RuntimeError as error:
            friendly = _explain(error, batch, where)
            if friendly is error:
                raise
            raise friendly from None
    if isinstance(elem, collections.abc.Mapping):
        values = {key: _collate([d[key] for d in batch], collate_fn_map, f"{where}[{key!r}]")
                  for key in elem}
        return _rebuild_mapping(elem, values)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        fields = zip(*batch)
        return type(elem)(*(_collate(list(f), collate_fn_map, f"{where}.{name}")
                            for name, f in zip(elem._fields, fields)))
    if isinstance(elem, collections.abc.Sequence):
        sizes = [len(sample) for sample in batch]
        if any(size != sizes[0] for size in sizes):
            odd = next(i for i, size in enumerate(sizes) if size != sizes[0])
            raise RuntimeError(
                "each element in list of batch should be of equal size\n"
                f"  in default_collate: {_field(where)} of sample 0 has {sizes[0]} elements, "
                f"of sample {odd} has {sizes[odd]}\n"
                "  hint: give every sample the same structure, or pass a collate_fn that "
                "handles samples of different lengths")
        positions = [_collate(list(p), collate_fn_map, f"{where}[{i}]")
                     for i, p in enumerate(zip(*batch))]
        if isinstance(elem, tuple):
            return positions
        return _rebuild_sequence(elem, positions)
    raise TypeError(_TYPE_ERROR.format(type(elem)))


def _field(where):
    return f"field sample{where}" if where else "the sample"


def _explain(error, batch, where):
    """torch's stack error for samples of different shapes, with ember's explanation: which
    field of the sample, and the shapes of two samples that differ.

    The most precise place wins: a NumPy field is stacked by an inner ``collate`` call that
    does not know the field's name, so the level above explains it again with the name.
    """
    torch_message = getattr(error, "_torch_message", None)
    if torch_message is None:
        if not str(error).startswith("stack expects each tensor"):
            return error
        torch_message = str(error)
    elif error._where or not where:
        return error
    shapes = [tuple(np.shape(b)) for b in batch]
    odd = next((i for i, s in enumerate(shapes) if s != shapes[0]), None)
    if odd is None:
        return error
    friendly = RuntimeError(
        f"{torch_message}\n"
        f"  in default_collate: {_field(where)} of sample 0 has shape {_fmt_shape(shapes[0])}, "
        f"of sample {odd} has shape {_fmt_shape(shapes[odd])}\n"
        "  hint: default_collate stacks the samples of a batch, so they need one shape: "
        "resize or crop them in the dataset, or pass a collate_fn that pads them "
        "(e.g. with nn.utils.rnn.pad_sequence)")
    friendly._torch_message = torch_message
    friendly._where = where
    return friendly


def default_collate(batch):
    """Samples -> one batch, with torch's rules (see the module's docstring).

    >>> default_collate([0, 1, 2])
    tensor([0, 1, 2])
    >>> default_collate([{'x': 1.5, 'name': 'a'}, {'x': 2.0, 'name': 'b'}])
    {'x': tensor([1.5000, 2.0000], dtype=ember.float64), 'name': ['a', 'b']}
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)
