# The batch machinery every batched kernel shares, cimported (`from ._batch cimport ...`) and
# compiled into each kernel module, so nothing here is a module of its own or a call across
# modules: the helpers the loops call per matrix are `inline noexcept nogil`.
#
# - Dims, Cursor: the batch dims of one or two operands broadcast together (byte strides, 0 where
#   an operand is broadcast), size-1 dims dropped and neighbours that step evenly in both merged,
#   so the common cases walk one dim; a Cursor walks it in C order, odometer style.
# - Split, run_range: the batch cut into one contiguous range per thread, and the call of the
#   kernel's loop over one range, its dtype picked from a table of the loop's four
#   specializations (an indirect call per range, none per matrix), without the GIL.
# - pick_threads, alloc_scratch, launch: the thread count, the per-thread scratch and the run,
#   with the GIL.
# - lwork_of: a workspace size that a LAPACK query returned.

cimport numpy as cnp

from ._lapack cimport c64, c128, lapack_t
from ._team cimport run_team


cdef enum:
    MAXDIM = 64          # NumPy's NPY_MAXDIMS


# -- the batch dims --------------------------------------------------------------------------------

cdef struct Dims:
    int ndim                             # batch dims left after merging
    Py_ssize_t shape[MAXDIM]
    Py_ssize_t sa[MAXDIM]                # byte strides of operand a (0 where broadcast)
    Py_ssize_t sb[MAXDIM]                # of operand b (all 0 without one)


cdef inline int broadcast(Dims* dims, cnp.npy_intp* shape, cnp.ndarray a,
                          cnp.ndarray b) noexcept:
    """The batch dims (all but the last two) of `a` and `b` broadcast right-aligned, as in
    matmul; `b` None: `a`'s alone. Writes them into `shape` and their merged form into `dims`;
    returns their number, or -1 when they do not broadcast. Reads only the array structs: no
    Python objects are built (on small products this setup is most of a call's cost)."""
    cdef int nda = cnp.PyArray_NDIM(a) - 2, ndb = 0, nb, d, ia, ib
    cdef cnp.npy_intp* ash = cnp.PyArray_DIMS(a)
    cdef cnp.npy_intp* ast = cnp.PyArray_STRIDES(a)
    cdef cnp.npy_intp* bsh = NULL
    cdef cnp.npy_intp* bst = NULL
    cdef Py_ssize_t da, db, size, sa, sb
    if b is not None:
        ndb = cnp.PyArray_NDIM(b) - 2
        bsh, bst = cnp.PyArray_DIMS(b), cnp.PyArray_STRIDES(b)
    nb = max(nda, ndb)
    dims.ndim = 0
    for d in range(nb):
        ia, ib = d - nb + nda, d - nb + ndb
        da = ash[ia] if ia >= 0 else 1
        db = bsh[ib] if ib >= 0 else 1
        if da != db and da != 1 and db != 1:
            return -1
        size = db if da == 1 else da     # not max(): a 0 against a 1 is 0
        shape[d] = size
        if size == 1:
            continue
        sa = ast[ia] if da > 1 else 0
        sb = bst[ib] if db > 1 else 0
        if (dims.ndim and sa * size == dims.sa[dims.ndim - 1]
                and sb * size == dims.sb[dims.ndim - 1]):
            dims.shape[dims.ndim - 1] *= size
            dims.sa[dims.ndim - 1], dims.sb[dims.ndim - 1] = sa, sb
        else:
            dims.shape[dims.ndim], dims.sa[dims.ndim], dims.sb[dims.ndim] = size, sa, sb
            dims.ndim += 1
    return nb


cdef struct Cursor:
    Py_ssize_t idx[MAXDIM]               # the batch index over the merged dims


# The byte offsets of the current matrices of a and b are the caller's locals, passed by
# address: once these inline, they stay in registers (inside the Cursor, next to an array
# indexed at run time, they were kept in memory: 4x4 products ran ~4% slower).

cdef inline void seek(const Dims* dims, Cursor* c, Py_ssize_t i, Py_ssize_t* oa,
                      Py_ssize_t* ob) noexcept nogil:
    """Place `c` at batch element i (C order over the merged dims)."""
    cdef int d
    oa[0] = ob[0] = 0
    for d in range(dims.ndim - 1, -1, -1):
        c.idx[d] = i % dims.shape[d]
        i //= dims.shape[d]
        oa[0] += c.idx[d] * dims.sa[d]
        ob[0] += c.idx[d] * dims.sb[d]


cdef inline void advance(const Dims* dims, Cursor* c, Py_ssize_t* oa,
                         Py_ssize_t* ob) noexcept nogil:
    """Move `c` to the next batch element, odometer style."""
    cdef int d = dims.ndim - 1
    while d >= 0:
        c.idx[d] += 1
        oa[0] += dims.sa[d]
        ob[0] += dims.sb[d]
        if c.idx[d] < dims.shape[d]:
            return
        oa[0] -= dims.sa[d] * dims.shape[d]
        ob[0] -= dims.sb[d] * dims.shape[d]
        c.idx[d] = 0
        d -= 1


# -- the split over threads ------------------------------------------------------------------------

# A kernel's loop over batch elements lo..hi-1, one specialization per dtype: `tag` (always NULL)
# picks the specialization, `plan` is the kernel's own Plan, `scratch` the thread's scratch.
cdef struct Loops:
    void (*s)(float* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi, char* scratch) noexcept nogil
    void (*d)(double* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi, char* scratch) noexcept nogil
    void (*c)(c64* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi, char* scratch) noexcept nogil
    void (*z)(c128* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi, char* scratch) noexcept nogil


cdef struct Split:
    const Loops* loops
    int typenum
    Py_ssize_t nbatch, threads           # thread t runs nbatch * t // threads onwards
    char* scratch                        # NULL when no thread needs one
    Py_ssize_t scratch_step              # bytes per thread


cdef struct Batch:
    void* plan                           # the kernel's own Plan, handed to its Loops
    const Split* split


cdef inline void run_range(void* ctx, Py_ssize_t t) noexcept nogil:
    """Thread t's range of the batch `ctx` (a Batch): the team's task (_team.pxd)."""
    cdef const Batch* b = <const Batch*>ctx
    cdef const Split* s = b.split
    cdef Py_ssize_t lo = s.nbatch * t // s.threads, hi = s.nbatch * (t + 1) // s.threads
    cdef char* scratch = NULL
    if s.scratch != NULL:
        scratch = s.scratch + t * s.scratch_step
    if s.typenum == cnp.NPY_FLOAT32:
        s.loops.s(NULL, b.plan, lo, hi, scratch)
    elif s.typenum == cnp.NPY_FLOAT64:
        s.loops.d(NULL, b.plan, lo, hi, scratch)
    elif s.typenum == cnp.NPY_COMPLEX64:
        s.loops.c(NULL, b.plan, lo, hi, scratch)
    else:
        s.loops.z(NULL, b.plan, lo, hi, scratch)


cdef inline Py_ssize_t pick_threads(object threads_mod, Py_ssize_t nbatch, Py_ssize_t work,
                                    bint lapack, Py_ssize_t parallel_work,
                                    Py_ssize_t blas_work):
    """How many threads split a batch of `nbatch` elements of `work` multiply-adds each (from
    lamina._core._threads, passed as `threads_mod`). One when the batch holds less than
    `parallel_work` in all (waking a sleeping team thread costs up to ~40-140 us), when the
    elements call BLAS or LAPACK (`lapack`) and their thread count is out of reach, and when one
    element has `blas_work` or more (OpenBLAS threads it) and the batch is too short to split
    evenly; but always more than one where the tests ask for it (`split_every_batch`)."""
    cdef Py_ssize_t threads = min(<Py_ssize_t>threads_mod.get_num_threads(), nbatch)
    if threads > 1 and not threads_mod.split_every_batch and (
            (lapack and not threads_mod.BLAS_CONTROL) or work * nbatch < parallel_work
            or (work >= blas_work and nbatch < 4 * threads)):
        threads = 1
    return max(threads, 1)


cdef inline object alloc_scratch(Split* s, Py_ssize_t nbytes):
    """A scratch buffer of `nbytes` per thread, each a cache line apart, allocated once per call
    with NumPy (so tracemalloc sees it); returns it, for the caller to keep alive. No bytes: no
    buffer, s.scratch NULL."""
    cdef cnp.npy_intp size
    s.scratch_step = (nbytes + 63) // 64 * 64
    s.scratch = NULL
    if nbytes == 0:
        return None
    size = s.threads * s.scratch_step
    buf = cnp.PyArray_EMPTY(1, &size, cnp.NPY_UINT8, 0)
    s.scratch = cnp.PyArray_BYTES(buf)
    return buf


cdef inline int launch(void* plan, const Split* s, bint blas_threaded) except -1:
    """Run the planned batch: its `s.threads` ranges on lamina's thread team (_team.run_team,
    with BLAS at one thread), or its one range here, with BLAS at lamina's thread count where
    OpenBLAS threads its calls (`blas_threaded`)."""
    cdef Batch b = Batch(plan, s)
    return run_team(run_range, &b, s.threads, blas_threaded)


# -- LAPACK workspace ------------------------------------------------------------------------------

cdef inline int lwork_of(lapack_t w) except -1:
    """The workspace size a LAPACK query left in work[0] (complex types in its real part), as an
    int: rounded up, since it is reported as a floating-point value (a float32 report past 2^24
    can come out short otherwise)."""
    cdef double up
    if lapack_t is float or lapack_t is double:
        up = w
    else:
        up = w.real
    up = up * (1 + 1e-6) + 1
    if up > 2147483647:
        raise ValueError("LAPACK workspace past its 32-bit sizes")
    return max(1, <int>up)
