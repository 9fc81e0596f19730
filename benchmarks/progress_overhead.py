"""Cost of ``simulate(progress=True)``: the same runs with and without the progress bar, side by side.

Builds the COBA network (4000 neurons, as examples/coba.py) and a rate network (2000 neurons, 0.1-sparse
recurrent), then runs, interleaved ``--repeats`` times, ``simulate(duration)`` without the bar, with it
(``progress=True``, drawn into /dev/null; the bar cuts the run into chunks of about 0.25 s), and the
same steps in the bar's chunks without the bar. It prints one JSON line per network: the median wall
and CPU time (of this process: the bar's cost is CPU work here, and a busy machine disturbs it less) of
each, and the two parts of the bar's cost measured alone: its own work (a tqdm bar created, advanced
over the run's chunks and closed, without simulating) and the CPU time of one more engine call (100
calls of 1 % of the run against one call; the fastest of the repeats).

    python benchmarks/progress_overhead.py [--repeats 5] [--duration 2000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from collections.abc import Callable

import nnc as ann
from nnc.runtime import progress as progress_module


def coba() -> ann.Network:
    neuron = ann.Neuron(
        parameters=dict(El=-60.0, Vr=-60.0, Ee=0.0, Ei=-80.0, Vt=-50.0, tau=20.0, te=5.0, ti=10.0, I=20.0),
        equations=[
            "tau * dv/dt = (El - v) + g_exc * (Ee - v) + g_inh * (Ei - v) + I",
            "te * dg_exc/dt = - g_exc",
            "ti * dg_inh/dt = - g_inh",
        ],
        spike="v > Vt",
        reset="v = Vr",
        refractory=5.0,
    )
    net = ann.Network(dt=0.1, seed=42)
    pop = net.create(4000, neuron)
    pop.v = ann.Normal(-55.0, 5.0, rng=net.default_rng)
    net.connect(pop[:3200], pop, "exc").fixed_probability(weights=0.6, probability=0.02)
    net.connect(pop[3200:], pop, "inh").fixed_probability(weights=6.7, probability=0.02)
    net.monitor(pop, "spike")
    return net


def rate() -> ann.Network:
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(2000, ann.Neuron(parameters="tau = 10.0", equations="tau * dr/dt + r = sum(exc)"))
    net.connect(pop, pop, "exc").fixed_probability(weights=0.001, probability=0.1)
    return net


def fastest_cpu(run: Callable[[], object], repeats: int) -> float:
    """The least CPU time of ``repeats`` calls of ``run``."""
    best = float("inf")
    for _ in range(repeats):
        c0 = time.process_time()
        run()
        best = min(best, time.process_time() - c0)
    return best


def chunk_sizes(net: ann.Network, duration: float) -> list[int]:
    """The chunks (steps) into which ``simulate(duration, progress=True)`` cuts a run."""
    sizes: list[int] = []
    advance = progress_module.Progress.advance

    def record(self, steps: int) -> None:
        sizes.append(steps)
        advance(self, steps)

    progress_module.Progress.advance = record  # type: ignore[method-assign]
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
            net.simulate(duration, progress=True)
    finally:
        progress_module.Progress.advance = advance  # type: ignore[method-assign]
    return sizes


def bar_alone(total: int, dt: float, chunks: list[int]) -> None:
    with open(os.devnull, "w") as devnull:
        bar = progress_module.Progress(total, dt, file=devnull)
        for steps in chunks:
            bar.advance(steps)
        bar.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--duration", type=float, default=2000.0, help="ms per run (both networks)")
    args = parser.parse_args()
    for name, build in (("coba", coba), ("rate", rate)):
        net = build()
        net.compile()
        net.simulate(args.duration / 10)  # warm-up
        duration, dt = args.duration, net.dt
        chunks = chunk_sizes(net, duration)
        variants = {
            "off": lambda: net.simulate(duration),  # noqa: B023
            "on": lambda: net.simulate(duration, progress=True),  # noqa: B023
            "chunks": lambda: [net.simulate(k * dt) for k in chunks],  # noqa: B023
        }
        wall: dict[str, list[float]] = {k: [] for k in variants}
        cpu: dict[str, list[float]] = {k: [] for k in variants}
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
            for _ in range(args.repeats):  # interleaved, so that a change of load hits all three
                for key, run in variants.items():
                    t0, c0 = time.perf_counter(), time.process_time()
                    run()
                    wall[key].append(time.perf_counter() - t0)
                    cpu[key].append(time.process_time() - c0)
        one_call = min(cpu["off"])
        part = duration / 100
        many = fastest_cpu(lambda: [net.simulate(part) for _ in range(100)], args.repeats)  # noqa: B023
        bar_cost = fastest_cpu(lambda: bar_alone(sum(chunks), dt, chunks), args.repeats)  # noqa: B023
        med = {k: statistics.median(v) for k, v in wall.items()}
        med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
        print(
            json.dumps(
                {
                    "network": name,
                    "duration_ms": duration,
                    "repeats": args.repeats,
                    "chunks": len(chunks),
                    "wall_median_s": med,
                    "cpu_median_s": med_cpu,
                    "wall_ratio_on_off": med["on"] / med["off"],
                    "cpu_ratio_on_off": med_cpu["on"] / med_cpu["off"],
                    "cpu_bar_alone_s": bar_cost,
                    "cpu_per_engine_call_s": (many - one_call) / 99,
                }
            )
        )


if __name__ == "__main__":
    main()
