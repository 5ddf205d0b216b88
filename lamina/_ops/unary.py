"""Unary elementwise math: powers and logs, trigonometry, special functions, rounding, clamping,
complex parts, and the floating-point predicates.

Primitive or composite: a function NumPy (or SciPy) computes in one pass over memory is a
primitive, declared once in the tables below, so it costs one pass and later gets its own
derivative. A function PyTorch defines as a composition is a composite here too, and gets its
rules from its parts: square is pow(x, 2) (hence bool -> int64), frac is x - trunc(x),
clamp_min/clamp_max are clamp with one bound, deg2rad/rad2deg multiply by a constant, polar is
complex(abs * cos(angle), abs * sin(angle)), sign is sgn restricted to reals. relu computes
clamp_min(x, 0) but is a primitive for PyTorch's derivative at 0 (see relu_p).

Float-valued functions take bool and integer inputs to the default dtype, as PyTorch's do;
rounding keeps integer dtypes. NumPy has no conjugate views, so `conj` of a complex tensor is a
copy here (PyTorch returns a lazily conjugated view); `is_conj` is therefore always False.
"""

import math
import numbers

import numpy as np
import scipy.special

from .._core import dtype as dt
from .._core._tensor import TensorBase, dtype_of, get_default_dtype, result_type_of
from ._checks import (
    broadcast_error,
    broadcast_shape,
    check_tensor,
    checked_value,
    float_result,
    not_implemented,
    torch_type_name,
)
from ._rules import (
    auto_element_wise,
    fit_tangent,
    unbroadcast,
    wants,
    zero_grad,
    zero_tangent,
)
from .elementwise import mul, pow, sub
from .mutation import finish_out, inplace_method, write_inplace
from .primitive import ELEMENTWISE, LINEAR, NONDIFF, Primitive

# -- float-valued math: one NumPy/CuPy ufunc each --------------------------------------------------

# VJPs, from derivatives.yaml. A holomorphic f gets ct * conj(f'(x)) (PyTorch's complex
# convention); `.conj()` of a real tensor is the tensor itself. Rules that need only the output
# read `out`, and their tables below save only it, as PyTorch's nodes do.
_LN2, _LN10 = math.log(2), math.log(10)
_SQRT_PI = math.sqrt(math.pi)


def _sqrt_vjp(ct, out, x):
    return (ct / (2 * out.conj()),)


def _rsqrt_vjp(ct, out, x):
    return (-0.5 * ct * out.pow(3).conj(),)


def _exp_vjp(ct, out, x):
    return (ct * out.conj(),)


def _exp2_vjp(ct, out, x):
    return (ct * out.conj() * _LN2,)


def _expm1_vjp(ct, out, x):
    return (ct * (out.conj() + 1),)


def _log_vjp(ct, out, x):
    return (ct / x.conj(),)


def _log2_vjp(ct, out, x):
    return (ct / (x.conj() * _LN2),)


def _log10_vjp(ct, out, x):
    return (ct / (x.conj() * _LN10),)


def _log1p_vjp(ct, out, x):
    return (ct / (x + 1).conj(),)


def _sin_vjp(ct, out, x):
    return (ct * x.cos().conj(),)


def _cos_vjp(ct, out, x):
    return (ct * -x.sin().conj(),)


def _tan_vjp(ct, out, x):
    return (ct * (1 + out.pow(2)).conj(),)


def _asin_vjp(ct, out, x):
    return (ct * (-x * x + 1).rsqrt().conj(),)


def _acos_vjp(ct, out, x):
    return (ct * -(-x * x + 1).rsqrt().conj(),)


def _atan_vjp(ct, out, x):
    return (ct / (x * x + 1).conj(),)


def _sinh_vjp(ct, out, x):
    return (ct * x.cosh().conj(),)


def _cosh_vjp(ct, out, x):
    return (ct * x.sinh().conj(),)


def _tanh_vjp(ct, out, x):
    return (ct * (1 - out * out).conj(),)


def _asinh_vjp(ct, out, x):
    return (ct * (x.pow(2) + 1).rsqrt().conj(),)


def _acosh_vjp(ct, out, x):
    # 1 / sqrt(x^2 - 1) on the real domain x >= 1; for complex x the branch needs
    # 1 / (sqrt(x + 1) sqrt(x - 1)), which differs from it off the real axis.
    if x.dtype.category == dt.COMPLEX:
        return (ct * ((x + 1).rsqrt() * (x - 1).rsqrt()).conj(),)
    return (ct * (x * x - 1).rsqrt(),)


def _atanh_vjp(ct, out, x):
    return (ct / (1 - x.pow(2)).conj(),)


def _reciprocal_vjp(ct, out, x):
    return (-ct * (out * out).conj(),)


def _sigmoid_vjp(ct, out, x):
    return (ct * ((1 - out) * out).conj(),)


def _erf_vjp(ct, out, x):
    return (2 / _SQRT_PI * (-x.pow(2)).exp() * ct,)


def _erfc_vjp(ct, out, x):
    return (-2 / _SQRT_PI * (-x.pow(2)).exp() * ct,)


def _erfinv_vjp(ct, out, x):
    # Recomputes erfinv(x) as PyTorch does (it saves the input, not the output).
    return (0.5 * _SQRT_PI * x.erfinv().pow(2).exp() * ct,)


_OUT = ("out",)

# PyTorch name -> (ufunc name, the same in NumPy and CuPy; VJP; what it saves). All take complex.
_UFUNCS = {
    "sqrt": ("sqrt", _sqrt_vjp, _OUT), "exp": ("exp", _exp_vjp, _OUT),
    "exp2": ("exp2", _exp2_vjp, _OUT), "expm1": ("expm1", _expm1_vjp, _OUT),
    "log": ("log", _log_vjp, None), "log2": ("log2", _log2_vjp, None),
    "log10": ("log10", _log10_vjp, None), "log1p": ("log1p", _log1p_vjp, None),
    "sin": ("sin", _sin_vjp, None), "cos": ("cos", _cos_vjp, None),
    "tan": ("tan", _tan_vjp, _OUT), "asin": ("arcsin", _asin_vjp, None),
    "acos": ("arccos", _acos_vjp, None), "atan": ("arctan", _atan_vjp, None),
    "sinh": ("sinh", _sinh_vjp, None), "cosh": ("cosh", _cosh_vjp, None),
    "tanh": ("tanh", _tanh_vjp, _OUT), "asinh": ("arcsinh", _asinh_vjp, None),
    "acosh": ("arccosh", _acosh_vjp, None), "atanh": ("arctanh", _atanh_vjp, None),
    "reciprocal": ("reciprocal", _reciprocal_vjp, _OUT),
}


def _float_fwd(ufunc_name):
    def fwd(xp, x):
        f = getattr(xp, ufunc_name)
        if x.dtype.kind in "biu":
            return f(x, dtype=get_default_dtype().np)
        return f(x)
    fwd.__name__ = f"_{ufunc_name}_fwd"
    return fwd


_sqrt_fwd = _float_fwd("sqrt")


def _rsqrt_fwd(xp, x):
    # NumPy has no rsqrt: one allocation, two passes; a primitive still, for its own derivative.
    r = xp.asarray(_sqrt_fwd(xp, x))
    return xp.reciprocal(r, out=r)


# SciPy ufuncs have no float16 loops: float16 computes in float32 and rounds back, as PyTorch's
# half kernels do. They are CPU kernels; cupyx.scipy.special serves the CUDA path later.
def _special_cpu(fn, name, complex_fallback=None):
    def cpu(x):
        d = float_result(dtype_of(x))
        if d.category == dt.COMPLEX:
            if complex_fallback is None:
                raise not_implemented(f"{name}_vml_cpu", d)
            return complex_fallback(x)
        compute = np.float32 if d is dt.float16 else d.np
        # dtype= only where a cast is needed: the keyword alone costs ~2 us a call.
        r = fn(x) if x.dtype == compute else fn(x, dtype=compute)
        return np.asarray(r).astype(d.np, copy=False)
    cpu.__name__ = f"_{name}_cpu"
    return cpu


def _sigmoid_complex(x):
    return 1 / (1 + np.exp(-x))   # expit has no complex loop


# Forward mode: every function here is `result: auto_element_wise` in derivatives.yaml, the
# JVP t * f'(x) read off the VJP.
FLOAT_PRIMS = {name: Primitive(name, xp=_sqrt_fwd if name == "sqrt" else _float_fwd(uf),
                               vjp=vjp, jvp=auto_element_wise(vjp), saves=saves,
                               batch=ELEMENTWISE)
               for name, (uf, vjp, saves) in _UFUNCS.items()}
FLOAT_PRIMS["rsqrt"] = Primitive("rsqrt", xp=_rsqrt_fwd, vjp=_rsqrt_vjp,
                                 jvp=auto_element_wise(_rsqrt_vjp), saves=_OUT, batch=ELEMENTWISE)
FLOAT_PRIMS["sigmoid"] = Primitive(
    "sigmoid", cpu=_special_cpu(scipy.special.expit, "sigmoid", _sigmoid_complex),
    vjp=_sigmoid_vjp, jvp=auto_element_wise(_sigmoid_vjp), saves=_OUT,
    batch=ELEMENTWISE)   # expit: no overflow for large negative inputs, unlike 1 / (1 + exp(-x))
for _name, _vjp in (("erf", _erf_vjp), ("erfc", _erfc_vjp), ("erfinv", _erfinv_vjp)):
    FLOAT_PRIMS[_name] = Primitive(_name, cpu=_special_cpu(getattr(scipy.special, _name), _name),
                                   vjp=_vjp, jvp=auto_element_wise(_vjp), batch=ELEMENTWISE)


# -- sign, rounding --------------------------------------------------------------------------------

def _sgn_fwd(xp, x):
    k = x.dtype.kind
    if k == "b":
        return x.copy()
    if k == "c":
        # x / |x| with 0 for 0, dividing each part by the real |x| as PyTorch does: (0.5 - inf j)
        # gives (0 + nan j), where a complex division (or NumPy's sign) gives other NaNs.
        a = xp.abs(x)
        a = xp.where(a == 0, a.dtype.type(1), a)
        r = xp.empty_like(x)
        xp.divide(x.real, a, out=r.real)
        xp.divide(x.imag, a, out=r.imag)
        return r
    if k == "f":
        # PyTorch's (0 < x) - (x < 0): NaN gives 0 where NumPy's sign keeps NaN.
        return xp.subtract(x > 0, x < 0, dtype=x.dtype)
    return xp.sign(x)


def _rounding_fwd(ufunc_name, name, complex_msg):
    def fwd(xp, x):
        k = x.dtype.kind
        if k in "iu":
            return x.copy()
        if k == "b" or (k == "c" and complex_msg is None):
            raise not_implemented(f"{name}_vml_cpu", dtype_of(x))
        if k == "c":
            raise NotImplementedError(complex_msg)
        return getattr(xp, ufunc_name)(x)
    fwd.__name__ = f"_{name}_fwd"
    return fwd


_rint_fwd = _rounding_fwd("rint", "round", None)


def _round_fwd(xp, x, *, decimals):
    if decimals == 0:
        return _rint_fwd(xp, x)
    if x.dtype.kind != "f":
        raise not_implemented("round_cpu", dtype_of(x))
    # NumPy rounds as PyTorch does: rint(x * 10**d) / 10**d, dividing first when d < 0. PyTorch
    # scales float16 in float32, where x * 10**d cannot overflow or lose the digit being rounded.
    if x.dtype == xp.float16:
        return xp.round(x.astype(xp.float32), decimals).astype(xp.float16)
    return xp.round(x, decimals)


# Real sgn is piecewise constant: zero derivatives both ways. Complex: derivatives.yaml's
# sgn_backward serves the VJP and, not being holomorphic (its Jacobian is symmetric, not
# Hermitian), the JVP too, with the tangent in the cotangent's place.
def _sgn_vjp(ct, out, x):
    if x.dtype.category != dt.COMPLEX:
        return (zero_grad(ct, x),)
    return (_sgn_backward(ct, out, x),)


def _sgn_jvp(tangents, out, x):
    if x.dtype.category != dt.COMPLEX:
        return zero_tangent(out)
    return _sgn_backward(tangents[0], out, x)


def _sgn_backward(g, s, x):
    # With s = x / |x|: (g - s Re(g conj(s))) / |x|, and 0 at x == 0 (where s is 0, the division
    # by 1 there keeps the values selected away finite; selecting, PyTorch's where, gives 0 there
    # even for an infinite g).
    r = x.abs()
    at_zero = r == 0
    return ((g - s * (g * s.conj()).real) / (r + at_zero)).where(~at_zero, 0)


def _rounding_vjp(ct, out, x, **params):
    return (zero_grad(ct, x),)


def _rounding_jvp(tangents, out, x, **params):
    return zero_tangent(out)


_ROUNDING = {"vjp": _rounding_vjp, "jvp": _rounding_jvp, "saves": (), "batch": ELEMENTWISE}
sgn_p = Primitive("sgn", xp=_sgn_fwd, vjp=_sgn_vjp, jvp=_sgn_jvp, saves=(0, "out"),
                  batch=ELEMENTWISE)
floor_p = Primitive("floor", xp=_rounding_fwd("floor", "floor", "floor is not supported for "
                                              "complex inputs"), **_ROUNDING)
ceil_p = Primitive("ceil", xp=_rounding_fwd("ceil", "ceil", "ceil is not supported for complex "
                                            "inputs"), **_ROUNDING)
trunc_p = Primitive("trunc", xp=_rounding_fwd("trunc", "trunc", "trunc is not supported for "
                                              "complex inputs"), **_ROUNDING)
round_p = Primitive("round", xp=_round_fwd, **_ROUNDING)


# -- clamp -----------------------------------------------------------------------------------------

def _scalar_bound(b, d):
    """A Python-number bound checked against `d`'s range as PyTorch checks it, and left a Python
    number: NumPy casts it within the ufunc, where a 0-dim array would cost a build per call."""
    if b is None or isinstance(b, np.ndarray):
        return b
    return checked_value(b, d)


def _clamp_fwd(xp, x, lo, hi):
    d = result_type_of((x, lo, hi))
    if d.category == dt.COMPLEX:
        raise NotImplementedError("clamp is not supported for complex types")
    if d is dt.bool:
        _check_bool_clamp(lo, hi)
    lo, hi = _scalar_bound(lo, d), _scalar_bound(hi, d)
    # Passing dtype= costs a ufunc call ~2 us; it is needed only when an array operand is not
    # already in the result dtype (in-range Python scalars are weak in NumPy too).
    kw = {} if all(getattr(a, "dtype", d.np) == d.np for a in (x, lo, hi)) else {"dtype": d.np}
    try:
        # minimum(maximum(x, lo), hi): NaN anywhere propagates and lo > hi gives hi, PyTorch's
        # semantics. (np.clip computes the same but its Python wrapper costs 5 us a call.)
        r = x if lo is None else xp.maximum(x, lo, **kw)
        return r if hi is None else xp.minimum(r, hi, **kw)
    except ValueError:
        raise broadcast_error(*(np.shape(a) for a in (x, lo, hi) if a is not None)) from None


def _check_bool_clamp(lo, hi):
    """PyTorch clamps bool tensors only by one bool tensor bound."""
    scalars = not isinstance(lo, np.ndarray) and not isinstance(hi, np.ndarray)
    if lo is not None and hi is not None:
        raise not_implemented("clamp_scalar_cpu" if scalars else "clamp_cpu", dt.bool)
    if scalars:
        raise not_implemented("clamp_max_scalar_cpu" if lo is None else "clamp_min_scalar_cpu",
                               dt.bool)


def _clamp_vjp(ct, out, x, lo, hi):
    # derivatives.yaml clamp_backward, clamp_backward_min_max: x takes the gradient where
    # lo <= x <= hi (PyTorch's subgradient 1 at the bounds), a bound where it is the result
    # (hi wins when lo > hi). Selected with where, as PyTorch does: an infinite cotangent gives 0
    # where the gradient does not pass.
    gx = glo = ghi = None
    if wants(x):
        gx = unbroadcast(ct.where(_inside(x, lo, hi), 0), x)
    if wants(lo):
        below = x < lo if hi is None else (x < lo) & (lo < hi)
        glo = unbroadcast(ct.where(below, 0), lo)
    if wants(hi):
        above = x > hi if lo is None else (x > hi) | (hi < lo)
        ghi = unbroadcast(ct.where(above, 0), hi)
    return gx, glo, ghi


def _inside(x, lo, hi):
    """Where clamp passes x through, bounds included (PyTorch's subgradient 1 there)."""
    inside = x >= lo if lo is not None else None
    if hi is not None:
        inside = x <= hi if inside is None else inside & (x <= hi)
    return inside


def _clamp_jvp(tangents, out, x, lo, hi):
    # Number bounds: derivatives.yaml clamp (auto_element_wise of the VJP): t where lo <= x <= hi.
    # Tensor bounds: clamp.Tensor's clamp_jvp, the tangent of whichever operand is the result,
    # a bound's at a tie with x (the VJP's subgradient goes to x there), hi's where lo > hi. A
    # missing tangent is 0.
    if not isinstance(lo, TensorBase) and not isinstance(hi, TensorBase):
        return tangents[0].where(_inside(x, lo, hi), 0)
    zero = out.new_zeros(())
    tx, tlo, thi = (zero if t is None else t for t in tangents)
    if hi is None:
        t = tx.where(x > lo, tlo)
    elif lo is None:
        t = tx.where(x < hi, thi)
    else:
        t = thi.where(lo > hi, tlo.where(x < lo, thi.where(x > hi, tx)))
    return fit_tangent(t, out)


def _relu_fwd(xp, x):
    return _clamp_fwd(xp, x, 0, None)


def _relu_vjp(ct, out, x):
    # derivatives.yaml relu (threshold_backward): where(result <= 0, 0, grad), so 0 at x == 0,
    # where clamp's rule would pass it, and the gradient passes at NaN; selected, so 0 even for
    # an infinite ct.
    return (ct.where((out <= 0).logical_not(), 0),)


clamp_p = Primitive("clamp", xp=_clamp_fwd, vjp=_clamp_vjp, jvp=_clamp_jvp, batch=ELEMENTWISE)
# A primitive of its own for PyTorch's derivative at 0 (0, unlike clamp_min(x, 0)'s 1), which
# also saves only the output, as PyTorch's ReluBackward0 does. Its JVP is auto_element_wise.
relu_p = Primitive("relu", xp=_relu_fwd, vjp=_relu_vjp, jvp=auto_element_wise(_relu_vjp),
                   saves=_OUT, batch=ELEMENTWISE)


# -- complex parts ---------------------------------------------------------------------------------

def _angle_fwd(xp, x):
    if x.dtype.kind == "c":
        return xp.angle(x)
    d = float_result(dtype_of(x)).np
    # PyTorch: pi for negatives, 0 otherwise (-0.0 included), NaN stays NaN.
    r = xp.where(x < 0, d.type(math.pi), d.type(0))
    if x.dtype.kind == "f":
        r = xp.where(x != x, x, r)
    return r


def _complex_fwd(xp, real, imag):
    shape = broadcast_shape(real.shape, imag.shape)
    # Filling the parts separately keeps inf + 0j exact; real + 1j * imag would give nan parts.
    out = xp.empty(shape, dtype=dtype_of(real).to_complex().np)
    out.real[...] = real
    out.imag[...] = imag
    return out


# derivatives.yaml angle: angle_backward for the VJP, and handle_r_to_c(result,
# angle_backward(self_t.conj(), self_p).conj()) for the JVP: the real part of the conjugated
# VJP. Real x gives zeros both ways.
def _angle_vjp(ct, out, x):
    if x.dtype.category != dt.COMPLEX:
        return (zero_grad(ct, x),)
    return (_angle_backward(ct, x),)


def _angle_jvp(tangents, out, x):
    if x.dtype.category != dt.COMPLEX:
        return zero_tangent(out)
    return _angle_backward(tangents[0].conj(), x).conj().real


def _angle_backward(g, x):
    # g * i x / |x|^2, 0 at x == 0, selected as PyTorch's where does (the denominator moves to 1
    # there, keeping the values selected away finite).
    r2 = x.abs().pow(2)
    return (g * x / (r2 + (r2 == 0)) * 1j).where(r2 != 0, 0)


def _conj_vjp(ct, out, x):
    return (ct.conj(),)


# real(x) and imag(x) of a complex x: a real cotangent ct stands for ct and i ct in x (the
# engine casts the first to x's dtype).
def _real_vjp(ct, out, x):
    return (ct,)


def _imag_vjp(ct, out, x):
    return (ct * 1j,)


def _complex_vjp(ct, out, re, im):
    return (unbroadcast(ct.real, re) if wants(re) else None,
            unbroadcast(ct.imag, im) if wants(im) else None)


angle_p = Primitive("angle", xp=_angle_fwd, vjp=_angle_vjp, jvp=_angle_jvp, batch=ELEMENTWISE)
conj_p = Primitive("conj", xp=lambda xp, x: xp.conj(x), vjp=_conj_vjp, jvp=LINEAR,
                   batch=ELEMENTWISE)
real_p = Primitive("real", xp=lambda xp, x: x.real, vjp=_real_vjp, jvp=LINEAR, batch=ELEMENTWISE,
                   view=True)
imag_p = Primitive("imag", xp=lambda xp, x: x.imag, vjp=_imag_vjp, jvp=LINEAR, batch=ELEMENTWISE,
                   view=True)
complex_p = Primitive("complex", xp=_complex_fwd, vjp=_complex_vjp, jvp=LINEAR,
                      batch=ELEMENTWISE)


# -- nan_to_num and the floating-point predicates --------------------------------------------------

def _nan_to_num_fwd(xp, x, *, nan, posinf, neginf):
    if x.dtype.kind in "biu":
        return x.copy()
    return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def _predicate_fwd(ufunc_name, name, complex_error):
    def fwd(xp, x):
        if complex_error is not None and x.dtype.kind == "c":
            raise complex_error
        return getattr(xp, ufunc_name)(x)
    fwd.__name__ = f"_{name}_fwd"
    return fwd


def _nan_to_num_vjp(ct, out, x, **params):
    # derivatives.yaml nan_to_num: the gradient passes at finite inputs, replaced values get none.
    return (ct * x.isfinite(),)


nan_to_num_p = Primitive("nan_to_num", xp=_nan_to_num_fwd, vjp=_nan_to_num_vjp,
                         jvp=auto_element_wise(_nan_to_num_vjp), batch=ELEMENTWISE)
PREDICATE_PRIMS = {
    name: Primitive(name, xp=_predicate_fwd(name, name, err), vjp=NONDIFF, jvp=NONDIFF,
                    batch=ELEMENTWISE)
    for name, err in (
        ("isnan", None), ("isinf", None), ("isfinite", None), ("isreal", None),
        ("isposinf", RuntimeError("isposinf does not support complex inputs.")),
        ("isneginf", RuntimeError("isneginf does not support complex inputs.")),
        ("signbit", NotImplementedError("signbit is not implemented for complex tensors.")))
}


# -- public functions ------------------------------------------------------------------------------

def _unary(name, prim):
    def fn(input, *, out=None):
        check_tensor(name, input)
        r = prim(input)
        return finish_out(r, out)
    fn.__name__ = fn.__qualname__ = name
    return fn


_FLOAT_FNS = {name: _unary(name, p) for name, p in FLOAT_PRIMS.items()}
globals().update(_FLOAT_FNS)
sgn = _unary("sgn", sgn_p)
floor = _unary("floor", floor_p)
ceil = _unary("ceil", ceil_p)
trunc = _unary("trunc", trunc_p)
angle = _unary("angle", angle_p)


def sign(input, *, out=None):
    check_tensor("sign", input)
    if input.dtype.category == dt.COMPLEX:
        raise NotImplementedError("Unlike NumPy, lamina.sign is not intended to support complex "
                                  "numbers. Please use lamina.sgn instead.")
    r = sgn_p(input)
    return finish_out(r, out)


def fix(input, *, out=None):
    return trunc(input, out=out)


def round(input, *, decimals=0, out=None):
    check_tensor("round", input)
    r = round_p(input, decimals=decimals)
    return finish_out(r, out)


def frac(input, *, out=None):
    check_tensor("frac", input)
    d = input.dtype
    if d.category != dt.FLOAT:
        raise not_implemented("frac_cpu", d)
    r = sub(input, trunc_p(input))
    return finish_out(r, out)


def square(input, *, out=None):
    check_tensor("square", input)
    return pow(input, 2, out=out)


_BOUND_TYPES = (TensorBase, numbers.Number)


def clamp(input, min=None, max=None, *, out=None):
    check_tensor("clamp", input)
    if min is None and max is None:
        raise RuntimeError("lamina.clamp: At least one of 'min' or 'max' must not be None")
    for arg, bound in (("min", min), ("max", max)):
        if bound is not None and not isinstance(bound, _BOUND_TYPES):
            raise TypeError(f"clamp(): argument '{arg}' must be Tensor or Number, not "
                            f"{type(bound).__name__}")
    r = clamp_p(input, min, max)
    return finish_out(r, out)


def _check_bound(name, bound, arg):
    if bound is None:
        raise TypeError(f"{name}(): argument '{arg}' (position 2) must be Tensor or Number, not "
                        "NoneType")


def clamp_min(input, min, *, out=None):
    _check_bound("clamp_min", min, "min")
    return clamp(input, min, None, out=out)


def clamp_max(input, max, *, out=None):
    _check_bound("clamp_max", max, "max")
    return clamp(input, None, max, out=out)


def relu(input):
    check_tensor("relu", input)
    if input.dtype is dt.bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    return relu_p(input)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    check_tensor("nan_to_num", input)
    r = nan_to_num_p(input, nan=nan, posinf=posinf, neginf=neginf)
    return finish_out(r, out)


_DEG_TO_RAD = math.pi / 180


def _degrees(name, factor):
    def fn(input, *, out=None):
        check_tensor(name, input)
        if input.dtype.category == dt.COMPLEX:
            raise RuntimeError(f"{name} is not supported for complex tensors.")
        return mul(input, factor, out=out)
    fn.__name__ = fn.__qualname__ = name
    return fn


deg2rad = _degrees("deg2rad", _DEG_TO_RAD)
rad2deg = _degrees("rad2deg", 1 / _DEG_TO_RAD)


def _predicate(name):
    prim = PREDICATE_PRIMS[name]

    def fn(input):
        check_tensor(name, input)
        return prim(input)
    fn.__name__ = fn.__qualname__ = name
    return fn


def _predicate_out(name):
    prim = PREDICATE_PRIMS[name]

    def fn(input, *, out=None):
        check_tensor(name, input)
        if out is not None and isinstance(out, TensorBase) and out.dtype is not dt.bool:
            raise RuntimeError(f"{name} does not support non-boolean outputs.")
        r = prim(input)
        return finish_out(r, out)
    fn.__name__ = fn.__qualname__ = name
    return fn


isnan, isinf, isfinite, isreal = (_predicate(n) for n in ("isnan", "isinf", "isfinite", "isreal"))
isposinf, isneginf, signbit = (_predicate_out(n) for n in ("isposinf", "isneginf", "signbit"))


# Complex parts. For a real tensor `real`, `conj`, `conj_physical` and `resolve_*` return the
# input itself, as PyTorch's do.

def real(input):
    check_tensor("real", input)
    return real_p(input) if input.dtype.category == dt.COMPLEX else input


def imag(input):
    check_tensor("imag", input)
    if input.dtype.category != dt.COMPLEX:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return imag_p(input)


def _set_real(self, value):
    real(self).copy_(value)


def _set_imag(self, value):
    imag(self).copy_(value)


def conj(input):
    check_tensor("conj", input)
    return conj_p(input) if input.dtype.category == dt.COMPLEX else input


def conj_physical(input, *, out=None):
    r = conj(input)
    return finish_out(r, out)


def conj_physical_(self):
    if self.dtype.category != dt.COMPLEX:
        return self
    return write_inplace(self, conj_p(self), "aten::conj_physical_")


def resolve_conj(input):
    return input


def resolve_neg(input):
    return input


def is_conj(input):
    return False


def is_neg(input):
    return False


def _check_float_pair(a, b):
    da, db = a.dtype, b.dtype
    if da.category != dt.FLOAT or db.category != dt.FLOAT:
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{torch_type_name(da)} and {torch_type_name(db)}")
    if da is not db:
        raise RuntimeError(f"Expected object of scalar type {torch_type_name(da)} but got scalar "
                           f"type {torch_type_name(db)} for second argument")
    if da is dt.float16:
        raise RuntimeError("lamina has no complex32 (ComplexHalf) dtype to hold the result")


def complex(real, imag, *, out=None):
    check_tensor("complex", real, "real", 1)
    check_tensor("complex", imag, "imag", 2)
    _check_float_pair(real, imag)
    r = complex_p(real, imag)
    return finish_out(r, out)


def polar(abs, angle, *, out=None):
    check_tensor("polar", abs, "abs", 1)
    check_tensor("polar", angle, "angle", 2)
    _check_float_pair(abs, angle)
    cos, sin = FLOAT_PRIMS["cos"], FLOAT_PRIMS["sin"]
    return complex(mul(abs, cos(angle)), mul(abs, sin(angle)), out=out)


# -- exports ---------------------------------------------------------------------------------------

_ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
            "arccosh": "acosh", "arctanh": "atanh", "clip": "clamp"}
globals().update({alias: globals()[name] for alias, name in _ALIASES.items()})

# Functions that have an in-place Tensor method `<name>_`.
_WITH_INPLACE = tuple(_FLOAT_FNS) + tuple(_ALIASES) + (
    "sign", "sgn", "floor", "ceil", "round", "trunc", "fix", "frac", "square", "relu",
    "clamp", "clamp_min", "clamp_max", "nan_to_num", "deg2rad", "rad2deg")
_INPLACE = {name + "_": inplace_method(globals()[name], name) for name in _WITH_INPLACE}
_INPLACE["conj_physical_"] = conj_physical_
globals().update(_INPLACE)

_PUBLIC = _WITH_INPLACE + (
    "angle", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal", "signbit",
    "real", "imag", "conj", "conj_physical", "resolve_conj", "resolve_neg", "is_conj", "is_neg")
# PyTorch's namespace has the in-place forms too, except these three (methods only).
_METHOD_ONLY = ("sign_", "sgn_", "erfinv_")

__all__ = list(_PUBLIC) + [n for n in _INPLACE if n not in _METHOD_ONLY] + ["complex", "polar"]
METHODS = {name: globals()[name] for name in _PUBLIC if name not in ("real", "imag")}
METHODS.update(_INPLACE)
METHODS["real"] = property(real, _set_real)
METHODS["imag"] = property(imag, _set_imag)
