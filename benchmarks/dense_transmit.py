"""Dense rate-coded transmission: synaptic updates per second against the machine's memory bandwidth.

A 4000 x 4000 dense projection (``psp = w * pre.r``, ``sum``) feeds ``r = sum(exc)``; each step streams
the 128 MB weight matrix once, so the kernel is memory-bandwidth bound. Reported: synaptic updates per
second (SUPS), the bandwidth the kernel achieves (8 bytes of ``w`` per synapse), and for comparison the
bandwidth of NumPy's copy (STREAM "Copy": read + write) and sum (read only) over arrays of the same
size, plus NumPy's ``W @ r``. Medians of ``--repeats`` runs; one JSON line.

    python benchmarks/dense_transmit.py [--n 4000] [--steps 50] [--repeats 5] [--threads 1] [--format dense]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import replace

import numpy as np

from nnc.backend.abi import ConnField, ConnKey, InputKey, StateKey
from nnc.backend.llvm.engine import LlvmEngine
from nnc.frontend.assemble import PopulationSpec, ProjectionSpec, assemble
from nnc.ir.model import Attribute, NeuronModel, SynapseModel
from nnc.ir.nodes import Assign, Input, Var
from nnc.ir.types import AttrKind, DType, Format, Locality, NeuronKind, ObjKind, Precision
from nnc.options import CompileOptions
from nnc.runtime.buffers import Buffers, ProjectionShape


def _attr(name: str, kind: AttrKind) -> Attribute:
    return Attribute(name, DType.REAL, Locality.LOCAL, kind)


def build(n: int, fmt: Format, threads: int) -> tuple[LlvmEngine, Buffers]:
    """The network, compiled, with random weights and rates."""
    pre = NeuronModel("Pre", NeuronKind.RATE, (_attr("r", AttrKind.PARAMETER),), ())
    r = Var("r", DType.REAL, Locality.LOCAL)
    post = NeuronModel("Post", NeuronKind.RATE, (_attr("r", AttrKind.VARIABLE),), (Assign(r, Input("exc")),))
    syn = SynapseModel("W", (_attr("w", AttrKind.PARAMETER),), ())
    pops = (PopulationSpec(0, "pre", (n,), pre), PopulationSpec(1, "post", (n,), post))
    m = assemble("dense", Precision.F64, 1.0, pops, (ProjectionSpec(0, "proj", 0, 1, ("exc",), syn),))
    m = replace(m, projections=(replace(m.projections[0], format=fmt),))
    engine = LlvmEngine.compile(m, CompileOptions(num_threads=threads))
    buf = Buffers(m, engine.layout, {0: ProjectionShape(n, n * n)})
    rng = np.random.default_rng(0)
    buf.array(ConnKey(0, ConnField.POST_RANK))[:] = np.arange(n)
    buf.set_value(ConnKey(0, ConnField.ROW_STRIDE), n)
    if fmt is Format.CSR:
        buf.array(ConnKey(0, ConnField.ROW_PTR))[:] = np.arange(n + 1) * n
    if fmt is Format.ELL:
        buf.array(ConnKey(0, ConnField.ROW_LEN))[:] = n
    if fmt is not Format.DENSE:
        buf.array(ConnKey(0, ConnField.PRE_RANK))[:] = np.tile(np.arange(n, dtype=np.int32), n)
    buf.array(StateKey(ObjKind.PROJECTION, 0, "w"))[:] = rng.normal(size=n * n)
    buf.array(StateKey(ObjKind.POPULATION, 0, "r"))[:] = rng.uniform(size=n)
    return engine, buf


def _median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--format", choices=[f.value for f in Format], default="dense")
    args = parser.parse_args()
    n, steps = args.n, args.steps
    t0 = time.perf_counter()
    engine, buf = build(n, Format(args.format), args.threads)
    compile_s = time.perf_counter() - t0
    engine.run(buf, 2)  # warm up: page in the weights
    nnc_s = _median_seconds(lambda: engine.run(buf, steps), args.repeats) / steps
    w = buf.array(StateKey(ObjKind.PROJECTION, 0, "w")).reshape(n, n)
    rates = buf.array(StateKey(ObjKind.POPULATION, 0, "r"))
    got = buf.array(InputKey(1, "exc")).copy()
    flat, out = w.reshape(-1), np.empty(n * n)
    copy_s = _median_seconds(lambda: np.copyto(out, flat), args.repeats)
    sum_s = _median_seconds(lambda: flat.sum(), args.repeats)
    gemv_s = _median_seconds(lambda: w @ rates, args.repeats)
    gb = n * n * 8 / 1e9
    result = {
        "benchmark": "dense_transmit",
        "format": args.format,
        "n": n,
        "threads": args.threads,
        "compile_s": round(compile_s, 4),
        "step_s": nnc_s,
        "sups": n * n / nnc_s,
        "nnc_GBps": gb / nnc_s,
        "numpy_copy_GBps": 2 * gb / copy_s,
        "numpy_sum_GBps": gb / sum_s,
        "numpy_gemv_GBps": gb / gemv_s,
        "fraction_of_copy_bandwidth": round((gb / nnc_s) / (2 * gb / copy_s), 3),
        "fraction_of_read_bandwidth": round((gb / nnc_s) / (gb / sum_s), 3),
        "max_rel_diff_vs_numpy": float(np.max(np.abs(got - w @ rates) / (np.abs(w) @ np.abs(rates)))),
        "cpu_count": os.cpu_count(),
    }
    engine.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
