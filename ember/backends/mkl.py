"""ember.backends.mkl: ember is not built with MKL (NumPy's BLAS does its products)."""

__all__ = ["is_available"]


def is_available():
    """False: ember has no MKL backend of its own (NumPy may still use MKL as its BLAS)."""
    return False
