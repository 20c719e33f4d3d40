"""nn.functional, normalization: batch_norm, layer_norm, group_norm, instance_norm, ..."""

__all__ = []
