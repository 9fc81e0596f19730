"""The LLVM engine against the NumPy interpreter (the oracle) on the same modules and buffers.

Arithmetic, reductions, global operations, gating, records and uniform random draws must agree bit for
bit; results that go through the C math library (exp, tanh, Box-Muller's log/cos) within a few ulp.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netkit import G, I, L, Rows, S, attr, compile_module, neuron, population_module, projection_module, var

from nnc.backend.abi import ConnField, ConnKey, RecordField, RuntimeField, RuntimeKey, StateKey
from nnc.backend.interp.engine import InterpEngine
from nnc.ir.functions import Func
from nnc.ir.model import SynapseModel
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    Call,
    Clamp,
    CmpOp,
    Compare,
    Const,
    Dist,
    GlobalOp,
    GlobalOpValue,
    Input,
    Let,
    Random,
    ReduceOp,
    Select,
    Temp,
    Time,
)
from nnc.ir.types import LIST_FORMATS, AttrKind, Format, ObjKind, Phase, Precision, Scope
from nnc.runtime.buffers import Buffers

PARAM = AttrKind.PARAMETER
POP, PROJ = ObjKind.POPULATION, ObjKind.PROJECTION


def _add(a, b):
    return Binary(BinaryOp.ADD, a, b)


def _mul(a, b):
    return Binary(BinaryOp.MUL, a, b)


def twin_run(module, make: Callable[[object], Buffers], steps: int, ulp: int = 0) -> tuple[Buffers, Buffers]:
    """Run ``steps`` steps of both engines from identical buffers; compare every buffer."""
    llvm_engine = compile_module(module)
    a, b = make(llvm_engine), make(llvm_engine)
    assert llvm_engine.run(a, steps) == steps
    assert InterpEngine(module).run(b, steps) == steps
    assert a.step == b.step == steps
    pairs = [
        (str(k), got, b.arrays[k])
        for k, got in a.arrays.items()
        if k != RuntimeKey(RuntimeField.RECORD_TABLE)
    ]
    pairs += [
        (f"record {i}", a.record_destination(i), b.record_destination(i)) for i in range(len(a.records))
    ]
    pairs += [("record counts", a.records[:, RecordField.COUNT.value], b.records[:, RecordField.COUNT.value])]
    for what, got, want in pairs:
        if got.dtype.kind == "f" and ulp:
            np.testing.assert_array_max_ulp(got, want, maxulp=ulp)
        else:
            np.testing.assert_array_equal(got, want, err_msg=what)
    llvm_engine.close()
    return a, b


# --------------------------------------------------------------------------------------------------
# rate networks


def _rate_network(fmt: Format, op: ReduceOp, precision: Precision, with_math: bool):
    r, v = var("r"), var("v")
    tau, th = var("tau", loc=G), var("th", loc=G)
    drive = _add(Input("exc"), _mul(Const(-1.0), v))
    update = _add(v, Binary(BinaryOp.DIV, drive, tau))
    rate = Call(Func.TANH, (v,)) if with_math else Call(Func.POS, (Binary(BinaryOp.SUB, v, th),))
    post = neuron(
        "Post",
        (attr("tau", loc=G, kind=PARAM), attr("th", loc=G, kind=PARAM), attr("v"), attr("r"), attr("big", I)),
        (
            Assign(v, update),
            Assign(r, rate),
            Clamp(r, Const(-0.5), Const(0.75)),
            Assign(var("big", I), Compare(CmpOp.GT, r, GlobalOpValue(GlobalOp.MEAN, "r"))),
        ),
    )
    pre = neuron("Pre", (attr("r"),), (Assign(r, Binary(BinaryOp.SUB, Const(1.0), r)),))
    w = var("w")
    psp = _mul(w, _add(var("r", scope=Scope.PRE), var("v", scope=Scope.POST)))
    eqs = (
        Let("hebb", _mul(var("r", scope=Scope.PRE), var("r", scope=Scope.POST))),
        Assign(w, _add(w, _mul(var("eta", loc=G), Temp("hebb")))),
        Assign(var("trace", loc=S), GlobalOpValue(GlobalOp.MAX, "r", Scope.POST)),
    )
    attrs = (attr("w"), attr("eta", loc=G, kind=PARAM), attr("trace", loc=S))
    syn = SynapseModel("Hebb", attrs, eqs, psp=psp, operation=op)
    return projection_module(pre, post, syn, (30, 9), fmt, precision)


def _rate_buffers(fmt: Format, seed: int) -> Callable[[object], Buffers]:
    rng = np.random.default_rng(seed)
    if fmt is Format.DENSE:
        rows = [list(range(3, 27))] * 9
    else:
        rows = [sorted(rng.choice(30, size=rng.integers(0, 25), replace=False).tolist()) for _ in range(9)]
    post_ranks = list(rng.permutation(9))
    conn = Rows(rows, post_ranks, fmt)
    w = [list(rng.normal(scale=0.3, size=len(r))) for r in rows]
    pre_r, v0 = rng.uniform(size=30), rng.normal(size=9)

    def make(engine) -> Buffers:
        buf = conn.buffers(engine)
        conn.scatter(buf.array(StateKey(PROJ, 0, "w")), w)
        buf.array(StateKey(PROJ, 0, "eta"))[0] = 0.01
        buf.array(StateKey(POP, 0, "r"))[:] = pre_r
        buf.array(StateKey(POP, 1, "v"))[:] = v0
        buf.array(StateKey(POP, 1, "tau"))[0] = 5.0
        buf.array(StateKey(POP, 1, "th"))[0] = 0.1
        src = buf.array(StateKey(POP, 1, "r"))
        row = buf.add_record(Phase.RECORD.value, src, np.array([0, 4]), 2, 1, 0)
        buf.set_record_destination(row, np.zeros(40, dtype=src.dtype))
        buf.records[row, RecordField.ACTIVE.value] = 1
        return buf

    return make


@pytest.mark.parametrize("fmt", LIST_FORMATS)
@pytest.mark.parametrize("op", list(ReduceOp))
def test_rate_network_bit_identical(fmt: Format, op: ReduceOp) -> None:
    a, _ = twin_run(_rate_network(fmt, op, Precision.F64, False), _rate_buffers(fmt, 3), 12)
    assert a.records[0, RecordField.COUNT.value] == 6


@pytest.mark.parametrize("precision", [Precision.F64, Precision.F32], ids=["f64", "f32"])
def test_rate_network_with_libm_within_ulps(precision: Precision) -> None:
    twin_run(
        _rate_network(Format.CSR, ReduceOp.SUM, precision, True), _rate_buffers(Format.CSR, 5), 8, ulp=64
    )


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    fmt=st.sampled_from([Format.CSR, Format.ELL]),
    op=st.sampled_from(list(ReduceOp)),
)
def test_random_connectivity_matches_the_oracle(seed: int, fmt: Format, op: ReduceOp) -> None:
    twin_run(_rate_network(fmt, op, Precision.F64, False), _rate_buffers(fmt, seed), 3)


# --------------------------------------------------------------------------------------------------
# global operations and random draws


def test_global_operations() -> None:
    """SEMANTICS.md §19 example 15 (r = [2, 1, 0, -5, -3, -1]) plus an oracle comparison."""
    r = var("r", loc=L)
    outs = {op: var(f"o_{op.value}", loc=G) for op in GlobalOp}
    eqs = tuple(Assign(o, GlobalOpValue(op, "r")) for op, o in outs.items())
    attrs = (attr("r", kind=PARAM), *(attr(o.name, loc=G) for o in outs.values()))
    m = population_module(attrs, (*eqs, Assign(r, r)), 6)

    def make(engine) -> Buffers:
        buf = Buffers(engine.module, engine.layout, {})
        buf.array(StateKey(POP, 0, "r"))[:] = [2, 1, 0, -5, -3, -1]
        return buf

    a, _ = twin_run(m, make, 2)
    got = {op: a.array(StateKey(POP, 0, o.name))[0] for op, o in outs.items()}
    assert got == {
        GlobalOp.MEAN: -1.0,
        GlobalOp.MAX: 2.0,
        GlobalOp.MIN: -5.0,
        GlobalOp.NORM1: 12.0,
        GlobalOp.NORM2: np.sqrt(40.0),
    }


def _random_module(precision: Precision):
    draws = {
        "u": Random(Dist.UNIFORM, (Const(-1.0), var("hi", loc=G)), 0),
        "k": Random(Dist.DISCRETE_UNIFORM, (Const(0.0), Const(9.0)), 1),
        "b": Random(Dist.BINOMIAL, (Const(20.0), Const(0.3)), 2),
        "z": Random(Dist.NORMAL, (Const(0.0), Const(1.0)), 3),
    }
    eqs = tuple(Assign(var(n, d.dtype), d) for n, d in draws.items())
    glob = Assign(var("gu", loc=G), Random(Dist.UNIFORM, (Const(0.0), Const(1.0)), 4))
    attrs = (attr("hi", loc=G, kind=PARAM), attr("gu", loc=G), *(attr(n, d.dtype) for n, d in draws.items()))
    post = neuron("Post", attrs, (glob, *eqs))
    pre = neuron("Pre", (attr("r", kind=PARAM),), ())
    psp = _mul(var("w"), Random(Dist.UNIFORM, (Const(0.0), Const(1.0)), 0))
    noisy = Assign(var("w"), _add(var("w"), Random(Dist.UNIFORM, (Const(0.0), Const(1e-3)), 1)))
    syn = SynapseModel("Noisy", (attr("w"),), (noisy,), psp=psp)
    return projection_module(pre, post, syn, (20, 7), Format.CSR, precision)


@pytest.mark.parametrize("precision", [Precision.F64, Precision.F32], ids=["f64", "f32"])
def test_random_draws_match_the_oracle(precision: Precision) -> None:
    rng = np.random.default_rng(11)
    rows = [sorted(rng.choice(20, size=n, replace=False).tolist()) for n in (0, 3, 8, 9, 17, 20, 1)]
    conn = Rows(rows, list(range(7)), Format.CSR)

    def make(engine) -> Buffers:
        buf = conn.buffers(engine)
        buf.set_value(RuntimeKey(RuntimeField.SEED), 0x1234_5678_9ABC)
        buf.array(StateKey(POP, 1, "hi"))[0] = 3.0
        buf.array(StateKey(PROJ, 0, "w"))[:] = 1.0
        return buf

    a, b = twin_run(_random_module(precision), make, 4, ulp=8)
    for name in ("u", "k", "b", "gu"):
        np.testing.assert_array_equal(a.array(StateKey(POP, 1, name)), b.array(StateKey(POP, 1, name)))
    np.testing.assert_array_equal(a.array(StateKey(PROJ, 0, "w")), b.array(StateKey(PROJ, 0, "w")))
    assert len(np.unique(a.array(StateKey(POP, 1, "u")))) == 7  # one draw per neuron


def test_select_and_time_in_the_oracle() -> None:
    """SEMANTICS.md §19 example 19: ``r = if t <= 5: 0 else: if t >= 7: 2 else: 1``."""
    t = Time()
    rhs = Select(
        Compare(CmpOp.LE, t, Const(5.0)),
        Const(0.0),
        Select(Compare(CmpOp.GE, t, Const(7.0)), Const(2.0), Const(1.0)),
    )
    m = population_module((attr("r"),), (Assign(var("r"), rhs),), 3)
    a, _ = twin_run(m, lambda e: Buffers(e.module, e.layout, {}), 10)
    assert np.all(a.array(StateKey(POP, 0, "r")) == 2.0)


def test_dense_connectivity_values_match(tmp_path) -> None:
    m = _rate_network(Format.DENSE, ReduceOp.SUM, Precision.F64, False)
    a, _ = twin_run(m, _rate_buffers(Format.DENSE, 9), 4)
    assert a.value(ConnKey(0, ConnField.ROW_STRIDE)) == 24


def test_engines_continue_each_others_runs() -> None:
    """Engines keep no simulation state: LLVM, interpreter, LLVM again equals the interpreter alone."""
    m = _rate_network(Format.ELL, ReduceOp.SUM, Precision.F64, False)
    make = _rate_buffers(Format.ELL, 4)
    llvm_engine, interp = compile_module(m), InterpEngine(m)
    mixed, alone = make(llvm_engine), make(llvm_engine)
    for engine, steps in ((llvm_engine, 3), (interp, 2), (llvm_engine, 4)):
        assert engine.run(mixed, steps) == steps
    interp.run(alone, 9)
    for key, want in alone.arrays.items():
        if key != RuntimeKey(RuntimeField.RECORD_TABLE):
            np.testing.assert_array_equal(mixed.arrays[key], want, err_msg=str(key))
    np.testing.assert_array_equal(mixed.record_destination(0), alone.record_destination(0))
    llvm_engine.close()
