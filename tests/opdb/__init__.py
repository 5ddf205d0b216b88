"""The op table: every public op once, with samples, a NumPy/SciPy reference and its flags.

Each module of this package holds one `_ops` family's entries in a list named `OPS`; they are
collected here by discovery, so adding a family adds a module and nothing else. The generic tests
(test_ops.py, later test_autograd.py, test_vmap.py, test_cuda.py) sweep `ALL_OPS`.

Samples carry NumPy arrays; the tests turn each array into a tensor in several layouts
(contiguous, transposed, strided inside a sentinel-filled parent, negative strides) so a kernel
that mishandles strides, or reads or writes outside its view, fails.
"""

import importlib
import pkgutil
from dataclasses import dataclass, field

import numpy as np

import lamina as lm
from lamina.func._forward import Dual

FLOATING = ("float32", "float64")
COMPLEX = ("complex64", "complex128")
INTEGRAL = ("uint8", "int8", "int16", "int32", "int64")
ALL_DTYPES = ("bool",) + INTEGRAL + ("float16",) + FLOATING + COMPLEX
NUMERIC = INTEGRAL + FLOATING + COMPLEX          # what most arithmetic takes
FLOAT_AND_COMPLEX = FLOATING + COMPLEX

# Tolerances by result dtype; an entry may override them.
TOLERANCES = {"float16": (1e-2, 1e-2), "float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12),
              "complex64": (1e-5, 1e-6), "complex128": (1e-10, 1e-12)}


@dataclass
class Sample:
    """One call: positional and keyword arguments (NumPy arrays become tensors) and an id."""
    args: tuple
    kwargs: dict = field(default_factory=dict)
    name: str = ""


@dataclass
class ErrorInput:
    """A call that must raise `exc` with a message matching `match` (a regex)."""
    sample: Sample
    exc: type
    match: str


@dataclass
class OpInfo:
    name: str                      # public name as called: "add", "linalg.cholesky"
    op: object                     # the lamina callable, taking tensors where arrays are given
    ref: object                    # NumPy/SciPy reference on arrays; its result dtype is checked
    samples: object                # samples(dtype_name, rng) -> iterable of Sample
    dtypes: tuple = NUMERIC
    method: str = None             # Tensor method spelling, tested on the first argument too
    layouts: bool = True           # try every array argument in every layout
    check_dtype: bool = True
    tol: dict = None               # dtype name -> (rtol, atol), overriding TOLERANCES
    errors: object = None          # errors() -> iterable of ErrorInput
    inplace_first: bool = False    # the op writes its first argument (skips the unmodified check)
    # Flags for the transforms' sweeps; each issue that lands a transform turns them on.
    # grad_samples(dtype_name, rng) replaces `samples` for gradcheck where the forward samples
    # sit on points without a derivative (ties, kinks, non-finite values).
    grad_samples: object = None
    grad: bool = False
    fwgrad: bool = False
    gradgrad: bool = False
    vmap: bool = False
    skips: dict = field(default_factory=dict)  # dtype name -> reason


def projected_for_grad(fn, position, project, when=None):
    """fn with argument `position` first projected by `project(x, upper)` when it is
    differentiated: it requires grad, or it is a dual of lamina.func.jvp (carries a tangent),
    and `when(kwargs)` holds, if given; as PyTorch's gradcheck_wrapper_hermitian_input and
    _triangular_input do in both modes. These ops read one triangle of that argument while
    gradcheck perturbs every entry, and their derivatives (PyTorch's, which lamina returns) take
    the whole matrix. The forward sweep's tensors never require grad, so it calls fn on its
    inputs untouched (error inputs, non-tensors included)."""
    def call(*args, **kwargs):
        x = args[position]
        if (isinstance(x, lm.Tensor) and (x.requires_grad or isinstance(x, Dual))
                and (when is None or when(kwargs))):
            x = project(x, kwargs.get("upper", False))
            args = args[:position] + (x,) + args[position + 1:]
        return fn(*args, **kwargs)
    return call


def hermitian_part(A, upper=False):
    """(A + A^H) / 2: the projection for ops that read a Hermitian matrix from one triangle."""
    return (A + A.mH) * 0.5


def arrays_in(x):
    """The NumPy arrays of a sample argument, looking into lists and tuples (cat's tensors)."""
    if isinstance(x, np.ndarray):
        yield x
    elif isinstance(x, (list, tuple)):
        for e in x:
            yield from arrays_in(e)


def make_array(shape, dtype, rng, *, low=None, high=None):
    """Random values of a dtype name; floats in [-3, 3) by default, integers in a small range."""
    return np.asarray(_draw(shape, np.dtype(dtype), rng, low, high))


def _draw(shape, np_dtype, rng, low, high):
    if np_dtype == np.bool_:
        return rng.random(shape) < 0.5
    if np_dtype.kind in "iu":
        lo = -9 if low is None else int(low)
        lo = max(lo, 0) if np_dtype.kind == "u" else lo
        hi = 10 if high is None else int(high)
        return rng.integers(lo, hi, size=shape).astype(np_dtype)
    lo = -3.0 if low is None else low
    hi = 3.0 if high is None else high
    arr = rng.uniform(lo, hi, size=shape)
    if np_dtype.kind == "c":
        arr = arr + 1j * rng.uniform(lo, hi, size=shape)
    return np.asarray(arr).astype(np_dtype)


SENTINEL = {"b": True, "i": 123, "u": 123, "f": 1234.5, "c": 1234.5 + 6.5j}


def layouts(arr):
    """The same values in other memory layouts: (name, array) pairs.

    `strided` and `negstride` are views into parents filled with a sentinel; `check_parents`
    verifies afterwards that nothing outside the view changed.
    """
    yield "contig", arr
    if arr.ndim >= 2:
        yield "transposed", np.ascontiguousarray(arr.swapaxes(-1, -2)).swapaxes(-1, -2)
    if arr.ndim >= 1 and arr.size:
        parent = np.full(tuple(2 * s + 1 for s in arr.shape), SENTINEL[arr.dtype.kind],
                         dtype=arr.dtype)
        view = parent[tuple(slice(1, None, 2) for _ in arr.shape)]
        view[...] = arr
        yield "strided", view
        parent = np.full(tuple(s + 2 for s in arr.shape), SENTINEL[arr.dtype.kind],
                         dtype=arr.dtype)
        view = parent[tuple(slice(s, 0, -1) for s in arr.shape)]
        view[...] = arr[tuple(slice(None, None, -1) for _ in arr.shape)]
        yield "negstride", view[tuple(slice(None, None, -1) for _ in arr.shape)]


def sentinel_intact(view):
    """True if every element of `view`'s parent buffer outside the view still holds the sentinel."""
    parent = view.base
    while parent is not None and parent.base is not None:
        parent = parent.base
    if parent is None or parent.dtype != view.dtype:
        return True
    mask = np.ones(parent.shape, dtype=bool)
    offset = (view.__array_interface__["data"][0] - parent.__array_interface__["data"][0])
    flat = np.lib.stride_tricks.as_strided(mask.reshape(-1)[offset // view.itemsize:],
                                           view.shape,
                                           tuple(s // view.itemsize for s in view.strides))
    flat[...] = False
    return bool(np.all(parent[mask] == SENTINEL[view.dtype.kind]))


def _discover():
    ops = []
    for mod in pkgutil.iter_modules(__path__):
        ops.extend(importlib.import_module(f"{__name__}.{mod.name}").OPS)
    names = [o.name for o in ops]
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f"op table lists these twice: {sorted(dupes)}"
    return ops


ALL_OPS = _discover()
