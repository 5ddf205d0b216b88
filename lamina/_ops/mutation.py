"""Writing into existing storage: copy_, in-place ops and `out=` arguments.

Every in-place op is its out-of-place primitive followed by a checked write into the target's
storage (`write_inplace`), so each op's rules are declared once and autograd can treat every
mutation the same way. The write bumps the storage's version counter, shared by all its views.
A write that touches the autograd graph goes through the registered tape, which gives the
target (or, for a view, its base) the grad_fn of what was written. Under transforms the write
goes to the innermost level (`Level.write`), which writes its wrappers' values at the level
below; `_eager_write` is the bottom of that chain.
"""

import warnings

import numpy as np

from .._core import dtype as dt
from .._core._tensor import TensorBase, dtype_of, get_tape, is_grad_enabled
from ._checks import broadcast_error, torch_type_name
from .primitive import LEVELS

OUT_GRAD_MSG = ("{}(): functions with out=... arguments don't support automatic differentiation, "
                "but one of the arguments requires grad.")
_OVERLAP_MSG = ("unsupported operation: more than one element of the written-to tensor refers to "
                "a single memory location. Please clone() the tensor before performing the "
                "operation.")


def _write(target, src):
    try:
        np.copyto(target._data, src, casting="unsafe")
    except ValueError as e:
        if not target._data.flags.writeable:
            raise RuntimeError(_OVERLAP_MSG) from None
        raise broadcast_error(target._data.shape, np.shape(src)) from e
    target._bump_version()


def _tracked_write(target, src, data):
    """Write `data` (the array of `src`, a Tensor or not, made fit for target's dtype) into
    `target`, through autograd's tape when the write touches the graph."""
    result = src if isinstance(src, TensorBase) else None
    tape = get_tape()
    if tape is not None and is_grad_enabled() and (
            target._requires_grad or (result is not None and result._requires_grad)
            or (target._base is not None and target._base._requires_grad)):
        tape.write(target, result, lambda: _write(target, data))
    else:
        _write(target, data)


def _eager_write(target, src):
    """The write with no transform level: `src` a Tensor, an array or a number."""
    data = src
    if isinstance(src, TensorBase):
        data = src._data
        if data.dtype.kind == "c" and target._data.dtype.kind != "c":
            data = data.real  # copy_ warned at its call; the imaginary part is discarded
    _tracked_write(target, src, data)


def _store(target, src, data, op):
    """Write `src` into `target` (`data`: its array, already made fit for target's dtype):
    through the innermost transform level if any (`op` as Level.write takes it), else through
    the tape."""
    if LEVELS:
        LEVELS[-1].write(target, src, _eager_write, op)
    else:
        _tracked_write(target, src, data)


def copy_(self, src, non_blocking=False):
    """Copy `src` (broadcast to self's shape, cast to self's dtype) into self's storage."""
    return copy_as(self, src, "aten::copy_")


def copy_as(self, src, op):
    """copy_ on behalf of the in-place op `op` (torch's name: fill_ and zero_ are copies)."""
    data = src._data if isinstance(src, TensorBase) else src
    if isinstance(data, np.ndarray) and data.ndim > self._data.ndim:
        raise broadcast_error(self._data.shape, data.shape)
    if (dtype_of(self._data).category < dt.COMPLEX and isinstance(data, np.ndarray)
            and data.dtype.kind == "c"):
        warnings.warn("Casting complex values to real discards the imaginary part",
                      UserWarning, stacklevel=2)
        data = data.real
    _store(self, src, data, op)
    return self


def write_inplace(self, result, op):
    """Finish the in-place op `op` (torch's name, as Level.write takes it): `result` (already
    computed) must fit self's shape and dtype."""
    r, s = result._data, self._data
    rd, sd = dtype_of(r), dtype_of(s)
    if not dt.can_cast(rd, sd):
        raise RuntimeError(f"result type {torch_type_name(rd)} can't be cast to the desired output "
                           f"type {torch_type_name(sd)}")
    if r.shape != s.shape:
        raise RuntimeError(f"output with shape {list(s.shape)} doesn't match the broadcast shape "
                           f"{list(r.shape)}")
    _store(self, result, r, op)
    return self


def write_out(out, result, stacklevel=3):
    """Finish an op called with `out=`: resize `out` if needed (warning if it held data).
    `stacklevel` points the warning at the user's call: 3 when the public op calls this."""
    if not isinstance(out, TensorBase):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    # torch.func has no rule for out= variants: the innermost transform level that tracks the
    # result or `out` refuses the call in its own words; constants go through (resized as below).
    if LEVELS:
        for level in reversed(LEVELS):
            error = level.out_error(result, out)
            if error is not None:
                raise error
    if (result._requires_grad or out._requires_grad) and is_grad_enabled():
        raise RuntimeError(OUT_GRAD_MSG.format(
            result.grad_fn.prim.name if hasattr(result.grad_fn, "prim") else "out"))
    r = result._data
    rd, od = dtype_of(r), dtype_of(out._data)
    if not dt.can_cast(rd, od):
        raise RuntimeError(f"result type {torch_type_name(rd)} can't be cast to the desired output "
                           f"type {torch_type_name(od)}")
    if out._data.shape != r.shape:
        if out._data.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out._data.shape)}, which does not match the required output shape "
                f"{list(r.shape)}. This behavior is deprecated, and in a future PyTorch release "
                "outputs will not be resized unless they have zero elements. You can explicitly "
                "reuse an out tensor t by resizing it, inplace, to zero elements with "
                "t.resize_(0).", UserWarning, stacklevel=stacklevel)
        out._data = np.empty(r.shape, dtype=out._data.dtype)
    _store(out, result, r, None)
    return out


def finish_out(result, out):
    """Finish an op's `out=` argument: `result` itself when `out` is None, else `result` written
    into `out`; a tuple result (values, indices) goes into a tuple of as many tensors."""
    if out is None:
        return result
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"out must be a tuple of {len(result)} Tensors")
        for o, r in zip(out, result):
            write_out(o, r, 4)  # the warning names the line that called the public op
        return type(result)(*out)
    return write_out(out, result, 4)


def inplace_method(fn, name=None):
    """The in-place method `name_` of op `fn` (default: fn's own name): the out-of-place result,
    written into self's storage."""
    name = (name or fn.__name__) + "_"

    def method(self, *args, **kwargs):
        result = fn(self, *args, **kwargs)
        return write_inplace(self, result, aten_name(name, args, kwargs) if LEVELS else None)
    method.__name__ = method.__qualname__ = name
    return method


# The overload torch's Python binding picks for an in-place method, by whether its operand (the
# argument at the index given after self; None: any argument) is a Tensor or a number. Binary
# arithmetic wraps a number as a Tensor; a method not listed has a single overload.
_OVERLOADS = {
    **dict.fromkeys(("add_", "sub_", "subtract_", "mul_", "multiply_", "div_", "divide_",
                     "true_divide_", "floor_divide_"), (0, "Tensor", "Tensor")),
    **dict.fromkeys(("fmod_", "remainder_", "pow_", "copysign_", "eq_", "ne_", "lt_", "le_",
                     "gt_", "ge_", "greater_", "greater_equal_", "less_", "less_equal_",
                     "not_equal_", "bitwise_and_", "bitwise_or_", "bitwise_xor_"),
                    (0, "Tensor", "Scalar")),
    **dict.fromkeys(("bitwise_left_shift_", "bitwise_right_shift_"),
                    (0, "Tensor", "Tensor_Scalar")),
    **dict.fromkeys(("clamp_min_", "clamp_max_"), (0, "Tensor", "")),
    **dict.fromkeys(("clamp_", "clip_"), (None, "Tensor", "")),
    "lerp_": (1, "Tensor", "Scalar"),
}


def aten_name(name, args, kwargs):
    """torch's name of the in-place method `name` called with `args` and `kwargs` after self,
    as its refusals under torch.func's transforms print it (`aten::add_.Tensor`)."""
    rule = _OVERLOADS.get(name)
    if rule is None:
        return f"aten::{name}"
    at, tensor, number = rule
    if kwargs.get("rounding_mode") is not None:  # div_ with rounding_mode=
        return f"aten::{name}.Tensor_mode"
    operands = (args + tuple(kwargs.values())) if at is None else args[at:at + 1]
    overload = tensor if any(isinstance(a, TensorBase) for a in operands) else number
    return f"aten::{name}.{overload}" if overload else f"aten::{name}"


__all__ = []
METHODS = {"copy_": copy_}
