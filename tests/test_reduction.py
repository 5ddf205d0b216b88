"""Reductions and sorting where the op table cannot speak: named tuples, NaN and tie semantics,
dtype rules, error messages, warnings and `out=`."""

import warnings

import numpy as np
import pytest

import lamina as lm

NAN = float("nan")


def t(data, dtype=None):
    return lm.tensor(data, dtype=dtype)


def same(a, b):
    np.testing.assert_array_equal(a.numpy(), np.asarray(b))


# -- named tuples ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, call", [
    ("max", lambda x: lm.max(x, 1)), ("min", lambda x: lm.min(x, 1)),
    ("median", lambda x: lm.median(x, 1)), ("nanmedian", lambda x: lm.nanmedian(x, 1)),
    ("mode", lambda x: lm.mode(x, 1)), ("kthvalue", lambda x: lm.kthvalue(x, 1, 1)),
    ("sort", lambda x: lm.sort(x)), ("topk", lambda x: lm.topk(x, 2)),
    ("cummax", lambda x: lm.cummax(x, 1)), ("cummin", lambda x: lm.cummin(x, 1)),
])
def test_named_tuple(name, call):
    x = t([[1.0, 3.0, 2.0], [0.0, -1.0, 5.0]])
    r = call(x)
    assert type(r) is getattr(lm.return_types, name)
    assert type(r).__name__ == name and isinstance(r, tuple) and len(r) == 2
    values, indices = r
    assert values is r.values and indices is r.indices
    assert indices.dtype is lm.int64 and values.dtype is lm.float32
    assert repr(r) == (f"lamina.return_types.{name}(\nvalues={r.values!r},\n"
                       f"indices={r.indices!r})")


def test_max_repr_matches_pytorch_layout():
    r = lm.max(t([[1.0, 3.0, 3.0], [2.0, NAN, 0.0]]), 1)
    assert repr(r) == ("lamina.return_types.max(\nvalues=tensor([3., nan]),\n"
                       "indices=tensor([1, 1]))")


def test_aminmax_fields():
    r = lm.aminmax(t([[1.0, 2.0], [4.0, -3.0]]), dim=1, keepdim=True)
    assert type(r) is lm.return_types.aminmax and r._fields == ("min", "max")
    same(r.min, [[1.0], [-3.0]])
    same(r.max, [[2.0], [4.0]])


# -- NaN and ties ---------------------------------------------------------------------------------

def test_nan_is_the_maximum_and_propagates():
    x = t([1.0, NAN, 3.0, NAN])
    assert np.isnan(lm.max(x).item()) and np.isnan(lm.min(x).item())
    assert np.isnan(lm.amax(x).item())
    assert lm.max(x, 0).indices.item() == 1 and lm.min(x, 0).indices.item() == 1
    assert lm.argmax(x).item() == 1 and lm.argmin(x).item() == 1
    same(lm.sort(x).indices, [0, 2, 1, 3])
    same(lm.sort(x, descending=True).indices, [1, 3, 2, 0])
    same(lm.topk(x, 1).indices, [1])
    same(lm.cummax(x, 0).indices, [0, 1, 1, 3])
    assert np.isnan(lm.median(x).item())
    assert lm.nanmedian(x).item() == 1.0


def test_ties_take_the_first_index_except_in_scans():
    x = t([2, 5, 5, 1, 1])
    assert lm.argmax(x).item() == 1 and lm.max(x, 0).indices.item() == 1
    assert lm.argmin(x).item() == 3 and lm.min(x, 0).indices.item() == 3
    # PyTorch's cummax/cummin update on >= / <=, so ties report the later index.
    same(lm.cummax(x, 0).indices, [0, 1, 2, 2, 2])
    same(lm.cummin(x, 0).indices, [0, 0, 0, 3, 4])


def test_sort_is_stable_both_ways():
    x = t([1, 0, 1, 0, 1])
    same(lm.sort(x).indices, [1, 3, 0, 2, 4])
    same(lm.sort(x, descending=True).indices, [0, 2, 4, 1, 3])
    same(lm.argsort(x, descending=True, stable=True), [0, 2, 4, 1, 3])


def test_mode_reports_the_last_occurrence_of_the_smallest_most_frequent():
    r = lm.mode(t([3, 2, 1, 2, 1, 3]))
    assert (r.values.item(), r.indices.item()) == (1, 4)


def test_median_is_the_lower_median():
    assert lm.median(t([4.0, 1.0, 3.0, 2.0])).item() == 2.0
    r = lm.median(t([[4.0, 1.0, 3.0, 2.0]]), 1, keepdim=True)
    same(r.values, [[2.0]])
    same(r.indices, [[3]])


# -- dtype rules ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [lm.bool, lm.uint8, lm.int32])
def test_integral_sums_widen_to_int64(dtype):
    x = t([1, 1, 0], dtype=dtype)
    for r in (lm.sum(x), lm.prod(x), lm.cumsum(x, 0), lm.cumprod(x, 0), lm.nansum(x)):
        assert r.dtype is lm.int64
    assert lm.sum(x, dtype=lm.float64).dtype is lm.float64


def test_dtype_argument_casts_before_reducing():
    assert lm.sum(t([1.5, 2.0]), dtype=lm.int32).item() == 3
    assert lm.cumprod(t([100, 3], dtype=lm.int8), 0, dtype=lm.int8).dtype is lm.int8
    assert lm.mean(t([1, 2]), dtype=lm.float64).item() == 1.5


def test_float_only_reductions():
    x = t([1, 2])
    with pytest.raises(RuntimeError, match=r"mean\(\): could not infer output dtype. Input dtype "
                       "must be either a floating point or complex dtype. Got: Long"):
        lm.mean(x)
    with pytest.raises(RuntimeError, match="Optional dtype must be either a floating point"):
        lm.mean(x, dtype=lm.int64)
    with pytest.raises(RuntimeError, match="std and var only support floating point and complex"):
        lm.std(x)
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. "
                       "Got Long"):
        lm.norm(x)
    assert lm.logsumexp(x, 0).dtype is lm.float32


def test_complex_moments_are_real():
    z = t([1 + 2j, 2 + 0j], dtype=lm.complex128)
    assert lm.var(z).dtype is lm.float64 and lm.std(z).dtype is lm.float64
    assert lm.var(z).item() == pytest.approx(2.5)
    assert lm.norm(z).dtype is lm.float64


def test_logical_reductions_keep_uint8():
    assert lm.all(t([1, 2], dtype=lm.uint8)).dtype is lm.uint8
    assert lm.any(t([1, 2], dtype=lm.int32)).dtype is lm.bool
    assert lm.all(t([1.0, 0.0])).item() is False


def test_index_results_are_int64():
    x = t([[1.0, 2.0]])
    for r in (lm.argmax(x), lm.argmin(x, 1), lm.count_nonzero(x), lm.sort(x).indices):
        assert r.dtype is lm.int64


# -- empty inputs and dim lists -------------------------------------------------------------------

def test_empty_reductions_with_an_identity():
    e = lm.tensor(np.zeros((0, 3), np.float32))
    assert lm.sum(e).item() == 0 and lm.prod(e).item() == 1
    assert np.isnan(lm.mean(e).item())
    same(lm.logsumexp(e, 0), [-np.inf] * 3)
    assert np.isnan(lm.median(e).item())
    assert lm.norm(e).item() == 0
    assert lm.max(e, 1).values.shape == (0,)


@pytest.mark.parametrize("call, exc, match", [
    (lambda e: lm.max(e), RuntimeError, r"max\(\): Expected reduction dim to be specified for "
     r"input.numel\(\) == 0. Specify the reduction dim with the 'dim' argument."),
    (lambda e: lm.max(e, 0), IndexError,
     r"max\(\): Expected reduction dim 0 to have non-zero size."),
    (lambda e: lm.amin(e, 0), IndexError, r"amin\(\): Expected reduction dim 0"),
    (lambda e: lm.argmax(e), IndexError, r"argmax\(\): Expected reduction dim to be specified"),
    (lambda e: lm.aminmax(e), RuntimeError, "cannot compute aminmax over an empty dimension"),
    (lambda e: lm.norm(e, float("inf"), dim=0), RuntimeError,
     "cannot compute the inf norm on the dimension 0because this dimension is empty"),
    (lambda e: lm.kthvalue(e, 1, 0), IndexError, "non-zero size"),
    (lambda e: lm.mode(e, 0), IndexError, r"mode\(\): Expected reduction dim 0"),
])
def test_empty_reductions_without_an_identity(call, exc, match):
    with pytest.raises(exc, match=match):
        call(lm.tensor(np.zeros((0, 3), np.float32)))


def test_empty_dim_list():
    x = t([[1.0, 0.0], [2.0, 3.0]])
    assert lm.sum(x, dim=()).item() == 6 and lm.amax(x, dim=[]).item() == 3
    # all/any read an empty dim list as "reduce nothing", as PyTorch does.
    same(lm.any(x, dim=()), [[True, False], [True, True]])


def test_dim_errors():
    x = t([[1.0, 2.0]])
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times in the list of dims"):
        lm.sum(x, (1, -1))
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        lm.max(x, 2)
    with pytest.raises(TypeError, match="must be int, not tuple"):
        lm.argmax(x, (0, 1))
    with pytest.raises(TypeError, match="keepdim"):
        lm.max(x, keepdim=True)


# -- var/std overloads ----------------------------------------------------------------------------

def test_var_overloads():
    x = t([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])
    biased = [2 / 3, 2 / 3]
    np.testing.assert_allclose(lm.var(x, 1, unbiased=False).numpy(), biased, rtol=1e-6)
    np.testing.assert_allclose(lm.var(x, 1, False).numpy(), biased, rtol=1e-6)
    np.testing.assert_allclose(lm.var(x, dim=1, correction=0).numpy(), biased, rtol=1e-6)
    assert lm.var(x, False).item() == pytest.approx(17.5 / 6)
    assert lm.var(x, 1, True, True).shape == (2, 1)
    np.testing.assert_allclose(lm.var(x, dim=1, correction=2.5).numpy(), [4.0, 4.0])
    with pytest.raises(TypeError):
        lm.var(x, 1, unbiased=True, correction=1)
    s, m = lm.std_mean(x, dim=1, keepdim=True)
    same(m, [[1.0], [4.0]])
    np.testing.assert_allclose(s.numpy(), [[1.0], [1.0]])


def test_var_warns_without_degrees_of_freedom():
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
        assert np.isnan(lm.var(t([1.0])).item())
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom"):
        assert lm.std(t([1.0, 2.0]), correction=3).item() == np.inf


# -- norm -----------------------------------------------------------------------------------------

def test_norm_orders():
    x = t([[3.0, -4.0], [0.0, 1.0]])
    assert lm.norm(x).item() == pytest.approx(26 ** 0.5)
    same(lm.norm(x, float("inf"), dim=1), [4.0, 1.0])
    same(lm.norm(x, 0, dim=1), [2.0, 1.0])
    same(lm.norm(x, 1, dim=0, keepdim=True), [[3.0, 5.0]])
    with pytest.raises(RuntimeError, match="Order abc not supported"):
        lm.norm(x, "abc")
    with pytest.raises(RuntimeError, match="dtype should be real for real inputs"):
        lm.norm(x, dtype=lm.complex64)


# -- out= and in-place ----------------------------------------------------------------------------

def test_out_single_tensor():
    x = t([[1.0, 2.0], [3.0, 4.0]])
    out = lm.tensor(np.zeros(2, np.float32))
    assert lm.sum(x, 1, out=out) is out
    same(out, [3.0, 7.0])
    resized = lm.tensor(np.zeros(0, np.float32))
    lm.mean(x, out=resized)
    assert resized.shape == () and resized.item() == 2.5
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output "
                       "type Long"):
        lm.sum(x, 1, out=lm.tensor(np.zeros(2, np.int64)))


def test_out_named_tuple():
    x = t([[1.0, 5.0], [3.0, 4.0]])
    values = lm.tensor(np.zeros(2, np.float32))
    indices = lm.tensor(np.zeros(2, np.int64))
    r = lm.max(x, 1, out=(values, indices))
    assert r.values is values and r.indices is indices
    same(values, [5.0, 4.0])
    same(indices, [1, 1])
    r = lm.sort(x, 1, out=(lm.tensor(np.zeros((2, 2), np.float32)),
                           lm.tensor(np.zeros((2, 2), np.int64))))
    same(r.indices, [[0, 1], [0, 1]])


def test_cumsum_inplace_bumps_version():
    x = t([1.0, 2.0, 3.0])
    v = x._version
    assert x.cumsum_(0) is x
    same(x, [1.0, 3.0, 6.0])
    assert x._version > v


# -- binary max, methods, sorting specifics -------------------------------------------------------

@pytest.mark.skipif(not hasattr(lm, "maximum"), reason="lamina.maximum (elementwise) not there yet")
def test_binary_max_is_maximum():
    same(lm.max(t([1.0, 5.0]), t([3.0, 0.0])), [3.0, 5.0])
    same(lm.min(t([1.0, 5.0]), t([3.0, 0.0])), [1.0, 0.0])


def test_methods():
    x = t([[1.0, 5.0], [3.0, 4.0]])
    assert x.max().item() == 5.0
    same(x.max(0).indices, [1, 0])
    same(x.sum(1, True), [[6.0], [7.0]])
    same(x.sort(descending=True).values, [[5.0, 1.0], [4.0, 3.0]])
    same(x.unique(), [1.0, 3.0, 4.0, 5.0])


def test_topk_and_kthvalue_checks():
    x = t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        lm.topk(x, 3)
    with pytest.raises(RuntimeError, match="selected number k out of range for dimension 0"):
        lm.kthvalue(x, 0)
    with pytest.raises(RuntimeError, match="topk does not support complex dtypes"):
        lm.topk(t([1j]), 1)


def test_unique_outputs():
    values, inverse, counts = lm.unique(t([3, 1, 1, 2]), return_inverse=True, return_counts=True)
    same(values, [1, 2, 3])
    same(inverse, [2, 0, 0, 1])
    same(counts, [2, 1, 1])
    same(lm.unique(t(3.0)), [3.0])
    same(lm.unique(t([NAN, 1.0, NAN]), return_counts=True)[1], [1, 1, 1])
    v, inv = lm.unique_consecutive(t([3, 1, 1, 2, 2, 3]), return_inverse=True)
    same(v, [3, 1, 2, 3])
    same(inv, [0, 1, 1, 2, 2, 3])


def test_no_numpy_warnings_leak():
    e = lm.tensor(np.zeros((0, 2), np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lm.mean(e)
        lm.nanmean(t([NAN]))
        lm.logsumexp(t([-np.inf, -np.inf]), 0)
        lm.norm(t([0.0, 1.0]), -1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_whole_sum_matches_numpy_bitwise(dtype):
    # The compiled whole-tensor sum follows NumPy's pairwise order, so it rounds identically;
    # sizes straddle its 8-wide and 128-element block boundaries.
    rng = np.random.default_rng(5)
    for n in [0, 1, 7, 8, 9, 127, 128, 129, 255, 1000, 4099]:
        a = rng.standard_normal(n).astype(dtype) * 1e3
        got = lm.from_numpy(a).sum().numpy()
        assert got.dtype == dtype and got.shape == ()
        assert got == np.add.reduce(a), n
    grid = rng.standard_normal((33, 65)).astype(dtype)
    assert lm.from_numpy(grid).sum().item() == np.add.reduce(grid, axis=None)
    assert lm.from_numpy(grid[:, ::2]).sum().item() == pytest.approx(grid[:, ::2].sum(), rel=1e-5)
    assert str(lm.tensor([-0.0, -0.0]).sum()) == "tensor(-0.)"
