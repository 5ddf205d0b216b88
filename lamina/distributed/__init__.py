"""lamina.distributed: batched linear algebra over Dask, from one laptop to a cluster.

The data are dask arrays whose chunks are NumPy arrays (cpu) or CuPy arrays (cuda), chunked along
the batch dims only: the core (matrix) dims are one chunk. Each op (torch.linalg's names and
keywords) builds one blockwise layer that runs the eager lamina function on every chunk, so the
same kernels run whichever scheduler the active dask configuration picks: threads, processes,
or a `distributed.Client`. Nothing else in lamina imports dask.

Deployment:

- On CPU, prefer worker processes with one thread each,
  `LocalCluster(n_workers=k, threads_per_worker=1)`. OpenBLAS's LAPACK entry points take a
  global lock on every call, so threads of one process that each factorize small matrices mostly
  wait for each other (see the team's KERNEL-FACTS.md: 2-thread batched dpotrf on 4x4 ran no
  faster than serial). Threads pay off only where lamina's own tiny-matrix kernels serve the op
  (no LAPACK call); lamina then also splits each chunk over its own threads.
- lamina's thread count defaults to OMP_NUM_THREADS, which the Nanny sets to 1 in its worker
  processes, so several workers on one machine do not oversubscribe its cores; with more threads
  per worker, `client.run(lamina.set_num_threads, k)` lets each chunk use k.
- Create or load the data on the workers (`dask.array.random`, `map_blocks`, a reader per chunk):
  a large array shipped from the client (as `from_tensor` does) costs more than the factorization.
- Gradients: autograd is not tracked through dask graphs; `vjp_batched(fn, primals, cotangents)`
  takes them chunk by chunk.
"""

try:
    import dask.array  # noqa: F401
except ImportError as e:
    raise ImportError("lamina.distributed needs dask: pip install lamina[distributed] "
                      "(dask[array] and distributed)") from e

from ._array import from_tensor, rechunk_batch, to_tensor
from ._blockwise import map_batched
from ._linalg import (
    bmm,
    cholesky,
    cholesky_ex,
    cholesky_solve,
    det,
    eigh,
    eigvalsh,
    inv,
    inv_ex,
    matmul,
    slogdet,
    solve,
    solve_triangular,
    svdvals,
)
from ._vjp import vjp_batched

__all__ = ["from_tensor", "to_tensor", "rechunk_batch", "map_batched", "vjp_batched", "bmm",
           "cholesky", "cholesky_ex", "cholesky_solve", "det", "eigh", "eigvalsh", "inv",
           "inv_ex", "matmul", "slogdet", "solve", "solve_triangular", "svdvals"]
