"""Checkpoints from strangers: a crafted file cannot change ember's own objects, cannot make
load allocate what the file does not hold, and every failure is one error naming the file.
The hostile files are built here, and torch loads the same bytes where it has a behaviour to
compare."""

import io
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import tracemalloc
import warnings
import zipfile
import zlib
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember

from conftest import subprocess_env

# ---------------------------------------------------------------------------- file builders


class _FakeStorage:
    """Pickled as torch's persistent id: ('storage', torch.FloatStorage, key, 'cpu', numel)."""

    def __init__(self, numel, key="0"):
        self.numel, self.key = numel, key


class _FakeTensor:
    def __init__(self, storage, size=(1,)):
        self.storage, self.size = storage, size

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, (self.storage, 0, self.size, (1,) * len(
            self.size), False, OrderedDict())


class _StoragePickler(pickle.Pickler):
    legacy = False  # the legacy format's persistent ids have a sixth field (None)

    def persistent_id(self, obj):
        if isinstance(obj, _FakeStorage):
            pid = ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
            return pid + (None,) if self.legacy else pid
        return None


def _object_pickle(obj, legacy=False):
    buffer = io.BytesIO()
    pickler = _StoragePickler(buffer, protocol=2)
    pickler.legacy = legacy
    pickler.dump(obj)
    return buffer.getvalue()


def _zip(records, claims=None):
    """A zip file of (name, bytes, method) records written by hand; ``claims`` maps a name to
    the (compressed, uncompressed) sizes its central directory entry states (zip64)."""
    claims = claims or {}
    out, central = bytearray(), bytearray()
    for name, data, method in records:
        stored = data if method == zipfile.ZIP_STORED else _deflate(data)
        crc, offset, encoded = zlib.crc32(data), len(out), name.encode()
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc,
                           len(stored), len(data), len(encoded), 0) + encoded + stored
        sizes, extra = (len(stored), len(data)), b""
        if name in claims:
            compressed, size = claims[name]
            extra = struct.pack("<HHQQ", 1, 16, size, compressed)
            sizes = (0xFFFFFFFF, 0xFFFFFFFF)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0x21,
                               crc, *sizes, len(encoded), len(extra), 0, 0, 0, 0,
                               offset) + encoded + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(records), len(records),
                      len(central), len(out), 0)
    return bytes(out + central + end)


def _deflate(data):
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _checkpoint(data_pkl, storages=(), method=zipfile.ZIP_STORED, claims=None):
    records = [("archive/data.pkl", data_pkl, method),
               ("archive/byteorder", b"little", zipfile.ZIP_STORED),
               ("archive/version", b"3\n", zipfile.ZIP_STORED)]
    records += [(f"archive/data/{key}", data, method) for key, data in storages]
    return _zip(records, claims)


_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _legacy(obj, keys, storages):
    """torch's legacy (non-zip) layout: four pickles, the key list, then each storage as an
    int64 element count and its bytes."""
    info = {"protocol_version": 1001, "little_endian": True,
            "type_sizes": {"short": 2, "int": 4, "long": 4}}
    parts = [pickle.dumps(_LEGACY_MAGIC, 2), pickle.dumps(1001, 2), pickle.dumps(info, 2),
             _object_pickle(obj, legacy=True), pickle.dumps(keys, 2)]
    for data in storages:
        parts.append(struct.pack("<q", len(data) // 4) + data)
    return b"".join(parts)


def _write(tmp_path, data, name="stranger.pt"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _torch_error(path):
    with pytest.raises(Exception) as err:
        torch.load(path, weights_only=True)
    return type(err.value)


def _good_float32_checkpoint():
    buffer = io.BytesIO()
    torch.save({"w": torch.arange(4, dtype=torch.float32)}, buffer)
    return buffer.getvalue()


def test_builders_make_files_torch_and_ember_load(tmp_path):
    one = _FakeTensor(_FakeStorage(2), (2,))
    data = struct.pack("<2f", 1.5, 2.5)
    for raw in (_checkpoint(_object_pickle(one), [("0", data)]),
                _legacy(one, ["0"], [data])):
        path = _write(tmp_path, raw)
        assert torch.load(path, weights_only=True).tolist() == [1.5, 2.5]
        assert ember.load(path).tolist() == [1.5, 2.5]


# ---------------------------------------------------------------------------- BUILD on globals

def _build(module, name, state):
    """A pickle that pushes the global module.name and BUILDs ``state`` (a dict) onto it."""
    return (b"\x80\x02c" + f"{module}\n{name}\n".encode() + pickle.dumps(state, 2)[2:-1]
            + b"b.")


_REBUILDS = {
    "storage type's dtype": ("torch", "FloatStorage", {"dtype": torch.int32}),
    "dtype's name": ("torch", "float32", {"name": "int32"}),
    "rebuild function": ("torch._utils", "_rebuild_tensor_v2", {"__defaults__": (1,)}),
    "device factory": ("torch", "device", {"__code__": None}),
    "Size factory": ("torch", "Size", {"__kwdefaults__": {}}),
    "OrderedDict class": ("collections", "OrderedDict", {"x": 1}),
}


@pytest.mark.parametrize("weights_only", [True, False])
@pytest.mark.parametrize("case", list(_REBUILDS))
def test_build_cannot_change_embers_own_objects(tmp_path, case, weights_only):
    module, name, state = _REBUILDS[case]  # torch.int32 pickles as the global torch.int32
    path = _write(tmp_path, _checkpoint(_build(module, name, state)))
    assert issubclass(_torch_error(path), pickle.UnpicklingError)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(pickle.UnpicklingError, match="stranger.pt.*BUILD") as err:
            ember.load(path, weights_only=weights_only)
    assert "stranger.pt" in str(err.value)
    # nothing changed: a good float32 checkpoint still loads as float32, ember still works
    good = ember.load(_write(tmp_path, _good_float32_checkpoint(), "good.pt"))
    assert good["w"].dtype == ember.float32 and good["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert ember.float32.name == "float32"
    assert ember.ones(2).tolist() == [1.0, 1.0]
    assert ember.device("cpu").type == "cpu"


def test_build_on_allowed_objects_still_works(tmp_path):
    """torch's state_dict carries its per-module versions in a BUILD on the OrderedDict."""
    buffer = io.BytesIO()
    torch.save(torch.nn.Linear(2, 3).state_dict(), buffer)
    loaded = ember.load(_write(tmp_path, buffer.getvalue()))
    assert loaded._metadata == {"": {"version": 1}}


def test_build_on_an_object_of_another_class_is_refused(tmp_path):
    """BUILD on an instance made by an allowlisted callable (here a set) is not allowed."""
    data = b"\x80\x02c__builtin__\nset\n)R}X\x01\x00\x00\x00aK\x01sb."
    path = _write(tmp_path, _checkpoint(data))
    _torch_error(path)  # torch refuses it too (with an AttributeError)
    with pytest.raises(pickle.UnpicklingError, match="stranger.pt.*Can only build"):
        ember.load(path)


# ---------------------------------------------------------------------------- giant sizes

def _peak_bytes(function):
    """The most memory Python and NumPy allocated while ``function`` ran."""
    tracemalloc.start()
    try:
        function()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


_GIANT_PICKLES = {
    "BINBYTES8": b"\x80\x04\x8e" + struct.pack("<Q", 2**50) + b".",
    "BINUNICODE8": b"\x80\x04\x8d" + struct.pack("<Q", 2**50) + b".",
    "BYTEARRAY8": b"\x80\x05\x96" + struct.pack("<Q", 2**50) + b".",
    "FRAME": b"\x80\x04\x95" + struct.pack("<Q", 2**50) + b".",
    "BINBYTES": b"\x80\x03B" + struct.pack("<I", 2**32 - 1) + b".",
    "BINUNICODE": b"\x80\x03X" + struct.pack("<I", 2**32 - 1) + b".",
    "LONG4": b"\x80\x02\x8b" + struct.pack("<i", 2**31 - 1) + b".",
}


@pytest.mark.parametrize("opcode", list(_GIANT_PICKLES))
def test_giant_pickle_sizes_are_refused_without_allocating(tmp_path, opcode):
    path = _write(tmp_path, _checkpoint(_GIANT_PICKLES[opcode]))
    assert len(_GIANT_PICKLES[opcode]) <= 12
    _torch_error(path)  # torch refuses each (UnpicklingError; EOFError for BINUNICODE)

    def load():
        with pytest.raises(pickle.UnpicklingError, match="stranger.pt.*(declares|truncated)"):
            ember.load(path)

    assert _peak_bytes(load) < 16 << 20


def test_giant_memo_index_is_harmless(tmp_path):
    """A memo index of 2**32-1 is just a key: torch loads the value, so does ember."""
    path = _write(tmp_path, _checkpoint(b"\x80\x02K\x07r\xff\xff\xff\xffj\xff\xff\xff\xff\x86."))
    assert torch.load(path, weights_only=True) == (7, 7)
    assert _peak_bytes(lambda: ember.load(path)) < 16 << 20
    assert ember.load(path) == (7, 7)


def test_zip64_storage_claiming_16_tib_is_refused(tmp_path):
    numel = 1 << 42  # 16 TiB of float32
    data_pkl = _object_pickle(_FakeTensor(_FakeStorage(numel)))
    raw = _checkpoint(data_pkl, [("0", b"\x00" * 16)],
                      claims={"archive/data/0": (numel * 4, numel * 4)})
    assert zipfile.ZipFile(io.BytesIO(raw)).getinfo("archive/data/0").file_size == numel * 4
    path = _write(tmp_path, raw)
    assert issubclass(_torch_error(path), RuntimeError)

    def load():
        with pytest.raises(RuntimeError, match="stranger.pt.*more than the file holds"):
            ember.load(path)

    assert _peak_bytes(load) < 16 << 20


def test_legacy_storage_of_2_to_the_40_elements_is_refused(tmp_path):
    path = _write(tmp_path, _legacy(_FakeTensor(_FakeStorage(1 << 40)), ["0"], [b"\0" * 8]))

    def load():
        with pytest.raises(RuntimeError, match="stranger.pt.*more than the file holds"):
            ember.load(path)

    assert _peak_bytes(load) < 16 << 20


def test_deflated_record_is_stopped_by_its_real_stream(tmp_path):
    """A deflated storage whose header says 4 MiB but whose stream inflates to 64 bytes: the
    bytes that really come out decide, and the header's size is never allocated."""
    numel = 1 << 20
    data_pkl = _object_pickle(_FakeTensor(_FakeStorage(numel)))
    real = _deflate(b"\x00" * 64)
    raw = _checkpoint(data_pkl, [("0", b"\x00" * 64)], method=zipfile.ZIP_DEFLATED,
                      claims={"archive/data/0": (len(real), numel * 4)})
    path = _write(tmp_path, raw)

    def load():
        with pytest.raises(RuntimeError, match="stranger.pt.*data/0"):
            ember.load(path)

    assert _peak_bytes(load) < 4 << 20


def test_deflated_record_lying_about_both_sizes_is_refused(tmp_path):
    data_pkl = _object_pickle([1, 2, 3])
    raw = _checkpoint(data_pkl, method=zipfile.ZIP_DEFLATED,
                      claims={"archive/data.pkl": (1 << 40, 1 << 40)})
    path = _write(tmp_path, raw)

    def load():
        with pytest.raises(RuntimeError, match="stranger.pt.*data.pkl"):
            ember.load(path)

    assert _peak_bytes(load) < 16 << 20


# ---------------------------------------------------------------------------- damaged files

def _saved(tmp_path, method):
    buffer = io.BytesIO()
    if method == "legacy":
        torch.save({"weight": torch.arange(300.0).reshape(30, 10), "step": 3,
                    "nested": [torch.ones(20, dtype=torch.int64)]}, buffer,
                   _use_new_zipfile_serialization=False)
        return buffer.getvalue()
    ember.save({"weight": ember.arange(300.0).reshape(30, 10), "step": 3,
                "nested": [ember.ones(20, dtype=ember.int64), {"b": "text" * 50}]}, buffer)
    if method == zipfile.ZIP_STORED:
        return buffer.getvalue()
    src = zipfile.ZipFile(buffer)
    return _zip([(info.filename, src.read(info), method) for info in src.infolist()])


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, "legacy"])
def test_deleted_bytes_give_one_error_naming_the_file(tmp_path, method):
    good = _saved(tmp_path, method)
    path = tmp_path / "damaged.pt"
    for start in range(0, len(good), max(1, len(good) // 150)):
        for length in (1, 7, 64):
            path.write_bytes(good[:start] + good[start + length:])
            try:
                ember.load(path)
            except (RuntimeError, pickle.UnpicklingError) as e:
                assert type(e) in (RuntimeError, pickle.UnpicklingError,
                                   ember._unpickler.RefusedGlobalError), repr(e)
                assert "damaged.pt" in str(e), f"deleting {length} at {start}: {e!r}"


def test_legacy_storage_the_file_never_fills_is_refused(tmp_path):
    """The key list leaves storage '0' out: its memory would never be written."""
    obj = _FakeTensor(_FakeStorage(4), (4,))
    path = _write(tmp_path, _legacy(obj, [], [b"\xff" * 16]))
    with pytest.raises(RuntimeError, match="stranger.pt.*never holds its bytes"):
        ember.load(path)
    path = _write(tmp_path, _legacy(obj, ["0"], [b"\x00" * 16]))
    assert ember.load(path).tolist() == [0.0] * 4


# ---------------------------------------------------------------------------- whole modules

class Holder:
    """A user's class pickled whole, by reference, with a set (``__builtin__.set``)."""

    def __init__(self, tensor):
        self.tensor, self.tags = tensor, {"a", "b"}


def test_whole_objects_saved_by_torch_load_with_their_class_allowed(tmp_path):
    path = tmp_path / "holder.pt"
    torch.save(Holder(torch.arange(3.0)), path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    with pytest.raises(pickle.UnpicklingError, match="Holder"):
        ember.load(path)
    with torch.serialization.safe_globals([Holder]):
        expected = torch.load(path, weights_only=True)
    with ember.serialization.safe_globals([Holder]):
        got = ember.load(path, weights_only=True)
    assert got.tags == expected.tags == {"a", "b"}
    assert got.tensor.tolist() == expected.tensor.tolist()
    with pytest.warns(UserWarning):
        assert ember.load(path, weights_only=False).tags == {"a", "b"}


def test_whole_ember_module_loads_with_its_class_allowed(tmp_path):
    path = tmp_path / "module.pt"
    model = ember.nn.Linear(2, 3)
    ember.save(model, path)
    with ember.serialization.safe_globals([ember.nn.Linear]):
        loaded = ember.load(path)
    assert isinstance(loaded, ember.nn.Linear)
    assert ember.equal(loaded.weight, model.weight) and ember.equal(loaded.bias, model.bias)


# ---------------------------------------------------------------------------- save and threads

_KILLED_SAVE = """
import os, signal, sys
import ember
from ember import _save

def dying(obj, fileobj, *rest):
    fileobj.write(b"half a checkpoint")
    fileobj.flush()
    os.kill(os.getpid(), signal.SIGKILL)

_save._write_zip = dying
ember.save({"w": ember.ones(3)}, sys.argv[1])
"""


def test_next_save_removes_temporaries_of_a_killed_save(tmp_path):
    path = tmp_path / "model.pt"
    other = tmp_path / "model.pt.5"
    run = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(path)],
                         env=subprocess_env())
    assert run.returncode == -signal.SIGKILL
    subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(other)], env=subprocess_env())
    assert len(os.listdir(tmp_path)) == 2  # the two killed saves' temporaries
    ember.save({"w": ember.arange(3.0)}, path)
    left = sorted(os.listdir(tmp_path))
    assert "model.pt" in left and len(left) == 2  # another target's temporary is kept
    assert [n for n in left if n != "model.pt"][0].startswith(".model.pt.5.")
    assert ember.load(path)["w"].tolist() == [0.0, 1.0, 2.0]


def test_save_never_changes_the_umask(tmp_path, monkeypatch):
    current = os.umask(0o022)
    os.umask(current)

    def no_umask(mask):
        raise AssertionError("ember.save changed the process umask")

    monkeypatch.setattr(os, "umask", no_umask)
    path = tmp_path / "model.pt"
    ember.save({"w": ember.ones(2)}, path)
    monkeypatch.undo()
    assert (path.stat().st_mode & 0o777) == 0o666 & ~current
    assert os.listdir(tmp_path) == ["model.pt"]


def test_concurrent_loads_keep_their_own_map_location(tmp_path):
    path = tmp_path / "two.pt"
    ember.save({"a": ember.ones(2), "b": ember.zeros(2), "c": ember.ones(1)}, path)
    both_started = threading.Barrier(2, timeout=10)
    seen = {"first": set(), "second": set()}
    failures = []

    def loader(tag):
        def map_location(t, location):
            seen[tag].add(threading.current_thread().name)
            if len(seen[tag]) == 1 and not both_started.broken:
                try:
                    both_started.wait()
                except threading.BrokenBarrierError:
                    pass
            return t

        def run():
            try:
                for _ in range(3):
                    ember.load(path, map_location=map_location)
            except Exception as e:  # reported below
                failures.append(e)
        return threading.Thread(target=run, name=tag)

    threads = [loader("first"), loader("second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert seen == {"first": {"first"}, "second": {"second"}}


def test_loaded_values_are_not_uninitialised(tmp_path):
    """A sanity check of the storage path the hostile tests go through."""
    path = tmp_path / "vals.pt"
    torch.save({"x": torch.arange(6, dtype=torch.float32)}, path)
    np.testing.assert_array_equal(ember.load(path)["x"].numpy(), np.arange(6, dtype=np.float32))


def test_build_cannot_change_a_shared_device(tmp_path):
    """torch.device('cpu') is one cached object: BUILD with slot state must not retarget it."""
    data = (b"\x80\x02ctorch\ndevice\nX\x03\x00\x00\x00cpu\x85RN}X\x04\x00\x00\x00typeX\x04"
            b"\x00\x00\x00cudas\x86b.")
    path = _write(tmp_path, _checkpoint(data))
    _torch_error(path)
    for weights_only in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(pickle.UnpicklingError, match="stranger.pt.*(BUILD|build)"):
                ember.load(path, weights_only=weights_only)
    assert ember.device("cpu").type == "cpu"
