"""The eigendecomposition primitive for general square matrices, behind linalg.eig and
linalg.eigvals.

On cpu it runs the batched ?geev kernel (lamina/_core/_eig.pyx): one column-major scratch copy
per matrix, complex outputs whatever the input (eigenvectors column-major, PyTorch's strides),
the batch split across threads, and matrices holding NaN or infinity kept away from LAPACK with
NaN outputs and info = NONFINITE instead.
"""

import numpy as np

from .._core import _eig
from .primitive import Primitive

NONFINITE = _eig.NONFINITE
_COMPLEX = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128,
            np.dtype(np.complex64): np.complex64, np.dtype(np.complex128): np.complex128}


# A primitive because the factorization is where the work is, and because its derivative is the
# eigendecomposition's own rule (Giles 2008, "An extended collection of matrix derivative results
# for forward and reverse mode AD", section 3.1), not a composition's. Outputs (w, V, info) with
# compute_v, else (w, info): info is 0, LAPACK's convergence failure index, or NONFINITE.
def _eig_ex_xp(xp, A, *, compute_v):
    ctype = _COMPLEX[A.dtype]
    finite = xp.isfinite(A).all(axis=(-2, -1))
    safe = xp.where(finite[..., None, None], A, 0)
    info = xp.where(finite, 0, NONFINITE).astype(np.int32)
    bad = ~finite
    if not compute_v:
        w = xp.linalg.eigvals(safe).astype(ctype)
        w[bad] = np.nan
        return w, info
    w, V = xp.linalg.eig(safe)
    w, V = w.astype(ctype), V.astype(ctype)
    w[bad], V[bad] = np.nan, np.nan
    return w, V, info


def _eig_ex_cpu(A, *, compute_v):
    w, V, info = _eig.geev_batched(A, compute_v)
    return (w, V, info) if compute_v else (w, info)


eig_ex_p = Primitive("eig_ex", cpu=_eig_ex_cpu, xp=_eig_ex_xp)
