# cython: language_level=3
"""Batched LAPACK kernels: eigh (being written)."""
