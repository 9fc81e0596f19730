"""Host-side driver of a compiled network: runs the engine, sizes native recordings, splits runs at callbacks.

Recording is native (the record table of :class:`~nnc.runtime.buffers.Buffers`, RecordField in
nnc/backend/abi.py): before each ``engine.run(n)`` every active row gets a destination sized for exactly
the samples it takes in steps ``[k, k + n)``; afterwards the filled part is kept as one chunk. Python does
nothing per step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nnc.backend.abi import RecordField, SlotKey
from nnc.runtime.buffers import Buffers
from nnc.runtime.engine import Engine
from nnc.runtime.progress import Progress


def samples_in(k: int, n: int, origin: int, period: int, offset: int) -> int:
    """Number of steps ``j`` in ``[k, k + n)`` with ``(j - origin) mod period == offset`` (SEMANTICS §13)."""
    if n <= 0:
        return 0
    first = k + (origin + offset - k) % period
    if first >= k + n:
        return 0
    return (k + n - 1 - first) // period + 1


_ACTIVE, _ORIGIN, _PERIOD, _OFFSET, _COUNT, _CAPACITY = (
    f.value
    for f in (
        RecordField.ACTIVE,
        RecordField.ORIGIN,
        RecordField.PERIOD,
        RecordField.OFFSET,
        RecordField.COUNT,
        RecordField.CAPACITY,
    )
)


#: Most spike ranks one spike recording may hold per run (a run is cut into chunks so that the
#: worst case, every neuron firing at every step, fits): 2**24 ranks, 64 MiB.
SPIKE_CHUNK = 1 << 24


@dataclass(slots=True)
class _Row:
    """Bookkeeping of one record-table row: element count and the chunks recorded so far.

    A spike row's chunks are ``(steps, ranks)`` pairs: the step of every recorded spike and its rank.
    """

    n: int
    dtype: np.dtype
    chunks: list = field(default_factory=list)
    key: SlotKey | None = None
    spikes: bool = False
    first: int = 0  # step of the first sample of the current run (spike rows)


class Recorder:
    """Owns the recordings of a network: rows of the record table and the samples they produced."""

    def __init__(self, buffers: Buffers):
        self.buffers = buffers
        self._rows: dict[int, _Row] = {}

    def add(
        self, phase: int, src: np.ndarray, index: np.ndarray | None, period: int, origin: int, offset: int = 0
    ) -> int:
        """A new inactive recording of ``src`` (gathered at ``index``); returns its row."""
        row = self.buffers.add_record(phase, src, index, period, offset, origin)
        n = len(index) if index is not None else src.size
        self._rows[row] = _Row(n, src.dtype)
        self.buffers.set_record_destination(row, np.zeros(0, dtype=src.dtype))
        return row

    def add_spikes(self, src: np.ndarray, size: int) -> int:
        """A new inactive recording of the spike lists described by ``src`` (``SpikeField.CURRENT``)."""
        row = self.buffers.add_spike_record(src, size)
        self._rows[row] = _Row(size, np.dtype(np.int32), spikes=True)
        self.buffers.set_spike_destination(row, np.zeros(0, np.int32), np.zeros(0, np.int32))
        return row

    def max_steps(self) -> int | None:
        """Longest run whose spike recordings fit their chunk (None: no limit)."""
        table = self.buffers.records
        sizes = [info.n for row, info in self._rows.items() if info.spikes and table[row][_ACTIVE]]
        return max(1, SPIKE_CHUNK // max(sizes)) if sizes and max(sizes) else None

    def follow(self, row: int, key: SlotKey) -> None:
        """Re-point ``row`` at the buffer of ``key`` before each run if that buffer was reallocated."""
        self._rows[row].key = key

    def _refresh_sources(self) -> None:
        for row, info in self._rows.items():
            if info.key is not None:
                current = self.buffers.current(info.key)
                if current is not self.buffers.record_source(row)[0]:
                    self.buffers.set_record_source(row, current)

    def _set(self, row: int, column: RecordField, value: int) -> None:
        self.buffers.records[row, column.value] = value

    def activate(self, row: int, active: bool) -> None:
        """Start or stop sampling into ``row``."""
        self._set(row, RecordField.ACTIVE, int(active))

    def retime(self, row: int, period: int, origin: int, offset: int) -> None:
        """Change the recording steps of ``row`` to ``(k - origin) mod period == offset`` (spike rows record
        every step: SEMANTICS.md §13)."""
        if self._rows[row].spikes:
            return
        self._set(row, RecordField.PERIOD, max(1, period))
        self._set(row, RecordField.ORIGIN, origin)
        self._set(row, RecordField.OFFSET, offset)

    def prepare(self, k: int, nsteps: int) -> None:
        """Give every row a destination for exactly its samples in steps ``[k, k + nsteps)``."""
        self._refresh_sources()
        table = self.buffers.records
        for row, info in self._rows.items():
            r = table[row]
            if info.spikes:
                steps = nsteps if r[_ACTIVE] else 0
                info.first = k
                ranks = np.empty(steps * info.n, dtype=np.int32)
                self.buffers.set_spike_destination(row, ranks, np.zeros(steps, dtype=np.int32))
                continue
            count = (
                samples_in(k, nsteps, int(r[_ORIGIN]), int(r[_PERIOD]), int(r[_OFFSET])) if r[_ACTIVE] else 0
            )
            if count or r[_CAPACITY]:
                self.buffers.set_record_destination(row, np.empty(count * info.n, dtype=info.dtype), count)

    def collect(self) -> None:
        """Keep what every row recorded in the last run."""
        table = self.buffers.records
        for row, info in self._rows.items():
            count = int(table[row, _COUNT])
            if info.spikes:
                if count:
                    fill = int(table[row, RecordField.FILL.value])
                    ranks, counts = self.buffers.spike_destination(row)
                    steps = np.repeat(
                        np.arange(info.first, info.first + count, dtype=np.int64), counts[:count]
                    )
                    info.chunks.append((steps, ranks[:fill].copy()))
                    table[row, _COUNT] = 0
                    table[row, RecordField.FILL.value] = 0
                continue
            if count:
                dst = self.buffers.record_destination(row)
                info.chunks.append(dst[: count * info.n].reshape(count, info.n))
                table[row, _COUNT] = 0

    def spikes(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Everything spike row ``row`` recorded: the step and the rank of each spike, in time order."""
        info = self._rows[row]
        if not info.chunks:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        if len(info.chunks) > 1:
            info.chunks[:] = [tuple(np.concatenate(parts) for parts in zip(*info.chunks, strict=True))]
        return info.chunks[0]

    def samples(self, row: int) -> np.ndarray:
        """Everything ``row`` recorded, shape ``(T, n)``."""
        info = self._rows[row]
        if not info.chunks:
            return np.zeros((0, info.n), dtype=info.dtype)
        if len(info.chunks) > 1:
            info.chunks[:] = [np.concatenate(info.chunks)]
        return info.chunks[0]

    def records_at(self, row: int, k: int) -> bool:
        """Whether ``row`` (active now) takes a sample at step ``k`` (SEMANTICS.md §13)."""
        r = self.buffers.records[row]
        return bool(r[_ACTIVE]) and (k - int(r[_ORIGIN])) % max(1, int(r[_PERIOD])) == int(r[_OFFSET])

    def reindex(self, row: int, src: np.ndarray, index: np.ndarray | None) -> None:
        """Record ``src`` at ``index`` from now on (a projection's new connectivity); the samples taken so
        far must have been read (they are discarded)."""
        self.buffers.set_record_index(row, src, index)
        info = self._rows[row]
        info.n = len(index) if index is not None else src.size
        info.chunks.clear()

    def pop_last(self, row: int) -> np.ndarray:
        """Remove the last sample of ``row`` and return it."""
        data = self.samples(row)
        last = data[-1].copy()
        self._rows[row].chunks[:] = [data[:-1]]
        return last

    def push(self, row: int, sample: np.ndarray) -> None:
        """Append one sample to ``row`` (taken by the host, e.g. again after a structural change)."""
        info = self._rows[row]
        info.chunks.append(np.asarray(sample, dtype=info.dtype).reshape(1, info.n))

    def discard(self, row: int) -> None:
        """Forget the samples of ``row``."""
        self._rows[row].chunks.clear()


def run_recorded(
    engine: Engine, buffers: Buffers, recorder: Recorder, nsteps: int, progress: Progress | None = None
) -> int:
    """Run ``nsteps`` steps with native recording; returns the steps done.

    With ``progress``, the run is cut into chunks of the length it asks for and it is told the steps
    done after each (the bar of ``simulate(progress=True)``).
    """
    done = 0
    while done < nsteps:
        chunk = nsteps - done
        limit = recorder.max_steps()
        if limit is not None:
            chunk = min(chunk, limit)
        if progress is not None:
            chunk = min(chunk, progress.next_chunk())
        recorder.prepare(buffers.step, chunk)
        try:
            got = engine.run(buffers, chunk)
        finally:
            recorder.collect()
        done += got
        if progress is not None:
            progress.advance(got)
        if got < chunk:
            break
    return done


# --------------------------------------------------------------------------------------------------
# callbacks (API.md §15)


@dataclass(frozen=True, slots=True)
class CallbackTiming:
    """When a periodic callback fires, in ms as the user gave it."""

    period: float = 1.0
    offset: float = 0.0
    wait: float = 0.0


def steps_for(duration: float, dt: float, with_callbacks: bool) -> int:
    """Steps of ``simulate(duration)``: ``ceil(duration/dt)`` in double, ``int()`` with callbacks (§1)."""
    ratio = duration / dt
    return int(ratio) if with_callbacks else math.ceil(ratio)


def callback_firings(
    timings: list[CallbackTiming], k0: int, length: int, dt: float
) -> list[tuple[int, int, int]]:
    """``(step, callback index, n)`` of every firing within ``[k0, k0 + length)``, in execution order.

    API.md §15: ``P = int(max(period, dt)/dt)``, ``O = int(min(offset, period)/dt) mod P``,
    ``W = int(max(wait, 0)/dt)``; callback fires before step ``k0 + W + O + m·P`` with ``n = m``.
    Simultaneous firings keep declaration order.
    """
    events: list[tuple[int, int, int]] = []
    for i, t in enumerate(timings):
        period = max(t.period, dt)
        p = max(1, int(period / dt))
        o = int(min(t.offset, period) / dt) % p
        w = int(max(t.wait, 0.0) / dt)
        m = 0
        while k0 + w + o + m * p < k0 + length:
            events.append((k0 + w + o + m * p, i, m))
            m += 1
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def run_with_callbacks(
    run: Callable[[int], int],
    k0: int,
    length: int,
    firings: list[tuple[int, int, int]],
    fire: Callable[[int, int], None],
) -> int:
    """Run ``length`` steps from ``k0``, calling ``fire(index, n)`` before each firing step; steps done."""
    done = 0
    for step, index, n in firings:
        if step > k0 + done:
            got = run(step - (k0 + done))
            done += got
            if k0 + done < step:
                return done
        fire(index, n)
    if done < length:
        done += run(length - done)
    return done
