"""Lowering of a timed array's scheduler step (:class:`nnc.ir.nodes.TimedStep`): the row copy, partitioned
between threads, and the counter update that runs once after it.

The copy is a parallel stage: every thread loads ``τ``, ``b``, ``n`` and ``S[b]`` (nothing changes them
before the finishing stage) and, when block ``b`` is due, copies its share ``[begin, end)`` of row ``b``
of RATES into ``r`` (zeros when the row is missing), a contiguous loop that LLVM vectorises. The finishing
stage runs on thread 0 after the barrier that ends the copy: it takes the same decision again and
advances ``b`` and ``τ`` (period wrap included).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from llvmlite import ir

from nnc.backend.abi import StateKey, TimedField, TimedKey
from nnc.backend.llvm.access import At
from nnc.backend.llvm.expr import I64
from nnc.backend.llvm.loops import for_range
from nnc.backend.llvm.places import Element
from nnc.ir.nodes import TimedStep
from nnc.ir.types import DType, ObjKind

if TYPE_CHECKING:
    from nnc.backend.llvm.statements import StatementLowering


@dataclass(frozen=True, slots=True)
class _Decision:
    """What this step does: ``due`` (``b < n`` and ``τ == S[b]``), ``has_row`` (``b < N_ROWS``)."""

    tau: ir.Value
    block: ir.Value
    due: ir.Value
    has_row: ir.Value


def _slot(lw: StatementLowering, f: TimedField) -> ir.Value:
    return lw.ctx_value(TimedKey(lw.places.population.id, f))


def _decide(lw: StatementLowering) -> _Decision:
    b, pid = lw.b, lw.places.population.id
    tau, block = _slot(lw, TimedField.COUNTER), _slot(lw, TimedField.BLOCK)
    listed = b.icmp_signed("<", block, _slot(lw, TimedField.N_SCHEDULE))
    index = b.select(listed, block, I64(0))  # the schedule buffer always holds element 0 (padding)
    at = b.sext(lw.read(TimedKey(pid, TimedField.SCHEDULE), DType.INT, At(index), Element(None, {})), I64)
    due = b.and_(listed, b.icmp_signed("==", tau, at))
    return _Decision(tau, block, due, b.icmp_signed("<", block, _slot(lw, TimedField.N_ROWS)))


def copy_rows(lw: StatementLowering, s: TimedStep, begin: ir.Value, end: ir.Value) -> None:
    """Neurons ``[begin, end)`` of the row copy into ``s.var`` (the parallel stage)."""
    b, pop = lw.b, lw.places.population
    d = _decide(lw)
    r = StateKey(ObjKind.POPULATION, pop.id, s.var)
    rates = TimedKey(pop.id, TimedField.RATES)
    el = Element(None, {})
    with b.if_then(d.due), b.if_else(d.has_row) as (copy, missing):
        with copy:
            base = b.mul(d.block, I64(pop.size))
            with for_range(b, begin, end) as i:
                lw.write(r, DType.REAL, At(i), lw.read(rates, DType.REAL, At(b.add(base, i)), el))
        with missing, for_range(b, begin, end) as i:
            lw.write(r, DType.REAL, At(i), ir.Constant(lw.real, 0.0))


def advance(lw: StatementLowering) -> None:
    """Move to the next block if one was shown, wrap at the period, count the step (the finishing stage)."""
    b = lw.b
    d = _decide(lw)
    following = b.add(d.block, I64(1))
    following = b.select(b.icmp_signed("==", following, _slot(lw, TimedField.N_SCHEDULE)), I64(0), following)
    block = b.select(b.and_(d.due, d.has_row), following, d.block)
    period = _slot(lw, TimedField.PERIOD)
    wrap = b.and_(b.icmp_signed(">=", period, I64(0)), b.icmp_signed("==", d.tau, b.sub(period, I64(1))))
    pid = lw.places.population.id
    lw.store_ctx(TimedKey(pid, TimedField.BLOCK), b.select(wrap, I64(0), block))
    lw.store_ctx(TimedKey(pid, TimedField.COUNTER), b.add(b.select(wrap, I64(-1), d.tau), I64(1)))
