"""Copies of a compiled network and ``parallel_run`` (API.md §2 ``copy``, §14).

A copy is a new instance of the network's class built with its constructor arguments; it is compiled
into the same cache directory, so the engine loads the cached object code instead of optimising again.
Worker processes are forked: the method and the network class need not be importable by name.

With a Dask client (``parallel_run(client=...)`` or ``net.config(parallel=...)``) the same plan of
copies runs as Dask tasks instead (:mod:`nnc.api.cluster`); without one, Dask is never imported.
"""

from __future__ import annotations

import inspect
import multiprocessing
import os
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from nnc.diagnostics import ModelError, SimulationError

if TYPE_CHECKING:
    from collections.abc import Callable

    from nnc.api.config import Config
    from nnc.api.network import Network


def build_copy(
    cls: type[Network],
    config: Config,
    directory: str,
    args: tuple[object, ...],
    kwargs: dict[str, object],
    seed: int | None,
) -> Network:
    """An instance of ``cls`` with the configuration ``config`` (but its own seed), compiled in
    ``directory`` (the compile cache)."""
    dt = kwargs.pop("dt", config.dt)
    copy = cls(*args, dt=dt, seed=seed, **kwargs)
    copy._config = replace(config, dt=copy.dt, seed=copy._config.seed)
    copy.compile(directory=directory, silent=True)
    return copy


def _build(net: Network, args: tuple[object, ...], kwargs: dict[str, object], seed: int | None) -> Network:
    """An instance of ``type(net)`` with ``net``'s configuration (but its own seed), compiled."""
    return build_copy(type(net), net._config, net.directory or "annarchy", args, kwargs, seed)


def copy_network(net: Network, args: tuple[object, ...], kwargs: dict[str, object]) -> Network:
    """``net.copy(*args, **kwargs)``."""
    if not net.compiled:
        raise SimulationError("copy: the network must be compiled first")
    seed = kwargs.pop("seed", None)
    return _build(net, args, dict(kwargs), seed)  # type: ignore[arg-type]


def _ctor_parameters(cls: type) -> list[str]:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _seeds(net: Network, seeds: object, number: int) -> list[int | None]:
    match seeds:
        case None:
            return [None] * number
        case "same":
            return [net.seed] * number
        case "sequential":
            return [net.seed + i + 1 for i in range(number)]
        case list() | tuple():
            if len(seeds) != number:
                raise ModelError(f"parallel_run: seeds must have {number} entries, got {len(seeds)}")
            return [int(s) for s in seeds]
    raise ModelError(f"parallel_run: invalid seeds {seeds!r} (None, 'same', 'sequential' or a list)")


def _split(kwargs: dict[str, object], names: list[str], number: int) -> tuple[list[dict], list[dict]]:
    """Per-copy constructor and method arguments; list values are distributed element-wise."""
    ctor: list[dict] = [{} for _ in range(number)]
    method: list[dict] = [{} for _ in range(number)]
    for key, value in kwargs.items():
        if isinstance(value, list) and len(value) != number:
            raise ModelError(f"parallel_run: the list given for '{key}' must have {number} entries")
        for i in range(number):
            (ctor if key in names else method)[i][key] = value[i] if isinstance(value, list) else value
    return ctor, method


_JOB: dict[str, object] = {}


def _work(i: int) -> object:
    """Body of one copy (run in a forked worker, or in-process for a single worker)."""
    net: Network = _JOB["net"]  # type: ignore[assignment]
    args, ctor, method, seeds = _JOB["args"], _JOB["ctor"], _JOB["method"], _JOB["seeds"]
    copy = _build(net, args, dict(ctor[i]), seeds[i])  # type: ignore[index, arg-type]
    return _JOB["fn"](copy, **method[i])  # type: ignore[operator, index]


def _ctor_arguments(net: Network) -> tuple[tuple[object, ...], dict[str, object]]:
    """The constructor arguments of ``net`` by name where possible (so kwargs can override them)."""
    args, kwargs = net._ctor_args
    signature = inspect.signature(type(net).__init__)
    if any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values()):
        return args, dict(kwargs)
    bound = signature.bind_partial(net, *args, **kwargs).arguments
    return (), {k: v for k, v in list(bound.items())[1:]}


@dataclass(frozen=True, slots=True)
class Plan:
    """What each copy of a ``parallel_run`` receives: the positional constructor arguments shared by all
    copies, then per copy its constructor keyword arguments, its method arguments and its seed."""

    args: tuple[object, ...]
    ctor: list[dict[str, object]]
    method: list[dict[str, object]]
    seeds: list[int | None]

    @property
    def number(self) -> int:
        """How many copies."""
        return len(self.seeds)


def plan(net: Network, number: int, seeds: object, kwargs: dict[str, object]) -> Plan:
    """Check that ``net`` can be copied and distribute ``kwargs`` and ``seeds`` over ``number`` copies."""
    from nnc.api.network import Network

    if type(net) is Network:
        raise ModelError("parallel_run: the network must be an instance of a subclass of Network")
    if not net.compiled:
        raise SimulationError("parallel_run: the network must be compiled first")
    args, base = _ctor_arguments(net)
    ctor, method_args = _split(kwargs, _ctor_parameters(type(net)), number)
    return Plan(args, [base | c for c in ctor], method_args, _seeds(net, seeds, number))


def _execute(number: int, workers: int) -> list[object]:
    try:
        if workers <= 1:
            return [_work(i) for i in range(number)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_work, range(number))
    finally:
        _JOB.clear()


def parallel_run(
    net: Network,
    method: Callable[..., object],
    number: int,
    max_processes: int,
    seeds: object,
    measure_time: bool,
    kwargs: dict[str, object],
    client: object = None,
) -> list[object]:
    """Run ``method(copy_i, **args_i)`` on ``number`` copies of ``net`` and return the results in order.

    The copies run in forked local processes, unless ``client`` (a ``dask.distributed.Client``,
    ``'dask'`` or a scheduler address) is given or the network's ``parallel`` configuration names one:
    then each copy is a Dask task (:func:`nnc.api.cluster.run_on_dask`).
    """
    t0 = time.perf_counter()
    jobs = plan(net, number, seeds, kwargs)
    target = client if client is not None else net._config.parallel
    if target == "processes":
        _JOB.update(net=net, fn=method, args=jobs.args, ctor=jobs.ctor, method=jobs.method, seeds=jobs.seeds)
        workers = min(number, max_processes if max_processes > 0 else (os.cpu_count() or 1))
        results = _execute(number, workers)
    else:
        from nnc.api.cluster import run_on_dask

        results = run_on_dask(net, method, jobs, target, max_processes)
    if measure_time:
        print(f"Running {number} networks in parallel took {time.perf_counter() - t0} seconds.")
    return results
