"""The LU family's primitives: factor, solve from a factor, solve, inverse, det, slogdet, and the
pivots-to-permutation step of lu_unpack.

Each takes NumPy arrays (cpu: the Cython kernels of lamina/_core/_lu.pyx, batched, threaded,
with loops for tiny matrices) whose batch dims the public functions in lamina/linalg/_lu.py have
already checked; the wrappers here broadcast batch dims between operands, and check what the
kernels' memory safety depends on (pivot values) whatever the caller. `xp=` bodies, written
against numpy/cupy's namespace, serve devices without a kernel.

The VJP rules are PyTorch's (tools/autograd/derivatives.yaml and FunctionsManual.cpp), written
in lamina ops so that they are differentiable themselves. Info outputs and the permutation
carry no derivative.
"""

import numpy as np

from .._core import _lu
from ._batching import batch_first, physical, to_front
from ._rules import unbroadcast, wants
from .cholesky import solve_triangular
from .creation import eye, zeros_like
from .indexing import where
from .joining import cat
from .primitive import NONDIFF, Primitive
from .svd import svd_ex_p


def unpack_factor(LU):
    """L (*, m, k), unit lower triangular, and U (*, k, n) of a packed factor, k = min(m, n)."""
    m, n = LU._data.shape[-2:]
    k = min(m, n)
    return LU.narrow(-1, 0, k).tril(-1) + eye(m, k, dtype=LU.dtype), LU.narrow(-2, 0, k).triu()


def _permutation_of(LU, pivots):
    return lu_permutation_p(pivots, m=LU._data.shape[-2], dtype=LU.dtype.name)


def _broadcast(*arrays):
    """Broadcast the batch dims (all but the last `core` dims of each) of (array, core) pairs;
    zero-stride views, no copies. Operands whose batch dims already agree (the common case)
    come back as they are: broadcast_to costs ~10 us a call, as much as 50 4x4 solves."""
    shapes = [a.shape[:a.ndim - core] for a, core in arrays]
    if all(s == shapes[0] for s in shapes):
        return [a for a, _ in arrays]
    batch = np.broadcast_shapes(*shapes)
    return [np.broadcast_to(a, batch + a.shape[a.ndim - core:]) for a, core in arrays]


# -- lu_factor_ex: A (*, m, n) -> LU (*, m, n), pivots (*, min(m, n)) int32, info (*) int32 ----

# A primitive: the factorization every other op here could be built from, and the one place
# where ?getrf runs; its factor is returned column-major, as PyTorch's.
# PyTorch's lu_factor_ex_backward and linalg_lu_backward: the cotangent of the packed factor is
# gL = strict_lower(g) and gU = upper(g); with A = P L U, square:
#   gA = P L^-H (strict_lower(L^H gL) + upper(gU U^H)) U^-H,
# and the wide (m < n) and tall (m > n) cases split U = [U1 U2] or L = [L1; L2].
def _lu_factor_ex_vjp(ct, out, A):
    g = ct[0]
    if g is None:
        return (None,)
    LU, pivots = out[0], out[1]
    m, n = LU._data.shape[-2:]
    k = min(m, n)
    L, U = unpack_factor(LU)
    gL, gU = g.narrow(-1, 0, k).tril(-1), g.narrow(-2, 0, k).triu()
    if m == n:
        gA = (L.mH @ gL).tril(-1) + (gU @ U.mH).triu()
        gA = solve_triangular(U.mH, gA, upper=False, left=False)
        gA = solve_triangular(L.mH, gA, upper=True, left=True, unitriangular=True)
    elif m < n:
        gA = (L.mH @ gL - gU @ U.mH).tril(-1)
        gA = solve_triangular(U.narrow(-1, 0, k).mH, gA, upper=False, left=False)
        gA = cat([gA + gU.narrow(-1, 0, k), gU.narrow(-1, k, n - k)], -1)
        gA = solve_triangular(L.mH, gA, upper=True, left=True, unitriangular=True)
    else:
        gA = (gU @ U.mH - L.mH @ gL).triu()
        gA = solve_triangular(L.narrow(-2, 0, k).mH, gA, upper=True, left=True,
                              unitriangular=True)
        gA = cat([gA + gL.narrow(-2, 0, k), gL.narrow(-2, k, m - k)], -2)
        gA = solve_triangular(U.mH, gA, upper=False, left=False)
    return (_permutation_of(LU, pivots) @ gA,)


# PyTorch's lu_factor_ex_jvp (linalg_lu_jvp): P^T dA = dL U + L dU. With A1 the leading k x k
# block (A = [A1 A2] wide, [A1; A2] tall), dK = L1^-1 (P^T dA)1 U1^-1 = L1^-1 dL1 + dU1 U1^-1,
# a strictly lower plus an upper triangle: dL1 = L1 strict_lower(dK), dU1 = upper(dK) U1; then
# dU2 = L1^-1 (dA2 - dL1 U2) (wide) or dL2 = (dA2 - L2 dU1) U1^-1 (tall). The packed tangent is
# dL + dU; pivots and info have none.
def _lu_factor_ex_jvp(tangents, out, A):
    LU, pivots = out[0], out[1]
    m, n = LU._data.shape[-2:]
    k = min(m, n)
    L, U = unpack_factor(LU)
    L1, U1 = L.narrow(-2, 0, k), U.narrow(-1, 0, k)
    dA = _permutation_of(LU, pivots).mT @ tangents[0]
    dK = solve_triangular(U1, dA.narrow(-2, 0, k).narrow(-1, 0, k), upper=True, left=False)
    dK = solve_triangular(L1, dK, upper=False, left=True, unitriangular=True)
    dL1, dU1 = L1 @ dK.tril(-1), dK.triu() @ U1
    dLU = dL1 + dU1
    if m < n:
        dA2 = dA.narrow(-1, k, n - k) - dL1 @ U.narrow(-1, k, n - k)
        dLU = cat([dLU, solve_triangular(L1, dA2, upper=False, left=True, unitriangular=True)],
                  -1)
    elif m > n:
        dA2 = dA.narrow(-2, k, m - k) - L.narrow(-2, k, m - k) @ dU1
        dLU = cat([dLU, solve_triangular(U1, dA2, upper=True, left=False)], -2)
    return dLU, None, None


# The factorizations and solves here batch over leading dims and broadcast them between
# operands: mapped dims first, one kernel call for the whole batch; pivots and info are batched
# too.
def _lu_factor_ex_batch(bdims, A):
    return lu_factor_ex_p(to_front(A, bdims[0])), 0


lu_factor_ex_p = Primitive("lu_factor_ex", cpu=_lu.lu_factor, vjp=_lu_factor_ex_vjp,
                           jvp=_lu_factor_ex_jvp, batch=_lu_factor_ex_batch, saves=("out",))


# -- lu_solve: op(A) X = B from A's factor --------------------------------------------------------

def _check_pivots(piv, n):
    if piv.size:
        if piv.min() < 1:
            raise RuntimeError("Pivots given to lu_solve must all be greater or equal to 1. Did "
                               "you properly pass the result of lu_factor?")
        if piv.max() > n:
            raise RuntimeError("Pivots given to lu_solve must all be smaller or equal to "
                               "LU.size(-2). Did you properly pass the result of lu_factor?")


def _lu_solve_cpu(lu, piv, b, *, left=True, adjoint=False):
    """left: op(A) X = B with op = A or A^H; right (left=False): X op(A) = B, solved as
    A^T X^T = B^T (op = A) or, with op = A^H, A conj(X^T) = conj(B^T): transposed views of B
    and X, a conjugation flag, never a copy of the factor."""
    n = lu.shape[-1]
    _check_pivots(piv, n)
    if piv.strides[-1] != piv.itemsize:
        piv = np.ascontiguousarray(piv)
    if not left:
        b = b.swapaxes(-1, -2)
    lu, piv, b = _broadcast((lu, 2), (piv, 1), (b, 2))
    trans = ("C" if adjoint else "N") if left else ("N" if adjoint else "T")
    x = _lu.lu_solve(lu, piv, b, trans, not left and adjoint)
    return x if left else x.swapaxes(-1, -2)


def _lu_solve_xp(xp, lu, piv, b, *, left=True, adjoint=False):
    n = lu.shape[-1]
    _check_pivots(piv, n)
    p = _permutation(xp, piv, n, lu.dtype)
    eye = xp.eye(n, dtype=lu.dtype)
    lower = xp.tril(lu, -1) + eye
    a = xp.matmul(p, xp.matmul(lower, xp.triu(lu)))
    if adjoint:
        a = xp.conj(xp.swapaxes(a, -1, -2))
    if left:
        return xp.linalg.solve(a, b)
    return xp.swapaxes(xp.linalg.solve(xp.swapaxes(a, -1, -2), xp.swapaxes(b, -1, -2)), -1, -2)


# derivatives.yaml: linalg_lu_solve. gB solves with the other op(A); gLU is PyTorch's
# linalg_lu_solve_LU, the adjoint of linalg_lu_solve_jvp: with gR an auxiliary matrix,
# left != adjoint: gR = U^-H (-op(gX) op(X)^H), gLU = strict_lower(L^-H gR U^H) + upper(gR);
# otherwise: gR = -P^T op(X) op(gX)^H P L^-H, gLU = strict_lower(gR) + upper(L^H gR U^-H).
def _lu_solve_vjp(ct, X, LU, pivots, B, *, left=True, adjoint=False):
    gB = lu_solve_p(LU, pivots, ct, left=left, adjoint=not adjoint) if wants(B) else None
    gLU = None
    if wants(LU):
        L, U = unpack_factor(LU)
        if left != adjoint:
            gR = -(ct @ X.mH) if left else -(ct.mH @ X)
            gR = solve_triangular(U.mH, gR, upper=False, left=True)
            gL = solve_triangular(L.mH, gR @ U.mH, upper=True, left=True, unitriangular=True)
            gLU = gL.tril(-1) + gR.triu()
        else:
            P = _permutation_of(LU, pivots)
            gR = -(P.mT @ ((X @ ct.mH) if left else (X.mH @ ct)) @ P)
            gR = solve_triangular(L.mH, gR, upper=True, left=False, unitriangular=True)
            gU = solve_triangular(U.mH, L.mH @ gR, upper=False, left=False)
            gLU = gR.tril(-1) + gU.triu()
        gLU = unbroadcast(gLU, LU)
    return gLU, None, (None if gB is None else unbroadcast(gB, B))


# derivatives.yaml: linalg_lu_solve (linalg_lu_solve_jvp). With A = P L U, dA = P (dL U + L dU)
# and op(A) X = B (left) or X op(A) = B: dX solves the same system with right-hand side
# dB - op(dA) X (or dB - X op(dA)). op(dA) is formed explicitly: one product more than PyTorch's
# grouping of the triangular factors, the same tangent.
def _lu_solve_jvp(tangents, X, LU, pivots, B, *, left=True, adjoint=False):
    dLU, _, dB = tangents
    rhs = dB
    if dLU is not None:
        L, U = unpack_factor(LU)
        dA = _permutation_of(LU, pivots) @ (dLU.tril(-1) @ U + L @ dLU.triu())
        if adjoint:
            dA = dA.mH
        dAX = dA @ X if left else X @ dA
        rhs = -dAX if rhs is None else rhs - dAX
    return lu_solve_p(LU, pivots, rhs, left=left, adjoint=adjoint)


def _lu_solve_batch(bdims, LU, pivots, B, **params):
    return lu_solve_p(*batch_first(bdims, (LU, pivots, B), (2, 1, 2)), **params), 0


# A primitive: getrs from a factor, the op lu_solve's derivative and solve's share.
lu_solve_p = Primitive("lu_solve", cpu=_lu_solve_cpu, xp=_lu_solve_xp, vjp=_lu_solve_vjp,
                       jvp=_lu_solve_jvp, batch=_lu_solve_batch, saves=(0, 1, "out"))


# -- solve_ex: A X = B (or X A = B) -> X, info ----------------------------------------------------

def _solve_ex_cpu(a, b, *, left=True):
    """X A = B is A^T X^T = B^T: transposed views in, the transposed result out."""
    if not left:
        a, b = a.swapaxes(-1, -2), b.swapaxes(-1, -2)
    a, b = _broadcast((a, 2), (b, 2))
    x, info = _lu.solve(a, b)
    return (x if left else x.swapaxes(-1, -2)), info


def _solve_ex_xp(xp, a, b, *, left=True):
    if not left:
        a, b = xp.swapaxes(a, -1, -2), xp.swapaxes(b, -1, -2)
    x = xp.linalg.solve(a, b)
    info = xp.zeros(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]), dtype=np.int32)
    return (x if left else xp.swapaxes(x, -1, -2)), info


# PyTorch's linalg_solve_backward: X = A^-1 B gives gB = A^-H gX and gA = -gB X^H; for
# X = B A^-1, gB = gX A^-H and gA = -X^H gB.
def _solve_ex_vjp(ct, out, A, B, *, left=True):
    gX, X = ct[0], out[0]
    if gX is None:
        return None, None
    gB = solve_ex_p(A.mH, gX, left=left)[0]
    gA = None
    if wants(A):
        gA = unbroadcast(-(gB @ X.mH) if left else -(X.mH @ gB), A)
    return gA, (unbroadcast(gB, B) if wants(B) else None)


# derivatives.yaml: linalg_solve_ex (linalg_solve_jvp): dX = A^-1 (dB - dA X), or
# (dB - X dA) A^-1 for X A = B.
def _solve_ex_jvp(tangents, out, A, B, *, left=True):
    dA, dB = tangents
    rhs = dB
    if dA is not None:
        X = out[0]
        dAX = dA @ X if left else X @ dA
        rhs = -dAX if rhs is None else rhs - dAX
    return solve_ex_p(A, rhs, left=left)[0], None


def _solve_ex_batch(bdims, A, B, *, left=True):
    return solve_ex_p(*batch_first(bdims, (A, B), (2, 2)), left=left), 0


# A primitive for speed: factor and solve fused per matrix, A's factor in a per-thread scratch
# (no factor tensor allocated), and the tiny-matrix loops.
solve_ex_p = Primitive("solve_ex", cpu=_solve_ex_cpu, xp=_solve_ex_xp, vjp=_solve_ex_vjp,
                       jvp=_solve_ex_jvp, batch=_solve_ex_batch, saves=(0, "out"))


# -- inv_ex: A -> A^-1, info -----------------------------------------------------------------------

def _inv_ex_xp(xp, a):
    return xp.linalg.inv(a), xp.zeros(a.shape[:-2], dtype=np.int32)


# derivatives.yaml: linalg_inv_ex. d(A^-1) = -A^-1 dA A^-1, so gA = -A^-H g A^-H.
def _inv_ex_vjp(ct, out, A):
    g = ct[0]
    if g is None:
        return (None,)
    inv_h = out[0].mH
    return (-(inv_h @ g @ inv_h),)


# d(A^-1) = -A^-1 dA A^-1 (holomorphic: no conjugate).
def _inv_ex_jvp(tangents, out, A):
    inv = out[0]
    return -(inv @ tangents[0] @ inv), None


def _inv_ex_batch(bdims, A):
    return inv_ex_p(to_front(A, bdims[0])), 0


# A primitive for speed: getrf + getri in place in the output, and the tiny-matrix loops.
inv_ex_p = Primitive("inv_ex", cpu=_lu.inv, xp=_inv_ex_xp, vjp=_inv_ex_vjp, jvp=_inv_ex_jvp,
                     batch=_inv_ex_batch, saves=("out",))


# -- det, slogdet ---------------------------------------------------------------------------------

def _slogdet_xp(xp, a):
    sign, logabs = xp.linalg.slogdet(a)
    return sign.astype(a.dtype), logabs.astype(a.real.dtype)


def _det_grad(ct, det, A):
    """PyTorch's linalg_det_backward: gA = ct conj(det) A^-H, i.e. ct conj(C) with C = det A^-T
    the cofactor matrix, where A is invertible; where a pivot of its LU factor is below eps, the
    cofactors from the SVD, which stay finite at singular A (a rank n-1 A has a nonzero
    gradient). Which matrices are singular is read on the physical values, so under vmap one
    check covers the batch (`where` still picks per matrix)."""
    n = A._data.shape[-1]
    if n == 0:
        return ct.new_zeros(A._data.shape)
    pivots = lu_factor_ex_p(A.detach())[0].diagonal(0, -2, -1).abs()
    singular = pivots.amin(-1) < np.finfo(pivots._data.dtype).eps
    flags = physical(singular)._data
    if not flags.any():
        return _cofactors_inv(ct, det, A)
    if flags.all():
        return _cofactors_svd(ct, A)
    return where(singular[..., None, None], _cofactors_svd(ct, A), _cofactors_inv(ct, det, A))


def _det_vjp(ct, det, A):
    return (_det_grad(ct, det, A),)


# d det = tr(adj(A) dA) = sum(C * dA) (Jacobi's formula; holomorphic, so no conjugate on the
# tangent): the VJP's cofactors for a unit cotangent are conj(C). Computed as the VJP does, so
# it stays right at singular A, where PyTorch's det * tr(A^-1 dA) (with eps on zero pivots)
# gives 0 for a rank n-1 A.
def _det_jvp(tangents, det, A):
    return (_det_grad(det.new_ones(det._data.shape), det, A).conj() * tangents[0]).sum((-2, -1))


def _cofactors_inv(ct, det, A):
    return (ct * det.conj())[..., None, None] * inv_ex_p(A)[0].mH


def _cofactors_svd(ct, A):
    # A = U S Vh gives det A = det U det Vh prod(S), so gA = U diag(c prod_{j != i} S_j) Vh with
    # c = ct conj(det U det Vh); the products of the other values are exclusive cumulative
    # products from both ends (PyTorch's prod_safe_zeros_backward), with no division by S.
    U, S, Vh, _ = svd_ex_p(A, full_matrices=False, compute_uv=True)
    n = S._data.shape[-1]
    ones = S.new_ones(S._data.shape[:-1] + (1,))
    before = cat([ones, S.narrow(-1, 0, n - 1)], -1).cumprod(-1)
    after = cat([ones, S.narrow(-1, 1, n - 1).flip(-1)], -1).cumprod(-1).flip(-1)
    D = (ct * (det_p(U) * det_p(Vh)).conj())[..., None] * (before * after)
    return (U * D[..., None, :]) @ Vh


# derivatives.yaml: _linalg_slogdet, PyTorch's slogdet_backward: d log|det A| = Re tr(A^-1 dA),
# and for complex A, d sign = i sign Im tr(A^-1 dA); so gA = g A^-H with g = g_logabsdet +
# i Im(g_sign conj(sign)). A real sign is piecewise constant: it gets no gradient.
def _slogdet_vjp(ct, out, A):
    g_sign, g = ct
    if A.dtype.is_complex and g_sign is not None:
        from_sign = (g_sign * out[0].conj()).imag * 1j
        g = from_sign if g is None else g + from_sign
    if g is None:
        return (None,)
    return (g[..., None, None] * inv_ex_p(A)[0].mH,)


# PyTorch's slogdet_jvp: with t = tr(A^-1 dA), d log|det A| = Re t, and d sign = i Im(t) sign
# for complex A; a real sign is piecewise constant, its tangent zero.
def _slogdet_jvp(tangents, out, A):
    sign = out[0]
    t = solve_ex_p(A, tangents[0])[0].diagonal(0, -2, -1).sum(-1)
    if A.dtype.is_complex:
        return sign * (t.imag * 1j), t.real
    return zeros_like(sign), t


def _det_batch(bdims, A):
    return det_p(to_front(A, bdims[0])), 0


def _slogdet_batch(bdims, A):
    return slogdet_p(to_front(A, bdims[0])), 0


# Primitives for speed (the factor is never stored: a per-thread scratch, or the tiny loops'
# registers) and for their derivatives, which differ (det's vanishes with A; slogdet's does not).
det_p = Primitive("det", cpu=_lu.det, xp=lambda xp, a: xp.linalg.det(a), vjp=_det_vjp,
                  jvp=_det_jvp, batch=_det_batch, saves=(0, "out"))
slogdet_p = Primitive("slogdet", cpu=_lu.slogdet, xp=_slogdet_xp, vjp=_slogdet_vjp,
                      jvp=_slogdet_jvp, batch=_slogdet_batch, saves=(0, "out"))


# -- lu_unpack's permutation -----------------------------------------------------------------------

def _check_unpack_pivots(piv, m):
    if piv.size and (piv.min() < 1 or piv.max() > m):
        raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) "
                           "inclusive.Did you properly pass the result of lu_factor?")


def _permutation(xp, piv, m, dtype):
    """P (*, m, m) with A = P L U from getrf's 1-based swaps: the swaps applied in order to
    0..m-1 give r, and column i of P is e_{r[i]}."""
    _check_unpack_pivots(piv, m)
    r = xp.broadcast_to(xp.arange(m), piv.shape[:-1] + (m,)).copy()
    if r.size == 0:
        return xp.zeros(r.shape + (m,), dtype=dtype)
    rows = r.reshape(-1, m)
    # rows.shape[0], not -1: pivots of a (m, 0) LU have no entries, so -1 would be ambiguous.
    swaps = piv.reshape(rows.shape[0], piv.shape[-1]).astype(np.int64) - 1
    at = xp.arange(rows.shape[0])
    for i in range(swaps.shape[1]):     # sequential by nature: swap i depends on swaps < i
        j = swaps[:, i]
        ri, rj = rows[:, i].copy(), rows[at, j]
        rows[:, i] = rj
        rows[at, j] = ri
    return (xp.arange(m)[:, None] == r[..., None, :]).astype(dtype)


# The swaps run over every leading dim of the pivots at once: mapped dim first, one call.
def _lu_permutation_batch(bdims, pivots, *, m, dtype):
    return lu_permutation_p(to_front(pivots, bdims[0]), m=m, dtype=dtype), 0


# A primitive: applying k swaps in sequence has no expression in a few tensor ops; its output is
# a 0/1 matrix that carries no derivative.
lu_permutation_p = Primitive("lu_permutation", xp=lambda xp, piv, *, m, dtype: _permutation(
    xp, piv, m, dtype), vjp=NONDIFF, jvp=NONDIFF, batch=_lu_permutation_batch)
