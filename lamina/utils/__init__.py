"""lamina.utils: the torch.utils surface (benchmark timing)."""

from . import benchmark

__all__ = ["benchmark"]
