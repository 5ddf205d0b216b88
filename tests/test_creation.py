"""Hand-written tests for creation and conversion: what the op table cannot say.

Undefined values (empty), shared memory (from_numpy), `out=` and the default dtype, in-place
fills and the version counter, PyTorch's quirks in arange, and conversions returning self.
"""

import warnings

import numpy as np
import pytest

import lamina as lm


@pytest.fixture
def float64_default():
    lm.set_default_dtype(lm.float64)
    yield
    lm.set_default_dtype(lm.float32)


# -- constructors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [lm.empty, lm.zeros, lm.ones, lm.rand, lm.randn])
def test_size_forms(fn):
    for args, kwargs in [((2, 3), {}), (((2, 3),), {}), (([2, 3],), {}), ((lm.Size([2, 3]),), {}),
                         ((), {"size": (2, 3)}), ((np.int64(2), 3), {})]:
        t = fn(*args, **kwargs)
        assert t.shape == (2, 3) and t.dtype == lm.float32
    assert fn().shape == ()
    assert fn(0, 3).shape == (0, 3)


def test_empty_and_empty_like():
    t = lm.empty(2, 3, dtype=lm.int16)
    assert t.shape == (2, 3) and t.dtype == lm.int16
    x = lm.zeros(4, 5, dtype=lm.complex64)
    assert lm.empty_like(x).dtype == lm.complex64 and lm.empty_like(x).shape == (4, 5)
    assert lm.empty_like(x, dtype=lm.float64).dtype == lm.float64


def test_size_errors():
    with pytest.raises(RuntimeError, match=r"negative dimension -3: \[2, -3\]"):
        lm.ones(2, -3)
    with pytest.raises(TypeError, match="must be tuple of ints"):
        lm.empty(2, 3.0)
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        lm.full(3, 1.0)
    with pytest.raises(RuntimeError, match="no CUDA backend"):
        lm.zeros(2, device="cuda")
    with pytest.raises(TypeError, match=r"eye\(\): argument 'n' must be int, not float"):
        lm.eye(2.5)


def test_default_dtype_is_followed(float64_default):
    assert lm.zeros(2).dtype == lm.float64
    assert lm.rand(2).dtype == lm.float64
    assert lm.arange(0.5, 2).dtype == lm.float64
    assert lm.full((2,), 1.5).dtype == lm.float64
    assert lm.linspace(0, 1j, 3).dtype == lm.complex128
    assert lm.arange(3).dtype == lm.int64


def test_full_infers_and_checks_values():
    assert lm.full((2,), 3).dtype == lm.int64
    assert lm.full((2,), True).dtype == lm.bool
    assert lm.full((2,), 1j).dtype == lm.complex64
    assert lm.full([2], lm.tensor(2.0)).dtype == lm.float32
    assert lm.full([2], 2.7, dtype=lm.int64).tolist() == [2, 2]      # truncates, as C++
    assert lm.full([2], -1, dtype=lm.uint8).tolist() == [255, 255]   # negatives wrap
    for value, d in [(300, lm.int8), (-256, lm.uint8), (1e6, lm.float16), (2**63, lm.int64),
                     (float("nan"), lm.int32)]:
        with pytest.raises(RuntimeError, match="value cannot be converted to type .* without "
                                               "overflow"):
            lm.full((2,), value, dtype=d)
    with pytest.raises(TypeError, match="must be Number, not Tensor"):
        lm.full([2], lm.tensor([2.0]))


def test_out_sets_dtype_and_resizes():
    out = lm.zeros(6, dtype=lm.int64)
    r = lm.zeros(2, 3, out=out)
    assert r is out and out.shape == (2, 3) and out.dtype == lm.int64
    assert lm.arange(3.5, out=lm.zeros(3, dtype=lm.int32)).tolist() == [0, 1, 2, 3]
    assert lm.full((3,), 2.5, out=lm.zeros(3, dtype=lm.int64)).tolist() == [2, 2, 2]
    with pytest.raises(RuntimeError, match=r"dtype Int does not match dtype of out parameter "
                                           r"\(Float\)"):
        lm.zeros(2, dtype=lm.int32, out=lm.empty(0))
    r = lm.randperm(4, out=lm.zeros(1))
    assert sorted(r.tolist()) == [0.0, 1.0, 2.0, 3.0]


def test_requires_grad():
    assert lm.zeros(2, requires_grad=True).requires_grad
    assert lm.ones_like(lm.zeros(2), requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype"):
        lm.zeros(2, dtype=lm.int64, requires_grad=True)


def test_from_numpy_shares_memory():
    a = np.arange(6.0).reshape(2, 3)
    t = lm.from_numpy(a)
    a[0, 0] = 7.0
    assert t.numpy()[0, 0] == 7.0
    t.fill_(1.0)
    assert np.all(a == 1.0)
    with pytest.raises(TypeError, match="expected np.ndarray"):
        lm.from_numpy([1, 2])


def test_from_numpy_refuses_what_torch_refuses():
    swapped = (np.eye(3) * 4 + 1).astype(">f8")
    with pytest.raises(ValueError, match="byte order different from the native byte order"):
        lm.from_numpy(swapped)
    # as_tensor and tensor may copy: they convert to native order
    np.testing.assert_array_equal(lm.as_tensor(swapped).numpy(), swapped)
    np.testing.assert_array_equal(lm.tensor(swapped).numpy(), swapped)
    odd = np.ndarray((3, 3), np.float64, buffer=np.zeros(100, np.uint8), offset=1,
                     strides=(25, 9))
    for share in (lm.from_numpy, lm.as_tensor):
        with pytest.raises(ValueError, match="strides not a multiple of the element byte size"):
            share(odd)


@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
def test_from_numpy_of_misaligned_memory_shares_it_and_computes_right(dtype):
    item = np.dtype(dtype).itemsize
    a = np.zeros(2 * 9 * item + 1, np.uint8)[1:].view(dtype).reshape(2, 3, 3)
    assert not a.flags.aligned
    a[...] = np.eye(3) * 4 + 1
    t = lm.from_numpy(a)
    np.testing.assert_allclose(lm.linalg.cholesky(t).numpy(), np.linalg.cholesky(a), rtol=1e-6)
    np.testing.assert_allclose((t @ t).numpy(), a @ a, rtol=1e-6)
    np.testing.assert_allclose(lm.linalg.solve(t, t[..., :1]).numpy(),
                               np.linalg.solve(a, a[..., :1]), rtol=1e-6, atol=1e-6)
    t[0].add_(1)  # a view of it, written in place, writes into the shared memory
    assert a[0, 0, 0] == 6 and a[1, 0, 0] == 5


def test_new_methods_take_self_dtype():
    x = lm.zeros(3, dtype=lm.int8)
    assert x.new_zeros(2, 2).dtype == lm.int8
    assert x.new_ones((2,)).dtype == lm.int8
    assert x.new_empty(3).dtype == lm.int8
    assert x.new_full((2,), 3.9).tolist() == [3, 3]
    assert x.new_tensor([1, 2], dtype=lm.float64).dtype == lm.float64


def test_arange_follows_pytorch_quirks():
    # int64 truncates every bound; other integer dtypes count in doubles.
    assert lm.arange(0, 5, 1.5, dtype=lm.int64).tolist() == [0, 1, 2, 3, 4]
    assert lm.arange(0, 5, 1.5, dtype=lm.int32).tolist() == [0, 1, 2, 3]
    assert lm.arange(-2.7, 5, 1.7, dtype=lm.int16).tolist() == [-2, -1, 0, 1, 2]
    assert lm.arange(0, 300, dtype=lm.uint8).numpy()[-1] == 43
    assert len(lm.arange(0, 1, 0.1)) == 10
    assert lm.arange(end=4).tolist() == [0, 1, 2, 3]
    assert lm.arange(lm.tensor(3)).dtype == lm.int64
    assert lm.arange(lm.tensor(3.0)).dtype == lm.float32
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        lm.arange(0, 1, float("nan"))
    with pytest.raises(TypeError):
        lm.arange()


def test_linspace_endpoints_exact_and_int_truncation():
    t = lm.linspace(-1.3, 7.9, 11, dtype=lm.float32)
    assert t.numpy()[0] == np.float32(-1.3) and t.numpy()[-1] == np.float32(7.9)
    assert lm.linspace(0.5, 7.7, 5, dtype=lm.int32).tolist() == [0, 1, 3, 5, 7]
    assert lm.linspace(0, 1, 1).tolist() == [0.0]
    assert lm.logspace(0.5, 2.5, 3, base=2.5, dtype=lm.int64).tolist() == [1, 2, 6]


# -- in-place fills -------------------------------------------------------------------------------

def test_fill_and_zero_bump_version_and_write_views():
    base = lm.zeros(2, 3)
    view = base.numpy()[0]
    t = lm.from_numpy(base.numpy())
    v0 = t._version
    assert t.fill_(2.5) is t and t._version == v0 + 1
    assert np.all(view == 2.5)
    assert t.zero_() is t and np.all(t.numpy() == 0)
    i = lm.zeros(3, dtype=lm.int64)
    assert i.fill_(-2.7).tolist() == [-2, -2, -2]
    assert i.fill_(lm.tensor(4.5)).tolist() == [4, 4, 4]
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8_t"):
        lm.zeros(3, dtype=lm.int8).fill_(300)
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor but got "
                                           "tensor with 1 dimensions"):
        lm.zeros(3).fill_(lm.tensor([1.0]))


# -- conversions ----------------------------------------------------------------------------------

def test_to_returns_self_unless_needed():
    x = lm.zeros(3)
    assert x.to(lm.float32) is x and x.to("cpu") is x and x.to() is x and x.cpu() is x
    assert x.to(x) is x and x.float() is x and x.type(lm.float32) is x
    y = x.to(lm.float32, copy=True)
    assert y is not x and y.dtype == lm.float32
    y.fill_(1.0)
    assert np.all(x.numpy() == 0)
    assert x.to(float).dtype == lm.float64 and x.to(int).dtype == lm.int64
    assert x.to("cpu", lm.float16).dtype == lm.float16
    assert x.to(device="cpu", dtype=lm.int8).dtype == lm.int8
    assert x.to(lm.zeros(1, dtype=lm.int32)).dtype == lm.int32


def test_cuda_refused():
    with pytest.raises(RuntimeError, match="no CUDA backend"):
        lm.zeros(2).cuda()
    with pytest.raises(RuntimeError, match="no CUDA backend"):
        lm.zeros(2).to(0)
    with pytest.raises(RuntimeError, match="Invalid device, must be cuda device"):
        lm.zeros(2).cuda("cpu")


def test_legacy_type_names():
    names = {lm.float32: "FloatTensor", lm.float64: "DoubleTensor", lm.float16: "HalfTensor",
             lm.int64: "LongTensor", lm.int32: "IntTensor", lm.int16: "ShortTensor",
             lm.int8: "CharTensor", lm.uint8: "ByteTensor", lm.bool: "BoolTensor",
             lm.complex64: "ComplexFloatTensor", lm.complex128: "ComplexDoubleTensor"}
    for d, name in names.items():
        assert lm.zeros(1, dtype=d).type() == f"lamina.{name}"
        assert lm.zeros(1).type(f"lamina.{name}").dtype == d


def test_complex_to_real_warns_and_keeps_real_part():
    z = lm.tensor([1 + 2j, -3j])
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        assert z.float().tolist() == [1.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert z.bool().tolist() == [True, True]


def test_float_to_int_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lm.tensor([float("nan"), float("inf")]).long()
