"""The data model: dask arrays of NumPy (cpu) or CuPy (cuda) chunks, chunked on batch dims only.

lamina Tensors meet dask at the edges (`from_tensor`, `to_tensor`) and inside each task (a chunk
wrapped by `lm.from_numpy`, shared, not copied); they are never dask chunks themselves, since
dask needs NumPy semantics of its chunks. The checks here run when a graph is built, so a bad
input fails before any task is scheduled.
"""

import dask.array as da
import numpy as np

import lamina as lm

from .._core._tensor import TensorBase
from .._core.dtype import from_numpy_dtype

# The dtypes lamina's LAPACK kernels serve (s/d/c/z).
LAPACK_DTYPES = tuple(np.dtype(d) for d in ("float32", "float64", "complex64", "complex128"))

# Chunk array library (the root of the chunk type's module) -> lamina device.
_DEVICES = {"numpy": "cpu", "cupy": "cuda"}

_NO_GRAD = ("{name}: got a tensor that requires grad, but autograd is not tracked through dask "
            "graphs. Pass t.detach() for values only, or use "
            "lamina.distributed.vjp_batched(fn, primals, cotangents) for per-chunk gradients.")


def check_no_grad(name, t):
    if t.requires_grad:
        raise RuntimeError(_NO_GRAD.format(name=name))


def _batch_spec(ndim, batch_chunks, core_ndim):
    """dask's chunk spec: `batch_chunks` on every batch dim, one chunk over each core dim."""
    n_batch = max(ndim - core_ndim, 0)
    return {d: (batch_chunks if d < n_batch else -1) for d in range(ndim)}


def from_tensor(t, batch_chunks="auto", *, core_ndim=2):
    """A dask array of `t`'s values, its last `core_ndim` dims in one chunk and the batch dims
    before them in chunks of `batch_chunks` ("auto": dask's choice; an int: that many elements
    per chunk on each batch dim, -1 for one chunk). The chunks are copies of `t`'s storage, since
    the graph outlives the call."""
    if not isinstance(t, TensorBase):
        raise TypeError(f"from_tensor(): expected a lamina Tensor, got {type(t).__name__}")
    check_no_grad("from_tensor", t)
    data = np.array(t.numpy(), copy=True)
    return da.from_array(data, chunks=_batch_spec(data.ndim, batch_chunks, core_ndim))


def to_tensor(x):
    """Compute `x` with the active scheduler and wrap the result in a lamina Tensor."""
    return lm.from_numpy(np.asarray(x.compute()))


def rechunk_batch(x, batch_chunks, *, core_ndim=2):
    """`x` rechunked to `batch_chunks` on its batch dims and one chunk over its core dims."""
    return x.rechunk(_batch_spec(x.ndim, batch_chunks, core_ndim))


def as_dask(name, x):
    """`x` as a dask array: dask arrays pass, a lamina Tensor becomes one chunk (aligned with the
    other inputs' chunks later), anything else is a TypeError."""
    if isinstance(x, da.Array):
        return x
    if isinstance(x, TensorBase):
        check_no_grad(name, x)
        return from_tensor(x, batch_chunks=-1, core_ndim=0)
    raise TypeError(f"{name}: expected dask arrays or lamina Tensors, got {type(x).__name__}")


def device_of(name, arrays):
    """The lamina device of the arrays' chunks: TypeError for chunks neither NumPy nor CuPy, or
    for a mix of both."""
    libs = {type(x._meta).__module__.partition(".")[0] for x in arrays}
    unknown = libs - _DEVICES.keys()
    if unknown:
        raise TypeError(f"{name}: chunks must be NumPy or CuPy arrays, got chunks from "
                        f"{', '.join(sorted(unknown))}")
    if len(libs) > 1:
        raise TypeError(f"{name}: inputs mix NumPy and CuPy chunks; move them to one device "
                        "(x.map_blocks(cupy.asarray) or x.map_blocks(cupy.asnumpy)) first")
    device = _DEVICES[libs.pop()] if libs else "cpu"
    if device == "cuda" and not lm.cuda.is_available():
        raise TypeError(f"{name}: CuPy chunks need lamina's CUDA backend, which is not available "
                        "(lamina.cuda.is_available() is False)")
    return device


def lamina_dtype(name, x):
    """The lamina dtype of `x`'s chunks; TypeError for one lamina has no name for."""
    try:
        return from_numpy_dtype(x.dtype)
    except TypeError:
        raise TypeError(f"{name}: unsupported dtype {x.dtype}") from None


def lapack_dtype(name, arrays):
    """The one dtype of `arrays`, which must be one of the LAPACK types; TypeError otherwise."""
    dtypes = {x.dtype for x in arrays}
    if len(dtypes) > 1:
        raise TypeError(f"{name}: expected inputs of one dtype, got "
                        f"{', '.join(sorted(d.name for d in dtypes))}")
    dtype = dtypes.pop()
    if dtype not in LAPACK_DTYPES:
        raise TypeError(f"{name}: unsupported dtype {dtype}; expected float32, float64, "
                        "complex64 or complex128")
    return dtype
