# Extent checks before BLAS/LAPACK calls (_extent.h): empty unless the module was compiled with
# -DLAMINA_EXTENT_CHECKS (meson option lamina_extent_checks, the sanitizer stage's build). A
# kernel keeps one Span per operand in its plan, filled with the GIL held under `if EXTENT_ON:`
# (so the release build computes none), and checks each array argument before each call:
# check_mat for a column-major matrix (m, n, ld), check_vec for a vector, a workspace or pivots.

cimport numpy as cnp


cdef extern from "_extent.h" nogil:
    enum:
        EXTENT_ON "LAMINA_EXTENT_CHECKS_ON"
    ctypedef struct Span "lm_span":
        const char* lo
        const char* hi
    Span span_at "lm_span_at"(const void* p, Py_ssize_t nbytes)
    void check_mat "lm_check_mat"(const char* site, const void* p, Py_ssize_t m, Py_ssize_t n,
                                  Py_ssize_t ld, Py_ssize_t item, Span s)
    void check_vec "lm_check_vec"(const char* site, const void* p, Py_ssize_t n, Py_ssize_t inc,
                                  Py_ssize_t item, Span s)


cdef inline Span span_of(cnp.ndarray x) noexcept:
    """The bytes any element of `x` occupies, over all its strides (numpy's byte_bounds)."""
    cdef int d
    cdef cnp.npy_intp* shape = cnp.PyArray_DIMS(x)
    cdef cnp.npy_intp* strides = cnp.PyArray_STRIDES(x)
    cdef const char* base = cnp.PyArray_BYTES(x)
    cdef Span s
    s.lo = s.hi = base
    if cnp.PyArray_SIZE(x) == 0:
        return s
    for d in range(cnp.PyArray_NDIM(x)):
        if strides[d] < 0:
            s.lo += (shape[d] - 1) * strides[d]
        else:
            s.hi += (shape[d] - 1) * strides[d]
    s.hi += cnp.PyArray_ITEMSIZE(x)
    return s
