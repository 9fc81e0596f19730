"""Render the gallery's figures: run every script of examples/ (full length) into docs/gallery/.

    python docs/gallery/render.py [names...]

Each script writes ``<name>.png`` and ``<name>.json`` (its key numbers) here; the gallery page shows
the figures. Runs take from one second to about a minute each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SKIP = {"_gallery", "leaky_field"}


def main() -> None:
    names = sys.argv[1:] or sorted(p.stem for p in (ROOT / "examples").glob("*.py") if p.stem not in SKIP)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    for name in names:
        cmd = [sys.executable, str(ROOT / "examples" / f"{name}.py"), "--out", str(HERE)]
        cmd += ["--json", str(HERE / f"{name}.json")]
        print(f"--- {name}", flush=True)
        subprocess.run(cmd, env=env, cwd=HERE, check=True)


if __name__ == "__main__":
    main()
