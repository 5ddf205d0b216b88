"""lamina.linalg: the Cholesky family and triangular solves.

linalg.cholesky, cholesky_ex and solve_triangular, and the top-level functions (and Tensor
methods) torch has beside them: the deprecated cholesky, cholesky_solve, cholesky_inverse and
triangular_solve. Each checks its arguments in PyTorch's words and order, calls one primitive of
lamina/_ops/cholesky.py, and turns a nonzero LAPACK status into PyTorch's LinAlgError (read on
the physical status under vmap, so one check covers the batch, as in lamina/linalg/_lu.py).
"""

import warnings

from .._core import dtype as _dt
from .._core._tensor import TensorBase as _TensorBase
from .._ops import cholesky as _prims
from .._ops import conversion as _conversion
from .._ops import shape as _shape
from .._ops._batching import physical as _physical
from .._ops._checks import CPP_NAMES as _CPP_NAMES
from .._ops._checks import broadcast_shape as _broadcast_shape
from .._ops._checks import check_tensor as _check_tensor
from .._ops._checks import not_implemented as _not_implemented
from .._ops._checks import torch_type_name as _torch_type_name
from .._ops.mutation import finish_out as _finish_out
from .._ops.return_types import return_types as _return_types
from ._checks import check_floating as _check_floating
from ._checks import check_square as _check_square
from ._checks import finish_castable_out as _finish_castable_out
from ._checks import raise_if_info as _raise_if_info

_LAPACK_TYPES = (_dt.float32, _dt.float64, _dt.complex64, _dt.complex128)


# -- checks and messages --------------------------------------------------------------------------

def _not_pd(k):
    return (f"The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {k} is not positive-definite).")


def _zero_diagonal(k):
    return (f"The diagonal element {k} is zero, the inversion could not be completed because "
            f"the input matrix is singular.")


def _raise(name, info, message):
    _raise_if_info(name, _physical(info).numpy(), message)


def _lapack_dtype(kernel, *tensors):
    """PyTorch's NotImplementedError for a dtype its LAPACK kernel `kernel` lacks."""
    for t in tensors:
        if t.dtype not in _LAPACK_TYPES:
            raise _not_implemented(kernel, t.dtype)


def _same_dtype(b, A):
    if b.dtype is not A.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{_torch_type_name(b.dtype)} and A of type "
                           f"{_torch_type_name(A.dtype)} instead.")


def _solver_shapes(name, b, A):
    """The shape checks torch's cholesky_solve and triangular_solve share (no name prefix)."""
    _square("", A)
    if A.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for {name}: each A matrix is "
                           f"{A.shape[-1]} by {A.shape[-1]} but each b matrix is "
                           f"{b.shape[-2]} by {b.shape[-1]}")
    return _broadcast_shape(b.shape[:-2], A.shape[:-2])


def _square(name, A):
    m, n = A.shape[-2], A.shape[-1]
    if m != n:
        prefix = f"{name}: " if name else ""
        raise RuntimeError(f"{prefix}A must be batches of square matrices, but they are {m} by "
                           f"{n} matrices")


def _exact_out(results, outs, message):
    """The out= check of ops that take an out tensor of exactly the result's dtype only."""
    for r, o in zip(results, outs):
        if isinstance(o, _TensorBase) and o.dtype is not r.dtype:
            raise RuntimeError(message.format(
                r=_CPP_NAMES[r.dtype.name], o=_CPP_NAMES[o.dtype.name],
                R=_torch_type_name(r.dtype), O=_torch_type_name(o.dtype)))


_OUT_DTYPE = "Expected out tensor to have dtype {r}, but got {o} instead"


def _tuple_out(name, out):
    if out is not None and not isinstance(out, (tuple, list)):
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not "
                        f"{type(out).__name__}")


# -- the factorization ----------------------------------------------------------------------------

def _factor(A, upper):
    _check_square("linalg.cholesky", A)
    _check_floating("linalg.cholesky", A, "cholesky_cpu")
    return _prims.cholesky_ex_p(A, upper=bool(upper))


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    _check_tensor("linalg_cholesky_ex", A)
    _tuple_out("linalg_cholesky_ex", out)
    L, info = _factor(A, upper)
    if check_errors:
        _raise("linalg.cholesky_ex", info, _not_pd)
    if out is not None:
        _exact_out((L, info), out, _OUT_DTYPE)
    return _finish_out(_return_types.linalg_cholesky_ex(L, info), out)


def cholesky(A, *, upper=False, out=None):
    _check_tensor("linalg_cholesky", A)
    L, info = _factor(A, upper)
    _raise("linalg.cholesky", info, _not_pd)
    if out is not None:
        _exact_out((L,), (out,), _OUT_DTYPE)
    return _finish_out(L, out)


_DEPRECATED = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
    "future lamina release.\nL = torch.cholesky(A)\nshould be replaced with\n"
    "L = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced "
    "with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results for "
    "all valid (symmetric positive definite) inputs.").replace("torch.", "lamina.")


def _deprecated_cholesky(input, upper=False, *, out=None):
    """torch.cholesky: linalg.cholesky under its older name, checks and messages."""
    _check_tensor("cholesky", input)
    warnings.warn(_DEPRECATED, UserWarning, stacklevel=2)
    _check_square("cholesky", input)
    _lapack_dtype("cholesky_cpu", input)
    L, info = _prims.cholesky_ex_p(input, upper=bool(upper))
    _raise("cholesky", info, _not_pd)
    return _finish_castable_out("cholesky", L, out)


# -- with a factor --------------------------------------------------------------------------------

def cholesky_solve(B, L, upper=False, *, out=None):
    """X with A X = B, A = L L^H (U^H U with `upper`) from its Cholesky factor."""
    _check_tensor("cholesky_solve", B)
    _check_tensor("cholesky_solve", L, "input2", 2)
    for arg, t in (("b", B), ("u", L)):
        if t.ndim < 2:
            raise RuntimeError(f"{arg} should have at least 2 dimensions, but has {t.ndim} "
                               "dimensions instead")
    _same_dtype(B, L)
    _solver_shapes("cholesky_solve", B, L)
    _lapack_dtype("cholesky_solve_cpu", L)
    X = _prims.cholesky_solve_p(B, L, upper=bool(upper))
    return _finish_castable_out("cholesky_solve", X, out)


def cholesky_inverse(L, upper=False, *, out=None):
    """inv(L L^H) (inv(U^H U) with `upper`) from a Cholesky factor, both triangles filled."""
    _check_tensor("cholesky_inverse", L)
    _check_square("cholesky_inverse", L)
    _lapack_dtype("cholesky_inverse_out_cpu", L)
    inverse, info = _prims.cholesky_inverse_ex_p(L, upper=bool(upper))
    _raise("cholesky_inverse", info, _zero_diagonal)
    return _finish_castable_out("cholesky_inverse", inverse, out)


# -- triangular solves ----------------------------------------------------------------------------

def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    _check_tensor("linalg_solve_triangular", A)
    _check_tensor("linalg_solve_triangular", B, "B", 2)
    name = "linalg.solve_triangular"
    for arg, t in (("A", A), ("B", B)):
        if t.ndim < 2:
            raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    _square(name, A)
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    _broadcast_shape(B.shape[:-2], A.shape[:-2])
    _lapack_dtype("triangular_solve_cpu", A)
    # PyTorch computes in A's dtype, converting B to it. A complex B meeting a real A would lose
    # its imaginary part that way, so that pair computes in A's complex type instead.
    dtype = A.dtype.to_complex() if B.dtype.is_complex else A.dtype
    A, B = _conversion.to(A, dtype), _conversion.to(B, dtype)
    X = _prims.triangular_solve_p(A, B, upper=bool(upper), left=bool(left),
                            unitriangular=bool(unitriangular), transpose=False)
    if out is not None and isinstance(out, _TensorBase) and out.dtype is not X.dtype:
        raise RuntimeError(f"expected scalar type {_torch_type_name(X.dtype)} but found "
                           f"{_torch_type_name(out.dtype)}")
    return _finish_out(X, out)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """(X, A cloned) with op(A) X = b, op(A) = A or A^T: torch.triangular_solve."""
    _check_tensor("triangular_solve", b)
    _check_tensor("triangular_solve", A, "A", 2)
    for arg, t in (("b", b), ("A", A)):
        if t.ndim < 2:
            raise RuntimeError(f"torch.triangular_solve: Expected {arg} to have at least 2 "
                               f"dimensions, but it has {t.ndim} dimensions instead")
    _same_dtype(b, A)
    batch = _solver_shapes("triangular_solve", b, A)
    _lapack_dtype("triangular_solve_cpu", A)
    _tuple_out("triangular_solve", out)
    X = _prims.triangular_solve_p(A, b, upper=bool(upper), left=True,
                            unitriangular=bool(unitriangular), transpose=bool(transpose))
    # The coefficient comes back broadcast to the batch, a copy in PyTorch's column-major layout.
    wide = _shape.broadcast_to(A, tuple(batch) + tuple(A.shape[-2:]))
    cloned = _shape.transpose(_shape.clone(_shape.transpose(wide, -2, -1),
                                           memory_format=_shape.contiguous_format), -2, -1)
    result = _return_types.triangular_solve(X, cloned)
    if out is not None:
        _exact_out(result, out, _OUT_DTYPE)
    return _finish_out(result, out)


_deprecated_cholesky.__name__ = _deprecated_cholesky.__qualname__ = "cholesky"

__all__ = ["cholesky", "cholesky_ex", "solve_triangular"]
TOPLEVEL = {"cholesky": _deprecated_cholesky, "cholesky_solve": cholesky_solve,
            "cholesky_inverse": cholesky_inverse, "triangular_solve": triangular_solve}
METHODS = dict(TOPLEVEL)
