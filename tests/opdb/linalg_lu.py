"""Op table entries for the LU family (lamina/linalg/_lu.py): factorizations, solves, inverses and
determinants, and torch's top-level det, logdet, slogdet, inverse, lu, lu_solve, lu_unpack.

References are SciPy's getrf (scipy.linalg.lu_factor, one matrix at a time, in the input's
precision) and NumPy's solve/inv/det/slogdet. Inputs are well conditioned (X + n I, X uniform in
[-1, 1)), so partial pivoting picks the same rows in lamina's tiny loops and in LAPACK and the
factors can be compared directly. Sizes cover the tiny-kernel range (1..8) and LAPACK's (17, 40),
batches of odd length, broadcast batches, empty batches and 0 x 0 matrices.
"""

import warnings

import numpy as np
import scipy.linalg as sla

import lamina as lm
from opdb import COMPLEX, FLOATING, ErrorInput, OpInfo, Sample

DTYPES = FLOATING + COMPLEX
TOL = {"float32": (2e-4, 2e-5), "complex64": (2e-4, 2e-5), "float64": (1e-9, 1e-11),
       "complex128": (1e-9, 1e-11)}


def _rand(shape, dtype, rng):
    x = rng.uniform(-1, 1, shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.uniform(-1, 1, shape)
    return x


def _well(shape, dtype, rng):
    """Batches of well-conditioned (m, n) matrices: X + max(m, n) I."""
    m, n = shape[-2:]
    return (_rand(shape, dtype, rng) + max(m, n) * np.eye(m, n)).astype(dtype)


def _mixed(shape, dtype, rng):
    """Square matrices that need row swaps: a row permutation of a well-conditioned one."""
    a = _well(shape, dtype, rng)
    return a[..., rng.permutation(shape[-1]), :].copy()


SQUARE = [((3, 3), "3x3"), ((1, 1), "1x1"), ((2, 2), "2x2"), ((4, 4), "4x4"), ((5, 5), "5x5"),
          ((8, 8), "8x8"), ((17, 17), "17x17"), ((40, 40), "40x40"), ((3, 4, 4), "batch3-4x4"),
          ((2, 3, 6, 6), "batch2x3-6x6"), ((5, 17, 17), "batch5-17x17"), ((0, 3, 3), "empty"),
          ((0, 0), "0x0"), ((2, 0, 0), "batch-0x0")]


def _square_samples(dtype, rng):
    for shape, name in SQUARE:
        yield Sample((_mixed(shape, dtype, rng),), name=name)


def _det_samples(dtype, rng):
    """As _square_samples, scaled by 1/n so that a 40x40 determinant stays in float32's range."""
    for shape, name in SQUARE:
        yield Sample(((_mixed(shape, dtype, rng) / max(1, shape[-1])).astype(dtype),), name=name)


def _logdet_grad_samples(dtype, rng):
    """Hermitian positive definite: log(det) is real there, with no NaN region (a negative real
    determinant) or branch cut nearby for the finite differences to cross."""
    for shape, name in SQUARE:
        a = _well(shape, dtype, rng) / max(1, shape[-1])
        yield Sample(((a @ a.conj().swapaxes(-1, -2)).astype(dtype),), name=name)


def _rect_samples(dtype, rng):
    yield from _square_samples(dtype, rng)
    for shape, name in [((3, 5), "wide"), ((5, 3), "tall"), ((3, 2, 7), "batch-wide"),
                        ((20, 9), "tall-lapack"), ((1, 4), "row"), ((4, 1), "column")]:
        yield Sample((_rand(shape, dtype, rng).astype(dtype),), name=name)


# -- references ---------------------------------------------------------------------------------

def _per_matrix(fn, a, *outs):
    """Apply `fn` (one matrix -> tuple of arrays) over a's batch; `outs` are the per-matrix
    (shape, dtype) of each result, used when the batch is empty."""
    batch = a.shape[:-2]
    flat = a.reshape((int(np.prod(batch)),) + a.shape[-2:])
    results = [np.empty((flat.shape[0],) + s, d) for s, d in outs]
    for i in range(flat.shape[0]):
        for r, v in zip(results, fn(flat[i])):
            r[i] = v
    return tuple(r.reshape(batch + r.shape[1:]) for r in results)


def _getrf(a):
    """SciPy's getrf of one matrix (any shape): LU and 1-based int32 pivots."""
    m, n = a.shape
    if m == 0 or n == 0:
        return a.copy(), np.zeros(0, np.int32)
    lu, piv = sla.lu_factor(a, check_finite=False) if m == n else _getrf_rect(a)
    return lu, piv.astype(np.int32) + 1


def _getrf_rect(a):
    lu, piv, _ = sla.lapack.get_lapack_funcs("getrf", (a,))(a)
    return lu, piv


def _lu_factor_ref(A, pivot=True):
    m, n = A.shape[-2:]
    return _per_matrix(_getrf, A, ((m, n), A.dtype), ((min(m, n),), np.int32))


def _lu_factor_ex_ref(A, pivot=True):
    return _lu_factor_ref(A) + (np.zeros(A.shape[:-2], np.int32),)


def _permutation(piv, m, dtype):
    r = np.arange(m)
    for i, p in enumerate(piv - 1):
        r[i], r[p] = r[p], r[i]
    return (np.arange(m)[:, None] == r[None, :]).astype(dtype)


def _unpack_ref(LU, piv, unpack_data=True, unpack_pivots=True):
    m, n = LU.shape[-2:]
    k = min(m, n)
    L = np.tril(LU[..., :, :k], -1) + np.eye(m, k, dtype=LU.dtype)
    U = np.triu(LU[..., :k, :])
    P = np.empty(piv.shape[:-1] + (m, m), LU.dtype)
    for idx in np.ndindex(piv.shape[:-1]):
        P[idx] = _permutation(piv[idx], m, LU.dtype)
    none = np.empty(0, LU.dtype)
    return (P if unpack_pivots else none, L if unpack_data else none,
            U if unpack_data else none)


def _lu_ref(A, pivot=True):
    return _unpack_ref(*_lu_factor_ref(A))


def _reconstruct(LU, piv):
    P, L, U = _unpack_ref(LU, piv)
    return P @ L @ U


def _wide(a):
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def _solve_ref(A, B, left=True):
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    Bm = B[..., None] if vector else B
    a, b = _wide(A), _wide(Bm)
    if not left:
        a, b = a.swapaxes(-1, -2), b.swapaxes(-1, -2)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    x = np.linalg.solve(a, b) if a.size and b.size else np.zeros(b.shape)
    if not left:
        x = x.swapaxes(-1, -2)
    if vector:
        x = x[..., 0]
    return x.astype(A.dtype)


def _solve_ex_ref(A, B, left=True):
    return _solve_ref(A, B, left), np.zeros(A.shape[:-2], np.int32)


def _lu_solve_ref(LU, piv, B, left=True, adjoint=False):
    A = _reconstruct(_wide(LU), piv)
    if adjoint:
        A = A.conj().swapaxes(-1, -2)
    return _solve_ref(A, _wide(B), left).astype(LU.dtype)


def _inv_ref(A):
    return (np.linalg.inv(_wide(A)) if A.size else np.zeros(A.shape)).astype(A.dtype)


def _inv_ex_ref(A):
    return _inv_ref(A), np.zeros(A.shape[:-2], np.int32)


def _det_ref(A):
    return np.asarray(np.linalg.det(_wide(A)) if A.size else np.ones(A.shape[:-2])
                      ).astype(A.dtype)


def _slogdet_ref(A):
    if A.size:
        sign, logabs = np.linalg.slogdet(_wide(A))
    else:
        sign, logabs = np.ones(A.shape[:-2]), np.zeros(A.shape[:-2])
    return np.asarray(sign).astype(A.dtype), np.asarray(logabs).astype(A.real.dtype)


def _logdet_ref(A):
    sign, logabs = _slogdet_ref(A)
    if A.dtype.kind == "c":
        with np.errstate(divide="ignore"):
            return (np.log(sign) + logabs).astype(A.dtype)
    return np.where(sign == -1, np.nan, logabs).astype(A.dtype)


# -- samples with two operands ------------------------------------------------------------------

# (id, A's shape, B's shape, kwargs): vectors and matrices, torch's vector rule, broadcasting
# batches both ways, right-hand solves, tiny and LAPACK sizes.
SOLVE_CASES = [
    ("mat", (3, 3), (3, 2), {}),
    ("vec", (3, 3), (3,), {}),
    ("batch-vec", (5, 3, 3), (5, 3), {}),
    ("batchA-vec", (3, 4, 4), (4,), {}),
    ("vec-rule-square", (3, 3, 3), (3, 3), {}),
    ("broadcast", (2, 1, 4, 4), (5, 4, 2), {}),
    ("broadcastA", (4, 4), (3, 4, 1), {}),
    ("left-false", (3, 3), (2, 3), {"left": False}),
    ("left-false-batch", (3, 5, 5), (3, 2, 5), {"left": False}),
    ("1x1", (1, 1), (1, 3), {}),
    ("8x8", (3, 8, 8), (3, 8, 8), {}),
    ("17x17", (3, 17, 17), (17, 5), {}),
    # many right-hand sides: the row-wise path, in blocks of 32 columns (70 = 32 + 32 + 6)
    ("many-rhs-blocks", (3, 5, 5), (3, 5, 70), {}),
    ("many-rhs-broadcastA", (4, 4), (3, 4, 6), {}),
    ("many-rhs-left-false", (2, 6, 6), (9, 6), {"left": False}),
    ("40x40", (40, 40), (40, 3), {}),
    ("lapack-left-false", (2, 17, 17), (4, 17), {"left": False}),
    ("empty-batch", (0, 3, 3), (0, 3, 2), {}),
    ("0x0", (0, 0), (0, 2), {}),
    ("no-rhs", (3, 3), (3, 0), {}),
]


def _solve_samples(dtype, rng):
    for name, sa, sb, kw in SOLVE_CASES:
        yield Sample((_mixed(sa, dtype, rng), _rand(sb, dtype, rng).astype(dtype)), kw, name)


LU_SOLVE_CASES = [
    ("mat", (), 3, (3, 2), {}),
    ("batch", (3,), 4, (3, 4, 2), {}),
    ("broadcastB", (), 4, (5, 4, 2), {}),
    ("broadcastLU", (3,), 4, (2, 1, 4, 2), {}),
    ("adjoint", (2,), 3, (2, 3, 3), {"adjoint": True}),
    ("left-false", (), 3, (2, 3), {"left": False}),
    ("left-false-adjoint", (2,), 3, (2, 4, 3), {"left": False, "adjoint": True}),
    ("1x1", (), 1, (1, 2), {}),
    ("8x8", (3,), 8, (3, 8, 1), {"adjoint": True}),
    ("17x17", (3,), 17, (3, 17, 2), {}),
    ("many-rhs", (3,), 5, (3, 5, 40), {}),
    ("many-rhs-broadcastLU", (), 6, (2, 6, 7), {}),
    ("17x17-adjoint", (), 17, (17, 3), {"adjoint": True}),
    ("17x17-left-false-adjoint", (2,), 17, (3, 17), {"left": False, "adjoint": True}),
    ("empty", (0,), 3, (0, 3, 2), {}),
]


def _factored(batch, n, dtype, rng):
    A = _mixed(batch + (n, n), dtype, rng)
    return _lu_factor_ref(A)


def _lu_solve_samples(dtype, rng):
    for name, batch, n, sb, kw in LU_SOLVE_CASES:
        LU, piv = _factored(batch, n, dtype, rng)
        yield Sample((LU, piv, _rand(sb, dtype, rng).astype(dtype)), kw, name)


def _lu_solve_old_samples(dtype, rng):
    for s in _lu_solve_samples(dtype, rng):
        if not s.kwargs:
            LU, piv, B = s.args
            yield Sample((B, LU, piv), name=s.name)


def _lu_solve_old_ref(b, LU, piv):
    return _lu_solve_ref(LU, piv, b)


def _unpack_samples(dtype, rng):
    for shape, name in [((3, 3), "3x3"), ((2, 4, 4), "batch"), ((3, 5), "wide"),
                        ((5, 3), "tall"), ((17, 17), "17x17"), ((0, 3, 3), "empty")]:
        a = _rand(shape, dtype, rng).astype(dtype)
        LU, piv = _lu_factor_ref(a)
        yield Sample((LU, piv), name=name)
        if name == "3x3":
            yield Sample((LU, piv, False), name="no-data")
            yield Sample((LU, piv), {"unpack_pivots": False}, "no-pivots")


# -- the deprecated spellings -------------------------------------------------------------------

def _torch_lu(A, pivot=True, get_infos=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # deprecated, as in PyTorch
        return lm.lu(A, pivot=pivot, get_infos=get_infos)


def _torch_lu_ref(A, pivot=True, get_infos=False):
    return _lu_factor_ex_ref(A) if get_infos else _lu_factor_ref(A)


def _torch_lu_samples(dtype, rng):
    yield from _rect_samples(dtype, rng)
    yield Sample((_mixed((2, 3, 3), dtype, rng),), {"get_infos": True}, "get-infos")


def _torch_lu_solve(b, LU, piv):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return lm.lu_solve(b, LU, piv)


# -- errors -------------------------------------------------------------------------------------

def _err(args, exc, match, name, kwargs=None):
    return ErrorInput(Sample(args, kwargs or {}, name), exc, match)


SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]])
BATCH_SINGULAR = np.stack([np.eye(3), SINGULAR])
F64 = np.ones((3, 3))
VEC = np.ones(3)
HALF = np.ones((3, 3), np.float16)
LONG = np.ones((3, 3), np.int64)


def _factor_errors(name, check):
    out = [
        _err((VEC,), RuntimeError, r"torch.lu_factor: Expected tensor with 2 or more dimensions. "
             r"Got size: \[3\] instead", "1d"),
        _err((LONG,), NotImplementedError, "\"lu_cpu\" not implemented for 'Long'", "int"),
        _err((HALF,), NotImplementedError, "\"lu_cpu\" not implemented for 'Half'", "half"),
        _err((F64,), RuntimeError, "linalg.lu_factor: LU without pivoting is not implemented on "
             "the CPU", "no-pivot", {"pivot": False}),
    ]
    if check is not None:
        kw = {"check_errors": True} if check else {}
        out += [
            _err((SINGULAR,), RuntimeError, rf"^torch.linalg.{name}: U\[3,3\] is zero and using "
                 r"it on lu_solve would result in a division by zero. If you still want to "
                 r"perform the factorization, consider calling linalg.lu\(A, pivot\) or "
                 r"linalg.lu_factor_ex\(A, pivot\)$", "singular", kw),
            _err((BATCH_SINGULAR,), RuntimeError, rf"^torch.linalg.{name}: \(Batch element 1\): "
                 r"U\[3,3\] is zero", "batch-singular", kw),
        ]
    return out


def _lu_factor_errors():
    return _factor_errors("lu_factor", False)


def _lu_factor_ex_errors():
    return _factor_errors("lu_factor_ex", True)


def _lu_errors():
    return [
        _err((VEC,), RuntimeError, r"linalg.lu: Expected tensor with 2 or more dimensions. Got "
             r"size: \[3\] instead", "1d"),
        _err((LONG,), NotImplementedError, "\"lu_cpu\" not implemented for 'Long'", "int"),
        _err((F64,), RuntimeError, "LU without pivoting is not implemented on the CPU",
             "no-pivot", {"pivot": False}),
    ]


def _torch_lu_errors():
    return _factor_errors("lu", None)


def _square_errors(name, half_exc, half_match):
    return [
        _err((VEC,), RuntimeError, f"{name}: The input tensor A must have at least 2 "
             "dimensions.", "1d"),
        _err((np.ones((3, 4)),), RuntimeError, f"{name}: A must be batches of square matrices, "
             "but they are 3 by 4 matrices", "rect"),
        _err((LONG,), RuntimeError, f"{name}: Expected a floating point or complex tensor as "
             "input. Got Long", "int"),
        _err((HALF,), half_exc, half_match, "half"),
    ]


def _inv_errors(name="linalg.inv", ex=False):
    kw = {"check_errors": True} if ex else {}
    return _square_errors("linalg.inv", RuntimeError,
                          "linalg.inv: Low precision dtypes not supported. Got Half") + [
        _err((SINGULAR,), lm.linalg.LinAlgError, rf"^{name}: The diagonal element 3 is zero, "
             "the inversion could not be completed because the input matrix is singular.$",
             "singular", kw),
        _err((BATCH_SINGULAR,), lm.linalg.LinAlgError, rf"^{name}: \(Batch element 1\): The "
             "diagonal element 3 is zero", "batch-singular", kw),
    ]


def _inv_ex_errors():
    return _inv_errors("linalg.inv_ex", True)


def _det_errors():
    return _square_errors("linalg.det", NotImplementedError,
                          "\"lu_cpu\" not implemented for 'Half'")


def _slogdet_errors():
    return _square_errors("linalg.slogdet", RuntimeError,
                          "linalg.slogdet: Low precision dtypes not supported. Got Half")


def _logdet_errors():
    return _square_errors("logdet", RuntimeError,
                          "logdet: Low precision dtypes not supported. Got Half")


def _solve_errors(name="torch.linalg.solve", ex=False):
    kw = {"check_errors": True} if ex else {}
    f32 = np.ones(3, np.float32)
    return [
        _err((VEC, VEC), RuntimeError, "linalg.solve: The input tensor A must have at least 2 "
             "dimensions.", "1d"),
        _err((np.ones((3, 4)), VEC), RuntimeError, "linalg.solve: A must be batches of square "
             "matrices, but they are 3 by 4 matrices", "rect"),
        _err((LONG, LONG[0]), RuntimeError, "linalg.solve: Expected a floating point or complex "
             "tensor as input. Got Long", "int"),
        _err((HALF, HALF[0]), NotImplementedError, "\"lu_cpu\" not implemented for 'Half'",
             "half"),
        _err((F64, f32), RuntimeError, "linalg.solve: Expected A and B to have the same dtype, "
             "but found A of type Double and B of type Float instead", "dtypes"),
        _err((F64, np.ones((4, 2))), RuntimeError, r"linalg.solve: Incompatible shapes of A and "
             r"B for the equation AX = B \(3x3 and 4x2\)", "shapes"),
        _err((F64, VEC), RuntimeError, r"linalg.solve: Incompatible shapes of A and B for the "
             r"equation XA = B \(3x3 and 3x1\)", "left-false-vector", {"left": False}),
        _err((np.ones((4, 3, 3)), np.ones((2, 3))), RuntimeError, r"Incompatible shapes of A "
             r"and B for the equation AX = B \(3x3 and 2x3\)", "vector-batch"),
        _err((np.ones((2, 3, 3)), np.ones((3, 3, 2))), RuntimeError, r"The size of tensor a "
             r"\(3\) must match the size of tensor b \(2\) at non-singleton dimension 0",
             "broadcast"),
        _err((SINGULAR, VEC), lm.linalg.LinAlgError, rf"^{name}: The solver failed because the "
             "input matrix is singular.$", "singular", kw),
        _err((BATCH_SINGULAR, np.ones((2, 3))), lm.linalg.LinAlgError, rf"^{name}: \(Batch "
             r"element 1\): The solver failed", "batch-singular", kw),
    ]


def _solve_ex_errors():
    return _solve_errors("torch.linalg.solve_ex", True)


def _lu_solve_errors():
    LU, piv = _lu_factor_ref(np.eye(3) * 2)
    B = np.ones((3, 2))
    name = "linalg.lu_solve"
    return [
        _err((LU.astype(np.int64), piv, B.astype(np.int64)), RuntimeError, "torch.linalg."
             "lu_solve: Expected a floating point or complex tensor as input. Got Long", "int"),
        _err((LU.astype(np.float16), piv, B.astype(np.float16)), NotImplementedError,
             "\"linalg.lu_solve_cpu\" not implemented for 'Half'", "half"),
        _err((LU, piv, B.astype(np.float32)), RuntimeError, f"{name}: Expected LU and B to have "
             "the same dtype, but found LU of type Double and B of type Float instead", "dtypes"),
        _err((LU, piv.astype(np.int64), B), RuntimeError, f"{name}: pivots should be a Tensor of "
             "scalar type torch.int32", "pivot-dtype"),
        _err((np.ones((3, 4)), piv, B), RuntimeError, "torch.linalg.lu_solve: A must be batches "
             "of square matrices, but they are 3 by 4 matrices", "rect"),
        _err((LU, piv, np.ones(3)), RuntimeError, f"{name}: The input tensor B must have at "
             "least 2 dimensions.", "vector"),
        _err((LU, piv, np.ones((4, 2))), RuntimeError, rf"{name}: Incompatible shapes of A and "
             r"B for the equation AX = B \(3x3 and 4x2\)", "shapes"),
        _err((LU, piv, np.ones((2, 4))), RuntimeError, rf"{name}: Incompatible shapes of A and "
             r"B for the equation XA = B \(3x3 and 2x4\)", "shapes-right", {"left": False}),
        _err((LU, piv[:2], B), RuntimeError, f"{name}: Number of pivots per batch should be "
             "same as the dimension of the matrix", "pivot-count"),
        _err((np.stack([LU] * 4), piv, np.ones((4, 3, 2))), RuntimeError, rf"{name}: Expected "
             r"LU.shape\[:-1\] and pivots.shape to be the same, but got pivots with shape \[3\] "
             "instead", "pivot-batch"),
        _err((LU, np.array([0, 2, 3], np.int32), B), RuntimeError, "Pivots given to lu_solve "
             r"must all be greater or equal to 1. Did you properly pass the result of "
             r"lu_factor\?", "pivot-zero"),
        _err((LU, np.array([5, 2, 3], np.int32), B), RuntimeError, "Pivots given to lu_solve "
             r"must all be smaller or equal to LU.size\(-2\).", "pivot-large"),
        _err((np.stack([LU] * 2), np.stack([piv] * 2), np.ones((3, 3, 2))), RuntimeError,
             r"The size of tensor a \(3\) must match the size of tensor b \(2\)", "broadcast"),
    ]


def _lu_unpack_errors():
    LU, piv = _lu_factor_ref(np.eye(3) * 2)
    return [
        _err((VEC, piv), RuntimeError, r"torch.lu_unpack: Expected tensor with 2 or more "
             r"dimensions. Got size: \[3\] instead", "1d"),
        _err((LU, piv.astype(np.int64)), RuntimeError, "torch.lu_unpack: LU_pivots is expected "
             "to be a contiguous tensor of torch.int32 dtype.", "pivot-dtype"),
        _err((LU, np.array([1, 4, 3], np.int32)), RuntimeError, "pivots passed to lu_unpack "
             "must be between 1 and LU.size\\(-2\\) inclusive.", "pivot-range"),
        _err((LU, np.array([0, 2, 3], np.int32)), RuntimeError, "pivots passed to lu_unpack "
             "must be between 1 and LU.size\\(-2\\) inclusive.", "pivot-zero"),
    ]


OPS = [
    OpInfo("linalg.lu_factor", lm.linalg.lu_factor, _lu_factor_ref, _rect_samples,
           dtypes=DTYPES, tol=TOL, errors=_lu_factor_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.lu_factor_ex", lm.linalg.lu_factor_ex, _lu_factor_ex_ref, _rect_samples,
           dtypes=DTYPES, tol=TOL, errors=_lu_factor_ex_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.lu", lm.linalg.lu, _lu_ref, _rect_samples, dtypes=DTYPES, tol=TOL,
           errors=_lu_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("lu", _torch_lu, _torch_lu_ref, _torch_lu_samples, dtypes=DTYPES, method="lu", tol=TOL,
           errors=_torch_lu_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("lu_unpack", lm.lu_unpack, _unpack_ref, _unpack_samples, dtypes=DTYPES, tol=TOL,
           errors=_lu_unpack_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.lu_solve", lm.linalg.lu_solve, _lu_solve_ref, _lu_solve_samples,
           dtypes=DTYPES, tol=TOL, errors=_lu_solve_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("lu_solve", _torch_lu_solve, _lu_solve_old_ref, _lu_solve_old_samples, dtypes=DTYPES,
           method="lu_solve",
           tol=TOL, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.solve", lm.linalg.solve, _solve_ref, _solve_samples, dtypes=DTYPES, tol=TOL,
           errors=_solve_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.solve_ex", lm.linalg.solve_ex, _solve_ex_ref, _solve_samples, dtypes=DTYPES,
           tol=TOL, errors=_solve_ex_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.inv", lm.linalg.inv, _inv_ref, _square_samples, dtypes=DTYPES, tol=TOL,
           errors=_inv_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.inv_ex", lm.linalg.inv_ex, _inv_ex_ref, _square_samples, dtypes=DTYPES,
           tol=TOL, errors=_inv_ex_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("inverse", lm.inverse, _inv_ref, _square_samples, dtypes=DTYPES, method="inverse",
           tol=TOL, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.det", lm.linalg.det, _det_ref, _det_samples, dtypes=DTYPES, tol=TOL,
           errors=_det_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("det", lm.det, _det_ref, _det_samples, dtypes=DTYPES, method="det", tol=TOL,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.slogdet", lm.linalg.slogdet, _slogdet_ref, _det_samples, dtypes=DTYPES,
           tol=TOL, errors=_slogdet_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("slogdet", lm.slogdet, _slogdet_ref, _det_samples, dtypes=DTYPES,
           method="slogdet", tol=TOL, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("logdet", lm.logdet, _logdet_ref, _det_samples, dtypes=DTYPES, method="logdet",
           tol=TOL, errors=_logdet_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True, grad_samples=_logdet_grad_samples),
]
