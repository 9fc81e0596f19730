"""Throughput of nnc's in-equation random numbers (Philox4x32-10 in LLVM IR), printed as one JSON line.

Each kernel fills an array with one draw per element i at counter (i, 0, step, 0), as a neuron loop does,
on one thread; ``philox_f64_uniforms`` uses both f64 uniforms of every block (the raw generator rate).
NumPy's own Philox generator and nnc's NumPy reference are measured alongside for comparison.
Usage: ``python benchmarks/rng_throughput.py [--n 1048576] [--repeats 15] [--cpu znver3]``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import platform
from collections.abc import Callable

import llvmlite
import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir
from timing import median_seconds

from nnc.backend.llvm.rng import emit_philox, emit_random
from nnc.ir.nodes import Dist
from nnc.ir.rng import draw

I32, I64, F64, F32 = ir.IntType(32), ir.IntType(64), ir.DoubleType(), ir.FloatType()


def _loop(fn: ir.Function, body: Callable[[ir.IRBuilder, ir.Value], None]) -> None:
    """``for i in range(n): body(i)`` as the whole of ``fn(n, out*)``."""
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    head, loop, done = (fn.append_basic_block(x) for x in ("head", "loop", "done"))
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64, "i")
    i.add_incoming(ir.Constant(I64, 0), fn.entry_basic_block)
    b.cbranch(b.icmp_signed("<", i, fn.args[0]), loop, done)
    b.position_at_end(loop)
    body(b, i)
    i.add_incoming(b.add(i, ir.Constant(I64, 1)), b.block)
    b.branch(head)
    b.position_at_end(done)
    b.ret_void()


def _draw_kernel(module: ir.Module, name: str, dist: Dist, real: ir.Type) -> None:
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [I64, ir.PointerType(real)]), name)
    key = (ir.Constant(I32, 42), ir.Constant(I32, 7))

    def body(b: ir.IRBuilder, i: ir.Value) -> None:
        counter = (b.trunc(i, I32), ir.Constant(I32, 0), ir.Constant(I32, 3), ir.Constant(I32, 0))
        args = [ir.Constant(real, 0.0), ir.Constant(real, 1.0)]
        b.store(emit_random(b, dist, args, key, counter, real), b.gep(fn.args[1], [i]))

    _loop(fn, body)


def _u53(b: ir.IRBuilder, xa: ir.Value, xb: ir.Value) -> ir.Value:
    hi = b.shl(b.zext(b.lshr(xa, ir.Constant(I32, 5)), I64), ir.Constant(I64, 26))
    bits = b.or_(hi, b.zext(b.lshr(xb, ir.Constant(I32, 6)), I64))
    return b.fmul(b.uitofp(bits, F64), ir.Constant(F64, 2.0**-53))


def _philox_kernel(module: ir.Module) -> None:
    """Both f64 uniforms of the block at (i, 0, 3, 0): out[2i], out[2i + 1]."""
    fnty = ir.FunctionType(ir.VoidType(), [I64, ir.PointerType(F64)])
    fn = ir.Function(module, fnty, "philox_f64_uniforms")
    key = (ir.Constant(I32, 42), ir.Constant(I32, 7))

    def body(b: ir.IRBuilder, i: ir.Value) -> None:
        counter = (b.trunc(i, I32), ir.Constant(I32, 0), ir.Constant(I32, 3), ir.Constant(I32, 0))
        x0, x1, x2, x3 = emit_philox(b, key, counter)
        two_i = b.shl(i, ir.Constant(I64, 1))
        b.store(_u53(b, x0, x1), b.gep(fn.args[1], [two_i]))
        b.store(_u53(b, x2, x3), b.gep(fn.args[1], [b.add(two_i, ir.Constant(I64, 1))]))

    _loop(fn, body)


KERNELS = {  # name: (builder, numpy dtype, outputs per element)
    "uniform_f64": (lambda m: _draw_kernel(m, "uniform_f64", Dist.UNIFORM, F64), np.float64, 1),
    "uniform_f32": (lambda m: _draw_kernel(m, "uniform_f32", Dist.UNIFORM, F32), np.float32, 1),
    "normal_f64": (lambda m: _draw_kernel(m, "normal_f64", Dist.NORMAL, F64), np.float64, 1),
    "philox_f64_uniforms": (_philox_kernel, np.float64, 2),
}


def _compile(cpu: str | None) -> llvm.ExecutionEngine:
    """Host CPU name and features, or the named CPU with LLVM's features for it (it must run here)."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    features = "" if cpu else llvm.get_host_cpu_features().flatten()
    tm = llvm.Target.from_default_triple().create_target_machine(
        cpu=cpu or llvm.get_host_cpu_name(), features=features, opt=3, jit=True
    )
    module = ir.Module("rng_bench")
    module.triple = tm.triple
    for build, _, _ in KERNELS.values():
        build(module)
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
    """Measure and print one JSON line of draws per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1 << 20)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--cpu", default=None, help="compile for this LLVM CPU name (e.g. znver3)")
    opts = parser.parse_args()
    engine = _compile(opts.cpu)
    proto = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_void_p)
    result: dict[str, object] = {
        "n": opts.n,
        "cpu": opts.cpu or llvm.get_host_cpu_name(),
        "host_cpu": llvm.get_host_cpu_name(),
        "machine": platform.machine(),
        "llvmlite": llvmlite.__version__,
        "numpy": np.__version__,
    }
    for name, (_, dtype, per) in KERNELS.items():
        out = np.empty(opts.n * per, dtype=dtype)
        fn = proto(engine.get_function_address(name))
        secs = median_seconds(lambda fn=fn, out=out: fn(opts.n, out.ctypes.data), opts.repeats, warmup=True)
        result[f"{name}_per_s"] = round(opts.n * per / secs)
    gen = np.random.Generator(np.random.Philox(42))
    out = np.empty(opts.n)
    secs = median_seconds(lambda: gen.random(out=out), opts.repeats, warmup=True)
    result["numpy_philox4x64_random_per_s"] = round(opts.n / secs)
    e = np.arange(opts.n)
    secs = median_seconds(
        lambda: draw(Dist.UNIFORM, (0.0, 1.0), 42, 7, e, 0, 3, np.dtype(np.float64)), 3, warmup=True
    )
    result["nnc_numpy_reference_uniform_per_s"] = round(opts.n / secs)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
