"""Argument checks and error messages shared by the op families, in PyTorch's words."""


def broadcast_error(*shapes):
    """PyTorch's message for operands whose shapes do not broadcast, naming the first bad dim."""
    ndim = max(len(s) for s in shapes)
    for back in range(1, ndim + 1):
        sizes = [s[-back] for s in shapes if len(s) >= back]
        big = list(dict.fromkeys(n for n in sizes if n != 1))  # distinct, in operand order
        if len(big) > 1:
            return RuntimeError(
                f"The size of tensor a ({big[0]}) must match the size of tensor b ({big[1]}) at "
                f"non-singleton dimension {ndim - back}")
    return RuntimeError(f"shapes {', '.join(str(list(s)) for s in shapes)} cannot be broadcast")


_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def torch_type_name(d):
    """PyTorch's C++ scalar-type name, which its error messages use: Float, Long, ..."""
    return _TORCH_NAMES[d.name]
