"""GPU kernels as LLVM IR, for the NVPTX target or for the host (emulation).

Every GPU stage (:mod:`nnc.backend.ptx.stages`) becomes two functions:

* the *body* ``internal alwaysinline void @name.body(ptr ctx, i64 tid, i64 ntid, i64 ctaid, i64 nctaid,
  i64 step, ptr noalias buf...)``, lowered by the CPU backend's statement and expression code plus the
  GPU loop structure; it is the same code for both flavours;
* the *kernel*, which reads the step from ``ctx``, tests the kernel's run-time gate, loads the buffer
  addresses from ``ctx`` and calls the body:

  - :attr:`Flavour.NVPTX`: ``ptx_kernel void @name(ptr ctx)`` marked in ``nvvm.annotations``; the thread
    and block indices are ``llvm.nvvm.read.ptx.sreg.*``; buffer addresses are cast to the global
    address space (``addrspace(1)``), so loads and stores become ``ld.global``/``st.global``;
  - :attr:`Flavour.HOST`: ``void @name(ptr ctx, i64 grid, i64 block, i64 reverse)`` runs the body for
    every block and every thread of the grid in order (``reverse != 0``: the last block and thread
    first): the indices are loop variables, atomics are host atomics, and a launch runs the whole grid
    (which is what the GPU does, in some order; code whose result depends on that order shows it when
    the order is reversed).

Generated code never holds an address: the context array (device addresses on a GPU) supplies them, as
on the CPU (DESIGN.md §3). Besides the stages, the module has the record kernels (a parallel copy of
every due record-table row, then a one-thread kernel that advances the rows' counters) and the step
kernel (``STEP += 1``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from llvmlite import ir

from nnc.backend.abi import (
    MAX_THREADS,
    RECORD_FIELDS,
    BlockPartialKey,
    ConnField,
    ConnKey,
    ElemCode,
    InputKey,
    Layout,
    RecordField,
    RuntimeField,
    RuntimeKey,
    SlotKey,
    SlotKind,
    SpikeField,
    SpikeKey,
)
from nnc.backend.llvm import fused, globalops, spiking, timed
from nnc.backend.llvm.access import At
from nnc.backend.llvm.expr import I8, I32, I64, PTR, MathLib, element, real_type, storage_type
from nnc.backend.llvm.kernels import Target, temps_read
from nnc.backend.llvm.loops import alloca_once, for_range
from nnc.backend.llvm.places import Element, Places, Role, slot_name
from nnc.backend.llvm.reduce import LANES, REDUCE_OPS, combine_lanes, finish_mean, zero_if_empty
from nnc.backend.llvm.statements import StageArgs, StatementLowering
from nnc.backend.llvm.worker import _due, _field, kernel_gate
from nnc.backend.ptx.mathlib import LibdeviceMath
from nnc.backend.ptx.stages import (
    BLOCK_JOBS,
    ORDERED_JOBS,
    SERIAL_JOBS,
    SPIKE_CHUNK,
    GpuChoices,
    GpuStage,
    Job,
    contains_spike,
    gpu_stages,
)
from nnc.diagnostics import BackendError
from nnc.ir.model import Kernel, Module
from nnc.ir.nodes import Assign, ForEach, Let, Reduce, ReduceOp, Stmt
from nnc.ir.types import Domain, DType, Enum, Phase


class Flavour(Enum):
    """What the GPU kernels are compiled for."""

    NVPTX = "nvptx"
    HOST = "host"


GLOBAL_AS = 1  # NVPTX global address space

NVPTX_TRIPLE = "nvptx64-nvidia-cuda"
NVPTX_DATALAYOUT = "e-i64:64-i128:128-v16:16-v32:32-n16:32:64"


class Size(Enum):
    """How many threads or blocks a launch needs, evaluated by the engine from the buffers."""

    ONE = "one"
    NEURONS = "neurons"  # owner population's size
    BLOCKS = "blocks"  # global-operation blocks of the owner population
    DENDRITES = "dendrites"  # n_dendrites of the owner projection
    DENDRITE_LANES = "dendrite_lanes"  # 8 threads per dendrite of the owner projection
    CHUNKS = "chunks"  # chunks of SPIKE_CHUNK neurons of the owner population
    PRE_SPIKES = "pre_spikes"  # blocks: pre population size; threads: mean pre->post row length
    POST_SPIKES = "post_spikes"  # blocks: post population size; threads: mean dendrite length
    POST_OWNERS = "post_owners"  # post population size / 8 (post-partitioned delivery)
    POST_NEURONS = "post_neurons"  # post population size
    RECORDS = "records"  # the longest record-table row


@dataclass(frozen=True, slots=True)
class Launch:
    """One kernel launch of a step: the kernel's name, the size rule of its grid and the owner id the
    rule refers to; ``phase``: the record phase of a record kernel (else None)."""

    name: str
    size: Size
    owner: int = -1
    pre: int = -1
    post: int = -1


@dataclass(frozen=True, slots=True)
class Scratch:
    """A buffer only the GPU kernels use: the weighted-sum partials of projection ``owner`` (``count``
    sums: ``count * n_dendrites * 8`` reals), or (``spikes``) the per-chunk spike counts of population
    ``owner`` (``count`` int64 words)."""

    owner: int
    count: int
    spikes: bool = False


@dataclass(slots=True)
class GpuModule:
    """An LLVM module of GPU kernels and the launches of one step, in order."""

    llmod: ir.Module
    flavour: Flavour
    step: tuple[Launch, ...]
    #: record kernels by phase (copy, bump), launched only while the record table has rows
    records: dict[int, tuple[Launch, Launch]] = field(default_factory=dict)
    #: the kernels launched after each record phase's kernels
    record_after: dict[int, int] = field(default_factory=dict)
    #: device buffers of the GPU kernels only; the device context holds their addresses after the
    #: layout's slots
    scratch: tuple[Scratch, ...] = ()

    def kernel_names(self) -> list[str]:
        """Every kernel of the module."""
        names = [launch.name for launch in self.step]
        for pair in self.records.values():
            names += [launch.name for launch in pair]
        return names


# --------------------------------------------------------------------------------------------------
# thread indices and loops


@dataclass(frozen=True, slots=True)
class Grid:
    """The thread's indices (``i64``): thread in block, threads per block, block, blocks."""

    tid: ir.Value
    ntid: ir.Value
    ctaid: ir.Value
    nctaid: ir.Value

    def gid(self, b: ir.IRBuilder) -> ir.Value:
        """Global thread index."""
        return b.add(b.mul(self.ctaid, self.ntid), self.tid)

    def size(self, b: ir.IRBuilder) -> ir.Value:
        """Threads in the grid."""
        return b.mul(self.ntid, self.nctaid)


@contextlib.contextmanager
def stride(b: ir.IRBuilder, start: ir.Value, stop: ir.Value, step: ir.Value) -> Iterator[ir.Value]:
    """``for i in range(start, stop, step)`` with a run-time ``step > 0`` (grid- and block-stride loops)."""
    pre = b.block
    head = b.append_basic_block("stride.head")
    body = b.append_basic_block("stride.body")
    end = b.append_basic_block("stride.end")
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(start.type, name="g")
    i.add_incoming(start, pre)
    b.cbranch(b.icmp_signed("<", i, stop), body, end)
    b.position_at_end(body)
    yield i
    i.add_incoming(b.add(i, step), b.block)
    b.branch(head)
    b.position_at_end(end)


# --------------------------------------------------------------------------------------------------
# statement lowering with atomic accumulations


class GpuLowering(StatementLowering):
    """The CPU statement lowering, with some assignments ``x = x + e`` lowered as atomic adds, and some
    weighted sums read from the partials of a :attr:`Job.SUM_LANES` launch."""

    atomic: tuple[Stmt, ...] = ()
    lanes: tuple[Let, ...] = ()
    scratch: ir.Value | None = None

    def stmt(self, s: Stmt, el: Element) -> None:
        """Lower ``s`` (atomically if it is one of :attr:`atomic`)."""
        if isinstance(s, Assign) and any(s is a for a in self.atomic):
            self._atomic_add(s, el)
            return
        if isinstance(s, Let) and any(s is a for a in self.lanes):
            el.temps[s.name] = self._combined(s, el)
            return
        super().stmt(s, el)

    def _combined(self, s: Let, el: Element) -> ir.Value:
        """The weighted sum ``s`` of dendrite ``el``: its 8 lane partials combined in the CPU's order."""
        b = self.b
        assert isinstance(s.value, Reduce)
        assert self.scratch is not None
        assert el.row is not None
        r = next(n for n, a in enumerate(self.lanes) if a is s)
        d = el.at[Role.DENDRITE].index
        base = _partial_index(b, self.conn_value(ConnField.N_DENDRITES), r, d, I64(0))
        vty = ir.VectorType(self.real, LANES)
        ptr = element(b, self.scratch, base, self.real)
        partials = b.load(ptr, typ=vty, align=LANES * (8 if isinstance(self.real, ir.DoubleType) else 4))
        red = REDUCE_OPS[s.value.op]
        total = combine_lanes(b, self.target.lib, red, partials)
        n = el.row.count(b)
        match s.value.op:
            case ReduceOp.MEAN:
                return finish_mean(b, self.real, total, n)
            case ReduceOp.MAX | ReduceOp.MIN:
                return zero_if_empty(b, self.real, total, n)
        return total

    def _atomic_add(self, s: Assign, el: Element) -> None:
        from nnc.backend.ptx.stages import _accumulated

        increment = _accumulated(s)
        assert increment is not None
        key, at = self._target(s.target, el)
        dtype = s.target.dtype
        value = self.lowering(el).as_type(increment, dtype)
        assert at is not None
        assert el.width == 1
        ptr = element(self.b, self.ptrs[key], at.index, storage_type(dtype, self.real))
        self.b.atomic_rmw("fadd" if dtype is DType.REAL else "add", ptr, value, "monotonic")


# --------------------------------------------------------------------------------------------------
# stage bodies


@dataclass(slots=True)
class _Shared:
    """Temporaries bound in a serial stage and read by later ones travel through module globals."""

    globals: dict[str, tuple[ir.GlobalVariable, ir.Type]] = field(default_factory=dict)
    later: set[str] = field(default_factory=set)


def _sanitise(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


class _Builder:
    """Builds the kernels of one GPU module."""

    def __init__(self, module: Module, layout: Layout, flavour: Flavour, choices: GpuChoices):
        self.module = module
        self.choices = choices
        self.scratch: list[Scratch] = []
        self._scratch_of: dict[object, int] = {}
        self.layout = layout
        self.flavour = flavour
        self.llmod = ir.Module(name=module.name)
        if flavour is Flavour.NVPTX:
            self.llmod.triple = NVPTX_TRIPLE
            self.llmod.data_layout = NVPTX_DATALAYOUT
            lib: MathLib = LibdeviceMath(self.llmod, real_type(module.precision))
        else:
            lib = MathLib(self.llmod, real_type(module.precision))
        self.target = Target(module, layout, self.llmod, lib)
        self.kernels: list[ir.Function] = []
        self._sreg: dict[str, ir.Function] = {}

    # ------------------------------------------------------------------ functions
    def body_function(self, name: str, slots: tuple[SlotKey, ...]) -> ir.Function:
        fnty = ir.FunctionType(ir.VoidType(), [PTR, I64, I64, I64, I64, I64] + [PTR] * len(slots))
        fn = ir.Function(self.llmod, fnty, f"{name}.body")
        fn.linkage = "internal"
        fn.attributes.add("nounwind")
        fn.attributes.add("alwaysinline")
        for arg, arg_name in zip(fn.args, ("ctx", "tid", "ntid", "ctaid", "nctaid", "step"), strict=False):
            arg.name = arg_name
        for arg, key in zip(fn.args[6:], slots, strict=True):
            arg.name = slot_name(key)
            arg.add_attribute("noalias")
        return fn

    def _value(self, b: ir.IRBuilder, ctx: ir.Value, key: SlotKey) -> ir.Value:
        return b.load(element(b, ctx, I64(self.layout.slot(key)), I64), typ=I64)

    def _pointer(self, b: ir.IRBuilder, ctx: ir.Value, key: SlotKey) -> ir.Value:
        return self.pointer_at(b, ctx, self.layout.slot(key))

    def pointer_at(self, b: ir.IRBuilder, ctx: ir.Value, slot: int) -> ir.Value:
        """The buffer address in context slot ``slot`` (a global pointer on the GPU)."""
        addr = element(b, ctx, I64(slot), I64)
        if self.flavour is Flavour.HOST:
            return b.load(addr, typ=PTR)
        # loaded as a global pointer, then made generic for the shared lowering: LLVM's address-space
        # inference carries the global space to every access (ld.global / st.global)
        glob = ir.PointerType(addrspace=GLOBAL_AS)
        return b.addrspacecast(b.load(addr, typ=glob), PTR)

    def _sreg_value(self, b: ir.IRBuilder, name: str) -> ir.Value:
        fn = self._sreg.get(name)
        if fn is None:
            fn = ir.Function(self.llmod, ir.FunctionType(I32, []), f"llvm.nvvm.read.ptx.sreg.{name}")
            self._sreg[name] = fn
        return b.zext(b.call(fn, []), I64)

    def kernel(
        self,
        name: str,
        body: ir.Function,
        slots: tuple[SlotKey, ...],
        gate: Kernel | None,
        always: bool = False,
    ) -> ir.Function:
        """The kernel around ``body`` for this module's flavour."""
        host = self.flavour is Flavour.HOST
        args = [PTR, I64, I64, I64] if host else [PTR]
        fn = ir.Function(self.llmod, ir.FunctionType(ir.VoidType(), args), name)
        fn.args[0].name = "ctx"
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        ctx = fn.args[0]
        step = self._value(b, ctx, RuntimeKey(RuntimeField.STEP))
        if gate is not None and not always:
            on = kernel_gate(b, self.module, gate, lambda k: self._value(b, ctx, k), step)
            with b.if_then(b.not_(on)):
                b.ret_void()
        ptrs = [self._pointer(b, ctx, k) for k in slots]
        if host:
            grid, block, reverse = fn.args[1], fn.args[2], fn.args[3]
            grid.name, block.name, reverse.name = "grid", "block", "reverse"
            backwards = b.icmp_signed("!=", reverse, I64(0))
            with for_range(b, I64(0), grid) as c, for_range(b, I64(0), block) as t:
                c = b.select(backwards, b.sub(b.sub(grid, I64(1)), c), c)
                t = b.select(backwards, b.sub(b.sub(block, I64(1)), t), t)
                b.call(body, [ctx, t, block, c, grid, step, *ptrs])
        else:
            fn.calling_convention = "ptx_kernel"
            idx = [self._sreg_value(b, n) for n in ("tid.x", "ntid.x", "ctaid.x", "nctaid.x")]
            b.call(body, [ctx, *idx, step, *ptrs])
            self.llmod.add_named_metadata("nvvm.annotations", [fn, "kernel", I32(1)])
        b.ret_void()
        self.kernels.append(fn)
        return fn

    # ------------------------------------------------------------------ slots
    def slots(self, places: Places, body: tuple[Stmt, ...]) -> tuple[SlotKey, ...]:
        used = [
            k
            for k in places.slots_of(body)
            if not (isinstance(k, ConnKey | BlockPartialKey) and k not in self.layout.slots)
        ]
        for k in used:
            if k not in self.layout.slots:
                raise BackendError(f"kernel {places.kernel.name}: the layout has no slot for {k}")
        return tuple(k for k in used if self.layout.kinds[k] is SlotKind.POINTER)

    def _scratch_index(self, stage: GpuStage) -> int:
        """The scratch buffer of a stage (shared by the launches of a dendrite loop's weighted sums, or of
        a population's ordered spike list)."""
        if stage.lanes:
            key: object = id(stage.lanes)
            entry = Scratch(stage.kernel.owner_id, len(stage.lanes))
        else:
            key = ("spikes", stage.kernel.owner_id)
            size = self.module.populations[stage.kernel.owner_id].size
            entry = Scratch(stage.kernel.owner_id, 2 * _chunks(size), spikes=True)
        if key not in self._scratch_of:
            self._scratch_of[key] = len(self.scratch)
            self.scratch.append(entry)
        return self._scratch_of[key]

    # ------------------------------------------------------------------ stages
    def stage(self, name: str, stage: GpuStage, shared: _Shared) -> Launch:
        places = Places(self.module, stage.kernel)
        slots = self.slots(places, stage.body)
        fn = self.body_function(name, slots)
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        ctx, tid, ntid, ctaid, nctaid, step = fn.args[:6]
        ptrs = dict(zip(slots, fn.args[6:], strict=True))
        lw = GpuLowering(self.target, places, b, StageArgs(ctx, step, ptrs))
        lw.atomic = stage.atomic
        if stage.lanes or stage.job in ORDERED_JOBS:
            lw.lanes = stage.lanes
            lw.scratch = self.pointer_at(b, ctx, self.layout.size + self._scratch_index(stage))
        grid = Grid(tid, ntid, ctaid, nctaid)
        top = Element(None, {}, temps={n: b.load(gv, typ=ty) for n, (gv, ty) in shared.globals.items()})
        _lower_body(lw, stage, grid, top, shared, name)
        b.ret_void()
        self.kernel(name, fn, slots, stage.kernel, stage.always)
        return _launch_of(self.module, name, stage)


def _lower_body(
    lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element, shared: _Shared, name: str
) -> None:
    b = lw.b
    if stage.job in SERIAL_JOBS:
        with b.if_then(b.icmp_signed("==", grid.gid(b), I64(0))):
            _serial_body(lw, stage, top, shared, name)
        return
    rule = _PARALLEL.get(stage.job)
    if rule is None:
        raise BackendError(f"GPU: no lowering for stage job {stage.job.value}")
    rule(lw, stage, grid, top)


def _serial_body(lw: GpuLowering, stage: GpuStage, top: Element, shared: _Shared, name: str) -> None:
    b, body = lw.b, stage.body
    match stage.job:
        case Job.FINISH:
            fused.finish(lw, body)
        case Job.TIMED_ADVANCE:
            timed.advance(lw)
        case Job.SPIKES:
            _publish(lw)
        case Job.SPIKE_SCAN:
            _spike_scan(lw)
        case _:
            for s in body:
                lw.stmt(s, top)
                if isinstance(s, Let) and s.name in shared.later:
                    value = top.temps[s.name]
                    gv = ir.GlobalVariable(b.module, value.type, f"{name}.{s.name}")
                    gv.linkage = "internal"
                    gv.initializer = ir.Constant(value.type, None)
                    b.store(value, gv)
                    shared.globals[s.name] = (gv, value.type)


def _neurons(lw: GpuLowering) -> ir.Value:
    return I64(lw.places.population.size)


def _neuron_loop(lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element) -> None:
    b = lw.b
    with stride(b, grid.gid(b), _neurons(lw), grid.size(b)) as i:
        lw.loop_body(stage.body[0], i, top)  # type: ignore[arg-type]
        if contains_spike(stage) and not stage.ordered:
            _append_spike(lw, i)


def _dendrite_loop(lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element) -> None:
    b = lw.b
    with stride(b, grid.gid(b), lw.conn_value(ConnField.N_DENDRITES), grid.size(b)) as d:
        lw.loop_body(stage.body[0], d, top)  # type: ignore[arg-type]


def _dendrite_element(lw: GpuLowering, d: ir.Value, top: Element) -> Element:
    """Dendrite ``d``'s element, as the CPU's dendrite loop builds it."""
    b = lw.b
    conn, desc = lw.connectivity()
    post = conn.load(ConnField.POST_RANK, d, I32)
    at = {Role.DENDRITE: At(d), Role.POST: At(post)}
    return top.inner(Domain.DENDRITE, at, (b.trunc(post, I32), I32(0)), row=desc.row(conn, d))


def _partial_index(b: ir.IRBuilder, n_dendrites: ir.Value, r: int, d: ir.Value, lane: ir.Value) -> ir.Value:
    """Where lane ``lane`` of weighted sum ``r`` of dendrite ``d`` keeps its partial."""
    return b.add(b.mul(b.add(b.mul(I64(r), n_dendrites), d), I64(LANES)), lane)


def _sum_lanes(lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element) -> None:
    """8 threads per dendrite: thread ``l`` folds positions ``l, l + 8, ...`` of the row (lane ``l`` of the
    CPU's accumulator, :mod:`nnc.backend.llvm.reduce`) and stores the partial for the dendrite loop."""
    b, lib, scratch = lw.b, lw.target.lib, lw.scratch
    assert scratch is not None
    conn, desc = lw.connectivity()
    n_dendrites = lw.conn_value(ConnField.N_DENDRITES)
    with stride(b, grid.gid(b), b.mul(n_dendrites, I64(LANES)), grid.size(b)) as g:
        d, lane = b.lshr(g, I64(3)), b.and_(g, I64(LANES - 1))
        el = _dendrite_element(lw, d, top)
        row = el.row
        assert row is not None
        for r, let in enumerate(stage.lanes):
            node = let.value
            assert isinstance(node, Reduce)
            red = REDUCE_OPS[node.op]
            acc = alloca_once(b, lw.real, name="partial")
            b.store(ir.Constant(lw.real, red.identity), acc)
            with for_range(b, lane, row.count(b), LANES) as p:
                slot = row.slot(b, p)
                pre = desc.pre_rank(conn, slot, b.sub(slot, row.begin))
                at = {Role.SELF: At(slot), Role.PRE: At(pre)}
                syn = el.inner(Domain.SYNAPSE, at, (el.counter[0], b.trunc(pre, I32)))
                value = lw.lowering(syn).real(node.value)
                b.store(red.combine(b, lib, b.load(acc, typ=lw.real), value), acc)
            cell = element(b, scratch, _partial_index(b, n_dendrites, r, d, lane), lw.real)
            b.store(b.load(acc, typ=lw.real), cell)


def _clear(lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element) -> None:
    b = lw.b
    with stride(b, grid.gid(b), _neurons(lw), grid.size(b)) as i:
        for t in stage.body[0].targets:  # type: ignore[attr-defined]
            key = InputKey(lw.places.population.id, t)
            lw.write(key, DType.REAL, At(i), ir.Constant(lw.real, 0.0))


def _timed(lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element) -> None:
    b = lw.b
    with stride(b, grid.gid(b), _neurons(lw), grid.size(b)) as i:
        timed.copy_rows(lw, stage.body[0], i, b.add(i, I64(1)))  # type: ignore[arg-type]


def _push(lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element) -> None:
    b = lw.b
    with stride(b, grid.gid(b), _neurons(lw), grid.size(b)) as i:
        el = top.inner(Domain.NEURON, {Role.SELF: At(i)}, (b.trunc(i, I32), I32(0)))
        fused.push_element(lw, stage.body[0], el)  # type: ignore[arg-type]


def _partials(lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element) -> None:
    b, size = lw.b, lw.places.population.size
    nblocks = I64(globalops.block_count(size))
    with stride(b, grid.gid(b), nblocks, grid.size(b)) as blk:
        start = b.mul(blk, I64(globalops.BLOCK))
        stop = b.add(start, I64(globalops.BLOCK))
        stop = b.select(b.icmp_signed("<", stop, I64(size)), stop, I64(size))
        for s in stage.body:
            globalops.write_partial(lw, s, start, stop)  # type: ignore[arg-type]


def _owned_delivery(lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element) -> None:
    b = lw.b
    spiking.pre_spikes(lw, stage.body[0], grid.gid(b), grid.size(b), top)  # type: ignore[arg-type]


def _owned_post_events(lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element) -> None:
    b = lw.b
    spiking.post_spikes(lw, stage.body[0], grid.gid(b), grid.size(b), top)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# spikes


def _append_spike(lw: StatementLowering, i: ir.Value) -> None:
    """After neuron ``i``'s update: append its rank to the step's list (and the axonal list) with an
    atomic counter (``THREAD[0]``, ``THREAD[MAX_THREADS]``, zero at the start of the step)."""
    b, pop = lw.b, lw.places.population
    pid = pop.id
    flags = b.zext(b.load(element(b, lw.ptrs[SpikeKey(pid, SpikeField.FLAGS)], i, I8), typ=I8), I64)
    thread = lw.ptrs[SpikeKey(pid, SpikeField.THREAD)]
    rank = b.trunc(i, I32)
    base = b.mul(spiking._next_slot(lw, pid), I64(pop.size))
    with b.if_then(b.icmp_unsigned("!=", b.and_(flags, I64(1)), I64(0))):
        pos = b.atomic_rmw("add", element(b, thread, I64(0), I64), I64(1), "monotonic")
        b.store(rank, element(b, lw.ptrs[SpikeKey(pid, SpikeField.RING)], b.add(base, pos), I32))
    if not spiking.has_axonal_ring(lw, pid):
        return
    with b.if_then(b.icmp_unsigned("!=", b.and_(flags, I64(2)), I64(0))):
        pos = b.atomic_rmw("add", element(b, thread, I64(MAX_THREADS), I64), I64(1), "monotonic")
        b.store(rank, element(b, lw.ptrs[SpikeKey(pid, SpikeField.AXON)], b.add(base, pos), I32))


def _chunks(size: int) -> int:
    return -(-size // SPIKE_CHUNK)


def _chunk_loop(lw: GpuLowering, grid: Grid, body) -> None:
    """``body(c, start, stop)`` for every chunk ``c`` of :data:`SPIKE_CHUNK` neurons, over the grid."""
    b, size = lw.b, lw.places.population.size
    with stride(b, grid.gid(b), I64(_chunks(size)), grid.size(b)) as c:
        start = b.mul(c, I64(SPIKE_CHUNK))
        stop = b.add(start, I64(SPIKE_CHUNK))
        body(c, start, b.select(b.icmp_signed("<", stop, I64(size)), stop, I64(size)))


def _flag_bits(lw: GpuLowering, i: ir.Value) -> tuple[ir.Value, ir.Value]:
    """Whether neuron ``i`` spiked, and whether it sent an axonal spike (``i64`` 0 or 1)."""
    b = lw.b
    flags = lw.ptrs[SpikeKey(lw.places.population.id, SpikeField.FLAGS)]
    f = b.zext(b.load(element(b, flags, i, I8), typ=I8), I64)
    return b.and_(f, I64(1)), b.and_(b.lshr(f, I64(1)), I64(1))


def _spike_count(lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element) -> None:
    """Ordered spike lists, 1/3: the spikes (and axonal spikes) of each chunk of neurons."""
    b, scratch, chunks = lw.b, lw.scratch, _chunks(lw.places.population.size)
    assert scratch is not None

    def count(c: ir.Value, start: ir.Value, stop: ir.Value) -> None:
        n, na = alloca_once(b, I64, "n"), alloca_once(b, I64, "na")
        b.store(I64(0), n)
        b.store(I64(0), na)
        with for_range(b, start, stop) as i:
            spike, axon = _flag_bits(lw, i)
            b.store(b.add(b.load(n, typ=I64), spike), n)
            b.store(b.add(b.load(na, typ=I64), axon), na)
        b.store(b.load(n, typ=I64), element(b, scratch, c, I64))
        b.store(b.load(na, typ=I64), element(b, scratch, b.add(c, I64(chunks)), I64))

    _chunk_loop(lw, grid, count)


def _spike_scan(lw: GpuLowering) -> None:
    """Ordered spike lists, 2/3 (one thread): the counts become each chunk's first position, and the
    totals go where :func:`_publish` reads the atomic counters."""
    b, scratch, chunks = lw.b, lw.scratch, _chunks(lw.places.population.size)
    assert scratch is not None
    thread = lw.ptrs[SpikeKey(lw.places.population.id, SpikeField.THREAD)]
    for first, column in ((0, 0), (chunks, MAX_THREADS)):
        total = alloca_once(b, I64, "total")
        b.store(I64(0), total)
        with for_range(b, I64(first), I64(first + chunks)) as c:
            cell = element(b, scratch, c, I64)
            before = b.load(total, typ=I64)
            b.store(b.add(before, b.load(cell, typ=I64)), total)
            b.store(before, cell)
        b.store(b.load(total, typ=I64), element(b, thread, I64(column), I64))


def _spike_write(lw: GpuLowering, stage: GpuStage, grid: Grid, top: Element) -> None:
    """Ordered spike lists, 3/3: each chunk writes its ranks, in order, from its first position."""
    b, scratch, pop = lw.b, lw.scratch, lw.places.population
    assert scratch is not None
    chunks = _chunks(pop.size)
    ring = lw.ptrs[SpikeKey(pop.id, SpikeField.RING)]
    axon = lw.ptrs[SpikeKey(pop.id, SpikeField.AXON)]
    base = b.mul(spiking._next_slot(lw, pop.id), I64(pop.size))

    def write(c: ir.Value, start: ir.Value, stop: ir.Value) -> None:
        pos, apos = alloca_once(b, I64, "pos"), alloca_once(b, I64, "apos")
        b.store(b.load(element(b, scratch, c, I64), typ=I64), pos)
        b.store(b.load(element(b, scratch, b.add(c, I64(chunks)), I64), typ=I64), apos)
        with for_range(b, start, stop) as i:
            spike, axonal = _flag_bits(lw, i)
            rank = b.trunc(i, I32)
            lists = ((spike, pos, ring, base), (axonal, apos, axon, base))
            for bit, at, buf, offset in lists if spiking.has_axonal_ring(lw, pop.id) else lists[:1]:
                with b.if_then(b.icmp_unsigned("!=", bit, I64(0))):
                    p = b.load(at, typ=I64)
                    b.store(rank, element(b, buf, b.add(offset, p), I32))
                    b.store(b.add(p, I64(1)), at)

    _chunk_loop(lw, grid, write)


def _publish(lw: StatementLowering) -> None:
    """Publish the step's lists (the counters of :func:`_append_spike`, then reset them)."""
    b, pid = lw.b, lw.places.population.id
    thread = lw.ptrs[SpikeKey(pid, SpikeField.THREAD)]
    counts = []
    for column in (0, MAX_THREADS):
        cell = element(b, thread, I64(column), I64)
        counts.append(b.load(cell, typ=I64))
        b.store(I64(0), cell)
    spiking.publish(lw, spiking._next_slot(lw, pid), counts[0], counts[1])


def _synapse_run(lw: StatementLowering, loop: ForEach, e: ir.Value, j: ir.Value, top: Element) -> None:
    """The synapse at position ``e`` of the pre->post index (pre rank ``j``)."""
    conn, _ = lw.connectivity()
    slot = conn.load(ConnField.EV_SLOT, e, I32)
    post = conn.load(ConnField.EV_POST, e, I32)
    spiking._run(lw, loop, spiking._synapse_element(lw, e, slot, j, post, top))


def _deliver(lw: StatementLowering, loop: ForEach, grid: Grid, top: Element) -> None:
    """A block per delivered spike, the synapses of its row (or of the row's part with the delay being
    delivered) spread over the block's threads."""
    b = lw.b
    proj = lw.places.proj
    index = spiking._Synapses(lw)
    posts = (I64(0), I64(lw.target.module.populations[proj.post].size))

    def deliver(
        base: ir.Value, count: ir.Value, buf: ir.Value, delay: ir.Value | None, age: ir.Value
    ) -> None:
        with stride(b, grid.ctaid, count, grid.nctaid) as s:
            j = b.sext(b.load(element(b, buf, b.add(base, s), I32), typ=I32), I64)
            first, last = index.range_of(j, delay, posts, ir.Constant(ir.IntType(1), 0))
            with stride(b, b.add(first, grid.tid), last, grid.ntid) as e:
                _synapse_run(lw, loop, e, j, top)

    spiking.delivered_lists(lw, loop, top, deliver)


def _post_events(lw: StatementLowering, loop: ForEach, grid: Grid, top: Element) -> None:
    """A block per post neuron that fired this step, its dendrite's synapses over the block's threads."""
    b, proj = lw.b, lw.places.proj
    conn, desc = lw.connectivity()
    base, count = spiking._spike_list(lw, proj.post, I64(0))
    ring = lw.ptrs[SpikeKey(proj.post, SpikeField.RING)]
    with stride(b, grid.ctaid, count, grid.nctaid) as s:
        p = b.sext(b.load(element(b, ring, b.add(base, s), I32), typ=I32), I64)
        d = conn.load(ConnField.POST_INDEX, p, I32)
        with b.if_then(b.icmp_signed(">=", d, I64(0))):
            row = desc.row(conn, d)
            with stride(b, grid.tid, row.count(b), grid.ntid) as pos:
                slot = row.slot(b, pos)
                pre = desc.pre_rank(conn, slot, pos)
                at = {Role.SELF: At(slot), Role.PRE: At(pre), Role.POST: At(p), Role.DENDRITE: At(d)}
                el = top.inner(Domain.SYNAPSE, at, (b.trunc(p, I32), b.trunc(pre, I32)))
                spiking._run(lw, loop, el)


_PARALLEL = {
    Job.NEURONS: _neuron_loop,
    Job.DENDRITES: _dendrite_loop,
    Job.SUM_LANES: _sum_lanes,
    Job.SPIKE_COUNT: _spike_count,
    Job.SPIKE_WRITE: _spike_write,
    Job.CLEAR: _clear,
    Job.TIMED: _timed,
    Job.PUSH: _push,
    Job.PARTIALS: _partials,
    Job.DELIVER: lambda lw, st, grid, top: _deliver(lw, st.body[0], grid, top),
    Job.DELIVER_OWNED: _owned_delivery,
    Job.POST_EVENTS: lambda lw, st, grid, top: _post_events(lw, st.body[0], grid, top),
    Job.POST_EVENTS_OWNED: _owned_post_events,
}


# --------------------------------------------------------------------------------------------------
# launches


def _launch_of(module: Module, name: str, stage: GpuStage) -> Launch:
    k = stage.kernel
    if stage.job in SERIAL_JOBS:
        return Launch(name, Size.ONE)
    match stage.job:
        case Job.PARTIALS:
            return Launch(name, Size.BLOCKS, k.owner_id)
        case Job.DENDRITES:
            return Launch(name, Size.DENDRITES, k.owner_id)
        case Job.SUM_LANES:
            return Launch(name, Size.DENDRITE_LANES, k.owner_id)
        case Job.SPIKE_COUNT | Job.SPIKE_WRITE:
            return Launch(name, Size.CHUNKS, k.owner_id)
        case Job.DELIVER | Job.DELIVER_OWNED | Job.POST_EVENTS | Job.POST_EVENTS_OWNED:
            proj = module.projections[k.owner_id]
            size = {
                Job.DELIVER: Size.PRE_SPIKES,
                Job.DELIVER_OWNED: Size.POST_OWNERS,
                Job.POST_EVENTS: Size.POST_SPIKES,
                Job.POST_EVENTS_OWNED: Size.POST_NEURONS,
            }[stage.job]
            return Launch(name, size, k.owner_id, proj.pre, proj.post)
    return Launch(name, Size.NEURONS, k.owner_id)


def _record_kernels(bld: _Builder, phase: Phase) -> tuple[Launch, Launch]:
    """A parallel copy of the due rows of ``phase`` and a one-thread kernel that advances them."""
    names = (f"nnc_record_copy_{phase.value}", f"nnc_record_bump_{phase.value}")
    layout = bld.layout
    for n, name in enumerate(names):
        body = bld.body_function(name, ())
        b = ir.IRBuilder(body.append_basic_block("entry"))
        ctx, tid, ntid, ctaid, nctaid, step = body.args[:6]
        grid = Grid(tid, ntid, ctaid, nctaid)
        table = b.load(element(b, ctx, I64(layout.slot(RuntimeKey(RuntimeField.RECORD_TABLE))), PTR), typ=PTR)
        count = b.load(element(b, ctx, I64(layout.slot(RuntimeKey(RuntimeField.RECORD_COUNT))), I64), typ=I64)
        with for_range(b, I64(0), count) as r:
            row = element(b, table, b.mul(r, I64(RECORD_FIELDS)), I64)
            with b.if_then(_due(b, row, step, I64(phase.value))):
                if n == 0:
                    _copy_row(b, row, grid)
                else:
                    with b.if_then(b.icmp_signed("==", grid.gid(b), I64(0))):
                        _bump_row(b, row)
        b.ret_void()
        bld.kernel(name, body, (), None)
    return Launch(names[0], Size.RECORDS), Launch(names[1], Size.ONE)


def _copy_row(b: ir.IRBuilder, row: ir.Value, grid: Grid) -> None:
    """The elements of a due row, spread over the grid (the counters move in the bump kernel)."""
    gid, gsize = grid.gid(b), grid.size(b)
    src = b.inttoptr(_field(b, row, RecordField.SRC), PTR)
    dst = b.inttoptr(_field(b, row, RecordField.DST), PTR)
    count = _field(b, row, RecordField.COUNT)
    elem = _field(b, row, RecordField.ELEM)
    with b.if_else(b.icmp_signed("==", elem, I64(ElemCode.SPIKES.value))) as (spikes, values):
        with spikes:
            n = b.load(element(b, src, I64(0), I64), typ=I64)
            ranks = b.inttoptr(b.load(element(b, src, I64(1), I64), typ=I64), PTR)
            fill = _field(b, row, RecordField.FILL)
            with stride(b, gid, n, gsize) as i:
                b.store(b.load(element(b, ranks, i, I32), typ=I32), element(b, dst, b.add(fill, i), I32))
        with values:
            n = _field(b, row, RecordField.N)
            index = b.inttoptr(_field(b, row, RecordField.INDEX), PTR)
            indexed = b.icmp_unsigned("!=", _field(b, row, RecordField.INDEX), I64(0))
            sizes = {ElemCode.F64: 8, ElemCode.F32: 4, ElemCode.I32: 4, ElemCode.U8: 1}
            for size in sorted(set(sizes.values())):
                codes = [c for c, s in sizes.items() if s == size]
                match = b.icmp_signed("==", elem, I64(codes[0].value))
                for c in codes[1:]:
                    match = b.or_(match, b.icmp_signed("==", elem, I64(c.value)))
                ity = ir.IntType(8 * size)
                base = b.mul(count, n)
                with b.if_then(match), b.if_else(indexed) as (gathered, plain):
                    with gathered, stride(b, gid, n, gsize) as i:
                        j = b.sext(b.load(element(b, index, i, I32), typ=I32), I64)
                        value = b.load(element(b, src, j, ity), typ=ity)
                        b.store(value, element(b, dst, b.add(base, i), ity))
                    with plain, stride(b, gid, n, gsize) as i:
                        value = b.load(element(b, src, i, ity), typ=ity)
                        b.store(value, element(b, dst, b.add(base, i), ity))


def _bump_row(b: ir.IRBuilder, row: ir.Value) -> None:
    count = _field(b, row, RecordField.COUNT)
    with b.if_then(b.icmp_signed("==", _field(b, row, RecordField.ELEM), I64(ElemCode.SPIKES.value))):
        src = b.inttoptr(_field(b, row, RecordField.SRC), PTR)
        n = b.load(element(b, src, I64(0), I64), typ=I64)
        counts = b.inttoptr(_field(b, row, RecordField.INDEX), PTR)
        b.store(b.trunc(n, I32), element(b, counts, count, I32))
        fill = _field(b, row, RecordField.FILL)
        b.store(b.add(fill, n), element(b, row, I64(RecordField.FILL.value), I64))
    b.store(b.add(count, I64(1)), element(b, row, I64(RecordField.COUNT.value), I64))


def _step_kernel(bld: _Builder) -> Launch:
    name = "nnc_step"
    body = bld.body_function(name, ())
    b = ir.IRBuilder(body.append_basic_block("entry"))
    ctx, step = body.args[0], body.args[5]
    with b.if_then(b.icmp_signed("==", Grid(*body.args[1:5]).gid(b), I64(0))):
        slot = element(b, ctx, I64(bld.layout.slot(RuntimeKey(RuntimeField.STEP))), I64)
        b.store(b.add(step, I64(1)), slot)
    b.ret_void()
    bld.kernel(name, body, (), None)
    return Launch(name, Size.ONE)


def build_gpu_module(
    module: Module, layout: Layout, flavour: Flavour, choices: GpuChoices | None = None
) -> GpuModule:
    """The GPU kernels of ``module`` and the launch sequence of one step (SEMANTICS.md §2 order)."""
    choices = choices or GpuChoices()
    bld = _Builder(module, layout, flavour, choices)
    staged = [(i, k, gpu_stages(module, k, choices)) for i, k in enumerate(module.kernels)]
    flat = [st for _, _, sts in staged for st in sts]
    shared = _Shared()
    launches: list[Launch] = []
    done = 0
    record_after: dict[int, int] = {}
    for i, kernel, sts in staged:
        if Phase.RECORD_INPUTS.value not in record_after and kernel.phase.value > Phase.TRANSMIT.value:
            record_after[Phase.RECORD_INPUTS.value] = len(launches)
        for n, st in enumerate(sts):
            done += 1
            shared.later = temps_read(flat[done:])
            name = _sanitise(f"k{i}_{kernel.name}_s{n}")
            launches.append(bld.stage(name, st, shared))
    record_after.setdefault(Phase.RECORD_INPUTS.value, len(launches))
    record_after[Phase.RECORD.value] = len(launches)
    records = {p.value: _record_kernels(bld, p) for p in (Phase.RECORD_INPUTS, Phase.RECORD)}
    launches.append(_step_kernel(bld))
    return GpuModule(bld.llmod, flavour, tuple(launches), records, record_after, tuple(bld.scratch))


def step_sequence(gm: GpuModule, with_records: bool) -> list[Launch]:
    """The launches of one step; the record kernels only when the record table has rows."""
    out: list[Launch] = []
    marks = sorted(gm.record_after.items(), key=lambda kv: (kv[1], kv[0]))
    for n, launch in enumerate(gm.step):
        for phase, at in marks:
            if at == n and with_records:
                out.extend(gm.records[phase])
        out.append(launch)
    return out


__all__ = [
    "BLOCK_JOBS",
    "Flavour",
    "GpuModule",
    "Launch",
    "Scratch",
    "Size",
    "build_gpu_module",
    "step_sequence",
]
