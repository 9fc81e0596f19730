"""The fast random connectors against a plain re-implementation of API.md §7.2, draw for draw.

``nnc.api.bernoulli`` finds ``rng.random(n) < p`` without making the doubles (JIT kernel on PCG64 words,
jump-ahead lanes, threads); ``patterns`` builds dendrites as blocks and draws a distribution's values in
one call where that is draw-identical. Here every path (kernel forced on small sizes, tiny chunks so
that chunking and threads run, the plain NumPy path) must give exactly the connectivity, weights and
delays of the reference algorithm written below as simply as possible, and leave every generator
(``default_rng`` with its 32-bit buffer, the auxiliary one, a distribution's own) in the same state.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnc.api import bernoulli, patterns
from nnc.api.patterns import ConnectContext
from nnc.descriptions.random import (
    Binomial,
    DiscreteUniform,
    Exponential,
    Gamma,
    LogNormal,
    Normal,
    RandomDistribution,
    Uniform,
)
from nnc.runtime.connectivity import stable_argsort


class FakePopulation:
    def __init__(self, size: int):
        self.size = size
        self.geometry = (size,)
        self.ranks = np.arange(size, dtype=np.int32)
        self.population = self


class FakeView:
    def __init__(self, pop: FakePopulation, ranks: list[int]):
        self.population = pop
        self.ranks = np.asarray(ranks, dtype=np.int32)
        self.size = len(ranks)
        self.geometry = (len(ranks),)


@pytest.fixture(params=["kernel", "plain"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``kernel``: the JIT kernel for every run, in chunks of 37 draws, two threads from 50 draws on."""
    if request.param == "kernel":
        if bernoulli.kernel() is None:
            pytest.skip("the Bernoulli kernel cannot be built here")
        monkeypatch.setattr(bernoulli, "KERNEL_MIN_DRAWS", 1)
        monkeypatch.setattr(bernoulli, "CHUNK", 37)
        monkeypatch.setattr(bernoulli, "THREAD_MIN_DRAWS", 50)
    else:
        monkeypatch.setattr(bernoulli, "kernel", lambda compile_if_missing=True: None)
    return request.param


def _state(rng: np.random.Generator) -> dict:
    return rng.bit_generator.state


def _generator(seed: int, buffered: bool) -> np.random.Generator:
    """A PCG64 generator, with a pending 32-bit half (``has_uint32``) if ``buffered``."""
    rng = np.random.default_rng(seed)
    if buffered:
        rng.integers(0, 2**32, size=1, dtype=np.uint32)
        assert rng.bit_generator.state["has_uint32"] == 1
    return rng


PROBABILITIES = st.one_of(
    st.sampled_from([0.0, -0.5, 1.0, 1.5, float("nan"), 5e-324, 1e-3, 0.5, 1 - 2**-53, 2**-53]),
    st.floats(0.0, 1.0),
)


# ------------------------------------------------------------------------------------------ the stream
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**64 - 1), st.integers(0, 400), PROBABILITIES, st.booleans())
def test_bernoulli_indices_are_random_below_p(path, seed, n, p, buffered):
    rng, ref = _generator(seed, buffered), _generator(seed, buffered)
    got = bernoulli.bernoulli_indices(rng, n, p)
    expected = np.flatnonzero(ref.random(n) < p)
    assert got.dtype == np.int64
    assert np.array_equal(got, expected)
    assert _state(rng) == _state(ref)  # has_uint32 / uinteger included
    # later draws are unchanged, 32-bit ones (the buffered half) and 64-bit ones
    u32 = {"size": 3, "dtype": np.uint32}
    assert np.array_equal(rng.integers(0, 2**32, **u32), ref.integers(0, 2**32, **u32))
    assert np.array_equal(rng.random(3), ref.random(3))


def test_bernoulli_long_run_uses_threads_and_matches(monkeypatch):
    if bernoulli.kernel() is None:
        pytest.skip("the Bernoulli kernel cannot be built here")
    monkeypatch.setattr(bernoulli, "THREAD_MIN_DRAWS", 1 << 16)
    monkeypatch.setattr(bernoulli, "CHUNK", 1 << 15)
    for seed, n, p in ((3, 10**6 + 17, 0.004), (4, 3 * 10**5 + 1, 0.6)):
        rng, ref = _generator(seed, True), _generator(seed, True)
        assert np.array_equal(bernoulli.bernoulli_indices(rng, n, p), np.flatnonzero(ref.random(n) < p))
        assert _state(rng) == _state(ref)


OTHER_BIT_GENERATORS = [np.random.MT19937, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64]


@pytest.mark.parametrize("bitgen", OTHER_BIT_GENERATORS)
def test_other_bit_generators_take_the_plain_path(bitgen):
    rng, ref = np.random.Generator(bitgen(5)), np.random.Generator(bitgen(5))
    for n, p in ((1000, 0.1), (10, 0.0), (10, 1.0)):
        assert np.array_equal(bernoulli.bernoulli_indices(rng, n, p), np.flatnonzero(ref.random(n) < p))
    assert np.array_equal(rng.random(5), ref.random(5))


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 1.0, exclude_min=True, exclude_max=True), st.integers(-3, 3), st.integers(0, 2**64 - 1))
def test_threshold_is_exact(p, offset, x):
    """``(x >> 11) * 2**-53 < p`` ⟺ ``x < threshold(p)``, at the boundary and anywhere."""
    t = bernoulli.threshold(p)
    assert 0 < t < 2**64
    for word in (min(max(t + offset, 0), 2**64 - 1), x):
        assert ((word >> 11) * 2.0**-53 < p) == (word < t)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**70))
def test_jump_is_pcg64_advance(seed, delta):
    bg = np.random.PCG64(seed)
    s, inc = bg.state["state"]["state"], bg.state["state"]["inc"]
    a, c = bernoulli.jump(delta, inc)
    bg.advance(delta)
    assert (a * s + c) % 2**128 == bg.state["state"]["state"]


def test_kernel_builds_and_checks_itself():
    k = bernoulli.kernel()
    if k is None:
        pytest.skip("the Bernoulli kernel cannot be built here")
    assert k.lanes > 1
    assert bernoulli._self_check(k)


def test_kernel_run_checks_its_buffers():
    k = bernoulli.kernel()
    if k is None:
        pytest.skip("the Bernoulli kernel cannot be built here")
    table = bernoulli.lane_table(1, k.lanes)
    with pytest.raises(ValueError, match="int32"):
        k.run(0, table, 100, 1 << 60, np.empty(100, dtype=np.int32))  # no room for the last lanes
    with pytest.raises(ValueError, match="int32"):
        k.run(0, table, 10, 1 << 60, np.empty(10 + k.lanes, dtype=np.int64))


def test_kernel_is_not_compiled_for_short_runs(monkeypatch):
    """Runs below JIT_MIN_DRAWS never build the kernel (it costs more than NumPy there)."""
    calls = []
    monkeypatch.setattr(bernoulli, "kernel", lambda compile_if_missing=True: calls.append(compile_if_missing))
    bernoulli.bernoulli_indices(np.random.default_rng(0), bernoulli.KERNEL_MIN_DRAWS, 0.5)
    bernoulli.bernoulli_indices(np.random.default_rng(0), bernoulli.JIT_MIN_DRAWS, 0.5)
    assert calls == [False, True]


# ------------------------------------------------------------------------------------------ reference
def _values(spec: object, n: int, aux: np.random.Generator) -> list[float]:
    if isinstance(spec, RandomDistribution):
        return [float(x) for x in spec.get_values(n, rng=aux)]
    return [float(spec)] * n


def _delay_dist(delays: object, dt: float) -> object:
    if not isinstance(delays, RandomDistribution):
        return delays
    d = copy.copy(delays)
    if d.min is None or d.min < dt:
        d.min = dt
    return d


class Reference:
    """Dendrites collected as API.md §7.2 says: weights then delays drawn when a dendrite is made."""

    def __init__(self, weights, delays, dt, aux):
        self.weights, self.delays, self.dt, self.aux = weights, _delay_dist(delays, dt), dt, aux
        self.rows: dict[int, tuple[list[int], list[float], list[int] | None]] = {}

    def add(self, post: int, pre: list[int]) -> None:
        if not pre:
            return
        w = _values(self.weights, len(pre), self.aux)
        d = None
        if isinstance(self.delays, RandomDistribution):
            d = [int(np.rint(x / self.dt)) for x in _values(self.delays, len(pre), self.aux)]
        # the dendrite is stored with ascending pre ranks (its values move with them)
        order = sorted(range(len(pre)), key=lambda i: pre[i])
        self.rows[post] = (
            [pre[i] for i in order],
            [w[i] for i in order],
            None if d is None else [d[i] for i in order],
        )


def _check(conn, ref: Reference) -> None:
    got = {}
    for i, p in enumerate(conn.post_ranks.tolist()):
        sl = conn.row(i)
        delays = None if conn.delays is None else conn.delays[sl].tolist()
        got[p] = (conn.pre_ranks[sl].tolist(), conn.weights[sl].tolist(), delays)
    assert got == ref.rows
    if not isinstance(ref.delays, RandomDistribution):
        assert conn.uniform_delay == round(float(ref.delays) / ref.dt)


def ref_fixed_probability(ctx, p, ref: Reference, allow_self: bool) -> None:
    allow = allow_self or ctx.pre is not ctx.post
    pre = [int(x) for x in ctx.pre.ranks]
    for r_post in ctx.post.ranks.tolist():
        u = ctx.rng.random(len(pre))
        kept = [q for q, x in zip(pre, u, strict=True) if x < p and (allow or q != r_post)]
        ref.add(r_post, sorted(kept))


def ref_all_to_all(ctx, ref: Reference, allow_self: bool) -> None:
    allow = allow_self or ctx.pre.population is not ctx.post.population
    for r_post in ctx.post.ranks.tolist():
        ref.add(r_post, [int(q) for q in ctx.pre.ranks if allow or q != r_post])


def ref_one_to_one(ctx, ref: Reference) -> None:
    for q, r_post in zip(ctx.pre.ranks.tolist(), ctx.post.ranks.tolist(), strict=False):
        ref.add(r_post, [q])


def ref_fixed_number_pre(ctx, number, ref: Reference, allow_self: bool) -> None:
    allow = allow_self or ctx.pre is not ctx.post
    for r_post in ctx.post.ranks.tolist():
        r = ctx.rng.choice(list(ctx.pre.ranks), size=number, replace=False)
        if len(r) == 0:
            continue
        while not allow and r_post in list(r):
            r = ctx.rng.choice(list(ctx.pre.ranks), size=number, replace=False)
        ref.add(r_post, sorted(int(x) for x in r))


def ref_fixed_number_post(ctx, number, ref: Reference, allow_self: bool) -> None:
    allow = allow_self or ctx.pre is not ctx.post
    post = [int(x) for x in ctx.post.ranks]
    back: dict[int, list[int]] = {p: [] for p in post}
    for r_pre in ctx.pre.ranks.tolist():
        if number >= len(post):
            chosen = post
        else:
            chosen = list(ctx.rng.choice(post, number, replace=False))
            while not allow and r_pre in chosen:
                chosen = list(ctx.rng.choice(post, number, replace=False))
        for p in chosen:
            back[int(p)].append(r_pre)
    for p in post:
        ref.add(p, back[p])


# ------------------------------------------------------------------------------------------ scenarios
@st.composite
def scenario(draw, max_size: int = 14):
    """Pre/post (populations, views — sorted or not —, the same object or not), generators, values."""
    n_a = draw(st.integers(1, max_size))
    a = FakePopulation(n_a)
    b = FakePopulation(draw(st.integers(1, max_size)))

    def view_of(pop):
        ranks = draw(st.lists(st.integers(0, pop.size - 1), min_size=1, max_size=pop.size, unique=True))
        return FakeView(pop, ranks if draw(st.booleans()) else sorted(ranks))

    kind = draw(st.sampled_from(["same", "two", "views", "view-pop", "pop-view"]))
    if kind == "same":
        pre = post = a
    elif kind == "two":
        pre, post = a, b
    elif kind == "views":
        pre, post = view_of(a), view_of(a)
    elif kind == "view-pop":
        pre, post = view_of(a), a
    else:
        pre, post = a, view_of(a)
    seed = draw(st.integers(0, 2**64 - 1))
    buffered = draw(st.booleans())
    dt = draw(st.sampled_from([0.1, 0.5, 1.0]))
    return pre, post, seed, buffered, dt, draw(st.booleans()), draw(st.integers(0, 2**32 - 1))


WEIGHT_KINDS = [
    lambda g: Uniform(-1.0, 1.0, rng=g),
    lambda g: Normal(0.0, 1.0, min=-1.0, rng=g),
    lambda g: LogNormal(0.0, 0.5, rng=g),
    lambda g: Exponential(2.0, rng=g),
    lambda g: Gamma(2.0, 0.5, rng=g),
    lambda g: Binomial(10, 0.3, rng=g),
    lambda g: DiscreteUniform(0, 5, rng=g),
]
#: where a distribution draws from: None = the auxiliary generator (no rng given)
SOURCES = ["number", "aux", "shared", "own"]
VALUES = st.tuples(st.sampled_from(SOURCES), st.integers(0, 6))


def _make_value(which: str, spec: tuple[str, int], rng: np.random.Generator, own: np.random.Generator):
    """A number, or a distribution drawing from aux (``rng=None``), the connector's rng, or its own."""
    source, kind = spec
    if source == "number":
        return [0.0, 0.5, 1.0, 2.5, 3.0][kind % 5]
    gen = {"aux": None, "shared": rng, "own": own}[source]
    if which == "delays":
        return Uniform(0.0, 4.0, rng=gen) if kind % 2 == 0 else Normal(2.0, 1.0, max=4.0, rng=gen)
    return WEIGHT_KINDS[kind](gen)


class Setup:
    """Two identical worlds: nnc's (connector context) and the reference's (plain generators)."""

    def __init__(self, sc, w_spec, d_spec):
        self.pre, self.post, seed, buffered, self.dt, self.allow, aux_seed = sc
        self.rng, self.ref_rng = _generator(seed, buffered), _generator(seed, buffered)
        self.aux, self.ref_aux = np.random.default_rng(aux_seed), np.random.default_rng(aux_seed)
        self.own, self.ref_own = np.random.default_rng(aux_seed + 1), np.random.default_rng(aux_seed + 1)
        self.weights = _make_value("weights", w_spec, self.rng, self.own)
        self.delays = _make_value("delays", d_spec, self.rng, self.own)
        ref_w = _make_value("weights", w_spec, self.ref_rng, self.ref_own)
        ref_d = _make_value("delays", d_spec, self.ref_rng, self.ref_own)
        self.ctx = ConnectContext(self.pre, self.post, self.dt, self.rng, self.aux)
        self.ref_ctx = ConnectContext(self.pre, self.post, self.dt, self.ref_rng, self.ref_aux)
        self.ref = Reference(ref_w, ref_d, self.dt, self.ref_aux)

    def check(self, conn) -> None:
        _check(conn, self.ref)
        for mine, theirs in ((self.rng, self.ref_rng), (self.aux, self.ref_aux), (self.own, self.ref_own)):
            assert _state(mine) == _state(theirs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario(), PROBABILITIES, VALUES, VALUES)
def test_fixed_probability_is_the_reference(path, sc, p, w_spec, d_spec):
    s = Setup(sc, w_spec, d_spec)
    conn = patterns.fixed_probability(s.ctx, p, s.weights, s.delays, s.allow)
    ref_fixed_probability(s.ref_ctx, p, s.ref, s.allow)
    s.check(conn)


@settings(max_examples=60, deadline=None)
@given(scenario(), VALUES, VALUES)
def test_all_to_all_is_the_reference(sc, w_spec, d_spec):
    s = Setup(sc, w_spec, d_spec)
    conn = patterns.all_to_all(s.ctx, s.weights, s.delays, s.allow)
    ref_all_to_all(s.ref_ctx, s.ref, s.allow)
    s.check(conn)


@settings(max_examples=40, deadline=None)
@given(scenario(), VALUES, VALUES)
def test_one_to_one_is_the_reference(sc, w_spec, d_spec):
    s = Setup(sc, w_spec, d_spec)
    conn = patterns.one_to_one(s.ctx, s.weights, s.delays)
    ref_one_to_one(s.ref_ctx, s.ref)
    s.check(conn)


@settings(max_examples=60, deadline=None)
@given(scenario(), st.data(), VALUES, VALUES)
def test_fixed_number_pre_is_the_reference(sc, data, w_spec, d_spec):
    s = Setup(sc, w_spec, d_spec)
    number = data.draw(st.integers(0, s.pre.size))
    allow = s.allow or s.pre is not s.post
    assume(allow or number < s.pre.size)  # otherwise impossible (an error, tested elsewhere)
    conn = patterns.fixed_number_pre(s.ctx, number, s.weights, s.delays, s.allow)
    ref_fixed_number_pre(s.ref_ctx, number, s.ref, s.allow)
    s.check(conn)


@settings(max_examples=60, deadline=None)
@given(scenario(), st.data(), VALUES, VALUES)
def test_fixed_number_post_is_the_reference(sc, data, w_spec, d_spec):
    s = Setup(sc, w_spec, d_spec)
    number = data.draw(st.integers(0, s.post.size))
    conn = patterns.fixed_number_post(s.ctx, number, s.weights, s.delays, s.allow)
    ref_fixed_number_post(s.ref_ctx, number, s.ref, s.allow)
    s.check(conn)


@pytest.mark.parametrize("cls", WEIGHT_KINDS)
def test_one_call_draws_what_consecutive_calls_draw(cls):
    """Why ``Rows.add_many`` may draw a block's values in one call: NumPy's samplers are value by value."""
    lengths = [3, 1, 7, 2, 16, 5]
    one, many = np.random.default_rng(11), np.random.default_rng(11)
    one.integers(0, 2**32, size=1, dtype=np.uint32)  # a pending 32-bit half, for DiscreteUniform
    many.integers(0, 2**32, size=1, dtype=np.uint32)
    together = cls(one).get_values(sum(lengths))
    apart = np.concatenate([cls(many).get_values(n) for n in lengths])
    assert np.array_equal(together, apart)
    assert _state(one) == _state(many)


def test_big_fixed_probability_through_the_kernel_is_the_reference(monkeypatch):
    """The coba layout, scaled down, through the kernel in chunks on two threads."""
    monkeypatch.setattr(bernoulli, "JIT_MIN_DRAWS", 1 << 20)
    monkeypatch.setattr(bernoulli, "THREAD_MIN_DRAWS", 1 << 22)
    pop = FakePopulation(3000)
    exc = FakeView(pop, list(range(2400)))
    rng, ref_rng = _generator(42, True), _generator(42, True)
    aux = np.random.default_rng(0)
    w = Normal(0.5, 0.1, rng=np.random.default_rng(9))
    conn = patterns.fixed_probability(ConnectContext(exc, pop, 0.1, rng, aux), 0.02, w, 0.0, False)
    ref = Reference(Normal(0.5, 0.1, rng=np.random.default_rng(9)), 0.0, 0.1, np.random.default_rng(0))
    ref_fixed_probability(ConnectContext(exc, pop, 0.1, ref_rng, None), 0.02, ref, False)
    _check(conn, ref)
    assert _state(rng) == _state(ref_rng)


def test_math_helpers_agree():
    assert bernoulli.jump(0, 12345) == (1, 0)
    assert bernoulli.threshold(0.5) == 1 << 63
    assert math.isclose(bernoulli.threshold(1e-3) / 2**64, 1e-3, rel_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([1, 7, 2**16, 2**16 + 1, 2**20, 2**32, 2**40]),
    st.integers(0, 3000),
    st.integers(0, 2**32),
)
def test_stable_argsort_is_numpys(bound, n, seed):
    """The linear-time stable sort of the event index and of fixed_number_post (one or two radix passes)."""
    keys = np.random.default_rng(seed).integers(0, bound, n)
    assert np.array_equal(stable_argsort(keys, bound), np.argsort(keys, kind="stable"))
