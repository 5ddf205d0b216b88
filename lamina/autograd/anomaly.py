"""Anomaly detection: nodes remember where they were created, and backward checks for NaN."""

import functools

_enabled = False
_check_nan = True


def is_anomaly_enabled():
    return _enabled


def is_anomaly_check_nan_enabled():
    return _check_nan


class set_detect_anomaly:
    """Turn anomaly detection on or off, at once and for a `with` block."""

    def __init__(self, mode, check_nan=True):
        global _enabled, _check_nan
        self._previous = (_enabled, _check_nan)
        _enabled, _check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        global _enabled, _check_nan
        _enabled, _check_nan = self._previous
        return False


class detect_anomaly(set_detect_anomaly):
    """A context manager (and decorator) that enables anomaly detection inside it."""

    def __init__(self, check_nan=True):
        self._check = check_nan
        self._previous = None

    def __enter__(self):
        global _enabled, _check_nan
        self._previous = (_enabled, _check_nan)
        _enabled, _check_nan = True, self._check
        return None

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self._check):
                return fn(*args, **kwargs)
        return wrapper
