"""The unpickler behind ember.load: an allowlist of globals, and opcodes that cannot be abused.

``find_class`` knows only the names a checkpoint needs (``_SAFE``: OrderedDict, the tensor and
parameter rebuild functions, storage types, dtypes, Size, device, ...) plus what the user allowed
(``serialization.add_safe_globals``); any other global is refused before anything runs.  The
pure-Python unpickler is used (its opcodes can be overridden, unlike the C one's), so that BUILD
reaches only the objects torch allows it on, and every size the file declares is checked against
the bytes left in the file before anything is allocated.  The file formats (zip, legacy) that
carry these pickles are read in ``_load.py``.
"""

import _compat_pickle
import os
import pickle
import struct
import threading
import types
from collections import OrderedDict

import numpy as np

from . import _device
from . import _dtype as D
from ._tensor import Size, Tensor


class RefusedGlobalError(pickle.UnpicklingError):
    """A weights-only load met a global outside the allowlist (nothing was run)."""


class _StorageType:
    """What ``torch.FloatStorage`` (etc.) unpickles to: the element dtype of a storage."""

    def __init__(self, dtype):
        self.dtype = dtype


_STORAGE_NAMES = {f"{d._short}Storage": d for d in D.ALL_DTYPES}


class _Storage:
    """A loaded storage: a 1-D host array and the device it was saved from."""

    def __init__(self, flat, location):
        self.flat, self.location = flat, location


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    """A tensor viewing ``storage`` (after checking the view stays inside it)."""
    flat = storage.flat
    size, stride = tuple(size), tuple(stride)
    _check_view(flat.size, storage_offset, size, stride)
    item = flat.itemsize
    view = np.lib.stride_tricks.as_strided(flat[storage_offset:], shape=size,
                                           strides=tuple(s * item for s in stride))
    t = Tensor._make(view, _device.device("cpu"))
    t = _context().place(t, storage.location)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_view(numel, offset, size, stride):
    if len(size) != len(stride):
        raise RuntimeError(f"tensor with size {size} and stride {stride} of "
                           "different lengths")
    if not isinstance(offset, int) or offset < 0 or any(
            not isinstance(v, int) or v < 0 for v in size + stride):
        raise RuntimeError(f"invalid tensor layout (offset {offset}, size {size}, "
                           f"stride {stride})")
    if 0 in size:
        return
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= numel:
        raise RuntimeError(f"tensor (offset {offset}, size {list(size)}, stride "
                           f"{list(stride)}) reaches element {last} of a storage of {numel} "
                           "elements; the file is corrupted or crafted")


# nn.Parameter lives above the tensor core: ember/nn/parameter.py registers the class here when
# it is imported (ember's __init__ always imports nn), so loading never imports nn.
_parameter_class = None


def register_parameter_class(cls):
    """The class ``_rebuild_parameter`` builds (nn.Parameter)."""
    global _parameter_class
    _parameter_class = cls


def _rebuild_parameter(data, requires_grad, backward_hooks, *state):
    return _parameter_class(data, requires_grad)


def _torch_device(*args):
    return _device.device(*args)


def _size(values=()):
    return Size(values)


def _encode(text, encoding="latin1"):  # _codecs.encode: how protocol 2 pickles bytes
    return text.encode(encoding)


_SAFE = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch", "device"): _torch_device,
    ("torch", "Size"): _size,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "complex"): complex,
    ("builtins", "slice"): slice,
    ("_codecs", "encode"): _encode,
}
for _name, _d in _STORAGE_NAMES.items():
    _SAFE[("torch", _name)] = _StorageType(_d)
for _d in D.ALL_DTYPES:
    _SAFE[("torch", _d.name)] = _d
_user_safe = {}  # add_safe_globals


def _lookup(module, name):
    key = (module, name)
    if key in _SAFE:
        return _SAFE[key]
    return _user_safe.get(f"{module}.{name}")


class _LoadContext:
    """The settings of one load: the file's name (for errors) and where loaded tensors go."""

    def __init__(self, name, map_location):
        self.name, self.map_location = name, map_location

    def place(self, t, location):
        """``t`` (on the CPU) moved to where ``map_location`` sends the saved ``location``."""
        ml = self.map_location
        if callable(ml) and not isinstance(ml, (str, _device.device)):
            result = ml(t, location)  # torch's contract: (storage, location) -> storage
            return t if result is None else result
        if isinstance(ml, dict):
            location = ml.get(location, location)
        elif ml is not None:
            location = ml
        dev = _device.device(location)
        if dev.type == "cuda" and not _device.cuda_available():
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                "is False. If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU.")
        return t if dev.type == "cpu" else t.to(dev)


# The load running in this thread: per thread, so that two loads in two threads never see
# each other's map_location.
_this_thread = threading.local()


def _context():
    return _this_thread.context


# ---------------------------------------------------------------------------- the unpickler

class _BoundedReader:
    """The file as the unpickler sees it: a read longer than what is left of the file is
    refused before it happens.  Every size a pickle declares (BINBYTES8, BINUNICODE8, FRAME,
    LONG4, ...) arrives here as a read, so a 12-byte pickle claiming 2**50 bytes allocates
    nothing."""

    def __init__(self, file, end):
        self.file, self.end = file, end
        self.position = file.tell()

    def read(self, n):
        left = self.end - self.position
        if n > left:
            raise pickle.UnpicklingError(f"the pickle is truncated or crafted: it declares "
                                         f"{n} more bytes where the file has {left} left")
        data = self.file.read(n)
        self.position += len(data)
        return data

    def readline(self):
        line = self.file.readline()
        self.position += len(line)
        return line


def _file_end(f):
    """The position just past the file's last byte (``f`` stays where it was)."""
    here = f.tell()
    end = f.seek(0, os.SEEK_END)
    f.seek(here)
    return end


class _Unpickler(pickle._Unpickler):
    """Reads the checkpoint pickle; ``read_storage(key, dtype, numel)`` supplies storages.

    The pure-Python unpickler, with four changes: ``find_class`` maps protocol-2 names as
    pickle does, then applies the allowlist; BUILD is limited (``load_build``); BYTEARRAY8
    reads before it allocates; persistent ids are storages only."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, end, read_storage, weights_only):
        super().__init__(_BoundedReader(file, end), encoding="utf-8")
        self.read_storage = read_storage
        self.weights_only = weights_only
        self.storages = {}
        self.handed_out = {}  # id -> name of each global find_class returned: never built

    def find_class(self, module, name):
        # Python 2 names (``__builtin__.set`` in every pickled Module): mapped as pickle does
        if self.proto < 3:
            module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        found = _lookup(module, name)
        if found is None and not self.weights_only:
            found = super().find_class(module, name)
        if found is None:
            raise RefusedGlobalError(
                f"Weights only load failed: unsupported global {module}.{name}. ember.load "
                "refuses it because running it could execute code from the file.\n  hint: if "
                "you trust the file's source, pass weights_only=False, or allow the global "
                f"with ember.serialization.add_safe_globals([{name}]).")
        self.handed_out[id(found)] = f"{module}.{name}"
        return found

    def load_build(self):
        # BUILD sets attributes on the object below it.  A global (a dtype, a storage type, a
        # function) is shared by the whole process: building it would change every later
        # load and ember itself, so it is refused whatever weights_only says.  weights_only
        # also limits BUILD to what torch allows: OrderedDicts, tensors through their
        # __setstate__, and instances of classes the user allowlisted.
        inst = self.stack[-2]
        if id(inst) in self.handed_out:
            raise pickle.UnpicklingError(f"the pickle sets attributes (BUILD) on the global "
                                         f"{self.handed_out[id(inst)]}; refused")
        if isinstance(inst, _NEVER_BUILT):  # devices are cached: one is everyone's
            raise pickle.UnpicklingError(f"the pickle sets attributes (BUILD) on "
                                         f"{type(inst).__name__} {inst!r}; refused")
        if self.weights_only:
            if isinstance(inst, Tensor):
                if not hasattr(inst, "__setstate__"):
                    raise pickle.UnpicklingError("the pickle sets attributes (BUILD) on a "
                                                 "tensor; refused")
            elif type(inst) is not OrderedDict and \
                    type(inst) not in {v for v in _user_safe.values() if isinstance(v, type)}:
                raise pickle.UnpicklingError(
                    f"Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
                    f"add_safe_globals, but got {type(inst).__name__}")
        pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = load_build

    def load_bytearray8(self):  # pickle's version allocates the declared size, then reads
        (n,) = struct.unpack("<Q", self.read(8))
        self.append(bytearray(self.read(n)))

    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage" \
                or not isinstance(pid[1], _StorageType):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        storage_type, key, location, numel = pid[1:5]
        if not isinstance(numel, int) or numel < 0:
            raise pickle.UnpicklingError(f"invalid storage size {numel!r}")
        if key not in self.storages:
            flat = self.read_storage(str(key), storage_type.dtype, numel)
            self.storages[key] = _Storage(flat, str(location))
        return self.storages[key]


# Objects BUILD never touches, however the file reached them: ember's shared objects.
_NEVER_BUILT = (D.dtype, _StorageType, _device.device, type, types.FunctionType,
                types.BuiltinFunctionType)


# What a malformed pickle makes the unpickler raise (besides UnpicklingError itself).
_PICKLE_ERRORS = (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError,
                  OverflowError, struct.error, UnicodeDecodeError, RecursionError)


def _unpickle(unpickler):
    """``unpickler.load()``; a malformed pickle raises UnpicklingError (torch's class)."""
    try:
        return unpickler.load()
    except _PICKLE_ERRORS as e:
        raise pickle.UnpicklingError(f"the pickle is corrupted or crafted "
                                     f"({type(e).__name__}: {e})") from None


def _numpy_dtype(dtype):
    if dtype.np is None:
        D.to_numpy_dtype(dtype)  # raises the "needs ml_dtypes" error
    return dtype.np.newbyteorder("<")
