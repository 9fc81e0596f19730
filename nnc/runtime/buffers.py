"""Host buffers of a compiled network: NumPy arrays shared zero-copy with generated code via ``ctx``."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from nnc.backend.abi import (
    ELEM_CODE_OF,
    MAX_THREADS,
    RECORD_FIELDS,
    VALUE_DEFAULTS,
    BufferSpec,
    ConnField,
    ConnKey,
    Count,
    ElemCode,
    Layout,
    MirrorKey,
    PopField,
    PopKey,
    RecordField,
    RuntimeField,
    RuntimeKey,
    SlotKey,
    SlotKind,
)
from nnc.ir.model import Module
from nnc.ir.nodes import GLOBAL_OP_BLOCK

#: Phase in which spikes are recorded (SEMANTICS.md §13: with the state, phase 11).
RECORD_PHASE = 11

#: Extra elements after every buffer so that vector loads past the last element stay in bounds.
PADDING = 16


@dataclass(frozen=True, slots=True)
class ProjectionShape:
    """Sizes of a projection's stored connectivity."""

    n_dendrites: int
    n_synapses: int


def _padded(n: int, dtype: np.dtype) -> np.ndarray:
    """A zeroed array of ``n`` elements, followed by hidden padding, 64-byte aligned."""
    nbytes = (n + PADDING) * dtype.itemsize
    raw = np.zeros(nbytes + 64, dtype=np.uint8)
    start = (-raw.ctypes.data) % 64
    return raw[start : start + nbytes].view(dtype)[:n]


class Residency(Protocol):
    """An engine that keeps copies of the buffers elsewhere (a GPU) and copies them back on demand."""

    def host_access(self, key: SlotKey) -> None:
        """The host is about to read or write the buffer of ``key``: make the host copy current."""
        ...


class Buffers:
    """Owns every array of a network and the ``ctx`` array that points at them.

    ``residency``: set by an engine that keeps device copies (:class:`Residency`); :meth:`array` then
    fetches a stale host copy first and tells the engine the host may change it.
    """

    def __init__(
        self,
        module: Module,
        layout: Layout,
        shapes: dict[int, ProjectionShape],
        queue_lengths: dict[int, int] | None = None,
        spike_slots: dict[int, int] | None = None,
    ):
        self.module = module
        self.layout = layout
        self.shapes = dict(shapes)
        self.queue_lengths = dict(queue_lengths or {})
        self.spike_slots = dict(spike_slots or {})
        self.ctx = np.zeros(max(layout.size, 1), dtype=np.uint64)
        self.arrays: dict[SlotKey, np.ndarray] = {}
        self._memory = _Extents()
        self._synaptic: dict[int, list[BufferSpec]] = {}  # projection -> buffers sized by its connectivity
        for spec in layout.buffers:
            if spec.count in _SYNAPTIC_COUNTS and _is_projection_key(spec.key):
                self._synaptic.setdefault(spec.owner_id, []).append(spec)
        self._records = np.zeros((0, RECORD_FIELDS), dtype=np.int64)
        self._record_refs: list[tuple[np.ndarray, np.ndarray | None, np.ndarray]] = []
        self.residency: Residency | None = None
        for key, kind in layout.kinds.items():
            default = VALUE_DEFAULTS.get(getattr(key, "field", None))  # type: ignore[arg-type]
            if kind is SlotKind.VALUE and default is not None:
                self.set_value(key, default)
        for pop, n in self.queue_lengths.items():
            if self.has(PopKey(pop, PopField.QUEUE_LEN)):
                self.set_value(PopKey(pop, PopField.QUEUE_LEN), n)
        for pop, n in self.spike_slots.items():
            self.set_value(PopKey(pop, PopField.SPIKE_SLOTS), n)
        for spec in layout.buffers:
            self._allocate(spec)
        for pid, shape in self.shapes.items():
            self.set_value(ConnKey(pid, ConnField.N_DENDRITES), shape.n_dendrites)
            self.set_value(ConnKey(pid, ConnField.N_SYNAPSES), shape.n_synapses)

    # ------------------------------------------------------------------ allocation
    def _count(self, spec: BufferSpec) -> int:  # noqa: C901 (one case per count kind)
        match spec.count:
            case Count.ONE:
                return 1
            case Count.NEURONS:
                return self.module.populations[spec.owner_id].size
            case Count.DENDRITES:
                return self.shapes[spec.owner_id].n_dendrites
            case Count.DENDRITES_PLUS_ONE:
                return self.shapes[spec.owner_id].n_dendrites + 1
            case Count.SYNAPSES:
                return self.shapes[spec.owner_id].n_synapses
            case Count.QUEUE:
                pop = self.module.populations[spec.owner_id]
                return self.queue_lengths.get(pop.id, 1) * pop.size
            case Count.POST_NEURONS:
                return self.module.populations[self.module.projections[spec.owner_id].post].size
            case Count.BLOCKS:
                return max(1, -(-self.module.populations[spec.owner_id].size // GLOBAL_OP_BLOCK))
            case Count.SPIKE_RING:
                return self.spike_slots.get(spec.owner_id, 1) * self.module.populations[spec.owner_id].size
            case Count.SPIKE_SLOTS:
                return self.spike_slots.get(spec.owner_id, 1)
            case Count.THREADS:
                return 2 * MAX_THREADS
            case Count.CURRENT:
                return 4
            case Count.NEURONS_PLUS_ONE:
                return self.module.populations[spec.owner_id].size + 1
            case Count.PRE_NEURONS_PLUS_ONE:
                return self.module.populations[self.module.projections[spec.owner_id].pre].size + 1
        raise ValueError(spec.count)

    def _allocate(self, spec: BufferSpec) -> None:
        array = _padded(self._count(spec), spec.dtype)
        if spec.initial:
            array[:] = spec.initial
        self.install(spec.key, array)

    def install(self, key: SlotKey, array: np.ndarray) -> None:
        """Make ``array`` the buffer of ``key`` (it must stay alive; the ctx slot points at it)."""
        if self.layout.kinds[key] is not SlotKind.POINTER:
            raise KeyError(f"{key} is a value slot")
        if not array.flags.c_contiguous:
            raise ValueError(f"buffer for {key} must be C-contiguous")
        # generated code declares its buffer pointers noalias: no two slots may share memory
        other = self._memory.replace(key, array)
        if other is not None:
            raise ValueError(f"buffer for {key} overlaps the buffer of {other}")
        self.arrays[key] = array
        self.ctx[self.layout.slot(key)] = array.ctypes.data

    def reallocate(self, key: SlotKey, n: int) -> np.ndarray:
        """Replace the buffer of ``key`` by a zeroed one of ``n`` elements (same dtype) and return it."""
        old = self.arrays[key]
        new = _padded(n, old.dtype)
        self.install(key, new)
        return new

    def resize_projection(self, pid: int, shape: ProjectionShape) -> None:
        """Reallocate every dendrite/synapse buffer of projection ``pid`` for a new connectivity shape."""
        self.shapes[pid] = shape
        for spec in self._synaptic.get(pid, ()):
            self.reallocate(spec.key, self._count(spec))
        self.set_value(ConnKey(pid, ConnField.N_DENDRITES), shape.n_dendrites)
        self.set_value(ConnKey(pid, ConnField.N_SYNAPSES), shape.n_synapses)

    # ------------------------------------------------------------------ access
    def array(self, key: SlotKey) -> np.ndarray:
        """The live buffer of ``key`` (writes are seen by the next step)."""
        if self.residency is not None:
            self.residency.host_access(key)
        return self.arrays[key]

    def current(self, key: SlotKey) -> np.ndarray:
        """The array object of ``key`` without synchronising its contents (identity checks only)."""
        return self.arrays[key]

    def has(self, key: SlotKey) -> bool:
        """Whether the layout has ``key``."""
        return key in self.layout.slots

    def set_value(self, key: SlotKey, value: int) -> None:
        """Store an integer in a value slot."""
        if self.layout.kinds[key] is not SlotKind.VALUE:
            raise KeyError(f"{key} is a pointer slot")
        self.ctx[self.layout.slot(key)] = np.uint64(int(value) & 0xFFFFFFFFFFFFFFFF)

    def value(self, key: SlotKey) -> int:
        """Integer held by a value slot (signed)."""
        return int(self.ctx[self.layout.slot(key)].view(np.int64))

    @property
    def step(self) -> int:
        """Current step counter k."""
        return self.value(RuntimeKey(RuntimeField.STEP))

    @step.setter
    def step(self, k: int) -> None:
        self.set_value(RuntimeKey(RuntimeField.STEP), k)

    # ------------------------------------------------------------------ record table
    @property
    def records(self) -> np.ndarray:
        """The record table (rows of :class:`RecordField` columns); edit rows in place."""
        return self._records

    def add_record(
        self, phase: int, src: np.ndarray, index: np.ndarray | None, period: int, offset: int, origin: int
    ) -> int:
        """Append an inactive recording of ``src`` (optionally gathered at ``index``); return its row."""
        row = np.zeros(RECORD_FIELDS, dtype=np.int64)
        row[RecordField.PHASE.value] = phase
        row[RecordField.ELEM.value] = ELEM_CODE_OF[src.dtype].value
        row[RecordField.N.value] = len(index) if index is not None else src.size
        row[RecordField.PERIOD.value] = max(1, period)
        row[RecordField.OFFSET.value] = offset
        row[RecordField.ORIGIN.value] = origin
        idx = None if index is None else np.ascontiguousarray(index, dtype=np.int32)
        self._record_refs.append((src, idx, np.zeros(0, dtype=src.dtype)))
        row[RecordField.SRC.value] = src.ctypes.data
        row[RecordField.INDEX.value] = 0 if idx is None else idx.ctypes.data
        self._set_table(np.vstack([self._records, row[None, :]]))
        return len(self._records) - 1

    def add_spike_record(self, src: np.ndarray, size: int) -> int:
        """Append an inactive spike row (``RecordField`` docstring) reading the (count, address) pair
        ``src`` of a population of ``size`` neurons; return its row."""
        row = np.zeros(RECORD_FIELDS, dtype=np.int64)
        row[RecordField.PHASE.value] = RECORD_PHASE
        row[RecordField.ELEM.value] = ElemCode.SPIKES.value
        row[RecordField.N.value] = size
        row[RecordField.PERIOD.value] = 1
        row[RecordField.SRC.value] = src.ctypes.data
        counts = np.zeros(0, dtype=np.int32)
        self._record_refs.append((src, counts, np.zeros(0, dtype=np.int32)))
        self._set_table(np.vstack([self._records, row[None, :]]))
        return len(self._records) - 1

    def set_spike_destination(self, row: int, ranks: np.ndarray, counts: np.ndarray) -> None:
        """Give a spike row fresh destinations: ``len(counts)`` steps, at most that many times N ranks."""
        src, _, _ = self._record_refs[row]
        self._record_refs[row] = (src, counts, ranks)
        r = self._records[row]
        if len(ranks) < len(counts) * int(r[RecordField.N.value]):
            raise ValueError("a spike recording needs room for every neuron at every step")
        r[RecordField.DST.value] = ranks.ctypes.data
        r[RecordField.INDEX.value] = counts.ctypes.data
        r[RecordField.CAPACITY.value] = len(counts)
        r[RecordField.COUNT.value] = 0
        r[RecordField.FILL.value] = 0

    def spike_destination(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """``(ranks, counts)`` destinations of a spike row."""
        _, counts, ranks = self._record_refs[row]
        assert counts is not None
        return ranks, counts

    def is_spike_record(self, row: int) -> bool:
        """Whether ``row`` records spike lists."""
        return int(self._records[row, RecordField.ELEM.value]) == ElemCode.SPIKES.value

    def set_record_source(self, row: int, src: np.ndarray) -> None:
        """Point a recording at a new source array (after a reallocation)."""
        _, idx, dst = self._record_refs[row]
        self._record_refs[row] = (src, idx, dst)
        self._records[row, RecordField.SRC.value] = src.ctypes.data

    def set_record_destination(self, row: int, dst: np.ndarray, samples: int = 0) -> None:
        """Give a recording a fresh destination buffer; its capacity is ``len(dst) // N`` samples
        (``samples`` for a recording of no element, e.g. a projection whose synapses were all pruned)."""
        src, idx, _ = self._record_refs[row]
        self._record_refs[row] = (src, idx, dst)
        n = int(self._records[row, RecordField.N.value])
        self._records[row, RecordField.DST.value] = dst.ctypes.data
        self._records[row, RecordField.CAPACITY.value] = (dst.size // n) if n else samples
        self._records[row, RecordField.COUNT.value] = 0

    def set_record_index(self, row: int, src: np.ndarray, index: np.ndarray | None) -> None:
        """Point a recording at ``src`` gathered at ``index`` (a new connectivity); it records
        ``len(index)`` (else ``src.size``) elements per sample from now on and has no destination."""
        idx = None if index is None else np.ascontiguousarray(index, dtype=np.int32)
        self._record_refs[row] = (src, idx, np.zeros(0, dtype=src.dtype))
        r = self._records[row]
        r[RecordField.SRC.value] = src.ctypes.data
        r[RecordField.INDEX.value] = 0 if idx is None else idx.ctypes.data
        r[RecordField.N.value] = len(idx) if idx is not None else src.size
        r[RecordField.DST.value] = 0
        r[RecordField.CAPACITY.value] = 0
        r[RecordField.COUNT.value] = 0

    def record_destination(self, row: int) -> np.ndarray:
        """The destination buffer of a recording."""
        return self._record_refs[row][2]

    def record_source(self, row: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Source array and index array of a recording."""
        src, idx, _ = self._record_refs[row]
        return src, idx

    def _set_table(self, table: np.ndarray) -> None:
        self._records = np.ascontiguousarray(table, dtype=np.int64)
        flat = self._records.reshape(-1) if self._records.size else _padded(0, np.dtype(np.int64))
        self.install(RuntimeKey(RuntimeField.RECORD_TABLE), flat)
        self.set_value(RuntimeKey(RuntimeField.RECORD_COUNT), len(self._records))


#: Length rules of the buffers a projection's connectivity sizes (:meth:`Buffers.resize_projection`).
_SYNAPTIC_COUNTS = (Count.DENDRITES, Count.SYNAPSES, Count.DENDRITES_PLUS_ONE)


class _Extents:
    """The memory ranges of the installed buffers, sorted by address (they never overlap), so that
    installing a buffer checks its overlaps in O(log n)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._keys: list[SlotKey] = []
        self._of: dict[SlotKey, int] = {}  # key -> start of its range (non-empty buffers only)

    def replace(self, key: SlotKey, array: np.ndarray) -> SlotKey | None:
        """Make ``array`` the range of ``key``, unless it overlaps the range of another key: then
        return that key and change nothing."""
        lo = array.ctypes.data
        hi = lo + array.nbytes
        if array.nbytes:
            j = max(0, bisect.bisect_left(self._starts, lo) - 1)
            while j < len(self._starts) and self._starts[j] < hi:
                if self._keys[j] != key and self._ends[j] > lo:
                    return self._keys[j]
                j += 1
        old = self._of.pop(key, None)
        if old is not None:
            i = bisect.bisect_left(self._starts, old)
            del self._starts[i], self._ends[i], self._keys[i]
        if array.nbytes:
            i = bisect.bisect_right(self._starts, lo)
            self._starts.insert(i, lo)
            self._ends.insert(i, hi)
            self._keys.insert(i, key)
            self._of[key] = lo
        return None


def _is_projection_key(key: SlotKey) -> bool:
    owner = getattr(key, "owner", None)
    return isinstance(key, ConnKey | MirrorKey) or (owner is not None and owner.name == "PROJECTION")
