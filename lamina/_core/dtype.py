"""lamina's dtypes and PyTorch's type-promotion lattice.

Each dtype wraps the NumPy dtype that stores it. Promotion follows PyTorch, not NumPy: an integer
meeting a float takes the float (NumPy's int32 + float32 is float64, PyTorch's is float32), and
uint8 meeting int8 widens to int16. Operand tiers (dimensioned tensors, 0-dim tensors, Python
scalars) are combined in `_tensor.pyx`, which owns the per-call hot path.
"""

import builtins

import numpy as np

# Category order: a higher category wins a promotion regardless of width.
BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3


class dtype:
    __slots__ = ("name", "np", "itemsize", "category", "index", "is_signed")

    def __init__(self, name, np_dtype, category, index):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category
        self.index = index
        self.is_signed = name not in ("bool", "uint8")

    @property
    def is_floating_point(self):
        return self.category == FLOAT

    @property
    def is_complex(self):
        return self.category == COMPLEX

    def to_real(self):
        return _REAL_OF.get(self, self)

    def to_complex(self):
        if self.category == COMPLEX:
            return self
        if self.category != FLOAT:
            raise RuntimeError(f"to_complex is not supported for lamina.{self.name}")
        return _COMPLEX_OF[self]

    def __repr__(self):
        return f"lamina.{self.name}"

    def __reduce__(self):
        return self.name


# Ordered so that, inside a category, a larger index holds every value of a smaller one (uint8 is
# the exception that promote_types handles).
bool = dtype("bool", np.bool_, BOOL, 0)
uint8 = dtype("uint8", np.uint8, INT, 1)
int8 = dtype("int8", np.int8, INT, 2)
int16 = dtype("int16", np.int16, INT, 3)
int32 = dtype("int32", np.int32, INT, 4)
int64 = dtype("int64", np.int64, INT, 5)
float16 = dtype("float16", np.float16, FLOAT, 6)
float32 = dtype("float32", np.float32, FLOAT, 7)
float64 = dtype("float64", np.float64, FLOAT, 8)
complex64 = dtype("complex64", np.complex64, COMPLEX, 9)
complex128 = dtype("complex128", np.complex128, COMPLEX, 10)

ALL = (bool, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128)
BY_NAME = {d.name: d for d in ALL}
ALIASES = {
    "half": float16, "float": float32, "double": float64, "short": int16, "int": int32,
    "long": int64, "cfloat": complex64, "cdouble": complex128,
}
BY_NAME.update(ALIASES)

_REAL_OF = {complex64: float32, complex128: float64}
_COMPLEX_OF = {float16: complex64, float32: complex64, float64: complex128}

# NumPy spells int64 both 'l' and 'q' (and int32 both 'i' and 'l' on some platforms): key on the
# dtype's kind and size rather than on its type number.
BY_NUMPY = {d.np: d for d in ALL}


def from_numpy_dtype(np_dtype):
    """The lamina dtype stored as `np_dtype`; TypeError (PyTorch's wording) for any other."""
    d = BY_NUMPY.get(np.dtype(np_dtype))
    if d is None:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only "
            "supported types are: float64, float32, float16, complex64, complex128, int64, "
            "int32, int16, int8, uint8, and bool.")
    return d


def _promote_pair(a, b):
    if a is b:
        return a
    if a.index > b.index:
        a, b = b, a
    if a.category == BOOL:
        return b
    if a.category == b.category:
        if a is uint8:  # uint8 and int8 share no range: widen to the smallest that holds both
            return int16 if b is int8 else b
        return b
    if b.category == COMPLEX and a.category == FLOAT:
        return complex128 if a is float64 else b
    return b  # a lower category never widens a higher one: int32 + float16 is float16


# PROMOTE[i][j]: promote_types(ALL[i], ALL[j]); indexed by dtype.index on the hot path.
PROMOTE = [[_promote_pair(a, b) for b in ALL] for a in ALL]


def promote_types(type1, type2):
    return PROMOTE[type1.index][type2.index]


def can_cast(from_, to):
    """PyTorch's rule: no float to integral, no complex to non-complex, no non-bool to bool."""
    if from_.category > to.category:
        return False
    return not (to.category == BOOL and from_.category != BOOL)


_PY_TYPES = {builtins.float: float64, builtins.int: int64, builtins.bool: bool,
             builtins.complex: complex128}


def to_dtype(d):
    """Accept a lamina dtype, a Python type (float is float64, as in PyTorch) or a NumPy dtype."""
    if isinstance(d, dtype) or d is None:
        return d
    found = _PY_TYPES.get(d)
    if found is not None:
        return found
    try:
        return from_numpy_dtype(d)
    except TypeError:
        raise TypeError(f"expected a lamina dtype, but got {d!r}") from None


# PyTorch's alias names; defined last because they shadow Python's builtins in this module.
half, float, double, short, int, long = float16, float32, float64, int16, int32, int64
cfloat, cdouble = complex64, complex128
