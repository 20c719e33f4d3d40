"""Random numbers: Generator, the default generator, manual_seed, and the random ops.

One Generator object serves every random op.  Its engine is the Mersenne Twister (mt19937),
seeded the way torch seeds its CPU generator, and float32 uniforms are built from 24 bits of
one 32-bit draw as torch builds them, so ``manual_seed(s); rand(n)`` gives torch's numbers.
"""

import numpy as np

from . import _device
from . import _dtype as D

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator"]

_DEFAULT_SEED = 67280421310721  # torch's default CPU seed


class Generator:
    """A source of random numbers (``ember.Generator(device='cpu')``), as torch.Generator."""

    def __init__(self, device="cpu"):
        self.device = _device.device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed)
        self._seed = seed
        # NOTE: torch seeds mt19937 with the low 32 bits of the seed
        self._mt = np.random.RandomState(seed & 0xFFFFFFFF)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        s = int.from_bytes(np.random.SeedSequence().entropy.to_bytes(16, "little")[:8],
                           "little") & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def get_state(self):
        from .ops.creation import tensor

        state = self._mt.get_state()
        keys = np.asarray(state[1], dtype=np.uint32).view(np.uint8)
        extra = np.asarray([state[2]], dtype=np.int64).view(np.uint8)
        return tensor(np.concatenate([keys, extra]), dtype=D.uint8)

    def set_state(self, new_state):
        raw = np.asarray(new_state._host(), dtype=np.uint8)
        keys = raw[:624 * 4].view(np.uint32)
        pos = int(raw[624 * 4:624 * 4 + 8].view(np.int64)[0])
        self._mt.set_state(("MT19937", keys, pos))
        return self

    # ------------------------------------------------------------------ raw draws

    def _u32(self, n):
        """The next n raw 32-bit outputs of the Mersenne Twister."""
        # NOTE: RandomState.bytes hands out the generator's 32-bit words in order
        return np.frombuffer(self._mt.bytes(4 * n), dtype=np.uint32)

    def _uniform(self, n, dtype):
        """n uniforms in [0, 1) as torch makes them for ``dtype``."""
        if dtype is D.float64:
            # 53 bits from two 32-bit draws (torch's random64)
            u = self._u32(2 * n).astype(np.uint64)
            bits = ((u[1::2] << np.uint64(32)) | u[0::2]) & np.uint64((1 << 53) - 1)
            return bits.astype(np.float64) * 2.0 ** -53
        u = self._u32(n)
        return (u & 0xFFFFFF).astype(np.float64) * 2.0 ** -24


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator (and return it), as torch.manual_seed."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def _generator(generator):
    return default_generator if generator is None else generator


def uniform_(tensor, from_=0.0, to=1.0, *, generator=None):
    """Fill ``tensor`` with U(from, to) draws, in place."""
    gen = _generator(generator)
    u = gen._uniform(tensor.numel(), tensor.dtype)
    values = (u * (to - from_) + from_).reshape(tensor.shape)
    return _fill(tensor, values)


def normal_(tensor, mean=0.0, std=1.0, *, generator=None):
    """Fill ``tensor`` with N(mean, std^2) draws (Box-Muller), in place."""
    gen = _generator(generator)
    n = tensor.numel()
    u = gen._uniform(2 * ((n + 1) // 2), D.float64)
    u1, u2 = 1.0 - u[0::2], u[1::2]
    radius = np.sqrt(-2.0 * np.log(u1))
    z = np.concatenate([radius * np.cos(2 * np.pi * u2), radius * np.sin(2 * np.pi * u2)])[:n]
    return _fill(tensor, (z * std + mean).reshape(tensor.shape))


def _fill(tensor, values):
    from .ops.convert import move_array

    tensor._check_inplace()
    data = values.astype(tensor._data.dtype)
    if tensor.device.type != "cpu":
        data = move_array(data, tensor.device)
    tensor._data[...] = data
    tensor._vc.value += 1
    return tensor


# Tensor methods (installed by ember/_methods.py); random fills are in place by nature
METHODS = {"uniform_": uniform_, "normal_": normal_}
