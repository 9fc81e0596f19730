"""Spikes in the reference interpreter: emission, the spike ring, event loops and spike recording.

* :class:`~nnc.ir.nodes.Spike` (in a neuron loop, on whole arrays): ``active`` from
  ``refractory_remaining``, the spike test, the resets through :func:`nnc.ir.guard.guarded`, the
  refractory bookkeeping and the axonal test; the spike lists of the step are pushed to the ring when the
  loop ends (:func:`push_spikes`), empty lists when the population is disabled.
* The ring (``SpikeField`` in :mod:`nnc.backend.abi`): the new lists go to slot ``(head - 1) mod slots``,
  which becomes the head; ``CURRENT`` holds their counts and addresses (read by spike recordings);
  with ``FR_WINDOW = W > 0`` the firing-rate counts gain this step's spikes and lose those of step
  ``k - W`` (slot ``head + W``), and ``r = count · FR_SCALE`` for the neurons whose count changed.
* Event loops run event by event, each over its synapses at once (a synapse appears at most once per
  event, and its post rank once): pre-synaptic spikes in arrival order (delay ascending, then spike-list
  order), each over the synapses with that delay in post-rank order; axonal spikes the same with the
  axonal lists of the same steps; post-synaptic spikes in spike-list order over the dendrite of each
  post neuron.
"""

from __future__ import annotations

import ctypes
from dataclasses import replace

import numpy as np

from nnc.backend.abi import (
    AXON,
    FIRE,
    ConnField,
    ConnKey,
    PopField,
    PopKey,
    RecordField,
    SpikeField,
    SpikeKey,
    StateKey,
)
from nnc.backend.interp.level import Level, Rows
from nnc.diagnostics import InternalError
from nnc.ir.evaluate import eval_expr, to_bool, to_int
from nnc.ir.guard import guarded
from nnc.ir.model import DECODING_WINDOW, LAST_SPIKE, REFRACTORY_LEFT, Module
from nnc.ir.nodes import ForEach, Spike, Temp
from nnc.ir.types import DelayKind, Domain, DType, ObjKind
from nnc.runtime.buffers import Buffers


def _state(b: Buffers, pop: int, name: str) -> np.ndarray:
    return b.array(StateKey(ObjKind.POPULATION, pop, name))


def spike(level: Level, s: Spike, run: object) -> None:
    """Spike emission over the whole neuron loop; ``run(level, body)`` executes statements."""
    ctx = level.ctx
    b, pid, k = ctx.buffers, ctx.kernel.owner_id, ctx.step
    size = level.n
    left = _state(b, pid, REFRACTORY_LEFT)
    active = left[:size] <= 0
    fire = active & np.broadcast_to(to_bool(eval_expr(s.cond, level)), (size,))
    level.temps[FIRE] = fire
    run(level, guarded(s.reset, Temp(FIRE, DType.BOOL)))  # type: ignore[operator]
    last = _state(b, pid, LAST_SPIKE)
    last[:size] = np.where(fire, k, last[:size])
    period = np.broadcast_to(to_int(eval_expr(s.refractory, level)), (size,))
    left[:size] = np.where(fire, period, np.where(active, left[:size], left[:size] - 1))
    axon = np.zeros(size, dtype=bool)
    if s.axon_cond is not None:
        still = np.broadcast_to(to_bool(eval_expr(s.cond, level)), (size,))
        axon = active & np.broadcast_to(to_bool(eval_expr(s.axon_cond, level)), (size,)) & ~still
        level.temps[AXON] = axon
        run(level, guarded(s.axon_reset, Temp(AXON, DType.BOOL)))  # type: ignore[operator]
    ranks, axon_ranks = np.flatnonzero(fire), np.flatnonzero(axon)
    level.finish.append(lambda: push_spikes(b, ctx.module, pid, ranks, axon_ranks))


def push_spikes(b: Buffers, module: Module, pid: int, ranks: np.ndarray, axon: np.ndarray) -> None:
    """Make ``ranks`` (and the axonal ``axon``) the spike lists of the step (module docstring)."""
    size = module.populations[pid].size
    slots = b.value(PopKey(pid, PopField.SPIKE_SLOTS))
    head = (b.value(PopKey(pid, PopField.SPIKE_HEAD)) - 1) % slots
    ring = b.array(SpikeKey(pid, SpikeField.RING))
    ring[head * size : head * size + len(ranks)] = ranks
    b.array(SpikeKey(pid, SpikeField.COUNTS))[head] = len(ranks)
    b.set_value(PopKey(pid, PopField.SPIKE_HEAD), head)
    axon_ring = b.array(SpikeKey(pid, SpikeField.AXON))
    axon_base = head * size if len(axon_ring) >= slots * size else 0  # a whole ring: axonal_populations
    axon_ring[axon_base : axon_base + len(axon)] = axon
    b.array(SpikeKey(pid, SpikeField.AXON_COUNTS))[head] = len(axon)
    current = b.array(SpikeKey(pid, SpikeField.CURRENT))
    current[:4] = (
        len(ranks),
        ring.ctypes.data + 4 * head * size,
        len(axon),
        axon_ring.ctypes.data + 4 * axon_base,
    )
    window = b.value(PopKey(pid, PopField.FR_WINDOW))
    if window <= 0:
        return
    counts = b.array(SpikeKey(pid, SpikeField.FR_COUNT))
    counts[ranks] += 1
    changed = [ranks]
    if window < slots:
        old = (head + window) % slots
        leaving = ring[old * size : old * size + b.array(SpikeKey(pid, SpikeField.COUNTS))[old]]
        counts[leaving] -= 1
        changed.append(leaving)
    scale = b.array(SpikeKey(pid, SpikeField.FR_SCALE))[0]
    r = _state(b, pid, "r")
    for idx in changed:
        r[idx] = (counts[idx].astype(np.float64) * scale).astype(r.dtype)


def spike_list(b: Buffers, size: int, pid: int, age: int, axonal: bool = False) -> np.ndarray:
    """The spike list (the axonal list) of the step ``age`` steps before the last one (age < SPIKE_SLOTS)."""
    slots = b.value(PopKey(pid, PopField.SPIKE_SLOTS))
    slot = (b.value(PopKey(pid, PopField.SPIKE_HEAD)) + age) % slots
    ring, counts = SpikeField.RING, SpikeField.COUNTS
    if axonal:
        ring, counts = SpikeField.AXON, SpikeField.AXON_COUNTS
    n = int(b.array(SpikeKey(pid, counts))[slot])
    return b.array(SpikeKey(pid, ring))[slot * size : slot * size + n].astype(np.int64)


# --------------------------------------------------------------------------------------------------
# event loops


def _events(level: Level, domain: Domain) -> list[np.ndarray]:
    """The synapse positions (into the flattened rows) of every event of the step, in order."""
    ctx = level.ctx
    b, m = ctx.buffers, ctx.module
    proj = m.projections[ctx.kernel.owner_id]
    conn: Rows = ctx.rows[proj.id]
    if domain is Domain.POST_SPIKE:
        size = m.populations[proj.post].size
        index = b.array(ConnKey(proj.id, ConnField.POST_INDEX))
        out = []
        for p in spike_list(b, size, proj.post, 0):
            d = int(index[p])
            if d >= 0:
                out.append(conn.starts[d] + np.arange(conn.lengths[d]))
        return out
    return _pre_events(level, domain)


def _pre_events(level: Level, domain: Domain) -> list[np.ndarray]:
    ctx = level.ctx
    b, m = ctx.buffers, ctx.module
    proj = m.projections[ctx.kernel.owner_id]
    conn: Rows = ctx.rows[proj.id]
    size = m.populations[proj.pre].size
    position = _positions(conn)
    ptr = b.array(ConnKey(proj.id, ConnField.EV_PTR))
    ev_slot = b.array(ConnKey(proj.id, ConnField.EV_SLOT))
    delay_of = None
    if proj.delay is DelayKind.NONUNIFORM:
        delay_of = b.array(ConnKey(proj.id, ConnField.EV_DELAY))
        delays = range(1, b.value(ConnKey(proj.id, ConnField.MAX_DELAY)) + 1)
    elif proj.delay is DelayKind.UNIFORM:
        delays = range(b.value(ConnKey(proj.id, ConnField.UNIFORM_DELAY)), 0, -1)[:1]
    else:
        delays = range(1, 2)
    if domain is Domain.RECENT_SPIKE:  # every spike of the window, all its synapses, most recent first
        window = int(b.array(StateKey(ObjKind.PROJECTION, proj.id, DECODING_WINDOW))[0])
        return [
            position[ev_slot[np.arange(ptr[j], ptr[j + 1])]]
            for age in range(window)
            for j in spike_list(b, size, proj.pre, age)
        ]
    out: list[np.ndarray] = []
    if domain is Domain.AXON_SPIKE and not b.value(ConnKey(proj.id, ConnField.AXON_TRANSMISSION)):
        return out
    delivered_until = b.value(ConnKey(proj.id, ConnField.DELIVERED_UNTIL))
    for d in delays:
        if ctx.step - max(d, 1) <= delivered_until:  # already delivered under a shorter delay
            continue
        spikes = spike_list(b, size, proj.pre, max(d, 1) - 1, axonal=domain is Domain.AXON_SPIKE)
        for j in spikes:
            e = np.arange(ptr[j], ptr[j + 1])
            if delay_of is not None:
                e = e[delay_of[e] == d]
            out.append(position[ev_slot[e]])
    return out


def _positions(conn: Rows) -> np.ndarray:
    """Position in the flattened rows of every slot (CSR: the identity)."""
    pos = np.full(int(conn.slots.max(initial=-1)) + 1, -1, dtype=np.int64)
    pos[conn.slots] = np.arange(len(conn.slots))
    return pos


def event_loop(level: Level, s: ForEach, run: object) -> None:
    """An event loop at a projection kernel's top level: each event's synapse loops, event by event."""
    ctx = level.ctx
    conn: Rows = ctx.rows[ctx.kernel.owner_id]
    for sel in _events(level, s.domain):
        if not len(sel):
            continue
        sub = Rows(conn.post_rank, conn.lengths, conn.slots[sel], conn.rows[sel], conn.pre[sel], conn.starts)
        step = replace(ctx, rows={**ctx.rows, ctx.kernel.owner_id: sub})
        for inner in s.body:
            if not (isinstance(inner, ForEach) and inner.domain is Domain.SYNAPSE):
                raise InternalError(
                    "interp", f"an event loop holds {type(inner).__name__}, not synapse loops"
                )
            run(Level(step, Domain.SYNAPSE, dict(level.temps), len(sel)), inner.body)  # type: ignore[operator]


# --------------------------------------------------------------------------------------------------
# recording


def record_spikes(b: Buffers, row: int) -> None:
    """Append the spike list a spike row points at (``RecordField`` in :mod:`nnc.backend.abi`)."""
    r = b.records[row]
    count, capacity = int(r[RecordField.COUNT.value]), int(r[RecordField.CAPACITY.value])
    if count >= capacity:
        return
    src, _ = b.record_source(row)
    n, address = int(src[0]), int(src[1])
    ranks, counts = b.spike_destination(row)
    fill = int(r[RecordField.FILL.value])
    if n:
        ranks[fill : fill + n] = np.ctypeslib.as_array((ctypes.c_int32 * n).from_address(address))
    counts[count] = n
    r[RecordField.FILL.value] = fill + n
    r[RecordField.COUNT.value] = count + 1
