"""ember.load: read checkpoints written by torch.save (zip and legacy formats) or ember.save.

Safe by default (``weights_only=True``): the pickle inside is read by ``_unpickler.py``, whose
``find_class`` knows only the names a checkpoint needs and whose opcodes check every declared
size.  This file reads the containers around it: every storage read is bounds-checked (a crafted
file cannot make a tensor read past its storage), a deflated member is stopped by the bytes it
really holds, and every failure names the file: a RuntimeError for the container (zip or legacy
layout), an UnpicklingError for the pickle, as torch raises them.
"""

import io
import mmap as _mmap
import os
import pickle
import struct
import warnings
import zipfile
import zlib

import numpy as np

from ._unpickler import (
    RefusedGlobalError,
    _file_end,
    _LoadContext,
    _numpy_dtype,
    _this_thread,
    _unpickle,
    _Unpickler,
)

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
