"""The inventory: every primitive's rule slots hold something meaningful, and every public op has
an op-table entry (so the generic sweeps reach it) or a stated reason why not."""

import pytest

import lamina as lm
from lamina import _FAMILIES
from lamina._ops.primitive import ELEMENTWISE, LINEAR, NONDIFF, REGISTRY
from opdb import ALL_OPS

# Public names that are not ops on tensor values, or whose values cannot meet a reference.
NOT_IN_TABLE = {
    "Generator": "a class; tests/test_random.py",
    "default_generator": "an object; tests/test_random.py",
    "manual_seed": "generator state; tests/test_random.py",
    "seed": "generator state; tests/test_random.py",
    "initial_seed": "generator state; tests/test_random.py",
    "get_rng_state": "generator state; tests/test_random.py",
    "set_rng_state": "generator state; tests/test_random.py",
    "rand": "random values; moments and seeding in tests/test_random.py",
    "randn": "random values; tests/test_random.py",
    "randint": "random values; tests/test_random.py",
    "randperm": "random values; tests/test_random.py",
    "rand_like": "random values; tests/test_random.py",
    "randn_like": "random values; tests/test_random.py",
    "randint_like": "random values; tests/test_random.py",
    "normal": "random values; tests/test_random.py",
    "bernoulli": "random values; tests/test_random.py",
    "multinomial": "random values; tests/test_random.py",
    "empty": "uninitialised values; shape and dtype in tests/test_creation.py",
    "empty_like": "uninitialised values; tests/test_creation.py",
    "from_numpy": "takes an ndarray, not tensors; tests/test_tensor.py",
    "memory_format": "a class", "contiguous_format": "a constant", "preserve_format": "a constant",
    "return_types": "a namespace of result classes; tests/test_reduction.py",
    "is_conj": "a query that is always False (no conjugate views); tests/test_unary.py",
    "is_neg": "a query that is always False (no negative views); tests/test_unary.py",
}


def _slot_ok(value, markers):
    return value is None or value in markers or callable(value)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_primitive_slots(name):
    p = REGISTRY[name]
    assert callable(p.xp) or callable(p.cpu), f"{name} has no forward"
    assert _slot_ok(p.vjp, (NONDIFF,)), f"{name}.vjp = {p.vjp!r}"
    assert _slot_ok(p.jvp, (NONDIFF, LINEAR)), f"{name}.jvp = {p.jvp!r}"
    assert _slot_ok(p.batch, (ELEMENTWISE,)), f"{name}.batch = {p.batch!r}"
    assert (p.vjp == NONDIFF) <= (p.jvp in (NONDIFF, None)), f"{name}: nondiff vjp, live jvp"


def _public():
    """(table name, callable) of every public op: lamina's families, linalg's functions (as
    "linalg.x") and the linalg functions torch also has at top level."""
    ops = {name: getattr(lm, name) for family in _FAMILIES for name in family.__all__}
    for family in lm.linalg._FAMILIES:
        ops.update((f"linalg.{name}", getattr(lm.linalg, name)) for name in family.__all__)
        ops.update(family.TOPLEVEL)
    return ops


def test_every_public_op_has_a_table_entry():
    covered_names = {info.name for info in ALL_OPS}
    covered_fns = {id(info.op) for info in ALL_OPS}
    missing = []
    for name, fn in sorted(_public().items()):
        if name in covered_names or id(fn) in covered_fns or name in NOT_IN_TABLE:
            continue
        # An in-place form (`sqrt_`) is tested against its out-of-place entry by its family's
        # hand-written tests; it needs that entry to exist.
        if name.endswith("_") and name[:-1] in covered_names:
            continue
        missing.append(name)
    assert not missing, f"public ops without an op-table entry: {missing}"


def test_exemptions_name_real_public_functions():
    assert set(NOT_IN_TABLE) <= set(_public()), set(NOT_IN_TABLE) - set(_public())
