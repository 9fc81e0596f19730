"""GPU stages: how each kernel of a module runs as a sequence of GPU kernel launches.

The CPU backend cuts a kernel into stages (:func:`nnc.backend.llvm.kernels.stages_of`): serial runs of
statements, one parallel loop each, and the serial stages that finish fused work. On the GPU every stage
becomes one launch; the launch boundary orders memory the way the CPU's barriers do. What changes is the
loop structure:

* element loops (neurons, dendrites, inputs to clear, a timed array's row copy, delay pushes, global
  operation blocks) are *grid-stride* loops: thread ``g`` of ``G`` handles elements ``g, g + G, ...``,
  so neighbouring threads touch neighbouring elements (coalesced);
* spike emission appends each spiking neuron's rank with an atomic counter right after its update
  (no flag compaction pass); a one-thread stage publishes the list (:func:`spiking.publish`);
* spike delivery (``pre_spike``, ``axon_spike``, decoding windows) gives each delivered spike to a
  thread block and the synapses of its row to the block's threads; ``post_spike`` events give each
  post neuron that fired to a block and its dendrite to the threads. Accumulations into post-synaptic
  variables (``post.g = post.g + w``) become atomic adds. When a loop writes anything else that
  several threads could share, or reads what it accumulates, it falls back to the CPU's
  post-partitioned delivery (each thread owns a range of post neurons: no atomics, deterministic);
* a top-level ``PushDelayed`` is split into a parallel copy and the one-thread head move;
* a dendrite loop whose rows are long (:data:`LANE_ROWS` synapses on average) computes its weighted sums
  (``let %n = reduce(...)`` at the top of the loop) with 8 threads per dendrite (:attr:`Job.SUM_LANES`):
  thread ``l`` of a dendrite accumulates positions ``l, l + 8, ...``, which is lane ``l`` of the CPU's
  ``<8 x real>`` accumulator, and stores its partial; the dendrite loop then combines the 8 partials in the
  CPU's lane order. Neighbouring threads read neighbouring synapses (coalesced in every format), a row
  gets 8 times the threads, and the bits are the CPU's.

:class:`GpuChoices` (``compile(cuda_config=...)``) can force delivery without atomics
(``deterministic``) and turn the split of weighted sums on or off (``sum_lanes``).

Everything else (statements, expressions, rows, reductions, random draws) is lowered by the CPU
backend's code (:mod:`nnc.backend.llvm.statements`), so a new IR node is lowered once for both targets.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnc.backend.llvm import globalops, spiking
from nnc.backend.llvm.kernels import stages_of
from nnc.diagnostics import ModelError
from nnc.ir.model import Kernel, Module
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    Clamp,
    ClearInputs,
    ComputeGlobalOp,
    Expr,
    ForEach,
    Let,
    PushDelayed,
    Reduce,
    Spike,
    Stmt,
    Temp,
    TimedStep,
    Unary,
    UnaryOp,
    Var,
    stmt_exprs,
    walk,
    walk_stmts,
)
from nnc.ir.types import Domain, DType, Enum, Locality, ObjKind, Scope

#: A dendrite loop's weighted sums are split over 8 threads per dendrite when its projection has at least
#: this many synapses per dendrite on average: 4 positions per thread or more, so that the extra launch
#: and the partials (8 reals per dendrite and sum, written once and read once) stay small next to the
#: synapses read. The thread-per-dendrite loop also reads whole 32-byte sectors (8 positions at a time),
#: but gives a row one thread: too few threads for a GPU when dendrites are few and long.
LANE_ROWS = 32


@dataclass(frozen=True, slots=True)
class GpuChoices:
    """How the GPU kernels are built (``compile(cuda_config=...)``).

    ``deterministic``: no atomics decide an order. Spike lists are built in rank order (each chunk of
    :data:`SPIKE_CHUNK` neurons counts its spikes, one thread turns the counts into offsets, each chunk
    writes its ranks there) and every event loop runs post-partitioned (each thread owns a range of post
    neurons and takes the spikes in list order, as on the CPU): results equal the CPU's bit for bit and do
    not vary from run to run. Otherwise a spiking neuron appends its rank to the list with an atomic
    counter and conductances are accumulated with atomic adds, in orders the GPU does not fix.

    ``lane_rows``: split weighted sums over 8 threads per dendrite from this mean row length on (None:
    never; the bits are the same either way).
    """

    deterministic: bool = False
    lane_rows: int | None = LANE_ROWS

    @staticmethod
    def of(config: dict | None) -> GpuChoices:
        """The choices of a ``cuda_config`` dict (keys ``deterministic`` and ``sum_lanes``: True,
        False or ``"auto"``)."""
        config = config or {}
        lanes = config.get("sum_lanes", "auto")
        if not (isinstance(lanes, bool) or lanes == "auto"):
            raise ModelError(f"cuda_config: sum_lanes must be True, False or 'auto', got {lanes!r}")
        deterministic = config.get("deterministic", False)
        if not isinstance(deterministic, bool):
            raise ModelError(f"cuda_config: deterministic must be True or False, got {deterministic!r}")
        rows = LANE_ROWS if lanes == "auto" else (0 if lanes else None)
        return GpuChoices(deterministic, rows)


class Job(Enum):
    """What a GPU stage does."""

    SERIAL = "serial"  # top-level statements, one thread
    NEURONS = "neurons"  # a neuron loop (with spike appends if it emits spikes)
    DENDRITES = "dendrites"  # a dendrite loop, one thread per dendrite
    CLEAR = "clear"  # ClearInputs
    TIMED = "timed"  # a timed array's row copy
    PUSH = "push"  # a top-level PushDelayed's copy
    SUM_LANES = "sum_lanes"  # weighted-sum partials: 8 threads per dendrite
    SPIKE_COUNT = "spike_count"  # ordered spike lists: spikes per chunk of neurons
    SPIKE_SCAN = "spike_scan"  # ordered spike lists: chunk offsets (one thread)
    SPIKE_WRITE = "spike_write"  # ordered spike lists: each chunk writes its ranks in order
    PARTIALS = "partials"  # global-operation block partials of a fused neuron loop
    FINISH = "finish"  # fused finish: queue heads, global operations (one thread)
    TIMED_ADVANCE = "timed_advance"  # a timed array's counters (one thread)
    SPIKES = "spikes"  # publish the step's spike list (one thread)
    DELIVER = "deliver"  # pre-synaptic spikes: a block per spike, atomics
    DELIVER_OWNED = "deliver_owned"  # pre-synaptic spikes: post-partitioned, no atomics
    POST_EVENTS = "post_events"  # post-synaptic spikes: a block per spike
    POST_EVENTS_OWNED = "post_events_owned"  # post-synaptic spikes: a thread per spike


#: Jobs run by a single thread.
SERIAL_JOBS = frozenset({Job.SERIAL, Job.FINISH, Job.TIMED_ADVANCE, Job.SPIKES, Job.SPIKE_SCAN})
#: Jobs of the ordered (rank-order) spike lists of ``deterministic`` kernels.
ORDERED_JOBS = (Job.SPIKE_COUNT, Job.SPIKE_SCAN, Job.SPIKE_WRITE)
#: Neurons per chunk of the ordered spike lists.
SPIKE_CHUNK = 64
#: Jobs that give one delivered spike to each thread block.
BLOCK_JOBS = frozenset({Job.DELIVER, Job.POST_EVENTS})


@dataclass(frozen=True, slots=True)
class GpuStage:
    """One launch of a kernel: its job and body; ``always``: runs even when the kernel's gate is closed;
    ``atomic``: the assignments (by identity) lowered as atomic adds; ``lanes``: the weighted sums (top-level
    ``Let`` of a ``Reduce``, by identity) computed by a :attr:`Job.SUM_LANES` launch."""

    kernel: Kernel
    job: Job
    body: tuple[Stmt, ...]
    always: bool = False
    atomic: tuple[Stmt, ...] = ()
    lanes: tuple[Let, ...] = ()
    ordered: bool = False  # a spiking neuron loop whose list is built in rank order by ORDERED_JOBS


def gpu_stages(module: Module, kernel: Kernel, choices: GpuChoices | None = None) -> tuple[GpuStage, ...]:
    """The launches of ``kernel``, in order."""
    choices = choices or GpuChoices()
    out: list[GpuStage] = []
    for stage in stages_of(kernel):
        if stage.parallel:
            out.extend(_parallel(module, kernel, stage.body[0], stage.body, choices))
        elif stage.finish:
            out.extend(_finishing(kernel, stage.body))
        else:
            out.extend(_serial(kernel, stage.body))
    return tuple(out)


def _finishing(kernel: Kernel, body: tuple[Stmt, ...]) -> list[GpuStage]:
    if isinstance(body[0], TimedStep):
        return [GpuStage(kernel, Job.TIMED_ADVANCE, body)]
    if isinstance(body[-1], Spike):
        rest = tuple(s for s in body if not isinstance(s, Spike))
        out = [GpuStage(kernel, Job.FINISH, rest)] if rest else []
        return [*out, GpuStage(kernel, Job.SPIKES, (body[-1],), always=True)]
    return [GpuStage(kernel, Job.FINISH, body)]


def _parallel(
    module: Module, kernel: Kernel, first: Stmt, body: tuple[Stmt, ...], choices: GpuChoices
) -> list[GpuStage]:
    match first:
        case ClearInputs():
            return [GpuStage(kernel, Job.CLEAR, body)]
        case TimedStep():
            return [GpuStage(kernel, Job.TIMED, body)]
        case ForEach(domain=Domain.NEURON):
            ordered = choices.deterministic and spiking.contains_spike(first)
            out = [GpuStage(kernel, Job.NEURONS, body, ordered=ordered)]
            if ordered:
                out += [GpuStage(kernel, job, body) for job in ORDERED_JOBS]
            pop = module.populations[kernel.owner_id]
            ops = tuple(s for s in first.body if isinstance(s, ComputeGlobalOp))
            if ops and globalops.blocked(pop.size):
                out.append(GpuStage(kernel, Job.PARTIALS, ops))
            return out
        case ForEach(domain=Domain.DENDRITE):
            lanes = lane_sums(module, kernel, first, choices)
            if lanes:
                return [
                    GpuStage(kernel, Job.SUM_LANES, body, lanes=lanes),
                    GpuStage(kernel, Job.DENDRITES, body, lanes=lanes),
                ]
            return [GpuStage(kernel, Job.DENDRITES, body)]
        case ForEach(domain=Domain.PRE_SPIKE | Domain.AXON_SPIKE | Domain.RECENT_SPIKE):
            atomic = None if choices.deterministic else atomic_plan(first, post_side=True)
            job = Job.DELIVER if atomic is not None else Job.DELIVER_OWNED
            return [GpuStage(kernel, job, body, atomic=atomic or ())]
        case ForEach(domain=Domain.POST_SPIKE):
            atomic = None if choices.deterministic else atomic_plan(first, post_side=False)
            job = Job.POST_EVENTS if atomic is not None else Job.POST_EVENTS_OWNED
            return [GpuStage(kernel, job, body, atomic=atomic or ())]
    raise NotImplementedError(f"GPU: kernel {kernel.name}: no GPU lowering for {type(first).__name__}")


def lane_sums(module: Module, kernel: Kernel, loop: ForEach, choices: GpuChoices) -> tuple[Let, ...]:
    """The weighted sums of a dendrite loop to split over 8 threads per dendrite (module docstring), when
    the projection's mean row length reaches ``choices.lane_rows``: the ``let %n = reduce(...)`` among
    the ``let`` statements that open the loop body (before any statement that writes: the partials are
    computed before the loop runs) whose synapse values read no temporary."""
    if choices.lane_rows is None or kernel.owner is not ObjKind.PROJECTION:
        return ()
    stats = module.projections[kernel.owner_id].stats
    if stats is None or not stats.n_dendrites or stats.n_synapses < choices.lane_rows * stats.n_dendrites:
        return ()
    out: list[Let] = []
    for s in loop.body:
        if not isinstance(s, Let):
            break
        if isinstance(s.value, Reduce) and not any(isinstance(n, Temp) for n in walk(s.value.value)):
            out.append(s)
    return tuple(out)


_SCHEMES = {
    Job.SUM_LANES: "weighted sums on 8 threads per dendrite",
    Job.DENDRITES: "a thread per dendrite",
    Job.DELIVER: "a block per spike, atomic accumulation",
    Job.DELIVER_OWNED: "post-partitioned spike delivery (no atomics)",
    Job.POST_EVENTS: "a block per post-synaptic spike",
    Job.POST_EVENTS_OWNED: "post-partitioned post-synaptic events",
}


def describe(module: Module, choices: GpuChoices | None = None) -> list[str]:
    """One line per projection: its storage format and how the GPU runs each of its kernels' loops
    (``dump-ir --stage ptx`` prints them as comments)."""
    choices = choices or GpuChoices()
    lines = []
    for proj in module.projections:
        parts = []
        for k in module.kernels:
            if k.owner is not ObjKind.PROJECTION or k.owner_id != proj.id:
                continue
            jobs = [st.job for st in gpu_stages(module, k, choices) if st.job in _SCHEMES]
            if jobs:
                job = Job.SUM_LANES if Job.SUM_LANES in jobs else jobs[0]
                parts.append(f"{k.name}: {_SCHEMES[job]}")
        stats = proj.stats
        fmt = proj.format.value if proj.format is not None else "?"
        if stats is not None and stats.n_dendrites:
            fmt += f", {stats.n_synapses / stats.n_dendrites:.1f} synapses per dendrite"
        lines.append(f"projection {proj.name} ({fmt}): " + ("; ".join(parts) or "no loop"))
    if any(_orders_spikes(module, k, choices) for k in module.kernels):
        lines.append("spike lists in rank order (deterministic)")
    return lines


def _orders_spikes(module: Module, kernel: Kernel, choices: GpuChoices) -> bool:
    return any(st.ordered for st in gpu_stages(module, kernel, choices))


def _serial(kernel: Kernel, body: tuple[Stmt, ...]) -> list[GpuStage]:
    """A serial CPU stage: top-level delay pushes become a parallel copy and a one-thread head move."""
    out: list[GpuStage] = []
    run: list[Stmt] = []
    for s in body:
        if isinstance(s, PushDelayed):
            if run:
                out.append(GpuStage(kernel, Job.SERIAL, tuple(run)))
                run = []
            out.append(GpuStage(kernel, Job.PUSH, (s,)))
            out.append(GpuStage(kernel, Job.FINISH, (s,)))
        else:
            run.append(s)
    if run:
        out.append(GpuStage(kernel, Job.SERIAL, tuple(run)))
    return out


# --------------------------------------------------------------------------------------------------
# when event loops may run in parallel with atomics


def _accumulated(s: Assign) -> Expr | None:
    """``e`` if ``s`` is ``x = x + e``, ``x = e + x`` or ``x = x - e`` (then ``-e``: IEEE subtraction is
    the addition of the negation), ``e`` not reading ``x``; else None."""
    v = s.value
    if not isinstance(v, Binary) or v.op not in (BinaryOp.ADD, BinaryOp.SUB):
        return None
    pairs = ((v.lhs, v.rhs), (v.rhs, v.lhs)) if v.op is BinaryOp.ADD else ((v.lhs, v.rhs),)
    for same, other in pairs:
        if same == s.target and not any(n == s.target for n in walk(other)):
            return other if v.op is BinaryOp.ADD else Unary(UnaryOp.NEG, other)
    return None


def atomic_plan(loop: ForEach, post_side: bool) -> tuple[Stmt, ...] | None:
    """The assignments of an event loop to lower as atomic adds, or None when the loop must not run with
    several threads per spike.

    A spike's synapses run in parallel, and so do different spikes. Each synapse is visited once per
    step, so its own variables are private to its thread. A variable of the post neuron (``post_side``:
    pre-synaptic events; of the pre neuron for post-synaptic events) is shared: it may only be
    accumulated (``x = x + e``, real, or integer with an integer ``e``) and not read otherwise in the loop.
    Anything else (a dendrite variable, the other side's variables, bounds on shared ones) is shared
    by the threads of one spike.
    """
    shared_scope = Scope.POST if post_side else Scope.PRE
    atomic: list[Stmt] = []
    accumulated: set[tuple[str, Scope]] = set()
    reads: list[Var] = []
    for s in walk_stmts(loop.body):
        for e in _read_exprs(s):
            reads.extend(x for x in walk(e) if isinstance(x, Var))
        if isinstance(s, Clamp):
            if not _private(s.target):
                return None
            continue
        if not isinstance(s, Assign):
            continue
        t = s.target
        if _private(t):
            continue
        increment = _accumulated(s)
        if t.scope is not shared_scope or increment is None or t.dtype is DType.BOOL:
            return None
        if t.dtype is DType.INT and increment.dtype is not DType.INT:
            return None
        atomic.append(s)
        accumulated.add((t.name, t.scope))
    if any((v.name, v.scope) in accumulated for v in reads):
        return None  # read besides its own accumulations
    return tuple(atomic)


def _private(t: Var) -> bool:
    return t.scope is Scope.SELF and t.locality is Locality.LOCAL


def _read_exprs(s: Stmt) -> tuple[Expr, ...]:
    if isinstance(s, Assign):
        acc = _accumulated(s)
        if acc is not None and not _private(s.target):
            return (acc,)
    return tuple(stmt_exprs(s))


def contains_spike(stage: GpuStage) -> bool:
    """Whether a neuron stage emits spikes."""
    return stage.job is Job.NEURONS and spiking.contains_spike(stage.body[0])


__all__ = [
    "BLOCK_JOBS",
    "LANE_ROWS",
    "ORDERED_JOBS",
    "SERIAL_JOBS",
    "SPIKE_CHUNK",
    "GpuChoices",
    "GpuStage",
    "Job",
    "atomic_plan",
    "contains_spike",
    "describe",
    "gpu_stages",
    "lane_sums",
]
