"""Connection patterns: the reference's connector algorithms, draw for draw (API.md §7.2, SEMANTICS.md §15).

Every pattern returns a :class:`~nnc.runtime.connectivity.Connectivity`. Random patterns consume
``ctx.rng`` (the network's ``default_rng``) exactly as the reference does, so a seed gives the same
connectivity. Weights and delays are drawn dendrite by dendrite, weights before delays, right after the
dendrite's connectivity (the reference's order); a distribution without its own ``rng`` draws from
``ctx.aux`` (derived from the network seed) instead of an unseeded generator.

The patterns compute that result without the reference's per-dendrite Python loop where the draws allow:
``fixed_probability`` finds the kept pairs of all rows in one uniform stream
(:func:`~nnc.api.bernoulli.bernoulli_indices`) unless weights or delays draw from ``ctx.rng`` too, and
:meth:`Rows.add_many` draws a block of dendrites' values in one call where that gives the same numbers.
tests/api/test_connectors_fast.py checks every path against the algorithm of API.md §7.2 written plainly.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nnc.api.bernoulli import bernoulli_indices
from nnc.descriptions.random import DISTRIBUTIONS, RandomDistribution
from nnc.diagnostics import ModelError
from nnc.runtime.connectivity import Connectivity, round_half_even, stable_argsort

Value = float | RandomDistribution
#: gaussian/dog profile: squared distances -> (weights rounded through float32, synapse kept)
Profile = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, slots=True)
class ConnectContext:
    """What a pattern may use besides its arguments.

    ``pre``/``post`` are Populations or PopulationViews (``.ranks``, ``.size``, ``.population``,
    ``.geometry``); ``rng`` is the network's ``default_rng``; ``aux`` feeds distributions that have no
    ``rng`` of their own; ``dt`` converts delays to steps.
    """

    pre: object
    post: object
    dt: float
    rng: np.random.Generator
    aux: np.random.Generator | None = None

    @property
    def sizes(self) -> tuple[int, int]:
        """Sizes of the underlying pre and post populations."""
        return self.pre.population.size, self.post.population.size  # type: ignore[attr-defined]

    @property
    def same_population(self) -> bool:
        """Whether pre and post are views of (or are) the same population."""
        return self.pre.population is self.post.population  # type: ignore[attr-defined]


def check_values(weights: object, delays: object) -> None:
    """Weights and delays of connectors are numbers or distributions; a delay distribution needs ``max``."""
    for what, v in (("weights", weights), ("delays", delays)):
        if not isinstance(v, (int, float, RandomDistribution)) or isinstance(v, bool):
            raise ModelError(f"connector {what} must be a number or a RandomDistribution, got {v!r}")
    if isinstance(delays, RandomDistribution) and delays.max is None:
        raise ModelError(
            "connector delays: a RandomDistribution for delays needs a max argument "
            "(e.g. Normal(2.0, 1.0, max=5.0)) to bound the maximal delay"
        )


def delay_distribution(delays: RandomDistribution, dt: float) -> RandomDistribution:
    """A copy of a delay distribution whose ``min`` is raised to ``dt`` (API.md §7.3)."""
    dist = copy.copy(delays)
    if dist.min is None or dist.min < dt:
        dist.min = dt
    return dist


class Rows:
    """Accumulates dendrites, drawing each dendrite's weights then delays when it is added.

    Dendrites come one at a time (:meth:`add`) or as a block (:meth:`add_many`); either way the
    weights and delays are the values the reference draws dendrite by dendrite: a block draws a
    distribution's values in one call where that yields the same numbers (see :meth:`add_many`).
    """

    def __init__(self, ctx: ConnectContext, weights: Value, delays: Value):
        self.ctx = ctx
        self.weights = weights
        self.delays = delay_distribution(delays, ctx.dt) if isinstance(delays, RandomDistribution) else delays
        self.post: list[np.ndarray] = []  # post ranks of the dendrites, block by block
        self.lengths: list[np.ndarray] = []
        self.pre: list[np.ndarray] = []
        self.w: list[np.ndarray] = []
        self.d: list[np.ndarray] = []

    def _generator(self, spec: Value) -> np.random.Generator | None:
        """The generator a distribution draws from (None: a number, or a fresh unseeded generator)."""
        if not isinstance(spec, RandomDistribution):
            return None
        return spec.rng if spec.rng is not None else self.ctx.aux

    def shares(self, rng: np.random.Generator) -> bool:
        """Whether the weights or delays draw from ``rng`` (then their draws interleave with the rows')."""
        return any(self._generator(v) is rng for v in (self.weights, self.delays))

    def _draw(self, spec: Value, n: int) -> np.ndarray:
        if isinstance(spec, RandomDistribution):
            return np.asarray(spec.get_values(n, rng=self.ctx.aux), dtype=np.float64).reshape(-1)
        return np.full(n, float(spec))

    def _steps(self, values: np.ndarray) -> np.ndarray:
        return round_half_even(values / self.ctx.dt).astype(np.int64)

    def add(
        self, post_rank: int, pre_ranks: Sequence[int] | np.ndarray, weights: np.ndarray | None = None
    ) -> None:
        """Append a dendrite (skipped if empty); ``weights`` overrides the connector's weights."""
        ranks = np.asarray(pre_ranks, dtype=np.int64).reshape(-1)
        if len(ranks) == 0:
            return
        self.post.append(np.array([post_rank], dtype=np.int64))
        self.lengths.append(np.array([len(ranks)], dtype=np.int64))
        self.pre.append(ranks)
        self.w.append(self._draw(self.weights, len(ranks)) if weights is None else np.asarray(weights, float))
        if isinstance(self.delays, RandomDistribution):
            self.d.append(self._steps(self._draw(self.delays, len(ranks))))

    def add_many(self, post_ranks: np.ndarray, lengths: np.ndarray, pre_ranks: np.ndarray) -> None:
        """Append dendrites ``post_ranks[i]`` holding the next ``lengths[i]`` of ``pre_ranks`` (flat).

        Empty dendrites are skipped. Same draws as :meth:`add` dendrite by dendrite: a distribution of
        a known class draws all its values in one call (NumPy's samplers consume their generator value
        by value, so one call of ``n1 + n2`` values equals calls of ``n1`` then ``n2``), unless weights
        and delays draw from the same generator (their draws alternate dendrite by dendrite).
        """
        post = np.asarray(post_ranks, dtype=np.int64).reshape(-1)
        lengths = np.asarray(lengths, dtype=np.int64).reshape(-1)
        pre = np.asarray(pre_ranks, dtype=np.int64).reshape(-1)
        full = lengths > 0
        if not full.all():
            post, lengths = post[full], lengths[full]
        if len(post) == 0:
            return
        total = len(pre)
        w_gen, d_gen = self._generator(self.weights), self._generator(self.delays)
        if w_gen is not None and w_gen is d_gen:  # alternating draws: dendrite by dendrite
            w_parts, d_parts = [], []
            for n in lengths.tolist():
                w_parts.append(self._draw(self.weights, n))
                d_parts.append(self._draw(self.delays, n))
            self.w.append(np.concatenate(w_parts))
            self.d.append(self._steps(np.concatenate(d_parts)))
        else:
            self.w.append(self._draw_many(self.weights, lengths, total))
            if isinstance(self.delays, RandomDistribution):
                self.d.append(self._steps(self._draw_many(self.delays, lengths, total)))
        self.post.append(post)
        self.lengths.append(lengths)
        self.pre.append(pre)

    def _draw_many(self, spec: Value, lengths: np.ndarray, total: int) -> np.ndarray:
        """Values of dendrites of ``lengths`` drawn one after the other."""
        if not isinstance(spec, RandomDistribution):
            return np.full(total, float(spec))
        if type(spec) in _CONCATENABLE:
            return self._draw(spec, total)
        return np.concatenate([self._draw(spec, n) for n in lengths.tolist()])

    def build(self) -> Connectivity:
        """The connectivity of every dendrite added so far."""
        post = _cat(self.post, np.int64)
        pre = _cat(self.pre, np.int64)
        w = _cat(self.w, np.float64)
        synapse_post = np.repeat(post, _cat(self.lengths, np.int64))
        if isinstance(self.delays, RandomDistribution):
            conn = Connectivity.from_synapses(self.ctx.sizes, synapse_post, pre, w, _cat(self.d, np.int64))
            return conn.with_max_delay(round(self.delays.max / self.ctx.dt))
        return Connectivity.from_synapses(
            self.ctx.sizes, synapse_post, pre, w, round(float(self.delays) / self.ctx.dt)
        )


#: distributions whose ``get_values(n1 + n2)`` draws the values of ``get_values(n1)``, ``get_values(n2)``
_CONCATENABLE = frozenset(DISTRIBUTIONS.values())


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)


def _unique(ranks: np.ndarray) -> bool:
    return len(np.unique(ranks)) == len(ranks)


def _ranks(obj: object) -> np.ndarray:
    return np.asarray(obj.ranks, dtype=np.int64).reshape(-1)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------- patterns
def all_to_all(
    ctx: ConnectContext, weights: Value, delays: Value, allow_self_connections: bool
) -> Connectivity:
    """Every pre rank to every post rank; self-connections dropped only within one population."""
    allow = allow_self_connections or not ctx.same_population
    pre, post = _ranks(ctx.pre), _ranks(ctx.post)
    rows = Rows(ctx, weights, delays)
    if not allow and not _unique(pre):  # the first occurrence of the post rank goes
        for r_post in post.tolist():
            hit = np.flatnonzero(pre == r_post)
            rows.add(r_post, np.delete(pre, hit[0]) if len(hit) else pre)
        return rows.build()
    if allow:
        lengths = np.full(len(post), len(pre), dtype=np.int64)
        flat = np.tile(pre, len(post))
    else:
        kept = pre[None, :] != post[:, None]
        lengths = kept.sum(axis=1)
        flat = np.broadcast_to(pre, kept.shape)[kept]
    rows.add_many(post, lengths, flat)
    return rows.build()


def one_to_one(ctx: ConnectContext, weights: Value, delays: Value) -> Connectivity:
    """``post.ranks[i] <- pre.ranks[i]`` for ``i < min(len(post), len(pre))``."""
    pre, post = _ranks(ctx.pre), _ranks(ctx.post)
    m = min(len(pre), len(post))
    rows = Rows(ctx, weights, delays)
    rows.add_many(post[:m], np.ones(m, dtype=np.int64), pre[:m])
    return rows.build()


def fixed_probability(
    ctx: ConnectContext, probability: float, weights: Value, delays: Value, allow_self_connections: bool
) -> Connectivity:
    """Per post rank: ``u = rng.random(len(pre.ranks))``, keep ``pre.ranks[u < p]`` (sorted).

    The rows' draws are consecutive, so the uniforms of all rows are one ``rng.random(n_post * n_pre)``
    stream: :func:`~nnc.api.bernoulli.bernoulli_indices` finds the kept ones in it. Weights or delays
    drawing from ``rng`` too interleave with the rows: then it goes row by row.
    """
    allow = allow_self_connections or ctx.pre is not ctx.post
    pre, post = _ranks(ctx.pre), _ranks(ctx.post)
    width = len(pre)
    rows = Rows(ctx, weights, delays)
    if rows.shares(ctx.rng):
        for r_post in post.tolist():
            kept = pre[bernoulli_indices(ctx.rng, width, probability)]
            if not allow:
                kept = kept[kept != r_post]
            rows.add(r_post, np.sort(kept))
        return rows.build()
    flat = bernoulli_indices(ctx.rng, len(post) * width, probability)
    row = flat // max(width, 1)
    kept = pre[flat - row * width]
    if not allow:
        other = kept != post[row]
        row, kept = row[other], kept[other]
    if np.any(pre[1:] < pre[:-1]):  # a view with unsorted ranks: sort each row
        kept = kept[np.lexsort((kept, row))]
    rows.add_many(post, np.bincount(row, minlength=len(post)), kept)
    return rows.build()


def fixed_number_pre(
    ctx: ConnectContext, number: int, weights: Value, delays: Value, allow_self_connections: bool
) -> Connectivity:
    """Per post rank: ``rng.choice(pre.ranks, number, replace=False)``, redrawn while it has the post rank."""
    allow = allow_self_connections or ctx.pre is not ctx.post
    pre, post = _ranks(ctx.pre), _ranks(ctx.post)
    if number > len(pre):
        raise ModelError("fixed_number_pre: the number of pre-synaptic neurons exceeds the population size")
    rows = Rows(ctx, weights, delays)
    shared = rows.shares(ctx.rng)  # weight/delay draws interleave with the choices: add row by row
    posts, chosen = [], []
    for r_post in post.tolist():
        if not allow and number == len(pre) and r_post in pre:
            raise ModelError(
                f"fixed_number_pre: {number} pre-synaptic neurons without self-connection "
                f"are impossible for post rank {r_post}"
            )
        drawn = ctx.rng.choice(pre, size=number, replace=False)
        if len(drawn) == 0:
            continue
        while not allow and r_post in drawn:
            drawn = ctx.rng.choice(pre, size=number, replace=False)
        if shared:
            rows.add(r_post, np.sort(drawn))
        else:
            posts.append(r_post)
            chosen.append(drawn)
    if chosen:
        block = np.sort(np.stack(chosen), axis=1)
        rows.add_many(np.array(posts), np.full(len(posts), number, dtype=np.int64), block.reshape(-1))
    return rows.build()


def fixed_number_post(
    ctx: ConnectContext, number: int, weights: Value, delays: Value, allow_self_connections: bool
) -> Connectivity:
    """Per pre rank: ``rng.choice(post.ranks, number, replace=False)`` (all if ``number >= len``).

    Each post rank collects the pre ranks that chose it, in pre-rank order; the dendrites follow the
    order of ``post.ranks``.
    """
    allow = allow_self_connections or ctx.pre is not ctx.post
    pre, post = _ranks(ctx.pre), _ranks(ctx.post)
    if number > len(post):
        raise ModelError("fixed_number_post: the number of post-synaptic neurons exceeds the population size")
    chosen = []
    for r_pre in pre.tolist():
        if number >= len(post):
            chosen.append(post)
            continue
        drawn = ctx.rng.choice(post, size=number, replace=False)
        while not allow and r_pre in drawn:
            drawn = ctx.rng.choice(post, size=number, replace=False)
        chosen.append(drawn)
    rows = Rows(ctx, weights, delays)
    if not _unique(post):  # a post rank listed twice collects its pre ranks twice
        targets: dict[int, list[int]] = {int(p): [] for p in post}
        for r_pre, drawn in zip(pre.tolist(), chosen, strict=True):
            for p in drawn.tolist():
                targets[p].append(r_pre)
        for r_post in post.tolist():
            rows.add(r_post, targets[r_post])
        return rows.build()
    lengths = np.fromiter((len(c) for c in chosen), dtype=np.int64, count=len(chosen))
    targets_flat = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    sources = np.repeat(pre, lengths)
    index_of = np.zeros(ctx.post.population.size, dtype=np.int64)  # type: ignore[attr-defined]
    index_of[post] = np.arange(len(post))
    position = index_of[targets_flat]  # index in post.ranks
    order = stable_argsort(position, len(post))  # by dendrite, pre ranks in drawing order
    rows.add_many(post, np.bincount(position, minlength=len(post)), sources[order])
    return rows.build()


# ------------------------------------------------------------------------------------- distance based
def _normalised(geometry: tuple[int, ...], ranks: np.ndarray) -> list[np.ndarray]:
    """Per dimension, the reference's normalised coordinates of ``ranks`` (float32 for 2-D and 3-D)."""
    if len(geometry) == 1:
        n = geometry[0]
        return [ranks / float(n - 1) if n > 1 else np.zeros(len(ranks))]
    coords = np.unravel_index(ranks, geometry)
    out = []
    for c, g in zip(coords, geometry, strict=True):
        norm = c / float(g - 1) if g > 1 else np.zeros(len(ranks))
        out.append(norm.astype(np.float32).astype(np.float64) if len(geometry) <= 3 else norm)
    return out


def _squared_distances(pre_coords: list[np.ndarray], post_coords: list[np.ndarray], p: int) -> np.ndarray:
    """The reference's ``comp_dist*``: squared differences accumulated in float32."""
    res = np.zeros(len(pre_coords[0]), dtype=np.float32)
    for pre_c, post_c in zip(pre_coords, post_coords, strict=True):
        res = (res.astype(np.float64) + (pre_c - post_c[p]) ** 2).astype(np.float32)
    return res.astype(np.float64)


def _distance_rows(
    ctx: ConnectContext, profile: Profile, delays: Value, allow_self_connections: bool
) -> Connectivity:
    """Shared loop of gaussian/dog: ``profile(d2) -> (float32 values, kept mask)`` per post neuron."""
    for obj in (ctx.pre, ctx.post):
        if obj.population is not obj:  # type: ignore[attr-defined]
            raise ModelError("gaussian/dog connectors need whole populations, not PopulationViews")
    pre_geo, post_geo = tuple(ctx.pre.geometry), tuple(ctx.post.geometry)  # type: ignore[attr-defined]
    if len(pre_geo) != len(post_geo):
        raise ModelError("gaussian/dog connectors need populations with the same number of dimensions")
    allow = allow_self_connections or ctx.pre is not ctx.post
    n_pre, n_post = ctx.sizes
    pre_c = _normalised(pre_geo, np.arange(n_pre))
    post_c = _normalised(post_geo, np.arange(n_post))
    rows = Rows(ctx, 0.0, delays)
    for p in range(n_post):
        values, kept = profile(_squared_distances(pre_c, post_c, p))
        if not allow and p < n_pre:
            kept[p] = False
        ranks = np.flatnonzero(kept)
        rows.add(p, ranks, values[ranks])
    return rows.build()


def gaussian(
    ctx: ConnectContext, amp: float, sigma: float, delays: Value, limit: float, allow_self_connections: bool
) -> Connectivity:
    """``w = amp·exp(-d²/(2 sigma²))``, kept iff ``w > limit·amp`` (in float32, SEMANTICS §14)."""
    a = float(np.float32(amp))
    s2 = float(np.float32(np.float32(sigma) * np.float32(sigma)))

    def profile(d2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        value = (a * np.exp(-d2 / (2.0 * s2))).astype(np.float32).astype(np.float64)
        return value, value > limit * a

    return _distance_rows(ctx, profile, delays, allow_self_connections)


def dog(
    ctx: ConnectContext,
    amps: tuple[float, float],
    sigmas: tuple[float, float],
    delays: Value,
    limit: float,
    allow_self_connections: bool,
) -> Connectivity:
    """Difference of Gaussians; kept iff ``|w| > limit·|amp_pos - amp_neg|`` (float32 like the reference)."""
    ap, an = (float(np.float32(x)) for x in amps)
    sp2, sn2 = (float(np.float32(np.float32(s) * np.float32(s))) for s in sigmas)
    threshold = limit * float(abs(np.float32(ap) - np.float32(an)))

    def profile(d2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        value = ap * np.exp(-d2 / (2.0 * sp2)) - an * np.exp(-d2 / (2.0 * sn2))
        value = value.astype(np.float32).astype(np.float64)
        return value, np.abs(value) > threshold

    return _distance_rows(ctx, profile, delays, allow_self_connections)
