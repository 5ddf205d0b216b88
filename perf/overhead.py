"""Per-op overhead on tiny tensors: lamina vs NumPy vs PyTorch, side by side in one run.

On 4-element tensors the arithmetic is free, so the time per call is the library's dispatch
cost: argument unwrapping, dtype promotion, allocation of the result object. The goal is lamina
no slower than PyTorch per op.
"""

import threads_env  # noqa: F401  (before numpy: see threads_env.py)

# isort: split
import argparse
import statistics
import timeit

import numpy as np

import lamina as lm

try:
    import torch
except ImportError:
    torch = None

# name -> statement; each library's setup defines a, b (4 elements, float32) and x (4 elements).
# The first four are issue 3's yardstick; the rest watch other common small-tensor paths
# (m is a 2x2 matrix).
CASES = {
    "a + b": "a + b",
    "x.sum()": "x.sum()",
    "x[0]": "x[0]",
    "x.view(2, 2)": "x.view(2, 2)",
    "x.reshape(2, 2)": "x.reshape(2, 2)",
    "x.unsqueeze(0)": "x.unsqueeze(0)",
    "m.transpose(0, 1)": "m.transpose(0, 1)",
    "m @ m": "m @ m",
}
# NumPy's spelling where it differs (its view() reinterprets the dtype instead).
NUMPY_STMT = {"x.view(2, 2)": "x.reshape(2, 2)", "x.unsqueeze(0)": "x[None]"}


def _setups():
    data = {"a": np.arange(4, dtype=np.float32), "b": np.arange(4, dtype=np.float32),
            "x": np.arange(4, dtype=np.float32), "m": np.arange(4, dtype=np.float32).reshape(2, 2)}
    libs = {"lamina": {k: lm.from_numpy(v.copy()) for k, v in data.items()},
            "numpy": {k: v.copy() for k, v in data.items()}}
    if torch is not None:
        libs["torch"] = {k: torch.from_numpy(v.copy()) for k, v in data.items()}
    return libs


def run(quick=False):
    """Median time per call (us) of each case in each library.

    The machine is shared and its speed drifts over seconds, so the libraries are interleaved:
    every round times each library once on the same case, and the medians are taken over rounds.
    """
    rounds = 15 if quick else 61
    libs = _setups()
    rows = []
    for name, stmt in CASES.items():
        timers = {lib: timeit.Timer(NUMPY_STMT.get(name, stmt) if lib == "numpy" else stmt,
                                    globals=env) for lib, env in libs.items()}
        number = max(t.autorange()[0] for t in timers.values()) // 10 or 1
        samples = {lib: [] for lib in libs}
        for _ in range(rounds):
            for lib, timer in timers.items():
                samples[lib].append(timer.timeit(number) / number * 1e6)
        rows.append({"op": name, **{lib: statistics.median(v) for lib, v in samples.items()}})
    return rows


def format_table(rows):
    libs = [k for k in rows[0] if k != "op"]
    head = "| op | " + " | ".join(f"{lib} (us)" for lib in libs) + " | lamina/numpy |"
    if "torch" in libs:
        head += " lamina/torch |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        line = f"| `{r['op']}` | " + " | ".join(f"{r[lib]:.2f}" for lib in libs)
        line += f" | {r['lamina'] / r['numpy']:.2f} |"
        if "torch" in libs:
            line += f" {r['lamina'] / r['torch']:.2f} |"
        lines.append(line)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    print("Per-op overhead, 4-element float32 tensors (median of means)")
    print(format_table(run(quick=args.quick)))


if __name__ == "__main__":
    main()
