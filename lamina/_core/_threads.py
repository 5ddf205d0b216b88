"""lamina's thread count, the limit on OpenBLAS's own threads, and a pool for Python work.

Batched kernels split their batch into contiguous ranges, one per thread; each range is a C
loop run without the GIL on the C thread team of _team.h (lamina._core._team.run_team), and
calls BLAS single-threaded. Work that is Python (lamina.sparse's blocks, which call SciPy) runs
on `parallel_for`'s pool instead: a few Python threads, created lazily and per process id, so
a fork-started child gets a fresh pool (OpenMP's and a module-level executor's threads do not
survive fork, and waiting on them hangs, see KERNEL-FACTS.md). Either way the calling thread
runs the first range itself, so a 2-thread region wakes one worker.

OpenBLAS keeps one process-wide thread count, with no per-call limit. While a batch-parallel
region calls BLAS, scipy's OpenBLAS is set to 1 thread and restored afterwards, so our threads
and BLAS's never oversubscribe the cores whatever the user set; one large product instead runs
with BLAS at `get_num_threads()` threads. Where scipy's OpenBLAS cannot be found (a scipy built
against another BLAS), `BLAS_CONTROL` is False and batched BLAS work stays serial.
"""

import ctypes
import glob
import os
import threading
from queue import SimpleQueue


def _default_num_threads():
    """OMP_NUM_THREADS when it is a positive integer, as PyTorch reads it (Dask's workers set it
    to 1, and so do job schedulers), else the cores this process may run on."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


_num_threads = _default_num_threads()

# True splits every batch of two or more elements across the threads, whatever its work. The
# kernels' thresholds keep small batches on one thread; the tests set this so that comparing
# runs at 1 and 2 threads on small inputs (the fuzz suite's) compares a split batch.
split_every_batch = False


def set_num_threads(num):
    """The number of threads lamina's kernels use (batch splitting, and BLAS for one product)."""
    if type(num) is not int:
        raise RuntimeError(f"set_num_threads expects an int, but got {type(num).__name__}")
    if num <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    global _num_threads
    _num_threads = num


def get_num_threads():
    return _num_threads


# -- scipy's OpenBLAS ----------------------------------------------------------------------------

def _find_openblas():
    """(set, get) for the OpenBLAS that scipy.linalg.cython_blas calls, or (None, None)."""
    import scipy
    import scipy.linalg.cython_blas  # noqa: F401  (loads the library we look up)
    libs = os.path.join(os.path.dirname(os.path.dirname(scipy.__file__)), "scipy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "libscipy_openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)  # the loaded copy: dlopen of a loaded path returns it
            setter, getter = lib.scipy_openblas_set_num_threads, lib.scipy_openblas_get_num_threads
        except (OSError, AttributeError):
            continue
        setter.argtypes, setter.restype = [ctypes.c_int], None
        getter.argtypes, getter.restype = [], ctypes.c_int
        return setter, getter
    return None, None


_blas_set, _blas_get = _find_openblas()
BLAS_CONTROL = _blas_set is not None


_blas_lock = threading.Lock()
_blas_users = 0         # regions now holding a BLAS thread count
_blas_saved = None      # the count to restore when the last one leaves


def limit_blas(num):
    """Enter a region that wants scipy's OpenBLAS at `num` threads; False where there is no
    control (nothing to undo). Regions running at once in several Python threads each call
    BLAS, so the second and later get BLAS at 1 thread; the last to leave restores the count
    found on entry, whatever order they leave in."""
    global _blas_users, _blas_saved
    if _blas_set is None:
        return False
    with _blas_lock:
        if not _blas_users:
            _blas_saved = _blas_get()
        _blas_users += 1
        want = num if _blas_users == 1 else 1
        if _blas_get() != want:
            _blas_set(want)
    return True


def unlimit_blas():
    global _blas_users
    with _blas_lock:
        _blas_users -= 1
        if not _blas_users and _blas_get() != _blas_saved:
            _blas_set(_blas_saved)


# -- the pool ------------------------------------------------------------------------------------

class _Pool:
    def __init__(self):
        self.inboxes = []
        self.done = SimpleQueue()
        self.lock = threading.Lock()   # one parallel region at a time; others run serially

    def _grow(self, count):
        while len(self.inboxes) < count:
            inbox = SimpleQueue()
            threading.Thread(target=self._work, args=(inbox,), daemon=True,
                             name=f"lamina-{len(self.inboxes)}").start()
            self.inboxes.append(inbox)

    def _work(self, inbox):
        while True:
            fn, arg = inbox.get()
            err = None
            try:
                fn(arg)
            except BaseException as e:  # handed to the caller, which re-raises it
                err = e
            # Dropped before the caller resumes: held until the next task, the call's arrays
            # (inputs and result) would outlive their last user.
            fn = arg = None
            self.done.put(err)


_pool = None
_pool_pid = None


def parallel_for(fn, count):
    """Call `fn(i)` for i in range(count), i = 0 on this thread and the others on the pool.

    `fn` is expected to release the GIL for its work. A call made while another thread holds
    the pool (or from inside a worker) runs serially rather than waiting.
    """
    global _pool, _pool_pid
    pid = os.getpid()
    if _pool_pid != pid:
        _pool, _pool_pid = _Pool(), pid
    pool = _pool
    if count <= 1 or not pool.lock.acquire(blocking=False):
        for i in range(count):
            fn(i)
        return
    try:
        pool._grow(count - 1)
        for i in range(1, count):
            pool.inboxes[i - 1].put((fn, i))
        err = None
        try:
            fn(0)
        except BaseException as e:
            err = e
        for _ in range(1, count):
            e = pool.done.get()
            err = err or e
        if err is not None:
            raise err
    finally:
        pool.lock.release()

