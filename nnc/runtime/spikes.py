"""Spike state of spiking populations on the host side: clearing, growing the spike ring, reading lists.

The ring layout is ``SpikeField`` of :mod:`nnc.backend.abi`: ``SPIKE_SLOTS`` lists of up to ``size``
ranks, the most recent at ``SPIKE_HEAD``. It holds as many steps as the longest delay of a projection
leaving the population needs, and one more than the window of ``compute_firing_rate``.
"""

from __future__ import annotations

import numpy as np

from nnc.backend.abi import (
    VALUE_DEFAULTS,
    ConnField,
    ConnKey,
    PopField,
    PopKey,
    SpikeField,
    SpikeKey,
    StateKey,
    axonal_populations,
)
from nnc.ir.model import LAST_SPIKE, NEVER, REFRACTORY_LEFT
from nnc.ir.types import ObjKind
from nnc.runtime.buffers import Buffers


def spike_slots(buffers: Buffers, pop: int) -> int:
    """Number of spike lists kept for population ``pop``."""
    return buffers.spike_slots.get(pop, 1)


def clear_spikes(buffers: Buffers, pop: int) -> None:
    """Forget every spike: empty lists, ``last_spike = -10000``, no refractoriness, no firing-rate history
    (SEMANTICS.md §12); ``r`` restarts at 0 when a firing rate is computed."""
    for f in (
        SpikeField.COUNTS,
        SpikeField.AXON_COUNTS,
        SpikeField.CURRENT,
        SpikeField.FR_COUNT,
        SpikeField.FLAGS,
    ):
        buffers.array(SpikeKey(pop, f))[:] = 0
    buffers.set_value(PopKey(pop, PopField.SPIKE_HEAD), 0)
    buffers.array(StateKey(ObjKind.POPULATION, pop, LAST_SPIKE))[:] = NEVER
    buffers.array(StateKey(ObjKind.POPULATION, pop, REFRACTORY_LEFT))[:] = 0
    if buffers.value(PopKey(pop, PopField.FR_WINDOW)) > 0:
        buffers.array(StateKey(ObjKind.POPULATION, pop, "r"))[:] = 0
    for proj in buffers.module.projections:  # no spike of the forgotten past remains to be skipped
        key = ConnKey(proj.id, ConnField.DELIVERED_UNTIL)
        if proj.pre == pop and buffers.has(key):
            buffers.set_value(key, VALUE_DEFAULTS[ConnField.DELIVERED_UNTIL])


def grow_spike_ring(buffers: Buffers, pop: int, slots: int) -> None:
    """Keep at least ``slots`` spike lists (and axonal lists), with the recorded past; the head returns
    to slot 0."""
    old = spike_slots(buffers, pop)
    if slots <= old:
        return
    size = buffers.module.populations[pop].size
    head = buffers.value(PopKey(pop, PopField.SPIKE_HEAD))
    ages = (head + np.arange(old)) % old
    buffers.spike_slots[pop] = slots
    axonal = pop in axonal_populations(buffers.module)
    for ring_field, count_field in (
        (SpikeField.RING, SpikeField.COUNTS),
        (SpikeField.AXON, SpikeField.AXON_COUNTS),
    ):
        if ring_field is SpikeField.RING or axonal:
            ring = buffers.array(SpikeKey(pop, ring_field)).reshape(old, size)[ages].copy()
            new_ring = buffers.reallocate(SpikeKey(pop, ring_field), slots * size).reshape(slots, size)
            new_ring[:old] = ring
        counts = buffers.array(SpikeKey(pop, count_field))[ages].copy()
        buffers.reallocate(SpikeKey(pop, count_field), slots)[:old] = counts
    buffers.set_value(PopKey(pop, PopField.SPIKE_SLOTS), slots)
    buffers.set_value(PopKey(pop, PopField.SPIKE_HEAD), 0)
    current = buffers.array(SpikeKey(pop, SpikeField.CURRENT))
    current[1] = buffers.array(SpikeKey(pop, SpikeField.RING)).ctypes.data
    current[3] = buffers.array(SpikeKey(pop, SpikeField.AXON)).ctypes.data


def spikes_of(buffers: Buffers, pop: int, age: int = 0) -> np.ndarray:
    """Ranks that spiked ``age`` steps before the last step (``age < spike_slots``)."""
    slots = spike_slots(buffers, pop)
    size = buffers.module.populations[pop].size
    slot = (buffers.value(PopKey(pop, PopField.SPIKE_HEAD)) + age) % slots
    n = int(buffers.array(SpikeKey(pop, SpikeField.COUNTS))[slot])
    return buffers.array(SpikeKey(pop, SpikeField.RING))[slot * size : slot * size + n].copy()


def set_firing_rate_window(buffers: Buffers, pop: int, window_ms: float, dt: float, real: np.dtype) -> None:
    """``compute_firing_rate(window)``: ``W = int(window/dt)`` steps, ``r = count·1000/window``.

    The counts restart from the spikes the ring still holds of the last ``W`` steps.
    """
    steps = int(window_ms / dt)
    grow_spike_ring(buffers, pop, steps + 1)
    buffers.set_value(PopKey(pop, PopField.FR_WINDOW), max(steps, 0))
    scale = 1000.0 / window_ms if window_ms > 0 else 0.0
    buffers.array(SpikeKey(pop, SpikeField.FR_SCALE))[0] = scale
    size = buffers.module.populations[pop].size
    counts = buffers.array(SpikeKey(pop, SpikeField.FR_COUNT))
    counts[:] = 0
    for age in range(min(steps, spike_slots(buffers, pop))):
        counts[spikes_of(buffers, pop, age)] += 1
    r = buffers.array(StateKey(ObjKind.POPULATION, pop, "r"))
    r[:size] = (counts[:size].astype(np.float64) * scale).astype(real)
