"""Expression semantics of the interpreter against the definitions of DSL.md §6 and nnc.ir.nodes."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ir.irkit import Kit, attrs

from nnc.ir.evaluate import evaluate
from nnc.ir.functions import Func
from nnc.ir.nodes import Call, Cast, Const, Select, Temp
from nnc.ir.types import DType

KIT = Kit(attrs("v x l, v y l, v n l int"), pre=attrs("v r l"))
FINITE = st.floats(-1e6, 1e6, allow_nan=False)


def call(f: Func, *values: float) -> float:
    args = tuple(Temp(f"a{i}") for i in range(len(values)))
    env = {f"a{i}": np.array([v]) for i, v in enumerate(values)}
    return evaluate(Call(f, args), env)[0]


@pytest.mark.parametrize("x", [0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, -0.0, 1e300, -7.3])
def test_round_is_half_away_from_zero(x: float):
    want = x if abs(x) >= 2.0**52 else float(Decimal(x).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    got = call(Func.ROUND, x)
    assert got == want
    assert math.copysign(1.0, got) == math.copysign(1.0, x)


@given(st.integers(-50, 50), st.integers(-9, 9).filter(bool), st.floats(0.0, 0.99))
def test_modulo_is_c_remainder_of_truncated_operands(a: int, b: int, frac: float):
    x = a + math.copysign(frac, a) if a else frac
    got = call(Func.MODULO, x, b + math.copysign(frac, b))
    assert got == math.fmod(math.trunc(x), b)


@given(FINITE, st.integers(-2, 6))
def test_power_multiplies_left_to_right(x: float, n: int):
    want = reduce(lambda acc, _: acc * x, range(n - 1), x) if n >= 1 else 1.0
    assert call(Func.POWER, x, float(n)) == want


@given(FINITE, FINITE, FINITE)
def test_clip_pos_neg(x: float, a: float, b: float):
    assert call(Func.CLIP, x, a, b) == (a if x < a else (b if x > b else x))
    assert call(Func.POS, x) == (x if x > 0 else 0.0)
    assert call(Func.NEG, x) == (x if x < 0 else 0.0)


def test_conversions_and_select_types():
    env = {"x": np.array([2.7, -2.7, 0.0, np.nan]), "n": np.array([1, 0, -3, 2], dtype=np.int32)}
    assert evaluate(Cast(DType.INT, KIT.expr("x")), env)[:3].tolist() == [2, -2, 0]
    assert evaluate(Cast(DType.BOOL, KIT.expr("x")), env).tolist() == [True, True, False, True]
    mixed = evaluate(Select(KIT.expr("x > 0.0"), KIT.expr("n"), Const(0.5)), env)
    assert mixed.dtype == np.float64
    assert mixed.tolist() == [1.0, 0.5, 0.5, 0.5]
    assert evaluate(KIT.expr("n / 2.0"), env).tolist() == [0.5, 0.0, -1.5, 1.0]
    cmp = evaluate(KIT.expr("x != x"), env)
    assert cmp.tolist() == [False, False, False, True]


def test_names_scopes_time_and_precision():
    env = {"x": np.array([1.0, 2.0]), "pre.r": np.array([3.0, 4.0])}
    assert evaluate(KIT.expr("x * pre.r + t + dt"), env, t=10.0, dt=0.5).tolist() == [13.5, 18.5]
    out = evaluate(KIT.expr("x / 3.0"), env, real=np.float32)
    assert out.dtype == np.float32
    assert out.tobytes() == (np.float32([1.0, 2.0]) / np.float32(3.0)).tobytes()
    with pytest.raises(NotImplementedError, match="no value given for 'y'"):
        evaluate(KIT.expr("y"), env)
