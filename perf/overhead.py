"""Per-op overhead on tiny tensors: lamina vs NumPy vs PyTorch, side by side in one run.

On 4-element tensors the arithmetic is free, so the time per call is the library's dispatch
cost: argument unwrapping, dtype promotion, allocation of the result object. The goal is lamina
no slower than PyTorch per op.
"""

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
CASES = {
    "a + b": "a + b",
    "x.sum()": "x.sum()",
    "x[0]": "x[0]",
    "x.view(2, 2)": "x.view(2, 2)",
}
NUMPY_STMT = {"x.view(2, 2)": "x.reshape(2, 2)"}  # NumPy's view() reinterprets dtype instead


def _setups():
    data = np.arange(4, dtype=np.float32)
    libs = {"lamina": {"a": lm.from_numpy(data.copy()), "b": lm.from_numpy(data.copy()),
                       "x": lm.from_numpy(data.copy())},
            "numpy": {"a": data.copy(), "b": data.copy(), "x": data.copy()}}
    if torch is not None:
        libs["torch"] = {"a": torch.from_numpy(data.copy()), "b": torch.from_numpy(data.copy()),
                         "x": torch.from_numpy(data.copy())}
    return libs


def time_stmt(stmt, env, repeats):
    """Median over `repeats` runs of the mean time per call, in microseconds."""
    timer = timeit.Timer(stmt, globals=env)
    number, _ = timer.autorange()
    runs = timer.repeat(repeat=repeats, number=number)
    return statistics.median(runs) / number * 1e6


def run(quick=False):
    repeats = 5 if quick else 15
    libs = _setups()
    rows = []
    for name, stmt in CASES.items():
        row = {"op": name}
        for lib, env in libs.items():
            s = NUMPY_STMT.get(name, stmt) if lib == "numpy" else stmt
            row[lib] = time_stmt(s, env, repeats)
        rows.append(row)
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
