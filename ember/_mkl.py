"""bfloat16 matrix products on Intel's MKL, when it is installed (the optional extra
``ember[mkl]``; ``make test`` installs it).

NumPy multiplies bfloat16 arrays (ml_dtypes') one element at a time, and OpenBLAS has no
bfloat16 product in NumPy's build, so ember's bfloat16 products widen both operands to float32
and call sgemm: the widening passes cost an autocast MLP step about as much as its products.
MKL's ``cblas_gemm_bf16bf16f32`` takes the bfloat16 operands as they are and adds up in float32
(torch's numerics: 16-bit inputs, float32 sums; the caller rounds the result once).  On CPUs
with bfloat16 instructions (AVX512_BF16, AMX) it runs ~3x as fast as OpenBLAS's float32 product
on two threads, on one thread (MKL's sequential layer: no second thread pool beside OpenBLAS's).

``matmul(a, b)`` returns None whenever MKL does not take the arrays (not bfloat16 NumPy matrices
with one unit stride, empty, fewer than MIN_WORK multiply-adds, MKL missing or switched off, a
CPU without those instructions), and the caller multiplies another way.  ``EMBER_MKL=0``
switches it off.  The library is looked up and loaded at the first bfloat16 product, not with
ember.
"""

import ctypes
import ctypes.util
import os
import sys
import threading

import numpy as np

from . import _dtype as D

ENABLED = os.environ.get("EMBER_MKL", "1") != "0"

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112  # cblas's enums
_SEQUENTIAL = 1  # MKL_THREADING_SEQUENTIAL
_LP64 = 0  # MKL_INTERFACE_LP64: 32-bit integers
_INT_MAX = 2**31 - 1
# NOTE: below ~1M multiply-adds MKL's call costs more than widening the operands and NumPy's
# float32 product (measured with the caches stirred by other work, as in a training step:
# 128x128x10 28-40 us vs 12-17; 128x256x128 48 vs 94; 256x128x784 169 vs 287): the callers
# multiply those themselves
MIN_WORK = 1 << 20
_state = {}  # "gemm": the bound function, or None when MKL is not used
_lock = threading.Lock()


def _cpu_has_bfloat16():
    """True on a CPU with bfloat16 instructions (Linux's flags; elsewhere False).  Without
    them MKL converts to float32 itself, on one thread: not measured here, so not used."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def _library_paths():
    """Where pip (``<prefix>/lib``), conda and the system put libmkl_rt."""
    names = ("libmkl_rt.so.3", "libmkl_rt.so.2", "libmkl_rt.so")
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix, os.environ.get("CONDA_PREFIX"))):
        if prefix:
            for name in names:
                path = os.path.join(prefix, "lib", name)
                if os.path.exists(path):
                    yield path
    found = ctypes.util.find_library("mkl_rt")
    if found:
        yield found


def _load():
    """MKL's bfloat16 product (sequential threading, 32-bit integers), or None.
    NOTE: called without ctypes' argtypes, with the floats and pointers wrapped by the caller
    and the integers as Python ints (C ints): converting 14 arguments by argtypes costs ~1 us
    more a call, ~1/3 of a small product's whole time."""
    if not _cpu_has_bfloat16():
        return None
    for path in _library_paths():
        try:
            lib = ctypes.CDLL(path)
            gemm = lib.cblas_gemm_bf16bf16f32
        except (OSError, AttributeError):
            continue
        # NOTE: the layers are set by functions, not MKL_THREADING_LAYER in os.environ: other
        # libraries in the process (torch) read that variable too
        lib.MKL_Set_Threading_Layer(_SEQUENTIAL)
        lib.MKL_Set_Interface_Layer(_LP64)
        gemm.restype = None
        return gemm
    return None


def available():
    """True when bfloat16 products run on MKL (loads it on the first call)."""
    if not ENABLED:
        return False
    gemm = _state.get("gemm", False)
    if gemm is False:
        with _lock:
            if "gemm" not in _state:
                _state["gemm"] = _load()
        gemm = _state["gemm"]
    return gemm is not None


def _layout(m):
    """(cblas transpose flag, leading dimension) of a 2-D bfloat16 array for a row-major
    product, or None when neither of its dims has unit stride."""
    rows, cols = m.shape
    s0, s1 = m.strides
    if s1 == 2 and s0 % 2 == 0 and s0 >= 2 * cols:
        return _NO_TRANS, s0 // 2
    if s0 == 2 and s1 % 2 == 0 and s1 >= 2 * rows:  # a transposed view of a row-major matrix
        return _TRANS, s1 // 2
    return None


def _address(m):
    """The address of a matrix's first value, as a ctypes pointer.  NOTE: ctypes' from_buffer
    (for C- or F-contiguous writable arrays) takes 0.3 us, NumPy's ``m.ctypes.data`` 1 us."""
    whole = m if m.flags.c_contiguous else m.T if m.flags.f_contiguous else None
    if whole is not None and whole.flags.writeable:
        if whole.dtype != np.float32:  # (ml_dtypes' bfloat16 has no buffer format)
            whole = whole.view(np.uint16)
        return _VOID_P(ctypes.addressof(_CHAR.from_buffer(whole)))
    return _VOID_P(m.ctypes.data)


_VOID_P, _CHAR = ctypes.c_void_p, ctypes.c_char
_ONE, _ZERO = ctypes.c_float(1.0), ctypes.c_float(0.0)


def _layouts(a, b):
    """Each operand's (transpose flag, leading dimension) when MKL multiplies these, else
    None (see the module's docstring for what it takes)."""
    if not ENABLED or type(a) is not np.ndarray or type(b) is not np.ndarray:
        return None
    if a.ndim != 2 or b.ndim != 2 or not (D.is_bfloat16(a) and D.is_bfloat16(b)):
        return None
    (m, k), n = a.shape, b.shape[1]
    if not 0 < k <= _INT_MAX or not 0 < m <= _INT_MAX or not 0 < n <= _INT_MAX:
        return None
    if m * n * k < MIN_WORK:
        return None
    layout_a, layout_b = _layout(a), _layout(b)
    if layout_a is None or layout_b is None or max(layout_a[1], layout_b[1]) > _INT_MAX:
        return None
    return (layout_a, layout_b) if available() else None


def matmul(a, b):
    """``a @ b`` of two bfloat16 matrices as a new float32 array (sums in float32, no
    rounding), or None when MKL does not take them."""
    layouts = _layouts(a, b)
    if layouts is None:
        return None
    (trans_a, lda), (trans_b, ldb) = layouts
    (m, k), n = a.shape, b.shape[1]
    out = np.empty((m, n), np.float32)
    _state["gemm"](_ROW_MAJOR, trans_a, trans_b, m, n, k, _ONE, _address(a), lda, _address(b),
                   ldb, _ZERO, _address(out), n)
    return out
