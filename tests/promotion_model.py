"""PyTorch's type promotion, modelled independently of lamina for the tests to check it against.

`PROMOTE` is PyTorch's promote_types lattice written out (checked against torch 2.13), and
`expected_result` follows the documented rule for mixed operands: dimensioned tensors, then 0-dim
tensors, then Python scalars; a weaker group only matters when its category (bool < integer <
float < complex) is higher, and a float meeting a complex keeps its own width. Used by
test_promotion.py and by the elementwise op table for its expected dtypes.
"""

NAMES = {"b": "bool", "u8": "uint8", "i8": "int8", "i16": "int16", "i32": "int32",
         "i64": "int64", "f16": "float16", "f32": "float32", "f64": "float64",
         "c64": "complex64", "c128": "complex128"}
ORDER = list(NAMES)
# PROMOTE[row][column]: promote_types(row, column), in ORDER.
_ROWS = {
    "b": "b u8 i8 i16 i32 i64 f16 f32 f64 c64 c128",
    "u8": "u8 u8 i16 i16 i32 i64 f16 f32 f64 c64 c128",
    "i8": "i8 i16 i8 i16 i32 i64 f16 f32 f64 c64 c128",
    "i16": "i16 i16 i16 i16 i32 i64 f16 f32 f64 c64 c128",
    "i32": "i32 i32 i32 i32 i32 i64 f16 f32 f64 c64 c128",
    "i64": "i64 i64 i64 i64 i64 i64 f16 f32 f64 c64 c128",
    "f16": "f16 f16 f16 f16 f16 f16 f16 f32 f64 c64 c128",
    "f32": "f32 f32 f32 f32 f32 f32 f32 f32 f64 c64 c128",
    "f64": "f64 f64 f64 f64 f64 f64 f64 f64 f64 c128 c128",
    "c64": "c64 c64 c64 c64 c64 c64 c64 c64 c128 c64 c128",
    "c128": "c128 c128 c128 c128 c128 c128 c128 c128 c128 c128 c128",
}
PROMOTE = {(NAMES[r], NAMES[c]): NAMES[v] for r, row in _ROWS.items()
           for c, v in zip(ORDER, row.split())}
DTYPES = list(NAMES.values())


def category(name):
    return 0 if name == "bool" else 1 if "int" in name else 2 if "float" in name else 3


# What a Python scalar counts as, with the default dtype float32.
SCALAR_DTYPE = {bool: "bool", int: "int64", float: "float32", complex: "complex64"}
COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


def _promote_all(names):
    result = None
    for n in names:
        result = n if result is None else PROMOTE[(result, n)]
    return result


def _combine(stronger, weaker):
    """A weaker group changes the result only by raising its category."""
    if stronger is None:
        return weaker
    if weaker is None or category(weaker) <= category(stronger):
        return stronger
    if category(stronger) == 2 and category(weaker) == 3:
        return COMPLEX_OF[stronger]       # a float meeting a complex keeps its width
    return weaker


def expected_result(operands):
    """operands: (kind, dtype name) pairs, kind one of 'dim', 'zero', 'scalar'."""
    groups = {k: _promote_all([d for kind, d in operands if kind == k])
              for k in ("dim", "zero", "scalar")}
    return _combine(groups["dim"], _combine(groups["zero"], groups["scalar"]))
