"""Views and copies of the shape and joining ops: shared storage, the version counter, `_base`,
strides, read-only expanded views, and the semantics a value table cannot check."""

import warnings

import numpy as np
import pytest

import lamina as lm


def _t(shape=(3, 4), dtype=np.float32):
    return lm.from_numpy(np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape))


def _shares(a, b):
    return np.shares_memory(a.numpy(), b.numpy())


VIEWS = {
    "view": lambda x: x.view(2, 6),
    "view_split_noncontig": lambda x: x.t().view(2, 2, 3),
    "reshape_contig": lambda x: x.reshape(12),
    "flatten": lambda x: x.flatten(),
    "unflatten": lambda x: x.unflatten(1, (2, 2)),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "transpose": lambda x: x.transpose(0, 1),
    "permute": lambda x: x.permute(1, 0),
    "movedim": lambda x: x.movedim(0, 1),
    "t": lambda x: x.t(),
    "T": lambda x: x.T,
    "mT": lambda x: x.mT,
    "mH_real": lambda x: x.mH,
    "narrow": lambda x: x.narrow(1, 1, 2),
    "select": lambda x: x.select(0, 1),
    "diagonal": lambda x: x.diagonal(),
    "unbind": lambda x: x.unbind(1)[2],
    "split": lambda x: x.split(2)[1],
    "chunk": lambda x: x.chunk(2, 1)[1],
    "tensor_split": lambda x: x.tensor_split([1], 1)[1],
    "hsplit": lambda x: lm.hsplit(x, 2)[0],
    "iter": lambda x: list(x)[1],
    "view_as": lambda x: x.view_as(_t((4, 3))),
    "ravel_contig": lambda x: x.ravel(),
    "atleast_3d": lambda x: lm.atleast_3d(x),
}


@pytest.mark.parametrize("make", VIEWS.values(), ids=VIEWS.keys())
def test_view_shares_storage_version_and_base(make):
    a = _t()
    v = make(a)
    assert _shares(a, v)
    assert v._base is a
    before = a._version
    v.copy_(lm.from_numpy(np.full(v.shape, -1.0, np.float32)))
    assert a._version == before + 1 and v._version == a._version
    assert (a.numpy() == -1).sum() == v.numel()
    # and the other way: a write into the base is seen through the view
    a.copy_(lm.from_numpy(np.full((3, 4), 7.0, np.float32)))
    assert (v.numpy() == 7).all()


def test_view_of_view_records_the_root_base():
    a = _t()
    v = a.view(12).view(2, 6).t()
    assert v._base is a
    assert v.unbind()[0]._base is a


COPIES = {
    "reshape_noncontig": lambda x: x.t().reshape(12),
    "contiguous_noncontig": lambda x: x.t().contiguous(),
    "clone": lambda x: x.clone(),
    "flip": lambda x: x.flip(0),
    "fliplr": lambda x: x.fliplr(),
    "roll": lambda x: x.roll(1, 0),
    "repeat": lambda x: x.repeat(1, 1),
    "tile": lambda x: x.tile((1,)),
    "rot90_0": lambda x: x.rot90(0),
    "rot90_2": lambda x: x.rot90(2),
    "diag": lambda x: lm.diag(x),
    "tril": lambda x: x.tril(5),
    "triu": lambda x: x.triu(-5),
    "cat": lambda x: lm.cat([x]),
    "stack": lambda x: lm.stack([x]),
}


@pytest.mark.parametrize("make", COPIES.values(), ids=COPIES.keys())
def test_copy_owns_its_storage(make):
    a = _t()
    c = make(a)
    assert not _shares(a, c)
    assert c._base is None
    c.copy_(lm.from_numpy(np.zeros(c.shape, np.float32)))
    assert a._version == 0 and a.numpy().sum() == 66


def test_contiguous_returns_self_when_already_contiguous():
    a = _t()
    assert a.contiguous() is a
    c = a.t().contiguous()
    assert c.is_contiguous() and c.stride() == (3, 1)


def test_strides_after_transpose_expand_and_slicing():
    a = _t((2, 3, 4))
    assert a.stride() == (12, 4, 1) and a.is_contiguous()
    p = a.permute(2, 0, 1)
    assert p.stride() == (1, 12, 4) and not p.is_contiguous()
    assert a.transpose(0, 2).stride() == (1, 4, 12)
    e = _t((3, 1)).expand(2, 3, 4)
    assert e.shape == (2, 3, 4) and e.stride() == (0, 1, 0)
    assert a.narrow(2, 1, 2).stride() == (12, 4, 1)
    assert a.narrow(2, 1, 2).storage_offset() == 1
    assert a.select(1, 2).storage_offset() == 8
    assert _t((3, 4)).diagonal().stride() == (5,)
    assert a.unsqueeze(1).shape == (2, 1, 3, 4)


def test_view_merging_noncontiguous_dims_raises():
    a = _t()
    with pytest.raises(RuntimeError, match=r"view size is not compatible with input tensor's size "
                                           r"and stride \(at least one dimension spans across two "
                                           r"contiguous subspaces\). Use .reshape\(...\) instead."):
        a.t().view(12)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        _t((3, 1)).expand(3, 4).view(12)
    # splitting a dim and adding size-1 dims is always possible
    v = a.t().view(2, 2, 3)
    assert _shares(a, v) and v.stride() == (2, 1, 4)
    assert a.t().view(1, 4, 3, 1).shape == (1, 4, 3, 1)
    # a strided 1-D tensor reshapes as a view, ravel copies (PyTorch: contiguous().view(-1))
    s = a.t().select(0, 1)
    assert _shares(a, s.reshape(3, 1)) and not _shares(a, s.ravel())


def test_view_dtype():
    a = lm.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    i = a.view(lm.int32)
    assert i.dtype is lm.int32 and _shares(a, i) and i._base is a
    assert i.numpy()[0, 0] == 1065353216
    assert a.view(lm.int16).shape == (2, 4)
    assert a.view(lm.float64).shape == (2, 1)
    assert a.t().view(lm.int32).stride() == (1, 2)
    with pytest.raises(RuntimeError, match=r"self.size\(-1\) must be divisible by 2 to view Float "
                                           r"as Double \(different element sizes\), but got 3"):
        _t((2, 3)).view(lm.float64)
    with pytest.raises(RuntimeError, match=r"self.stride\(-1\) must be 1 to view Float as Double"):
        _t((2, 4)).t().view(lm.float64)
    with pytest.raises(RuntimeError, match=r"self.storage_offset\(\) must be divisible by 2"):
        _t((3, 4)).narrow(1, 1, 2).view(lm.float64)
    with pytest.raises(RuntimeError, match=r"self.dim\(\) cannot be 0 to view Float as Double"):
        _t(()).view(lm.float64)


def test_expanded_views_are_read_only():
    a = _t((3, 1))
    e = a.expand(3, 4)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e.copy_(lm.from_numpy(np.zeros((3, 4), np.float32)))
    b, c = lm.broadcast_tensors(a, _t((1, 4)))
    assert b.stride() == (1, 0) and _shares(a, b) and b._base is a
    with pytest.raises(RuntimeError, match="more than one element"):
        lm.broadcast_to(a, (2, 3, 1)).copy_(lm.from_numpy(np.zeros((2, 3, 1), np.float32)))
    assert a._version == 0
    # a copy of an expanded tensor is writable and contiguous
    c = e.clone()
    assert c.stride() == (4, 1)
    c.copy_(lm.from_numpy(np.ones((3, 4), np.float32)))


def test_diagonal_is_writable_view():
    a = _t()
    d = a.diagonal(1)
    d.copy_(lm.from_numpy(np.zeros(3, np.float32)))
    assert a.numpy()[0, 1] == 0 and a.numpy()[2, 3] == 0 and a._version == 1


def test_inplace_triangles_write_through_views():
    a = _t((2, 3, 3))
    v = a.select(0, 1)
    assert v.tril_() is v
    np.testing.assert_array_equal(a.numpy()[1], np.tril(np.arange(9, 18).reshape(3, 3)))
    np.testing.assert_array_equal(a.numpy()[0], np.arange(9).reshape(3, 3))
    assert a._version == 1
    a.triu_(1)
    assert a._version == 2 and a.numpy()[0, 1, 1] == 0


def test_inplace_metadata_ops_restride_and_bump_version():
    a = _t()
    assert a.t_() is a and a.shape == (4, 3) and a.stride() == (1, 4) and a._version == 1
    a.unsqueeze_(0)
    assert a.shape == (1, 4, 3) and a._version == 2
    a.squeeze_()
    a.transpose_(0, 1)
    assert a.shape == (3, 4) and a.is_contiguous()


def test_clone_memory_formats():
    a = _t()
    assert a.t().clone().stride() == (1, 4)  # preserve_format keeps a dense layout
    assert a.t().clone(memory_format=lm.contiguous_format).stride() == (3, 1)
    assert lm.clone(a, memory_format=lm.preserve_format).stride() == (4, 1)
    assert repr(lm.preserve_format) == "lamina.preserve_format"


def test_detach_shares_storage_and_version_but_is_no_view():
    a = _t()
    a.requires_grad = True
    d = a.detach()
    assert not d.requires_grad and d._base is None
    assert np.shares_memory(a.numpy(force=True), d.numpy())
    d.copy_(lm.from_numpy(np.zeros((3, 4), np.float32)))
    assert a._version == 1 and a.numpy(force=True).sum() == 0


def test_detach_inplace():
    a = _t()
    a.requires_grad = True
    assert a.detach_() is a and not a.requires_grad
    with pytest.raises(RuntimeError, match="Can't detach views in-place. Use detach"):
        _t().select(0, 0).detach_()


def test_iteration():
    a = _t()
    rows = list(a)
    assert len(rows) == 3 and all(r._base is a for r in rows)
    np.testing.assert_array_equal(rows[2].numpy(), [8, 9, 10, 11])
    assert [x.item() for x in _t((3,))] == [0, 1, 2]
    assert list(_t((0, 2))) == []
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(_t(()))


def test_transpose_properties_warn_as_pytorch():
    a = _t((2, 3, 4))
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other than 2"):
        assert a.T.shape == (4, 3, 2)
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        assert _t(()).T.shape == ()
    with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
        assert _t(()).mT.shape == ()
    with pytest.warns(UserWarning, match="adjoint.. is deprecated on 0-D tensors"):
        lm.adjoint(_t(()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _t().T.shape == (4, 3)
        assert a.mT.shape == (2, 4, 3)
    with pytest.raises(RuntimeError, match=r"tensor.H is only supported on matrices \(2-D "
                                           r"tensors\). Got 1-D tensor.$"):
        _ = _t((3,)).H


def test_complex_adjoint_is_conjugated():
    z = lm.from_numpy(np.array([[1 + 2j, 3 - 1j]], np.complex64))
    for h in (z.mH, z.H, z.adjoint()):
        np.testing.assert_array_equal(h.numpy(), [[1 - 2j], [3 + 1j]])
    # NumPy has no conjugate views: a complex adjoint is a copy; a real one is a view.
    assert not _shares(z, z.mH)
    r = _t()
    assert _shares(r, r.mH)


def test_cat_promotes_as_pytorch():
    f = _t((2, 2))
    i = lm.from_numpy(np.ones((1, 2), np.int64))
    assert lm.cat([f, i]).dtype is lm.float32
    u = lm.from_numpy(np.ones((1, 2), np.uint8))
    s = lm.from_numpy(np.ones((1, 2), np.int8))
    assert lm.cat([u, s]).dtype is lm.int16
    assert lm.cat([f, lm.from_numpy(np.zeros(0, np.float64))]).dtype is lm.float64
    c = lm.from_numpy(np.ones((1, 2), np.complex64))
    assert lm.cat([lm.from_numpy(np.ones((1, 2))), c]).dtype is lm.complex128
    assert lm.stack([_t(()), lm.from_numpy(np.array(2))]).dtype is lm.float32


def test_cat_and_friends_with_out():
    a = _t((2, 2))
    out = lm.from_numpy(np.zeros((4, 2), np.float64))
    assert lm.cat([a, a], out=out) is out
    np.testing.assert_array_equal(out.numpy(), np.concatenate([a.numpy()] * 2))
    with pytest.raises(TypeError, match=r"lamina.cat\(\): input types can't be cast to the desired "
                                        "output type Int"):
        lm.cat([a, a], out=lm.from_numpy(np.zeros((4, 2), np.int32)))
    with pytest.raises(TypeError, match="output type Long"):
        lm.stack([a, a], out=lm.from_numpy(np.zeros((2, 2, 2), np.int64)))
    with pytest.warns(UserWarning, match="was resized"):
        r = lm.stack([a, a], 1, out=lm.from_numpy(np.zeros(3, np.float32)))
    assert r.shape == (2, 2, 2)
    out = lm.from_numpy(np.zeros((2, 2), np.float32))
    assert lm.tril(a, out=out) is out and out.numpy()[0, 1] == 0
    out = lm.from_numpy(np.zeros(2, np.float32))
    assert lm.diag(a, out=out) is out and out.numpy().tolist() == [0, 3]


def test_cat_rejects_bad_arguments():
    a = _t((2, 2))
    with pytest.raises(TypeError, match="must be tuple of Tensors, not Tensor"):
        lm.cat(a)
    with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 0, but got int"):
        lm.cat([a, 1])


def test_split_outputs_are_views_of_the_input():
    a = _t((5, 4))
    parts = a.split([2, 3])
    assert all(p._base is a and _shares(a, p) for p in parts)
    parts[1].copy_(lm.from_numpy(np.zeros((3, 4), np.float32)))
    assert a.numpy()[2:].sum() == 0 and a._version == 1
    assert [p.shape for p in lm.chunk(_t((0, 3)), 2)] == [(0, 3), (0, 3)]
    idx = lm.from_numpy(np.array([1, 3]))
    assert [p.shape[1] for p in a.tensor_split(idx, dim=1)] == [1, 2, 1]
    assert [p.shape[0] for p in a.tensor_split(lm.from_numpy(np.array(2)))] == [3, 2]
