"""Op table entries for lamina/_ops/contraction.py and the linalg products built on it.

References are NumPy's (einsum, tensordot, kron, linalg.multi_dot, matmul) computed in
float64/complex128 (int64 for integers) and cast to the input dtype, so they do not share
lamina's accumulation order. Contractions sum a handful of products, hence the looser float32
tolerances.
"""

import warnings

import numpy as np

import lamina as lm
from opdb import COMPLEX, FLOATING, ErrorInput, OpInfo, Sample, make_array

DTYPES = FLOATING + COMPLEX + ("int64",)
TOL = {"float32": (1e-4, 1e-5), "complex64": (1e-4, 1e-5)}


def _wide(x):
    return x.astype({"i": np.int64, "u": np.int64, "b": np.int64, "f": np.float64,
                     "c": np.complex128}[x.dtype.kind])


def _cast_like(result, like):
    return np.asarray(result).astype(like.dtype)


def _arrays(dtype, rng, *shapes):
    return tuple(make_array(s, dtype, rng) for s in shapes)


# -- einsum ---------------------------------------------------------------------------------------

# (id, equation, operand shapes): matmul, batched, outer, trace, diagonal, transpose, sums,
# broadcasting ellipses, several operands, a repeated index next to another operand, empty dims.
EINSUM_CASES = [
    ("matmul", "ij,jk->ik", (3, 4), (4, 5)),
    ("matmul-implicit", "ij,jk", (3, 4), (4, 5)),
    ("bmm", "bij,bjk->bik", (2, 3, 4), (2, 4, 5)),
    ("attention", "bhqd,bhkd->bhqk", (2, 3, 4, 5), (2, 3, 6, 5)),
    ("batch-outer", "bi,bj->bij", (3, 4), (3, 5)),
    ("outer", "i,j->ij", (3,), (4,)),
    ("dot", "i,i->", (5,), (5,)),
    ("trace", "ii", (4, 4)),
    ("diagonal", "ii->i", (4, 4)),
    ("batch-diagonal", "...ii->...i", (2, 3, 3)),
    ("transpose", "ij->ji", (3, 4)),
    ("sum", "ij->", (3, 4)),
    ("sum-dim", "ijk->ik", (2, 3, 4)),
    ("ellipsis-broadcast", "...ij,...jk->...ik", (2, 1, 3, 4), (5, 4, 2)),
    ("ellipsis-elementwise", "...,...", (2, 3), (3,)),
    ("ellipsis-summed", "...ij,...jk->ik", (2, 3, 4), (2, 4, 5)),
    ("three", "ij,jk,kl->il", (2, 3), (3, 4), (4, 5)),
    ("three-vector", "i,ij,j->", (3,), (3, 4), (4,)),
    ("three-batch", "ijk,ijk,ijk->i", (2, 3, 4), (2, 3, 4), (2, 3, 4)),
    ("four-chain", "ab,bc,cd,de->ae", (5, 1), (1, 6), (6, 2), (2, 7)),
    ("repeated-with-other", "iij,jk->ik", (3, 3, 4), (4, 2)),
    ("contract-permuted", "ijk,lj->kli", (2, 3, 4), (5, 3)),
    ("uppercase", "Ab,bA->", (3, 4), (4, 3)),
    ("empty-contracted", "ij,jk->ik", (2, 0), (0, 3)),
    ("empty-batch", "bij,bjk->bik", (0, 2, 3), (0, 3, 4)),
    ("empty-out", "ij,jk->ik", (0, 3), (3, 4)),
    ("scalar-operand", "ij,->ij", (2, 3), ()),
]


def _einsum_samples(dtype, rng):
    for name, eq, *shapes in EINSUM_CASES:
        yield Sample((eq,) + _arrays(dtype, rng, *shapes), name=name)
    a, b = _arrays(dtype, rng, (3, 4), (4, 5))
    yield Sample(("ij,jk", [a, b]), name="operand-list")
    yield Sample((a, [0, 1], b, [1, 2], [0, 2]), name="sublist")
    yield Sample((a, [0, Ellipsis], b, [Ellipsis, 2]), name="sublist-implicit")


# NumPy cannot sum ellipsis dims away (PyTorch can): the same contraction with the dim named.
_NUMPY_EQUATION = {"...ij,...jk->ik": "zij,zjk->ik"}


def _einsum_ref(*args):
    if isinstance(args[0], str) and len(args) == 2 and isinstance(args[1], list):
        args = (args[0], *args[1])
    if isinstance(args[0], str):
        args = (_NUMPY_EQUATION.get(args[0], args[0]),) + args[1:]
    like = next(a for a in args if isinstance(a, np.ndarray))
    wide = [_wide(a) if isinstance(a, np.ndarray) else a for a in args]
    return _cast_like(np.einsum(*wide), like)


def _err(args, exc, match, name, kwargs=None):
    return ErrorInput(Sample(args, kwargs or {}, name), exc, match)


def _einsum_errors():
    rng = np.random.default_rng(0)
    f32, f64, i64 = (lambda *s, d=d: make_array(s, d, rng)
                     for d in ("float32", "float64", "int64"))
    return [
        _err(("ij,jk", f32(2, 3)), RuntimeError, "fewer operands were provided", "fewer"),
        _err(("ij", f32(2, 3), f32(2, 3)), RuntimeError, "more operands were provided", "more"),
        _err(("ij,jk", f32(2, 3), f32(2, 3, 4)), RuntimeError,
             r"the number of subscripts in the equation \(2\) does not match the number of "
             r"dimensions \(3\) for operand 1 and no ellipsis was given", "ndim"),
        _err(("...ijk", f32(3, 3)), RuntimeError,
             r"the number of subscripts in the equation \(3\) is more than the number of "
             r"dimensions \(2\) for operand 0", "ndim-ellipsis"),
        _err(("ij,jk", f32(2, 3), f32(2, 3)), RuntimeError,
             "subscript j has size 2 for operand 1 which does not broadcast with previously "
             "seen size 3", "size"),
        _err(("...ij,...jk", f32(2, 2, 3), f32(5, 3, 4)), RuntimeError,
             "dimension 0 covered by ellipsis in operand 1has size 5 which does not broadcast",
             "ellipsis-size"),
        _err(("ii", f32(2, 3)), RuntimeError,
             "subscript i is repeated for operand 0 but the sizes don't match, 3 != 2", "repeat"),
        _err(("ij->k", f32(2, 3)), RuntimeError,
             "output subscript k does not appear in the equation for any input operand", "out"),
        _err(("ij->ii", f32(2, 3)), RuntimeError,
             "output subscript i appears more than once in the output", "out-twice"),
        _err(("i.j", f32(2, 3)), RuntimeError,
             "found '.' for operand 0 that is not part of any ellipsis", "dot"),
        _err(("...i...", f32(2, 3)), RuntimeError,
             "found '.' for operand 0 for which an ellipsis was already found", "two-ellipses"),
        _err(("ij->i.", f32(2, 3)), RuntimeError,
             r"found '.' for output that is not part of any ellipsis \(\.\.\.\)", "out-dot"),
        _err(("i1", f32(2, 3)), RuntimeError,
             r"invalid subscript given at index 1 in the equation string, subscripts must be in "
             r"\[a-zA-Z\]", "subscript"),
        _err(("ij->ij->", f32(2, 3)), RuntimeError, "invalid subscript given at index 6",
             "two-arrows"),
        _err(("ij,jk", f32(2, 3), f64(3, 4)), RuntimeError,
             "expected scalar type Float but found Double", "dtype"),
        _err(("ij,jk", i64(2, 3) > 0, i64(3, 4) > 0), NotImplementedError,
             "\"bmm\" not implemented for 'Bool'", "bool"),
        _err((f32(2, 3), [0, 52]), ValueError,
             r"subscript in subscript list is not within the valid range \[0, 52\)", "sublist"),
        _err(("ij",), ValueError, "must specify the equation string and at least one operand",
             "no-operand"),
        _err((3, f32(2, 3)), TypeError, "argument 'equation' \\(position 1\\) must be str",
             "equation-type"),
        _err(("ij", 3), TypeError, "expected Tensor as element 0 in argument 1, but got int",
             "operand-type"),
    ]


# -- tensordot ------------------------------------------------------------------------------------

def _tensordot_samples(dtype, rng):
    yield Sample(_arrays(dtype, rng, (2, 3, 4), (3, 4, 5)), name="default")
    yield Sample(_arrays(dtype, rng, (2, 3), (3, 4)), {"dims": 1}, "dims1")
    yield Sample(_arrays(dtype, rng, (2, 3), (4,)), {"dims": 0}, "outer")
    yield Sample(_arrays(dtype, rng, (3, 4, 5), (4, 3, 2)), {"dims": ([0, 1], [1, 0])},
                 "lists")
    yield Sample(_arrays(dtype, rng, (3, 4, 5), (5, 2)), {"dims": ([-1], [0])}, "negative")
    yield Sample(_arrays(dtype, rng, (2, 3, 4), (4, 3)) + (np.array([[1, 2], [1, 0]]),),
                 name="tensor-dims")
    yield Sample(_arrays(dtype, rng, (2, 0), (0, 3)), {"dims": 1}, "empty-contracted")
    yield Sample(_arrays(dtype, rng, (0, 3), (3, 2)), {"dims": 1}, "empty-free")


def _tensordot_ref(a, b, dims=2):
    if isinstance(dims, np.ndarray):
        dims = dims.tolist()
    return _cast_like(np.tensordot(_wide(a), _wide(b), axes=dims), a)


def _tensordot_errors():
    rng = np.random.default_rng(0)
    a, b = _arrays("float32", rng, (2, 3, 4), (3, 4, 5))
    return [
        _err((a, b), RuntimeError, "tensordot expects dims >= 0, but got dims=-1", "negative",
             {"dims": -1}),
        _err((a, b), RuntimeError, "tensordot expects dims < ndim_a or ndim_b, but got dims=4",
             "too-many", {"dims": 4}),
        _err((a, b), RuntimeError, "contracted dimensions need to match, but first has size 4 "
             "in dim -1 and second has size 3 in dim 0", "mismatch", {"dims": 1}),
        _err((a, b), RuntimeError, "both dimension lists should have same length", "lengths",
             {"dims": ([1], [0, 1])}),
        _err((a, b.astype(np.float64)), RuntimeError, "both inputs should have same dtype",
             "dtype", {"dims": 2}),
        _err((a, b), RuntimeError, "dim 1 appears multiple times in the list of dims", "repeat",
             {"dims": ([1, 1], [0, 0])}),
        _err((a, b), IndexError, r"Dimension out of range \(expected to be in range of \[-3, 2\], "
             r"but got 5\)", "range", {"dims": ([5], [0])}),
        _err((a, b), TypeError, "argument 'dims_self' \\(position 3\\) must be tuple of ints",
             "int-pair", {"dims": (1, 0)}),
        _err((a, b), RuntimeError, "tensordot expects dims to be int or", "float", {"dims": 1.5}),
    ]


# -- kron -----------------------------------------------------------------------------------------

def _kron_samples(dtype, rng):
    yield Sample(_arrays(dtype, rng, (2, 3), (4, 5)), name="2d")
    yield Sample(_arrays(dtype, rng, (3,), (2, 4)), name="ndim-mismatch")
    yield Sample(_arrays(dtype, rng, (2, 2, 2), (2, 3)), name="3d")
    yield Sample(_arrays(dtype, rng, (), (2, 3)), name="0d")
    yield Sample(_arrays(dtype, rng, (0, 3), (2, 2)), name="empty")


def _kron_ref(a, b):
    return _cast_like(np.kron(_wide(a), _wide(b)), a)


def _kron_errors():
    a = np.ones((2, 3), np.float32)
    return [_err((a, 3), TypeError, "kron\\(\\): argument 'other' \\(position 2\\) must be Tensor, "
                 "not int", "other-type")]


# -- matrix chains --------------------------------------------------------------------------------

CHAINS = [
    ("three", (2, 3), (3, 4), (4, 5)),
    ("two", (3, 4), (4, 2)),
    ("uneven", (10, 1), (1, 10), (10, 1), (1, 10)),
    ("empty", (0, 3), (3, 4), (4, 2)),
]


def _chain_samples(dtype, rng):
    for name, *shapes in CHAINS:
        yield Sample(_arrays(dtype, rng, *shapes), name=name)


def _multi_dot_samples(dtype, rng):
    yield from _chain_samples(dtype, rng)
    yield Sample(_arrays(dtype, rng, (3,), (3, 4), (4, 2)), name="vector-first")
    yield Sample(_arrays(dtype, rng, (2, 3), (3, 4), (4,)), name="vector-last")
    yield Sample(_arrays(dtype, rng, (3,), (3, 4), (4,)), name="vectors")
    yield Sample(_arrays(dtype, rng, (5,), (5,)), name="dot")


def _multi_dot_ref(*arrays):
    return _cast_like(np.linalg.multi_dot([_wide(a) for a in arrays]), arrays[0])


def _chain_matmul(*matrices):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # deprecated, as in PyTorch
        return lm.chain_matmul(*matrices)


def _chain_matmul_ref(*arrays):
    return arrays[0].copy() if len(arrays) == 1 else _multi_dot_ref(*arrays)


def _chain_matmul_errors():
    a, v = np.ones((2, 3), np.float32), np.ones(3, np.float32)
    return [
        _err((), RuntimeError, "chain_matmul\\(\\): Expected one or more matrices", "none"),
        _err((v, a), RuntimeError, "Tensor dimension is 1, expected 2 instead.", "vector"),
        _err((a, a), RuntimeError, r"multi_dot\(\): tensors 0 and 1 with shapes \[2, 3\] and "
             r"\[2, 3\] cannot be multiplied", "shapes"),
    ]


def _multi_dot(*tensors):
    return lm.linalg.multi_dot(list(tensors))


def _multi_dot_errors():
    a, v = np.ones((2, 3), np.float32), np.ones(3, np.float32)
    c = np.ones((2, 2, 2), np.float32)
    return [
        _err((a,), RuntimeError, "multi_dot\\(\\): expected at least 2 tensors but got 1", "one"),
        _err((c, a), RuntimeError, "the first tensor must be 1D or 2D but got 3D", "first"),
        _err((a.T, c), RuntimeError, "the last tensor must be 1D or 2D but got 3D", "last"),
        _err((a, v, a), RuntimeError, "multi_dot\\(\\): tensor 1 must be 2D but got 1D", "middle"),
        _err((a, a.T.astype(np.float64)), RuntimeError, "all tensors must have be the same "
             "dtype but tensor 0 is float and tensor 1 double", "dtype"),
        _err((a, a), RuntimeError, r"tensors 0 and 1 with shapes \[2, 3\] and \[2, 3\] cannot "
             "be multiplied", "shapes"),
        _err((a.astype(bool), a.T.astype(bool)), NotImplementedError,
             "\"addmm_impl_cpu_\" not implemented for 'Bool'", "bool"),
    ]


# -- vecdot and matmul ----------------------------------------------------------------------------

def _vecdot_samples(dtype, rng):
    yield Sample(_arrays(dtype, rng, (2, 3), (2, 3)), name="rows")
    yield Sample(_arrays(dtype, rng, (3, 2), (3, 2)), {"dim": 0}, "dim0")
    yield Sample(_arrays(dtype, rng, (2, 3), (4, 1, 3)), name="broadcast")
    yield Sample(_arrays(dtype, rng, (2, 3), (3,)), name="broadcast-vector")
    yield Sample(_arrays(dtype, rng, (3, 1), (2,)), {"dim": -2}, "broadcast-dim")
    yield Sample(_arrays(dtype, rng, (5,), (5,)), name="vectors")
    yield Sample(_arrays(dtype, rng, (0, 3), (0, 3)), name="empty-batch")
    yield Sample(_arrays(dtype, rng, (2, 0), (2, 0)), name="empty-dim")


def _vecdot_ref(x, y, dim=-1):
    return _cast_like(np.sum(np.conj(_wide(x)) * _wide(y), axis=dim), x)


def _vecdot_errors():
    x = np.ones((2, 3), np.float32)
    return [
        _err((x.astype(np.int64), x.astype(np.int64)), RuntimeError, "linalg.vecdot: Expected a "
             "floating point or complex tensor as input. Got Long", "int"),
        _err((x, x.astype(np.float64)), RuntimeError, "linalg.vecdot: Expected x and y to have "
             "the same dtype, but found x of type Float and y of type Double instead", "dtype"),
        _err((x, np.ones((2, 4), np.float32)), RuntimeError, r"The size of tensor a \(3\) must "
             r"match the size of tensor b \(4\) at non-singleton dimension 1", "broadcast"),
        _err((x, x), IndexError, "Dimension out of range", "dim", {"dim": 2}),
        _err((np.ones(3, np.float32), np.ones(4, np.float32)), RuntimeError,
             "inconsistent tensor size", "vectors"),
    ]


def _matmul_samples(dtype, rng):
    yield Sample(_arrays(dtype, rng, (2, 3), (3, 4)), name="2d")
    yield Sample(_arrays(dtype, rng, (2, 3, 4), (2, 4, 5)), name="batched")
    yield Sample(_arrays(dtype, rng, (2, 1, 3, 4), (5, 4, 2)), name="broadcast")
    yield Sample(_arrays(dtype, rng, (3,), (3, 4)), name="vector-matrix")


def _matmul_ref(a, b):
    return _cast_like(np.matmul(_wide(a), _wide(b)), a)


OPS = [
    OpInfo("einsum", lm.einsum, _einsum_ref, _einsum_samples, dtypes=DTYPES, tol=TOL,
           errors=_einsum_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("tensordot", lm.tensordot, _tensordot_ref, _tensordot_samples, dtypes=DTYPES, tol=TOL,
           errors=_tensordot_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("kron", lm.kron, _kron_ref, _kron_samples, dtypes=DTYPES + ("bool",), method="kron",
           tol=TOL, errors=_kron_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("chain_matmul", _chain_matmul, _chain_matmul_ref, _chain_samples, dtypes=DTYPES,
           tol=TOL, errors=_chain_matmul_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.multi_dot", _multi_dot, _multi_dot_ref, _multi_dot_samples, dtypes=DTYPES,
           tol=TOL, errors=_multi_dot_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.vecdot", lm.linalg.vecdot, _vecdot_ref, _vecdot_samples,
           dtypes=FLOATING + COMPLEX, tol=TOL, errors=_vecdot_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.matmul", lm.linalg.matmul, _matmul_ref, _matmul_samples, dtypes=DTYPES,
           tol=TOL, grad=True, fwgrad=True, gradgrad=True, vmap=True),
]
