# cython: language_level=3
"""Planted out-of-bounds accesses, compiled only into sanitizer builds (-Dlamina_canary=true):
.ci/sanitize requires each to be caught before it trusts a run with no report."""

from libc.stdlib cimport free, malloc

from ._extent cimport EXTENT_ON, check_mat, span_at


cdef extern from "_canary.h":
    void lm_canary_write_past_end()


def write_past_end():
    """Write one float64 past the end of a 4-element heap buffer."""
    lm_canary_write_past_end()


def extent_past_end():
    """The extent check a kernel makes before ?potrf, on a 4x4 float64 matrix whose buffer holds
    one element too few: with -Dlamina_extent_checks=true the process aborts with "lamina extent
    check: dpotrf A" on stderr (and a line in the sanitizer's report log); no LAPACK call is made
    either way. Returns False, having checked nothing, in a build without the checks."""
    if not EXTENT_ON:
        return False
    cdef double* buf = <double*>malloc(15 * sizeof(double))
    if buf == NULL:
        raise MemoryError
    check_mat("dpotrf A", buf, 4, 4, 4, sizeof(double), span_at(buf, 15 * sizeof(double)))
    free(buf)
    return True
