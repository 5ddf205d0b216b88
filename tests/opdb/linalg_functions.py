"""Op table entries for lamina/linalg/_functions.py: linalg.matrix_exp, matrix_power, cross,
diagonal, vander, cond, pinv, matrix_rank, tensorinv and tensorsolve, and the top-level
matrix_exp, matrix_power, trace, vander, cross and pinverse.

References are SciPy's expm and NumPy's matrix_power, cross, diagonal, vander, trace, cond,
tensorinv and tensorsolve, computed in float64/complex128 (int64 for integers) and cast to
PyTorch's result dtype; pinv and matrix_rank apply PyTorch's tolerance rule (max(atol, rtol *
sigma_max), which np.linalg.pinv and matrix_rank have no atol for) to NumPy's svd and eigh.
matrix_exp samples span 1-norms from 1e-9 to ~30 so every Taylor degree and the
scaling-and-squaring path is taken; matrix_power's negative powers need linalg.inv (the lu
family): they appear once lamina has it. cond's 2, -2 and 'nuc' orders and the non-Hermitian
pinv, pinverse and matrix_rank need linalg.svd / svdvals (the svd family): those samples appear
once lamina.linalg has them. Rank-deficient samples have singular values far from the threshold
(at least 2x), so float32 rounding cannot move one across it.
"""

import math
import warnings

import numpy as np
import scipy.linalg

import lamina as lm
from opdb import (
    COMPLEX,
    FLOATING,
    ErrorInput,
    OpInfo,
    Sample,
    make_array,
)
from opdb.linalg_eigh import hermitian_for_derivatives

FLOAT_COMPLEX = FLOATING + COMPLEX
INTS = ("uint8", "int32", "int64")
TOL = {"float32": (1e-4, 1e-5), "complex64": (1e-4, 1e-5), "float16": (1e-2, 1e-2)}
# A condition number carries the relative error of the inverse it is computed from: ~kappa eps.
# pinv's kept singular values reach 0.01 against a largest of 8: its float32 error is ~800 eps.
PINV_TOL = {"float32": (1e-3, 1e-3), "complex64": (1e-3, 1e-3), "float64": (1e-9, 1e-10),
            "complex128": (1e-9, 1e-10)}
COND_TOL = {"float32": (1e-4, 1e-5), "complex64": (1e-4, 1e-5), "float64": (1e-9, 1e-12),
            "complex128": (1e-9, 1e-12)}


def _wide(x):
    return x.astype({"b": np.int64, "u": np.int64, "i": np.int64, "f": np.float64,
                     "c": np.complex128}[x.dtype.kind])


def _err(args, exc, match, name, kwargs=None):
    return ErrorInput(Sample(args, kwargs or {}, name), exc, match)


# -- matrix_exp -----------------------------------------------------------------------------------

def _matrix_exp_ref(a):
    if a.size == 0:
        return a.copy()
    return scipy.linalg.expm(_wide(a)).astype(a.dtype)


def _scaled(shape, dtype, rng, norm):
    """A random matrix batch with each matrix's 1-norm equal to `norm`."""
    a = make_array(shape, dtype, rng).astype(_wide(np.zeros(0, dtype)).dtype)
    a /= np.abs(a).sum(-2).max(-1)[..., None, None]
    return (a * norm).astype(dtype)


def _matrix_exp_samples(dtype, rng):
    single = dtype in ("float32", "complex64")
    for norm in (1e-9, 1e-6, 1e-3, 0.03, 0.2, 0.8, 2.0) + (() if single else (8.0,)):
        yield Sample((_scaled((3, 4, 4), dtype, rng, norm),), name=f"norm{norm:g}")
    for n in (1, 2, 3, 5, 6, 7, 8, 17, 40):
        yield Sample((_scaled((2, n, n), dtype, rng, 1.5),), name=f"n{n}")
    # One batch mixing every degree and different squaring counts, in shuffled order.
    norms = rng.permutation([1e-12, 1e-7, 1e-4, 0.02, 0.1, 0.5, 1.0, 2.5, 4.0, 0.04, 3e-5])
    mixed = np.concatenate([_scaled((1, 5, 5), dtype, rng, v) for v in norms])
    yield Sample((mixed.reshape(11, 5, 5),), name="mixed-degrees")
    yield Sample((_scaled((2, 3, 5, 5), dtype, rng, 1.0),), name="2-batch-dims")
    yield Sample((_scaled((6, 6), dtype, rng, 1.0),), name="single")
    yield Sample((make_array((0, 3, 3), dtype, rng),), name="empty-batch")
    yield Sample((make_array((2, 0, 0), dtype, rng),), name="0x0")


def _matrix_exp_alias_samples(dtype, rng):
    """torch.matrix_exp and Tensor.matrix_exp are linalg.matrix_exp: a few samples suffice."""
    yield Sample((_scaled((3, 4, 4), dtype, rng, 0.01),), name="small-norm")
    yield Sample((_scaled((2, 6, 6), dtype, rng, 2.0),), name="scaled")
    yield Sample((make_array((0, 3, 3), dtype, rng),), name="empty-batch")


def _matrix_exp_errors():
    a = np.ones((2, 3), np.float32)
    return [
        _err((np.ones((2, 2), np.int64),), RuntimeError, "linalg.matrix_exp: Expected a floating "
             "point or complex tensor as input. Got Long", "int"),
        _err((a,), RuntimeError, "linalg.matrix_exp: A must be batches of square matrices, but "
             "they are 2 by 3 matrices", "non-square"),
        _err((a[0],), RuntimeError, "linalg.matrix_exp: The input tensor A must have at least 2 "
             "dimensions.", "1d"),
    ]


# -- matrix_power ---------------------------------------------------------------------------------

def _matrix_power_ref(a, n):
    if a.dtype.kind == "b":
        return np.linalg.matrix_power(a.astype(np.int64), n).astype(bool)
    if n < 0 and a.size == 0:
        return a.copy()
    return np.linalg.matrix_power(_wide(a), n).astype(a.dtype)


def _matrix_power_samples(dtype, rng):
    exact = dtype in ("uint8", "int32", "int64", "bool")
    small = {"low": -2, "high": 3} if exact else {"low": -0.5, "high": 0.5}
    a = make_array((3, 4, 4), dtype, rng, **small)
    # bool has no product ("addmm_impl_cpu_" refuses it): only A^0 and A^1 exist.
    powers = (0, 1) if dtype == "bool" else (0, 1, 2, 3, 4, 5, 7, 8, 13)
    for n in powers:
        yield Sample((a, n), name=f"n{n}")
    for n in powers[-2:]:
        yield Sample((make_array((2, 3, 5, 5), dtype, rng, **small), n), name=f"2-batch-n{n}")
        yield Sample((make_array((17, 17), dtype, rng, **small), n), name=f"17x17-n{n}")
        yield Sample((make_array((0, 3, 3), dtype, rng), n), name=f"empty-batch-n{n}")
        yield Sample((make_array((2, 0, 0), dtype, rng), n), name=f"0x0-n{n}")
    if hasattr(lm.linalg, "inv") and not exact:
        spd = make_array((3, 4, 4), dtype, rng)
        spd = spd @ np.conj(np.swapaxes(spd, -1, -2)) + 4 * np.eye(4, dtype=spd.dtype)
        for n in (-1, -2, -5):
            yield Sample((spd, n), name=f"n{n}")


def _matrix_power_errors(name):
    def errors():
        a = np.ones((2, 3), np.float32)
        return [
            _err((a, 2), RuntimeError, "linalg.matrix_power: A must be batches of square "
                 "matrices, but they are 2 by 3 matrices", "non-square"),
            _err((a[0], 2), RuntimeError, "linalg.matrix_power: The input tensor A must have at "
                 "least 2 dimensions.", "1d"),
            _err((np.ones((3, 3), np.float32), 2.0), TypeError, rf"^{name}\(\): argument 'n' "
                 r"\(position 2\) must be int, not float", "n-float"),
            _err((np.ones((3, 3), np.float32), True), TypeError, "must be int, not bool",
                 "n-bool"),
            _err((np.ones((3, 3), bool), 2), NotImplementedError, "\"addmm_impl_cpu_\" not "
                 "implemented for 'Bool'", "bool"),
        ]
    return errors


# -- cross ----------------------------------------------------------------------------------------

def _cross_ref(a, b, dim=-1):
    out = np.cross(_wide(a), _wide(b), axis=dim)
    return out.astype(np.result_type(a, b))


def _cross_samples(dtype, rng):
    def arr(*shape):
        return make_array(shape, dtype, rng)
    yield Sample((arr(5, 3), arr(5, 3)), name="rows")
    yield Sample((arr(3), arr(3)), name="vectors")
    yield Sample((arr(3, 4), arr(3, 4)), {"dim": 0}, "dim0")
    yield Sample((arr(4, 1, 3), arr(1, 5, 3)), name="broadcast")
    yield Sample((arr(3, 1, 4), arr(3, 5, 1)), {"dim": 0}, "broadcast-dim0")
    yield Sample((arr(2, 3, 3), arr(2, 3, 3)), {"dim": -2}, "dim-2")
    yield Sample((arr(0, 3), arr(0, 3)), name="empty-batch")


def _cross_errors():
    a = np.ones((2, 3), np.float32)
    return [
        _err((a, np.ones((2, 2, 3), np.float32)), RuntimeError, "linalg.cross: inputs must have "
             "the same number of dimensions.", "ndim"),
        _err((np.ones((2, 2), np.float32), np.ones((2, 2), np.float32)), RuntimeError,
             "linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2", "size"),
        _err((np.ones((1, 3), np.float32), np.ones((3, 1), np.float32)), RuntimeError,
             "linalg.cross: inputs dimension 0 must have length 3. Got 1 and 3", "size-dim0",
             {"dim": 0}),
        _err((a, np.ones((4, 3), np.float32)), RuntimeError, r"The size of tensor a \(2\) must "
             r"match the size of tensor b \(4\) at non-singleton dimension 0", "broadcast"),
        _err((a, a.astype(np.float64)), RuntimeError, "expected scalar type Float but found "
             "Double", "dtype"),
        _err((a > 0, a), NotImplementedError, "\"cross\" not implemented for 'Bool'", "bool"),
        _err((a, a), IndexError, r"Dimension out of range \(expected to be in range of \[-2, 1\], "
             r"but got 2\)", "dim-range", {"dim": 2}),
        _err((np.ones((), np.float32), np.ones((), np.float32)), IndexError, "Dimension "
             "specified as -1 but tensor has no dimensions", "0d"),
    ]


def _torch_cross(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the deprecated default dim warns
        return lm.cross(*args, **kwargs)


def _torch_cross_samples(dtype, rng):
    def arr(*shape):
        return make_array(shape, dtype, rng)
    yield Sample((arr(5, 3), arr(5, 3)), {"dim": 1}, "rows")
    yield Sample((arr(2, 3, 3), arr(2, 3, 3)), {"dim": 1}, "dim1")
    yield Sample((arr(4, 1, 3), arr(1, 5, 3)), {"dim": -1}, "broadcast")


def _torch_cross_errors():
    a = np.ones((2, 2), np.float32)
    return [_err((a, a), RuntimeError, "no dimension of size 3 in input", "no-size-3")]


# -- diagonal, trace ------------------------------------------------------------------------------

def _diagonal_ref(a, offset=0, dim1=-2, dim2=-1):
    return np.diagonal(a, offset, dim1, dim2).copy()


def _diagonal_samples(dtype, rng):
    a = make_array((2, 3, 4), dtype, rng)
    yield Sample((a,), name="default")
    for offset in (-2, -1, 1, 3, 7):
        yield Sample((a,), {"offset": offset}, f"offset{offset}")
    yield Sample((a,), {"dim1": 0, "dim2": 2}, "dims02")
    yield Sample((a,), {"dim1": -1, "dim2": 0, "offset": 1}, "dims-10")
    yield Sample((make_array((4, 4), dtype, rng),), name="square")
    yield Sample((make_array((0, 3, 3), dtype, rng),), name="empty-batch")


def _diagonal_errors():
    return [
        _err((np.ones(3, np.float32),), IndexError, r"Dimension out of range \(expected to be in "
             r"range of \[-1, 0\], but got -2\)", "1d"),
        _err((np.ones((3, 3), np.float32),), RuntimeError, "diagonal dimensions cannot be "
             "identical 0, 0", "same-dims", {"dim1": 0, "dim2": 0}),
        _err((np.ones((3, 3), np.float32), 1), TypeError, "takes 1 positional argument",
             "positional-offset"),
    ]


def _trace_ref(a):
    wide = {"f": np.float64, "c": np.complex128}.get(a.dtype.kind, np.int64)
    return np.asarray(np.trace(a.astype(wide))).astype(a.dtype if a.dtype.kind in "fc"
                                                      else np.int64)


def _trace_samples(dtype, rng):
    for shape in ((3, 4), (4, 4), (5, 2), (1, 1), (0, 3), (40, 17)):
        yield Sample((make_array(shape, dtype, rng),), name="x".join(map(str, shape)))


def _trace_errors():
    return [
        _err((np.ones((2, 3, 4), np.float32),), RuntimeError, "trace: expected a matrix, but got "
             "tensor with dim 3", "3d"),
        _err((np.ones(3, np.float32),), RuntimeError, "expected a matrix, but got tensor with "
             "dim 1", "1d"),
        _err((np.ones((3, 3), bool),), NotImplementedError, "\"trace\" not implemented for "
             "'Bool'", "bool"),
    ]


# -- vander ---------------------------------------------------------------------------------------

def _vander_dtype(a):
    return np.int64 if a.dtype.kind in "biu" else a.dtype


def _linalg_vander_ref(x, N=None):
    x = np.atleast_1d(x)
    n = x.shape[-1] if N is None else N
    return (_wide(x)[..., None] ** np.arange(n)).astype(_vander_dtype(x))


def _linalg_vander_samples(dtype, rng):
    small = {"low": -2, "high": 3} if dtype not in FLOAT_COMPLEX else {}
    yield Sample((make_array((5,), dtype, rng, **small),), name="1d")
    yield Sample((make_array((4,), dtype, rng, **small),), {"N": 6}, "N6")
    yield Sample((make_array((4,), dtype, rng, **small),), {"N": 2}, "N2")
    yield Sample((make_array((2, 3, 4), dtype, rng, **small),), name="batched")
    yield Sample((np.asarray(make_array((), dtype, rng, **small)),), {"N": 3}, "0d")
    yield Sample((make_array((2, 0), dtype, rng),), {"N": 3}, "empty")


def _linalg_vander_errors():
    x = np.ones(3, np.float32)
    return [
        _err((x,), RuntimeError, r"N must be greater than 1\.", "N1", {"N": 1}),
        _err((x,), RuntimeError, r"N must be greater than 1\.", "N0", {"N": 0}),
        _err((np.ones((), np.float32),), RuntimeError, r"N must be greater than 1\.", "0d"),
        _err((x > 0,), RuntimeError, "linalg.vander supports floating point, complex, and "
             "integer tensors, but got Bool", "bool"),
        _err((x.astype(np.float16),), RuntimeError, "but got Half", "half"),
        _err((x, 3), TypeError, "takes 1 positional argument", "positional-N"),
    ]


def _vander_ref(x, N=None, increasing=False):
    n = x.shape[0] if N is None else N
    return np.vander(_wide(x), n, increasing=increasing).astype(
        np.float16 if x.dtype == np.float16 else _vander_dtype(x))


def _vander_samples(dtype, rng):
    small = {"low": -2, "high": 3} if dtype not in FLOAT_COMPLEX + ("float16",) else {}
    x = make_array((5,), dtype, rng, **small)
    yield Sample((x,), name="default")
    yield Sample((x,), {"increasing": True}, "increasing")
    for n in (0, 1, 2, 7):
        yield Sample((x, n), name=f"N{n}")
        yield Sample((x, n, True), name=f"N{n}-increasing")
    yield Sample((make_array((0,), dtype, rng),), name="empty")


def _vander_errors():
    return [
        _err((np.ones((2, 3), np.float32),), RuntimeError, r"x must be a one-dimensional "
             r"tensor\.", "2d"),
        _err((np.ones(3, np.float32), -1), RuntimeError, r"N must be non-negative\.", "N-neg"),
    ]


# -- cond -----------------------------------------------------------------------------------------

def _has_svd():
    return hasattr(lm.linalg, "svd") and hasattr(lm.linalg, "svdvals")


def _well(shape, dtype, rng):
    """Square matrices X + n I (X in [-1, 1)): condition numbers of a few units."""
    n = shape[-1]
    return (make_array(shape, dtype, rng, low=-1, high=1) + n * np.eye(n)).astype(dtype)


def _cond_ref(a, p=None):
    if a.size == 0:
        return np.zeros(a.shape[:-2], np.finfo(a.dtype).dtype)
    return np.asarray(np.linalg.cond(_wide(a), p)).astype(np.finfo(a.dtype).dtype)


_COND_SHAPES = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7), (8, 8), (17, 17),
                (3, 4, 4), (5, 8, 8), (2, 3, 5, 5)]


def _cond_samples(dtype, rng):
    inf = float("inf")
    orders = (None, "fro", 1, -1, inf, -inf) + ((2, -2, "nuc") if _has_svd() else ())
    for p in orders:
        given = () if p is None else (p,)
        for shape in _COND_SHAPES if _has_svd() or p is not None else ():
            yield Sample((_well(shape, dtype, rng),) + given,
                         name=f"p{p}-{'x'.join(map(str, shape))}")
        yield Sample((make_array((0, 3, 3), dtype, rng),) + given, name=f"p{p}-empty-batch")
        yield Sample((make_array((2, 0, 0), dtype, rng),) + given, name=f"p{p}-0x0")
        if p not in (None, 2, -2, "nuc"):
            # Exactly singular matrices (a zero pivot in LU): inf for the inverse-based orders.
            singular = _well((3, 3, 3), dtype, rng)
            singular[1] = 0
            singular[2, 1] = 0
            yield Sample((singular, p), name=f"p{p}-singular")
    if _has_svd():
        for shape in ((3, 5), (2, 5, 3), (0, 2, 3)):
            yield Sample((make_array(shape, dtype, rng),), name=f"rect-{'x'.join(map(str, shape))}")
            yield Sample((make_array(shape, dtype, rng), -2), name=f"rect-m2-{shape}")


def _cond_errors():
    a, r = np.ones((3, 3), np.float32), np.ones((3, 4), np.float32)
    return [
        _err((a[0],), RuntimeError, r"^linalg.cond: The input tensor must have at least 2 "
             r"dimensions\.", "1d"),
        _err((a[0], "fro"), RuntimeError, r"^linalg.cond\(ord=fro\): The input tensor A must have "
             r"at least 2 dimensions\.", "1d-fro"),
        _err((r, 1), RuntimeError, r"^linalg.cond\(ord=1\): A must be batches of square matrices, "
             "but they are 3 by 4 matrices", "rect-1"),
        _err((r, 1.0), RuntimeError, r"^linalg.cond\(ord=1.000000\): A must be batches",
             "rect-1.0"),
        _err((r, -float("inf")), RuntimeError, r"^linalg.cond\(ord=-inf\): A must be batches",
             "rect-minf"),
        _err((r, "nuc"), RuntimeError, r"^linalg.cond\(ord=nuc\): A must be batches", "rect-nuc"),
        _err((a, "abc"), RuntimeError, "^linalg.cond got an invalid norm type: abc$", "str"),
        _err((a, 3), RuntimeError, "^linalg.cond got an invalid norm type: 3$", "3"),
        _err((a, 1.5), RuntimeError, r"^linalg.cond got an invalid norm type: 1\.5$", "1.5"),
        _err((a, 0), RuntimeError, "^linalg.cond got an invalid norm type: 0$", "0"),
        _err((a, 1 + 2j), RuntimeError, "value cannot be converted to type double", "complex-p"),
        _err((a, [1]), TypeError, r"^linalg_cond\(\) received an invalid combination", "list-p"),
        _err((a.astype(np.int64), 1), RuntimeError, "^linalg.inv: Expected a floating point or "
             "complex tensor as input. Got Long", "int"),
        _err((a.astype(np.float16), "fro"), RuntimeError, "^linalg.inv: Low precision dtypes not "
             "supported. Got Half", "half"),
        _err((a, 1), RuntimeError, "^linalg.cond: Expected result to be safely castable from "
             "Float dtype, but got result with dtype Long", "out-long",
             {"out": lm.empty(0, dtype=lm.int64)}),
    ]


# -- pinv, pinverse, matrix_rank ------------------------------------------------------------------

def _ranked(shape, rank, dtype, rng, values=None):
    """(*, m, n) matrices U diag(s) V^H of the given rank, s in [1, 4) (or `values`)."""
    *batch, m, n = shape
    wide = _wide(np.zeros(0, dtype)).dtype
    U = np.linalg.qr(make_array((*batch, m, m), dtype, rng).astype(wide))[0][..., :rank]
    V = np.linalg.qr(make_array((*batch, n, n), dtype, rng).astype(wide))[0][..., :rank]
    s = rng.uniform(1, 4, (*batch, rank)) if values is None else np.broadcast_to(
        values, (*batch, rank))
    return ((U * s[..., None, :]) @ np.conj(np.swapaxes(V, -1, -2))).astype(dtype)


def _hermitian(shape, dtype, rng, values):
    """(*, n, n) exactly Hermitian Q diag(values) Q^H: eigenvalues of either sign, or zero."""
    wide = _wide(np.zeros(0, dtype)).dtype
    Q = np.linalg.qr(make_array(shape, dtype, rng).astype(wide))[0]
    h = (Q * np.asarray(values)[..., None, :]) @ np.conj(np.swapaxes(Q, -1, -2))
    return ((h + np.conj(np.swapaxes(h, -1, -2))) / 2).astype(dtype)


# Five singular values, and atol / rtol choices whose thresholds (max(atol, rtol * 8)) keep
# different counts of them, each at least 2x away from every value (and the kept ones at most
# 160 apart, so float32 pinv stays within PINV_TOL). PyTorch's default rtol (eps * max(m, n))
# meets the spectrum with its zero replaced by 0.05: a computed "zero" is ~eps * |A|, which that
# threshold cannot separate reliably.
SPECTRUM = np.array([8.0, 2.0, 0.5, 0.1, 0.0])
TOLERANCES = [{}, {"atol": 0.25}, {"atol": 0.04}, {"rtol": 0.125}, {"atol": 0.25, "rtol": 0.01},
              {"atol": 0.05, "rtol": 0.125}, {"atol": 0.0}, {"rtol": 0.0, "atol": 4.0}]


def _spectrum_for(kwargs, signs=1.0):
    default = "rtol" not in kwargs and not kwargs.get("atol", 0.0) > 0
    return signs * (np.r_[SPECTRUM[:-1], 0.05] if default else SPECTRUM)


def _tensor_kwargs(fn):
    """The op with array keyword arguments (atol, rtol) as tensors, as the harness does for
    positional ones."""
    def op(*args, **kwargs):
        return fn(*args, **{k: lm.from_numpy(v) if isinstance(v, np.ndarray) else v
                            for k, v in kwargs.items()})
    return op


def _threshold_ref(a, largest, atol=None, rtol=None):
    """max(atol, rtol * largest) as PyTorch's get_atol_rtol defines the two."""
    atol_ = np.asarray(0.0 if atol is None else atol, np.float64)
    if rtol is None:
        default = np.finfo(a.dtype).eps * max(a.shape[-2:])
        rtol = default if atol is None else np.where(atol_ > 0, 0.0, default)
    return np.maximum(atol_[..., None], np.asarray(rtol, np.float64)[..., None] * largest)


def _spectrum(a, hermitian):
    """(values, their magnitudes, the largest magnitude, U, V) from NumPy's eigh or svd."""
    if hermitian:
        w, U = np.linalg.eigh(_wide(a))
        return w, np.abs(w), np.abs(w).max(-1, keepdims=True), U, U
    U, s, Vh = np.linalg.svd(_wide(a), full_matrices=False)
    return s, s, s[..., :1], U, np.conj(np.swapaxes(Vh, -1, -2))


def _pinv_ref(a, rcond=None, hermitian=False, *, atol=None, rtol=None):
    if rcond is not None:
        atol, rtol = 0.0, rcond
    m, n = a.shape[-2:]
    if a.size == 0:
        return np.zeros(a.shape[:-2] + (n, m), a.dtype)
    w, size, largest, U, V = _spectrum(a, hermitian)
    with np.errstate(divide="ignore"):
        inverse = np.where(size > _threshold_ref(a, largest, atol, rtol), 1 / w, 0)
    return ((V * inverse[..., None, :]) @ np.conj(np.swapaxes(U, -1, -2))).astype(a.dtype)


def _pinv_samples(dtype, rng):
    signs = np.array([-1.0, 1, -1, 1, 1])
    for kwargs in TOLERANCES:
        tag = "-".join(f"{k}{v}" for k, v in kwargs.items()) or "default"
        h = _hermitian((3, 5, 5), dtype, rng, _spectrum_for(kwargs, signs))
        yield Sample((h,), {"hermitian": True, **kwargs}, f"hermitian-{tag}")
        if _has_svd():
            a = _ranked((3, 5, 7), 5, dtype, rng, _spectrum_for(kwargs))
            yield Sample((a,), kwargs, f"svd-{tag}")
    for n in range(1, 9):
        h = _hermitian((3, n, n), dtype, rng, rng.uniform(1, 4, n) * rng.choice([-1, 1], n))
        yield Sample((h,), {"hermitian": True}, f"hermitian-{n}x{n}")
    yield Sample((_hermitian((2, 3, 4, 4), dtype, rng, [8.0, -1, 0.1, 0]),),
                 {"hermitian": True, "atol": np.array([0.03, 0.3, 3.0])}, "hermitian-atol-tensor")
    yield Sample((_hermitian((17, 17), dtype, rng, np.r_[rng.uniform(1, 4, 14), 0, 0, 0]),),
                 {"hermitian": True, "rtol": 1e-3}, "hermitian-17x17-rank14")
    for shape in ((0, 3, 4), (2, 0, 3), (2, 0, 0), (3, 0)):
        yield Sample((make_array(shape, dtype, rng),), name=f"empty-{shape}")
        yield Sample((make_array(shape, dtype, rng),), {"hermitian": True}, f"empty-h-{shape}")
    if _has_svd():
        for shape in ((1, 1), (2, 3), (4, 4), (6, 2), (8, 8), (17, 5), (40, 17), (5, 2, 3),
                      (2, 3, 4, 3)):
            yield Sample((_ranked(shape, min(shape[-2:]), dtype, rng),), name=f"full-{shape}")
        a = _ranked((3, 4, 6), 4, dtype, rng, SPECTRUM[:4])
        yield Sample((a, 0.125), name="rcond")
        yield Sample((a, np.asarray(0.03)), name="rcond-tensor")
        yield Sample((_hermitian((2, 4, 4), dtype, rng, [8.0, -1, 0.1, 0]), 0.04, True),
                     name="rcond-hermitian")
        yield Sample((a,), {"atol": np.array([0.04, 0.25, 4.0]), "rtol": 0.0}, "atol-tensor")
        yield Sample((a,), {"rtol": np.array([[0.005], [0.125]])}, "rtol-broadcast")


def _pinverse_ref(a, rcond=1e-15):
    return _pinv_ref(a, rcond)


def _pinverse_samples(dtype, rng):
    for shape in ((0, 3, 4), (2, 0, 3), (2, 0, 0)):
        yield Sample((make_array(shape, dtype, rng),), name=f"empty-{shape}")
    if _has_svd():
        for shape in ((4, 4), (2, 3, 5), (6, 2)):
            yield Sample((_ranked(shape, min(shape[-2:]), dtype, rng),), name=f"full-{shape}")
        a = _ranked((3, 4, 6), 4, dtype, rng, SPECTRUM[:4])
        yield Sample((a, 0.125), name="rcond0.125")
        yield Sample((a, 0.03), name="rcond0.03")


def _pinv_errors(name):
    def errors():
        a = np.ones((3, 3), np.float32)
        msg = r"^linalg.pinv\({}\): expected a tensor with 2 or more dimensions of float, " \
              "double, cfloat or cdouble types"
        out = [
            _err((a[0],), RuntimeError, msg.format(r"Float\{\[3\]\}"), "1d"),
            _err((a.astype(np.int64),), RuntimeError, msg.format(r"Long\{\[3, 3\]\}"), "int"),
            _err((a.astype(np.float16),), RuntimeError, msg.format(r"Half\{\[3, 3\]\}"), "half"),
            _err((a.astype(np.int64), 0.1), RuntimeError, msg.format(r"Long\{\[3, 3\]\}"),
                 "int-rcond"),
            _err((a, np.asarray(1j, np.complex64)), RuntimeError, "^torch.linalg.pinv: rcond "
                 "tensor of complex type is not supported. Got ComplexFloat", "complex-rcond"),
        ]
        if name == "linalg.pinv":
            out += [
                _err((a.astype(np.int64),), RuntimeError, "^This function doesn't handle types "
                     "other than float and double", "int-atol", {"atol": 1.0}),
                _err((a[0],), IndexError, "Dimension out of range", "1d-atol", {"atol": 1.0}),
                _err((a[0],), RuntimeError, msg.format(r"Float\{\[3\]\}"), "1d-rtol",
                     {"rtol": 1.0}),
                _err((a,), RuntimeError, "^torch.linalg.pinv: atol tensor of complex type is not "
                     "supported. Got ComplexFloat", "complex-atol",
                     {"atol": np.asarray(1j, np.complex64)}),
                _err((a,), RuntimeError, "^torch.linalg.pinv: rtol tensor of complex type is not "
                     "supported. Got ComplexDouble", "complex-rtol",
                     {"rtol": np.asarray(1j)}),
                _err((a, 0.1), TypeError, "rcond cannot be given with atol or rtol", "rcond-atol",
                     {"atol": 0.1}),
                _err((np.ones((3, 4), np.float32),), RuntimeError, "^linalg.eigh: A must be "
                     "batches of square matrices, but they are 3 by 4 matrices", "hermitian-rect",
                     {"hermitian": True}),
                _err((np.ones((2, 3, 3), np.float32),), RuntimeError, r"The size of tensor a "
                     r"\(3\) must match the size of tensor b \(2\)", "atol-shape",
                     {"hermitian": True, "atol": np.ones(3)}),
                _err((a,), RuntimeError, "^linalg.pinv: Expected result to be safely castable "
                     "from Float dtype, but got result with dtype Long", "out-long",
                     {"hermitian": True, "out": lm.empty(0, dtype=lm.int64)}),
            ]
        else:
            out.append(_err((a,), TypeError, "unexpected keyword argument 'out'", "out",
                            {"out": lm.empty(0)}))
        return out
    return errors


def _matrix_rank_ref(a, tol=None, hermitian=False, *, atol=None, rtol=None):
    if tol is not None:
        atol, rtol = tol, 0.0
    if a.size == 0:
        return np.zeros(a.shape[:-2], np.int64)
    _, size, largest, _, _ = _spectrum(a, hermitian)
    return np.asarray((size > _threshold_ref(a, largest, atol, rtol)).sum(-1), np.int64)


def _matrix_rank_samples(dtype, rng):
    signs = np.array([-1.0, 1, -1, 1, 1])
    for kwargs in TOLERANCES:
        tag = "-".join(f"{k}{v}" for k, v in kwargs.items()) or "default"
        h = _hermitian((3, 5, 5), dtype, rng, _spectrum_for(kwargs, signs))
        yield Sample((h,), {"hermitian": True, **kwargs}, f"hermitian-{tag}")
        if _has_svd():
            a = _ranked((3, 7, 5), 5, dtype, rng, _spectrum_for(kwargs))
            yield Sample((a,), kwargs, f"svd-{tag}")
    # Exact zero rows and columns: eigenvalues exactly 0, below even the default threshold.
    h = _hermitian((3, 5, 5), dtype, rng, np.array([-4.0, 2.0, -1.0, 1.5, 0.0]))
    h[..., 3:, :] = h[..., :, 3:] = 0
    yield Sample((h,), {"hermitian": True}, "hermitian-zero-rows")
    for n in range(1, 9):
        for rank in sorted({0, n // 2, n}):
            values = np.r_[rng.uniform(1, 4, rank), np.zeros(n - rank)]
            h = _hermitian((2, n, n), dtype, rng, values)
            yield Sample((h,), {"hermitian": True, "atol": 0.1}, f"hermitian-{n}x{n}-rank{rank}")
    lam = [8.0, -1, 0.1, 0]
    yield Sample((_hermitian((2, 3, 4, 4), dtype, rng, lam),),
                 {"hermitian": True, "atol": np.array([0.03, 0.3, 3.0])}, "atol-tensor")
    yield Sample((_hermitian((3, 4, 4), dtype, rng, lam),),
                 {"hermitian": True, "atol": np.array([[0.03], [3.0]])}, "atol-broadcast")
    yield Sample((_hermitian((3, 4, 4), dtype, rng, lam), 0.3, True), name="tol-positional")
    yield Sample((_hermitian((3, 4, 4), dtype, rng, lam), np.asarray(0.03), True),
                 name="tol-tensor")
    for shape in ((0, 3, 4), (2, 0, 3), (2, 0, 0)):
        yield Sample((make_array(shape, dtype, rng),), name=f"empty-{shape}")
    if _has_svd():
        for shape in ((1, 1), (2, 3), (8, 8), (17, 5), (40, 17)):
            yield Sample((_ranked(shape, min(shape[-2:]), dtype, rng),), name=f"full-{shape}")
        for shape, rank in (((4, 6), 2), ((2, 8, 3), 1), ((5, 7, 7), 4)):
            yield Sample((_ranked(shape, rank, dtype, rng),), {"atol": 0.3}, f"rank{rank}-{shape}")
        yield Sample((_ranked((3, 4, 6), 4, dtype, rng, SPECTRUM[:4]), 0.03), name="tol-svd")


def _matrix_rank_errors():
    a = np.ones((3, 3), np.float32)
    return [
        _err((a[0],), RuntimeError, "^torch.linalg.matrix_rank: The input tensor input must have "
             r"at least 2 dimensions\.", "1d"),
        _err((a.astype(np.int64),), RuntimeError, "^This function doesn't handle types other "
             "than float and double", "int"),
        _err((a.astype(np.float16),), RuntimeError, "^This function doesn't handle types other "
             "than float and double", "half"),
        _err((a.astype(np.float16),), NotImplementedError, "\"linalg_eigh_cpu\" not implemented "
             "for 'Half'", "half-hermitian", {"atol": 1.0, "rtol": 0.0, "hermitian": True}),
        _err((np.ones((3, 4), np.float32),), RuntimeError, "^linalg.eigh: A must be batches of "
             "square matrices, but they are 3 by 4 matrices", "hermitian-rect",
             {"hermitian": True}),
        _err((a,), RuntimeError, "^torch.linalg.matrix_rank: atol tensor of complex type is not "
             "supported. Got ComplexFloat", "complex-atol", {"atol": np.asarray(1j, np.complex64)}),
        _err((a,), RuntimeError, "^torch.linalg.matrix_rank: rtol tensor of complex type is not "
             "supported. Got ComplexFloat", "complex-rtol", {"rtol": np.asarray(1j, np.complex64)}),
        _err((a, np.asarray(1j, np.complex64)), RuntimeError, "^torch.linalg.matrix_rank: atol "
             "tensor of complex type", "complex-tol"),
        _err((a, 0.1), TypeError, "tol cannot be given with atol or rtol", "tol-atol",
             {"rtol": 0.1}),
        _err((a,), RuntimeError, "^torch.linalg.matrix_rank: Expected result to be safely "
             "castable from Long dtype, but got result with dtype Bool", "out-bool",
             {"hermitian": True, "out": lm.empty(0, dtype=lm.bool)}),
    ]


# -- tensorinv, tensorsolve -----------------------------------------------------------------------

def _tensorinv_ref(a, ind=2):
    rows, cols = a.shape[:ind], a.shape[ind:]
    if a.size == 0:
        return np.zeros(cols + rows, a.dtype)
    return np.linalg.tensorinv(_wide(a), ind).astype(a.dtype)


def _tensorinv_samples(dtype, rng):
    for shape, ind in (((4, 6, 8, 3), 2), ((6, 2, 3), 1), ((2, 3, 6), 2), ((4, 4), 1),
                       ((2, 2, 2, 2), 2), ((1,), 1), ((3, 1, 3), 1), ((2, 3, 3, 2), 2),
                       ((17, 17), 1), ((0, 3, 0, 3), 2), ((0, 0), 1)):
        n = math.prod(shape[ind:])
        a = _well((n, n), dtype, rng).reshape(shape)
        yield Sample((a,) if ind == 2 else (a, ind), name=f"{'x'.join(map(str, shape))}-ind{ind}")
    yield Sample((_well((6, 6), dtype, rng).reshape(2, 3, 6),), {"ind": 2}, "keyword-ind")


def _tensorinv_errors():
    return [
        _err((np.ones((2, 2), np.float32), 0), RuntimeError, "^Expected a strictly positive "
             "integer for 'ind', but got 0", "ind0"),
        _err((np.ones((2, 2), np.float32), -1), RuntimeError, "but got -1", "ind-1"),
        _err((np.ones((2, 2), np.float32), 3), RuntimeError, "^ArrayRef: invalid slice, N = 3; "
             "size = 2", "ind3"),
        _err((np.ones((), np.float32), 1), RuntimeError, "^ArrayRef: invalid slice, N = 1; "
             "size = 0", "0d"),
        _err((np.ones((4, 6, 8, 3), np.float32), 1), RuntimeError, r"^Expected self to satisfy "
             r"the requirement prod\(self.shape\[ind:\]\) == prod\(self.shape\[:ind\]\), but "
             "got 144 != 4", "prod"),
        _err((np.ones((2, 2), np.float32), 1.0), TypeError, r"^linalg_tensorinv\(\): argument "
             r"'ind' \(position 2\) must be int, not float", "ind-float"),
        _err((np.ones((2, 2), np.float32), True), TypeError, "must be int, not bool", "ind-bool"),
        _err((np.ones((2, 2), np.int64), 1), RuntimeError, "^linalg.inv: Expected a floating "
             "point or complex tensor as input. Got Long", "int"),
        _err((np.ones((2, 2), np.float16), 1), RuntimeError, "^linalg.inv: Low precision dtypes "
             "not supported. Got Half", "half"),
        _err((np.zeros((2, 2, 4), np.float32),), lm.linalg.LinAlgError, "^inv: The diagonal "
             "element 1 is zero, the inversion could not be completed because the input matrix "
             "is singular.", "singular"),
        _err((np.eye(2, dtype=np.float32), 1), RuntimeError, "^tensorinv: Expected result to be "
             "safely castable from Float dtype, but got result with dtype Long", "out-long",
             {"out": lm.empty(0, dtype=lm.int64)}),
    ]


def _tensorsolve_ref(a, b, dims=None):
    shape = (np.moveaxis(a, dims, range(a.ndim - len(dims), a.ndim)) if dims else a).shape
    if a.size == 0:
        return np.zeros(shape[b.ndim:], a.dtype)
    return np.asarray(np.linalg.tensorsolve(_wide(a), _wide(b), dims)).astype(a.dtype)


def _tensorsolve_samples(dtype, rng):
    # (shape of A once `dims` are moved last, B's shape, dims)
    for moved, bshape, dims in (((2, 3, 6), (2, 3), None), ((2, 3, 6), (2, 3), (0,)),
                                ((2, 3, 2, 3), (2, 3), None), ((3, 2, 3, 2), (3, 2), (1, 3)),
                                ((3, 2, 3, 2), (3, 2), (3, 0)), ((4, 4), (4,), None),
                                ((1, 1), (1,), None), ((8, 8), (8,), None),
                                ((17, 17), (17,), None), ((6, 2, 3), (6,), None), ((), (), None),
                                ((0, 0), (0,), None)):
        # A well-conditioned square matrix, laid out so that moving `dims` last recovers it.
        n = math.prod(bshape)
        a = _well((n, n), dtype, rng).reshape(moved)
        if dims:
            a = np.moveaxis(a, range(a.ndim - len(dims), a.ndim), dims)
        args = (a, make_array(bshape, dtype, rng)) + ((dims,) if dims else ())
        yield Sample(args, name=f"{'x'.join(map(str, a.shape))}-{dims}")
    yield Sample((_well((6, 6), dtype, rng).reshape(2, 3, 6), make_array((2, 3), dtype, rng)),
                 {"dims": [2]}, "dims-list")


def _tensorsolve_errors():
    f = np.float32
    return [
        _err((np.ones((2, 3, 6), f), np.ones(6, f)), RuntimeError, r"^Expected self to satisfy "
             r"the requirement prod\(self.shape\[other.ndim:\]\) == "
             r"prod\(self.shape\[:other.ndim\]\), but got 18 != 6", "prod"),
        _err((np.eye(6).reshape(2, 3, 6), np.ones((2, 3), f)), RuntimeError, "^linalg.solve: "
             "Expected A and B to have the same dtype, but found A of type Double and B of type "
             "Float instead", "dtype"),
        _err((np.ones((2, 3, 6), np.int32), np.ones((2, 3), np.int32)), RuntimeError,
             "^linalg.solve: Expected a floating point or complex tensor as input. Got Int", "int"),
        _err((np.ones((2, 3, 6), f), np.ones((2, 3), f)), lm.linalg.LinAlgError,
             "^torch.linalg.solve: The solver failed because the input matrix is singular.",
             "singular"),
        _err((np.ones((6, 2, 3), f), np.ones((2, 3), f), 0), TypeError, r"^linalg_tensorsolve\(\)"
             r": argument 'dims' \(position 3\) must be tuple of ints, not int", "dims-int"),
        _err((np.ones((6, 2, 3), f), np.ones((2, 3), f), (5,)), IndexError, r"Dimension out of "
             r"range \(expected to be in range of \[-3, 2\], but got 5\)", "dims-range"),
        _err((np.ones((6, 2, 3), f), np.ones((2, 3), f), (0, 0)), RuntimeError, "movedim: "
             r"repeated dim in `source` \(\[0, 0\]\)", "dims-repeated"),
        _err((np.ones(6, f), np.ones((2, 3), f)), RuntimeError, "cannot create std::vector "
             "larger than max_size", "B-bigger"),
        _err((np.eye(2, dtype=f), np.ones(2, f)), RuntimeError, "^tensorsolve: Expected result to "
             "be safely castable from Float dtype, but got result with dtype Long", "out-long",
             {"out": lm.empty(0, dtype=lm.int64)}),
    ]



# -- samples for the grad sweep (its four first small ones would be empty or 1x1 here) ------------

def _matrix_exp_grad_samples(dtype, rng):
    """Each Taylor degree's range and the scaling-and-squaring path (1-norm 8)."""
    for norm in (1e-3, 0.2, 2.0, 8.0):
        yield Sample((_scaled((2, 3, 3), dtype, rng, norm),), name=f"norm{norm:g}")


def _matrix_power_grad_samples(dtype, rng):
    """Powers by repeated squaring and negative ones (through the inverse)."""
    small = make_array((2, 3, 3), dtype, rng, low=-1, high=1)
    yield Sample((small, 3), name="n3")
    yield Sample((small, 6), name="n6")
    yield Sample((_well((3, 3), dtype, rng), -1), name="n-1")
    yield Sample((_well((2, 3, 3), dtype, rng), -2), name="n-2")


def _vander_grad_samples(dtype, rng):
    x = make_array((4,), dtype, rng)
    yield Sample((x,), name="default")
    yield Sample((x,), {"increasing": True}, "increasing")
    yield Sample((x, 3), name="N3")
    yield Sample((x, 6, True), name="N6-increasing")


def _cond_grad_samples(dtype, rng):
    """One order per path: singular values (2 and the default), -2 on a rectangular batch, and
    the inverse-based orders; tests/test_autograd_linalg_functions.py runs every order."""
    yield Sample((_well((3, 3), dtype, rng),), name="pNone")
    yield Sample((make_array((2, 3, 2), dtype, rng), -2), name="p-2-rect")
    yield Sample((_well((3, 3), dtype, rng), "fro"), name="pfro")
    yield Sample((_well((2, 3, 3), dtype, rng), float("inf")), name="pinf")


def _pinv_grad_samples(dtype, rng):
    """Full rank (both orientations), a Hermitian input, and a rank-deficient matrix whose kept
    singular values stand far from the cut (the truncated inverse is smooth there)."""
    yield Sample((_ranked((3, 4), 3, dtype, rng),), name="wide")
    yield Sample((_ranked((2, 4, 3), 3, dtype, rng),), name="tall-batch")
    yield Sample((_hermitian((3, 3), dtype, rng, np.array([-3.0, 1.0, 2.0])),),
                 {"hermitian": True, "project": True}, "hermitian")
    yield Sample((_ranked((4, 4), 2, dtype, rng),), {"atol": 0.25}, "rank2-atol")


def _pinverse_grad_samples(dtype, rng):
    yield Sample((_ranked((3, 4), 3, dtype, rng),), name="wide")
    yield Sample((_ranked((2, 4, 3), 3, dtype, rng),), name="tall-batch")


def _tensorsolve_grad_samples(dtype, rng):
    for moved, bshape, dims in (((2, 2, 4), (2, 2), None), ((2, 2, 4), (2, 2), (0,)),
                                ((2, 2, 2, 2), (2, 2), (1, 3)), ((3, 3), (3,), None)):
        a = _well((math.prod(bshape),) * 2, dtype, rng).reshape(moved)
        if dims:
            a = np.moveaxis(a, range(a.ndim - len(dims), a.ndim), dims)
        yield Sample((a, make_array(bshape, dtype, rng)) + ((dims,) if dims else ()),
                     name=f"{'x'.join(map(str, a.shape))}-{dims}")


OPS = [
    OpInfo("linalg.matrix_exp", lm.linalg.matrix_exp, _matrix_exp_ref, _matrix_exp_samples,
           dtypes=FLOAT_COMPLEX, tol=TOL, errors=_matrix_exp_errors, grad=True, gradgrad=True,
           grad_samples=_matrix_exp_grad_samples, fwgrad=True, vmap=True),
    OpInfo("matrix_exp", lm.matrix_exp, _matrix_exp_ref, _matrix_exp_alias_samples,
           dtypes=FLOAT_COMPLEX, tol=TOL, method="matrix_exp", layouts=False, grad=True,
           gradgrad=True, grad_samples=_matrix_exp_grad_samples, fwgrad=True, vmap=True),
    OpInfo("linalg.matrix_power", lm.linalg.matrix_power, _matrix_power_ref,
           _matrix_power_samples, dtypes=FLOAT_COMPLEX + INTS + ("bool",), tol=TOL,
           errors=_matrix_power_errors("linalg_matrix_power"), grad=True, gradgrad=True,
           grad_samples=_matrix_power_grad_samples, fwgrad=True, vmap=True),
    OpInfo("matrix_power", lm.matrix_power, _matrix_power_ref, _matrix_power_samples,
           dtypes=FLOATING + ("int64",), tol=TOL, method="matrix_power", layouts=False,
           errors=_matrix_power_errors("matrix_power"), grad=True, gradgrad=True,
           grad_samples=_matrix_power_grad_samples, fwgrad=True, vmap=True),
    OpInfo("linalg.cross", lm.linalg.cross, _cross_ref, _cross_samples,
           dtypes=("float16",) + FLOAT_COMPLEX + INTS, tol=TOL, errors=_cross_errors, grad=True,
           gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("cross", _torch_cross, _cross_ref, _torch_cross_samples,
           dtypes=FLOATING + ("int64",), tol=TOL, method="cross", errors=_torch_cross_errors,
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("linalg.diagonal", lm.linalg.diagonal, _diagonal_ref, _diagonal_samples,
           dtypes=FLOAT_COMPLEX + INTS + ("bool",), errors=_diagonal_errors, grad=True,
           gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("trace", lm.trace, _trace_ref, _trace_samples,
           dtypes=("float16",) + FLOAT_COMPLEX + INTS, tol=TOL, method="trace",
           errors=_trace_errors, grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("linalg.vander", lm.linalg.vander, _linalg_vander_ref, _linalg_vander_samples,
           dtypes=FLOAT_COMPLEX + ("uint8", "int8", "int64"), tol=TOL,
           errors=_linalg_vander_errors, grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("vander", lm.vander, _vander_ref, _vander_samples,
           dtypes=("bool", "float16") + FLOAT_COMPLEX + ("uint8", "int64"), tol=TOL,
           errors=_vander_errors, grad=True, gradgrad=True, grad_samples=_vander_grad_samples,
           fwgrad=True, vmap=True),
    OpInfo("linalg.cond", lm.linalg.cond, _cond_ref, _cond_samples, dtypes=FLOAT_COMPLEX,
           tol=COND_TOL, errors=_cond_errors, grad=True, gradgrad=True,
           grad_samples=_cond_grad_samples, fwgrad=True, vmap=True),
    # hermitian=True reads one triangle (eigh's): differentiated along Hermitian directions.
    OpInfo("linalg.pinv", hermitian_for_derivatives(_tensor_kwargs(lm.linalg.pinv)),
           _pinv_ref, _pinv_samples, dtypes=FLOAT_COMPLEX, tol=PINV_TOL,
           errors=_pinv_errors("linalg.pinv"), grad=True, gradgrad=True,
           grad_samples=_pinv_grad_samples, fwgrad=True, vmap=True),
    OpInfo("pinverse", lm.pinverse, _pinverse_ref, _pinverse_samples, dtypes=FLOAT_COMPLEX,
           tol=PINV_TOL, method="pinverse", errors=_pinv_errors("pinverse"), grad=True,
           gradgrad=True, grad_samples=_pinverse_grad_samples, fwgrad=True, vmap=True),
    OpInfo("linalg.matrix_rank", _tensor_kwargs(lm.linalg.matrix_rank), _matrix_rank_ref,
           _matrix_rank_samples, dtypes=FLOAT_COMPLEX, errors=_matrix_rank_errors, vmap=True),
    OpInfo("linalg.tensorinv", lm.linalg.tensorinv, _tensorinv_ref, _tensorinv_samples,
           dtypes=FLOAT_COMPLEX, tol=TOL, errors=_tensorinv_errors, grad=True, gradgrad=True,
           fwgrad=True, vmap=True),
    OpInfo("linalg.tensorsolve", lm.linalg.tensorsolve, _tensorsolve_ref, _tensorsolve_samples,
           dtypes=FLOAT_COMPLEX, tol=TOL, errors=_tensorsolve_errors, grad=True, gradgrad=True,
           grad_samples=_tensorsolve_grad_samples, fwgrad=True, vmap=True),
]
