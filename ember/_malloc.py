"""The C library's allocator, set for the arrays ember makes (Linux with glibc only).

Every op's result is a new NumPy array, and a training step makes and drops hundreds of them,
many of several MB.  glibc's malloc serves a block that large from a fresh ``mmap`` (until its
own threshold has grown past the size) and gives memory back to the system as soon as the top
of the heap has more than twice that threshold free; so the same few MB were handed back and
fetched again all through a step, and every fresh page costs a fault on its first write.  On
this project's machines the Transformer LM's output product took 8 ms where it takes 2 alone,
and the LM's step was 12% longer (the encoder's 16%, LeNet's 8%; the MLP and ResNet-18 are
unchanged).

``tune()`` (called once by ``import ember``) fixes both thresholds: blocks below 32 MiB (the
largest threshold glibc accepts on 64-bit systems, the one it reaches by itself only after
freeing a block that size) come from the heap, and up to 128 MiB of freed memory stays in the
process for the next step.  The cost is that memory: a program's resident size does not fall
back by up to 128 MiB after a peak.  A program that sets glibc's own variables
(``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_TOP_PAD_``,
``GLIBC_TUNABLES``) or ``EMBER_MALLOC=default`` keeps its settings; other systems are left as
they are.
"""

import ctypes
import os
import sys

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20
_M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers (glibc's malloc.h)
_M_MMAP_THRESHOLD = -3
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                  "GLIBC_TUNABLES")


def tune():
    """Set the two thresholds; True if glibc took them, False where nothing was changed."""
    if not sys.platform.startswith("linux") or os.environ.get("EMBER_MALLOC") == "default":
        return False
    if any(name in os.environ for name in _USER_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (OSError, AttributeError):  # no mallopt (musl, for one)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; the mmap threshold first (setting either stops glibc's
    # own adjusting of both)
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
