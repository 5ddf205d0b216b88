"""Hermitian eigendecomposition primitives: eigh (eigenvalues, eigenvectors, info) and eigvalsh
(eigenvalues, info).

Two primitives because they are two kernel calls of different cost (with and without
eigenvectors: ?syevd's two jobs, or for real n <= 32 the tiny kernel's tql2 and root-free QL,
lamina/_core/_eigh.pyx) and their derivatives differ: eigh's VJP is
V (diag(ct_w) + F o (V^H ct_V)) V^H (Giles 2008, "An extended collection of matrix derivative
results for forward and reverse mode algorithmic differentiation"); eigvalsh's needs only
V diag(ct_w) V^H. Issues 6/7 add them. `info` is LAPACK's per-matrix convergence status (0
everywhere but where ?syevd failed to converge; the tiny kernel hands a matrix it cannot
finish to ?syevd).

Eigenvalues are real (float32/float64 for complex input too) and ascending; eigenvectors come
back as column-major batches, as PyTorch's (the kernel's C-contiguous buffer holds them as rows).
Only the `UPLO` triangle is read; a matrix whose triangle holds NaN or Inf gets NaN outputs.
"""

import numpy as np

from .._core import _eigh
from .primitive import Primitive
from .qr import _batched


def _call(a, vectors, lower):
    *batch, n, _ = a.shape
    batch = tuple(batch)
    w, v, info = _eigh.eigh(_batched(a, (n, n)), vectors, lower)
    w, info = w.reshape(batch + (n,)), info.reshape(batch)
    if v is not None:
        v = v.reshape(batch + (n, n)).swapaxes(-1, -2)
    return w, v, info


def _eigh_cpu(a, *, UPLO):
    return _call(a, True, UPLO == "L")


def _eigh_fwd(xp, a, *, UPLO):
    w, v = xp.linalg.eigh(a, UPLO=UPLO)
    return w, v, xp.zeros(a.shape[:-2], dtype=np.int32)


eigh_p = Primitive("eigh", cpu=_eigh_cpu, xp=_eigh_fwd)


def _eigvalsh_cpu(a, *, UPLO):
    w, _, info = _call(a, False, UPLO == "L")
    return w, info


def _eigvalsh_fwd(xp, a, *, UPLO):
    return xp.linalg.eigvalsh(a, UPLO=UPLO), xp.zeros(a.shape[:-2], dtype=np.int32)


eigvalsh_p = Primitive("eigvalsh", cpu=_eigvalsh_cpu, xp=_eigvalsh_fwd)
