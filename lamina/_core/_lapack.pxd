# The scalar types every BLAS/LAPACK kernel is written over, one fused type for the s/d/c/z
# routines: `if lapack_t is float: spotrf(...) elif ...` matches scipy's pointer types directly.
ctypedef float complex c64
ctypedef double complex c128

ctypedef fused lapack_t:
    float
    double
    c64
    c128
