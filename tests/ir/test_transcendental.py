"""nnc's exp, log, sin and cos (NumPy definitions): accuracy in ulp against mpmath, special values."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from nnc.ir.transcendental import TRIG_LIMIT, MathFn, evaluate

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
_MP = {MathFn.EXP: mpmath.exp, MathFn.LOG: mpmath.log, MathFn.SIN: mpmath.sin, MathFn.COS: mpmath.cos}
#: measured maxima are 0.79 (exp), 0.76 (log), 0.73 (sin), 0.74 (cos) for f64 and 0.5 + 2**-29 for f32
MAX_ULP = {F64: 1.0, F32: 0.5 + 1e-6}


def ulp_errors(fn: MathFn, x: np.ndarray) -> np.ndarray:
    """|fn(x) - true value| in ulp of the true value (in x's type; subnormal spacing below the normals)."""
    got = evaluate(fn, x)
    info = np.finfo(x.dtype)
    errors = np.zeros(len(x))
    with mpmath.workprec(160):
        for i, (xi, gi) in enumerate(zip(x.tolist(), got.tolist(), strict=True)):
            true = _MP[fn](mpmath.mpf(xi))
            if true == 0 or abs(true) > info.max:
                errors[i] = 0.0 if gi == float(true) or (abs(true) > info.max and math.isinf(gi)) else np.inf
                continue
            exponent = max(int(mpmath.floor(mpmath.log(abs(true), 2))), info.minexp)
            errors[i] = float(abs(mpmath.mpf(gi) - true) / mpmath.ldexp(1, exponent - info.nmant))
    return errors


def _near_half_pi_multiples(gen: np.random.Generator, n: int, top: float) -> np.ndarray:
    """Doubles nearest to k·π/2 and their neighbours: the hardest arguments for range reduction."""
    k = np.unique(np.concatenate([np.arange(1, 64), gen.integers(1, int(top / (math.pi / 2)), n)]))
    near = k * (math.pi / 2)
    return np.concatenate([near, np.nextafter(near, 0), np.nextafter(near, np.inf)])


def _samples(fn: MathFn, real: np.dtype, n: int = 1000) -> np.ndarray:
    """Dense samples of the whole domain plus the regions that need care."""
    gen = np.random.default_rng(20240)
    if fn is MathFn.EXP:
        lo, hi = (-745.2, 709.8) if real == F64 else (-103.98, 88.73)
        parts = [
            gen.uniform(lo, hi, n),
            gen.uniform(-1, 1, n),
            gen.uniform(lo, lo + 40, n // 3),
            np.exp(gen.uniform(-60, 0, n // 3)) * gen.choice([-1, 1], n // 3),
        ]
    elif fn is MathFn.LOG:
        top = 709.7 if real == F64 else 88.7
        tiny = np.finfo(real).smallest_subnormal
        parts = [
            np.exp(gen.uniform(-744, top, n)),
            gen.uniform(0.5, 2.0, n),
            1 + gen.uniform(-1e-4, 1e-4, n),
            gen.uniform(1, 2**20, n // 3) * tiny,
            np.sqrt([0.5, 2.0]),
        ]
    else:
        top = 1.3e7
        parts = [
            gen.uniform(0, 2 * math.pi, n),
            gen.uniform(-100, 100, n),
            gen.uniform(-top, top, n // 2),
            np.exp(gen.uniform(-700, 0, n // 3)),
            _near_half_pi_multiples(gen, n // 6, top),
        ]
    x = np.concatenate(parts).astype(real)
    return x[np.isfinite(x)]


@pytest.mark.parametrize("real", [F64, F32], ids=str)
@pytest.mark.parametrize("fn", list(MathFn), ids=lambda f: f.value)
def test_accuracy_in_ulp(fn: MathFn, real: np.dtype) -> None:
    x = _samples(fn, real)
    errors = ulp_errors(fn, x)
    worst = int(np.argmax(errors))
    assert errors[worst] < MAX_ULP[real], (x[worst], errors[worst])


INF, NAN = math.inf, math.nan
SPECIAL = [
    (
        MathFn.EXP,
        [0.0, -0.0, INF, -INF, NAN, 1e-300, -1e-300, 710.0, 1e300, -746.0, -1e300],
        [1.0, 1.0, INF, 0.0, NAN, 1.0, 1.0, INF, INF, 0.0, 0.0],
    ),
    (MathFn.LOG, [0.0, -0.0, -1e-30, -INF, INF, NAN, 1.0], [-INF, -INF, NAN, NAN, INF, NAN, 0.0]),
    (
        MathFn.SIN,
        [0.0, -0.0, INF, -INF, NAN, 5e-324, -1e-200, TRIG_LIMIT, -1e300],
        [0.0, -0.0, NAN, NAN, NAN, 5e-324, -1e-200, NAN, NAN],
    ),
    (MathFn.COS, [0.0, -0.0, INF, -INF, NAN, 1e-200, TRIG_LIMIT], [1.0, 1.0, NAN, NAN, NAN, 1.0, NAN]),
]


@pytest.mark.parametrize("real", [F64, F32], ids=str)
@pytest.mark.parametrize(("fn", "xs", "want"), SPECIAL, ids=[s[0].value for s in SPECIAL])
def test_special_values(fn: MathFn, xs: list[float], want: list[float], real: np.dtype) -> None:
    with np.errstate(over="ignore", under="ignore"):
        x, expected = np.array(xs).astype(real), np.array(want).astype(real)
    got = evaluate(fn, x)
    assert got.dtype == real
    np.testing.assert_array_equal(got, expected)
    assert (np.signbit(got) == np.signbit(expected))[~np.isnan(expected)].all()


def test_f64_edges_of_exp_and_log() -> None:
    """Overflow and underflow thresholds, subnormal results of exp, subnormal arguments of log."""
    over, under = 709.782712893384, -745.1332191019411
    edges = np.array([over, np.nextafter(over, INF), under, np.nextafter(under, -INF)])
    np.testing.assert_array_equal(evaluate(MathFn.EXP, edges)[1:], [INF, 5e-324, 0.0])
    assert ulp_errors(MathFn.EXP, edges[:1])[0] < 1.0
    subnormal_results = np.linspace(-745.0, -708.4, 500)
    assert ulp_errors(MathFn.EXP, subnormal_results).max() < 1.0
    subnormal_args = np.array([5e-324, 1e-310, 2.0**-1022, np.nextafter(2.0**-1022, 0), 3e-320])
    assert ulp_errors(MathFn.LOG, subnormal_args).max() < 1.0


def test_single_precision_is_the_double_result_rounded() -> None:
    gen = np.random.default_rng(5)
    x = gen.uniform(-80, 80, 2000).astype(np.float32)
    for fn in MathFn:
        arg = np.abs(x) if fn is MathFn.LOG else x
        wide = evaluate(fn, arg.astype(np.float64))
        np.testing.assert_array_equal(evaluate(fn, arg), wide.astype(np.float32))


def test_large_trig_arguments_are_documented_behaviour() -> None:
    """Beyond 2**23·π/2 the reduction rounds: |error| stays below about 2**-52·|x| (module docstring)."""
    x = np.array([2.0**24, 1e9, 3.3e12, 2.0**49])
    for fn, ref in ((MathFn.SIN, math.sin), (MathFn.COS, math.cos)):
        err = np.abs(evaluate(fn, x) - [ref(v) for v in x.tolist()])
        assert (err <= 2.0**-52 * x).all(), err
