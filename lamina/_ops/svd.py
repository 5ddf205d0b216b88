"""The singular value decomposition primitive, behind linalg.svd, linalg.svdvals and svd.

On cpu it runs the batched kernels of lamina/_core/_svd.pyx: one-sided Jacobi (no LAPACK call)
for small real matrices (up to 12 x 12, 10 x 10 for values only), ?gesdd otherwise. U and Vh
come back column-major (PyTorch's strides), the batch is split across threads, and matrices
holding NaN or infinity are never decomposed (?gesdd never returns on them): they get NaN
outputs and info = NONFINITE instead.
"""

import numpy as np

from .._core import _svd
from ._batching import physical, to_front
from ._rules import spectral_gaps
from .joining import cat
from .primitive import Primitive

NONFINITE = _svd.NONFINITE
_GAUGE = ("svd_backward: The singular vectors in the complex case are specified up to "
          "multiplication by e^{i phi}. The specified loss function depends on this phase term, "
          "making it ill-defined.")


# A primitive because the factorization is where the work is, and because its derivative is the
# SVD's own rule on (U, S, Vh) (Townsend 2016, "Differentiating the Singular Value
# Decomposition"), stabler than differentiating through any composition. Outputs (U, S, Vh, info)
# with compute_uv, else (S, info): info is 0, LAPACK's convergence failure count, or NONFINITE.
def _svd_ex_xp(xp, A, *, full_matrices, compute_uv):
    finite = xp.isfinite(A).all(axis=(-2, -1))
    safe = xp.where(finite[..., None, None], A, 0)
    info = xp.where(finite, 0, NONFINITE).astype(np.int32)
    bad = ~finite
    if not compute_uv:
        S = xp.linalg.svd(safe, compute_uv=False)
        S[bad] = np.nan
        return S, info
    U, S, Vh = xp.linalg.svd(safe, full_matrices=full_matrices)
    U[bad], S[bad], Vh[bad] = np.nan, np.nan, np.nan
    return U, S, Vh, info


def _svd_ex_cpu(A, *, full_matrices, compute_uv):
    U, S, Vh, info = _svd.svd_batched(A, full_matrices, compute_uv)
    return (U, S, Vh, info) if compute_uv else (S, info)


# PyTorch's svd_backward (FunctionsManual.cpp; Townsend 2016 for the real case, its comment for
# the complex one): with skew(X) = X - X^H, E_jk = S_k^2 - S_j^2,
# gA = U [(skew(U^H gU) S + S skew(V^H gV)) / E + diag(gS) + i Im diag(U^H gU) / S] V^H,
# plus (I - U U^H) gU S^-1 V^H for tall A and U S^-1 gV^H (I - V V^H) for wide A. Full U/Vh
# enter through their first k columns/rows only (derivatives.yaml narrows them the same way).
# Reads only U, S, Vh: linalg.svdvals and svd(compute_uv=False) ask for them when A requires
# grad, as PyTorch's do, so the values-only call is never differentiated.
def _svd_ex_vjp(ct, out, A, *, full_matrices, compute_uv):
    if not compute_uv:
        raise RuntimeError("svd_ex: the derivative of the singular values alone needs the "
                           "singular vectors; call it with compute_uv=True")
    gU, gS, gVh, _ = ct
    U, S, Vh, _ = out
    m, n = A._data.shape[-2:]
    k = min(m, n)
    if k == 0:
        return (A.new_zeros(A._data.shape),)
    if full_matrices:
        U, Vh = U[..., :k], Vh[..., :k, :]
        gU = None if gU is None else gU[..., :k]
        gVh = None if gVh is None else gVh[..., :k, :]
    if gU is None and gVh is None:
        return ((U @ (gS.unsqueeze(-1) * Vh)) if m >= n else (U * gS.unsqueeze(-2)) @ Vh,)
    UhgU = None if gU is None else _skew(U.mH @ gU)
    VhgV = None if gVh is None else _skew(Vh @ gVh.mH)
    if U.dtype.is_complex:
        # Read on the physical values: under vmap the check covers the whole batch.
        im_u = 0 if UhgU is None else physical(UhgU)._data.diagonal(0, -2, -1).imag
        im_v = 0 if VhgV is None else physical(VhgV)._data.diagonal(0, -2, -1).imag
        if not np.allclose(im_u, -im_v, rtol=1e-2, atol=1e-2):
            raise RuntimeError(_GAUGE)
    E = spectral_gaps(S * S)
    if VhgV is None:
        inner = (UhgU / E) * S.unsqueeze(-2)
    elif UhgU is None:
        inner = S.unsqueeze(-1) * (VhgV / E)
    else:
        inner = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
    if gS is not None:
        inner = inner + gS.diag_embed()
    if U.dtype.is_complex and UhgU is not None and VhgV is not None:
        inner = inner + (UhgU.diagonal(0, -2, -1) / (2 * S)).diag_embed()
    if m > n and gU is not None:
        gUSinv = gU / S.unsqueeze(-2)
        gA = U @ inner + gUSinv - U @ (U.mH @ gUSinv)
        return (gA @ Vh,)
    if m < n and gVh is not None:
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = inner @ Vh + SinvgVh - (SinvgVh @ Vh.mH) @ Vh
        return (U @ gA,)
    return (U @ (inner @ Vh) if m >= n else (U @ inner) @ Vh,)


def _skew(X):
    return X - X.mH


# PyTorch's svd_jvp (FunctionsManual.cpp): with dP = U^H dA V (k x k), dS = Re diag(dP) and
# dX = dP - diag(dS),
# dU = U (sym(dX S) / E + i Im diag(dP) / 2S), plus (I - U U^H) dA V S^-1 for tall A;
# dVh = (-sym(S dX) / E + i Im diag(dP) / 2S) Vh, plus S^-1 U^H dA (I - V V^H) for wide A;
# sym(X) = X + X^H, E_jk = S_k^2 - S_j^2 (1 on the diagonal). Full U/Vh get zero tangents in
# their extra columns/rows, as PyTorch's (that part of the decomposition is not unique). Without
# U and Vh (values only) the rule computes them.
def _svd_ex_jvp(tangents, out, A, *, full_matrices, compute_uv):
    dA = tangents[0]
    m, n = A._data.shape[-2:]
    k = min(m, n)
    if compute_uv:
        U, S, Vh = out[0], out[1], out[2]
        if full_matrices:
            U, Vh = U[..., :k], Vh[..., :k, :]
    else:
        U, S, Vh, _ = svd_ex_p(A, full_matrices=False, compute_uv=True)
    V = Vh.mH
    dP = U.mH @ (dA @ V) if m >= n else (U.mH @ dA) @ V
    dS = dP.diagonal(0, -2, -1)
    if dP.dtype.is_complex:
        dS = dS.real
    if not compute_uv:
        return dS, None
    dX = dP - dS.diag_embed()
    E = spectral_gaps(S * S)
    dUc = (dX * S.unsqueeze(-2) + (dX * S.unsqueeze(-2)).mH) / E
    dVc = -(S.unsqueeze(-1) * dX + (S.unsqueeze(-1) * dX).mH) / E
    if dP.dtype.is_complex:
        im = (dX.diagonal(0, -2, -1) / (2 * S)).diag_embed()
        dUc, dVc = dUc + im, dVc + im
    dU, dVh = U @ dUc, dVc @ Vh
    if m > n:
        dAVSinv = dA @ (V / S.unsqueeze(-2))
        dU = dU + dAVSinv - U @ (U.mH @ dAVSinv)
        if full_matrices:
            dU = cat([dU, dU.new_zeros(dU._data.shape[:-1] + (m - n,))], -1)
    if m < n:
        SinvUhdA = (U.mH / S.unsqueeze(-1)) @ dA
        dVh = dVh + SinvUhdA - (SinvUhdA @ V) @ Vh
        if full_matrices:
            dVh = cat([dVh, dVh.new_zeros(dVh._data.shape[:-2] + (n - m, n))], -2)
    return dU, dS, dVh, None


# The kernel batches over leading dims: the mapped dim goes first, one call; info is batched too.
def _svd_ex_batch(bdims, A, *, full_matrices, compute_uv):
    return svd_ex_p(to_front(A, bdims[0]), full_matrices=full_matrices,
                    compute_uv=compute_uv), 0


svd_ex_p = Primitive("svd_ex", cpu=_svd_ex_cpu, xp=_svd_ex_xp, vjp=_svd_ex_vjp, jvp=_svd_ex_jvp,
                     batch=_svd_ex_batch, saves=("out",))
