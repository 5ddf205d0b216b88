"""torch.utils.hooks.RemovableHandle: the handle a hook registration returns."""

import itertools
import weakref


class RemovableHandle:
    """Removes the hook it was issued for from every dict it was registered in (a module keeps a
    hook's flags, such as with_kwargs, in sibling dicts keyed by the same id)."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        # Weak references: a handle kept by the user must not keep a dead module's hooks alive.
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)
        extras = () if extra_dict is None else (
            extra_dict if isinstance(extra_dict, list) else [extra_dict])
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extras)

    def remove(self):
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
