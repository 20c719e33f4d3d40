"""Flatten and Unflatten: reshape layers for use inside Sequential."""

from .module import Module


class Flatten(Module):
    """Flattens dims start_dim..end_dim into one (default: all but the batch dim).

    Args:
        start_dim: first dim to flatten (default 1)
        end_dim: last dim to flatten (default -1)

    Shape: (N, *dims) -> (N, prod(dims)) with the defaults.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dim ``dim`` into ``unflattened_size`` (the inverse of Flatten).

    Shape: (*, S, *) -> (*, *unflattened_size, *) where prod(unflattened_size) = S.
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if isinstance(dim, str):
            raise TypeError("ember's Unflatten takes an int dim (named tensors are not supported)")
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError("unflattened_size must be tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
