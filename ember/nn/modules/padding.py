"""Padding layers: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad."""

__all__ = []
