/* Square products of tiny real matrices, built per x86 instruction-set level (_simd.h).
 *
 * Why: built for the baseline (SSE2, no FMA) a 16x16 float64 product took ~1.5 us, so 20000 of
 * them ran at NumPy's speed.
 *
 * Each kernel computes C = A @ B for n x n row-major blocks: A's rows `ars` elements apart and
 * its columns adjacent, B's likewise with `brs`, C contiguous.
 * - n = 2, 3, 4: row i of C accumulates A[i, l] * B[l, :] with n constant; the compiler unrolls
 *   it and vectorises over a row of B. These products are bound by memory, not arithmetic.
 * - n = 8, 16: written on vectors as wide as the level's registers (GCC/Clang vector
 *   extensions), R rows of C at a time. One row at a time the vectoriser left a single chain
 *   of dependent multiply-adds per vector of C (16x16 float64 on AVX-512: 390 ns per product,
 *   bound by the FMA latency); eight independent accumulators keep the units busy (120 ns).
 *   Their "stream" twins store C with non-temporal stores: a batch whose result is far larger
 *   than the caches would otherwise read every line of C before writing it (20000x16x16
 *   float64: 10 -> 6.5 ms on one thread), but a result that fits in cache is slower that way,
 *   so the caller picks them by size. Streaming needs 16-byte aligned C (any fresh array) and
 *   lm_fence() before the results are read by another thread.
 * The FMA levels contract each multiply-add into one instruction (the module is compiled with
 * -ffp-contract=fast; Clang contracts within an expression by default). Results of different
 * levels can therefore differ in the last bit, never those of different threads, batch splits
 * or store kinds on one machine.
 */
#ifndef LAMINA_SIMD_GEMM_H
#define LAMINA_SIMD_GEMM_H

#include "_simd.h"

typedef void (*lm_square_f)(const float *, const float *, float *, ptrdiff_t, ptrdiff_t);
typedef void (*lm_square_d)(const double *, const double *, double *, ptrdiff_t, ptrdiff_t);

/* n = 2, 3, 4: one row of C at a time, scalar code the compiler vectorises. */
#define LM_SMALL(T, N, NAME, ATTR)                                                               \
    ATTR static void NAME(const T *restrict a, const T *restrict b, T *restrict c,              \
                          ptrdiff_t ars, ptrdiff_t brs)                                         \
    {                                                                                           \
        for (int i = 0; i < N; i++) {                                                           \
            T acc[N];                                                                           \
            for (int j = 0; j < N; j++)                                                         \
                acc[j] = 0;                                                                     \
            for (int l = 0; l < N; l++) {                                                       \
                T x = a[i * ars + l];                                                           \
                for (int j = 0; j < N; j++)                                                     \
                    acc[j] += x * b[l * brs + j];                                               \
            }                                                                                   \
            for (int j = 0; j < N; j++)                                                         \
                c[i * N + j] = acc[j];                                                          \
        }                                                                                       \
    }

/* n = 8, 16: rows of N / W vectors VT of W elements; R rows of C at a time (R * N / W
 * accumulators, 8 here); STORE(dst, vector pointer) writes one vector of C. */
#define LM_BLOCKED(T, VT, W, N, R, NAME, ATTR, STORE)                                           \
    ATTR static void NAME(const T *restrict a, const T *restrict b, T *restrict c,              \
                          ptrdiff_t ars, ptrdiff_t brs)                                         \
    {                                                                                           \
        enum { V = N / W };                                                                     \
        for (int i0 = 0; i0 < N; i0 += R) {                                                     \
            VT acc[R][V];                                                                       \
            LM_UNROLL for (int r = 0; r < R; r++)                                               \
                LM_UNROLL for (int v = 0; v < V; v++)                                           \
                    acc[r][v] = (VT){0};                                                        \
            LM_UNROLL for (int l = 0; l < N; l++) {                                             \
                VT row[V];                                                                      \
                LM_UNROLL for (int v = 0; v < V; v++)                                           \
                    memcpy(&row[v], b + l * brs + v * W, sizeof(VT));                           \
                LM_UNROLL for (int r = 0; r < R; r++) {                                         \
                    T x = a[(i0 + r) * ars + l];                                                \
                    LM_UNROLL for (int v = 0; v < V; v++)                                       \
                        acc[r][v] += x * row[v];                                                \
                }                                                                               \
            }                                                                                   \
            LM_UNROLL for (int r = 0; r < R; r++)                                               \
                LM_UNROLL for (int v = 0; v < V; v++)                                           \
                    STORE(c + (i0 + r) * N + v * W, &acc[r][v]);                                \
        }                                                                                       \
    }

#define LM_STORE(dst, src) memcpy((dst), (src), sizeof(*(src)))

/* One level: the kernels for n = 2, 3, 4 (SMALL: whose level's n <= 4 kernels the tables
 * list) and for n = 8, 16 in both precisions, also streaming, and the level's tables (slots as
 * lm_square_slot). VF/WF: the level's widest float vector and its width, VH/WH: the same at
 * most 8 floats wide (for n = 8), VD/WD: doubles. Blocks of R = 8 * W / N rows keep 8
 * accumulators. */
#define LM_SMALL_LEVEL(SUFFIX, ATTR)                                                            \
    LM_SMALL(float, 2, lm_sf2_##SUFFIX, ATTR)                                                   \
    LM_SMALL(float, 3, lm_sf3_##SUFFIX, ATTR)                                                   \
    LM_SMALL(float, 4, lm_sf4_##SUFFIX, ATTR)                                                   \
    LM_SMALL(double, 2, lm_sd2_##SUFFIX, ATTR)                                                  \
    LM_SMALL(double, 3, lm_sd3_##SUFFIX, ATTR)                                                  \
    LM_SMALL(double, 4, lm_sd4_##SUFFIX, ATTR)

#define LM_LEVEL(SUFFIX, SMALL, ATTR, VF, WF, VH, WH, VD, WD, STREAM)                           \
    LM_BLOCKED(float, VH, WH, 8, WH, lm_sf8_##SUFFIX, ATTR, LM_STORE)                           \
    LM_BLOCKED(float, VF, WF, 16, WF / 2, lm_sf16_##SUFFIX, ATTR, LM_STORE)                     \
    LM_BLOCKED(float, VH, WH, 8, WH, lm_tf8_##SUFFIX, ATTR, STREAM)                             \
    LM_BLOCKED(float, VF, WF, 16, WF / 2, lm_tf16_##SUFFIX, ATTR, STREAM)                       \
    LM_BLOCKED(double, VD, WD, 8, WD, lm_sd8_##SUFFIX, ATTR, LM_STORE)                          \
    LM_BLOCKED(double, VD, WD, 16, WD / 2, lm_sd16_##SUFFIX, ATTR, LM_STORE)                    \
    LM_BLOCKED(double, VD, WD, 8, WD, lm_td8_##SUFFIX, ATTR, STREAM)                            \
    LM_BLOCKED(double, VD, WD, 16, WD / 2, lm_td16_##SUFFIX, ATTR, STREAM)                      \
    static const lm_square_f lm_sf_##SUFFIX[2][5] = {                                           \
        {lm_sf2_##SMALL, lm_sf3_##SMALL, lm_sf4_##SMALL, lm_sf8_##SUFFIX, lm_sf16_##SUFFIX},    \
        {lm_sf2_##SMALL, lm_sf3_##SMALL, lm_sf4_##SMALL, lm_tf8_##SUFFIX, lm_tf16_##SUFFIX}};   \
    static const lm_square_d lm_sd_##SUFFIX[2][5] = {                                           \
        {lm_sd2_##SMALL, lm_sd3_##SMALL, lm_sd4_##SMALL, lm_sd8_##SUFFIX, lm_sd16_##SUFFIX},    \
        {lm_sd2_##SMALL, lm_sd3_##SMALL, lm_sd4_##SMALL, lm_td8_##SUFFIX, lm_td16_##SUFFIX}};

#ifdef LM_X86_LEVELS
#include <immintrin.h>
/* Non-temporal stores in 16-byte pieces (SSE2, every x86-64): a fresh array is 16-byte
 * aligned, and so is every row of C for n = 8, 16. */
#define LM_STREAM(dst, src)                                                                     \
    do {                                                                                        \
        const char *s_ = (const char *)(src);                                                   \
        char *d_ = (char *)(dst);                                                               \
        for (size_t q_ = 0; q_ < sizeof(*(src)); q_ += 16)                                      \
            _mm_stream_si128((__m128i *)(d_ + q_), _mm_loadu_si128((const __m128i *)(s_ + q_)));\
    } while (0)
static inline void lm_fence(void) { _mm_sfence(); }
LM_SMALL_LEVEL(base, )
LM_SMALL_LEVEL(avx2, LM_AVX2_ATTR)
LM_LEVEL(base, base, , lm_v4f, 4, lm_v4f, 4, lm_v2d, 2, LM_STREAM)
LM_LEVEL(avx2, avx2, LM_AVX2_ATTR, lm_v8f, 8, lm_v8f, 8, lm_v4d, 4, LM_STREAM)
/* The 512-bit level takes the AVX2 kernels for n <= 4: built for AVX-512, GCC packs a whole
 * 4x4 float product into one register through the stack (2.5x slower). */
LM_LEVEL(avx512, avx2, LM_AVX512_ATTR, lm_v16f, 16, lm_v8f, 8, lm_v8d, 8, LM_STREAM)
#else
static inline void lm_fence(void) {}
LM_SMALL_LEVEL(base, )
LM_LEVEL(base, base, , lm_v4f, 4, lm_v4f, 4, lm_v2d, 2, LM_STORE)
#endif

/* The slot of n in the tables, or -1 where no kernel is specialised for n. */
static inline int lm_square_slot(ptrdiff_t n)
{
    switch (n) {
    case 2: return 0;
    case 3: return 1;
    case 4: return 2;
    case 8: return 3;
    case 16: return 4;
    default: return -1;
    }
}

static inline lm_square_f lm_square_float(int slot, int level, int stream)
{
#ifdef LM_X86_LEVELS
    if (level == LM_AVX512) return lm_sf_avx512[stream][slot];
    if (level == LM_AVX2) return lm_sf_avx2[stream][slot];
#endif
    (void)level;
    return lm_sf_base[stream][slot];
}

static inline lm_square_d lm_square_double(int slot, int level, int stream)
{
#ifdef LM_X86_LEVELS
    if (level == LM_AVX512) return lm_sd_avx512[stream][slot];
    if (level == LM_AVX2) return lm_sd_avx2[stream][slot];
#endif
    (void)level;
    return lm_sd_base[stream][slot];
}

#endif
