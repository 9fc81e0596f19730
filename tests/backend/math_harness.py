"""A stand-alone llvmlite + MCJIT harness that runs nnc's math functions over NumPy arrays."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir
from rng_harness import jit

from nnc.backend.llvm.transcendental import emit_math
from nnc.ir.transcendental import MathFn

I64 = ir.IntType(64)
REALS = {np.dtype(np.float64): ir.DoubleType(), np.dtype(np.float32): ir.FloatType()}
_PROTO = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p)


def _kernel(module: ir.Module, name: str, fn: MathFn, real: ir.Type, width: int) -> None:
    """``void name(n, x*, out*)``: out[i] = fn(x[i]), ``width`` elements per call (n a multiple of it)."""
    ty = real if width == 1 else ir.VectorType(real, width)
    fnty = ir.FunctionType(ir.VoidType(), [I64, ir.PointerType(), ir.PointerType()])
    func = ir.Function(module, fnty, name)
    n, xs, out = func.args
    b = ir.IRBuilder(func.append_basic_block("entry"))
    head, body, done = (func.append_basic_block(x) for x in ("head", "body", "done"))
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64, "i")
    i.add_incoming(ir.Constant(I64, 0), func.entry_basic_block)
    b.cbranch(b.icmp_signed("<", i, n), body, done)
    b.position_at_end(body)
    x = b.load(b.gep(xs, [i], source_etype=real), typ=ty, align=4)
    b.store(emit_math(b, fn, x), b.gep(out, [i], source_etype=real), align=4)
    i.add_incoming(b.add(i, ir.Constant(I64, width)), body)
    b.branch(head)
    b.position_at_end(done)
    b.ret_void()


@dataclass
class MathJit:
    """Every function in both real types, scalar (width 1) and as ``<4 x T>`` vectors, in one module."""

    engine: llvm.ExecutionEngine
    text: str

    @classmethod
    def build(cls, opt: int = 2) -> MathJit:
        """Compile all kernels at LLVM level ``opt``."""
        module = ir.Module("math_harness")
        for fn in MathFn:
            for dt, real in REALS.items():
                for width in (1, 4):
                    _kernel(module, f"{fn.value}_{dt.name}_{width}", fn, real, width)
        engine, mod = jit(module, opt)
        return cls(engine, str(mod))

    def __call__(self, fn: MathFn, x: np.ndarray, width: int = 1) -> np.ndarray:
        """``fn`` of each element of the float64 or float32 array ``x`` (its length a multiple of width)."""
        xs = np.ascontiguousarray(x)
        out = np.empty_like(xs)
        addr = self.engine.get_function_address(f"{fn.value}_{xs.dtype.name}_{width}")
        _PROTO(addr)(len(xs), xs.ctypes.data, out.ctypes.data)
        return out
