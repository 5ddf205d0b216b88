# Helpers for the batched kernels that copy each matrix of a strided batch into a per-thread
# column-major scratch before a LAPACK routine that destroys its input (?gesdd, ?geev), and that
# must keep non-finite matrices away from that routine (it may never return on them).

from libc.math cimport NAN

from ._lapack cimport c64, c128, lapack_t

import numpy as np

# info value of a matrix that held a NaN or an infinity: LAPACK's own codes are >= 0 there, as
# every argument is validated before a call.
cdef enum:
    INFO_NONFINITE = -1


ctypedef fused real_t:
    float
    double


cdef inline bint _finite(const real_t* x, Py_ssize_t count) noexcept nogil:
    # x * 0 is 0 for every finite x and NaN for NaN and +-inf; the sum vectorises.
    cdef real_t acc = 0
    cdef Py_ssize_t i
    for i in range(count):
        acc = acc + x[i] * 0
    return acc == 0


cdef inline bint copy_finite(const lapack_t* src, lapack_t* dst, int m, int n, Py_ssize_t rs,
                             Py_ssize_t cs) noexcept nogil:
    """Copy an (m, n) matrix with element strides (rs, cs) (any sign) into column-major `dst`
    (leading dimension m); False if it holds a NaN or an infinity."""
    cdef Py_ssize_t i, j, count = <Py_ssize_t>m * n
    for j in range(n):
        for i in range(m):
            dst[i + j * m] = src[i * rs + j * cs]
    if lapack_t is float:
        return _finite(<float*>dst, count)
    elif lapack_t is double:
        return _finite(<double*>dst, count)
    elif lapack_t is c64:
        return _finite(<float*>dst, 2 * count)
    else:
        return _finite(<double*>dst, 2 * count)


cdef inline void fill_nan(real_t* x, Py_ssize_t count) noexcept nogil:
    """NaN into `count` reals (a complex array passes twice its length)."""
    cdef Py_ssize_t i
    for i in range(count):
        x[i] = NAN


cdef inline object batch_offsets(a):
    """Byte offset of each matrix of the (*batch, m, n) array `a` from its first, in C order
    over the batch dims, as a flat intp array: the kernels walk any batch strides through it."""
    cdef int nb = a.ndim - 2, d
    offs = np.zeros(a.shape[:nb], dtype=np.intp)
    for d in range(nb):
        shape = [1] * nb
        shape[d] = a.shape[d]
        offs += (np.arange(a.shape[d], dtype=np.intp) * a.strides[d]).reshape(shape)
    return offs.reshape(-1)


cdef inline Py_ssize_t round64(Py_ssize_t nbytes) noexcept:
    """`nbytes` rounded up to a cache line, so per-thread scratch regions never share one."""
    return (nbytes + 63) // 64 * 64

