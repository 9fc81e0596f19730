"""The NumPy reference of in-equation random numbers against Random123's answers and a scalar model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnc.diagnostics import InternalError
from nnc.ir.nodes import Dist
from nnc.ir.rng import draw, philox4x32, philox_key, power_by_squaring

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
M32 = 0xFFFFFFFF

# Random123 kat_vectors, philox4x32 R=10: counter (4 words), key (2 words), expected output.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((M32,) * 4, (M32, M32), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


# --------------------------------------------------------------------------------------------------
# a scalar model of the definition, written with Python ints and floats


def philox_scalar(ctr: tuple[int, ...], key: tuple[int, int]) -> tuple[int, int, int, int]:
    """Philox4x32-10 as in Salmon et al. 2011, one counter at a time."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for rnd in range(10):
        if rnd:
            k0, k1 = (k0 + 0x9E3779B9) & M32, (k1 + 0xBB67AE85) & M32
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & M32, (p0 >> 32) ^ c3 ^ k1, p0 & M32
    return c0, c1, c2, c3


def uniforms_scalar(
    seed: int, stream: int, elem: tuple[int, int], step: int, block: int
) -> tuple[float, float]:
    """The first and second f64 uniform of a block."""
    key = (seed & M32, (stream ^ (seed >> 32)) & M32)
    x = philox_scalar((elem[0] & M32, elem[1] & M32, step & M32, block & M32), key)
    return (((x[0] >> 5) << 26 | x[1] >> 6) / 2**53, ((x[2] >> 5) << 26 | x[3] >> 6) / 2**53)


def binomial_scalar(n: float, p: float, uniform) -> int:
    """Binomial(n, p) as the definition's chunked BINV, one element."""
    big_n = min(math.trunc(n), 2**31 - 1) if n >= 1 else 0
    if not p > 0 or big_n == 0:
        return 0
    if p >= 1:
        return big_n
    pp = 1 - p if p > 0.5 else p
    q = 1 - pp
    s = pp / q
    limit = 500.0 * q / pp  # may be inf
    chunk = big_n if limit >= big_n else math.floor(limit)
    total, done, j = 0, 0, 0
    while done < big_n:
        m = min(chunk, big_n - done)
        y, b, e = 1.0, q, m
        while e:
            y, b, e = (y * b if e & 1 else y), b * b, e >> 1
        r, a, x, u = y, (m + 1) * s, 0, uniform(j)
        while x < m and u >= r:
            u -= r
            x += 1
            r *= a / x - s
        total, done, j = total + x, done + m, j + 1
    return big_n - total if p > 0.5 else total


# --------------------------------------------------------------------------------------------------
# Philox


@pytest.mark.parametrize(("ctr", "key", "expected"), KAT)
def test_philox_known_answers(ctr, key, expected):
    assert philox_scalar(ctr, key) == expected
    got = philox4x32(np.array(ctr, dtype=np.uint32).reshape(4, 1), key)
    assert tuple(int(w) for w in got[:, 0]) == expected


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(*[st.integers(0, M32)] * 4), min_size=1, max_size=20),
    st.tuples(st.integers(0, M32), st.integers(0, M32)),
)
def test_philox_vectorised_equals_scalar(counters, key):
    got = philox4x32(np.array(counters, dtype=np.uint32).T, key)
    assert [tuple(int(w) for w in col) for col in got.T] == [philox_scalar(c, key) for c in counters]


def test_key_folds_the_high_seed_bits_into_the_stream():
    assert philox_key(0x1234_5678_9ABC_DEF0, 7) == (0x9ABCDEF0, 7 ^ 0x12345678)
    assert philox_key(5, 0xFFFF_FFFF) == (5, 0xFFFFFFFF)


# --------------------------------------------------------------------------------------------------
# the distributions against the scalar model

seeds = st.integers(0, 2**64 - 1)
streams = st.integers(0, M32)
steps = st.integers(0, 2**40)
elems = st.lists(st.tuples(st.integers(0, M32), st.integers(0, M32)), min_size=1, max_size=8)


def _draw(dist, args, seed, stream, elem_list, step, real=F64):
    ea = np.array([e[0] for e in elem_list], dtype=np.int64)
    eb = np.array([e[1] for e in elem_list], dtype=np.int64)
    return draw(dist, args, seed, stream, ea, eb, step, real)


@settings(max_examples=40, deadline=None)
@given(seeds, streams, elems, steps, st.floats(-1e3, 1e3), st.floats(1e-3, 1e3))
def test_uniform_and_exponential_follow_the_definition(seed, stream, elem_list, step, a, width):
    us = [uniforms_scalar(seed, stream, e, step, 0)[0] for e in elem_list]
    got = _draw(Dist.UNIFORM, (a, a + width), seed, stream, elem_list, step)
    assert got.tolist() == [a + ((a + width) - a) * u for u in us]
    got = _draw(Dist.EXPONENTIAL, (width,), seed, stream, elem_list, step)
    np.testing.assert_allclose(got, [-math.log(1 - u) / width for u in us], rtol=1e-15)  # 1 ulp log


@settings(max_examples=40, deadline=None)
@given(seeds, streams, elems, steps, st.floats(-5, 5), st.floats(0.01, 5))
def test_normal_follows_box_muller(seed, stream, elem_list, step, mu, s):
    pairs = [uniforms_scalar(seed, stream, e, step, 0) for e in elem_list]
    want = [mu + s * (math.sqrt(-2 * math.log(1 - u1)) * math.cos(2 * math.pi * u2)) for u1, u2 in pairs]
    got = _draw(Dist.NORMAL, (mu, s), seed, stream, elem_list, step)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14 * (abs(mu) + 8 * s))
    lognormal = _draw(Dist.LOGNORMAL, (mu, s), seed, stream, elem_list, step)
    np.testing.assert_allclose(lognormal, np.exp(want), rtol=1e-13)


@settings(max_examples=40, deadline=None)
@given(seeds, streams, elems, steps, st.integers(-1000, 1000), st.integers(0, 10**6))
def test_discrete_uniform_follows_the_definition(seed, stream, elem_list, step, a, width):
    b = a + width
    us = [uniforms_scalar(seed, stream, e, step, 0)[0] for e in elem_list]

    def away(x, frac):  # truncation toward zero gives x back
        return x + frac if x >= 0 else x - frac

    got = _draw(Dist.DISCRETE_UNIFORM, (away(a, 0.75), away(b, 0.5)), seed, stream, elem_list, step)
    assert got.dtype == np.int32
    assert got.tolist() == [a + min(math.floor(u * (width + 1)), width) for u in us]


@settings(max_examples=40, deadline=None)
@given(seeds, streams, elems, steps, st.floats(0, 3000), st.floats(0, 1))
def test_binomial_follows_chunked_inversion(seed, stream, elem_list, step, n, p):
    def uniform_of(e):
        return lambda j: uniforms_scalar(seed, stream, e, step, j >> 1)[j & 1]

    got = _draw(Dist.BINOMIAL, (n, p), seed, stream, elem_list, step)
    assert got.tolist() == [binomial_scalar(n, p, uniform_of(e)) for e in elem_list]


def test_binomial_special_arguments():
    e = np.arange(5)
    assert draw(Dist.BINOMIAL, (10.0, 0.0), 1, 2, e, 0, 0, F64).tolist() == [0] * 5
    assert draw(Dist.BINOMIAL, (10.9, 1.0), 1, 2, e, 0, 0, F64).tolist() == [10] * 5
    assert draw(Dist.BINOMIAL, (0.5, 0.5), 1, 2, e, 0, 0, F64).tolist() == [0] * 5
    assert draw(Dist.BINOMIAL, (np.nan, 0.5), 1, 2, e, 0, 0, F64).tolist() == [0] * 5
    assert draw(Dist.BINOMIAL, (10.0, np.nan), 1, 2, e, 0, 0, F64).tolist() == [0] * 5


def test_gamma_of_a_non_positive_shape_is_nan():
    got = draw(Dist.GAMMA, (np.array([0.0, -1.0, np.nan, 2.0]), 1.0), 3, 4, np.arange(4), 0, 5, F64)
    assert np.isnan(got[:3]).all()
    assert got[3] > 0


def test_power_by_squaring_is_exact_for_powers_of_two():
    assert power_by_squaring(np.array([0.5, 2.0]), np.array([1074, 1023])).tolist() == [2.0**-1074, 2.0**1023]
    assert power_by_squaring(np.array([0.75]), np.array([0])).tolist() == [1.0]


# --------------------------------------------------------------------------------------------------
# structure: precision, broadcasting, independence of the split


@settings(max_examples=30, deadline=None)
@given(seeds, streams, steps, st.integers(0, 2**20))
def test_f32_uniforms_are_the_f64_ones_truncated_to_24_bits(seed, stream, step, first):
    e = np.arange(first, first + 64)
    u64 = draw(Dist.UNIFORM, (0.0, 1.0), seed, stream, e, 0, step, F64)
    u32 = draw(Dist.UNIFORM, (0.0, 1.0), seed, stream, e, 0, step, F32)
    assert u32.dtype == np.float32
    np.testing.assert_array_equal(u32.astype(np.float64), np.floor(u64 * 2**24) / 2**24)
    z64 = draw(Dist.NORMAL, (0.0, 1.0), seed, stream, e, 0, step, F64)
    z32 = draw(Dist.NORMAL, (0.0, 1.0), seed, stream, e, 0, step, F32)
    assert z32.dtype == np.float32
    # z = r·cos(2π·u') with r = sqrt(-2·log(x)), x = 1 - u. Truncating u and u' to 24 bits moves x by
    # at most 2**-24, so r**2 by 2·2**-24/x and r by min(2**-24/(x·r), sqrt(2·2**-24/x)); the angle moves
    # by 2π·2**-24; f32 rounding adds ~1e-7·r. A factor 2 covers second-order terms.
    x = 1.0 - u64
    r = np.sqrt(-2.0 * np.log(x))
    with np.errstate(divide="ignore"):
        dr = np.minimum(2.0**-24 / (x * r), np.sqrt(2 * 2.0**-24 / x))
    bound = 2 * (dr + r * 2 * np.pi * 2.0**-24) + 1e-6 * (r + 1)
    assert (np.abs(z32.astype(np.float64) - z64) <= bound).all()


@settings(max_examples=20, deadline=None)
@given(seeds, streams, steps, st.integers(-50, 50), st.integers(0, 100), st.floats(0, 1))
def test_integer_draws_do_not_depend_on_precision(seed, stream, step, a, width, p):
    e = np.arange(32)
    p32 = float(np.float32(p))
    for dist, args in ((Dist.DISCRETE_UNIFORM, (a, a + width)), (Dist.BINOMIAL, (width, p32))):
        f32, f64 = (draw(dist, args, seed, stream, e, 0, step, real) for real in (F32, F64))
        np.testing.assert_array_equal(f32, f64)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(list(Dist)), seeds, streams, steps, st.integers(1, 63))
def test_a_draw_is_a_function_of_the_element_not_of_the_split(dist, seed, stream, step, cut):
    args = {1: (1.5,), 2: (2.0, 3.0) if dist is not Dist.BINOMIAL else (30.0, 0.25)}[dist.arity]
    e = np.arange(64)
    whole = draw(dist, args, seed, stream, e, 7, step, F64)
    parts = [draw(dist, args, seed, stream, e[s], 7, step, F64) for s in (slice(0, cut), slice(cut, None))]
    np.testing.assert_array_equal(whole, np.concatenate(parts))


def test_streams_steps_and_elements_give_different_numbers():
    e = np.arange(1000)
    base = draw(Dist.UNIFORM, (0.0, 1.0), 11, 3, e, 0, 9, F64)
    for other in (
        draw(Dist.UNIFORM, (0.0, 1.0), 12, 3, e, 0, 9, F64),
        draw(Dist.UNIFORM, (0.0, 1.0), 11 + 2**32, 3, e, 0, 9, F64),
        draw(Dist.UNIFORM, (0.0, 1.0), 11, 4, e, 0, 9, F64),
        draw(Dist.UNIFORM, (0.0, 1.0), 11, 3, e, 0, 10, F64),
        draw(Dist.UNIFORM, (0.0, 1.0), 11, 3, e, 1, 9, F64),
    ):
        assert np.mean(base == other) < 0.01
        assert abs(np.corrcoef(base, other)[0, 1]) < 5 / math.sqrt(len(e))
    assert len(np.unique(base)) == len(base)


def test_arguments_broadcast_with_the_elements():
    a = np.array([[0.0], [10.0]])
    got = draw(Dist.UNIFORM, (a, a + 1.0), 1, 2, np.arange(3), 0, 0, F64)
    assert got.shape == (2, 3)
    assert ((got >= a) & (got < a + 1.0)).all()
    np.testing.assert_allclose(got[1] - 10.0, got[0], rtol=0, atol=2e-15)  # 10 + u rounds u


def test_misuse_is_an_internal_error():
    with pytest.raises(InternalError, match="float64 or float32"):
        draw(Dist.UNIFORM, (0.0, 1.0), 1, 2, np.arange(3), 0, 0, np.dtype(np.int32))
    with pytest.raises(InternalError, match="takes 1 arguments"):
        draw(Dist.EXPONENTIAL, (0.0, 1.0), 1, 2, np.arange(3), 0, 0, F64)
