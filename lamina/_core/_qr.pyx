# cython: language_level=3
"""Batched QR: LAPACK ?geqrf, ?orgqr/?ungqr and ?ormqr/?unmqr per matrix, batch split across
threads.

Layout contract. Every input is a 3-D (batch, rows, cols) array of one dtype of float32/float64/
complex64/complex128 with any strides (zero and negative included, in whole elements); inputs
are only read. Every matrix output is a new C-contiguous (batch, cols, rows) buffer, which
column-major LAPACK reads as the (rows, cols) matrix with leading dimension `rows`: the caller
returns `buffer.swapaxes(-1, -2)`, the column-major batches PyTorch itself returns. Each input
matrix is copied once, straight into the output it becomes, and factorized in place there:

- qr, m >= n: A goes into Q's buffer (its first n columns), geqrf runs there, R (upper triangle,
  zeros below) is copied out, then ?orgqr turns the reflectors into Q's m or n columns in place.
- qr, m < n: A goes into R's buffer, geqrf runs there, the first m columns (the reflectors) are
  copied into Q's buffer and expanded by ?orgqr, and R's buffer gets zeros below its diagonal.
- qr mode 'r', m >= n: A goes into a per-thread scratch, R is copied out of it.
- geqrf / householder_product / ormqr: A (resp. C) goes into the output, LAPACK runs in place.
  ormqr's reflectors are copied into a per-thread scratch (reference ?orm2r writes ones into
  their diagonal while it runs, so the caller's array, perhaps a zero-stride broadcast, is
  never handed to LAPACK).
tau goes into a per-thread scratch (qr) or its own (batch, k) output (geqrf). Workspace is
queried once per call (lwork = -1) and allocated once per thread with NumPy.

Matrices with both dims <= TINY skip ?geqrf/?orgqr for the same unblocked algorithms written
out here (?geqr2, ?org2r: LAPACK's own conventions, so R's signs and tau match it), which cost a
fraction of a LAPACK call at these sizes and, making no LAPACK call, scale over threads.

Nothing here can fail after the GIL is released: ?geqrf/?orgqr/?ormqr report only illegal
arguments, which the checks before the loop rule out.
"""

cimport numpy as cnp
from libc.limits cimport INT_MAX
from libc.math cimport copysign, fabs, hypot, sqrt
from libc.string cimport memcpy
from scipy.linalg.cython_lapack cimport (
    cgeqrf, cungqr, cunmqr, dgeqrf, dorgqr, dormqr, sgeqrf, sorgqr, sormqr, zgeqrf, zungqr,
    zunmqr)

from ._cpu cimport simd_level
from ._batch cimport Loops, Split, alloc_scratch, launch, lwork_of, pick_threads
from ._extent cimport EXTENT_ON, Span, check_mat, check_vec, span_at, span_of
from ._lapack cimport c64, c128, lapack_t
from ._pool cimport empty_as

cdef extern from "_simd_larf.h" nogil:
    ctypedef void (*lm_larf_f)(int, int, const float*, float, float*, Py_ssize_t)
    ctypedef void (*lm_larf_d)(int, int, const double*, double, double*, Py_ssize_t)
    lm_larf_f lm_larf_float(int level)
    lm_larf_d lm_larf_double(int level)
    int LM_AVX512

import numpy as np

from . import _threads, _workspace

cnp.import_array()


cdef enum:
    QR = 0               # Q (or not, mode 'r') and R
    GEQRF = 1            # the reflectors and tau, as LAPACK leaves them
    ORGQR = 2            # householder_product
    ORMQR = 3            # Q @ C and friends

# Matrices with both dims <= TINY take the loops below (LAPACK's unblocked algorithms, written
# out) instead of ?geqrf/?orgqr calls; `tiny=` on the entry points overrides it (tests).
cdef int TINY = 32

# The tiny loops' reflector step runs _simd_larf.h's from LARF_MIN at AVX-512. Measured (CPU
# time on one thread, qr, medians, ms), loops / AVX2 / AVX-512 kernels: float64 500 x 32x32
# 6.25 / 5.64 / 4.05, 2000 x 16x16 6.06 / 7.10 / 5.71, 5000 x 8x8 3.82 / 4.64 / 3.76; float32
# 32: 4.85 / 5.27 / 3.90, 16: 3.87 / 5.09 / 3.88. Short columns leave too little to vectorise.
cdef int LARF_MIN = 24

# A batch whose total flop estimate (batch * m * n * min(m, n)) is below PARALLEL_WORK stays on
# one thread. Measured with the tiny loops, 8x8 float64 qr, medians (shared 2-core machine under
# load ~8, so the second core is often busy): 512 matrices serial 0.36-0.63 ms vs 2 threads
# 0.41-0.78 ms; 1024: 1.3 vs 0.81 ms; 4096: 10.0 vs 4.3 ms. The crossover is ~2^19.
cdef Py_ssize_t PARALLEL_WORK = 1 << 19

# One matrix big enough for OpenBLAS to thread its level-3 calls runs with BLAS at lamina's
# thread count (a batch that large and short gains nothing from splitting).
cdef Py_ssize_t BLAS_THREADED_WORK = 1 << 21


cdef struct Plan:
    Split split              # scratch per thread: lwork elements, then the matrices' scratch
    int kind
    int m, n, k              # the (m, n) input; k = min(m, n) (GEQRF/QR), tau's length else
    int qc                   # QR: Q's columns (0: mode 'r'); ORMQR: C's columns
    int mc                   # ORMQR: C's rows; QR: R's rows
    char side, trans         # ORMQR
    char* a                  # the input matrix (ORMQR: the reflectors)
    Py_ssize_t a_step, ars, acs          # bytes between matrices; element strides
    char* b                  # tau (ORGQR, ORMQR input) or C (ORMQR)
    Py_ssize_t b_step, brs, bcs
    char* t                  # tau (ORGQR, ORMQR), element stride tcs
    Py_ssize_t t_step, tcs
    char* q                  # output buffers, C-contiguous; steps in bytes
    Py_ssize_t q_step
    char* r
    Py_ssize_t r_step
    char* tau                # GEQRF's tau output
    Py_ssize_t tau_step
    int lwork
    bint tiny                # the loops below instead of ?geqrf / ?orgqr
    Span sq, sr, stau        # the output arrays' bytes (extent-checked builds only)
    void* larf               # their reflector step from _simd_larf.h (real), or NULL


# -- LAPACK, one type letter per branch -----------------------------------------------------------

cdef inline void _geqrf(int* m, int* n, lapack_t* a, int* lda, lapack_t* tau, lapack_t* work,
                        int* lwork, int* info) noexcept nogil:
    if lapack_t is float:
        sgeqrf(m, n, a, lda, tau, work, lwork, info)
    elif lapack_t is double:
        dgeqrf(m, n, a, lda, tau, work, lwork, info)
    elif lapack_t is c64:
        cgeqrf(m, n, a, lda, tau, work, lwork, info)
    else:
        zgeqrf(m, n, a, lda, tau, work, lwork, info)


cdef inline void _orgqr(int* m, int* n, int* k, lapack_t* a, int* lda, lapack_t* tau,
                        lapack_t* work, int* lwork, int* info) noexcept nogil:
    if lapack_t is float:
        sorgqr(m, n, k, a, lda, tau, work, lwork, info)
    elif lapack_t is double:
        dorgqr(m, n, k, a, lda, tau, work, lwork, info)
    elif lapack_t is c64:
        cungqr(m, n, k, a, lda, tau, work, lwork, info)
    else:
        zungqr(m, n, k, a, lda, tau, work, lwork, info)


cdef inline void _ormqr(char* side, char* trans, int* m, int* n, int* k, lapack_t* a, int* lda,
                        lapack_t* tau, lapack_t* c, int* ldc, lapack_t* work, int* lwork,
                        int* info) noexcept nogil:
    if lapack_t is float:
        sormqr(side, trans, m, n, k, a, lda, tau, c, ldc, work, lwork, info)
    elif lapack_t is double:
        dormqr(side, trans, m, n, k, a, lda, tau, c, ldc, work, lwork, info)
    elif lapack_t is c64:
        cunmqr(side, trans, m, n, k, a, lda, tau, c, ldc, work, lwork, info)
    else:
        zunmqr(side, trans, m, n, k, a, lda, tau, c, ldc, work, lwork, info)


# -- tiny matrices: LAPACK's unblocked algorithms (?geqr2, ?org2r) without its per-call cost ------

cdef inline double _abs2(lapack_t x) noexcept nogil:
    if lapack_t is c64 or lapack_t is c128:
        return x.real * x.real + x.imag * x.imag
    else:
        return x * x


cdef inline double _abs(lapack_t x) noexcept nogil:
    if lapack_t is c64 or lapack_t is c128:
        return hypot(x.real, x.imag)
    else:
        return fabs(x)


cdef inline lapack_t _conj(lapack_t x) noexcept nogil:
    if lapack_t is c64 or lapack_t is c128:
        return x.conjugate()
    else:
        return x


cdef inline double _norm(const lapack_t* x, int n) noexcept nogil:
    """||x||_2 without LAPACK: the plain sum of squares, or (when it under- or overflows, so
    it cannot be trusted) the sum of squares of x / max|x|, as ?nrm2 scales."""
    cdef double ssq = 0, big = 0, t
    cdef int i
    for i in range(n):
        ssq += _abs2(x[i])
    if 1e-290 < ssq < 1e290:
        return sqrt(ssq)
    for i in range(n):
        big = max(big, _abs(x[i]))
    if big == 0 or big != big or big > 1.79e308:
        return big
    ssq = 0
    for i in range(n):
        t = _abs(x[i]) / big
        ssq += t * t
    return big * sqrt(ssq)


cdef inline lapack_t _larfg(int n, lapack_t* alpha, lapack_t* x) noexcept nogil:
    """?larfg: H = I - tau v v^H with v = (1, x'), H^H (alpha, x) = (beta, 0), beta real and of
    the opposite sign to Re(alpha) (LAPACK's convention, so R's signs match it); returns tau
    and overwrites alpha with beta and x with v's tail."""
    cdef double xnorm = _norm(x, n - 1), ar, ai = 0, beta, big
    cdef lapack_t tau, scale
    cdef int i
    if lapack_t is c64 or lapack_t is c128:
        ar, ai = alpha[0].real, alpha[0].imag
    else:
        ar = alpha[0]
    if xnorm == 0 and ai == 0:
        return 0
    big = max(fabs(ar), fabs(ai), xnorm)     # |(alpha, x)| scaled, as ?lapy3: no under/overflow
    beta = -copysign(big * sqrt((ar / big) ** 2 + (ai / big) ** 2 + (xnorm / big) ** 2), ar)
    if lapack_t is c64 or lapack_t is c128:
        tau.real = (beta - ar) / beta
        tau.imag = -ai / beta
    else:
        tau = (beta - ar) / beta
    scale = 1 / (alpha[0] - beta)
    for i in range(n - 1):
        x[i] = x[i] * scale
    alpha[0] = beta
    return tau


cdef inline void _larf_left(int rows, int cols, const lapack_t* v, lapack_t tau, lapack_t* c,
                            int ldc, void* larf) noexcept nogil:
    """C = (I - tau v v^H) C for a (rows, cols) column-major C; v[0] is taken as 1. `larf`:
    the plan's vectorised equivalent for real types (_simd_larf.h), or NULL."""
    cdef int i, j
    cdef lapack_t s
    cdef lapack_t* col
    if lapack_t is float:
        if larf != NULL:
            (<lm_larf_f>larf)(rows, cols, v, tau, c, ldc)
            return
    elif lapack_t is double:
        if larf != NULL:
            (<lm_larf_d>larf)(rows, cols, v, tau, c, ldc)
            return
    if tau == 0:
        return
    for j in range(cols):
        col = c + <Py_ssize_t>j * ldc
        s = col[0]
        for i in range(1, rows):
            s = s + _conj(v[i]) * col[i]
        s = s * tau
        col[0] = col[0] - s
        for i in range(1, rows):
            col[i] = col[i] - v[i] * s


cdef void _geqr2(int m, int n, lapack_t* a, int lda, lapack_t* tau, void* larf) noexcept nogil:
    """?geqr2: A = QR in place (R above the diagonal, reflectors below), column-major."""
    cdef int i, k = min(m, n)
    cdef lapack_t* col
    for i in range(k):
        col = a + i + <Py_ssize_t>i * lda
        tau[i] = _larfg(m - i, col, col + 1)
        if i < n - 1:
            _larf_left(m - i, n - i - 1, col, _conj(tau[i]), col + lda, lda, larf)


cdef void _org2r(int m, int n, int k, lapack_t* a, int lda, const lapack_t* tau,
                 void* larf) noexcept nogil:
    """?org2r: the first n columns of H_1 ... H_k in place of the reflectors, column-major."""
    cdef int i, j, l
    cdef lapack_t* col
    for j in range(k, n):
        col = a + <Py_ssize_t>j * lda
        for l in range(m):
            col[l] = 0
        col[j] = 1
    for i in range(k - 1, -1, -1):
        col = a + <Py_ssize_t>i * lda
        if i < n - 1:
            _larf_left(m - i, n - i - 1, col + i, tau[i], col + lda + i, lda, larf)
        for l in range(i + 1, m):
            col[l] = -tau[i] * col[l]
        col[i] = 1 - tau[i]
        for l in range(i):
            col[l] = 0


cdef inline void _check_work(Plan* p, const lapack_t* tau, int k, Span stau,
                             const lapack_t* work) noexcept nogil:
    """The extents of tau (k) and of the workspace (lwork, at the start of the thread's scratch)
    that a ?geqrf / ?orgqr / ?ormqr call touches (_extent.h)."""
    check_vec("?geqrf/?orgqr/?ormqr tau", tau, k, 1, sizeof(lapack_t), stau)
    check_vec("?geqrf/?orgqr/?ormqr work", work, p.lwork, 1, sizeof(lapack_t),
              span_at(work, p.split.scratch_step))


cdef inline void _factor(Plan* p, int m, int n, lapack_t* a, int lda, Span sa, lapack_t* tau,
                         Span stau, lapack_t* work) noexcept nogil:
    cdef int info = 0
    if p.tiny:
        _geqr2(m, n, a, lda, tau, p.larf)
    else:
        check_mat("?geqrf A", a, m, n, lda, sizeof(lapack_t), sa)
        _check_work(p, tau, min(m, n), stau, work)
        _geqrf(&m, &n, a, &lda, tau, work, &p.lwork, &info)


cdef inline void _expand(Plan* p, int m, int n, int k, lapack_t* a, int lda, Span sa,
                         lapack_t* tau, Span stau, lapack_t* work) noexcept nogil:
    cdef int info = 0
    if p.tiny:
        _org2r(m, n, k, a, lda, tau, p.larf)
    else:
        check_mat("?orgqr A", a, m, n, lda, sizeof(lapack_t), sa)
        _check_work(p, tau, k, stau, work)
        _orgqr(&m, &n, &k, a, &lda, tau, work, &p.lwork, &info)


# -- per-matrix steps ---------------------------------------------------------------------------

cdef inline void _load(const lapack_t* src, Py_ssize_t rs, Py_ssize_t cs, int rows, int cols,
                       lapack_t* dst, int ld) noexcept nogil:
    """Column-major dst[i + j * ld] = src[i * rs + j * cs]: the strided matrix, any strides."""
    cdef int i, j
    cdef lapack_t* col
    for j in range(cols):
        col = dst + <Py_ssize_t>j * ld
        for i in range(rows):
            col[i] = src[i * rs + j * cs]


cdef inline void _take_r(const lapack_t* f, int ldf, int k, int n, lapack_t* r) noexcept nogil:
    """R (k x n, column-major, ld k) = the upper triangle of the first k rows of f (ld ldf, at
    least min(k, n) columns), zeros below."""
    cdef int i, j
    cdef lapack_t* col
    for j in range(n):
        col = r + <Py_ssize_t>j * k
        for i in range(k):
            col[i] = f[i + <Py_ssize_t>j * ldf] if i <= j else 0


cdef inline void _zero_below(lapack_t* f, int ld, int k) noexcept nogil:
    """Zero the strictly lower part of the first k columns of a column-major matrix (ld rows)."""
    cdef int i, j
    for j in range(k):
        for i in range(j + 1, ld):
            f[i + <Py_ssize_t>j * ld] = 0


cdef void _one(lapack_t* tag, Plan* p, Py_ssize_t i, lapack_t* work) noexcept nogil:
    cdef int m = p.m, n = p.n, k = p.k, qc = p.qc, info = 0
    cdef int lda = m if m > 1 else 1
    cdef const lapack_t* a = <const lapack_t*>(p.a + i * p.a_step)
    cdef lapack_t* scratch = work + p.lwork
    cdef lapack_t* f
    cdef lapack_t* q
    cdef lapack_t* tau
    cdef const lapack_t* tsrc
    cdef int j, mc, ldc
    cdef Span ss = span_at(work, p.split.scratch_step)
    if p.kind == QR:
        tau = scratch
        if m >= n:
            f = <lapack_t*>(p.q + i * p.q_step) if qc else scratch + k
            _load(a, p.ars, p.acs, m, n, f, lda)
            _factor(p, m, n, f, lda, p.sq if qc else ss, tau, ss, work)
            _take_r(f, lda, p.mc, n, <lapack_t*>(p.r + i * p.r_step))
            if qc:
                _expand(p, m, qc, k, f, lda, p.sq, tau, ss, work)
        else:
            f = <lapack_t*>(p.r + i * p.r_step)
            _load(a, p.ars, p.acs, m, n, f, lda)
            _factor(p, m, n, f, lda, p.sr, tau, ss, work)
            if qc:
                q = <lapack_t*>(p.q + i * p.q_step)
                memcpy(q, f, <size_t>m * m * sizeof(lapack_t))
                _expand(p, m, m, k, q, lda, p.sq, tau, ss, work)
            _zero_below(f, m, m)
    elif p.kind == GEQRF:
        f = <lapack_t*>(p.q + i * p.q_step)
        _load(a, p.ars, p.acs, m, n, f, lda)
        _factor(p, m, n, f, lda, p.sq, <lapack_t*>(p.tau + i * p.tau_step), p.stau, work)
    else:
        # tau is read with its own stride into the scratch (LAPACK wants it contiguous).
        tsrc = <const lapack_t*>(p.t + i * p.t_step)
        tau = scratch
        for j in range(k):
            tau[j] = tsrc[j * p.tcs]
        f = <lapack_t*>(p.q + i * p.q_step)
        if p.kind == ORGQR:
            _load(a, p.ars, p.acs, m, n, f, lda)
            _expand(p, m, n, k, f, lda, p.sq, tau, ss, work)
        else:
            _load(a, p.ars, p.acs, m, k, scratch + k, lda)
            mc = p.mc
            ldc = mc if mc > 1 else 1
            _load(<lapack_t*>(p.b + i * p.b_step), p.brs, p.bcs, mc, qc, f, ldc)
            # the reflectors are m x k, m = C's rows (side L) or columns (side R)
            check_mat("?ormqr A", scratch + k, m, k, lda, sizeof(lapack_t), ss)
            check_mat("?ormqr C", f, mc, qc, ldc, sizeof(lapack_t), p.sq)
            _check_work(p, tau, k, ss, work)
            _ormqr(&p.side, &p.trans, &mc, &qc, &k, scratch + k, &lda, tau, f, &ldc, work,
                   &p.lwork, &info)


cdef void _run(lapack_t* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi,
               char* work) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(lo, hi):
        _one(tag, <Plan*>plan, i, <lapack_t*>work)


cdef Loops _LOOPS = Loops(_run[float], _run[double], _run[c64], _run[c128])


cdef class _Job:
    """A planned call: the arrays it keeps alive and the ranges each thread runs."""
    cdef Plan p
    cdef object keep


# -- workspace queries --------------------------------------------------------------------------

cdef int _query(lapack_t* tag, Plan* p) except -1:
    """The largest lwork the routines of this plan ask for (lwork = -1 queries, no data read)."""
    cdef lapack_t dummy[2]
    cdef lapack_t size = 0
    cdef int m = p.m, n = p.n, k = p.k, qc = p.qc, mc = p.mc, info = 0, q = -1, best = 1
    cdef int lda = m if m > 1 else 1, ldc = mc if mc > 1 else 1
    # a query writes work[0] only
    check_vec("?geqrf/?orgqr/?ormqr work (query)", &size, 1, 1, sizeof(lapack_t),
              span_at(&size, sizeof(size)))
    if p.kind == QR or p.kind == GEQRF:
        _geqrf(&m, &n, dummy, &lda, dummy, &size, &q, &info)
        best = max(best, lwork_of(size))
    if (p.kind == QR and qc) or p.kind == ORGQR:
        if p.kind == QR and m < n:
            qc = m
        elif p.kind == ORGQR:
            qc = n
        _orgqr(&m, &qc, &k, dummy, &lda, dummy, &size, &q, &info)
        best = max(best, lwork_of(size))
    if p.kind == ORMQR:
        _ormqr(&p.side, &p.trans, &mc, &qc, &k, dummy, &lda, dummy, dummy, &ldc, &size, &q,
               &info)
        best = max(best, lwork_of(size))
    return best


# -- entry points -------------------------------------------------------------------------------

_TYPES = {cnp.NPY_FLOAT32, cnp.NPY_FLOAT64, cnp.NPY_COMPLEX64, cnp.NPY_COMPLEX128}


cdef int _typenum(cnp.ndarray x, str what) except -1:
    cdef int typenum = cnp.PyArray_TYPE(x)
    if typenum not in _TYPES or not cnp.PyArray_ISNOTSWAPPED(x):
        raise TypeError(f"qr kernel: unsupported dtype {x.dtype} for {what}")
    return typenum


cdef _strides(cnp.ndarray x, Py_ssize_t* step, Py_ssize_t* rs, Py_ssize_t* cs, int item):
    """Batch step in bytes and element strides of a (batch, rows, cols) array."""
    if x.ndim != 3:
        raise ValueError(f"qr kernel: expected a 3-D (batch, rows, cols) array, got {x.ndim}-D")
    cdef cnp.npy_intp* st = cnp.PyArray_STRIDES(x)
    if st[1] % item or st[2] % item:
        raise ValueError("qr kernel: strides must be whole elements")
    step[0], rs[0], cs[0] = st[0], st[1] // item, st[2] // item


cdef _fits(Py_ssize_t n):
    if n > INT_MAX:
        raise ValueError(f"qr kernel: size {n} passes LAPACK's 32-bit integer range")


cdef object _launch(_Job job, Py_ssize_t scratch):
    """Size the workspace, pick the thread count and run the batch; `scratch` elements per
    thread besides LAPACK's workspace."""
    cdef Plan* p = &job.p
    cdef int typenum = p.split.typenum
    cdef Py_ssize_t item = cnp.PyArray_DescrFromType(typenum).itemsize
    if typenum == cnp.NPY_FLOAT32:
        p.lwork = _query(<float*>NULL, p)
    elif typenum == cnp.NPY_FLOAT64:
        p.lwork = _query(<double*>NULL, p)
    elif typenum == cnp.NPY_COMPLEX64:
        p.lwork = _query(<c64*>NULL, p)
    else:
        p.lwork = _query(<c128*>NULL, p)
    cdef Py_ssize_t work = <Py_ssize_t>p.m * p.n * max(p.k, 1)
    if p.kind == ORMQR:
        work = <Py_ssize_t>p.mc * p.qc * max(p.k, 1)
    p.split.loops = &_LOOPS
    p.split.threads = pick_threads(_threads, p.split.nbatch, work, not p.tiny, PARALLEL_WORK,
                                   BLAS_THREADED_WORK)
    job.keep = (job.keep, alloc_scratch(&p.split, (p.lwork + scratch) * item))
    _workspace.note("qr", p.split.threads, p.split.scratch_step)
    if p.split.nbatch:
        launch(&job.p, &job.p.split, not p.tiny and work >= BLAS_THREADED_WORK)


cdef _Job _plan(int kind, cnp.ndarray a, tiny=None):
    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    p.kind = kind
    p.split.typenum = _typenum(a, "A")
    _strides(a, &p.a_step, &p.ars, &p.acs, a.itemsize)
    _fits(a.shape[1])
    _fits(a.shape[2])
    p.split.nbatch, p.m, p.n = a.shape[0], a.shape[1], a.shape[2]
    p.k = min(p.m, p.n)
    p.a = cnp.PyArray_BYTES(a)
    p.tiny = kind != ORMQR and (max(p.m, p.n) <= TINY if tiny is None else tiny)
    p.larf = NULL
    if p.tiny and max(p.m, p.n) >= LARF_MIN and simd_level() >= LM_AVX512:
        if p.split.typenum == cnp.NPY_FLOAT32:
            p.larf = <void*>lm_larf_float(simd_level())
        elif p.split.typenum == cnp.NPY_FLOAT64:
            p.larf = <void*>lm_larf_double(simd_level())
    return job


def qr(cnp.ndarray a, str mode, tiny=None):
    """QR of a (batch, m, n) array with m, n >= 1: (q, r) as C-contiguous (batch, qc, m) and
    (batch, n, rr) buffers holding Q (m, qc) and R (rr, n) column-major; rr is m in mode
    'complete', else k; q is None for mode 'r'."""
    cdef _Job job = _plan(QR, a, tiny)
    cdef Plan* p = &job.p
    cdef Py_ssize_t m = p.m, n = p.n, k = p.k, b = p.split.nbatch
    if m == 0 or n == 0:
        raise ValueError("qr kernel: empty matrices are the caller's")
    p.qc = 0 if mode == "r" else (m if mode == "complete" or m < n else n)
    q = None
    if p.qc:
        q = empty_as((b, p.qc if m >= n else m, m), a.dtype)
        p.q, p.q_step = cnp.PyArray_BYTES(q), q.strides[0]
    p.mc = m if mode == "complete" else k
    r = empty_as((b, n, p.mc), a.dtype)
    p.r, p.r_step = cnp.PyArray_BYTES(r), r.strides[0]
    job.keep = (a, q, r)
    if EXTENT_ON:
        p.sq, p.sr = span_of(q) if q is not None else span_of(r), span_of(r)
    # scratch: tau, then (mode 'r', m >= n) the matrix being factorized
    _launch(job, k + (m * n if not p.qc and m >= n else 0))
    return q, r


def geqrf(cnp.ndarray a, tiny=None):
    """?geqrf of a (batch, m, n) array: (a_out, tau), a_out a C-contiguous (batch, n, m) buffer
    holding the column-major result, tau (batch, min(m, n))."""
    cdef _Job job = _plan(GEQRF, a, tiny)
    cdef Plan* p = &job.p
    out = empty_as((p.split.nbatch, p.n, p.m), a.dtype)
    tau = empty_as((p.split.nbatch, p.k), a.dtype)
    p.q, p.q_step = cnp.PyArray_BYTES(out), out.strides[0]
    p.tau, p.tau_step = cnp.PyArray_BYTES(tau), tau.strides[0]
    job.keep = (a, out, tau)
    if EXTENT_ON:
        p.sq, p.stau = span_of(out), span_of(tau)
    if p.m and p.n:
        _launch(job, 0)
    return out, tau


cdef _take_tau(_Job job, cnp.ndarray tau):
    cdef Plan* p = &job.p
    if (tau.ndim != 2 or tau.shape[0] != p.split.nbatch
            or _typenum(tau, "tau") != p.split.typenum):
        raise ValueError("qr kernel: tau must be (batch, k) of A's dtype")
    if tau.strides[0] % tau.itemsize or tau.strides[1] % tau.itemsize:
        raise ValueError("qr kernel: strides must be whole elements")
    p.t, p.t_step, p.tcs = cnp.PyArray_BYTES(tau), tau.strides[0], tau.strides[1] // tau.itemsize
    p.k = tau.shape[1]


def orgqr(cnp.ndarray a, cnp.ndarray tau, tiny=None):
    """householder_product of (batch, m, n) reflectors, m >= n, and (batch, k) tau, k <= n: a
    C-contiguous (batch, n, m) buffer holding the column-major result."""
    cdef _Job job = _plan(ORGQR, a, tiny)
    cdef Plan* p = &job.p
    _take_tau(job, tau)
    if not (p.m >= p.n >= p.k):
        raise ValueError("qr kernel: orgqr needs m >= n >= k")
    out = empty_as((p.split.nbatch, p.n, p.m), a.dtype)
    p.q, p.q_step = cnp.PyArray_BYTES(out), out.strides[0]
    job.keep = (a, tau, out)
    if EXTENT_ON:
        p.sq = span_of(out)
    if p.n:
        _launch(job, p.k)
    return out


def ormqr(cnp.ndarray a, cnp.ndarray tau, cnp.ndarray c, bint left, bint transpose):
    """op(Q) @ C (left) or C @ op(Q), Q = H_1 ... H_k from (batch, mq, nq) reflectors and
    (batch, k) tau, op = conjugate transpose if `transpose`: a C-contiguous (batch, nc, mc)
    buffer holding the column-major (mc, nc) result."""
    cdef _Job job = _plan(ORMQR, a)
    cdef Plan* p = &job.p
    _take_tau(job, tau)
    if _typenum(c, "C") != p.split.typenum or c.ndim != 3 or c.shape[0] != p.split.nbatch:
        raise ValueError("qr kernel: C must be (batch, rows, cols) of A's dtype")
    _strides(c, &p.b_step, &p.brs, &p.bcs, c.itemsize)
    _fits(c.shape[1])
    _fits(c.shape[2])
    p.mc, p.qc = c.shape[1], c.shape[2]
    if p.m != (p.mc if left else p.qc) or p.k > p.m or p.k > p.n:
        raise ValueError("qr kernel: ormqr shapes do not match")
    p.b = cnp.PyArray_BYTES(c)
    p.side = b"L"[0] if left else b"R"[0]
    p.trans = (b"C"[0] if p.split.typenum in (cnp.NPY_COMPLEX64, cnp.NPY_COMPLEX128) else b"T"[0]) \
        if transpose else b"N"[0]
    out = empty_as((p.split.nbatch, p.qc, p.mc), a.dtype)
    p.q, p.q_step = cnp.PyArray_BYTES(out), out.strides[0]
    job.keep = (a, tau, c, out)
    if EXTENT_ON:
        p.sq = span_of(out)
    if p.mc and p.qc:
        if p.k == 0:
            out[...] = c.swapaxes(1, 2)
        else:
            _launch(job, p.k + <Py_ssize_t>p.m * p.k)
    return out
