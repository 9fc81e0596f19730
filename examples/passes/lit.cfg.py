"""lit configuration of the example's FileCheck test: the same as tests/filecheck/lit.cfg.py."""

import os

_shared = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "filecheck", "lit.cfg.py")
with open(_shared) as f:
    exec(compile(f.read(), _shared, "exec"))
