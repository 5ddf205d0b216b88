# cython: language_level=3
"""Batched LAPACK kernels: eig (being written)."""
