"""Op table entries for lamina/linalg/_functions.py: linalg.matrix_exp, matrix_power, cross,
diagonal and vander, and the top-level matrix_exp, matrix_power, trace, vander and cross.

References are SciPy's expm and NumPy's matrix_power, cross, diagonal, vander and trace, computed
in float64/complex128 (int64 for integers) and cast to PyTorch's result dtype. matrix_exp samples
span 1-norms from 1e-9 to ~30 so every Taylor degree and the scaling-and-squaring path is taken;
matrix_power's negative powers need linalg.inv (the lu family): they appear once lamina has it.
"""

import warnings

import numpy as np
import scipy.linalg

import lamina as lm
from opdb import COMPLEX, FLOATING, ErrorInput, OpInfo, Sample, make_array

FLOAT_COMPLEX = FLOATING + COMPLEX
INTS = ("uint8", "int32", "int64")
TOL = {"float32": (1e-4, 1e-5), "complex64": (1e-4, 1e-5), "float16": (1e-2, 1e-2)}


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


OPS = [
    OpInfo("linalg.matrix_exp", lm.linalg.matrix_exp, _matrix_exp_ref, _matrix_exp_samples,
           dtypes=FLOAT_COMPLEX, tol=TOL, errors=_matrix_exp_errors),
    OpInfo("matrix_exp", lm.matrix_exp, _matrix_exp_ref, _matrix_exp_alias_samples,
           dtypes=FLOAT_COMPLEX, tol=TOL, method="matrix_exp", layouts=False),
    OpInfo("linalg.matrix_power", lm.linalg.matrix_power, _matrix_power_ref,
           _matrix_power_samples, dtypes=FLOAT_COMPLEX + INTS + ("bool",), tol=TOL,
           errors=_matrix_power_errors("linalg_matrix_power")),
    OpInfo("matrix_power", lm.matrix_power, _matrix_power_ref, _matrix_power_samples,
           dtypes=FLOATING + ("int64",), tol=TOL, method="matrix_power", layouts=False,
           errors=_matrix_power_errors("matrix_power")),
    OpInfo("linalg.cross", lm.linalg.cross, _cross_ref, _cross_samples,
           dtypes=("float16",) + FLOAT_COMPLEX + INTS, tol=TOL, errors=_cross_errors),
    OpInfo("cross", _torch_cross, _cross_ref, _torch_cross_samples,
           dtypes=FLOATING + ("int64",), tol=TOL, method="cross", errors=_torch_cross_errors),
    OpInfo("linalg.diagonal", lm.linalg.diagonal, _diagonal_ref, _diagonal_samples,
           dtypes=FLOAT_COMPLEX + INTS + ("bool",), errors=_diagonal_errors),
    OpInfo("trace", lm.trace, _trace_ref, _trace_samples,
           dtypes=("float16",) + FLOAT_COMPLEX + INTS, tol=TOL, method="trace",
           errors=_trace_errors),
    OpInfo("linalg.vander", lm.linalg.vander, _linalg_vander_ref, _linalg_vander_samples,
           dtypes=FLOAT_COMPLEX + ("uint8", "int8", "int64"), tol=TOL,
           errors=_linalg_vander_errors),
    OpInfo("vander", lm.vander, _vander_ref, _vander_samples,
           dtypes=("bool", "float16") + FLOAT_COMPLEX + ("uint8", "int64"), tol=TOL,
           errors=_vander_errors),
]
