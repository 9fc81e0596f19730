"""``Dendrite`` and ``IndividualSynapse``: the synapses of one post-synaptic neuron (API.md §7.5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from nnc.diagnostics import ModelError, SimulationError

if TYPE_CHECKING:
    from nnc.api.projection import Projection


def _per_synapse(value: object, n: int, what: str) -> np.ndarray:
    """One float per new synapse from None (0), a number, or ``n`` values."""
    if value is None:
        return np.zeros(n)
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.size == 1:
        return np.full(n, arr[0])
    if arr.size != n:
        raise SimulationError(f"Dendrite.create_synapses(): give one value or {n} {what}, not {arr.size}")
    return arr


class Dendrite:
    """The synapses of post neuron ``post_rank`` (``idx``: its position in ``post_ranks``)."""

    def __init__(self, proj: Projection, post_rank: int, idx: int):
        d = self.__dict__
        d["proj"] = proj
        d["post_rank"] = int(post_rank)
        d["_idx"] = (int(idx), proj._conn)

    @property
    def idx(self) -> int:
        """Position of this dendrite in ``proj.post_ranks`` (found again after the connectivity changed)."""
        idx, conn = self.__dict__["_idx"]
        if conn is not self.proj._conn:
            found = self.proj._conn.index_of(self.post_rank)
            if found is None:
                raise SimulationError(
                    f"the neuron of rank {self.post_rank} has no dendrite in projection "
                    f"{self.proj.name} anymore"
                )
            idx = found
            self.__dict__["_idx"] = (idx, self.proj._conn)
        return idx

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
    def _pre_rank(self, rank: object) -> int:
        if not isinstance(rank, (int, np.integer)):
            raise ModelError(f"Dendrite: the pre-synaptic neuron must be given by its rank, not {rank!r}")
        size = self.proj.pre.population.size
        if not 0 <= int(rank) < size:
            raise ModelError(f"Dendrite: pre-synaptic rank {rank} is out of range (population size {size})")
        return int(rank)

    def create_synapse(self, rank: int, w: float = 0.0, delay: float = 0) -> None:
        """Add a synapse from pre rank ``rank`` with weight ``w`` and ``delay`` ms (``int(delay/dt)``
        steps); its other attributes take their initial values. Needs ``structural_plasticity=True``."""
        self.create_synapses([rank], [w], [delay])

    def create_synapses(self, ranks: list[int], weights: object = None, delays: object = None) -> None:
        """Add synapses from the pre ranks ``ranks``: ``weights`` and ``delays`` (ms) are one value for all
        (default 0) or one per synapse. An existing synapse is an error (nothing is added then)."""
        proj = self.proj
        proj._require_structural("Dendrite.create_synapses()")
        ranks_ = [self._pre_rank(r) for r in np.asarray(ranks).reshape(-1).tolist()]
        n = len(ranks_)
        w = _per_synapse(weights, n, "weights")
        d = _per_synapse(delays, n, "delays")
        existing = set(self.pre_ranks)
        twice = sorted({r for r in ranks_ if r in existing or ranks_.count(r) > 1})
        if twice:
            raise SimulationError(
                f"Dendrite.create_synapses(): the synapse from pre rank {twice[0]} to post rank "
                f"{self.post_rank} already exists"
            )
        if not n:
            return
        proj._edit(
            add_rows=np.full(n, self.idx), add_pre=np.array(ranks_), add_w=w,
            add_delays=proj._synapse_delays(d),
        )  # fmt: skip

    def prune_synapse(self, rank: int) -> None:
        """Remove the synapse from pre rank ``rank`` (an error if there is none)."""
        self.prune_synapses([rank])

    def prune_synapses(self, ranks: list[int]) -> None:
        """Remove the synapses from the pre ranks ``ranks`` (an error if one does not exist)."""
        proj = self.proj
        proj._require_structural("Dendrite.prune_synapses()")
        ranks_ = [self._pre_rank(r) for r in np.asarray(ranks).reshape(-1).tolist()]
        pre = self.pre_ranks
        missing = [r for r in ranks_ if r not in pre]
        if missing:
            raise SimulationError(
                f"Dendrite.prune_synapses(): there is no synapse from pre rank {missing[0]} to post rank "
                f"{self.post_rank}"
            )
        conn = proj._conn
        mask = np.zeros(conn.n_synapses, dtype=bool)
        row = conn.row(self.idx)
        mask[row] = np.isin(conn.pre_ranks[row], ranks_)
        if mask.any():
            proj._edit(remove=mask)

    def __repr__(self) -> str:
        return f"Dendrite(proj={self.proj.name!r}, post_rank={self.post_rank}, size={self.size})"


class IndividualSynapse:
    """One synapse; ``rank`` is its pre rank. Global / semiglobal attributes read the shared value."""

    def __init__(self, dendrite: Dendrite, rank: int, position: int):
        d = self.__dict__
        d["dendrite"] = dendrite
        d["rank"] = int(rank)
        d["_at"] = (int(position), dendrite.proj._conn)

    @property
    def _position(self) -> int:
        """Position of the synapse in its dendrite (looked up again after the connectivity changed)."""
        position, conn = self.__dict__["_at"]
        proj = self.dendrite.proj
        if conn is not proj._conn:
            ranks = self.dendrite.pre_ranks
            if self.rank not in ranks:
                raise SimulationError(
                    f"the synapse from pre rank {self.rank} to post rank {self.dendrite.post_rank} "
                    f"does not exist anymore"
                )
            position = ranks.index(self.rank)
            self.__dict__["_at"] = (position, proj._conn)
        return position

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
