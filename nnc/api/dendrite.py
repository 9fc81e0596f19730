"""``Dendrite`` and ``IndividualSynapse``: the synapses of one post-synaptic neuron (API.md §7.5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from nnc.diagnostics import ModelError, SimulationError

if TYPE_CHECKING:
    from nnc.api.projection import Projection

_STRUCTURAL = (
    "structural plasticity (create_synapse, create_synapses, prune_synapse, prune_synapses) is not "
    "implemented in nnc yet"
)


class Dendrite:
    """The synapses of post neuron ``post_rank`` (``idx``: its position in ``post_ranks``)."""

    def __init__(self, proj: Projection, post_rank: int, idx: int):
        d = self.__dict__
        d["proj"] = proj
        d["post_rank"] = int(post_rank)
        d["idx"] = int(idx)

    # ------------------------------------------------------------------ structure
    @property
    def pre(self) -> object:
        """The pre-synaptic population (or view) of the projection."""
        return self.proj.pre

    @property
    def target(self) -> str | list[str]:
        """The projection's target."""
        return self.proj.target

    @property
    def attributes(self) -> list[str]:
        """Attribute names of the synapse."""
        return self.proj.attributes

    @property
    def parameters(self) -> list[str]:
        """Parameter names of the synapse."""
        return self.proj.parameters

    @property
    def variables(self) -> list[str]:
        """Variable names of the synapse."""
        return self.proj.variables

    @property
    def size(self) -> int:
        """Number of synapses of this dendrite."""
        row = self.proj._conn.row(self.idx)
        return row.stop - row.start

    def __len__(self) -> int:
        return self.size

    @property
    def pre_ranks(self) -> list[int]:
        """Ranks of the pre-synaptic neurons, ascending."""
        return self.proj._conn.pre_ranks[self.proj._conn.row(self.idx)].tolist()

    pre_rank = pre_ranks

    @property
    def delay(self) -> float | list[float]:
        """Delay in ms: one value for uniform projections, one per synapse otherwise."""
        delays = self.proj.delay
        return delays[self.idx] if isinstance(delays, list) else delays

    # ------------------------------------------------------------------ synapses
    def synapse(self, pos: int | tuple[int, ...]) -> IndividualSynapse:
        """The synapse from the pre-synaptic neuron of rank (or coordinates) ``pos``."""
        rank = (
            int(pos)
            if isinstance(pos, (int, np.integer))
            else self.proj.pre.population.rank_from_coordinates(pos)
        )
        ranks = self.pre_ranks
        if rank not in ranks:
            raise ModelError(f"the neuron of rank {rank} has no synapse in the dendrite of {self.post_rank}")
        return IndividualSynapse(self, rank, ranks.index(rank))

    def __getitem__(self, *args: object) -> IndividualSynapse:
        return self.synapse(args[0] if len(args) == 1 else args)  # type: ignore[arg-type]

    @property
    def synapses(self) -> Iterator[IndividualSynapse]:
        """The synapses in ascending pre rank order."""
        for j, rank in enumerate(self.pre_ranks):
            yield IndividualSynapse(self, rank, j)

    def __iter__(self) -> Iterator[IndividualSynapse]:
        return self.synapses

    # ------------------------------------------------------------------ attributes
    def __getattr__(self, name: str) -> object:
        proj = self.__dict__["proj"]
        if name in proj.attributes:
            return proj._values.get_row(name, self.idx)
        raise AttributeError(f"Dendrite has no attribute '{name}'")

    def __setattr__(self, name: str, value: object) -> None:
        if name in self.proj.attributes:
            self.proj._values.set_row(name, self.idx, value, self.proj._assign_rng())
        else:
            raise AttributeError(f"Dendrite has no attribute '{name}' to set")

    def get(self, name: str) -> object:
        """Value of an attribute (local: list; semiglobal / global: scalar)."""
        if name in ("pre_ranks", "pre_rank", "rank"):
            return self.pre_ranks
        if name not in self.proj.attributes:
            raise SimulationError(f"Dendrite has no parameter/variable called '{name}'")
        return getattr(self, name)

    def set(self, values: dict[str, object]) -> None:
        """Assign several attributes."""
        for name, value in values.items():
            if name not in self.proj.attributes:
                raise SimulationError(f"Dendrite has no parameter/variable called '{name}'")
            setattr(self, name, value)

    def receptive_field(self, variable: str = "w", fill: float = 0.0) -> np.ndarray:
        """``variable`` as an array of the pre-synaptic geometry, ``fill`` where there is no synapse."""
        pre = self.proj.pre
        values = self.proj._values.get_row(variable, self.idx)
        m = np.full(pre.population.size, float(fill))
        m[self.pre_ranks] = values
        if pre.population is pre:
            return m.reshape(pre.geometry)
        return m[np.asarray(pre.ranks)].reshape(pre.geometry)

    # ------------------------------------------------------------------ structural plasticity
    def create_synapse(self, rank: int, w: float = 0.0, delay: float = 0) -> None:
        """Add a synapse (structural plasticity)."""
        raise NotImplementedError(_STRUCTURAL)

    def create_synapses(self, ranks: list[int], weights: object = None, delays: object = None) -> None:
        """Add synapses (structural plasticity)."""
        raise NotImplementedError(_STRUCTURAL)

    def prune_synapse(self, rank: int) -> None:
        """Remove a synapse (structural plasticity)."""
        raise NotImplementedError(_STRUCTURAL)

    def prune_synapses(self, ranks: list[int]) -> None:
        """Remove synapses (structural plasticity)."""
        raise NotImplementedError(_STRUCTURAL)

    def __repr__(self) -> str:
        return f"Dendrite(proj={self.proj.name!r}, post_rank={self.post_rank}, size={self.size})"


class IndividualSynapse:
    """One synapse; ``rank`` is its pre rank. Global / semiglobal attributes read the shared value."""

    def __init__(self, dendrite: Dendrite, rank: int, position: int):
        d = self.__dict__
        d["dendrite"] = dendrite
        d["rank"] = int(rank)
        d["_position"] = int(position)

    @property
    def attributes(self) -> list[str]:
        """Attribute names of the synapse."""
        return self.dendrite.proj.attributes

    def __getattr__(self, name: str) -> object:
        dendrite = self.__dict__["dendrite"]
        if name in dendrite.proj.attributes:
            return dendrite.proj._values.get_one(name, dendrite.idx, self._position)
        if name == "delay":
            delay = dendrite.delay
            return delay[self._position] if isinstance(delay, list) else delay
        raise AttributeError(f"IndividualSynapse has no attribute '{name}'")

    def __setattr__(self, name: str, value: object) -> None:
        proj = self.dendrite.proj
        if name not in proj.attributes:
            raise AttributeError(f"IndividualSynapse has no attribute '{name}' to set")
        proj._values.set_one(name, self.dendrite.idx, self._position, value)

    def __repr__(self) -> str:
        return f"IndividualSynapse(pre={self.rank}, post={self.dendrite.post_rank})"
