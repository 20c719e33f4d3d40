"""ember.backends.openmp: ember has no OpenMP kernels (NumPy's BLAS has its own threads)."""

__all__ = ["is_available"]


def is_available():
    """False: ember's own code does not run OpenMP threads."""
    return False
