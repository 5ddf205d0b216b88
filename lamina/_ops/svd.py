"""The singular value decomposition primitive, behind linalg.svd, linalg.svdvals and svd.

On cpu it runs the batched kernels of lamina/_core/_svd.pyx: one-sided Jacobi (no LAPACK call)
for small real matrices (up to 12 x 12, 10 x 10 for values only), ?gesdd otherwise. U and Vh
come back column-major (PyTorch's strides), the batch is split across threads, and matrices
holding NaN or infinity are never decomposed (?gesdd never returns on them): they get NaN
outputs and info = NONFINITE instead.
"""

import numpy as np

from .._core import _svd
from .primitive import Primitive

NONFINITE = _svd.NONFINITE


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


svd_ex_p = Primitive("svd_ex", cpu=_svd_ex_cpu, xp=_svd_ex_xp)
