"""linalg.lstsq: least squares over a broadcast batch, on the `lstsq` primitive.

PyTorch's rules, checked against torch 2.13 on cpu: the default driver is gelsy; residuals are
returned only for m > n and drivers other than gelsy, and for gelsd/gelss only when every matrix
of the batch has full rank n; rank is empty for gels; singular values only for gelsd/gelss. B is
(*, m, k), or (*, m) with one dim fewer than A (a batch of vectors), whose solution is (*, n).
Deviation: where PyTorch passes a B with one dim fewer that is not such a vector batch on to
LAPACK (computing a wrongly shaped result), lamina raises the size mismatch it amounts to.
"""

import numbers

import numpy as np

from .._core import dtype as _dt
from .._core._tensor import TensorBase as _TensorBase
from .._ops._batching import physical as _physical
from .._ops._checks import broadcast_shape as _broadcast_shape
from .._ops._checks import check_tensor as _check_tensor
from .._ops._checks import torch_type_name as _torch_type_name
from .._ops.creation import zeros as _zeros
from .._ops.lstsq import lstsq_p as _lstsq_p
from .._ops.mutation import finish_out as _finish_out
from .._ops.return_types import return_types as _return_types
from .._ops.shape import squeeze as _squeeze
from .._ops.shape import unsqueeze as _unsqueeze
from ._checks import raise_if_info as _raise_if_info

_NAME = "torch.linalg.lstsq"
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")
_LAPACK_TYPES = (_dt.float32, _dt.float64, _dt.complex64, _dt.complex128)


def _rcond_value(rcond):
    """rcond as a float, as PyTorch's argument parser takes it (a number or a 0-dim tensor)."""
    if isinstance(rcond, _TensorBase) and rcond.ndim == 0:
        return float(rcond.item())
    if isinstance(rcond, numbers.Real) and not isinstance(rcond, bool):
        return float(rcond)
    raise TypeError(f"linalg_lstsq(): argument 'rcond' (position 3) must be float, not "
                    f"{type(rcond).__name__}")


def _not_full_rank(code):
    return (f"The least squares solution could not be computed because the input matrix does "
            f"not have full rank (error code: {code}).")


def lstsq(input, b, rcond=None, *, driver=None, out=None):
    """(solution, residuals, rank, singular_values) of min ||A X - B||, A = input, B = b."""
    A, B = input, b
    _check_tensor("linalg_lstsq", A, "input", 1)
    _check_tensor("linalg_lstsq", B, "b", 2)
    if driver is not None and not isinstance(driver, str):
        raise TypeError(f"linalg_lstsq(): argument 'driver' must be str, not "
                        f"{type(driver).__name__}")
    if rcond is not None:
        rcond = _rcond_value(rcond)
    if A.ndim < 2:
        raise RuntimeError(f"{_NAME}: input must have at least 2 dimensions.")
    if B.ndim < 1:
        raise RuntimeError(f"{_NAME}: other must have at least 1 dimension.")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"{_NAME}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {_torch_type_name(A.dtype)} and other's dtype "
                           f"{_torch_type_name(B.dtype)}")
    if not 0 <= A.ndim - B.ndim <= 1:
        raise RuntimeError(f"{_NAME}: input.dim() must be greater or equal to other.dim() and "
                           f"(input.dim() - other.dim()) <= 1")
    m, n = A.shape[-2], A.shape[-1]
    # PyTorch's vector test: B is (m,) or has A's shape without its last dim.
    vector = B.ndim == 1 or tuple(B.shape) == tuple(A.shape[:-1])
    if vector and B.shape[-1] != m:
        raise RuntimeError(f"{_NAME}: input.size(-2) should match other.size(-1)")
    if not vector and B.shape[-2] != m:
        raise RuntimeError(f"{_NAME}: input.size(-2) should match other.size(-2)")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError(f"{_NAME}: parameter `driver` should be one of "
                           f"(gels, gelsy, gelsd, gelss)")
    if A.dtype not in _LAPACK_TYPES:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A.ndim != B.ndim:
        B = _unsqueeze(B, -1)
    if A.shape[:-2] != B.shape[:-2]:
        _broadcast_shape(A.shape[:-2], B.shape[:-2])
    if B.shape[-2] != m:    # B with one dim fewer that is not a batch of vectors
        raise RuntimeError(f"{_NAME}: input.size(-2) should match other.size(-1)")
    if rcond is None:   # machine precision of A's (real) dtype times the larger dim
        rcond = float(np.finfo(A.dtype.to_real().np).eps) * max(m, n)
    solution, residuals, rank, sv, info = _lstsq_p(A, B, rcond=rcond, driver=driver)
    # PyTorch's singular values carry no derivative (output_differentiability in its
    # derivatives.yaml); the tape marks every floating output, so detach them here.
    sv = sv.detach()
    info = _physical(info)._data
    # PyTorch names the batch element only when there is more than one.
    _raise_if_info(_NAME, info if info.size != 1 else info.reshape(()), _not_full_rank)
    if driver in ("gelsd", "gelss") and m > n and not (_physical(rank)._data == n).all():
        residuals = _zeros(0, dtype=residuals.dtype)
    if vector:
        solution = _squeeze(solution, -1)
    return _finish_out(_return_types.linalg_lstsq(solution, residuals, rank, sv), out)


__all__ = ["lstsq"]
TOPLEVEL = {}   # torch.lstsq and Tensor.lstsq only raise in torch 2.13 (removed in 1.9)
METHODS = {}
