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

# Op-table entries with floating or complex dtypes that the gradient sweep leaves out, and why.
NO_GRAD = {
    **dict.fromkeys(("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
                     "less_equal", "not_equal", "isclose", "allclose", "equal", "logical_and",
                     "logical_or", "logical_xor", "logical_not", "isnan", "isinf", "isfinite",
                     "isreal", "isposinf", "isneginf", "signbit", "all", "any"),
                    "comparison or predicate: boolean result"),
    **dict.fromkeys(("argmax", "argmin", "argsort", "nonzero", "argwhere", "count_nonzero",
                     "linalg.matrix_rank", "numel"), "integer result"),
    **dict.fromkeys(("Tensor.bool", "Tensor.byte", "Tensor.char", "Tensor.short", "Tensor.int",
                     "Tensor.long"), "cast to an integer or boolean dtype"),
    "Tensor.half": "float16 is too coarse for gradcheck's steps; the same primitive as "
                   "Tensor.double, and test_autograd_elementwise.py checks its gradient by hand",
    **dict.fromkeys(("result_type", "promote_types", "can_cast", "is_tensor", "is_floating_point",
                     "is_complex", "is_nonzero", "broadcast_shapes"),
                    "returns a dtype, a bool or a shape, not tensor values"),
    **dict.fromkeys(("zeros", "ones", "full", "eye", "arange", "linspace", "logspace", "tensor",
                     "as_tensor"), "creation from numbers or arrays: no tensor input"),
    **dict.fromkeys(("zeros_like", "ones_like", "full_like"),
                    "the values do not depend on the input's (PyTorch's result takes no grad)"),
    "detach": "cuts the graph by definition; test_autograd_api.py",
    **dict.fromkeys(("tril_", "triu_", "squeeze_", "unsqueeze_", "transpose_", "t_"),
                    "in-place variant; test_autograd_shape.py writes into leaves' descendants"),
    **dict.fromkeys(("linalg.ldl_factor", "linalg.ldl_factor_ex", "linalg.ldl_solve", "geqrf"),
                    "PyTorch does not differentiate it (a not_implemented rule)"),
    **dict.fromkeys(("unique", "unique_consecutive"),
                    "PyTorch does not differentiate it (its rule raises)"),
}

_FLOATING = {"float16", "float32", "float64", "complex64", "complex128"}


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


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_primitive_has_a_vjp(name):
    # A rule, NONDIFF (integer or boolean outputs) or a not_implemented rule (a callable that
    # raises, for floating outputs PyTorch does not differentiate either).
    vjp = REGISTRY[name].vjp
    assert vjp == NONDIFF or callable(vjp), f"{name}.vjp = {vjp!r}"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_primitive_has_forward_mode_and_batching(name):
    # lamina.func: a JVP (a rule, LINEAR, or NONDIFF) and a batch rule (a function or
    # ELEMENTWISE) for every primitive; vmap's loop fallback is for primitives of other code.
    p = REGISTRY[name]
    assert p.jvp in (LINEAR, NONDIFF) or callable(p.jvp), f"{name}.jvp = {p.jvp!r}"
    assert p.batch is ELEMENTWISE or callable(p.batch), f"{name}.batch = {p.batch!r}"


def test_every_floating_op_has_a_gradient_or_a_reason():
    missing = [info.name for info in ALL_OPS
               if _FLOATING & set(info.dtypes) and not info.grad and info.name not in NO_GRAD]
    assert not missing, f"op-table entries without grad=True or a NO_GRAD reason: {missing}"


def test_no_grad_reasons_name_entries_without_a_gradient():
    entries = {info.name: info for info in ALL_OPS}
    stale = [name for name in NO_GRAD if name not in entries or entries[name].grad]
    assert not stale, f"NO_GRAD names entries that are absent or have grad=True: {stale}"
