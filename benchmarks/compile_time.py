"""Compile time of a network of 10 rate-coded populations with different models, printed as one JSON line.

``cold``: ``compile()`` into a fresh cache directory (a new process each time, so nothing is cached in
memory either); ``warm``: a second process compiling the same network into the same directory (the
engine loads the cached object code). ``compile_s`` is measured inside the process around
``net.compile()``, after the modules it uses were imported (``import_nnc_s`` and ``first_use_imports_s``
report those imports); ``process_s`` is the whole child process. Medians over ``--repeats`` runs.
Targets (DESIGN.md): below 1 s cold and 0.2 s from the cache.

    python benchmarks/compile_time.py [--repeats 5] [--engine llvm]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

MODELS: list[tuple[dict, list[str]]] = [
    (dict(tau=10.0, I=1.0), ["tau * dv/dt + v = I + sum(exc)", "r = pos(v)"]),
    (dict(tau=5.0), ["tau * dv/dt + v = sum(exc) : exponential", "r = tanh(v)"]),
    (dict(tau=20.0, f=0.01), ["tau * dv/dt = -v + sin(2 * pi * f * t) : midpoint", "r = v"]),
    (dict(tau=10.0), ["tau * du/dt = v - u : rk4", "tau * dv/dt = -u - v + 1.0 : rk4", "r = u"]),
    (dict(tau=8.0), ["tau * dv/dt + v = 0.5 * sum(exc) : implicit", "r = pos(v - mean(v))"]),
    (dict(tau=10.0, sigma=0.1), ["tau * dv/dt + v = Normal(0.0, sigma)", "r = v"]),
    (dict(theta=0.5), ["v = v + 0.01", "r = if v > theta: 1.0 else: v"]),
    (dict(lo=0.0, hi=1.0), ["dv/dt = 0.1 : min=lo, max=hi", "r = v * v"]),
    (dict(tau=15.0, a=0.2), ["tau * dv/dt + a * v = sum(exc) : semiimplicit", "r = exp(-v * v)"]),
    (dict(k=2.0), ["v = clip(k * sum(exc), -1.0, 1.0)", "r = fabs(v) + max(v)"]),
]


def build(ann: object, engine: str) -> object:
    """The benchmark network: 10 populations of 100 neurons, 3 projections."""
    net = ann.Network(dt=0.5, seed=1)  # type: ignore[attr-defined]
    net.config(engine=engine)
    pops = [
        net.create(100, ann.Neuron(parameters=params, equations=eqs), name=f"p{i}")  # type: ignore[attr-defined]
        for i, (params, eqs) in enumerate(MODELS)
    ]
    net.connect(pops[1], pops[0], "exc").all_to_all(weights=0.01)
    net.connect(pops[0], pops[4], "exc").fixed_probability(0.1, weights=0.5)
    net.connect(pops[2], pops[9], "exc").one_to_one(weights=1.0)
    return net


#: Modules compile() imports on first use (frontend, passes, engines): timed apart from the compile itself.
COMPILE_MODULES = (
    "nnc.frontend.analyse",
    "nnc.passes.discretise",
    "nnc.passes.simplify",
    "nnc.passes.bounds",
    "nnc.passes.select_format",
    "nnc.backend.llvm.engine",
    "nnc.backend.interp.engine",
)


def child(directory: str, engine: str) -> None:
    """Build and compile once into ``directory``; print the timings as JSON."""
    import importlib

    t0 = time.perf_counter()
    import nnc as ann

    t1 = time.perf_counter()
    for name in COMPILE_MODULES:
        importlib.import_module(name)
    t2 = time.perf_counter()
    net = build(ann, engine)
    t3 = time.perf_counter()
    net.compile(directory=directory, silent=True)
    t4 = time.perf_counter()
    engine_obj = net._runtime.engine
    out = {
        "import_s": t1 - t0,
        "first_use_imports_s": t2 - t1,
        "build_s": t3 - t2,
        "compile_s": t4 - t3,
        "cache_hit": getattr(engine_obj, "cache_hit", None),
        "engine_s": getattr(engine_obj, "compile_seconds", None),
    }
    print(json.dumps(out))


def _run(directory: str, engine: str) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", directory, "--engine", engine],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["process_s"] = time.perf_counter() - t0
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--engine", default="llvm", choices=["llvm", "interp"])
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.engine)
        return
    cold, warm = [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="nnc_compile_") as d:
            cold.append(_run(d, args.engine))
            warm.append(_run(d, args.engine))

    def median(runs: list[dict], key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 4)

    print(
        json.dumps(
            {
                "benchmark": "compile_time",
                "engine": args.engine,
                "populations": len(MODELS),
                "projections": 3,
                "repeats": args.repeats,
                "cold_compile_s": median(cold, "compile_s"),
                "warm_compile_s": median(warm, "compile_s"),
                "import_nnc_s": median(cold + warm, "import_s"),
                "first_use_imports_s": median(cold + warm, "first_use_imports_s"),
                "cold_process_s": median(cold, "process_s"),
                "warm_process_s": median(warm, "process_s"),
                "warm_cache_hit": [r["cache_hit"] for r in warm],
                "cold_engine_s": cold[len(cold) // 2]["engine_s"],
                "targets_s": {"cold": 1.0, "warm": 0.2},
                "machine": {
                    "cpu_count": os.cpu_count(),
                    "processor": platform.processor() or platform.machine(),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
