"""Hand tests for linalg.eigh / eigvalsh: what the op table cannot say. Accuracy on
ill-conditioned and degenerate input against NumPy's, threaded vs serial, NaN/Inf per batch
element (no hang, NaN outputs), the convergence-failure message, out=, a large batch."""

import numpy as np
import pytest

import lamina as lm
from lamina._core._eigh import eigh as _kernel_eigh
from lamina.linalg import _eigh

RNG = np.random.default_rng(11)


def _hermitian_with(batch, n, eigenvalues, complex_=False):
    X = RNG.standard_normal((batch, n, n))
    if complex_:
        X = X + 1j * RNG.standard_normal((batch, n, n))
    U = np.linalg.qr(X)[0]
    return (U * eigenvalues) @ U.conj().swapaxes(-1, -2)


def _residuals(A, w, V):
    scale = np.linalg.norm(A, axis=(-2, -1))
    fact = np.linalg.norm(A @ V - V * w[..., None, :], axis=(-2, -1)) / scale
    orth = np.linalg.norm(V.conj().swapaxes(-1, -2) @ V - np.eye(A.shape[-1]), axis=(-2, -1))
    return fact.max(), orth.max()


@pytest.mark.parametrize("n", [2, 4, 8, 17, 40])
@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("cond", [1e4, 1e10])
def test_ill_conditioned_accuracy_vs_numpy(n, complex_, cond):
    evs = np.logspace(0, -np.log10(cond), n) * np.where(np.arange(n) % 2, 1, -1)
    A = _hermitian_with(10, n, evs, complex_)
    w, V = lm.linalg.eigh(lm.from_numpy(A))
    ours = _residuals(A, w.numpy(), V.numpy())
    ref = _residuals(A, *np.linalg.eigh(A))
    eps = np.finfo(np.float64).eps
    for got, want in zip(ours, ref):
        assert got <= 10 * max(want, eps), (ours, ref)
    np.testing.assert_allclose(w.numpy(), np.sort(evs)[None].repeat(10, 0), atol=1e-14)


def test_repeated_eigenvalues():
    A = _hermitian_with(6, 7, np.array([1.0, 1, 1, 2, 2, 5, 5]), complex_=True)
    w, V = lm.linalg.eigh(lm.from_numpy(A))
    fact, orth = _residuals(A, w.numpy(), V.numpy())
    assert fact < 1e-14 and orth < 1e-14
    eye = lm.linalg.eigh(lm.eye(5, dtype=lm.float64))
    np.testing.assert_array_equal(eye.eigenvalues.numpy(), np.ones(5))


def test_eigvalsh_matches_eigh():
    A = RNG.standard_normal((9, 12, 12)).astype(np.float32)
    for uplo in ("L", "U"):
        w1 = lm.linalg.eigvalsh(lm.from_numpy(A), UPLO=uplo).numpy()
        w2 = lm.linalg.eigh(lm.from_numpy(A), UPLO=uplo).eigenvalues.numpy()
        np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-5)


def test_threads_match_serial():
    A = RNG.standard_normal((2001, 8, 8))
    B = RNG.standard_normal((101, 33, 33)) + 1j * RNG.standard_normal((101, 33, 33))
    saved = lm.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            lm.set_num_threads(threads)
            results.append([x.numpy() for x in lm.linalg.eigh(lm.from_numpy(A))]
                           + [x.numpy() for x in lm.linalg.eigh(lm.from_numpy(B), UPLO="U")]
                           + [lm.linalg.eigvalsh(lm.from_numpy(A)).numpy()])
    finally:
        lm.set_num_threads(saved)
    for x, y in zip(*results):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("n", [3, 8, 40])
def test_non_finite_element_gets_nan(value, n):
    A = RNG.standard_normal((3, n, n))
    A = A + A.swapaxes(-1, -2)
    bad = A.copy()
    bad[1, n - 1, 0] = value             # in the lower triangle: read with UPLO='L'
    w, V = lm.linalg.eigh(lm.from_numpy(bad))
    w, V = w.numpy(), V.numpy()
    assert np.all(np.isnan(w[1])) and np.all(np.isnan(V[1]))
    np.testing.assert_allclose(w[[0, 2]], np.linalg.eigvalsh(A[[0, 2]]), atol=1e-12)
    assert np.all(np.isnan(lm.linalg.eigvalsh(lm.from_numpy(bad)).numpy()[1]))
    # the upper triangle is never read with UPLO='L'
    other = A.copy()
    other[1, 0, n - 1] = value
    np.testing.assert_allclose(lm.linalg.eigvalsh(lm.from_numpy(other)).numpy(),
                               np.linalg.eigvalsh(A), atol=1e-12)


def test_one_by_one_is_exact_even_non_finite():
    A = np.array([[[np.inf]], [[np.nan]], [[-2.5]]])
    w, V = lm.linalg.eigh(lm.from_numpy(A))
    np.testing.assert_array_equal(w.numpy(), [[np.inf], [np.nan], [-2.5]])
    np.testing.assert_array_equal(V.numpy(), np.ones((3, 1, 1)))
    Z = np.array([[3.0 + 7.0j]])           # the diagonal's imaginary part is ignored
    assert lm.linalg.eigvalsh(lm.from_numpy(Z)).numpy().tolist() == [3.0]


def test_convergence_failure_message():
    info = lm.from_numpy(np.array([0, 0, 3], dtype=np.int32))
    with pytest.raises(lm.linalg.LinAlgError, match=r"linalg.eigh: \(Batch element 2\): The "
                       r"algorithm failed to converge because the input matrix is ill-conditioned "
                       r"or has too many repeated eigenvalues \(error code: 3\)."):
        _eigh._raise(info)
    with pytest.raises(lm.linalg.LinAlgError, match=r"^linalg.eigh: The algorithm"):
        _eigh._raise(lm.from_numpy(np.array(2, dtype=np.int32)))


def test_out_and_return_types():
    A = lm.from_numpy(RNG.standard_normal((2, 4, 4)) + 1j * RNG.standard_normal((2, 4, 4)))
    w, V = lm.empty(0, dtype=lm.float64), lm.empty(0, dtype=lm.complex128)
    res = lm.linalg.eigh(A, out=(w, V))
    assert res.eigenvalues is w and res.eigenvectors is V
    assert type(res).__name__ == "linalg_eigh" and w.shape == (2, 4) and V.shape == (2, 4, 4)
    assert lm.linalg.eigh(A).eigenvectors.stride() == (16, 1, 4)     # column-major, as torch
    out = lm.empty(2, 4, dtype=lm.float64)
    assert lm.linalg.eigvalsh(A, out=out) is out
    np.testing.assert_allclose(out.numpy(), w.numpy(), atol=1e-13)
    assert lm.linalg.eigh(A).eigenvalues.dtype is lm.float64


def test_large_batch_of_4x4_vs_numpy():
    A = RNG.standard_normal((5000, 4, 4))
    w, V = lm.linalg.eigh(lm.from_numpy(A))
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(A), atol=1e-12)
    fact, orth = _residuals(np.tril(A) + np.tril(A, -1).swapaxes(-1, -2), w.numpy(), V.numpy())
    assert fact < 1e-13 and orth < 1e-13


# -- the tiny kernel (real n <= 32, no LAPACK call) against ?syevd on the same matrices --------

def _kernel(A, vectors=True, **kw):
    w, v, info = _kernel_eigh(A, vectors, True, **kw)
    assert not info.any()
    return w, (None if v is None else v.swapaxes(-1, -2))


def _cases(n):
    """(name, batch of symmetric float64 matrices of order n): the shapes of trouble."""
    X = RNG.standard_normal((6, n, n))
    evs = np.logspace(0, -10, n) * np.where(np.arange(n) % 2, 1, -1)
    yield "random", X + X.swapaxes(-1, -2)
    yield "repeated", _hermitian_with(6, n, np.repeat([1.0, -2.0, 3.0], n)[:n])
    yield "diagonal", np.stack([np.diag(x) for x in RNG.standard_normal((6, n))])
    yield "cond-1e10", _hermitian_with(6, n, evs)
    yield "graded", _hermitian_with(6, n, np.logspace(0, -10, n)) * 1e5
    near = np.stack([np.diag(x) for x in RNG.standard_normal((6, n))])
    yield "nearly-diagonal", near + 1e-9 * (X + X.swapaxes(-1, -2))
    yield "zero", np.zeros((3, n, n))
    yield "huge", (X + X.swapaxes(-1, -2)) * 1e300
    yield "tiny", (X + X.swapaxes(-1, -2)) * 1e-300


@pytest.mark.parametrize("n", [2, 3, 5, 8, 13, 32])
def test_tiny_kernel_matches_lapack_path(n):
    eps = np.finfo(np.float64).eps
    for name, A in _cases(n):
        w, V = _kernel(A)
        w_lapack, V_lapack = _kernel(A, tiny_max=0)
        scale = np.abs(w_lapack).max(axis=-1, keepdims=True)
        if name in ("zero", "diagonal"):              # exact: nothing to rotate
            np.testing.assert_array_equal(w, w_lapack, err_msg=name)
            np.testing.assert_array_equal(np.abs(V), np.abs(V_lapack), err_msg=name)
        assert np.all(np.abs(w - w_lapack) <= 20 * n * eps * scale), name
        assert np.all(np.diff(w, axis=-1) >= 0), name
        assert np.all(np.abs(_kernel(A, False)[0] - w) <= 20 * n * eps * scale), name
        if name in ("huge", "tiny", "zero"):
            continue                    # NumPy's residual norms overflow / underflow / are 0/0
        ours = _residuals(A, w, V)
        ref = _residuals(A, *np.linalg.eigh(A))
        for got, want in zip(ours, ref):
            assert got <= 10 * max(want, eps), (name, ours, ref)


def test_tiny_kernel_float32_vs_lapack():
    A = RNG.standard_normal((50, 8, 8)).astype(np.float32)
    A = A + A.swapaxes(-1, -2)
    w, V = _kernel(A)
    assert w.dtype == V.dtype == np.float32
    ref = np.linalg.eigvalsh(A.astype(np.float64))
    err = np.abs(w - ref).max() / np.abs(ref).max()
    err_lapack = np.abs(_kernel(A, tiny_max=0)[0] - ref).max() / np.abs(ref).max()
    assert err <= 10 * max(err_lapack, np.finfo(np.float32).eps)
    fact, orth = _residuals(A.astype(np.float64), w.astype(np.float64), V.astype(np.float64))
    assert fact < 1e-5 and orth < 1e-5


def test_tiny_kernel_falls_back_to_lapack():
    A = RNG.standard_normal((7, 6, 6))
    A = A + A.swapaxes(-1, -2)
    for vectors in (True, False):
        w, _, info = _kernel_eigh(A, vectors, True, max_iter=0)     # QL gives up at once
        w_lapack, _, _ = _kernel_eigh(A, vectors, True, tiny_max=0)
        assert not info.any()
        np.testing.assert_array_equal(w, w_lapack)


def test_tiny_kernel_threads_bitwise_equal_serial():
    A = RNG.standard_normal((3001, 8, 8))
    saved = lm.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            lm.set_num_threads(threads)
            results.append(_kernel_eigh(A, True, False)[:2] + _kernel_eigh(A, False, True)[:1])
    finally:
        lm.set_num_threads(saved)
    for x, y in zip(*results):
        np.testing.assert_array_equal(x, y)
