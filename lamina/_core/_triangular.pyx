# cython: language_level=3
"""Batched triangular solves: ?trsm (solve_triangular, triangular_solve) and ?potrs
(cholesky_solve, two triangular solves with a Cholesky factor).

Memory contract of `trsm_batched(a, b, out, ...)` and `potrs_batched(a, b, out, upper)`: `a` is
(*batch_a, n, n) (the triangular matrix, or the Cholesky factor), `b` is (*batch_b, rows, cols),
both of one dtype of float32/float64/complex64/complex128, batch dims broadcasting, any strides
(zero and negative included); both are only read. `out` is a C-contiguous (*batch, cols, rows)
array of that dtype, every element written: each solution X (rows x cols) is stored column-major,
so the caller returns `out.swapaxes(-1, -2)`, PyTorch's layout for these results. Nothing else is
written except a per-thread scratch matrix, allocated once per call.

Each matrix of `b` is copied once into `out`, where LAPACK solves in place. `a` is not copied
when LAPACK can address it: a C-ordered (unit column stride) matrix is, read column-major, its
transpose, so the solve runs with the transposed operation and the other triangle named (for
potrs with complex data, the same identity gives the conjugate system, so the right-hand side is
conjugated on its way in and the solution on its way out). Only layouts LAPACK cannot address
(no unit stride, negative or zero strides, a leading dimension past 2^31-1) are copied into the
scratch, column-major, one matrix at a time.

Like PyTorch (which calls ?trsm too), a zero on the diagonal is not an error: the solution then
holds infinities or NaNs. So these kernels report nothing and cannot fail once their checks pass.

Threads: the batch is split into one contiguous range per thread (lamina._core._threads); each
range is a `with nogil:` loop, and every check happens before it, so the loop cannot fail.
"""

cimport numpy as cnp
from libc.limits cimport INT_MAX
from scipy.linalg.cython_blas cimport ctrsm, dtrsm, strsm, ztrsm
from scipy.linalg.cython_lapack cimport cpotrs, dpotrs, spotrs, zpotrs

from ._batch cimport (
    MAXDIM, Cursor, Dims, Loops, Split, advance, alloc_scratch, broadcast, launch, pick_threads,
    seek)
from ._extent cimport EXTENT_ON, Span, check_mat, span_at, span_of
from ._lapack cimport c64, c128, lapack_t

import numpy as np

from . import _threads, _workspace

cnp.import_array()


cdef enum:
    TRSM = 0
    POTRS = 1
    COL = 0              # element (i, j) of A at i + j * lda: LAPACK sees A
    ROW = 1              # at i * lda + j: LAPACK sees A^T
    COPY = 2             # neither: copied column-major into the scratch first
    # Systems up to this n skip LAPACK (see _tiny_solve). cholesky_solve, one thread, medians on
    # a loaded machine (load ~9 on 2 cores): 100000 4x4 float64 with 1 / 16 right-hand sides
    # 18 / 44 ms vs 27 / 86 through dpotrs; 20000 8x8 9 / 31 vs 7 / 32; 16x16 34 / 134 vs
    # 23 / 92, so the loops stop at 8.
    TINY = 8


cdef struct Plan:
    Split split
    Dims dims
    int op
    int n, rows, cols                    # A is n x n; X and B are rows x cols
    bint upper, left, unit, trans
    char* a
    char* b
    char* out
    Py_ssize_t out_step                  # bytes between output matrices
    Py_ssize_t ars, acs, brs, bcs        # matrix strides in elements
    int amode, lda
    bint conj                            # potrs on a ROW factor of complex data
    bint tiny                            # substitution loops, no LAPACK call
    Span sa, sout                        # the arrays' bytes (extent-checked builds only)


cdef inline lapack_t _conj(lapack_t x) noexcept nogil:
    if lapack_t is float or lapack_t is double:
        return x
    else:
        return x.conjugate()


cdef inline void _trsm(char* side, char* uplo, char* trans, char* diag, int* m, int* n,
                       lapack_t* a, int* lda, lapack_t* b, int* ldb) noexcept nogil:
    cdef lapack_t one = 1
    if lapack_t is float:
        strsm(side, uplo, trans, diag, m, n, &one, a, lda, b, ldb)
    elif lapack_t is double:
        dtrsm(side, uplo, trans, diag, m, n, &one, a, lda, b, ldb)
    elif lapack_t is c64:
        ctrsm(side, uplo, trans, diag, m, n, &one, a, lda, b, ldb)
    else:
        ztrsm(side, uplo, trans, diag, m, n, &one, a, lda, b, ldb)


cdef inline void _potrs(char* uplo, int* n, int* nrhs, lapack_t* a, int* lda, lapack_t* b,
                        int* ldb) noexcept nogil:
    cdef int info
    if lapack_t is float:
        spotrs(uplo, n, nrhs, a, lda, b, ldb, &info)
    elif lapack_t is double:
        dpotrs(uplo, n, nrhs, a, lda, b, ldb, &info)
    elif lapack_t is c64:
        cpotrs(uplo, n, nrhs, a, lda, b, ldb, &info)
    else:
        zpotrs(uplo, n, nrhs, a, lda, b, ldb, &info)


# -- small matrices -------------------------------------------------------------------------------

cdef void _subst(const lapack_t* a, Py_ssize_t rs, Py_ssize_t cs, bint conj, bint lower,
                 bint unit, lapack_t* v, Py_ssize_t inc, Py_ssize_t vstep, Py_ssize_t nv,
                 int n) noexcept nogil:
    """v <- N^-1 v for the triangular N(i, j) = a[i * rs + j * cs] (conjugated with `conj`), for
    nv vectors `vstep` apart whose elements are `inc` apart. Row by row across all vectors, so
    their updates are independent and overlap. Divides by the diagonal as reference ?trsm does,
    so a zero on it gives infinities, as PyTorch's solves do."""
    cdef Py_ssize_t i, k, c, last = n if lower else -1, step = 1 if lower else -1
    cdef Py_ssize_t lo, hi
    cdef lapack_t m
    i = 0 if lower else n - 1
    while i != last:
        lo = 0 if lower else i + 1
        hi = i if lower else n
        for k in range(lo, hi):
            m = a[i * rs + k * cs]
            if conj:
                m = _conj(m)
            for c in range(nv):
                v[c * vstep + i * inc] = v[c * vstep + i * inc] - m * v[c * vstep + k * inc]
        if not unit:
            m = a[i * (rs + cs)]
            if conj:
                m = _conj(m)
            for c in range(nv):
                v[c * vstep + i * inc] = v[c * vstep + i * inc] / m
        i += step


cdef void _tiny_solve(const lapack_t* a, lapack_t* x, Plan* p) noexcept nogil:
    """The solve of _solve for n <= TINY, straight from `a`'s strides; x holds B on entry."""
    cdef Py_ssize_t rs = p.ars, cs = p.acs, rows = p.rows, cols = p.cols
    cdef bint a_itself
    if p.op == POTRS:
        # With F = L, or F = U^H (F[i, j] = conj(U[j, i])), A = F F^H: F y = b, then F^H x = y.
        if p.upper:
            _subst(a, cs, rs, True, True, False, x, 1, rows, cols, p.n)
            _subst(a, rs, cs, False, False, False, x, 1, rows, cols, p.n)
        else:
            _subst(a, rs, cs, False, True, False, x, 1, rows, cols, p.n)
            _subst(a, cs, rs, True, False, False, x, 1, rows, cols, p.n)
        return
    # op(A) X = B column by column; X op(A) = B row by row, as op(A)^T x^T = b^T. Either way the
    # matrix applied is A itself when left != trans, else A^T (rows and columns swapped).
    a_itself = p.left != p.trans
    if not a_itself:
        rs, cs = cs, rs
    if p.left:
        _subst(a, rs, cs, False, p.upper != a_itself, p.unit, x, 1, rows, cols, p.n)
    else:
        _subst(a, rs, cs, False, p.upper != a_itself, p.unit, x, rows, 1, rows, p.n)


# -- LAPACK ---------------------------------------------------------------------------------------

cdef void _solve(const lapack_t* a, const lapack_t* b, lapack_t* x, Plan* p,
                 lapack_t* scratch) noexcept nogil:
    """One solve: B into x (column-major, rows x cols), then LAPACK (or the loops) in place."""
    cdef int n = p.n, rows = p.rows, cols = p.cols, lda = p.lda
    cdef Py_ssize_t i, j
    cdef bint upper = p.upper, trans = p.trans
    cdef Span sa = p.sa
    for j in range(cols):
        for i in range(rows):
            if p.conj:
                x[i + j * rows] = _conj(b[i * p.brs + j * p.bcs])
            else:
                x[i + j * rows] = b[i * p.brs + j * p.bcs]
    if p.tiny:
        _tiny_solve(a, x, p)
        return
    if p.amode == COPY:
        for j in range(n):
            for i in range(n):
                scratch[i + j * n] = a[i * p.ars + j * p.acs]
        a, sa = scratch, span_at(scratch, p.split.scratch_step)
    elif p.amode == ROW:            # LAPACK sees A^T: the other triangle, the other operation
        upper = not upper
        trans = not trans
    cdef char* uplo = b"U" if upper else b"L"
    # A is n x n (lda); X rows x cols (ld rows) in the output, for both routines
    check_mat("?potrs A" if p.op == POTRS else "?trsm A", a, n, n, lda, sizeof(lapack_t), sa)
    check_mat("?potrs B" if p.op == POTRS else "?trsm B", x, rows, cols, rows, sizeof(lapack_t),
              p.sout)
    if p.op == POTRS:
        _potrs(uplo, &n, &cols, <lapack_t*>a, &lda, x, &rows)
        if p.conj:
            for i in range(<Py_ssize_t>rows * cols):
                x[i] = _conj(x[i])
        return
    _trsm(b"L" if p.left else b"R", uplo, b"T" if trans else b"N", b"U" if p.unit else b"N",
          &rows, &cols, <lapack_t*>a, &lda, x, &rows)


cdef void _run(lapack_t* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi,
               char* scratch) noexcept nogil:
    """Solves lo..hi-1 of the batch (in C order over the merged batch dims)."""
    cdef Plan* p = <Plan*>plan
    cdef Cursor at
    cdef Py_ssize_t i, oa, ob
    seek(&p.dims, &at, lo, &oa, &ob)
    for i in range(lo, hi):
        _solve(<lapack_t*>(p.a + oa), <lapack_t*>(p.b + ob), <lapack_t*>(p.out + i * p.out_step),
               p, <lapack_t*>scratch)
        advance(&p.dims, &at, &oa, &ob)


cdef Loops _LOOPS = Loops(_run[float], _run[double], _run[c64], _run[c128])


cdef class _Job:
    """A planned call: the arrays it keeps alive and the ranges each thread runs."""
    cdef Plan p
    cdef object keep


# A batch whose total work (nbatch * n^2 * k multiply-adds) is below PARALLEL_WORK stays on one
# thread: waking a sleeping team thread costs up to ~40-140 us here (_team.h).
cdef Py_ssize_t PARALLEL_WORK = 1 << 18

# OpenBLAS threads one trsm from about this much work (m * n * k); from there a short batch runs
# serially with BLAS at lamina's thread count instead of splitting the batch.
cdef Py_ssize_t BLAS_THREADED_WORK = 1 << 21


cdef int _layout(Py_ssize_t n, Py_ssize_t rs, Py_ssize_t cs, int* ld) noexcept:
    """How LAPACK can address an n x n matrix with element strides (rs, cs); sets `ld`."""
    if n == 1:
        ld[0] = 1
        return COL
    if rs == 1 and n <= cs <= INT_MAX:
        ld[0] = <int>cs
        return COL
    if cs == 1 and n <= rs <= INT_MAX:
        ld[0] = <int>rs
        return ROW
    ld[0] = <int>n
    return COPY


# Systems up to this n run the substitution loops instead of a LAPACK call; the tests lower it
# to run the same input through LAPACK.
cdef int _tiny_max = TINY


def _set_tiny_max(int n):
    """Route solves with n up to `n` (<= TINY) to the loops; returns the old bound."""
    global _tiny_max
    if not 0 <= n <= TINY:
        raise ValueError(f"tiny bound {n} outside [0, {TINY}]")
    old, _tiny_max = _tiny_max, n
    return old


cdef _call(int op, cnp.ndarray a, cnp.ndarray b, cnp.ndarray out, bint upper, bint left,
           bint unit, bint trans):
    cdef int typenum = cnp.PyArray_TYPE(a), nda = a.ndim, ndb = b.ndim, d, item
    if typenum != cnp.PyArray_TYPE(b) or typenum not in (
            cnp.NPY_FLOAT32, cnp.NPY_FLOAT64, cnp.NPY_COMPLEX64, cnp.NPY_COMPLEX128):
        raise TypeError(f"triangular kernel: unsupported dtypes {a.dtype}, {b.dtype}")
    ashape, bshape = (<object>a).shape, (<object>b).shape
    if nda < 2 or ndb < 2 or ashape[nda - 1] != ashape[nda - 2]:
        raise ValueError(f"triangular kernel: shapes {ashape} and {bshape} do not fit")
    cdef Py_ssize_t n = ashape[nda - 1], rows = bshape[ndb - 2], cols = bshape[ndb - 1]
    if (rows if left else cols) != n:
        raise ValueError(f"triangular kernel: shapes {ashape} and {bshape} do not fit")
    item = a.itemsize
    if not cnp.PyArray_ISNOTSWAPPED(a) or any(s % item for s in (<object>a).strides):
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))  # rare: copied whole
    if not cnp.PyArray_ISNOTSWAPPED(b) or any(s % item for s in (<object>b).strides):
        b = np.ascontiguousarray(b, dtype=b.dtype.newbyteorder("="))
    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    cdef cnp.npy_intp shape[MAXDIM]
    cdef int nb = broadcast(&p.dims, shape, a, b)
    if nb < 0:
        raise ValueError(f"triangular kernel: batch dims of {ashape} and {bshape} do not "
                         "broadcast")
    if (cnp.PyArray_TYPE(out) != typenum
            or (<object>out).shape != tuple([shape[d] for d in range(nb)]) + (cols, rows)
            or not cnp.PyArray_IS_C_CONTIGUOUS(out) or not cnp.PyArray_ISWRITEABLE(out)):
        raise ValueError("triangular kernel: out must be a writeable C-contiguous "
                         "(*batch, cols, rows) array of the inputs' dtype")
    if n > INT_MAX or rows > INT_MAX or cols > INT_MAX:
        raise ValueError("triangular kernel: a size is past LAPACK's int range")
    cdef Py_ssize_t nbatch = cnp.PyArray_SIZE(out) // max(1, rows * cols)
    if rows == 0 or cols == 0 or nbatch == 0:
        return
    p.op, p.n, p.rows, p.cols = op, n, rows, cols
    p.upper, p.left, p.unit, p.trans = upper, left, unit, trans
    p.a, p.b, p.out = a.data, b.data, out.data
    p.out_step = rows * cols * item
    p.ars, p.acs = a.strides[nda - 2] // item, a.strides[nda - 1] // item
    p.brs, p.bcs = b.strides[ndb - 2] // item, b.strides[ndb - 1] // item
    p.tiny = n <= _tiny_max
    p.amode = COL if p.tiny else _layout(n, p.ars, p.acs, &p.lda)
    if EXTENT_ON:
        p.sa, p.sout = span_of(a), span_of(out)
    p.conj = (op == POTRS and p.amode == ROW
              and typenum in (cnp.NPY_COMPLEX64, cnp.NPY_COMPLEX128))
    cdef Py_ssize_t work = n * n * (cols if left else rows)
    p.split.loops, p.split.typenum, p.split.nbatch = &_LOOPS, typenum, nbatch
    p.split.threads = pick_threads(_threads, nbatch, work, not p.tiny, PARALLEL_WORK,
                                   BLAS_THREADED_WORK)
    job.keep = (a, b, out, alloc_scratch(&p.split, n * n * item if p.amode == COPY else 0))
    if p.split.scratch != NULL:
        _workspace.note("trsm", p.split.threads, p.split.scratch_step)
    launch(&job.p, &job.p.split, not p.tiny and work >= BLAS_THREADED_WORK)


def trsm_batched(cnp.ndarray a, cnp.ndarray b, cnp.ndarray out, bint upper, bint left,
                 bint unit, bint trans):
    """X with op(A) X = B (left) or X op(A) = B, op(A) = A or A^T (trans), A upper or lower
    triangular (its other triangle never read), unit diagonal assumed with `unit`; X into `out`
    column-major. See the module docstring."""
    _call(TRSM, a, b, out, upper, left, unit, trans)


def potrs_batched(cnp.ndarray a, cnp.ndarray b, cnp.ndarray out, bint upper):
    """X with (L L^H) X = B, L the lower Cholesky factor in `a` (U^H U with U upper when
    `upper`), into `out` column-major. See the module docstring."""
    _call(POTRS, a, b, out, upper, True, False, False)
