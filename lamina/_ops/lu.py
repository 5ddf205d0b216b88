"""The LU family's primitives: factor, solve from a factor, solve, inverse, det, slogdet, and the
pivots-to-permutation step of lu_unpack.

Each takes NumPy arrays (cpu: the Cython kernels of lamina/_core/_lu.pyx, batched, threaded,
with loops for tiny matrices) whose batch dims the public functions in lamina/linalg/_lu.py have
already checked; the wrappers here broadcast batch dims between operands, and check what the
kernels' memory safety depends on (pivot values) whatever the caller. `xp=` bodies, written
against numpy/cupy's namespace, serve devices without a kernel. vjp/jvp/batch rules are filled
by issues 6 and 7.
"""

import numpy as np

from .._core import _lu
from .primitive import Primitive


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
lu_factor_ex_p = Primitive("lu_factor_ex", cpu=_lu.lu_factor)


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


# A primitive: getrs from a factor, the op lu_solve's derivative and solve's share.
lu_solve_p = Primitive("lu_solve", cpu=_lu_solve_cpu, xp=_lu_solve_xp)


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


# A primitive for speed: factor and solve fused per matrix, A's factor in a per-thread scratch
# (no factor tensor allocated), and the tiny-matrix loops.
solve_ex_p = Primitive("solve_ex", cpu=_solve_ex_cpu, xp=_solve_ex_xp)


# -- inv_ex: A -> A^-1, info -----------------------------------------------------------------------

def _inv_ex_xp(xp, a):
    return xp.linalg.inv(a), xp.zeros(a.shape[:-2], dtype=np.int32)


# A primitive for speed: getrf + getri in place in the output, and the tiny-matrix loops.
inv_ex_p = Primitive("inv_ex", cpu=_lu.inv, xp=_inv_ex_xp)


# -- det, slogdet ---------------------------------------------------------------------------------

def _slogdet_xp(xp, a):
    sign, logabs = xp.linalg.slogdet(a)
    return sign.astype(a.dtype), logabs.astype(a.real.dtype)


# Primitives for speed (the factor is never stored: a per-thread scratch, or the tiny loops'
# registers) and for their derivatives, which differ (det's vanishes with A; slogdet's does not).
det_p = Primitive("det", cpu=_lu.det, xp=lambda xp, a: xp.linalg.det(a))
slogdet_p = Primitive("slogdet", cpu=_lu.slogdet, xp=_slogdet_xp)


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
    swaps = piv.reshape(-1, piv.shape[-1]).astype(np.int64) - 1
    at = xp.arange(rows.shape[0])
    for i in range(swaps.shape[1]):     # sequential by nature: swap i depends on swaps < i
        j = swaps[:, i]
        ri, rj = rows[:, i].copy(), rows[at, j]
        rows[:, i] = rj
        rows[at, j] = ri
    return (xp.arange(m)[:, None] == r[..., None, :]).astype(dtype)


# A primitive: applying k swaps in sequence has no expression in a few tensor ops; its output is
# a 0/1 matrix that carries no derivative.
lu_permutation_p = Primitive("lu_permutation", xp=lambda xp, piv, *, m, dtype: _permutation(
    xp, piv, m, dtype))
