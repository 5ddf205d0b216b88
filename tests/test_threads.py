"""Thread safety and thread-count independence of every fuzzed op (issue 10).

8 Python threads x 10 iterations, released together by a barrier, call each op on shared inputs
in mixed layouts and must reproduce a serial run; and a batch large enough for lamina to split
it over its pool (past every kernel's PARALLEL_WORK threshold) gives the same result under
set_num_threads(1) and (2). Mismatches are recorded as the `thread_mismatches` figure.
"""

import threading
import time

import numpy as np
import pytest
from figures import record
from fuzz_inputs import LAYOUTS, Placed, matrix_of_kind
from test_fuzz import OPS, UNSPLIT, core_shape, run, same

import lamina as lm
from lamina._core import _team, _threads

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
def test_split_batch_matches_one_thread(op):
    tensors = inputs(op, BIG_BATCH, 2)
    one = run(op, tensors, 1)
    assert one[1] is None, one[1]
    regions = _team.regions()
    bad = mismatch(one, run(op, tensors, 2), "1 vs 2 threads")
    record("thread_mismatches", bad)
    assert bad == 0
    # The comparison means something only if the batch was split.
    assert (_team.regions() > regions) == (op.name not in UNSPLIT)


def _split_inverses(threads, batch, pause=0.0, calls=1):
    """`calls` inverses of one batch of 4x4 matrices at `threads` threads, every batch split,
    sleeping `pause` seconds before each (a team worker sleeps after ~0.1 ms idle); each checked
    against NumPy's."""
    a = np.random.default_rng(7).standard_normal((batch, 4, 4)) + 4 * np.eye(4)
    want = np.linalg.inv(a)
    before = lm.get_num_threads()
    lm.set_num_threads(threads)
    _threads.split_every_batch = True
    regions = _team.regions()
    try:
        for _ in range(calls):
            time.sleep(pause)
            np.testing.assert_allclose(lm.linalg.inv(lm.from_numpy(a)).numpy(), want,
                                       rtol=1e-12, atol=1e-14)
    finally:
        _threads.split_every_batch = False
        lm.set_num_threads(before)
    assert _team.regions() - regions == calls


def test_team_wakes_sleeping_workers():
    # 2 ms apart, each region finds its worker asleep on the condition variable, not polling.
    _split_inverses(2, 64, pause=0.002, calls=20)


def test_team_back_to_back_regions():
    # Back to back, the worker is still polling: the post is a store, no wake-up.
    _split_inverses(2, 64, calls=200)


def test_more_ranges_than_team_threads():
    # 300 ranges: the team stops at 255 workers (LM_TEAM_MAX), the caller runs the rest.
    _split_inverses(300, 600)
