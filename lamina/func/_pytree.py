"""Nested tuples, lists and dicts of tensors (torch.func's pytrees): flatten to leaves and back."""

import itertools


def flatten(tree):
    """(leaves, spec): every non-container leaf in order, and what `unflatten` needs."""
    leaves = []

    def walk(x):
        if isinstance(x, (tuple, list)):
            return (type(x), [walk(e) for e in x])
        if isinstance(x, dict):
            return (dict, [(k, walk(v)) for k, v in x.items()])
        leaves.append(x)
        return None

    return leaves, walk(tree)


def unflatten(leaves, spec):
    it = iter(leaves)

    def build(s):
        if s is None:
            return next(it)
        kind, items = s
        if kind is dict:
            return {k: build(v) for k, v in items}
        built = [build(e) for e in items]
        return kind(*built) if hasattr(kind, "_fields") else kind(built)

    return build(spec)


class _Star:
    def __repr__(self):
        return "*"


def spec_pprint(spec):
    """torch's `treespec_pprint`: the tree with `*` for each leaf, as vjp's errors show it."""
    return repr(unflatten(itertools.repeat(_Star()), spec))


def spec_repr(spec, indent=0):
    """torch's `repr(TreeSpec)`, as jvp's and linearize's structure errors show it: the node's
    type name, its context (a dict's keys, a namedtuple's class) and its children, one a line."""
    if spec is None:
        return "*"
    kind, items = spec
    if kind is dict:
        name, context, children = "dict", [k for k, _ in items], [c for _, c in items]
    elif hasattr(kind, "_fields"):
        name, context, children = "namedtuple", kind, items
    else:
        name, context, children = kind.__name__, None, items
    indent += 2
    inner = (",\n" + " " * indent).join(spec_repr(c, indent) for c in children)
    return f"TreeSpec({name}, {context}, [{inner}])"


def tree_map(fn, tree):
    leaves, spec = flatten(tree)
    return unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix, tree, what):
    """`prefix` (an int/None, or a tree shaped like a prefix of `tree`) repeated over `tree`'s
    leaves: in_dims and out_dims spell one value for a whole subtree."""
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * len(flatten(tree)[0])
    if isinstance(prefix, dict):
        if not isinstance(tree, dict) or set(prefix) != set(tree):
            raise ValueError(f"{what}: the structure of the dims does not match the inputs")
        return [d for k in tree for d in broadcast_prefix(prefix[k], tree[k], what)]
    if not isinstance(tree, (tuple, list)) or len(prefix) != len(tree):
        raise ValueError(f"{what}: expected {what} to be a prefix of the inputs' structure, "
                         f"got {len(prefix)} dims for the structure {flatten(tree)[1]}")
    return [d for p, t in zip(prefix, tree) for d in broadcast_prefix(p, t, what)]

