"""Shape ops and views: reshape, squeeze, transpose and permute, expand, slicing along a dim,
diagonals, flips and rolls, triangles, clone and detach.

A view shares its input's storage and version counter (`view=True` primitives), so a write
through either is seen by the other, as in PyTorch. Every shape-only change (view, reshape,
flatten, squeeze, unsqueeze, unflatten) is one primitive, `view_p`, and every reordering of dims
(transpose, permute, movedim, t, mT) is `permute_p`: the rules are written once for each.
Public functions resolve PyTorch's argument forms (varargs or a sequence, negative dims, -1 in a
size) and pass canonical parameters to the primitives, so a batching rule sees plain dims.

Ops that PyTorch defines as copies stay copies here even where NumPy would return a view
(`flip`, `roll`, `repeat`, `diag` of a matrix): a write into their result must not reach the input.
"""

import operator
import warnings

from .._core import dtype as dt
from .._core._tensor import (
    VIEW_STRIDE_MSG,
    Size,
    canonical_dim,
    infer_size,
    is_grad_enabled,
    is_int_tuple,
    view_array,
)
from . import unary
from ._batching import batch_size, shift_dim, to_front
from ._checks import LEGACY_NAMES, broadcast_shape, torch_type_name
from ._rules import unbroadcast, wants
from .mutation import finish_out, write_inplace
from .primitive import LEVELS, LINEAR, NONDIFF, Primitive, check_inplace


class memory_format:
    """lamina.memory_format: the layout `clone` and `contiguous` give their result."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"lamina.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")


# -- forward bodies -------------------------------------------------------------------------------

def _view_fwd(xp, a, *, shape):
    try:
        return xp.reshape(a, shape, copy=False)
    except ValueError:
        raise RuntimeError(VIEW_STRIDE_MSG) from None


def _view_dtype_fwd(xp, a, *, dtype):
    return a.view(dtype)


def _along(dim, key):
    """An index tuple applying `key` to axis `dim`; the trailing Ellipsis keeps a 0-dim result an
    array view (NumPy returns a scalar copy for a full integer index)."""
    return (slice(None),) * dim + (key, Ellipsis)


def _slice_fwd(xp, a, *, dim, start, stop):
    return a[_along(dim, slice(start, stop))]


def _select_fwd(xp, a, *, dim, index):
    return a[_along(dim, index)]


def _unbind_fwd(xp, a, *, dim):
    return tuple(a[_along(dim, i)] for i in range(a.shape[dim]))


def _diagonal_fwd(xp, a, *, offset, dim1, dim2):
    d = xp.diagonal(a, offset, dim1, dim2)
    # NumPy marks diagonals read-only for backward compatibility only (CuPy's are writable);
    # PyTorch's are writable views unless the input is an expanded, read-only one.
    if getattr(d.flags, "writeable", True) is False and a.flags.writeable:
        d.flags.writeable = True
    return d


def _diag_embed_fwd(xp, a, *, offset, dim1, dim2):
    n = a.shape[-1]
    out = xp.zeros(a.shape[:-1] + (n + abs(offset), n + abs(offset)), dtype=a.dtype)
    i = xp.arange(n)
    out[..., i + max(-offset, 0), i + max(offset, 0)] = a
    if (dim1, dim2) == (out.ndim - 2, out.ndim - 1):
        return out
    return xp.ascontiguousarray(xp.moveaxis(out, (-2, -1), (dim1, dim2)))


def _tril_fwd(xp, a, *, diagonal):
    return xp.tril(a, diagonal)


def _triu_fwd(xp, a, *, diagonal):
    return xp.triu(a, diagonal)


def _repeat_fwd(xp, a, *, repeats):
    return xp.tile(a, repeats)


def _flip_fwd(xp, a, *, dims):
    return xp.flip(a, dims).copy()


def _roll_fwd(xp, a, *, shifts, dims):
    return xp.roll(a, shifts, dims)


def _clone_fwd(xp, a, *, order):
    return xp.array(a, order=order, copy=True)


def _reshape_fwd(xp, a, *, shape):
    return xp.array(a, order="C", copy=True).reshape(shape)


# Views. A view's VJP adds the cotangent into the region it selects of zeros (`into_zeros`).
def _reshape_vjp(ct, out, x, *, shape):
    return (ct.reshape(x._data.shape),)


def _permute_vjp(ct, out, x, *, dims):
    inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
    return (permute_p(ct, dims=inverse),)


def _slice_vjp(ct, out, x, **params):
    return (into_zeros(ct, x, slice_p, params),)


def _select_vjp(ct, out, x, **params):
    return (into_zeros(ct, x, select_p, params),)


def _unbind_vjp(ct, out, x, **params):
    return (pieces_into_zeros(ct, x, unbind_p, params),)


def _diagonal_vjp(ct, out, x, **params):
    return (into_zeros(ct, x, diagonal_p, params),)


# Batch rules: the mapped dim goes to the front (`to_front`), dim params move up by one and
# shape params gain the batch size; the result is mapped at 0.
def _view_batch(bdims, x, *, shape):
    x = to_front(x, bdims[0])
    shape = x._data.shape[:1] + shape
    try:
        return view_p(x, shape=shape), 0
    except RuntimeError:
        # Moving the mapped dim to the front can leave strides that no view of the new shape
        # fits where each element's own strides did: copy then, as reshape does.
        return reshape_p(x, shape=shape), 0


def _view_dtype_batch(bdims, x, *, dtype):
    # A change of element size rescales the last dim, which must stay a logical one.
    x = to_front(x, bdims[0])
    try:
        return view_dtype_p(x, dtype=dtype), 0
    except ValueError:  # the mapped dim was last: its move left the last dim strided
        return view_dtype_p(clone_p(x, order="C"), dtype=dtype), 0


def _permute_batch(bdims, x, *, dims):
    return permute_p(to_front(x, bdims[0]), dims=(0,) + tuple(d + 1 for d in dims)), 0


def _expand_batch(bdims, x, *, shape):
    x = to_front(x, bdims[0])
    size, rest = x._data.shape[0], x._data.shape[1:]
    # expand adds leading dims; they go after the batch dim, as size-1 dims to broadcast.
    x = view_p(x, shape=(size,) + (1,) * (len(shape) - len(rest)) + rest)
    return expand_p(x, shape=(size,) + shape), 0


def dim_at_front(params):
    """A view's params with its `dim` moved as a batch dim in front moves it."""
    return {**params, "dim": shift_dim(params["dim"])}


def _diagonal_at_front(params):
    # The diagonal goes last in the input's dims and in the output's alike.
    return {**params, "dim1": shift_dim(params["dim1"]), "dim2": shift_dim(params["dim2"])}


def _slice_batch(bdims, x, **params):
    return slice_p(to_front(x, bdims[0]), **dim_at_front(params)), 0


def _select_batch(bdims, x, **params):
    return select_p(to_front(x, bdims[0]), **dim_at_front(params)), 0


def _unbind_batch(bdims, x, **params):
    return unbind_p(to_front(x, bdims[0]), **dim_at_front(params)), 0  # every piece at 0


def _diagonal_batch(bdims, x, **params):
    return diagonal_p(to_front(x, bdims[0]), **_diagonal_at_front(params)), 0


view_p = Primitive("view", cpu=view_array, xp=_view_fwd, vjp=_reshape_vjp, jvp=LINEAR,
                   batch=_view_batch, view=True)
# derivatives.yaml: view.dtype has output_differentiability [False]; its result never requires
# grad, whatever the dtypes, and carries no tangent.
view_dtype_p = Primitive("view_dtype", xp=_view_dtype_fwd, vjp=NONDIFF, jvp=NONDIFF,
                         batch=_view_dtype_batch, view=True)
# The array's own transpose method: np.transpose's Python wrapper costs more than the view.
permute_p = Primitive("permute", xp=lambda xp, a, *, dims: a.transpose(dims), vjp=_permute_vjp,
                      jvp=LINEAR, batch=_permute_batch, view=True)
expand_p = Primitive("expand", xp=lambda xp, a, *, shape: xp.broadcast_to(a, shape),
                     vjp=lambda ct, out, a, *, shape: (unbroadcast(ct, a),), jvp=LINEAR,
                     batch=_expand_batch, view=True)
slice_p = Primitive("slice", xp=_slice_fwd, vjp=_slice_vjp, jvp=LINEAR, batch=_slice_batch,
                    view=True)
select_p = Primitive("select", xp=_select_fwd, vjp=_select_vjp, jvp=LINEAR, batch=_select_batch,
                     view=True)
# One call for all the slices, rather than one select per element: iteration goes through it.
unbind_p = Primitive("unbind", xp=_unbind_fwd, vjp=_unbind_vjp, jvp=LINEAR, batch=_unbind_batch,
                     view=True)
diagonal_p = Primitive("diagonal", xp=_diagonal_fwd, vjp=_diagonal_vjp, jvp=LINEAR,
                       batch=_diagonal_batch, view=True)
# The transpose of the views that select a region (slice, select, diagonal, unbind, split, a
# basic index): `base` with each src added into its region of the view. A primitive so that the
# views' VJPs stay out of place (vmap refuses an in-place write of a mapped cotangent into
# unmapped zeros) and differentiable; PyTorch's slice_scatter / select_scatter /
# diagonal_scatter family in one, adding where they copy (the VJPs add into zeros, where both
# agree, and adding sums the pieces of a split whose bounds overlap). The forward applies the
# view primitive's own body to a copy of base, so each view has one definition. `pieces`: None
# for a view with one output and one src; for unbind and split, the output positions the srcs
# go to. Each src has its region's shape (a cotangent's).
def _view_scatter_add_fwd(xp, base, *srcs, view, params, pieces):
    out = base.copy()
    region = view.xp(xp, out, **params)
    for target, src in zip((region,) if pieces is None else [region[k] for k in pieces], srcs):
        target += src
    return out


def _regions(ct, view, params, pieces):
    region = view(ct, **params)
    return (region,) if pieces is None else tuple(region[k] for k in pieces)


def _view_scatter_add_vjp(ct, out, base, *srcs, view, params, pieces):
    regions = _regions(ct, view, params, pieces)
    return (ct if wants(base) else None,) + tuple(r if wants(s) else None
                                                 for r, s in zip(regions, srcs))


def _view_scatter_add_batch(bdims, base, *srcs, view, params, pieces):
    # Mapped dims first, an unmapped base expanded to the batch (the forward copies it); an
    # unmapped src broadcasts into its batched region. The view's params move as its own batch
    # rule moves them (VIEW_AT_FRONT).
    if bdims[0] is None:
        size, shape = batch_size((base,) + srcs, bdims), base._data.shape
        base = expand_p(view_p(base, shape=(1,) + shape), shape=(size,) + shape)
    srcs = tuple(to_front(s, b) for s, b in zip(srcs, bdims[1:]))
    return view_scatter_add_p(to_front(base, bdims[0]), *srcs, view=view,
                              params=VIEW_AT_FRONT[view](params), pieces=pieces), 0


# Linear in base and the srcs together; its VJP reads shapes only.
view_scatter_add_p = Primitive("view_scatter_add", xp=_view_scatter_add_fwd,
                               vjp=_view_scatter_add_vjp, jvp=LINEAR,
                               batch=_view_scatter_add_batch, saves=())
# Each region-selecting view's params once a batch dim leads its input, for view_scatter_add's
# batch rule; gather_scatter.py (basic_index) and joining.py (split) add theirs.
VIEW_AT_FRONT = {slice_p: dim_at_front, select_p: dim_at_front, unbind_p: dim_at_front,
                 diagonal_p: _diagonal_at_front}


def into_zeros(ct, x, view, params):
    """The transpose of a view op: `ct` in the region `view(g, **params)` selects of a zero
    tensor `g` shaped like `x`."""
    return view_scatter_add_p(ct.new_zeros(x._data.shape), ct, view=view, params=params,
                              pieces=None)


def pieces_into_zeros(cts, x, view, params):
    """The transpose of a view op with several outputs (unbind, split): each piece's cotangent
    `cts[i]` added into piece i of `view(g, **params)` of a zero tensor `g` shaped like `x`; a
    missing (None) one adds nothing, and with none the result is None."""
    pieces = tuple(i for i, ct in enumerate(cts) if ct is not None)
    if not pieces:
        return None
    srcs = tuple(cts[i] for i in pieces)
    return view_scatter_add_p(srcs[0].new_zeros(x._data.shape), *srcs, view=view,
                              params=params, pieces=pieces)


# The alias where gradients stop: a primitive so that transforms see the cut. derivatives.yaml
# (detach: output_differentiability [False]): no tangent either; the mapped dim stays put.
detach_p = Primitive("detach", xp=lambda xp, a: a.view(), vjp=NONDIFF, jvp=NONDIFF,
                     batch=lambda bdims, x: (detach_p(x), bdims[0]), view=True)


# Copies.
def _repeat_vjp(ct, out, x, *, repeats):
    # tile lays each output dim out as (repeat, size) in C order: split it so, sum the repeats.
    shape = (1,) * (len(repeats) - x._data.ndim) + x._data.shape
    split = tuple(n for pair in zip(repeats, shape) for n in pair)
    return (ct.reshape(split).sum(tuple(range(0, len(split), 2))).reshape(x._data.shape),)


def _roll_vjp(ct, out, x, *, shifts, dims):
    back = -shifts if dims is None else tuple(-s for s in shifts)
    return (roll_p(ct, shifts=back, dims=dims),)


# diag_embed puts x on the diagonal that `diagonal` reads with the same parameters.
def _diag_embed_vjp(ct, out, x, *, offset, dim1, dim2):
    return (diagonal_p(ct, offset=offset, dim1=dim1, dim2=dim2),)


def _clone_batch(bdims, x, *, order):
    if order == "C":  # C order of each element: the batch dim must be the outermost
        return clone_p(to_front(x, bdims[0]), order=order), 0
    return clone_p(x, order=order), bdims[0]


def _reshape_batch(bdims, x, *, shape):
    x = to_front(x, bdims[0])
    return reshape_p(x, shape=x._data.shape[:1] + shape), 0


def _diag_embed_batch(bdims, x, *, offset, dim1, dim2):
    # dim1 and dim2 are dims of the output, which has the batch dim first too.
    return diag_embed_p(to_front(x, bdims[0]), offset=offset, dim1=shift_dim(dim1),
                        dim2=shift_dim(dim2)), 0


def _tril_batch(bdims, x, *, diagonal):
    return tril_p(to_front(x, bdims[0]), diagonal=diagonal), 0


def _triu_batch(bdims, x, *, diagonal):
    return triu_p(to_front(x, bdims[0]), diagonal=diagonal), 0


def _repeat_batch(bdims, x, *, repeats):
    # repeat pads the input with leading size-1 dims up to len(repeats): pad after the batch dim.
    x = to_front(x, bdims[0])
    shape = x._data.shape
    x = view_p(x, shape=shape[:1] + (1,) * (len(repeats) + 1 - len(shape)) + shape[1:])
    return repeat_p(x, repeats=(1,) + repeats), 0


def _flip_batch(bdims, x, *, dims):
    return flip_p(to_front(x, bdims[0]), dims=tuple(shift_dim(d) for d in dims)), 0


def _roll_batch(bdims, x, *, shifts, dims):
    x = to_front(x, bdims[0])
    if dims is not None:
        return roll_p(x, shifts=shifts, dims=tuple(shift_dim(d) for d in dims)), 0
    # No dims: each element rolls as a flat vector.
    shape = x._data.shape
    flat = roll_p(reshape(x, (shape[0], -1)), shifts=(shifts,), dims=(1,))
    return view_p(flat, shape=shape), 0


clone_p = Primitive("clone", xp=_clone_fwd, vjp=lambda ct, out, x, *, order: (ct,), jvp=LINEAR,
                    batch=_clone_batch)
# reshape's copying branch: its own primitive so that the result owns its storage (no `_base`).
reshape_p = Primitive("reshape", xp=_reshape_fwd, vjp=_reshape_vjp, jvp=LINEAR,
                      batch=_reshape_batch)
diag_embed_p = Primitive("diag_embed", xp=_diag_embed_fwd, vjp=_diag_embed_vjp, jvp=LINEAR,
                         batch=_diag_embed_batch)
# A triangle masks elements out, and so does its transpose.
tril_p = Primitive("tril", xp=_tril_fwd, jvp=LINEAR, batch=_tril_batch,
                   vjp=lambda ct, out, x, *, diagonal: (tril_p(ct, diagonal=diagonal),))
triu_p = Primitive("triu", xp=_triu_fwd, jvp=LINEAR, batch=_triu_batch,
                   vjp=lambda ct, out, x, *, diagonal: (triu_p(ct, diagonal=diagonal),))
repeat_p = Primitive("repeat", xp=_repeat_fwd, vjp=_repeat_vjp, jvp=LINEAR, batch=_repeat_batch)
flip_p = Primitive("flip", xp=_flip_fwd, vjp=lambda ct, out, x, *, dims: (flip_p(ct, dims=dims),),
                   jvp=LINEAR, batch=_flip_batch)
roll_p = Primitive("roll", xp=_roll_fwd, vjp=_roll_vjp, jvp=LINEAR, batch=_roll_batch)


# -- argument forms -------------------------------------------------------------------------------

def _varargs(name, param, args, keyword):
    """A method's ints given spread (`x.view(3, 4)`), as one sequence (`x.view((3, 4))`) or by
    keyword (`x.view(size=(3, 4))`): the sequence."""
    if keyword is not None:
        if args:
            raise TypeError(f"{name}() got multiple values for argument '{param}'")
        return keyword
    if not args:
        raise TypeError(f'{name}() missing 1 required positional arguments: "{param}"')
    if len(args) == 1 and not hasattr(args[0], "__index__"):
        return args[0]
    return args


def _ints(name, seq):
    """An int or a sequence of ints (anything with __index__) as a tuple of Python ints."""
    if hasattr(seq, "__index__"):
        seq = (seq,)
    try:
        return tuple(operator.index(s) for s in seq)
    except TypeError:
        got = ", ".join(type(s).__name__ for s in seq) if isinstance(seq, (tuple, list)) else (
            type(seq).__name__)
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                        "but expected (tuple of ints size)") from None


def _dim_list(dims, ndim):
    """An int or a sequence of dims, wrapped, with PyTorch's error for a repeated dim."""
    if hasattr(dims, "__index__"):
        dims = (dims,)
    out = tuple(canonical_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        d = next(d for d in out if out.count(d) > 1)
        raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


# -- reshaping ------------------------------------------------------------------------------------

def view(self, *shape, size=None, dtype=None):
    if size is None and dtype is None and is_int_tuple(shape):
        return view_p(self, shape=infer_size(shape, self._data.size))  # x.view(2, 2): no parsing
    if dtype is not None or (len(shape) == 1 and isinstance(shape[0], dt.dtype)):
        return _view_dtype(self, shape[0] if dtype is None else dtype)
    shape = _ints("view", _varargs("view", "size", shape, size))
    return view_p(self, shape=infer_size(shape, self._data.size))


def _view_dtype(self, dtype):
    a, src = self._data, self.dtype
    if dtype.itemsize != src.itemsize:
        # PyTorch's conditions: the last dim is contiguous and every other stride, the offset and
        # the last size rescale to whole elements of the new size.
        ratio = max(dtype.itemsize, src.itemsize) // min(dtype.itemsize, src.itemsize)
        what = (f"to view {torch_type_name(src)} as {torch_type_name(dtype)} (different element "
                "sizes)")
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        if self.stride(-1) != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {self.stride(-1)}")
        if dtype.itemsize > src.itemsize:
            if a.shape[-1] % ratio:
                raise RuntimeError(
                    f"self.size(-1) must be divisible by {ratio} {what}, but got {a.shape[-1]}")
            if self.storage_offset() % ratio:
                raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} {what}, "
                                   f"but got {self.storage_offset()}")
            for i, s in enumerate(self.stride()[:-1]):
                if s % ratio:
                    raise RuntimeError(
                        f"self.stride({i}) must be divisible by {ratio} {what}, but got {s}")
    return view_dtype_p(self, dtype=dtype.np)


def view_as(self, other):
    return view(self, other.shape)


def reshape(input, shape):
    if not (type(shape) is tuple and is_int_tuple(shape)):  # plain ints skip the parsing
        shape = _ints("reshape", shape)
    shape = infer_size(shape, input._data.size)
    try:
        return view_p(input, shape=shape)
    except RuntimeError:
        # The strides cannot express the new shape: PyTorch's reshape copies then.
        return reshape_p(input, shape=shape)


def reshape_as(self, other):
    return reshape(self, other.shape)


def flatten(input, start_dim=0, end_dim=-1):
    shape = input._data.shape
    start, end = canonical_dim(start_dim, len(shape)), canonical_dim(end_dim, len(shape))
    if not shape:
        return view_p(input, shape=(1,))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    return reshape(input, shape[:start] + (-1,) + shape[end + 1:])


def unflatten(input, dim, sizes):
    shape = input._data.shape
    d = canonical_dim(dim, len(shape))
    sizes = _ints("unflatten", sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    size = shape[d] if shape else 1
    try:
        sizes = infer_size(sizes, size)
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size "
                           f"of dim {d} ({size}) in the input tensor") from None
    return view_p(input, shape=shape[:d] + sizes + shape[d + 1:])


def ravel(input):
    return view_p(contiguous(input), shape=(input._data.size,))


def squeeze(input, dim=None):
    shape = input._data.shape
    if type(dim) is int:  # one dim: no list to build and check
        d = canonical_dim(dim, len(shape))
        return view_p(input, shape=shape[:d] + shape[d + 1:] if shape and shape[d] == 1
                      else shape)
    if dim is None:
        dims = range(len(shape))
    else:
        dims = _dim_list(dim, len(shape))
    new = tuple(s for i, s in enumerate(shape) if s != 1 or i not in dims)
    return view_p(input, shape=new)


def unsqueeze(input, dim):
    shape = input._data.shape
    d = canonical_dim(dim, len(shape) + 1)
    return view_p(input, shape=shape[:d] + (1,) + shape[d:])


def contiguous(self, memory_format=contiguous_format):
    if self._data.flags.c_contiguous:
        return self
    return clone_p(self, order="C")


def clone(input, *, memory_format=preserve_format):
    if memory_format is contiguous_format:
        return clone_p(input, order="C")
    if memory_format is not preserve_format:
        raise RuntimeError(f"unsupported memory format {memory_format}")
    # PyTorch keeps the strides of a dense input and makes an overlapping (expanded) one
    # contiguous; NumPy's order="K" keeps the order of the strides, which for stride 0 is wrong.
    return clone_p(input, order="C" if 0 in input._data.strides else "K")


def detach(input):
    out = detach_p(input)
    # PyTorch's detached tensor shares the storage and its version counter but is not a view.
    out._base = None
    return out


def detach_(self):
    if LEVELS:
        check_inplace(self, "aten::detach_")
    if self._base is not None:
        raise RuntimeError(
            "Can't detach views in-place. Use detach() instead. If you are using "
            "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as "
            "True, gradients are views of DDP buckets, and hence detach_() cannot be called on "
            "these gradients. To fix this error, please refer to the Optimizer.zero_grad() "
            "function in torch/optim/optimizer.py as the solution.")
    self.grad_fn = None
    self._requires_grad = False
    return self


# -- reordering dims ------------------------------------------------------------------------------

def permute(input, dims):
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(canonical_dim(d, ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return permute_p(input, dims=dims)


def transpose(input, dim0, dim1):
    ndim = input._data.ndim
    d0, d1 = canonical_dim(dim0, ndim), canonical_dim(dim1, ndim)
    dims = list(range(ndim))
    if ndim:
        dims[d0], dims[d1] = d1, d0
    return permute_p(input, dims=tuple(dims))


swapaxes = swapdims = transpose


def movedim(input, source, destination):
    ndim = input._data.ndim
    src = (source,) if hasattr(source, "__index__") else tuple(source)
    dst = (destination,) if hasattr(destination, "__index__") else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)")
    src_c = [canonical_dim(d, ndim) for d in src]
    dst_c = [canonical_dim(d, ndim) for d in dst]
    for name, given, wrapped in (("source", src, src_c), ("destination", dst, dst_c)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
    rest = iter([d for d in range(ndim) if d not in src_c])
    at = dict(zip(dst_c, src_c))
    return permute_p(input, dims=tuple(at[i] if i in at else next(rest) for i in range(ndim)))


moveaxis = movedim


def t(input):
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return permute_p(input, dims=tuple(range(ndim))[::-1])


def _T(self):
    ndim = self._data.ndim
    if ndim == 0:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in "
                      "these cases.", UserWarning, stacklevel=2)
    elif ndim != 2:
        warnings.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*lamina.arange(x.ndim - 1, -1, -1))` to "
            "reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
    return permute_p(self, dims=tuple(range(ndim))[::-1])


def _matrix_transpose(self, name, conj):
    ndim = self._data.ndim
    if ndim == 0:
        hint = "This function is the identity in these cases." if not conj else (
            "Consider using x.conj().")
        warnings.warn(f"{name} is deprecated on 0-D tensors. {hint}", UserWarning, stacklevel=3)
        return unary.conj(self) if conj else permute_p(self, dims=())
    if ndim < 2:
        label = name.replace("Tensor.", "tensor.")
        raise RuntimeError(f"{label} is only supported on matrices or batches of matrices. Got "
                           f"{ndim}-D tensor.")
    result = permute_p(self, dims=tuple(range(ndim - 2)) + (ndim - 1, ndim - 2))
    # NumPy has no conjugate views, so a complex adjoint is a conjugated copy (unary.conj), not a
    # view as in PyTorch; a real one is the transposed view itself.
    return unary.conj(result) if conj else result


def _mT(self):
    return _matrix_transpose(self, "Tensor.mT", conj=False)


def _mH(self):
    return _matrix_transpose(self, "Tensor.mH", conj=True)


def adjoint(input):
    if input._data.ndim == 0:
        warnings.warn("adjoint() is deprecated on 0-D tensors. Consider using x.conj().",
                      UserWarning, stacklevel=2)
        return unary.conj(input)
    return _matrix_transpose(input, "tensor.adjoint()", conj=True)


def _H(self):
    ndim = self._data.ndim
    if ndim == 0:
        warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
                      UserWarning, stacklevel=2)
        return unary.conj(self)
    if ndim != 2:
        hint = " For batches of matrices, consider using tensor.mH" if ndim > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {ndim}-D "
                           f"tensor.{hint}")
    return _matrix_transpose(self, "Tensor.H", conj=True)


# -- broadcasting ---------------------------------------------------------------------------------

def expand(self, *sizes, size=None):
    sizes = _ints("expand", _varargs("expand", "size", sizes, size))
    shape = self._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand({LEGACY_NAMES[self.dtype]}{{{list(shape)}}}, "
            f"size={list(sizes)}): the number of sizes provided ({len(sizes)}) must be greater or "
            f"equal to the number of dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = list(sizes)
    for i, n in enumerate(sizes):
        size = shape[i - lead] if i >= lead else 1
        if n == -1:
            if i < lead:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            target[i] = size
        elif size != n:
            if size != 1:
                raise RuntimeError(
                    f"The expanded size of the tensor ({n}) must match the existing size ({size}) "
                    f"at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor "
                    f"sizes: {list(shape)}")
            if n < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {n}: "
                                   f"{list(sizes)}")
    return expand_p(self, shape=tuple(target))


def expand_as(self, other):
    return expand(self, other.shape)


def broadcast_to(input, size):
    return expand(input, size)


def broadcast_shapes(*shapes):
    """PyTorch's (torch._refs) algorithm and messages: ints stand for 1-D shapes."""
    shapes = [(s,) if hasattr(s, "__index__") else s for s in shapes if s is not None]
    for s in shapes:
        if not isinstance(s, (tuple, list)):
            raise RuntimeError(f"Input shapes should be of type ints, a tuple of ints, or a list "
                               f"of ints, got {s}")
    common = [1] * max((len(s) for s in shapes), default=0)
    for k, s in enumerate(shapes):
        for i in range(-1, -1 - len(s), -1):
            if s[i] == common[i]:
                continue
            if common[i] == 1:
                if s[i] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[i] = s[i]
            elif s[i] != 1:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {s[i]} at {i}! Mismatching "
                    f"argument at index {k} had {s}; but expected shape should be broadcastable "
                    f"to {common}")
    return Size(common)


def broadcast_tensors(*tensors):
    shape = broadcast_shape(*(x._data.shape for x in tensors))
    return tuple(expand_p(x, shape=shape) for x in tensors)


# -- copies that repeat or reorder elements -------------------------------------------------------

def repeat(self, *sizes, repeats=None):
    repeats = _ints("repeat", _varargs("repeat", "repeats", sizes, repeats))
    shape = self._data.shape
    if len(repeats) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    if any(r < 0 for r in repeats):
        padded = (1,) * (len(repeats) - len(shape)) + shape
        sizes = [p * r for p, r in zip(padded, repeats)]
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{next(n for n in sizes if n < 0)}: {sizes}")
    return repeat_p(self, repeats=repeats)


def tile(input, dims):
    dims = _ints("tile", dims)
    ndim = input._data.ndim
    return repeat(input, (1,) * (ndim - len(dims)) + dims)


def flip(input, dims):
    dims = _dim_list(dims, input._data.ndim)
    return flip_p(input, dims=dims if input._data.ndim else ())


def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip_p(input, dims=(1,))


def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip_p(input, dims=(0,))


def roll(input, shifts, dims=None):
    shifts = (shifts,) if hasattr(shifts, "__index__") else tuple(shifts)
    dims = () if dims is None else (dims,) if hasattr(dims, "__index__") else tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and len(shifts) == 1:
        return roll_p(input, shifts=shifts[0], dims=None)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    ndim = input._data.ndim
    dims = tuple(canonical_dim(d, ndim) for d in dims)
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
    return roll_p(input, shifts=tuple(operator.index(s) for s in shifts), dims=dims)


def rot90(input, k=1, dims=(0, 1)):
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = canonical_dim(dims[0], ndim), canonical_dim(dims[1], ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                           f"dim1 = {dims[1]}")
    k %= 4
    if k == 0:
        return clone_p(input, order="K")
    if k == 2:
        return flip_p(input, dims=(d0, d1))
    return transpose(flip_p(input, dims=(d1 if k == 1 else d0,)), d0, d1)


# -- slicing along a dim --------------------------------------------------------------------------

def narrow(input, dim, start, length):
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    start, length = operator.index(start), operator.index(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = canonical_dim(dim, len(shape))
    size = shape[d]
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but "
                         f"got {start})")
    if start < 0:
        start += size
    if start > size - length:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return slice_p(input, dim=d, start=start, stop=start + length)


def select(input, dim, index):
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = canonical_dim(dim, len(shape))
    index = operator.index(index)
    if not -shape[d] <= index < shape[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} "
                         f"at dimension {d}")
    return select_p(input, dim=d, index=index)


def unbind(input, dim=0):
    ndim = input._data.ndim
    d = canonical_dim(dim, ndim)
    if ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    return unbind_p(input, dim=d)


def _iter(self):
    if self._data.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(unbind_p(self, dim=0))


# -- diagonals and triangles ----------------------------------------------------------------------

def _diag_dims(dim1, dim2, ndim):
    d1, d2 = canonical_dim(dim1, ndim), canonical_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1):
    d1, d2 = _diag_dims(dim1, dim2, input._data.ndim)
    return diagonal_p(input, offset=operator.index(offset), dim1=d1, dim2=d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    d1, d2 = _diag_dims(dim1, dim2, input._data.ndim + 1)
    return diag_embed_p(input, offset=operator.index(offset), dim1=d1, dim2=d2)


def diag(input, diagonal=0, *, out=None):
    ndim = input._data.ndim
    if ndim == 1:
        result = diag_embed_p(input, offset=operator.index(diagonal), dim1=0, dim2=1)
    elif ndim == 2:
        result = clone_p(diagonal_p(input, offset=operator.index(diagonal), dim1=0, dim2=1),
                         order="C")
    else:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")
    return finish_out(result, out)


def diagflat(input, offset=0):
    return diag_embed_p(view_p(contiguous(input), shape=(input._data.size,)),
                        offset=operator.index(offset), dim1=0, dim2=1)


def _triangle(prim, name, input, diagonal, out):
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    result = prim(input, diagonal=operator.index(diagonal))
    return finish_out(result, out)


def tril(input, diagonal=0, *, out=None):
    return _triangle(tril_p, "tril", input, diagonal, out)


def triu(input, diagonal=0, *, out=None):
    return _triangle(triu_p, "triu", input, diagonal, out)


def tril_(self, diagonal=0):
    return write_inplace(self, tril(self, diagonal), "aten::tril_")


def triu_(self, diagonal=0):
    return write_inplace(self, triu(self, diagonal), "aten::triu_")


# -- in-place metadata changes --------------------------------------------------------------------

# How many in-place metadata changes have happened: autograd's nodes compare it with its value
# when they were recorded before checking their inputs' shapes (see PrimitiveNode.apply).
RESTRIDES = 0


def _restride(self, result, op):
    """Make `self` the view `result` of its own storage (PyTorch bumps the version for these);
    under autograd, self takes result's place in the graph. `op`: torch's name for it."""
    global RESTRIDES
    if LEVELS:
        check_inplace(self, op)
    RESTRIDES += 1
    if result._requires_grad and self.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    self._data = result._data
    self._bump_version()
    if result._requires_grad:
        self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
    if self._base is not None:
        self._view_op = None  # its old view op no longer makes it: writes into it can't replay
    return self


def squeeze_(self, dim=None):
    op = "aten::squeeze_" if dim is None else (
        "aten::squeeze_.dims" if isinstance(dim, (tuple, list)) else "aten::squeeze_.dim")
    return _restride(self, squeeze(self, dim), op)


def unsqueeze_(self, dim):
    return _restride(self, unsqueeze(self, dim), "aten::unsqueeze_")


def transpose_(self, dim0, dim1):
    return _restride(self, transpose(self, dim0, dim1), "aten::transpose_")


def t_(self):
    return _restride(self, t(self), "aten::t_")


__all__ = [
    "memory_format", "contiguous_format", "preserve_format",
    "reshape", "flatten", "unflatten", "ravel", "squeeze", "unsqueeze", "clone", "detach",
    "detach_", "permute", "transpose", "swapaxes", "swapdims", "movedim", "moveaxis", "t",
    "adjoint", "broadcast_to", "broadcast_shapes", "broadcast_tensors", "tile", "flip", "fliplr",
    "flipud", "roll", "rot90", "narrow", "select", "unbind", "diagonal", "diag_embed", "diag",
    "diagflat", "tril", "triu",
]
METHODS = {
    "view": view, "view_as": view_as, "reshape_as": reshape_as,
    "reshape": lambda self, *args, shape=None: reshape(
        self, _varargs("reshape", "shape", args, shape)),
    "contiguous": contiguous, "flatten": flatten, "unflatten": unflatten, "ravel": ravel,
    "squeeze": squeeze, "unsqueeze": unsqueeze, "squeeze_": squeeze_, "unsqueeze_": unsqueeze_,
    "permute": lambda self, *args, dims=None: permute(
        self, _varargs("permute", "dims", args, dims)),
    "transpose": transpose, "swapaxes": transpose, "swapdims": transpose,
    "transpose_": transpose_, "swapaxes_": transpose_, "swapdims_": transpose_,
    "movedim": movedim, "moveaxis": movedim, "t": t, "t_": t_, "adjoint": adjoint,
    "T": property(_T), "mT": property(_mT), "mH": property(_mH), "H": property(_H),
    "expand": expand, "expand_as": expand_as, "broadcast_to": broadcast_to, "repeat": repeat,
    "tile": lambda self, *args, dims=None: tile(self, _varargs("tile", "dims", args, dims)),
    "flip": lambda self, *args, dims=None: flip(self, _varargs("flip", "dims", args, dims)),
    "fliplr": fliplr, "flipud": flipud,
    "roll": roll, "rot90": rot90, "narrow": narrow, "select": select, "unbind": unbind,
    "__iter__": _iter, "diagonal": diagonal, "diag_embed": diag_embed, "diag": diag,
    "diagflat": diagflat, "tril": tril, "triu": triu, "tril_": tril_, "triu_": triu_,
    "clone": clone, "detach": detach, "detach_": detach_,
}
