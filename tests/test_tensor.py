"""The Tensor object itself: construction, memory sharing, metadata and Python protocols."""

import numpy as np
import pytest

import lamina as lm


def test_from_numpy_shares_memory_both_ways():
    arr = np.arange(6.0).reshape(2, 3)
    t = lm.from_numpy(arr)
    assert t.dtype is lm.float64 and t.shape == (2, 3)
    arr[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    t.numpy()[1, 2] = -1.0
    assert arr[1, 2] == -1.0
    assert np.shares_memory(t.numpy(), arr)


def test_tensor_copies_and_as_tensor_shares():
    arr = np.arange(3, dtype=np.int32)
    t = lm.tensor(arr)
    u = lm.as_tensor(arr)
    arr[0] = 9
    assert t.tolist() == [0, 1, 2]
    assert u.tolist() == [9, 1, 2]
    assert lm.as_tensor(t) is t


@pytest.mark.parametrize("data, dtype", [
    ([1, 2], lm.int64), ([1.0, 2], lm.float32), ([True, False], lm.bool), (3, lm.int64),
    (2.5, lm.float32), ([1j, 2], lm.complex64), (np.float64(1.0), lm.float64),
    (np.arange(3, dtype=np.int16), lm.int16), ([[1, 2], [3, 4]], lm.int64),
])
def test_tensor_infers_dtype_as_pytorch(data, dtype):
    assert lm.tensor(data).dtype is dtype


def test_default_dtype_changes_inference():
    lm.set_default_dtype(lm.float64)
    try:
        assert lm.tensor([1.5]).dtype is lm.float64
        assert lm.tensor([1j]).dtype is lm.complex128
        assert lm.get_default_dtype() is lm.float64
    finally:
        lm.set_default_dtype(lm.float32)
    assert lm.tensor([1.5]).dtype is lm.float32
    with pytest.raises(TypeError, match="only floating-point types"):
        lm.set_default_dtype(lm.int64)


def test_legacy_constructor_makes_float32():
    assert lm.Tensor(np.arange(3)).dtype is lm.float32
    assert lm.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert lm.Tensor(2, 3).shape == (2, 3)
    assert lm.Tensor().shape == (0,)
    assert isinstance(lm.tensor(1), lm.Tensor)


def test_unsupported_numpy_dtype_is_refused():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.uint32"):
        lm.from_numpy(np.zeros(2, dtype=np.uint32))
    with pytest.raises(TypeError, match="expected np.ndarray"):
        lm.from_numpy([1, 2])


def test_metadata():
    t = lm.from_numpy(np.zeros((2, 3, 4), dtype=np.float32))
    assert t.shape == lm.Size([2, 3, 4]) and isinstance(t.shape, lm.Size)
    assert repr(t.shape) == "lamina.Size([2, 3, 4])"
    assert t.size() == (2, 3, 4) and t.size(-1) == 4 and t.size(0) == 2
    assert t.dim() == t.ndim == t.ndimension() == 3
    assert t.numel() == t.nelement() == 24 and t.shape.numel() == 24
    assert t.stride() == (12, 4, 1) and t.stride(1) == 4
    assert t.is_contiguous() and t.element_size() == 4
    assert t.device == lm.device("cpu") and str(t.device) == "cpu" and not t.is_cuda
    assert t.is_leaf and t.grad is None and t.grad_fn is None and not t.requires_grad
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-3, 2\], but got 3\)"):
        t.size(3)


def test_strides_of_noncontiguous_storage():
    arr = np.zeros((4, 6), dtype=np.float64)[::2, ::3]
    t = lm.from_numpy(arr)
    assert t.stride() == (12, 3) and not t.is_contiguous()


def test_dtype_objects():
    assert repr(lm.float32) == "lamina.float32"
    assert lm.float is lm.float32 and lm.double is lm.float64 and lm.long is lm.int64
    assert lm.half is lm.float16 and lm.cfloat is lm.complex64 and lm.int is lm.int32
    assert lm.float32.is_floating_point and not lm.int8.is_floating_point
    assert lm.complex64.is_complex and lm.complex128.to_real() is lm.float64
    assert lm.float32.to_complex() is lm.complex64 and lm.float64.itemsize == 8
    assert lm.uint8.is_signed is False and lm.int8.is_signed


def test_python_scalar_protocols():
    t = lm.tensor([2.5])
    assert float(t) == 2.5 and int(t) == 2 and bool(t) and t.item() == 2.5
    assert complex(lm.tensor(1 + 2j)) == 1 + 2j
    assert [1, 2, 3][lm.tensor(1)] == 2
    assert f"{lm.tensor(3.14159):.2f}" == "3.14"
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value"):
        bool(lm.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted"):
        lm.tensor([1, 2]).item()
    with pytest.raises(ValueError, match="only one element tensors"):
        float(lm.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        [1, 2][lm.tensor(1.0)]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(lm.tensor(1))
    assert len(lm.tensor([[1, 2], [3, 4], [5, 6]])) == 3


def test_numpy_interop():
    t = lm.tensor([[1, 2], [3, 4]], dtype=lm.int32)
    assert np.asarray(t).dtype == np.int32
    assert np.array_equal(np.asarray(t), [[1, 2], [3, 4]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    back = np.from_dlpack(t)
    assert np.shares_memory(back, t.numpy())
    assert t.tolist() == [[1, 2], [3, 4]]


def test_requires_grad_rules():
    t = lm.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype"):
        lm.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        t.numpy()


def test_device_objects():
    assert lm.device("cuda:1") == lm.device("cuda", 1)
    assert repr(lm.device("cuda", 0)) == "device(type='cuda', index=0)"
    assert str(lm.device("cuda", 0)) == "cuda:0"
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda device type"):
        lm.device("tpu")
    with pytest.raises(RuntimeError, match="no CUDA backend"):
        lm.tensor([1.0], device="cuda")
    assert lm.cuda.is_available() is False and lm.cuda.device_count() == 0


def test_version_counter_counts_inplace_writes():
    t = lm.tensor([1.0, 2.0])
    assert t._version == 0
    t.copy_(lm.tensor([3.0, 4.0]))
    assert t._version == 1 and t.tolist() == [3.0, 4.0]
    t.copy_(lm.tensor(0.5))  # broadcasts
    assert t._version == 2 and t.tolist() == [0.5, 0.5]


def test_copy_casts_and_checks_shapes():
    t = lm.tensor([1, 2, 3])
    t.copy_(lm.tensor([1.7, 2.2, -3.9]))
    assert t.tolist() == [1, 2, -3] and t.dtype is lm.int64
    with pytest.raises(RuntimeError, match="must match the size"):
        t.copy_(lm.tensor([1, 2]))
