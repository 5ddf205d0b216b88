# cython: language_level=3
"""Batched singular value decomposition: LAPACK ?gesdd per matrix.

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
from libc.limits cimport INT_MAX
from scipy.linalg.cython_lapack cimport cgesdd, dgesdd, sgesdd, zgesdd

from ._colmajor cimport (
    INFO_NONFINITE, batch_offsets, copy_finite, fill_nan, round64, run_threads)
from ._lapack cimport c64, c128, lapack_t

import numpy as np

from . import _threads

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


cdef struct Plan:
    int typenum
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
    char* scratch
    Py_ssize_t scratch_step           # bytes per thread
    Py_ssize_t work_at, rwork_at, iwork_at  # byte offsets inside a thread's scratch
    Py_ssize_t nbatch, threads        # thread t runs nbatch * t // threads onwards


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


cdef void _run(lapack_t* tag, Plan* p, Py_ssize_t lo, Py_ssize_t hi,
               char* scratch) noexcept nogil:
    """Matrices lo..hi-1 of the batch, with this thread's scratch."""
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


cdef class _Job:
    """A planned call: the arrays it keeps alive and the ranges each thread runs."""
    cdef Plan p
    cdef object keep

    def run(self, Py_ssize_t t):
        cdef Py_ssize_t lo = self.p.nbatch * t // self.p.threads
        cdef Py_ssize_t hi = self.p.nbatch * (t + 1) // self.p.threads
        cdef char* scratch = self.p.scratch + t * self.p.scratch_step
        cdef int typenum = self.p.typenum
        with nogil:
            if typenum == cnp.NPY_FLOAT32:
                _run(<float*>NULL, &self.p, lo, hi, scratch)
            elif typenum == cnp.NPY_FLOAT64:
                _run(<double*>NULL, &self.p, lo, hi, scratch)
            elif typenum == cnp.NPY_COMPLEX64:
                _run(<c64*>NULL, &self.p, lo, hi, scratch)
            else:
                _run(<c128*>NULL, &self.p, lo, hi, scratch)


cdef int _query(Plan* p) except -1:
    """?gesdd's optimal lwork for this call's sizes (a workspace query touches no matrix)."""
    cdef double w[2]          # room for one complex double
    cdef int lwork = -1, info = 0, ldu = p.m, ldvt = p.vrows
    cdef int iw[1]
    cdef double rw[1]
    if p.typenum == cnp.NPY_FLOAT32:
        _gesdd(&p.jobz, &p.m, &p.n, <float*>w, rw, <float*>w, &ldu, <float*>w, &ldvt,
               <float*>w, &lwork, rw, iw, &info)
        lwork = <int>((<float*>w)[0] * 1.0001) + 1   # float32 counts round down past 2^24
    elif p.typenum == cnp.NPY_FLOAT64:
        _gesdd(&p.jobz, &p.m, &p.n, <double*>w, rw, <double*>w, &ldu, <double*>w, &ldvt,
               <double*>w, &lwork, rw, iw, &info)
        lwork = <int>w[0]
    elif p.typenum == cnp.NPY_COMPLEX64:
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
    s = np.empty(batch + (k,), dtype=_REAL[typenum])
    info = np.zeros(batch, dtype=np.int32)
    u = vt = None
    if compute_uv:
        u = np.empty(batch + (ucols, m), dtype=a.dtype)
        vt = np.empty(batch + (n, vrows), dtype=a.dtype)
    if nbatch == 0 or k == 0:
        if compute_uv:   # LAPACK leaves U, Vh unset; PyTorch's answer is the identity
            u[...] = np.eye(ucols, m, dtype=a.dtype)
            vt[...] = np.eye(n, vrows, dtype=a.dtype)
            return u.swapaxes(-1, -2), s, vt.swapaxes(-1, -2), info
        return None, s, None, info

    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    p.typenum = typenum
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
    p.scratch_step = p.iwork_at + round64(8 * k * sizeof(int))

    cdef Py_ssize_t work = nbatch * (mx * k * k + CALL_COST)
    threads = min(_threads.get_num_threads(), nbatch)
    if not _threads.BLAS_CONTROL or work < PARALLEL_WORK:
        threads = 1
    p.nbatch, p.threads = nbatch, threads
    buf = np.empty(threads * p.scratch_step + 64, dtype=np.uint8)
    p.scratch = cnp.PyArray_BYTES(buf)
    p.scratch += (-<size_t>p.scratch) % 64        # a cache line apart
    job.keep = (a, offs, s, u, vt, info, buf)
    run_threads(job.run, threads, mx * k * k >= BLAS_THREADED_WORK)
    if compute_uv:
        return u.swapaxes(-1, -2), s, vt.swapaxes(-1, -2), info
    return None, s, None, info
