"""Hand-written tests of the LU family where the op table cannot speak: accuracy on
ill-conditioned and near-singular input, the tiny loops against LAPACK's getrf on the same
matrices, threaded vs serial, info tensors, non-finite input, out=, strides, a large batch."""

import numpy as np
import pytest
import scipy.linalg as sla

import lamina as lm
from lamina.linalg import LinAlgError


def _ill(n, cond, rng, batch=(), dtype=np.float64):
    """Matrices U diag(s) V^T with singular values from 1 to 1/cond (log-spaced), then rows
    permuted so pivoting has work to do."""
    shape = batch + (n, n)
    u, _ = np.linalg.qr(rng.standard_normal(shape))
    v, _ = np.linalg.qr(rng.standard_normal(shape))
    s = np.logspace(0, -np.log10(cond), n)
    return ((u * s[..., None, :]) @ v.swapaxes(-1, -2)).astype(dtype)


def _t(a):
    return lm.from_numpy(np.ascontiguousarray(a))


def _residual(A, X, B):
    """max over the batch of ||A X - B|| / (||A|| ||X||), in float64."""
    r = np.linalg.norm(A @ X - B, axis=(-2, -1))
    return np.max(r / (np.linalg.norm(A, axis=(-2, -1)) * np.linalg.norm(X, axis=(-2, -1))))


EPS = np.finfo(np.float64).eps


@pytest.mark.parametrize("n", [2, 4, 7, 16, 32, 40])
@pytest.mark.parametrize("cond", [1e4, 1e10])
def test_ill_conditioned_residuals_match_numpy(n, cond):
    rng = np.random.default_rng(n)
    A = _ill(n, cond, rng, (20,))
    B = rng.standard_normal((20, n, 3))
    X = lm.linalg.solve(_t(A), _t(B)).numpy()
    ref = _residual(A, np.linalg.solve(A, B), B)
    assert _residual(A, X, B) <= 10 * ref + 10 * EPS
    eye = np.broadcast_to(np.eye(n), A.shape)
    inv = lm.linalg.inv(_t(A)).numpy()
    assert _residual(A, inv, eye) <= 10 * _residual(A, np.linalg.inv(A), eye) + 10 * EPS
    P, L, U = (x.numpy() for x in lm.linalg.lu(_t(A)))
    back = np.linalg.norm(P @ L @ U - A, axis=(-2, -1)) / np.linalg.norm(A, axis=(-2, -1))
    assert back.max() <= 10 * n * EPS
    sign, logabs = (x.numpy() for x in lm.linalg.slogdet(_t(A)))
    ref_sign, ref_logabs = np.linalg.slogdet(A)
    np.testing.assert_array_equal(sign, ref_sign)
    np.testing.assert_allclose(logabs, ref_logabs, atol=1e-9 * n)


@pytest.mark.parametrize("n", [3, 4, 8, 16, 32])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_tiny_loops_pivot_like_lapack(n, dtype):
    """The tiny loops (n <= 32) on ill-conditioned input (cond 1e3 in single precision, 1e8 in
    double): the same pivots as LAPACK's getrf on the same matrices, a backward error no worse
    than 10x its, and a factor within eps * cond of it (trailing entries of L and U carry
    rounding amplified by the conditioning, whatever the order of operations)."""
    rng = np.random.default_rng(1)
    eps = np.finfo(np.dtype(dtype).char.lower()).eps
    cond = 1e3 if eps > 1e-10 else 1e8
    A = _ill(n, cond, rng, (8,))
    if np.dtype(dtype).kind == "c":
        A = A + 1j * _ill(n, cond, rng, (8,))
    A = A.astype(dtype)
    LU, piv = (x.numpy() for x in lm.linalg.lu_factor(_t(A)))
    P, L, U = (x.numpy() for x in lm.lu_unpack(_t(LU), _t(piv)))
    for i in range(len(A)):
        ref_lu, ref_piv = sla.lu_factor(A[i])
        np.testing.assert_array_equal(piv[i], ref_piv + 1)
        rp, rl, ru = sla.lu(A[i])
        ref_err = np.linalg.norm(rp @ rl @ ru - A[i])
        assert np.linalg.norm(P[i] @ L[i] @ U[i] - A[i]) <= 10 * ref_err + n * eps
        np.testing.assert_allclose(LU[i], ref_lu, atol=10 * eps * cond * np.abs(ref_lu).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(20, 20), (24, 24), (31, 31), (33, 33), (47, 47), (64, 64),
                                   (64, 40), (21, 64), (40, 23)])
def test_vector_getrf_every_level(simd_level, dtype, shape):
    """Real factors of 20..64 (_simd_getrf.h from AVX2, the loops or LAPACK below it): a
    panel's worth of columns and a ragged last panel, tall and wide lu_factor, transposed
    input; pivots as LAPACK's getrf on the same ill-conditioned matrices, the factor within
    eps * cond of it, det/slogdet/solve/inv against float64 NumPy, info at a zero pivot."""
    m, n = shape
    rng = np.random.default_rng(m * n)
    eps = np.finfo(dtype).eps
    cond = 1e3 if dtype == np.float32 else 1e8
    A = _ill(max(m, n), cond, rng, (6,))[:, :m, :n].astype(dtype)
    for X in (A, A.swapaxes(-1, -2).copy().swapaxes(-1, -2)):
        LU, piv = (x.numpy() for x in lm.linalg.lu_factor(lm.from_numpy(X)))
        for i in range(len(X)):
            ref_lu, ref_piv = sla.lu_factor(X[i])
            np.testing.assert_array_equal(piv[i], ref_piv + 1)
            np.testing.assert_allclose(LU[i], ref_lu, atol=10 * eps * cond * np.abs(ref_lu).max())
    if m != n:
        return
    wide = A.astype(np.float64)
    tol = 1e-3 if dtype == np.float32 else 1e-9
    for X in (A, A.swapaxes(-1, -2)):
        if dtype == np.float64:                     # float32's det of these underflows
            np.testing.assert_allclose(lm.linalg.det(lm.from_numpy(X)).numpy(),
                                       np.linalg.det(wide), rtol=tol * 10)
        sign, logabs = (x.numpy() for x in lm.linalg.slogdet(lm.from_numpy(X)))
        ref_sign, ref_logabs = np.linalg.slogdet(X.astype(np.float64))
        np.testing.assert_array_equal(sign, ref_sign)
        np.testing.assert_allclose(logabs, ref_logabs, atol=tol * n)
    B = rng.standard_normal((6, n, 3)).astype(dtype)
    got = lm.linalg.solve(lm.from_numpy(A), lm.from_numpy(B)).numpy()
    assert _residual(wide, got.astype(np.float64), B) <= 100 * n * eps
    inv = lm.linalg.inv(lm.from_numpy(A)).numpy()
    eye = np.broadcast_to(np.eye(n), A.shape)
    assert _residual(wide, inv.astype(np.float64), eye) <= 100 * n * eps
    S = A.copy()
    S[2, :, 5] = 0                                  # zero pivot at step 6 (1-based), no later
    S[2, :, 7] = S[2, :, 6]                         # and a dependent column after it
    info = lm.linalg.lu_factor_ex(lm.from_numpy(S)).info.numpy()
    np.testing.assert_array_equal(info, [0, 0, 6, 0, 0, 0])
    assert lm.linalg.det(lm.from_numpy(S)).numpy()[2] == 0


def test_near_singular():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((6, 4, 4))
    A[..., 3, :] = A[..., 0, :] + 1e-13 * rng.standard_normal((6, 4))  # det ~ 1e-13
    np.testing.assert_allclose(lm.linalg.det(_t(A)).numpy(), np.linalg.det(A), rtol=1e-2,
                               atol=1e-15)
    sign, logabs = lm.linalg.slogdet(_t(A))
    ref_sign, ref_logabs = np.linalg.slogdet(A)
    np.testing.assert_array_equal(sign.numpy(), ref_sign)
    np.testing.assert_allclose(logabs.numpy(), ref_logabs, atol=1e-2)


@pytest.mark.parametrize("n", [4, 40])
def test_singular_determinants(n):
    A = np.ones((2, n, n))
    A[1] = -np.eye(n)
    A[1, 0, 0] = -1 if n % 2 else 1        # det(A[1]) = -1 whatever n's parity
    det = lm.linalg.det(_t(A)).numpy()
    assert det[0] == 0 and det[1] == pytest.approx(-1)
    sign, logabs = (x.numpy() for x in lm.linalg.slogdet(_t(A)))
    assert sign[0] == 0 and logabs[0] == -np.inf
    assert sign[1] == -1 and logabs[1] == pytest.approx(0, abs=1e-12)
    logdet = lm.logdet(_t(A)).numpy()
    assert logdet[0] == -np.inf and np.isnan(logdet[1])
    Ac = A.astype(np.complex128)
    assert lm.logdet(_t(Ac[1])).item() == pytest.approx(complex(0, np.pi))


@pytest.mark.parametrize("n", [4, 40])
def test_threads_match_serial(n):
    rng = np.random.default_rng(3)
    A = rng.standard_normal((3001 if n == 4 else 301, n, n)) + n * np.eye(n)
    B = rng.standard_normal(A.shape[:-1] + (2,))
    saved = lm.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            lm.set_num_threads(threads)
            results.append([lm.linalg.inv(_t(A)).numpy(), lm.linalg.solve(_t(A), _t(B)).numpy(),
                            lm.linalg.det(_t(A)).numpy(), lm.linalg.lu_factor(_t(A))[0].numpy()])
    finally:
        lm.set_num_threads(saved)
    for serial, threaded in zip(*results):
        np.testing.assert_allclose(threaded, serial, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", list(range(2, 18)))
def test_lane_kernels_every_level(simd_level, dtype, n):
    """det and slogdet of real n <= 16 factor several matrices per vector (_simd_lu.h): batches
    that leave a short last group, transposed and broadcast (zero-stride) inputs, singular,
    non-finite and huge/tiny entries, each thread count; against NumPy in float64."""
    rng = np.random.default_rng(n)
    A = rng.standard_normal((37, n, n))
    A[3] = 0                                       # every pivot zero
    A[5, :, 1] = A[5, :, 0]                        # a zero pivot partway
    A[7, 0, 0] = np.nan
    A[8, 1, 1] = np.inf
    A[9] *= 1e-30                                  # pivots below float32's smallest normal
    A[10] *= 1e25
    A[11] *= 1e130                                 # pivots' product past 2^500: renormalised
    A[12] *= 1e-130
    # A subnormal pivot: its multipliers are divisions (1 / pivot overflows), in one lane only.
    # The reference factors that matrix with the column scaled back: OpenBLAS's getrf leaves a
    # subnormal pivot's column unscaled (2x2 det off by 4% here).
    scale = 1e-309 if dtype == np.float64 else 1e-39
    A[14, :, 0] *= scale
    A = A.astype(dtype)
    wide = A.astype(np.float64)
    wide[14, :, 0] /= scale
    with np.errstate(all="ignore"):
        ref = np.linalg.det(wide)
        ref_sign, ref_logabs = np.linalg.slogdet(wide)
    ref[14] *= scale
    ref_logabs[14] += np.log(scale)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    saved = lm.get_num_threads()
    try:
        for threads in (1, 2, 3):
            lm.set_num_threads(threads)
            for X in (A, A.swapaxes(-1, -2)):
                det = lm.linalg.det(lm.from_numpy(X)).numpy()
                finite = np.isfinite(ref) & (np.abs(ref) < np.finfo(dtype).max)
                np.testing.assert_allclose(det[finite], ref[finite], rtol=tol * 100,
                                           atol=tol * np.abs(ref[finite]).max())
                assert det[3] == 0 and np.isnan(det[7]) == np.isnan(ref[7])
                sign, logabs = (x.numpy() for x in lm.linalg.slogdet(lm.from_numpy(X)))
                ok = np.isfinite(ref_logabs)
                ok[5] = False                      # singular: log of rounding noise
                np.testing.assert_allclose(logabs[ok], ref_logabs[ok], rtol=tol, atol=tol * n)
                np.testing.assert_array_equal(sign[ok & (ref_sign != 0)],
                                              ref_sign[ok & (ref_sign != 0)])
                assert sign[3] == 0 and logabs[3] == -np.inf
    finally:
        lm.set_num_threads(saved)
    one = A[13].astype(dtype)
    broadcast = lm.from_numpy(one).expand(5, n, n)     # zero batch stride
    np.testing.assert_allclose(lm.linalg.det(broadcast).numpy(),
                               np.full(5, np.linalg.det(one.astype(np.float64))), rtol=tol * 100)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [2, 4, 9])
def test_lane_slogdet_log_is_within_a_few_ulp(simd_level, dtype, n):
    """The lanes kernel takes log|det| with its own vector log: diagonal matrices whose
    determinants span the range it serves, the 2^-500..2^500 edges it leaves to the
    renormalising loop, and 1, 2, sqrt(2) (its range reduction's seams), against NumPy's log."""
    rng = np.random.default_rng(n)
    top = 140 if dtype == np.float64 else 25
    x = np.concatenate([10 ** rng.uniform(-top, top, 3000), 1 + rng.uniform(-1e-3, 1e-3, 300),
                        [1.0, 2.0, 0.5, np.sqrt(2), np.sqrt(0.5), 2.0**-499, 2.0**499]])
    if dtype == np.float32:
        x = x[np.abs(np.log2(x)) < 99]
    A = np.zeros((len(x), n, n), dtype=dtype)
    A[:, range(n), range(n)] = 1
    A[:, 0, 0] = -x
    sign, logabs = (t.numpy() for t in lm.linalg.slogdet(lm.from_numpy(A)))
    ref = np.log(A[:, 0, 0].astype(np.float64) * -1)
    np.testing.assert_array_equal(sign, -1)
    np.testing.assert_allclose(logabs, ref, rtol=4 * np.finfo(dtype).eps, atol=1e-300)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [2, 3, 4, 5, 8, 13, 16, 17])
def test_lane_solve_and_inverse_every_level(simd_level, dtype, n):
    """solve and inv of real n <= 16 through the lanes kernel (_simd_lu.h): a short last group,
    1, 3, 4, 11 and 12 right-hand sides (past one block of 8; 4 x 4 blocks move through
    transposes), B row-major, transposed and broadcast, A transposed, each thread count;
    residuals against float64 NumPy."""
    rng = np.random.default_rng(n)
    A = (rng.standard_normal((29, n, n)) + n * np.eye(n)).astype(dtype)
    tol = 1e-3 if dtype == np.float32 else 1e-11
    saved = lm.get_num_threads()
    try:
        for threads in (1, 2, 3):
            lm.set_num_threads(threads)
            for X in (A, A.swapaxes(-1, -2)):
                wide = X.astype(np.float64)
                for k in (0, 1, 3, 4, 11, 12):   # 0: no output, so no determinant written
                    Bt = rng.standard_normal((29, k, n)).astype(dtype).swapaxes(-1, -2)
                    for B in (Bt, np.ascontiguousarray(Bt)):
                        got = lm.linalg.solve(lm.from_numpy(X), lm.from_numpy(B)).numpy()
                        np.testing.assert_allclose(got, np.linalg.solve(wide, B), rtol=tol,
                                                   atol=tol)
                one = lm.from_numpy(B[0]).expand(29, n, k)         # zero batch stride
                np.testing.assert_allclose(lm.linalg.solve(lm.from_numpy(X), one).numpy(),
                                           np.linalg.solve(wide, B[:1]), rtol=tol, atol=tol)
                np.testing.assert_allclose(lm.linalg.inv(lm.from_numpy(X)).numpy(),
                                           np.linalg.inv(wide), rtol=tol, atol=tol)
    finally:
        lm.set_num_threads(saved)


@pytest.mark.parametrize("n", [2, 4, 7])
def test_lane_solve_divides_by_a_subnormal_pivot(simd_level, n):
    """The lanes' solves multiply by U's reciprocal diagonal, except in a group with a subnormal
    pivot, whose reciprocal overflows: there they divide, so x = b / d stays exact. (The base
    level has no lanes for solve: its scalar loops multiply by the reciprocal as OpenBLAS's trsm
    does, giving NaN here as NumPy does.)"""
    if simd_level == "base":
        pytest.skip("no lanes kernel for solve at the base level")
    A = np.stack([np.eye(n)] * 17)
    A[5, 1, 1] = 1e-310
    B = np.ones((17, n, 2))
    B[5, 1] = 1e-310
    X = lm.linalg.solve(_t(A), _t(B)).numpy()
    np.testing.assert_array_equal(X, np.ones((17, n, 2)))
    singular = A.copy()
    singular[9, 1, 1] = 0                          # a zero pivot still gives LAPACK's inf/NaN
    X, info = lm.linalg.solve_ex(_t(singular), _t(B))
    assert info.numpy()[9] == 2 and not np.isfinite(X.numpy()[9]).all()


@pytest.mark.parametrize("n", [3, 4, 16, 40])
def test_ex_info(simd_level, n):
    """info holds getrf's first zero pivot (1-based) per batch element; *_ex never raise unless
    asked, and the raising variants name the first bad element."""
    A = np.stack([np.eye(n)] * 5)
    A[1, :, 1] = 0                          # column 2 zero: U[2, 2] = 0
    A[3] = 0                                # everything zero: the first pivot
    LU, piv, info = lm.linalg.lu_factor_ex(_t(A))
    np.testing.assert_array_equal(info.numpy(), [0, 2, 0, 1, 0])
    assert info.dtype is lm.int32 and piv.dtype is lm.int32
    inverse, info = lm.linalg.inv_ex(_t(A))
    np.testing.assert_array_equal(info.numpy(), [0, 2, 0, 1, 0])
    assert np.isnan(inverse.numpy()[[1, 3]]).all()
    np.testing.assert_array_equal(inverse.numpy()[[0, 2, 4]], A[[0, 2, 4]])
    X, info = lm.linalg.solve_ex(_t(A), _t(np.ones((5, n))))
    np.testing.assert_array_equal(info.numpy(), [0, 2, 0, 1, 0])
    with pytest.raises(LinAlgError, match=r"^linalg.inv: \(Batch element 1\): The diagonal "
                       "element 2 is zero"):
        lm.linalg.inv(_t(A))
    with pytest.raises(LinAlgError, match=r"^linalg.inv_ex: \(Batch element 1\)"):
        lm.linalg.inv_ex(_t(A), check_errors=True)
    with pytest.raises(LinAlgError, match=r"^torch.linalg.solve: \(Batch element 1\)"):
        lm.linalg.solve(_t(A), _t(np.ones((5, n))))
    with pytest.raises(RuntimeError, match=r"^torch.linalg.lu_factor: \(Batch element 1\): "
                       r"U\[2,2\] is zero"):
        lm.linalg.lu_factor(_t(A))


def test_solve_info_has_A_batch_shape():
    A = np.stack([np.eye(3), np.zeros((3, 3))])[:, None]      # (2, 1, 3, 3)
    X, info = lm.linalg.solve_ex(_t(A), _t(np.ones((5, 3, 2))))
    assert X.shape == (2, 5, 3, 2) and info.shape == (2, 1)
    np.testing.assert_array_equal(info.numpy(), [[0], [1]])


@pytest.mark.parametrize("n", [2, 4, 40])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_returns(n, bad):
    """NaN/Inf never hangs or crashes; results are non-finite where they should be."""
    A = np.stack([np.eye(n) * 2] * 3)
    A[1, 0, n - 1] = bad
    B = np.ones((3, n, 1))
    for fn in (lm.linalg.inv_ex, lm.linalg.lu_factor_ex, lm.linalg.det, lm.linalg.slogdet,
               lm.linalg.lu):
        fn(_t(A))
    X, _ = lm.linalg.solve_ex(_t(A), _t(B))
    np.testing.assert_allclose(X.numpy()[[0, 2]], B[[0, 2]] / 2)
    det = lm.linalg.det(_t(A)).numpy()
    assert det[0] == det[2] == 2.0 ** n
    if np.isnan(bad):
        assert np.isnan(det[1]) and np.isnan(lm.linalg.slogdet(_t(A))[1].numpy()[1])


def test_out_arguments():
    rng = np.random.default_rng(4)
    A = rng.standard_normal((2, 4, 4)) + 4 * np.eye(4)
    out = lm.empty(0, dtype=lm.float64)
    r = lm.linalg.inv(_t(A), out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), np.linalg.inv(A))
    LU, piv = lm.empty(0, dtype=lm.float64), lm.empty(0, dtype=lm.int32)
    r = lm.linalg.lu_factor(_t(A), out=(LU, piv))
    assert r.LU is LU and r.pivots is piv and LU.shape == (2, 4, 4) and piv.shape == (2, 4)
    sign, logabs = lm.empty(2, dtype=lm.float64), lm.empty(2, dtype=lm.float64)
    r = lm.linalg.slogdet(_t(A), out=(sign, logabs))
    assert type(r).__name__ == "linalg_slogdet" and r.sign is sign
    np.testing.assert_allclose(logabs.numpy(), np.linalg.slogdet(A)[1])
    X = lm.empty(0, dtype=lm.float64)
    lm.linalg.solve(_t(A), _t(np.ones((2, 4))), out=X)
    np.testing.assert_allclose(X.numpy(), np.linalg.solve(A, np.ones((2, 4, 1)))[..., 0])
    with pytest.raises(RuntimeError, match="can't be cast"):
        lm.linalg.det(_t(A.astype(np.complex128)), out=lm.empty(2, dtype=lm.float64))


def test_layouts_and_types_follow_pytorch():
    A = _t(np.eye(3) * 2)
    LU, piv = lm.linalg.lu_factor(A)
    assert LU.stride() == (1, 3)                       # column-major, as PyTorch's
    assert lm.linalg.inv(A).stride() == (1, 3)
    assert lm.linalg.solve(A, _t(np.ones((3, 2)))).stride() == (1, 3)
    assert lm.linalg.solve(A, _t(np.ones((2, 3))), left=False).stride() == (3, 1)
    assert type(lm.slogdet(A)).__name__ == "slogdet"
    assert type(lm.linalg.slogdet(A)).__name__ == "linalg_slogdet"
    assert type(lm.lu_unpack(LU, piv)).__name__ == "lu_unpack"
    with pytest.warns(UserWarning, match="torch.lu is deprecated"):
        assert len(A.lu(get_infos=True)) == 3
    sign, logabs = lm.linalg.slogdet(_t(np.eye(2, dtype=np.complex64) * 1j))
    assert sign.dtype is lm.complex64 and logabs.dtype is lm.float32


def test_broadcast_operand_is_read_not_copied_per_batch():
    """A zero-stride (expanded) A against a batch of B: every solution uses the one A."""
    rng = np.random.default_rng(5)
    A = rng.standard_normal((4, 4)) + 4 * np.eye(4)
    B = rng.standard_normal((7, 4, 3))
    X = lm.linalg.solve(lm.from_numpy(A).expand(7, 4, 4), _t(B)).numpy()
    np.testing.assert_allclose(X, np.linalg.solve(A, B), rtol=1e-12)


def test_large_batch_matches_numpy():
    rng = np.random.default_rng(6)
    A = rng.standard_normal((5000, 4, 4)) + 4 * np.eye(4)
    B = rng.standard_normal((5000, 4, 4))
    np.testing.assert_allclose(lm.linalg.inv(_t(A)).numpy(), np.linalg.inv(A), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(lm.linalg.solve(_t(A), _t(B)).numpy(), np.linalg.solve(A, B),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lm.linalg.det(_t(A)).numpy(), np.linalg.det(A), rtol=1e-12)
    sign, logabs = lm.linalg.slogdet(_t(A))
    ref_sign, ref_logabs = np.linalg.slogdet(A)
    np.testing.assert_array_equal(sign.numpy(), ref_sign)
    np.testing.assert_allclose(logabs.numpy(), ref_logabs, rtol=1e-12)


@pytest.mark.parametrize("n", [4, 8, 16, 32])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_row_wise_solve_matches_column_path_and_getrs(n, dtype):
    """Many right-hand sides (and inverses from n = 8) take the row-wise blocked solve: on the
    same ill-conditioned matrices it gives exactly the one-column-at-a-time loops' numbers (the
    same operations per entry), and agrees with LAPACK's getrs from the same factor."""
    from lamina._core import _lu
    rng = np.random.default_rng(n)
    cond = 1e10 if dtype != np.float32 else 1e4
    A = _ill(n, cond, rng, (5,)).astype(dtype)
    B = rng.standard_normal((5, n, 70)).astype(dtype)     # 70 columns: three blocks of <= 32
    if np.dtype(dtype).kind == "c":
        A = A + 1j * _ill(n, cond, rng, (5,))
    A, B = A.astype(dtype), B.astype(dtype)
    results = []
    try:
        for paths in ((1, 1), (10**6, 10**6)):            # rows everywhere; never
            _lu._set_paths(*paths)
            results.append([lm.linalg.solve(_t(A), _t(B)).numpy(),
                            lm.linalg.inv(_t(A)).numpy(),
                            lm.linalg.lu_solve(*lm.linalg.lu_factor(_t(A)), _t(B)).numpy()])
    finally:
        _lu._set_paths(4, 8)
    for rows, cols in zip(*results):
        np.testing.assert_array_equal(rows, cols)
    eps = np.finfo(np.dtype(dtype).char.lower()).eps
    for i in range(len(A)):
        ref = sla.lu_solve(sla.lu_factor(A[i]), B[i])
        X = results[0][0][i]
        assert (np.linalg.norm(A[i] @ X - B[i]) <= 10 * np.linalg.norm(A[i] @ ref - B[i])
                + 10 * n * eps * np.linalg.norm(A[i]) * np.linalg.norm(X))


def test_row_wise_solve_threads_and_strides():
    """The row-wise path split over two threads, and reading a transposed, sliced B."""
    rng = np.random.default_rng(5)
    A = rng.standard_normal((3001, 6, 6)) + 6 * np.eye(6)
    Bbig = rng.standard_normal((3001, 12, 10))
    Bv = lm.from_numpy(Bbig)[:, :6, ::2]                    # (3001, 6, 5), column stride 2
    saved = lm.get_num_threads()
    out = []
    try:
        for threads in (1, 2):
            lm.set_num_threads(threads)
            out.append(lm.linalg.solve(_t(A), Bv).numpy())
    finally:
        lm.set_num_threads(saved)
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_allclose(out[0], np.linalg.solve(A, Bbig[:, :6, ::2]), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("n", [4, 40])
@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e150, 3.0])
def test_slogdet_extreme_magnitudes(n, scale):
    """log|det| from one running product renormalised by frexp: no overflow or underflow where
    det itself overflows, and the sum of logs' accuracy."""
    rng = np.random.default_rng(7)
    Q, _ = np.linalg.qr(rng.standard_normal((2, n, n)))
    d = scale * np.exp(rng.uniform(-1, 1, (2, n)))
    A = Q * d[:, None, :]
    sign, logabs = (x.numpy() for x in lm.linalg.slogdet(_t(A)))
    ref_sign, ref_logabs = np.linalg.slogdet(A)
    np.testing.assert_allclose(sign, ref_sign, atol=1e-12)
    np.testing.assert_allclose(logabs, ref_logabs, rtol=1e-13, atol=1e-11)
    A32 = (Q * np.exp(rng.uniform(-1, 1, (2, n)))[:, None, :] * min(scale, 1e30)).astype(
        np.float32)
    np.testing.assert_allclose(lm.linalg.slogdet(_t(A32))[1].numpy(),
                               np.linalg.slogdet(A32.astype(np.float64))[1], rtol=1e-5,
                               atol=1e-3)


@pytest.mark.parametrize("shape", [(1, 0), (3, 0), (2, 3, 0)])
def test_lu_of_matrices_without_columns(shape):
    # Found by the fuzz suite: the pivots of an (m, 0) LU are empty, and unpacking them reshaped
    # to (-1, 0), which NumPy cannot resolve. P is then the identity, as in PyTorch.
    P, L, U = lm.linalg.lu(lm.zeros(*shape))
    m = shape[-2]
    np.testing.assert_array_equal(P.numpy(), np.broadcast_to(np.eye(m), shape[:-2] + (m, m)))
    assert L.shape == shape and U.shape == shape[:-2] + (0, 0)


def test_solve_over_an_empty_broadcast_batch():
    # Found by the fuzz suite: B's empty batch dims used to break the reduction of info to A's
    # batch shape (a narrow of a size-0 dim). PyTorch factors A unexpanded, so info (and the
    # error) still report A's own factorization.
    X, info = lm.linalg.solve_ex(lm.ones(1, 1), lm.ones(0, 1, 0))
    assert X.shape == (0, 1, 0) and info.shape == () and int(info) == 0
    X, info = lm.linalg.solve_ex(lm.zeros(1, 2, 2), lm.ones(3, 0, 2, 1))
    assert X.shape == (3, 0, 2, 1) and info.tolist() == [1]
    with pytest.raises(LinAlgError, match=r"\(Batch element 0\): The solver failed"):
        lm.linalg.solve(lm.zeros(1, 2, 2), lm.ones(3, 0, 2, 1))


def test_batches_of_empty_matrices():
    # The kernels write nothing for 0 x 0 matrices: their outputs start filled with what such
    # a matrix gives (det 1, log|det| 0, info 0), as NumPy's.
    a = np.zeros((3, 0, 0))
    np.testing.assert_array_equal(lm.linalg.det(_t(a)).numpy(), np.linalg.det(a))
    sign, logabs = lm.linalg.slogdet(_t(a))
    want = np.linalg.slogdet(a)
    np.testing.assert_array_equal(sign.numpy(), want.sign)
    np.testing.assert_array_equal(logabs.numpy(), want.logabsdet)
    inverse, info = lm.linalg.inv_ex(_t(a))
    assert inverse.shape == (3, 0, 0) and info.tolist() == [0, 0, 0]
    X, info = lm.linalg.solve_ex(_t(a), _t(np.zeros((3, 0, 2))))
    assert X.shape == (3, 0, 2) and info.tolist() == [0, 0, 0]
    LU, piv, info = lm.linalg.lu_factor_ex(_t(np.zeros((3, 0, 4))))
    assert LU.shape == (3, 0, 4) and piv.shape == (3, 0) and info.tolist() == [0, 0, 0]
