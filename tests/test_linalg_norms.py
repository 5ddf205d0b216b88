"""linalg.vector_norm, matrix_norm, norm and torch.norm's matrix orders: what the op table cannot
say (accuracy of the one-pass sums, non-finite values, the short-axis maximum, torch.norm's
dispatch into linalg, out=, and the singular-value orders once linalg.svdvals exists)."""

import math

import numpy as np
import pytest

import lamina as lm

HAS_SVDVALS = hasattr(lm.linalg, "svdvals")


def _t(a):
    return lm.from_numpy(np.ascontiguousarray(a))


def test_vector_norm_large_batch_matches_numpy():
    x = np.random.default_rng(0).standard_normal((100000, 4, 4))
    got = lm.linalg.vector_norm(_t(x), dim=(-2, -1)).numpy()
    np.testing.assert_allclose(got, np.linalg.norm(x, axis=(-2, -1)), rtol=1e-14)
    np.testing.assert_allclose(lm.linalg.matrix_norm(_t(x)).numpy(), got, rtol=1e-15)
    whole = lm.linalg.vector_norm(_t(x)).item()
    assert whole == pytest.approx(math.sqrt(math.fsum((x * x).ravel())), rel=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_vector_norm_single_precision_accumulation(dtype):
    # 10^6 float32 squares summed in float32: the result must stay within a few ulps.
    rng = np.random.default_rng(1)
    x = rng.standard_normal(10**6)
    if dtype == np.complex64:
        x = x + 1j * rng.standard_normal(10**6)
    x = x.astype(dtype)
    exact = math.sqrt(math.fsum((np.abs(x.astype(np.complex128)) ** 2).tolist()))
    assert lm.linalg.vector_norm(_t(x)).item() == pytest.approx(exact, rel=1e-6)
    assert lm.linalg.vector_norm(_t(x), 1).item() == pytest.approx(
        math.fsum(np.abs(x.astype(np.complex128)).tolist()), rel=1e-6)


def test_vector_norm_float16_accumulates_in_float32():
    x = lm.full((1000,), 100.0, dtype=lm.float16)  # squares sum to 1e7 > float16's 65504
    r = lm.linalg.vector_norm(x)
    assert r.dtype is lm.float16 and r.item() == pytest.approx(100 * math.sqrt(1000), rel=1e-3)


def test_vector_norm_non_finite():
    x = _t(np.array([[1.0, np.nan, 2.0], [np.inf, 1.0, 0.0], [-np.inf, np.nan, 1.0]]))
    for ord in (2, 1, 3, 0.5, math.inf):
        got = lm.linalg.vector_norm(x, ord, dim=1).numpy()
        assert np.isnan(got[0]) and got[1] == np.inf, ord
    assert lm.linalg.vector_norm(x, -math.inf, dim=1).numpy()[1] == 0


@pytest.mark.parametrize("n", [3, 16, 17, 40])
def test_matrix_norm_one_and_inf_propagate_nan(n):
    # n <= 16 takes the chain of elementwise maxima, larger n amax: both keep NaN.
    a = np.random.default_rng(2).standard_normal((3, n, n))
    a[1, 0, n - 1] = np.nan
    for ord in (1, -1, math.inf, -math.inf):
        got = lm.linalg.matrix_norm(_t(a), ord).numpy()
        assert np.isnan(got[1]) and not np.isnan(got[[0, 2]]).any(), ord
        np.testing.assert_allclose(got[[0, 2]], np.linalg.norm(a[[0, 2]], ord, axis=(-2, -1)),
                                   rtol=1e-14)


def test_matrix_norm_complex_is_real_and_keepdim_shape():
    a = np.random.default_rng(3).standard_normal((2, 3, 4, 5)) * (1 + 1j)
    r = lm.linalg.matrix_norm(_t(a), 1, dim=(3, 1), keepdim=True)
    assert r.dtype is lm.float64 and r.shape == (2, 1, 4, 1)
    ref = np.linalg.norm(a, 1, axis=(3, 1), keepdims=True)
    np.testing.assert_allclose(r.numpy(), ref, rtol=1e-14)


def test_matrix_norm_empty_matrices():
    assert lm.linalg.matrix_norm(lm.zeros(2, 3, 0), 1).tolist() == [0.0, 0.0]
    assert lm.linalg.matrix_norm(lm.zeros(2, 0, 3), math.inf, keepdim=True).shape == (2, 1, 1)
    with pytest.raises(IndexError, match="Expected reduction dim 1 to have non-zero size"):
        lm.linalg.matrix_norm(lm.zeros(2, 0, 0), -1)


def test_out_arguments():
    x = _t(np.random.default_rng(4).standard_normal((3, 4)))
    for fn, args in [(lm.linalg.vector_norm, (2, 1)), (lm.linalg.matrix_norm, (1,)),
                     (lm.linalg.norm, ()), (lm.norm, ("fro", 1))]:
        out = lm.empty(0, dtype=lm.float64)
        r = fn(x, *args, out=out)
        assert r is out
        np.testing.assert_array_equal(out.numpy(), fn(x, *args).numpy())


def test_torch_norm_matrix_orders_go_to_matrix_norm():
    x = _t(np.random.default_rng(5).standard_normal((2, 3, 4)))
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: dim must be a 2-tuple. Got "
                       "0 1 2"):
        lm.norm(x, "fro", dim=(0, 1, 2))
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm: Order abc not supported\."):
        lm.norm(x, "abc", dim=1)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Expected a floating point"):
        lm.norm(lm.ones(3, 3, dtype=lm.int64), "nuc")
    # 'fro' over at most two dims stays the vector 2-norm, as in PyTorch.
    np.testing.assert_allclose(lm.norm(x, "fro", dim=(0, 2)).numpy(),
                               np.linalg.norm(x.numpy(), axis=(0, 2)), rtol=1e-14)
    np.testing.assert_allclose(x.norm(p="fro", dim=1).numpy(),
                               np.linalg.norm(x.numpy(), axis=1), rtol=1e-14)


@pytest.mark.skipif(not HAS_SVDVALS, reason="needs linalg.svdvals (the svd family)")
def test_singular_value_orders_against_numpy():
    rng = np.random.default_rng(6)
    a = rng.standard_normal((3, 5, 4)) + 1j * rng.standard_normal((3, 5, 4))
    for ord in ("nuc", 2, -2):
        np.testing.assert_allclose(lm.linalg.matrix_norm(_t(a), ord).numpy(),
                                   np.linalg.norm(a, ord, axis=(-2, -1)), rtol=1e-12)
        got = lm.linalg.matrix_norm(_t(a), ord, dim=(2, 0), keepdim=True).numpy()
        np.testing.assert_allclose(got, np.linalg.norm(a, ord, axis=(2, 0), keepdims=True),
                                   rtol=1e-12)
    np.testing.assert_allclose(lm.norm(_t(a[0]), "nuc").numpy(),
                               np.linalg.norm(a[0], "nuc"), rtol=1e-12)
    np.testing.assert_allclose(lm.linalg.norm(_t(a[0]), 2).numpy(), np.linalg.norm(a[0], 2),
                               rtol=1e-12)
