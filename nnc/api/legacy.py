"""The legacy global API (API.md §16): module-level functions acting on the default ("magic") network 0.

The default network is created on first use. Every function but ``clear`` and ``magic_network`` prints a
deprecation warning once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nnc.backend.abi import RuntimeField, RuntimeKey

if TYPE_CHECKING:
    from nnc.api.monitor import Monitor
    from nnc.api.network import Network
    from nnc.api.population import Population

_MAGIC: list[Network] = []


def magic_network_if_created() -> Network | None:
    """The default network, or None if nothing used it yet."""
    return _MAGIC[0] if _MAGIC else None


def magic_network() -> Network:
    """The default network (id 0), created on first use."""
    if not _MAGIC:
        from nnc.api.network import Network

        net = object.__new__(Network)
        net._initialise(None, None, net_id=0)
        _MAGIC.append(net)
    return _MAGIC[0]


def _legacy(name: str) -> Network:
    net = magic_network()
    net._warn(f"{name}() is deprecated: create a Network and call its methods instead")
    return net


def compile(directory: str = "annarchy", clean: bool = False, **kwargs: object) -> None:
    """Compile the default network."""
    _legacy("compile").compile(directory, clean, **kwargs)  # type: ignore[arg-type]


def simulate(
    duration: float, measure_time: bool = False, callbacks: bool = True, progress: bool | None = None
) -> None:
    """Simulate the default network for ``duration`` ms (``callbacks=False`` skips ``@every`` callbacks;
    ``progress`` as in :meth:`Network.simulate`)."""
    net = _legacy("simulate")
    enabled = net.callbacks_enabled()
    if not callbacks:
        net.disable_callbacks()
    try:
        net.simulate(duration, measure_time, progress)
    finally:
        if enabled:
            net.enable_callbacks()


def simulate_until(
    max_duration: float, population: object, operator: str = "and", measure_time: bool = False
) -> float:
    """``simulate_until`` on the default network."""
    return _legacy("simulate_until").simulate_until(max_duration, population, operator, measure_time)


def step() -> None:
    """One step of the default network."""
    _legacy("step").step()


def reset(
    populations: bool = True,
    projections: bool = False,
    synapses: bool = False,
    monitors: bool = True,
    reseed_rng: bool = True,
) -> None:
    """Reset the default network (SEMANTICS.md §12)."""
    _legacy("reset").reset(populations, projections, synapses, monitors, reseed_rng)


def get_population(name: str) -> Population | None:
    """Population ``name`` of the default network."""
    return _legacy("get_population").get_population(name)


def get_projection(name: str) -> object:
    """Projection ``name`` of the default network."""
    return _legacy("get_projection").get_projection(name)


def populations() -> list[Population]:
    """Populations of the default network."""
    return _legacy("populations").get_populations()


def projections() -> list[object]:
    """Projections of the default network."""
    return list(_legacy("projections")._projections)


def monitors(obj: object = None) -> list[Monitor]:
    """Monitors of the default network (those recording ``obj`` if given)."""
    found = _legacy("monitors").get_monitors()
    return found if obj is None else [m for m in found if m.object is obj]


def enable_learning(
    projections: list[object] | None = None, period: float | None = None, offset: float | None = None
) -> None:
    """Enable learning of projections of the default network."""
    _legacy("enable_learning").enable_learning(projections, period, offset)


def disable_learning(projections: list[object] | None = None) -> None:
    """Disable learning of projections of the default network."""
    _legacy("disable_learning").disable_learning(projections)


def get_time() -> float:
    """Current time (ms) of the default network."""
    return _legacy("get_time").time


def set_time(t: float) -> None:
    """Set the time of the default network (after compile)."""
    _legacy("set_time").time = t


def get_current_step() -> int:
    """Current step of the default network."""
    return _legacy("get_current_step").current_step


def set_current_step(k: int) -> None:
    """Set the step counter of the default network."""
    _legacy("set_current_step").current_step = k


def dt() -> float:
    """Step size of the default network."""
    return _legacy("dt").dt


def set_seed(seed: int, use_seed_seq: bool = True) -> None:
    """Re-seed the default network (also NumPy's legacy generator)."""
    net = _legacy("set_seed")
    np.random.seed(seed)
    net._seed(seed)
    if net._runtime is not None:
        net._runtime.buffers.set_value(RuntimeKey(RuntimeField.SEED), seed)


def callbacks_enabled() -> bool:
    """Whether callbacks of the default network are enabled."""
    return _legacy("callbacks_enabled").callbacks_enabled()


def enable_callbacks() -> None:
    """Enable callbacks of the default network."""
    _legacy("enable_callbacks").enable_callbacks()


def disable_callbacks() -> None:
    """Disable callbacks of the default network."""
    _legacy("disable_callbacks").disable_callbacks()


def clear_all_callbacks() -> None:
    """Forget the callbacks of the default network."""
    _legacy("clear_all_callbacks").clear_all_callbacks()


def clear(functions: bool = True, neurons: bool = True, synapses: bool = True) -> None:
    """Forget the default network and the global constants (and global functions), as after import."""
    from nnc.api.constant import GLOBAL

    if _MAGIC:
        _MAGIC[0].clear()
        _MAGIC.clear()
    GLOBAL.constants.clear()
    if functions:
        GLOBAL.functions.clear()
        GLOBAL.function_texts.clear()
