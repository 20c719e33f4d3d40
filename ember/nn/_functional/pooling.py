"""nn.functional, pooling: max/avg/adaptive pools, max_unpool, lp_pool."""

__all__ = []
