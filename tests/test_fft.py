"""ember.fft and stft/istft against torch, for what the op table (op_tables/spectral.py)
cannot express: dtypes other than float32/float64 (complex leaves, integers, bools), out=,
the frequency helpers, shifts of integer tensors, float32 accuracy at large n, gradients of
complex leaves and second derivatives through a non-linear loss, warnings, and stft/istft
over their options.

Tolerances: a length-N FFT rounds once per stage, so its error is about
eps * log2(N) * ||x||_2 (||x||_2 = the input's Euclidean norm); tests state the bound they use.
"""

import itertools
import math
import warnings

import numpy as np
import pytest
import torch

import ember

from conftest import assert_same

TRANSFORMS_1D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
TRANSFORMS_ND = ["fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2",
                 "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"}
EPS = {"float32": np.finfo(np.float32).eps, "float64": np.finfo(np.float64).eps}


def _both(array, requires_grad=False):
    return (ember.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def _np(t):
    return t.detach().resolve_conj().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def _fft_bound(x, dtype, factor=4):
    """factor * eps * log2(N) * ||x||_2: the rounding error of a length-N transform."""
    x = np.asarray(x)
    n = max(x.size, 2)
    return factor * EPS[dtype] * math.log2(n) * float(np.sqrt(np.sum(np.abs(x) ** 2)))


# ---------------------------------------------------------------------------- dtypes

@pytest.mark.parametrize("name", TRANSFORMS_1D + TRANSFORMS_ND)
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128", "int64",
                                   "int32", "bool"])
def test_dtypes(name, dtype):
    """The result's dtype and values as torch: float32 -> complex64, float64 -> complex128,
    integers and bools in the default float dtype first; complex inputs where allowed."""
    rng = np.random.default_rng(0)
    if dtype == "bool":
        x = rng.uniform(size=(4, 6)) > 0.5
    elif dtype.startswith("int"):
        x = rng.integers(-5, 5, size=(4, 6)).astype(dtype)
    elif dtype.startswith("complex"):
        x = (rng.standard_normal((4, 6)) + 1j * rng.standard_normal((4, 6))).astype(dtype)
    else:
        x = rng.standard_normal((4, 6)).astype(dtype)
    e, t = _both(x)
    fe, ft = getattr(ember.fft, name), getattr(torch.fft, name)
    if name in REAL_ONLY and dtype.startswith("complex"):
        with pytest.raises(RuntimeError) as t_err:
            ft(t)
        with pytest.raises(RuntimeError) as e_err:
            fe(e)
        assert str(e_err.value) == str(t_err.value)
        return
    ye, yt = fe(e), ft(t)
    # integers and bools compute in the default float32
    precision = "float64" if dtype in ("float64", "complex128") else "float32"
    bound = _fft_bound(x.astype(complex), precision)
    assert_same(ye, yt.resolve_conj(), rtol=0, atol=bound)


def test_float16_and_bfloat16_are_refused_as_in_torch():
    for dtype in ("float16", "bfloat16"):
        e = ember.ones(4, dtype=getattr(ember, dtype))
        t = torch.ones(4, dtype=getattr(torch, dtype))
        for name in ("fft", "rfft", "irfft", "fftn"):
            with pytest.raises(RuntimeError) as t_err:
                getattr(torch.fft, name)(t)
            with pytest.raises(RuntimeError) as e_err:
                getattr(ember.fft, name)(e)
            assert str(e_err.value) == str(t_err.value)


def test_float32_accuracy_at_large_n():
    """float32 transforms of 4096 values: within 4 eps log2(N) ||x|| of torch's and of a
    float64 transform (both libraries round; the bound holds each one's error)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(4096).astype(np.float32)
    bound = _fft_bound(x, "float32")
    exact = np.fft.fft(x.astype(np.float64))
    e, t = _both(x)
    for name in ("fft", "rfft"):
        ye, yt = getattr(ember.fft, name)(e).numpy(), _np(getattr(torch.fft, name)(t))
        assert ye.dtype == np.complex64
        assert np.abs(ye - yt).max() <= 2 * bound
        assert np.abs(ye - exact[:ye.shape[0]]).max() <= bound
    back = ember.fft.irfft(ember.fft.rfft(e), n=4096).numpy()
    assert np.abs(back - x).max() <= 2 * bound / math.sqrt(4096) * 4


# ---------------------------------------------------------------------------- values: n, s, dim

@pytest.mark.parametrize("name", TRANSFORMS_1D)
@pytest.mark.parametrize("n,dim,norm", [(None, -1, None), (3, -1, "ortho"), (8, 0, "forward"),
                                        (11, 1, None), (1, -2, "backward")])
def test_n_dim_norm(name, n, dim, norm):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 6))
    if name not in REAL_ONLY:
        x = x + 1j * rng.standard_normal((5, 6))
    e, t = _both(x)
    ye = getattr(ember.fft, name)(e, n=n, dim=dim, norm=norm)
    yt = getattr(torch.fft, name)(t, n=n, dim=dim, norm=norm)
    assert_same(ye, yt.resolve_conj(), rtol=0, atol=_fft_bound(x, "float64"))


@pytest.mark.parametrize("name", TRANSFORMS_ND)
@pytest.mark.parametrize("s,dim", [(None, None), ((3, 8), None), ((4,), None),
                                   (None, (0, 2)), ((2, 5), (2, 0)), ((-1, 4), (1, 2)),
                                   (5, 1)])
def test_s_dim(name, s, dim):
    if name.endswith("2") and dim is None:
        dim = (-2, -1)
        if s is not None and len(s) == 1:
            return  # the 2-D functions take two sizes
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4, 6))
    if name not in REAL_ONLY:
        x = x + 1j * rng.standard_normal((3, 4, 6))
    e, t = _both(x)
    ye = getattr(ember.fft, name)(e, s=s, dim=dim)
    yt = getattr(torch.fft, name)(t, s=s, dim=dim)
    assert_same(ye, yt.resolve_conj(), rtol=0, atol=_fft_bound(x, "float64"))


def test_inverse_round_trips():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 9))
    e = ember.tensor(x)
    bound = _fft_bound(x, "float64")
    for norm in (None, "ortho", "forward"):
        back = ember.fft.ifft(ember.fft.fft(e, norm=norm), norm=norm).real
        np.testing.assert_allclose(back.numpy(), x, rtol=0, atol=bound)
        back = ember.fft.irfft(ember.fft.rfft(e, norm=norm), n=9, norm=norm)
        np.testing.assert_allclose(back.numpy(), x, rtol=0, atol=bound)
        back = ember.fft.hfft(ember.fft.ihfft(e, norm=norm), n=9, norm=norm)
        np.testing.assert_allclose(back.numpy(), x, rtol=0, atol=bound)
        back = ember.fft.irfftn(ember.fft.rfftn(e, norm=norm), s=x.shape, norm=norm)
        np.testing.assert_allclose(back.numpy(), x, rtol=0, atol=bound)


# ---------------------------------------------------------------------------- gradients

@pytest.mark.parametrize("name", ["fft", "ifft", "irfft", "hfft", "fft2", "ifftn", "irfftn",
                                  "hfftn"])
@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
def test_complex_leaf_gradients(name, norm):
    """Gradients of a complex leaf, through backward of (y.real * c1 + y.imag * c2).sum()
    (or (y * c1).sum() for a real y), against torch's (conjugate-Wirtinger convention)."""
    rng = np.random.default_rng(5)
    z = rng.standard_normal((4, 5)) + 1j * rng.standard_normal((4, 5))
    e, t = _both(z, requires_grad=True)
    ye = getattr(ember.fft, name)(e, norm=norm)
    yt = getattr(torch.fft, name)(t, norm=norm)
    c1, c2 = rng.standard_normal(tuple(yt.shape)), rng.standard_normal(tuple(yt.shape))
    if yt.is_complex():
        (ye.real * ember.tensor(c1) + ye.imag * ember.tensor(c2)).sum().backward()
        (yt.real * torch.tensor(c1) + yt.imag * torch.tensor(c2)).sum().backward()
    else:
        (ye * ember.tensor(c1)).sum().backward()
        (yt * torch.tensor(c1)).sum().backward()
    assert e.grad.dtype is ember.complex128
    assert_same(e.grad, t.grad.resolve_conj(), rtol=0, atol=_fft_bound(c1, "float64") * 10)


@pytest.mark.parametrize("case", ["rfft_abs", "irfft_square", "fft2_abs", "rfftn_n"])
def test_second_derivatives_through_nonlinear_losses(case):
    """Double backward (create_graph) where the first gradient depends on the input: the
    transforms' backward formulas are themselves differentiable."""
    rng = np.random.default_rng(6)

    def loss(lib, x):
        if case == "rfft_abs":
            return (lib.fft.rfft(x, n=9).abs() ** 3).sum()
        if case == "irfft_square":
            return (lib.fft.irfft(lib.fft.rfft(x) * (1 + 0.5j), n=7, norm="ortho") ** 3).sum()
        if case == "fft2_abs":
            return (lib.fft.fft2(x, norm="forward").abs() ** 3).sum()
        return (lib.fft.irfftn(lib.fft.rfftn(x, s=(3, 8)) ** 2, s=(3, 8)) ** 2).sum()

    x = rng.standard_normal((3, 6))
    e, t = _both(x, requires_grad=True)
    (ge,) = ember.autograd.grad(loss(ember, e), e, create_graph=True)
    (gt,) = torch.autograd.grad(loss(torch, t), t, create_graph=True)
    assert_same(ge, gt, rtol=1e-10, atol=1e-10)
    v = rng.standard_normal(x.shape)
    (gge,) = ember.autograd.grad((ge * ember.tensor(v)).sum(), e)
    (ggt,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), t)
    assert_same(gge, ggt, rtol=1e-9, atol=1e-9)


def test_grad_fn_names():
    x = ember.ones(4, requires_grad=True)
    z = ember.ones(4, dtype=ember.complex64, requires_grad=True)
    assert ember.fft.rfft(x).grad_fn.name() == "FftR2CBackward0"
    assert ember.fft.fft(z).grad_fn.name() == "FftC2CBackward0"
    assert ember.fft.irfft(z).grad_fn.name() == "FftC2RBackward0"


# ---------------------------------------------------------------------------- out=

def test_out():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(6).astype(np.float32)
    e, t = _both(x)
    # a complex64 result written into a complex128 out (a safe cast), resized
    oe, ot = ember.empty(0, dtype=ember.complex128), torch.empty(0, dtype=torch.complex128)
    assert ember.fft.fft(e, out=oe) is oe
    torch.fft.fft(t, out=ot)
    assert_same(oe, ot, rtol=1e-6, atol=1e-6)
    oe, ot = ember.empty(12), torch.empty(12)
    ember.fft.irfft(e, n=12, out=oe)
    torch.fft.irfft(t, n=12, out=ot)
    assert_same(oe, ot, rtol=1e-6, atol=1e-6)
    oe = ember.empty(4)
    ember.fft.fftfreq(4, out=oe)
    assert_same(oe, torch.fft.fftfreq(4))


# ---------------------------------------------------------------------------- freq, shift

@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
def test_freq_values(name):
    """Bit for bit as torch: the bin numbers in the result dtype times 1 / (n d)."""
    for n, d, dtype in itertools.product([1, 2, 5, 6, 7, 100, 1001], [1.0, 0.3, 2, 1e-3],
                                         ["float32", "float64"]):
        ye = getattr(ember.fft, name)(n, d, dtype=getattr(ember, dtype))
        yt = getattr(torch.fft, name)(n, d, dtype=getattr(torch, dtype))
        assert_same(ye, yt, rtol=0, atol=0)
    for n, d in [(0, 1.0), (4, 0.0), (3, -0.5), (-1, 1.0), (-3, 1.0)]:
        if name == "fftfreq" and n < 0:
            continue
        assert_same(getattr(ember.fft, name)(n, d), getattr(torch.fft, name)(n, d),
                    rtol=0, atol=0)
    ye = getattr(ember.fft, name)(5, requires_grad=True)
    assert ye.requires_grad and ye.dtype is ember.float32
    ember.set_default_dtype(ember.float64)
    assert getattr(ember.fft, name)(5).dtype is ember.float64


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("shape,dim", [((5,), None), ((4, 5), None), ((4, 5), 1),
                                       ((4, 5), (0,)), ((2, 3, 5), (2, 0)), ((2, 3, 5), -1),
                                       ((3, 4), (0, 0))])
def test_shifts(name, shape, dim):
    x = np.arange(int(np.prod(shape))).reshape(shape)
    e, t = _both(x)
    assert_same(getattr(ember.fft, name)(e, dim=dim), getattr(torch.fft, name)(t, dim=dim))


def test_shifts_undo_each_other():
    x = ember.arange(35).reshape(5, 7)
    for dim in (None, 0, (1,), (0, 1)):
        back = ember.fft.ifftshift(ember.fft.fftshift(x, dim=dim), dim=dim)
        assert np.array_equal(back.numpy(), x.numpy())


# ---------------------------------------------------------------------------- stft / istft

def _hann(n):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)  # torch.hann_window (periodic)


STFT_OPTIONS = [
    dict(),
    dict(hop_length=5),
    dict(win_length=10),
    dict(win_length=10, hop_length=3, normalized=True),
    dict(center=False),
    dict(center=False, win_length=9, align_to_window=True),
    dict(center=False, win_length=9, align_to_window=False),
    dict(pad_mode="constant"),
    dict(pad_mode="replicate", onesided=False),
    dict(pad_mode="circular", normalized=True),
    dict(onesided=False, normalized=True),
]


@pytest.mark.parametrize("options", STFT_OPTIONS, ids=str)
@pytest.mark.parametrize("window", [True, False])
@pytest.mark.parametrize("n_fft", [16, 15])
@pytest.mark.parametrize("shape", [(100,), (2, 90)])
def test_stft_istft_against_torch(options, window, n_fft, shape):
    """stft values and gradients (signal and window), then istft of the result, as torch."""
    if n_fft % 2 and options.get("align_to_window"):
        pytest.skip("torch 2.13 reads out of bounds for odd n_fft with align_to_window")
    rng = np.random.default_rng(8)
    x = rng.standard_normal(shape)
    win = options.get("win_length") or n_fft
    w = _hann(win) + 0.1 if window else None
    xe, xt = _both(x, requires_grad=True)
    we, wt = _both(w, requires_grad=True) if window else (None, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the missing window's warning
        ye = ember.stft(xe, n_fft, window=we, return_complex=True, **options)
        yt = torch.stft(xt, n_fft, window=wt, return_complex=True, **options)
    bound = _fft_bound(x, "float64", factor=16)
    assert_same(ye, yt, rtol=0, atol=bound)
    c1, c2 = rng.standard_normal(tuple(yt.shape)), rng.standard_normal(tuple(yt.shape))
    (ye.real * ember.tensor(c1) + ye.imag * ember.tensor(c2)).sum().backward()
    (yt.real * torch.tensor(c1) + yt.imag * torch.tensor(c2)).sum().backward()
    assert_same(xe.grad, xt.grad, rtol=0, atol=_fft_bound(c1, "float64", 16))
    if window:
        assert_same(we.grad, wt.grad, rtol=1e-12, atol=_fft_bound(c1, "float64", 64))

    inverse = {k: v for k, v in options.items() if k not in ("pad_mode", "align_to_window")}
    if options.get("align_to_window"):
        return  # torch's istft has no align_to_window
    inputs = (ye.detach(), yt.detach()), (we.detach() if window else None,
                                           wt.detach() if window else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            it = torch.istft(inputs[0][1], n_fft, window=inputs[1][1], length=shape[-1],
                             **inverse)
        except RuntimeError as t_err:
            # a window that is zero at a frame's edge, frames not centred: no overlap there
            with pytest.raises(RuntimeError) as e_err:
                ember.istft(inputs[0][0], n_fft, window=inputs[1][0], length=shape[-1],
                            **inverse)
            first = str(e_err.value).split("\n")[0].replace("ember.", "torch.")
            assert first == str(t_err).split("\n")[0]
            return
        ie = ember.istft(inputs[0][0], n_fft, window=inputs[1][0], length=shape[-1], **inverse)
    assert_same(ie, it, rtol=1e-9, atol=1e-9)
    if options.get("center", True):
        # centred frames with a nonzero window cover every sample: the signal comes back
        np.testing.assert_allclose(ie.numpy(), x, rtol=0, atol=1e-9)


def test_stft_round_trip_float32():
    """The documented use: hann window, n_fft 256, hop 64; float32 complex64 spectrogram and
    the signal back within float32 rounding of the frames' transforms."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 1000)).astype(np.float32)
    w = _hann(256).astype(np.float32)
    e = ember.tensor(x)
    spec = ember.stft(e, 256, hop_length=64, window=ember.tensor(w), return_complex=True)
    assert spec.dtype is ember.complex64 and tuple(spec.shape) == (2, 129, 16)
    ref = torch.stft(torch.tensor(x), 256, hop_length=64, window=torch.tensor(w),
                     return_complex=True)
    assert_same(spec, ref, rtol=0, atol=_fft_bound(x[0, :256], "float32", 16))
    back = ember.istft(spec, 256, hop_length=64, window=ember.tensor(w), length=1000)
    assert back.dtype is ember.float32
    np.testing.assert_allclose(back.numpy(), x, rtol=0, atol=_fft_bound(x[0, :256], "float32"))


def test_stft_complex_input_and_window():
    """A complex signal or window: two-sided, complex output by default; istft with
    return_complex=True gives the complex signal back."""
    rng = np.random.default_rng(10)
    z = rng.standard_normal((2, 60)) + 1j * rng.standard_normal((2, 60))
    w = _hann(12) + 0.2
    ze, zt = _both(z)
    we, wt = _both(w)
    ye, yt = ember.stft(ze, 12, window=we), torch.stft(zt, 12, window=wt)
    assert_same(ye, yt, rtol=0, atol=1e-12)
    ye = ember.stft(ember.tensor(z.real), 12, window=we.to(ember.complex128))
    yt = torch.stft(torch.tensor(z.real), 12, window=wt.to(torch.complex128))
    assert_same(ye, yt, rtol=0, atol=1e-12)
    back = ember.istft(ember.stft(ze, 12, window=we), 12, window=we, return_complex=True,
                       length=60)
    np.testing.assert_allclose(back.numpy(), z, rtol=0, atol=1e-12)


def test_istft_two_sided_real_output_reads_the_first_half():
    """A two-sided spectrogram with return_complex=False: torch reads a real signal from the
    non-negative frequencies only (the rest need not be their mirror image)."""
    rng = np.random.default_rng(11)
    spec = rng.standard_normal((2, 16, 9)) + 1j * rng.standard_normal((2, 16, 9))
    w = _hann(16) + 0.1
    for rc in (False, True):
        ye = ember.istft(ember.tensor(spec), 16, window=ember.tensor(w), return_complex=rc)
        yt = torch.istft(torch.tensor(spec), 16, window=torch.tensor(w), return_complex=rc)
        assert_same(ye, yt, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:stft with return_complex=False")
def test_stft_return_complex_false_and_warnings():
    x = np.random.default_rng(12).standard_normal(50)
    e, t = _both(x)
    with pytest.warns(UserWarning, match="return_complex=False is deprecated"):
        ye = ember.stft(e, 8, window=ember.ones(8, dtype=ember.float64), return_complex=False)
    yt = torch.stft(t, 8, window=torch.ones(8, dtype=torch.float64), return_complex=False)
    assert_same(ye, yt, rtol=0, atol=1e-12)
    with pytest.warns(UserWarning, match="A window was not provided"):
        ember.stft(e, 8, return_complex=True)
    spec = ember.stft(e, 8, window=ember.ones(8, dtype=ember.float64), return_complex=True)
    with pytest.warns(UserWarning, match="A window was not provided"):
        ember.istft(spec, 8)
    with pytest.warns(UserWarning, match="Result is being padded with zeros"):
        ye = ember.istft(spec, 8, window=ember.ones(8, dtype=ember.float64), length=70)
    yt = torch.istft(torch.tensor(spec.numpy()), 8, window=torch.ones(8, dtype=torch.float64),
                     length=70)
    assert_same(ye, yt, rtol=1e-12, atol=1e-12)


def test_tensor_methods():
    x = np.random.default_rng(13).standard_normal((2, 40))
    e, t = _both(x)
    w = np.ones(8)
    ye = e.stft(8, 2, window=ember.tensor(w), return_complex=True)
    yt = t.stft(8, 2, window=torch.tensor(w), return_complex=True)
    assert_same(ye, yt, rtol=0, atol=1e-12)
    assert_same(ye.istft(8, 2, window=ember.tensor(w)), yt.istft(8, 2, window=torch.tensor(w)),
                rtol=1e-12, atol=1e-12)
