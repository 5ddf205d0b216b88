"""Hand tests for the spectral family's VJPs (qr, eigh, eigvalsh, eig, svd, lstsq): what the op
table's gradcheck cannot see. Eigen/singular vectors are checked through gauge-invariant losses
(|V|^2, the values themselves, U S Vh) against central finite differences along random
directions (Hermitian ones for eigh, which reads one triangle); PyTorch's conventions and error
messages (checked against torch 2.13) are hard-coded."""

import numpy as np
import pytest

import lamina as lm

H = 1e-6


def _rand(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _herm(X):
    return X + X.conj().swapaxes(-1, -2)


def _check(fn, A, loss, grad_outs, *, hermitian=False, seed=0, rtol=1e-5):
    """<gA, E> from backward equals (L(A + hE) - L(A - hE)) / 2h for random directions E.
    fn: lamina function of A returning outputs; loss(outs) a real number on NumPy outputs;
    grad_outs(outs) its cotangents (PyTorch's convention)."""
    rng = np.random.default_rng(seed)
    a = lm.from_numpy(A.copy()).requires_grad_()
    outs = _as_tuple(fn(a))
    cts = [lm.from_numpy(np.ascontiguousarray(c)) for c in grad_outs([o.detach().numpy()
                                                                     for o in outs])]
    (g,) = lm.autograd.grad(outs, a, cts)
    g = g.numpy()

    def L(X):
        with lm.no_grad():
            return loss([o.numpy() for o in _as_tuple(fn(lm.from_numpy(X)))])
    for _ in range(3):
        E = _rand(rng, A.shape, A.dtype)
        if hermitian:
            E = _herm(E)
        numeric = (L(A + H * E) - L(A - H * E)) / (2 * H)
        analytic = np.real(np.vdot(g, E))
        assert abs(analytic - numeric) <= rtol * (1 + abs(numeric)), (analytic, numeric)
    return g


def _as_tuple(x):
    return (x,) if isinstance(x, lm.Tensor) else tuple(x)


def _weights(rng, *shapes):
    return [rng.standard_normal(s) for s in shapes]


DTYPES = [np.float64, np.complex128]


# -- eigh / eigvalsh ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_values_and_vectors(dtype, uplo):
    rng = np.random.default_rng(1)
    A = _herm(_rand(rng, (2, 4, 4), dtype))
    gw, W = _weights(rng, (2, 4), (2, 4, 4))
    _check(lambda a: lm.linalg.eigh(a, UPLO=uplo), A,
           lambda o: np.sum(gw * o[0]) + np.sum(W * np.abs(o[1]) ** 2),
           lambda o: (gw, (2 * W * o[1]).astype(dtype)), hermitian=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_eigvalsh(dtype):
    rng = np.random.default_rng(2)
    A = _herm(_rand(rng, (3, 3), dtype))
    (gw,) = _weights(rng, (3,))
    _check(lm.linalg.eigvalsh, A, lambda o: np.sum(gw * o[0]), lambda o: (gw,), hermitian=True)
    # the primitive itself (which recomputes the eigenvectors in its rule)
    from lamina._ops.eigh import eigvalsh_p
    _check(lambda a: eigvalsh_p(a, UPLO="L")[:1], A, lambda o: np.sum(gw * o[0]),
           lambda o: (gw,), hermitian=True)


def test_eigh_gradient_is_full_hermitian():
    # PyTorch ignores UPLO in the backward: d(w_max)/dA = v v^H over the whole matrix.
    A = np.array([[2.0, 100.0], [1.0, 3.0]])       # only the lower triangle is read
    a = lm.from_numpy(A).requires_grad_()
    w, V = lm.linalg.eigh(a)
    w.backward(lm.tensor([0.0, 1.0], dtype=lm.float64))
    v = np.linalg.eigh(np.array([[2.0, 1.0], [1.0, 3.0]]))[1][:, 1]
    np.testing.assert_allclose(a.grad.numpy(), np.outer(v, v), atol=1e-12)


def test_eigh_repeated_eigenvalues():
    # As PyTorch: the vectors' gradient divides by the zero gap; the values' stays finite.
    A = np.diag([1.0, 1.0, 3.0])
    a = lm.from_numpy(A).requires_grad_()
    w, V = lm.linalg.eigh(a)
    (g,) = lm.autograd.grad((w, V), a, (lm.ones(3, dtype=lm.float64),
                                        lm.ones(3, 3, dtype=lm.float64)))
    assert not np.isfinite(g.numpy()).all()
    a = lm.from_numpy(A).requires_grad_()
    lm.linalg.eigvalsh(a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.eye(3), atol=1e-12)


def test_eigh_phase_dependent_loss_raises():
    A = _herm(_rand(np.random.default_rng(3), (3, 3), np.complex128))
    a = lm.from_numpy(A).requires_grad_()
    w, V = lm.linalg.eigh(a)
    ct = np.zeros((3, 3), np.complex128)
    ct[0, 0] = 1j * np.exp(1j * np.angle(V.detach().numpy()[0, 0]))
    with pytest.raises(RuntimeError, match=r"linalg_eigh_backward: The eigenvectors in the "
                       r"complex case are specified up to multiplication by e\^\{i phi\}"):
        lm.autograd.grad(V, a, lm.from_numpy(ct))


def test_eigh_saves_outputs_not_input():
    x = lm.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=lm.float64, requires_grad=True)
    A = x * 1
    w, V = lm.linalg.eigh(A)
    A.add_(1)                          # the rule does not read A
    w.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.eye(2), atol=1e-12)
    A = x * 1
    w, V = lm.linalg.eigh(A)
    w.mul_(2)                          # but it reads w
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        V.sum().backward()


def test_eigvalsh_primitive_saves_input():
    from lamina._ops.eigh import eigvalsh_p
    x = lm.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=lm.float64, requires_grad=True)
    A = x * 1
    w, _ = eigvalsh_p(A, UPLO="L")
    A.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        w.sum().backward()


# -- svd ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 5, 3), (3, 5)])
@pytest.mark.parametrize("full", [False, True])
def test_svd(dtype, shape, full):
    rng = np.random.default_rng(4)
    A = _rand(rng, shape, dtype)
    k = min(shape[-2:])
    gS, WU, WV = _weights(rng, shape[:-2] + (k,), shape[:-1] + (k,),
                          shape[:-2] + (k, shape[-1]))

    def loss(o):
        U, S, Vh = o[0][..., :k], o[1], o[2][..., :k, :]
        return np.sum(gS * S) + np.sum(WU * np.abs(U) ** 2) + np.sum(WV * np.abs(Vh) ** 2)

    def cts(o):
        gU, gVh = np.zeros_like(o[0]), np.zeros_like(o[2])
        gU[..., :k] = 2 * WU * o[0][..., :k]
        gVh[..., :k, :] = 2 * WV * o[2][..., :k, :]
        return gU, gS, gVh
    _check(lambda a: lm.linalg.svd(a, full_matrices=full), A, loss, cts)


@pytest.mark.parametrize("dtype", DTYPES)
def test_svdvals_and_top_level_svd(dtype):
    rng = np.random.default_rng(5)
    A = _rand(rng, (4, 3), dtype)
    (gS,) = _weights(rng, (3,))
    _check(lambda a: (lm.linalg.svdvals(a),), A, lambda o: np.sum(gS * o[0]), lambda o: (gS,))
    _check(lambda a: lm.svd(a, compute_uv=False)[1:2], A, lambda o: np.sum(gS * o[0]),
           lambda o: (gS,))


def test_svdvals_repeated_values_finite():
    a = lm.eye(3, dtype=lm.float64).requires_grad_()
    lm.linalg.svdvals(a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.eye(3), atol=1e-12)


def test_svd_phase_dependent_loss_raises():
    a = lm.from_numpy(_rand(np.random.default_rng(6), (3, 3), np.complex128)).requires_grad_()
    U, S, Vh = lm.linalg.svd(a)
    ct = np.zeros((3, 3), np.complex128)
    ct[0, 0] = 1j * np.exp(1j * np.angle(U.detach().numpy()[0, 0]))
    with pytest.raises(RuntimeError, match=r"svd_backward: The singular vectors in the complex "
                       r"case are specified up to multiplication by e\^\{i phi\}"):
        lm.autograd.grad(U, a, lm.from_numpy(ct))


# -- eig ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_eig(dtype):
    rng = np.random.default_rng(7)
    A = _rand(rng, (2, 4, 4), dtype)
    (W,) = _weights(rng, (2, 4, 4))
    # values enter through a symmetric function (their order is LAPACK's)
    _check(lm.linalg.eig, A,
           lambda o: np.sum(np.real(o[0] ** 2)) + np.sum(W * np.abs(o[1]) ** 2),
           lambda o: (2 * np.conj(o[0]), 2 * W * o[1]))
    _check(lambda a: (lm.linalg.eigvals(a),), A, lambda o: np.sum(np.abs(o[0]) ** 2),
           lambda o: (2 * o[0],))


def test_eig_phase_dependent_loss_raises():
    a = lm.from_numpy(_rand(np.random.default_rng(8), (3, 3), np.float64)).requires_grad_()
    w, V = lm.linalg.eig(a)
    ct = np.zeros((3, 3), np.complex128)
    ct[0, 0] = 1j * np.exp(1j * np.angle(V.detach().numpy()[0, 0]))
    with pytest.raises(RuntimeError, match=r"linalg_eig_backward: The eigenvectors in the "
                       r"complex case are specified up to multiplication"):
        lm.autograd.grad(V, a, lm.from_numpy(ct))


# -- qr -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,mode", [((3, 3), "reduced"), ((2, 5, 3), "reduced"),
                                        ((3, 5), "reduced"), ((3, 5), "complete"),
                                        ((3, 3), "complete")])
def test_qr(dtype, shape, mode):
    rng = np.random.default_rng(9)
    A = _rand(rng, shape, dtype)
    with lm.no_grad():
        Q, R = lm.linalg.qr(lm.from_numpy(A), mode=mode)
    GQ, GR = _rand(rng, Q.shape, dtype), _rand(rng, R.shape, dtype)
    # Q and R are locally unique (LAPACK's real diagonal of R), so the raw factors are fine
    _check(lambda a: lm.linalg.qr(a, mode=mode), A,
           lambda o: np.real(np.vdot(GQ, o[0]) + np.vdot(GR, o[1])), lambda o: (GQ, GR))


def test_qr_errors():
    a = lm.from_numpy(np.random.default_rng(10).standard_normal((4, 3))).requires_grad_()
    with pytest.raises(RuntimeError, match=r"The derivative of linalg.qr depends on Q, which is "
                       r"not computed when mode='r'. Please use linalg.qr\(A, mode='reduced'\)"):
        lm.linalg.qr(a, mode="r").R.sum().backward()
    with pytest.raises(RuntimeError, match="The QR decomposition is not differentiable when "
                       "mode='complete' and nrows > ncols."):
        lm.linalg.qr(a, mode="complete").R.sum().backward()


def test_geqrf_not_differentiable():
    a = lm.from_numpy(np.random.default_rng(11).standard_normal((3, 3))).requires_grad_()
    with pytest.raises(NotImplementedError, match="the derivative for 'geqrf' is not "
                       "implemented"):
        lm.geqrf(a)[0].sum().backward()


# -- lstsq ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa,sb,driver", [((5, 3), (5, 2), "gelsd"), ((2, 5, 3), (1, 5, 2), "gels"),
                                          ((3, 5), (3, 2), None), ((5, 3), (5,), "gelss")])
def test_lstsq(dtype, sa, sb, driver):
    rng = np.random.default_rng(12)
    A, B = _rand(rng, sa, dtype), _rand(rng, sb, dtype)
    with lm.no_grad():
        res = lm.linalg.lstsq(lm.from_numpy(A), lm.from_numpy(B), driver=driver)
    GX = _rand(rng, res.solution.shape, dtype)
    gL = rng.standard_normal(res.residuals.shape)
    has_res = res.residuals.numel() > 0

    def fn(a, b):
        r = lm.linalg.lstsq(a, b, driver=driver)
        return (r.solution, r.residuals) if has_res else (r.solution,)

    def loss(o):
        return np.real(np.vdot(GX, o[0])) + (np.sum(gL * o[1]) if has_res else 0)

    def cts(o):
        return (GX, gL) if has_res else (GX,)
    _check(lambda a: fn(a, lm.from_numpy(B)), A, loss, cts)
    _check(lambda b: fn(lm.from_numpy(A), b), B, loss, cts)


def test_lstsq_singular_values_carry_no_gradient():
    a = lm.from_numpy(np.random.default_rng(13).standard_normal((4, 2))).requires_grad_()
    res = lm.linalg.lstsq(a, lm.ones(4, 1, dtype=lm.float64), driver="gelsd")
    assert res.solution.requires_grad and res.residuals.requires_grad
    assert not res.singular_values.requires_grad      # PyTorch's output_differentiability


def test_lstsq_saves_inputs():
    x = lm.from_numpy(np.random.default_rng(14).standard_normal((4, 2))).requires_grad_()
    A = x * 1
    X = lm.linalg.lstsq(A, lm.ones(4, 1, dtype=lm.float64)).solution
    A.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        X.sum().backward()


# -- composites -----------------------------------------------------------------------------------

def test_pinv_through_svd():
    # linalg.pinv composes svd (and matmul): d(sum pinv(A))/dA against finite differences.
    rng = np.random.default_rng(15)
    A = rng.standard_normal((4, 3))
    (G,) = _weights(rng, (3, 4))
    try:
        _check(lambda a: (lm.linalg.pinv(a),), A, lambda o: np.sum(G * o[0]), lambda o: (G,))
    except NotImplementedError as e:   # matmul's rule comes with another family's issue
        pytest.skip(str(e))
