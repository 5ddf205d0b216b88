"""Reliability figures (issue 10): suites record counts here, `.ci/figures` prints them as one line.

A record is one JSON line appended to the file named by the LAMINA_FIGURES environment variable;
without it nothing is written, so a plain `pytest` leaves no file behind. Records of one name add
up (value and total), so a suite may record once per op or once per run; `op` names the op a
record covers, and the figures line counts the distinct ops of the fuzz records.
"""

import json
import os


def record(name, value, total=None, op=None):
    """Append one figure record: `name` as printed on the line (fuzz, hangs, thread_mismatches,
    ...), `value` the count (passed examples for a ratio, failures otherwise), `total` for a
    ratio."""
    path = os.environ.get("LAMINA_FIGURES")
    if not path:
        return
    line = json.dumps({"name": name, "value": int(value), "total": total, "op": op})
    with open(path, "a") as f:
        f.write(line + "\n")
