"""JIT layer: external symbol check, object cache, vectorised code, engine life cycle."""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
from llvmlite import ir
from netkit import G, Rows, attr, compile_module, neuron, population_module, projection_module, var

from nnc.backend.abi import StateKey
from nnc.backend.llvm import expr as llvm_expr
from nnc.backend.llvm.engine import LlvmEngine
from nnc.backend.llvm.jit import (
    LoadedObject,
    emit_object,
    host_target,
    optimise,
    parse,
    target_machine,
    undefined_symbols,
)
from nnc.diagnostics import BackendError, SimulationError
from nnc.ir.functions import Func
from nnc.ir.model import SynapseModel
from nnc.ir.nodes import Assign, Binary, BinaryOp, Call, Const, Input
from nnc.ir.types import AttrKind, Format, ObjKind, Precision
from nnc.options import CompileOptions
from nnc.runtime.buffers import Buffers, ProjectionShape

PARAM = AttrKind.PARAMETER


def _object_calling(symbol: str) -> bytes:
    m = ir.Module("calls")
    d = ir.DoubleType()
    callee = ir.Function(m, ir.FunctionType(d, [d]), symbol)
    fn = ir.Function(m, ir.FunctionType(d, [d]), "entry")
    b = ir.IRBuilder(fn.append_basic_block())
    b.ret(b.call(callee, [fn.args[0]]))
    host = host_target()
    tm = target_machine(host, 2)
    mod = parse(str(m), "calls")
    optimise(mod, tm, 2)
    return emit_object(mod, tm)


def test_undefined_symbols_are_read_from_the_object() -> None:
    assert "cbrt" in undefined_symbols(_object_calling("cbrt"))


def test_missing_symbol_raises_instead_of_crashing() -> None:
    obj = _object_calling("nnc_test_no_such_function")
    with pytest.raises(BackendError, match="nnc_test_no_such_function"):
        LoadedObject(obj, host_target(), 2)


def test_present_symbol_loads_and_runs() -> None:
    import ctypes

    loaded = LoadedObject(_object_calling("cbrt"), host_target(), 2)
    fn = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(loaded.address("entry"))
    assert fn(27.0) == math.cbrt(27.0)  # the C library's cbrt (within an ulp of 3)
    loaded.close()


def test_engine_refuses_a_network_calling_a_missing_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(llvm_expr.FUNC_LOWERING, Func.ERF, llvm_expr._libm_rule("nnc_test_missing_erf"))
    m = population_module((attr("x"),), (Assign(var("x"), Call(Func.ERF, (var("x"),))),), 4)
    with pytest.raises(BackendError, match="nnc_test_missing_erf"):
        compile_module(m)


# --------------------------------------------------------------------------------------------------
# object cache


def _leaky(tau: float = 10.0, size: int = 1000, precision: Precision = Precision.F64):
    v = var("v")
    update = Binary(BinaryOp.ADD, v, Binary(BinaryOp.DIV, Binary(BinaryOp.SUB, var("i"), v), Const(tau)))
    return population_module((attr("v"), attr("i", kind=PARAM)), (Assign(v, update),), size, precision)


def _run_leaky(engine) -> np.ndarray:
    buf = Buffers(engine.module, engine.layout, {})
    buf.array(StateKey(ObjKind.POPULATION, 0, "i"))[:] = np.linspace(-1, 1, 1000)
    engine.run(buf, 20)
    return buf.array(StateKey(ObjKind.POPULATION, 0, "v")).copy()


def test_cache_miss_then_hit(tmp_path) -> None:
    t0 = time.perf_counter()
    cold = LlvmEngine.compile(_leaky(), CompileOptions(), cache_dir=tmp_path)
    t_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    warm = LlvmEngine.compile(_leaky(), CompileOptions(), cache_dir=tmp_path)
    t_warm = time.perf_counter() - t0
    assert not cold.cache_hit
    assert warm.cache_hit
    assert {"lower", "optimise", "codegen"} <= set(cold.compile_seconds)
    assert "optimise" not in warm.compile_seconds  # a warm start builds no LLVM module
    assert t_warm < t_cold / 2, (t_cold, t_warm)
    np.testing.assert_array_equal(_run_leaky(cold), _run_leaky(warm))
    assert warm.llvm_ir == cold.llvm_ir  # rebuilt on demand
    assert cold.compiled_objects == cold.objects == 2  # the step loop and the population's kernel
    assert warm.compiled_objects == 0
    other = LlvmEngine.compile(_leaky(tau=20.0), CompileOptions(), cache_dir=tmp_path)
    assert not other.cache_hit
    assert other.compiled_objects == 1  # only the changed kernel: the step loop comes from the cache
    assert len(list(tmp_path.glob("*.o"))) == 3
    for e in (cold, warm, other):
        e.close()


def test_options_are_part_of_the_cache_key(tmp_path) -> None:
    LlvmEngine.compile(_leaky(), CompileOptions(opt_level=3), cache_dir=tmp_path).close()
    again = LlvmEngine.compile(_leaky(), CompileOptions(opt_level=1), cache_dir=tmp_path)
    assert not again.cache_hit
    again.close()


# --------------------------------------------------------------------------------------------------
# generated code


@pytest.mark.parametrize(("precision", "lanes"), [(Precision.F64, "double"), (Precision.F32, "float")])
def test_neuron_loop_is_vectorised(precision: Precision, lanes: str) -> None:
    engine = compile_module(_leaky(precision=precision))
    assert re.search(rf"<(4|8|16) x {lanes}>", engine.optimised_ir())
    asm = engine.asm()
    assert re.search(r"\bvdiv[pP][sd]\s.*%[yz]mm", asm), "expected packed divisions on ymm/zmm registers"
    engine.close()


def _dense_transmit(fmt: Format):
    pre = neuron("Pre", (attr("r", kind=PARAM),), ())
    post = neuron("Post", (attr("s"),), (Assign(var("s"), Input("exc")),))
    syn = SynapseModel("W", (attr("w", kind=PARAM), attr("g", loc=G, kind=PARAM)), ())
    return projection_module(pre, post, syn, (64, 8), fmt)


def test_dense_rows_need_no_gathers() -> None:
    dense = compile_module(_dense_transmit(Format.DENSE)).optimised_ir()
    csr = compile_module(_dense_transmit(Format.CSR)).optimised_ir()
    assert "masked.gather" not in dense
    assert re.search(r"load <(4|8) x double>", dense)
    assert "masked.gather" in csr


def test_compiled_engine_runs_and_closes() -> None:
    engine = compile_module(_dense_transmit(Format.DENSE))
    conn = Rows([list(range(64))] * 8, list(range(8)), Format.DENSE)
    buf = conn.buffers(engine)
    buf.array(StateKey(ObjKind.PROJECTION, 0, "w"))[:] = 0.5
    buf.array(StateKey(ObjKind.POPULATION, 0, "r"))[:] = 2.0
    engine.run(buf, 2)
    assert np.all(buf.array(StateKey(ObjKind.POPULATION, 1, "s")) == 64.0)
    engine.close()
    with pytest.raises(SimulationError):
        engine.run(buf, 1)


def test_buffers_of_another_module_are_refused() -> None:
    a, b = compile_module(_leaky(size=10)), compile_module(_dense_transmit(Format.CSR))
    with pytest.raises(SimulationError):
        a.run(Buffers(b.module, b.layout, {0: ProjectionShape(8, 0)}), 1)


def test_a_lowering_crash_names_the_kernel_and_statement(monkeypatch: pytest.MonkeyPatch) -> None:
    from nnc.backend.llvm import statements
    from nnc.diagnostics import InternalError

    def broken(self, s, el) -> None:
        raise KeyError("boom")

    monkeypatch.setitem(statements._STATEMENTS, Assign, broken)
    expected = r"llvm-lower.*kernel P\.update, 'v = v \+ \(i - v\) / 10\.0'.*boom"
    with pytest.raises(InternalError, match=expected):
        compile_module(_leaky())
