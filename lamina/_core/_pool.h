/* A NumPy memory handler that keeps the buffers of large kernel outputs for reuse.
 *
 * Why: glibc serves allocations above 32 MiB (its largest mmap threshold) with a fresh mmap,
 * so every large result is faulted in and zeroed page by page by the kernel before the first
 * store: 41 MB (20000 16x16 float64 products) cost ~3-8 ms of page faults on these virtual
 * machines against 1.6 ms to write it once resident, more than the products themselves.
 * Smaller blocks often come back from glibc's heap resident, but not reliably: when freeing
 * them leaves more than its trim threshold (twice the largest block it has seen mmapped) free
 * at the top of the heap, glibc returns those pages to the system, and the next call faults
 * them in again. Two 800 KB outputs alive together (a slogdet's sign and log|det| of 100000
 * matrices) cost 357 page faults and ~0.35 ms per call that way, a third of the whole op on two
 * threads. So a freed output buffer of at least LM_POOL_MIN bytes is kept (at most
 * LM_POOL_BLOCKS of them, LM_POOL_BYTES in all, least recently freed dropped first) and handed
 * to the next output of a similar size.
 *
 * The kernels install this handler only around the allocation of an output of at least
 * LM_POOL_MIN bytes; NumPy stores the handler in the array and calls its free when the array
 * dies. NumPy allocates and frees array data with the GIL held, which guards the pool.
 */
#ifndef LAMINA_POOL_H
#define LAMINA_POOL_H

#include <stdlib.h>
#include <string.h>

#define LM_POOL_MIN ((size_t)256 << 10)
#define LM_POOL_BYTES ((size_t)512 << 20)
#define LM_POOL_BLOCKS 8

typedef struct {
    void *ptr[LM_POOL_BLOCKS];     /* free blocks, oldest first */
    size_t size[LM_POOL_BLOCKS];   /* usable bytes of each */
    int count;
    size_t bytes;
} lm_pool_t;

static lm_pool_t lm_pool;

/* Slot i out of the pool; returns its block. */
static void *lm_pool_take(int i)
{
    void *p = lm_pool.ptr[i];
    lm_pool.bytes -= lm_pool.size[i];
    memmove(lm_pool.ptr + i, lm_pool.ptr + i + 1, (lm_pool.count - i - 1) * sizeof(void *));
    memmove(lm_pool.size + i, lm_pool.size + i + 1, (lm_pool.count - i - 1) * sizeof(size_t));
    lm_pool.count--;
    return p;
}

/* A kept block of at least `size` bytes and at most a quarter more, the newest first. */
static void *lm_pool_malloc(void *ctx, size_t size)
{
    (void)ctx;
    for (int i = lm_pool.count - 1; i >= 0; i--) {
        if (lm_pool.size[i] >= size && lm_pool.size[i] - size <= size / 4)
            return lm_pool_take(i);
    }
    return malloc(size ? size : 1);
}

static void *lm_pool_calloc(void *ctx, size_t nelem, size_t elsize)
{
    (void)ctx;
    return calloc(nelem, elsize);
}

static void *lm_pool_realloc(void *ctx, void *ptr, size_t new_size)
{
    (void)ctx;
    return realloc(ptr, new_size ? new_size : 1);
}

static void lm_pool_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (ptr == NULL)
        return;
    if (size < LM_POOL_MIN || size > LM_POOL_BYTES) {
        free(ptr);
        return;
    }
    while (lm_pool.count == LM_POOL_BLOCKS || lm_pool.bytes + size > LM_POOL_BYTES)
        free(lm_pool_take(0));
    lm_pool.ptr[lm_pool.count] = ptr;
    lm_pool.size[lm_pool.count] = size;
    lm_pool.count++;
    lm_pool.bytes += size;
}

/* Every kept block back to the system. */
static void lm_pool_release(void)
{
    while (lm_pool.count)
        free(lm_pool_take(lm_pool.count - 1));
}

static PyDataMem_Handler lm_pool_handler = {
    "lamina_pool",
    1,
    {NULL, lm_pool_malloc, lm_pool_calloc, lm_pool_realloc, lm_pool_free},
};

#endif
