"""``nnc.sweep``: ``parallel_run`` over a grid of parameter values, with the values kept beside the results.

Every point of the grid (the Cartesian product of the values given for each parameter, the first
parameter varying slowest) runs ``repeats`` copies; each copy is one copy of a ``parallel_run`` (locally
or on a Dask cluster), so a parameter is given to the network's constructor when the constructor takes
it and to the method otherwise. The seeds are resolved before the run and recorded, so every row of the
result can be reproduced alone.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nnc.api.config import DEFAULTS
from nnc.api.parallel import _seeds
from nnc.diagnostics import ModelError

if TYPE_CHECKING:
    from nnc.api.network import Network


@dataclass(frozen=True, slots=True)
class Sweep:
    """The results of :func:`sweep` with the parameter values and seed of each copy.

    ``points[k]``, ``repeat[k]``, ``seeds[k]`` and ``results[k]`` describe copy ``k``; the copies are in
    grid order (the first parameter varies slowest, the repeats fastest).

    For pandas: ``pandas.DataFrame(s.records())``; for xarray:
    ``xarray.DataArray(s.array(), coords=s.coords, dims=s.dims)`` (scalar results).
    """

    parameters: dict[str, list[object]]
    repeats: int
    points: list[dict[str, object]]
    repeat: list[int]
    seeds: list[int]
    results: list[object]

    @property
    def dims(self) -> tuple[str, ...]:
        """Names of the grid's axes, then ``'repeat'``."""
        return (*self.parameters, "repeat")

    @property
    def coords(self) -> dict[str, list[object]]:
        """Values along each axis of :attr:`dims`."""
        return {**self.parameters, "repeat": list(range(self.repeats))}

    @property
    def shape(self) -> tuple[int, ...]:
        """Length of each axis of :attr:`dims`."""
        return tuple(len(v) for v in self.coords.values())

    def records(self) -> list[dict[str, object]]:
        """One dict per copy: the parameter values, ``repeat``, ``seed``, then the result: the keys of a
        dict result as columns of their own, any other result under ``'result'``."""
        rows = []
        for point, r, seed, result in zip(self.points, self.repeat, self.seeds, self.results, strict=True):
            row: dict[str, object] = {**point, "repeat": r, "seed": seed}
            if isinstance(result, Mapping):
                clash = set(result) & set(row)
                if clash:
                    raise ModelError(f"sweep: result keys {sorted(clash)} clash with parameter columns")
                row.update(result)
            else:
                row["result"] = result
            rows.append(row)
        return rows

    def array(self, key: str | None = None) -> np.ndarray:
        """The results (or the entry ``key`` of dict results) as an array of shape :attr:`shape` followed
        by the shape of one result (an object array when results are not numbers or arrays of one shape)."""
        values = [r[key] if key is not None else r for r in self.results]  # type: ignore[index]
        try:
            stacked = np.asarray(values)
        except ValueError:  # results of different shapes
            stacked = np.empty(len(values), dtype=object)
            stacked[:] = values
        if stacked.dtype == object and stacked.ndim > 1:
            stacked = np.empty(len(values), dtype=object)
            stacked[:] = values
        return stacked.reshape(self.shape + stacked.shape[1:])


def _resolved_seeds(net: Network, seeds: object, number: int) -> list[int]:
    """The seed each copy will use: what a copy given None would draw is drawn here instead."""
    resolved = _seeds(net, seeds, number)
    default = DEFAULTS.config.seed
    return [
        s if s is not None else (default if default is not None else secrets.randbits(32)) for s in resolved
    ]


def sweep(
    net: Network,
    method: Callable[..., object],
    parameters: Mapping[str, Sequence[object]],
    repeats: int = 1,
    seeds: object = None,
    client: object = None,
    max_processes: int = -1,
    measure_time: bool = False,
    **fixed: object,
) -> Sweep:
    """Run ``method`` on one copy of ``net`` per grid point and repeat, and return a :class:`Sweep`.

    ``parameters`` maps names to the values to try; ``fixed`` names are given unchanged to every copy
    (as a constructor or method argument, like ``parallel_run``'s keyword arguments). ``seeds`` is as
    for ``parallel_run`` over all ``points * repeats`` copies (None: a seed drawn per copy, and recorded).
    ``client`` runs the copies on a Dask cluster (see ``parallel_run``).
    """
    if not parameters:
        raise ModelError("sweep: give at least one parameter and its values")
    if isinstance(repeats, bool) or int(repeats) != repeats or repeats < 1:  # type: ignore[call-overload]
        raise ModelError(f"sweep: repeats must be a positive integer, got {repeats!r}")
    grid = {name: list(values) for name, values in parameters.items()}
    for name, values in grid.items():
        if not values:
            raise ModelError(f"sweep: no values given for '{name}'")
    if set(grid) & set(fixed):
        raise ModelError(f"sweep: {sorted(set(grid) & set(fixed))} given both as a parameter and fixed")
    points = [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]
    points = [p for p in points for _ in range(repeats)]
    number = len(points)
    seed_list = _resolved_seeds(net, seeds, number)
    kwargs: dict[str, object] = {name: [p[name] for p in points] for name in grid}
    kwargs |= {name: [value] * number for name, value in fixed.items()}
    results = net.parallel_run(
        method,
        number,
        max_processes=max_processes,
        seeds=seed_list,
        measure_time=measure_time,
        client=client,
        **kwargs,
    )
    return Sweep(grid, int(repeats), points, [k % repeats for k in range(number)], seed_list, results)
