"""linalg.matrix_exp, matrix_power, cross, diagonal, vander, cond, pinv, matrix_rank, tensorinv
and tensorsolve, and torch's trace, vander, cross and pinverse.

Matrix functions composed of lamina ops (matmul, elementwise arithmetic, reductions,
cat/index_select) and of the factorizations' public functions (inv, solve, eigh, eigvalsh, svd,
svdvals, the last two the svd family's, looked up in the linalg namespace at call time), so
autograd and vmap get their rules from those. The only data-dependent step is matrix_exp's choice
of degree and scaling per matrix, read from the 1-norms on the host (under vmap from the physical
batch's norms, one choice for all of it: see _matrix_exp_uniform).
"""

import math
import numbers
import operator
import warnings

import numpy as np

from .. import linalg as _linalg  # the package: its families' functions at call time
from .._core import dtype as _dt
from .._core._tensor import TensorBase as _TensorBase
from .._core._tensor import canonical_dim as _canonical_dim
from .._core._tensor import is_grad_enabled as _is_grad_enabled
from .._ops import blas as _blas
from .._ops import contraction as _contraction
from .._ops import creation as _creation
from .._ops import elementwise as _elementwise
from .._ops import indexing as _indexing
from .._ops import joining as _joining
from .._ops import reduction as _reduction
from .._ops import scans as _scans
from .._ops import shape as _shape
from .._ops._batching import physical as _physical
from .._ops._checks import broadcast_shape as _broadcast_shape
from .._ops._checks import check_tensor as _check_tensor
from .._ops._checks import not_implemented as _not_implemented
from .._ops._checks import torch_type_name as _torch_type_name
from .._ops.mutation import finish_out as _finish_out
from .._ops.primitive import LEVELS
from ._checks import check_is_matrix, check_square
from ._checks import finish_castable_out as _finish_castable_out
from ._lu import _raise_inv_info
from ._norms import matrix_norm

_LAPACK_DTYPES = (_dt.float32, _dt.float64, _dt.complex64, _dt.complex128)

# -- matrix_exp -----------------------------------------------------------------------------------

# Bader, Blanes, Casas 2019, "Computing the Matrix Exponential with an Optimized Taylor Polynomial
# Approximation" (Mathematics 7, 1174), as PyTorch implements it. T_m is the degree-m Taylor
# polynomial, evaluated with fewer products than Horner: T4 and T8 with 2 and 3 products (eqs 7
# and 10), T12 and T18 with 4 and 5 (eqs 11 and 16 with their tables of coefficients). THETAS[m]
# is the largest 1-norm for which T_m's truncation error stays below the unit roundoff of the
# precision; past the last one the matrix is scaled by 2^-s into range and T18 squared s times.
_DEGREES = (1, 2, 4, 8, 12, 18)
_THETAS = {
    _dt.float32: (1.192092800768788e-07, 5.978858893805233e-04, 5.116619363445086e-02,
                  5.800524627688768e-01, 1.461661507209034e+00, 3.010066362817634e+00),
    _dt.float64: (2.220446049250313e-16, 2.580956802971767e-08, 3.397168839976962e-04,
                  4.991228871115323e-02, 2.996158913811580e-01, 1.090863719290036e+00),
}

# T8 (eq 10): A4 = A2 (x1 A + x2 A2), A8 = (x3 A2 + A4)(x4 I + x5 A + x6 A2 + x7 A4),
# T8 = I + A + y2 A2 + A8. x7 carries x3^2 in its denominator, as the paper has it: PyTorch's
# x3^1 makes its T8 wrong from the A^5 term on (errors ~1e-10 at theta, pytorch#196592).
_SQRT177 = 0.1330413469565007072504e+2
_X3 = 2.0 / 3.0
_X1 = _X3 * ((1.0 + _SQRT177) / 88.0)
_X2 = _X3 * ((1.0 + _SQRT177) / 352.0)
_X4 = (-271.0 + 29.0 * _SQRT177) / (315.0 * _X3)
_X5 = (-11.0 + 11.0 * _SQRT177) / (1260.0 * _X3)
_X6 = (-99.0 + 11.0 * _SQRT177) / (5040.0 * _X3)
_X7 = (89.0 - _SQRT177) / (5040.0 * _X3 * _X3)
_Y2 = (857.0 - 58.0 * _SQRT177) / 630.0

# T12: B_i = sum_j B12[i][j] P_j over P = (I, A, A2, A3); A6 = B3 B3 + B2;
# T12 = B0 + (B1 + A6) A6.
_B12 = np.array([
    [9.0198e-16, 0.46932117595418237389, -0.20099424927047284052, -0.04623946134063071740],
    [5.31597895759871264183, 1.19926790417132231573, 0.01179296240992997031,
     0.01108844528519167989],
    [0.18188869982170434744, 0.05502798439925399070, 0.09351590770535414968,
     0.00610700528898058230],
    [-2.0861320e-13, -0.13181061013830184015, -0.02027855540589259079,
     -0.00675951846863086359],
])
# T18: B_i = sum_j B18[i][j] P_j over P = (I, A, A2, A3, A6); A9 = B0 B4 + B3;
# T18 = B1 + (B2 + A9) A9.
_B18 = np.array([
    [0.0, -1.00365581030144618291e-01, -8.02924648241156932449e-03,
     -8.92138498045729985177e-04, 0.0],
    [0.0, 3.97849749499645077844e-01, 1.36783778460411720168e+00,
     4.98289622525382669416e-01, -6.37898194594723280150e-04],
    [-1.09676396052962061844e+01, 1.68015813878906206114e+00, 5.71779846478865511061e-02,
     -6.98210122488052056106e-03, 3.34975017086070470649e-05],
    [-9.04316832390810593223e-02, -6.76404519071381882256e-02, 6.75961301770459654925e-02,
     2.95552570429315521194e-02, -1.39180257516060693404e-05],
    [0.0, 0.0, -9.23364619367118555360e-02, -1.69364939002081722752e-02,
     -1.40086798182036094347e-05],
])


def _eye_like(A):
    return _creation.eye(A.shape[-1], dtype=A.dtype)


def _combinations(coefficients, powers):
    """B_i = sum_j coefficients[i][j] powers[j] for every i, as one product: the powers stacked
    (k, n, n) -> (p, k, n, n), contracted with the (q, p) coefficients in the input's dtype."""
    c = _creation.tensor(coefficients, dtype=powers[0].dtype)
    P = _joining.stack([p.expand(powers[1].shape) for p in powers])
    return _contraction.tensordot(c, P, dims=1).unbind(0)


def _t1(A):
    return A + _eye_like(A)


def _t2(A):
    return _eye_like(A) + A + (A @ A) * 0.5


def _t4(A):
    eye, A2 = _eye_like(A), A @ A
    return eye + A + A2 @ (eye * 0.5 + A * (1 / 6) + A2 * (1 / 24))


def _t8(A):
    eye, A2 = _eye_like(A), A @ A
    A4 = A2 @ (A * _X1 + A2 * _X2)
    A8 = (A2 * _X3 + A4) @ (eye * _X4 + A * _X5 + A2 * _X6 + A4 * _X7)
    return eye + A + A2 * _Y2 + A8


def _t12(A):
    A2 = A @ A
    B0, B1, B2, B3 = _combinations(_B12, (_eye_like(A), A, A2, A2 @ A))
    A6 = _blas.baddbmm(B2, B3, B3)
    return _blas.baddbmm(B0, B1 + A6, A6)


def _t18(A):
    A2 = A @ A
    A3 = A2 @ A
    B0, B1, B2, B3, B4 = _combinations(_B18, (_eye_like(A), A, A2, A3, A3 @ A3))
    A9 = _blas.baddbmm(B3, B0, B4)
    return _blas.baddbmm(B1, B2 + A9, A9)


_TAYLOR = (_t1, _t2, _t4, _t8, _t12)


def _t18_scaled(A, s, real):
    """exp(A) = T18(A / 2^s)^(2^s) for matrices sorted by s, most squarings first: each squaring
    step multiplies the prefix that still needs it, so no matrix is squared more than its s.
    `real` is A's real dtype, that of the exact powers of two that scale it."""
    scale = _creation.tensor(np.ldexp(1.0, -s)[:, None, None], dtype=real)
    X = _t18(A * scale)
    done = []
    for k in range(int(s[0]) if s.size else 0):
        count = int(np.count_nonzero(s > k))
        if count < X.shape[0]:
            done.append(X[count:])
            X = X[:count]
        X = X @ X
    return _joining.cat([X] + done[::-1]) if done else X


def _matrix_exp_batch(A, real):
    """exp of a (k, n, n) batch, n >= 2: each matrix gets the lowest degree whose theta bounds
    its 1-norm, or T18 with scaling and squaring; matrices sharing a method run as one batch."""
    thetas = _THETAS[real]
    norm_t = matrix_norm(A.detach(), 1)
    norm = _physical(norm_t)._data.astype(np.float64)
    if norm.shape != tuple(norm_t.shape):
        return _matrix_exp_uniform(A, norm_t, norm, real)
    finite = np.isfinite(norm)
    # Method 0..4: T1..T12; 5: scaled T18; -1: non-finite input, whose exponential is NaN.
    method = np.where(finite, np.searchsorted(thetas[:-1], norm, side="left"), -1)
    s = np.zeros(norm.shape, np.int64)
    big = finite & (method == len(_TAYLOR))
    s[big] = np.maximum(0, np.ceil(np.log2(norm[big] / thetas[-1])))
    order = np.lexsort((-s, method))  # by method, then most squarings first
    sorted_order = bool(np.all(order == np.arange(order.size)))
    if not sorted_order:
        A = A.index_select(0, _creation.tensor(order))
        method, s = method[order], s[order]
    parts = []
    for m in np.unique(method):
        lo, hi = np.searchsorted(method, m, side="left"), np.searchsorted(method, m, side="right")
        sub = A[lo:hi]
        if m < 0:
            parts.append(_creation.full_like(sub, math.nan))
        elif m < len(_TAYLOR):
            parts.append(_TAYLOR[m](sub))
        else:
            parts.append(_t18_scaled(sub, s[lo:hi], real))
    X = _joining.cat(parts) if len(parts) > 1 else parts[0]
    if not sorted_order:
        X = X.index_select(0, _creation.tensor(np.argsort(order)))
    return X


def _matrix_exp_uniform(A, norm_t, norm, real):
    """exp of a batch under vmap, where the 1-norms read are those of the whole physical batch
    (`norm`), not one per logical matrix: one method serves every matrix, the one the largest
    finite norm needs (a higher degree or more squarings than a matrix needs keeps it accurate
    to rounding), so the batch stays one chain of kernel calls. Matrices with a non-finite norm
    get NaN, as in the per-matrix path."""
    thetas = _THETAS[real]
    finite = np.isfinite(norm)
    top = norm[finite].max() if finite.any() else 0.0
    method = int(np.searchsorted(thetas[:-1], top, side="left"))
    if method < len(_TAYLOR):
        X = _TAYLOR[method](A)
    else:
        s = max(0, math.ceil(math.log2(top / thetas[-1])))
        X = _t18_scaled(A, np.full(A.shape[0], s, np.int64), real)
    if not finite.all():
        ok = (norm_t < math.inf).unsqueeze(-1).unsqueeze(-1)    # a norm is >= 0 or NaN
        X = _indexing.where(ok, X, _creation.full_like(X, math.nan))
    return X


# Bytes of input per piece of a large batch: the Pade chain allocates about 12 batch-sized
# temporaries, so pieces of 2 MiB keep the peak near the result's size (issue 10's memory budget:
# 3x the input), where the whole batch at once took 12x. Results are written into one output
# unless autograd or a transform needs the pieces joined.
_EXP_PIECE_BYTES = 2 << 20


def matrix_exp(input):
    A = _check_tensor("linalg_matrix_exp", input)
    check_square("linalg.matrix_exp", A)
    if A.dtype.category < _dt.FLOAT:
        raise RuntimeError("linalg.matrix_exp: Expected a floating point or complex tensor as "
                           f"input. Got {_torch_type_name(A.dtype)}")
    n = A.shape[-1]
    if A.numel() == 0:
        return A.clone()
    if n == 1:
        return A.exp()
    # float16 computes in float32 and rounds once (PyTorch's float16 matrix_exp overflows).
    work = A.to(_dt.float32) if A.dtype is _dt.float16 else A
    real = _dt.float64 if work.dtype in (_dt.float64, _dt.complex128) else _dt.float32
    flat = work.reshape(-1, n, n)
    piece = max(1, _EXP_PIECE_BYTES // (n * n * flat.element_size()))
    if flat.shape[0] <= piece:
        X = _matrix_exp_batch(flat, real)
    elif LEVELS or (flat.requires_grad and _is_grad_enabled()):
        X = _joining.cat([_matrix_exp_batch(flat[lo:lo + piece], real)
                          for lo in range(0, flat.shape[0], piece)])
    else:
        X = _creation.empty_like(flat)
        for lo in range(0, flat.shape[0], piece):
            X[lo:lo + piece] = _matrix_exp_batch(flat[lo:lo + piece], real)
    return X.reshape(A.shape).to(A.dtype)


# -- matrix_power ---------------------------------------------------------------------------------

def matrix_power(A, n, *, out=None):
    return _matrix_power("linalg_matrix_power", A, n, out)


def _torch_matrix_power(input, n, *, out=None):
    """torch.matrix_power and Tensor.matrix_power: linalg.matrix_power under its own name."""
    return _matrix_power("matrix_power", input, n, out)


def _matrix_power(name, A, n, out):
    _check_tensor(name, A)
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"{name}(): argument 'n' (position 2) must be int, not "
                        f"{type(n).__name__}")
    n = operator.index(n)
    check_square("linalg.matrix_power", A)
    if n == 0:
        result = _eye_like(A).expand(A.shape).contiguous()
        if A.requires_grad:
            # PyTorch's result (A's copy overwritten by I) stays in A's graph with a zero
            # gradient: I picked over A everywhere.
            result = _indexing.where(_creation.tensor(False), A, result)
    else:
        if n < 0:
            A, n = _linalg.inv(A), -n
        # Binary powering: A^n as the product of A^(2^i) over the bits of n.
        result, square = None, A
        while True:
            if n & 1:
                result = square if result is None else result @ square
            n >>= 1
            if not n:
                break
            square = square @ square
        # A fresh contiguous tensor, as PyTorch returns, also for n = 1.
        result = result.contiguous()
        result = result.clone() if result is A else result
    return _finish_out(result, out)


# -- cross ----------------------------------------------------------------------------------------

def cross(input, other, *, dim=-1, out=None):
    _check_tensor("linalg_cross", input)
    _check_tensor("linalg_cross", other, "other", 2)
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _canonical_dim(dim, input.ndim) if input.ndim else _no_dims(dim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    _broadcast_shape(tuple(input.shape), tuple(other.shape))
    for x in (input, other):
        if x.dtype is _dt.bool:
            raise _not_implemented("cross", x.dtype)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {_torch_type_name(input.dtype)} but found "
                           f"{_torch_type_name(other.dtype)}")
    a0, a1, a2 = input.unbind(d)
    b0, b1, b2 = other.unbind(d)
    result = _joining.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)
    return _finish_out(result, out)


def _no_dims(dim):
    raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")


def _torch_cross(input, other, dim=None, *, out=None):
    """torch.cross: without `dim`, the first dim of size 3 (deprecated, and warned about)."""
    if dim is None:
        warnings.warn("Using lamina.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use lamina.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        dim = next((i for i, size in enumerate(input.shape) if size == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return cross(input, other, dim=dim, out=out)


# -- diagonal, trace ------------------------------------------------------------------------------

def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """linalg.diagonal: torch.diagonal with the last two dims as the default (a view)."""
    return _shape.diagonal(A, offset, dim1, dim2)


def trace(input):
    _check_tensor("trace", input)
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype is _dt.bool:
        raise _not_implemented("trace", input.dtype)
    return _reduction.sum(_shape.diagonal(input))  # sum widens integers to int64, as trace does


# -- vander ---------------------------------------------------------------------------------------

def _powers(x, count, dtype):
    """x^0 .. x^(count-1) along a new last dim, in `dtype`: a column of ones and a running
    product (PyTorch's construction, so the rounding of each power matches a cumprod's)."""
    ones = _creation.ones(*x.shape, 1, dtype=dtype)
    if count <= 1:
        return ones[..., :count]
    x = x.to(dtype).unsqueeze(-1).expand(*x.shape, count - 1)
    return _joining.cat([ones, _scans.cumprod(x, -1)], -1)


def vander(x, *, N=None):
    _check_tensor("linalg_vander", x, "x")
    d = x.dtype
    if d.category == _dt.BOOL or d is _dt.float16:
        raise RuntimeError("linalg.vander supports floating point, complex, and integer "
                           f"tensors, but got {_torch_type_name(d)}")
    x = x.unsqueeze(-1) if x.ndim == 0 else x
    n = x.shape[-1] if N is None else operator.index(N)
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    return _powers(x, n, _dt.promote_types(d, _dt.int64))


def _torch_vander(x, N=None, increasing=False):
    """torch.vander: 1-D input, decreasing powers by default, N = 0 and 1 allowed."""
    _check_tensor("vander", x, "x")
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else operator.index(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    result = _powers(x, n, _dt.promote_types(x.dtype, _dt.int64))
    return result if increasing else _shape.flip(result, (1,))


# -- cond -----------------------------------------------------------------------------------------

def _cond_order(p):
    """A numeric order as a Python int or float, refused as PyTorch's Scalar argument refuses it."""
    if isinstance(p, _TensorBase) and p.ndim == 0:
        p = p.item()
    if isinstance(p, complex):
        if p.imag:
            raise RuntimeError("value cannot be converted to type double without overflow")
        p = p.real
    if not isinstance(p, numbers.Real):
        raise TypeError(f"linalg_cond() received an invalid combination of arguments - got "
                        f"(Tensor, {type(p).__name__}), but expected one of:\n"
                        " * (Tensor input, Number p = None, *, Tensor out = None)\n"
                        " * (Tensor input, str p, *, Tensor out = None)\n")
    return int(p) if isinstance(p, numbers.Integral) else float(p)


def cond(input, p=None, *, out=None):
    A = _check_tensor("linalg_cond", input)
    # PyTorch's order: a string order checks squareness first, a numeric one the rank and the
    # order first, then takes empty input (cond 0, NumPy defining none) before anything else.
    if isinstance(p, str):
        check_square(f"linalg.cond(ord={p})", A)
    elif A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    else:
        p = 2 if p is None else _cond_order(p)
    if p not in ("fro", "nuc") and (isinstance(p, str) or abs(p) not in (1, 2, math.inf)):
        raise RuntimeError(f"linalg.cond got an invalid norm type: "
                           f"{p if isinstance(p, str) else format(p, 'g')}")
    if A.numel() == 0:
        result = _creation.zeros(A.shape[:-2], dtype=A.dtype.to_real())
    elif p == "nuc" or (not isinstance(p, str) and abs(p) == 2):
        # kappa = sigma_max / sigma_min (or its inverse for -2); the nuclear norms of A and of
        # inv(A) are sum(sigma) and sum(1 / sigma), which also holds for singular A (inf) and
        # needs no inverse.
        s = _linalg.svdvals(A)
        if p == "nuc":
            result = s.sum(-1) * s.reciprocal().sum(-1)
        else:
            big, small = s[..., 0], s[..., -1]
            result = big / small if p > 0 else small / big
    else:
        if not isinstance(p, str):
            check_square(f"linalg.cond(ord={p if isinstance(p, int) else format(p, 'f')})", A)
        # norm(A) * norm(inv(A)); a singular matrix's inverse is taken as all inf, and the NaN
        # of 0 * inf (or of NaN input) reads as inf, as in PyTorch (and NumPy).
        inverse, info = _linalg.inv_ex(A)
        inverse = inverse.masked_fill((info > 0).unsqueeze(-1).unsqueeze(-1), math.inf)
        result = matrix_norm(A, p) * matrix_norm(inverse, p)
        result = result.nan_to_num(math.inf, math.inf, -math.inf)
    return _finish_castable_out("linalg.cond", result, out)


# -- tolerances of pinv and matrix_rank -----------------------------------------------------------

def _epsilon(A):
    real = A.dtype.to_real()
    if real not in (_dt.float32, _dt.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")
    return float(np.finfo(real.np).eps)


def _number_tolerances(A, atol, rtol):
    """PyTorch's get_atol_rtol over Python numbers: atol 0 by default; rtol, when not given,
    eps * max(m, n), or 0 when atol > 0."""
    atol = 0.0 if atol is None else float(atol)
    if rtol is None:
        size = max(A.shape[_canonical_dim(-1, A.ndim)], A.shape[_canonical_dim(-2, A.ndim)])
        default = _epsilon(A) * size    # computed (and refusing integers) even when unused
        rtol = 0.0 if atol > 0 else default
    return _tolerance_tensor(atol), _tolerance_tensor(rtol)


def _tensor_tolerances(name, A, atol, rtol):
    """get_atol_rtol when either tolerance is a Tensor: the same rule, elementwise."""
    for tol, arg in ((atol, "atol"), (rtol, "rtol")):
        if isinstance(tol, _TensorBase) and tol.dtype.category == _dt.COMPLEX:
            raise RuntimeError(f"{name}: {arg} tensor of complex type is not supported. Got "
                               f"{_torch_type_name(tol.dtype)}")
    if rtol is None:
        default = _epsilon(A) * max(A.shape[-1], A.shape[-2])
        rtol = default if atol is None else _indexing.where(
            _tolerance_tensor(atol) > 0, 0.0, _tolerance_tensor(default))
    return _tolerance_tensor(0.0 if atol is None else atol), _tolerance_tensor(rtol)


def _tolerance_tensor(tol):
    return tol if isinstance(tol, _TensorBase) else _creation.tensor(tol, dtype=_dt.float64)


def _threshold(atol, rtol, largest):
    """max(atol, rtol * sigma_max) per matrix, shaped (*, 1) against the (*, k) values."""
    return _elementwise.maximum(atol.unsqueeze(-1), rtol.unsqueeze(-1) * largest)


# -- pinv -----------------------------------------------------------------------------------------

def _pinv_tolerances(name, A, rcond, atol, rtol):
    """PyTorch's four pinv overloads: rcond (positional) is rtol with atol 0; numbers alone
    take the float overload, which sizes the default rtol before checking the input."""
    def check():
        if A.ndim < 2 or A.dtype not in _LAPACK_DTYPES:
            raise RuntimeError(f"{name}({_torch_type_name(A.dtype)}{{{list(A.shape)}}}): "
                               "expected a tensor with 2 or more dimensions of float, double, "
                               "cfloat or cdouble types")
    if rcond is not None:
        if atol is not None or rtol is not None:
            raise TypeError("linalg_pinv() received an invalid combination of arguments: rcond "
                            "cannot be given with atol or rtol")
        if isinstance(rcond, _TensorBase) and rcond.dtype.category == _dt.COMPLEX:
            raise RuntimeError("torch.linalg.pinv: rcond tensor of complex type is not "
                               f"supported. Got {_torch_type_name(rcond.dtype)}")
        check()
        return _tolerance_tensor(0.0), _tolerance_tensor(
            rcond if isinstance(rcond, _TensorBase) else float(rcond))
    if (atol is not None or rtol is not None) and not any(
            isinstance(t, _TensorBase) for t in (atol, rtol)):
        tolerances = _number_tolerances(A, atol, rtol)
        check()
        return tolerances
    check()
    return _tensor_tolerances("torch.linalg.pinv", A, atol, rtol)


def pinv(input, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):
    A = _check_tensor("linalg_pinv", input)
    atol, rtol = _pinv_tolerances("linalg.pinv", A, rcond, atol, rtol)
    return _finish_castable_out("linalg.pinv", _pinv(A, atol, rtol, hermitian), out)


def _pinv(A, atol, rtol, hermitian):
    """A+ = V diag(1/sigma) U^H over the singular values above the threshold (PyTorch's
    linalg_pinv); a Hermitian A uses its eigendecomposition, |lambda| being its singular values."""
    m, n = A.shape[-2:]
    if A.numel() == 0:
        return _creation.zeros(*A.shape[:-2], n, m, dtype=A.dtype)
    if hermitian:
        w, U = _linalg.eigh(A)
        V, size = U, w.abs()
        largest = size.amax(-1, keepdim=True)
    else:
        U, w, Vh = _linalg.svd(A, full_matrices=False)
        V, size = Vh.mH, w
        largest = w[..., :1]   # singular values descend
    keep = size > _threshold(atol, rtol, largest)
    inverse = _indexing.where(keep, w.reciprocal(), 0.0).to(A.dtype)
    return (V * inverse.unsqueeze(-2)) @ U.mH


def pinverse(input, rcond=1e-15):
    """torch.pinverse / Tensor.pinverse: linalg.pinv with NumPy's rcond (a relative tolerance)."""
    A = _check_tensor("pinverse", input)
    atol, rtol = _pinv_tolerances("linalg.pinv", A, rcond, None, None)
    return _pinv(A, atol, rtol, False)


# -- matrix_rank ----------------------------------------------------------------------------------

def matrix_rank(input, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    name = "torch.linalg.matrix_rank"
    A = _check_tensor("linalg_matrix_rank", input)
    check_is_matrix(name, A, "input")
    if tol is not None:
        # The deprecated positional tol is an absolute tolerance alone.
        if atol is not None or rtol is not None:
            raise TypeError("linalg_matrix_rank() received an invalid combination of arguments: "
                            "tol cannot be given with atol or rtol")
        atol, rtol = tol, 0.0
    atol, rtol = _tensor_tolerances(name, A, atol, rtol)
    if A.numel() == 0:
        result = _creation.zeros(A.shape[:-2], dtype=_dt.int64)
    else:
        # The rank counts the singular values (|eigenvalues| when Hermitian) above the threshold.
        if hermitian:
            s = _linalg.eigvalsh(A).abs()
            largest = s.amax(-1, keepdim=True)
        else:
            s = _linalg.svdvals(A)
            largest = s[..., :1]
        result = (s > _threshold(atol, rtol, largest)).sum(-1)
    return _finish_castable_out(name, result, out)


# -- tensorinv, tensorsolve -----------------------------------------------------------------------

def tensorinv(input, ind=2, *, out=None):
    A = _check_tensor("linalg_tensorinv", input)
    if isinstance(ind, bool) or not hasattr(ind, "__index__"):
        raise TypeError(f"linalg_tensorinv(): argument 'ind' (position 2) must be int, not "
                        f"{type(ind).__name__}")
    ind = operator.index(ind)
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    if ind > A.ndim:
        raise RuntimeError(f"ArrayRef: invalid slice, N = {ind}; size = {A.ndim}")
    # A, read as a (prod(shape[:ind]), prod(shape[ind:])) matrix, must be square; its inverse,
    # read back with the two groups of dims swapped, is the tensor inverse.
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    n = math.prod(cols)
    if math.prod(rows) != n:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {n} != {math.prod(rows)}")
    inverse, info = _linalg.inv_ex(A.reshape(n, n))
    _raise_inv_info("inv", info)
    return _finish_castable_out("tensorinv", inverse.reshape(cols + rows), out)


def tensorsolve(input, other, dims=None, *, out=None):
    A = _check_tensor("linalg_tensorsolve", input)
    B = _check_tensor("linalg_tensorsolve", other, "other", 2)
    if dims is not None:
        if not isinstance(dims, (tuple, list)):
            raise TypeError(f"linalg_tensorsolve(): argument 'dims' (position 3) must be tuple "
                            f"of ints, not {type(dims).__name__}")
        # The dims named go last, where the unknown's dims are.
        A = _shape.movedim(A, tuple(dims), tuple(range(A.ndim - len(dims), A.ndim)))
    if B.ndim > A.ndim:
        raise RuntimeError("cannot create std::vector larger than max_size()")
    # A's leading B.ndim dims meet B; the rest are X's: solve A (as a square matrix) X = B.
    shape = tuple(A.shape[B.ndim:])
    n = math.prod(shape)
    if n != B.numel():
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) "
                           f"== prod(self.shape[:other.ndim]), but got {n} != {B.numel()}")
    X = _linalg.solve(A.reshape(n, n), B.reshape(-1))
    return _finish_castable_out("tensorsolve", X.reshape(shape), out)


__all__ = ["cross", "diagonal", "matrix_exp", "matrix_power", "vander", "cond", "pinv",
           "matrix_rank", "tensorinv", "tensorsolve"]
# torch.cond is control flow, not a condition number, and torch.matrix_rank only raises that it
# was removed: neither is installed.
TOPLEVEL = {"matrix_exp": matrix_exp, "matrix_power": _torch_matrix_power, "trace": trace,
            "vander": _torch_vander, "cross": _torch_cross, "pinverse": pinverse}
METHODS = {"matrix_exp": matrix_exp, "matrix_power": _torch_matrix_power, "trace": trace,
           "cross": _torch_cross, "pinverse": pinverse}
