"""Op table entry for linalg.lstsq (lamina/linalg/_lstsq.py).

The reference solves each matrix with SciPy's LAPACK drivers (numpy.linalg.lstsq for gels, whose
full-rank solution is the same), in float64/complex128, and applies PyTorch's output rules: which
outputs each driver fills, residuals only for m > n (all ranks full for gelsd/gelss), rank and
singular values over A's own batch shape. Inputs have full rank, so solutions are unique.
"""

import numpy as np
import scipy.linalg

import lamina as lm
from opdb import FLOAT_AND_COMPLEX, ErrorInput, OpInfo, Sample, make_array

DRIVERS = ("gels", "gelsy", "gelsd", "gelss")
TOL = {"float32": (1e-4, 1e-4), "complex64": (1e-4, 1e-4), "float64": (1e-9, 1e-10),
       "complex128": (1e-9, 1e-10)}


def _wide(x):
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


def well_conditioned(shape, dtype, rng):
    """Random (..., m, n) with its leading min(m, n) square lifted by 4 I: full rank, cond ~ 10."""
    a = make_array(shape, dtype, rng)
    k = min(shape[-2:])
    a[..., range(k), range(k)] += 4
    return a


# (id, A shape, B shape): tall, wide and square; batched, broadcast, vector right-hand sides;
# empty batch, empty A, no right-hand side; sizes 1..8 and larger; a batch large enough that two
# threads split it, with an odd count.
SHAPES = [
    ("tall", (5, 3), (5, 2)),
    ("wide", (3, 5), (3, 2)),
    ("square", (4, 4), (4, 3)),
    ("1x1", (1, 1), (1, 1)),
    ("batched", (3, 6, 4), (3, 6, 2)),
    ("broadcast", (2, 1, 6, 4), (1, 3, 6, 2)),
    ("vector", (5, 3), (5,)),
    ("vector-batch", (2, 5, 3), (2, 5)),
    ("empty-batch", (0, 5, 3), (0, 5, 2)),
    ("0x0", (0, 0), (0, 2)),
    ("m0", (0, 3), (0, 2)),
    ("n0", (5, 0), (5, 2)),
    ("k0", (5, 3), (5, 0)),
    ("8x8", (8, 8), (8, 2)),
    ("17x9", (17, 9), (17, 3)),
    ("40x17", (40, 17), (40, 2)),
    ("odd-batch", (5, 7, 5), (5, 7, 1)),
    ("threaded", (65, 32, 16), (65, 32, 1)),
]


def _samples(dtype, rng):
    for name, ashape, bshape in SHAPES:
        a, b = well_conditioned(ashape, dtype, rng), make_array(bshape, dtype, rng)
        for driver in DRIVERS:
            yield Sample((a, b), {"driver": driver}, f"{name}-{driver}")
    a, b = well_conditioned((6, 4), dtype, rng), make_array((6, 2), dtype, rng)
    yield Sample((a, b), {}, "default-driver")
    yield Sample((a, b, 1e-3), {"driver": "gelsd"}, "rcond")


def _grad_samples(dtype, rng):
    """The forward samples, asking for the differentiable outputs only (_lstsq)."""
    for s in _samples(dtype, rng):
        yield Sample(s.args, dict(s.kwargs, differentiable=True), s.name)


def _lstsq(A, B, *args, differentiable=False, **kwargs):
    """linalg.lstsq; for the derivative samples only its solution and residuals: the singular
    values carry no derivative (as PyTorch's), which the jvp sweep's finite differences, unlike
    gradcheck, would still see move."""
    out = lm.linalg.lstsq(A, B, *args, **kwargs)
    return tuple(out[:2]) if differentiable else out


def _solve_one(a, b, driver, rcond):
    """(x, rank, singular values) of one problem, in float64/complex128."""
    m, n = a.shape
    if driver == "gels":
        return np.linalg.lstsq(a, b, rcond=None)[0], None, None
    x, _, rank, sv = scipy.linalg.lstsq(a, b, cond=rcond, lapack_driver=driver)
    return x, rank, sv


def lstsq_ref(a, b, rcond=None, *, driver=None):
    driver = driver or "gelsy"
    real = np.empty(0, a.dtype).real.dtype
    m, n = a.shape[-2:]
    rcond = np.finfo(real).eps * max(m, n) if rcond is None else rcond
    vector = b.ndim == 1 or b.shape == a.shape[:-1]
    if vector:
        b = b[..., None]
    k = b.shape[-1]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    A = np.broadcast_to(_wide(a), batch + (m, n))
    B = np.broadcast_to(_wide(b), batch + (m, k))
    x = np.zeros(batch + (n, k), A.dtype)
    rank = np.zeros(batch, np.int64)
    sv = np.zeros(batch + (min(m, n),), real)
    for idx in np.ndindex(*batch):
        if m and n and k:
            x[idx], r, s = _solve_one(A[idx], B[idx], driver, rcond)
            rank[idx] = min(m, n) if r is None else r
            sv[idx] = np.linalg.svd(A[idx], compute_uv=False) if s is None else s
        elif m and n:   # no right-hand side: LAPACK's gelsy stops before its rank, the SVD ones
            rank[idx] = 0 if driver == "gelsy" else min(m, n)   # still factor A
            sv[idx] = np.linalg.svd(A[idx], compute_uv=False)
    residuals = np.empty(0, real)
    if m > n and driver != "gelsy" and (driver == "gels" or (rank == n).all()):
        residuals = (np.abs(A @ x - B) ** 2).sum(-2).astype(real)
        if driver == "gels" and n == 0:
            residuals[...] = 0          # ?gels zeroes B when A has no column
    own = tuple(slice(0, 1) if d == 1 else slice(None) for d in a.shape[:-2])
    if vector:
        x = x[..., 0]
    return (x.astype(a.dtype), residuals,
            rank[own] if driver != "gels" else np.empty(0, np.int64),
            sv[own] if driver in ("gelsd", "gelss") else np.empty(0, real))


def _errors():
    rng = np.random.default_rng(0)
    f64 = well_conditioned((5, 3), "float64", rng)
    b64 = make_array((5, 2), "float64", rng)
    singular = f64.copy()
    singular[:, 1] = 0
    batch_singular = np.stack([f64, singular])

    def err(args, exc, match, name, kwargs=None):
        return ErrorInput(Sample(args, kwargs or {}, name), exc, match)

    name = r"torch\.linalg\.lstsq: "
    return [
        err((f64.tolist(), b64), TypeError, r"linalg_lstsq\(\): argument 'input' \(position 1\) "
            "must be Tensor, not list", "input-type"),
        err((f64, 3), TypeError, r"argument 'b' \(position 2\) must be Tensor, not int",
            "b-type"),
        err((f64, b64), TypeError, "argument 'driver' must be str, not int", "driver-type",
            {"driver": 3}),
        err((f64, b64, "x"), TypeError, r"argument 'rcond' \(position 3\) must be float, not str",
            "rcond-type"),
        err((f64[0], b64), RuntimeError, name + "input must have at least 2 dimensions.",
            "input-1d"),
        err((f64, b64[0, 0, ...]), RuntimeError, name + "other must have at least 1 dimension.",
            "other-0d"),
        err((f64, b64.astype(np.float32)), RuntimeError, name + "Expected input and other to "
            "have the same dtype, but got input's dtype Double and other's dtype Float",
            "dtypes"),
        err((f64, b64[None]), RuntimeError, r"input.dim\(\) must be greater or equal to "
            r"other.dim\(\) and \(input.dim\(\) - other.dim\(\)\) <= 1", "dims"),
        err((f64, b64[:4, 0]), RuntimeError, r"input.size\(-2\) should match other.size\(-1\)",
            "vector-rows"),
        err((f64, b64[:4]), RuntimeError, r"input.size\(-2\) should match other.size\(-2\)",
            "rows"),
        err((f64[None], b64), RuntimeError, r"input.size\(-2\) should match other.size\(-1\)",
            "not-a-vector-batch"),
        err((f64, b64), RuntimeError, "parameter `driver` should be one of "
            r"\(gels, gelsy, gelsd, gelss\)", "driver", {"driver": "gesv"}),
        err((f64.astype(np.int64), b64.astype(np.int64)), RuntimeError,
            "This function doesn't handle types other than float and double", "int"),
        err((f64.astype(np.float16), b64.astype(np.float16)), RuntimeError,
            "This function doesn't handle types other than float and double", "half"),
        err((np.stack([f64, f64]), np.stack([b64] * 3)), RuntimeError,
            r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton "
            "dimension 0", "broadcast"),
        err((singular, b64), lm.linalg.LinAlgError, name + "The least squares solution could "
            r"not be computed because the input matrix does not have full rank \(error code: "
            r"2\)\.", "gels-singular", {"driver": "gels"}),
        err((batch_singular, np.stack([b64, b64])), lm.linalg.LinAlgError,
            name + r"\(Batch element 1\): The least squares solution could not be computed",
            "gels-singular-batch", {"driver": "gels"}),
    ]


# lstsq's singular values and rank carry no derivative (as PyTorch's): the derivative samples
# leave them out.
OPS = [
    OpInfo("linalg.lstsq", _lstsq, lstsq_ref, _samples, dtypes=FLOAT_AND_COMPLEX,
           tol=TOL, errors=_errors, grad=True, gradgrad=True, fwgrad=True, vmap=True,
           grad_samples=_grad_samples),
]
