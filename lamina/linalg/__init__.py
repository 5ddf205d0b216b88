"""lamina.linalg: the torch.linalg surface (argument checks and compositions of _ops primitives)."""
