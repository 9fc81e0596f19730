"""nnc's math functions in LLVM IR: bit for bit the NumPy definitions, straight-line, vectorised in loops."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llvmlite import ir
from math_harness import MathJit
from netkit import attr, compile_module, population_module, var

from nnc.backend.llvm.transcendental import emit_math, math_function
from nnc.diagnostics import InternalError
from nnc.ir.evaluate import call_func
from nnc.ir.functions import Func
from nnc.ir.nodes import Assign, Call, Const, Dist, Random
from nnc.ir.transcendental import DSL_MATH, MathFn, evaluate
from nnc.ir.types import Precision

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
EDGES = [
    0.0,
    -0.0,
    math.inf,
    -math.inf,
    math.nan,
    5e-324,
    -5e-324,
    2.0**-1022,
    1e-310,
    1.0,
    -1.0,
    0.5,
    math.pi / 4,
    math.pi / 2,
    math.pi,
    2 * math.pi,
    709.782712893384,
    709.79,
    -745.1332191019411,
    -745.14,
    -708.5,
    88.72,
    -103.97,
    1e7,
    2.0**23 * math.pi / 2,
    2.0**50,
    1e300,
    -1e300,
    3.4e38,
    1e-45,
]


@pytest.fixture(scope="module")
def jit() -> MathJit:
    return MathJit.build(opt=2)


def _same_bits(got: np.ndarray, want: np.ndarray) -> None:
    """Identical encodings, except that any NaN equals any NaN."""
    assert got.dtype == want.dtype
    ints = np.dtype(f"u{got.dtype.itemsize}")
    same = (got.view(ints) == want.view(ints)) | (np.isnan(got) & np.isnan(want))
    assert same.all(), (got[~same][:4], want[~same][:4])


def _check(jit: MathJit, x: np.ndarray) -> None:
    pad = (-len(x)) % 4
    x = np.concatenate([x, np.zeros(pad, x.dtype)])
    for fn in MathFn:
        want = evaluate(fn, x)
        for width in (1, 4):
            _same_bits(jit(fn, x, width), want)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True), min_size=1, max_size=64)
)
def test_f64_equals_the_definition(jit, xs):
    _check(jit, np.array(xs + EDGES, dtype=np.float64))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.floats(width=32, allow_nan=True, allow_infinity=True, allow_subnormal=True),
        min_size=1,
        max_size=64,
    )
)
def test_f32_equals_the_definition(jit, xs):
    with np.errstate(over="ignore"):
        _check(jit, np.array(xs + EDGES, dtype=np.float32))


@pytest.mark.parametrize("real", [F64, F32], ids=str)
def test_dense_samples_equal_the_definition(jit, real):
    gen = np.random.default_rng(11)
    x = np.concatenate(
        [
            gen.uniform(-800, 800, 20_000),
            np.exp(gen.uniform(-745, 709, 20_000)),
            gen.uniform(0, 2 * math.pi, 20_000),
            gen.standard_normal(20_000) * 1e7,
        ]
    )
    with np.errstate(over="ignore"):
        _check(jit, x.astype(real))


def test_optimisation_does_not_change_any_value(jit):
    plain = MathJit.build(opt=0)
    x = np.random.default_rng(12).uniform(-100, 100, 4000)
    for fn in MathFn:
        for real in (np.float64, np.float32):
            arg = np.abs(x).astype(real) if fn is MathFn.LOG else x.astype(real)
            _same_bits(jit(fn, arg), plain(fn, arg))


# --------------------------------------------------------------------------------------------------
# the shape of the emitted IR


def _definition(text: str, name: str) -> str:
    start = re.search(rf'define internal [^@]*@"{re.escape(name)}"\(.*', text)
    assert start, name
    return text[start.start() : text.index("\n}", start.start())]


def test_functions_are_internal_inline_straight_line_and_call_nothing():
    module = ir.Module("shape")
    types = [ir.DoubleType(), ir.FloatType(), ir.VectorType(ir.DoubleType(), 8)]
    fnty = ir.FunctionType(ir.VoidType(), types)
    f = ir.Function(module, fnty, "f")
    b = ir.IRBuilder(f.append_basic_block("entry"))
    for x in f.args:
        for fn in MathFn:
            emit_math(b, fn, x)
            emit_math(b, fn, x)
    b.ret_void()
    text = str(module)
    for fn in MathFn:
        for suffix in ("f64", "f32", "v8f64"):
            body = _definition(text, f"nnc.math.{fn.value}.{suffix}")
            assert "alwaysinline" in body.splitlines()[0]
            assert not re.search(r"\b(br|phi|call|switch)\b", body)
            assert not re.search(r"\b(fast|contract|reassoc|nnan|ninf|nsz|arcp|afn)\b", body)
    assert len(re.findall(r"define internal", text)) == 3 * len(MathFn)


def test_other_types_are_internal_errors():
    with pytest.raises(InternalError, match="double or float"):
        math_function(ir.Module("bad"), MathFn.EXP, ir.IntType(32))


# --------------------------------------------------------------------------------------------------
# in networks: neuron loops vectorise, the DSL table decides exp/log/sin/cos in both engines


def _vector_loop(ir_text: str, lanes: str) -> bool:
    return bool(re.search(rf"<(2|4|8|16) x {lanes}>", ir_text))


@pytest.mark.parametrize(("precision", "lanes"), [(Precision.F64, "double"), (Precision.F32, "float")])
def test_neuron_loop_drawing_normal_is_vectorised(precision, lanes):
    normal = Random(Dist.NORMAL, (Const(0.0), Const(1.0)), 0)
    engine = compile_module(population_module((attr("r"),), (Assign(var("r"), normal),), 256, precision))
    text = engine.optimised_ir()
    engine.close()
    assert _vector_loop(text, lanes)
    assert not re.search(r"call [^\n]*@\"?(nnc\.(rng|math|philox)|llvm\.(log|cos|exp)\.|log|cos)", text)


@pytest.mark.parametrize("func", list(DSL_MATH), ids=lambda f: f.value)
def test_dsl_functions_of_the_table_are_nnc_s_and_vectorise(func):
    x = Call(Func.FABS, (var("x"),)) if func is Func.LOG else var("x")
    engine = compile_module(
        population_module((attr("x"), attr("r")), (Assign(var("r"), Call(func, (x,))),), 256)
    )
    text = engine.optimised_ir()
    engine.close()
    assert _vector_loop(text, "double")
    assert f"llvm.{func.value}." not in text
    assert not re.search(rf"@\"?{func.value}\b", text)


def test_interpreter_follows_the_table():
    x = np.random.default_rng(13).uniform(0.1, 50, 100)
    for func in (Func.EXP, Func.LOG, Func.SIN, Func.COS):
        got = call_func(func, [x])
        if func in DSL_MATH:
            np.testing.assert_array_equal(got, evaluate(DSL_MATH[func], x))
        else:
            np.testing.assert_array_equal(got, [getattr(math, func.value)(v) for v in x.tolist()])
