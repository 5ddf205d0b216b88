/* What the kernels built per x86 instruction-set level share (_simd_gemm.h, _simd_lu.h).
 *
 * Why levels: a wheel (and a plain `pip install`) compiles for the baseline x86-64, SSE2: two
 * doubles per instruction and no fused multiply-add. GCC and Clang compile one function for
 * another level with __attribute__((target)); a kernel module picks its function for the level
 * that lamina._core._cpu reports, once per call, so a matrix costs one indirect call and no CPU
 * check. The vectors are GCC/Clang vector extensions as wide as each level's registers (wider
 * ones are split into scalar code).
 */
#ifndef LAMINA_SIMD_H
#define LAMINA_SIMD_H

#include <stddef.h>
#include <string.h>

#define LM_UNROLL _Pragma("GCC unroll 16")

/* Lane-wise select of x where the mask m is set (all ones), else y (C has no vector ?:). */
#define LM_SEL(V, M, m, x, y) ((V)(((M)(x) & (m)) | ((M)(y) & ~(m))))

typedef float lm_v4f __attribute__((vector_size(16)));
typedef float lm_v8f __attribute__((vector_size(32)));
typedef float lm_v16f __attribute__((vector_size(64)));
typedef double lm_v2d __attribute__((vector_size(16)));
typedef double lm_v4d __attribute__((vector_size(32)));
typedef double lm_v8d __attribute__((vector_size(64)));

typedef int lm_v4i __attribute__((vector_size(16)));
typedef int lm_v8i __attribute__((vector_size(32)));
typedef int lm_v16i __attribute__((vector_size(64)));
typedef long long lm_v2l __attribute__((vector_size(16)));
typedef long long lm_v4l __attribute__((vector_size(32)));
typedef long long lm_v8l __attribute__((vector_size(64)));

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LM_X86_LEVELS 1
#define LM_AVX2_ATTR __attribute__((target("avx2,fma")))
#define LM_AVX512_ATTR __attribute__((target("avx512f,avx512vl,avx2,fma")))
#endif

/* static inline TYPE NAME(int level): the kernel KERNEL##_avx512 or KERNEL##_avx2 for that
 * level, NULL below AVX2 (or off x86), for kernels built from AVX2 up only. */
#ifdef LM_X86_LEVELS
#define LM_PICK_AVX2_UP(TYPE, NAME, KERNEL)                                                     \
    static inline TYPE NAME(int level)                                                          \
    {                                                                                           \
        return level == LM_AVX512 ? KERNEL##_avx512 : level == LM_AVX2 ? KERNEL##_avx2 : NULL;  \
    }
#else
#define LM_PICK_AVX2_UP(TYPE, NAME, KERNEL)                                                     \
    static inline TYPE NAME(int level)                                                          \
    {                                                                                           \
        (void)level;                                                                            \
        return NULL;                                                                            \
    }
#endif

/* Instruction-set levels, lowest first. Which one the kernels use is lamina._core._cpu's
 * choice (the best this CPU runs, or lower for tests). */
enum { LM_BASE = 0, LM_AVX2 = 1, LM_AVX512 = 2 };

static inline int lm_cpu_level(void)
{
#ifdef LM_X86_LEVELS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
        return LM_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return LM_AVX2;
#endif
    return LM_BASE;
}

#endif
