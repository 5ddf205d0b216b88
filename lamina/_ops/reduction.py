"""Reductions: sums, means, variances, norms, extrema, logical reductions (the scans: scans.py).

Forward bodies receive axes already checked and wrapped (a tuple of non-negative ints, or None
for every axis) and the result dtype already decided in PyTorch's terms, so NumPy's own dtype
rules never leak through. float16 inputs accumulate in float32 and round once at the end, as
PyTorch's CPU kernels do. The named tuples PyTorch returns (`torch.return_types.max`, ...) are in
return_types.py.
"""

import builtins
import math
import string
import warnings
from functools import partial

import numpy as np

from .._core import dtype as dt
from .._core._reduce import sum_all
from .._core._tensor import TensorBase, canonical_dim, get_default_dtype
from . import elementwise
from ._batching import to_front
from ._checks import not_implemented, torch_type_name
from ._rules import readable
from .gather_scatter import index_p, index_put_p
from .indexing import where
from .joining import cat
from .mutation import finish_out
from .primitive import LINEAR, NONDIFF, REGISTRY, Primitive
from .return_types import return_types

# -- argument checks shared with sorting.py -------------------------------------------------------

def is_int_like(x):
    return not isinstance(x, bool) and hasattr(x, "__index__")


def reduce_axes(name, dim, ndim):
    """PyTorch's `dim` of a multi-dim reduction as NumPy axes: None, () and [] mean every axis."""
    if dim is None:
        return None
    if is_int_like(dim):
        dim = (dim,)
    elif not isinstance(dim, (tuple, list)) or not builtins.all(is_int_like(d) for d in dim):
        raise TypeError(f"{name}(): argument 'dim' must be tuple of ints, not "
                        f"{type(dim).__name__}")
    axes = tuple(canonical_dim(d, ndim) for d in dim)
    for i, a in enumerate(axes):
        if a in axes[:i]:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    # A 0-dim tensor accepts dim 0 or -1 and reduces its single element.
    return axes if axes and ndim else None


def one_axis(name, dim, ndim):
    """A single `dim` argument, wrapped; TypeError for anything but an int."""
    if not is_int_like(dim):
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
    return canonical_dim(dim, ndim)


def check_nonempty(name, x, axis):
    """Reductions without an identity (max, argmax, median, ...) refuse an empty reduced dim."""
    shape = x._data.shape
    if shape and shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


def reject_complex(name, x, kernel=None):
    """PyTorch's NotImplementedError for a kernel with no complex version."""
    d = x.dtype
    if d.category == dt.COMPLEX:
        raise not_implemented(kernel or name + "_cpu", d)


def scalar_as_vector(fwd):
    """Run a one-axis forward body on a 0-dim array as on a 1-element vector."""
    def body(xp, x, *args, **params):
        if x.ndim:
            return fwd(xp, x, *args, **params)
        out = fwd(xp, x.reshape(1), *args, **params)
        if isinstance(out, tuple):
            return tuple(o.reshape(()) for o in out)
        return out.reshape(())
    body.__name__ = fwd.__name__
    return body


_F16, _F32 = np.dtype(np.float16), np.dtype(np.float32)


def _acc(np_dtype):
    """The dtype a reduction accumulates in: float16 sums in float32, as PyTorch's kernels do."""
    return _F32 if np_dtype is _F16 else np_dtype


def _count(shape, axis):
    """How many elements each output of a reduction over `axis` combines."""
    return int(np.prod([shape[a] for a in axis] if axis is not None else shape))


def _sum_result(d, dtype):
    """PyTorch's sum/prod/cumsum rule: bool and integers widen to int64 unless `dtype` is given."""
    if dtype is not None:
        return dt.to_dtype(dtype)
    return dt.int64 if d.category <= dt.INT else d


# -- sum, prod, mean ------------------------------------------------------------------------------

def _cast(x, np_dtype):
    return x if x.dtype == np_dtype else x.astype(np_dtype)


def _sum_fwd(xp, x, *, axis, keepdim, dtype):
    if axis is None and not keepdim and x.dtype is dtype and xp is np:
        total = sum_all(x)  # compiled, for the per-op cost on small tensors; None if not covered
        if total is not None:
            return total
    # The ufunc's own reduce: np.sum's Python wrapper costs more than the sum on small tensors.
    total = xp.add.reduce(_cast(x, dtype), axis=axis, keepdims=keepdim, dtype=_acc(dtype))
    return total if dtype is _acc(dtype) else xp.asarray(total).astype(dtype)


def _nansum_fwd(xp, x, *, axis, keepdim, dtype):
    total = xp.nansum(_cast(x, dtype), axis=axis, keepdims=keepdim, dtype=_acc(dtype))
    return xp.asarray(total).astype(dtype, copy=False)


def _prod_fwd(xp, x, *, axis, keepdim, dtype):
    p = xp.prod(_cast(x, dtype), axis=axis, keepdims=keepdim, dtype=_acc(dtype))
    return xp.asarray(p).astype(dtype, copy=False)


def _mean_fwd(xp, x, *, axis, keepdim, dtype, skipnan):
    acc = _acc(dtype)
    x = _cast(x, dtype)
    if skipnan:
        total = xp.nansum(x, axis=axis, keepdims=keepdim, dtype=acc)
        n = xp.sum(~xp.isnan(x), axis=axis, keepdims=keepdim)
    else:
        total = xp.sum(x, axis=axis, keepdims=keepdim, dtype=acc)
        n = _count(x.shape, axis)
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty mean is nan, as in PyTorch
        return xp.asarray(xp.divide(total, n, dtype=acc)).astype(dtype, copy=False)


# -- rules shared by reductions, scans.py and sorting.py------------------------------------------

def keep_reduced(t, x, axis, keepdim):
    """A reduction's output (or cotangent) with the reduced dims kept as size 1, so that it
    broadcasts against the input `x`."""
    if keepdim:
        return t
    return t.reshape([1 if axis is None or a in axis else s for a, s in enumerate(x._data.shape)])


def expand_reduced(ct, x, axis, keepdim):
    """A reduction's cotangent spread back over the input's shape (the transpose of summing)."""
    return keep_reduced(ct, x, axis, keepdim).expand(x._data.shape)


def _along(indices, axis):
    """index_p's index operands and dims that read `indices` along `axis` and every position
    along the other dims (gather's grid). The indices stay a tensor operand, so the rules that
    use them run under vmap (gather itself checks its index values in Python)."""
    shape = indices._data.shape
    n = len(shape)
    grid = [indices if d == axis else np.arange(s).reshape([s if e == d else 1 for e in range(n)])
            for d, s in enumerate(shape)]
    return grid, tuple(range(n))


def take_along(t, axis, indices, keepdim=True):
    """The forward-mode counterpart of select_back: t's elements at the indices a value-selecting
    op returned (derivatives.yaml: gather_with_keepdimed_indices, `self_t.gather(dim, indices)`)."""
    if not t._data.ndim:
        return t
    if not keepdim:
        indices = indices.unsqueeze(axis)
    grid, at = _along(indices, axis)
    out = index_p(t, *grid, at=at)
    return out if keepdim else out.squeeze(axis)


def select_back(ct, x, axis, indices, keepdim=True):
    """The transpose of picking x's elements at `indices` along `axis` (max(dim), sort, topk,
    cummax, ...): `ct` added at those indices into zeros shaped like x. derivatives.yaml:
    value_selecting_reduction_backward (scatter; adding is the same for distinct indices, and
    cummax_backward's scatter_add where a running extreme repeats its index)."""
    if ct is None:
        return None
    if not x._data.ndim:
        return ct
    if not keepdim:
        ct, indices = ct.unsqueeze(axis), indices.unsqueeze(axis)
    grid, at = _along(indices, axis)
    return index_put_p(ct.new_zeros(x._data.shape), ct, *grid, at=at, accumulate=True)


def _as_batch(out, shape):
    return tuple(o.reshape(shape) for o in out) if isinstance(out, tuple) else out.reshape(shape)


def reduce_batch(name):
    """The batch rule of the reduction primitive `name` over `axis`, a tuple of dims or None for
    every dim: the batch dim first and the logical dims shifted past it. A logical 0-dim input
    runs as (B, 1) reduced over dim 1, so that no rule meets an empty tuple of dims (which
    `sum(dim=())` reads as all). The primitive is looked up when the rule runs, so that its
    declaration can name the rule."""
    def rule(bdims, x, *, axis, **params):
        prim = REGISTRY[name]
        x = to_front(x, bdims[0])
        scalar = x._data.ndim == 1
        if scalar:
            x = x.unsqueeze(1)
        axis = tuple(range(1, x._data.ndim)) if axis is None else tuple(a + 1 for a in axis)
        out = prim(x, axis=axis, **params)
        return (_as_batch(out, x._data.shape[:1]) if scalar else out), 0
    return rule


def one_axis_batch(name, tupled=False):
    """The batch rule of the primitive `name` along one `axis` (an int, or a 1-tuple when `tupled`)
    or, for argmax, prod and median, None for every dim: the batch dim first and the axis shifted
    past it. Every dim at once, or the one dim of a logical 0-dim input, runs as dim 1 of (B, N);
    a whole reduction with keepdim then gets its size-1 dims back."""
    def rule(bdims, x, *, axis, **params):
        prim = REGISTRY[name]
        x = to_front(x, bdims[0])
        shape = x._data.shape
        if axis is not None and len(shape) > 1:
            a = (axis[0] if tupled else axis) + 1
            return prim(x, axis=(a,) if tupled else a, **params), 0
        whole_kept = axis is None and params.get("keepdim")  # a 0-dim input keeps no dim
        keep = shape[:1] + (1,) * (len(shape) - 1) if whole_kept else shape[:1]
        if whole_kept:
            params["keepdim"] = False
        flat = x.reshape(shape[0], math.prod(shape[1:]))
        return _as_batch(prim(flat, axis=(1,) if tupled else 1, **params), keep), 0
    return rule


# -- sum, prod, mean rules ------------------------------------------------------------------------

def _sum_vjp(ct, out, x, *, axis, keepdim, dtype):
    return (expand_reduced(ct, x, axis, keepdim),)


# nansum and nanmean are not linear maps, unlike sum and mean: the NaN positions of the input (not
# of the tangent) are the ones left out.
def _nansum_vjp(ct, out, x, *, axis, keepdim, dtype):
    return (expand_reduced(ct, x, axis, keepdim) * x.isnan().logical_not(),)


# derivatives.yaml: nansum, `at::where(self_p.isnan(), 0, self_t).sum(dim, keepdim, dtype)`.
def _nansum_jvp(tangents, out, x, *, axis, keepdim, dtype):
    return sum_p(where(x.isnan(), 0, tangents[0]), axis=axis, keepdim=keepdim, dtype=dtype)


def _prod_others(x, dim):
    """The product of every element of x along `dim` but the one at each position, without
    dividing (so zeros are exact): exclusive products from the left times those from the right."""
    n = x._data.shape[dim]
    if not n:
        return x
    ones = x.new_ones([1 if d == dim else s for d, s in enumerate(x._data.shape)])
    left = cat([ones, x.narrow(dim, 0, n - 1)], dim).cumprod(dim)
    right = cat([ones, x.narrow(dim, 1, n - 1).flip(dim)], dim).cumprod(dim).flip(dim)
    return left * right


# derivatives.yaml: prod_backward. d out / d x = out / x where x has no zero, else the products of
# the others (prod_safe_zeros_backward), which PyTorch also takes for tensors it cannot look into;
# exact, so its own derivatives are too.
def _prod_derivative(x, out, axis, keepdim):
    if readable(x) and not (x == 0).any():
        return keep_reduced(out, x, axis, keepdim) / x
    if axis is None:
        return _prod_others(x.reshape(-1), 0).reshape(x._data.shape)
    return _prod_others(x, axis[0])


def _prod_vjp(ct, out, x, *, axis, keepdim, dtype):
    if not x._data.ndim:
        return (ct,)
    return (keep_reduced(ct, x, axis, keepdim) * _prod_derivative(x, out, axis, keepdim).conj(),)


def _prod_jvp(tangents, out, x, *, axis, keepdim, dtype):
    t = tangents[0]
    if not x._data.ndim:
        return t.to(out.dtype)
    return sum_p(_prod_derivative(x, out, axis, keepdim) * t, axis=axis, keepdim=keepdim,
                 dtype=dtype)


def _mean_vjp(ct, out, x, *, axis, keepdim, dtype):
    return (expand_reduced(ct, x, axis, keepdim) / _count(x._data.shape, axis),)


# nanmean is nansum / (count of non-NaN): the count is a constant of the input's NaN pattern.
def _nan_count(x, axis, keepdim):
    kept = x.isnan().logical_not()
    return kept, sum_p(kept, axis=axis, keepdim=keepdim, dtype=np.dtype(np.int64))


def _nanmean_vjp(ct, out, x, *, axis, keepdim, dtype):
    kept, count = _nan_count(x, axis, keepdim)
    return (expand_reduced(ct / count, x, axis, keepdim) * kept,)


def _nanmean_jvp(tangents, out, x, *, axis, keepdim, dtype):
    kept, count = _nan_count(x, axis, keepdim)
    return sum_p(where(kept, tangents[0], 0), axis=axis, keepdim=keepdim, dtype=dtype) / count


sum_p = Primitive("sum", xp=_sum_fwd, vjp=_sum_vjp, jvp=LINEAR, batch=reduce_batch("sum"))
nansum_p = Primitive("nansum", xp=_nansum_fwd, vjp=_nansum_vjp, jvp=_nansum_jvp,
                     batch=reduce_batch("nansum"))
prod_p = Primitive("prod", xp=_prod_fwd, vjp=_prod_vjp, jvp=_prod_jvp,  # one dim or all of them
                   batch=one_axis_batch("prod", tupled=True), saves=(0, "out"))
mean_p = Primitive("mean", xp=partial(_mean_fwd, skipnan=False), vjp=_mean_vjp, jvp=LINEAR,
                   batch=reduce_batch("mean"))
nanmean_p = Primitive("nanmean", xp=partial(_mean_fwd, skipnan=True), vjp=_nanmean_vjp,
                      jvp=_nanmean_jvp, batch=reduce_batch("nanmean"))


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    axis = reduce_axes("sum", dim, input.ndim)
    d = _sum_result(input.dtype, dtype)
    return finish_out(sum_p(input, axis=axis, keepdim=keepdim, dtype=d.np), out)


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if input.dtype.category == dt.COMPLEX:
        raise RuntimeError("nansum on CPU does not support complex inputs")
    axis = reduce_axes("nansum", dim, input.ndim)
    d = _sum_result(input.dtype, dtype)
    return finish_out(nansum_p(input, axis=axis, keepdim=keepdim, dtype=d.np), out)


def prod(input, dim=None, keepdim=False, *, dtype=None, out=None):
    axis = None if dim is None else (one_axis("prod", dim, input.ndim),)
    axis = axis if input.ndim else None
    d = _sum_result(input.dtype, dtype)
    return finish_out(prod_p(input, axis=axis, keepdim=keepdim, dtype=d.np), out)


def _float_dtype(name, d, dtype):
    """mean's rule: the result is `dtype` or the input's, and must be floating point or complex."""
    which = "Input" if dtype is None else "Optional"
    d = d if dtype is None else dt.to_dtype(dtype)
    if d.category < dt.FLOAT:
        raise RuntimeError(f"{name}(): could not infer output dtype. {which} dtype must be either "
                           f"a floating point or complex dtype. Got: {torch_type_name(d)}")
    return d


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    d = _float_dtype("mean", input.dtype, dtype)
    axis = reduce_axes("mean", dim, input.ndim)
    return finish_out(mean_p(input, axis=axis, keepdim=keepdim, dtype=d.np), out)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    if input.dtype.category < dt.FLOAT:
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but "
                           f"got {torch_type_name(input.dtype)}")
    if input.dtype.category == dt.COMPLEX:  # PyTorch's nanmean is nansum / count
        raise RuntimeError("nansum on CPU does not support complex inputs")
    d = input.dtype if dtype is None else dt.to_dtype(dtype)
    axis = reduce_axes("nanmean", dim, input.ndim)
    return finish_out(nanmean_p(input, axis=axis, keepdim=keepdim, dtype=d.np), out)


# -- var, std -------------------------------------------------------------------------------------

# Its own primitive for accuracy: two passes (mean, then squared deviations) instead of
# E[x^2] - E[x]^2, which cancels catastrophically.
def _var_fwd(xp, x, *, axis, correction, keepdim):
    real = x.real.dtype
    x = _cast(x, _acc(x.dtype))
    n = _count(x.shape, axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = x - xp.sum(x, axis=axis, keepdims=True) / n
        sq = dev.real * dev.real + dev.imag * dev.imag if dev.dtype.kind == "c" else dev * dev
        out = xp.sum(sq, axis=axis, keepdims=keepdim) / builtins.max(0, n - correction)
    return xp.asarray(out).astype(real, copy=False)


# derivatives.yaml: var_backward, 2 / (n - correction) * ct * (x - mean).
def _var_vjp(ct, out, x, *, axis, correction, keepdim):
    dof = _count(x._data.shape, axis) - correction
    dev = x - mean_p(x, axis=axis, keepdim=True, dtype=x.dtype.np)
    whole = axis is None
    if dof > 0 or (dof < 0 and not whole):
        scale = 2.0 / dof
    else:  # 2 / 0; over every element PyTorch gives +inf whatever the sign (nan at the mean)
        scale, dev = math.inf, (dev.abs() if whole else dev)
    return (scale * keep_reduced(ct, x, axis, keepdim) * dev,)


# derivatives.yaml: var_jvp, 2 / (n - correction) * Re(conj(x - mean) * t) summed; the mean's own
# tangent drops out, as the deviations sum to zero.
def _var_jvp(tangents, out, x, *, axis, correction, keepdim):
    dof = _count(x._data.shape, axis) - correction
    dev = x - mean_p(x, axis=axis, keepdim=True, dtype=x.dtype.np)
    return (2.0 / dof if dof else math.inf) * (dev.conj() * tangents[0]).real.sum(axis, keepdim)


var_p = Primitive("var", xp=_var_fwd, vjp=_var_vjp, jvp=_var_jvp, batch=reduce_batch("var"))


def _var_args(name, input, dim, unbiased, keepdim, correction):
    """Resolve var/std's overloads: (dim, unbiased, keepdim), (unbiased) and (dim, correction=)."""
    if input.dtype.category < dt.FLOAT:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if isinstance(dim, bool):  # var(x, False): the legacy (input, unbiased) overload
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments: give either "
                        "'unbiased' or 'correction', not both")
    if correction is None:
        correction = 1 if unbiased is None else int(unbiased)
    axis = reduce_axes(name, dim, input.ndim)
    if _count(input._data.shape, axis) - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=3)
    return dict(axis=axis, correction=correction, keepdim=keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    params = _var_args("var", input, dim, unbiased, keepdim, correction)
    return finish_out(var_p(input, **params), out)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    params = _var_args("std", input, dim, unbiased, keepdim, correction)
    return finish_out(elementwise.pow(var_p(input, **params), 0.5), out)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    params = _var_args("var_mean", input, dim, unbiased, keepdim, correction)
    m = mean_p(input, axis=params["axis"], keepdim=keepdim, dtype=input.dtype.np)
    return var_p(input, **params), m


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    v, m = var_mean(input, dim, unbiased, keepdim, correction=correction)
    return elementwise.pow(v, 0.5), m


# -- norm -----------------------------------------------------------------------------------------

def _einsum_sum(xp, axis, keepdim, *operands):
    """Sum over `axis` of the product of `operands` (one array, or two of one shape), as one
    einsum pass with no temporary: NumPy's add.reduce over short or non-inner axes, after abs
    and square have each written a full-size array, is ~10x slower on (100000, 4, 4)."""
    ndim = operands[0].ndim
    axes = range(ndim) if axis is None else axis
    letters = string.ascii_letters[:ndim]
    kept = "".join(c for i, c in enumerate(letters) if i not in axes)
    total = xp.einsum(",".join([letters] * len(operands)) + "->" + kept, *operands)
    if keepdim:
        shape = operands[0].shape
        total = xp.reshape(total, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return total


# A primitive rather than abs/pow/sum compositions: one pass, float16 accumulated in float32, and
# a derivative written once for every order. `dtype` is the dtype the input is cast to first.
def _norm_fwd(xp, x, *, ord, axis, keepdim, dtype):
    real = np.finfo(dtype).dtype
    x = _cast(x, _acc(dtype))
    if ord == 2:
        if x.dtype.kind == "c":
            out = (_einsum_sum(xp, axis, keepdim, x.real, x.real)
                   + _einsum_sum(xp, axis, keepdim, x.imag, x.imag))
        else:
            out = _einsum_sum(xp, axis, keepdim, x, x)
        return xp.asarray(xp.sqrt(out)).astype(real, copy=False)
    a = xp.abs(x)
    if ord == np.inf:
        out = xp.amax(a, axis=axis, keepdims=keepdim)
    elif ord == -np.inf:
        out = xp.amin(a, axis=axis, keepdims=keepdim)
    elif ord == 0:
        out = xp.sum(a != 0, axis=axis, keepdims=keepdim, dtype=a.dtype)
    elif ord == 1:
        out = _einsum_sum(xp, axis, keepdim, a)
    else:
        with np.errstate(divide="ignore"):  # 0 ** negative order is inf, as in PyTorch
            out = xp.sum(a ** ord, axis=axis, keepdims=keepdim) ** (1.0 / ord)
    return xp.asarray(out).astype(real, copy=False)


# derivatives.yaml: linalg_vector_norm -> norm_backward, with its subgradients: 0 where x is 0 for
# orders below 1 and where the norm is 0 otherwise; inf norms split the gradient evenly among
# ties (and NaNs); order 0 counts, so it has no gradient at all (None, as PyTorch's undefined).
def _norm_vjp(ct, out, x, *, ord, axis, keepdim, dtype):
    if ord == 0:
        return (None,)
    ct, out = keep_reduced(ct, x, axis, keepdim), keep_reduced(out, x, axis, keepdim)
    if ord == 1:
        return (x.sgn() * ct,)
    if ord == 2:
        return (ct * where(out == 0, 0, x / out),)
    if math.isinf(ord):
        a = x.abs()
        hit = (a == out) | a.isnan()
        return (x.sgn() * (ct / hit.sum(axis, keepdim=True) * hit),)
    if ord < 1:
        return (x.sgn() * where(x == 0, 0, x.abs() ** (ord - 1)) * ct * out ** (1 - ord),)
    scale = where(out == 0, 0, ct / out ** (ord - 1))
    if ord < 2:
        return (x.sgn() * x.abs() ** (ord - 1) * scale,)
    return (x * x.abs() ** (ord - 2) * scale,)


# derivatives.yaml: linalg_vector_norm -> norm_jvp, the same cases: Re(conj(d norm / d x) * t)
# summed, with the VJP's subgradients at zeros, ties and NaN.
def _norm_jvp(tangents, out, x, *, ord, axis, keepdim, dtype):
    t = tangents[0]
    if ord == 0:
        return out.new_zeros(out._data.shape)
    x, t = x.to(dt.to_dtype(dtype)), t.to(dt.to_dtype(dtype))
    kept = keep_reduced(out, x, axis, keepdim)

    def total(d):  # sum of Re(conj(d) * t) over the reduced dims
        return (d.conj() * t).real.sum(axis, keepdim)
    if ord == 1:
        return total(x.sgn())
    if ord == 2:
        return where(out == 0, 0, total(x) / out)
    if math.isinf(ord):
        a = x.abs()
        hit = (a == kept) | a.isnan()
        return total(x.sgn() * hit / hit.sum(axis, keepdim=True))
    if ord < 1:
        return total(x.sgn() * where(x == 0, 0, x.abs() ** (ord - 1))) * out ** (1 - ord)
    d = x.sgn() * x.abs() ** (ord - 1) if ord < 2 else x * x.abs() ** (ord - 2)
    return where(out == 0, 0, total(d) / out ** (ord - 1))


norm_p = Primitive("norm", xp=_norm_fwd, vjp=_norm_vjp, jvp=_norm_jvp, batch=reduce_batch("norm"),
                   saves=(0, "out"))


def norm_dtype(d, dtype, name="linalg.vector_norm"):
    """The dtype a norm of a `d` input computes in: `d`, or `dtype` checked as PyTorch's
    check_linalg_norm_dtype checks it. Shared with linalg.vector_norm and matrix_norm."""
    if d.category < dt.FLOAT:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{torch_type_name(d)}")
    if dtype is None:
        return d
    want = dt.to_dtype(dtype)
    if want.category < dt.FLOAT:
        raise RuntimeError(f"{name}: dtype should be floating point or complex, but got "
                           f"{torch_type_name(want)}")
    if (d.category == dt.COMPLEX) != (want.category == dt.COMPLEX):
        kind = "complex" if d.category == dt.COMPLEX else "real"
        raise RuntimeError(f"{name}: dtype should be {kind} for {kind} inputs, but got "
                           f"{torch_type_name(want)}")
    if dt.promote_types(d, want) is not want:
        raise RuntimeError(
            f"{name}: the dtype of the input ({torch_type_name(d)}) should be "
            f"convertible without narrowing to the specified dtype ({torch_type_name(want)})")
    return want


def check_norm_identity(p, shape, axis):
    """Orders whose reduction has no identity (inf, -inf, negative) refuse an empty reduction."""
    if not (p < 0 or p == np.inf):
        return
    p = f"{p:g}"  # as C++ prints the double: -1, -0.5, inf
    if axis is None:
        if 0 in shape:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty "
                               "tensor because the operation does not have an identity")
        return
    for a in axis:
        if shape[a] == 0:
            # PyTorch's message runs "dimension 0because" together; kept as it is.
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on the dimension "
                               f"{a}because this dimension is empty and the operation does not "
                               "have an identity")


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    if isinstance(p, str) and not (p == "fro" and (dim is None or is_int_like(dim)
                                                   or len(dim) <= 2)):
        # The matrix orders ('nuc', or 'fro' over more than two dims, which refuses) are
        # linalg.matrix_norm's. linalg sits above _ops, so it is looked up at call time.
        from ..linalg import matrix_norm
        dim = list(range(input.ndim)) if dim is None else [dim] if is_int_like(dim) else dim
        return matrix_norm(input, p, dim, keepdim, dtype=dtype, out=out)
    d = norm_dtype(input.dtype, dtype)
    p = 2 if p == "fro" or p is None else p
    axis = reduce_axes("norm", dim, input.ndim)
    check_norm_identity(p, input._data.shape, axis)
    return finish_out(norm_p(input, ord=p, axis=axis, keepdim=keepdim, dtype=d.np), out)


# -- extrema --------------------------------------------------------------------------------------

def _amax_fwd(xp, x, *, axis, keepdim):
    return xp.asarray(xp.amax(x, axis=axis, keepdims=keepdim))


def _amin_fwd(xp, x, *, axis, keepdim):
    return xp.asarray(xp.amin(x, axis=axis, keepdims=keepdim))


def _arg_extreme(arg):
    # NumPy's argmax/argmin return the first occurrence and treat NaN as the extreme, as PyTorch.
    def fwd(xp, x, *, axis, keepdim):
        return xp.asarray(arg(x, axis=axis, keepdims=keepdim)).astype(np.int64, copy=False)
    fwd.__name__ = arg.__name__
    return fwd


def _with_index(arg):
    # max/min along a dim: the values at the first extreme (the first NaN if any), with its index.
    @scalar_as_vector
    def fwd(xp, x, *, axis, keepdim):
        idx = arg(x, axis=axis, keepdims=True)
        values = xp.take_along_axis(x, idx, axis=axis)
        if not keepdim:
            idx, values = idx.squeeze(axis), values.squeeze(axis)
        return values, idx.astype(np.int64, copy=False)
    return fwd


# derivatives.yaml: amax/amin -> scale_grad_by_count: the gradient split evenly over the elements
# equal to the result (none if it is NaN, so NaN gradients, as in PyTorch).
def _amax_vjp(ct, out, x, *, axis, keepdim):
    hit = x == keep_reduced(out, x, axis, keepdim)
    return (keep_reduced(ct, x, axis, keepdim) / hit.sum(axis, keepdim=True) * hit,)


# derivatives.yaml: amaxamin_jvp, the mean of the tangents at the ties.
def _amax_jvp(tangents, out, x, *, axis, keepdim):
    hit = x == keep_reduced(out, x, axis, keepdim)
    return where(hit, tangents[0], 0).sum(axis, keepdim) / hit.sum(axis, keepdim)


def _max_dim_vjp(ct, out, x, *, axis, keepdim):
    return (select_back(ct[0], x, axis, out[1], keepdim),)


def _max_dim_jvp(tangents, out, x, *, axis, keepdim):
    return take_along(tangents[0], axis, out[1], keepdim), None


# amax spreads its gradient evenly over ties, max(dim) sends it to the returned index: separate
# primitives.
amax_p = Primitive("amax", xp=_amax_fwd, vjp=_amax_vjp, jvp=_amax_jvp, batch=reduce_batch("amax"),
                   saves=(0, "out"))
amin_p = Primitive("amin", xp=_amin_fwd, vjp=_amax_vjp, jvp=_amax_jvp, batch=reduce_batch("amin"),
                   saves=(0, "out"))
max_dim_p = Primitive("max_dim", xp=_with_index(np.argmax), vjp=_max_dim_vjp, jvp=_max_dim_jvp,
                      batch=one_axis_batch("max_dim"), saves=("out",))
min_dim_p = Primitive("min_dim", xp=_with_index(np.argmin), vjp=_max_dim_vjp, jvp=_max_dim_jvp,
                      batch=one_axis_batch("min_dim"), saves=("out",))
argmax_p = Primitive("argmax", xp=_arg_extreme(np.argmax), vjp=NONDIFF, jvp=NONDIFF,
                     batch=one_axis_batch("argmax"))
argmin_p = Primitive("argmin", xp=_arg_extreme(np.argmin), vjp=NONDIFF, jvp=NONDIFF,
                     batch=one_axis_batch("argmin"))


def _check_extreme_all(name, input):
    if input._data.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")


def _extreme(name, whole_p, dim_p, binary, input, dim, keepdim, out):
    if isinstance(dim, TensorBase):  # max(input, other): the elementwise maximum
        return binary(input, dim, out=out)
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}() received an invalid combination of arguments: keepdim "
                            "needs dim")
        _check_extreme_all(name, input)
        reject_complex(name, input, f"{name}_all")
        return finish_out(whole_p(input, axis=None, keepdim=False), out)
    axis = one_axis(name, dim, input.ndim)
    check_nonempty(name, input, axis)
    if input.dtype.category == dt.COMPLEX:
        raise RuntimeError(f"{name}(): does not support complex input")
    values, indices = dim_p(input, axis=axis, keepdim=keepdim)
    return finish_out(getattr(return_types, name)(values, indices), out)


def max(input, dim=None, keepdim=False, *, out=None):
    return _extreme("max", amax_p, max_dim_p, _maximum, input, dim, keepdim, out)


def min(input, dim=None, keepdim=False, *, out=None):
    return _extreme("min", amin_p, min_dim_p, _minimum, input, dim, keepdim, out)


def _maximum(input, other, *, out=None):
    return elementwise.maximum(input, other, out=out)


def _minimum(input, other, *, out=None):
    return elementwise.minimum(input, other, out=out)


def _amax_amin(name, prim, input, dim, keepdim, out):
    axis = reduce_axes(name, dim, input.ndim)
    if axis is None:
        _check_extreme_all(name, input)
    else:
        for a in axis:
            check_nonempty(name, input, a)
    reject_complex(name, input, f"{name[1:]}_values_cpu")
    return finish_out(prim(input, axis=axis, keepdim=keepdim), out)


def amax(input, dim=(), keepdim=False, *, out=None):
    return _amax_amin("amax", amax_p, input, dim, keepdim, out)


def amin(input, dim=(), keepdim=False, *, out=None):
    return _amax_amin("amin", amin_p, input, dim, keepdim, out)


def aminmax(input, *, dim=None, keepdim=False, out=None):
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        axis = None
    else:
        axis = one_axis("aminmax", dim, input.ndim)
        check_nonempty("aminmax", input, axis)
        axis = (axis,) if input.ndim else None
    reject_complex("aminmax", input)
    lo = amin_p(input, axis=axis, keepdim=keepdim)
    hi = amax_p(input, axis=axis, keepdim=keepdim)
    return finish_out(return_types.aminmax(lo, hi), out)


def _arg(name, prim, input, dim, keepdim, out):
    d = input.dtype
    if d.category == dt.COMPLEX:
        raise RuntimeError(f"{name}(): does not support complex input")
    if d is dt.bool:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if input._data.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                             "== 0.")
        axis = None
    else:
        axis = one_axis(name, dim, input.ndim)
        check_nonempty(name, input, axis)
        axis = axis if input.ndim else None
    return finish_out(prim(input, axis=axis, keepdim=keepdim), out)


def argmax(input, dim=None, keepdim=False, *, out=None):
    return _arg("argmax", argmax_p, input, dim, keepdim, out)


def argmin(input, dim=None, keepdim=False, *, out=None):
    return _arg("argmin", argmin_p, input, dim, keepdim, out)


# -- logical reductions, counting -----------------------------------------------------------------

def _logical(reduce):
    # PyTorch keeps uint8 as uint8 (its legacy boolean type); every other dtype gives bool.
    def fwd(xp, x, *, axis, keepdim):
        r = xp.asarray(reduce(x, axis=axis, keepdims=keepdim))
        return r.astype(np.uint8) if x.dtype == np.uint8 else r
    fwd.__name__ = reduce.__name__
    return fwd


def _count_nonzero_fwd(xp, x, *, axis):
    return xp.asarray(xp.count_nonzero(x, axis=axis)).astype(np.int64, copy=False)


all_p = Primitive("all", xp=_logical(np.all), vjp=NONDIFF, jvp=NONDIFF, batch=reduce_batch("all"))
any_p = Primitive("any", xp=_logical(np.any), vjp=NONDIFF, jvp=NONDIFF, batch=reduce_batch("any"))
count_nonzero_p = Primitive("count_nonzero", xp=_count_nonzero_fwd, vjp=NONDIFF, jvp=NONDIFF,
                            batch=reduce_batch("count_nonzero"))


def _logical_axes(name, dim, ndim):
    # Unlike sum, all/any read an empty dim list as "reduce nothing".
    if isinstance(dim, (tuple, list)) and not dim:
        return ()
    return reduce_axes(name, dim, ndim)


def all(input, dim=None, keepdim=False, *, out=None):
    axis = _logical_axes("all", dim, input.ndim)
    return finish_out(all_p(input, axis=axis, keepdim=keepdim), out)


def any(input, dim=None, keepdim=False, *, out=None):
    axis = _logical_axes("any", dim, input.ndim)
    return finish_out(any_p(input, axis=axis, keepdim=keepdim), out)


def count_nonzero(input, dim=None):
    return count_nonzero_p(input, axis=reduce_axes("count_nonzero", dim, input.ndim))


# -- logsumexp ------------------------------------------------------------------------------------

# A primitive for stability: the maximum is subtracted before exponentiating.
def _logsumexp_fwd(xp, x, *, axis, keepdim, dtype):
    x = _cast(x, _acc(dtype))
    if x.size == 0 or 0 in [x.shape[a] for a in (axis or range(x.ndim))]:
        m = xp.zeros([1 if axis is None or a in axis else s for a, s in enumerate(x.shape)],
                     x.real.dtype)
    else:
        m = xp.asarray(xp.amax(x.real, axis=axis, keepdims=True))
        m[~xp.isfinite(m)] = 0  # all -inf (or an inf) rows: shifting by it would give nan
    with np.errstate(divide="ignore"):
        out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    if not keepdim:
        out = out.reshape([s for a, s in enumerate(out.shape)
                           if not (axis is None or a in axis)])
    return out.astype(dtype, copy=False)


# derivatives.yaml: logsumexp_backward, ct * exp(x - out).
def _logsumexp_vjp(ct, out, x, *, axis, keepdim, dtype):
    shift = x - keep_reduced(out, x, axis, keepdim)
    return (keep_reduced(ct, x, axis, keepdim) * shift.exp().conj(),)


# derivatives.yaml: logsumexp_jvp, the softmax-weighted sum of the tangents (holomorphic: no
# conjugate).
def _logsumexp_jvp(tangents, out, x, *, axis, keepdim, dtype):
    shift = x - keep_reduced(out, x, axis, keepdim)
    return (shift.exp() * tangents[0]).sum(axis, keepdim)


logsumexp_p = Primitive("logsumexp", xp=_logsumexp_fwd, vjp=_logsumexp_vjp, jvp=_logsumexp_jvp,
                        batch=reduce_batch("logsumexp"), saves=(0, "out"))


def logsumexp(input, dim, keepdim=False, *, out=None):
    d = input.dtype
    d = get_default_dtype() if d.category < dt.FLOAT else d
    axis = reduce_axes("logsumexp", dim, input.ndim)
    return finish_out(logsumexp_p(input, axis=axis, keepdim=keepdim, dtype=d.np), out)


__all__ = ["return_types", "sum", "nansum", "prod", "mean", "nanmean", "var", "std", "var_mean",
           "std_mean", "norm", "max", "min", "amax", "amin", "aminmax", "argmax", "argmin", "all",
           "any", "count_nonzero", "logsumexp"]
METHODS = {name: globals()[name] for name in __all__[1:] if name not in ("var_mean", "std_mean")}
