"""torch.func over the spectral linalg family (qr, householder_product, ormqr, eigh, eig, svd,
lstsq) where the op-table sweeps cannot look: mapped dims in the middle, unmapped operands of
other ranks, complex tangents checked through the decompositions' defining identities in NumPy,
vmap of grad against a loop, jacfwd against jacrev. A batch rule of this family falling back to
the Python loop fails a test; other families' primitives may (their rules land separately)."""

import warnings

import numpy as np
import pytest

import lamina as lm

MINE = ("qr", "geqrf", "householder_product", "ormqr", "eigh", "eigvalsh", "eig_ex", "svd_ex",
        "lstsq")


def _t(a):
    return lm.from_numpy(np.ascontiguousarray(a))


def _rand(rng, shape, complex_=False):
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if complex_ else a


def _vmap(f, in_dims, *args):
    """vmap(f) on tensors of `args`, failing if one of this family's primitives falls back."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = lm.vmap(f, in_dims=in_dims)(*[_t(a) if isinstance(a, np.ndarray) else a
                                              for a in args])
    loops = [str(w.message) for w in caught if "performance drop" in str(w.message)
             and any(f"for {name}." in str(w.message) for name in MINE)]
    assert not loops, loops
    return out


def _loop(f, in_dims, *args):
    size = next(a.shape[d] for a, d in zip(args, in_dims) if d is not None)
    outs = [f(*[_t(np.take(a, b, axis=d)) if d is not None else _t(a)
                for a, d in zip(args, in_dims)]) for b in range(size)]
    if isinstance(outs[0], tuple):
        return tuple(np.stack([o[k].numpy() for o in outs]) for k in range(len(outs[0])))
    return np.stack([o.numpy() for o in outs])


def _check_vmap(f, in_dims, *args):
    got, want = _vmap(f, in_dims, *args), _loop(f, in_dims, *args)
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-10, atol=1e-12)


# -- vmap: mapped dims in the middle, unmapped operands ------------------------------------------

@pytest.mark.parametrize("complex_", [False, True])
def test_vmap_factorizations_with_the_batch_in_the_middle(complex_):
    rng = np.random.default_rng(0)
    A = _rand(rng, (2, 3, 5, 4), complex_)        # logical (2, 5, 4), mapped at dim 1
    S = _rand(rng, (2, 3, 4, 4), complex_)
    _check_vmap(lm.linalg.qr, (1,), A)
    _check_vmap(lambda a: lm.linalg.qr(a, mode="r"), (1,), A)
    _check_vmap(lm.geqrf, (1,), A)
    _check_vmap(lambda a: lm.linalg.svd(a, full_matrices=False), (1,), A)
    _check_vmap(lm.linalg.svdvals, (2,), A)
    _check_vmap(lm.linalg.eigh, (1,), S)
    _check_vmap(lambda a: lm.linalg.eigvalsh(a, UPLO="U"), (3,), np.moveaxis(S, 1, 3))
    _check_vmap(lm.linalg.eig, (1,), S)
    _check_vmap(lm.linalg.eigvals, (1,), S)


@pytest.mark.parametrize("complex_", [False, True])
def test_vmap_reflectors_with_unmapped_operands(complex_):
    rng = np.random.default_rng(1)
    A = 0.3 * _rand(rng, (2, 5, 3, 3), complex_)   # mapped at dim 2: logical (2, 5, 3)
    tau = 0.3 * _rand(rng, (2, 3), complex_)
    C = _rand(rng, (3, 2, 5, 4), complex_)         # mapped at dim 0: logical (2, 5, 4)
    hp = lm.linalg.householder_product
    _check_vmap(hp, (2, None), A, tau)
    _check_vmap(hp, (None, 0), A[:, :, 0], _rand(rng, (4, 2, 3), complex_))
    _check_vmap(lm.ormqr, (None, None, 0), A[:, :, 0], tau, C)
    _check_vmap(lambda a, t, c: lm.ormqr(a, t, c, left=False, transpose=True), (2, None, None),
                A, tau, np.ascontiguousarray(C[0].swapaxes(-1, -2)))


@pytest.mark.parametrize("driver", ["gelsy", "gelsd", "gels", "gelss"])
def test_vmap_lstsq_mixed_operands(driver):
    """A unmapped with a batch of its own and B mapped in the middle; A mapped with B a vector
    batch; rank and singular values follow A alone."""
    rng = np.random.default_rng(2)
    A = _rand(rng, (2, 6, 4))
    B = _rand(rng, (2, 6, 3, 2))                    # mapped at dim 2: logical (2, 6, 2)
    f = lambda a, b: lm.linalg.lstsq(a, b, driver=driver)    # noqa: E731
    _check_vmap(f, (None, 2), A, B)
    _check_vmap(f, (1, None), np.stack([A, 2 * A], 1), B[:, :, 0])
    _check_vmap(f, (0, 0), np.stack([A[0], A[1]]), _rand(rng, (2, 6)))   # B: a vector


def test_vmap_info_errors_name_the_physical_batch_element():
    A = np.stack([np.eye(3), np.full((3, 3), np.nan)])
    with pytest.raises(lm.linalg.LinAlgError, match=r"\(Batch element 1\)"):
        lm.vmap(lm.linalg.svd)(_t(A))
    with pytest.raises(RuntimeError, match="should not contain infs or NaNs"):
        lm.vmap(lm.linalg.eig)(_t(A))


# -- complex tangents, checked through the defining identities -----------------------------------

def _jvp(f, A, dA):
    return lm.func.jvp(f, (_t(A),), (_t(dA),))


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


def _close_fd(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def _H(x):
    return np.conj(np.swapaxes(x, -1, -2))


def _fd(f, A, dA, eps=1e-6):
    return (f(_t(A + eps * dA)).numpy() - f(_t(A - eps * dA)).numpy()) / (2 * eps)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4)])
def test_qr_jvp_complex(shape):
    rng = np.random.default_rng(3)
    A, dA = _rand(rng, shape, True), _rand(rng, shape, True)
    (Q, R), (dQ, dR) = _jvp(lm.linalg.qr, A, dA)
    Q, R, dQ, dR = Q.numpy(), R.numpy(), dQ.numpy(), dR.numpy()
    _close(dQ @ R + Q @ dR, dA)                    # d(QR) = dA
    _close(np.tril(dR, -1), 0 * dR)                # dR upper triangular with a real diagonal
    _close(np.diagonal(dR, 0, -2, -1).imag, 0 * np.diagonal(dR, 0, -2, -1).real)
    _close(_H(Q) @ dQ + _H(dQ) @ Q, 0 * (_H(Q) @ Q))   # Q^H Q = I kept


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4)])
def test_svd_jvp_complex(shape):
    rng = np.random.default_rng(4)
    A, dA = _rand(rng, shape, True), _rand(rng, shape, True)
    (U, S, Vh), (dU, dS, dVh) = _jvp(lambda a: lm.linalg.svd(a, full_matrices=False), A, dA)
    U, S, Vh, dU, dS, dVh = (x.numpy() for x in (U, S, Vh, dU, dS, dVh))
    _close(dU * S @ Vh + U * dS @ Vh + U * S @ dVh, dA)
    _close_fd(dS, _fd(lm.linalg.svdvals, A, dA))
    _close(_H(U) @ dU + _H(dU) @ U, np.zeros((S.size, S.size)))
    _close(dVh @ _H(Vh) + Vh @ _H(dVh), np.zeros((S.size, S.size)))


def test_eigh_and_eig_jvp_complex():
    rng = np.random.default_rng(5)
    X, dX = _rand(rng, (4, 4), True), _rand(rng, (4, 4), True)
    A, dA = X + _H(X), dX + _H(dX)                 # Hermitian point and direction
    (w, V), (dw, dV) = _jvp(lm.linalg.eigh, A, dA)
    w, V, dw, dV = (x.numpy() for x in (w, V, dw, dV))
    _close(dA @ V + A @ dV, dV * w + V * dw)       # d(A V = V diag(w))
    _close_fd(dw, _fd(lm.linalg.eigvalsh, A, dA))
    _close(np.diagonal(_H(V) @ dV).imag, np.zeros(4))   # PyTorch's gauge: Im v^H dv = 0
    (w, V), (dw, dV) = _jvp(lm.linalg.eig, X, dX)
    w, V, dw, dV = (x.numpy() for x in (w, V, dw, dV))
    _close(dX @ V + X @ dV, dV * w + V * dw)
    _close(np.diagonal(_H(V) @ dV).real, np.zeros(4))   # unit-norm eigenvectors kept
    _, dwv = _jvp(lm.linalg.eigvals, X, dX)
    _close(dwv.numpy(), dw)


def test_eigvals_jvp_of_a_real_matrix_is_complex():
    rng = np.random.default_rng(6)
    X, dX = _rand(rng, (3, 3)), _rand(rng, (3, 3))
    w, dw = _jvp(lm.linalg.eigvals, X, dX)
    assert dw.dtype == lm.complex128
    lam, P = np.linalg.eig(X)
    want = np.diagonal(np.linalg.solve(P, dX @ P))     # dw = diag(V^-1 dA V)
    order = [int(np.argmin(np.abs(lam - x))) for x in w.numpy()]
    _close(dw.numpy(), want[order])


def test_geqrf_has_no_forward_derivative():
    A = np.eye(3)
    with pytest.raises(NotImplementedError, match="the derivative for 'geqrf' is not implemented"):
        _jvp(lambda a: lm.geqrf(a)[0], A, A)


def test_qr_jvp_refusals_match_the_vjp():
    A = np.random.default_rng(7).standard_normal((4, 3))
    with pytest.raises(RuntimeError, match="not computed when mode='r'"):
        _jvp(lambda a: lm.linalg.qr(a, mode="r")[1], A, A)
    with pytest.raises(RuntimeError, match="mode='complete' and nrows > ncols"):
        _jvp(lambda a: lm.linalg.qr(a, mode="complete")[0], A, A)


# -- vmap of grad, jacfwd against jacrev ---------------------------------------------------------

def _scalar_losses():
    return {
        "eigvalsh": lambda a: (lm.linalg.eigvalsh(a) * lm.arange(1.0, 4.0, dtype=a.dtype)).sum(),
        "svdvals": lambda a: lm.linalg.svdvals(a).sum(),
        "qr": lambda a: lm.linalg.qr(a)[1].sum(),
        "lstsq": lambda a: lm.linalg.lstsq(a, lm.ones(3, 2, dtype=a.dtype))[0].sum(),
    }


@pytest.mark.parametrize("name", sorted(_scalar_losses()))
def test_vmap_of_grad_matches_a_loop(name):
    f = _scalar_losses()[name]
    rng = np.random.default_rng(8)
    A = rng.standard_normal((4, 3, 3)) + 3 * np.eye(3)
    if name == "eigvalsh":
        A = A + A.swapaxes(-1, -2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # other families' loops, until their rules
        got = lm.vmap(lm.func.grad(f))(_t(A)).numpy()
    want = np.stack([lm.func.grad(f)(_t(a)).numpy() for a in A])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def _vector_functions():
    return {
        "eigvalsh": lambda a: lm.linalg.eigvalsh(a + a.mT),
        "svdvals": lm.linalg.svdvals,
        "qr-R": lambda a: lm.linalg.qr(a)[1],
        "svd-S": lambda a: lm.linalg.svd(a, full_matrices=False)[1],
        "lstsq": lambda a: lm.linalg.lstsq(a, lm.ones(3, 2, dtype=a.dtype))[0],
        "householder": lambda a: lm.linalg.householder_product(
            a, lm.tensor([1.2, 0.7, 0.0], dtype=a.dtype)),
    }


@pytest.mark.parametrize("name", sorted(_vector_functions()))
def test_jacfwd_matches_jacrev(name):
    f = _vector_functions()[name]
    A = _t(np.random.default_rng(9).standard_normal((3, 3)) + 2 * np.eye(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fwd, rev = lm.func.jacfwd(f)(A).numpy(), lm.func.jacrev(f)(A).numpy()
    np.testing.assert_allclose(fwd, rev, rtol=1e-9, atol=1e-11)
