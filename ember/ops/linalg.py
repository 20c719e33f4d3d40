"""Matrix products and linear algebra: matmul, mm, bmm, mv, dot, einsum, ``ember.linalg``.

The products check shapes and dtypes first and raise torch's messages (with ember's
explanation) instead of NumPy's.
"""

from .._errors import dtype_mismatch
from ..autograd.function import Node

__all__ = ["matmul", "mm", "addmm"]


def _check_same_dtype(a, b, op, names=("mat1", "mat2")):
    if a.dtype is not b.dtype:
        raise dtype_mismatch(op, names[0], a.dtype, names[1], b.dtype)


class Matmul(Node):
    """y = a @ b (NumPy's matmul rules, batched)
    grad_a = grad @ b^T,  grad_b = a^T @ grad   (1-D operands are treated as row/column)"""

    def __init__(self, name):
        self._name = name

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.matmul(a, b)

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


def _conj(t):
    return t.conj() if t.is_complex() else t


def _matmul_name(a, b):
    if a.ndim == 1 and b.ndim == 1:
        return "DotBackward0"
    if a.ndim == 2 and b.ndim == 2:
        return "MmBackward0"
    if a.ndim == 2 and b.ndim == 1:
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


def matmul(input, other, *, out=None):
    """Matrix product with torch's rules for 1-D, 2-D and batched operands."""
    a, b = input, other
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    _check_same_dtype(a, b, "matmul")
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != inner_b:
        raise _shape_error(a, b)
    try:
        result = Matmul(_matmul_name(a, b)).apply(a, b)
    except ValueError:  # batch dims that do not broadcast
        from .._errors import broadcast_error

        raise broadcast_error(a.shape[:-2], b.shape[:-2], "matmul") from None
    if out is not None:
        from .binary import write_out

        return write_out(result, out)
    return result


def mm(input, mat2, *, out=None):
    """Product of two matrices. Same as torch.mm."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2, out=out)


class Addmm(Node):
    """y = beta * c + alpha * (a @ b)
    grad_c = beta * grad,  grad_a = alpha * grad @ b^T,  grad_b = alpha * a^T @ grad"""

    _name = "AddmmBackward0"

    def __init__(self, beta, alpha):
        self.beta = beta
        self.alpha = alpha

    def forward(self, c, a, b):
        self.save(a, b)
        y = self.xp.matmul(a, b)
        if self.alpha != 1:
            y = y * self.alpha
        return y + (c if self.beta == 1 else self.beta * c)

    def backward(self, grad):
        a, b = self.saved
        grad_c = grad * self.beta if self.needs_input_grad[0] else None
        grad_a = (grad @ b.mT) * self.alpha if self.needs_input_grad[1] else None
        grad_b = (a.mT @ grad) * self.alpha if self.needs_input_grad[2] else None
        return grad_c, grad_a, grad_b


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
    if out is not None:
        from .binary import write_out

        return write_out(result, out)
    return result


# Tensor methods (installed by ember/_methods.py)
METHODS = {"matmul": matmul, "mm": mm, "addmm": addmm}
INPLACE = {"addmm_": addmm}
