"""Binary elementwise ops and the Python operators: arithmetic, comparison, logical, bitwise.

Forward bodies take arrays (or Python scalars) and the array namespace `xp`. PyTorch's promotion
decides the dtype a body computes in before NumPy runs, because NumPy's differs (int32 + float32
is float64 there, float32 here; a Python float leaves an int tensor as the default float dtype
here). neg, abs and the bitwise/logical nots live here too: they are operators.

The Python operators call the primitives directly (the per-op path is the hot path for small
tensors) and return NotImplemented for operands that are neither tensors nor numbers, so Python
raises its own TypeError, as PyTorch's operators do.
"""

import numpy as np

from .._core import dtype as dt
from .._core._tensor import TensorBase, dtype_of, result_type_of
from ._checks import (
    CPP_NAMES,
    broadcast_shape,
    checked_value,
    float_result,
    not_implemented,
    overflow_error,
    torch_type_name,
)
from ._rules import fit_tangent, tangent_sum, unbroadcast, wants, zero_grad, zero_tangent
from .mutation import finish_out, inplace_method, write_inplace, write_out
from .primitive import ELEMENTWISE, LINEAR, NONDIFF, Primitive

_BOOL = np.dtype(np.bool_)
_BOOL_NUM = _BOOL.num
_BOOL_SCALARS = (bool, np.bool_)
# Where a formula takes several steps, half computes in float and rounds once, as in PyTorch.
_OPMATH = {np.dtype(np.float16): np.dtype(np.float32)}
# What a binary op takes besides tensors; anything else makes an operator return NotImplemented.
_OPERANDS = (TensorBase, int, float, complex, np.generic, np.ndarray)


def _call(ufunc, a, b, d):
    """`ufunc(a, b)` computed in NumPy dtype `d` (None: NumPy's choice), with PyTorch's casts."""
    if a is None or b is None:  # promotion skips None, and NumPy would take it as NaN
        raise TypeError("None is not a Tensor or a Number")
    try:
        return ufunc(a, b, dtype=d)
    except (OverflowError, TypeError, ValueError) as e:
        return _retry(e, ufunc, a, b, d, {"dtype": d})


def _compare(ufunc, a, b, d):
    """A comparison of `a` and `b` cast to NumPy dtype `d`, giving bool."""
    if a is None or b is None:
        raise TypeError("None is not a Tensor or a Number")
    sig = (d, d, None)
    try:
        return ufunc(a, b, signature=sig)
    except (OverflowError, TypeError, ValueError) as e:
        return _retry(e, ufunc, a, b, d, {"signature": sig})


def _retry(err, ufunc, a, b, d, how):
    if isinstance(err, ValueError):
        broadcast_shape(np.shape(a), np.shape(b))
        raise err
    if isinstance(err, OverflowError):
        # A Python int outside the dtype's range wraps, as PyTorch's C++ cast does.
        a, b = _wrap_int(a, d), _wrap_int(b, d)
    # A weaker operand may hold a wider dtype than the result (uint8 tensor - int64 0-dim
    # tensor): PyTorch casts it down, which NumPy's default casting rule refuses.
    return ufunc(a, b, casting="unsafe", **how)


def _wrap_int(x, d):
    return np.asarray(x).astype(d) if isinstance(x, int) else x


# -- arithmetic -----------------------------------------------------------------------------------

def _scale(alpha, d):
    """add/sub's alpha as a 0-dim array of the result dtype, refused where PyTorch refuses it."""
    if isinstance(alpha, (bool, np.bool_)):
        if d is not dt.bool:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif isinstance(alpha, (float, np.floating)) and d.category < dt.FLOAT:
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    elif isinstance(alpha, (complex, np.complexfloating)) and d.category < dt.COMPLEX:
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")
    elif d.category == dt.INT or d.category == dt.FLOAT:
        checked_value(alpha, d)  # the cast below wraps a negative int into an unsigned type
    return np.asarray(alpha).astype(d.np)


def _additive(ufunc, *, bools=True):
    # `a + alpha * b` with alpha cast to the result dtype, as PyTorch computes it (so a uint8 sum
    # wraps alpha and a bool sum takes alpha as True).
    def fwd(xp, a, b, *, alpha=None):
        if not bools and _has_bool(a, b):
            raise _bool_subtraction_error(a, b)
        d = result_type_of((a, b))
        if alpha is not None:
            b = _call(np.multiply, b, _scale(alpha, d), d.np)
        return _call(ufunc, a, b, d.np)
    fwd.__name__ = ufunc.__name__
    return fwd


def _has_bool(a, b):
    # One call, dtype.num rather than dtype.kind: sub's per-call path notices each 100 ns.
    ta, tb = type(a), type(b)
    return ((a.dtype.num == _BOOL_NUM) if ta is np.ndarray else ta in _BOOL_SCALARS) or (
        (b.dtype.num == _BOOL_NUM) if tb is np.ndarray else tb in _BOOL_SCALARS)


def _bool_subtraction_error(a, b):
    if result_type_of((a, b)) is dt.bool:   # only when both operands are bool
        return RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                            "supported. Use the `^` or `logical_xor()` operator instead.")
    return RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If "
                        "you are trying to invert a mask, use the `~` or `logical_not()` operator "
                        "instead.")


def _promoting(ufunc):
    def fwd(xp, a, b):
        return _call(ufunc, a, b, result_type_of((a, b)).np)
    fwd.__name__ = ufunc.__name__
    return fwd


def _division_dtype(kernel, a, b):
    """The dtype of an integer-or-float division; an integer divisor of zero raises, as in
    PyTorch (which has no integer inf), and bool and complex have no kernel."""
    d = result_type_of((a, b))
    if d.category == dt.BOOL or d.category == dt.COMPLEX:
        raise not_implemented(kernel, d)
    if d.category == dt.INT and np.any(np.asarray(b).astype(d.np, copy=False) == 0):
        raise RuntimeError("ZeroDivisionError")
    return d.np


def _div_fwd(xp, a, b, *, rounding_mode=None):
    if rounding_mode is None:
        return _call(np.true_divide, a, b, float_result(result_type_of((a, b))).np)
    if rounding_mode == "floor":
        return _call(np.floor_divide, a, b, _division_dtype("div_floor_cpu", a, b))
    if rounding_mode == "trunc":
        d = _division_dtype("div_trunc_cpu", a, b)
        if d.kind == "f":
            # Half computes in float, as PyTorch's kernels do: one rounding, after the trunc.
            q = _call(np.true_divide, a, b, _OPMATH.get(d, d))
            return xp.trunc(q).astype(d, copy=False)
        # a - fmod(a, b) is an exact multiple of b, so flooring its quotient truncates a / b.
        return _call(np.floor_divide, _call(np.subtract, a, _call(np.fmod, a, b, d), d), b, d)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


def _modulo(ufunc, kernel):
    def fwd(xp, a, b):
        return _call(ufunc, a, b, _division_dtype(kernel, a, b))
    fwd.__name__ = ufunc.__name__
    return fwd


def _pow_fwd(xp, a, b):
    d = result_type_of((a, b))
    if d.category > dt.INT:
        return _call(np.power, a, b, d.np)
    if d is dt.bool:
        # No bool kernel, but a Python bool exponent is a scalar power: x ** True is x and
        # x ** False is 1.
        if not isinstance(b, (bool, np.bool_)) or not isinstance(a, np.ndarray):
            raise not_implemented("pow", d)
        return xp.logical_or(a, not b)
    if not isinstance(b, np.ndarray):
        if b < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
    elif (b < 0).any():
        # Tensor exponents follow C's integer 1 / a**n: 1 and -1 keep their magnitude (the sign
        # alternates for -1), every other base gives 0.
        r = _call(np.power, a, xp.abs(b), d.np)
        return xp.where((b < 0) & (xp.abs(a) != 1), 0, r).astype(d.np, copy=False)
    return _call(np.power, a, b, d.np)


# a + alpha b and a - alpha b: d/da = 1, d/db = +-alpha (conjugated: PyTorch's complex convention
# multiplies the cotangent by the conjugate of each partial derivative).
def _additive_vjp(sign):
    def vjp(ct, out, a, b, *, alpha=None):
        gb = ct if alpha is None else ct * _conj_scalar(alpha)
        return unbroadcast(ct, a), unbroadcast(gb if sign > 0 else -gb, b)
    return vjp


def _conj_scalar(x):
    return x.conjugate() if isinstance(x, (complex, np.complexfloating)) else x


def _mul_vjp(ct, out, a, b):
    ga = unbroadcast(ct * _conj(b), a) if wants(a) else None
    gb = unbroadcast(ct * _conj(a), b) if wants(b) else None
    return ga, gb


def _conj(x):
    """The conjugate of an operand, a Tensor or a Python number."""
    if isinstance(x, TensorBase):
        return x.conj() if x.dtype.category == dt.COMPLEX else x
    return _conj_scalar(x)


# derivatives.yaml add.Tensor / sub.Tensor: self_t +- alpha other_t, the op itself on the
# tangents. Not the LINEAR marker: that passes a non-float operand on unchanged (right for an
# index, wrong for a summand), where a Python number or an integer tensor adds no tangent here.
def _additive_jvp(sign):
    def jvp(tangents, out, a, b, *, alpha=None):
        ta, tb = tangents
        if tb is not None:
            tb = tb if alpha is None else tb * alpha
            tb = tb if sign > 0 else -tb
        return fit_tangent(tangent_sum(ta, tb), out)
    return jvp


# The VJP reads the operands' shapes only: nothing saved (what a LINEAR op gets by default).
add_p = Primitive("add", xp=_additive(np.add), vjp=_additive_vjp(1), jvp=_additive_jvp(1),
                  batch=ELEMENTWISE, saves=())
sub_p = Primitive("sub", xp=_additive(np.subtract, bools=False), vjp=_additive_vjp(-1),
                  jvp=_additive_jvp(-1), batch=ELEMENTWISE, saves=())
# a / b: d/da = 1/b, d/db = -(a/b)/b, in derivatives.yaml's order (div.Tensor: stabler higher
# derivatives). The output is not reused, so an in-place write to it stays legal, as in PyTorch.
# A rounded quotient is piecewise constant: zero gradients (div.Tensor_mode).
def _div_vjp(ct, out, a, b, *, rounding_mode=None):
    if rounding_mode is not None:
        return zero_grad(ct, a), zero_grad(ct, b)
    ga = unbroadcast(ct / _conj(b), a) if wants(a) else None
    gb = unbroadcast(-ct * _conj(a / b / b), b) if wants(b) else None
    return ga, gb


def _pow_vjp(ct, out, a, b):
    ga = unbroadcast(_pow_base_grad(ct, a, b), a) if wants(a) else None
    gb = unbroadcast(_pow_exponent_grad(ct, a, b), b) if wants(b) else None
    return ga, gb


def _pow_base_grad(ct, a, b):
    """derivatives.yaml pow_backward / pow_backward_self: b * a**(b-1), and 0 wherever b == 0."""
    if not isinstance(b, TensorBase):
        return ct.new_zeros(ct._data.shape) if b == 0 else ct * _conj(b * a.pow(b - 1))
    # PyTorch's where(b == 0, 0, ...): selected, so an infinite cotangent there gives 0 too. The
    # exponent b - 1 moves to 0 there all the same, so that no 0 * inf of a == 0 reaches the
    # second derivative through the branch selected away.
    return (ct * _conj(b * a.pow(b - 1 + (b == 0)))).where(b != 0, 0)


def _pow_exponent_grad(ct, a, b, p=None):
    """derivatives.yaml pow_backward_exponent: a**b * log(a) with a in the result dtype (log of a
    negative real base is complex for a complex result), and 0 where a == 0 and b is real and
    >= 0 (the one-sided limit PyTorch takes). The VJP recomputes a**b (`p`), not saved: PyTorch's
    pow with a scalar exponent saves no output, so a later in-place write to it must stay legal."""
    p = pow_p(a, b) if p is None else p
    base = a.to(p.dtype) if isinstance(a, TensorBase) else p.new_full((), a)
    if b.dtype.category == dt.COMPLEX:
        real_nonneg = (b.real >= 0) & (b.imag == 0)
    else:
        real_nonneg = b >= 0
    # Those zero bases move to 1, whose log is 0: no 0 * -inf.
    base = base + ((base == 0) & real_nonneg)
    return ct * _conj(p * base.log())


# remainder(a, b) = a - b * floor(a / b) and fmod(a, b) = a - b * trunc(a / b): the quotient is
# piecewise constant (derivatives.yaml remainder.Tensor, fmod.Tensor).
def _modulo_vjp(rounding_mode):
    def vjp(ct, out, a, b):
        ga = unbroadcast(ct, a) if wants(a) else None
        gb = None
        if wants(b):
            gb = unbroadcast(-ct * div_p(a, b, rounding_mode=rounding_mode), b)
        return ga, gb
    return vjp


# Forward mode, derivatives.yaml's `result:` formulas. A missing tangent (a Python number, an
# integer tensor, an input the perturbation does not reach) drops its term.
def _mul_jvp(tangents, out, a, b):
    # mul.Tensor: other_t * self_p + self_t * other_p (no conjugate: holomorphic).
    ta, tb = tangents
    return fit_tangent(tangent_sum(None if ta is None else ta * b,
                                   None if tb is None else tb * a), out)


def _div_jvp(tangents, out, a, b, *, rounding_mode=None):
    # div.Tensor: (self_t - other_t * result) / other_p; div.Tensor_mode: zeros when rounded.
    if rounding_mode is not None:
        return zero_tangent(out)
    ta, tb = tangents
    return fit_tangent(tangent_sum(ta, None if tb is None else -(tb * out)) / b, out)


def _pow_jvp(tangents, out, a, b):
    # pow.Tensor_Tensor: (pow_backward_self(self_t.conj(), ...) + pow_backward_exponent(
    # exponent_t.conj(), ...)).conj(); pow.Tensor_Scalar and pow.Scalar (auto_element_wise) are
    # its one-term cases. The VJP's terms, so the same selections at b == 0 and a == 0, but
    # without the VJP's projection of a real operand's complex term onto the reals, which
    # PyTorch's forward AD keeps (a real-valued tangent of x ** 1j: pytorch/pytorch#185639).
    ta, tb = tangents
    t = tangent_sum(None if ta is None else _pow_base_grad(ta.conj(), a, b),
                    None if tb is None else _pow_exponent_grad(tb.conj(), a, b, out))
    return fit_tangent(t.conj(), out)


def _modulo_jvp(rounding_mode):
    # remainder.Tensor / fmod.Tensor: self_t - other_t * self_p.div(other_p, rounding_mode).
    def jvp(tangents, out, a, b):
        ta, tb = tangents
        tq = None if tb is None else -(tb * div_p(a, b, rounding_mode=rounding_mode))
        return fit_tangent(tangent_sum(ta, tq), out)
    return jvp


mul_p = Primitive("mul", xp=_promoting(np.multiply), vjp=_mul_vjp, jvp=_mul_jvp,
                  batch=ELEMENTWISE)
div_p = Primitive("div", xp=_div_fwd, vjp=_div_vjp, jvp=_div_jvp, batch=ELEMENTWISE)
pow_p = Primitive("pow", xp=_pow_fwd, vjp=_pow_vjp, jvp=_pow_jvp, batch=ELEMENTWISE)
remainder_p = Primitive("remainder", xp=_modulo(np.remainder, "remainder_cpu"),
                        vjp=_modulo_vjp("floor"), jvp=_modulo_jvp("floor"), batch=ELEMENTWISE)
fmod_p = Primitive("fmod", xp=_modulo(np.fmod, "fmod_cpu"), vjp=_modulo_vjp("trunc"),
                   jvp=_modulo_jvp("trunc"), batch=ELEMENTWISE)


# -- extrema and float-valued binary functions ----------------------------------------------------

def _extremum(ufunc, name):
    def fwd(xp, a, b):
        d = result_type_of((a, b))
        if d.category == dt.COMPLEX:
            raise RuntimeError(f"{name} not implemented for complex tensors.")
        return _call(ufunc, a, b, d.np)
    fwd.__name__ = name
    return fwd


def _float_valued(ufunc, kernel, *, integral=True):
    """A function with float values: integral and bool inputs compute in the default float
    dtype, unless the kernel refuses them (hypot)."""
    def fwd(xp, a, b):
        d = result_type_of((a, b))
        if d.category == dt.COMPLEX or (d.category < dt.FLOAT and not integral):
            raise not_implemented(kernel, d)
        return _call(ufunc, a, b, float_result(d).np)
    fwd.__name__ = ufunc.__name__
    return fwd


def _lerp_fwd(xp, start, end, weight):
    # PyTorch's two-sided formula, exact at both ends: small weights step from start, large ones
    # step back from end. A primitive, because as a composite it costs five passes and a where.
    d = start.dtype
    w = xp.asarray(weight).astype(d, copy=False)
    broadcast_shape(start.shape, end.shape, w.shape)
    if d in _OPMATH:
        start, end, w = start.astype(_OPMATH[d]), end.astype(_OPMATH[d]), w.astype(_OPMATH[d])
    diff = end - start
    return xp.where(xp.abs(w) < 0.5, start + w * diff, end - diff * (1 - w)).astype(d, copy=False)


# maximum and minimum (derivatives.yaml): the larger (smaller) operand takes the gradient, a tie
# gives half to each, and a NaN operand (a NaN result) gives it to both. The loser's share is
# selected away, not multiplied by 0, so an infinite cotangent there gives 0, as PyTorch's
# masked_fill does.
def _extremum_vjp(loses):
    def vjp(ct, out, a, b):
        shared = ct.where(a != b, ct * 0.5)
        ga = unbroadcast(shared.where(~loses(a, b), 0), a) if wants(a) else None
        gb = unbroadcast(shared.where(~loses(b, a), 0), b) if wants(b) else None
        return ga, gb
    return vjp


# fmax and fmin (derivatives.yaml): the whole gradient to `a` wherever a is the result, ties
# included, or b is NaN; to `b` elsewhere (selected, as above).
def _fextremum_vjp(wins):
    def vjp(ct, out, a, b):
        to_a = wins(a, b) | b.isnan()
        ga = unbroadcast(ct.where(to_a, 0), a) if wants(a) else None
        gb = unbroadcast(ct.where(~to_a, 0), b) if wants(b) else None
        return ga, gb
    return vjp


def _atan2_vjp(ct, out, a, b):
    # derivatives.yaml atan2_backward: (b, -a) / (a^2 + b^2), with 1 / 0 taken as 0 at the origin.
    denom = a * a + b * b
    nonzero = denom != 0
    recip = nonzero / (denom + (denom == 0))
    ga = unbroadcast(ct * b * recip, a) if wants(a) else None
    gb = unbroadcast(ct * -a * recip, b) if wants(b) else None
    return ga, gb


def _hypot_vjp(ct, out, a, b):
    ga = unbroadcast(ct * a / out, a) if wants(a) else None
    gb = unbroadcast(ct * b / out, b) if wants(b) else None
    return ga, gb


def _copysign_vjp(ct, out, a, b):
    # derivatives.yaml copysign_tensor_self_backward: out / a, taken as 0 where a == 0; that
    # ratio is sgn(a) * sgn(out). The sign source gets zeros.
    ga = unbroadcast(ct * a.sgn() * out.sgn(), a) if wants(a) else None
    return ga, zero_grad(ct, b)


def _lerp_vjp(ct, out, start, end, weight):
    # start + w (end - start): derivatives.yaml lerp.Scalar / lerp.Tensor.
    w = _conj(weight)
    gs = unbroadcast(ct * (1 - w), start) if wants(start) else None
    ge = unbroadcast(ct * w, end) if wants(end) else None
    gw = unbroadcast(ct * _conj(end - start), weight) if wants(weight) else None
    return gs, ge, gw


# Forward mode of the extrema: other_t + w * (self_t - other_t), with w the share `a` takes.
# maximum / minimum (derivatives.yaml): w = 1/2 at a tie, 1 where a wins, 0 elsewhere (a NaN
# operand gives b's tangent). fmax: w = (a > b) | isnan(b); fmin: w = (a <= b) | isnan(b) --
# PyTorch's formulas, whose ties differ between the two and from their VJPs.
def _extremum_jvp(wins):
    def jvp(tangents, out, a, b):
        return _shared(tangents, wins(a, b).to(out.dtype).where(a != b, 0.5), out)
    return jvp


def _fextremum_jvp(wins):
    def jvp(tangents, out, a, b):
        return _shared(tangents, (wins(a, b) | b.isnan()).to(out.dtype), out)
    return jvp


def _shared(tangents, w, out):
    ta, tb = tangents
    if ta is None:
        return fit_tangent(tb - w * tb, out)
    if tb is None:
        return fit_tangent(w * ta, out)
    return fit_tangent(tb + w * (ta - tb), out)


def _atan2_jvp(tangents, out, a, b):
    # derivatives.yaml atan2: (-self_p * other_t + other_p * self_t) / (self_p^2 + other_p^2),
    # NaN at the origin (where the VJP takes 0), as PyTorch's.
    ta, tb = tangents
    t = tangent_sum(None if ta is None else b * ta, None if tb is None else -a * tb)
    return fit_tangent(t / (a.pow(2) + b.pow(2)), out)


def _hypot_jvp(tangents, out, a, b):
    # derivatives.yaml hypot: self_t * self_p / result + other_t * other_p / result.
    ta, tb = tangents
    return fit_tangent(tangent_sum(None if ta is None else ta * a / out,
                                   None if tb is None else tb * b / out), out)


def _copysign_jvp(tangents, out, a, b):
    # derivatives.yaml copysign.Tensor: copysign_tensor_self_backward(self_t, self_p, result), the
    # VJP's factor; the sign source's tangent plays no part.
    ta = tangents[0]
    return zero_tangent(out) if ta is None else fit_tangent(ta * a.sgn() * out.sgn(), out)


def _lerp_jvp(tangents, out, start, end, weight):
    # derivatives.yaml lerp.Scalar / lerp.Tensor: lerp(self_t, end_t, weight) + weight_t * (end_p
    # - self_p), lerp of the tangents written out so that a missing one drops its term.
    ts, te, tw = tangents
    return fit_tangent(tangent_sum(None if ts is None else ts * (1 - weight),
                                   None if te is None else te * weight,
                                   None if tw is None else tw * (end - start)), out)


maximum_p = Primitive("maximum", xp=_extremum(np.maximum, "maximum"),
                      vjp=_extremum_vjp(lambda a, b: a < b),
                      jvp=_extremum_jvp(lambda a, b: a > b), batch=ELEMENTWISE)
minimum_p = Primitive("minimum", xp=_extremum(np.minimum, "minimum"),
                      vjp=_extremum_vjp(lambda a, b: a > b),
                      jvp=_extremum_jvp(lambda a, b: a < b), batch=ELEMENTWISE)
fmax_p = Primitive("fmax", xp=_extremum(np.fmax, "fmax"),
                   vjp=_fextremum_vjp(lambda a, b: a >= b),
                   jvp=_fextremum_jvp(lambda a, b: a > b), batch=ELEMENTWISE)
fmin_p = Primitive("fmin", xp=_extremum(np.fmin, "fmin"),
                   vjp=_fextremum_vjp(lambda a, b: a <= b),
                   jvp=_fextremum_jvp(lambda a, b: a <= b), batch=ELEMENTWISE)
atan2_p = Primitive("atan2", xp=_float_valued(np.arctan2, "atan2_cpu"), vjp=_atan2_vjp,
                    jvp=_atan2_jvp, batch=ELEMENTWISE)
hypot_p = Primitive("hypot", xp=_float_valued(np.hypot, "hypot_cpu", integral=False),
                    vjp=_hypot_vjp, jvp=_hypot_jvp, batch=ELEMENTWISE, saves=(0, 1, "out"))
copysign_p = Primitive("copysign", xp=_float_valued(np.copysign, "copysign_cpu"),
                       vjp=_copysign_vjp, jvp=_copysign_jvp, batch=ELEMENTWISE,
                       saves=(0, "out"))
lerp_p = Primitive("lerp", xp=_lerp_fwd, vjp=_lerp_vjp, jvp=_lerp_jvp, batch=ELEMENTWISE)


# -- comparison, logical and bitwise ops: integer or bool results carry no derivative -------------

def _comparison(ufunc, kernel=None):
    """`kernel` names the missing kernel in PyTorch's error for complex operands, which have no
    order (None for eq and ne)."""
    def fwd(xp, a, b):
        d = result_type_of((a, b))
        if kernel is not None and d.category == dt.COMPLEX:
            raise not_implemented(kernel, d)
        return _compare(ufunc, a, b, d.np)
    fwd.__name__ = ufunc.__name__
    return fwd


def _logical(ufunc):
    def fwd(xp, a, b):
        return _call(ufunc, a, b, None)
    fwd.__name__ = ufunc.__name__
    return fwd


def _bitwise(ufunc, kernel, *, bools=True):
    def fwd(xp, a, b):
        d = result_type_of((a, b))
        if d.category > dt.INT or (d is dt.bool and not bools):
            raise not_implemented(kernel, d)
        return _call(ufunc, a, b, d.np)
    fwd.__name__ = ufunc.__name__
    return fwd


def _isclose_fwd(xp, a, b, *, rtol, atol, equal_nan):
    # torch.isclose's definition: equal, or both NaN under equal_nan, or a finite
    # |a - b| <= atol + |rtol * b| computed in the operands' dtype (bool as the default float;
    # an unsigned difference wraps there, as in PyTorch).
    close = _compare(np.equal, a, b, a.dtype)
    if equal_nan and a.dtype.kind in "fc":
        close |= xp.isnan(a) & xp.isnan(b)
    if rtol == 0 and atol == 0:
        return close
    ftype = float_result(dtype_of(a)).np
    if a.dtype == _BOOL:
        a, b = a.astype(ftype), b.astype(ftype)
    allowed = atol + xp.abs(xp.multiply(rtol, b, dtype=ftype))
    actual = xp.abs(a - b)
    return close | (xp.isfinite(actual) & (actual <= allowed))


# The slots every op of this section shares: bool or integer results, no derivative.
_NONDIFF = {"vjp": NONDIFF, "jvp": NONDIFF, "batch": ELEMENTWISE}
eq_p = Primitive("eq", xp=_comparison(np.equal), **_NONDIFF)
ne_p = Primitive("ne", xp=_comparison(np.not_equal), **_NONDIFF)
lt_p = Primitive("lt", xp=_comparison(np.less, "lt_cpu"), **_NONDIFF)
le_p = Primitive("le", xp=_comparison(np.less_equal, "le_cpu"), **_NONDIFF)
gt_p = Primitive("gt", xp=_comparison(np.greater, "gt_cpu"), **_NONDIFF)
ge_p = Primitive("ge", xp=_comparison(np.greater_equal, "ge_cpu"), **_NONDIFF)
isclose_p = Primitive("isclose", xp=_isclose_fwd, **_NONDIFF)
logical_and_p = Primitive("logical_and", xp=_logical(np.logical_and), **_NONDIFF)
logical_or_p = Primitive("logical_or", xp=_logical(np.logical_or), **_NONDIFF)
logical_xor_p = Primitive("logical_xor", xp=_logical(np.logical_xor), **_NONDIFF)
bitwise_and_p = Primitive("bitwise_and", xp=_bitwise(np.bitwise_and, "bitwise_and_cpu"),
                          **_NONDIFF)
bitwise_or_p = Primitive("bitwise_or", xp=_bitwise(np.bitwise_or, "bitwise_or_cpu"), **_NONDIFF)
bitwise_xor_p = Primitive("bitwise_xor", xp=_bitwise(np.bitwise_xor, "bitwise_xor_cpu"),
                          **_NONDIFF)
# NumPy's shifts already give PyTorch's results for counts past the width or negative: 0, or -1
# for a negative value shifted right.
left_shift_p = Primitive("bitwise_left_shift",
                         xp=_bitwise(np.left_shift, "lshift_cpu", bools=False), **_NONDIFF)
right_shift_p = Primitive("bitwise_right_shift",
                          xp=_bitwise(np.right_shift, "rshift_cpu", bools=False), **_NONDIFF)


# -- unary operators ------------------------------------------------------------------------------

_NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
             "invert a mask, use the `~` or `logical_not()` operator instead.")


def _neg_fwd(xp, a):
    if a.dtype == _BOOL:
        raise RuntimeError(_NEG_BOOL)
    return xp.negative(a)


def _abs_fwd(xp, a):
    if a.dtype == _BOOL:
        raise not_implemented("abs_cpu", dt.bool)
    return xp.abs(a)  # complex gives its real dtype


def _bitwise_not_fwd(xp, a):
    if a.dtype.kind in "fc":
        raise not_implemented("bitwise_not_cpu", dtype_of(a))
    return xp.invert(a)


def _logical_not_fwd(xp, a):
    return xp.logical_not(a)


def _neg_vjp(ct, out, a):
    return (-ct,)


def _abs_vjp(ct, out, a):
    # derivatives.yaml abs: ct * sgn(a), also for complex a (sgn = a / |a|, 0 at 0).
    return (ct * a.sgn(),)


def _abs_jvp(tangents, out, a):
    # derivatives.yaml abs: handle_r_to_c(result, self_t.conj() * self_p.sgn()): for complex a
    # the real part, Re(conj(t) a / |a|).
    t = tangents[0].conj() * a.sgn()
    return t.real if t.dtype.category == dt.COMPLEX else t


neg_p = Primitive("neg", xp=_neg_fwd, vjp=_neg_vjp, jvp=LINEAR, batch=ELEMENTWISE)
abs_p = Primitive("abs", xp=_abs_fwd, vjp=_abs_vjp, jvp=_abs_jvp, batch=ELEMENTWISE)
bitwise_not_p = Primitive("bitwise_not", xp=_bitwise_not_fwd, **_NONDIFF)
logical_not_p = Primitive("logical_not", xp=_logical_not_fwd, **_NONDIFF)


# -- public functions -----------------------------------------------------------------------------

_ARG_NAMES = ("input", "other")


def _type_error(name, pos, x, names=_ARG_NAMES):
    return TypeError(f"{name}(): argument '{names[pos]}' (position {pos + 1}) must be Tensor, "
                     f"not {type(x).__name__}")


def _expect_tensors(name, args, names=_ARG_NAMES):
    for pos, x in enumerate(args):
        if not isinstance(x, TensorBase):
            raise _type_error(name, pos, x, names)


def _check_operands(name, *args, names=_ARG_NAMES):
    """After a failed call: raise PyTorch's TypeError if an operand is no tensor or number."""
    for pos, x in enumerate(args):
        if not isinstance(x, _OPERANDS):
            raise _type_error(name, pos, x, names)


def _binary(name, prim, tensors=0):
    """The public `name(input, other, *, out=None)` over `prim`; its first `tensors` arguments
    must be Tensors (PyTorch takes a Number for the others)."""
    def fn(input, other, *, out=None):
        if tensors:
            _expect_tensors(name, (input, other)[:tensors])
        try:
            result = prim(input, other)
        except (AttributeError, TypeError):
            _check_operands(name, input, other)
            raise
        # The operators' ops test `out` inline, not through finish_out: a call costs on every op.
        return result if out is None else write_out(out, result)
    fn.__name__ = fn.__qualname__ = name
    return fn


def _unary(name, prim):
    def fn(input, *, out=None):
        try:
            result = prim(input)
        except AttributeError:
            _expect_tensors(name, (input,))
            raise
        return result if out is None else write_out(out, result)
    fn.__name__ = fn.__qualname__ = name
    return fn


def _scaled(name, prim, input, other, alpha, out):
    try:
        if alpha.__class__ is int and alpha == 1:
            result = prim(input, other)
        else:
            result = prim(input, other, alpha=alpha)
    except (AttributeError, TypeError):
        _check_operands(name, input, other)
        raise
    return result if out is None else write_out(out, result)


def add(input, other, *, alpha=1, out=None):
    return _scaled("add", add_p, input, other, alpha, out)


def sub(input, other, *, alpha=1, out=None):
    return _scaled("sub", sub_p, input, other, alpha, out)


def div(input, other, *, rounding_mode=None, out=None):
    try:
        if rounding_mode is None:
            result = div_p(input, other)
        else:
            result = div_p(input, other, rounding_mode=rounding_mode)
    except (AttributeError, TypeError):
        _check_operands("div", input, other)
        raise
    return result if out is None else write_out(out, result)


def true_divide(dividend, divisor, *, out=None):
    return div(dividend, divisor, out=out)


def floor_divide(input, other, *, out=None):
    return div(input, other, rounding_mode="floor", out=out)


def pow(input, exponent, *, out=None):
    try:
        result = pow_p(input, exponent)
    except (AttributeError, TypeError):
        _check_operands("pow", input, exponent, names=("input", "exponent"))
        raise
    return result if out is None else write_out(out, result)


mul = _binary("mul", mul_p)
remainder = _binary("remainder", remainder_p)
fmod = _binary("fmod", fmod_p, tensors=1)
maximum = _binary("maximum", maximum_p, tensors=2)
minimum = _binary("minimum", minimum_p, tensors=2)
fmax = _binary("fmax", fmax_p, tensors=2)
fmin = _binary("fmin", fmin_p, tensors=2)
atan2 = _binary("atan2", atan2_p, tensors=2)
hypot = _binary("hypot", hypot_p, tensors=2)
copysign = _binary("copysign", copysign_p, tensors=1)
eq = _binary("eq", eq_p, tensors=1)
ne = _binary("ne", ne_p, tensors=1)
lt = _binary("lt", lt_p, tensors=1)
le = _binary("le", le_p, tensors=1)
gt = _binary("gt", gt_p, tensors=1)
ge = _binary("ge", ge_p, tensors=1)
logical_and = _binary("logical_and", logical_and_p, tensors=2)
logical_or = _binary("logical_or", logical_or_p, tensors=2)
logical_xor = _binary("logical_xor", logical_xor_p, tensors=2)
bitwise_and = _binary("bitwise_and", bitwise_and_p)
bitwise_or = _binary("bitwise_or", bitwise_or_p)
bitwise_xor = _binary("bitwise_xor", bitwise_xor_p)
bitwise_left_shift = _binary("bitwise_left_shift", left_shift_p)
bitwise_right_shift = _binary("bitwise_right_shift", right_shift_p)
neg = _unary("neg", neg_p)
abs = _unary("abs", abs_p)
bitwise_not = _unary("bitwise_not", bitwise_not_p)
logical_not = _unary("logical_not", logical_not_p)


def positive(input):
    if input.dtype is dt.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def lerp(input, end, weight, *, out=None):
    _expect_tensors("lerp", (input, end), ("input", "end"))
    d = input.dtype
    if d.category < dt.FLOAT:
        kind = "tensor" if isinstance(weight, TensorBase) else "scalar"
        raise not_implemented(f"lerp_kernel_{kind}", d)
    checked = [("end", end)]
    if isinstance(weight, TensorBase):
        if weight.ndim:  # a 0-dim weight is a scalar and takes any dtype
            checked.append(("weight", weight))
    elif not isinstance(weight, (int, float, complex, np.number)):
        raise TypeError(f"lerp(): argument 'weight' must be Tensor or Number, not "
                        f"{type(weight).__name__}")
    elif np.iscomplexobj(weight) and np.imag(weight) != 0 and d.category < dt.COMPLEX:
        raise overflow_error(d)
    else:
        weight = np.real(weight) if d.category < dt.COMPLEX else weight
    for arg, t in checked:
        if t.dtype is not d:
            raise RuntimeError(f"expected dtype {CPP_NAMES[d.name]} for `{arg}` but got dtype "
                               f"{CPP_NAMES[t.dtype.name]}")
    result = lerp_p(input, end, weight)
    return finish_out(result, out)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _expect_tensors("isclose", (input, other))
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{torch_type_name(input.dtype)} did not match "
                           f"{torch_type_name(other.dtype)}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not isinstance(tol, (int, float, np.integer, np.floating)):
            raise TypeError(f"isclose(): argument '{name}' must be float, not "
                            f"{type(tol).__name__}")
        if tol < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {tol}")
    return isclose_p(input, other, rtol=rtol, atol=atol, equal_nan=bool(equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _expect_tensors("allclose", (input, other))
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other):
    """True if both have the same shape and values (of any dtypes: 1 == 1.0, NaN != NaN)."""
    _expect_tensors("equal", (input, other))
    return input.shape == other.shape and bool(eq_p(input, other)._data.all())


# -- in-place methods and Python operators --------------------------------------------------------

def abs_(self):
    if self.dtype.category == dt.COMPLEX:
        raise RuntimeError("In-place abs is not supported for complex tensors.")
    return write_inplace(self, abs(self), "aten::abs_")


def _operator(fn, *, reflected=False, operands=_OPERANDS):
    """A Python operator over `fn(a, b)`: NotImplemented for an operand outside `operands`, so
    Python raises its TypeError (or, for ==, compares identities)."""
    if reflected:
        def op(self, other):
            try:
                return fn(other, self)
            except (AttributeError, TypeError):
                if isinstance(other, operands):
                    raise
                return NotImplemented
    else:
        def op(self, other):
            try:
                return fn(self, other)
            except (AttributeError, TypeError):
                if isinstance(other, operands):
                    raise
                return NotImplemented
    return op


def _floor_div_p(a, b):
    return div_p(a, b, rounding_mode="floor")


def __neg__(self):
    return neg_p(self)


def __abs__(self):
    return abs_p(self)


def __invert__(self):
    if self.dtype.category > dt.INT:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not_p(self)


_INPLACE = {f.__name__ + "_": inplace_method(f) for f in (
    add, sub, mul, div, true_divide, floor_divide, pow, remainder, fmod, atan2, hypot, copysign,
    lerp, eq, ne, lt, le, gt, ge, logical_and, logical_or, logical_xor, logical_not, bitwise_and,
    bitwise_or, bitwise_xor, bitwise_not, bitwise_left_shift, bitwise_right_shift, neg)}
_INPLACE["abs_"] = abs_

# PyTorch's alternative names, as functions and methods (with their in-place forms).
_ALIASES = {"subtract": "sub", "multiply": "mul", "divide": "div", "arctan2": "atan2",
            "greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
            "not_equal": "ne", "negative": "neg", "absolute": "abs"}
subtract, multiply, divide, arctan2 = sub, mul, div, atan2
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
negative, absolute = neg, abs

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "pow", "maximum", "minimum", "fmax", "fmin", "atan2", "arctan2", "hypot",
    "copysign", "lerp", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
    "less_equal", "not_equal", "isclose", "allclose", "equal", "logical_and", "logical_or",
    "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "bitwise_left_shift", "bitwise_right_shift", "neg", "negative", "positive", "abs", "absolute",
]
METHODS = {name: globals()[name] for name in __all__}
METHODS.update(_INPLACE)
METHODS.update({alias + "_": _INPLACE[name + "_"] if name == "abs" else
                inplace_method(globals()[name], alias) for alias, name in _ALIASES.items()})
METHODS.update({
    "__add__": _operator(add_p), "__radd__": _operator(add_p, reflected=True),
    "__sub__": _operator(sub_p), "__rsub__": _operator(sub_p, reflected=True),
    "__mul__": _operator(mul_p), "__rmul__": _operator(mul_p, reflected=True),
    "__truediv__": _operator(div_p), "__rtruediv__": _operator(div_p, reflected=True),
    "__floordiv__": _operator(_floor_div_p),
    "__rfloordiv__": _operator(_floor_div_p, reflected=True),
    "__mod__": _operator(remainder_p), "__rmod__": _operator(remainder_p, reflected=True),
    "__pow__": _operator(pow_p), "__rpow__": _operator(pow_p, reflected=True),
    "__and__": _operator(bitwise_and_p), "__rand__": _operator(bitwise_and_p, reflected=True),
    "__or__": _operator(bitwise_or_p), "__ror__": _operator(bitwise_or_p, reflected=True),
    "__xor__": _operator(bitwise_xor_p), "__rxor__": _operator(bitwise_xor_p, reflected=True),
    "__lshift__": _operator(left_shift_p),
    "__rlshift__": _operator(left_shift_p, reflected=True),
    "__rshift__": _operator(right_shift_p),
    "__rrshift__": _operator(right_shift_p, reflected=True),
    "__eq__": _operator(eq_p), "__ne__": _operator(ne_p), "__lt__": _operator(lt_p),
    "__le__": _operator(le_p), "__gt__": _operator(gt_p), "__ge__": _operator(ge_p),
    "__iadd__": _operator(_INPLACE["add_"]), "__isub__": _operator(_INPLACE["sub_"]),
    "__imul__": _operator(_INPLACE["mul_"]), "__itruediv__": _operator(_INPLACE["div_"]),
    "__ifloordiv__": _operator(_INPLACE["floor_divide_"]),
    "__imod__": _operator(_INPLACE["remainder_"]), "__ipow__": _operator(_INPLACE["pow_"]),
    "__iand__": _operator(_INPLACE["bitwise_and_"]), "__ior__": _operator(_INPLACE["bitwise_or_"]),
    "__ixor__": _operator(_INPLACE["bitwise_xor_"]),
    "__ilshift__": _operator(_INPLACE["bitwise_left_shift_"]),
    "__irshift__": _operator(_INPLACE["bitwise_right_shift_"]),
    "__neg__": __neg__, "__pos__": positive, "__abs__": __abs__, "__invert__": __invert__,
})
