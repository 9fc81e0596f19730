"""The ``Network`` (API.md §2): owns populations, projections, monitors and constants, compiles and simulates.

``Network`` may be subclassed without calling ``super().__init__()``: instance creation (the metaclass)
pops ``dt`` and ``seed`` from the keyword arguments, runs the base initialisation, then calls the
subclass ``__init__`` with the remaining arguments and remembers them for ``copy()``/``parallel_run()``.
"""

from __future__ import annotations

import itertools
import secrets
import time as _time
import weakref
from typing import TYPE_CHECKING

import numpy as np

from nnc.api.config import DEFAULTS, RUN_TIME_KEYS, Config, Warnings, updated
from nnc.api.constant import GLOBAL, Constant
from nnc.api.monitor import Monitor
from nnc.api.network_objects import NetworkObjects
from nnc.api.population import Population
from nnc.api.views import IndividualNeuron, PopulationView
from nnc.backend.abi import real_dtype
from nnc.diagnostics import ModelError, SimulationError
from nnc.runtime.progress import Progress
from nnc.runtime.progress import wanted as progress_wanted
from nnc.runtime.scheduler import (
    CallbackTiming,
    callback_firings,
    run_recorded,
    run_with_callbacks,
    steps_for,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from nnc.api.build import Runtime

_IDS = itertools.count(1)
_NETWORKS: weakref.WeakValueDictionary[int, Network] = weakref.WeakValueDictionary()


def network_by_id(net_id: int) -> Network:
    """The live network with id ``net_id`` (0 is the default network)."""
    if net_id == 0:
        from nnc.api.legacy import magic_network

        return magic_network()
    try:
        return _NETWORKS[net_id]
    except KeyError:
        raise SimulationError(f"there is no network with id {net_id}") from None


def _next_rule_step(proj: object, k: int) -> int | None:
    """The first step ``>= k`` at which a structural rule of ``proj`` is due (None: none started)."""
    due = getattr(proj, "_next_rule_step", None)
    return None if due is None else due(k)


class _NetworkType(type):
    """Creates networks: base initialisation first, then the (subclass) ``__init__`` without dt/seed."""

    def __call__(cls, *args: object, **kwargs: object) -> Network:
        dt = kwargs.pop("dt", None)
        seed = kwargs.pop("seed", None)
        net = cls.__new__(cls)  # type: ignore[call-overload]
        Network._initialise(net, dt, seed)  # type: ignore[arg-type]
        net.__init__(*args, **kwargs)
        net._ctor_args = (args, dict(kwargs))
        return net


class Network(NetworkObjects, metaclass=_NetworkType):
    """A network of populations and projections with its own configuration, seed and compiled code."""

    def __init__(self, dt: float | None = None, seed: int | None = None):
        if dt is not None:
            self.config(dt=dt)
        if seed is not None:
            self.config(seed=seed)

    def _initialise(self, dt: float | None, seed: int | None, net_id: int | None = None) -> None:
        self.id = next(_IDS) if net_id is None else net_id
        self._config: Config = DEFAULTS.config
        self._warnings = Warnings()
        if dt is not None:
            self._config = updated(self._config, {"dt": dt}, self._warnings)
        self._populations: list[Population] = []
        self._projections: list[object] = []
        self._monitors: list[Monitor] = []
        self._constants: list[Constant] = []
        self._extensions: list[object] = []
        self._callbacks: list[tuple[CallbackTiming, Callable[[int], object]]] = []
        self._callbacks_enabled = True
        self._runtime: Runtime | None = None
        self.directory: str | None = None
        self._ctor_args: tuple[tuple[object, ...], dict[str, object]] = ((), {})
        self._seed(seed if seed is not None else self._config.seed)
        for c in GLOBAL.constants:
            self._import_constant(c)
        if net_id is None:
            _NETWORKS[self.id] = self

    def _seed(self, seed: int | None) -> None:
        self._seed_value = int(seed) if seed is not None else secrets.randbits(32)
        self._default_rng = np.random.default_rng(self._seed_value)
        self._rng_state = self._default_rng.bit_generator.state
        self._assign_rng = np.random.default_rng([self._seed_value, 1])

    # ------------------------------------------------------------------ properties
    @property
    def seed(self) -> int:
        """Seed of the in-equation random numbers and of ``default_rng`` (read-only)."""
        return self._seed_value

    @property
    def default_rng(self) -> np.random.Generator:
        """``np.random.default_rng(seed)``: what random connectors draw from."""
        return self._default_rng

    @property
    def compiled(self) -> bool:
        """Whether ``compile()`` has run."""
        return self._runtime is not None

    @property
    def dt(self) -> float:
        """Step size in ms."""
        return self._config.dt

    @dt.setter
    def dt(self, value: float) -> None:
        if self.compiled:
            self._warn("dt cannot change after compile; ignored")
            return
        self.config(dt=value)

    @property
    def current_step(self) -> int:
        """The step counter ``k`` (0 before compile)."""
        return self._runtime.buffers.step if self._runtime is not None else 0

    @current_step.setter
    def current_step(self, k: int) -> None:
        if self._runtime is None:
            self._warn("the time can only be set after compile; ignored")
            return
        self._runtime.buffers.step = int(k)

    @property
    def time(self) -> float:
        """``current_step · dt`` in ms."""
        return self.current_step * self.dt

    @time.setter
    def time(self, t: float) -> None:
        self.current_step = int(t / self.dt)

    @property
    def _real_dtype(self) -> np.dtype:
        return real_dtype(self._config.dtype)

    # ------------------------------------------------------------------ configuration, messages
    def config(self, **kwargs: object) -> None:
        """Network-level ``setup()`` (API.md §3); only before compile, except ``progress``."""
        if self.compiled and set(kwargs) <= RUN_TIME_KEYS:
            self._config = updated(self._config, kwargs, self._warnings)
            return
        if self.compiled:
            self._warn("config() after compile has no effect")
            return
        self._config = updated(self._config, kwargs, self._warnings)
        if kwargs.get("seed") is not None:
            self._seed(self._config.seed)

    def _warn(self, text: str) -> None:
        self._warnings.warn(text, suppress=self._config.suppress_warnings)

    def _init_rng(self, pid: int, attribute: str) -> np.random.Generator:
        """Generator for a model's distribution ``init`` of an attribute (same draws at compile and reset)."""
        return np.random.default_rng([self._seed_value, 2, pid, *attribute.encode()])

    @property
    def _aux_rng(self) -> np.random.Generator:
        """Generator for weight/delay distributions of connectors that have no rng of their own."""
        return np.random.default_rng([self._seed_value, 3])

    # ------------------------------------------------------------------ building
    def _check_open(self, what: str) -> None:
        if self.compiled:
            raise SimulationError(f"{what}: the network is already compiled")

    def _add_population(self, pop: Population) -> None:
        self._check_open("create")
        pop.__dict__["_network"] = self
        pop.__dict__["id"] = len(self._populations)
        self._populations.append(pop)
        pop._rehome()

    def _remove_population(self, pop: Population) -> None:
        self._check_open("create")
        self._populations.remove(pop)
        for i, p in enumerate(self._populations):
            p.__dict__["id"] = i
            p._rehome()

    def create(
        self,
        geometry: object = None,
        neuron: object = None,
        stop_condition: str | None = None,
        name: str | None = None,
        population: Population | None = None,
    ) -> Population:
        """A new population of ``geometry`` and ``neuron``, or an existing specific population added here."""
        self._check_open("create")
        if isinstance(geometry, Population):
            if population is not None:
                raise ModelError(
                    "create: give the population either positionally or as population=, not both"
                )
            geometry, population = None, geometry
        if population is not None:
            if geometry is not None or neuron is not None or stop_condition is not None or name is not None:
                raise ModelError("create: a population object takes no other arguments")
            if population.network is not self:
                population.network._remove_population(population)
                self._add_population(population)
            return population
        if geometry is None:
            raise ModelError("create: either geometry and neuron, or a population, is required")
        return Population(geometry, neuron, name=name, stop_condition=stop_condition, network=self)

    def _resolve(self, obj: object, what: str) -> object:
        if isinstance(obj, str):
            pop = self.get_population(obj)
            if pop is None:
                raise ModelError(f"connect: no population named '{obj}'")
            return pop
        if isinstance(obj, IndividualNeuron):
            return obj.population
        if isinstance(obj, Population | PopulationView):
            return obj
        raise ModelError(f"connect: {what} must be a population, a view or a population name, not {obj!r}")

    def connect(
        self,
        pre: object = None,
        post: object = None,
        target: str | list[str] = "",
        synapse: object = None,
        name: str | None = None,
        projection: object = None,
    ) -> object:
        """A new projection from ``pre`` to ``post`` on ``target``, or a specific projection added here."""
        self._check_open("connect")
        if projection is None and pre is not None and hasattr(pre, "_prepare"):
            projection, pre = pre, None
        if projection is not None:
            if pre is not None or post is not None or target or synapse is not None or name is not None:
                raise ModelError("connect: a projection object takes no other arguments")
            if projection not in self._projections:
                self._add_projection(projection)
            return projection
        if post is None:
            raise ModelError("connect: the post-synaptic population is missing")
        if not target:
            raise ModelError("connect: the target must be a non-empty name (or list of names)")
        from nnc.api.projection import Projection

        proj = Projection(self, self._resolve(pre, "pre"), self._resolve(post, "post"), target, synapse, name)
        if proj not in self._projections:
            self._add_projection(proj)
        return proj

    def _add_projection(self, proj: object) -> None:
        self._check_open("connect")
        self._projections.append(proj)

    def monitor(
        self,
        obj: object,
        variables: str | list[str] | None = None,
        period: float | None = None,
        period_offset: float | None = None,
        start: bool = True,
        name: str | None = None,
    ) -> Monitor:
        """A monitor recording ``variables`` of ``obj`` (API.md §9)."""
        return Monitor(obj, variables, period, period_offset, start, name, network=self)

    def _add_monitor(self, m: Monitor) -> None:
        self._monitors.append(m)
        if self._runtime is not None:
            m._bind(self._runtime.recorder)

    def boldmonitor(self, *args: object, **kwargs: object) -> object:
        """BOLD monitoring (API.md §12), provided by ``nnc.extensions.bold``."""
        from nnc.extensions.bold import BoldMonitor

        monitor = BoldMonitor(*args, network=self, **kwargs)
        if monitor not in self._extensions:
            self._extensions.append(monitor)
        return monitor

    def boldmonitor_from_slices(self, *args: object, **kwargs: object) -> object:
        """BOLD monitoring of parts of one population (one BOLD neuron per slice of ranks), provided by
        ``nnc.extensions.bold``."""
        from nnc.extensions.bold import BoldMonitorFromSlices

        monitor = BoldMonitorFromSlices(*args, network=self, **kwargs)
        self._extensions.append(monitor)
        return monitor

    # ------------------------------------------------------------------ compile and run
    def compile(
        self,
        directory: str = "annarchy",
        clean: bool = False,
        compiler: str = "default",
        compiler_flags: str = "default",
        add_sources: str = "",
        extra_libs: str = "",
        cuda_config: dict | None = None,
        annarchy_json: str = "",
        silent: bool = False,
        debug_build: bool = False,
        trace_calls: object = None,
        profile_enabled: bool = False,
        passes: list[object] | tuple[object, ...] | None = None,
    ) -> None:
        """Analyse, optimise and JIT-compile the network, then transfer initial values (SEMANTICS.md §11).

        ``directory`` holds nnc's compile cache; ``clean=True`` ignores the cache for this compile. The
        C++ toolchain arguments of the reference are accepted and have no effect. ``passes`` replaces the
        pass pipeline: registered pass names or pass instances, run in this order (see
        :mod:`nnc.passes.registry`; ``config(extra_passes=...)`` adds passes to the default pipeline).
        """
        if self.compiled:
            print(f"Network {self.id} is already compiled.")
            return
        from nnc.api.build import compile_network

        t0 = _time.perf_counter()
        self.directory = directory
        self._runtime = compile_network(self, directory, clean, passes, cuda_config)
        if not silent and self._config.verbose:
            print(f"Network {self.id} compiled in {_time.perf_counter() - t0:.3f} s")

    def _require_compiled(self, what: str) -> Runtime:
        if self._runtime is None:
            raise SimulationError(f"{what}: the network is not compiled (call compile() first)")
        return self._runtime

    def _run(self, nsteps: int, progress: Progress | None = None) -> int:
        """Run ``nsteps`` steps natively, stopping after each step where a structural rule is due to apply
        it before the next step (SEMANTICS.md §16, :mod:`nnc.runtime.structural`), and before each step
        where a scheduled input switches its global values (:mod:`nnc.runtime.switches`). ``progress`` is
        the bar of ``simulate(progress=True)``, advanced as the steps are done."""
        rt = self._require_compiled("simulate")
        switching = [p for p in self._populations if hasattr(p, "_before_run")]
        done = 0
        while done < nsteps:
            k, left = rt.buffers.step, nsteps - done
            due = [s for p in self._projections if (s := _next_rule_step(p, k)) is not None]
            n = left if not due or min(due) >= k + left else min(due) - k + 1
            for pop in switching:  # scheduled inputs: write what the next step shows, stop before the next
                length = pop._before_run()
                n = n if length is None else min(n, length)
            got = run_recorded(rt.engine, rt.buffers, rt.recorder, n, progress)
            for pop in switching:
                pop._after_run(got)
            done += got
            if got < n:
                break
            if due and min(due) == k + n - 1:
                self._apply_structural(k + n - 1)
        return done

    def _apply_structural(self, k: int) -> None:
        """The creating rules of every projection, then their pruning rules, due at step ``k``."""
        for rule in ("creating", "pruning"):
            for proj in self._projections:
                if hasattr(proj, "_apply_rule"):
                    proj._apply_rule(rule, k)

    def simulate(self, duration: float, measure_time: bool = False, progress: bool | None = None) -> None:
        """Run ``ceil(duration/dt)`` steps (``int()`` when callbacks are active, API.md §15).

        ``progress=True`` shows a progress bar (tqdm, the ``progress`` extra) with the steps per second
        and the ratio of biological to wall-clock time; ``None`` (the default) takes the ``progress``
        configuration key, which by default shows it only when standard output is a terminal.
        ``measure_time=True`` prints the wall-clock time of the run as the reference does.
        """
        self._require_compiled("simulate")
        t0 = _time.perf_counter()
        active = self._callbacks_enabled and bool(self._callbacks)
        nsteps = steps_for(duration, self.dt, active)
        bar = (
            Progress(nsteps, self.dt, f"network {self.id}")
            if nsteps > 0 and progress_wanted(progress if progress is not None else self._config.progress)
            else None
        )
        try:
            if active:
                timings = [t for t, _ in self._callbacks]
                firings = callback_firings(timings, self.current_step, nsteps, self.dt)
                run_with_callbacks(
                    lambda n: self._run(n, bar),
                    self.current_step,
                    nsteps,
                    firings,
                    lambda i, n: self._callbacks[i][1](n),
                )
            else:
                self._run(nsteps, bar)
        finally:
            if bar is not None:
                bar.close()
        if measure_time:
            # the reference's wording: the default (magic) network 0 is not named
            which = "the network" if self.id == 0 else f"the network {self.id}"
            took = _time.perf_counter() - t0
            print(f"Simulating {duration / 1000.0} seconds of {which} took {took} seconds.")

    def simulate_until(
        self, max_duration: float, population: object, operator: str = "and", measure_time: bool = False
    ) -> float:
        """Run until the stop conditions of ``population`` (one or a list) hold; returns ``n_steps·dt``."""
        from nnc.api.build import stop_condition_checker

        self._require_compiled("simulate_until")
        if operator not in ("and", "or"):
            raise ModelError(f"simulate_until: operator must be 'and' or 'or', not {operator!r}")
        pops = population if isinstance(population, list | tuple) else [population]
        check = stop_condition_checker(self, pops, operator)
        nmax = steps_for(max_duration, self.dt, False)
        t0, done = _time.perf_counter(), 0
        while done < nmax:
            done += self._run(1)
            if check is not None and check():
                break
        if measure_time:
            took = _time.perf_counter() - t0
            print(f"Simulating {done * self.dt / 1000.0} seconds of the network took {took} seconds.")
        return done * self.dt

    def step(self) -> None:
        """Run one step."""
        self._run(1)

    def reset(
        self,
        populations: bool = True,
        projections: bool = False,
        synapses: bool = False,
        monitors: bool = True,
        reseed_rng: bool = True,
    ) -> None:
        """Return to time 0 and restore initial values (SEMANTICS.md §12)."""
        if self._runtime is not None:
            self._runtime.buffers.step = 0
        if populations:
            for pop in self._populations:
                pop.reset()
        if synapses and not projections:
            self._warn("reset(synapses=True) also resets the projections")
            projections = True
        if projections:
            for proj in self._projections:
                proj.reset(synapses=synapses)  # type: ignore[attr-defined]
        if monitors:
            for m in self._monitors:
                m.reset()
        if reseed_rng:
            self._default_rng.bit_generator.state = self._rng_state

    def enable_learning(
        self,
        projections: list[object] | None = None,
        period: float | None = None,
        offset: float | None = None,
    ) -> None:
        """``enable_learning`` on the given (default all) projections."""
        for proj in self._projections if projections is None else projections:
            proj.enable_learning(period=period, offset=offset)  # type: ignore[attr-defined]

    def disable_learning(self, projections: list[object] | None = None) -> None:
        """``disable_learning`` on the given (default all) projections."""
        for proj in self._projections if projections is None else projections:
            proj.disable_learning()  # type: ignore[attr-defined]

    def clear(self) -> None:
        """Free the compiled code and every object of this network."""
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None
        self._populations.clear()
        self._projections.clear()
        self._monitors.clear()
        self._extensions.clear()
        self._callbacks.clear()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(id={self.id}, dt={self.dt}, seed={self.seed}, "
            f"populations={len(self._populations)}, projections={len(self._projections)})"
        )
