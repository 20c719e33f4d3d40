"""Discrete Fourier transforms (the ops behind ``ember.fft``), differentiable.

Three nodes do all the transforms, each with its gradient beside it:

- ``FFT``   complex -> complex over some dims (fft, ifft, fft2, fftn, ...);
- ``RFFT``  real -> complex, keeping only the n // 2 + 1 non-negative frequencies of the last
            transformed dim (rfft, rfftn; ihfft is its conjugate);
- ``IRFFT`` complex (half of a Hermitian spectrum) -> real (irfft, irfftn; hfft reads the
            conjugate).

Conventions.  With theta = 2 pi j k / n, the forward transform is y_k = sum_j x_j e^{-i theta}
and the inverse one y_j = sum_k x_k e^{+i theta}.  ``norm`` decides which direction is scaled:
"backward" scales the inverse by 1/n, "forward" the forward one by 1/n, "ortho" both by
1/sqrt(n) (n = the product of the transformed sizes).  A node keeps its direction and its scale
("none", "sqrt" or "n") separately, because the gradient of a transform is the transform of the
other direction with the same scale: the matrix of the forward DFT is symmetric, so its adjoint
(conjugate transpose, what torch's conjugate-Wirtinger gradients use) is its conjugate, the
inverse-direction matrix.

The public functions first pad (with zeros) or trim each transformed dim to the requested size
with ``ConstantPad`` (a node of its own, so that part of the gradient comes for free) and then
call a node on exactly the sizes it transforms.
"""

import math
import operator

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node
from .binary import write_out
from .floating import float_input
from .padding import ConstantPad
from .shape import wrap_dim

__all__ = []

_NORMS = ("backward", "ortho", "forward")


# ---------------------------------------------------------------------------- scaling

def _scale(norm, forward):
    """The scale ("none", "sqrt" or "n") that ``norm`` gives a transform of that direction."""
    if norm is None:
        norm = "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    if norm == "ortho":
        return "sqrt"
    # "backward" leaves the forward transform unscaled, "forward" leaves the inverse unscaled
    return "none" if (norm == "backward") == forward else "n"


def _numpy_norm(scale, forward):
    """NumPy's ``norm=`` word for a transform of that direction with that scale."""
    if scale == "sqrt":
        return "ortho"
    return "backward" if (scale == "none") == forward else "forward"


def _complex_of(np_dtype):
    """complex64 for float32/complex64, complex128 for float64/complex128."""
    return np.result_type(np_dtype, np.complex64)


def _real_of(np_dtype):
    return np.finfo(np_dtype).dtype


# ---------------------------------------------------------------------------- the three nodes

class FFT(Node):
    """y = F x over ``dims``: F the forward (e^{-i theta}) or inverse (e^{+i theta}) DFT, scaled.

    grad_x = F^H grad: the transform of the other direction with the same scale (F is
    symmetric, so F^H = conj(F)).  A real x gets the real part of that (torch's convention for
    real inputs of complex functions)."""

    _name = "FftC2CBackward0"

    def __init__(self, dims, forward, scale):
        self.dims = tuple(dims)
        self.forward_direction = forward
        self.scale = scale

    def forward(self, x):
        fn = self.xp.fft.fftn if self.forward_direction else self.xp.fft.ifftn
        y = fn(x, axes=self.dims, norm=_numpy_norm(self.scale, self.forward_direction))
        return y.astype(_complex_of(x.dtype), copy=False)

    def backward(self, grad):
        g = FFT(self.dims, not self.forward_direction, self.scale).apply(grad)
        if self._input_meta[0][1].category != D.COMPLEX:
            return g.real
        return g


class RFFT(Node):
    """y = (F x)[..., :n // 2 + 1]: the forward DFT of a real x over ``dims``, scaled, keeping
    the non-negative frequencies of the last transformed dim (n = its size).

    The kept bins are a slice of the full complex transform, so grad_x = Re(F^H pad(grad)):
    the gradient is padded with zeros back to n bins (the dropped bins received none), taken
    through the inverse-direction transform with the same scale, and its real part kept (x is
    real)."""

    _name = "FftR2CBackward0"

    def __init__(self, dims, scale):
        self.dims = tuple(dims)
        self.scale = scale

    def forward(self, x):
        y = self.xp.fft.rfftn(x, axes=self.dims, norm=_numpy_norm(self.scale, True))
        return y.astype(_complex_of(x.dtype), copy=False)

    def backward(self, grad):
        last = self.dims[-1]
        n = self.input_shape(0)[last]
        full = _resize(grad, last, n)  # zeros for the negative frequencies
        return FFT(self.dims, False, self.scale).apply(full).real


class IRFFT(Node):
    """y = F^{-1} X, real, over ``dims``: X the Hermitian spectrum whose non-negative half along
    the last transformed dim is x (n // 2 + 1 bins for an output of n), scaled.

    Along that dim (before scaling), y_j = Re x_0 + sum_{0<k<n/2} (x_k e^{i theta} +
    conj(x_k e^{i theta})) + Re x_{n/2} (-1)^j (the last term for even n: the imaginary parts
    of the edge bins are not read).  Each middle bin thus appears twice (as itself and as its
    mirror image), the edge bins once, and with the real output:
        grad_x = w * (F grad)[..., :n // 2 + 1],   w = 1 at k = 0 (and n/2), 2 in between
    the forward-direction transform with the same scale, keeping the non-negative half (RFFT),
    the middle bins doubled."""

    _name = "FftC2RBackward0"

    def __init__(self, dims, scale, last_size):
        self.dims = tuple(dims)
        self.scale = scale
        self.last_size = last_size  # n, the output's size along dims[-1]

    def forward(self, x):
        sizes = [x.shape[d] for d in self.dims[:-1]] + [self.last_size]
        y = self.xp.fft.irfftn(x, s=sizes, axes=self.dims,
                               norm=_numpy_norm(self.scale, False))
        return y.astype(_real_of(x.dtype), copy=False)

    def backward(self, grad):
        g = RFFT(self.dims, self.scale).apply(grad)
        n = self.last_size
        weights = np.full(n // 2 + 1, 2.0)
        weights[0] = 1.0
        if n % 2 == 0:
            weights[-1] = 1.0  # the Nyquist bin of an even length is its own mirror image
        shape = [1] * grad.ndim
        shape[self.dims[-1]] = n // 2 + 1
        w = Tensor._make(self.xp.asarray(weights.reshape(shape), dtype=_real_of(g._data.dtype)),
                         grad.device)
        return g * w


# ---------------------------------------------------------------------------- argument checks

def _resize(x, dim, size):
    """``x`` with dim ``dim`` cut or zero-padded (at the end) to ``size``."""
    have = x._data.shape[dim]
    if have == size:
        return x
    pads = [(0, 0)] * (x._data.ndim - dim)
    pads[0] = (0, size - have)  # a negative pad trims
    return ConstantPad(pads).apply(x)


def _check_size(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")


def _type_name(value):
    """A value's type as torch's argument parser names it (numpy.ndarray, list, float)."""
    t = type(value)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _is_int(value):
    return hasattr(value, "__index__") and not isinstance(value, (bool, Tensor))


def _int_arg(value, arg, fname):
    """An int argument, or torch's TypeError naming the function and the argument."""
    if not _is_int(value):
        raise TypeError(f"{fname}(): argument '{arg}' must be int, not {_type_name(value)}")
    return operator.index(value)


def _ints_arg(value, arg, fname):
    """An int or a sequence of ints as a list, or torch's TypeError."""
    if _is_int(value):
        return [operator.index(value)]
    if not isinstance(value, (tuple, list)) or not all(_is_int(v) for v in value):
        raise TypeError(f"{fname}(): argument '{arg}' must be tuple of ints, not "
                        f"{_type_name(value)}")
    return [operator.index(v) for v in value]


def _fft_input(input, name, norm, real_only=None):
    """The input as a float or complex tensor: integers and bools in the default float dtype;
    torch's errors for a non-tensor, a norm that is not a string, 16-bit floats (the CPU
    kernels have none) and, for ``real_only`` (the error's wording), for complex input."""
    if not isinstance(input, Tensor):
        raise TypeError(f"fft_{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{_type_name(input)}")
    if norm is not None and not isinstance(norm, str):
        raise TypeError(f"fft_{name}(): argument 'norm' must be str, not {_type_name(norm)}")
    x = float_input(input)
    if x.dtype.itemsize == 2:
        raise RuntimeError(f"Unsupported dtype {x.dtype._short}")
    if real_only is not None and x.dtype.category == D.COMPLEX:
        raise RuntimeError(real_only.format(x.dtype._short))
    return x


def _one_dim(x, n, dim, name):
    """The wrapped dim and the size list [n] (-1: the input's size) of a 1-D transform."""
    dim = _int_arg(dim, "dim", f"fft_{name}")
    n = -1 if n is None else _int_arg(n, "n", f"fft_{name}")
    if x._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return [wrap_dim(dim, x._data.ndim)], [n]


def _dims_and_sizes(x, s, dim, name):
    """torch's rules for (s, dim) of the n-dim transforms: the wrapped dims and the requested
    size of each (-1: the input's own size)."""
    ndim = x._data.ndim
    fname = f"fft_{name}"
    s = None if s is None else _ints_arg(s, "s", fname)
    if dim is not None:
        dims = _ints_arg(dim, "dim", fname)
        if ndim == 0 and dims:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        dims = [wrap_dim(d, ndim) for d in dims]
        if s is not None and len(s) != len(dims):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
    elif s is not None:
        if len(s) > ndim:
            raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                               f"{ndim} dimensions.")
        dims = list(range(ndim - len(s), ndim))
    else:
        dims = list(range(ndim))
    if len(set(dims)) != len(dims):
        raise RuntimeError("FFT dims must be unique")
    return dims, s if s is not None else [-1] * len(dims)


def _c2c(x, dims, sizes, forward, norm):
    """Resize each dim, then the complex transform (FFT node)."""
    scale = _scale(norm, forward)
    for d, n in zip(dims, sizes):
        n = x._data.shape[d] if n == -1 else n
        _check_size(n)
        x = _resize(x, d, n)
    if not dims:  # nothing to transform: the values as complex numbers
        return x.to(D.from_numpy_dtype(_complex_of(x._data.dtype)))
    return FFT(dims, forward, scale).apply(x)


def _r2c(x, dims, sizes, norm, forward=True):
    """Resize each dim, then the real-to-complex transform (RFFT node)."""
    scale = _scale(norm, forward)
    for d, n in zip(dims, sizes):
        n = x._data.shape[d] if n == -1 else n
        _check_size(n)
        x = _resize(x, d, n)
    return RFFT(dims, scale).apply(x)


def _c2r(x, dims, sizes, norm, forward=False):
    """Resize each dim (the last to n // 2 + 1 bins for an output of n, by default
    2 * (bins - 1)), then the complex-to-real transform (IRFFT node)."""
    scale = _scale(norm, forward)
    for d, n in zip(dims[:-1], sizes[:-1]):
        n = x._data.shape[d] if n == -1 else n
        _check_size(n)
        x = _resize(x, d, n)
    last = dims[-1]
    n = sizes[-1] if sizes[-1] != -1 else 2 * (x._data.shape[last] - 1)
    _check_size(n)
    x = _resize(x, last, n // 2 + 1)
    if x.dtype.category != D.COMPLEX:
        x = x.to(D.from_numpy_dtype(_complex_of(x._data.dtype)))
    return IRFFT(dims, scale, n).apply(x)


def _out(result, out, name, kernel):
    """``out=``: torch insists on a complex (or real) out for a complex (or real) result, and
    names its kernel (_fft_c2c, _fft_r2c, _fft_c2r) when the result requires grad."""
    if out is not None and isinstance(out, Tensor):
        if result.dtype.category == D.COMPLEX and out.dtype.category != D.COMPLEX:
            raise RuntimeError(f"{name} expects a complex output tensor, but got "
                               f"{out.dtype._short}")
        if result.dtype.category != D.COMPLEX and out.dtype.category != D.FLOAT:
            raise RuntimeError(f"{name} expects a floating point output tensor, but got "
                               f"{out.dtype._short}")
    return write_out(result, out, kernel)


# ---------------------------------------------------------------------------- the transforms

# Each public transform is one of four kinds; ``name`` is torch's name for the error messages.

def _complex_transform(input, n_or_s, dim, norm, out, name, forward, one_dim):
    """fft, ifft, fft2, ifft2, fftn, ifftn."""
    x = _fft_input(input, name, norm)
    if one_dim:
        dims, sizes = _one_dim(x, n_or_s, dim, name)
    else:
        dims, sizes = _dims_and_sizes(x, n_or_s, dim, name)
    # NOTE: torch's 1-D transforms of a real input use its real-to-complex kernel
    kernel = "_fft_r2c" if one_dim and x.dtype.category != D.COMPLEX else "_fft_c2c"
    return _out(_c2c(x, dims, sizes, forward, norm), out, name, kernel)


def _real_to_complex(input, n_or_s, dim, norm, out, name, forward, one_dim):
    """rfft, rfft2, rfftn (forward direction) and ihfft, ihfft2, ihfftn (inverse direction,
    conjugated)."""
    if one_dim:
        wording = f"{name} expects a real input tensor, but got {{}}"
    elif forward:
        wording = "rfftn expects a real-valued input tensor, but got {}"
    else:
        wording = "Only supports floating-point dtypes, but found: {}"
    x = _fft_input(input, name, norm, wording)
    if one_dim:
        dims, sizes = _one_dim(x, n_or_s, dim, name)
    else:
        dims, sizes = _dims_and_sizes(x, n_or_s, dim, name)
        _at_least_one(dims, name.replace("2", "n"))
    y = _r2c(x, dims, sizes, norm, forward)
    return _out(y if forward else y.conj(), out, name, "_fft_r2c")


def _complex_to_real(input, n_or_s, dim, norm, out, name, forward, one_dim):
    """irfft, irfft2, irfftn (inverse direction) and hfft, hfft2, hfftn (forward direction, of
    the conjugate: the same real result as a forward transform of the Hermitian signal)."""
    x = _fft_input(input, name, norm)
    if one_dim:
        dims, sizes = _one_dim(x, n_or_s, dim, name)
    else:
        dims, sizes = _dims_and_sizes(x, n_or_s, dim, name)
        _at_least_one(dims, name.replace("2", "n"))
    if forward and x.dtype.category == D.COMPLEX:
        x = x.conj()
    return _out(_c2r(x, dims, sizes, norm, forward), out, name, "_fft_c2r")


def _at_least_one(dims, name):
    if not dims:
        raise RuntimeError(f"{name} must transform at least one axis")


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """The 1-D discrete Fourier transform y_k = sum_j x_j e^{-2 pi i jk/n} along ``dim``, the
    input zero-padded or trimmed to ``n``. Same as torch.fft.fft."""
    return _complex_transform(input, n, dim, norm, out, "fft", True, True)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """The 1-D inverse transform y_j = (1/n) sum_k x_k e^{+2 pi i jk/n} along ``dim``. Same as
    torch.fft.ifft."""
    return _complex_transform(input, n, dim, norm, out, "ifft", False, True)


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """fft of a real input, keeping the n // 2 + 1 non-negative frequencies (the others are
    their conjugates). Same as torch.fft.rfft."""
    return _real_to_complex(input, n, dim, norm, out, "rfft", True, True)


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of rfft: a real signal of length ``n`` (default 2 * (bins - 1)) from the
    non-negative half of its spectrum. Same as torch.fft.irfft."""
    return _complex_to_real(input, n, dim, norm, out, "irfft", False, True)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The (real) fft of a Hermitian-symmetric signal given by its first half:
    irfft(conj(input)) with the forward direction's scaling. Same as torch.fft.hfft."""
    return _complex_to_real(input, n, dim, norm, out, "hfft", True, True)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of hfft: conj(rfft(input)) with the inverse direction's scaling. Same as
    torch.fft.ihfft."""
    return _real_to_complex(input, n, dim, norm, out, "ihfft", False, True)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """fftn over two dims (the last two by default). Same as torch.fft.fft2."""
    return _complex_transform(input, s, dim, norm, out, "fft2", True, False)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """ifftn over two dims. Same as torch.fft.ifft2."""
    return _complex_transform(input, s, dim, norm, out, "ifft2", False, False)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """rfftn over two dims. Same as torch.fft.rfft2."""
    return _real_to_complex(input, s, dim, norm, out, "rfft2", True, False)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """irfftn over two dims. Same as torch.fft.irfft2."""
    return _complex_to_real(input, s, dim, norm, out, "irfft2", False, False)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """hfftn over two dims. Same as torch.fft.hfft2."""
    return _complex_to_real(input, s, dim, norm, out, "hfft2", True, False)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """ihfftn over two dims. Same as torch.fft.ihfft2."""
    return _real_to_complex(input, s, dim, norm, out, "ihfft2", False, False)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-dim fft over ``dim`` (all dims by default; the last len(s) when only ``s`` is
    given), each dim zero-padded or trimmed to ``s``. Same as torch.fft.fftn."""
    return _complex_transform(input, s, dim, norm, out, "fftn", True, False)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-dim inverse fft. Same as torch.fft.ifftn."""
    return _complex_transform(input, s, dim, norm, out, "ifftn", False, False)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-dim fft of a real input, the last transformed dim halved (n // 2 + 1 bins). Same
    as torch.fft.rfftn."""
    return _real_to_complex(input, s, dim, norm, out, "rfftn", True, False)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of rfftn: a real output, the last dim's size ``s[-1]`` (default
    2 * (bins - 1)). Same as torch.fft.irfftn."""
    return _complex_to_real(input, s, dim, norm, out, "irfftn", False, False)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The n-dim fft of a Hermitian-symmetric signal given by its half along the last dim
    (a real result): irfftn(conj(input)) with forward scaling. Same as torch.fft.hfftn."""
    return _complex_to_real(input, s, dim, norm, out, "hfftn", True, False)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of hfftn: conj(rfftn(input)) with inverse scaling. Same as
    torch.fft.ihfftn."""
    return _real_to_complex(input, s, dim, norm, out, "ihfftn", False, False)


# ---------------------------------------------------------------------------- helpers

def _freq(n, d, one_sided, out, dtype, device, requires_grad, name):
    from .creation import arange

    if not _is_int(n):
        raise TypeError(f"fft_{name}(): argument 'n' (position 1) must be int, not "
                        f"{_type_name(n)}")
    n = operator.index(n)
    if dtype is not None and dtype.category not in (D.FLOAT, D.COMPLEX):
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    if dtype is not None and dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{dtype._short}'")
    # NOTE: torch counts n / 2 + 1 bins with C++'s division, which rounds toward zero
    count = int(n / 2) + 1 if one_sided else n
    if count < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {count}: [{count}]")
    k = arange(count, dtype=dtype or D.get_default_dtype(), device=device)
    if not one_sided:
        # [0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1]: the upper half is the negative bins
        k._data[(n + 1) // 2:] -= n
    # NOTE: as torch, the bin numbers (in the result's dtype) are multiplied by 1 / (n d),
    # computed in double; n d = 0 gives inf (0 * inf = nan for the zero bin)
    total = n * float(d)
    result = k * (1.0 / total if total != 0 else math.inf)
    result.requires_grad_(requires_grad)
    return write_out(result, out, name)


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an fft of length n with sample spacing d:
    [0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (n d). Same as torch.fft.fftfreq."""
    return _freq(n, d, False, out, dtype, device, requires_grad, "fftfreq")


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """The sample frequencies of an rfft of length n: [0, 1, ..., n // 2] / (n d). Same as
    torch.fft.rfftfreq."""
    return _freq(n, d, True, out, dtype, device, requires_grad, "rfftfreq")


def _shift_dims(input, dim, name):
    if dim is None:
        return list(range(input._data.ndim))
    return [wrap_dim(d, input._data.ndim) for d in _ints_arg(dim, "dim", name)]


def fftshift(input, dim=None):
    """Roll the zero frequency to the middle: each dim rolled by size // 2. Same as
    torch.fft.fftshift."""
    dims = _shift_dims(input, dim, "fft_fftshift")
    shifts = [input.shape[d] // 2 for d in dims]
    return input.roll(shifts, dims)


def ifftshift(input, dim=None):
    """The inverse of fftshift: each dim rolled by -(size // 2) (they differ for odd sizes).
    Same as torch.fft.ifftshift."""
    dims = _shift_dims(input, dim, "fft_ifftshift")
    shifts = [(input.shape[d] + 1) // 2 for d in dims]
    return input.roll(shifts, dims)



