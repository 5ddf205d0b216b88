"""Hand-written tests for the Cholesky family where the op table cannot speak: accuracy on
ill-conditioned input, the tiny kernel against LAPACK on the same matrices, threads against one
thread, info tensors, NaN/Inf, out=, layouts and dtype rules, a large batch against NumPy."""

import warnings

import numpy as np
import pytest

import lamina as lm
from lamina._core import _cholesky, _cpu, _triangular

DTYPES = ["float32", "float64", "complex64", "complex128"]


def _rng():
    return np.random.default_rng(1234)


def _hpd(rng, batch, n, dtype="float64", cond=None):
    """Hermitian positive-definite matrices, random or with condition number `cond`."""
    complex_ = np.dtype(dtype).kind == "c"
    x = rng.standard_normal(batch + (n, n))
    if complex_:
        x = x + 1j * rng.standard_normal(batch + (n, n))
    if cond is None:
        a = x @ x.conj().swapaxes(-1, -2) + n * np.eye(n)
    else:
        q, _ = np.linalg.qr(x)
        a = (q * np.logspace(0, -np.log10(cond), n)[..., None, :]) @ q.conj().swapaxes(-1, -2)
    return ((a + a.conj().swapaxes(-1, -2)) / 2).astype(dtype)


def _t(a):
    return lm.from_numpy(np.ascontiguousarray(a))


@pytest.fixture
def lapack_only():
    """Route every size to LAPACK for the test's duration."""
    old = _cholesky._set_tiny_max(0)
    yield
    _cholesky._set_tiny_max(old)


@pytest.fixture
def threads():
    old = lm.get_num_threads()
    yield lm.set_num_threads
    lm.set_num_threads(old)


def _residual(a, L):
    return np.linalg.norm(a - L @ L.conj().swapaxes(-1, -2), axis=(-2, -1)) / np.linalg.norm(
        a, axis=(-2, -1))


# -- accuracy -------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 4, 8, 17, 40])
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_ill_conditioned_residual_within_10x_numpy(n, dtype):
    a = _hpd(_rng(), (64,), n, dtype, cond=1e10)
    L, info = lm.linalg.cholesky_ex(_t(a))
    ok = info.numpy() == 0
    ref = np.linalg.cholesky(a[ok])
    assert ok.mean() > 0.9          # cond 1e10 is well inside float64's reach
    mine, theirs = _residual(a[ok], L.numpy()[ok]), _residual(a[ok], ref)
    eps = np.finfo(a.dtype).eps
    assert np.all(mine <= 10 * np.maximum(theirs, eps)), (mine.max(), theirs.max())


@pytest.mark.parametrize("n", [3, 8, 40])
def test_ill_conditioned_solves_within_10x_numpy(n):
    rng = _rng()
    a = _hpd(rng, (32,), n, cond=1e10)
    b = rng.standard_normal((32, n, 3))
    L = lm.linalg.cholesky(_t(a))
    x = lm.cholesky_solve(_t(b), L).numpy()
    ref = np.linalg.solve(a, b)

    def backward_error(y):      # ||A y - b|| / (||A|| ||y||): rounding level when stable
        return (np.linalg.norm(a @ y - b, axis=(-2, -1))
                / (np.linalg.norm(a, axis=(-2, -1)) * np.linalg.norm(y, axis=(-2, -1))))
    eps = np.finfo(np.float64).eps
    assert backward_error(x).max() <= 10 * max(backward_error(ref).max(), eps)
    # A triangular solve's backward error stays at rounding level whatever L's conditioning.
    y = lm.linalg.solve_triangular(L, _t(b), upper=False).numpy()
    Ln = L.numpy()
    back = np.linalg.norm(Ln @ y - b, axis=(-2, -1)) / (
        np.linalg.norm(Ln, axis=(-2, -1)) * np.linalg.norm(y, axis=(-2, -1)))
    assert back.max() < 1e-13


def test_exactly_singular_leading_minor_reported_by_both_paths(lapack_only):
    # pivot 2 is 1 - 1 = 0 exactly: order 2 in the tiny kernel and in LAPACK alike
    a = np.array([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0],
                  [0.0, 0.0, 0.0, 1.0]])
    batch = np.stack([np.eye(4), a] * 5)
    lapack = lm.linalg.cholesky_ex(_t(batch)).info.numpy()
    _cholesky._set_tiny_max(8)
    tiny = lm.linalg.cholesky_ex(_t(batch)).info.numpy()
    np.testing.assert_array_equal(tiny, [0, 2] * 5)
    np.testing.assert_array_equal(lapack, tiny)


# -- the tiny kernel against LAPACK ---------------------------------------------------------------

def _mixed_batch(rng, n, dtype):
    """Good matrices and failures: negative pivots, NaN and Inf at several places."""
    a = _hpd(rng, (40,), n, dtype)
    a[3, n - 1, n - 1] = -1
    a[5, 0, 0] = np.nan
    a[7, n - 1, 0] = a[7, 0, n - 1] = np.nan
    a[9, n - 1, n - 1] = np.inf
    a[11, n - 1, 0] = a[11, 0, n - 1] = np.inf
    a[13] *= -1
    a[15, :, :] = 0
    return a


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 12, 16])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
def test_tiny_kernel_matches_lapack(simd_level, n, dtype, upper):
    """Each level's kernels (real n <= 4 from AVX2: _simd_chol.h, four or eight matrices a
    call, a group with a failure redone one by one) against LAPACK."""
    a = _mixed_batch(_rng(), n, dtype)
    tiny = lm.linalg.cholesky_ex(_t(a), upper=upper)
    old = _cholesky._set_tiny_max(0)
    try:
        lapack = lm.linalg.cholesky_ex(_t(a), upper=upper)
    finally:
        _cholesky._set_tiny_max(old)
    info = tiny.info.numpy()
    np.testing.assert_array_equal(info, lapack.info.numpy())
    assert info[3] == (n if n > 1 else 1) and info[13] == 1 and info[15] == 1
    ok = info == 0
    tol = 1e-5 if dtype in ("float32", "complex64") else 1e-13
    np.testing.assert_allclose(tiny.L.numpy()[ok], lapack.L.numpy()[ok], rtol=tol, atol=tol)


@pytest.mark.parametrize("n", [1, 3, 5, 8])
@pytest.mark.parametrize("dtype", ["float32", "complex128"])
def test_tiny_solves_match_lapack(n, dtype):
    rng = _rng()
    a = _hpd(rng, (7,), n, dtype)
    L = np.linalg.cholesky(a)
    b = (rng.standard_normal((7, n, 3)) + (1j if dtype == "complex128" else 0)).astype(dtype)
    calls = [lambda F, B: lm.cholesky_solve(B, F), lambda F, B: lm.cholesky_solve(B, F.mH, True)]
    for upper in (False, True):
        for left in (False, True):
            for unit in (False, True):
                calls.append(lambda F, B, u=upper, le=left, un=unit: lm.linalg.solve_triangular(
                    F.mH if u else F, B if le else B.mT, upper=u, left=le, unitriangular=un))
        calls.append(lambda F, B, u=upper: lm.triangular_solve(B, F, upper=u, transpose=True)[0])
    for call in calls:
        for F in (_t(L), lm.from_numpy(np.ascontiguousarray(L.swapaxes(-1, -2))).mT):
            tiny = call(F, _t(b)).numpy()
            old = _triangular._set_tiny_max(0)
            try:
                lapack = call(F, _t(b)).numpy()
            finally:
                _triangular._set_tiny_max(old)
            tol = 1e-4 if dtype == "float32" else 1e-11
            np.testing.assert_allclose(tiny, lapack, rtol=tol, atol=tol)


@pytest.mark.parametrize("path", ["tiny", "lapack"])
@pytest.mark.parametrize("n", [4, 17])
def test_failed_factor_keeps_the_leading_columns(path, n):
    a = _hpd(_rng(), (1,), n)
    a[0, 2, 2] = -50.0
    old = _cholesky._set_tiny_max(0 if path == "lapack" else 8)
    try:
        L, info = lm.linalg.cholesky_ex(_t(a))
    finally:
        _cholesky._set_tiny_max(old)
    assert info.item() == 3
    ref = np.linalg.cholesky(a[0, :2, :2])
    np.testing.assert_allclose(L.numpy()[0, :2, :2], ref, rtol=1e-12)
    assert np.all(np.triu(L.numpy()[0], 1) == 0)


@pytest.mark.parametrize("n", [4, 17])
@pytest.mark.parametrize("upper", [False, True])
def test_reads_only_its_triangle(n, upper):
    rng = _rng()
    a = _hpd(rng, (3,), n, "complex128")
    junk = a.copy()
    mask = np.tril(np.ones((n, n), bool), -1) if upper else np.triu(np.ones((n, n), bool), 1)
    junk[:, mask] = 99 + 7j
    idx = np.arange(n)
    junk[:, idx, idx] += 5j          # LAPACK ignores a diagonal's imaginary part; so do we
    got = lm.linalg.cholesky(_t(junk), upper=upper).numpy()
    np.testing.assert_allclose(got, np.linalg.cholesky(a, upper=upper), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("upper", [False, True])
def test_lane_kernels_read_their_triangle_any_strides(simd_level, dtype, n, upper):
    """Real n <= 4 through each level's lanes: junk in the triangle not read, the input
    transposed (row stride 1) and not, a batch that leaves a short last group."""
    rng = _rng()
    a = _hpd(rng, (13,), n, dtype)
    ref = np.linalg.cholesky(a.astype(np.float64), upper=upper)
    mask = np.tril(np.ones((n, n), bool), -1) if upper else np.triu(np.ones((n, n), bool), 1)
    junk = a.copy()
    junk[:, mask] = 99
    tol = 1e-5 if dtype == "float32" else 1e-12
    for x in (junk, np.ascontiguousarray(junk.swapaxes(-1, -2)).swapaxes(-1, -2)):
        got = lm.linalg.cholesky(lm.from_numpy(x), upper=upper).numpy()
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [17, 24, 33, 64])
@pytest.mark.parametrize("upper", [False, True])
def test_blocked_kernel_every_level(simd_level, dtype, n, upper):
    """Real 17..64 (_simd_blocked.h from AVX2, LAPACK below): a ragged last panel, junk in the
    triangle not read, transposed input; matrices that fail (a negative pivot late, NaN) give
    LAPACK's info and factor, as at the baseline level."""
    rng = _rng()
    a = _hpd(rng, (5,), n, dtype)
    a[1, n - 2, n - 2] = -1e3
    a[3, n // 2, 0] = a[3, 0, n // 2] = np.nan
    mask = np.tril(np.ones((n, n), bool), -1) if upper else np.triu(np.ones((n, n), bool), 1)
    junk = a.copy()
    junk[:, mask] = 99
    ok = np.array([True, False, True, False, True])
    ref = np.linalg.cholesky(a[ok].astype(np.float64), upper=upper)
    base = _cpu.set_simd_level("base")
    try:
        lapack = lm.linalg.cholesky_ex(_t(junk), upper=upper)
    finally:
        _cpu.set_simd_level(base)
    tol = 1e-4 if dtype == "float32" else 1e-12
    for x in (junk, np.ascontiguousarray(junk.swapaxes(-1, -2)).swapaxes(-1, -2)):
        L, info = lm.linalg.cholesky_ex(lm.from_numpy(x), upper=upper)
        np.testing.assert_array_equal(info.numpy(), lapack.info.numpy())
        assert info.numpy()[1] > 0 and info.numpy()[3] > 0
        np.testing.assert_allclose(L.numpy()[ok], ref, rtol=tol, atol=tol)
        np.testing.assert_array_equal(L.numpy()[~ok], lapack.L.numpy()[~ok])


# -- threads --------------------------------------------------------------------------------------

@pytest.mark.parametrize("batch, n", [(20001, 4), (20001, 3), (1001, 17)])
def test_threads_match_one_thread(threads, batch, n):
    rng = _rng()
    a = _hpd(rng, (batch,), n)
    a[batch // 2 + 1, 1, 1] = -1       # a failure in the second thread's range
    b = rng.standard_normal((batch, n, 2))
    results = []
    for count in (1, 2):
        threads(count)
        L, info = lm.linalg.cholesky_ex(_t(a))
        Lc = _t(np.linalg.cholesky(a[: batch // 2]))
        results.append((L.numpy(), info.numpy(),
                        lm.cholesky_solve(_t(b[: batch // 2]), Lc).numpy(),
                        lm.linalg.solve_triangular(Lc, _t(b[: batch // 2]), upper=False).numpy(),
                        lm.cholesky_inverse(Lc).numpy()))
    # Bitwise for the tiny kernel; LAPACK's blocking may follow OpenBLAS's own thread count.
    for one, two in zip(*results):
        np.testing.assert_allclose(one, two, rtol=1e-12, atol=1e-15)
    assert results[1][1][batch // 2 + 1] == 2


def test_one_large_matrix_uses_blas_threads(threads):
    threads(2)
    a = _hpd(_rng(), (), 600)
    L = lm.linalg.cholesky(_t(a)).numpy()
    np.testing.assert_allclose(L, np.linalg.cholesky(a), rtol=1e-10, atol=1e-12)


# -- info, NaN and Inf ----------------------------------------------------------------------------

def test_info_tensor_shapes_and_dtype():
    a = np.stack([np.eye(3), -np.eye(3), np.eye(3)] * 2).reshape(2, 3, 3, 3)
    L, info = lm.linalg.cholesky_ex(_t(a))
    assert info.dtype is lm.int32 and info.shape == (2, 3)
    np.testing.assert_array_equal(info.numpy(), [[0, 1, 0], [0, 1, 0]])
    single = lm.linalg.cholesky_ex(_t(np.eye(3)))
    assert single.info.shape == () and single.info.item() == 0
    empty = lm.linalg.cholesky_ex(_t(np.zeros((4, 0, 0))))
    assert empty.L.shape == (4, 0, 0) and empty.info.shape == (4,)
    np.testing.assert_array_equal(empty.info.numpy(), 0)


@pytest.mark.parametrize("n", [3, 17])
def test_nan_and_inf_inputs_never_hang(n):
    a = _hpd(_rng(), (4,), n)
    a[0, 1, 1] = np.nan
    a[1, 0, 0] = np.inf
    a[2, n - 1, 0] = a[2, 0, n - 1] = np.inf
    a[3, :, :] = np.nan
    info = lm.linalg.cholesky_ex(_t(a)).info.numpy()
    # A NaN pivot is a failure (reference LAPACK, PyTorch); an Inf pivot is not.
    assert info[0] == 2 and info[1] == 0 and info[2] == n and info[3] == 1
    b = np.ones((4, n, 1))
    for x in (lm.cholesky_solve(_t(b), _t(a)), lm.linalg.solve_triangular(_t(a), _t(b),
                                                                          upper=False)):
        assert x.shape == (4, n, 1)
    inv = lm.cholesky_inverse(_t(np.tril(a[3]))).numpy()
    assert np.isnan(inv).all()


@pytest.mark.parametrize("n", [3, 17])
def test_zero_diagonal_solves_give_inf_not_errors(n):
    a = np.eye(n)
    a[-1, -1] = 0.0
    x = lm.linalg.solve_triangular(_t(a), _t(np.ones((n, 1))), upper=True).numpy()
    assert np.isinf(x[-1, 0])
    y = lm.cholesky_solve(_t(np.ones((n, 1))), _t(a)).numpy()
    assert not np.isfinite(y).all()


# -- layouts, dtypes, out= ------------------------------------------------------------------------

def test_results_are_column_major_like_pytorch():
    a = _hpd(_rng(), (2,), 5)
    assert lm.linalg.cholesky(_t(a)).stride() == (25, 1, 5)
    assert lm.linalg.cholesky(_t(a), upper=True).stride() == (25, 1, 5)
    b = _t(np.ones((2, 5, 3)))
    L = lm.linalg.cholesky(_t(a))
    assert lm.cholesky_solve(b, L).stride() == (15, 1, 5)
    assert lm.linalg.solve_triangular(L, b, upper=False).stride() == (15, 1, 5)
    right = lm.linalg.solve_triangular(L, _t(np.ones((2, 3, 5))), upper=False, left=False)
    assert right.stride() == (15, 1, 3)
    solution, coefficient = lm.triangular_solve(b, L)
    assert solution.stride() == (15, 1, 5) and coefficient.stride() == (25, 1, 5)
    assert coefficient.data_ptr() != L.data_ptr()


def test_factor_from_cholesky_feeds_solves_without_copies():
    # cholesky's column-major factor and its transpose both meet LAPACK without a copy
    rng = _rng()
    a = _hpd(rng, (3,), 6, "complex128")
    b = rng.standard_normal((3, 6, 2)) + 0j
    L = lm.linalg.cholesky(_t(a))
    for factor, upper in ((L, False), (L.mH, True), (L.mT.contiguous().mT, False),
                          (L.contiguous(), False)):
        x = lm.cholesky_solve(_t(b), factor, upper=upper).numpy()
        np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-10)


def test_solve_triangular_dtypes():
    a32 = _t(np.eye(3, dtype=np.float32) * 2)
    a64 = _t(np.eye(3) * 2)
    b64 = _t(np.ones((3, 1)))
    assert lm.linalg.solve_triangular(a32, b64, upper=True).dtype is lm.float32
    assert lm.linalg.solve_triangular(a64, _t(np.ones((3, 1), np.int64)),
                                      upper=True).dtype is lm.float64
    # PyTorch would drop B's imaginary part here (the result in A's real dtype); lamina keeps it
    x = lm.linalg.solve_triangular(a64, _t(np.ones((3, 1)) * (1 + 1j)), upper=True)
    assert x.dtype is lm.complex128
    np.testing.assert_allclose(x.numpy(), np.full((3, 1), 0.5 + 0.5j))


def test_out_arguments():
    a = _hpd(_rng(), (2,), 3)
    out = lm.empty(2, 3, 3, dtype=lm.float64)
    r = lm.linalg.cholesky(_t(a), out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), np.linalg.cholesky(a), rtol=1e-12)
    L, info = lm.empty(0, dtype=lm.float64), lm.empty(0, dtype=lm.int32)
    res = lm.linalg.cholesky_ex(_t(a), out=(L, info))
    assert res.L is L and res.info is info and info.shape == (2,)
    with pytest.warns(UserWarning, match="was resized"):
        lm.cholesky_solve(_t(np.ones((2, 3, 1))), _t(np.linalg.cholesky(a)),
                          out=lm.empty(5, dtype=lm.float64))
    small = lm.empty(0, dtype=lm.float32)
    lm.cholesky_inverse(_t(np.linalg.cholesky(a)), out=small)
    assert small.dtype is lm.float32 and small.shape == (2, 3, 3)
    sol, coef = lm.empty(0, dtype=lm.float64), lm.empty(0, dtype=lm.float64)
    r = lm.triangular_solve(_t(np.ones((2, 3, 1))), _t(a), out=(sol, coef))
    assert r.solution is sol and r.cloned_coefficient is coef and coef.shape == (2, 3, 3)
    x = lm.empty(0, dtype=lm.float64)
    assert lm.linalg.solve_triangular(_t(a), _t(np.ones((3, 1))), upper=True, out=x) is x
    assert x.shape == (2, 3, 1)


def test_deprecated_cholesky_warns_and_has_methods():
    a = _hpd(_rng(), (), 4)
    with pytest.warns(UserWarning, match="lamina.cholesky is deprecated"):
        U = _t(a).cholesky(upper=True)
    np.testing.assert_allclose(U.numpy(), np.linalg.cholesky(a, upper=True), rtol=1e-12)
    L = _t(np.linalg.cholesky(a))
    np.testing.assert_allclose(L.cholesky_inverse().numpy(), np.linalg.inv(a), rtol=1e-10)
    b = _t(np.ones((4, 2)))
    np.testing.assert_allclose(b.cholesky_solve(L).numpy(), np.linalg.solve(a, np.ones((4, 2))),
                               rtol=1e-10)
    assert b.triangular_solve(L, upper=False).solution.shape == (4, 2)


def test_kernels_refuse_bad_buffers():
    a = np.eye(3)
    with pytest.raises(ValueError, match="C-contiguous"):
        _cholesky.potrf_batched(a, np.empty((3, 3)).T, np.empty((), np.int32), False)
    with pytest.raises(ValueError, match="int32"):
        _cholesky.potrf_batched(a, np.empty((3, 3)), np.empty((), np.int64), False)
    with pytest.raises(TypeError, match="dtype"):
        _cholesky.potrf_batched(a.astype(np.int64), np.empty((3, 3), np.int64),
                                np.empty((), np.int32), False)
    with pytest.raises(ValueError, match="do not fit"):
        _triangular.trsm_batched(a, np.ones((4, 1)), np.empty((1, 4)), True, True, False, False)
    with pytest.raises(ValueError, match="out must be"):
        _triangular.potrs_batched(a, np.ones((3, 1)), np.empty((3, 1)), False)


# -- a large batch --------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_large_batch_of_4x4_matches_numpy(dtype):
    rng = _rng()
    a = _hpd(rng, (5000,), 4, dtype)
    L = lm.linalg.cholesky(_t(a)).numpy()
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(L, np.linalg.cholesky(a), rtol=tol, atol=tol)
    b = rng.standard_normal((5000, 4, 1)).astype(dtype)
    x = lm.cholesky_solve(_t(b), _t(L)).numpy()
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=100 * tol, atol=100 * tol)


def test_no_warnings_from_a_normal_call():
    a = _hpd(_rng(), (3,), 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lm.linalg.cholesky(_t(a))
        lm.cholesky_solve(_t(np.ones((3, 4, 1))), lm.linalg.cholesky(_t(a)))
