/* Extent checks before BLAS/LAPACK calls (issue 10), compiled in only with
 * -Dlamina_extent_checks=true (the sanitizer stage, .ci/sanitize): AddressSanitizer cannot see
 * inside OpenBLAS, which is not instrumented, so before each call the kernel states what the
 * routine will touch given its arguments, and this header checks it lies inside the buffer the
 * pointer came from.
 *
 * - lm_check_mat: a column-major m x n matrix with leading dimension ld touches elements
 *   [0, ld*(n-1) + m) (a triangle-only routine too: its span is the same); ld >= max(1, m) is
 *   LAPACK's own requirement and is checked as well. Nothing is touched when m or n is 0.
 * - lm_check_vec: a vector of n elements with increment inc touches [0, (n-1)*|inc| + 1)
 *   (BLAS walks a negative increment backwards from the same base pointer); workspaces
 *   (lwork elements), pivots and tau are vectors with inc 1.
 * The bounds [lo, hi) are bytes of the operand's buffer: a NumPy array's byte bounds (its
 * lowest and highest byte over all strides, as numpy's byte_bounds), a thread's own region of
 * the per-call scratch, or a local variable. Under AddressSanitizer the span must also be
 * unpoisoned (__asan_region_is_poisoned), which catches a span crossing into another allocation.
 *
 * A violation writes one line, "lamina extent check: <site>: ...", to stderr and, under a
 * sanitizer, into its report log (so .ci/sanitize's count of report files includes it), then
 * abort()s: the process dies and pytest fails.
 *
 * Without LAMINA_EXTENT_CHECKS every function here is empty and static inline, so the calls and
 * the arguments computed for them compile to nothing; LAMINA_EXTENT_CHECKS_ON (0 or 1) lets
 * the planning code skip computing bounds (`if EXTENT_ON:` in Cython, folded by the compiler).
 */
#ifndef LAMINA_EXTENT_H
#define LAMINA_EXTENT_H

#include <stddef.h>

typedef struct {
    const char *lo;
    const char *hi;          /* one past the last byte */
} lm_span;

static inline lm_span lm_span_at(const void *p, ptrdiff_t nbytes)
{
    lm_span s;
    s.lo = (const char *)p;
    s.hi = (const char *)p + nbytes;
    return s;
}

#ifdef LAMINA_EXTENT_CHECKS
#define LAMINA_EXTENT_CHECKS_ON 1

#include <stdio.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define LM_EXTENT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LM_EXTENT_ASAN 1
#endif
#endif
#ifdef LM_EXTENT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

static void lm_extent_fail(const char *site, const char *what, ptrdiff_t first, ptrdiff_t last,
                           ptrdiff_t size)
{
    char line[320];
    snprintf(line, sizeof line, "lamina extent check: %s: %s (bytes [%td, %td) of a buffer of "
             "%td)", site, what, first, last, size);
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
#ifdef LM_EXTENT_ASAN
    __sanitizer_report_error_summary(line);
#endif
    abort();
}

/* `count` elements of `item` bytes from p must lie in s. */
static inline void lm_check_span(const char *site, const void *p, ptrdiff_t count,
                                 ptrdiff_t item, lm_span s)
{
    const char *first = (const char *)p;
    char what[96];
    if (count <= 0)
        return;
    if (first < s.lo || count > (s.hi - first) / item) {
        snprintf(what, sizeof what, "%td elements of %td bytes outside the buffer", count, item);
        lm_extent_fail(site, what, first - s.lo, first - s.lo + count * item, s.hi - s.lo);
    }
#ifdef LM_EXTENT_ASAN
    if (__asan_region_is_poisoned((void *)first, (size_t)(count * item)) != NULL) {
        snprintf(what, sizeof what, "%td elements of %td bytes reach poisoned memory", count,
                 item);
        lm_extent_fail(site, what, first - s.lo, first - s.lo + count * item, s.hi - s.lo);
    }
#endif
}

static inline void lm_check_mat(const char *site, const void *p, ptrdiff_t m, ptrdiff_t n,
                                ptrdiff_t ld, ptrdiff_t item, lm_span s)
{
    char what[96];
    if (ld < (m > 1 ? m : 1)) {
        snprintf(what, sizeof what, "leading dimension %td < max(1, m = %td)", ld, m);
        lm_extent_fail(site, what, 0, 0, s.hi - s.lo);
    }
    if (m > 0 && n > 0)
        lm_check_span(site, p, ld * (n - 1) + m, item, s);
}

static inline void lm_check_vec(const char *site, const void *p, ptrdiff_t n, ptrdiff_t inc,
                                ptrdiff_t item, lm_span s)
{
    if (n > 0)
        lm_check_span(site, p, (n - 1) * (inc < 0 ? -inc : inc) + 1, item, s);
}

#else
#define LAMINA_EXTENT_CHECKS_ON 0

static inline void lm_check_mat(const char *site, const void *p, ptrdiff_t m, ptrdiff_t n,
                                ptrdiff_t ld, ptrdiff_t item, lm_span s)
{
    (void)site; (void)p; (void)m; (void)n; (void)ld; (void)item; (void)s;
}

static inline void lm_check_vec(const char *site, const void *p, ptrdiff_t n, ptrdiff_t inc,
                                ptrdiff_t item, lm_span s)
{
    (void)site; (void)p; (void)n; (void)inc; (void)item; (void)s;
}
#endif

#endif
