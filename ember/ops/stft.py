"""The short-time Fourier transform and its inverse (stft, istft), composed of ember ops.

stft: pad the signal (center=True), cut it into overlapping frames of n_fft samples, hop_length
apart (one index tensor: frame m, sample k reads position m * hop + k), multiply each frame by
the window (padded with zeros on both sides to n_fft) and take the rfft (or fft) of each frame.

istft: the inverse transform of each frame, times the window, overlap-added back into one
signal (index_add at the same positions) and divided by the overlap-added squared window
(the least-squares estimate of Griffin and Lim), then the centre padding cut off.

Every step is an ember op, so both gradients (signal and window) come from the ops' own.
"""

import warnings

from .. import _dtype as D
from . import spectral
from .creation import arange, ones, tensor, zeros
from .join import stack
from .padding import ConstantPad, circular_index, reflect_index, replicate_index

__all__ = ["stft", "istft"]


def _describe(t):
    """A tensor as torch's error messages name one, e.g. ember.FloatTensor{[16]}."""
    return "None" if t is None else f"ember.{t.dtype._short}Tensor{{{list(t.shape)}}}"


def _stft_error(x, n_fft, hop, win, window, normalized, onesided, return_complex, align, what):
    call = (f"stft(ember.{x.dtype._short}Tensor{list(x.shape)}, n_fft={n_fft}, "
            f"hop_length={hop}, win_length={win}, window={_describe(window)}, "
            f"normalized={int(normalized)}, onesided={_flag(onesided)}, "
            f"return_complex={_flag(return_complex)}, align_to_window={_flag(align)})")
    return RuntimeError(f"{call} : {what}")


def _flag(value):
    return "None" if value is None else int(value)


def _zero_pad(x, before, after):
    """``x`` with zeros added before and after along its last dim."""
    if before == 0 and after == 0:
        return x
    return ConstantPad([(before, after)]).apply(x)


_INDEX_MAPS = {"reflect": reflect_index, "replicate": replicate_index,
               "circular": circular_index}


def _center_pad(x, half, mode):
    """``half`` samples added on both sides of the last dim, as F.pad(x, [half, half], mode)
    on x seen as (1, B, L) (torch pads that 3-D view, so its checks name three dims)."""
    if mode == "constant":
        return _zero_pad(x, half, half)
    if mode not in _INDEX_MAPS:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    size = x.shape[-1] if x.ndim else 1
    if mode == "reflect" and half >= size:
        shape = [1] * (3 - x.ndim) + list(x.shape)
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                           f"input dimension, but got: padding ({half}, {half}) at dimension 2 "
                           f"of input {shape}")
    if mode == "circular" and half > size:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    index = tensor(_INDEX_MAPS[mode](size, half, half), device=x.device)
    return x.index_select(-1, index)


def _padded_window(window, win_length, n_fft, like):
    """The window placed in the middle of n_fft samples (zeros around), or None for a
    rectangular window over all n_fft samples.  A missing window shorter than n_fft is ones
    in the real dtype of ``like``."""
    if window is None:
        if win_length == n_fft:
            return None
        real = like.real if like.is_complex() else like
        window = ones(win_length, dtype=real.dtype, device=like.device)
    left = (n_fft - win_length) // 2
    return _zero_pad(window, left, n_fft - win_length - left)


def _frame_index(n_frames, n_fft, hop, device):
    """index[m, k] = m * hop + k: the signal position of sample k of frame m."""
    starts = arange(n_frames, device=device) * hop
    return starts.unsqueeze(1) + arange(n_fft, device=device).unsqueeze(0)


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None):
    """The short-time Fourier transform: X[w, m] = sum_k window[k] x[m * hop + k]
    e^{-2 pi i w k / n_fft}, shape (B?, n_fft // 2 + 1 or n_fft, frames). Same as torch.stft.
    """
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied,which is "
                      "known to cause spectral leakage. Other windows such as ember.hann_window "
                      "or ember.hamming_window are recommended to reduce spectral leakage.To "
                      "suppress this warning and use a rectangular window, explicitly set "
                      "`window=ember.ones(n_fft, device=<device>)`.", UserWarning, stacklevel=2)
    complex_input = input.is_complex() or (window is not None and window.is_complex())
    if center:
        if align_to_window is not None:
            raise RuntimeError("stft align_to_window should only be set when center = false")
        input = _center_pad(input, n_fft // 2, pad_mode)
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length

    def error(what):
        return _stft_error(input, n_fft, hop, win, window, normalized, onesided,
                           return_complex, align_to_window, what)

    if return_complex is None and not complex_input:
        raise RuntimeError("stft requires the return_complex parameter be given for real inputs, "
                           "and will further require that return_complex=True in a future "
                           "PyTorch release.")
    if return_complex is False:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch "
                      "release, stft will return complex tensors for all inputs, and "
                      "return_complex=False will raise an error.\nNote: you can still call "
                      "torch.view_as_real on the complex output to recover the old return "
                      "format.", UserWarning, stacklevel=2)
    if input.ndim not in (1, 2):
        raise error("expected a 1D or 2D tensor")
    if input.dtype.category not in (D.FLOAT, D.COMPLEX):
        raise error("expected a tensor of floating point or complex values")
    if input.dtype.itemsize == 2:
        raise RuntimeError(f"MKL FFT doesn't support tensors of type: {input.dtype._short}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    length = x.shape[-1]
    if not 0 < n_fft <= length:
        raise error(f"expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise error(f"expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise error(f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise error(f"expected a 1D window tensor of size equal to win_length={win}, but got "
                    f"window with size {list(window.shape)}")
    if onesided is None:
        onesided = not complex_input
    elif onesided and complex_input:
        raise RuntimeError("Cannot have onesided output if window or input is complex")

    # frame m starts at m * hop; align_to_window starts the window's own samples there (the
    # frame begins `left` samples earlier, padded with zeros that the window ignores)
    left = (n_fft - win) // 2
    if align_to_window:
        n_frames = 1 + (length - win) // hop
        x = _zero_pad(x, left, n_fft - win - left)
    else:
        n_frames = 1 + (length - n_fft) // hop
    frames = x[:, _frame_index(n_frames, n_fft, hop, x.device)]  # (B, frames, n_fft)
    w = _padded_window(window, win, n_fft, x)
    if w is not None:
        frames = frames * w
    norm = "ortho" if normalized else "backward"  # normalized: times n_fft ** -0.5
    if onesided:
        spec = spectral.rfft(frames, dim=-1, norm=norm)
    else:
        spec = spectral.fft(frames, dim=-1, norm=norm)
    spec = spec.transpose(1, 2)  # (B, frequencies, frames)
    if input.ndim == 1:
        spec = spec.squeeze(0)
    if return_complex is False:  # the deprecated layout: (..., 2) real and imaginary parts
        return stack([spec.real, spec.imag], -1)
    return spec


def _istft_error(x, n_fft, hop, win, window, center, normalized, onesided, length,
                 return_complex, what, sep=" : "):
    call = (f"istft(CPU{x.dtype._short}Type{list(x.shape)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={_describe(window)}, center={int(center)}, "
            f"normalized={int(normalized)}, onesided={_flag(onesided)}, "
            f"length={length}, return_complex={int(return_complex)})")
    return RuntimeError(f"{call}{sep}{what}")


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    """The inverse of stft: each frame's inverse transform times the window, overlap-added,
    divided by the overlap-added squared window. Same as torch.istft."""
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied.Please "
                      "provide the same window used by stft to make the inversion lossless.To "
                      "suppress this warning and use a rectangular window, explicitly set "
                      "`window=ember.ones(n_fft, device=<device>)`.", UserWarning, stacklevel=2)
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length

    onesided_given = onesided  # the error messages show the argument as given

    def error(what, sep=" : "):
        return _istft_error(input, n_fft, hop, win, window, center, normalized, onesided_given,
                            length, return_complex, what, sep)

    if input.ndim not in (2, 3):
        # torch counts the real/imaginary pair as a dim
        raise error(f"expected a tensor with 3 or 4 dimensions, but got {input.ndim + 1}")
    if input.numel() == 0:
        raise error("input tensor cannot be empty.")
    if not 0 < win <= n_fft:
        raise error("expected 0 < win_length <= n_fft")
    if not 0 < hop <= win:
        raise error("expected 0 < hop_length <= win_length")
    bins = input.shape[-2]
    if onesided is None:
        onesided = bins != n_fft
    if onesided:
        if bins != n_fft // 2 + 1:
            raise error("expected the frequency dimension (3rd to the last) of the input tensor "
                        f"to match n_fft / 2 + 1 when onesided=True, but got {bins}")
    elif bins != n_fft:
        raise error("expected the frequency dimension (3rd to the last) of the input tensor to "
                    f"match n_fft when onesided=False, but got {bins}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise error("Invalid window shape. window has to be 1D and length of `win_length`")
    if return_complex and onesided:
        raise RuntimeError("Cannot have onesided output if window or input is complex")

    spec = input if input.ndim == 3 else input.unsqueeze(0)
    frames_spec = spec.transpose(1, 2)  # (B, frames, bins)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        frames = spectral.ifft(frames_spec, dim=-1, norm=norm)
    else:
        if not onesided:  # a real signal is read from the non-negative half of the spectrum
            frames_spec = frames_spec.narrow(-1, 0, n_fft // 2 + 1)
        frames = spectral.irfft(frames_spec, n=n_fft, dim=-1, norm=norm)
    w = _padded_window(window, win, n_fft, frames)
    if w is not None:
        frames = frames * w

    batch, n_frames = frames.shape[0], frames.shape[1]
    expected = n_fft + hop * (n_frames - 1)
    index = _frame_index(n_frames, n_fft, hop, frames.device).reshape(-1)
    signal = zeros(batch, expected, dtype=frames.dtype, device=frames.device)
    signal = signal.index_add(1, index, frames.reshape(batch, -1))
    # the squared window overlap-added in the same way: the least-squares denominator
    if w is None:
        real = frames.real if frames.is_complex() else frames
        w2 = ones(n_frames, n_fft, dtype=real.dtype, device=frames.device)
    else:
        w2 = (w * w.conj() if w.is_complex() else w * w).real.expand(n_frames, n_fft)
    envelope = zeros(expected, dtype=w2.dtype, device=frames.device)
    envelope = envelope.index_add(0, index, w2.reshape(-1))

    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = expected - n_fft // 2 if center else expected
    end = min(end, expected)
    signal = signal[:, start:end]
    envelope = envelope[start:end]
    if bool((envelope.abs() < 1e-11).any()):
        raise error("window overlap add min: 1", sep=" ")
    signal = signal / envelope
    if length is not None and signal.shape[-1] < length:
        warnings.warn("The length of signal is shorter than the length parameter. Result is "
                      "being padded with zeros in the tail. Please check your center and "
                      "hop_length settings.", UserWarning, stacklevel=2)
        signal = _zero_pad(signal, 0, length - signal.shape[-1])
    if input.ndim == 2:
        signal = signal.squeeze(0)
    return signal


METHODS = {"stft": stft, "istft": istft}
