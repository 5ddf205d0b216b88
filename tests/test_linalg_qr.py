"""Hand tests for the QR family: what the op table cannot say. Accuracy on ill-conditioned
input against NumPy's, the tiny-matrix loops against LAPACK on the same input, threaded vs
serial, non-finite input, out=, methods, PyTorch's deprecation warning for qr, a large batch."""

import warnings

import numpy as np
import pytest

import lamina as lm
from lamina._core import _qr

RNG = np.random.default_rng(7)


def _with_condition(batch, m, n, cond, dtype=np.float64):
    """Random (batch, m, n) matrices with singular values spread log-evenly over [1/cond, 1]."""
    k = min(m, n)
    U = np.linalg.qr(RNG.standard_normal((batch, m, k)))[0]
    V = np.linalg.qr(RNG.standard_normal((batch, n, k)))[0]
    s = np.logspace(0, -np.log10(cond), k)
    return ((U * s) @ V.swapaxes(-1, -2)).astype(dtype)


def _residuals(A, Q, R):
    scale = np.linalg.norm(A, axis=(-2, -1))
    fact = np.linalg.norm(Q @ R - A, axis=(-2, -1)) / scale
    eye = np.eye(Q.shape[-1])
    orth = np.linalg.norm(Q.conj().swapaxes(-1, -2) @ Q - eye, axis=(-2, -1))
    return fact.max(), orth.max()


@pytest.mark.parametrize("shape", [(6, 6), (9, 5), (5, 9), (40, 40), (60, 30)])
@pytest.mark.parametrize("cond", [1e4, 1e10])
def test_ill_conditioned_accuracy_vs_numpy(shape, cond):
    A = _with_condition(20, *shape, cond)
    Q, R = lm.linalg.qr(lm.from_numpy(A))
    ours = _residuals(A, Q.numpy(), R.numpy())
    ref = _residuals(A, *np.linalg.qr(A))
    eps = np.finfo(np.float64).eps
    for got, want in zip(ours, ref):
        assert got <= 10 * max(want, eps), (ours, ref)


def test_rank_deficient_input():
    A = RNG.standard_normal((4, 7, 3)) @ RNG.standard_normal((4, 3, 6))   # rank 3 of 6
    Q, R = lm.linalg.qr(lm.from_numpy(A), mode="complete")
    Q, R = Q.numpy(), R.numpy()
    np.testing.assert_allclose(Q @ R, A, atol=1e-12)
    np.testing.assert_allclose(Q.swapaxes(-1, -2) @ Q, np.broadcast_to(np.eye(7), Q.shape),
                               atol=1e-13)
    assert np.all(np.abs(R[:, 3:, 3:]) < 1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("shape", [(1, 1), (8, 8), (11, 4), (4, 11), (32, 32), (30, 1),
                                   (24, 24), (40, 27), (27, 40), (45, 45)])
def test_tiny_loops_match_lapack(simd_level, dtype, shape):
    """The unblocked loops (with _simd_larf.h's reflector step from 24 at AVX-512, odd
    lengths ending in an overlapping vector) against ?geqrf/?orgqr."""
    A = RNG.standard_normal((5,) + shape)
    if dtype.startswith("complex"):
        A = A + 1j * RNG.standard_normal((5,) + shape)
    A = A.astype(dtype)
    tol = 1e-4 if dtype in ("float32", "complex64") else 1e-12
    for mode in ("reduced", "complete", "r"):
        (q1, r1), (q2, r2) = _qr.qr(A, mode, True), _qr.qr(A, mode, False)
        np.testing.assert_allclose(r1, r2, atol=tol)
        if q1 is not None:
            np.testing.assert_allclose(q1, q2, atol=tol)
    (a1, t1), (a2, t2) = _qr.geqrf(A, True), _qr.geqrf(A, False)
    np.testing.assert_allclose(a1, a2, atol=tol)
    np.testing.assert_allclose(t1, t2, atol=tol)
    if shape[0] >= shape[1]:
        a, tau = a2.swapaxes(-1, -2), t2
        np.testing.assert_allclose(_qr.orgqr(a, tau, True), _qr.orgqr(a, tau, False), atol=tol)


def test_tiny_loops_scale_like_lapack():
    """?nrm2-style scaling: columns near under- and overflow give LAPACK's R, not 0 or inf."""
    for scale in (1e-160, 1e160):
        A = RNG.standard_normal((3, 6, 6)) * scale
        (_, r1), (_, r2) = _qr.qr(A, "reduced", True), _qr.qr(A, "reduced", False)
        assert np.all(np.isfinite(r1))
        np.testing.assert_allclose(r1, r2, rtol=1e-12, atol=0)


def test_threads_match_serial():
    A = RNG.standard_normal((3001, 8, 8))
    C = RNG.standard_normal((3001, 40, 2))
    B = RNG.standard_normal((301, 40, 40))
    saved = lm.get_num_threads()
    results = []
    try:
        for threads in (1, 2):
            lm.set_num_threads(threads)
            a, tau = lm.geqrf(lm.from_numpy(B))
            results.append([x.numpy() for x in lm.linalg.qr(lm.from_numpy(A))]
                           + [x.numpy() for x in lm.linalg.qr(lm.from_numpy(B))]
                           + [lm.ormqr(a, tau, lm.from_numpy(C[:301])).numpy()])
    finally:
        lm.set_num_threads(saved)
    for x, y in zip(*results):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_input_returns(value):
    A = RNG.standard_normal((3, 5, 4))
    A[1, 2, 1] = value
    Q, R = lm.linalg.qr(lm.from_numpy(A))
    assert np.all(np.isfinite(Q.numpy()[[0, 2]])) and np.all(np.isfinite(R.numpy()[[0, 2]]))
    assert not np.all(np.isfinite(R.numpy()[1]))
    big = RNG.standard_normal((2, 40, 40))
    big[0, 3, 3] = value
    assert not np.all(np.isfinite(lm.linalg.qr(lm.from_numpy(big)).R.numpy()[0]))


def test_out_and_return_types():
    A = lm.from_numpy(RNG.standard_normal((2, 5, 3)))
    Q, R = lm.empty(0, dtype=lm.float64), lm.empty(0, dtype=lm.float64)
    res = lm.linalg.qr(A, out=(Q, R))
    assert res.Q is Q and res.R is R and type(res).__name__ == "linalg_qr"
    np.testing.assert_allclose((Q @ R).numpy(), A.numpy(), atol=1e-13)
    assert Q.shape == (2, 5, 3) and R.shape == (2, 3, 3)
    a, tau = lm.geqrf(A)
    out = lm.empty(0, dtype=lm.float64)
    assert lm.linalg.householder_product(a, tau, out=out) is out
    np.testing.assert_allclose(out.numpy(), Q.numpy(), atol=1e-13)
    g = (lm.empty(0, dtype=lm.float64), lm.empty(0, dtype=lm.float64))
    assert type(lm.geqrf(A, out=g)).__name__ == "geqrf"
    np.testing.assert_array_equal(g[0].numpy(), a.numpy())


def test_strides_are_column_major_like_torch():
    A = lm.from_numpy(RNG.standard_normal((3, 5, 4)))
    Q, R = lm.linalg.qr(A)
    assert Q.stride() == (20, 1, 5) and R.stride() == (16, 1, 4)
    a, tau = lm.geqrf(A)
    assert a.stride() == (20, 1, 5) and tau.stride() == (4, 1)


def test_methods_and_deprecated_qr():
    A = lm.from_numpy(RNG.standard_normal((5, 3)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Q, R = A.qr()
        Qc, Rc = lm.qr(A, some=False)
    assert type(lm.qr(A)).__name__ == "qr"
    assert Q.shape == (5, 3) and Qc.shape == (5, 5) and Rc.shape == (5, 3)
    assert len([w for w in caught if "deprecated" in str(w.message)]) <= 1
    a, tau = A.geqrf()
    np.testing.assert_allclose(a.orgqr(tau).numpy(), Q.numpy(), atol=1e-13)
    C = lm.from_numpy(RNG.standard_normal((5, 2)))
    np.testing.assert_allclose(a.ormqr(tau, C, transpose=True).numpy(),
                               (Qc.mT @ C).numpy(), atol=1e-13)


def test_large_batch_of_4x4_vs_numpy():
    A = RNG.standard_normal((5000, 4, 4))
    Q, R = lm.linalg.qr(lm.from_numpy(A))
    Qn, Rn = np.linalg.qr(A)
    np.testing.assert_allclose(np.abs(R.numpy()), np.abs(Rn), atol=1e-12)
    np.testing.assert_allclose(Q.numpy() @ R.numpy(), A, atol=1e-12)
