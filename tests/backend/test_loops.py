"""Loop builders: the static partition of ``[0, n)`` between threads, and the fixed-order lane reduction."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llvmlite import ir

from nnc.backend.llvm.expr import MathLib
from nnc.backend.llvm.jit import LoadedObject, emit_object, host_target, optimise, parse, target_machine
from nnc.backend.llvm.loops import CHUNK_ALIGN, partition
from nnc.backend.llvm.reduce import REDUCE_OPS, lane_reduce
from nnc.ir.nodes import ReduceOp

I64, F64, PTR = ir.IntType(64), ir.DoubleType(), ir.PointerType()


def _jit(m: ir.Module, name: str, ftype: type) -> tuple[LoadedObject, object]:
    host = host_target()
    tm = target_machine(host, 2)
    mod = parse(str(m), m.name)
    optimise(mod, tm, 2)
    loaded = LoadedObject(emit_object(mod, tm), host, 2)
    return loaded, ftype(loaded.address(name))


@pytest.fixture(scope="module")
def bounds():
    """``void bounds(i64 n, i64 tid, i64 nthreads, i64* out)``: out = [begin, end]."""
    m = ir.Module("partition")
    fn = ir.Function(m, ir.FunctionType(ir.VoidType(), [I64, I64, I64, PTR]), "bounds")
    b = ir.IRBuilder(fn.append_basic_block())
    n, tid, nthreads, out = fn.args
    begin, end = partition(b, n, tid, nthreads)
    b.store(begin, out)
    b.store(end, b.gep(out, [I64(1)], source_etype=I64))
    b.ret_void()
    proto = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p)
    loaded, f = _jit(m, "bounds", proto)
    yield f
    loaded.close()


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 10_000), nthreads=st.integers(1, 64))
def test_partition_tiles_the_range_in_aligned_chunks(bounds, n: int, nthreads: int) -> None:
    out = np.zeros(2, dtype=np.int64)
    chunks = []
    for tid in range(nthreads):
        bounds(n, tid, nthreads, out.ctypes.data)
        chunks.append(tuple(out))
    expected_begin = 0
    for begin, end in chunks:
        assert begin == min(expected_begin, n)
        assert begin <= end <= n
        assert begin % CHUNK_ALIGN == 0 or begin == n
        expected_begin = end
    assert chunks[-1][1] == n  # every element has exactly one thread


@pytest.fixture(scope="module")
def reducers():
    """``double reduce_<op>(double* x, i64 n)`` for every reduce operation."""
    m = ir.Module("reduce")
    lib = MathLib(m, F64)
    for op in ReduceOp:
        fn = ir.Function(m, ir.FunctionType(F64, [PTR, I64]), f"reduce_{op.value}")
        b = ir.IRBuilder(fn.append_basic_block())
        x, n = fn.args

        def values(p0: ir.Value, mask: ir.Value | None, b: ir.IRBuilder = b, x: ir.Value = x) -> ir.Value:
            vty = ir.VectorType(F64, 8)
            addr = b.gep(x, [p0], source_etype=F64)
            if mask is None:
                return b.load(addr, typ=vty, align=8)
            safe = b.select(mask, ir.Constant(vty, [1.0] * 8), ir.Constant(vty, [0.0] * 8))
            return b.fmul(safe, safe)  # masked lanes: any value (they are not accumulated)

        b.ret(lane_reduce(b, lib, REDUCE_OPS[op], n, values))
    proto = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_void_p, ctypes.c_int64)
    loaded, _ = _jit(m, "reduce_sum", proto)
    fns = {op: proto(loaded.address(f"reduce_{op.value}")) for op in ReduceOp}
    yield fns
    loaded.close()


def _lanes_reference(x: np.ndarray, op: ReduceOp) -> float:
    ident = {ReduceOp.MAX: -np.inf, ReduceOp.MIN: np.inf}.get(op, 0.0)
    comb = {
        ReduceOp.MAX: lambda a, b: b if b > a else a,
        ReduceOp.MIN: lambda a, b: b if b < a else a,
    }.get(op, lambda a, b: a + b)
    lanes = [ident] * 8
    for p, v in enumerate(x):
        lanes[p % 8] = comb(lanes[p % 8], v)
    return comb(
        comb(comb(lanes[0], lanes[4]), comb(lanes[2], lanes[6])),
        comb(comb(lanes[1], lanes[5]), comb(lanes[3], lanes[7])),
    )


@settings(max_examples=60, deadline=None)
@given(n8=st.integers(0, 12), data=st.data())
def test_full_chunks_reduce_in_the_fixed_lane_order(reducers, n8: int, data) -> None:
    """Whole chunks of 8 (the masked tail is covered by the projection tests)."""
    n = 8 * n8
    x = np.array(data.draw(st.lists(st.floats(-1e6, 1e6), min_size=n, max_size=n)), dtype=np.float64)
    for op in (ReduceOp.SUM, ReduceOp.MAX, ReduceOp.MIN):
        got = reducers[op](x.ctypes.data, n)
        want = (
            _lanes_reference(x, op)
            if n
            else -np.inf
            if op is ReduceOp.MAX
            else np.inf
            if op is ReduceOp.MIN
            else 0.0
        )
        assert got == want or (np.isnan(got) and np.isnan(want))
