"""Fused float32 loops for the hottest ops of a training step, compiled by Numba when it is
installed (the optional extra ``ember[fast]``; ``make test`` installs it).

NumPy runs an expression one pass at a time: GELU with its erf is ~25 passes over the
activations, layer norm's backward ~10.  Each function here is the same maths as the NumPy code
of the node that calls it (named in its docstring), written as one loop over the values that
Numba compiles to SIMD code: one pass over memory.  The nodes keep their NumPy code, which is
the reference (float64, 16-bit floats, CuPy and every case a kernel does not take run it), and
the tests check both paths against torch.

``ENABLED`` is False without Numba, or with the environment variable EMBER_KERNELS=0; the nodes
ask ``takes(*arrays)``.  Numba is imported at the first kernel call (``compile_loops``), not with
ember.  Compiled code is cached on disk (Numba's cache, next to this file), so only the first
run on a machine pays the compilation (about half a second per kernel).

The loops use no libm calls (NumPy's exp is a call a loop cannot fuse): ``_exp`` computes e^v
itself.  Sums along a row may be added in any order (fastmath "reassoc": SIMD lanes), as NumPy's
own pairwise sums are; nothing else is reordered.
"""

import functools
import importlib.util
import math
import os
import threading

import numpy as np

from . import _dtype, _threads

# Numba is imported on the first kernel call, not with ember (it adds ~0.17 s to an import)
ENABLED = (importlib.util.find_spec("numba") is not None
           and os.environ.get("EMBER_KERNELS", "1") != "0")

_REGISTERED = {}  # name -> (the Python function, Numba's options for it)
_COMPILED = {}  # name -> Numba's dispatcher, once compile_loops() has run
_compile_lock = threading.Lock()


def _kernel(**options):
    """Registers a loop for Numba.  Until compile_loops() runs the module holds a stand-in
    that runs it and then the compiled loop; compile_loops() replaces every stand-in by
    Numba's dispatcher, so the loops that call each other find compiled callees.
    error_model "numpy": x / 0 gives inf or NaN as NumPy does (Python's model checks each
    division for zero, which also stops the loop from becoming SIMD code)."""
    def register(fn):
        _REGISTERED[fn.__name__] = (fn, dict(cache=True, error_model="numpy", **options))

        @functools.wraps(fn)
        def first_call(*args):
            compile_loops()
            return _COMPILED[fn.__name__](*args)

        return first_call
    return register


def compile_loops():
    """Import Numba and put a dispatcher (compiled per argument types on first use, or read
    from Numba's cache) in place of every loop's stand-in in this module."""
    with _compile_lock:
        if _COMPILED:
            return
        import numba

        globals()["_cblas_gemm"] = _make_cblas_gemm()
        globals()["prange"] = numba.prange
        for name, (fn, options) in _REGISTERED.items():
            _COMPILED[name] = numba.njit(**options)(fn)
            if getattr(globals()[name], "__wrapped__", None) is fn:  # (not a test's spy)
                globals()[name] = _COMPILED[name]


# Numba's prange once compile_loops() has run: a loop whose iterations Numba's threads share
prange = range

_loop = _kernel()
_loop_with_sums = _kernel(fastmath={"reassoc"})  # sums in any order: SIMD lanes
_inline = _kernel(inline="always")
# nogil: the caller may run two halves of the work on two threads (ember/_parallel.py)
_free_loop = _kernel(nogil=True)
_free_loop_with_sums = _kernel(nogil=True, fastmath={"reassoc"})
# and multiply-adds fused (one rounding, not two, as BLAS's products do)
_free_loop_with_fused_sums = _kernel(nogil=True, fastmath={"reassoc", "contract"})

f32 = np.float32


def takes(*arrays, float64=False):
    """True when the kernels run on these: Numba is there and every one is a C-contiguous
    float32 NumPy array (float32 or float64 with ``float64``, all of one dtype; views of other
    layouts, other dtypes and CuPy arrays run NumPy code)."""
    if not ENABLED:
        return False
    for a in arrays:
        if type(a) is not np.ndarray or not a.flags.c_contiguous:
            return False
        if a.dtype != np.float32 and not (float64 and a.dtype == np.float64):
            return False
    return len({a.dtype for a in arrays}) <= 1


# the loops that call BLAS need SciPy too (np.dot in Numba: SciPy's BLAS; compiled in each
# such loop beside the call of NumPy's own, which they take where numpy_gemm finds it)
_SCIPY = importlib.util.find_spec("scipy") is not None


def takes_with_blas(*arrays):
    """takes(*arrays, float64=True) for the loops that multiply matrices with BLAS (the
    wide-rows convolutions): Numba compiles ``np.dot`` to a call of SciPy's BLAS, so SciPy
    must be installed too (the extra ``ember[fast]`` installs both)."""
    return _SCIPY and takes(*arrays, float64=True)


# NumPy's own BLAS for the loops' products. Numba compiles np.dot to SciPy's BLAS, which may be
# another build: SciPy 1.17's OpenBLAS 0.3.30 took 18 us for LeNet's second convolution's
# 16 x 150 x 136 product an image on an AMD EPYC, NumPy 2.4's OpenBLAS 0.3.31 9 us (its
# small-matrix kernels skip the packing of the operands). NumPy's wheels ship OpenBLAS with a
# 64-bit integer interface and the symbol suffix "64_": only those names are taken (their
# integers are known to be 64-bit); elsewhere the loops keep np.dot.
_GEMM_NAMES = ("scipy_cblas_{}gemm64_", "cblas_{}gemm64_")
_numpy_gemm = {}
_cblas_gemm = None  # (a Numba intrinsic, made by compile_loops: _make_cblas_gemm)


def numpy_gemm(dtype):
    """The address of NumPy's own cblas ``sgemm`` (float32) or ``dgemm`` (float64), for the
    loops' ``_product``; 0 where it is not one of _GEMM_NAMES, or threadpoolctl (which finds
    the library) is missing."""
    dtype = np.dtype(dtype)
    if dtype not in _numpy_gemm:
        _numpy_gemm[dtype] = _find_numpy_gemm("s" if dtype == np.float32 else "d")
    return _numpy_gemm[dtype]


def _find_numpy_gemm(prefix):
    import ctypes

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return 0
    for lib in threadpool_info():
        if lib["user_api"] != "blas" or not _threads.numpy_s_library(lib["filepath"]):
            continue
        try:
            handle = ctypes.CDLL(lib["filepath"])
        except OSError:
            return 0
        for name in _GEMM_NAMES:
            function = getattr(handle, name.format(prefix), None)
            if function is not None:
                return ctypes.cast(function, ctypes.c_void_p).value
    return 0


def _make_cblas_gemm():
    """_cblas_gemm(address, transpose_b, m, n, k, a, b, out): out (m, n) = a (m, k) @ b (k, n),
    or @ b.T for b (n, k) with ``transpose_b``, C-contiguous float32 or float64, by the
    64-bit-integer cblas gemm at ``address`` (row-major). A Numba intrinsic: the address is an
    argument, so the loops stay cacheable."""
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    @intrinsic
    def _cblas_gemm(typingctx, address, transpose_b, m, n, k, a, b, out):
        signature = types.void(types.int64, types.boolean, types.int64, types.int64,
                               types.int64, a, b, out)

        def codegen(context, builder, sig, args):
            address, transpose_b, m, n, k = args[:5]
            real = ir.FloatType() if sig.args[5].dtype == types.float32 else ir.DoubleType()
            i32, i64, pointer = ir.IntType(32), ir.IntType(64), real.as_pointer()
            gemm_type = ir.FunctionType(ir.VoidType(), [i32, i32, i32, i64, i64, i64, real,
                                                        pointer, i64, pointer, i64, real,
                                                        pointer, i64])
            gemm = builder.inttoptr(address, gemm_type.as_pointer())
            a, b, out = (context.make_array(t)(context, builder, v).data
                         for t, v in zip(sig.args[5:], args[5:]))
            # cblas.h: CblasRowMajor 101, CblasNoTrans 111, CblasTrans 112
            trans_b = builder.select(transpose_b, ir.Constant(i32, 112), ir.Constant(i32, 111))
            ldb = builder.select(transpose_b, k, n)
            builder.call(gemm, [ir.Constant(i32, 101), ir.Constant(i32, 111), trans_b, m, n, k,
                                ir.Constant(real, 1.0), a, k, b, ldb, ir.Constant(real, 0.0),
                                out, n])
            return context.get_dummy_value()

        return signature, codegen

    return _cblas_gemm


def takes_bfloat16(*arrays):
    """True when the bfloat16 loops run on these: Numba is there and every one is a
    C-contiguous NumPy array of bfloat16 (the loops read and write its bit patterns as uint16;
    a value is the top half of a float32, so each is widened in a register, not in memory)."""
    if not ENABLED:
        return False
    for a in arrays:
        if type(a) is not np.ndarray or not a.flags.c_contiguous or not _dtype.is_bfloat16(a):
            return False
    return True


def bits(a):
    """The uint16 bit patterns of a C-contiguous bfloat16 array, flat (a view)."""
    return a.reshape(-1).view(np.uint16)


def contiguous(a):
    """A float32 NumPy array made C-contiguous (a gradient often arrives as a broadcast view:
    one copy is still cheaper than the NumPy passes); anything else as it is."""
    if type(a) is np.ndarray and a.dtype == np.float32 and not a.flags.c_contiguous:
        return np.ascontiguousarray(a)
    return a


def rows(a):
    """``a`` as a 2-D array of its last dim's rows (a view: ``a`` is C-contiguous)."""
    n = a.shape[-1] if a.ndim else 1
    return a.reshape(-1, n)


# ------------------------------------------------------------- two halves on Numba's threads

_parallel_loop = _kernel(nogil=True, parallel=True)  # (its prange: on Numba's threads)


@_inline
def _half(half, n):
    """(lo, hi) of half 0 or 1 of the range [0, n): [0, n // 2) or [n // 2, n)."""
    return half * (n // 2), n // 2 + half * (n - n // 2)


class _Pool:
    """Who may start Numba's threads now: one caller at a time (Numba's fallback pool,
    "workqueue", stops the process when two threads use it at once; a second caller runs its
    halves on its own thread), and no process forked from one that has used them (GNU
    OpenMP's threads, Numba's usual pool, do not survive a fork: the child would hang)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.owner = None  # the process that has started them (os.getpid())
        self.spins = None  # whether they wait for the next loop by spinning, once known

    def enter(self):
        pid = os.getpid()
        if self.owner not in (None, pid) or not self.lock.acquire(blocking=False):
            return False
        self.owner = pid
        return True

    def leave(self):
        self.lock.release()

    def spinning_threads(self):
        """Whether Numba's threads wait for the next loop by spinning (GNU OpenMP's and
        TBB's); the "workqueue" layer's sleep."""
        if self.spins is None:
            import numba

            self.spins = numba.threading_layer() != "workqueue"
        return self.spins


_pool = _Pool()


def in_halves(name, n, args, split):
    """Runs the loop called ``name`` as loop(half, lo, hi, *args) for the halves 0 and 1 of
    the range [0, n) (``_half``).  With ``split`` (the caller has found two cores free and the
    work big) the two run at once, on two of Numba's threads (the loop's driver ``name +
    "_in_halves"``), else one after the other here.  Always the same two halves, so a result
    summed per half (a weight's gradient) has the same bits either way.
    NOTE: a hand-off to a sleeping thread costs ~120 us on this project's VMs (a Python thread,
    or Numba's "workqueue" pool); GNU OpenMP's threads, which wait by spinning for a moment
    first, start in ~3-12 us."""
    compile_loops()
    if split and _pool.enter():
        try:
            globals()[name + "_in_halves"](n, *args)
        finally:
            _pool.leave()
        if _pool.spinning_threads():
            _threads.pool_used()  # (they spin now: _threads.pool_spinning)
        return
    loop = globals()[name]
    for half in range(2):
        loop(half, *_half(half, n), *args)


# ------------------------------------------------------------------------------ e^v

_LOG2_E = f32(1.4426950408889634)
_LN2_HIGH = f32(0.693145751953125)  # ln 2 in two parts: k * _LN2_HIGH is exact for |k| <= 126
_LN2_LOW = f32(1.428606765330187e-06)


@_inline
def _exp(v):
    """e^v for a float32 v <= 0, in float32 (1-2 rounding units), as SIMD code in any loop.

    v = k ln2 + r with k = round(v / ln2) and |r| <= ln2 / 2, so e^v = 2^k e^r; e^r by its
    Taylor series to r^7 (truncation error < 6e-9, below float32's rounding); 2^k made from its
    bits (a float32 holds its power of two as k + 127 in bits 23-30).
    Below -87, e^v is under float32's smallest normal number (2^-126): it gives 0 (a subnormal
    in NumPy; the difference is below 1.2e-38).  e^-inf = 0, e^NaN = NaN."""
    w = v if v > f32(-87.0) else f32(-87.0)  # also a NaN: its index below must stay valid
    w = w if w < f32(0.0) else f32(0.0)
    k = np.floor(w * _LOG2_E + f32(0.5))
    r = (w - k * _LN2_HIGH) - k * _LN2_LOW
    p = f32(1 / 5040)
    p = p * r + f32(1 / 720)
    p = p * r + f32(1 / 120)
    p = p * r + f32(1 / 24)
    p = p * r + f32(1 / 6)
    p = p * r + f32(0.5)
    p = p * r + f32(1.0)
    p = p * r + f32(1.0)
    e = p * np.int32((np.int32(k) + 127) << 23).view(np.float32)
    if v < f32(-87.0):
        e = f32(0.0)
    if v != v:
        e = v
    return e


# ------------------------------------------------------------------------------ GELU

# erfc(a) = e^(-a^2) P(a) / Q(a) for 0 <= a <= 4: _erf.py's float32 fit (its _ERFCX_P, _ERFCX_Q)
_P0, _P1, _P2, _P3, _P4 = (f32(0.9999999890117566), f32(0.8663501686864584),
                           f32(0.36431225448695675), f32(0.0615932438071944),
                           f32(1.1685406515269718e-05))
_Q0, _Q1, _Q2, _Q3, _Q4 = (f32(1.0), f32(1.9947282786165312), f32(1.6151385555356472),
                           f32(0.6415052227243583), f32(0.1096087881279743))
_SQRT_HALF = f32(math.sqrt(0.5))
_INV_SQRT_2PI = f32(1 / math.sqrt(2 * math.pi))


@_loop
def gelu(x, y, cdf):
    """nn.Gelu.forward: y = x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, into y and cdf
    (flat float32 arrays).  erf as _erf.erf_float32 computes it: 1 - erfc(|z|), signed, with
    |z| capped at 4 (erfc(4) rounds away in 1 - erfc)."""
    for i in range(x.size):
        v = x[i]
        z = v * _SQRT_HALF
        a = abs(z)
        a = a if a < f32(4.0) else f32(4.0)
        numerator = (((_P4 * a + _P3) * a + _P2) * a + _P1) * a + _P0
        denominator = (((_Q4 * a + _Q3) * a + _Q2) * a + _Q1) * a + _Q0
        erf = f32(1.0) - _exp(-(a * a)) * numerator / denominator
        if z < f32(0.0):
            erf = -erf
        c = (erf + f32(1.0)) * f32(0.5)
        cdf[i] = c
        y[i] = v * c


@_loop
def gelu_grad(g, x, cdf, out):
    """nn.GeluGrad.forward: out = g * (Phi(x) + x * phi(x)), phi(x) = e^(-x^2 / 2) / sqrt(2 pi)
    (flat float32 arrays; Phi from gelu's cdf)."""
    for i in range(x.size):
        v = x[i]
        phi = _exp(v * f32(-0.5) * v) * _INV_SQRT_2PI
        out[i] = (phi * v + cdf[i]) * g[i]


# ------------------------------------------------------------------------------ softmax

@_loop_with_sums
def softmax_rows(s, top, dead_rows_zero):
    """Softmax of each row of the 2-D float32 ``s``, in place: e^(s - top) / sum(e^(s - top)),
    ``top`` the rows' maxima.  With ``dead_rows_zero`` a row that is -inf everywhere gives
    zeros, as attention's _safe_softmax, instead of NaN.
    NOTE: NumPy's max gives ``top`` (SIMD code; a maximum in a Numba loop is not, even with
    fastmath: 4x slower on rows of 1000).  A NaN in a row makes the row NaN (through its e^NaN
    in the sum) whatever ``top`` is."""
    for r in range(s.shape[0]):
        _softmax_row(s, r, top[r], dead_rows_zero)


@_inline
def _softmax_row(s, r, top, dead_rows_zero):
    """Row r of ``s`` in place: e^(s - top) / sum(e^(s - top)), ``top`` the row's maximum;
    with ``dead_rows_zero`` a row that is -inf everywhere gives zeros (not 0 / 0 = NaN)."""
    if dead_rows_zero and top == -np.inf:
        top = f32(0.0)
    total = f32(0.0)
    for j in range(s.shape[1]):
        e = _exp(s[r, j] - top)
        s[r, j] = e
        total += e
    if dead_rows_zero and total == f32(0.0):
        total = f32(1.0)
    for j in range(s.shape[1]):
        s[r, j] = s[r, j] / total


@_loop_with_sums
def attention_rows(s, scale, bias):
    """attention.ScaledDotProductAttention.forward's probabilities, in place in the 2-D float32
    scores ``s`` (q @ k^T, one row per query): s = s * scale + bias, then the softmax of each
    row; a row that is -inf everywhere (a query masked from every key) gives zeros.
    ``bias`` holds the additive mask's rows, row r of ``s`` taking row r % len(bias) (a mask
    of (L, S) repeated over batch and heads); no rows: no mask.
    NOTE: the maximum here is a plain loop (the scale and the mask come first): on rows as
    short as attention's (64) it is faster than NumPy's max along them."""
    masks = bias.shape[0]
    for r in range(s.shape[0]):
        top = f32(-np.inf)
        for j in range(s.shape[1]):
            v = s[r, j] * scale
            if masks:
                v = v + bias[r % masks, j]
            s[r, j] = v
            top = v if v > top else top
        _softmax_row(s, r, top, True)


@_loop_with_sums
def attention_grad_rows(p, grad_p, keep, scale):
    """attention.ScaledDotProductAttention.backward's gradient of the scores times ``scale``,
    in place in ``grad_p`` (g @ v^T), 2-D float32 rows:
        grad_p = grad_p * keep                     (the dropout mask; no rows: no dropout)
        grad_s = p * (grad_p - sum(grad_p * p))    (softmax's backward)
    written as scale * grad_s, the factor both grad_q and grad_k carry."""
    dropout = keep.shape[0] > 0
    for r in range(p.shape[0]):
        dot = f32(0.0)
        for j in range(p.shape[1]):
            if dropout:
                grad_p[r, j] = grad_p[r, j] * keep[r, j]
            dot += grad_p[r, j] * p[r, j]
        for j in range(p.shape[1]):
            grad_p[r, j] = p[r, j] * (grad_p[r, j] - dot) * scale


@_loop_with_sums
def log_softmax_rows(x, top, y):
    """nn.LogSoftmax.forward for 2-D float32 rows: y = (x - top) - log(sum(e^(x - top))),
    ``top`` the rows' maxima (NumPy's, as for softmax_rows)."""
    for r in range(x.shape[0]):
        m = top[r]
        total = f32(0.0)
        for j in range(x.shape[1]):
            total += _exp(x[r, j] - m)
        log_total = np.log(total)
        for j in range(x.shape[1]):
            y[r, j] = (x[r, j] - m) - log_total


@_loop_with_sums
def log_softmax_grad_rows(grad, y, out):
    """nn.LogSoftmaxGrad.forward for 2-D float32 rows: out = grad - e^y * sum(grad)."""
    for r in range(y.shape[0]):
        total = f32(0.0)
        for j in range(y.shape[1]):
            total += grad[r, j]
        for j in range(y.shape[1]):
            out[r, j] = grad[r, j] - _exp(y[r, j]) * total


# ------------------------------------------------------------------------------ layer norm


@_loop_with_sums
def layer_norm_rows(x, weight, bias, eps, y, mean, var, rstd):
    """normalization.Normalize.forward for layer norm with a weight and a bias over 2-D float32
    rows: mean, var (biased), rstd = 1 / sqrt(var + eps) of each row,
    y = (x - mean) * rstd * weight + bias."""
    n = x.shape[1]
    for r in range(x.shape[0]):
        total = f32(0.0)
        for j in range(n):
            total += x[r, j]
        mu = total / f32(n)
        squares = f32(0.0)
        for j in range(n):
            d = x[r, j] - mu
            squares += d * d
        variance = squares / f32(n)
        scale = f32(1.0) / np.sqrt(variance + eps)
        for j in range(n):
            y[r, j] = (x[r, j] - mu) * scale * weight[j] + bias[j]
        mean[r] = mu
        var[r] = variance
        rstd[r] = scale


@_loop_with_sums
def layer_norm_grad_rows(grad, x, mean, rstd, weight, grad_x, grad_weight, grad_bias):
    """normalization.Normalize.backward for layer norm with a weight and a bias, 2-D float32
    rows; xc = x - mean, g = grad * weight, sums along each row:
        grad_x = (g - sum(g) / n) * rstd - xc * rstd^3 * sum(g * xc) / n
    and over the rows: grad_weight = sum(grad * xc * rstd), grad_bias = sum(grad) (both written,
    not added to)."""
    n = x.shape[1]
    grad_weight[:] = 0
    grad_bias[:] = 0
    for r in range(x.shape[0]):
        mu = mean[r]
        scale = rstd[r]
        sum_g = f32(0.0)
        sum_gxc = f32(0.0)
        for j in range(n):
            g = grad[r, j] * weight[j]
            sum_g += g
            sum_gxc += g * (x[r, j] - mu)
        mean_g = sum_g / f32(n)
        coef = scale * scale * scale * sum_gxc / f32(n)
        for j in range(n):
            xc = x[r, j] - mu
            grad_x[r, j] = (grad[r, j] * weight[j] - mean_g) * scale - xc * coef
            grad_weight[j] += grad[r, j] * (xc * scale)
            grad_bias[j] += grad[r, j]


# ------------------------------------------------------------------------------ embedding


@_loop
def add_rows(out, index, rows):
    """embedding.EmbeddingDenseBackward.forward: out[index[p]] += rows[p] for every p, in the
    order of p (as NumPy's add.at); 2-D float32 ``out`` and ``rows``, an integer ``index``."""
    for p in range(index.size):
        i = index[p]
        if i < 0 or i >= out.shape[0]:
            raise IndexError("embedding index out of range")
        for j in range(out.shape[1]):
            out[i, j] += rows[p, j]


# ------------------------------------------------------------------------------ random draws
#
# The Mersenne Twister MT19937 (Matsumoto and Nishimura, 1998), the engine of ember's CPU
# generator (_random.py, NumPy's RandomState): 624 words of state, "twisted" into the next 624
# at once, each word "tempered" on its way out.  The same words, in the same order, as
# RandomState hands out; _random.py passes the state in and takes it back.

_MT_N, _MT_M = 624, 397
_u32 = np.uint32


@_loop
def _twist(mt):
    """The next 624 words of state in place: word k from the top bit of k, the lower 31 bits
    of k + 1 and word k + 397 (all indices modulo 624), in three runs so that no index wraps."""
    for k in range(_MT_N - _MT_M):
        y = (mt[k] & _u32(0x80000000)) | (mt[k + 1] & _u32(0x7fffffff))
        mt[k] = mt[k + _MT_M] ^ (y >> _u32(1)) ^ (_u32(0x9908b0df) * (y & _u32(1)))
    for k in range(_MT_N - _MT_M, _MT_N - 1):
        y = (mt[k] & _u32(0x80000000)) | (mt[k + 1] & _u32(0x7fffffff))
        mt[k] = mt[k + _MT_M - _MT_N] ^ (y >> _u32(1)) ^ (_u32(0x9908b0df) * (y & _u32(1)))
    y = (mt[_MT_N - 1] & _u32(0x80000000)) | (mt[0] & _u32(0x7fffffff))
    mt[_MT_N - 1] = mt[_MT_M - 1] ^ (y >> _u32(1)) ^ (_u32(0x9908b0df) * (y & _u32(1)))


@_loop
def _words_into(mt, pos, out):
    """The engine's next out.size words (tempered) into ``out``, from state ``mt`` read at word
    ``pos`` (624: twist first); returns the position after them."""
    i = 0
    while i < out.size:
        if pos >= _MT_N:
            _twist(mt)
            pos = 0
        m = min(_MT_N - pos, out.size - i)
        for j in range(m):
            y = mt[pos + j]
            y ^= y >> _u32(11)
            y ^= (y << _u32(7)) & _u32(0x9d2c5680)
            y ^= (y << _u32(15)) & _u32(0xefc60000)
            y ^= y >> _u32(18)
            out[i + j] = y
        i += m
        pos += m
    return pos


@_free_loop  # (nogil: other threads run meanwhile; _random.py holds the engine's lock)
def bernoulli_fill(mt, pos, out, threshold, value, two_words):
    """_random._below and _fill in one loop: out[i] = value if k < threshold else 0, where k
    is the low 53 bits of two words (the first high: torch's float64 uniform k * 2^-53 < p,
    with threshold = ceil(p * 2^53)), or with ``two_words`` False the low 24 bits of one word
    (a float32 uniform k * 2^-24 < p, threshold = ceil(p * 2^24)).  Words are drawn 8192
    values at a time into a buffer that stays in cache; returns the engine's position after."""
    chunk = 8192
    per_value = 2 if two_words else 1
    words = np.empty(per_value * chunk, dtype=np.uint32)
    for start in range(0, out.size, chunk):
        m = min(chunk, out.size - start)
        pos = _words_into(mt, pos, words[:per_value * m])
        for i in range(m):
            if two_words:
                high = np.uint64(words[2 * i]) & np.uint64((1 << 21) - 1)  # 21 + 32 = 53 bits
                k = (high << np.uint64(32)) | np.uint64(words[2 * i + 1])
            else:
                k = np.uint64(words[i] & _u32((1 << 24) - 1))
            if k < threshold:
                out[start + i] = value
            else:
                out[start + i] = 0
    return pos


# ------------------------------------------------------------------------------ optimizers


@_loop
def adam_update(param, g, m, v, keep1, beta2, keep2, bias2_root, eps, step_size):
    """optim.Adam._update's arithmetic for one flat float32 parameter, in place, op for op
    (the same float32 roundings as its NumPy passes; the scalars are float32, keep1 = 1 - beta1
    and keep2 = 1 - beta2 rounded from float64 as NumPy rounds them):
        m += (g - m) * keep1
        v = v * beta2 + g * g * keep2
        param -= m / (sqrt(v) / bias2_root + eps) * step_size"""
    for i in range(param.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * keep1
        vi = v[i] * beta2 + gi * gi * keep2
        m[i] = mi
        v[i] = vi
        param[i] -= mi / (np.sqrt(vi) / bias2_root + eps) * step_size


@_free_loop
def sgd_momentum_update(param, g, buf, momentum, negative_lr, lo, hi):
    """optim.SGD._update with momentum (no dampening, not Nesterov) for the values lo .. hi - 1
    of one flat float32 parameter, in place, op for op (the scalars are float32, as NumPy
    rounds them):  buf = buf * momentum + g;  param += negative_lr * buf.  (On slices: indexed
    from lo, each access was checked for a negative index and the loop was no SIMD code: 3-6x
    as long, 46-97 against 14 us for LeNet's 48,000-value weight.)"""
    param, g, buf = param[lo:hi], g[lo:hi], buf[lo:hi]
    for i in range(hi - lo):
        b = buf[i] * momentum + g[i]
        buf[i] = b
        param[i] += negative_lr * b


# ------------------------------------------------------------------------------ relu, pooling
#
# (Max pooling's forward as a general loop over a window's offsets was slower than the NumPy
# code: branches on the bounds and a chain of compares per window.  The 2x2 pool of nearly
# every small CNN, written out, is twice as fast as NumPy's: max_pool_2x2.)


@_free_loop
def relu(x, y):
    """clamping.Relu.forward on flat float arrays: y = x where x is not below zero (NaN and
    -0.0 kept, as torch), else +0.0: one pass (NumPy's maximum, then its zeros put back)."""
    for i in range(x.size):
        y[i] = 0 if x[i] < 0 else x[i]


@_free_loop
def relu_grad(grad, y, out):
    """clamping.ReluGrad.forward on flat float arrays: out = grad where y > 0 or y is NaN,
    else +0.0 (torch's threshold_backward)."""
    for i in range(grad.size):
        out[i] = 0 if y[i] <= 0 else grad[i]


@_inline
def _bfloat16_value(b):
    """The float32 value of the bfloat16 bit pattern ``b`` (uint16): its top half."""
    return _u32(_u32(b) << _u32(16)).view(np.float32)


@_free_loop
def relu_bfloat16(x, y):
    """clamping.Relu.forward on flat bfloat16 bit patterns (uint16): y = x where x is not
    below zero (NaN and -0.0 included, as the NumPy code), else +0.0 (pattern 0)."""
    for i in range(x.size):
        y[i] = 0 if _bfloat16_value(x[i]) < 0 else x[i]


@_free_loop
def relu_grad_bfloat16(grad, y, out):
    """relu_grad on flat bfloat16 bit patterns (uint16): out = grad where y > 0 or y is NaN,
    else +0.0: the pattern times 1 or 0.  (Written as a select it compiled to a branch on an
    AMD EPYC, which random signs mispredict: 1.8 ms for LeNet's first relu, 0.04 ms now.)"""
    for i in range(grad.size):
        out[i] = grad[i] * np.uint16(not _bfloat16_value(y[i]) <= 0)


@_inline
def _window_winner(v0, v1, v2, v3, at, width):
    """The flat position of a 2x2 window's winner by torch's rule (a sample wins if it is
    greater than the best so far, or NaN) for samples v0-v3 in row-major order at positions
    at, at + 1, at + width, at + width + 1: the first maximum, or else the last NaN.  No branch
    on the values' order: the first maximum by arithmetic on the compares, and a branch for
    NaNs only (rare: it predicts well).  (A chain of selects compiled to branches on an AMD
    EPYC, which random data mispredicts: LeNet's first pool took 1.0 ms there, 0.21 now.)"""
    best = max(max(v0, v1), max(v2, v3))  # (the winner's value is read at its position)
    arg = at + width + 1
    arg += (v2 == best) * (at + width - arg)
    arg += (v1 == best) * (at + 1 - arg)
    arg += (v0 == best) * (at - arg)
    if (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3):
        arg = at
        arg += (v1 != v1) * (at + 1 - arg)
        arg += (v2 != v2) * (at + width - arg)
        arg += (v3 != v3) * (at + width + 1 - arg)
    return arg


@_loop
def max_pool_2x2(x, y, index):
    """pooling.MaxPool.forward for 2x2 windows with stride 2 and no padding: x (planes, H, W)
    float, y (planes, H // 2, W // 2) the windows' maxima, index (int64) the flat position
    ih * W + iw of each (_window_winner: torch's rule), y the value there (its bits)."""
    width = x.shape[2]
    for p in range(x.shape[0]):
        plane = x[p].reshape(-1)
        for oh in range(y.shape[1]):
            top, bottom = x[p, 2 * oh], x[p, 2 * oh + 1]
            best_row, index_row = y[p, oh], index[p, oh]
            for ow in range(y.shape[2]):
                at = _window_winner(top[2 * ow], top[2 * ow + 1], bottom[2 * ow],
                                    bottom[2 * ow + 1], 2 * oh * width + 2 * ow, width)
                index_row[ow] = at
                best_row[ow] = plane[at]


@_loop
def max_pool_2x2_bfloat16(x, y, index):
    """max_pool_2x2 on bfloat16 bit patterns (uint16): each sample widened in a register (no
    widened copy of the input), the winner's pattern copied."""
    width = x.shape[2]
    for p in range(x.shape[0]):
        plane = x[p].reshape(-1)
        for oh in range(y.shape[1]):
            top, bottom = x[p, 2 * oh], x[p, 2 * oh + 1]
            best_row, index_row = y[p, oh], index[p, oh]
            for ow in range(y.shape[2]):
                at = _window_winner(
                    _bfloat16_value(top[2 * ow]), _bfloat16_value(top[2 * ow + 1]),
                    _bfloat16_value(bottom[2 * ow]), _bfloat16_value(bottom[2 * ow + 1]),
                    2 * oh * width + 2 * ow, width)
                index_row[ow] = at
                best_row[ow] = plane[at]


@_loop
def place_rows(g, index, out, negative_zero):
    """pooling.PoolScatter.forward for positions that cannot repeat: out (rows, length) zeros
    with out[r, index[r, o]] = g[r, o], a -0.0 placed as +0.0 (torch adds the gradient into
    zeros).  Floats, with ``negative_zero`` -0.0 (equal to both zeros: each is written as 0),
    or bfloat16 bit patterns (uint16), with ``negative_zero`` 0x8000, its pattern."""
    out[:, :] = 0
    for r in range(g.shape[0]):
        for o in range(g.shape[1]):
            v = g[r, o]
            out[r, index[r, o]] = 0 if v == negative_zero else v


# ------------------------------------------------------------------------------ batch norm

@_free_loop_with_sums
def batch_norm_channels(x, weight, bias, eps, y, mean, var, rstd, c_lo, c_hi):
    """normalization.Normalize.forward for batch norm, channels c_lo .. c_hi - 1 of x and y
    (N, C, S): each channel's mean and biased variance over its N * S values (added up in
    float64, as torch's CPU batch norm), rstd = 1 / sqrt(var + eps), and
    y = (x - mean) * (rstd * weight) + bias (in float64, rounded once to y's dtype)."""
    count = x.shape[0] * x.shape[2]
    for c in range(c_lo, c_hi):
        total = 0.0
        for n in range(x.shape[0]):
            for s in range(x.shape[2]):
                total += x[n, c, s]
        mu = total / count
        squares = 0.0
        for n in range(x.shape[0]):
            for s in range(x.shape[2]):
                d = x[n, c, s] - mu
                squares += d * d
        variance = squares / count
        inverse = 1.0 / np.sqrt(variance + eps)
        scale = inverse * weight[c]
        for n in range(x.shape[0]):
            for s in range(x.shape[2]):
                y[n, c, s] = (x[n, c, s] - mu) * scale + bias[c]
        mean[c] = mu
        var[c] = variance
        rstd[c] = inverse


@_free_loop_with_sums
def batch_norm_grad_channels(grad, x, mean, rstd, weight, grad_x, grad_weight, grad_bias,
                             c_lo, c_hi):
    """normalization.Normalize.backward for batch norm (a weight per channel), channels
    c_lo .. c_hi - 1 of (N, C, S) arrays; xc = x - mean, sums over each channel (float64),
    M = N * S values:
        grad_x = ((grad - sum(grad) / M) - xc * k) * rstd * weight,  k = sum(grad * xc) rstd^2 / M
    in x's dtype with k and sum(grad) / M rounded to it, in this order, as torch's CPU kernel;
    grad_weight = sum(grad * xc) * rstd, grad_bias = sum(grad).
    NOTE: the float64 version of the elementwise part took twice as long (half the SIMD lanes:
    ResNet-18's 20 batch norms ~28 ms a step)."""
    count = x.shape[0] * x.shape[2]
    for c in range(c_lo, c_hi):
        m = mean[c]
        sum_g = 0.0
        sum_gxc = 0.0
        for n in range(x.shape[0]):
            for s in range(x.shape[2]):
                g = grad[n, c, s]
                sum_g += g
                sum_gxc += g * (x[n, c, s] - m)
        r = rstd[c]
        k = grad_x.dtype.type(sum_gxc * r * r / count)
        mean_g = grad_x.dtype.type(sum_g / count)
        w = weight[c]
        for n in range(x.shape[0]):
            for s in range(x.shape[2]):
                grad_x[n, c, s] = ((grad[n, c, s] - mean_g) - (x[n, c, s] - m) * k) * r * w
        grad_weight[c] = sum_gxc * r
        grad_bias[c] = sum_g


# ------------------------------------------------------------------------------ bfloat16


@_inline
def _bfloat16_pattern(b):
    """The bfloat16 pattern (in the low 16 bits) a float32 pattern ``b`` rounds to: adding
    0x7FFF plus the lowest kept bit, then dropping the low 16 bits, rounds to nearest even; a
    NaN keeps its sign and top bits and becomes a quiet NaN (0x0040 set) instead of being
    carried into inf."""
    if b & _u32(0x7FFFFFFF) > _u32(0x7F800000):
        return (b >> _u32(16)) | _u32(0x0040)
    return (b + _u32(0x7FFF) + ((b >> _u32(16)) & _u32(1))) >> _u32(16)


@_free_loop
def round_to_bfloat16(bits, out):
    """_bfloat16.round_to_bfloat16 on the float32 bit patterns ``bits`` (uint32) into ``out``
    (uint16, the bfloat16 patterns), by _bfloat16_pattern's arithmetic written out.
    NOTE: written out, not called: through the helper this loop takes ~1.4x as long."""
    for i in range(bits.size):
        b = bits[i]
        if b & _u32(0x7FFFFFFF) > _u32(0x7F800000):
            out[i] = (b >> _u32(16)) | _u32(0x0040)
        else:
            out[i] = (b + _u32(0x7FFF) + ((b >> _u32(16)) & _u32(1))) >> _u32(16)


@_free_loop
def round_to_bfloat16_in_float32(bits, out):
    """round_to_bfloat16, each result kept as a float32 pattern (its top half; uint32 ``out``):
    the float32 values of the rounded bfloat16 values."""
    for i in range(bits.size):
        out[i] = _bfloat16_pattern(bits[i]) << _u32(16)


@_free_loop
def round_to_bfloat16_in_place(bits):
    """round_to_bfloat16_in_float32 with ``out`` the array ``bits`` itself.
    NOTE: a loop of its own: with two arguments that are one array, LLVM's overlap check
    sends the loop to its one-value-at-a-time version (~4x as long)."""
    for i in range(bits.size):
        bits[i] = _bfloat16_pattern(bits[i]) << _u32(16)


@_free_loop
def widen_bfloat16(bits, out):
    """_bfloat16.widen_bfloat16 on the bfloat16 patterns ``bits`` (uint16) into ``out``
    (uint32, the float32 patterns of the same values): each becomes the top half."""
    for i in range(bits.size):
        out[i] = _u32(bits[i]) << _u32(16)


@_free_loop
def truncate_to_bfloat16(bits, out):
    """_bfloat16.truncate_to_bfloat16 on float32 patterns ``bits`` (uint32) holding bfloat16
    values into ``out`` (uint16): each pattern's top half, no rounding needed."""
    for i in range(bits.size):
        out[i] = bits[i] >> _u32(16)


# ------------------------------------------------------------------------------ convolution


# "Wide rows" (ops/wide_rows.py): the padded input and the output laid on one width, so that
# each kernel offset reads one contiguous run of each padded plane.  In these loops ``width``
# is Wp, L = (Ho - 1) * Wp + Wo, and an image's columns are C * KH * KW runs of L values: run
# (c, kh, kw) starts at kh * Wp + kw of padded plane c.  Each loop takes its images lo .. hi - 1
# one at a time (the weight gradient's, a group of ``group``: their columns side by side,
# (C * KH * KW, group * L), image i's from i * L on) in the core's cache, with one BLAS product
# (_product: NumPy's BLAS, or SciPy's by np.dot; on this thread) between making them and
# laying out the result.

@_inline
def _padded_planes(x, n, planes, top, left, width):
    """planes[c, (top + r) * width + left + j] = x[n, c, r, j]: image n of x (N, C, H, W) in
    padded planes (C, Hp * Wp), whose border the caller zeroed."""
    for c in range(x.shape[1]):
        for r in range(x.shape[2]):
            target = planes[c, (top + r) * width + left:]
            source = x[n, c, r]
            for j in range(x.shape[3]):
                target[j] = source[j]


@_inline
def _wide_columns(planes, cols, start, width, kernel_h, kernel_w, length):
    """cols[(c, kh, kw), start:start + L] = planes[c, kh * width + kw:][:L]: an image's columns
    from its padded planes."""
    for c in range(planes.shape[0]):
        plane = planes[c]
        for kh in range(kernel_h):
            for kw in range(kernel_w):
                row = cols[(c * kernel_h + kh) * kernel_w + kw, start:]
                source = plane[kh * width + kw:]  # (sliced: plane[start + t] is checked for
                # a negative index on every read, and the loop is no SIMD code then)
                for t in range(length):
                    row[t] = source[t]


@_inline
def _widened(y, n, out, start, width):
    """out[o, start + r * width + j] = y[n, o, r, j], and 0 in the width - Wo columns after
    each row but the last: image n of an output-shaped array (N, O, Ho, Wo) laid wide."""
    out_h, out_w = y.shape[2], y.shape[3]
    for o in range(y.shape[1]):
        for r in range(out_h):
            target = out[o, start + r * width:]
            source = y[n, o, r]
            for j in range(out_w):
                target[j] = source[j]
            if r < out_h - 1:
                for j in range(out_w, width):
                    target[j] = 0


@_inline
def _product(gemm, a, b, out):
    """out = a @ b for C-contiguous 2-D arrays: by NumPy's own BLAS at address ``gemm``
    (numpy_gemm), or by np.dot (SciPy's BLAS) where ``gemm`` is 0."""
    if gemm:
        _cblas_gemm(gemm, False, a.shape[0], b.shape[1], a.shape[1], a, b, out)
    else:
        np.dot(a, b, out)


@_inline
def _product_bt(gemm, a, b, out):
    """out = a @ b.T for C-contiguous 2-D arrays (b: rows of a's length), as _product."""
    if gemm:
        _cblas_gemm(gemm, True, a.shape[0], b.shape[0], a.shape[1], a, b, out)
    else:
        np.dot(a, b.T, out)


@_inline
def _laid_out(out, y, n, bias, width):
    """y[n, o, r, j] = out[o, r * width + j] (+ bias[o] unless ``bias`` is empty): an image's
    wide output rows laid out, the extra columns dropped."""
    for o in range(y.shape[1]):
        for r in range(y.shape[2]):
            target = y[n, o, r]
            source = out[o, r * width:]
            if bias.size:
                for j in range(y.shape[3]):
                    target[j] = source[j] + bias[o]
            else:
                for j in range(y.shape[3]):
                    target[j] = source[j]


@_free_loop
def conv_wide(half, lo, hi, x, w, bias, y, top, left, width, gemm):
    """conv.Conv.forward by wide rows for images lo .. hi - 1 (half ``half`` of the batch) of x
    (N, C, H, W), zero-padded by ``top`` rows and ``left`` columns (and as many after as the
    output's size needs): y[n] = w (O, C * KH * KW) @ the image's columns, each output row
    taken from its wide row (the Wp - Wo extra values dropped), + bias[o] (no bias when
    ``bias`` is empty)."""
    out_channels, out_h, out_w = y.shape[1], y.shape[2], y.shape[3]
    kernel_h, kernel_w = w.shape[2], w.shape[3]
    weight = w.reshape(out_channels, -1)
    length = (out_h - 1) * width + out_w
    planes = np.zeros((x.shape[1], (out_h + kernel_h - 1) * width), dtype=x.dtype)
    cols = np.empty((weight.shape[1], length), dtype=x.dtype)
    out = np.empty((out_channels, length), dtype=x.dtype)
    for n in range(lo, hi):
        _padded_planes(x, n, planes, top, left, width)
        _wide_columns(planes, cols, 0, width, kernel_h, kernel_w, length)
        _product(gemm, weight, cols, out)
        _laid_out(out, y, n, bias, width)


@_parallel_loop
def conv_wide_in_halves(n, x, w, bias, y, top, left, width, gemm):
    """conv_wide for both halves of the batch at once, on two of Numba's threads."""
    for half in prange(2):
        lo, hi = _half(half, n)
        conv_wide(half, lo, hi, x, w, bias, y, top, left, width, gemm)


@_free_loop
def conv_wide_input_grad(half, lo, hi, grad, w, x, top, left, width, gemm):
    """conv.ConvTranspose.forward by wide rows for images lo .. hi - 1 (half ``half``): the
    image's columns = w^T (C * KH * KW, O) @ its gradient laid wide (zero in the extra
    columns, so those columns are 0 for a finite weight), added back into a zeroed padded
    plane kernel offset by kernel offset in order (as conv.col2im adds them), whose inside
    (from row ``top``, column ``left``) is x[n] (N, C, H, W)."""
    out_channels = grad.shape[1]
    channels, kernel_h, kernel_w = w.shape[1], w.shape[2], w.shape[3]
    weight_t = np.ascontiguousarray(w.reshape(out_channels, -1).T)
    length = (grad.shape[2] - 1) * width + grad.shape[3]
    wide = np.empty((out_channels, length), dtype=grad.dtype)
    cols = np.empty((weight_t.shape[0], length), dtype=grad.dtype)
    plane = np.empty((grad.shape[2] + kernel_h - 1) * width, dtype=grad.dtype)  # Hp * Wp
    for n in range(lo, hi):
        _widened(grad, n, wide, 0, width)
        _product(gemm, weight_t, wide, cols)
        for c in range(channels):
            plane[:] = 0
            for kh in range(kernel_h):
                for kw in range(kernel_w):
                    row = cols[(c * kernel_h + kh) * kernel_w + kw]
                    target = plane[kh * width + kw:]
                    for t in range(length):
                        target[t] += row[t]
            for r in range(x.shape[2]):
                source = plane[(top + r) * width + left:]
                target = x[n, c, r]
                for j in range(x.shape[3]):
                    target[j] = source[j]


@_parallel_loop
def conv_wide_input_grad_in_halves(n, grad, w, x, top, left, width, gemm):
    """conv_wide_input_grad for both halves of the batch at once, on two of Numba's threads."""
    for half in prange(2):
        lo, hi = _half(half, n)
        conv_wide_input_grad(half, lo, hi, grad, w, x, top, left, width, gemm)


@_free_loop
def conv_wide_weight_grad(half, lo, hi, x, grad, halves_t, top, left, width, kernel_h, kernel_w,
                          group, gemm):
    """conv.ConvWeight.forward by wide rows for images lo .. hi - 1 of x (N, C, H, W), padded as
    in conv_wide: w_t = halves_t[half] (C * KH * KW, O) = the sum over the groups of images of
    their columns @ their gradient laid wide, transposed (zero in the extra columns: x must be
    finite), the groups' products added in order."""
    w_t = halves_t[half]
    out_channels, out_h = grad.shape[1], grad.shape[2]
    length = (out_h - 1) * width + grad.shape[3]
    planes = np.zeros((x.shape[1], (out_h + kernel_h - 1) * width), dtype=x.dtype)
    cols = np.empty((w_t.shape[0], group * length), dtype=x.dtype)
    wide = np.empty((out_channels, group * length), dtype=x.dtype)
    part = np.empty(w_t.shape, dtype=x.dtype)
    w_t[:] = 0
    for first in range(lo, hi, group):
        images = min(group, hi - first)
        for i in range(images):
            _padded_planes(x, first + i, planes, top, left, width)
            _wide_columns(planes, cols, i * length, width, kernel_h, kernel_w, length)
            _widened(grad, first + i, wide, i * length, width)
        if images < group:
            wide[:, images * length:] = 0
            cols[:, images * length:] = 0
        _product_bt(gemm, cols, wide, part)
        w_t += part


@_parallel_loop
def conv_wide_weight_grad_in_halves(n, x, grad, halves_t, top, left, width, kernel_h, kernel_w,
                                    group, gemm):
    """conv_wide_weight_grad for both halves of the batch at once, on two of Numba's threads."""
    for half in prange(2):
        lo, hi = _half(half, n)
        conv_wide_weight_grad(half, lo, hi, x, grad, halves_t, top, left, width, kernel_h,
                              kernel_w, group, gemm)


@_inline
def _tap_run(planes, k, width, kernel_h, kernel_w):
    """The run of an image's padded planes that tap k = (c, kh, kw) reads: its wide column."""
    c, offset = divmod(k, kernel_h * kernel_w)
    kh, kw = divmod(offset, kernel_w)
    return planes[c, kh * width + kw:]


@_free_loop_with_fused_sums
def conv_few_taps(half, lo, hi, x, w, bias, y, top, left, width):
    """conv_wide for a convolution of few taps (wide_rows.FEW_TAPS: a first layer's 1-3
    channels), without columns or BLAS: each tap's run is read where it lies in the padded
    planes, and two output rows take four taps a pass (their sums stay in cache, the eight
    weights in registers)."""
    out_channels, out_h, out_w = y.shape[1], y.shape[2], y.shape[3]
    kernel_h, kernel_w = w.shape[2], w.shape[3]
    taps = w[0].size
    weight = np.zeros((out_channels + 1, taps), dtype=x.dtype)  # (+1: an odd last row's pair)
    weight[:out_channels] = w.reshape(out_channels, taps)
    length = (out_h - 1) * width + out_w
    planes = np.zeros((x.shape[1], (out_h + kernel_h - 1) * width), dtype=x.dtype)
    out = np.empty((out_channels + 1, length), dtype=x.dtype)
    for n in range(lo, hi):
        _padded_planes(x, n, planes, top, left, width)
        out[:] = 0
        for o in range(0, out_channels, 2):
            r0, r1, a, b = out[o], out[o + 1], weight[o], weight[o + 1]
            k = 0
            while k + 4 <= taps:
                s0 = _tap_run(planes, k, width, kernel_h, kernel_w)
                s1 = _tap_run(planes, k + 1, width, kernel_h, kernel_w)
                s2 = _tap_run(planes, k + 2, width, kernel_h, kernel_w)
                s3 = _tap_run(planes, k + 3, width, kernel_h, kernel_w)
                a0, a1, a2, a3 = a[k], a[k + 1], a[k + 2], a[k + 3]
                b0, b1, b2, b3 = b[k], b[k + 1], b[k + 2], b[k + 3]
                for t in range(length):
                    v0, v1, v2, v3 = s0[t], s1[t], s2[t], s3[t]
                    r0[t] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3
                    r1[t] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3
                k += 4
            for last in range(k, taps):  # (the taps after the last four)
                s0 = _tap_run(planes, last, width, kernel_h, kernel_w)
                a0, b0 = a[last], b[last]
                for t in range(length):
                    r0[t] += a0 * s0[t]
                    r1[t] += b0 * s0[t]
        _laid_out(out, y, n, bias, width)


@_parallel_loop
def conv_few_taps_in_halves(n, x, w, bias, y, top, left, width):
    """conv_few_taps for both halves of the batch at once, on two of Numba's threads."""
    for half in prange(2):
        lo, hi = _half(half, n)
        conv_few_taps(half, lo, hi, x, w, bias, y, top, left, width)


@_free_loop_with_fused_sums
def conv_few_taps_weight_grad(half, lo, hi, x, grad, halves_t, top, left, width, kernel_h,
                              kernel_w):
    """conv_wide_weight_grad for few taps (see conv_few_taps), without columns or BLAS:
    w_t = halves_t[half] (taps, O) = the sum over images lo .. hi - 1 of each tap's run times
    the gradient laid wide (zero in the extra columns: x must be finite), two output channels
    by four taps a pass, each of the eight sums taken along the run."""
    w_t = halves_t[half]
    out_channels, out_h = grad.shape[1], grad.shape[2]
    taps = w_t.shape[0]
    length = (out_h - 1) * width + grad.shape[3]
    planes = np.zeros((x.shape[1], (out_h + kernel_h - 1) * width), dtype=x.dtype)
    wide = np.zeros((out_channels + 1, length), dtype=x.dtype)  # (+1: an odd last row's pair)
    zero = x.dtype.type(0)
    w_t[:] = 0
    for n in range(lo, hi):
        _padded_planes(x, n, planes, top, left, width)
        _widened(grad, n, wide, 0, width)
        for o in range(0, out_channels, 2):
            g0, g1 = wide[o], wide[o + 1]
            for k in range(0, taps, 4):
                # (past the last tap, the last one again: its sums are not kept)
                s0 = _tap_run(planes, k, width, kernel_h, kernel_w)
                s1 = _tap_run(planes, min(k + 1, taps - 1), width, kernel_h, kernel_w)
                s2 = _tap_run(planes, min(k + 2, taps - 1), width, kernel_h, kernel_w)
                s3 = _tap_run(planes, min(k + 3, taps - 1), width, kernel_h, kernel_w)
                a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = zero
                for t in range(length):
                    u, v = g0[t], g1[t]
                    v0, v1, v2, v3 = s0[t], s1[t], s2[t], s3[t]
                    a0 += u * v0
                    a1 += u * v1
                    a2 += u * v2
                    a3 += u * v3
                    b0 += v * v0
                    b1 += v * v1
                    b2 += v * v2
                    b3 += v * v3
                for j, (a, b) in enumerate(((a0, b0), (a1, b1), (a2, b2), (a3, b3))):
                    if k + j < taps:
                        w_t[k + j, o] += a
                        if o + 1 < out_channels:
                            w_t[k + j, o + 1] += b


@_parallel_loop
def conv_few_taps_weight_grad_in_halves(n, x, grad, halves_t, top, left, width, kernel_h, kernel_w):
    """conv_few_taps_weight_grad for both halves of the batch at once, on two of Numba's threads."""
    for half in prange(2):
        lo, hi = _half(half, n)
        conv_few_taps_weight_grad(half, lo, hi, x, grad, halves_t, top, left, width, kernel_h,
                                  kernel_w)


@_free_loop
def transpose_rows(a, out, r_lo, r_hi):
    """out[j, i] = a[i, j] for the rows r_lo .. r_hi - 1 of the matrix ``a``, in tiles of
    32 x 32 (the tile's rows of ``out`` stay in cache while it is filled): a big matrix's
    transposing copy at ~5x NumPy's (which walks ``out`` row by row, reading ``a`` a column
    at a time: a cache miss per value)."""
    for i0 in range(r_lo, r_hi, 32):
        i1 = min(i0 + 32, r_hi)
        for j0 in range(0, a.shape[1], 32):
            for j in range(j0, min(j0 + 32, a.shape[1])):
                row = out[j]
                for i in range(i0, i1):
                    row[i] = a[i, j]


@_free_loop
def im2col_rows(x, cols, c_lo, c_hi):
    """conv.im2col for a 2-D convolution with stride 1, no dilation, one group, channels
    c_lo .. c_hi - 1: cols[c, kh, kw, n, i, j] = x[n, c, i + kh, j + kw], x the padded input
    (N, C, Hp, Wp), cols (C, KH, KW, N, Ho, Wo).  Each output row is one contiguous run of an
    input row: ~1.5x NumPy's strided copy for LeNet's second convolution (its rows are 10
    values long), the same for ResNet-18's (each on two threads)."""
    for c in range(c_lo, c_hi):
        for kh in range(cols.shape[1]):
            for kw in range(cols.shape[2]):
                for n in range(cols.shape[3]):
                    for i in range(cols.shape[4]):
                        row = cols[c, kh, kw, n, i]
                        source = x[n, c, i + kh, kw:kw + row.size]
                        for j in range(row.size):
                            row[j] = source[j]


@_free_loop
def col2im_rows(cols, x, c_lo, c_hi, stride_h, stride_w):
    """conv.col2im for a 2-D convolution with no dilation, one group, channels c_lo .. c_hi - 1:
    x[c, n, i * stride_h + kh, j * stride_w + kw] += cols[c, kh, kw, n, i, j] into x (C, N, Hp,
    Wp) zeros, the kernel offsets in order (each sum in NumPy's order, the same bits).  Each
    image's plane takes all its offsets while it is in the core's cache (NumPy's adds pass over
    the whole gradient once per offset: ResNet-18's stride-2 input gradients' col2im 1.6-2.1x
    as fast so), each row one run (contiguous for stride 1, every stride_w-th value else)."""
    for c in range(c_lo, c_hi):
        for n in range(cols.shape[3]):
            for kh in range(cols.shape[1]):
                for kw in range(cols.shape[2]):
                    for i in range(cols.shape[4]):
                        row = cols[c, kh, kw, n, i]
                        if stride_w == 1:
                            target = x[c, n, i * stride_h + kh, kw:kw + row.size]
                            for j in range(row.size):
                                target[j] += row[j]
                        else:
                            end = kw + stride_w * (row.size - 1) + 1
                            strided = x[c, n, i * stride_h + kh, kw:end:stride_w]
                            for j in range(row.size):
                                strided[j] += row[j]


@_free_loop
def winograd_input(x, v, pad_h, pad_w, tiles_h, tiles_w, c_lo, c_hi):
    """v[4a + b, c, t] = (B^T d B)[a, b] for channels c_lo .. c_hi - 1, where d is the 4 x 4
    tile of x (N, C, H, W) at rows 2 ti - pad_h, columns 2 tj - pad_w (zeros outside x: the
    padding) and t = (n * tiles_h + ti) * tiles_w + tj.
    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]] on columns, then rows."""
    height, width = x.shape[2], x.shape[3]
    span = 2 * tiles_w + 2  # the padded width the tiles read
    copied = min(width, span - pad_w)
    row = np.zeros(span, dtype=x.dtype)
    even = np.empty((4, (tiles_h + 1) * tiles_w), dtype=x.dtype)  # d B, rows 0, 2, 4, ...
    odd = np.empty((4, (tiles_h + 1) * tiles_w), dtype=x.dtype)  # rows 1, 3, 5, ...
    length = tiles_h * tiles_w
    for c in range(c_lo, c_hi):
        for n in range(x.shape[0]):
            for r in range(2 * tiles_h + 2):  # d B: each padded row's columns combined
                source = r - pad_h
                row[:] = 0
                if 0 <= source < height:
                    row[pad_w:pad_w + copied] = x[n, c, source, :copied]
                out = even if r % 2 == 0 else odd
                at = (r // 2) * tiles_w
                for tj in range(tiles_w):
                    j = 2 * tj
                    out[0, at + tj] = row[j] - row[j + 2]
                    out[1, at + tj] = row[j + 1] + row[j + 2]
                    out[2, at + tj] = row[j + 2] - row[j + 1]
                    out[3, at + tj] = row[j + 1] - row[j + 3]
            t0 = n * length
            for b in range(4):  # B^T (d B): the rows combined, every tile of the plane
                e, o = even[b], odd[b]  # tile rows 2 ti, 2 ti + 1; + tiles_w: 2 ti + 2, + 3
                v0 = v[b, c, t0:t0 + length]
                v1 = v[4 + b, c, t0:t0 + length]
                v2 = v[8 + b, c, t0:t0 + length]
                v3 = v[12 + b, c, t0:t0 + length]
                for t in range(length):
                    v0[t] = e[t] - e[t + tiles_w]
                    v1[t] = o[t] + e[t + tiles_w]
                    v2[t] = e[t + tiles_w] - o[t]
                    v3[t] = o[t] - o[t + tiles_w]


@_free_loop_with_sums
def winograd_output(m, y, tiles_h, tiles_w, k_lo, k_hi, nonfinite):
    """y[n, k, 2 ti + a, 2 tj + b] = (A^T M A)[a, b] for channels k_lo .. k_hi - 1, where
    M[i, j] = m[4i + j, k, t] (t as in winograd_input), cut to y's size (N, K, Ho, Wo).
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]].  nonfinite[k] becomes the sum of (value - value)
    over channel k's outputs: 0 when all are finite, NaN when one is inf or NaN."""
    out_h, out_w = y.shape[2], y.shape[3]
    length = tiles_h * tiles_w
    rows = np.empty((2, 4, length), dtype=y.dtype)  # A^T M: output row a, column j of M
    line = np.empty(2 * tiles_w, dtype=y.dtype)
    for k in range(k_lo, k_hi):
        check = y.dtype.type(0)
        for n in range(y.shape[0]):
            t0 = n * length
            for j in range(4):  # A^T M: M's rows combined, every tile of the plane
                m0 = m[j, k, t0:t0 + length]
                m1 = m[4 + j, k, t0:t0 + length]
                m2 = m[8 + j, k, t0:t0 + length]
                m3 = m[12 + j, k, t0:t0 + length]
                r0, r1 = rows[0, j], rows[1, j]
                for t in range(length):
                    r0[t] = m0[t] + m1[t] + m2[t]
                    r1[t] = m1[t] - m2[t] - m3[t]
            for i in range(out_h):  # (A^T M) A: the columns combined, cut to y
                a, at = i % 2, (i // 2) * tiles_w
                s0, s1, s2, s3 = rows[a, 0], rows[a, 1], rows[a, 2], rows[a, 3]
                for tj in range(tiles_w):
                    line[2 * tj] = s0[at + tj] + s1[at + tj] + s2[at + tj]
                    line[2 * tj + 1] = s1[at + tj] - s2[at + tj] - s3[at + tj]
                out = y[n, k, i]
                for j in range(out_w):
                    out[j] = line[j]
                    check += line[j] - line[j]
        nonfinite[k] = check


@_free_loop
def winograd_grad_output(g, dm, tiles_h, tiles_w, k_lo, k_hi):
    """dm[4a + b, k, t] = (A G A^T)[a, b] for channels k_lo .. k_hi - 1, the adjoint of
    winograd_output: G the 2 x 2 tile of g (N, K, Ho, Wo) at rows 2 ti, columns 2 tj (zeros
    past its edge).  A = [[1, 0], [1, 1], [1, -1], [0, -1]] on columns, then rows."""
    out_h, out_w = g.shape[2], g.shape[3]
    length = tiles_h * tiles_w
    line = np.zeros(2 * tiles_w, dtype=g.dtype)
    cols = np.zeros((2, 4, length), dtype=g.dtype)  # G A^T: tile row i, column b
    for k in range(k_lo, k_hi):
        for n in range(g.shape[0]):
            for i in range(2 * tiles_h):  # G A^T: each row's columns combined
                line[:] = 0
                if i < out_h:
                    line[:out_w] = g[n, k, i]
                c0, c1, c2, c3 = cols[i % 2, 0], cols[i % 2, 1], cols[i % 2, 2], cols[i % 2, 3]
                at = (i // 2) * tiles_w
                for tj in range(tiles_w):
                    c0[at + tj] = line[2 * tj]
                    c1[at + tj] = line[2 * tj] + line[2 * tj + 1]
                    c2[at + tj] = line[2 * tj] - line[2 * tj + 1]
                    c3[at + tj] = -line[2 * tj + 1]
            t0 = n * length
            for b in range(4):  # A (G A^T): the rows combined, every tile of the plane
                e, o = cols[0, b], cols[1, b]
                d0 = dm[b, k, t0:t0 + length]
                d1 = dm[4 + b, k, t0:t0 + length]
                d2 = dm[8 + b, k, t0:t0 + length]
                d3 = dm[12 + b, k, t0:t0 + length]
                for t in range(length):
                    d0[t] = e[t]
                    d1[t] = e[t] + o[t]
                    d2[t] = e[t] - o[t]
                    d3[t] = -o[t]
