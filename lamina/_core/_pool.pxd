cimport numpy as cnp

cdef cnp.ndarray empty(int nd, cnp.npy_intp* shape, int typenum)
cdef cnp.ndarray empty_shaped(tuple shape, int typenum)
cdef cnp.ndarray empty_as(tuple shape, object dtype)
