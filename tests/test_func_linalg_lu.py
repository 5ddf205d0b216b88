"""lamina.func over the matrix-product, Cholesky, LU and LDL families, where the op-table sweeps
(test_vmap.py, test_autograd.py) cannot see: mapped dims in the middle, mapped and unmapped
operands of different ranks, integer operands, info errors under vmap, complex tangents against
closed forms, det's derivatives at singular matrices, vmap of grad, jacfwd against jacrev, and
det under vmap being one kernel call. References are NumPy closed forms or loops of the plain op.
"""

import warnings

import numpy as np
import pytest

import lamina as lm
from lamina._ops import lu as lu_ops

RNG = np.random.default_rng(7)


def _t(a):
    return lm.from_numpy(np.ascontiguousarray(a))


def _rand(*shape, complex=False):
    a = RNG.standard_normal(shape)
    if complex:
        a = a + 1j * RNG.standard_normal(shape)
    return a


def _spd(*shape):
    a = _rand(*shape)
    return a @ a.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1])


@pytest.fixture(autouse=True)
def _no_fallback():
    """A batch rule of these families must never fall back to the warning Python loop."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="There is a performance drop")
        yield


# -- vmap -----------------------------------------------------------------------------------------

def test_vmap_det_is_one_kernel_call(monkeypatch):
    calls = []
    kernel = lu_ops.det_p.cpu
    monkeypatch.setattr(lu_ops.det_p, "cpu", lambda a: calls.append(a.shape) or kernel(a))
    a = _rand(1000, 4, 4)
    got = lm.vmap(lm.linalg.det, in_dims=1)(_t(a.transpose(1, 0, 2)))
    np.testing.assert_allclose(got.numpy(), np.linalg.det(a), rtol=1e-10)
    assert calls == [(1000, 4, 4)]


def test_vmap_mapped_dim_in_the_middle():
    A, B = _rand(2, 4, 3, 3), _rand(2, 3, 4, 2)       # mapped: dim 1 of A, dim 2 of B
    got = lm.vmap(lm.linalg.solve, in_dims=(1, 2))(_t(A), _t(B))
    want = np.stack([np.linalg.solve(A[:, i], B[:, :, i]) for i in range(4)])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)

    LU, piv = lm.vmap(lm.linalg.lu_factor, in_dims=1)(_t(A))
    for i in range(4):
        LU_i, piv_i = lm.linalg.lu_factor(_t(A[:, i]))
        np.testing.assert_allclose(LU.numpy()[i], LU_i.numpy(), rtol=1e-12)
        np.testing.assert_array_equal(piv.numpy()[i], piv_i.numpy())


def test_vmap_mapped_and_unmapped_operands_of_different_ranks():
    A, B = _rand(5, 3, 3), _rand(2, 3, 4)
    got = lm.vmap(lm.linalg.solve, in_dims=(0, None))(_t(A), _t(B))
    np.testing.assert_allclose(got.numpy(), np.linalg.solve(A[:, None], B), rtol=1e-10)

    M, v = _rand(2, 3, 4), _rand(5, 4)
    M_t = _t(M)
    got = lm.vmap(lambda v: M_t @ v)(_t(v))
    np.testing.assert_allclose(got.numpy(), np.einsum("bij,nj->nbi", M, v), rtol=1e-12)

    L = np.linalg.cholesky(_spd(5, 3, 3))
    got = lm.vmap(lm.cholesky_solve, in_dims=(None, 0))(_t(B), _t(L))
    want = np.linalg.solve((L @ L.swapaxes(-1, -2))[:, None], B)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)

    # The factor and its pivots unmapped with a batch of their own, the right side mapped.
    LU, piv = lm.linalg.lu_factor(_t(_rand(2, 3, 3)))
    Bs = _rand(5, 3, 1)
    got = lm.vmap(lambda b: lm.linalg.lu_solve(LU, piv, b, adjoint=True))(_t(Bs))
    for i in range(5):
        want = lm.linalg.lu_solve(LU, piv, _t(Bs[i]), adjoint=True)
        np.testing.assert_allclose(got.numpy()[i], want.numpy(), rtol=1e-12)


def test_vmap_pivots_mapped_factor_unmapped():
    """Integer operands: pivots mapped, the factor not (lu_solve, and lu_unpack's permutation)."""
    A = _rand(3, 3)
    LU, _ = lm.linalg.lu_factor(_t(A))
    piv = np.array([[1, 2, 3], [3, 2, 3], [2, 3, 3]], np.int32)
    b = _rand(3, 2)
    got = lm.vmap(lambda p: lm.linalg.lu_solve(LU, p, _t(b)))(_t(piv))
    P = lm.vmap(lambda p: lm.lu_unpack(LU, p)[0])(_t(piv))
    for i in range(3):
        want = lm.linalg.lu_solve(LU, _t(piv[i]), _t(b))
        np.testing.assert_allclose(got.numpy()[i], want.numpy(), rtol=1e-12)
        np.testing.assert_array_equal(P.numpy()[i], lm.lu_unpack(LU, _t(piv[i]))[0].numpy())


def test_vmap_integer_matmul():
    a, b = RNG.integers(-5, 5, (4, 2, 3)), RNG.integers(-5, 5, (3, 5))
    got = lm.vmap(lm.matmul, in_dims=(0, None))(_t(a), _t(b))
    np.testing.assert_array_equal(got.numpy(), a @ b)
    assert got.dtype is lm.int64


def test_vmap_info_outputs_are_batched():
    A = _rand(4, 3, 3)
    A[2, :, 1] = 0.0
    inv, info = lm.vmap(lm.linalg.inv_ex)(_t(A))
    np.testing.assert_array_equal(info.numpy(), [0, 0, 2, 0])
    LU, piv, info = lm.vmap(lm.linalg.lu_factor_ex, in_dims=1)(_t(A.transpose(1, 0, 2)))
    assert info.shape == (4,) and piv.shape == (4, 3) and info.numpy()[2] > 0


def test_vmap_info_errors_name_the_physical_batch_element():
    A = _rand(4, 3, 3)
    A[2, :, 1] = 0.0
    with pytest.raises(lm.linalg.LinAlgError, match=r"linalg.inv: \(Batch element 2\): The "
                                                    r"diagonal element 2 is zero"):
        lm.vmap(lm.linalg.inv)(_t(A))
    S = _spd(3, 2, 2)
    S[1] = -S[1]
    with pytest.raises(lm.linalg.LinAlgError, match=r"\(Batch element 1\).*not positive-definite"):
        lm.vmap(lm.linalg.cholesky)(_t(S))
    with pytest.raises(lm.linalg.LinAlgError, match=r"\(Batch element 2\)"):
        lm.vmap(lm.linalg.solve, in_dims=(0, None))(_t(A), _t(_rand(3)))


# -- forward mode: complex tangents, singular det -------------------------------------------------

def _jvp(f, *pairs):
    return lm.func.jvp(f, tuple(_t(p) for p, _ in pairs), tuple(_t(t) for _, t in pairs))[1]


def test_complex_tangents_against_closed_forms():
    A, dA = _rand(3, 4, 4, complex=True), _rand(3, 4, 4, complex=True)
    tr = np.trace(np.linalg.solve(A, dA), axis1=-2, axis2=-1)
    det = np.linalg.det(A)
    np.testing.assert_allclose(_jvp(lm.linalg.det, (A, dA)).numpy(), det * tr, rtol=1e-10)
    sign, logabs = _jvp(lambda a: tuple(lm.linalg.slogdet(a)), (A, dA))
    np.testing.assert_allclose(logabs.numpy(), tr.real, rtol=1e-10)
    np.testing.assert_allclose(sign.numpy(), 1j * tr.imag * det / abs(det), rtol=1e-10)
    inv = np.linalg.inv(A)
    np.testing.assert_allclose(_jvp(lm.linalg.inv, (A, dA)).numpy(), -inv @ dA @ inv,
                               rtol=1e-10)
    B, dB = _rand(3, 4, 2, complex=True), _rand(3, 4, 2, complex=True)
    X = np.linalg.solve(A, B)
    got = _jvp(lambda a, b: lm.linalg.solve(a, b), (A, dA), (B, dB))
    np.testing.assert_allclose(got.numpy(), np.linalg.solve(A, dB - dA @ X), rtol=1e-10)


def test_real_slogdet_sign_has_a_zero_tangent():
    A, dA = _rand(2, 3, 3), _rand(2, 3, 3)
    sign, logabs = _jvp(lambda a: tuple(lm.linalg.slogdet(a)), (A, dA))
    np.testing.assert_array_equal(sign.numpy(), 0.0)
    np.testing.assert_allclose(logabs.numpy(), np.trace(np.linalg.solve(A, dA), axis1=1, axis2=2),
                               rtol=1e-10)


def test_det_derivatives_at_singular_matrices():
    """A rank n-1 matrix (an exactly zero pivot) has d det = tr(adj(A) dA) != 0; rank n-2 has 0.
    Mixed with an invertible matrix in one batch, each gets its own formula."""
    A = np.array([[[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]], [[2.0, 1.0], [1.0, 3.0]]])
    dA = _rand(3, 2, 2)
    adj = np.array([[[4.0, -2.0], [-2.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]],
                    [[3.0, -1.0], [-1.0, 2.0]]])
    want = np.einsum("bij,bji->b", adj, dA)
    np.testing.assert_allclose(_jvp(lm.linalg.det, (A, dA)).numpy(), want, atol=1e-12)
    got = lm.vmap(lambda a, t: lm.func.jvp(lm.linalg.det, (a,), (t,))[1])(_t(A), _t(dA))
    np.testing.assert_allclose(got.numpy(), want, atol=1e-12)
    grads = lm.vmap(lm.func.grad(lm.linalg.det))(_t(A))
    np.testing.assert_allclose(grads.numpy(), adj.swapaxes(-1, -2), atol=1e-12)


def test_ldl_forward_mode_raises_as_pytorch():
    A = _spd(3, 3)
    with pytest.raises(NotImplementedError, match="linalg_ldl_factor_ex"):
        lm.func.jvp(lambda a: lm.linalg.ldl_factor(a)[0], (_t(A),), (_t(A),))


# -- vmap of grad, jacfwd against jacrev ----------------------------------------------------------

def test_vmap_of_grad_against_closed_forms():
    A, b = _rand(6, 3, 3), _rand(6, 3)
    g = lm.vmap(lm.func.grad(lm.linalg.det))(_t(A))
    np.testing.assert_allclose(g.numpy(), np.linalg.det(A)[:, None, None]
                               * np.linalg.inv(A).swapaxes(-1, -2), rtol=1e-10)
    # d sum(A^-1 b) / dA = -A^-T 1 x^T, d / db = A^-T 1
    gA, gb = lm.vmap(lm.func.grad(lambda a, v: lm.linalg.solve(a, v).sum(), argnums=(0, 1)))(
        _t(A), _t(b))
    x = np.linalg.solve(A, b[..., None])[..., 0]
    w = np.linalg.solve(A.swapaxes(-1, -2), np.ones((6, 3, 1)))[..., 0]
    np.testing.assert_allclose(gA.numpy(), -w[:, :, None] * x[:, None, :], rtol=1e-10)
    np.testing.assert_allclose(gb.numpy(), w, rtol=1e-10)
    # d (c^T S^-1 c) / dS = -w w^T with w = S^-1 c, through the factor (cholesky's gradient is
    # the symmetric one)
    S, c = _spd(6, 3, 3), _rand(3, 1)
    g = lm.vmap(lm.func.grad(lambda s: (lm.cholesky_solve(_t(c), lm.linalg.cholesky(s))
                                        * _t(c)).sum()))(_t(S))
    w = np.linalg.solve(S, c)
    np.testing.assert_allclose(g.numpy(), -w * w.swapaxes(-1, -2), rtol=1e-10)


def _sym(a):
    return (a + a.mT) * 0.5


# Constant factors that make wide, tall and one-column operands without indexing the input.
WIDE, COLUMN = _t(_rand(3, 5)), _t(_rand(3, 1))

JACOBIAN_CASES = {
    "inv": lambda a: lm.linalg.inv(a),
    "det": lambda a: lm.linalg.det(a),
    "slogdet": lambda a: lm.linalg.slogdet(a)[1],
    "solve": lambda a: lm.linalg.solve(a, a @ COLUMN),
    "solve-right": lambda a: lm.linalg.solve(a, (a @ COLUMN).mT, left=False),
    "lu_factor": lambda a: lm.linalg.lu_factor(a)[0],
    "lu_factor-wide": lambda a: lm.linalg.lu_factor(a @ WIDE)[0],
    "lu_factor-tall": lambda a: lm.linalg.lu_factor(WIDE.mT @ a)[0],
    "lu_solve": lambda a: lm.linalg.lu_solve(*lm.linalg.lu_factor(a), a.mT, adjoint=True),
    "cholesky": lambda a: lm.linalg.cholesky(_sym(a) + 6.0 * lm.eye(3, dtype=a.dtype)),
    "cholesky_inverse": lambda a: lm.cholesky_inverse(a.tril() + 4.0 * lm.eye(3, dtype=a.dtype)),
    "cholesky_solve": lambda a: lm.cholesky_solve(a, a.triu() + 4.0 * lm.eye(3, dtype=a.dtype),
                                                  upper=True),
    "solve_triangular": lambda a: lm.linalg.solve_triangular(a + 4.0 * lm.eye(3, dtype=a.dtype),
                                                             a.mT, upper=False, left=False),
    "triangular_solve-transpose": lambda a: lm.triangular_solve(
        a, a + 4.0 * lm.eye(3, dtype=a.dtype), transpose=True)[0],
    "matmul": lambda a: a @ a.mT @ a,
}


@pytest.mark.parametrize("name", sorted(JACOBIAN_CASES))
def test_jacfwd_matches_jacrev(name):
    f = JACOBIAN_CASES[name]
    a = _t(_rand(3, 3) + 3.0 * np.eye(3))
    fwd, rev = lm.func.jacfwd(f)(a), lm.func.jacrev(f)(a)
    np.testing.assert_allclose(fwd.numpy(), rev.numpy(), rtol=1e-9, atol=1e-12)


def test_hessian_of_det_against_finite_differences():
    """jacfwd(jacrev(det)): the JVP of det's VJP (inv_ex's, lu_factor_ex's rules) against
    central differences of NumPy's gradient det A * A^-T."""
    a = _rand(3, 3) + 2.0 * np.eye(3)
    h = lm.func.hessian(lm.linalg.det)(_t(a)).numpy()

    def grad(x):
        return np.linalg.det(x) * np.linalg.inv(x).T

    eps = 1e-6
    for i in range(3):
        for j in range(3):
            e = np.zeros((3, 3))
            e[i, j] = eps
            np.testing.assert_allclose(h[:, :, i, j], (grad(a + e) - grad(a - e)) / (2 * eps),
                                       rtol=1e-6, atol=1e-8)
