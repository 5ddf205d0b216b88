"""Conversions between dtypes and devices (Tensor.to, .type, .float(), ...) and dtype queries.

A change of dtype is the one primitive here; everything else decides whether a conversion is
needed at all (PyTorch returns the tensor itself when nothing changes and copy=False).
"""

import builtins
import warnings

import numpy as np

from .._core import dtype as dt
from .._core._tensor import TensorBase, dtype_of, result_type_of
from .._core.device import check_cpu, to_device
from .._core.device import device as device_type
from ._checks import LEGACY_NAMES, check_tensor
from .primitive import ELEMENTWISE, LINEAR, Primitive


def _convert_fwd(xp, a, *, dtype):
    if a.dtype.kind == "c" and dtype.category < dt.COMPLEX and dtype is not dt.bool:
        a = a.real  # the public functions warn, in PyTorch's words, not NumPy's
    if a.dtype.kind in "fc" and dtype.category == dt.INT:
        # NaN and out-of-range floats convert to whatever the C cast gives, silently, as in
        # PyTorch; NumPy would warn.
        with np.errstate(invalid="ignore"):
            return a.astype(dtype.np)
    return a.astype(dtype.np)


def _convert_vjp(ct, out, a, *, dtype):
    # derivatives.yaml _to_copy_backward: the cotangent cast back to the input's dtype, a complex
    # one keeping its real part for a real input (the forward's own complex -> real rule).
    d = a.dtype
    return (ct if ct.dtype is d else convert_element_type_p(ct, dtype=d),)


# A primitive so that autograd can give the cast its own VJP (the cotangent cast back to the
# input's dtype). The JVP is the same cast applied to the tangent.
convert_element_type_p = Primitive("convert_element_type", xp=_convert_fwd, vjp=_convert_vjp,
                                   jvp=LINEAR, batch=ELEMENTWISE)


def _convert(self, d, copy=False):
    src = dtype_of(self._data)
    if d is src and not copy:
        return self
    if src.category == dt.COMPLEX and dt.BOOL < d.category < dt.COMPLEX:
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning,
                      stacklevel=3)
    return convert_element_type_p(self, dtype=d)


def _is_dtype_arg(a):
    return isinstance(a, (dt.dtype, builtins.type, np.dtype))


def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    """to(dtype), to(device, dtype=None), to(other): self when nothing changes and copy=False."""
    args = list(args)
    if args:
        first = args[0]
        if isinstance(first, TensorBase):
            dtype, device = first.dtype, first.device
            args.pop(0)
        elif _is_dtype_arg(first):
            dtype = args.pop(0)
        elif first is None or isinstance(first, (str, int, device_type)):
            device = args.pop(0)
            if args and (args[0] is None or _is_dtype_arg(args[0])):
                dtype = args.pop(0)
    if len(args) > 2 or not all(isinstance(a, builtins.bool) for a in args):
        got = ", ".join(builtins.type(a).__name__ for a in args)
        raise TypeError(f"to() received an invalid combination of arguments - got ({got}) after "
                        "the device and dtype")
    if len(args) == 2:
        copy = args[1]
    check_cpu(device)
    d = dtype_of(self._data) if dtype is None else dt.to_dtype(dtype)
    return _convert(self, d, copy)


_BY_LEGACY_NAME = {name: d for d, name in LEGACY_NAMES.items()}


def type(self, dtype=None, non_blocking=False, **kwargs):
    """type(): the legacy type name ('lamina.FloatTensor'); type(dtype or name): a conversion."""
    if dtype is None:
        return LEGACY_NAMES[dtype_of(self._data)]
    if isinstance(dtype, str):
        d = _BY_LEGACY_NAME.get(dtype)
        if d is None:
            raise ValueError(f"invalid type: '{dtype}'")
    elif _is_dtype_arg(dtype):
        d = dt.to_dtype(dtype)
    else:
        raise TypeError("dtype must be a type, str, or dtype object")
    return _convert(self, d)


def type_as(self, other):
    if not isinstance(other, TensorBase):
        raise TypeError(f"type_as(): argument 'other' (position 1) must be Tensor, not "
                        f"{builtins.type(other).__name__}")
    return _convert(self, dtype_of(other._data))


def _caster(name, d):
    def cast(self, memory_format=None):
        return _convert(self, d)
    cast.__name__ = cast.__qualname__ = name
    cast.__doc__ = f"self.to(lamina.{d.name})"
    return cast


_CASTS = {"bool": dt.bool, "byte": dt.uint8, "char": dt.int8, "short": dt.int16, "int": dt.int32,
          "long": dt.int64, "half": dt.float16, "float": dt.float32, "double": dt.float64,
          "cfloat": dt.complex64, "cdouble": dt.complex128}


def cpu(self, memory_format=None):
    return self


def cuda(self, device=None, non_blocking=False, memory_format=None):
    d = to_device("cuda" if device is None else device)
    if d.type != "cuda":
        raise RuntimeError("Invalid device, must be cuda device")
    check_cpu(d)  # refuses every cuda device until the CuPy backend lands


# -- dtype and tensor queries ---------------------------------------------------------------------

def _arg_error(name, arg, pos, expected, value):
    return TypeError(f"{name}(): argument '{arg}' (position {pos}) must be {expected}, not "
                     f"{builtins.type(value).__name__}")


def _check_dtypes(name, a, b, names):
    for pos, (arg, value) in enumerate(zip(names, (a, b)), 1):
        if not isinstance(value, dt.dtype):
            raise _arg_error(name, arg, pos, "lamina.dtype", value)


def result_type(tensor, other):
    """The dtype `tensor` and `other` (each a Tensor or a number) promote to."""
    for pos, (arg, value) in enumerate((("tensor", tensor), ("other", other)), 1):
        if not isinstance(value, (TensorBase, builtins.bool, builtins.int, builtins.float,
                                  builtins.complex)):
            raise _arg_error("result_type", arg, pos, "Tensor or Number", value)
    return result_type_of((tensor, other))


def promote_types(type1, type2):
    _check_dtypes("promote_types", type1, type2, ("type1", "type2"))
    return dt.promote_types(type1, type2)


def can_cast(from_, to):
    _check_dtypes("can_cast", from_, to, ("from_", "to"))
    return dt.can_cast(from_, to)


def is_tensor(obj):
    return isinstance(obj, TensorBase)


def is_floating_point(input):
    check_tensor("is_floating_point", input)
    return dtype_of(input._data).category == dt.FLOAT


def is_complex(input):
    check_tensor("is_complex", input)
    return dtype_of(input._data).category == dt.COMPLEX


def numel(input):
    check_tensor("numel", input)
    return input._data.size


def is_nonzero(input):
    check_tensor("is_nonzero", input)
    n = input._data.size
    if n != 1:
        what = "no values" if n == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
    return builtins.bool(input._data.reshape(()).item())


__all__ = ["result_type", "promote_types", "can_cast", "is_tensor", "is_floating_point",
           "is_complex", "numel", "is_nonzero"]
METHODS = {"to": to, "type": type, "type_as": type_as, "cpu": cpu, "cuda": cuda,
           "is_nonzero": is_nonzero, **{name: _caster(name, d) for name, d in _CASTS.items()}}
