"""Op table entries for lamina/_ops/reduction.py."""

OPS = []
