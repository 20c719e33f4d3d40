"""ember.backends: torch.backends, the switches a script flips before training.

Each submodule keeps torch's settable flags with torch's defaults
(``ember.backends.cudnn.benchmark = True`` is accepted and read back), and answers the
``is_available()`` / ``is_built()`` questions for ember itself: ember computes with NumPy on
the CPU and CuPy on a GPU, so it has no cuDNN autotuner, MPS, MKL-DNN or OpenMP backend of its
own.  The flags change no result in ember (see each submodule).
"""

from . import cuda, cudnn, mkl, mkldnn, mps, openmp

__all__ = ["cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
