"""lamina.linalg: the LU family. lu_factor(_ex), lu, lu_solve, solve(_ex), inv(_ex), det, slogdet,
and torch's top-level det, logdet, slogdet, inverse, lu, lu_solve, lu_unpack.

Arguments are checked here in PyTorch's words and order (its BatchLinearAlgebra.cpp meta
functions); the work is the primitives of lamina/_ops/lu.py. PyTorch's *_ex functions return
LAPACK's info per batch element and raise only with check_errors=True; the others raise on a
nonzero info, naming the batch element. Under vmap the info is batched: the check reads the
physical info (_batching.physical), so it covers the whole batch in one pass and names the
physical batch element, as torch.func's checks on the batched kernel's info do.
"""

import warnings

from .._core import dtype as _dt
from .._ops import lu as _p
from .._ops._batching import physical as _physical
from .._ops._checks import broadcast_shape as _broadcast_shape
from .._ops._checks import not_implemented as _not_implemented
from .._ops._checks import torch_type_name as _torch_type_name
from .._ops.creation import empty as _empty
from .._ops.elementwise import add as _add
from .._ops.elementwise import eq as _eq
from .._ops.indexing import where as _where
from .._ops.mutation import finish_out as _finish_out
from .._ops.return_types import return_types as _rt
from .._ops.shape import narrow as _narrow
from .._ops.shape import reshape as _reshape
from .._ops.shape import squeeze as _squeeze
from .._ops.shape import unsqueeze as _unsqueeze
from .._ops.unary import log as _log
from ._checks import LinAlgError as _LinAlgError
from ._checks import check_floating as _check_floating
from ._checks import check_is_matrix as _check_is_matrix
from ._checks import check_same_dtype as _check_same_dtype
from ._checks import check_square as _check_square
from ._checks import raise_if_info as _raise_if_info

# -- checks -------------------------------------------------------------------------------------


def _check_factor_input(name, A, pivot=True):
    """lu_factor's checks: a matrix (in its own words), a dtype its lu_cpu kernel has, pivot."""
    if A.ndim < 2:
        raise RuntimeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    if A.dtype.category < _dt.FLOAT or A.dtype is _dt.float16:
        raise _not_implemented("lu_cpu", A.dtype)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")


def _check_precision(name, A):
    """Ops that refuse float16 before dispatch (inv, slogdet, logdet) say so in these words."""
    if A.dtype is _dt.float16:
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got "
                           f"{_torch_type_name(A.dtype)}")


def _raise_factor_info(name, info):
    """lu_factor's failure: a RuntimeError (not LinAlgError), as PyTorch raises it."""
    try:
        _raise_if_info(name, _physical(info).numpy(), lambda k: (
            f"U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. "
            "If you still want to perform the factorization, consider calling "
            "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"))
    except _LinAlgError as e:
        raise RuntimeError(str(e)) from None


def _raise_inv_info(name, info):
    _raise_if_info(name, _physical(info).numpy(), lambda k: (
        f"The diagonal element {k} is zero, the inversion could not be completed because the "
        "input matrix is singular."))


def _raise_solve_info(name, info):
    _raise_if_info(name, _physical(info).numpy(),
                   lambda k: "The solver failed because the input matrix is singular.")


def _check_solver(name, A, B, left):
    """A square, B a matrix whose rows (left) or columns (right) match A (checkInputsSolver)."""
    _check_square(name, A)
    _check_is_matrix(name, B, "B")
    (m, n), (r, c) = A.shape[-2:], B.shape[-2:]
    if (m != r) if left else (n != c):
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({m}x{n} and {r}x{c})")


# -- factor -------------------------------------------------------------------------------------

def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    _check_factor_input("torch.lu_factor", A, pivot)
    LU, pivots, info = _p.lu_factor_ex_p(A)
    if check_errors:
        _raise_factor_info("torch.linalg.lu_factor_ex", info)
    return _finish_out(_rt.linalg_lu_factor_ex(LU, pivots, info), out)


def lu_factor(A, *, pivot=True, out=None):
    _check_factor_input("torch.lu_factor", A, pivot)
    LU, pivots, info = _p.lu_factor_ex_p(A)
    _raise_factor_info("torch.linalg.lu_factor", info)
    return _finish_out(_rt.linalg_lu_factor(LU, pivots), out)


def _unpack(LU, pivots, unpack_data, unpack_pivots):
    """P (m x m), L (m x k, unit lower) and U (k x n) from a factor, k = min(m, n); an output
    not asked for is an empty tensor, as in PyTorch."""
    m = LU.shape[-2]
    if unpack_data:
        L, U = _p.unpack_factor(LU)
    else:
        L = U = _empty(0, dtype=LU.dtype)
    if unpack_pivots:
        P = _p.lu_permutation_p(pivots, m=m, dtype=LU.dtype.name)
    else:
        P = _empty(0, dtype=LU.dtype)
    return P, L, U


def lu(A, *, pivot=True, out=None):
    _check_factor_input("linalg.lu", A, pivot)
    LU, pivots, _ = _p.lu_factor_ex_p(A)
    return _finish_out(_rt.linalg_lu(*_unpack(LU, pivots, True, True)), out)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    if LU_data.ndim < 2:
        raise RuntimeError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(LU_data.shape)} instead")
    if unpack_pivots:
        if LU_pivots.dtype is not _dt.int32:
            raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor "
                               "of torch.int32 dtype.\nNote: this function is intended to be used "
                               "with the output produced by torch.linalg.lu_factor")
        if LU_pivots.ndim < 1 or LU_pivots.shape[-1] > LU_data.shape[-2]:
            raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) "
                               "inclusive.Did you properly pass the result of lu_factor?")
    result = _unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)
    return _finish_out(_rt.lu_unpack(*result), out)


def _lu_deprecated(A, pivot=True, get_infos=False, out=None):
    """torch.lu / Tensor.lu: lu_factor_ex's LU and pivots, and info with get_infos."""
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.",
                  UserWarning, stacklevel=2)
    _check_factor_input("torch.lu_factor", A, pivot)
    LU, pivots, info = _p.lu_factor_ex_p(A)
    return _finish_out(_rt._lu_with_info(LU, pivots, info) if get_infos
                       else (LU, pivots), out)


# -- solves -------------------------------------------------------------------------------------

def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    name = "linalg.lu_solve"
    _check_floating("torch.linalg.lu_solve", LU, "linalg.lu_solve_cpu")
    _check_same_dtype(name, LU, B, "LU", "B")
    if pivots.dtype is not _dt.int32:
        raise RuntimeError(f"{name}: pivots should be a Tensor of scalar type torch.int32")
    _check_square("torch.linalg.lu_solve", LU)
    _check_solver(name, LU, B, left)
    if pivots.ndim < 1 or pivots.shape[-1] != LU.shape[-1]:
        raise RuntimeError(f"{name}: Number of pivots per batch should be same as the dimension "
                           "of the matrix")
    if pivots.shape != LU.shape[:-1]:
        raise RuntimeError(f"{name}: Expected LU.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(pivots.shape)} instead")
    _broadcast_shape(B.shape[:-2], LU.shape[:-2])
    return _finish_out(_p.lu_solve_p(LU, pivots, B, left=left, adjoint=adjoint), out)


def _lu_solve_deprecated(b, LU_data, LU_pivots, *, out=None):
    """torch.lu_solve / Tensor.lu_solve: linalg.lu_solve with its arguments in the old order."""
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solve and will be "
                  "removed in a future PyTorch release.", UserWarning, stacklevel=2)
    return lu_solve(LU_data, LU_pivots, b, out=out)


def _a_batch(info, A, batch):
    """The info of a solve over the broadcast `batch`, reduced to A's own batch shape (its
    value is the same wherever A repeats), as PyTorch, which factors A unexpanded, returns."""
    a_batch = A.shape[:-2]
    if tuple(a_batch) == tuple(batch):
        return info
    if info.numel() == 0:
        # An empty broadcast batch ran no solve, yet PyTorch's info still reports A's own
        # factorization (a singular A gives 1), so factor A alone.
        return _p.lu_factor_ex_p(A)[2]
    lead = len(batch) - len(a_batch)
    for d in range(len(batch)):
        if d < lead or a_batch[d - lead] == 1:
            info = _narrow(info, d, 0, 1)
    return _reshape(info, tuple(a_batch))


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    name = "linalg.solve"
    _check_floating(name, A, "lu_cpu")
    _check_same_dtype(name, A, B)
    # B of shape (*, n) is a batch of vectors when it is 1-D or exactly A's shape minus a dim.
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    B_ = _unsqueeze(B, -1) if vector else B
    _check_solver(name, A, B_, left)
    batch = _broadcast_shape(B_.shape[:-2], A.shape[:-2])
    X, info = _p.solve_ex_p(A, B_, left=left)
    info = _a_batch(info, A, batch)
    if vector:
        X = _squeeze(X, -1)
    if check_errors:
        _raise_solve_info("torch.linalg.solve_ex", info)
    return _finish_out(_rt.linalg_solve_ex(X, info), out)


def solve(A, B, *, left=True, out=None):
    X, info = solve_ex(A, B, left=left)
    _raise_solve_info("torch.linalg.solve", info)
    return _finish_out(X, out)


# -- inverse ------------------------------------------------------------------------------------

def _inv_checks(A):
    _check_square("linalg.inv", A)
    _check_precision("linalg.inv", A)
    _check_floating("linalg.inv", A, "linalg_inv")


def inv_ex(A, *, check_errors=False, out=None):
    _inv_checks(A)
    inverse, info = _p.inv_ex_p(A)
    if check_errors:
        _raise_inv_info("linalg.inv_ex", info)
    return _finish_out(_rt.linalg_inv_ex(inverse, info), out)


def inv(A, *, out=None):
    _inv_checks(A)
    inverse, info = _p.inv_ex_p(A)
    _raise_inv_info("linalg.inv", info)
    return _finish_out(inverse, out)


def inverse(input, *, out=None):
    return inv(input, out=out)


# -- determinants -------------------------------------------------------------------------------

def det(A, *, out=None):
    _check_square("linalg.det", A)
    _check_floating("linalg.det", A, "lu_cpu")
    return _finish_out(_p.det_p(A), out)


def _det(input):
    """torch.det / Tensor.det: linalg.det without out=."""
    return det(input)


def _slogdet_checks(name, A):
    _check_square(name, A)
    _check_precision(name, A)
    _check_floating(name, A, "linalg_slogdet")


def slogdet(A, *, out=None):
    _slogdet_checks("linalg.slogdet", A)
    return _finish_out(_rt.linalg_slogdet(*_p.slogdet_p(A)), out)


def _slogdet(input, *, out=None):
    """torch.slogdet / Tensor.slogdet: the same values in torch.return_types.slogdet."""
    _slogdet_checks("linalg.slogdet", input)
    return _finish_out(_rt.slogdet(*_p.slogdet_p(input)), out)


def logdet(input):
    """log(det): real input with a negative determinant gives NaN; complex input gives
    log(sign) + log|det| (PyTorch's composite)."""
    _slogdet_checks("logdet", input)
    sign, logabsdet = _p.slogdet_p(input)
    if input.dtype.category == _dt.COMPLEX:
        return _add(_log(sign), logabsdet)
    return _where(_eq(sign, -1.0), float("nan"), logabsdet)


_det.__name__ = "det"
_slogdet.__name__ = "slogdet"
_lu_deprecated.__name__ = "lu"
_lu_solve_deprecated.__name__ = "lu_solve"

__all__ = ["lu_factor", "lu_factor_ex", "lu", "lu_solve", "solve", "solve_ex", "inv", "inv_ex",
           "det", "slogdet"]
TOPLEVEL = {"det": _det, "logdet": logdet, "slogdet": _slogdet, "inverse": inverse,
            "lu_unpack": lu_unpack, "lu_solve": _lu_solve_deprecated, "lu": _lu_deprecated}
METHODS = {"det": _det, "logdet": logdet, "slogdet": _slogdet, "inverse": inverse,
           "lu_solve": _lu_solve_deprecated, "lu": _lu_deprecated}
