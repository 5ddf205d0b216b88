"""Lifting: a tensor that a grad or jvp level does not track, made inside the function,
receives a tracked value in place, as in `y = zeros(3); y.copy_(x)`. One captured from outside
it refuses any in-place write, as torch.func does (`refuse_captured`).

torch.func wraps every tensor made inside a transform, so such a write finds a wrapper to
update. A lamina plain tensor cannot turn into a wrapper, so the level lifts it instead: it keeps,
for the extent of the transform, a map from the written tensor's base (a value of the level
below) to a wrapper of the level, and looks its arguments up there wherever it reads its own
wrappers: a primitive's arguments, a write's target and source, the function's outputs. A view
of the base made before the write is rebuilt on the base's wrapper by replaying its view op.

The wrapper of a plain base holds an alias of it (same array, same version counter), not the
base itself: the level's rules, and those of the levels below whose calls pass through it, see
that alias and its views, which the map does not know, so their arithmetic stays untracked.
"""

from .._core._tensor import TensorBase, next_epoch
from .._ops.primitive import Level, _maps
from ._wrapper import LevelTensor, is_at

CAPTURED_MSG = ("During a grad (vjp, jvp, grad, etc) transform, the function provided attempted "
                "to call in-place operation ({}) that would mutate a captured Tensor. This is "
                "not supported; please rewrite the function being transformed to explicitly "
                "accept the mutated Tensor(s) as inputs.")
REPLAY_MSG = ("{}: an in-place operation gave a tracked value to a Tensor, and this Tensor "
              "shares its storage without being a view that lamina can replay on it (made by "
              "`.data` or a restriding in-place op); make it from the written Tensor after the "
              "write.")


def _alias(base):
    """A second plain tensor on `base`'s array and version counter, with no base of its own."""
    a = TensorBase.__new__(type(base))
    a._data = base._data
    a._vc = base._shared_version()
    a._born = base._born
    return a


class LiftingLevel(Level):
    name = None
    lifted = None  # id(value below) -> (value, its wrapper); None until a write lifts one
    prim = None    # the last primitive the level saw, named by an out= refusal (`out_error`)
    epoch = None   # the creation epoch it started: tensors stamped before were captured
    lifts_captured = False  # True at linearize's level (see linearize)

    def __enter__(self):
        self.epoch = next_epoch()
        return super().__enter__()

    def __exit__(self, *exc):
        self.lifted = None  # the lifted tensors are the user's again
        return super().__exit__(*exc)

    def refuse_captured(self, target, op):
        """torch.func's refusal of the in-place op `op` (see Level.write) into a tensor that the
        transform did not make: torch wraps every tensor made inside, so a plain one (or a
        view of one) that the function mutates was captured, whatever the value written."""
        if op is not None and target._born < self.epoch and not self.lifts_captured:
            raise RuntimeError(CAPTURED_MSG.format(op))

    def inplace_target(self, target, op):
        target = self.resolve(target)
        if is_at(target, self):
            return None
        self.refuse_captured(target, op)
        return target

    def tracks(self, x):
        """Whether `x` carries this level's tracking, itself or in a value it wraps."""
        return _maps(self.resolve(x), self)

    def _wrap_base(self, value, src):
        """A wrapper of this level around `value` (the lifted base), tracking nothing yet;
        `src` is the tracked value about to be written into it or into one of its views."""
        raise NotImplementedError

    def lift(self, target, src):
        """`target`'s wrapper at this level, lifting its base first."""
        base = target if target._base is None else target._base
        if self.lifted is None:
            self.lifted = {}
        if id(base) not in self.lifted:
            value = base if isinstance(base, LevelTensor) else _alias(base)
            self.lifted[id(base)] = (base, self._wrap_base(value, src))
        return self.resolve(target)

    def resolve(self, x):
        """`x` as this level sees it: the wrapper of a lifted tensor, or of a view of one."""
        if not self.lifted or not isinstance(x, TensorBase) or is_at(x, self):
            return x
        hit = self.lifted.get(id(x))
        if hit is not None:
            return hit[1]
        base = x._base
        if base is None or id(base) not in self.lifted:
            return x
        if x._view_op is None:
            raise RuntimeError(REPLAY_MSG.format(self.name))
        prim, args, params, index = x._view_op
        out = self.process(prim, (self.resolve(args[0]),) + tuple(args[1:]), params)
        w = out if index is None else out[index]
        self.lifted[id(x)] = (x, w)  # keeps x alive, so its id is not reused
        return w

    def resolve_all(self, args):
        return tuple([self.resolve(a) for a in args])
