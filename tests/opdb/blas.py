"""Op table entries for lamina/_ops/blas.py.

References multiply in float64/complex128 (integers in int64, which wraps as the narrower type
would) and cast to the operands' dtype. Sizes cover the kernel's paths: k = 0 (zeros), 1x1,
the tiny loops (every n from 2 to 8), BLAS at 16, 33 and 64 (gemm, gemv, dot), broadcast and
empty batches; the generic sweep adds transposed, strided and negative-stride layouts, which
reach the trans flags and the scratch copy. float32 tolerances allow for k = 64 terms.
"""

import operator

import numpy as np

import lamina as lm
from opdb import COMPLEX, FLOAT_AND_COMPLEX, INTEGRAL, ErrorInput, OpInfo, Sample, make_array

DTYPES = INTEGRAL + FLOAT_AND_COMPLEX
TOL = {"float32": (1e-4, 2e-4), "complex64": (1e-4, 2e-4)}


def _wide(x):
    x = np.asarray(x)
    return x.astype({"f": np.float64, "c": np.complex128}.get(x.dtype.kind, np.int64))


def _ref(fn):
    """fn on operands widened to float64/complex128/int64, cast back to the first's dtype."""
    def ref(*args, **kwargs):
        dtype = args[0].dtype
        return np.asarray(fn(*[_wide(a) for a in args], **kwargs)).astype(dtype)
    return ref


def _pairs(shapes, dtype, rng):
    for sa, sb in shapes:
        yield Sample((make_array(sa, dtype, rng), make_array(sb, dtype, rng)), name=f"{sa}x{sb}")


TINY = [((7, n, n), (7, n, n)) for n in range(2, 9)]
MATMUL_SHAPES = [((3,), (3,)), ((1, 1), (1, 1)), ((2, 3), (3, 5)), ((5, 3, 4), (4, 2)),
                 ((3,), (2, 3, 4)), ((2, 1, 4, 3), (5, 3, 2)), ((4, 2, 3), (3,)),
                 ((0, 3, 4), (0, 4, 2)), ((2, 0), (0, 3)), ((3, 0, 5), (5, 2)), ((6, 5), (5,)),
                 ((5,), (5, 7)), ((3, 16, 16), (16, 16)), ((2, 33, 17), (2, 17, 9)),
                 ((64, 64), (64, 64)), ((2, 1, 64), (1, 64, 3))] + TINY
MM_SHAPES = [((2, 3), (3, 4)), ((1, 1), (1, 1)), ((4, 4), (4, 4)), ((8, 3), (3, 8)),
             ((16, 16), (16, 16)), ((33, 20), (20, 9)), ((64, 64), (64, 64)), ((0, 3), (3, 2)),
             ((2, 0), (0, 3)), ((5, 1), (1, 5)), ((1, 64), (64, 1))]
BMM_SHAPES = [((5, 4, 4), (5, 4, 4)), ((3, 2, 3), (3, 3, 5)), ((0, 2, 3), (0, 3, 4)),
              ((2, 3, 0), (2, 0, 4)), ((4, 16, 16), (4, 16, 16)), ((2, 33, 17), (2, 17, 9)),
              ((1, 1, 1), (1, 1, 1)), ((3, 1, 64), (3, 64, 1))] + TINY
MV_SHAPES = [((3, 4), (4,)), ((1, 1), (1,)), ((0, 3), (3,)), ((3, 0), (0,)), ((16, 16), (16,)),
             ((33, 64), (64,)), ((8, 8), (8,))]
VECTOR_SHAPES = [((n,), (n,)) for n in (0, 1, 3, 8, 33, 64)]
INNER_SHAPES = [((3,), (3,)), ((2, 3), (4, 3)), ((2, 5, 3), (4, 3)), ((), (2, 3)),
                ((0, 3), (2, 3)), ((4, 0), (2, 0)), ((3, 17), (2, 2, 17))]
OUTER_SHAPES = [((3,), (4,)), ((0,), (3,)), ((1,), (1,)), ((9,), (2,))]


def _samples(shapes):
    return lambda dtype, rng: _pairs(shapes, dtype, rng)


# -- products plus a scaled input ---------------------------------------------------------------

def _scalars(dtype):
    """(beta, alpha) pairs the dtype takes exactly: integers for integer dtypes."""
    pairs = [{}, {"beta": 2, "alpha": 3}, {"beta": 0}, {"alpha": 0}]
    if dtype not in INTEGRAL:
        pairs.append({"beta": 0.5, "alpha": -1.5})
    if dtype in COMPLEX:
        pairs.append({"beta": 1 - 2j, "alpha": 0.5j})
    return pairs


def _added(input_shapes, shapes):
    def samples(dtype, rng):
        for (sa, sb), si in zip(shapes, input_shapes):
            for kwargs in _scalars(dtype):
                x = make_array(si, dtype, rng)
                if kwargs.get("beta") == 0 and x.dtype.kind in "fc" and x.size:
                    x.flat[0] = np.nan        # beta = 0 ignores input, NaN included
                args = (x, make_array(sa, dtype, rng), make_array(sb, dtype, rng))
                yield Sample(args, kwargs, name=f"{si}+{sa}x{sb}-{kwargs}")
    return samples


def _add_ref(product):
    def ref(x, a, b, *, beta=1, alpha=1):
        d = x.dtype
        x, a, b = _wide(x), _wide(a), _wide(b)
        prod = product(a, b)
        prod = alpha * prod if alpha != 0 else np.zeros_like(prod)   # alpha = 0 skips it
        return np.asarray(prod + (beta * x if beta != 0 else 0)).astype(d)
    return ref


ADDMM = ([(2, 4), (4,), (1, 4), (), (3, 3), (0, 2), (16, 16)],
         [((2, 3), (3, 4)), ((2, 3), (3, 4)), ((2, 3), (3, 4)), ((2, 3), (3, 4)),
          ((3, 0), (0, 3)), ((0, 5), (5, 2)), ((16, 33), (33, 16))])
ADDMV = ([(2,), (), (1,), (0,), (16,)],
         [((2, 3), (3,)), ((2, 3), (3,)), ((2, 3), (3,)), ((0, 3), (3,)), ((16, 64), (64,))])
ADDBMM = ([(2, 4), (4,), (), (2, 4), (4, 4)],
          [((3, 2, 5), (3, 5, 4)), ((3, 2, 5), (3, 5, 4)), ((3, 2, 5), (3, 5, 4)),
           ((0, 2, 5), (0, 5, 4)), ((6, 4, 4), (6, 4, 4))])
BADDBMM = ([(3, 2, 4), (2, 4), (4,), (), (0, 2, 4), (5, 8, 8)],
           [((3, 2, 5), (3, 5, 4)), ((3, 2, 5), (3, 5, 4)), ((3, 2, 5), (3, 5, 4)),
            ((3, 2, 5), (3, 5, 4)), ((0, 2, 5), (0, 5, 4)), ((5, 8, 16), (5, 16, 8))])


def _addbmm_product(a, b):
    return np.einsum("bij,bjk->ik", a, b)


# -- error inputs -------------------------------------------------------------------------------

def _err(args, exc, match, name, **kwargs):
    return ErrorInput(Sample(args, kwargs, name=name), exc, match)


F = np.float32
O23, O34, O45 = np.ones((2, 3), F), np.ones((3, 4), F), np.ones((4, 5), F)
D34 = np.ones((3, 4))
B23, B34 = np.ones((2, 3), bool), np.ones((3, 4), bool)
F3, F4, D3 = np.ones(3, F), np.ones(4, F), np.ones(3)


def _mm_errors():
    return [_err((O23, D34), RuntimeError, "expected m1 and m2 to have the same dtype, but got: "
                 "float != double", "dtypes"),
            _err((O23, O45), RuntimeError, r"mat1 and mat2 shapes cannot be multiplied "
                 r"\(2x3 and 4x5\)", "shapes"),
            _err((F3, O34), RuntimeError, "self must be a matrix", "1d"),
            _err((O23, F3), RuntimeError, "mat2 must be a matrix", "1d-second"),
            _err((B23, B34), NotImplementedError, "\"addmm_impl_cpu_\" not implemented for "
                 "'Bool'", "bool"),
            _err((O23, 2), TypeError, r"mm\(\): argument 'mat2' \(position 2\) must be Tensor, "
                 "not int", "scalar")]


def _bmm_errors():
    a, b = np.ones((2, 2, 3), F), np.ones((2, 3, 4), F)
    return [_err((a, b.astype(np.float64)), RuntimeError, "expected scalar type Float but found "
                 "Double", "dtypes"),
            _err((a, np.ones((2, 4, 5), F)), RuntimeError, r"Expected size for first two "
                 r"dimensions of batch2 tensor to be: \[2, 3\] but got: \[2, 4\]\.", "shapes"),
            _err((a, np.ones((3, 3, 5), F)), RuntimeError, r"to be: \[2, 3\] but got: \[3, 3\]",
                 "batches"),
            _err((O23, b), RuntimeError, "batch1 must be a 3D tensor", "2d"),
            _err((a, O34), RuntimeError, "batch2 must be a 3D tensor", "2d-second"),
            _err((a.astype(bool), b.astype(bool)), NotImplementedError, "\"bmm\" not "
                 "implemented for 'Bool'", "bool")]


def _mv_errors():
    return [_err((O23, D3), RuntimeError, "addmv input tensors must have the same dtype, but got "
                 "Double, Float, and Double", "dtypes"),
            _err((O23, F4), RuntimeError, r"size mismatch, got input \(2\), mat \(2x3\), vec "
                 r"\(4\)", "shapes"),
            _err((F3, F3), RuntimeError, "vector \\+ matrix @ vector expected, got 1, 1, 1",
                 "1d"),
            _err((B23, np.ones(3, bool)), NotImplementedError, "\"addmv_impl_cpu\" not "
                 "implemented for 'Bool'", "bool")]


def _dot_errors():
    return [_err((F3, D3), RuntimeError, "dot : expected both vectors to have same dtype, but "
                 "found Float and Double", "dtypes"),
            _err((F3, F4), RuntimeError, r"inconsistent tensor size, expected tensor \[3\] and "
                 r"src \[4\] to have the same number of elements, but got 3 and 4 elements "
                 "respectively", "shapes"),
            _err((O23, F3), RuntimeError, "1D tensors expected, but got 2D and 1D tensors", "2d"),
            _err((np.ones(3, bool), np.ones(3, bool)), NotImplementedError, "\"dot\" not "
                 "implemented for 'Bool'", "bool")]


def _matmul_errors():
    return [_err((np.ones((), F), F3), RuntimeError, "both arguments to matmul "
                 "need to be at least 1D, but they are 0D and 1D", "0dim"),
            _err((np.ones((2, 2, 3), F), np.ones((2, 3, 2))), RuntimeError, "expected scalar "
                 "type Float but found Double", "dtypes-bmm"),
            _err((np.ones((2, 2, 3), F), np.ones(3)), RuntimeError, "addmv input tensors must "
                 "have the same dtype, but got Double, Float, and Double", "dtypes-mv"),
            _err((np.ones((2, 1, 2, 3), F), np.ones((5, 4, 4), F)), RuntimeError,
                 r"to be: \[10, 3\] but got: \[10, 4\]", "broadcast-k"),
            _err((np.ones((5, 2, 3), F), O45[:, :4]), RuntimeError, r"mat1 and mat2 shapes "
                 r"cannot be multiplied \(10x3 and 4x4\)", "folded"),
            _err((np.ones((2, 2, 3), F), np.ones((3, 3, 2), F)), RuntimeError, r"size of tensor "
                 r"a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0",
                 "batch-broadcast"),
            _err((np.ones((2, 2, 3), bool), np.ones((2, 3, 2), bool)), NotImplementedError,
                 "\"bmm\" not implemented for 'Bool'", "bool")]


def _inner_errors():
    return [_err((F3, D3), RuntimeError, "both inputs should have same dtype", "dtypes"),
            _err((O23, np.ones((4, 4), F)), RuntimeError, r"inner\(\) the last dimension must "
                 r"match on both input tensors but got shapes \[2, 3\] and \[4, 4\]", "shapes"),
            _err((B23, B23), NotImplementedError, "\"addmm_impl_cpu_\" not implemented",
                 "bool")]


def _outer_errors():
    return [_err((O23, F3), RuntimeError, "outer: Expected 1-D argument self, but got 2-D",
                 "2d"),
            _err((F3, O23), RuntimeError, "outer: Expected 1-D argument vec2, but got 2-D",
                 "2d-second")]


def _addmm_errors():
    x = np.ones((2, 4), F)
    return [_err((x.astype(np.float64), O23, O34), RuntimeError, "self and mat2 must have the "
                 "same dtype, but got Double and Float", "dtypes"),
            _err((x, O23.astype(np.float64), O34), RuntimeError, "mat1 and mat2 must have the "
                 "same dtype, but got Double and Float", "dtypes-mat1"),
            _err((np.ones(3, F), O23, O34), RuntimeError, r"The expanded size of the tensor "
                 r"\(4\) must match the existing size \(3\) at non-singleton dimension 1",
                 "input-shape"),
            _err((x, O23, np.ones((4, 4), F)), RuntimeError, r"mat1 and mat2 shapes cannot be "
                 r"multiplied \(2x3 and 4x4\)", "shapes"),
            _err((x, F3, O34), RuntimeError, "mat1 must be a matrix, got 1-D tensor", "1d"),
            _err((x, O23, O34), RuntimeError, "value cannot be converted to type float without "
                 "overflow", "complex-beta", beta=1j),
            _err((x.astype(np.int64), O23.astype(np.int64), O34.astype(np.int64)),
                 RuntimeError, "value cannot be converted to type int64_t without overflow",
                 "int-overflow", alpha=1e30)]


def _addmv_errors():
    return [_err((np.ones(2), O23, F3), RuntimeError, "addmv input tensors must have the same "
                 "dtype, but got Double, Float, and Float", "dtypes"),
            _err((F3, O23, F3), RuntimeError, r"size mismatch, got input \(3\), mat \(2x3\), "
                 r"vec \(3\)", "input-shape"),
            _err((np.ones((2, 1), F), O23, F3), RuntimeError, "vector \\+ matrix @ vector "
                 "expected, got 2, 2, 1", "2d-input")]


def _addbmm_errors():
    x, a, b = np.ones((2, 4), F), np.ones((5, 2, 3), F), np.ones((5, 3, 4), F)
    return [_err((x, a, np.ones((6, 3, 4), F)), RuntimeError, "batch1 and batch2 must have same "
                 "number of batches, got 5 and 6", "batches"),
            _err((x, a, np.ones((5, 4, 4), F)), RuntimeError, r"Incompatible matrix sizes for "
                 r"bmm \(2x3 and 4x4\)", "shapes"),
            _err((x, O23, O34), IndexError, r"Dimension out of range \(expected to be in range "
                 r"of \[-2, 1\], but got 2\)", "2d"),
            _err((x, a.astype(np.float64), b), RuntimeError, "mat1 and mat2 must have the same "
                 "dtype, but got Double and Float", "dtypes")]


def _baddbmm_errors():
    x, a, b = np.ones((5, 2, 4), F), np.ones((5, 2, 3), F), np.ones((5, 3, 4), F)
    return [_err((x.astype(np.float64), a, b), RuntimeError, "Input dtypes must be the same, "
                 "got: input double, batch1: float, batch2: float", "dtypes"),
            _err((x, a, b.astype(np.float64)), RuntimeError, "expected scalar type Float but "
                 "found Double", "dtypes-batch2"),
            _err((x, a, np.ones((5, 4, 4), F)), RuntimeError, r"to be: \[5, 3\] but got: "
                 r"\[5, 4\]\.", "shapes"),
            _err((np.ones((3, 4), F), a, b), RuntimeError, r"The expanded size of the tensor "
                 r"\(2\) must match the existing size \(3\)", "input-shape"),
            _err((x.astype(bool), a.astype(bool), b.astype(bool)), NotImplementedError,
                 "\"baddbmm\" not implemented for 'Bool'", "bool")]


def _vdot(a, b):
    return np.vdot(a, b)


OPS = [
    OpInfo("Tensor.__matmul__", operator.matmul, _ref(np.matmul), _samples(MATMUL_SHAPES),
           dtypes=DTYPES, tol=TOL, errors=_matmul_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("mm", lm.mm, _ref(np.matmul), _samples(MM_SHAPES), dtypes=DTYPES + ("float16",),
           method="mm", tol={**TOL, "float16": (2e-2, 2e-1)}, errors=_mm_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("bmm", lm.bmm, _ref(np.matmul), _samples(BMM_SHAPES), dtypes=DTYPES, method="bmm",
           tol=TOL, errors=_bmm_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("mv", lm.mv, _ref(np.matmul), _samples(MV_SHAPES), dtypes=DTYPES, method="mv",
           tol=TOL, errors=_mv_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("dot", lm.dot, _ref(np.dot), _samples(VECTOR_SHAPES), dtypes=DTYPES, method="dot",
           tol=TOL, errors=_dot_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("vdot", lm.vdot, _ref(_vdot), _samples(VECTOR_SHAPES), dtypes=DTYPES, method="vdot",
           tol=TOL, errors=_dot_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("inner", lm.inner, _ref(np.inner), _samples(INNER_SHAPES), dtypes=DTYPES,
           method="inner", tol=TOL, errors=_inner_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("outer", lm.outer, _ref(np.outer), _samples(OUTER_SHAPES), dtypes=DTYPES + ("bool",),
           method="outer", errors=_outer_errors, grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("ger", lm.ger, _ref(np.outer), _samples(OUTER_SHAPES), dtypes=DTYPES, method="ger",
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("addmm", lm.addmm, _add_ref(np.matmul), _added(*ADDMM), dtypes=DTYPES,
           method="addmm", tol=TOL, errors=_addmm_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("addmv", lm.addmv, _add_ref(np.matmul), _added(*ADDMV), dtypes=DTYPES,
           method="addmv", tol=TOL, errors=_addmv_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("addbmm", lm.addbmm, _add_ref(_addbmm_product), _added(*ADDBMM), dtypes=DTYPES,
           method="addbmm", tol=TOL, errors=_addbmm_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
    OpInfo("baddbmm", lm.baddbmm, _add_ref(np.matmul), _added(*BADDBMM), dtypes=DTYPES,
           method="baddbmm", tol=TOL, errors=_baddbmm_errors,
           grad=True, fwgrad=True, gradgrad=True, vmap=True),
]
