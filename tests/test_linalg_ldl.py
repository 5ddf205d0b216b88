"""linalg.ldl_factor/ldl_factor_ex/ldl_solve beyond the op table: A X = B against A itself
(ill-conditioned included, vs NumPy), what is read and written, threads, info, non-finite input,
out=, a large batch and the kernels' argument checks."""

import numpy as np
import pytest

import lamina as lm
from lamina._core import _ldl


def _t(x):
    return lm.from_numpy(np.ascontiguousarray(x))


def _indefinite(shape, rng, dtype=np.float64, hermitian=False):
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    a = a + (a.conj() if hermitian else a).swapaxes(-1, -2)
    n = shape[-1]
    a[..., range(n), range(n)] += np.where(np.arange(n) % 2, 3 * n, -3 * n)
    return a.astype(dtype)


def _with_cond(n, cond, rng):
    """A symmetric indefinite matrix with |eigenvalues| spread from 1 to 1/cond."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.logspace(0, -np.log10(cond), n) * np.where(np.arange(n) % 2, 1, -1)
    return (q * lam) @ q.T


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("hermitian", [False, True])
def test_solve_recovers_b(dtype, hermitian):
    rng = np.random.default_rng(0)
    a = _indefinite((4, 9, 9), rng, dtype, hermitian)
    b = rng.standard_normal((4, 9, 3)).astype(dtype)
    LD, pivots = lm.linalg.ldl_factor(_t(a), hermitian=hermitian)
    x = lm.linalg.ldl_solve(LD, pivots, _t(b), hermitian=hermitian).numpy()
    tol = 1e-4 if dtype in ("float32", "complex64") else 1e-11
    np.testing.assert_allclose(a @ x, b, rtol=tol, atol=tol)


def test_hermitian_and_symmetric_differ_for_complex():
    rng = np.random.default_rng(1)
    a = _indefinite((6, 6), rng, np.complex128, hermitian=True)
    b = rng.standard_normal((6, 1)) + 0j
    wrong = lm.linalg.ldl_solve(*lm.linalg.ldl_factor(_t(a)), _t(b)).numpy()
    right = lm.linalg.ldl_solve(*lm.linalg.ldl_factor(_t(a), hermitian=True), _t(b),
                                hermitian=True).numpy()
    np.testing.assert_allclose(a @ right, b, atol=1e-12)
    assert np.abs(a @ wrong - b).max() > 1e-3   # A is not complex-symmetric


@pytest.mark.parametrize("cond", [1e2, 1e6, 1e10])
def test_ill_conditioned_residual_vs_numpy(cond):
    rng = np.random.default_rng(2)
    a = np.stack([_with_cond(12, cond, rng) for _ in range(4)])
    b = rng.standard_normal((4, 12, 2))
    x = lm.linalg.ldl_solve(*lm.linalg.ldl_factor(_t(a)), _t(b)).numpy()
    ref = np.linalg.solve(a, b)
    for i in range(4):
        ours = np.linalg.norm(a[i] @ x[i] - b[i])
        theirs = np.linalg.norm(a[i] @ ref[i] - b[i])
        assert ours <= 10 * theirs + 1e-15 * np.linalg.norm(a[i]) * np.linalg.norm(x[i])


def test_reads_only_the_lower_triangle_and_zeroes_the_upper():
    rng = np.random.default_rng(3)
    a = _indefinite((3, 7, 7), rng)
    garbage = a + np.triu(rng.standard_normal((3, 7, 7)) * 100, 1)
    LD, pivots = lm.linalg.ldl_factor(_t(a))
    LD2, pivots2 = lm.linalg.ldl_factor(_t(garbage))
    np.testing.assert_array_equal(LD.numpy(), LD2.numpy())
    np.testing.assert_array_equal(pivots.numpy(), pivots2.numpy())
    assert not np.triu(LD.numpy(), 1).any()
    assert LD.stride() == (49, 1, 7)        # column-major, as PyTorch returns it


def test_two_by_two_blocks_are_taken():
    # A zero diagonal forces Bunch-Kaufman into 2x2 pivots: negative pairs in the pivots.
    a = np.array([[0.0, 1, 2, 3], [1, 0, 4, 5], [2, 4, 0, 6], [3, 5, 6, 0]])
    LD, pivots = lm.linalg.ldl_factor(_t(a))
    p = pivots.numpy()
    assert (p < 0).any()
    b = np.arange(8.0).reshape(4, 2)
    np.testing.assert_allclose(a @ lm.linalg.ldl_solve(LD, pivots, _t(b)).numpy(), b,
                               atol=1e-12)


def test_solve_accepts_any_layout_of_the_factor():
    rng = np.random.default_rng(4)
    a = _indefinite((2, 5, 5), rng)
    b = rng.standard_normal((2, 5, 2))
    LD, pivots = lm.linalg.ldl_factor(_t(a))
    x = lm.linalg.ldl_solve(LD, pivots, _t(b)).numpy()
    contiguous = lm.linalg.ldl_solve(_t(LD.numpy()), pivots, _t(b)).numpy()
    np.testing.assert_allclose(contiguous, x, rtol=1e-13)
    np.testing.assert_allclose(a @ x, b, atol=1e-11)


@pytest.mark.parametrize("dtype", ["float64", "complex64"])
def test_threads_match_serial(dtype):
    rng = np.random.default_rng(5)
    a = _indefinite((301, 24, 24), rng, dtype)
    b = rng.standard_normal((301, 24, 8)).astype(dtype)
    saved = lm.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            lm.set_num_threads(threads)
            LD, pivots = lm.linalg.ldl_factor(_t(a))
            results.append((LD, pivots, lm.linalg.ldl_solve(LD, pivots, _t(b))))
    finally:
        lm.set_num_threads(saved)
    for s, t in zip(*results):
        np.testing.assert_array_equal(t.numpy(), s.numpy())


def test_ex_reports_info_per_element_and_never_raises():
    rng = np.random.default_rng(6)
    a = _indefinite((4, 5, 5), rng)
    a[2] = 0
    a[2, 0, 0] = 1                  # D(2, 2) is the first exact zero
    r = lm.linalg.ldl_factor_ex(_t(a))
    assert r.info.dtype is lm.int32 and r.info.tolist() == [0, 0, 2, 0]
    with pytest.raises(lm.linalg.LinAlgError, match=r"\(Batch element 2\): D\[2,2\] is zero"):
        lm.linalg.ldl_factor_ex(_t(a), check_errors=True)
    with pytest.raises(lm.linalg.LinAlgError, match=r"ldl_factor: \(Batch element 2\)"):
        lm.linalg.ldl_factor(_t(a))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input_returns(bad):
    rng = np.random.default_rng(7)
    a = _indefinite((3, 4, 4), rng)
    a[1, 2, 1] = bad
    r = lm.linalg.ldl_factor_ex(_t(a))
    assert r.info.numpy()[[0, 2]].tolist() == [0, 0]
    b = rng.standard_normal((3, 4, 1))
    b[0, 0, 0] = bad
    x = lm.linalg.ldl_solve(r.LD, r.pivots, _t(b)).numpy()
    assert not np.isfinite(x[0]).all()
    np.testing.assert_allclose(a[2] @ x[2], b[2], atol=1e-12)


def test_out():
    rng = np.random.default_rng(8)
    a = _indefinite((5, 5), rng)
    out = (lm.empty(0, dtype=lm.float64), lm.empty(0, dtype=lm.int32))
    r = lm.linalg.ldl_factor(_t(a), out=out)
    assert r[0] is out[0] and r[1] is out[1]
    expect = lm.linalg.ldl_factor(_t(a))
    np.testing.assert_array_equal(out[0].numpy(), expect.LD.numpy())
    np.testing.assert_array_equal(out[1].numpy(), expect.pivots.numpy())
    ex_out = out + (lm.empty(0, dtype=lm.int32),)
    lm.linalg.ldl_factor_ex(_t(a), out=ex_out)
    assert ex_out[2].tolist() == 0
    x = lm.empty(0, dtype=lm.float64)
    assert lm.linalg.ldl_solve(*expect, _t(np.ones((5, 1))), out=x) is x
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype int, but got "
                                           "long int instead"):
        lm.linalg.ldl_factor(_t(a), out=(out[0], lm.empty(0, dtype=lm.int64)))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype double, but got "
                                           "float instead"):
        lm.linalg.ldl_solve(*expect, _t(np.ones((5, 1))), out=lm.empty(0))


def test_large_batch_vs_numpy():
    rng = np.random.default_rng(9)
    a = _indefinite((5000, 4, 4), rng)
    b = rng.standard_normal((5000, 4, 1))
    x = lm.linalg.ldl_solve(*lm.linalg.ldl_factor(_t(a)), _t(b)).numpy()
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("pivots", [
    [[1, 2, 3, -4]],            # a 2x2 block opened on the last row
    [[-2, 3, 3, 4]],            # a negative pivot whose partner is positive
    [[1, 2, 5, 4]],             # a row past n
    [[0, 2, 3, 4]],             # zero is no 1-based row
])
def test_kernel_checks_pivots(pivots):
    with pytest.raises(RuntimeError, match="Pivots given to ldl_solve"):
        _ldl.check_pivots(np.array(pivots, np.int32))


def test_kernel_refuses_bad_arguments():
    ld = np.eye(3)[None]
    ipiv = np.arange(1, 4, dtype=np.int32)[None]
    x = np.ones((1, 2, 3))
    zero = np.zeros(1, np.intp)
    _ldl.sytrs_batched(ld, zero, ipiv, zero, x, False)
    for args in [
        (ld, np.array([10 ** 6], np.intp), ipiv, zero, x),      # factor offset outside
        (ld, zero, ipiv, np.array([1], np.intp), x),              # pivot row outside
        (ld, zero, ipiv.astype(np.int64), zero, x),
        (ld, zero, ipiv, zero, np.ones((1, 3, 2)).swapaxes(1, 2)),
        (ld.astype(np.int64), zero, ipiv, zero, x),
    ]:
        with pytest.raises((ValueError, TypeError)):
            _ldl.sytrs_batched(*args, False)
    with pytest.raises(ValueError):
        _ldl.sytrf_batched(np.eye(3)[None].swapaxes(1, 2)[:, :, :2], ipiv, zero.astype(np.int32),
                           False)
