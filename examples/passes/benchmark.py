"""The effect of the strength-reduce pass (examples/passes/strength_reduce.py) on a simulation.

A field of rate-coded Izhikevich-type neurons (``dv/dt = 0.04 * v^2 + 5 v + 140 - u + I``) runs with
and without the pass, side by side, on the LLVM engine; the script prints the median time of each and
checks that both give the same bits.

    python examples/passes/benchmark.py [--neurons 20000] [--steps 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import strength_reduce  # noqa: F401 - registers "strength-reduce"

import nnc as ann

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--neurons", type=int, default=20000)
parser.add_argument("--steps", type=int, default=2000)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()

Quadratic = ann.Neuron(
    parameters=dict(a=0.02, b=0.2, I=ann.Parameter(10.0, locality="local")),
    equations=[
        "dv/dt = 0.04 * v^2 + 5.0 * v + 140.0 - u + I : init=-65.0",
        "du/dt = a * (b*v - u)",
        "r = pos(v)",
    ],
)


def run(extra: list[str]) -> tuple[float, np.ndarray]:
    net = ann.Network(dt=0.01, seed=1)
    net.config(extra_passes=extra)
    pop = net.create(args.neurons, Quadratic)
    pop.I = np.linspace(0.0, 1.0, args.neurons)
    net.compile(clean=True)
    t0 = time.perf_counter()
    net.simulate(args.steps * net.dt)
    return time.perf_counter() - t0, np.asarray(pop.v)


times: dict[str, list[float]] = {"default pipeline": [], "with strength-reduce": []}
results = {}
for _ in range(args.repeats):  # interleaved: both configurations see the same machine load
    for label, extra in (("default pipeline", []), ("with strength-reduce", ["strength-reduce"])):
        seconds, v = run(extra)
        times[label].append(seconds)
        results[label] = v
for label, ts in times.items():
    print(f"{label:22s} median {statistics.median(ts) * 1e3:8.1f} ms over {len(ts)} runs")
base, reduced = (statistics.median(ts) for ts in times.values())
print(f"ratio (default / strength-reduce): {base / reduced:.2f}")
same = np.array_equal(results["default pipeline"], results["with strength-reduce"])
print(f"identical final v: {same}")
assert same, "strength reduction changed the numbers"
