"""The extent checks before BLAS/LAPACK calls (issue 10; lamina/_core/_extent.h) are live in the
sanitizer build: the canary's check, given a buffer one element short of a 4x4 matrix, kills its
process with the check's line on stderr and in the sanitizer's report log. Only the sanitizer
build (.ci/sanitize sets LAMINA_SANITIZER) has the canary and the checks; the abort runs in a
child process, whose reports go to a directory of its own so the stage's count stays clean."""

import os
import re

import pytest
from isolated import run_isolated

pytestmark = pytest.mark.skipif(not os.environ.get("LAMINA_SANITIZER"),
                                reason="the extent checks are built into the sanitizer build only")

MESSAGE = "lamina extent check: dpotrf A"


def _own_log(options, path):
    """Sanitizer options with log_path moved to `path` (added if absent)."""
    options, n = re.subn(r"log_path=[^:]*", f"log_path={path}", options)
    return options if n else f"{options}:log_path={path}".lstrip(":")


def test_extent_canary_aborts(tmp_path):
    env = dict(os.environ)
    for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env[name] = _own_log(env.get(name, ""), tmp_path / "report")
    out = run_isolated("from lamina._core import _canary; _canary.extent_past_end()",
                       timeout=60, env=env)
    assert out.crashed, (out.returncode, out.stderr[-2000:])
    assert MESSAGE in out.stderr
    reports = [p.read_text() for p in tmp_path.glob("report.*")]
    assert any(MESSAGE in r for r in reports), reports
