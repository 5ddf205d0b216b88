"""vjp_batched: gradients of a batched function, chunk by chunk.

Autograd is not tracked through dask graphs (a task's tensors die with the task), so gradients
are taken inside each task: torch.func.vjp of `fn` on the chunk, with the chunk's cotangents.
The batch is axis 0 of every batched primal, output and cotangent. A shared parameter (a lamina
Tensor) goes to every task whole; its gradient is the sum of the chunks' gradients, since the
batch's loss is the sum of the chunks' losses.
"""

import numpy as np
from dask.array.core import blockwise

import lamina as lm

from .._core._tensor import TensorBase
from ._array import device_of
from ._blockwise import split_outputs

_NAME = "vjp_batched"


def _batch_axis_only(x):
    for axis in range(1, x.ndim):
        if len(x.chunks[axis]) > 1:
            raise ValueError(f"{_NAME}: axis {axis} of an input of shape {x.shape} is split "
                             f"across chunks {x.chunks[axis]}; chunk only the batch axis 0, "
                             "e.g. with lamina.distributed.rechunk_batch(x, batch_chunks)")


class _ChunkVjp:
    """The task body: the chunk's VJP, batched gradients first, shared ones each with a
    leading axis of 1 so that the chunks' gradients stack along it to be summed."""

    def __init__(self, fn, batched, several):
        self.fn, self.batched, self.several = fn, batched, several

    def __call__(self, *args):
        primals = [lm.from_numpy(np.asarray(a)) for a in args[:len(self.batched)]]
        cts = [lm.from_numpy(np.asarray(c)) for c in args[len(self.batched):]]
        _, vjp_fn = lm.func.vjp(self.fn, *primals)
        grads = vjp_fn(tuple(cts) if self.several else cts[0])
        return tuple(g.numpy() if b else g.numpy()[None]
                     for g, b in zip(grads, self.batched, strict=True))


def vjp_batched(fn, primals, cotangents):
    """The gradients of `fn` at `primals` against `cotangents`, as torch.func.vjp's vjp_fn
    returns them, computed chunk by chunk.

    `primals`: dask arrays batched along axis 0 (chunks on axis 0 only), or lamina Tensors shared
    by the whole batch (parameters). `fn(*chunk_tensors)` returns a tensor (or a tuple of them)
    whose axis 0 is the chunk's batch; `cotangents` are dask arrays (one, or a tuple matching
    fn's outputs) chunked as the batched primals. Returns a tuple of dask arrays: the batched
    primals' gradients chunked like them, and the shared ones' summed over chunks."""
    several = isinstance(cotangents, (tuple, list))
    cts = list(cotangents) if several else [cotangents]
    batched = [not isinstance(p, TensorBase) for p in primals]
    arrays = [p for p, b in zip(primals, batched, strict=True) if b] + cts
    if not arrays:
        raise ValueError(f"{_NAME}: no batched primal or cotangent (dask arrays) to chunk over")
    device_of(_NAME, arrays)
    for x in arrays:
        _batch_axis_only(x)
    chunks = arrays[0].chunks[0]

    def pair(i, x):
        x = x if x.chunks[0] == chunks else x.rechunk({0: chunks})
        return [x, ("b",) + tuple(f"c{i}_{a}" for a in range(1, x.ndim))]

    args = []
    for i, (p, b) in enumerate(zip(primals, batched, strict=True)):
        # Shared primals enter every task as the same NumPy constant.
        args += pair(i, p) if b else [np.array(p.detach().numpy()), None]
    for j, c in enumerate(cts):
        args += pair(len(primals) + j, c)
    # Each task returns a shared gradient with a leading axis of 1: one chunk per task.
    leading = [(chunks,) if b else ((1,) * len(chunks),) for b in batched]
    shapes = [tuple(p.shape[1:]) if b else tuple(p.shape)
              for p, b in zip(primals, batched, strict=True)]
    dtypes = [p.dtype if b else p.dtype.np for p, b in zip(primals, batched, strict=True)]
    metas = tuple(np.empty((0,) * (1 + len(s)), dtype=t)
                  for s, t in zip(shapes, dtypes, strict=True))
    tmp = blockwise(_ChunkVjp(fn, batched, several), "b", *args, concatenate=True,
                    align_arrays=False, meta=metas)
    grads = split_outputs(tmp, shapes, dtypes, leading)
    return tuple(g if b else g.sum(axis=0) for g, b in zip(grads, batched, strict=True))
