"""lamina.utils: the torch.utils surface (benchmark timing, hook handles)."""

from . import benchmark, hooks

__all__ = ["benchmark", "hooks"]
