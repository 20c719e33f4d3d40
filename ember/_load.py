"""ember.load: read checkpoints written by torch.save (zip and legacy formats) or ember.save.

Safe by default (``weights_only=True``): the pickle is read by an unpickler whose
``find_class`` knows only the names a checkpoint needs (``_SAFE``: OrderedDict, the tensor and
parameter rebuild functions, storage types, dtypes, Size, device, ...); any other global is
refused with an UnpicklingError before anything runs.  Every storage read is bounds-checked,
so a crafted file cannot make a tensor read past its storage.

Files from strangers are read by the pure-Python unpickler (whose opcodes can be overridden,
unlike the C one's), so that:
- BUILD (which sets attributes) reaches only the objects torch allows it on, never ember's own
  dtypes, storage types, devices or functions that ``find_class`` hands out;
- every size the file declares (a bytes or string length, a frame, a storage's element count)
  is checked against the bytes actually left in the file before anything is allocated;
- every failure names the file: a RuntimeError for the container (zip or legacy layout), an
  UnpicklingError for the pickle, as torch raises them.
"""

import _compat_pickle
import io
import mmap as _mmap
import os
import pickle
import struct
import threading
import types
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


# ---------------------------------------------------------------------------- zip format

def _zip_load(f, name, weights_only, mmap_file):
    end = _file_end(f)
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
        for info in zf.infolist():  # a record claiming more bytes than the file has lies
            if info.header_offset + info.compress_size > end or (
                    info.compress_type == zipfile.ZIP_STORED
                    and info.file_size != info.compress_size):
                raise RuntimeError(f"{name}: record {info.filename!r} claims {info.file_size} "
                                   f"bytes, more than the file holds; the file is truncated "
                                   "or crafted")

        def read(record):
            info = zf.getinfo(record)
            if info.compress_type != zipfile.ZIP_STORED and \
                    info.file_size > 100 * max(info.compress_size, 1) + (1 << 20):
                raise RuntimeError(f"{name}: record {record!r} expands from "
                                   f"{info.compress_size} to {info.file_size} bytes; refused "
                                   "(checkpoints store records uncompressed)")
            return _read_record(zf, info, name)

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
                                      info, name)
                if offset + info.file_size > len(mmap_file):
                    raise RuntimeError(f"{name}: record {record!r} is truncated")
                flat = np.frombuffer(mmap_file, np_dtype, numel, offset)
            elif info.compress_type == zipfile.ZIP_STORED:
                flat = _read_stored(f, end, info, np_dtype, numel, name)
            else:
                flat = np.frombuffer(bytearray(read(record)), np_dtype, numel)
            return flat.astype(np_dtype.newbyteorder("=")) if byteorder == "big" else flat

        data_pkl = read(prefix + "data.pkl")
        unpickler = _Unpickler(io.BytesIO(data_pkl), len(data_pkl), read_storage, weights_only)
        return _unpickle(unpickler)


def _read_record(zf, info, name):
    """A record's bytes, read in steps: however large its header says it is, memory grows
    only with the bytes its stream really yields (zipfile checks the CRC at its end)."""
    chunks, size = [], 0
    with zf.open(info) as stream:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if size > info.file_size:
                raise RuntimeError(f"{name}: record {info.filename!r} holds more than the "
                                   f"{info.file_size} bytes its header says")
            chunks.append(chunk)
    if size != info.file_size:
        raise RuntimeError(f"{name}: record {info.filename!r} is truncated")
    return b"".join(chunks)


def _data_offset(header, info, name):
    """Where a stored record's bytes begin: after its local header, name and extra field."""
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise RuntimeError(f"{name}: record {info.filename!r} has a bad local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _read_stored(f, end, info, np_dtype, numel, name):
    """A stored record read straight into a new array (one copy), its CRC checked."""
    f.seek(info.header_offset)
    start = _data_offset(f.read(30), info, name)
    if start + info.file_size > end:  # checked before the array is allocated
        raise RuntimeError(f"{name}: record {info.filename!r} is truncated")
    f.seek(start)
    flat = np.empty(numel, np_dtype)
    raw = flat.view(np.uint8)
    if f.readinto(memoryview(raw)) != raw.size:
        raise RuntimeError(f"{name}: record {info.filename!r} is truncated")
    if zlib.crc32(raw) != info.CRC:
        raise RuntimeError(f"{name}: record {info.filename!r} is corrupted (CRC mismatch)")
    return flat


# ---------------------------------------------------------------------------- legacy format

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _HeaderUnpickler(_Unpickler):
    """The legacy format's plain pickles (magic number, version, sizes, storage keys)."""

    def __init__(self, file, end):
        super().__init__(file, end, None, True)

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"unexpected global {module}.{name} in the file's header")

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("unexpected persistent id in the file's header")


def _legacy_load(f, name, weights_only):
    end = _file_end(f)

    def header():
        try:
            return _unpickle(_HeaderUnpickler(f, end))
        except pickle.UnpicklingError as e:
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
    declared = 0  # bytes the storages declared so far; they all come after the pickle

    def read_storage(key, dtype, numel):  # the bytes come after the pickle: filled below
        nonlocal declared
        np_dtype = _numpy_dtype(dtype)
        declared += 8 + numel * np_dtype.itemsize  # each storage: an int64 count, its bytes
        if declared > end - f.tell():
            raise RuntimeError(f"{name}: storage {key!r} declares {numel} elements, more than "
                               "the file holds; the file is truncated or crafted")
        flat = np.empty(numel, np_dtype)
        pending[key] = flat
        return flat

    result = _unpickle(_Unpickler(f, end, read_storage, weights_only))
    keys = _unpickle(_HeaderUnpickler(f, end))
    if not isinstance(keys, list):
        raise RuntimeError(f"{name}: the list of storage keys is missing")
    filled = set()
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
        filled.add(str(key))
    unfilled = sorted(set(pending) - filled)
    if unfilled:  # its memory was never written: refuse rather than return garbage
        raise RuntimeError(f"{name}: the file declares storage {unfilled[0]!r} but never "
                           "holds its bytes; the file is truncated or crafted")
    return result


# ---------------------------------------------------------------------------- the entry point

# What reading a damaged container raises, besides ember's own RuntimeErrors.
_CONTAINER_ERRORS = (OSError, EOFError, ValueError, TypeError, KeyError, IndexError,
                     AttributeError, OverflowError, struct.error, zipfile.BadZipFile,
                     zlib.error, UnicodeDecodeError, NotImplementedError)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved with ``torch.save`` or ``ember.save``.

    ``weights_only`` (default True) refuses every global a checkpoint does not need; pass
    ``weights_only=False`` only for files you trust (it can run code, and warns).
    ``map_location``: a device, a str, a dict {saved location: new location} or a callable.
    ``mmap=True`` (paths only) reads storages from the mapped file instead of copying them.
    A damaged or crafted file raises one error that names the file: RuntimeError for the
    container, pickle.UnpicklingError for the pickle (RefusedGlobalError for a global outside
    the allowlist).
    """
    if pickle_module is not None and pickle_module is not pickle:
        raise NotImplementedError("ember.load unpickles with its own checked unpickler: "
                                  "pickle_module= other than pickle is not supported")
    if weights_only is None:
        weights_only = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0") in ("0", "")
    if pickle_load_args:
        if weights_only:  # as torch: they are ignored by the weights-only unpickler
            warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
        else:
            raise NotImplementedError(
                "ember.load unpickles with its own checked unpickler: pickle_load_args "
                f"({', '.join(sorted(pickle_load_args))}) are not supported")
    if not weights_only:
        warnings.warn("ember.load(weights_only=False) can run arbitrary code from the file; "
                      "use it only for files you trust.", stacklevel=2)
    is_path = isinstance(f, (str, os.PathLike))
    name = str(f) if is_path else getattr(f, "name", "<checkpoint file object>")
    if mmap and not is_path:
        raise ValueError("f must be a file path in order to use the mmap argument")
    fileobj = open(f, "rb") if is_path else f  # a missing file: FileNotFoundError, as torch
    previous = getattr(_this_thread, "context", None)
    _this_thread.context = _LoadContext(name, map_location)
    try:
        mapped = None
        if mmap and os.fstat(fileobj.fileno()).st_size:
            mapped = _mmap.mmap(fileobj.fileno(), 0, access=_mmap.ACCESS_COPY)
        return _load_from(fileobj, name, weights_only, mapped)
    except (RefusedGlobalError, pickle.UnpicklingError) as e:
        raise type(e)(_named(name, e)) from None
    except _CONTAINER_ERRORS as e:
        raise RuntimeError(f"{name}: the file is truncated, corrupted or not a checkpoint "
                           f"({type(e).__name__}: {e})") from None
    except RuntimeError as e:
        if type(e) is not RuntimeError:
            raise
        raise RuntimeError(_named(name, e)) from None
    finally:
        _this_thread.context = previous
        if is_path:
            fileobj.close()


def _named(name, error):
    """The error's message, starting with the file's name."""
    message = str(error)
    return message if message.startswith(name) else f"{name}: {message}"


def _load_from(fileobj, name, weights_only, mapped):
    if not fileobj.seekable():  # sizes are checked against the file's end: it must be known
        fileobj = io.BytesIO(fileobj.read())
    start = fileobj.tell()
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
