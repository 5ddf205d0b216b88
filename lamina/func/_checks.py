"""torch.func's checks of what a transform is given (argnums, primals) and of what the function
returns (outputs, aux), with its messages, shared by grad, vjp, jvp, jacrev and jacfwd."""


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
