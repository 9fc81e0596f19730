"""Projection kernels in the three formats: fixed-order reductions, synaptic updates, flags, delays."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netkit import G, Rows, S, attr, compile_module, neuron, projection_module, var

from nnc.backend.abi import ConnField, ConnKey, InputKey, PopField, PopKey, QueueKey
from nnc.ir.model import SynapseModel
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    Const,
    Dt,
    Input,
    PushDelayed,
    ReduceOp,
    Time,
)
from nnc.ir.types import LIST_FORMATS, AttrKind, DelayKind, Format, ObjKind, Precision, Scope
from nnc.runtime.buffers import Buffers, ProjectionShape

POP, PROJ = ObjKind.POPULATION, ObjKind.PROJECTION
PARAM = AttrKind.PARAMETER


def fixed_order(values: np.ndarray, op: ReduceOp) -> float:
    """The reduction order shared by every engine: 8 sequential lanes, combined as a fixed tree."""
    if len(values) == 0:
        return 0.0
    ident = {ReduceOp.MAX: -np.inf, ReduceOp.MIN: np.inf}.get(op, 0.0)
    comb = {ReduceOp.MAX: max, ReduceOp.MIN: min}.get(op, lambda a, b: a + b)
    lanes = [values.dtype.type(ident)] * 8
    for p, x in enumerate(values):
        lanes[p % 8] = comb(lanes[p % 8], x)
    total = comb(
        comb(comb(lanes[0], lanes[4]), comb(lanes[2], lanes[6])),
        comb(comb(lanes[1], lanes[5]), comb(lanes[3], lanes[7])),
    )
    return total / values.dtype.type(len(values)) if op is ReduceOp.MEAN else total


def _transmit_module(fmt: Format, op: ReduceOp, precision: Precision = Precision.F64):
    """pre.r -> psp = (w * pre.r + post.b) * gain -> post.s = sum(exc)."""
    pre = neuron("Pre", (attr("r", kind=PARAM),), ())
    post = neuron("Post", (attr("b", kind=PARAM), attr("s")), (Assign(var("s"), Input("exc")),))
    psp = Binary(
        BinaryOp.MUL,
        Binary(
            BinaryOp.ADD,
            Binary(BinaryOp.MUL, var("w"), var("r", scope=Scope.PRE)),
            var("b", scope=Scope.POST),
        ),
        var("gain", loc=G),
    )
    syn = SynapseModel(
        "Syn", (attr("w", kind=PARAM), attr("gain", loc=G, kind=PARAM)), (), psp=psp, operation=op
    )
    return projection_module(pre, post, syn, (40, 12), fmt, precision)


_ENGINES: dict[tuple, object] = {}


def _engine(fmt: Format, op: ReduceOp, precision: Precision = Precision.F64):
    key = (fmt, op, precision)
    if key not in _ENGINES:
        _ENGINES[key] = compile_module(_transmit_module(fmt, op, precision))
    return _ENGINES[key]


def _transmit(
    fmt: Format,
    op: ReduceOp,
    rows: list[list[int]],
    post_ranks: list[int],
    w,
    r,
    b,
    gain,
    precision=Precision.F64,
):
    eng = _engine(fmt, op, precision)
    conn = Rows(rows, post_ranks, fmt)
    buf = conn.buffers(eng)
    conn.scatter(buf.array(_state(PROJ, 0, "w")), w)
    buf.array(_state(PROJ, 0, "gain"))[0] = gain
    buf.array(_state(POP, 0, "r"))[:] = r
    buf.array(_state(POP, 1, "b"))[:] = b
    eng.run(buf, 1)
    return buf.array(_state(POP, 1, "s")).copy()


def _state(owner: ObjKind, oid: int, name: str):
    from nnc.backend.abi import StateKey

    return StateKey(owner, oid, name)


row_strategy = st.lists(st.integers(0, 39), min_size=0, max_size=21)
weights = st.floats(-4, 4, allow_nan=False, width=32)


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(row_strategy, min_size=1, max_size=12),
    data=st.data(),
    op=st.sampled_from(list(ReduceOp)),
    fmt=st.sampled_from([Format.CSR, Format.ELL]),
)
def test_sparse_rows_reduce_in_the_fixed_order(rows, data, op, fmt) -> None:
    post_ranks = data.draw(st.permutations(list(range(12))))[: len(rows)]
    w = [data.draw(st.lists(weights, min_size=len(r), max_size=len(r))) for r in rows]
    r = np.array(data.draw(st.lists(weights, min_size=40, max_size=40)))
    b = np.array(data.draw(st.lists(weights, min_size=12, max_size=12)))
    got = _transmit(fmt, op, rows, post_ranks, w, r, b, 0.5)
    want = np.zeros(12)
    for row, ws, post in zip(rows, w, post_ranks, strict=True):
        values = (np.array(ws) * r[row] + b[post]) * 0.5 if row else np.zeros(0)
        want[post] = fixed_order(values, op)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("op", list(ReduceOp))
@pytest.mark.parametrize("precision", [Precision.F64, Precision.F32], ids=["f64", "f32"])
def test_dense_csr_ell_are_bit_identical(op: ReduceOp, precision: Precision) -> None:
    rng = np.random.default_rng(7)
    stride = 29
    rows = [list(range(5, 5 + stride))] * 10
    post_ranks = [11, 0, 3, 4, 5, 6, 7, 8, 9, 2]
    w = [list(rng.normal(size=stride)) for _ in rows]
    r, b = rng.normal(size=40), rng.normal(size=12)
    results = [_transmit(f, op, rows, post_ranks, w, r, b, 1.5, precision) for f in LIST_FORMATS]
    for other in results[1:]:
        np.testing.assert_array_equal(results[0], other)
    real = results[0].dtype.type
    want = [
        fixed_order((np.array(ws, real) * r[5:34].astype(real) + real(b[p])) * real(1.5), op)
        for ws, p in zip(w, post_ranks, strict=True)
    ]
    np.testing.assert_array_equal(results[0][post_ranks], np.array(want, dtype=results[0].dtype))


# --------------------------------------------------------------------------------------------------
# synaptic updates


def _learning_module(fmt: Format):
    """Global ``g += 1``, semiglobal ``sg = 2 * post.y + g``, local ``w += dt * pre.x * post.y``,
    ``e = sg + w`` (reads the new w), and ``seen = t``."""
    pre = neuron("Pre", (attr("x", kind=PARAM), attr("r", kind=PARAM)), ())
    post = neuron("Post", (attr("y", kind=PARAM),), ())
    w, g, sg = var("w"), var("g", loc=G), var("sg", loc=S)
    eqs = (
        Assign(g, Binary(BinaryOp.ADD, g, Const(1.0))),
        Assign(sg, Binary(BinaryOp.ADD, Binary(BinaryOp.MUL, Const(2.0), var("y", scope=Scope.POST)), g)),
        Assign(
            w,
            Binary(
                BinaryOp.ADD,
                w,
                Binary(
                    BinaryOp.MUL,
                    Dt(),
                    Binary(BinaryOp.MUL, var("x", scope=Scope.PRE), var("y", scope=Scope.POST)),
                ),
            ),
        ),
        Assign(var("e"), Binary(BinaryOp.ADD, sg, w)),
        Assign(var("seen"), Time()),
    )
    attrs = (attr("w", kind=PARAM), attr("g", loc=G), attr("sg", loc=S), attr("e"), attr("seen"))
    return projection_module(pre, post, SynapseModel("Learn", attrs, eqs), (6, 4), fmt, dt=0.5)


def _learning_run(fmt: Format, steps: int, flags: dict[ConnField, int]) -> dict[str, np.ndarray]:
    eng = compile_module(_learning_module(fmt))
    rows = (
        [[0, 1, 2], [1, 2, 3], [2, 3, 4], [0, 1, 2, 3, 4, 5]] if fmt is not Format.DENSE else [[1, 2, 3]] * 4
    )
    conn = Rows(rows, [3, 2, 1, 0], fmt)
    buf = conn.buffers(eng)
    buf.array(_state(POP, 0, "x"))[:] = np.arange(6) + 1.0
    buf.array(_state(POP, 1, "y"))[:] = [0.5, -1.0, 2.0, 0.25]
    conn.scatter(buf.array(_state(PROJ, 0, "w")), [[1.0] * len(r) for r in rows])
    for f, v in flags.items():
        buf.set_value(ConnKey(0, f), v)
    eng.run(buf, steps)
    out = {n: conn.gather(buf.array(_state(PROJ, 0, n))) for n in ("w", "e", "seen")}
    out["g"] = buf.array(_state(PROJ, 0, "g")).copy()
    out["sg"] = buf.array(_state(PROJ, 0, "sg")).copy()
    out["rows"] = rows  # type: ignore[assignment]
    return out


@pytest.mark.parametrize("fmt", LIST_FORMATS)
def test_synaptic_update_levels(fmt: Format) -> None:
    out = _learning_run(fmt, 3, {})
    x, y, post = np.arange(6) + 1.0, np.array([0.5, -1.0, 2.0, 0.25]), [3, 2, 1, 0]
    assert out["g"][0] == 3.0
    for d, row in enumerate(out["rows"]):
        yd = y[post[d]]
        assert out["sg"][d] == 2.0 * yd + 3.0
        w = 1.0 + 3 * (0.5 * (x[row] * yd))  # three steps of w += dt * x * y (exact in binary)
        np.testing.assert_array_equal(out["w"][d], w)
        np.testing.assert_array_equal(out["e"][d], out["sg"][d] + w)
        np.testing.assert_array_equal(out["seen"][d], 1.0)  # t of step 2 with dt = 0.5


def test_plasticity_off_freezes_only_w() -> None:
    out = _learning_run(Format.CSR, 3, {ConnField.PLASTICITY: 0})
    assert all(np.all(w == 1.0) for w in out["w"])
    assert out["g"][0] == 3.0
    assert np.all(out["e"][0] == out["sg"][0] + 1.0)


def test_update_off_and_transmission_off_skip_the_kernel() -> None:
    for flag in (ConnField.UPDATE, ConnField.TRANSMISSION):
        out = _learning_run(Format.CSR, 3, {flag: 0})
        assert out["g"][0] == 0.0
        assert all(np.all(w == 1.0) for w in out["w"])


def test_learning_period_runs_every_period_with_scaled_dt() -> None:
    """period 2, offset 1: runs at k = 1, 3 of 5 steps; dt inside means 2 * dt."""
    out = _learning_run(Format.CSR, 5, {ConnField.LEARN_PERIOD: 2, ConnField.LEARN_OFFSET: 1})
    assert out["g"][0] == 2.0
    x, yd = np.arange(6) + 1.0, 0.25  # dendrite 0 is post 3
    np.testing.assert_array_equal(out["w"][0], 1.0 + 2 * (1.0 * (x[[0, 1, 2]] * yd)))
    np.testing.assert_array_equal(out["seen"][0], 1.5)  # t of step 3


def test_disabled_post_population_gets_no_input() -> None:
    eng = _engine(Format.CSR, ReduceOp.SUM)
    conn = Rows([[0, 1]], [0], Format.CSR)
    buf = conn.buffers(eng)
    conn.scatter(buf.array(_state(PROJ, 0, "w")), [[1.0, 1.0]])
    buf.array(_state(PROJ, 0, "gain"))[0] = 1.0
    buf.array(_state(POP, 0, "r"))[:2] = 3.0
    buf.set_value(PopKey(1, PopField.ENABLED), 0)
    eng.run(buf, 1)
    assert buf.array(InputKey(1, "exc"))[0] == 0.0


# --------------------------------------------------------------------------------------------------
# delays (SEMANTICS.md §5, acceptance examples 11 and 12)


def _delay_module(kind: DelayKind):
    """pre ``r = r + t`` (r after step k: -1, -1, 0, 2, 5, 9 ...), psp ``w * pre.r`` delayed, ``s = sum``."""
    r = var("r")
    pre = neuron("Pre", (attr("r"),), (Assign(r, Binary(BinaryOp.ADD, r, Time())),))
    post = neuron("Post", (attr("s"),), (Assign(var("s"), Input("exc")),))
    syn = SynapseModel("S", (attr("w", kind=PARAM),), ())
    m = projection_module(pre, post, syn, (1, 3), Format.CSR, delay=kind)
    assert any(isinstance(s, PushDelayed) for k in m.kernels for s in k.body)
    return m


def _delay_buffers(eng, queue_len: int) -> tuple[Buffers, Rows]:
    conn = Rows([[0], [0], [0]], [0, 1, 2], Format.CSR)
    buf = Buffers(eng.module, eng.layout, {0: ProjectionShape(3, 3)}, queue_lengths={0: queue_len})
    conn_buf = conn.buffers(eng)
    for key in (
        ConnKey(0, ConnField.POST_RANK),
        ConnKey(0, ConnField.ROW_PTR),
        ConnKey(0, ConnField.PRE_RANK),
    ):
        buf.array(key)[:] = conn_buf.array(key)
    buf.array(_state(PROJ, 0, "w"))[:] = 1.0
    buf.array(_state(POP, 0, "r"))[:] = -1.0
    buf.array(QueueKey(0, "r"))[:] = -1.0  # queues start filled with the initial values
    return buf, conn


def test_uniform_delay_example_11() -> None:
    eng = compile_module(_delay_module(DelayKind.UNIFORM))
    buf, _ = _delay_buffers(eng, 10)
    buf.set_value(ConnKey(0, ConnField.UNIFORM_DELAY), 10)
    sums = {}
    for target in (10, 11, 15):
        eng.run(buf, target - buf.step)
        sums[target] = buf.array(InputKey(1, "exc"))[0]
    assert sums == {10: -1.0, 11: -1.0, 15: 9.0}


def test_nonuniform_delays_example_12() -> None:
    eng = compile_module(_delay_module(DelayKind.NONUNIFORM))
    buf, _ = _delay_buffers(eng, 5)
    buf.array(ConnKey(0, ConnField.DELAY))[:] = [3, 5, 2]
    eng.run(buf, 5)
    np.testing.assert_array_equal(buf.array(InputKey(1, "exc")), [0.0, -1.0, 2.0])
