"""lamina.linalg: the Hermitian eigendecomposition family, linalg.eigh and linalg.eigvalsh, over
the primitives in lamina/_ops/eigh.py.

Checks and messages are PyTorch 2.13's. A matrix whose UPLO triangle holds NaN or Inf gets NaN
eigenvalues and eigenvectors (PyTorch's ?syevd either fails to converge on it, raising, or
returns NaN, depending on where the NaN sits); a LAPACK convergence failure raises LinAlgError
naming the batch element, as PyTorch does.
"""

from .._core._tensor import is_grad_enabled as _is_grad_enabled
from .._ops import eigh as _eigh
from .._ops._batching import physical as _physical
from .._ops._checks import check_tensor as _check_tensor
from .._ops.return_types import return_types as _return_types
from ._checks import check_square as _check_square
from ._checks import raise_if_info as _raise_if_info
from ._qr import _finish_exact, _floating_kernel


def _checked(name, A, UPLO):
    _check_tensor(name, A, "input", 1)
    if not isinstance(UPLO, str):
        raise TypeError(f"{name}(): argument 'UPLO' must be str, not {type(UPLO).__name__}")
    _check_square("linalg.eigh", A)
    if UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    _floating_kernel(A, "linalg_eigh_cpu")
    return UPLO.upper()


def _raise(info):
    _raise_if_info("linalg.eigh", _physical(info)._data, lambda code: (
        "The algorithm failed to converge because the input matrix is ill-conditioned or has "
        f"too many repeated eigenvalues (error code: {code})."))


def eigh(A, UPLO="L", *, out=None):
    w, V, info = _eigh.eigh_p(A, UPLO=_checked("linalg_eigh", A, UPLO))
    _raise(info)
    return _finish_exact(_return_types.linalg_eigh(w, V), out, "linalg_eigh")


def eigvalsh(A, UPLO="L", *, out=None):
    UPLO = _checked("linalg_eigvalsh", A, UPLO)
    if A.requires_grad and _is_grad_enabled():
        # As PyTorch: the backward needs the eigenvectors, so compute them now.
        w, _, info = _eigh.eigh_p(A, UPLO=UPLO)
    else:
        w, info = _eigh.eigvalsh_p(A, UPLO=UPLO)
    _raise(info)
    return _finish_exact(w, out, "linalg_eigvalsh")


__all__ = ["eigh", "eigvalsh"]
TOPLEVEL = {}
METHODS = {}
