"""Random numbers: Generator, the default generator, seeding, and every random op.

One Generator object serves every random op.  Its engine is the Mersenne Twister (mt19937, from
NumPy's ``RandomState``), seeded the way torch seeds its CPU generator, and each op turns the
engine's 32-bit words into numbers the way torch's CPU kernels do, so that after
``ember.manual_seed(s)`` the values (and the position in the stream) are torch's:

- a float32 (or 16-bit float) uniform is 24 bits of one word: ``(w & 0xFFFFFF) * 2**-24``;
  a float64 uniform is the low 53 bits of two words (first word high);
- integers are a word modulo the range (two words when the range needs 64 bits);
- normal draws use Box-Muller: contiguous tensors of 16 or more elements in blocks of 16
  (``_normal_blocks``), anything else one pair of uniforms per two values (``_normal_pairs``).

``get_state``/``set_state`` use torch's byte layout, so states move between ember and torch.
"""

import contextlib
import math
import os
import struct

import numpy as np

from . import _device
from . import _dtype as D
from ._errors import allocation_error
from ._random_math import box_muller16, fma, libm

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator",
           "get_rng_state", "set_rng_state", "fork_rng", "rand", "randn", "randint", "randperm",
           "normal", "bernoulli", "multinomial", "rand_like", "randn_like", "randint_like"]

_DEFAULT_SEED = 67280421310721  # torch's default CPU seed
_N = 624  # words in the Mersenne Twister's state
_STATE_BYTES = 5056  # torch's CPU generator state: seed, position, 624 words, cached normals
_U64 = np.uint64


class Generator:
    """A source of random numbers (``ember.Generator(device='cpu')``), as torch.Generator."""

    def __init__(self, device="cpu"):
        self.device = _device.device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed % (1 << 64)  # NOTE: negative seeds wrap to unsigned, as in torch
        # NOTE: the Mersenne Twister is seeded with the low 32 bits of the seed
        self._mt = np.random.RandomState(self._seed & 0xFFFFFFFF)
        self._fresh = True  # no word drawn since seeding (only matters for the state bytes)
        self._next_normal = None  # the second value of the last one-at-a-time Box-Muller pair
        self._next_float_normal = None  # kept in the state bytes; no op uses it
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        """Seed from the operating system's entropy (53 bits, as torch) and return the seed."""
        s = int.from_bytes(os.urandom(8), "little") & ((1 << 53) - 1)
        self.manual_seed(s)
        return s

    def get_state(self):
        """The state as a uint8 tensor of 5056 bytes, laid out as torch's CPU generator state."""
        from .ops.creation import tensor

        _, key, pos = self._mt.get_state()[:3]
        if self._fresh:
            left, nxt = 1, 0
        else:
            left, nxt = _N + 1 - pos, pos
        buf = bytearray(_STATE_BYTES)
        struct.pack_into("<QiiQ", buf, 0, self._seed, left, 1, nxt)
        buf[24:24 + 8 * _N] = np.asarray(key, dtype="<u8").tobytes()
        cached = self._next_normal
        struct.pack_into("<dddi", buf, 24 + 8 * _N, 0.0, cached or 0.0, 0.0, cached is not None)
        fcached = self._next_float_normal
        struct.pack_into("<f?", buf, 5048, fcached or 0.0, fcached is not None)
        return tensor(np.frombuffer(bytes(buf), dtype=np.uint8), dtype=D.uint8)

    def set_state(self, new_state):
        raw = np.asarray(new_state._host() if hasattr(new_state, "_host") else new_state)
        if raw.dtype != np.uint8:
            raise TypeError("expected a torch.ByteTensor, but got " + str(new_state.dtype))
        if raw.size not in (_STATE_BYTES, 5048):  # 5048: the older layout, without the float
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but "
                               f"found the input RNG state size to be {raw.size}")
        buf = raw.tobytes()
        seed, left, _, nxt = struct.unpack_from("<QiiQ", buf, 0)
        key = np.frombuffer(buf, dtype="<u8", count=_N, offset=24).astype(np.uint32)
        _, normal_y, _, valid = struct.unpack_from("<dddi", buf, 24 + 8 * _N)
        # the engine refills its words when one is left; otherwise it reads word `nxt` next
        self._mt.set_state(("MT19937", key, _N if left == 1 else nxt))
        self._seed = seed
        self._fresh = left == 1 and nxt == 0
        self._next_normal = normal_y if valid else None
        self._next_float_normal = None
        if raw.size == _STATE_BYTES:
            fvalue, fvalid = struct.unpack_from("<f?", buf, 5048)
            self._next_float_normal = fvalue if fvalid else None
        return self

    def clone_state(self):
        return Generator(self.device).set_state(self.get_state())

    def __reduce__(self):
        return (_rebuild_generator, (str(self.device), self.get_state()._host().tobytes()))

    # ------------------------------------------------------------------ raw draws

    def _words(self, n):
        """The next n 32-bit words of the Mersenne Twister, in order (as uint32)."""
        self._fresh = self._fresh and n == 0
        # NOTE: a full-range uint32 randint hands out the engine's words unchanged
        return self._mt.randint(0, 1 << 32, size=n, dtype=np.uint32)

    def _u32(self, n):
        """The next n words as uint64 (room for the arithmetic the integer draws do)."""
        return self._words(n).astype(_U64)

    def _u64(self, n):
        """n 64-bit numbers, each from two words (the first is the high half).
        NOTE: a full-range uint64 randint hands out exactly these (first word high), in one
        draw per number: 1.6 ns a word against 2.3 for words drawn one at a time."""
        self._fresh = self._fresh and n == 0
        return self._mt.randint(0, 1 << 64, size=n, dtype=np.uint64)

    def _uniform(self, n, dtype):
        """n uniforms in [0, 1) (as float64 values): 53 bits of two words for float64, else
        24 bits of one word (16-bit floats round these)."""
        if dtype is D.float64:
            return (self._u64(n) & _U64((1 << 53) - 1)).astype(np.float64) * 2.0 ** -53
        # NOTE: masked in uint32, not widened first: a third of the time of a uint64 pass
        return (self._words(n) & np.uint32((1 << 24) - 1)).astype(np.float64) * 2.0 ** -24


def _rebuild_generator(device, state):
    return Generator(device).set_state(np.frombuffer(state, dtype=np.uint8))


default_generator = Generator()
# NOTE: CUDA tensors draw from their own generator (the same algorithm, run on the host, then
# copied): reproducible run to run and seeded by manual_seed, but not torch's CUDA numbers.
cuda_generator = Generator("cuda")


def manual_seed(seed):
    """Seed the default generator and the CUDA one (returns the default), as torch.manual_seed."""
    cuda_generator.manual_seed(seed)
    return default_generator.manual_seed(seed)


def seed():
    """Seed the default generator from the OS's entropy; return the seed."""
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state: a uint8 tensor in torch's layout."""
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Run a block with the default generator's state saved before and restored after, and the
    CUDA generator's too unless ``devices`` is empty (ember keeps one generator for all CUDA
    devices, so which devices are named does not matter beyond that)."""
    if not enabled:
        yield
        return
    generators = [default_generator]
    if device_type == "cuda" and (devices is None or len(list(devices)) > 0):
        generators.append(cuda_generator)
    states = [g.get_state() for g in generators]
    try:
        yield
    finally:
        for g, state in zip(generators, states):
            g.set_state(state)


# ---------------------------------------------------------------------------- the maths


def _normal_blocks(gen, n, dtype, mean, std):
    """torch's normal fill for contiguous tensors of n >= 16 elements: n uniforms, Box-Muller on
    each full block of 16, then the last 16 elements redone from 16 fresh uniforms if n is not
    a multiple of 16."""
    double = dtype is D.float64
    full = n - n % 16
    # NOTE: for float16/bfloat16 torch draws uniforms for the full blocks only, not for all n
    u = gen._uniform(full if dtype.itemsize == 2 else n, dtype)
    out = np.empty(n, dtype=np.float64)
    out[:full] = box_muller16(u[:full].reshape(-1, 16), double, mean, std).ravel()
    if n % 16:
        fresh = gen._uniform(16, dtype).reshape(1, 16)
        out[n - 16:] = box_muller16(fresh, double, mean, std).ravel()
    return out


def _normal_pairs(gen, n):
    """n standard normals drawn one at a time: each pair of float64 uniforms (u1, u2) gives
    r = sqrt(-2 log(1 - u2)), theta = 2*pi*u1, the value r cos(theta) and r sin(theta) kept in
    the generator for the next draw (by any op)."""
    out = np.empty(n, dtype=np.float64)
    start = 0
    if n and gen._next_normal is not None:
        out[0] = gen._next_normal
        gen._next_normal = None
        start = 1
    pairs = (n - start + 1) // 2
    u = gen._uniform(2 * pairs, D.float64)
    r = np.sqrt(-2.0 * libm(math.log1p, -u[1::2]))
    theta = 2.0 * math.pi * u[0::2]
    z = np.empty(2 * pairs)
    z[0::2], z[1::2] = r * np.cos(theta), r * np.sin(theta)
    out[start:] = z[:n - start]
    if (n - start) % 2:
        gen._next_normal = float(z[-1])
    return out


def _generator(generator, tensor=None):
    """The generator to draw from: the given one, else the default of the tensor's device."""
    if generator is not None:
        return generator
    if tensor is not None and tensor.device.type == "cuda":
        return cuda_generator
    return default_generator


def _draw_order(tensor):
    """The axes of ``tensor`` from the slowest to the fastest in memory: torch fills a tensor
    in memory order, so a transposed view gets its values column by column."""
    if tensor._data.flags.c_contiguous:
        return None
    strides = tensor._data.strides
    return sorted(range(tensor._data.ndim), key=lambda d: -abs(strides[d]))


def _fill(tensor, flat, scale=None):
    """Write ``flat`` (values in torch's fill order) into ``tensor`` in place (times ``scale``,
    a scalar of the tensor's dtype, when given: on the CPU only)."""
    from .ops.convert import move_array

    tensor._check_inplace()
    tensor._check_no_overlap()
    order = _draw_order(tensor)
    shape = tensor._data.shape
    if order is None:
        values = flat.reshape(shape)
    else:
        values = flat.reshape([shape[d] for d in order]).transpose(np.argsort(order))
    if scale is not None:
        np.multiply(values, scale, out=tensor._data)
    elif tensor.device.type == "cpu":  # converted while copied: one pass
        np.copyto(tensor._data, values, casting="unsafe")
    else:
        tensor._data[...] = move_array(values.astype(tensor._data.dtype), tensor.device)
    tensor._counter().value += 1
    return tensor


def _meta_fill(tensor):
    """A random fill of a ``meta`` tensor: there are no values to fill, and (as in torch) the
    generator does not move."""
    tensor._check_inplace()
    tensor._counter().value += 1
    return tensor


def _need_float(tensor, kernel):
    if tensor.dtype.category != D.FLOAT:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{tensor.dtype._short}\'')


def _real_view(tensor):
    """A float tensor sharing a complex tensor's memory, with its real and imaginary parts
    as a last dim of 2 (torch's view_as_real): complex fills draw into it, as torch's do."""
    from ._tensor import Tensor

    data = tensor._data
    part = data.real  # a view of the real parts, with the complex array's strides
    xp = np if isinstance(data, np.ndarray) else _device.xp_for(tensor.device)
    view = xp.lib.stride_tricks.as_strided(part, data.shape + (2,),
                                           data.strides + (part.itemsize,))
    return Tensor._make(view, tensor.device)


def _fill_complex(tensor, fill, *args, generator=None):
    """Fill a complex tensor by filling its real view (the real and imaginary parts in
    memory order); the complex tensor's version moves once."""
    tensor._check_inplace()
    tensor._check_no_overlap()
    fill(_real_view(tensor), *args, generator=generator)
    tensor._counter().value += 1
    return tensor


def _acc(dtype):
    """The NumPy type the arithmetic of a float fill is done in (float32 for 16-bit floats)."""
    return np.float64 if dtype is D.float64 else np.float32


# ---------------------------------------------------------------------------- in-place fills


def uniform_(tensor, from_=0.0, to=1.0, *, generator=None):
    """Fill ``tensor`` with U(from, to): u * (to - from) + from, in the tensor's precision.
    A complex tensor gets such draws for its real and imaginary parts (as torch)."""
    if tensor.dtype.category == D.COMPLEX:
        return _fill_complex(tensor, uniform_, from_, to, generator=generator)
    _need_float(tensor, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={from_:g} > to={to:g}")
    if tensor.device.type == "meta":
        return _meta_fill(tensor)
    acc = _acc(tensor.dtype)
    lo, hi = acc(from_), acc(to)
    u = _generator(generator, tensor)._uniform(tensor.numel(), tensor.dtype)
    if from_ == 0 and to == 1:
        values = u
    elif acc is np.float64:
        # NOTE: one fused multiply-add; for float32 the float64 product is exact, so one rounding
        values = fma(u, hi - lo, lo)
    else:
        values = (u * float(hi - lo) + float(lo)).astype(acc)
    if tensor.dtype.itemsize == 2:  # rounding to 16 bits can reach `to`: torch gives `from`
        values = D.cast(np.asarray(values, dtype=np.float32), tensor.dtype)
        values[values == values.dtype.type(to)] = from_
    return _fill(tensor, values)


def _normal_values(gen, tensor, mean, std):
    n = tensor.numel()
    if n >= 16 and tensor._data.flags.c_contiguous:
        return _normal_blocks(gen, n, tensor.dtype, mean, std)
    z = _normal_pairs(gen, n)
    return z * std + mean if tensor.dtype is not D.float64 else fma(z, std, mean)


def normal_(tensor, mean=0.0, std=1.0, *, generator=None):
    """Fill ``tensor`` with N(mean, std^2) draws (Box-Muller), in place.

    A complex tensor gets N(mean, std^2 / 2) draws for its real and imaginary parts, so that
    E|z - mean|^2 = std^2 (torch's complex normal, which divides std by sqrt(2)).
    """
    if tensor.dtype.category == D.COMPLEX:
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        return _fill_complex(tensor, normal_, mean, std / math.sqrt(2), generator=generator)
    _need_float(tensor, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if tensor.device.type == "meta":
        return _meta_fill(tensor)
    gen = _generator(generator, tensor)
    return _fill(tensor, _normal_values(gen, tensor, float(mean), float(std)))


def log_normal_(tensor, mean=1.0, std=2.0, *, generator=None):
    """Fill with exp(N(mean, std^2)) draws (always the one-at-a-time Box-Muller)."""
    _need_float(tensor, "log_normal_cpu")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    if tensor.device.type == "meta":
        return _meta_fill(tensor)
    z = fma(_normal_pairs(_generator(generator, tensor), tensor.numel()), float(std), float(mean))
    return _fill(tensor, libm(math.exp, z))


def bernoulli_(tensor, p=0.5, *, generator=None):
    """Fill with 1 where a uniform draw is below p (a float, or a tensor broadcast to ``tensor``).

    A float p is compared with float64 uniforms; a tensor p with uniforms of its own precision.
    """
    from ._tensor import Tensor

    if tensor.device.type == "meta":
        return _meta_fill(tensor)
    gen = _generator(generator, tensor)
    if isinstance(p, Tensor):
        order = _draw_order(tensor)
        probs = np.broadcast_to(p._host(), tensor._data.shape)
        if order is not None:
            probs = probs.transpose(order)
        uniform_dtype = D.float64 if p.dtype is D.float64 else D.float32
        mask = gen._uniform(tensor.numel(), uniform_dtype) < probs.ravel()
        return _fill(tensor, mask)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    if _bernoulli_in_kernel(gen, tensor, float(p), 1):
        return tensor
    return _fill(tensor, _below(gen, tensor.numel(), float(p)))


def scaled_bernoulli_(tensor, p, scale):
    """``bernoulli_(tensor, p)`` for a float p on a CPU tensor, writing ``scale`` where it
    writes 1 (dropout's noise, 0 or 1 / (1 - p), in one pass): the same draws."""
    gen = _generator(None, tensor)
    if _bernoulli_in_kernel(gen, tensor, float(p), scale):
        return tensor
    return _fill(tensor, _below(gen, tensor.numel(), float(p)), scale)


# a fill of at least this many values draws in ember/_kernels.py's loop (when it runs): the
# engine's state goes there and back (~60 us), the loop saves ~2 ns a value
KERNEL_DRAWS = 1 << 15


def scaled_uniform_below_(tensor, p, value):
    """Fill a CPU float32 ``tensor`` with ``value`` where a float32 uniform (one word, 24
    bits: what ``rand`` draws) is below p, else 0: attention's dropout mask, ``(rand(...) <
    p) * value`` without its three passes; the same draws and values."""
    gen = _generator(None, tensor)
    if _bernoulli_in_kernel(gen, tensor, p, value, two_words=False):
        return tensor
    u = gen._uniform(tensor.numel(), D.float32)  # k * 2^-24, exact in float64
    return _fill(tensor, u < np.float32(p), value)


def _bernoulli_in_kernel(gen, tensor, p, value, two_words=True):
    """_fill(tensor, _below(gen, n, p), value) as one compiled loop (ember/_kernels.py:
    bernoulli_fill, the same draws and values) for a big C-contiguous float32 or float64 CPU
    tensor; False (nothing drawn) where it does not run.  ``two_words`` False: the one-word
    float32 uniforms of scaled_uniform_below_ instead."""
    from . import _kernels

    data = tensor._data
    if (not _kernels.ENABLED or type(data) is not np.ndarray or data.size < KERNEL_DRAWS
            or data.dtype.type not in (np.float32, np.float64) or not data.flags.c_contiguous):
        return False
    tensor._check_inplace()
    tensor._check_no_overlap()
    if two_words:
        threshold = np.uint64(math.ceil(p * 2.0 ** 53))
    else:  # u < p in float32, u = k * 2^-24: k < p * 2^24 (exact: p is a float32)
        threshold = np.uint64(math.ceil(float(np.float32(p)) * 2.0 ** 24))
    # the engine's own lock (NumPy's draws take it) held from reading its state to writing it
    # back: another thread's draw in between would reuse these words
    with gen._mt._bit_generator.lock:
        state = gen._mt.get_state()
        words = state[1].astype(np.uint32)  # (a copy: the loop twists it)
        pos = _kernels.bernoulli_fill(words, state[2], data.reshape(-1), threshold,
                                      data.dtype.type(value), two_words)
        gen._mt.set_state((state[0], words, pos) + tuple(state[3:]))
    gen._fresh = False
    tensor._counter().value += 1
    return True


def _below(gen, n, p):
    """n draws of (u < p) for torch's float64 uniforms u = k * 2^-53, k the low 53 bits of two
    words (the first word high).  NOTE: u < p is k < p * 2^53 (both sides scaled by a power
    of two), that is k < ceil(p * 2^53): one integer comparison."""
    k = gen._u64(n)
    k &= _U64((1 << 53) - 1)
    return k < _U64(math.ceil(p * 2.0 ** 53))


# full-range random_(): a word modulo (the largest integer the dtype holds exactly) + 1
_FULL_RANGE = {D.bool: (1, 2), D.uint8: (1, 1 << 8), D.int8: (1, 1 << 7), D.int16: (1, 1 << 15),
               D.int32: (1, 1 << 31), D.int64: (2, 1 << 63), D.float16: (1, (1 << 11) + 1),
               D.bfloat16: (1, (1 << 8) + 1), D.float32: (1, (1 << 24) + 1),
               D.float64: (2, (1 << 53) + 1)}


def _random_ints(gen, n, low, span):
    """n integers uniform in [low, low + span): a word (two if span needs more than 32 bits)
    modulo span, plus low (wrapping as int64)."""
    words = gen._u64(n) if span >= 1 << 32 else gen._u32(n)
    return ((words % _U64(span)) + _U64(low % (1 << 64))).view(np.int64)


def random_(tensor, *args, generator=None, **kwargs):
    """``random_()``, ``random_(to)``, ``random_(from, to)``: integers in [from, to).

    With no bounds: [0, 2**mantissa] for floats, [0, max] for integers. ``to=None``: up to the
    dtype's largest value.
    """
    if "from" in kwargs:
        args = (kwargs.pop("from"),) + args
    if "to" in kwargs:
        args = (args[0] if args else 0, kwargs.pop("to"))
    if tensor.device.type == "meta":
        return _meta_fill(tensor)
    gen = _generator(generator, tensor)
    n = tensor.numel()
    if not args:
        nwords, span = _FULL_RANGE[tensor.dtype]
        words = gen._u64(n) if nwords == 2 else gen._u32(n)
        return _fill(tensor, (words % _U64(span)).astype(np.int64))
    low, high = (0, args[0]) if len(args) == 1 else args
    if high is None:
        if tensor.dtype.category == D.FLOAT:
            top = 1 << {D.float16: 11, D.bfloat16: 8, D.float32: 24}.get(tensor.dtype, 53)
        else:
            top = D.iinfo(tensor.dtype).max if tensor.dtype is not D.bool else 1
        if low > top:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less or equal to "
                               f"'to_inc' casted to dtype, but got from={low} > to_inc={top}")
        if top - low + 1 >= 1 << 64:  # the whole int64 range: a 64-bit number as it is
            return _fill(tensor, gen._u64(n).view(np.int64))
        return _fill(tensor, _random_ints(gen, n, low, top - low + 1))
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    return _fill(tensor, _random_ints(gen, n, low, high - low))


def exponential_(tensor, lambd=1.0, *, generator=None):
    """Fill with Exp(lambd) draws: -log(1 - u) / lambd from float64 uniforms."""
    _need_float(tensor, "exponential_cpu")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    if tensor.device.type == "meta":
        return _meta_fill(tensor)
    u = _generator(generator, tensor)._uniform(tensor.numel(), D.float64)
    log = libm(math.log1p, -u) if tensor.dtype is D.float64 else np.log1p(-u)
    return _fill(tensor, -1.0 / lambd * log)


def geometric_(tensor, p, *, generator=None):
    """Fill with the number of Bernoulli(p) trials up to the first success:
    ceil(log(u) / log(1 - p))."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    if tensor.device.type == "meta":
        return _meta_fill(tensor)
    u = _generator(generator, tensor)._uniform(tensor.numel(), D.float64)
    with np.errstate(divide="ignore"):
        return _fill(tensor, np.ceil(np.log(u) / math.log1p(-p)))


def cauchy_(tensor, median=0.0, sigma=1.0, *, generator=None):
    """Fill with Cauchy(median, sigma) draws: median + sigma * tan(pi * (u - 1/2))."""
    _need_float(tensor, "cauchy_cpu")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    if tensor.device.type == "meta":
        return _meta_fill(tensor)
    u = _generator(generator, tensor)._uniform(tensor.numel(), D.float64)
    angle = math.pi * (u - 0.5)
    tan = libm(math.tan, angle) if tensor.dtype is D.float64 else np.tan(angle)
    return _fill(tensor, median + sigma * tan)


# ---------------------------------------------------------------------------- new tensors


def _size(size, fn):
    """The shape from ``rand(2, 3)``, ``rand((2, 3))`` or ``rand(Size([2, 3]))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{fn}(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
    return tuple(int(s) for s in size)


def _tensor(array, dtype, device, requires_grad=False):
    """A new tensor of ``dtype`` on ``device`` holding (a copy of) ``array``."""
    from ._tensor import Tensor
    from .ops.convert import move_array

    dev = _device.canonical(device)
    array = np.array(array, dtype=D.to_numpy_dtype(dtype))
    if dev.type != "cpu":
        array = move_array(array, dev)
    t = Tensor._make(array, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _new(shape, dtype, device, requires_grad, fill, *args, generator=None):
    """A fresh tensor of ``shape`` filled in place by ``fill``, then made to require grad."""
    dtype = dtype or D.get_default_dtype()
    np_dtype = D.to_numpy_dtype(dtype)
    try:
        zeros = np.zeros(shape, dtype=np_dtype)
    except (MemoryError, ValueError) as e:  # sizes too large: torch's words, not NumPy's
        raise allocation_error(e, shape, np_dtype.itemsize) from None
    t = _tensor(zeros, dtype, device)
    fill(t, *args, generator=generator)
    if requires_grad:
        t.requires_grad_(True)
    return t


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """Uniform draws in [0, 1). Same as torch.rand."""
    from .ops.binary import factory_out, write_out

    dtype, device = factory_out(dtype, device, out, "rand")
    result = _new(_size(size, "rand"), dtype, device, requires_grad, uniform_,
                  generator=generator)
    return write_out(result, out, "rand")


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    """Standard normal draws. Same as torch.randn."""
    from .ops.binary import factory_out, write_out

    dtype, device = factory_out(dtype, device, out, "randn")
    result = _new(_size(size, "randn"), dtype, device, requires_grad, normal_,
                  generator=generator)
    return write_out(result, out, "randn")


def randint(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False):
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high), int64
    unless ``dtype`` says otherwise."""
    from .ops.binary import factory_out, write_out

    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        *args, size = args
    if len(args) not in (1, 2):
        raise TypeError("randint() received an invalid combination of arguments")
    low, high = (0, args[0]) if len(args) == 1 else args
    shape = _size((size,), "randint")
    dtype, device = factory_out(dtype, device, out, "randint")
    result = _new(shape, dtype or D.int64, device, requires_grad, random_, low, high,
                  generator=generator)
    return write_out(result, out, "randint")


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of 0..n-1 (int64 unless ``dtype`` says otherwise).

    Fisher-Yates from the front: position i swaps with i + (word mod (n - i)).
    """
    from .ops.binary import factory_out, write_out

    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    gen = _generator(generator)
    perm = list(range(n))
    if n < (1 << 32) // 20:
        offsets = (gen._u32(max(n - 1, 0)) % np.arange(n, 1, -1, dtype=_U64)).tolist()
        for i, k in enumerate(offsets):
            j = i + k
            perm[i], perm[j] = perm[j], perm[i]
    else:  # huge n: the inside-out variant with 64-bit draws, so the modulo stays unbiased
        for i, w in enumerate(gen._u64(n).tolist()):
            j = w % (i + 1)
            perm[i], perm[j] = perm[j], i
    dtype, device = factory_out(dtype, device, out, "randperm")
    result = _tensor(np.array(perm, dtype=np.int64), dtype or D.int64, device, requires_grad)
    return write_out(result, out, "randperm")


def _like(fn, input, dtype, device, requires_grad, fill, *args, generator=None):
    dtype = D.check_dtype(dtype, fn)
    return _new(input.shape, dtype or input.dtype, device or input.device, requires_grad, fill,
                *args, generator=generator)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None):
    return _like("rand_like", input, dtype, device, requires_grad, uniform_, generator=generator)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None):
    return _like("randn_like", input, dtype, device, requires_grad, normal_, generator=generator)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None):
    """``randint_like(input, high)`` or ``randint_like(input, low, high)``."""
    if high is None:
        low, high = 0, low
    return _like("randint_like", input, dtype, device, requires_grad, random_, low, high,
                 generator=generator)


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False):
    """N(mean, std^2) draws. ``mean`` and ``std`` are floats (then ``size`` is needed) or
    tensors (broadcast together); with tensors the draws are N(0, 1) scaled and shifted."""
    from ._tensor import Tensor
    from .ops.binary import factory_out, write_out

    dtype, device = factory_out(dtype, device, out, "normal")
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            "(float, float), but expected (float mean, float std, tuple size)")
        result = _new(_size((size,), "normal"), dtype, device, requires_grad, normal_, mean,
                      std, generator=generator)
        return write_out(result, out, "normal")
    ref = mean if isinstance(mean, Tensor) else std
    m = mean._host() if isinstance(mean, Tensor) else mean
    s = std._host() if isinstance(std, Tensor) else std
    if isinstance(std, Tensor):
        if std.numel() and std._host().min() < 0:
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    # with out=, torch draws in out's dtype (normal_ on out), then shifts and scales
    dtype = dtype if out is not None else ref.dtype
    z = _new(shape, dtype, "cpu", False, normal_, 0.0,
             std if not isinstance(std, Tensor) else 1.0, generator=generator)._data
    if isinstance(std, Tensor):
        z = z * s
    result = _tensor(np.asarray(z + m), dtype, ref.device, requires_grad)
    return write_out(result, out, "normal")


def bernoulli(input, p=None, *, generator=None, out=None):
    """1 with probability ``input`` (or the float ``p``), else 0, in ``input``'s dtype."""
    from .ops.binary import write_out
    from .ops.creation import empty_like

    # with out=, torch fills out itself (out.bernoulli_(input)): the draws are in out's dtype
    dtype = out.dtype if out is not None else None
    result = bernoulli_(empty_like(input, dtype=dtype), input if p is None else p,
                        generator=generator)
    return write_out(result, out, "bernoulli")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from the rows of ``input`` (weights, not necessarily normalised).

    Without replacement (or for one sample) each category gets a key w / E with E ~ Exp(1) and
    the largest keys win; with replacement each sample is a uniform looked up in the running
    sum of the weights (divided by their total).
    """
    from .ops.binary import write_out
    from .ops.creation import empty_like

    if out is not None and out.dtype is not D.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {out.dtype._short}")
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.is_floating_point():
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype._short}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    weights = input._host()
    n_cat = weights.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = weights.reshape(-1, n_cat)
    if np.any(rows.sum(axis=1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    gen = _generator(generator, input)
    if not replacement or num_samples == 1:
        noise = exponential_(empty_like(input), generator=gen)._host().reshape(rows.shape)
        keys = rows / noise
        picks = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    else:
        cum = np.cumsum(rows, axis=1)  # NOTE: a running (not pairwise) sum, in input's dtype
        cum = cum / cum[:, -1:]
        picks = np.empty((rows.shape[0], num_samples), dtype=np.int64)
        for i, row in enumerate(cum):
            u = gen._uniform(num_samples, D.float64)
            picks[i] = np.minimum(np.searchsorted(row, u, side="left"), n_cat - 1)
    picks = picks.reshape(weights.shape[:-1] + (num_samples,))
    result = _tensor(picks.astype(np.int64), D.int64, input.device, False)
    return write_out(result, out, "multinomial")


# Tensor methods (installed by ember/_methods.py); random fills are in place by nature
METHODS = {"uniform_": uniform_, "normal_": normal_, "bernoulli_": bernoulli_,
           "random_": random_, "exponential_": exponential_, "geometric_": geometric_,
           "log_normal_": log_normal_, "cauchy_": cauchy_, "bernoulli": bernoulli,
           "multinomial": multinomial}
