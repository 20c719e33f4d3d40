"""Factorizations: cholesky, qr, svd (svdvals), eigh (eigvalsh), and pinv and matrix_rank
built on them (``ember.linalg`` re-exports them under torch.linalg's names).

Forward calls the backend's LAPACK (``xp.linalg``).  Backward is written with ember ops, so
second derivatives work.  The gradients of qr / svd / eigh are those of the usual
perturbation formulas; they are defined when the singular values (eigenvalues) are distinct,
and only gauge-invariant functions (U S Vh, |U|, Q R, ...) have well-defined gradients, since
LAPACK may flip the sign of any singular vector.
"""

import collections

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.function import Node
from ..autograd.grad_mode import state as _grad_state
from . import unchecked_lapack
from .binary import write_out
from .inverse import (
    LinAlgError,
    _BackendLinAlgError,
    _batch_prefix,
    _batches,
    _check_matrix,
    _constant,
    _diag,
    _eye,
    _finish,
    _mask,
    _MultiOutput,
    _xp,
    inv,
    solve,
)

__all__ = []  # public through ops/linalg.py (torch.*) and ember/linalg.py (torch.linalg.*)

QRResult = collections.namedtuple("qr", ["Q", "R"])
SVDResult = collections.namedtuple("svd", ["U", "S", "Vh"])
LegacySVDResult = collections.namedtuple("svd", ["U", "S", "V"])
EighResult = collections.namedtuple("eigh", ["eigenvalues", "eigenvectors"])
CholeskyExResult = collections.namedtuple("linalg_cholesky_ex", ["L", "info"])


# ---------------------------------------------------------------------------- cholesky

class Cholesky(Node):
    """L lower-triangular with A = L L^H (only A's lower triangle is read)
    grad_A = sym(L^-H  Phi(L^H grad)  L^-1),  Phi = lower triangle with the diagonal halved,
    sym(X) = (X + X^H) / 2"""

    _name = "LinalgCholeskyExBackward0"
    info = None

    def __init__(self, check=True, op="linalg.cholesky"):
        self.check = check  # False (cholesky_ex): no error; self.info says where it stopped
        self.op = op

    def forward(self, a):
        try:
            low = self.xp.linalg.cholesky(a)
        except _BackendLinAlgError:
            if self.check:
                raise LinAlgError(_cholesky_message(a, self.xp, self.op)) from None
            low, self.info = unchecked_lapack.cholesky(a, self.xp)
        self.save(low)
        return low

    def backward(self, grad):
        (low,) = self.saved
        n = low.shape[-1]
        phi = (low.mH @ grad) * _mask(n, low, diag=0.5)
        low_inv = inv(low)
        g = low_inv.mH @ phi @ low_inv
        return (g + g.mH) * 0.5


def _cholesky_message(a, xp, op="linalg.cholesky"):
    for b, m in enumerate(_batches(a)):
        for k in range(1, m.shape[-1] + 1):
            try:
                xp.linalg.cholesky(m[:k, :k])
            except _BackendLinAlgError:
                return (f"{op}: {_batch_prefix(b, a.ndim)}The factorization could not "
                        "be completed because the input is not positive-definite (the leading "
                        f"minor of order {k} is not positive-definite).")
    return f"{op}: The input is not positive-definite."


def cholesky_linalg(A, *, upper=False, out=None):
    """L with A = L L^H for a symmetric (Hermitian) positive-definite A; upper=True gives
    U = L^H with A = U^H U. Same as torch.linalg.cholesky."""
    _check_matrix(A, "linalg.cholesky")
    low = Cholesky().apply(A)
    return _finish(low.mH if upper else low, out)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """(L, info): info is 0 when A is positive-definite, else the order of the first leading
    minor that is not, and L holds the factorization up to there, without raising (unless
    ``check_errors``). Same as torch.linalg.cholesky_ex."""
    _check_matrix(A, "linalg.cholesky_ex")
    node = Cholesky(check=check_errors, op="linalg.cholesky_ex")
    low = node.apply(A)
    info = node.info
    if info is None:
        info = _xp(A).zeros(tuple(A.shape[:-2]), dtype="int32")
    return CholeskyExResult(_finish(low.mH if upper else low, out), _constant(A, info))


def legacy_cholesky(input, upper=False, *, out=None):
    """Same as torch.cholesky (the older name of linalg.cholesky)."""
    return cholesky_linalg(input, upper=upper, out=out)


# ---------------------------------------------------------------------------- qr

class QR(_MultiOutput):
    """A = Q R, Q with orthonormal columns, R upper-triangular.
    For m >= n (Q: m x n):  M = R grad_R^H - grad_Q^H Q,
        grad_A = (grad_Q + Q copyltu(M)) R^-H,  copyltu(M) = M's strict lower triangle
        mirrored up (conjugated) plus Re(diag(M)): R's diagonal is real (LAPACK's convention),
        so for complex A only the real part of M's diagonal moves it.
    For m < n, A = [X | Y] with X = Q U square: grad_Y = Q grad_V and X's gradient is the
    square case with grad_Q + Y grad_V^H."""

    _name = "LinalgQrBackward0"

    def __init__(self, mode):
        self.mode = mode

    def forward(self, a):
        if self.mode == "r":
            r = self.xp.linalg.qr(a, mode="r")
            return self.xp.zeros((0,), a.dtype), r
        q, r = self.xp.linalg.qr(a, mode=self.mode)
        self.keep(q, r)
        return q, r

    def backward(self, grad_q, grad_r):
        m, n = self.input_shape(0)[-2:]
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.")
        q, r = self.outputs()
        grad_q = q * 0 if grad_q is None else grad_q
        grad_r = r * 0 if grad_r is None else grad_r
        if m >= n:
            return _qr_backward_tall(q, r, grad_q, grad_r)
        # wide: A = [X | Y], R = [U | V], X = Q U, Y = Q V
        a = q @ r  # rebuilt from the outputs, so that double backward stays in the graph
        u = r[..., :m]
        grad_u, grad_v = grad_r[..., :m], grad_r[..., m:]
        y = a[..., m:]
        grad_x = _qr_backward_tall(q, u, grad_q + y @ grad_v.mH, grad_u)
        grad_y = q @ grad_v
        xp = self.xp
        dt = a._data.dtype
        left = _constant(a, xp.eye(m, n, dtype=dt))  # places X's columns into A
        right = _constant(a, xp.eye(n - m, n, k=m, dtype=dt))  # and Y's
        return grad_x @ left + grad_y @ right


def _qr_backward_tall(q, r, grad_q, grad_r):
    n = r.shape[-1]
    m = r @ grad_r.mH - grad_q.mH @ q
    strict = m * _mask(n, m, k=-1)
    diagonal = m * _eye(n, m)
    if m.is_complex():
        diagonal = diagonal.real.to(m.dtype)
    copyltu = strict + strict.mH + diagonal
    b = grad_q + q @ copyltu
    # b R^-H = (R^-1 b^H)^H
    return solve(r, b.mH).mH


def qr(A, mode="reduced", *, out=None):
    """A = Q R with orthonormal Q and upper-triangular R; mode 'reduced' (Q: m x k),
    'complete' (Q: m x m) or 'r' (R only, Q empty). Same as torch.linalg.qr."""
    _check_matrix(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return write_out(QRResult(*QR(mode).apply(A)), out, "linalg.qr", same_dtype=True)


def legacy_qr(input, some=True, *, out=None):
    """Same as torch.qr (some=True is mode 'reduced', some=False 'complete')."""
    return qr(input, "reduced" if some else "complete", out=out)


# ---------------------------------------------------------------------------- svd

class SVD(_MultiOutput):
    """A = U diag(S) Vh, S descending.  With k = min(m, n), F_ij = 1 / (s_j^2 - s_i^2) (i != j):
        grad_A = U [ (F o (U^H gU - gU^H U)) S + diag(gS) + S (F o (V^H gV - gV^H V)) + D ] Vh
                 + (I - U U^H) gU S^-1 Vh + U S^-1 gV^H (I - V V^H)
    (Townsend 2016); gV = gVh^H.  Complex inputs: each pair (u_k, v_k) is defined up to a
    common phase e^{i phi}, which fixes only Im(u_k^H dA v_k) = s_k Im(u_k^H du_k - v_k^H dv_k);
    that adds D = diag(i Im(diag(U^H gU)) / S), and a loss that depends on the phase raises
    torch's error.  The extra columns of full_matrices=True have no gradient, as in torch."""

    _name = "LinalgSvdBackward0"

    def __init__(self, full_matrices):
        self.full_matrices = full_matrices

    def forward(self, a):
        u, s, vh = self.xp.linalg.svd(a, full_matrices=self.full_matrices)
        self.keep(u, s, vh)
        return u, s, vh

    def backward(self, grad_u, grad_s, grad_vh):
        u, s, vh = self.outputs()
        m, n = u.shape[-2], vh.shape[-1]
        k = s.shape[-1]
        if self.full_matrices and m != n:  # only the first k singular vectors matter
            u, vh = u[..., :k], vh[..., :k, :]
            grad_u = None if grad_u is None else grad_u[..., :k]
            grad_vh = None if grad_vh is None else grad_vh[..., :k, :]
        if grad_u is None and grad_vh is None:  # svdvals: only S is used
            return None if grad_s is None else (u * grad_s.unsqueeze(-2)) @ vh
        inner = 0 if grad_s is None else _diag(grad_s)
        s2 = s * s
        eye = _eye(k, s)
        f = (1 - eye) / (s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye)
        extra = 0
        if grad_u is not None:
            uh_gu = u.mH @ grad_u
            inner = inner + (f * (uh_gu - uh_gu.mH)) * s.unsqueeze(-2)
            if u.is_complex():  # the phase of each singular pair: see the docstring
                if grad_vh is None:
                    _check_phase_invariant(uh_gu, "svd_backward", "singular vectors",
                                           "depends on this phase term, making it ill-defined.")
                phase = uh_gu.diagonal(0, -2, -1).imag / s
                inner = inner + _diag(phase) * 1j
            if m > k:
                extra = extra + ((grad_u - u @ uh_gu) / s.unsqueeze(-2)) @ vh
        if grad_vh is not None:
            v, grad_v = vh.mH, grad_vh.mH
            vh_gv = v.mH @ grad_v
            if u.is_complex():
                _check_phase_invariant(vh_gv if grad_u is None else vh_gv + uh_gu, "svd_backward",
                                       "singular vectors", "depends on this phase term, making "
                                       "it ill-defined.")
            inner = inner + s.unsqueeze(-1) * (f * (vh_gv - vh_gv.mH))
            if n > k:
                extra = extra + u @ ((grad_v - v @ vh_gv).mH / s.unsqueeze(-1))
        return u @ inner @ vh + extra


def _check_driver(A, driver):
    """torch's error for ``driver=`` on the CPU.  On CUDA the driver only picks cuSOLVER's
    algorithm (gesvd, gesvdj, gesvda), not the result, so CuPy's own choice stands."""
    if driver is not None and A.device.type == "cpu":
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")


def svd(A, full_matrices=True, *, driver=None, out=None):
    """A = U diag(S) Vh with S descending (batched). Same as torch.linalg.svd; the signs of
    singular vectors depend on LAPACK, so compare U S Vh, S, or |U| rather than U itself."""
    _check_matrix(A, "linalg.svd", square=False)
    _check_driver(A, driver)
    return write_out(SVDResult(*SVD(full_matrices).apply(A)), out, "linalg.svd",
                     same_dtype=True)


def svdvals(A, *, driver=None, out=None):
    """The singular values, descending. Same as torch.linalg.svdvals."""
    _check_matrix(A, "linalg.svdvals", square=False)
    _check_driver(A, driver)
    if not (A.requires_grad and _grad_state.enabled):
        result = _constant(A, _xp(A).linalg.svd(A._data, compute_uv=False))
    else:
        result = SVD(False).apply(A)[1]
    return write_out(result, out, "linalg.svdvals", same_dtype=True)


def legacy_svd(input, some=True, compute_uv=True, *, out=None):
    """Same as torch.svd: (U, S, V) with V, not Vh; compute_uv=False gives zero U and V."""
    if not compute_uv:
        m, n = input.shape[-2:]
        batch = tuple(input.shape[:-2])
        zeros = _xp(input).zeros
        dt = input._data.dtype
        result = LegacySVDResult(_constant(input, zeros(batch + (m, m), dt)), svdvals(input),
                                 _constant(input, zeros(batch + (n, n), dt)))
    else:
        u, s, vh = svd(input, full_matrices=not some)
        result = LegacySVDResult(u, s, vh.mT)
    return write_out(result, out, "svd", same_dtype=True)


# ---------------------------------------------------------------------------- eigh

class Eigh(_MultiOutput):
    """A = Q diag(L) Q^H for symmetric (Hermitian) A, L ascending.  With
    F_ij = 1 / (L_j - L_i) (i != j) and skew(X) = (X - X^H) / 2:
        grad_A = Q (diag(grad_L) + F o skew(Q^H grad_Q)) Q^H"""

    _name = "LinalgEighBackward0"

    def __init__(self, uplo):
        self.uplo = uplo

    def forward(self, a):
        w, q = self.xp.linalg.eigh(a, UPLO=self.uplo)
        self.keep(w, q)
        return w, q

    def backward(self, grad_w, grad_q):
        w, q = self.outputs()
        inner = 0 if grad_w is None else _diag(grad_w)
        if grad_q is not None:
            n = w.shape[-1]
            eye = _eye(n, w)
            f = (1 - eye) / (w.unsqueeze(-2) - w.unsqueeze(-1) + eye)
            qh_gq = q.mH @ grad_q
            if q.is_complex():
                _check_phase_invariant(qh_gq, "linalg_eigh_backward", "eigenvectors",
                                       "depends on this quantity, so it is ill-defined.")
            inner = inner + f * ((qh_gq - qh_gq.mH) * 0.5)
        if grad_w is None and grad_q is None:
            return None
        if grad_q is None:
            inner = inner.to(q.dtype)  # real eigenvalues, complex eigenvectors
        return q @ inner @ q.mH


def _check_phase_invariant(xh_gx, op, what, tail):
    """Complex singular vectors / eigenvectors are defined up to a phase e^{i phi} each; a loss
    that changes with the phase has no gradient (torch's error): Im(diag(X^H grad_X)) = 0."""
    drift = xh_gx.diagonal(0, -2, -1).imag.abs()
    if bool((drift > 1e-2).any()):
        raise RuntimeError(f"{op}: The {what} in the complex case are specified up to "
                           f"multiplication by e^{{i phi}}. The specified loss function {tail}")


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric (Hermitian) matrix,
    read from its lower (UPLO='L') or upper triangle. Same as torch.linalg.eigh; eigenvector
    signs are LAPACK's, so compare Q diag(L) Q^H or |Q|."""
    _check_matrix(A, "linalg.eigh")
    _check_uplo(UPLO)
    return write_out(EighResult(*Eigh(UPLO).apply(A)), out, "linalg.eigh", same_dtype=True)


def eigvalsh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) of a symmetric (Hermitian) matrix. Same as
    torch.linalg.eigvalsh."""
    _check_matrix(A, "linalg.eigvalsh")
    _check_uplo(UPLO)
    if not (A.requires_grad and _grad_state.enabled):
        result = _constant(A, _xp(A).linalg.eigvalsh(A._data, UPLO=UPLO))
    else:
        result = Eigh(UPLO).apply(A)[0]
    return write_out(result, out, "linalg.eigvalsh", same_dtype=True)


# ---------------------------------------------------------------------------- pinv, rank, power

def _cutoff(s_max, m, n, atol, rtol, dtype):
    """The array max(atol, rtol * s_max); without rtol, rtol = eps * max(m, n), or 0 when
    atol > 0 is given (torch's defaults)."""
    if rtol is None:
        positive_atol = atol is not None and (isinstance(atol, Tensor) or atol > 0)
        rtol = 0.0 if positive_atol else D.finfo(dtype).eps * max(m, n)
    atol = 0.0 if atol is None else atol
    atol = atol._data[..., None] if isinstance(atol, Tensor) and atol.ndim else atol
    rtol = rtol._data[..., None] if isinstance(rtol, Tensor) and rtol.ndim else rtol
    return (s_max * rtol).clip(min=atol)


class Pinv(Node):
    """P = A+ = V diag(1/s) U^H from the SVD (hermitian: Q diag(1/w) Q^H from eigh); values
    at or below max(atol, rtol * s_max) count as zero.  For constant rank (Golub & Pereyra):
        dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P, so
        grad_A = -P^H g P^H + (I - A P) g^H P P^H + P^H P g^H (I - P A)"""

    _name = "LinalgPinvBackward0"

    def __init__(self, atol, rtol, hermitian):
        self.atol = atol
        self.rtol = rtol
        self.hermitian = hermitian

    def forward(self, a):
        xp = self.xp
        m, n = a.shape[-2:]
        if self.hermitian:
            w, q = xp.linalg.eigh(a)
            size = xp.abs(w)
            left, right = q, _conj_t(xp, q)
        else:
            u, w, vh = xp.linalg.svd(a, full_matrices=False)
            size = w
            left, right = _conj_t(xp, vh), _conj_t(xp, u)
        cutoff = _cutoff(size.max(-1, keepdims=True), m, n, self.atol, self.rtol,
                         D.from_numpy_dtype(size.dtype))
        kept = size > cutoff
        w_inv = xp.where(kept, 1 / xp.where(kept, w, 1), 0).astype(a.dtype)
        p = (left * w_inv[..., None, :]) @ right
        self.save(a, p)
        return p

    def backward(self, grad):
        a, p = self.saved
        ph, gh = p.mH, grad.mH
        # dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P, transposed onto dA:
        return (-(ph @ grad @ ph) + (gh - a @ (p @ gh)) @ (p @ ph)
                + (ph @ p) @ (gh - (gh @ p) @ a))


def _conj_t(xp, x):
    return xp.conj(xp.swapaxes(x, -1, -2))


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The Moore-Penrose pseudo-inverse A+ (from the SVD, or from eigh when hermitian=True);
    singular values s <= max(atol, rtol * s_max) count as zero. Same as torch.linalg.pinv."""
    _check_matrix(A, "linalg.pinv", square=False)
    return _finish(Pinv(atol, rtol, hermitian).apply(A), out)


def pinverse(input, rcond=1e-15):
    """Same as torch.pinverse (rcond is pinv's rtol)."""
    return pinv(input, rtol=rcond)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The number of singular values above max(atol, rtol * s_max), as int64. Same as
    torch.linalg.matrix_rank."""
    _check_matrix(A, "linalg.matrix_rank", square=False)
    xp = _xp(A)
    if hermitian:
        s = xp.abs(xp.linalg.eigvalsh(A._data))
    else:
        s = xp.linalg.svd(A._data, compute_uv=False)
    cutoff = _cutoff(s.max(-1, keepdims=True), *A.shape[-2:], atol, rtol, A.dtype)
    return _finish(_constant(A, (s > cutoff).sum(-1).astype(xp.int64)), out)
