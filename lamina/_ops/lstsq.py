"""Least squares: the `lstsq` primitive, min ||A X - B|| over a broadcast batch.

On cpu the batch goes to the Cython LAPACK kernel (lamina/_core/_lstsq.pyx): B is copied once
into the output buffer in LAPACK's column-major layout and solved in place there, so the solution
comes back as a view of that buffer with the strides PyTorch's has. The xp body (NumPy or CuPy)
solves through the SVD instead, as ?gelsd does.
"""

import math

import numpy as np

from .._core import _lstsq
from .._core._pool import output
from ._batching import to_front
from ._checks import check_lapack_size
from ._rules import unbroadcast
from .primitive import Primitive
from .svd import svd_ex_p


def batch_offsets(arr, batch, core=2):
    """The byte offset, from `arr`'s data pointer, of each of its trailing `core`-dim blocks once
    its leading dims are broadcast to `batch`: a contiguous intp array over `batch` in C order
    (zero strides repeat an offset, so nothing is copied)."""
    nb = arr.ndim - core
    if nb == 0:                                 # the one block, for every element
        return np.zeros(math.prod(batch), np.intp)
    if nb == 1 and batch == arr.shape[:1]:      # one batch dim, not broadcast
        return np.arange(arr.shape[0], dtype=np.intp) * arr.strides[0]
    lead = len(batch) - nb
    off = np.zeros((1,) * len(batch), dtype=np.intp)
    for d in range(nb):
        if arr.shape[d] != 1:
            shape = [1] * len(batch)
            shape[lead + d] = arr.shape[d]
            off = off + (np.arange(arr.shape[d], dtype=np.intp) * arr.strides[d]).reshape(shape)
    return np.ascontiguousarray(np.broadcast_to(off, batch)).reshape(-1)


_REAL = {np.dtype(c): np.dtype(c.lower()) for c in "fdFD"}


# A primitive because the whole solve is one LAPACK call per matrix (QR, complete orthogonal or
# SVD-based, by driver), which no composition of other primitives matches in speed or in rank
# handling. Outputs: solution (*, n, k); residuals (*, k) where the driver computes them (m > n,
# not gelsy) else (0,); rank (*,) int64, (0,) for gels; singular values (*, min(m, n)) for
# gelsd/gelss else (0,); LAPACK's info (*,) int32.
def _lstsq_cpu(A, B, *, rcond, driver):
    check_lapack_size("lstsq", A, B)
    batch = A.shape[:-2]
    if B.shape[:-2] != batch:
        batch = np.broadcast_shapes(batch, B.shape[:-2])
    (m, n), k = A.shape[-2:], B.shape[-1]
    real = _REAL[A.dtype]
    if k == 0 and driver in ("gelsd", "gelss"):
        # Their SVD solver refuses zero right-hand sides; one zero column gives the same rank
        # and singular values, and is dropped again.
        x, res, rank, sv, info = _lstsq_cpu(A, np.zeros(B.shape[:-1] + (1,), B.dtype),
                                            rcond=rcond, driver=driver)
        return x[..., :0], res[..., :0], rank, sv, info
    ldb = max(1, m, n)
    nbatch = math.prod(batch)
    x = output(batch + (k, ldb), A.dtype)
    np.copyto(x[..., :m], B.swapaxes(-1, -2))
    if m < ldb:
        x[..., m:] = 0      # room for the solution; all of it when m = 0
    res = output(batch + (k,), real) if m > n and driver != "gelsy" else None
    rank = output(batch, np.int64) if driver != "gels" else None
    sv = output(batch + (min(m, n),), real) if driver in ("gelsd", "gelss") else None
    info = np.zeros(batch, np.int32)
    # gelsy's rows n..m-1 of B hold no residual on exit (PyTorch returns none for it either).
    _lstsq.lstsq_batched(A, batch_offsets(A, batch), x.reshape(nbatch, k, ldb),
                         None if res is None else res.reshape(nbatch, k),
                         None if rank is None else rank.reshape(nbatch),
                         None if sv is None else sv.reshape(nbatch, min(m, n)),
                         info.reshape(nbatch), rcond, driver)
    if batch != A.shape[:-2]:
        # rank and singular values describe A alone: PyTorch returns them over A's batch shape.
        own = _own_batch(A.shape, batch)
        rank = None if rank is None else rank[own].copy()
        sv = None if sv is None else sv[own].copy()
    empty = np.empty(0, real)
    return (x.swapaxes(-1, -2)[..., :n, :], empty if res is None else res,
            np.empty(0, np.int64) if rank is None else rank, empty if sv is None else sv, info)


def _own_batch(A_shape, batch):
    """The index taking A's own batch shape back out of the broadcast `batch`: the first
    element along the dims A lacks (B may have more batch dims than A under vmap) or has as 1."""
    lead = len(batch) - (len(A_shape) - 2)
    return (0,) * lead + tuple(slice(0, 1) if d == 1 else slice(None) for d in A_shape[:-2])


def _lstsq_xp(xp, A, B, *, rcond, driver):
    """The same outputs from the SVD (what gelsd computes, without its divide and conquer);
    rank is the count of singular values above rcond times the largest, for every driver."""
    batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    (m, n), k, A_shape = A.shape[-2:], B.shape[-1], A.shape
    A = xp.broadcast_to(A, batch + (m, n))
    B = xp.broadcast_to(B, batch + (m, k))
    real = _REAL[A.dtype]
    u, s, vh = xp.linalg.svd(A, full_matrices=False)
    if min(m, n):
        keep = s > rcond * s[..., :1]
    else:
        keep = xp.zeros(s.shape, bool)
    sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(A.dtype)
    coef = sinv[..., :, None] * (xp.conj(xp.swapaxes(u, -1, -2)) @ B)
    x = xp.conj(xp.swapaxes(vh, -1, -2)) @ coef
    empty = xp.empty(0, real)
    res = empty
    if m > n and driver != "gelsy":
        res = (xp.abs(A @ x - B) ** 2).sum(-2).astype(real)
    own = _own_batch(A_shape, batch)
    rank = keep[own].sum(-1).astype(np.int64) if driver != "gels" else xp.empty(0, np.int64)
    sv = s[own].astype(real) if driver in ("gelsd", "gelss") else empty
    return x, res, rank, sv, xp.zeros(batch, np.int32)


# PyTorch's linalg_lstsq_backward: the solution X = pinv(A) B is differentiated through the
# pseudo-inverse (pinv_backward, Golub and Pereyra 1973), the residuals L = sum |A X - B|^2 as if
# X were fixed (Danskin): gA += 2 (gL r) X^H, gB -= 2 gL r, r = A X - B. Rank, singular values
# and info carry no derivative. Reads A, B and X.
def _lstsq_vjp(ct, out, A, B, *, rcond, driver):
    gX, gL = ct[0], ct[1]
    X = out[0]
    gA = gB = None
    if gX is not None:
        pinvA = _pinv(A)
        gA = _pinv_vjp(gX @ B.mH, pinvA, A)
        gB = pinvA.mH @ gX
    if gL is not None and gL._data.size:
        r = A @ X - B
        gL = gL.unsqueeze(-2)
        gA_L, gB_L = 2 * (gL * r) @ X.mH, -2 * gL * r
        gA = gA_L if gA is None else gA + gA_L
        gB = gB_L if gB is None else gB + gB_L
    if gA is None:
        return None, None
    return unbroadcast(gA, A), unbroadcast(gB, B)


def _pinv(A):
    """PyTorch's linalg.pinv at its default tolerance (singular values below max(m, n) eps times
    the largest are dropped), from svd_ex_p so that the rule stays differentiable."""
    U, S, Vh, _ = svd_ex_p(A, full_matrices=False, compute_uv=True)
    m, n = A._data.shape[-2:]
    keep = (S > S[..., :1] * (max(m, n) * np.finfo(S._data.dtype).eps)).to(S.dtype)
    inverse = keep / (S + (1 - keep))
    return (Vh.mH * inverse.unsqueeze(-2)) @ U.mH


def _pinv_vjp(g, pinvA, A):
    """PyTorch's pinv_backward: the gradient reaching A through pinv(A)."""
    m, n = A._data.shape[-2:]
    pinvAh, gh = pinvA.mH, g.mH
    if m <= n:
        K = gh @ pinvA
        KpinvAh = K @ pinvAh
        return (-(pinvA @ K).mH + KpinvAh - (A @ pinvA) @ KpinvAh
                + (pinvAh @ pinvA) @ (gh - K @ A))
    K = pinvA @ gh
    pinvAhK = pinvAh @ K
    return (-(K @ pinvA).mH + (gh - A @ K) @ pinvA @ pinvAh + pinvAhK
            - pinvAhK @ pinvA @ A)


def _pinv_jvp(dA, pinvA, A):
    """d pinv(A) along dA (Golub and Pereyra 1973, eq. 4.12; PyTorch's pinv_jvp):
    -A+ dA A+ + A+ A+^H dA^H (I - A A+) + (I - A+ A) dA^H A+^H A+."""
    dAh, pinvAh = dA.mH, pinvA.mH
    dAhR = dAh - (dAh @ A) @ pinvA            # dA^H (I - A A+)
    LdAh = dAh - pinvA @ (A @ dAh)            # (I - A+ A) dA^H
    return -(pinvA @ dA) @ pinvA + pinvA @ (pinvAh @ dAhR) + (LdAh @ pinvAh) @ pinvA


# Forward mode of the same derivative as _lstsq_vjp: dX = d(pinv A) B + pinv(A) dB, and the
# residuals L = sum |A X - B|^2 with X held fixed (A^H r = 0 at the solution, so X's own change
# does not enter): dL = 2 Re sum(conj(r) (dA X - dB)) over the rows, r = A X - B.
def _lstsq_jvp(tangents, out, A, B, *, rcond, driver):
    dA, dB = tangents
    X, res = out[0], out[1]
    pinvA = _pinv(A)
    dX = None if dB is None else pinvA @ dB
    if dA is not None:
        dXA = _pinv_jvp(dA, pinvA, A) @ B
        dX = dXA if dX is None else dX + dXA
    dL = None
    if res._data.size:
        r = A @ X - B
        dr = (-dB if dA is None else dA @ X if dB is None else dA @ X - dB)
        dL = 2 * (r.conj() * dr).sum(-2)
        if dL.dtype.is_complex:
            dL = dL.real
    return dX, dL, None, None, None


# A and B broadcast their batch dims (with equal ranks: linalg.lstsq gives a vector B its
# column dim first), so the mapped dims go first and an unmapped operand broadcasts. rank and
# the singular values describe A alone: they are mapped only when A is; unmapped too are the
# empty (0,) outputs a driver does not compute.
def _lstsq_batch(bdims, A, B, *, rcond, driver):
    A = to_front(A, bdims[0])
    m, n = A._data.shape[-2:]
    out = lstsq_p(A, to_front(B, bdims[1]), rcond=rcond, driver=driver)
    a = None if bdims[0] is None else 0
    return out, (0, 0 if m > n and driver != "gelsy" else None, None if driver == "gels" else a,
                 a if driver in ("gelsd", "gelss") else None, 0)


lstsq_p = Primitive("lstsq", cpu=_lstsq_cpu, xp=_lstsq_xp, vjp=_lstsq_vjp, jvp=_lstsq_jvp,
                    batch=_lstsq_batch, saves=(0, 1, "out"))
