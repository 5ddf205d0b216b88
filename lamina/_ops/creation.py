"""Tensor creation: from data, filled, ranges, identity, and the random constructors.

Creation makes new storage and takes no tensor input to differentiate, so these are plain
functions over NumPy rather than primitives.
"""

import numpy as np

from .._core import dtype as dt
from .._core._tensor import TensorBase, default_complex_dtype, dtype_of, get_default_dtype, wrap
from .._core.device import check_cpu

# NumPy's inference from Python data is PyTorch's except for the width of floats and complex
# numbers, which PyTorch takes from the default dtype.
_KIND_DEFAULT = {"b": lambda: dt.bool, "i": lambda: dt.int64, "u": lambda: dt.int64,
                 "f": get_default_dtype, "c": default_complex_dtype}


def _finish(arr, requires_grad):
    t = wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _infer_dtype(data, arr):
    if isinstance(data, (np.ndarray, np.generic)):
        return dtype_of(arr)
    make = _KIND_DEFAULT.get(arr.dtype.kind)
    if make is None:
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return make()


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (a nested sequence, an array, a scalar, a Tensor)."""
    check_cpu(device)
    if isinstance(data, TensorBase):
        data = data._data
    arr = np.array(data)
    d = dt.to_dtype(dtype) if dtype is not None else _infer_dtype(data, arr)
    return _finish(np.array(arr, dtype=d.np, copy=True), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """`data` itself if it is a Tensor of that dtype; NumPy arrays are shared, not copied."""
    check_cpu(device)
    if isinstance(data, TensorBase):
        if dtype is None or dt.to_dtype(dtype) is data.dtype:
            return data
        return data.to(dtype)
    if isinstance(data, np.ndarray):
        d = dtype_of(data) if dtype is None else dt.to_dtype(dtype)
        return wrap(data if d.np == data.dtype else data.astype(d.np))
    return tensor(data, dtype=dtype)


def from_numpy(ndarray):
    """A tensor sharing `ndarray`'s memory: writes through either are seen by the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtype_of(ndarray)  # refuse the dtypes lamina has no name for
    return wrap(ndarray)


__all__ = ["tensor", "as_tensor", "from_numpy"]
METHODS = {}
