# cython: language_level=3
"""Batched LAPACK kernels: svd (being written)."""
