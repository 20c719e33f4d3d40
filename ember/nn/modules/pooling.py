"""Pooling layers: MaxPool, AvgPool, AdaptiveAvgPool, AdaptiveMaxPool, MaxUnpool, LPPool."""

__all__ = []
