# cython: language_level=3
"""Batched matrix products: BLAS ?gemm/?gemv/?dot per matrix, or plain loops for tiny matrices.

Memory contract of `matmul(a, b)`: `a` is (*batch_a, m, k) and `b` (*batch_b, k, n), one dtype
of float32/float64/complex64/complex128, batch dims broadcasting as in matmul, any strides
(zero and negative included). Both are only read. The result is a new C-contiguous
(*batch, m, n) array, every element written once. Nothing else is written except a per-thread
scratch buffer, allocated once per call.

Row-major meets column-major BLAS through the transpose identity: a C-ordered (m, n) block is
the Fortran-ordered transpose, so C = A @ B is computed as C^T = B^T A^T, and an operand stored
transposed (unit row stride) goes in with trans='T' instead of being copied. Only layouts BLAS
cannot address (no unit stride in either matrix dim, negative or zero strides, a leading
dimension past 2^31-1 for LP64 OpenBLAS) are copied, one matrix at a time, into the scratch.
Tiny matrices skip BLAS: their loops read any strides directly, so they never copy.

Threads: the batch is split into one contiguous range per thread (lamina._core._threads); each
range is a `with nogil:` loop, and every check happens before it, so the loop cannot fail.
"""

cimport numpy as cnp
from libc.limits cimport INT_MAX
from libc.string cimport memset
from scipy.linalg.cython_blas cimport (
    cdotu, cgemm, cgemv, ddot, dgemm, dgemv, sdot, sgemm, sgemv, zdotu, zgemm, zgemv)

from ._batch cimport (
    MAXDIM, Cursor, Dims, Loops, Split, advance, alloc_scratch, broadcast, launch, pick_threads,
    seek)
from ._lapack cimport c64, c128
from ._lapack cimport lapack_t as blas_t
from ._cpu cimport simd_level
from ._extent cimport EXTENT_ON, Span, check_mat, check_vec, span_at, span_of
from ._pool cimport empty


cdef extern from "_simd_gemm.h" nogil:
    ctypedef void (*lm_square_f)(const float*, const float*, float*, Py_ssize_t, Py_ssize_t)
    ctypedef void (*lm_square_d)(const double*, const double*, double*, Py_ssize_t, Py_ssize_t)
    int lm_square_slot(Py_ssize_t n)
    lm_square_f lm_square_float(int slot, int level, int stream)
    lm_square_d lm_square_double(int slot, int level, int stream)
    void lm_fence()

import numpy as np

from . import _threads, _workspace

cnp.import_array()


cdef enum:
    ROW = 0              # element (i, j) at i * ld + j: BLAS sees the transpose, trans='N'
    COL = 1              # element (i, j) at i + j * ld: BLAS sees the matrix, trans='T'
    COPY = 2             # not addressable: copied row-major into the scratch first

# Products with every dim <= TINY and at most TINY_WORK multiply-adds take the loops below
# instead of a BLAS call. Measured per float64 matrix, one thread (medians, noisy shared 2-core
# machine): 4x4 loops 26-31 ns vs dgemm 100 ns (its fixed cost per call dominates), 6x6 125 vs
# 144 ns, 8x8 196-230 vs 175-197 ns, so squares stop at 6^3 multiply-adds; thin shapes such as
# a length-8 dot or an 8x3 @ 3x8 stay below that bound and also skip the call.
cdef enum:
    TINY = 8
    TINY_WORK = 216

# A batch whose total multiply-adds (batch * m * n * k) are below PARALLEL_WORK stays on one
# thread. Waking a team thread costs up to 40-140 us here when it sleeps (~3 us when a previous
# region left it polling, _team.h); measured with the Python pool before it, serial vs 2
# threads: 4096 4x4 products (2^18 multiply-adds) 157 vs 331 us, 16384 (2^20) 729 vs 404 us; 256
# 16x16 products (2^20) 190 vs 196 us, 1024 (2^22) 797 vs 658.
cdef Py_ssize_t PARALLEL_WORK = 1 << 20

# OpenBLAS threads one gemm only when m * n * k >= 65536 * 4 (SMP_THRESHOLD_MIN times
# GEMM_MULTITHREAD_THRESHOLD in its interface/gemm.c): below that a product is single-threaded
# whatever the thread setting, so no thread count is changed for it.
cdef Py_ssize_t BLAS_THREADED_WORK = 1 << 18


cdef struct Plan:
    Split split
    Dims dims
    int m, n, k
    char* a
    char* b
    char* c
    Py_ssize_t c_step                         # bytes between output matrices
    Py_ssize_t ars, acs, brs, bcs             # matrix strides in elements
    int amode, bmode, lda, ldb
    bint tiny
    void* square                              # an lm_square_f/_d kernel, or NULL
    Span sa, sb, sc                           # the arrays' bytes (extent-checked builds only)


cdef int _layout(Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t rs, Py_ssize_t cs,
                 int* ld) noexcept:
    """How BLAS can address a (rows, cols) matrix with element strides (rs, cs); sets `ld`."""
    cdef Py_ssize_t lead
    if (cols == 1 or cs == 1) and (rows == 1 or rs >= max(1, cols)):
        lead = rs if rows > 1 else max(1, cols)
        if lead <= INT_MAX:
            ld[0] = <int>lead
            return ROW
    if (rows == 1 or rs == 1) and (cols == 1 or cs >= max(1, rows)):
        lead = cs if cols > 1 else max(1, rows)
        if lead <= INT_MAX:
            ld[0] = <int>lead
            return COL
    ld[0] = <int>max(1, cols)
    return COPY


# -- tiny matrices ------------------------------------------------------------------------------

cdef inline void _tiny(const blas_t* a, const blas_t* b, blas_t* c, int m, int n, int k,
                       Py_ssize_t ars, Py_ssize_t acs, Py_ssize_t brs,
                       Py_ssize_t bcs) noexcept nogil:
    # Row i of C accumulates A[i, l] * B[l, :] in registers: with n and the strides constant
    # at the call site (see _tiny_any) the inner loop vectorises over a row of B.
    cdef blas_t acc[TINY]
    cdef blas_t x
    cdef int i, j, l
    for i in range(m):
        for j in range(n):
            acc[j] = 0
        for l in range(k):
            x = a[i * ars + l * acs]
            for j in range(n):
                acc[j] = acc[j] + x * b[l * brs + j * bcs]
        for j in range(n):
            c[i * n + j] = acc[j]


cdef inline void _tiny_any(const blas_t* a, const blas_t* b, blas_t* c, Plan* p) noexcept nogil:
    # Small complex squares with unit column strides get their size as a constant, so the
    # compiler unrolls them (real squares take the _simd_gemm.h kernels); everything else runs the
    # same loops with runtime sizes.
    cdef int n = p.n
    if p.acs == 1 and p.bcs == 1 and p.m == n and p.k == n:
        if n == 2:
            _tiny(a, b, c, 2, 2, 2, p.ars, 1, p.brs, 1)
        elif n == 3:
            _tiny(a, b, c, 3, 3, 3, p.ars, 1, p.brs, 1)
        elif n == 4:
            _tiny(a, b, c, 4, 4, 4, p.ars, 1, p.brs, 1)
        else:
            _tiny(a, b, c, n, n, n, p.ars, 1, p.brs, 1)
    elif p.bcs == 1:
        _tiny(a, b, c, p.m, n, p.k, p.ars, p.acs, p.brs, 1)
    else:
        _tiny(a, b, c, p.m, n, p.k, p.ars, p.acs, p.brs, p.bcs)


# -- BLAS ---------------------------------------------------------------------------------------

cdef inline void _copy(const blas_t* src, blas_t* dst, int rows, int cols, Py_ssize_t rs,
                       Py_ssize_t cs) noexcept nogil:
    cdef int i, j
    for i in range(rows):
        for j in range(cols):
            dst[<Py_ssize_t>i * cols + j] = src[i * rs + j * cs]


cdef inline void _gemm(char* ta, char* tb, int* m, int* n, int* k, blas_t* alpha, blas_t* a,
                       int* lda, blas_t* b, int* ldb, blas_t* beta, blas_t* c,
                       int* ldc) noexcept nogil:
    if blas_t is float:
        sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    elif blas_t is double:
        dgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    elif blas_t is c64:
        cgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    else:
        zgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)


cdef inline void _gemv(char* t, int* m, int* n, blas_t* alpha, blas_t* a, int* lda, blas_t* x,
                       int* incx, blas_t* beta, blas_t* y, int* incy) noexcept nogil:
    if blas_t is float:
        sgemv(t, m, n, alpha, a, lda, x, incx, beta, y, incy)
    elif blas_t is double:
        dgemv(t, m, n, alpha, a, lda, x, incx, beta, y, incy)
    elif blas_t is c64:
        cgemv(t, m, n, alpha, a, lda, x, incx, beta, y, incy)
    else:
        zgemv(t, m, n, alpha, a, lda, x, incx, beta, y, incy)


cdef inline blas_t _dot(int* n, blas_t* x, int* incx, blas_t* y, int* incy) noexcept nogil:
    if blas_t is float:
        return sdot(n, x, incx, y, incy)
    elif blas_t is double:
        return ddot(n, x, incx, y, incy)
    elif blas_t is c64:
        return cdotu(n, x, incx, y, incy)
    else:
        return zdotu(n, x, incx, y, incy)


cdef inline void _check_gemv(bint t, int m, int n, const blas_t* a, int lda, Span sa,
                             const blas_t* x, int incx, Span sx, const blas_t* y,
                             Span sy) noexcept nogil:
    """The extents ?gemv(t ? 'T' : 'N', m, n, a, lda, x, incx, y, 1) touches (_extent.h)."""
    check_mat("?gemv A", a, m, n, lda, sizeof(blas_t), sa)
    check_vec("?gemv x", x, m if t else n, incx, sizeof(blas_t), sx)
    check_vec("?gemv y", y, n if t else m, 1, sizeof(blas_t), sy)


cdef inline void _product(blas_t* a, blas_t* b, blas_t* c, Plan* p,
                          blas_t* scratch) noexcept nogil:
    """One C = A @ B through BLAS; m, n, k >= 1 (the caller handles k = 0)."""
    cdef int m = p.m, n = p.n, k = p.k, lda = p.lda, ldb = p.ldb, inca, incb, one = 1
    cdef int amode = p.amode, bmode = p.bmode
    cdef blas_t alpha = 1, beta = 0
    cdef char* ta
    cdef char* tb
    cdef Span sa = p.sa, sb = p.sb, ss = span_at(scratch, p.split.scratch_step)
    if amode == COPY:
        _copy(a, scratch, m, k, p.ars, p.acs)
        a, amode, sa = scratch, ROW, ss
        scratch += <Py_ssize_t>m * k
    if bmode == COPY:
        _copy(b, scratch, k, n, p.brs, p.bcs)
        b, bmode, sb = scratch, ROW, ss
    # A row of A is a vector with increment 1 (ROW) or ld (COL); a column of B the other way.
    inca = 1 if amode == ROW else lda
    incb = ldb if bmode == ROW else 1
    if m == 1 and n == 1:
        check_vec("?dot x", a, k, inca, sizeof(blas_t), sa)
        check_vec("?dot y", b, k, incb, sizeof(blas_t), sb)
        c[0] = _dot(&k, a, &inca, b, &incb)
    elif n == 1:
        if amode == ROW:
            _check_gemv(True, k, m, a, lda, sa, b, incb, sb, c, p.sc)
            _gemv(b"T", &k, &m, &alpha, a, &lda, b, &incb, &beta, c, &one)
        else:
            _check_gemv(False, m, k, a, lda, sa, b, incb, sb, c, p.sc)
            _gemv(b"N", &m, &k, &alpha, a, &lda, b, &incb, &beta, c, &one)
    elif m == 1:
        if bmode == ROW:
            _check_gemv(False, n, k, b, ldb, sb, a, inca, sa, c, p.sc)
            _gemv(b"N", &n, &k, &alpha, b, &ldb, a, &inca, &beta, c, &one)
        else:
            _check_gemv(True, k, n, b, ldb, sb, a, inca, sa, c, p.sc)
            _gemv(b"T", &k, &n, &alpha, b, &ldb, a, &inca, &beta, c, &one)
    else:
        ta = b"N" if amode == ROW else b"T"
        tb = b"N" if bmode == ROW else b"T"
        # C^T (n x m) = op(B^T) op(A^T): B^T stored n x k ('N') or k x n, A^T k x m or m x k
        check_mat("?gemm A", b, n if bmode == ROW else k, k if bmode == ROW else n, ldb,
                  sizeof(blas_t), sb)
        check_mat("?gemm B", a, k if amode == ROW else m, m if amode == ROW else k, lda,
                  sizeof(blas_t), sa)
        check_mat("?gemm C", c, n, m, n, sizeof(blas_t), p.sc)
        _gemm(tb, ta, &n, &m, &k, &alpha, b, &ldb, a, &lda, &beta, c, &n)


cdef void _run(blas_t* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi,
               char* scratch) noexcept nogil:
    """Products lo..hi-1 of the batch (in C order over the merged batch dims)."""
    cdef Plan* p = <Plan*>plan
    cdef Cursor at
    cdef Py_ssize_t i, oa, ob
    cdef blas_t* c
    seek(&p.dims, &at, lo, &oa, &ob)
    for i in range(lo, hi):
        c = <blas_t*>(p.c + i * p.c_step)
        if blas_t is float and p.square != NULL:
            (<lm_square_f>p.square)(<float*>(p.a + oa), <float*>(p.b + ob), c, p.ars, p.brs)
        elif blas_t is double and p.square != NULL:
            (<lm_square_d>p.square)(<double*>(p.a + oa), <double*>(p.b + ob), c, p.ars, p.brs)
        elif p.tiny:
            _tiny_any(<blas_t*>(p.a + oa), <blas_t*>(p.b + ob), c, p)
        elif p.k == 0:
            memset(c, 0, p.c_step)
        else:
            _product(<blas_t*>(p.a + oa), <blas_t*>(p.b + ob), c, p, <blas_t*>scratch)
        advance(&p.dims, &at, &oa, &ob)
    if p.square != NULL:
        lm_fence()          # non-temporal stores are visible to the joining thread after it


cdef Loops _LOOPS = Loops(_run[float], _run[double], _run[c64], _run[c128])


cdef class _Job:
    """A planned call: the arrays it keeps alive and the ranges each thread runs."""
    cdef Plan p
    cdef object keep


# Square real products of n = 2, 3, 4, 8, 16 with unit column strides take the _simd_gemm.h
# kernels built for the CPU's instruction set rather than a BLAS call or the loops above. A
# result of at least STREAM_BYTES is written with non-temporal stores (see _simd_gemm.h).
# Measured with 2 threads on an AVX-512 host (output pool on), medians: 20000x16x16 float64 7.3 ms at the baseline
# level, 4.9 AVX2, 3.1 AVX-512 (NumPy 13.0; the loops of _tiny before this 15); 50000x8x8
# float64 2.8 / 1.6 / 1.8 (NumPy 5.1).
cdef Py_ssize_t STREAM_BYTES = 8 << 20

cdef void* _square_kernel(int typenum, Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, Py_ssize_t acs,
                          Py_ssize_t bcs, char* c, Py_ssize_t nbytes) noexcept:
    cdef int slot = lm_square_slot(n)
    cdef int stream = nbytes >= STREAM_BYTES and <size_t>c % 16 == 0
    if slot < 0 or m != n or k != n or acs != 1 or bcs != 1:
        return NULL
    if typenum == cnp.NPY_FLOAT32:
        return <void*>lm_square_float(slot, simd_level(), stream)
    if typenum == cnp.NPY_FLOAT64:
        return <void*>lm_square_double(slot, simd_level(), stream)
    return NULL


def _shapes(a, b):
    return f"{a.shape} and {b.shape}"


def matmul(cnp.ndarray a, cnp.ndarray b):
    """The broadcast batched product of (..., m, k) and (..., k, n) arrays of one BLAS dtype, as
    a new C-contiguous array; None where a size passes LP64 BLAS's 2^31-1 (use NumPy then)."""
    cdef int typenum = cnp.PyArray_TYPE(a), nda = a.ndim, ndb = b.ndim, nb, item
    if typenum != cnp.PyArray_TYPE(b) or typenum not in (
            cnp.NPY_FLOAT32, cnp.NPY_FLOAT64, cnp.NPY_COMPLEX64, cnp.NPY_COMPLEX128):
        raise TypeError(f"matmul kernel: unsupported dtypes {a.dtype}, {b.dtype}")
    if not (cnp.PyArray_ISNOTSWAPPED(a) and cnp.PyArray_ISNOTSWAPPED(b)):
        return matmul(a.astype(a.dtype.newbyteorder("=")), b.astype(b.dtype.newbyteorder("=")))
    if nda < 2 or ndb < 2 or cnp.PyArray_DIMS(a)[nda - 1] != cnp.PyArray_DIMS(b)[ndb - 2]:
        raise ValueError(f"matmul kernel: shapes {_shapes(a, b)} do not multiply")
    item = a.itemsize
    # Shapes and strides straight from the array structs: on small products the kernel's own
    # setup is most of the per-call cost, so no Python tuples or lists are built here.
    cdef cnp.npy_intp* ast = cnp.PyArray_STRIDES(a)
    cdef cnp.npy_intp* bst = cnp.PyArray_STRIDES(b)
    cdef Py_ssize_t m = cnp.PyArray_DIMS(a)[nda - 2], k = cnp.PyArray_DIMS(a)[nda - 1]
    cdef Py_ssize_t n = cnp.PyArray_DIMS(b)[ndb - 1]
    if (ast[nda - 2] % item or ast[nda - 1] % item or bst[ndb - 2] % item
            or bst[ndb - 1] % item):          # unaligned views: rare enough to copy whole
        return matmul(np.ascontiguousarray(a), np.ascontiguousarray(b))
    if m > INT_MAX or n > INT_MAX or k > INT_MAX:
        return None
    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    cdef cnp.npy_intp shape[MAXDIM + 2]
    nb = broadcast(&p.dims, shape, a, b)
    if nb < 0:
        raise ValueError(f"matmul kernel: batch dims of {_shapes(a, b)} do not broadcast")
    shape[nb], shape[nb + 1] = m, n
    cdef cnp.ndarray out = empty(nb + 2, shape, typenum)
    if cnp.PyArray_SIZE(out) == 0:
        return out
    cdef Py_ssize_t nbatch = cnp.PyArray_SIZE(out) // (m * n)
    p.m, p.n, p.k = m, n, k
    p.a, p.b = cnp.PyArray_BYTES(a), cnp.PyArray_BYTES(b)
    p.c = cnp.PyArray_BYTES(out)
    p.c_step = m * n * item
    p.ars, p.acs = ast[nda - 2] // item, ast[nda - 1] // item
    p.brs, p.bcs = bst[ndb - 2] // item, bst[ndb - 1] // item
    p.square = _square_kernel(typenum, m, n, k, p.acs, p.bcs, p.c, cnp.PyArray_NBYTES(out))
    p.tiny = p.square != NULL or (m <= TINY and n <= TINY and k <= TINY
                                  and m * n * k <= TINY_WORK)
    p.amode = _layout(m, k, p.ars, p.acs, &p.lda)
    p.bmode = _layout(k, n, p.brs, p.bcs, &p.ldb)
    if EXTENT_ON:
        p.sa, p.sb, p.sc = span_of(a), span_of(b), span_of(out)
    cdef Py_ssize_t scratch = 0
    if not p.tiny and k:
        scratch = (m * k if p.amode == COPY else 0) + (k * n if p.bmode == COPY else 0)
    # Threads: a batch with enough work is split; BLAS then runs on 1 thread per range. One
    # product big enough for OpenBLAS to thread (or a batch too short to split evenly) runs
    # serially with BLAS at lamina's thread count instead.
    cdef Py_ssize_t work = m * n * k
    cdef bint uses_blas = not p.tiny and k > 0
    p.split.loops, p.split.typenum, p.split.nbatch = &_LOOPS, typenum, nbatch
    p.split.threads = pick_threads(_threads, nbatch, work, uses_blas, PARALLEL_WORK,
                                   BLAS_THREADED_WORK)
    job.keep = (a, b, out, alloc_scratch(&p.split, scratch * item))
    if scratch:
        _workspace.note("gemm", p.split.threads, p.split.scratch_step)
    launch(&job.p, &job.p.split, uses_blas and work >= BLAS_THREADED_WORK)
    return out
