"""Op table entries for the Cholesky family (lamina/linalg/_cholesky.py): linalg.cholesky,
cholesky_ex, solve_triangular and the top-level cholesky, cholesky_solve, cholesky_inverse,
triangular_solve.

References are NumPy's (linalg.cholesky, solve, inv on the triangle the op reads), computed in
float64/complex128 and cast to the result dtype. Inputs are well conditioned: Hermitian positive
definite A = X X^H + n I, and triangular factors with a dominant diagonal. Sizes 1..8 run the
tiny kernel (batches of 9 and 11 leave a remainder after its lanes of 8), 12 and 16 its real
path with the size at run time; 17 and 40 run LAPACK.
"""

import warnings

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
    projected_for_grad,
)

DTYPES = FLOATING + COMPLEX
TOL = {"float32": (1e-4, 1e-5), "complex64": (1e-4, 1e-5)}

# (batch, n): single matrices, the tiny sizes, odd batches, LAPACK sizes, empty batch, 0 x 0.
SHAPES = [((), 1), ((), 3), ((), 5), ((), 17), ((3,), 4), ((2, 3), 2), ((11,), 6), ((9,), 8),
          ((3,), 7), ((9,), 12), ((10,), 16), ((2,), 40), ((0,), 3), ((2,), 0)]


def _wide(x):
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


def _hpd(batch, n, dtype, rng):
    """A Hermitian positive-definite batch with a real diagonal, as stored in `dtype`."""
    x = _wide(make_array(batch + (n, n), dtype, rng))
    a = x @ x.conj().swapaxes(-1, -2) + n * np.eye(n)
    return ((a + a.conj().swapaxes(-1, -2)) / 2).astype(dtype)


def _factor(batch, n, dtype, rng, upper=False, cholesky=True):
    """A triangular matrix with a dominant diagonal (well conditioned), real and positive for a
    Cholesky factor; the triangle not used holds random values the op must ignore."""
    x = make_array(batch + (n, n), dtype, rng)
    idx = np.arange(n)
    if cholesky:
        x[..., idx, idx] = abs(x[..., idx, idx])
    t = (np.triu(x) if upper else np.tril(x)) / max(n, 1) + 2 * np.eye(n, dtype=dtype)
    other = np.tril(x, -1) if upper else np.triu(x, 1)
    return (t + other).astype(dtype)


def _tri(a, upper, unit=False):
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        t = t.copy()
        idx = np.arange(t.shape[-1])
        t[..., idx, idx] = 1
    return t


def _adj(a):
    return a.conj().swapaxes(-1, -2)


def _quietly(fn):
    """The deprecated torch.cholesky warns on every call; its table entry checks values."""
    def call(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args, **kwargs)
    return call


def _triangle(L, upper):
    return L.triu() if upper else L.tril()


def _factor_triangle(L, upper):
    """The triangle with a real diagonal: ?potri's product (?lauum) reads only the diagonal's
    real part, as PyTorch's gradcheck_wrapper_triangular_input_real_positive_diagonal knows."""
    T = _triangle(L, upper)
    return T - 1j * lm.diag_embed(T.diagonal(0, -2, -1).imag) if T.is_complex() else T


def _err(args, exc, match, name, kwargs=None):
    return ErrorInput(Sample(args, dict(kwargs or {}), name), exc, match)


# -- cholesky, cholesky_ex ------------------------------------------------------------------------

def _cholesky_samples(dtype, rng):
    for batch, n in SHAPES:
        a = _hpd(batch, n, dtype, rng)
        name = f"{'x'.join(map(str, batch)) or 'single'}-{n}"
        yield Sample((a,), {}, name)
        yield Sample((a,), {"upper": True}, name + "-upper")


def _cholesky_ref(a, upper=False):
    if a.size == 0:
        return np.zeros(a.shape, a.dtype)
    return np.linalg.cholesky(_wide(a), upper=upper).astype(a.dtype)


def _cholesky_ex_ref(a, upper=False, check_errors=False):
    return _cholesky_ref(a, upper), np.zeros(a.shape[:-2], np.int32)


_NOT_PD = (r"The factorization could not be completed because the input is not "
           r"positive-definite \(the leading minor of order 2 is not positive-definite\)\.")


def _argument_errors(name, int_error):
    """The errors linalg.cholesky, cholesky_ex and cholesky share but for the integer one."""
    return [
        _err(([[1.0]],), TypeError, r"argument 'input' \(position 1\) must be Tensor",
             "not-tensor"),
        _err((np.ones(3),), RuntimeError,
             rf"^{name}: The input tensor A must have at least 2 dimensions\.$", "1d"),
        _err((np.ones((2, 3)),), RuntimeError,
             rf"^{name}: A must be batches of square matrices, but they are 2 by 3 matrices$",
             "non-square"),
        int_error,
        _err((np.ones((3, 3), np.float16),), NotImplementedError,
             "\"cholesky_cpu\" not implemented for 'Half'", "half"),
    ]


def _failures(name, kwargs=None):
    """Not positive-definite: in a batch, unbatched, from an off-diagonal, from a NaN."""
    batch = np.stack([np.eye(3), np.eye(3), np.diag([1.0, -1.0, 1.0])])
    return [
        _err((batch,), lm.linalg.LinAlgError,
             rf"^{name}: \(Batch element 2\): {_NOT_PD}$", "not-pd-batched", kwargs),
        _err((batch[2],), lm.linalg.LinAlgError, rf"^{name}: {_NOT_PD}$", "not-pd", kwargs),
        _err((np.array([[[1.0, 2.0], [2.0, 1.0]]] * 2),), lm.linalg.LinAlgError,
             rf"^{name}: \(Batch element 0\): {_NOT_PD}$", "not-pd-offdiagonal", kwargs),
        _err((np.full((1, 3, 3), np.nan),), lm.linalg.LinAlgError,
             rf"^{name}: \(Batch element 0\): .*order 1 is not", "nan", kwargs),
    ]


_NOT_FLOATING = _err((np.ones((3, 3), np.int64),), RuntimeError,
                     "linalg.cholesky: Expected a floating point or complex tensor as input. Got "
                     "Long", "int")


def _linalg_cholesky_errors():
    return _argument_errors("linalg.cholesky", _NOT_FLOATING) + _failures("linalg.cholesky") + [
        _err((np.eye(2),), RuntimeError,
             "Expected out tensor to have dtype double, but got float instead", "out-dtype",
             {"out": np.empty(0, np.float32)}),
    ]


def _cholesky_ex_op(A, **kwargs):
    return tuple(lm.linalg.cholesky_ex(A, **kwargs))


def _cholesky_ex_errors():
    # Argument errors as linalg.cholesky's; failures raise only with check_errors=True.
    return (_argument_errors("linalg.cholesky", _NOT_FLOATING)
            + _failures("linalg.cholesky_ex", {"check_errors": True}) + [
        _err((np.eye(2),), TypeError, "argument 'out' must be tuple of Tensors, not Tensor",
             "out-not-tuple", {"out": np.empty(0)}),
        _err((np.eye(2),), RuntimeError,
             "Expected out tensor to have dtype int, but got long int instead", "out-info-dtype",
             {"out": (np.empty(0), np.empty(0, np.int64))}),
    ])


def _deprecated_cholesky_errors():
    return _argument_errors("cholesky", _err(
        (np.ones((3, 3), np.int64),), NotImplementedError,
        "\"cholesky_cpu\" not implemented for 'Long'", "int")) + _failures("cholesky") + [
        _err((np.eye(2),), RuntimeError,
             "cholesky: Expected result to be safely castable from Double dtype, but got result "
             "with dtype Long", "out-dtype", {"out": np.empty(0, np.int64)}),
    ]


# -- cholesky_solve, cholesky_inverse -------------------------------------------------------------

# (batch of B, batch of L, n, k): broadcasting both ways, one and several right-hand sides.
SOLVE_SHAPES = [((), (), 1, 1), ((), (), 3, 2), ((), (), 17, 3), ((3,), (3,), 4, 1),
                ((4, 1), (3,), 2, 3), ((5,), (), 6, 2), ((), (5,), 8, 1), ((11,), (11,), 5, 4),
                ((2,), (1,), 40, 3), ((0,), (), 3, 2), ((2,), (2,), 0, 2), ((2,), (2,), 3, 0)]


def _cholesky_solve_samples(dtype, rng):
    for bb, lb, n, k in SOLVE_SHAPES:
        b = make_array(bb + (n, k), dtype, rng)
        name = f"{'x'.join(map(str, bb)) or 'single'}-{'x'.join(map(str, lb)) or 'single'}-{n}"
        for upper in (False, True):
            L = _factor(lb, n, dtype, rng, upper)
            yield Sample((b, L), {"upper": True} if upper else {}, name + ("-upper" if upper
                                                                          else ""))


def _gram(L, upper):
    t = _wide(_tri(L, upper))
    return _adj(t) @ t if upper else t @ _adj(t)


def _cholesky_solve_ref(b, L, upper=False):
    batch = np.broadcast_shapes(b.shape[:-2], L.shape[:-2])
    if 0 in b.shape[-2:] or 0 in batch:
        return np.zeros(batch + b.shape[-2:], b.dtype)
    a = np.broadcast_to(_gram(L, upper), batch + L.shape[-2:])
    return np.linalg.solve(a, _wide(b)).astype(b.dtype)


def _cholesky_solve_errors():
    rng = np.random.default_rng(0)
    f32, f64 = (make_array((3, 3), d, rng) for d in ("float32", "float64"))
    return [
        _err(([[1.0]], f64), TypeError, r"argument 'input' \(position 1\) must be Tensor",
             "not-tensor"),
        _err((f64, [[1.0]]), TypeError,
             r"argument 'input2' \(position 2\) must be Tensor", "not-tensor-2"),
        _err((np.ones(3), f64), RuntimeError,
             "^b should have at least 2 dimensions, but has 1 dimensions instead$", "1d-b"),
        _err((f64, np.ones(3)), RuntimeError,
             "^u should have at least 2 dimensions, but has 1 dimensions instead$", "1d-L"),
        _err((f32, f64), RuntimeError,
             r"^Expected b and A to have the same dtype, but found b of type Float and A of "
             r"type Double instead\.$", "dtype"),
        _err((f64[:, :2], f64[:, :2]), RuntimeError,
             "^A must be batches of square matrices, but they are 3 by 2 matrices$",
             "non-square"),
        _err((np.ones((4, 2)), f64), RuntimeError,
             "^Incompatible matrix sizes for cholesky_solve: each A matrix is 3 by 3 but each b "
             "matrix is 4 by 2$", "size"),
        _err((np.ones((2, 3, 2)), np.ones((4, 3, 3))), RuntimeError,
             r"^The size of tensor a \(2\) must match the size of tensor b \(4\) at "
             "non-singleton dimension 0$", "batch"),
        _err((np.ones((3, 2), np.int64), np.ones((3, 3), np.int64)),
             NotImplementedError, "\"cholesky_solve_cpu\" not implemented for 'Long'", "int"),
        _err((np.ones((3, 2)), np.eye(3)), RuntimeError,
             "cholesky_solve: Expected result to be safely castable from Double dtype, but got "
             "result with dtype Long", "out-dtype", {"out": np.empty(0, np.int64)}),
    ]


def _cholesky_inverse_samples(dtype, rng):
    for batch, n in SHAPES:
        name = f"{'x'.join(map(str, batch)) or 'single'}-{n}"
        yield Sample((_factor(batch, n, dtype, rng),), {}, name)
        yield Sample((_factor(batch, n, dtype, rng, True),), {"upper": True}, name + "-upper")


def _cholesky_inverse_ref(L, upper=False):
    if L.size == 0:
        return np.zeros(L.shape, L.dtype)
    return np.linalg.inv(_gram(L, upper)).astype(L.dtype)


def _cholesky_inverse_errors():
    singular = np.stack([np.eye(3), np.diag([1.0, 1.0, 0.0])])
    return [
        _err(([[1.0]],), TypeError, r"argument 'input' \(position 1\) must be Tensor",
             "not-tensor"),
        _err((np.ones(3),), RuntimeError,
             r"^cholesky_inverse: The input tensor A must have at least 2 dimensions\.$", "1d"),
        _err((np.ones((3, 2)),), RuntimeError,
             "^cholesky_inverse: A must be batches of square matrices, but they are 3 by 2 "
             "matrices$", "non-square"),
        _err((np.ones((3, 3), np.int64),), NotImplementedError,
             "\"cholesky_inverse_out_cpu\" not implemented for 'Long'", "int"),
        _err((singular,), lm.linalg.LinAlgError,
             r"^cholesky_inverse: \(Batch element 1\): The diagonal element 3 is zero, the "
             r"inversion could not be completed because the input matrix is singular\.$",
             "singular"),
        _err((singular[1],), lm.linalg.LinAlgError,
             r"^cholesky_inverse: The diagonal element 3 is zero", "singular-single"),
    ]


# -- solve_triangular, triangular_solve -----------------------------------------------------------

def _triangular_samples(dtype, rng):
    for bb, ab, n, k in SOLVE_SHAPES:
        name = f"{'x'.join(map(str, bb)) or 'single'}-{'x'.join(map(str, ab)) or 'single'}-{n}"
        for upper, left, unit in ((True, True, False), (False, True, True), (True, False, True),
                                  (False, False, False)):
            a = _factor(ab, n, dtype, rng, upper, cholesky=False)
            b = make_array(bb + ((n, k) if left else (k, n)), dtype, rng)
            kwargs = {"upper": upper}
            if not left:
                kwargs["left"] = False
            if unit:
                kwargs["unitriangular"] = True
            yield Sample((a, b), kwargs, f"{name}-{'U' if upper else 'L'}"
                                         f"{'-right' if not left else ''}{'-unit' if unit else ''}")


def _solve_ref(a, b, upper, left=True, unitriangular=False, transpose=False):
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if 0 in b.shape[-2:] or 0 in batch:
        return np.zeros(batch + b.shape[-2:], a.dtype)
    t = _wide(_tri(a, upper, unitriangular))
    if transpose:
        t = t.swapaxes(-1, -2)
    t = np.broadcast_to(t, batch + t.shape[-2:])
    if left:
        x = np.linalg.solve(t, _wide(b))
    else:
        x = np.linalg.solve(t.swapaxes(-1, -2), _wide(b).swapaxes(-1, -2)).swapaxes(-1, -2)
    return x.astype(a.dtype)


def _solve_triangular_ref(a, b, *, upper, left=True, unitriangular=False):
    return _solve_ref(a, b, upper, left, unitriangular)


def _solve_triangular_errors():
    rng = np.random.default_rng(0)
    f64 = make_array((3, 3), "float64", rng)
    b = make_array((3, 2), "float64", rng)
    name = "linalg.solve_triangular"
    return [
        _err(([[1.0]], b), TypeError, r"argument 'input' \(position 1\) must be Tensor",
             "not-tensor", {"upper": True}),
        _err((f64, [[1.0]]), TypeError, r"argument 'B' \(position 2\) must be Tensor",
             "not-tensor-B", {"upper": True}),
        _err((np.ones(3), b), RuntimeError,
             rf"^{name}: The input tensor A must have at least 2 dimensions\.$", "1d-A",
             {"upper": True}),
        _err((f64, np.ones(3)), RuntimeError,
             rf"^{name}: The input tensor B must have at least 2 dimensions\.$", "1d-B",
             {"upper": True}),
        _err((f64[:, :2], b), RuntimeError,
             rf"^{name}: A must be batches of square matrices, but they are 3 by 2 matrices$",
             "non-square", {"upper": True}),
        _err((f64, np.ones((4, 2))), RuntimeError,
             rf"^{name}: Incompatible shapes of A and B for the equation AX = B \(3x3 and "
             r"4x2\)$", "size", {"upper": True}),
        _err((f64, np.ones((4, 2))), RuntimeError,
             rf"^{name}: Incompatible shapes of A and B for the equation XA = B \(3x3 and "
             r"4x2\)$", "size-right", {"upper": True, "left": False}),
        _err((np.ones((2, 3, 3)), np.ones((4, 3, 2))), RuntimeError,
             r"^The size of tensor a \(4\) must match the size of tensor b \(2\) at "
             "non-singleton dimension 0$", "batch", {"upper": True}),
        _err((np.ones((3, 3), np.int64), b), NotImplementedError,
             "\"triangular_solve_cpu\" not implemented for 'Long'", "int", {"upper": True}),
        _err((np.ones((3, 3), np.float16), b), NotImplementedError,
             "\"triangular_solve_cpu\" not implemented for 'Half'", "half", {"upper": True}),
        _err((f64, b), RuntimeError, "^expected scalar type Double but found Float$",
             "out-dtype", {"upper": True, "out": np.empty(0, np.float32)}),
        _err((f64, b), TypeError, "upper", "no-upper"),
    ]


def _triangular_solve_op(b, A, *args, **kwargs):
    return tuple(lm.triangular_solve(b, A, *args, **kwargs))


def _triangular_solve_samples(dtype, rng):
    for bb, ab, n, k in SOLVE_SHAPES:
        name = f"{'x'.join(map(str, bb)) or 'single'}-{'x'.join(map(str, ab)) or 'single'}-{n}"
        for upper, transpose, unit in ((True, False, False), (False, True, False),
                                       (False, False, True), (True, True, True)):
            a = _factor(ab, n, dtype, rng, upper, cholesky=False)
            b = make_array(bb + (n, k), dtype, rng)
            kwargs = {}
            if not upper:
                kwargs["upper"] = False
            if transpose:
                kwargs["transpose"] = True
            if unit:
                kwargs["unitriangular"] = True
            yield Sample((b, a), kwargs, f"{name}-{'U' if upper else 'L'}"
                                         f"{'-T' if transpose else ''}{'-unit' if unit else ''}")


def _triangular_solve_ref(b, a, upper=True, transpose=False, unitriangular=False):
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    x = _solve_ref(a, b, upper, True, unitriangular, transpose)
    return x, np.broadcast_to(a, batch + a.shape[-2:]).copy()


def _triangular_solve_errors():
    rng = np.random.default_rng(0)
    f32, f64 = (make_array((3, 3), d, rng) for d in ("float32", "float64"))
    prefix = "torch.triangular_solve"
    return [
        _err(([[1.0]], f64), TypeError, r"argument 'input' \(position 1\) must be Tensor",
             "not-tensor"),
        _err((f64, [[1.0]]), TypeError, r"argument 'A' \(position 2\) must be Tensor",
             "not-tensor-A"),
        _err((np.ones(3), f64), RuntimeError,
             rf"^{prefix}: Expected b to have at least 2 dimensions, but it has 1 dimensions "
             "instead$", "1d-b"),
        _err((f64, np.ones(3)), RuntimeError,
             rf"^{prefix}: Expected A to have at least 2 dimensions, but it has 1 dimensions "
             "instead$", "1d-A"),
        _err((f32, f64), RuntimeError,
             r"^Expected b and A to have the same dtype, but found b of type Float and A of "
             r"type Double instead\.$", "dtype"),
        _err((f64, f64[:, :2]), RuntimeError,
             "^A must be batches of square matrices, but they are 3 by 2 matrices$",
             "non-square"),
        _err((np.ones((4, 2)), f64), RuntimeError,
             "^Incompatible matrix sizes for triangular_solve: each A matrix is 3 by 3 but each "
             "b matrix is 4 by 2$", "size"),
        _err((np.ones((2, 3, 2)), np.ones((4, 3, 3))), RuntimeError,
             r"^The size of tensor a \(2\) must match the size of tensor b \(4\) at "
             "non-singleton dimension 0$", "batch"),
        _err((np.ones((3, 2), np.int64), np.ones((3, 3), np.int64)),
             NotImplementedError, "\"triangular_solve_cpu\" not implemented for 'Long'", "int"),
        _err((np.ones((3, 2)), f64), RuntimeError,
             "^Expected out tensor to have dtype double, but got float instead$", "out-dtype",
             {"out": (np.empty(0, np.float32), np.empty(0))}),
    ]


def _out_tensors(errors):
    """The sweep turns positional arrays into tensors; this turns out= arrays into tensors."""
    def make():
        for e in errors():
            out = e.sample.kwargs.get("out")
            if out is not None:
                e.sample.kwargs["out"] = (tuple(lm.from_numpy(o) for o in out)
                                          if isinstance(out, tuple) else lm.from_numpy(out))
            yield e
    return make


OPS = [
    OpInfo("linalg.cholesky", projected_for_grad(lm.linalg.cholesky, 0, hermitian_part),
           _cholesky_ref, _cholesky_samples, dtypes=DTYPES, tol=TOL,
           errors=_out_tensors(_linalg_cholesky_errors),
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.cholesky_ex", projected_for_grad(_cholesky_ex_op, 0, hermitian_part),
           _cholesky_ex_ref, _cholesky_samples, dtypes=DTYPES, tol=TOL,
           errors=_out_tensors(_cholesky_ex_errors),
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("cholesky", projected_for_grad(_quietly(lm.cholesky), 0, hermitian_part), _cholesky_ref,
           _cholesky_samples, dtypes=DTYPES, tol=TOL,
           errors=_out_tensors(_deprecated_cholesky_errors),
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("cholesky_solve", projected_for_grad(lm.cholesky_solve, 1, _triangle),
           _cholesky_solve_ref, _cholesky_solve_samples, dtypes=DTYPES, method="cholesky_solve",
           tol=TOL, errors=_out_tensors(_cholesky_solve_errors),
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("cholesky_inverse", projected_for_grad(lm.cholesky_inverse, 0, _factor_triangle),
           _cholesky_inverse_ref, _cholesky_inverse_samples, dtypes=DTYPES,
           method="cholesky_inverse", tol=TOL, errors=_out_tensors(_cholesky_inverse_errors),
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("linalg.solve_triangular", lm.linalg.solve_triangular, _solve_triangular_ref,
           _triangular_samples, dtypes=DTYPES, tol=TOL,
           errors=_out_tensors(_solve_triangular_errors),
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("triangular_solve", _triangular_solve_op, _triangular_solve_ref,
           _triangular_solve_samples, dtypes=DTYPES, method="triangular_solve", tol=TOL,
           errors=_out_tensors(_triangular_solve_errors),
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
]
