"""Monitors (API.md §9): native recording of population variables and inputs, data retrieval, spike helpers.

A monitor records variable ``x`` at step ``k`` iff recording is on and ``(k - origin) mod P == O`` with
``P = int(period/dt)``, ``O = int(period_offset/dt)`` and ``origin`` the step at which recording first
started (0 for monitors started at compile). State variables are sampled after the step (phase 11),
spiking inputs ``g_T`` after transmission (phase 3) (SEMANTICS.md §13). Rate inputs ``sum(target)`` are
sampled in phase 11: they hold the same values as in phase 3 (nothing changes them in between), but the
fuse pass may complete them only during phase 5. The samples are written by generated code into buffers
sized before each run (:mod:`nnc.runtime.scheduler`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnc.api.monitor_sources import Source, is_synaptic, source_for
from nnc.api.spikes import (
    coefficient_of_variation,
    histogram,
    inter_spike_interval,
    mean_fr,
    population_rate,
    raster_plot,
    smoothed_rate,
)
from nnc.api.views import IndividualNeuron, PopulationView
from nnc.diagnostics import ModelError, SimulationError
from nnc.ir.types import Locality

if TYPE_CHECKING:
    from nnc.api.network import Network
    from nnc.runtime.scheduler import Recorder

__all__ = [
    "Monitor",
    "MonitorList",
    "coefficient_of_variation",
    "histogram",
    "inter_spike_interval",
    "mean_fr",
    "population_rate",
    "raster_plot",
    "smoothed_rate",
]


def _projection_type() -> type:
    from nnc.api.projection import Projection

    return Projection


def _per_step(shaped: object) -> list:
    """Samples as returned by ``get`` → one Python object per step (nested lists for synapses)."""
    return shaped.tolist() if isinstance(shaped, np.ndarray) else list(shaped)  # type: ignore[call-overload]


def _stack(steps: list, floats: bool) -> np.ndarray:
    """What ``np.array`` makes of the per-step values: a regular array when every step has the same
    shape (floats for a dendrite or semiglobal values, objects for a projection's lists of lists, as
    :func:`nnc.api.monitor_sources.synaptic_source` returns them), else an object array of the lists."""
    if floats:
        try:
            return np.array(steps, dtype=np.float64)
        except ValueError:
            pass
    out = np.empty(len(steps), dtype=object)
    out[:] = [None] * len(steps)
    try:
        return np.array(steps, dtype=object)
    except ValueError:
        for i, s in enumerate(steps):
            out[i] = s
        return out


@dataclass(slots=True)
class _Channel:
    """One recorded variable: its source, its record-table row and its recording segments (steps)."""

    source: Source
    row: int | None = None
    starts: list[int] = field(default_factory=list)
    stops: list[int] = field(default_factory=list)
    last_times: dict[str, list[int]] = field(default_factory=lambda: {"start": [], "stop": []})
    #: samples of a synaptic variable taken before its projection's connectivity changed, one Python
    #: object per step (nested lists shaped with the connectivity of their time)
    earlier: list = field(default_factory=list)
    retake: bool = False


def _network_of(obj: object) -> Network:
    owner = getattr(obj, "population", None) or getattr(obj, "proj", None) or obj
    net = getattr(owner, "network", None)
    if net is None:
        raise ModelError(
            f"Monitor: cannot record {obj!r} (Population, PopulationView, Dendrite or Projection)"
        )
    return net


def _object_name(obj: object) -> str:
    if hasattr(obj, "proj") and hasattr(obj, "post_rank"):
        return f"{obj.proj.name}_dendrite{obj.post_rank}"  # type: ignore[attr-defined]
    return str(obj.name)  # type: ignore[attr-defined]


class Monitor:
    """Records variables of a population, a view or a single neuron (API.md §9)."""

    def __init__(
        self,
        obj: object,
        variables: str | list[str] | None = None,
        period: float | None = None,
        period_offset: float | None = None,
        start: bool = True,
        name: str | None = None,
        net_id: int = 0,
        *,
        network: Network | None = None,
    ):
        recordable = is_synaptic(obj) or isinstance(obj, PopulationView | IndividualNeuron)
        if not recordable and not hasattr(obj, "neuron_model"):
            raise ModelError(
                f"Monitor: cannot record {obj!r} (Population, PopulationView, Dendrite or Projection)"
            )
        self.object = obj
        self._network = network if network is not None else _network_of(obj)
        self.name = name if name is not None else f"Monitor_{_object_name(obj)}"
        dt = self._network.dt
        self._period_ms = period if period is not None else dt
        self._offset_ms = period_offset or 0.0
        if self._offset >= self._period:
            raise ModelError(f"Monitor {self.name}: period_offset must be smaller than period")
        if is_synaptic(obj) and not hasattr(obj, "proj") and self._period == 1:
            self._network._warn(
                f"Monitor {self.name}: recording a projection at every step is slow and large"
            )
        self._channels: dict[str, _Channel] = {}
        self._recording = False
        self._origin: int | None = None
        self._recorder: Recorder | None = None
        for var in [variables] if isinstance(variables, str) else list(variables or []):
            self._add(var)
        self._network._add_monitor(self)
        if start:
            self.start()

    # ------------------------------------------------------------------ sources
    def _add(self, var: str) -> _Channel:
        if var not in self._channels:
            self._channels[var] = _Channel(source_for(self.object, var))
            if self._recorder is not None:
                self._bind_channel(self._channels[var])
        return self._channels[var]

    def _bind_channel(self, ch: _Channel) -> None:
        assert self._recorder is not None
        src = ch.source
        buffers = self._recorder.buffers
        if not buffers.has(src.key):
            raise ModelError(f"Monitor {self.name}: '{src.var}' is not computed (nothing uses that target)")
        index = src.index()
        array = buffers.array(src.key)
        if src.spikes:
            offset = 2 if src.var == "axon_spike" else 0
            size = buffers.module.populations[src.key.pop].size  # type: ignore[union-attr]
            ch.row = self._recorder.add_spikes(array[offset : offset + 2], size)
            self._recorder.activate(ch.row, self._recording)
            return
        ch.row = self._recorder.add(
            src.phase.value, array, index, self._period, self._origin or 0, self._offset
        )
        self._recorder.follow(ch.row, src.key)
        self._recorder.activate(ch.row, self._recording)

    def _bind(self, recorder: Recorder) -> None:
        """Create the native recordings (at compile, or at creation on a compiled network)."""
        self._recorder = recorder
        for ch in self._channels.values():
            self._bind_channel(ch)

    # ------------------------------------------------------------------ control
    @property
    def variables(self) -> list[str]:
        """The recorded variables (a copy)."""
        return list(self._channels)

    @property
    def _period(self) -> int:
        """Recording period in steps, ``int(period/dt)`` with the network's dt (fixed at compile)."""
        return max(1, int(self._period_ms / self._network.dt))

    @property
    def _offset(self) -> int:
        """Offset in steps, ``int(period_offset/dt)``."""
        return int(self._offset_ms / self._network.dt)

    @property
    def period(self) -> float:
        """Recording period in ms."""
        return self._period * self._network.dt

    @period.setter
    def period(self, value: float) -> None:
        if int(self._offset_ms / self._network.dt) >= max(1, int(value / self._network.dt)):
            raise ModelError(f"Monitor {self.name}: period_offset must be smaller than period")
        self._period_ms = value
        self._origin = self._network.current_step
        self._retime()

    @property
    def period_offset(self) -> float:
        """Offset of the recording steps within the period, in ms."""
        return self._offset * self._network.dt

    @period_offset.setter
    def period_offset(self, value: float) -> None:
        if int(value / self._network.dt) >= self._period:
            raise ModelError(f"Monitor {self.name}: period_offset must be smaller than period")
        self._offset_ms = value
        self._retime()

    def _retime(self) -> None:
        if self._recorder is not None:
            for ch in self._channels.values():
                self._recorder.retime(ch.row, self._period, self._origin or 0, self._offset)  # type: ignore[arg-type]

    def _activate(self, on: bool) -> None:
        k = self._network.current_step
        for ch in self._channels.values():
            if on and not self._recording:
                ch.starts.append(k)
            elif not on and self._recording:
                ch.stops.append(k)
            if self._recorder is not None and ch.row is not None:
                self._recorder.activate(ch.row, on)
        self._recording = on

    def start(self, variables: str | list[str] | None = None, period: float | None = None) -> None:
        """Start recording (optionally more variables; a new ``period`` restarts the phase now)."""
        for var in [variables] if isinstance(variables, str) else list(variables or []):
            self._add(var)
        k = self._network.current_step
        if period is not None:
            self._period_ms, self._offset_ms, self._origin = period, 0.0, k
        if self._origin is None:
            self._origin = k
        self._retime()
        self._activate(True)

    def pause(self) -> None:
        """Stop recording after the samples of the previous step."""
        self._activate(False)

    def resume(self) -> None:
        """Record again from the current step on."""
        if self._origin is None:
            self.start()
        else:
            self._activate(True)

    def stop(self) -> None:
        """Delete the recordings and their data; the monitor records nothing afterwards."""
        self._activate(False)
        for ch in self._channels.values():
            if self._recorder is not None and ch.row is not None:
                self._recorder.discard(ch.row)
        self._channels.clear()

    def reset(self) -> None:
        """Discard the data and restart the recording bookkeeping at the current step."""
        k = self._network.current_step
        for ch in self._channels.values():
            if self._recorder is not None and ch.row is not None:
                self._recorder.discard(ch.row)
            ch.starts, ch.stops = ([k] if self._recording else []), []
            ch.earlier = []
        if self._origin is not None:
            self._origin = k
            self._retime()

    # ------------------------------------------------------------------ connectivity changes
    def _synaptic_channels(self, proj: object) -> list[_Channel]:
        """Channels recording a local or semiglobal synaptic variable of ``proj`` (or of its dendrites)."""
        if self._recorder is None or getattr(self.object, "proj", self.object) is not proj:
            return []
        model = proj.synapse_model  # type: ignore[attr-defined]
        return [
            ch
            for ch in self._channels.values()
            if ch.row is not None and model.attribute(ch.source.var).locality is not Locality.GLOBAL
        ]

    def _freeze(self, proj: object, retake: int | None) -> None:
        """Before ``proj``'s connectivity changes: keep what was recorded, shaped with the old synapses.

        ``retake``: the step whose sample is taken again after the change (a structural rule applied
        after the native loop recorded that step), so it is dropped here.
        """
        for ch in self._synaptic_channels(proj):
            assert self._recorder is not None
            assert ch.row is not None
            data = self._recorder.samples(ch.row)
            ch.retake = retake is not None and len(data) > 0 and self._recorder.records_at(ch.row, retake)
            kept = data[:-1] if ch.retake else data
            ch.earlier.extend(_per_step(ch.source.shape(np.array(kept, copy=True), True)))
            self._recorder.discard(ch.row)

    def _rebind(self, proj: object) -> None:
        """After ``proj``'s connectivity changed: record the new synapses (and retake a dropped sample)."""
        for ch in self._synaptic_channels(proj):
            assert self._recorder is not None
            assert ch.row is not None
            array = self._recorder.buffers.array(ch.source.key)
            try:
                index = ch.source.index()
            except SimulationError:  # the recorded dendrite is gone: nothing more to record
                index = np.zeros(0, dtype=np.int64)
            if index is None:
                array = array[: ch.source.width()]
            self._recorder.reindex(ch.row, array, index)
            if ch.retake:
                self._recorder.push(ch.row, array if index is None else array[index])
            ch.retake = False

    # ------------------------------------------------------------------ data
    def _take(self, ch: _Channel, keep: bool, reshape: bool) -> object:
        k = self._network.current_step
        if ch.source.spikes:
            empty = (np.zeros(0, np.int64), np.zeros(0, np.int32))
            data = empty if self._recorder is None or ch.row is None else self._recorder.spikes(ch.row)
            result = ch.source.shape(data, reshape)
        elif self._recorder is None or ch.row is None:
            data = np.zeros((0, ch.source.width() if not is_synaptic(self.object) else 0))
            result = ch.source.shape(np.array(data, copy=True), reshape)
        else:
            data = self._recorder.samples(ch.row)
            result = ch.source.shape(np.array(data, copy=True), reshape)
        if ch.earlier:  # the connectivity changed while recording: one entry per step, as np.array makes
            result = _stack(
                [*ch.earlier, *_per_step(result)], not isinstance(self.object, _projection_type())
            )
        ch.last_times = {"start": list(ch.starts), "stop": list(ch.stops) + ([k] if self._recording else [])}
        if not keep:
            if self._recorder is not None and ch.row is not None:
                self._recorder.discard(ch.row)
            ch.starts, ch.stops = ([k] if self._recording else []), []
            ch.earlier = []
        return result

    def get(
        self,
        variables: str | list[str] | None = None,
        keep: bool = False,
        reshape: bool = True,
        force_dict: bool = False,
    ) -> np.ndarray | dict[str, np.ndarray]:
        """Recorded data: one name → its array, several → a dict; cleared unless ``keep``."""
        names = (
            self.variables
            if variables is None
            else ([variables] if isinstance(variables, str) else list(variables))
        )
        out: dict[str, np.ndarray] = {}
        for var in names:
            if var not in self._channels:
                raise SimulationError(f"Monitor {self.name}: '{var}' is not recorded")
            out[var] = self._take(self._channels[var], keep, reshape)
        if isinstance(variables, str) and not force_dict:
            return out[variables]
        return out

    def __getitem__(self, var: str) -> np.ndarray:
        return self.get(var)  # type: ignore[return-value]

    def times(self, variables: str | list[str] | None = None) -> dict[str, dict[str, list[int]]]:
        """Start and stop steps of the recording segments returned by the last ``get()``."""
        names = (
            self.variables
            if variables is None
            else ([variables] if isinstance(variables, str) else list(variables))
        )
        return {v: {k: list(s) for k, s in self._channels[v].last_times.items()} for v in names}

    def save(
        self,
        filename: str,
        variables: str | list[str] | None = None,
        keep: bool = False,
        reshape: bool = False,
        force_dict: bool = False,
    ) -> None:
        """Save to ``.npy`` (one variable) or ``.hdf5`` (one dataset per variable)."""
        suffix = Path(filename).suffix
        data = self.get(variables, keep=keep, reshape=reshape, force_dict=suffix != ".npy" or force_dict)
        if suffix == ".npy":
            if isinstance(data, dict):
                raise SimulationError("Monitor.save: .npy files hold a single variable")
            np.save(filename, data)
        elif suffix in (".hdf5", ".h5"):
            _save_hdf5(filename, {f"{self.name}/{k}": v for k, v in data.items()})  # type: ignore[union-attr]
        else:
            raise SimulationError(f"Monitor.save: unsupported file type '{suffix}' (.npy or .hdf5)")

    # ------------------------------------------------------------------ spike analysis
    def _spikes(self, spikes: dict[int, list[int]] | None) -> dict[int, list[int]]:
        return self.get("spike") if spikes is None else spikes  # type: ignore[return-value]

    def raster_plot(self, spikes: dict[int, list[int]] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(times_ms, ranks)`` of every recorded spike."""
        return raster_plot(self._spikes(spikes), self._network.dt)

    def histogram(
        self,
        spikes: dict[int, list[int]] | None = None,
        bins: float | None = None,
        per_neuron: bool = False,
        recording_window: tuple[int, int] | None = None,
    ) -> object:
        """Spike counts per bin (see :func:`nnc.api.spikes.histogram`)."""
        return histogram(self._spikes(spikes), bins, per_neuron, recording_window, self._network.dt)

    def inter_spike_interval(
        self,
        spikes: dict[int, list[int]] | None = None,
        ranks: list[int] | None = None,
        per_neuron: bool = False,
    ) -> object:
        """Inter-spike intervals in ms."""
        return inter_spike_interval(self._spikes(spikes), ranks, per_neuron, self._network.dt)

    def coefficient_of_variation(
        self,
        spikes: dict[int, list[int]] | None = None,
        ranks: list[int] | None = None,
        per_neuron: bool = False,
    ) -> list[float] | dict[int, float]:
        """Coefficient of variation of the ISIs per neuron (a dict by rank with ``per_neuron``)."""
        return coefficient_of_variation(self._spikes(spikes), ranks, per_neuron, self._network.dt)

    def _last_window(self) -> tuple[int, int] | None:
        t = self._channels.get("spike")
        if t is None or not t.last_times["start"]:
            return None
        return t.last_times["start"][-1], t.last_times["stop"][-1] if t.last_times["stop"] else t.last_times[
            "start"
        ][-1]

    def mean_fr(self, spikes: dict[int, list[int]] | None = None) -> float:
        """Mean firing rate (Hz) over the last recording segment."""
        data = self._spikes(spikes)
        window = self._last_window()
        duration = None if window is None else window[1] - window[0]  # steps
        return mean_fr(data, duration, self._network.dt)

    def smoothed_rate(self, spikes: dict[int, list[int]] | None = None, smooth: float = 0.0) -> np.ndarray:
        """Instantaneous rate per neuron and step of the last segment."""
        data = self._spikes(spikes)
        return smoothed_rate(data, smooth, self._network.dt, self._last_window())

    def population_rate(self, spikes: dict[int, list[int]] | None = None, smooth: float = 0.0) -> np.ndarray:
        """Population rate per step of the last segment."""
        data = self._spikes(spikes)
        return population_rate(data, smooth, self._network.dt, self._last_window())

    def __repr__(self) -> str:
        return f"Monitor(name={self.name!r}, variables={self.variables})"


def _save_hdf5(filename: str, datasets: dict[str, np.ndarray]) -> None:
    try:
        import h5py
    except ImportError:
        raise SimulationError("saving .hdf5 files needs the h5py package (pip install h5py)") from None
    Path(filename).parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(filename, "w") as f:
        for key, value in datasets.items():
            f.create_dataset(key, data=value)


class MonitorList(list):
    """A list of monitors that can save all their data in one HDF5 file."""

    def save_all(
        self, filename: str, keep: bool = False, reshape: bool = False, flat_keys: bool = False
    ) -> None:
        """Save every variable of every monitor under ``/<object name>/<var>`` (``_`` with ``flat_keys``)."""
        datasets: dict[str, np.ndarray] = {}
        for m in self:
            sep = "_" if flat_keys else "/"
            for var, values in m.get(keep=keep, reshape=reshape, force_dict=True).items():
                datasets[f"{m.object.name}{sep}{var}"] = np.asarray(values)
        _save_hdf5(filename, datasets)
