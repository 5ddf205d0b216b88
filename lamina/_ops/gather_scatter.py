"""Indexing along a dim and by flat position: index_select, index_add, index_fill, gather,
scatter, scatter_add, take, put, take_along_dim; and the indexing primitives they share with
`indexing.py` (subscripts, index_put, masks), which re-exports this module's public names.

Four primitives carry them all. `basic_index_p` is the view made by ints, slices and None;
`index_p` reads the elements named by integer index arrays (NumPy's advanced indexing) and
`index_put_p` writes or accumulates values there; `index_mul_p` multiplies values in, for
scatter's `reduce="multiply"`. Each op here builds the index arrays: gather reads with the index
tensor along its dim and aranges along the others, take unravels flat indices, scatter writes
through the same grid. Index arrays are data, never differentiated: an eager index tensor's
array is prepared with NumPy, and a transform's wrapper of one (a mapped index under vmap) with
the same operators in lamina ops, which the primitives' batch rules take. Bounds are checked,
with PyTorch's messages, before any primitive runs, on the physical index (the whole batch at
once): no read or write ever leaves the tensor.
"""

import numbers
import warnings

import numpy as np

from .._core import dtype as dt
from .._core._tensor import TensorBase, canonical_dim, dtype_of, result_type_of
from ._batching import batch_size, logical_ndim, physical, to_front
from ._checks import broadcast_error, checked_scalar, torch_type_name
from ._rules import linear_tangent, not_implemented, readable, unbroadcast, wants
from .elementwise import mul
from .mutation import finish_out, write_inplace
from .primitive import ELEMENTWISE, LINEAR, Primitive
from .shape import VIEW_AT_FRONT, clone, expand_p, into_zeros, view_p

# -- forward bodies -------------------------------------------------------------------------------

def _key(arrays, at):
    """A NumPy index with `arrays[i]` on dim `at[i]` and full slices on the dims between."""
    key = [slice(None)] * (max(at) + 1)
    for a, d in zip(arrays, at):
        key[d] = a
    return tuple(key)


def _basic_index_fwd(xp, x, *, key):
    return x[key]


def _index_fwd(xp, x, *arrays, at):
    if x.ndim == 0:  # PyTorch indexes a 0-dim tensor as if it had one dim of size 1
        x = x.reshape(1)
    out = x[_key(arrays, at)]
    # NumPy reads 0-dim index arrays as ints and returns a view; this op returns new storage.
    if all(a.ndim == 0 for a in arrays):
        out = xp.array(out)
    return out


def _index_put_fwd(xp, x, values, *arrays, at, accumulate):
    out = x.copy()
    target = out.reshape(1) if out.ndim == 0 else out
    if accumulate:
        xp.add.at(target, _key(arrays, at), values)  # duplicates add up, unlike `target[k] += v`
    else:
        target[_key(arrays, at)] = values
    return out


def _index_mul_fwd(xp, x, values, *arrays, at):
    out = x.copy()
    xp.multiply.at(out.reshape(1) if out.ndim == 0 else out, _key(arrays, at), values)
    return out


def _basic_index_vjp(ct, out, x, **params):
    return (into_zeros(ct, x, basic_index_p, params),)


def _index_vjp(ct, out, x, *arrays, at):
    # Elements read more than once get the sum of their cotangents: accumulate into zeros.
    g = index_put_p(ct.new_zeros(x._data.shape), ct, *arrays, at=at, accumulate=True)
    return (g,) + (None,) * len(arrays)


def _index_put_vjp(ct, out, x, values, *arrays, at, accumulate):
    # derivatives.yaml: index_put: self gets grad with the written positions zeroed (all of it
    # when accumulating); values get grad.index(indices), even where duplicates overwrite.
    gx = gv = None
    if wants(x):
        gx = ct if accumulate else index_put_p(ct, ct.new_zeros(()), *arrays, at=at,
                                               accumulate=False)
    if wants(values):
        gv = unbroadcast(index_p(ct, *arrays, at=at), values)
    return (gx, gv) + (None,) * len(arrays)


def _index_put_jvp(tangents, out, x, values, *arrays, at, accumulate):
    # Linear in (x, values) together; a constant fill value (an array) has a zero tangent, which
    # the LINEAR marker would not give it.
    return index_put_p(linear_tangent(tangents[0], x), linear_tangent(tangents[1], values),
                       *arrays, at=at, accumulate=accumulate)


# Batch rules. A basic index gains a full slice over the batch dim. With advanced indices, the
# batch dim of the result is where NumPy's placement puts it: a full slice over x's batch dim
# while no index array is mapped, else a batch arange as one more index array, at the place of
# the first advanced dim, so that the advanced dims stay adjacent when they were.
def _basic_index_at_front(params):
    return {"key": (slice(None),) + params["key"]}


def _basic_index_batch(bdims, x, **params):
    return basic_index_p(to_front(x, bdims[0]), **_basic_index_at_front(params)), 0


def _array_shape(a):
    return a._data.shape if isinstance(a, TensorBase) else a.shape


def _index_layout(bdims, x, arrays, at):
    """One physical call's (x, arrays, at) for mapped index arrays or a mapped `x`, with x's
    batch dim (None if unmapped), the rank of the logical result, and the dim of the batch in
    the physical result (the logical result with the batch dim inserted there)."""
    size, xb, abd = batch_size((x,) + arrays, bdims), bdims[0], bdims[1:]
    shapes = [_array_shape(a) if b is None else _array_shape(a)[:b] + _array_shape(a)[b + 1:]
              for a, b in zip(arrays, abd)]
    nb = len(np.broadcast_shapes(*shapes))
    rank = max(logical_ndim(x, xb), 1) - len(at) + nb
    adjacent = tuple(at) == tuple(range(at[0], at[0] + len(at)))
    if xb is not None and logical_ndim(x, xb) == 0:  # a vector of one element, as the forward
        x, xb = view_p(to_front(x, xb), shape=(size, 1)), 0
    if all(b is None for b in abd):
        # Split advanced dims go first, then the batch dim and the remaining dims.
        return (to_front(x, xb), 0, arrays, tuple(d + 1 for d in at), rank,
                0 if adjacent else nb)
    padded = []
    for a, b, sh in zip(arrays, abd, shapes):
        if b is not None:  # mapped first, to broadcast against the others behind the batch dim
            a = view_p(to_front(a, b), shape=(size,) + (1,) * (nb - len(sh)) + sh)
        padded.append(a)
    if xb is None:
        # The batch dim leads the broadcast index shape, which lands at the first advanced dim
        # (or first of all when the advanced dims are split).
        return x, None, tuple(padded), at, rank, at[0] if adjacent else 0
    batch = np.arange(size).reshape((size,) + (1,) * nb)
    return (x.movedim(xb, at[0]), at[0], (batch,) + tuple(padded),
            (at[0],) + tuple(d + 1 for d in at), rank, at[0] if adjacent else 0)


def _index_batch(bdims, x, *arrays, at):
    x, _, arrays, at, _, bdim = _index_layout(bdims, x, arrays, at)
    return index_p(x, *arrays, at=at), bdim


def _index_write_batch(prim, bdims, x, values, arrays, at, params):
    """index_put's and index_mul's rule: write the batch's values through one physical call."""
    xb, vb = bdims[0], bdims[1]
    scalar = logical_ndim(x, xb) == 0
    if xb is None:  # each element of the batch writes into its own copy of x
        size, shape = batch_size((x, values) + arrays, bdims), x._data.shape
        x, xb = expand_p(view_p(x, shape=(1,) + shape), shape=(size,) + shape), 0
    x, xdim, arrays, at, rank, bdim = _index_layout((xb,) + bdims[2:], x, arrays, at)
    # values broadcast to the indexing result, here the logical one with the batch dim at
    # `bdim`: pad them to its rank and put their batch dim (a size-1 one if unmapped) there.
    if vb is None:
        pad = _array_shape(values)
        pad = (1,) * (rank - len(pad)) + pad
        values = values.reshape(pad[:bdim] + (1,) + pad[bdim:])
    else:
        values = to_front(values, vb)
        vshape = values._data.shape
        values = view_p(values, shape=vshape[:1] + (1,) * (rank + 1 - len(vshape)) + vshape[1:])
        values = values.movedim(0, bdim)
    out = prim(x, values, *arrays, at=at, **params)
    if scalar:  # back from the vector of one element
        return view_p(out, shape=out._data.shape[:1]), 0
    return out, xdim


def _index_put_batch(bdims, x, values, *arrays, at, accumulate):
    return _index_write_batch(index_put_p, bdims, x, values, arrays, at,
                              {"accumulate": accumulate})


def _index_mul_batch(bdims, x, values, *arrays, at):
    return _index_write_batch(index_mul_p, bdims, x, values, arrays, at, {})


# Index arrays are data: the rules see them as constant inputs, so each op is linear in the
# tensor(s) it reads or writes. index_mul (a product) is not.
basic_index_p = Primitive("basic_index", xp=_basic_index_fwd, vjp=_basic_index_vjp, jvp=LINEAR,
                          batch=_basic_index_batch, view=True)
VIEW_AT_FRONT[basic_index_p] = _basic_index_at_front
index_p = Primitive("index", xp=_index_fwd, vjp=_index_vjp, jvp=LINEAR, batch=_index_batch)
# Its VJP reads shapes only, as a linear op's: it saves nothing.
index_put_p = Primitive("index_put", xp=_index_put_fwd, vjp=_index_put_vjp, jvp=_index_put_jvp,
                        batch=_index_put_batch, saves=())
# A primitive because no composition of the others multiplies duplicates together. Only
# scatter(reduce="multiply") calls it, which PyTorch does not differentiate, in either mode.
index_mul_p = Primitive("index_mul", xp=_index_mul_fwd, vjp=not_implemented("scatter"),
                        jvp=not_implemented("scatter"), batch=_index_mul_batch)


# where picks elements by a mask (masked_fill and where in indexing.py; index_fill with a
# value that takes a gradient, here).
def _where_fwd(xp, condition, a, b):
    d = result_type_of((a, b)).np
    return xp.where(condition, a.astype(d, copy=False), b.astype(d, copy=False))


def _where_vjp(ct, out, condition, a, b):
    # Each branch gets the cotangent where it was picked, summed down to its own shape.
    zero = ct.new_zeros(())
    ga = unbroadcast(where_p(condition, ct, zero), a) if wants(a) else None
    gb = unbroadcast(where_p(condition, zero, ct), b) if wants(b) else None
    return (None, ga, gb)


def _where_jvp(tangents, out, condition, a, b):
    # A constant branch (a fill value array, or a tensor without tangent) picks zeros.
    return where_p(condition, linear_tangent(tangents[1], a), linear_tangent(tangents[2], b))


# The condition is data, so where is linear in the two tensors it picks from; its rules read
# the condition only.
where_p = Primitive("where", xp=_where_fwd, vjp=_where_vjp, jvp=_where_jvp, batch=ELEMENTWISE,
                    saves=(0,))


# -- shared checks --------------------------------------------------------------------------------

def _scalar(value, d, *, half_to_inf=False):
    """A Python or NumPy number as a 0-dim array of dtype `d` for the indexing ops, after the
    checks PyTorch's argument parser makes (a Number, and an int that fits in int64).

    `half_to_inf`: float16 takes any real number, rounding a large one to inf, as PyTorch's
    setitem and where do; its fill ops (index_fill, masked_fill, scatter) refuse it.
    """
    if not isinstance(value, (numbers.Number, np.number, np.bool_)):
        raise TypeError(f"value must be a Number, not {type(value).__name__}")
    if isinstance(value, numbers.Integral) and not -2**63 <= value < 2**63:
        raise ValueError("Overflow when unpacking long long")
    return checked_scalar(value, d, half_to_inf=half_to_inf)


def fill_value(value, input):
    """A 0-dim tensor value that requires grad, in input's dtype, for the fill ops that PyTorch
    differentiates in their value (index_fill, masked_fill); checked by the caller."""
    return value if value.dtype is input.dtype else value.to(input.dtype)


def item_or_none(value):
    """A 0-dim tensor value's number, or None where a transform (jvp, vmap) hides its values:
    the fill ops then write the tensor itself, which carries the tangent or the batch."""
    try:
        return value.item()
    except RuntimeError:
        return None


def index_value(index):
    """What the ops build index arrays from: the array behind an eager index tensor (NumPy's
    speed), or the tensor itself where a transform wraps it (a mapped index under vmap), whose
    values are not readable here; the ops use the operators both take (%, //, reshape) and the
    indexing primitives' batch rules take the wrapper."""
    return index._data if readable(index) else index


def bounds_array(index):
    """The values to check an index's bounds on: the physical array under every transform's
    wrapper (a whole batch of indices, checked at once, as torch.func's kernels do)."""
    return physical(index)._data if isinstance(index, TensorBase) else index


def _index_array(name, index, dtypes=(dt.int64, dt.int32)):
    """`index_value(index)`, or None if its dtype is not among `dtypes`."""
    if not isinstance(index, TensorBase):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    return index_value(index) if dtype_of(index._data) in dtypes else None


def _unravel(flat, shape):
    """np.unravel_index(flat, shape) in the operators an index tensor takes too."""
    coords, stride = [], 1
    for n in reversed(shape[1:]):
        coords.append(flat // stride % n)
        stride *= n
    coords.append(flat // stride)
    return tuple(reversed(coords))


def _first_bad(index, low, high):
    """The first element of `index` outside [low, high), or None."""
    if index.size == 0 or (index.min() >= low and index.max() < high):
        return None
    flat = index.reshape(-1)
    return int(flat[np.argmax((flat < low) | (flat >= high))])


def _check_bounds(index, size, dim):
    """Bounds of a gather/scatter index: non-negative and below the size, PyTorch's message."""
    bad = _first_bad(bounds_array(index), 0, size)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def _grid(shape, dim, index, src_shape):
    """Index arrays reading, at each position p of `shape`, element index[p] along `dim` and p
    along the other dims (0 along a dim of size 1 in `src_shape`, which broadcasts)."""
    n = len(src_shape)
    arrays = []
    for d in range(n):
        if d == dim:
            arrays.append(index)
        else:
            size = shape[d]
            line = np.zeros(size, np.int64) if src_shape[d] == 1 else np.arange(size)
            arrays.append(line.reshape([size if e == d else 1 for e in range(n)]))
    return arrays


def _dims(t):
    """A tensor's dims as gather and scatter count them: a 0-dim tensor has one."""
    return max(t.ndim, 1)


def _size(t, d):
    return t.shape[d] if t.ndim else 1


# -- along one dim: index_select, index_add, index_fill -------------------------------------------

def index_select(input, dim, index, *, out=None):
    """The slices of `input` along `dim` at `index` (a vector), in that order."""
    dim = canonical_dim(dim, input.ndim)
    if input.ndim == 0 and index.numel() != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{index.numel()} value(s)")
    idx = _index_array("index_select", index)
    if idx is None:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    size = _size(input, dim)
    if input.ndim == 0:
        idx = idx.reshape(())  # a 0-dim input gives a 0-dim result
    elif size == 0 and index.numel():
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    bad = _first_bad(bounds_array(index), 0, size)
    if bad is not None:
        # PyTorch's CPU kernel for dim 1 words it differently from the general one.
        if dim == 1:
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
        raise IndexError("index out of range in self")
    return finish_out(index_p(input, idx.reshape(-1) if idx.ndim else idx, at=(dim,)), out)


def index_add(input, dim, index, source, *, alpha=1, out=None):
    """`input` plus `alpha * source` added into the slices along `dim` at `index`."""
    dim = canonical_dim(dim, input.ndim)
    idx = _index_array("index_add", index)
    if idx is None:
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{torch_type_name(index.dtype)}")
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{idx.ndim} with type: {torch_type_name(index.dtype)} and size: "
                         f"{list(idx.shape)}")
    d, sd = dtype_of(input._data), dtype_of(source._data)
    if sd is not d:
        raise RuntimeError(f"index_add_(): self ({torch_type_name(d)}) and source "
                           f"({torch_type_name(sd)}) must have the same scalar type")
    if index.numel() != _size(source, dim):
        raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be equal to "
                           f"source.size(dim): ({_size(source, dim)}), for dim: {dim}")
    shape, sshape = input._data.shape or (1,), source._data.shape or (1,)
    # Compared unpadded: a 0-dim tensor matches only a 0-dim one, as in PyTorch.
    if input.ndim != source.ndim or any(a != b for i, (a, b) in enumerate(zip(shape, sshape))
                                        if i != dim):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {list(source.shape)}")
    if alpha == 1:
        _check_bounds(idx, shape[dim], dim)
    elif _first_bad(bounds_array(index), 0, shape[dim]) is not None:  # PyTorch's, alpha != 1
        raise IndexError("index out of range in self")
    alpha = _scalar(alpha, d).item()
    if alpha != 1:
        source = mul(source, alpha)
    if source.ndim == 0:
        source = basic_index_p(source, key=(None,))
    return finish_out(index_put_p(input, source, idx.reshape(-1), at=(dim,), accumulate=True), out)


def index_add_(self, dim, index, source, *, alpha=1):
    return write_inplace(self, index_add(self, dim, index, source, alpha=alpha),
                         "aten::index_add_")


def index_fill(input, dim, index, value):
    """`input` with the slices along `dim` at `index` set to `value`."""
    dim = canonical_dim(dim, input.ndim)
    d = dtype_of(input._data)
    tensor = None
    if isinstance(value, TensorBase):
        if value.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        tensor, value = value, item_or_none(value)
    if isinstance(value, complex) and d.category != dt.COMPLEX:
        raise RuntimeError("index_fill_(): Converting complex Scalar to non-complex type is not "
                           "supported")
    idx = _index_array("index_fill", index, (dt.int64,))
    if idx is None:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    v = None if value is None else _scalar(value, d)
    size = _size(input, dim)
    # index_fill, unlike its siblings, wraps negative indices.
    bad = _first_bad(bounds_array(index), -size, size)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    if tensor is not None and (v is None or tensor._requires_grad):
        # derivatives.yaml (index_fill.int_Tensor): the value's gradient sums each filled slice
        # once (a unique index), so pick it by a mask of the filled slices, which a repeated
        # index marks once and a mapped one (no unique under vmap) marks per batch element.
        mask = index_put_p(input.new_zeros((size,), dtype=dt.bool), np.array(True),
                           idx.reshape(-1), at=(0,), accumulate=False)
        mask = view_p(mask, shape=tuple(size if d == dim else 1 for d in range(input.ndim)))
        return where_p(mask, fill_value(tensor, input), input)
    return index_put_p(input, v, idx.reshape(-1), at=(dim,), accumulate=False)


def index_fill_(self, dim, index, value):
    overload = "int_Tensor" if isinstance(value, TensorBase) else "int_Scalar"
    return write_inplace(self, index_fill(self, dim, index, value), f"aten::index_fill_.{overload}")


# -- gather and scatter ---------------------------------------------------------------------------

def gather(input, dim, index, *, sparse_grad=False, out=None):
    """out[p] = input[p with its `dim` coordinate replaced by index[p]]; out has index's shape."""
    dim = canonical_dim(dim, input.ndim)
    idx = _index_array("gather", index)
    if idx is None:
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if _dims(index) != _dims(input):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    shape = input._data.shape or (1,)
    ishape = idx.shape or (1,)
    for d in range(len(shape)):
        if d != dim and ishape[d] > shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(idx.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {dim}")
    _check_bounds(index, shape[dim], dim)
    grid = _grid(idx.shape, dim, idx, shape) if idx.ndim else [idx]
    return finish_out(index_p(input, *grid, at=tuple(range(len(grid)))), out)


def _scatter_checks(name, input, dim, index, src):
    """(dim, index array, src cut to index's shape) after PyTorch's checks for scatter ops."""
    idx = _index_array(name, index)
    if idx is None:
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    dim = canonical_dim(dim, input.ndim)
    if isinstance(src, TensorBase) and dtype_of(src._data) is not dtype_of(input._data):
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if index.numel() == 0:
        return dim, None, None
    if _dims(index) != _dims(input):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    shape, ishape = input._data.shape or (1,), idx.shape or (1,)
    wrong = any(ishape[d] > shape[d] for d in range(len(shape)) if d != dim)
    if isinstance(src, TensorBase):
        if src.ndim and src.ndim < idx.ndim:
            canonical_dim(src.ndim, src.ndim)  # PyTorch asks src for a size it lacks: IndexError
        if _dims(src) != _dims(index):
            raise RuntimeError("Index tensor must have the same number of dimensions as src "
                               "tensor")
        sshape = src._data.shape or (1,)
        if wrong or any(i > s for i, s in zip(ishape, sshape)):
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {dim} and to be no "
                               f"larger size than src {list(src.shape)}")
        if src.ndim and src._data.shape != idx.shape:
            src = basic_index_p(src, key=tuple(slice(0, n) for n in idx.shape))
    elif wrong:
        raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                           f"{list(input.shape)} apart from dimension {dim}")
    _check_bounds(index, shape[dim], dim)
    return dim, idx, src


def scatter(input, dim, index, src=None, *, value=None, reduce=None, out=None):
    """`input` with src[p] (or `value`) written at p with its `dim` coordinate set to index[p];
    `reduce` = "add" or "multiply" combines with what is there instead."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if not isinstance(src, TensorBase):
        src = _scalar(src, dtype_of(input._data))
    elif reduce is not None:
        warnings.warn("The reduce argument of lamina.scatter with Tensor src is deprecated and "
                      "will be removed in a future release. Use lamina.scatter_reduce instead "
                      "for more reduction options.", UserWarning, stacklevel=2)
    return finish_out(_scatter("scatter", input, dim, index, src, reduce), out)


def _scatter(name, input, dim, index, src, reduce):
    dim, idx, src = _scatter_checks(name, input, dim, index, src)
    if idx is None:
        return clone(input)
    grid = _grid(idx.shape, dim, idx, input._data.shape or (1,)) if idx.ndim else [idx]
    at = tuple(range(len(grid)))
    if reduce == "multiply":
        return index_mul_p(input, src, *grid, at=at)
    return index_put_p(input, src, *grid, at=at, accumulate=reduce == "add")


def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
    result = scatter(self, dim, index, src, value=value, reduce=reduce)
    overload = "value" if value is not None or not isinstance(src, TensorBase) else "src"
    if reduce is not None:
        overload = "value_reduce" if overload == "value" else "reduce"
    return write_inplace(self, result, f"aten::scatter_.{overload}")


def scatter_add(input, dim, index, src, *, out=None):
    """`input` with src[p] added at p with its `dim` coordinate set to index[p]."""
    if not isinstance(src, TensorBase):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    return finish_out(_scatter("scatter_add", input, dim, index, src, "add"), out)


def scatter_add_(self, dim, index, src):
    return write_inplace(self, scatter_add(self, dim, index, src), "aten::scatter_add_")


# -- flat indices: take, put, take_along_dim ------------------------------------------------------

def _flat_index(name, input, index, empty_msg):
    """Index arrays (one per dim) for flat indices into `input`, checked and wrapped."""
    idx = _index_array(name, index, (dt.int64,))
    if idx is None:
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got "
                           f"{torch_type_name(index.dtype)}")
    n = input._data.size
    if n == 0 and index.numel():
        raise IndexError(f"{name}(): {empty_msg}")
    bad = _first_bad(bounds_array(index), -n, n)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return _unravel(idx % n if n else idx, input._data.shape or (1,))


def take(input, index, *, out=None):
    """The elements of `input`, read as a flat vector, at `index`; the result has index's shape."""
    grid = _flat_index("take", input, index, "tried to take from an empty tensor")
    return finish_out(index_p(input, *grid, at=tuple(range(len(grid)))), out)


def put(input, index, source, accumulate=False):
    """`input` with `source` written (or added) at the flat positions `index`."""
    d, sd = dtype_of(input._data), dtype_of(source._data)
    if sd is not d:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {torch_type_name(d)} and source.dtype = "
                           f"{torch_type_name(sd)}")
    if index.numel() != source.numel():
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.numel()}, "
                         f"index.numel() = {index.numel()}")
    grid = _flat_index("put_", input, index, "Tried to put elements into an empty tensor")
    # Index arrays shaped like `source` pair each value with its position.
    grid = [g.reshape(source._data.shape) for g in grid]
    return index_put_p(input, source, *grid, at=tuple(range(len(grid))), accumulate=accumulate)


def put_(self, index, source, accumulate=False):
    return write_inplace(self, put(self, index, source, accumulate), "aten::put_")


def take_along_dim(input, indices, dim=None, *, out=None):
    """gather with `input` and `indices` broadcast against each other outside `dim`; with no
    dim, take on the flattened input."""
    if dim is None:  # gather along the flattened input, which takes int32 indices too
        idx = _index_array("take_along_dim", indices)
        if idx is None:
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        _check_bounds(indices, input._data.size, 0)
        grid = _unravel(idx.reshape(-1), input._data.shape or (1,))
        return finish_out(index_p(input, *grid, at=tuple(range(len(grid)))), out)
    idx = _index_array("take_along_dim", indices, (dt.int64,))
    if idx is None:
        raise RuntimeError(f"lamina.take_along_dim(): dtype of indices should be Long but got "
                           f"{torch_type_name(indices.dtype)}")
    if input.ndim != idx.ndim:
        raise RuntimeError(f"lamina.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, "
                           f"and {idx.ndim} dimensions for indices")
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    dim = canonical_dim(dim, input.ndim)
    shape = input._data.shape
    ishape = idx.shape
    try:
        out_shape = [i if d == dim else np.broadcast_shapes((s,), (i,))[0]
                     for d, (s, i) in enumerate(zip(shape, ishape))]
    except ValueError:
        raise broadcast_error(*(sh[:dim] + (1,) + sh[dim + 1:] for sh in (shape, ishape))) from None
    # PyTorch wraps negative indices here, then checks the bounds (naming the wrapped index);
    # the eager array wrapped once serves both, a wrapper wraps with its own %.
    bounds = bounds_array(indices)
    bounds = np.where(bounds < 0, bounds + shape[dim], bounds)
    _check_bounds(bounds, shape[dim], dim)
    if readable(indices):
        idx = bounds
    elif shape[dim]:
        idx = idx % shape[dim]
    grid = _grid(out_shape, dim, idx, shape)
    return finish_out(index_p(input, *grid, at=tuple(range(len(grid)))), out)


__all__ = ["index_select", "index_add", "index_fill", "gather", "scatter", "scatter_add", "take",
           "put", "take_along_dim"]
METHODS = {
    "index_select": index_select, "index_add": index_add, "index_add_": index_add_,
    "index_fill": index_fill, "index_fill_": index_fill_, "gather": gather, "scatter": scatter,
    "scatter_": scatter_, "scatter_add": scatter_add, "scatter_add_": scatter_add_, "take": take,
    "put": put, "put_": put_, "take_along_dim": take_along_dim,
}
