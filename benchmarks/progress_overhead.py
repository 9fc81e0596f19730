"""Cost of ``simulate(progress=True)``: the same runs with and without the progress bar, side by side.

Builds the COBA network (4000 neurons, as examples/coba.py) and a rate network (2000 neurons, 0.1-sparse
recurrent), then alternates ``simulate(duration)`` with ``progress=False`` and ``progress=True`` (the
bar drawn into /dev/null) ``--repeats`` times each and prints one JSON line per network: the median
wall time of each and the median of the ratios of consecutive pairs (robust to a machine whose load
drifts; the bar cuts the run into chunks of about 0.25 s), for wall-clock time and for the process's
CPU time (which a busy machine disturbs less: the bar's own cost is CPU work in this process).

    python benchmarks/progress_overhead.py [--repeats 5] [--duration 2000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time

import nnc as ann


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--duration", type=float, default=2000.0, help="ms per run (both networks)")
    args = parser.parse_args()
    for name, build, duration in (("coba", coba, args.duration), ("rate", rate, args.duration)):
        net = build()
        net.compile()
        net.simulate(duration / 10)  # warm-up
        times: dict[bool, list[float]] = {False: [], True: []}
        cpu: dict[bool, list[float]] = {False: [], True: []}
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
            for _ in range(args.repeats):
                for on in (False, True):
                    t0, c0 = time.perf_counter(), time.process_time()
                    net.simulate(duration, progress=on)
                    times[on].append(time.perf_counter() - t0)
                    cpu[on].append(time.process_time() - c0)
        off, on = statistics.median(times[False]), statistics.median(times[True])
        pairs = statistics.median(b / a for a, b in zip(times[False], times[True], strict=True))
        cpu_pairs = statistics.median(b / a for a, b in zip(cpu[False], cpu[True], strict=True))
        print(
            json.dumps(
                {
                    "network": name,
                    "duration_ms": duration,
                    "off_s": off,
                    "on_s": on,
                    "ratio_of_medians": on / off,
                    "median_pair_ratio": pairs,
                    "cpu_off_s": statistics.median(cpu[False]),
                    "cpu_on_s": statistics.median(cpu[True]),
                    "median_pair_cpu_ratio": cpu_pairs,
                    # the fastest runs are the ones the machine's other work disturbed least
                    "min_ratio": min(times[True]) / min(times[False]),
                    "min_cpu_ratio": min(cpu[True]) / min(cpu[False]),
                }
            )
        )


if __name__ == "__main__":
    main()
