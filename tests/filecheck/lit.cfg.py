"""lit configuration of the FileCheck tests of passes: each ``*.nir`` file is a module in the text form
with ``// RUN:`` lines (``%nnc`` is the nnc command of this interpreter, ``FileCheck`` the Python
``filecheck`` package) and ``// CHECK:`` lines. pytest collects every file (tests/filecheck/conftest.py);
``lit tests/filecheck`` runs them too."""

import os
import sys

import lit.formats

config.name = "nnc"  # noqa: F821 - lit's globals
config.test_format = lit.formats.ShTest(execute_external=False)  # noqa: F821
config.suffixes = [".nir"]  # noqa: F821
config.test_source_root = os.path.dirname(__file__)  # noqa: F821
python = sys.executable
config.substitutions.append(("%nnc", f'"{python}" -m nnc.cli'))  # noqa: F821
config.substitutions.append(("FileCheck", f'"{python}" -m filecheck'))  # noqa: F821
for name in ("PYTHONPATH", "HOME", "TMPDIR"):
    if name in os.environ:
        config.environment[name] = os.environ[name]  # noqa: F821
