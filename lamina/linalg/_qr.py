"""lamina.linalg: the QR family. linalg.qr, linalg.householder_product, and the top-level qr,
geqrf, orgqr, ormqr (with their Tensor methods), over the primitives in lamina/_ops/qr.py.

Checks and messages are PyTorch 2.13's (BatchLinearAlgebra.cpp), in its order.
"""

import warnings

from .._core import dtype as _dt
from .._ops import qr as _ops_qr
from .._ops._checks import CPP_NAMES as _CPP_NAMES
from .._ops._checks import check_tensor as _check_tensor
from .._ops._checks import not_implemented as _not_implemented
from .._ops._checks import torch_type_name as _torch_type_name
from .._ops.mutation import finish_out as _finish_out
from .._ops.return_types import return_types as _return_types
from ._checks import check_floating as _check_floating
from ._checks import check_is_matrix as _check_is_matrix

_MODES = ("reduced", "complete", "r")


def _floating_kernel(A, kernel):
    """PyTorch's dispatch error for a dtype its LAPACK kernel `kernel` has no version of."""
    if A.dtype.category < _dt.FLOAT or A.dtype is _dt.float16:
        raise _not_implemented(kernel, A.dtype)


def _finish_exact(result, out, name):
    """out= for the linalg functions, which take outs of exactly the result's dtypes."""
    if out is None:
        return result
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)):
            raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not "
                            f"{type(out).__name__}")
        if len(out) != len(result):
            raise TypeError(f"expected tuple of {len(result)} elements but got {len(out)}")
        pairs = zip(out, result)
    else:
        pairs = [(out, result)]
    for o, r in pairs:
        _check_tensor(name, o, "out", 2)
        if o.dtype is not r.dtype:
            raise RuntimeError(f"Expected out tensor to have dtype {_CPP_NAMES[r.dtype.name]}, "
                               f"but got {_CPP_NAMES[o.dtype.name]} instead")
    return _finish_out(result, out)


def _checked_qr(name, A, mode):
    _check_tensor(name, A, "A" if name == "linalg_qr" else "input", 1)
    _check_is_matrix("linalg.qr", A)
    if A.dtype is not _dt.float16:     # float16 passes this check and fails at dispatch
        _check_floating("linalg.qr", A, "geqrf_cpu")
    if mode not in _MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    _floating_kernel(A, "geqrf_cpu")
    return _ops_qr.qr_p(A, mode=mode)


def qr(A, mode="reduced", *, out=None):
    if not isinstance(mode, str):
        raise TypeError(f"linalg_qr(): argument 'mode' must be str, not {type(mode).__name__}")
    Q, R = _checked_qr("linalg_qr", A, mode)
    return _finish_exact(_return_types.linalg_qr(Q, R), out, "linalg_qr")


_QR_DEPRECATION = (
    "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
    "release.\nThe boolean parameter 'some' has been replaced with a string parameter 'mode'.\n"
    "Q, R = torch.qr(A, some)\nshould be replaced with\n"
    "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')")
_warned = []


def _qr_some(input, some=True, *, out=None):
    """torch.qr: linalg.qr with `some` choosing reduced (True) or complete (False); deprecated,
    with PyTorch's warning once per process."""
    if not _warned:
        _warned.append(True)
        warnings.warn(_QR_DEPRECATION.replace("torch.", "lamina."), UserWarning, stacklevel=2)
    Q, R = _checked_qr("qr", input, "reduced" if some else "complete")
    return _finish_out(_return_types.qr(Q, R), out)


def geqrf(input, *, out=None):
    _check_tensor("geqrf", input, "input", 1)
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    _floating_kernel(input, "geqrf_cpu")
    a, tau = _ops_qr.geqrf_p(input)
    return _finish_out(_return_types.geqrf(a, tau), out)


def _reflector_checks(name, input, tau):
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if tau.ndim != input.ndim - 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.ndim} and input.ndim is equal to "
                           f"{input.ndim}")


def _batch_equal(name, what, x, input):
    if tuple(x.shape[:input.ndim - 2]) != tuple(input.shape[:-2]):
        raise RuntimeError(f"{name}: Expected batch dimensions of {what} to be equal to "
                           f"input.shape[:-2], but got {list(x.shape[:input.ndim - 2])}")


def _same_dtype(name, input, x, what):
    if x.dtype is not input.dtype:
        raise RuntimeError(f"{name}: {what} dtype {_torch_type_name(x.dtype)} does not match "
                           f"input dtype {_torch_type_name(input.dtype)}")


def householder_product(A, tau, *, out=None):
    name = "torch.linalg.householder_product"
    _check_tensor("linalg_householder_product", A, "input", 1)
    _check_tensor("linalg_householder_product", tau, "tau", 2)
    _reflector_checks(name, A, tau)
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    if n < tau.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to "
                           "tau.shape[-1]")
    _batch_equal(name, "tau", tau, A)
    _same_dtype(name, A, tau, "tau")
    _floating_kernel(A, "orgqr_cpu")
    return _finish_out(_ops_qr.householder_product_p(A, tau), out)


def orgqr(input, tau, *, out=None):
    """torch.orgqr: householder_product under LAPACK's name."""
    return householder_product(input, tau, out=out)


def ormqr(input, tau, other, left=True, transpose=False, *, out=None):
    name = "torch.ormqr"
    for pos, (x, arg) in enumerate(((input, "input"), (tau, "tau"), (other, "other"))):
        _check_tensor("ormqr", x, arg, pos + 1)
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if other.ndim < 2:
        raise RuntimeError(f"{name}: other must have at least 2 dimensions.")
    if other.ndim != input.ndim:
        raise RuntimeError(f"{name}: Expected other to have the same number of dimensions as "
                           f"input, but got other.ndim equal to {other.ndim} and input.ndim is "
                           f"equal to {input.ndim}")
    side = -2 if left else -1
    axis = "other.shape[-2]" if left else "other.shape[-1]"
    if other.shape[side] != input.shape[-2]:
        raise RuntimeError(f"{name}: {axis} must be equal to input.shape[-2]")
    if tau.shape[-1] != min(other.shape[side], input.shape[-1]):
        raise RuntimeError(f"{name}: tau.shape[-1] must be equal to min({axis}, "
                           "input.shape[-1])")
    if tau.ndim != input.ndim - 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.ndim} and input.ndim is equal to "
                           f"{input.ndim}")
    if other.ndim != input.ndim:
        raise RuntimeError(f"{name}: Expected other to have the same number of dimensions as "
                           f"input, but got other.ndim equal to {other.ndim} and input.ndim is "
                           f"equal to {input.ndim}")
    _batch_equal(name, "tau", tau, input)
    _batch_equal(name, "other", other, input)
    for x, arg in ((tau, "tau"), (other, "other")):
        if x.dtype is not input.dtype:
            raise RuntimeError(f"{name}: Expected input and {arg} to have the same dtype, but "
                               f"input has dtype{_torch_type_name(input.dtype)} and {arg} has "
                               f"dtype {_torch_type_name(x.dtype)}")
    _floating_kernel(input, "ormqr_cpu")
    result = _ops_qr.ormqr_p(input, tau, other, left=bool(left), transpose=bool(transpose))
    return _finish_out(result, out)


__all__ = ["qr", "householder_product"]
TOPLEVEL = {"qr": _qr_some, "geqrf": geqrf, "orgqr": orgqr, "ormqr": ormqr}
METHODS = {"qr": _qr_some, "geqrf": geqrf, "orgqr": orgqr, "ormqr": ormqr}
