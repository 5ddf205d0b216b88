"""Argument checks and error messages shared by the op families, in PyTorch's words."""

import math
import numbers

import numpy as np

from .._core import dtype as dt
from .._core._tensor import TensorBase, get_default_dtype


def broadcast_error(*shapes):
    """PyTorch's message for operands whose shapes do not broadcast, naming the first bad dim."""
    ndim = max(len(s) for s in shapes)
    for back in range(1, ndim + 1):
        sizes = [s[-back] for s in shapes if len(s) >= back]
        big = list(dict.fromkeys(n for n in sizes if n != 1))  # distinct, in operand order
        if len(big) > 1:
            return RuntimeError(
                f"The size of tensor a ({big[0]}) must match the size of tensor b ({big[1]}) at "
                f"non-singleton dimension {ndim - back}")
    return RuntimeError(f"shapes {', '.join(str(list(s)) for s in shapes)} cannot be broadcast")


def broadcast_shape(*shapes):
    """The shape `shapes` broadcast to, or PyTorch's RuntimeError naming the first bad dim."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise broadcast_error(*shapes) from None


def check_tensor(name, x, arg="input", position=1):
    """PyTorch's TypeError for an argument that must be a Tensor; returns `x`."""
    if not isinstance(x, TensorBase):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type(x).__name__}")
    return x


# scipy's BLAS and LAPACK take 32-bit integers (LP64), and reference LAPACK addresses column j at
# j * lda in that width: a matrix whose sizes or element count pass 2^31 - 1 would overflow inside
# the call. The kernels' own checks come after the op has allocated its outputs (17 GB for
# n = 46341), so the primitives ask this first. Empty matrices never reach LAPACK.
LAPACK_INT_MAX = 2**31 - 1


def check_lapack_size(name, *arrays):
    """RuntimeError naming the limit unless each non-empty (..., rows, cols) array in `arrays`
    fits LAPACK's 32-bit integers: rows, cols and rows * cols at most 2^31 - 1."""
    for a in arrays:
        rows, cols = a.shape[-2:]
        if rows * cols and max(rows, cols, rows * cols) > LAPACK_INT_MAX:
            raise RuntimeError(f"{name}: a {rows}x{cols} matrix is past the 32-bit integer "
                               f"sizes of LP64 BLAS/LAPACK (rows, columns and their product "
                               f"must be at most 2^31 - 1)")


def float_result(d):
    """Integral and bool inputs of a float-only function compute in the default dtype."""
    return get_default_dtype() if d.category < dt.FLOAT else d


# -- type names -----------------------------------------------------------------------------------

_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def torch_type_name(d):
    """PyTorch's C++ scalar-type name, which its error messages use: Float, Long, ..."""
    return _TORCH_NAMES[d.name]


# The legacy tensor-type names that Tensor.type() returns and expand's message prints.
LEGACY_NAMES = {d: f"lamina.{torch_type_name(d)}Tensor" for d in dt.ALL}


def not_implemented(kernel, d):
    """PyTorch's error for a dtype that its kernel `kernel` was not compiled for."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{torch_type_name(d)}\'')


# -- PyTorch's checked conversion of a Python number to a dtype -----------------------------------

# The C++ type names in PyTorch's "value cannot be converted" message.
CONVERT_NAMES = {"bool": "bool", "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t",
                  "int32": "int", "int64": "int64_t", "float16": "c10::Half", "float32": "float",
                  "float64": "double", "complex64": "c10::complex<float>",
                  "complex128": "c10::complex<double>"}
# Each dtype's (lowest, highest) finite value; a complex dtype's bounds each part. Computed once:
# np.iinfo and np.finfo cost a microsecond per call, and clamp checks its bounds on every call.
RANGES = {d: (0, 1) if d.category == dt.BOOL
          else (int(np.iinfo(d.np).min), int(np.iinfo(d.np).max)) if d.category == dt.INT
          else (-float(np.finfo(d.np).max), float(np.finfo(d.np).max)) for d in dt.ALL}


def overflow_error(d):
    return RuntimeError(f"value cannot be converted to type {CONVERT_NAMES[d.name]} without "
                        "overflow")


def checked_value(value, d):
    """A real number `value` checked against dtype `d`'s range as PyTorch checks it: returned
    unchanged, or wrapped into an unsigned type; RuntimeError where it overflows `d`.

    An unsigned type takes an integer in -max..-1 as its two's complement (uint8 takes -1 as
    255, so `a - b` can be `a + 255 * b`), but not -1.0. A float type takes inf and nan; an int
    type takes neither.
    """
    low, high = RANGES[d]
    # A NumPy scalar is compared as a Python number: NumPy would cast the bounds to its dtype.
    v = value.item() if isinstance(value, np.generic) else value
    if low <= v <= high:
        return value
    if d.category == dt.INT:
        if low == 0 and -high <= v < 0 and isinstance(v, numbers.Integral):
            return int(v) + high + 1
    elif isinstance(v, float) and not math.isfinite(v):
        return value
    raise overflow_error(d)


def checked_scalar(value, d, *, half_to_inf=False):
    """A Python or NumPy number as a 0-dim array of dtype `d`, refusing what PyTorch's checked
    conversion refuses: 200 for int8, 1e39 for float32, 1+1j for a real dtype, nan for an int.

    `half_to_inf`: float16 takes any real number, rounding a large one to inf, and a complex
    number's check is in double — what PyTorch's setitem and where do (its fill ops check the
    float16 range as for any other dtype).
    """
    c = d.category
    if c == dt.BOOL:
        return np.asarray(bool(value))
    half_unchecked = half_to_inf and d is dt.float16
    if isinstance(value, (complex, np.complexfloating)) and c < dt.COMPLEX:
        if value.imag != 0:
            raise overflow_error(dt.float64 if half_unchecked else d)
        value = value.real
    if c == dt.INT:
        return np.asarray(int(checked_value(value, d))).astype(d.np)
    if half_unchecked:
        with np.errstate(over="ignore"):
            return np.asarray(value, dtype=d.np)
    for part in (value.real, value.imag) if c == dt.COMPLEX else (value,):
        checked_value(part, d)
    return np.asarray(value, dtype=d.np)


# C++ type names, which some of PyTorch's dtype messages use (matmul, lerp, multi_dot).
CPP_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double",
              "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
              "int8": "signed char", "uint8": "unsigned char", "int16": "short int",
              "int32": "int", "int64": "long int", "bool": "bool"}
