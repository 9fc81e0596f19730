"""Compile time against the number of populations, printed as JSON.

The network (a new user's many-small-populations model): K populations of 100 rate-coded neurons whose
models cycle through five distinct equation texts, a ring of ``fixed_probability(0.1)`` projections
(population i -> population i+1, target ``exc``), dt = 1 ms. For each K (default 10, 50, 100, 200, 400):

* ``cold_s``: ``compile()`` into a fresh cache directory, in a new process;
* ``cached_s``: ``compile()`` of the same network in another process, from that directory;
* ``simulate_s``: ``simulate(1000)`` after the cached compile (``--steps``), the fastest of
  :data:`SIMULATE_AGAIN` calls after a first one (``simulate_first_s``: that first call, which also
  starts the worker thread and first touches the buffers);
* ``kernels`` / ``distinct_kernels``: kernels of the module and compiled functions they share
  (:mod:`nnc.backend.sharing`), ``objects_compiled`` on the cold run.

Times are measured inside the child process around ``compile()`` / ``simulate()``, after the modules
``compile()`` imports on first use are imported; medians over ``--repeats`` runs. ``exponent``: the slope
of log(time) against log(K) fitted over K >= 50 (1 is linear growth).

``--baseline DIR`` also runs every child with ``PYTHONPATH=DIR`` (another checkout of nnc, e.g. the
main branch), alternating with this one, for the sizes ``--baseline-sizes`` (default: all), and reports
both and their ratios side by side. ``--tiny`` adds a network of ``--tiny-k`` populations of 4 neurons
(the same ring with ``fixed_probability(0.5)``), whose step is mostly per-kernel overhead. The
checkouts alternate run by run. With ``--reference`` and the reference simulator's virtual environment
present (``NNC_REFERENCE_VENV``, default ``/work/ref-venv``), K = 10 and 50 are also compiled and
simulated by the reference (``--reference-sizes``), one run each (its compile takes minutes).

    python benchmarks/compile_scaling.py [--sizes 10 50 100 200 400] [--repeats 3] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REFERENCE_VENV = Path(os.environ.get("NNC_REFERENCE_VENV", "/work/ref-venv"))

#: The five model texts the populations cycle through (every one reads ``sum(exc)``).
MODELS: list[tuple[dict, list[str]]] = [
    (dict(tau=10.0, I=1.0), ["tau * dv/dt + v = I + sum(exc)", "r = pos(v)"]),
    (dict(tau=5.0), ["tau * dv/dt + v = sum(exc) : exponential", "r = tanh(v)"]),
    (dict(tau=20.0, f=0.01), ["tau * dv/dt = -v + sum(exc) + sin(2 * pi * f * t) : midpoint", "r = v"]),
    (dict(tau=10.0), ["tau * du/dt = v - u + sum(exc) : rk4", "tau * dv/dt = -u - v + 1.0 : rk4", "r = u"]),
    (dict(tau=8.0), ["tau * dv/dt + v = 0.5 * sum(exc) : implicit", "r = pos(v)"]),
]

#: Modules compile() imports on first use, imported before timing (as benchmarks/compile_time.py).
COMPILE_MODULES = (
    "nnc.frontend.analyse",
    "nnc.passes.discretise",
    "nnc.passes.simplify",
    "nnc.passes.bounds",
    "nnc.passes.select_format",
    "nnc.passes.fuse",
    "nnc.backend.llvm.engine",
)


#: Further ``simulate(steps)`` calls after the first; ``simulate_s`` is the fastest of them.
SIMULATE_AGAIN = 3


def build(ann: object, k: int, size: int = 100, p: float = 0.1) -> object:
    """The ring of ``k`` populations of ``size`` neurons."""
    net = ann.Network(dt=1.0, seed=1)  # type: ignore[attr-defined]
    neurons = [ann.Neuron(parameters=params, equations=eqs) for params, eqs in MODELS]  # type: ignore[attr-defined]
    pops = [net.create(size, neurons[i % len(neurons)], name=f"p{i}") for i in range(k)]
    for i in range(k):
        net.connect(pops[i], pops[(i + 1) % k], "exc").fixed_probability(p, weights=0.1)
    return net


def child(k: int, directory: str, steps: int, size: int, p: float) -> None:
    """Compile (and simulate) once; print the timings as JSON."""
    import importlib

    import nnc as ann

    for name in COMPILE_MODULES:
        importlib.import_module(name)
    net = build(ann, k, size, p)
    t0 = time.perf_counter()
    net.compile(directory=directory, silent=True)  # type: ignore[attr-defined]
    t1 = time.perf_counter()
    net.simulate(steps)  # type: ignore[attr-defined]
    t2 = time.perf_counter()
    again = []
    for _ in range(SIMULATE_AGAIN):
        t = time.perf_counter()
        net.simulate(steps)  # type: ignore[attr-defined]
        again.append(time.perf_counter() - t)
    engine = net._runtime.engine  # type: ignore[attr-defined]
    sharing = getattr(engine, "sharing", None)
    out = {
        "compile_s": t1 - t0,
        "simulate_first_s": t2 - t1,
        "simulate_s": min(again),
        "cache_hit": getattr(engine, "cache_hit", None),
        "kernels": len(net._runtime.module.kernels),  # type: ignore[attr-defined]
        "distinct_kernels": len(sharing.classes) if sharing is not None else None,
        "objects_compiled": getattr(engine, "compiled_objects", None),
        "engine_s": {key: round(v, 4) for key, v in getattr(engine, "compile_seconds", {}).items()},
    }
    print(json.dumps(out))


def reference_child(k: int, steps: int) -> None:
    """The same network on the reference simulator (its ``Network`` API, as :func:`build`): compile and
    simulate times as JSON."""
    import ANNarchy as ann  # type: ignore[import-not-found]  # noqa: N813

    net = build(ann, k)
    with tempfile.TemporaryDirectory(prefix="ann_ref_") as d:
        t0 = time.perf_counter()
        net.compile(directory=d, silent=True)  # type: ignore[attr-defined]
        t1 = time.perf_counter()
        net.simulate(float(steps))  # type: ignore[attr-defined]
        t2 = time.perf_counter()
    print(json.dumps({"compile_s": t1 - t0, "simulate_s": t2 - t1}))


def _run(python: str, args: list[str], pythonpath: str | None, env: dict | None = None) -> dict:
    """Run this script as a child (``env``: its whole environment, else this one's with ``pythonpath``)
    and return the JSON line it printed."""
    if env is None:
        env = dict(os.environ)
        if pythonpath is not None:
            env["PYTHONPATH"] = pythonpath
    proc = subprocess.run([python, __file__, *args], capture_output=True, text=True, env=env, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"child {args} failed:\n{proc.stderr[-3000:]}")


def measure_pair(k: int, steps: int, pythonpath: str | None, size: int, p: float) -> tuple[dict, dict]:
    """A cold compile of the K ring into a new cache directory, then a cached one from it."""
    with tempfile.TemporaryDirectory(prefix="nnc_scaling_") as d:
        common = [str(k), d, "--steps", str(steps), "--size", str(size), "--p", str(p)]
        cold = _run(sys.executable, ["--child", *common], pythonpath)
        cached = _run(sys.executable, ["--child", *common], pythonpath)
    return cold, cached


def summary(k: int, pairs: list[tuple[dict, dict]]) -> dict:
    """Medians (and every run) of the cold and cached compiles of the K ring."""
    cold = [c for c, _ in pairs]
    cached = [c for _, c in pairs]
    return {
        "K": k,
        "cold_s": round(statistics.median(r["compile_s"] for r in cold), 4),
        "cached_s": round(statistics.median(r["compile_s"] for r in cached), 4),
        "simulate_s": round(statistics.median(r["simulate_s"] for r in cached), 4),
        "cold_runs_s": [round(r["compile_s"], 4) for r in cold],
        "cached_runs_s": [round(r["compile_s"], 4) for r in cached],
        "simulate_runs_s": [round(r["simulate_s"], 4) for r in cached],
        "simulate_first_s": round(statistics.median(r["simulate_first_s"] for r in cached), 4),
        "cache_hit": all(r["cache_hit"] for r in cached),
        "kernels": cold[0]["kernels"],
        "distinct_kernels": cold[0]["distinct_kernels"],
        "objects_compiled": cold[0]["objects_compiled"],
        "cold_engine_s": cold[len(cold) // 2]["engine_s"],
    }


def measure_all(args: argparse.Namespace, checkouts: dict[str, str]) -> tuple[dict[str, list[dict]], dict]:
    """Every workload on every checkout (the baseline only for its sizes), the checkouts alternating
    run by run; the rows of the K rings per checkout, and the tiny network's per checkout."""
    workloads = [(k, 100, 0.1) for k in args.sizes]
    if args.tiny:
        workloads.append((args.tiny_k, 4, 0.5))
    on_baseline = set(args.baseline_sizes or args.sizes) | {args.tiny_k}
    runs: dict[str, list[dict]] = {name: [] for name in checkouts}
    tiny: dict[str, dict] = {}
    for k, size, p in workloads:
        names = [n for n in checkouts if n == "nnc" or k in on_baseline]
        pairs: dict[str, list[tuple[dict, dict]]] = {n: [] for n in names}
        for r in range(args.repeats):
            for name in names if r % 2 == 0 else names[::-1]:
                print(f"{name}: K = {k} x {size} neurons, run {r + 1}", file=sys.stderr, flush=True)
                pairs[name].append(measure_pair(k, args.steps, checkouts[name], size, p))
        for name in names:
            row = summary(k, pairs[name])
            if size == 100:
                runs[name].append(row)
            else:
                tiny[name] = {**row, "neurons_per_population": size}
    return runs, tiny


def exponent(rows: list[dict], key: str, smallest: int = 50) -> float | None:
    """Least-squares slope of log(rows[key]) against log(K) over K >= ``smallest``."""
    pts = [(math.log(r["K"]), math.log(r[key])) for r in rows if r["K"] >= smallest and r[key] > 0]
    if len(pts) < 2:
        return None
    mx = statistics.fmean(x for x, _ in pts)
    my = statistics.fmean(y for _, y in pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return round(sum((x - mx) * (y - my) for x, y in pts) / den, 3) if den else None


def _side_by_side(new: list[dict], base: list[dict], path: str) -> dict:
    """The baseline's rows and the ratios new / baseline of each size both ran."""
    mine = {r["K"]: r for r in new}
    return {
        "baseline": {"path": path, "sizes": base, "exponent_cold_K50_up": exponent(base, "cold_s")},
        "ratios_new_over_baseline": [
            {
                "K": b["K"],
                "cold": round(mine[b["K"]]["cold_s"] / b["cold_s"], 3),
                "cached": round(mine[b["K"]]["cached_s"] / b["cached_s"], 3),
                "simulate": round(mine[b["K"]]["simulate_s"] / b["simulate_s"], 3),
            }
            for b in base
        ],
    }


def reference(sizes: list[int], steps: int) -> list[dict] | dict:
    """Compile and simulate times of the reference simulator, one run per size (or why it was skipped)."""
    python = REFERENCE_VENV / "bin" / "python"
    if not python.exists():
        return {"skipped": f"{python} not found"}
    # a clean environment: the reference builds its C++ with its own tools (nothing of nnc's venv)
    env = {
        "HOME": os.environ.get("HOME", "/tmp"),
        "PATH": f"{REFERENCE_VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    }
    ref: list[dict] = []
    for k in sizes:
        try:
            r = _run(str(python), ["--reference-child", str(k), "--steps", str(steps)], None, env)
            ref.append({"K": k, **{key: round(v, 3) for key, v in r.items()}})
        except RuntimeError as e:
            ref.append({"K": k, "error": str(e)[-500:]})
    return ref


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100, 200, 400])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--baseline", default=None, help="another nnc checkout, run side by side")
    parser.add_argument(
        "--baseline-sizes", type=int, nargs="+", default=None, help="sizes run on the baseline (default: all)"
    )
    parser.add_argument("--tiny", action="store_true", help="also K populations of 4 neurons")
    parser.add_argument("--tiny-k", type=int, default=200, help="K of the --tiny network")
    parser.add_argument("--reference", action="store_true", help="also the reference simulator")
    parser.add_argument("--reference-sizes", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--reference-child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=100, help=argparse.SUPPRESS)
    parser.add_argument("--p", type=float, default=0.1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(int(args.child[0]), args.child[1], args.steps, args.size, args.p)
        return
    if args.reference_child is not None:
        reference_child(args.reference_child, args.steps)
        return
    checkouts = {"nnc": str(Path(__file__).resolve().parents[1])}
    if args.baseline:
        checkouts["baseline"] = args.baseline
    runs, tiny = measure_all(args, checkouts)
    rec: dict[str, object] = {
        "benchmark": "compile_scaling",
        "repeats": args.repeats,
        "steps": args.steps,
        "sizes": runs["nnc"],
        "exponent_cold_K50_up": exponent(runs["nnc"], "cold_s"),
        "exponent_cached_K50_up": exponent(runs["nnc"], "cached_s"),
        "exponent_simulate_K50_up": exponent(runs["nnc"], "simulate_s"),
        "load_average": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
    }
    if args.baseline:
        rec.update(_side_by_side(runs["nnc"], runs["baseline"], args.baseline))
    if tiny:
        rec["tiny"] = tiny
        if "baseline" in tiny:
            rec["tiny_simulate_ratio_new_over_baseline"] = round(
                tiny["nnc"]["simulate_s"] / tiny["baseline"]["simulate_s"], 3
            )
    if args.reference:
        rec["reference"] = reference(args.reference_sizes, args.steps)
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
