"""Op table entries for ember.fft (ember/ops/spectral.py) and stft/istft (ember/ops/stft.py).

The table compares real tensors, so a complex result is compared as its real and imaginary
parts side by side (``_ri``: stack([y.real, y.imag], -1)), and a complex input is made inside
the lambda from two real inputs (``a + b * 1j``), which also checks the gradients that flow
into a complex input (torch's conjugate-Wirtinger convention) through .real/.imag.

Tolerances: the table's defaults.  An FFT of N values rounds at each of its log2(N) stages,
so its error is about eps * log2(N) * ||x||_2; the inputs here hold at most 60 values drawn
from U(-2, 2) (||x||_2 <= 2 * sqrt(60) ~ 16, log2(60) < 6), so float32 errors stay below
1.2e-7 * 6 * 16 ~ 1.1e-5 in the worst case and ~ 3e-6 typically (atol 1e-5, rtol 1.3e-6 on
values of order 1-10), float64 below 1e-13 (atol 1e-7).
"""

import numpy as np

from opinfo import OpInfo


def _ri(lib, y):
    """A complex result as a real tensor: its real and imaginary parts in a new last dim."""
    return lib.stack([y.real, y.imag], -1)


def _c(a, b):
    """The complex tensor a + i b (from two real inputs, so both get gradients)."""
    return a + b * 1j


_NORMS = [None, "ortho", "forward"]

OPS = []

# ---------------------------------------------------------------------------- one dim

for norm in _NORMS:
    tag = norm or "backward"
    OPS += [
        OpInfo(f"fft_real_{tag}", lambda lib, x, norm=norm: _ri(lib, lib.fft.fft(x, norm=norm)),
               samples=[(6,), (3, 5)]),
        OpInfo(f"fft_complex_{tag}",
               lambda lib, a, b, norm=norm: _ri(lib, lib.fft.fft(_c(a, b), norm=norm)),
               samples=[((7,), (7,)), ((2, 4), (2, 4))]),
        OpInfo(f"ifft_complex_{tag}",
               lambda lib, a, b, norm=norm: _ri(lib, lib.fft.ifft(_c(a, b), norm=norm)),
               samples=[((7,), (7,)), ((2, 4), (2, 4))]),
        OpInfo(f"rfft_{tag}", lambda lib, x, norm=norm: _ri(lib, lib.fft.rfft(x, norm=norm)),
               samples=[(7,), (3, 8)]),
        OpInfo(f"irfft_{tag}",
               lambda lib, a, b, norm=norm: lib.fft.irfft(_c(a, b), norm=norm),
               samples=[((5,), (5,)), ((3, 4), (3, 4))]),
        OpInfo(f"hfft_{tag}",
               lambda lib, a, b, norm=norm: lib.fft.hfft(_c(a, b), norm=norm),
               samples=[((5,), (5,)), ((3, 4), (3, 4))]),
        OpInfo(f"ihfft_{tag}", lambda lib, x, norm=norm: _ri(lib, lib.fft.ihfft(x, norm=norm)),
               samples=[(7,), (3, 8)]),
    ]

# n pads (zeros at the end) or trims; dim picks the transformed dim
OPS += [
    OpInfo("fft_n_dim", lambda lib, x: _ri(lib, lib.fft.fft(x, n=8, dim=0)),
           samples=[(5, 3), (10, 2)]),
    OpInfo("ifft_n", lambda lib, a, b: _ri(lib, lib.fft.ifft(_c(a, b), n=3)),
           samples=[((2, 6), (2, 6)), ((2, 2), (2, 2))]),
    OpInfo("rfft_n_dim", lambda lib, x: _ri(lib, lib.fft.rfft(x, n=7, dim=-2)),
           samples=[(5, 3), (9, 2)]),
    # irfft's output length: odd (no Nyquist bin), even, longer than the bins give (padding)
    OpInfo("irfft_n", lambda lib, a, b: lib.fft.irfft(_c(a, b), n=7),
           samples=[((2, 4), (2, 4)), ((2, 6), (2, 6))]),
    OpInfo("irfft_n_even", lambda lib, a, b: lib.fft.irfft(_c(a, b), n=10, dim=0, norm="ortho"),
           samples=[((4, 2), (4, 2)), ((8, 2), (8, 2))]),
    OpInfo("irfft_real_input", lambda lib, x: lib.fft.irfft(x, n=6), samples=[(4,), (2, 5)]),
    OpInfo("hfft_n", lambda lib, a, b: lib.fft.hfft(_c(a, b), n=9, norm="forward"),
           samples=[((2, 4), (2, 4)), ((3,), (3,))]),
    OpInfo("ihfft_n", lambda lib, x: _ri(lib, lib.fft.ihfft(x, n=6, dim=0)),
           samples=[(4, 2), (9, 2)]),
]

# ---------------------------------------------------------------------------- two and n dims

for norm in _NORMS:
    tag = norm or "backward"
    OPS += [
        OpInfo(f"fft2_{tag}", lambda lib, x, norm=norm: _ri(lib, lib.fft.fft2(x, norm=norm)),
               samples=[(3, 4), (2, 3, 5)]),
        OpInfo(f"ifft2_complex_{tag}",
               lambda lib, a, b, norm=norm: _ri(lib, lib.fft.ifft2(_c(a, b), norm=norm)),
               samples=[((3, 4), (3, 4))]),
        OpInfo(f"rfft2_{tag}", lambda lib, x, norm=norm: _ri(lib, lib.fft.rfft2(x, norm=norm)),
               samples=[(3, 4), (2, 3, 5)]),
        OpInfo(f"irfft2_{tag}",
               lambda lib, a, b, norm=norm: lib.fft.irfft2(_c(a, b), norm=norm),
               samples=[((3, 4), (3, 4)), ((2, 3, 3), (2, 3, 3))]),
        OpInfo(f"hfft2_{tag}",
               lambda lib, a, b, norm=norm: lib.fft.hfft2(_c(a, b), norm=norm),
               samples=[((3, 4), (3, 4))]),
        OpInfo(f"ihfft2_{tag}", lambda lib, x, norm=norm: _ri(lib, lib.fft.ihfft2(x, norm=norm)),
               samples=[(3, 4), (2, 3, 5)]),
        OpInfo(f"fftn_complex_{tag}",
               lambda lib, a, b, norm=norm: _ri(lib, lib.fft.fftn(_c(a, b), norm=norm)),
               samples=[((2, 3, 4), (2, 3, 4))]),
        OpInfo(f"rfftn_{tag}", lambda lib, x, norm=norm: _ri(lib, lib.fft.rfftn(x, norm=norm)),
               samples=[(2, 3, 4), (5,)]),
        OpInfo(f"irfftn_{tag}",
               lambda lib, a, b, norm=norm: lib.fft.irfftn(_c(a, b), norm=norm),
               samples=[((2, 3, 4), (2, 3, 4))]),
    ]

# s pads or trims each dim; dim picks (and orders) the dims; the last of dim is the halved one
OPS += [
    OpInfo("fft2_s", lambda lib, x: _ri(lib, lib.fft.fft2(x, s=(4, 2))), samples=[(3, 4)]),
    OpInfo("fftn_s_dim", lambda lib, x: _ri(lib, lib.fft.fftn(x, s=(5, 3), dim=(2, 0))),
           samples=[(2, 3, 4)]),
    OpInfo("ifftn_s", lambda lib, a, b: _ri(lib, lib.fft.ifftn(_c(a, b), s=(3, 6))),
           samples=[((2, 4, 4), (2, 4, 4))]),
    OpInfo("rfftn_dim", lambda lib, x: _ri(lib, lib.fft.rfftn(x, dim=(2, 0))),
           samples=[(3, 2, 5)]),
    OpInfo("rfft2_s", lambda lib, x: _ri(lib, lib.fft.rfft2(x, s=(2, 6))), samples=[(3, 4)]),
    OpInfo("irfftn_s_dim", lambda lib, a, b: lib.fft.irfftn(_c(a, b), s=(4, 7), dim=(0, 2)),
           samples=[((3, 2, 4), (3, 2, 4))]),
    OpInfo("irfft2_s_even", lambda lib, a, b: lib.fft.irfft2(_c(a, b), s=(2, 8)),
           samples=[((3, 4), (3, 4))]),
    OpInfo("hfftn_s", lambda lib, a, b: lib.fft.hfftn(_c(a, b), s=(3, 5)),
           samples=[((2, 3, 4), (2, 3, 4))]),
    OpInfo("ihfftn_s_dim", lambda lib, x: _ri(lib, lib.fft.ihfftn(x, s=(3, 4), dim=(0, 1))),
           samples=[(2, 5, 3)]),
    OpInfo("fftn_no_dims", lambda lib, x: _ri(lib, lib.fft.fftn(x, dim=())), samples=[(2, 3)]),
]

# ---------------------------------------------------------------------------- shifts

OPS += [
    OpInfo("fftshift", lambda lib, x: lib.fft.fftshift(x), samples=[(5,), (4, 5)]),
    OpInfo("fftshift_dim", lambda lib, x: lib.fft.fftshift(x, dim=(-1,)), samples=[(3, 5)]),
    OpInfo("ifftshift", lambda lib, x: lib.fft.ifftshift(x), samples=[(5,), (4, 5)]),
    OpInfo("ifftshift_dim", lambda lib, x: lib.fft.ifftshift(x, dim=0), samples=[(3, 5)]),
]

# ---------------------------------------------------------------------------- stft / istft


def _positive_window(size):
    """Sample: a signal and a window with values in [0.5, 1.5] (istft divides by the
    overlap-added squared window, which must stay away from zero)."""
    def make(rng, dtype, size=size):
        signal_shape, n = size
        return [rng.uniform(-2, 2, size=signal_shape).astype(dtype),
                rng.uniform(0.5, 1.5, size=(n,)).astype(dtype)]
    return make


def _spectrogram(shape, n):
    """Sample: real and imaginary parts of a spectrogram, and a window of n values."""
    def make(rng, dtype):
        return [rng.uniform(-2, 2, size=shape).astype(dtype),
                rng.uniform(-2, 2, size=shape).astype(dtype),
                rng.uniform(0.5, 1.5, size=(n,)).astype(dtype)]
    return make


OPS += [
    OpInfo("stft", lambda lib, x, w: _ri(lib, lib.stft(x, 8, hop_length=3, window=w,
                                                        return_complex=True)),
           samples=[_positive_window(((30,), 8)), _positive_window(((2, 25), 8))]),
    OpInfo("stft_options",
           lambda lib, x, w: _ri(lib, lib.stft(x, 8, hop_length=2, win_length=6, window=w,
                                               normalized=True, onesided=False,
                                               pad_mode="constant", return_complex=True)),
           samples=[_positive_window(((2, 20), 6))]),
    OpInfo("stft_not_centered",
           lambda lib, x, w: _ri(lib, lib.stft(x, 7, hop_length=2, win_length=5, window=w,
                                               center=False, align_to_window=True,
                                               return_complex=True)),
           samples=[_positive_window(((2, 20), 5))]),
    OpInfo("stft_method", lambda lib, x, w: _ri(lib, x.stft(6, window=w, return_complex=True)),
           samples=[_positive_window(((2, 20), 6))]),
    OpInfo("istft",
           lambda lib, a, b, w: lib.istft(_c(a, b), 8, hop_length=2, window=w, length=20),
           samples=[_spectrogram((5, 11), 8), _spectrogram((2, 5, 9), 8)]),
    OpInfo("istft_options",
           lambda lib, a, b, w: lib.istft(_c(a, b), 8, hop_length=2, window=w,
                                          normalized=True, center=False),
           samples=[_spectrogram((2, 5, 7), 8)]),
    # a window shorter than n_fft (zeros around it): centred frames still cover every sample
    OpInfo("istft_win_length",
           lambda lib, a, b, w: lib.istft(_c(a, b), 8, hop_length=2, win_length=6, window=w),
           samples=[_spectrogram((2, 5, 7), 6)]),
    OpInfo("istft_two_sided",
           lambda lib, a, b, w: _ri(lib, _c(a, b).istft(6, hop_length=2, window=w,
                                                         return_complex=True)),
           samples=[_spectrogram((6, 8), 6)]),
]


# ---------------------------------------------------------------------------- errors

def _x(lib, *shape, dtype=None):
    return lib.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape),
                      dtype=dtype or lib.float32)


OPS.append(OpInfo(
    "fft_errors", lambda lib, x: _ri(lib, lib.fft.fft(x)), samples=[(4,)],
    errors=[
        lambda lib: lib.fft.fft(_x(lib, 4), norm="foo"),
        lambda lib: lib.fft.fft(_x(lib, 4), n=0),
        lambda lib: lib.fft.fft(_x(lib, 4), dim=1),
        lambda lib: lib.fft.fft(_x(lib, 4), n=2.0),
        lambda lib: lib.fft.fft(_x(lib, 4), norm=1),
        lambda lib: lib.fft.fft(lib.tensor(1.0)),
        lambda lib: lib.fft.fft(_x(lib, 4, dtype=lib.float16)),
        lambda lib: lib.fft.rfft(_x(lib, 4, dtype=lib.complex64)),
        lambda lib: lib.fft.ihfft(_x(lib, 4, dtype=lib.complex64)),
        lambda lib: lib.fft.rfft2(_x(lib, 2, 4, dtype=lib.complex64)),
        lambda lib: lib.fft.ihfft2(_x(lib, 2, 4, dtype=lib.complex64)),
        lambda lib: lib.fft.irfft(_x(lib, 1, dtype=lib.complex64)),
        lambda lib: lib.fft.fftn(_x(lib, 2, 3), s=(4, 4, 4)),
        lambda lib: lib.fft.fftn(_x(lib, 2, 3), s=(4,), dim=(0, 1)),
        lambda lib: lib.fft.fftn(_x(lib, 2, 3), dim=(1, -1)),
        lambda lib: lib.fft.fftn(_x(lib, 2, 3), s=(-2, 3)),
        lambda lib: lib.fft.fftn(_x(lib, 2, 3), dim=2.5),
        lambda lib: lib.fft.rfftn(_x(lib, 2, 3), dim=()),
        lambda lib: lib.fft.irfftn(_x(lib, 2, 3), dim=()),
        lambda lib: lib.fft.fft2(_x(lib, 3)),
        lambda lib: lib.fft.fft(_x(lib, 4), out=lib.empty(4)),
        lambda lib: lib.fft.irfft(_x(lib, 4), out=lib.empty(6, dtype=lib.complex64)),
        lambda lib: lib.fft.fft(_x(lib, 4).requires_grad_(),
                                out=lib.empty(4, dtype=lib.complex64)),
        lambda lib: lib.fft.fftfreq(5, dtype=lib.int64),
        lambda lib: lib.fft.fftfreq(-1),
        lambda lib: lib.fft.rfftfreq(-4),
        lambda lib: lib.fft.fftfreq(2.0),
        lambda lib: lib.fft.fftshift(_x(lib, 2, 3), dim=2),
        lambda lib: lib.fft.fftshift(lib.tensor(1.0)),
    ]))

OPS.append(OpInfo(
    "stft_errors", lambda lib, x, w: _ri(lib, lib.stft(x, 4, window=w, return_complex=True)),
    samples=[_positive_window(((12,), 4))],
    errors=[
        lambda lib: lib.stft(_x(lib, 2, 40), 8, window=lib.ones(8)),
        lambda lib: lib.stft(_x(lib, 2, 40), 8, window=lib.ones(8), return_complex=True,
                             align_to_window=True),
        lambda lib: lib.stft(_x(lib, 1, 2, 40), 8, window=lib.ones(8), return_complex=True),
        lambda lib: lib.stft(_x(lib, 2, 40), 60, window=lib.ones(60), return_complex=True,
                             center=False),
        lambda lib: lib.stft(_x(lib, 2, 40), 8, hop_length=0, window=lib.ones(8),
                             return_complex=True),
        lambda lib: lib.stft(_x(lib, 2, 40), 8, win_length=9, window=lib.ones(9),
                             return_complex=True),
        lambda lib: lib.stft(_x(lib, 2, 40), 8, window=lib.ones(6), return_complex=True),
        lambda lib: lib.stft(_x(lib, 2, 40), 8, window=lib.ones(8), return_complex=True,
                             pad_mode="foo"),
        lambda lib: lib.stft(_x(lib, 2, 40, dtype=lib.complex64), 8, window=lib.ones(8),
                             onesided=True),
        lambda lib: lib.stft(_x(lib, 2, 40).long(), 8, window=lib.ones(8),
                             return_complex=True),
        lambda lib: lib.istft(_x(lib, 5, 6), 8, window=lib.ones(8)),
        lambda lib: lib.istft(_x(lib, 5, 6, dtype=lib.complex64), 10, window=lib.ones(10)),
        lambda lib: lib.istft(_x(lib, 5, 6, dtype=lib.complex64), 8, window=lib.ones(8),
                              onesided=False),
        lambda lib: lib.istft(_x(lib, 5, 6, dtype=lib.complex64), 8, window=lib.ones(8),
                              hop_length=9),
        lambda lib: lib.istft(_x(lib, 5, 6, dtype=lib.complex64), 8, window=lib.ones(6)),
        lambda lib: lib.istft(_x(lib, 5, 6, dtype=lib.complex64), 8, window=lib.ones(8),
                              return_complex=True),
        lambda lib: lib.istft(_x(lib, 5, 6, dtype=lib.complex64), 8, window=lib.zeros(8)),
        lambda lib: lib.istft(_x(lib, 1, 1, 5, 6, dtype=lib.complex64), 8,
                              window=lib.ones(8)),
    ]))
