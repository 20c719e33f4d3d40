"""One-at-a-time draws for samplers whose rejection loops make the stream sequential.

torch's gamma and binomial CPU kernels walk the elements in memory order and, for each one, take
float64 uniforms and standard normals from the generator until a proposal is accepted: how many
draws an element uses depends on the values drawn, so element i+1's draws cannot be known before
element i is done.  ``SequentialDraws`` hands out those uniforms and normals one at a time while
drawing the generator's words in blocks (a Python call per word would be slow); ``finish`` puts
the generator exactly where it would be had only the consumed words been drawn.
"""

import math

from . import _dtype as D

_TWO_PI = 2.0 * math.pi


class SequentialDraws:
    """float64 uniforms (53 bits of two words each, as torch's uniform_real_distribution<double>)
    and standard normals (torch's scalar Box-Muller, second value kept in the generator) from
    ``gen``, in the order asked for."""

    def __init__(self, gen, expected=64):
        self.gen = gen
        self._start = gen._mt.get_state()
        self._start_fresh = gen._fresh
        self._block = max(16, int(expected))
        self._uniforms = []
        self._index = 0
        self._used = 0  # uniforms handed out (each is two words)

    def uniform(self):
        """The next float64 uniform in [0, 1)."""
        if self._index == len(self._uniforms):
            self._uniforms = self.gen._uniform(self._block, D.float64).tolist()
            self._index = 0
            self._block = min(2 * self._block, 1 << 16)
        value = self._uniforms[self._index]
        self._index += 1
        self._used += 1
        return value

    def normal(self):
        """The next standard normal: the cached second value of the last pair if there is
        one, else r cos(theta) of a fresh pair (u1, u2), keeping r sin(theta) for next time."""
        cached = self.gen._next_normal
        if cached is not None:
            self.gen._next_normal = None
            return cached
        u1 = self.uniform()
        u2 = self.uniform()
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = _TWO_PI * u1
        self.gen._next_normal = r * math.sin(theta)
        return r * math.cos(theta)

    def finish(self):
        """Rewind the generator's words to just after the last uniform handed out."""
        if self._index == len(self._uniforms):
            return  # every word drawn was used
        self.gen._mt.set_state(self._start)
        self.gen._fresh = self._start_fresh
        if self._used:
            self.gen._words(2 * self._used)
