"""Elementwise primitives: arithmetic, comparison, logical and bitwise ops, unary math.

Forward bodies take arrays (or Python scalars) and the array namespace `xp`. PyTorch's promotion
decides the result dtype before NumPy runs, because NumPy's differs (int32 + float32 is float64
there, float32 here; a Python float leaves an int tensor as the default float dtype here).
"""

import numpy as np

from .._core import dtype as dt
from .._core._tensor import get_default_dtype, result_type_of
from ._checks import broadcast_error, torch_type_name
from .mutation import write_out
from .primitive import ELEMENTWISE, LINEAR, Primitive


def _shape(x):
    return getattr(x, "shape", ())


def _float_result(d):
    """Integral and bool inputs of a float-only function compute in the default dtype."""
    return get_default_dtype() if d.category < dt.FLOAT else d


def _check_int(name, d):
    if d.category > dt.INT:
        raise RuntimeError(f'"{name}_cpu" not implemented for \'{torch_type_name(d)}\'')


def _call(ufunc, a, b, d):
    """Run a binary ufunc computing in dtype `d`, with PyTorch's errors and integer wraparound."""
    try:
        return ufunc(a, b, dtype=d)
    except ValueError:
        if np.broadcast_shapes is not None and _shape(a) != _shape(b):
            try:
                np.broadcast_shapes(_shape(a), _shape(b))
            except ValueError:
                raise broadcast_error(_shape(a), _shape(b)) from None
        raise
    except OverflowError:
        # A Python int outside the tensor's range wraps, as in PyTorch's C++ cast.
        return ufunc(np.asarray(a).astype(d), np.asarray(b).astype(d), dtype=d)


# -- binary arithmetic ----------------------------------------------------------------------------

def _promoting(ufunc):
    def fwd(xp, a, b):
        return _call(ufunc, a, b, result_type_of((a, b)).np)
    fwd.__name__ = ufunc.__name__
    return fwd


def _div_fwd(xp, a, b, *, rounding_mode=None):
    d = result_type_of((a, b))
    if rounding_mode is None:
        return _call(np.true_divide, a, b, _float_result(d).np)
    if rounding_mode == "floor":
        if d.category == dt.INT:
            _check_zero_division(b)
        return _call(np.floor_divide, a, b, d.np)
    if rounding_mode == "trunc":
        if d.category <= dt.INT:
            _check_zero_division(b)
            q = _call(np.floor_divide, a, b, d.np)
            # floor and trunc differ where the signs differ and the division is inexact.
            inexact = np.remainder(a, b, dtype=d.np) != 0
            fix = inexact & ((np.asarray(a) < 0) != (np.asarray(b) < 0))
            return (q + fix).astype(d.np, copy=False)
        return np.trunc(_call(np.true_divide, a, b, d.np))
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found '{rounding_mode}'")


def _check_zero_division(b):
    if np.any(np.asarray(b) == 0):
        raise ZeroDivisionError("ZeroDivisionError")


def _pow_fwd(xp, a, b):
    d = result_type_of((a, b))
    if d.category <= dt.INT and np.any(np.asarray(b) < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _call(np.power, a, b, d.np)


add_p = Primitive("add", xp=_promoting(np.add), jvp=LINEAR, batch=ELEMENTWISE)
sub_p = Primitive("sub", xp=_promoting(np.subtract), jvp=LINEAR, batch=ELEMENTWISE)
mul_p = Primitive("mul", xp=_promoting(np.multiply), batch=ELEMENTWISE)
div_p = Primitive("div", xp=_div_fwd, batch=ELEMENTWISE)
pow_p = Primitive("pow", xp=_pow_fwd, batch=ELEMENTWISE)


# -- public functions -----------------------------------------------------------------------------

def _is_bool(x):
    d = result_type_of((x,))
    return d is dt.bool


def add(input, other, *, alpha=1, out=None):
    if alpha != 1:
        other = mul(other, alpha)
    return _out(add_p(input, other), out)


def sub(input, other, *, alpha=1, out=None):
    if _is_bool(input) and _is_bool(other):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    return _out(sub_p(input, other), out)


def mul(input, other, *, out=None):
    return _out(mul_p(input, other), out)


def div(input, other, *, rounding_mode=None, out=None):
    return _out(div_p(input, other, rounding_mode=rounding_mode), out)


def pow(input, exponent, *, out=None):
    return _out(pow_p(input, exponent), out)


def _out(result, out):
    return result if out is None else write_out(out, result)


__all__ = ["add", "sub", "mul", "div", "pow"]
METHODS = {
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow,
    "__add__": add, "__radd__": lambda self, other: add(other, self),
    "__sub__": sub, "__rsub__": lambda self, other: sub(other, self),
    "__mul__": mul, "__rmul__": lambda self, other: mul(other, self),
    "__truediv__": div, "__rtruediv__": lambda self, other: div(other, self),
    "__pow__": pow, "__rpow__": lambda self, other: pow(other, self),
}
