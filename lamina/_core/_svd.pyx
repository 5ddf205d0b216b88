# cython: language_level=3
"""Batched singular value decomposition: one-sided Jacobi for small real matrices, LAPACK ?gesdd
per matrix otherwise. `svd_batched` picks between them; both have the contract below.

Memory contract of `gesdd_batched(a, full_matrices, compute_uv)`: `a` is (*batch, m, n), one
dtype of float32/float64/complex64/complex128, any strides (zero and negative included); it is
only read. Each matrix is copied once, in column-major order, into a per-thread scratch buffer
(?gesdd destroys its input, so the copy is unavoidable) and decomposed there; the results land
directly in the outputs, allocated once per call:
  S   (*batch, k) real, descending, k = min(m, n), C-contiguous;
  U   (*batch, m, ucols), ucols = m (full) or k, returned as the transposed view of a
      C-contiguous (*batch, ucols, m) buffer: LAPACK writes it column-major, as PyTorch returns it;
  Vh  (*batch, vrows, n), vrows = n (full) or k, likewise a view of a (*batch, n, vrows) buffer;
  info (*batch,) int32: 0, or ?gesdd's info > 0 (the bidiagonal divide and conquer did not
      converge), or NONFINITE where the matrix holds a NaN or an infinity.
The finiteness check runs on the scratch copy before the call: ?gesdd never returns on such
input (its bidiagonal QR loops once a threshold turns NaN, KERNEL-FACTS.md), so that element is
not decomposed and gets NaN in S, U and Vh instead.
With compute_uv false only S and info are computed (?gesdd's jobz='N'), U and Vh are None.
Matrices with m = 0 or n = 0 never reach LAPACK: S is empty and U, Vh are identities (PyTorch's
result), built with NumPy.

Threads: the batch is split into one contiguous range per thread (lamina._core._threads), each a
`with nogil:` loop over matrices with its own scratch and ?gesdd workspace (queried once per
call). One matrix, or a batch too small to pay for waking a thread, runs on the calling thread,
with OpenBLAS's own threads at lamina's thread count for a large matrix.
"""

cimport numpy as cnp
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.limits cimport INT_MAX
from libc.math cimport copysign, fabs, frexp, ldexp, sqrt
from scipy.linalg.cython_lapack cimport cgesdd, dgesdd, sgesdd, zgesdd

from ._batch cimport Loops, Split, alloc_scratch, launch, pick_threads
from ._extent cimport EXTENT_ON, Span, check_mat, check_vec, span_at, span_of
from ._colmajor cimport INFO_NONFINITE, batch_offsets, copy_finite, fill_nan, real_t, round64
from ._lapack cimport c64, c128, lapack_t
from ._pool cimport empty_as
from ._team cimport run_team

import numpy as np

from . import _threads, _workspace

cnp.import_array()

NONFINITE = INFO_NONFINITE

# A batch whose estimated work is below PARALLEL_WORK stays on one thread. The estimate counts
# max(m, n) * k^2 per matrix plus CALL_COST for ?gesdd's fixed cost (its many sub-calls make even
# a 2x2 cost a few us). Measured serial vs 2 threads on this shared 2-core machine (heavily
# loaded, so a second thread often found no free core): up to ~2e5 units (64 8x8, 32 16x16,
# 128 4x4 matrices) 2 threads lost by 1.2-4x; at 2.6e5 units they were even (128 2x2).
cdef Py_ssize_t CALL_COST = 2000
cdef Py_ssize_t PARALLEL_WORK = 1 << 18

# One matrix at least this big (max(m, n) * k^2) runs with OpenBLAS threaded: its gemm calls
# inside ?gesdd pass OpenBLAS's own threading threshold.
cdef Py_ssize_t BLAS_THREADED_WORK = 1 << 21

# Real matrices up to JACOBI_UV (with U and Vh) or JACOBI_VALS (values only) rows and columns go
# to the one-sided Jacobi kernel below. Measured on a 2-core machine under heavy load (a second
# thread rarely found a free core), serial Jacobi vs ?gesdd, batches of ~2e5 matrix entries:
# with U, Vh Jacobi ran 0.7x ?gesdd's time at 8x8 to 12x12 and ~0.9x at 16x16; values only,
# 0.6x at 8x8, 0.9x at 10x10 and 1.9x at 12x12 (?gesdd's jobz='N' skips the vectors Jacobi
# cannot). JACOBI_MAX bounds the kernel itself (int indexing; a small-matrix method).
cdef Py_ssize_t JACOBI_UV = 12
cdef Py_ssize_t JACOBI_VALS = 10
cdef Py_ssize_t JACOBI_MAX = 64
cdef Py_ssize_t JACOBI_PARALLEL_WORK = 1 << 14


cdef struct Plan:
    Split split                       # scratch per thread: A, work, rwork, iwork
    int m, n, k, ucols, vrows, lwork, lrwork
    char jobz
    bint uv                           # U and Vh wanted
    char* a                           # the input's first matrix
    const cnp.npy_intp* offs          # byte offset of each matrix from `a`
    Py_ssize_t rs, cs                 # element strides of a matrix (any sign)
    char* s
    char* u
    char* vt
    int* info
    Py_ssize_t s_step, u_step, v_step  # bytes between output matrices
    Py_ssize_t work_at, rwork_at, iwork_at  # byte offsets inside a thread's scratch
    Span ss, su, svt                  # the output arrays' bytes (extent-checked builds only)


cdef inline void _gesdd(char* jobz, int* m, int* n, lapack_t* a, void* s, lapack_t* u,
                        int* ldu, lapack_t* vt, int* ldvt, lapack_t* work, int* lwork,
                        void* rwork, int* iwork, int* info) noexcept nogil:
    # S and rwork are real (float for c64, double for c128), hence untyped here.
    if lapack_t is float:
        sgesdd(jobz, m, n, a, m, <float*>s, u, ldu, vt, ldvt, work, lwork, iwork, info)
    elif lapack_t is double:
        dgesdd(jobz, m, n, a, m, <double*>s, u, ldu, vt, ldvt, work, lwork, iwork, info)
    elif lapack_t is c64:
        cgesdd(jobz, m, n, a, m, <float*>s, u, ldu, vt, ldvt, work, lwork, <float*>rwork,
               iwork, info)
    else:
        zgesdd(jobz, m, n, a, m, <double*>s, u, ldu, vt, ldvt, work, lwork, <double*>rwork,
               iwork, info)


cdef inline void _check_gesdd(Plan* p, char* scratch, const void* s, const lapack_t* u,
                              const lapack_t* vt) noexcept nogil:
    """The extents ?gesdd touches (_extent.h): A (m x n, lda m), work, rwork (complex) and
    iwork (8k ints) in the thread's scratch; s (k reals), U (m x ucols, ldu m) and VT (vrows x
    n, ldvt vrows) in the outputs, U and VT only when jobz asks for them."""
    cdef Span sscr = span_at(scratch, p.split.scratch_step)
    cdef Py_ssize_t real = sizeof(float) if lapack_t is float or lapack_t is c64 else sizeof(
        double)
    check_mat("?gesdd A", scratch, p.m, p.n, p.m, sizeof(lapack_t), sscr)
    check_vec("?gesdd s", s, p.k, 1, real, p.ss)
    check_vec("?gesdd work", scratch + p.work_at, p.lwork, 1, sizeof(lapack_t), sscr)
    if lapack_t is c64 or lapack_t is c128:
        check_vec("?gesdd rwork", scratch + p.rwork_at, p.lrwork, 1, real, sscr)
    check_vec("?gesdd iwork", scratch + p.iwork_at, 8 * p.k, 1, sizeof(int), sscr)
    if p.uv:
        check_mat("?gesdd U", u, p.m, p.ucols, p.m, sizeof(lapack_t), p.su)
        check_mat("?gesdd VT", vt, p.vrows, p.n, p.vrows, sizeof(lapack_t), p.svt)


cdef void _run(lapack_t* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi,
               char* scratch) noexcept nogil:
    """Matrices lo..hi-1 of the batch, with this thread's scratch."""
    cdef Plan* p = <Plan*>plan
    cdef lapack_t* a = <lapack_t*>scratch
    cdef lapack_t* work = <lapack_t*>(scratch + p.work_at)
    cdef void* rwork = scratch + p.rwork_at
    cdef int* iwork = <int*>(scratch + p.iwork_at)
    cdef Py_ssize_t i
    cdef int ldu = p.m, ldvt = p.vrows, lwork = p.lwork
    cdef lapack_t* u
    cdef lapack_t* vt
    cdef void* s
    for i in range(lo, hi):
        s = p.s + i * p.s_step
        u = <lapack_t*>(p.u + i * p.u_step) if p.uv else a
        vt = <lapack_t*>(p.vt + i * p.v_step) if p.uv else a
        if copy_finite(<lapack_t*>(p.a + p.offs[i]), a, p.m, p.n, p.rs, p.cs):
            _check_gesdd(p, scratch, s, u, vt)
            _gesdd(&p.jobz, &p.m, &p.n, a, s, u, &ldu, vt, &ldvt, work, &lwork, rwork, iwork,
                   &p.info[i])
            continue
        p.info[i] = INFO_NONFINITE
        if lapack_t is float or lapack_t is c64:
            fill_nan(<float*>s, p.k)
            if p.uv:
                fill_nan(<float*>u, <Py_ssize_t>p.m * p.ucols * (2 if lapack_t is c64 else 1))
                fill_nan(<float*>vt, <Py_ssize_t>p.n * p.vrows * (2 if lapack_t is c64 else 1))
        else:
            fill_nan(<double*>s, p.k)
            if p.uv:
                fill_nan(<double*>u, <Py_ssize_t>p.m * p.ucols * (2 if lapack_t is c128 else 1))
                fill_nan(<double*>vt, <Py_ssize_t>p.n * p.vrows * (2 if lapack_t is c128 else 1))


cdef Loops _LOOPS = Loops(_run[float], _run[double], _run[c64], _run[c128])


cdef class _Job:
    """A planned call: the arrays it keeps alive and the ranges each thread runs."""
    cdef Plan p
    cdef object keep


cdef int _query(Plan* p) except -1:
    """?gesdd's optimal lwork for this call's sizes (a workspace query touches no matrix)."""
    cdef double w[2]          # room for one complex double
    cdef int lwork = -1, info = 0, ldu = p.m, ldvt = p.vrows
    cdef int iw[1]
    cdef double rw[1]
    # a query writes work[0] only: `w` here, which holds one element of any of the four types
    check_vec("?gesdd work (query)", w, 1, 1, sizeof(w), span_at(w, sizeof(w)))
    if p.split.typenum == cnp.NPY_FLOAT32:
        _gesdd(&p.jobz, &p.m, &p.n, <float*>w, rw, <float*>w, &ldu, <float*>w, &ldvt,
               <float*>w, &lwork, rw, iw, &info)
        lwork = <int>((<float*>w)[0] * 1.0001) + 1   # float32 counts round down past 2^24
    elif p.split.typenum == cnp.NPY_FLOAT64:
        _gesdd(&p.jobz, &p.m, &p.n, <double*>w, rw, <double*>w, &ldu, <double*>w, &ldvt,
               <double*>w, &lwork, rw, iw, &info)
        lwork = <int>w[0]
    elif p.split.typenum == cnp.NPY_COMPLEX64:
        _gesdd(&p.jobz, &p.m, &p.n, <c64*>w, rw, <c64*>w, &ldu, <c64*>w, &ldvt,
               <c64*>w, &lwork, rw, iw, &info)
        lwork = <int>((<float*>w)[0] * 1.0001) + 1
    else:
        _gesdd(&p.jobz, &p.m, &p.n, <c128*>w, rw, <c128*>w, &ldu, <c128*>w, &ldvt,
               <c128*>w, &lwork, rw, iw, &info)
        lwork = <int>w[0]
    if info != 0:
        raise RuntimeError(f"gesdd workspace query failed (info {info})")
    return max(lwork, 1)


_REAL = {cnp.NPY_FLOAT32: np.float32, cnp.NPY_FLOAT64: np.float64,
         cnp.NPY_COMPLEX64: np.float32, cnp.NPY_COMPLEX128: np.float64}


def gesdd_batched(a, bint full_matrices=True, bint compute_uv=True):
    """(U, S, Vh, info) of the batched SVD of `a` (see the module docstring); U and Vh are None
    when compute_uv is false."""
    if not isinstance(a, np.ndarray) or a.ndim < 2 or cnp.PyArray_TYPE(a) not in _REAL:
        raise TypeError(f"gesdd kernel: unsupported argument {type(a).__name__}")
    if not cnp.PyArray_ISNOTSWAPPED(a) or any(st % a.itemsize for st in a.strides):
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))
    cdef int typenum = cnp.PyArray_TYPE(a)
    cdef Py_ssize_t m = a.shape[a.ndim - 2], n = a.shape[a.ndim - 1], k = min(m, n)
    if m * n > INT_MAX or max(m, n) * k > INT_MAX // 8:   # ?gesdd's own int workspace sizes
        raise ValueError(f"gesdd kernel: a {m}x{n} matrix is too large for LP64 LAPACK")
    batch = a.shape[:a.ndim - 2]
    cdef Py_ssize_t nbatch = int(np.prod(batch, dtype=np.intp))
    ucols, vrows = (m, n) if full_matrices else (k, k)
    s = empty_as(batch + (k,), _REAL[typenum])
    info = np.zeros(batch, dtype=np.int32)
    u = vt = None
    if compute_uv:
        u = empty_as(batch + (ucols, m), a.dtype)
        vt = empty_as(batch + (n, vrows), a.dtype)
    if nbatch == 0 or k == 0:
        if compute_uv:   # LAPACK leaves U, Vh unset; PyTorch's answer is the identity
            u[...] = np.eye(ucols, m, dtype=a.dtype)
            vt[...] = np.eye(n, vrows, dtype=a.dtype)
            return u.swapaxes(-1, -2), s, vt.swapaxes(-1, -2), info
        return None, s, None, info

    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    p.split.typenum = typenum
    p.m, p.n, p.k, p.ucols, p.vrows = m, n, k, ucols, vrows
    p.jobz = (b"A" if full_matrices else b"S")[0] if compute_uv else b"N"[0]
    p.uv = compute_uv
    offs = batch_offsets(a)
    p.a = cnp.PyArray_BYTES(a)
    p.offs = <const cnp.npy_intp*>cnp.PyArray_DATA(offs)
    p.rs, p.cs = a.strides[a.ndim - 2] // a.itemsize, a.strides[a.ndim - 1] // a.itemsize
    p.s, p.s_step = cnp.PyArray_BYTES(s), k * s.itemsize
    p.info = <int*>cnp.PyArray_DATA(info)
    p.u = p.vt = NULL
    p.u_step = p.v_step = 0
    if compute_uv:
        p.u, p.u_step = cnp.PyArray_BYTES(u), m * ucols * a.itemsize
        p.vt, p.v_step = cnp.PyArray_BYTES(vt), n * vrows * a.itemsize
    p.lwork = _query(p)
    # Complex ?gesdd's real workspace, LAPACK 3.7+'s bound.
    cdef Py_ssize_t mx = max(m, n), lrwork = 0
    if typenum in (cnp.NPY_COMPLEX64, cnp.NPY_COMPLEX128):
        lrwork = 7 * k if not compute_uv else max(5 * k * k + 5 * k, 2 * mx * k + 2 * k * k + k)
    p.work_at = round64(m * n * a.itemsize)
    p.rwork_at = p.work_at + round64(<Py_ssize_t>p.lwork * a.itemsize)
    p.iwork_at = p.rwork_at + round64(lrwork * s.itemsize)
    p.lrwork = lrwork
    if EXTENT_ON:
        p.ss = span_of(s)
        p.su, p.svt = (span_of(u), span_of(vt)) if compute_uv else (p.ss, p.ss)
    cdef Py_ssize_t scratch = p.iwork_at + round64(8 * k * sizeof(int))

    p.split.loops, p.split.nbatch = &_LOOPS, nbatch
    p.split.threads = pick_threads(_threads, nbatch, mx * k * k + CALL_COST, True, PARALLEL_WORK,
                                   PY_SSIZE_T_MAX)
    job.keep = (a, offs, s, u, vt, info, alloc_scratch(&p.split, scratch))
    _workspace.note("gesdd", p.split.threads, p.split.scratch_step)
    launch(&job.p, &job.p.split, mx * k * k >= BLAS_THREADED_WORK)
    if compute_uv:
        return u.swapaxes(-1, -2), s, vt.swapaxes(-1, -2), info
    return None, s, None, info


# -- one-sided Jacobi for small real matrices -----------------------------------------------------
#
# Memory contract of `jacobi_batched(a, full_matrices, compute_uv)`: the inputs and outputs of
# gesdd_batched (same shapes, dtypes, strides and info codes), for float32/float64 only. Each
# matrix is read once into a per-thread float64 scratch G (max(m, n) x min(m, n), column-major;
# A^T when m < n, so G is never wide; with U and Vh wanted, V's rows sit below G's in the same
# columns, so one loop rotates both), scaled by a power of two so that its largest entry is
# below 1 (no squared norm over- or underflows), and orthogonalised in place there; the outputs
# are written once from the scratch. No LAPACK call, so OpenBLAS's lock never serialises the
# threads, and float32 input is computed in float64.
#
# The method: Hestenes' one-sided Jacobi, G <- G J_1 J_2 ... over sweeps of all column pairs
# (p, q) in round-robin order, each rotation (Rutishauser's formula, Golub & Van Loan 8.6.3 / LAPACK's dgesvj) making
# g_p, g_q orthogonal, until a whole sweep finds every pair's cosine |g_p.g_q| / (|g_p| |g_q|)
# at most tol = sqrt(rows) * eps (dgesvj's CTOL). Then sigma_j = |g_j|, U = G / sigma,
# V = J_1 J_2 ..., and the singular values carry high relative accuracy (Demmel & Veselic 1992).
# Column norms are computed at the start of each sweep and updated by the rotation formula inside
# it (a' = a - t c, b' = b + t c), recomputed where that update cancels; a sweep without a
# rotation has therefore checked every pair against exact norms. MAX_SWEEPS stops a matrix
# whose scaled columns underflow (cond > ~1e150), not reached otherwise (convergence is
# asymptotically quadratic). Columns of U for (scaled) singular values below SMALL and the
# extra columns of a full U are completed by Gram-Schmidt, twice, against the unit vector the
# kept columns span least.

cdef int MAX_SWEEPS = 40
cdef double SMALL = 1e-150


cdef struct JPlan:
    int typenum
    int rows, cols, lcols              # G is rows x cols; the left vectors rows x lcols
    bint uv
    double tol
    char* a
    const cnp.npy_intp* offs
    Py_ssize_t grs, gcs                # G[i, j] = a[i * grs + j * gcs] (elements)
    char* s
    char* left                         # U (m >= n) or Vh (m < n): element [r, c] at r*lr + c*lc
    char* right                        # Vh (m >= n) or U (m < n)
    Py_ssize_t lr, lc, rr, rc
    Py_ssize_t s_step, left_step, right_step   # bytes between output matrices
    int* info
    const int* pairs                   # the column pairs of a sweep, in order
    int npairs
    char* scratch
    Py_ssize_t scratch_step, w_at, sig_at, idx_at
    Py_ssize_t nbatch, threads


cdef inline double _dot(const double* x, const double* y, int n) noexcept nogil:
    # Two partial sums halve the dependent chain of additions.
    cdef double s0 = 0, s1 = 0
    cdef int i
    for i in range(0, n - 1, 2):
        s0 += x[i] * y[i]
        s1 += x[i + 1] * y[i + 1]
    if n & 1:
        s0 += x[n - 1] * y[n - 1]
    return s0 + s1


cdef extern from *:
    # Two distinct columns: no aliasing, so gcc vectorises without a runtime overlap check.
    ctypedef double* column "double* __restrict__"


cdef inline void _rotate(column x, column y, int n, double c, double s) noexcept nogil:
    """(x, y) <- (c x - s y, s x + c y)."""
    cdef double xi, yi
    cdef int i
    for i in range(n):
        xi = x[i]
        yi = y[i]
        x[i] = c * xi - s * yi
        y[i] = s * xi + c * yi


cdef void _sweeps(double* g, double* nrm, const int* pairs, int npairs, int rows, int ld,
                  int cols, double tol) noexcept nogil:
    """Rotate the columns of g (ld x cols, column-major) until every pair of their first `rows`
    entries is orthogonal to `tol`; the rest of each column (V's rows, if any) rotates along."""
    cdef int sweep, i, p, q
    cdef bint rotated
    cdef double a, b, ab, c, zeta, t, cs, sn, tol2 = tol * tol
    for sweep in range(MAX_SWEEPS):
        rotated = False
        for p in range(cols):
            nrm[p] = _dot(g + p * ld, g + p * ld, rows)
        for i in range(npairs):
            p = pairs[2 * i]
            q = pairs[2 * i + 1]
            a = nrm[p]
            b = nrm[q]
            c = _dot(g + p * ld, g + q * ld, rows)
            # The cosine test, squared; where the product of two tiny norms may underflow, on
            # the roots instead (sqrt(a) * sqrt(b) keeps its range).
            ab = a * b
            if ab > 1e-250:
                if not c * c > tol2 * ab:
                    continue
            elif not fabs(c) > tol * (sqrt(a) * sqrt(b)):
                continue
            rotated = True
            # tan of the angle zeroing the pair's off-diagonal: the root of
            # t^2 + 2 zeta t - 1 = 0 of smaller magnitude (|angle| <= pi/4).
            zeta = (b - a) / (2 * c)
            if fabs(zeta) < 1e150:
                t = copysign(1.0, zeta) / (fabs(zeta) + sqrt(1 + zeta * zeta))
            else:
                t = 0.5 / zeta
            cs = 1 / sqrt(1 + t * t)
            sn = cs * t
            _rotate(g + p * ld, g + q * ld, ld, cs, sn)
            a = a - t * c
            b = b + t * c
            nrm[p] = a if a > 0.125 * nrm[p] else _dot(g + p * ld, g + p * ld, rows)
            nrm[q] = b if b > 0.125 * nrm[q] else _dot(g + q * ld, g + q * ld, rows)
        if not rotated:
            return


def _round_robin(int cols):
    """Every column pair once, as rounds of disjoint pairs (the round-robin tournament order):
    consecutive rotations then share no column, so the processor overlaps their dependent chains
    of divisions and square roots; the cyclic order's convergence is kept (Luk & Park 1989)."""
    players = list(range(cols + (cols & 1)))     # an odd count gets a bye, `cols` itself
    pairs = []
    for _ in range(len(players) - 1):
        half = len(players) // 2
        for p, q in zip(players[:half], reversed(players[half:])):
            if max(p, q) < cols:
                pairs += (min(p, q), max(p, q))
        players = players[:1] + players[-1:] + players[1:-1]
    return np.array(pairs, dtype=np.intc)


cdef void _complete(double* w, int rows, int cols, int* keep) noexcept nogil:
    """Fill the columns of w (rows x cols, column-major) not marked in `keep` with unit vectors
    orthogonal to the marked ones (orthonormal) and to each other."""
    cdef int c, v, i, best_i, rep
    cdef double r, best, d
    cdef double* x
    for c in range(cols):
        if keep[c]:
            continue
        # |e_i - P e_i|^2 = 1 - sum_v w[i, v]^2: the largest is >= (rows - kept) / rows.
        best = -1
        best_i = 0
        for i in range(rows):
            r = 1
            for v in range(cols):
                if keep[v]:
                    r -= w[i + v * rows] * w[i + v * rows]
            if r > best:
                best = r
                best_i = i
        x = w + c * rows
        for i in range(rows):
            x[i] = 0
        x[best_i] = 1
        for rep in range(2):
            for v in range(cols):
                if keep[v]:
                    d = _dot(w + v * rows, x, rows)
                    for i in range(rows):
                        x[i] -= d * w[i + v * rows]
        d = 1 / sqrt(_dot(x, x, rows))
        for i in range(rows):
            x[i] *= d
        keep[c] = 1


cdef void _jacobi_run(real_t* tag, JPlan* p, Py_ssize_t lo, Py_ssize_t hi,
                      char* scratch) noexcept nogil:
    """Matrices lo..hi-1 of the batch, with this thread's scratch."""
    cdef double* g = <double*>scratch   # [G; V], (rows + cols) x cols with V, else G alone
    cdef double* w = <double*>(scratch + p.w_at)
    cdef double* sig = <double*>(scratch + p.sig_at)
    cdef int* idx = <int*>(scratch + p.idx_at)
    cdef int* keep = idx + p.cols
    cdef int rows = p.rows, cols = p.cols, ld = p.rows + (p.cols if p.uv else 0), i, j, c, e
    cdef Py_ssize_t b
    cdef const real_t* src
    cdef real_t* s
    cdef real_t* left
    cdef real_t* right
    cdef double x, big, acc, scale, inv
    for b in range(lo, hi):
        src = <const real_t*>(p.a + p.offs[b])
        s = <real_t*>(p.s + b * p.s_step)
        left = <real_t*>(p.left + b * p.left_step)
        right = <real_t*>(p.right + b * p.right_step)
        big = 0
        acc = 0
        for j in range(cols):
            for i in range(rows):
                x = src[i * p.grs + j * p.gcs]
                g[i + j * ld] = x
                acc += x * 0          # NaN for NaN and infinities
                big = fabs(x) if fabs(x) > big else big
        if acc != 0:
            p.info[b] = INFO_NONFINITE
            fill_nan(s, cols)
            if p.uv:
                fill_nan(left, p.left_step // sizeof(real_t))
                fill_nan(right, p.right_step // sizeof(real_t))
            continue
        e = 0
        if big > 0:
            frexp(big, &e)
            scale = ldexp(1.0, -e)
            for j in range(cols):
                for i in range(rows):
                    g[i + j * ld] *= scale
        if p.uv:      # V starts as the identity below G and takes every rotation G takes
            for j in range(cols):
                for i in range(rows, ld):
                    g[i + j * ld] = 0
                g[rows + j + j * ld] = 1
        _sweeps(g, sig, p.pairs, p.npairs, rows, ld, cols, p.tol)
        # Singular values, then their order (insertion sort, descending; stable).
        for j in range(cols):
            x = _dot(g + j * ld, g + j * ld, rows)
            if x < 1e-280:    # its entries' squares may have underflowed: scale by 2^600
                x = 0
                for i in range(rows):
                    x += ldexp(g[i + j * ld], 600) ** 2
                x = ldexp(sqrt(x), -600)
            else:
                x = sqrt(x)
            sig[j] = x
            idx[j] = j
        for j in range(1, cols):
            c = idx[j]
            i = j
            while i > 0 and sig[idx[i - 1]] < sig[c]:
                idx[i] = idx[i - 1]
                i -= 1
            idx[i] = c
        for c in range(cols):
            s[c] = <real_t>ldexp(sig[idx[c]], e)
        if not p.uv:
            continue
        for c in range(p.lcols):
            keep[c] = 0
        for c in range(cols):
            j = idx[c]
            if sig[j] > SMALL:
                inv = 1 / sig[j]
                for i in range(rows):
                    w[i + c * rows] = g[i + j * ld] * inv
                keep[c] = 1
        _complete(w, rows, p.lcols, keep)
        for c in range(p.lcols):
            for i in range(rows):
                left[i * p.lr + c * p.lc] = <real_t>w[i + c * rows]
        for c in range(cols):
            j = idx[c]
            for i in range(cols):
                right[i * p.rr + c * p.rc] = <real_t>g[rows + i + j * ld]


cdef class _JacobiJob:
    """A planned Jacobi call: the arrays it keeps alive and the ranges each thread runs."""
    cdef JPlan p
    cdef object keep


cdef void _jacobi_range(void* plan, Py_ssize_t t) noexcept nogil:
    """Thread t's range of the JPlan `plan` (the team's task)."""
    cdef JPlan* p = <JPlan*>plan
    cdef Py_ssize_t lo = p.nbatch * t // p.threads, hi = p.nbatch * (t + 1) // p.threads
    cdef char* scratch = p.scratch + t * p.scratch_step
    if p.typenum == cnp.NPY_FLOAT32:
        _jacobi_run(<float*>NULL, p, lo, hi, scratch)
    else:
        _jacobi_run(<double*>NULL, p, lo, hi, scratch)


def jacobi_batched(a, bint full_matrices=True, bint compute_uv=True):
    """(U, S, Vh, info) of the batched SVD of a float32/float64 `a` by one-sided Jacobi (see
    above); U and Vh are None when compute_uv is false."""
    if (not isinstance(a, np.ndarray) or a.ndim < 2
            or cnp.PyArray_TYPE(a) not in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64)):
        raise TypeError(f"jacobi kernel: unsupported argument {type(a).__name__}")
    if not cnp.PyArray_ISNOTSWAPPED(a) or any(st % a.itemsize for st in a.strides):
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))
    cdef Py_ssize_t m = a.shape[a.ndim - 2], n = a.shape[a.ndim - 1], k = min(m, n)
    cdef Py_ssize_t mx = max(m, n)
    if mx > JACOBI_MAX:
        raise ValueError(f"jacobi kernel: a {m}x{n} matrix is past its limit {JACOBI_MAX}")
    batch = a.shape[:a.ndim - 2]
    cdef Py_ssize_t nbatch = int(np.prod(batch, dtype=np.intp))
    ucols, vrows = (m, n) if full_matrices else (k, k)
    s = empty_as(batch + (k,), a.dtype)
    info = np.zeros(batch, dtype=np.int32)
    u = vt = None
    if compute_uv:
        u = empty_as(batch + (ucols, m), a.dtype)
        vt = empty_as(batch + (n, vrows), a.dtype)
    if nbatch == 0 or k == 0:
        if compute_uv:
            u[...] = np.eye(ucols, m, dtype=a.dtype)
            vt[...] = np.eye(n, vrows, dtype=a.dtype)
            return u.swapaxes(-1, -2), s, vt.swapaxes(-1, -2), info
        return None, s, None, info

    cdef _JacobiJob job = _JacobiJob()
    cdef JPlan* p = &job.p
    cdef Py_ssize_t rs = a.strides[a.ndim - 2] // a.itemsize
    cdef Py_ssize_t cs = a.strides[a.ndim - 1] // a.itemsize
    cdef bint wide = m < n
    p.typenum = cnp.PyArray_TYPE(a)
    p.rows, p.cols = mx, k
    p.uv = compute_uv
    p.tol = sqrt(<double>mx) * np.finfo(a.dtype).eps / 2
    offs = batch_offsets(a)
    p.a = cnp.PyArray_BYTES(a)
    p.offs = <const cnp.npy_intp*>cnp.PyArray_DATA(offs)
    pairs = _round_robin(k)
    p.pairs, p.npairs = <const int*>cnp.PyArray_DATA(pairs), len(pairs) // 2
    p.grs, p.gcs = (cs, rs) if wide else (rs, cs)
    p.s, p.s_step = cnp.PyArray_BYTES(s), k * a.itemsize
    p.info = <int*>cnp.PyArray_DATA(info)
    p.left = p.right = NULL
    p.left_step = p.right_step = 0
    p.lcols = 0
    if compute_uv:
        # U[r, c] sits at u[r + c * m] and Vh[r, c] at vt[r + c * vrows] (column-major). The left
        # vectors of G are U's columns (m >= n) or Vh's rows (m < n, G = A^T), the right ones
        # the other factor's.
        if wide:
            p.left, p.lr, p.lc, p.lcols = cnp.PyArray_BYTES(vt), vrows, 1, vrows
            p.right, p.rr, p.rc = cnp.PyArray_BYTES(u), 1, m
            p.left_step, p.right_step = vt.nbytes // nbatch, u.nbytes // nbatch
        else:
            p.left, p.lr, p.lc, p.lcols = cnp.PyArray_BYTES(u), 1, m, ucols
            p.right, p.rr, p.rc = cnp.PyArray_BYTES(vt), vrows, 1
            p.left_step, p.right_step = u.nbytes // nbatch, vt.nbytes // nbatch
    p.w_at = round64((mx + k) * k * 8)
    p.sig_at = p.w_at + round64(mx * mx * 8)
    p.idx_at = p.sig_at + round64(k * 8)
    p.scratch_step = p.idx_at + round64((k + mx) * sizeof(int))
    # A rotation sweep costs ~ rows * cols^2 flops; below JACOBI_PARALLEL_WORK in all, waking a
    # team thread costs more than it saves.
    threads = min(_threads.get_num_threads(), nbatch)
    if nbatch * mx * k * k < JACOBI_PARALLEL_WORK and not _threads.split_every_batch:
        threads = 1
    p.nbatch, p.threads = nbatch, threads
    buf = np.empty(threads * p.scratch_step + 64, dtype=np.uint8)
    p.scratch = cnp.PyArray_BYTES(buf)
    p.scratch += (-<size_t>p.scratch) % 64
    _workspace.note("jacobi", threads, p.scratch_step)     # and 64 bytes to align the start
    job.keep = (a, offs, pairs, s, u, vt, info, buf)
    run_team(_jacobi_range, p, threads, False)
    if compute_uv:
        return u.swapaxes(-1, -2), s, vt.swapaxes(-1, -2), info
    return None, s, None, info


def svd_batched(a, bint full_matrices=True, bint compute_uv=True):
    """(U, S, Vh, info) of the batched SVD of `a`: small real matrices (JACOBI_UV, JACOBI_VALS)
    by one-sided Jacobi, the rest (complex ones included) by ?gesdd."""
    if (isinstance(a, np.ndarray) and a.ndim >= 2 and a.dtype.char in "fd"
            and max(a.shape[a.ndim - 2], a.shape[a.ndim - 1])
            <= (JACOBI_UV if compute_uv else JACOBI_VALS)):
        return jacobi_batched(a, full_matrices, compute_uv)
    return gesdd_batched(a, full_matrices, compute_uv)
