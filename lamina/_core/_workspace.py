"""The per-thread scratch of the batched kernels, as each call declares it.

A kernel sizes its scratch in its setup (GIL held) and allocates it once per call with NumPy
(so tracemalloc sees it): `threads` regions of `nbytes` each, a cache line apart. Right after
that allocation it calls `note(kernel, threads, nbytes)` with the very numbers it allocated, so
the declaration is the allocation's own arithmetic, not a second formula beside it that could
drift. Nothing is kept unless a caller asks with `declared()` (tests/test_memory.py does, on
its warm-up call); a kernel call that allocates no scratch notes nothing.
"""

import contextlib

# The records of the innermost active declared(), or None (the common case: note is one test).
_records = None


def note(kernel, threads, nbytes):
    """Record that a call of `kernel` allocated `threads` scratch regions of `nbytes` each."""
    if _records is not None and nbytes:
        _records.append((kernel, int(threads), int(nbytes)))     # atomic under the GIL


@contextlib.contextmanager
def declared():
    """Collect, as (kernel, threads, bytes_per_thread) tuples in the list it yields, the scratch
    of every kernel call made inside the block (from any thread)."""
    global _records
    outer, records = _records, []
    _records = records
    try:
        yield records
    finally:
        _records = outer
