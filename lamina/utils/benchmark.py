"""torch.utils.benchmark's Timer and Measurement for lamina statements.

`Timer` wraps `timeit.Timer` as PyTorch's does: a warm-up before timing, the thread count fixed
while timing, replicates rather than one number, and a `Measurement` that prints median and IQR.
Statistics follow torch.utils.benchmark.utils.common: quantiles interpolate linearly (as
`torch.quantile`), the IQR warnings fire at 10% and 25% of the median, and the printed form is
PyTorch's line for line with this module's path in the object header.
"""

import collections
import contextlib
import dataclasses
import math
import textwrap
import timeit

import numpy as np

import lamina

__all__ = ["Measurement", "TaskSpec", "Timer", "select_unit"]

_MAX_SIGNIFICANT_FIGURES = 4
_MIN_CONFIDENCE_INTERVAL = 25e-9  # 25 ns: below this a timer's own resolution dominates
_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.25
_SKIP_LINE = "MEASUREMENT_REPR_SKIP_LINE"


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """What a Timer measures (everything but its globals); Measurements with equal specs merge."""

    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self):
        suffix = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + suffix
        if "\n" not in self.stmt:
            return self.stmt + suffix
        sub = f" ({self.sub_label})" if self.sub_label else ""
        return f"stmt:{sub}\n{textwrap.indent(self.stmt, '  ')}"

    def setup_str(self):
        if self.setup in ("pass", ""):
            return ""
        if "\n" in self.setup:
            return f"setup:\n{textwrap.indent(self.setup, '  ')}"
        return f"setup: {self.setup}"

    def summarize(self):
        sections = [self.title, self.description or "", self.setup_str()]
        # A multi-line section is followed by a blank line, as in PyTorch's printed form.
        return "\n".join(f"{s}\n" if "\n" in s else s for s in sections if s)


_TASKSPEC_FIELDS = tuple(f.name for f in dataclasses.fields(TaskSpec))


@dataclasses.dataclass(repr=False)
class Measurement:
    """Replicate times of one statement: `raw_times[i]` is the time of `number_per_run` runs."""

    number_per_run: int
    raw_times: list
    task_spec: TaskSpec
    metadata: dict | None = None  # reserved for the caller's payload

    def __post_init__(self):
        self._sorted_times = ()
        self._warnings = ()
        self._median = self._mean = self._p25 = self._p75 = -1.0

    def __getattr__(self, name):
        # Only reached for missing attributes: the TaskSpec's fields read through (m.stmt, ...).
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        raise AttributeError(f"'Measurement' object has no attribute '{name}'")

    @property
    def times(self):
        """Seconds per run of each replicate."""
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self):
        self._lazy_init()
        return self._median

    @property
    def mean(self):
        self._lazy_init()
        return self._mean

    @property
    def iqr(self):
        self._lazy_init()
        return self._p75 - self._p25

    @property
    def significant_figures(self):
        """Digits of the median that the interquartile spread supports (1 to 4).

        PyTorch's estimate: a 90% interval (z = 1.645) of the mean of the interquartile points,
        floored at 25 ns; the count is floor(log10(median / interval)).
        """
        self._lazy_init()
        n = len(self._sorted_times)
        inner = np.array(self._sorted_times[n // 4:math.ceil(3 * n / 4)])
        interval = max(1.645 * inner.std() / math.sqrt(len(inner)), _MIN_CONFIDENCE_INTERVAL)
        figures = math.floor(math.log10(self._median / interval))
        return min(max(figures, 1), _MAX_SIGNIFICANT_FIGURES)

    @property
    def has_warnings(self):
        self._lazy_init()
        return bool(self._warnings)

    @property
    def title(self):
        return self.task_spec.title

    @property
    def env(self):
        return "Unspecified env" if self.task_spec.env is None else self.task_spec.env

    @property
    def as_row_name(self):
        return self.sub_label or self.stmt or "[Unknown]"

    def meets_confidence(self, threshold=_IQR_WARN_THRESHOLD):
        return self.iqr / self.median < threshold

    def _lazy_init(self):
        if not self.raw_times or self._sorted_times:
            return
        self._sorted_times = tuple(sorted(self.times))
        times = np.array(self._sorted_times, dtype=np.float64)
        # np.quantile's default 'linear' method is torch.quantile's default interpolation.
        self._p25, self._median, self._p75 = (float(q) for q in np.quantile(times, [.25, .5, .75]))
        self._mean = float(times.mean())
        if not self.meets_confidence(_IQR_GROSS_WARN_THRESHOLD):
            self._add_warning("This suggests significant environmental influence.")
        elif not self.meets_confidence(_IQR_WARN_THRESHOLD):
            self._add_warning("This could indicate system fluctuation.")

    def _add_warning(self, msg):
        rel_iqr = self.iqr / self.median * 100
        self._warnings += (f"  WARNING: Interquartile range is {rel_iqr:.1f}% "
                           f"of the median measurement.\n           {msg}",)

    def __repr__(self):
        self._lazy_init()
        n = len(self._sorted_times)
        unit, scale = select_unit(self._median)
        s = "s" if n > 1 else ""
        lines = [
            object.__repr__(self),
            self.task_spec.summarize(),
            f"  {'Median: ' if n > 1 else ''}{self._median / scale:.2f} {unit}",
            # PyTorch prints the IQR only from 4 replicates on.
            f"  {'' if n >= 4 else _SKIP_LINE}IQR:    {self.iqr / scale:.2f} {unit} "
            f"({self._p25 / scale:.2f} to {self._p75 / scale:.2f})",
            f"  {n} measurement{s}, {self.number_per_run} runs "
            f"{'per measurement,' if n > 1 else ','} {self.num_threads} "
            f"thread{'s' if self.num_threads > 1 else ''}",
            "\n".join(self._warnings),
        ]
        text = "\n".join(lines).strip()
        return "\n".join(line for line in text.splitlines() if _SKIP_LINE not in line)

    @staticmethod
    def merge(measurements):
        """Pool replicates of equal TaskSpecs into Measurements of one run each (no metadata)."""
        groups = collections.defaultdict(list)
        for m in measurements:
            groups[m.task_spec].extend(m.times)
        return [Measurement(1, times, spec) for spec, times in groups.items()]


def select_unit(t):
    """(unit, seconds per unit) that prints `t` seconds with a magnitude of 1 to 999."""
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(math.floor(math.log10(t) // 3), "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


@contextlib.contextmanager
def _num_threads(n):
    # The thread count applies while timing and is restored after, as in PyTorch. lamina sets it
    # through lm.set_num_threads once the library has one; until then it is only recorded.
    set_threads = getattr(lamina, "set_num_threads", None)
    get_threads = getattr(lamina, "get_num_threads", None)
    if set_threads is None or get_threads is None:
        yield
        return
    prior = get_threads()
    set_threads(n)
    try:
        yield
    finally:
        set_threads(prior)


class Timer:
    """Time a lamina statement (torch.utils.benchmark.Timer's interface; Python statements only).

    `stmt` runs in a namespace made of `globals` (copied) plus `lamina`; `setup` runs once per
    timing call, outside the timed region. Every method returns a `Measurement` whose `times`
    are seconds per run of `stmt`.
    """

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timeit.default_timer,
                 globals=None, label=None, sub_label=None, description=None, env=None,
                 num_threads=1, language="python"):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in ("py", "python"):
            raise ValueError(f"Timer: only Python statements are supported, got `{language}`.")
        if global_setup:
            raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely this "
                             "code can simply be moved to `setup`.")
        self._globals = dict(globals or {})
        self._globals.setdefault("lamina", lamina)
        stmt, setup = _clean(stmt), _clean(setup)
        self._timer = timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = TaskSpec(stmt=stmt, setup=setup, label=label, sub_label=sub_label,
                                   description=description, env=env, num_threads=num_threads)

    def _timeit(self, number):
        # A zero reading (coarse clock, empty statement) would break ratios downstream.
        return max(self._timer.timeit(number), 1e-9)

    def _measurement(self, number, times):
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def timeit(self, number=1000000):
        """One replicate of `number` runs, after a warm-up of number // 100 (at least 2) runs."""
        with _num_threads(self._task_spec.num_threads):
            self._timeit(max(number // 100, 2))
            return self._measurement(number, [self._timeit(number)])

    def repeat(self, repeat=5, number=1000000):
        """`repeat` replicates of `number` runs each, as timeit.Timer.repeat.

        PyTorch's Timer leaves this to blocked_autorange (it raises NotImplementedError); lamina
        gives timeit's semantics and a Measurement, after the same warm-up as `timeit`.
        """
        with _num_threads(self._task_spec.num_threads):
            self._timeit(max(number // 100, 2))
            return self._measurement(number, [self._timeit(number) for _ in range(repeat)])

    def autorange(self, callback=None):
        """One replicate whose run count is the first of 1, 2, 5, 10, 20, ... taking >= 0.2 s.

        timeit.Timer.autorange's search (`callback(number, time_taken)` after each try); the last
        try is the Measurement.
        """
        with _num_threads(self._task_spec.num_threads):
            number, time_taken = self._timer.autorange(callback)
        return self._measurement(number, [max(time_taken, 1e-9)])

    def _estimate_block_size(self, min_run_time):
        # PyTorch's rule: grow the block tenfold until the timer's own overhead is <= 1e-4 of a
        # block and a block takes >= min_run_time / 1000, or a block alone exceeds min_run_time.
        overhead = float(np.median([self._timeit(0) for _ in range(5)]))
        number = 1
        while True:
            time_taken = self._timeit(number)
            if overhead / time_taken <= 1e-4 and time_taken >= min_run_time / 1000:
                break
            if time_taken > min_run_time or number * 10 > 2147483647:
                break
            number *= 10
        return number

    def _measurement_loop(self, number, stop, min_run_time, max_run_time=None, callback=None):
        total, times = 0.0, []
        while total < min_run_time or not stop(times):
            t = self._timeit(number)
            times.append(t)
            total += t
            if callback:
                callback(number, t)
            if max_run_time and total > max_run_time:
                break
        return times

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Replicates of one block size until their total time reaches `min_run_time` seconds.

        The block size comes from a warm-up that grows it until the timer's overhead is
        negligible (see `_estimate_block_size`), so every replicate is one block.
        """
        with _num_threads(self._task_spec.num_threads):
            number = self._estimate_block_size(min_run_time)
            times = self._measurement_loop(number, lambda times: True, min_run_time,
                                           callback=callback)
        return self._measurement(number, times)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0,
                           callback=None):
        """As blocked_autorange, but continue until IQR / median < `threshold` (at least 4
        replicates) or `max_run_time` seconds."""
        with _num_threads(self._task_spec.num_threads):
            number = self._estimate_block_size(0.05)

            def stop(times):
                return len(times) > 3 and self._measurement(number, times).meets_confidence(
                    threshold)

            times = self._measurement_loop(number, stop, min_run_time, max_run_time, callback)
        return self._measurement(number, times)


def _clean(code):
    # Dedent, drop one leading newline and trailing whitespace, as PyTorch does before timing.
    code = textwrap.dedent(code)
    return (code[1:] if code[:1] == "\n" else code).rstrip()
