"""The torch.fft namespace: ``ember.fft.fft(x)``, ``ember.fft.rfft2(image)``, ...

Re-exports only; the transforms and their gradients live in ops/spectral.py.
"""

from .ops.spectral import fft, fft2, fftfreq, fftn, fftshift, hfft, hfft2, hfftn  # noqa: I001
from .ops.spectral import ifft, ifft2, ifftn, ifftshift, ihfft, ihfft2, ihfftn
from .ops.spectral import irfft, irfft2, irfftn, rfft, rfft2, rfftfreq, rfftn

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2",
           "hfft2", "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]
