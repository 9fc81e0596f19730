"""Kernel fusion on rate-coded networks: simulate time with ``fuse`` on and off, side by side.

Workloads (weights from seeded NumPy generators, so both versions compute the same numbers):

* ``rate_net``: the anchor workload (anchors-bench/rate_net.py --det: 2000 inputs -> 2000 reservoir
  neurons, 0.1-sparse input, dense recurrent). Its recurrent projection reads ``res.r`` undelayed and its
  input population is updated before the reservoir, so nothing fuses: both columns run the same code.
* ``rate_net_fused``: the same network with the reservoir created first and a 2 ms recurrent delay: the
  clear, both transmissions and the update of ``res`` become one loop.
* ``global_ops``: an ``InputArray`` of 4000 -> 8000 neurons (0.05-sparse) whose equations read
  ``mean(r)`` and ``max(r)``: transmission and global operations fuse into the update.
* ``small``: 100 inputs -> 200 neurons (recurrent, delayed) -> 50 neurons, with global operations: the
  step is short, so the number of kernels (and barriers between them) matters.

Both networks of a workload are built in one process and run alternately (``--repeats`` runs each, after
a warm-up); one JSON line per workload and thread count gives the medians (ms per step) and the ratio
fused / unfused, and checks that the final states are identical.

    python benchmarks/fuse_rate.py [--repeats 3] [--threads 1 2] [--workloads rate_net small]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import numpy as np
from scipy import sparse

import nnc as ann

RESERVOIR = ann.Neuron(
    parameters=dict(tau=10.0), equations=["tau * dx/dt + x = sum(in) + sum(rec)", "r = tanh(x)"]
)
INPUT = ann.Neuron(
    parameters=dict(omega=ann.Parameter(0.0, locality="local"), phase=ann.Parameter(0.0, locality="local")),
    equations=["r = 0.5 + 0.5 * sin(omega * t + phase)"],
)
GLOBAL = ann.Neuron(
    parameters=dict(tau=10.0), equations=["tau * dx/dt + x = sum(in) - mean(r)", "r = pos(x) + 0.01 * max(r)"]
)


def rate_net(net: ann.Network, fused_order: bool) -> ann.Population:
    """anchors-bench/rate_net.py --det; ``fused_order``: reservoir first, 2 ms recurrent delay."""
    n = 2000
    rng = np.random.default_rng(42)
    if fused_order:
        res = net.create(n, RESERVOIR, name="res")
        inp = net.create(n, INPUT, name="inp")
    else:
        inp = net.create(n, INPUT, name="inp")
        res = net.create(n, RESERVOIR, name="res")
    inp.omega = 2.0 * np.pi * rng.uniform(0.5, 5.0, n) / 1000.0
    inp.phase = rng.uniform(0.0, 2.0 * np.pi, n)
    res.x = rng.uniform(-0.5, 0.5, n)
    rec = net.connect(res, res, "rec")
    ff = net.connect(inp, res, "in")
    w = rng.normal(0.0, 1.5 / np.sqrt(n), (n, n))
    if fused_order:
        rec.from_matrix(w, delays=2.0)
    else:
        rec.from_matrix(w)
    mask = rng.random((n, n)) < 0.1
    ff.from_sparse(sparse.csr_matrix(np.where(mask, rng.uniform(-0.2, 0.2, (n, n)), 0.0)))
    return res


def global_ops(net: ann.Network) -> ann.Population:
    """InputArray(4000) -> 8000 neurons reading mean(r) and max(r)."""
    rng = np.random.default_rng(43)
    inp = net.create(ann.InputArray(4000, name="inp"))
    out = net.create(8000, GLOBAL, name="out")
    inp.r = rng.uniform(0.0, 1.0, 4000)
    mask = rng.random((4000, 8000)) < 0.05
    weights = sparse.csr_matrix(np.where(mask, rng.uniform(-0.2, 0.2, mask.shape), 0.0))
    net.connect(inp, out, "in").from_sparse(weights)
    return out


def small(net: ann.Network) -> ann.Population:
    """100 inputs -> 200 (recurrent, delayed; mean(r)) -> 50 (max(r)): many kernels, short steps."""
    rng = np.random.default_rng(44)
    inp = net.create(ann.InputArray(100, name="inp"))
    inp.r = rng.uniform(0.0, 1.0, 100)
    a = net.create(
        200,
        ann.Neuron(
            parameters="tau = 10.0",
            equations=["tau * dx/dt + x = sum(in) + sum(rec) - mean(r)", "r = pos(x)"],
        ),
        name="a",
    )
    b = net.create(50, ann.Neuron(equations="r = sum(in) - 0.1 * max(r)"), name="b")
    links = ((inp, a, "in", 0.2, 0.0), (a, a, "rec", 0.1, 2.0), (a, b, "in", 0.3, 3.0))
    for pre, post, target, p, delay in links:
        mask = rng.random((pre.size, post.size)) < p
        weights = sparse.csr_matrix(np.where(mask, rng.uniform(-0.1, 0.1, mask.shape), 0.0))
        proj = net.connect(pre, post, target)
        proj.from_sparse(weights, delays=delay) if delay else proj.from_sparse(weights)
    return b


WORKLOADS = {
    "rate_net": (lambda net: rate_net(net, False), 400),
    "rate_net_fused": (lambda net: rate_net(net, True), 400),
    "global_ops": (global_ops, 400),
    "small": (small, 20000),
}


def build(name: str, fuse: bool, threads: int, directory: str) -> tuple[ann.Network, ann.Population]:
    """The compiled network of workload ``name``, warmed up."""
    net = ann.Network(dt=1.0, seed=42)
    net.config(num_threads=threads, fuse=fuse)
    pop = WORKLOADS[name][0](net)
    net.compile(directory=directory)
    net.simulate(20)
    return net, pop


def measure(name: str, threads: int, repeats: int, directory: str) -> dict[str, object]:
    """Alternate runs of the unfused and fused networks of one workload."""
    steps = WORKLOADS[name][1]
    nets = {fuse: build(name, fuse, threads, directory) for fuse in (False, True)}
    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(repeats):
        for fuse, (net, _) in nets.items():
            t0 = time.perf_counter()
            net.simulate(steps)
            times[fuse].append((time.perf_counter() - t0) / steps * 1e3)
    off, on = statistics.median(times[False]), statistics.median(times[True])
    fused_net = nets[True][0]
    return {
        "workload": name,
        "threads": threads,
        "steps": steps,
        "fused": [list(k.fused) for k in fused_net._runtime.module.kernels if k.fused],
        "unfused_ms_per_step": round(off, 4),
        "fused_ms_per_step": round(on, 4),
        "ratio": round(on / off, 3),
        "identical": bool(np.array_equal(nets[False][1].r, nets[True][1].r)),
    }


def main() -> None:
    """Measure every workload and thread count."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for name in args.workloads:
            for threads in args.threads:
                print(json.dumps(measure(name, threads, args.repeats, directory)), flush=True)


if __name__ == "__main__":
    main()
