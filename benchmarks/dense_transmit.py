"""Dense rate-coded transmission: synaptic updates per second against the machine's memory bandwidth.

A 4000 x 4000 dense projection (``psp = w * pre.r``, ``sum``) feeds ``r = sum(exc)``; each step streams
the 128 MB weight matrix once, so the kernel is memory-bandwidth bound. Reported: synaptic updates per
second (SUPS), the bandwidth the kernel achieves (8 bytes of ``w`` per synapse), and for comparison the
bandwidth of NumPy's copy (STREAM "Copy": read + write) and sum (read only) over arrays of the same
size, plus NumPy's ``W @ r``. Medians of ``--repeats`` runs; one JSON line.

``--recurrent``: an n x n ``all_to_all`` projection of one population onto itself (default n 2000), laid
out by :class:`~nnc.runtime.connectivity.Connectivity` as the API does. Variants, each one JSON entry:
``dense_self`` (no self-connections: DENSE with ``Holes.SELF``), ``dense_none`` (self-connections
allowed: DENSE), ``ell`` and ``csr`` (no self-connections); SUPS count real synapses.

    python benchmarks/dense_transmit.py [--n 4000] [--steps 50] [--repeats 5] [--threads 1] [--format dense]
    python benchmarks/dense_transmit.py --recurrent [--n 2000] [--steps 100] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace

import numpy as np
from timing import median_seconds

from nnc.backend.abi import ConnField, ConnKey, InputKey, StateKey
from nnc.backend.llvm.engine import LlvmEngine
from nnc.frontend.assemble import PopulationSpec, ProjectionSpec, assemble
from nnc.ir.model import Attribute, NeuronModel, SynapseModel
from nnc.ir.nodes import Assign, Input, Var
from nnc.ir.types import AttrKind, DType, Format, Holes, Locality, NeuronKind, ObjKind, Precision
from nnc.options import CompileOptions
from nnc.runtime.buffers import Buffers, ProjectionShape
from nnc.runtime.connectivity import Connectivity


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


def build_recurrent(
    n: int, self_connections: bool, fmt: Format, threads: int
) -> tuple[LlvmEngine, Buffers, Connectivity]:
    """One population of n neurons, all_to_all onto itself, ``psp = w * pre.r`` summed into ``exc``."""
    model = NeuronModel("Res", NeuronKind.RATE, (_attr("r", AttrKind.PARAMETER),), ())
    syn = SynapseModel("W", (_attr("w", AttrKind.PARAMETER),), ())
    post, pre = np.divmod(np.arange(n * n, dtype=np.int64), n)
    keep = slice(None) if self_connections else post != pre
    rng = np.random.default_rng(0)
    post, pre = post[keep], pre[keep]
    conn = Connectivity.from_synapses((n, n), post, pre, rng.normal(size=len(pre)) / np.sqrt(n))
    stats = conn.stats(same_population=True)
    holes = stats.dense_holes() if fmt is Format.DENSE else Holes.NONE
    assert holes is not None
    m = assemble(
        "recurrent",
        Precision.F64,
        1.0,
        (PopulationSpec(0, "res", (n,), model),),
        (ProjectionSpec(0, "rec", 0, 0, ("exc",), syn, stats),),
    )
    m = replace(m, projections=(replace(m.projections[0], format=fmt, holes=holes),))
    engine = LlvmEngine.compile(m, CompileOptions(num_threads=threads))
    buf = Buffers(m, engine.layout, {0: conn.shape(fmt)})
    conn.fill(buf, 0, fmt, holes)
    buf.array(StateKey(ObjKind.PROJECTION, 0, "w"))[:] = conn.scatter(fmt, conn.weights)
    buf.array(StateKey(ObjKind.POPULATION, 0, "r"))[:] = rng.uniform(size=n)
    return engine, buf, conn


def recurrent(args: argparse.Namespace) -> dict:
    """SUPS of the recurrent variants (see the module docstring)."""
    n, steps = args.n or 2000, args.steps
    variants = {
        "dense_self": (False, Format.DENSE),
        "dense_none": (True, Format.DENSE),
        "ell": (False, Format.ELL),
        "csr": (False, Format.CSR),
    }
    result: dict = {"benchmark": "dense_transmit_recurrent", "n": n, "threads": args.threads, "steps": steps}
    sums = {}
    for name, (with_self, fmt) in variants.items():
        engine, buf, conn = build_recurrent(n, with_self, fmt, args.threads)
        engine.run(buf, 2)
        step_s = median_seconds(lambda: engine.run(buf, steps), args.repeats) / steps  # noqa: B023
        sums[name] = buf.array(InputKey(0, "exc")).copy()
        result[name] = {"synapses": conn.n_synapses, "step_s": step_s, "sups": conn.n_synapses / step_s}
        engine.close()
    result["dense_self_equals_ell_csr"] = bool(
        sums["dense_self"].tobytes() == sums["ell"].tobytes() == sums["csr"].tobytes()
    )
    result["speedup_dense_self_vs_ell"] = round(result["dense_self"]["sups"] / result["ell"]["sups"], 3)
    result["dense_self_vs_dense_none"] = round(result["dense_self"]["sups"] / result["dense_none"]["sups"], 3)
    result["cpu_count"] = os.cpu_count()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="4000 (2000 with --recurrent)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--format", choices=[f.value for f in Format], default="dense")
    parser.add_argument("--recurrent", action="store_true", help="all_to_all of one population onto itself")
    args = parser.parse_args()
    if args.recurrent:
        print(json.dumps(recurrent(args)))
        return
    n, steps = args.n or 4000, args.steps
    t0 = time.perf_counter()
    engine, buf = build(n, Format(args.format), args.threads)
    compile_s = time.perf_counter() - t0
    engine.run(buf, 2)  # warm up: page in the weights
    nnc_s = median_seconds(lambda: engine.run(buf, steps), args.repeats) / steps
    w = buf.array(StateKey(ObjKind.PROJECTION, 0, "w")).reshape(n, n)
    rates = buf.array(StateKey(ObjKind.POPULATION, 0, "r"))
    got = buf.array(InputKey(1, "exc")).copy()
    flat, out = w.reshape(-1), np.empty(n * n)
    copy_s = median_seconds(lambda: np.copyto(out, flat), args.repeats)
    sum_s = median_seconds(lambda: flat.sum(), args.repeats)
    gemv_s = median_seconds(lambda: w @ rates, args.repeats)
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
