"""ember.load: read checkpoints written by torch.save (zip and legacy formats) or ember.save.

Safe by default (``weights_only=True``): the pickle is read by an unpickler whose
``find_class`` knows only the names a checkpoint needs (``_SAFE``: OrderedDict, the tensor and
parameter rebuild functions, storage types, dtypes, Size, device, ...); any other global is
refused with an UnpicklingError before anything runs.  Every storage read is bounds-checked,
so a crafted file cannot make a tensor read past its storage.
"""

import io
import mmap as _mmap
import os
import pickle
import struct
import warnings
import zipfile
import zlib
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
    t = _LoadContext.current.place(t, storage.location)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _check_view(numel, offset, size, stride):
    if len(size) != len(stride):
        raise RuntimeError(f"checkpoint: tensor with size {size} and stride {stride} of "
                           "different lengths")
    if not isinstance(offset, int) or offset < 0 or any(
            not isinstance(v, int) or v < 0 for v in size + stride):
        raise RuntimeError(f"checkpoint: invalid tensor layout (offset {offset}, size {size}, "
                           f"stride {stride})")
    if 0 in size:
        return
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= numel:
        raise RuntimeError(f"checkpoint: tensor (offset {offset}, size {list(size)}, stride "
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
    """Where loaded tensors go (map_location); the current load's settings."""

    current = None

    def __init__(self, map_location):
        self.map_location = map_location

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


class _Unpickler(pickle.Unpickler):
    """Reads the checkpoint pickle; ``read_storage(key, dtype, numel)`` supplies storages."""

    def __init__(self, file, read_storage, weights_only):
        super().__init__(file, encoding="utf-8")
        self.read_storage = read_storage
        self.weights_only = weights_only
        self.storages = {}

    def find_class(self, module, name):
        found = _lookup(module, name)
        if found is not None:
            return found
        if not self.weights_only:
            return super().find_class(module, name)
        raise RefusedGlobalError(
            f"Weights only load failed: unsupported global {module}.{name}. ember.load refuses "
            "it because running it could execute code from the file.\n  hint: if you trust "
            f"the file's source, pass weights_only=False, or allow the global with "
            f"ember.serialization.add_safe_globals([{name}]).")

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage" \
                or not isinstance(pid[1], _StorageType):
            raise pickle.UnpicklingError(f"checkpoint: unsupported persistent id {pid!r}")
        storage_type, key, location, numel = pid[1:5]
        if not isinstance(numel, int) or numel < 0:
            raise pickle.UnpicklingError(f"checkpoint: invalid storage size {numel!r}")
        if key not in self.storages:
            flat = self.read_storage(str(key), storage_type.dtype, numel)
            self.storages[key] = _Storage(flat, str(location))
        return self.storages[key]


def _numpy_dtype(dtype):
    if dtype.np is None:
        D.to_numpy_dtype(dtype)  # raises the "needs ml_dtypes" error
    return dtype.np.newbyteorder("<")


# ---------------------------------------------------------------------------- zip format

def _zip_load(f, name, weights_only, mmap_file):
    try:
        zf = zipfile.ZipFile(f)
    except zipfile.BadZipFile as e:
        raise RuntimeError(f"{name}: not a readable checkpoint ({e}); the file is truncated "
                           "or corrupted") from None
    with zf:
        names = zf.namelist()
        pickles = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise RuntimeError(f"{name}: a checkpoint holds one '<folder>/data.pkl' record; "
                               f"found {len(pickles)}")
        prefix = pickles[0][: -len("data.pkl")]
        for n in names:
            if not n.startswith(prefix) or ".." in n.split("/") or n.startswith("/"):
                raise RuntimeError(f"{name}: unexpected record {n!r} in the checkpoint")

        def read(record):
            info = zf.getinfo(record)
            if info.compress_type != zipfile.ZIP_STORED and \
                    info.file_size > 100 * max(info.compress_size, 1) + (1 << 20):
                raise RuntimeError(f"{name}: record {record!r} expands from "
                                   f"{info.compress_size} to {info.file_size} bytes; refused "
                                   "(checkpoints store records uncompressed)")
            try:
                return zf.read(record)
            except zipfile.BadZipFile as e:
                raise RuntimeError(f"{name}: record {record!r} is corrupted ({e})") from None

        byteorder = read(prefix + "byteorder").decode() if prefix + "byteorder" in names \
            else "little"
        if byteorder not in ("little", "big"):
            raise RuntimeError(f"{name}: unknown byteorder {byteorder!r}")

        def read_storage(key, dtype, numel):
            record = f"{prefix}data/{key}"
            if record not in names:
                raise RuntimeError(f"{name}: the storage record {record!r} is missing")
            info = zf.getinfo(record)
            np_dtype = _numpy_dtype(dtype)
            if info.file_size != numel * np_dtype.itemsize:
                raise RuntimeError(f"{name}: storage {record!r} has {info.file_size} bytes, "
                                   f"expected {numel} x {np_dtype.itemsize}")
            if byteorder == "big":
                np_dtype = np_dtype.newbyteorder(">")
            if mmap_file is not None and info.compress_type == zipfile.ZIP_STORED:
                offset = _data_offset(mmap_file[info.header_offset: info.header_offset + 30],
                                      info)
                flat = np.frombuffer(mmap_file, np_dtype, numel, offset)
            elif info.compress_type == zipfile.ZIP_STORED and f.seekable():
                flat = _read_stored(f, info, np_dtype, numel, name, record)
            else:
                flat = np.frombuffer(bytearray(read(record)), np_dtype, numel)
            return flat.astype(np_dtype.newbyteorder("=")) if byteorder == "big" else flat

        unpickler = _Unpickler(io.BytesIO(read(prefix + "data.pkl")), read_storage,
                               weights_only)
        return unpickler.load()


def _data_offset(header, info):
    """Where a stored record's bytes begin: after its local header, name and extra field."""
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise RuntimeError("checkpoint: bad local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _read_stored(f, info, np_dtype, numel, name, record):
    """A stored record read straight into a new array (one copy), its CRC checked."""
    f.seek(info.header_offset)
    f.seek(_data_offset(f.read(30), info))
    flat = np.empty(numel, np_dtype)
    raw = flat.view(np.uint8)
    if f.readinto(memoryview(raw)) != raw.size:
        raise RuntimeError(f"{name}: record {record!r} is truncated")
    if zlib.crc32(raw) != info.CRC:
        raise RuntimeError(f"{name}: record {record!r} is corrupted (CRC mismatch)")
    return flat


# ---------------------------------------------------------------------------- legacy format

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _HeaderUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"checkpoint header: unexpected global {module}.{name}")


def _legacy_load(f, name, weights_only):
    def header():
        try:
            return _HeaderUnpickler(f).load()
        except (EOFError, pickle.UnpicklingError, ValueError) as e:
            raise RuntimeError(f"{name}: not a checkpoint ({e})") from None

    if header() != _LEGACY_MAGIC:
        raise RuntimeError(f"{name}: not a checkpoint (invalid magic number; a zip file or a "
                           "torch.save file was expected)")
    if header() != 1001:
        raise RuntimeError(f"{name}: unsupported legacy checkpoint protocol version")
    info = header()
    if not isinstance(info, dict) or not info.get("little_endian", True):
        raise RuntimeError(f"{name}: big-endian legacy checkpoints are not supported")
    pending = {}

    def read_storage(key, dtype, numel):  # the bytes come after the pickle: filled below
        flat = np.empty(numel, _numpy_dtype(dtype))
        pending[key] = flat
        return flat

    result = _Unpickler(f, read_storage, weights_only).load()
    keys = _HeaderUnpickler(f).load()
    for key in keys:
        flat = pending.get(str(key))
        raw = f.read(8)
        if flat is None or len(raw) != 8:
            raise RuntimeError(f"{name}: storage {key!r} is missing or truncated")
        (count,) = struct.unpack("<q", raw)
        if count != flat.size:
            raise RuntimeError(f"{name}: storage {key!r} holds {count} elements, expected "
                               f"{flat.size}")
        data = f.read(flat.nbytes)
        if len(data) != flat.nbytes:
            raise RuntimeError(f"{name}: storage {key!r} is truncated")
        flat[...] = np.frombuffer(data, flat.dtype)
    return result


# ---------------------------------------------------------------------------- the entry point

def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved with ``torch.save`` or ``ember.save``.

    ``weights_only`` (default True) refuses every global a checkpoint does not need; pass
    ``weights_only=False`` only for files you trust (it can run code, and warns).
    ``map_location``: a device, a str, a dict {saved location: new location} or a callable.
    ``mmap=True`` (paths only) reads storages from the mapped file instead of copying them.
    """
    if weights_only is None:
        weights_only = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0") in ("0", "")
    if not weights_only:
        warnings.warn("ember.load(weights_only=False) can run arbitrary code from the file; "
                      "use it only for files you trust.", stacklevel=2)
    is_path = isinstance(f, (str, os.PathLike))
    name = str(f) if is_path else getattr(f, "name", "<checkpoint file object>")
    if mmap and not isinstance(f, (str, os.PathLike)):
        raise ValueError("f must be a file path in order to use the mmap argument")
    previous = _LoadContext.current
    _LoadContext.current = _LoadContext(map_location)
    try:
        if isinstance(f, (str, os.PathLike)):
            with open(f, "rb") as fileobj:
                mapped = None
                if mmap and os.fstat(fileobj.fileno()).st_size:
                    mapped = _mmap.mmap(fileobj.fileno(), 0, access=_mmap.ACCESS_COPY)
                return _load_from(fileobj, name, weights_only, mapped)
        return _load_from(f, name, weights_only, None)
    except RefusedGlobalError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError,
            AttributeError, OverflowError, struct.error, zipfile.BadZipFile,
            UnicodeDecodeError, NotImplementedError) as e:
        raise RuntimeError(f"{name}: the checkpoint is corrupted or not a checkpoint "
                           f"({type(e).__name__}: {e})") from None
    finally:
        _LoadContext.current = previous


def _load_from(fileobj, name, weights_only, mapped):
    start = fileobj.tell() if fileobj.seekable() else 0
    magic = fileobj.read(4)
    fileobj.seek(start)
    if magic == b"PK\x03\x04":
        return _zip_load(fileobj, name, weights_only, mapped)
    if magic[:2] == b"\x80\x02":
        return _legacy_load(fileobj, name, weights_only)
    if not magic:
        raise RuntimeError(f"{name}: the file is empty")
    raise RuntimeError(f"{name}: not a checkpoint (neither PyTorch's zip format nor its legacy "
                       "format)")
