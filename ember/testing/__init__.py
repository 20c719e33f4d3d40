"""ember.testing: torch.testing's ``assert_close`` (and the deprecated ``assert_allclose``)."""

from ._comparison import assert_allclose, assert_close

__all__ = ["assert_close", "assert_allclose"]
