"""The safetensors format for state_dicts: ``save_file``/``load_file`` (and ``save``/``load``
for bytes), compatible with the ``safetensors`` package and the files torch writes with it.

A file is: 8 bytes (little-endian u64) N, then N bytes of JSON, then the raw data.  The JSON
maps each name to {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]} (offsets
relative to the data), plus an optional "__metadata__" of str -> str.  The reader checks
every entry (known dtype, size = numel x itemsize, offsets inside the data, the data fully
covered without overlaps), so a crafted header raises a clear error.
"""

import json
import os
import struct

import numpy as np

from .. import _device
from .. import _dtype as D
from .._tensor import Tensor

_CODES = {"F64": D.float64, "F32": D.float32, "F16": D.float16, "BF16": D.bfloat16,
          "I64": D.int64, "I32": D.int32, "I16": D.int16, "I8": D.int8, "U8": D.uint8,
          "BOOL": D.bool, "C64": D.complex64}
_NAMES = {d: code for code, d in _CODES.items()}
# the package writes tensors by this dtype rank (its enum order), highest first, then by name
_RANK = {code: i for i, code in enumerate(["BOOL", "U8", "I8", "I16", "F16", "BF16", "I32",
                                            "F32", "F64", "I64", "C64"])}
_MAX_HEADER = 100 * 1024 * 1024


def save(tensors, metadata=None):
    """The safetensors bytes of a dict {name: tensor}."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, Tensor] but received {type(tensors)}")
    for name, t in tensors.items():
        if not isinstance(name, str) or not isinstance(t, Tensor):
            raise ValueError(f"Key {name!r}: expected str -> Tensor, got "
                             f"{type(name).__name__} -> {type(t).__name__}")
    if metadata is not None and not all(isinstance(k, str) and isinstance(v, str)
                                        for k, v in metadata.items()):
        raise ValueError("metadata must be a dict of str to str")
    order = sorted(tensors, key=lambda n: (-_RANK.get(_NAMES.get(tensors[n].dtype), 0), n))
    header, chunks, offset = {}, [], 0
    for name in order:
        t = tensors[name]
        if t.dtype not in _NAMES:
            raise ValueError(f"safetensors cannot store dtype {t.dtype} ({name!r})")
        # NOTE: np.require keeps 0-dim arrays 0-dim (ascontiguousarray makes them (1,))
        array = np.require(t.detach()._host(), requirements="C")
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        data = array.tobytes()
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if metadata is not None:
        header = {"__metadata__": dict(metadata), **header}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)  # the data starts on an 8-byte boundary
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save_file(tensors, filename, metadata=None):
    """Write a dict {name: tensor} to ``filename`` in the safetensors format."""
    data = save(tensors, metadata)
    with open(filename, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _parse(buffer, source):
    if len(buffer) < 8:
        raise ValueError(f"{source}: not a safetensors file (shorter than its header length)")
    (n,) = struct.unpack("<Q", bytes(buffer[:8]))
    if n > min(_MAX_HEADER, len(buffer) - 8):
        raise ValueError(f"{source}: header length {n} is larger than the file allows")
    try:
        header = json.loads(bytes(buffer[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{source}: the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{source}: the header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise ValueError(f"{source}: __metadata__ must map strings to strings")
    data_size = len(buffer) - 8 - n
    spans = []
    for name, entry in header.items():
        if not isinstance(entry, dict) or entry.get("dtype") not in _CODES:
            raise ValueError(f"{source}: tensor {name!r} has an unknown or missing dtype")
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if not (isinstance(shape, list) and all(isinstance(s, int) and s >= 0 for s in shape)
                and isinstance(offsets, list) and len(offsets) == 2
                and all(isinstance(o, int) for o in offsets)):
            raise ValueError(f"{source}: tensor {name!r} has an invalid shape or offsets")
        begin, end = offsets
        itemsize = _CODES[entry["dtype"]].itemsize
        if not 0 <= begin <= end <= data_size or end - begin != int(np.prod(shape)) * itemsize:
            raise ValueError(f"{source}: tensor {name!r}: offsets {offsets} do not hold "
                             f"{shape} x {itemsize} bytes inside {data_size} bytes of data")
        spans.append((begin, end, name))
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise ValueError(f"{source}: the data is not covered exactly (tensor {name!r} "
                             f"starts at {begin}, expected {position})")
        position = end
    if position != data_size:
        raise ValueError(f"{source}: {data_size - position} trailing bytes after the tensors")
    return header, metadata, 8 + n


def load(data, device="cpu"):
    """A dict {name: tensor} from safetensors bytes."""
    return _tensors(memoryview(bytearray(data)), "<bytes>", device)


def _tensors(buffer, source, device):
    header, _, start = _parse(buffer, source)
    out = {}
    for name, entry in header.items():
        dtype = _CODES[entry["dtype"]]
        begin, end = entry["data_offsets"]
        np_dtype = np.dtype(D.to_numpy_dtype(dtype)).newbyteorder("<")
        array = np.frombuffer(buffer, np_dtype, (end - begin) // np_dtype.itemsize,
                              start + begin).reshape(entry["shape"])
        t = Tensor._make(array.astype(np_dtype.newbyteorder("="), copy=False),
                         _device.device("cpu"))
        out[name] = t if _device.device(device).type == "cpu" else t.to(device)
    return out


def load_file(filename, device="cpu"):
    """Read a safetensors file into a dict {name: tensor} (on ``device``)."""
    with open(filename, "rb") as f:
        buffer = memoryview(bytearray(f.read()))
    return _tensors(buffer, str(filename), device)


def load_metadata(filename):
    """The file's ``__metadata__`` dict (or None)."""
    with open(filename, "rb") as f:
        buffer = f.read()
    return _parse(buffer, str(filename))[1]
