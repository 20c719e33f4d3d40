"""Complex numbers seen as pairs of reals and back (views sharing memory), and the small
complex helpers torch has at the top level.

    view_as_real(z)      complex (...)   -> real (..., 2)   [re, im] pairs, same memory
    view_as_complex(x)   real (..., 2)   -> complex (...)   same memory
    complex(re, im), polar(abs, angle), isreal, is_conj, is_neg, resolve_conj, resolve_neg

ember's ``conj`` computes the conjugate (torch's is a lazy flag), so no ember tensor is ever an
unresolved conjugate or negative: ``is_conj``/``is_neg`` say False and ``resolve_*`` return the
tensor itself.
"""

import numpy as np

from .. import _dtype as D
from ..autograd.function import ViewNode
from .binary import mul
from .trig import cos, sin

__all__ = ["view_as_real", "view_as_complex", "complex", "polar", "isreal", "is_conj",
           "is_neg", "resolve_conj", "resolve_neg"]


class ViewAsReal(ViewNode):
    """y[..., 0] = Re z, y[..., 1] = Im z (a view)     grad_z = grad[..., 0] + i grad[..., 1]"""

    def forward(self, z):
        self.view_fn = view_as_real
        real = z.real  # a view of the real parts: strides in bytes of the complex array
        # the imaginary part sits one real item after each real part
        return np.lib.stride_tricks.as_strided(real, real.shape + (2,),
                                               real.strides + (real.itemsize,))

    def backward(self, grad):
        return view_as_complex(grad.contiguous())


class ViewAsComplex(ViewNode):
    """z = x[..., 0] + i x[..., 1] (a view)          grad_x = view_as_real(grad)"""

    def forward(self, x):
        self.view_fn = view_as_complex
        complex_dtype = {np.float32: np.complex64, np.float64: np.complex128}[x.dtype.type]
        # the last dim (2 items, stride 1) becomes one complex item
        return x.view(complex_dtype)[..., 0]

    def backward(self, grad):
        return view_as_real(grad)


def view_as_real(input):
    """The complex tensor seen as real (..., 2) [real, imaginary] pairs, sharing its memory.
    Same as torch.view_as_real."""
    if input.dtype.category != D.COMPLEX:
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal().apply(input)


def view_as_complex(input):
    """A real tensor whose last dim holds [real, imaginary] pairs seen as a complex tensor
    sharing its memory. Same as torch.view_as_complex."""
    if input.dtype not in (D.float32, D.float64):
        if input.dtype == D.float16:
            raise NotImplementedError("ember has no complex32 (ComplexHalf) dtype")
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: {input.dtype._short}")
    if input.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    strides = input.stride()
    if strides[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return ViewAsComplex().apply(input)


def _check_float_pair(a, b):
    """torch's checks for complex() and polar(): two float tensors of one dtype."""
    if a.dtype != b.dtype:
        raise RuntimeError(f"Expected object of scalar type {a.dtype._short} but got scalar "
                           f"type {b.dtype._short} for second argument")
    if a.dtype not in (D.float16, D.float32, D.float64):
        raise RuntimeError("Expected both inputs to be Half, Float or Double tensors but got "
                           f"{a.dtype._short} and {b.dtype._short}")
    if a.dtype == D.float16:
        raise NotImplementedError("ember has no complex32 (ComplexHalf) dtype")


def complex(real, imag, *, out=None):
    """real + i imag, broadcast (float -> complex64, double -> complex128). Same as
    torch.complex."""
    _check_float_pair(real, imag)
    # Gradients follow from the sum: grad_real = Re grad, grad_imag = Im grad.
    result = real.to(real.dtype.to_complex()) + mul(imag, 1j)
    if out is not None:
        from .binary import write_out
        return write_out(result, out)
    return result


def polar(abs, angle, *, out=None):
    """abs * (cos(angle) + i sin(angle)). Same as torch.polar."""
    _check_float_pair(abs, angle)
    return complex(abs * cos(angle), abs * sin(angle), out=out)


def isreal(input):
    """True where the imaginary part is zero (everywhere for real tensors). Same as
    torch.isreal."""
    if input.dtype.category != D.COMPLEX:
        return input.new_ones(input.shape, dtype=D.bool)
    return input.imag == 0


def _tensor_argument(input, fn):
    """torch's TypeError for a non-tensor input of a predicate."""
    if not hasattr(input, "_data"):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def is_conj(input):
    """False: ember's conj computes the conjugate, never a lazy conjugate view."""
    _tensor_argument(input, "is_conj")
    return False


def is_neg(input):
    """False: ember never makes lazy negative views."""
    _tensor_argument(input, "is_neg")
    return False


def resolve_conj(input):
    """The tensor itself: ember's tensors hold no unresolved conjugation (see is_conj)."""
    return input


def resolve_neg(input):
    """The tensor itself: ember's tensors hold no unresolved negation (see is_neg)."""
    return input


METHODS = {"isreal": isreal, "is_conj": is_conj, "is_neg": is_neg}
