"""Gradients of reductions, scans and order statistics where the op table's gradcheck sweep cannot
look: PyTorch's conventions at ties, zeros, kinks and NaNs (expected values checked against
PyTorch 2.13 and hard-coded), what each rule saves (the version counter), dtypes and complex
inputs. References are NumPy formulas, never lamina itself."""

import math
import warnings

import numpy as np
import pytest

import lamina as lm

INF, NAN = math.inf, math.nan


def _grad(fn, x, ct=None):
    """d(sum of ct * fn(x))/dx for a float64 input given as a list or array (None if unused)."""
    t = lm.tensor(np.asarray(x, dtype=np.complex128 if np.iscomplexobj(x) else np.float64),
                  requires_grad=True)
    out = fn(t)
    ct = np.ones(out.shape) if ct is None else np.asarray(ct)
    out.backward(lm.tensor(ct.astype(out.detach().numpy().dtype)))
    return None if t.grad is None else t.grad.numpy()


def _close(actual, expected):
    np.testing.assert_allclose(actual, np.asarray(expected, dtype=actual.dtype), rtol=1e-12,
                               atol=1e-12, equal_nan=True)


# -- ties and NaN: evenly, or to the returned index -----------------------------------------------

def test_amax_and_max_split_ties_evenly():
    _close(_grad(lm.amax, [3., 1., 3., 2.]), [.5, 0, .5, 0])
    _close(_grad(lambda x: lm.amin(x, 1), [[1., 1., 2.], [4., 0., 5.]]), [[.5, .5, 0], [0, 1, 0]])
    _close(_grad(lm.max, [[3., 1.], [3., 2.]]), [[.5, 0], [.5, 0]])


def test_amax_of_nan_gives_nan_gradients():
    # scale_grad_by_count: no element equals a NaN maximum, so 0 / 0 everywhere, as PyTorch.
    _close(_grad(lm.amax, [1., NAN, 3.]), [NAN, NAN, NAN])


def test_max_dim_and_sort_family_route_to_the_returned_index():
    x = [3., 1., 3., 2.]
    _close(_grad(lambda t: lm.max(t, 0).values, x), [1, 0, 0, 0])
    _close(_grad(lambda t: lm.min(t, 0, keepdim=True).values, x), [0, 1, 0, 0])
    _close(_grad(lambda t: lm.sort(t).values, x, [1., 2., 3., 4.]), [3, 1, 4, 2])
    _close(_grad(lambda t: lm.topk(t, 2).values, [5., 1., 7., 2.], [10., 20.]), [20, 0, 10, 0])
    _close(_grad(lambda t: lm.kthvalue(t, 2).values, [5., 1., 7., 2.]), [0, 0, 0, 1])
    _close(_grad(lambda t: lm.median(t, 0).values, [5., 1., 7., 2.]), [0, 0, 0, 1])
    _close(_grad(lambda t: lm.mode(t).values, [2., 1., 2., 1., 3.]), [0, 0, 0, 1, 0])


def test_cummax_adds_up_where_the_running_extreme_stays():
    _close(_grad(lambda t: lm.cummax(t, 0).values, [3., 1., 3., 2.]), [2, 0, 2, 0])
    _close(_grad(lambda t: lm.cummin(t, 0).values, [3., 1., 4., 0.]), [1, 2, 0, 1])


def test_median_without_dim_splits_over_ties_and_nans():
    _close(_grad(lm.median, [3., 1., 3., 2., 3.]), [1 / 3, 0, 1 / 3, 0, 1 / 3])
    _close(_grad(lm.median, [1., NAN, 3., NAN]), [0, .5, 0, .5])
    _close(_grad(lm.nanmedian, [1., NAN, 3., 2.]), [0, 0, 0, 1])


def test_nan_reductions_leave_nans_out():
    _close(_grad(lm.nansum, [3., NAN, 3., 2.]), [1, 0, 1, 1])
    _close(_grad(lambda t: lm.nanmean(t, 1), [[3., NAN, 1.], [NAN, NAN, 2.]]),
           [[.5, 0, .5], [0, 0, 1]])


# -- zeros and kinks ------------------------------------------------------------------------------

@pytest.mark.parametrize("x,expected", [
    ([2., 0., 3., 4., 5.], [0, 120, 0, 0, 0]),
    ([2., 0., 3., 0., 5.], [0, 0, 0, 0, 0]),
    ([2., 1.5, 3., 4., 5.], [90, 120, 60, 45, 36]),
])
def test_prod_with_zeros(x, expected):
    _close(_grad(lm.prod, x), expected)
    _close(_grad(lambda t: lm.prod(t.reshape(1, 5), 1), x), expected)


@pytest.mark.parametrize("x,expected", [
    ([2., 0., 3., 4., 5.], [1, 152, 0, 0, 0]),
    ([2., 0., 3., 0., 5.], [1, 8, 0, 0, 0]),
])
def test_cumprod_with_zeros(x, expected):
    _close(_grad(lambda t: lm.cumprod(t, 0), x), expected)


@pytest.mark.parametrize("p,expected", [
    (1, [0, 1, -1]),
    (2, [0, 1 / math.sqrt(5), -2 / math.sqrt(5)]),
    (0.5, [0, 1 + math.sqrt(2), -(1 + math.sqrt(2)) / math.sqrt(2)]),
    (3, [0, 9 ** (-2 / 3), -4 * 9 ** (-2 / 3)]),
    (INF, [0, 0, -1]),
    (-INF, [0, 0, 0]),
])
def test_norm_subgradients(p, expected):
    x = [0., 1., -2.]
    _close(_grad(lambda t: lm.norm(t, p), x), expected)
    _close(_grad(lambda t: lm.linalg.vector_norm(t, p), x), expected)
    # At the zero vector every order's gradient is 0.
    _close(_grad(lambda t: lm.norm(t, p), [0., 0., 0.]), [0, 0, 0])


def test_norm_of_order_zero_has_no_gradient():
    assert _grad(lambda t: lm.norm(t, 0), [0., 1., -2.]) is None


def test_inf_norm_splits_ties():
    _close(_grad(lambda t: lm.norm(t, INF), [3., -3., 1.]), [.5, -.5, 0])


def test_var_without_degrees_of_freedom():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _close(_grad(lambda t: lm.var(t, 1, correction=2), [[1., 2.], [3., 5.]]),
               [[-INF, INF], [-INF, INF]])
        _close(_grad(lambda t: lm.var(t, correction=2), [1., 2.]), [INF, INF])
        _close(_grad(lm.var, [4.]), [NAN])


def test_logcumsumexp_is_stable_for_large_inputs():
    _close(_grad(lambda t: lm.logcumsumexp(t, 0), [1000., 1000., 1000.], [1., -2., 1.]),
           [1 - 1 + 1 / 3, -1 + 1 / 3, 1 / 3])


# -- values against NumPy formulas ----------------------------------------------------------------

def test_complex_prod_var_and_logsumexp():
    rng = np.random.default_rng(0)
    z = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    _close(_grad(lm.prod, z), np.conj(np.prod(z) / z))
    ct = rng.standard_normal(2)
    zz = z.reshape(2, 2)
    _close(_grad(lambda t: lm.var(t, 1), zz, ct),
           2 * ct[:, None] * (zz - zz.mean(1, keepdims=True)))
    lse = np.log(np.exp(zz).sum(1, keepdims=True))
    _close(_grad(lambda t: lm.logsumexp(t, 1), zz, ct), ct[:, None] * np.conj(np.exp(zz - lse)))


def test_mean_and_cumsum_with_keepdim_and_negative_dims():
    x = np.arange(6.).reshape(2, 3)
    ct = np.array([[1.], [2.]])
    _close(_grad(lambda t: lm.mean(t, -1, keepdim=True), x, ct), np.repeat(ct / 3, 3, 1))
    ct = np.arange(6.).reshape(2, 3)
    _close(_grad(lambda t: lm.cumsum(t, -1), x, ct), np.cumsum(ct[:, ::-1], 1)[:, ::-1])


def test_gradient_takes_the_input_dtype():
    x = lm.tensor([1., 2., 3.], dtype=lm.float32, requires_grad=True)
    lm.prod(x, dtype=lm.float64).backward()
    assert x.grad.dtype == lm.float32
    _close(x.grad.numpy().astype(np.float64), [6, 3, 2])


def test_indices_carry_no_gradient():
    x = lm.tensor([[3., 1.], [0., 2.]], requires_grad=True)
    for result in (lm.max(x, 1), lm.sort(x), lm.topk(x, 1), lm.cummax(x, 0), lm.mode(x)):
        assert result.values.requires_grad and not result.indices.requires_grad


# -- saves: an in-place write raises only if the rule reads what was written ----------------------

@pytest.mark.parametrize("fn", [
    lambda t: lm.mean(t), lambda t: lm.cumsum(t, 0), lambda t: lm.sort(t).values,
    lambda t: lm.max(t, 0).values, lambda t: lm.cummax(t, 0).values,
    lambda t: lm.topk(t, 2).values, lambda t: lm.kthvalue(t, 2).values,
])
def test_unsaved_input_may_change(fn):
    x = lm.tensor([3., 1., 2.], requires_grad=True)
    y = x * 1
    out = fn(y)
    y.mul_(2)
    out.sum().backward()
    assert x.grad is not None


@pytest.mark.parametrize("fn", [
    lambda t: lm.prod(t), lambda t: lm.var(t), lambda t: lm.nansum(t), lambda t: lm.amax(t),
    lambda t: lm.norm(t), lambda t: lm.logsumexp(t, 0), lambda t: lm.cumprod(t, 0),
    lambda t: lm.logcumsumexp(t, 0), lambda t: lm.median(t),
])
def test_saved_input_may_not_change(fn):
    x = lm.tensor([3., 1., 2.], requires_grad=True)
    y = x * 1
    out = fn(y)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("fn", [
    lambda t: lm.prod(t), lambda t: lm.amax(t), lambda t: lm.logsumexp(t, 0),
    lambda t: lm.cumprod(t, 0), lambda t: lm.norm(t),
])
def test_saved_output_may_not_change(fn):
    x = lm.tensor([3., 1., 2.], requires_grad=True)
    out = fn(x)
    out.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
