"""How tensors print: PyTorch's repr, its number formatter and its print options.

The printed form is PyTorch's to the character: one formatter per tensor fixes the notation
(integer-valued, fixed precision or scientific) and the column width from the values shown, then
nested brackets are laid out with PyTorch's indentation, line wrapping and summarisation. Only the
storage array, the dtype and the autograd slots are read, so printing runs no op and records no
graph.
"""

import math

import numpy as np

from . import dtype as _dt
from ._tensor import default_complex_dtype, get_default_dtype

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
# Key order is PyTorch's, so get_printoptions() reads as torch's does.
_OPTS = {**_PROFILES["default"], "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set options for printing tensors (PyTorch's `set_printoptions`).

    A profile ("default", "short", "full") sets every option first; explicit options then override
    it. `sci_mode` is always reset: None lets the formatter choose, True/False forces it.
    """
    if profile in _PROFILES:
        _OPTS.update(_PROFILES[profile])
    for name, value in (("precision", precision), ("threshold", threshold),
                        ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            _OPTS[name] = value
    _OPTS["sci_mode"] = sci_mode


def get_printoptions():
    """The current print options, as a dict that `set_printoptions(**...)` accepts."""
    return dict(_OPTS)


class _Formatter:
    """The notation and column width shared by every printed element of one real array."""

    def __init__(self, arr):
        self.floating = arr.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.precision = _OPTS["precision"]
        if not self.floating:
            self.width = max((len(str(v)) for v in arr.reshape(-1).tolist()), default=1)
            return
        self.width = 1
        flat = arr.reshape(-1)
        # Zeros, nans and infs print the same in every notation, so only the other values decide.
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        # As Python floats: float16 would overflow at the 1e8 test, and max/min may overflow
        # to inf (which is "more than 1000") without NumPy's warning.
        mags = np.abs(vals)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool(np.all(np.ceil(vals) == vals))
        forced = _OPTS["sci_mode"]
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if forced is None \
            else forced
        if self.sci_mode:
            spec, extra = f".{self.precision}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1                # the trailing "." that marks a float
        else:
            spec, extra = f".{self.precision}f", 0
        self.width = max(len(format(v, spec)) for v in vals.tolist()) + extra

    def format(self, value):
        if not self.floating:
            s = str(value)
        elif self.sci_mode:
            s = format(value, f"{self.width}.{self.precision}e")
        elif self.int_mode:
            s = format(value, ".0f")
            if math.isfinite(value):
                s += "."
        else:
            s = format(value, f".{self.precision}f")
        return s.rjust(self.width)


class _ComplexFormatter:
    """Real and imaginary parts each get their own formatter, as in PyTorch: `1.+2.j`."""

    def __init__(self, arr):
        self.real = _Formatter(arr.real)
        self.imag = _Formatter(arr.imag)
        self.width = self.real.width + self.imag.width + 1   # + the "j"

    def format(self, value):
        re = self.real.format(value.real)
        im = (self.imag.format(value.imag) + "j").lstrip()
        return re + im if im[0] in "+-" else re + "+" + im


def _summarized(arr):
    """The elements a summarised print shows, flattened: edgeitems at each end of every dim."""
    e = _OPTS["edgeitems"]
    if e == 0:
        # PyTorch keeps a whole vector here (its slice [-0:] is everything) but drops a matrix.
        return arr.reshape(-1) if arr.ndim <= 1 else arr.reshape(-1)[:0]
    index = tuple(np.r_[0:e, n - e:n] if n > 2 * e else np.arange(n) for n in arr.shape)
    return arr[np.ix_(*index)].reshape(-1)


def _vector_str(arr, indent, summarize, fmt):
    e = _OPTS["edgeitems"]
    if summarize and not e:
        items = ["..."]
    elif summarize and arr.shape[0] > 2 * e:
        items = ([fmt.format(v) for v in arr[:e].tolist()] + [" ..."]
                 + [fmt.format(v) for v in arr[-e:].tolist()])
    else:
        items = [fmt.format(v) for v in arr.tolist()]
    # Every element is padded to one width (+ ", "), so a line holds a fixed count of them.
    per_line = max(1, math.floor((_OPTS["linewidth"] - indent) / (fmt.width + 2)))
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(arr, indent, summarize, fmt):
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt)
    e, n = _OPTS["edgeitems"], arr.shape[0]
    if summarize and n > 2 * e:
        rows = [*range(e), None, *range(n - e, n)]
    else:
        rows = range(n)
    slices = ["..." if i is None else _nested_str(arr[i], indent + 1, summarize, fmt)
              for i in rows]
    # One blank line fewer between slices at each level down: 3-D slices are parted by one.
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _tensor_str(arr, indent):
    summarize = arr.size > _OPTS["threshold"]
    shown = _summarized(arr) if summarize else arr
    fmt = _ComplexFormatter(shown) if arr.dtype.kind == "c" else _Formatter(shown)
    return _nested_str(arr, indent, summarize, fmt)


def _add_suffixes(text, suffixes, indent, force_newline=False):
    # PyTorch's line-length bookkeeping, kept exactly (it counts the first line 2 longer than it
    # is) so that suffixes wrap where torch wraps them. A sparse tensor's first suffix always
    # starts a line of its own.
    last_line_len = len(text) - text.rfind("\n") + 1
    parts = [text]
    for suffix in suffixes:
        if force_newline or last_line_len + len(suffix) + 2 > _OPTS["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
            force_newline = False
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    return "".join(parts) + ")"


def _grad_fn_name(grad_fn):
    name = getattr(grad_fn, "name", None)
    return name() if callable(name) else type(grad_fn).__name__


def tensor_repr(t):
    """PyTorch's `repr(tensor)` (also its `str`), with `lamina.` where torch prints `torch.`."""
    prefix = "tensor("
    indent = len(prefix)
    arr = t._data
    dt = t.dtype
    suffixes = []
    if arr.size == 0:
        body = "[]"
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        # No element shows whether it is an int or a float, so only the default dtype goes unsaid.
        if dt is not get_default_dtype():
            suffixes.append(f"dtype={dt!r}")
    else:
        if not _OPTS["edgeitems"]:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dt not in (get_default_dtype(), default_complex_dtype(), _dt.int64, _dt.bool):
            suffixes.append(f"dtype={dt!r}")
        body = _tensor_str(arr, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{_grad_fn_name(t.grad_fn)}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def sparse_coo_repr(t):
    """PyTorch's repr of a sparse COO tensor: its indices and values (each printed as a tensor
    without suffixes, indented under its label), then size, nnz, dtype, layout and autograd."""
    indent = len("tensor(")
    parts = []
    for label, arr in (("indices", t._indices()._data), ("values", t._values()._data)):
        prefix = f"{label}=tensor("
        body = "[]" if arr.size == 0 else _tensor_str(arr, indent + len(prefix))
        if arr.size == 0:
            body += f", size={tuple(arr.shape)}"
        parts.append(prefix + body + ")")
    dt = t.dtype
    suffixes = [f"size={tuple(t.shape)}", f"nnz={t._nnz()}"]
    if dt not in (get_default_dtype(), default_complex_dtype(), _dt.int64, _dt.bool):
        suffixes.append(f"dtype={dt!r}")
    suffixes.append(f"layout={t.layout!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{_grad_fn_name(t.grad_fn)}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes("tensor(" + (",\n" + " " * indent).join(parts), suffixes, indent,
                         force_newline=True)
