# cython: language_level=3
"""Batched LAPACK kernels: triangular (being written)."""
