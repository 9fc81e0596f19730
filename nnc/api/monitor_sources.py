"""Where a monitored variable lives and how its samples are shaped (API.md §9 table of shapes).

A :class:`Source` names the buffer of a variable, the phase it is sampled in (SEMANTICS.md §13: 3 for
spiking inputs ``g_T``; 11 for state, and for rate inputs ``sum(T)``, which do not change between phases
3 and 11 and may be completed during phase 5 by fused kernels), the elements gathered from it (population
ranks, synapse slots) and how the ``(T, n)`` samples become what ``Monitor.get`` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnc.api.attributes import convert
from nnc.api.views import IndividualNeuron, PopulationView
from nnc.backend.abi import InputKey, SlotKey, SpikeField, SpikeKey, StateKey
from nnc.diagnostics import ModelError
from nnc.ir.model import Attribute
from nnc.ir.types import AttrKind, DType, Format, Locality, NeuronKind, ObjKind, Phase

#: ``(samples (T, n), reshape) -> data`` as ``Monitor.get`` returns it
Shaper = Callable[[np.ndarray, bool], object]


@dataclass(frozen=True, slots=True)
class Source:
    """One recordable variable: its buffer, phase, gathered elements and result shape."""

    var: str
    key: SlotKey
    phase: Phase
    dtype: DType
    index: Callable[[], np.ndarray | None]
    width: Callable[[], int]
    shape: Shaper
    spikes: bool = False  # a spike list: ``key`` is the (count, address) pair, samples are (steps, ranks)


def is_synaptic(obj: object) -> bool:
    """Whether ``obj`` is a projection or a dendrite."""
    from nnc.api.dendrite import Dendrite
    from nnc.api.projection import Projection

    return isinstance(obj, Projection | Dendrite)


def _recordable(owner: str, attr: Attribute | None, var: str) -> Attribute:
    if attr is None:
        raise ModelError(f"Monitor: {owner} has no variable '{var}'")
    if attr.kind is AttrKind.PARAMETER:
        raise ModelError(f"Monitor: '{var}' of {owner} is a parameter; parameters are not recordable")
    return attr


# --------------------------------------------------------------------------------------------------
# populations, views, single neurons


def population_source(obj: object, var: str) -> Source:
    """A variable, ``sum(target)`` or conductance of a population, view or neuron."""
    pop = getattr(obj, "population", obj)
    ranks = obj.ranks if isinstance(obj, PopulationView | IndividualNeuron) else None
    model = pop.neuron_model  # type: ignore[attr-defined]
    width = (lambda: len(ranks)) if ranks is not None else (lambda: pop.size)  # type: ignore[attr-defined]

    def local_shape(data: np.ndarray, reshape: bool) -> np.ndarray:
        values = convert(data, dtype)
        if reshape and ranks is None:
            return values.reshape((values.shape[0], *pop.geometry))  # type: ignore[attr-defined]
        return values

    if var.startswith("sum(") and var.endswith(")"):
        if model.kind is not NeuronKind.RATE:
            raise ModelError(f"Monitor: '{var}' exists only for rate-coded populations")
        dtype = DType.REAL
        key: SlotKey = InputKey(pop.id, var[4:-1].strip())  # type: ignore[attr-defined]
        # Rate inputs are complete after phase 2 and unchanged until phase 11, where they are sampled:
        # the fuse pass may accumulate them inside the population's update (phase 5).
        return Source(var, key, Phase.RECORD, dtype, lambda: ranks, width, local_shape)
    if var in ("spike", "axon_spike"):
        if model.kind is not NeuronKind.SPIKE:
            raise ModelError(f"Monitor: '{var}' exists only for spiking populations")
        if var == "axon_spike" and model.axon_spike is None:
            raise ModelError(f"Monitor: the neurons of {pop.name} have no axon_spike condition")  # type: ignore[attr-defined]
        recorded = np.arange(pop.size) if ranks is None else np.asarray(ranks)  # type: ignore[attr-defined]
        key = SpikeKey(pop.id, SpikeField.CURRENT)  # type: ignore[attr-defined]
        return Source(var, key, Phase.RECORD, DType.INT, lambda: None, width, _spike_dict(recorded),
                      spikes=True)  # fmt: skip
    attr = _recordable(pop.name, model.attribute(var), var)  # type: ignore[attr-defined]
    dtype = attr.dtype
    spiking_input = var.startswith("g_") and model.kind is NeuronKind.SPIKE
    phase = Phase.RECORD_INPUTS if spiking_input else Phase.RECORD
    key = StateKey(ObjKind.POPULATION, pop.id, var)  # type: ignore[attr-defined]
    if attr.locality is Locality.GLOBAL:
        return Source(var, key, phase, dtype, lambda: None, lambda: 1, _flat(dtype))
    return Source(var, key, phase, dtype, lambda: ranks, width, local_shape)


def _spike_dict(recorded: np.ndarray) -> Shaper:
    """``(steps, ranks)`` of every recorded spike → ``{rank: [step, ...]}`` with a key for every recorded
    rank (empty lists kept, API.md §9)."""

    def shape(data: object, reshape: bool) -> dict[int, list[int]]:
        steps, ranks = data  # type: ignore[misc]
        keep = np.isin(ranks, recorded)
        steps, ranks = steps[keep], ranks[keep]
        keys = ranks.astype(np.uint16) if len(recorded) and recorded.max() < 1 << 16 else ranks
        order = np.argsort(keys, kind="stable")  # radix sort for 16-bit keys
        steps, ranks = steps[order], ranks[order]
        bounds = np.searchsorted(ranks, recorded)
        ends = np.searchsorted(ranks, recorded, side="right")
        return {int(r): steps[a:b].tolist() for r, a, b in zip(recorded.tolist(), bounds, ends, strict=True)}

    return shape


def _flat(dtype: DType) -> Shaper:
    return lambda data, reshape: convert(data, dtype).reshape(-1)


# --------------------------------------------------------------------------------------------------
# projections and dendrites


def _slots(proj: object) -> np.ndarray:
    """Slot of every synapse of a compiled projection, dendrite by dendrite."""
    fmt = proj._decl.format or Format.CSR  # type: ignore[attr-defined]
    return proj._conn.slot_index(fmt)  # type: ignore[attr-defined]


def _split_rows(proj: object, dtype: DType) -> Shaper:
    """What ``np.array`` makes of the per-step, per-dendrite lists (API.md §9): ``(T, n_dendrites,
    n_synapses)`` of objects when every dendrite has the same length, else ``(T, n_dendrites)`` of lists."""

    def shape(data: np.ndarray, reshape: bool) -> np.ndarray:
        values = convert(data, dtype)
        conn = proj._conn  # type: ignore[attr-defined]
        lengths = conn.row_lengths
        if conn.n_dendrites and np.all(lengths == lengths[0]):
            rows = values.reshape(values.shape[0], conn.n_dendrites, int(lengths[0]))
            return np.array(rows.tolist(), dtype=object).reshape(rows.shape)
        out = np.empty((values.shape[0], conn.n_dendrites), dtype=object)
        for t in range(values.shape[0]):
            for i, piece in enumerate(conn.split(values[t])):
                out[t, i] = piece.tolist()
        return out

    return shape


def _squeezed(dtype: DType) -> Shaper:
    """``(T, n)``, or ``(T,)`` when the dendrite has a single synapse."""

    def shape(data: np.ndarray, reshape: bool) -> np.ndarray:
        values = convert(data, dtype)
        return values[:, 0] if values.ndim == 2 and values.shape[1] == 1 else values

    return shape


def _plain(dtype: DType) -> Shaper:
    return lambda data, reshape: convert(data, dtype)


def _synaptic_layout(proj: object, obj: object, locality: Locality, dtype: DType) -> tuple:
    """``(index, width, shape)`` of a synaptic variable recorded for ``obj`` (projection or dendrite)."""
    dendrite = obj is not proj

    def conn() -> object:
        return proj._conn  # type: ignore[attr-defined]

    def row() -> slice:
        return conn().row(obj.idx)  # type: ignore[attr-defined]

    match locality, dendrite:
        case Locality.GLOBAL, _:
            return (lambda: None), (lambda: 1), _flat(dtype)
        case Locality.SEMIGLOBAL, True:
            return (lambda: np.array([obj.idx])), (lambda: 1), _flat(dtype)  # type: ignore[attr-defined]
        case Locality.SEMIGLOBAL, False:
            return (lambda: None), (lambda: conn().n_dendrites), _plain(dtype)  # type: ignore[attr-defined]
        case Locality.LOCAL, True:
            return (lambda: _slots(proj)[row()]), (lambda: row().stop - row().start), _squeezed(dtype)
    return (lambda: _slots(proj)), (lambda: conn().n_synapses), _split_rows(proj, dtype)  # type: ignore[attr-defined]


def synaptic_source(obj: object, var: str) -> Source:
    """A synaptic variable of a whole projection or of one dendrite (CPU only, API.md §17)."""
    proj = getattr(obj, "proj", obj)
    attr = _recordable(proj.name, proj.synapse_model.attribute(var), var)  # type: ignore[attr-defined]
    index, width, shape = _synaptic_layout(proj, obj, attr.locality, attr.dtype)
    key = StateKey(ObjKind.PROJECTION, proj.id, var)  # type: ignore[attr-defined]
    return Source(var, key, Phase.RECORD, attr.dtype, index, width, shape)


def source_for(obj: object, var: str) -> Source:
    """The source of ``var`` of any monitorable object."""
    return synaptic_source(obj, var) if is_synaptic(obj) else population_source(obj, var)
