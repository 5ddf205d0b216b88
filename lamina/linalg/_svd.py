"""linalg.svd, linalg.svdvals and the top-level svd, on the svd_ex primitive (batched ?gesdd).

PyTorch's behaviour, checked against torch 2.13 on CPU: U and Vh come back column-major (the
kernel writes them so), S is real and descending; `driver=` is refused on CPU inputs; a matrix
holding NaN or infinity raises LinAlgError naming its batch element (PyTorch raises this for NaN;
for infinity its MKL build returns NaN with arbitrary vectors, which we do not copy). The
top-level svd returns V rather than Vh, and with compute_uv=False zero-filled (m, m) and (n, n)
matrices in place of U and V.
"""

from .._core import dtype as _dt
from .._core._tensor import TensorBase as _TensorBase
from .._core._tensor import is_grad_enabled as _is_grad_enabled
from .._ops import _checks as _opchecks
from .._ops._batching import physical as _physical
from .._ops.creation import zeros as _zeros
from .._ops.mutation import finish_out as _finish_out
from .._ops.return_types import return_types as _return_types
from .._ops.svd import NONFINITE as _NONFINITE
from .._ops.svd import svd_ex_p as _svd_ex_p
from ._checks import check_floating, check_is_matrix, raise_if_info


def _check_bool(fn, arg, value):
    if type(value) is not bool:
        raise TypeError(f"{fn}(): argument '{arg}' must be bool, not {type(value).__name__}")


def _check_input(fn, A, arg, driver=None):
    """PyTorch's checks in its order: a Tensor, a matrix, floating or complex, no driver."""
    _opchecks.check_tensor(fn, A, arg, 1)
    if driver is not None and not isinstance(driver, str):
        raise TypeError(f"{fn}(): argument 'driver' must be str, not {type(driver).__name__}")
    if fn == "svd" and A.ndim < 2:
        raise RuntimeError(f"linalg.svd: input should have at least 2 dimensions, but has "
                           f"{A.ndim} dimensions instead")
    check_is_matrix("linalg.svd", A)
    if A.dtype.category < _dt.FLOAT:    # integers first; float16's refusal comes after driver's
        check_floating("linalg.svd", A, "linalg_svd_cpu")
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    check_floating("linalg.svd", A, "linalg_svd_cpu")


def _svd_message(code):
    if code == _NONFINITE:
        return ("The algorithm failed to converge because the input matrix contained non-finite "
                "values.")
    return (f"The algorithm failed to converge because the input matrix is ill-conditioned or "
            f"has too many repeated singular values (error code: {code}).")


def out_pairs(fn, out, results):
    """(out tensor, result) pairs of an `out=` argument, after PyTorch's structural checks: a
    Tensor for one result, a tuple of as many Tensors for a tuple of results."""
    if not isinstance(results, tuple):
        out, results = (out,), (results,)
    elif not isinstance(out, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'out' must be tuple of Tensors, not "
                        f"{type(out).__name__}")
    elif len(out) != len(results):
        raise TypeError(f"expected tuple of {len(results)} elements but got {len(out)}")
    for o in out:
        if not isinstance(o, _TensorBase):
            raise TypeError(f"{fn}(): argument 'out' must be Tensor, not {type(o).__name__}")
    return zip(out, results)


def _check_out(fn, out, results):
    """PyTorch's svd family takes out tensors of exactly the results' dtypes."""
    if out is None:
        return
    for o, r in out_pairs(fn, out, results):
        if o.dtype is not r.dtype:
            raise RuntimeError(f"Expected out tensor to have dtype "
                               f"{_opchecks.CPP_NAMES[r.dtype.name]}, but got "
                               f"{_opchecks.CPP_NAMES[o.dtype.name]} instead")


def svd(A, full_matrices=True, *, driver=None, out=None):
    _check_bool("linalg_svd", "full_matrices", full_matrices)
    _check_input("linalg_svd", A, "A", driver)
    U, S, Vh, info = _svd_ex_p(A, full_matrices=full_matrices, compute_uv=True)
    raise_if_info("linalg.svd", _physical(info)._data, _svd_message)
    result = _return_types.linalg_svd(U, S, Vh)
    _check_out("linalg_svd", out, result)
    return _finish_out(result, out)


def _values(A):
    """(S, info), with the vectors computed and dropped when A requires grad: the backward
    needs them (PyTorch's svdvals does the same)."""
    if A.requires_grad and _is_grad_enabled():
        _, S, _, info = _svd_ex_p(A, full_matrices=False, compute_uv=True)
        return S, info
    return _svd_ex_p(A, full_matrices=False, compute_uv=False)


def svdvals(A, *, driver=None, out=None):
    _check_input("linalg_svdvals", A, "A", driver)
    S, info = _values(A)
    raise_if_info("linalg.svd", _physical(info)._data, _svd_message)
    _check_out("linalg_svdvals", out, S)
    return _finish_out(S, out)


def _svd(input, some=True, compute_uv=True, *, out=None):
    """torch.svd: V instead of Vh; some=True is full_matrices=False."""
    _check_input("svd", input, "input")
    _check_bool("svd", "some", some)
    _check_bool("svd", "compute_uv", compute_uv)
    if compute_uv:
        U, S, Vh, info = _svd_ex_p(input, full_matrices=not some, compute_uv=True)
        V = Vh.mH
    else:
        S, info = _values(input)
        *batch, m, n = input.shape
        U = _zeros(*batch, m, m, dtype=input.dtype)
        V = _zeros(*batch, n, n, dtype=input.dtype).mT   # column-major, as PyTorch's
    raise_if_info("linalg.svd", _physical(info)._data, _svd_message)
    result = _return_types.svd(U, S, V)
    _check_out("svd", out, result)
    return _finish_out(result, out)


_svd.__name__ = _svd.__qualname__ = "svd"

__all__ = ["svd", "svdvals"]
TOPLEVEL = {"svd": _svd}   # names that torch also has at top level
METHODS = {"svd": _svd}    # Tensor methods
