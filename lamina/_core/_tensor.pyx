# cython: language_level=3
"""The Tensor's base object and the per-op hot path: wrapping arrays, dtypes, promotion.

Every op on a small tensor pays for what is in this file, so it is compiled: a Tensor is a
`TensorBase` holding the array that stores it (a NumPy ndarray on cpu) plus autograd metadata
as plain slots, and `PrimitiveBase.eager` is the one function that unwraps Tensors, calls a
forward body and wraps what comes back. Nothing here knows how gradients are computed: when grad
mode is on and an argument requires grad, the call and its result go to the tape that
lamina.autograd registers (`_register_tape`), which records the graph.

A storage's version counter is created lazily: most tensors are never viewed or written in
place, and skipping the allocation is measurable on the per-op path.
"""

cimport numpy as cnp
from cpython.pythread cimport PyThread_tss_create, PyThread_tss_get, PyThread_tss_set
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM

import threading

import numpy as np

cnp.import_array()

from . import dtype as _dt

cdef object ndarray = np.ndarray
cdef object np_generic = np.generic
cdef object np_asarray = np.asarray
cdef object _Tensor = None          # the Python Tensor class, registered by tensor.py
cdef object _cpu_device = None      # registered by tensor.py
cdef object _tape = None            # lamina.autograd's recorder, registered by it
# torch's grad mode (no_grad, enable_grad, set_grad_enabled), per thread as in PyTorch: a new
# thread starts with grad on, and one thread's no_grad leaves the others recording (a global flag
# saved and restored by two threads at once could end up off for good). NULL: on.
cdef Py_tss_t _grad_off
PyThread_tss_create(&_grad_off)


cdef inline bint _grad_enabled() noexcept:
    return PyThread_tss_get(&_grad_off) == NULL

# The transform-level stack (vmap, grad, jvp), per thread as torch.func's: two threads each
# inside func.vjp (dask's threaded scheduler running two chunks) must not see each other's
# levels. The key holds a borrowed pointer to this thread's list, NULL until the thread first
# pushes a level; `_thread_levels` owns the list and drops it when the thread ends.
cdef Py_tss_t _levels_key
PyThread_tss_create(&_levels_key)
_thread_levels = threading.local()


cdef list _my_levels():
    cdef void* p = PyThread_tss_get(&_levels_key)
    cdef list levels
    if p != NULL:
        return <list>p
    levels = []
    _thread_levels.stack = levels
    PyThread_tss_set(&_levels_key, <void*>levels)
    return levels


cdef class LevelStack:
    """This thread's transform levels, innermost last, with the list operations the layers
    above use on it (lamina/_ops/primitive.py's LEVELS is the one instance)."""

    def __len__(self):
        cdef void* p = PyThread_tss_get(&_levels_key)
        return 0 if p == NULL else len(<list>p)

    def __getitem__(self, key):
        return _my_levels()[key]

    def __iter__(self):
        return iter(_my_levels())

    def __reversed__(self):
        return reversed(_my_levels())

    def append(self, level):
        _my_levels().append(level)

    def pop(self):
        return _my_levels().pop()

# Index NumPy's type numbers, not its dtypes: int64 has two numbers ('l' and 'q') on Linux.
cdef dict _DT_BY_NUM = {}
for _ch in "?bBhHiIlLqQefdgFDG":
    _npd = np.dtype(_ch)
    if _npd in _dt.BY_NUMPY:
        _DT_BY_NUM[_npd.num] = _dt.BY_NUMPY[_npd]

cdef list _PROMOTE = _dt.PROMOTE
cdef int BOOL = _dt.BOOL, INT = _dt.INT, FLOAT = _dt.FLOAT, COMPLEX = _dt.COMPLEX
cdef object _bool = _dt.bool, _int64 = _dt.int64
cdef object _default_float = _dt.float32
cdef object _default_complex = _dt.complex64


def _register(tensor_class, cpu_device):
    global _Tensor, _cpu_device
    _Tensor = tensor_class
    _cpu_device = cpu_device


def _register_tape(tape):
    global _tape
    _tape = tape


def get_tape():
    """The registered tape, or None when lamina.autograd is not loaded."""
    return _tape


def is_grad_enabled():
    return _grad_enabled()


def _set_grad_mode(bint enabled):
    """Set this thread's grad mode; returns the previous mode (the context managers restore it)."""
    cdef bint previous = _grad_enabled()
    PyThread_tss_set(&_grad_off, NULL if enabled else <void*>1)
    return previous


def get_default_dtype():
    return _default_float


def set_default_dtype(d):
    global _default_float, _default_complex
    if not isinstance(d, _dt.dtype) or d.category != FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d
    _default_complex = d.to_complex()


def default_complex_dtype():
    return _default_complex


cpdef object dtype_of(arr):
    """The lamina dtype of an array; TypeError naming the NumPy type for any other."""
    d = _DT_BY_NUM.get(arr.dtype.num)
    if d is None:
        return _dt.from_numpy_dtype(arr.dtype)
    return d


cpdef object scalar_dtype(x):
    """The dtype a Python (or NumPy) scalar takes as a tensor: float is the default dtype."""
    if isinstance(x, bool) or isinstance(x, np.bool_):
        return _bool
    if isinstance(x, int) or isinstance(x, np.integer):
        return _int64
    if isinstance(x, float) or isinstance(x, np.floating):
        return _default_float
    if isinstance(x, complex) or isinstance(x, np.complexfloating):
        return _default_complex
    raise TypeError(f"expected a Tensor or a Number, but got {type(x).__name__}")


cdef inline object _promote(object a, object b):
    if a is None:
        return b
    if b is None or a is b:
        return a
    return (<list>_PROMOTE[a.index])[b.index]


cdef object _combine(object higher, object lower):
    # PyTorch's combine_categories: a lower tier can raise the category, never the width
    # within the higher tier's category (float32 tensor + float64 0-dim tensor is float32).
    if higher is None:
        return lower
    if lower is None:
        return higher
    cdef int hc = higher.category, lc = lower.category
    if hc == COMPLEX:
        return higher
    if lc == COMPLEX:
        return higher.to_complex() if hc == FLOAT else lower
    if hc == FLOAT:
        return higher
    if hc == BOOL or lc == FLOAT:
        return _promote(higher, lower)
    return higher


cpdef object result_type_of(tuple operands):
    """PyTorch's result type over Tensors, arrays and scalars.

    Three tiers, strongest first: tensors with dimensions, 0-dim tensors, Python scalars. Within
    a tier dtypes promote normally; a weaker tier only changes the result when its category is
    higher (int tensor + 2.5 is the default float dtype, uint8 tensor + 1000 stays uint8).
    """
    cdef object dim = None, zero = None, wrapped = None, d, op, other
    if len(operands) == 2:
        # The common case, two dimensioned arrays of one dtype, skips the tiers.
        op, other = operands
        if (type(op) is ndarray and type(other) is ndarray and op.dtype is other.dtype
                and op.ndim and other.ndim):
            return dtype_of(op)
    for op in operands:
        if isinstance(op, TensorBase):
            op = (<TensorBase>op)._data
        if isinstance(op, (int, float, complex, np_generic)):
            wrapped = _promote(wrapped, scalar_dtype(op))
        elif op is None:
            continue
        else:
            d = dtype_of(op)
            if op.ndim:
                dim = _promote(dim, d)
            else:
                zero = _promote(zero, d)
    return _combine(dim, _combine(zero, wrapped))


# The creation epoch of new tensors: grad and jvp levels start a new one on entry, so that a
# tensor stamped with an older epoch was captured from outside the function they transform.
cdef Py_ssize_t _epoch = 0


def next_epoch():
    """Start a new creation epoch and return it."""
    global _epoch
    _epoch += 1
    return _epoch


def current_epoch():
    return _epoch


cdef class Version:
    """A storage's in-place modification counter, shared by every view of it."""
    cdef public Py_ssize_t value


cdef class TensorBase:
    cdef public object _data           # the storage's array, already viewed to this tensor
    cdef public Version _vc             # None until viewed or modified in place
    cdef public object _base            # the tensor this one views, or None
    cdef public bint _requires_grad     # a leaf's flag, or True on any result of the graph
    cdef public object grad
    cdef public object grad_fn
    cdef public Py_ssize_t _output_nr   # which output of grad_fn this tensor is
    # How this view was made from its parent: (primitive, args, params, output index or None).
    # Kept for every view, grad or not, so that an in-place write into a view can be replayed
    # on its base's gradient (autograd's CopySlices).
    cdef public tuple _view_op
    # The creation epoch of its storage (see next_epoch): a view's is its base's.
    cdef public Py_ssize_t _born

    @property
    def shape(self):
        return Size(self._data.shape)

    @property
    def dtype(self):
        return dtype_of(self._data)

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[canonical_dim(dim, self._data.ndim)]

    @property
    def device(self):
        return _cpu_device

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def _version(self):
        return 0 if self._vc is None else self._vc.value

    def _bump_version(self):
        if self._vc is None:
            self._vc = Version()
        self._vc.value += 1

    cpdef Version _shared_version(self):
        if self._vc is None:
            self._vc = Version()
        return self._vc


class Size(tuple):
    """lamina.Size: a tuple of ints that prints as PyTorch's."""

    def __repr__(self):
        return f"lamina.Size([{', '.join(str(s) for s in self)}])"

    def __getitem__(self, key):
        r = tuple.__getitem__(self, key)
        return Size(r) if isinstance(key, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, other))

    def numel(self):
        cdef Py_ssize_t n = 1
        for s in self:
            n *= s
        return n


cpdef Py_ssize_t canonical_dim(object dim, Py_ssize_t ndim) except? -1:
    """Wrap a negative dim; IndexError in PyTorch's words when out of range (0-dim acts as 1)."""
    cdef Py_ssize_t d, n = ndim if ndim > 0 else 1
    try:
        d = dim.__index__()
    except AttributeError:
        raise TypeError(f"dim must be an int, but got {type(dim).__name__}") from None
    if d < -n or d >= n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d + n if d < 0 else d


cpdef bint is_int_tuple(tuple t):
    """True for a non-empty tuple of Python ints: sizes that need no further parsing."""
    if not t:
        return False
    for s in t:
        if type(s) is not int:
            return False
    return True


cpdef tuple infer_size(tuple shape, Py_ssize_t numel):
    """`shape` (a tuple of ints) with its one -1 resolved for `numel` elements, or PyTorch's
    error: the size rule of view and reshape."""
    cdef Py_ssize_t i, s, known = 1, infer = -1
    for i in range(len(shape)):
        s = shape[i]
        if s == -1:
            if infer >= 0:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s >= 0:
            known *= s
        else:
            raise RuntimeError(
                f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    if numel == known and infer < 0:
        return shape
    if infer >= 0 and known > 0 and numel % known == 0:
        return shape[:infer] + (numel // known,) + shape[infer + 1:]
    if infer >= 0 and known == 0 and numel == 0:
        raise RuntimeError(
            f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
            "unspecified dimension size -1 can be any value and is ambiguous")
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


VIEW_STRIDE_MSG = ("view size is not compatible with input tensor's size and stride (at least "
                    "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                    "instead.")


def view_array(cnp.ndarray a, *, tuple shape):
    """The cpu kernel of `Tensor.view`: `a` reshaped without a copy, or PyTorch's RuntimeError.

    `shape` is already resolved and holds `a.size` elements. A C-contiguous array always has the
    view, taken through NumPy's C API (the per-op cost of x.view(2, 2) is mostly call overhead);
    any other layout asks NumPy whether its strides allow one.
    """
    if cnp.PyArray_IS_C_CONTIGUOUS(a):
        return cnp.PyArray_Reshape(a, shape)
    try:
        return np.reshape(a, shape, copy=False)
    except ValueError:
        raise RuntimeError(VIEW_STRIDE_MSG) from None


cpdef object wrap(object data):
    """A new Tensor (own storage) around an array; NumPy scalars become 0-dim arrays."""
    if type(data) is not ndarray:
        data = np_asarray(data)
    cdef TensorBase t = TensorBase.__new__(_Tensor)
    t._data = data
    t._born = _epoch
    return t


cpdef object wrap_view(object data, TensorBase of):
    """A new Tensor viewing `of`'s storage: it shares the version counter and records its base."""
    if type(data) is not ndarray:
        data = np_asarray(data)
    cdef TensorBase t = TensorBase.__new__(_Tensor)
    t._data = data
    t._vc = of._shared_version()
    t._base = of if of._base is None else of._base
    t._born = of._born
    return t


cdef object _wrap_out(object out):
    if type(out) is tuple:
        return tuple([_wrap_out(o) for o in <tuple>out])
    if out is None:
        return None
    return wrap(out)


cdef object _wrap_views(object out, TensorBase of, object prim, tuple args, dict params,
                        object index):
    cdef TensorBase t
    if type(out) is tuple:
        return tuple([_wrap_views(o, of, prim, args, params, i)
                      for i, o in enumerate(<tuple>out)])
    t = wrap_view(out, of)
    t._view_op = (prim, args, params, index)
    return t


cdef class PrimitiveBase:
    """The call path of a primitive: hand the call to the innermost transform level, if any,
    else run the forward body on the arrays behind the arguments and wrap what comes back.

    Transform levels are pushed by the layers above (lamina/_ops/primitive.py) onto this
    thread's LevelStack; this class only asks whether it is empty. `xp` is the array namespace
    passed first to a body written for both devices; a `cpu` kernel takes the arrays alone. A
    view primitive's outputs alias its first argument's storage.
    """
    cdef public str name
    cdef public object xp, cpu, cuda, vjp, jvp, batch
    cdef public bint view

    def __call__(self, *args, **params):
        cdef void* p = PyThread_tss_get(&_levels_key)
        cdef list levels
        if p != NULL:
            levels = <list>p
            if levels:  # (no negative index: the module compiles with wraparound off)
                return levels[len(levels) - 1].process(self, args, params)
        return self.eager(args, params)

    cpdef object eager(self, tuple args, dict params):
        cdef Py_ssize_t i, n = len(args)
        cdef object a, fn, result
        cdef bint with_xp = self.cpu is None, record = False
        cdef tuple data = PyTuple_New(n + with_xp)
        if with_xp:
            Py_INCREF(np)
            PyTuple_SET_ITEM(data, 0, np)
            fn = self.xp
        else:
            fn = self.cpu
        for i in range(n):
            a = args[i]
            if isinstance(a, TensorBase):
                # A view outside the graph whose base entered it (by an in-place write into
                # another view) is recorded too: the tape rebuilds its grad_fn from the base.
                record |= (<TensorBase>a)._requires_grad or (
                    (<TensorBase>a)._base is not None
                    and (<TensorBase>(<TensorBase>a)._base)._requires_grad)
                a = (<TensorBase>a)._data
                # Memory shared from a misaligned buffer (from_numpy of bytes that dask or a
                # file handed over at an odd address): kernels load whole elements, so they
                # get an aligned copy; a view primitive's outputs must alias the original.
                if (not self.view and type(a) is ndarray
                        and not cnp.PyArray_ISALIGNED(<cnp.ndarray>a)):
                    a = a.copy()
            Py_INCREF(a)
            PyTuple_SET_ITEM(data, i + with_xp, a)
        if params:
            out = fn(*data, **params)
        else:
            out = fn(*data)
        if self.view:
            result = _wrap_views(out, <TensorBase>args[0], self, args, params, None)
        else:
            result = _wrap_out(out)
        if record and _grad_enabled() and _tape is not None:
            return _tape.record(self, args, params, result)
        return result
