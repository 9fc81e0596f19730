"""Run every comparison script under nnc and under the reference simulator and report their differences.

Each ``case_*.py`` beside this file builds networks with the ANNarchy 5 API only and prints one JSON line
(see ``common.py``). This harness runs it with ``SIM=nnc`` (this interpreter) and ``SIM=ANNarchy`` (the
reference's own virtual environment, default ``/work/annvenv``; skipped with a message when absent), then
prints one JSON report: per script and per quantity the max absolute difference and the max difference
relative to the largest reference magnitude, and for ``exact`` quantities (connectivity, recorded steps)
whether they are identical. A script passes when every relative difference is within its ``rtol`` and
every exact quantity is identical. Reference outputs are cached per script content (``--fresh`` reruns).

    python benchmarks/compare/run.py [--only methods 'spik*'] [--no-reference] [--jobs 2] [--table]
                                     [--nnc-threads 2] [--nnc-engine interp]

``--nnc-threads``/``--nnc-engine`` run nnc with several threads (SEMANTICS §17: equal up to summation
order) or with the NumPy interpreter of the IR, against the same (single-threaded) reference outputs.

Where nnc deliberately differs from the reference (documented **(?)** quirks of spec/SEMANTICS.md, DSL.md,
API.md), the scripts avoid or isolate the construct; the list:

* ``sum()`` without a target (SEMANTICS §3): the reference's CPU generator reads 0; nnc sums every
  connected target. The scripts use named targets only.
* ``simulate_until`` returns ``n_steps*dt`` in nnc, ``n_steps/dt`` in the reference (API §2): not used.
* ``Exponential`` inside equations is parameterised by its rate, on the Python side by its scale (DSL §12):
  not used; random numbers drawn inside equations are not bit-identical by design (SEMANTICS §0): not used.
* ``RandomDistribution`` without ``rng=``: unseeded in the reference, following the network seed in nnc
  (anchors.md); every script passes ``rng=net.default_rng`` or a seeded generator.
* ``exponential``/``semiimplicit`` on an ODE that cannot be standardised: the reference silently falls back
  to explicit Euler, nnc raises (DSL §15); the non-linear scripts use standardisable forms.
* ``neg(x)`` keeps the sign of the negative part in both (DSL §6); ``norm1``/``norm2`` follow the code,
  not the docs (DSL §8).
* Global operation results and ``_sum_T`` are not reset by ``reset()`` in either (SEMANTICS §7, §12).
* ``Monitor.times()`` of a monitor created with ``start=False`` and started at step k: the reference
  reports the creation step as the segment start, nnc reports k (the first recorded step, SEMANTICS §13);
  before the first ``get()`` the reference reports ``{'start': [creation step], 'stop': [None]}`` and nnc
  empty lists. The recorded data are identical; ``times()`` is compared only where both agree.
* ``enable_learning(period, offset)`` called after t = 0 on a network other than the default one: the
  reference takes the phase from the default network's time (``Global.get_time()``, 0 there), nnc from
  the projection's network time (API §7.4). The scripts enable learning at t = 0.
* ``t`` inside synaptic equations with a learning period P: the reference evaluates it as ``k*P*dt``
  (its ``dt`` replacement reaches ``t``), nnc as ``k*dt`` (SEMANTICS §1: every equation sees ``t = k*dt``).
  Not used in synaptic equations.
* A rate-coded projection with a list of targets: the reference's generated C++ does not compile
  (``_sum_['exc', 'inh']``); nnc adds the psp to each target (SEMANTICS §3). ``case_transmission`` builds the
  equivalent pair of projections under the reference.
* A per-synapse delay that rounds to 0 steps (e.g. 0.5 ms at dt = 1) in a projection whose max delay is
  above one step: the reference reads it back as 0.0 and its simulation crashes (segmentation fault);
  nnc treats it as one step (SEMANTICS §5) and reads it back as dt. Not used.
* ``TimedArray``: assigning ``r`` is an error in nnc (API §10); the reference's ``__setattr__`` bypasses its
  own read-only property and sets it. Setting ``rates`` after compile shows row ``b - 1`` while block ``b``
  is not due in both; at block 0 the reference reads row ``-1`` (undefined, it crashes or shows garbage)
  and nnc keeps ``r``. The scripts never assign ``r`` nor set rates at such a point.
* ``float32``: ANNarchy and nnc both evaluate in single precision but may order operations differently, so
  the float32 script is compared with ``rtol = 1e-5`` (SEMANTICS §0) rather than bit for bit.

Spiking networks (``case_spiking_*``, ``case_spike_monitors``):

* ``SpikeSourceArray.spike_times`` set after compile: the reference stores the new times but keeps its old
  next-spike pointers until ``reset()`` (a pending old time still fires, new times do not; measured: times
  ``[12, 15, 30]`` set at t = 10 are ignored, the old pending 20 fires); nnc emits the new times from the
  current step on. The scripts set new times and then call ``net.reset()``, where both agree.
* Increasing a projection's delay after compile beyond its maximum when the pre-synaptic population is a
  ``SpikeSourceArray``: the reference raises ``AttributeError`` (its wrapper has no ``update_max_delay``).
  The scripts only lower delays of projections from spike sources; an increase is tested from IF neurons.
* ``unless_post`` on a ``pre_spike`` statement: the reference generates ``last_spike[[rk_j]]``, which does not
  compile. Not used.
* Spike-train helpers of monitors (API §9 **(?)**): ``smoothed_rate``/``population_rate`` use the global dt
  (1.0) in the reference, so they are compared at dt = 1 only; the reference computes ``dt/smooth`` in
  float32 (compared with ``rtol`` 1e-6); its ``smoothed_rate`` skips every interval that starts at or before
  the segment start and indexes with absolute steps, so the offline helper (window from the first spike) is
  compared on data whose first spike is at step 0 from a neuron spiking once; its ``population_rate`` wraps
  spikes recorded before the last segment to the end of the array (negative indices), so it is compared on
  monitors recorded in one segment.
* Axonal spikes (``case_axonal``): a projection whose synapse has ``pre_axon_spike`` ignores its delays
  in the reference (uniform: every spike and axonal event arrives the next step; per-synapse: arrivals
  follow neither delays nor weights; ``repro/axonal_delays.py``); nnc delivers both after their delays.
  The script gives such projections no delay. A non-empty ``axon_reset`` stops the reference's analysis
  (``UnboundLocalError``) and its ``'axon_spike'`` monitor returns nothing: neither is used; the
  receivers' conductances show every axonal event. With ``transmission = False`` the reference still
  delivers the axonal events of a ``pre_axon_spike`` that differs from ``pre_spike`` (nnc: none): not used.
* Izhikevich: the reference evaluates ``dv/dt`` as ``I - u + 0.04*pow(v, 2) + 5.0*v + 140.0`` (SymPy
  order); the one-ulp differences per step grow to ~1e-5 in 300 ms while the spike times stay identical,
  so these traces are compared with ``rtol`` 1e-4.
* Random numbers drawn in the simulation (Poisson populations) differ by design (SEMANTICS §0): compared
  statistically (``rtol`` 0.05 on rates and ISI CVs). Quantities with ``rtol`` 1e9 are informational: the
  report shows their difference (e.g. whether COBA's spike trains are identical) and never fails on them.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_REFERENCE = Path(os.environ.get("NNC_REFERENCE_VENV", "/work/annvenv"))
CACHE = Path(os.environ.get("NNC_COMPARE_BUILD") or Path(tempfile.gettempdir()) / "nnc-compare")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The parsed JSON line of one script run, or why there is none."""

    data: dict | None
    error: str | None = None


def scripts(only: list[str] | None) -> list[Path]:
    """The comparison scripts, optionally restricted to names or patterns (``methods``, ``case_methods``,
    ``'spik*'``)."""
    found = sorted(HERE.glob("case_*.py"))
    if not only:
        return found
    wanted = [n.removeprefix("case_").removesuffix(".py") for n in only]
    return [p for p in found if any(fnmatch.fnmatchcase(p.stem.removeprefix("case_"), w) for w in wanted)]


#: extra environment of the nnc runs (``--nnc-threads``, ``--nnc-engine``); the reference ignores it
NNC_ENV: dict[str, str] = {}


def _environment(sim: str, reference: Path | None) -> dict[str, str]:
    env = {**os.environ, "SIM": sim, "PYTHONUNBUFFERED": "1", **(NNC_ENV if sim == "nnc" else {})}
    if reference is not None:  # the reference's build calls ``python3 -m nanobind``
        env["PATH"] = f"{reference / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        # CMake's FindPython prefers $VIRTUAL_ENV: when the harness runs from nnc's own venv, that venv
        # (without nanobind) would be picked and the reference's "CMake generation" fails
        env["VIRTUAL_ENV"] = str(reference)
        env.pop("PYTHONHOME", None)
    return env


def execute(script: Path, sim: str, python: str, reference: Path | None) -> Outcome:
    """Run ``script`` under ``sim`` and parse its last JSON line."""
    proc = subprocess.run(
        [python, str(script)], capture_output=True, text=True, env=_environment(sim, reference), check=False
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return Outcome(json.loads(line))
    return Outcome(None, (proc.stderr or proc.stdout)[-2000:] or f"exit code {proc.returncode}")


def _digest(script: Path) -> str:
    h = hashlib.sha1()
    for p in (script, HERE / "common.py"):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def reference_outcome(script: Path, reference: Path, fresh: bool) -> Outcome:
    """The reference's output for ``script``, from the cache when the script is unchanged."""
    cached = CACHE / "reference" / f"{script.stem}-{_digest(script)}.json"
    if cached.exists() and not fresh:
        return Outcome(json.loads(cached.read_text()))
    outcome = execute(script, "ANNarchy", str(reference / "bin" / "python"), reference)
    if outcome.data is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(outcome.data))
    return outcome


def _flatten(x: object, shape: list[object]) -> list[float]:
    """Numbers of a nested list in order; ``shape`` receives the nesting structure (lengths)."""
    if isinstance(x, list):
        shape.append(len(x))
        return [v for item in x for v in _flatten(item, shape)]
    return [float("nan") if x is None else float(x)]


def difference(got: object, want: object) -> dict[str, object]:
    """Max absolute and (normwise) relative difference of two nested lists of numbers."""
    shape_got: list[object] = []
    shape_want: list[object] = []
    a = np.array(_flatten(got, shape_got))
    b = np.array(_flatten(want, shape_want))
    if shape_got != shape_want or a.size != b.size:
        return {"shape_mismatch": True, "nnc_size": int(a.size), "reference_size": int(b.size)}
    if a.size == 0:
        return {"max_abs": 0.0, "max_rel": 0.0}
    diff = np.abs(a - b)
    nan_mismatch = bool(np.any(np.isnan(a) != np.isnan(b)))
    diff = np.where(np.isnan(a) & np.isnan(b), 0.0, diff)
    scale = float(np.nanmax(np.abs(b))) or 1.0
    worst = int(np.nanargmax(diff))
    return {
        "max_abs": float(np.nanmax(diff)),
        "max_rel": float(np.nanmax(diff)) / scale,
        "at": worst,
        "nnc": float(a[worst]),
        "reference": float(b[worst]),
        **({"nan_mismatch": True} if nan_mismatch else {}),
    }


def compare(nnc: dict, ref: dict) -> dict[str, object]:
    """Per-quantity differences of two script outputs and whether the script passes."""
    rtol = float(nnc.get("rtol", 1e-9))
    values: dict[str, object] = {}
    ok = True
    for name in sorted(set(nnc["values"]) | set(ref["values"])):
        if name not in nnc["values"] or name not in ref["values"]:
            values[name] = {"missing_in": "nnc" if name not in nnc["values"] else "reference"}
            ok = False
            continue
        d = difference(nnc["values"][name], ref["values"][name])
        tol = float(nnc.get("rtols", {}).get(name, rtol))
        d["ok"] = "max_rel" in d and d["max_rel"] <= tol and "nan_mismatch" not in d
        if tol != rtol:
            d["rtol"] = tol
        ok &= bool(d["ok"])
        values[name] = d
    exact = {}
    for name in sorted(set(nnc["exact"]) | set(ref["exact"])):
        exact[name] = nnc["exact"].get(name) == ref["exact"].get(name) and name in nnc["exact"]
        ok &= exact[name]
    return {"status": "ok" if ok else "mismatch", "rtol": rtol, "values": values, "exact": exact}


def run_one(script: Path, reference: Path | None, fresh: bool) -> tuple[str, dict[str, object]]:
    """Report entry of one script."""
    mine = execute(script, "nnc", sys.executable, None)
    name = script.stem.removeprefix("case_")
    if mine.data is None:
        return name, {"status": "error", "nnc_error": mine.error}
    if reference is None:
        return name, {"status": "nnc-only", "quantities": len(mine.data["values"]) + len(mine.data["exact"])}
    ref = reference_outcome(script, reference, fresh)
    if ref.data is None:
        return name, {"status": "reference-error", "reference_error": ref.error}
    return name, {**compare(mine.data, ref.data), "nnc_wall_s": mine.data.get("wall_s")}


def table(report: dict[str, dict]) -> str:
    """Markdown table: script, quantity group, max relative difference, exact checks."""
    lines = ["| script | quantity | max abs | max rel | ok |", "|---|---|---|---|---|"]
    for script, entry in report.items():
        for name, d in entry.get("values", {}).items():
            if "max_rel" in d:
                lines.append(f"| {script} | {name} | {d['max_abs']:.3g} | {d['max_rel']:.3g} | {d['ok']} |")
            else:
                lines.append(f"| {script} | {name} | - | - | {d} |")
        for name, same in entry.get("exact", {}).items():
            lines.append(f"| {script} | {name} (exact) | - | - | {same} |")
        if "values" not in entry:
            lines.append(f"| {script} | - | - | - | {entry['status']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="script names to run (default: all)")
    parser.add_argument("--no-reference", action="store_true", help="run nnc only")
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, help="reference venv")
    parser.add_argument("--fresh", action="store_true", help="ignore cached reference outputs")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--table", action="store_true", help="also print a markdown table on stderr")
    parser.add_argument("--nnc-threads", type=int, default=None, help="nnc's num_threads (reference: 1)")
    parser.add_argument("--nnc-engine", choices=["llvm", "interp"], default=None, help="nnc's engine")
    args = parser.parse_args()
    if args.nnc_threads:
        NNC_ENV["NNC_COMPARE_THREADS"] = str(args.nnc_threads)
    if args.nnc_engine:
        NNC_ENV["NNC_COMPARE_ENGINE"] = args.nnc_engine
    reference: Path | None = None if args.no_reference else args.reference
    if reference is not None and not (reference / "bin" / "python").exists():
        print(f"reference venv {reference} not found: comparing nothing, running nnc only", file=sys.stderr)
        reference = None
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        entries = dict(pool.map(lambda s: run_one(s, reference, args.fresh), scripts(args.only)))
    print(json.dumps({"reference": str(reference) if reference else None, "scripts": entries}, indent=1))
    if args.table:
        print(table(entries), file=sys.stderr)
    return 0 if all(e["status"] in ("ok", "nnc-only") for e in entries.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
