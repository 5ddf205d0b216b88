# cython: language_level=3
"""Kernel outputs, allocated through a pool that keeps large buffers resident (see _pool.h).

`empty` is cimported by the kernel modules (`from ._pool cimport empty`): one pool for all;
`output` serves the kernels' callers in lamina._ops.
"""

cimport numpy as cnp
from cpython.pycapsule cimport PyCapsule_New

cnp.import_array()


cdef extern from "_pool.h":
    ctypedef struct PyDataMem_Handler:
        pass
    PyDataMem_Handler lm_pool_handler
    size_t LM_POOL_MIN
    int lm_pool_count "lm_pool.count"
    size_t lm_pool_bytes "lm_pool.bytes"
    void lm_pool_release()

cdef extern from "numpy/arrayobject.h":
    object PyDataMem_SetHandler(object handler)


cdef object _HANDLER = PyCapsule_New(&lm_pool_handler, "mem_handler", NULL)


cdef cnp.ndarray empty(int nd, cnp.npy_intp* shape, int typenum):
    """A new C-contiguous array; from the pool when it is large."""
    cdef Py_ssize_t nbytes = cnp.PyArray_DescrFromType(typenum).itemsize
    cdef int d
    for d in range(nd):
        nbytes *= shape[d]
    if <size_t>nbytes < LM_POOL_MIN:
        return cnp.PyArray_SimpleNew(nd, shape, typenum)
    previous = PyDataMem_SetHandler(_HANDLER)
    try:
        return cnp.PyArray_SimpleNew(nd, shape, typenum)
    finally:
        PyDataMem_SetHandler(previous)


cdef cnp.ndarray empty_shaped(tuple shape, int typenum):
    """`empty` for a shape given as a tuple."""
    cdef cnp.npy_intp dims[64]           # NPY_MAXDIMS
    cdef int d, nd = len(shape)
    if nd > 64:
        raise ValueError(f"an output of {nd} dims exceeds NumPy's 64")
    for d in range(nd):
        dims[d] = shape[d]
    return empty(nd, dims, typenum)


cdef cnp.ndarray empty_as(tuple shape, object dtype):
    """`empty_shaped` for a NumPy dtype (or anything np.dtype takes)."""
    return empty_shaped(shape, cnp.dtype(dtype).num)


def output(shape, dtype):
    """`np.empty(shape, dtype)` through `empty_as`: for kernel outputs allocated in Python."""
    return empty_as(tuple(shape), dtype)


def stats():
    """(blocks kept, bytes kept)."""
    return lm_pool_count, lm_pool_bytes


def release():
    """Return every kept block to the system."""
    lm_pool_release()
