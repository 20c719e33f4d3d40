"""torch.distributed's exception classes: one family under RuntimeError, so scripts that catch
``RuntimeError`` around a collective keep working."""

__all__ = ["DistError", "DistBackendError", "DistNetworkError", "DistStoreError",
           "QueueEmptyError"]


class DistError(RuntimeError):
    """Something went wrong in ember.distributed (the base of the classes below)."""


class DistBackendError(DistError):
    """The communication itself failed: a peer rank died, or a collective timed out."""


class DistNetworkError(DistError):
    """A socket (a TCPStore connection) failed."""


class DistStoreError(DistError):
    """A key-value store failed, typically a ``get``/``wait`` that timed out."""


class QueueEmptyError(DistStoreError):
    """A store queue had nothing to pop."""
