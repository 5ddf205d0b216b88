/* Cholesky factorisation of W real matrices of n <= 4 at once, one per vector lane, with AVX2
 * (_simd.h), used from that level up.
 *
 * Why: one n x n Cholesky is a dependent chain of square roots and divisions; lane b of every
 * vector holds element (i, j) of matrix b, so W chains run side by side in 256-bit registers
 * (lamina's Cython loop does 8 at a time in SSE2's two-double registers).
 *
 * Each lane computes what lamina's _tiny_one (and ?potf2) computes, in the same order: column j
 * of L is s = a[j, j] - sum_k L[j, k]^2, L[j, j] = sqrt(s), then L[i, j] = (a[i, j] -
 * sum_k L[i, k] L[j, k]) * (1 / L[j, j]). The pivot test is reference LAPACK's (`s > 0`, which
 * NaN fails). A failing lane is not finished here: the caller redoes the W matrices one by one,
 * which leaves ?potf2's partial result and info.
 *
 * NAME(mats, rs, cs, upper, out) reads the lower triangle of the W matrices at mats[0..W-1]
 * (element (i, j), i >= j, at mats[b][i * rs + j * cs]; the caller swaps rs and cs to read an
 * upper one) and writes matrix b column-major at out + b * n * n: L with zeros above, or with
 * `upper` U = L^T with zeros below. Returns nonzero when some lane failed.
 */
#ifndef LAMINA_SIMD_CHOL_H
#define LAMINA_SIMD_CHOL_H

#include <stddef.h>

#include "_simd.h"

/* Past 4 the compiled loop with the size at run time was no faster than lamina's own. */
#define LM_CHOL_MAX 4

#ifdef LM_X86_LEVELS
#include <immintrin.h>

#define LM_CHOL(T, V, M, W, N, NAME, SQRT)                                                      \
    LM_AVX2_ATTR static int NAME(const T *const *mats, ptrdiff_t rs, ptrdiff_t cs, int upper,   \
                                 T *out)                                                        \
    {                                                                                           \
        V l[N][N];                                                                              \
        M bad = (M){0};                                                                         \
        for (int i = 0; i < N; i++)                                                             \
            for (int j = 0; j <= i; j++)                                                        \
                for (int b = 0; b < W; b++)                                                     \
                    l[i][j][b] = mats[b][i * rs + j * cs];                                      \
        for (int j = 0; j < N; j++) {                                                           \
            V s = l[j][j];                                                                      \
            for (int k = 0; k < j; k++)                                                         \
                s = s - l[j][k] * l[j][k];                                                      \
            bad |= ~(s > 0);                                                                    \
            s = SQRT(s);                                                                        \
            l[j][j] = s;                                                                        \
            V r = 1 / s;                                                                        \
            for (int i = j + 1; i < N; i++) {                                                   \
                V t = l[i][j];                                                                  \
                for (int k = 0; k < j; k++)                                                     \
                    t = t - l[i][k] * l[j][k];                                                  \
                l[i][j] = t * r;                                                                \
            }                                                                                   \
        }                                                                                       \
        for (int b = 0; b < W; b++) {                                                           \
            T *g = out + (ptrdiff_t)b * N * N;                                                  \
            for (int j = 0; j < N; j++)                                                         \
                for (int i = 0; i < N; i++)                                                     \
                    g[i + j * N] = upper ? (i <= j ? l[j][i][b] : 0)                            \
                                         : (i >= j ? l[i][j][b] : 0);                           \
        }                                                                                       \
        int any = 0;                                                                            \
        for (int b = 0; b < W; b++)                                                             \
            any |= bad[b] != 0;                                                                 \
        return any;                                                                             \
    }

typedef int (*lm_chol_f)(const float *const *, ptrdiff_t, ptrdiff_t, int, float *);
typedef int (*lm_chol_d)(const double *const *, ptrdiff_t, ptrdiff_t, int, double *);

#define LM_SQRT8F(x) ((lm_v8f)_mm256_sqrt_ps((__m256)(x)))
#define LM_SQRT4D(x) ((lm_v4d)_mm256_sqrt_pd((__m256d)(x)))

LM_CHOL(float, lm_v8f, lm_v8i, 8, 2, lm_cholf2, LM_SQRT8F)
LM_CHOL(float, lm_v8f, lm_v8i, 8, 3, lm_cholf3, LM_SQRT8F)
LM_CHOL(float, lm_v8f, lm_v8i, 8, 4, lm_cholf4, LM_SQRT8F)
LM_CHOL(double, lm_v4d, lm_v4l, 4, 2, lm_chold2, LM_SQRT4D)
LM_CHOL(double, lm_v4d, lm_v4l, 4, 3, lm_chold3, LM_SQRT4D)
LM_CHOL(double, lm_v4d, lm_v4l, 4, 4, lm_chold4, LM_SQRT4D)
static const lm_chol_f lm_cholf[3] = {lm_cholf2, lm_cholf3, lm_cholf4};
static const lm_chol_d lm_chold[3] = {lm_chold2, lm_chold3, lm_chold4};
#else
typedef int (*lm_chol_f)(const float *const *, ptrdiff_t, ptrdiff_t, int, float *);
typedef int (*lm_chol_d)(const double *const *, ptrdiff_t, ptrdiff_t, int, double *);
#endif

/* The kernel for 2 <= n <= LM_CHOL_MAX from AVX2 up (AVX-512's 8 and 16 lanes measured slower:
 * the lanes are filled and emptied an element at a time) and its lane count in *lanes; NULL
 * below, where lamina's own 8-lane loop runs. */
static inline lm_chol_f lm_chol_float(int n, int level, int *lanes)
{
#ifdef LM_X86_LEVELS
    if (level >= LM_AVX2) { *lanes = 8; return lm_cholf[n - 2]; }
#endif
    (void)n; (void)level; (void)lanes;
    return NULL;
}

static inline lm_chol_d lm_chol_double(int n, int level, int *lanes)
{
#ifdef LM_X86_LEVELS
    if (level >= LM_AVX2) { *lanes = 4; return lm_chold[n - 2]; }
#endif
    (void)n; (void)level; (void)lanes;
    return NULL;
}

#endif
