"""Time of the random connectors of the COBA benchmark, and of its whole compile, printed as one JSON line.

The COBA network (anchors-bench/coba.py): N neurons, ``P[:0.8N] -> P`` and ``P[0.8N:] -> P``, both
``fixed_probability(p = 0.02·4000/N, weights=number)``, i.e. about 0.8·N² + 0.2·N² uniform draws.

``connect``: both connectors run through ``nnc.api.patterns`` on the network's ``default_rng``, in a
fresh process each time (so it includes whatever a cold compile pays the first time: the Bernoulli
kernel's JIT), wall and CPU (process) seconds. ``compile``: ``coba.py --n N --compile-only`` in a fresh
process (its own ``compile_s``: ``net.compile()`` alone, cold). Medians over ``--repeats`` runs.

``--baseline DIR`` runs the same measurements with ``DIR`` (a checkout of another nnc revision, e.g.
``git worktree add /tmp/nnc-base <rev>``) first on ``PYTHONPATH``: the JSON then holds ``before``
(``DIR``) and ``after`` (this tree) for each N. The machine may be busy: the load average is recorded.

    python benchmarks/connect_time.py [--n 4000 20000] [--repeats 3] [--baseline /tmp/nnc-base]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COBA = Path(os.environ.get("NNC_COBA", "/work/shared/anchors-bench/coba.py"))


def child(n: int) -> None:
    """Build the COBA populations and run its two connectors; print the timings as JSON."""
    import numpy as np

    import nnc as ann
    from nnc.api import patterns
    from nnc.api.patterns import ConnectContext

    ne = int(0.8 * n)
    p = 0.02 * 4000.0 / n
    net = ann.Network(dt=0.1, seed=42)
    pop = net.create(geometry=n, neuron=ann.Neuron(equations="dv/dt = -v"))
    rng = net.default_rng
    aux = np.random.default_rng(1)
    w0, c0 = time.perf_counter(), time.process_time()
    conns = [
        patterns.fixed_probability(ConnectContext(pre, pop, 0.1, rng, aux), p, w, 0.0, False)
        for pre, w in ((pop[:ne], 0.6), (pop[ne:], 6.7))
    ]
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    h = hashlib.sha256()
    for c in conns:
        for arr in (c.post_ranks, c.row_ptr, c.pre_ranks, c.weights):
            h.update(np.ascontiguousarray(arr, dtype=np.float64 if arr.dtype.kind == "f" else np.int64))
    print(
        json.dumps(
            {
                "connect_wall_s": wall,
                "connect_cpu_s": cpu,
                "n_synapses": sum(c.n_synapses for c in conns),
                "checksum": h.hexdigest()[:16],  # the same connectivity before and after
                "rng_state": str(rng.bit_generator.state["state"]["state"]),
                "nnc": os.path.dirname(ann.__file__),
            }
        )
    )


def _run(cmd: list[str], pythonpath: str | None) -> dict:
    env = dict(os.environ, SIM="nnc")
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env, cwd="/tmp")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(n: int, repeats: int, pythonpath: str | None) -> dict:
    """Medians of the connector and compile timings for ``n`` neurons, with the code on ``pythonpath``."""
    runs = [_run([sys.executable, __file__, "--child", str(n)], pythonpath) for _ in range(repeats)]
    out = {k: statistics.median(r[k] for r in runs) for k in ("connect_wall_s", "connect_cpu_s")}
    out |= {k: runs[0][k] for k in ("n_synapses", "checksum", "rng_state", "nnc")}
    out["connect_wall_runs"] = [round(r["connect_wall_s"], 3) for r in runs]
    if COBA.exists():
        compiles = [
            _run([sys.executable, str(COBA), "--n", str(n), "--compile-only"], pythonpath)["compile_s"]
            for _ in range(repeats)
        ]
        out["compile_s"] = statistics.median(compiles)
        out["compile_runs"] = compiles
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[4000, 20000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline", help="checkout of the nnc revision to compare with (before)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    result: dict = {
        "benchmark": "connect_time",
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "repeats": args.repeats,
        "load_avg_start": os.getloadavg(),
    }
    for n in args.n:
        entry = {"after": measure(n, args.repeats, str(ROOT))}
        if args.baseline:
            entry["before"] = measure(n, args.repeats, str(Path(args.baseline).resolve()))
            entry["identical"] = all(
                entry["before"][k] == entry["after"][k] for k in ("n_synapses", "checksum", "rng_state")
            )
        result[str(n)] = entry
    result["load_avg_end"] = os.getloadavg()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
