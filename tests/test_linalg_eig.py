"""What the op table cannot say about linalg.eig / eigvals: accuracy on ill-conditioned and
defective input against NumPy's on the same matrices, conjugate pairs of real input, threaded vs
serial results, NaN and infinity (never a hang), out=, strides, large batches and the primitive's
NumPy body."""

import numpy as np
import pytest

import lamina as lm
from lamina._ops.eig import NONFINITE, eig_ex_p


def _residual(A, w, V):
    R = A @ V - V * w[..., None, :]
    return np.linalg.norm(R, axis=(-2, -1)) / np.linalg.norm(A, axis=(-2, -1))


def _numpy(result):
    return tuple(t.numpy() for t in result)


def _assert_same_values(got, want, tol):
    """Each row of `got` and `want` holds the same eigenvalues up to `tol`, in any order (a
    sort by real part is no canonical order: a conjugate pair's real parts may differ by
    rounding)."""
    dist = np.abs(got[..., :, None] - want[..., None, :])
    assert dist.min(axis=-1).max() <= tol and dist.min(axis=-2).max() <= tol


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_ill_conditioned_accuracy_matches_numpy(dtype):
    """A = X diag(d) X^-1 with cond(X) ~ 1e5 and |d| spread over 1e10 (cond(A) ~ 1e20): the
    residual ||AV - V diag(w)|| / ||A|| no worse than 10x NumPy's on the same matrices."""
    rng = np.random.default_rng(1)
    n = 10
    Q1, _ = np.linalg.qr(rng.standard_normal((20, n, n)))
    Q2, _ = np.linalg.qr(rng.standard_normal((20, n, n)))
    X = (Q1 * np.logspace(0, -5, n)) @ Q2
    d = np.logspace(0, -10, n) * rng.choice([-1, 1], n)
    A = (X * d) @ np.linalg.inv(X)
    if np.dtype(dtype).kind == "c":
        A, d = A * np.exp(0.3j), d * np.exp(0.3j)
    w, V = _numpy(lm.linalg.eig(lm.from_numpy(A)))
    wn, Vn = np.linalg.eig(A)
    eps = np.finfo(np.float64).eps
    assert _residual(A, w, V).max() <= 10 * max(_residual(A, wn, Vn).max(), eps)
    np.testing.assert_allclose(np.linalg.norm(V, axis=-2), 1, rtol=1e-13)
    # The eigenvalues: the true ones are d; NumPy's and ours carry errors of eps * cond.
    err_numpy = np.abs(wn[..., :, None] - d).min(axis=-1).max()
    _assert_same_values(w, d, 10 * max(err_numpy, eps))


def test_defective_matrix():
    """A Jordan block (one eigenvalue, one eigenvector) with a 1e-14 perturbation: eigenvalues
    cluster at 2 within ~(1e-14)^(1/4), and the residual stays at rounding level."""
    J = 2 * np.eye(4) + np.eye(4, k=1)
    J[3, 0] = 1e-14
    w, V = _numpy(lm.linalg.eig(lm.from_numpy(J)))
    assert np.abs(w - 2).max() < 1e-3
    assert _residual(J, w, V).max() < 1e-13


def test_real_input_gives_conjugate_pairs():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((50, 7, 7))
    w, V = _numpy(lm.linalg.eig(lm.from_numpy(A)))
    assert w.dtype == np.complex128 and V.dtype == np.complex128
    for b in range(50):
        # Complex eigenvalues come in adjacent conjugate pairs, with conjugate eigenvectors.
        j = 0
        while j < 7:
            if w[b, j].imag == 0:
                assert not V[b, :, j].imag.any()
                j += 1
            else:
                assert w[b, j].imag > 0 and w[b, j + 1] == w[b, j].conj()
                np.testing.assert_array_equal(V[b, :, j + 1], V[b, :, j].conj())
                j += 2
    assert _residual(A, w, V).max() < 1e-13


def test_closed_forms():
    w, V = lm.linalg.eig(lm.tensor([[0.0, -1.0], [1.0, 0.0]]))
    np.testing.assert_allclose(w.numpy(), [1j, -1j], atol=1e-7)
    assert w.dtype is lm.complex64
    T = np.triu(np.arange(1.0, 17.0).reshape(4, 4))
    np.testing.assert_allclose(np.sort(lm.linalg.eigvals(lm.from_numpy(T)).numpy().real),
                               np.diag(T), rtol=1e-14)


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("shape", [(600, 8, 8), (40, 33, 33)])
def test_threads_match_serial(shape, dtype):
    """Batches big enough to split over 2 threads give the serial results."""
    rng = np.random.default_rng(3)
    A = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if dtype[0] == "c" else 0)
    A = lm.from_numpy(A)
    before = lm.get_num_threads()
    try:
        lm.set_num_threads(1)
        serial = _numpy(lm.linalg.eig(A))
        lm.set_num_threads(2)
        threaded = _numpy(lm.linalg.eig(A))
    finally:
        lm.set_num_threads(before)
    for s, t in zip(serial, threaded):
        np.testing.assert_allclose(t, s, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nonfinite_elements(dtype, value):
    """?geev is kept away from such input: eigvals gives that element NaN and the others their
    values; eig refuses it, as PyTorch does."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((4, 3, 3)).astype(dtype)
    A[1, 2, 2] = value
    w, V, info = _numpy(eig_ex_p(lm.from_numpy(A), compute_v=True))
    np.testing.assert_array_equal(info, [0, NONFINITE, 0, 0])
    assert np.isnan(w[1]).all() and np.isnan(V[1]).all()
    assert np.isfinite(w[[0, 2, 3]]).all() and np.isfinite(V[[0, 2, 3]]).all()
    got = lm.linalg.eigvals(lm.from_numpy(A)).numpy()
    assert np.isnan(got[1]).all()
    good = np.linalg.eigvals(A[[0, 2, 3]].astype(np.complex128))
    _assert_same_values(got[[0, 2, 3]], good, 1e-5)
    with pytest.raises(RuntimeError, match="should not contain infs or NaNs"):
        lm.linalg.eig(lm.from_numpy(A))


def test_out():
    A = np.random.default_rng(5).standard_normal((2, 4, 4))
    w, V = lm.empty(0, dtype=lm.complex64), lm.empty(0, dtype=lm.complex128)
    result = lm.linalg.eig(lm.from_numpy(A), out=(w, V))
    assert result.eigenvalues is w and result.eigenvectors is V
    assert w.dtype is lm.complex64 and w.shape == (2, 4) and V.shape == (2, 4, 4)
    assert _residual(A, w.numpy().astype(np.complex128), V.numpy()).max() < 1e-6
    out = lm.empty(0, dtype=lm.complex128)
    assert lm.linalg.eigvals(lm.from_numpy(A), out=out) is out
    _assert_same_values(out.numpy(), np.linalg.eigvals(A), 1e-12)


def test_layout():
    """Eigenvectors come back column-major as PyTorch's."""
    w, V = lm.linalg.eig(lm.from_numpy(np.random.default_rng(6).standard_normal((3, 4, 4))))
    assert V.stride() == (16, 1, 4) and w.stride() == (4, 1)


def test_large_batch_of_tiny_matrices_matches_numpy():
    A = np.random.default_rng(7).standard_normal((5000, 4, 4))
    w, V = _numpy(lm.linalg.eig(lm.from_numpy(A)))
    _assert_same_values(w, np.linalg.eigvals(A), 1e-11)
    assert _residual(A, w, V).max() < 1e-13


@pytest.mark.parametrize("compute_v", [True, False])
def test_numpy_body_matches_kernel(compute_v):
    """The primitive's xp body (the future CUDA path) against the cpu kernel, NaN included."""
    A = np.random.default_rng(9).standard_normal((3, 4, 4)).astype(np.float32)
    A[1, 2, 2] = np.nan
    xp = eig_ex_p.xp(np, A, compute_v=compute_v)
    cpu = _numpy(eig_ex_p(lm.from_numpy(A), compute_v=compute_v))
    np.testing.assert_array_equal(xp[-1], cpu[-1])
    assert xp[0].dtype == cpu[0].dtype == np.complex64
    assert np.isnan(xp[0][1]).all()
    keep = [0, 2]
    _assert_same_values(xp[0][keep], cpu[0][keep], 1e-5)
