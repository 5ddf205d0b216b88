"""QR primitives: qr (Q and R), geqrf (reflectors and tau), householder_product (?orgqr) and
ormqr (a product with the reflectors' Q).

Each is a primitive because each is one LAPACK call per matrix where the work is (lamina/_core/
_qr.pyx: batched, threaded, the input copied once into the output it becomes). qr is one
primitive rather than geqrf followed by householder_product because the kernel then factorizes
straight into Q's buffer (no intermediate reflector array) and because its derivative has its
own closed form (as PyTorch's linalg_qr_backward; Walter and Lehmann, "Algorithmic
differentiation of linear algebra functions", arXiv:1001.1654), which issues 6/7 add.

Outputs are column-major batches, as PyTorch's: the kernel fills C-contiguous (batch, cols,
rows) buffers and the matrices are their transposed views.
"""

import math

import numpy as np

from .._core import _qr
from ._batching import same_batch, to_front
from ._checks import check_lapack_size
from ._rules import not_implemented
from .cholesky import triangular_solve_p
from .creation import eye
from .joining import cat, stack
from .primitive import Primitive


def _batched(a, core):
    """A (B, *core) view of a (..., *core) array; a copy only when its batch dims cannot merge
    into one strided dim, or its strides are not whole elements (the kernel needs both)."""
    batch = math.prod(a.shape[:a.ndim - len(core)])
    if any(s % a.itemsize for s in a.strides):
        a = np.ascontiguousarray(a)
    try:
        return np.reshape(a, (batch,) + core, copy=False)
    except ValueError:
        return np.reshape(a, (batch,) + core)


def _matrices(buf, batch):
    """The (..., rows, cols) column-major matrices held by a C-contiguous (B, cols, rows)
    buffer."""
    return buf.reshape(batch + buf.shape[1:]).swapaxes(-1, -2)


def _eye_columns(batch, m, cols, dtype):
    """Column-major (..., m, cols) identity columns: Q of a matrix with no columns."""
    q = np.zeros((math.prod(batch), cols, m), dtype=dtype)
    for j in range(min(m, cols)):
        q[:, j, j] = 1
    return _matrices(q, batch)


def _qr_cpu(a, *, mode):
    check_lapack_size("qr", a)
    *batch, m, n = a.shape
    batch = tuple(batch)
    k = min(m, n)
    rr = m if mode == "complete" else k
    if m == 0 or n == 0:
        qc = m if mode == "complete" else k
        q = _eye_columns(batch, m, qc, a.dtype)
        r = _matrices(np.zeros((math.prod(batch), n, rr), dtype=a.dtype), batch)
    else:
        q, r = _qr.qr(_batched(a, (m, n)), mode)
        q = None if q is None else _matrices(q, batch)
        r = _matrices(r, batch)
    return (np.empty(0, dtype=a.dtype) if mode == "r" else q), r


def _qr_fwd(xp, a, *, mode):
    if mode == "r":
        return xp.empty(0, dtype=a.dtype), xp.linalg.qr(a, mode="r")
    return tuple(xp.linalg.qr(a, mode=mode))


# PyTorch's linalg_qr_backward (FunctionsManual.cpp): with X = gR R^H - Q^H gQ,
# m >= n: gA = (gQ + Q syminvadj(triu(X))) R^-H, syminvadj(Y) = Y + Y^H - Re diag(Y);
# m < n: gA = [Q trilImInvAdjSkew(-X) R_1^-H, 0] + Q gR, trilImInvAdjSkew(Y) = tril(Y - Y^H)
# with half its (imaginary) diagonal; R_1 = R's leading m x m block. Reads only Q and R.
def _qr_vjp(ct, out, A, *, mode):
    _check_differentiable(A, mode)
    gQ, gR = ct
    Q, R = out
    m, n = A._data.shape[-2:]
    if gQ is None:
        X = gR @ R.mH
    else:
        X = -(Q.mH @ gQ) if gR is None else gR @ R.mH - Q.mH @ gQ
    if m >= n:
        X = X.triu()
        gA = Q @ (X + X.mH - X.diagonal(0, -2, -1).real.diag_embed())
        if gQ is not None:
            gA = gA + gQ
        return (_solve_right_adjoint(R, gA),)
    Y = X.mH - X
    gA = Q @ (Y.tril() - 0.5 * Y.diagonal(0, -2, -1).diag_embed())
    gA = _solve_right_adjoint(R[..., :m], gA)
    gA = cat([gA, gA.new_zeros(gA._data.shape[:-1] + (n - m,))], -1)
    return (gA if gR is None else gA + Q @ gR,)


def _check_differentiable(A, mode):
    """PyTorch's refusals, shared by both rules: no Q, or a complete Q of a tall A."""
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                           "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                           "differentiate through linalg.qr.")
    m, n = A._data.shape[-2:]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")


# PyTorch's linalg_qr_jvp. Q^H dQ = Omega is skew-Hermitian and dR R^-1 upper triangular with
# a real diagonal (R's is), so C = Q^H dA R_1^-1 (R_1: R's leading k x k block) splits as
# Omega + dR_1 R_1^-1 with Omega = L - L^H + i Im diag(C), L = tril(C, -1).
# m >= n: dR = (C - Omega) R and dQ = dA R^-1 - Q (C - Omega) (the last term keeps dQ's part
# outside Q's span); m < n (Q square): dQ = Q Omega and dR = Q^H dA - Omega R.
def _qr_jvp(tangents, out, A, *, mode):
    _check_differentiable(A, mode)
    dA = tangents[0]
    Q, R = out
    m, n = A._data.shape[-2:]
    k = min(m, n)
    dAR1inv = _solve_right(R[..., :k, :k], dA if m >= n else dA[..., :k])
    C = Q.mH @ dAR1inv
    L = C.tril(-1)
    Omega = L - L.mH
    if C.dtype.is_complex:
        Omega = Omega + (1j * C.diagonal(0, -2, -1).imag).diag_embed()
    if m >= n:
        upper = C - Omega
        return dAR1inv - Q @ upper, upper @ R
    return Q @ Omega, Q.mH @ dA - Omega @ R


def _solve_right(R, B):
    """B R^-1 for upper triangular R (X R = B)."""
    return triangular_solve_p(R, B, upper=True, left=False, unitriangular=False,
                              transpose=False)


# The kernel batches over leading dims: the mapped dim goes first, one call. Mode 'r' returns
# an empty 1-D Q, not a batch of them: that output is unmapped.
def _qr_batch(bdims, A, *, mode):
    return qr_p(to_front(A, bdims[0]), mode=mode), (None if mode == "r" else 0, 0)


def _solve_right_adjoint(R, B):
    """B R^-H for upper triangular R (a triangular solve, X R^H = B)."""
    return triangular_solve_p(R.mH, B, upper=False, left=False, unitriangular=False,
                              transpose=False)


qr_p = Primitive("qr", cpu=_qr_cpu, xp=_qr_fwd, vjp=_qr_vjp, jvp=_qr_jvp, batch=_qr_batch,
                 saves=("out",))


# geqrf: LAPACK's own output, which householder_product and ormqr consume. A primitive because
# it is the kernel call; PyTorch gives it no derivative.
def _geqrf_cpu(a):
    check_lapack_size("geqrf", a)
    *batch, m, n = a.shape
    out, tau = _qr.geqrf(_batched(a, (m, n)))
    return _matrices(out, tuple(batch)), tau.reshape(tuple(batch) + tau.shape[1:])


def _geqrf_fwd(xp, a):
    h, tau = xp.linalg.qr(a, mode="raw")     # h holds the column-major result, transposed
    return h.swapaxes(-1, -2), tau


def _geqrf_batch(bdims, A):
    return geqrf_p(to_front(A, bdims[0])), 0


# No JVP either: PyTorch's forward AD refuses geqrf too.
geqrf_p = Primitive("geqrf", cpu=_geqrf_cpu, xp=_geqrf_fwd, vjp=not_implemented("geqrf"),
                    jvp=not_implemented("geqrf"), batch=_geqrf_batch, saves=())


# householder_product: ?orgqr, the explicit Q of (reflectors, tau); a primitive for the kernel
# call.
def _householder_product_cpu(a, tau):
    check_lapack_size("householder_product", a)
    *batch, m, n = a.shape
    k = tau.shape[-1]
    out = _qr.orgqr(_batched(a, (m, n)), _batched(tau, (k,)))
    return _matrices(out, tuple(batch))


# Q = H_1 ... H_k I_{m,n} with H_i = I - tau_i v_i v_i^H; gradients by reverse mode through
# that product (_reflectors_vjp). The same numbers as PyTorch's householder_product_backward.
def _householder_product_vjp(ct, out, A, tau):
    return _reflectors_vjp(ct, A, tau)


def _reflectors_vjp(G, A, tau):
    """(gA, gtau) for the cotangent G of Q's first G.shape[-1] columns, Q = H_1 ... H_k.

    With P_i = H_1 ... H_{i-1}, S_i = H_{i+1} ... H_k I_{m,cols} and M_i = P_i^H G S_i^H,
    <G, dQ> = <M_i, dH_i>, which gives gtau_i = -v_i^H M_i v_i and
    gv_i = -(conj(tau_i) M_i + tau_i M_i^H) v_i, kept below the diagonal (v_i's unit entry and
    the zeros above it are fixed; the upper triangle of A is not read)."""
    m, n = A._data.shape[-2:]
    k, cols = tau._data.shape[-1], G._data.shape[-1]
    if k == 0:
        return A.new_zeros(A._data.shape), tau.new_zeros(tau._data.shape)
    V = A[..., :k].tril(-1) + eye(m, k, dtype=A.dtype)
    vs = [V[..., :, i] for i in range(k)]
    ident = eye(m, dtype=A.dtype)
    Hs = [ident - tau[..., i, None, None] * (v.unsqueeze(-1) * v.conj().unsqueeze(-2))
          for i, v in enumerate(vs)]
    rights = [None] * k
    right = eye(m, cols, dtype=A.dtype)
    for i in reversed(range(k)):
        rights[i] = right
        right = Hs[i] @ right
    left = G                         # P_i^H G, advanced by H_i^H
    gvs, gtaus = [], []
    for i, v in enumerate(vs):
        M = left @ rights[i].mH
        Mv = M @ v.unsqueeze(-1)
        gtaus.append(-(v.conj().unsqueeze(-2) @ Mv)[..., 0, 0])
        gvs.append((-(tau[..., i, None, None].conj() * Mv)
                    - tau[..., i, None, None] * (M.mH @ v.unsqueeze(-1)))[..., 0])
        left = Hs[i].mH @ left
    gA = stack(gvs, -1).tril(-1)
    if k < n:
        gA = cat([gA, gA.new_zeros(gA._data.shape[:-1] + (n - k,))], -1)
    return gA, stack(gtaus, -1)


# dQ by the product rule through Q = H_1 ... H_k I_{m,n} (_reflectors_jvp).
def _householder_product_jvp(tangents, out, A, tau):
    return _reflectors_jvp(tangents, A, tau)[..., :A._data.shape[-1]]


def _reflectors_jvp(tangents, A, tau):
    """dQ (m x m) of the full Q = H_1 ... H_k for tangents (dA, dtau), either None (zero).
    With v_i = e_i + A's column i below the diagonal, dv_i = dA's column i below it and
    dH_i = -(dtau_i v_i v_i^H + tau_i (dv_i v_i^H + v_i dv_i^H)); the product is accumulated
    left to right, d(P H_i) = dP H_i + P dH_i."""
    dA, dtau = tangents
    m = A._data.shape[-2]
    k = tau._data.shape[-1]
    V = A[..., :k].tril(-1) + eye(m, k, dtype=A.dtype)
    dV = None if dA is None else dA[..., :k].tril(-1)
    P = eye(m, dtype=A.dtype)
    dP = None
    for i in range(k):
        v = V[..., :, i]
        vvh = v.unsqueeze(-1) * v.conj().unsqueeze(-2)
        t = tau[..., i, None, None]
        H = eye(m, dtype=A.dtype) - t * vvh
        dH = None
        if dtau is not None:
            dH = -dtau[..., i, None, None] * vvh
        if dV is not None:
            dv = dV[..., :, i]
            dvvh = dv.unsqueeze(-1) * v.conj().unsqueeze(-2)
            term = -t * (dvvh + dvvh.mH)
            dH = term if dH is None else dH + term
        dP = P @ dH if dP is None else dP @ H + P @ dH
        P = P @ H
    if dP is None:
        return A.new_zeros(A._data.shape[:-1] + (m,))
    return dP


# householder_product requires equal batch dims (no broadcasting): an unmapped operand is
# expanded over the batch.
def _householder_product_batch(bdims, A, tau):
    return householder_product_p(*same_batch(bdims, (A, tau))), 0


householder_product_p = Primitive("householder_product", cpu=_householder_product_cpu,
                                  vjp=_householder_product_vjp, jvp=_householder_product_jvp,
                                  batch=_householder_product_batch)


# ormqr: op(Q) C or C op(Q) without forming Q (?ormqr, O(mnk) instead of O(m^2 n)); a primitive
# for that reason.
def _ormqr_cpu(a, tau, c, *, left, transpose):
    check_lapack_size("ormqr", a, c)
    *batch, m, n = a.shape
    k = tau.shape[-1]
    out = _qr.ormqr(_batched(a, (m, n)), _batched(tau, (k,)), _batched(c, c.shape[-2:]),
                    left, transpose)
    return _matrices(out, tuple(batch))


# PyTorch's ormqr_backward, by the product rule: out = op(Q) C (or C op(Q)) gives C the
# cotangent through op(Q)^H (ormqr itself with `transpose` flipped) and Q the outer product of
# ct and C, which _reflectors_vjp takes back to the reflectors and tau.
def _ormqr_vjp(ct, out, A, tau, C, *, left, transpose):
    gC = ormqr_p(A, tau, ct, left=left, transpose=not transpose)
    if left:
        gQ = C @ ct.mH if transpose else ct @ C.mH
    else:
        gQ = ct.mH @ C if transpose else C.mH @ ct
    gA, gtau = _reflectors_vjp(gQ, A, tau)
    return gA, gtau, gC


# The product rule: d out = op(Q) dC + op(dQ) C (or dC op(Q) + C op(dQ)), dQ from
# _reflectors_jvp.
def _ormqr_jvp(tangents, out, A, tau, C, *, left, transpose):
    dA, dtau, dC = tangents
    d = None if dC is None else ormqr_p(A, tau, dC, left=left, transpose=transpose)
    if dA is None and dtau is None:
        return d
    dQ = _reflectors_jvp((dA, dtau), A, tau)
    if transpose:
        dQ = dQ.mH
    term = dQ @ C if left else C @ dQ
    return term if d is None else d + term


def _ormqr_batch(bdims, A, tau, C, *, left, transpose):
    return ormqr_p(*same_batch(bdims, (A, tau, C)), left=left, transpose=transpose), 0


ormqr_p = Primitive("ormqr", cpu=_ormqr_cpu, vjp=_ormqr_vjp, jvp=_ormqr_jvp, batch=_ormqr_batch)
