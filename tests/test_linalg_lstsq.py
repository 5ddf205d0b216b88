"""linalg.lstsq beyond the op table: ill-conditioned and rank-deficient accuracy against NumPy,
threads, non-finite input, out=, a large batch, the kernel's argument checks and the xp body."""

import numpy as np
import pytest

import lamina as lm
from lamina._core import _lstsq
from lamina._ops.lstsq import lstsq_p

DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _t(x):
    return lm.from_numpy(np.ascontiguousarray(x))


def _with_cond(m, n, cond, rng, dtype=np.float64):
    """A random (m, n) matrix with singular values spread from 1 to 1/cond."""
    u, _ = np.linalg.qr(rng.standard_normal((m, m)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.zeros((m, n))
    k = min(m, n)
    s[range(k), range(k)] = np.logspace(0, -np.log10(cond), k)
    return (u @ s @ v.T).astype(dtype)


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("cond", [1e2, 1e6, 1e10])
def test_ill_conditioned_residual_vs_numpy(driver, cond):
    rng = np.random.default_rng(1)
    a = np.stack([_with_cond(12, 6, cond, rng) for _ in range(5)])
    b = a @ rng.standard_normal((5, 6, 2))          # consistent: the residual is rounding
    x = lm.linalg.lstsq(_t(a), _t(b), driver=driver).solution.numpy()
    for i in range(5):
        ref = np.linalg.lstsq(a[i], b[i], rcond=None)[0]
        ours = np.linalg.norm(a[i] @ x[i] - b[i])
        theirs = np.linalg.norm(a[i] @ ref - b[i])
        assert ours <= 10 * theirs + 1e-14 * np.linalg.norm(b[i])


@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gelss"])
def test_rank_deficient_gives_minimum_norm_solution(driver):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 7, 4))
    a[1, :, 3] = a[1, :, 0] + a[1, :, 1]        # element 1 has rank 3
    b = rng.standard_normal((2, 7, 2))
    r = lm.linalg.lstsq(_t(a), _t(b), driver=driver)
    assert r.rank.tolist() == [4, 3]
    for i in range(2):
        np.testing.assert_allclose(r.solution.numpy()[i], np.linalg.pinv(a[i]) @ b[i],
                                   rtol=1e-8, atol=1e-10)
    assert r.residuals.shape == (0,)       # not every element has full rank
    full = lm.linalg.lstsq(_t(a[:1]), _t(b[:1]), driver=driver)
    assert full.residuals.shape == (1, 2) or driver == "gelsy"


def test_rcond_truncates_small_singular_values():
    rng = np.random.default_rng(3)
    a = _with_cond(9, 5, 1e6, rng)
    b = rng.standard_normal((9, 1))
    for rcond in (1e-8, 1e-3, 0.5):
        r = lm.linalg.lstsq(_t(a), _t(b), rcond, driver="gelsd")
        expect = np.linalg.lstsq(a, b, rcond=rcond)
        assert int(r.rank) == expect[2]
        np.testing.assert_allclose(r.solution.numpy(), expect[0], rtol=1e-8, atol=1e-10)


def test_default_rcond_is_eps_times_max_dim():
    # A singular value just below eps(float32) * 9 relative to the largest is cut in float32.
    s = np.diag([1.0, 1.0, 5e-7]).astype(np.float32)
    a = np.vstack([s, np.zeros((6, 3), np.float32)])
    b = np.ones((9, 1), np.float32)
    assert int(lm.linalg.lstsq(_t(a), _t(b), driver="gelsd").rank) == 2
    assert int(lm.linalg.lstsq(_t(a.astype(np.float64)), _t(b.astype(np.float64)),
                               driver="gelsd").rank) == 3


@pytest.mark.parametrize("driver", DRIVERS)
def test_threads_match_serial(driver):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((301, 32, 16)) + 1j * rng.standard_normal((301, 32, 16))
    b = rng.standard_normal((301, 32, 3)) + 0j
    saved = lm.get_num_threads()
    try:
        lm.set_num_threads(1)
        serial = lm.linalg.lstsq(_t(a), _t(b), driver=driver)
        lm.set_num_threads(2)
        threaded = lm.linalg.lstsq(_t(a), _t(b), driver=driver)
    finally:
        lm.set_num_threads(saved)
    for s, t in zip(serial, threaded):
        np.testing.assert_allclose(t.numpy(), s.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["A", "B"])
def test_non_finite_element_gets_nan_and_the_others_are_untouched(driver, bad, where):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 4, 4)) + 4 * np.eye(4)
    b = rng.standard_normal((3, 4, 2))
    (a if where == "A" else b)[1, 2, 1] = bad
    r = lm.linalg.lstsq(_t(a), _t(b), driver=driver)
    x = r.solution.numpy()
    assert np.isnan(x[1]).all()
    for i in (0, 2):
        np.testing.assert_allclose(x[i], np.linalg.solve(a[i], b[i]), rtol=1e-10)
    if driver in ("gelsd", "gelss"):
        assert np.isnan(r.singular_values.numpy()[1]).all()
        assert not np.isnan(r.singular_values.numpy()[[0, 2]]).any()
    if driver != "gels":
        assert r.rank.tolist() == [4, 0, 4]


def test_non_finite_residuals_are_nan():
    a = np.ones((5, 2)) + np.eye(5, 2)
    b = np.ones((5, 1))
    b[0] = np.inf
    r = lm.linalg.lstsq(_t(a), _t(b), driver="gels")
    assert np.isnan(r.residuals.numpy()).all()


def test_out_writes_every_output():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    out = (lm.empty(0, dtype=lm.float64), lm.empty(0, dtype=lm.float64),
           lm.empty(0, dtype=lm.int64), lm.empty(0, dtype=lm.float64))
    r = lm.linalg.lstsq(_t(a), _t(b), driver="gelsd", out=out)
    assert all(x is o for x, o in zip(r, out))
    expect = lm.linalg.lstsq(_t(a), _t(b), driver="gelsd")
    for got, want in zip(out, expect):
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(TypeError):
        lm.linalg.lstsq(_t(a), _t(b), out=out[:3])


def test_solution_is_a_column_major_view_like_pytorch():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 5, 2))
    x = lm.linalg.lstsq(_t(a), _t(b)).solution
    assert x.shape == (2, 3, 2) and x.stride() == (10, 1, 5)


def test_large_batch_vs_numpy():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((5000, 6, 4))
    b = rng.standard_normal((5000, 6, 2))
    expect = np.linalg.pinv(a) @ b
    for driver in DRIVERS:
        x = lm.linalg.lstsq(_t(a), _t(b), driver=driver).solution.numpy()
        np.testing.assert_allclose(x, expect, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("shape", [(7, 4), (4, 7), (0, 3), (5, 0)])
def test_xp_body_matches_the_kernel(driver, shape):
    # The xp body (NumPy here, CuPy on cuda) solves through the SVD.
    rng = np.random.default_rng(9)
    m, n = shape
    a = rng.standard_normal((3, m, n))
    a[:, range(min(m, n)), range(min(m, n))] += 3
    b = rng.standard_normal((3, m, 2))
    rcond = np.finfo(np.float64).eps * max(m, n)
    got = lstsq_p.xp(np, a, b, rcond=rcond, driver=driver)
    want = lstsq_p(_t(a), _t(b), rcond=rcond, driver=driver)
    for g, w in zip(got[:4], want[:4]):
        w = w.numpy()
        if driver == "gels" and m > n and n == 0 and w.size:
            continue    # ?gels zeroes B when A has no column: its residual is 0, not |B|^2
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-10)


def _kernel_args(m=5, n=3, k=2, nbatch=2, driver="gelsd"):
    a = np.ones((nbatch, m, n))
    return dict(a=a, a_off=np.arange(nbatch, dtype=np.intp) * a.strides[0],
                x=np.zeros((nbatch, k, max(m, n))), res=np.zeros((nbatch, k)),
                rank=np.zeros(nbatch, np.int64), sv=np.zeros((nbatch, min(m, n))),
                info=np.zeros(nbatch, np.int32), rcond=-1.0, driver=driver)


@pytest.mark.parametrize("change", [
    {"driver": "gesv"},
    {"a_off": np.array([0, 10 ** 6], np.intp)},
    {"a_off": np.array([0, -8], np.intp)},
    {"x": np.zeros((2, 2, 4))},
    {"x": np.zeros((2, 2, 5), np.float32)},
    {"x": np.zeros((2, 5, 2)).swapaxes(1, 2)},
    {"res": np.zeros((2, 3))},
    {"sv": None},
    {"info": np.zeros(2, np.int64)},
    {"a": np.ones((2, 5, 3), np.int64)},
])
def test_kernel_refuses_bad_arguments(change):
    args = _kernel_args()
    args.update(change)
    with pytest.raises((ValueError, TypeError)):
        _lstsq.lstsq_batched(**args)


def test_kernel_refuses_rank_for_gels():
    args = _kernel_args(driver="gels")
    with pytest.raises(ValueError):
        _lstsq.lstsq_batched(**args)
    args.update(rank=None, sv=None)
    _lstsq.lstsq_batched(**args)
