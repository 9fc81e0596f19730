"""Spiking input populations of API.md §10: ``PoissonPopulation``, ``SpikeSourceArray`` and
``TimedPoissonPopulation``.

A Poisson population is an ordinary spiking neuron written in the equation language (SEMANTICS.md §10):
``p = Uniform(0, 1)·1000/dt`` drawn every step, spike iff ``p < rates``, so ``P(spike) = rates·dt/1000``;
its draws come from the counter-based generator like every random number in equations.

A spike source array fires each neuron at its listed steps: its spike condition is
:class:`~nnc.ir.nodes.SourceDue` over the population's ``SourceKey`` buffers, and each spike advances the
neuron's ``_next`` (SEMANTICS.md §10). Times are ``round(ms/dt)`` steps of its own counter, which starts
at compile and restarts at ``reset()`` (setting the network's time or loading a save does not move it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nnc.api.population import Population, normalise_geometry
from nnc.api.timed_array import ScheduledPopulation
from nnc.backend.abi import SourceField, SourceKey, StateKey
from nnc.descriptions.models import Neuron
from nnc.diagnostics import ModelError, SimulationError
from nnc.ir.model import SOURCE_COUNTER, SOURCE_NEXT, Attribute, NeuronModel
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    CmpOp,
    Compare,
    Const,
    Dist,
    Dt,
    Random,
    SourceDue,
    TimedStep,
    Var,
)
from nnc.ir.types import AttrKind, DType, Locality, NeuronKind, ObjKind
from nnc.runtime.switches import HostSchedule

if TYPE_CHECKING:
    from nnc.api.network import Network
    from nnc.runtime.buffers import Buffers

_DRAW = "p = Uniform(0.0, 1.0) * 1000.0 / dt"


#: The description of the Poisson neuron (the reference's, shown by report()).
_POISSON = "Spiking neuron with spikes emitted according to a Poisson distribution."


class PoissonPopulation(Population):
    """Neurons spiking with probability ``rates·dt/1000`` per step (API.md §10).

    ``rates``: a number or an array (the local parameter ``rates``, Hz), or a string, the right-hand side
    of ``rates = ...`` evaluated every step (it may use ``t`` and the ``parameters``); ``target``: the
    rates are ``sum(target)`` of rate-coded projections (``rates`` is then ignored).
    """

    def __init__(
        self,
        geometry: object,
        name: str | None = None,
        rates: object = None,
        target: str | None = None,
        parameters: dict[str, object] | None = None,
        refractory: object = None,
        network: Network | None = None,
    ):
        if rates is None and target is None:
            raise ModelError("PoissonPopulation: give either rates or target")
        extra = dict(parameters or {})
        if target is not None:
            neuron = Neuron(parameters=extra, equations=[f"rates = sum({target})", _DRAW], spike="p < rates",
                            refractory=refractory, name="Poisson", description=_POISSON)  # fmt: skip
            given = None
        elif isinstance(rates, str):
            neuron = Neuron(parameters=extra, equations=[f"rates = {rates}", _DRAW], spike="p < rates",
                            refractory=refractory, name="Poisson", description=_POISSON)  # fmt: skip
            given = None
        else:
            neuron = Neuron(parameters="rates = 10.0", equations=_DRAW, spike="p < rates",
                            refractory=refractory, name="Poisson", description=_POISSON)  # fmt: skip
            given = rates
        super().__init__(geometry, neuron, name=name, network=network)
        if given is not None:
            self.rates = given

    def __repr__(self) -> str:
        return f"PoissonPopulation(name={self.name!r}, geometry={self.geometry})"


#: The neuron of every spike source array: the implicit ``r``, the emitted-spike counts and the counter
#: (advanced by its one equation before the spike test).
SOURCE_NEURON = NeuronModel(
    "SpikeSourceArray",
    NeuronKind.SPIKE,
    (
        Attribute("r", DType.REAL, Locality.LOCAL, AttrKind.VARIABLE, 0.0),
        Attribute(SOURCE_NEXT, DType.INT, Locality.LOCAL, AttrKind.VARIABLE, 0),
        Attribute(SOURCE_COUNTER, DType.INT, Locality.GLOBAL, AttrKind.VARIABLE, 0),
    ),
    (
        Assign(
            Var(SOURCE_COUNTER, DType.INT, Locality.GLOBAL),
            Binary(BinaryOp.ADD, Var(SOURCE_COUNTER, DType.INT, Locality.GLOBAL), Const(1.0)),
        ),
    ),
    spike=SourceDue(),
    reset=(
        Assign(
            Var(SOURCE_NEXT, DType.INT, Locality.LOCAL),
            Binary(BinaryOp.ADD, Var(SOURCE_NEXT, DType.INT, Locality.LOCAL), Const(1.0)),
        ),
    ),
)


def _steps(times: object, dt: float, what: str) -> np.ndarray:
    """``round(ms/dt)`` of every time (Python's round), deduplicated and sorted."""
    try:
        values = [float(t) for t in times]  # type: ignore[union-attr]
    except (TypeError, ValueError) as e:
        raise ModelError(f"{what}: spike times must be numbers (ms)") from e
    return np.unique(np.array([round(t / dt) for t in values], dtype=np.int64))


class SpikeSourceArray(Population):
    """Neurons that fire at given times (ms): ``spike_times`` is a list (one neuron) or a list of lists.

    Times are relative to compile or to the last ``reset()``; ``spike_times`` can be replaced after compile
    with as many lists as neurons (times already passed are then not emitted).
    """

    def __init__(self, spike_times: object, name: str | None = None, network: Network | None = None):
        trains = _trains(spike_times)
        super().__init__(len(trains), SOURCE_NEURON, name=name, network=network)
        self.__dict__["_trains"] = [list(map(float, t)) for t in trains]

    @property
    def spike_times(self) -> list[list[float]]:
        """The spike times in ms, one list per neuron (after conversion to steps, times are steps·dt)."""
        dt = self._network.dt
        return [[float(s * dt) for s in _steps(t, dt, "SpikeSourceArray")] for t in self._trains]

    @spike_times.setter
    def spike_times(self, value: object) -> None:
        trains = _trains(value)
        if len(trains) != self.size:
            raise SimulationError(
                f"SpikeSourceArray {self.name}: {len(trains)} spike trains for {self.size} neurons "
                "(the number of neurons cannot change)"
            )
        self.__dict__["_trains"] = [list(map(float, t)) for t in trains]
        if self._buffers is not None:
            self._install(keep_counter=True)

    def _install(self, keep_counter: bool) -> None:
        """Write the spike steps; ``_next`` skips the steps already passed when ``keep_counter``."""
        b: Buffers = self._buffers  # type: ignore[assignment]
        dt = self._network.dt
        trains = [_steps(t, dt, f"SpikeSourceArray {self.name}") for t in self._trains]
        offsets = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum([len(t) for t in trains], out=offsets[1:])
        flat = np.concatenate(trains) if trains else np.zeros(0, np.int64)
        b.reallocate(SourceKey(self.id, SourceField.TIMES), max(1, len(flat)))[: len(flat)] = flat
        b.array(SourceKey(self.id, SourceField.OFFSETS))[:] = offsets
        counter = self._state(SOURCE_COUNTER)  # steps done since compile or reset
        if not keep_counter:
            counter[0] = 0
        tau = int(counter[0])
        self._state(SOURCE_NEXT)[: self.size] = [int(np.searchsorted(t, tau)) for t in trains]

    def _state(self, name: str) -> np.ndarray:
        return self._buffers.array(StateKey(ObjKind.POPULATION, self.id, name))  # type: ignore[union-attr]

    def _bind(self, buffers: Buffers) -> None:
        super()._bind(buffers)
        self._install(keep_counter=False)

    def reset(self, attributes: list[str] | None = None) -> None:
        """Restart the internal counter: the times count again from now (SEMANTICS.md §10, §12)."""
        super().reset(attributes)
        if self._buffers is not None:
            self._install(keep_counter=False)

    def __repr__(self) -> str:
        return f"SpikeSourceArray(name={self.name!r}, size={self.size})"


def _trains(spike_times: object) -> list[list[float]]:
    """One list per neuron: a list of numbers is one neuron (API.md §10)."""
    if not isinstance(spike_times, list | tuple | np.ndarray):
        raise ModelError("SpikeSourceArray: spike_times must be a list of times or a list of lists")
    items = list(spike_times)
    if items and all(isinstance(x, list | tuple | np.ndarray) for x in items):
        return [list(x) for x in items]
    if any(isinstance(x, list | tuple | np.ndarray) for x in items):
        raise ModelError("SpikeSourceArray: spike_times mixes times and lists of times")
    return [items]


#: The neuron of every timed Poisson population: ``proba`` (Hz, 1.0 at compile and reset) follows the
#: schedule, then ``p = Uniform(0, 1)·1000/dt`` and a spike iff ``p < proba`` (SEMANTICS.md §10).
TIMED_POISSON_NEURON = NeuronModel(
    "TimedPoisson",
    NeuronKind.SPIKE,
    (
        Attribute("proba", DType.REAL, Locality.LOCAL, AttrKind.VARIABLE, 1.0),
        Attribute("p", DType.REAL, Locality.LOCAL, AttrKind.VARIABLE, 0.0),
        Attribute("r", DType.REAL, Locality.LOCAL, AttrKind.VARIABLE, 0.0),
    ),
    (
        TimedStep("proba"),
        Assign(
            Var("p", DType.REAL, Locality.LOCAL),
            Binary(
                BinaryOp.DIV,
                Binary(BinaryOp.MUL, Random(Dist.UNIFORM, (Const(0.0), Const(1.0)), 0), Const(1000.0)),
                Dt(),
            ),
        ),
    ),
    spike=Compare(CmpOp.LT, Var("p", DType.REAL, Locality.LOCAL), Var("proba", DType.REAL, Locality.LOCAL)),
)


class TimedPoissonPopulation(ScheduledPopulation):
    """Poisson neurons whose rate ``proba`` (Hz) switches at scheduled times (API.md §10).

    ``rates``: one entry per ``schedule`` time, each a number (every neuron) or an array of the
    population's size; ``period`` (ms, negative: none) restarts the schedule. ``update(rates, schedule,
    period, reset)`` replaces them.
    """

    _VAR = "proba"
    _REST = 1.0
    _MODEL = TIMED_POISSON_NEURON
    _KIND = "TimedPoissonPopulation"

    def __init__(
        self,
        geometry: object,
        rates: object,
        schedule: object,
        period: float = -1.0,
        name: str | None = None,
        network: Network | None = None,
    ):
        times = [float(x) for x in np.atleast_1d(np.asarray(schedule, dtype=np.float64))]
        entries = list(rates) if isinstance(rates, list | tuple | np.ndarray) else [rates]
        if len(entries) != len(times):
            raise ModelError(
                f"TimedPoissonPopulation: {len(entries)} rates for {len(times)} schedule times "
                "(one rate, or one array of rates, per time)"
            )
        size = int(np.prod(normalise_geometry(geometry)))
        data = _rows(entries, size, geometry)
        super().__init__(data, geometry, times if len(times) > 1 else times[0], period, name, network)

    def _checked(self, rates: object) -> np.ndarray:
        entries = list(rates) if isinstance(rates, list | tuple | np.ndarray) else [rates]
        return _rows(entries, self.size, self.geometry)

    def __repr__(self) -> str:
        return f"TimedPoissonPopulation(name={self.name!r}, geometry={self.geometry})"


def _rows(entries: list[object], size: int, geometry: object) -> np.ndarray:
    """One row of ``size`` rates per schedule entry: a number for every neuron, or an array of ``size``."""
    rows = []
    for e in entries:
        values = np.asarray(e, dtype=np.float64).reshape(-1)
        if values.size not in (1, size):
            raise ModelError(
                f"TimedPoissonPopulation: a rate entry has {values.size} values for {size} neurons"
            )
        rows.append(np.broadcast_to(values, (size,)))
    return np.array(rows).reshape((len(rows), *normalise_geometry(geometry)))


def rectify(rate: float, corr: float, tau: float) -> tuple[float, float]:
    """``(mu, sigma)`` of the rate process whose rectification has mean ``rate`` (API.md §10; the
    secant method from ``1.1·x0``, as the reference and Brian do)."""
    from scipy.optimize import newton
    from scipy.special import erf

    sigma_r = (corr * rate / (2.0 * tau / 1000.0)) ** 0.5
    if sigma_r == 0.0:
        return float(rate), float(sigma_r)

    def moments(mu: float) -> tuple[float, float]:
        a = 1.0 + erf(mu / 2**0.5)
        m = np.exp(-0.5 * mu**2) / (2.0 * np.pi) ** 0.5 + 0.5 * mu * a
        return m, ((mu - m) * m + 0.5 * a) ** 0.5

    x0 = rate / sigma_r
    y = float(newton(lambda y: (lambda m, s: m / s)(*moments(y)) - x0, x0 * 1.1))
    sigma = rate / (np.exp(-0.5 * y**2) / (2.0 * np.pi) ** 0.5 + 0.5 * y * (1.0 + erf(y * 2 ** (-0.5))))
    return float(y * sigma), float(sigma)


class HomogeneousCorrelatedSpikeTrains(Population):
    """Poisson neurons sharing one stochastic rate ``x`` (Brette 2009), API.md §10.

    ``x += dt·(mu - x)/tau + sqrt(dt/tau)·sigma·Normal(0, 1)`` once per step for the population, then each
    neuron spikes iff ``Uniform(0, 1)·1000/dt < x``; ``(mu, sigma)`` follow from ``rates``, ``corr`` and
    ``tau`` by the rectified-Gaussian correction (:func:`rectify`), recomputed when they are set.

    With a ``schedule`` (ms, one entry of ``rates`` and ``corr`` per time; a single number is used for
    every entry) and ``period`` (ms, negative: none), ``mu`` and ``sigma`` switch to entry ``b`` at the
    start of the step where the schedule shows it, before ``x`` is updated, with the counters of a
    ``TimedArray`` (SEMANTICS.md §10): the network runs natively up to each switch and writes the two
    global parameters there (:mod:`nnc.runtime.switches`). Setting ``rates``, ``corr`` or ``tau`` after
    compile recomputes every entry and applies the one shown now (the reference applies entry 0 until
    the next switch); ``update()`` replaces the entries and resets the population, as the reference.
    """

    def __init__(
        self,
        geometry: object,
        rates: object,
        corr: object,
        tau: float,
        schedule: object = None,
        period: float = -1.0,
        name: str | None = None,
        refractory: object = None,
        network: Network | None = None,
    ):
        times = _times(schedule)
        rate_list, corr_list = (
            _per_entry(v, len(times), what) for v, what in ((rates, "rates"), (corr, "corr"))
        )
        mu, sigma = rectify(rate_list[0], corr_list[0], float(tau))
        neuron = Neuron(
            parameters=dict(tau=float(tau), mu=mu, sigma=sigma),
            equations=[
                f"x += dt*(mu - x)/tau + sqrt(dt/tau) * sigma * Normal(0., 1.) : population, init={mu!r}",
                _DRAW,
            ],
            spike="p < x",
            refractory=refractory,
            name="HomogeneousCorrelated",
            description="Homogeneous correlated spike trains.",
        )
        super().__init__(geometry, neuron, name=name, network=network)
        self.__dict__["_entry"] = {"rates": rate_list, "corr": corr_list, "tau": float(tau)}
        self.__dict__["_times"] = times
        self.__dict__["_period"] = float(period)
        self.__dict__["_moments"] = [
            rectify(r, c, float(tau)) for r, c in zip(rate_list, corr_list, strict=True)
        ]
        self.__dict__["_clock"] = None  # the host schedule, from compile on

    # ------------------------------------------------------------------ entries
    def _recompute(self, **changes: object) -> None:
        entry = self.__dict__["_entry"]
        n = len(self._times)
        for key, value in changes.items():
            entry[key] = float(value) if key == "tau" else _per_entry(value, n, key)  # type: ignore[arg-type]
        moments = [rectify(r, c, entry["tau"]) for r, c in zip(entry["rates"], entry["corr"], strict=True)]
        self.__dict__["_moments"] = moments
        mu, sigma = moments[self._shown()]
        Population._set_one(self, "mu", mu)
        Population._set_one(self, "sigma", sigma)
        Population._set_one(self, "tau", entry["tau"])

    def _shown(self) -> int:
        """The entry whose mu and sigma are in effect (the last one a step showed; 0 before any)."""
        return min(self.__dict__.get("_last_shown", 0), len(self._times) - 1)

    def _entries(self, key: str) -> float | list[float]:
        values = self._entry[key]
        return values[0] if len(values) == 1 else list(values)

    rates = property(lambda self: self._entries("rates"), lambda self, v: self._recompute(rates=v),
                     doc="Rate (Hz) per schedule entry; setting it recomputes mu and sigma.")  # fmt: skip
    corr = property(lambda self: self._entries("corr"), lambda self, v: self._recompute(corr=v),
                    doc="Correlation strength per entry; setting it recomputes mu and sigma.")  # fmt: skip

    @property
    def schedule(self) -> list[float]:
        """The times (ms) at which the entries are shown."""
        return list(self._times)

    @schedule.setter
    def schedule(self, value: object) -> None:
        times = _times(value)
        if len(times) != len(self._times):
            raise ModelError(
                f"HomogeneousCorrelatedSpikeTrains: the schedule has {len(self._times)} entries, got "
                f"{len(times)} times (update() changes the number of entries)"
            )
        self.__dict__["_times"] = times
        if self._clock is not None:
            self._clock.steps = self._steps(times)

    @property
    def period(self) -> float:
        """The period of the schedule (ms; negative: none)."""
        return self._period

    @period.setter
    def period(self, value: float) -> None:
        self.__dict__["_period"] = float(value)
        if self._clock is not None:
            self._clock.period = self._period_steps()

    def update(
        self,
        rates: object,
        corr: object,
        schedule: object = None,
        tau: float | None = None,
        reset: bool = True,
    ) -> None:
        """Replace the entries (and ``tau`` when given); ``reset`` (after compile) resets the population, so
        the schedule restarts at its first entry (the reference warns about that reset)."""
        self._network._warn(
            "HomogeneousCorrelatedSpikeTrains: update() resets the population (reset=False keeps its timers)"
        )
        times = _times(schedule)
        entry = self.__dict__["_entry"]
        entry["rates"] = _per_entry(rates, len(times), "rates")
        entry["corr"] = _per_entry(corr, len(times), "corr")
        self.__dict__["_times"] = times
        if self._clock is not None:  # compiled: the new entries at the timers' position, or from the start
            self._clock.steps = self._steps(times)
            if reset:
                self.reset()
        self._recompute(tau=entry["tau"] if tau is None else tau)

    # ------------------------------------------------------------------ host schedule
    def _period_steps(self) -> int:
        return int(np.rint(self._period / self._network.dt)) if self._period >= 0 else -1

    def _steps(self, times: list[float]) -> tuple[int, ...]:
        return tuple(int(x) for x in np.rint(np.asarray(times) / self._network.dt))

    def _bind(self, buffers: Buffers) -> None:
        super()._bind(buffers)
        # the timers count from compile; entries are written only while there are several of them
        self.__dict__["_clock"] = HostSchedule(self._steps(self._times), self._period_steps())
        self.__dict__["_last_shown"] = 0

    def reset(self, attributes: list[str] | None = None) -> None:
        """Restore the attributes and restart the schedule at its first entry."""
        super().reset(attributes)
        if self._clock is not None:
            self._clock.restart()
            self.__dict__["_last_shown"] = 0
            if len(self._times) > 1:
                self._show(0)

    def _show(self, index: int) -> None:
        mu, sigma = self._moments[index]
        Population._set_one(self, "mu", mu)
        Population._set_one(self, "sigma", sigma)
        self.__dict__["_last_shown"] = index

    def _before_run(self) -> int | None:
        """Write the entry the next step shows; return how many steps may run before the next switch."""
        clock = self._clock
        if clock is None or len(self._times) < 2 or not self.enabled:  # disabled: the counters stand still
            return None
        index = clock.pending()
        if index is not None and index < len(self._moments):
            self._show(index)
        return clock.run_length()

    def _after_run(self, steps: int) -> None:
        if self._clock is not None and self.enabled:
            self._clock.advance(steps)

    def _set_one(self, name: str, value: object, ranks: np.ndarray | None = None) -> None:
        if name == "tau":
            self._recompute(tau=value)
        else:
            super()._set_one(name, value, ranks)

    def __repr__(self) -> str:
        return f"HomogeneousCorrelatedSpikeTrains(name={self.name!r}, geometry={self.geometry})"


def _times(schedule: object) -> list[float]:
    """The schedule in ms (None: one entry at 0)."""
    return [0.0] if schedule is None else [float(x) for x in np.atleast_1d(np.asarray(schedule, dtype=float))]


def _per_entry(value: object, n: int, what: str) -> list[float]:
    if isinstance(value, list | tuple | np.ndarray):
        values = [float(v) for v in value]
        if len(values) != n:
            raise ModelError(
                f"HomogeneousCorrelatedSpikeTrains: {what} must have one value per schedule entry ({n})"
            )
        return values
    return [float(value)] * n  # type: ignore[arg-type]
