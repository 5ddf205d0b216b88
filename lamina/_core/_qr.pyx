# cython: language_level=3
"""Batched LAPACK kernels: qr (being written)."""
