"""lamina.func transforms vs a Python loop and vs torch.func, side by side in one run.

Two cases (issue 7): per-sample gradients of a linear model's squared error over a batch of
1000 examples, by vmap(grad) against a loop of grad calls and against torch.func's vmap(grad);
and vmap(linalg.det) over 100000 4x4 matrices against the batched det call it should equal in
cost. Results are checked against NumPy before anything is timed.
"""

import threads_env  # noqa: F401  (before numpy: see threads_env.py)

# isort: split
import numpy as np
from timing import format_variants, simple_main, time_interleaved, torch

import lamina as lm

FEATURES = 16


def _loss(lib):
    def loss(w, x, y):
        return ((x * w).sum() - y) ** 2
    return loss


def _per_sample(batch, rng):
    w = rng.standard_normal(FEATURES)
    x = rng.standard_normal((batch, FEATURES))
    y = rng.standard_normal(batch)
    expected = 2 * (x @ w - y)[:, None] * x
    lw, lx, ly = (lm.from_numpy(a) for a in (w, x, y))
    per_sample = lm.func.vmap(lm.func.grad(_loss(lm)), in_dims=(None, 0, 0))
    loop_grad = lm.func.grad(_loss(lm))
    calls = {
        "lamina vmap(grad)": lambda: per_sample(lw, lx, ly).numpy(),
        "lamina loop of grad": lambda: lm.stack([loop_grad(lw, lx[i], ly[i])
                                                  for i in range(batch)]).numpy(),
    }
    if torch is not None:
        tw, tx, ty = (torch.from_numpy(a) for a in (w, x, y))
        t_per_sample = torch.func.vmap(torch.func.grad(_loss(torch)), in_dims=(None, 0, 0))
        calls["torch.func vmap(grad)"] = lambda: t_per_sample(tw, tx, ty).numpy()
    return f"per-sample grads, {batch} x {FEATURES}", calls, expected


def _det(batch, rng):
    a = rng.standard_normal((batch, 4, 4)) / 2 + 2 * np.eye(4)
    la = lm.from_numpy(a)
    vdet = lm.func.vmap(lm.linalg.det)
    calls = {"lamina vmap(det)": lambda: vdet(la).numpy(),
             "lamina det (batched)": lambda: lm.linalg.det(la).numpy()}
    if torch is not None:
        ta = torch.from_numpy(a)
        calls["torch.func vmap(det)"] = lambda: torch.func.vmap(torch.linalg.det)(ta).numpy()
    return f"det, {batch} x 4x4", calls, np.linalg.det(a)


def run(quick=False):
    rng = np.random.default_rng(0)
    rows = []
    for make, batch in ((_per_sample, 100 if quick else 1000), (_det, 10000 if quick else 100000)):
        label, calls, expected = make(batch, rng)
        times = time_interleaved(calls, lambda r, e=expected: np.allclose(r, e, rtol=1e-9),
                                 quick=quick, label=label)
        rows.append((label, times))
    return rows


def main(argv=None):
    simple_main(__doc__, "lamina.func vs a loop and torch.func, float64 (median per call)", run,
                format_variants, argv)


if __name__ == "__main__":
    main()
