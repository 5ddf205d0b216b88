# cython: language_level=3
"""Batched LAPACK kernels: ldl (being written)."""
