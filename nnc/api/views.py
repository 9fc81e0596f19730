"""Subsets of a population (API.md §5.4, §6): ``PopulationView`` and ``IndividualNeuron``, and slicing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from nnc.diagnostics import SimulationError

if TYPE_CHECKING:
    from nnc.api.population import Population


def _check_ranks(pop: Population, ranks: np.ndarray) -> np.ndarray:
    if ranks.size and (ranks.min() < 0 or ranks.max() >= pop.size):
        raise SimulationError(f"population {pop.name}: ranks out of range (size {pop.size})")
    return ranks


def _union(a: object, b: object) -> PopulationView:
    pa, pb = a.population, b.population  # type: ignore[attr-defined]
    if pa is not pb:
        raise SimulationError("only neurons or views of the same population can be added")
    ranks = np.union1d(np.asarray(a.ranks), np.asarray(b.ranks))  # type: ignore[attr-defined]
    return PopulationView(pa, ranks)


class _Subset:
    """Attribute access shared by views and single neurons: names resolve against the population."""

    population: Population
    ranks: np.ndarray

    def __getattr__(self, name: str) -> object:
        if name.startswith("_") or "population" not in self.__dict__:
            raise AttributeError(name)
        if self.population._has_attribute(name):
            return self.get(name)
        raise AttributeError(f"{type(self).__name__} has no attribute '{name}'")

    def __setattr__(self, name: str, value: object) -> None:
        if name.startswith("_") or hasattr(type(self), name) or not self.population._has_attribute(name):
            object.__setattr__(self, name, value)
        else:
            self.set({name: value})

    def get(self, name: str) -> object:
        """Values at the subset's ranks (global attributes: the population value)."""
        raise NotImplementedError

    def set(self, values: dict[str, object]) -> None:
        """Assign attributes for the subset's ranks."""
        for name, value in values.items():
            self.population._set_one(name, value, self.ranks)

    def __add__(self, other: object) -> PopulationView:
        return _union(self, other)

    @property
    def attributes(self) -> list[str]:
        """The population's attribute names."""
        return self.population.attributes

    @property
    def parameters(self) -> list[str]:
        """The population's parameter names."""
        return self.population.parameters

    @property
    def variables(self) -> list[str]:
        """The population's variable names."""
        return self.population.variables

    @property
    def targets(self) -> list[str]:
        """The population's targets."""
        return self.population.targets

    @property
    def neuron_type(self) -> object:
        """The population's neuron model."""
        return self.population.neuron_type

    @property
    def name(self) -> str:
        """The population's name."""
        return self.population.name

    @property
    def id(self) -> int:
        """The population's id."""
        return self.population.id


class PopulationView(_Subset):
    """Some neurons of a population, addressed by their ranks (order kept)."""

    def __init__(self, population: Population, ranks: object, geometry: tuple[int, ...] | None = None):
        d = self.__dict__
        d["population"] = population
        d["ranks"] = _check_ranks(population, np.asarray(ranks, dtype=np.int32).reshape(-1))
        d["size"] = len(d["ranks"])
        d["geometry"] = tuple(geometry) if geometry is not None else (d["size"],)
        if int(np.prod(d["geometry"])) != d["size"]:
            raise SimulationError(f"PopulationView: geometry {geometry} does not match {d['size']} ranks")

    def get(self, name: str) -> object:
        """Flat values ``pop.<name>.flat[ranks]`` (global: the scalar)."""
        return self.population._values_at(name, self.ranks)

    def sum(self, target: str) -> np.ndarray:
        """The population's ``sum(target)`` restricted to the view."""
        return self.population.sum(target)[self.ranks]

    @property
    def spike(self) -> list[int]:
        """Sorted ranks of the view's neurons that spiked in the last step (spiking populations)."""
        from nnc.runtime.spikes import spikes_of

        pop = self.population
        if not pop.is_spiking:
            raise SimulationError(f"view of {pop.name}: spike exists only for spiking populations")
        if pop._buffers is None:
            return []
        fired = spikes_of(pop._buffers, pop.id)
        return sorted(int(r) for r in fired[np.isin(fired, self.ranks)])

    def rank_from_coordinates(self, coord: object, local: bool = False) -> int:
        """Rank of coordinates in the view's geometry (``local``) or the population's (then in the view)."""
        if local:
            c = (coord,) if isinstance(coord, int | np.integer) else tuple(coord)  # type: ignore[arg-type]
            if len(c) != len(self.geometry) or any(
                not 0 <= x < g for x, g in zip(c, self.geometry, strict=True)
            ):
                raise SimulationError(f"PopulationView: invalid local coordinates {coord!r}")
            return int(np.ravel_multi_index(c, self.geometry))
        rank = self.population.rank_from_coordinates(coord)
        if rank not in self.ranks:
            raise SimulationError(f"PopulationView: coordinates {coord!r} are not in the view")
        return rank

    def coordinates_from_rank(self, rank: int, local: bool = False) -> tuple[int, ...]:
        """Coordinates of a rank: view-local (``local``) or in the population."""
        if local:
            if not 0 <= rank < self.size:
                raise SimulationError(f"PopulationView: local rank {rank} out of range")
            return tuple(int(x) for x in np.unravel_index(rank, self.geometry))
        if rank not in self.ranks:
            raise SimulationError(f"PopulationView: rank {rank} is not in the view")
        return self.population.coordinates_from_rank(rank)

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[IndividualNeuron]:
        return (IndividualNeuron(self.population, int(r)) for r in self.ranks)

    def __repr__(self) -> str:
        return f"PopulationView(population={self.population.name!r}, ranks={self.ranks.tolist()})"


class IndividualNeuron(_Subset):
    """One neuron of a population; global attributes read and write the population's value."""

    def __init__(self, population: Population, rank: int):
        d = self.__dict__
        d["population"] = population
        d["rank"] = int(rank)
        d["ranks"] = _check_ranks(population, np.array([rank], dtype=np.int32))

    def get(self, name: str) -> object:
        """The neuron's value (global attributes: the population's)."""
        value = self.population._values_at(name, self.ranks)
        return value[0].item() if isinstance(value, np.ndarray) else value

    def set(self, values: dict[str, object]) -> None:
        """Assign attributes of this neuron (global ones: of the whole population, silently)."""
        for name, value in values.items():
            local = self.population._attributes().is_local(name)
            self.population._set_one(name, value, self.ranks if local else None)

    def __repr__(self) -> str:
        values = ", ".join(f"{a}={self.get(a)!r}" for a in self.attributes)
        return f"Neuron {self.rank} of {self.population.name}: {values}"


def _axis(index: object, n: int, dim: int) -> range:
    if isinstance(index, slice):
        return range(*index.indices(n))
    i = int(index)  # type: ignore[call-overload]
    if not -n <= i < n:
        raise SimulationError(f"index {i} out of range in dimension {dim} (size {n})")
    return range(i % n, i % n + 1)


def index_population(pop: Population, index: object) -> PopulationView | IndividualNeuron:
    """``pop[index]`` (API.md §6): int / list / array / slice → view; ints per dimension → neuron."""
    if isinstance(index, int | np.integer):
        return PopulationView(pop, list(_axis(index, pop.size, 0)), geometry=(1,))
    if isinstance(index, slice):
        return PopulationView(pop, list(range(*index.indices(pop.size))))
    if isinstance(index, list | np.ndarray):
        return PopulationView(pop, np.asarray(index, dtype=np.int64))
    if not isinstance(index, tuple):
        raise SimulationError(f"population {pop.name}: cannot index with {index!r}")
    if all(isinstance(i, int | np.integer) for i in index):
        return IndividualNeuron(pop, pop.rank_from_coordinates(index))
    if len(index) != pop.dimension or len(index) > 4:
        raise SimulationError(f"population {pop.name}: {len(index)} indices for geometry {pop.geometry}")
    axes = [_axis(i, n, d) for d, (i, n) in enumerate(zip(index, pop.geometry, strict=True))]
    grids = np.meshgrid(*[np.array(a, dtype=np.int64) for a in axes], indexing="ij")
    ranks = np.ravel_multi_index(tuple(g.reshape(-1) for g in grids), pop.geometry) if grids[0].size else []
    return PopulationView(pop, ranks, geometry=tuple(len(a) for a in axes))
