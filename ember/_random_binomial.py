"""torch.binomial's draws: one Binomial(count, prob) draw per element of two float tensors.

Each element, in memory order, takes float64 uniforms one after another from the generator (as
torch's CPU kernel does, which makes these draws torch's for the same seed):

- count <= 0 or prob <= 0 gives 0 and prob >= 1 gives count, without drawing;
- with q = min(prob, 1 - prob) (a draw for 1 - prob is turned round as count - draw):
  count * q < 10: inversion by geometric waiting times: ceil(log U / log(1 - q)) trials to each
  success, counting the successes until the trials used pass count;
- otherwise Hoermann's BTRS, transformed rejection with a squeeze ("The generation of binomial
  random variates", 1993), whose exact test uses Stirling's series for the log-factorials.

Some steps round in the tensor's dtype (float32 too), as the kernel computes them in it; the
rejection loops make the stream sequential, hence a Python loop over the elements.
"""

import math

import numpy as np

from ._random_sequential import SequentialDraws

__all__ = ["binomial", "sample_binomial"]

# the tail log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi)/2] of Stirling's series, for
# k = 0..9, where its asymptotic form below is not yet accurate enough
_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)


def _stirling_tail(k):
    if k < 10:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _inversion(count, q, S, draws):
    """Successes among count trials as geometric gaps between them (count * q < 10)."""
    log_q = float(np.log1p(-S(q))) if S is np.float32 else math.log1p(-q)  # in the dtype
    total, successes = 0.0, S(0)
    while True:
        total += math.ceil(math.log(draws.uniform()) / log_q)
        if total > count:
            return successes
        successes = successes + S(1)


def _btrs(count, q, S, draws):
    """Hoermann's BTRS for count * q >= 10, q <= 1/2; S is the dtype (float or np.float32)."""
    n, p = S(count), S(q)
    stddev = float(np.sqrt(n * p * (S(1) - p)))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * float(p)
    c = float(n * p) + 0.5
    v_r = 0.92 - 4.2 / b
    r = float(p / (S(1) - p))
    alpha = (2.83 + 5.1 / b) * stddev
    m = float(np.floor((n + S(1)) * p))
    count = float(n)
    while True:
        u = draws.uniform() - 0.5
        v = draws.uniform()
        us = 0.5 - abs(u)
        k = float(S(math.floor((2 * a / us + b) * u + c)))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:  # inside the squeeze box
            return k
        # log of v under the hat against the log ratio of the probabilities of k and the mode m
        # (NOTE: as torch, v is scaled by alpha and the hat without the paper's log of alpha)
        v = math.log(v * alpha / (a / (us * us) + b))
        n_minus_k_plus_1 = float(n - S(k) + S(1))
        bound = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                 + float(n + S(1)) * math.log((count - m + 1) / n_minus_k_plus_1)
                 + (k + 0.5) * math.log(r * n_minus_k_plus_1 / float(S(k) + S(1)))
                 + _stirling_tail(m) + _stirling_tail(count - m)
                 - _stirling_tail(k) - _stirling_tail(float(n - S(k))))
        if v <= bound:
            return k


def _one(count, prob, S, draws):
    if not count > 0 or not prob > 0:
        return 0.0 if count <= 0 or prob <= 0 else float("nan")
    if prob >= 1:
        return count
    if prob <= 0.5:
        if float(S(count) * S(prob)) >= 10.0:
            return float(_btrs(count, prob, S, draws))
        return float(_inversion(count, prob, S, draws))
    q = float(S(1) - S(prob))
    if float(S(count) * S(q)) >= 10.0:
        return float(S(count) - S(_btrs(count, q, S, draws)))
    return float(S(count) - S(_inversion(count, q, S, draws)))


def sample_binomial(count_np, prob_np, gen):
    """Binomial draws for two float32/float64 arrays of one shape and dtype (memory order)."""
    dtype = count_np.dtype
    S = np.float32 if dtype == np.float32 else float
    counts = np.ascontiguousarray(count_np).ravel().tolist()
    probs = np.ascontiguousarray(prob_np).ravel().tolist()
    draws = SequentialDraws(gen, expected=4 * len(counts) + 16)
    out = np.array([_one(n, p, S, draws) for n, p in zip(counts, probs)], dtype=np.float64)
    draws.finish()
    return out.astype(dtype).reshape(count_np.shape)


def binomial(count, prob, generator=None):
    """One Binomial(count, prob) draw per element of two float tensors of one dtype (broadcast
    together), in that dtype.  Same as torch.binomial, draws included.  NOTE: the result does
    not require grad (torch's has a grad_fn whose backward raises: not implemented)."""
    from . import _dtype as D
    from ._random import _generator
    from .ops.creation import tensor
    from .ops.shape import broadcast_tensors

    for t in (count, prob):
        if t.dtype.category != D.FLOAT:
            raise ValueError("binomial only supports floating-point dtypes for count, got: "
                             + count.dtype._short)
    if prob.dtype != count.dtype:
        raise RuntimeError(f"Found dtype {prob.dtype._short} but expected {count.dtype._short}")
    if count.dtype not in (D.float32, D.float64):
        raise NotImplementedError(f"\"binomial_cpu\" not implemented for '{count.dtype._short}'")
    count, prob = broadcast_tensors(count.detach(), prob.detach())
    draws = sample_binomial(count._host(), prob._host(), _generator(generator, count))
    return tensor(draws, dtype=count.dtype, device=count.device)
