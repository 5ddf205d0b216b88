# cython: language_level=3
"""Batched Hermitian eigendecomposition: real matrices up to order TINY_MAX (32) by a kernel of
our own that makes no LAPACK call; complex and larger ones by LAPACK ?syevd/?heevd per matrix;
the batch split across threads.

The tiny kernel: the triangle is read into a stack buffer (per matrix) in double (float32 too) and
scaled by a power of two to norm ~1; Householder tridiagonalization (tred2), then implicit QL
with Wilkinson's shift (tql2: eigenvectors accumulated as rows) or, for eigenvalues alone, the
root-free Pal-Walker-Kahan QL of LAPACK's ?sterf: the algorithm ?syevd itself runs for such n
(?sytd2 + ?steqr/?sterf), at LAPACK's accuracy, without its per-call overhead and global lock,
so threads pay. Eigenvalues are sorted ascending with the vectors permuted alongside. A matrix
whose QL does not converge in MAX_ITER iterations per eigenvalue goes to ?syevd.

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
from libc.float cimport DBL_EPSILON, FLT_EPSILON
from libc.limits cimport INT_MAX
from libc.math cimport NAN, fabs, frexp, ldexp, sqrt
from scipy.linalg.cython_lapack cimport cheevd, dsyevd, ssyevd, zheevd

from ._batch cimport Loops, Split, alloc_scratch, launch, pick_threads
from ._extent cimport EXTENT_ON, Span, check_mat, check_vec, span_at, span_of
from ._lapack cimport c64, c128, lapack_t
from ._pool cimport empty_as

import numpy as np

from . import _threads, _workspace

cnp.import_array()


# A batch whose total work (batch * n^3) is below PARALLEL_WORK stays on one thread: handing a range
# to a sleeping team thread costs up to ~40-140 us here (_team.h). Per 8x8 matrix ?syevd costs
# ~4-7 us and the tiny kernel ~2-3.5 us (CPU time, eigenvalues only / with vectors), so 2^16 (128 8x8
# matrices, >= 0.25 ms) keeps the hand-off under ~15%. ?syevd barely scales on threads (OpenBLAS's
# per-call lock, KERNEL-FACTS.md; measured 1 vs 2 threads, loaded machine: 4x4 172 vs 164 ms,
# 16x16 30 vs 27); the tiny kernel makes no LAPACK call and ran 1.7x faster on 2 threads
# (20000 8x8 with vectors, 64 vs 38 ms) whenever the second core was free.
cdef Py_ssize_t PARALLEL_WORK = 1 << 16

# Real matrices up to this order take the tiny kernel. CPU time per matrix, serial, tiny vs
# ?syevd (with vectors; eigenvalues only): n=4 0.8 vs 2.1 us, 0.7 vs 1.2; n=8 3.0 vs 6.8,
# 2.1 vs 3.8; n=16 13 vs 26, 7.3 vs 12.5; n=32 62 vs 94, 29 vs 43. It still wins at 32, the
# size its stack buffers hold; beyond, LAPACK's blocked reduction and divide and conquer take
# over.
TINY_MAX = TINY_BUF
# QL iterations allowed per eigenvalue, as LAPACK's ?steqr; a matrix that needs more goes to
# ?syevd instead (never seen on a test input: the parameter lets a test reach that path).
MAX_ITER = 30

# One matrix this large (n^3) runs with OpenBLAS threaded at lamina's thread count.
cdef Py_ssize_t BLAS_THREADED_WORK = 1 << 21


ctypedef fused real_t:
    float
    double


# The stack buffers of the tiny kernel hold matrices up to this order.
cdef enum:
    TINY_BUF = 32


cdef struct Plan:
    Split split               # scratch per thread: lwork, lrwork (real), liwork (int), scratch
    int n
    bint vectors
    char uplo                 # LAPACK's: 'U' for the row-major lower triangle
    bint lower
    char* a
    Py_ssize_t a_step, ars, acs
    char* w
    char* v
    char* info
    Py_ssize_t rwork_off, iwork_off, scratch_off
    int lwork, lrwork, liwork
    int tiny_max              # real matrices up to this order skip LAPACK
    int max_iter              # QL iterations per eigenvalue in the tiny kernel
    Span sw, sv               # the output arrays' bytes (extent-checked builds only)


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


cdef bint _load_sym(const real_t* src, Py_ssize_t rs, Py_ssize_t cs, int n, bint lower,
                    double* a, int* shift) noexcept nogil:
    """The lower (or, transposed, the upper) triangle of src into the lower triangle of the
    C-order double a, scaled by the exact power of two 2^-shift that brings its largest
    magnitude into [0.5, 1): no square in the QL iteration can then overflow, and the
    iteration's absolute underflow test is relative to the norm. True if every value is
    finite (x * 0 is 0 for finite x, NaN otherwise)."""
    cdef int i, j
    cdef double x, amax = 0, s = 0, scale
    for i in range(n):
        for j in range(i + 1):
            x = src[i * rs + j * cs] if lower else src[j * rs + i * cs]
            a[i * n + j] = x
            s += x * 0
            amax = fabs(x) if fabs(x) > amax else amax
    shift[0] = 0
    if s != 0:
        return False
    if amax > 0:
        frexp(amax, shift)
        scale = ldexp(1.0, -shift[0])
        for i in range(n):
            for j in range(i + 1):
                a[i * n + j] *= scale
    return True


cdef void _tridiagonalize(double* a, int n, double* d, double* e, bint vectors) noexcept nogil:
    """Householder reduction of the symmetric matrix whose lower triangle a holds (n x n, C
    order) to tridiagonal form: tred2 (Martin, Reinsch & Wilkinson 1968, Handbook for Automatic
    Computation II/2; as in Numerical Recipes 3rd ed., sec. 11.3), rows from the last up, each
    row scaled by its 1-norm before its reflector is formed. Out: diagonal d, subdiagonal
    e[1..n-1] (e[0] = 0); with vectors, a becomes the orthogonal Q with Q^T A Q tridiagonal
    (full matrix), otherwise a is scratch."""
    cdef int i, j, k, l
    cdef double scale, h, f, g, hh
    cdef double* ai
    for i in range(n - 1, 0, -1):
        l = i - 1
        ai = a + i * n
        h = 0
        if l > 0:
            scale = 0
            for k in range(l + 1):
                scale += fabs(ai[k])
            if scale == 0:
                e[i] = ai[l]
            else:
                for k in range(l + 1):
                    ai[k] /= scale
                    h += ai[k] * ai[k]
                f = ai[l]
                g = -sqrt(h) if f >= 0 else sqrt(h)
                e[i] = scale * g
                h -= f * g
                ai[l] = f - g
                # p = A u / h into e[0..l], then K = u^T p / 2h, q = p - K u, A -= u q^T + q u^T
                f = 0
                for j in range(l + 1):
                    if vectors:
                        a[j * n + i] = ai[j] / h        # u / h, kept for accumulating Q
                    g = 0
                    for k in range(j + 1):
                        g += a[j * n + k] * ai[k]
                    for k in range(j + 1, l + 1):
                        g += a[k * n + j] * ai[k]
                    e[j] = g / h
                    f += e[j] * ai[j]
                hh = f / (h + h)
                for j in range(l + 1):
                    f = ai[j]
                    g = e[j] - hh * f
                    e[j] = g
                    for k in range(j + 1):
                        a[j * n + k] -= f * e[k] + g * ai[k]
        else:
            e[i] = ai[l]
        d[i] = h
    d[0] = 0
    e[0] = 0
    for i in range(n):
        ai = a + i * n
        if vectors:
            # Q = P_1 ... P_{n-1}, applied from the first reflector (rows/columns < i) on
            if d[i] != 0:
                for j in range(i):
                    g = 0
                    for k in range(i):
                        g += ai[k] * a[k * n + j]
                    for k in range(i):
                        a[k * n + j] -= g * a[k * n + i]
            d[i] = ai[i]
            ai[i] = 1
            for j in range(i):
                a[j * n + i] = 0
                ai[j] = 0
        else:
            d[i] = ai[i]


cdef bint _tridiagonal_ql(double* d, double* e, int n, double* z, double tol,
                          int max_iter) noexcept nogil:
    """Implicit QL with Wilkinson's shift on the symmetric tridiagonal (d, e[1..n-1]): tql2
    (Bowdler, Martin, Reinsch & Wilkinson 1968, Handbook II/3; Numerical Recipes 3rd ed., sec.
    11.4). On return d holds the eigenvalues (unsorted); where z is not NULL each plane rotation
    is applied to its rows, so rows that held Q^T end up holding the eigenvectors. e[m] is
    negligible when |e[m]| <= tol (|d[m]| + |d[m+1]|), or below 1e-290 (the input is scaled to
    norm ~1, so that is far under rounding). False if an eigenvalue took more than max_iter
    iterations."""
    cdef int i, k, l, m, it
    cdef double s, c, p, g, r, f, b, x, y
    cdef double* zi
    cdef double* zj
    cdef bint deflated
    for i in range(1, n):
        e[i - 1] = e[i]
    e[n - 1] = 0
    for l in range(n):
        it = 0
        while True:
            m = l
            while m < n - 1:
                if fabs(e[m]) <= tol * (fabs(d[m]) + fabs(d[m + 1])) or fabs(e[m]) < 1e-290:
                    break
                m += 1
            if m == l:
                break
            if it == max_iter:
                return False
            it += 1
            g = (d[l + 1] - d[l]) / (2 * e[l])
            r = fabs(g) if fabs(g) > 1e150 else sqrt(g * g + 1)
            g = d[m] - d[l] + e[l] / (g + (r if g >= 0 else -r))
            s = 1
            c = 1
            p = 0
            deflated = False
            for i in range(m - 1, l - 1, -1):
                f = s * e[i]
                b = c * e[i]
                r = sqrt(f * f + g * g)
                e[i + 1] = r
                if r == 0:                    # the rotation underflowed: split here instead
                    d[i + 1] -= p
                    e[m] = 0
                    deflated = True
                    break
                s = f / r
                c = g / r
                g = d[i + 1] - p
                r = (d[i] - g) * s + 2 * c * b
                p = s * r
                d[i + 1] = g + p
                g = c * r - b
                if z != NULL:
                    zi = z + i * n
                    zj = zi + n
                    for k in range(n):
                        x = zi[k]
                        y = zj[k]
                        zj[k] = s * x + c * y
                        zi[k] = c * x - s * y
            if deflated:
                continue
            d[l] -= p
            e[l] = g
            e[m] = 0
    return True


cdef inline void _eig2(double a, double b, double c, double* rt1, double* rt2) noexcept nogil:
    """Eigenvalues of [[a, b], [b, c]] (LAPACK's ?lae2): rt1 the larger in magnitude, rt2 from
    det / rt1 so that it keeps its relative accuracy."""
    cdef double sm = a + c, adf = fabs(a - c), ab = fabs(b + b), rt, acmx, acmn
    if fabs(a) > fabs(c):
        acmx, acmn = a, c
    else:
        acmx, acmn = c, a
    if adf > ab:
        rt = adf * sqrt(1 + (ab / adf) * (ab / adf))
    elif adf < ab:
        rt = ab * sqrt(1 + (adf / ab) * (adf / ab))
    else:
        rt = ab * sqrt(2.0)
    if sm == 0:
        rt1[0] = 0.5 * rt
        rt2[0] = -0.5 * rt
    else:
        rt1[0] = 0.5 * (sm - rt) if sm < 0 else 0.5 * (sm + rt)
        rt2[0] = (acmx / rt1[0]) * acmn - (b / rt1[0]) * b


cdef bint _tridiagonal_values(double* d, double* e, int n, double tol,
                              int max_iter) noexcept nogil:
    """Eigenvalues only of the symmetric tridiagonal (d, e[1..n-1]) into d (unsorted): the
    root-free QL of Pal, Walker & Kahan as LAPACK's ?sterf runs it (no square root in the inner
    loop, which is the latency chain here), on the squares of e; a 2x2 block left at the top is
    solved in closed form. e[m]^2 is negligible when <= tol^2 |d[m] d[m+1]| (?sterf's test) or
    below 1e-290 (the input is scaled to norm ~1). False if an eigenvalue took more than
    max_iter iterations."""
    cdef int i, l = 0, m, it
    cdef double tol2 = tol * tol, p, rte, sigma, r, rinv, c, s, gamma, oldc, oldgam, bb, alpha
    for i in range(n - 1):
        e[i] = e[i + 1] * e[i + 1]
    e[n - 1] = 0
    while l < n:
        it = 0
        while True:
            m = l
            while m < n - 1:
                if e[m] <= tol2 * fabs(d[m] * d[m + 1]) or e[m] < 1e-290:
                    e[m] = 0
                    break
                m += 1
            if m == l:
                l += 1
                break
            if m == l + 1:
                _eig2(d[l], sqrt(e[l]), d[l + 1], &d[l], &d[l + 1])
                e[l] = 0
                l += 2
                break
            if it == max_iter:
                return False
            it += 1
            rte = sqrt(e[l])
            p = d[l]
            sigma = (d[l + 1] - p) / (2 * rte)
            r = fabs(sigma) if fabs(sigma) > 1e150 else sqrt(sigma * sigma + 1)
            sigma = p - rte / (sigma + (r if sigma >= 0 else -r))
            c = 1
            s = 0
            gamma = d[m] - sigma
            p = gamma * gamma
            for i in range(m - 1, l - 1, -1):
                # ?sterf's step with its divisions moved off the dependency chain: one
                # reciprocal of r for c = p / r and s = bb / r, and gamma^2 / c written as
                # gamma^2 (r / p), whose 1 / p runs alongside 1 / r (~20% faster here).
                bb = e[i]
                r = p + bb                    # > 0: bb >= 1e-290 inside an unsplit block
                rinv = 1 / r
                if i != m - 1:
                    e[i + 1] = s * r
                oldc = c
                c = p * rinv
                s = bb * rinv
                oldgam = gamma
                alpha = d[i]
                gamma = c * (alpha - sigma) - s * oldgam
                d[i + 1] = oldgam + (alpha - gamma)
                p = gamma * gamma * (r * (1 / p)) if p != 0 else oldc * bb
            e[l] = s * p
            d[l] = sigma + gamma
    return True


cdef bint _tiny(real_t* tag, Plan* p, Py_ssize_t b) noexcept nogil:
    """Matrix b without LAPACK: tridiagonalize, QL, eigenvalues sorted ascending and eigenvector
    rows permuted alongside (insertion sort of an index, stable), written to the outputs. False,
    with nothing written, if QL did not converge (the caller then hands the matrix to LAPACK)."""
    cdef double a[TINY_BUF * TINY_BUF]
    cdef double z[TINY_BUF * TINY_BUF]
    cdef double d[TINY_BUF]
    cdef double e[TINY_BUF]
    cdef int order[TINY_BUF]
    cdef int n = p.n, i, j, k, shift
    cdef double key
    cdef real_t* w = <real_t*>p.w + b * n
    cdef real_t* vo
    cdef const real_t* src = <real_t*>(p.a + b * p.a_step)
    cdef double tol = FLT_EPSILON / 2 if real_t is float else DBL_EPSILON / 2
    if not _load_sym(src, p.ars, p.acs, n, p.lower, a, &shift):
        _nan(tag, p, b)
        return True
    _tridiagonalize(a, n, d, e, p.vectors)
    if p.vectors:
        for i in range(n):
            for j in range(n):
                z[i * n + j] = a[j * n + i]
    if p.vectors:
        if not _tridiagonal_ql(d, e, n, z, tol, p.max_iter):
            return False
    elif not _tridiagonal_values(d, e, n, tol, p.max_iter):
        return False
    for i in range(n):
        key = d[i]
        j = i
        while j > 0 and d[order[j - 1]] > key:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i
    for i in range(n):
        w[i] = <real_t>ldexp(d[order[i]], shift)
    if p.vectors:
        vo = <real_t*>p.v + b * n * n
        for i in range(n):
            k = order[i] * n
            for j in range(n):
                vo[i * n + j] = <real_t>z[k + j]
    (<int*>p.info)[b] = 0
    return True


cdef void _nan(lapack_t* tag, Plan* p, Py_ssize_t b) noexcept nogil:
    """NaN eigenvalues (and eigenvectors) for matrix b, info 0."""
    cdef int n = p.n, i
    cdef bint single = lapack_t is float or lapack_t is c64
    cdef Py_ssize_t wsize = 4 if single else 8
    cdef lapack_t* v
    for i in range(n):
        _write_real(p.w + b * n * wsize, i, NAN, single)
    if p.vectors:
        v = <lapack_t*>p.v + b * n * n
        for i in range(n * n):
            v[i] = NAN
    (<int*>p.info)[b] = 0


cdef inline void _check_syevd(Plan* p, const lapack_t* a, const void* w,
                              const char* work) noexcept nogil:
    """The extents ?syevd/?heevd touch (_extent.h): A n x n (lda n) in the eigenvector output or
    the thread's scratch, w (n reals) in the output, then work, rwork (complex only) and iwork
    at their offsets in the scratch."""
    cdef Span ss = span_at(work, p.split.scratch_step)
    cdef Py_ssize_t real = sizeof(float) if lapack_t is float or lapack_t is c64 else sizeof(
        double)
    check_mat("?syevd/?heevd A", a, p.n, p.n, p.n, sizeof(lapack_t), p.sv if p.vectors else ss)
    check_vec("?syevd/?heevd w", w, p.n, 1, real, p.sw)
    check_vec("?syevd/?heevd work", work, p.lwork, 1, sizeof(lapack_t), ss)
    if lapack_t is c64 or lapack_t is c128:
        check_vec("?heevd rwork", work + p.rwork_off, p.lrwork, 1, real, ss)
    check_vec("?syevd/?heevd iwork", work + p.iwork_off, p.liwork, 1, sizeof(int), ss)


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
    elif lapack_t is float and n <= p.tiny_max and _tiny(<float*>NULL, p, b):
        return
    elif lapack_t is double and n <= p.tiny_max and _tiny(<double*>NULL, p, b):
        return
    elif not _load(a, p.ars, p.acs, n, p.lower, v):
        _nan(tag, p, b)
        return
    else:
        _check_syevd(p, v, w, work)
        _syevd(&jobz, &p.uplo, &n, v, &n, w, <lapack_t*>work, &p.lwork, work + p.rwork_off,
               &p.lrwork, <int*>(work + p.iwork_off), &p.liwork, &info)
        if lapack_t is c64 or lapack_t is c128:
            if p.vectors:
                for i in range(nn):
                    v[i] = v[i].conjugate()
    (<int*>p.info)[b] = info


cdef void _run(lapack_t* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi,
               char* work) noexcept nogil:
    cdef Py_ssize_t b
    for b in range(lo, hi):
        _one(tag, <Plan*>plan, b, work)


cdef Loops _LOOPS = Loops(_run[float], _run[double], _run[c64], _run[c128])


cdef class _Job:
    """A planned call: the arrays it keeps alive and the ranges each thread runs."""
    cdef Plan p
    cdef object keep


cdef void _query(lapack_t* tag, Plan* p) noexcept:
    """lwork, lrwork, liwork for this plan's n and jobz (lwork = -1 queries, no data read)."""
    cdef lapack_t dummy[2]
    cdef lapack_t size = 0
    cdef double rdummy[2]
    cdef double rsize[2]
    cdef int isize = 0, q = -1, info = 0, n = p.n
    cdef char jobz = b"V"[0] if p.vectors else b"N"[0]
    rsize[0] = 0
    # a query writes work[0], rwork[0] (complex) and iwork[0] only
    check_vec("?syevd/?heevd work (query)", &size, 1, 1, sizeof(lapack_t),
              span_at(&size, sizeof(size)))
    check_vec("?heevd rwork (query)", rsize, 1, 1, sizeof(rsize[0]), span_at(rsize, sizeof(rsize)))
    check_vec("?syevd/?heevd iwork (query)", &isize, 1, 1, sizeof(int),
              span_at(&isize, sizeof(isize)))
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


def eigh(cnp.ndarray a, bint vectors, bint lower, int tiny_max=TINY_MAX,
         int max_iter=MAX_ITER):
    """Eigenvalues (and eigenvectors) of the Hermitian matrices whose lower (`lower`) or upper
    triangle `a` (batch, n, n) holds: (w, v, info), v None without vectors; see the module
    docstring for layouts. Real matrices of order <= tiny_max go to the tiny kernel, whose QL
    takes at most max_iter iterations per eigenvalue (tests pass tiny_max=0 to compare with
    LAPACK, max_iter=0 to reach the fallback)."""
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
    if tiny_max > TINY_BUF or max_iter < 0:
        raise ValueError(f"eigh kernel: tiny_max must be <= {TINY_BUF}, max_iter >= 0")
    p.split.loops, p.split.typenum, p.split.nbatch = &_LOOPS, typenum, nbatch
    p.n, p.vectors, p.lower = n, vectors, lower
    p.tiny_max, p.max_iter = tiny_max, max_iter
    p.uplo = b"U"[0] if lower else b"L"[0]
    p.a, p.a_step, p.ars, p.acs = cnp.PyArray_BYTES(a), st[0], st[1] // item, st[2] // item
    real = np.float32 if typenum in (cnp.NPY_FLOAT32, cnp.NPY_COMPLEX64) else np.float64
    w = empty_as((nbatch, n), real)
    v = empty_as((nbatch, n, n), a.dtype) if vectors else None
    info = np.zeros(nbatch, dtype=np.int32)
    p.w, p.info = cnp.PyArray_BYTES(w), cnp.PyArray_BYTES(info)
    p.v = cnp.PyArray_BYTES(v) if vectors else NULL
    if EXTENT_ON:
        p.sw, p.sv = span_of(w), span_of(v if vectors else w)
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
    cdef Py_ssize_t scratch = p.scratch_off + (0 if vectors else _up(n * n * item))
    cdef Py_ssize_t work = n * n * n
    cdef bint tiny = n <= tiny_max and typenum in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64)
    p.split.threads = pick_threads(_threads, nbatch, work, not tiny, PARALLEL_WORK,
                                   BLAS_THREADED_WORK)
    job.keep = (a, w, v, info, alloc_scratch(&p.split, scratch))
    _workspace.note("eigh", p.split.threads, p.split.scratch_step)
    launch(&job.p, &job.p.split, work >= BLAS_THREADED_WORK)
    return w, v, info
