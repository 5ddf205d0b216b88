"""The values a transform level hands its function: Tensors that wrap a value of the level below.

A wrapper answers every metadata question (shape, dtype, ndim, strides for layout checks) as
the tensor the function believes it holds: one batch element under vmap, the primal under jvp.
Its `_data` is therefore a zero-stride, read-only array of that logical shape, shared between
wrappers of the same shape and dtype, whose values cannot be read: a public op that inspects
values in Python (an index bound, `.item()`) raises torch.func's data-dependence error instead
of computing with numbers that are not there. Primitives never see it: the level unwraps first.
"""

import numpy as np

from .._core._tensor import TensorBase, current_epoch
from .._core.tensor import Tensor

DATA_MSG = ("vmap: It looks like you're attempting to use a Tensor in some data-dependent "
            "control flow. We don't support that yet, please shout over at "
            "https://github.com/pytorch/functorch/issues/257 .")

# NumPy functions that read only shapes and dtypes, which public ops call on `_data`.
_METADATA_FUNCTIONS = {np.shape, np.ndim, np.size, np.result_type, np.broadcast_shapes,
                       np.can_cast, np.min_scalar_type}


class ShapeOnly(np.ndarray):
    """An array with a shape and a dtype but no readable values."""

    def __array_ufunc__(self, *args, **kwargs):
        raise RuntimeError(DATA_MSG)

    def __array_function__(self, func, types, args, kwargs):
        if func in _METADATA_FUNCTIONS:
            return super().__array_function__(func, types, args, kwargs)
        raise RuntimeError(DATA_MSG)

    def _refuse(self, *args, **kwargs):
        raise RuntimeError(DATA_MSG)

    __getitem__ = __setitem__ = __iter__ = __bool__ = __float__ = __int__ = __index__ = _refuse
    __complex__ = item = tolist = tobytes = copy = _refuse


_SHAPES = {}


def shape_only(shape, dtype):
    key = (shape, dtype)
    a = _SHAPES.get(key)
    if a is None:
        a = np.broadcast_to(np.zeros((), dtype), shape).view(ShapeOnly)
        if len(_SHAPES) < 4096:  # shapes seen in one program are few; bound it anyway
            _SHAPES[key] = a
    return a


class LevelTensor(Tensor):
    """A wrapper of `value` (a tensor of the level below) at transform level `level`.
    Subclasses add what their level tracks: a batch dim, a tangent, a grad_fn."""

    __hash__ = object.__hash__

    def __repr__(self):
        return f"{type(self).__name__}(lvl={self._level.index}, value={self._value!r})"

    def numpy(self, *, force=False):
        raise RuntimeError(DATA_MSG)

    def tolist(self):
        raise RuntimeError(DATA_MSG)

    def item(self):
        raise RuntimeError(DATA_MSG)

    def __bool__(self):
        raise RuntimeError(DATA_MSG)


def make(cls, value, level, shape):
    """A new wrapper of class `cls` around `value`, showing the logical `shape`."""
    t = TensorBase.__new__(cls)
    t._born = current_epoch()
    t._data = shape_only(tuple(shape), value._data.dtype)
    t._value = value
    t._level = level
    return t


def unwrap(level, args, attr=None):
    """(values, extras, mine): `args` with `level`'s wrappers replaced by the values they wrap,
    each such wrapper's attribute `attr` (None for every other argument, or when attr is None),
    and whether any argument was `level`'s: the first step of every level's `process`."""
    values, extras, mine = [], [], False
    for a in args:
        if isinstance(a, LevelTensor) and a._level is level:
            values.append(a._value)
            extras.append(None if attr is None else getattr(a, attr))
            mine = True
        else:
            values.append(a)
            extras.append(None)
    return values, extras, mine


def aged(out, prim, x):
    """`out`, wrapped output(s) of `prim`: a view primitive's are as old as `x`, the tensor they
    view, so that a write into a view of a captured tensor is refused as one into it is."""
    if prim.view:
        for o in out if isinstance(out, tuple) else (out,):
            if isinstance(o, TensorBase):
                o._born = x._born
    return out


def storage(t):
    """The version counter of the storage behind `t`, through the wrappers of every level: one
    per storage, shared by its views and by the alias a lifted tensor's wrapper holds."""
    while isinstance(t, LevelTensor):
        t = t._value
    return t._shared_version()


def is_at(x, level):
    """Whether `x` is a wrapper of `level`."""
    return isinstance(x, LevelTensor) and x._level is level
