"""Shared test helpers: torch is the oracle; ember must match it."""

import os

import numpy as np
import pytest
import torch
from hypothesis import settings

import ember

# CI runs the same hypothesis examples every time (a red CI must be reproducible); locally
# hypothesis keeps exploring new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# torch's default tolerances per dtype (rtol, atol), from torch.testing
TOLERANCES = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}


# EMBER_TEST_DEVICE=cuda runs the op table on a real GPU (CuPy), still against torch on the CPU
DEVICE = os.environ.get("EMBER_TEST_DEVICE", "cpu")

# the folder that holds the ember package under test (not whatever ember is installed)
TREE = os.path.dirname(os.path.dirname(os.path.abspath(ember.__file__)))


def subprocess_env():
    """The environment for a child Python that must import the ember under test."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [TREE, env.get("PYTHONPATH")]))
    return env


HAVE_BFLOAT16 = ember.bfloat16.np is not None  # bfloat16 needs the optional ml_dtypes package

# ember's random streams equal torch's as torch computes them with its AVX2/AVX-512 kernels
# (normal draws in blocks of 16, 16-bit floats, ...); with another kernel (ATEN_CPU_CAPABILITY
# =default, or a CPU without AVX2) torch draws other numbers, so those comparisons are skipped.
TORCH_CPU_KERNELS = torch.backends.cpu.get_cpu_capability()
same_random_streams_as_torch = pytest.mark.skipif(
    TORCH_CPU_KERNELS not in ("AVX2", "AVX512"),
    reason=f"torch runs its {TORCH_CPU_KERNELS} kernels here; ember's random streams equal "
           "torch's AVX2/AVX-512 ones")


def pytest_collection_modifyitems(config, items):
    """Without the optional ml_dtypes package ember has no bfloat16: the tests that use it
    (in their parameters or their body) are skipped with that reason instead of failing."""
    if HAVE_BFLOAT16:
        return
    import inspect

    skip = pytest.mark.skip(reason="bfloat16 needs the optional ml_dtypes package")
    for item in items:
        function = getattr(item, "function", None)
        try:
            source = inspect.getsource(function) if function is not None else ""
        except (OSError, TypeError):
            source = ""
        if "bfloat16" in item.nodeid or "bfloat16" in source:
            item.add_marker(skip)


def to_numpy(t):
    """Values of an ember or torch tensor as a NumPy array."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy(force=True)  # force: torch gives some zero gradients as ZeroTensors
    if isinstance(t, ember.Tensor):
        a = t.detach()._host()
        if t.dtype is ember.bfloat16:
            a = a.astype(np.float32)
        return np.asarray(a)
    return np.asarray(t)


def dtype_name(t):
    return str(t.dtype).split(".")[-1]


def assert_same(e, t, rtol=None, atol=None, check_dtype=True):
    """ember tensor ``e`` equals torch tensor ``t``: shape, dtype and values (torch tolerances)."""
    assert isinstance(e, ember.Tensor), f"expected an ember.Tensor, got {type(e)}"
    assert tuple(e.shape) == tuple(t.shape), f"shape {tuple(e.shape)} != torch {tuple(t.shape)}"
    if check_dtype:
        assert dtype_name(e) == dtype_name(t), f"dtype {e.dtype} != torch {t.dtype}"
    default_rtol, default_atol = TOLERANCES.get(dtype_name(t), (0, 0))
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    np.testing.assert_allclose(to_numpy(e), to_numpy(t), rtol=rtol, atol=atol, equal_nan=True)


def pair(array, requires_grad=False):
    """The same values as an ember tensor and a torch tensor (fresh leaves)."""
    array = np.array(array)
    e = ember.tensor(array, requires_grad=requires_grad)
    t = torch.tensor(array, requires_grad=requires_grad)
    return e, t


@pytest.fixture
def fake_cuda():
    """A 'cuda' device backed by NumPy, to test device logic without a GPU."""
    from ember import _device

    _device.enable_fake_cuda()
    yield
    _device.disable_fake_cuda()


@pytest.fixture(autouse=True)
def _restore_global_state():
    yield
    ember.set_default_dtype(ember.float32)
    ember.autograd.grad_mode.state.enabled = True


@pytest.fixture(autouse=True)
def each_node_runs_once_per_backward(request, monkeypatch):
    """In tests/test_autograd*.py every backward is watched: every edge must go from a later
    node to an earlier one (the engine's order rests on it), and a hook on every node it can
    reach counts the node's runs: a node that runs twice in one backward (partial gradients,
    as a wrong execution order gives) fails the test."""
    if not request.module.__name__.startswith("test_autograd"):
        yield
        return
    from ember.autograd import function as autograd_function

    run_backward = ember.autograd.run_backward

    def watched(roots, *args, **kwargs):
        runs, handles = {}, []
        stack, seen = [r.grad_fn for r in roots if r.grad_fn is not None], set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            runs[node] = 0
            handles.append(node.register_prehook(
                lambda grads, node=node: runs.__setitem__(node, runs[node] + 1)))
            below = [t for t, nr, _s, _d in node._edges if nr >= 0 and t is not None]
            late = [t.name() for t in below if t._seq >= node._seq]
            assert not late, f"{node.name()} has edges to later nodes: {late}"
            stack += below
        flag = autograd_function.any_hooks.registered
        try:
            return run_backward(roots, *args, **kwargs)
        finally:
            for handle in handles:
                handle.remove()
            autograd_function.any_hooks.registered = flag or any(
                n._pre_hooks and any(n._pre_hooks.values()) for n in seen)
            twice = [n.name() for n, count in runs.items() if count > 1]
            assert not twice, f"nodes that ran more than once in one backward: {twice}"

    monkeypatch.setattr(ember.autograd, "run_backward", watched)
    yield


# torch's bfloat16 and float16 convolutions on the CPU: where oneDNN has kernels for the type
# (bfloat16: CPUs with AVX-512; float16: AVX-512 FP16 or AMX) they sum in float32 and round
# once, as ember does; elsewhere (an AVX2-only CPU, for one) torch's fallback rounds partial
# sums to the 16-bit type, and its weight gradients and transposed convolutions land several
# units of the last place from the exact values (up to 6 for bfloat16 on an AMD EPYC: measured).
# Tests compare ember's low-precision convolutions with torch's values only where torch's
# kernels round once, and with exact values (low_precision_exact) elsewhere.
TORCH_LOW_CONV_ROUNDS_ONCE = {"bfloat16": torch.ops.mkldnn._is_mkldnn_bf16_supported(),
                              "float16": torch.ops.mkldnn._is_mkldnn_fp16_supported()}


def low_precision_exact(fn, arrays, low):
    """The exact values that a kernel rounding once rounds: ``fn(torch, tensors)`` run in
    float64 on the values of ``arrays`` (NumPy) rounded to ``low`` ("bfloat16"/"float16"),
    its tensor results as float64 NumPy arrays (unrounded: a result rounded once lies within
    half a unit of the last place of them, plus float32's summation error)."""
    tensors = {k: torch.tensor(v).to(getattr(torch, low)).double() for k, v in arrays.items()}
    results = fn(torch, tensors)
    if isinstance(results, torch.Tensor):
        results = [results]
    return [r.detach().numpy() for r in results]


def conv_gradient(shape, dtype):
    """A fixed output gradient for convolution tests: cos(0), cos(1), ... in ``shape``."""
    return np.cos(np.arange(int(np.prod(shape)))).reshape(shape).astype(dtype)


def conv2d_exact_and_bounds(x, w, b, kwargs, eps):
    """conv2d's output and its input, weight and bias gradients (under conv_gradient) in
    torch's float64 (the sums' exact values but for float64's rounding), and for each the
    bound on a float sum's error that tests allow: 2 sqrt(n) eps * sum |terms| + eps |value|,
    n the most terms of any one sum (Higham and Mary's probabilistic bound, lambda = 2; the
    last term: the result's own rounding).  sum |terms| is the same op on absolute values."""
    def ops(x, w, b, absolute):
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        y = torch.nn.functional.conv2d(xt, wt, bt, **kwargs)
        g = conv_gradient(tuple(y.shape), np.float64)
        y.backward(torch.tensor(np.abs(g) if absolute else g))
        return [t.detach().numpy() for t in (y, xt.grad, wt.grad, bt.grad)]

    exact = ops(x, w, b, False)
    sizes = ops(np.abs(x), np.abs(w), np.abs(b), True)
    n, c, kh, kw = w.shape
    positions = x.shape[0] * int(np.prod(exact[0].shape[2:]))
    terms = [c * kh * kw + 1, n * kh * kw, positions, positions]
    return exact, [2 * np.sqrt(t) * eps * m + eps * np.abs(e)
                   for t, m, e in zip(terms, sizes, exact)]
