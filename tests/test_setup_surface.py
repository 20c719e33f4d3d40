"""The setup surface scripts touch in their first lines, each behaviour compared with torch:
accelerator, backends, matmul precision, deterministic algorithms, the default device, amp,
DataParallel, distributed/onnx stubs, constants, testing.assert_close, memory formats."""

import math
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn as enn

from conftest import assert_same


def test_accelerator_answers_as_a_cpu_only_torch():
    assert not torch.cuda.is_available()  # the oracle is the CPU wheel
    assert ember.accelerator.is_available() is torch.accelerator.is_available() is False
    assert ember.accelerator.current_accelerator() is torch.accelerator.current_accelerator()
    assert ember.accelerator.current_accelerator(check_available=True) is None
    assert ember.accelerator.device_count() == torch.accelerator.device_count() == 0
    for name, args in (("current_device_index", ()), ("set_device_index", (0,)),
                       ("synchronize", ())):
        with pytest.raises(RuntimeError) as theirs:
            getattr(torch.accelerator, name)(*args)
        with pytest.raises(RuntimeError) as ours:
            getattr(ember.accelerator, name)(*args)
        assert str(ours.value) == str(theirs.value)
    with ember.accelerator.device_index(None):  # None: nothing to switch, as torch
        pass


def test_accelerator_with_the_fake_cuda_backend():
    ember._device.enable_fake_cuda()
    try:
        assert ember.accelerator.is_available()
        assert ember.accelerator.current_accelerator() == ember.device("cuda")
        assert ember.accelerator.device_count() == 1
        ember.accelerator.set_device_index("cuda:0")
        assert ember.accelerator.current_device_index() == 0
        dp = enn.DataParallel(enn.Linear(2, 3).cuda())
        assert dp.device_ids == [0]
        assert dp(ember.ones(4, 2)).device == ember.device("cuda", 0)  # input moved there
        with pytest.raises(NotImplementedError, match="one device"):
            enn.DataParallel(enn.Linear(2, 3), device_ids=[0, 1])
    finally:
        ember._device.disable_fake_cuda()


BACKEND_FLAGS = [("cudnn", "benchmark"), ("cudnn", "deterministic"), ("cudnn", "enabled"),
                 ("cudnn", "allow_tf32"), ("mkldnn", "enabled")]


@pytest.mark.parametrize("module, flag", BACKEND_FLAGS)
def test_backend_flags_have_torchs_defaults_and_can_be_set(module, flag):
    ours, theirs = getattr(ember.backends, module), getattr(torch.backends, module)
    assert getattr(ours, flag) == getattr(theirs, flag)
    default = getattr(ours, flag)
    try:
        setattr(ours, flag, not default)
        assert getattr(ours, flag) is (not default)
    finally:
        setattr(ours, flag, default)


def test_backend_questions():
    b = ember.backends
    assert b.cudnn.is_available() is torch.backends.cudnn.is_available() is False
    assert b.cudnn.version() is torch.backends.cudnn.version() is None
    assert b.mps.is_available() is b.mps.is_built() is torch.backends.mps.is_built() is False
    # ember's own answers (it has no MKL/OpenMP/oneDNN kernels; torch's CPU wheel has them)
    assert b.mkl.is_available() is b.openmp.is_available() is b.mkldnn.is_available() is False
    assert isinstance(b.cuda.is_built(), bool)
    for name in ("flash", "mem_efficient", "math", "cudnn"):
        assert getattr(b.cuda, f"{name}_sdp_enabled")() == \
            getattr(torch.backends.cuda, f"{name}_sdp_enabled")()
    with b.cudnn.flags(enabled=False, benchmark=True):
        assert b.cudnn.enabled is False and b.cudnn.benchmark is True
    assert b.cudnn.enabled is True and b.cudnn.benchmark is False


def test_matmul_precision_as_torch():
    try:
        assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
        assert ember.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32
        for value in ("high", "medium", "highest"):
            torch.set_float32_matmul_precision(value)
            ember.set_float32_matmul_precision(value)
            assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
            assert ember.backends.cuda.matmul.allow_tf32 is \
                torch.backends.cuda.matmul.allow_tf32
        with pytest.warns(UserWarning, match="bogus is not one of"):
            ember.set_float32_matmul_precision("bogus")  # torch warns and keeps the value
        assert ember.get_float32_matmul_precision() == "highest"
        with pytest.raises(RuntimeError, match="expects a str"):
            torch.set_float32_matmul_precision(1)
        with pytest.raises(RuntimeError, match="expects a str"):
            ember.set_float32_matmul_precision(1)
        ember.backends.cuda.matmul.allow_tf32 = True
        assert ember.get_float32_matmul_precision() == "high"
        assert ember.backends.cuda.matmul.allow_fp16_reduced_precision_reduction is \
            torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction
        for lib in (torch, ember):
            with pytest.raises(AttributeError, match="Unknown attribute foo"):
                lib.backends.cuda.matmul.foo = 1
    finally:
        torch.set_float32_matmul_precision("highest")
        ember.set_float32_matmul_precision("highest")


def test_deterministic_algorithms_as_torch():
    try:
        for mode, warn_only in ((True, False), (True, True), (False, True), (False, False)):
            for lib in (torch, ember):
                lib.use_deterministic_algorithms(mode, warn_only=warn_only)
            assert ember.are_deterministic_algorithms_enabled() is \
                torch.are_deterministic_algorithms_enabled() is mode
            assert ember.is_deterministic_algorithms_warn_only_enabled() is \
                torch.is_deterministic_algorithms_warn_only_enabled()
        for bad in (1, "x", None):
            with pytest.raises(TypeError) as theirs:
                torch.use_deterministic_algorithms(bad)
            with pytest.raises(TypeError) as ours:
                ember.use_deterministic_algorithms(bad)
            assert str(ours.value) == str(theirs.value)
    finally:
        torch.use_deterministic_algorithms(False)
        ember.use_deterministic_algorithms(False)


FACTORIES = [
    lambda lib: lib.zeros(2, 3), lambda lib: lib.ones(2), lambda lib: lib.empty(1),
    lambda lib: lib.full((2,), 1.5), lambda lib: lib.rand(2), lambda lib: lib.randn(2),
    lambda lib: lib.randint(0, 5, (3,)), lambda lib: lib.arange(4),
    lambda lib: lib.linspace(0, 1, 5), lambda lib: lib.eye(2), lambda lib: lib.tensor([1, 2]),
    lambda lib: lib.zeros_like(lib.ones(2)), lambda lib: lib.rand_like(lib.ones(2)),
    lambda lib: lib.as_tensor([1.0]), lambda lib: lib.randperm(3),
    lambda lib: lib.logspace(0, 1, 3),
    lambda lib: lib.scalar_tensor(1.0), lambda lib: lib.nn.Linear(2, 2).weight,
]


def test_default_device_goes_to_every_factory():
    assert str(ember.get_default_device()) == str(torch.get_default_device()) == "cpu"
    ember._device.enable_fake_cuda()
    try:
        ember.set_default_device("cuda")
        assert ember.get_default_device() == ember.device("cuda", 0)
        for make in FACTORIES:
            assert make(ember).device == ember.device("cuda", 0)
        assert ember.from_numpy(np.ones(2)).device == ember.device("cpu")  # as torch
        assert ember.zeros(2, device="cpu").device == ember.device("cpu")
        ember.set_default_device(None)
        assert ember.get_default_device() == ember.device("cpu")
        assert ember.zeros(1).device == ember.device("cpu")
    finally:
        ember.set_default_device(None)
        ember._device.disable_fake_cuda()
    # torch accepts 'cuda' on a CPU-only machine; the next factory call fails
    ember.set_default_device("cuda")
    try:
        with pytest.raises(RuntimeError, match="Torch not compiled with CUDA enabled"):
            ember.zeros(1)
    finally:
        ember.set_default_device("cpu")
    assert ember.zeros(1).device == ember.device("cpu")


def test_autocast_disabled_is_a_no_op_as_torch():
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    for lib in (torch, ember):
        with lib.autocast("cpu", enabled=False) as region:
            assert isinstance(region, lib.autocast)
            y = lib.from_numpy(x) @ lib.from_numpy(x.T)
        assert y.dtype == lib.float32
        assert not lib.is_autocast_enabled()

        @lib.autocast(device_type="cpu", enabled=False)
        def double(t):
            return t * 2

        assert double(lib.ones(2)).dtype == lib.float32
        assert double.__name__ == "double"
        with lib.amp.autocast("cpu", dtype=lib.bfloat16, enabled=False, cache_enabled=False):
            pass
    for bad, error in ((1, ValueError), ("xyz", RuntimeError)):
        with pytest.raises(error):
            torch.autocast(bad)
        with pytest.raises(error):
            ember.autocast(bad)


def test_autocast_and_grad_scaler_disable_on_cuda_without_a_gpu_as_torch():
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="CUDA is not available"):
            region = lib.autocast("cuda")
        with region:
            pass
        with pytest.warns(UserWarning, match="CUDA is not available"):
            scaler = lib.amp.GradScaler()
        assert scaler.is_enabled() is False
        with pytest.warns(FutureWarning, match="torch.cuda.amp.autocast"):
            lib.cuda.amp.autocast(enabled=False)
        with pytest.warns(FutureWarning, match="torch.cuda.amp.GradScaler"):
            assert not lib.cuda.amp.GradScaler(enabled=False).is_enabled()


def test_disabled_grad_scaler_steps_as_torch():
    w0 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    results = {}
    for lib in (torch, ember):
        w = lib.tensor(w0, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler("cpu", enabled=False)
        for _ in range(3):
            opt.zero_grad()
            loss = (w * w).sum()
            assert scaler.scale(loss) is loss
            pair = [loss, (loss,)]
            assert scaler.scale(pair) is pair
            scaler.scale(loss).backward()
            assert scaler.unscale_(opt) is None
            assert scaler.step(opt) is None
            assert scaler.update() is None and scaler.update(5.0) is None
        assert scaler.get_scale() == 1.0 and scaler.state_dict() == {}
        scaler.load_state_dict({"scale": 3.0})
        assert scaler.get_scale() == 1.0
        results[lib] = w
    assert_same(results[ember], results[torch])
    scaler = ember.amp.GradScaler(enabled=False, growth_factor=3.0)
    assert scaler.get_growth_factor() == 3.0 and scaler.get_backoff_factor() == 0.5
    assert scaler.get_growth_interval() == 2000


def test_data_parallel_on_a_cpu_only_machine_as_torch():
    torch_inner = torch.nn.Linear(3, 2)
    inner = enn.Linear(3, 2)
    inner.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                           for k, v in torch_inner.state_dict().items()})
    theirs = torch.nn.DataParallel(torch_inner, device_ids=[0], output_device=0, dim=0)
    ours = enn.DataParallel(inner, device_ids=[0], output_device=0, dim=0)
    assert ours.module is inner and ours.device_ids == theirs.device_ids == []
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["module.weight",
                                                                     "module.bias"]
    assert repr(ours) == repr(theirs).replace("torch", "ember")
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert_same(ours(ember.from_numpy(x)), theirs(torch.from_numpy(x)))
    for lib, module in ((torch, torch_inner), (ember, inner)):  # the function needs a GPU
        with pytest.raises(RuntimeError, match="device type could not be determined"):
            lib.nn.parallel.data_parallel(module, lib.ones(2, 3))
    assert ember.nn.parallel.DataParallel is enn.DataParallel


def test_distributed_and_onnx_stubs():
    assert ember.distributed.is_initialized() is torch.distributed.is_initialized() is False
    assert ember.distributed.is_available() is ember.distributed.is_mpi_available()
    for name in ("get_rank", "get_world_size"):
        with pytest.raises(ValueError) as theirs:
            getattr(torch.distributed, name)()
        with pytest.raises(ValueError) as ours:
            getattr(ember.distributed, name)()
        assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="Unknown backend type"):  # (tests/test_distributed*)
        ember.distributed.init_process_group("no-such-backend")
    # ember.onnx.export is no longer a stub: tests/test_onnx_*.py check it
    assert ember.onnx.is_in_onnx_export() is torch.onnx.is_in_onnx_export() is False


def test_constants_and_device_properties():
    for name in ("pi", "e", "inf", "nan"):
        ours, theirs = getattr(ember, name), getattr(torch, name)
        assert type(ours) is type(theirs) is float
        assert ours == theirs or (math.isnan(ours) and math.isnan(theirs))
    x, t = ember.zeros(1), torch.zeros(1)
    for name in ("is_xpu", "is_mps", "is_meta", "is_cuda"):
        assert getattr(x, name) is getattr(t, name) is False


# ---------------------------------------------------------------------------- assert_close

def _both(make):
    return make(torch), make(ember)


CLOSE_CASES = [
    lambda lib: (lib.tensor([1.0, 2.0, 3.0]), lib.tensor([1.0, 2.5, 3.0])),
    lambda lib: (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0], dtype=lib.float64)),
    lambda lib: (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0, 3.0])),
    lambda lib: (1.0, 1.5), lambda lib: (1, 2), lambda lib: (1.0, 1),
    lambda lib: (lib.tensor([float("nan")]), lib.tensor([float("nan")])),
    lambda lib: (lib.tensor([[1, 2], [3, 4]]), lib.tensor([[1, 2], [3, 7]])),
    lambda lib: (lib.tensor([True]), lib.tensor([False])),
    lambda lib: ([lib.tensor([1.0]), lib.tensor([2.0])], [lib.tensor([1.0]), lib.tensor([3.0])]),
    lambda lib: ({"a": lib.tensor([1.0])}, {"a": lib.tensor([3.0])}),
    lambda lib: (lib.tensor(1.0), lib.tensor(1.5)),
    lambda lib: (lib.tensor([0.0, 1.0]), lib.tensor([0.0, 0.0])),
    lambda lib: (lib.tensor([float("inf")]), lib.tensor([float("inf")])),
    lambda lib: (lib.tensor([1.0, 2.0], dtype=lib.float16), lib.tensor([1.0, 2.001],
                                                                      dtype=lib.float16)),
    lambda lib: (lib.tensor([1.0, 2.0], dtype=lib.float64), lib.tensor([1.0, 2.0 + 1e-6],
                                                                      dtype=lib.float64)),
    lambda lib: (lib.tensor([1 + 1j, 2j]), lib.tensor([1 + 1j, 3j])),
    lambda lib: ([1, 2], [1, 2, 3]),
    lambda lib: (lib.tensor([1.0]), [1.0]),
    lambda lib: (lib.ones(2, 3, 4), lib.ones(2, 3, 4) + lib.tensor(1e-3)),
    lambda lib: (np.array([1.0, 2.0]), np.array([1.0, 2.5])),
    lambda lib: (np.array([1, 2]), np.array([1, 2])),
]


def _outcome(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the class and message are what is compared
        return type(e), str(e)
    return None


@pytest.mark.parametrize("case", range(len(CLOSE_CASES)))
@pytest.mark.parametrize("options", [{}, {"check_dtype": False}, {"equal_nan": True},
                                     {"rtol": 0, "atol": 0}, {"rtol": 0.1, "atol": 0.5}])
def test_assert_close_as_torch(case, options):
    theirs, ours = _both(CLOSE_CASES[case])
    expected = _outcome(lambda: torch.testing.assert_close(*theirs, **options))
    got = _outcome(lambda: ember.testing.assert_close(*ours, **options))
    if got is not None:
        got = (got[0], got[1].replace("ember._tensor.", "ember."))
    if expected is not None:
        expected = (expected[0], expected[1].replace("torch.", "ember."))
    assert got == expected


def test_assert_close_arguments():
    a, b = ember.tensor([1.0]), ember.tensor([2.0])
    for lib, x, y in ((torch, torch.tensor([1.0]), torch.tensor([2.0])), (ember, a, b)):
        with pytest.raises(ValueError, match="but got no atol"):
            lib.testing.assert_close(x, y, rtol=0.1)
        with pytest.raises(AssertionError, match="^custom$"):
            lib.testing.assert_close(x, y, msg="custom")
        with pytest.raises(AssertionError, match="^XTensor-likes are not close"):
            lib.testing.assert_close(x, y, msg=lambda m: "X" + m)
        lib.testing.assert_close(x, x, check_stride=True, check_layout=True,
                                 allow_subclasses=False)
    ember._device.enable_fake_cuda()
    try:
        with pytest.raises(AssertionError, match="attribute 'device' do not match: cpu != cuda:0"):
            ember.testing.assert_close(a, a.cuda())
        ember.testing.assert_close(a, a.cuda(), check_device=False)
    finally:
        ember._device.disable_fake_cuda()
    x = ember.zeros(2, 3)
    with pytest.raises(AssertionError, match=r"attribute 'stride\(\)' do not match"):
        ember.testing.assert_close(x.t(), x.t().contiguous(), check_stride=True)
    with pytest.warns(FutureWarning, match="assert_allclose"):
        ember.testing.assert_allclose(ember.tensor([1.0, float("nan")]), [1.0, float("nan")])


# ---------------------------------------------------------------------------- memory formats

def test_memory_formats_as_torch():
    x_np = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    assert repr(torch.channels_last) == "torch.channels_last"
    assert repr(ember.channels_last) == "ember.channels_last"  # as ember's dtypes print
    assert pickle.loads(pickle.dumps(ember.channels_last)) is ember.channels_last
    cases = [
        lambda lib, x: x.contiguous(memory_format=lib.channels_last).stride(),
        lambda lib, x: x.contiguous(memory_format=lib.channels_last).is_contiguous(),
        lambda lib, x: x.contiguous(memory_format=lib.channels_last).is_contiguous(
            memory_format=lib.channels_last),
        lambda lib, x: x.is_contiguous(memory_format=lib.channels_last),
        lambda lib, x: x.is_contiguous(memory_format=lib.contiguous_format),
        lambda lib, x: x.is_contiguous(memory_format=lib.preserve_format),
        lambda lib, x: x.contiguous(memory_format=lib.preserve_format).stride(),
        lambda lib, x: x.contiguous(memory_format=lib.contiguous_format).stride(),
        lambda lib, x: x.to(memory_format=lib.channels_last).stride(),
        lambda lib, x: x.to(lib.float64, memory_format=lib.channels_last).stride(),
        lambda lib, x: lib.empty_like(x, memory_format=lib.channels_last).stride(),
        lambda lib, x: lib.zeros_like(x, memory_format=lib.contiguous_format).stride(),
        lambda lib, x: x.clone(memory_format=lib.channels_last).stride(),
        lambda lib, x: lib.ones(1, 3, 1, 1).contiguous(
            memory_format=lib.channels_last).is_contiguous(),
        lambda lib, x: lib.ones(2, 3).is_contiguous(memory_format=lib.channels_last),
        lambda lib, x: lib.ones(2, 3).contiguous(memory_format=lib.channels_last),
        lambda lib, x: lib.ones(2, 3, 4, 5, 6).contiguous(
            memory_format=lib.channels_last_3d).stride(),
        lambda lib, x: x.contiguous(memory_format="channels_last"),
        lambda lib, x: lib.nn.Conv2d(3, 4, 3).to(memory_format=lib.channels_last).weight.stride(),
    ]
    for case in cases:
        theirs = _outcome_value(case, torch, torch.from_numpy(x_np))
        ours = _outcome_value(case, ember, ember.from_numpy(x_np))
        assert ours == theirs


def _outcome_value(fn, *args):
    try:
        value = fn(*args)
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)
    return tuple(value) if isinstance(value, tuple) else value


def test_channels_last_values_and_gradients_as_torch():
    x_np = np.random.default_rng(1).standard_normal((2, 3, 5, 5)).astype(np.float32)
    results = {}
    for lib in (torch, ember):
        x = lib.from_numpy(x_np.copy()).requires_grad_()
        conv = lib.nn.Conv2d(3, 4, 3, bias=False)
        with lib.no_grad():
            conv.weight.copy_(lib.from_numpy(np.linspace(-1, 1, 108, dtype=np.float32)
                                             .reshape(4, 3, 3, 3)))
        conv = conv.to(memory_format=lib.channels_last)
        y = conv(x.contiguous(memory_format=lib.channels_last))
        (y * y).sum().backward()
        results[lib] = (y, x.grad, conv.weight.grad)
    for ours, theirs in zip(results[ember], results[torch]):
        assert_same(ours, theirs)


def test_setup_names_are_in_the_checkers_view():
    from ember import check

    report = check.check_source(
        "import torch\nimport torch.backends.cudnn as cudnn\ncudnn.benchmark = True\n"
        "torch.backends.mps.is_available()\ntorch.set_default_device('cpu')\n"
        "torch.use_deterministic_algorithms(True)\nwith torch.autocast('cuda'): pass\n"
        "torch.cuda.amp.GradScaler\ntorch.distributed.is_available()\ntorch.onnx.export\n"
        "torch.channels_last\ntorch.set_float32_matmul_precision('high')\n")
    assert not report.missing, report.missing
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker runs nothing
        check.check_source("import torch\ntorch.autocast('cuda')\n")


# ---------------------------------------------------------------------------- NumPy names

ALIAS_CASES = [
    lambda lib, x: lib.sum(x, axis=1), lambda lib, x: x.sum(axis=(0, 1), keepdims=True),
    lambda lib, x: x.sum(1, keepdims=True), lambda lib, x: lib.mean(x, axis=0, keepdims=True),
    lambda lib, x: x.prod(axis=1), lambda lib, x: x.nansum(axis=0),
    lambda lib, x: x.nanmean(axis=1, keepdims=True),
    lambda lib, x: x.std(axis=1, keepdims=True), lambda lib, x: x.var(axis=0, correction=0),
    lambda lib, x: lib.var_mean(x, axis=1)[0], lambda lib, x: lib.std_mean(x, axis=1)[1],
    lambda lib, x: x.max(axis=1, keepdims=True)[0], lambda lib, x: x.min(axis=0).indices,
    lambda lib, x: x.amax(axis=1), lambda lib, x: x.amin(axis=(0, 1), keepdims=True),
    lambda lib, x: x.argmax(axis=1), lambda lib, x: x.argmin(axis=0, keepdims=True),
    lambda lib, x: x.median(axis=1).values, lambda lib, x: x.nanmedian(axis=0).values,
    lambda lib, x: x.mode(axis=0).values, lambda lib, x: (x > 0).all(axis=1),
    lambda lib, x: (x > 0).any(axis=0, keepdims=True), lambda lib, x: x.logsumexp(axis=1),
    lambda lib, x: lib.count_nonzero(x, axis=0), lambda lib, x: x.cumsum(axis=1),
    lambda lib, x: x.cumprod(axis=0), lambda lib, x: x.cummax(axis=1).values,
    lambda lib, x: x.cummin(axis=0).indices, lambda lib, x: x.softmax(axis=1),
    lambda lib, x: lib.log_softmax(x, axis=0), lambda lib, x: x[:1].squeeze(axis=0),
    lambda lib, x: x.unsqueeze(axis=1), lambda lib, x: lib.cat([x, x], axis=1),
    lambda lib, x: lib.concat([x, x], axis=0), lambda lib, x: lib.stack([x, x], axis=1),
    lambda lib, x: x.unbind(axis=1)[1], lambda lib, x: x.chunk(2, axis=1)[0],
    lambda lib, x: x.sort(axis=0).values, lambda lib, x: x.argsort(axis=0),
    lambda lib, x: x.topk(2, axis=0).values, lambda lib, x: x.kthvalue(2, axis=1).values,
    lambda lib, x: lib.logcumsumexp(x, axis=1), lambda lib, x: lib.aminmax(x, axis=1).max,
    lambda lib, x: lib.aminmax(x, axis=0, keepdims=True).min,
    lambda lib, x: lib.quantile(x, 0.25, axis=1), lambda lib, x: x.nanquantile(0.5, axis=0),
    lambda lib, x: lib.linalg.vector_norm(x, axis=1, keepdims=True),
    lambda lib, x: lib.diff(x, axis=0), lambda lib, x: lib.tensor_split(x, 2, axis=1)[1],
    lambda lib, x: lib.take_along_dim(x, lib.tensor([[0], [1]]), axis=1),
    lambda lib, x: lib.repeat_interleave(x, 2, axis=0),
    lambda lib, x: lib.nn.functional.cosine_similarity(x, x + 1, axis=0),
    lambda lib, x: lib.gather(x, axis=1, index=lib.tensor([[0], [1]])),
    lambda lib, x: x.index_select(axis=1, index=lib.tensor([2, 0])),
    lambda lib, x: lib.narrow(x, axis=1, start=1, length=2),
    lambda lib, x: x.select(axis=1, index=0),
    lambda lib, x: x.clone().scatter_(axis=1, index=lib.tensor([[0], [1]]), value=2.0),
    lambda lib, x: lib.scatter_add(x, axis=1, index=lib.tensor([[0], [1]]), src=x),
    lambda lib, x: lib.scatter_reduce(x, axis=0, index=lib.tensor([[0, 0, 0]]), src=x,
                                      reduce="amax"),
    lambda lib, x: lib.index_add(x, axis=1, index=lib.tensor([0]), source=x[:, :1]),
    lambda lib, x: lib.index_copy(x, axis=1, index=lib.tensor([1]), source=x[:, :1]),
    lambda lib, x: lib.index_fill(x, axis=0, index=lib.tensor([1]), value=-1.0),
    lambda lib, x: x.size(axis=1), lambda lib, x: lib.gather(x, 1),
    lambda lib, x: x.size(1, axis=1),
    lambda lib, x: lib.logcumsumexp(x), lambda lib, x: lib.diff(x, dim=0, axis=0),
    # both spellings of one argument, or neither where one is required: torch's TypeError
    lambda lib, x: lib.sum(x, dim=1, axis=1), lambda lib, x: x.sum(1, keepdim=True, keepdims=True),
    lambda lib, x: x.cumsum(), lambda lib, x: lib.softmax(x),
    lambda lib, x: x.cumsum(0, axis=0),
]


@pytest.mark.parametrize("case", range(len(ALIAS_CASES)))
def test_numpy_names_as_torch(case):
    x_np = np.array([[3.0, -1.0, 2.0], [0.5, 4.0, -2.0]], dtype=np.float32)
    theirs = _outcome_value(ALIAS_CASES[case], torch, torch.from_numpy(x_np))
    ours = _outcome_value(ALIAS_CASES[case], ember, ember.from_numpy(x_np))
    if isinstance(theirs, torch.Tensor):
        assert_same(ours, theirs)
    else:
        assert ours == theirs
