"""Forward + backward through lamina.autograd vs PyTorch's autograd, side by side in one run.

Two cases (issue 6): a chain of 100 elementwise ops on a 4-element tensor, where the arithmetic is
free and the time is the tape's own cost per op (recording a node, then running its rule); and
logdet through a batched Cholesky of 1000 8x8 SPD matrices, where the kernels and the rules'
batched matrix algebra dominate. Each library's gradient is checked against NumPy's analytic one
before it is timed.
"""

import threads_env  # noqa: F401  (before numpy: see threads_env.py)

# isort: split
import numpy as np
from timing import simple_main, time_interleaved, torch

import lamina as lm

CHAIN = 100          # elementwise ops in the chain (a multiply, an add and a sine, in turn)
BATCH, N = 1000, 8   # logdet case: BATCH SPD matrices of N x N


def _chain(lib, x):
    y = x
    for i in range(CHAIN):
        step = i % 3
        y = y * 1.01 if step == 0 else y + 0.5 if step == 1 else lib.sin(y)
    return y.sum()


def _chain_reference(x):
    """The chain's value and derivative elementwise, by forward accumulation in NumPy."""
    y, dy = x.copy(), np.ones_like(x)
    for i in range(CHAIN):
        step = i % 3
        if step == 0:
            y, dy = y * 1.01, dy * 1.01
        elif step == 1:
            y = y + 0.5
        else:
            y, dy = np.sin(y), dy * np.cos(y)
    return dy


def _logdet(lib, a):
    L = lib.linalg.cholesky(a)
    return (2 * lib.log(lib.diagonal(L, dim1=-2, dim2=-1)).sum(-1)).sum()


def _cases(quick):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 4)
    batch = BATCH // 10 if quick else BATCH
    g = rng.standard_normal((batch, N, N))
    spd = g @ g.transpose(0, 2, 1) / N + np.eye(N)
    # d logdet(A) / dA = inv(A) (symmetric): the gradient every library must return.
    return [("chain of 100 ops, 4 elements", _chain, x, _chain_reference(x)),
            (f"logdet via cholesky, {batch} x {N}x{N}", _logdet, spd, np.linalg.inv(spd))]


def _step(lib, fn, data):
    """One forward + backward on a fresh leaf; returns the gradient."""
    if lib == "lamina":
        x = lm.from_numpy(data).requires_grad_()
        fn(lm, x).backward()
    else:
        x = torch.from_numpy(data).requires_grad_()
        fn(torch, x).backward()
    return x.grad.numpy()


def run(quick=False):
    rows = []
    for label, fn, data, expected in _cases(quick):
        calls = {"lamina": lambda fn=fn, data=data: _step("lamina", fn, data),
                 "torch": (lambda fn=fn, data=data: _step("torch", fn, data)) if torch else None}
        times = time_interleaved(calls, lambda g, e=expected: np.allclose(g, e, rtol=1e-6,
                                                                          atol=1e-9),
                                 quick=quick, label=label)
        rows.append((label, times))
    return rows


def format_table(rows):
    libs = [lib for lib in ("lamina", "torch") if any(lib in t for _, t in rows)]
    head = "| case | " + " | ".join(f"{lib} (ms)" for lib in libs) + (
        " | lamina/torch |" if "torch" in libs else " |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for label, t in rows:
        line = f"| {label} | " + " | ".join(f"{t[lib] * 1e3:.3f}" for lib in libs) + " |"
        if "torch" in libs:
            line += f" {t['lamina'] / t['torch']:.2f} |"
        lines.append(line)
    return "\n".join(lines)


def main(argv=None):
    simple_main(__doc__, "Forward + backward, float64 (median per step)", run, format_table, argv)


if __name__ == "__main__":
    main()
