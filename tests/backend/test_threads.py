"""Worker threads: results independent of the thread count, serial stages, and Ctrl-C (DESIGN.md §4)."""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import replace

import numpy as np
import pytest
from netkit import G, Rows, attr, compile_module, neuron, population_module, projection_module, var

from nnc.backend.abi import RecordField, RuntimeField, RuntimeKey, StateKey
from nnc.backend.interp.engine import InterpEngine
from nnc.ir.functions import Func
from nnc.ir.model import Kernel, SynapseModel
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    Call,
    Const,
    Dist,
    ForEach,
    GlobalOp,
    GlobalOpValue,
    Input,
    Let,
    Random,
    Temp,
)
from nnc.ir.types import LIST_FORMATS, AttrKind, Domain, Format, ObjKind, Phase, Scope
from nnc.runtime.buffers import Buffers

PARAM = AttrKind.PARAMETER
POP, PROJ = ObjKind.POPULATION, ObjKind.PROJECTION
N_PRE, N_POST = 997, 501


def _add(a, b):
    return Binary(BinaryOp.ADD, a, b)


def _mul(a, b):
    return Binary(BinaryOp.MUL, a, b)


def _network(fmt: Format):
    r, v = var("r"), var("v")
    noise = Random(Dist.UNIFORM, (Const(0.0), Const(0.1)), 0)
    pre = neuron("Pre", (attr("r"),), (Assign(r, _add(_mul(Const(0.9), r), noise)),))
    drive = _add(Input("exc"), _mul(Const(-1.0), v))
    post = neuron(
        "Post",
        (attr("v"), attr("r"), attr("m", loc=G)),
        (
            Assign(var("m", loc=G), GlobalOpValue(GlobalOp.MEAN, "r")),
            Assign(v, _add(v, _mul(Const(0.2), drive))),
            Assign(r, Call(Func.POS, (Binary(BinaryOp.SUB, v, var("m", loc=G)),))),
        ),
    )
    w = var("w")
    hebb = _mul(var("eta", loc=G), _mul(var("r", scope=Scope.PRE), var("r", scope=Scope.POST)))
    syn = SynapseModel("Hebb", (attr("w"), attr("eta", loc=G, kind=PARAM)), (Assign(w, _add(w, hebb)),))
    return projection_module(pre, post, syn, (N_PRE, N_POST), fmt)


def _make(fmt: Format):
    rng = np.random.default_rng(5)
    if fmt is Format.DENSE:
        rows = [list(range(100, 164))] * N_POST
    else:
        rows = [
            sorted(rng.choice(N_PRE, size=rng.integers(0, 60), replace=False).tolist()) for _ in range(N_POST)
        ]
    conn = Rows(rows, list(rng.permutation(N_POST)), fmt)
    w = [list(rng.normal(scale=0.05, size=len(r))) for r in rows]

    def make(engine) -> Buffers:
        buf = conn.buffers(engine)
        buf.set_value(RuntimeKey(RuntimeField.SEED), 42)
        conn.scatter(buf.array(StateKey(PROJ, 0, "w")), w)
        buf.array(StateKey(PROJ, 0, "eta"))[0] = 1e-3
        src = buf.array(StateKey(POP, 1, "r"))
        row = buf.add_record(Phase.RECORD.value, src, None, 1, 0, 0)
        buf.set_record_destination(row, np.zeros(40 * N_POST, dtype=src.dtype))
        buf.records[row, RecordField.ACTIVE.value] = 1
        return buf

    return make


def _snapshot(buf: Buffers) -> dict[str, np.ndarray]:
    out = {str(k): a.copy() for k, a in buf.arrays.items() if k != RuntimeKey(RuntimeField.RECORD_TABLE)}
    out["record"] = buf.record_destination(0).copy()
    return out


@pytest.mark.parametrize("fmt", LIST_FORMATS)
def test_thread_count_does_not_change_results(fmt: Format) -> None:
    engine = compile_module(_network(fmt))
    make = _make(fmt)
    results = []
    for n in (1, 2, 3):
        engine.num_threads = n
        buf = make(engine)
        assert engine.run(buf, 25) == 25
        assert buf.step == 25
        results.append(_snapshot(buf))
    for other in results[1:]:
        for key, want in results[0].items():
            np.testing.assert_array_equal(other[key], want, err_msg=key)
    assert np.any(results[0]["record"] != 0)
    engine.close()


def test_serial_stages_and_shared_temporaries() -> None:
    """Top-level statements run once (thread 0), their temporaries reach the parallel loop after it."""
    g, x = var("g", loc=G), var("x")
    body = (
        Let("before", g),
        Assign(g, _add(g, Const(1.0))),
        ForEach(Domain.NEURON, (Assign(x, _add(_mul(x, Temp("before")), g)),)),
        Assign(var("h", loc=G), _add(Temp("before"), Const(10.0))),
    )
    m = population_module((attr("g", loc=G), attr("x"), attr("h", loc=G)), (), 103)
    m = replace(m, kernels=(Kernel("P.custom", Phase.NEURON, POP, 0, body),))

    def make(engine) -> Buffers:
        buf = Buffers(engine.module, engine.layout, {})
        buf.array(StateKey(POP, 0, "x"))[:] = np.arange(103) * 0.5
        return buf

    engine = compile_module(m)
    want = make(engine)
    InterpEngine(m).run(want, 6)
    for n in (1, 2, 3):
        engine.num_threads = n
        buf = make(engine)
        engine.run(buf, 6)
        assert buf.array(StateKey(POP, 0, "g"))[0] == 6.0
        assert buf.array(StateKey(POP, 0, "h"))[0] == 15.0
        np.testing.assert_array_equal(buf.array(StateKey(POP, 0, "x")), want.array(StateKey(POP, 0, "x")))


def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_stops_every_thread_at_the_same_step(threads: int) -> None:
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not delivered as KeyboardInterrupt here")
    v = var("v")
    m = population_module((attr("v"),), (Assign(v, _add(v, Const(1.0))),), 4096)
    engine = compile_module(m)
    engine.num_threads = threads
    buf = Buffers(engine.module, engine.layout, {})
    for _ in range(5):  # short runs go inline on this thread; a long one must still be interruptible
        engine.run(buf, 1)
    timer = _interrupt_after(0.3)
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        engine.run(buf, 10**12)
    latency = time.perf_counter() - t0 - 0.3
    timer.join()
    done = buf.step
    assert 0 < done < 10**12
    assert latency < 1.0
    assert np.all(buf.array(StateKey(POP, 0, "v")) == done)  # every neuron stopped after the same step
    assert buf.value(RuntimeKey(RuntimeField.STOP)) == 0
    assert engine.run(buf, 5) == 5  # the network continues
    assert np.all(buf.array(StateKey(POP, 0, "v")) == done + 5)
    engine.close()


def test_fewer_steps_when_stopped_from_another_thread() -> None:
    v = var("v")
    engine = compile_module(population_module((attr("v"),), (Assign(v, _add(v, Const(1.0))),), 1024))
    engine.num_threads = 2
    buf = Buffers(engine.module, engine.layout, {})
    timer = threading.Timer(0.2, lambda: buf.set_value(RuntimeKey(RuntimeField.STOP), 1))
    timer.start()
    done = engine.run(buf, 10**12)
    timer.join()
    assert 0 < done == buf.step < 10**12
    assert np.all(buf.array(StateKey(POP, 0, "v")) == done)


def test_temporaries_of_the_same_name_in_two_kernels() -> None:
    g, x = var("g", loc=G), var("x")

    def kernel(name: str, phase: Phase, step: float) -> Kernel:
        body = (
            Let("before", g),
            Assign(g, _add(g, Const(step))),
            ForEach(Domain.NEURON, (Assign(x, _add(x, Temp("before"))),)),
        )
        return Kernel(name, phase, POP, 0, body)

    m = population_module((attr("g", loc=G), attr("x")), (), 17)
    m = replace(m, kernels=(kernel("P.a", Phase.NEURON, 1.0), kernel("P.b", Phase.GLOBAL_OPS, 10.0)))
    engine = compile_module(m)
    want = Buffers(m, engine.layout, {})
    InterpEngine(m).run(want, 3)
    for n in (1, 2):
        engine.num_threads = n
        buf = Buffers(m, engine.layout, {})
        engine.run(buf, 3)
        np.testing.assert_array_equal(buf.array(StateKey(POP, 0, "x")), want.array(StateKey(POP, 0, "x")))
        assert buf.array(StateKey(POP, 0, "g"))[0] == 33.0
