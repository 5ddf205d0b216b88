"""Sorting and order statistics: sort, argsort, topk, kthvalue, median, mode, unique.

Every body sorts with a stable sort, so where PyTorch's CPU kernels are stable (sort, whatever
`stable=` says) the indices match exactly; NaN sorts above every number, as in PyTorch. Where
PyTorch leaves the index of a tie unspecified (topk, kthvalue, median, mode) lamina returns the
stable order's choice, which may differ from PyTorch's.
"""

import numpy as np

from .._core import dtype as dt
from .._core._tensor import canonical_dim
from ._checks import not_implemented
from ._rules import not_implemented as no_derivative
from .indexing import where
from .mutation import finish_out
from .primitive import Primitive
from .reduction import (
    check_nonempty,
    is_int_like,
    one_axis,
    one_axis_batch,
    reject_complex,
    scalar_as_vector,
    select_back,
    take_along,
)
from .return_types import return_types


def _argsort(xp, x, axis, descending):
    """Stable argsort; descending keeps equal elements in their original order, NaN first."""
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    # Sorting the reversed array ascending and reversing the result puts the largest first while
    # keeping ties (and NaNs) in their original order.
    flipped = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return x.shape[axis] - 1 - xp.flip(flipped, axis)


@scalar_as_vector
def _sort_fwd(xp, x, *, axis, descending):
    idx = _argsort(xp, x, axis, descending)
    return xp.take_along_axis(x, idx, axis=axis), idx


@scalar_as_vector
def _topk_fwd(xp, x, *, k, axis, largest):
    idx = xp.take(_argsort(xp, x, axis, largest), xp.arange(k), axis=axis)
    return xp.take_along_axis(x, idx, axis=axis), idx


def _select(xp, x, idx, pos, axis, keepdim):
    """The element at sorted position `pos` (an array broadcast along `axis`) and its index."""
    chosen = xp.take_along_axis(idx, pos, axis=axis)
    values = xp.take_along_axis(x, chosen, axis=axis)
    if not keepdim:
        values, chosen = values.squeeze(axis), chosen.squeeze(axis)
    return values, chosen


@scalar_as_vector
def _kthvalue_fwd(xp, x, *, k, axis, keepdim):
    shape = list(x.shape)
    shape[axis] = 1
    return _select(xp, x, _argsort(xp, x, axis, False), xp.full(shape, k - 1), axis, keepdim)


@scalar_as_vector
def _median_fwd(xp, x, *, axis, keepdim, skipnan):
    # The lower median. NaNs sort last in their original order: median returns the first NaN of
    # a row holding one, nanmedian the lower median of the rest (the first NaN if nothing is left).
    # axis=None takes the median of every element (and its index into the flattened input).
    if axis is None:
        x, axis = x.reshape(-1), 0
        if x.size == 0:  # PyTorch gives nan; for integers its value is unspecified
            fill = np.nan if x.dtype.kind == "f" else np.iinfo(x.dtype).min
            return xp.full((), fill, x.dtype), xp.zeros((), np.int64)
    n = x.shape[axis]
    nans = xp.sum(xp.isnan(x), axis=axis, keepdims=True) if x.dtype.kind == "f" else 0
    if skipnan:
        pos = xp.maximum(n - nans - 1, 0) // 2
    else:
        pos = xp.where(nans > 0, n - nans, (n - 1) // 2)
    pos = xp.broadcast_to(pos, [1 if a == axis else s for a, s in enumerate(x.shape)])
    return _select(xp, x, _argsort(xp, x, axis, False), pos, axis, keepdim)


@scalar_as_vector
def _mode_fwd(xp, x, *, axis, keepdim):
    # Sort, then find the longest run of equal values; the first longest run is the smallest
    # most frequent value, and its last element in stable order is that value's last
    # occurrence, which is the index PyTorch reports. NaN equals nothing, so each NaN is a run of
    # its own (PyTorch's kernel is not consistent about NaN here).
    idx = xp.argsort(x, axis=axis, kind="stable")
    s = xp.moveaxis(xp.take_along_axis(x, idx, axis=axis), axis, -1)
    n = s.shape[-1]
    same = s[..., 1:] == s[..., :-1]
    pos = xp.arange(n)
    starts = xp.maximum.accumulate(
        xp.where(xp.concatenate([xp.zeros_like(s[..., :1], bool), same], -1), 0, pos), axis=-1)
    ends = xp.concatenate([~same, xp.ones_like(s[..., :1], bool)], -1)
    best = xp.argmax(xp.where(ends, pos - starts + 1, 0), axis=-1)[..., None]
    return _select(xp, x, idx, xp.moveaxis(best, -1, axis), axis, keepdim)


# Each value came from one element of x, named by the returned index: the gradient goes there.
def _sort_vjp(ct, out, x, *, axis, **params):
    return (select_back(ct[0], x, axis, out[1]),)


def _select_vjp(ct, out, x, *, axis, keepdim, **params):
    return (select_back(ct[0], x, axis, out[1], keepdim),)


def _median_ties(x, value):
    return (x == value) | (x.isnan() & value.isnan())


# derivatives.yaml: median.dim takes the index; median() without a dim has none to honour and uses
# evenly_distribute_backward: the gradient split over every element equal to the median (every
# NaN when it is NaN).
def _median_vjp(ct, out, x, *, axis, keepdim, skipnan):
    if axis is not None:
        return _select_vjp(ct, out, x, axis=axis, keepdim=keepdim)
    hit = _median_ties(x, out[0])
    return (hit * (ct[0] / hit.sum()),)


# Forward mode: the tangent at the returned indices (derivatives.yaml: `self_t.gather(dim,
# indices)`, gather_with_keepdimed_indices); median() without a dim reads the tangents of its
# ties evenly (evenly_read_jvp), counting NaNs as the VJP does.
def _sort_jvp(tangents, out, x, *, axis, **params):
    return take_along(tangents[0], axis, out[1]), None


def _select_jvp(tangents, out, x, *, axis, keepdim, **params):
    return take_along(tangents[0], axis, out[1], keepdim), None


def _median_jvp(tangents, out, x, *, axis, keepdim, skipnan):
    if axis is not None:
        return _select_jvp(tangents, out, x, axis=axis, keepdim=keepdim)
    hit = _median_ties(x, out[0])
    return where(hit, tangents[0], 0).sum() / hit.sum(), None


# topk, kthvalue, median and mode could each be a sort followed by a gather; one body apiece keeps
# each op's rule for ties and NaN in one place and sorts once. Their rules read only the indices,
# but median() over every element compares x with its value.
sort_p = Primitive("sort", xp=_sort_fwd, vjp=_sort_vjp, jvp=_sort_jvp,
                   batch=one_axis_batch("sort"), saves=("out",))
topk_p = Primitive("topk", xp=_topk_fwd, vjp=_sort_vjp, jvp=_sort_jvp,
                   batch=one_axis_batch("topk"), saves=("out",))
kthvalue_p = Primitive("kthvalue", xp=_kthvalue_fwd, vjp=_select_vjp, jvp=_select_jvp,
                       batch=one_axis_batch("kthvalue"), saves=("out",))
median_p = Primitive("median", xp=_median_fwd, vjp=_median_vjp, jvp=_median_jvp,
                     batch=one_axis_batch("median"), saves=(0, "out"))
mode_p = Primitive("mode", xp=_mode_fwd, vjp=_select_vjp, jvp=_select_jvp,
                   batch=one_axis_batch("mode"), saves=("out",))


def _sortable(name, input):
    if input.dtype.category == dt.COMPLEX:
        raise RuntimeError(f"{name} does not support complex dtypes on CPU")


def sort(input, dim=-1, descending=False, *, stable=False, out=None):
    _sortable("Sort", input)
    values, indices = sort_p(input, axis=one_axis("sort", dim, input.ndim),
                             descending=bool(descending))
    return finish_out(return_types.sort(values, indices), out)


def argsort(input, dim=-1, descending=False, *, stable=False):
    return sort(input, dim, descending, stable=stable).indices


def msort(input, *, out=None):
    return finish_out(sort(input, 0).values, out)


def topk(input, k, dim=None, largest=True, sorted=True, *, out=None):
    _sortable("topk", input)
    if input.dtype is dt.bool:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    axis = one_axis("topk", -1 if dim is None else dim, input.ndim)
    n = input.shape[axis] if input.ndim else 1
    if not is_int_like(k) or not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    # Sorted or not, the k elements come back in sorted order (PyTorch leaves the order of an
    # unsorted result unspecified).
    values, indices = topk_p(input, k=int(k), axis=axis, largest=bool(largest))
    return finish_out(return_types.topk(values, indices), out)


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    axis = one_axis("kthvalue", dim, input.ndim)
    check_nonempty("kthvalue", input, axis)
    n = input.shape[axis] if input.ndim else 1
    if not is_int_like(k) or not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    reject_complex("kthvalue", input)
    if input.dtype is dt.bool:
        raise not_implemented("kthvalue_cpu", dt.bool)
    values, indices = kthvalue_p(input, k=int(k), axis=axis, keepdim=keepdim)
    return finish_out(return_types.kthvalue(values, indices), out)


def _median(name, input, dim, keepdim, out, skipnan):
    d = input.dtype
    if dim is not None:
        check_nonempty(name, input, one_axis(name, dim, input.ndim))
    reject_complex(name, input, "median_cpu")
    if d is dt.bool:
        raise not_implemented("median_cpu", d)
    if dim is None:
        return median_p(input, axis=None, keepdim=False, skipnan=skipnan)[0]
    axis = one_axis(name, dim, input.ndim)
    values, indices = median_p(input, axis=axis, keepdim=keepdim, skipnan=skipnan)
    return finish_out(getattr(return_types, name)(values, indices), out)


def median(input, dim=None, keepdim=False, *, out=None):
    return _median("median", input, dim, keepdim, out, skipnan=False)


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    return _median("nanmedian", input, dim, keepdim, out, skipnan=True)


def mode(input, dim=-1, keepdim=False, *, out=None):
    axis = one_axis("mode", dim, input.ndim)
    check_nonempty("mode", input, axis)
    reject_complex("mode", input)
    values, indices = mode_p(input, axis=axis, keepdim=keepdim)
    return finish_out(return_types.mode(values, indices), out)


# -- unique ---------------------------------------------------------------------------------------

def _unique_fwd(xp, x, *, axis, return_inverse, return_counts):
    # NaN never equals NaN, so each NaN is its own unique value, as in PyTorch.
    values, inverse, counts = xp.unique(x if axis is not None else x.reshape(-1), axis=axis,
                                        return_inverse=True, return_counts=True,
                                        equal_nan=False)
    inverse = inverse.reshape(x.shape if axis is None else x.shape[axis])
    return values, inverse.astype(np.int64), counts.astype(np.int64)


def _unique_consecutive_fwd(xp, x, *, axis):
    moved = xp.moveaxis(x.reshape(-1) if axis is None else x, axis or 0, 0)
    n = moved.shape[0]
    new = xp.ones(n, bool)
    if n > 1:
        new[1:] = (moved[1:] != moved[:-1]).reshape(n - 1, -1).any(axis=1)
    starts = xp.flatnonzero(new)
    inverse = (xp.cumsum(new) - 1).reshape(x.shape if axis is None else n)
    counts = xp.diff(xp.append(starts, n))
    values = xp.moveaxis(moved[starts], 0, axis or 0)
    return values, inverse.astype(np.int64), counts.astype(np.int64)


def _dynamic_shape(op):
    """torch.func's refusal to vmap an op whose output shape depends on the values."""
    def rule(bdims, *values, axis, **params):
        name = op[0] if axis is None else op[1]
        raise RuntimeError(
            "vmap: We do not support batching operators that can output dynamic shape. "
            f"Attempted to vmap over aten::{name}. Please file an issue at "
            "https://github.com/pytorch/pytorch/issues if you need this feature.")
    return rule


# PyTorch's unique values require grad but have no derivative: asking for one, in either mode,
# raises. (The ATen names differ with and without a dim.)
unique_p = Primitive("unique", xp=_unique_fwd, vjp=no_derivative("_unique2"),
                     jvp=no_derivative("_unique2"),
                     batch=_dynamic_shape(("_unique2", "unique_dim")))
unique_consecutive_p = Primitive("unique_consecutive", xp=_unique_consecutive_fwd,
                                 vjp=no_derivative("unique_consecutive"),
                                 jvp=no_derivative("unique_consecutive"),
                                 batch=_dynamic_shape(("unique_consecutive",) * 2))


def _unique_axis(name, input, dim):
    reject_complex(name, input, "unique")
    if dim is None:
        return None
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    axis = canonical_dim(dim, input.ndim)
    shape = input._data.shape
    if any(s == 0 for a, s in enumerate(shape) if a != axis):
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                           "cannot be applied")
    return axis


def _unique_result(out, return_inverse, return_counts):
    values, inverse, counts = out
    kept = (values,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts
                                                                  else ())
    return kept if len(kept) > 1 else values


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    # The result is sorted either way (PyTorch leaves the order of sorted=False unspecified).
    out = unique_p(input, axis=_unique_axis("unique", input, dim), return_inverse=return_inverse,
                   return_counts=return_counts)
    return _unique_result(out, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    out = unique_consecutive_p(input, axis=_unique_axis("unique_consecutive", input, dim))
    return _unique_result(out, return_inverse, return_counts)


__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "unique",
           "unique_consecutive"]
METHODS = {name: globals()[name] for name in __all__}
