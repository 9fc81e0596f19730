"""The whole-step worker ``nnc_run(ctx, tid, nthreads, nsteps) -> steps_done`` and the record table copy.

Per step k (SEMANTICS.md §2): every kernel in module order, each gated by the run-time control slots
(:class:`nnc.ir.model.Kernel`), its stages separated by barriers; the record-table rows of phase 3 after
the TRANSMIT kernels and of phase 11 after all kernels; then ``STEP += 1``. Thread 0 alone runs serial
stages and copies records, each time followed by a barrier; it also writes the step counter (the other
threads count steps locally). Every barrier publishes the host's STOP slot to all threads (the last
thread to arrive copies it into ``@nnc.sync``), each step passes at least one barrier, and the flag is
tested at the start of each step, so all threads stop after the same step.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from nnc.backend.abi import (
    ENTRY_POINT,
    RECORD_FIELDS,
    ConnField,
    ConnKey,
    ElemCode,
    Layout,
    PopField,
    PopKey,
    RecordField,
    RuntimeField,
    RuntimeKey,
    SlotKey,
)
from nnc.backend.llvm.expr import I1, I8, I32, I64, PTR, MathLib, element, real_type
from nnc.backend.llvm.kernels import StageFunction, Target, lower_kernel
from nnc.backend.llvm.loops import SYNC_STOP, alloca_once, build_barrier, for_range, sync_word
from nnc.ir.model import Kernel, Module
from nnc.ir.types import ObjKind, Phase

_ELEM_SIZE = {ElemCode.F64: 8, ElemCode.F32: 4, ElemCode.I32: 4, ElemCode.U8: 1}


class _Worker:
    def __init__(self, target: Target, arch: str):
        self.target = target
        fnty = ir.FunctionType(I64, [PTR, I64, I64, I64])
        self.fn = ir.Function(target.llmod, fnty, ENTRY_POINT)
        self.barrier_fn = build_barrier(target.llmod, arch)
        self.record_fn = _build_records(target)
        self.b = ir.IRBuilder(self.fn.append_basic_block("entry"))
        self.ctx, self.tid, self.nthreads, self.nsteps = self.fn.args
        for arg, name in zip(self.fn.args, ("ctx", "tid", "nthreads", "nsteps"), strict=True):
            arg.name = name
        self.step: ir.Value = I64(0)
        self.synced = alloca_once(self.b, I8, "synced")
        self.stop_ptr = self.slot_ptr(RuntimeKey(RuntimeField.STOP))

    def slot_ptr(self, key: SlotKey) -> ir.Value:
        return element(self.b, self.ctx, I64(self.target.layout.slot(key)), I64)

    def value(self, key: SlotKey) -> ir.Value:
        return self.b.load(self.slot_ptr(key), typ=I64)

    def barrier(self) -> None:
        """Wait for every thread; the barrier also publishes the host's STOP flag to all of them."""
        self.b.call(self.barrier_fn, [self.nthreads, self.stop_ptr])
        self.b.store(I8(1), self.synced)

    def thread0(self) -> ir.Value:
        return self.b.icmp_signed("==", self.tid, I64(0))

    def records(self, phase: Phase) -> None:
        """Thread 0 copies the due rows of ``phase``, then a barrier (only if the table has rows)."""
        b = self.b
        with b.if_then(b.icmp_signed(">", self.value(RuntimeKey(RuntimeField.RECORD_COUNT)), I64(0))):
            with b.if_then(self.thread0()):
                b.call(self.record_fn, [self.ctx, self.step, I64(phase.value)])
            self.barrier()

    def kernel(self, kernel: Kernel, stages: tuple[StageFunction, ...], chained: bool = False) -> None:
        """Run the stages of ``kernel``, each followed by a barrier; ``chained``: the last stage delivers
        spikes and so does the next kernel's first stage, so no barrier is needed between them (each
        thread only writes the conductances of the post neurons it owns, in program order)."""
        b = self.b
        gate = self.gate(kernel)
        for n, stage in enumerate(stages):
            with b.if_then(I1(1) if stage.always else gate):
                ptrs = [b.load(self.slot_ptr(k), typ=PTR) for k in stage.slots]
                args = [self.ctx, self.tid, self.nthreads, self.step, *ptrs]
                if stage.parallel:
                    b.call(stage.fn, args)
                else:
                    with b.if_then(self.thread0()):
                        b.call(stage.fn, args)
                if not (chained and n == len(stages) - 1):
                    self.barrier()

    def gate(self, kernel: Kernel) -> ir.Value:
        """Whether ``kernel`` runs this step (the control flags of :class:`nnc.ir.model.Kernel`)."""
        return kernel_gate(self.b, self.target.module, kernel, self.value, self.step)


def kernel_gate(
    b: ir.IRBuilder, m: Module, kernel: Kernel, value: Callable[[SlotKey], ir.Value], step: ir.Value
) -> ir.Value:
    """Whether ``kernel`` runs at step ``step`` (``value`` loads a value slot as ``i64``)."""

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


def build_worker(
    target: Target, arch: str, lowered: list[tuple[Kernel, tuple[StageFunction, ...]]]
) -> ir.Function:
    """Define ``nnc_run`` over the lowered kernels (in module order)."""
    w = _Worker(target, arch)
    b = w.b
    first = w.value(RuntimeKey(RuntimeField.STEP))  # read by every thread before the first barrier
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
    _step(w, lowered)
    b.store(b.add(done, I64(1)), done_slot)
    b.branch(head)
    b.position_at_end(exit_)
    b.ret(b.load(done_slot, typ=I64))
    return w.fn


def _step(w: _Worker, lowered: list[tuple[Kernel, tuple[StageFunction, ...]]]) -> None:
    """One step: kernels, records, and the step counter (at least one barrier, which publishes STOP)."""
    b = w.b
    inputs_recorded = False
    for n, (kernel, stages) in enumerate(lowered):
        if not inputs_recorded and kernel.phase.value > Phase.TRANSMIT.value:
            w.records(Phase.RECORD_INPUTS)
            inputs_recorded = True
        following = lowered[n + 1] if n + 1 < len(lowered) else None
        chained = (
            following is not None
            and kernel.phase is following[0].phase is Phase.TRANSMIT
            and bool(stages)
            and stages[-1].owned
            and bool(following[1])
            and following[1][0].owned
        )
        w.kernel(kernel, stages, chained)
    if not inputs_recorded:
        w.records(Phase.RECORD_INPUTS)
    w.records(Phase.RECORD)
    with b.if_then(b.icmp_unsigned("==", b.load(w.synced, typ=I8), I8(0))):
        w.barrier()
    with b.if_then(w.thread0()):
        b.store(b.add(w.step, I64(1)), w.slot_ptr(RuntimeKey(RuntimeField.STEP)))


# --------------------------------------------------------------------------------------------------
# record table


def _field(b: ir.IRBuilder, row: ir.Value, f: RecordField) -> ir.Value:
    return b.load(element(b, row, I64(f.value), I64), typ=I64)


def _build_records(target: Target) -> ir.Function:
    """``void @nnc.record(ctx, step, phase)``: copy every due row of ``phase`` (RecordField semantics)."""
    fn = ir.Function(target.llmod, ir.FunctionType(ir.VoidType(), [PTR, I64, I64]), "nnc.record")
    fn.linkage = "internal"
    for a in ("noinline", "minsize", "optsize"):  # small copies: not worth vectorised, unrolled code
        fn.attributes.add(a)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ctx, step, phase = fn.args
    layout = target.layout
    table = b.load(element(b, ctx, I64(layout.slot(RuntimeKey(RuntimeField.RECORD_TABLE))), PTR), typ=PTR)
    count = b.load(element(b, ctx, I64(layout.slot(RuntimeKey(RuntimeField.RECORD_COUNT))), I64), typ=I64)
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


def build_module(module: Module, layout: Layout, arch: str) -> ir.Module:
    """The LLVM module of a network: kernel stages, record copier, barrier and ``nnc_run``."""
    llmod = ir.Module(name=module.name)
    target = Target(module, layout, llmod, MathLib(llmod, real_type(module.precision)))
    lowered = [(k, lower_kernel(target, i, k)) for i, k in enumerate(module.kernels)]
    build_worker(target, arch, lowered)
    return llmod
