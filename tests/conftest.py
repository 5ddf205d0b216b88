import os
import sys

import pytest
from hypothesis import settings

from lamina._core import _cpu

# The op table is a package of the test tree, imported as `opdb`.
sys.path.insert(0, os.path.dirname(__file__))

# CI (which sets CI=true) replays the same hypothesis examples every run, so a landing is never
# decided by a newly drawn example; local runs keep exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_report_header(config):
    """The fuzz suite's seed and example count, so a failing CI run can be replayed."""
    from fuzz_inputs import EXAMPLES, SEED
    return f"fuzz: LAMINA_FUZZ_SEED={SEED} LAMINA_FUZZ_EXAMPLES={EXAMPLES} per op"


@pytest.fixture(params=_cpu.simd_levels())
def simd_level(request):
    """Each instruction-set level of the _simd*.h kernels that this CPU can run."""
    before = _cpu.set_simd_level(request.param)
    yield request.param
    _cpu.set_simd_level(before)
