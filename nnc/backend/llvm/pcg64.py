"""The PCG64 Bernoulli kernel: which of ``n`` draws of ``Generator.random`` fall below ``p``, on raw words.

Emitted with IRBuilder, compiled by :mod:`nnc.backend.llvm.jit`, called through ctypes (so without the GIL).
The maths (jump-ahead, threshold, lane table) and the generator bookkeeping are :mod:`nnc.api.bernoulli`;
this module only turns ``(state, lane table, n, threshold)`` into the ascending indices of the kept draws.

PCG64 (numpy/random/src/pcg64) is the 128-bit LCG ``s ← a·s + inc`` whose output is ``rotr64(hi ^ lo,
hi >> 58)`` of the new state. Lane ``j`` starts at the state after ``j + 1`` steps and steps by ``LANES``
(the jump in the table's last entry), so one iteration makes draws ``i .. i + LANES - 1`` from independent
lanes held in vector registers; the 128-bit products come from 32-bit ones (``vpmuludq``). The indices kept
are compress-stored (``vpcompressd`` with AVX-512; LLVM expands it on other targets).
"""

from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import ir

from nnc.backend.llvm import jit

#: draws per loop iteration (lanes of the vectors)
LANES = 16
I1, I32, I64, I128 = ir.IntType(1), ir.IntType(32), ir.IntType(64), ir.IntType(128)
PTR = ir.PointerType()
V64, V32, VBOOL = ir.VectorType(I64, LANES), ir.VectorType(I32, LANES), ir.VectorType(I1, LANES)
KERNEL_NAME = "nnc_bernoulli"
_MASK64 = (1 << 64) - 1


def _splat(b: ir.IRBuilder, x: ir.Value, vec: ir.VectorType) -> ir.Value:
    one = b.insert_element(ir.Constant(vec, ir.Undefined), x, I32(0))
    return b.shuffle_vector(one, ir.Constant(vec, ir.Undefined), ir.Constant(V32, 0))


def _words(b: ir.IRBuilder, x: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(low, high) 64-bit halves of an i128."""
    return b.trunc(x, I64), b.trunc(b.lshr(x, I128(64)), I64)


def _lane_starts(b: ir.IRBuilder, s0: ir.Value, table: ir.Value) -> tuple[ir.Value, ...]:
    """Lane ``j`` holds the state after ``j + 1`` steps (``A_j·s0 + C_j``); also ``A_LANES, C_LANES``."""
    lo, hi = ir.Constant(V64, ir.Undefined), ir.Constant(V64, ir.Undefined)
    for j in range(LANES):
        a = b.load(b.gep(table, [I64(2 * j)], source_etype=I128), typ=I128, align=8)
        c = b.load(b.gep(table, [I64(2 * j + 1)], source_etype=I128), typ=I128, align=8)
        w_lo, w_hi = _words(b, b.add(b.mul(a, s0), c))
        lo, hi = b.insert_element(lo, w_lo, I32(j)), b.insert_element(hi, w_hi, I32(j))
    return lo, hi, a, c


def _output(b: ir.IRBuilder, fshr: ir.Function, lo: ir.Value, hi: ir.Value) -> ir.Value:
    """PCG64's XSL-RR output of each lane: ``rotr64(hi ^ lo, hi >> 58)``."""
    x = b.xor(hi, lo)
    return b.call(fshr, [x, x, b.lshr(hi, ir.Constant(V64, 58))])


def _step(b: ir.IRBuilder, lo: ir.Value, hi: ir.Value, a: tuple[ir.Value, ...]) -> tuple[ir.Value, ir.Value]:
    """``s ← A·s + C (mod 2**128)`` per lane on (lo, hi) words; ``lo·A_lo`` in full from 32-bit halves."""
    a_lo, a_hi, c_lo, c_hi, a0, a1 = a
    m32, s32 = ir.Constant(V64, 0xFFFFFFFF), ir.Constant(V64, 32)
    l0, l1 = b.and_(lo, m32), b.lshr(lo, s32)
    p00, p01, p10, p11 = b.mul(l0, a0), b.mul(l0, a1), b.mul(l1, a0), b.mul(l1, a1)
    mid = b.add(b.add(b.lshr(p00, s32), b.and_(p01, m32)), b.and_(p10, m32))
    prod_hi = b.add(b.add(b.add(p11, b.lshr(p01, s32)), b.lshr(p10, s32)), b.lshr(mid, s32))
    prod_lo = b.or_(b.shl(mid, s32), b.and_(p00, m32))
    new_lo = b.add(prod_lo, c_lo)
    carry = b.zext(b.icmp_unsigned("<", new_lo, c_lo), V64)
    cross = b.add(b.mul(lo, a_hi), b.mul(hi, a_lo))
    return new_lo, b.add(b.add(b.add(prod_hi, cross), c_hi), carry)


def _intrinsics(m: ir.Module) -> tuple[ir.Function, ir.Function, ir.Function]:
    """``llvm.fshr`` (rotate), ``llvm.masked.compressstore`` and ``llvm.ctpop`` for the lane vectors."""
    mask_int = ir.IntType(LANES)
    return (
        ir.Function(m, ir.FunctionType(V64, [V64, V64, V64]), f"llvm.fshr.v{LANES}i64"),
        ir.Function(
            m, ir.FunctionType(ir.VoidType(), [V32, PTR, VBOOL]), f"llvm.masked.compressstore.v{LANES}i32"
        ),
        ir.Function(m, ir.FunctionType(mask_int, [mask_int]), f"llvm.ctpop.i{LANES}"),
    )


def _step_constants(b: ir.IRBuilder, a: ir.Value, c: ir.Value) -> tuple[ir.Value, ...]:
    """Splats of the jump by ``LANES`` draws for :func:`_step`: A's words, C's words, A_lo's 32-bit halves."""
    (a_lo, a_hi), (c_lo, c_hi) = _words(b, a), _words(b, c)
    a_lo_v = _splat(b, a_lo, V64)
    a0, a1 = b.and_(a_lo_v, ir.Constant(V64, 0xFFFFFFFF)), b.lshr(a_lo_v, ir.Constant(V64, 32))
    return a_lo_v, _splat(b, a_hi, V64), _splat(b, c_lo, V64), _splat(b, c_hi, V64), a0, a1


def kernel_module() -> ir.Module:
    """``i64 nnc_bernoulli(ptr s0, ptr table, i64 n, i64 thr, ptr out)``.

    ``s0``: the PCG64 state (two little-endian words) before the first draw; ``table``: ``A_j, C_j`` for
    ``j = 1..LANES`` (the state after ``j`` steps is ``A_j·s + C_j``), each as two little-endian words.
    Draws ``i .. i + LANES - 1`` of an iteration come from the lanes, which then step by ``LANES``.
    Stores every index ``i < n`` whose output is ``< thr`` into ``out`` (int32, ascending; room for
    ``n + LANES``) and returns how many. ``n < 2**31``.
    """
    m = ir.Module(KERNEL_NAME)
    fshr, compress, ctpop = _intrinsics(m)
    fn = ir.Function(m, ir.FunctionType(I64, [PTR, PTR, I64, I64, PTR]), KERNEL_NAME)
    s0p, table, n, thr, out = fn.args
    out.add_attribute("noalias")
    entry, loop, store, cont, done = (
        fn.append_basic_block(x) for x in ("entry", "loop", "store", "cont", "done")
    )
    b = ir.IRBuilder(entry)
    lo0, hi0, a_last, c_last = _lane_starts(b, b.load(s0p, typ=I128, align=8), table)
    step = _step_constants(b, a_last, c_last)
    thr_v, n_v = _splat(b, thr, V64), _splat(b, b.trunc(n, I32), V32)
    b.cbranch(b.icmp_unsigned("==", n, I64(0)), done, loop)

    b.position_at_end(loop)
    i, k, lo, hi = b.phi(I64, "i"), b.phi(I64, "k"), b.phi(V64, "lo"), b.phi(V64, "hi")
    idx = b.add(_splat(b, b.trunc(i, I32), V32), ir.Constant(V32, list(range(LANES))))
    keep = b.and_(b.icmp_unsigned("<", _output(b, fshr, lo, hi), thr_v), b.icmp_unsigned("<", idx, n_v))
    bits = b.bitcast(keep, ir.IntType(LANES))
    b.cbranch(b.icmp_unsigned("!=", bits, ir.Constant(ir.IntType(LANES), 0)), store, cont)

    b.position_at_end(store)  # rare for small p: compress the kept indices to out[k..]
    b.call(compress, [idx, b.gep(out, [k], source_etype=I32), keep])
    k_stored = b.add(k, b.zext(b.call(ctpop, [bits]), I64))
    b.branch(cont)

    b.position_at_end(cont)
    k_next = b.phi(I64, "k.next")
    k_next.add_incoming(k, loop)
    k_next.add_incoming(k_stored, store)
    lo_next, hi_next = _step(b, lo, hi, step)
    i_next = b.add(i, I64(LANES))
    b.cbranch(b.icmp_unsigned("<", i_next, n), loop, done)
    for phi, first, nxt in ((i, I64(0), i_next), (k, I64(0), k_next), (lo, lo0, lo_next), (hi, hi0, hi_next)):
        phi.add_incoming(first, entry)
        phi.add_incoming(nxt, cont)

    b.position_at_end(done)
    count = b.phi(I64, "count")
    count.add_incoming(I64(0), entry)
    count.add_incoming(k_next, cont)
    b.ret(count)
    return m


_KERNEL_TYPE = ctypes.CFUNCTYPE(
    ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_uint64, ctypes.c_void_p
)


class BernoulliKernel:
    """The compiled kernel: ``run`` stores the indices of the kept draws and returns their count."""

    lanes = LANES

    def __init__(self) -> None:
        host = jit.host_target()
        tm = jit.target_machine(host, 1)  # -O1: as fast as -O3 here (the IR is already vector code)
        mod = jit.parse(str(kernel_module()), KERNEL_NAME)
        jit.optimise(mod, tm, 1)
        self._loaded = jit.LoadedObject(jit.emit_object(mod, tm), host, 1)
        self._fn = _KERNEL_TYPE(self._loaded.address(KERNEL_NAME))

    def run(self, state: int, table: np.ndarray, n: int, thr: int, out: np.ndarray) -> int:
        """Indices ``< n`` of the draws after ``state`` whose word is ``< thr``, into ``out``; their count.

        ``table``: ``A_j, C_j`` (``j = 1..lanes``) as uint64 words; ``out``: int32, ``n + lanes`` long.
        """
        if (
            out.dtype != np.int32
            or len(out) < n + LANES
            or table.dtype != np.uint64
            or len(table) != 4 * LANES
        ):
            raise ValueError("BernoulliKernel.run: out must be int32[n + lanes], table uint64[4 * lanes]")
        s0 = np.array([state & _MASK64, state >> 64], dtype=np.uint64)
        return int(self._fn(s0.ctypes.data, table.ctypes.data, n, thr, out.ctypes.data))
