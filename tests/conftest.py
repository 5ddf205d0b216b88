import os
import sys

from hypothesis import settings

# The op table is a package of the test tree, imported as `opdb`.
sys.path.insert(0, os.path.dirname(__file__))

# CI (which sets CI=true) replays the same hypothesis examples every run, so a landing is never
# decided by a newly drawn example; local runs keep exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
