"""Op table entries for the Hermitian eigendecomposition family: linalg.eigh, linalg.eigvalsh.

Eigenvalues are compared directly with NumPy's (computed in float64/complex128). Eigenvectors
are unique only up to a phase (and within repeated eigenvalues, up to a unitary mixing), so
linalg.eigh's entry compares invariants: V diag(w) V^H, which must equal the Hermitian matrix
the UPLO triangle defines, and V^H V = I. Inputs are random square matrices: only the UPLO
triangle is read (the diagonal's imaginary part is ignored, as LAPACK does), so the samples are
deliberately not Hermitian, and a kernel reading the wrong triangle fails.
"""

import numpy as np

import lamina as lm
from opdb import (
    COMPLEX,
    FLOATING,
    ErrorInput,
    OpInfo,
    Sample,
    hermitian_part,
    make_array,
)

DTYPES = FLOATING + COMPLEX
# Eigenvalues of an n x n matrix with entries in [-3, 3) reach ~3n; float32 errors scale with it.
TOL = {"float32": (2e-4, 5e-4), "complex64": (2e-4, 5e-4), "float64": (1e-9, 1e-10),
       "complex128": (1e-9, 1e-10)}

# (id, shape): sizes 1..8, 17 and 32 (the tiny kernel's range for real input: n <= 32), 33 and
# 40 (LAPACK's), batched with odd batch sizes, broadcast-free multi-dim batches, empty batches
# and 0x0 matrices.
SHAPES = [
    ("1x1", (1, 1)), ("2x2", (2, 2)), ("3x3", (3, 3)), ("4x4", (4, 4)), ("5x5", (5, 5)),
    ("6x6", (6, 6)), ("7x7", (7, 7)), ("8x8", (8, 8)), ("17x17", (17, 17)), ("32x32", (32, 32)),
    ("33x33", (33, 33)), ("40x40", (40, 40)),
    ("batch3-4x4", (3, 4, 4)), ("batch5-8x8", (5, 8, 8)), ("batch2x3-3x3", (2, 3, 3, 3)),
    ("batch7-1x1", (7, 1, 1)), ("batch0-3x3", (0, 3, 3)), ("0x0", (0, 0)),
    ("batch2-0x0", (2, 0, 0)),
]


def _samples(dtype, rng):
    for name, shape in SHAPES:
        for uplo in (None, "L", "U", "u"):
            kwargs = {} if uplo is None else {"UPLO": uplo}
            yield Sample((make_array(shape, dtype, rng),), kwargs, f"{name}-{uplo}")
    yield Sample((make_array((4, 4), dtype, rng), "U"), name="positional-uplo")


def _hermitian(A, uplo):
    """The Hermitian matrix whose `uplo` triangle A holds, in 128-bit."""
    wide = A.astype(np.complex128 if A.dtype.kind == "c" else np.float64)
    half = np.tril(wide, -1) if uplo.upper() == "L" else np.triu(wide, 1)
    diag = np.real(np.diagonal(wide, 0, -2, -1))
    return half + half.conj().swapaxes(-1, -2) + diag[..., None] * np.eye(A.shape[-1])


def _real(A):
    return np.float32 if A.dtype in (np.float32, np.complex64) else np.float64


def _eigvalsh_ref(A, UPLO="L"):
    if A.shape[-1] == 0:
        return np.zeros(A.shape[:-1], dtype=_real(A))
    return np.linalg.eigvalsh(_hermitian(A, UPLO)).astype(_real(A))


def _eigh_op(A, UPLO="L", **kwargs):
    w, V = lm.linalg.eigh(A, UPLO, **kwargs)
    return w, (V * w.unsqueeze(-2)) @ V.mH, V.mH @ V


def _eigh_ref(A, UPLO="L"):
    n = A.shape[-1]
    eye = np.broadcast_to(np.eye(n, dtype=A.dtype), A.shape).copy()
    return _eigvalsh_ref(A, UPLO), _hermitian(A, UPLO).astype(A.dtype), eye


def _f64(*shape):
    return np.zeros(shape, dtype=np.float64)


def _errors(name):
    def errors():
        yield ErrorInput(Sample((_f64(3),), name="1d"), RuntimeError,
                         r"linalg.eigh: The input tensor A must have at least 2 dimensions.")
        yield ErrorInput(Sample((_f64(3, 4),), name="non-square"), RuntimeError,
                         r"linalg.eigh: A must be batches of square matrices, but they are 3 by "
                         r"4 matrices")
        yield ErrorInput(Sample((_f64(3, 3),), {"UPLO": "X"}, "bad-uplo"), RuntimeError,
                         r"Expected UPLO argument to be 'L' or 'U', but got X")
        yield ErrorInput(Sample((_f64(3, 3),), {"UPLO": "LU"}, "long-uplo"), RuntimeError,
                         r"Expected UPLO argument to be 'L' or 'U', but got LU")
        yield ErrorInput(Sample((_f64(3, 3),), {"UPLO": 1}, "int-uplo"), TypeError,
                         rf"linalg_{name}\(\): argument 'UPLO' must be str, not int")
        yield ErrorInput(Sample((_f64(3, 3).astype(np.int64),), name="int"), NotImplementedError,
                         r"\"linalg_eigh_cpu\" not implemented for 'Long'")
        yield ErrorInput(Sample((_f64(3, 3).astype(np.float16),), name="half"),
                         NotImplementedError, r"\"linalg_eigh_cpu\" not implemented for 'Half'")
        yield ErrorInput(Sample((_f64(3, 3).astype(np.bool_),), {"UPLO": "X"}, "uplo-first"),
                         RuntimeError, r"Expected UPLO argument to be 'L' or 'U', but got X")
        yield ErrorInput(Sample(([[1.0]],), name="not-tensor"), TypeError,
                         rf"linalg_{name}\(\): argument 'input' \(position 1\) must be Tensor, "
                         r"not list")
        out = (lm.empty(0), lm.empty(0, dtype=lm.float64)) if name == "eigh" else lm.empty(0)
        yield ErrorInput(Sample((_f64(3, 3),), {"out": out}, "out-dtype"), RuntimeError,
                         r"Expected out tensor to have dtype double, but got float instead")
    return errors


def _grad_samples(dtype, rng):
    """Matrices past 1x1 (the forward list starts with four of those), both triangles. Random
    entries give well separated eigenvalues, which the vectors' gradient needs. `project` makes
    the op differentiate along Hermitian directions (hermitian_for_derivatives)."""
    yield Sample((make_array((3, 3), dtype, rng),), {"project": True}, "3x3-L")
    yield Sample((make_array((2, 3, 3), dtype, rng),), {"UPLO": "U", "project": True},
                 "batch2-3x3-U")
    yield Sample((make_array((4, 4), dtype, rng),), {"UPLO": "L", "project": True}, "4x4-L")
    yield Sample((make_array((2, 2), dtype, rng), "U"), {"project": True}, "2x2-positional-U")


def hermitian_for_derivatives(fn, position=0):
    """fn with argument `position` replaced by its Hermitian part (A + A^H) / 2 when the sample
    says `project=True`, as the derivative samples do (PyTorch's
    gradcheck_wrapper_hermitian_input). The op reads one triangle while its derivative (PyTorch's)
    is taken along Hermitian directions, so every derivative path must project: gradcheck, the
    jvp sweep and its finite differences, which call the op on plain tensors (requires_grad, which
    opdb.projected_for_grad keys on, cannot single them out). Forward samples keep the raw
    matrix, so the forward sweep still checks which triangle the kernel reads."""
    def call(*args, project=False, **kwargs):
        if project:
            args = args[:position] + (hermitian_part(args[position]),) + args[position + 1:]
        return fn(*args, **kwargs)
    return call


# eigh and eigvalsh read one triangle while their gradient (PyTorch's) is the full Hermitian
# matrix: the grad sweep differentiates along Hermitian directions, as PyTorch's OpInfo does.
OPS = [
    OpInfo("linalg.eigh", hermitian_for_derivatives(_eigh_op), _eigh_ref, _samples,
           dtypes=DTYPES, tol=TOL, errors=_errors("eigh"), grad=True, gradgrad=True,
           grad_samples=_grad_samples, fwgrad=True, vmap=True),
    OpInfo("linalg.eigvalsh", hermitian_for_derivatives(lm.linalg.eigvalsh),
           _eigvalsh_ref, _samples, dtypes=DTYPES, tol=TOL, errors=_errors("eigvalsh"),
           grad=True, gradgrad=True, grad_samples=_grad_samples, fwgrad=True, vmap=True),
]
