"""ember.save: write PyTorch's checkpoint format (a zip of a pickle plus raw storages).

The file is what ``torch.save`` writes, so ``torch.load(path, weights_only=True)`` reads it:

    <name>/data.pkl                pickle (protocol 2) of the object; each tensor is
                                   torch._utils._rebuild_tensor_v2(storage, offset, size,
                                   stride, requires_grad, OrderedDict())
    <name>/data/<key>              one record per storage: its raw little-endian bytes
    <name>/version, byteorder, .format_version, .storage_alignment, .data/serialization_id

Records are stored uncompressed, each starting on a 64-byte boundary.  Tensors that are views
of one array share one storage record (offset and strides in elements), as in torch.

The pickle names torch's functions and classes (``torch._utils._rebuild_tensor_v2``,
``torch.FloatStorage``), which ember cannot import; a small pure-Python pickler writes those
names by hand (``_TorchName``).
"""

import io
import os
import pathlib
import pickle
import re
import struct
import zipfile
from collections import OrderedDict

import numpy as np

from . import _device
from . import _dtype as D
from ._tensor import Size, Tensor

_ALIGNMENT = 64


class _TorchName:
    """Stands for a torch global (module.name) in the pickle; written as GLOBAL by hand."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle requires a reduce function to be callable
        raise RuntimeError("a placeholder for a torch function in a checkpoint")


_REBUILD_TENSOR = _TorchName("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchName("torch._utils", "_rebuild_parameter")
_TORCH_DEVICE = _TorchName("torch", "device")
_TORCH_SIZE = _TorchName("torch", "Size")


class _Storage:
    """One storage record: a 1-D host array and the device it came from."""

    def __init__(self, key, flat, dtype, location):
        self.key, self.flat, self.dtype, self.location = key, flat, dtype, location


def _root(array):
    """The array that owns ``array``'s memory (following .base)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


class _CheckpointPickler(pickle._Pickler):
    """Pickles ember tensors, parameters, dtypes, devices and Sizes as torch does."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol=2):
        super().__init__(file, protocol=protocol)
        self.storages = OrderedDict()  # id(root array) -> _Storage

    def _save_torch_name(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[_TorchName] = _save_torch_name

    def _save_dtype(self, obj):  # torch pickles a dtype as the global itself: torch.float32
        self.write(pickle.GLOBAL + f"torch\n{obj.name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[D.dtype] = _save_dtype

    def _save_numpy_scalar(self, obj):  # torch refuses numpy globals: a Python number instead
        self.save(obj.item())

    for _t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
               np.uint64, np.float16, np.float32, np.float64, np.complex64, np.complex128):
        dispatch[_t] = _save_numpy_scalar
    del _t

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            storage_type = _TorchName("torch", f"{obj.dtype._short}Storage")
            return ("storage", storage_type, obj.key, obj.location, int(obj.flat.size))
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            if obj._saved_as_parameter:  # nn.Parameter and its subclasses
                plain = Tensor._make(obj._data, obj.device)
                return _REBUILD_PARAMETER, (plain, obj.requires_grad, OrderedDict())
            return self._reduce_tensor(obj)
        if isinstance(obj, _device.device):
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            return _TORCH_DEVICE, args
        if isinstance(obj, Size):
            return _TORCH_SIZE, (tuple(int(s) for s in obj),)
        return NotImplemented

    def _reduce_tensor(self, t):
        array = t._data
        location = str(t.device)
        if t.device.type != "cpu":
            array = t._host()
        storage, offset, strides = self._storage_of(array, t.dtype, location)
        return _REBUILD_TENSOR, (storage, offset, tuple(int(s) for s in array.shape), strides,
                                 t.requires_grad, OrderedDict())

    def _storage_of(self, array, dtype, location):
        """(storage, offset, strides in elements) for ``array``, sharing its owner's storage
        when the layout allows (a view of a C-contiguous owner of the same dtype)."""
        item = array.itemsize
        root = _root(array)
        shareable = (root.dtype == array.dtype and root.flags.c_contiguous
                     and all(s >= 0 and s % item == 0 for s in array.strides))
        if shareable:
            offset_bytes = (array.__array_interface__["data"][0]
                            - root.__array_interface__["data"][0])
            shareable = offset_bytes % item == 0
        if not shareable:  # a copy of its own
            root = np.require(array, requirements="C").copy()
            offset_bytes = 0
        storage = self.storages.get(id(root))
        if storage is None:
            storage = _Storage(str(len(self.storages)), root.reshape(-1), dtype, location)
            self.storages[id(root)] = storage
            storage.keep_alive = root  # id(root) must not be reused while pickling
        strides = tuple(s // item for s in array.strides) if shareable else \
            _contiguous_strides(array.shape)
        return storage, offset_bytes // item, strides


def _contiguous_strides(shape):
    strides, step = [], 1
    for s in reversed(shape):
        strides.append(step)
        step *= max(int(s), 1)
    return tuple(reversed(strides))


def _aligned_info(zf, name, size):
    """A ZipInfo whose data will start on a 64-byte boundary (padding in an 'FB' extra field,
    as torch writes it)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = zf.fp.tell() + 30 + len(name.encode())  # local header is 30 bytes + name
    pad = (-(start + 4)) % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    info.file_size = size
    return info


def _write_zip(obj, file, prefix, protocol=2):
    buffer = io.BytesIO()
    pickler = _CheckpointPickler(buffer, protocol)
    pickler.dump(obj)
    records = [("data.pkl", buffer.getvalue()), (".format_version", b"1"),
               (".storage_alignment", b"64"), ("byteorder", b"little")]
    for storage in pickler.storages.values():
        flat = storage.flat
        if flat.dtype.byteorder == ">":
            flat = flat.astype(flat.dtype.newbyteorder("<"))
        records.append((f"data/{storage.key}", flat))
    records += [("version", b"3\n"),
                (".data/serialization_id", str(int.from_bytes(os.urandom(16), "big"))
                 .zfill(40)[:40].encode())]
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, data in records:
            full = f"{prefix}/{name}"
            if isinstance(data, bytes):
                zf.writestr(_aligned_info(zf, full, len(data)), data)
                continue
            raw = data.view(np.uint8)  # the storage's bytes, written without a copy
            with zf.open(_aligned_info(zf, full, raw.size), "w") as out:
                if raw.size:
                    out.write(memoryview(raw))


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` (tensors, state_dicts, nested containers, numbers, strings) to ``f`` in
    PyTorch's zip checkpoint format; ``torch.load`` reads the file.

    ``f`` is a path (str or pathlib.Path) or a binary file object.  A path is written
    atomically: to a temporary file in the same folder, flushed and fsynced, then renamed over
    the target, so an error or a crash during the save leaves any previous file intact.
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise NotImplementedError("ember.save pickles with its own pickler (it writes torch's "
                                  "names by hand): pickle_module= other than pickle is not "
                                  "supported")
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("ember.save writes the zip format only "
                                  "(_use_new_zipfile_serialization=False is not supported); "
                                  "ember.load reads the legacy format")
    if isinstance(f, (str, os.PathLike)):
        path = pathlib.Path(f)
        _atomic_write(path, lambda fileobj: _write_zip(obj, fileobj, path.stem or "archive",
                                                       pickle_protocol))
        return
    if not hasattr(f, "write"):
        raise AttributeError(f"ember.save: expected a path or a binary file object, got "
                             f"{type(f).__name__}")
    _write_zip(obj, f, "archive", pickle_protocol)


def _atomic_write(path, write):
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    _remove_stale_temporaries(folder, path.name)
    tmp, fd = _create_temporary(folder, path.name)
    try:
        with os.fdopen(fd, "wb") as fileobj:
            write(fileobj)
            fileobj.flush()
            os.fsync(fileobj.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _create_temporary(folder, target):
    """A new temporary file ``.<target>.<pid>.<random>.tmp`` beside the target: (path, fd).

    Created with mode 0666 so the kernel applies the umask, as for any saved file (reading
    the umask would mean setting it, which races with other threads creating files).  The
    pid in the name lets a later save recognise the leftovers of a killed one."""
    while True:
        tmp = folder / f".{target}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue


def _remove_stale_temporaries(folder, target):
    """Delete the temporaries a killed save of ``target`` left behind: those whose process
    is gone.  A save running now in another process or thread keeps its file."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        match = _TEMPORARY.fullmatch(entry)
        if match and match[1] == target and not _process_alive(int(match[2])):
            try:
                os.unlink(folder / entry)
            except OSError:
                pass


_TEMPORARY = re.compile(r"\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp")  # .<target>.<pid>.<random>.tmp


def _process_alive(pid):
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True
