"""Unary math beyond the op table: real/imag views, in-place forms, clamp and NaN semantics."""

import math

import numpy as np
import pytest

import lamina as lm

# -- real and imag: views of complex storage -------------------------------------------------------


def test_real_imag_are_views_sharing_storage_and_version():
    c = lm.tensor([1 + 2j, 3 - 4j, 5 + 0j])
    r, i = c.real, c.imag
    assert r.dtype is lm.float32 and i.dtype is lm.float32
    assert np.shares_memory(r.numpy(), c.numpy()) and np.shares_memory(i.numpy(), c.numpy())
    assert r._base is c and i._base is c
    assert r.stride() == (2,)                           # every other float of the storage
    v = c._version
    r.copy_(lm.tensor([7.0, 8.0, 9.0]))
    assert c.tolist() == [7 + 2j, 8 - 4j, 9 + 0j]
    assert c._version == v + 1 and r._version == c._version == i._version
    lm.imag(c).copy_(lm.tensor([0.0, 1.0, 2.0]))
    assert c.tolist() == [7 + 0j, 8 + 1j, 9 + 2j]


def test_real_view_of_a_strided_view_writes_the_base():
    base = lm.tensor([[1 + 1j, 2 + 2j, 3 + 3j], [4 + 4j, 5 + 5j, 6 + 6j]], dtype=lm.complex128)
    col = lm.from_numpy(base.numpy()[:, ::-2])          # negative stride, non-contiguous
    col.imag.clamp_(max=0.0)                            # an in-place op through the view
    assert base.numpy().imag.tolist() == [[0, 2, 0], [0, 5, 0]]
    assert base.numpy().real.tolist() == [[1, 2, 3], [4, 5, 6]]


@pytest.mark.skipif(not hasattr(lm.Tensor, "__setitem__"), reason="indexing assignment not there")
def test_setitem_on_real_writes_through():
    t = lm.tensor([1 + 2j, 3 + 4j])
    t.real[0] = 5
    assert t.tolist() == [5 + 2j, 3 + 4j]


def test_real_and_imag_setters():
    c = lm.tensor([1 + 2j, 3 + 4j])
    c.real = lm.tensor([9.0, 9.0])
    c.imag = lm.tensor([0.5, 0.5])
    assert c.tolist() == [9 + 0.5j, 9 + 0.5j]
    f = lm.tensor([1.0, 2.0])
    f.real = lm.tensor([5.0, 6.0])
    assert f.tolist() == [5.0, 6.0]
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex"):
        f.imag = lm.tensor([1.0, 1.0])


def test_real_of_real_is_itself_and_imag_raises():
    for t in (lm.tensor([1.0, 2.0]), lm.tensor([1, 2]), lm.tensor(True)):
        assert t.real is t and lm.real(t) is t
        with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-"):
            t.imag  # noqa: B018


def test_real_imag_zero_dim():
    c = lm.tensor(3 - 4j, dtype=lm.complex128)
    assert c.real.shape == () and c.real.item() == 3.0 and c.imag.item() == -4.0
    assert c.real.dtype is lm.float64


def test_conj_family():
    f = lm.tensor([1.0, -2.0])
    for fn in (lm.conj, lm.conj_physical, lm.resolve_conj, lm.resolve_neg):
        assert fn(f) is f
    c = lm.tensor([1 + 2j, 3 - 4j])
    assert lm.conj(c).tolist() == [1 - 2j, 3 + 4j]
    assert c.conj().is_conj() is False and lm.is_neg(c) is False   # conj is materialised here
    assert not np.shares_memory(lm.conj(c).numpy(), c.numpy())
    assert lm.resolve_conj(c) is c
    v = c._version
    assert c.conj_physical_() is c and c.tolist() == [1 - 2j, 3 + 4j] and c._version == v + 1
    assert f.conj_physical_() is f and f._version == 0


# -- in-place forms --------------------------------------------------------------------------------

# name -> (dtype, low, high, args): values inside each function's domain.
INPLACE = {
    "sqrt": ("float32", 0.1, 3, ()), "rsqrt": ("float32", 0.1, 3, ()),
    "exp": ("float32", -3, 3, ()), "exp2": ("float32", -3, 3, ()),
    "expm1": ("float32", -3, 3, ()), "log": ("float32", 0.1, 3, ()),
    "log2": ("float32", 0.1, 3, ()), "log10": ("float32", 0.1, 3, ()),
    "log1p": ("float32", -0.5, 3, ()), "sin": ("float64", -3, 3, ()),
    "cos": ("float64", -3, 3, ()), "tan": ("float64", -1, 1, ()),
    "asin": ("float64", -0.9, 0.9, ()), "arcsin": ("float64", -0.9, 0.9, ()),
    "acos": ("float64", -0.9, 0.9, ()), "arccos": ("float64", -0.9, 0.9, ()),
    "atan": ("float64", -3, 3, ()), "arctan": ("float64", -3, 3, ()),
    "sinh": ("float64", -3, 3, ()), "cosh": ("float64", -3, 3, ()),
    "tanh": ("complex64", -3, 3, ()), "asinh": ("float64", -3, 3, ()),
    "arcsinh": ("float64", -3, 3, ()), "acosh": ("float64", 1, 3, ()),
    "arccosh": ("float64", 1, 3, ()), "atanh": ("float64", -0.9, 0.9, ()),
    "arctanh": ("float64", -0.9, 0.9, ()), "sigmoid": ("float32", -3, 3, ()),
    "erf": ("float32", -3, 3, ()), "erfc": ("float32", -3, 3, ()),
    "erfinv": ("float32", -0.9, 0.9, ()), "reciprocal": ("complex128", 0.5, 3, ()),
    "sign": ("int32", -5, 5, ()), "sgn": ("complex64", -3, 3, ()),
    "floor": ("float32", -3, 3, ()), "ceil": ("float16", -3, 3, ()),
    "trunc": ("int64", -5, 5, ()), "fix": ("float64", -3, 3, ()),
    "round": ("float64", -300, 300, ()), "frac": ("float32", -5, 5, ()),
    "square": ("int16", -5, 5, ()), "relu": ("int8", -5, 5, ()),
    "clamp": ("float32", -3, 3, (-1.0, 1.0)), "clip": ("int32", -5, 5, (-2, 2)),
    "clamp_min": ("float64", -3, 3, (0.5,)), "clamp_max": ("uint8", 0, 9, (4,)),
    "nan_to_num": ("float32", -3, 3, ()), "deg2rad": ("float32", -90, 90, ()),
    "rad2deg": ("float64", -3, 3, ()),
}
METHOD_ONLY = {"sign", "sgn", "erfinv"}     # PyTorch has no lamina.sign_ etc.


def _strided(values):
    """`values` inside a sentinel-filled parent, viewed with steps (2, -3)."""
    parent = np.full((2 * values.shape[0] + 1, 3 * values.shape[1] + 2), 77, values.dtype)
    view = parent[1::2, -2::-3][:, : values.shape[1]]
    view[...] = values
    return parent, view


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_matches_out_of_place_on_a_strided_view(name):
    dtype, low, high, args = INPLACE[name]
    rng = np.random.default_rng(1)
    values = np.asarray(rng.uniform(low, high, (3, 4))).astype(dtype)
    parent, view = _strided(values)
    before = parent.copy()
    t = lm.from_numpy(view)
    expected = getattr(lm, name)(lm.from_numpy(values.copy()), *args).numpy()
    assert getattr(t, name + "_")(*args) is t
    assert t._version == 1
    np.testing.assert_allclose(view, expected, rtol=1e-6)
    outside = np.ones(parent.shape, bool)
    outside[1::2, -2::-3][:, : values.shape[1]] = False
    np.testing.assert_array_equal(parent[outside], before[outside])
    if name not in METHOD_ONLY:
        assert getattr(lm, name + "_") is getattr(lm.Tensor, name + "_")


def test_inplace_refuses_a_result_dtype_it_cannot_hold():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output "
                                           "type Long"):
        lm.tensor([1, 4]).sqrt_()
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired output "
                                           "type Bool"):
        lm.tensor([True, False]).square_()
    with pytest.raises(RuntimeError, match="result type Float can't be cast"):
        lm.tensor([1, 2], dtype=lm.int32).clamp_(0.5)
    t = lm.tensor([1, 2])
    assert t.floor_() is t and t.tolist() == [1, 2]     # integer rounding keeps the dtype


# -- clamp -----------------------------------------------------------------------------------------

def test_clamp_min_greater_than_max_gives_max():
    x = lm.tensor([-5.0, 0.0, 5.0])
    assert lm.clamp(x, 2, 1).tolist() == [1.0, 1.0, 1.0]
    assert lm.clamp(x, lm.tensor([3.0, 3.0, 0.0]), lm.tensor([1.0, 4.0, -1.0])).tolist() == [
        1.0, 3.0, -1.0]


def test_clamp_nan():
    x = lm.tensor([1.0, math.nan, -3.0, 7.0])
    assert np.isnan(lm.clamp(x, 0, 2).numpy()).tolist() == [False, True, False, False]
    assert np.isnan(lm.clamp(x, math.nan, 1).numpy()).all()
    assert np.isnan(lm.clamp(x, 0, math.nan).numpy()).all()
    r = lm.clamp(x, lm.tensor([0.0, 0.0, math.nan, 0.0]))
    assert np.isnan(r.numpy()).tolist() == [False, True, True, False]


def test_clamp_dtypes_follow_promotion():
    x = lm.tensor([1, 5, -3], dtype=lm.int32)
    assert lm.clamp(x, min=0.5).dtype is lm.float32
    assert lm.clamp(x, min=lm.tensor(2)).dtype is lm.int32          # 0-dim bound is weaker
    assert lm.clamp(x, min=lm.tensor([0, 1, 2])).dtype is lm.int64
    assert lm.clamp(x, 0, 2).tolist() == [1, 2, 0]
    assert lm.clamp(lm.tensor([True, False]), 0, 1).dtype is lm.int64
    assert lm.clamp(lm.tensor([True, False]), min=lm.tensor([False, True])).tolist() == [True,
                                                                                         True]


def test_clamp_broadcasts_bounds_and_input():
    r = lm.clamp(lm.tensor([[0.0], [0.0]]), lm.tensor([1.0, -1.0, 0.5]), lm.tensor([[[2.0]]]))
    assert r.shape == (1, 2, 3)
    assert r.numpy()[0, 1].tolist() == [1.0, 0.0, 0.5]


def test_clamp_argument_errors():
    x = lm.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="clamp: At least one of 'min' or 'max' must not be "
                                           "None"):
        x.clamp()
    with pytest.raises(TypeError):
        lm.clamp(x, min="a")
    with pytest.raises(RuntimeError, match="value cannot be converted to type c10::Half without "
                                           "overflow"):
        lm.clamp(lm.tensor([1.0], dtype=lm.float16), 1.5, 1e10)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int without "
                                           "overflow"):
        lm.clamp(lm.tensor([1], dtype=lm.int32), 3_000_000_000)
    # PyTorch lets a negative bound wrap into uint8.
    assert lm.clamp(lm.tensor([1, 200], dtype=lm.uint8), -1).tolist() == [255, 255]


def test_clamp_aliases_and_out():
    x = lm.tensor([-2.0, 0.5, 2.0])
    assert lm.clip is lm.clamp and lm.Tensor.clip is lm.Tensor.clamp
    assert lm.clamp_min(x, 0).tolist() == [0.0, 0.5, 2.0]
    assert x.clamp_max(1).tolist() == [-2.0, 0.5, 1.0]
    out = lm.tensor([0.0, 0.0, 0.0])
    assert lm.clamp(x, -1, 1, out=out) is out and out.tolist() == [-1.0, 0.5, 1.0]


def test_relu():
    assert lm.relu(lm.tensor([-1, 3], dtype=lm.uint8)).dtype is lm.uint8
    t = lm.tensor([-1.0, math.nan, 2.0])
    r = lm.relu(t)
    assert r.numpy()[0] == 0 and np.isnan(r.numpy()[1]) and r.numpy()[2] == 2
    assert t.relu_() is t and t.numpy()[0] == 0


# -- special values --------------------------------------------------------------------------------

def test_sign_and_sgn_special_values():
    x = lm.tensor([math.nan, -0.0, 0.0, -math.inf, 2.0])
    assert lm.sign(x).tolist() == [0.0, 0.0, 0.0, -1.0, 1.0]       # NaN -> 0, as PyTorch
    assert lm.sgn(x).tolist() == [0.0, 0.0, 0.0, -1.0, 1.0]
    c = lm.sgn(lm.tensor([0j, 3 + 4j, complex(math.inf, 0)])).numpy()
    assert c[0] == 0 and c[1] == pytest.approx(0.6 + 0.8j)
    assert np.isnan(c[2].real) and c[2].imag == 0       # each part divided by |x| = inf
    assert lm.sign(lm.tensor([True, False])).dtype is lm.bool


def test_angle_special_values():
    r = lm.angle(lm.tensor([math.nan, -0.0, 0.0, -1.0, math.inf, -math.inf])).numpy()
    assert np.isnan(r[0]) and r[1:].tolist() == pytest.approx([0, 0, math.pi, 0, math.pi])
    assert lm.angle(lm.tensor([-1, 2])).dtype is lm.float32
    assert lm.angle(lm.tensor([1 + 1j], dtype=lm.complex128)).dtype is lm.float64


def test_rounding_and_frac():
    x = lm.tensor([0.5, 1.5, 2.5, -0.5, 1.25, 12345.5])
    assert lm.round(x).tolist() == [0.0, 2.0, 2.0, -0.0, 1.0, 12346.0]   # half to even
    assert lm.round(x, decimals=1).numpy()[4] == pytest.approx(1.2)
    assert lm.round(x, decimals=-1).tolist()[-1] == 12350.0
    half = lm.tensor([-918.0, 825.5], dtype=lm.float16)     # x * 100 overflows float16
    assert lm.round(half, decimals=2).tolist() == [-918.0, 825.5]
    assert lm.fix(x).tolist() == lm.trunc(x).tolist()
    f = lm.frac(lm.tensor([math.inf, -2.5, 2.5])).numpy()
    assert np.isnan(f[0]) and f[1:].tolist() == [-0.5, 0.5]


def test_nan_to_num_defaults_are_the_dtype_limits():
    half = lm.tensor([math.inf, -math.inf, math.nan], dtype=lm.float16)
    assert lm.nan_to_num(half).tolist() == [65504.0, -65504.0, 0.0]
    c = lm.nan_to_num(lm.tensor([complex(math.nan, -math.inf)])).numpy()
    assert c[0] == complex(0, -np.finfo(np.float32).max)
    assert lm.nan_to_num(lm.tensor([1, 2]), nan=1.5).dtype is lm.int64


def test_sigmoid_extremes_do_not_overflow():
    r = lm.sigmoid(lm.tensor([-100.0, 0.0, 100.0]))
    assert r.tolist() == [0.0, 0.5, 1.0]
    assert lm.sigmoid(lm.tensor([1.0], dtype=lm.float16)).dtype is lm.float16


def test_complex_and_polar_keep_infinities():
    c = lm.complex(lm.tensor([math.inf]), lm.tensor([0.0]))
    assert c.dtype is lm.complex64 and c.tolist() == [complex(math.inf, 0)]
    p = lm.polar(lm.tensor([math.inf], dtype=lm.float64), lm.tensor([0.0], dtype=lm.float64))
    assert p.dtype is lm.complex128 and p.numpy()[0].real == math.inf
    assert np.isnan(p.numpy()[0].imag)


def test_float_functions_promote_integers_to_the_default_dtype():
    lm.set_default_dtype(lm.float64)
    try:
        assert lm.sqrt(lm.tensor([1, 4])).dtype is lm.float64
        assert lm.erf(lm.tensor([True])).dtype is lm.float64
        assert lm.angle(lm.tensor([-1])).dtype is lm.float64
    finally:
        lm.set_default_dtype(lm.float32)
    assert lm.sqrt(lm.tensor([1, 4])).dtype is lm.float32


# -- out= and argument errors ---------------------------------------------------------------------

def test_out():
    x = lm.tensor([1.0, 4.0])
    out = lm.tensor([0.0, 0.0])
    assert lm.sqrt(x, out=out) is out and out.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output "
                                           "type Long"):
        lm.exp(lm.tensor([True]), out=lm.tensor([0]))
    b = lm.tensor([False, False])
    assert lm.isposinf(lm.tensor([math.inf, 1.0]), out=b) is b and b.tolist() == [True, False]
    for fn in (lm.isposinf, lm.isneginf, lm.signbit):
        with pytest.raises(RuntimeError, match="does not support non-boolean outputs"):
            fn(x, out=lm.tensor([0.0, 0.0]))


def test_non_tensor_input():
    with pytest.raises(TypeError, match=r"sqrt\(\): argument 'input' \(position 1\) must be "
                                        "Tensor, not float"):
        lm.sqrt(2.0)
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        lm.isnan([1.0])
