"""ember/_malloc.py: glibc's thresholds set at import (Linux), left alone when the user set
glibc's own variables."""

import ctypes
import subprocess
import sys

import numpy as np
import pytest

from ember import _malloc


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt  # noqa: B018 - only whether it exists
    except (OSError, AttributeError):
        return None
    return libc


_CHILD = """
import ctypes, sys
import numpy as np
import ember
class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Mallinfo2
before = libc.mallinfo2().hblkhd
a = np.ones(4 << 20, np.float32)
print(libc.mallinfo2().hblkhd - before)
"""


@pytest.mark.skipif(_glibc() is None or not hasattr(_glibc(), "mallinfo2"),
                    reason="glibc 2.33's mallinfo2 only")
@pytest.mark.parametrize("setting, from_mmap", [(None, False), ("default", True)])
def test_a_16_mb_array_comes_from_the_heap_after_import(monkeypatch, setting, from_mmap):
    """Below the 32 MiB threshold a block is served from the heap, not a fresh mmap, which
    glibc's default uses for it (EMBER_MALLOC=default keeps that): mallinfo2's mmapped bytes
    grow by the array's 16 MiB, or not."""
    env = {k: v for k, v in __import__("os").environ.items() if k != "EMBER_MALLOC"}
    if setting:
        env["EMBER_MALLOC"] = setting
    grown = int(subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True,
                               check=True, env=env).stdout)
    assert (grown >= 16 << 20) is from_mmap


@pytest.mark.skipif(_glibc() is None, reason="glibc's mallopt only")
def test_tune_sets_the_thresholds_and_respects_the_users_own(monkeypatch):
    assert _malloc.tune() is True
    for name in ("MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES"):
        monkeypatch.setenv(name, "1")
        assert _malloc.tune() is False
        monkeypatch.delenv(name)
    monkeypatch.setenv("EMBER_MALLOC", "default")
    assert _malloc.tune() is False


def test_tune_is_harmless_where_there_is_no_glibc(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert _malloc.tune() is False
    np.ones(3)  # nothing broke
