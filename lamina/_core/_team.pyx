# cython: language_level=3
"""How the kernel modules run a planned batch: its ranges on the C thread team of _team.h.
Kernel modules cimport `run_team`, so one team serves them all."""

from . import _threads


cdef extern from "_team.h" nogil:
    ctypedef void (*lm_team_fn)(void* ctx, Py_ssize_t t) noexcept nogil
    void lm_team_run(lm_team_fn fn, void* ctx, Py_ssize_t count)
    long lm_team_regions()
    int lm_team_init()


if lm_team_init():
    raise ImportError("lamina: pthread_atfork failed")


cdef int run_team(team_fn fn, void* ctx, Py_ssize_t threads, bint blas_threaded) except -1:
    """fn(ctx, t) for t in range(threads), with the GIL released: across the team with scipy's
    OpenBLAS at one thread meanwhile (ours and its never oversubscribe the cores), or a single
    range on this thread, with OpenBLAS at lamina's thread count where the range's calls are
    large enough for it to thread them (`blas_threaded`)."""
    if threads > 1:
        limited = _threads.limit_blas(1)
    else:
        limited = blas_threaded and _threads.limit_blas(_threads.get_num_threads())
    try:
        with nogil:
            if threads > 1:
                lm_team_run(fn, ctx, threads)
            else:
                fn(ctx, 0)
    finally:
        if limited:
            _threads.unlimit_blas()
    return 0


def regions():
    """How many regions have been split over threads in this process (the tests check that a
    batch they meant to split was)."""
    return lm_team_regions()
