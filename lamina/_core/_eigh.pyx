# cython: language_level=3
"""Batched Hermitian eigendecomposition: LAPACK ?syevd/?heevd per matrix, batch split across
threads.

Layout contract of `eigh(a, vectors, lower)`: `a` is a 3-D (batch, n, n) array of one dtype of
float32/float64/complex64/complex128 with any strides (zero and negative included, in whole
elements); it is only read, and only its lower (`lower`) or upper triangle, diagonal included.
Outputs are new C-contiguous arrays: eigenvalues w (batch, n) of the real dtype, ascending;
eigenvectors (batch, n, n) whose ROWS are the eigenvectors (the caller returns the transposed
view, PyTorch's column-major layout); info (batch,) int32.

Transpose identity: the triangle is copied once, in C order, into the eigenvector output, which
Fortran reads as A^T, so the row-major lower triangle is LAPACK's upper one (uplo = 'U' for
'L'). A^T of a Hermitian matrix is conj(A), whose eigenvectors are the conjugates of A's: LAPACK
overwrites the buffer with them as Fortran columns, i.e. C rows, and one conjugating pass over
the buffer (complex types only) leaves A's eigenvectors in its rows. For eigenvalues alone the
triangle goes into a per-thread scratch instead. Workspace (work, rwork, iwork) is queried once
per call and allocated once per thread with NumPy.

Non-finite input: ?syevr returns wrong numbers and ?syevd fails to converge or returns garbage
on NaN/Inf (KERNEL-FACTS.md), so each matrix's triangle is checked while it is copied, and a
matrix holding NaN or Inf gets NaN eigenvalues and eigenvectors without a LAPACK call. 1x1
matrices need no LAPACK call: w = Re(a), v = 1 (for any a, as PyTorch gives). After the GIL
is released nothing can fail except LAPACK's convergence, reported per matrix in `info`.
"""

cimport numpy as cnp
from libc.limits cimport INT_MAX
from libc.math cimport NAN
from scipy.linalg.cython_lapack cimport cheevd, dsyevd, ssyevd, zheevd

from ._lapack cimport c64, c128, lapack_t

import numpy as np

from . import _threads

cnp.import_array()


# A batch whose total work (batch * n^3) is below PARALLEL_WORK stays on one thread: handing a
# range to a pool thread costs ~25-40 us here. ?syevd costs ~10-15 us per 8x8 matrix (measured),
# so 2^16 (128 8x8 matrices, ~1.5 ms) keeps the hand-off under a few percent. Measured 1 vs 2
# threads on large batches (loaded 2-core machine, medians): 4x4 172 vs 164 ms, 8x8 62 vs 72,
# 16x16 30 vs 27, 32x32 14 vs 15: OpenBLAS's LAPACK path barely scales (KERNEL-FACTS.md).
cdef Py_ssize_t PARALLEL_WORK = 1 << 16

# One matrix this large (n^3) runs with OpenBLAS threaded at lamina's thread count.
cdef Py_ssize_t BLAS_THREADED_WORK = 1 << 21


cdef struct Plan:
    int typenum
    int n
    bint vectors
    char uplo                 # LAPACK's: 'U' for the row-major lower triangle
    bint lower
    char* a
    Py_ssize_t a_step, ars, acs
    char* w
    char* v
    char* info
    char* work                # per thread: lwork, lrwork (real), liwork (int), scratch
    Py_ssize_t work_step, rwork_off, iwork_off, scratch_off
    int lwork, lrwork, liwork
    Py_ssize_t nbatch, threads


cdef inline void _syevd(char* jobz, char* uplo, int* n, lapack_t* a, int* lda, void* w,
                        lapack_t* work, int* lwork, void* rwork, int* lrwork, int* iwork,
                        int* liwork, int* info) noexcept nogil:
    if lapack_t is float:
        ssyevd(jobz, uplo, n, a, lda, <float*>w, work, lwork, iwork, liwork, info)
    elif lapack_t is double:
        dsyevd(jobz, uplo, n, a, lda, <double*>w, work, lwork, iwork, liwork, info)
    elif lapack_t is c64:
        cheevd(jobz, uplo, n, a, lda, <float*>w, work, lwork, <float*>rwork, lrwork, iwork,
               liwork, info)
    else:
        zheevd(jobz, uplo, n, a, lda, <double*>w, work, lwork, <double*>rwork, lrwork, iwork,
               liwork, info)


cdef inline bint _load(const lapack_t* src, Py_ssize_t rs, Py_ssize_t cs, int n, bint lower,
                       lapack_t* dst) noexcept nogil:
    """Copy the lower (or upper) triangle of the strided matrix to the same places of the C-order
    dst; True if every copied value is finite (x * 0 is 0 for finite x, NaN for NaN and Inf)."""
    cdef int i, j, lo, hi
    cdef lapack_t x
    cdef double s = 0
    for i in range(n):
        lo = 0 if lower else i
        hi = i + 1 if lower else n
        for j in range(lo, hi):
            x = src[i * rs + j * cs]
            dst[<Py_ssize_t>i * n + j] = x
            if lapack_t is c64 or lapack_t is c128:
                s += x.real * 0 + x.imag * 0
            else:
                s += x * 0
    return s == 0


cdef inline void _write_real(void* w, Py_ssize_t i, double x, bint single) noexcept nogil:
    if single:
        (<float*>w)[i] = <float>x
    else:
        (<double*>w)[i] = x


cdef void _one(lapack_t* tag, Plan* p, Py_ssize_t b, char* work) noexcept nogil:
    cdef int n = p.n, info = 0, i
    cdef bint single = lapack_t is float or lapack_t is c64
    cdef Py_ssize_t wsize = 4 if single else 8
    cdef void* w = p.w + b * n * wsize
    cdef lapack_t* a = <lapack_t*>(p.a + b * p.a_step)
    cdef lapack_t* v = (<lapack_t*>p.v + b * n * n) if p.vectors else \
        <lapack_t*>(work + p.scratch_off)
    cdef Py_ssize_t nn = <Py_ssize_t>n * n
    cdef char jobz = b"V"[0] if p.vectors else b"N"[0]
    if n == 1:
        if lapack_t is c64 or lapack_t is c128:
            _write_real(w, 0, a[0].real, single)
        else:
            _write_real(w, 0, a[0], single)
        v[0] = 1
    elif not _load(a, p.ars, p.acs, n, p.lower, v):
        for i in range(n):
            _write_real(w, i, NAN, single)
        if p.vectors:
            for i in range(nn):
                v[i] = NAN
    else:
        _syevd(&jobz, &p.uplo, &n, v, &n, w, <lapack_t*>work, &p.lwork, work + p.rwork_off,
               &p.lrwork, <int*>(work + p.iwork_off), &p.liwork, &info)
        if lapack_t is c64 or lapack_t is c128:
            if p.vectors:
                for i in range(nn):
                    v[i] = v[i].conjugate()
    (<int*>p.info)[b] = info


cdef void _run(lapack_t* tag, Plan* p, Py_ssize_t lo, Py_ssize_t hi, char* work) noexcept nogil:
    cdef Py_ssize_t b
    for b in range(lo, hi):
        _one(tag, p, b, work)


cdef class _Job:
    """A planned call: the arrays it keeps alive and the ranges each thread runs."""
    cdef Plan p
    cdef object keep

    def run(self, Py_ssize_t t):
        cdef Py_ssize_t lo = self.p.nbatch * t // self.p.threads
        cdef Py_ssize_t hi = self.p.nbatch * (t + 1) // self.p.threads
        cdef char* work = self.p.work + t * self.p.work_step
        cdef int typenum = self.p.typenum
        with nogil:
            if typenum == cnp.NPY_FLOAT32:
                _run(<float*>NULL, &self.p, lo, hi, work)
            elif typenum == cnp.NPY_FLOAT64:
                _run(<double*>NULL, &self.p, lo, hi, work)
            elif typenum == cnp.NPY_COMPLEX64:
                _run(<c64*>NULL, &self.p, lo, hi, work)
            else:
                _run(<c128*>NULL, &self.p, lo, hi, work)


cdef void _query(lapack_t* tag, Plan* p) noexcept:
    """lwork, lrwork, liwork for this plan's n and jobz (lwork = -1 queries, no data read)."""
    cdef lapack_t dummy[2]
    cdef lapack_t size = 0
    cdef double rdummy[2]
    cdef double rsize[2]
    cdef int isize = 0, q = -1, info = 0, n = p.n
    cdef char jobz = b"V"[0] if p.vectors else b"N"[0]
    rsize[0] = 0
    _syevd(&jobz, &p.uplo, &n, dummy, &n, rdummy, &size, &q, rsize, &q, &isize, &q, &info)
    if lapack_t is c64:
        p.lwork = <int>size.real
        p.lrwork = <int>(<float*>rsize)[0]
    elif lapack_t is c128:
        p.lwork = <int>size.real
        p.lrwork = <int>rsize[0]
    else:
        p.lwork = <int>size
        p.lrwork = 0
    p.liwork = isize
    p.lwork, p.lrwork, p.liwork = max(p.lwork, 1), max(p.lrwork, 1), max(p.liwork, 1)


_TYPES = {cnp.NPY_FLOAT32, cnp.NPY_FLOAT64, cnp.NPY_COMPLEX64, cnp.NPY_COMPLEX128}


def _up(Py_ssize_t nbytes):
    return (nbytes + 63) // 64 * 64


def eigh(cnp.ndarray a, bint vectors, bint lower):
    """Eigenvalues (and eigenvectors) of the Hermitian matrices whose lower (`lower`) or upper
    triangle `a` (batch, n, n) holds: (w, v, info), v None without vectors; see the module
    docstring for layouts."""
    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    cdef int typenum = cnp.PyArray_TYPE(a)
    if typenum not in _TYPES or not cnp.PyArray_ISNOTSWAPPED(a):
        raise TypeError(f"eigh kernel: unsupported dtype {a.dtype}")
    if a.ndim != 3 or a.shape[1] != a.shape[2]:
        raise ValueError("eigh kernel: expected a (batch, n, n) array")
    cdef Py_ssize_t item = a.itemsize, n = a.shape[1], nbatch = a.shape[0]
    cdef cnp.npy_intp* st = cnp.PyArray_STRIDES(a)
    if st[1] % item or st[2] % item:
        raise ValueError("eigh kernel: strides must be whole elements")
    if n > INT_MAX or n * n > INT_MAX:
        raise ValueError(f"eigh kernel: size {n} passes LAPACK's 32-bit integer range")
    p.typenum, p.n, p.vectors, p.lower, p.nbatch = typenum, n, vectors, lower, nbatch
    p.uplo = b"U"[0] if lower else b"L"[0]
    p.a, p.a_step, p.ars, p.acs = cnp.PyArray_BYTES(a), st[0], st[1] // item, st[2] // item
    real = np.float32 if typenum in (cnp.NPY_FLOAT32, cnp.NPY_COMPLEX64) else np.float64
    w = np.empty((nbatch, n), dtype=real)
    v = np.empty((nbatch, n, n), dtype=a.dtype) if vectors else None
    info = np.zeros(nbatch, dtype=np.int32)
    p.w, p.info = cnp.PyArray_BYTES(w), cnp.PyArray_BYTES(info)
    p.v = cnp.PyArray_BYTES(v) if vectors else NULL
    if nbatch == 0 or n == 0:
        return w, v, info
    if typenum == cnp.NPY_FLOAT32:
        _query(<float*>NULL, p)
    elif typenum == cnp.NPY_FLOAT64:
        _query(<double*>NULL, p)
    elif typenum == cnp.NPY_COMPLEX64:
        _query(<c64*>NULL, p)
    else:
        _query(<c128*>NULL, p)
    cdef Py_ssize_t rsize = item // 2 if typenum in (cnp.NPY_COMPLEX64, cnp.NPY_COMPLEX128) \
        else item
    p.rwork_off = _up(p.lwork * item)
    p.iwork_off = p.rwork_off + _up(p.lrwork * rsize)
    p.scratch_off = p.iwork_off + _up(p.liwork * sizeof(int))
    p.work_step = p.scratch_off + (0 if vectors else _up(n * n * item))
    cdef Py_ssize_t work = n * n * n
    cdef Py_ssize_t threads = min(_threads.get_num_threads(), nbatch)
    if threads > 1 and (not _threads.BLAS_CONTROL or work * nbatch < PARALLEL_WORK
                        or (work >= BLAS_THREADED_WORK and nbatch < 4 * threads)):
        threads = 1
    p.threads = threads
    buf = np.empty(threads * p.work_step, dtype=np.uint8)
    p.work = cnp.PyArray_BYTES(buf)
    job.keep = (a, w, v, info, buf)
    if threads == 1:
        limited = work >= BLAS_THREADED_WORK and _threads.limit_blas(_threads.get_num_threads())
        try:
            job.run(0)
        finally:
            if limited:
                _threads.unlimit_blas()
    else:
        _threads.run_parallel(job.run, threads)
    return w, v, info
