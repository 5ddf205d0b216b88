"""Op table entries for lamina/_ops/sorting.py.

Where PyTorch leaves the index of a tie unspecified (topk, kthvalue, median), samples hold
distinct values, so any correct implementation returns the same indices. sort is stable in
PyTorch's CPU kernel whatever `stable=` says, so its samples keep their ties (and NaNs).
"""

import itertools
from collections import Counter
from functools import partial

import numpy as np

import lamina as lm
from opdb import FLOATING, INTEGRAL, ErrorInput, OpInfo, Sample, make_array
from opdb.reduction import _array, smooth_samples

ORDERED = INTEGRAL + ("float16",) + FLOATING        # what topk, kthvalue, median accept


def _distinct(shape, dtype, rng, nan=False):
    """Distinct values (a shuffled range) so that no order statistic has a tie."""
    n = int(np.prod(shape))
    start = 0 if dtype == "uint8" else -(n // 2)
    x = (rng.permutation(n) + start).reshape(shape).astype(dtype)
    if nan and x.dtype.kind == "f" and n > 2:
        x.reshape(-1)[rng.choice(n, 2, replace=False)] = np.nan
    return x


def _along(make, *, kwargs=({},), nan=False):
    """0-dim, empty, 1-D and batched 3-D inputs along the last, a middle and a negative dim."""
    def samples(dtype, rng):
        for kw in kwargs:
            tag = "-".join(f"{k}={v}" for k, v in kw.items())
            yield Sample((make((), dtype, rng),), {"dim": 0, **kw}, f"0d-{tag}")
            yield Sample((make((0,), dtype, rng),), {**kw}, f"empty-{tag}")
            yield Sample((make((6,), dtype, rng, nan),), {**kw}, f"1d-{tag}")
            yield Sample((make((2, 3, 4), dtype, rng, nan),), {"dim": 1, **kw}, f"3d-dim1-{tag}")
            yield Sample((make((2, 3, 4), dtype, rng, nan),), {"dim": -3, **kw}, f"3d-dim-3-{tag}")
            yield Sample((make((0, 3), dtype, rng),), {"dim": 1, **kw}, f"emptybatch-{tag}")
    return samples


def _order(x, dim, descending):
    """Reference stable order: NaN above every number; descending keeps ties in input order."""
    key = x.astype(np.float64)
    if descending:
        key = np.where(np.isnan(key), -np.inf, -key)
    return np.argsort(key, axis=dim, kind="stable")


def _sort_ref(x, dim=-1, descending=False, stable=False):
    if x.ndim == 0:
        return x.copy(), np.asarray(0)
    idx = _order(x, dim, descending)
    return np.take_along_axis(x, idx, axis=dim), idx


def _topk_ref(x, k, dim=-1, largest=True, sorted=True):
    if x.ndim == 0:
        return x.copy(), np.asarray(0)
    idx = np.take(_order(x, dim, largest), np.arange(k), axis=dim)
    return np.take_along_axis(x, idx, axis=dim), idx


def topk_samples(dtype, rng):
    yield Sample((_distinct((), dtype, rng), 1), {}, "0d")
    yield Sample((_distinct((6,), dtype, rng, nan=True), 3), {}, "1d")
    yield Sample((_distinct((2, 3, 4), dtype, rng), 2), {"dim": 1}, "3d-dim1")
    yield Sample((_distinct((2, 3, 4), dtype, rng), 3), {"largest": False}, "3d-smallest")
    yield Sample((_distinct((2, 3, 4), dtype, rng), 0), {"dim": 0}, "k0")
    yield Sample((_distinct((0, 3), dtype, rng), 1), {"dim": 1}, "emptybatch")


def _rows(x, dim, fn, keepdim):
    """Apply `fn(row) -> (value, index)` along `dim`; the reference's explicit loop."""
    if x.ndim == 0:
        return x.copy(), np.asarray(0)
    moved = np.moveaxis(x, dim, -1)
    values = np.empty(moved.shape[:-1], x.dtype)
    indices = np.empty(moved.shape[:-1], np.int64)
    for i in np.ndindex(values.shape):
        values[i], indices[i] = fn(moved[i])
    if keepdim:
        values, indices = np.expand_dims(values, dim), np.expand_dims(indices, dim)
    return values, indices


def _kth(row, k):
    i = _order(row, 0, False)[k - 1]
    return row[i], i


def _kthvalue_ref(x, k, dim=-1, keepdim=False):
    return _rows(x, dim, partial(_kth, k=k), keepdim)


def kthvalue_samples(dtype, rng):
    yield Sample((_distinct((), dtype, rng), 1), {}, "0d")
    yield Sample((_distinct((6,), dtype, rng, nan=True), 2), {}, "1d")
    yield Sample((_distinct((2, 3, 4), dtype, rng), 3), {"dim": 1, "keepdim": True}, "3d-dim1")
    yield Sample((_distinct((2, 3, 4), dtype, rng), 4), {}, "3d-last")
    yield Sample((_distinct((0, 3), dtype, rng), 1), {"dim": 1}, "emptybatch")


def _median_row(row, skipnan):
    nan = np.isnan(row.astype(np.float64))
    if nan.any() and (not skipnan or nan.all()):
        i = int(np.flatnonzero(nan)[0])
        return row[i], i
    valid = np.flatnonzero(~nan)
    i = valid[_order(row[valid], 0, False)[(valid.size - 1) // 2]]
    return row[i], i


def _median_ref(skipnan):
    def ref(x, dim=None, keepdim=False):
        if dim is None:
            return np.asarray(_median_row(x.reshape(-1), skipnan)[0])
        return _rows(x, dim, partial(_median_row, skipnan=skipnan), keepdim)
    return ref


def median_samples(dtype, rng):
    yield Sample((_distinct((), dtype, rng),), {}, "0d")
    yield Sample((_distinct((7,), dtype, rng),), {}, "1d-all")
    yield Sample((_distinct((2, 3, 4), dtype, rng, nan=True),), {}, "3d-all")
    yield Sample((_distinct((), dtype, rng),), {"dim": 0, "keepdim": True}, "0d-dim0")
    yield Sample((_distinct((6,), dtype, rng, nan=True),), {"dim": 0}, "1d-dim0")
    yield Sample((_distinct((2, 3, 4), dtype, rng, nan=True),), {"dim": 1}, "3d-dim1")
    yield Sample((_distinct((2, 3, 4), dtype, rng),), {"dim": -1, "keepdim": True}, "3d-keepdim")
    yield Sample((_distinct((0, 3), dtype, rng),), {"dim": 1}, "emptybatch")


def _mode_row(row):
    counts = Counter(row.tolist())
    top = max(counts.values())
    value = min(v for v, c in counts.items() if c == top)
    return value, int(np.flatnonzero(row == value)[-1])


def _mode_ref(x, dim=-1, keepdim=False):
    return _rows(x, dim, _mode_row, keepdim)


def mode_samples(dtype, rng):
    # Few distinct values, so rows have repeated values and ties between counts.
    def small(shape):
        return np.asarray(np.round(make_array(shape, dtype, rng, low=0, high=3)))
    yield Sample((small(()),), {}, "0d")
    yield Sample((small((9,)),), {}, "1d")
    yield Sample((small((2, 5, 4)),), {"dim": 1}, "3d-dim1")
    yield Sample((small((2, 3, 6)),), {"keepdim": True}, "3d-keepdim")
    yield Sample((small((0, 3)),), {"dim": 1}, "emptybatch")


def _unique_ref(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    values, inverse, counts = np.unique(x if dim is not None else x.reshape(-1), axis=dim,
                                        return_inverse=True, return_counts=True)
    out = (values,)
    if return_inverse:
        out += (inverse.reshape(x.shape if dim is None else x.shape[dim]).astype(np.int64),)
    if return_counts:
        out += (counts.astype(np.int64),)
    return out if len(out) > 1 else values


def _unique_consecutive_ref(x, return_inverse=False, return_counts=False, dim=None):
    moved = np.moveaxis(x.reshape(-1) if dim is None else x, dim or 0, 0)
    groups = [list(g) for _, g in itertools.groupby(range(len(moved)),
                                                     key=lambda i: moved[i].tobytes())]
    values = np.moveaxis(moved[[g[0] for g in groups]], 0, dim or 0)
    out = (values,)
    if return_inverse:
        inverse = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        out += (inverse.reshape(x.shape if dim is None else -1),)
    if return_counts:
        out += (np.array([len(g) for g in groups], np.int64),)
    return out if len(out) > 1 else values


def unique_samples(dtype, rng, *, sorted_kw=True):
    def small(shape):
        return make_array(shape, dtype, rng, low=0, high=3)
    yield Sample((small(()),), {}, "0d")
    yield Sample((small((0,)),), {"return_inverse": True, "return_counts": True}, "empty")
    yield Sample((small((9,)),), {"return_counts": True}, "1d")
    yield Sample((small((3, 4)),), {"return_inverse": True}, "2d-inverse")
    yield Sample((small((2, 3, 4)),), {"sorted": False} if sorted_kw else {}, "3d")
    x = small((4, 2))
    yield Sample((np.concatenate([x, x[::-1]]),), {"dim": 0, "return_inverse": True,
                                                   "return_counts": True}, "dim0")
    yield Sample((small((2, 5)),), {"dim": -1, "return_counts": True}, "dim-1")


def mode_grad_samples(dtype, rng):
    # Distinct values: a row's mode is then its smallest value, which moves with it (a value
    # repeated is a tie, which a perturbation breaks).
    yield Sample((_distinct((6,), dtype, rng),), {}, "1d")
    yield Sample((_distinct((2, 3, 4), dtype, rng),), {"dim": 1}, "3d-dim1")
    yield Sample((_distinct((2, 3, 4), dtype, rng),), {"keepdim": True}, "3d-keepdim")


def _errors(*cases):
    return lambda: [ErrorInput(Sample(args, kwargs, name), exc, match)
                    for name, args, kwargs, exc, match in cases]


_F = np.arange(6.0, dtype=np.float32).reshape(2, 3)
_C = _F.astype(np.complex64)

OPS = [
    OpInfo("sort", lm.sort, _sort_ref,
           _along(_array, kwargs=({}, {"descending": True}, {"stable": True}), nan=True),
           method="sort", vmap=True, dtypes=("bool",) + ORDERED,
           grad=True, gradgrad=True, fwgrad=True,
           grad_samples=smooth_samples({}, {"dim": 1, "descending": True}, {"dim": 0}),
           errors=_errors(("complex", (_C,), {}, RuntimeError, "Sort does not support complex"),
                          ("dim", (_F, 2), {}, IndexError, "Dimension out of range"))),
    OpInfo("argsort", lm.argsort, lambda x, **kw: _sort_ref(x, **kw)[1],
           _along(_array, kwargs=({"descending": True},)), method="argsort",
           vmap=True, dtypes=("bool",) + ORDERED),
    OpInfo("msort", lm.msort, lambda x: _sort_ref(x, 0)[0],
           lambda d, rng: [Sample((_array((4, 3), d, rng, nan=True),), {}, "2d"),
                           Sample((_array((), d, rng),), {}, "0d")],
           method="msort", vmap=True, dtypes=ORDERED, grad=True, gradgrad=True, fwgrad=True,
           grad_samples=smooth_samples({})),
    OpInfo("topk", lm.topk, _topk_ref, topk_samples, method="topk", vmap=True, dtypes=ORDERED,
           grad=True, gradgrad=True, fwgrad=True,
           errors=_errors(("k", (_F, 4), {}, RuntimeError, "selected index k out of range"),
                          ("bool", (_F > 0, 1), {}, RuntimeError, "topk does not support bool"))),
    OpInfo("kthvalue", lm.kthvalue, _kthvalue_ref, kthvalue_samples, method="kthvalue",
           vmap=True, dtypes=ORDERED, grad=True, gradgrad=True, fwgrad=True,
           errors=_errors(("k", (_F, 4), {}, RuntimeError,
                           r"kthvalue\(\): selected number k out of range for dimension 1"),
                          ("empty", (_F[:0], 1, 0), {}, IndexError, "non-zero size"))),
    OpInfo("median", lm.median, _median_ref(False), median_samples, method="median",
           vmap=True, dtypes=ORDERED, grad=True, gradgrad=True, fwgrad=True,
           errors=_errors(("empty", (_F[:0], 0), {}, IndexError,
                           r"median\(\): Expected reduction dim 0 to have non-zero size."),
                          ("complex", (_C,), {}, NotImplementedError, "median_cpu"))),
    OpInfo("nanmedian", lm.nanmedian, _median_ref(True), median_samples, method="nanmedian",
           vmap=True, dtypes=("float16",) + FLOATING, grad=True, gradgrad=True, fwgrad=True),
    OpInfo("mode", lm.mode, _mode_ref, mode_samples, method="mode",
           vmap=True, dtypes=("uint8", "int32", "int64", "float32", "float64"),
           grad=True, gradgrad=True, fwgrad=True,
           grad_samples=mode_grad_samples),
    # unique's output shape depends on the values: vmap refuses it (test_func_reduction.py).
    OpInfo("unique", lm.unique, _unique_ref, unique_samples, method="unique",
           dtypes=("bool",) + ORDERED,
           errors=_errors(("complex", (_C,), {}, NotImplementedError, "unique"),
                          ("zero-size", (_F[:0],), {"dim": 1}, RuntimeError,
                           "There are 0 sized dimensions"))),
    OpInfo("unique_consecutive", lm.unique_consecutive, _unique_consecutive_ref,
           partial(unique_samples, sorted_kw=False),
           method="unique_consecutive", dtypes=("bool", "int64", "float32")),
]
