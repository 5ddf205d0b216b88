# cython: language_level=3
"""Batched Cholesky factorization (?potrf) and inverse from the factor (?potri).

Memory contract of `potrf_batched(a, out, info, upper)` and `potri_batched(a, out, info, upper)`:
`a` is (*batch, n, n) of one dtype of float32/float64/complex64/complex128, any strides (zero
and negative included), and is only read. `out` is a C-contiguous (*batch, n, n) array of the
same dtype and `info` a C-contiguous int32 array of the batch shape; every element of both is
written. Each output matrix is stored column-major ("Fortran"): the caller returns
`out.swapaxes(-1, -2)`, which is the layout PyTorch's CPU kernels return.

The triangle a routine reads (the lower one, or the upper one with `upper`) is copied once from
`a` into `out`, which LAPACK then sees as the column-major matrix itself: no transposition or
conjugation step for complex input, and LAPACK works in place in the output. The triangle not
read is zeroed by that same copy. potri leaves one triangle of the inverse; the other is filled
by Hermitian symmetry afterwards.

potrf's `info` is LAPACK's (k > 0: the leading minor of order k is not positive-definite), with
one addition: scipy's OpenBLAS does not test its pivots for NaN (reference LAPACK does, and
PyTorch reports it), so a factor whose diagonal holds a NaN reports the first such column. After
a NaN pivot every later pivot is NaN too, so no non-positive pivot can come after it unreported.

Small matrices (real n <= 16, complex n <= 8) skip LAPACK: a loop factors them directly from
`a` into `out`, real ones LANES matrices side by side, so the chain of square roots and
divisions of one matrix overlaps with the others' and the arithmetic runs in vector registers.
Making no LAPACK call, they also scale over threads (OpenBLAS serialises small calls on a lock).
Measured with one thread on 20000 matrices (a loaded machine, medians): float64 8x8 6.8 ms vs
14.4 through dpotrf, 16x16 15.6 vs 37.9; float32 16x16 6.7 vs 26.4; complex128 16x16 73.8 vs
69.8, so complex stops at 8. From AVX2 up, real n <= 4 goes to _simd_chol.h instead (the same
steps, four doubles or eight floats per 256-bit register): 100000 4x4 float64 in 1.53 ms of CPU
vs 3.09 for the loop here, float32 1.24 vs 2.50, 2x2 0.58 vs 1.39. Past the tiny loops, real
n up to 64 goes to _simd_blocked.h's panel-blocked potrf (_use_blocked); a matrix it finds not
positive-definite is redone through LAPACK, so a failure leaves LAPACK's result. The pivot test is reference LAPACK's (`not pivot > 0`, which
catches NaN), and on failure the kernel leaves what ?potf2 leaves: the columns before the
failing one factored, the failing pivot's value on the diagonal, the rest of the triangle as
read.

Threads: the batch is split into one contiguous range per thread (lamina._core._threads); each
range is a `with nogil:` loop, and every check happens before it, so the loop cannot fail.
"""

cimport numpy as cnp
from libc.limits cimport INT_MAX
from libc.math cimport sqrt, sqrtf
from libc.string cimport memset
from scipy.linalg.cython_lapack cimport (
    cpotrf, cpotri, dpotrf, dpotri, spotrf, spotri, zpotrf, zpotri)

from ._cpu cimport simd_level
from ._batch cimport (
    MAXDIM, Cursor, Dims, Loops, Split, advance, broadcast, launch, pick_threads, seek)
from ._extent cimport EXTENT_ON, Span, check_mat, span_of
from ._lapack cimport c64, c128, lapack_t

import numpy as np

from . import _threads

cnp.import_array()


cdef extern from *:
    """
    /* Square roots of one lane block (8 values) of lamina's tiny Cholesky. gcc does not
       vectorise sqrt() unless -fno-math-errno (it keeps errno for negative input), and the
       flags are shared by every kernel; SSE2's packed square root gives NaN for a negative
       pivot, which the caller has already flagged. x86-64 always has SSE2. */
    #if defined(__SSE2__)
    #include <emmintrin.h>
    static inline void lamina_sqrt8d(double* s) {
        for (int w = 0; w < 8; w += 2) _mm_storeu_pd(s + w, _mm_sqrt_pd(_mm_loadu_pd(s + w)));
    }
    static inline void lamina_sqrt8f(float* s) {
        for (int w = 0; w < 8; w += 4) _mm_storeu_ps(s + w, _mm_sqrt_ps(_mm_loadu_ps(s + w)));
    }
    #else
    #include <math.h>
    static inline void lamina_sqrt8d(double* s) { for (int w = 0; w < 8; w++) s[w] = sqrt(s[w]); }
    static inline void lamina_sqrt8f(float* s) { for (int w = 0; w < 8; w++) s[w] = sqrtf(s[w]); }
    #endif
    """
    void lamina_sqrt8d(double* s) noexcept nogil
    void lamina_sqrt8f(float* s) noexcept nogil


cdef extern from "_simd_chol.h" nogil:
    ctypedef int (*lm_chol_f)(const float* const*, Py_ssize_t, Py_ssize_t, int, float*)
    ctypedef int (*lm_chol_d)(const double* const*, Py_ssize_t, Py_ssize_t, int, double*)
    enum:
        LM_CHOL_MAX
    lm_chol_f lm_chol_float(int n, int level, int* lanes)
    lm_chol_d lm_chol_double(int n, int level, int* lanes)

cdef extern from "_simd_blocked.h" nogil:
    ctypedef int (*lm_potrf_f)(int, const float*, Py_ssize_t, Py_ssize_t, int, float*)
    ctypedef int (*lm_potrf_d)(int, const double*, Py_ssize_t, Py_ssize_t, int, double*)
    enum:
        LM_BLOCKED_MAX
    int LM_AVX2
    lm_potrf_f lm_potrf_float(int level)
    lm_potrf_d lm_potrf_double(int level)


cdef enum:
    TINY = 16            # the tiny kernels' bound (their buffers' size)
    TINY_COMPLEX = 8     # complex runs the one-matrix loop, which stops winning past 8
    LANES = 8            # matrices factored side by side (lamina_sqrt8d/f take 8)
    MAX_LANES = 8        # the widest _simd_chol.h kernel's (float32)
    BLOCK = 32           # tile edge of the copy into `out` (keeps large transposed copies cached)
    POTRF = 0
    POTRI = 1


cdef struct Plan:
    Split split
    Dims dims                            # the batch dims of `a` (no second operand)
    int n, op
    bint upper, tiny
    void* lanes_kernel                   # an lm_chol_f/_d of _simd_chol.h, or NULL
    void* blocked_kernel                 # an lm_potrf_f/_d of _simd_blocked.h, or NULL
    int lanes                            # its matrices per call
    char* a
    Py_ssize_t rs, cs                    # element strides of one matrix of `a`
    char* out
    Py_ssize_t out_step                  # bytes between output matrices
    int* info
    Span sout                            # out's bytes (extent-checked builds only)


# -- scalar helpers -------------------------------------------------------------------------------

cdef inline double _re(lapack_t x) noexcept nogil:
    if lapack_t is float or lapack_t is double:
        return x
    else:
        return x.real


cdef inline lapack_t _conj(lapack_t x) noexcept nogil:
    if lapack_t is float or lapack_t is double:
        return x
    else:
        return x.conjugate()


cdef inline bint _isnan(lapack_t x) noexcept nogil:
    if lapack_t is float or lapack_t is double:
        return x != x
    else:
        return x.real != x.real or x.imag != x.imag


cdef inline lapack_t _sqrt(lapack_t x) noexcept nogil:
    if lapack_t is float or lapack_t is c64:
        return sqrtf(<float>_re(x))
    else:
        return sqrt(_re(x))


# -- copy into the output -------------------------------------------------------------------------

cdef void _load(const lapack_t* a, Py_ssize_t rs, Py_ssize_t cs, lapack_t* f, int n,
                bint upper) noexcept nogil:
    """f (column-major, n x n) = the lower (upper) triangle of A, zero elsewhere; in tiles, so a
    large row-major A read down its columns stays in cache."""
    cdef Py_ssize_t i, j, i0, j0 = 0, nn = n
    while j0 < nn:
        i0 = 0
        while i0 < nn:
            for j in range(j0, min(j0 + BLOCK, nn)):
                for i in range(i0, min(i0 + BLOCK, nn)):
                    if (i >= j) != upper or i == j:
                        f[i + j * nn] = a[i * rs + j * cs]
                    else:
                        f[i + j * nn] = 0
            i0 += BLOCK
        j0 += BLOCK


cdef inline void _first_nan_pivot(lapack_t* f, int n, int* info) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(n):
        if _isnan(f[j * (n + 1)]):
            info[0] = <int>j + 1
            return


# -- LAPACK ---------------------------------------------------------------------------------------

cdef inline void _potrf(char* uplo, int* n, lapack_t* a, int* info) noexcept nogil:
    if lapack_t is float:
        spotrf(uplo, n, a, n, info)
    elif lapack_t is double:
        dpotrf(uplo, n, a, n, info)
    elif lapack_t is c64:
        cpotrf(uplo, n, a, n, info)
    else:
        zpotrf(uplo, n, a, n, info)


cdef inline void _potri(char* uplo, int* n, lapack_t* a, int* info) noexcept nogil:
    if lapack_t is float:
        spotri(uplo, n, a, n, info)
    elif lapack_t is double:
        dpotri(uplo, n, a, n, info)
    elif lapack_t is c64:
        cpotri(uplo, n, a, n, info)
    else:
        zpotri(uplo, n, a, n, info)


cdef void _lapack_one(const lapack_t* a, lapack_t* f, int* info, Plan* p) noexcept nogil:
    cdef int n = p.n
    cdef Py_ssize_t i, j
    cdef char* uplo = b"U" if p.upper else b"L"
    # the blocked kernel reads a lower triangle: an upper one is the lower of the transpose
    if (lapack_t is float or lapack_t is double) and p.blocked_kernel != NULL:
        if lapack_t is float:
            info[0] = (<lm_potrf_f>p.blocked_kernel)(n, a, p.cs if p.upper else p.rs,
                                                      p.rs if p.upper else p.cs, p.upper, f)
        else:
            info[0] = (<lm_potrf_d>p.blocked_kernel)(n, a, p.cs if p.upper else p.rs,
                                                      p.rs if p.upper else p.cs, p.upper, f)
        if info[0] == 0:
            return
        info[0] = 0                     # a failure: LAPACK's result and info, below
    _load(a, p.rs, p.cs, f, n, p.upper)
    check_mat("?potrf A" if p.op == POTRF else "?potri A", f, n, n, n, sizeof(lapack_t), p.sout)
    if p.op == POTRF:
        _potrf(uplo, &n, f, info)
        if info[0] == 0:
            _first_nan_pivot(f, n, info)
        return
    _potri(uplo, &n, f, info)
    for j in range(n):              # the other triangle, by Hermitian symmetry
        for i in range(j + 1, n):
            if p.upper:
                f[i + j * n] = _conj(f[j + i * n])
            else:
                f[j + i * n] = _conj(f[i + j * n])


# -- tiny matrices --------------------------------------------------------------------------------

cdef inline lapack_t _read(const lapack_t* a, Py_ssize_t rs, Py_ssize_t cs, Py_ssize_t i,
                           Py_ssize_t j, bint upper) noexcept nogil:
    """Element (i, j), i >= j, of the Hermitian matrix whose lower (upper) triangle is read."""
    if upper:
        return _conj(a[j * rs + i * cs])
    return a[i * rs + j * cs]


cdef inline void _store(const lapack_t* l, lapack_t* f, int n, bint upper) noexcept nogil:
    """f (column-major) = L, or U = L^H, from the row-major lower triangle l (stride TINY)."""
    cdef Py_ssize_t i, j
    for j in range(n):
        for i in range(n):
            if i < j:
                f[i + j * n] = _conj(l[j * TINY + i]) if upper else 0
            elif i == j:
                f[i + j * n] = l[i * TINY + i]
            else:
                f[i + j * n] = 0 if upper else l[i * TINY + j]


cdef int _tiny_one(const lapack_t* a, Py_ssize_t rs, Py_ssize_t cs, lapack_t* f, int n,
                   bint upper) noexcept nogil:
    """One factorization, column by column (left-looking, as ?potf2); returns LAPACK's info."""
    cdef lapack_t l[TINY * TINY]
    cdef lapack_t s, t, r
    cdef int i, j, k, info = 0
    for i in range(n):
        for j in range(i + 1):
            l[i * TINY + j] = _read(a, rs, cs, i, j, upper)
    for j in range(n):
        s = _re(l[j * TINY + j])
        for k in range(j):
            s = s - _re(l[j * TINY + k] * _conj(l[j * TINY + k]))
        if not _re(s) > 0:          # NaN fails too, as in reference LAPACK
            l[j * TINY + j] = s
            info = j + 1
            break
        s = _sqrt(s)
        l[j * TINY + j] = s
        r = 1 / s
        for i in range(j + 1, n):
            t = l[i * TINY + j]
            for k in range(j):
                t = t - l[i * TINY + k] * _conj(l[j * TINY + k])
            l[i * TINY + j] = t * r
    _store(l, f, n, upper)
    return info


cdef void _tiny_lanes(const lapack_t** a, Py_ssize_t rs, Py_ssize_t cs, lapack_t* f, int n,
                      bint upper, int* info) noexcept nogil:
    """LANES real factorizations at once: each step runs across the lanes, so the compiler keeps
    them in vector registers and their dependent chains of square roots and divisions overlap.
    Lanes that fail are redone one by one by _tiny_one, which leaves ?potf2's partial result."""
    cdef lapack_t t[TINY * TINY * LANES]       # t[(i * TINY + j) * LANES + w]: L[i, j] of lane w
    cdef lapack_t s[LANES]
    cdef lapack_t r[LANES]
    cdef bint bad = False
    cdef int i, j, k, w
    cdef const lapack_t* src
    cdef lapack_t* g
    for w in range(LANES):
        src = a[w]
        for i in range(n):
            for j in range(i + 1):
                t[(i * TINY + j) * LANES + w] = src[j * rs + i * cs] if upper else src[
                    i * rs + j * cs]
    for j in range(n):
        for w in range(LANES):
            s[w] = t[(j * TINY + j) * LANES + w]
        for k in range(j):
            for w in range(LANES):
                s[w] = s[w] - t[(j * TINY + k) * LANES + w] * t[(j * TINY + k) * LANES + w]
        for w in range(LANES):
            bad |= not _re(s[w]) > 0
        if lapack_t is double:
            lamina_sqrt8d(s)
        elif lapack_t is float:
            lamina_sqrt8f(s)
        for w in range(LANES):
            t[(j * TINY + j) * LANES + w] = s[w]
        for w in range(LANES):
            r[w] = 1 / s[w]
        for i in range(j + 1, n):
            for w in range(LANES):
                s[w] = t[(i * TINY + j) * LANES + w]
            for k in range(j):
                for w in range(LANES):
                    s[w] = s[w] - t[(i * TINY + k) * LANES + w] * t[(j * TINY + k) * LANES + w]
            for w in range(LANES):
                t[(i * TINY + j) * LANES + w] = s[w] * r[w]
    for w in range(LANES):                    # column by column into f, each lane's n x n block
        g = f + w * n * n
        info[w] = 0
        for j in range(n):
            if upper:
                for i in range(j + 1):
                    g[i] = t[(j * TINY + i) * LANES + w]
                for i in range(j + 1, n):
                    g[i] = 0
            else:
                for i in range(j):
                    g[i] = 0
                for i in range(j, n):
                    g[i] = t[(i * TINY + j) * LANES + w]
            g += n
    if bad:
        for w in range(LANES):
            info[w] = _tiny_one(a[w], rs, cs, f + w * n * n, n, upper)


cdef void _tiny_lanes_any(const lapack_t** a, Py_ssize_t rs, Py_ssize_t cs, lapack_t* f, int n,
                          bint upper, int* info) noexcept nogil:
    # Rows with unit stride get the size as a constant: gcc then clones _tiny_lanes for it
    # (-O3's ipa-cp), unrolling its loops. Measured on 100000 float64 matrices, one thread:
    # 2x2 0.6 ms vs 3.9 ms with the size at run time, 3x3 1.7 vs 7.7, 4x4 6.8 vs 13.5 (a loaded
    # machine; a plain copy of the same data took 5.7 there), 8x8 40 vs 46.
    if cs == 1:
        if n == 1:
            _tiny_lanes(a, rs, 1, f, 1, upper, info)
        elif n == 2:
            _tiny_lanes(a, rs, 1, f, 2, upper, info)
        elif n == 3:
            _tiny_lanes(a, rs, 1, f, 3, upper, info)
        elif n == 4:
            _tiny_lanes(a, rs, 1, f, 4, upper, info)
        elif n == 5:
            _tiny_lanes(a, rs, 1, f, 5, upper, info)
        elif n == 6:
            _tiny_lanes(a, rs, 1, f, 6, upper, info)
        elif n == 7:
            _tiny_lanes(a, rs, 1, f, 7, upper, info)
        elif n == 8:
            _tiny_lanes(a, rs, 1, f, 8, upper, info)
        else:
            _tiny_lanes(a, rs, 1, f, n, upper, info)
    else:
        _tiny_lanes(a, rs, cs, f, n, upper, info)


cdef inline void _simd_lanes(const lapack_t** a, Plan* p, lapack_t* f,
                             int* info) noexcept nogil:
    """p.lanes factorizations through the plan's _simd_chol.h kernel; if one fails, all are
    redone by _tiny_one, which leaves ?potf2's partial result and info."""
    cdef int w, bad = 0
    # the kernel reads a lower triangle: an upper one is the lower of the transpose (real)
    cdef Py_ssize_t rs = p.cs if p.upper else p.rs, cs = p.rs if p.upper else p.cs
    if lapack_t is float:
        bad = (<lm_chol_f>p.lanes_kernel)(a, rs, cs, p.upper, f)
    elif lapack_t is double:
        bad = (<lm_chol_d>p.lanes_kernel)(a, rs, cs, p.upper, f)
    for w in range(p.lanes):
        info[w] = _tiny_one(a[w], p.rs, p.cs, f + w * p.n * p.n, p.n, p.upper) if bad else 0


# -- the batch loop -------------------------------------------------------------------------------

cdef void _run(lapack_t* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi,
               char* scratch) noexcept nogil:
    """Matrices lo..hi-1 of the batch (in C order over the merged batch dims)."""
    cdef Plan* p = <Plan*>plan
    cdef Cursor at
    cdef Py_ssize_t i = lo, step = p.out_step // sizeof(lapack_t), oa, ob
    cdef const lapack_t* src[MAX_LANES]
    cdef int w
    cdef lapack_t* out = <lapack_t*>p.out
    seek(&p.dims, &at, lo, &oa, &ob)
    if (lapack_t is float or lapack_t is double) and p.lanes_kernel != NULL:
        while i + p.lanes <= hi:
            for w in range(p.lanes):
                src[w] = <const lapack_t*>(p.a + oa)
                advance(&p.dims, &at, &oa, &ob)
            _simd_lanes(src, p, out + i * step, p.info + i)
            i += p.lanes
    if p.tiny and (lapack_t is float or lapack_t is double):
        while i + LANES <= hi:
            for w in range(LANES):
                src[w] = <const lapack_t*>(p.a + oa)
                advance(&p.dims, &at, &oa, &ob)
            _tiny_lanes_any(src, p.rs, p.cs, out + i * step, p.n, p.upper, p.info + i)
            i += LANES
    while i < hi:
        if p.tiny:
            p.info[i] = _tiny_one(<const lapack_t*>(p.a + oa), p.rs, p.cs, out + i * step,
                                  p.n, p.upper)
        else:
            p.info[i] = 0
            _lapack_one(<const lapack_t*>(p.a + oa), out + i * step, p.info + i, p)
        advance(&p.dims, &at, &oa, &ob)
        i += 1


cdef Loops _LOOPS = Loops(_run[float], _run[double], _run[c64], _run[c128])


cdef class _Job:
    """A planned call: the arrays it keeps alive and the ranges each thread runs."""
    cdef Plan p
    cdef object keep


# A batch whose total work (nbatch * n^3 / 3 multiply-adds) is below PARALLEL_WORK stays on one
# thread: waking a sleeping team thread costs up to ~40-140 us here (_team.h).
cdef Py_ssize_t PARALLEL_WORK = 1 << 17

# OpenBLAS threads one potrf only from n ~ 512 (KERNEL-FACTS); from there a short batch runs
# serially with BLAS at lamina's thread count instead of splitting the batch.
cdef Py_ssize_t BLAS_THREADED_N = 512


# Factorizations up to this n take the tiny kernels (at most TINY, their buffers' size); the
# tests lower it to run the same input through LAPACK.
cdef int _tiny_max = TINY


def _set_tiny_max(int n):
    """Route n x n factorizations up to `n` (<= TINY) to the tiny kernels; returns the old
    bound. For tests that compare the two paths."""
    global _tiny_max
    if not 0 <= n <= TINY:
        raise ValueError(f"tiny bound {n} outside [0, {TINY}]")
    old, _tiny_max = _tiny_max, n
    return old


# Real n from 17 to LM_BLOCKED_MAX (64) skip LAPACK for _simd_blocked.h's potrf. Measured on
# one thread (AVX-512 host, CPU time of 1000 matrices, medians, ms), LAPACK / AVX2 / AVX-512:
#   float64  n = 24: 1.52 / 1.18 / 1.06   32: 2.82 / 2.47 / 2.00   64: 15.4 / 16.9 / 12.8
#   float32  n = 24: 1.30 / 0.85 / 0.94   32: 2.15 / 1.53 / 1.43   64: 11.9 / 8.3 / 5.9
# so float64 at AVX2 stops at 32. Making no LAPACK call, it also splits over threads freely.
cdef bint _use_blocked(int typenum, Py_ssize_t n, int level) noexcept:
    if n <= TINY or n > LM_BLOCKED_MAX or level < LM_AVX2:
        return False
    if typenum == cnp.NPY_FLOAT32:
        return True
    return typenum == cnp.NPY_FLOAT64 and (level > LM_AVX2 or n <= 32)


cdef _call(int op, cnp.ndarray a, cnp.ndarray out, cnp.ndarray info, bint upper):
    cdef int typenum = cnp.PyArray_TYPE(a), nd = a.ndim, item
    shape, strides = (<object>a).shape, (<object>a).strides
    if typenum not in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64, cnp.NPY_COMPLEX64, cnp.NPY_COMPLEX128):
        raise TypeError(f"cholesky kernel: unsupported dtype {a.dtype}")
    if nd < 2 or shape[nd - 1] != shape[nd - 2]:
        raise ValueError(f"cholesky kernel: expected (*, n, n), got {shape}")
    if (cnp.PyArray_TYPE(out) != typenum or (<object>out).shape != shape
            or not cnp.PyArray_IS_C_CONTIGUOUS(out) or not cnp.PyArray_ISWRITEABLE(out)):
        raise ValueError("cholesky kernel: out must be a writeable C-contiguous array of the "
                         "input's dtype and shape")
    if (cnp.PyArray_TYPE(info) != cnp.NPY_INT32 or (<object>info).shape != shape[:nd - 2]
            or not cnp.PyArray_IS_C_CONTIGUOUS(info) or not cnp.PyArray_ISWRITEABLE(info)):
        raise ValueError("cholesky kernel: info must be a writeable C-contiguous int32 array of "
                         "the batch shape")
    item = a.itemsize
    if not cnp.PyArray_ISNOTSWAPPED(a) or any(s % item for s in strides):
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))  # rare: copied whole
    cdef Py_ssize_t n = shape[nd - 1]
    if n > INT_MAX:
        raise ValueError(f"cholesky kernel: n = {n} is past LAPACK's int range")
    cdef Py_ssize_t nbatch = cnp.PyArray_SIZE(info)
    if nbatch == 0:
        return
    if n == 0:
        info.fill(0)
        return
    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    cdef cnp.npy_intp batch[MAXDIM]
    broadcast(&p.dims, batch, a, None)
    p.n, p.op, p.upper = n, op, upper
    p.tiny = op == POTRF and n <= (
        _tiny_max if typenum in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64) else min(_tiny_max,
                                                                             TINY_COMPLEX))
    p.blocked_kernel = NULL
    if op == POTRF and not p.tiny and _use_blocked(typenum, n, simd_level()):
        if typenum == cnp.NPY_FLOAT32:
            p.blocked_kernel = <void*>lm_potrf_float(simd_level())
        elif typenum == cnp.NPY_FLOAT64:
            p.blocked_kernel = <void*>lm_potrf_double(simd_level())
    p.lanes_kernel = NULL
    if p.tiny and 2 <= n <= LM_CHOL_MAX:
        if typenum == cnp.NPY_FLOAT32:
            p.lanes_kernel = <void*>lm_chol_float(n, simd_level(), &p.lanes)
        elif typenum == cnp.NPY_FLOAT64:
            p.lanes_kernel = <void*>lm_chol_double(n, simd_level(), &p.lanes)
    p.a, p.out, p.info = a.data, out.data, <int*>info.data
    p.rs, p.cs = a.strides[nd - 2] // item, a.strides[nd - 1] // item
    p.out_step = n * n * item
    if EXTENT_ON:
        p.sout = span_of(out)
    p.split.loops, p.split.typenum, p.split.nbatch = &_LOOPS, typenum, nbatch
    p.split.threads = pick_threads(_threads, nbatch, n * n * n, not p.tiny, 3 * PARALLEL_WORK,
                                   BLAS_THREADED_N ** 3)
    job.keep = (a, out, info)
    launch(&job.p, &job.p.split, not p.tiny and n >= BLAS_THREADED_N)


def potrf_batched(cnp.ndarray a, cnp.ndarray out, cnp.ndarray info, bint upper):
    """Cholesky factors of the Hermitian matrices whose lower (upper) triangles `a` holds,
    column-major into `out`, LAPACK's status into `info`; see the module docstring."""
    _call(POTRF, a, out, info, upper)


def potri_batched(cnp.ndarray a, cnp.ndarray out, cnp.ndarray info, bint upper):
    """inv(L L^H) (inv(U^H U)) from the lower (upper) Cholesky factors in `a`, both triangles,
    column-major into `out`; `info` k > 0: the factor's diagonal element k is zero."""
    _call(POTRI, a, out, info, upper)
