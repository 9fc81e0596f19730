"""Threads on a busy machine: the rate benchmark at 1 and 2 threads, on idle cores and with every core busy.

The workload is the anchor network of ``rate_net.py`` (2000 inputs -> 2000 reservoir neurons, dense
recurrent + 0.1-sparse input, 4.4 M synapses), ``--steps`` steps per run. One network runs on 1 thread
and one per barrier variant on ``--threads`` threads (default 2); all are compiled first, then run in
turn (``net.reset()`` before each run, ``--repeats`` rounds), first on a quiet machine, then while
``--load`` processes (default: one per CPU) burn CPU time. The load processes are started by this script
and end on their own after ``--load-seconds`` at most (they are terminated when the measurement ends).
Every network must end in the same state.

Barrier variants (``--barrier``, several allowed): ``default`` (the platform's choice), ``futex``,
``portable`` (:class:`nnc.backend.llvm.loops.BarrierKind`), and ``baseline`` with ``--baseline FILE``:
the barrier of another version's ``nnc/backend/llvm/loops.py`` (a before/after comparison in one run).

Reported (one JSON line): for each (load, variant) the median seconds per run and the ratio to the
1-thread median of the same load (target with load: <= 1.5, a second thread on a busy machine must not
cost much; on a quiet machine the 2-thread time must not grow).

    python benchmarks/oversubscription.py [--steps 1000] [--repeats 3] [--load N] \\
        [--barrier default futex portable baseline --baseline OLD/nnc/backend/llvm/loops.py]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext

import numpy as np
from rate_net import build

import nnc as ann
from nnc.backend.llvm import loops, worker

BURN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


@contextmanager
def cpu_load(processes: int, seconds: float):
    """``processes`` CPU-burning Python processes, each ending after ``seconds`` at most."""
    procs = [subprocess.Popen([sys.executable, "-c", BURN.format(seconds=seconds)]) for _ in range(processes)]
    try:
        time.sleep(0.5)  # let them start spinning
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


@contextmanager
def barrier_variant(variant: str, baseline: str | None):
    """While compiling: build the barrier as ``variant`` says."""
    if variant == "default":
        with nullcontext():
            yield
        return
    saved = worker.build_barrier
    if variant == "baseline":
        if baseline is None:
            raise SystemExit("--barrier baseline needs --baseline FILE")
        spec = importlib.util.spec_from_file_location("baseline_loops", baseline)
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)
        worker.build_barrier = old.build_barrier
    else:
        kind = loops.BarrierKind(variant)
        worker.build_barrier = lambda module, arch: loops.build_barrier(module, arch, kind)
    try:
        yield
    finally:
        worker.build_barrier = saved


def networks(args: argparse.Namespace, directory: str) -> dict[str, tuple[ann.Network, ann.Population]]:
    """``1 thread`` and one network per barrier variant, compiled (each into its own cache directory)."""
    out = {}
    for name, threads, variant in [("1 thread", 1, "default")] + [(v, args.threads, v) for v in args.barrier]:
        net, res, _, _ = build(ann, args.n, args.n_in, args.seed)
        net.config(num_threads=threads)
        if not args.adaptive_threads:  # measure the barrier: every run on exactly this many threads
            net.config(adaptive_threads=False)
        with barrier_variant(variant, args.baseline):
            net.compile(directory=os.path.join(directory, name.replace(" ", "_")), silent=True)
        out[name] = (net, res)
    return out


def measure(nets: dict[str, tuple[ann.Network, ann.Population]], args: argparse.Namespace) -> dict:
    """Seconds per run and final rates of each network, the networks taking turns."""
    times: dict[str, list[float]] = {name: [] for name in nets}
    final: dict[str, np.ndarray] = {}
    for _ in range(args.repeats):
        for name, (net, res) in nets.items():
            net.reset()
            t0 = time.perf_counter()
            net.simulate(float(args.steps))
            times[name].append(time.perf_counter() - t0)
            final[name] = np.asarray(res.r, dtype=float).copy()
    return {"times": times, "final": final}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--load", type=int, default=os.cpu_count() or 1, help="CPU-burning processes")
    parser.add_argument("--load-seconds", type=float, default=900.0, help="upper bound of the load's life")
    parser.add_argument(
        "--barrier", nargs="+", default=["default"], choices=["default", "futex", "portable", "baseline"]
    )
    parser.add_argument(
        "--adaptive-threads", action="store_true", help="let a run fall back to one thread where faster"
    )
    parser.add_argument("--baseline", default=None, help="a loops.py whose build_barrier is 'baseline'")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--n-in", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    load_average = os.getloadavg()[0]  # other processes before this one starts: is "quiet" quiet?
    with tempfile.TemporaryDirectory(prefix="oversubscription_") as directory:
        nets = networks(args, directory)
        for net, _ in nets.values():  # warm-up: pool threads started, pages touched
            net.simulate(10.0)
        quiet = measure(nets, args)
        with cpu_load(args.load, args.load_seconds):
            loaded = measure(nets, args)
    ref = quiet["final"]["1 thread"]
    finals = [f for run in (quiet, loaded) for f in run["final"].values()]
    rec: dict[str, object] = {
        "benchmark": "oversubscription",
        "steps": args.steps,
        "repeats": args.repeats,
        "threads": args.threads,
        "load_processes": args.load,
        "cpu_count": os.cpu_count(),
        "load_average_before": round(load_average, 2),
        "default_barrier": loops.default_barrier_kind(loops.arch_of(ann_host_triple())).value,
        "identical_results": all(np.array_equal(f, ref) for f in finals),
    }
    for load, run in (("quiet", quiet), ("loaded", loaded)):
        one = statistics.median(run["times"]["1 thread"])
        for name, times in run["times"].items():
            key = f"{load} {name}".replace(" ", "_")
            rec[f"{key}_s"] = round(statistics.median(times), 4)
            rec[f"{key}_runs_s"] = [round(t, 4) for t in times]
            if name != "1 thread":
                rec[f"{key}_over_1_thread"] = round(statistics.median(times) / one, 3)
    print(json.dumps(rec), flush=True)


def ann_host_triple() -> str:
    """The host's target triple (as the engine compiles for it)."""
    from nnc.backend.llvm.jit import host_target

    return host_target().triple


if __name__ == "__main__":
    main()
