"""One blockwise layer per batched op: a task per chunk calls the eager lamina function.

A graph of a batched op is a single `dask.array.blockwise` layer whose task returns a tuple of
the op's outputs for its chunk, plus one `getitem` layer per output. dask's optimiser fuses each
getitem into the blockwise task it reads, so a computed output costs one task per chunk; when
several outputs of one call are computed together, the kernel still runs once per chunk and the
getitems only pick from its tuple. Output dtypes and chunk types are given, never inferred by
calling the function on zeros (a factorization of zeros fails).

Core (matrix) dims follow a gufunc signature, "(n,n),(n,k)->(n,k)": they must sit in one chunk;
the batch dims before them broadcast as in torch and keep the inputs' chunks.
"""

import re
from operator import getitem

import dask
import numpy as np
from dask.array.core import Array, blockwise
from dask.highlevelgraph import HighLevelGraph
from dask.layers import ArrayBlockIdDep

import lamina as lm

from .._core.dtype import to_dtype
from .._ops._checks import broadcast_shape
from ..linalg import LinAlgError
from ._array import as_dask, device_of, lamina_dtype

_ARGS = re.compile(r"\(([^()]*)\)")
_BATCH_ELEMENT = re.compile(r"\(Batch element (\d+)\)")


def parse_signature(signature):
    """"(n,n),(n,k)->(n,k)" -> ([("n", "n"), ("n", "k")], [("n", "k")])."""
    inputs, arrow, outputs = signature.replace(" ", "").partition("->")
    sides = [[tuple(d for d in group.split(",") if d) for group in _ARGS.findall(side)]
             for side in (inputs, outputs)]
    if not arrow or not sides[1] or any(_ARGS.sub("", s).strip(",") for s in (inputs, outputs)):
        raise ValueError(f"not a gufunc signature: {signature!r}")
    return sides


def _core_sizes(name, arrays, in_core, signature):
    """core dim name -> size, checking that every use of a name agrees and sits in one chunk."""
    sizes = {}
    for x, core in zip(arrays, in_core, strict=True):
        if x.ndim < len(core):
            raise RuntimeError(f"{name}: expected an input with at least {len(core)} dimensions "
                               f"(signature {signature}), got shape {x.shape}")
        for axis, d in zip(range(x.ndim - len(core), x.ndim), core):
            size = x.shape[axis]
            if sizes.setdefault(d, size) != size:
                raise RuntimeError(f"{name}: core dimension '{d}' is {sizes[d]} in one input and "
                                   f"{size} in another (signature {signature})")
            if len(x.chunks[axis]) > 1:
                raise ValueError(f"{name}: core dimension '{d}' (axis {axis} of an input of shape "
                                 f"{x.shape}) is split across chunks {x.chunks[axis]}; chunk "
                                 "only the batch dims, e.g. with "
                                 "lamina.distributed.rechunk_batch(x, batch_chunks)")
    return sizes


def _align_batch(arrays, in_core, batch):
    """The arrays with equal chunks on each batch dim they do not broadcast (size 1), taken from
    the first array that has that dim; and the output batch chunks."""
    chunks = [None] * len(batch)
    aligned = []
    for x, core in zip(arrays, in_core, strict=True):
        n = x.ndim - len(core)
        spec = {}
        for axis in range(n):
            d = len(batch) - n + axis
            if x.shape[axis] == 1 and batch[d] != 1:
                continue
            if chunks[d] is None:
                chunks[d] = x.chunks[axis]
            elif x.chunks[axis] != chunks[d]:
                spec[axis] = chunks[d]
        aligned.append(x.rechunk(spec) if spec else x)
    return aligned, tuple(c if c is not None else (1,) for c in chunks)


class _PerChunk:
    """The task body: wrap each chunk, call the eager function, return its outputs as arrays.

    A LinAlgError names the failing element by its index within the chunk; it is raised again
    with the index in the whole batch (the chunk's offset added), in lamina's own words."""

    def __init__(self, fn, kwargs, batch, batch_chunks):
        self.fn, self.kwargs, self.batch = fn, kwargs, batch
        self.starts = [np.cumsum((0,) + c) for c in batch_chunks]
        self.batch_chunks = batch_chunks

    def __call__(self, *args):
        *blocks, block_id = args
        try:
            out = self.fn(*(lm.from_numpy(np.asarray(b)) for b in blocks), **self.kwargs)
        except LinAlgError as e:
            raise LinAlgError(_BATCH_ELEMENT.sub(
                lambda m: f"(Batch element {self._global(int(m[1]), block_id)})", str(e))) from None
        outs = out if isinstance(out, tuple) else (out,)
        return tuple(o.numpy() for o in outs)

    def _global(self, k, block_id):
        local = [c[b] for c, b in zip(self.batch_chunks, block_id, strict=True)]
        index = np.unravel_index(k, local)
        offsets = [s[b] for s, b in zip(self.starts, block_id, strict=True)]
        return int(np.ravel_multi_index([i + o for i, o in zip(index, offsets, strict=True)],
                                        self.batch))


def split_outputs(tmp, shapes, dtypes, leading=None):
    """The arrays inside `tmp`, whose chunks are tuples: output i takes item i of each tuple,
    with `leading[i]` (default: `tmp`'s chunks) on its leading dims and `shapes[i]` as one chunk
    after them."""
    keys = list(dask.core.flatten(tmp.__dask_keys__()))
    token = tmp.name.rpartition("-")[2]
    outs = []
    leading = leading or [tmp.chunks] * len(shapes)
    for i, (shape, dtype, lead) in enumerate(zip(shapes, dtypes, leading, strict=True)):
        name = f"{tmp.name.rpartition('-')[0]}-{i}-{token}"
        zeros = (0,) * len(shape)
        layer = {(name,) + k[1:] + zeros: (getitem, k, i) for k in keys}
        graph = HighLevelGraph.from_collections(name, layer, dependencies=[tmp])
        chunks = tuple(lead) + tuple((s,) for s in shape)
        meta = np.empty((0,) * len(chunks), dtype=dtype)
        outs.append(Array(graph, name, chunks=chunks, meta=meta))
    return tuple(outs)


def batched(fn, name, arrays, signature, dtypes, sizes=None, **kwargs):
    """`fn(*tensors, **kwargs)` over the batch of `arrays` (dask arrays, already checked), chunk
    by chunk: a tuple of dask arrays, one per output of `signature`, with dtypes `dtypes`.
    `sizes` gives the output core dims no input has."""
    in_core, out_core = parse_signature(signature)
    if len(arrays) != len(in_core):
        raise TypeError(f"{name}: signature {signature} takes {len(in_core)} inputs, got "
                        f"{len(arrays)}")
    if len(dtypes) != len(out_core):
        raise TypeError(f"{name}: signature {signature} has {len(out_core)} outputs, got "
                        f"{len(dtypes)} dtypes")
    core = {**_core_sizes(name, arrays, in_core, signature), **(sizes or {})}
    missing = {d for out in out_core for d in out} - core.keys()
    if missing:
        raise ValueError(f"{name}: output core dims {sorted(missing)} appear in no input; give "
                         "their sizes")
    batch = tuple(broadcast_shape(*(x.shape[:x.ndim - len(c)]
                                    for x, c in zip(arrays, in_core, strict=True))))
    arrays, batch_chunks = _align_batch(arrays, in_core, batch)
    loop = tuple(f"b{d}" for d in range(len(batch)))
    pairs = []
    for i, (x, c) in enumerate(zip(arrays, in_core, strict=True)):
        n = x.ndim - len(c)
        # Core dims get names private to their input: blockwise hands each task the whole
        # (single) chunk along them instead of matching them across inputs.
        pairs += [x, loop[len(batch) - n:] + tuple(f"c{i}_{a}" for a in range(len(c)))]
    metas = tuple(np.empty((0,) * (len(batch) + len(c)), dtype=t)
                  for c, t in zip(out_core, dtypes, strict=True))
    token = dask.base.tokenize(fn, kwargs, signature, *arrays)
    tmp = blockwise(_PerChunk(fn, kwargs, batch, batch_chunks), loop, *pairs,
                    ArrayBlockIdDep(batch_chunks), loop, concatenate=True, align_arrays=False,
                    meta=metas, name=f"{re.sub(r'[^a-z_]', '_', name)}-{token}")
    return split_outputs(tmp, [tuple(core[d] for d in c) for c in out_core], dtypes)


def map_batched(fn, *xs, signature="(n,n)->(n,n)", dtype=None, sizes=None, **kwargs):
    """`fn(*tensors, **kwargs)` run chunk by chunk over the batch dims of `xs` (dask arrays or
    lamina Tensors), lazily. `signature` names the core dims as a gufunc signature does; `dtype`
    is the lamina dtype of the output (a tuple of them for several outputs); `sizes` maps output
    core dims no input has to their sizes. Returns a dask array, or a tuple for several
    outputs."""
    name = f"map_batched({getattr(fn, '__name__', 'fn')})"
    if dtype is None:
        raise TypeError(f"{name}: dtype= is required (the output dtype is not inferred)")
    arrays = [as_dask(name, x) for x in xs]
    device_of(name, arrays)
    for x in arrays:
        lamina_dtype(name, x)
    several = isinstance(dtype, (tuple, list))
    dtypes = tuple(to_dtype(d).np for d in (dtype if several else (dtype,)))
    outs = batched(fn, name, arrays, signature, dtypes, sizes, **kwargs)
    return outs if several else outs[0]
