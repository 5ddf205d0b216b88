"""Op table entries for lamina/_ops/elementwise.py.

Binary samples mix dtypes (another dtype the op takes, a 0-dim tensor, Python scalars), so each
reference first finds PyTorch's result dtype with the promotion model of promotion_model.py
(written from PyTorch's documented rules, not from lamina's code), then computes in it as
PyTorch does.
"""

import dataclasses
import functools

import numpy as np

import lamina as lm
from opdb import ALL_DTYPES, COMPLEX, FLOATING, INTEGRAL, ErrorInput, OpInfo, Sample, make_array
from promotion_model import SCALAR_DTYPE, expected_result

REAL = INTEGRAL + ("float16",) + FLOATING
ORDERED = ("bool",) + REAL                 # what comparisons, extrema and atan2 take
NUMBERS = REAL + COMPLEX
SHAPE_PAIRS = [((), ()), ((5,), (5,)), ((3, 4), (3, 4)), ((2, 3, 4), (3, 4)), ((3, 1), (1, 4)),
               ((0, 3), (3,)), ((4, 3), ())]
SHAPES = [(), (5,), (3, 4), (2, 3, 4), (0, 3)]
SCALARS = (True, 3, 2.5, 1.5 - 2j)


def torch_dtype(*operands):
    """PyTorch's result dtype by promotion_model's rules; None where PyTorch gives complex32 (a
    float16 tensor meeting a weaker complex operand), which lamina does not have."""
    kinds = [("dim" if x.ndim else "zero", x.dtype.name) if isinstance(x, np.ndarray)
             else ("scalar", SCALAR_DTYPE[type(x)]) for x in operands]
    try:
        return np.dtype(expected_result(kinds))
    except KeyError:
        return None


def _to_float(d):
    return np.dtype(np.float32) if d.kind in "biu" else d


def _cast(x, d):
    """An operand as PyTorch computes with it: in the common dtype (Python ints wrap there)."""
    return np.asarray(x).astype(d)


def ref_binary(fn, *, compute=None, result=None):
    """Reference for an op computing in the promoted dtype (or `compute` of it), returning that
    dtype (or `result`)."""
    def ref(a, b):
        d = torch_dtype(a, b)
        d = compute(d) if compute else d
        with np.errstate(all="ignore"):
            out = fn(_cast(a, d), _cast(b, d))
        return np.asarray(out).astype(result or d)
    return ref


def _div_ref(a, b, rounding_mode=None):
    if rounding_mode is None:
        return ref_binary(np.true_divide, compute=_to_float)(a, b)
    if rounding_mode == "floor":
        return ref_binary(np.floor_divide)(a, b)
    # Truncation in float64 is exact for the small integers the samples hold.
    return ref_binary(lambda x, y: np.trunc(x.astype(np.float64) / y).astype(x.dtype))(a, b)


# -- samples --------------------------------------------------------------------------------------

def _nonzero(arr):
    """Integer divisors without zeros: PyTorch raises for an integer division by zero."""
    if arr.dtype.kind in "iu":
        arr[arr == 0] = 1
    return arr


def binary_samples(dtype, rng, *, dtypes, scalars=SCALARS, scalar_first=False, divisor=False,
                   rhs=None):
    """Same-dtype pairs over SHAPE_PAIRS, then mixed dtypes: a tensor of another dtype the op
    takes (`dtypes`), a 0-dim tensor of a third on either side, and each of the Python
    `scalars` that keeps the result in `dtypes` (also as the first operand with
    `scalar_first`). `rhs` bounds the second operand's values; `divisor` keeps integer ones
    nonzero."""
    rhs = rhs or {}

    def second(shape, d):
        b = make_array(shape, d, rng, **rhs)
        return _nonzero(b) if divisor else b

    for sa, sb in SHAPE_PAIRS:
        yield Sample((make_array(sa, dtype, rng), second(sb, dtype)), name=f"{sa}x{sb}")
    k = dtypes.index(dtype)
    other, zero = dtypes[(k + 3) % len(dtypes)], dtypes[(k + 5) % len(dtypes)]
    mixed = [Sample((make_array((3, 4), dtype, rng), second((3, 4), other)), name=f"with-{other}"),
             Sample((make_array((2, 3), dtype, rng), second((), zero)), name=f"with-0dim-{zero}"),
             Sample((make_array((), zero, rng), second((2, 3), dtype)), name=f"0dim-{zero}-first")]
    for s in scalars:
        name = type(s).__name__
        mixed.append(Sample((make_array((2, 3), dtype, rng), s), name=f"with-{name}"))
        if scalar_first:
            mixed.append(Sample((s, second((2, 3), dtype)), name=f"{name}-first"))
    for sample in mixed:
        d = torch_dtype(*sample.args)
        if d is not None and d.name in dtypes:
            yield sample


def div_samples(dtype, rng):
    yield from binary_samples(dtype, rng, dtypes=ALL_DTYPES, scalar_first=True, divisor=True)
    if dtype in REAL:
        for mode in ("floor", "trunc"):
            for s in binary_samples(dtype, rng, dtypes=REAL, scalar_first=True, divisor=True):
                yield Sample(s.args, {"rounding_mode": mode}, name=f"{mode}-{s.name}")


def unary_samples(dtype, rng):
    for shape in SHAPES:
        yield Sample((make_array(shape, dtype, rng),), name=str(shape))


def lerp_samples(dtype, rng):
    for sa, sb in SHAPE_PAIRS:
        start, end = make_array(sa, dtype, rng), make_array(sb, dtype, rng)
        yield Sample((start, end, 0.25), name=f"{sa}x{sb}-scalar-low")
        yield Sample((start, end, 0.75), name=f"{sa}x{sb}-scalar-high")
        yield Sample((start, end, make_array(sb, dtype, rng, low=-0.5, high=1.5)),
                     name=f"{sa}x{sb}-tensor")
    start, end = make_array((3,), dtype, rng), make_array((3,), dtype, rng)
    yield Sample((start, end, np.array(0.5)), name="0dim-float64-weight")
    yield Sample((start, end, make_array((2, 1), dtype, rng)), name="weight-broadcasts")


def _lerp_ref(start, end, weight):
    # The textbook formula; PyTorch's two-sided one agrees to rounding.
    w = np.asarray(weight).astype(start.dtype)
    return np.asarray(start + w * (end - start)).astype(start.dtype)


def pow_grad_samples(dtype, rng):
    """Bases away from 0 and, for real dtypes, positive (a negative base to a real power is NaN);
    tensor, broadcast and Python-number exponents and bases."""
    def base(shape):
        return make_array(shape, dtype, rng, low=0.5, high=2.5)

    def exponent(shape):
        return make_array(shape, dtype, rng, low=-2.0, high=2.0)

    yield Sample((base((3, 4)), exponent((3, 4))), name="tensors")
    yield Sample((base((2, 3, 4)), exponent((3, 1))), name="broadcast")
    yield Sample((base((2, 3)), 2.5), name="scalar-exponent")
    yield Sample((1.5, exponent((2, 3))), name="scalar-base")


def close_samples(dtype, rng):
    """Pairs near the tolerance (10x inside or outside), NaN and inf planted in floats."""
    for sa, sb in SHAPE_PAIRS:
        a = make_array(sb, dtype, rng)
        b = a.copy()
        if a.dtype.kind in "fc" and a.size:
            scale = np.abs(a) * 1e-5 + 1e-8
            step = np.where(rng.random(a.shape) < 0.5, 0.1, 10.0) * scale
            b = np.asarray(a + step.astype(a.dtype)).astype(a.dtype)
            flat_a, flat_b = a.reshape(-1), b.reshape(-1)
            flat_a[0], flat_b[0] = np.nan, np.nan
            if a.size > 2:
                flat_a[1] = flat_b[1] = np.inf
        elif a.dtype.kind in "iu" and a.size:
            b = np.where((rng.random(a.shape) < 0.5) & (a > 0), a - 1, a).astype(a.dtype)
        yield Sample((np.broadcast_to(a, np.broadcast_shapes(sa, sb)).copy(), b), name=str(sa))
        yield Sample((a, b), {"equal_nan": True, "rtol": 0.0, "atol": 1.0}, name=f"{sb}-kw")


def _isclose_ref(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    with np.errstate(all="ignore"):
        return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def equal_samples(dtype, rng):
    for shape in SHAPES:
        a = make_array(shape, dtype, rng)
        yield Sample((a, a.copy()), name=f"{shape}-same")
        if a.size:
            b = a.copy()
            b.reshape(-1)[-1] = not b.reshape(-1)[-1] if dtype == "bool" else b.reshape(-1)[-1] + 1
            yield Sample((a, b), name=f"{shape}-differ")
    a = make_array((3, 4), dtype, rng)
    yield Sample((a, a[:1].copy()), name="shapes-differ")
    yield Sample((a, a.astype(np.complex128)), name="dtypes-differ")


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)),
                 ((2, 2, 3), (3, 4)), ((2, 1, 2, 3), (5, 3, 4)), ((4,), (2, 4, 3)),
                 ((0, 3), (3, 2)), ((2, 0), (0, 3)), ((0,), (0,))]


def matmul_samples(dtype, rng):
    for sa, sb in MATMUL_SHAPES:
        yield Sample((make_array(sa, dtype, rng), make_array(sb, dtype, rng)), name=f"{sa}x{sb}")


# -- error inputs ---------------------------------------------------------------------------------

def _err(args, exc, match, name, **kwargs):
    return ErrorInput(Sample(args, kwargs, name=name), exc, match)


F3, F4 = np.ones(3, np.float32), np.ones(4, np.float32)
I3, I4 = np.arange(3), np.arange(4)
B3 = np.array([True, False, True])
C3 = np.ones(3, np.complex64)
BROADCAST = (RuntimeError, r"size of tensor a \(3\) must match the size of tensor b \(4\) at "
             r"non-singleton dimension 0")
ZERO_DIVISION = (RuntimeError, "ZeroDivisionError")


def _broadcast(*extra, args=(F3, F4)):
    return lambda: [_err(args, *BROADCAST, "broadcast"), *extra]


def _refuses(kernel, args, type_name, name, **kwargs):
    return _err(args, NotImplementedError, f'"{kernel}" not implemented for \'{type_name}\'', name,
                **kwargs)


SUB_BOOL = r"Subtraction, the `-` operator, with two bool tensors is not supported"
NEG_BOOL = r"Negation, the `-` operator, on a bool tensor is not supported"


def _binary(name, fn, ref, dtypes, *, errors=None, **sample_kw):
    integral = "float32" not in dtypes
    return OpInfo(name, fn, ref, functools.partial(binary_samples, dtypes=dtypes, **sample_kw),
                  dtypes=dtypes, method=name,
                  errors=errors or _broadcast(args=(I3, I4) if integral else (F3, F4)))


def _alias(name, fn, info):
    """An alias runs its target's samples and reference in a couple of dtypes, and in the double
    ones its target takes, so the gradient sweep reaches it."""
    dtypes = ("int64", "float32") + tuple(d for d in ("float64", "complex128") if d in info.dtypes)
    return OpInfo(name, fn, info.ref, info.samples, dtypes=dtypes, method=name)


_comparison_ref = functools.partial(ref_binary, result=np.bool_)


def _comparison(name, fn, ufunc, ordered=True):
    dtypes = ORDERED if ordered else ALL_DTYPES
    errors = [_refuses(f"{name}_cpu", (C3, C3), "ComplexFloat", "complex")] if ordered else []
    return _binary(name, fn, _comparison_ref(ufunc), dtypes, errors=_broadcast(*errors))


def _logical(name, fn, ufunc):
    return _binary(name, fn, lambda a, b: np.asarray(ufunc(a, b)), ALL_DTYPES, scalars=(),
                   errors=_broadcast(_err((B3, True), TypeError,
                                          "argument 'other' .* must be Tensor, not bool",
                                          "scalar-other")))


def _unary(name, fn, ref, dtypes, errors=None):
    return OpInfo(name, fn, lambda a: np.asarray(ref(a)), unary_samples, dtypes=dtypes,
                  method=name, errors=errors)


_ADD = _binary("add", lm.add, ref_binary(np.add), ALL_DTYPES, scalar_first=True,
               errors=_broadcast(
                   _err((F3, [1, 2, 3]), TypeError, r"add\(\): argument 'other' \(position 2\) "
                        r"must be Tensor, not list", "list"),
                   _err((I3, I3), RuntimeError, "For integral input tensors, argument alpha "
                        "must not be a floating point number", "float-alpha", alpha=2.5),
                   _err((F3, F3), RuntimeError, "Boolean alpha only supported for Boolean "
                        "results", "bool-alpha", alpha=True),
                   _err((np.ones(1, np.uint8), 1), RuntimeError, "value cannot be converted to "
                        "type uint8_t without overflow", "alpha-overflow", alpha=300)))
_SUB = _binary("sub", lm.sub, ref_binary(np.subtract), NUMBERS, scalars=SCALARS[1:],
               scalar_first=True,
               errors=_broadcast(_err((B3, B3), RuntimeError, SUB_BOOL, "bool-bool"),
                                 _err((F3, True), RuntimeError, "with a bool tensor",
                                      "bool-scalar")))
_MUL = _binary("mul", lm.mul, ref_binary(np.multiply), ALL_DTYPES, scalar_first=True)
_DIV = OpInfo("div", lm.div, _div_ref, div_samples, dtypes=ALL_DTYPES, method="div",
              errors=_broadcast(
                  _err((I3, 0), *ZERO_DIVISION, "int-floor-by-zero", rounding_mode="floor"),
                  _err((I3, I3), *ZERO_DIVISION, "int-trunc-by-zero", rounding_mode="trunc"),
                  _err((F3, 2), RuntimeError, "div expected rounding_mode to be one of None, "
                       "'trunc', or 'floor' but found 'round'", "bad-mode",
                       rounding_mode="round"),
                  _refuses("div_floor_cpu", (C3, 2), "ComplexFloat", "complex-floor",
                           rounding_mode="floor")))
_NE = _comparison("ne", lm.ne, np.not_equal, ordered=False)
_LT = _comparison("lt", lm.lt, np.less)
_LE = _comparison("le", lm.le, np.less_equal)
_GT = _comparison("gt", lm.gt, np.greater)
_GE = _comparison("ge", lm.ge, np.greater_equal)
_NEG = _unary("neg", lm.neg, np.negative, NUMBERS,
              errors=lambda: [_err((B3,), RuntimeError, NEG_BOOL, "bool")])
_ABS = _unary("abs", lm.abs, np.abs, NUMBERS,
              errors=lambda: [_refuses("abs_cpu", (B3,), "Bool", "bool")])
_ATAN2 = _binary("atan2", lm.atan2, ref_binary(np.arctan2, compute=_to_float), ORDERED,
                 scalars=(),
                 errors=_broadcast(_refuses("atan2_cpu", (C3, C3), "ComplexFloat", "complex")))

OPS = [
    _ADD, _SUB, _MUL, _DIV, _ATAN2,
    _alias("subtract", lm.subtract, _SUB),
    _alias("multiply", lm.multiply, _MUL),
    _alias("divide", lm.divide, _DIV),
    OpInfo("true_divide", lm.true_divide, _div_ref,
           functools.partial(binary_samples, dtypes=ALL_DTYPES, divisor=True),
           dtypes=("bool", "int64", "float32", "float64"), method="true_divide"),
    _alias("arctan2", lm.arctan2, _ATAN2),
    _binary("floor_divide", lm.floor_divide, ref_binary(np.floor_divide), REAL,
            scalar_first=True, divisor=True,
            errors=_broadcast(_err((I3, 0), *ZERO_DIVISION, "int-by-zero"),
                              _refuses("div_floor_cpu", (B3, B3), "Bool", "bool"))),
    _binary("remainder", lm.remainder, ref_binary(np.remainder), REAL, scalar_first=True,
            divisor=True,
            errors=_broadcast(_err((I3, np.array([1, 0, 2])), *ZERO_DIVISION, "int-by-zero"),
                              _refuses("remainder_cpu", (C3, 2), "ComplexFloat", "complex"))),
    _binary("fmod", lm.fmod, ref_binary(np.fmod), REAL, divisor=True,
            errors=_broadcast(_err((I3, 0), *ZERO_DIVISION, "int-by-zero"),
                              _refuses("fmod_cpu", (B3, B3), "Bool", "bool"))),
    _binary("pow", lm.pow, ref_binary(np.power), NUMBERS, scalar_first=True,
            rhs={"low": 0, "high": 4},
            errors=lambda: [
                _err((I3, -1), RuntimeError, "Integers to negative integer powers are not "
                     "allowed", "int-negative-scalar"),
                _refuses("pow", (B3, B3), "Bool", "bool-bool"),
                _err((F3, F4), *BROADCAST, "broadcast")]),
    _binary("maximum", lm.maximum, ref_binary(np.maximum), ORDERED, scalars=(),
            errors=_broadcast(_err((C3, C3), RuntimeError, "maximum not implemented for complex "
                                   "tensors", "complex"),
                              _err((F3, 1.0), TypeError, "must be Tensor, not float", "scalar"))),
    _binary("minimum", lm.minimum, ref_binary(np.minimum), ORDERED, scalars=()),
    _binary("fmax", lm.fmax, ref_binary(np.fmax), ORDERED, scalars=()),
    _binary("fmin", lm.fmin, ref_binary(np.fmin), ORDERED, scalars=(),
            errors=_broadcast(_err((C3, C3), RuntimeError, "fmin not implemented for complex "
                                   "tensors", "complex"))),
    _binary("hypot", lm.hypot, ref_binary(np.hypot), ("float16",) + FLOATING, scalars=(),
            errors=_broadcast(_refuses("hypot_cpu", (I3, I3), "Long", "int"))),
    _binary("copysign", lm.copysign, ref_binary(np.copysign, compute=_to_float), ORDERED,
            errors=_broadcast(_refuses("copysign_cpu", (F3, C3), "ComplexFloat", "complex"))),
    OpInfo("lerp", lm.lerp, _lerp_ref, lerp_samples, dtypes=("float16",) + FLOATING + COMPLEX,
           method="lerp",
           errors=lambda: [
               _err((F3, F4, 0.5), *BROADCAST, "broadcast"),
               _err((F3, F3.astype(np.float64), 0.5), RuntimeError, "expected dtype float for "
                    "`end` but got dtype double", "end-dtype"),
               _err((F3, F3, F3.astype(np.float64)), RuntimeError, "expected dtype float for "
                    "`weight` but got dtype double", "weight-dtype"),
               _refuses("lerp_kernel_scalar", (I3, I3, 0.5), "Long", "int"),
               _err((F3, F3, 0.5j), RuntimeError, "value cannot be converted to type float "
                    "without overflow", "complex-weight")]),
    _comparison("eq", lm.eq, np.equal, ordered=False),
    _NE, _LT, _LE, _GT, _GE,
    _alias("greater", lm.greater, _GT),
    _alias("greater_equal", lm.greater_equal, _GE),
    _alias("less", lm.less, _LT),
    _alias("less_equal", lm.less_equal, _LE),
    _alias("not_equal", lm.not_equal, _NE),
    OpInfo("isclose", lm.isclose, _isclose_ref, close_samples, dtypes=ALL_DTYPES,
           method="isclose",
           errors=lambda: [
               _err((I3, F3), RuntimeError, "Long did not match Float", "dtypes"),
               _err((F3, F3), RuntimeError, "rtol must be greater than or equal to zero, but "
                    "got -1", "negative-rtol", rtol=-1),
               _err((F3, F4), *BROADCAST, "broadcast")]),
    OpInfo("allclose", lm.allclose, lambda a, b, **kw: bool(_isclose_ref(a, b, **kw).all()),
           close_samples, dtypes=ALL_DTYPES, method="allclose",
           errors=lambda: [_err((F3, 1.0), TypeError, r"allclose\(\): argument 'other' "
                                r"\(position 2\) must be Tensor, not float", "scalar")]),
    OpInfo("equal", lm.equal, lambda a, b: a.shape == b.shape and bool(np.all(a == b)),
           equal_samples, dtypes=ALL_DTYPES, method="equal"),
    _logical("logical_and", lm.logical_and, np.logical_and),
    _logical("logical_or", lm.logical_or, np.logical_or),
    _logical("logical_xor", lm.logical_xor, np.logical_xor),
    _unary("logical_not", lm.logical_not, np.logical_not, ALL_DTYPES),
    _binary("bitwise_and", lm.bitwise_and, ref_binary(np.bitwise_and), ("bool",) + INTEGRAL,
            scalar_first=True,
            errors=_broadcast(_refuses("bitwise_and_cpu", (F3, F3), "Float", "float"),
                              _refuses("bitwise_and_cpu", (I3, 1.5), "Float", "float-scalar"),
                              args=(I3, I4))),
    _binary("bitwise_or", lm.bitwise_or, ref_binary(np.bitwise_or), ("bool",) + INTEGRAL,
            scalar_first=True),
    _binary("bitwise_xor", lm.bitwise_xor, ref_binary(np.bitwise_xor), ("bool",) + INTEGRAL,
            scalar_first=True),
    _binary("bitwise_left_shift", lm.bitwise_left_shift, ref_binary(np.left_shift), INTEGRAL,
            scalar_first=True, rhs={"low": 0, "high": 9},
            errors=_broadcast(_refuses("lshift_cpu", (B3, B3), "Bool", "bool"), args=(I3, I4))),
    _binary("bitwise_right_shift", lm.bitwise_right_shift, ref_binary(np.right_shift),
            INTEGRAL, scalar_first=True, rhs={"low": 0, "high": 9},
            errors=_broadcast(_refuses("rshift_cpu", (F3, 1), "Float", "float"), args=(I3, I4))),
    _unary("bitwise_not", lm.bitwise_not, np.invert, ("bool",) + INTEGRAL,
           errors=lambda: [_refuses("bitwise_not_cpu", (F3,), "Float", "float")]),
    _NEG, _ABS,
    _unary("positive", lm.positive, lambda a: a, NUMBERS,
           errors=lambda: [_err((B3,), RuntimeError, r"The `\+` operator, on a bool tensor is "
                                "not supported", "bool")]),
    _alias("negative", lm.negative, _NEG),
    _alias("absolute", lm.absolute, _ABS),
    OpInfo("matmul", lm.matmul, lambda a, b: np.asarray(np.matmul(a, b)).astype(a.dtype),
           matmul_samples, dtypes=INTEGRAL + ("float16",) + FLOATING + COMPLEX, method="matmul",
           tol={"float16": (2e-2, 2e-2)},
           errors=lambda: [
               _err((np.array(1.0, np.float32), F3), RuntimeError, "both arguments to matmul "
                    "need to be at least 1D, but they are 0D and 1D", "0dim"),
               _err((np.ones((2, 3), np.float32), np.ones((3, 2))), RuntimeError,
                    "expected m1 and m2 to have the same dtype, but got: float != double",
                    "dtypes"),
               _err((np.ones((2, 3)), np.ones((4, 5))), RuntimeError, r"mat1 and mat2 shapes "
                    r"cannot be multiplied \(2x3 and 4x5\)", "shapes"),
               _err((F3, F4), RuntimeError, r"inconsistent tensor size, expected tensor \[3\] "
                    r"and src \[4\]", "vectors"),
               _err((np.ones((2, 2, 3)), np.ones((3, 3, 4))), RuntimeError, r"size of tensor "
                    r"a \(2\) must match the size of tensor b \(3\) at non-singleton "
                    "dimension 0", "batch-broadcast"),
               _refuses("addmm_impl_cpu_", (np.ones((2, 2), bool), np.ones((2, 2), bool)),
                        "Bool", "bool"),
               _err((F3, 2), TypeError, "must be Tensor, not int", "scalar")]),
]

# The differentiable ops, with gradcheck and gradgradcheck on: name -> grad_samples (None: the
# forward samples, which sit off ties and kinks).
_GRAD = {name: None for name in (
    "add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "atan2",
    "maximum", "minimum", "fmax", "fmin", "hypot", "copysign", "lerp", "neg", "abs", "positive",
    "matmul")}
_GRAD["pow"] = pow_grad_samples
_GRAD.update({alias: _GRAD[name] for alias, name in (
    ("subtract", "sub"), ("multiply", "mul"), ("divide", "div"), ("arctan2", "atan2"),
    ("negative", "neg"), ("absolute", "abs"))})
OPS = [dataclasses.replace(info, grad=True, gradgrad=True, fwgrad=True,
                           grad_samples=_GRAD[info.name])
       if info.name in _GRAD else info for info in OPS]
# vmap for every op but those returning a Python bool (vmap maps tensors only; torch.func's
# raises for them too, as they read values).
_NO_VMAP = ("allclose", "equal")
OPS = [dataclasses.replace(info, vmap=info.name not in _NO_VMAP) for info in OPS]
