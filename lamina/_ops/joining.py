"""Joining and splitting: cat, the stacks and atleast_nd, split, chunk and tensor_split.

`cat` is the one joining primitive (the stacks add dims with views, then concatenate); `split` is
the one splitting primitive, returning every piece as a view of the input in one call (split,
chunk, tensor_split and the h/v/dsplits all reduce to a list of (start, stop) bounds).
"""

import operator

from .._core import dtype as dt
from .._core._tensor import TensorBase, canonical_dim, result_type_of
from ._batching import batch_size, shift_dim, to_front
from ._checks import torch_type_name
from ._rules import wants
from .mutation import finish_out
from .primitive import LINEAR, Primitive
from .shape import VIEW_AT_FRONT, dim_at_front, expand_p, pieces_into_zeros, slice_p, view_p


def _skipped(a):
    # PyTorch's legacy rule: a 1-D tensor of size 0 joins anything (it is left out of the checks
    # and of the result, though its dtype still takes part in the promotion).
    return a.ndim == 1 and a.shape[0] == 0


def _cat_fwd(xp, *arrays, dim, dtype):
    kept = [a for a in arrays if not _skipped(a)]
    if not kept:
        return xp.empty((0,), dtype=dtype)
    return xp.concatenate(kept, axis=dim, dtype=dtype)


def _split_fwd(xp, a, *, dim, bounds):
    lead = (slice(None),) * dim
    return tuple(a[lead + (slice(start, stop),)] for start, stop in bounds)


def _cat_vjp(ct, out, *tensors, dim, dtype):
    # Each input's cotangent is its slice of ct; a skipped 1-D empty input's is empty (PyTorch's).
    grads, start = [], 0
    for x in tensors:
        if _skipped(x._data):
            grads.append(ct.new_zeros((0,)) if wants(x) else None)
            continue
        stop = start + x._data.shape[dim]
        grads.append(slice_p(ct, dim=dim, start=start, stop=stop) if wants(x) else None)
        start = stop
    return tuple(grads)


def _split_vjp(ct, out, x, **params):
    return (pieces_into_zeros(ct, x, split_p, params),)


def _cat_batch(bdims, *tensors, dim, dtype):
    # Every operand mapped at 0, an unmapped one expanded to the batch. A skipped operand (a
    # logical 1-D empty one) is no longer 1-D: leave it out, unless all are (then they join
    # along their empty dim, giving the batch of empty vectors).
    size = batch_size(tensors, bdims)
    shapes = [x._data.shape[:b] + x._data.shape[b + 1:] if b is not None else x._data.shape
              for x, b in zip(tensors, bdims)]
    kept = [i for i, shape in enumerate(shapes) if shape != (0,)]
    if not kept:
        kept, dim = range(len(tensors)), 0
    moved = []
    for i in kept:
        x, b = tensors[i], bdims[i]
        if b is None:
            x = expand_p(view_p(x, shape=(1,) + shapes[i]), shape=(size,) + shapes[i])
        moved.append(to_front(x, b))
    return cat_p(*moved, dim=shift_dim(dim), dtype=dtype), 0


def _split_batch(bdims, x, **params):
    return split_p(to_front(x, bdims[0]), **dim_at_front(params)), 0  # pieces at 0


cat_p = Primitive("cat", xp=_cat_fwd, vjp=_cat_vjp, jvp=LINEAR, batch=_cat_batch)
split_p = Primitive("split", xp=_split_fwd, vjp=_split_vjp, jvp=LINEAR, batch=_split_batch,
                    view=True)
VIEW_AT_FRONT[split_p] = dim_at_front


# -- joining --------------------------------------------------------------------------------------

def _tensor_list(name, tensors):
    if isinstance(tensors, TensorBase):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        "Tensor")
    tensors = tuple(tensors)
    for i, x in enumerate(tensors):
        if not isinstance(x, TensorBase):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")
    return tensors


def _cat(tensors, dim, out):
    """cat on a checked, non-empty tuple of tensors."""
    if not hasattr(dim, "__index__"):
        raise TypeError(f"cat(): argument 'dim' must be int, not {type(dim).__name__}")
    for i, x in enumerate(tensors):
        if x._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    first = next((x._data.shape for x in tensors if not _skipped(x._data)), None)
    d = dim if first is None else canonical_dim(dim, len(first))
    for i, x in enumerate(tensors):
        shape = x._data.shape
        if _skipped(x._data):
            continue
        if len(shape) != len(first):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(first)} "
                               f"and {len(shape)}")
        for k, (m, n) in enumerate(zip(first, shape)):
            if k != d and m != n:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {m} but "
                    f"got size {n} for tensor number {i} in the list.")
    dtype = result_type_of(tensors)
    if out is not None and not dt.can_cast(dtype, out.dtype):
        raise TypeError(f"lamina.cat(): input types can't be cast to the desired output type "
                        f"{torch_type_name(out.dtype)}")
    result = cat_p(*tensors, dim=d, dtype=dtype.np)
    return finish_out(result, out)


def cat(tensors, dim=0, *, axis=None, out=None):
    tensors = _tensor_list("cat", tensors)
    if not tensors:
        raise ValueError("lamina.cat(): expected a non-empty list of Tensors")
    return _cat(tensors, dim if axis is None else axis, out)


def concat(tensors, dim=0, *, out=None):
    return cat(tensors, dim, out=out)


def concatenate(tensors, axis=0, out=None, *, dim=None):
    return cat(tensors, axis if dim is None else dim, out=out)


def _atleast(ndim, tensors):
    """Views with at least `ndim` dims (NumPy's placement: a 1-D x becomes (1, n, 1) in 3-D). One
    tensor gives a tensor; several, or one sequence, a tuple."""
    single = len(tensors) == 1 and isinstance(tensors[0], TensorBase)
    if len(tensors) == 1 and not single:
        tensors = tuple(tensors[0])
    out = []
    for x in tensors:
        shape = x._data.shape
        if len(shape) >= ndim:
            out.append(x)
        elif ndim == 3 and len(shape) == 2:
            out.append(view_p(x, shape=shape + (1,)))
        elif ndim == 3 and len(shape) == 1:
            out.append(view_p(x, shape=(1,) + shape + (1,)))
        else:
            out.append(view_p(x, shape=(1,) * (ndim - len(shape)) + shape))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    return _atleast(1, tensors)


def atleast_2d(*tensors):
    return _atleast(2, tensors)


def atleast_3d(*tensors):
    return _atleast(3, tensors)


def _nonempty(name, tensors):
    tensors = _tensor_list(name, tensors)
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tensors


def stack(tensors, dim=0, *, out=None):
    tensors = _nonempty("stack", tensors)
    shape = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} "
                               f"at entry 0 and {list(x._data.shape)} at entry {i}")
    d = canonical_dim(dim, len(shape) + 1)
    new = shape[:d] + (1,) + shape[d:]
    return _cat(tuple(view_p(x, shape=new) for x in tensors), d, out)


def hstack(tensors, *, out=None):
    tensors = _atleast(1, (_nonempty("hstack", tensors),))
    return _cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1, out)


def vstack(tensors, *, out=None):
    return _cat(_atleast(2, (_nonempty("vstack", tensors),)), 0, out)


def dstack(tensors, *, out=None):
    return _cat(_atleast(3, (_nonempty("dstack", tensors),)), 2, out)


def column_stack(tensors, *, out=None):
    tensors = _nonempty("column_stack", tensors)
    columns = tuple(view_p(x, shape=(x._data.size, 1)) if x._data.ndim <= 1 else x
                    for x in tensors)
    return _cat(columns, 1, out)


row_stack = vstack


# -- splitting ------------------------------------------------------------------------------------

def _split_dim(name, input, dim):
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError(f"{name} expects at least a 1-dimensional tensor")
    return canonical_dim(dim, ndim)


def _bounds(sizes):
    bounds, start = [], 0
    for n in sizes:
        bounds.append((start, start + n))
        start += n
    return tuple(bounds)


def _split_with_sizes(input, sizes, dim):
    d = _split_dim("split", input, dim)
    try:
        sizes = [operator.index(n) for n in sizes]
    except TypeError:
        raise TypeError("split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of "
                        "ints") from None
    if any(n < 0 for n in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, "
                           f"but got split_sizes={sizes}")
    size = input._data.shape[d]
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input "
                           f"tensor's size at dimension {d}), but got split_sizes={sizes}")
    return split_p(input, dim=d, bounds=_bounds(sizes))


def split(tensor, split_size_or_sections, dim=0):
    if not hasattr(split_size_or_sections, "__index__"):
        return _split_with_sizes(tensor, split_size_or_sections, dim)
    step = operator.index(split_size_or_sections)
    d = _split_dim("split", tensor, dim)
    size = tensor._data.shape[d]
    if step < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
    if step == 0 and size != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {size}")
    if size == 0:
        return split_p(tensor, dim=d, bounds=((0, 0),))
    return split_p(tensor, dim=d, bounds=tuple((i, min(i + step, size))
                                               for i in range(0, size, step)))


def chunk(input, chunks, dim=0):
    chunks = operator.index(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _split_dim("chunk", input, dim)
    size = input._data.shape[d]
    if size == 0:
        # Splitting by size would lose the count: PyTorch returns `chunks` empty pieces.
        return split_p(input, dim=d, bounds=((0, 0),) * chunks)
    return split(input, -(-size // chunks), d)


def tensor_split(input, indices_or_sections=None, dim=0, *, sections=None, indices=None):
    arg = next((a for a in (indices_or_sections, sections, indices) if a is not None), None)
    if arg is None:
        raise TypeError("tensor_split() missing 1 required positional argument: "
                        "'indices_or_sections'")
    ndim = input._data.ndim
    if ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = canonical_dim(dim, ndim)
    if isinstance(arg, TensorBase):
        if arg.dtype is not dt.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {torch_type_name(arg.dtype)}")
        if arg.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {arg.ndim} dims")
        arg = arg.item() if arg.ndim == 0 else arg.tolist()
    size = input._data.shape[d]
    if hasattr(arg, "__index__"):
        n = operator.index(arg)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        small, extra = divmod(size, n)
        return split_p(input, dim=d, bounds=_bounds([small + 1] * extra + [small] * (n - extra)))
    # Indices slice as Python does: negative ones count from the end, all are clamped.
    cuts = [0] + [operator.index(i) for i in arg] + [size]
    bounds = []
    for start, stop in zip(cuts, cuts[1:]):
        start, stop, _ = slice(start, stop).indices(size)
        bounds.append((start, max(start, stop)))
    return split_p(input, dim=d, bounds=tuple(bounds))


def _directional_split(name, input, arg, need, dim):
    ndim = input._data.ndim
    if ndim < need:
        raise RuntimeError(f"lamina.{name} requires a tensor with at least {need} dimension, but "
                           f"got a tensor with {ndim} dimensions!")
    if hasattr(arg, "__index__"):
        size = input._data.shape[dim]
        if arg == 0 or size % arg:
            raise RuntimeError(f"lamina.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {size} is not divisible by the split_size "
                               f"{arg}!")
    return tensor_split(input, arg, dim)


def hsplit(input, indices_or_sections):
    dim = 1 if input._data.ndim > 1 else 0
    return _directional_split("hsplit", input, indices_or_sections, 1, dim)


def vsplit(input, indices_or_sections):
    return _directional_split("vsplit", input, indices_or_sections, 2, 0)


def dsplit(input, indices_or_sections):
    return _directional_split("dsplit", input, indices_or_sections, 3, 2)


__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
           "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "split", "chunk",
           "tensor_split", "hsplit", "vsplit", "dsplit"]
METHODS = {"split": lambda self, split_size, dim=0: split(self, split_size, dim),
           "chunk": chunk, "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit,
           "dsplit": dsplit}
