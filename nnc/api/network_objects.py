"""What a network holds besides its simulation: lookups, constants, callbacks, saving and copies.

:class:`NetworkObjects` is the base of :class:`~nnc.api.network.Network`; it works on the object lists
and the runtime that ``Network`` initialises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nnc.api.constant import GLOBAL, Constant
from nnc.backend.abi import ConstantKey
from nnc.diagnostics import ModelError, SimulationError
from nnc.runtime.scheduler import CallbackTiming

if TYPE_CHECKING:
    from nnc.api.build import Runtime
    from nnc.api.monitor import Monitor
    from nnc.api.network import Network
    from nnc.api.population import Population
    from nnc.frontend.analyse import Environment


class NetworkObjects:
    """Populations, projections, monitors, constants and callbacks of a network, and their persistence."""

    id: int
    _populations: list[Population]
    _projections: list[object]
    _monitors: list[Monitor]
    _constants: list[Constant]
    _extensions: list[object]
    _callbacks: list[tuple[CallbackTiming, Callable[[int], object]]]
    _callbacks_enabled: bool
    _runtime: Runtime | None

    # ------------------------------------------------------------------ constants
    def constant(self, name: str, value: float) -> Constant:
        """A constant local to this network."""
        return Constant(name, value, network=self)

    def _add_constant(self, c: Constant) -> None:
        if self.compiled and all(k.name != c.name for k in self._constants):
            raise SimulationError(f"constant '{c.name}': the network is already compiled")
        self._constants = [k for k in self._constants if k.name != c.name] + [c]
        self._write_constant(c.name, c.value)

    def _import_constant(self, c: Constant) -> None:
        c.copy_for(self)

    def _write_constant(self, name: str, value: float) -> None:
        if self._runtime is not None and self._runtime.buffers.has(ConstantKey(name)):
            self._runtime.buffers.array(ConstantKey(name))[0] = value

    def _constant_value(self, name: str) -> float:
        c = self.get_constant(name, quiet=True)
        if c is None:
            raise SimulationError(f"'{name}' is neither an attribute nor a constant")
        return c.value

    def _environment(self, targets: tuple[str, ...] | None = None) -> Environment:
        """What equations may refer to; ``targets``: the rate inputs connected (None: not known)."""
        from nnc.frontend.analyse import Environment

        return Environment(
            constants=tuple(c.name for c in self._constants),
            functions=tuple(GLOBAL.functions.values()),
            default_method=self._config.method,
            connected_targets=targets,
        )

    # ------------------------------------------------------------------ callbacks
    def _add_callback(self, timing: CallbackTiming, fn: Callable[[int], object]) -> None:
        self._callbacks.append((timing, fn))

    def callbacks_enabled(self) -> bool:
        """Whether ``@every`` callbacks run during ``simulate()``."""
        return self._callbacks_enabled

    def enable_callbacks(self) -> None:
        """Run callbacks during ``simulate()``."""
        self._callbacks_enabled = True

    def disable_callbacks(self) -> None:
        """Do not run callbacks."""
        self._callbacks_enabled = False

    def clear_all_callbacks(self) -> None:
        """Forget every callback."""
        self._callbacks.clear()

    # ------------------------------------------------------------------ access
    def _first(self, items: list, name: str, what: str, quiet: bool = False) -> object:
        for item in items:
            if item.name == name:
                return item
        if not quiet:
            print(f"Network {self.id}: there is no {what} named '{name}'.")
        return None

    def get_population(self, name: str) -> Population | None:
        """The population called ``name`` (None and a message otherwise)."""
        return self._first(self._populations, name, "population")  # type: ignore[return-value]

    def get_projection(self, name: str) -> object:
        """The projection called ``name``."""
        return self._first(self._projections, name, "projection")

    def get_monitor(self, name: str) -> Monitor | None:
        """The monitor called ``name``."""
        return self._first(self._monitors, name, "monitor")  # type: ignore[return-value]

    def get_extension(self, name: str) -> object:
        """The extension (e.g. BOLD monitor) called ``name``."""
        return self._first(self._extensions, name, "extension")

    def get_constant(self, name: str, quiet: bool = False) -> Constant | None:
        """The constant called ``name``."""
        return self._first(self._constants, name, "constant", quiet)  # type: ignore[return-value]

    def get_populations(self) -> list[Population]:
        """Populations in creation order."""
        return list(self._populations)

    def get_monitors(self) -> list[Monitor]:
        """Monitors in creation order."""
        return list(self._monitors)

    def get_extensions(self) -> list[object]:
        """Extensions in creation order."""
        return list(self._extensions)

    def get_constants(self) -> list[Constant]:
        """Constants in definition order."""
        return list(self._constants)

    def _targets_by_post(self) -> dict[int, tuple[str, ...]]:
        """Targets of the projections ending in each population (by ``id()`` of the population), in
        creation order; recomputed when the projections change."""
        projs = self._projections
        stamp = (len(projs), id(projs[-1]) if projs else 0)
        cached = self.__dict__.get("_targets_cache")
        if cached is not None and cached[0] == stamp:
            return cached[1]
        found: dict[int, dict[str, None]] = {}
        for proj in projs:
            post = getattr(proj.post, "population", proj.post)  # type: ignore[attr-defined]
            targets = [proj.target] if isinstance(proj.target, str) else proj.target  # type: ignore[attr-defined]
            found.setdefault(id(post), {}).update(dict.fromkeys(targets))
        result = {k: tuple(v) for k, v in found.items()}
        self.__dict__["_targets_cache"] = (stamp, result)
        return result

    def get_projections(
        self, post: object = None, pre: object = None, target: str | None = None, suppress_error: bool = False
    ) -> list[object]:
        """Projections in creation order, filtered by post/pre (object or name) and target."""

        def match(end: object, wanted: object) -> bool:
            if wanted is None:
                return True
            pop = getattr(end, "population", end)
            return pop is getattr(wanted, "population", wanted) or (
                isinstance(wanted, str) and pop.name == wanted
            )

        found = [
            p
            for p in self._projections
            if match(p.post, post)
            and match(p.pre, pre)  # type: ignore[attr-defined]
            and (target is None or target in ([p.target] if isinstance(p.target, str) else p.target))
        ]  # type: ignore[attr-defined]
        if not found and not suppress_error and (post, pre, target) != (None, None, None):
            raise ModelError("get_projections: no projection matches the given pre, post and target")
        return found

    # ------------------------------------------------------------------ save / load / copies
    def save(self, filename: str, populations: bool = True, projections: bool = True) -> None:
        """Save the state of populations and projections (API.md §13)."""
        from nnc.api.io import save_network

        save_network(self, filename, populations, projections)

    def load(
        self,
        filename: str,
        populations: bool = True,
        projections: bool = True,
        pickle_encoding: str | None = None,
    ) -> None:
        """Restore a state saved by ``save()`` (the network must be compiled)."""
        from nnc.api.io import load_network

        load_network(self, filename, populations, projections, pickle_encoding)

    def save_parameters(self, filename: str) -> None:
        """Save global parameters and constants as JSON (API.md §13)."""
        from nnc.api.io import save_network_parameters

        save_network_parameters(filename, self)

    def load_parameters(self, filename: str, global_only: bool = True, verbose: bool = False) -> dict:
        """Load parameters saved by ``save_parameters``; returns the file's ``network`` dict."""
        from nnc.api.io import load_network_parameters

        return load_network_parameters(filename, global_only, verbose, self)

    def copy(self, *args: object, **kwargs: object) -> Network:
        """A new instance of this network's class from the same compiled code (must be compiled)."""
        from nnc.api.parallel import copy_network

        return copy_network(self, args, kwargs)

    def parallel_run(
        self,
        method: Callable[..., object],
        number: int,
        max_processes: int = -1,
        seeds: object = None,
        measure_time: bool = False,
        client: object = None,
        **kwargs: object,
    ) -> list[object]:
        """Run ``method`` on ``number`` copies of this network in parallel processes (API.md §14).

        ``client`` (a ``dask.distributed.Client``, ``'dask'`` or a scheduler address; default: the
        ``parallel`` configuration key) runs each copy as a task on a Dask cluster instead, with the
        same results bit for bit (docs/cluster.md).
        """
        from nnc.api.parallel import parallel_run

        return parallel_run(self, method, number, max_processes, seeds, measure_time, kwargs, client)

    def memory_footprint(self, show_py_side: bool = True, show_cpp_side: bool = True) -> None:
        """Print the size of the compiled network's buffers."""
        if self._runtime is None:
            print(f"Network {self.id} is not compiled.")
            return
        total = sum(a.nbytes for a in self._runtime.buffers.arrays.values())
        print(f"Network {self.id}: {total / 1e6:.3f} MB of buffers")
