"""lm.utils.benchmark: Timer's timing semantics on a fake clock, Measurement statistics, and the
printed form (PyTorch 2.13's, line for line, with lamina's module path in the header).

The statement under test advances a fake clock by a fixed step, so every reading is exact and
no test depends on how fast this machine is.
"""

import re

import pytest

import lamina as lm
from lamina.utils.benchmark import Measurement, TaskSpec, Timer, select_unit

STEP = 2.0 ** -20  # fake seconds per run (~1 us), a power of two so that sums are exact


class FakeClock:
    """A clock that only moves when the timed statement runs: `tick()` costs STEP seconds."""

    def __init__(self):
        self.now = 0.0
        self.calls = 0

    def __call__(self):
        return self.now

    def tick(self):
        self.now += STEP
        self.calls += 1


def _timer(clock, **kwargs):
    return Timer("tick()", timer=clock, globals={"tick": clock.tick}, **kwargs)


def test_timeit_warms_up_then_times_number_runs():
    clock = FakeClock()
    m = _timer(clock).timeit(number=1000)
    assert m.number_per_run == 1000
    assert m.raw_times == [pytest.approx(1000 * STEP)]
    assert m.times == [pytest.approx(STEP)]
    assert clock.calls == 1000 + 10  # warm-up of number // 100 runs first
    assert _timer(FakeClock()).timeit(number=1).number_per_run == 1  # warm-up is >= 2 runs


def test_repeat_gives_one_replicate_per_repeat():
    m = _timer(FakeClock()).repeat(repeat=7, number=50)
    assert (m.number_per_run, len(m.raw_times)) == (50, 7)
    assert m.median == pytest.approx(STEP) and m.mean == pytest.approx(STEP)
    assert m.iqr == pytest.approx(0, abs=1e-15)


def test_autorange_follows_timeit_search_and_calls_back():
    seen = []
    m = _timer(FakeClock()).autorange(callback=lambda number, t: seen.append((number, t)))
    # 1, 2, 5, 10, ... runs until a try takes >= 0.2 s: 200000 runs take 0.19 s, 500000 0.48 s.
    assert m.number_per_run == 500000 and len(m.raw_times) == 1
    assert [n for n, _ in seen][:4] == [1, 2, 5, 10] and seen[-1][0] == 500000
    assert m.raw_times[0] == pytest.approx(500000 * STEP)


@pytest.mark.parametrize("min_run_time", [0.01, 0.2, 1.0])
def test_blocked_autorange_honours_min_run_time(min_run_time):
    calls = []
    m = _timer(FakeClock()).blocked_autorange(
        callback=lambda number, t: calls.append((number, t)), min_run_time=min_run_time)
    # Block size: grown tenfold until a block takes >= min_run_time / 1000 (the fake clock has no
    # overhead); then blocks until their total reaches min_run_time, and no block more.
    assert m.number_per_run * STEP >= min_run_time / 1000
    assert sum(m.raw_times) >= min_run_time
    assert sum(m.raw_times[:-1]) < min_run_time
    assert len(calls) == len(m.raw_times) and {n for n, _ in calls} == {m.number_per_run}


def test_blocked_autorange_on_a_real_statement():
    m = Timer("x + 1", globals={"x": 1}).blocked_autorange(min_run_time=0.05)
    assert sum(m.raw_times) >= 0.05 and len(m.raw_times) >= 1
    assert m.median > 0 and m.stmt == "x + 1"


def test_adaptive_autorange_stops_when_confident():
    m = _timer(FakeClock()).adaptive_autorange(threshold=0.1, min_run_time=0.01)
    assert len(m.raw_times) >= 4 and m.meets_confidence(0.1)


def test_setup_and_globals():
    clock = FakeClock()
    t = Timer("tick(); assert y == 3", setup="y = 3", timer=clock, globals={"tick": clock.tick})
    assert t.timeit(5).number_per_run == 5
    assert Timer("lamina.float64").timeit(10).median > 0  # `lamina` is always in scope


def test_num_threads_applied_and_restored(monkeypatch):
    state = {"n": 4}
    seen = []
    monkeypatch.setattr(lm, "get_num_threads", lambda: state["n"], raising=False)
    monkeypatch.setattr(lm, "set_num_threads", lambda n: state.update(n=n), raising=False)
    clock = FakeClock()
    Timer("tick()", timer=clock, num_threads=2,
          globals={"tick": lambda: (clock.tick(), seen.append(state["n"]))}).timeit(10)
    assert set(seen) == {2} and state["n"] == 4


def test_num_threads_recorded():
    m = _timer(FakeClock(), num_threads=3).timeit(10)
    assert m.num_threads == 3 and m.task_spec.num_threads == 3


def test_constructor_errors():
    with pytest.raises(ValueError, match="only a `str` stmt"):
        Timer(lambda: None)
    with pytest.raises(ValueError, match="global_setup is C\\+\\+ only"):
        Timer("pass", global_setup="#include <x>")
    with pytest.raises(ValueError, match="only Python statements"):
        Timer("pass", language="cpp")


def test_statistics():
    m = Measurement(10, [1e-3, 2e-3, 3e-3, 8e-3, 1e-2], TaskSpec("a", "pass"))
    assert m.times == pytest.approx([1e-4, 2e-4, 3e-4, 8e-4, 1e-3])
    assert m.median == pytest.approx(3e-4)
    assert m.mean == pytest.approx(4.8e-4)
    assert m.iqr == pytest.approx(6e-4)  # linear quantiles: 2e-4 to 8e-4
    assert m.has_warnings and not m.meets_confidence()
    assert m.significant_figures == 1
    steady = Measurement(1, [1.0] * 8 + [1.001] * 8, TaskSpec("a", "pass"))
    assert steady.significant_figures == 3 and not steady.has_warnings


def test_merge_pools_equal_specs():
    spec, other = TaskSpec("a", "pass"), TaskSpec("b", "pass")
    merged = Measurement.merge([Measurement(10, [1e-3], spec), Measurement(2, [4e-4], spec),
                                Measurement(1, [5.0], other)])
    assert [m.number_per_run for m in merged] == [1, 1]
    assert merged[0].raw_times == pytest.approx([1e-4, 2e-4]) and merged[1].raw_times == [5.0]


@pytest.mark.parametrize("t, unit", [(3e-9, "ns"), (4.5e-6, "us"), (0.02, "ms"), (1.5, "s")])
def test_select_unit(t, unit):
    assert select_unit(t)[0] == unit


HEADER = re.compile(r"<lamina\.utils\.benchmark\.Measurement object at 0x[0-9a-f]+>")

# (spec, number_per_run, raw_times, PyTorch 2.13's repr after the header line)
REPRS = [
    (TaskSpec("a", "pass"), 10, [1e-3, 2e-3, 3e-3, 8e-3, 1e-2],
     "a\n"
     "  Median: 300.00 us\n"
     "  IQR:    600.00 us (200.00 to 800.00)\n"
     "  5 measurements, 10 runs per measurement, 1 thread\n"
     "  WARNING: Interquartile range is 200.0% of the median measurement.\n"
     "           This suggests significant environmental influence."),
    (TaskSpec("x+1", "pass"), 100000, [1.942e-3],
     "x+1\n"
     "  19.42 ns\n"
     "  1 measurement, 100000 runs , 1 thread"),
    (TaskSpec("x+1", "y=2", label="L", sub_label="s", description="d", num_threads=2),
     1000000, [1.8e-2, 1.807e-2, 1.81e-2],
     "L: s\n"
     "d\n"
     "setup: y=2\n"
     "  Median: 18.07 ns\n"
     "  3 measurements, 1000000 runs per measurement, 2 threads"),
    (TaskSpec("x+1\nx+2", "y=2\nz=3", description="d"), 1000000, [3.4e-2, 3.402e-2],
     "stmt:\n"
     "  x+1\n"
     "  x+2\n"
     "\n"
     "d\n"
     "setup:\n"
     "  y=2\n"
     "  z=3\n"
     "\n"
     "  Median: 34.01 ns\n"
     "  2 measurements, 1000000 runs per measurement, 1 thread"),
    (TaskSpec("a", "pass"), 1, [1.0, 1.15, 1.1, 1.0],
     "a\n"
     "  Median: 1.05 s\n"
     "  IQR:    0.11 s (1.00 to 1.11)\n"
     "  4 measurements, 1 runs per measurement, 1 thread\n"
     "  WARNING: Interquartile range is 10.7% of the median measurement.\n"
     "           This could indicate system fluctuation."),
]


@pytest.mark.parametrize("spec, number, raw, expected", REPRS,
                         ids=["warned", "one-replicate", "labelled", "multiline", "fluctuation"])
def test_repr(spec, number, raw, expected):
    header, body = repr(Measurement(number, raw, spec)).split("\n", 1)
    assert HEADER.fullmatch(header)
    assert body == expected


def test_repr_of_a_timer_result():
    text = repr(Timer("x + 1", globals={"x": 1}).repeat(3, 1000))
    header, title, median, count = text.splitlines()[:4]
    assert HEADER.fullmatch(header) and title == "x + 1"
    assert re.fullmatch(r"  Median: \d+\.\d\d (ns|us|ms|s)", median)
    assert count == "  3 measurements, 1000 runs per measurement, 1 thread"


@pytest.mark.parametrize("spec, number, raw, expected", REPRS,
                         ids=["warned", "one-replicate", "labelled", "multiline", "fluctuation"])
def test_repr_matches_pytorch(spec, number, raw, expected):
    common = pytest.importorskip("torch.utils.benchmark.utils.common")
    theirs = repr(common.Measurement(number, raw, common.TaskSpec(**vars(spec))))
    assert repr(Measurement(number, raw, spec)).split("\n", 1)[1] == theirs.split("\n", 1)[1]
