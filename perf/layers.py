"""lamina.nn + lamina.optim and lamina.sparse against PyTorch (and SciPy), side by side in one run.

Two cases (issue 9): one training step (forward, cross-entropy, backward, SGD step) of a 3-layer
MLP of width 256 on a batch of 64, float32; and a sparse COO matrix (4096 x 4096, density 1%)
times a dense 4096 x 64, float64, against scipy.sparse's CSR product and torch.sparse.mm, built
from unsorted COO triples as given and once coalesced (sorted, as a reused matrix would be). The
step runs with lr = 0, so every call does the whole update yet the loss stays the one NumPy
computes from the shared initial weights, which is what each library's result is checked against.
"""

import threads_env  # noqa: F401  (before numpy: see threads_env.py)

# isort: split
import numpy as np
import scipy.sparse as sp
from timing import format_variants, simple_main, time_interleaved, torch

import lamina as lm

WIDTH, BATCH, CLASSES = 256, 64, 10
SPARSE_N, SPARSE_K, DENSITY = 4096, 64, 0.01


def _mlp_weights(rng):
    """(weight, bias) of each Linear, float32, in PyTorch's (out, in) layout."""
    dims = [(WIDTH, WIDTH), (WIDTH, WIDTH), (CLASSES, WIDTH)]
    return [(rng.uniform(-1, 1, d).astype(np.float32) / np.sqrt(d[1]),
             rng.uniform(-1, 1, d[0]).astype(np.float32) / np.sqrt(d[1])) for d in dims]


def _mlp_loss_reference(weights, x, y):
    h = x.astype(np.float64)
    for i, (w, b) in enumerate(weights):
        h = h @ w.T.astype(np.float64) + b
        if i < len(weights) - 1:
            h = np.maximum(h, 0)
    h = h - h.max(axis=1, keepdims=True)
    logp = h - np.log(np.exp(h).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


def _mlp_step(lib, weights, x, y):
    """A step function of `lib` (lamina or torch) over a model holding `weights`."""
    nn = lib.nn
    layers = []
    for i, (w, b) in enumerate(weights):
        linear = nn.Linear(w.shape[1], w.shape[0])
        with lib.no_grad():
            linear.weight.copy_(lib.from_numpy(w))
            linear.bias.copy_(lib.from_numpy(b))
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    opt = lib.optim.SGD(model.parameters(), lr=0.0)
    loss_fn = nn.CrossEntropyLoss()
    tx, ty = lib.from_numpy(x), lib.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(tx), ty)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def _mlp(quick, rng):
    weights = _mlp_weights(rng)
    x = rng.standard_normal((BATCH, WIDTH)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    calls = {"lamina": _mlp_step(lm, weights, x, y)}
    if torch is not None:
        calls["torch"] = _mlp_step(torch, weights, x, y)
    return (f"MLP step, {BATCH} x {WIDTH}, 3 layers", calls,
            _mlp_loss_reference(weights, x, y), 1e-4)


def _sparse(quick, rng):
    n = SPARSE_N // 4 if quick else SPARSE_N
    s = sp.random(n, n, density=DENSITY, format="coo", random_state=rng)
    d = rng.standard_normal((n, SPARSE_K))
    indices = np.vstack([s.row, s.col]).astype(np.int64)
    ls = lm.sparse_coo_tensor(lm.from_numpy(indices), lm.from_numpy(s.data), (n, n))
    lc, ld = ls.coalesce(), lm.from_numpy(d)
    csr = s.tocsr()
    calls = {"lamina sparse.mm": lambda: lm.sparse.mm(ls, ld).numpy(),
             "lamina sparse.mm, coalesced": lambda: lm.sparse.mm(lc, ld).numpy(),
             "scipy.sparse csr @ dense": lambda: csr @ d}
    if torch is not None:
        ts = torch.sparse_coo_tensor(torch.from_numpy(indices), torch.from_numpy(s.data), (n, n))
        tc, td = ts.coalesce(), torch.from_numpy(d)
        calls["torch.sparse.mm"] = lambda: torch.sparse.mm(ts, td).numpy()
        calls["torch.sparse.mm, coalesced"] = lambda: torch.sparse.mm(tc, td).numpy()
    return (f"sparse @ dense, {n}x{n} ({DENSITY:.0%}) @ {n}x{SPARSE_K}", calls, csr @ d, 1e-10)


def run(quick=False):
    rng = np.random.default_rng(0)
    rows = []
    for make in (_mlp, _sparse):
        label, calls, expected, tol = make(quick, rng)
        times = time_interleaved(
            calls, lambda r, e=expected, t=tol: np.allclose(r, e, rtol=t, atol=t),
            quick=quick, label=label)
        rows.append((label, times))
    return rows


def main(argv=None):
    simple_main(__doc__, "lamina.nn/optim and lamina.sparse vs PyTorch and SciPy (median per call)",
                run, format_variants, argv)


if __name__ == "__main__":
    main()
