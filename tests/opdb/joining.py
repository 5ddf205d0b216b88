"""Op table entries for lamina/_ops/joining.py.

The joining ops take a list of arrays, which the generic test does not re-lay out, so some
samples put transposed and strided arrays in the list themselves. Mixed dtypes only pair an array
with bool, where NumPy's promotion is PyTorch's; the rest of cat's promotion is in test_views.py.
"""

import numpy as np

import lamina as lm
from opdb import ErrorInput, OpInfo, Sample
from opdb import make_array as _array  # a short name: the samples below use it on most lines

DTYPES = ("bool", "int16", "float32", "float64", "complex128")


def lists(*spec):
    """Samples of one list of arrays (`shapes`) and then the op's parameters."""
    def samples(dtype, rng):
        for shapes, args, kwargs in spec:
            yield Sample(([_array(s, dtype, rng) for s in shapes],) + tuple(args), dict(kwargs),
                         name=f"{shapes}-{args}-{kwargs}")
        # Non-contiguous members: a transposed matrix and a strided one.
        t = _array((4, 3), dtype, rng).T
        s = _array((3, 8), dtype, rng)[:, ::2]
        yield Sample(([t, s],), name="noncontig")
    return samples


def cases(*spec):
    """Samples from (shape, args, kwargs) triples: an array of `shape`, then the parameters."""
    def samples(dtype, rng):
        for shape, args, kwargs in spec:
            yield Sample((_array(shape, dtype, rng),) + tuple(args), dict(kwargs),
                         name=f"{shape}-{args}-{kwargs}")
    return samples


def list_errors(*spec):
    """ErrorInputs from (shapes, args, kwargs, exception, regex): a list of float32 zeros."""
    return lambda: [ErrorInput(Sample(([np.zeros(s, np.float32) for s in shapes],) + tuple(args),
                                      dict(kwargs), name=f"{shapes}-{args}"), exc, match)
                    for shapes, args, kwargs, exc, match in spec]


def errors(*spec):
    """ErrorInputs from (shape, args, kwargs, exception, regex) on a float32 array of zeros."""
    return lambda: [ErrorInput(Sample((np.zeros(shape, np.float32),) + tuple(args), dict(kwargs),
                                      name=f"{shape}-{args}"), exc, match)
                    for shape, args, kwargs, exc, match in spec]


def _cat_ref(arrays, dim=0, axis=None):
    # PyTorch (legacy) leaves 1-D empty tensors out of the concatenation.
    kept = [a for a in arrays if a.shape != (0,)] or arrays[:1]
    return np.concatenate(kept, axis=dim if axis is None else axis)


def _mixed_bool(dtype, rng):
    yield Sample(([_array((2, 3), dtype, rng), _array((1, 3), "bool", rng)],), name="with-bool")


def _chain(*generators):
    def samples(dtype, rng):
        for g in generators:
            yield from g(dtype, rng)
    return samples


def _atleast(fn):
    return lambda *arrays: fn(*arrays) if len(arrays) == 1 else tuple(fn(*arrays))


def pairs(*spec):
    """Samples of two arrays, shapes `sa` and `sb`."""
    def samples(dtype, rng):
        for sa, sb in spec:
            yield Sample((_array(sa, dtype, rng), _array(sb, dtype, rng)), name=f"{sa}-{sb}")
    return samples


def _split_ref(a, size_or_sizes, dim=0):
    n = a.shape[dim]
    if isinstance(size_or_sizes, int):
        cuts = list(range(size_or_sizes, n, size_or_sizes)) if size_or_sizes else []
    else:
        cuts = list(np.cumsum(size_or_sizes)[:-1])
    return tuple(np.split(a, cuts, axis=dim))


def _chunk_ref(a, chunks, dim=0):
    n = a.shape[dim]
    if n == 0:
        return tuple([a] * chunks)
    return _split_ref(a, -(-n // chunks), dim)


def _tensor_split_ref(a, indices_or_sections, dim=0):
    if isinstance(indices_or_sections, int):
        return tuple(np.array_split(a, indices_or_sections, axis=dim))
    return tuple(np.split(a, indices_or_sections, axis=dim))


_ATLEAST = _chain(pairs(((), (3,)), ((2, 3), (4, 1, 1))),
                  cases(((), (), {}), ((5,), (), {}), ((2, 3), (), {})))

_CAT_ERRORS = list_errors(
    ([(3, 4), (3, 5)], (), {}, RuntimeError,
     "Sizes of tensors must match except in dimension 0. Expected size 4 but got size 5 for "
     "tensor number 1 in the list."),
    ([(3, 4), (3, 5, 1)], (), {}, RuntimeError,
     "Tensors must have same number of dimensions: got 2 and 3"),
    ([(3, 4), ()], (), {}, RuntimeError,
     r"zero-dimensional tensor \(at position 1\) cannot be concatenated"),
    ([(3, 4), (3, 4)], (2,), {}, IndexError, "Dimension out of range"),
    ([], (), {}, ValueError, r"lamina.cat\(\): expected a non-empty list of Tensors"),
    ([(3, 4), (3, 4)], (), {"dim": None}, TypeError, "argument 'dim' must be int"),
)

# vmap: test_vmap.py's sweep maps the tensors inside the joining ops' lists (all, at 0 or last;
# the first or the last alone); test_func_shape.py maps them at other dims.
OPS = [
    OpInfo("cat", lm.cat, _cat_ref,
           _chain(lists(([(3, 4), (1, 4)], (), {}), ([(3, 4), (3, 2)], (1,), {}),
                        ([(2, 3, 4)] * 3, (-2,), {}), ([(3, 4), (0,)], (), {}),
                        ([(0,), (0,)], (), {}), ([(0, 3), (2, 3)], (), {}), ([(5,)], (), {})),
                  _mixed_bool),
           dtypes=DTYPES, errors=_CAT_ERRORS, grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("concat", lm.concat, _cat_ref, lists(([(3, 4), (3, 2)], (1,), {})),
           dtypes=("float32", "float64"), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("concatenate", lm.concatenate, _cat_ref,
           lists(([(3, 4), (3, 2)], (), {"axis": 1}), ([(3, 4), (1, 4)], (), {})),
           dtypes=("float32", "float64"), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("stack", lm.stack, np.stack,
           lists(([(3, 4)] * 2, (), {}), ([(3, 4)] * 3, (2,), {}), ([()] * 2, (), {}),
                 ([(0, 2)] * 2, (-1,), {}), ([(4,)], (), {})),
           dtypes=DTYPES,
           errors=list_errors(
               ([(3, 4), (2, 4)], (), {}, RuntimeError,
                r"stack expects each tensor to be equal size, but got \[3, 4\] at entry 0 and "
                r"\[2, 4\] at entry 1"),
               ([], (), {}, RuntimeError, "stack expects a non-empty TensorList"),
               ([(3, 4)] * 2, (3,), {}, IndexError, "Dimension out of range")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("hstack", lm.hstack, np.hstack,
           lists(([(3, 4), (3, 2)], (), {}), ([(3,), (2,)], (), {}), ([(), ()], (), {})),
           dtypes=DTYPES,
           errors=list_errors(([], (), {}, RuntimeError, "hstack expects a non-empty TensorList")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("vstack", lm.vstack, np.vstack,
           lists(([(3, 4), (1, 4)], (), {}), ([(3,), (3,)], (), {}), ([(), ()], (), {})),
           dtypes=DTYPES,
           errors=list_errors(([], (), {}, RuntimeError, "vstack expects a non-empty TensorList")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("row_stack", lm.row_stack, np.vstack, lists(([(3,), (3,)], (), {})),
           dtypes=("float32", "float64"), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("dstack", lm.dstack, np.dstack,
           lists(([(3, 4), (3, 4)], (), {}), ([(3,), (3,)], (), {}),
                 ([(2, 3, 1), (2, 3, 2)], (), {})),
           dtypes=DTYPES, grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("column_stack", lm.column_stack, np.column_stack,
           lists(([(3,), (3,)], (), {}), ([(3, 2), (3,)], (), {}), ([(), ()], (), {})),
           dtypes=DTYPES, grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("atleast_1d", lm.atleast_1d, _atleast(np.atleast_1d), _ATLEAST,
           dtypes=("float32", "float64"), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("atleast_2d", lm.atleast_2d, _atleast(np.atleast_2d), _ATLEAST,
           dtypes=("float32", "float64"), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("atleast_3d", lm.atleast_3d, _atleast(np.atleast_3d), _ATLEAST,
           dtypes=("float32", "float64"), grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("split", lm.split, _split_ref,
           cases(((5, 4), (2,), {}), ((5, 4), ([1, 3, 1],), {}), ((3, 4), (4, 1), {}),
                 ((3, 4), ([1, 3, 0], 1), {}), ((0, 3), (0,), {}), ((6,), (6,), {})),
           method="split", dtypes=DTYPES,
           errors=errors(((3, 4), (0,), {}, RuntimeError,
                          "split_size can only be 0 if dimension size is 0, but got dimension "
                          "size of 3"),
                         ((3, 4), (-1,), {}, RuntimeError, "split_size be non-negative"),
                         ((3, 4), ([1, 1],), {}, RuntimeError,
                          r"split_sizes to sum exactly to 3 \(input tensor's size at dimension "
                          r"0\), but got split_sizes=\[1, 1\]"),
                         ((3, 4), ([1, -1, 3],), {}, RuntimeError, "only non-negative entries"),
                         ((), (1,), {}, RuntimeError, "at least a 1-dimensional tensor")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("chunk", lm.chunk, _chunk_ref,
           cases(((3, 4), (2,), {}), ((3, 4), (5, 1), {}), ((5,), (4,), {}), ((6,), (4,), {}),
                 ((0, 3), (2,), {})),
           method="chunk", dtypes=DTYPES,
           errors=errors(((3, 4), (0,), {}, RuntimeError,
                          "chunk expects `chunks` to be greater than 0, got: 0"),
                         ((), (1,), {}, RuntimeError, "chunk expects at least a 1-dimensional")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("tensor_split", lm.tensor_split, _tensor_split_ref,
           cases(((3, 4), (2,), {}), ((3, 4), (5, 1), {}), ((3, 4), ([1, 5, 2],), {}),
                 ((3, 4), ([-1],), {}), ((7,), (3,), {}), ((0, 2), (2,), {})),
           method="tensor_split", dtypes=DTYPES,
           errors=errors(((3, 4), (0,), {}, RuntimeError,
                          "number of sections must be larger than 0, got 0"),
                         ((), (2,), {}, RuntimeError, "expected at least a 1-dimensional tensor"),
                         ((3, 4), (np.array([2.0]),), {}, RuntimeError,
                          "to have dtype of long, but got Double"),
                         ((3, 4), (np.array([[2]]),), {}, RuntimeError,
                          "zero-dimensional or one-dimensional tensor, but got a tensor with 2")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("hsplit", lm.hsplit, np.hsplit,
           cases(((3, 4), (2,), {}), ((3, 4), ([1],), {}), ((6,), (3,), {})),
           method="hsplit", dtypes=DTYPES,
           errors=errors(((3, 4), (3,), {}, RuntimeError,
                          r"lamina.hsplit attempted to split along dimension 1, but the size of "
                          "the dimension 4 is not divisible by the split_size 3!"),
                         ((), (1,), {}, RuntimeError,
                          "lamina.hsplit requires a tensor with at least 1 dimension")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("vsplit", lm.vsplit, np.vsplit, cases(((4, 3), (2,), {}), ((4, 3), ([1, 3],), {})),
           method="vsplit", dtypes=DTYPES,
           errors=errors(((12,), (3,), {}, RuntimeError,
                          "lamina.vsplit requires a tensor with at least 2 dimension, but got a "
                          "tensor with 1 dimensions!")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("dsplit", lm.dsplit, np.dsplit, cases(((2, 2, 4), (2,), {}), ((2, 2, 4), ([1],), {})),
           method="dsplit", dtypes=DTYPES,
           errors=errors(((2, 4), (2,), {}, RuntimeError,
                          "requires a tensor with at least 3 dimension")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
]
