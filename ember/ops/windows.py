"""Window functions for spectral analysis: hann, hamming, blackman, bartlett, kaiser.

Each is a factory (torch's signature: ``window_length, periodic=True, <parameters>, *, dtype,
layout, device, requires_grad``). With N = window_length - 1 (symmetric) or window_length
(``periodic``: the symmetric window of window_length + 1 points without its last point, ready
for the FFT), and n = 0, 1, ..., window_length - 1:

    hamming   w[n] = alpha - beta cos(2 pi n / N)           (alpha 0.54, beta 0.46)
    hann      w[n] = 0.5 - 0.5 cos(2 pi n / N)               (hamming with 0.5, 0.5)
    blackman  w[n] = 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)
    bartlett  w[n] = 1 - |2 n / N - 1|
    kaiser    w[n] = I0(beta sqrt(1 - (2 n / N - 1)^2)) / I0(beta)        (beta 12)

A window of length 0 is empty and of length 1 is [1], as in torch. The maths is done in
float64 and rounded once to the dtype.
"""

import operator

import numpy as np

from .. import _dtype as D

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]


def _positions(name, window_length, periodic):
    """(n, N): the sample positions 0..window_length-1 as float64 and the denominator N."""
    if isinstance(window_length, bool) or not isinstance(window_length, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    length = operator.index(window_length)
    if length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={length}")
    n = np.arange(length, dtype=np.float64)
    return n, (length if periodic else length - 1)


def _window(name, window_length, periodic, shape_fn, dtype, device, requires_grad):
    """The window ``shape_fn(n, N)`` as a tensor (empty for length 0, [1] for length 1)."""
    from .creation import _finish

    dtype = D.check_dtype(dtype, name) or D.get_default_dtype()
    if dtype.category != D.FLOAT:
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype="
                           f"{dtype.name}, device={device or 'cpu'})")
    n, big_n = _positions(name, window_length, periodic)
    if n.size == 1:
        values = np.ones(1)
    elif n.size == 0:
        values = n
    else:
        values = shape_fn(n, float(big_n))
    return _finish(values, dtype, device, requires_grad)


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, pin_memory=False, requires_grad=False):
    """w[n] = alpha - beta cos(2 pi n / N). Same as torch.hamming_window."""
    alpha, beta = float(alpha), float(beta)
    return _window("hamming_window", window_length, periodic,
                   lambda n, N: alpha - beta * np.cos(2 * np.pi * n / N),
                   dtype, device, requires_grad)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                pin_memory=False, requires_grad=False):
    """w[n] = 0.5 - 0.5 cos(2 pi n / N) = sin^2(pi n / N). Same as torch.hann_window."""
    return _window("hann_window", window_length, periodic,
                   lambda n, N: 0.5 - 0.5 * np.cos(2 * np.pi * n / N),
                   dtype, device, requires_grad)


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """w[n] = 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N). Same as
    torch.blackman_window."""
    return _window("blackman_window", window_length, periodic,
                   lambda n, N: 0.42 - 0.5 * np.cos(2 * np.pi * n / N)
                   + 0.08 * np.cos(4 * np.pi * n / N),
                   dtype, device, requires_grad)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """w[n] = 1 - |2 n / N - 1| (a triangle). Same as torch.bartlett_window."""
    return _window("bartlett_window", window_length, periodic,
                   lambda n, N: 1 - np.abs(2 * n / N - 1),
                   dtype, device, requires_grad)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, pin_memory=False, requires_grad=False):
    """w[n] = I0(beta sqrt(1 - (2 n / N - 1)^2)) / I0(beta), I0 the modified Bessel function
    of order 0. Same as torch.kaiser_window."""
    beta = float(beta)
    # NOTE: the clip keeps 1 - r^2 >= 0 where rounding makes |r| a hair above 1
    return _window("kaiser_window", window_length, periodic,
                   lambda n, N: np.i0(beta * np.sqrt(np.clip(1 - (2 * n / N - 1) ** 2, 0, 1)))
                   / np.i0(beta),
                   dtype, device, requires_grad)
