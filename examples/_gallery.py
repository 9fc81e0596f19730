"""Command-line options and output shared by the gallery scripts of this directory.

Every gallery script accepts::

    --quick          a short run of a few seconds (what the test suite runs)
    --out DIR        where the figure goes (default: the current directory)
    --json FILE      also write the key numbers as JSON
    --no-figure      skip the figure (e.g. when the script runs on another simulator)
    --threads N      worker threads

and ends with :func:`report`, which prints the key numbers, saves ``<script>.png`` and the JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable


def options(doc: str, add: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """Parse the common options (and the script's own, added by ``add``)."""
    parser = argparse.ArgumentParser(
        description=doc.strip().splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short run (a few seconds)")
    parser.add_argument("--out", default=".", help="directory of the figure (default: .)")
    parser.add_argument("--json", default=None, help="also write the key numbers to this JSON file")
    parser.add_argument("--no-figure", action="store_true", help="do not draw the figure")
    parser.add_argument("--threads", type=int, default=1, help="worker threads (default 1)")
    if add is not None:
        add(parser)
    return parser.parse_args()


def script_name() -> str:
    """The running script's name without ``.py``."""
    return os.path.splitext(os.path.basename(sys.argv[0]))[0]


def report(args: argparse.Namespace, numbers: dict[str, float], figure: Callable[[], object] | None) -> None:
    """Print ``numbers``, save the figure ``figure()`` returns as ``<script>.png``, write the JSON file."""
    width = max(len(k) for k in numbers)
    for key, value in numbers.items():
        print(f"{key:<{width}} : {value:.6g}" if isinstance(value, float) else f"{key:<{width}} : {value}")
    if figure is not None and not args.no_figure:
        import matplotlib.pyplot as plt

        fig = figure()
        os.makedirs(args.out, exist_ok=True)
        path = os.path.join(args.out, f"{script_name()}.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        print(f"figure: {path}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({k: (float(v) if not isinstance(v, str) else v) for k, v in numbers.items()}, f)
