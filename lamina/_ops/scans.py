"""Scans: cumsum, cumprod, cummax, cummin, logcumsumexp, and the in-place cumsum_ / cumprod_.

Forward bodies receive the axis already checked and wrapped, and the result dtype already decided
in PyTorch's terms (reduction.py's rules: float16 accumulates in float32 and rounds once).
"""

import numpy as np

from .._core import dtype as dt
from ._checks import not_implemented
from ._rules import readable
from .creation import eye
from .indexing import where
from .mutation import finish_out, write_inplace
from .primitive import LINEAR, Primitive
from .reduction import (
    _acc,
    _cast,
    _sum_result,
    one_axis,
    one_axis_batch,
    reject_complex,
    scalar_as_vector,
    select_back,
    take_along,
)
from .return_types import return_types


def reversed_cumsum(t, axis):
    """Sums from each position to the end along `axis`: the transpose of cumsum."""
    return t.flip(axis).cumsum(axis).flip(axis)


# -- scans ----------------------------------------------------------------------------------------

@scalar_as_vector
def _cumsum_fwd(xp, x, *, axis, dtype):
    return xp.cumsum(_cast(x, dtype), axis=axis, dtype=_acc(dtype)).astype(dtype, copy=False)


@scalar_as_vector
def _cumprod_fwd(xp, x, *, axis, dtype):
    return xp.cumprod(_cast(x, dtype), axis=axis, dtype=_acc(dtype)).astype(dtype, copy=False)


def _cum_extreme(ufunc):
    # PyTorch's kernel takes element i when it is NaN, or when the running value is not NaN and
    # x[i] >= it (<= for cummin): so ties report the LAST index, and a NaN sticks at its index
    # until the next NaN. Position i took its own element exactly when x[i] is the running value
    # there (both NaN counts), so the index is the last such position so far.
    @scalar_as_vector
    def fwd(xp, x, *, axis):
        values = ufunc.accumulate(x, axis=axis)
        took = x == values
        if x.dtype.kind == "f":
            took |= xp.isnan(x)
        pos = xp.arange(x.shape[axis]).reshape([-1 if a == axis else 1 for a in range(x.ndim)])
        return values, xp.maximum.accumulate(xp.where(took, pos, 0), axis=axis)
    return fwd


@scalar_as_vector
def _logcumsumexp_fwd(xp, x, *, axis):
    return xp.logaddexp.accumulate(_cast(x, _acc(x.dtype)), axis=axis).astype(x.dtype, copy=False)


def _cumsum_vjp(ct, out, x, *, axis, dtype):
    return (reversed_cumsum(ct, axis) if x._data.ndim else ct,)


# derivatives.yaml: cumprod_backward. Without zeros, d out_i / d x_k = out_i / x_k. With zeros (or
# values a rule cannot look at, under a transform), the products of x[:i+1] leaving out x[k], for
# every pair k <= i: O(n^2) per row, as PyTorch's path when the gradient must itself be
# differentiable (its O(n) path is not).
def _cumprod_vjp(ct, out, x, *, axis, dtype):
    shape = x._data.shape
    if not x._data.ndim or shape[axis] <= 1:
        return (ct,)
    if readable(x) and not (x == 0).any():
        return (reversed_cumsum(ct * out.conj(), axis) / x.conj(),)
    n = shape[axis]
    rows = x.movedim(axis, -1).unsqueeze(-2)                    # (..., 1, n): x_j at [k, j]
    left_out = where(eye(n, dtype=dt.bool), 1, rows).cumprod(-1)  # [k, i]: prod_{j<=i, j!=k} x_j
    later = x.new_ones((n, n), dtype=dt.bool).triu()            # i >= k
    g = where(later, left_out.conj() * ct.movedim(axis, -1).unsqueeze(-2), 0).sum(-1)
    return (g.movedim(-1, axis),)


# derivatives.yaml: cumprod_jvp, out * cumsum(t / x) where no zero came so far. Without a branch
# on the values: zeros count as ones in the running products; after exactly one zero, d out_i =
# (the running product of the others) * t at that zero; after two, 0. First-order exact; its own
# derivative (jvp of jvp) misses the terms through a zero, as PyTorch's formula does.
def _cumprod_jvp(tangents, out, x, *, axis, dtype):
    x, t = x.to(out.dtype), tangents[0].to(out.dtype)
    zero = x == 0
    zeros = zero.cumsum(axis)
    nonzero = where(zero, 1, x)
    at_zero = where(zero & (zeros == 1), t, 0).cumsum(axis)
    return nonzero.cumprod(axis) * where(zeros == 0, (t / nonzero).cumsum(axis),
                                         where(zeros == 1, at_zero, 0))


def _cummax_vjp(ct, out, x, *, axis):
    return (select_back(ct[0], x, axis, out[1]),)


def _cummax_jvp(tangents, out, x, *, axis):
    return take_along(tangents[0], axis, out[1]), None


# derivatives.yaml: logcumsumexp_backward (after TensorFlow's): sum_{i>=k} ct_i exp(x_k - out_i)
# summed in log space, the positive and the negative parts of ct apart, so nothing overflows.
def _logcumsumexp_vjp(ct, out, x, *, axis):
    if not x._data.ndim or not x._data.size:
        return (ct,)
    lowest = float(np.finfo(ct._data.dtype).min)
    log_abs = ct.abs().log()
    total = []
    for part in (where(ct > 0, log_abs, lowest), where(ct < 0, log_abs, lowest)):
        tail = (part - out).flip(axis).logcumsumexp(axis).flip(axis)
        total.append((tail + x).exp())
    return (total[0] - total[1],)


# d out_i = sum_{k<=i} exp(x_k - out_i) t_k, a softmax over each prefix. PyTorch's
# logcumsumexp_jvp shifts every prefix by the maximum of the whole dim, which underflows to 0 / 0
# for a prefix far below it; here, as in the VJP, the sums run in log space, the positive and the
# negative parts of t apart.
def _logcumsumexp_jvp(tangents, out, x, *, axis):
    t = tangents[0]
    if not x._data.ndim or not x._data.size:
        return t
    lowest = float(np.finfo(t._data.dtype).min)
    log_abs = t.abs().log()
    total = [((where(part, log_abs, lowest) + x).logcumsumexp(axis) - out).exp()
             for part in (t > 0, t < 0)]
    return total[0] - total[1]


cumsum_p = Primitive("cumsum", xp=_cumsum_fwd, vjp=_cumsum_vjp, jvp=LINEAR,
                     batch=one_axis_batch("cumsum"))
cumprod_p = Primitive("cumprod", xp=_cumprod_fwd, vjp=_cumprod_vjp, jvp=_cumprod_jvp,
                      batch=one_axis_batch("cumprod"), saves=(0, "out"))
cummax_p = Primitive("cummax", xp=_cum_extreme(np.maximum), vjp=_cummax_vjp, jvp=_cummax_jvp,
                     batch=one_axis_batch("cummax"), saves=("out",))
cummin_p = Primitive("cummin", xp=_cum_extreme(np.minimum), vjp=_cummax_vjp, jvp=_cummax_jvp,
                     batch=one_axis_batch("cummin"), saves=("out",))
logcumsumexp_p = Primitive("logcumsumexp", xp=_logcumsumexp_fwd, vjp=_logcumsumexp_vjp,
                           jvp=_logcumsumexp_jvp, batch=one_axis_batch("logcumsumexp"),
                           saves=(0, "out"))


def cumsum(input, dim, *, dtype=None, out=None):
    d = _sum_result(input.dtype, dtype)
    if d is dt.bool:
        raise not_implemented("cumsum_out_cpu", dt.bool)
    return finish_out(cumsum_p(input, axis=one_axis("cumsum", dim, input.ndim), dtype=d.np), out)


def cumprod(input, dim, *, dtype=None, out=None):
    d = _sum_result(input.dtype, dtype)
    if d is dt.bool:
        raise not_implemented("cumprod_out_cpu", dt.bool)
    return finish_out(cumprod_p(input, axis=one_axis("cumprod", dim, input.ndim), dtype=d.np), out)


def _cummax_cummin(name, prim, input, dim, out):
    reject_complex(name, input)
    values, indices = prim(input, axis=one_axis(name, dim, input.ndim))
    return finish_out(getattr(return_types, name)(values, indices), out)


def cummax(input, dim, *, out=None):
    return _cummax_cummin("cummax", cummax_p, input, dim, out)


def cummin(input, dim, *, out=None):
    return _cummax_cummin("cummin", cummin_p, input, dim, out)


def logcumsumexp(input, dim, *, out=None):
    d = input.dtype
    if d.category != dt.FLOAT:
        # PyTorch also takes complex inputs; NumPy's logaddexp has no complex loop, so lamina
        # refuses them rather than guess.
        raise not_implemented("logcumsumexp_out_cpu", d)
    return finish_out(logcumsumexp_p(input, axis=one_axis("logcumsumexp", dim, input.ndim)), out)


def _inplace(fn):
    def method(self, dim, *, dtype=None):
        return write_inplace(self, fn(self, dim, dtype=dtype), f"aten::{fn.__name__}_")
    return method


__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]
METHODS = {name: globals()[name] for name in __all__}
METHODS.update({"cumsum_": _inplace(cumsum), "cumprod_": _inplace(cumprod)})
