"""ember.save / ember.load against torch.save / torch.load: both directions, every dtype,
shared storages, Parameters, state_dicts, map_location, mmap, the legacy format."""

import io
import mmap
import os

import numpy as np
import pytest
import torch

import ember

from conftest import HAVE_BFLOAT16, assert_same

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
          "uint8", "bool", "complex64", "complex128"]
if not HAVE_BFLOAT16:  # bfloat16 needs the optional ml_dtypes package
    DTYPES.remove("bfloat16")


def _array(dtype, shape=(2, 3), seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith("complex"):
        return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dtype)
    if dtype == "bfloat16":
        return rng.normal(size=shape).astype(np.float32)
    if dtype.startswith(("int", "uint")):
        return rng.integers(0, 100, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def _pair(dtype, shape=(2, 3), seed=0):
    a = _array(dtype, shape, seed)
    e, t = ember.tensor(a), torch.tensor(a)
    if dtype == "bfloat16":
        e, t = e.to(ember.bfloat16), t.to(torch.bfloat16)
    return e, t


def _compare(e, t):
    """Structural equality of an ember object and a torch object."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor)
        assert isinstance(e, ember.nn.Parameter) == isinstance(t, torch.nn.Parameter)
        assert e.requires_grad == t.requires_grad
        assert_same(e.detach(), t.detach())
    elif isinstance(t, dict):
        assert type(e) is type(t) and list(e) == list(t)
        for k in t:
            _compare(e[k], t[k])
    elif isinstance(t, (list, tuple)) and not isinstance(t, torch.Size):
        assert type(e) is type(t) and len(e) == len(t)
        for a, b in zip(e, t):
            _compare(a, b)
    elif isinstance(t, torch.dtype):
        assert e is getattr(ember, str(t).split(".")[1])
    elif isinstance(t, torch.Size):
        assert isinstance(e, ember.Size) and tuple(e) == tuple(t)
    elif isinstance(t, torch.device):
        assert str(e) == str(t)
    else:
        assert e == t


def _rich(lib, pair_index):
    """The same nested object in either library."""
    tensors = {d: _pair(d)[pair_index] for d in DTYPES}
    base = tensors["float32"]
    return {"tensors": tensors, "zero_dim": _pair("float64", ())[pair_index],
            "empty": _pair("float32", (0, 3))[pair_index],
            "param": lib.nn.Parameter(_pair("float32", (3,))[pair_index]),
            "frozen": lib.nn.Parameter(_pair("float32", (2,))[pair_index], requires_grad=False),
            "nested": [1, 2.5, "text", (True, None), {"k": base}],
            "dtype": lib.float16, "size": lib.Size([4, 5]), "device": lib.device("cpu"),
            "bytes": b"\x00\x01"}


@pytest.mark.parametrize("as_path", [True, False])
def test_ember_save_torch_load(tmp_path, as_path):
    obj = _rich(ember, 0)
    if as_path:
        ember.save(obj, tmp_path / "ckpt.pt")
        loaded = torch.load(tmp_path / "ckpt.pt", weights_only=True)
        mapped = torch.load(tmp_path / "ckpt.pt", weights_only=True, mmap=True)
        _compare(obj, mapped)  # the 64-byte record alignment torch's mmap relies on
    else:
        buffer = io.BytesIO()
        ember.save(obj, buffer)
        buffer.seek(0)
        loaded = torch.load(buffer, weights_only=True)
    _compare(obj, loaded)


@pytest.mark.parametrize("legacy", [False, True])
def test_torch_save_ember_load(tmp_path, legacy):
    obj = _rich(torch, 1)
    path = tmp_path / "ckpt.pt"
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    _compare(ember.load(path), obj)
    if not legacy:
        _compare(ember.load(path, mmap=True), obj)
        with open(path, "rb") as f:
            _compare(ember.load(f), obj)


def test_ember_round_trip_keeps_everything(tmp_path):
    obj = _rich(ember, 0)
    ember.save(obj, tmp_path / "x.pt")
    back = ember.load(tmp_path / "x.pt")
    assert list(back) == list(obj)
    for name, t in obj["tensors"].items():
        assert back["tensors"][name].dtype is t.dtype
        assert ember.equal(back["tensors"][name], t)
    assert isinstance(back["param"], ember.nn.Parameter) and back["param"].requires_grad
    assert not back["frozen"].requires_grad


@pytest.mark.parametrize("direction", ["ember->torch", "torch->ember"])
def test_views_share_one_storage(tmp_path, direction):
    path = tmp_path / "views.pt"
    if direction == "ember->torch":
        base = ember.arange(20.0).reshape(4, 5)
        ember.save({"base": base, "row": base[1], "t": base.t(), "sub": base[1:3, 2:]}, path)
        got = torch.load(path, weights_only=True)
        got["base"][1, 3] = -1.0
        assert got["row"][3].item() == -1.0 and got["t"][3, 1].item() == -1.0
        assert got["t"].stride() == (1, 5) and got["sub"].storage_offset() == 7
        assert_same(ember.tensor(got["sub"].numpy()), torch.arange(20.0).reshape(4, 5)[1:3, 2:]
                    .clone().index_put_((torch.tensor([0]), torch.tensor([1])),
                                        torch.tensor(-1.0)))
    else:
        base = torch.arange(20.0).reshape(4, 5)
        torch.save({"base": base, "row": base[1], "t": base.t()}, path)
        got = ember.load(path)
        got["base"][1, 3] = -1.0
        assert got["row"][3].item() == -1.0 and got["t"][3, 1].item() == -1.0
        assert_same(got["t"], base.t().clone().index_put_(
            (torch.tensor([3]), torch.tensor([1])), torch.tensor(-1.0)))


def _mlp(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2))


def test_model_trained_in_torch_gives_same_outputs_in_ember(tmp_path):
    t_model = _mlp(torch)
    opt = torch.optim.SGD(t_model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(16, 4)
    for _ in range(5):
        opt.zero_grad()
        t_model(x).pow(2).mean().backward()
        opt.step()
    torch.save(t_model.state_dict(), tmp_path / "m.pt")
    torch.save(opt.state_dict(), tmp_path / "o.pt")
    e_model = _mlp(ember)
    e_model.load_state_dict(ember.load(tmp_path / "m.pt"))
    assert_same(e_model(ember.tensor(x.numpy())).detach(), t_model(x).detach())
    e_opt_state = ember.load(tmp_path / "o.pt")
    assert e_opt_state["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert_same(e_opt_state["state"][0]["momentum_buffer"],
                opt.state_dict()["state"][0]["momentum_buffer"])


def test_model_trained_in_ember_gives_same_outputs_in_torch(tmp_path):
    e_model = _mlp(ember)
    opt = ember.optim.SGD(e_model.parameters(), lr=0.1, momentum=0.9)
    x = ember.randn(16, 4)
    for _ in range(5):
        opt.zero_grad()
        e_model(x).pow(2).mean().backward()
        opt.step()
    ember.save(e_model.state_dict(), tmp_path / "m.pt")
    ember.save(opt.state_dict(), tmp_path / "o.pt")
    t_model = _mlp(torch)
    t_model.load_state_dict(torch.load(tmp_path / "m.pt", weights_only=True))
    assert_same(e_model(x).detach(), t_model(torch.tensor(x.numpy())).detach())
    state = torch.load(tmp_path / "o.pt", weights_only=True)
    assert set(state) == {"state", "param_groups"}


def test_map_location_forms(tmp_path, fake_cuda):
    path = tmp_path / "dev.pt"
    ember.save({"a": ember.ones(2, device="cuda"), "b": ember.zeros(1)}, path)
    plain = ember.load(path)
    assert plain["a"].device.type == "cuda" and plain["b"].device.type == "cpu"
    for where in ("cpu", ember.device("cpu"), {"cuda:0": "cpu"}):
        got = ember.load(path, map_location=where)
        assert got["a"].device.type == "cpu"
    seen = []
    got = ember.load(path, map_location=lambda storage, loc: seen.append(loc) or storage)
    assert sorted(seen) == ["cpu", "cuda:0"] and got["a"].device.type == "cpu"


def test_cuda_checkpoint_without_cuda_raises_torch_error(tmp_path, fake_cuda):
    path = tmp_path / "dev.pt"
    ember.save({"a": ember.ones(2, device="cuda")}, path)
    from ember import _device

    _device.disable_fake_cuda()
    try:
        with pytest.raises(RuntimeError, match="map_location=torch.device\\('cpu'\\)"):
            ember.load(path)
        assert ember.load(path, map_location="cpu")["a"].device.type == "cpu"
    finally:
        _device.enable_fake_cuda()


def test_mmap_needs_a_path_and_shares_the_file(tmp_path):
    with pytest.raises(ValueError, match="file path"):
        ember.load(io.BytesIO(b"PK"), mmap=True)
    big = ember.arange(1000.0)
    ember.save({"w": big}, tmp_path / "big.pt")
    got = ember.load(tmp_path / "big.pt", mmap=True)
    owner = got["w"]._data
    while getattr(owner, "base", None) is not None:  # views, as_strided's wrapper, ...
        owner = owner.base
    assert isinstance(getattr(owner, "obj", owner), mmap.mmap)  # read from the mapped file
    assert ember.equal(got["w"], big)
    copied = ember.load(tmp_path / "big.pt")["w"]._data
    while getattr(copied, "base", None) is not None:
        copied = copied.base
    assert not isinstance(getattr(copied, "obj", copied), mmap.mmap)


def test_save_accepts_str_path_and_writes_no_stray_files(tmp_path):
    path = str(tmp_path / "s.pt")
    ember.save({"x": ember.ones(1)}, path)
    assert os.listdir(tmp_path) == ["s.pt"]
    assert oct(os.stat(path).st_mode & 0o777) != oct(0o600)


def _cnn(lib):
    nn = lib.nn
    lib.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


@pytest.mark.parametrize("direction", ["torch->ember", "ember->torch"])
def test_cnn_with_batchnorm_buffers_and_adam_state_cross_the_border(tmp_path, direction):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 3, size=6)
    src_lib, dst_lib = (torch, ember) if direction == "torch->ember" else (ember, torch)
    src = _cnn(src_lib)
    opt = src_lib.optim.Adam(src.parameters(), lr=0.01)
    for _ in range(3):  # moves the weights, the BatchNorm running stats and Adam's moments
        opt.zero_grad()
        src_lib.nn.functional.cross_entropy(src(src_lib.tensor(x)), src_lib.tensor(y)).backward()
        opt.step()
    src_lib.save({"model": src.state_dict(), "optim": opt.state_dict()}, tmp_path / "c.pt")
    loaded = (dst_lib.load(tmp_path / "c.pt", weights_only=True))
    assert list(loaded["model"]) == list(src.state_dict())
    assert "1.num_batches_tracked" in loaded["model"]
    dst = _cnn(dst_lib)
    dst.load_state_dict(loaded["model"])
    dst_opt = dst_lib.optim.Adam(dst.parameters(), lr=0.01)
    dst_opt.load_state_dict(loaded["optim"])
    src.eval()
    dst.eval()
    out_src = src(src_lib.tensor(x)).detach().numpy()
    out_dst = dst(dst_lib.tensor(x)).detach().numpy()
    np.testing.assert_allclose(out_dst, out_src, rtol=1e-5, atol=1e-6)
    state = dst_opt.state_dict()["state"][0]
    assert float(state["step"]) == 3.0
    np.testing.assert_allclose(np.asarray(state["exp_avg"]),
                               np.asarray(opt.state_dict()["state"][0]["exp_avg"]), rtol=1e-6)
