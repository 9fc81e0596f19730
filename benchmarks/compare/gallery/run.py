"""Run the gallery scripts (examples/) with ``--quick`` on nnc and on the reference simulator; compare.

Every gallery script writes its key numbers with ``--json``. This script runs each one under nnc (this
interpreter) and under ANNarchy 5 (``--reference``, a virtual environment with ANNarchy installed; its
``nnc`` is the shim package beside this file, which re-exports ANNarchy), then prints per script and per
number both values and their relative difference. The reference compiles every network with g++
(10-30 s each); its outputs are cached per script content in ``--cache``.

    python benchmarks/compare/gallery/run.py --reference /work/ref-venv [--only coba cuba]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[2] / "examples"
#: Scripts that use nnc-only features (nothing to compare) and are left out.
NNC_ONLY = {"dump_ir_tour", "leaky_field"}


def run(python: str, script: Path, env: dict[str, str], workdir: Path) -> dict[str, object]:
    out = workdir / f"{script.stem}.json"
    cmd = [python, str(script), "--quick", "--no-figure", "--json", str(out)]
    proc = subprocess.run(cmd, env=env, cwd=workdir, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        return {"error": (proc.stdout + proc.stderr)[-2000:]}
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True, help="virtual environment of the reference")
    parser.add_argument("--only", nargs="*", default=None, help="script names (default: all)")
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "nnc-gallery-reference"))
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    scripts = sorted(
        p for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_") and p.stem not in NNC_ONLY
    )
    if args.only:
        scripts = [p for p in scripts if p.stem in args.only]
    ref_env = {
        "HOME": os.environ.get("HOME", "/root"),
        "PATH": f"{args.reference}/bin:/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": str(HERE),
        "MPLBACKEND": "Agg",
    }
    nnc_env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(HERE.parents[2]))
    report = {}
    for script in scripts:
        key = hashlib.sha256(script.read_bytes() + (EXAMPLES / "_gallery.py").read_bytes()).hexdigest()[:16]
        cached = cache / f"{script.stem}-{key}.json"
        work = cache / script.stem
        work.mkdir(exist_ok=True)
        if cached.exists():
            ref = json.loads(cached.read_text())
        else:
            ref = run(f"{args.reference}/bin/python", script, ref_env, work)
            if "error" not in ref:
                cached.write_text(json.dumps(ref))
        ours = run(sys.executable, script, nnc_env, work)
        rows = {}
        for name in ours if "error" not in ours else []:
            a, b = ours[name], ref.get(name)
            rel = (
                abs(a - b) / max(abs(b), 1e-12)
                if isinstance(a, float | int) and isinstance(b, float | int)
                else None
            )
            rows[name] = {"nnc": a, "reference": b, "relative difference": rel}
        report[script.stem] = rows if rows else {"nnc": ours, "reference": ref}
        print(json.dumps({script.stem: report[script.stem]}), flush=True)


if __name__ == "__main__":
    main()
