"""Indexing semantics a value table cannot check: views against copies, setitem (broadcasting,
casting, the version counter, read-only views), the in-place ops, PyTorch's errors and warnings,
and a property test of random index expressions against NumPy."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import lamina as lm


def _t(shape=(3, 4), dtype=np.float32):
    return lm.from_numpy(np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape))


def _shares(a, b):
    return np.shares_memory(a.numpy(), b.numpy())


def _long(*values):
    return lm.from_numpy(np.array(values, dtype=np.int64))


def _idx(nested):
    return lm.from_numpy(np.array(nested, dtype=np.int64))


def _bool(*values):
    return lm.from_numpy(np.array(values, dtype=bool))


# -- views and copies -----------------------------------------------------------------------------

VIEW_KEYS = {
    "int": 1, "negint": -1, "slice": slice(1, 3), "step": (slice(None), slice(None, None, 2)),
    "ellipsis": (Ellipsis, 1), "none": (None, 0), "int+slice": (1, slice(1, None)),
    "0dim-long-tensor": lm.from_numpy(np.array(2, np.int64)), "empty-slice": slice(2, 1),
    "all": (),
}
COPY_KEYS = {
    "list": [0, 2], "long-tensor": _long(0, 0), "mask": _bool(True, False, True),
    "true": True, "slice+array": (slice(None), [1, 3]), "0dim-bool": lm.from_numpy(np.array(True)),
}


@pytest.mark.parametrize("key", VIEW_KEYS.values(), ids=VIEW_KEYS.keys())
def test_basic_index_is_a_view(key):
    x = _t()
    v = x[key]
    np.testing.assert_array_equal(v.numpy(), x.numpy()[key if not isinstance(key, lm.Tensor)
                                                         else int(key)])
    if v.numel():
        assert _shares(v, x)
    assert v._base is x
    x[...] = 1  # a write through the base is seen by the view and bumps its version counter
    if v.numel():
        assert (v.numpy() == 1).all()
    assert v._version == x._version == 1


@pytest.mark.parametrize("key", COPY_KEYS.values(), ids=COPY_KEYS.keys())
def test_advanced_index_is_a_copy(key):
    x = _t()
    c = x[key]
    assert not _shares(c, x)
    assert c._base is None
    c.numpy()[...] = -1
    np.testing.assert_array_equal(x.numpy(), np.arange(12).reshape(3, 4))


def test_int_after_view_of_view_keeps_root_base():
    x = _t((2, 3, 4))
    v = x[1][2]
    assert v._base is x and _shares(v, x)
    assert v.shape == (4,)


def test_pytorch_applies_ints_before_index_arrays():
    # NumPy puts the advanced dims first here (the int counts as advanced); PyTorch does not.
    x = _t((2, 3, 4))
    assert x[0, :, [1, 2]].shape == (3, 2)
    assert x[[0], :, 0].shape == (1, 3)
    assert x[[0, 1], None, [0, 1]].shape == (2, 1, 4)
    np.testing.assert_array_equal(x[0, :, [1, 2]].numpy(), x.numpy()[0][:, [1, 2]])


def test_bool_scalars_and_sequences():
    x = _t()
    assert x[True].shape == (1, 3, 4)
    assert x[False].shape == (0, 3, 4)
    assert x[0, True].shape == (1, 4)
    assert x[[0.7, 1]].shape == (2, 4)  # a list becomes a long tensor, floats truncated
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        assert x[[[0, 1], [1, 2]]].shape == (2,)  # a list of lists is a tuple of indices
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        r = x[lm.from_numpy(np.array([1, 0, 1], np.uint8))]
    np.testing.assert_array_equal(r.numpy(), x.numpy()[[0, 2]])
    assert x[0, ..., 1, ...].shape == ()  # PyTorch accepts a second ellipsis


def test_index_tensors_in_any_layout():
    x = _t((4, 5))
    idx = lm.from_numpy(np.array([[3, 0], [1, 2]], np.int64).T)  # transposed index
    np.testing.assert_array_equal(x[idx].numpy(), x.numpy()[idx.numpy()])
    mask = lm.from_numpy(np.ones((5, 4), bool).T[:, ::-1])
    np.testing.assert_array_equal(x[mask].numpy(), x.numpy().reshape(-1))


# -- setitem --------------------------------------------------------------------------------------

def test_setitem_broadcasts_and_writes_through_views():
    x = _t()
    row = x[1]
    x[1] = 7
    x[:, 0] = lm.from_numpy(np.array([10.0, 20.0, 30.0], np.float32))
    x[2] = lm.from_numpy(np.ones((1, 1, 4), np.float32))  # leading size-1 dims are dropped
    expected = np.arange(12, dtype=np.float32).reshape(3, 4)
    expected[1] = 7
    expected[:, 0] = [10, 20, 30]
    expected[2] = 1
    np.testing.assert_array_equal(x.numpy(), expected)
    np.testing.assert_array_equal(row.numpy(), expected[1])
    assert x._version == row._version == 3


def test_setitem_advanced_and_masks():
    x = _t()
    x[[0, 2], [1, 3]] = lm.from_numpy(np.array([-1.0, -2.0], np.float32))
    x[x.numpy() > 9] = 0.5  # a NumPy bool array is a mask too
    x[_bool(False, True, False)] = lm.from_numpy(np.array(4.0))  # one mask: any dtype value
    expected = np.arange(12, dtype=np.float32).reshape(3, 4)
    expected[[0, 2], [1, 3]] = [-1, -2]
    expected[expected > 9] = 0.5
    expected[1] = 4
    np.testing.assert_array_equal(x.numpy(), expected)
    assert x._version == 3


def test_setitem_casts_to_the_tensor_dtype():
    x = _t(dtype=np.int64)
    x[0] = 2.7
    x[1] = lm.from_numpy(np.full(4, 5.9))  # basic: copied with a cast
    assert x.dtype is lm.int64
    np.testing.assert_array_equal(x.numpy()[:2], [[2] * 4, [5] * 4])
    u = lm.from_numpy(np.zeros(3, np.uint8))
    u[0] = -1  # PyTorch wraps negative integers into unsigned types
    assert u.numpy()[0] == 255
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = lm.from_numpy(np.zeros(3, bool))
        b[1] = 5
    assert b.numpy().tolist() == [False, True, False]
    with pytest.warns(Warning, match="discards the imaginary part"):
        x[2] = lm.from_numpy(np.array(1 + 1j))


@pytest.mark.parametrize("key, value, exc, match", [
    ([0], lm.from_numpy(np.ones(4)), RuntimeError,
     r"Index put requires the source and destination dtypes match, got Float for the destination "
     r"and Double for the source"),
    ([0, 1], lm.from_numpy(np.ones(3, np.float32)), RuntimeError,
     r"shape mismatch: value tensor of shape \[3\] cannot be broadcast to indexing result of "
     r"shape \[2, 4\]"),
    (0, lm.from_numpy(np.ones(3, np.float32)), RuntimeError,
     r"The expanded size of the tensor \(4\) must match the existing size \(3\) at non-singleton "
     r"dimension 0"),
    (0, lm.from_numpy(np.ones((2, 1, 4), np.float32)), RuntimeError,
     r"the number of sizes provided \(1\) must be greater or equal to the number of dimensions"),
    (0, [1, 2, 3, 4], TypeError, r"can't assign a list to a lamina.FloatTensor"),
    (0, np.float32(1), TypeError, r"can't assign a numpy.float32"),
    (0, 1e39, RuntimeError, r"value cannot be converted to type float without overflow"),
    (0, 1 + 1j, RuntimeError, r"value cannot be converted to type float without overflow"),
    ([5], 1.0, IndexError, r"index 5 is out of bounds for dimension 0 with size 3"),
    ((0, 4), 1.0, IndexError, r"index 4 is out of bounds for dimension 1 with size 4"),
])
def test_setitem_errors_leave_the_tensor_alone(key, value, exc, match):
    x = _t()
    with pytest.raises(exc, match=match):
        x[key] = value
    np.testing.assert_array_equal(x.numpy(), np.arange(12).reshape(3, 4))
    assert x._version == 0


def test_setitem_integer_overflow():
    x = lm.from_numpy(np.zeros(3, np.int8))
    with pytest.raises(RuntimeError, match="int8_t without overflow"):
        x[0] = 200
    with pytest.raises(RuntimeError, match="int8_t without overflow"):
        x[[0]] = float("nan")


@pytest.mark.parametrize("key", [0, [0], (0, 1), Ellipsis])
def test_setitem_into_expanded_view_refuses(key):
    e = lm.from_numpy(np.zeros(3, np.float32)).expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e[key] = 1.0


# -- in-place ops: the result is self, one version bump, the out-of-place op leaves input alone ---

INPLACE = {
    "scatter_": (lambda t: t.scatter(0, _idx([[2, 0, 1, 0]]), 9.0),
                 lambda t: t.scatter_(0, _idx([[2, 0, 1, 0]]), 9.0)),
    "scatter_add_": (lambda t: t.scatter_add(1, _idx([[0, 0]]), _t((1, 2))),
                     lambda t: t.scatter_add_(1, _idx([[0, 0]]), _t((1, 2)))),
    "index_add_": (lambda t: t.index_add(0, _long(2, 2), _t((2, 4)), alpha=2),
                   lambda t: t.index_add_(0, _long(2, 2), _t((2, 4)), alpha=2)),
    "index_fill_": (lambda t: t.index_fill(1, _long(-1, 0), -3.0),
                    lambda t: t.index_fill_(1, _long(-1, 0), -3.0)),
    "index_put_": (lambda t: t.index_put((_long(0, 0), _long(1, 1)), _t((2,)), accumulate=True),
                   lambda t: t.index_put_((_long(0, 0), _long(1, 1)), _t((2,)), accumulate=True)),
    "masked_fill_": (lambda t: t.masked_fill(_bool(True, False, False, True), 5.0),
                     lambda t: t.masked_fill_(_bool(True, False, False, True), 5.0)),
    "put_": (lambda t: t.put(_long(11, -12, 0), _t((3,)), accumulate=True),
             lambda t: t.put_(_long(11, -12, 0), _t((3,)), accumulate=True)),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_matches_out_of_place(name):
    out_of_place, inplace = INPLACE[name]
    x = _t()
    r = out_of_place(x)
    np.testing.assert_array_equal(x.numpy(), np.arange(12).reshape(3, 4))
    assert x._version == 0 and not _shares(r, x)
    assert inplace(x) is x
    assert x._version == 1
    np.testing.assert_array_equal(x.numpy(), r.numpy())


def test_inplace_values():
    x = _t()
    np.testing.assert_array_equal(
        x.index_add(0, _long(2, 2), _t((2, 4)), alpha=2).numpy()[2], [16, 21, 26, 31])
    np.testing.assert_array_equal(x.put(_long(11, -12, 0), _t((3,)), accumulate=True).numpy()
                                  .reshape(-1)[[0, 11]], [3, 11])
    np.testing.assert_array_equal(x.index_fill(1, _long(-1, 0), -3.0).numpy()[:, [0, 3]], -3)
    np.testing.assert_array_equal(
        x.index_put((_long(0, 0), _long(1, 1)), _t((2,)), accumulate=True).numpy()[0, 1], 2)
    m = _bool(True, False, True).numpy()[:, None]
    np.testing.assert_array_equal(x.scatter(1, _idx([[0], [1], [2]]), 2.0, reduce="multiply")
                                  .numpy()[[0, 1, 2], [0, 1, 2]], [0, 10, 20])
    np.testing.assert_array_equal(x.masked_fill(lm.from_numpy(m), 0).numpy()[[0, 2]], 0)


def test_inplace_masked_fill_shape_and_bool_mask():
    with pytest.raises(RuntimeError, match=r"output with shape \[4\] doesn't match the broadcast "
                                           r"shape \[3, 4\]"):
        _t((4,)).masked_fill_(lm.from_numpy(np.ones((3, 4), bool)), 0)
    with pytest.raises(RuntimeError, match="only supports boolean masks"):
        _t().masked_fill_(lm.from_numpy(np.ones(4, np.uint8)), 0)


def test_scatter_reduce_and_value_forms():
    x = lm.from_numpy(np.ones((2, 3), np.float32))
    idx = _idx([[0, 1, 0]])
    np.testing.assert_array_equal(lm.scatter(x, 0, idx, value=4.0).numpy(),
                                  [[4, 1, 4], [1, 4, 1]])
    with pytest.warns(UserWarning, match="reduce argument"):
        r = x.scatter(0, idx, _t((1, 3)) + 2, reduce="add")
    np.testing.assert_array_equal(r.numpy(), [[3, 1, 5], [1, 4, 1]])
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        x.scatter(0, idx, 1.0, reduce="sum")


# -- take_along_dim, argwhere, where(condition), out= ---------------------------------------------

def test_take_along_dim():
    x = _t((3, 4))
    idx = np.argsort(-x.numpy(), axis=1)
    np.testing.assert_array_equal(lm.take_along_dim(x, lm.from_numpy(idx), dim=1).numpy(),
                                  np.take_along_axis(x.numpy(), idx, axis=1))
    # Broadcast outside the dim: one row of indices for every row of x.
    np.testing.assert_array_equal(x.take_along_dim(_idx([[3, 0]]), 1).numpy(),
                                  x.numpy()[:, [3, 0]])
    np.testing.assert_array_equal(x.take_along_dim(_long(11, 0)).numpy(), [11, 0])
    with pytest.raises(RuntimeError, match="index 4 is out of bounds for dimension 1 with size 4"):
        x.take_along_dim(_idx([[4]]), 1)
    with pytest.raises(RuntimeError, match="should have the same number of dimensions"):
        x.take_along_dim(_long(0), 1)


def test_nonzero_forms():
    x = lm.from_numpy(np.array([[0, 1.5], [2, 0]], np.float32))
    expected = np.argwhere(x.numpy())
    np.testing.assert_array_equal(lm.argwhere(x).numpy(), expected)
    rows, cols = lm.where(lm.from_numpy(x.numpy() != 0))
    np.testing.assert_array_equal(rows.numpy(), expected[:, 0])
    np.testing.assert_array_equal(cols.numpy(), expected[:, 1])
    (only,) = lm.nonzero(lm.from_numpy(np.array(3.0)), as_tuple=True)
    assert only.tolist() == [0]
    out = lm.from_numpy(np.zeros(0, np.int64))
    assert lm.nonzero(x, out=out) is out
    np.testing.assert_array_equal(out.numpy(), expected)
    with pytest.raises(RuntimeError, match="Expected out tensor to have scalar type Long"):
        lm.nonzero(x, out=lm.from_numpy(np.zeros(0, np.float32)))


def test_where_promotes_and_takes_numbers():
    c = lm.from_numpy(np.array([True, False]))
    i = lm.from_numpy(np.array([1, 2], np.int32))
    assert lm.where(c, i, 0.5).dtype is lm.float32
    assert lm.where(c, i, 7).dtype is lm.int32
    assert lm.where(c, 1, 0).dtype is lm.int64
    assert lm.where(c, i, lm.from_numpy(np.array([1, 2], np.int64))).dtype is lm.int64
    np.testing.assert_array_equal(i.where(c, -1).numpy(), [1, -1])
    with pytest.raises(RuntimeError, match="uint8_t without overflow"):
        lm.where(c, lm.from_numpy(np.zeros(2, np.uint8)), 300)


def test_out_arguments():
    x = _t()
    out = lm.from_numpy(np.zeros((3, 2), np.float32))
    assert lm.index_select(x, 1, _long(3, 0), out=out) is out
    np.testing.assert_array_equal(out.numpy(), x.numpy()[:, [3, 0]])
    out = lm.from_numpy(np.zeros(0, np.float32))
    lm.masked_select(x, lm.from_numpy(x.numpy() > 8), out=out)
    np.testing.assert_array_equal(out.numpy(), [9, 10, 11])


# -- random index expressions against NumPy --------------------------------------------------------

SHAPE = (4, 3, 5)


@st.composite
def index_expressions(draw):
    """A random mix of ints, slices, None, ..., index lists, index tensors and masks.

    Ints never appear alongside index arrays: NumPy then counts them as advanced indices and may
    move the result dims where PyTorch (and lamina) would not (see the test above).
    """
    dims = list(SHAPE)
    advanced = draw(st.booleans())
    key, used, ellipsis = [], 0, False
    while used < len(dims) and draw(st.integers(0, 3)):
        n = dims[used]
        kinds = ["slice", "none", "ellipsis"] + (["list", "tensor", "mask"] if advanced
                                                 else ["int"])
        kind = draw(st.sampled_from(kinds))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-n - 2, n + 2))
            stop = draw(st.none() | st.integers(-n - 2, n + 2))
            key.append(slice(start, stop, draw(st.none() | st.integers(1, 3))))
        elif kind == "none":
            key.append(None)
            continue
        elif kind == "ellipsis":
            if ellipsis:
                continue
            ellipsis = True
            key.append(Ellipsis)
            used = len(dims) - draw(st.integers(0, len(dims) - used))
            continue
        elif kind == "mask":
            k = draw(st.integers(1, len(dims) - used))
            m = int(np.prod(dims[used:used + k]))
            bits = draw(st.lists(st.booleans(), min_size=m, max_size=m))
            key.append(np.array(bits, bool).reshape(dims[used:used + k]))
            used += k
            continue
        else:
            size = draw(st.integers(0, 3))
            values = draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size))
            key.append(values if kind == "list" else np.array(values, np.int64))
        used += 1
    return tuple(key)


def _as_lamina_key(key):
    return tuple(lm.from_numpy(k) if isinstance(k, np.ndarray) else k for k in key)


def _numpy_key(key):
    return tuple(np.array(k, np.int64) if isinstance(k, list) else k for k in key)


def _ellipsis_between_advanced(key):
    """NumPy counts index arrays with an Ellipsis between them as separated even when the
    Ellipsis spans no dim, and moves their result dims first; PyTorch keeps them in place."""
    advanced = [i for i, k in enumerate(key) if isinstance(k, (list, np.ndarray))]
    return bool(advanced) and any(k is Ellipsis for k in key[advanced[0]:advanced[-1]])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(index_expressions())
def test_random_index_expressions_match_numpy(key):
    assume(not _ellipsis_between_advanced(key))
    base = np.arange(int(np.prod(SHAPE)), dtype=np.float64).reshape(SHAPE)
    nkey = _numpy_key(key)
    try:
        expected = np.asarray(base[nkey])
    except IndexError:
        # NumPy refuses index arrays that do not broadcast; so must lamina.
        with pytest.raises(IndexError):
            lm.from_numpy(base.copy())[_as_lamina_key(key)]
        return
    x = lm.from_numpy(base.copy())
    got = x[_as_lamina_key(key)]
    np.testing.assert_array_equal(got.numpy(), expected)
    # setitem through the same expression writes those elements (the last write wins where an
    # index repeats, in NumPy and here alike).
    value = np.asarray(-np.arange(expected.size, dtype=np.float64).reshape(expected.shape) - 1)
    want = base.copy()
    want[nkey] = value
    x[_as_lamina_key(key)] = lm.from_numpy(value)
    np.testing.assert_array_equal(x.numpy(), want)
