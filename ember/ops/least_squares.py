"""Least squares and Householder products: linalg.lstsq and linalg.householder_product
(also torch.orgqr).

lstsq solves through the backend's SVD (NumPy has no batched gels / gelsy); which of its four
results are filled follows the LAPACK driver named, as in torch.  householder_product is
written with ember ops (one reflection at a time), so autograd differentiates it.
``ember.linalg`` re-exports these under torch.linalg's names.
"""

from .. import _dtype as D
from .. import return_types
from ..autograd.function import Node
from .decompositions import pinv
from .inverse import _constant, _eye, _finish, _xp

__all__ = []  # public through ops/linalg.py (torch.*) and ember/linalg.py (torch.linalg.*)

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


# ---------------------------------------------------------------------------- lstsq

class Lstsq(Node):
    """X minimising |A X - B|_F (the one of least norm when A has not full rank):
    X = A+ B with the pseudo-inverse A+ = V diag(1/s) U^H, singular values s <= rcond * s_max
    counted as zero.  Only X has a gradient; torch takes it from X = pinv(A) B, so
        grad_B = pinv(A)^H grad,  and grad_A is pinv's backward (Pinv in decompositions.py)
        applied to grad_pinv = grad B^H."""

    _name = "LinalgLstsqBackward0"

    def __init__(self, rcond):
        self.rcond = rcond

    def _broadcast_shapes(self, shapes):
        a, b = shapes
        return [a[:-2], b[:-2]]

    def forward(self, a, b):
        xp = self.xp
        u, s, vh = xp.linalg.svd(a, full_matrices=False)  # A's own batch: rank and s
        s_max = s.max(-1, keepdims=True) if s.shape[-1] else s
        kept = s > self.rcond * s_max
        s_inv = xp.where(kept, 1 / xp.where(kept, s, 1), 0)
        uh_b = xp.conj(xp.swapaxes(u, -1, -2)) @ b  # the batch dims broadcast from here
        x = xp.conj(xp.swapaxes(vh, -1, -2)) @ (s_inv[..., :, None] * uh_b)
        self.rank = kept.sum(-1)
        self.singular_values = s
        self.save(a, b)
        return x.astype(a.dtype, copy=False)

    def backward(self, grad):
        a, b = self.saved
        p = pinv(a)
        grad_b = p.mH @ grad if self.needs_input_grad[1] else None
        grad_a = None
        if self.needs_input_grad[0]:
            gp = grad @ b.mH
            ph, gh = p.mH, gp.mH
            grad_a = (-(ph @ gp @ ph) + (gh - a @ (p @ gh)) @ (p @ ph)
                      + (ph @ p) @ (gh - (gh @ p) @ a))
        return grad_a, grad_b


def lstsq(A, B, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of min |A X - B|_F, as torch.linalg.lstsq:
    solution (*, n, k); residuals |A X - B|^2 per column (differentiable too), only when
    m > n, every A has full rank and the driver is not 'gelsy' (else empty); rank (int64) for
    gelsy / gelsd / gelss; singular_values for gelsd / gelss (else empty).  ``rcond``:
    singular values below rcond * s_max count as zero (default eps * max(m, n); 'gels'
    assumes full rank).  B may be a batch of vectors (B.ndim == A.ndim - 1).
    NOTE: every driver solves by the SVD here; for a rank-deficient A this is the least-norm
    solution, which gelsy / gelsd / gelss give too (gels gives none)."""
    op = "torch.linalg.lstsq"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"{op}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {A.dtype._short} and other's dtype {B.dtype._short}")
    if A.dtype.category < D.FLOAT or A.dtype in (D.float16, D.bfloat16):
        raise RuntimeError("This function doesn't handle types other than float and double")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError(f"{op}: parameter `driver` should be one of "
                           f"({', '.join(_DRIVERS)})")
    if not 0 <= A.ndim - B.ndim <= 1:
        raise RuntimeError(f"{op}: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    vector = B.ndim == A.ndim - 1
    if vector:
        B = B.unsqueeze(-1)
    m, n = A.shape[-2:]
    if B.shape[-2] != m:
        raise RuntimeError(f"{op}: input.size(-2) should match other.size(-2)")
    if rcond is None:
        rcond = D.finfo(A.dtype).eps * max(m, n)
    if driver == "gels":
        rcond = 0.0
    node = Lstsq(rcond)
    x = node.apply(A, B)
    xp = _xp(A)
    real = A._data.real.dtype
    empty = _constant(A, xp.zeros((0,), dtype=real))
    full_rank = bool((node.rank == min(m, n)).all()) if node.rank.size else True
    residuals = empty
    if m > n and driver != "gelsy" and (driver == "gels" or full_rank):
        # |A X - B|^2 per column, from X: differentiable, as torch's residuals are
        r = A @ x - B
        residuals = ((r * r.conj()).real if r.is_complex() else r * r).sum(-2)
    rank = _constant(A, xp.zeros((0,), dtype=xp.int64))
    if driver != "gels":
        rank = _constant(A, node.rank.astype(xp.int64))
    singular_values = empty
    if driver in ("gelsd", "gelss"):
        singular_values = _constant(A, node.singular_values.astype(real))
    if vector:
        x = x.squeeze(-1)
    return return_types.linalg_lstsq((x, residuals, rank, singular_values))


def removed_lstsq(*args, **kwargs):
    """torch.lstsq (and Tensor.lstsq) were removed in torch 1.9: calling them raises torch's
    error, which names the replacement."""
    raise RuntimeError("This function was deprecated since version 1.9 and is now removed. "
                       "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n"
                       "Note the order of the arguments: torch.lstsq(B, A) was "
                       "torch.linalg.lstsq(A, B), whose named tuple holds the residuals in "
                       "'residuals' (torch.lstsq put them in the last m - n rows of the "
                       "solution) and no QR decomposition (use torch.linalg.qr for it):\n"
                       "X = torch.lstsq(B, A).solution[:A.size(1)]\nshould be replaced with\n"
                       "X = torch.linalg.lstsq(A, B).solution")


# ---------------------------------------------------------------------------- householder

def householder_product(A, tau, *, out=None):
    """The first n columns of H_1 H_2 ... H_k, H_i = I - tau_i v_i v_i^H, where v_i is 1 at
    row i, A's column i below it, and 0 above (geqrf's storage of Q).  A (*, m, n) with
    m >= n >= k, tau (*, k). Same as torch.linalg.householder_product and torch.orgqr.

    Built right to left from the first n columns of I: Q <- Q - tau_i v_i (v_i^H Q), with
    ember ops, so autograd gives the gradient of every step."""
    op = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.ndim} and input.ndim is equal to {A.ndim}")
    m, n = A.shape[-2:]
    k = tau.shape[-1]
    if m < n:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if n < k:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")
    if A.dtype is not tau.dtype:
        raise RuntimeError(f"{op}: tau dtype {tau.dtype._short} does not match input dtype "
                           f"{A.dtype._short}")
    if A.dtype.category < D.FLOAT or A.dtype in (D.float16, D.bfloat16):
        raise NotImplementedError(f'"orgqr_cpu" not implemented for \'{A.dtype._short}\'')
    xp = _xp(A)
    eye = _eye(m, A)
    q = _constant(A, xp.broadcast_to(xp.eye(m, n, dtype=A._data.dtype), A.shape).copy())
    below = _constant(A, xp.tril(xp.ones((m, n), dtype=A._data.dtype), -1))
    reflectors = A * below + eye[:, :n]  # column i is v_i
    for i in range(k - 1, -1, -1):
        v = reflectors[..., :, i:i + 1]
        t = tau[..., i, None, None]
        q = q - t * (v @ (v.mH @ q))
    return _finish(q, out)


def orgqr(input, tau):
    """Same as torch.orgqr (the older name of linalg.householder_product)."""
    return householder_product(input, tau)
