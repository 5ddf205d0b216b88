# cython: language_level=3
"""Batched LAPACK kernels: lstsq (being written)."""
