# cython: language_level=3
"""Batched LDL (Bunch-Kaufman): LAPACK ?sytrf/?hetrf to factor, ?sytrs/?hetrs to solve.

PyTorch returns LAPACK's lower factorization of the column-major matrix (uplo 'L'): L's unit
lower triangle below the diagonal, D's 1x1 and 2x2 blocks on and next to it, and the pivots
(1-based; a 2x2 block at k, k+1 has both entries -p). Row-major storage meets this by holding
each matrix transposed: a C-contiguous (n, n) block that holds A^T is A to LAPACK, so the
factorization and the solve run on it directly, and the caller's view of it is the transpose.
(On A itself, uplo 'U' would read the same triangle, but factor from the other end: other pivots,
another factor.) A Hermitian A needs no conjugation: A^T's storage is A, not A^H.

Memory contract of `sytrf_batched(a, ipiv, info, hermitian)`: `a` (nbatch, n, n) C-contiguous
holds each A^T (only the entries of A's lower triangle are read); it is overwritten with the
factor, A's strict upper triangle set to zero. `ipiv` (nbatch, n) and `info` (nbatch,) int32
receive the pivots and LAPACK's status (> 0: D(info, info) is exactly zero).

Memory contract of `sytrs_batched(ld, ld_off, ipiv, piv_off, x, hermitian)`: `ld` holds the
factors at byte offsets `ld_off` (one per batch element) with its last two strides, `ipiv`
(npiv, n) int32 C-contiguous their pivots, at byte offsets `piv_off`; both are only read.
A factor that LAPACK cannot address in place (no unit row stride) is copied into a per-thread
scratch first. `x` (nbatch, k, n) C-contiguous holds B^T (B column-major) and is overwritten
with the solution. The pivots are checked first: ?sytrs trusts them to index rows and to pair
2x2 blocks inside the matrix.

Threads: the batch is split into one contiguous range per thread (lamina._core._threads); each
range is a `with nogil:` loop, and every check happens before it.
"""

cimport numpy as cnp
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.limits cimport INT_MAX
from scipy.linalg.cython_lapack cimport (
    chetrf,
    chetrs,
    csytrf,
    csytrs,
    dsytrf,
    dsytrs,
    ssytrf,
    ssytrs,
    zhetrf,
    zhetrs,
    zsytrf,
    zsytrs,
)

from ._batch cimport Loops, Split, alloc_scratch, launch, lwork_of, pick_threads
from ._extent cimport EXTENT_ON, Span, check_mat, check_vec, span_at, span_of
from ._lapack cimport c64, c128, lapack_t

import numpy as np

from . import _threads, _workspace
from ._lstsq import offsets_inside

cnp.import_array()


# Batches with less estimated work (nbatch * n^3 multiply-adds) stay on one thread: waking a
# sleeping team thread costs up to ~40-140 us (_team.h), a 32x32 sytrf ~10-20 us here, so a split
# pays only from a few hundred microseconds of work (2^20 is ~0.3-1 ms). The 2-thread gain could not
# be measured (see the same note in _lstsq.pyx: the machine was saturated by other work); re-measure
# when idle.
cdef Py_ssize_t PARALLEL_WORK = 1 << 20


cdef struct Plan:
    Split split                     # scratch per thread: sytrf's work, or sytrs's factor copy
    int n, k, lwork, lda
    bint hermitian
    char* a                         # sytrf: the batch; sytrs: the factors
    const Py_ssize_t* a_off         # sytrs: byte offset of each element's factor
    Py_ssize_t rs, cs               # sytrs: the factor's element strides
    bint copy                       # sytrs: the factor goes through the scratch
    int* ipiv
    const Py_ssize_t* piv_off       # sytrs: byte offset of each element's pivots
    char* x
    int* info
    Span sa, spiv, sx               # the arrays' bytes (extent-checked builds only)


cdef inline void _trf(lapack_t* a, Plan* p, int* ipiv, lapack_t* work, int* info) noexcept nogil:
    cdef int lwork = p.lwork
    if lapack_t is float:
        ssytrf(b"L", &p.n, a, &p.n, ipiv, work, &lwork, info)
    elif lapack_t is double:
        dsytrf(b"L", &p.n, a, &p.n, ipiv, work, &lwork, info)
    elif lapack_t is c64:
        if p.hermitian:
            chetrf(b"L", &p.n, a, &p.n, ipiv, work, &lwork, info)
        else:
            csytrf(b"L", &p.n, a, &p.n, ipiv, work, &lwork, info)
    else:
        if p.hermitian:
            zhetrf(b"L", &p.n, a, &p.n, ipiv, work, &lwork, info)
        else:
            zsytrf(b"L", &p.n, a, &p.n, ipiv, work, &lwork, info)


cdef inline void _trs(lapack_t* a, int lda, Plan* p, int* ipiv, lapack_t* b) noexcept nogil:
    cdef int info = 0     # only an illegal argument sets it, and the checks exclude those
    if lapack_t is float:
        ssytrs(b"L", &p.n, &p.k, a, &lda, ipiv, b, &p.n, &info)
    elif lapack_t is double:
        dsytrs(b"L", &p.n, &p.k, a, &lda, ipiv, b, &p.n, &info)
    elif lapack_t is c64:
        if p.hermitian:
            chetrs(b"L", &p.n, &p.k, a, &lda, ipiv, b, &p.n, &info)
        else:
            csytrs(b"L", &p.n, &p.k, a, &lda, ipiv, b, &p.n, &info)
    else:
        if p.hermitian:
            zhetrs(b"L", &p.n, &p.k, a, &lda, ipiv, b, &p.n, &info)
        else:
            zsytrs(b"L", &p.n, &p.k, a, &lda, ipiv, b, &p.n, &info)


cdef void _factor(lapack_t* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi,
                  char* scratch) noexcept nogil:
    cdef Plan* p = <Plan*>plan
    cdef Py_ssize_t i, n = p.n, r, c
    cdef lapack_t* a
    for i in range(lo, hi):
        a = <lapack_t*>(p.a + i * n * n * sizeof(lapack_t))
        check_mat("?sytrf/?hetrf A", a, n, n, n, sizeof(lapack_t), p.sa)
        check_vec("?sytrf/?hetrf ipiv", p.ipiv + i * n, n, 1, sizeof(int), p.spiv)
        check_vec("?sytrf/?hetrf work", scratch, p.lwork, 1, sizeof(lapack_t),
                  span_at(scratch, p.split.scratch_step))
        _trf(a, p, p.ipiv + i * n, <lapack_t*>scratch, p.info + i)
        # A's strict upper triangle is LAPACK's, column c above row c: a[c * n + r], r < c.
        for c in range(n):
            for r in range(c):
                a[c * n + r] = 0


cdef void _solve(lapack_t* tag, void* plan, Py_ssize_t lo, Py_ssize_t hi,
                 char* scratch) noexcept nogil:
    cdef Plan* p = <Plan*>plan
    cdef Py_ssize_t i, n = p.n, r, c
    cdef const lapack_t* src
    cdef lapack_t* a = <lapack_t*>scratch
    cdef int lda = p.lda
    cdef Span sa = span_at(scratch, p.split.scratch_step) if p.copy else p.sa
    for i in range(lo, hi):
        src = <const lapack_t*>(p.a + p.a_off[i])
        if p.copy:          # column-major into the scratch: element (r, c) at r + c * n
            for r in range(n):
                for c in range(r + 1):     # ?sytrs('L') reads the lower triangle only
                    a[r + c * n] = src[r * p.rs + c * p.cs]
        else:
            a = <lapack_t*>src
        check_mat("?sytrs/?hetrs A", a, n, n, lda, sizeof(lapack_t), sa)
        check_vec("?sytrs/?hetrs ipiv", <char*>p.ipiv + p.piv_off[i], n, 1, sizeof(int), p.spiv)
        check_mat("?sytrs/?hetrs B", p.x + i * p.k * n * sizeof(lapack_t), n, p.k, n,
                  sizeof(lapack_t), p.sx)
        _trs(a, lda, p, <int*>(<char*>p.ipiv + p.piv_off[i]),
             <lapack_t*>(p.x + i * p.k * n * sizeof(lapack_t)))


cdef Loops _FACTOR = Loops(_factor[float], _factor[double], _factor[c64], _factor[c128])
cdef Loops _SOLVE = Loops(_solve[float], _solve[double], _solve[c64], _solve[c128])


cdef class _Job:
    """A planned call: the arrays it keeps alive and the ranges each thread runs."""
    cdef Plan p
    cdef object keep


cdef int _lwork(lapack_t* tag, Plan* p) except -1:
    """?sytrf's workspace size for p's n, from a query."""
    cdef lapack_t wq[1]
    cdef lapack_t dummy[1]
    cdef int ipiv[1]
    cdef int info = 0
    p.lwork = -1
    wq[0] = 0
    check_vec("?sytrf/?hetrf work (query)", wq, 1, 1, sizeof(lapack_t), span_at(wq, sizeof(wq)))
    _trf(dummy, p, ipiv, wq, &info)     # a query reads no array, and writes work[0] only
    if info != 0:
        raise ValueError(f"ldl kernel: workspace query failed (info {info})")
    return lwork_of(wq[0])


cdef int _typenum(cnp.ndarray a) except -1:
    cdef int typenum = cnp.PyArray_TYPE(a)
    if typenum not in (cnp.NPY_FLOAT32, cnp.NPY_FLOAT64, cnp.NPY_COMPLEX64, cnp.NPY_COMPLEX128):
        raise TypeError(f"ldl kernel: unsupported dtype {a.dtype}")
    return typenum


def _is_c_input(arr, shape, dtype):
    return (isinstance(arr, np.ndarray) and arr.shape == shape and arr.dtype == dtype
            and arr.flags.c_contiguous)


def _is_c_array(arr, shape, dtype):
    return _is_c_input(arr, shape, dtype) and arr.flags.writeable


cdef _start(_Job job, Py_ssize_t nbatch, Py_ssize_t work, Py_ssize_t scratch):
    """Split the batch (every element calls LAPACK, so a split needs control of BLAS's own
    threads and enough work to pay for waking the team) and run it."""
    cdef Split* s = &job.p.split
    s.nbatch = nbatch
    s.threads = pick_threads(_threads, nbatch, work, True, PARALLEL_WORK, PY_SSIZE_T_MAX)
    job.keep = (job.keep, alloc_scratch(s, scratch))
    _workspace.note("ldl", s.threads, s.scratch_step)
    launch(&job.p, s, False)


def sytrf_batched(cnp.ndarray a, cnp.ndarray ipiv, cnp.ndarray info, bint hermitian):
    """Factor each matrix of `a` in place (see the module docstring for the layouts)."""
    cdef int typenum = _typenum(a)
    if a.ndim != 3 or a.shape[1] != a.shape[2]:
        raise ValueError("ldl kernel: a must be (nbatch, n, n)")
    cdef Py_ssize_t nbatch = a.shape[0], n = a.shape[1]
    if n > INT_MAX:
        raise ValueError("ldl kernel: n past LAPACK's 32-bit integers")
    if not (_is_c_array(a, (nbatch, n, n), a.dtype) and _is_c_array(ipiv, (nbatch, n), np.int32)
            and _is_c_array(info, (nbatch,), np.int32)):
        raise ValueError("ldl kernel: a, ipiv and info must be writeable C-contiguous arrays of "
                         "shapes (nbatch, n, n), (nbatch, n) and (nbatch,), ipiv and info int32")
    if nbatch == 0 or n == 0:
        info[...] = 0
        return
    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    p.split.loops, p.split.typenum = &_FACTOR, typenum
    p.n, p.hermitian = n, hermitian
    if typenum == cnp.NPY_FLOAT32:
        p.lwork = _lwork(<float*>NULL, p)
    elif typenum == cnp.NPY_FLOAT64:
        p.lwork = _lwork(<double*>NULL, p)
    elif typenum == cnp.NPY_COMPLEX64:
        p.lwork = _lwork(<c64*>NULL, p)
    else:
        p.lwork = _lwork(<c128*>NULL, p)
    p.a = cnp.PyArray_BYTES(a)
    p.ipiv = <int*>cnp.PyArray_DATA(ipiv)
    p.info = <int*>cnp.PyArray_DATA(info)
    job.keep = (a, ipiv, info)
    if EXTENT_ON:
        p.sa, p.spiv = span_of(a), span_of(ipiv)
    _start(job, nbatch, n * n * n, p.lwork * a.itemsize)


def check_pivots(cnp.ndarray ipiv):
    """PyTorch's checks on ldl_solve's pivots, `ipiv` (npiv, n) int32 C-contiguous, plus the one
    ?sytrs('L') needs to stay inside the matrix: a negative pivot opens a 2x2 block, whose second
    entry must exist and be negative too (ldl_factor always returns such pairs)."""
    if ipiv.ndim != 2 or not _is_c_input(ipiv, (ipiv.shape[0], ipiv.shape[1]), np.int32):
        raise ValueError("ldl kernel: ipiv must be a C-contiguous (npiv, n) int32 array")
    cdef const int[:, ::1] piv = ipiv
    cdef Py_ssize_t rows = piv.shape[0], n = piv.shape[1], i, k
    cdef long long v
    cdef bint small = False, large = False, unpaired = False
    for i in range(rows):
        k = 0
        while k < n:
            v = piv[i, k]
            small = small or v == 0
            large = large or v > n or -v > n
            if v < 0:
                if k + 1 >= n or piv[i, k + 1] >= 0:
                    unpaired = True
                    break
                v = piv[i, k + 1]
                large = large or -v > n
                k += 2
            else:
                k += 1
    # PyTorch's two messages come first, in its order.
    if large:
        raise RuntimeError("Pivots given to ldl_solve must all satisfy |pivot| <= LD.size(-2). "
                           "Did you properly pass the result of ldl_factor?")
    if small:
        raise RuntimeError("Pivots given to ldl_solve must all satisfy |pivot| >= 1. Did you "
                           "properly pass the result of ldl_factor?")
    if unpaired:
        raise RuntimeError("Pivots given to ldl_solve must pair each negative pivot with a "
                           "negative one right after it (a 2x2 block of D). Did you properly pass "
                           "the result of ldl_factor?")


def sytrs_batched(cnp.ndarray ld, cnp.ndarray ld_off, cnp.ndarray ipiv, cnp.ndarray piv_off,
                  cnp.ndarray x, bint hermitian):
    """Solve with each factor in place in `x` (see the module docstring for the layouts)."""
    cdef int typenum = _typenum(ld)
    if ld.ndim < 2 or ld.shape[ld.ndim - 1] != ld.shape[ld.ndim - 2] or x.ndim != 3:
        raise ValueError("ldl kernel: ld must be (..., n, n) and x (nbatch, k, n)")
    cdef Py_ssize_t n = ld.shape[ld.ndim - 1], nbatch = x.shape[0], k = x.shape[1]
    cdef Py_ssize_t item = ld.itemsize, npiv = ipiv.shape[0] if ipiv.ndim == 2 else 0
    cdef Py_ssize_t rs = ld.strides[ld.ndim - 2], cs = ld.strides[ld.ndim - 1]
    if n > INT_MAX or k > INT_MAX:
        raise ValueError("ldl kernel: sizes past LAPACK's 32-bit integers")
    if not _is_c_array(x, (nbatch, k, n), ld.dtype):
        raise ValueError("ldl kernel: x must be a writeable C-contiguous (nbatch, k, n) array of "
                         "ld's dtype")
    if not _is_c_input(ipiv, (npiv, n), np.int32):
        raise ValueError("ldl kernel: ipiv must be a C-contiguous (npiv, n) int32 array")
    if ld_off.shape[0] != nbatch or piv_off.shape[0] != nbatch:
        raise ValueError("ldl kernel: ld_off and piv_off must hold nbatch offsets")
    if rs % item or cs % item:
        raise ValueError("ldl kernel: unaligned strides")
    if nbatch and n and not (offsets_inside(ld, ld_off, 2) and offsets_inside(ipiv, piv_off, 1)):
        raise ValueError("ldl kernel: offsets point outside ld or ipiv")
    check_pivots(ipiv)
    if nbatch == 0 or n == 0 or k == 0:
        return
    cdef _Job job = _Job()
    cdef Plan* p = &job.p
    p.split.loops, p.split.typenum = &_SOLVE, typenum
    p.n, p.k, p.hermitian = n, k, hermitian
    p.a = cnp.PyArray_BYTES(ld)
    p.a_off = <const Py_ssize_t*>cnp.PyArray_DATA(ld_off)
    p.rs, p.cs = rs // item, cs // item
    # LAPACK addresses a factor with unit row stride and a column stride of at least n (the
    # transposed view ldl_factor returns); any other layout is copied.
    p.copy = not (p.rs == 1 and n <= p.cs <= INT_MAX) and n > 1
    p.lda = n if p.copy or n == 1 else <int>p.cs
    p.ipiv = <int*>cnp.PyArray_DATA(ipiv)
    p.piv_off = <const Py_ssize_t*>cnp.PyArray_DATA(piv_off)
    p.x = cnp.PyArray_BYTES(x)
    job.keep = (ld, ld_off, ipiv, piv_off, x)
    if EXTENT_ON:
        p.sa, p.spiv, p.sx = span_of(ld), span_of(ipiv), span_of(x)
    _start(job, nbatch, n * n * k, n * n * item if p.copy else 0)
