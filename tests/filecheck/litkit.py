"""Run lit on a FileCheck test file (the ``.nir`` tests of passes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class FileCheckError(Exception):
    """A FileCheck test that failed: lit's report."""


def run_lit(path: Path) -> None:
    """Run ``lit`` on one file; raise :class:`FileCheckError` with its report when a check fails."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    lit = [sys.executable, "-c", "import sys, lit.main; sys.argv[0] = 'lit'; lit.main.main()"]
    done = subprocess.run([*lit, "-v", str(path)], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise FileCheckError(done.stdout + done.stderr)
