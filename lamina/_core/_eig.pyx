# cython: language_level=3
"""Batched eigendecomposition of general square matrices: LAPACK ?geev per matrix.

Memory contract of `geev_batched(a, compute_v)`: `a` is (*batch, n, n), one dtype of
float32/float64/complex64/complex128, any strides (zero and negative included); it is only read.
Each matrix is copied once, in column-major order (A itself, not the transpose a C-ordered
buffer would show LAPACK: the transpose identity turns right eigenvectors into left ones), into
a per-thread scratch buffer, since ?geev destroys its input, and decomposed there. Outputs,
allocated once per call, always complex (complex64 for float32/complex64 input, complex128 for
float64/complex128):
  w    (*batch, n) eigenvalues, in ?geev's order, C-contiguous;
  V    (*batch, n, n) right eigenvectors in its columns, each of unit 2-norm with its largest
       component real (?geev's normalisation), returned as the transposed view of a C-contiguous
       (*batch, n, n) buffer: LAPACK writes it column-major, as PyTorch returns it;
  info (*batch,) int32: 0, or ?geev's info > 0 (the QR algorithm failed to converge), or
       NONFINITE where the matrix holds a NaN or an infinity.
Complex input: ?geev writes w and V straight into the outputs. Real input: ?geev's wr, wi and
real vectors go to the scratch and are assembled into the outputs (a conjugate pair
wr[j] +- i wi[j] has the vectors VR[:, j] +- i VR[:, j+1]).
A non-finite matrix is not decomposed (the Hessenberg QR may not return on it) and gets NaN in w
and V. With compute_v false only w and info are computed, V is None.

Threads: the batch is split into one contiguous range per thread (lamina._core._threads), each a
`with nogil:` loop with its own scratch and workspace (queried once per call). One matrix, or a
batch too small to pay for waking a thread, runs on the calling thread, with OpenBLAS's own
threads at lamina's thread count for a large matrix.
"""

cimport numpy as cnp
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.limits cimport INT_MAX
from scipy.linalg.cython_lapack cimport cgeev, dgeev, sgeev, zgeev

from ._batch cimport Loops, Split, alloc_scratch, launch, pick_threads
from ._extent cimport EXTENT_ON, Span, check_mat, check_vec, span_at, span_of
from ._colmajor cimport INFO_NONFINITE, batch_offsets, copy_finite, fill_nan, real_t, round64
from ._lapack cimport c64, c128, lapack_t
from ._pool cimport empty_as

import numpy as np

from . import _threads, _workspace

cnp.import_array()

NONFINITE = INFO_NONFINITE

# A batch whose estimated work (n^3 per matrix plus CALL_COST for ?geev's fixed cost) is below
# PARALLEL_WORK stays on one thread, the bound measured for ?gesdd (lamina/_core/_svd.pyx),
# whose per-call cost is alike; one matrix of at least BLAS_THREADED_WORK runs with OpenBLAS
# threaded.
cdef Py_ssize_t CALL_COST = 2000
cdef Py_ssize_t PARALLEL_WORK = 1 << 18
cdef Py_ssize_t BLAS_THREADED_WORK = 1 << 21


cdef struct Plan:
    Split split                       # scratch per thread: A, work, wr/wi or rwork, VR
    int n, lwork
    bint vectors
    char* a                           # the input's first matrix
    const cnp.npy_intp* offs          # byte offset of each matrix from `a`
    Py_ssize_t rs, cs                 # element strides of a matrix (any sign)
    char* w
    char* v
    int* info
    Py_ssize_t w_step, v_step         # bytes between output matrices
    Py_ssize_t work_at, wr_at, vr_at  # byte offsets inside a thread's scratch
    Span sw, sv                       # the output arrays' bytes (extent-checked builds only)


cdef inline void _geev(char* jobvr, int* n, lapack_t* a, lapack_t* w, lapack_t* wi,
                       lapack_t* vr, int* ldvr, lapack_t* work, int* lwork, void* rwork,
                       int* info) noexcept nogil:
    # Real routines take wr (in `w`) and wi; complex ones take w and a real rwork.
    cdef int one = 1
    if lapack_t is float:
        sgeev(b"N", jobvr, n, a, n, w, wi, NULL, &one, vr, ldvr, work, lwork, info)
    elif lapack_t is double:
        dgeev(b"N", jobvr, n, a, n, w, wi, NULL, &one, vr, ldvr, work, lwork, info)
    elif lapack_t is c64:
        cgeev(b"N", jobvr, n, a, n, w, NULL, &one, vr, ldvr, work, lwork, <float*>rwork, info)
    else:
        zgeev(b"N", jobvr, n, a, n, w, NULL, &one, vr, ldvr, work, lwork, <double*>rwork, info)


cdef inline void _assemble(const real_t* wr, const real_t* wi, const real_t* vr, real_t* w,
                           real_t* v, int n, bint vectors) noexcept nogil:
    """Real ?geev results to complex ones: w[j] = wr[j] + i wi[j] and, for a conjugate pair at
    (j, j+1) (wi[j] > 0), V[:, j] = VR[:, j] + i VR[:, j+1] and V[:, j+1] its conjugate. `w`
    and `v` are the complex outputs seen as (re, im) pairs; V is column-major."""
    cdef int i, j = 0
    cdef Py_ssize_t col
    for i in range(n):
        w[2 * i] = wr[i]
        w[2 * i + 1] = wi[i]
    if not vectors:
        return
    while j < n:
        col = <Py_ssize_t>j * n
        if wi[j] == 0 or j == n - 1:
            for i in range(n):
                v[2 * (col + i)] = vr[col + i]
                v[2 * (col + i) + 1] = 0
            j += 1
        else:
            for i in range(n):
                v[2 * (col + i)] = vr[col + i]
                v[2 * (col + i) + 1] = vr[col + n + i]
                v[2 * (col + n + i)] = vr[col + i]
                v[2 * (col + n + i) + 1] = -vr[col + n + i]
            j += 2


cdef inline void _check_geev(Plan* p, char* scratch, const lapack_t* w,
                             const lapack_t* v) noexcept nogil:
    """The extents ?geev touches (_extent.h): A (n x n, lda n), work and the real routines' wr,
    wi and VR or the complex ones' rwork (2n reals) in the thread's scratch; the complex
    routines' w and VR in the outputs. VL is never referenced (jobvl 'N')."""
    cdef Span ss = span_at(scratch, p.split.scratch_step)
    cdef int n = p.n
    check_mat("?geev A", scratch, n, n, n, sizeof(lapack_t), ss)
    check_vec("?geev work", scratch + p.work_at, p.lwork, 1, sizeof(lapack_t), ss)
    if lapack_t is float or lapack_t is double:
        check_vec("?geev wr, wi", scratch + p.wr_at, 2 * n, 1, sizeof(lapack_t), ss)
        if p.vectors:
            check_mat("?geev VR", scratch + p.vr_at, n, n, n, sizeof(lapack_t), ss)
    else:
        check_vec("?geev w", w, n, 1, sizeof(lapack_t), p.sw)
        check_vec("?geev rwork", scratch + p.wr_at, 2 * n, 1, sizeof(lapack_t) // 2, ss)
        if p.vectors:
            check_mat("?geev VR", v, n, n, n, sizeof(lapack_t), p.sv)


cdef void _run(lapack_t* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi,
               char* scratch) noexcept nogil:
    """Matrices lo..hi-1 of the batch, with this thread's scratch."""
    cdef Plan* p = <Plan*>plan
    cdef lapack_t* a = <lapack_t*>scratch
    cdef lapack_t* work = <lapack_t*>(scratch + p.work_at)
    cdef lapack_t* wr = <lapack_t*>(scratch + p.wr_at)      # real: wr, wi; complex: rwork
    cdef lapack_t* vr = <lapack_t*>(scratch + p.vr_at)      # real input only
    cdef Py_ssize_t i, nn = <Py_ssize_t>p.n * p.n
    cdef int n = p.n, lwork = p.lwork, ldvr = p.n if p.vectors else 1
    cdef char* jobvr = b"V" if p.vectors else b"N"
    cdef lapack_t* w
    cdef lapack_t* v
    for i in range(lo, hi):
        w = <lapack_t*>(p.w + i * p.w_step)
        v = <lapack_t*>(p.v + i * p.v_step)
        if not copy_finite(<lapack_t*>(p.a + p.offs[i]), a, n, n, p.rs, p.cs):
            p.info[i] = INFO_NONFINITE
            if lapack_t is float or lapack_t is c64:
                fill_nan(<float*>w, 2 * n)
                if p.vectors:
                    fill_nan(<float*>v, 2 * nn)
            else:
                fill_nan(<double*>w, 2 * n)
                if p.vectors:
                    fill_nan(<double*>v, 2 * nn)
        elif lapack_t is float or lapack_t is double:
            _check_geev(p, scratch, w, v)
            _geev(jobvr, &n, a, wr, wr + n, vr, &ldvr, work, &lwork, NULL, &p.info[i])
            _assemble(wr, wr + n, vr, <lapack_t*>w, <lapack_t*>v, n, p.vectors)
        else:
            _check_geev(p, scratch, w, v)
            _geev(jobvr, &n, a, w, NULL, v if p.vectors else a, &ldvr, work, &lwork, wr,
                  &p.info[i])


cdef Loops _LOOPS = Loops(_run[float], _run[double], _run[c64], _run[c128])


cdef class _Job:
    """A planned call: the arrays it keeps alive and the ranges each thread runs."""
    cdef Plan p
    cdef object keep


cdef int _query(Plan* p) except -1:
    """?geev's optimal lwork for this call's size (a workspace query touches no matrix)."""
    cdef double w[2]          # room for one complex double
    cdef double rw[1]
    cdef int lwork = -1, info = 0, n = p.n, ldvr = p.n if p.vectors else 1
    cdef char* jobvr = b"V" if p.vectors else b"N"
    # a query writes work[0] only: `w` here, which holds one element of any of the four types
    check_vec("?geev work (query)", w, 1, 1, sizeof(w), span_at(w, sizeof(w)))
    if p.split.typenum == cnp.NPY_FLOAT32:
        _geev(jobvr, &n, <float*>w, <float*>w, <float*>w, <float*>w, &ldvr, <float*>w,
              &lwork, NULL, &info)
        lwork = <int>((<float*>w)[0] * 1.0001) + 1   # float32 counts round down past 2^24
    elif p.split.typenum == cnp.NPY_FLOAT64:
        _geev(jobvr, &n, <double*>w, <double*>w, <double*>w, <double*>w, &ldvr, <double*>w,
              &lwork, NULL, &info)
        lwork = <int>w[0]
    elif p.split.typenum == cnp.NPY_COMPLEX64:
        _geev(jobvr, &n, <c64*>w, <c64*>w, NULL, <c64*>w, &ldvr, <c64*>w, &lwork, rw, &info)
        lwork = <int>((<float*>w)[0] * 1.0001) + 1
    else:
        _geev(jobvr, &n, <c128*>w, <c128*>w, NULL, <c128*>w, &ldvr, <c128*>w, &lwork, rw,
              &info)
        lwork = <int>w[0]
    if info != 0:
        raise RuntimeError(f"geev workspace query failed (info {info})")
    return max(lwork, 1)


_COMPLEX = {cnp.NPY_FLOAT32: np.complex64, cnp.NPY_FLOAT64: np.complex128,
            cnp.NPY_COMPLEX64: np.complex64, cnp.NPY_COMPLEX128: np.complex128}


def geev_batched(a, bint compute_v=True):
    """(w, V, info) of the batched eigendecomposition of square `a` (see the module docstring);
    V is None when compute_v is false."""
    if (not isinstance(a, np.ndarray) or a.ndim < 2 or cnp.PyArray_TYPE(a) not in _COMPLEX
            or a.shape[a.ndim - 1] != a.shape[a.ndim - 2]):
        raise TypeError(f"geev kernel: unsupported argument {type(a).__name__}")
    if not cnp.PyArray_ISNOTSWAPPED(a) or any(st % a.itemsize for st in a.strides):
        a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))
    cdef int typenum = cnp.PyArray_TYPE(a)
    cdef Py_ssize_t n = a.shape[a.ndim - 1]
    if n * n > INT_MAX // 4:   # ?geev's own int workspace sizes
        raise ValueError(f"geev kernel: a {n}x{n} matrix is too large for LP64 LAPACK")
    batch = a.shape[:a.ndim - 2]
    cdef Py_ssize_t nbatch = int(np.prod(batch, dtype=np.intp))
    ctype = _COMPLEX[typenum]
    w = empty_as(batch + (n,), ctype)
    v = empty_as(batch + (n, n), ctype) if compute_v else None
    info = np.zeros(batch, dtype=np.int32)
    if nbatch == 0 or n == 0:
        return w, v.swapaxes(-1, -2) if compute_v else None, info

    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    cdef bint real = typenum in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64)
    cdef Py_ssize_t item = a.itemsize
    p.split.loops, p.split.typenum, p.n, p.vectors = &_LOOPS, typenum, n, compute_v
    offs = batch_offsets(a)
    p.a = cnp.PyArray_BYTES(a)
    p.offs = <const cnp.npy_intp*>cnp.PyArray_DATA(offs)
    p.rs, p.cs = a.strides[a.ndim - 2] // item, a.strides[a.ndim - 1] // item
    p.w, p.w_step = cnp.PyArray_BYTES(w), n * w.itemsize
    p.v, p.v_step = NULL, 0
    if compute_v:
        p.v, p.v_step = cnp.PyArray_BYTES(v), n * n * w.itemsize
    p.info = <int*>cnp.PyArray_DATA(info)
    if EXTENT_ON:
        p.sw, p.sv = span_of(w), span_of(v if compute_v else w)
    p.lwork = _query(p)
    # Scratch per thread: A, work, then wr and wi (real) or rwork (complex, 2n reals), then the
    # real eigenvectors (real input only).
    p.work_at = round64(n * n * item)
    p.wr_at = p.work_at + round64(<Py_ssize_t>p.lwork * item)
    p.vr_at = p.wr_at + round64(2 * n * (item if real else item // 2))
    cdef Py_ssize_t scratch = p.vr_at + (round64(n * n * item) if real and compute_v else 0)

    p.split.nbatch = nbatch
    p.split.threads = pick_threads(_threads, nbatch, n * n * n + CALL_COST, True, PARALLEL_WORK,
                                   PY_SSIZE_T_MAX)
    job.keep = (a, offs, w, v, info, alloc_scratch(&p.split, scratch))
    _workspace.note("geev", p.split.threads, p.split.scratch_step)
    launch(&job.p, &job.p.split, n * n * n >= BLAS_THREADED_WORK)
    return w, v.swapaxes(-1, -2) if compute_v else None, info
