"""What spiking populations add to :class:`~nnc.api.population.Population`: refractory periods, spike state
and the mean firing rate (API.md §5.2-§5.3, SEMANTICS.md §6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nnc.backend.abi import StateKey
from nnc.descriptions.random import RandomDistribution
from nnc.diagnostics import ModelError, SimulationError
from nnc.ir.model import LAST_SPIKE, REFRACTORY, REFRACTORY_LEFT
from nnc.ir.types import ObjKind
from nnc.runtime.spikes import clear_spikes, set_firing_rate_window

if TYPE_CHECKING:
    from nnc.runtime.buffers import Buffers


class SpikingPopulation:
    """Refractoriness, spike state and ``compute_firing_rate`` (the host side of spiking populations)."""

    # provided by Population
    _buffers: Buffers | None
    _refractory: object
    name: str
    size: int
    geometry: tuple[int, ...]
    id: int
    neuron_type: object
    is_spiking: bool
    _network: object

    # ------------------------------------------------------------------ refractory period
    def _named_refractory(self) -> str | None:
        named = getattr(self.neuron_type, "refractory", None)
        return named.strip() if isinstance(named, str) and not _is_number(named) else None

    @property
    def refractory(self) -> object:
        """Refractory period in ms (``steps·dt`` after compile), or the attribute that holds it."""
        named = self._named_refractory()
        if named is not None:
            return self.get(named)  # type: ignore[attr-defined]
        if self._buffers is None or not self.is_spiking:
            if self._refractory is not None:
                return self._refractory
            return getattr(self.neuron_type, "refractory", None)
        steps = self._buffers.array(StateKey(ObjKind.POPULATION, self.id, REFRACTORY))[: self.size]
        ms = steps.astype(np.float64) * self._network.dt  # type: ignore[attr-defined]
        return float(ms[0]) if np.all(steps == steps[0]) else ms.reshape(self.geometry)

    @refractory.setter
    def refractory(self, value: object) -> None:
        if not self.is_spiking:
            self._network._warn(f"population {self.name}: rate-coded neurons have no refractory period")  # type: ignore[attr-defined]
            return
        named = self._named_refractory()
        if named is not None:
            self._network._warn(  # type: ignore[attr-defined]
                f"population {self.name}: the refractory period is the attribute '{named}'; "
                "change that attribute instead"
            )
            return
        if isinstance(value, RandomDistribution):
            value = value.get_values(self.size, self._network._assign_rng)  # type: ignore[attr-defined]
        self.__dict__["_refractory"] = value
        if self._buffers is not None:
            self._write_refractory()

    def _refractory_steps(self) -> np.ndarray:
        """``int(value/dt)`` per neuron (truncation, SEMANTICS.md §6.2) of the refractory period in ms."""
        value = (
            self._refractory
            if self._refractory is not None
            else getattr(self.neuron_type, "refractory", None)
        )
        if value is None:
            return np.zeros(self.size, dtype=np.int32)
        ms = np.asarray(value, dtype=np.float64)
        if ms.size not in (1, self.size):
            raise ModelError(
                f"population {self.name}: refractory needs one value or {self.size} values, got {ms.size}"
            )
        if np.any(ms < 0):
            raise ModelError(f"population {self.name}: a refractory period cannot be negative")
        steps = np.trunc(ms.reshape(-1) / self._network.dt)  # type: ignore[attr-defined]
        return np.broadcast_to(steps, (self.size,)).astype(np.int32)

    def _write_refractory(self) -> None:
        assert self._buffers is not None
        key = StateKey(ObjKind.POPULATION, self.id, REFRACTORY)
        if self._buffers.has(key):
            self._buffers.array(key)[: self.size] = self._refractory_steps()

    # ------------------------------------------------------------------ spike state
    def _bind_spikes(self, buffers: Buffers) -> None:
        """At compile: refractory periods in steps, no spike yet (SEMANTICS.md §11 step 4)."""
        if not self.is_spiking:
            return
        self._write_refractory()
        clear_spikes(buffers, self.id)

    def _clear_spikes(self) -> None:
        """Forget spikes, refractoriness and the firing-rate history (``reset``, ``clear``)."""
        if self._buffers is not None and self.is_spiking:
            clear_spikes(self._buffers, self.id)

    def _spike_state(self) -> dict[str, np.ndarray]:
        """The hidden per-neuron spike state saved with the population (last spike, refractoriness)."""
        if self._buffers is None or not self.is_spiking:
            return {}
        return {
            n: self._buffers.array(StateKey(ObjKind.POPULATION, self.id, n))[: self.size].copy()
            for n in (LAST_SPIKE, REFRACTORY_LEFT)
        }

    def _restore_spike_state(self, state: dict[str, object]) -> None:
        """Load what :meth:`_spike_state` saved (spike lists in flight are not saved)."""
        if self._buffers is None or not self.is_spiking:
            return
        for n in (LAST_SPIKE, REFRACTORY_LEFT):
            if n in state:
                values = np.asarray(state[n]).reshape(-1)
                self._buffers.array(StateKey(ObjKind.POPULATION, self.id, n))[: self.size] = values

    def compute_firing_rate(self, window: float) -> None:
        """From now on ``r`` is the number of spikes in the last ``int(window/dt)`` steps * 1000/window."""
        if not self.is_spiking:
            raise SimulationError(f"population {self.name}: compute_firing_rate() needs a spiking population")
        if window <= 0:
            raise ModelError(f"population {self.name}: compute_firing_rate() needs a window > 0 ms")
        self.__dict__["_rate_window"] = float(window)
        if self._buffers is not None:
            self._apply_rate_window()

    def _apply_rate_window(self) -> None:
        window = self.__dict__.get("_rate_window")
        if window is not None and self._buffers is not None:
            net = self._network
            set_firing_rate_window(self._buffers, self.id, window, net.dt, net._real_dtype)  # type: ignore[attr-defined]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
