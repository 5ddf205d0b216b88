# cython: language_level=3
"""Batched LAPACK kernels: cholesky (being written)."""
