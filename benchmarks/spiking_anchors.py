"""The spiking anchor workloads side by side: nnc and the reference simulator, 1 and 2 threads, medians.

Runs the ANNarchy-API scripts of ``anchors-bench/`` (``coba.py``, ``izhikevich.py``, ``stdp.py``, unchanged)
with ``SIM=nnc`` (this interpreter) and, when its virtual environment exists, ``SIM=ANNarchy`` (the
reference's interpreter, ``NNC_REFERENCE_VENV``, default ``/work/ref-venv``), each ``--repeats`` times per
thread count, alternating the two simulators so that both see the same machine. Each script prints one
JSON line; this driver prints one JSON line per workload with the medians and:

* ``ratio_1t`` / ``ratio_2t``: nnc simulate time / reference simulate time (target <= 0.6);
* ``speedup_nnc``: nnc 1-thread time / 2-thread time;
* ``compile_nnc_s``: nnc's cold compile (fresh cache directory), ``compile_ref_s`` the reference's first
  compile (later repeats reuse its build directory, as its own cache);
* ``events_per_s``: synaptic events (spikes x outgoing synapses, counted from the workload's own numbers)
  per second of nnc simulate time, next to ``bandwidth_events_per_s``, what one core's measured read
  bandwidth allows when an event reads 16 bytes (a weight, a post index and the conductance);
* ``peak_rss_mb`` of both; with ``--load``, the same runs with another process burning one core.

    python benchmarks/spiking_anchors.py [--only coba izhikevich] [--repeats 3] [--quick] [--load]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANCHORS = Path(
    os.environ.get("NNC_ANCHORS", Path(__file__).resolve().parents[2] / "shared" / "anchors-bench")
)
REFERENCE_VENV = Path(os.environ.get("NNC_REFERENCE_VENV", "/work/ref-venv"))

#: workload -> (script, arguments, events per run from the script's JSON)
WORKLOADS: dict[str, tuple[str, list[str]]] = {
    "coba": ("coba.py", ["--duration", "10000"]),
    "coba_20000": ("coba.py", ["--n", "20000", "--duration", "10000"]),
    "izhikevich": ("izhikevich.py", ["--duration", "10000"]),
    "stdp": ("stdp.py", ["--duration", "100000"]),
    "stdp_post100": ("stdp.py", ["--n-post", "100", "--duration", "100000"]),
}
QUICK = {"coba": "1000", "coba_20000": "1000", "izhikevich": "1000", "stdp": "10000", "stdp_post100": "10000"}


def _burn(seconds: float) -> None:
    end = time.perf_counter() + seconds
    x = 0
    while time.perf_counter() < end:
        x += 1


def _run(sim: str, script: str, args: list[str], threads: int, build_dir: str | None) -> dict:
    env = dict(os.environ, SIM=sim)
    if sim == "ANNarchy":
        python = str(REFERENCE_VENV / "bin" / "python")
        env = {"HOME": os.environ.get("HOME", "/root"), "SIM": sim,
               "PATH": f"{REFERENCE_VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin"}  # fmt: skip
    else:
        python = sys.executable
    cmd = [python, str(ANCHORS / script), *args, "--threads", str(threads), "--no-recompile"]
    if build_dir is not None:
        cmd += ["--build-dir", build_dir]
    out = subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=tempfile.gettempdir(), timeout=3600
    )
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{sim} {script} failed:\n{out.stderr[-2000:]}")


def _events(rec: dict, workload: str) -> float:
    """Synaptic events of a run: spikes times outgoing synapses (from the workload's figures)."""
    if workload.startswith("stdp"):
        return (
            float(rec.get("n_input_spikes") or 0) * rec["n_post"]
            + float(rec["n_output_spikes"]) * rec["n_in"]
        )
    n = rec["n_neurons"]
    return float(rec.get("n_spikes") or 0) * rec["n_synapses"] / n


_BANDWIDTH = """
import statistics, time
import numpy as np
x = np.ones(32 << 20)
times = []
for _ in range(3):
    t = time.perf_counter()
    x.sum()
    times.append(time.perf_counter() - t)
print(x.nbytes / statistics.median(times))
"""


def _read_bandwidth() -> float:
    """Bytes/s one core reads (NumPy sum over 256 MB, median of 3), in a process of its own: the peak
    memory of a process survives fork and exec, so the workloads' figures would include its 256 MB."""
    out = subprocess.run([sys.executable, "-c", _BANDWIDTH], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def bench(workload: str, repeats: int, quick: bool, reference: bool) -> dict:
    script, args = WORKLOADS[workload]
    if quick:
        args = [*args[:-1], QUICK[workload]]
    out: dict[str, object] = {"workload": workload, "args": args}
    ref_dir = tempfile.mkdtemp(prefix=f"ref_{workload}_")
    runs: dict[tuple[str, int], list[dict]] = {}
    for threads in (1, 2):
        for _ in range(repeats):
            runs.setdefault(("nnc", threads), []).append(_run("nnc", script, args, threads, None))
            if reference:
                runs.setdefault(("ref", threads), []).append(_run("ANNarchy", script, args, threads, ref_dir))
    med = {k: statistics.median(r["simulate_s"] for r in v) for k, v in runs.items()}
    nnc1 = runs[("nnc", 1)][0]
    out.update({
        "nnc_1t_s": med[("nnc", 1)], "nnc_2t_s": med[("nnc", 2)],
        "speedup_nnc": med[("nnc", 1)] / med[("nnc", 2)],
        "compile_nnc_s": statistics.median(
            r["compile_s"] for rs in runs.values() for r in rs if r["sim"] == "nnc"
        ),
        "peak_rss_nnc_mb": max(
            r["peak_rss_mb"] for (s, _), rs in runs.items() if s == "nnc" for r in rs
        ),
        "events_per_s": _events(nnc1, workload) / med[("nnc", 1)],
    })  # fmt: skip
    if reference:
        ref1 = runs[("ref", 1)][0]
        out.update({
            "ref_1t_s": med[("ref", 1)], "ref_2t_s": med[("ref", 2)],
            "ratio_1t": med[("nnc", 1)] / med[("ref", 1)], "ratio_2t": med[("nnc", 2)] / med[("ref", 2)],
            "compile_ref_s": ref1["compile_s"],
            "peak_rss_ref_mb": max(r["peak_rss_mb"] for (s, _), rs in runs.items() if s == "ref" for r in rs),
            "rate_nnc_hz": nnc1.get("rate_hz", nnc1.get("output_rate_hz")),
            "rate_ref_hz": ref1.get("rate_hz", ref1.get("output_rate_hz")),
        })  # fmt: skip
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", default=list(WORKLOADS), choices=list(WORKLOADS))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="a tenth of the biological time")
    p.add_argument("--no-reference", action="store_true")
    p.add_argument("--load", action="store_true", help="another process holds one core meanwhile")
    a = p.parse_args()
    reference = not a.no_reference and (REFERENCE_VENV / "bin" / "python").exists()
    bandwidth = _read_bandwidth()
    load = None
    if a.load:
        load = multiprocessing.Process(target=_burn, args=(24 * 3600,), daemon=True)
        load.start()
    try:
        for w in a.only:
            rec = bench(w, a.repeats, a.quick, reference)
            rec["bandwidth_events_per_s"] = bandwidth / 16.0
            rec["under_load"] = bool(a.load)
            print(json.dumps(rec), flush=True)
    finally:
        if load is not None:
            load.terminate()


if __name__ == "__main__":
    main()
