"""Delays, control flags and learning schedule of a projection (API.md §7.3, §7.4; SEMANTICS.md §5, §8).

Mixed into :class:`~nnc.api.projection.Projection`. After compile, flags live in the projection's value
slots (``ConnField.TRANSMISSION`` ...), so the generated code reads them at every step; the learning
period and offset in ``ConnField.LEARN_PERIOD`` / ``LEARN_OFFSET``; the delays in ``UNIFORM_DELAY`` or
the per-synapse ``DELAY`` array.
"""

from __future__ import annotations

import numpy as np

from nnc.backend.abi import ConnField, ConnKey
from nnc.diagnostics import ModelError, SimulationError
from nnc.ir.types import DelayKind, NeuronKind
from nnc.runtime.connectivity import Connectivity
from nnc.runtime.queues import grow_queues, queue_length
from nnc.runtime.spikes import grow_spike_ring

#: control flags (SEMANTICS.md §8) and the value slot holding each after compile
FLAGS = {
    "transmission": ConnField.TRANSMISSION,
    "update": ConnField.UPDATE,
    "plasticity": ConnField.PLASTICITY,
    "axon_transmission": ConnField.AXON_TRANSMISSION,
}


class ProjectionControl:
    """Delay access, control flags and ``enable_learning``/``disable_learning``."""

    # ------------------------------------------------------------------ delays (API.md §7.3)
    @property
    def max_delay(self) -> int:
        """Longest delay in steps."""
        return 0 if self._conn is None else int(self._conn.max_delay)

    @property
    def uniform_delay(self) -> int:
        """The delay of every synapse in steps, -1 when delays differ."""
        if self._conn is None:
            return 0
        return self._conn.uniform_delay if not self._compiled else self._live_uniform_delay()

    def _live_uniform_delay(self) -> int:
        if not self._conn.uniform:
            return -1
        return self._conn.uniform_delay

    @property
    def delay(self) -> float | list[list[float]]:
        """Delay in ms: ``dt`` without delays, one value if uniform, else a list of lists."""
        self._require_compiled("delay")
        dt = self.network.dt
        kind = self._decl.delay
        if kind is DelayKind.NONE:
            return dt
        if kind is DelayKind.UNIFORM:
            return self._buffers.value(ConnKey(self.id, ConnField.UNIFORM_DELAY)) * dt
        steps = self._conn.gather(self._values.fmt, self._buffers.array(ConnKey(self.id, ConnField.DELAY)))
        return [(row.astype(np.float64) * dt).tolist() for row in steps]

    @delay.setter
    def delay(self, value: object) -> None:
        if not self._compiled:
            raise SimulationError(f"projection {self.name}: delays can only be set after compile()")
        dt = self.network.dt
        match self._decl.delay:
            case DelayKind.NONE:
                if value != dt:
                    raise SimulationError(
                        f"projection {self.name} was created without delays: it is too late "
                        f"to give it some (connect it with delays > dt)"
                    )
            case DelayKind.UNIFORM:
                if np.ndim(value) != 0:
                    raise SimulationError(f"projection {self.name} has a uniform delay: assign one number")
                steps = max(1, round(float(value) / dt))  # type: ignore[arg-type]
                self._forget_delivered(self._buffers.value(ConnKey(self.id, ConnField.UNIFORM_DELAY)), steps)
                self._ensure_queue(steps)
                self._buffers.set_value(ConnKey(self.id, ConnField.UNIFORM_DELAY), steps)
                self.__dict__["_conn"] = _with_delays(self._conn, steps, None)
            case DelayKind.NONUNIFORM:
                self._set_nonuniform_delays(value, dt)

    def _set_nonuniform_delays(self, value: object, dt: float) -> None:
        conn = self._conn
        rows = list(value) if isinstance(value, (list, tuple, np.ndarray)) else None
        lengths = conn.row_lengths.tolist()
        if rows is None or len(rows) != conn.n_dendrites or [np.size(r) for r in rows] != lengths:
            raise SimulationError(
                f"projection {self.name}: give one delay per existing synapse, as a list of "
                f"{conn.n_dendrites} lists of lengths {lengths}"
            )
        flat = np.concatenate([np.asarray(r, dtype=np.float64).reshape(-1) for r in rows])
        steps = np.maximum(1, np.array([round(v / dt) for v in flat.tolist()], dtype=np.int64))
        self._forget_delivered(max(1, conn.max_delay), int(steps.max(initial=1)))
        self._ensure_queue(int(steps.max(initial=1)))
        self._buffers.array(ConnKey(self.id, ConnField.DELAY))[:] = conn.scatter(
            self._values.fmt, steps, np.int32
        )
        self.__dict__["_conn"] = _with_delays(conn, -1, steps)
        self._conn.fill_events(self._buffers, self.id, self._values.fmt)  # spiking: re-sorted by delay
        self._values.sync_mirrors()

    def _forget_delivered(self, old: int, new: int) -> None:
        """A spiking projection whose delay grows from ``old`` to ``new`` steps must not deliver again the
        spikes the old delay already delivered (those emitted at or before step k - 1 - old), which a
        spike history longer than ``old`` (another projection's delay, a firing-rate window) still holds:
        like the reference, whose spike queue only kept ``old`` steps."""
        key = ConnKey(self.id, ConnField.DELIVERED_UNTIL)
        if new > old and self._buffers.has(key):
            until = self._buffers.step - 1 - old
            self._buffers.set_value(key, max(until, self._buffers.value(key)))

    def _ensure_queue(self, steps: int) -> None:
        pop = self.pre.population.id
        if steps > queue_length(self._buffers, pop):
            grow_queues(self._buffers, pop, steps)
        if self.pre.population.is_spiking:
            grow_spike_ring(self._buffers, pop, steps)

    # ------------------------------------------------------------------ flags and learning
    def _get_flag(self, flag: str) -> bool:
        field = FLAGS[flag]
        if self._compiled and field is not None and self._buffers.has(ConnKey(self.id, field)):
            return bool(self._buffers.value(ConnKey(self.id, field)))
        return self._flags[flag]

    def _set_flag(self, flag: str, on: object) -> None:
        self._flags[flag] = bool(on)
        field = FLAGS[flag]
        if self._compiled and field is not None and self._buffers.has(ConnKey(self.id, field)):
            self._buffers.set_value(ConnKey(self.id, field), int(bool(on)))

    transmission = property(
        lambda self: self._get_flag("transmission"),
        lambda self, v: self._set_flag("transmission", v),
        doc="Transmission flag.",
    )
    update = property(
        lambda self: self._get_flag("update"),
        lambda self, v: self._set_flag("update", v),
        doc="Synaptic-equations flag.",
    )
    plasticity = property(
        lambda self: self._get_flag("plasticity"),
        lambda self, v: self._set_flag("plasticity", v),
        doc="Weight-change flag.",
    )
    axon_transmission = property(
        lambda self: self._get_flag("axon_transmission"),
        lambda self, v: self._set_flag("axon_transmission", v),
        doc="Axonal flag.",
    )

    def enable_learning(self, period: float | None = None, offset: float | None = None) -> None:
        """Turn updates and plasticity on; optionally every ``period`` ms from phase ``offset`` (API §7.4)."""
        if period is not None and offset is not None and offset >= period:
            raise ModelError("enable_learning(): the offset must be smaller than the period")
        if period is None and offset is not None:
            raise ModelError("enable_learning(): an offset needs a period")
        if not self._compiled:
            self._warn("enable_learning() is only possible after compile()")
            return
        dt = self.network.dt
        self.update = self.plasticity = True
        steps = int(period / dt) if period is not None else 1
        phase = 0
        if offset is not None:
            # API.md §7.4: int(((time % period) + offset) % period / dt). The reference also truncates
            # the phase to whole ms before dividing by dt, which only differs for dt < 1 ms.
            phase = int((((self.network.time % period) + offset) % period) / dt)  # type: ignore[operator]
        self._buffers.set_value(ConnKey(self.id, ConnField.LEARN_PERIOD), max(1, steps))
        self._buffers.set_value(ConnKey(self.id, ConnField.LEARN_OFFSET), phase)

    def disable_learning(self) -> None:
        """Rate-coded: stop synaptic updates; spiking: freeze the weights (SEMANTICS.md §8)."""
        if not self._compiled:
            self._warn("disable_learning() is only possible after compile()")
            return
        if self.pre.population.neuron_model.kind is NeuronKind.RATE:
            self.update = False
        else:
            self.plasticity = False

    # ------------------------------------------------------------------ CUDA
    def update_launch_config(self, nb_blocks: int = -1, threads_per_block: int = 32) -> None:
        """CUDA launch configuration (a warning on the CPU)."""
        if self.network._config.paradigm != "cuda":
            self._warn("Projection.update_launch_config() is intended for CUDA devices")


def _with_delays(conn: Connectivity, uniform: int, steps: np.ndarray | None) -> Connectivity:
    """``conn`` with new delays (uniform steps, or one per synapse)."""
    from nnc.runtime.connectivity import Connectivity

    max_delay = max(conn.max_delay, uniform if steps is None else int(steps.max(initial=0)))
    return Connectivity(
        conn.n_pre,
        conn.n_post,
        conn.post_ranks,
        conn.row_ptr,
        conn.pre_ranks,
        conn.weights,
        None if steps is None else steps.astype(np.int32),
        uniform,
        max_delay,
    )
