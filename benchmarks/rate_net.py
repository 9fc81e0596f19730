"""Rate-coded network benchmark: synaptic updates per second against the memory bandwidth of the same run.

The model of ``anchors-bench/rate_net.py`` (ANNarchy 5 API): 2000 input neurons
``r = 0.5 + 0.5*sin(omega*t + phase)``, 2000 reservoir neurons ``tau*dx/dt + x = sum(in) + sum(rec)``,
``r = tanh(x)`` (explicit Euler, dt = 1 ms), a dense all-to-all recurrent projection (weights
``Normal(0, 1.5/sqrt(N))``, no self-connections) and a 0.1-probability sparse input projection (weights
``Uniform(-0.2, 0.2)``), both drawn from ``net.default_rng``; ``r`` of 10 neurons recorded. 10 000 steps
by default (``--steps`` for fewer).

Reported (one JSON line):

* nnc: compile time, the median over ``--repeats`` runs of the simulate time (``net.reset()`` between
  runs, so every run computes the same thing), synaptic updates per second (synapses x steps / time);
* the bandwidth the run achieves, counting the data a step must stream at least: 8 bytes per dense
  weight, 8 + 4 bytes (weight + pre index) per sparse synapse;
* memory bandwidth measured in the same process with NumPy, single-threaded BLAS: STREAM "Copy"
  (``np.copyto``, counted as 16 bytes per element: read + write), and two read-only kernels, ``sum`` and
  BLAS ``x @ x`` (8 bytes per element), each over ``--stream-mb`` MB arrays (main memory) and over arrays
  of the size of the synaptic data (the cache level the kernel itself streams from), medians of 5; and
  the ratios of the nnc bandwidth to them (the target is >= 0.7 of the limit). Transmission only
  reads, and one core's read stream is limited by its outstanding cache misses, so the read-only
  figure (``fraction_of_read_bandwidth``, against the faster of sum and dot) is the relevant limit;
  the copy figure counts the write stream too;
* with ``--reference`` and the reference's virtual environment present: this same script run by the
  reference simulator (``SIM=ANNarchy``, one thread, ``--reference-repeats`` runs) in a subprocess of this
  run, its simulate time and the ratio nnc / reference (target <= 0.7).

    python benchmarks/rate_net.py [--steps 10000] [--repeats 3] [--threads 1] [--reference]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the bandwidth kernels run on one core, like nnc

import numpy as np
from timing import median_seconds

REFERENCE_VENV = Path(os.environ.get("NNC_REFERENCE_VENV", "/work/annvenv"))


def build(ann, n: int, n_in: int, seed: int):
    """The anchor model; returns the network, the reservoir, its projections and the monitor."""
    local = dict(omega=ann.Parameter(0.0, locality="local"), phase=ann.Parameter(0.0, locality="local"))
    inp_neuron = ann.Neuron(parameters=local, equations=["r = 0.5 + 0.5 * sin(omega * t + phase)"])
    res_neuron = ann.Neuron(
        parameters=dict(tau=10.0), equations=["tau * dx/dt + x = sum(in) + sum(rec)", "r = tanh(x)"]
    )
    rng = np.random.default_rng(seed)
    net = ann.Network(dt=1.0, seed=seed)
    inp = net.create(geometry=n_in, neuron=inp_neuron, name="inp")
    res = net.create(geometry=n, neuron=res_neuron, name="res")
    inp.omega = 2.0 * np.pi * rng.uniform(0.5, 5.0, n_in) / 1000.0
    inp.phase = rng.uniform(0.0, 2.0 * np.pi, n_in)
    res.x = rng.uniform(-0.5, 0.5, n)
    rec = net.connect(pre=res, post=res, target="rec")
    rec.all_to_all(weights=ann.Normal(0.0, 1.5 / np.sqrt(n), rng=net.default_rng))
    ff = net.connect(pre=inp, post=res, target="in")
    ff.fixed_probability(probability=0.1, weights=ann.Uniform(-0.2, 0.2, rng=net.default_rng))
    monitor = net.monitor(res[:10], ["r"])
    return net, res, (rec, ff), monitor


def simulate(args: argparse.Namespace, sim: str) -> dict[str, object]:
    """Build, compile and time ``args.repeats`` runs of ``args.steps`` steps under simulator ``sim``."""
    ann = importlib.import_module(sim)
    t0 = time.perf_counter()
    net, res, (rec, ff), monitor = build(ann, args.n, args.n_in, args.seed)
    net.config(num_threads=args.threads)
    with tempfile.TemporaryDirectory(prefix="rate_net_") as directory:
        net.compile(directory=directory, silent=True)
        compile_s = time.perf_counter() - t0
        times = []
        for i in range(args.repeats):
            if i:
                net.reset()
            t0 = time.perf_counter()
            net.simulate(float(args.steps))
            times.append(time.perf_counter() - t0)
            monitor.get("r")
        r = np.asarray(res.r, dtype=float)
        dense, sparse = int(rec.nb_synapses), int(ff.nb_synapses)
    return {
        "sim": sim,
        "compile_s": round(compile_s, 3),
        "simulate_s": times,
        "dense_synapses": dense,
        "sparse_synapses": sparse,
        "r_final_mean": float(r.mean()),
        "r_final_std": float(r.std()),
    }


def bandwidth(nbytes: int) -> dict[str, float]:
    """NumPy copy (read + write), read-only sum and BLAS dot (x @ x) bandwidth, GB/s, for ``nbytes``."""
    src = np.random.default_rng(0).random(max(1, nbytes // 8))
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch every page before timing
    return {
        "copy_GBps": 2 * src.nbytes / median_seconds(lambda: np.copyto(dst, src), 5) / 1e9,
        "sum_GBps": src.nbytes / median_seconds(src.sum, 5) / 1e9,
        "dot_GBps": src.nbytes / median_seconds(lambda: src @ src, 5) / 1e9,
    }


def run_reference(args: argparse.Namespace) -> dict[str, object]:
    """This script under the reference simulator, in a subprocess; its JSON or an error."""
    python = REFERENCE_VENV / "bin" / "python"
    if not python.exists():
        return {"skipped": f"reference virtual environment {REFERENCE_VENV} not found"}
    cmd = [
        str(python),
        __file__,
        "--worker",
        "ANNarchy",
        "--steps",
        str(args.reference_steps or args.steps),
        "--repeats",
        str(args.reference_repeats),
        "--threads",
        "1",
        "--n",
        str(args.n),
        "--n-in",
        str(args.n_in),
        "--seed",
        str(args.seed),
    ]
    env = {**os.environ, "PATH": f"{REFERENCE_VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": (proc.stderr or proc.stdout)[-1500:]}


def report(args: argparse.Namespace, mine: dict, ref: dict | None) -> dict[str, object]:
    """The JSON record: nnc figures, bandwidths and ratios."""
    steps = args.steps
    synapses = mine["dense_synapses"] + mine["sparse_synapses"]
    step_bytes = 8 * mine["dense_synapses"] + 12 * mine["sparse_synapses"]
    nnc_s = statistics.median(mine["simulate_s"])
    nnc_gbps = step_bytes * steps / nnc_s / 1e9
    large = bandwidth(args.stream_mb * 2**20)
    same = bandwidth(step_bytes)
    rec: dict[str, object] = {
        "benchmark": "rate_net",
        "steps": steps,
        "threads": args.threads,
        "repeats": args.repeats,
        "synapses": synapses,
        "nnc_compile_s": mine["compile_s"],
        "nnc_simulate_s": round(nnc_s, 4),
        "nnc_simulate_runs_s": [round(t, 4) for t in mine["simulate_s"]],
        "nnc_s_per_10000_steps": round(nnc_s * 10000 / steps, 3),
        "syn_updates_per_s": synapses * steps / nnc_s,
        "bytes_per_step": step_bytes,
        "nnc_GBps": round(nnc_gbps, 3),
        "stream_mb": args.stream_mb,
        "numpy_copy_GBps": round(large["copy_GBps"], 3),
        "numpy_sum_GBps": round(large["sum_GBps"], 3),
        "numpy_dot_GBps": round(large["dot_GBps"], 3),
        "numpy_copy_same_size_GBps": round(same["copy_GBps"], 3),
        "numpy_sum_same_size_GBps": round(same["sum_GBps"], 3),
        "fraction_of_copy_bandwidth": round(nnc_gbps / large["copy_GBps"], 3),
        "fraction_of_sum_bandwidth": round(nnc_gbps / large["sum_GBps"], 3),
        "fraction_of_read_bandwidth": round(nnc_gbps / max(large["sum_GBps"], large["dot_GBps"]), 3),
        "fraction_of_same_size_copy_bandwidth": round(nnc_gbps / same["copy_GBps"], 3),
        "nnc_r_final_mean": mine["r_final_mean"],
        "load_average": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
    }
    if ref is not None:
        rec["reference"] = ref
        if "simulate_s" in ref:
            ref_s = statistics.median(ref["simulate_s"]) * steps / (args.reference_steps or steps)
            rec["reference_simulate_s"] = round(ref_s, 4)
            rec["ratio_nnc_over_reference"] = round(nnc_s / ref_s, 3)
    return rec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n", type=int, default=2000, help="reservoir size")
    parser.add_argument("--n-in", type=int, default=2000, help="input population size")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--stream-mb", type=int, default=512, help="array size of the bandwidth kernels")
    parser.add_argument("--reference", action="store_true", help="also time the reference simulator")
    parser.add_argument("--reference-repeats", type=int, default=1)
    parser.add_argument("--reference-steps", type=int, default=None, help="default: --steps")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(simulate(args, args.worker)), flush=True)
        return
    mine = simulate(args, "nnc")
    ref = run_reference(args) if args.reference else None
    print(json.dumps(report(args, mine, ref)), flush=True)


if __name__ == "__main__":
    main()
