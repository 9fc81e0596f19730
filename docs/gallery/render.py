"""Render the gallery's figures: run every script of examples/ (full length) into docs/gallery/.

    python docs/gallery/render.py [names...]
    python docs/gallery/render.py --shrink      # only shrink the PNGs already here

Each script writes ``<name>.png`` and ``<name>.json`` (its key numbers) here; the gallery page shows
the figures. Runs take from one second to about a minute each. The figures are kept in git, so they
are stored as 256-colour palette PNGs (less than half the size; line plots look the same).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SKIP = {"_gallery", "leaky_field"}


def main() -> None:
    if sys.argv[1:2] == ["--shrink"]:  # only shrink figures already rendered
        for path in sorted(HERE.glob("*.png")):
            shrink(path)
        return
    names = sys.argv[1:] or sorted(p.stem for p in (ROOT / "examples").glob("*.py") if p.stem not in SKIP)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    for name in names:
        cmd = [sys.executable, str(ROOT / "examples" / f"{name}.py"), "--out", str(HERE)]
        cmd += ["--json", str(HERE / f"{name}.json")]
        print(f"--- {name}", flush=True)
        with tempfile.TemporaryDirectory() as work:  # caches the scripts leave stay out of docs/
            subprocess.run(cmd, env=env, cwd=work, check=True)
        shrink(HERE / f"{name}.png")


def shrink(path: Path) -> None:
    """Rewrite ``path`` as an optimised 256-colour palette PNG."""
    from PIL import Image  # matplotlib's own dependency

    with Image.open(path) as image:
        if image.mode == "P":  # already shrunk
            return
        rgb = image.convert("RGB")
    palette = rgb.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, optimize=True)


if __name__ == "__main__":
    main()
