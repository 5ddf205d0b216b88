# cython: language_level=3
"""A planted out-of-bounds write, compiled only into sanitizer builds (-Dlamina_canary=true):
.ci/sanitize requires calling it to fail with an AddressSanitizer report before it trusts a run
with no report."""

cdef extern from "_canary.h":
    void lm_canary_write_past_end()


def write_past_end():
    """Write one float64 past the end of a 4-element heap buffer."""
    lm_canary_write_past_end()
