# A range of a planned batch: run_team calls fn(ctx, t) for each thread t, without the GIL.
ctypedef void (*team_fn)(void* ctx, Py_ssize_t t) noexcept nogil

cdef int run_team(team_fn fn, void* ctx, Py_ssize_t threads, bint blas_threaded) except -1
