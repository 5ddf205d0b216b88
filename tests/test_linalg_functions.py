"""linalg.matrix_exp, matrix_power, cross, diagonal, vander and the top-level trace, vander and
cross: what the op table cannot say (accuracy against exact exponentials, every Taylor degree,
mixed batches, non-finite input, threads, warnings, views, out=)."""

import time
import warnings

import numpy as np
import pytest
import scipy.linalg

import lamina as lm

EPS = np.finfo(np.float64).eps


def _t(a):
    return lm.from_numpy(np.ascontiguousarray(a))


def _rel(got, ref):
    return np.abs(got - ref).max() / np.abs(ref).max()


def _rotation(t):
    return np.array([[0.0, -t], [t, 0.0]]), np.array([[np.cos(t), -np.sin(t)],
                                                       [np.sin(t), np.cos(t)]])


# -- matrix_exp accuracy --------------------------------------------------------------------------

# 1-norms inside each Taylor degree's range (T1, T2, T4, T8, T12, T18) and past it (scaling).
DEGREE_NORMS = [1e-17, 1e-9, 1e-5, 0.02, 0.045, 0.2, 0.9, 3.0, 40.0]


@pytest.mark.parametrize("t", DEGREE_NORMS + [300.0])
def test_matrix_exp_rotation_is_exact(t):
    # exp of [[0, -t], [t, 0]] is the rotation by t: an exact reference for every degree.
    a, ref = _rotation(t)
    got = lm.linalg.matrix_exp(_t(a)).numpy()
    # Each of the ~log2(t) squarings can double the error: ~t eps past the last theta.
    assert np.abs(got - ref).max() <= (4 + 2 * t) * EPS


@pytest.mark.parametrize("norm", DEGREE_NORMS[:-1])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_matrix_exp_matches_scipy_in_every_degree(norm, dtype):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((20, 5, 5)).astype(dtype)
    if dtype == np.complex128:
        a += 1j * rng.standard_normal((20, 5, 5))
    a *= norm / np.abs(a).sum(-2).max(-1)[:, None, None]
    got = lm.linalg.matrix_exp(_t(a)).numpy()
    ref = scipy.linalg.expm(a)
    # Machine precision relative to |exp(A)|; PyTorch's T8 (norms 3.4e-4..0.05) misses it by
    # 1e5 (pytorch#196592), which this catches.
    assert max(_rel(g, r) for g, r in zip(got, ref)) < 20 * EPS


def test_matrix_exp_of_a_large_batch_goes_in_pieces():
    """Batches past 2 MiB are exponentiated a piece at a time (memory): into one output, or
    joined when autograd records; both against SciPy, gradients against a small batch's."""
    rng = np.random.default_rng(4)
    a = rng.standard_normal((40000, 4, 4)) * rng.uniform(0.01, 8, (40000, 1, 1))
    ref = scipy.linalg.expm(a)

    def error(x):   # per matrix, relative to its largest entry
        return (np.abs(x - ref).max(axis=(1, 2)) / np.abs(ref).max(axis=(1, 2))).max()

    assert error(lm.linalg.matrix_exp(lm.from_numpy(a)).numpy()) < 1e-10
    A = lm.tensor(a, requires_grad=True)
    X = lm.linalg.matrix_exp(A)
    assert error(X.detach().numpy()) < 1e-10
    X[[0, 39999]].sum().backward()
    small = lm.tensor(a[[0, 39999]], requires_grad=True)
    lm.linalg.matrix_exp(small).sum().backward()
    np.testing.assert_allclose(A.grad.numpy()[[0, 39999]], small.grad.numpy(), rtol=1e-12)
    assert not A.grad.numpy()[1:39999].any()


@pytest.mark.parametrize("norm", [10.0, 100.0, 500.0])
def test_matrix_exp_large_norm_symmetric_against_eigh(norm):
    # A symmetric matrix's exponential from its eigendecomposition is accurate to ~eps |exp(A)|.
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 6, 6))
    s = x + np.swapaxes(x, -1, -2)
    s *= norm / np.abs(s).sum(-2).max(-1)[:, None, None]
    w, v = np.linalg.eigh(s)
    ref = (v * np.exp(w - w.max())[:, None, :]) @ np.swapaxes(v, -1, -2) * np.exp(w.max())
    got = lm.linalg.matrix_exp(_t(s)).numpy()
    errs = [_rel(g, r) for g, r in zip(got, ref)]
    scipy_errs = [_rel(g, r) for g, r in zip(scipy.linalg.expm(s), ref)]
    assert max(errs) <= 10 * max(max(scipy_errs), 100 * EPS)


def test_matrix_exp_large_norm_nonnormal_matches_scipy():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((10, 7, 7)) * 6  # 1-norms ~ 40-60: 6 squarings
    got = lm.linalg.matrix_exp(_t(a)).numpy()
    ref = scipy.linalg.expm(a)
    assert max(_rel(g, r) for g, r in zip(got, ref)) < 1e-11


def test_matrix_exp_mixed_batch_equals_one_by_one():
    # Every degree and several squaring counts in one shuffled batch: each matrix gets the result
    # it gets alone, in its own position.
    rng = np.random.default_rng(4)
    norms = rng.permutation([1e-12, 1e-7, 1e-4, 0.03, 0.1, 0.7, 2.0, 9.0, 70.0, 0.0, 5e-3] * 3)
    a = rng.standard_normal((len(norms), 4, 4))
    a *= (norms / np.abs(a).sum(-2).max(-1))[:, None, None]
    batch = lm.linalg.matrix_exp(_t(a.reshape(3, 11, 4, 4))).numpy().reshape(-1, 4, 4)
    for k in range(len(norms)):
        np.testing.assert_allclose(batch[k], lm.linalg.matrix_exp(_t(a[k])).numpy(),
                                   rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(batch, scipy.linalg.expm(a), rtol=1e-11, atol=1e-13)


def test_matrix_exp_non_finite_elements_are_nan_and_others_unaffected():
    a = np.stack([np.eye(3), np.eye(3), np.eye(3), np.eye(3)])
    a[1, 0, 2] = np.nan
    a[2, 1, 1] = np.inf
    a[3, 2, 0] = -np.inf
    start = time.perf_counter()
    got = lm.linalg.matrix_exp(_t(a)).numpy()
    assert time.perf_counter() - start < 5
    assert np.isnan(got[1:]).all()
    np.testing.assert_allclose(got[0], np.e * np.eye(3), rtol=1e-15)


def test_matrix_exp_huge_finite_norm_returns():
    # 1-norm 1e300 needs ~1000 squarings; the result overflows but the call returns.
    a = np.array([[1e300, 1.0], [0.0, 1.0]])
    got = lm.linalg.matrix_exp(_t(a)).numpy()
    assert got.shape == (2, 2) and not np.isfinite(got).all()


def test_matrix_exp_float16_computes_in_float32():
    a = np.full((3, 3), 0.5, np.float16)
    got = lm.matrix_exp(lm.from_numpy(a))
    assert got.dtype is lm.float16
    np.testing.assert_allclose(got.numpy().astype(np.float64),
                               scipy.linalg.expm(a.astype(np.float64)), rtol=2e-3)


def test_matrix_exp_small_cases_and_layout():
    a = np.random.default_rng(5).standard_normal((3, 1, 1))
    np.testing.assert_allclose(lm.linalg.matrix_exp(_t(a)).numpy(), np.exp(a), rtol=1e-15)
    t = _t(np.random.default_rng(6).standard_normal((4, 5, 5))).mT
    out = lm.linalg.matrix_exp(t)
    assert out.is_contiguous() and out.shape == (4, 5, 5)
    np.testing.assert_allclose(out.numpy(), scipy.linalg.expm(t.numpy()), rtol=1e-12,
                               atol=1e-14)
    assert t.matrix_exp().shape == (4, 5, 5)


def test_matrix_exp_threads_agree():
    a = np.random.default_rng(7).standard_normal((3001, 4, 4))
    before = lm.get_num_threads()
    try:
        lm.set_num_threads(1)
        serial = lm.linalg.matrix_exp(_t(a)).numpy()
        lm.set_num_threads(2)
        threaded = lm.linalg.matrix_exp(_t(a)).numpy()
    finally:
        lm.set_num_threads(before)
    np.testing.assert_allclose(threaded, serial, rtol=1e-13, atol=1e-13)


def test_matrix_exp_large_batch_against_scipy():
    a = np.random.default_rng(8).standard_normal((5000, 4, 4)) / 2
    got = lm.linalg.matrix_exp(_t(a)).numpy()
    pick = slice(None, None, 97)  # SciPy loops in Python over a batch: check a spread subset
    np.testing.assert_allclose(got[pick], scipy.linalg.expm(a[pick]), rtol=1e-12, atol=1e-13)


# -- matrix_power ---------------------------------------------------------------------------------

def test_matrix_power_large_exponent_by_squaring():
    # A permutation of order 3: A^n cycles, so n = 2^40 + 1 takes 41 squarings, not 2^40 products.
    p = np.roll(np.eye(3), 1, axis=0)
    for n, shift in [(2**40 + 1, (2**40 + 1) % 3), (3 * 10**12, 0)]:
        got = lm.linalg.matrix_power(_t(p), n).numpy()
        np.testing.assert_array_equal(got, np.linalg.matrix_power(p, shift))


def test_matrix_power_results_are_fresh_contiguous_tensors():
    a = _t(np.random.default_rng(9).standard_normal((2, 3, 3))).mT
    for n in (0, 1, 2):
        r = lm.linalg.matrix_power(a, n)
        assert r.is_contiguous() and r.data_ptr() != a.data_ptr()
    c = _t(np.eye(3))
    one = lm.linalg.matrix_power(c, 1)
    one[0, 0] = 5.0
    assert c[0, 0].item() == 1.0


def test_matrix_power_out_and_method():
    a = _t(np.random.default_rng(10).standard_normal((3, 3)))
    out = lm.empty(3, 3, dtype=lm.float64)
    r = lm.linalg.matrix_power(a, 3, out=out)
    assert r is out
    np.testing.assert_allclose(out.numpy(), np.linalg.matrix_power(a.numpy(), 3), rtol=1e-13)
    np.testing.assert_allclose(a.matrix_power(2).numpy(), (a @ a).numpy(), rtol=1e-15)
    np.testing.assert_allclose(lm.matrix_power(a, 2).numpy(), (a @ a).numpy(), rtol=1e-15)


@pytest.mark.skipif(not hasattr(lm.linalg, "inv"), reason="needs linalg.inv (the lu family)")
def test_matrix_power_negative_uses_inverse():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 5, 5))
    a = x @ np.swapaxes(x, -1, -2) + 5 * np.eye(5)
    for n in (-1, -2, -7):
        np.testing.assert_allclose(lm.linalg.matrix_power(_t(a), n).numpy(),
                                   np.linalg.matrix_power(a, n), rtol=1e-10, atol=1e-13)
    with pytest.raises(lm.linalg.LinAlgError):
        lm.linalg.matrix_power(_t(np.zeros((3, 3))), -1)


# -- cross ----------------------------------------------------------------------------------------

def test_torch_cross_default_dim_warns_and_takes_first_size_3():
    rng = np.random.default_rng(12)
    a, b = rng.standard_normal((2, 3, 5))
    with pytest.warns(UserWarning, match="Using lamina.cross without specifying the dim arg is "
                      "deprecated"):
        got = lm.cross(_t(a), _t(b))
    np.testing.assert_allclose(got.numpy(), np.cross(a, b, axis=0), rtol=1e-15)
    with pytest.warns(UserWarning):
        assert _t(a).cross(_t(b)).shape == (3, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lm.cross(_t(a), _t(b), dim=0)
        lm.linalg.cross(_t(a.T), _t(b.T))


def test_cross_out_and_broadcast():
    rng = np.random.default_rng(13)
    a, b = rng.standard_normal((4, 1, 3)), rng.standard_normal((1, 5, 3))
    out = lm.empty(0, dtype=lm.float64)
    assert lm.linalg.cross(_t(a), _t(b), out=out) is out
    assert out.shape == (4, 5, 3)
    np.testing.assert_allclose(out.numpy(), np.cross(a, b), rtol=1e-15)


def test_cross_integer_wraps_like_pytorch():
    a = np.array([[200, 100, 3]], np.uint8)
    b = np.array([[7, 250, 9]], np.uint8)
    got = lm.linalg.cross(lm.from_numpy(a), lm.from_numpy(b)).numpy()
    np.testing.assert_array_equal(got, np.cross(a.astype(np.int64), b.astype(np.int64))
                                  .astype(np.uint8))


# -- diagonal, trace, vander ----------------------------------------------------------------------

def test_linalg_diagonal_is_a_view():
    a = lm.zeros(2, 3, 3)
    d = lm.linalg.diagonal(a, offset=1)
    assert d.shape == (2, 2)
    a[1, 0, 1] = 7.0
    assert d[1, 0].item() == 7.0


def test_trace_dtypes_and_layouts():
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    assert lm.trace(lm.from_numpy(x)).dtype is lm.int64
    assert lm.trace(lm.from_numpy(x)).item() == 0 + 5 + 10
    t = lm.flip(lm.from_numpy(np.arange(16.0).reshape(4, 4)).mT, (0,))
    assert t.trace().item() == np.trace(t.numpy())
    assert lm.trace(lm.ones(3, 3, dtype=lm.float16)).dtype is lm.float16


def test_vander_orders_and_dtypes():
    x = lm.tensor([1, 2, 3], dtype=lm.int8)
    dec = lm.vander(x)
    assert dec.dtype is lm.int64
    np.testing.assert_array_equal(dec.numpy(), np.vander([1, 2, 3]))
    np.testing.assert_array_equal(lm.vander(x, 4, increasing=True).numpy(),
                                  np.vander([1, 2, 3], 4, increasing=True))
    np.testing.assert_array_equal(lm.linalg.vander(x).numpy(),
                                  np.vander([1, 2, 3], increasing=True))
    assert lm.vander(lm.tensor([True, False])).dtype is lm.int64
    assert lm.linalg.vander(lm.tensor([1.0, 2.0]), N=4).shape == (2, 4)


# -- cond, pinv, matrix_rank, tensorinv, tensorsolve ----------------------------------------------

needs_svd = pytest.mark.skipif(not (hasattr(lm.linalg, "svd") and hasattr(lm.linalg, "svdvals")),
                               reason="needs linalg.svd and svdvals (the svd family)")
INVERSE_ORDERS = ["fro", 1, -1, np.inf, -np.inf]


def _spectral(rng, n, values, dtype=np.float64, hermitian=False):
    """Q diag(values) P^H with random unitary Q and P (P = Q when Hermitian)."""
    def unitary():
        x = rng.standard_normal((n, n))
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.standard_normal((n, n))
        return np.linalg.qr(x)[0]
    Q = unitary()
    P = Q if hermitian else unitary()
    a = (Q * np.asarray(values, float)) @ P.conj().T
    return ((a + a.conj().T) / 2 if hermitian else a).astype(dtype)


def _penrose(a, x):
    """The largest residual of the four Moore-Penrose conditions, relative to |A| |X|."""
    ax, xa = a @ x, x @ a
    scale = np.abs(a).max() * np.abs(x).max()
    return max(np.abs(ax @ a - a).max() / np.abs(a).max(), np.abs(xa @ x - x).max() /
               np.abs(x).max(), np.abs(ax - ax.conj().T).max() / scale,
               np.abs(xa - xa.conj().T).max() / scale)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_pinv_hermitian_rank_deficient_with_atol_and_rtol(dtype):
    rng = np.random.default_rng(7)
    lam = [9.0, -3.0, 0.5, -1e-3, 0.0, 0.0]
    a = _spectral(rng, 6, lam, dtype, hermitian=True)
    # atol 1e-2 keeps three eigenvalues; rtol 0.1 (threshold 0.9) keeps two; rtol 1e-6 keeps four.
    for kwargs, rank in (({"atol": 1e-2}, 3), ({"rtol": 0.1}, 2), ({"rtol": 1e-6}, 4),
                         ({"atol": 1e-2, "rtol": 0.1}, 2), ({"atol": 1.0, "rtol": 1e-6}, 2)):
        x = lm.linalg.pinv(_t(a), hermitian=True, **kwargs).numpy()
        assert _penrose(a if rank == 4 else _truncate(a, rank), x) < 1e-12, kwargs
        assert np.linalg.matrix_rank(x, tol=1e-6) == rank
        r = lm.linalg.matrix_rank(_t(a), hermitian=True, **kwargs)
        assert r.dtype is lm.int64 and r.item() == rank, kwargs


def _truncate(a, rank):
    """A with its eigenvalues of smallest magnitude beyond `rank` set to zero."""
    w, V = np.linalg.eigh(a)
    keep = np.argsort(-np.abs(w))[:rank]
    return (V[:, keep] * w[keep]) @ V[:, keep].conj().T


def test_pinv_default_tolerance_drops_exact_zeros_only():
    a = np.zeros((5, 5))
    a[:3, :3] = [[4.0, 1, 0], [1, 3, 1], [0, 1, 2]]
    x = lm.linalg.pinv(_t(a), hermitian=True).numpy()
    np.testing.assert_allclose(x[:3, :3], np.linalg.inv(a[:3, :3]), rtol=1e-13, atol=1e-14)
    assert not x[3:].any() and not x[:, 3:].any()
    assert lm.linalg.matrix_rank(_t(a), hermitian=True).item() == 3
    # The default rtol is eps * n: a value 10x above it counts, 10x below it does not.
    eps = np.finfo(np.float64).eps
    for small, rank in ((50 * eps, 5), (0.05 * eps, 4)):
        d = np.diag([1.0, 1, 1, 1, small])
        assert lm.linalg.matrix_rank(_t(d), hermitian=True).item() == rank


def test_matrix_rank_tolerance_tensors_broadcast():
    rng = np.random.default_rng(3)
    a = np.stack([_spectral(rng, 4, [8.0, -1, 0.1, 0], hermitian=True) for _ in range(3)])
    atol = lm.tensor([[0.03], [0.3], [3.0]], dtype=lm.float64)
    got = lm.linalg.matrix_rank(_t(a), atol=atol, hermitian=True)
    assert got.shape == (3, 3) and (got.numpy() == [[3], [2], [1]]).all()
    # The deprecated positional tol is atol alone (rtol 0).
    assert lm.linalg.matrix_rank(_t(a), 0.3, True).tolist() == [2, 2, 2]
    assert lm.linalg.matrix_rank(_t(a), lm.tensor(0.03), True).tolist() == [3, 3, 3]
    out = lm.empty(0, dtype=lm.int32)
    assert lm.linalg.matrix_rank(_t(a), hermitian=True, atol=0.3, out=out) is out
    assert out.dtype is lm.int32 and out.tolist() == [2, 2, 2]


@pytest.mark.parametrize("p", INVERSE_ORDERS)
def test_cond_of_singular_matrices_is_inf(p):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((4, 3, 3)) + 3 * np.eye(3)
    a[1] = 0                    # zero matrix: 0 * inf
    a[2, 2] = 0                 # a zero row: exactly singular
    a[3, :, 1] = 0              # a zero column
    got = lm.linalg.cond(_t(a), p).numpy()
    assert np.isfinite(got[0]) and np.isinf(got[1:]).all() and (got[1:] > 0).all()
    np.testing.assert_allclose(got[0], np.linalg.cond(a[0], p), rtol=1e-12)


@needs_svd
def test_cond_spectral_orders_on_singular_and_zero_input():
    a = np.array([[[1.0, 2], [2, 4]], [[0.0, 0], [0, 0]], [[3.0, 0], [0, 0.5]]])
    big = lm.linalg.cond(_t(a)).numpy()
    assert big[0] > 1e15 and np.isnan(big[1]) and big[2] == pytest.approx(6.0)
    small = lm.linalg.cond(_t(a), -2).numpy()
    assert small[0] < 1e-15 and np.isnan(small[1]) and small[2] == pytest.approx(1 / 6)
    nuc = lm.linalg.cond(_t(a), "nuc").numpy()
    assert nuc[0] > 1e15 and np.isnan(nuc[1]) and nuc[2] == pytest.approx(3.5 * (1 / 3 + 2))


@pytest.mark.parametrize("p", INVERSE_ORDERS)
def test_cond_ill_conditioned_matches_numpy(p):
    # Condition numbers up to 1e10: the inverse carries relative error ~kappa eps, so does cond.
    rng = np.random.default_rng(5)
    for kappa in (1e2, 1e6, 1e10):
        a = _spectral(rng, 6, np.geomspace(1, 1 / kappa, 6))
        got = lm.linalg.cond(_t(a), p).item()
        assert got == pytest.approx(np.linalg.cond(a, p), rel=max(1e-12, 100 * kappa * EPS))


def test_cond_non_finite_input_returns_pytorchs_values():
    # NaN anywhere reads as inf (NumPy keeps NaN); an inf entry gives an inverse with zeros in
    # it, so the -1 and -inf orders (minimum sums) are 0, as PyTorch computes them.
    a = np.array([[[np.nan, 1.0], [2, 3]], [[np.inf, 1.0], [2, 3]], [[1.0, 2], [3, 4]]])
    for p, expected in (("fro", [np.inf, np.inf, 15]), (1, [np.inf, np.inf, 21]),
                        (-1, [np.inf, 0, 6]), (np.inf, [np.inf, np.inf, 21]),
                        (-np.inf, [np.inf, 0, 6])):
        np.testing.assert_allclose(lm.linalg.cond(_t(a), p).numpy(), expected, rtol=1e-12)


def test_pinv_and_matrix_rank_non_finite_hermitian_input_returns():
    a = np.array([[[np.nan, 1.0], [1, 3]], [[np.inf, 1.0], [1, 3]], [[2.0, 1], [1, 3]]])
    x = lm.linalg.pinv(_t(a), hermitian=True).numpy()
    assert np.isnan(x[0]).all() and np.allclose(x[2], np.linalg.inv(a[2]))
    r = lm.linalg.matrix_rank(_t(a), hermitian=True)
    assert r.dtype is lm.int64 and r.shape == (3,) and r[2].item() == 2


def test_cond_and_pinv_out_and_dtypes():
    a = _t(np.eye(3, dtype=np.float32) * [1.0, 2.0, 4.0])
    out = lm.empty(0, dtype=lm.float64)
    assert lm.linalg.cond(a, 1, out=out) is out and out.item() == 4.0
    c = lm.linalg.cond(a.to(lm.complex64), "fro")
    assert c.dtype is lm.float32
    out = lm.empty(0, dtype=lm.complex128)
    assert lm.linalg.pinv(a, hermitian=True, out=out) is out
    np.testing.assert_allclose(out.numpy(), np.diag([1.0, 0.5, 0.25]))


def test_pinv_hermitian_large_batch_against_numpy_and_threads_agree():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5001, 4, 4))
    a = x @ x.swapaxes(-1, -2) - 2 * np.eye(4)        # indefinite, full rank
    ref = np.linalg.pinv(a, hermitian=True)
    before = lm.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            lm.set_num_threads(threads)
            results.append(lm.linalg.pinv(_t(a), hermitian=True).numpy())
    finally:
        lm.set_num_threads(before)
    for got in results:
        np.testing.assert_allclose(got, ref, rtol=1e-8, atol=1e-9 * np.abs(ref).max())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12, atol=1e-12)
    assert (lm.linalg.matrix_rank(_t(a), hermitian=True).numpy() == 4).all()


def test_cond_large_batch_against_numpy():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((5000, 4, 4)) + 4 * np.eye(4)
    for p in (1, np.inf, "fro"):
        np.testing.assert_allclose(lm.linalg.cond(_t(a), p).numpy(), np.linalg.cond(a, p),
                                   rtol=1e-10)


@needs_svd
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_pinv_svd_rank_deficient_with_atol_and_rtol(dtype):
    rng = np.random.default_rng(9)
    a = _spectral(rng, 6, [9.0, 3.0, 0.5, 1e-3, 0.0, 0.0], dtype)[:, :5] @ \
        _spectral(rng, 5, [1.0] * 5, dtype)
    for kwargs, rank in (({"atol": 1e-2}, 3), ({"rtol": 0.1}, 2), ({"rtol": 1e-6}, 4),
                         ({"atol": 1.0, "rtol": 1e-6}, 2)):
        x = lm.linalg.pinv(_t(a), **kwargs).numpy()
        assert x.shape == (5, 6) and np.linalg.matrix_rank(x, tol=1e-6) == rank, kwargs
        assert lm.linalg.matrix_rank(_t(a), **kwargs).item() == rank, kwargs
    x = lm.linalg.pinv(_t(a), atol=1e-2).numpy()
    u, s, vh = np.linalg.svd(a)
    np.testing.assert_allclose(x, (vh[:3].conj().T / s[:3]) @ u[:, :3].conj().T, atol=1e-12)
    np.testing.assert_allclose(lm.pinverse(_t(a), 1e-2).numpy(),
                               _t(a).pinverse(1e-2).numpy(), atol=0)


@needs_svd
def test_pinv_svd_ill_conditioned_penrose_residuals_near_numpy():
    rng = np.random.default_rng(10)
    for kappa in (1e4, 1e8, 1e10):
        a = _spectral(rng, 8, np.geomspace(1, 1 / kappa, 8))
        x = lm.linalg.pinv(_t(a), rtol=0.0).numpy()
        ref = np.linalg.pinv(a, rcond=0.0)
        assert _penrose(a, x) <= 10 * max(_penrose(a, ref), 1e-15)


def test_tensorinv_is_an_inverse_under_tensordot():
    rng = np.random.default_rng(11)
    a = (rng.standard_normal((24, 24)) + 24 * np.eye(24)).reshape(4, 6, 8, 3)
    x = lm.linalg.tensorinv(_t(a))
    assert x.shape == (8, 3, 4, 6)
    np.testing.assert_allclose(np.tensordot(a, x.numpy(), 2), np.eye(24).reshape(4, 6, 4, 6),
                               atol=1e-13)
    np.testing.assert_allclose(lm.linalg.tensorinv(x).numpy(), a, rtol=1e-12)
    out = lm.empty(0, dtype=lm.complex128)
    assert lm.linalg.tensorinv(_t(a), ind=2, out=out) is out and out.shape == (8, 3, 4, 6)


def test_tensorsolve_solves_and_takes_dims():
    rng = np.random.default_rng(12)
    a = rng.standard_normal((6, 2, 3)) + 0.0
    a = np.moveaxis((rng.standard_normal((6, 6)) + 6 * np.eye(6)).reshape(2, 3, 6), 2, 0)
    b = rng.standard_normal((2, 3))
    x = lm.linalg.tensorsolve(_t(a), _t(b), dims=(0,))
    assert x.shape == (6,)
    np.testing.assert_allclose(np.tensordot(np.moveaxis(a, 0, 2), x.numpy(), 1), b, atol=1e-13)
    out = lm.empty(3, dtype=lm.float64)
    with pytest.warns(UserWarning, match="was resized"):
        lm.linalg.tensorsolve(_t(a), _t(b), (0,), out=out)
    np.testing.assert_allclose(out.numpy(), x.numpy())
    # A near-singular A still solves, to the accuracy its condition number allows.
    m = _spectral(rng, 6, np.geomspace(1, 1e-10, 6))
    y = lm.linalg.tensorsolve(_t(m.reshape(2, 3, 6)), _t(b)).numpy()
    ref = np.linalg.solve(m, b.reshape(6))
    assert np.abs(m @ y - b.reshape(6)).max() <= 10 * max(np.abs(m @ ref - b.reshape(6)).max(),
                                                          EPS)


@needs_svd
def test_svd_based_functions_on_nan_input_raise_like_svd():
    # PyTorch's svd refuses NaN input with LinAlgError; cond, pinv and matrix_rank pass it on.
    a = _t(np.array([[[1.0, 2], [3, 4]], [[np.nan, 1], [2, 3]]]))
    for call in (lambda: lm.linalg.cond(a), lambda: lm.linalg.cond(a, "nuc"),
                 lambda: lm.linalg.pinv(a), lambda: lm.linalg.matrix_rank(a)):
        with pytest.raises(lm.linalg.LinAlgError, match="non-finite"):
            call()
