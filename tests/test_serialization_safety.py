"""Loading untrusted checkpoints never runs code; crafted or corrupt files give clear errors;
an interrupted save leaves the previous file intact."""

import io
import os
import pickle
import random
import zipfile
from collections import OrderedDict

import pytest

import ember
from ember import _save

LOAD_ERRORS = (RuntimeError, pickle.UnpicklingError)


def _checkpoint(data_pkl, extra=(), compress=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compress) as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/byteorder", "little")
        zf.writestr("archive/version", "3\n")
        for name, data in extra:
            zf.writestr(name, data)
    buffer.seek(0)
    return buffer


def _payloads(marker):
    command = f"touch {marker}"

    class SystemCall:
        def __reduce__(self):
            return os.system, (command,)

    class Eval:
        def __reduce__(self):
            return eval, (f"open({str(marker)!r}, 'w')",)

    class Popen:
        def __reduce__(self):
            import subprocess

            return subprocess.Popen, (["touch", str(marker)],)

    class Nested:  # a dangerous call hidden inside an allowed one
        def __reduce__(self):
            return OrderedDict, ([("k", SystemCall())],)

    m = str(marker).encode()
    return {
        "os.system": pickle.dumps(SystemCall(), protocol=2),
        "builtins.eval": pickle.dumps(Eval(), protocol=2),
        "subprocess": pickle.dumps(Popen(), protocol=2),
        "stack_global": pickle.dumps(SystemCall(), protocol=4),
        "nested": pickle.dumps(Nested(), protocol=2),
        "inst_opcode": b"(S'touch " + m + b"'\nios\nsystem\n.",
        "obj_opcode": b"\x80\x02(cos\nsystem\nX\x05\x00\x00\x00touch" + b"o.",
        "getattr": b"\x80\x02cbuiltins\ngetattr\ncos\nX\x06\x00\x00\x00system\x86R.",
    }


@pytest.mark.parametrize("name", list(_payloads("x")))
def test_malicious_pickles_are_refused_and_do_not_run(tmp_path, name):
    marker = tmp_path / "pwned"
    payload = _payloads(marker)[name]
    with pytest.raises(LOAD_ERRORS) as err:
        ember.load(_checkpoint(payload))
    assert not marker.exists()
    if isinstance(err.value, pickle.UnpicklingError):
        assert "weights_only=False" in str(err.value)  # says how to load a trusted file


def test_refused_global_is_named_and_add_safe_globals_allows_it(tmp_path):
    class Point:
        def __init__(self, x=0):
            self.x = x

    Point.__module__, Point.__qualname__ = __name__, "Point"
    globals()["Point"] = Point
    buffer = io.BytesIO()
    ember.save({"p": Point(3)}, buffer)
    buffer.seek(0)
    with pytest.raises(pickle.UnpicklingError, match=f"{__name__}.Point"):
        ember.load(io.BytesIO(buffer.getvalue()))
    with ember.serialization.safe_globals([Point]):
        assert ember.load(io.BytesIO(buffer.getvalue()))["p"].x == 3
    with pytest.raises(pickle.UnpicklingError):
        ember.load(io.BytesIO(buffer.getvalue()))
    with pytest.warns(UserWarning, match="trust"):
        assert ember.load(io.BytesIO(buffer.getvalue()), weights_only=False)["p"].x == 3


class _Crafted:
    """A tensor record whose view reaches outside its storage."""

    def __init__(self, numel, offset, size, stride):
        self.numel, self.offset, self.size, self.stride = numel, offset, size, stride

    def __reduce__(self):
        import numpy as np

        storage = _save._Storage("0", np.zeros(self.numel, np.float32), ember.float32, "cpu")
        return _save._REBUILD_TENSOR, (storage, self.offset, self.size, self.stride, False,
                                       OrderedDict())


def _crafted_file(numel, offset, size, stride, record_bytes=None):
    buffer = io.BytesIO()
    pickler = _save._CheckpointPickler(buffer)
    pickler.dump({"w": _Crafted(numel, offset, size, stride)})
    data = b"\x00" * (4 * numel if record_bytes is None else record_bytes)
    return _checkpoint(buffer.getvalue(), [("archive/data/0", data)])


@pytest.mark.parametrize("numel,offset,size,stride,record", [
    (4, 10, (2,), (1,), None),   # offset past the end
    (4, 0, (5,), (1,), None),    # more elements than stored
    (4, 0, (2, 2), (4, 1), None),  # stride jumps out
    (4, -1, (2,), (1,), None),   # negative offset
    (4, 0, (2,), (-1,), None),   # negative stride
    (4, 0, (2,), (1,), 8),       # record shorter than declared
])
def test_crafted_storage_views_are_refused(numel, offset, size, stride, record):
    with pytest.raises(RuntimeError, match="checkpoint"):
        ember.load(_crafted_file(numel, offset, size, stride, record))


def test_zip_bomb_is_refused():
    bomb = _checkpoint(b"\x80\x02N." + b"\x00" * (30 << 20), compress=zipfile.ZIP_DEFLATED)
    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(RuntimeError, match="refused"):
        ember.load(bomb)


def test_path_traversal_member_is_refused(tmp_path):
    evil = tmp_path / "evil.txt"
    buffer = io.BytesIO()
    ember.save({"x": ember.ones(1)}, buffer)
    with zipfile.ZipFile(buffer, "a") as zf:
        zf.writestr("archive/../../" + str(evil), "gotcha")
    buffer.seek(0)
    with pytest.raises(RuntimeError, match="unexpected record"):
        ember.load(buffer)
    assert not evil.exists()


def test_interrupted_save_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "model.pt"
    ember.save({"w": ember.arange(5.0)}, path)
    before = path.read_bytes()
    with pytest.raises(Exception):
        ember.save({"w": ember.ones(3), "bad": lambda: None}, path)  # cannot be pickled
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.pt"]  # no temporary file left behind
    assert ember.equal(ember.load(path)["w"], ember.arange(5.0))


def _valid_checkpoint():
    buffer = io.BytesIO()
    ember.save({"weight": ember.arange(12.0).reshape(3, 4), "step": 3,
                "nested": [ember.ones(2, dtype=ember.int64), {"b": ember.zeros(1)}]}, buffer)
    return buffer.getvalue()


def test_truncated_and_bit_flipped_files_give_clear_errors():
    good = _valid_checkpoint()
    rng = random.Random(1234)
    outcomes = {"loaded": 0, "refused": 0}
    for trial in range(300):
        data = bytearray(good)
        if trial % 3 == 0:
            data = data[: rng.randrange(len(data))]
        else:
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(data))
                data[i] ^= 1 << rng.randrange(8)
        try:
            ember.load(io.BytesIO(bytes(data)))
            outcomes["loaded"] += 1
        except LOAD_ERRORS as e:
            assert str(e), "an error without a message"
            outcomes["refused"] += 1
    assert outcomes["refused"] > 100


@pytest.mark.parametrize("data,match", [(b"", "empty"), (b"hello world", "not a checkpoint"),
                                        (b"PK\x03\x04broken", "truncated or corrupted")])
def test_non_checkpoints_are_named(tmp_path, data, match):
    path = tmp_path / "thing.pt"
    path.write_bytes(data)
    with pytest.raises(RuntimeError, match=match) as err:
        ember.load(path)
    assert "thing.pt" in str(err.value)


def test_missing_storage_record_is_named():
    buffer = io.BytesIO()
    ember.save({"w": ember.ones(3)}, buffer)
    src = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            if not info.filename.endswith("data/0"):
                zf.writestr(info, src.read(info))
    out.seek(0)
    with pytest.raises(RuntimeError, match="data/0.*missing"):
        ember.load(out)
