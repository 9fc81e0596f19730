"""Connection patterns: the reference's connector algorithms, draw for draw (API.md §7.2, SEMANTICS.md §15).

Every pattern returns a :class:`~nnc.runtime.connectivity.Connectivity`. Random patterns consume
``ctx.rng`` (the network's ``default_rng``) exactly as the reference does, so a seed gives the same
connectivity. Weights and delays are drawn dendrite by dendrite, weights before delays, right after the
dendrite's connectivity (the reference's order); a distribution without its own ``rng`` draws from
``ctx.aux`` (derived from the network seed) instead of an unseeded generator.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from nnc.descriptions.random import RandomDistribution
from nnc.diagnostics import ModelError
from nnc.runtime.connectivity import Connectivity, round_half_even

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
    """Accumulates dendrites, drawing each dendrite's weights then delays when it is added."""

    def __init__(self, ctx: ConnectContext, weights: Value, delays: Value):
        self.ctx = ctx
        self.weights = weights
        self.delays = delay_distribution(delays, ctx.dt) if isinstance(delays, RandomDistribution) else delays
        self.post: list[int] = []
        self.pre: list[np.ndarray] = []
        self.w: list[np.ndarray] = []
        self.d: list[np.ndarray] = []

    def _draw(self, spec: Value, n: int) -> np.ndarray:
        if isinstance(spec, RandomDistribution):
            return np.asarray(spec.get_values(n, rng=self.ctx.aux), dtype=np.float64).reshape(-1)
        return np.full(n, float(spec))

    def add(
        self, post_rank: int, pre_ranks: Sequence[int] | np.ndarray, weights: np.ndarray | None = None
    ) -> None:
        """Append a dendrite (skipped if empty); ``weights`` overrides the connector's weights."""
        ranks = np.asarray(pre_ranks, dtype=np.int64).reshape(-1)
        if len(ranks) == 0:
            return
        self.post.append(int(post_rank))
        self.pre.append(ranks)
        self.w.append(self._draw(self.weights, len(ranks)) if weights is None else np.asarray(weights, float))
        if isinstance(self.delays, RandomDistribution):
            self.d.append(round_half_even(self._draw(self.delays, len(ranks)) / self.ctx.dt).astype(np.int64))

    def build(self) -> Connectivity:
        """The connectivity of every dendrite added so far."""
        if isinstance(self.delays, RandomDistribution):
            conn = Connectivity.from_rows(self.ctx.sizes, self.post, self.pre, self.w, self.d)
            return conn.with_max_delay(round(self.delays.max / self.ctx.dt))
        return Connectivity.from_rows(
            self.ctx.sizes, self.post, self.pre, self.w, round(float(self.delays) / self.ctx.dt)
        )


def _ranks(obj: object) -> np.ndarray:
    return np.asarray(obj.ranks, dtype=np.int64).reshape(-1)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------- patterns
def all_to_all(
    ctx: ConnectContext, weights: Value, delays: Value, allow_self_connections: bool
) -> Connectivity:
    """Every pre rank to every post rank; self-connections dropped only within one population."""
    allow = allow_self_connections or not ctx.same_population
    pre = _ranks(ctx.pre)
    rows = Rows(ctx, weights, delays)
    for r_post in _ranks(ctx.post).tolist():
        ranks = pre
        if not allow:
            hit = np.flatnonzero(pre == r_post)
            ranks = np.delete(pre, hit[0]) if len(hit) else pre
        rows.add(r_post, ranks)
    return rows.build()


def one_to_one(ctx: ConnectContext, weights: Value, delays: Value) -> Connectivity:
    """``post.ranks[i] <- pre.ranks[i]`` for ``i < min(len(post), len(pre))``."""
    pre, post = _ranks(ctx.pre), _ranks(ctx.post)
    rows = Rows(ctx, weights, delays)
    for i in range(min(len(pre), len(post))):
        rows.add(int(post[i]), pre[i : i + 1])
    return rows.build()


def fixed_probability(
    ctx: ConnectContext, probability: float, weights: Value, delays: Value, allow_self_connections: bool
) -> Connectivity:
    """Per post rank: ``u = rng.random(len(pre.ranks))``, keep ``pre.ranks[u < p]`` (sorted)."""
    allow = allow_self_connections or ctx.pre is not ctx.post
    pre = _ranks(ctx.pre)
    rows = Rows(ctx, weights, delays)
    posts = _ranks(ctx.post).tolist()
    for start, block in _uniform_blocks(ctx, rows, len(posts), len(pre)):
        row, col = np.nonzero(block < probability)
        bounds = np.searchsorted(row, np.arange(len(block) + 1))
        for i in range(len(block)):
            r_post = posts[start + i]
            kept = pre[col[bounds[i] : bounds[i + 1]]]
            if not allow:
                kept = kept[kept != r_post]
            rows.add(r_post, np.sort(kept))
    return rows.build()


def _uniform_blocks(
    ctx: ConnectContext, rows: Rows, n_rows: int, width: int
) -> Iterator[tuple[int, np.ndarray]]:
    """``rng.random(width)`` for each of ``n_rows`` rows, drawn a block of rows at a time.

    Consecutive ``random`` calls of a NumPy Generator read one stream, so a ``(k, width)`` block holds
    the same numbers as ``k`` row-by-row calls. When weights or delays draw from the same generator
    (``rng=net.default_rng``), their draws interleave with the rows and the block is one row.
    """
    shared = any(isinstance(v, RandomDistribution) and v.rng is ctx.rng for v in (rows.weights, rows.delays))
    step = 1 if shared else max(1, (1 << 22) // max(width, 1))
    for start in range(0, n_rows, step):
        yield start, ctx.rng.random((min(step, n_rows - start), width))


def fixed_number_pre(
    ctx: ConnectContext, number: int, weights: Value, delays: Value, allow_self_connections: bool
) -> Connectivity:
    """Per post rank: ``rng.choice(pre.ranks, number, replace=False)``, redrawn while it has the post rank."""
    allow = allow_self_connections or ctx.pre is not ctx.post
    pre = _ranks(ctx.pre)
    if number > len(pre):
        raise ModelError("fixed_number_pre: the number of pre-synaptic neurons exceeds the population size")
    rows = Rows(ctx, weights, delays)
    for r_post in _ranks(ctx.post).tolist():
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
        rows.add(r_post, np.sort(drawn))
    return rows.build()


def fixed_number_post(
    ctx: ConnectContext, number: int, weights: Value, delays: Value, allow_self_connections: bool
) -> Connectivity:
    """Per pre rank: ``rng.choice(post.ranks, number, replace=False)`` (all if ``number >= len``)."""
    allow = allow_self_connections or ctx.pre is not ctx.post
    post = _ranks(ctx.post)
    if number > len(post):
        raise ModelError("fixed_number_post: the number of post-synaptic neurons exceeds the population size")
    targets: dict[int, list[int]] = {int(p): [] for p in post}
    for r_pre in _ranks(ctx.pre).tolist():
        if number >= len(post):
            chosen = post
        else:
            chosen = ctx.rng.choice(post, size=number, replace=False)
            while not allow and r_pre in chosen:
                chosen = ctx.rng.choice(post, size=number, replace=False)
        for p in chosen.tolist():
            targets[p].append(r_pre)
    rows = Rows(ctx, weights, delays)
    for r_post in post.tolist():
        rows.add(r_post, targets[r_post])
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
