"""Op table entries for lamina/_ops/creation.py (the deterministic constructors).

The random constructors have no NumPy reference to compare values with; tests/test_random.py
checks their shapes, dtypes, ranges, moments and seeding by hand, and tests/test_creation.py
covers `empty`/`empty_like` (whose values are undefined), `from_numpy` (the sweep passes tensors,
not arrays) and the error messages.
"""

import numpy as np

import lamina as lm
from opdb import ALL_DTYPES, COMPLEX, FLOATING, INTEGRAL, ErrorInput, OpInfo, Sample, make_array

SHAPES = [(), (0,), (3,), (2, 3), (2, 1, 4)]
RANGE_DTYPES = INTEGRAL + ("float16",) + FLOATING
# One value per category that every dtype of it holds; full() infers these dtypes from them.
FILL = {"b": True, "i": 7, "u": 7, "f": -2.5, "c": 1.5 - 2j}
INFERRED = {"bool": True, "int64": 7, "float32": -2.5, "complex64": 1.5 - 2j}


def _np(d):
    """The NumPy dtype of a lamina dtype passed as `dtype=` (read from its name)."""
    return np.dtype(d.name)


def sized_samples(dtype, rng):
    d = getattr(lm, dtype)
    for shape in SHAPES:
        yield Sample(shape, {"dtype": d}, name=f"varargs{shape}")
        yield Sample((shape,), {"dtype": d}, name=f"tuple{shape}")
    yield Sample((), {"size": [2, 2], "dtype": d}, name="size_kw")


def _sized_ref(fill):
    def ref(*sizes, size=None, dtype):
        shape = size if size is not None else (
            sizes[0] if len(sizes) == 1 and isinstance(sizes[0], tuple) else sizes)
        return fill(tuple(shape), dtype=_np(dtype))
    return ref


def full_samples(dtype, rng):
    value = FILL[np.dtype(dtype).kind]
    for shape in SHAPES:
        yield Sample((shape, value), {"dtype": getattr(lm, dtype)}, name=str(shape))
    if dtype in INFERRED:
        yield Sample(((2, 3), INFERRED[dtype]), name="inferred")


INFERRED_FROM = {bool: "bool", int: "int64", float: "float32", complex: "complex64"}


def full_ref(size, value, dtype=None):
    return np.full(size, value, dtype=INFERRED_FROM[type(value)] if dtype is None else _np(dtype))


def eye_samples(dtype, rng):
    d = getattr(lm, dtype)
    for args in [(0,), (1,), (3,), (3, 5), (4, 2), (0, 3)]:
        yield Sample(args, {"dtype": d}, name=str(args))


def arange_samples(dtype, rng):
    d = getattr(lm, dtype)
    if np.dtype(dtype).kind in "iu":
        cases = [(5,), (2, 11, 3), (10, 0, -3), (0,), (4, 4)]
    else:
        cases = [(5.0,), (0, 1, 0.1), (-2.5, 3.0, 0.5), (5.0, 1.0, -0.75), (1.0, 1.0)]
    for args in cases:
        yield Sample(args, {"dtype": d}, name=str(args))


def arange_ref(*args, dtype):
    return np.arange(*args, dtype=np.float64 if _np(dtype).kind == "f" else np.int64).astype(
        _np(dtype))


# Integer cases keep every point exactly representable, so truncation cannot differ.
SPACE_CASES = {"int": [(0, 10, 5), (-5, 10, 4), (3, -9, 4), (2, 2, 1), (0, 4, 0)],
               "float": [(0, 1, 5), (-2.5, 3.0, 7), (1.0, -1.0, 2), (0.5, 0.5, 1), (0, 1, 0)],
               "complex": [(0, 1j, 3), (1 - 1j, -2 + 3j, 6), (0, 1, 4)]}


def _space_cases(dtype):
    kind = np.dtype(dtype).kind
    return SPACE_CASES["int" if kind in "iu" else "complex" if kind == "c" else "float"]


def linspace_samples(dtype, rng):
    for args in _space_cases(dtype):
        if np.dtype(dtype).kind == "u" and min(np.real(args[:2])) < 0:
            continue
        yield Sample(args, {"dtype": getattr(lm, dtype)}, name=str(args))


def linspace_ref(start, end, steps, dtype):
    return np.linspace(start, end, steps).astype(_np(dtype))


# Integer cases stay exact powers that int8 holds.
LOG_INT_CASES = [((0, 2, 3), {}), ((0, 6, 4), {"base": 2.0}), ((1, 1, 1), {}), ((0, 2, 0), {})]


def logspace_samples(dtype, rng):
    d = getattr(lm, dtype)
    if np.dtype(dtype).kind in "iu":
        cases = LOG_INT_CASES
    else:
        cases = [(args, kw) for args in _space_cases(dtype) for kw in ({}, {"base": 2.0})]
    for args, kw in cases:
        yield Sample(args, {**kw, "dtype": d}, name=f"{args}-{kw.get('base', 10)}")


def logspace_ref(start, end, steps, base=10.0, dtype=None):
    return np.logspace(start, end, steps, base=base).astype(_np(dtype))


def like_samples(dtype, rng):
    for shape in SHAPES:
        yield Sample((make_array(shape, dtype, rng),), name=str(shape))
    yield Sample((make_array((2, 3), dtype, rng),), {"dtype": lm.float64}, name="dtype_kw")


def _like_ref(fill):
    def ref(a, dtype=None):
        return fill(a.shape, dtype=a.dtype if dtype is None else _np(dtype))
    return ref


def full_like_samples(dtype, rng):
    for shape in SHAPES:
        yield Sample((make_array(shape, dtype, rng), FILL[np.dtype(dtype).kind]),
                     name=str(shape))
    yield Sample((make_array((2, 3), dtype, rng), 3), {"dtype": lm.int16}, name="dtype_kw")


def full_like_ref(a, value, dtype=None):
    return np.full(a.shape, value, dtype=a.dtype if dtype is None else _np(dtype))


def data_samples(dtype, rng):
    for shape in SHAPES:
        yield Sample((make_array(shape, dtype, rng),), name=str(shape))


def _errors(*cases):
    return lambda: [ErrorInput(Sample(args, kwargs, name=name), exc, match)
                    for name, args, kwargs, exc, match in cases]


OPS = [
    OpInfo("zeros", lm.zeros, _sized_ref(np.zeros), sized_samples, dtypes=ALL_DTYPES,
           layouts=False,
           errors=_errors(("negative", (2, -1), {}, RuntimeError, "negative dimension -1"),
                          ("float", (2.0,), {}, TypeError, "must be tuple of ints"))),
    OpInfo("ones", lm.ones, _sized_ref(np.ones), sized_samples, dtypes=ALL_DTYPES,
           layouts=False),
    OpInfo("full", lm.full, full_ref, full_samples, dtypes=ALL_DTYPES, layouts=False,
           errors=_errors(
               ("int_size", (2, 1.0), {}, TypeError, "must be tuple of ints, not int"),
               ("overflow", ((2,), 300), {"dtype": lm.int8}, RuntimeError,
                "value cannot be converted to type int8_t without overflow"),
               ("complex", ((2,), 1j), {"dtype": lm.float32}, RuntimeError,
                "value cannot be converted to type float without overflow"))),
    OpInfo("eye", lm.eye, lambda n, m=None, dtype=None: np.eye(n, m, dtype=_np(dtype)),
           eye_samples, dtypes=ALL_DTYPES,
           errors=_errors(("negative", (-1,), {}, RuntimeError,
                           "n must be greater or equal to 0, got -1"),
                          ("negative_m", (2, -1), {}, RuntimeError,
                           "m must be greater or equal to 0, got -1"))),
    OpInfo("arange", lm.arange, arange_ref, arange_samples, dtypes=RANGE_DTYPES,
           errors=_errors(
               ("zero_step", (0, 5, 0), {}, RuntimeError, "step must be nonzero"),
               ("sign", (5, 0, 1), {}, RuntimeError,
                "upper bound and lower bound inconsistent with step sign"),
               ("inf", (0, float("inf")), {}, RuntimeError, r"unsupported range: 0 -> inf"),
               ("bool", (3,), {"dtype": lm.bool}, NotImplementedError,
                "\"arange_cpu\" not implemented for 'Bool'"))),
    OpInfo("linspace", lm.linspace, linspace_ref, linspace_samples,
           dtypes=RANGE_DTYPES + COMPLEX,
           errors=_errors(
               ("negative", (0, 1, -1), {}, RuntimeError, "number of steps must be non-negative"),
               ("complex", (1j, 2, 3), {"dtype": lm.float32}, RuntimeError,
                "inferred dtype c10::complex<float> can't be safely cast to passed dtype "
                "Float"))),
    OpInfo("logspace", lm.logspace, logspace_ref, logspace_samples,
           dtypes=RANGE_DTYPES + COMPLEX),
    OpInfo("zeros_like", lm.zeros_like, _like_ref(np.zeros), like_samples, dtypes=ALL_DTYPES,
           errors=_errors(("not_tensor", (3,), {}, TypeError,
                           r"zeros_like\(\): argument 'input' \(position 1\) must be Tensor")),
           vmap=True),
    OpInfo("ones_like", lm.ones_like, _like_ref(np.ones), like_samples, dtypes=ALL_DTYPES,
           vmap=True),
    OpInfo("full_like", lm.full_like, full_like_ref, full_like_samples, dtypes=ALL_DTYPES,
           vmap=True),
    OpInfo("tensor", lm.tensor, np.array, data_samples, dtypes=ALL_DTYPES),
    OpInfo("as_tensor", lm.as_tensor, np.asarray, data_samples, dtypes=ALL_DTYPES),
]
