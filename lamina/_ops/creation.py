"""Tensor creation: from data, filled, ranges, identity, and the random constructors.

Creation makes new storage and takes no tensor input to differentiate, so these are plain
functions over NumPy rather than primitives (multinomial's rows excepted, see there). The random
ones draw from a `lamina.Generator` (lamina/_core/random.py, which also holds the sampling
kernels); the in-place initialisers (`fill_`, `uniform_`, ...) compute their values the same way
and finish with a checked write.
"""

import math
import operator

import numpy as np

from .._core import dtype as dt
from .._core import random as _random
from .._core._tensor import (
    TensorBase,
    default_complex_dtype,
    dtype_of,
    get_default_dtype,
    scalar_dtype,
    wrap,
)
from .._core.device import check_cpu
from .._core.random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    rng_of,
    seed,
    set_rng_state,
)
from ._batching import physical, same_batch
from ._checks import (
    CONVERT_NAMES,
    RANGES,
    broadcast_shape,
    check_tensor,
    checked_scalar,
    not_implemented,
    overflow_error,
    torch_type_name,
)
from .mutation import copy_as, finish_out, write_inplace, write_out
from .primitive import (
    LEVELS,
    NONDIFF,
    RANDOM_ERROR_MSG,
    Primitive,
    draw,
    levels_mapping,
    mapped,
)

# NumPy's inference from Python data is PyTorch's except for the width of floats and complex
# numbers, which PyTorch takes from the default dtype.
_KIND_DEFAULT = {"b": lambda: dt.bool, "i": lambda: dt.int64, "u": lambda: dt.int64,
                 "f": get_default_dtype, "c": default_complex_dtype}

# The C++ type names in PyTorch's "out of bounds" messages.
_BOUND_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short",
                "int32": "int", "int64": "long", "float16": "c10::Half", "float32": "float",
                "float64": "double"}
_NUMBER = (bool, int, float, complex, np.number, np.bool_)


# -- shared argument handling ---------------------------------------------------------------------

def _finish(arr, requires_grad=False, out=None):
    t = wrap(arr)
    if requires_grad:
        if dtype_of(arr).category < dt.FLOAT:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t.requires_grad = True
    if out is None:
        return t
    if isinstance(out, TensorBase) and out._data.shape != arr.shape:
        # Factories resize `out` silently (PyTorch's resize_), unlike ops' deprecated resize.
        out._data = np.empty(arr.shape, out._data.dtype)
    return write_out(out, t)


def _shape(name, sizes, size=None):
    """A size given as varargs, as one sequence, or as `size=`, checked as PyTorch does."""
    if size is not None:
        if sizes:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        sizes = (size,)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    shape = []
    for i, s in enumerate(sizes):
        try:
            shape.append(operator.index(s))
        except TypeError:
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, but "
                            f"found element of type {type(s).__name__} at pos {i}") from None
    if any(n < 0 for n in shape):
        n = next(n for n in shape if n < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {shape}")
    return tuple(shape)


def _dtype(dtype, out, default):
    """A factory's dtype: `dtype=`, else `out`'s, else `default`; `dtype=` must match `out`."""
    d = dt.to_dtype(dtype)
    if out is None:
        return default if d is None else d
    if not isinstance(out, TensorBase):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    od = dtype_of(out._data)
    if d is not None and d is not od:
        raise RuntimeError(f"dtype {torch_type_name(d)} does not match dtype of out parameter "
                           f"({torch_type_name(od)})")
    return od


def _number(name, arg, value):
    """A Python number from a number or a 0-dim tensor."""
    if isinstance(value, TensorBase) and value._data.ndim == 0:
        return value.item()
    if isinstance(value, _NUMBER):
        return value
    raise TypeError(f"{name}(): argument '{arg}' must be Number, not {type(value).__name__}")


def _int_arg(name, arg, value):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name}(): argument '{arg}' must be int, not "
                        f"{type(value).__name__}") from None


def _float_only(d, kernel):
    """Random floats need a float or complex dtype; PyTorch names the kernel that refuses."""
    if d.category < dt.FLOAT:
        raise not_implemented(kernel, d)
    return d


# -- from data ------------------------------------------------------------------------------------

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
        return _share(data) if d.np == data.dtype else wrap(data.astype(d.np))
    return tensor(data, dtype=dtype)


def from_numpy(ndarray):
    """A tensor sharing `ndarray`'s memory: writes through either are seen by the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    dtype_of(ndarray)  # refuse the dtypes lamina has no name for
    return _share(ndarray)


def _share(a):
    """A tensor on `a`'s memory, refused as PyTorch refuses it: the kernels read native-order
    elements at whole-element strides (a swapped array's Cholesky was garbage, a 9-byte stride
    was rounded down). Memory that is merely misaligned is shared: primitives copy it to
    aligned memory before a kernel reads it (PrimitiveBase.eager)."""
    if not a.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte "
                         "order. Conversion between byte orders is currently not supported.")
    if any(s % a.itemsize for s in a.strides):
        raise ValueError("given numpy array strides not a multiple of the element byte size. "
                         "Copy the numpy array to reallocate the memory.")
    return wrap(a)


# -- filled ---------------------------------------------------------------------------------------

def _constant(name, fill, sizes, size, out, dtype, device, requires_grad):
    check_cpu(device)
    shape = _shape(name, sizes, size)
    d = _dtype(dtype, out, get_default_dtype())
    return _finish(fill(shape, d.np), requires_grad, out)


def zeros(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    return _constant("zeros", np.zeros, sizes, size, out, dtype, device, requires_grad)


def ones(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    return _constant("ones", np.ones, sizes, size, out, dtype, device, requires_grad)


def empty(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    return _constant("empty", np.empty, sizes, size, out, dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """`size` filled with `fill_value`; the dtype follows the value (bool, int64, default float)."""
    check_cpu(device)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    shape = _shape("full", (size,))
    value = _number("full", "fill_value", fill_value)
    d = _dtype(dtype, out, scalar_dtype(value))
    return _finish(np.full(shape, checked_scalar(value, d)),
                   requires_grad, out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
        pin_memory=False):
    check_cpu(device)
    n = _int_arg("eye", "n", n)
    m = n if m is None else _int_arg("eye", "m", m)
    for arg, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"{arg} must be greater or equal to 0, got {v}")
    d = _dtype(dtype, out, get_default_dtype())
    return _finish(np.eye(n, m, dtype=d.np), requires_grad, out)


def _constant_like(name, fill, input, dtype, device, requires_grad):
    check_tensor(name, input)
    check_cpu(device)
    d = input.dtype if dtype is None else dt.to_dtype(dtype)
    return _finish(fill(input._data.shape, d.np), requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _constant_like("zeros_like", np.zeros, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _constant_like("ones_like", np.ones, input, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _constant_like("empty_like", np.empty, input, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    check_tensor("full_like", input)
    check_cpu(device)
    d = input.dtype if dtype is None else dt.to_dtype(dtype)
    value = checked_scalar(_number("full_like", "fill_value", fill_value), d)
    return _finish(np.full(input._data.shape, value), requires_grad)


# Tensor.new_*: the factories with the tensor's dtype as the default.
def _like(self, t):
    """A Tensor.new_* result `t`; under vmap mapped by the levels that map self, as torch.func's
    new_* batch rules do (a VJP's `ct.new_zeros(...)` then takes the cotangent's writes)."""
    if not LEVELS:
        return t
    return mapped(lambda s: wrap(np.broadcast_to(t._data, s).copy()), t._data.shape,
                  levels_mapping(self))


def new_zeros(self, *sizes, size=None, dtype=None, layout=None, device=None,
              requires_grad=False, pin_memory=False):
    return _like(self, zeros(*sizes, size=size, dtype=dtype or self.dtype, device=device,
                             requires_grad=requires_grad))


def new_ones(self, *sizes, size=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    return _like(self, ones(*sizes, size=size, dtype=dtype or self.dtype, device=device,
                            requires_grad=requires_grad))


def new_empty(self, *sizes, size=None, dtype=None, layout=None, device=None,
              requires_grad=False, pin_memory=False):
    return _like(self, empty(*sizes, size=size, dtype=dtype or self.dtype, device=device,
                             requires_grad=requires_grad))


def new_full(self, size, fill_value, *, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    return _like(self, full(size, fill_value, dtype=dtype or self.dtype, device=device,
                            requires_grad=requires_grad))


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)


# -- ranges ---------------------------------------------------------------------------------------

def _fmt(x):
    return f"{x:g}" if isinstance(x, float) else str(x)


def arange(start=None, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """[start, end) by step; int64 when every bound is an integer, else the default dtype.

    As PyTorch: the length is ceil((end - start) / step); int64 works in integers throughout,
    other integer dtypes truncate start and step but count in doubles, floats compute
    start + i * step in double and round once.
    """
    check_cpu(device)
    if end is None:
        if start is None:
            raise TypeError("arange() missing required argument 'end' (pos 1)")
        start, end = 0, start
    elif start is None:
        start = 0
    start, end, step = (_number("arange", a, v) for a, v in
                        (("start", start), ("end", end), ("step", step)))
    if any(isinstance(v, (complex, np.complexfloating)) for v in (start, end, step)):
        raise overflow_error(dt.float64)
    is_float = any(isinstance(v, (float, np.floating)) for v in (start, end, step))
    d = _dtype(dtype, out, get_default_dtype() if is_float else dt.int64)
    if d.category in (dt.BOOL, dt.COMPLEX):
        raise not_implemented("arange_cpu", d)
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_fmt(start)} -> {_fmt(end)}")
    if d is dt.int64:
        start, end, step = int(start), int(end), int(step)
    if not (step > 0 or step < 0):  # NaN too
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if d is dt.int64:
        arr = np.arange(-((start - end) // step), dtype=np.int64) * step + start
    else:
        n = math.ceil((float(end) - float(start)) / float(step))
        if d.category == dt.INT:
            # Truncated start and step; the int64 arithmetic wraps into the narrow type as C++'s.
            arr = (np.arange(n, dtype=np.int64) * int(step) + int(start)).astype(d.np)
        else:
            arr = (np.arange(n, dtype=np.float64) * float(step) + float(start)).astype(d.np)
    return _finish(arr, requires_grad, out)


def _space_dtype(name, start, end, dtype, out):
    is_complex = any(isinstance(v, (complex, np.complexfloating)) for v in (start, end))
    inferred = default_complex_dtype() if is_complex else get_default_dtype()
    d = _dtype(dtype, out, inferred)
    if is_complex and d.category < dt.COMPLEX:
        raise RuntimeError(f"lamina.{name}(): inferred dtype {CONVERT_NAMES[inferred.name]} "
                           f"can't be safely cast to passed dtype {torch_type_name(d)}")
    if d.category == dt.BOOL:
        raise not_implemented(f"{name}_cpu", dt.bool)
    return d


def _spaced(start, end, steps, d):
    """PyTorch's linspace points, in a working dtype: the first half counts up from `start`, the
    second half down from `end`, so both endpoints are exact. Integer dtypes truncate the
    endpoints and step in double; float16 works in float32."""
    if d.category == dt.INT:
        start, end, work = int(start), int(end), np.float64
    else:
        work = np.float32 if d is dt.float16 else d.np.type
    s, e = np.asarray(start, dtype=work), np.asarray(end, dtype=work)
    if steps == 1:
        return s.reshape(1)
    step = (e - s) / work(steps - 1)
    idx = np.arange(steps, dtype=work)
    return np.where(np.arange(steps) < steps // 2, s + step * idx,
                    e - step * (work(steps - 1) - idx))


def _check_steps(name, steps):
    steps = _int_arg(name, "steps", steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return steps


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    check_cpu(device)
    start, end = _number("linspace", "start", start), _number("linspace", "end", end)
    steps = _check_steps("linspace", steps)
    d = _space_dtype("linspace", start, end, dtype, out)
    return _finish(_spaced(start, end, steps, d).astype(d.np), requires_grad, out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    check_cpu(device)
    start, end = _number("logspace", "start", start), _number("logspace", "end", end)
    base = _number("logspace", "base", base)
    steps = _check_steps("logspace", steps)
    d = _space_dtype("logspace", start, end, dtype, out)
    with np.errstate(invalid="ignore", over="ignore"):  # a negative base gives NaN, as in C++
        arr = np.power(base, _spaced(start, end, steps, d)).astype(d.np)
    return _finish(arr, requires_grad, out)


# -- random constructors --------------------------------------------------------------------------

def rand(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """Uniform on [0, 1) (each part, for a complex dtype)."""
    check_cpu(device)
    shape = _shape("rand", sizes, size)
    d = _float_only(_dtype(dtype, out, get_default_dtype()), "check_uniform_bounds")
    rng = rng_of(generator)
    return _finish_drawn(lambda s: _random.uniform(rng, s, d), shape, requires_grad, out)


def randn(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    """Standard normal (variance 1 in total, split between the parts, for a complex dtype)."""
    check_cpu(device)
    shape = _shape("randn", sizes, size)
    d = _float_only(_dtype(dtype, out, get_default_dtype()), "normal_kernel_cpu")
    rng = rng_of(generator)
    return _finish_drawn(lambda s: _random.normal(rng, s, d), shape, requires_grad, out)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    check_tensor("rand_like", input)
    return rand(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                device=device, requires_grad=requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None):
    check_tensor("randn_like", input)
    return randn(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                 device=device, requires_grad=requires_grad)


def _finish_drawn(sample, shape, requires_grad=False, out=None):
    """A random constructor's result from `sample(shape)` (an array); under vmap drawn as its
    randomness mode says (lamina._ops.primitive.draw)."""
    if not LEVELS:
        return _finish(sample(shape), requires_grad, out)
    t = draw(lambda s: _finish(sample(s), requires_grad), shape)
    return t if out is None else write_out(out, t)


def _random_ints(rng, low, high, shape, d):
    """Integers in [low, high) stored as `d`, with PyTorch's range checks."""
    if d.category == dt.COMPLEX:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    lo, hi = RANGES[d]
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {_BOUND_NAMES[d.name]}")
    if not lo <= high - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {_BOUND_NAMES[d.name]}")
    return _random.integers(rng, low, high - 1, shape, d)


def _low_high(name, low, high):
    """randint's (low=0, high) overloads: one bound given is `high`."""
    if high is None:
        low, high = 0, low
    return _int_arg(name, "low", low), _int_arg(name, "high", high)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False, pin_memory=False):
    """Integers uniform on [low, high): randint(high, size) or randint(low, high, size)."""
    check_cpu(device)
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    low, high = _low_high("randint", low, high)
    shape = _shape("randint", (size,))
    d = _dtype(dtype, out, dt.int64)
    rng = rng_of(generator)
    return _finish_drawn(lambda s: _random_ints(rng, low, high, s, d), shape, requires_grad, out)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None):
    check_tensor("randint_like", input)
    check_cpu(device)
    low, high = _low_high("randint_like", low, high)
    d = input.dtype if dtype is None else dt.to_dtype(dtype)
    rng = rng_of(generator)
    return _finish_drawn(lambda s: _random_ints(rng, low, high, s, d), input._data.shape,
                         requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of 0..n-1."""
    check_cpu(device)
    n = _int_arg("randperm", "n", n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = _dtype(dtype, out, dt.int64)
    if d.category in (dt.BOOL, dt.COMPLEX):
        raise not_implemented("randperm", d)
    if d is dt.float16 and n > 2049:  # float16 holds every integer only up to 2**11
        raise RuntimeError("n cannot be greater than 2049 for Half type.")
    if n:
        checked_scalar(n - 1, d)
    rng = rng_of(generator)

    def sample(shape):  # under vmap "different", one permutation per row
        if len(shape) == 1:
            return rng.permutation(n).astype(d.np)
        return rng.permuted(np.broadcast_to(np.arange(n), shape), axis=-1).astype(d.np)
    return _finish_drawn(sample, (n,), requires_grad, out)


def _check_std(std):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(float(std))}")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False):
    """Normal samples: normal(mean, std, size) for numbers, or elementwise over tensor mean and/or
    std (broadcast together; the result takes the dtype of mean, else of std)."""
    rng = rng_of(generator)
    mean_is_t, std_is_t = isinstance(mean, TensorBase), isinstance(std, TensorBase)
    if not (mean_is_t or std_is_t):
        if size is None:
            raise TypeError("normal(): with a number mean and std, the argument 'size' is "
                            "required")
        check_cpu(device)
        _check_std(std)
        shape = _shape("normal", (size,))
        d = _float_only(_dtype(dtype, out, get_default_dtype()), "normal_kernel_cpu")
        return _finish_drawn(lambda s: _random.normal(rng, s, d, mean, std), shape,
                             requires_grad, out)
    if size is not None or dtype is not None:
        raise TypeError("normal(): 'size' and 'dtype' are only accepted with a number mean and "
                        "std")
    d = _float_only((mean if mean_is_t else std).dtype, "normal_kernel_cpu")
    _check_random_inputs(mean, std)
    if not std_is_t:
        _check_std(std)
    elif np.any(physical(std)._data < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    # mean + std * N(0, 1) in lamina ops, so that a mapped mean or std maps the result; PyTorch
    # gives the parameters a zero derivative, lamina none (as for every random op).
    z = draw(lambda s: wrap(_random.normal(rng, s, d)),
             broadcast_shape(np.shape(mean), np.shape(std)))
    return finish_out((mean + std * z).to(d).detach(), out)


_SAME_BATCHED_MSG = ("Vmap does not currently support same randomness with a batched tensor "
                     "input. Please file an issue with functorch")
_INPLACE_BERNOULLI_MSG = (
    "vmap: inplace bernoulli(self, *extra_args) is not possible because there exists a Tensor "
    "`other` in extra_args that has more elements than `self`. This happened due to `other` "
    "being vmapped over but `self` not being vmapped over in a vmap. Please try to use "
    "out-of-place operators instead of inplace bernoulli. If said operator is being called "
    "inside the PyTorch framework, please file a bug report instead.")


def _check_random_inputs(*inputs):
    """torch.func's checks on a random op with tensor parameters, innermost vmap level first:
    "error" refuses every random op; "same" refuses parameters that the level maps, since one
    draw shared by the batch cannot follow parameters that differ along it."""
    if not LEVELS:
        return
    mapping = [levels_mapping(x) for x in inputs if hasattr(x, "_level")]
    for level in reversed(LEVELS):
        if level.randomness == "error":
            raise RuntimeError(RANDOM_ERROR_MSG)
        if level.randomness == "same" and any(level in m for m in mapping):
            raise RuntimeError(_SAME_BATCHED_MSG)


def _check_probs(probs, d):
    """bernoulli's checks: a real dtype `d`, probabilities `probs` (a number or an array) in
    [0, 1]."""
    if d.category == dt.COMPLEX:
        raise not_implemented("bernoulli_tensor_cpu_self_", d)
    if isinstance(probs, np.ndarray):
        if not np.all((probs >= 0) & (probs <= 1)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    elif not 0 <= probs <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(probs)}")


def _bernoulli_draw(rng, probs, shape, d):
    """0/1 draws of dtype `d` with success probabilities `probs` (a number or an array)."""
    _check_probs(probs, d)
    return (rng.random(shape) < probs).astype(d.np)


def _bernoulli_mapped(probs, rng, shape, d, into=None):
    """Bernoulli draws shaped `shape` with probabilities `probs`, a transform's wrapper: uniform
    draws compared with it in lamina ops, so that the result is mapped where `probs` is."""
    _check_probs(physical(probs)._data, d)
    return (draw(lambda s: wrap(rng.random(s)), shape, into) < probs).to(d)


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 draws shaped and typed like `input`, with probabilities `input` (or the number `p`)."""
    check_tensor("bernoulli", input)
    d = input.dtype
    rng = rng_of(generator)
    if LEVELS and hasattr(input, "_level"):
        _check_random_inputs(input)  # even when only its shape is read, as in torch.func
    if p is None:
        if d.category < dt.FLOAT:
            raise not_implemented("bernoulli_tensor_cpu_p_", d)
        if LEVELS and hasattr(input, "_level"):
            return finish_out(_bernoulli_mapped(input, rng, input._data.shape, d), out)
        p = input._data
    return _finish_drawn(lambda s: _bernoulli_draw(rng, p, s, d), input._data.shape, out=out)


# multinomial given its noise (uniforms with replacement, exponentials without) is a primitive so
# that vmap runs its rows, which are independent, in one call: the noise comes from `draw`,
# mapped as the randomness mode says, and the batch rule stacks it with the weights.
def _multinomial_fwd(xp, p, noise, *, n, replacement):
    rows = p.reshape(-1, p.shape[-1]).astype(np.float64)
    noise = noise.reshape(rows.shape[0], noise.shape[-1])
    if replacement:
        cdf = xp.cumsum(rows, axis=1)
        u = noise * cdf[:, -1:]
        idx = xp.empty(u.shape, np.int64)
        for i, (c, r) in enumerate(zip(cdf, u)):
            idx[i] = xp.searchsorted(c, r, side="right")
        xp.minimum(idx, rows.shape[1] - 1, out=idx)  # u * total may round up to the total
    else:
        # The largest p / E with E ~ Exp(1): the exponential-race form of sequential sampling
        # that PyTorch uses (zero weights come last, in order).
        with np.errstate(divide="ignore"):
            keys = rows / noise
        idx = xp.argsort(-keys, axis=1, kind="stable")[:, :n]
    return idx.astype(np.int64).reshape(p.shape[:-1] + (n,))


def _multinomial_batch(bdims, p, noise, **params):
    return multinomial_p(*same_batch(bdims, (p, noise)), **params), 0


multinomial_p = Primitive("multinomial", xp=_multinomial_fwd, vjp=NONDIFF, jvp=NONDIFF,
                          batch=_multinomial_batch)


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Category indices drawn from each row of weights `input` (1-D or 2-D), as int64."""
    check_tensor("multinomial", input)
    d = input.dtype
    if d.category != dt.FLOAT:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{torch_type_name(d)}")
    shape = input._data.shape
    if len(shape) not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n = _int_arg("multinomial", "num_samples", num_samples)
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and n > shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    _check_random_inputs(input)
    p = physical(input)._data
    rows = p.reshape(-1, p.shape[-1])
    if not np.all(np.isfinite(rows) & (rows >= 0)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if rows.shape[0] and np.any(rows.sum(axis=1, dtype=np.float64) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = rng_of(generator)
    if replacement:
        noise = draw(lambda s: wrap(rng.random(s)), shape[:-1] + (n,))
    else:
        noise = draw(lambda s: wrap(rng.standard_exponential(s)), shape)
    return finish_out(multinomial_p(input, noise, n=n, replacement=bool(replacement)), out)


# -- in-place initialisers (Tensor methods) -------------------------------------------------------

def fill_(self, value):
    """Write `value` everywhere; a number is range-checked for self's dtype, as in PyTorch."""
    if isinstance(value, TensorBase):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        return copy_as(self, value, "aten::fill_.Tensor")
    return copy_as(self, checked_scalar(_number("fill_", "value", value), self.dtype),
                   "aten::fill_.Scalar")


def zero_(self):
    return copy_as(self, 0, "aten::zero_")


def _fill_drawn(self, sample, op):
    """The in-place initialiser `op`'s write of `sample(shape)` (an array); under vmap drawn as
    its randomness mode says, "different" only into a mapped self (torch.func's rule)."""
    shape = self._data.shape
    if not LEVELS:
        return write_inplace(self, wrap(sample(shape)), op)
    return write_inplace(self, draw(lambda s: wrap(sample(s)), shape, into=self), op)


def uniform_(self, from_=0, to=1, *, generator=None):
    d = _float_only(self.dtype, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_fmt(from_)} > to={_fmt(to)}")
    rng = rng_of(generator)
    return _fill_drawn(self, lambda s: _random.uniform(rng, s, d, from_, to), "aten::uniform_")


def normal_(self, mean=0, std=1, *, generator=None):
    d = _float_only(self.dtype, "normal_kernel_cpu")
    _check_std(std)
    rng = rng_of(generator)
    return _fill_drawn(self, lambda s: _random.normal(rng, s, d, mean, std), "aten::normal_")


def random_(self, from_=None, to=None, *, generator=None):
    """Integers on [from, to); random_(to) is [0, to); random_() is every integer the dtype holds
    exactly from 0 (up to 2**mantissa bits for floats)."""
    d = self.dtype
    if d.category == dt.COMPLEX:
        raise not_implemented("random_kernel_cpu", d)
    rng = rng_of(generator)
    if from_ is None and to is None:
        top = 1 << (np.finfo(d.np).nmant + 1) if d.category == dt.FLOAT else RANGES[d][1]
        return _fill_drawn(self, lambda s: _random.integers(rng, 0, top, s, d), "aten::random_")
    op = "aten::random_.from" if to is not None else "aten::random_.to"
    if to is None:
        from_, to = 0, from_
    low, high = _int_arg("random_", "from", from_), _int_arg("random_", "to", to)
    return _fill_drawn(self, lambda s: _random_ints(rng, low, high, s, d), op)


def bernoulli_(self, p=0.5, *, generator=None):
    rng = rng_of(generator)
    if isinstance(p, TensorBase):
        p = p.expand(self._data.shape)
        if LEVELS and hasattr(p, "_level"):
            _check_random_inputs(p)
            if any(level not in levels_mapping(self) for level in levels_mapping(p)):
                raise RuntimeError(_INPLACE_BERNOULLI_MSG)
            return write_inplace(self, _bernoulli_mapped(p, rng, self._data.shape, self.dtype,
                                                         into=self), "aten::bernoulli_.Tensor")
        p = p._data
        op = "aten::bernoulli_.Tensor"
    else:
        op = "aten::bernoulli_.float"
    return _fill_drawn(self, lambda s: _bernoulli_draw(rng, p, s, self.dtype), op)


def exponential_(self, lambd=1.0, *, generator=None):
    d = self.dtype
    if d.category != dt.FLOAT:
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{torch_type_name(d)}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    rng = rng_of(generator)
    return _fill_drawn(self, lambda s: _random.exponential(rng, s, d, lambd),
                       "aten::exponential_")


__all__ = [
    "tensor", "as_tensor", "from_numpy",
    "zeros", "ones", "empty", "full", "eye", "zeros_like", "ones_like", "empty_like", "full_like",
    "arange", "linspace", "logspace",
    "rand", "randn", "rand_like", "randn_like", "randint", "randint_like", "randperm", "normal",
    "bernoulli", "multinomial",
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
    "set_rng_state",
]
METHODS = {
    "new_zeros": new_zeros, "new_ones": new_ones, "new_empty": new_empty, "new_full": new_full,
    "new_tensor": new_tensor,
    "fill_": fill_, "zero_": zero_, "uniform_": uniform_, "normal_": normal_, "random_": random_,
    "bernoulli_": bernoulli_, "exponential_": exponential_,
    "bernoulli": bernoulli, "multinomial": multinomial,
}
