"""Op table entries for lamina/_ops/unary.py."""

OPS = []
