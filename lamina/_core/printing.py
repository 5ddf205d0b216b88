"""How tensors print: PyTorch's formatting (placeholder until the printing work lands)."""


def tensor_repr(t):
    return f"tensor({t._data.tolist()}, dtype=lamina.{t.dtype.name})"
