"""Subscripts and masks: `t[key]`, `t[key] = v`, index_put, masked_fill, masked_select, where,
nonzero and argwhere. Indexing along a dim (gather, scatter, index_select, take, ...) and the
primitives both build on live in `gather_scatter.py`; this module, the family PyTorch calls
indexing, exports both.

A subscript is parsed as PyTorch parses it: ints and slices (with None and ...) first, as a view
through `basic_index_p`; then the index tensors, lists and masks, on that view, through `index_p`
(reading) or `index_put_p` (writing). So an int is never an advanced index here, unlike NumPy's
`x[0, :, [1, 2]]`. Masks become integer arrays through nonzero before any primitive runs.
"""

import numbers
import warnings

import numpy as np

from .._core import dtype as dt
from .._core._tensor import TensorBase, dtype_of, result_type_of
from ._checks import LEGACY_NAMES, broadcast_shape, torch_type_name
from .gather_scatter import METHODS as _ALONG_METHODS
from .gather_scatter import (
    _first_bad,
    _scalar,
    basic_index_p,
    bounds_array,
    fill_value,
    gather,
    index_add,
    index_fill,
    index_p,
    index_put_p,
    index_select,
    index_value,
    item_or_none,
    put,
    scatter,
    scatter_add,
    take,
    take_along_dim,
    where_p,
)
from .joining import stack
from .mutation import copy_as, finish_out, write_inplace
from .primitive import NONDIFF, Primitive

_INDEX_TYPES_MSG = "tensors used as indices must be long, int, byte or bool tensors"
_SEQUENCE_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated; use x[tuple(seq)] "
    "instead of x[seq]. In a future release this will be interpreted as tensor index, "
    "x[lamina.tensor(seq)], which will result either in an error or a different result")
# C++ type names, as PyTorch's mask messages print them.
DYNAMIC_SHAPE_MSG = (
    "vmap: We do not support batching operators that can output dynamic shape. Attempted to vmap "
    "over {}. Please file an issue at https://github.com/pytorch/pytorch/issues if you need this "
    "feature.")
_ARGWHERE_FALLBACK_WARNING = (
    "There is a performance drop because we have not yet implemented the batching rule for "
    "aten::argwhere. Please file us an issue on GitHub so that we can prioritize its "
    "implementation.")
_MASK_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short int",
               "int32": "int", "int64": "long int", "float16": "c10::Half", "float32": "float",
               "float64": "double", "complex64": "c10::complex<float>",
               "complex128": "c10::complex<double>"}


def _nonzero_fwd(xp, x):
    return xp.argwhere(x)


def _nonzero_batch(bdims, x):
    # Each element of the batch would have its own number of nonzeros: torch.func's refusal.
    raise RuntimeError(DYNAMIC_SHAPE_MSG.format("aten::nonzero"))


nonzero_p = Primitive("nonzero", xp=_nonzero_fwd, vjp=NONDIFF, jvp=NONDIFF, batch=_nonzero_batch)


# argwhere is nonzero in PyTorch, but torch.func treats it apart: no batch rule, so its fallback
# runs one call per batch element and stacks them, which works when every element has as many
# nonzeros and fails in stack otherwise. Its own primitive so that vmap does the same (and warns
# as torch.func does), while nonzero refuses.
def _argwhere_batch(bdims, x):
    warnings.warn(_ARGWHERE_FALLBACK_WARNING, UserWarning, stacklevel=4)  # the caller's line
    return stack([argwhere_p(v) for v in x.unbind(bdims[0])]), 0


argwhere_p = Primitive("argwhere", xp=_nonzero_fwd, vjp=NONDIFF, jvp=NONDIFF,
                       batch=_argwhere_batch)


def _type_name(x):
    t = type(x)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


# -- getitem / setitem ----------------------------------------------------------------------------

def _as_tuple(key):
    """PyTorch's (and old NumPy's) rule: a short list holding a sequence, slice, tensor, None or
    Ellipsis is a tuple of indices (with a deprecation warning); any other list is one index."""
    if isinstance(key, tuple):
        return key
    if isinstance(key, list) and len(key) < 32:
        for e in key:
            if (e is None or e is Ellipsis or isinstance(e, (TensorBase, slice, list, tuple,
                                                             np.ndarray))):
                warnings.warn(_SEQUENCE_WARNING, UserWarning, stacklevel=4)
                return tuple(key)
    return (key,)


def _mask_or_indices(arr, is_tensor, index=None):
    """('mask', bool array) or ('array', integer array) for an index given as an array; an index
    tensor's integer array is `index_value(index)` (a mapped one stays a tensor)."""
    kind = arr.dtype.kind
    if kind == "b":
        return "mask", arr
    if arr.dtype == np.uint8:
        warnings.warn("indexing with dtype lamina.uint8 is now deprecated, please use a dtype "
                      "lamina.bool instead.", UserWarning, stacklevel=5)
        return "mask", arr.astype(bool)
    if is_tensor:
        if arr.dtype not in (np.int64, np.int32):
            raise IndexError(_INDEX_TYPES_MSG)
        return "array", index_value(index)
    if kind not in "iuf":
        raise IndexError(_INDEX_TYPES_MSG)
    return "array", arr.astype(np.int64)  # PyTorch makes a long tensor of a list, floats too


def _classify(e):
    """One entry of an index as (kind, value): int, slice, None, ..., bool, array or mask."""
    if e is None:
        return "none", None
    if e is Ellipsis:
        return "ellipsis", None
    if isinstance(e, slice):
        return "slice", e
    if isinstance(e, bool):
        return "bool", e
    if isinstance(e, TensorBase):
        arr = e._data
        # A 0-dim index tensor is an int, but a transform's wrapper hides its value: torch.func
        # takes a mapped one as an index tensor (so `t[:, [0, 1], :, i]` puts the advanced dims
        # first, unlike eager), as does lamina any wrapper.
        if arr.ndim == 0 and not hasattr(e, "_level"):
            kind = arr.dtype.kind
            if kind == "b" or arr.dtype == np.uint8:
                return "bool", bool(arr)
            if kind == "i":
                return "int", int(arr)
            raise IndexError(_INDEX_TYPES_MSG)
        return _mask_or_indices(arr, True, e)
    if isinstance(e, (list, np.ndarray)):
        arr = np.asarray(e)
        if arr.ndim == 0 and arr.dtype.kind == "b":
            return "bool", bool(arr)
        if arr.ndim == 0 and arr.dtype.kind in "iu":
            return "int", int(arr)
        return _mask_or_indices(arr if arr.size else arr.astype(np.int64), False)
    if not isinstance(e, np.bool_) and hasattr(type(e), "__index__"):
        return "int", e.__index__()
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {_type_name(e)})")


def _parse(shape, key):
    """Split an index into the basic key (ints, slices, None) that makes a view and the advanced
    entries applied to that view: (basic key, [(dim in the view, kind, array), ...])."""
    entries = [_classify(e) for e in _as_tuple(key)]
    ndim = len(shape)
    specified = sum(v.ndim if k == "mask" else 1 for k, v in entries
                    if k in ("int", "slice", "array", "mask"))
    if ndim == 0 and entries:
        first = next((k for k, _ in entries if k in ("int", "slice")), None)
        if first == "int":
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        if first == "slice":
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, advanced = [], []
    src = 0    # dim of the indexed tensor the next entry consumes
    real = 0   # entries so far, counting None: PyTorch's dim in an int's bounds message
    out = 0    # dim of the basic view the next entry lands on
    for kind, v in entries:
        if kind == "int":
            size = shape[src]
            if not -size <= v < size:
                raise IndexError(f"index {v} is out of bounds for dimension {real} with size "
                                 f"{size}")
            basic.append(v)
            src, real = src + 1, real + 1
        elif kind == "slice":
            if v.step is not None and v.step.__index__() <= 0:
                raise ValueError("step must be greater than zero" if v.step.__index__() else
                                 "slice step cannot be zero")
            basic.append(slice(*(None if s is None else s.__index__()
                                 for s in (v.start, v.stop, v.step))))
            src, real, out = src + 1, real + 1, out + 1
        elif kind == "ellipsis":
            m = ndim - specified
            basic.extend([slice(None)] * m)
            src, real, out = src + m, real + m, out + m
        elif kind == "none":
            basic.append(None)
            real, out = real + 1, out + 1
        elif kind == "bool":
            # A new dim of size 1, kept whole (True) or emptied (False) by an index array.
            basic.append(None)
            advanced.append((out, "array", np.zeros(1 if v else 0, np.int64)))
            real, out = real + 1, out + 1
        else:
            k = v.ndim if kind == "mask" else 1
            basic.extend([slice(None)] * k)
            advanced.append((out, kind, v))
            src, real, out = src + k, real + k, out + k
    while basic and basic[-1] == slice(None):  # a second `...` may leave slices past the end
        basic.pop()
    basic.append(Ellipsis)  # keeps a 0-dim result a view rather than a NumPy scalar
    return tuple(basic), advanced


def _advanced(shape, advanced):
    """The integer index arrays and their dims in a view of `shape` for the advanced entries,
    checked: masks match the dims they cover and the arrays broadcast (bounds come later, as in
    PyTorch, whose kernels check them after the value's checks)."""
    arrays, at = [], []
    for d, kind, v in advanced:
        if kind == "mask":
            for j, (m, s) in enumerate(zip(v.shape, shape[d:])):
                if m != s:
                    raise IndexError(
                        f"The shape of the mask {list(v.shape)} at index {j} does not match the "
                        f"shape of the indexed tensor {list(shape)} at index {d + j}")
            try:
                arrays.extend(np.nonzero(v))
            except RuntimeError:  # a mask whose values a transform hides: vmap's, as torch.func
                raise RuntimeError(
                    "vmap: We do not support batching operators that can support dynamic shape. "
                    "Attempting to batch over indexing with a boolean mask.") from None
            at.extend(range(d, d + v.ndim))
        else:
            arrays.append(v)
            at.append(d)
    try:
        np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                         f"shapes {', '.join(str(list(a.shape)) for a in arrays)}") from None
    return arrays, tuple(at)


def _check_index_bounds(shape, arrays, at):
    sizes = [shape[d] for d in at]
    values = [bounds_array(a) for a in arrays]  # a mapped index's whole batch
    for j, (a, n) in enumerate(zip(values, sizes)):
        if a.size and n == 0:
            raise IndexError("index is out of bounds for dimension with size 0")
        bad = _first_bad(a, -n, n)
        if bad is not None:
            if any(a is not v for a, v in zip(arrays, values)):  # batched: the first bad one
                raise IndexError(f"index {bad} is out of bounds for dimension {j} with size {n}")
            _raise_first_out_of_bounds(arrays, sizes)


def _raise_first_out_of_bounds(arrays, sizes):
    # PyTorch walks the broadcast index in order and checks each array in turn at each position.
    full = np.broadcast_arrays(*arrays)
    bad = np.stack([((a < -n) | (a >= n)).reshape(-1) for a, n in zip(full, sizes)])
    pos = int(np.argmax(bad.any(axis=0)))
    j = int(np.argmax(bad[:, pos]))
    raise IndexError(f"index {full[j].reshape(-1)[pos]} is out of bounds for dimension {j} with "
                     f"size {sizes[j]}")


def _result_shape(shape, arrays, at):
    """The shape `x[index]` has, by NumPy's and PyTorch's placement of the advanced dims."""
    b = np.broadcast_shapes(*(a.shape for a in arrays))
    rest = [s for d, s in enumerate(shape) if d not in at]
    if list(at) == list(range(at[0], at[0] + len(at))):
        return tuple(shape[:at[0]]) + b + tuple(shape[at[-1] + 1:])
    return b + tuple(rest)


def __getitem__(self, key):
    if type(key) is int and self._data.ndim and -self._data.shape[0] <= key < self._data.shape[0]:
        return basic_index_p(self, key=(key, Ellipsis))  # t[i], the commonest index: no parsing
    basic, advanced = _parse(self._data.shape, key)
    view = basic_index_p(self, key=basic)
    if not advanced:
        return view
    arrays, at = _advanced(view._data.shape, advanced)
    _check_index_bounds(view._data.shape, arrays, at)
    return index_p(view, *arrays, at=at)


def _strip_leading_ones(value):
    """PyTorch drops a value's leading size-1 dims before broadcasting it into an index."""
    k = 0
    while k < value.ndim and value.shape[k] == 1:
        k += 1
    return basic_index_p(value, key=(0,) * k + (Ellipsis,)) if k else value


def __setitem__(self, key, value):
    d = dtype_of(self._data)
    shape = np.shape(value._data if isinstance(value, TensorBase) else value)
    if isinstance(value, TensorBase):
        value = _strip_leading_ones(value)
    elif isinstance(value, (bool, int, float, complex, np.integer)):  # PyTorch's accepted types
        value = _scalar(value, d, half_to_inf=True)
    else:
        raise TypeError(f"can't assign a {_type_name(value)} to a {LEGACY_NAMES[d]}")
    if key is True or key is False:  # PyTorch's shortcut: a new leading dim, written or not
        if key:
            view = basic_index_p(self, key=(None, Ellipsis))
            _check_expand(value, view._data.shape)
            copy_as(view, value, _setitem_op(view, shape))
        return
    basic, advanced = _parse(self._data.shape, key)
    view = basic_index_p(self, key=basic)
    if not advanced:
        _check_expand(value, view._data.shape)
        copy_as(view, value, _setitem_op(view, shape))
        return
    arrays, at = _advanced(view._data.shape, advanced)
    one_mask = len(advanced) == 1 and advanced[0][1] == "mask"
    write_inplace(view, _index_put(view, arrays, at, value, False, one_mask), "aten::index_put_")


def _setitem_op(view, shape):
    """What torch names a basic-index write of a value shaped `shape` (before its leading ones
    are dropped): its copy_to fills with a 0-dim value that needs broadcasting."""
    return "aten::fill_.Tensor" if not shape and view._data.shape else "aten::copy_"


def _check_expand(value, shape):
    """PyTorch's expand errors for a value that does not broadcast to a basic index's view."""
    data = value._data if isinstance(value, TensorBase) else value
    vshape = data.shape
    if len(vshape) > len(shape):
        raise RuntimeError(
            f"expand({LEGACY_NAMES[dtype_of(data)]}{{{list(vshape)}}}, "
            f"size={list(shape)}): the number of sizes provided ({len(shape)}) must be greater "
            f"or equal to the number of dimensions in the tensor ({len(vshape)})")
    for i in range(1, len(vshape) + 1):
        if vshape[-i] != 1 and vshape[-i] != shape[-i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[-i]}) must match the existing size "
                f"({vshape[-i]}) at non-singleton dimension {len(shape) - i}.  Target sizes: "
                f"{list(shape)}.  Tensor sizes: {list(vshape)}")


def _index_put(self, arrays, at, values, accumulate, one_mask):
    """index_put's result after PyTorch's checks on `values` and on the index bounds."""
    d = dtype_of(self._data)
    if isinstance(values, TensorBase) and one_mask and not accumulate and values.numel() == 1:
        # PyTorch hands one mask and one value to masked_fill_, which converts any dtype (and
        # differentiates in a value that requires grad).
        number = item_or_none(values)
        v = None if number is None else _scalar(number, d)
        values = fill_value(values.reshape(()), self) if v is None or values._requires_grad else v
    data = values._data if isinstance(values, TensorBase) else values
    vshape = data.shape
    shape = self._data.shape or (1,)
    result_shape = _result_shape(shape, arrays, at)
    if len(vshape) > len(result_shape) or any(
            v not in (1, r) for v, r in zip(reversed(vshape), reversed(result_shape))):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be "
                           f"broadcast to indexing result of shape {list(result_shape)}")
    vd = dtype_of(data)
    if vd is not d:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{torch_type_name(d)} for the destination and {torch_type_name(vd)} "
                           "for the source.")
    _check_index_bounds(shape, arrays, at)
    return index_put_p(self, values, *arrays, at=at, accumulate=accumulate)


def index_put(input, indices, values, accumulate=False):
    """`input` with `values` written (or added) at `input[indices]`; indices are tensors."""
    if not isinstance(values, TensorBase):
        raise TypeError(f"index_put(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    advanced, d = [], 0
    for i, e in enumerate(indices):
        if not isinstance(e, TensorBase):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(e).__name__}")
        if e.ndim == 0 and e._data.dtype.kind == "i":
            kind, v = "array", _mask_or_indices(e._data, True, e)[1]
        elif e.ndim == 0:
            raise IndexError("index_put(): 0-dim bool index tensors are not supported")
        else:
            kind, v = _mask_or_indices(e._data, True, e)
        advanced.append((d, kind, v))
        d += v.ndim if kind == "mask" else 1
    if not advanced:
        raise RuntimeError("index_put(): expected at least one index tensor")
    if d > input.ndim:  # a 0-dim input takes no index tensor, unlike in __getitem__
        raise IndexError(f"too many indices for tensor of dimension {input.ndim} (got "
                         f"{len(indices)})")
    arrays, at = _advanced(input._data.shape or (1,), advanced)
    one_mask = len(advanced) == 1 and advanced[0][1] == "mask"
    return _index_put(input, arrays, at, values, accumulate, one_mask)


def index_put_(self, indices, values, accumulate=False):
    return write_inplace(self, index_put(self, indices, values, accumulate), "aten::index_put_")


# -- masks: masked_fill, masked_select, where, nonzero --------------------------------------------

def masked_fill(input, mask, value):
    """`input` (broadcast with `mask`) with `value` where `mask` is True."""
    return where_p(mask, _mask_value("masked_fill", input, mask, value, False), input)


def masked_fill_(self, mask, value):
    overload = "Tensor" if isinstance(value, TensorBase) else "Scalar"
    return write_inplace(self, where_p(mask, _mask_value("masked_fill_", self, mask, value, True),
                                       self), f"aten::masked_fill_.{overload}")


def _mask_value(name, input, mask, value, inplace):
    """masked_fill's value as a 0-dim array of input's dtype (a tensor if it requires grad),
    after PyTorch's checks in its order (the out-of-place op broadcasts first; the in-place one
    checks the value and mask first)."""
    if not isinstance(value, (TensorBase, numbers.Number, np.number, np.bool_)):
        raise TypeError(f"{name}(): argument 'value' must be Number or Tensor, not "
                        f"{_type_name(value)}")
    shape, mshape = input._data.shape, mask._data.shape
    if not inplace:
        broadcast_shape(mshape, shape)
    if isinstance(value, TensorBase) and value.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    md = dtype_of(mask._data)
    if md is not dt.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_MASK_NAMES[md.name]}")
    if inplace:
        full = broadcast_shape(shape, mshape)
        if full != shape:
            raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast "
                               f"shape {list(full)}")
    if not isinstance(value, TensorBase):
        return _scalar(value, dtype_of(input._data))
    number = item_or_none(value)
    if number is None:
        return fill_value(value, input)
    v = _scalar(number, dtype_of(input._data))
    # PyTorch differentiates masked_fill in a tensor value: keep one that requires grad.
    return fill_value(value, input) if value._requires_grad else v


def masked_select(input, mask, *, out=None):
    """The elements of `input` (broadcast with `mask`) where `mask` is True, as a vector."""
    if dtype_of(mask._data) is not dt.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape, mshape = input._data.shape, mask._data.shape
    full = broadcast_shape(mshape, shape)
    try:
        nz = np.nonzero(np.broadcast_to(mask._data, full or (1,)))
    except RuntimeError:  # a mask whose values a transform hides: vmap's, as torch.func
        raise RuntimeError(
            "vmap: Attempted to vmap over `mask` in lamina.masked_select(self, mask) We cannot "
            "support this because for each batch this would return a differently shaped Tensor. "
            "Please file an issue at https://github.com/pytorch/pytorch/issues if you need this "
            "feature.") from None
    # Index `input` where it sits in the broadcast shape: its own dims, 0 along its size-1 dims.
    lead = len(full) - len(shape)
    grid = [np.zeros_like(nz[0]) if n == 1 else nz[lead + d] for d, n in enumerate(shape)]
    grid = grid or [np.zeros_like(nz[0])]
    return finish_out(index_p(input, *grid, at=tuple(range(len(grid)))), out)


def where(condition, input=None, other=None, *, out=None):
    """Elements of `input` where `condition` holds and of `other` elsewhere (broadcast, promoted
    as in PyTorch, numbers welcome); `where(condition)` is `nonzero(condition, as_tuple=True)`."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() takes a condition and both input and other, or the condition "
                        "alone")
    d = result_type_of((input, other))
    input, other = (v if isinstance(v, TensorBase) else _scalar(v, d, half_to_inf=True)
                    for v in (input, other))
    cd = dtype_of(condition._data)
    if cd is dt.uint8:
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and "
                      "will be removed in a future version of lamina. Use a boolean condition "
                      "instead.", UserWarning, stacklevel=2)
        condition = condition._data.astype(bool)
    elif cd is not dt.bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {torch_type_name(cd)}")
    shape = np.shape(condition)
    for v in (input, other):  # PyTorch names the first pair that fails to broadcast
        shape = broadcast_shape(shape, np.shape(v))
    return finish_out(where_p(condition, input, other), out)


def _where_method(self, condition, other):
    return where(condition, self, other)


def nonzero(input, *, out=None, as_tuple=False):
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or one vector per dim."""
    if as_tuple:
        x = input if input.ndim else basic_index_p(input, key=(None,))
        nz = nonzero_p(x)
        return tuple(basic_index_p(nz, key=(slice(None), d)) for d in range(x.ndim))
    if out is not None and dtype_of(out._data) is not dt.int64:
        raise RuntimeError(f"nonzero: Expected out tensor to have scalar type Long but got "
                           f"scalar type{torch_type_name(dtype_of(out._data))}")
    return finish_out(nonzero_p(input), out)


def argwhere(input):
    """nonzero(input): the (n, ndim) indices of the nonzero elements."""
    return argwhere_p(input)


__all__ = ["index_put", "masked_fill", "masked_select", "where", "nonzero", "argwhere",
           "index_select", "index_add", "index_fill", "gather", "scatter", "scatter_add", "take",
           "put", "take_along_dim"]
METHODS = {
    "__getitem__": __getitem__, "__setitem__": __setitem__, "index_put": index_put,
    "index_put_": index_put_, "masked_fill": masked_fill, "masked_fill_": masked_fill_,
    "masked_select": masked_select, "where": _where_method, "nonzero": nonzero,
    "argwhere": argwhere, **_ALONG_METHODS,
}
