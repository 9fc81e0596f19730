"""Rate-coded neuron throughput: LeakyIntegrator updates per second against a vectorised NumPy loop.

1e6 ``LeakyIntegrator`` neurons (MODELS.md §1: ``tau * dv/dt + v = sum(exc) - sum(inh) + B : exponential``,
``r = pos(v - T)``, no projection so both inputs are 0) run 1000 steps. The NumPy reference does the same
update in place (``v += (1 - exp(-dt/tau)) * (B - v)``, ``r = max(v - T, 0)``) with preallocated
buffers. Both start from the same state and must end in the same state. Prints one JSON line with the
medians of ``--repeats`` runs and the ratio nnc / NumPy.

    python benchmarks/rate_throughput.py [--n 1000000] [--steps 1000] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import numpy as np

import nnc as ann

TAU, T, DT = 10.0, 0.1, 1.0


def numpy_run(b: np.ndarray, v0: np.ndarray, steps: int) -> tuple[float, np.ndarray]:
    """Seconds for ``steps`` vectorised updates, and the final ``v``."""
    v, r, tmp = v0.copy(), np.empty_like(v0), np.empty_like(v0)
    decay = 1.0 - np.exp(-DT / TAU)
    t0 = time.perf_counter()
    for _ in range(steps):
        np.subtract(b, v, out=tmp)
        tmp *= decay
        v += tmp
        np.subtract(v, T, out=r)
        np.maximum(r, 0.0, out=r)
    return time.perf_counter() - t0, v


def nnc_net(
    b: np.ndarray, v0: np.ndarray, threads: int, directory: str
) -> tuple[ann.Network, ann.Population]:
    """The compiled network with the same initial state."""
    net = ann.Network(dt=DT, seed=1)
    net.config(num_threads=threads)
    pop = net.create(len(b), ann.LeakyIntegrator(tau=TAU, T=T))
    pop.B = b
    pop.v = v0
    net.compile(directory=directory, silent=True)
    return net, pop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    b, v0 = rng.uniform(-1.0, 1.0, args.n), rng.uniform(-1.0, 1.0, args.n)

    with tempfile.TemporaryDirectory(prefix="nnc_rate_") as directory:
        t0 = time.perf_counter()
        net, pop = nnc_net(b, v0, args.threads, directory)
        compile_s = time.perf_counter() - t0
        nnc_times = []
        for _ in range(args.repeats):
            net.reset()
            t0 = time.perf_counter()
            net.simulate(args.steps * DT)
            nnc_times.append(time.perf_counter() - t0)
        v_nnc = pop.v.reshape(-1)
    np_runs = [numpy_run(b, v0, args.steps) for _ in range(args.repeats)]
    v_np = np_runs[-1][1]
    updates = args.n * args.steps
    nnc_s, np_s = statistics.median(nnc_times), statistics.median(t for t, _ in np_runs)
    print(
        json.dumps(
            {
                "benchmark": "rate_throughput",
                "neurons": args.n,
                "steps": args.steps,
                "threads": args.threads,
                "repeats": args.repeats,
                "compile_s": round(compile_s, 4),
                "nnc_s": round(nnc_s, 4),
                "numpy_s": round(np_s, 4),
                "nnc_updates_per_s": updates / nnc_s,
                "numpy_updates_per_s": updates / np_s,
                "speedup_vs_numpy": round(np_s / nnc_s, 2),
                "max_abs_diff_v": float(np.max(np.abs(v_nnc - v_np))),
                "cpu_count": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
