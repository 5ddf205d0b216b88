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

/* Whether any lane of the W-lane mask m is set. */
#define LM_ANY(W, m)                                                                            \
    __extension__({                                                                             \
        long long any_ = 0;                                                                     \
        for (int b_ = 0; b_ < (W); b_++)                                                        \
            any_ |= (m)[b_];                                                                    \
        any_ != 0;                                                                              \
    })

/* x ++ y's lanes at the given indices. __builtin_shufflevector is Clang's and GCC 12's; older GCC
 * has __builtin_shuffle, which takes the indices as a vector of M. */
#if defined(__clang__) || __GNUC__ >= 12
#define LM_SHUF(M, x, y, ...) __builtin_shufflevector(x, y, __VA_ARGS__)
#else
#define LM_SHUF(M, x, y, ...) __builtin_shuffle(x, y, (M){__VA_ARGS__})
#endif
#define LM_UNPAREN(...) __VA_ARGS__

/* NAME(v) transposes the W x W block of lanes v[0..W-1] in place (lane b of v[e] <-> lane e of
 * v[b]), in log2(W) rounds: round s interleaves blocks of s lanes of v[i] and v[i + s]. A row
 * per matrix in, an element per vector out: this is how the lane kernels load and store W
 * matrices at once with whole-vector moves instead of W * W scalar ones. */
#define LM_TR_PAIR(M, v, i, s, LO, HI)                                                          \
    do {                                                                                        \
        __typeof__(v[0]) x_ = v[i], y_ = v[(i) + (s)];                                          \
        v[i] = LM_SHUF(M, x_, y_, LM_UNPAREN LO);                                               \
        v[(i) + (s)] = LM_SHUF(M, x_, y_, LM_UNPAREN HI);                                       \
    } while (0)
#define LM_TR_ROUND(M, v, W, s, LO, HI)                                                         \
    for (int i_ = 0; i_ < W; i_++)                                                              \
        if (!(i_ & (s)))                                                                        \
            LM_TR_PAIR(M, v, i_, s, LO, HI);
#define LM_TRANSPOSE_2(V, M, NAME, ATTR)                                                        \
    ATTR static inline void NAME(V *v) { LM_TR_ROUND(M, v, 2, 1, (0, 2), (1, 3)) }
#define LM_TRANSPOSE_4(V, M, NAME, ATTR)                                                        \
    ATTR static inline void NAME(V *v)                                                          \
    {                                                                                           \
        LM_TR_ROUND(M, v, 4, 1, (0, 4, 2, 6), (1, 5, 3, 7))                                     \
        LM_TR_ROUND(M, v, 4, 2, (0, 1, 4, 5), (2, 3, 6, 7))                                     \
    }
#define LM_TRANSPOSE_8(V, M, NAME, ATTR)                                                        \
    ATTR static inline void NAME(V *v)                                                          \
    {                                                                                           \
        LM_TR_ROUND(M, v, 8, 1, (0, 8, 2, 10, 4, 12, 6, 14), (1, 9, 3, 11, 5, 13, 7, 15))       \
        LM_TR_ROUND(M, v, 8, 2, (0, 1, 8, 9, 4, 5, 12, 13), (2, 3, 10, 11, 6, 7, 14, 15))       \
        LM_TR_ROUND(M, v, 8, 4, (0, 1, 2, 3, 8, 9, 10, 11), (4, 5, 6, 7, 12, 13, 14, 15))       \
    }
#define LM_TRANSPOSE_16(V, M, NAME, ATTR)                                                       \
    ATTR static inline void NAME(V *v)                                                          \
    {                                                                                           \
        LM_TR_ROUND(M, v, 16, 1, (0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30),   \
                    (1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31))                \
        LM_TR_ROUND(M, v, 16, 2, (0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29),    \
                    (2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31))               \
        LM_TR_ROUND(M, v, 16, 4, (0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),    \
                    (4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31))               \
        LM_TR_ROUND(M, v, 16, 8, (0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),      \
                    (8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31))             \
    }

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
