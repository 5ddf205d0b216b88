"""What the op table cannot say about linalg.svd / svdvals / svd: accuracy on ill-conditioned and
rank-deficient input against NumPy's on the same matrices, threaded vs serial results, NaN and
infinity (never a hang), out=, strides, large batches and the primitive's NumPy body."""

import warnings

import numpy as np
import pytest

import lamina as lm
from lamina._ops.svd import NONFINITE, svd_ex_p


def _with_spectrum(rng, batch, n, s, dtype=np.float64):
    """Matrices Q1 diag(s) Q2^H with random unitary Q1, Q2: singular values exactly `s`."""
    def unitary():
        x = rng.standard_normal((batch, n, n))
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.standard_normal((batch, n, n))
        return np.linalg.qr(x)[0]
    return (unitary() * s) @ unitary().conj().swapaxes(-1, -2)


def _residual(A, U, S, Vh):
    k = S.shape[-1]
    R = (U[..., :, :k] * S[..., None, :]) @ Vh[..., :k, :] - A
    return np.linalg.norm(R, axis=(-2, -1)) / np.linalg.norm(A, axis=(-2, -1))


def _orthogonality(U):
    eye = np.eye(U.shape[-1])
    return np.abs(U.conj().swapaxes(-1, -2) @ U - eye).max()


def _numpy(result):
    return tuple(t.numpy() for t in result)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_ill_conditioned_accuracy_matches_numpy(dtype):
    """cond = 1e10: residuals and singular values no worse than 10x NumPy's errors."""
    rng = np.random.default_rng(1)
    s = np.logspace(0, -10, 12)
    A = _with_spectrum(rng, 20, 12, s, dtype)
    U, S, Vh = _numpy(lm.linalg.svd(lm.from_numpy(A)))
    Un, Sn, Vhn = np.linalg.svd(A)
    eps = np.finfo(np.float64).eps
    assert _residual(A, U, S, Vh).max() <= 10 * max(_residual(A, Un, Sn, Vhn).max(), eps)
    assert _orthogonality(U) <= 10 * max(_orthogonality(Un), eps)
    assert _orthogonality(Vh.conj().swapaxes(-1, -2)) <= 10 * max(
        _orthogonality(Vhn.conj().swapaxes(-1, -2)), eps)
    # Singular values carry absolute error ~ eps * s_max (Weyl): compare against the truth.
    assert np.abs(S - s).max() <= 10 * max(np.abs(Sn - s).max(), eps)
    np.testing.assert_allclose(lm.linalg.svdvals(lm.from_numpy(A)).numpy(), S, rtol=0,
                               atol=20 * eps)


def test_rank_deficient():
    """Rank 3 of 6x6: three singular values at rounding level, the factors still orthonormal."""
    rng = np.random.default_rng(2)
    A = rng.standard_normal((10, 6, 3)) @ rng.standard_normal((10, 3, 6))
    U, S, Vh = _numpy(lm.linalg.svd(lm.from_numpy(A)))
    eps = np.finfo(np.float64).eps
    assert np.all(S[:, 3:] <= 100 * eps * S[:, :1])
    assert np.all(S[:, 2] > 1e-3)
    assert _residual(A, U, S, Vh).max() < 100 * eps
    assert _orthogonality(U) < 100 * eps


@pytest.mark.parametrize("shape, full", [((600, 8, 8), True), ((301, 9, 5), False),
                                         ((40, 33, 33), True)])
def test_threads_match_serial(shape, full):
    """Batches big enough to split over 2 threads give the serial results."""
    A = lm.from_numpy(np.random.default_rng(3).standard_normal(shape))
    before = lm.get_num_threads()
    try:
        lm.set_num_threads(1)
        serial = _numpy(lm.linalg.svd(A, full_matrices=full))
        lm.set_num_threads(2)
        threaded = _numpy(lm.linalg.svd(A, full_matrices=full))
    finally:
        lm.set_num_threads(before)
    for s, t in zip(serial, threaded):
        np.testing.assert_allclose(t, s, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nonfinite_elements_get_nan_and_raise(dtype, value):
    """?gesdd never returns on such input: the kernel skips that element (NaN outputs, info
    NONFINITE) and computes the others; the public functions raise naming it."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((4, 3, 3)).astype(dtype)
    A[2, 0, 1] = value
    for compute_uv in (True, False):
        out = svd_ex_p(lm.from_numpy(A), full_matrices=True, compute_uv=compute_uv)
        info = out[-1].numpy()
        np.testing.assert_array_equal(info, [0, 0, NONFINITE, 0])
        for t in out[:-1]:
            x = t.numpy()
            assert np.isnan(x[2]).all()
            assert np.isfinite(x[[0, 1, 3]]).all()
        S = out[1 if compute_uv else 0].numpy()
        good = np.linalg.svd(A[[0, 1, 3]].astype(np.complex128), compute_uv=False)
        np.testing.assert_allclose(S[[0, 1, 3]], good, rtol=1e-5)
    for fn in (lm.linalg.svd, lm.linalg.svdvals, lm.svd):
        with pytest.raises(lm.linalg.LinAlgError, match=r"\(Batch element 2\): The algorithm "
                           "failed to converge because the input matrix contained non-finite"):
            fn(lm.from_numpy(A))


def test_out():
    A = np.random.default_rng(5).standard_normal((2, 4, 3))
    U, S, Vh = (lm.empty(0, dtype=lm.float64) for _ in range(3))
    result = lm.linalg.svd(lm.from_numpy(A), out=(U, S, Vh))
    assert result.U is U and result.S is S and result.Vh is Vh
    np.testing.assert_allclose(S.numpy(), np.linalg.svd(A, compute_uv=False), rtol=1e-12)
    assert _residual(A, U.numpy(), S.numpy(), Vh.numpy()).max() < 1e-14
    out = lm.ones(5, dtype=lm.float64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert lm.linalg.svdvals(lm.from_numpy(A), out=out) is out
    assert any("was resized" in str(w.message) for w in caught)
    assert out.shape == (2, 3)
    U, S, V = (lm.empty(0, dtype=lm.float64) for _ in range(3))
    result = lm.svd(lm.from_numpy(A), out=(U, S, V))
    assert result.V is V and V.shape == (2, 3, 3)


def test_layout_and_top_level_forms():
    """U and Vh come back column-major as PyTorch's; svd's V is Vh^H; the method matches."""
    A = lm.from_numpy(np.random.default_rng(6).standard_normal((3, 5, 4)))
    U, S, Vh = lm.linalg.svd(A)
    assert U.stride() == (25, 1, 5) and Vh.stride() == (16, 1, 4) and S.stride() == (4, 1)
    U, S, Vh = lm.linalg.svd(A, full_matrices=False)
    assert U.stride() == (20, 1, 5) and Vh.stride() == (16, 1, 4)
    U2, S2, V = A.svd()
    np.testing.assert_array_equal(V.numpy(), Vh.numpy().swapaxes(-1, -2))
    np.testing.assert_array_equal(S2.numpy(), S.numpy())
    np.testing.assert_array_equal(U2.numpy(), U.numpy())
    U3, S3, V3 = lm.svd(A, compute_uv=False)
    assert U3.shape == (3, 5, 5) and V3.shape == (3, 4, 4)
    assert not U3.numpy().any() and not V3.numpy().any()


def test_large_batch_of_tiny_matrices_matches_numpy():
    A = np.random.default_rng(7).standard_normal((5000, 4, 4))
    U, S, Vh = _numpy(lm.linalg.svd(lm.from_numpy(A)))
    np.testing.assert_allclose(S, np.linalg.svd(A, compute_uv=False), rtol=1e-12, atol=1e-13)
    assert _residual(A, U, S, Vh).max() < 1e-14


def test_one_large_matrix():
    """Big enough that OpenBLAS runs threaded inside ?gesdd."""
    A = np.random.default_rng(8).standard_normal((200, 150)).astype(np.float32)
    U, S, Vh = _numpy(lm.linalg.svd(lm.from_numpy(A), full_matrices=False))
    np.testing.assert_allclose(S, np.linalg.svd(A.astype(np.float64), compute_uv=False),
                               rtol=1e-4, atol=1e-4)
    assert _residual(A, U, S, Vh).max() < 1e-5


@pytest.mark.parametrize("compute_uv", [True, False])
def test_numpy_body_matches_kernel(compute_uv):
    """The primitive's xp body (the future CUDA path) against the cpu kernel, NaN included."""
    A = np.random.default_rng(9).standard_normal((3, 4, 5))
    A[1, 2, 2] = np.nan
    xp = svd_ex_p.xp(np, A, full_matrices=False, compute_uv=compute_uv)
    cpu = _numpy(svd_ex_p(lm.from_numpy(A), full_matrices=False, compute_uv=compute_uv))
    np.testing.assert_array_equal(xp[-1], cpu[-1])
    S_at = 1 if compute_uv else 0
    np.testing.assert_allclose(xp[S_at], cpu[S_at], rtol=1e-12)
    if compute_uv:
        assert np.isnan(xp[0][1]).all()
        np.testing.assert_allclose(np.abs(xp[0]), np.abs(cpu[0]), rtol=1e-10, atol=1e-12)


# -- the one-sided Jacobi kernel (real matrices up to 16 x 16) against ?gesdd on the same input --

def _spectrum_cases():
    rng = np.random.default_rng(10)
    yield "random", rng.standard_normal((30, 8, 8))
    yield "rank-deficient", rng.standard_normal((30, 7, 3)) @ rng.standard_normal((30, 3, 7))
    yield "repeated", _with_spectrum(rng, 30, 6, np.array([3.0, 3.0, 3.0, 1.0, 1.0, 0.5]))
    yield "cond-1e10", _with_spectrum(rng, 30, 9, np.logspace(0, -10, 9))
    yield "zero", np.zeros((3, 5, 5))
    yield "tall", rng.standard_normal((30, 9, 4))
    yield "wide", rng.standard_normal((30, 4, 9))
    yield "16x16", rng.standard_normal((10, 16, 16))
    yield "huge-and-tiny", rng.standard_normal((10, 5, 5)) * np.repeat([1e150, 1e-150], 5)[
        :, None, None]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("name, A", list(_spectrum_cases()), ids=lambda x: x
                         if isinstance(x, str) else "")
def test_jacobi_matches_gesdd(name, A, full, dtype):
    """Residual ||A - U S Vh|| / ||A|| and orthogonality of U and V no worse than 10x ?gesdd's
    (LAPACK, the same path NumPy takes) on the same matrices; singular values within 10x its
    error against the float64 truth; info zero; the same shapes and column-major strides."""
    from lamina._core import _svd
    if dtype == np.float32 and name == "huge-and-tiny":
        A = A / np.abs(A).max(axis=(-2, -1), keepdims=True)     # float32's range
    A = A.astype(dtype)
    U, S, Vh, info = _svd.jacobi_batched(A, full, True)
    Ul, Sl, Vhl, infol = _svd.gesdd_batched(A, full, True)
    assert not info.any() and not infol.any()
    assert U.shape == Ul.shape and Vh.shape == Vhl.shape and U.strides == Ul.strides
    assert Vh.strides == Vhl.strides and S.dtype == Sl.dtype == A.dtype
    eps = np.finfo(dtype).eps
    truth = np.linalg.svd(A.astype(np.float64), compute_uv=False)
    scale = np.maximum(truth[..., :1], np.finfo(np.float64).tiny)
    assert (np.abs(S - truth) / scale).max() <= 10 * max((np.abs(Sl - truth) / scale).max(), eps)
    assert np.all(S[..., :-1] >= S[..., 1:])
    A64 = A.astype(np.float64)
    nz = np.linalg.norm(A64, axis=(-2, -1)) > 0
    res = _residual(A64[nz], U[nz].astype(np.float64), S[nz].astype(np.float64),
                    Vh[nz].astype(np.float64))
    resl = _residual(A64[nz], Ul[nz].astype(np.float64), Sl[nz].astype(np.float64),
                     Vhl[nz].astype(np.float64))
    if nz.any():
        assert res.max() <= 10 * max(resl.max(), eps)
    for X, Xl in ((U, Ul), (Vh.swapaxes(-1, -2), Vhl.swapaxes(-1, -2))):
        X, Xl = X.astype(np.float64), Xl.astype(np.float64)
        assert _orthogonality(X) <= 10 * max(_orthogonality(Xl), eps)
    _, S2, _, info2 = _svd.jacobi_batched(A, full, False)
    np.testing.assert_array_equal(S2, S)       # svdvals skips V, not accuracy
    assert not info2.any()


def test_jacobi_zero_matrix_gives_identities():
    from lamina._core import _svd
    U, S, Vh, _ = _svd.jacobi_batched(np.zeros((2, 4, 3)), True, True)
    np.testing.assert_array_equal(S, 0)
    np.testing.assert_array_equal(U, np.broadcast_to(np.eye(4), (2, 4, 4)))
    np.testing.assert_array_equal(Vh, np.broadcast_to(np.eye(3), (2, 3, 3)))


def test_dispatch():
    """Small real matrices take the Jacobi kernel (up to 12 x 12, 10 x 10 for values only),
    larger or complex ones ?gesdd."""
    from lamina._core import _svd
    rng = np.random.default_rng(11)
    for shape, dtype, uv, jacobi in (((3, 12, 5), np.float64, True, True),
                                     ((3, 13, 5), np.float32, True, False),
                                     ((3, 5, 10), np.float32, False, True),
                                     ((3, 11, 5), np.float64, False, False),
                                     ((3, 4, 4), np.complex128, True, False),
                                     ((2, 1), np.float32, True, True)):
        A = rng.standard_normal(shape).astype(dtype)
        got = _svd.svd_batched(A, True, uv)[1]
        want = (_svd.jacobi_batched if jacobi else _svd.gesdd_batched)(A, True, uv)[1]
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("compute_uv", [True, False])
def test_jacobi_threads_bitwise_equal_serial(compute_uv):
    """No LAPACK in the Jacobi kernel: 2 threads give exactly the serial results."""
    A = lm.from_numpy(np.random.default_rng(12).standard_normal((1001, 7, 5)))
    before = lm.get_num_threads()
    try:
        lm.set_num_threads(1)
        serial = _numpy(svd_ex_p(A, full_matrices=True, compute_uv=compute_uv))
        lm.set_num_threads(2)
        threaded = _numpy(svd_ex_p(A, full_matrices=True, compute_uv=compute_uv))
    finally:
        lm.set_num_threads(before)
    for s, t in zip(serial, threaded):
        np.testing.assert_array_equal(t, s)


def test_jacobi_large_batch_float32_matches_numpy():
    A = np.random.default_rng(13).standard_normal((5000, 8, 8)).astype(np.float32)
    U, S, Vh = _numpy(lm.linalg.svd(lm.from_numpy(A)))
    np.testing.assert_allclose(S, np.linalg.svd(A.astype(np.float64), compute_uv=False),
                               rtol=1e-5, atol=1e-5)
    assert _residual(A.astype(np.float64), U.astype(np.float64), S.astype(np.float64),
                     Vh.astype(np.float64)).max() < 1e-6


def test_jacobi_extreme_range_terminates():
    """Columns from 1 down to subnormals (cond ~1e300): the factors stay orthonormal, singular
    values down to ~1e-124 relatively exact and the rest within eps * ||A||."""
    from lamina._core import _svd
    rng = np.random.default_rng(14)
    A = rng.standard_normal((4, 6, 6)) * np.logspace(0, -310, 6)
    U, S, Vh, info = _svd.jacobi_batched(A, True, True)
    assert not info.any()
    Sn = np.linalg.svd(A, compute_uv=False)
    np.testing.assert_allclose(S[:, :3], Sn[:, :3], rtol=1e-13)
    assert np.all(np.abs(S - Sn) <= 1e-15 * Sn[:, :1])
    assert S[0, 3] > 0
    assert _orthogonality(U) < 1e-14 and _orthogonality(Vh.swapaxes(-1, -2)) < 1e-14
    assert _residual(A, U, S, Vh).max() < 1e-14
