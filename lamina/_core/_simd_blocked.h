/* Blocked factorisations of one small real matrix (n ~ 20 to 64), vectorised down its columns:
 * LU with partial pivoting and Cholesky; built per x86 instruction-set level (_simd.h), AVX2
 * and up.
 *
 * Why: past 16 a matrix no longer fits the per-lane kernels (_simd_lu.h, _simd_chol.h keep whole
 * matrices in registers), and up to a few dozen LAPACK's fixed cost per call dominates while
 * lamina's scalar loops are compiled for the baseline (two doubles per instruction, no FMA). So
 * the matrix is copied column-major into a local array with a vector of zero rows below it
 * (every column operation is whole vectors, from any start row) and factored in panels of
 * LM_BLOCKED_NB columns, as LAPACK blocks ?getrf and ?potrf: each panel unblocked, then the
 * panel's rows right of it, then one rank-NB update of the trailing matrix that loads and stores
 * each entry once. Their multiply-adds are fused and blocked, so the last bits differ from the
 * scalar loops'.
 *
 * lm_getrf*(m, n, src, rs, cs, dst, ldd, piv) factors the m x n matrix at src (element (i, j) at
 * src[i * rs + j * cs]) into the column-major dst (leading dimension ldd), computing what ?getf2
 * computes (lamina's scalar _getrf_tiny): the first entry of largest |a| in the column is the
 * pivot (piv[k], 0-based); a zero pivot skips the swap and the scaling; the multipliers are
 * a * (1 / pivot), or a / pivot when |pivot| is below the type's smallest normal. Returns info:
 * the first zero pivot, 1-based, or 0.
 *
 * lm_potrf*(n, src, rs, cs, upper, dst) factors the symmetric matrix whose lower triangle is at
 * src (the caller swaps rs and cs for an upper one) into the column-major dst (leading dimension
 * n): L with zeros above, or with `upper` U = L^T with zeros below. Column j: L[j, j] =
 * sqrt(s) for s = a[j, j] minus the earlier columns' squares, then the entries below times
 * 1 / L[j, j]. Returns the first column whose s fails `s > 0` (NaN fails), 1-based, or 0; then
 * dst is not the factor: the caller redoes the matrix through LAPACK.
 */
#ifndef LAMINA_SIMD_BLOCKED_H
#define LAMINA_SIMD_BLOCKED_H

#include <float.h>
#include <stddef.h>
#include <string.h>

#include "_simd.h"

#define LM_BLOCKED_MAX 64
#define LM_BLOCKED_NB 8                    /* columns per panel */

/* Rows r0 up to (and past) m, a whole vector of W at a time: padding rows take part. */
#define LM_COLUMN_LOOP(r, r0, W) for (int r = (r0); r < m; r += (W))

/* Columns j..j+NJ-1 of the trailing matrix at rows i..i+W-1: A22 -= L21 U12 with L21's
 * columns in registers (l), NJ independent chains of multiply-adds (one chain waits out each
 * FMA's latency). kb == LM_BLOCKED_NB unrolls. */
#define LM_BLOCKED_NJ 4
#define LM_BLOCKED_UPDATE(T, V, NJ)                                                                \
    do {                                                                                           \
        V acc[NJ];                                                                                 \
        for (int c = 0; c < NJ; c++)                                                               \
            memcpy(&acc[c], a + i + (j + c) * lda, sizeof(V));                                     \
        if (kb == LM_BLOCKED_NB) {                                                                 \
            LM_UNROLL                                                                              \
            for (int q = 0; q < LM_BLOCKED_NB; q++)                                                \
                for (int c = 0; c < NJ; c++)                                                       \
                    acc[c] = acc[c] - l[q] * a[k0 + q + (j + c) * lda];                            \
        } else {                                                                                   \
            for (int q = 0; q < kb; q++)                                                           \
                for (int c = 0; c < NJ; c++)                                                       \
                    acc[c] = acc[c] - l[q] * a[k0 + q + (j + c) * lda];                            \
        }                                                                                          \
        for (int c = 0; c < NJ; c++)                                                               \
            memcpy(a + i + (j + c) * lda, &acc[c], sizeof(V));                                     \
    } while (0)

/* src (m x n, strides rs, cs) into the local column-major `a` (leading dimension lda), read
 * along src's shorter stride (a row-major matrix a row at a time), zero rows below. */
#define LM_BLOCKED_LOAD(T)                                                                         \
    do {                                                                                           \
        if ((cs < 0 ? -cs : cs) < (rs < 0 ? -rs : rs)) {                                           \
            for (int i = 0; i < m; i++)                                                            \
                for (int j = 0; j < n; j++)                                                        \
                    a[i + j * lda] = src[i * rs + j * cs];                                         \
        } else {                                                                                   \
            for (int j = 0; j < n; j++)                                                            \
                for (int i = 0; i < m; i++)                                                        \
                    a[i + j * lda] = src[i * rs + j * cs];                                         \
        }                                                                                          \
        for (int j = 0; j < n; j++)                                                                \
            for (int i = m; i < lda; i++)                                                          \
                a[i + j * lda] = 0;                                                                \
    } while (0)

/* The trailing matrix: A22 -= L21 U12 for columns ke..jend-1, rows i..i+W-1, with L21's
 * columns held in registers so each entry is loaded and stored once per panel. */
#define LM_BLOCKED_TRAILING(T, V, W, jend)                                                         \
    LM_COLUMN_LOOP(i, ke, W) {                                                                     \
        for (int q = 0; q < kb; q++)                                                               \
            memcpy(&l[q], a + i + (k0 + q) * lda, sizeof(V));                                      \
        int j = ke, je = (jend);                                                                   \
        for (; j + LM_BLOCKED_NJ <= je; j += LM_BLOCKED_NJ)                                        \
            LM_BLOCKED_UPDATE(T, V, LM_BLOCKED_NJ);                                                \
        for (; j < je; j++)                                                                        \
            LM_BLOCKED_UPDATE(T, V, 1);                                                            \
    }

/* The panel's columns k+1..ke-1 minus column k (rows k+1 on) times each one's multiplier S,
 * an expression of j. */
#define LM_PANEL_UPDATE(T, V, W, S)                                                                \
    for (int j = k + 1; j < ke; j++) {                                                             \
        T s = (S);                                                                                 \
        V x;                                                                                       \
        LM_COLUMN_LOOP(i, k + 1, W) {                                                              \
            memcpy(&x, col + i, sizeof(V));                                                        \
            memcpy(&v, a + i + j * lda, sizeof(V));                                                \
            v = v - x * s;                                                                         \
            memcpy(a + i + j * lda, &v, sizeof(V));                                                \
        }                                                                                          \
    }

#define LM_GETRF(T, V, M, W, NAME, ATTR, TINY_T)                                                   \
    ATTR static int NAME(int m, int n, const T *src, ptrdiff_t rs, ptrdiff_t cs, T *dst,           \
                         ptrdiff_t ldd, int *piv)                                                  \
    {                                                                                              \
        M lane;                                                                                    \
        for (int b = 0; b < W; b++)                                                                \
            lane[b] = b;                                                                           \
        /* Past row m, one vector of zero rows: every column operation is whole vectors. */        \
        const int lda = (m + 2 * W - 1) / W * W;                                                   \
        T a[LM_BLOCKED_MAX * (LM_BLOCKED_MAX + 2 * 16)];                                           \
        V v, l[LM_BLOCKED_NB];                                                                     \
        LM_BLOCKED_LOAD(T);                                                                        \
        int info = 0, kmax = m < n ? m : n;                                                        \
        for (int k0 = 0; k0 < kmax; k0 += LM_BLOCKED_NB) {                                         \
            int kb = kmax - k0 < LM_BLOCKED_NB ? kmax - k0 : LM_BLOCKED_NB, ke = k0 + kb;          \
            for (int k = k0; k < ke; k++) {   /* the panel, columns k0..ke-1, unblocked */         \
                T *col = a + k * lda;                                                              \
                /* The first row of largest |a|: each lane keeps its first largest, then the       \
                 * lanes' (value, row) pairs are reduced; taken only where it beats |a[k, k]|      \
                 * (NaN never does, and zero padding rows never win), else row k, as ?getf2. */    \
                V best = (V){0} - 1;                                                               \
                M at = lane + k, rows = (M){0};                                                    \
                LM_COLUMN_LOOP(i, k, W) {                                                          \
                    memcpy(&v, col + i, sizeof(V));                                                \
                    V x = LM_SEL(V, M, v < 0, -v, v);                                              \
                    M more = x > best;                                                             \
                    best = LM_SEL(V, M, more, x, best);                                            \
                    rows = (more & at) | (~more & rows);                                           \
                    at += W;                                                                       \
                }                                                                                  \
                T top = best[0];                                                                   \
                int p = (int)rows[0];                                                              \
                for (int b = 1; b < W; b++)                                                        \
                    if (best[b] > top || (best[b] == top && rows[b] < p)) {                        \
                        top = best[b];                                                             \
                        p = (int)rows[b];                                                          \
                    }                                                                              \
                if (!(top > (col[k] < 0 ? -col[k] : col[k])))                                      \
                    p = k;                                                                         \
                piv[k] = p;                                                                        \
                if (col[p] != 0) {                                                                 \
                    if (p != k)                                                                    \
                        for (int j = 0; j < n; j++) {                                              \
                            T t = a[k + j * lda];                                                  \
                            a[k + j * lda] = a[p + j * lda];                                       \
                            a[p + j * lda] = t;                                                    \
                        }                                                                          \
                    T t = col[k];                                                                  \
                    if ((t < 0 ? -t : t) >= TINY_T) {                                              \
                        T r = 1 / t;                                                               \
                        LM_COLUMN_LOOP(i, k + 1, W) {                                              \
                            memcpy(&v, col + i, sizeof(V));                                        \
                            v = v * r;                                                             \
                            memcpy(col + i, &v, sizeof(V));                                        \
                        }                                                                          \
                    } else {                                                                       \
                        LM_COLUMN_LOOP(i, k + 1, W) {                                              \
                            memcpy(&v, col + i, sizeof(V));                                        \
                            v = v / t;                                                             \
                            memcpy(col + i, &v, sizeof(V));                                        \
                        }                                                                          \
                    }                                                                              \
                } else if (!info) {                                                                \
                    info = k + 1;                                                                  \
                }                                                                                  \
                LM_PANEL_UPDATE(T, V, W, a[k + j * lda]);                                          \
            }                                                                                      \
            /* U's rows k0..ke-1 right of the panel: L11^-1 A12 (L11 unit lower), a column at      \
             * a time; a whole panel's loops have constant bounds and unroll. */                   \
            for (int j = ke; j < n; j += LM_BLOCKED_NJ) {                                          \
                int nj = n - j < LM_BLOCKED_NJ ? n - j : LM_BLOCKED_NJ;                            \
                T *u = a + k0 + j * lda;                                                           \
                const T *l11 = a + k0 + k0 * lda;                                                  \
                if (kb == LM_BLOCKED_NB && nj == LM_BLOCKED_NJ) {                                  \
                    LM_UNROLL                                                                      \
                    for (int k = 0; k < LM_BLOCKED_NB; k++)                                        \
                        LM_UNROLL                                                                  \
                        for (int q = k + 1; q < LM_BLOCKED_NB; q++)                                \
                            LM_UNROLL                                                              \
                            for (int c = 0; c < LM_BLOCKED_NJ; c++)                                \
                                u[q + c * lda] = u[q + c * lda] - l11[q + k * lda] * u[k + c * lda]; \
                } else {                                                                           \
                    for (int k = 0; k < kb; k++)                                                   \
                        for (int q = k + 1; q < kb; q++)                                           \
                            for (int c = 0; c < nj; c++)                                           \
                                u[q + c * lda] = u[q + c * lda] - l11[q + k * lda] * u[k + c * lda]; \
                }                                                                                  \
            }                                                                                      \
            LM_BLOCKED_TRAILING(T, V, W, n)                                                        \
        }                                                                                          \
        for (int j = 0; j < n; j++)                                                                \
            for (int i = 0; i < m; i++)                                                            \
                dst[i + j * ldd] = a[i + j * lda];                                                 \
        return info;                                                                               \
    }

#define LM_POTRF(T, V, W, NAME, ATTR)                                                              \
    ATTR static int NAME(int n, const T *src, ptrdiff_t rs, ptrdiff_t cs, int upper, T *dst)       \
    {                                                                                              \
        const int m = n, lda = (m + 2 * W - 1) / W * W;                                            \
        T a[LM_BLOCKED_MAX * (LM_BLOCKED_MAX + 2 * 16)];                                           \
        V v, l[LM_BLOCKED_NB];                                                                  \
        LM_BLOCKED_LOAD(T);                                                                        \
        for (int k0 = 0; k0 < n; k0 += LM_BLOCKED_NB) {                                            \
            int kb = n - k0 < LM_BLOCKED_NB ? n - k0 : LM_BLOCKED_NB, ke = k0 + kb;                \
            for (int k = k0; k < ke; k++) {   /* the panel, columns k0..ke-1, unblocked */         \
                T *col = a + k * lda;                                                              \
                T d = col[k];                                                                      \
                if (!(d > 0))                                                                      \
                    return k + 1;                                                                  \
                d = __builtin_sqrt(d);                                                             \
                col[k] = d;                                                                        \
                T r = 1 / d;                                                                       \
                LM_COLUMN_LOOP(i, k + 1, W) {                                                      \
                    memcpy(&v, col + i, sizeof(V));                                                \
                    v = v * r;                                                                     \
                    memcpy(col + i, &v, sizeof(V));                                                \
                }                                                                                  \
                /* rows above j take part (the upper triangle is not output) */                    \
                LM_PANEL_UPDATE(T, V, W, col[j]);                                                  \
            }                                                                                      \
            /* L21^T into the panel's rows right of it (the unused upper triangle): the            \
             * trailing update is then LU's, over the lower triangle's row blocks. */              \
            for (int j = ke; j < n; j++)                                                           \
                for (int q = k0; q < ke; q++)                                                      \
                    a[q + j * lda] = a[j + q * lda];                                               \
            LM_BLOCKED_TRAILING(T, V, W, i + W < n ? i + W : n)                                    \
        }                                                                                          \
        for (int j = 0; j < n; j++)                                                                \
            for (int i = 0; i < n; i++)                                                            \
                dst[i + j * n] = upper ? (i <= j ? a[j + i * lda] : 0)                             \
                                       : (i >= j ? a[i + j * lda] : 0);                            \
        return 0;                                                                                  \
    }

typedef int (*lm_getrf_f)(int, int, const float *, ptrdiff_t, ptrdiff_t, float *, ptrdiff_t,
                          int *);
typedef int (*lm_getrf_d)(int, int, const double *, ptrdiff_t, ptrdiff_t, double *, ptrdiff_t,
                          int *);

typedef int (*lm_potrf_f)(int, const float *, ptrdiff_t, ptrdiff_t, int, float *);
typedef int (*lm_potrf_d)(int, const double *, ptrdiff_t, ptrdiff_t, int, double *);

#define LM_BLOCKED_LEVEL(SUFFIX, ATTR, VF, MF, WF, VD, MD, WD)                                     \
    LM_GETRF(float, VF, MF, WF, lm_getrff_##SUFFIX, ATTR, FLT_MIN)                                 \
    LM_GETRF(double, VD, MD, WD, lm_getrfd_##SUFFIX, ATTR, DBL_MIN)                                \
    LM_POTRF(float, VF, WF, lm_potrff_##SUFFIX, ATTR)                                              \
    LM_POTRF(double, VD, WD, lm_potrfd_##SUFFIX, ATTR)

/* From AVX2 up only: at the baseline the scalar loops were as fast. */
#ifdef LM_X86_LEVELS
LM_BLOCKED_LEVEL(avx2, LM_AVX2_ATTR, lm_v8f, lm_v8i, 8, lm_v4d, lm_v4l, 4)
LM_BLOCKED_LEVEL(avx512, LM_AVX512_ATTR, lm_v16f, lm_v16i, 16, lm_v8d, lm_v8l, 8)
#endif

/* The kernels for `level`, or NULL below AVX2. */
LM_PICK_AVX2_UP(lm_getrf_f, lm_getrf_float, lm_getrff)
LM_PICK_AVX2_UP(lm_getrf_d, lm_getrf_double, lm_getrfd)
LM_PICK_AVX2_UP(lm_potrf_f, lm_potrf_float, lm_potrff)
LM_PICK_AVX2_UP(lm_potrf_d, lm_potrf_double, lm_potrfd)

#endif
