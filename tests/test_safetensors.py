"""ember.utils.safetensors against the safetensors package (numpy and torch sides), its
header checks, and zero-copy exchange with torch through DLPack."""

import json
import struct

import numpy as np
import pytest
import torch

import ember
from ember.utils import safetensors as st

from conftest import HAVE_BFLOAT16, assert_same

safetensors_numpy = pytest.importorskip("safetensors.numpy")
safetensors_torch = pytest.importorskip("safetensors.torch")

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
          "uint8", "bool"]
if not HAVE_BFLOAT16:  # bfloat16 needs the optional ml_dtypes package
    DTYPES.remove("bfloat16")


def _state(lib):
    rng = np.random.default_rng(0)
    out = {}
    for i, d in enumerate(DTYPES):
        a = rng.normal(size=(2, i + 1)) * 10
        if d == "bool":
            a = a > 0
        t = lib.tensor(a.astype(np.float32) if d == "bfloat16" else a.astype(d))
        out[f"t.{d}"] = t.to(getattr(lib, d))
    out["scalar"] = lib.tensor(3.5)
    out["empty"] = lib.zeros(0, 4)
    return out


def test_ember_file_reads_in_the_package_and_torch(tmp_path):
    state = _state(ember)
    st.save_file(state, tmp_path / "m.safetensors", metadata={"format": "pt"})
    loaded = safetensors_torch.load_file(tmp_path / "m.safetensors")
    assert set(loaded) == set(state)
    for k, v in loaded.items():
        assert_same(state[k], v)
    raw = (tmp_path / "m.safetensors").read_bytes()
    assert raw == safetensors_torch.save({k: v for k, v in loaded.items()},
                                         metadata={"format": "pt"})  # byte-identical


def test_torch_and_package_files_read_in_ember(tmp_path):
    state = _state(torch)
    safetensors_torch.save_file(state, tmp_path / "t.safetensors", metadata={"a": "b"})
    got = st.load_file(tmp_path / "t.safetensors")
    assert set(got) == set(state)
    for k, v in state.items():
        assert_same(got[k], v)
    assert st.load_metadata(tmp_path / "t.safetensors") == {"a": "b"}
    arrays = {"x": np.arange(6, dtype=np.float32).reshape(2, 3)}
    got = st.load(safetensors_numpy.save(arrays))
    assert got["x"].tolist() == arrays["x"].tolist()


def test_noncontiguous_tensors_are_saved_by_value():
    base = ember.arange(12.0).reshape(3, 4)
    got = st.load(st.save({"t": base.t(), "row": base[1]}))
    assert ember.equal(got["t"], base.t()) and ember.equal(got["row"], base[1])


def _file(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


@pytest.mark.parametrize("blob,match", [
    (b"\x01", "shorter"),
    (struct.pack("<Q", 1 << 40) + b"{}", "header length"),
    (_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\x00" * 4),
     "do not hold"),
    (_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\x00" * 8),
     "trailing"),
    (_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
            "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\x00" * 4),
     "not covered"),
    (_file({"a": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 4]}}, b"\x00" * 4),
     "unknown"),
    (_file({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\x00" * 4),
     "invalid shape"),
    (_file({"__metadata__": {"k": 1}}), "metadata"),
    (struct.pack("<Q", 4) + b"{{{{", "not valid JSON"),
])
def test_hostile_headers_raise_clear_errors(blob, match):
    with pytest.raises(ValueError, match=match):
        st.load(blob)


def test_save_rejects_non_tensors():
    with pytest.raises(ValueError, match="expected str -> Tensor"):
        st.save({"a": np.zeros(2)})


def test_dlpack_exchange_with_torch_is_zero_copy():
    e = ember.arange(4.0)
    t = torch.from_dlpack(e)
    e[0] = 42.0
    assert t[0].item() == 42.0
    t[1] = -1.0
    assert e[1].item() == -1.0
    back = ember.from_dlpack(t)
    back[2] = 7.0
    assert e[2].item() == 7.0


def test_from_numpy_and_numpy_share_memory():
    a = np.zeros(3, dtype=np.float32)
    e = ember.from_numpy(a)
    a[0] = 1.0
    e[1] = 2.0
    assert e.tolist() == [1.0, 2.0, 0.0] and a.tolist() == [1.0, 2.0, 0.0]
    view = e.numpy()
    view[2] = 3.0
    assert e[2].item() == 3.0
