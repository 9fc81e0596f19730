"""Kernel lowering: each IR kernel becomes internal LLVM functions, one per stage, over ``noalias`` buffers.

A kernel body is cut into *stages*: a run of top-level statements is a serial stage (run by thread 0:
global equations, global operations, delay pushes); a top-level ``ForEach`` (or ``ClearInputs``, or a
timed array's ``TimedStep``) is a parallel stage whose elements are statically partitioned between threads
(:func:`loops.partition`); a neuron loop holding fused delay pushes or global operations is followed by a
serial stage that finishes them (:mod:`nnc.backend.llvm.fused`), a ``TimedStep`` by the serial stage that
advances its counters (:mod:`nnc.backend.llvm.timed`).
The worker calls the stages in order with a barrier between them. A temporary bound in a serial stage
and read by a later one travels through a module global.

A stage function is ``void(ptr ctx, i64 tid, i64 nthreads, i64 step, ptr noalias buf...)``: the worker
loads every buffer address from ``ctx`` once per call and passes it as a ``noalias`` argument, so LLVM
knows distinct attributes never overlap and vectorises element loops. Generated code never holds a
run-time address (DESIGN.md §3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llvmlite import ir

from nnc.backend.abi import BlockPartialKey, ConnField, ConnKey, Layout, SlotKey, SlotKind
from nnc.backend.llvm import fused, spiking, timed
from nnc.backend.llvm.expr import I64, PTR, MathLib
from nnc.backend.llvm.loops import for_range, partition
from nnc.backend.llvm.places import Element, Places, slot_name
from nnc.backend.llvm.statements import StageArgs, StatementLowering
from nnc.diagnostics import BackendError
from nnc.ir.model import Kernel, Module
from nnc.ir.nodes import ClearInputs, ForEach, Let, Spike, Stmt, Temp, TimedStep, stmt_exprs, walk, walk_stmts
from nnc.ir.types import Domain

if TYPE_CHECKING:
    from nnc.backend.ptx.stages import GpuStage


@dataclass(frozen=True, slots=True)
class Stage:
    """A serial run of top-level statements, or one parallel top-level loop; a ``finish`` stage is the
    serial end of the fused work of the loop before it (:func:`nnc.backend.llvm.fused.finish`), of a
    timed array's step or of spike emission. ``always``: runs even when the kernel's gate is closed (the
    spike lists of a disabled population still advance, empty)."""

    parallel: bool
    body: tuple[Stmt, ...]
    finish: bool = False
    always: bool = False


def _finishing(s: Stmt) -> tuple[Stmt, ...]:
    """What the serial stage after the parallel stage of ``s`` finishes (nothing: no such stage)."""
    if isinstance(s, TimedStep):
        return (s,)
    if spiking.contains_spike(s):
        return (*fused.loop_finish(s), s.body[-1])  # type: ignore[attr-defined]
    return fused.loop_finish(s)


def stages_of(kernel: Kernel) -> tuple[Stage, ...]:
    """Cut a kernel body into stages, in program order."""
    stages: list[Stage] = []
    serial: list[Stmt] = []
    for s in kernel.body:
        if isinstance(s, ForEach | ClearInputs | TimedStep):
            if serial:
                stages.append(Stage(False, tuple(serial)))
                serial = []
            stages.append(Stage(True, (s,)))
            done = _finishing(s)
            if done:
                stages.append(Stage(False, done, finish=True, always=isinstance(done[-1], Spike)))
        else:
            serial.append(s)
    if serial:
        stages.append(Stage(False, tuple(serial)))
    return tuple(stages)


#: Event loops partitioned by post neuron (:mod:`nnc.backend.llvm.spiking`).
_DELIVERY = (Domain.PRE_SPIKE, Domain.AXON_SPIKE, Domain.RECENT_SPIKE)


@dataclass(frozen=True, slots=True)
class StageFunction:
    """A lowered stage: its function and the pointer slots it takes after ``(ctx, tid, nthreads, step)``."""

    fn: ir.Function
    parallel: bool
    slots: tuple[SlotKey, ...]
    always: bool = False
    owned: bool = False  # delivers spikes: a thread writes only the conductances of its own post neurons


@dataclass(slots=True)
class Target:
    """What every kernel of one LLVM module shares."""

    module: Module
    layout: Layout
    llmod: ir.Module
    lib: MathLib

    @property
    def real(self) -> ir.Type:
        """LLVM type of ``DType.REAL``."""
        return self.lib.real


def temps_read(stages: Sequence[Stage | GpuStage]) -> set[str]:
    """The temporaries read by the bodies of ``stages`` (CPU or GPU stages)."""
    names: set[str] = set()
    for st in stages:
        for s in walk_stmts(st.body):
            for e in stmt_exprs(s):
                names.update(n.name for n in walk(e) if isinstance(n, Temp))
    return names


@dataclass(slots=True)
class _Shared:
    """Temporaries that cross stages: name -> (module global, register type); ``later``: names read by
    the stages after the one being lowered."""

    globals: dict[str, tuple[ir.GlobalVariable, ir.Type]] = field(default_factory=dict)
    later: set[str] = field(default_factory=set)


def lower_kernel(target: Target, index: int, kernel: Kernel) -> tuple[StageFunction, ...]:
    """Lower every stage of ``kernel`` (the ``index``-th kernel of the module) to a function."""
    stages = stages_of(kernel)
    shared = _Shared()
    out = []
    for n, stage in enumerate(stages):
        shared.later = temps_read(stages[n + 1 :])
        out.append(_lower_stage(target, f"k{index}.{kernel.name}.s{n}", kernel, stage, shared))
    return tuple(out)


def _slots(target: Target, places: Places, stage: Stage) -> tuple[SlotKey, ...]:
    """Pointer slots a stage reads or writes (connectivity arrays its format does not have and scratch
    of unfused global operations left out)."""
    used = [
        k
        for k in places.slots_of(stage.body)
        if not (isinstance(k, ConnKey | BlockPartialKey) and k not in target.layout.slots)
    ]
    for k in used:
        if k not in target.layout.slots:
            raise BackendError(f"kernel {places.kernel.name}: the layout has no slot for {k}")
    return tuple(k for k in used if target.layout.kinds[k] is SlotKind.POINTER)


def _stage_function(target: Target, name: str, slots: tuple[SlotKey, ...]) -> ir.Function:
    fnty = ir.FunctionType(ir.VoidType(), [PTR, I64, I64, I64] + [PTR] * len(slots))
    fn = ir.Function(target.llmod, fnty, name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    for arg, arg_name in zip(fn.args, ("ctx", "tid", "nthreads", "step"), strict=False):
        arg.name = arg_name
    for arg, key in zip(fn.args[4:], slots, strict=True):
        arg.name = slot_name(key)
        arg.add_attribute("noalias")
    return fn


def _lower_stage(target: Target, name: str, kernel: Kernel, stage: Stage, shared: _Shared) -> StageFunction:
    places = Places(target.module, kernel)
    slots = _slots(target, places, stage)
    fn = _stage_function(target, name, slots)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ctx, tid, nthreads, step = fn.args[:4]
    ptrs = dict(zip(slots, fn.args[4:], strict=True))
    lowering = StatementLowering(target, places, b, StageArgs(ctx, step, ptrs))
    top = Element(None, {}, temps=_load_shared(b, shared))
    if stage.parallel:
        _parallel_loop(lowering, stage.body[0], tid, nthreads, top)
    elif stage.finish and isinstance(stage.body[0], TimedStep):
        timed.advance(lowering)
    elif stage.finish:
        fused.finish(lowering, tuple(s for s in stage.body if not isinstance(s, Spike)))
        if isinstance(stage.body[-1], Spike):
            spiking.finish(lowering, nthreads)
    else:
        for s in stage.body:
            lowering.stmt(s, top)
            if isinstance(s, Let) and s.name in shared.later:
                _share(b, f"{name}.%{s.name}", s.name, top.temps[s.name], shared)
    b.ret_void()
    owned = stage.parallel and isinstance(stage.body[0], ForEach) and stage.body[0].domain in _DELIVERY
    return StageFunction(fn, stage.parallel, slots, stage.always, owned)


def _load_shared(b: ir.IRBuilder, shared: _Shared) -> dict[str, ir.Value]:
    return {n: b.load(gv, typ=ty) for n, (gv, ty) in shared.globals.items()}


def _share(b: ir.IRBuilder, gname: str, name: str, value: ir.Value, shared: _Shared) -> None:
    gv = ir.GlobalVariable(b.module, value.type, gname)
    gv.linkage = "internal"
    gv.initializer = ir.Constant(value.type, None)
    b.store(value, gv)
    shared.globals[name] = (gv, value.type)


def _parallel_loop(
    lw: StatementLowering, loop: Stmt, tid: ir.Value, nthreads: ir.Value, top: Element
) -> None:
    b = lw.b
    match loop:
        case ClearInputs():
            begin, end = partition(b, I64(lw.places.population.size), tid, nthreads)
            lw.clear_range(loop, begin, end)
            return
        case TimedStep():
            begin, end = partition(b, I64(lw.places.population.size), tid, nthreads)
            timed.copy_rows(lw, loop, begin, end)
            return
        case ForEach(domain=Domain.NEURON) if fused.needs_blocks(loop, lw.places.population):
            fused.blocked_loop(lw, loop, tid, nthreads, top)
            return
        case ForEach(domain=Domain.NEURON):
            begin, end = partition(b, I64(lw.places.population.size), tid, nthreads)
            fused.neuron_range(lw, loop, begin, end, top)
            if spiking.contains_spike(loop):
                spiking.compact(lw, begin, end, tid)
            return
        case ForEach(domain=Domain.PRE_SPIKE | Domain.AXON_SPIKE | Domain.RECENT_SPIKE):
            spiking.pre_spikes(lw, loop, tid, nthreads, top)
            return
        case ForEach(domain=Domain.POST_SPIKE):
            spiking.post_spikes(lw, loop, tid, nthreads, top)
            return
        case ForEach(domain=Domain.DENDRITE):
            n = lw.conn_value(ConnField.N_DENDRITES)
        case _:
            raise BackendError(f"kernel {lw.places.kernel.name}: {loop} cannot be a kernel's outer loop")
    begin, end = partition(b, n, tid, nthreads)
    with for_range(b, begin, end) as i:
        lw.loop_body(loop, i, top)
