"""Grad mode: no_grad, enable_grad, set_grad_enabled and inference_mode, as torch.autograd's.

The flag itself lives in the compiled `_core._tensor`, which reads it on every op; each of these
is a context manager that also decorates a function.
"""

import functools

from .._core._tensor import _set_grad_mode, is_grad_enabled


class _GradMode:
    """Sets grad mode to `self._mode` inside a `with` block or a decorated function."""

    _mode = False

    def __enter__(self):
        self._previous = _set_grad_mode(self._mode)
        return None

    def __exit__(self, *exc):
        _set_grad_mode(self._previous)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_GradMode):
    _mode = False


class enable_grad(_GradMode):
    _mode = True


class set_grad_enabled(_GradMode):
    """Sets the mode as soon as it is called (PyTorch's function form), and again on `with`."""

    def __init__(self, mode):
        self._mode = bool(mode)
        self._previous = _set_grad_mode(self._mode)

    def __enter__(self):
        return None

    def clone(self):
        return set_grad_enabled(self._mode)


class inference_mode(_GradMode):
    """Grad mode off; lamina keeps no separate inference-tensor state (`mode=False` is a no-op)."""

    _active = 0

    def __init__(self, mode=True):
        self._mode = not mode
        self._on = bool(mode)

    def __enter__(self):
        inference_mode._active += self._on
        return super().__enter__()

    def __exit__(self, *exc):
        inference_mode._active -= self._on
        return super().__exit__(*exc)

    def clone(self):
        return inference_mode(self._on)


def is_inference_mode_enabled():
    return inference_mode._active > 0


__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]
