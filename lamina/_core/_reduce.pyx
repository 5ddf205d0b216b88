# cython: language_level=3
"""Whole-tensor sums of contiguous float32/float64 storage, for the per-op hot path.

`x.sum()` on a small tensor costs more in NumPy's reduction machinery (~1.5 us) than in adding;
this loop is what is left. It follows NumPy's pairwise summation (8 partial sums per block of up
to 128 elements, halving above that), so its rounding matches `np.add.reduce` and its error grows
as O(log n), not O(n). Layout: reads a C-contiguous buffer of any shape; writes only the 0-dim
array it returns.
"""

cimport numpy as cnp

cnp.import_array()

ctypedef fused real_t:
    float
    double

# NumPy's block size: below it the 8 partial sums run straight through, above it the range halves.
cdef enum:
    BLOCK = 128


cdef real_t _pairwise(const real_t* a, Py_ssize_t n) noexcept nogil:
    cdef real_t res, r0, r1, r2, r3, r4, r5, r6, r7
    cdef Py_ssize_t i, half
    if n < 8:
        res = -0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= BLOCK:
        r0, r1, r2, r3 = a[0], a[1], a[2], a[3]
        r4, r5, r6, r7 = a[4], a[5], a[6], a[7]
        i = 8
        while i < n - n % 8:
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[i]
            i += 1
        return res
    half = n // 2
    half -= half % 8
    return _pairwise(a, half) + _pairwise(a + half, n - half)


cdef real_t _sum(const real_t* a, Py_ssize_t n) noexcept nogil:
    # An empty sum is +0 (the identity); a non-empty one starts from -0 inside _pairwise, so that
    # a sum of -0s stays -0, as in NumPy.
    return _pairwise(a, n) if n else 0


def sum_all(cnp.ndarray x):
    """The sum of every element of `x` as a 0-dim array of its dtype, or None when `x` is not a
    C-contiguous float32/float64 array (the caller then asks NumPy)."""
    if not cnp.PyArray_IS_C_CONTIGUOUS(x):
        return None
    cdef int t = cnp.PyArray_TYPE(x)
    if t != cnp.NPY_FLOAT32 and t != cnp.NPY_FLOAT64:
        return None
    cdef Py_ssize_t n = cnp.PyArray_SIZE(x)
    cdef void* data = cnp.PyArray_DATA(x)
    cdef cnp.ndarray out = cnp.PyArray_SimpleNew(0, NULL, t)
    cdef void* res = cnp.PyArray_DATA(out)
    with nogil:
        if t == cnp.NPY_FLOAT32:
            (<float*>res)[0] = _sum(<const float*>data, n)
        else:
            (<double*>res)[0] = _sum(<const double*>data, n)
    return out
