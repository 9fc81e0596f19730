"""Kernel lowering: each IR kernel becomes internal LLVM functions, one per stage, over ``noalias`` buffers.

A kernel body is cut into *stages*: a run of top-level statements is a serial stage (run by thread 0:
global equations, global operations, delay pushes); a top-level ``ForEach`` (or ``ClearInputs``, or a
timed array's ``TimedStep``) is a parallel stage whose elements are statically partitioned between threads
(:func:`loops.partition`); a neuron loop holding fused delay pushes or global operations is followed by a
serial stage that finishes them (:mod:`nnc.backend.llvm.fused`), a ``TimedStep`` by the serial stage that
advances its counters (:mod:`nnc.backend.llvm.timed`).
The worker calls the stages in order with a barrier between them. A temporary bound in a serial stage
and read by a later one travels through a module global.

Kernels are lowered from their canonical module (:mod:`nnc.backend.sharing`): one set of stage functions
serves every kernel of a class. A stage is an external function
``void(ptr ctx, i64 tid, i64 nthreads, i64 step, ptr desc)``; ``desc`` is the instance's descriptor, whose
entries give the context slot of each buffer and value the stage touches, and the instance's random
streams. It loads every buffer address (``ctx[desc[i]]``) and calls the stage's body, an internal
function taking them as ``noalias`` arguments, so LLVM knows distinct attributes never overlap and
vectorises element loops. Generated code never holds a run-time address or a slot number
(DESIGN.md §3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from llvmlite import ir

from nnc.backend.abi import BlockPartialKey, ConnField, ConnKey, Layout, SlotKey, SlotKind
from nnc.backend.llvm import fused, spiking, timed
from nnc.backend.llvm.expr import I64, PTR, MathLib, element
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
class StageInfo:
    """How the step loop runs a stage (known from the IR, without lowering it).

    ``parallel``: every thread calls it (else thread 0); ``always``: it runs even when the kernel's gate
    is closed; ``owned``: it delivers spikes, and a thread writes only the conductances of its own post
    neurons (two such stages in a row need no barrier between them).
    """

    parallel: bool
    always: bool = False
    owned: bool = False


def stage_infos(kernel: Kernel) -> tuple[StageInfo, ...]:
    """How each stage of ``kernel`` runs."""
    return tuple(_info(st) for st in stages_of(kernel))


def _info(stage: Stage) -> StageInfo:
    first = stage.body[0]
    owned = stage.parallel and isinstance(first, ForEach) and first.domain in _DELIVERY
    return StageInfo(stage.parallel, stage.always, owned)


def stage_symbol(prefix: str, n: int) -> str:
    """Name of the external function of stage ``n`` of the kernel class named ``prefix``."""
    return f"{prefix}.s{n}"


@dataclass(slots=True)
class Target:
    """What the lowering of one kernel class sees: its canonical module and layout (descriptor
    entries, :mod:`nnc.backend.sharing`), the LLVM module it is lowered into and its math library."""

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


def lower_kernel(target: Target, prefix: str, name: str | None = None) -> tuple[ir.Function, ...]:
    """Lower every stage of the canonical module's kernel to an external function named
    :func:`stage_symbol` ``(prefix, n)``; errors name the kernel ``name`` (an instance's name)."""
    kernel = target.module.kernels[0]
    if name is not None:
        kernel = replace(kernel, name=name)  # messages only: generated code never holds a kernel name
    stages = stages_of(kernel)
    shared = _Shared()
    out = []
    for n, stage in enumerate(stages):
        shared.later = temps_read(stages[n + 1 :])
        out.append(_lower_stage(target, stage_symbol(prefix, n), kernel, stage, shared))
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


#: The leading arguments of a stage function and of its body.
_STAGE_ARGS = ("ctx", "tid", "nthreads", "step", "desc")


def _stage_body(target: Target, name: str, slots: tuple[SlotKey, ...]) -> ir.Function:
    fnty = ir.FunctionType(ir.VoidType(), [PTR, I64, I64, I64, PTR] + [PTR] * len(slots))
    fn = ir.Function(target.llmod, fnty, name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    for arg, arg_name in zip(fn.args, _STAGE_ARGS, strict=False):
        arg.name = arg_name
    fn.args[4].add_attribute("noalias")  # the descriptor: never written while the network runs
    for arg, key in zip(fn.args[5:], slots, strict=True):
        arg.name = slot_name(key)
        arg.add_attribute("noalias")
    return fn


def _stage_entry(target: Target, name: str, body: ir.Function, slots: tuple[SlotKey, ...]) -> ir.Function:
    """``void name(ctx, tid, nthreads, step, desc)``: load the buffer addresses, call the body."""
    fn = ir.Function(target.llmod, ir.FunctionType(ir.VoidType(), [PTR, I64, I64, I64, PTR]), name)
    fn.attributes.add("nounwind")
    for arg, arg_name in zip(fn.args, _STAGE_ARGS, strict=True):
        arg.name = arg_name
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ctx, desc = fn.args[0], fn.args[4]
    ptrs = []
    for key in slots:
        slot = b.load(element(b, desc, I64(target.layout.slot(key)), I64), typ=I64)
        ptrs.append(b.load(element(b, ctx, slot, I64), typ=PTR, name=slot_name(key)))
    b.call(body, [*fn.args, *ptrs])
    b.ret_void()
    return fn


def _lower_stage(target: Target, name: str, kernel: Kernel, stage: Stage, shared: _Shared) -> ir.Function:
    places = Places(target.module, kernel)
    slots = _slots(target, places, stage)
    fn = _stage_body(target, f"{name}.body", slots)
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    ctx, tid, nthreads, step, desc = fn.args[:5]
    ptrs = dict(zip(slots, fn.args[5:], strict=True))
    lowering = StatementLowering(target, places, b, StageArgs(ctx, step, ptrs, desc))
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
    return _stage_entry(target, name, fn, slots)


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
