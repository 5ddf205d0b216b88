"""The Cholesky family's primitives: the factorization, the inverse from a factor, solves with a
factor, and triangular solves.

On cpu every one is a batched Cython kernel (lamina/_core/_cholesky.pyx, _triangular.pyx):
threads over the batch, a tiny-matrix Cholesky without LAPACK, no copies of transposed operands.
Results come back as the kernels leave them, column-major per matrix (transposed views of
C-contiguous buffers), which is also PyTorch's layout for them. The `xp=` bodies are one forward
for NumPy and CuPy alike, for the CUDA path.
"""

import numpy as np

from .._core import _cholesky, _triangular
from .._core._pool import output
from ._batching import batch_first, to_front
from ._checks import check_lapack_size
from ._rules import unbroadcast, wants
from .primitive import Primitive


def _conj_t(xp, a):
    return xp.conj(xp.swapaxes(a, -1, -2))


def _batch(*arrays):
    return np.broadcast_shapes(*(a.shape[:-2] for a in arrays))


# -- the factorization ----------------------------------------------------------------------------

# A primitive: the factorization itself (LAPACK ?potrf, or the tiny kernel), and the one place
# that knows which matrices failed. No `xp=` body: numpy.linalg.cholesky raises on the first
# failure instead of reporting each matrix's status.
def _cholesky_ex_cpu(A, *, upper):
    check_lapack_size("cholesky", A)
    out = output(A.shape, A.dtype)
    info = output(A.shape[:-2], np.int32)
    _cholesky.potrf_batched(A, out, info, upper)
    return out.swapaxes(-1, -2), info


# Murray 2016 (arXiv:1602.07527) eq. 10 as PyTorch's cholesky_backward: with A = L L^H,
# gA = L^-H Phi(L^H gL) L^-1, Phi taking the lower triangle and half the diagonal; PyTorch's
# Phi(X) + strict_lower(X)^H form makes gA Hermitian. Reads only the factor.
def _cholesky_ex_vjp(ct, out, A, *, upper):
    gL, L = ct[0], out[0]
    if gL is None:
        return (None,)
    if upper:
        L, gL = L.mH, gL.mH
    phi = (L.mH @ gL).tril()
    phi = 0.5 * (phi + phi.tril(-1).mH)
    gA = solve_triangular(L.mH, phi, upper=True, left=True)
    return (solve_triangular(L, gA, upper=False, left=False),)


# PyTorch's cholesky_jvp: dA = dL L^H + L dL^H gives L^-1 dA L^-H = L^-1 dL + (L^-1 dL)^H with
# L^-1 dL lower triangular, so dL = L Phi(L^-1 dA L^-H), Phi taking the lower triangle and half
# the diagonal. Like PyTorch's, it reads all of dA (a Hermitian tangent gives the true one).
def _cholesky_ex_jvp(tangents, out, A, *, upper):
    L = out[0].mH if upper else out[0]
    dL = solve_triangular(L, tangents[0], upper=False, left=True)
    dL = solve_triangular(L.mH, dL, upper=True, left=False)
    dL = L @ (dL.tril() - 0.5 * dL.diagonal(0, -2, -1).diag_embed())
    return (dL.mH if upper else dL), None


# The kernels of this family batch over leading dims (and broadcast them between operands):
# mapped dims first, one call for the whole batch; info is batched too.
def _cholesky_ex_batch(bdims, A, *, upper):
    return cholesky_ex_p(to_front(A, bdims[0]), upper=upper), 0


cholesky_ex_p = Primitive("cholesky_ex", cpu=_cholesky_ex_cpu, vjp=_cholesky_ex_vjp,
                          jvp=_cholesky_ex_jvp, batch=_cholesky_ex_batch, saves=("out",))


# -- the inverse from a factor -------------------------------------------------------------------

# A primitive for speed: ?potri inverts the triangle and forms the product in n^3 / 3 + n^3 / 3
# multiply-adds, a third of a solve against the identity; `info` names a zero diagonal element.
def _cholesky_inverse_ex_cpu(L, *, upper):
    check_lapack_size("cholesky_inverse", L)
    out = output(L.shape, L.dtype)
    info = output(L.shape[:-2], np.int32)
    _cholesky.potri_batched(L, out, info, upper)
    return out.swapaxes(-1, -2), info


def _cholesky_inverse_ex_xp(xp, L, *, upper):
    A = _conj_t(xp, L) @ L if upper else L @ _conj_t(xp, L)
    zero = xp.diagonal(L, axis1=-2, axis2=-1) == 0
    info = xp.where(zero.any(-1), zero.argmax(-1) + 1, 0).astype(np.int32)
    return xp.linalg.inv(A), info


# PyTorch's cholesky_inverse_backward: S = (L L^H)^-1 gives dS = -S (dL L^H + L dL^H) S, so
# gL = -(S (G + G^H) S) L (upper: -U S (G + G^H) S). Like PyTorch's, gL is not projected onto
# the triangle the kernel reads.
def _cholesky_inverse_ex_vjp(ct, out, L, *, upper):
    g, S = ct[0], out[0]
    if g is None or not wants(L):
        return (None,)
    common = S @ (g + g.mH) @ S
    return (-(L @ common) if upper else -(common @ L),)


# The differential of S = (L L^H)^-1: dS = -S (dL L^H + L dL^H) S (upper: dU^H U + U^H dU in the
# middle), the formula of PyTorch's cholesky_inverse_jvp. Deviation: torch 2.13's forward AD of
# cholesky_inverse differs from central differences (by ~5e-2 on a 4x4 SPD factor, triangular
# tangent); this rule matches them and the VJP.
def _cholesky_inverse_ex_jvp(tangents, out, L, *, upper):
    dL, S = tangents[0], out[0]
    common = dL.mH @ L if upper else dL @ L.mH
    return -(S @ (common + common.mH) @ S), None


def _cholesky_inverse_ex_batch(bdims, L, *, upper):
    return cholesky_inverse_ex_p(to_front(L, bdims[0]), upper=upper), 0


cholesky_inverse_ex_p = Primitive("cholesky_inverse_ex", cpu=_cholesky_inverse_ex_cpu,
                                  xp=_cholesky_inverse_ex_xp, vjp=_cholesky_inverse_ex_vjp,
                                  jvp=_cholesky_inverse_ex_jvp,
                                  batch=_cholesky_inverse_ex_batch, saves=(0, "out"))


# -- solves ---------------------------------------------------------------------------------------

# A primitive for speed: both triangular solves in one pass over the right-hand sides (?potrs),
# which are copied once into the result, instead of two solve_triangular calls.
def _cholesky_solve_cpu(B, L, *, upper):
    check_lapack_size("cholesky_solve", B, L)
    n, k = B.shape[-2:]
    out = output(_batch(B, L) + (k, n), B.dtype)
    _triangular.potrs_batched(L, B, out, upper)
    return out.swapaxes(-1, -2)


def _cholesky_solve_xp(xp, B, L, *, upper):
    A = _conj_t(xp, L) @ L if upper else L @ _conj_t(xp, L)
    return xp.linalg.solve(A, B)


# PyTorch's cholesky_solve_backward: X = A^-1 B with A = L L^H Hermitian, so gB = A^-1 gX, and
# dX = -A^-1 dA X gives gA = -gB X^H, whose part through L (dA = dL L^H + L dL^H) is
# gL = -(gB X^H + X gB^H) L (upper: -U (...)). Not projected onto the triangle, as PyTorch's.
def _cholesky_solve_vjp(ct, X, B, L, *, upper):
    gB = cholesky_solve_p(ct, L, upper=upper)
    gL = None
    if wants(L):
        common = gB @ X.mH
        common = common + common.mH
        gL = unbroadcast(-(L @ common) if upper else -(common @ L), L)
    return (unbroadcast(gB, B) if wants(B) else None), gL


# PyTorch's cholesky_solve_jvp: A X = B with A = L L^H gives dX = A^-1 (dB - dA X), where
# dA = dK + dK^H, dK = dL L^H (upper: dU^H U).
def _cholesky_solve_jvp(tangents, X, B, L, *, upper):
    dB, dL = tangents
    rhs = dB
    if dL is not None:
        dK = dL.mH @ L if upper else dL @ L.mH
        dAX = (dK + dK.mH) @ X
        rhs = -dAX if rhs is None else rhs - dAX
    return cholesky_solve_p(rhs, L, upper=upper)


def _cholesky_solve_batch(bdims, B, L, *, upper):
    return cholesky_solve_p(*batch_first(bdims, (B, L), (2, 2)), upper=upper), 0


cholesky_solve_p = Primitive("cholesky_solve", cpu=_cholesky_solve_cpu, xp=_cholesky_solve_xp,
                             vjp=_cholesky_solve_vjp, jvp=_cholesky_solve_jvp,
                             batch=_cholesky_solve_batch, saves=(1, "out"))


# A primitive: the triangular solve (?trsm) that linalg.solve_triangular and triangular_solve
# both are. op(A) is A, or A^T with `transpose`; `left` solves op(A) X = B, else X op(A) = B.
def _triangular_solve_cpu(A, B, *, upper, left, unitriangular, transpose):
    check_lapack_size("triangular_solve", A, B)
    rows, cols = B.shape[-2:]
    out = output(_batch(A, B) + (cols, rows), A.dtype)
    _triangular.trsm_batched(A, B, out, upper, left, unitriangular, transpose)
    return out.swapaxes(-1, -2)


def _triangular_solve_xp(xp, A, B, *, upper, left, unitriangular, transpose):
    T = xp.triu(A) if upper else xp.tril(A)
    if unitriangular:
        n = A.shape[-1]
        T = xp.where(xp.eye(n, dtype=bool), xp.ones((), A.dtype), T)
    if transpose:
        T = xp.swapaxes(T, -1, -2)
    if left:
        return xp.linalg.solve(T, B)
    return xp.swapaxes(xp.linalg.solve(xp.swapaxes(T, -1, -2), xp.swapaxes(B, -1, -2)), -1, -2)


# PyTorch's linalg_solve_triangular_backward / triangular_solve_backward. With M = op(A):
# X = M^-1 B (left) gives gB = M^-H gX and gM = -gB X^H; X = B M^-1 gives gB = gX M^-H and
# gM = -X^H gB. M^-H is conj(A) solved with the transpose flag flipped. gA (gM, transposed back
# when op transposes) keeps only the entries the solve reads: A's triangle, without the diagonal
# when it is taken as ones.
def _triangular_solve_vjp(ct, X, A, B, *, upper, left, unitriangular, transpose):
    gB = triangular_solve_p(A.conj(), ct, upper=upper, left=left, unitriangular=unitriangular,
                            transpose=not transpose)
    gA = None
    if wants(A):
        gM = -(gB @ X.mH) if left else -(X.mH @ gB)
        if transpose:
            gM = gM.mT
        gA = gM.triu(int(unitriangular)) if upper else gM.tril(-int(unitriangular))
        gA = unbroadcast(gA, A)
    return gA, (unbroadcast(gB, B) if wants(B) else None)


# PyTorch's linalg_solve_triangular_forward_AD: with M = op(A), dX = M^-1 (dB - dM X) (left) or
# (dB - X dM) M^-1, dM read from the entries the solve reads (A's triangle, without the diagonal
# when it is taken as ones), transposed when op transposes. The deprecated triangular_solve
# shares it; torch 2.13's triangular_solve_jvp instead takes all of dA, untransposed, which
# differs from central differences for a full tangent or transpose=True.
def _triangular_solve_jvp(tangents, X, A, B, *, upper, left, unitriangular, transpose):
    dA, dB = tangents
    rhs = dB
    if dA is not None:
        dM = dA.triu(int(unitriangular)) if upper else dA.tril(-int(unitriangular))
        if transpose:
            dM = dM.mT
        dMX = dM @ X if left else X @ dM
        rhs = -dMX if rhs is None else rhs - dMX
    return triangular_solve_p(A, rhs, upper=upper, left=left, unitriangular=unitriangular,
                              transpose=transpose)


def _triangular_solve_batch(bdims, A, B, **params):
    return triangular_solve_p(*batch_first(bdims, (A, B), (2, 2)), **params), 0


triangular_solve_p = Primitive("triangular_solve", cpu=_triangular_solve_cpu,
                               xp=_triangular_solve_xp, vjp=_triangular_solve_vjp,
                               jvp=_triangular_solve_jvp, batch=_triangular_solve_batch,
                               saves=(0, "out"))


def solve_triangular(A, B, *, upper, left, unitriangular=False):
    """linalg.solve_triangular without its checks, for the rules of this family and lu's."""
    return triangular_solve_p(A, B, upper=upper, left=left, unitriangular=unitriangular,
                              transpose=False)
