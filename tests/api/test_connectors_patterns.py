"""Connection patterns: hand-checked cases and the reference's draw order, re-implemented independently."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnc.api import patterns
from nnc.api.patterns import ConnectContext
from nnc.descriptions.random import Normal, Uniform
from nnc.diagnostics import ModelError


class FakePopulation:
    """A population: ``ranks = arange(size)``, its own ``population``."""

    def __init__(self, geometry: int | tuple[int, ...], name: str = "pop"):
        self.geometry = (geometry,) if isinstance(geometry, int) else tuple(geometry)
        self.size = int(np.prod(self.geometry))
        self.ranks = np.arange(self.size, dtype=np.int32)
        self.population = self
        self.name = name


class FakeView:
    """A view: some ranks of a population."""

    def __init__(self, pop: FakePopulation, ranks: list[int]):
        self.population = pop
        self.ranks = np.asarray(ranks, dtype=np.int32)
        self.size = len(ranks)
        self.geometry = (len(ranks),)
        self.name = pop.name


def _ctx(pre, post, seed=0, dt=1.0, aux_seed=99):
    return ConnectContext(pre, post, dt, np.random.default_rng(seed), np.random.default_rng(aux_seed))


def _rows(conn):
    return {int(p): conn.pre_ranks[conn.row(i)].tolist() for i, p in enumerate(conn.post_ranks)}


def test_all_to_all_excludes_self_only_within_one_population():
    a = FakePopulation(3)
    conn = patterns.all_to_all(_ctx(a, a), 0.5, 0.0, False)
    assert _rows(conn) == {0: [1, 2], 1: [0, 2], 2: [0, 1]}
    assert conn.weights.tolist() == [0.5] * 6
    assert _rows(patterns.all_to_all(_ctx(a, a), 0.5, 0.0, True)) == {p: [0, 1, 2] for p in range(3)}
    b = FakePopulation(2)
    assert _rows(patterns.all_to_all(_ctx(a, b), 1.0, 0.0, False)) == {0: [0, 1, 2], 1: [0, 1, 2]}
    # a view of a population onto the same population: still one population
    view = FakeView(a, [0, 1])
    assert _rows(patterns.all_to_all(_ctx(view, a), 1.0, 0.0, False)) == {0: [1], 1: [0], 2: [0, 1]}


def test_all_to_all_with_views_keeps_population_ranks():
    # SEMANTICS §19 example 22: pop1[1:4] -> pop2
    pop1, pop2 = FakePopulation(8), FakePopulation(6)
    conn = patterns.all_to_all(_ctx(FakeView(pop1, [1, 2, 3]), pop2), 0.1, 0.0, False)
    assert _rows(conn) == {p: [1, 2, 3] for p in range(6)}
    assert conn.stats().contiguous_rows
    conn = patterns.all_to_all(_ctx(pop1, FakeView(pop2, [1, 2])), 0.1, 0.0, False)
    assert _rows(conn) == {1: list(range(8)), 2: list(range(8))}
    assert (conn.n_pre, conn.n_post) == (8, 6)


def test_one_to_one_stops_at_the_shorter_population():
    conn = patterns.one_to_one(_ctx(FakePopulation(3), FakePopulation(5)), 2.0, 0.0)
    assert _rows(conn) == {0: [0], 1: [1], 2: [2]}
    view = FakeView(FakePopulation(6), [5, 4, 0])
    conn = patterns.one_to_one(_ctx(view, FakePopulation(3)), 2.0, 0.0)
    assert _rows(conn) == {0: [5], 1: [4], 2: [0]}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 15), st.floats(0.0, 1.0), st.booleans(), st.booleans())
def test_fixed_probability_draw_order(seed, n, p, same, shared):
    pre = FakePopulation(n)
    post = pre if same else FakePopulation(n + 2)
    rng = np.random.default_rng(seed)
    # shared: the weights draw from the connector's stream, as with rng=net.default_rng
    w = Uniform(0.0, 1.0, rng=rng) if shared else 0.25
    conn = patterns.fixed_probability(ConnectContext(pre, post, 1.0, rng), p, w, 0.0, False)
    # the reference, written out: one uniform per pre neuron, then this dendrite's weights
    ref = np.random.default_rng(seed)
    expected, weights = {}, []
    for r_post in range(post.size):
        u = ref.random(n)
        kept = [q for q in range(n) if u[q] < p and not (same and q == r_post)]
        if kept:
            expected[r_post] = kept
            weights.extend(ref.uniform(0.0, 1.0, len(kept)).tolist() if shared else [0.25] * len(kept))
    assert _rows(conn) == expected
    assert conn.weights.tolist() == weights


def test_fixed_probability_in_blocks_matches_row_by_row():
    pre, post = FakePopulation(3000), FakePopulation(3000)
    conn = patterns.fixed_probability(_ctx(pre, post, seed=4), 0.01, 1.0, 0.0, False)  # > one block
    ref = np.random.default_rng(4)
    expected = {p: np.flatnonzero(ref.random(3000) < 0.01).tolist() for p in range(3000)}
    assert _rows(conn) == {p: v for p, v in expected.items() if v}


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 12), st.data())
def test_fixed_number_pre_draw_order(seed, n, data):
    number = data.draw(st.integers(0, n - 1))
    pop = FakePopulation(n)
    conn = patterns.fixed_number_pre(_ctx(pop, pop, seed), number, 1.0, 0.0, False)
    rng = np.random.default_rng(seed)
    expected = {}
    for r_post in range(n):
        r = rng.choice(list(range(n)), size=number, replace=False)  # a list, as the reference passes
        if len(r) == 0:
            continue
        while r_post in list(r):
            r = rng.choice(list(range(n)), size=number, replace=False)
        expected[r_post] = sorted(int(x) for x in r)
    assert _rows(conn) == expected


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 12), st.data())
def test_fixed_number_post_draw_order(seed, n, data):
    number = data.draw(st.integers(0, n))
    pop = FakePopulation(n)
    w = Normal(0.0, 1.0)
    conn = patterns.fixed_number_post(_ctx(pop, pop, seed, aux_seed=seed + 1), number, w, 0.0, False)
    rng = np.random.default_rng(seed)
    back = {i: [] for i in range(n)}
    for r_pre in range(n):
        if number >= n:
            chosen = list(range(n))
        else:
            chosen = list(rng.choice(list(range(n)), size=number, replace=False))
            while r_pre in chosen:
                chosen = list(rng.choice(list(range(n)), size=number, replace=False))
        for i in chosen:
            back[int(i)].append(r_pre)
    expected = {p: v for p, v in back.items() if v}
    assert _rows(conn) == expected
    # weights: one get_values(row length) per dendrite, in post rank order, from the auxiliary generator
    aux = np.random.default_rng(seed + 1)
    weights = [x for p in sorted(expected) for x in aux.normal(0.0, 1.0, len(expected[p]))]
    assert conn.weights.tolist() == weights


def test_fixed_number_pre_errors():
    pop = FakePopulation(3)
    with pytest.raises(ModelError, match="exceeds"):
        patterns.fixed_number_pre(_ctx(pop, pop), 4, 1.0, 0.0, False)
    with pytest.raises(ModelError, match="impossible"):
        patterns.fixed_number_pre(_ctx(pop, pop), 3, 1.0, 0.0, False)
    assert patterns.fixed_number_pre(_ctx(pop, pop), 3, 1.0, 0.0, True).n_synapses == 9


def test_gaussian_1d_by_hand():
    pop = FakePopulation(5)  # normalised positions 0, .25, .5, .75, 1
    conn = patterns.gaussian(_ctx(pop, pop), 2.0, 0.25, 0.0, 0.1, False)
    rows = _rows(conn)
    # w(d) = 2 exp(-d^2 / (2 * 0.0625)) > 0.2  <=>  d^2 < 0.125 ln 10 = 0.2878  <=>  d <= 0.5
    assert rows[0] == [1, 2]
    assert rows[2] == [0, 1, 3, 4]
    first = conn.weights[conn.row(0)]
    assert first[0] == pytest.approx(2 * math.exp(-0.0625 / 0.125), rel=1e-6)
    assert first[1] == pytest.approx(2 * math.exp(-0.25 / 0.125), rel=1e-6)
    assert first[0] == float(np.float32(first[0]))  # weights went through float32


def test_gaussian_2d_and_self_connections():
    pop = FakePopulation((3, 3))
    conn = patterns.gaussian(_ctx(pop, pop), 1.0, 0.5, 0.0, 0.5, True)
    # centre (1, 1) at normalised (.5, .5): distance^2 to an edge neighbour .25, to a corner .5
    # w = exp(-d2 / 0.5): edges exp(-.5) = .61 > .5, corners exp(-1) = .37 < .5, itself 1
    assert _rows(conn)[4] == [1, 3, 4, 5, 7]
    other = FakePopulation((3, 3))
    assert 4 in _rows(patterns.gaussian(_ctx(pop, other), 1.0, 0.5, 0.0, 0.5, False))[4]
    with pytest.raises(ModelError, match="whole populations"):
        patterns.gaussian(_ctx(FakeView(pop, [0, 1]), pop), 1.0, 0.5, 0.0, 0.5, False)


def test_dog_threshold_uses_the_amplitude_difference():
    pop = FakePopulation(5)
    conn = patterns.dog(_ctx(pop, pop), (1.0, 0.5), (0.2, 0.4), 0.0, 0.2, False)
    d = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    for i, p in enumerate(conn.post_ranks):
        dist2 = (d - d[p]) ** 2
        w = np.exp(-dist2 / 0.08) - 0.5 * np.exp(-dist2 / 0.32)
        kept = [q for q in range(5) if q != p and abs(w[q]) > 0.2 * 0.5]
        assert conn.pre_ranks[conn.row(i)].tolist() == kept
        np.testing.assert_allclose(conn.weights[conn.row(i)], w[kept], rtol=1e-6)


def test_uniform_delays_round_half_to_even():
    pop = FakePopulation(2)
    conn = patterns.one_to_one(_ctx(pop, pop, dt=1.0), 1.0, 2.5)
    assert (conn.uniform_delay, conn.max_delay) == (2, 2)  # Python round: 2.5 -> 2
    conn = patterns.one_to_one(_ctx(pop, pop, dt=0.1), 1.0, 0.35)
    assert conn.uniform_delay == round(0.35 / 0.1)


def test_delay_distribution_rules():
    pop = FakePopulation(4)
    with pytest.raises(ModelError, match="max"):
        patterns.check_values(1.0, Normal(2.0, 1.0))
    dist = Uniform(0.0, 3.0, rng=np.random.default_rng(5))
    conn = patterns.all_to_all(_ctx(pop, pop, dt=0.5), 1.0, dist, False)
    assert dist.min == 0.0  # the user's object is untouched
    # min raised to dt: draws from uniform(0.5, 3.0), per synapse round(d/dt) half away from zero
    ref = np.random.default_rng(5)
    steps = [math.floor(x / 0.5 + 0.5) for _ in range(4) for x in ref.uniform(0.5, 3.0, 3)]
    assert conn.delays.tolist() == steps
    assert conn.uniform_delay == -1
    assert conn.max_delay == 6  # round(3.0 / 0.5)
