"""Op table entries for lamina/_ops/sorting.py."""

OPS = []
