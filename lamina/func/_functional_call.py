"""functional_call: call a module with some of its parameters and buffers replaced."""


def _swap(module, name, value):
    """Set the attribute at dotted `name` of `module`; returns what was there."""
    *path, last = name.split(".")
    owner = module
    for part in path:
        owner = getattr(owner, part)
    # A Module's parameter or buffer is swapped in its registry, as torch.func does: assigning a
    # plain tensor to a parameter's attribute is refused by Module.__setattr__.
    registry = next((r for r in (getattr(owner, "_parameters", None),
                                 getattr(owner, "_buffers", None)) if r is not None and last in r),
                    None)
    if registry is not None:
        old, registry[last] = registry[last], value
        return old
    old = getattr(owner, last)
    setattr(owner, last, value)
    return old


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """`module(*args, **kwargs)` with the named parameters and buffers of the dict(s) in place of
    the module's own, restored afterwards. Works on any object with named_parameters() (and
    optionally named_buffers()) whose entries are attributes reachable by their dotted names."""
    dicts = (parameter_and_buffer_dicts if isinstance(parameter_and_buffer_dicts, (tuple, list))
             else (parameter_and_buffer_dicts,))
    values = {}
    for d in dicts:
        for k, v in d.items():
            if k in values:
                raise ValueError(f"{k} appeared in multiple dictionaries; behavior of "
                                 "functional call is ambiguous")
            values[k] = v
    if strict:
        names = {n for n, _ in module.named_parameters()}
        if hasattr(module, "named_buffers"):
            names |= {n for n, _ in module.named_buffers()}
        missing, unexpected = sorted(names - set(values)), sorted(set(values) - names)
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}: "
                               f"missing keys {missing}, unexpected keys {unexpected}")
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    saved = {k: _swap(module, k, v) for k, v in values.items()}
    try:
        return module(*args, **(kwargs or {}))
    finally:
        for k, v in saved.items():
            _swap(module, k, v)
