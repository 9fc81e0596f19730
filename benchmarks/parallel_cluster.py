"""Overhead per copy of ``parallel_run``: in this process, in local processes, and on a Dask LocalCluster.

A small network (2 x 50 rate-coded neurons, random connectivity, noise) is copied ``--copies`` times
with ``seeds='sequential'`` (so every copy has other connectivity) and each copy simulates ``--ms``
milliseconds. Per copy, side by side in one process, medians of ``--repeats`` calls after one untimed
call each (so the Dask workers have imported nnc and hold the job):

- ``sequential``: ``max_processes=1``, the copies one after another in this process;
- ``local``: ``max_processes=--workers``, forked processes (API.md §14);
- ``dask``: ``client=`` a LocalCluster of ``--workers`` worker processes of one thread each;
- ``dask_empty_task``: one Dask task per copy that does nothing (the scheduler's own cost).

Printed as one JSON line (seconds per copy).

    python benchmarks/parallel_cluster.py [--copies 40] [--workers 2] [--repeats 3] [--ms 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time

import nnc as ann

NOISY = ann.Neuron(
    parameters=dict(tau=10.0),
    equations="tau * dr/dt + r = sum(exc) + Normal(0.0, 0.1) : init = Uniform(0.0, 1.0)",
)


class Small(ann.Network):
    """Two populations of 50 neurons, 20 % random connectivity."""

    def __init__(self, n: int = 50):
        a, b = self.create(n, NOISY), self.create(n, NOISY)
        self.connect(a, b, "exc").fixed_probability(0.2, weights=ann.Uniform(0.0, 0.1))
        self.m = self.monitor(b, "r")


def trial(net: Small, ms: float) -> float:
    net.simulate(ms)
    return float(net.m.get("r").sum())


def _nothing(i: int) -> int:
    return i


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--copies", type=int, default=40)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--ms", type=float, default=10.0)
    args = p.parse_args()
    from dask.distributed import Client, LocalCluster

    n = args.copies
    net = Small(seed=1)
    net.compile(directory=tempfile.mkdtemp(prefix="nnc-bench-"))

    def run(**kw: object) -> object:
        return net.parallel_run(trial, number=n, seeds="sequential", ms=args.ms, **kw)

    per_copy: dict[str, list[float]] = {}
    empty: list[float] = []
    with (
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0"
        ) as cluster,
        Client(cluster) as client,
    ):
        expected = run(max_processes=1)
        assert run(client=client) == expected  # the same numbers (and workers warmed up)
        for _ in range(args.repeats):  # interleaved, so that load on a shared machine hits all alike
            for name, kw in (
                ("sequential", dict(max_processes=1)),
                ("local", dict(max_processes=args.workers)),
                ("dask", dict(client=client)),
            ):
                t0 = time.perf_counter()
                run(**kw)
                per_copy.setdefault(name, []).append((time.perf_counter() - t0) / n)
            t0 = time.perf_counter()
            client.gather(client.map(_nothing, range(n), pure=False))
            empty.append((time.perf_counter() - t0) / n)
    result = {k: statistics.median(v) for k, v in per_copy.items()}
    result["dask_empty_task"] = statistics.median(empty)
    result["dask_minus_local"] = result["dask"] - result["local"]
    print(
        json.dumps(
            {
                "benchmark": "parallel_cluster",
                "copies": n,
                "workers": args.workers,
                "ms": args.ms,
                "repeats": args.repeats,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "seconds_per_copy": {k: round(v, 5) for k, v in result.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
