"""Diagonals and triangles: diagonal (a view), diag, diag_embed, trace, tril, triu.

``offset``/``diagonal`` picks the diagonal: 0 the main one, k > 0 above it, k < 0 below it.
The diagonal of dims (dim1, dim2) becomes the last dim of the result, as in torch.
"""

from ..autograd.function import Node, ViewNode
from .binary import write_out
from .shape import wrap_dim

__all__ = ["tril", "triu", "diag", "diag_embed", "diagonal", "trace"]


# ---------------------------------------------------------------------------- triangles

class Tril(Node):
    """y = x with the elements above (tril) or below (triu) diagonal k zeroed
    grad_x = grad with the same elements zeroed"""

    def __init__(self, k, upper):
        self.k = k
        self.upper = upper
        self._name = "TriuBackward0" if upper else "TrilBackward0"

    def forward(self, x):
        return self.xp.triu(x, self.k) if self.upper else self.xp.tril(x, self.k)

    def backward(self, grad):
        return Tril(self.k, self.upper).apply(grad)


def _triangle(input, diagonal, upper):
    if input.ndim < 2:
        name = "triu" if upper else "tril"
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return Tril(int(diagonal), upper).apply(input)


def tril(input, diagonal=0, *, out=None):
    """The lower triangle: y[..., i, j] = x[..., i, j] if j - i <= diagonal else 0."""
    return write_out(_triangle(input, diagonal, False), out, "tril", same_dtype=True)


def triu(input, diagonal=0, *, out=None):
    """The upper triangle: y[..., i, j] = x[..., i, j] if j - i >= diagonal else 0."""
    return write_out(_triangle(input, diagonal, True), out, "triu", same_dtype=True)


# ---------------------------------------------------------------------------- diagonals

def _writable_diagonal(xp, a, offset, dim1, dim2):
    """``xp.diagonal`` as a view that can be written to (numpy hands out read-only ones)."""
    d = xp.diagonal(a, offset, dim1, dim2)
    flags = d.flags
    if not getattr(flags, "writeable", True):
        try:
            flags.writeable = True
        except ValueError:  # the base itself is read-only (e.g. broadcast): leave it so
            pass
    return d


class Diagonal(ViewNode):
    """y[..., i] = x[..., i, i + offset] over dims (dim1, dim2) (a view)
    grad_x = zeros with grad on that diagonal"""

    _name = "DiagonalBackward0"

    def __init__(self, offset, dim1, dim2):
        self.offset = offset
        self.dim1 = dim1
        self.dim2 = dim2

    def forward(self, x):
        return _writable_diagonal(self.xp, x, self.offset, self.dim1, self.dim2)

    def view_fn(self, base):
        return Diagonal(self.offset, self.dim1, self.dim2).apply(base)

    def backward(self, grad):
        shape = self.input_shape(0)
        return DiagEmbed(shape, self.offset, self.dim1, self.dim2).apply(grad)


class DiagonalCopy(Diagonal):
    """y[..., i] = x[..., i, i + offset] (a copy)          grad_x = zeros with grad on it"""

    _name = "DiagonalBackward0_copy"
    view_fn = None

    def forward(self, x):
        return self.xp.diagonal(x, self.offset, self.dim1, self.dim2).copy()


class DiagEmbed(Node):
    """y = zeros of ``shape`` with x on the diagonal (offset, dim1, dim2)
    grad_x = grad's diagonal"""

    def __init__(self, shape, offset, dim1, dim2):
        self.shape = shape
        self.offset = offset
        self.dim1 = dim1
        self.dim2 = dim2

    def forward(self, x):
        y = self.xp.zeros(self.shape, dtype=x.dtype)
        _writable_diagonal(self.xp, y, self.offset, self.dim1, self.dim2)[...] = x
        return y

    def backward(self, grad):
        return DiagonalCopy(self.offset, self.dim1, self.dim2).apply(grad)


def _two_dims(dim1, dim2, ndim):
    d1, d2 = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal ``offset`` of the matrices in dims (dim1, dim2), as the last dim (a view)."""
    dim1, dim2 = _two_dims(dim1, dim2, input.ndim)
    return Diagonal(int(offset), dim1, dim2).apply(input)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices in dims (dim1, dim2) of the result with input's last dim on diagonal ``offset``
    (zeros elsewhere)."""
    ndim = input.ndim + 1
    dim1, dim2 = _two_dims(dim1, dim2, ndim)
    n = (input.shape[-1] if input.ndim else 1) + abs(offset)
    batch = iter(input.shape[:-1])
    shape = tuple(n if d in (dim1, dim2) else next(batch) for d in range(ndim))
    return DiagEmbed(shape, int(offset), dim1, dim2).apply(input)


def diag(input, diagonal=0, *, out=None):
    """1-D input: a square matrix with it on diagonal ``diagonal``.
    2-D input: its diagonal ``diagonal`` as a 1-D tensor (a copy)."""
    if input.ndim == 1:
        n = input.shape[0] + abs(diagonal)
        result = DiagEmbed((n, n), int(diagonal), 0, 1).apply(input)
    elif input.ndim == 2:
        result = DiagonalCopy(int(diagonal), 0, 1).apply(input)
    else:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return write_out(result, out, "diag", same_dtype=True)


def trace(input):
    """The sum of the main diagonal of a matrix: sum_i x[i, i]."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    out = Diagonal(0, 0, 1).apply(input).sum()
    if out.grad_fn is not None:
        out.grad_fn._name = "TraceBackward0"
    return out


# Tensor methods (installed by ember/_methods.py through ops/indexing.py)
METHODS = {
    "tril": tril, "triu": triu, "diag": diag, "diag_embed": diag_embed, "diagonal": diagonal,
    "trace": trace,
}
INPLACE = {"tril_": tril, "triu_": triu}
