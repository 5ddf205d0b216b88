"""Import first: keep the libraries' idle worker threads from spinning into each other's timings.

NumPy's and scipy's OpenBLAS are two libraries with two thread pools, and PyTorch has a third
(OpenMP); each pool busy-waits after a call, so in an interleaved benchmark whichever library ran
last steals a core from the next. Measured on 2048x2048 float64 products, interleaved: torch
350 ms, NumPy 312 ms, lamina 268 ms by default; 259 / 242 / 233 ms with these settings, and the
same in separate processes. Settings the user already made are kept.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # PyTorch's OpenMP workers sleep when idle
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # OpenBLAS spins 2^4 cycles, not ~2^28
