"""Op table entries for lamina/_ops/conversion.py.

The promotion rules behind result_type / promote_types / can_cast are swept against an
independent table in tests/test_promotion.py; here each has its same-dtype cases.
"""

import dataclasses

import numpy as np

import lamina as lm
from opdb import ALL_DTYPES, ErrorInput, OpInfo, Sample, make_array

SHAPES = [(), (0,), (4,), (2, 3), (2, 1, 3)]
CASTS = {"bool": "bool", "byte": "uint8", "char": "int8", "short": "int16", "int": "int32",
         "long": "int64", "half": "float16", "float": "float32", "double": "float64",
         "cfloat": "complex64", "cdouble": "complex128"}


def _arrays(dtype, rng):
    for shape in SHAPES:
        yield shape, make_array(shape, dtype, rng)


def unary_samples(dtype, rng):
    for shape, a in _arrays(dtype, rng):
        yield Sample((a,), name=str(shape))


def to_samples(dtype, rng):
    for shape, a in _arrays(dtype, rng):
        for target in ("int64", "float64", "complex64", dtype):
            yield Sample((a, getattr(lm, target)), name=f"{shape}-{target}")
    yield Sample((a, "cpu"), name="device")
    yield Sample((a, "cpu", lm.float32), name="device_dtype")
    yield Sample((a,), {"dtype": lm.int16, "copy": True}, name="kwargs")
    yield Sample((a, np.zeros(2, np.int8)), name="other")


def to_grad_samples(dtype, rng):
    """Casts between the double dtypes only: gradcheck cannot difference through a narrower one."""
    for target in ("float64", "complex128"):
        yield Sample((make_array((2, 3), dtype, rng), getattr(lm, target)), name=target)
    yield Sample((make_array((4,), dtype, rng), "cpu", lm.float64), name="device_dtype")
    yield Sample((make_array((), dtype, rng),), {"dtype": lm.complex128, "copy": True},
                 name="kwargs")


def _cast(a, dtype):
    """NumPy's cast with PyTorch's complex -> real rule (the real part), quietly."""
    if a.dtype.kind == "c" and dtype.kind not in "cb":
        a = a.real
    return a.astype(dtype)


def to_ref(a, *args, dtype=None, copy=False):
    target = next((x for x in args if not isinstance(x, str)), dtype)
    if isinstance(target, np.ndarray):
        return _cast(a, target.dtype)
    return a if target is None else _cast(a, np.dtype(target.name))


def type_samples(dtype, rng):
    for shape, a in _arrays(dtype, rng):
        yield Sample((a, lm.float64), name=str(shape))
        yield Sample((a, "lamina.IntTensor"), name=f"{shape}-name")


def type_ref(a, target):
    return _cast(a, np.dtype("int32" if isinstance(target, str) else target.name))


def _cast_info(method, target):
    return OpInfo(f"Tensor.{method}", getattr(lm.Tensor, method),
                  lambda a: _cast(a, np.dtype(target)), unary_samples, dtypes=ALL_DTYPES,
                  method=method)


def pair_samples(dtype, rng):
    for shape, a in _arrays(dtype, rng):
        yield Sample((a, make_array(shape, dtype, rng)), name=str(shape))


def dtype_pair_samples(dtype, rng):
    yield Sample((getattr(lm, dtype), getattr(lm, dtype)), name=dtype)


def _errors(*cases):
    return lambda: [ErrorInput(Sample(args, kwargs, name=name), exc, match)
                    for name, args, kwargs, exc, match in cases]


OPS = [
    OpInfo("Tensor.to", lm.Tensor.to, to_ref, to_samples, dtypes=ALL_DTYPES, method="to",
           errors=_errors(("cuda", (np.zeros(2), "cuda"), {}, RuntimeError, "no CUDA backend"),
                          ("bad_device", (np.zeros(2), "float64"), {}, RuntimeError,
                           "Expected one of cpu, cuda device type"))),
    OpInfo("Tensor.type", lm.Tensor.type, type_ref, type_samples, dtypes=ALL_DTYPES,
           method="type",
           errors=_errors(("bad_name", (np.zeros(2), "DoubleTensor"), {}, ValueError,
                           "invalid type: 'DoubleTensor'"),
                          ("bad_kind", (np.zeros(2), 3), {}, TypeError,
                           "dtype must be a type, str, or dtype object"))),
    OpInfo("Tensor.type_as", lm.Tensor.type_as, lambda a, b: _cast(a, b.dtype), pair_samples,
           dtypes=ALL_DTYPES, method="type_as"),
    OpInfo("Tensor.cpu", lm.Tensor.cpu, lambda a: a, unary_samples, dtypes=ALL_DTYPES,
           method="cpu"),
    *[_cast_info(method, target) for method, target in CASTS.items()],
    OpInfo("result_type", lm.result_type, lambda a, b: getattr(lm, a.dtype.name), pair_samples,
           dtypes=ALL_DTYPES,
           errors=_errors(("str", ("a", 1), {}, TypeError, "must be Tensor or Number"))),
    OpInfo("promote_types", lm.promote_types, lambda a, b: a, dtype_pair_samples,
           dtypes=ALL_DTYPES, layouts=False,
           errors=_errors(("int", (lm.uint8, 3), {}, TypeError,
                           r"argument 'type2' \(position 2\) must be lamina.dtype, not int"))),
    OpInfo("can_cast", lm.can_cast, lambda a, b: True, dtype_pair_samples, dtypes=ALL_DTYPES,
           layouts=False),
    OpInfo("is_tensor", lm.is_tensor, lambda a: True, unary_samples, dtypes=ALL_DTYPES),
    OpInfo("is_floating_point", lm.is_floating_point, lambda a: a.dtype.kind == "f",
           unary_samples, dtypes=ALL_DTYPES, method="is_floating_point",
           errors=_errors(("int", (3,), {}, TypeError,
                           r"is_floating_point\(\): argument 'input' \(position 1\) must be "
                           "Tensor, not int"))),
    OpInfo("is_complex", lm.is_complex, lambda a: a.dtype.kind == "c", unary_samples,
           dtypes=ALL_DTYPES, method="is_complex"),
    OpInfo("numel", lm.numel, lambda a: a.size, unary_samples, dtypes=ALL_DTYPES,
           method="numel"),
    OpInfo("is_nonzero", lm.is_nonzero, lambda a: bool(a), lambda dtype, rng: [
        Sample((make_array(shape, dtype, rng),), name=str(shape))
        for shape in [(), (1,), (1, 1)]], dtypes=ALL_DTYPES, method="is_nonzero",
           errors=_errors(
               ("empty", (np.zeros(0),), {}, RuntimeError,
                "Boolean value of Tensor with no values is ambiguous"),
               ("many", (np.zeros(2),), {}, RuntimeError,
                "Boolean value of Tensor with more than one value is ambiguous"))),
]

def narrowing_grad_samples(dtype, rng):
    """Values of order 1e-9 for the casts to float32 / complex64: gradcheck's steps (1e-6) then
    dominate them, and float32 keeps such a step to 6e-8 relative, so the finite differences
    stay accurate through the narrower dtype."""
    for shape in ((2, 3), (4,), ()):
        yield Sample((make_array(shape, dtype, rng) * 1e-9,), name=str(shape))


# The differentiable conversions: name -> grad_samples (None: the forward samples).
_GRAD = {"Tensor.to": to_grad_samples, "Tensor.type": None, "Tensor.type_as": None,
         "Tensor.cpu": None, "Tensor.double": None, "Tensor.cdouble": None}
# The casts to float32 / complex64: grad only, as gradgradcheck differences the cotangent too,
# which is a tensor of the narrow dtype. (float16's spacing is too coarse even for gradcheck:
# tests/test_autograd_elementwise.py checks Tensor.half's gradient by hand.) No fwgrad either:
# the JVP sweep's <ct, J t> = <J^T ct, t> holds to double precision only, and tangents in float32
# meet it to float32's; tests/test_func_elementwise.py checks their tangents by hand.
_NARROWING = ("Tensor.float", "Tensor.cfloat")
OPS = [dataclasses.replace(info, grad=True, gradgrad=True, fwgrad=True,
                           grad_samples=_GRAD[info.name])
       if info.name in _GRAD else
       dataclasses.replace(info, grad=True, grad_samples=narrowing_grad_samples)
       if info.name in _NARROWING else info for info in OPS]
# vmap for the conversions; the queries return dtypes, numbers and bools, not tensors.
_QUERIES = ("result_type", "promote_types", "can_cast", "is_tensor", "is_floating_point",
            "is_complex", "numel", "is_nonzero")
OPS = [dataclasses.replace(info, vmap=info.name not in _QUERIES) for info in OPS]
