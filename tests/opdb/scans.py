"""Op table entries for lamina/_ops/scans.py: cumsum, cumprod, cummax, cummin, logcumsumexp.

References compute in float64/complex128 (int64 for integers), as reduction.py's, whose sample
helpers these share; cummax/cummin samples carry NaNs, whose handling is part of their contract.
"""

from functools import partial

import numpy as np

import lamina as lm
from opdb import ALL_DTYPES, FLOATING, OpInfo, Sample
from opdb.reduction import (
    _C,
    _F,
    _L,
    REAL,
    _array,
    _chain,
    _errors,
    _sum_dtype,
    _wide,
    _wide_dtype,
    smooth_samples,
)


def scan_samples(dtype, rng, *, nan=False, with_dtype=False):
    yield Sample((_array((), dtype, rng, nan),), {"dim": 0}, "0d")
    if with_dtype:
        yield Sample((_array((2, 3), dtype, rng, nan),), {"dim": 0, "dtype": _wide_dtype(dtype)},
                     "2d-dtype")
    yield Sample((_array((0,), dtype, rng, nan),), {"dim": 0}, "empty")
    yield Sample((_array((7,), dtype, rng, nan),), {"dim": 0}, "1d")
    yield Sample((_array((2, 3, 4), dtype, rng, nan),), {"dim": 1}, "3d-dim1")
    yield Sample((_array((2, 3, 4), dtype, rng, nan),), {"dim": -1}, "3d-dim-1")
    yield Sample((_array((0, 3), dtype, rng, nan),), {"dim": 1}, "emptybatch")


def _scan_ref(fn, result):
    def ref(x, dim, dtype=None):
        src = x if dtype is None else x.astype(dtype.np)
        out = fn(_wide(src).reshape(-1) if x.ndim == 0 else _wide(src), axis=dim)
        return out.reshape(x.shape).astype(result(x) if dtype is None else dtype.np)
    return ref


def _cum_extreme_ref(greater):
    """PyTorch's cummax/cummin loop, element by element (ties and NaN take the later index)."""
    def ref(x, dim):
        moved = np.moveaxis(x.reshape(1) if x.ndim == 0 else x, dim, -1)
        values, indices = np.empty_like(moved), np.zeros(moved.shape, np.int64)
        for row in np.ndindex(moved.shape[:-1]):
            best, at = None, 0
            for i, v in enumerate(moved[row]):
                if best is None or v != v or (best == best and greater(v, best)):
                    best, at = v, i
                values[row][i], indices[row][i] = best, at
        back = (np.moveaxis(values, -1, dim), np.moveaxis(indices, -1, dim))
        return tuple(b.reshape(x.shape) for b in back)
    return ref


def _logcumsumexp_ref(x, dim):
    flat = _wide(x).reshape(-1) if x.ndim == 0 else _wide(x)
    return np.log(np.cumsum(np.exp(flat), axis=dim)).reshape(x.shape).astype(x.dtype)


OPS = [
    OpInfo("cumsum", lm.cumsum, _scan_ref(np.cumsum, _sum_dtype),
           partial(scan_samples, with_dtype=True), method="cumsum",
           vmap=True, dtypes=ALL_DTYPES, grad=True, gradgrad=True, fwgrad=True,
           errors=_errors(("dim", (_F, 2), {}, IndexError, "Dimension out of range"))),
    OpInfo("cumprod", lm.cumprod, _scan_ref(np.cumprod, _sum_dtype),
           partial(scan_samples, with_dtype=True),
           method="cumprod", vmap=True, dtypes=ALL_DTYPES, grad=True, gradgrad=True, fwgrad=True,
           grad_samples=_chain(smooth_samples({"dim": 2}, {"dim": 0}, zeros=True), scan_samples)),
    OpInfo("cummax", lm.cummax, _cum_extreme_ref(lambda a, b: a >= b),
           partial(scan_samples, nan=True), method="cummax", vmap=True, dtypes=REAL,
           grad=True, gradgrad=True, fwgrad=True,
           grad_samples=scan_samples,
           errors=_errors(("complex", (_C, 0), {}, NotImplementedError, "cummax_cpu"))),
    OpInfo("cummin", lm.cummin, _cum_extreme_ref(lambda a, b: a <= b),
           partial(scan_samples, nan=True), method="cummin", vmap=True, dtypes=REAL, grad=True,
           gradgrad=True, fwgrad=True, grad_samples=scan_samples),
    OpInfo("logcumsumexp", lm.logcumsumexp, _logcumsumexp_ref, scan_samples,
           method="logcumsumexp", vmap=True, dtypes=("float16",) + FLOATING,
           grad=True, gradgrad=True, fwgrad=True,
           errors=_errors(("int", (_L, 0), {}, NotImplementedError, "'Long'"))),
]
