"""Op table entries for lamina/_ops/indexing.py."""

OPS = []
