"""Op table entries for lamina/linalg/_eig.py: linalg.eig and linalg.eigvals.

Eigenvalues come in LAPACK's order, which rounding may change between two builds, and each
eigenvector is unique only up to a phase, so the entries compare invariants: the sorted real
parts, imaginary parts and moduli of the eigenvalues (sorting a real sequence is continuous, so
rounding cannot reorder what it compares), and for eig the residual A V - V diag(w) (zero) and
the 2-norm of each eigenvector (one, ?geev's normalisation). NumPy's reference runs in
float64/complex128 and is cast to the result's precision.
"""

import numpy as np

import lamina as lm
from opdb import COMPLEX, FLOATING, ErrorInput, OpInfo, Sample, make_array

DTYPES = FLOATING + COMPLEX
# Eigenvalues of a non-normal matrix move by cond(lambda) * eps * ||A||: the samples' condition
# numbers reach ~1e2, hence the float32 bounds.
TOL = {"float32": (2e-3, 2e-3), "complex64": (2e-3, 2e-3), "float64": (1e-8, 1e-9),
       "complex128": (1e-8, 1e-9)}
COMPLEX_OF = {"float32": np.complex64, "float64": np.complex128, "complex64": np.complex64,
              "complex128": np.complex128}
REAL_OF = {"float32": np.float32, "float64": np.float64, "complex64": np.float32,
           "complex128": np.float64}

# (id, shape): sizes through the tiny range and past it, batches (an odd count, two batch
# dims), empty batches and empty matrices.
CASES = [
    ("1x1", (1, 1)),
    ("2x2", (2, 2)),
    ("3x3-batched", (3, 3, 3)),
    ("4x4", (4, 4)),
    ("5x5-batched", (5, 5, 5)),
    ("6x6", (6, 6)),
    ("7x7-batched", (2, 3, 7, 7)),
    ("8x8", (8, 8)),
    ("17x17", (17, 17)),
    ("40x40", (2, 40, 40)),
    ("empty-batch", (0, 3, 3)),
    ("0x0", (2, 0, 0)),
]


def _samples(dtype, rng):
    for name, shape in CASES:
        yield Sample((make_array(shape, dtype, rng),), name=name)
    # Eigenvalues known in closed form: a rotation (+-i) and a triangular matrix (its diagonal).
    yield Sample((np.array([[0.0, -1.0], [1.0, 0.0]], dtype=dtype),), name="rotation")
    yield Sample((np.triu(make_array((5, 5), dtype, rng)),), name="triangular")


def _value_invariants(w):
    return (lm.sort(w.real, dim=-1).values, lm.sort(w.imag, dim=-1).values,
            lm.sort(lm.abs(w), dim=-1).values)


def _value_invariants_ref(w, dtype):
    real = REAL_OF[dtype.name]
    return tuple(np.sort(x, axis=-1).astype(real) for x in (w.real, w.imag, np.abs(w)))


def _ref(A):
    wide = A.astype(np.complex128 if A.dtype.kind == "c" else np.float64)
    return np.linalg.eig(wide)


def _eig(A, **kwargs):
    w, V = lm.linalg.eig(A, **kwargs)
    residual = A.to(V.dtype) @ V - V * w.unsqueeze(-2)
    return _value_invariants(w) + (residual, lm.sqrt(lm.sum(lm.abs(V) ** 2, dim=-2)))


def _eig_ref(A):
    w, _ = _ref(A)
    n = A.shape[-1]
    return _value_invariants_ref(w, A.dtype) + (
        np.zeros(A.shape, COMPLEX_OF[A.dtype.name]), np.ones(A.shape[:-2] + (n,),
                                                             REAL_OF[A.dtype.name]))


def _eigvals(A, **kwargs):
    return _value_invariants(lm.linalg.eigvals(A, **kwargs))


def _eigvals_ref(A):
    return _value_invariants_ref(_ref(A)[0], A.dtype)


def _err(args, exc, match, name, kwargs=None):
    return ErrorInput(Sample(args, kwargs or {}, name), exc, match)


def _errors(fn, name):
    rng = np.random.default_rng(0)
    return [
        _err((make_array((3,), "float64", rng),), RuntimeError,
             f"{name}: The input tensor A must have at least 2 dimensions.", "vector"),
        _err((make_array((2, 3, 4), "float64", rng),), RuntimeError,
             f"{name}: A must be batches of square matrices, but they are 3 by 4 matrices",
             "non-square"),
        _err((make_array((3, 3), "int64", rng),), RuntimeError,
             "Unknown Complex ScalarType for Long", "int"),
        _err((make_array((3,), "bool", rng),), RuntimeError,
             "Unknown Complex ScalarType for Bool", "bool-vector"),
        _err((make_array((3, 3), "float16", rng),), NotImplementedError,
             "\"linalg_eig_out_cpu\" not implemented for 'Half'", "half"),
        _err(([1.0],), TypeError,
             f"{fn}\\(\\): argument 'input' \\(position 1\\) must be Tensor, not list", "list"),
    ]


def _nonfinite(value):
    A = make_array((3, 4, 4), "float64", np.random.default_rng(0))
    A[1, 2, 0] = value
    return A


def _eig_errors():
    rng = np.random.default_rng(0)
    f64 = make_array((3, 3), "float64", rng)
    c128 = lm.empty(0, dtype=lm.complex128)
    return _errors("linalg_eig", "linalg.eig") + [
        _err((_nonfinite(np.nan),), RuntimeError,
             "torch.linalg.eig: input tensor should not contain infs or NaNs.", "nan"),
        _err((_nonfinite(np.inf),), RuntimeError,
             "torch.linalg.eig: input tensor should not contain infs or NaNs.", "inf"),
        _err((f64,), RuntimeError, "torch.linalg.eig: Expected eigenvalues to be safely "
             "castable from ComplexDouble dtype, but got eigenvalues with dtype Double",
             "out-values", {"out": (lm.empty(0, dtype=lm.float64), c128)}),
        _err((f64,), RuntimeError, "torch.linalg.eig: Expected eigenvectors to be safely "
             "castable from ComplexDouble dtype, but got eigenvectors with dtype Float",
             "out-vectors", {"out": (c128, lm.empty(0))}),
        _err((f64,), TypeError, "linalg_eig\\(\\): argument 'out' must be tuple of Tensors, "
             "not Tensor", "out-tensor", {"out": c128}),
        _err((f64,), TypeError, "expected tuple of 2 elements but got 1", "out-length",
             {"out": (c128,)}),
    ]


def _eigvals_errors():
    rng = np.random.default_rng(0)
    return _errors("linalg_eigvals", "linalg.eigvals") + [
        _err((make_array((3, 3), "complex64", rng),), RuntimeError,
             "torch.linalg.eigvals: Expected eigenvalues to be safely castable from ComplexFloat "
             "dtype, but got eigenvalues with dtype Float", "out-dtype", {"out": lm.empty(0)}),
    ]


# The invariants are gauge-free (each eigenvector's phase drops out), so the grad sweep
# differentiates them as they are.
OPS = [
    OpInfo("linalg.eig", _eig, _eig_ref, _samples, dtypes=DTYPES, tol=TOL, errors=_eig_errors,
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("linalg.eigvals", _eigvals, _eigvals_ref, _samples, dtypes=DTYPES, tol=TOL,
           errors=_eigvals_errors, grad=True, gradgrad=True, fwgrad=True, vmap=True),
]
