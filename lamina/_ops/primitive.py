"""The primitive registry and the transform-level stack.

A primitive is declared once with every rule it has: its forward body (one `xp=` body for both
devices, or `cpu=`/`cuda=` kernels), its VJP, its JVP and its batching rule. A call goes to the
innermost active transform level, which rewrites it into calls at the level below; with no level
active it runs eagerly through the compiled `_core._tensor.PrimitiveBase` (every op's hot path).
Autograd and func push their levels onto `LEVELS` from above, so this module never imports them.

Rule slots hold a function, a marker from this module, or None while the issue that fills it
(autograd, func) has not landed; tests/test_registry.py keeps the inventory.

`saves` names what the VJP reads besides shapes and dtypes: input positions and/or "out". Only
those are guarded by the version counter (an in-place write to anything else before backward is
fine, as in PyTorch), and only a saved "out" reaches the rule (`out` is None otherwise). By
default a linear op saves nothing and any other op saves every input.
"""

from .._core._tensor import LevelStack, PrimitiveBase

# Markers for rule slots, each naming why no function is there.
NONDIFF = "nondiff"        # vjp/jvp: integer or boolean outputs carry no derivative
LINEAR = "linear"          # jvp: the op applied to the tangents
ELEMENTWISE = "elementwise"  # batch: broadcasting already maps any leading batch dim

LEVELS = LevelStack()      # this thread's active transform levels, innermost last
REGISTRY = {}              # name -> Primitive, for the registry test and introspection


class Primitive(PrimitiveBase):
    def __init__(self, name, *, xp=None, cpu=None, cuda=None, vjp=None, jvp=None, batch=None,
                 view=False, saves=None):
        if xp is None and cpu is None:
            raise ValueError(f"primitive {name}: give xp= or a cpu= kernel")
        if name in REGISTRY:
            raise ValueError(f"primitive {name} is declared twice")
        self.name = name
        self.xp = xp
        self.cpu = cpu
        self.cuda = cuda
        self.vjp = vjp
        self.jvp = jvp
        self.batch = batch
        self.view = view  # outputs alias the first input's storage
        self.saves = saves
        REGISTRY[name] = self

    def __repr__(self):
        return f"<primitive {self.name}>"


class Level:
    """One active transform (vmap, jvp, grad), pushed on LEVELS for the extent of a `with`.

    A primitive call goes to the innermost level's `process(prim, args, params)`. A level that
    finds none of its own wrapped values among the arguments hands the call down unchanged
    (`lower`); one that does unwraps them, runs the primitive (and its rule) on the values of
    the level below, and wraps the results. Values of other levels pass through as opaque
    tensors, which is what keeps nested transforms from confusing each other's perturbations.
    """

    index = None
    size = None        # a vmap level's batch size
    randomness = None  # a vmap level's mode for random ops: "error", "different" or "same"

    def __enter__(self):
        self.index = len(LEVELS)
        LEVELS.append(self)
        return self

    def __exit__(self, *exc):
        LEVELS.pop()
        self.index = None
        return False

    def lower(self, prim, args, params):
        """Run `prim` at the level below this one."""
        if self.index == 0:
            return prim.eager(args, params)
        return LEVELS[self.index - 1].process(prim, args, params)

    def process(self, prim, args, params):
        raise NotImplementedError

    def write(self, target, src, eager, op):
        """Write `src` (a Tensor, an array or a number, already checked against target's shape
        and dtype) into `target`'s storage in place. A level whose wrapper `target` is writes
        its values at the level below; this default hands the write down unchanged. `eager`
        is the write with no level left (lamina._ops.mutation's). `op` is the in-place op's
        name in torch's words (`aten::mul_.Tensor`) while `target` is the tensor the user
        wrote into, for grad and jvp levels to refuse a captured one; None for out= and for
        the writes a level makes into the values its wrappers hold."""
        self.lower_write(target, src, eager, op)

    def inplace_target(self, target, op):
        """For the in-place op `op` that changes `target`'s metadata, not its values (t_,
        unsqueeze_, detach_): the tensor it changes at the level below, or None where this
        level owns `target`. Grad and jvp levels refuse a captured one, as a write."""
        return target

    def lower_write(self, target, src, eager, op):
        """Run the write at the level below this one."""
        if self.index == 0:
            eager(target, src)
        else:
            LEVELS[self.index - 1].write(target, src, eager, op)


def check_inplace(target, op):
    """Pass the metadata change `op` of `target` down the levels (Level.inplace_target)."""
    for level in reversed(LEVELS):
        target = level.inplace_target(target, op)
        if target is None:
            return


RANDOM_ERROR_MSG = ("vmap: called random operation while in randomness error mode. Please either "
                    "use the 'same' or 'different' randomness flags on vmap or perform the "
                    "randomness operation out of vmap")
RANDOM_INPLACE_MSG = ("vmap: Cannot ask for different inplace randomness on an unbatched tensor. "
                      "This will appear like same randomness. If this is necessary for your "
                      "usage, please file an issue with functorch.")


def _maps(x, level):
    """Whether `x` carries `level`'s batch: it or a value it wraps is that level's wrapper."""
    while hasattr(x, "_level"):
        if x._level is level:
            return True
        x = x._value
    return False


def random_levels(into=None):
    """The vmap levels that map a random op's draw: random ops take shapes, not wrapped values,
    so they ask the stack. Raises torch.func's error under a level in "error" mode; returns the
    levels in "different" mode, outermost first ("same" draws once, unmapped). `into` is the
    target of an in-place draw, which must be mapped by every "different" level."""
    levels = []
    for level in LEVELS:
        if level.randomness is None or level.randomness == "same":
            continue
        if level.randomness == "error":
            raise RuntimeError(RANDOM_ERROR_MSG)
        if into is not None and not _maps(into, level):
            raise RuntimeError(RANDOM_INPLACE_MSG)
        levels.append(level)
    return levels


def mapped(make, shape, levels):
    """`make(shape)` (a Tensor) as a value mapped by each vmap level of `levels` (outermost
    first): one tensor shaped (*their sizes, *shape), wrapped by each."""
    if not levels:
        return make(tuple(shape))
    out = make(tuple(level.size for level in levels) + tuple(shape))
    for level in levels:  # the outermost level's wrapper is the innermost value
        out = level.wrap(out, 0)
    return out


def draw(sample, shape, into=None):
    """`sample(shape)` for a random op: eagerly as is; under vmap, as `random_levels` says."""
    return mapped(sample, shape, random_levels(into) if LEVELS else ())


def levels_mapping(x):
    """The vmap levels that map `x`, outermost first: a tensor made "like" x (Tensor.new_*)
    is mapped by them too, as in torch.func."""
    return [level for level in LEVELS if level.size is not None and _maps(x, level)]
