"""lamina.distributed on a LocalCluster: batched SPD cholesky over 1 and 2 worker processes.

Issue 11's cases. The matrices are generated on the workers (each chunk from its own seed) and
kept there, so the timings count the factorization, its tasks and the scheduler, not shipping
data from the client. For each case and chunk count: the median wall time of factorizing the
whole batch (results left on the workers) with 1 and with 2 worker processes of one thread
each, the work per chunk (the eager lamina call on the whole batch in this process, one
thread, over the chunk count), and the 2-process speedup and strong-scaling efficiency
(speedup / 2). The per-task overhead is the slope of the 1-worker time over the chunk count.
The streaming case reduces 20 million 4x4 SPD matrices (2.5 GB, never held at once) to the sum
of their log-determinants and reports the wall time and the peak resident memory of the
processes.

Named distributed_linalg.py, not distributed.py: perf/ is first on the import path when a
script here runs, and a perf/distributed.py would shadow the `distributed` package.

Usage: python perf/distributed_linalg.py [--quick]
"""

import threads_env  # noqa: F401  (before numpy: see threads_env.py)

# isort: split
import argparse
import resource
import statistics
import time

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, wait

import lamina as lm
import lamina.distributed as ld

# name -> (batch, n); chunk counts swept for each.
CASES = {"4x4": (400000, 4), "32x32": (16000, 32)}
CHUNKS = (1, 2, 4, 16, 64, 256)
# The goal's case: two chunks of >= 100 ms of work each (16000x32x32 is ~50 ms in all here).
GOAL = ("32x32 (goal)", 64000, 32, (2, 4))
STREAM = (20_000_000, 4, 100)  # matrices, n, chunks
REPEATS = 5


def _spd_block(block_id, *, chunk, n, seed):
    """One chunk of SPD matrices X X^T + n I, drawn from a seed of its own."""
    rng = np.random.default_rng((seed, block_id[0]))
    x = rng.standard_normal((chunk, n, n))
    return x @ x.swapaxes(-1, -2) + n * np.eye(n)


def spd(batch, n, chunks, seed=0):
    """A lazy (batch, n, n) dask array of SPD matrices, generated chunk by chunk on the
    workers; `batch` must divide by `chunks`."""
    chunk = batch // chunks
    return da.map_blocks(_spd_block, chunks=((chunk,) * chunks, (n,), (n,)), dtype=np.float64,
                         meta=np.empty((0, 0, 0)), chunk=chunk, n=n, seed=seed)


def _cluster(workers):
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    return cluster, Client(cluster)


def _holds_factors(dask_scheduler):
    return any("cholesky" in str(key) for key in dask_scheduler.tasks)


def _factorize(client, x):
    """Seconds to factorize `x` (already on the workers), results left there, then released.
    The next repeat builds the same keys, so it waits until the scheduler has forgotten them."""
    start = time.perf_counter()
    L = client.persist(ld.cholesky(x))
    wait(L)
    elapsed = time.perf_counter() - start
    del L
    while client.run_on_scheduler(_holds_factors):
        time.sleep(0.01)
    return elapsed


def _sweep(client, cases):
    """(case, chunks) -> median seconds."""
    times = {}
    for label, batch, n, chunk_counts in cases:
        for chunks in chunk_counts:
            x = client.persist(spd(batch, n, chunks))
            wait(x)
            # A factorization runs where its chunk is: spread the chunks evenly, so that where
            # the scheduler happened to generate them does not decide the timing.
            client.rebalance(x)
            _factorize(client, x)  # warm-up: imports and first calls on the workers
            times[label, chunks] = statistics.median(_factorize(client, x)
                                                     for _ in range(REPEATS))
            del x
    return times


def _eager(batch, n):
    """Seconds for the eager lamina call on the whole batch in this process, one thread."""
    # Imported here, not at the top: the workers import this module to run _spd_block, and
    # timing imports PyTorch (about 0.2 GB resident in each worker otherwise).
    from timing import time_once

    before = lm.get_num_threads()
    lm.set_num_threads(1)
    x = _spd_block((0,), chunk=batch, n=n, seed=0)
    t = lm.from_numpy(x)
    lm.linalg.cholesky(t)
    seconds = min(time_once(lambda: lm.linalg.cholesky(t), 1) for _ in range(3))
    lm.set_num_threads(before)
    return seconds


def _rss_peaks(client):
    """Peak resident set of each worker process and of this one (the client and, in a
    LocalCluster, the scheduler), in bytes."""
    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    return list(client.run(peak).values()), peak()


def _rss_now(client):
    def now():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()

    return list(client.run(now).values()), now()


def _stream(batch, n, chunks):
    """(wall seconds, sum of logdets, process RSS before, peak RSS after): a fresh 2-worker
    cluster, so each worker's peak is this case's."""
    cluster, client = _cluster(2)
    try:
        before = _rss_now(client)
        start = time.perf_counter()
        total = ld.slogdet(spd(batch, n, chunks, seed=1)).logabsdet.sum().compute()
        elapsed = time.perf_counter() - start
        return elapsed, float(total), before, _rss_peaks(client)
    finally:
        client.close()
        cluster.close()


def _table(cases, times, eager):
    lines = ["| case | chunks | work/chunk ms | 1 worker ms | 2 workers ms | speedup | "
             "efficiency |", "|---|---|---|---|---|---|---|"]
    for label, batch, n, chunk_counts in cases:
        for chunks in chunk_counts:
            t1, t2 = times[1][label, chunks], times[2][label, chunks]
            lines.append(f"| {label} {batch}x{n}x{n} | {chunks} | "
                         f"{eager[label] / chunks * 1e3:.1f} | {t1 * 1e3:.1f} | {t2 * 1e3:.1f} | "
                         f"{t1 / t2:.2f} | {t1 / t2 / 2:.0%} |")
    return "\n".join(lines)


def _overhead(cases, times):
    """Per-task overhead on 1 worker: the slope of time over chunk count, per case."""
    parts = []
    for label, _, _, chunk_counts in cases:
        lo, hi = min(chunk_counts), max(chunk_counts)
        slope = (times[1][label, hi] - times[1][label, lo]) / (hi - lo)
        parts.append(f"{label}: {slope * 1e3:.2f} ms/task")
    return "per-task overhead (1 worker, slope over chunk count): " + ", ".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a tenth of each batch, fewer chunk counts, 2 million streamed")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    chunk_counts = (1, 4, 16) if args.quick else CHUNKS
    cases = [(label, batch // scale, n, chunk_counts) for label, (batch, n) in CASES.items()]
    cases.append(GOAL[:1] + (GOAL[1] // scale,) + GOAL[2:])
    # The streaming case first: this process's peak memory is then its own.
    batch, n, chunks = STREAM
    batch //= scale
    elapsed, total, before, (workers, client) = _stream(batch, n, chunks)
    grown = sum(w - b for w, b in zip(workers, before[0], strict=True)) + client - before[1]
    streaming = (f"streaming: sum of logdet over {batch} {n}x{n} SPD matrices "
                 f"({batch * n * n * 8 / 1e9:.2f} GB, {chunks} chunks) on 2 workers: "
                 f"{elapsed:.2f} s, sum {total:.6g}; peak RSS workers "
                 f"{', '.join(f'{w / 1e6:.0f}' for w in workers)} MB + client/scheduler "
                 f"{client / 1e6:.0f} MB = {(sum(workers) + client) / 1e9:.2f} GB, of which "
                 f"above the processes' idle RSS: {grown / 1e9:.2f} GB")
    eager = {label: _eager(batch, n) for label, batch, n, _ in cases}
    times = {}
    for workers in (1, 2):
        cluster, client = _cluster(workers)
        try:
            times[workers] = _sweep(client, cases)
        finally:
            client.close()
            cluster.close()
    print("lamina.distributed cholesky, float64 SPD, LocalCluster processes of 1 thread "
          f"(median of {REPEATS})")
    print(_table(cases, times, eager))
    print(_overhead(cases[:-1], times))
    print(f"\n{streaming}")


if __name__ == "__main__":
    main()
