"""Op table entries for lamina/_ops/indexing.py and lamina/_ops/gather_scatter.py.

Indexing moves elements without arithmetic, so one dtype per category covers it (plus uint8 for
the value conversions of masked_fill). Index arrays in the samples are int64 NumPy arrays, which
the generic test turns into tensors in every layout like any other argument; the references are
NumPy's indexing (on which PyTorch's agrees wherever these samples go) or plain loops.
"""

import numpy as np

import lamina as lm
from opdb import ErrorInput, OpInfo, Sample
from opdb import make_array as _array  # a short name: the samples below use it on most lines

DTYPES = ("bool", "int32", "float32", "float64", "complex64", "complex128")


def _index(shape, high, rng):
    return rng.integers(0, high, size=shape).astype(np.int64)


def _errors(*spec):
    """ErrorInputs from (args, exception, regex) triples, or (args, kwargs, exception, regex)
    quadruples; arrays in args become tensors."""
    return lambda: [ErrorInput(Sample(tuple(args), dict(*kwargs), name=f"{i}-{match[:30]}"), exc,
                               match)
                    for i, (args, *kwargs, exc, match) in enumerate(spec)]


F = np.arange(12, dtype=np.float32).reshape(3, 4)
I64 = np.array


# -- __getitem__ ----------------------------------------------------------------------------------

def _getitem_samples(dtype, rng):
    x = _array((3, 4, 5), dtype, rng)
    keys = {
        "int": (1,), "negint": (-1, 2), "slice": (slice(1, None),), "negslice": (slice(-3, -1),),
        "step": (slice(None), slice(None, None, 2)), "ellipsis": (Ellipsis, 0),
        "none": (None, 1, None), "intarray": (I64([0, 2, 2, -1]),),
        "intarray2d": (slice(None), I64([[0, 1], [3, 2]])),
        "adjacent": (slice(None), I64([0, 1]), I64([4, 0])),
        "separated": (I64([0, 2]), slice(None), I64([1, 3])),
        "mask": (_array((3,), "bool", rng),), "mask2d": (Ellipsis, _array((4, 5), "bool", rng)),
        "emptyarray": (I64([], dtype=np.int64),), "slice+array": (slice(0, 2), I64([[3], [0]])),
    }
    for name, key in keys.items():
        yield Sample((x, key), name=name)
    yield Sample((_array((), dtype, rng), (Ellipsis, None)), name="0dim")
    yield Sample((_array((0, 3), dtype, rng), (slice(None), I64([2, 0]))), name="empty")


def _getitem_grad_samples(dtype, rng):
    # The forward samples index a (3, 4, 5) array, past gradcheck's size limit: one of each kind
    # of key on 24 elements instead. Repeated indices accumulate their gradients.
    x = _array((2, 3, 4), dtype, rng)
    yield Sample((x, (None, 1, slice(None, None, 2), slice(-3, None))), name="basic")
    yield Sample((x, (slice(None), I64([2, 0, 2, -1]))), name="repeated")
    yield Sample((x, (I64([[0], [1]]), slice(1, 3), I64([3, 3, 0]))), name="separated")
    yield Sample((x, (Ellipsis, _array((3, 4), "bool", rng))), name="mask")


def _getitem(t, key):
    return t[key]


def _getitem_ref(x, key):
    return np.asarray(x[key])


# -- along a dim ----------------------------------------------------------------------------------

def _index_select_samples(dtype, rng):
    yield Sample((_array((3, 4), dtype, rng), 1, I64([3, 0, 0])), name="dim1")
    yield Sample((_array((3, 4), dtype, rng), 0, I64([2, 1, 0, 2])), name="dim0")
    yield Sample((_array((2, 3, 4), dtype, rng), -1, I64([1])), name="batched")
    yield Sample((_array((0, 4), dtype, rng), 1, I64([1, 1])), name="empty")
    yield Sample((_array((3, 4), dtype, rng), 0, I64([], dtype=np.int64)), name="emptyindex")
    yield Sample((_array((), dtype, rng), 0, I64([0])), name="0dim")


def _index_select_ref(x, dim, index):
    return np.take(x, index, axis=dim) if x.ndim else x.copy()


def _add_at(out, key, values):
    """np.add.at (duplicates add up), with PyTorch's bool addition, a logical or."""
    if out.dtype == np.bool_:
        acc = out.astype(np.int8)
        np.add.at(acc, key, np.asarray(values).astype(np.int8))
        out[...] = acc.astype(bool)
    else:
        np.add.at(out, key, values)


# Per dtype: a non-trivial alpha for index_add (none for bool) and a fill value for index_fill.
_ALPHA = {"int32": -2, "float32": 0.5, "float64": -1.5, "complex64": 1 - 2j, "complex128": 2 + 1j}
_FILL = {"bool": True, "int32": -3, "float32": -2.5, "float64": 7.25, "complex64": 1 - 2j,
         "complex128": -1 + 3j}


def _index_add_samples(dtype, rng):
    yield Sample((_array((3, 4), dtype, rng), 0, I64([0, 2, 0, 0]), _array((4, 4), dtype, rng)),
                 name="repeated")
    yield Sample((_array((3, 4), dtype, rng), 1, I64([3, 1, 3]), _array((3, 3), dtype, rng)),
                 name="dim1")
    yield Sample((_array((2, 3, 4), dtype, rng), -2, I64([2, 2]), _array((2, 2, 4), dtype, rng)),
                 name="batched")
    yield Sample((_array((5,), dtype, rng), 0, I64(3), _array((1,), dtype, rng)), name="0dimindex")
    # A 0-dim input takes a 0-dim source only (a 1-dim one raises: see the error inputs).
    yield Sample((_array((), dtype, rng), 0, I64([0]), _array((), dtype, rng)), name="0dim")
    yield Sample((_array((0, 4), dtype, rng), 1, I64([1, 1]), _array((0, 2), dtype, rng)),
                 name="empty")
    yield Sample((_array((3, 4), dtype, rng), 0, I64([], dtype=np.int64),
                  _array((0, 4), dtype, rng)), name="emptyindex")
    yield Sample((_array((3, 4), dtype, rng), 1, np.array([2, 2, 0], np.int32),
                  _array((3, 3), dtype, rng)), name="int32index")
    if dtype in _ALPHA:
        yield Sample((_array((3, 4), dtype, rng), 0, I64([1, 1, 2]), _array((3, 4), dtype, rng)),
                     {"alpha": _ALPHA[dtype]}, name="alpha")


def _index_add_ref(x, dim, index, source, alpha=1):
    out = x.copy()
    if x.ndim == 0:
        _add_at(out.reshape(1), index.reshape(-1), source.reshape(-1) * alpha)
        return out
    # Move `dim` to the front of both: the index then picks whole slices, repeats adding up.
    target = np.moveaxis(out, dim, 0)
    _add_at(target, index.reshape(-1), np.moveaxis(source.reshape(
        [index.size if d == dim % x.ndim else n for d, n in enumerate(x.shape)]), dim, 0) * alpha)
    return out


def _index_fill_samples(dtype, rng):
    value = _FILL[dtype]
    yield Sample((_array((3, 4), dtype, rng), 1, I64([0, -1, 0]), value), name="negrepeated")
    yield Sample((_array((3, 4), dtype, rng), 0, I64(2), value), name="0dimindex")
    yield Sample((_array((2, 3, 4), dtype, rng), -1, I64([1, 3]), value), name="batched")
    yield Sample((_array((), dtype, rng), 0, I64([0, -1]), value), name="0dim")
    yield Sample((_array((0, 4), dtype, rng), 1, I64([1]), value), name="empty")
    yield Sample((_array((3, 4), dtype, rng), 1, I64([], dtype=np.int64), value),
                 name="emptyindex")
    yield Sample((_array((3, 4), dtype, rng), 0, I64([2, 0]), _array((), dtype, rng)),
                 name="tensorvalue")
    if dtype != "bool":
        yield Sample((_array((3, 4), dtype, rng), 1, I64([-4]), 5), name="intvalue")


def _index_fill_grad_samples(dtype, rng):
    # A tensor value first (the sweep takes four samples): its gradient sums each filled slice
    # once, however often (or however wrapped) its index repeats.
    yield Sample((_array((3, 4), dtype, rng), 1, I64([0, -1, 3]), _array((), dtype, rng)),
                 name="tensorrepeated")
    yield from _index_fill_samples(dtype, rng)


def _index_fill_ref(x, dim, index, value):
    out = x.copy()
    target = np.moveaxis(out, dim, 0) if x.ndim else out.reshape(1)
    target[index.reshape(-1)] = np.asarray(value).astype(x.dtype)  # negatives wrap, as in NumPy
    return out


def _gather_samples(dtype, rng):
    yield Sample((_array((3, 4), dtype, rng), 1, _index((3, 6), 4, rng)), name="dim1")
    yield Sample((_array((3, 4), dtype, rng), 0, _index((2, 3), 3, rng)), name="smaller")
    yield Sample((_array((2, 3, 4), dtype, rng), -2, _index((2, 5, 4), 3, rng)), name="batched")
    yield Sample((_array((3, 4), dtype, rng), 1, _index((3, 0), 4, rng)), name="empty")
    yield Sample((_array((), dtype, rng), 0, I64(0)), name="0dim")


def _gather_ref(x, dim, index):
    if x.ndim == 0:
        return x.copy()
    cut = x[tuple(slice(0, n) if d != dim % x.ndim else slice(None)
                  for d, n in enumerate(index.shape))]
    return np.take_along_axis(cut, index, axis=dim)


def _scatter_samples(dtype, rng):
    # Distinct targets along the dim: which of several writes to one element wins is unspecified.
    for shape, dim, ishape in (((3, 4), 0, (2, 4)), ((3, 4), 1, (3, 2)), ((2, 3, 4), 2, (2, 2, 3)),
                               ((3, 4), 0, (0, 4))):
        full = ishape[:dim] + (shape[dim],) + ishape[dim + 1:]
        order = np.argsort(rng.random(full), axis=dim)
        index = order.take(np.arange(ishape[dim]), axis=dim).astype(np.int64)
        src = _array(tuple(n + 1 for n in ishape), dtype, rng)
        yield Sample((_array(shape, dtype, rng), dim, index, src), name=f"{shape}-{dim}-{ishape}")


def _scatter_ref(x, dim, index, src, add=False):
    out = x.copy()
    for pos in np.ndindex(index.shape):
        target = list(pos)
        target[dim] = index[pos]
        if add:
            out[tuple(target)] += src[pos]
        else:
            out[tuple(target)] = src[pos]
    return out


def _scatter_add_samples(dtype, rng):
    yield from _scatter_samples(dtype, rng)
    # Repeated targets add up.
    yield Sample((_array((3, 4), dtype, rng), 0, I64([[0, 0, 2, 0], [0, 1, 2, 0]]),
                  _array((2, 4), dtype, rng)), name="repeated")


def _scatter_add_ref(x, dim, index, src):
    if x.dtype == np.bool_:  # PyTorch's bool addition is a logical or
        return _scatter_ref(x.astype(np.int8), dim, index, src, add=True).astype(bool)
    return _scatter_ref(x, dim, index, src, add=True)


def _take_samples(dtype, rng):
    yield Sample((_array((3, 4), dtype, rng), I64([[0, 11], [-1, -12]])), name="2d")
    yield Sample((_array((5,), dtype, rng), I64(3)), name="0dimindex")
    yield Sample((_array((), dtype, rng), I64([0, 0])), name="0dim")
    yield Sample((_array((0, 4), dtype, rng), I64([], dtype=np.int64)), name="empty")


def _take_ref(x, index):
    return x.reshape(-1)[index]


def _put_samples(dtype, rng):
    yield Sample((_array((3, 4), dtype, rng), I64([0, -1, 5]), _array((3,), dtype, rng)),
                 name="neg")
    # Index and source need the same number of elements, not the same shape.
    yield Sample((_array((3, 4), dtype, rng), I64([[0, 7], [10, -11]]), _array((4,), dtype, rng)),
                 name="2dindex")
    yield Sample((_array((2, 3, 4), dtype, rng), I64([23, 0, 12, 5, -2]),
                  _array((5,), dtype, rng)), name="batched")
    yield Sample((_array((3, 4), dtype, rng), I64([[0, 0], [11, -12]]),
                  _array((2, 2), dtype, rng), True), name="accumulate")
    yield Sample((_array((3, 4), dtype, rng), I64([3, 3, 3, -9]), _array((4,), dtype, rng)),
                 {"accumulate": True}, name="accumulatekw")
    yield Sample((_array((), dtype, rng), I64(0), _array((), dtype, rng)), name="0dim")
    yield Sample((_array((), dtype, rng), I64([0, -1]), _array((2,), dtype, rng)),
                 {"accumulate": True}, name="0dimaccumulate")
    yield Sample((_array((0, 3), dtype, rng), I64([], dtype=np.int64), _array((0,), dtype, rng)),
                 name="empty")


def _put_ref(x, index, source, accumulate=False):
    out = x.copy()
    flat = out.reshape(-1)  # a view: `out` is a fresh contiguous copy
    if accumulate:
        _add_at(flat, index.reshape(-1), source.reshape(-1))
    else:
        flat[index.reshape(-1)] = source.reshape(-1)
    return out


def _take_along_dim_samples(dtype, rng):
    yield Sample((_array((3, 4), dtype, rng), _index((3, 6), 4, rng), 1), name="dim1")
    yield Sample((_array((3, 4), dtype, rng), _index((2, 1), 3, rng)), {"dim": 0},
                 name="broadcastindex")
    yield Sample((_array((2, 1, 3), dtype, rng), _index((1, 4, 2), 3, rng), -1),
                 name="broadcastboth")
    yield Sample((_array((3, 4), dtype, rng), I64([[0, -1, -4, 2]]), 1), name="negative")
    yield Sample((_array((3, 4), dtype, rng), I64([[0, 5], [1, 11]])), name="flat")
    yield Sample((_array((2, 3), dtype, rng), np.array([5, 0, 0], np.int32)), {"dim": None},
                 name="flatint32")
    yield Sample((_array((), dtype, rng), I64(0)), name="0dim")
    yield Sample((_array((), dtype, rng), I64([0, 0])), name="0dimflat")
    yield Sample((_array((0, 3), dtype, rng), _index((1, 2), 3, rng), 1), name="empty")
    yield Sample((_array((2, 3), dtype, rng), _index((2, 0), 3, rng), -1), name="emptyindex")


def _take_along_dim_ref(x, indices, dim=None):
    if dim is None:
        return x.reshape(-1)[indices.reshape(-1)]
    # Broadcast input and indices against each other on every dim but `dim`.
    d = dim % x.ndim
    shape = np.broadcast_shapes(*(a.shape[:d] + (1,) + a.shape[d + 1:] for a in (x, indices)))
    xs = shape[:d] + (x.shape[d],) + shape[d + 1:]
    js = shape[:d] + (indices.shape[d],) + shape[d + 1:]
    return np.take_along_axis(np.broadcast_to(x, xs), np.broadcast_to(indices, js), axis=d)


# -- index_put ------------------------------------------------------------------------------------

def _index_put_samples(dtype, rng):
    # Without accumulate the targets are distinct: which of several writes wins is unspecified.
    yield Sample((_array((3, 4), dtype, rng), (I64([0, -1]),), _array((4,), dtype, rng)),
                 name="rows")
    yield Sample((_array((3, 4), dtype, rng), (I64([0, 2]), I64([-1, 1])),
                  _array((2,), dtype, rng)), name="pairs")
    yield Sample((_array((2, 3, 4), dtype, rng), (I64([[0], [1]]), I64([2, 0, 1])),
                  _array((2, 3, 4), dtype, rng)), name="broadcastindex")
    yield Sample((_array((5,), dtype, rng), (np.array([4, 1, -2], np.int32),),
                  _array((3,), dtype, rng)), name="int32index")
    yield Sample((_array((5,), dtype, rng), (I64(3),), _array((), dtype, rng)), name="0dimindex")
    yield Sample((_array((3, 4), dtype, rng), (_array((3, 4), "bool", rng),),
                  _array((), dtype, rng)), name="mask")
    yield Sample((_array((3, 4), dtype, rng), (_array((3,), "bool", rng),),
                  _array((1, 4), dtype, rng)), name="rowmask")
    yield Sample((_array((0, 3), dtype, rng), (I64([], dtype=np.int64),), _array((), dtype, rng)),
                 name="empty")
    yield Sample((_array((2, 0, 3), dtype, rng), (I64([1, 0]),), _array((3,), dtype, rng)),
                 name="emptyslices")
    # Repeated targets add up.
    yield Sample((_array((3, 4), dtype, rng), (I64([0, 0, -1, 2]),), _array((4, 4), dtype, rng),
                  True), name="accumulate")
    yield Sample((_array((3, 4), dtype, rng), (I64([0, 0, 1]), I64([1, 1, -1])),
                  _array((3,), dtype, rng)), {"accumulate": True}, name="accumulatepairs")
    yield Sample((_array((3, 4), dtype, rng), (_array((3, 4), "bool", rng),),
                  _array((), dtype, rng)), {"accumulate": True}, name="accumulatemask")


def _index_put_grad_samples(dtype, rng):
    # Broadcast values, a mask and repeated targets, which only accumulate differentiably.
    yield Sample((_array((3, 4), dtype, rng), (I64([0, -1]),), _array((4,), dtype, rng)),
                 name="rows")
    yield Sample((_array((3, 4), dtype, rng), (_array((3, 4), "bool", rng),),
                  _array((), dtype, rng)), name="mask")
    yield Sample((_array((3, 4), dtype, rng), (I64([0, 0, -1, 2]),), _array((4, 4), dtype, rng),
                  True), name="accumulate")
    yield Sample((_array((3, 4), dtype, rng), (I64([0, 0, 1]), I64([1, 1, -1])),
                  _array((3,), dtype, rng)), {"accumulate": True}, name="accumulatepairs")


def _index_put_ref(x, indices, values, accumulate=False):
    out = x.copy()
    if accumulate:
        _add_at(out, tuple(indices), values)
    else:
        out[tuple(indices)] = values
    return out


# -- masks ----------------------------------------------------------------------------------------

def _masked_fill_samples(dtype, rng):
    for xs, ms in (((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((), ()), ((0, 4), (4,))):
        yield Sample((_array(xs, dtype, rng), _array(ms, "bool", rng), 1), name=f"{xs}-{ms}")
    yield Sample((_array((3, 4), dtype, rng), _array((3, 4), "bool", rng),
                  _array((), dtype, rng)), name="tensorvalue")


def _masked_fill_grad_samples(dtype, rng):
    # A tensor value first (the sweep takes four samples): it gets the sum over the mask.
    yield Sample((_array((3, 4), dtype, rng), _array((4,), "bool", rng), _array((), dtype, rng)),
                 name="tensorvalue")
    yield from _masked_fill_samples(dtype, rng)


def _masked_fill_ref(x, mask, value):
    return np.where(mask, np.asarray(value).astype(x.dtype), x)


def _masked_select_samples(dtype, rng):
    for xs, ms in (((3, 4), (3, 4)), ((2, 3, 4), (3, 1)), ((4,), (3, 4)), ((), ()), ((), (3,)),
                   ((0, 4), (4,))):
        yield Sample((_array(xs, dtype, rng), _array(ms, "bool", rng)), name=f"{xs}-{ms}")


def _masked_select_ref(x, mask):
    xb, mb = np.broadcast_arrays(x, mask)
    return xb[mb]


def _where_samples(dtype, rng):
    for cs, a, b in (((3, 4), (3, 4), (3, 4)), ((3, 1), (4,), (3, 4)), ((), (2, 3), ()),
                     ((0, 3), (3,), (1,))):
        yield Sample((_array(cs, "bool", rng), _array(a, dtype, rng), _array(b, dtype, rng)),
                     name=f"{cs}-{a}-{b}")


def _nonzero_samples(dtype, rng):
    for shape in ((3, 4), (2, 3, 4), (5,), (), (0, 3)):
        yield Sample((_array(shape, dtype, rng),), name=str(shape))


def _argwhere_samples(dtype, rng):
    for shape in ((3, 4), (2, 3, 4), (5,), (0, 3)):
        x = _array(shape, dtype, rng)
        x[rng.random(shape) < 0.4] = 0
        yield Sample((x,), name=str(shape))
    yield Sample((np.ones((), dtype),), name="0dim")
    yield Sample((np.zeros((), dtype),), name="0dimzero")


# vmap: the sweep maps every array argument, index tensors (and index_put's tuple of them) too;
# the ops check a mapped index's bounds on the whole batch and hand it to the primitives. Not
# flagged: masked_select over a mapped mask raises as torch.func does (a shape per element), and
# nonzero/argwhere have data-dependent shapes (test_func_shape.py tests both errors).
OPS = [
    OpInfo("__getitem__", _getitem, _getitem_ref, _getitem_samples, dtypes=DTYPES,
           grad_samples=_getitem_grad_samples,
           errors=_errors(
               ((F, 5), IndexError, r"index 5 is out of bounds for dimension 0 with size 3"),
               ((F, (slice(None), I64([4]))), IndexError,
                r"index 4 is out of bounds for dimension 0 with size 4"),
               ((F, slice(None, None, -1)), ValueError, r"step must be greater than zero"),
               ((F, (0, 0, 0)), IndexError, r"too many indices for tensor of dimension 2"),
               ((F, np.array([0.5], np.float32)), IndexError,
                r"tensors used as indices must be long, int, byte or bool tensors"),
               ((F, (I64([0, 1]), I64([0, 1, 2]))), IndexError,
                r"shape mismatch: indexing tensors could not be broadcast together with shapes "
                r"\[2\], \[3\]"),
               ((F, np.ones(4, bool)), IndexError, r"The shape of the mask \[4\] at index 0 does "
                r"not match the shape of the indexed tensor \[3, 4\] at index 0"),
               ((np.array(5.0), 0), IndexError, r"invalid index of a 0-dim tensor"),
               ((F, 1.5), IndexError, r"only integers, slices .* are valid indices \(got float\)"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("index_select", lm.index_select, _index_select_ref, _index_select_samples,
           dtypes=DTYPES, method="index_select",
           errors=_errors(
               ((F, 1, I64([0, 4])), RuntimeError,
                r"INDICES element is out of DATA bounds, id=4 axis_dim=4"),
               ((F, 0, I64([-1])), IndexError, r"index out of range in self"),
               ((F, 0, I64([[0]])), IndexError, r"Index is supposed to be a vector"),
               ((F, 0, np.array([0.0])), RuntimeError, r"Expected dtype int32 or int64"),
               ((F, 2, I64([0])), IndexError, r"Dimension out of range"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("index_add", lm.index_add, _index_add_ref, _index_add_samples, dtypes=DTYPES,
           method="index_add",
           errors=_errors(
               ((F, 0, I64([3]), F[:1]), RuntimeError,
                r"index 3 is out of bounds for dimension 0 with size 3"),
               ((np.ones((), np.float32), 0, I64([0]), F[0, :1]), RuntimeError,
                r"source tensor shape must match self tensor shape, excluding the specified "
                r"dimension. Got self.shape = \[\] source.shape = \[1\]"),
               ((F[0, :1], 0, I64([0]), np.ones((), np.float32)), RuntimeError,
                r"Got self.shape = \[1\] source.shape = \[\]"),
               ((F, 0, I64([-1]), F[:1]), RuntimeError,
                r"index -1 is out of bounds for dimension 0 with size 3"),
               ((F, 0, I64([3]), F[:1]), {"alpha": 2}, IndexError, r"index out of range in self"),
               ((F, 0, np.array([0.0], np.float32), F[:1]), RuntimeError,
                r"index_add_\(\): Expected dtype int32/int64 for index but got: Float"),
               ((F, 0, I64([[0]]), F[:1]), IndexError,
                r"index_add_\(\): Index is supposed to be a vector, but got dim: 2"),
               ((F, 0, I64([0, 1]), F[:1]), RuntimeError,
                r"Number of indices \(2\) should be equal to source.size\(dim\): \(1\), for "
                r"dim: 0"),
               ((F, 0, I64([0]), F[:1, :3]), RuntimeError,
                r"source tensor shape must match self tensor shape, excluding the specified "
                r"dimension. Got self.shape = \[3, 4\] source.shape = \[1, 3\]"),
               ((F, 0, I64([0]), F[:1].astype(np.float64)), RuntimeError,
                r"index_add_\(\): self \(Float\) and source \(Double\) must have the same "
                r"scalar type"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("index_fill", lm.index_fill, _index_fill_ref, _index_fill_samples, dtypes=DTYPES,
           grad_samples=_index_fill_grad_samples,
           method="index_fill",
           errors=_errors(
               ((F, 1, I64([4]), 1.0), IndexError,
                r"index 4 is out of bounds for dimension 1 with size 4"),
               ((F, 1, I64([-5]), 1.0), IndexError,
                r"index -5 is out of bounds for dimension 1 with size 4"),
               ((F, 1, np.array([1], np.int32), 1.0), IndexError,
                r"index_fill_\(\): Expected dtype int64 for index\."),
               ((F, 1, I64([[1]]), 1.0), RuntimeError, r"Index has to be a vector/scalar"),
               ((F, 1, I64([1]), np.ones(1, np.float32)), RuntimeError,
                r"index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
                r"dimension"),
               ((F, 1, I64([1]), 1j), RuntimeError,
                r"Converting complex Scalar to non-complex type is not supported"),
               ((F.astype(np.int32), 1, I64([1]), 2**40), RuntimeError,
                r"value cannot be converted to type int without overflow"),
               ((F, 2, I64([1]), 1.0), IndexError, r"Dimension out of range"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("gather", lm.gather, _gather_ref, _gather_samples, dtypes=DTYPES, method="gather",
           errors=_errors(
               ((F, 1, I64([[4]])), RuntimeError,
                r"index 4 is out of bounds for dimension 1 with size 4"),
               ((F, 1, I64([[-1]])), RuntimeError, r"index -1 is out of bounds"),
               ((F, 0, I64([[0] * 5])), RuntimeError, r"Size does not match at dimension 1 "
                r"expected index \[1, 5\] to be no larger than self \[3, 4\] apart from "
                r"dimension 0"),
               ((F, 1, I64([0])), RuntimeError, r"Index tensor must have the same number of "
                r"dimensions as input tensor"),
               ((F, 1, np.array([[0.0]])), RuntimeError, r"Expected dtype int32/int64"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("scatter", lm.scatter, _scatter_ref, _scatter_samples, dtypes=DTYPES, method="scatter",
           errors=_errors(
               ((F, 0, I64([[3]]), F), RuntimeError,
                r"index 3 is out of bounds for dimension 0 with size 3"),
               ((F, 0, I64([[0]]), F.astype(np.float64)), RuntimeError,
                r"Expected self.dtype to be equal to src.dtype"),
               ((F, 0, I64([[0] * 4] * 4), F), RuntimeError,
                r"Expected index \[4, 4\] to be no larger than self \[3, 4\] apart from "
                r"dimension 0 and to be no larger size than src \[3, 4\]"),
               ((F, 0, I64([0]), F), RuntimeError,
                r"Index tensor must have the same number of dimensions as self tensor"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("scatter_add", lm.scatter_add, _scatter_add_ref, _scatter_add_samples, dtypes=DTYPES,
           method="scatter_add",
           errors=_errors(
               ((F, 0, I64([[4]]), F), RuntimeError, r"index 4 is out of bounds for dimension 0"),
               ((F, 0, I64([[0]]), 5.0), TypeError, r"argument 'src' .* must be Tensor"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("take", lm.take, _take_ref, _take_samples, dtypes=DTYPES, method="take",
           errors=_errors(
               ((F, I64([12])), IndexError,
                r"out of range: tried to access index 12 on a tensor of 12 elements"),
               ((F, I64([-13])), IndexError, r"tried to access index -13"),
               ((F, np.array([0], np.int32)), RuntimeError, r"Expected a long tensor for index"),
               ((np.zeros(0), I64([0])), IndexError, r"tried to take from an empty tensor"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("put", lm.put, _put_ref, _put_samples, dtypes=DTYPES, method="put",
           errors=_errors(
               ((F, I64([12]), F[0, :1]), IndexError,
                r"out of range: tried to access index 12 on a tensor of 12 elements"),
               ((F, I64([-13]), F[0, :1], True), IndexError, r"tried to access index -13"),
               ((F, np.array([1], np.int32), F[0, :1]), RuntimeError,
                r"put_\(\): Expected a long tensor for index, but got Int"),
               ((F, I64([1, 2]), F[0, :1]), IndexError,
                r"put_\(\): Expected source and index to have the same number of elements, but "
                r"got source.numel\(\) = 1, index.numel\(\) = 2"),
               ((F, I64([1]), F[0, :1].astype(np.float64)), RuntimeError,
                r"put_\(\): self and source expected to have the same dtype, but got self.dtype "
                r"= Float and source.dtype = Double"),
               ((np.zeros((0,), np.float32), I64([0]), F[0, :1]), IndexError,
                r"put_\(\): Tried to put elements into an empty tensor"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("take_along_dim", lm.take_along_dim, _take_along_dim_ref, _take_along_dim_samples,
           dtypes=DTYPES, method="take_along_dim",
           errors=_errors(
               ((F, I64([0, 12])), RuntimeError,
                r"index 12 is out of bounds for dimension 0 with size 12"),
               ((F, I64([[0, -1]])), RuntimeError,
                r"index -1 is out of bounds for dimension 0 with size 12"),
               ((F, np.array([0.0])), RuntimeError, r"Expected dtype int32/int64 for index"),
               ((F, np.array([[0]], np.int32), 1), RuntimeError,
                r"take_along_dim\(\): dtype of indices should be Long but got Int"),
               ((F, I64([0, 1]), 1), RuntimeError,
                r"take_along_dim\(\): input and indices should have the same number of "
                r"dimensions, but got 2 dimensions for input, and 1 dimensions for indices"),
               ((F, I64([[0], [1]]), 1), RuntimeError,
                r"The size of tensor a \(3\) must match the size of tensor b \(2\) at "
                r"non-singleton dimension 0"),
               ((np.float32(1.0) * np.ones((), np.float32), I64(0), 0), IndexError,
                r"Dimension specified as 0 but tensor has no dimensions"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("index_put", lm.index_put, _index_put_ref, _index_put_samples, dtypes=DTYPES,
           grad_samples=_index_put_grad_samples,
           method="index_put",
           errors=_errors(
               ((F, (I64([3]),), F[0]), IndexError,
                r"index 3 is out of bounds for dimension 0 with size 3"),
               ((F, (I64([0]), I64([-5])), F[0, :1], True), IndexError,
                r"index -5 is out of bounds for dimension 1 with size 4"),
               ((F, (np.array([0.0]),), F[0]), IndexError,
                r"tensors used as indices must be long, int, byte or bool tensors"),
               ((F, (I64([0]),), F[0, :2]), RuntimeError,
                r"shape mismatch: value tensor of shape \[2\] cannot be broadcast to indexing "
                r"result of shape \[1, 4\]"),
               ((F, (I64([0]),), F[0].astype(np.float64)), RuntimeError,
                r"Index put requires the source and destination dtypes match, got Float for the "
                r"destination and Double for the source"),
               ((F, (I64([0, 1]), I64([0, 1, 2])), F[0, :1]), IndexError,
                r"shape mismatch: indexing tensors could not be broadcast together with shapes "
                r"\[2\], \[3\]"),
               ((F, (I64([0]),) * 3, F[0, :1]), IndexError,
                r"too many indices for tensor of dimension 2 \(got 3\)"),
               ((F, (np.ones(4, bool),), F[0, :1]), IndexError,
                r"The shape of the mask \[4\] at index 0 does not match the shape of the indexed "
                r"tensor \[3, 4\] at index 0"),
               ((np.zeros((0, 3)), (I64([0]),), np.ones(())), IndexError,
                r"index is out of bounds for dimension with size 0"),
               ((np.ones((), np.float32), (I64([0]),), np.ones((), np.float32)), IndexError,
                r"too many indices for tensor of dimension 0 \(got 1\)"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("masked_fill", lm.masked_fill, _masked_fill_ref, _masked_fill_samples,
           grad_samples=_masked_fill_grad_samples,
           dtypes=DTYPES + ("uint8",), method="masked_fill",
           errors=_errors(
               ((F, np.ones((3, 4), np.int32), 1), RuntimeError,
                r"masked_fill_ only supports boolean masks, but got mask with dtype int"),
               ((F, np.ones(4, bool), np.ones(2)), RuntimeError,
                r"only supports a 0-dimensional value tensor, but got tensor with 1 dimension"),
               ((F, np.ones(4, bool), 1 + 1j), RuntimeError,
                r"value cannot be converted to type float without overflow"),
               ((F.astype(np.uint8), np.ones(4, bool), 300), RuntimeError,
                r"value cannot be converted to type uint8_t without overflow"),
               ((F, np.ones(3, bool), 1), RuntimeError,
                r"The size of tensor a \(3\) must match the size of tensor b \(4\)"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("masked_select", lm.masked_select, _masked_select_ref, _masked_select_samples,
           dtypes=DTYPES, method="masked_select",
           errors=_errors(
               ((F, np.ones(4, np.uint8)), RuntimeError, r"expected BoolTensor for mask"),
               ((F, np.ones(3, bool)), RuntimeError, r"The size of tensor a \(3\) must match"),
           ), grad=True, gradgrad=True, fwgrad=True),
    OpInfo("where", lm.where, np.where, _where_samples, dtypes=DTYPES,
           errors=_errors(
               ((np.ones(4, np.int32), F, F), RuntimeError,
                r"where expected condition to be a boolean tensor, but got a tensor with dtype "
                r"Int"),
               ((np.ones((3, 4), bool), F, np.ones(2, np.float32)), RuntimeError,
                r"The size of tensor a \(4\) must match the size of tensor b \(2\)"),
           ), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("nonzero", lm.nonzero, np.argwhere, _nonzero_samples, dtypes=DTYPES,
           method="nonzero"),
    OpInfo("argwhere", lm.argwhere, np.argwhere, _argwhere_samples, dtypes=DTYPES,
           method="argwhere"),
]
