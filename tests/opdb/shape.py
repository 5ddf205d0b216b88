"""Op table entries for lamina/_ops/shape.py."""

OPS = []
