"""linalg.ldl_factor, ldl_factor_ex, ldl_solve: Bunch-Kaufman LDL on the ldl primitives.

PyTorch's layout (checked against torch 2.13 on cpu): LD holds L's strict lower triangle and D's
blocks, zeros above the diagonal, in a column-major batch; pivots are LAPACK's (1-based, a 2x2
block at k, k+1 marked -p in both). Only A's lower triangle is read. Deviations: PyTorch 2.13
cannot word the error for a singular D (it fails an internal assert, "Unknown error code"); lamina
raises LinAlgError naming the zero pivot of D. ldl_solve also refuses pivots that open a 2x2
block with no partner (PyTorch reads past the block there). check_errors reads the physical info
under vmap, as lamina/linalg/_lu.py.
"""

from .._core import dtype as _dt
from .._core._tensor import TensorBase as _TensorBase
from .._ops._batching import physical as _physical
from .._ops._checks import CPP_NAMES as _CPP_NAMES
from .._ops._checks import broadcast_shape as _broadcast_shape
from .._ops._checks import check_tensor as _check_tensor
from .._ops._checks import torch_type_name as _torch_type_name
from .._ops.ldl import ldl_factor_p as _ldl_factor_p
from .._ops.ldl import ldl_solve_p as _ldl_solve_p
from .._ops.mutation import finish_out as _finish_out
from .._ops.return_types import return_types as _return_types
from ._checks import check_floating as _check_floating
from ._checks import check_square as _check_square
from ._checks import raise_if_info as _raise_if_info


def _check_bool(fn, arg, value):
    if not isinstance(value, bool):
        raise TypeError(f"{fn}(): argument '{arg}' must be bool, not {type(value).__name__}")


def _finish(result, out):
    """`out=` as PyTorch's linalg kernels take it: each tensor of exactly its result's dtype."""
    if out is not None:
        if isinstance(result, tuple):     # a wrong `out` is left to finish_out to refuse
            pairs = zip(result, out) if isinstance(out, (tuple, list)) else ()
        else:
            pairs = ((result, out),)
        for r, o in pairs:
            if isinstance(o, _TensorBase) and o.dtype is not r.dtype:
                raise RuntimeError(f"Expected out tensor to have dtype {_CPP_NAMES[r.dtype.name]}, "
                                   f"but got {_CPP_NAMES[o.dtype.name]} instead")
    return _finish_out(result, out)


def _factor(fn, A, hermitian, check_errors, name):
    _check_tensor(fn, A, "input", 1)
    _check_bool(fn, "hermitian", hermitian)
    _check_bool(fn, "check_errors", check_errors)
    # PyTorch checks both public names under ldl_factor_ex's, which ldl_factor calls.
    _check_square("torch.linalg.ldl_factor_ex", A)
    _check_floating("torch.linalg.ldl_factor_ex", A, "ldl_factor_kernel_cpu")
    LD, pivots, info = _ldl_factor_p(A, hermitian=hermitian)
    if check_errors:
        _raise_if_info(name, _physical(info).numpy(), _singular_d)
    return LD, pivots, info


def _singular_d(code):
    return (f"D[{code},{code}] is zero and using it on ldl_solve would result in a division by "
            f"zero. If you still want to perform the factorization, consider calling "
            f"linalg.ldl_factor_ex(A)")


def ldl_factor_ex(input, *, hermitian=False, check_errors=False, out=None):
    """(LD, pivots, info) of A = L D L^T (L D L^H with hermitian=True); info > 0: D singular."""
    result = _factor("linalg_ldl_factor_ex", input, hermitian, check_errors,
                     "torch.linalg.ldl_factor_ex")
    return _finish(_return_types.linalg_ldl_factor_ex(*result), out)


def ldl_factor(input, *, hermitian=False, out=None):
    """(LD, pivots) of A = L D L^T (L D L^H with hermitian=True); raises if D is singular."""
    LD, pivots, _ = _factor("linalg_ldl_factor", input, hermitian, True,
                            "torch.linalg.ldl_factor")
    return _finish(_return_types.linalg_ldl_factor(LD, pivots), out)


_SOLVE = "torch.linalg.ldl_solve"


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """X with A X = B, A given by ldl_factor's (LD, pivots); B (*, n, k) broadcasts with LD."""
    for pos, (t, arg) in enumerate(((LD, "LD"), (pivots, "pivots"), (B, "B"))):
        _check_tensor("linalg_ldl_solve", t, arg, pos + 1)
    _check_bool("linalg_ldl_solve", "hermitian", hermitian)
    _check_square(_SOLVE, LD)
    _check_floating(_SOLVE, LD, "ldl_solve_kernel_cpu")
    if B.dtype is not LD.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_torch_type_name(B.dtype)} and A of type "
                           f"{_torch_type_name(LD.dtype)} instead.")
    if B.ndim == 0:
        raise IndexError("Dimension specified as -2 but tensor has no dimensions")
    if B.ndim == 1:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got -2)")
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {_SOLVE}: each A matrix is {n} by {n} "
                           f"but each b matrix is {B.shape[-2]} by {B.shape[-1]}")
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise RuntimeError(f"{_SOLVE}: Expected LD.shape[:-1] and pivots.shape to be the same, "
                           f"but got pivots with shape {list(pivots.shape)} instead")
    if pivots.dtype.category != _dt.INT:
        raise RuntimeError(f"{_SOLVE}: Expected pivots to be integers. Got "
                           f"{_torch_type_name(pivots.dtype)}")
    if B.shape[:-2] != LD.shape[:-2]:
        _broadcast_shape(B.shape[:-2], LD.shape[:-2])
    return _finish(_ldl_solve_p(LD, pivots, B, hermitian=hermitian), out)


__all__ = ["ldl_factor", "ldl_factor_ex", "ldl_solve"]
TOPLEVEL = {}   # torch 2.13 has none of these at top level
METHODS = {}    # nor as Tensor methods
