/* LU factorisation of W tiny real matrices at once, one per vector lane, then det, slogdet,
 * solve or inverse from it; built per x86 instruction-set level (_simd.h).
 *
 * Why: one n x n LU with partial pivoting is a chain of dependent steps (a pivot search, a
 * division, a rank-1 update), so a matrix at a time leaves the vector units idle: 4x4 float64
 * det ran at ~48 ns per matrix on one thread. Lane b of every vector holds element (i, j) of
 * matrix b, so each step is the same instructions for W matrices; pivoting differs per lane and
 * is done with compares and selects, never branches.
 *
 * Each lane computes what ?getf2 computes (lamina's scalar _getrf_tiny): the first entry of
 * largest |a| in the column is the pivot; a zero pivot skips the swap and the scaling and sets
 * info (the first one, 1-based); the multipliers are a * (1 / pivot), or a / pivot when |pivot|
 * < the type's smallest normal. The right-hand sides then go through ?getrs's steps: the row
 * swaps in order, L's forward substitution, U's back substitution by columns, dividing by the
 * pivot (a singular U gives inf/NaN, as LAPACK). The FMA levels fuse the multiply-adds, so
 * their last bits can differ from the scalar loops and the baseline level.
 *
 * NAME(n, mats, rs, cs, k, rhs, brs, bcs, outs, logs, diag, odd, info) factors the W matrices at
 * mats[0..W-1] (element (i, j) at mats[b][i * rs + j * cs]; lanes may repeat a matrix), writes
 * info[b], and where `diag` is given U's diagonal (diag[j * W + b]) and the parity of the row
 * swaps (odd[b]). With k > 0 it solves A X = B for the n x k B at rhs[b] (element (i, j) at
 * rhs[b][i * brs + j * bcs]), or B = I when rhs is NULL (the inverse, k = n), and writes X
 * column-major: outs[b][j * n + i] = X[i, j]; with k = 0 and `outs` given it writes the
 * determinant, outs[b][0] (the diagonal's product from the first entry on, as the scalar path
 * multiplies it, negated for an odd number of swaps). With `diag` given too (slogdet), it writes
 * the determinant's sign (+-1) there instead, and log|det| at logs[b][0]; a lane whose running
 * product left LM_LU_LOG_SAFE's range gets a NaN sign: its sign and log|det| must come from the
 * diagonal, renormalised. (Both are written here, the sign by a select: in the caller's loop,
 * a branch on the sign mispredicted for half the matrices of a random batch.) n <= LM_LU_MAX.
 */
#ifndef LAMINA_SIMD_LU_H
#define LAMINA_SIMD_LU_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "_simd.h"

#define LM_LU_MAX 16
#define LM_LANES_MAX 16                 /* floats per AVX-512 register */

#define LM_RB 8                          /* right-hand sides per block */

/* 4 x 4 matrices (and blocks of 4 right-hand sides) whose 16 elements are contiguous, row- or
 * column-major, move between memory and the lanes as W-element chunks through W x W transposes
 * (TR, _simd.h): with scalar moves, loading and storing took 40% of a 4x4 det and a third of an
 * inverse (AVX-512, float64: det 16.2 -> 9.6 ns per matrix, inv 31.7 -> 20.4, in cache). */
#define LM_LU_PACKED(rs, cs) (((rs) == 4 && (cs) == 1) || ((rs) == 1 && (cs) == 4))
#define LM_LU_LOAD16(V, W, TR, src, off, c)                                                     \
    for (int q = 0; q < 16; q += W) {                                                           \
        for (int b = 0; b < W; b++)                                                             \
            memcpy(&c[q + b], src[b] + (off) + q, sizeof(V));                                   \
        TR(c + q);                                                                              \
    }
/* m[i][j] = element (i, j) of the loaded 4 x 4 matrices, stored row- or column-major: a
 * column-major load is transposed by swapping vectors, so m is filled by one loop (a select per
 * element, or a loop per layout, made GCC spill the whole factorisation to memory). */
#define LM_LU_FROM16(m, c, rows)                                                                \
    if (!(rows))                                                                                \
        for (int i = 0; i < 4; i++)                                                             \
            for (int j = i + 1; j < 4; j++) {                                                   \
                __typeof__(c[0]) t_ = c[i * 4 + j];                                             \
                c[i * 4 + j] = c[j * 4 + i];                                                    \
                c[j * 4 + i] = t_;                                                              \
            }                                                                                   \
    for (int i = 0; i < 4; i++)                                                                 \
        for (int j = 0; j < 4; j++)                                                             \
            m[i][j] = c[i * 4 + j];
#define LM_LU_STORE16(V, W, TR, c, dst, off)                                                    \
    for (int q = 0; q < 16; q += W) {                                                           \
        TR(c + q);                                                                              \
        for (int b = 0; b < W; b++)                                                             \
            memcpy(dst[b] + (off) + q, &c[q + b], sizeof(V));                                   \
    }

/* Lanes where |p| lies in [2^-500, 2^500] (double) or [2^-100, 2^100] (float): a product of
 * pivots that stayed there lost no bits to overflow or subnormals, so log|det| is one log of it,
 * the same number _lu.pyx's renormalising loop gets (float: computed in double there). */
#define LM_LU_LOG_SAFE(V, M, T, p)                                                              \
    ((M)(LM_SEL(V, M, (p) < 0, -(p), (p)) < (T)(sizeof(T) == 8 ? 0x1p500 : 0x1p100))          \
     & (M)(LM_SEL(V, M, (p) < 0, -(p), (p)) > (T)(sizeof(T) == 8 ? 0x1p-500 : 0x1p-100)))

/* log(x), lane-wise, for positive normal x: x = m 2^e with m in [sqrt(1/2), sqrt(2)) (read off
 * the bits), log m = 2 atanh(s) = 2 s (1 + s^2/3 + s^4/5 + ...) with s = (m - 1) / (m + 1),
 * |s| < 0.172, so the series' terms up to s^24 reach double precision. Measured within 2 ulp
 * of the rounded log (3 for float, summed in float), and a vector of them costs what one call
 * of libm's does (a 4x4 slogdet: 31 -> 23 ns per matrix on one AVX-512 thread). */
#define LM_LU_LOG(V, M, T, x)                                                                   \
    __extension__({                                                                             \
        enum { mant_ = sizeof(T) == 8 ? 52 : 23, bias_ = sizeof(T) == 8 ? 1023 : 127 };        \
        M bits_ = (M)(x);                                                                       \
        M e_ = (bits_ >> mant_) - bias_;                                                        \
        V m_ = (V)((bits_ & (((M){0} + 1) << mant_) - 1) | (((M){0} + bias_) << mant_));        \
        M big_ = (M)(m_ > (T)1.4142135623730951);                                               \
        m_ = LM_SEL(V, M, big_, m_ * (T)0.5, m_);                                               \
        e_ -= big_;                                                                             \
        V s_ = (m_ - 1) / (m_ + 1), z_ = s_ * s_, r_ = (V){0} + (T)(1.0 / 25);                  \
        for (int k_ = 11; k_ >= 0; k_--)                                                        \
            r_ = r_ * z_ + (T)(1.0 / (2 * k_ + 1));                                             \
        __builtin_convertvector(e_, V) * (T)0.6931471805599453 + 2 * s_ * r_;                   \
    })

/* V: vector of W elements of T; M: the integer vector of the same shape (compare results);
 * TINY_T: the smallest normal T. N: a constant size, or `n` for the runtime-size kernel, whose
 * arrays are DIM x DIM. */
#define LM_LU(T, V, M, W, N, DIM, NAME, ATTR, TINY_T, TR, UNROLL)                       \
    ATTR static void NAME(int n, const T *const *mats, ptrdiff_t rs, ptrdiff_t cs, int k,       \
                          const T *const *rhs, ptrdiff_t brs, ptrdiff_t bcs, T *const *outs,    \
                          T *const *logs, T *diag, int *odd, int *info)                         \
    {                                                                                           \
        (void)n;                                                                                \
        V a[DIM][DIM];                                                                          \
        M piv[DIM];                                                                             \
        V rp[DIM];               /* 1 / U's diagonal, for the solves */                        \
        int exact = 0;           /* a subnormal pivot: the solves divide */                    \
        M flips = (M){0}, first = (M){0};                                                       \
        const V one = (V){0} + 1;                                                               \
        if (DIM == 4 && LM_LU_PACKED(rs, cs)) {                                                 \
            V c[16];                                                                            \
            LM_LU_LOAD16(V, W, TR, mats, 0, c);                                                 \
            LM_LU_FROM16(a, c, rs == 4);                                                        \
        } else {                                                                                \
            UNROLL for (int i = 0; i < N; i++)                                                  \
                UNROLL for (int j = 0; j < N; j++)                                              \
                    for (int b = 0; b < W; b++)                                                 \
                        a[i][j][b] = mats[b][i * rs + j * cs];                                  \
        }                                                                                       \
        UNROLL for (int s = 0; s < N; s++) {                                                    \
            V best = LM_SEL(V, M, a[s][s] < 0, -a[s][s], a[s][s]);                              \
            M p = (M){0} + s;                                                                   \
            UNROLL for (int i = s + 1; i < N; i++) {                                            \
                V v = LM_SEL(V, M, a[i][s] < 0, -a[i][s], a[i][s]);                             \
                M more = v > best;                                                              \
                best = LM_SEL(V, M, more, v, best);                                             \
                p = (more & ((M){0} + i)) | (~more & p);                                        \
            }                                                                                   \
            piv[s] = p;                                                                         \
            flips ^= p != s;                                                                    \
            UNROLL for (int i = s + 1; i < N; i++) {                                            \
                M swap = p == i;                                                                \
                UNROLL for (int j = 0; j < N; j++) {                                            \
                    V top = a[s][j];                                                            \
                    a[s][j] = LM_SEL(V, M, swap, a[i][j], top);                                 \
                    a[i][j] = LM_SEL(V, M, swap, top, a[i][j]);                                 \
                }                                                                               \
            }                                                                                   \
            V t = a[s][s];                                                                      \
            M zero = t == 0;                                                                    \
            M small = LM_SEL(V, M, t < 0, -t, t) < TINY_T;                                      \
            M now = zero & (first == 0);                                                        \
            first = (now & ((M){0} + s + 1)) | (~now & first);                                 \
            V safe = LM_SEL(V, M, zero, one, t);                                                \
            V r = one / safe;                                                                   \
            int divide = LM_ANY(W, small & ~zero);  /* rare: spare the divisions otherwise */   \
            if (k) {                /* det and slogdet never read them */                       \
                exact |= divide;                                                                \
                rp[s] = LM_ANY(W, zero) ? LM_SEL(V, M, zero, one / t, r) : r;  /* +-inf */     \
            }                                                                                   \
            UNROLL for (int i = s + 1; i < N; i++) {                                            \
                V l = a[i][s] * r;                                                              \
                if (divide)                                                                     \
                    l = LM_SEL(V, M, small, a[i][s] / safe, l);                                 \
                a[i][s] = LM_SEL(V, M, zero, a[i][s], l);                                       \
            }                                                                                   \
            UNROLL for (int j = s + 1; j < N; j++)                                              \
                UNROLL for (int i = s + 1; i < N; i++)                                          \
                    a[i][j] = a[i][j] - a[i][s] * a[s][j];                                      \
        }                                                                                       \
        for (int b = 0; b < W; b++)                                                             \
            info[b] = (int)first[b];                                                            \
        if (outs && k == 0) {                                                                   \
            V p = a[0][0];                                                                      \
            M ok = LM_LU_LOG_SAFE(V, M, T, p);                                                  \
            UNROLL for (int j = 1; j < N; j++) {                                                \
                p = p * a[j][j];                                                                \
                ok &= LM_LU_LOG_SAFE(V, M, T, p);                                               \
            }                                                                                   \
            p = LM_SEL(V, M, flips, -p, p);                                                     \
            if (diag) {                                                                         \
                V lg = LM_LU_LOG(V, M, T, LM_SEL(V, M, ok, LM_SEL(V, M, p < 0, -p, p), one));   \
                for (int b = 0; b < W; b++)                                                     \
                    logs[b][0] = lg[b];                                                         \
                p = LM_SEL(V, M, ok, LM_SEL(V, M, p < 0, -one, one), (V){0} + (T)NAN);          \
            }                                                                                   \
            for (int b = 0; b < W; b++)                                                         \
                outs[b][0] = p[b];                                                              \
        }                                                                                       \
        if (diag) {                                                                             \
            UNROLL for (int j = 0; j < N; j++)                                                  \
                for (int b = 0; b < W; b++)                                                     \
                    diag[j * W + b] = a[j][j][b];                                               \
            for (int b = 0; b < W; b++)                                                         \
                odd[b] = flips[b] != 0;                                                         \
        }                                                                                       \
        for (int c0 = 0; c0 < k; c0 += LM_RB) {                                                 \
            int cols = k - c0 < LM_RB ? k - c0 : LM_RB;                                         \
            V x[DIM][LM_RB] = {{(V){0}}};  /* lanes are filled one by one below */              \
            int whole = DIM == 4 && cols == 4;                                                  \
            if (whole && rhs && LM_LU_PACKED(brs, bcs)) {                                       \
                V c[16];                                                                        \
                LM_LU_LOAD16(V, W, TR, rhs, c0 * bcs, c);                                       \
                LM_LU_FROM16(x, c, brs == 4);                                                   \
            } else {                                                                            \
                UNROLL for (int i = 0; i < N; i++)                                              \
                    UNROLL for (int j = 0; j < cols; j++) {                                     \
                        x[i][j] = (V){0} + (T)(i == c0 + j);                                    \
                        if (rhs)                                                                \
                            for (int b = 0; b < W; b++)                                         \
                                x[i][j][b] = rhs[b][i * brs + (c0 + j) * bcs];                  \
                    }                                                                           \
            }                                                                                   \
            UNROLL for (int s2 = 0; s2 < N; s2++)                                               \
                UNROLL for (int i = s2 + 1; i < N; i++) {                                       \
                    M swap = piv[s2] == i;                                                      \
                    UNROLL for (int j = 0; j < cols; j++) {                                     \
                        V top = x[s2][j];                                                       \
                        x[s2][j] = LM_SEL(V, M, swap, x[i][j], top);                            \
                        x[i][j] = LM_SEL(V, M, swap, top, x[i][j]);                             \
                    }                                                                           \
                }                                                                               \
            UNROLL for (int s2 = 0; s2 < N; s2++)                                               \
                UNROLL for (int i = s2 + 1; i < N; i++)                                         \
                    UNROLL for (int j = 0; j < cols; j++)                                       \
                        x[i][j] = x[i][j] - a[i][s2] * x[s2][j];                                \
            UNROLL for (int s2 = N - 1; s2 >= 0; s2--)                                          \
                UNROLL for (int j = 0; j < cols; j++) {                                         \
                    x[s2][j] = exact ? x[s2][j] / a[s2][s2] : x[s2][j] * rp[s2];                \
                    UNROLL for (int i = 0; i < s2; i++)                                         \
                        x[i][j] = x[i][j] - x[s2][j] * a[i][s2];                                \
                }                                                                               \
            if (whole) {                                                                        \
                V c[16];                                                                        \
                UNROLL for (int i = 0; i < 4; i++)                                              \
                    UNROLL for (int j = 0; j < 4; j++)                                          \
                        c[j * 4 + i] = x[i][j];                                                 \
                LM_LU_STORE16(V, W, TR, c, outs, c0 * 4);                                       \
            } else {                                                                            \
                UNROLL for (int j = 0; j < cols; j++)                                           \
                    UNROLL for (int i = 0; i < N; i++)                                          \
                        for (int b = 0; b < W; b++)                                             \
                            outs[b][(c0 + j) * N + i] = x[i][j][b];                             \
            }                                                                                   \
        }                                                                                       \
    }

typedef void (*lm_lu_f)(int, const float *const *, ptrdiff_t, ptrdiff_t, int,
                        const float *const *, ptrdiff_t, ptrdiff_t, float *const *,
                        float *const *, float *, int *, int *);
typedef void (*lm_lu_d)(int, const double *const *, ptrdiff_t, ptrdiff_t, int,
                        const double *const *, ptrdiff_t, ptrdiff_t, double *const *,
                        double *const *, double *, int *, int *);

/* One precision's kernels lm_lu<X>2/3/4/n_<SUFFIX>: the constant sizes unrolled. */
#define LM_LU_SIZES(T, V, M, W, X, SUFFIX, ATTR, TINY_T, TR)                                    \
    LM_LU(T, V, M, W, 2, 2, lm_lu##X##2_##SUFFIX, ATTR, TINY_T, TR, LM_UNROLL)                  \
    LM_LU(T, V, M, W, 3, 3, lm_lu##X##3_##SUFFIX, ATTR, TINY_T, TR, LM_UNROLL)                  \
    LM_LU(T, V, M, W, 4, 4, lm_lu##X##4_##SUFFIX, ATTR, TINY_T, TR, LM_UNROLL)                  \
    LM_LU(T, V, M, W, n, LM_LU_MAX, lm_lu##X##n_##SUFFIX, ATTR, TINY_T, TR, )

/* One level's kernels: constant n = 2, 3, 4 and any n <= LM_LU_MAX, each precision; the lane
 * counts of the level (WF floats, WD doubles) and its tables (slot n - 2 for n <= 4, else 3). */
#define LM_LU_LEVEL(SUFFIX, ATTR, VF, MF, WF, VD, MD, WD)                                       \
    LM_TRANSPOSE_##WF(VF, MF, lm_lu_trf_##SUFFIX, ATTR)                                         \
    LM_TRANSPOSE_##WD(VD, MD, lm_lu_trd_##SUFFIX, ATTR)                                         \
    LM_LU_SIZES(float, VF, MF, WF, f, SUFFIX, ATTR, FLT_MIN, lm_lu_trf_##SUFFIX)                \
    LM_LU_SIZES(double, VD, MD, WD, d, SUFFIX, ATTR, DBL_MIN, lm_lu_trd_##SUFFIX)               \
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
