"""Gradients of the matrix-product, Cholesky and LU families where the op table's gradcheck
sweep cannot look: determinants at singular matrices, what each rule saves (the version-counter
guard), integer and broadcast operands, complex conventions and the ops PyTorch does not
differentiate. Expected values are NumPy's analytic formulas or were checked against PyTorch."""

import numpy as np
import pytest

import lamina as lm

RNG = np.random.default_rng(7)


def _leaf(a):
    return lm.from_numpy(np.array(a, dtype=np.result_type(np.asarray(a).dtype, np.float64))
                         ).requires_grad_()


def _grad(out, inputs, ct=None):
    ct = lm.ones_like(out) if ct is None else lm.from_numpy(ct)
    return lm.autograd.grad(out, inputs, ct, allow_unused=True)


def _adj(a):
    return a.conj().swapaxes(-1, -2)


def _complex(shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def _adjugate(a):
    """adj(A)^T, the cofactor matrix, from minors: d det / dA_ij."""
    n = a.shape[-1]
    c = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, 0), j, 1)
            c[i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return c


# -- det at singular matrices --------------------------------------------------------------------

# PyTorch's linalg_det_backward: the cofactor matrix, from the SVD where A is singular. (torch
# 2.13's first-order backward returns zeros when det(A) is exactly 0; its create_graph backward
# returns these cofactors, the derivative of the polynomial det, which lamina returns in both.)
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("a,expected", [
    ([[2.0, 0, 0], [0, 3, 0], [0, 0, 0]], [[0.0, 0, 0], [0, 0, 0], [0, 0, 6]]),
    ([[1.0, 2], [2, 4]], [[4.0, -2], [-2, 1]]),
    ([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]], [[-3.0, 6, -3], [6, -12, 6], [-3, 6, -3]]),
    ([[0.0, 0], [0, 0]], [[0.0, 0], [0, 0]]),
])
def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix(a, expected, create_graph):
    A = _leaf(a)
    (g,) = lm.autograd.grad(lm.linalg.det(A), A, create_graph=create_graph)
    np.testing.assert_allclose(g.detach().numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_det_gradient_rank_deficient_batch(dtype):
    """A batch mixing invertible, rank n-1 and rank n-2 matrices: no NaN anywhere, each matrix
    its own cofactors (zero at rank n-2)."""
    make = _complex if dtype == np.complex128 else RNG.standard_normal
    a = np.stack([make((4, 4)), make((4, 3)) @ make((3, 4)), make((4, 2)) @ make((2, 4))])
    A = _leaf(a.astype(dtype))
    ct = make((3,)).astype(dtype)
    (g,) = _grad(lm.linalg.det(A), A, ct)
    expected = np.stack([c * np.conj(_adjugate(m)) for c, m in zip(ct, a)])
    np.testing.assert_allclose(g.numpy(), expected, atol=1e-10)
    assert np.abs(g.numpy()[2]).max() < 1e-10


# -- complex conventions -------------------------------------------------------------------------

def test_inv_complex_gradient():
    a = _complex((3, 3)) + 3 * np.eye(3)
    ct = _complex((3, 3))
    A = _leaf(a)
    (g,) = _grad(lm.linalg.inv(A), A, ct)
    ih = _adj(np.linalg.inv(a))
    np.testing.assert_allclose(g.numpy(), -ih @ ct @ ih, atol=1e-12)


def test_slogdet_complex_sign_and_logabsdet_gradients():
    """gA = (g_logabsdet + i Im(g_sign conj(sign))) A^-H, PyTorch's slogdet_backward."""
    a = _complex((3, 3))
    A = _leaf(a)
    sign, logabs = lm.linalg.slogdet(A)
    g_sign, g_log = np.complex128(0.3 + 0.7j), np.float64(-1.25)
    g = lm.autograd.grad([sign, logabs], A, [lm.tensor(g_sign), lm.tensor(g_log)])[0]
    s = np.linalg.det(a) / abs(np.linalg.det(a))
    expected = (g_log + 1j * np.imag(g_sign * np.conj(s))) * _adj(np.linalg.inv(a))
    np.testing.assert_allclose(g.numpy(), expected, atol=1e-12)


def test_slogdet_real_sign_gets_no_gradient():
    A = _leaf([[2.0, 1], [1, -3]])
    sign, _ = lm.linalg.slogdet(A)
    assert lm.autograd.grad(sign, A, allow_unused=True) == (None,)


def test_matmul_complex_matches_numpy():
    a, b, ct = _complex((2, 3)), _complex((3, 4)), _complex((2, 4))
    A, B = _leaf(a), _leaf(b)
    gA, gB = _grad(A @ B, [A, B], ct)
    np.testing.assert_allclose(gA.numpy(), ct @ _adj(b), atol=1e-12)
    np.testing.assert_allclose(gB.numpy(), _adj(a) @ ct, atol=1e-12)


# -- broadcasting and integer operands -----------------------------------------------------------

def test_matmul_broadcast_batches_are_summed():
    a, b = RNG.standard_normal((2, 1, 3, 4)), RNG.standard_normal((5, 4, 2))
    A, B = _leaf(a), _leaf(b)
    ct = RNG.standard_normal((2, 5, 3, 2))
    gA, gB = _grad(lm.matmul(A, B), [A, B], ct)
    np.testing.assert_allclose(gA.numpy(), (ct @ b.swapaxes(-1, -2)).sum(1, keepdims=True))
    np.testing.assert_allclose(gB.numpy(), (a.swapaxes(-1, -2) @ ct).sum(0))


def test_solve_broadcast_batch_is_summed():
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    b = RNG.standard_normal((2, 3, 2))     # a batch of two right-hand sides, one matrix
    A, B = _leaf(a), _leaf(b)
    ct = RNG.standard_normal((2, 3, 2))
    gA, gB = _grad(lm.linalg.solve(A, B), [A, B], ct)
    x = np.linalg.solve(a, b)
    gb = np.linalg.solve(a.T, ct)
    np.testing.assert_allclose(gB.numpy(), gb, atol=1e-12)
    np.testing.assert_allclose(gA.numpy(), -(gb @ x.swapaxes(-1, -2)).sum(0), atol=1e-12)


def test_solve_vector_right_hand_side():
    a, b = RNG.standard_normal((3, 3)) + 3 * np.eye(3), RNG.standard_normal(3)
    A, B = _leaf(a), _leaf(b)
    gA, gB = _grad(lm.linalg.solve(A, B), [A, B])
    gb = np.linalg.solve(a.T, np.ones(3))
    np.testing.assert_allclose(gB.numpy(), gb, atol=1e-12)
    np.testing.assert_allclose(gA.numpy(), -np.outer(gb, np.linalg.solve(a, b)), atol=1e-12)


def test_lu_solve_integer_pivots_take_no_part():
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    LU, piv = lm.linalg.lu_factor(lm.from_numpy(a))
    LU.requires_grad_()
    B = _leaf(RNG.standard_normal((2, 3, 2)))      # broadcast against the single factor
    X = lm.linalg.lu_solve(LU, piv, B)
    assert piv.dtype is lm.int32 and not piv.requires_grad
    gLU, gB = _grad(X, [LU, B])
    assert gLU.shape == LU.shape and gB.shape == B.shape
    assert lm.autograd.gradcheck(lambda lu, b: lm.linalg.lu_solve(lu, piv, b), [LU, B])


def test_integer_matmul_builds_no_graph():
    x = lm.arange(6).reshape(2, 3)
    assert not (x @ x.mT).requires_grad


def test_lu_permutation_carries_no_gradient():
    A = _leaf(RNG.standard_normal((3, 3)))
    P, L, U = lm.linalg.lu(A)
    assert not P.requires_grad and L.requires_grad and U.requires_grad


# -- what each rule saves ------------------------------------------------------------------------

SPD = np.array([[4.0, 1, 0], [1, 3, 1], [0, 1, 2]])


# (name, call(A, B) -> output, which argument requires grad, which is written, raises)
SAVES = [
    ("gemm-a", lambda A, B: A @ B, "B", "A", True),
    ("gemm-b", lambda A, B: A @ B, "A", "B", True),
    ("solve-B", lambda A, B: lm.linalg.solve(A, B), "A", "B", False),
    ("solve-A", lambda A, B: lm.linalg.solve(A, B), "B", "A", True),
    ("inv-A", lambda A, B: lm.linalg.inv(A), "A_view", "A", False),
    ("det-A", lambda A, B: lm.linalg.det(A), "A_view", "A", True),
    ("cholesky-A", lambda A, B: lm.linalg.cholesky(A), "A_view", "A", False),
    ("cholesky_solve-B", lambda A, B: lm.cholesky_solve(B, A), "A", "B", False),
    ("cholesky_solve-L", lambda A, B: lm.cholesky_solve(B, A), "B", "A", True),
    ("solve_triangular-B", lambda A, B: lm.linalg.solve_triangular(A, B, upper=False), "A", "B",
     False),
    ("solve_triangular-A", lambda A, B: lm.linalg.solve_triangular(A, B, upper=False), "B", "A",
     True),
    ("lu_solve-B", lambda A, B: lm.linalg.lu_solve(*lm.linalg.lu_factor(A), B), "A", "B", False),
]


@pytest.mark.parametrize("call,wants,writes,raises", [s[1:] for s in SAVES],
                         ids=[s[0] for s in SAVES])
def test_inplace_write_before_backward(call, wants, writes, raises):
    """A write into an input the rule reads raises PyTorch's error at backward; a write into
    one it does not read is allowed."""
    tensors = {"A": lm.from_numpy(np.linalg.cholesky(SPD)), "B": lm.from_numpy(np.ones((3, 2)))}
    leaf = None
    if wants == "A_view":          # the op's own input: a non-leaf that can be written
        leaf = lm.from_numpy(SPD.copy()).requires_grad_()
        tensors["A"] = leaf * 1.0
    else:
        tensors[wants].requires_grad_()
    out = call(tensors["A"], tensors["B"])
    tensors[writes].add_(0.5)
    if raises:
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()
    else:
        out.sum().backward()


def test_inplace_write_into_saved_output_raises():
    A = _leaf(SPD)
    inverse = lm.linalg.inv(A)
    inverse.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        inverse.sum().backward()


# -- Cholesky family: PyTorch's unprojected gradients ----------------------------------------------

def test_cholesky_inverse_gradient_is_not_projected():
    """PyTorch's cholesky_inverse_backward: gL = -(S (G + G^H) S) L, both triangles filled."""
    L = np.linalg.cholesky(SPD)
    ct = RNG.standard_normal((3, 3))
    Lt = _leaf(L)
    (g,) = _grad(lm.cholesky_inverse(Lt), Lt, ct)
    S = np.linalg.inv(SPD)
    np.testing.assert_allclose(g.numpy(), -(S @ (ct + ct.T) @ S) @ L, atol=1e-12)
    assert np.abs(np.triu(g.numpy(), 1)).max() > 1e-3


def test_cholesky_gradient_is_symmetric():
    """PyTorch's cholesky_backward symmetrizes: both triangles carry half of each entry's
    sensitivity (the op reads only the lower one)."""
    A = _leaf(SPD)
    (g,) = _grad(lm.linalg.cholesky(A), A, RNG.standard_normal((3, 3)))
    np.testing.assert_allclose(g.numpy(), g.numpy().T, atol=1e-12)


def test_triangular_solve_gradient_keeps_the_triangle():
    a = np.tril(RNG.standard_normal((3, 3))) + 3 * np.eye(3)
    A, B = _leaf(a), _leaf(RNG.standard_normal((3, 2)))
    (gA,) = _grad(lm.linalg.solve_triangular(A, B, upper=False, unitriangular=True), [A])
    assert np.all(np.triu(gA.numpy()) == 0)   # strict lower only: the unit diagonal is not read


# -- not differentiable ----------------------------------------------------------------------------

def test_ldl_ops_refuse_to_differentiate():
    A = _leaf(SPD)
    LD, pivots = lm.linalg.ldl_factor(A)
    with pytest.raises(RuntimeError, match="derivative for 'linalg_ldl_factor_ex' is not"):
        LD.sum().backward()
    LD, pivots = lm.linalg.ldl_factor(lm.from_numpy(SPD))
    B = _leaf(np.ones((3, 1)))
    with pytest.raises(RuntimeError, match="derivative for 'linalg_ldl_solve' is not"):
        lm.linalg.ldl_solve(LD, pivots, B).sum().backward()


# -- LU of rectangular matrices (the sweep's first small samples are square) ---------------------

@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (2, 2, 4), (2, 4, 2)])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_lu_factor_wide_and_tall_gradcheck(shape, dtype):
    a = (_complex(shape) if dtype == np.complex128 else RNG.standard_normal(shape)).astype(dtype)
    a += 3 * np.eye(*shape[-2:])      # pivots far apart: no row swap flips under perturbation
    A = _leaf(a)
    assert lm.autograd.gradcheck(lambda x: lm.linalg.lu_factor(x)[0], [A])
