"""Statistical sanity of every in-equation distribution: moments within 5 sigma, and a KS test."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nnc.ir.nodes import Dist
from nnc.ir.rng import draw

REALS = [np.dtype(np.float64), np.dtype(np.float32)]


def _lognormal_moments(mu: float, s: float) -> tuple[float, float, float]:
    raw = [math.exp(k * mu + k * k * s * s / 2) for k in range(5)]
    m = raw[1]
    var = raw[2] - m * m
    mu4 = raw[4] - 4 * m * raw[3] + 6 * m * m * raw[2] - 3 * m**4
    return m, var, mu4


def _discrete_uniform_moments(a: int, b: int) -> tuple[float, float, float]:
    k = b - a + 1
    return (a + b) / 2, (k * k - 1) / 12, (k * k - 1) * (3 * k * k - 7) / 240


def _binomial_moments(n: int, p: float) -> tuple[float, float, float]:
    v = n * p * (1 - p)
    return n * p, v, v * (1 + 3 * (n - 2) * p * (1 - p))


# (dist, args, number of draws, (mean, variance, central 4th moment) from the textbook formulas)
CASES = [
    (Dist.UNIFORM, (-2.0, 6.0), 200_000, (2.0, 64 / 12, 8**4 / 80)),
    (Dist.DISCRETE_UNIFORM, (-3.0, 7.0), 200_000, _discrete_uniform_moments(-3, 7)),
    (Dist.DISCRETE_UNIFORM, (5.0, 5.0), 1000, (5.0, 0.0, 0.0)),
    (Dist.NORMAL, (1.5, 2.0), 200_000, (1.5, 4.0, 3 * 16.0)),
    (Dist.LOGNORMAL, (0.2, 0.5), 200_000, _lognormal_moments(0.2, 0.5)),
    (Dist.EXPONENTIAL, (4.0,), 200_000, (0.25, 1 / 16, 9 / 4**4)),
    (Dist.GAMMA, (3.0, 2.0), 200_000, (6.0, 12.0, (3 * 9 + 6 * 3) * 16.0)),
    (Dist.GAMMA, (0.3, 1.5), 200_000, (0.45, 0.3 * 2.25, (3 * 0.09 + 6 * 0.3) * 1.5**4)),
    (Dist.BINOMIAL, (20.0, 0.3), 200_000, _binomial_moments(20, 0.3)),
    (Dist.BINOMIAL, (40.0, 0.9), 200_000, _binomial_moments(40, 0.9)),
    (Dist.BINOMIAL, (2500.0, 0.5), 20_000, _binomial_moments(2500, 0.5)),  # 5 chunks of 500
]


def _check_moments(x: np.ndarray, mean: float, var: float, mu4: float) -> None:
    n = len(x)
    x = x.astype(np.float64)
    se_mean = math.sqrt(var / n)
    se_var = math.sqrt(max(mu4 - var * var, 0.0) / n)
    assert abs(x.mean() - mean) <= 5 * se_mean + 1e-12 * abs(mean), (x.mean(), mean, se_mean)
    assert abs(x.var() - var) <= 5 * se_var + 1e-9 * var, (x.var(), var, se_var)


@pytest.mark.parametrize("real", REALS, ids=str)
@pytest.mark.parametrize(("dist", "args", "n", "moments"), CASES, ids=[f"{c[0].value}{c[1]}" for c in CASES])
def test_moments_within_five_sigma(dist, args, n, moments, real):
    x = draw(dist, args, 20240601, 17, np.arange(n), 3, 12345, real)
    _check_moments(x, *moments)


# scipy's distributions with the same parameters (scipy: scale = 1/rate, gamma scale = beta)
SCIPY = [
    (Dist.UNIFORM, (-2.0, 6.0), stats.uniform(-2.0, 8.0)),
    (Dist.NORMAL, (1.5, 2.0), stats.norm(1.5, 2.0)),
    (Dist.LOGNORMAL, (0.2, 0.5), stats.lognorm(0.5, scale=math.exp(0.2))),
    (Dist.EXPONENTIAL, (4.0,), stats.expon(scale=0.25)),
    (Dist.GAMMA, (3.0, 2.0), stats.gamma(3.0, scale=2.0)),
    (Dist.GAMMA, (0.3, 1.5), stats.gamma(0.3, scale=1.5)),
]


@pytest.mark.parametrize("real", REALS, ids=str)
@pytest.mark.parametrize(("dist", "args", "ref"), SCIPY, ids=[f"{c[0].value}{c[1]}" for c in SCIPY])
def test_kolmogorov_smirnov(dist, args, ref, real):
    x = draw(dist, args, 99, 5, np.arange(100_000), 0, 7, real)
    assert stats.kstest(x.astype(np.float64), ref.cdf).pvalue > 1e-4


@pytest.mark.parametrize(("n", "p"), [(20, 0.3), (40, 0.9), (7, 0.5)])
def test_binomial_frequencies_chi_square(n, p):
    x = draw(Dist.BINOMIAL, (float(n), p), 5, 6, np.arange(100_000), 0, 1, np.dtype(np.float64))
    observed = np.bincount(x, minlength=n + 1)
    expected = stats.binom(n, p).pmf(np.arange(n + 1)) * len(x)
    keep = expected > 20
    if (~keep).any():  # pool the sparse tails into one bin
        observed = np.append(observed[keep], observed[~keep].sum())
        expected = np.append(expected[keep], expected[~keep].sum())
    assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > 1e-4


def test_uniform_words_are_uncorrelated_across_neighbours():
    u = draw(Dist.UNIFORM, (0.0, 1.0), 1, 2, np.arange(200_000), 0, 0, np.dtype(np.float64))
    for lag in (1, 2, 64):
        assert abs(np.corrcoef(u[:-lag], u[lag:])[0, 1]) < 5 / math.sqrt(len(u))
