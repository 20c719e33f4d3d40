"""The inputs and NumPy references that the collective checks share (tests/distributed/
collectives.py and nccl_glue.py, scripts/gpu_check_nccl.py).

The values are small integers (or 0/1 for bool), so every dtype holds them exactly and sums,
products and averages over up to 4 ranks are exact too."""

import numpy as np

from ember.distributed import ReduceOp as R


def values(rank, name, shape=(2, 3), salt=0):
    """Rank ``rank``'s input: small integers that every dtype holds exactly."""
    k = np.arange(int(np.prod(shape))).reshape(shape)
    if name == "bool":
        return (k + rank + salt) % 2 == 0
    v = (k + salt) % 3 + 1 + rank % 2  # 1..4: products over 4 ranks stay below 256
    if name.startswith("complex"):
        return v + 1j * ((k + rank) % 2)
    return v


def reference(op, arrays, name):
    """``op`` over the ranks' arrays, as NumPy computes it."""
    stack = np.stack(arrays)
    if name == "bool":
        return {R.SUM: stack.any(0), R.MAX: stack.any(0), R.BOR: stack.any(0),
                R.PRODUCT: stack.all(0), R.MIN: stack.all(0), R.BAND: stack.all(0),
                R.BXOR: np.logical_xor.reduce(stack, 0)}[op]
    return {R.SUM: lambda: stack.sum(0), R.AVG: lambda: stack.sum(0) / len(arrays),
            R.PRODUCT: lambda: stack.prod(0), R.MIN: lambda: stack.min(0),
            R.MAX: lambda: stack.max(0), R.BAND: lambda: np.bitwise_and.reduce(stack, 0),
            R.BOR: lambda: np.bitwise_or.reduce(stack, 0),
            R.BXOR: lambda: np.bitwise_xor.reduce(stack, 0)}[op]()


def ops_for(name, bitwise=True):
    """The reductions a dtype supports (``bitwise=False``: none of BAND/BOR/BXOR, which NCCL
    lacks)."""
    if name.startswith("complex"):
        return [R.SUM, R.AVG]
    if name.startswith("float") or name == "bfloat16":
        return [R.SUM, R.AVG, R.PRODUCT, R.MIN, R.MAX]
    return [R.SUM, R.PRODUCT, R.MIN, R.MAX] + ([R.BAND, R.BOR, R.BXOR] if bitwise else [])
