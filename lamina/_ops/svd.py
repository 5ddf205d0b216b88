"""The singular value decomposition primitive, behind linalg.svd, linalg.svdvals and svd.

On cpu it runs the batched kernels of lamina/_core/_svd.pyx: one-sided Jacobi (no LAPACK call)
for small real matrices (up to 12 x 12, 10 x 10 for values only), ?gesdd otherwise. U and Vh
come back column-major (PyTorch's strides), the batch is split across threads, and matrices
holding NaN or infinity are never decomposed (?gesdd never returns on them): they get NaN
outputs and info = NONFINITE instead.
"""

import numpy as np

from .._core import _svd
from ._rules import spectral_gaps
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
        im_u = 0 if UhgU is None else UhgU._data.diagonal(0, -2, -1).imag
        im_v = 0 if VhgV is None else VhgV._data.diagonal(0, -2, -1).imag
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


svd_ex_p = Primitive("svd_ex", cpu=_svd_ex_cpu, xp=_svd_ex_xp, vjp=_svd_ex_vjp, saves=("out",))
