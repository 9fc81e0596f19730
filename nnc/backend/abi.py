"""The calling convention shared by generated code and the runtime: the context array and its slots.

Generated code never contains a run-time address. Its only argument besides the thread id is ``ctx``,
a ``uint64`` array owned by Python. Each slot holds either the address of a NumPy buffer (``POINTER``
slots) or an integer (``VALUE`` slots). :func:`layout_of` assigns slots deterministically from the
module alone, so a cached object file fits every run of the same printed IR.

Entry point of every compiled network::

    int64 nnc_run(uint64* ctx, int64 tid, int64 nthreads, int64 nsteps)   # returns steps done
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

from nnc.ir.model import Module, ProjectionDecl
from nnc.ir.nodes import (
    ComputeGlobalOp,
    ForDendrite,
    ForEach,
    GlobalOp,
    SourceDue,
    Spike,
    TimedStep,
    stmt_exprs,
    walk,
    walk_stmts,
)
from nnc.ir.types import DelayKind, Domain, DType, Enum, Format, Locality, NeuronKind, ObjKind, Precision

ENTRY_POINT = "nnc_run"


class SlotKind(Enum):
    """What a context slot holds."""

    POINTER = "pointer"
    VALUE = "value"


class ConnField(Enum):
    """Connectivity arrays and sizes of a projection (which exist depends on its format)."""

    POST_RANK = "post_rank"  # int32[n_dendrites]: post neuron rank of each dendrite
    ROW_PTR = "row_ptr"  # int64[n_dendrites + 1] (CSR)
    ROW_LEN = "row_len"  # int32[n_dendrites] (ELL)
    PRE_RANK = "pre_rank"  # int32[n_slots] (CSR, ELL)
    N_DENDRITES = "n_dendrites"  # value
    N_SYNAPSES = "n_synapses"  # value: synapses stored (== slots of local synaptic arrays)
    ROW_STRIDE = "row_stride"  # value: slots per row (DENSE, ELL)
    PRE_OFFSET = "pre_offset"  # value: pre rank of column 0 (DENSE)
    DELAY = "delay"  # int32[n_slots]: delay in steps of each synapse (DelayKind.NONUNIFORM)
    UNIFORM_DELAY = "uniform_delay"  # value: delay in steps (DelayKind.UNIFORM)
    TRANSMISSION = "transmission"  # value 0/1 (SEMANTICS.md §8 control flags)
    UPDATE = "update"  # value 0/1
    PLASTICITY = "plasticity"  # value 0/1
    AXON_TRANSMISSION = "axon_transmission"  # value 0/1: axonal events delivered (projections that have any)
    LEARN_PERIOD = "learn_period"  # value: synaptic equations run every LEARN_PERIOD steps ...
    LEARN_OFFSET = "learn_offset"  # value: ... when (k - LEARN_OFFSET) mod LEARN_PERIOD == 0
    POST_INDEX = "post_index"  # int32[post size]: dendrite of each post neuron, -1 for none (fused dendrites)
    # pre->post index of a spiking projection: the synapses of pre rank j are EV_*[EV_PTR[j] .. EV_PTR[j+1]],
    # sorted by (delay, post rank)
    EV_PTR = "ev_ptr"  # int64[pre size + 1]
    EV_SLOT = "ev_slot"  # int32[n_synapses]: slot of the synapse in the local synaptic arrays
    EV_POST = "ev_post"  # int32[n_synapses]: post rank
    EV_DELAY = "ev_delay"  # int32[n_synapses]: delay in steps (DelayKind.NONUNIFORM)
    MAX_DELAY = "max_delay"  # value: longest delay in steps (DelayKind.NONUNIFORM)
    DELIVERED_UNTIL = (
        "delivered_until"  # value: spikes emitted at or before this step are not delivered again
    )
    # STENCIL (nnc.ir.model.Stencil): anchors and weight rows of the dendrites
    CENTER = "center"  # int32[n_dendrites * D]: pre-synaptic coordinates of each dendrite's anchor
    W_ROW = "w_row"  # int32[n_dendrites]: slot of the first position's local attributes


class PopField(Enum):
    """Per-population value slots."""

    ENABLED = "enabled"  # 0/1: a disabled population is not updated and receives no input
    QUEUE_LEN = "queue_len"  # slots of each delay queue (max delay in steps over outgoing projections)
    QUEUE_HEAD = "queue_head"  # queue[m] of variable x is QueueKey(pop, x)[((head + m) % len) * size + i]
    SPIKE_SLOTS = "spike_slots"  # spike lists kept by a spiking population (its spike ring)
    SPIKE_HEAD = "spike_head"  # ring slot of the list of the last step
    FR_WINDOW = "fr_window"  # compute_firing_rate window in steps (0: off)


class SpikeField(Enum):
    """Spike state of a spiking population (SEMANTICS.md §4, §6).

    The spike list of the step m steps before the last one (``m < SPIKE_SLOTS``) is
    ``RING[s*size .. s*size + COUNTS[s]]`` with ``s = (SPIKE_HEAD + m) mod SPIKE_SLOTS``, in rank order.
    The axonal spikes of that step are ``AXON[s*size .. s*size + AXON_COUNTS[s]]`` (same slot): a
    projection delivers them through its delays like ordinary spikes.
    """

    RING = "ring"  # int32[SPIKE_SLOTS * size]
    COUNTS = "counts"  # int32[SPIKE_SLOTS]
    FLAGS = "flags"  # uint8[size], scratch: bit 0 the neuron spiked this step, bit 1 an axonal spike
    AXON = "axon"  # int32[SPIKE_SLOTS * size]: the axonal spike lists, one per ring slot (int32[size],
    # unused, for a population without an axon_spike condition: axonal_populations)
    AXON_COUNTS = "axon_counts"  # int32[SPIKE_SLOTS]
    THREAD = "thread"  # int64[2 * MAX_THREADS], scratch: spikes and axonal spikes found by each thread
    CURRENT = "current"  # int64[4]: count and address of the last step's spike list, same for axonal spikes
    FR_COUNT = "fr_count"  # int32[size]: spikes of each neuron within the firing-rate window
    FR_SCALE = "fr_scale"  # real[1]: 1000 / window (ms)


#: Most threads a network runs on (sizes the per-thread scratch of spike lists).
MAX_THREADS = 256


class TimedField(Enum):
    """Scheduler slots of a timed-array population (one whose NEURON kernel holds a ``TimedStep``)."""

    RATES = "rates"  # pointer: real[N_ROWS * size], row b at [b * size, (b + 1) * size)
    SCHEDULE = "schedule"  # pointer: int32[N_SCHEDULE], the step of each block
    N_ROWS = "n_rows"  # value: rows of RATES
    N_SCHEDULE = "n_schedule"  # value: entries of SCHEDULE
    PERIOD = "period"  # value: period in steps (negative: none)
    COUNTER = "counter"  # value: the internal counter τ
    BLOCK = "block"  # value: the next block b


class RuntimeField(Enum):
    """Network-wide slots."""

    STEP = "step"  # value: current step k
    SEED = "seed"  # value: the network seed (64 bits)
    STOP = "stop"  # value: set non-zero by the host to stop at the next poll
    RECORD_TABLE = "record_table"  # pointer: int64[n_records * RECORD_FIELDS]
    RECORD_COUNT = "record_count"  # value
    SCHEDULE = (
        "schedule"  # value: address of the engine's int64[n_entries * SCHEDULE_FIELDS], the step's work
    )
    SCHEDULE_COUNT = "schedule_count"  # value: entries of SCHEDULE


@dataclass(frozen=True, slots=True)
class StateKey:
    """Array of attribute ``name`` of a population or projection."""

    owner: ObjKind
    owner_id: int
    name: str


@dataclass(frozen=True, slots=True)
class InputKey:
    """Rate input ``sum(target)`` of a population (real[size])."""

    pop: int
    target: str


@dataclass(frozen=True, slots=True)
class GlobalOpKey:
    """Result of a global operation of a population (real[1])."""

    pop: int
    op: GlobalOp
    var: str


@dataclass(frozen=True, slots=True)
class BlockPartialKey:
    """Scratch of a global operation computed in a fused neuron loop: one result per block of
    ``GLOBAL_OP_BLOCK`` neurons (real[ceil(size / GLOBAL_OP_BLOCK)], see :class:`ComputeGlobalOp`)."""

    pop: int
    op: GlobalOp
    var: str


@dataclass(frozen=True, slots=True)
class ConstantKey:
    """A network constant (real[1])."""

    name: str


@dataclass(frozen=True, slots=True)
class ConnKey:
    """A connectivity array or size of a projection."""

    proj: int
    field: ConnField


@dataclass(frozen=True, slots=True)
class PopKey:
    """A per-population value slot."""

    pop: int
    field: PopField


@dataclass(frozen=True, slots=True)
class QueueKey:
    """Delay queue of attribute ``var`` of population ``pop`` (real[queue_len * size], SEMANTICS.md §5)."""

    pop: int
    var: str


@dataclass(frozen=True, slots=True)
class TimedKey:
    """A scheduler slot of timed-array population ``pop`` (:class:`nnc.ir.nodes.TimedStep`)."""

    pop: int
    field: TimedField


class SourceField(Enum):
    """The spike steps of a spike source array (:class:`~nnc.ir.nodes.SourceDue`)."""

    TIMES = "times"  # int32[total]: each neuron's spike steps, ascending, neuron after neuron
    OFFSETS = "offsets"  # int64[size + 1]: neuron i's steps are TIMES[OFFSETS[i] .. OFFSETS[i+1]]


@dataclass(frozen=True, slots=True)
class SourceKey:
    """A buffer of spike source array ``pop``."""

    pop: int
    field: SourceField


@dataclass(frozen=True, slots=True)
class MirrorKey:
    """Local attribute ``name`` of projection ``proj`` in pre->post order (``ProjectionDecl.mirrored``):
    element ``e`` is the value of synapse ``EV_SLOT[e]``."""

    proj: int
    name: str


@dataclass(frozen=True, slots=True)
class SpikeKey:
    """A spike buffer of spiking population ``pop``."""

    pop: int
    field: SpikeField


@dataclass(frozen=True, slots=True)
class RuntimeKey:
    """A network-wide slot."""

    field: RuntimeField


SlotKey = (
    StateKey
    | InputKey
    | GlobalOpKey
    | BlockPartialKey
    | ConstantKey
    | ConnKey
    | PopKey
    | QueueKey
    | TimedKey
    | SpikeKey
    | SourceKey
    | MirrorKey
    | RuntimeKey
)


class Count(Enum):
    """How many elements a buffer has."""

    ONE = "one"
    NEURONS = "neurons"  # size of the owning population
    DENDRITES = "dendrites"  # n_dendrites of the owning projection
    SYNAPSES = "synapses"  # n_synapses (slots) of the owning projection
    DENDRITES_PLUS_ONE = "dendrites+1"
    QUEUE = "queue"  # queue_len * size of the owning population
    POST_NEURONS = "post_neurons"  # size of the post population of the owning projection
    BLOCKS = "blocks"  # blocks of GLOBAL_OP_BLOCK neurons of the owning population (at least 1)
    SPIKE_RING = "spike_ring"  # SPIKE_SLOTS * size of the owning population
    SPIKE_SLOTS = "spike_slots"  # SPIKE_SLOTS of the owning population
    THREADS = "threads"  # 2 * MAX_THREADS
    CURRENT = "current"  # 4
    PRE_NEURONS_PLUS_ONE = "pre_neurons+1"  # size of the pre population of the owning projection, + 1
    NEURONS_PLUS_ONE = "neurons+1"  # size of the owning population + 1


@dataclass(frozen=True, slots=True)
class BufferSpec:
    """A buffer the runtime allocates: its slot, element type and length rule."""

    key: SlotKey
    slot: int
    dtype: np.dtype
    count: Count
    owner_id: int = -1
    initial: int = 0  # value of every element at allocation


@dataclass(frozen=True, slots=True)
class Layout:
    """Slot assignment of a module."""

    slots: dict[SlotKey, int] = field(default_factory=dict)
    kinds: dict[SlotKey, SlotKind] = field(default_factory=dict)
    buffers: tuple[BufferSpec, ...] = ()

    @property
    def size(self) -> int:
        """Number of slots of the context array."""
        return len(self.slots)

    def slot(self, key: SlotKey) -> int:
        """Slot of ``key`` (KeyError if the module has no such buffer)."""
        return self.slots[key]


def real_dtype(precision: Precision) -> np.dtype:
    """NumPy type of ``DType.REAL``."""
    return np.dtype(np.float64 if precision is Precision.F64 else np.float32)


def numpy_dtype(dtype: DType, precision: Precision) -> np.dtype:
    """NumPy storage type of an IR type (int: int32, bool: uint8)."""
    if dtype is DType.REAL:
        return real_dtype(precision)
    if dtype is DType.INT:
        return np.dtype(np.int32)
    return np.dtype(np.uint8)


_LOCALITY_COUNT_POP = {Locality.GLOBAL: Count.ONE, Locality.LOCAL: Count.NEURONS}
_LOCALITY_COUNT_PROJ = {
    Locality.GLOBAL: Count.ONE,
    Locality.SEMIGLOBAL: Count.DENDRITES,
    Locality.LOCAL: Count.SYNAPSES,
}

_CONN_FIELDS = {
    Format.DENSE: (ConnField.POST_RANK,),
    Format.CSR: (ConnField.POST_RANK, ConnField.ROW_PTR, ConnField.PRE_RANK),
    Format.ELL: (ConnField.POST_RANK, ConnField.ROW_LEN, ConnField.PRE_RANK),
    Format.STENCIL: (ConnField.POST_RANK, ConnField.CENTER, ConnField.W_ROW),
    Format.TRANSPOSED: (ConnField.POST_RANK,),
}

#: What a projection that reads another's synapses (``ProjectionDecl.shares``) takes from that one: a copy
#: its whole connectivity, a transposed projection its pre->post index (the rest, its dendrites, is its
#: own). Control values (flags, learning schedule, delays) are always the projection's own.
_COPIED = frozenset(
    {
        ConnField.POST_RANK,
        ConnField.ROW_PTR,
        ConnField.ROW_LEN,
        ConnField.PRE_RANK,
        ConnField.N_DENDRITES,
        ConnField.N_SYNAPSES,
        ConnField.ROW_STRIDE,
        ConnField.PRE_OFFSET,
        ConnField.POST_INDEX,
        ConnField.CENTER,
        ConnField.W_ROW,
    }
)
_TRANSPOSED = frozenset({ConnField.EV_PTR, ConnField.EV_SLOT, ConnField.EV_POST})


def conn_key(proj: ProjectionDecl, field: ConnField) -> ConnKey:
    """The slot of ``field`` that the kernels of ``proj`` use: the shared projection's for the fields a
    copy or a transposed projection takes from it, else its own."""
    if proj.shares is not None:
        taken = _TRANSPOSED if proj.format is Format.TRANSPOSED else _COPIED
        if field in taken:
            return ConnKey(proj.shares, field)
    return ConnKey(proj.id, field)


def attribute_owner(proj: ProjectionDecl) -> int:
    """The projection whose synaptic attributes the kernels of ``proj`` read (``ProjectionDecl.shares``)."""
    return proj.id if proj.shares is None else proj.shares


_CONN_VALUES = (
    ConnField.N_DENDRITES,
    ConnField.N_SYNAPSES,
    ConnField.ROW_STRIDE,
    ConnField.PRE_OFFSET,
    ConnField.UNIFORM_DELAY,
    ConnField.TRANSMISSION,
    ConnField.UPDATE,
    ConnField.PLASTICITY,
    ConnField.LEARN_PERIOD,
    ConnField.LEARN_OFFSET,
    ConnField.MAX_DELAY,
    ConnField.DELIVERED_UNTIL,
)
#: initial contents of value slots that are not 0
VALUE_DEFAULTS: dict[ConnField | PopField | TimedField, int] = {
    ConnField.TRANSMISSION: 1,
    ConnField.AXON_TRANSMISSION: 1,
    ConnField.UPDATE: 1,
    ConnField.PLASTICITY: 1,
    ConnField.LEARN_PERIOD: 1,
    ConnField.UNIFORM_DELAY: 1,
    PopField.ENABLED: 1,
    PopField.QUEUE_LEN: 1,
    PopField.SPIKE_SLOTS: 1,
    ConnField.MAX_DELAY: 1,
    ConnField.DELIVERED_UNTIL: -(1 << 62),
    TimedField.PERIOD: -1,
}
_CONN_SPEC = {
    ConnField.POST_RANK: (np.dtype(np.int32), Count.DENDRITES),
    ConnField.ROW_PTR: (np.dtype(np.int64), Count.DENDRITES_PLUS_ONE),
    ConnField.ROW_LEN: (np.dtype(np.int32), Count.DENDRITES),
    ConnField.PRE_RANK: (np.dtype(np.int32), Count.SYNAPSES),
    ConnField.DELAY: (np.dtype(np.int32), Count.SYNAPSES),
    ConnField.POST_INDEX: (np.dtype(np.int32), Count.POST_NEURONS),
    ConnField.EV_PTR: (np.dtype(np.int64), Count.PRE_NEURONS_PLUS_ONE),
    ConnField.EV_SLOT: (np.dtype(np.int32), Count.SYNAPSES),
    ConnField.EV_POST: (np.dtype(np.int32), Count.SYNAPSES),
    ConnField.EV_DELAY: (np.dtype(np.int32), Count.SYNAPSES),
    # one anchor of D coordinates per dendrite: allocated at one element, reallocated when the stencil binds
    ConnField.CENTER: (np.dtype(np.int32), Count.ONE),
    ConnField.W_ROW: (np.dtype(np.int32), Count.DENDRITES),
}
#: Spike buffers of a spiking population: element type and length rule (FR_SCALE is real).
_SPIKE_SPEC = {
    SpikeField.RING: (np.dtype(np.int32), Count.SPIKE_RING),
    SpikeField.COUNTS: (np.dtype(np.int32), Count.SPIKE_SLOTS),
    SpikeField.FLAGS: (np.dtype(np.uint8), Count.NEURONS),
    SpikeField.AXON: (np.dtype(np.int32), Count.SPIKE_RING),
    SpikeField.AXON_COUNTS: (np.dtype(np.int32), Count.SPIKE_SLOTS),
    SpikeField.THREAD: (np.dtype(np.int64), Count.THREADS),
    SpikeField.CURRENT: (np.dtype(np.int64), Count.CURRENT),
    SpikeField.FR_COUNT: (np.dtype(np.int32), Count.NEURONS),
}
#: initial contents of connectivity arrays that are not 0
_CONN_INITIAL = {ConnField.POST_INDEX: -1}


class _Builder:
    def __init__(self) -> None:
        self.slots: dict[SlotKey, int] = {}
        self.kinds: dict[SlotKey, SlotKind] = {}
        self.buffers: list[BufferSpec] = []

    def value(self, key: SlotKey) -> None:
        if key not in self.slots:
            self.slots[key] = len(self.slots)
            self.kinds[key] = SlotKind.VALUE

    def pointer(
        self, key: SlotKey, dtype: np.dtype, count: Count, owner_id: int = -1, initial: int = 0
    ) -> None:
        if key not in self.slots:
            self.slots[key] = len(self.slots)
            self.kinds[key] = SlotKind.POINTER
            self.buffers.append(BufferSpec(key, self.slots[key], dtype, count, owner_id, initial))


def _global_ops(module: Module) -> list[GlobalOpKey]:
    """Every global operation the module computes, in kernel order."""
    found: list[GlobalOpKey] = []
    for k in module.kernels:
        for s in walk_stmts(k.body):
            if isinstance(s, ComputeGlobalOp):
                key = GlobalOpKey(k.owner_id, s.op, s.var)
                if key not in found:
                    found.append(key)
    return found


def _in_loops(module: Module) -> tuple[list[BlockPartialKey], set[int]]:
    """Global operations computed inside neuron loops, and projections whose dendrites run in one."""
    partials: list[BlockPartialKey] = []
    fused: set[int] = set()
    for k in module.kernels:
        for loop in (s for s in k.body if isinstance(s, ForEach)):
            for s in loop.body:
                if isinstance(s, ComputeGlobalOp):
                    partials.append(BlockPartialKey(k.owner_id, s.op, s.var))
                elif isinstance(s, ForDendrite):
                    fused.add(s.proj)
    return partials, fused


def axonal_populations(module: Module) -> set[int]:
    """Spiking populations whose neurons have an ``axon_spike`` condition (they get a whole axonal ring)."""
    return {
        k.owner_id
        for k in module.kernels
        if k.owner is ObjKind.POPULATION
        and any(isinstance(s, Spike) and s.axon_cond is not None for s in walk_stmts(k.body))
    }


def axonal_projections(module: Module) -> set[int]:
    """Projections whose kernels deliver axonal events (they get an ``AXON_TRANSMISSION`` flag)."""
    return {
        k.owner_id
        for k in module.kernels
        if k.owner is ObjKind.PROJECTION
        and any(isinstance(s, ForEach) and s.domain is Domain.AXON_SPIKE for s in walk_stmts(k.body))
    }


def timed_populations(module: Module) -> list[int]:
    """Populations whose kernels hold a ``TimedStep`` (they get :class:`TimedKey` slots), in id order."""
    found = {k.owner_id for k in module.kernels if any(isinstance(s, TimedStep) for s in walk_stmts(k.body))}
    return sorted(found)


def source_populations(module: Module) -> list[int]:
    """Spike source arrays: populations whose kernels read :class:`~nnc.ir.nodes.SourceDue`, in id order."""
    found = {
        k.owner_id
        for k in module.kernels
        for s in walk_stmts(k.body)
        for e in stmt_exprs(s)
        if any(isinstance(n, SourceDue) for n in walk(e))
    }
    return sorted(found)


def _lay_out_timed(b: _Builder, module: Module, pid: int) -> None:
    """The scheduler of a timed array: its values, then a one-row rates buffer and a one-entry schedule
    (the population replaces both when it binds, :meth:`nnc.runtime.buffers.Buffers.reallocate`)."""
    for f in TimedField:
        if f not in (TimedField.RATES, TimedField.SCHEDULE):
            b.value(TimedKey(pid, f))
    b.pointer(TimedKey(pid, TimedField.RATES), real_dtype(module.precision), Count.NEURONS, pid)
    b.pointer(TimedKey(pid, TimedField.SCHEDULE), np.dtype(np.int32), Count.ONE, pid)


def _lay_out_populations(b: _Builder, module: Module) -> None:
    real = real_dtype(module.precision)
    timed = timed_populations(module)
    sources = source_populations(module)
    axonal = axonal_populations(module)
    for pop in module.populations:
        for f in PopField:
            b.value(PopKey(pop.id, f))
        if pop.id in timed:
            _lay_out_timed(b, module, pop.id)
        if pop.id in sources:
            b.pointer(SourceKey(pop.id, SourceField.TIMES), np.dtype(np.int32), Count.ONE, pop.id)
            b.pointer(
                SourceKey(pop.id, SourceField.OFFSETS), np.dtype(np.int64), Count.NEURONS_PLUS_ONE, pop.id
            )
        for var in pop.delayed:
            b.pointer(QueueKey(pop.id, var), real, Count.QUEUE, pop.id)
        for a in pop.attributes:
            b.pointer(
                StateKey(ObjKind.POPULATION, pop.id, a.name),
                numpy_dtype(a.dtype, module.precision),
                _LOCALITY_COUNT_POP[a.locality],
                pop.id,
            )
        for t in pop.targets:
            b.pointer(InputKey(pop.id, t), real, Count.NEURONS, pop.id)
        if pop.kind is NeuronKind.SPIKE:
            for f, (dtype, count) in _SPIKE_SPEC.items():
                if f is SpikeField.AXON and pop.id not in axonal:
                    count = Count.NEURONS
                b.pointer(SpikeKey(pop.id, f), dtype, count, pop.id)
            b.pointer(SpikeKey(pop.id, SpikeField.FR_SCALE), real, Count.ONE, pop.id)


def _event_fields(module: Module, proj: ProjectionDecl) -> tuple[ConnField, ...]:
    """The pre->post index of a projection from a spiking population (and the dendrite of each post), or
    of one that another projection reads transposed."""
    if any(p.shares == proj.id and p.format is Format.TRANSPOSED for p in module.projections):
        return (ConnField.EV_PTR, ConnField.EV_SLOT, ConnField.EV_POST)
    if module.populations[proj.pre].kind is not NeuronKind.SPIKE or proj.specific or proj.stencil is not None:
        return ()  # a stencil from a spiking population reads its pre-synaptic variables, not its spikes
    fields = (ConnField.POST_INDEX, ConnField.EV_PTR, ConnField.EV_SLOT, ConnField.EV_POST)
    return fields + ((ConnField.EV_DELAY,) if proj.delay is DelayKind.NONUNIFORM else ())


def _lay_out_projections(b: _Builder, module: Module, fused: set[int]) -> None:
    axonal = axonal_projections(module)
    # a fused copy finds its dendrites through the post index of the projection it copies
    fused = fused | {conn_key(module.projections[j], ConnField.POST_INDEX).proj for j in fused}
    for proj in module.projections:
        fmt = proj.format or Format.CSR
        for f in _CONN_VALUES:
            b.value(ConnKey(proj.id, f))
        if proj.id in axonal:
            b.value(ConnKey(proj.id, ConnField.AXON_TRANSMISSION))
        fields = _CONN_FIELDS[fmt] + ((ConnField.DELAY,) if proj.delay is DelayKind.NONUNIFORM else ())
        fields += (ConnField.POST_INDEX,) if proj.id in fused else ()
        fields += tuple(f for f in _event_fields(module, proj) if f not in fields)
        for f in fields:
            if conn_key(proj, f).proj != proj.id:
                continue  # read from the projection it shares
            dtype, count = _CONN_SPEC[f]
            b.pointer(ConnKey(proj.id, f), dtype, count, proj.id, _CONN_INITIAL.get(f, 0))
        if proj.shares is not None:
            continue  # its kernels read the attributes of the projection it shares
        for a in proj.attributes:
            b.pointer(
                StateKey(ObjKind.PROJECTION, proj.id, a.name),
                numpy_dtype(a.dtype, module.precision),
                _LOCALITY_COUNT_PROJ[a.locality],
                proj.id,
            )
        for name in proj.mirrored:
            attr = proj.attribute(name)
            assert attr is not None
            b.pointer(
                MirrorKey(proj.id, name), numpy_dtype(attr.dtype, module.precision), Count.SYNAPSES, proj.id
            )


_LAST_LAYOUT: list[tuple[Module, Layout]] = []


def layout_of(module: Module) -> Layout:
    """Assign a slot to every buffer and value the module's kernels may touch (the layout of the last
    module asked for is kept: compiling a network asks for it several times)."""
    if _LAST_LAYOUT and _LAST_LAYOUT[0][0] is module:
        return _LAST_LAYOUT[0][1]
    layout = _layout_of(module)
    _LAST_LAYOUT[:] = [(module, layout)]
    return layout


def _layout_of(module: Module) -> Layout:
    b = _Builder()
    for f in RuntimeField:  # first, in declaration order: RuntimeField i is slot i (RUNTIME_SLOT)
        if f is RuntimeField.RECORD_TABLE:
            b.pointer(RuntimeKey(f), np.dtype(np.int64), Count.ONE)
        else:
            b.value(RuntimeKey(f))
    for name in module.constants:
        b.pointer(ConstantKey(name), real_dtype(module.precision), Count.ONE)
    _lay_out_populations(b, module)
    for key in _global_ops(module):
        b.pointer(key, real_dtype(module.precision), Count.ONE, key.pop)
    partials, fused = _in_loops(module)
    for pkey in partials:
        b.pointer(pkey, real_dtype(module.precision), Count.BLOCKS, pkey.pop)
    _lay_out_projections(b, module, fused)
    return Layout(dict(b.slots), dict(b.kinds), tuple(b.buffers))


#: Context slot of every runtime field, the same in every layout (the step loop is generic).
RUNTIME_SLOT = {f: i for i, f in enumerate(RuntimeField)}


# --------------------------------------------------------------------------------------------------
# schedule: what the step loop does each step, one row of SCHEDULE_FIELDS int64 per entry, in order.


class ScheduleField(Enum):
    """Columns of a schedule row.

    A ``CALL`` row runs a kernel stage: if ``FLAGS & ALWAYS``, or every gate slot ``GATE0..GATE2`` that
    is not -1 holds a non-zero value and (when ``PERIOD`` is not -1)
    ``(k - ctx[OFFSET]) mod max(1, ctx[PERIOD]) == 0``, every thread (``PARALLEL``) or thread 0 calls
    ``FN(ctx, tid, nthreads, k, DESC)``, then all threads pass a barrier if ``BARRIER``. A ``RECORDS``
    row copies the record-table rows of phase ``ARG`` (thread 0, then a barrier) when the table has rows.
    """

    OP = 0
    FN = 1
    ARG = 2  # CALL: address of the instance's descriptor; RECORDS: the phase
    FLAGS = 3
    GATE0 = 4
    GATE1 = 5
    GATE2 = 6
    PERIOD = 7
    OFFSET = 8


SCHEDULE_FIELDS = len(ScheduleField)


class ScheduleOp(Enum):
    """What a schedule row does."""

    CALL = 0
    RECORDS = 1


class ScheduleFlag(enum.IntFlag):
    """Bits of ``ScheduleField.FLAGS``."""

    PARALLEL = 1
    ALWAYS = 2
    BARRIER = 4


# --------------------------------------------------------------------------------------------------
# record table: one row of RECORD_FIELDS int64 per recording (monitor variable), read by generated code.


class RecordField(Enum):
    """Columns of a record-table row.

    In phase ``PHASE`` (3 for inputs, 11 for state) of step k, a row with ``ACTIVE`` set and
    ``(k - ORIGIN) mod PERIOD == OFFSET`` and ``COUNT < CAPACITY`` copies ``N`` elements of type
    ``ELEM`` from ``SRC`` (at ``INDEX[i]`` when ``INDEX`` is non-null, else at i) to
    ``DST + COUNT * N * sizeof(ELEM)`` and increments ``COUNT``.

    A spike row (``ELEM`` is ``SPIKES``) records a spike list: ``SRC`` points at two ``int64``, the
    list's length ``c`` and address (``SpikeField.CURRENT``); the row copies the ``c`` int32 ranks to
    ``DST + FILL * 4``, stores ``c`` in the int32 ``INDEX[COUNT]``, then ``FILL += c`` and
    ``COUNT += 1``. ``DST`` holds at least ``CAPACITY * N`` ranks (``N``: the population size).
    """

    PHASE = 0
    ACTIVE = 1
    SRC = 2
    ELEM = 3
    N = 4
    INDEX = 5
    DST = 6
    CAPACITY = 7
    COUNT = 8
    PERIOD = 9
    OFFSET = 10
    ORIGIN = 11
    FILL = 12


RECORD_FIELDS = len(RecordField)


class ElemCode(Enum):
    """Element type codes of the record table."""

    F64 = 0
    F32 = 1
    I32 = 2
    U8 = 3
    SPIKES = 4


ELEM_CODE_OF = {
    np.dtype(np.float64): ElemCode.F64,
    np.dtype(np.float32): ElemCode.F32,
    np.dtype(np.int32): ElemCode.I32,
    np.dtype(np.uint8): ElemCode.U8,
}


#: Temporaries through which every engine lowers a ``Spike`` statement: the neurons that fire while
#: their resets run, and those whose axon fires (not DSL names, so they cannot clash with one).
FIRE = "spike.fire"
AXON = "spike.axon"
