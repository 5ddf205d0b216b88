"""linalg.eig and linalg.eigvals, on the eig_ex primitive (batched ?geev).

PyTorch's behaviour, checked against torch 2.13 on CPU: results are always complex (complex64 for
float32 input, complex128 for float64), eigenvalues in LAPACK's order, eigenvectors column-major
with unit 2-norm and their largest component real, as ?geev returns them. eig refuses input
holding NaN or infinity (PyTorch's RuntimeError); eigvals gives that batch element NaN
eigenvalues (PyTorch's MKL build does so for infinity; for NaN it returns arbitrary numbers).
"""

from .._core import dtype as _dt
from .._core._tensor import is_grad_enabled as _is_grad_enabled
from .._ops import _checks as _opchecks
from .._ops._batching import physical as _physical
from .._ops.eig import NONFINITE as _NONFINITE
from .._ops.eig import eig_ex_p as _eig_ex_p
from .._ops.mutation import finish_out as _finish_out
from .._ops.return_types import return_types as _return_types
from ._checks import check_floating, check_square, raise_if_info
from ._svd import out_pairs


def _check_input(fn, name, A):
    """PyTorch's checks in its order: a Tensor, a dtype with a complex counterpart, square."""
    _opchecks.check_tensor(fn, A, "input", 1)
    if A.dtype.category < _dt.FLOAT:
        raise RuntimeError(f"Unknown Complex ScalarType for {_opchecks.torch_type_name(A.dtype)}")
    check_square(name, A)
    check_floating(name, A, "linalg_eig_out_cpu")


def _eig_message(code):
    return (f"The algorithm failed to converge because the input matrix is ill-conditioned or "
            f"has too many repeated eigenvalues (error code: {code}).")


def _raise_if_failed(name, info):
    info = _physical(info)._data
    raise_if_info(name, info * (info > 0), _eig_message)


def _check_out(fn, name, out, results, labels):
    """PyTorch's eig family takes out tensors its complex results can be cast to safely."""
    if out is None:
        return
    for (o, r), label in zip(out_pairs(fn, out, results), labels):
        if not _dt.can_cast(r.dtype, o.dtype):
            raise RuntimeError(f"torch.{name}: Expected {label} to be safely castable from "
                               f"{_opchecks.torch_type_name(r.dtype)} dtype, but got {label} "
                               f"with dtype {_opchecks.torch_type_name(o.dtype)}")


def eig(A, *, out=None):
    _check_input("linalg_eig", "linalg.eig", A)
    w, V, info = _eig_ex_p(A, compute_v=True)
    if (_physical(info)._data == _NONFINITE).any():
        raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
    _raise_if_failed("linalg.eig", info)
    result = _return_types.linalg_eig(w, V)
    _check_out("linalg_eig", "linalg.eig", out, result, ("eigenvalues", "eigenvectors"))
    return _finish_out(result, out)


def eigvals(A, *, out=None):
    _check_input("linalg_eigvals", "linalg.eigvals", A)
    if A.requires_grad and _is_grad_enabled():
        # As PyTorch: the backward needs the eigenvectors, so compute them now.
        w, _, info = _eig_ex_p(A, compute_v=True)
    else:
        w, info = _eig_ex_p(A, compute_v=False)
    _raise_if_failed("linalg.eigvals", info)
    _check_out("linalg_eigvals", "linalg.eigvals", out, w, ("eigenvalues",))
    return _finish_out(w, out)


__all__ = ["eig", "eigvals"]
TOPLEVEL = {}   # torch.eig is gone since 1.9 (a stub that raises); torch has no top-level eigvals
METHODS = {}    # nor Tensor methods beyond that stub
