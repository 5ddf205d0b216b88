# cython: language_level=3
"""Batched LAPACK kernels: lu (being written)."""
