# cython: language_level=3
"""Batched least squares: LAPACK ?gels, ?gelsy, ?gelsd or ?gelss per matrix.

Memory contract of `lstsq_batched(a, a_off, x, res, rank, sv, info, rcond, driver)`:
- `a` holds the matrices A (m, n) at byte offsets `a_off` (one per batch element, so a broadcast
  batch repeats an offset) from its data pointer, with `a`'s last two strides; it is only read.
  Every routine overwrites its A, so each thread copies one A at a time into its scratch, in the
  column-major layout LAPACK wants (lda = max(1, m)), checking finiteness as it copies.
- `x` is C-contiguous (nbatch, k, ldb), ldb = max(1, m, n): row j of matrix i is column j of a
  column-major (ldb, k) B, holding B in its first m entries on entry. It is overwritten in place:
  entries 0..n-1 of each column become the solution, and for m > n entries n..m-1 hold the
  residual components, whose squared sums go to `res` (nbatch, k), real, when m > n and `res`
  is not None.
- `rank` (nbatch,) int64 receives the effective rank (gelsy, gelsd, gelss; None skips it, and
  must for gels), `sv` (nbatch, min(m, n)) real the singular values (gelsd, gelss: required;
  None otherwise), `info` (nbatch,)
  int32 LAPACK's status (> 0: gels met an exactly singular triangular factor, gelsd/gelss's SVD
  did not converge).
- A batch element whose A or B holds a NaN or an infinity skips LAPACK (the SVD drivers can loop
  forever on one, KERNEL-FACTS.md) and gets NaN in x, res and sv, rank 0 and info 0.
Nothing else is written except a per-thread scratch buffer (A's copy and LAPACK's workspace),
allocated once per call after one workspace query.

Threads: the batch is split into one contiguous range per thread (lamina._core._threads); each
range is a `with nogil:` loop, and every check happens before it, so only `info` can report.
"""

cimport numpy as cnp
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.limits cimport INT_MAX
from libc.math cimport NAN, isfinite
from libc.stdint cimport int64_t
from libc.string cimport memset
from scipy.linalg.cython_lapack cimport (
    cgels,
    cgelsd,
    cgelss,
    cgelsy,
    dgels,
    dgelsd,
    dgelss,
    dgelsy,
    sgels,
    sgelsd,
    sgelss,
    sgelsy,
    zgels,
    zgelsd,
    zgelss,
    zgelsy,
)

from ._batch cimport Loops, Split, alloc_scratch, launch, lwork_of, pick_threads
from ._extent cimport EXTENT_ON, Span, check_mat, check_vec, span_at, span_of
from ._lapack cimport c64, c128, lapack_t

import numpy as np

from . import _threads, _workspace

cnp.import_array()


cdef enum:
    GELS = 0
    GELSY = 1
    GELSD = 2
    GELSS = 3

DRIVERS = {"gels": GELS, "gelsy": GELSY, "gelsd": GELSD, "gelss": GELSS}

# A batch whose estimated work (nbatch * m * n * max(m, n) multiply-adds) is below PARALLEL_WORK
# stays on one thread. Waking a team thread costs up to ~40-140 us (_team.h), and one 32x16 gelsy
# ~10-25 us here, so a split pays only from a few hundred microseconds of work: 2^20 is ~0.3-1 ms.
# The 2-thread gain itself could not be measured: the shared 2-core machine ran at load 6-7
# while this was written (serial wall time was twice the CPU time, and even the matmul kernel's
# 4x4 loops, which scale 2x when idle, did not scale), and OpenBLAS may serialise some of the
# BLAS calls these routines make (KERNEL-FACTS.md). Re-measure on an idle machine.
cdef Py_ssize_t PARALLEL_WORK = 1 << 20


cdef struct Plan:
    Split split                         # scratch per thread: A's copy, work, rwork, iwork
    int driver
    int m, n, k, lda, ldb, mn
    char* a
    const Py_ssize_t* a_off
    Py_ssize_t ars, acs                 # A's element strides
    char* x
    Py_ssize_t x_step                   # bytes between matrices of x
    char* res                           # NULL when m <= n
    char* sv                            # NULL for gels and gelsy
    int64_t* rank                       # NULL for gels
    int* info
    double rcond
    int lwork, lrwork, liwork
    Py_ssize_t work_at, rwork_at, iwork_at   # byte offsets inside a thread's scratch
    Span sx, ssv                        # x's and sv's bytes (extent-checked builds only)


# -- LAPACK, by type ---------------------------------------------------------------------------

cdef inline void _gels(lapack_t* a, lapack_t* b, Plan* p, lapack_t* work, int* info) noexcept nogil:
    cdef int lwork = p.lwork
    if lapack_t is float:
        sgels(b"N", &p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, work, &lwork, info)
    elif lapack_t is double:
        dgels(b"N", &p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, work, &lwork, info)
    elif lapack_t is c64:
        cgels(b"N", &p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, work, &lwork, info)
    else:
        zgels(b"N", &p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, work, &lwork, info)


cdef inline void _gelsy(lapack_t* a, lapack_t* b, Plan* p, lapack_t* work, void* rwork,
                        int* jpvt, int* rank, int* info) noexcept nogil:
    cdef int lwork = p.lwork
    cdef float srcond = <float>p.rcond
    cdef double drcond = p.rcond
    if lapack_t is float:
        sgelsy(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, jpvt, &srcond, rank, work, &lwork, info)
    elif lapack_t is double:
        dgelsy(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, jpvt, &drcond, rank, work, &lwork, info)
    elif lapack_t is c64:
        cgelsy(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, jpvt, &srcond, rank, work, &lwork,
               <float*>rwork, info)
    else:
        zgelsy(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, jpvt, &drcond, rank, work, &lwork,
               <double*>rwork, info)


cdef inline void _gelsd(lapack_t* a, lapack_t* b, Plan* p, void* s, lapack_t* work,
                        void* rwork, int* iwork, int* rank, int* info) noexcept nogil:
    cdef int lwork = p.lwork
    cdef float srcond = <float>p.rcond
    cdef double drcond = p.rcond
    if lapack_t is float:
        sgelsd(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, <float*>s, &srcond, rank, work, &lwork,
               iwork, info)
    elif lapack_t is double:
        dgelsd(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, <double*>s, &drcond, rank, work, &lwork,
               iwork, info)
    elif lapack_t is c64:
        cgelsd(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, <float*>s, &srcond, rank, work, &lwork,
               <float*>rwork, iwork, info)
    else:
        zgelsd(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, <double*>s, &drcond, rank, work, &lwork,
               <double*>rwork, iwork, info)


cdef inline void _gelss(lapack_t* a, lapack_t* b, Plan* p, void* s, lapack_t* work,
                        void* rwork, int* rank, int* info) noexcept nogil:
    cdef int lwork = p.lwork
    cdef float srcond = <float>p.rcond
    cdef double drcond = p.rcond
    if lapack_t is float:
        sgelss(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, <float*>s, &srcond, rank, work, &lwork,
               info)
    elif lapack_t is double:
        dgelss(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, <double*>s, &drcond, rank, work, &lwork,
               info)
    elif lapack_t is c64:
        cgelss(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, <float*>s, &srcond, rank, work, &lwork,
               <float*>rwork, info)
    else:
        zgelss(&p.m, &p.n, &p.k, a, &p.lda, b, &p.ldb, <double*>s, &drcond, rank, work, &lwork,
               <double*>rwork, info)


# -- one batch element -------------------------------------------------------------------------

cdef inline bint _finite(lapack_t v) noexcept nogil:
    if lapack_t is float or lapack_t is double:
        return isfinite(v)
    else:
        return isfinite(v.real) and isfinite(v.imag)


cdef inline double _abs2(lapack_t v) noexcept nogil:
    if lapack_t is float or lapack_t is double:
        return <double>v * v
    else:
        return <double>v.real * v.real + <double>v.imag * v.imag


cdef inline void _fill_nan(void* buf, Py_ssize_t count, bint single) noexcept nogil:
    """`count` real values of float (single) or double set to NaN."""
    cdef Py_ssize_t i
    if single:
        for i in range(count):
            (<float*>buf)[i] = NAN
    else:
        for i in range(count):
            (<double*>buf)[i] = NAN


cdef inline void _check_driver(Plan* p, char* scratch, const lapack_t* x,
                               const void* s) noexcept nogil:
    """The extents the ?gels* drivers touch (_extent.h): A (m x n, lda) and the workspaces in
    the thread's scratch (rwork: the complex gelsy/gelsd/gelss; iwork: gelsy's jpvt, gelsd's
    iwork); B, max(m, n) x k with ldb, in x; s (min(m, n) reals) in sv for gelsd/gelss."""
    cdef Span ss = span_at(scratch, p.split.scratch_step)
    cdef Py_ssize_t real = sizeof(float) if lapack_t is float or lapack_t is c64 else sizeof(
        double)
    check_mat("?gels* A", scratch, p.m, p.n, p.lda, sizeof(lapack_t), ss)
    check_mat("?gels* B", x, max(p.m, p.n), p.k, p.ldb, sizeof(lapack_t), p.sx)
    check_vec("?gels* work", scratch + p.work_at, p.lwork, 1, sizeof(lapack_t), ss)
    if (lapack_t is c64 or lapack_t is c128) and p.driver != GELS:
        check_vec("?gels* rwork", scratch + p.rwork_at, p.lrwork, 1, real, ss)
    if p.driver == GELSY or p.driver == GELSD:
        check_vec("?gelsy jpvt/?gelsd iwork", scratch + p.iwork_at, p.liwork, 1, sizeof(int),
                  ss)
    if p.driver == GELSD or p.driver == GELSS:
        check_vec("?gelsd/?gelss s", s, p.mn, 1, real, p.ssv)


cdef void _one(lapack_t* tag, Plan* p, Py_ssize_t i, char* scratch) noexcept nogil:
    cdef int m = p.m, n = p.n, k = p.k, lda = p.lda, ldb = p.ldb, r, j, rank = 0, info = 0
    cdef const lapack_t* src = <const lapack_t*>(p.a + p.a_off[i])
    cdef lapack_t* a = <lapack_t*>scratch
    cdef lapack_t* x = <lapack_t*>(p.x + i * p.x_step)
    cdef lapack_t* work = <lapack_t*>(scratch + p.work_at)
    cdef void* rwork = scratch + p.rwork_at
    cdef int* iwork = <int*>(scratch + p.iwork_at)
    cdef bint finite = True, single = lapack_t is float or lapack_t is c64
    cdef int reals = 1 if lapack_t is float or lapack_t is double else 2
    cdef Py_ssize_t real_size = sizeof(float) if single else sizeof(double)
    cdef void* s = NULL
    cdef char* res = NULL
    cdef double acc
    cdef lapack_t v
    if p.sv != NULL:
        s = p.sv + i * p.mn * real_size
    if p.res != NULL:
        res = p.res + i * k * real_size
    # A into the scratch, column-major; B is already in x.
    for r in range(m):
        for j in range(n):
            v = src[r * p.ars + j * p.acs]
            finite = finite and _finite(v)
            a[r + <Py_ssize_t>j * lda] = v
    for j in range(k):
        for r in range(m):
            finite = finite and _finite(x[<Py_ssize_t>j * ldb + r])
    if not finite:
        _fill_nan(x, <Py_ssize_t>k * ldb * reals, single)
        if s != NULL:
            _fill_nan(s, p.mn, single)
        if res != NULL:
            _fill_nan(res, k, single)
        if p.rank != NULL:
            p.rank[i] = 0
        p.info[i] = 0
        return
    _check_driver(p, scratch, x, s)
    if p.driver == GELS:
        _gels(a, x, p, work, &info)
    elif p.driver == GELSY:
        memset(iwork, 0, n * sizeof(int))   # jpvt is read on entry: 0 frees every column
        _gelsy(a, x, p, work, rwork, iwork, &rank, &info)
    elif p.driver == GELSD:
        _gelsd(a, x, p, s, work, rwork, iwork, &rank, &info)
    else:
        _gelss(a, x, p, s, work, rwork, &rank, &info)
    p.info[i] = info
    if p.rank != NULL:
        p.rank[i] = rank
    if res != NULL:
        for j in range(k):
            acc = 0
            for r in range(n, m):
                acc += _abs2(x[<Py_ssize_t>j * ldb + r])
            if single:
                (<float*>res)[j] = <float>acc
            else:
                (<double*>res)[j] = acc


cdef void _run(lapack_t* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi,
               char* scratch) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(lo, hi):
        _one(tag, <Plan*>plan, i, scratch)


cdef Loops _LOOPS = Loops(_run[float], _run[double], _run[c64], _run[c128])


cdef class _Job:
    """A planned call: the arrays it keeps alive and the ranges each thread runs."""
    cdef Plan p
    cdef object keep


# -- workspace ---------------------------------------------------------------------------------

cdef int _query(lapack_t* tag, Plan* p, int* lwork, int* lrwork, int* liwork) except -1:
    """The workspace sizes for p's problem: lwork elements of the matrix type, lrwork reals,
    liwork ints (LAPACK's answer where it gives one, its documented minimum otherwise)."""
    cdef lapack_t wq[1]
    cdef lapack_t dummy[1]
    cdef float sq[1]
    cdef double dq[1]
    cdef int iq[1]
    cdef int rank = 0, info = 0, mn = p.mn, n = p.n
    cdef void* rq
    if lapack_t is float or lapack_t is c64:
        rq = sq
    else:
        rq = dq
    p.lwork = -1
    wq[0] = 0
    sq[0] = 0
    dq[0] = 0
    iq[0] = 0
    # A query reads no array, so one-element dummies stand in for all of them; it writes
    # work[0], and gelsd rwork[0] and iwork[0].
    check_vec("?gels* work (query)", wq, 1, 1, sizeof(lapack_t), span_at(wq, sizeof(wq)))
    if p.driver == GELSD:
        if lapack_t is float or lapack_t is c64:
            check_vec("?gelsd rwork (query)", sq, 1, 1, sizeof(float), span_at(sq, sizeof(sq)))
        else:
            check_vec("?gelsd rwork (query)", dq, 1, 1, sizeof(double), span_at(dq, sizeof(dq)))
        check_vec("?gelsd iwork (query)", iq, 1, 1, sizeof(int), span_at(iq, sizeof(iq)))
    if p.driver == GELS:
        _gels(dummy, dummy, p, wq, &info)
    elif p.driver == GELSY:
        _gelsy(dummy, dummy, p, wq, rq, iq, &rank, &info)
    elif p.driver == GELSD:
        _gelsd(dummy, dummy, p, rq, wq, rq, iq, &rank, &info)
    else:
        _gelss(dummy, dummy, p, rq, wq, rq, &rank, &info)
    lwork[0] = lwork_of(wq[0])
    lrwork[0] = liwork[0] = 1
    if p.driver == GELSY:
        liwork[0] = max(1, n)                                # jpvt
        lrwork[0] = 2 * max(1, n)
    elif p.driver == GELSD:
        if lapack_t is c64:
            lrwork[0] = lwork_of(sq[0])
        elif lapack_t is c128:
            lrwork[0] = lwork_of(dq[0])
        liwork[0] = max(1, iq[0])
    elif p.driver == GELSS:
        lrwork[0] = 5 * max(1, mn)
    if info != 0:
        raise ValueError(f"lstsq kernel: workspace query failed (info {info})")
    return 0


def _check_out(arr, shape, dtype, name, allowed=True):
    """`arr` is None, or (where `allowed`) a writeable C-contiguous array of shape and dtype."""
    if arr is None:
        return
    if (not allowed or not isinstance(arr, np.ndarray) or arr.shape != shape
            or arr.dtype != dtype or not arr.flags.c_contiguous or not arr.flags.writeable):
        raise ValueError(f"lstsq kernel: {name} must be None" + (
            f" or a writeable C-contiguous {shape} array of {np.dtype(dtype)}" if allowed
            else " for this problem"))


def offsets_inside(cnp.ndarray arr, cnp.ndarray off, int core):
    """Whether every byte offset in `off` (a contiguous intp array) is aligned and lies in the
    extent of `arr`'s leading (batch) dims, as the start of one of its trailing `core`-dim blocks
    does: then no read of such a block leaves `arr`. The lstsq and ldl kernels check their
    offsets with it."""
    if off.dtype != np.intp or off.ndim != 1 or not off.flags.c_contiguous:
        raise ValueError("offsets must be a contiguous intp array")
    cdef Py_ssize_t lo = 0, hi = 0, span, i, count = off.shape[0], item = arr.itemsize
    cdef int d
    if count and arr.size == 0:
        return False
    for d in range(arr.ndim - core):
        span = (arr.shape[d] - 1) * arr.strides[d]
        lo += min(0, span)
        hi += max(0, span)
    cdef const Py_ssize_t* o = <const Py_ssize_t*>cnp.PyArray_DATA(off)
    for i in range(count):
        if o[i] < lo or o[i] > hi or o[i] % item:
            return False
    return True


cdef Py_ssize_t _aligned(Py_ssize_t nbytes):
    return (nbytes + 63) // 64 * 64


def lstsq_batched(cnp.ndarray a, cnp.ndarray a_off, cnp.ndarray x, res, rank, sv,
                  cnp.ndarray info, double rcond, str driver):
    """Solve each least-squares problem of the batch in place in `x` (see the module docstring
    for every argument's layout)."""
    cdef int typenum = cnp.PyArray_TYPE(a)
    if typenum not in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64, cnp.NPY_COMPLEX64, cnp.NPY_COMPLEX128):
        raise TypeError(f"lstsq kernel: unsupported dtype {a.dtype}")
    if driver not in DRIVERS:
        raise ValueError(f"lstsq kernel: unknown driver {driver!r}")
    real = np.float32 if typenum in (cnp.NPY_FLOAT32, cnp.NPY_COMPLEX64) else np.float64
    if a.ndim < 2 or x.ndim != 3:
        raise ValueError("lstsq kernel: a must be (..., m, n) and x (nbatch, k, ldb)")
    cdef Py_ssize_t m = a.shape[a.ndim - 2], n = a.shape[a.ndim - 1]
    cdef Py_ssize_t nbatch = x.shape[0], k = x.shape[1], ldb = x.shape[2]
    cdef Py_ssize_t item = a.itemsize, mn = min(m, n)
    if (x.dtype != a.dtype or not x.flags.c_contiguous or not x.flags.writeable
            or ldb != max(1, m, n)):
        raise ValueError("lstsq kernel: x must be a writeable C-contiguous (nbatch, k, "
                         "max(1, m, n)) array of a's dtype")
    if m > INT_MAX or n > INT_MAX or k > INT_MAX or ldb > INT_MAX:
        raise ValueError("lstsq kernel: sizes past LAPACK's 32-bit integers")
    if a_off.shape[0] != nbatch:
        raise ValueError("lstsq kernel: a_off must hold nbatch offsets")
    if a.strides[a.ndim - 2] % item or a.strides[a.ndim - 1] % item:
        raise ValueError("lstsq kernel: unaligned strides")
    if nbatch and m and n and not offsets_inside(a, a_off, 2):
        raise ValueError("lstsq kernel: offsets point outside a")
    cdef int drv = DRIVERS[driver]
    _check_out(res, (nbatch, k), real, "res", m > n)
    _check_out(rank, (nbatch,), np.int64, "rank", drv != GELS)
    _check_out(sv, (nbatch, mn), real, "sv", drv in (GELSD, GELSS))
    _check_out(info, (nbatch,), np.int32, "info")
    if info is None or (sv is None and drv in (GELSD, GELSS)):
        raise ValueError("lstsq kernel: info, and sv for gelsd/gelss, are required")
    if nbatch == 0:
        return
    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    p.split.typenum, p.driver = typenum, drv
    p.m, p.n, p.k, p.mn = m, n, k, mn
    p.lda, p.ldb = max(1, m), ldb
    p.a = cnp.PyArray_BYTES(a)
    p.a_off = <const Py_ssize_t*>cnp.PyArray_DATA(a_off)
    p.ars, p.acs = a.strides[a.ndim - 2] // item, a.strides[a.ndim - 1] // item
    p.x = cnp.PyArray_BYTES(x)
    p.x_step = k * ldb * item
    p.res = NULL if res is None else cnp.PyArray_BYTES(<cnp.ndarray>res)
    p.sv = NULL if sv is None else cnp.PyArray_BYTES(<cnp.ndarray>sv)
    p.rank = NULL if rank is None else <int64_t*>cnp.PyArray_DATA(<cnp.ndarray>rank)
    p.info = <int*>cnp.PyArray_DATA(info)
    p.rcond = rcond
    cdef int lwork = 0, lrwork = 0, liwork = 0
    if typenum == cnp.NPY_FLOAT32:
        _query(<float*>NULL, p, &lwork, &lrwork, &liwork)
    elif typenum == cnp.NPY_FLOAT64:
        _query(<double*>NULL, p, &lwork, &lrwork, &liwork)
    elif typenum == cnp.NPY_COMPLEX64:
        _query(<c64*>NULL, p, &lwork, &lrwork, &liwork)
    else:
        _query(<c128*>NULL, p, &lwork, &lrwork, &liwork)
    p.lwork, p.lrwork, p.liwork = lwork, lrwork, liwork
    # A thread's scratch: A's copy, work, rwork (reals), iwork, each 64-byte aligned.
    cdef Py_ssize_t real_size = np.dtype(real).itemsize
    p.work_at = _aligned(max(1, m * n) * item)
    p.rwork_at = p.work_at + _aligned(<Py_ssize_t>lwork * item)
    p.iwork_at = p.rwork_at + _aligned(<Py_ssize_t>lrwork * real_size)
    # Every element calls LAPACK, so a split needs control of BLAS's own threads and enough work
    # to pay for waking the team.
    p.split.loops, p.split.nbatch = &_LOOPS, nbatch
    p.split.threads = pick_threads(_threads, nbatch, m * n * max(m, n), True, PARALLEL_WORK,
                                   PY_SSIZE_T_MAX)
    buf = alloc_scratch(&p.split, p.iwork_at + _aligned(<Py_ssize_t>liwork * sizeof(int)))
    _workspace.note("lstsq", p.split.threads, p.split.scratch_step)
    job.keep = (a, a_off, x, res, rank, sv, info, buf)
    if EXTENT_ON:
        p.sx = span_of(x)
        p.ssv = span_of(sv) if sv is not None else p.sx
    launch(&job.p, &job.p.split, False)
