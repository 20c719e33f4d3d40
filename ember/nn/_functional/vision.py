"""nn.functional, vision: interpolate, pixel_shuffle, grid_sample, affine_grid."""

__all__ = []
