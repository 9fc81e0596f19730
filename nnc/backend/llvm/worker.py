"""The step loop ``nnc_run(ctx, tid, nthreads, nsteps) -> steps_done`` and the record table copy.

The step loop is the same for every network: it walks the schedule (``RuntimeField.SCHEDULE``, rows of
:class:`~nnc.backend.abi.ScheduleField`) that the engine builds from the module (:func:`schedule_rows`).
Per step k (SEMANTICS.md §2): every stage of every kernel in module order, each gated by the run-time
control slots (:class:`nnc.ir.model.Kernel`) and followed by a barrier; the record-table rows of phase 3
after the TRANSMIT kernels and of phase 11 after all kernels; then ``STEP += 1``. A stage is an indirect
call to the function of its kernel class with the instance's descriptor (:mod:`nnc.backend.sharing`).
Thread 0 alone runs serial stages and copies records, each time followed by a barrier; it also writes
the step counter (the other threads count steps locally). Every barrier publishes the host's STOP slot
to all threads (the last thread to arrive copies it into ``@nnc.sync``), each step passes at least one
barrier, and the flag is tested at the start of each step, so all threads stop after the same step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from llvmlite import ir

from nnc.backend.abi import (
    ENTRY_POINT,
    RECORD_FIELDS,
    RUNTIME_SLOT,
    SCHEDULE_FIELDS,
    ConnField,
    ConnKey,
    ElemCode,
    Layout,
    PopField,
    PopKey,
    RecordField,
    RuntimeField,
    ScheduleField,
    ScheduleFlag,
    ScheduleOp,
    SlotKey,
)
from nnc.backend.llvm.expr import I1, I8, I32, I64, PTR, element
from nnc.backend.llvm.kernels import StageInfo
from nnc.backend.llvm.loops import SYNC_STOP, alloca_once, build_barrier, for_range, sync_word
from nnc.ir.model import Kernel, Module
from nnc.ir.types import ObjKind, Phase

_ELEM_SIZE = {ElemCode.F64: 8, ElemCode.F32: 4, ElemCode.I32: 4, ElemCode.U8: 1}

#: Type of a stage function: ``void(ptr ctx, i64 tid, i64 nthreads, i64 step, ptr desc)``.
STAGE_TYPE = ir.FunctionType(ir.VoidType(), [PTR, I64, I64, I64, PTR])


class _Worker:
    def __init__(self, llmod: ir.Module, arch: str):
        fnty = ir.FunctionType(I64, [PTR, I64, I64, I64])
        self.fn = ir.Function(llmod, fnty, ENTRY_POINT)
        self.barrier_fn = build_barrier(llmod, arch)
        self.record_fn = _build_records(llmod)
        self.b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        self.ctx, self.tid, self.nthreads, self.nsteps = self.fn.args
        for arg, name in zip(self.fn.args, ("ctx", "tid", "nthreads", "nsteps"), strict=True):
            arg.name = name
        self.step: ir.Value = I64(0)
        self.synced = alloca_once(self.b, I8, "synced")
        self.stop_ptr = self.runtime_ptr(RuntimeField.STOP)

    def runtime_ptr(self, f: RuntimeField) -> ir.Value:
        return element(self.b, self.ctx, I64(RUNTIME_SLOT[f]), I64)

    def runtime(self, f: RuntimeField) -> ir.Value:
        return self.b.load(self.runtime_ptr(f), typ=I64)

    def ctx_at(self, slot: ir.Value) -> ir.Value:
        return self.b.load(element(self.b, self.ctx, slot, I64), typ=I64)

    def barrier(self) -> None:
        """Wait for every thread; the barrier also publishes the host's STOP flag to all of them."""
        self.b.call(self.barrier_fn, [self.nthreads, self.stop_ptr])
        self.b.store(I8(1), self.synced)

    def thread0(self) -> ir.Value:
        return self.b.icmp_signed("==", self.tid, I64(0))

    def records(self, phase: ir.Value) -> None:
        """Thread 0 copies the due rows of ``phase``, then a barrier (only if the table has rows)."""
        b = self.b
        with b.if_then(b.icmp_signed(">", self.runtime(RuntimeField.RECORD_COUNT), I64(0))):
            with b.if_then(self.thread0()):
                b.call(self.record_fn, [self.ctx, self.step, phase])
            self.barrier()

    def gate(self, row: ir.Value, flags: ir.Value) -> ir.Value:
        """Whether the stage of ``row`` runs this step (:class:`~nnc.backend.abi.ScheduleField`). The
        division of the period test is only done for rows that have a period (a branch: most rows have
        none, and a division per row would cost more than the rest of the row)."""
        b = self.b
        on = b.icmp_unsigned("!=", b.and_(flags, I64(ScheduleFlag.ALWAYS)), I64(0))
        gate = ir.Constant(I1, 1)
        for f in (ScheduleField.GATE0, ScheduleField.GATE1, ScheduleField.GATE2):
            slot = _field(b, row, f)
            unused = b.icmp_signed("<", slot, I64(0))
            value = self.ctx_at(b.select(unused, I64(0), slot))
            gate = b.and_(gate, b.or_(unused, b.icmp_signed("!=", value, I64(0))))
        period_slot = _field(b, row, ScheduleField.PERIOD)
        due_slot = alloca_once(b, I1, "due")
        b.store(ir.Constant(I1, 1), due_slot)
        with b.if_then(b.icmp_signed(">=", period_slot, I64(0)), likely=False):
            period = self.ctx_at(period_slot)
            period = b.select(b.icmp_signed("<", period, I64(1)), I64(1), period)
            offset = self.ctx_at(_field(b, row, ScheduleField.OFFSET))
            b.store(b.icmp_signed("==", b.srem(b.sub(self.step, offset), period), I64(0)), due_slot)
        return b.or_(on, b.and_(gate, b.load(due_slot, typ=I1)))

    def call(self, row: ir.Value) -> None:
        """Run the stage of a CALL row if its gate is open, then (``BARRIER``) a barrier."""
        b = self.b
        flags = _field(b, row, ScheduleField.FLAGS)
        with b.if_then(self.gate(row, flags)):
            parallel = b.icmp_unsigned("!=", b.and_(flags, I64(ScheduleFlag.PARALLEL)), I64(0))
            with b.if_then(b.or_(parallel, self.thread0())):
                fn = b.inttoptr(_field(b, row, ScheduleField.FN), STAGE_TYPE.as_pointer())
                desc = b.inttoptr(_field(b, row, ScheduleField.ARG), PTR)
                b.call(fn, [self.ctx, self.tid, self.nthreads, self.step, desc])
            with b.if_then(b.icmp_unsigned("!=", b.and_(flags, I64(ScheduleFlag.BARRIER)), I64(0))):
                self.barrier()


def kernel_gate(
    b: ir.IRBuilder, m: Module, kernel: Kernel, value: Callable[[SlotKey], ir.Value], step: ir.Value
) -> ir.Value:
    """Whether ``kernel`` runs at step ``step`` (``value`` loads a value slot as ``i64``): the gates of
    :func:`schedule_rows`, for a backend that calls each kernel itself (the PTX backend)."""

    def on(key: SlotKey) -> ir.Value:
        return b.icmp_signed("!=", value(key), I64(0))

    if kernel.owner is ObjKind.POPULATION:
        return on(PopKey(kernel.owner_id, PopField.ENABLED))
    proj = m.projections[kernel.owner_id]
    cond = b.and_(on(ConnKey(proj.id, ConnField.TRANSMISSION)), on(PopKey(proj.post, PopField.ENABLED)))
    if kernel.phase is Phase.SYNAPSE:
        period = value(ConnKey(proj.id, ConnField.LEARN_PERIOD))
        period = b.select(b.icmp_signed("<", period, I64(1)), I64(1), period)
        since = b.sub(step, value(ConnKey(proj.id, ConnField.LEARN_OFFSET)))
        due = b.icmp_signed("==", b.srem(since, period), I64(0))
        cond = b.and_(cond, b.and_(on(ConnKey(proj.id, ConnField.UPDATE)), due))
    return cond


def _field(b: ir.IRBuilder, row: ir.Value, f: ScheduleField | RecordField) -> ir.Value:
    return b.load(element(b, row, I64(f.value), I64), typ=I64)


def build_worker(llmod: ir.Module, arch: str) -> ir.Function:
    """Define ``nnc_run`` (and the barrier and record copier it calls) in ``llmod``."""
    w = _Worker(llmod, arch)
    b = w.b
    first = w.runtime(RuntimeField.STEP)  # read by every thread before the first barrier
    w.barrier()
    done_slot = alloca_once(b, I64, "done")
    b.store(I64(0), done_slot)
    head = b.append_basic_block("step")
    body = b.append_basic_block("step.body")
    exit_ = b.append_basic_block("exit")
    b.branch(head)
    b.position_at_end(head)
    done = b.load(done_slot, typ=I64)
    stopped = b.icmp_unsigned("!=", b.load_atomic(sync_word(b, SYNC_STOP), "monotonic", 4), I32(0))
    b.cbranch(b.or_(stopped, b.icmp_signed(">=", done, w.nsteps)), exit_, body)
    b.position_at_end(body)
    w.step = b.add(first, done)
    b.store(I8(0), w.synced)
    _step(w)
    b.store(b.add(done, I64(1)), done_slot)
    b.branch(head)
    b.position_at_end(exit_)
    b.ret(b.load(done_slot, typ=I64))
    return w.fn


def _step(w: _Worker) -> None:
    """One step: the schedule, then the step counter (at least one barrier, which publishes STOP)."""
    b = w.b
    table = b.load(w.runtime_ptr(RuntimeField.SCHEDULE), typ=PTR)
    count = w.runtime(RuntimeField.SCHEDULE_COUNT)
    with for_range(b, I64(0), count) as e:
        row = element(b, table, b.mul(e, I64(SCHEDULE_FIELDS)), I64)
        records = b.icmp_signed("==", _field(b, row, ScheduleField.OP), I64(ScheduleOp.RECORDS.value))
        with b.if_else(records) as (copy, call):
            with copy:
                w.records(_field(b, row, ScheduleField.ARG))
            with call:
                w.call(row)
    with b.if_then(b.icmp_unsigned("==", b.load(w.synced, typ=I8), I8(0))):
        w.barrier()
    with b.if_then(w.thread0()):
        b.store(b.add(w.step, I64(1)), w.runtime_ptr(RuntimeField.STEP))


# --------------------------------------------------------------------------------------------------
# schedule


def _gate_slots(module: Module, layout: Layout, kernel: Kernel) -> list[int]:
    """GATE0..GATE2, PERIOD, OFFSET of ``kernel``'s stages (:class:`nnc.ir.model.Kernel`'s gating)."""
    if kernel.owner is ObjKind.POPULATION:
        return [layout.slot(PopKey(kernel.owner_id, PopField.ENABLED)), -1, -1, -1, -1]
    proj = module.projections[kernel.owner_id]
    gates = [
        layout.slot(ConnKey(proj.id, ConnField.TRANSMISSION)),
        layout.slot(PopKey(proj.post, PopField.ENABLED)),
    ]
    if kernel.phase is not Phase.SYNAPSE:
        return [*gates, -1, -1, -1]
    update = layout.slot(ConnKey(proj.id, ConnField.UPDATE))
    period = layout.slot(ConnKey(proj.id, ConnField.LEARN_PERIOD))
    return [*gates, update, period, layout.slot(ConnKey(proj.id, ConnField.LEARN_OFFSET))]


def schedule_rows(
    module: Module,
    layout: Layout,
    stages: Sequence[tuple[tuple[StageInfo, ...], tuple[int, ...], int]],
) -> np.ndarray:
    """The schedule of ``module``: ``stages[i]`` is kernel i's ``(stage infos, stage function addresses,
    descriptor address)``. Records of phase 3 come before the first kernel of a phase after TRANSMIT
    (or after the last kernel), records of phase 11 after the last kernel. A barrier follows every
    stage, except between a spike-delivering stage and the first stage of the next TRANSMIT kernel when
    it delivers spikes too (each thread only writes the conductances of the post neurons it owns, in
    program order)."""
    rows: list[list[int]] = []

    def records(phase: Phase) -> None:
        rows.append([ScheduleOp.RECORDS.value, 0, phase.value, 0, -1, -1, -1, -1, -1])

    inputs_recorded = False
    for n, kernel in enumerate(module.kernels):
        if not inputs_recorded and kernel.phase.value > Phase.TRANSMIT.value:
            records(Phase.RECORD_INPUTS)
            inputs_recorded = True
        infos, fns, desc = stages[n]
        following = module.kernels[n + 1] if n + 1 < len(module.kernels) else None
        chained = (
            following is not None
            and kernel.phase is following.phase is Phase.TRANSMIT
            and bool(infos)
            and infos[-1].owned
            and bool(stages[n + 1][0])
            and stages[n + 1][0][0].owned
        )
        gates = _gate_slots(module, layout, kernel)
        for m, (info, fn) in enumerate(zip(infos, fns, strict=True)):
            flags = ScheduleFlag(0)
            if info.parallel:
                flags |= ScheduleFlag.PARALLEL
            if info.always:
                flags |= ScheduleFlag.ALWAYS
            if not (chained and m == len(infos) - 1):
                flags |= ScheduleFlag.BARRIER
            rows.append([ScheduleOp.CALL.value, fn, desc, int(flags), *gates])
    if not inputs_recorded:
        records(Phase.RECORD_INPUTS)
    records(Phase.RECORD)
    table = np.full((max(len(rows), 1), SCHEDULE_FIELDS), -1, dtype=np.int64)
    if rows:
        table[: len(rows)] = np.array(rows, dtype=np.int64)
    return table[: len(rows)]


# --------------------------------------------------------------------------------------------------
# record table


def _build_records(llmod: ir.Module) -> ir.Function:
    """``void @nnc.record(ctx, step, phase)``: copy every due row of ``phase`` (RecordField semantics)."""
    fn = ir.Function(llmod, ir.FunctionType(ir.VoidType(), [PTR, I64, I64]), "nnc.record")
    fn.linkage = "internal"
    for a in ("noinline", "minsize", "optsize"):  # small copies: not worth vectorised, unrolled code
        fn.attributes.add(a)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ctx, step, phase = fn.args
    table = b.load(element(b, ctx, I64(RUNTIME_SLOT[RuntimeField.RECORD_TABLE]), PTR), typ=PTR)
    count = b.load(element(b, ctx, I64(RUNTIME_SLOT[RuntimeField.RECORD_COUNT]), I64), typ=I64)
    with for_range(b, I64(0), count) as r:
        row = element(b, table, b.mul(r, I64(RECORD_FIELDS)), I64)
        with b.if_then(_due(b, row, step, phase)):
            _copy_row(b, row)
    b.ret_void()
    return fn


def _due(b: ir.IRBuilder, row: ir.Value, step: ir.Value, phase: ir.Value) -> ir.Value:
    """``PHASE == phase and ACTIVE and (k - ORIGIN) mod PERIOD == OFFSET and COUNT < CAPACITY``."""
    period = _field(b, row, RecordField.PERIOD)
    period = b.select(b.icmp_signed("<", period, I64(1)), I64(1), period)
    since = b.srem(b.sub(step, _field(b, row, RecordField.ORIGIN)), period)
    since = b.srem(b.add(since, period), period)  # floor modulo
    conds = (
        b.icmp_signed("==", _field(b, row, RecordField.PHASE), phase),
        b.icmp_signed("!=", _field(b, row, RecordField.ACTIVE), I64(0)),
        b.icmp_signed("==", since, _field(b, row, RecordField.OFFSET)),
        b.icmp_signed("<", _field(b, row, RecordField.COUNT), _field(b, row, RecordField.CAPACITY)),
    )
    out = conds[0]
    for c in conds[1:]:
        out = b.and_(out, c)
    return out


def _copy_spikes(b: ir.IRBuilder, row: ir.Value) -> None:
    """A spike row: append the list ``SRC`` describes to ``DST`` at ``FILL``; its length to
    ``INDEX[COUNT]``."""
    src = b.inttoptr(_field(b, row, RecordField.SRC), PTR)
    n = b.load(element(b, src, I64(0), I64), typ=I64)
    ranks = b.inttoptr(b.load(element(b, src, I64(1), I64), typ=I64), PTR)
    dst = b.inttoptr(_field(b, row, RecordField.DST), PTR)
    fill = _field(b, row, RecordField.FILL)
    count = _field(b, row, RecordField.COUNT)
    with for_range(b, I64(0), n) as i:
        b.store(b.load(element(b, ranks, i, I32), typ=I32), element(b, dst, b.add(fill, i), I32))
    counts = b.inttoptr(_field(b, row, RecordField.INDEX), PTR)
    b.store(b.trunc(n, I32), element(b, counts, count, I32))
    b.store(b.add(fill, n), element(b, row, I64(RecordField.FILL.value), I64))
    b.store(b.add(count, I64(1)), element(b, row, I64(RecordField.COUNT.value), I64))


def _copy_row(b: ir.IRBuilder, row: ir.Value) -> None:
    """Copy ``N`` elements (at ``INDEX`` when non-null) into sample ``COUNT`` of ``DST``; ``COUNT += 1``."""
    spikes = b.icmp_signed("==", _field(b, row, RecordField.ELEM), I64(ElemCode.SPIKES.value))
    with b.if_else(spikes) as (spike_row, plain_row):
        with spike_row:
            _copy_spikes(b, row)
        with plain_row:
            _copy_values(b, row)


def _copy_values(b: ir.IRBuilder, row: ir.Value) -> None:
    n = _field(b, row, RecordField.N)
    src = b.inttoptr(_field(b, row, RecordField.SRC), PTR)
    index = b.inttoptr(_field(b, row, RecordField.INDEX), PTR)
    dst = b.inttoptr(_field(b, row, RecordField.DST), PTR)
    count = _field(b, row, RecordField.COUNT)
    elem = _field(b, row, RecordField.ELEM)
    indexed = b.icmp_unsigned("!=", _field(b, row, RecordField.INDEX), I64(0))
    for size in sorted(set(_ELEM_SIZE.values())):
        codes = [c for c, s in _ELEM_SIZE.items() if s == size]
        match = b.icmp_signed("==", elem, I64(codes[0].value))
        for c in codes[1:]:
            match = b.or_(match, b.icmp_signed("==", elem, I64(c.value)))
        ity = ir.IntType(8 * size) if size > 1 else I8
        with b.if_then(match):
            base = element(b, dst, b.mul(count, n), ity)
            with b.if_else(indexed) as (gathered, plain):
                with gathered, for_range(b, I64(0), n) as i:
                    j = b.sext(b.load(element(b, index, i, I32), typ=I32), I64)
                    b.store(b.load(element(b, src, j, ity), typ=ity), element(b, base, i, ity))
                with plain, for_range(b, I64(0), n) as i:
                    b.store(b.load(element(b, src, i, ity), typ=ity), element(b, base, i, ity))
    b.store(b.add(count, I64(1)), element(b, row, I64(RecordField.COUNT.value), I64))


def build_worker_module(name: str, arch: str) -> ir.Module:
    """The LLVM module of the step loop (the same for every network of a host)."""
    llmod = ir.Module(name=name)
    build_worker(llmod, arch)
    return llmod
