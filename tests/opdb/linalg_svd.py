"""Op table entries for lamina/linalg/_svd.py: linalg.svd, linalg.svdvals and the top-level svd.

Singular vectors are unique only up to a phase per column (and the extra columns of a full U or
Vh not at all), so the svd entries compare invariants, computed with lamina ops on lamina's
factors and with NumPy on NumPy's (np.linalg.svd in float64/complex128, cast to the input's
precision): U^H U and Vh Vh^H (identities), S itself, the reconstruction U_k diag(S) Vh_k (the
input), and |U_k|, |Vh_k| elementwise (phase-free; the samples' singular values are distinct).
"""

import numpy as np

import lamina as lm
from opdb import COMPLEX, FLOATING, ErrorInput, OpInfo, Sample, make_array

DTYPES = FLOATING + COMPLEX
# Singular vectors move by eps * ||A|| / gap; the samples' gaps are >~ 0.05.
TOL = {"float32": (1e-4, 1e-4), "complex64": (1e-4, 1e-4), "float64": (1e-9, 1e-10),
       "complex128": (1e-9, 1e-10)}
REAL = {"float32": np.float32, "float64": np.float64, "complex64": np.float32,
        "complex128": np.float64}

# (id, shape, full_matrices): squares through the tiny range and past it, both rectangular
# orientations, batches (an odd count, two batch dims), empty batches and empty matrices.
CASES = [
    ("1x1", (1, 1), True),
    ("2x2", (2, 2), True),
    ("3x3", (3, 3), True),
    ("4x4-batched", (3, 4, 4), True),
    ("5x5", (5, 5), False),
    ("6x6-batched", (5, 6, 6), True),
    ("7x7", (7, 7), True),
    ("8x8-batched", (2, 3, 8, 8), False),
    ("tall", (6, 3), True),
    ("tall-reduced", (2, 6, 3), False),
    ("wide", (3, 6), True),
    ("wide-reduced", (2, 3, 6), False),
    ("17x17", (17, 17), True),
    ("40x17", (40, 17), False),
    ("17x40", (3, 17, 40), True),
    ("empty-batch", (0, 3, 3), True),
    ("0x0", (2, 0, 0), True),
    ("0x3", (2, 0, 3), True),
    ("3x0-reduced", (3, 0), False),
]


def _matrices(shape, dtype, rng):
    return make_array(shape, dtype, rng)


def _svd_samples(dtype, rng):
    for name, shape, full in CASES:
        kwargs = {} if full else {"full_matrices": False}
        yield Sample((_matrices(shape, dtype, rng),), kwargs, name)


def _ref_factors(A, full_matrices=True):
    wide = A.astype(np.complex128 if A.dtype.kind == "c" else np.float64)
    U, S, Vh = np.linalg.svd(wide, full_matrices=full_matrices)
    return U, S, Vh


def _invariants_ref(A, U, S, Vh):
    k = S.shape[-1]
    Uk, Vk = U[..., :, :k], Vh[..., :k, :]
    real = REAL[A.dtype.name]
    eye_u = np.broadcast_to(np.eye(U.shape[-1]), U.shape[:-2] + (U.shape[-1],) * 2)
    eye_v = np.broadcast_to(np.eye(Vh.shape[-2]), Vh.shape[:-2] + (Vh.shape[-2],) * 2)
    return (eye_u.astype(A.dtype), S.astype(real), eye_v.astype(A.dtype),
            A.copy(), np.abs(Uk).astype(real), np.abs(Vk).astype(real))


def _invariants(U, S, Vh):
    """What any valid SVD shares with NumPy's: see the module docstring. A full U's extra
    columns (Vh's rows) take no gradient in PyTorch's rule (derivatives.yaml narrows them away),
    so their identities are differentiated with those factors detached."""
    k = S.shape[-1]
    Uk, Vk = U[..., :, :k], Vh[..., :k, :]
    Ug = U if U.shape[-1] == k else U.detach()
    Vg = Vh if Vh.shape[-2] == k else Vh.detach()
    return (Ug.mH @ Ug, S, Vg @ Vg.mH, (Uk * S.unsqueeze(-2).to(U.dtype)) @ Vk, lm.abs(Uk),
            lm.abs(Vk))


def _svd(A, **kwargs):
    return _invariants(*lm.linalg.svd(A, **kwargs))


def _svd_ref(A, full_matrices=True):
    return _invariants_ref(A, *_ref_factors(A, full_matrices))


def _svdvals_samples(dtype, rng):
    for name, shape, _ in CASES:
        yield Sample((_matrices(shape, dtype, rng),), name=name)


def _svdvals_ref(A):
    return _ref_factors(A)[1].astype(REAL[A.dtype.name])


# Past the forward list's small squares, for the grad sweep: both orientations and a batch;
# random entries give distinct singular values, which the vectors' gradient needs.
GRAD_CASES = [("3x3", (3, 3), True), ("tall", (4, 3), True), ("wide-reduced", (3, 4), False),
              ("batch2-2x3", (2, 2, 3), True)]


def _svd_grad_samples(dtype, rng):
    for name, shape, full in GRAD_CASES:
        kwargs = {} if full else {"full_matrices": False}
        yield Sample((_matrices(shape, dtype, rng),), kwargs, name)


def _top_svd_grad_samples(dtype, rng):
    for name, shape, full in GRAD_CASES[:3]:
        kwargs = {"some": False} if full else {}
        yield Sample((_matrices(shape, dtype, rng),), kwargs, name)
    yield Sample((_matrices((2, 4, 3), dtype, rng),), {"compute_uv": False}, "no-uv")


# torch.svd: V instead of Vh; some=True (the default) is full_matrices=False; compute_uv=False
# gives zero matrices (m, m) and (n, n) in place of U and V.
def _top_svd_samples(dtype, rng):
    for name, shape, full in CASES:
        kwargs = {"some": False} if full else {}
        yield Sample((_matrices(shape, dtype, rng),), kwargs, name)
    for name, shape in (("no-uv", (2, 5, 3)), ("no-uv-wide", (3, 5)), ("no-uv-empty", (0, 3, 2))):
        yield Sample((_matrices(shape, dtype, rng),), {"compute_uv": False}, name)


def _top_svd(A, some=True, compute_uv=True, **kwargs):
    U, S, V = lm.svd(A, some=some, compute_uv=compute_uv, **kwargs)
    if not compute_uv:
        return U, S, V
    return _invariants(U, S, V.mH)


def _top_svd_ref(A, some=True, compute_uv=True):
    U, S, Vh = _ref_factors(A, not some)
    if not compute_uv:
        m, n = A.shape[-2:]
        return (np.zeros(A.shape[:-2] + (m, m), A.dtype), S.astype(REAL[A.dtype.name]),
                np.zeros(A.shape[:-2] + (n, n), A.dtype))
    return _invariants_ref(A, U, S, Vh)


def _err(args, exc, match, name, kwargs=None):
    return ErrorInput(Sample(args, kwargs or {}, name), exc, match)


def _nonfinite(value):
    A = make_array((3, 4, 4), "float64", np.random.default_rng(0))
    A[2, 1, 3] = value
    return A


def _errors(fn, arg):
    """The checks svd and svdvals share; `fn` is PyTorch's name for the binding."""
    rng = np.random.default_rng(0)
    f64 = make_array((3, 3), "float64", rng)
    return [
        _err((make_array((3,), "float64", rng),), RuntimeError,
             "linalg.svd: The input tensor A must have at least 2 dimensions.", "vector"),
        _err((make_array((3, 3), "int64", rng),), RuntimeError,
             "linalg.svd: Expected a floating point or complex tensor as input. Got Long",
             "int"),
        _err((make_array((3, 3), "float16", rng),), NotImplementedError,
             "\"linalg_svd_cpu\" not implemented for 'Half'", "half"),
        _err((f64,), RuntimeError, "torch.linalg.svd: keyword argument `driver=` is only "
             "supported on CUDA inputs with cuSOLVER backend.", "driver", {"driver": "gesvd"}),
        _err((f64,), TypeError, f"{fn}\\(\\): argument 'driver' must be str, not int",
             "driver-type", {"driver": 1}),
        _err(([1.0, 2.0],), TypeError,
             f"{fn}\\(\\): argument '{arg}' \\(position 1\\) must be Tensor, not list", "list"),
        _err((_nonfinite(np.nan),), lm.linalg.LinAlgError,
             r"linalg.svd: \(Batch element 2\): The algorithm failed to converge because the "
             r"input matrix contained non-finite values.", "nan"),
        _err((_nonfinite(-np.inf)[2],), lm.linalg.LinAlgError,
             r"^linalg.svd: The algorithm failed to converge because the input matrix contained "
             r"non-finite values.", "inf"),
        _err((f64,), RuntimeError, "Expected out tensor to have dtype double, but got float "
             "instead", "out-dtype",
             {"out": (lm.empty(0, dtype=lm.float64), lm.empty(0), lm.empty(0, dtype=lm.float64))
              if fn == "linalg_svd" else lm.empty(0)}),
    ]


def _svd_errors():
    rng = np.random.default_rng(0)
    f64 = make_array((3, 3), "float64", rng)
    return _errors("linalg_svd", "A") + [
        _err((f64,), TypeError, "linalg_svd\\(\\): argument 'full_matrices' must be bool, not "
             "NoneType", "full-matrices-type", {"full_matrices": None}),
        _err((f64,), TypeError, "linalg_svd\\(\\): argument 'out' must be tuple of Tensors, not "
             "Tensor", "out-tensor", {"out": lm.empty(0, dtype=lm.float64)}),
        _err((f64,), TypeError, "expected tuple of 3 elements but got 1", "out-length",
             {"out": (lm.empty(0, dtype=lm.float64),)}),
        _err((make_array((3, 3), "complex128", rng),), RuntimeError,
             "Expected out tensor to have dtype double, but got c10::complex<double> instead",
             "out-s-complex", {"out": tuple(lm.empty(0, dtype=lm.complex128) for _ in range(3))}),
    ]


def _svdvals_errors():
    return _errors("linalg_svdvals", "A")


def _top_svd_errors():
    rng = np.random.default_rng(0)
    f64 = make_array((3, 3), "float64", rng)
    return [
        _err((make_array((3,), "float64", rng),), RuntimeError,
             "linalg.svd: input should have at least 2 dimensions, but has 1 dimensions instead",
             "vector"),
        _err((make_array((3, 3), "int64", rng),), RuntimeError,
             "linalg.svd: Expected a floating point or complex tensor as input. Got Long", "int"),
        _err((make_array((3, 3), "float16", rng),), NotImplementedError,
             "\"linalg_svd_cpu\" not implemented for 'Half'", "half"),
        _err((f64,), TypeError, "svd\\(\\): argument 'some' must be bool, not NoneType",
             "some-type", {"some": None}),
        _err((f64,), TypeError, "svd\\(\\): argument 'compute_uv' must be bool, not int",
             "compute-uv-type", {"compute_uv": 1}),
        _err(([1.0],), TypeError,
             "svd\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list", "list"),
        _err((_nonfinite(np.inf),), lm.linalg.LinAlgError,
             r"linalg.svd: \(Batch element 2\): The algorithm failed to converge because the "
             r"input matrix contained non-finite values.", "inf"),
        _err((f64,), RuntimeError, "Expected out tensor to have dtype double, but got float "
             "instead", "out-dtype",
             {"out": (lm.empty(0), lm.empty(0, dtype=lm.float64), lm.empty(0, dtype=lm.float64))}),
    ]


# grad: the svd entries' invariants need the rules of abs and matmul (other families' issues);
# until they land, tests/test_autograd_linalg_spectral.py checks svd's gradient by hand.
OPS = [
    OpInfo("linalg.svd", _svd, _svd_ref, _svd_samples, dtypes=DTYPES, tol=TOL,
           errors=_svd_errors, grad=True, gradgrad=True,
           grad_samples=_svd_grad_samples, fwgrad=True, vmap=True),
    OpInfo("linalg.svdvals", lm.linalg.svdvals, _svdvals_ref, _svdvals_samples, dtypes=DTYPES,
           tol=TOL, errors=_svdvals_errors, grad=True, fwgrad=True, vmap=True),
    OpInfo("svd", _top_svd, _top_svd_ref, _top_svd_samples, dtypes=DTYPES, tol=TOL,
           errors=_top_svd_errors, grad=True, gradgrad=True,
           grad_samples=_top_svd_grad_samples, fwgrad=True, vmap=True),
]
