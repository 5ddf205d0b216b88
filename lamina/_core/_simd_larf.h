/* A Householder reflector applied from the left to a small real column-major matrix,
 * C = (I - tau v v^T) C, vectorised down the columns: the step that ?geqr2 and ?org2r (lamina's
 * tiny QR loops) repeat. Built per x86 instruction-set level (_simd.h), AVX2 and AVX-512;
 * lamina takes it at AVX-512 only (measured in _qr.pyx).
 *
 * Why: each column is a dot product with v and then an update along v. Compiled for the
 * baseline, the dot product stays scalar (the compiler may not reorder a floating-point sum)
 * and the update runs two doubles at a time. Here both run a level's full vector width, on
 * LM_LARF_NJ columns at once so their sums are independent chains.
 *
 * NAME(rows, cols, v, tau, c, ldc): v[0] is taken as 1 (LAPACK's convention) and v[1..rows-1]
 * read; C is rows x cols with leading dimension ldc. A length that is not a multiple of W ends
 * with one vector that overlaps the previous one: in the sums its overlapped lanes are masked
 * out, in the update it is loaded before anything is stored, so the overlapped entries are
 * written twice with the same value; nothing is read or written outside C and v.
 */
#ifndef LAMINA_SIMD_LARF_H
#define LAMINA_SIMD_LARF_H

#include <stddef.h>
#include <string.h>

#include "_simd.h"

#define LM_LARF_NJ 4

#define LM_LARF(T, V, M, W, NAME, ATTR)                                                            \
    ATTR static void NAME(int rows, int cols, const T *v, T tau, T *c, ptrdiff_t ldc)              \
    {                                                                                              \
        if (tau == 0)                                                                              \
            return;                                                                                \
        const int len = rows - 1;                     /* v[1..], each column's c[1..] */           \
        const T *x = v + 1;                                                                        \
        if (len < W) {                                                                             \
            for (int j = 0; j < cols; j++) {                                                       \
                T *y = c + j * ldc;                                                                \
                T s = y[0];                                                                        \
                for (int i = 1; i < rows; i++)                                                     \
                    s = s + v[i] * y[i];                                                           \
                s = s * tau;                                                                       \
                y[0] = y[0] - s;                                                                   \
                for (int i = 1; i < rows; i++)                                                     \
                    y[i] = y[i] - v[i] * s;                                                        \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        const int full = len / W * W, last = len - W;                                              \
        M lane, keep;                                                                              \
        for (int b = 0; b < W; b++)                                                                \
            lane[b] = b;                                                                           \
        keep = lane >= full - last;                   /* the tail's lanes past the last full one */ \
        V xl, xv, yv;                                                                              \
        memcpy(&xl, x + last, sizeof(V));                                                          \
        V xm = LM_SEL(V, M, keep, xl, (V){0});                                                     \
        int j = 0;                                                                                 \
        for (; j < cols; j += LM_LARF_NJ) {                                                        \
            int nj = cols - j < LM_LARF_NJ ? cols - j : LM_LARF_NJ;                                \
            V acc[LM_LARF_NJ], yl[LM_LARF_NJ];                                                     \
            T s[LM_LARF_NJ];                                                                       \
            for (int q = 0; q < nj; q++) {                                                         \
                const T *y = c + (j + q) * ldc + 1;                                                \
                acc[q] = (V){0};                                                                   \
                for (int i = 0; i < full; i += W) {                                                \
                    memcpy(&xv, x + i, sizeof(V));                                                 \
                    memcpy(&yv, y + i, sizeof(V));                                                 \
                    acc[q] = acc[q] + xv * yv;                                                     \
                }                                                                                  \
                memcpy(&yl[q], y + last, sizeof(V));                                               \
                if (full < len)                                                                    \
                    acc[q] = acc[q] + xm * yl[q];                                                  \
            }                                                                                      \
            for (int q = 0; q < nj; q++) {                                                         \
                T *y = c + (j + q) * ldc;                                                          \
                T t = y[0];                                                                        \
                for (int b = 0; b < W; b++)                                                        \
                    t = t + acc[q][b];                                                             \
                s[q] = t * tau;                                                                    \
                y[0] = y[0] - s[q];                                                                \
                y = y + 1;                                                                         \
                for (int i = 0; i < full; i += W) {                                                \
                    memcpy(&xv, x + i, sizeof(V));                                                 \
                    memcpy(&yv, y + i, sizeof(V));                                                 \
                    yv = yv - xv * s[q];                                                           \
                    memcpy(y + i, &yv, sizeof(V));                                                 \
                }                                                                                  \
                if (full < len) {                                                                  \
                    yl[q] = yl[q] - xl * s[q];                                                     \
                    memcpy(y + last, &yl[q], sizeof(V));                                           \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

typedef void (*lm_larf_f)(int, int, const float *, float, float *, ptrdiff_t);
typedef void (*lm_larf_d)(int, int, const double *, double, double *, ptrdiff_t);

#ifdef LM_X86_LEVELS
LM_LARF(float, lm_v8f, lm_v8i, 8, lm_larff_avx2, LM_AVX2_ATTR)
LM_LARF(double, lm_v4d, lm_v4l, 4, lm_larfd_avx2, LM_AVX2_ATTR)
LM_LARF(float, lm_v16f, lm_v16i, 16, lm_larff_avx512, LM_AVX512_ATTR)
LM_LARF(double, lm_v8d, lm_v8l, 8, lm_larfd_avx512, LM_AVX512_ATTR)
#endif

/* The kernel for `level`, or NULL below AVX2. */
LM_PICK_AVX2_UP(lm_larf_f, lm_larf_float, lm_larff)
LM_PICK_AVX2_UP(lm_larf_d, lm_larf_double, lm_larfd)

#endif
