"""lamina.linalg next to torch.linalg on the same inputs: values, dtypes, shapes, strides and error
messages. Skipped where PyTorch is not installed; the op table (NumPy references) is the suite's
own check, this one catches drift from PyTorch's API."""

import warnings

import numpy as np
import pytest

import lamina as lm

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def _spd(shape, dtype):
    x = RNG.standard_normal(shape)
    return (x @ x.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def _general(shape, dtype):
    return (RNG.standard_normal(shape) + np.sqrt(shape[-1]) * np.eye(shape[-1])).astype(dtype)


def _rhs(shape, dtype):
    return RNG.standard_normal(shape).astype(dtype)


# name -> (call on a library's namespace and its tensors, inputs as (maker, shape) pairs)
CALLS = {
    "linalg.cholesky": (lambda L, a: L.linalg.cholesky(a), [(_spd, (3, 5, 5))]),
    "linalg.cholesky upper": (lambda L, a: L.linalg.cholesky(a, upper=True),
                              [(_spd, (5, 5))]),
    "linalg.inv": (lambda L, a: L.linalg.inv(a), [(_general, (2, 3, 4, 4))]),
    "linalg.det": (lambda L, a: L.linalg.det(a), [(_general, (3, 6, 6))]),
    "linalg.slogdet": (lambda L, a: L.linalg.slogdet(a), [(_general, (3, 6, 6))]),
    "linalg.solve": (lambda L, a, b: L.linalg.solve(a, b),
                     [(_general, (3, 5, 5)), (_rhs, (3, 5, 2))]),
    "linalg.solve broadcast": (lambda L, a, b: L.linalg.solve(a, b),
                               [(_general, (5, 5)), (_rhs, (4, 5, 2))]),
    "linalg.lu_factor": (lambda L, a: L.linalg.lu_factor(a), [(_general, (3, 5, 5))]),
    "linalg.lu": (lambda L, a: L.linalg.lu(a), [(_rhs, (2, 5, 3))]),
    "linalg.lstsq": (lambda L, a, b: L.linalg.lstsq(a, b).solution,
                     [(_rhs, (3, 7, 4)), (_rhs, (3, 7, 2))]),
    "linalg.eigvalsh": (lambda L, a: L.linalg.eigvalsh(a), [(_spd, (3, 6, 6))]),
    "linalg.svdvals": (lambda L, a: L.linalg.svdvals(a), [(_rhs, (3, 6, 4))]),
    "linalg.eigvals abs": (lambda L, a: L.linalg.eigvals(a).abs().sort().values,
                           [(_general, (3, 5, 5))]),
    "linalg.qr R abs": (lambda L, a: L.linalg.qr(a).R.abs(), [(_rhs, (3, 6, 4))]),
    "linalg.matrix_exp": (lambda L, a: L.linalg.matrix_exp(a / 4), [(_general, (3, 5, 5))]),
    "linalg.matrix_norm": (lambda L, a: L.linalg.matrix_norm(a, 1), [(_general, (3, 5, 5))]),
    "linalg.vector_norm": (lambda L, a: L.linalg.vector_norm(a, 3, dim=-1),
                           [(_general, (3, 5, 5))]),
    "linalg.solve_triangular": (
        lambda L, a, b: L.linalg.solve_triangular(L.tril(a), b, upper=False),
        [(_general, (3, 5, 5)), (_rhs, (3, 5, 2))]),
    "cholesky_solve": (lambda L, a, b: L.cholesky_solve(b, L.linalg.cholesky(a)),
                       [(_spd, (3, 5, 5)), (_rhs, (3, 5, 2))]),
    "cholesky_inverse": (lambda L, a: L.cholesky_inverse(L.linalg.cholesky(a)),
                         [(_spd, (5, 5))]),
    "logdet": (lambda L, a: L.logdet(a), [(_spd, (3, 5, 5))]),
    "linalg.ldl_factor": (lambda L, a: L.linalg.ldl_factor(a), [(_spd, (3, 5, 5))]),
}

DTYPES = ("float64", "float32", "complex128")


def _flat(result):
    return tuple(result) if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_matches_torch(name, dtype):
    call, makers = CALLS[name]
    arrays = [make(shape, dtype) for make, shape in makers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _flat(call(torch, *[torch.from_numpy(a.copy()) for a in arrays]))
        actual = _flat(call(lm, *[lm.from_numpy(a.copy()) for a in arrays]))
    assert len(actual) == len(expected)
    tol = 1e-4 if dtype == "float32" else 1e-9
    for got, want in zip(actual, expected):
        g, w = got.numpy(), want.numpy()
        assert g.shape == w.shape and g.dtype == w.dtype, (name, g.shape, w.shape, g.dtype)
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=name)
        if w.size:
            assert got.stride() == want.stride(), (name, got.stride(), want.stride())


def _singular(shape):
    a = _general(shape, "float64")
    a[..., -1, :] = a[..., 0, :]
    return a


def _not_pd(shape):
    a = _spd(shape, "float64")
    a[..., 1, 1] = -1.0
    return a


ERRORS = {
    "cholesky not PD": (lambda L, a: L.linalg.cholesky(a), (_not_pd, (3, 4, 4))),
    "cholesky unbatched": (lambda L, a: L.linalg.cholesky(a), (_not_pd, (4, 4))),
    "cholesky non-square": (lambda L, a: L.linalg.cholesky(a), (_rhs, (3, 4))),
    "inv singular": (lambda L, a: L.linalg.inv(a), (_singular, (2, 4, 4))),
    "solve singular": (lambda L, a: L.linalg.solve(a, a), (_singular, (4, 4))),
    "det 1-D": (lambda L, a: L.linalg.det(a), (_rhs, (4,))),
    "eigh non-square": (lambda L, a: L.linalg.eigh(a), (_rhs, (2, 3))),
    "qr int": (lambda L, a: L.linalg.qr(a.long()), (_rhs, (3, 3))),
    "solve shapes": (lambda L, a: L.linalg.solve(a, a[..., :3, :]), (_general, (4, 4))),
}


def _shape_arg(make, shape):
    return make(shape) if make in (_singular, _not_pd) else make(shape, "float64")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    call, (make, shape) = ERRORS[name]
    a = _shape_arg(make, shape)
    with pytest.raises(Exception) as want:
        call(torch, torch.from_numpy(a.copy()))
    with pytest.raises(Exception) as got:
        call(lm, lm.from_numpy(a.copy()))
    assert str(got.value) == str(want.value)
    assert isinstance(got.value, RuntimeError) == isinstance(want.value, RuntimeError)
    if isinstance(want.value, torch.linalg.LinAlgError):
        assert isinstance(got.value, lm.linalg.LinAlgError)
