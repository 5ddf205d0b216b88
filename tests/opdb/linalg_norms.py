"""Op table entries for lamina/linalg/_norms.py: linalg.vector_norm, matrix_norm and norm.

References are NumPy's (np.linalg.norm for the matrix and mixed cases, a float64/complex128 sum
of |x|^p for vector norms over several dims, which np.linalg.norm does not take), cast to the
real dtype PyTorch returns. The spectral and nuclear norms need linalg.svdvals (the svd family):
their samples appear once lamina.linalg has it.
"""

import numpy as np

import lamina as lm
from opdb import COMPLEX, FLOATING, ErrorInput, OpInfo, Sample, make_array

DTYPES = ("float16",) + FLOATING + COMPLEX
TOL = {"float16": (2e-3, 2e-3)}
INF = float("inf")


def _real_np(x, dtype=None):
    d = np.dtype(x.dtype if dtype is None else dtype.np)
    return np.finfo(d).dtype


def _wide(x):
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


def _axes(ndim, dim):
    if dim is None or dim == () or dim == []:
        return None
    return tuple(d % max(ndim, 1) for d in ((dim,) if isinstance(dim, int) else dim))


def _has_svdvals():
    return hasattr(lm.linalg, "svdvals")


# -- vector_norm ----------------------------------------------------------------------------------

def _vector_norm_ref(x, ord=2, dim=None, keepdim=False, dtype=None):
    a = np.abs(_wide(x if dtype is None else x.astype(dtype.np)))
    axis = _axes(x.ndim, dim) if x.ndim else None
    if ord == INF:
        out = np.max(a, axis=axis, keepdims=keepdim)
    elif ord == -INF:
        out = np.min(a, axis=axis, keepdims=keepdim)
    elif ord == 0:
        out = np.sum(a != 0, axis=axis, keepdims=keepdim)
    else:
        with np.errstate(divide="ignore"):
            out = np.sum(a ** ord, axis=axis, keepdims=keepdim) ** (1 / ord)
    return np.asarray(out).astype(_real_np(x, dtype))


def _vector_norm_samples(dtype, rng):
    x = make_array((3, 4, 5), dtype, rng)
    yield Sample((x,), name="all")
    yield Sample((np.asarray(make_array((), dtype, rng)),), name="0d")
    yield Sample((np.asarray(make_array((), dtype, rng)),), {"dim": 0}, "0d-dim0")
    yield Sample((make_array((7,), dtype, rng),), name="1d")
    for ord in (2, 1, 0, 3, 0.5, -1, -0.5, INF, -INF):
        yield Sample((x,), {"ord": ord, "dim": -1}, f"ord{ord}-dim-1")
    yield Sample((x,), {"ord": 1, "dim": (0, 2), "keepdim": True}, "ord1-dim02-keepdim")
    yield Sample((x,), {"dim": [2, 0]}, "dim-list")
    yield Sample((x,), {"dim": ()}, "dim-empty-tuple")
    yield Sample((x,), {"keepdim": True}, "all-keepdim")
    yield Sample((x,), {"ord": INF, "dim": (1, 2)}, "inf-two-dims")
    yield Sample((make_array((37, 4, 4), dtype, rng),), {"dim": (-2, -1)}, "batch-of-matrices")
    yield Sample((make_array((0, 3), dtype, rng),), {"dim": 1}, "empty-batch")
    yield Sample((make_array((0, 3), dtype, rng),), name="empty")
    yield Sample((make_array((0, 3), dtype, rng),), {"ord": INF, "dim": 1}, "empty-batch-inf")
    if dtype in ("float16", "float32"):
        yield Sample((x,), {"dim": 1, "dtype": lm.float64}, "dtype-float64")
    if dtype == "complex64":
        yield Sample((x,), {"ord": 3, "dtype": lm.complex128}, "dtype-complex128")


def _err(args, exc, match, name, kwargs=None):
    return ErrorInput(Sample(args, kwargs or {}, name), exc, match)


def _vector_norm_errors():
    x = np.ones((2, 3), np.float32)
    return [
        _err((x.astype(np.int64),), RuntimeError, r"linalg.vector_norm: Expected a floating "
             r"point or complex tensor as input. Got Long", "int"),
        _err((x > 0,), RuntimeError, "Expected a floating point or complex tensor as input. "
             "Got Bool", "bool"),
        _err((x, "fro"), TypeError, "argument 'ord' .* must be Number, not str", "ord-str"),
        _err((x, None), TypeError, "must be Number, not NoneType", "ord-none"),
        _err((x, 1j), RuntimeError, "Expected a non-complex scalar as the order of norm", "ord-c"),
        _err((x,), RuntimeError, "dtype should be real for real inputs, but got ComplexFloat",
             "dtype-complex", {"dtype": lm.complex64}),
        _err((x.astype(np.complex64),), RuntimeError, "dtype should be complex for complex "
             "inputs, but got Double", "dtype-real", {"dtype": lm.float64}),
        _err((x,), RuntimeError, "dtype should be floating point or complex, but got Long",
             "dtype-int", {"dtype": lm.int64}),
        _err((x.astype(np.float64),), RuntimeError, r"the dtype of the input \(Double\) should be "
             r"convertible without narrowing to the specified dtype \(Float\)", "narrowing",
             {"dtype": lm.float32}),
        _err((np.ones((0, 3), np.float32), INF), RuntimeError, "linalg.vector_norm cannot compute "
             "the inf norm on an empty tensor because the operation does not have an identity",
             "empty-inf"),
        _err((np.ones((0, 3), np.float32), -1, 0), RuntimeError, "cannot compute the -1 norm on "
             "the dimension 0because this dimension is empty", "empty-dim-negative"),
        _err((x, 2, (0, 0)), RuntimeError, "dim 0 appears multiple times in the list of dims",
             "dim-repeated"),
        _err((x, 2, 2), IndexError, r"Dimension out of range \(expected to be in range of "
             r"\[-2, 1\], but got 2\)", "dim-range"),
        _err((x, 2, 1.0), TypeError, "argument 'dim' must be tuple of ints, not float",
             "dim-float"),
        _err(([1.0],), TypeError, r"linalg_vector_norm\(\): argument 'input' \(position 1\) must "
             "be Tensor, not list", "not-tensor"),
    ]


# -- matrix_norm ----------------------------------------------------------------------------------

def _matrix_norm_ref(x, ord="fro", dim=(-2, -1), keepdim=False, dtype=None):
    a = _wide(x if dtype is None else x.astype(dtype.np))
    dim = tuple(d % x.ndim for d in dim)
    if a.size == 0:  # NumPy's max of nothing raises; PyTorch's largest column sum of nothing is 0
        a = np.zeros([1 if i in dim else n for i, n in enumerate(a.shape)], a.dtype)
    out = np.linalg.norm(a, ord, axis=dim, keepdims=keepdim)
    return np.asarray(out).astype(_real_np(x, dtype))


def _matrix_orders():
    return ("fro", 1, -1, INF, -INF) + (("nuc", 2, -2) if _has_svdvals() else ())


def _matrix_norm_samples(dtype, rng):
    low = dtype == "float16"
    orders = tuple(o for o in _matrix_orders() if not (low and o in ("nuc", 2, -2)))
    x = make_array((2, 3, 4), dtype, rng)
    for ord in orders:
        yield Sample((x,), {"ord": ord}, f"{ord}")
        yield Sample((x,), {"ord": ord, "dim": (2, 0), "keepdim": True}, f"{ord}-dim20-keepdim")
        yield Sample((x,), {"ord": ord, "dim": [0, -1]}, f"{ord}-dim-list")
        yield Sample((make_array((5, 5), dtype, rng),), {"ord": ord}, f"{ord}-square")
        yield Sample((make_array((7, 1, 6, 6), dtype, rng),), {"ord": ord, "keepdim": True},
                     f"{ord}-batched-keepdim")
        yield Sample((make_array((0, 3, 3), dtype, rng),), {"ord": ord}, f"{ord}-empty-batch")
        if ord not in (-1, -INF, -2):  # an empty minimum has no identity (IndexError)
            yield Sample((make_array((2, 0, 0), dtype, rng),), {"ord": ord}, f"{ord}-0x0")
            yield Sample((make_array((2, 3, 0), dtype, rng),), {"ord": ord}, f"{ord}-3x0")
            yield Sample((make_array((2, 0, 3), dtype, rng),), {"ord": ord}, f"{ord}-0x3")
    for n in (1, 2, 3, 8, 17, 40):
        yield Sample((make_array((3, n, n), dtype, rng),), {"ord": 1}, f"1-n{n}")
    yield Sample((make_array((9, 4, 4), dtype, rng),), {"ord": -INF}, "-inf-long-batch")
    if dtype in ("float16", "float32"):
        yield Sample((x,), {"ord": 1, "dtype": lm.float64}, "dtype-float64")
        yield Sample((x,), {"dtype": lm.float64}, "fro-dtype-float64")


def _matrix_norm_errors():
    x = np.ones((2, 3, 4), np.float32)
    return [
        _err((x, 3), RuntimeError, r"linalg.matrix_norm: Order 3 not supported\.", "ord3"),
        _err((x, 0.5), RuntimeError, r"linalg.matrix_norm: Order 0.5 not supported\.", "ord0.5"),
        _err((x, "abc"), RuntimeError, r"linalg.matrix_norm: Order abc not supported\.", "ordstr"),
        _err((x, None), TypeError, "must be Number, not NoneType", "ord-none"),
        _err((x[0, 0],), RuntimeError, "linalg.matrix_norm: The input tensor A must have at least "
             "2 dimensions.", "1d"),
        _err((x.astype(np.int64),), RuntimeError, "linalg.matrix_norm: Expected a floating point "
             "or complex tensor as input. Got Long", "int"),
        _err((x.astype(np.float16), "nuc"), RuntimeError, "linalg.matrix_norm: Low precision "
             "dtypes not supported. Got Half", "half-nuc"),
        _err((x.astype(np.float16), -2), RuntimeError, "Low precision dtypes not supported. Got "
             "Half", "half-2"),
        _err((x, "fro", (0, 1, 2)), RuntimeError, "linalg.matrix_norm: dim must be a 2-tuple. Got "
             "0 1 2", "dim3"),
        _err((x, "fro", (0,)), RuntimeError, "dim must be a 2-tuple. Got 0", "dim1"),
        _err((x, "fro", 0), TypeError, "argument 'dim' must be tuple of ints, not int", "dim-int"),
        _err((x, 1, (1, -2)), RuntimeError, r"linalg.matrix_norm: dims must be different. Got "
             r"\(1, 1\)", "dims-same"),
        _err((x, "fro", (1, 3)), IndexError, r"Dimension out of range \(expected to be in range "
             r"of \[-3, 2\], but got 3\)", "dim-range"),
        _err((x.astype(np.float64), 1), RuntimeError, "linalg.matrix_norm: the dtype of the input "
             r"\(Double\) should be convertible without narrowing", "narrowing",
             {"dtype": lm.float32}),
        _err((x, 1), RuntimeError, "linalg.matrix_norm: dtype should be real for real inputs, "
             "but got ComplexFloat", "dtype-complex", {"dtype": lm.complex64}),
        _err((np.ones((2, 0, 3), np.float32), -INF), IndexError, r"amin\(\): Expected reduction "
             "dim 1 to have non-zero size", "empty-min"),
    ]


# -- norm -----------------------------------------------------------------------------------------

def _norm_ref(x, ord=None, dim=None, keepdim=False, dtype=None):
    a = _wide(x if dtype is None else x.astype(dtype.np))
    if dim is None and ord is None:
        a = a.reshape(-1)
    out = np.linalg.norm(a, ord, axis=dim, keepdims=keepdim and dim is not None)
    if keepdim and dim is None:
        out = np.reshape(out, (1,) * x.ndim)
    return np.asarray(out).astype(_real_np(x, dtype))


def _norm_samples(dtype, rng):
    x, m, v = (make_array(s, dtype, rng) for s in ((2, 3, 4), (4, 5), (6,)))
    yield Sample((x,), name="3d-default")
    yield Sample((x,), {"keepdim": True}, "3d-default-keepdim")
    yield Sample((np.asarray(make_array((), dtype, rng)),), name="0d")
    for ord in (None, 2, 1, 0, 3, -1, INF, -INF):
        yield Sample((v,), {"ord": ord}, f"vector-{ord}")
        yield Sample((x,), {"ord": ord, "dim": 1}, f"3d-{ord}-dim1")
    matrix = tuple(o for o in _matrix_orders() if not (dtype == "float16" and o in ("nuc", 2, -2)))
    for ord in (None,) + matrix:
        yield Sample((m,), {"ord": ord}, f"matrix-{ord}")
        yield Sample((x,), {"ord": ord, "dim": (2, 0), "keepdim": True}, f"3d-{ord}-dim20")
    if dtype == "float32":
        yield Sample((m,), {"ord": 1, "dtype": lm.float64}, "dtype")


def _norm_errors():
    x = np.ones((2, 3, 4), np.float32)
    return [
        _err((x, 2), RuntimeError, "linalg.norm: If dim is not specified but ord is, the input "
             "must be 1D or 2D. Got 3D.", "3d-ord"),
        _err((x, "fro"), RuntimeError, "If dim is not specified but ord is, the input must be 1D "
             "or 2D. Got 3D.", "3d-fro"),
        _err((x, None, (0, 1, 2)), RuntimeError, r"linalg.norm: If dim is specified, it must be "
             r"of length 1 or 2. Got \[0, 1, 2\]", "dim3"),
        _err((x, 1, ()), RuntimeError, r"it must be of length 1 or 2. Got \[\]", "dim0"),
        _err((x, "nuc", 1), RuntimeError, "linalg.matrix_norm: dim must be a 2-tuple. Got 1",
             "str-dim1"),
        _err((x, 0.5, (1, 2)), RuntimeError, r"linalg.matrix_norm: Order 0.5 not supported\.",
             "matrix-ord"),
        _err((x[0].astype(np.int64), 1), RuntimeError, "linalg.matrix_norm: Expected a floating "
             "point or complex tensor as input. Got Long", "int-matrix"),
        _err((x.astype(np.int64),), RuntimeError, "linalg.vector_norm: Expected a floating point "
             "or complex tensor as input. Got Long", "int-vector"),
        _err((x[0, 0], "nuc"), RuntimeError, "linalg.matrix_norm: The input tensor A must have "
             "at least 2 dimensions.", "1d-nuc"),
        _err((x, None, 0.5), TypeError, "argument 'dim' must be tuple of ints, not float",
             "dim-float"),
    ]



# -- samples for the grad sweep: one of each kind (tests/test_autograd_linalg_functions.py runs
# every order), no zeros (where |x| has no derivative) and no empty reductions.

def _vector_norm_grad_samples(dtype, rng):
    x = make_array((2, 3, 4), dtype, rng)
    yield Sample((x,), name="all")
    yield Sample((x,), {"ord": 3, "dim": (0, 2), "keepdim": True}, "ord3-dim02-keepdim")
    yield Sample((x,), {"ord": INF, "dim": -1}, "inf-dim-1")
    yield Sample((x,), {"ord": -0.5, "dim": 1}, "ord-0.5-dim1")


def _matrix_norm_grad_samples(dtype, rng):
    yield Sample((make_array((2, 3, 4), dtype, rng),), name="fro")
    yield Sample((make_array((2, 3, 3), dtype, rng),), {"ord": "nuc"}, "nuc")
    yield Sample((make_array((3, 4), dtype, rng),), {"ord": -2}, "-2")
    yield Sample((make_array((2, 3, 4), dtype, rng),), {"ord": 1, "dim": (2, 0),
                                                        "keepdim": True}, "1-dim20-keepdim")


def _norm_grad_samples(dtype, rng):
    x = make_array((2, 3, 4), dtype, rng)
    yield Sample((x,), name="3d-default")
    yield Sample((make_array((6,), dtype, rng),), {"ord": 3}, "vector-3")
    yield Sample((make_array((4, 5), dtype, rng),), {"ord": 2}, "matrix-2")
    yield Sample((x,), {"ord": -INF, "dim": (2, 0), "keepdim": True}, "3d--inf-dim20")


OPS = [
    OpInfo("linalg.vector_norm", lm.linalg.vector_norm, _vector_norm_ref, _vector_norm_samples,
           dtypes=DTYPES, tol=TOL, errors=_vector_norm_errors, grad=True, gradgrad=True,
           grad_samples=_vector_norm_grad_samples, fwgrad=True, vmap=True),
    OpInfo("linalg.matrix_norm", lm.linalg.matrix_norm, _matrix_norm_ref, _matrix_norm_samples,
           dtypes=DTYPES, tol=TOL, errors=_matrix_norm_errors, grad=True, gradgrad=True,
           grad_samples=_matrix_norm_grad_samples, fwgrad=True, vmap=True),
    OpInfo("linalg.norm", lm.linalg.norm, _norm_ref, _norm_samples, dtypes=DTYPES, tol=TOL,
           errors=_norm_errors, grad=True, gradgrad=True, grad_samples=_norm_grad_samples,
           fwgrad=True, vmap=True),
]
