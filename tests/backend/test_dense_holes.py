"""DENSE rows with holes (``Holes.SELF``): LLVM = interpreter = CSR = ELL, bit for bit.

A population projects onto itself; the row of post rank ``i`` is the box ``[lo, lo + width)`` minus ``i``
(when ``i`` lies in the box). Boxes of widths around and across multiples of 8, and post ranks before,
inside (a hole at every column) and after the box. Dead slots hold NaN: a kernel that read one would
show it.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from netkit import B, G, I, attr, compile_module, neuron, var

from nnc.backend.abi import InputKey, StateKey
from nnc.backend.interp.engine import InterpEngine
from nnc.diagnostics import BackendError, InternalError
from nnc.frontend.assemble import PopulationSpec, ProjectionSpec, assemble
from nnc.ir.model import Module, SynapseModel
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    Clamp,
    Const,
    Dist,
    Expr,
    Input,
    Let,
    Random,
    ReduceOp,
    Select,
    Stmt,
    Temp,
)
from nnc.ir.types import AttrKind, Format, Holes, ObjKind, Precision, Scope
from nnc.runtime.buffers import Buffers
from nnc.runtime.connectivity import Connectivity

PARAM = AttrKind.PARAMETER
POP, PROJ = ObjKind.POPULATION, ObjKind.PROJECTION
LAYOUTS = [(Format.DENSE, Holes.SELF), (Format.CSR, Holes.NONE), (Format.ELL, Holes.NONE)]
WIDTHS = [1, 2, 7, 8, 9, 15, 16, 17, 24, 25, 33]
BEFORE, AFTER = 3, 4  # post ranks outside the box, on each side
SIZE = BEFORE + max(WIDTHS) + AFTER  # one population size: the compiled kernels serve every width


def _mul(a: Expr, b: Expr) -> Expr:
    return Binary(BinaryOp.MUL, a, b)


def _add(a: Expr, b: Expr) -> Expr:
    return Binary(BinaryOp.ADD, a, b)


def fixed_order(values: np.ndarray, op: ReduceOp) -> float:
    """The reduction order of every engine, written out: 8 sequential lanes combined as a fixed tree."""
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


def recurrent_module(
    size: int,
    syn: SynapseModel,
    layout: tuple[Format, Holes],
    equations: tuple[Stmt, ...] = (Assign(var("s"), Input("exc")),),
    precision: Precision = Precision.F64,
) -> Module:
    """One population (``r``, ``b``, ``s``) projecting onto itself (target ``exc``) in ``layout``."""
    model = neuron("N", (attr("r"), attr("b", kind=PARAM), attr("s")), equations)
    m = assemble(
        "rec",
        precision,
        1.0,
        (PopulationSpec(0, "P", (size,), model),),
        (ProjectionSpec(0, "J", 0, 0, ("exc",), syn),),
    )
    fmt, holes = layout
    return replace(m, projections=(replace(m.projections[0], format=fmt, holes=holes),))


def self_rows(width: int, lo: int = BEFORE, after: int = AFTER) -> Connectivity:
    """Every post rank of ``[0, lo + width + after)``: the box ``[lo, lo + width)`` minus itself."""
    box = list(range(lo, lo + width))
    rows = [[q for q in box if q != i] for i in range(lo + width + after)]
    weights = [list(np.random.default_rng(i).normal(size=len(r))) for i, r in enumerate(rows)]
    return Connectivity.from_rows((SIZE, SIZE), list(range(len(rows))), rows, weights)


def install(engine, conn: Connectivity, layout: tuple[Format, Holes], seed: int = 0) -> Buffers:
    """Buffers of ``engine`` holding ``conn``: weights in real slots, NaN in dead and padding slots."""
    fmt, holes = layout
    m = engine.module
    size = m.populations[0].size
    buf = Buffers(m, engine.layout, {0: conn.shape(fmt)})
    conn.fill(buf, 0, fmt, holes)
    w = buf.array(StateKey(PROJ, 0, "w"))
    w[:] = np.nan
    w[conn.slot_index(fmt)] = conn.weights
    rng = np.random.default_rng(seed)
    buf.array(StateKey(POP, 0, "r"))[:] = rng.uniform(-1.0, 1.0, size)
    buf.array(StateKey(POP, 0, "b"))[:] = rng.uniform(-1.0, 1.0, size)
    if buf.has(StateKey(PROJ, 0, "gain")):
        buf.array(StateKey(PROJ, 0, "gain"))[0] = 1.5
    return buf


# --------------------------------------------------------------------------------------------------
# classification


@pytest.mark.parametrize("width", WIDTHS)
def test_rows_are_self_holed(width: int) -> None:
    conn = self_rows(width)
    expected = Holes.SELF if width > 1 else Holes.NONE  # width 1: rows with a hole are empty, dropped
    assert conn.dense_holes() is expected
    assert conn.stats(same_population=True).dense_holes() is expected
    assert conn.stride(Format.DENSE) == width


# --------------------------------------------------------------------------------------------------
# reductions


def _transmit_syn(op: ReduceOp) -> SynapseModel:
    """psp = (w * pre.r + post.b) * gain."""
    drive = _add(_mul(var("w"), var("r", scope=Scope.PRE)), var("b", scope=Scope.POST))
    attrs = (attr("w", kind=PARAM), attr("gain", loc=G, kind=PARAM))
    return SynapseModel("S", attrs, (), psp=_mul(drive, var("gain", loc=G)), operation=op)


_ENGINES: dict[tuple, object] = {}


def _engine(op: ReduceOp, layout: tuple[Format, Holes], precision: Precision = Precision.F64):
    key = (op, layout, precision)
    if key not in _ENGINES:
        _ENGINES[key] = compile_module(recurrent_module(SIZE, _transmit_syn(op), layout, precision=precision))
    return _ENGINES[key]


def _sums(engine, conn: Connectivity, layout: tuple[Format, Holes], run=None) -> np.ndarray:
    buf = install(engine, conn, layout)
    (run or engine.run)(buf, 1)
    return buf.array(InputKey(0, "exc")).copy()


@pytest.mark.parametrize("precision", [Precision.F64, Precision.F32], ids=["f64", "f32"])
@pytest.mark.parametrize("op", list(ReduceOp))
def test_reduce_on_self_rows_is_bit_identical_everywhere(op: ReduceOp, precision: Precision) -> None:
    for width in WIDTHS:
        conn = self_rows(width)
        dense = _engine(op, LAYOUTS[0], precision)
        got = {layout: _sums(_engine(op, layout, precision), conn, layout) for layout in LAYOUTS}
        interp = InterpEngine(dense.module)  # type: ignore[attr-defined]
        oracle = _sums(dense, conn, LAYOUTS[0], interp.run)
        ref = install(dense, conn, LAYOUTS[0])
        real = ref.array(StateKey(POP, 0, "r")).dtype.type
        r, b = ref.array(StateKey(POP, 0, "r")), ref.array(StateKey(POP, 0, "b"))
        want = np.zeros(SIZE, dtype=r.dtype)
        for d, post in enumerate(conn.post_ranks):
            row = conn.row(d)
            w = conn.weights[row].astype(r.dtype)
            want[post] = fixed_order((w * r[conn.pre_ranks[row]] + b[post]) * real(1.5), op)
        for layout, sums in got.items():
            np.testing.assert_array_equal(sums, want, err_msg=f"{layout} width {width}")
        np.testing.assert_array_equal(oracle, want, err_msg=f"interpreter width {width}")


def test_rows_without_holes_in_the_box_run_whole() -> None:
    """A SELF kernel over rows whose post ranks all lie outside the box: every row is the whole box."""
    rows = [list(range(0, 11))] * 5
    conn = Connectivity.from_rows((SIZE, SIZE), [12, 13, 15, 18, 19], rows, [[1.0] * 11] * 5)
    eng = _engine(ReduceOp.SUM, LAYOUTS[0])
    buf = install(eng, conn, LAYOUTS[0])
    eng.run(buf, 1)  # type: ignore[attr-defined]
    r, b = buf.array(StateKey(POP, 0, "r")), buf.array(StateKey(POP, 0, "b"))
    for post in (12, 13, 15, 18, 19):
        assert buf.array(InputKey(0, "exc"))[post] == fixed_order((r[:11] + b[post]) * 1.5, ReduceOp.SUM)


def test_self_rows_need_no_gathers() -> None:
    text = _engine(ReduceOp.SUM, LAYOUTS[0]).optimised_ir()  # type: ignore[attr-defined]
    assert "masked.gather" not in text
    assert re.search(r"load <(4|8) x double>", text)


@pytest.mark.parametrize("dist", [Dist.UNIFORM, Dist.NORMAL], ids=lambda d: d.value)
def test_random_draws_in_a_reduce_match_csr(dist: Dist) -> None:
    """psp = w * pre.r * Uniform(0, 1): lanes past the hole draw with the right (post, pre) counters;
    Normal(0, 1) calls nnc's log and cos in each of the 8 lanes (the same bits as the interpreter)."""
    psp = _mul(_mul(var("w"), var("r", scope=Scope.PRE)), Random(dist, (Const(0.0), Const(1.0)), 0))
    syn = SynapseModel("S", (attr("w", kind=PARAM),), (), psp=psp)
    conn = self_rows(19)
    out = {}
    for layout in LAYOUTS:
        eng = compile_module(recurrent_module(SIZE, syn, layout))
        out[layout] = _sums(eng, conn, layout)
        if layout is LAYOUTS[0]:
            np.testing.assert_array_equal(_sums(eng, conn, layout, InterpEngine(eng.module).run), out[layout])
    for layout in LAYOUTS[1:]:
        np.testing.assert_array_equal(out[LAYOUTS[0]], out[layout])


# --------------------------------------------------------------------------------------------------
# synaptic equations


def _hebb_syn() -> SynapseModel:
    """``hebb = pre.r * post.r``; ``w += eta * hebb + Uniform(-1e-3, 1e-3)``; ``seen = pre.r``."""
    noise = Random(Dist.UNIFORM, (Const(-1e-3), Const(1e-3)), 0)
    eqs = (
        Let("hebb", _mul(var("r", scope=Scope.PRE), var("r", scope=Scope.POST))),
        Assign(var("w"), _add(_add(var("w"), _mul(var("eta", loc=G), Temp("hebb"))), noise)),
        Assign(var("seen"), var("r", scope=Scope.PRE)),
    )
    attrs = (attr("w"), attr("eta", loc=G, kind=PARAM), attr("seen"))
    return SynapseModel("Hebb", attrs, eqs)


_NEURON = (Assign(var("r"), _mul(Const(0.3), Input("exc"))), Clamp(var("r"), Const(-1.0), Const(1.0)))


def _hebb_run(layout: tuple[Format, Holes], conn: Connectivity, steps: int, interp: bool = False):
    key = ("hebb", layout)
    if key not in _ENGINES:
        _ENGINES[key] = compile_module(recurrent_module(SIZE, _hebb_syn(), layout, _NEURON))
    eng = _ENGINES[key]
    buf = install(eng, conn, layout, seed=5)
    buf.array(StateKey(PROJ, 0, "eta"))[0] = 0.05
    seen = buf.array(StateKey(PROJ, 0, "seen"))
    seen[:] = np.nan
    seen[conn.slot_index(layout[0])] = 0.0
    (InterpEngine(eng.module).run if interp else eng.run)(buf, steps)
    fmt = layout[0]
    return {
        "w": conn.gather_flat(fmt, buf.array(StateKey(PROJ, 0, "w"))),
        "seen": conn.gather_flat(fmt, buf.array(StateKey(PROJ, 0, "seen"))),
        "dead_w": np.delete(buf.array(StateKey(PROJ, 0, "w")), conn.slot_index(fmt)),
        "r": buf.array(StateKey(POP, 0, "r")).copy(),
    }


@pytest.mark.parametrize("width", [9, 16, 23])
def test_hebbian_learning_on_self_rows_matches_csr(width: int) -> None:
    conn = self_rows(width)
    dense = _hebb_run(LAYOUTS[0], conn, 6)
    others = [_hebb_run(layout, conn, 6) for layout in LAYOUTS[1:]] + [_hebb_run(LAYOUTS[0], conn, 6, True)]
    for other in others:
        for name in ("w", "seen", "r"):
            np.testing.assert_array_equal(dense[name], other[name], err_msg=name)
    assert np.all(np.isnan(dense["dead_w"]))  # the dead slot of each row is never written
    np.testing.assert_array_equal(dense["seen"], dense["r"][conn.pre_ranks])  # every real synapse visited


def test_holes_need_the_dense_format() -> None:
    m = recurrent_module(SIZE, _transmit_syn(ReduceOp.SUM), (Format.CSR, Holes.SELF))
    with pytest.raises(BackendError, match="holes=self"):
        compile_module(m)
    with pytest.raises(InternalError, match="holes=self"):
        InterpEngine(m).run(install(_engine(ReduceOp.SUM, LAYOUTS[1]), self_rows(9), LAYOUTS[1]), 1)


def test_int_and_bool_synapse_attributes_and_threads() -> None:
    """psp = on ? w * k : pre.r (bool and int local attributes read past the hole), on 1 and 2 threads."""
    on, k = var("on", B), var("k", I)
    psp = Select(on, _mul(var("w"), k), var("r", scope=Scope.PRE))
    attrs = (attr("w", kind=PARAM), attr("on", B, kind=PARAM), attr("k", I, kind=PARAM))
    syn = SynapseModel("S", attrs, (), psp=psp)
    conn = self_rows(21)
    rng = np.random.default_rng(9)
    flags, ints = rng.integers(0, 2, conn.n_synapses), rng.integers(-5, 6, conn.n_synapses)
    out = []
    for layout, threads in ((LAYOUTS[0], 1), (LAYOUTS[0], 2), (LAYOUTS[1], 1)):
        eng = compile_module(recurrent_module(SIZE, syn, layout), num_threads=threads)
        buf = install(eng, conn, layout)
        buf.array(StateKey(PROJ, 0, "on"))[conn.slot_index(layout[0])] = flags
        buf.array(StateKey(PROJ, 0, "k"))[conn.slot_index(layout[0])] = ints
        eng.run(buf, 1)
        out.append(buf.array(InputKey(0, "exc")).copy())
        eng.close()
    r = buf.array(StateKey(POP, 0, "r"))
    for d, post in enumerate(conn.post_ranks):
        row = conn.row(d)
        values = np.where(flags[row] == 1, conn.weights[row] * ints[row], r[conn.pre_ranks[row]])
        assert out[0][post] == fixed_order(values, ReduceOp.SUM)
    for other in out[1:]:
        np.testing.assert_array_equal(out[0], other)
