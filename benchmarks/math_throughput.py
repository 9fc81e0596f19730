"""Throughput of nnc's exp, log, sin and cos against the C library's, printed as one JSON line.

Each kernel is a loop ``out[i] = f(x[i])`` over an array that fits in L2, compiled like a network (host
CPU, O3, loop and SLP vectorisation) on one thread: ``nnc_*`` calls nnc's functions
(:mod:`nnc.backend.llvm.transcendental`, inlined and vectorised), ``libm_*`` the ``llvm.<f>``
intrinsic, which becomes a scalar call into the C library. Arguments: exp in [-50, 50], log in
[1e-3, 1e3], sin and cos in [0, 2π) (the Box-Muller range). Values are calls per second; ``speedup``
is nnc over libm.
Usage: ``python benchmarks/math_throughput.py [--n 16384] [--repeats 51]``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import platform

import llvmlite
import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir
from timing import median_seconds

from nnc.backend.llvm.transcendental import emit_math
from nnc.ir.transcendental import MathFn

I64 = ir.IntType(64)
REALS = {"f64": (ir.DoubleType(), np.float64), "f32": (ir.FloatType(), np.float32)}
DOMAINS = {
    MathFn.EXP: (-50.0, 50.0),
    MathFn.LOG: (1e-3, 1e3),
    MathFn.SIN: (0.0, 2 * math.pi),
    MathFn.COS: (0.0, 2 * math.pi),
}


def _kernel(module: ir.Module, name: str, real: ir.Type, call) -> None:
    """``void name(n, x*, out*)``: ``out[i] = call(builder, x[i])``."""
    fnty = ir.FunctionType(ir.VoidType(), [I64, ir.PointerType(), ir.PointerType()])
    fn = ir.Function(module, fnty, name)
    n, xs, out = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    head, body, done = (fn.append_basic_block(x) for x in ("head", "body", "done"))
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64, "i")
    i.add_incoming(ir.Constant(I64, 0), fn.entry_basic_block)
    b.cbranch(b.icmp_signed("<", i, n), body, done)
    b.position_at_end(body)
    x = b.load(b.gep(xs, [i], source_etype=real), typ=real)
    b.store(call(b, x), b.gep(out, [i], source_etype=real))
    i.add_incoming(b.add(i, ir.Constant(I64, 1)), body)
    b.branch(head)
    b.position_at_end(done)
    b.ret_void()


def _libm(b: ir.IRBuilder, fn: MathFn, x: ir.Value) -> ir.Value:
    return b.call(b.module.declare_intrinsic(f"llvm.{fn.value}", [x.type]), [x])


def _compile() -> llvm.ExecutionEngine:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    tm = llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(), opt=3, jit=True
    )
    module = ir.Module("math_bench")
    module.triple = tm.triple
    for fn in MathFn:
        for tag, (real, _) in REALS.items():
            _kernel(module, f"nnc_{fn.value}_{tag}", real, lambda b, x, fn=fn: emit_math(b, fn, x))
            _kernel(module, f"libm_{fn.value}_{tag}", real, lambda b, x, fn=fn: _libm(b, fn, x))
    mod = llvm.parse_assembly(str(module))
    mod.verify()
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.slp_vectorization = True
    pto.loop_vectorization = True
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    return engine


def main() -> None:
    """Measure and print one JSON line of calls per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1 << 14)
    parser.add_argument("--repeats", type=int, default=51)
    opts = parser.parse_args()
    engine = _compile()
    proto = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p)
    result: dict[str, object] = {
        "n": opts.n,
        "host_cpu": llvm.get_host_cpu_name(),
        "machine": platform.machine(),
        "llvmlite": llvmlite.__version__,
    }
    gen = np.random.default_rng(0)
    for fn, (lo, hi) in DOMAINS.items():
        for tag, (_, dtype) in REALS.items():
            x = gen.uniform(lo, hi, opts.n).astype(dtype)
            out = np.empty_like(x)
            rates = {}
            for impl in ("nnc", "libm"):
                f = proto(engine.get_function_address(f"{impl}_{fn.value}_{tag}"))
                secs = median_seconds(
                    lambda f=f, x=x, out=out: f(opts.n, x.ctypes.data, out.ctypes.data),
                    opts.repeats,
                    warmup=True,
                )
                rates[impl] = opts.n / secs
                result[f"{impl}_{fn.value}_{tag}_per_s"] = round(rates[impl])
            result[f"speedup_{fn.value}_{tag}"] = round(rates["nnc"] / rates["libm"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
