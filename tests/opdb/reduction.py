"""Op table entries for lamina/_ops/reduction.py.

References compute in float64/complex128 (int64 for integers) and cast to PyTorch's result dtype,
so they are independent of the accumulation lamina does. Float samples carry NaNs where an op's
NaN behaviour is part of its contract (max, amax, nansum, ...). The scans are in scans.py.
"""


import numpy as np

import lamina as lm
from opdb import ALL_DTYPES, COMPLEX, FLOATING, INTEGRAL, ErrorInput, OpInfo, Sample, make_array

REAL = ("bool",) + INTEGRAL + ("float16",) + FLOATING     # what max/min/cummax accept
FLOATS = ("float16",) + FLOATING + COMPLEX                # what mean/var/norm accept


def _array(shape, dtype, rng, nan=False):
    # make_array gives a NumPy scalar, not an array, for shape () with some dtypes.
    x = make_array(shape, dtype, rng)
    if nan and x.dtype.kind == "f" and x.size > 2:
        x.reshape(-1)[rng.choice(x.size, x.size // 4, replace=False)] = np.nan
    return x


def _wide_dtype(dtype):
    return lm.complex128 if dtype.startswith("complex") else lm.float64


def reduce_samples(*, multi=True, empty_reduce=True, keepdim=True, dim_all=True, nan=False,
                   dim_required=False, with_dtype=False):
    """0-dim, empty, 1-D and batched 3-D inputs, reduced over int, negative and tuple dims.

    `with_dtype` adds a call with `dtype=` (float64, or complex128 for complex inputs); `multi`
    adds tuple dims, including the empty tuple.
    """
    def kw(**k):
        if not keepdim:
            k.pop("keepdim", None)
        return k

    def samples(dtype, rng):
        def arr(shape):
            return _array(shape, dtype, rng, nan)
        if not dim_required:
            yield Sample((arr(()),), kw(), "0d")
            if empty_reduce:
                yield Sample((arr((0,)),), kw(), "empty")
            yield Sample((arr((5,)),), kw(), "1d")
            yield Sample((arr((2, 3, 4)),), kw(), "3d-all")
            if dim_all:
                yield Sample((arr((2, 3, 4)),), kw(keepdim=True), "3d-all-keepdim")
        yield Sample((arr(()),), kw(dim=0, keepdim=True), "0d-dim0")
        yield Sample((arr((5,)),), kw(dim=0), "1d-dim0")
        yield Sample((arr((2, 3, 4)),), kw(dim=1), "3d-dim1")
        yield Sample((arr((2, 3, 4)),), kw(dim=-1, keepdim=True), "3d-dim-1-keepdim")
        if multi:
            yield Sample((arr((2, 3, 4)),), kw(dim=(0, 2)), "3d-dim02")
            yield Sample((arr((2, 3, 4)),), kw(dim=(-1, 0), keepdim=True), "3d-dim-10-keepdim")
            yield Sample((arr((2, 3)),), kw(dim=()), "2d-dim()")
        if with_dtype:
            yield Sample((arr((2, 3, 4)),), kw(dim=1, dtype=_wide_dtype(dtype)), "3d-dtype")
        yield Sample((arr((0, 3)),), kw(dim=1), "emptybatch")
        if empty_reduce:
            yield Sample((arr((0, 3)),), kw(dim=0, keepdim=True), "emptyreduce")
    return samples


def _axis(x, dim):
    if dim is None or x.ndim == 0 or (isinstance(dim, tuple) and not dim):
        return None
    return dim


def _wide(x):
    """The input in the widest dtype of its kind, where references compute."""
    return x.astype({"b": np.int64, "i": np.int64, "u": np.int64, "f": np.float64,
                     "c": np.complex128}[x.dtype.kind])


def _sum_dtype(x, dtype=None):
    if dtype is not None:
        return dtype.np
    return np.dtype(np.int64) if x.dtype.kind in "biu" else x.dtype


def _sum_ref(fn):
    def ref(x, dim=None, keepdim=False, dtype=None):
        src = x if dtype is None else x.astype(dtype.np)
        return np.asarray(fn(_wide(src), axis=_axis(x, dim), keepdims=keepdim)).astype(
            _sum_dtype(x, dtype))
    return ref


def _real(x):
    return x.real.dtype


def _mean_ref(fn):
    def ref(x, dim=None, keepdim=False):
        with np.errstate(invalid="ignore", divide="ignore"):
            total = fn(_wide(x), axis=_axis(x, dim), keepdims=keepdim)
        return np.asarray(total).astype(x.dtype)
    return ref


def _plain_mean(x, axis, keepdims):
    n = np.prod([x.shape[a] for a in np.atleast_1d(axis)] if axis is not None else x.shape)
    return np.sum(x, axis=axis, keepdims=keepdims) / n


def _nanmean(x, axis, keepdims):
    return np.nansum(x, axis=axis, keepdims=keepdims) / np.sum(~np.isnan(x), axis=axis,
                                                               keepdims=keepdims)


def _var_ref(root):
    def ref(x, dim=None, keepdim=False, correction=1, unbiased=None):
        if unbiased is not None:
            correction = int(unbiased)
        v = np.var(_wide(x), axis=_axis(x, dim), keepdims=keepdim, ddof=correction)
        return np.asarray(np.sqrt(v) if root else v).astype(_real(x))
    return ref


def _moment_mean_ref(root):
    var_ref = _var_ref(root)

    def ref(x, dim=None, keepdim=False, **kw):
        return var_ref(x, dim, keepdim, **kw), _mean_ref(_plain_mean)(x, dim, keepdim)
    return ref


def var_samples(dtype, rng):
    yield Sample((_array((), dtype, rng),), {"correction": 0}, "0d")
    yield Sample((make_array((5,), dtype, rng),), {}, "1d")
    yield Sample((make_array((2, 3, 4), dtype, rng),), {"dim": 1, "unbiased": False},
                 "3d-dim1-biased")
    yield Sample((make_array((2, 3, 4), dtype, rng),), {"dim": (0, 2), "keepdim": True},
                 "3d-dim02-keepdim")
    yield Sample((make_array((2, 3, 4), dtype, rng),), {"dim": -1, "correction": 2}, "3d-corr2")
    yield Sample((make_array((0, 3), dtype, rng),), {"dim": 1}, "emptybatch")


def std_grad_samples(dtype, rng):
    # The standard deviation of one element is 0 for every input: its derivative there is 0 / 0.
    return [s for s in var_samples(dtype, rng) if s.name != "0d"]


def _norm_ref(x, p="fro", dim=None, keepdim=False, dtype=None):
    a = np.abs(_wide(x if dtype is None else x.astype(dtype.np)))
    axis = _axis(x, dim)
    p = 2 if p == "fro" else p
    if p == np.inf:
        out = np.max(a, axis=axis, keepdims=keepdim)
    elif p == -np.inf:
        out = np.min(a, axis=axis, keepdims=keepdim)
    elif p == 0:
        out = np.sum(a != 0, axis=axis, keepdims=keepdim)
    else:
        out = np.sum(a ** p, axis=axis, keepdims=keepdim) ** (1 / p)
    return np.asarray(out).astype(_real(x) if dtype is None else dtype.np)


def norm_samples(dtype, rng):
    x = make_array((2, 3, 4), dtype, rng)
    yield Sample((_array((), dtype, rng),), {}, "0d")
    yield Sample((make_array((0,), dtype, rng),), {}, "empty")
    yield Sample((x,), {}, "fro")
    for p in (2, 1, np.inf, -np.inf, 0, 3, 0.5):
        yield Sample((x,), {"p": p, "dim": -1}, f"p{p}-dim-1")
    yield Sample((x,), {"p": 1, "dim": (0, 2), "keepdim": True}, "p1-dim02-keepdim")
    yield Sample((x,), {"p": "fro", "dim": (1, 2)}, "fro-dim12")
    if dtype == "float32":
        yield Sample((x,), {"p": 2, "dim": 1, "dtype": lm.float64}, "dtype")


def norm_grad_samples(dtype, rng):
    # Every order once, over a dim (the 0-dim sample's norm is |x|, smooth away from 0).
    x = make_array((2, 3, 4), dtype, rng)
    yield Sample((x,), {"p": "fro"}, "fro")
    for p in (2, 1, np.inf, -np.inf, 0, 3, 0.5, 1.5):
        yield Sample((x,), {"p": p, "dim": -1}, f"p{p}-dim-1")


def _with_index_ref(arg, x, dim, keepdim):
    if x.ndim == 0:
        return x.copy(), np.asarray(0)
    idx = np.expand_dims(arg(x, axis=dim), dim)
    values = np.take_along_axis(x, idx, axis=dim)
    if not keepdim:
        values, idx = values.squeeze(dim), idx.squeeze(dim)
    return values, idx.astype(np.int64)


def _extreme_ref(whole, arg):
    def ref(x, dim=None, keepdim=False):
        if dim is None:
            return np.asarray(whole(x))
        return _with_index_ref(arg, x, dim, keepdim)
    return ref


def _amax_ref(fn):
    def ref(x, dim=(), keepdim=False):
        return np.asarray(fn(x, axis=_axis(x, dim), keepdims=keepdim))
    return ref


def _aminmax_ref(x, dim=None, keepdim=False):
    axis = _axis(x, dim)
    return (np.asarray(np.min(x, axis=axis, keepdims=keepdim)),
            np.asarray(np.max(x, axis=axis, keepdims=keepdim)))


def _arg_ref(fn):
    def ref(x, dim=None, keepdim=False):
        return np.asarray(fn(x, axis=_axis(x, dim), keepdims=keepdim)).astype(np.int64)
    return ref


def _logical_ref(fn):
    def ref(x, dim=None, keepdim=False):
        axis = dim if isinstance(dim, tuple) and not dim else _axis(x, dim)
        out = np.asarray(fn(x, axis=axis, keepdims=keepdim))
        return out.astype(np.uint8) if x.dtype == np.uint8 else out
    return ref


def _count_nonzero_ref(x, dim=None):
    return np.asarray(np.count_nonzero(x, axis=_axis(x, dim))).astype(np.int64)


def _logsumexp_ref(x, dim, keepdim=False):
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(_wide(x)), axis=_axis(x, dim), keepdims=keepdim))
    return np.asarray(out).astype(x.dtype if x.dtype.kind in "fc" else np.float32)


def smooth_samples(*calls, zeros=False):
    """gradcheck's inputs where the forward samples' NaNs and ties have no derivative: one
    finite, tie-free (2, 3, 4) input per kwargs dict in `calls`. `zeros` puts one zero in a row
    and two in another, where prod and cumprod must not divide by them."""
    def samples(dtype, rng):
        for kw in calls:
            x = make_array((2, 3, 4), dtype, rng)
            if zeros:
                x[0, 1, 2] = x[1, 0, 0] = x[1, 0, 3] = x[1, 2, 0] = 0
            name = "-".join(f"{k}={v}" for k, v in kw.items()) or "all"
            yield Sample((x,), kw, name + ("-zeros" if zeros else ""))
    return samples


def _chain(*makers):
    return lambda dtype, rng: [s for make in makers for s in make(dtype, rng)]


def _errors(*cases):
    return lambda: [ErrorInput(Sample(args, kwargs, name), exc, match)
                    for name, args, kwargs, exc, match in cases]


_F = np.ones((2, 3), np.float32)
_L = np.ones((2, 3), np.int64)
_C = np.ones((2, 3), np.complex64)
_EMPTY = np.ones((0, 3), np.float32)

OPS = [
    OpInfo("sum", lm.sum, _sum_ref(np.sum), reduce_samples(with_dtype=True), method="sum",
           vmap=True, dtypes=ALL_DTYPES, grad=True, gradgrad=True, fwgrad=True,
           errors=_errors(("dup", (_F,), {"dim": (0, 0)}, RuntimeError, "dim 0 appears multiple"),
                          ("range", (_F,), {"dim": 2}, IndexError, "Dimension out of range"),
                          ("type", (_F,), {"dim": 1.5}, TypeError, "dim"))),
    OpInfo("nansum", lm.nansum, _sum_ref(np.nansum), reduce_samples(nan=True), method="nansum",
           vmap=True, dtypes=("bool",) + INTEGRAL + ("float16",) + FLOATING,
           grad=True, gradgrad=True, fwgrad=True,
           grad_samples=smooth_samples({}, {"dim": 1}, {"dim": (0, 2), "keepdim": True}),
           errors=_errors(("complex", (_C,), {}, RuntimeError, "nansum on CPU does not support"))),
    OpInfo("prod", lm.prod, _sum_ref(np.prod), reduce_samples(multi=False, with_dtype=True),
           method="prod", vmap=True, dtypes=ALL_DTYPES, grad=True, gradgrad=True, fwgrad=True,
           grad_samples=_chain(smooth_samples({}, {"dim": 1, "keepdim": True}, zeros=True),
                               smooth_samples({"dim": 2}, {"dim": 0}))),
    OpInfo("mean", lm.mean, _mean_ref(_plain_mean), reduce_samples(), method="mean",
           vmap=True, dtypes=FLOATS, grad=True, gradgrad=True, fwgrad=True,
           # An empty mean is nan, its tangent too (as PyTorch's): no <ct, J t> to compare.
           grad_samples=reduce_samples(empty_reduce=False),
           errors=_errors(("int", (_L,), {}, RuntimeError,
                           r"mean\(\): could not infer output dtype. Input dtype must be either "
                           "a floating point or complex dtype. Got: Long"))),
    OpInfo("nanmean", lm.nanmean, _mean_ref(_nanmean), reduce_samples(nan=True),
           method="nanmean", vmap=True, dtypes=("float16",) + FLOATING,
           grad=True, gradgrad=True, fwgrad=True,
           grad_samples=smooth_samples({}, {"dim": 1}, {"dim": (0, 2), "keepdim": True}),
           errors=_errors(("int", (_L,), {}, RuntimeError, "nanmean.*got Long"))),
    OpInfo("var", lm.var, _var_ref(False), var_samples, method="var", vmap=True, dtypes=FLOATS,
           grad=True, gradgrad=True, fwgrad=True,
           errors=_errors(("int", (_L,), {}, RuntimeError, "std and var only support"))),
    OpInfo("std", lm.std, _var_ref(True), var_samples, method="std", vmap=True, dtypes=FLOATS,
           grad=True, gradgrad=True, fwgrad=True, grad_samples=std_grad_samples),
    OpInfo("var_mean", lm.var_mean, _moment_mean_ref(False), var_samples, vmap=True,
           dtypes=FLOATING, grad=True, gradgrad=True, fwgrad=True),
    OpInfo("std_mean", lm.std_mean, _moment_mean_ref(True), var_samples, vmap=True,
           dtypes=COMPLEX, grad=True, gradgrad=True, fwgrad=True, grad_samples=std_grad_samples),
    OpInfo("norm", lm.norm, _norm_ref, norm_samples, method="norm", vmap=True, dtypes=FLOATS,
           grad=True, gradgrad=True, fwgrad=True, grad_samples=norm_grad_samples,
           errors=_errors(("int", (_L,), {}, RuntimeError, "Expected a floating point or complex"),
                          ("inf-empty", (_EMPTY, np.inf), {}, RuntimeError,
                           "cannot compute the inf norm on an empty tensor"),
                          ("narrowing", (_F.astype(np.float64),), {"dtype": lm.float32},
                           RuntimeError, "without narrowing"))),
    OpInfo("max", lm.max, _extreme_ref(np.max, np.argmax),
           reduce_samples(multi=False, empty_reduce=False, dim_all=False, nan=True), method="max",
           vmap=True, dtypes=REAL, grad=True, gradgrad=True, fwgrad=True,
           grad_samples=smooth_samples({}, {"dim": 1}, {"dim": -1, "keepdim": True}),
           errors=_errors(("emptydim", (_EMPTY, 0), {}, IndexError,
                           r"max\(\): Expected reduction dim 0 to have non-zero size."),
                          ("empty", (_EMPTY,), {}, RuntimeError, "Specify the reduction dim"),
                          ("complex", (_C, 0), {}, RuntimeError, "does not support complex"))),
    OpInfo("min", lm.min, _extreme_ref(np.min, np.argmin),
           reduce_samples(multi=False, empty_reduce=False, dim_all=False, nan=True), method="min",
           vmap=True, dtypes=REAL, grad=True, gradgrad=True, fwgrad=True,
           grad_samples=smooth_samples({}, {"dim": 1}, {"dim": -1, "keepdim": True})),
    OpInfo("amax", lm.amax, _amax_ref(np.max), reduce_samples(empty_reduce=False, nan=True),
           method="amax", vmap=True, dtypes=REAL, grad=True, gradgrad=True, fwgrad=True,
           grad_samples=smooth_samples({}, {"dim": (0, 2)}, {"dim": -1, "keepdim": True}),
           errors=_errors(("emptydim", (_EMPTY, (1, 0)), {}, IndexError,
                           r"amax\(\): Expected reduction dim 0 to have non-zero size."))),
    OpInfo("amin", lm.amin, _amax_ref(np.min), reduce_samples(empty_reduce=False, nan=True),
           method="amin", vmap=True, dtypes=REAL, grad=True, gradgrad=True, fwgrad=True,
           grad_samples=smooth_samples({}, {"dim": (0, 2)}, {"dim": -1, "keepdim": True})),
    OpInfo("aminmax", lm.aminmax, _aminmax_ref,
           reduce_samples(multi=False, empty_reduce=False, dim_all=False, nan=True),
           method="aminmax", vmap=True, dtypes=REAL, grad=True, gradgrad=True, fwgrad=True,
           grad_samples=smooth_samples({}, {"dim": 1})),
    OpInfo("argmax", lm.argmax, _arg_ref(np.argmax),
           reduce_samples(multi=False, empty_reduce=False, nan=True), method="argmax",
           vmap=True, dtypes=INTEGRAL + ("float16",) + FLOATING,
           errors=_errors(("empty", (_EMPTY,), {}, IndexError, "Expected reduction dim to be"),
                          ("bool", (_F > 0,), {}, RuntimeError, "does not support bool input"),
                          ("tuple", (_F, (0, 1)), {}, TypeError, "must be int, not tuple"))),
    OpInfo("argmin", lm.argmin, _arg_ref(np.argmin),
           reduce_samples(multi=False, empty_reduce=False, nan=True), method="argmin",
           vmap=True, dtypes=INTEGRAL + ("float16",) + FLOATING),
    OpInfo("all", lm.all, _logical_ref(np.all), reduce_samples(), method="all",
           vmap=True, dtypes=ALL_DTYPES),
    OpInfo("any", lm.any, _logical_ref(np.any), reduce_samples(), method="any",
           vmap=True, dtypes=ALL_DTYPES),
    OpInfo("count_nonzero", lm.count_nonzero, _count_nonzero_ref,
           reduce_samples(keepdim=False, dim_all=False), method="count_nonzero",
           vmap=True, dtypes=ALL_DTYPES),
    OpInfo("logsumexp", lm.logsumexp, _logsumexp_ref, reduce_samples(dim_required=True),
           method="logsumexp", vmap=True, dtypes=("int64",) + FLOATS,
           grad=True, gradgrad=True, fwgrad=True),
]
