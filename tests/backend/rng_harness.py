"""A stand-alone llvmlite + MCJIT harness that runs ``emit_random``/``emit_philox`` over NumPy arrays."""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from nnc.backend.llvm.rng import emit_philox, emit_random
from nnc.ir.nodes import Dist
from nnc.ir.types import DType

I32, I64 = ir.IntType(32), ir.IntType(64)
REALS = {np.dtype(np.float64): ir.DoubleType(), np.dtype(np.float32): ir.FloatType()}


def _ptr(ty: ir.Type) -> ir.Type:
    return ir.PointerType(ty)


def _for_range(b: ir.IRBuilder, n: ir.Value, body: Callable[[ir.Value], None]) -> None:
    """``for i in range(n): body(i)`` with i an i64; leaves ``b`` after the loop."""
    pre = b.block
    head, loop, done = (b.function.append_basic_block(x) for x in ("head", "loop", "done"))
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64, "i")
    i.add_incoming(ir.Constant(I64, 0), pre)
    b.cbranch(b.icmp_signed("<", i, n), loop, done)
    b.position_at_end(loop)
    body(i)
    i.add_incoming(b.add(i, ir.Constant(I64, 1)), b.block)
    b.branch(head)
    b.position_at_end(done)


def _draw_kernel(module: ir.Module, dist: Dist, real: ir.Type) -> str:
    """``void f(n, ea*, eb*, step, k0, k1, a0*, a1*, out*)``: out[i] = dist(a0[i], a1[i]) at element i."""
    out_ty = I32 if dist.dtype is DType.INT else real
    args = [I64, _ptr(I32), _ptr(I32), I32, I32, I32, _ptr(real), _ptr(real), _ptr(out_ty)]
    name = f"draw_{dist.name}_{real}"
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), args), name)
    n, ea, eb, step, k0, k1, a0, a1, out = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))

    def body(i: ir.Value) -> None:
        vals = [b.load(b.gep(p, [i])) for p in (a0, a1)][: dist.arity]
        counter = (b.load(b.gep(ea, [i])), b.load(b.gep(eb, [i])), step, ir.Constant(I32, 0))
        b.store(emit_random(b, dist, vals, (k0, k1), counter, real), b.gep(out, [i]))

    _for_range(b, n, body)
    b.ret_void()
    return name


def _philox_kernel(module: ir.Module) -> str:
    """``void philox(n, ctr*, k0, k1, out*)``: out[4i:4i+4] = Philox(ctr[4i:4i+4])."""
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [I64, _ptr(I32), I32, I32, _ptr(I32)]), "philox")
    n, ctr, k0, k1, out = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))

    def body(i: ir.Value) -> None:
        base = b.mul(i, ir.Constant(I64, 4))
        idx = [b.add(base, ir.Constant(I64, j)) for j in range(4)]
        words = emit_philox(b, (k0, k1), tuple(b.load(b.gep(ctr, [x])) for x in idx))
        for x, w in zip(idx, words, strict=True):
            b.store(w, b.gep(out, [x]))

    _for_range(b, n, body)
    b.ret_void()
    return "philox"


def host_target_machine(opt: int = 2) -> llvm.TargetMachine:
    """A target machine for this CPU (name and features), as DESIGN.md §3 asks."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_default_triple()
    features = llvm.get_host_cpu_features().flatten()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(), features=features, opt=opt, jit=True)


def optimise(module: ir.Module, tm: llvm.TargetMachine, opt: int) -> llvm.ModuleRef:
    """Parse and verify ``module``, then run the new pass manager's level-``opt`` pipeline on it."""
    module.triple = tm.triple
    mod = llvm.parse_assembly(str(module))
    mod.verify()
    pto = llvm.create_pipeline_tuning_options(speed_level=opt)
    pto.slp_vectorization = True
    pto.loop_vectorization = True
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    return mod


def jit(module: ir.Module, opt: int = 2) -> tuple[llvm.ExecutionEngine, llvm.ModuleRef]:
    """Verify, optimise at ``opt`` with the new pass manager, and load ``module`` into MCJIT."""
    tm = host_target_machine(opt)
    mod = optimise(module, tm, opt)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    return engine, mod


@dataclass
class RngJit:
    """Every distribution kernel (both real types) plus the Philox kernel, JIT-compiled in one module."""

    engine: llvm.ExecutionEngine
    names: dict[tuple[Dist, np.dtype], str]

    @classmethod
    def build(cls, opt: int = 2) -> RngJit:
        """Compile all kernels at LLVM level ``opt``."""
        module = ir.Module("rng_harness")
        names = {(d, dt): _draw_kernel(module, d, ty) for d in Dist for dt, ty in REALS.items()}
        _philox_kernel(module)
        engine, _ = jit(module, opt)
        return cls(engine, names)

    def _fn(self, name: str) -> int:
        addr = self.engine.get_function_address(name)
        assert addr, name
        return addr

    def philox(self, counter: np.ndarray, key: tuple[int, int]) -> np.ndarray:
        """(4, n) uint32 counters -> (4, n) words, by the IR."""
        ctr = np.ascontiguousarray(np.asarray(counter, dtype=np.uint32).T)
        out = np.empty_like(ctr)
        proto = ctypes.CFUNCTYPE(
            None, ctypes.c_int64, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p
        )
        proto(self._fn("philox"))(len(ctr), ctr.ctypes.data, key[0], key[1], out.ctypes.data)
        return out.T

    def draw(
        self,
        dist: Dist,
        args: tuple[np.ndarray, ...],
        key: tuple[int, int],
        elems: tuple[np.ndarray, np.ndarray],
        step: int,
        real: np.dtype,
    ) -> np.ndarray:
        """One draw per element by the IR (args arrays of the elements' length)."""
        ea, eb = (np.ascontiguousarray(e, dtype=np.uint32) for e in elems)
        n = len(ea)
        full = [np.ascontiguousarray(np.broadcast_to(a, (n,)), dtype=real) for a in args]
        full += [np.zeros(n, dtype=real)] * (2 - len(full))
        out = np.empty(n, dtype=np.int32 if dist.dtype is DType.INT else real)
        proto = ctypes.CFUNCTYPE(
            None, ctypes.c_int64, *[ctypes.c_void_p] * 2, *[ctypes.c_uint32] * 3, *[ctypes.c_void_p] * 3
        )
        proto(self._fn(self.names[dist, np.dtype(real)]))(
            n,
            ea.ctypes.data,
            eb.ctypes.data,
            step & 0xFFFFFFFF,
            key[0],
            key[1],
            full[0].ctypes.data,
            full[1].ctypes.data,
            out.ctypes.data,
        )
        return out
