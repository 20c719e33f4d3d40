"""Matrix products: matmul, mm, bmm, mv, dot, vdot, inner, outer, addmm, addmv, addbmm,
baddbmm, cross; and the torch.* names of the other linear algebra ops.

The products check shapes and dtypes first and raise torch's messages (with ember's
explanation) instead of NumPy's.  The rest of linear algebra lives beside this file:
einsum.py (einsum, tensordot, kron), inverse.py (inv, det, slogdet, solve, matrix_power),
decompositions.py (cholesky, qr, svd, eigh, pinv, matrix_rank) and norms.py (norms, cdist);
``ember.linalg`` is the ``torch.linalg`` namespace over them.
"""

import math

import numpy as np

from .. import _bfloat16, _mkl
from .. import _dtype as D
from .._errors import dtype_mismatch
from .._threads import fit_to_product
from ..autograd.function import Node
from . import decompositions as _dec
from . import eig as _eig
from . import inverse as _inv
from . import least_squares as _lstsq
from . import linalg_compositions as _compositions
from . import lu as _lu
from . import norms as _norms
from .einsum import einsum, kron, tensordot
from .shape import UnsafeView, View, wrap_dim

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv",
           "addbmm", "baddbmm", "einsum", "tensordot", "kron", "cross", "chain_matmul",
           "cdist", "inverse", "det", "logdet", "slogdet", "cholesky", "qr", "svd", "pinverse",
           "matrix_power"]


def _bfloat16_matrices(a, b):
    """True for two bfloat16 NumPy matrices while MKL is in use (ember/_mkl.py): the product
    nodes then multiply them as they are (``_bfloat16_product``), and autocast hands them over
    without widening (``computes_bfloat16``)."""
    return (type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2
            and D.is_bfloat16(a) and D.is_bfloat16(b) and _mkl.available())


def _bfloat16_product(a, b):
    """``a @ b`` of two bfloat16 matrices as float32 sums, not rounded: on MKL when it takes
    them, else (small products, layouts it cannot read) NumPy's float32 product of the values
    widened by bit arithmetic."""
    y = _mkl.matmul(a, b)
    if y is None:
        fit_to_product(a, b)
        y = np.matmul(D.cast(a, D.float32), D.cast(b, D.float32))
    return y


def _rounded(y):
    """A float32 product rounded to bfloat16 once, as torch's kernel does."""
    return D.cast(y, D.bfloat16)


def _rounded_in_place(y):
    """``_rounded(y)`` written over ``y`` itself as float32 values, returned as a bfloat16 view
    of them (ember/_bfloat16.py: float32_base finds them again).  A linear layer's weight
    gradient under autocast goes on to the weight's float32 cast, which then takes them as
    they are: one pass where rounding and widening again take two."""
    return _bfloat16.bfloat16_view(_bfloat16.round_in_float32(y, out=y))


def _check_same_dtype(a, b, op, names=("mat1", "mat2")):
    if a.dtype is not b.dtype:
        raise dtype_mismatch(op, names[0], a.dtype, names[1], b.dtype)


def _conj(t):
    return t.conj() if t.is_complex() else t


def _out(result, out):
    if out is None:
        return result
    from .binary import write_out

    return write_out(result, out)


# ---------------------------------------------------------------------------- matmul family

class Matmul(Node):
    """y = a @ b (NumPy's matmul rules, batched)
    grad_a = grad @ b^H,  grad_b = a^H @ grad   (1-D operands are treated as row/column)"""

    saves_inputs = True  # backward reads the inputs (saved)
    backward_rounds_once = True  # one product (or product of elements) per input

    def __init__(self, name):
        self._name = name

    def _broadcast_shapes(self, shapes):
        """Only the batch dims broadcast (a 1-D operand has none)."""
        return [s[:-2] for s in shapes]

    def forward(self, a, b):
        # 16-bit floats are accumulated in float32, as torch's CPU matmul does: NumPy already
        # does so for float16 and bfloat16, but hands the bfloat16 product back as float32, to
        # be rounded back once.  NOTE: the tests inline (a helper call costs a 64x64 product 3%)
        if a.dtype.itemsize == 2 and _bfloat16_matrices(a, b):  # (with MKL: ember/_mkl.py)
            return _rounded(_bfloat16_product(a, b))
        fit_to_product(a, b)  # BLAS threads: only the cores other programs leave free
        y = self.xp.matmul(a, b)
        return y if y.dtype is a.dtype else y.astype(a.dtype)

    def computes_bfloat16(self, a, b):
        """Autocast may hand it bfloat16 matrices as they are while MKL is in use."""
        return _bfloat16_matrices(a, b)

    def backward(self, grad):
        a, b = self.saved
        grad_a = grad_b = None
        a_vec, b_vec = a.ndim == 1, b.ndim == 1
        if a_vec and b_vec:  # a dot product
            return grad * _conj(b), grad * _conj(a)
        if a_vec:
            a = a.unsqueeze(0)
            grad = grad.unsqueeze(-2)
        if b_vec:
            b = b.unsqueeze(-1)
            grad = grad.unsqueeze(-1)
        if self.needs_input_grad[0]:
            grad_a = matmul(grad, _conj(b.mT))
            if a_vec:
                grad_a = grad_a.squeeze(-2)
        if self.needs_input_grad[1]:
            grad_b = matmul(_conj(a.mT), grad)
            if b_vec:
                grad_b = grad_b.squeeze(-1)
        return grad_a, grad_b


def _matmul_name(a_ndim, b_ndim):
    if a_ndim == 1 and b_ndim == 1:
        return "DotBackward0"
    if a_ndim == 2 and b_ndim == 2:
        return "MmBackward0"
    if a_ndim == 2 and b_ndim == 1:
        return "MvBackward0"
    return "MatmulBackward0"


def _shape_error(a, b):
    sa, sb = a.shape, b.shape
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have the "
            f"same number of elements, but got {sa[0]} and {sb[0]} elements respectively")
    rows = 1
    for s in sa[:-1]:
        rows *= s
    left = f"{rows}x{sa[-1]}"
    right = f"{sb[-2]}x{sb[-1]}" if b.ndim >= 2 else f"{sb[0]}x1"
    if a.ndim == 1:
        left = f"1x{sa[0]}"
    return RuntimeError(
        f"mat1 and mat2 shapes cannot be multiplied ({left} and {right})\n"
        f"  ember: the last dim of the first operand ({sa[-1]}) must equal the "
        f"{'first' if b.ndim == 1 else 'second-to-last'} dim of the second "
        f"({sb[0] if b.ndim == 1 else sb[-2]}). Shapes: {list(sa)} @ {list(sb)}.")


def _check_not_bool(a):
    if a.dtype is D.bool:
        raise NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'")


def matmul(input, other, *, out=None):
    """Matrix product with torch's rules: 1-D x 1-D is a dot product, a 1-D operand is a
    row (left) or column (right) vector, and batch dims broadcast. Same as torch.matmul."""
    a, b = input, other
    # NOTE: the arrays' shapes, not Tensor.shape: that builds a Size each time
    shape_a, shape_b = a._data.shape, b._data.shape
    if not shape_a or not shape_b:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    inner_b = shape_b[0] if len(shape_b) == 1 else shape_b[-2]
    if shape_a[-1] != inner_b:  # torch reports the shapes first, then the dtypes
        raise _shape_error(a, b)
    _check_same_dtype(a, b, "matmul")
    _check_not_bool(a)
    if len(shape_a) > 2 and len(shape_b) == 2:
        # NOTE: (..., n, k) @ (k, m) folded into one (... * n, k) @ (k, m) product, as torch
        # folds it: NumPy would run one small product per batch entry ((32, 64, 128) @
        # (128, 512): 1.74 against 0.86 ms), and b's gradient would be a batch of products
        # to sum
        rows = View((math.prod(shape_a[:-1]), shape_a[-1]), False).apply(a)
        product = Matmul("MmBackward0").apply(rows, b)
        return _out(UnsafeView(shape_a[:-1] + shape_b[-1:]).apply(product), out)
    result = Matmul(_matmul_name(len(shape_a), len(shape_b))).apply(a, b)
    return _out(result, out)


def mm(input, mat2, *, out=None):
    """Product of two matrices (n x m) @ (m x p). Same as torch.mm."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2, out=out)


def bmm(input, mat2, *, out=None):
    """Batched product (b x n x m) @ (b x m x p), without broadcasting. Same as torch.bmm."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, _, m = input.shape
    if tuple(mat2.shape[:2]) != (b, m):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {m}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._short} but found "
                           f"{mat2.dtype._short}")
    _check_not_bool(input)
    return _out(Matmul("BmmBackward0").apply(input, mat2), out)


def mv(input, vec, *, out=None):
    """Matrix-vector product (n x m) @ (m). Same as torch.mv."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    n, m = input.shape
    if vec.shape[0] != m:
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{m}), vec ({vec.shape[0]})")
    return matmul(input, vec, out=out)


def _check_vectors(a, b, op):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{op} : expected both vectors to have same dtype, but found "
                           f"{a.dtype._short} and {b.dtype._short}")
    if a.shape[0] != b.shape[0]:
        raise _shape_error(a, b)


def dot(input, tensor, *, out=None):
    """sum_i a_i b_i of two 1-D tensors. Same as torch.dot."""
    _check_vectors(input, tensor, "dot")
    return matmul(input, tensor, out=out)


def vdot(input, other, *, out=None):
    """sum_i conj(a_i) b_i of two 1-D tensors. Same as torch.vdot."""
    _check_vectors(input, other, "vdot")
    return matmul(_conj(input), other, out=out)


def inner(input, other, *, out=None):
    """Sum over the last dims: y[i.., j..] = sum_k a[i.., k] b[j.., k]. Same as torch.inner."""
    if input.ndim == 0 or other.ndim == 0:
        return _out(input * other, out)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    return _out(tensordot(input, other, dims=([-1], [-1])), out)


def outer(input, vec2, *, out=None):
    """y[i, j] = a[i] * b[j] of two 1-D tensors. Same as torch.outer."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return _out(input.unsqueeze(-1) * vec2, out)


ger = outer


def chain_matmul(*matrices, out=None):
    """m1 @ m2 @ ... of 2-D tensors (legacy torch.chain_matmul)."""
    result = matrices[0]
    for m in matrices[1:]:
        result = mm(result, m)
    return _out(result, out)


# ---------------------------------------------------------------------------- add + product

class Addmm(Node):
    """y = beta * c + alpha * (a @ b)
    grad_c = beta * grad,  grad_a = alpha * grad @ b^H,  grad_b = alpha * a^H @ grad
    NOTE: with beta = 0, c is ignored (its NaNs do not reach y), as in torch."""

    _name = "AddmmBackward0"

    def __init__(self, beta, alpha):
        self.beta = beta
        self.alpha = alpha

    def forward(self, c, a, b):
        self.save(a, b)
        fit_to_product(a, b)
        y = self.xp.matmul(a, b)
        if y.dtype is not a.dtype:  # bfloat16, multiplied in float32 (see Matmul.forward)
            y = y.astype(a.dtype)
        if self.alpha != 1:
            y = y * self.alpha
        if self.beta == 0:
            return self.xp.broadcast_to(y, self.xp.broadcast_shapes(c.shape, y.shape)).copy()
        return y + (c if self.beta == 1 else self.beta * c)

    def backward(self, grad):
        a, b = self.saved
        grad_c = grad * self.beta if self.needs_input_grad[0] else None
        grad_a = (grad @ _conj(b.mT)) * self.alpha if self.needs_input_grad[1] else None
        grad_b = (_conj(a.mT) @ grad) * self.alpha if self.needs_input_grad[2] else None
        return grad_c, grad_a, grad_b


class Linear(Node):
    """y = x @ w^T + bias   (nn.functional.linear of a matrix, one node instead of t + addmm)
    grad_bias = grad (the engine sums it over the rows),  grad_x = grad @ w,  grad_w = grad^T @ x
    """

    _name = "AddmmBackward0"  # the node torch records for linear of a matrix with a bias
    backward_rounds_once = True  # one product per input (the bias: the gradient itself)

    def forward(self, bias, x, w):
        self.save(x, w)
        if x.dtype.itemsize == 2 and bias.ndim <= 1:
            return self._forward_16_bit(bias, x, w)
        fit_to_product(x, w.T)
        y = self.xp.matmul(x, w.T)
        if bias.dtype != y.dtype or bias.ndim > y.ndim:
            return y + bias
        y += bias  # in place: y is this op's own new array (a second one cost 1 ms a step)
        return y

    def _forward_16_bit(self, bias, x, w):
        """float16/bfloat16: the products summed in float32 (MKL's bfloat16 product, NumPy's
        float32 product, or NumPy's own 16-bit matmul, which also sums in float32), the bias
        added to those sums, then one rounding, as torch's kernel (not two)."""
        if self.computes_bfloat16(bias, x, w):
            y = _bfloat16_product(x, w.T)
        else:
            fit_to_product(x, w.T)
            if x.dtype == np.float16 and self.xp is np:
                y = np.matmul(x, w.T, dtype=np.float32)
            else:
                y = self.xp.matmul(x, w.T)  # (bfloat16: float32 sums, a float32 result)
            if y.dtype == x.dtype:  # (CuPy's float16: rounded already)
                return y + bias
        y += D.cast(bias, D.float32)
        return D.cast(y, D.from_numpy_dtype(x.dtype))

    def computes_bfloat16(self, bias, x, w):
        """Autocast may hand it bfloat16 arrays as they are while MKL is in use."""
        return bias.ndim <= 1 and D.is_bfloat16(bias) and _bfloat16_matrices(x, w)

    def backward(self, grad):
        x, w = self.saved
        grad_x = grad @ _conj(w) if self.needs_input_grad[1] else None
        grad_w = MmTransposed().apply(grad, _conj(x)) if self.needs_input_grad[2] else None
        return grad, grad_x, grad_w


class MmTransposed(Node):
    """y = a^T @ b for matrices, without making the view a^T (a linear layer's weight
    gradient, grad^T @ x, at every training step)
    grad_a = conj(b) @ grad^T,  grad_b = conj(a) @ grad"""

    _name = "MmBackward0"
    backward_rounds_once = True

    def forward(self, a, b):
        self.save(a, b)
        if a.dtype.itemsize == 2 and _bfloat16_matrices(a, b):  # (with MKL)
            return _rounded_in_place(_bfloat16_product(a.T, b))
        fit_to_product(a.T, b)
        y = self.xp.matmul(a.T, b)
        return y if y.dtype is a.dtype else y.astype(a.dtype)  # see Matmul.forward

    def computes_bfloat16(self, a, b):
        """Autocast may hand it bfloat16 matrices as they are while MKL is in use."""
        return _bfloat16_matrices(a, b)

    def backward(self, grad):
        a, b = self.saved
        grad_a = _conj(b) @ grad.mT if self.needs_input_grad[0] else None
        grad_b = _conj(a) @ grad if self.needs_input_grad[1] else None
        return grad_a, grad_b


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat1 @ mat2). Same as torch.addmm."""
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.ndim}-D tensor" if mat1.ndim != 2
                           else f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    _check_same_dtype(mat1, mat2, "addmm")
    if mat1.shape[1] != mat2.shape[0]:
        raise _shape_error(mat1, mat2)
    if input.dtype is not mat1.dtype:
        raise dtype_mismatch("addmm", "self", input.dtype, "mat1", mat1.dtype)
    result = Addmm(beta, alpha).apply(input, mat1, mat2)
    return _out(result, out)


class AddScaled(Node):
    """y = beta * c + p     grad_c = beta * grad,  grad_p = grad
    (the 'add' of addmv / addbmm / baddbmm; NOTE: beta = 0 ignores c and its NaNs, as torch)"""

    def __init__(self, beta, name):
        self.beta = beta
        self._name = name

    def forward(self, c, p):
        if self.beta == 0:
            return self.xp.broadcast_to(p, self.xp.broadcast_shapes(c.shape, p.shape)).copy()
        return (c if self.beta == 1 else self.beta * c) + p

    def backward(self, grad):
        return grad * self.beta, grad


def _add_scaled(input, product, beta, alpha, name, out):
    if input.dtype is not product.dtype:
        raise RuntimeError(f"expected scalar type {product.dtype._short} but found "
                           f"{input.dtype._short}")
    if alpha != 1:
        product = product * alpha
    return _out(AddScaled(beta, name).apply(input, product), out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat @ vec). Same as torch.addmv."""
    if mat.ndim == 2 and vec.ndim == 1 and vec.shape[0] != mat.shape[1]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), "
                           f"mat ({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    return _add_scaled(input, mv(mat, vec), beta, alpha, "AddmvBackward0", out)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (batch1 @ batch2), batched. Same as torch.baddbmm."""
    return _add_scaled(input, bmm(batch1, batch2), beta, alpha, "BaddbmmBackward0", out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * sum_b (batch1[b] @ batch2[b]). Same as torch.addbmm."""
    return _add_scaled(input, bmm(batch1, batch2).sum(0), beta, alpha, "AddbmmBackward0", out)


# ---------------------------------------------------------------------------- cross product

class Cross(Node):
    """y = a x b along dim          grad_a = b x grad,  grad_b = grad x a"""

    _name = "LinalgCrossBackward0"

    def __init__(self, dim):
        self.dim = dim

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.cross(a, b, axis=self.dim)

    def backward(self, grad):
        a, b = self.saved
        grad_a = Cross(self.dim).apply(b, grad) if self.needs_input_grad[0] else None
        grad_b = Cross(self.dim).apply(grad, a) if self.needs_input_grad[1] else None
        return grad_a, grad_b


def _linalg_cross(input, other, dim, op):
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype._short} but found "
                           f"{other.dtype._short}")
    ndim = max(input.ndim, other.ndim)
    if input.ndim != other.ndim:
        raise RuntimeError(f"{op}: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"{op}: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    return Cross(d - ndim).apply(input, other)


def linalg_cross(input, other, *, dim=-1, out=None):
    """Cross product of 3-vectors along ``dim`` (batch dims broadcast). Same as
    torch.linalg.cross."""
    return _out(_linalg_cross(input, other, dim, "linalg.cross"), out)


def cross(input, other, dim=None, *, out=None):
    """Cross product of 3-vectors along ``dim``; without ``dim``, the first dim of size 3.
    Same as torch.cross."""
    if dim is None:
        dim = next((i for i, s in enumerate(input.shape) if s == 3), -1)
    return _out(_linalg_cross(input, other, dim, "linalg.cross"), out)


# ---------------------------------------------------------------------------- torch.* aliases of
# ops in decompositions.py and norms.py (their torch.linalg names are in ember/linalg.py)

cdist = _norms.cdist
inverse = _inv.inv
det = _inv.det
logdet = _inv.logdet
slogdet = _inv.slogdet
cholesky = _dec.legacy_cholesky
qr = _dec.legacy_qr
svd = _dec.legacy_svd
pinverse = _dec.pinverse
matrix_power = _inv.matrix_power


# the torch.* names of ops in lu.py, eig.py, least_squares.py and linalg_compositions.py
__all__ += ["lu", "lu_solve", "lu_unpack", "triangular_solve", "matrix_exp", "orgqr", "vander",
            "lstsq", "eig"]
lu = _lu.legacy_lu
lu_solve = _lu.legacy_lu_solve
lu_unpack = _lu.lu_unpack
triangular_solve = _lu.triangular_solve
matrix_exp = _eig.matrix_exp
orgqr = _lstsq.orgqr
vander = _compositions.vander
lstsq = _lstsq.removed_lstsq  # removed from torch: both raise torch's error
eig = _eig.removed_eig


# Tensor methods (installed by ember/_methods.py)
METHODS = {
    "matmul": matmul, "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "vdot": vdot, "inner": inner,
    "outer": outer, "ger": outer, "addmm": addmm, "addmv": addmv, "addbmm": addbmm,
    "baddbmm": baddbmm, "kron": kron, "cross": cross, "inverse": inverse, "det": det,
    "logdet": logdet, "slogdet": slogdet, "cholesky": cholesky, "qr": qr, "svd": svd,
    "pinverse": pinverse, "matrix_power": matrix_power,
}
METHODS.update({"lu": lu, "lu_solve": lu_solve, "triangular_solve": triangular_solve,
                "matrix_exp": matrix_exp, "orgqr": orgqr, "lstsq": lstsq, "eig": eig})
INPLACE = {"addmm_": addmm, "addmv_": addmv, "addbmm_": addbmm, "baddbmm_": baddbmm}
