"""ember.backends.cudnn: torch.backends.cudnn's flags, with torch's defaults.

ember does not call cuDNN itself (CuPy's kernels run its convolutions), so ``is_available()``
is False and ``version()`` None, as on a CPU-only torch; the flags are kept for scripts that
set and read them: ``benchmark`` (autotuning: nothing to tune), ``deterministic`` (ember's
kernels are deterministic anyway), ``enabled`` and ``allow_tf32`` (ember computes float32 in
float32).
"""

import contextlib

__all__ = ["is_available", "version", "flags", "benchmark", "deterministic", "enabled",
           "allow_tf32", "benchmark_limit"]

benchmark = False
deterministic = False
enabled = True
allow_tf32 = True
benchmark_limit = 10


def is_available():
    """False: ember has no cuDNN backend."""
    return False


def version():
    """None: no cuDNN library is loaded."""
    return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True):
    """Set the flags inside the ``with`` block, restore them after (torch's defaults)."""
    names = {"enabled": enabled, "benchmark": benchmark, "benchmark_limit": benchmark_limit,
             "deterministic": deterministic, "allow_tf32": allow_tf32}
    module = globals()
    saved = {name: module[name] for name in names}
    module.update(names)
    try:
        yield
    finally:
        module.update(saved)
