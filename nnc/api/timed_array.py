"""``TimedArray`` (API.md §10): a rate-coded population whose ``r`` steps through the rows of a rates array.

The per-step work is native: the population's NEURON kernel is one :class:`~nnc.ir.nodes.TimedStep`
(SEMANTICS.md §10) over its :class:`~nnc.backend.abi.TimedKey` slots. This module keeps the initial
rates, schedule and period (what ``reset()`` restores, SEMANTICS.md §12), converts milliseconds to steps
with ``rint(ms/dt)`` (SEMANTICS.md §1) and installs them in the network's buffers.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from nnc.api.population import Population, normalise_geometry
from nnc.backend.abi import StateKey, TimedField, TimedKey
from nnc.diagnostics import ModelError, SimulationError
from nnc.ir.model import Attribute, NeuronModel
from nnc.ir.nodes import TimedStep
from nnc.ir.types import AttrKind, DType, Locality, NeuronKind, ObjKind

if TYPE_CHECKING:
    from nnc.api.network import Network
    from nnc.runtime.buffers import Buffers

#: The neuron of every timed array: ``r`` (a recordable variable, 0 at compile and reset) set by the
#: scheduler step.
TIMED_NEURON = NeuronModel(
    "TimedArray",
    NeuronKind.RATE,
    (Attribute("r", DType.REAL, Locality.LOCAL, AttrKind.VARIABLE, 0.0),),
    (TimedStep(),),
)


def expand_schedule(schedule: object, n_rows: int, dt: float) -> list[float]:
    """Times (ms) of a schedule given to the constructor or ``update()`` (API.md §10).

    A number ``s`` (or a one-element list) gives ``[0, s, 2s, ...]`` with one time per row (``s <= 0``
    means ``dt``); a list is taken as it is and may not be longer than ``n_rows`` (an error) but may be
    shorter (a warning by the caller: the extra rows are never shown).
    """
    if not isinstance(schedule, numbers.Real):
        times = [float(x) for x in np.asarray(schedule, dtype=np.float64).reshape(-1)]
        if not times:
            raise ModelError("TimedArray: the schedule is empty")
        if len(times) > 1:
            if len(times) > n_rows:
                raise ModelError(
                    f"TimedArray: the schedule has {len(times)} times but rates has only {n_rows} rows"
                )
            return times
        schedule = times[0]
    step = dt if float(schedule) <= 0.0 else float(schedule)
    return [float(step * i) for i in range(n_rows)]


class ScheduledPopulation(Population):
    """A population whose local variable ``_VAR`` steps through the rows of a rates array on a schedule
    (SEMANTICS.md §10): the machinery of :class:`TimedArray` and ``TimedPoissonPopulation``.

    ``_VAR`` returns to ``_REST`` when the scheduler restarts (compile, reset); ``_MODEL`` is the neuron.
    """

    _VAR = "r"
    _REST = 0.0
    _MODEL: NeuronModel = TIMED_NEURON
    _KIND = "TimedArray"

    def __init__(
        self,
        rates: object = None,
        geometry: object = None,
        schedule: object = 0.0,
        period: float = -1.0,
        name: str | None = None,
        network: Network | None = None,
    ):
        if rates is None and geometry is None:
            raise ModelError("TimedArray: either rates or geometry is required")
        data = None if rates is None else _as_array(rates)
        if data is not None:
            shape = tuple(int(d) for d in data.shape[1:])
            if geometry is None:
                if not shape or 0 in shape:
                    raise ModelError(
                        f"TimedArray: rates of shape {data.shape} give no geometry (its dimensions after "
                        "the first are the geometry and must be positive)"
                    )
                geometry = shape
            elif normalise_geometry(geometry) != shape:
                raise ModelError(f"TimedArray: rates of shape {data.shape} do not fit geometry {geometry}")
        super().__init__(geometry, self._MODEL, name=name, network=network)
        self.__dict__["_initial"] = {"rates": None, "schedule": schedule, "period": period}
        if data is not None:
            self._replace(data, schedule, period)

    def _require_compiled(self, what: str) -> Buffers:
        if self._buffers is None:
            raise SimulationError(f"{self._KIND} {self.name}: {what}")
        return self._buffers

    # ------------------------------------------------------------------ rates, schedule, period
    @property
    def rates(self) -> np.ndarray | None:
        """The rows, ``(n_inputs,) + geometry`` (before compile: the pending array, possibly None)."""
        if self._buffers is None:
            return self._initial["rates"]
        n = self._value(TimedField.N_ROWS)
        flat = self._buffers.array(TimedKey(self.id, TimedField.RATES))[: n * self.size]
        return flat.astype(np.float64).reshape((n, *self.geometry))

    @rates.setter
    def rates(self, value: object) -> None:
        if value is None:
            if self._buffers is None:
                self._initial["rates"] = None
            return
        data = self._checked(value)
        if self._buffers is None:
            self._initial["rates"] = data
            return
        self._install_rates(data)
        self._show_current()

    @property
    def schedule(self) -> object:
        """Times (ms) at which the rows are shown (before compile: as given)."""
        if self._buffers is None:
            return self._initial["schedule"]
        n = self._value(TimedField.N_SCHEDULE)
        steps = self._buffers.array(TimedKey(self.id, TimedField.SCHEDULE))[:n]
        return [float(s * self._network.dt) for s in steps]

    @schedule.setter
    def schedule(self, value: object) -> None:
        if self._buffers is None:
            self._initial["schedule"] = value
        else:
            self._install_schedule(value)

    @property
    def period(self) -> float:
        """Period (ms) after which the schedule restarts; negative: none."""
        if self._buffers is None:
            return self._initial["period"]  # type: ignore[return-value]
        return float(self._value(TimedField.PERIOD) * self._network.dt)

    @period.setter
    def period(self, value: float) -> None:
        if self._buffers is None:
            self._initial["period"] = value
        else:
            self._buffers.set_value(TimedKey(self.id, TimedField.PERIOD), self._steps(value)[0])

    def update(
        self, rates: object, schedule: object = None, period: float | None = None, reset: bool = True
    ) -> None:
        """Replace the rows (and optionally the schedule and period).

        ``reset=True`` first resets the population (initial rates, schedule and period, timers at 0,
        ``r = 0``), so the new rows are shown from the first scheduled time on; ``reset=False`` keeps the
        timers, and the next block shows the new row of that block. ``schedule``/``period`` default to
        the current ones; a schedule number is expanded over the new rows.
        """
        self._network._warn(
            f"TimedArray {self.name}: update() resets the internal timers unless reset=False "
            "(ANNarchy issue #47)"
        )
        self._replace(self._checked(rates), schedule, period, reset)

    def _replace(self, data: np.ndarray, schedule: object, period: object, reset: bool = False) -> None:
        times = expand_schedule(self.schedule if schedule is None else schedule, len(data), self._network.dt)
        if len(times) < len(data):
            self._network._warn(
                f"TimedArray {self.name}: the schedule has {len(times)} times for {len(data)} rows of "
                "rates: the last rows are never shown"
            )
        if reset and self._buffers is not None:
            self.reset()
            current = np.asarray(self.schedule, dtype=np.float64)
            if current.shape != (len(times),) or not np.allclose(times, current):
                self.reset()  # as the reference: its queues are then refilled from block 0, not block b
        self.schedule = times
        self.rates = data
        self.period = self.period if period is None else period  # type: ignore[assignment]

    # ------------------------------------------------------------------ compile, reset
    def _bind(self, buffers: Buffers) -> None:
        """Attach the buffers, install the initial rows, schedule and period, start at block 0 (``r = 0``).

        As in the reference, installing the rows shows the row in effect (row 0 when it is due at step 0)
        and the delay queues are filled with it before ``r`` returns to 0: delayed projections read that
        row during their first steps.
        """
        super()._bind(buffers)
        self._install_initial()
        self._fill_queues()
        self._restart()

    def reset(self, attributes: list[str] | None = None) -> None:
        """Restart at block 0 with ``r = 0``; without ``attributes``, first restore the initial schedule,
        rows (an initially empty array keeps the current rows) and period (SEMANTICS.md §12).

        The delay queues are refilled before ``r`` returns to 0, with the row the restored rates show at
        the counters before the reset (the reference's order: attributes, queues, timers).
        """
        super().reset(attributes)
        if self._buffers is None:
            return
        if attributes is None:
            self._install_initial()
            self._fill_queues()
        self._restart()

    def _restart(self) -> None:
        buffers = self._require_compiled("not compiled")
        buffers.set_value(TimedKey(self.id, TimedField.COUNTER), 0)
        buffers.set_value(TimedKey(self.id, TimedField.BLOCK), 0)
        buffers.array(StateKey(ObjKind.POPULATION, self.id, self._VAR))[: self.size] = self._REST

    def _install_initial(self) -> None:
        """The initial schedule, rows (shown as by the ``rates`` setter; None leaves them) and period."""
        self.schedule = self._initial["schedule"]
        self.rates = self._initial["rates"]
        self.period = self._initial["period"]

    def _install_rates(self, data: np.ndarray) -> None:
        buffers = self._require_compiled("not compiled")
        flat = buffers.reallocate(TimedKey(self.id, TimedField.RATES), data.size)
        flat[:] = data.reshape(-1)
        buffers.set_value(TimedKey(self.id, TimedField.N_ROWS), len(data))

    def _install_schedule(self, times: object) -> None:
        buffers = self._require_compiled("not compiled")
        steps = self._steps(times)
        buffers.reallocate(TimedKey(self.id, TimedField.SCHEDULE), len(steps))[:] = steps
        buffers.set_value(TimedKey(self.id, TimedField.N_SCHEDULE), len(steps))

    def _show_current(self) -> None:
        """``r`` = the row in effect at the current counter and block (see the class docstring)."""
        buffers = self._require_compiled("not compiled")
        tau, block = self._value(TimedField.COUNTER), self._value(TimedField.BLOCK)
        steps = buffers.array(TimedKey(self.id, TimedField.SCHEDULE))[: self._value(TimedField.N_SCHEDULE)]
        row = block - 1 if block < len(steps) and steps[block] > tau else block
        if 0 <= row < self._value(TimedField.N_ROWS):
            rates = buffers.array(TimedKey(self.id, TimedField.RATES))
            r = buffers.array(StateKey(ObjKind.POPULATION, self.id, self._VAR))
            r[: self.size] = rates[row * self.size : (row + 1) * self.size]

    # ------------------------------------------------------------------ helpers
    def _value(self, f: TimedField) -> int:
        return self._require_compiled("not compiled").value(TimedKey(self.id, f))

    def _steps(self, ms: object) -> np.ndarray:
        """``rint(ms/dt)`` of a number or list, as int32 steps (a number is a one-element schedule)."""
        values = np.atleast_1d(np.asarray(ms, dtype=np.float64)).reshape(-1)
        return np.rint(values / self._network.dt).astype(np.int32)

    def _checked(self, rates: object) -> np.ndarray:
        """``rates`` as a new float64 array ``(n_inputs,) + geometry`` (``(n_inputs, size)`` is accepted);
        errors on an empty or misshaped array."""
        data = _as_array(rates)
        if data.shape[1:] not in (tuple(self.geometry), (self.size,)):
            raise ModelError(
                f"TimedArray {self.name}: rates of shape {data.shape} do not fit the geometry "
                f"{self.geometry} (expected (n_inputs,) + geometry)"
            )
        return data.reshape((len(data), *self.geometry)).copy()


class TimedArray(ScheduledPopulation):
    """A rate-coded population showing row ``b`` of ``rates`` from the ``b``-th scheduled time on.

    ``rates`` is an array ``(n_inputs,) + geometry`` (the geometry is inferred from it when not given;
    ``(n_inputs, size)`` is accepted too). ``schedule`` (ms) is a number ``s`` (rows at ``0, s, 2s, ...``)
    or a list of times; ``period`` (ms, negative: none) restarts the schedule. ``r`` is read-only: set it
    through ``rates`` or :meth:`update`. Pass the object to ``net.create(...)``; constructed alone it
    belongs to the default network.

    Like the reference, setting ``rates`` after compile (directly or through :meth:`update`) shows the row
    in effect at once: row ``b - 1`` if the next block ``b`` is not due yet, else row ``b`` (where that row
    does not exist ``r`` is left as it is; the reference reads row ``-1`` there, which is undefined). So
    after ``update(rates)`` with the default schedule the next step's projections already see ``rates[0]``.

    A number ``schedule`` is expanded when the object is built (or :meth:`update` runs) with the ``dt`` of
    the network it belongs to then: for ``net.create(ann.TimedArray(...))`` that is the default network's
    (``setup(dt=...)``), as in the reference, whose ``net.create`` copies the object built for network 0.
    ``schedule`` and ``period`` set as attributes are converted with the owning network's ``dt``.
    """

    # ------------------------------------------------------------------ r (read-only)
    @property
    def r(self) -> np.ndarray:
        """The row shown now, shaped like the geometry (only after compile)."""
        self._require_compiled("r can only be read after compile")
        return Population.get(self, "r")  # type: ignore[return-value]

    @r.setter
    def r(self, value: object) -> None:
        raise SimulationError("TimedArray: r is read-only; it is defined by rates (see update())")

    def get(self, name: str) -> object:
        """Value of an attribute (``r`` only after compile)."""
        return self.r if name == "r" else super().get(name)

    def _set_one(self, name: str, value: object, ranks: np.ndarray | None = None) -> None:
        if name == "r":
            self.r = value
        super()._set_one(name, value, ranks)

    def _restore(self, name: str, value: object) -> None:
        """``load()`` writes the saved ``r`` after compile (before compile ``r`` is 0 at compile anyway)."""
        if name != "r":
            super()._restore(name, value)
        elif self._buffers is not None:
            r = self._buffers.array(StateKey(ObjKind.POPULATION, self.id, "r"))
            r[: self.size] = np.asarray(value, dtype=np.float64).reshape(-1)

    def _values_at(self, name: str, ranks: np.ndarray) -> object:
        if name == "r":
            self._require_compiled("r can only be read after compile")
        return super()._values_at(name, ranks)

    def __repr__(self) -> str:
        return f"TimedArray(name={self.name!r}, geometry={self.geometry})"


def _as_array(rates: object) -> np.ndarray:
    try:
        data = np.asarray(rates, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ModelError(f"TimedArray: rates must be a numeric array, not {type(rates).__name__}") from e
    if data.ndim < 2 or data.shape[0] == 0:
        raise ModelError(
            f"TimedArray: rates must be an array (n_inputs,) + geometry with n_inputs > 0, got shape "
            f"{data.shape}"
        )
    return data
