"""Storages, as torch.storage: the memory under a tensor, seen as bytes (``UntypedStorage``)
or as elements of one dtype (``TypedStorage`` and the legacy ``FloatStorage``,
``LongStorage``, ...).  ``tensor.untyped_storage()`` and ``tensor.storage()`` give a view of
the whole memory the tensor lives in (a view's storage is its base's): reading and writing
elements reads and writes the tensor.  A storage made on its own (``FloatStorage(3)``,
``UntypedStorage(8)``, ``TypedStorage([1, 2], dtype=ember.int64)``) owns new memory.

Old code uses them to look at memory (size, element access, tolist, data_ptr, nbytes) and
to build tensors from (``ember.tensor(storage)``).  CPU tensors only.
"""

import collections.abc
import mmap
import warnings

import numpy as np

from . import _device
from . import _dtype as D

__all__ = ["TypedStorage", "UntypedStorage", "is_storage", "BoolStorage", "ByteStorage",
           "CharStorage", "ShortStorage", "IntStorage", "LongStorage", "HalfStorage",
           "BFloat16Storage", "FloatStorage", "DoubleStorage", "ComplexFloatStorage",
           "ComplexDoubleStorage"]


def _memory_of(array):
    """The bytes of the whole allocation ``array`` lives in (a 1-D uint8 view) and the
    offset of ``array``'s first element in it."""
    if not isinstance(array, np.ndarray):
        raise NotImplementedError("ember's storages cover CPU (NumPy) tensors only")
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if root.flags.f_contiguous and not root.flags.c_contiguous:
        root = root.T  # the same memory, C-ordered
    if not root.flags.c_contiguous:  # memory NumPy does not describe as one block
        root = array
        if not array.flags.c_contiguous:
            raise NotImplementedError("ember cannot show the storage of this tensor (its "
                                      "memory is not one block); use tensor.contiguous()")
    flat = root.reshape(-1).view(np.uint8)
    start = flat.__array_interface__["data"][0]
    offset = array.__array_interface__["data"][0] - start if array.size else 0
    return flat, offset


class UntypedStorage:
    """Bytes of memory: ``size()``/``nbytes()`` bytes, each read and written as an int
    0..255."""

    def __init__(self, size_or_sequence=0, *, device=None):
        if device is not None and _device.device(device).type != "cpu":
            raise NotImplementedError("ember's storages live on the CPU")
        if isinstance(size_or_sequence, np.ndarray) and size_or_sequence.dtype == np.uint8:
            self._bytes = size_or_sequence  # a view over existing memory
        elif isinstance(size_or_sequence, int):
            self._bytes = np.zeros(size_or_sequence, dtype=np.uint8)
        else:
            self._bytes = np.array(list(size_or_sequence), dtype=np.uint8)

    device = _device.device("cpu")
    is_sparse = False
    is_cuda = False

    def size(self):
        return int(self._bytes.size)

    def nbytes(self):
        return int(self._bytes.size)

    def __len__(self):
        return int(self._bytes.size)

    def element_size(self):
        return 1

    def data_ptr(self):
        return int(self._bytes.__array_interface__["data"][0])

    def __getitem__(self, index):
        if isinstance(index, slice):
            return UntypedStorage(self._bytes[index])
        return int(self._bytes[index])

    def __setitem__(self, index, value):
        self._bytes[index] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        return self._bytes.tolist()

    def fill_(self, value):
        self._bytes[...] = value
        return self

    def copy_(self, source, non_blocking=None):
        if source.nbytes() != self.nbytes():
            raise RuntimeError(f"size does not match, self was {self.nbytes()} bytes but "
                               f"src was {source.nbytes()} bytes")
        self._bytes[...] = source._bytes if isinstance(source, UntypedStorage) else \
            source._untyped_storage._bytes
        return self

    def clone(self):
        return UntypedStorage(self._bytes.copy())

    def cpu(self):
        return self

    def is_shared(self):
        return _in_shared_memory(self._bytes)

    def is_pinned(self, device="cuda"):
        """False: NumPy memory is never pinned (``device`` must still name a device)."""
        _device.device(device)
        return False

    def untyped(self):
        return self

    def __repr__(self):
        body = "\n".join(f" {b}" for b in self.tolist())
        return f"{body}\n[ember.storage.UntypedStorage(device=cpu) of size {self.size()}]"


_warned = []


def _warn_typed_storage_removal(stacklevel=3):
    """torch's once-per-process warning that TypedStorage is deprecated."""
    if not _warned:
        _warned.append(True)
        warnings.warn("TypedStorage is deprecated. It will be removed in the future and "
                      "UntypedStorage will be the only storage class. This should only matter "
                      "to you if you are using storages directly.  To access UntypedStorage "
                      "directly, use tensor.untyped_storage() instead of tensor.storage()",
                      UserWarning, stacklevel=stacklevel)


class TypedStorage:
    """Elements of one dtype over an UntypedStorage: ``size()`` elements of
    ``element_size()`` bytes."""

    is_sparse = False
    device = _device.device("cpu")

    def __init__(self, *args, dtype=None, device=None, wrap_storage=None, _internal=False):
        if not _internal:
            _warn_typed_storage_removal()
        dtype = D.check_dtype(dtype, "TypedStorage") or getattr(self, "_fixed_dtype", None) \
            or D.get_default_dtype()
        self.dtype = dtype
        if wrap_storage is not None:
            self._untyped_storage = wrap_storage
            return
        if device is not None and _device.device(device).type != "cpu":
            raise NotImplementedError("ember's storages live on the CPU")
        np_dtype = D.to_numpy_dtype(dtype)
        if len(args) > 1:
            raise TypeError("TypedStorage takes one size or one sequence")
        value = args[0] if args else 0
        if isinstance(value, int):
            values = np.zeros(value, dtype=np_dtype)
        else:
            values = np.array(list(value)).astype(np_dtype)
        self._untyped_storage = UntypedStorage(values.reshape(-1).view(np.uint8))

    def _values(self):
        return self._untyped_storage._bytes.view(D.to_numpy_dtype(self.dtype))

    def size(self):
        return self._untyped_storage.size() // self.element_size()

    def __len__(self):
        return self.size()

    def element_size(self):
        return self.dtype.itemsize

    def nbytes(self):
        return self._untyped_storage.nbytes()

    def data_ptr(self):
        return self._untyped_storage.data_ptr()

    def untyped(self):
        return self._untyped_storage

    def _new(self, values):
        return TypedStorage(wrap_storage=UntypedStorage(values.reshape(-1).view(np.uint8)),
                            dtype=self.dtype, _internal=True)

    def __getitem__(self, index):
        values = self._values()
        if isinstance(index, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        if not -len(values) <= index < len(values):
            raise IndexError(f"index {index} out of range for storage of size {len(values)}")
        return values[index].item()

    def __setitem__(self, index, value):
        self._values()[index] = value

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        return self._values().tolist()

    def fill_(self, value):
        self._values()[...] = value
        return self

    def copy_(self, source, non_blocking=None):
        self._values()[...] = np.asarray(source.tolist()).astype(self._values().dtype)
        return self

    def clone(self):
        return self._new(self._values().copy())

    def cpu(self):
        return self

    def is_shared(self):
        return self._untyped_storage.is_shared()

    def is_pinned(self, device="cuda"):
        """False: NumPy memory is never pinned (``device`` must still name a device)."""
        _device.device(device)
        return False

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return _LEGACY_NAME.get(self.dtype, "ember.storage.TypedStorage")
        raise NotImplementedError("ember's TypedStorage.type() only names the storage type")

    def __array__(self, dtype=None, copy=None):
        values = self._values()
        return values if dtype is None else values.astype(dtype)

    def __repr__(self):
        body = "\n".join(f" {v}" for v in self.tolist())
        return (f"{body}\n[ember.storage.TypedStorage(dtype={self.dtype!r}, device=cpu) of "
                f"size {self.size()}]")


# storages are sequences of their elements (ember.tensor(storage) reads them as a list)
collections.abc.Sequence.register(UntypedStorage)
collections.abc.Sequence.register(TypedStorage)


def _tensor_storage(tensor, typed):
    """The storage of ``tensor`` (the whole memory it lives in, shared)."""
    memory, _ = _memory_of(tensor._data)
    untyped = UntypedStorage(memory)
    if not typed:
        return untyped
    _warn_typed_storage_removal(stacklevel=4)
    return TypedStorage(wrap_storage=untyped, dtype=tensor.dtype, _internal=True)


def is_storage(obj):
    """Whether ``obj`` is a storage (typed or untyped)."""
    return isinstance(obj, (TypedStorage, UntypedStorage))


# ---------------------------------------------------------------------------- legacy classes

def _legacy(name, dtype):
    """FloatStorage & co: a TypedStorage whose dtype is fixed by the class."""

    def __init__(self, *args, device=None, wrap_storage=None):
        _warn_typed_storage_removal()
        TypedStorage.__init__(self, *args, dtype=dtype, device=device,
                              wrap_storage=wrap_storage, _internal=True)

    return type(name, (TypedStorage,), {"_fixed_dtype": dtype, "__init__": __init__,
                                        "__module__": "ember",
                                        "__doc__": f"A TypedStorage of {dtype!r} (legacy)."})


BoolStorage = _legacy("BoolStorage", D.bool)
ByteStorage = _legacy("ByteStorage", D.uint8)
CharStorage = _legacy("CharStorage", D.int8)
ShortStorage = _legacy("ShortStorage", D.int16)
IntStorage = _legacy("IntStorage", D.int32)
LongStorage = _legacy("LongStorage", D.int64)
HalfStorage = _legacy("HalfStorage", D.float16)
BFloat16Storage = _legacy("BFloat16Storage", D.bfloat16)
FloatStorage = _legacy("FloatStorage", D.float32)
DoubleStorage = _legacy("DoubleStorage", D.float64)
ComplexFloatStorage = _legacy("ComplexFloatStorage", D.complex64)
ComplexDoubleStorage = _legacy("ComplexDoubleStorage", D.complex128)

_LEGACY = {cls._fixed_dtype: cls for cls in (
    BoolStorage, ByteStorage, CharStorage, ShortStorage, IntStorage, LongStorage, HalfStorage,
    BFloat16Storage, FloatStorage, DoubleStorage, ComplexFloatStorage, ComplexDoubleStorage)}
_LEGACY_NAME = {d: "ember." + cls.__name__ for d, cls in _LEGACY.items()}


# ---------------------------------------------------------------------------- Tensor methods

def storage(self):
    """The tensor's memory as a TypedStorage of its dtype (torch warns: deprecated)."""
    return _tensor_storage(self, typed=True)


def untyped_storage(self):
    """The tensor's memory as bytes (an UntypedStorage sharing it)."""
    return _tensor_storage(self, typed=False)


def storage_type(self):
    """The legacy storage class of the tensor's dtype (FloatStorage for float32, ...)."""
    return _LEGACY[self.dtype]


def _in_shared_memory(array):
    """Whether ``array``'s memory is a shared mapping (made by share_memory_)."""
    root = array
    while isinstance(root, np.ndarray):
        root = root.base
    if isinstance(root, memoryview):
        root = root.obj
    return isinstance(root, mmap.mmap)


def is_shared(self):
    """Whether the tensor's memory is shared between processes (after share_memory_)."""
    return isinstance(self._data, np.ndarray) and _in_shared_memory(self._data)


def share_memory_(self):
    """Move the tensor's values into memory shared with the processes this one forks later
    (an anonymous shared mapping): a child process (a DataLoader worker, a multiprocessing
    Process) that changes them in place changes them for the parent too.  Returns self.

    ember moves a whole tensor that is not a view (torch moves a view's whole storage); views
    made of the tensor before the move keep the old memory."""
    if self.device.type != "cpu" or is_shared(self):
        return self
    if self._base is not None:
        raise NotImplementedError("ember's share_memory_() moves whole tensors: call it on "
                                  "the tensor this one is a view of")
    data = self._data
    shared = mmap.mmap(-1, max(data.nbytes, 1))  # anonymous and MAP_SHARED: kept across fork
    array = np.frombuffer(shared, dtype=data.dtype, count=data.size).reshape(data.shape)
    array[...] = data
    self._data = array
    return self


METHODS = {"storage": storage, "untyped_storage": untyped_storage,
           "storage_type": storage_type, "is_shared": is_shared, "share_memory_": share_memory_}
