import os
import sys

# The op table is a package of the test tree, imported as `opdb`.
sys.path.insert(0, os.path.dirname(__file__))
