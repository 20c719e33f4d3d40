"""BatchNorm1d/2d/3d (running statistics), LazyBatchNorm."""

__all__ = []
