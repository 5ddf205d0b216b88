"""Matrix products: matmul (and `@`), mm, bmm, mv, dot, vdot, inner, outer/ger, addmm, addmv,
addbmm, baddbmm.

One primitive, `gemm`, the broadcast batched product of (..., m, k) and (..., k, n) arrays, does
the arithmetic; every op here checks its arguments in PyTorch's words and composes `gemm` with
views (unsqueeze, squeeze, permute) and elementwise ops, so it inherits gemm's derivatives and
batching rule. On cpu, float32/float64/complex64/complex128 go to the Cython BLAS kernel
(lamina/_core/_blas.pyx: threads, tiny-matrix loops, no copies of transposed operands); float16
multiplies in float32 and rounds once, as PyTorch's CPU kernel accumulates; integers use NumPy's
matmul (which wraps on overflow, as PyTorch does). Bool products are refused, as in PyTorch.
"""

import math
import numbers

import numpy as np

from .._core import _blas
from .._core import dtype as dt
from .._core._tensor import TensorBase, wrap
from ._batching import batch_first
from ._checks import (
    CPP_NAMES,
    broadcast_shape,
    check_tensor,
    checked_scalar,
    not_implemented,
    torch_type_name,
)
from ._rules import unbroadcast, wants
from .creation import zeros
from .elementwise import add, mul
from .mutation import write_inplace, write_out
from .primitive import Primitive
from .shape import expand, permute, reshape, squeeze, unsqueeze, view_p
from .unary import conj

_BLAS_TYPES = frozenset(np.dtype(c) for c in "fdFD")
_HALF = np.dtype(np.float16)


# -- the primitive ------------------------------------------------------------------------------

# A primitive because a product is the one place where the work is (BLAS, threads, layouts);
# everything else in this family composes it.
def _gemm_fwd(xp, a, b):
    if a.dtype == _HALF:
        return xp.matmul(a.astype(np.float32), b.astype(np.float32)).astype(_HALF)
    return xp.matmul(a, b)


def _gemm_cpu(a, b):
    if a.dtype in _BLAS_TYPES:
        out = _blas.matmul(a, b)
        if out is not None:     # None: a size past LP64 BLAS's int range
            return out
    return _gemm_fwd(np, a, b)


# d(AB) = dA B + A dB, so gA = ct B^H and gB = A^H ct (derivatives.yaml: mm, bmm), each summed
# down over the batch dims its operand was broadcast along.
def _gemm_vjp(ct, out, a, b):
    ga = unbroadcast(gemm_p(ct, b.mH), a) if wants(a) else None
    gb = unbroadcast(gemm_p(a.mH, ct), b) if wants(b) else None
    return ga, gb


# The product rule: d(AB) = dA B + A dB (no conjugate: the product is holomorphic in both).
def _gemm_jvp(tangents, out, a, b):
    ta, tb = tangents
    t = None if ta is None else gemm_p(ta, b)
    if tb is not None:
        t = gemm_p(a, tb) if t is None else t + gemm_p(a, tb)
    return t


# The product broadcasts the batch dims of both operands, so the mapped dims go first and the
# whole batch is one kernel call.
def _gemm_batch(bdims, a, b):
    return gemm_p(*batch_first(bdims, (a, b), (2, 2))), 0


gemm_p = Primitive("gemm", cpu=_gemm_cpu, xp=_gemm_fwd, vjp=_gemm_vjp, jvp=_gemm_jvp,
                   batch=_gemm_batch)


# Products whose sparse matrix operand has another layout: its type -> a module with mm, matmul and
# addmm for it. lamina.sparse registers its COO tensor here (this layer cannot import it), so the
# dense path pays one dict lookup, as PyTorch dispatches these ops on the operand's layout.
LAYOUT_PRODUCTS = {}


# -- checks and messages ------------------------------------------------------------------------

def _expect_tensors(name, args, names):
    for pos, (x, arg) in enumerate(zip(args, names)):
        check_tensor(name, x, arg, pos + 1)


def _refuse_bool(kernel, d):
    if d is dt.bool:
        raise not_implemented(kernel, d)


def _mm_dtypes(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{CPP_NAMES[a.dtype.name]} != {CPP_NAMES[b.dtype.name]}")
    _refuse_bool("addmm_impl_cpu_", a.dtype)


def _bmm_dtypes(a, b, kernel="bmm"):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {torch_type_name(a.dtype)} but found "
                           f"{torch_type_name(b.dtype)}")
    _refuse_bool(kernel, a.dtype)


def _dot_dtypes(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{torch_type_name(a.dtype)} and {torch_type_name(b.dtype)}")
    _refuse_bool("dot", a.dtype)


def _mv_dtypes(vec_out, mat, vec):
    names = [torch_type_name(t.dtype) for t in (vec_out, mat, vec)]
    if len(set(names)) > 1:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {names[0]}, "
                           f"{names[1]}, and {names[2]}")
    _refuse_bool("addmv_impl_cpu", mat.dtype)


def _mm_shapes(rows, k, k2, n):
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {k2}x{n})")


def _mv_shapes(rows, k, kv, got=None):
    if k != kv or (got is not None and got not in (1, rows)):
        raise RuntimeError(f"size mismatch, got input ({rows if got is None else got}), mat "
                           f"({rows}x{k}), vec ({kv})")


def _dot_shapes(n1, n2):
    if n1 != n2:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n1}] and src [{n2}] to "
                           f"have the same number of elements, but got {n1} and {n2} elements "
                           "respectively")


def _bmm_shapes(batch1, k, batch2, k2):
    if batch1 != batch2 or k != k2:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{batch1}, {k}] but got: [{batch2}, {k2}].")


# PyTorch's matrix products take an out tensor of exactly the result's dtype; each names the
# mismatch in its own words.
_OUT_MESSAGES = {
    "mm": "Expected out tensor to have dtype {r}, but got {o} instead",
    "dot": "result dtype {O} does not match input dtype {R}",
    "inner": "tensordot: Expected the output tensor to have dtype {R}, but got an output tensor "
             "with dtype {O}",
    "addbmm": "self and mat2 must have the same dtype, but got {O} and {R}",
}


def _finish(result, out, kind="mm"):
    if out is None:
        return result
    if isinstance(out, TensorBase) and out.dtype is not result.dtype:
        rd, od = result.dtype, out.dtype
        raise RuntimeError(_OUT_MESSAGES[kind].format(
            r=CPP_NAMES[rd.name], o=CPP_NAMES[od.name], R=torch_type_name(rd),
            O=torch_type_name(od)))
    return write_out(out, result, 4)   # the resize warning names the public op's caller


# -- products -----------------------------------------------------------------------------------

# A vector meets the kernel as a one-row or one-column matrix: view_p directly, since the public
# unsqueeze/squeeze parse their dims on every call (3 us of a 7 us vector @ matrix).
def _row(v):
    return view_p(v, shape=(1,) + v._data.shape)


def _column(v):
    return view_p(v, shape=v._data.shape + (1,))


def _matmul(a, b):
    """torch.matmul's cases over tensors: dot, mv, mm (with folded batches), broadcast bmm."""
    x, y = a._data, b._data
    if (x.ndim == 2 and y.ndim == 2 and x.dtype is y.dtype and x.dtype in _BLAS_TYPES
            and x.shape[1] == y.shape[0]):
        return gemm_p(a, b)  # two matrices that pass every check below at once: no more asked
    na, nb = a.ndim, b.ndim
    if not na or not nb:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{na}D and {nb}D")
    sa, sb = a._data.shape, b._data.shape
    if na == 1 and nb == 1:
        return dot(a, b)
    if nb == 1:                           # mv, with any leading dims of `a` folded into rows
        _mv_dtypes(b, a, b)
        _mv_shapes(math.prod(sa[:-1]), sa[-1], sb[0])
        return view_p(gemm_p(a, _column(b)), shape=sa[:-1])
    if nb == 2:                           # mm, likewise
        _mm_dtypes(a, b)
        _mm_shapes(math.prod(sa[:-1]), sa[-1], sb[0], sb[1])
        if na == 1:
            return view_p(gemm_p(_row(a), b), shape=sb[1:])
        return gemm_p(a, b)
    _bmm_dtypes(a, b)
    batch = int(np.prod(broadcast_shape(sa[:-2], sb[:-2])))
    k = sa[-1]
    _bmm_shapes(batch, k, batch, sb[-2])
    if na == 1:
        out = gemm_p(_row(a), b)
        return view_p(out, shape=out._data.shape[:-2] + sb[-1:])
    return gemm_p(a, b)


def matmul(input, other, *, out=None):
    if type(input) in LAYOUT_PRODUCTS:
        return _finish(LAYOUT_PRODUCTS[type(input)].matmul(input, other), out)
    _expect_tensors("matmul", (input, other), ("input", "other"))
    return _finish(_matmul(input, other), out)


def __matmul__(self, other):
    if not isinstance(other, TensorBase):
        return NotImplemented
    return _matmul(self, other)


def __rmatmul__(self, other):
    if not isinstance(other, TensorBase):
        return NotImplemented
    return _matmul(other, self)


def mm(input, mat2, *, out=None):
    if type(input) in LAYOUT_PRODUCTS:
        return _finish(LAYOUT_PRODUCTS[type(input)].mm(input, mat2), out)
    _expect_tensors("mm", (input, mat2), ("input", "mat2"))
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _mm_dtypes(input, mat2)
    (m, k), (k2, n) = input._data.shape, mat2._data.shape
    _mm_shapes(m, k, k2, n)
    return _finish(gemm_p(input, mat2), out)


def bmm(input, mat2, *, out=None):
    _expect_tensors("bmm", (input, mat2), ("input", "mat2"))
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _bmm_dtypes(input, mat2)
    (b1, _, k), (b2, k2, _) = input._data.shape, mat2._data.shape
    _bmm_shapes(b1, k, b2, k2)
    return _finish(gemm_p(input, mat2), out)


def mv(input, vec, *, out=None):
    _expect_tensors("mv", (input, vec), ("input", "vec"))
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    _mv_dtypes(vec if out is None else out, input, vec)
    (m, k), (kv,) = input._data.shape, vec._data.shape
    _mv_shapes(m, k, kv)
    return _finish(squeeze(gemm_p(input, unsqueeze(vec, 1)), 1), out)


def _dot_checks(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    _dot_dtypes(a, b)
    _dot_shapes(a._data.shape[0], b._data.shape[0])


def dot(input, tensor, *, out=None):
    _expect_tensors("dot", (input, tensor), ("input", "tensor"))
    _dot_checks(input, tensor)
    result = view_p(gemm_p(_row(input), _column(tensor)), shape=())
    return _finish(result, out, "dot")


def vdot(input, other, *, out=None):
    """sum(conj(input) * other); the conjugate is one O(n) pass before the ?dot call."""
    _expect_tensors("vdot", (input, other), ("input", "other"))
    _dot_checks(input, other)
    first = conj(input) if input.dtype.category == dt.COMPLEX else input
    result = view_p(gemm_p(_row(first), _column(other)), shape=())
    return _finish(result, out, "dot")


def inner(input, other, *, out=None):
    """Contract the last dims: (..., k) and (..., k) give input.shape[:-1] + other.shape[:-1]."""
    _expect_tensors("inner", (input, other), ("input", "other"))
    if not input.ndim or not other.ndim:
        return mul(input, other, out=out)
    if input.dtype is not other.dtype:
        raise RuntimeError("both inputs should have same dtype")
    sa, sb = input._data.shape, other._data.shape
    if sa[-1] != sb[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(sa)} and {list(sb)}")
    _refuse_bool("dot" if input.ndim == 1 and other.ndim == 1 else "addmm_impl_cpu_",
                 input.dtype)
    k = sa[-1]
    rows = reshape(input, (math.prod(sa[:-1]), k))
    cols = permute(reshape(other, (math.prod(sb[:-1]), k)), (1, 0))
    return _finish(reshape(gemm_p(rows, cols), sa[:-1] + sb[:-1]), out, "inner")


def outer(input, vec2, *, out=None):
    """input[:, None] * vec2[None, :]: an elementwise product, so dtypes promote (bool too)."""
    _expect_tensors("outer", (input, vec2), ("input", "vec2"))
    for arg, t in (("self", input), ("vec2", vec2)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {arg}, but got {t.ndim}-D")
    return mul(unsqueeze(input, 1), vec2, out=out)


ger = outer


# -- products plus a scaled input ---------------------------------------------------------------

def _scaled_sum(name, input, product, shape, beta, alpha):
    """beta * input + alpha * product() with PyTorch's BLAS semantics: beta = 0 ignores input
    (NaN included) and alpha = 0 ignores the product, though input must still broadcast.
    beta and alpha are converted to the op's dtype as PyTorch converts a Scalar (a float is
    truncated for integer tensors; a value that does not fit is refused)."""
    d = input.dtype
    for arg, v in (("beta", beta), ("alpha", alpha)):
        if not isinstance(v, (TensorBase, numbers.Number)):
            raise TypeError(f"{name}(): argument '{arg}' must be Number, not {type(v).__name__}")
    beta, alpha = (checked_scalar(v.item() if isinstance(v, TensorBase) else v, d)
                   for v in (beta, alpha))
    base = expand(input, shape)
    result = product() if alpha != 0 else None
    if result is not None and alpha != 1:
        result = mul(result, wrap(alpha))
    if beta == 0:
        return result if result is not None else zeros(shape, dtype=d)
    scaled = base if beta == 1 else mul(base, wrap(beta))
    return scaled if result is None else add(result, scaled)


def _addmm_dtypes(input, mat1, mat2):
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{torch_type_name(input.dtype)} and {torch_type_name(mat2.dtype)}")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{torch_type_name(mat1.dtype)} and {torch_type_name(mat2.dtype)}")
    _refuse_bool("addmm_impl_cpu_", mat1.dtype)


def _three_d(t):
    if t.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-max(t.ndim, 1)}, {max(t.ndim, 1) - 1}], but got 2)")


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    if type(mat1) in LAYOUT_PRODUCTS:
        result = LAYOUT_PRODUCTS[type(mat1)].addmm(input, mat1, mat2, beta=beta, alpha=alpha)
        return _finish(result, out)
    _expect_tensors("addmm", (input, mat1, mat2), ("input", "mat1", "mat2"))
    for arg, t in (("mat1", mat1), ("mat2", mat2)):
        if t.ndim != 2:
            raise RuntimeError(f"{arg} must be a matrix, got {t.ndim}-D tensor")
    _addmm_dtypes(input, mat1, mat2)
    (m, k), (k2, n) = mat1._data.shape, mat2._data.shape
    _mm_shapes(m, k, k2, n)
    result = _scaled_sum("addmm", input, lambda: gemm_p(mat1, mat2), (m, n), beta, alpha)
    return _finish(result, out)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    _expect_tensors("addmv", (input, mat, vec), ("input", "mat", "vec"))
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, "
                           f"{vec.ndim}")
    _mv_dtypes(input, mat, vec)
    (m, k), (kv,) = mat._data.shape, vec._data.shape
    _mv_shapes(m, k, kv, got=input.numel())
    result = _scaled_sum("addmv", input, lambda: squeeze(gemm_p(mat, unsqueeze(vec, 1)), 1),
                         (m,), beta, alpha)
    return _finish(result, out)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * sum_b batch1[b] @ batch2[b], as one (n, B*k) @ (B*k, p) product."""
    _expect_tensors("addbmm", (input, batch1, batch2), ("input", "batch1", "batch2"))
    _three_d(batch1)
    _three_d(batch2)
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError(f"batch{1 if batch1.ndim != 3 else 2} must be a 3D tensor")
    _addmm_dtypes(input, batch1, batch2)
    (b1, n, k), (b2, k2, p) = batch1._data.shape, batch2._data.shape
    if b1 != b2:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b1} and "
                           f"{b2}")
    if k != k2:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({n}x{k} and {k2}x{p})")

    def product():
        rows = reshape(permute(batch1, (1, 0, 2)), (n, b1 * k))
        return gemm_p(rows, reshape(batch2, (b1 * k, p)))
    return _finish(_scaled_sum("addbmm", input, product, (n, p), beta, alpha), out, "addbmm")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    _expect_tensors("baddbmm", (input, batch1, batch2), ("input", "batch1", "batch2"))
    _three_d(batch1)
    _three_d(batch2)
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError(f"batch{1 if batch1.ndim != 3 else 2} must be a 3D tensor")
    if input.dtype is not batch1.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input "
                           f"{CPP_NAMES[input.dtype.name]}, batch1: "
                           f"{CPP_NAMES[batch1.dtype.name]}, batch2: "
                           f"{CPP_NAMES[batch2.dtype.name]}")
    _bmm_dtypes(batch1, batch2, kernel="baddbmm")
    (b1, n, k), (b2, k2, p) = batch1._data.shape, batch2._data.shape
    _bmm_shapes(b1, k, b2, k2)
    result = _scaled_sum("baddbmm", input, lambda: gemm_p(batch1, batch2), (b1, n, p), beta,
                         alpha)
    return _finish(result, out)


def _inplace(fn):
    """The in-place form: the result must have self's shape (input does not broadcast up)."""
    def method(self, *args, **kwargs):
        result = fn(self, *args, **kwargs)
        if result.shape != self.shape:
            raise RuntimeError(f"Bad in-place call: input tensor size {list(self.shape)} and "
                               f"output tensor size {list(result.shape)} should match")
        return write_inplace(self, result, f"aten::{fn.__name__}_")
    method.__name__ = method.__qualname__ = fn.__name__ + "_"
    return method


__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm",
           "addmv", "addbmm", "baddbmm"]
METHODS = {name: globals()[name] for name in __all__}
METHODS.update({f.__name__ + "_": _inplace(f) for f in (addmm, addmv, addbmm, baddbmm)})
METHODS.update({"__matmul__": __matmul__, "__rmatmul__": __rmatmul__})
