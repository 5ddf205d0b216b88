"""The batched linear algebra of lamina.distributed: torch.linalg's names and keywords.

Each op checks its inputs when the graph is built (chunk type, dtype, core dims in one chunk,
batch broadcasting), states its output dtypes, and adds one blockwise layer that calls the eager
lamina function on every chunk (lamina/distributed/_blockwise.py). Inputs are dask arrays of
NumPy chunks, or lamina Tensors (one chunk, shared by every task). All inputs of an op have one
dtype, float32, float64, complex64 or complex128; matmul and bmm take matrices only (no 1-D
operands).
"""

import numpy as np

import lamina as lm

from .._ops.return_types import return_types
from ._array import as_dask, device_of, lapack_dtype
from ._blockwise import batched

_INFO = np.dtype(np.int32)


# Output dtype rules: input dtype -> output dtype.
def _same(dtype):
    return dtype


def _real(dtype):
    return np.finfo(dtype).dtype


def _info(dtype):
    return _INFO


def _apply(fn, name, xs, signature, outputs, sizes=None, **kwargs):
    """Check `xs`, then `batched`; `outputs` holds a function (input dtype -> output dtype) per
    output."""
    arrays = [as_dask(name, x) for x in xs]
    device_of(name, arrays)
    dtype = lapack_dtype(name, arrays)
    return batched(fn, name, arrays, signature, tuple(out(dtype) for out in outputs), sizes,
                   **kwargs)


# -- Cholesky ---------------------------------------------------------------------------------

def cholesky(A, *, upper=False):
    return _apply(lm.linalg.cholesky, "linalg.cholesky", (A,), "(n,n)->(n,n)", (_same,),
                  upper=upper)[0]


def cholesky_ex(A, *, upper=False, check_errors=False):
    return return_types.linalg_cholesky_ex(*_apply(
        lm.linalg.cholesky_ex, "linalg.cholesky_ex", (A,), "(n,n)->(n,n),()", (_same, _info),
        upper=upper, check_errors=check_errors))


def cholesky_solve(B, L, upper=False):
    return _apply(lm.cholesky_solve, "cholesky_solve", (B, L), "(n,k),(n,n)->(n,k)", (_same,),
                  upper=upper)[0]


# -- solves and inverses ----------------------------------------------------------------------

def _solve_signature(A, B, left):
    """torch.linalg.solve's rule: B is a (batch of) vector(s) when it is 1-D or has A's shape
    without its last dim."""
    if B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1])):
        return "(n,n),(n)->(n)"
    return "(n,n),(n,k)->(n,k)" if left else "(n,n),(k,n)->(k,n)"


def solve(A, B, *, left=True):
    return _apply(lm.linalg.solve, "linalg.solve", (A, B), _solve_signature(A, B, left),
                  (_same,), left=left)[0]


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    signature = "(n,n),(n,k)->(n,k)" if left else "(n,n),(k,n)->(k,n)"
    return _apply(lm.linalg.solve_triangular, "linalg.solve_triangular", (A, B), signature,
                  (_same,), upper=upper, left=left, unitriangular=unitriangular)[0]


def inv(A):
    return _apply(lm.linalg.inv, "linalg.inv", (A,), "(n,n)->(n,n)", (_same,))[0]


def inv_ex(A, *, check_errors=False):
    return return_types.linalg_inv_ex(*_apply(
        lm.linalg.inv_ex, "linalg.inv_ex", (A,), "(n,n)->(n,n),()", (_same, _info),
        check_errors=check_errors))


def det(A):
    return _apply(lm.linalg.det, "linalg.det", (A,), "(n,n)->()", (_same,))[0]


def slogdet(A):
    return return_types.linalg_slogdet(*_apply(
        lm.linalg.slogdet, "linalg.slogdet", (A,), "(n,n)->(),()", (_same, _real)))


# -- spectral ---------------------------------------------------------------------------------

def eigh(A, UPLO="L"):
    return return_types.linalg_eigh(*_apply(
        lm.linalg.eigh, "linalg.eigh", (A,), "(n,n)->(n),(n,n)", (_real, _same), UPLO=UPLO))


def eigvalsh(A, UPLO="L"):
    return _apply(lm.linalg.eigvalsh, "linalg.eigvalsh", (A,), "(n,n)->(n)", (_real,),
                  UPLO=UPLO)[0]


def svdvals(A, *, driver=None):
    sizes = {"k": min(A.shape[-2:])} if A.ndim >= 2 else None
    return _apply(lm.linalg.svdvals, "linalg.svdvals", (A,), "(m,n)->(k)", (_real,), sizes,
                  driver=driver)[0]


# -- products ---------------------------------------------------------------------------------

def matmul(input, other):
    return _apply(lm.matmul, "matmul", (input, other), "(n,k),(k,m)->(n,m)", (_same,))[0]


def bmm(input, mat2):
    for arg, t in (("batch1", input), ("batch2", mat2)):
        if t.ndim != 3:
            raise RuntimeError(f"{arg} must be a 3D tensor")
    if (mat2.shape[0], mat2.shape[1]) != (input.shape[0], input.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{input.shape[0]}, {input.shape[2]}] but got: "
                           f"[{mat2.shape[0]}, {mat2.shape[1]}].")
    return _apply(lm.bmm, "bmm", (input, mat2), "(n,k),(k,m)->(n,m)", (_same,))[0]
