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
