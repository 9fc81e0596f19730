"""The whole-step worker: step counter, time, STOP, gating of population kernels and the record table."""

from __future__ import annotations

import numpy as np
import pytest
from netkit import B, I, attr, compile_module, population_module, var

from nnc.backend.abi import ElemCode, PopField, PopKey, RecordField, RuntimeField, RuntimeKey
from nnc.ir.nodes import Assign, Binary, BinaryOp, Const, Time
from nnc.ir.types import Phase, Precision
from nnc.runtime.buffers import Buffers

N = 5


def _counter_module(precision: Precision = Precision.F64, dt: float = 1.0):
    """``r = t`` (so r after step k is k*dt), ``c = c + 1`` (int), ``odd = c - 2*trunc(c/2) == 1`` (bool)."""
    from dataclasses import replace

    from nnc.ir.functions import Func
    from nnc.ir.nodes import Call, CmpOp, Compare

    c = var("c", I)
    eqs = (
        Assign(var("r"), Time()),
        Assign(c, Binary(BinaryOp.ADD, c, Const(1.0))),
        Assign(var("odd", B), Compare(CmpOp.EQ, Call(Func.MODULO, (c, Const(2.0))), Const(1.0))),
    )
    m = population_module((attr("r"), attr("c", I), attr("odd", B)), eqs, N, precision)
    return replace(m, dt=dt)


@pytest.fixture(scope="module")
def engine():
    eng = compile_module(_counter_module())
    yield eng
    eng.close()


def _buffers(engine) -> Buffers:
    return Buffers(engine.module, engine.layout, {})


def _record(
    buf: Buffers, src: np.ndarray, phase: Phase, samples: int, *, index=None, period=1, offset=0, origin=0
):
    row = buf.add_record(phase.value, src, index, period, offset, origin)
    n = len(index) if index is not None else src.size
    dst = np.full(samples * n, 99, dtype=src.dtype)
    buf.set_record_destination(row, dst)
    buf.records[row, RecordField.ACTIVE.value] = 1
    return row, dst


def test_step_counter_and_time(engine) -> None:
    buf = _buffers(engine)
    r = buf.array(next(k for k in engine.layout.slots if getattr(k, "name", None) == "r"))
    assert engine.run(buf, 5) == 5
    assert buf.step == 5
    assert np.all(r == 4.0)  # t during step 4
    assert engine.run(buf, 3) == 3
    assert buf.step == 8
    assert np.all(r == 7.0)


def test_time_uses_dt_in_the_model_precision() -> None:
    eng = compile_module(_counter_module(Precision.F32, dt=0.1))
    buf = _buffers(eng)
    eng.run(buf, 10)
    r = buf.array(next(k for k in eng.layout.slots if getattr(k, "name", None) == "r"))
    assert r.dtype == np.float32
    assert np.all(r == np.float32(9 * 0.1))  # t = double(k) * dt rounded to float32
    assert np.float32(9 * 0.1) != np.float32(9) * np.float32(0.1)  # (the two roundings differ here)


def test_stop_set_before_a_run_does_nothing(engine) -> None:
    buf = _buffers(engine)
    buf.set_value(RuntimeKey(RuntimeField.STOP), 1)
    assert engine.run(buf, 10) == 0
    assert buf.step == 0
    buf.set_value(RuntimeKey(RuntimeField.STOP), 0)
    assert engine.run(buf, 2) == 2


def test_disabled_population_is_not_updated(engine) -> None:
    buf = _buffers(engine)
    buf.set_value(PopKey(0, PopField.ENABLED), 0)
    engine.run(buf, 3)
    assert buf.step == 3
    assert np.all(buf.arrays[_key(engine, "c")] == 0)
    buf.set_value(PopKey(0, PopField.ENABLED), 1)
    engine.run(buf, 2)
    assert np.all(buf.arrays[_key(engine, "c")] == 2)


def _key(engine, name):
    return next(k for k in engine.layout.slots if getattr(k, "name", None) == name)


def test_record_every_step(engine) -> None:
    """SEMANTICS.md §19 example 1: ``r = t`` recorded for 10 steps gives 0, 1, ..., 9."""
    buf = _buffers(engine)
    row, dst = _record(buf, buf.arrays[_key(engine, "r")], Phase.RECORD, 10)
    engine.run(buf, 10)
    assert buf.records[row, RecordField.COUNT.value] == 10
    np.testing.assert_array_equal(dst.reshape(10, N), np.repeat(np.arange(10.0), N).reshape(10, N))


def test_record_period_offset_origin_capacity(engine) -> None:
    buf = _buffers(engine)
    r = buf.arrays[_key(engine, "r")]
    # (k - 4) mod 3 == 2 (floor modulo)  <=>  k in {0, 3, 6, 9, ...}; capacity 3 stops after k = 6
    row, dst = _record(buf, r, Phase.RECORD, 3, period=3, offset=2, origin=4)
    engine.run(buf, 20)
    assert buf.records[row, RecordField.COUNT.value] == 3
    np.testing.assert_array_equal(dst.reshape(3, N)[:, 0], [0.0, 3.0, 6.0])


def test_record_gathers_by_index_and_keeps_types(engine) -> None:
    buf = _buffers(engine)
    c, odd = buf.arrays[_key(engine, "c")], buf.arrays[_key(engine, "odd")]
    c[:] = np.arange(N) * 10  # neuron i counts from 10 i
    row_c, dst_c = _record(buf, c, Phase.RECORD, 4, index=np.array([3, 0]))
    row_b, dst_b = _record(buf, odd, Phase.RECORD, 4, index=np.array([1]))
    assert buf.records[row_c, RecordField.ELEM.value] == ElemCode.I32.value
    assert buf.records[row_b, RecordField.ELEM.value] == ElemCode.U8.value
    engine.run(buf, 4)
    np.testing.assert_array_equal(dst_c.reshape(4, 2), [[31, 1], [32, 2], [33, 3], [34, 4]])
    np.testing.assert_array_equal(dst_b, [1, 0, 1, 0])  # neuron 1: c = 11, 12, 13, 14


def test_inactive_record_copies_nothing(engine) -> None:
    buf = _buffers(engine)
    row, dst = _record(buf, buf.arrays[_key(engine, "r")], Phase.RECORD, 5)
    buf.records[row, RecordField.ACTIVE.value] = 0
    engine.run(buf, 5)
    assert buf.records[row, RecordField.COUNT.value] == 0
    assert np.all(dst == 99)


def test_phase_three_records_see_the_previous_step(engine) -> None:
    """Phase 3 comes before the neuron update (SEMANTICS.md §2): its sample k is phase 11's sample k - 1."""
    buf = _buffers(engine)
    c = buf.arrays[_key(engine, "c")]
    _, early = _record(buf, c, Phase.RECORD_INPUTS, 4)
    _, late = _record(buf, c, Phase.RECORD, 4)
    engine.run(buf, 4)
    np.testing.assert_array_equal(early.reshape(4, N)[:, 0], [0, 1, 2, 3])
    np.testing.assert_array_equal(late.reshape(4, N)[:, 0], [1, 2, 3, 4])
