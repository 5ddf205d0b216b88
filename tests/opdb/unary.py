"""Op table entries for lamina/_ops/unary.py."""

import dataclasses

import numpy as np
import scipy.special

import lamina as lm
from opdb import (
    ALL_DTYPES,
    COMPLEX,
    FLOAT_AND_COMPLEX,
    FLOATING,
    INTEGRAL,
    ErrorInput,
    OpInfo,
    Sample,
    make_array,
)

SHAPES = [(), (5,), (3, 4), (2, 3, 4), (0, 3)]
REAL = INTEGRAL + ("float16",) + FLOATING
# Float-valued functions: bool and integers (one narrow, one wide) compute in float32.
TO_FLOAT = ("bool", "uint8", "int64", "float16") + FLOAT_AND_COMPLEX
ROUNDING = ("int16", "int64", "float16") + FLOATING


def _array(shape, dtype, rng, **kwargs):
    """make_array, always an ndarray (it gives NumPy scalars for some 0-dim bool/int draws)."""
    return make_array(shape, dtype, rng, **kwargs)


def unary_samples(low=None, high=None, int_low=None, int_high=None):
    """One tensor per shape; `low`/`high` bound floats (both parts of complex), `int_*` ints."""
    def samples(dtype, rng):
        integral = np.dtype(dtype).kind in "biu"
        lo, hi = (int_low, int_high) if integral else (low, high)
        for shape in SHAPES:
            yield Sample((_array(shape, dtype, rng, low=lo, high=hi),), name=str(shape))
    return samples


def special_samples(dtype, rng):
    """Values with NaN, +-inf and -0.0 planted (floats), for nan_to_num and the predicates."""
    for shape in SHAPES:
        a = _array(shape, dtype, rng)
        if a.dtype.kind in "fc" and a.size:
            flat = a.reshape(-1)
            flat[: 4] = np.array([np.nan, np.inf, -np.inf, -0.0])[: min(4, flat.size)]
            if a.dtype.kind == "c" and flat.size > 5:
                flat[4] = complex(1, np.inf)
                flat[5] = complex(2, 0)
        yield Sample((a,), name=str(shape))


def _float(a):
    """PyTorch's computation dtype for a float-valued function: int and bool go to float32."""
    return a.astype(np.float32) if a.dtype.kind in "biu" else a


def float_ref(fn):
    def ref(a, **kwargs):
        a = _float(a)
        return np.asarray(fn(a, **kwargs)).astype(a.dtype)
    return ref


def _sigmoid(a):
    return 1 / (1 + np.exp(-a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)))


# name, reference, sample domain, complex supported
FLOAT_FNS = [
    ("sqrt", np.sqrt, dict(low=0.0, int_low=0), True),
    ("rsqrt", lambda a: 1 / np.sqrt(a), dict(low=0.1, int_low=1), True),
    ("exp", np.exp, {}, True),
    ("exp2", np.exp2, {}, True),
    ("expm1", np.expm1, {}, True),
    ("log", np.log, dict(low=0.1, int_low=1), True),
    ("log2", np.log2, dict(low=0.1, int_low=1), True),
    ("log10", np.log10, dict(low=0.1, int_low=1), True),
    ("log1p", np.log1p, dict(low=-0.9, int_low=0), True),
    ("sin", np.sin, {}, True),
    ("cos", np.cos, {}, True),
    ("tan", np.tan, dict(low=-1.4, high=1.4), True),
    ("asin", np.arcsin, dict(low=-0.95, high=0.95, int_low=-1, int_high=2), True),
    ("acos", np.arccos, dict(low=-0.95, high=0.95, int_low=-1, int_high=2), True),
    ("atan", np.arctan, {}, True),
    ("sinh", np.sinh, {}, True),
    ("cosh", np.cosh, {}, True),
    ("tanh", np.tanh, {}, True),
    ("asinh", np.arcsinh, {}, True),
    ("acosh", np.arccosh, dict(low=1.0, high=4.0, int_low=1), True),
    ("atanh", np.arctanh, dict(low=-0.95, high=0.95, int_low=0, int_high=1), True),
    ("sigmoid", _sigmoid, {}, True),
    ("erf", scipy.special.erf, {}, False),
    ("erfc", scipy.special.erfc, {}, False),
    ("erfinv", scipy.special.erfinv, dict(low=-0.95, high=0.95, int_low=0, int_high=1), False),
    ("reciprocal", np.reciprocal, dict(int_low=1), True),
]
# Bool inputs are 0 and 1: outside these functions' domains.
NO_BOOL = {"rsqrt", "log", "log2", "log10", "acosh", "atanh", "erfinv", "reciprocal"}
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
           "arccosh": "acosh", "arctanh": "atanh", "fix": "trunc", "clip": "clamp"}


def _keep_ints(fn):
    """Rounding keeps integer dtypes (a copy)."""
    return lambda a, **kw: a.copy() if a.dtype.kind in "iu" else np.asarray(fn(a, **kw))


def _round_ref(a, decimals=0):
    if a.dtype.kind in "iu":
        return a.copy()
    wide = a.astype(np.float32) if a.dtype == np.float16 else a   # PyTorch scales half in float
    return np.asarray(np.round(wide, decimals)).astype(a.dtype)


def _round_samples(dtype, rng):
    yield from unary_samples()(dtype, rng)
    if np.dtype(dtype).kind == "f":
        for decimals in (1, -1):
            a = _array((3, 4), dtype, rng, low=-300, high=300)
            yield Sample((a,), {"decimals": decimals}, name=f"decimals={decimals}")


def _sign_ref(a):
    if a.dtype.kind == "b":
        return a.copy()
    if a.dtype.kind == "c":
        mag = np.abs(a)
        return np.where(mag == 0, 0, a / np.where(mag == 0, 1, mag)).astype(a.dtype)
    return np.asarray(np.sign(a))


def _square_ref(a):
    a = a.astype(np.int64) if a.dtype == np.bool_ else a
    return np.asarray(a * a).astype(a.dtype)


def _clamp_bounds(dtype):
    kind = np.dtype(dtype).kind
    if kind == "b":
        return [(0, 1), (1, 0)]                         # Python ints take bool to int64
    if kind in "iu":
        return [(0, 5), (5, 2), (0.5, None)]            # lo > hi gives hi; a float bound -> float
    return [(-1.5, 1.5), (2.0, -1.0), (None, 0.25)]


def clamp_samples(dtype, rng):
    for lo, hi in _clamp_bounds(dtype):
        for shape in ((), (3, 4), (0, 3)):
            yield Sample((_array(shape, dtype, rng), lo, hi), name=f"{shape}-{lo}-{hi}")
    if dtype != "bool":
        x = _array((2, 3, 4), dtype, rng)
        lo, hi = _array((3, 1), dtype, rng), _array((4,), dtype, rng)
        yield Sample((x, lo, None), name="tensor-min-broadcast")
        yield Sample((x, None, hi), name="tensor-max-broadcast")
        yield Sample((x, lo, hi), name="tensor-both")
        yield Sample((_array((4,), dtype, rng), _array((2, 4), dtype, rng), None),
                     name="bound-broadcasts-input")


def clamp_grad_samples(dtype, rng):
    """Tensor bounds (both, one, broadcasting the input) and scalar ones, none empty (the sweep
    runs the first four)."""
    x = _array((2, 3, 4), dtype, rng)
    yield Sample((x, _array((3, 1), dtype, rng), _array((4,), dtype, rng)), name="tensor-both")
    yield Sample((x, None, _array((4,), dtype, rng)), name="tensor-max-broadcast")
    yield Sample((_array((4,), dtype, rng), _array((2, 4), dtype, rng), None),
                 name="bound-broadcasts-input")
    yield Sample((_array((3, 4), dtype, rng), -1.5, 1.5), name="scalars")


def clamp_ref(a, lo=None, hi=None):
    floats = any(isinstance(b, float) for b in (lo, hi))
    out = np.float32 if a.dtype.kind in "biu" and floats else a.dtype
    out = np.int64 if out == np.bool_ else out
    return np.asarray(np.clip(a.astype(out), lo, hi)).astype(out)


def one_bound_samples(dtype, rng):
    scalar = 2 if np.dtype(dtype).kind in "iu" else 0.5
    for shape in ((), (3, 4), (0, 3)):
        yield Sample((_array(shape, dtype, rng), scalar), name=f"{shape}-scalar")
    yield Sample((_array((2, 3), dtype, rng), _array((3,), dtype, rng)), name="tensor")


def pair_samples(dtype, rng):
    for sa, sb in (((), ()), ((5,), (5,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 4)), ((0, 3), (3,))):
        yield Sample((_array(sa, dtype, rng, low=0.0), _array(sb, dtype, rng)),
                     name=f"{sa}x{sb}")


def _complex_ref(re, im):
    out = np.empty(np.broadcast_shapes(re.shape, im.shape),
                   np.complex64 if re.dtype == np.float32 else np.complex128)
    out.real, out.imag = re, im
    return out


def _angle_ref(a):
    a = _float(a)
    if a.dtype.kind == "c":
        return np.asarray(np.angle(a))
    # PyTorch: pi for negatives only (NumPy's angle(-0.0) is pi), NaN stays NaN.
    return np.where(np.isnan(a), a, np.where(a < 0, np.pi, 0)).astype(a.dtype)


def _degrees_ref(fn):
    return lambda a: np.asarray(fn(_float(a))).astype(_float(a).dtype)


def _error(args, exc, match, name, **kwargs):
    return ErrorInput(Sample(args, kwargs, name=name), exc, match)


def _float_fn_errors(name, complex_ok):
    yield _error((2.0,), TypeError, rf"{name}\(\): argument 'input' \(position 1\) must be Tensor",
                 "python-float")
    if not complex_ok:
        yield _error((np.ones(2, np.complex64),), NotImplementedError,
                     f'"{name}_vml_cpu" not implemented for \'ComplexFloat\'', "complex")


OPS = [
    OpInfo(name, getattr(lm, name), float_ref(ref), unary_samples(**domain), method=name,
           dtypes=(TO_FLOAT if complex_ok else TO_FLOAT[:-2])[name in NO_BOOL:],
           errors=lambda name=name, c=complex_ok: list(_float_fn_errors(name, c)))
    for name, ref, domain, complex_ok in FLOAT_FNS
]

OPS += [
    OpInfo("sign", lm.sign, _sign_ref, unary_samples(), method="sign", dtypes=("bool",) + REAL,
           errors=lambda: [_error((np.ones(2, np.complex64),), NotImplementedError,
                                  "sign is not intended to support complex", "complex")]),
    OpInfo("sgn", lm.sgn, _sign_ref, unary_samples(), method="sgn",
           dtypes=("bool",) + REAL + COMPLEX),
    OpInfo("floor", lm.floor, _keep_ints(np.floor), unary_samples(), method="floor",
           dtypes=ROUNDING,
           errors=lambda: [
               _error((np.ones(2, np.bool_),), NotImplementedError,
                      "\"floor_vml_cpu\" not implemented for 'Bool'", "bool"),
               _error((np.ones(2, np.complex64),), NotImplementedError,
                      "floor is not supported for complex inputs", "complex")]),
    OpInfo("ceil", lm.ceil, _keep_ints(np.ceil), unary_samples(), method="ceil", dtypes=ROUNDING),
    OpInfo("trunc", lm.trunc, _keep_ints(np.trunc), unary_samples(), method="trunc",
           dtypes=ROUNDING),
    OpInfo("round", lm.round, _round_ref, _round_samples, method="round",
           dtypes=ROUNDING,
           errors=lambda: [
               _error((np.ones(2, np.int64),), NotImplementedError,
                      "\"round_cpu\" not implemented for 'Long'", "int-decimals", decimals=1),
               _error((np.ones(2, np.complex64),), NotImplementedError,
                      "\"round_vml_cpu\" not implemented for 'ComplexFloat'", "complex")]),
    OpInfo("frac", lm.frac, lambda a: a - np.trunc(a), unary_samples(low=-30, high=30),
           method="frac", dtypes=("float16",) + FLOATING,
           errors=lambda: [_error((np.ones(2, np.int32),), NotImplementedError,
                                  "\"frac_cpu\" not implemented for 'Int'", "int")]),
    OpInfo("square", lm.square, _square_ref, unary_samples(), method="square", dtypes=ALL_DTYPES),
    OpInfo("relu", lm.relu, lambda a: np.maximum(a, 0).astype(a.dtype), unary_samples(),
           method="relu", dtypes=REAL,
           errors=lambda: [
               _error((np.ones(2, np.bool_),), RuntimeError,
                      "Boolean inputs not supported for relu", "bool"),
               _error((np.ones(2, np.complex64),), NotImplementedError,
                      "clamp is not supported for complex types", "complex")]),
    OpInfo("clamp", lm.clamp, clamp_ref, clamp_samples, method="clamp", dtypes=("bool",) + REAL,
           errors=lambda: [
               _error((np.ones(3),), RuntimeError,
                      "clamp: At least one of 'min' or 'max' must not be None", "no-bounds"),
               _error((np.ones(3), np.ones(4)), RuntimeError,
                      r"size of tensor a \(3\) must match the size of tensor b \(4\)",
                      "broadcast"),
               _error((np.ones(3, np.complex64), 0), NotImplementedError,
                      "clamp is not supported for complex types", "complex"),
               _error((np.ones(3, np.uint8), 300), RuntimeError,
                      "value cannot be converted to type uint8_t without overflow", "overflow"),
               _error((np.ones(3, np.float32), 1e300), RuntimeError,
                      "value cannot be converted to type float without overflow", "overflow-f"),
               _error((np.ones(3, np.bool_), True, None), NotImplementedError,
                      "\"clamp_min_scalar_cpu\" not implemented for 'Bool'", "bool")]),
    OpInfo("clamp_min", lm.clamp_min, lambda a, b: np.maximum(a, b).astype(a.dtype),
           one_bound_samples, method="clamp_min", dtypes=REAL,
           errors=lambda: [_error((np.ones(3), None), TypeError, "clamp_min", "none")]),
    OpInfo("clamp_max", lm.clamp_max, lambda a, b: np.minimum(a, b).astype(a.dtype),
           one_bound_samples, method="clamp_max", dtypes=REAL),
    OpInfo("nan_to_num", lm.nan_to_num, np.nan_to_num, special_samples, method="nan_to_num",
           dtypes=("bool", "int32", "float16") + FLOAT_AND_COMPLEX),
    OpInfo("nan_to_num[values]", lambda a: lm.nan_to_num(a, 1.5, posinf=2.0, neginf=-3.0),
           lambda a: np.nan_to_num(a, nan=1.5, posinf=2.0, neginf=-3.0), special_samples,
           dtypes=FLOAT_AND_COMPLEX),
    OpInfo("angle", lm.angle, _angle_ref, special_samples, method="angle", dtypes=TO_FLOAT),
    OpInfo("real", lm.real, lambda a: np.real(a).copy(), unary_samples(), dtypes=ALL_DTYPES),
    OpInfo("imag", lm.imag, lambda a: np.imag(a).copy(), unary_samples(), dtypes=COMPLEX,
           errors=lambda: [_error((np.ones(2),), RuntimeError,
                                  "imag is not implemented for tensors with non-complex dtypes",
                                  "real-input")]),
    OpInfo("deg2rad", lm.deg2rad, _degrees_ref(np.deg2rad), unary_samples(), method="deg2rad",
           dtypes=("bool", "int64", "float16") + FLOATING,
           errors=lambda: [_error((np.ones(2, np.complex64),), RuntimeError,
                                  "deg2rad is not supported for complex tensors", "complex")]),
    OpInfo("rad2deg", lm.rad2deg, _degrees_ref(np.rad2deg), unary_samples(), method="rad2deg",
           dtypes=("bool", "int64", "float16") + FLOATING),
    OpInfo("complex", lm.complex, _complex_ref, pair_samples, dtypes=FLOATING,
           errors=lambda: [
               _error((np.ones(2, np.int64), np.ones(2, np.int64)), RuntimeError,
                      "Expected both inputs to be Half, Float or Double tensors but got Long "
                      "and Long", "int"),
               _error((np.ones(2, np.float32), np.ones(2)), RuntimeError,
                      "Expected object of scalar type Float but got scalar type Double for "
                      "second argument", "mixed"),
               _error((np.ones(2, np.float16), np.ones(2, np.float16)), RuntimeError,
                      "complex32", "half"),
               _error((np.ones(3, np.float32), np.ones(4, np.float32)), RuntimeError,
                      r"size of tensor a \(3\) must match", "broadcast")]),
    OpInfo("polar", lm.polar, lambda r, t: _complex_ref(r * np.cos(t), r * np.sin(t)),
           pair_samples, dtypes=FLOATING,
           errors=lambda: [_error((np.ones(2), 0.5), TypeError,
                                  r"polar\(\): argument 'angle' \(position 2\) must be Tensor",
                                  "python-float")]),
]


def _conj_ref(a):
    return a.conj() if a.dtype.kind == "c" else a.copy()


OPS += [OpInfo(name, getattr(lm, name), _conj_ref if name.startswith("conj") else np.copy,
               unary_samples(), method=name, dtypes=INTEGRAL + ("bool",) + FLOAT_AND_COMPLEX)
        for name in ("conj", "conj_physical", "resolve_conj", "resolve_neg")]


def _complex_error(exc, match):
    return lambda: [_error((np.ones(2, np.complex64),), exc, match, "complex")]


# name -> the error for complex inputs (None: complex supported)
PREDICATES = {
    "isnan": None, "isinf": None, "isfinite": None, "isreal": None,
    "isposinf": _complex_error(RuntimeError, "isposinf does not support complex"),
    "isneginf": _complex_error(RuntimeError, "isneginf does not support complex"),
    "signbit": _complex_error(NotImplementedError,
                              "signbit is not implemented for complex tensors"),
}
OPS += [OpInfo(name, getattr(lm, name), getattr(np, name), special_samples, method=name,
               dtypes=("bool", "int32", "float16") + FLOATING + (() if err else COMPLEX),
               errors=err)
        for name, err in PREDICATES.items()]


# The differentiable ops, with gradcheck and gradgradcheck on: name -> grad_samples (None: the
# forward samples). nan_to_num and angle plant NaN and inf, which gradcheck cannot difference.
_GRAD = {name: None for name, *_ in FLOAT_FNS}
_GRAD.update({name: None for name in (
    "sign", "sgn", "floor", "ceil", "trunc", "round", "frac", "square", "relu", "clamp_min",
    "clamp_max", "real", "imag", "deg2rad", "rad2deg", "complex", "polar", "conj",
    "conj_physical", "resolve_conj", "resolve_neg")})
_GRAD.update({"clamp": clamp_grad_samples, "nan_to_num": unary_samples(),
              "nan_to_num[values]": unary_samples(), "angle": unary_samples()})
OPS = [dataclasses.replace(info, grad=True, gradgrad=True, fwgrad=True,
                           grad_samples=_GRAD[info.name])
       if info.name in _GRAD else info for info in OPS]
OPS = [dataclasses.replace(info, vmap=True) for info in OPS]

# Aliases: the same entry under the alias's name, flags included, on fewer dtypes (the double
# ones the target takes, so the gradient sweep reaches them).
_BY_NAME = {info.name: info for info in OPS}
OPS += [dataclasses.replace(
            _BY_NAME[name], name=alias, op=getattr(lm, alias), method=alias, errors=None,
            dtypes=("int64", "float32") + tuple(d for d in ("float64", "complex128")
                                                if d in _BY_NAME[name].dtypes))
        for alias, name in ALIASES.items()]
