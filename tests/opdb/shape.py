"""Op table entries for lamina/_ops/shape.py.

Shape ops move elements without arithmetic, so a few dtypes (one per category) cover them. The
samples of `view` only split dims or add and remove size-1 dims, which every layout the generic
test tries can view; merges of non-contiguous dims are view errors, tested in test_views.py.
"""

import numpy as np

import lamina as lm
from opdb import ErrorInput, OpInfo, Sample, make_array

DTYPES = ("bool", "int16", "float32", "float64", "complex128")


def cases(*spec):
    """Samples from (shape, args, kwargs) triples: an array of `shape`, then the parameters."""
    def samples(dtype, rng):
        for shape, args, kwargs in spec:
            yield Sample((make_array(shape, dtype, rng),) + tuple(args), dict(kwargs),
                         name=f"{shape}-{args}-{kwargs}")
    return samples


def errors(*spec):
    """ErrorInputs from (shape, args, kwargs, exception, regex) tuples, on float32 arrays."""
    rng = np.random.default_rng(0)
    return lambda: [ErrorInput(Sample((make_array(shape, "float32", rng),) + tuple(args),
                                      dict(kwargs), name=f"{shape}-{args}-{kwargs}"), exc, match)
                    for shape, args, kwargs, exc, match in spec]


def pairs(*spec):
    """Samples of two arrays (shapes `sa`, `sb`) for the ops that take their shape from another."""
    def samples(dtype, rng):
        for sa, sb in spec:
            yield Sample((make_array(sa, dtype, rng), make_array(sb, dtype, rng)),
                         name=f"{sa}-{sb}")
    return samples


def _unflatten(a, dim, sizes):
    shape = a.shape[:dim % a.ndim] + tuple(sizes) + a.shape[dim % a.ndim + 1:]
    return a.reshape(shape)


def _squeeze(a, dim=None):
    if dim is None:
        return np.squeeze(a)
    dims = (dim,) if isinstance(dim, int) else dim
    return np.squeeze(a, tuple(d for d in dims if a.ndim and a.shape[d] == 1))


def _flatten(a, start_dim=0, end_dim=-1):
    if a.ndim == 0:
        return a.reshape(1)
    s, e = start_dim % a.ndim, end_dim % a.ndim
    return a.reshape(a.shape[:s] + (int(np.prod(a.shape[s:e + 1])),) + a.shape[e + 1:])


def _t(a):
    return a.T


def _matrix_t(a):
    return np.swapaxes(a, -1, -2)


def _adjoint(a):
    a = np.swapaxes(a, -1, -2)
    return np.conj(a) if a.dtype.kind == "c" else a


def _swapaxes(a, d0, d1):
    return np.swapaxes(a, d0, d1) if a.ndim else a


def _moveaxis(a, source, destination):
    return np.moveaxis(a, source, destination) if a.ndim else a


def _expand(a, *sizes):
    sizes = sizes[0] if len(sizes) == 1 and not isinstance(sizes[0], int) else sizes
    lead = len(sizes) - a.ndim
    return np.broadcast_to(a, tuple(a.shape[i - lead] if n == -1 else n
                                    for i, n in enumerate(sizes)))


def _repeat(a, *reps):
    return np.tile(a, reps)


def _roll(a, shifts, dims=None):
    return np.roll(a, shifts, dims if dims != () else None)


def _narrow(a, dim, start, length):
    start = start % a.shape[dim] if start < 0 else start
    return np.take(a, range(start, start + length), axis=dim)


def _diag_embed(a, offset=0, dim1=-2, dim2=-1):
    n = a.shape[-1] + abs(offset)
    out = np.zeros(a.shape[:-1] + (n, n), a.dtype)
    for i in range(a.shape[-1]):
        out[..., i + max(-offset, 0), i + max(offset, 0)] = a[..., i]
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


def _inplace_meta(method):
    """A Tensor-only in-place view op: call it, and return the tensor itself."""
    def op(x, *args):
        out = getattr(x, method)(*args)
        assert out is x
        return out
    return op


_MATRICES = cases(((3, 4), (), {}), ((2, 3, 4), (), {}), ((0, 3, 2), (), {}), ((1, 1), (), {}))

OPS = [
    OpInfo("view", lm.Tensor.view, lambda a, *s: a.reshape(*s),
           cases(((3, 4), ((3, 2, 2),), {}), ((3, 4), (3, -1, 1, 2), {}), ((12,), (2, -1), {}),
                 ((), (1, 1), {}), ((0, 3), (0, 3, 1), {}), ((2, 1, 4), (2, 4), {}),
                 ((1,), ((),), {})),
           dtypes=DTYPES,
           errors=errors(((12,), ((3, 5),), {}, RuntimeError,
                          r"shape '\[3, 5\]' is invalid for input of size 12"),
                         ((12,), (-1, -1), {}, RuntimeError, "only one dimension can be inferred"),
                         ((12,), (3, -2), {}, RuntimeError,
                          r"invalid shape dimension -2 at index 1 of shape \[3, -2\]"),
                         ((0,), (0, -1), {}, RuntimeError, "cannot reshape tensor of 0 elements"),
                         ((12,), (3.0, 4), {}, TypeError, "invalid combination of arguments")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("view_as", lm.Tensor.view_as, lambda a, b: a.reshape(b.shape),
           pairs(((3, 4), (3, 2, 2)), ((1,), ()), ((2, 3), (2, 1, 3))), dtypes=DTYPES,
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("reshape", lm.reshape, lambda a, s: a.reshape(s),
           cases(((3, 4), ((12,),), {}), ((2, 3, 4), ((4, -1),), {}), ((), ((),), {}),
                 ((0, 3), ((3, 0),), {}), ((5,), ((5, 1),), {}), ((2, 3), ((-1,),), {})),
           method="reshape", dtypes=DTYPES,
           errors=errors(((3, 4), ((5, -1),), {}, RuntimeError,
                          r"shape '\[5, -1\]' is invalid for input of size 12")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("reshape_as", lm.Tensor.reshape_as, lambda a, b: a.reshape(b.shape),
           pairs(((3, 4), (12,)), ((2, 3), (3, 2))), dtypes=DTYPES,
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("contiguous", lm.Tensor.contiguous, lambda a: np.array(a, order="C"),
           cases(((3, 4), (), {}), ((), (), {}), ((0, 2), (), {})), dtypes=DTYPES,
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("flatten", lm.flatten, _flatten,
           cases(((2, 3, 4), (), {}), ((2, 3, 4), (1,), {}), ((2, 3, 4), (0, 1), {}),
                 ((), (), {}), ((0, 3), (), {}), ((2, 3), (1, 1), {})),
           method="flatten", dtypes=DTYPES,
           errors=errors(((3, 4), (1, 0), {}, RuntimeError, "start_dim cannot come after end_dim"),
                         ((12,), (2,), {}, IndexError, "Dimension out of range")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("unflatten", lm.unflatten, _unflatten,
           cases(((2, 12), (1, (3, -1)), {}), ((12,), (0, (2, 2, 3)), {}),
                 ((0, 4), (-1, (2, 2)), {}), ((3, 4), (0, [3]), {})),
           method="unflatten", dtypes=DTYPES,
           errors=errors(((12,), (0, (5, -1)), {}, RuntimeError,
                          r"Provided sizes \[5, -1\] don't multiply up to the size of dim 0"),
                         ((12,), (0, ()), {}, RuntimeError, "sizes must be non-empty")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("ravel", lm.ravel, np.ravel, cases(((3, 4), (), {}), ((), (), {}), ((2, 0), (), {})),
           method="ravel", dtypes=DTYPES, grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("squeeze", lm.squeeze, _squeeze,
           cases(((1, 3, 1, 4), (), {}), ((1, 3, 1, 4), (2,), {}), ((1, 3, 1, 4), ((0, 2),), {}),
                 ((1, 3, 1, 4), (1,), {}), ((), (), {}), ((), (0,), {}), ((1,), (), {}),
                 ((1, 0), (-2,), {})),
           method="squeeze", dtypes=DTYPES,
           errors=errors(((3,), (1,), {}, IndexError, "Dimension out of range"),
                         ((1, 3), ((0, 0),), {}, RuntimeError,
                          "dim 0 appears multiple times in the list of dims")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("unsqueeze", lm.unsqueeze, np.expand_dims,
           cases(((3, 4), (0,), {}), ((3, 4), (-1,), {}), ((3, 4), (1,), {}), ((), (0,), {}),
                 ((0,), (-2,), {})),
           method="unsqueeze", dtypes=DTYPES,
           errors=errors(((3,), (-3,), {}, IndexError, r"range of \[-2, 1\], but got -3")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("transpose", lm.transpose, _swapaxes,
           cases(((3, 4), (0, 1), {}), ((2, 3, 4), (-1, 0), {}), ((3,), (0, -1), {}),
                 ((), (0, -1), {}), ((2, 0, 3), (1, 2), {})),
           method="transpose", dtypes=DTYPES, grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("swapaxes", lm.swapaxes, np.swapaxes, cases(((2, 3, 4), (0, 2), {})),
           method="swapaxes", dtypes=("float32", "float64"),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("swapdims", lm.swapdims, np.swapaxes, cases(((2, 3, 4), (1, 2), {})),
           method="swapdims", dtypes=("float32", "float64"),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("permute", lm.permute, np.transpose,
           cases(((2, 3, 4), ((2, 0, 1),), {}), ((3, 4), ((-1, 0),), {}), ((), ((),), {}),
                 ((2, 0, 3), ((1, 2, 0),), {})),
           method="permute", dtypes=DTYPES,
           errors=errors(((3, 4), ((0, 0),), {}, RuntimeError, "duplicate dims are not allowed"),
                         ((3, 4), ((0,),), {}, RuntimeError,
                          r"input.dim\(\) = 2 is not equal to len\(dims\) = 1"),
                         ((3, 4), ((0, 2),), {}, IndexError, "Dimension out of range")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("movedim", lm.movedim, _moveaxis,
           cases(((2, 3, 4), (0, 2), {}), ((2, 3, 4), ((0, 1), (2, 0)), {}),
                 ((2, 3, 4), (-1, 0), {}), ((), (0, 0), {})),
           method="movedim", dtypes=DTYPES,
           errors=errors(((3, 4, 1), ((0, 1), (1, 1)), {}, RuntimeError,
                          r"repeated dim in `destination` \(\[1, 1\]\)"),
                         ((3, 4, 1), ((0, 1), (1,)), {}, RuntimeError,
                          "should contain the same number of dims as destination")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("moveaxis", lm.moveaxis, np.moveaxis, cases(((2, 3, 4), (1, -1), {})),
           method="moveaxis", dtypes=("float32", "float64"),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("t", lm.t, _t, cases(((3, 4), (), {}), ((3,), (), {}), ((), (), {}), ((0, 2), (), {})),
           method="t", dtypes=DTYPES,
           errors=errors(((2, 2, 3), (), {}, RuntimeError,
                          r"t\(\) expects a tensor with <= 2 dimensions, but self is 3D")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("T", lambda x: x.T, _t, cases(((3, 4), (), {}), ((0, 2), (), {})), dtypes=DTYPES,
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("mT", lambda x: x.mT, _matrix_t, _MATRICES, dtypes=DTYPES,
           errors=errors(((3,), (), {}, RuntimeError,
                          "tensor.mT is only supported on matrices or batches of matrices. Got "
                          "1-D tensor.")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("mH", lambda x: x.mH, _adjoint, _MATRICES, dtypes=DTYPES,
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("H", lambda x: x.H, _adjoint, cases(((3, 4), (), {}), ((0, 2), (), {})),
           dtypes=DTYPES,
           errors=errors(((2, 2, 3), (), {}, RuntimeError,
                          "Got 3-D tensor. For batches of matrices, consider using tensor.mH")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("adjoint", lm.adjoint, _adjoint, _MATRICES, method="adjoint", dtypes=DTYPES,
           errors=errors(((3,), (), {}, RuntimeError,
                          r"tensor.adjoint\(\) is only supported on matrices")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("expand", lm.Tensor.expand, _expand,
           cases(((3, 1), (3, 4), {}), ((4,), ((2, 3, 4),), {}), ((3, 1), (-1, 5), {}),
                 ((), (2, 2), {}), ((1, 0), (2, -1, 0), {}), ((2, 3), (2, 3), {})),
           dtypes=DTYPES,
           errors=errors(((3, 4), (3, 5), {}, RuntimeError,
                          r"The expanded size of the tensor \(5\) must match the existing size "
                          r"\(4\) at non-singleton dimension 1.  Target sizes: \[3, 5\].  Tensor "
                          r"sizes: \[3, 4\]"),
                         ((3, 4), (-1, 3, 4), {}, RuntimeError,
                          r"\(-1\) isn't allowed in a leading, non-existing dimension 0"),
                         ((3, 4), (4,), {}, RuntimeError,
                          r"expand\(lamina.FloatTensor\{\[3, 4\]\}, size=\[4\]\): the number of "
                          r"sizes provided \(1\) must be greater or equal")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("expand_as", lm.Tensor.expand_as, lambda a, b: np.broadcast_to(a, b.shape),
           pairs(((3, 1), (2, 3, 4)), ((), (2,))), dtypes=DTYPES,
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("broadcast_to", lm.broadcast_to, np.broadcast_to,
           cases(((3, 1), ((3, 4),), {}), ((4,), ((2, 4),), {}), ((), ((0,),), {})),
           method="broadcast_to", dtypes=DTYPES, grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("broadcast_tensors", lm.broadcast_tensors,
           lambda *arrays: tuple(np.broadcast_arrays(*arrays)),
           pairs(((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2,)), ((0, 1), (3,))), dtypes=DTYPES,
           errors=lambda: [ErrorInput(Sample((np.zeros(12), np.zeros(5))), RuntimeError,
                                      r"size of tensor a \(12\) must match the size of tensor b "
                                      r"\(5\) at non-singleton dimension 0")],
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("broadcast_shapes", lm.broadcast_shapes, np.broadcast_shapes,
           lambda dtype, rng: [Sample(((3, 1), (1, 4))), Sample((2, (3, 1))), Sample(()),
                               Sample(([2, 1, 3], (0, 1)))],
           dtypes=("float32",),
           errors=lambda: [ErrorInput(Sample(((3, 1), (2, 4))), RuntimeError,
                                      r"Attempting to broadcast a dimension of length 2 at -2! "
                                      r"Mismatching argument at index 1 had \(2, 4\); but expected "
                                      r"shape should be broadcastable to \[3, 4\]"),
                           ErrorInput(Sample(((2, 3), 2.0)), RuntimeError,
                                      "Input shapes should be of type ints")]),
    OpInfo("repeat", lm.Tensor.repeat, _repeat,
           cases(((3,), (2,), {}), ((3,), (2, 2), {}), ((2, 3), (1, 2, 3), {}), ((), (2,), {}),
                 ((0, 2), (2, 0), {}), ((2,), (3,), {})),
           dtypes=DTYPES,
           errors=errors(((3, 4), (2,), {}, RuntimeError,
                          "Number of dimensions of repeat dims can not be smaller"),
                         ((12,), (-1,), {}, RuntimeError,
                          r"negative dimension -12: \[-12\]")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("tile", lm.tile, np.tile,
           cases(((3,), ((2,),), {}), ((2, 3), ((2,),), {}), ((2, 3), ((2, 1, 2),), {}),
                 ((3,), ((),), {}), ((), ((2,),), {})),
           method="tile", dtypes=DTYPES, grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("flip", lm.flip, np.flip,
           cases(((3, 4), ((0,),), {}), ((2, 3, 4), ((0, 2),), {}), ((3, 4), ((),), {}),
                 ((3, 4), ((-1,),), {}), ((0, 2), ((0, 1),), {})),
           method="flip", dtypes=DTYPES,
           errors=errors(((12,), ((0, 0),), {}, RuntimeError,
                          "dim 0 appears multiple times in the list of dims")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("fliplr", lm.fliplr, np.fliplr, cases(((3, 4), (), {}), ((2, 3, 4), (), {})),
           method="fliplr", dtypes=DTYPES,
           errors=errors(((12,), (), {}, RuntimeError, "Input must be >= 2-d.")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("flipud", lm.flipud, np.flipud, cases(((3, 4), (), {}), ((5,), (), {})),
           method="flipud", dtypes=DTYPES,
           errors=errors(((), (), {}, RuntimeError, "Input must be >= 1-d.")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("roll", lm.roll, _roll,
           cases(((12,), (2,), {}), ((3, 4), (2,), {}), ((3, 4), ((1, -2), (0, 1)), {}),
                 ((3, 4), (5, -1), {}), ((), (1,), {}), ((0, 3), (1, 1), {}),
                 ((3, 4), (1, ()), {})),
           method="roll", dtypes=DTYPES,
           errors=errors(((3, 4), ((1, 2), (0,)), {}, RuntimeError,
                          "shifts and dimensions must align. shifts: 2, dims:1"),
                         ((3, 4), ((), ()), {}, RuntimeError, "`shifts` required"),
                         ((), (1, 0), {}, IndexError,
                          "Dimension specified as 0 but tensor has no dimensions")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("rot90", lm.rot90, lambda a, k=1, dims=(0, 1): np.rot90(a, k, dims),
           cases(((3, 4), (), {}), ((3, 4), (2,), {}), ((3, 4), (-1,), {}), ((3, 4), (4,), {}),
                 ((2, 3, 4), (1, (2, 0)), {}), ((0, 2), (1,), {})),
           method="rot90", dtypes=DTYPES,
           errors=errors(((12,), (), {}, RuntimeError, "expected total dims >= 2"),
                         ((3, 4), (1, (0, -2)), {}, RuntimeError,
                          "expected rotation dims to be different, but got dim0 = 0 and dim1 = -2"),
                         ((3, 4), (1, (0,)), {}, RuntimeError,
                          "expected total rotation dims == 2, but got dims = 1")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("narrow", lm.narrow, _narrow,
           cases(((12,), (0, 2, 3), {}), ((3, 4), (1, -2, 2), {}), ((3, 4), (0, 3, 0), {}),
                 ((2, 3, 4), (-1, 0, 4), {})),
           method="narrow", dtypes=DTYPES,
           errors=errors(((12,), (0, 11, 3), {}, RuntimeError,
                          r"start \(11\) \+ length \(3\) exceeds dimension size \(12\)."),
                         ((12,), (0, -13, 2), {}, IndexError,
                          r"start out of range \(expected to be in range of \[-12, 12\], but got "
                          r"-13\)"),
                         ((12,), (0, 2, -1), {}, RuntimeError, "length must be non-negative"),
                         ((), (0, 0, 1), {}, RuntimeError, "cannot be applied to a 0-dim tensor")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("select", lm.select, lambda a, dim, index: np.take(a, index, axis=dim),
           cases(((12,), (0, 3), {}), ((3, 4), (1, -1), {}), ((2, 3, 4), (-2, 0), {}),
                 ((3, 0), (0, 1), {})),
           method="select", dtypes=DTYPES,
           errors=errors(((12,), (0, 12), {}, IndexError,
                          r"select\(\): index 12 out of range for tensor of size \[12\] at "
                          "dimension 0"),
                         ((), (0, 0), {}, IndexError, "cannot be applied to a 0-dim tensor")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("unbind", lm.unbind, lambda a, dim=0: tuple(np.moveaxis(a, dim, 0)),
           cases(((3, 4), (), {}), ((3, 4), (1,), {}), ((2, 3, 4), (-1,), {}), ((0, 2), (), {}),
                 ((2, 0), (0,), {})),
           method="unbind", dtypes=DTYPES,
           errors=errors(((), (), {}, IndexError,
                          "Dimension specified as 0 but tensor has no dimensions")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("diagonal", lm.diagonal, lambda a, *args: np.diagonal(a, *args).copy(),
           cases(((3, 4), (), {}), ((3, 4), (1,), {}), ((3, 4), (-2,), {}), ((3, 4), (5,), {}),
                 ((2, 3, 4), (0, 2, 0), {}), ((2, 3, 4), (1, -1, -2), {}), ((0, 3), (), {})),
           method="diagonal", dtypes=DTYPES,
           errors=errors(((3, 4), (0, 0, 0), {}, RuntimeError,
                          "diagonal dimensions cannot be identical 0, 0"),
                         ((12,), (), {}, IndexError, "Dimension out of range")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("diag", lm.diag, np.diag,
           cases(((3,), (), {}), ((3,), (-1,), {}), ((3, 4), (), {}), ((3, 4), (2,), {}),
                 ((3, 4), (7,), {}), ((0,), (), {}), ((0, 2), (), {})),
           method="diag", dtypes=DTYPES,
           errors=errors(((2, 2, 3), (), {}, RuntimeError,
                          r"diag\(\): Supports 1D or 2D tensors. Got 3D"),
                         ((), (), {}, RuntimeError, "Got 0D")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("diag_embed", lm.diag_embed, _diag_embed,
           cases(((3, 4), (), {}), ((3, 4), (1, 0, 2), {}), ((3,), (-2,), {}),
                 ((2, 3), (0, 1, 0), {}), ((2, 0), (), {})),
           method="diag_embed", dtypes=DTYPES,
           errors=errors(((3, 4), (1, 0, 0), {}, RuntimeError,
                          "diagonal dimensions cannot be identical 0, 0"),
                         ((), (), {}, IndexError, r"range of \[-1, 0\], but got -2")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("diagflat", lm.diagflat, np.diagflat,
           cases(((3,), (), {}), ((2, 2), (1,), {}), ((), (), {}), ((3,), (-2,), {})),
           method="diagflat", dtypes=DTYPES, grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("tril", lm.tril, np.tril,
           cases(((3, 4), (), {}), ((3, 4), (1,), {}), ((2, 3, 4), (-1,), {}), ((3, 4), (-5,), {}),
                 ((0, 2, 2), (), {})),
           method="tril", dtypes=DTYPES,
           errors=errors(((12,), (), {}, RuntimeError,
                          "tril: input tensor must have at least 2 dimensions")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("triu", lm.triu, np.triu,
           cases(((3, 4), (), {}), ((3, 4), (-1,), {}), ((2, 3, 4), (2,), {}), ((2, 0), (), {})),
           method="triu", dtypes=DTYPES,
           errors=errors(((12,), (), {}, RuntimeError,
                          "triu: input tensor must have at least 2 dimensions")),
           grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("tril_", lm.Tensor.tril_, np.tril,
           cases(((3, 4), (), {}), ((2, 3, 4), (1,), {})), dtypes=DTYPES, inplace_first=True),
    OpInfo("triu_", lm.Tensor.triu_, np.triu,
           cases(((3, 4), (), {}), ((2, 3, 4), (-1,), {})), dtypes=DTYPES, inplace_first=True),
    OpInfo("clone", lm.clone, np.copy, cases(((3, 4), (), {}), ((), (), {}), ((0, 3), (), {})),
           method="clone", dtypes=DTYPES, grad=True, gradgrad=True, fwgrad=True, vmap=True),
    OpInfo("detach", lm.detach, np.copy, cases(((3, 4), (), {}), ((), (), {})),
           method="detach", dtypes=DTYPES),
    OpInfo("squeeze_", _inplace_meta("squeeze_"), _squeeze,
           cases(((1, 3, 1), (), {}), ((1, 3, 1), (0,), {})), dtypes=("float32",)),
    OpInfo("unsqueeze_", _inplace_meta("unsqueeze_"), np.expand_dims,
           cases(((3, 4), (1,), {}),), dtypes=("float32",)),
    OpInfo("transpose_", _inplace_meta("transpose_"), np.swapaxes,
           cases(((2, 3, 4), (0, 2), {}),), dtypes=("float32",)),
    OpInfo("t_", _inplace_meta("t_"), _t, cases(((3, 4), (), {}),), dtypes=("float32",)),
]
