"""Argument checks and LAPACK status → error, shared by every lamina.linalg function.

Messages are PyTorch's (its LinearAlgebraUtils checks), with the public name in front; the
kernels below never see input these checks refuse.
"""

import numpy as np

from .._core import dtype as _dt
from .._core._tensor import TensorBase
from .._ops._checks import torch_type_name
from .._ops.mutation import finish_out


class LinAlgError(RuntimeError):
    """A factorization or solve failed on its input (torch.linalg.LinAlgError)."""


def check_is_matrix(name, A, arg="A"):
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")


def check_square(name, A, arg="A"):
    """At least 2-D, and square in its last two dims."""
    check_is_matrix(name, A, arg)
    m, n = A.shape[-2], A.shape[-1]
    if m != n:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are "
                           f"{m} by {n} matrices")


def check_floating(name, A, kernel):
    """float32/64 or complex64/128. Integer and bool inputs get PyTorch's RuntimeError; float16
    gets the NotImplementedError its CPU dispatch raises for `kernel` (e.g. "cholesky_cpu")."""
    if A.dtype is _dt.float16:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Half\'')
    if A.dtype.category < _dt.FLOAT:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {torch_type_name(A.dtype)}")


def check_same_dtype(name, A, B, a="A", b="B"):
    if A.dtype is not B.dtype:
        raise RuntimeError(f"{name}: Expected {a} and {b} to have the same dtype, but found {a} "
                           f"of type {torch_type_name(A.dtype)} and {b} of type "
                           f"{torch_type_name(B.dtype)} instead")


def raise_if_info(name, info, message):
    """Raise LinAlgError for the first batch element whose LAPACK `info` (an int ndarray of the
    batch shape) is nonzero; `message(code)` words it. Batched inputs name the element by its
    flat index over the batch dims, as PyTorch does."""
    if not info.any():      # the common case, without building an index array
        return
    k = int(np.flatnonzero(info)[0])
    where = f"(Batch element {k}): " if info.ndim else ""
    raise LinAlgError(f"{name}: {where}{message(int(info.reshape(-1)[k]))}")


def finish_castable_out(name, result, out):
    """`out=` for the linalg functions that accept any out dtype the result casts to safely."""
    if isinstance(out, TensorBase) and not _dt.can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"{name}: Expected result to be safely castable from "
                           f"{torch_type_name(result.dtype)} dtype, but got result with dtype "
                           f"{torch_type_name(out.dtype)}")
    return finish_out(result, out)
