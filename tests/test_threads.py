"""Thread safety and thread-count independence of every fuzzed op (issue 10).

8 Python threads x 10 iterations, released together by a barrier, call each op on shared inputs
in mixed layouts and must reproduce a serial run; and a batch large enough for lamina to split
it over its pool (past every kernel's PARALLEL_WORK threshold) gives the same result under
set_num_threads(1) and (2). Mismatches are recorded as the `thread_mismatches` figure.
"""

import threading

import numpy as np
import pytest
from figures import record
from fuzz_inputs import LAYOUTS, Placed, matrix_of_kind
from test_fuzz import OPS, UNSPLIT, core_shape, run, same

import lamina as lm
from lamina._core import _threads

WORKERS = 8
ITERATIONS = 10
# 4096 matrices of 6x6 pass every kernel's split threshold (the largest is 2^20 multiply-adds,
# _blas.pyx's PARALLEL_WORK: 4096 * 6^3 = 884736 and more with the call costs; matmul's k=6 too).
BIG_BATCH = 6144


def inputs(op, batch, seed):
    """Shared tensors for `op`: a batch of 6x6 (or 6x3) well-conditioned inputs, argument i in
    layout LAYOUTS[i + seed] (never expand: its matrices would all be equal)."""
    rng = np.random.default_rng(seed)
    dims = {"n": 6, "m": 6, "k": 6}
    layouts = [v for v in LAYOUTS if v != "expand"]
    tensors = []
    for i, (kind, spec) in enumerate(op.args):
        b = () if op.batch == "none" else (batch,)
        values = matrix_of_kind(rng, kind, b + core_shape(spec, dims), np.float64)
        tensors.append(Placed(values, layouts[(i + seed) % len(layouts)], rng, lm).tensor)
    return tensors


def mismatch(a, b, what):
    try:
        same(a, b, what)
        return 0
    except AssertionError:
        return 1


@pytest.mark.parametrize("op", OPS, ids=[o.name for o in OPS])
def test_concurrent_calls_match_serial(op):
    tensors = inputs(op, 16, 1)
    serial = run(op, tensors, lm.get_num_threads())
    assert serial[1] is None, serial[1]
    barrier = threading.Barrier(WORKERS)
    results = [[] for _ in range(WORKERS)]

    def work(i):
        barrier.wait()
        for _ in range(ITERATIONS):
            results[i].append(run(op, tensors, lm.get_num_threads()))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad = sum(mismatch(serial, r, "thread vs serial") for rs in results for r in rs)
    record("thread_mismatches", bad)
    assert bad == 0, f"{bad} of {WORKERS * ITERATIONS} concurrent calls differ from the serial one"


@pytest.mark.parametrize("op", [o for o in OPS if o.batch != "none"],
                         ids=[o.name for o in OPS if o.batch != "none"])
def test_split_batch_matches_one_thread(op, monkeypatch):
    tensors = inputs(op, BIG_BATCH, 2)
    one = run(op, tensors, 1)
    assert one[1] is None, one[1]
    splits = []
    parallel = _threads.run_parallel
    monkeypatch.setattr(_threads, "run_parallel",
                        lambda fn, threads: splits.append(threads) or parallel(fn, threads))
    bad = mismatch(one, run(op, tensors, 2), "1 vs 2 threads")
    record("thread_mismatches", bad)
    assert bad == 0
    # The comparison means something only if the batch was split.
    assert (max(splits, default=1) > 1) == (op.name not in UNSPLIT), splits
