# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Batched LU kernels: factor (?getrf), solve (?getrs), inverse (?getri), det and slogdet.

Layouts. Every input is a NumPy array of one dtype of float32/float64/complex64/complex128 whose
batch dims have already been broadcast to one common batch shape (zero strides where an operand
is repeated); matrix strides may be anything NumPy allows (transposed, negative, sliced). Inputs
are only read. Each entry point allocates its outputs once, C-contiguous:
- lu_factor: `lu` (*batch, n, m) holding each m x n factor column-major (LAPACK's own layout, so
  the caller returns the transposed view, as PyTorch does), `piv` (*batch, min(m, n)) int32
  1-based, `info` (*batch,) int32.
- inv: `out` (*batch, n, n) holding each inverse column-major; `info`.
- solve / lu_solve: `x` (*batch, k, n) holding each n x k solution column-major; `info`.
- det: (*batch,); slogdet: `sign` (*batch,) of the input dtype and `logabsdet` of its real dtype.
Row-major meets column-major LAPACK by copying each input matrix once, in the loop, into the
buffer LAPACK overwrites: the output itself where it is a factor (lu_factor, inv) or holds the
right-hand sides (solve), else a per-thread scratch allocated once per call (A's factor in
solve, det and slogdet; a factor that LAPACK cannot address in place in lu_solve). Nothing else
is written.

Tiny matrices (n <= TINY, and real ones up to TINY_MAX whose factor _simd_blocked.h computes)
never call LAPACK: partial pivoting as ?getf2 does it (the first entry of largest |re| + |im| in
the column; a zero pivot sets `info` and skips the scaling), in a local array, with the size a
compile-time constant for n <= 4 so the loops unroll. Many right-hand sides (and inverses,
against I) are solved row-wise, 32 columns at a time in a row-major local block, so each
elimination step is one vectorised row operation.

Threads: the batch is split into one contiguous range per thread (lamina._core._threads); every
check happens before the `with nogil:` loop, which cannot fail except through LAPACK's `info`.
"""

cimport numpy as cnp
from libc.float cimport DBL_MIN, FLT_MIN
from libc.limits cimport INT_MAX
from libc.math cimport M_LN2, NAN, fabs, frexp, hypot, log
from scipy.linalg.cython_lapack cimport (
    cgetrf, cgetri, cgetrs, dgetrf, dgetri, dgetrs, sgetrf, sgetri, sgetrs, zgetrf, zgetri,
    zgetrs)

from ._cpu cimport simd_level
from ._extent cimport EXTENT_ON, Span, check_mat, check_vec, span_at, span_of
from ._lapack cimport c64, c128, lapack_t
from ._pool cimport empty_as, empty_shaped
from ._team cimport run_team


cdef extern from "_simd_lu.h" nogil:
    ctypedef void (*lm_lu_f)(int, const float* const*, Py_ssize_t, Py_ssize_t, int,
                             const float* const*, Py_ssize_t, Py_ssize_t, float* const*,
                             float* const*, float*, int*, int*)
    ctypedef void (*lm_lu_d)(int, const double* const*, Py_ssize_t, Py_ssize_t, int,
                             const double* const*, Py_ssize_t, Py_ssize_t, double* const*,
                             double* const*, double*, int*, int*)
    enum:
        LM_LU_MAX
        LM_LANES_MAX
    int LM_AVX2
    lm_lu_f lm_lu_float(int n, int level, int* lanes)
    lm_lu_d lm_lu_double(int n, int level, int* lanes)

cdef extern from "_simd_blocked.h" nogil:
    ctypedef int (*lm_getrf_f)(int, int, const float*, Py_ssize_t, Py_ssize_t, float*,
                               Py_ssize_t, int*)
    ctypedef int (*lm_getrf_d)(int, int, const double*, Py_ssize_t, Py_ssize_t, double*,
                               Py_ssize_t, int*)
    enum:
        LM_BLOCKED_MAX
    lm_getrf_f lm_getrf_float(int level)
    lm_getrf_d lm_getrf_double(int level)

import numpy as np

from . import _threads, _workspace

cnp.import_array()


cdef enum:
    MAXDIM = 64
    # The kinds of call a plan runs.
    LU = 0
    INV = 1
    SOLVE = 2
    LU_SOLVE = 3
    DET = 4
    SLOGDET = 5

# Matrices up to TINY x TINY take the loops below instead of LAPACK. Measured in CPU time per
# call on one thread (min of 9, float64, noisy shared 2-core machine), loops vs LAPACK:
#   n       inv          det          solve, 1 rhs     (ms for 200000 / n^2 matrices)
#   8   2.17 vs 5.49  0.50 vs 2.03  0.86 vs 3.37
#   16  2.66 vs 2.81  0.56 vs 1.24  0.73 vs 1.48
#   24  3.08 vs 2.93  0.68 vs 1.29  0.78 vs 1.44
#   32  3.21 vs 2.99  0.75 vs 1.38  0.85 vs 1.52
#   40  3.64 vs 2.85  0.88 vs 1.08  1.04 vs 1.17
# (OpenBLAS's fixed cost per call dominates small sizes), and the loops scale with threads where
# LAPACK's global lock does not, so they run up to 32 (inv's 5-7% loss at 24-32 on one thread
# is won back on two).
#
# Real matrices from GETRF_MIN to LM_BLOCKED_MAX (64) are factored by _simd_blocked.h at AVX2 and
# up, then solved by the same loops (up to 64: inv stays on LAPACK past 32). Measured (AVX-512
# host, float64, 200 matrices, medians, ms), loops / _simd_blocked.h / LAPACK:
#   n    level, threads   det                 lu_factor
#   24   AVX-512, 1       0.66 / 0.65 / 1.09  0.79 / 0.68 / 1.06
#   32   AVX-512, 1       0.92 / 0.70 / 1.19  1.19 / 0.78 / 1.22
#   64   AVX-512, 1       5.48 / 3.23 / 4.77  7.46 / 3.35 / 4.76
#   64   AVX-512, 2       2.92 / 1.65 / 2.59  3.67 / 1.83 / 2.46
#   64   AVX2, 2          2.75 / 2.21 / 2.36  3.49 / 2.31 / 2.31
# and below ~20 the loops win (lu_factor n = 12: 1.25 / 1.84 / 2.49); the lanes kernel
# (_simd_lu.h) takes det and solve up to 16 before either.
cdef enum:
    TINY = 32
    TINY_MAX = 64                       # local arrays' bound: LM_BLOCKED_MAX
    KB = 32                             # right-hand sides per block in _getrs_rows
    GETRF_MIN = 20

# A batch whose total work (nbatch * n^2 * (n + k)) is below PARALLEL_WORK stays on one thread:
# waking a sleeping team thread costs up to ~40-140 us here (_team.h), and 2^17 is ~2000 4x4
# inverses, ~100 us of loops. A round figure: two-thread timings on the shared machine were too
# noisy to tune it finer.
cdef Py_ssize_t PARALLEL_WORK = 1 << 17

# The tiny loops' solve with k >= ROWS_K right-hand sides, and their inverse from n >=
# INV_ROWS_N, run row-wise across the columns (_getrs_rows) instead of one column at a time.
# Measured on one thread, old column path = 1 (medians of 11, loaded 2-core machine, +-15%):
#   solve n=4 k=4 1.12x, n=8 k=8 1.54x, n=16 k=16 1.90x, n=32 k=32 1.70x; k=2: 0.76-0.94x;
#   inv n=4 ~1.0x, n=8 1.38x, n=16 1.64x, n=32 1.39x.
cdef int ROWS_K = 4
cdef int INV_ROWS_N = 8


def _set_paths(int rows_k, int inv_rows_n):
    """Set (ROWS_K, INV_ROWS_N) and return the old pair: tests run both paths on one input."""
    global ROWS_K, INV_ROWS_N
    old = (ROWS_K, INV_ROWS_N)
    ROWS_K, INV_ROWS_N = rows_k, inv_rows_n
    return old

# OpenBLAS serialises small LAPACK calls on a global lock (KERNEL-FACTS.md): a batch of LAPACK
# factorizations is split across threads only from this size up.
cdef int LAPACK_PARALLEL_N = 12

# One factorization this large runs with OpenBLAS at lamina's thread count (getrf's trailing
# update is a gemm, which OpenBLAS threads from about this size).
cdef int BLAS_THREADED_N = 128


# Size tags: each tiny routine is generated once per tag (Cython fused types), so for n <= 4 the
# size is a compile-time constant and gcc unrolls the loops (left to gcc's inliner, a size passed
# as a literal was not propagated into every routine). _NX: the size is the runtime argument.
cdef struct _N1:
    char c
cdef struct _N2:
    char c
cdef struct _N3:
    char c
cdef struct _N4:
    char c
cdef struct _NX:
    char c

ctypedef fused tiny_n:
    _N1
    _N2
    _N3
    _N4
    _NX


cdef inline int _size(tiny_n* tag, int n) noexcept nogil:
    if tiny_n is _N1:
        return 1
    elif tiny_n is _N2:
        return 2
    elif tiny_n is _N3:
        return 3
    elif tiny_n is _N4:
        return 4
    else:
        return n


cdef struct Operand:
    char* data
    Py_ssize_t rs, cs                   # matrix strides in elements
    Py_ssize_t strides[MAXDIM]          # batch strides in bytes (0 where broadcast)


cdef struct Plan:
    int typenum, kind
    int m, n, k                         # A is m x n; k right-hand sides
    int ndim
    Py_ssize_t shape[MAXDIM]            # the common batch shape
    Operand a, b, piv                   # piv: lu_solve's int32 pivots, cs = 1
    char* out                           # per matrix: out_step bytes
    Py_ssize_t out_step
    char* out2                          # lu_factor's pivots, slogdet's logabsdet
    Py_ssize_t out2_step
    int* info
    char trans                          # lu_solve: 'N', 'T' or 'C'
    bint conj                           # lu_solve: conjugate B on entry and X on exit
    bint tiny
    void* lanes_kernel                  # an lm_lu_f/_d of _simd_lu.h, or NULL
    void* getrf_kernel                  # an lm_getrf_f/_d of _simd_blocked.h, or NULL
    int lanes                           # its matrices per call
    bint lu_direct                      # lu_solve: LAPACK reads the LU where it lies
    char* scratch                       # per thread: scratch_step bytes
    Py_ssize_t scratch_step
    int lwork                           # getri's workspace, in elements
    Py_ssize_t nbatch, threads
    Span sa, sb, spiv, sout, sout2      # the arrays' bytes (extent-checked builds only)


# -- scalars ------------------------------------------------------------------------------------

cdef inline double _abs1(lapack_t x) noexcept nogil:
    """|re| + |im|: how ?getrf (i?amax) ranks pivot candidates."""
    if lapack_t is float or lapack_t is double:
        return fabs(x)
    else:
        return fabs(x.real) + fabs(x.imag)


cdef inline double _abs(lapack_t x) noexcept nogil:
    if lapack_t is float or lapack_t is double:
        return fabs(x)
    else:
        return hypot(x.real, x.imag)


cdef inline lapack_t _conj(lapack_t x) noexcept nogil:
    if lapack_t is float or lapack_t is double:
        return x
    else:
        return x.conjugate()


cdef inline double _sfmin(lapack_t x) noexcept nogil:
    if lapack_t is float or lapack_t is c64:
        return FLT_MIN
    else:
        return DBL_MIN


# -- tiny matrices: no LAPACK call ----------------------------------------------------------------

cdef inline int _getrf_tiny(tiny_n* nt, lapack_t* a, int m, int n, int lda,
                            int* piv) noexcept nogil:
    """LU with partial pivoting of the column-major m x n `a` in place (unit-lower L below the
    diagonal, U on and above); piv[j] is the 0-based row swapped with row j. Returns ?getrf's
    info: the 1-based index of the first zero pivot, or 0."""
    cdef int i, j, p, kk, info = 0, kmax
    cdef double best, v
    if not tiny_n is _NX:               # square, of the tag's size
        m = n = lda = _size(nt, n)
    kmax = min(m, n)
    cdef lapack_t t, r
    for kk in range(kmax):
        p = kk
        best = _abs1(a[kk + kk * lda])
        for i in range(kk + 1, m):
            v = _abs1(a[i + kk * lda])
            if v > best:
                best, p = v, i
        piv[kk] = p
        if a[p + kk * lda] != 0:
            if p != kk:
                for j in range(n):
                    t = a[kk + j * lda]
                    a[kk + j * lda] = a[p + j * lda]
                    a[p + j * lda] = t
            t = a[kk + kk * lda]
            if _abs(t) >= _sfmin(t):
                r = 1 / t
                for i in range(kk + 1, m):
                    a[i + kk * lda] = a[i + kk * lda] * r
            else:
                for i in range(kk + 1, m):
                    a[i + kk * lda] = a[i + kk * lda] / t
        elif info == 0:
            info = kk + 1
        for j in range(kk + 1, n):
            t = a[kk + j * lda]
            for i in range(kk + 1, m):
                a[i + j * lda] = a[i + j * lda] - a[i + kk * lda] * t
    return info


cdef inline int _load_factor(tiny_n* nt, Plan* p, const lapack_t* a, lapack_t* dst, int m,
                             int n, int* piv) noexcept nogil:
    """The strided m x n `a` (the plan's strides) copied column-major into `dst` (leading
    dimension m) and factored there: _getrf_tiny, or the plan's vectorised equivalent
    (_simd_blocked.h) where it has one. Returns info."""
    if p.getrf_kernel != NULL:
        if lapack_t is float:
            return (<lm_getrf_f>p.getrf_kernel)(m, n, a, p.a.rs, p.a.cs, dst, m, piv)
        elif lapack_t is double:
            return (<lm_getrf_d>p.getrf_kernel)(m, n, a, p.a.rs, p.a.cs, dst, m, piv)
    _load(nt, a, p.a.rs, p.a.cs, dst, m, n, m)
    return _getrf_tiny(nt, dst, m, n, m, piv)


cdef inline void _getrs_tiny(tiny_n* nt, lapack_t* lu, int n, const int* piv, lapack_t* b,
                             int ldb, int nrhs, char trans) noexcept nogil:
    """Solve op(A) X = B in place in the column-major `b`, from the factor of `_getrf_tiny`
    (leading dimension n). op is A ('N'), A^T ('T') or A^H ('C'). U's diagonal is inverted
    once and multiplied, as OpenBLAS's trsm kernels do."""
    cdef lapack_t rd[TINY_MAX]
    cdef int j, c
    n = _size(nt, n)
    for j in range(n):
        rd[j] = 1 / lu[j + j * n]
    if trans == b'N':
        for c in range(nrhs):
            _solve_n(nt, lu, n, piv, rd, b + <Py_ssize_t>c * ldb)
        return
    if trans == b'C':
        for j in range(n):
            rd[j] = _conj(rd[j])
        for j in range(n * n):
            lu[j] = _conj(lu[j])      # the caller's local copy: conj(U)^T, conj(L)^T
    for c in range(nrhs):
        _solve_t(nt, lu, n, piv, rd, b + <Py_ssize_t>c * ldb)
    if trans == b'C':
        for j in range(n * n):
            lu[j] = _conj(lu[j])


cdef inline void _getrs_rows(tiny_n* nt, const lapack_t* lu, int n, const int* piv,
                             const lapack_t* b, Py_ssize_t brs, Py_ssize_t bcs, bint eye,
                             lapack_t* x, int nrhs) noexcept nogil:
    """Solve A X = B (A = P L U, the factor of `_getrf_tiny`, leading dimension n) into the
    column-major n x nrhs `x`, reading B strided (rs, cs in elements) or, with `eye`, B = I.
    Many right-hand sides at once: KB columns at a time are held as the rows of a row-major
    block, so each elimination step is a row operation across those columns (contiguous, so
    vectorised). The arithmetic per entry is `_solve_n`'s, in the same order."""
    cdef lapack_t w[TINY_MAX * KB]
    cdef lapack_t rd[TINY_MAX]
    cdef int r[TINY_MAX]
    cdef int i, j, c, c0, kb, q
    cdef lapack_t l, s
    cdef lapack_t* wi
    cdef lapack_t* wj
    cdef const lapack_t* bi
    n = _size(nt, n)
    for j in range(n):
        rd[j] = 1 / lu[j + j * n]
        r[j] = j
    for j in range(n):                  # row j of P^T B is row r[j] of B
        q = r[j]
        r[j] = r[piv[j]]
        r[piv[j]] = q
    c0 = 0
    while c0 < nrhs:
        kb = min(<int>KB, nrhs - c0)
        for i in range(n):
            wi = w + i * kb
            if eye:
                for c in range(kb):
                    wi[c] = 0
                if r[i] >= c0 and r[i] < c0 + kb:
                    wi[r[i] - c0] = 1
            else:
                bi = b + r[i] * brs + c0 * bcs
                for c in range(kb):
                    wi[c] = bi[c * bcs]
        for j in range(n):              # L Y = P^T B
            wj = w + j * kb
            for i in range(j + 1, n):
                l = lu[i + j * n]
                wi = w + i * kb
                for c in range(kb):
                    wi[c] = wi[c] - l * wj[c]
        for j in range(n - 1, -1, -1):  # U X = Y
            wj = w + j * kb
            s = rd[j]
            for c in range(kb):
                wj[c] = wj[c] * s
            for i in range(j):
                l = lu[i + j * n]
                wi = w + i * kb
                for c in range(kb):
                    wi[c] = wi[c] - l * wj[c]
        for c in range(kb):
            wi = x + <Py_ssize_t>(c0 + c) * n
            for i in range(n):
                wi[i] = w[i * kb + c]
        c0 += kb


cdef inline void _getri_tiny(tiny_n* nt, const lapack_t* lu, int n, const int* piv,
                             lapack_t* x) noexcept nogil:
    """The inverse of A = P L U into the column-major `x`: A^-1 = (LU)^-1 P^T, and P^T e_c is
    e_i where r[i] = c (r: the swaps applied to 0..n-1), so column r[i] of A^-1 is
    (LU)^-1 e_i, whose forward solve starts at row i."""
    cdef lapack_t rd[TINY_MAX]
    cdef int r[TINY_MAX]
    cdef int i, j, c, q
    cdef lapack_t t
    cdef lapack_t* col
    n = _size(nt, n)
    for j in range(n):
        rd[j] = 1 / lu[j + j * n]
        r[j] = j
    for j in range(n):
        q = r[j]
        r[j] = r[piv[j]]
        r[piv[j]] = q
    for c in range(n):
        col = x + r[c] * n
        for i in range(n):
            col[i] = 0
        col[c] = 1
        for j in range(c, n):
            t = col[j]
            for i in range(j + 1, n):
                col[i] = col[i] - lu[i + j * n] * t
        for j in range(n - 1, -1, -1):
            t = col[j] * rd[j]
            col[j] = t
            for i in range(j):
                col[i] = col[i] - lu[i + j * n] * t


cdef inline void _solve_n(tiny_n* nt, const lapack_t* lu, int n, const int* piv,
                          const lapack_t* rd, lapack_t* x) noexcept nogil:
    """A = P L U: x <- P^T x, then L y = x (unit lower), then U x = y."""
    cdef int i, j
    cdef lapack_t t
    n = _size(nt, n)
    for i in range(n):
        t = x[i]
        x[i] = x[piv[i]]
        x[piv[i]] = t
    for j in range(n):
        t = x[j]
        for i in range(j + 1, n):
            x[i] = x[i] - lu[i + j * n] * t
    for j in range(n - 1, -1, -1):
        t = x[j] * rd[j]
        x[j] = t
        for i in range(j):
            x[i] = x[i] - lu[i + j * n] * t


cdef inline void _solve_t(tiny_n* nt, const lapack_t* lu, int n, const int* piv,
                          const lapack_t* rd, lapack_t* x) noexcept nogil:
    """A^T = U^T L^T P^T: U^T y = x (forward), L^T z = y (backward, unit), x = P z."""
    cdef int i, j
    cdef lapack_t s, t
    n = _size(nt, n)
    for j in range(n):
        s = x[j]
        for i in range(j):
            s = s - lu[i + j * n] * x[i]
        x[j] = s * rd[j]
    for j in range(n - 1, -1, -1):
        s = x[j]
        for i in range(j + 1, n):
            s = s - lu[i + j * n] * x[i]
        x[j] = s
    for i in range(n - 1, -1, -1):
        t = x[i]
        x[i] = x[piv[i]]
        x[piv[i]] = t


cdef inline void _load(tiny_n* nt, const lapack_t* src, Py_ssize_t rs, Py_ssize_t cs,
                       lapack_t* dst, int rows, int cols, Py_ssize_t ld) noexcept nogil:
    """Copy a strided rows x cols matrix into column-major `dst` (leading dimension ld); a
    size tag other than _NX means a square matrix of its size with ld = rows."""
    cdef int i, j
    if not tiny_n is _NX:
        rows = cols = ld = _size(nt, rows)
    for j in range(cols):
        for i in range(rows):
            dst[i + j * ld] = src[i * rs + j * cs]


cdef inline void _load_t(const lapack_t* src, Py_ssize_t rs, Py_ssize_t cs, lapack_t* dst,
                         int n) noexcept nogil:
    """Copy a strided n x n matrix into row-major `dst`: LAPACK reads it as the transpose."""
    cdef int i, j
    for i in range(n):
        for j in range(n):
            dst[i * n + j] = src[i * rs + j * cs]


cdef inline void _conj_inplace(lapack_t* x, Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t i
    if lapack_t is c64 or lapack_t is c128:
        for i in range(count):
            x[i] = x[i].conjugate()


cdef inline bint _odd(const int* piv, int n, int base) noexcept nogil:
    """Whether the row swaps of `base`-based pivots (0: ours, 1: LAPACK's) are odd."""
    cdef int j
    cdef bint odd = False
    for j in range(n):
        if piv[j] - base != j:
            odd = not odd
    return odd


cdef inline void _det_from_diag(const lapack_t* diag, Py_ssize_t step, int n, bint odd,
                                int kind, lapack_t* out, void* out2) noexcept nogil:
    """det, or (sign, log|det|), from an LU factor: the product of U's diagonal (n entries
    `step` apart) and the permutation's parity."""
    cdef int j
    cdef lapack_t d, prod = 1
    cdef double mag, mant = 1
    cdef int e, ex = 0
    if kind == DET:
        for j in range(n):
            prod = prod * diag[j * step]
        out[0] = -prod if odd else prod
        return
    for j in range(n):
        d = diag[j * step]
        mag = _abs(d)
        # log|det| as one log of a running product, renormalised by frexp (exact) when it
        # leaves [2^-500, 2^500]; 0, inf and NaN land there too and carry through to the log
        mant = mant * mag
        if not (mant < 3.273390607896142e150 and mant > 3.054936363499605e-151):
            mant = frexp(mant, &e)
            ex += e
        if lapack_t is float or lapack_t is double:
            # sgn: NaN gives 0, as PyTorch's sign of a NaN determinant
            prod = prod * ((d > 0) - (d < 0))
        else:
            if mag == 0:
                prod = 0
            else:
                prod = prod * (d / mag)
    out[0] = -prod if odd else prod
    mag = log(mant) + ex * M_LN2
    if lapack_t is float or lapack_t is c64:
        (<float*>out2)[0] = <float>mag
    else:
        (<double*>out2)[0] = mag


# -- LAPACK -------------------------------------------------------------------------------------

cdef inline void _getrf(int m, int n, lapack_t* a, int lda, int* piv, int* info) noexcept nogil:
    if lapack_t is float:
        sgetrf(&m, &n, a, &lda, piv, info)
    elif lapack_t is double:
        dgetrf(&m, &n, a, &lda, piv, info)
    elif lapack_t is c64:
        cgetrf(&m, &n, a, &lda, piv, info)
    else:
        zgetrf(&m, &n, a, &lda, piv, info)


cdef inline void _getrs(char trans, int n, int nrhs, lapack_t* a, int lda, int* piv,
                        lapack_t* b, int ldb) noexcept nogil:
    cdef int info
    if lapack_t is float:
        sgetrs(&trans, &n, &nrhs, a, &lda, piv, b, &ldb, &info)
    elif lapack_t is double:
        dgetrs(&trans, &n, &nrhs, a, &lda, piv, b, &ldb, &info)
    elif lapack_t is c64:
        cgetrs(&trans, &n, &nrhs, a, &lda, piv, b, &ldb, &info)
    else:
        zgetrs(&trans, &n, &nrhs, a, &lda, piv, b, &ldb, &info)


cdef inline void _getri(int n, lapack_t* a, int* piv, lapack_t* work, int lwork,
                        int* info) noexcept nogil:
    if lapack_t is float:
        sgetri(&n, a, &n, piv, work, &lwork, info)
    elif lapack_t is double:
        dgetri(&n, a, &n, piv, work, &lwork, info)
    elif lapack_t is c64:
        cgetri(&n, a, &n, piv, work, &lwork, info)
    else:
        zgetri(&n, a, &n, piv, work, &lwork, info)


cdef inline void _check_getrf(const lapack_t* a, int n, Span sa, const int* piv,
                              Span spiv) noexcept nogil:
    """The extents ?getrf (and ?getri, which takes the same arguments) touches for a square
    n x n `a` with lda = n (_extent.h)."""
    check_mat("?getrf/?getri A", a, n, n, n, sizeof(lapack_t), sa)
    check_vec("?getrf/?getri ipiv", piv, n, 1, sizeof(int), spiv)


cdef inline void _check_getrs(const lapack_t* a, int n, int lda, Span sa, const int* piv,
                              Span spiv, const lapack_t* b, int k, Span sb) noexcept nogil:
    """The extents ?getrs(trans, n, k, a, lda, piv, b, ldb = n) touches (_extent.h)."""
    check_mat("?getrs A", a, n, n, lda, sizeof(lapack_t), sa)
    check_vec("?getrs ipiv", piv, n, 1, sizeof(int), spiv)
    check_mat("?getrs B", b, n, k, n, sizeof(lapack_t), sb)


cdef int _getri_lwork(lapack_t* tag, int n):
    """getri's optimal workspace for n x n, from a workspace query (lwork = -1)."""
    cdef lapack_t a = 1, work = 0
    cdef int piv = 1, info = 0
    check_vec("?getri work (query)", &work, 1, 1, sizeof(lapack_t), span_at(&work, sizeof(work)))
    _getri(n, &a, &piv, &work, -1, &info)
    return max(n, <int>_abs(work))


# -- one matrix of each kind --------------------------------------------------------------------

cdef inline void _one_tiny(lapack_t* tag, tiny_n* nt, Plan* p, Py_ssize_t i, Py_ssize_t oa,
                           Py_ssize_t ob, Py_ssize_t op) noexcept nogil:
    """Matrix i of the batch through the loops above: n x n of the tag's size, or any m x n
    (n <= TINY, or TINY_MAX with the plan's vectorised factor) with _NX."""
    cdef lapack_t w[TINY_MAX * TINY_MAX]
    cdef int piv[TINY_MAX]
    cdef int j, m = p.m, n = _size(nt, p.n), k = p.k, info
    cdef lapack_t* out = <lapack_t*>(p.out + i * p.out_step)
    cdef const lapack_t* a = <const lapack_t*>(p.a.data + oa)
    cdef const lapack_t* b = <const lapack_t*>(p.b.data + ob)
    cdef const int* lpiv
    cdef _NX* any_n = NULL              # for the right-hand sides: k is not the tag's size
    if p.kind == LU:
        p.info[i] = _load_factor(nt, p, a, out, m, n, piv)
        for j in range(min(m, n)):
            (<int*>(p.out2 + i * p.out2_step))[j] = piv[j] + 1
        return
    if p.kind == LU_SOLVE:
        _load(nt, a, p.a.rs, p.a.cs, w, n, n, n)
        lpiv = <const int*>(p.piv.data + op)
        for j in range(n):
            piv[j] = lpiv[j] - 1
        if p.trans == b'N' and not p.conj and k >= ROWS_K:
            _getrs_rows(nt, w, n, piv, b, p.b.rs, p.b.cs, False, out, k)
            return
        _load(any_n, b, p.b.rs, p.b.cs, out, n, k, n)
        if p.conj:
            _conj_inplace(out, <Py_ssize_t>n * k)
        _getrs_tiny(nt, w, n, piv, out, n, k, p.trans)
        if p.conj:
            _conj_inplace(out, <Py_ssize_t>n * k)
        return
    info = _load_factor(nt, p, a, w, n, n, piv)
    if p.kind == DET or p.kind == SLOGDET:
        _det_from_diag(w, n + 1, n, _odd(piv, n, 0), p.kind, out, p.out2 + i * p.out2_step)
        return
    p.info[i] = info
    if p.kind == SOLVE:
        if k >= ROWS_K:
            _getrs_rows(nt, w, n, piv, b, p.b.rs, p.b.cs, False, out, k)
        else:
            _load(any_n, b, p.b.rs, p.b.cs, out, n, k, n)
            _getrs_tiny(nt, w, n, piv, out, n, k, <char>b'N')
    elif info:                          # INV of a singular matrix: NaN, as LAPACK's path
        for j in range(n * n):
            out[j] = NAN
    elif n >= INV_ROWS_N:
        _getrs_rows(nt, w, n, piv, <const lapack_t*>NULL, 0, 0, True, out, n)
    else:
        _getri_tiny(nt, w, n, piv, out)


cdef inline void _one_lapack(lapack_t* tag, Plan* p, Py_ssize_t i, Py_ssize_t oa,
                             Py_ssize_t ob, Py_ssize_t op, lapack_t* scratch) noexcept nogil:
    """Matrix i of the batch through LAPACK. scratch: n*n elements (a factor that is not an
    output), then n ints of pivots, then getri's workspace."""
    cdef int n = p.n, m = p.m, k = p.k, info = 0, j, lda
    cdef lapack_t* out = <lapack_t*>(p.out + i * p.out_step)
    cdef const lapack_t* a = <const lapack_t*>(p.a.data + oa)
    cdef int* piv = <int*>(scratch + <Py_ssize_t>n * n)
    cdef lapack_t* work = <lapack_t*>(piv + ((n + 7) // 8) * 8)
    cdef lapack_t* lu
    cdef _NX* nx = NULL
    cdef Span ss = span_at(scratch, p.scratch_step), slu
    if p.kind == LU:
        _load(nx, a, p.a.rs, p.a.cs, out, m, n, m)
        check_mat("?getrf A", out, m, n, m, sizeof(lapack_t), p.sout)
        check_vec("?getrf ipiv", p.out2 + i * p.out2_step, min(m, n), 1, sizeof(int), p.sout2)
        _getrf(m, n, out, m, <int*>(p.out2 + i * p.out2_step), &p.info[i])
    elif p.kind == INV:
        _load(nx, a, p.a.rs, p.a.cs, out, n, n, n)
        _check_getrf(out, n, p.sout, piv, ss)
        _getrf(n, n, out, n, piv, &info)
        if info == 0:
            _check_getrf(out, n, p.sout, piv, ss)
            check_vec("?getri work", work, p.lwork, 1, sizeof(lapack_t), ss)
            _getri(n, out, piv, work, p.lwork, &info)
        if info:
            for j in range(n * n):
                out[j] = NAN
        p.info[i] = info
    elif p.kind == SOLVE:
        # A copied row-major: LAPACK factors A^T, and getrs('T') solves A X = B with it.
        _load_t(a, p.a.rs, p.a.cs, scratch, n)
        _check_getrf(scratch, n, ss, piv, ss)
        _getrf(n, n, scratch, n, piv, &info)
        _load(nx, <const lapack_t*>(p.b.data + ob), p.b.rs, p.b.cs, out, n, k, n)
        _check_getrs(scratch, n, n, ss, piv, ss, out, k, p.sout)
        _getrs(<char>b'T', n, k, scratch, n, piv, out, n)
        p.info[i] = info
    elif p.kind == LU_SOLVE:
        if p.lu_direct:
            lu, lda, slu = <lapack_t*>a, <int>p.a.cs, p.sa
        else:
            _load(nx, a, p.a.rs, p.a.cs, scratch, n, n, n)
            lu, lda, slu = scratch, n, ss
        _load(nx, <const lapack_t*>(p.b.data + ob), p.b.rs, p.b.cs, out, n, k, n)
        if p.conj:
            _conj_inplace(out, <Py_ssize_t>n * k)
        _check_getrs(lu, n, lda, slu, <int*>(p.piv.data + op), p.spiv, out, k, p.sout)
        _getrs(p.trans, n, k, lu, lda, <int*>(p.piv.data + op), out, n)
        if p.conj:
            _conj_inplace(out, <Py_ssize_t>n * k)
    else:
        _load(nx, a, p.a.rs, p.a.cs, scratch, n, n, n)
        _check_getrf(scratch, n, ss, piv, ss)
        _getrf(n, n, scratch, n, piv, &info)
        _det_from_diag(scratch, n + 1, n, _odd(piv, n, 1), p.kind, out,
                       p.out2 + i * p.out2_step)


cdef inline void _seek(Plan* p, Py_ssize_t i, Py_ssize_t* idx, Py_ssize_t* oa, Py_ssize_t* ob,
                       Py_ssize_t* op) noexcept nogil:
    """The batch index of matrix i (C order over the batch dims) and its operands' offsets."""
    cdef int d
    oa[0] = ob[0] = op[0] = 0
    for d in range(p.ndim - 1, -1, -1):
        idx[d] = i % p.shape[d]
        i = i // p.shape[d]
        oa[0] += idx[d] * p.a.strides[d]
        ob[0] += idx[d] * p.b.strides[d]
        op[0] += idx[d] * p.piv.strides[d]


cdef inline void _advance(Plan* p, Py_ssize_t* idx, Py_ssize_t* oa, Py_ssize_t* ob,
                          Py_ssize_t* op) noexcept nogil:
    """The next batch index, odometer style."""
    cdef int d = p.ndim - 1
    while d >= 0:
        idx[d] += 1
        oa[0] += p.a.strides[d]
        ob[0] += p.b.strides[d]
        op[0] += p.piv.strides[d]
        if idx[d] < p.shape[d]:
            break
        oa[0] -= p.a.strides[d] * p.shape[d]
        ob[0] -= p.b.strides[d] * p.shape[d]
        op[0] -= p.piv.strides[d] * p.shape[d]
        idx[d] = 0
        d -= 1


cdef void _run_lanes(lapack_t* tag, Plan* p, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """det, slogdet, solve or inv of matrices lo..hi-1, `p.lanes` at a time through the
    _simd_lu.h kernel; a short last group repeats its last matrix in the spare lanes (writing
    its result twice), so every matrix goes through the same instructions whatever the batch's
    split across threads."""
    cdef Py_ssize_t idx[MAXDIM]
    cdef Py_ssize_t i, j, oa, ob, op, sa = 0, sb = 0
    cdef const lapack_t* mats[LM_LANES_MAX]
    cdef const lapack_t* rhs[LM_LANES_MAX]
    cdef lapack_t* outs[LM_LANES_MAX]
    cdef lapack_t* logs[LM_LANES_MAX]
    cdef lapack_t diag[LM_LANES_MAX * LM_LU_MAX]
    cdef int odd[LM_LANES_MAX]
    cdef int info[LM_LANES_MAX]
    cdef int b, lanes = p.lanes, count, k = 0, n = p.n
    cdef bint slog = p.kind == SLOGDET
    # with k = 0 and outs given the kernel writes determinants: a solve with no right-hand
    # side has no output to write them to
    cdef bint det = p.kind == DET or slog
    # One batch dim (the common case) steps by a stride: the odometer cost ~1-2 ns a matrix.
    cdef bint linear = p.ndim <= 1
    cdef const lapack_t** rhs_arg = rhs if p.kind == SOLVE else NULL
    cdef lapack_t* diag_arg = diag if slog else NULL
    cdef lapack_t** outs_arg
    cdef lapack_t d
    if p.kind == SOLVE:
        k = p.k
    elif p.kind == INV:
        k = n
    outs_arg = outs if k > 0 or det else NULL
    if p.ndim == 1:
        sa, sb = p.a.strides[0], p.b.strides[0]
    if not linear:
        _seek(p, lo, idx, &oa, &ob, &op)
    i = lo
    while i < hi:
        count = <int>min(lanes, hi - i)
        for b in range(lanes):
            j = i + min(b, count - 1)
            outs[b] = <lapack_t*>(p.out + j * p.out_step)
            if slog:
                logs[b] = <lapack_t*>(p.out2 + j * p.out2_step)
            if linear:
                mats[b] = <const lapack_t*>(p.a.data + j * sa)
                rhs[b] = <const lapack_t*>(p.b.data + j * sb)
                continue
            mats[b] = <const lapack_t*>(p.a.data + oa)
            rhs[b] = <const lapack_t*>(p.b.data + ob)
            if b + 1 < count:
                _advance(p, idx, &oa, &ob, &op)
        if not linear:
            _advance(p, idx, &oa, &ob, &op)
        if lapack_t is float:
            (<lm_lu_f>p.lanes_kernel)(n, mats, p.a.rs, p.a.cs, k, rhs_arg, p.b.rs, p.b.cs,
                                      outs_arg, logs, diag_arg, odd, info)
        elif lapack_t is double:
            (<lm_lu_d>p.lanes_kernel)(n, mats, p.a.rs, p.a.cs, k, rhs_arg, p.b.rs, p.b.cs,
                                      outs_arg, logs, diag_arg, odd, info)
        if p.kind == DET:   # the kernel wrote the determinants
            i += count
            continue
        for b in range(count):
            if slog:
                d = outs[b][0]
                # the kernel's sign and log|det|, unless its product left the range (NaN)
                if lapack_t is float or lapack_t is double:
                    if d != d:
                        _det_from_diag(diag + b, lanes, n, odd[b], p.kind, outs[b], logs[b])
                continue
            p.info[i + b] = info[b]
            if info[b] and p.kind == INV:   # a singular matrix's inverse is NaN, as LAPACK's path
                for j in range(<Py_ssize_t>n * n):
                    outs[b][j] = NAN
        i += count


cdef void _run(lapack_t* tag, Plan* p, Py_ssize_t lo, Py_ssize_t hi,
               lapack_t* scratch) noexcept nogil:
    """Matrices lo..hi-1 of the batch (C order over the batch dims)."""
    cdef Py_ssize_t idx[MAXDIM]
    cdef Py_ssize_t i, oa, ob, op
    cdef int n = p.n
    if (lapack_t is float or lapack_t is double) and p.lanes_kernel != NULL:
        _run_lanes(tag, p, lo, hi)
        return
    _seek(p, lo, idx, &oa, &ob, &op)
    for i in range(lo, hi):
        if not p.tiny:
            _one_lapack(tag, p, i, oa, ob, op, scratch)
        elif n != p.m or n > 4:
            _one_tiny(tag, <_NX*>NULL, p, i, oa, ob, op)
        elif n == 4:
            _one_tiny(tag, <_N4*>NULL, p, i, oa, ob, op)
        elif n == 3:
            _one_tiny(tag, <_N3*>NULL, p, i, oa, ob, op)
        elif n == 2:
            _one_tiny(tag, <_N2*>NULL, p, i, oa, ob, op)
        else:
            _one_tiny(tag, <_N1*>NULL, p, i, oa, ob, op)
        _advance(p, idx, &oa, &ob, &op)


# Real det, slogdet, solve and inv of n <= LM_LU_MAX factor a vector's worth of matrices at once
# (_simd_lu.h). Measured on one thread (AVX-512 host, float64, medians, ms), scalar loops vs
# lanes at AVX2 (4 lanes) / AVX-512 (8 lanes):
#   n, batch        det                 solve, 1 rhs        inv
#   4, 100000       5.6 / 3.0 / 2.5     6.3 / 3.4 / 2.6     8.0 / 4.5 / 3.6
#   8, 50000        10.8 / 8.0 / 4.6    10.7 / 8.4 / 5.0    16.7 / 17.8 / 10.8
#   16, 20000       23.7 / 17.4 / 10.3  19.2 / 20.3 / 11.3  43.4 / 44.7 / 31.1
# so at AVX2 solve takes them up to n = 8 and inv up to 4; below AVX2 (2 lanes) never.
cdef bint _use_lanes(int kind, Py_ssize_t n, int level) noexcept:
    if n < 2 or n > LM_LU_MAX or level < LM_AVX2:
        return False
    if kind == DET or kind == SLOGDET:
        return True
    if level > LM_AVX2:
        return kind == SOLVE or kind == INV
    return (kind == SOLVE and n <= 8) or (kind == INV and n <= 4)


cdef bint _use_getrf(int kind, Py_ssize_t m, Py_ssize_t n, int level) noexcept:
    """Whether a real m x n factor goes through _simd_blocked.h (measurements above TINY)."""
    if level < LM_AVX2 or max(m, n) < GETRF_MIN or max(m, n) > LM_BLOCKED_MAX:
        return False
    return kind != INV or max(m, n) <= TINY


cdef class _Job:
    """A planned call: the arrays it keeps alive and the range each thread runs."""
    cdef Plan p
    cdef object keep


cdef void _range(void* plan, Py_ssize_t t) noexcept nogil:
    """Thread t's range of the Plan `plan` (the team's task)."""
    cdef Plan* p = <Plan*>plan
    cdef Py_ssize_t lo = p.nbatch * t // p.threads, hi = p.nbatch * (t + 1) // p.threads
    cdef char* scratch = p.scratch
    if scratch != NULL:
        scratch += t * p.scratch_step
    if p.typenum == cnp.NPY_FLOAT32:
        _run(<float*>NULL, p, lo, hi, <float*>scratch)
    elif p.typenum == cnp.NPY_FLOAT64:
        _run(<double*>NULL, p, lo, hi, <double*>scratch)
    elif p.typenum == cnp.NPY_COMPLEX64:
        _run(<c64*>NULL, p, lo, hi, <c64*>scratch)
    else:
        _run(<c128*>NULL, p, lo, hi, <c128*>scratch)


# -- planning (GIL held) ------------------------------------------------------------------------

_TYPES = {np.dtype(c): np.dtype(c) for c in "fdFD"}


cdef _operand(Operand* o, cnp.ndarray x, tuple batch, int item, bint matrix):
    """Point `o` at `x`, whose leading dims are `batch` (broadcast: stride 0) and whose last one
    or two dims are the matrix (or a pivot vector)."""
    cdef int d, nb = len(batch), nd = x.ndim
    if (<object>x).shape[:nb] != batch:
        raise ValueError(f"lu kernel: batch dims of {(<object>x).shape} are not {batch}")
    for d in range(nd):
        if x.strides[d] % item:
            raise ValueError("lu kernel: unaligned strides")
    o.data = cnp.PyArray_BYTES(x)
    for d in range(nb):
        o.strides[d] = x.strides[d] if x.shape[d] > 1 else 0
    if matrix:
        o.rs, o.cs = x.strides[nd - 2] // item, x.strides[nd - 1] // item
    else:
        o.rs, o.cs = 0, x.strides[nd - 1] // item


cdef _Job _plan(int kind, cnp.ndarray a, cnp.ndarray b, cnp.ndarray piv, int k):
    """Check `a` (and `b`, `piv`) and fill a plan; outputs are allocated by the caller."""
    if a.dtype not in _TYPES or (b is not None and b.dtype != a.dtype):
        raise TypeError(f"lu kernel: unsupported dtype {a.dtype}")
    if a.ndim < 2:
        raise ValueError("lu kernel: expected matrices")
    cdef Py_ssize_t m = a.shape[a.ndim - 2], n = a.shape[a.ndim - 1]
    if m > INT_MAX or n > INT_MAX or k > INT_MAX or m * max(n, k) > INT_MAX:
        raise ValueError("lu kernel: matrix too large for LP64 LAPACK")
    if kind != LU and m != n:
        raise ValueError("lu kernel: expected square matrices")
    batch = (<object>a).shape[:-2]
    if len(batch) > MAXDIM:
        raise ValueError("lu kernel: too many batch dims")
    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    cdef int item = a.itemsize, d
    p.typenum, p.kind = cnp.PyArray_TYPE(a), kind
    p.m, p.n, p.k = m, n, k
    p.ndim = len(batch)
    p.nbatch = 1
    for d in range(p.ndim):
        p.shape[d] = batch[d]
        p.nbatch *= batch[d]
    _operand(&p.a, a, batch, item, True)
    if EXTENT_ON:
        p.sa = span_of(a)
        p.sb = span_of(b) if b is not None else span_of(a)
        p.spiv = span_of(piv) if piv is not None else span_of(a)
    p.b.data = p.piv.data = NULL
    for d in range(p.ndim):
        p.b.strides[d] = p.piv.strides[d] = 0
    if b is not None:
        if b.shape[b.ndim - 2] != n or b.shape[b.ndim - 1] != k:
            raise ValueError("lu kernel: right-hand sides do not match")
        _operand(&p.b, b, batch, item, True)
    if piv is not None:
        if (piv.dtype != np.int32 or piv.shape[piv.ndim - 1] != n
                or (piv.strides[piv.ndim - 1] != 4 and n > 1 and piv.size)):
            raise ValueError("lu kernel: pivots must be int32 with unit stride")
        _operand(&p.piv, piv, batch, 4, False)
    p.tiny = m <= TINY and n <= TINY
    p.getrf_kernel = NULL
    if (p.typenum == cnp.NPY_FLOAT32 or p.typenum == cnp.NPY_FLOAT64) and _use_getrf(
            kind, m, n, simd_level()):
        p.tiny = True
        if p.typenum == cnp.NPY_FLOAT32:
            p.getrf_kernel = <void*>lm_getrf_float(simd_level())
        else:
            p.getrf_kernel = <void*>lm_getrf_double(simd_level())
    p.lanes_kernel = NULL
    if _use_lanes(kind, n, simd_level()):
        if p.typenum == cnp.NPY_FLOAT32:
            p.lanes_kernel = <void*>lm_lu_float(n, simd_level(), &p.lanes)
        elif p.typenum == cnp.NPY_FLOAT64:
            p.lanes_kernel = <void*>lm_lu_double(n, simd_level(), &p.lanes)
    p.lu_direct = (p.a.rs == 1 and p.a.cs >= max(1, n) and p.a.cs <= INT_MAX)
    p.trans, p.conj = b'N', False
    p.lwork = 0
    p.out = p.out2 = NULL
    p.info = NULL
    p.scratch = NULL
    p.scratch_step = 0
    return job


cdef _launch(_Job job, tuple keep):
    """Size the per-thread scratch, pick the thread count and run the plan."""
    cdef Plan* p = &job.p
    cdef Py_ssize_t n = p.n, item, elems = 0
    if p.nbatch == 0 or p.m == 0 or p.n == 0:
        return
    item = np.dtype(_TYPENAMES[p.typenum]).itemsize
    if not p.tiny:
        if p.kind == INV:
            if p.typenum == cnp.NPY_FLOAT32:
                p.lwork = _getri_lwork(<float*>NULL, p.n)
            elif p.typenum == cnp.NPY_FLOAT64:
                p.lwork = _getri_lwork(<double*>NULL, p.n)
            elif p.typenum == cnp.NPY_COMPLEX64:
                p.lwork = _getri_lwork(<c64*>NULL, p.n)
            else:
                p.lwork = _getri_lwork(<c128*>NULL, p.n)
        # n*n factor, n pivots (rounded up to 8 ints), the getri workspace
        elems = n * n + ((n + 7) // 8 * 8 * 4 + item - 1) // item + p.lwork
    cdef Py_ssize_t work = p.nbatch * n * n * (n + p.k)
    cdef Py_ssize_t threads = min(_threads.get_num_threads(), p.nbatch)
    if not _threads.split_every_batch and (
            (not p.tiny and (not _threads.BLAS_CONTROL or n < LAPACK_PARALLEL_N))
            or work < PARALLEL_WORK or (n >= BLAS_THREADED_N and p.nbatch < 4 * threads)):
        threads = 1
    p.threads = threads
    p.scratch_step = (elems * item + 63) // 64 * 64          # a cache line apart
    buf = None
    if elems:
        buf = np.empty(threads * p.scratch_step, dtype=np.uint8)
        p.scratch = cnp.PyArray_BYTES(buf)
        _workspace.note("lu", threads, p.scratch_step)
    job.keep = keep + (buf,)
    run_team(_range, p, threads, not p.tiny and n >= BLAS_THREADED_N)


_TYPENAMES = {cnp.NPY_FLOAT32: "f", cnp.NPY_FLOAT64: "d", cnp.NPY_COMPLEX64: "F",
              cnp.NPY_COMPLEX128: "D"}


cdef object _output(Plan* p, tuple shape, dtype, fill):
    """An output of `shape`: from the pool when the kernels write all of it (a block fresh from
    malloc can come back unmapped, _pool.h), else `fill` throughout, which is what a batch of
    empty matrices gives (det 1, log|det| 0, info 0)."""
    if p.m and p.n:
        return empty_as(shape, dtype)
    return np.full(shape, fill, dtype=dtype)


# -- entry points -------------------------------------------------------------------------------

def lu_factor(cnp.ndarray a):
    """getrf of every (m, n) matrix of `a`: (lu, piv, info) as described at the top; `lu` is
    returned as the (*, m, n) transposed view of its column-major buffer."""
    cdef _Job job = _plan(LU, a, None, None, 0)
    cdef Plan* p = &job.p
    batch = (<object>a).shape[:-2]
    cdef Py_ssize_t m = p.m, n = p.n
    lu = empty_shaped(batch + (n, m), p.typenum)
    piv = np.empty(batch + (min(m, n),), dtype=np.int32)
    info = _output(p, batch, np.int32, 0)
    p.out, p.out_step = cnp.PyArray_BYTES(lu), m * n * a.itemsize
    p.out2, p.out2_step = cnp.PyArray_BYTES(piv), min(m, n) * 4
    p.info = <int*>cnp.PyArray_BYTES(info)
    if EXTENT_ON:
        p.sout, p.sout2 = span_of(lu), span_of(piv)
    _launch(job, (a, lu, piv, info))
    return lu.swapaxes(-1, -2), piv, info


def inv(cnp.ndarray a):
    """The inverse of every (n, n) matrix of `a`, as the transposed view of a column-major
    buffer, and getrf/getri's info. A singular matrix's inverse is all NaN."""
    cdef _Job job = _plan(INV, a, None, None, 0)
    cdef Plan* p = &job.p
    batch = (<object>a).shape[:-2]
    out = empty_shaped(batch + (p.n, p.n), p.typenum)
    info = _output(p, batch, np.int32, 0)
    p.out, p.out_step = cnp.PyArray_BYTES(out), p.n * p.n * a.itemsize
    p.info = <int*>cnp.PyArray_BYTES(info)
    if EXTENT_ON:
        p.sout = span_of(out)
    _launch(job, (a, out, info))
    return out.swapaxes(-1, -2), info


def solve(cnp.ndarray a, cnp.ndarray b):
    """X with A X = B for (n, n) A and (n, k) B of one batch shape: (X, info); X is the
    transposed view of a column-major buffer. info is getrf's (a singular A gives inf/NaN)."""
    cdef _Job job = _plan(SOLVE, a, b, None, b.shape[b.ndim - 1])
    cdef Plan* p = &job.p
    batch = (<object>a).shape[:-2]
    out = empty_shaped(batch + (p.k, p.n), p.typenum)
    info = _output(p, batch, np.int32, 0)
    p.out, p.out_step = cnp.PyArray_BYTES(out), p.n * p.k * a.itemsize
    p.info = <int*>cnp.PyArray_BYTES(info)
    if EXTENT_ON:
        p.sout = span_of(out)
    _launch(job, (a, b, out, info))
    return out.swapaxes(-1, -2), info


def lu_solve(cnp.ndarray lu, cnp.ndarray piv, cnp.ndarray b, str trans="N", bint conj=False):
    """X with op(A) X = B from getrf's factor `lu` (n, n) and 1-based int32 `piv` (n,), which
    the caller has checked lie in 1..n; op is A, A^T or A^H (`trans` N, T, C). With `conj`,
    B is conjugated on entry and X on exit (solves conj(op(A)) X = B)."""
    cdef _Job job = _plan(LU_SOLVE, lu, b, piv, b.shape[b.ndim - 1])
    cdef Plan* p = &job.p
    batch = (<object>lu).shape[:-2]
    if trans not in ("N", "T", "C"):
        raise ValueError(f"lu kernel: trans must be N, T or C, not {trans!r}")
    p.trans, p.conj = ord(trans), conj
    out = empty_shaped(batch + (p.k, p.n), p.typenum)
    p.out, p.out_step = cnp.PyArray_BYTES(out), p.n * p.k * lu.itemsize
    if EXTENT_ON:
        p.sout = span_of(out)
    _launch(job, (lu, piv, b, out))
    return out.swapaxes(-1, -2)


def det(cnp.ndarray a):
    """The determinant of every (n, n) matrix of `a` (0 for a singular one)."""
    cdef _Job job = _plan(DET, a, None, None, 0)
    cdef Plan* p = &job.p
    batch = (<object>a).shape[:-2]
    out = _output(p, batch, a.dtype, 1)
    p.out, p.out_step = cnp.PyArray_BYTES(out), a.itemsize
    _launch(job, (a, out))
    return out


def slogdet(cnp.ndarray a):
    """(sign, log|det|) of every (n, n) matrix of `a`: sign 0 and -inf for a singular one."""
    cdef _Job job = _plan(SLOGDET, a, None, None, 0)
    cdef Plan* p = &job.p
    batch = (<object>a).shape[:-2]
    sign = _output(p, batch, a.dtype, 1)
    logabs = _output(p, batch, sign.real.dtype, 0)
    p.out, p.out_step = cnp.PyArray_BYTES(sign), a.itemsize
    p.out2, p.out2_step = cnp.PyArray_BYTES(logabs), logabs.itemsize
    _launch(job, (a, sign, logabs))
    return sign, logabs
