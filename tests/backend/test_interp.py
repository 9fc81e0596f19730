"""The reference interpreter: SEMANTICS.md §19 examples, records, gating, delays, formats, precision."""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import replace

import numpy as np
import pytest
from ir.irkit import attrs, buffers, module, neuron, state, synapse

from nnc.backend.abi import (
    ConnField,
    ConnKey,
    InputKey,
    PopField,
    PopKey,
    QueueKey,
    RecordField,
    RuntimeField,
    RuntimeKey,
    layout_of,
)
from nnc.backend.interp.engine import InterpEngine
from nnc.diagnostics import CompileError
from nnc.ir.model import Module
from nnc.ir.nodes import ReduceOp
from nnc.ir.reductions import reduce_rows
from nnc.ir.types import LIST_FORMATS, DelayKind, Format, ObjKind, Precision
from nnc.passes.bounds import Bounds
from nnc.passes.discretise import Discretise
from nnc.passes.pipeline import run_pipeline
from nnc.passes.simplify import Simplify
from nnc.runtime.buffers import Buffers, ProjectionShape

PASSES = (Discretise(), Simplify(), Bounds())


def one_population(equations: list[str], spec: str, size: int = 1, **kw: object) -> tuple[Module, Buffers]:
    m = run_pipeline(module([(neuron("n", attrs(spec), equations), size)], **kw), PASSES)
    return m, buffers(m)


def record(b: Buffers, src: np.ndarray, capacity: int, phase: int = 11, period: int = 1) -> int:
    row = b.add_record(phase, src, None, period, 0, 0)
    b.set_record_destination(row, np.zeros(capacity * src.size, dtype=src.dtype))
    b.records[row, RecordField.ACTIVE.value] = 1
    return row


def test_example_1_and_2_recorded_time():
    m, b = one_population(["r = t"], "v r l")
    every = record(b, state(b, "r"), 10)
    tenth = record(b, state(b, "r"), 10, period=10)
    engine = InterpEngine(m)
    assert engine.run(b, 10) == 10
    assert b.record_destination(every).tolist() == list(range(10))
    engine.run(b, 90)
    assert b.record_destination(tenth).tolist() == list(range(0, 100, 10))
    assert b.records[every, RecordField.COUNT.value] == 10  # capacity reached, nothing more written


def test_example_15_global_operations():
    spec = "p r l, v mean_r g, v max_r g, v min_r g, v n1 g, v n2 g"
    eqs = ["mean_r = mean(r)", "max_r = max(r)", "min_r = min(r)", "n1 = norm1(r)", "n2 = norm2(r)"]
    m, b = one_population(eqs, spec, size=6)
    state(b, "r")[:] = [2, 1, 0, -5, -3, -1]
    InterpEngine(m).run(b, 2)
    got = [state(b, n)[0] for n in ("mean_r", "max_r", "min_r", "n1", "n2")]
    assert got == [-1.0, 2.0, -5.0, 12.0, np.sqrt(40.0)]


@pytest.mark.parametrize(
    ("equation", "steps", "expected"),
    [
        ("r = modulo(t, 3.0)", 6, [0, 1, 2, 0, 1, 2]),  # #16
        ("r = power(2.0, 3.0) + clip(-2.0, -1.0, 1.0) + clip(2.0, -1.0, 1.0)", 1, [8.0]),  # #17
        ("dr/dt = ite(t > 5.0, 1.0, 0.0)", 10, [0] * 6 + [1, 2, 3, 4]),  # #18
        ("r = ite(t <= 5.0, 0.0, ite(t >= 7.0, 2.0, 1.0))", 10, [0] * 6 + [1, 2, 2, 2]),  # #19
        ("r = t + g", 5, [1, 2, 3, 4, 5]),  # #21
    ],
)
def test_semantics_examples(equation: str, steps: int, expected: list[float]):
    m, b = one_population([equation], "p g g, v r l")
    state(b, "g")[:] = 1.0
    seen = []
    for _ in range(steps):
        InterpEngine(m).run(b, 1)
        seen.append(state(b, "r")[0])
    assert seen == expected


def _rate_net(pre_size: int, post_size: int, rows: list[list[int]], **kw: object) -> tuple[Module, Buffers]:
    pre = neuron("pre", attrs("v r l"), ["r = r"])
    post = neuron("post", attrs("v r l"), ["r = sum(prev)"])
    syn = synapse("s", attrs("p w l"), [], pre, post)
    m = run_pipeline(module([(pre, pre_size), (post, post_size)], [(0, 1, "prev", syn)], **kw), PASSES)
    return m, buffers(m, {0: rows})


def test_example_22_pre_and_post_views():
    m, b = _rate_net(8, 3, [[1, 2, 3]] * 3)
    state(b, "r")[:] = np.arange(8)
    state(b, "w", 0, ObjKind.PROJECTION)[:] = 0.1
    InterpEngine(m).run(b, 1)
    np.testing.assert_allclose(b.array(InputKey(1, "prev")), 0.6, rtol=1e-15)
    m, b = _rate_net(8, 6, [[], list(range(8)), list(range(8)), [], [], []])
    state(b, "r")[:] = np.arange(8)
    state(b, "w", 0, ObjKind.PROJECTION)[:] = 0.1
    InterpEngine(m).run(b, 1)
    np.testing.assert_allclose(b.array(InputKey(1, "prev")), [0, 2.8, 2.8, 0, 0, 0], rtol=1e-15)


def test_example_11_uniform_delay():
    """Pre r⁽ᵏ⁾ = -1, 0, 2, 5, 9 ...; one synapse w = 1, delay 10: sum after 10, 11, 15 steps = -1, -1, 9."""
    pre = neuron("pre", attrs("v r l"), ["r = r + t"])
    post = neuron("post", attrs("v r l"), ["r = sum(ff)"])
    syn = synapse("s", attrs("p w l"), [], pre, post)
    m = run_pipeline(module([(pre, 1), (post, 1)], [(0, 1, "ff", syn)], delay=DelayKind.UNIFORM), PASSES)
    b = buffers(m, {0: [[0]]}, queues={0: 10})
    b.set_value(ConnKey(0, ConnField.UNIFORM_DELAY), 10)
    state(b, "r")[:] = -1.0
    b.array(QueueKey(0, "r"))[:] = -1.0  # queues start filled with the initial values (SEMANTICS.md §5)
    state(b, "w", 0, ObjKind.PROJECTION)[:] = 1.0
    engine = InterpEngine(m)
    sums = {}
    for k in range(1, 16):
        engine.run(b, 1)
        sums[k] = b.array(InputKey(1, "ff"))[0]
    assert (sums[10], sums[11], sums[15]) == (-1.0, -1.0, 9.0)


def test_nonuniform_delays_read_each_synapse_slot():
    pre = neuron("pre", attrs("v r l"), ["r = t"])
    post = neuron("post", attrs("v r l"), ["r = sum(ff)"])
    syn = synapse("s", attrs("p w l"), [], pre, post)
    m = run_pipeline(module([(pre, 1), (post, 3)], [(0, 1, "ff", syn)], delay=DelayKind.NONUNIFORM), PASSES)
    b = buffers(m, {0: [[0], [0], [0]]}, queues={0: 5})
    b.array(ConnKey(0, ConnField.DELAY))[:] = [3, 5, 2]
    state(b, "w", 0, ObjKind.PROJECTION)[:] = 1.0
    InterpEngine(m).run(b, 6)
    # at step 5 a synapse of delay d reads r after step 5 - d, i.e. (5 - d)·dt
    assert b.array(InputKey(1, "ff")).tolist() == [2.0, 0.0, 3.0]


# ------------------------------------------------------------------------------------------------
# formats and the fixed reduction order


def _with_format(m: Module, fmt: Format) -> Module:
    return replace(m, projections=tuple(replace(p, format=fmt) for p in m.projections))


def _formatted_buffers(m: Module, fmt: Format, rows: list[list[int]], stride: int) -> Buffers:
    """Buffers with ``rows`` (every post neuron has a dendrite) in ELL or DENSE layout."""
    n = len(rows)
    b = Buffers(m, layout_of(m), {0: ProjectionShape(n, n * stride)})
    b.array(ConnKey(0, ConnField.POST_RANK))[:] = np.arange(n)
    b.set_value(ConnKey(0, ConnField.ROW_STRIDE), stride)
    if fmt is Format.ELL:
        b.array(ConnKey(0, ConnField.ROW_LEN))[:] = [len(r) for r in rows]
        pre = np.zeros(n * stride, dtype=np.int32)
        for i, r in enumerate(rows):
            pre[i * stride : i * stride + len(r)] = r
        b.array(ConnKey(0, ConnField.PRE_RANK))[:] = pre
    return b


@pytest.mark.parametrize("op", ["sum", "max", "min", "mean"])
def test_formats_compute_identical_inputs(op: str):
    pre = neuron("pre", attrs("v r l"), ["r = r"])
    post = neuron("post", attrs("v r l"), ["r = sum(prev)"])
    syn = replace(synapse("s", attrs("p w l"), [], pre, post), operation=ReduceOp(op))
    m = run_pipeline(module([(pre, 13), (post, 4)], [(0, 1, "prev", syn)]), PASSES)
    rng = np.random.default_rng(3)
    r = rng.normal(size=13)
    w = rng.normal(size=(4, 13))
    results = {}
    full = [list(range(13))] * 4
    for fmt in LIST_FORMATS:
        mf = _with_format(m, fmt)
        b = buffers(mf, {0: full}) if fmt is Format.CSR else _formatted_buffers(mf, fmt, full, 13)
        state(b, "r")[:] = r
        state(b, "w", 0, ObjKind.PROJECTION)[:] = w.reshape(-1)
        InterpEngine(mf).run(b, 1)
        results[fmt] = b.array(InputKey(1, "prev")).copy()
    assert results[Format.CSR].tobytes() == results[Format.ELL].tobytes() == results[Format.DENSE].tobytes()


def _lane_reduce(values: list[float], op: str) -> float:
    """The documented order, written out: 8 sequential lanes, combined ((0,4),(2,6)),((1,5),(3,7))."""
    if not values:
        return 0.0
    fold = {
        "sum": lambda a, v: a + v,
        "mean": lambda a, v: a + v,
        "max": lambda a, v: v if v > a else a,
        "min": lambda a, v: v if v < a else a,
    }[op]
    ident = {"sum": 0.0, "mean": 0.0, "max": -np.inf, "min": np.inf}[op]
    lanes = [ident] * 8
    for i, v in enumerate(values):
        lanes[i % 8] = fold(lanes[i % 8], v)
    c = lanes
    total = fold(fold(fold(c[0], c[4]), fold(c[2], c[6])), fold(fold(c[1], c[5]), fold(c[3], c[7])))
    return total / len(values) if op == "mean" else total


@pytest.mark.parametrize("op", ["sum", "max", "min", "mean"])
def test_reduction_order_is_the_documented_one(op: str):
    rng = np.random.default_rng(7)
    lengths = np.array([0, 1, 7, 8, 9, 17, 40])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    values = rng.normal(size=lengths.sum()) * 10.0 ** rng.integers(-8, 8, size=lengths.sum())
    got = reduce_rows(ReduceOp(op), values, starts, lengths)
    want = [_lane_reduce(list(values[s : s + n]), op) for s, n in zip(starts, lengths, strict=True)]
    assert got.tobytes() == np.array(want).tobytes()


# ------------------------------------------------------------------------------------------------
# gating, stop, precision, misuse


def test_disabled_population_is_not_updated():
    m, b = one_population(["r = r + 1.0"], "v r l")
    b.set_value(PopKey(0, PopField.ENABLED), 0)
    InterpEngine(m).run(b, 3)
    assert state(b, "r")[0] == 0.0
    assert b.step == 3


def test_learning_period_scales_dt_and_plasticity_freezes_w():
    pre = neuron("pre", attrs("v r l"), ["r = r"])
    post = neuron("post", attrs("v r l"), ["r = r"])
    syn = synapse("s", attrs("v w l, v x l"), ["dw/dt = 1.0", "dx/dt = 1.0"], pre, post)
    m = run_pipeline(module([(pre, 1), (post, 1)], [(0, 1, "e", syn)]), PASSES)
    b = buffers(m, {0: [[0]]})
    b.set_value(ConnKey(0, ConnField.LEARN_PERIOD), 2)
    b.set_value(ConnKey(0, ConnField.LEARN_OFFSET), 1)
    InterpEngine(m).run(b, 5)  # runs at steps 1 and 3, each with dt = 2
    assert state(b, "w", 0, ObjKind.PROJECTION)[0] == 4.0
    b.set_value(ConnKey(0, ConnField.PLASTICITY), 0)
    InterpEngine(m).run(b, 2)  # step 5 runs: x moves, w stays
    assert state(b, "w", 0, ObjKind.PROJECTION)[0] == 4.0
    assert state(b, "x", 0, ObjKind.PROJECTION)[0] == 6.0


def test_stop_slot_ends_the_run_before_a_step():
    m, b = one_population(["r = r + 1.0"], "v r l")
    b.set_value(RuntimeKey(RuntimeField.STOP), 1)
    assert InterpEngine(m).run(b, 5) == 0
    assert b.step == 0


def test_float32_modules_compute_in_float32():
    m, b = one_population(
        ["tau*dv/dt + v = I : exponential"], "p tau g, p I l, v v l", size=3, precision=Precision.F32, dt=0.1
    )
    state(b, "tau")[:] = 3.0
    state(b, "I")[:] = [0.1, 1.0, 7.0]
    InterpEngine(m).run(b, 2)
    f = np.float32
    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    libm.expf.restype, libm.expf.argtypes = ctypes.c_float, [ctypes.c_float]
    factor = f(1.0) - f(libm.expf(-f(0.1) / f(3.0)))  # generated code calls the C library's expf
    v = np.zeros(3, dtype=f)
    for _ in range(2):
        v = v + factor * (state(b, "I") - v)
    assert state(b, "v").dtype == np.float32
    assert state(b, "v").tobytes() == v.tobytes()


def test_modules_with_odes_are_refused():
    m = module([(neuron("n", attrs("v v l"), ["dv/dt = -v"]), 1)])
    with pytest.raises(CompileError, match="discretise"):
        InterpEngine(m)


def test_random_draws_use_the_reference_generator():
    rng = pytest.importorskip("nnc.ir.rng")
    from nnc.frontend.assemble import random_stream
    from nnc.ir.nodes import Dist

    m, b = one_population(["r = Uniform(-1.0, 1.0)"], "v r l", size=5)
    b.set_value(RuntimeKey(RuntimeField.SEED), 1234)
    InterpEngine(m).run(b, 3)
    want = rng.draw(
        Dist.UNIFORM,
        (-1.0, 1.0),
        1234,
        random_stream(ObjKind.POPULATION, 0, 0),
        np.arange(5),
        0,
        2,
        np.dtype(np.float64),
    )
    assert state(b, "r").tobytes() == np.asarray(want, dtype=np.float64).tobytes()
