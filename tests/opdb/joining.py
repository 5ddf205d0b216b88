"""Op table entries for lamina/_ops/joining.py."""

OPS = []
