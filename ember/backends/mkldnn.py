"""ember.backends.mkldnn: oneDNN (MKL-DNN) kernels, which ember does not have.

``enabled`` keeps torch's default (True) and may be set; ember's kernels are NumPy's."""

__all__ = ["is_available", "enabled"]

enabled = True


def is_available():
    """False: ember has no oneDNN backend."""
    return False
