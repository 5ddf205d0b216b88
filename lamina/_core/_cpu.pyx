# cython: language_level=3
"""Which x86 instruction-set level the kernels of _simd_gemm.h and _simd_lu.h use: the best this
CPU runs, unless capped (tests run each level the CPU has). Kernel modules cimport `simd_level`, so
one setting holds for all of them."""

cdef extern from "_simd.h" nogil:
    int LM_BASE, LM_AVX2, LM_AVX512
    int lm_cpu_level()

cdef int _cpu = lm_cpu_level()
cdef int _cap = LM_AVX512

_LEVELS = {"base": LM_BASE, "avx2": LM_AVX2, "avx512": LM_AVX512}


cdef int simd_level() noexcept nogil:
    return _cpu if _cpu < _cap else _cap


def simd_levels():
    """The levels this CPU can run, lowest first."""
    return [name for name, level in _LEVELS.items() if level <= _cpu]


def set_simd_level(name):
    """Cap the kernels' level at `name`; returns the previous cap's name."""
    global _cap
    previous = next(k for k, v in _LEVELS.items() if v == _cap)
    _cap = _LEVELS[name]
    return previous
