/* LU factorisation of W tiny real matrices at once, one per vector lane, for det and slogdet;
 * built per x86 instruction-set level (_simd.h).
 *
 * Why: one n x n LU with partial pivoting is a chain of dependent steps (a pivot search, a
 * division, a rank-1 update), so a matrix at a time leaves the vector units idle: 4x4 float64
 * det ran at ~48 ns per matrix on one thread. Lane b of every vector holds element (i, j) of
 * matrix b, so each step is the same instructions for W matrices; pivoting differs per lane and
 * is done with compares and selects, never branches.
 *
 * Each lane computes what ?getf2 computes (lamina's scalar _getrf_tiny): the first entry of
 * largest |a| in the column is the pivot; a zero pivot skips the swap and the scaling; the
 * multipliers are a * (1 / pivot), or a / pivot when |pivot| < the type's smallest normal.
 * The FMA levels fuse the rank-1 update's multiply-add, so their last bits can differ from the
 * scalar loops and the baseline level.
 *
 * lm_lu_T(n, mats, rs, cs, diag, odd) factors the W matrices at mats[0..W-1] (element (i, j) at
 * mats[b][i * rs + j * cs]; lanes may repeat a matrix) and writes U's diagonal, diag[j * W + b],
 * and the parity of the row swaps, odd[b]. n <= LM_LU_MAX.
 */
#ifndef LAMINA_SIMD_LU_H
#define LAMINA_SIMD_LU_H

#include <float.h>
#include <stddef.h>

#include "_simd.h"

#define LM_LU_MAX 16
#define LM_LANES_MAX 16                 /* floats per AVX-512 register */

/* Lane-wise select of x where the mask m is set (all ones), else y (C has no vector ?:). */
#define LM_SEL(V, M, m, x, y) ((V)(((M)(x) & (m)) | ((M)(y) & ~(m))))

/* V: vector of W elements of T; M: the integer vector of the same shape (compare results);
 * TINY_T: the smallest normal T. N: a constant size, or `n` for the runtime-size kernel, whose
 * arrays are DIM x DIM. */
#define LM_LU(T, V, M, W, N, DIM, NAME, ATTR, TINY_T)                                           \
    ATTR static void NAME(int n, const T *const *mats, ptrdiff_t rs, ptrdiff_t cs, T *diag,     \
                          int *odd)                                                             \
    {                                                                                           \
        (void)n;                                                                                \
        V a[DIM][DIM];                                                                          \
        M flips = (M){0};                                                                       \
        const V one = (V){0} + 1;                                                               \
        for (int i = 0; i < N; i++)                                                             \
            for (int j = 0; j < N; j++)                                                         \
                for (int b = 0; b < W; b++)                                                     \
                    a[i][j][b] = mats[b][i * rs + j * cs];                                      \
        for (int k = 0; k < N; k++) {                                                           \
            V best = LM_SEL(V, M, a[k][k] < 0, -a[k][k], a[k][k]);                              \
            M p = (M){0} + k;                                                                   \
            for (int i = k + 1; i < N; i++) {                                                   \
                V v = LM_SEL(V, M, a[i][k] < 0, -a[i][k], a[i][k]);                             \
                M more = v > best;                                                              \
                best = LM_SEL(V, M, more, v, best);                                             \
                p = (more & ((M){0} + i)) | (~more & p);                                        \
            }                                                                                   \
            flips ^= p != k;                                                                    \
            for (int i = k + 1; i < N; i++) {                                                   \
                M swap = p == i;                                                                \
                for (int j = 0; j < N; j++) {                                                   \
                    V top = a[k][j];                                                            \
                    a[k][j] = LM_SEL(V, M, swap, a[i][j], top);                                 \
                    a[i][j] = LM_SEL(V, M, swap, top, a[i][j]);                                 \
                }                                                                               \
            }                                                                                   \
            V t = a[k][k];                                                                      \
            M zero = t == 0;                                                                    \
            M small = LM_SEL(V, M, t < 0, -t, t) < TINY_T;                                      \
            V safe = LM_SEL(V, M, zero, one, t);                                                \
            V r = one / safe;                                                                   \
            for (int i = k + 1; i < N; i++) {                                                   \
                V l = LM_SEL(V, M, small, a[i][k] / safe, a[i][k] * r);                         \
                a[i][k] = LM_SEL(V, M, zero, a[i][k], l);                                       \
            }                                                                                   \
            for (int j = k + 1; j < N; j++)                                                     \
                for (int i = k + 1; i < N; i++)                                                 \
                    a[i][j] = a[i][j] - a[i][k] * a[k][j];                                      \
        }                                                                                       \
        for (int j = 0; j < N; j++)                                                             \
            for (int b = 0; b < W; b++)                                                         \
                diag[j * W + b] = a[j][j][b];                                                   \
        for (int b = 0; b < W; b++)                                                             \
            odd[b] = flips[b] != 0;                                                             \
    }

typedef void (*lm_lu_f)(int, const float *const *, ptrdiff_t, ptrdiff_t, float *, int *);
typedef void (*lm_lu_d)(int, const double *const *, ptrdiff_t, ptrdiff_t, double *, int *);

/* One level's kernels: constant n = 2, 3, 4 and any n <= LM_LU_MAX, each precision; the lane
 * counts of the level (WF floats, WD doubles) and its tables (slot n - 2 for n <= 4, else 3). */
#define LM_LU_LEVEL(SUFFIX, ATTR, VF, MF, WF, VD, MD, WD)                                       \
    LM_LU(float, VF, MF, WF, 2, 2, lm_luf2_##SUFFIX, ATTR, FLT_MIN)                                \
    LM_LU(float, VF, MF, WF, 3, 3, lm_luf3_##SUFFIX, ATTR, FLT_MIN)                                \
    LM_LU(float, VF, MF, WF, 4, 4, lm_luf4_##SUFFIX, ATTR, FLT_MIN)                                \
    LM_LU(float, VF, MF, WF, n, LM_LU_MAX, lm_lufn_##SUFFIX, ATTR, FLT_MIN)                                \
    LM_LU(double, VD, MD, WD, 2, 2, lm_lud2_##SUFFIX, ATTR, DBL_MIN)                               \
    LM_LU(double, VD, MD, WD, 3, 3, lm_lud3_##SUFFIX, ATTR, DBL_MIN)                               \
    LM_LU(double, VD, MD, WD, 4, 4, lm_lud4_##SUFFIX, ATTR, DBL_MIN)                               \
    LM_LU(double, VD, MD, WD, n, LM_LU_MAX, lm_ludn_##SUFFIX, ATTR, DBL_MIN)                               \
    static const lm_lu_f lm_luf_##SUFFIX[4] = {lm_luf2_##SUFFIX, lm_luf3_##SUFFIX,              \
                                               lm_luf4_##SUFFIX, lm_lufn_##SUFFIX};             \
    static const lm_lu_d lm_lud_##SUFFIX[4] = {lm_lud2_##SUFFIX, lm_lud3_##SUFFIX,              \
                                               lm_lud4_##SUFFIX, lm_ludn_##SUFFIX};             \
    enum { lm_lu_wf_##SUFFIX = WF, lm_lu_wd_##SUFFIX = WD };

LM_LU_LEVEL(base, , lm_v4f, lm_v4i, 4, lm_v2d, lm_v2l, 2)
#ifdef LM_X86_LEVELS
LM_LU_LEVEL(avx2, LM_AVX2_ATTR, lm_v8f, lm_v8i, 8, lm_v4d, lm_v4l, 4)
LM_LU_LEVEL(avx512, LM_AVX512_ATTR, lm_v16f, lm_v16i, 16, lm_v8d, lm_v8l, 8)
#endif

static inline int lm_lu_slot(int n) { return n <= 4 ? n - 2 : 3; }

/* The kernel for n (2 <= n <= LM_LU_MAX) at `level`, and its lane count in *lanes. */
static inline lm_lu_f lm_lu_float(int n, int level, int *lanes)
{
#ifdef LM_X86_LEVELS
    if (level == LM_AVX512) { *lanes = lm_lu_wf_avx512; return lm_luf_avx512[lm_lu_slot(n)]; }
    if (level == LM_AVX2) { *lanes = lm_lu_wf_avx2; return lm_luf_avx2[lm_lu_slot(n)]; }
#endif
    (void)level;
    *lanes = lm_lu_wf_base;
    return lm_luf_base[lm_lu_slot(n)];
}

static inline lm_lu_d lm_lu_double(int n, int level, int *lanes)
{
#ifdef LM_X86_LEVELS
    if (level == LM_AVX512) { *lanes = lm_lu_wd_avx512; return lm_lud_avx512[lm_lu_slot(n)]; }
    if (level == LM_AVX2) { *lanes = lm_lu_wd_avx2; return lm_lud_avx2[lm_lu_slot(n)]; }
#endif
    (void)level;
    *lanes = lm_lu_wd_base;
    return lm_lud_base[lm_lu_slot(n)];
}

#endif
