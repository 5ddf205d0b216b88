"""torch.func's checks of what a transform is given (argnums, primals) and of what the function
returns (outputs, aux), with its messages, shared by grad, vjp, jvp, jacrev and jacfwd."""

from .._core._tensor import TensorBase
from . import _pytree
from ._wrapper import is_at


def _position(argnum, nargs):
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if not -nargs <= argnum < nargs:
        raise RuntimeError(f"Got argnum={argnum}, but only {nargs} positional inputs")
    return argnum % nargs


def argnums_positions(argnums, nargs):
    """The argument positions `argnums` names (an int or a tuple of ints, as torch.func
    accepts: a list is refused), negative ones wrapped, each at most once."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        return (_position(argnums, nargs),)
    nums = tuple(_position(n, nargs) for n in argnums)
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    if len(set(nums)) != len(nums):
        raise RuntimeError(f"argnums elements must be unique, got {nums}")
    return nums


def of_argnums(func, args, nums):
    """`func` as a function of its arguments at positions `nums` alone, the others fixed."""
    def f_of(*xs):
        full = list(args)
        for n, x in zip(nums, xs):
            full[n] = x
        return func(*full)
    return f_of


def split_aux(out, api):
    """(output, aux) of a function called with has_aux=True."""
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    return out


def unwrap_aux(level, aux):
    """aux as the caller sees it, out of `level`: torch.func unwraps tensors alone."""
    def unwrap(x):
        if not isinstance(x, TensorBase):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(x)}")
        return x._value if is_at(x, level) else x
    return _pytree.tree_map(unwrap, aux)


def check_outputs(leaves, api):
    """The flattened outputs of f are tensors, at least one."""
    if not leaves or (len(leaves) == 1 and leaves[0] is None):
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got "
                           f"output = {leaves})")
    for o in leaves:
        if not isinstance(o, TensorBase):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")
