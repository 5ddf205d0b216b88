"""Op table entries for linalg.ldl_factor, ldl_factor_ex and ldl_solve (lamina/linalg/_ldl.py).

PyTorch's LD and pivots are exactly LAPACK's lower Bunch-Kaufman factorization of the
column-major matrix, so the reference is SciPy's ?sytrf/?hetrf(lower=1) per matrix (upper
triangle zeroed) and ?sytrs/?hetrs for the solve. Matrices are random and not symmetric: only
the lower triangle may be read, which the reference does too. They are indefinite, so the
pivoting takes 2x2 blocks; hand tests in test_linalg_ldl.py check A X = B against A itself.
"""

import numpy as np
import scipy.linalg.lapack as lapack

import lamina as lm
from opdb import FLOAT_AND_COMPLEX, ErrorInput, OpInfo, Sample, make_array

TOL = {"float32": (1e-4, 1e-5), "complex64": (1e-4, 1e-5), "float64": (1e-10, 1e-12),
       "complex128": (1e-10, 1e-12)}
PREFIX = {"float32": "s", "float64": "d", "complex64": "c", "complex128": "z"}

# (id, shape): single, batched, empty batch, 0x0, sizes 1..8 and larger, an odd batch, and one
# with enough work that two threads split it.
SHAPES = [
    ("4x4", (4, 4)),
    ("1x1", (1, 1)),
    ("batched", (3, 5, 5)),
    ("batch-dims", (2, 3, 3, 3)),
    ("empty-batch", (0, 4, 4)),
    ("0x0", (0, 0)),
    ("empty-matrices", (2, 0, 0)),
    ("2x2", (2, 2)),
    ("8x8", (8, 8)),
    ("17x17", (17, 17)),
    ("40x40", (40, 40)),
    ("odd-batch", (7, 6, 6)),
    ("threaded", (65, 26, 26)),
]


def _routine(dtype, hermitian, kind):
    complex_ = np.dtype(dtype).kind == "c"
    return getattr(lapack, PREFIX[np.dtype(dtype).name] + ("he" if hermitian and complex_
                                                           else "sy") + kind)


def ldl_ex_ref(a, *, hermitian=False, check_errors=False):
    n = a.shape[-1]
    ld = np.zeros(a.shape, a.dtype)
    pivots = np.zeros(a.shape[:-1], np.int32)
    info = np.zeros(a.shape[:-2], np.int32)
    trf = _routine(a.dtype, hermitian, "trf")
    for idx in np.ndindex(*a.shape[:-2]):
        if n:
            f, pivots[idx], info[idx] = trf(a[idx], lower=1)
            ld[idx] = np.tril(f)
    return ld, pivots, info


def ldl_ref(a, *, hermitian=False):
    return ldl_ex_ref(a, hermitian=hermitian)[:2]


def _factor_samples(dtype, rng):
    hermitians = (False, True)
    for name, shape in SHAPES:
        for hermitian in hermitians:
            yield Sample((make_array(shape, dtype, rng),), {"hermitian": hermitian},
                         f"{name}-{'hermitian' if hermitian else 'symmetric'}")


def _factor_ex_samples(dtype, rng):
    yield from _factor_samples(dtype, rng)
    singular = make_array((3, 4, 4), dtype, rng)
    singular[1] = 0         # D(1, 1) exactly zero: info 1, no error
    yield Sample((singular,), name="singular")
    yield Sample((singular,), {"check_errors": False, "hermitian": True}, "singular-hermitian")


def _factored(shape, dtype, rng, hermitian):
    """(LD, pivots) of a random well-conditioned indefinite matrix, from SciPy."""
    a = make_array(shape, dtype, rng)
    a = a + (a.conj() if hermitian else a).swapaxes(-1, -2)
    n = shape[-1]
    a[..., range(n), range(n)] += np.where(np.arange(n) % 2, 8, -8)   # indefinite, cond ~ 10
    ld, pivots, _ = ldl_ex_ref(a, hermitian=hermitian)
    return ld, pivots


def _solve_samples(dtype, rng):
    # (id, LD shape, B shape): broadcast both ways, empty batch, 0x0, no right-hand side.
    cases = [
        ("4x4", (4, 4), (4, 2)),
        ("1x1", (1, 1), (1, 1)),
        ("batched", (3, 5, 5), (3, 5, 2)),
        ("broadcast-B", (5, 5), (3, 5, 2)),
        ("broadcast-LD", (2, 1, 4, 4), (3, 4, 1)),
        ("empty-batch", (0, 4, 4), (0, 4, 2)),
        ("0x0", (0, 0), (0, 2)),
        ("k0", (4, 4), (4, 0)),
        ("8x8", (8, 8), (8, 8)),
        ("40x40", (40, 40), (40, 3)),
        ("threaded", (65, 32, 32), (65, 32, 16)),
    ]
    for name, ldshape, bshape in cases:
        for hermitian in (False, True):
            ld, pivots = _factored(ldshape, dtype, rng, hermitian)
            b = make_array(bshape, dtype, rng)
            yield Sample((ld, pivots, b), {"hermitian": hermitian},
                         f"{name}-{'hermitian' if hermitian else 'symmetric'}")
    ld, pivots = _factored((6, 6), dtype, rng, False)
    yield Sample((ld, pivots.astype(np.int64), make_array((6, 2), dtype, rng)),
                 name="int64-pivots")


def ldl_solve_ref(ld, pivots, b, *, hermitian=False):
    batch = np.broadcast_shapes(b.shape[:-2], ld.shape[:-2])
    n, k = ld.shape[-1], b.shape[-1]
    x = np.zeros(batch + (n, k), ld.dtype)
    trs = _routine(ld.dtype, hermitian, "trs")
    ld = np.broadcast_to(ld, batch + (n, n))
    pivots = np.broadcast_to(pivots, batch + (n,)).astype(np.int32)
    b = np.broadcast_to(b, batch + (n, k))
    for idx in np.ndindex(*batch):
        if n and k:
            x[idx] = trs(ld[idx], pivots[idx], b[idx], lower=1)[0]
    return x


def _err(args, exc, match, name, kwargs=None):
    return ErrorInput(Sample(args, kwargs or {}, name), exc, match)


def _factor_errors(fn):
    def errors():
        rng = np.random.default_rng(0)
        a = make_array((3, 3), "float64", rng)
        singular = np.stack([a, np.zeros((3, 3))])
        name = r"torch\.linalg\.ldl_factor_ex: "
        cases = [
            _err((a.tolist(),), TypeError, fr"{fn}\(\): argument 'input' \(position 1\) must be "
                 "Tensor, not list", "input-type"),
            _err((a,), TypeError, fr"{fn}\(\): argument 'hermitian' must be bool, not int",
                 "hermitian-type", {"hermitian": 1}),
            _err((a[0],), RuntimeError, name + "The input tensor A must have at least 2 "
                 "dimensions.", "1d"),
            _err((a[:2],), RuntimeError, name + "A must be batches of square matrices, but they "
                 "are 2 by 3 matrices", "non-square"),
            _err((a.astype(np.int64),), RuntimeError, name + "Expected a floating point or "
                 "complex tensor as input. Got Long", "int"),
            _err((a.astype(np.float16),), NotImplementedError,
                 "\"ldl_factor_kernel_cpu\" not implemented for 'Half'", "half"),
        ]
        if fn == "linalg_ldl_factor_ex":
            cases += [
                _err((a,), TypeError, r"argument 'check_errors' must be bool, not int",
                     "check-errors-type", {"check_errors": 1}),
                _err((singular,), lm.linalg.LinAlgError, name + r"\(Batch element 1\): "
                     r"D\[1,1\] is zero", "singular", {"check_errors": True}),
            ]
        else:
            cases.append(_err((singular[1],), lm.linalg.LinAlgError, r"torch\.linalg\."
                              r"ldl_factor: D\[1,1\] is zero and using it on ldl_solve would "
                              "result in a division by zero", "singular"))
        return cases
    return errors


def _solve_errors():
    rng = np.random.default_rng(0)
    ld, pivots = _factored((4, 4), "float64", rng, False)
    b = make_array((4, 2), "float64", rng)
    name = r"torch\.linalg\.ldl_solve: "
    guide = "Did you properly pass the result of ldl_factor?"
    one_by_one = np.arange(1, 5, dtype=np.int32)
    return [
        _err((ld, pivots, b.tolist()), TypeError, r"linalg_ldl_solve\(\): argument 'B' "
             r"\(position 3\) must be Tensor, not list", "B-type"),
        _err((ld, pivots, b), TypeError, "argument 'hermitian' must be bool, not int",
             "hermitian-type", {"hermitian": 1}),
        _err((ld[0], pivots, b), RuntimeError, name + "The input tensor A must have at least 2 "
             "dimensions.", "LD-1d"),
        _err((ld[:3], pivots, b), RuntimeError, name + "A must be batches of square matrices, "
             "but they are 3 by 4 matrices", "LD-non-square"),
        _err((ld.astype(np.int64), pivots, b.astype(np.int64)), RuntimeError, name +
             "Expected a floating point or complex tensor as input. Got Long", "int"),
        _err((ld.astype(np.float16), pivots, b.astype(np.float16)), NotImplementedError,
             "\"ldl_solve_kernel_cpu\" not implemented for 'Half'", "half"),
        _err((ld, pivots, b.astype(np.float32)), RuntimeError, "Expected b and A to have the "
             "same dtype, but found b of type Float and A of type Double instead.", "dtypes"),
        _err((ld, pivots, b[:, 0]), IndexError, r"Dimension out of range \(expected to be in "
             r"range of \[-1, 0\], but got -2\)", "B-1d"),
        _err((ld, pivots, b[0, 0, ...]), IndexError, "Dimension specified as -2 but tensor has "
             "no dimensions", "B-0d"),
        _err((ld, pivots, b[:3]), RuntimeError, "Incompatible matrix sizes for torch.linalg."
             "ldl_solve: each A matrix is 4 by 4 but each b matrix is 3 by 2", "B-rows"),
        _err((ld, pivots[:3], b), RuntimeError, name + r"Expected LD.shape\[:-1\] and "
             r"pivots.shape to be the same, but got pivots with shape \[3\] instead",
             "pivots-shape"),
        _err((np.stack([ld] * 3), pivots, b), RuntimeError, name + r"Expected LD.shape\[:-1\] "
             r"and pivots.shape to be the same, but got pivots with shape \[4\] instead",
             "pivots-not-broadcast"),
        _err((ld, pivots.astype(np.float64), b), RuntimeError, name + "Expected pivots to be "
             "integers. Got Double", "pivots-dtype"),
        _err((np.stack([ld] * 3), np.stack([pivots] * 3), np.stack([b] * 2)), RuntimeError,
             r"The size of tensor a \(2\) must match the size of tensor b \(3\) at "
             "non-singleton dimension 0", "broadcast"),
        _err((ld, one_by_one * 9, b), RuntimeError, r"Pivots given to ldl_solve must all "
             r"satisfy \|pivot\| <= LD.size\(-2\). " + guide, "pivots-large"),
        _err((ld, one_by_one * 0, b), RuntimeError, r"Pivots given to ldl_solve must all "
             r"satisfy \|pivot\| >= 1. " + guide, "pivots-zero"),
        _err((ld, np.array([1, 2, 3, -4], np.int32), b), RuntimeError, "Pivots given to "
             "ldl_solve must pair each negative pivot with a negative one right after it",
             "pivots-unpaired-last"),
        _err((ld, np.array([-2, 2, 3, 4], np.int32), b), RuntimeError, "must pair each "
             "negative pivot", "pivots-unpaired"),
    ]


OPS = [
    OpInfo("linalg.ldl_factor", lm.linalg.ldl_factor, ldl_ref, _factor_samples,
           dtypes=FLOAT_AND_COMPLEX, tol=TOL,
           errors=_factor_errors("linalg_ldl_factor"), vmap=True),
    OpInfo("linalg.ldl_factor_ex", lm.linalg.ldl_factor_ex, ldl_ex_ref, _factor_ex_samples,
           dtypes=FLOAT_AND_COMPLEX, tol=TOL,
           errors=_factor_errors("linalg_ldl_factor_ex"), vmap=True),
    OpInfo("linalg.ldl_solve", lm.linalg.ldl_solve, ldl_solve_ref, _solve_samples,
           dtypes=FLOAT_AND_COMPLEX, tol=TOL, errors=_solve_errors, vmap=True),
]
