"""linalg.vector_norm, matrix_norm and norm.

Compositions, no kernel: a vector norm is the reduction family's norm primitive (one pass, float16
accumulated in float32); the Frobenius norm is the vector 2-norm over the two dims; the 1 and inf
norms are a vector 1-norm along one dim then a max (min for -1, -inf) along the other, as PyTorch
computes them; the spectral (2, -2) and nuclear norms reduce the singular values that
`linalg.svdvals` gives, looked up in the linalg namespace at call time.
"""

import functools
import math
import numbers

from .. import linalg as _linalg  # the package, for svdvals (the svd family's) at call time
from .._core import dtype as _dt
from .._core._tensor import TensorBase as _TensorBase
from .._core._tensor import canonical_dim as _canonical_dim
from .._ops import elementwise as _elementwise
from .._ops import reduction as _reduction
from .._ops._checks import check_tensor as _check_tensor
from .._ops._checks import torch_type_name as _torch_type_name
from .._ops.mutation import finish_out as _finish_out
from ._checks import check_is_matrix


def _order(name, ord):
    """A numeric order as a float; PyTorch's errors for what its Scalar argument refuses."""
    if isinstance(ord, _TensorBase) and ord.ndim == 0:
        ord = ord.item()
    if isinstance(ord, complex):
        raise RuntimeError(f"{name}: Expected a non-complex scalar as the order of norm.")
    if not isinstance(ord, numbers.Real):
        raise TypeError(f"{name.replace('.', '_')}(): argument 'ord' (position 2) must be Number, "
                        f"not {type(ord).__name__}")
    return float(ord)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    _check_tensor("linalg_vector_norm", x)
    ord = _order("linalg.vector_norm", ord)
    d = _reduction.norm_dtype(x.dtype, dtype)
    axis = _reduction.reduce_axes("linalg_vector_norm", dim, x.ndim)
    _reduction.check_norm_identity(ord, tuple(x.shape), axis)
    return _finish_out(_reduction.norm_p(x, ord=ord, axis=axis, keepdim=keepdim, dtype=d.np), out)


def _matrix_dims(name, A, dim):
    if len(dim) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    d0, d1 = (_canonical_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({d0}, {d1})")
    return d0, d1


_SHORT = 16  # reduced sizes up to which a max is taken as a chain of elementwise maxima


def _extreme(x, dim, largest, keepdim):
    """max (or min) over `dim` of non-negative values. An empty max is 0, the identity on
    norms, as PyTorch's matrix_norm gives; an empty min is amin's IndexError, as in PyTorch."""
    size = x.shape[dim]
    if largest and size == 0:
        shape = list(x.shape)
        if keepdim:
            shape[dim] = 1
        else:
            del shape[dim]
        return x.new_zeros(shape)
    if 0 < size <= _SHORT:
        # NumPy's amax over a short axis costs ~10x the elementwise maximum of its slices.
        result = functools.reduce(_elementwise.maximum if largest else _elementwise.minimum,
                                  x.unbind(dim))
        return result.unsqueeze(dim) if keepdim else result
    return (x.amax if largest else x.amin)(dim, keepdim)


def _singular_value_norm(A, ord, dims, keepdim, d):
    """2, -2 and 'nuc': the singular values of A's (dims) matrices, reduced."""
    perm = [i for i in range(A.ndim) if i not in dims] + list(dims)
    s = _linalg.svdvals(A.to(d).permute(perm))
    if ord == "nuc":
        result = s.sum(-1)
    else:
        result = _extreme(s, s.ndim - 1, ord > 0, False)
    if keepdim:
        for i in sorted(dims):
            result = result.unsqueeze(i)
    return result


def matrix_norm(input, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    name = "linalg.matrix_norm"
    A = _check_tensor("linalg_matrix_norm", input)
    if not isinstance(dim, (tuple, list)) or not all(_reduction.is_int_like(d) for d in dim):
        raise TypeError(f"linalg_matrix_norm(): argument 'dim' must be tuple of ints, not "
                        f"{type(dim).__name__}")
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"{name}: Order {ord} not supported.")
    else:
        ord = _order(name, ord)
        if abs(ord) not in (1.0, 2.0, math.inf):
            raise RuntimeError(f"{name}: Order {ord:g} not supported.")
    check_is_matrix(name, A)
    if A.dtype is _dt.float16 and ord in ("nuc", 2.0, -2.0):
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got Half")
    if A.dtype.category < _dt.FLOAT:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{_torch_type_name(A.dtype)}")
    dims = _matrix_dims(name, A, dim)
    d = _reduction.norm_dtype(A.dtype, dtype, name)
    if ord == "fro":
        result = _reduction.norm_p(A, ord=2.0, axis=dims, keepdim=keepdim, dtype=d.np)
    elif ord == "nuc" or abs(ord) == 2.0:
        result = _singular_value_norm(A, ord, dims, keepdim, d)
    else:
        # The inf norm (largest absolute row sum) is the 1 norm (largest absolute column sum)
        # with the two dims swapped.
        d0, d1 = dims if abs(ord) == 1.0 else dims[::-1]
        sums = _reduction.norm_p(A, ord=1.0, axis=(d0,), keepdim=keepdim, dtype=d.np)
        result = _extreme(sums, d1 - (not keepdim and d0 < d1), ord > 0, keepdim)
    return _finish_out(result, out)


def norm(input, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    _check_tensor("linalg_norm", input)
    if dim is not None:
        dims = [dim] if _reduction.is_int_like(dim) else dim
        if not isinstance(dims, (tuple, list)):
            raise TypeError(f"linalg_norm(): argument 'dim' must be tuple of ints, not "
                            f"{type(dim).__name__}")
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dims)}")
    elif ord is not None and input.ndim not in (1, 2):
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {input.ndim}D.")
    # A string order is a matrix order; a numeric one is a matrix order over two dims (given,
    # or those of a 2-D input); None is the 2-norm of the flattened dims, which is also the
    # Frobenius norm.
    if isinstance(ord, str) or (ord is not None and (len(dims) == 2 if dim is not None
                                                     else input.ndim == 2)):
        return matrix_norm(input, ord, (0, 1) if dim is None else dims, keepdim, dtype=dtype,
                           out=out)
    return vector_norm(input, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


__all__ = ["vector_norm", "matrix_norm", "norm"]
TOPLEVEL = {}   # torch.norm is lamina/_ops/reduction.py's; its matrix orders come here
METHODS = {}
