"""Op table entries for lamina/_ops/creation.py."""

OPS = []
