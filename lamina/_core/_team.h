/* The thread team that runs a batched kernel's per-thread ranges: C threads that call a C
 * function, never Python, so a parallel region costs no GIL hand-over.
 *
 * Why: the Python pool it replaced (SimpleQueue inboxes, the worker taking the GIL to call a
 * method that released it again, the caller sleeping on a queue until the last one finished)
 * cost ~62 us per 2-thread region on these virtual machines. What costs there is waking a
 * sleeping thread: the futex call that wakes a thread whose vCPU went idle took 40-140 us of
 * the waker's time (teamtest, 2026-12-06), against ~2 us for one still running. So the caller
 * posts the region (a store per worker; a broadcast only if one sleeps), runs range 0 itself,
 * then polls for the others, who have the same amount of work and finish within microseconds
 * of it (it sleeps after LM_TEAM_SPIN_NS: a worker descheduled by a busy machine); and a
 * worker polls LM_TEAM_LINGER_NS for the next region before it sleeps, so back-to-back calls
 * (a loop over batches, a benchmark) find it awake. That is the only spinning between regions:
 * a tenth of a millisecond of one core after a call (PyTorch's OpenMP workers spin long enough
 * to slow the next library's first call, perf/timing.py).
 *
 * One region at a time: a region asked for while another runs (another Python thread's call,
 * or a kernel called from inside a range) runs its ranges serially on its caller. A fork-started
 * child has no team threads: the atfork handler resets the team, which grows again on demand
 * (KERNEL-FACTS: pools must be per process).
 */
#ifndef LAMINA_TEAM_H
#define LAMINA_TEAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

typedef void (*lm_team_fn)(void *ctx, ptrdiff_t t);

#define LM_TEAM_MAX 256          /* threads of a region, the caller's included; more ranges
                                    than that run on the caller */
#define LM_TEAM_SPIN_NS 200000   /* how long the caller polls for the workers before it sleeps */
#define LM_TEAM_LINGER_NS 100000 /* how long a worker polls for the next region before it sleeps */

typedef struct {
    pthread_mutex_t lock;    /* held to sleep and to wake sleepers */
    pthread_cond_t wake;     /* workers wait here for their go */
    pthread_cond_t done;     /* the caller waits here for the last worker */
    atomic_int busy;         /* a region is running */
    int size;                /* workers started; worker w runs range w (1-based) */
    atomic_uint go[LM_TEAM_MAX];  /* go[w] is bumped when worker w has a range to run */
    unsigned start[LM_TEAM_MAX];  /* go[w] when worker w was started */
    lm_team_fn fn;           /* the region: set before the go[w] are bumped */
    void *ctx;
    atomic_int pending;      /* workers still running the region's ranges */
    atomic_int sleepers;     /* workers asleep on `wake` */
    atomic_int caller_asleep;  /* the caller is asleep on `done` */
    atomic_long regions;     /* regions split over threads since the module loaded */
} lm_team_t;

static lm_team_t lm_team = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                            PTHREAD_COND_INITIALIZER};

static inline long lm_team_ns_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000000000L + (t1.tv_nsec - t0->tv_nsec);
}

static inline void lm_team_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Worker w: only a worker given a range reads the region, and the caller waits for all of
 * them before it posts the next one, so the region's fields never change under a reader.
 * Sleeping and waking go through the lock, the flags (`sleepers`, `caller_asleep`) being
 * raised under it before the condition is checked again: whoever changes the condition and
 * then reads the flag either sees it raised, and signals under the lock, or changed the
 * condition before the sleeper checked it (sequentially consistent atomics). */
static void *lm_team_worker(void *p)
{
    int w = (int)(ptrdiff_t)p;
    unsigned seen = lm_team.start[w];
    for (;;) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (atomic_load(&lm_team.go[w]) == seen && lm_team_ns_since(&t0) < LM_TEAM_LINGER_NS)
            lm_team_pause();
        if (atomic_load(&lm_team.go[w]) == seen) {
            pthread_mutex_lock(&lm_team.lock);
            atomic_fetch_add(&lm_team.sleepers, 1);
            while (atomic_load(&lm_team.go[w]) == seen)
                pthread_cond_wait(&lm_team.wake, &lm_team.lock);
            atomic_fetch_sub(&lm_team.sleepers, 1);
            pthread_mutex_unlock(&lm_team.lock);
        }
        seen++;
        lm_team.fn(lm_team.ctx, w);
        if (atomic_fetch_sub(&lm_team.pending, 1) == 1 && atomic_load(&lm_team.caller_asleep)) {
            pthread_mutex_lock(&lm_team.lock);
            pthread_cond_signal(&lm_team.done);
            pthread_mutex_unlock(&lm_team.lock);
        }
    }
    return NULL;
}

/* Start workers up to `want` (fewer when the system refuses); returns how many there are. */
static int lm_team_grow(int want)
{
    while (lm_team.size < want) {
        pthread_t thread;
        pthread_attr_t attr;
        lm_team.start[lm_team.size + 1] = atomic_load(&lm_team.go[lm_team.size + 1]);
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attr, lm_team_worker,
                                    (void *)(ptrdiff_t)(lm_team.size + 1));
        pthread_attr_destroy(&attr);
        if (failed)
            break;
        lm_team.size++;
    }
    return lm_team.size;
}

/* fn(ctx, t) for t in 0 .. count-1: range 0 on the caller, the others on the team; returns
 * when all have returned. Serial where the team is busy or count <= 1. */
static void lm_team_run(lm_team_fn fn, void *ctx, ptrdiff_t count)
{
    if (count <= 1 || atomic_exchange(&lm_team.busy, 1)) {
        for (ptrdiff_t t = 0; t < count; t++)
            fn(ctx, t);
        return;
    }
    int extra = lm_team_grow(count - 1 < LM_TEAM_MAX - 1 ? (int)count - 1 : LM_TEAM_MAX - 1);
    int split = extra + 1 < count ? extra + 1 : (int)count;
    if (split > 1) {
        lm_team.fn = fn;
        lm_team.ctx = ctx;
        atomic_store(&lm_team.pending, split - 1);
        atomic_fetch_add(&lm_team.regions, 1);
        for (int w = 1; w < split; w++)
            atomic_fetch_add(&lm_team.go[w], 1);
        if (atomic_load(&lm_team.sleepers)) {
            pthread_mutex_lock(&lm_team.lock);
            pthread_cond_broadcast(&lm_team.wake);
            pthread_mutex_unlock(&lm_team.lock);
        }
    }
    fn(ctx, 0);
    for (ptrdiff_t t = split; t < count; t++)   /* ranges no worker could be started for */
        fn(ctx, t);
    if (split > 1) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (atomic_load(&lm_team.pending) > 0 && lm_team_ns_since(&t0) < LM_TEAM_SPIN_NS)
            lm_team_pause();
        if (atomic_load(&lm_team.pending) > 0) {
            pthread_mutex_lock(&lm_team.lock);
            atomic_store(&lm_team.caller_asleep, 1);
            while (atomic_load(&lm_team.pending) > 0)
                pthread_cond_wait(&lm_team.done, &lm_team.lock);
            atomic_store(&lm_team.caller_asleep, 0);
            pthread_mutex_unlock(&lm_team.lock);
        }
    }
    atomic_store(&lm_team.busy, 0);
}

/* In a fork-started child: the workers did not survive, and a region in flight in another of
 * the parent's threads never ends here. */
static void lm_team_after_fork(void)
{
    pthread_mutex_init(&lm_team.lock, NULL);
    pthread_cond_init(&lm_team.wake, NULL);
    pthread_cond_init(&lm_team.done, NULL);
    lm_team.size = 0;
    atomic_store(&lm_team.busy, 0);
    atomic_store(&lm_team.pending, 0);
    atomic_store(&lm_team.sleepers, 0);
    atomic_store(&lm_team.caller_asleep, 0);
}

static long lm_team_regions(void) { return atomic_load(&lm_team.regions); }

static int lm_team_init(void) { return pthread_atfork(NULL, NULL, lm_team_after_fork); }

#endif
