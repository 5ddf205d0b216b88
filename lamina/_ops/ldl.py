"""LDL (Bunch-Kaufman) of symmetric or Hermitian matrices: the `ldl_factor` and `ldl_solve`
primitives.

On cpu both go to the Cython LAPACK kernels (lamina/_core/_ldl.pyx). The factor is computed in
place in its output, which holds each matrix transposed (column-major, as LAPACK and PyTorch keep
it), so LD comes back as a transposed view with PyTorch's strides; ldl_solve reads such a view
without copying it. Neither has an xp body: NumPy and CuPy have no Bunch-Kaufman factorization.
"""

import math

import numpy as np

from .._core import _ldl
from .._core._pool import output
from ._batching import batch_first, to_front
from ._checks import check_lapack_size
from ._rules import not_implemented
from .lstsq import batch_offsets
from .primitive import Primitive


# A primitive because the symmetric-indefinite factorization is one LAPACK call per matrix
# (?sytrf/?hetrf) whose pivoting nothing else here reproduces. Outputs: LD (*, n, n), pivots
# (*, n) int32, info (*,) int32.
def _ldl_factor_cpu(A, *, hermitian):
    check_lapack_size("ldl_factor", A)
    batch, n = A.shape[:-2], A.shape[-1]
    out = output(batch + (n, n), A.dtype)
    lower = np.swapaxes(out, -1, -2)        # out holds A^T: A column-major
    np.copyto(lower, A)
    pivots = output(batch + (n,), np.int32)
    info = output(batch, np.int32)
    nbatch = math.prod(batch)
    _ldl.sytrf_batched(out.reshape(nbatch, n, n), pivots.reshape(nbatch, n),
                       info.reshape(nbatch), hermitian)
    return lower, pivots, info


# The kernels batch over leading dims (ldl_solve broadcasts them between operands): mapped dims
# first, one call for the whole batch; pivots and info are batched too.
def _ldl_factor_batch(bdims, A, *, hermitian):
    return ldl_factor_p(to_front(A, bdims[0]), hermitian=hermitian), 0


# PyTorch differentiates neither op (derivatives.yaml has no linalg_ldl_factor_ex or
# linalg_ldl_solve entry); their backward and forward mode raise, as there.
ldl_factor_p = Primitive("ldl_factor", cpu=_ldl_factor_cpu,
                         vjp=not_implemented("linalg_ldl_factor_ex"),
                         jvp=not_implemented("linalg_ldl_factor_ex"), batch=_ldl_factor_batch)


# A primitive because the solve with the factor is one LAPACK call per matrix (?sytrs/?hetrs),
# applying the pivots and D's 2x2 blocks as the factorization left them.
def _ldl_solve_cpu(LD, pivots, B, *, hermitian):
    check_lapack_size("ldl_solve", LD, B)
    batch = LD.shape[:-2]
    if B.shape[:-2] != batch:
        batch = np.broadcast_shapes(B.shape[:-2], batch)
    n, k = LD.shape[-1], B.shape[-1]
    x = np.empty(batch + (k, n), LD.dtype)   # B^T: B column-major, solved in place
    np.copyto(x, np.swapaxes(B, -1, -2))
    piv = np.ascontiguousarray(pivots, dtype=np.int32)
    nbatch = math.prod(batch)
    _ldl.sytrs_batched(LD, batch_offsets(LD, batch), piv.reshape(math.prod(piv.shape[:-1]), n),
                       batch_offsets(piv, batch, 1), x.reshape(nbatch, k, n), hermitian)
    return np.swapaxes(x, -1, -2)


def _ldl_solve_batch(bdims, LD, pivots, B, *, hermitian):
    return ldl_solve_p(*batch_first(bdims, (LD, pivots, B), (2, 1, 2)), hermitian=hermitian), 0


ldl_solve_p = Primitive("ldl_solve", cpu=_ldl_solve_cpu, vjp=not_implemented("linalg_ldl_solve"),
                        jvp=not_implemented("linalg_ldl_solve"), batch=_ldl_solve_batch)
