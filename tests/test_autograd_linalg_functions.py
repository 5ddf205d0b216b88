"""Gradients of the composite linalg functions where the gradcheck sweep cannot look: every order
of the norms and of cond (the sweep runs four samples per op), PyTorch's conventions at zeros and
ties (expected values checked against PyTorch 2.13 once, hard-coded here), and matrix_exp
against SciPy's Frechet derivative, on the scaling-and-squaring path too."""

import numpy as np
import pytest
import scipy.linalg

import lamina as lm

INF = float("inf")
VECTOR_ORDERS = (2, 1, 3, 0.5, -1, -0.5, INF, -INF)
MATRIX_ORDERS = ("fro", "nuc", 1, -1, 2, -2, INF, -INF)
DTYPES = (lm.float64, lm.complex128)


def _random(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, shape)
    if dtype == lm.complex128:
        x = x + 1j * rng.uniform(-3, 3, shape)
    return lm.tensor(x, dtype=dtype, requires_grad=True)


def _well(n, dtype, seed=0):
    """X + n I with X in [-1, 1): condition numbers of a few units."""
    x = _random((n, n), dtype, seed).detach() / 3 + n * lm.eye(n, dtype=dtype)
    return x.requires_grad_()


def _grad(fn, values):
    x = lm.tensor(values, dtype=lm.float64, requires_grad=True)
    fn(x).backward()
    return x.grad.numpy()


# -- every order, both dtypes ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("ord", VECTOR_ORDERS, ids=str)
def test_vector_norm_every_order(ord, dtype):
    x = _random((3, 4), dtype)
    fn = lambda x: lm.linalg.vector_norm(x, ord, dim=-1)  # noqa: E731
    assert lm.autograd.gradcheck(fn, [x])
    assert lm.autograd.gradgradcheck(fn, [x])
    assert lm.autograd.gradcheck(lambda x: lm.linalg.norm(x[0], ord), [x])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("ord", MATRIX_ORDERS, ids=str)
def test_matrix_norm_every_order(ord, dtype):
    x = _random((2, 3, 4), dtype)
    fn = lambda x: lm.linalg.matrix_norm(x, ord)  # noqa: E731
    assert lm.autograd.gradcheck(fn, [x])
    assert lm.autograd.gradgradcheck(fn, [x])
    assert lm.autograd.gradcheck(lambda x: lm.linalg.norm(x, ord, dim=(0, 2)), [x])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("p", (None,) + MATRIX_ORDERS, ids=str)
def test_cond_every_order(p, dtype):
    A = _well(3, dtype)
    assert lm.autograd.gradcheck(lambda A: lm.linalg.cond(A, p), [A])
    assert lm.autograd.gradgradcheck(lambda A: lm.linalg.cond(A, p), [A])


@pytest.mark.parametrize("p", (None, 2, -2), ids=str)
def test_cond_of_rectangular_matrices(p):
    A = _random((2, 4, 3), lm.float64)
    assert lm.autograd.gradcheck(lambda A: lm.linalg.cond(A, p), [A])


# -- PyTorch's conventions at zeros and ties -------------------------------------------------------

@pytest.mark.parametrize("fn,values,expected", [
    # the norm of a zero vector (or matrix) has gradient 0, as PyTorch's masked rule
    (lambda x: lm.linalg.vector_norm(x), [0.0, 0.0, 0.0], [0, 0, 0]),
    (lambda x: lm.linalg.vector_norm(x, 3), [0.0, 0.0, 0.0], [0, 0, 0]),
    (lambda x: lm.linalg.matrix_norm(x), [[0.0, 0.0], [0.0, 0.0]], [[0, 0], [0, 0]]),
    # |x|'s subgradient 0 at 0
    (lambda x: lm.linalg.vector_norm(x, 1), [0.0, 1.0, -2.0], [0, 1, -1]),
    (lambda x: lm.linalg.vector_norm(x, 0.5), [0.0, 1.0, 4.0], [0, 3, 1.5]),
    (lambda x: lm.linalg.vector_norm(x, -1), [0.0, 1.0, 4.0], [0, 0, 0]),
    # the extreme entries split the gradient evenly
    (lambda x: lm.linalg.vector_norm(x, INF), [2.0, -2.0, 1.0], [0.5, -0.5, 0]),
    (lambda x: lm.linalg.vector_norm(x, -INF), [1.0, -1.0, 2.0], [0.5, -0.5, 0]),
    (lambda x: lm.linalg.matrix_norm(x, 1), [[1.0, 2.0], [-2.0, 1.0]], [[0.5, 0.5], [-0.5, 0.5]]),
    (lambda x: lm.linalg.matrix_norm(x, INF), [[1.0, 2.0], [-2.0, 1.0]],
     [[0.5, 0.5], [-0.5, 0.5]]),
    # the spectral norms pick their singular vectors, the nuclear norm the polar factor
    (lambda x: lm.linalg.matrix_norm(x, 2), [[3.0, 0.0], [0.0, 1.0]], [[1, 0], [0, 0]]),
    (lambda x: lm.linalg.matrix_norm(x, -2), [[3.0, 0.0], [0.0, 1.0]], [[0, 0], [0, 1]]),
    (lambda x: lm.linalg.matrix_norm(x, "nuc"), [[3.0, 0.0], [0.0, 1.0]], [[1, 0], [0, 1]]),
])
def test_norm_conventions(fn, values, expected):
    np.testing.assert_allclose(_grad(fn, values), expected, rtol=1e-12, atol=1e-12)


def test_zero_order_norm_takes_no_gradient():
    # ord=0 counts the nonzeros: piecewise constant, PyTorch's gradient leaves x.grad unset.
    x = lm.tensor([0.0, 1.0, 2.0], dtype=lm.float64, requires_grad=True)
    lm.linalg.vector_norm(x, 0).backward()
    assert x.grad is None or not x.grad.numpy().any()


def test_matrix_power_zero_has_zero_gradient():
    A = _random((2, 3, 3), lm.float64)
    lm.linalg.matrix_power(A, 0).sum().backward()
    np.testing.assert_array_equal(A.grad.numpy(), 0)


# -- matrix_exp against the Frechet derivative -----------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("norm", (1e-6, 0.3, 2.0, 8.0, 30.0))
def test_matrix_exp_gradient_is_the_adjoint_frechet_derivative(norm, dtype):
    # <G, L(A, E)> = <L(A^H, G), E>: the gradient for a cotangent G is L(A^H, G) (PyTorch's
    # rule through exp([[A^H, G], [0, A^H]]), whose top right block it is).
    A = _random((4, 4), dtype, seed=1).detach().numpy()
    A = A * (norm / np.abs(A).sum(0).max())
    G = _random((4, 4), dtype, seed=2).detach().numpy()
    x = lm.tensor(A, requires_grad=True)
    lm.linalg.matrix_exp(x).backward(lm.tensor(G))
    expected = scipy.linalg.expm_frechet(A.conj().T, G, compute_expm=False)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-9, atol=1e-11 * scale)
