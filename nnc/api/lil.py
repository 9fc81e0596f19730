"""``LILConnectivity``: the list of lists that user connector functions fill (API.md §7.2, last paragraph)."""

from __future__ import annotations

import sys

import numpy as np

from nnc.diagnostics import ModelError
from nnc.runtime.connectivity import Connectivity, round_half_even


def _as_list(values: object) -> list:
    if isinstance(values, np.ndarray):
        return values.reshape(-1).tolist()
    if isinstance(values, (list, tuple)):
        return list(values)
    return [values]


class LILConnectivity:
    """Dendrites added one by one with ``add(post_rank, pre_ranks, weights, delays)``.

    As in the reference: ``weights`` is one value per synapse or a single value broadcast to the row;
    ``delays`` (ms) is one value per synapse or a single value, converted to steps with ``round(d/dt)``
    (half to even, like the reference's Cython builder); ``max_delay`` uses Python's ``round`` of
    the row maximum; ``uniform_delay`` is -1 as soon as a row has several delays or two rows differ.
    Empty rows are ignored; rows added out of order are sorted when the projection is built.
    """

    def __init__(self, dt: float = 1.0):
        self.dt = float(dt)
        self.post_rank: list[int] = []
        self.pre_rank: list[list[int]] = []
        self.w: list[list[float]] = []
        self.delay: list[list[int]] = []
        self.size = 0
        self.nb_synapses = 0
        self.max_delay = 0
        self.uniform_delay = -1
        self.requires_sorting = False
        self._last = -1

    def add(self, post_rank: int, pre_ranks: object, weights: object = 0.0, delays: object = 0.0) -> None:
        """Append the dendrite of ``post_rank``."""
        rank = int(post_rank)
        if rank < self._last:
            if not self.requires_sorting:
                print(
                    "WARNING: LILConnectivity.add(): dendrites should be added in ascending order; "
                    "they will be sorted at compile.",
                    file=sys.stderr,
                )
            self.requires_sorting = True
        else:
            self._last = rank
        ranks = [int(r) for r in _as_list(pre_ranks)]
        if not ranks:
            return
        w = [float(v) for v in _as_list(weights)]
        d = [float(v) for v in _as_list(delays)]
        if not w or not d:
            raise ModelError("LILConnectivity.add(): weights and delays need at least one value")
        if len(w) != len(ranks) and len(w) != 1:
            raise ModelError(f"LILConnectivity.add(): {len(ranks)} pre ranks but {len(w)} weights")
        if len(d) != len(ranks) and len(d) != 1:
            raise ModelError(f"LILConnectivity.add(): {len(ranks)} pre ranks but {len(d)} delays")
        self.post_rank.append(rank)
        self.pre_rank.append(ranks)
        self.w.append(w if len(w) > 1 or len(ranks) == 1 else w * len(ranks))
        steps = round_half_even(np.array(d) / self.dt).astype(int).tolist()
        self.delay.append(steps)
        self.max_delay = max(self.max_delay, round(max(d) / self.dt))
        if len(d) > 1:
            self.uniform_delay = -1
        else:
            self.uniform_delay = -1 if (self.size > 0 and self.uniform_delay != steps[0]) else steps[0]
        self.size += 1
        self.nb_synapses += len(ranks)

    push_back = add

    def validate(self) -> None:
        """Merge rows given several times for the same post rank; a synapse given twice is an error."""
        if len(set(self.post_rank)) == len(self.post_rank):
            return
        print(
            "WARNING: LILConnectivity: the same post-synaptic neuron was added several times; "
            "its rows are merged.",
            file=sys.stderr,
        )
        merged: dict[int, tuple[list[int], list[float], list[int]]] = {}
        for rank, pre, w, d in zip(self.post_rank, self.pre_rank, self.w, self.delay, strict=True):
            ranks, weights, delays = merged.setdefault(rank, ([], [], []))
            ranks.extend(pre)
            weights.extend(w)
            delays.extend(d if len(d) == len(pre) else d * len(pre))
        for rank, (ranks, _, _) in merged.items():
            if len(set(ranks)) != len(ranks):
                raise ModelError(f"the same synapse has been declared multiple times (post rank {rank})")
        self.post_rank = list(merged)
        self.pre_rank = [m[0] for m in merged.values()]
        self.w = [m[1] for m in merged.values()]
        self.delay = [m[2] for m in merged.values()]
        self.size = len(self.post_rank)
        if any(len(d) > 1 for d in self.delay):
            self.uniform_delay = -1

    def connectivity(self, n_pre: int, n_post: int) -> Connectivity:
        """The projection connectivity these rows describe (sorted, duplicates rejected)."""
        self.validate()
        if self.uniform_delay != -1:
            return Connectivity.from_rows(
                (n_pre, n_post), self.post_rank, self.pre_rank, self.w, self.uniform_delay
            )
        delays = [
            d if len(d) == len(p) else d * len(p) for p, d in zip(self.pre_rank, self.delay, strict=True)
        ]
        return Connectivity.from_rows((n_pre, n_post), self.post_rank, self.pre_rank, self.w, delays)

    def __repr__(self) -> str:
        return f"LILConnectivity(size={self.size}, nb_synapses={self.nb_synapses}, dt={self.dt})"
