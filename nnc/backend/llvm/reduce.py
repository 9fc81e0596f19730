"""Fixed-order reductions in ``<8 x real>`` lanes: dendrite ``Reduce`` and population global operations.

The order is fixed by construction, shared with the interpreter, so dense = CSR = ELL bit for bit and
results never depend on the thread count: over positions ``p`` of ``[0, n)``, lane ``l = p mod 8``
accumulates sequentially (starting from the identity); the lanes combine as
``((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))``; max folds as ``acc = v if v > acc else acc`` (min
alike), so NaN values are skipped. ``mean`` divides by ``n``; ``max``/``min`` (and ``mean``) of an empty
range give 0 (:mod:`nnc.ir.reductions` states the same order for the interpreter). A population's
global operation is such a row per block of 1024 neurons, combined in order (:mod:`.globalops`).

A row with a hole (a DENSE row lacking its own post rank) keeps this order over its *real* synapses: the
chunk of positions ``[8m, 8m + 8)`` is read from columns ``[8m, 8m + 8)`` before the hole, from
``[8m + 1, 8m + 9)`` after it, and the one chunk that straddles the hole selects per lane between the two
(:func:`lane_reduce_around`): plain vector loads, no gathers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llvmlite import ir

from nnc.backend.llvm.access import iota
from nnc.backend.llvm.expr import I32, I64, MathLib, splat
from nnc.backend.llvm.loops import alloca_once, for_range
from nnc.ir.nodes import GlobalOp, ReduceOp

LANES = 8

#: Build the ``<8 x real>`` values of positions ``p0 .. p0 + 7`` (mask None: all lanes are in range).
LaneValues = Callable[[ir.Value, ir.Value | None], ir.Value]
#: The same for a row with a hole; the third argument says which lanes read one slot further: None (no
#: lane), the ``i64`` constant 1 (every lane) or a ``<8 x i1>`` per lane.
ShiftedLaneValues = Callable[[ir.Value, ir.Value | None, ir.Value | None], ir.Value]
Combine = Callable[[ir.IRBuilder, MathLib, ir.Value, ir.Value], ir.Value]


def _add(b: ir.IRBuilder, lib: MathLib, x: ir.Value, y: ir.Value) -> ir.Value:
    return b.fadd(x, y)


def _max(b: ir.IRBuilder, lib: MathLib, x: ir.Value, y: ir.Value) -> ir.Value:
    return b.select(b.fcmp_ordered(">", y, x), y, x)  # y if y > x else x: a NaN value is skipped


def _min(b: ir.IRBuilder, lib: MathLib, x: ir.Value, y: ir.Value) -> ir.Value:
    return b.select(b.fcmp_ordered("<", y, x), y, x)


@dataclass(frozen=True, slots=True)
class Reduction:
    """How lanes accumulate: the combining operation and its identity."""

    combine: Combine
    identity: float


SUM = Reduction(_add, 0.0)
MAX = Reduction(_max, float("-inf"))
MIN = Reduction(_min, float("inf"))

REDUCE_OPS = {ReduceOp.SUM: SUM, ReduceOp.MEAN: SUM, ReduceOp.MAX: MAX, ReduceOp.MIN: MIN}
GLOBAL_OPS = {
    GlobalOp.MEAN: SUM,
    GlobalOp.NORM1: SUM,
    GlobalOp.NORM2: SUM,
    GlobalOp.MAX: MAX,
    GlobalOp.MIN: MIN,
}


def lane_reduce(b: ir.IRBuilder, lib: MathLib, red: Reduction, n: ir.Value, values: LaneValues) -> ir.Value:
    """Reduce the values of positions ``[0, n)`` (``n``: ``i64``) in the fixed lane order."""
    return _reduce(b, lib, red, n, None, lambda p0, mask, shift: values(p0, mask))


def lane_reduce_around(
    b: ir.IRBuilder, lib: MathLib, red: Reduction, n: ir.Value, hole: ir.Value, values: ShiftedLaneValues
) -> ir.Value:
    """:func:`lane_reduce` of a row whose positions from ``hole`` on (``i64``) sit one slot further."""
    return _reduce(b, lib, red, n, hole, values)


def _reduce(
    b: ir.IRBuilder,
    lib: MathLib,
    red: Reduction,
    n: ir.Value,
    hole: ir.Value | None,
    values: ShiftedLaneValues,
) -> ir.Value:
    vty = ir.VectorType(lib.real, LANES)
    acc_slot = alloca_once(b, vty, name="lanes")
    b.store(ir.Constant(vty, [red.identity] * LANES), acc_slot)

    def fold(p0: ir.Value, mask: ir.Value | None, shift: ir.Value | None) -> None:
        acc = b.load(acc_slot, typ=vty)
        new = red.combine(b, lib, acc, values(p0, mask, shift))
        b.store(new if mask is None else b.select(mask, new, acc), acc_slot)

    full = b.and_(n, I64(-LANES))
    if hole is None:
        with for_range(b, I64(0), full, LANES) as p0:
            fold(p0, None, None)
    else:
        split = b.and_(hole, I64(-LANES))
        split = b.select(b.icmp_signed("<", split, full), split, full)  # chunks before it hold no hole
        with for_range(b, I64(0), split, LANES) as p0:
            fold(p0, None, None)
        with b.if_then(b.icmp_signed("<", split, full)):
            fold(split, None, _past(b, split, hole))
        with for_range(b, b.add(split, I64(LANES)), full, LANES) as p0:
            fold(p0, None, I64(1))
    with b.if_then(b.icmp_signed("<", full, n)):
        mask = b.icmp_signed("<", b.add(splat(b, full, LANES), iota(LANES)), splat(b, n, LANES))
        fold(full, mask, None if hole is None else _past(b, full, hole))
    return combine_lanes(b, lib, red, b.load(acc_slot, typ=vty))


def _past(b: ir.IRBuilder, p0: ir.Value, hole: ir.Value) -> ir.Value:
    """``<8 x i1>``: whether position ``p0 + lane`` lies at or after the hole."""
    return b.icmp_signed(">=", b.add(splat(b, p0, LANES), iota(LANES)), splat(b, hole, LANES))


def _half(b: ir.IRBuilder, v: ir.Value, start: int, count: int) -> ir.Value:
    undef = ir.Constant(v.type, ir.Undefined)
    if count == 1:
        return b.extract_element(v, I32(start))
    return b.shuffle_vector(
        v, undef, ir.Constant(ir.VectorType(I32, count), list(range(start, start + count)))
    )


def combine_lanes(b: ir.IRBuilder, lib: MathLib, red: Reduction, acc: ir.Value) -> ir.Value:
    """``((l0 . l4) . (l2 . l6)) . ((l1 . l5) . (l3 . l7))`` for the combining operation ``.``."""
    width = LANES
    while width > 1:
        width //= 2
        acc = red.combine(b, lib, _half(b, acc, 0, width), _half(b, acc, width, width))
    return acc


def finish_mean(b: ir.IRBuilder, real: ir.Type, total: ir.Value, n: ir.Value) -> ir.Value:
    """``total / n``, or 0 for an empty range."""
    mean = b.fdiv(total, b.sitofp(n, real))
    return b.select(b.icmp_signed(">", n, I64(0)), mean, ir.Constant(real, 0.0))


def zero_if_empty(b: ir.IRBuilder, real: ir.Type, value: ir.Value, n: ir.Value) -> ir.Value:
    """``value``, or 0 for an empty range (max / min of nothing)."""
    return b.select(b.icmp_signed(">", n, I64(0)), value, ir.Constant(real, 0.0))
