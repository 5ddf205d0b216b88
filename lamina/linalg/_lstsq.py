"""lamina.linalg: the lstsq family (being written)."""

__all__ = []
TOPLEVEL = {}   # names that torch also has at top level (torch.det, torch.cholesky_solve, ...)
METHODS = {}    # Tensor methods
