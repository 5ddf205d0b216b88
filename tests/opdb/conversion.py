"""Op table entries for lamina/_ops/conversion.py."""

OPS = []
