"""Every operator, conversion and function of the IR lowered by the LLVM backend, against NumPy.

One population computes every case at once (one output attribute per case) from inputs drawn by
hypothesis; the reference is NumPy in the same precision. Arithmetic, comparisons, conversions and the
exactly rounded functions must match bit for bit; libm functions within a few ulp of NumPy's/SciPy's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from netkit import B, I, R, attr, compile_module, population_module, var

from nnc.backend.abi import StateKey
from nnc.ir.functions import FUNC_INFO, Func
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    Call,
    Cast,
    CmpOp,
    Compare,
    Const,
    Expr,
    Logic,
    LogicOp,
    Select,
    Unary,
    UnaryOp,
)
from nnc.ir.types import DType, ObjKind, Precision
from nnc.runtime.buffers import Buffers

N = 37  # not a multiple of any vector width: exercises vector bodies and scalar remainders
X, Y, Z, K, F = var("x"), var("y"), var("z"), var("n", I), var("flag", B)


def _c(v: float) -> Const:
    return Const(v)


def _call(f: Func, *args: Expr) -> Call:
    return Call(f, args)


POS_X = Binary(BinaryOp.ADD, _call(Func.FABS, X), _c(0.5))  # in [0.5, 20.5]: away from poles
UNIT_X = Binary(BinaryOp.DIV, X, _c(20.0))  # in [-1, 1]
SMALL_Y = Binary(BinaryOp.DIV, _call(Func.FABS, Y), _c(4.0))  # trunc() in [0, 5]

Ref = Callable[[dict[str, np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class Case:
    """One output: its IR expression, its NumPy reference and the allowed error in ulp (0: exact)."""

    name: str
    expr: Expr
    ref: Ref
    ulp: int = 0


def _pos_x(v: dict) -> np.ndarray:
    return np.abs(v["x"]) + v["x"].dtype.type(0.5)


def _unit_x(v: dict) -> np.ndarray:
    return v["x"] / v["x"].dtype.type(20.0)


def _c_round(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    r = np.floor(a)
    r = r + (a - r >= 0.5)
    return np.copysign(r, x).astype(x.dtype)


def _trunc_int(x: np.ndarray) -> np.ndarray:
    return np.trunc(x).astype(np.int32)


def _c_modulo(v: dict) -> np.ndarray:
    a, b = _trunc_int(v["x"]), _trunc_int(v["y"])
    safe = np.where((b == 0) | (b == -1), 1, b)
    return np.where((b == 0) | (b == -1), 0, np.fmod(a, safe)).astype(np.int32)


def _power_loop(v: dict) -> np.ndarray:
    x, n = v["x"], _trunc_int(np.abs(v["y"]) / v["y"].dtype.type(4.0))
    out = np.ones_like(x)
    for i in range(int(n.max(initial=0))):
        out = np.where(i < n, out * x, out)
    return out


def _unary_cases() -> list[Case]:
    math1 = {
        Func.EXP: (np.exp, X, lambda v: v["x"], 2),
        Func.LOG: (np.log, X, lambda v: v["x"], 2),
        Func.LOG10: (np.log10, X, lambda v: v["x"], 2),
        Func.LOG2: (np.log2, X, lambda v: v["x"], 2),
        Func.LOG1P: (np.log1p, X, lambda v: v["x"], 2),
        Func.EXPM1: (np.expm1, X, lambda v: v["x"], 2),
        Func.SQRT: (np.sqrt, X, lambda v: v["x"], 0),
        Func.CBRT: (np.cbrt, X, lambda v: v["x"], 2),
        Func.SIN: (np.sin, X, lambda v: v["x"], 2),
        Func.COS: (np.cos, X, lambda v: v["x"], 2),
        Func.TAN: (np.tan, X, lambda v: v["x"], 3),
        Func.ASIN: (np.arcsin, UNIT_X, _unit_x, 2),
        Func.ACOS: (np.arccos, UNIT_X, _unit_x, 2),
        Func.ATAN: (np.arctan, X, lambda v: v["x"], 2),
        Func.SINH: (np.sinh, X, lambda v: v["x"], 3),
        Func.COSH: (np.cosh, X, lambda v: v["x"], 3),
        Func.TANH: (np.tanh, X, lambda v: v["x"], 3),
        Func.FLOOR: (np.floor, X, lambda v: v["x"], 0),
        Func.CEIL: (np.ceil, X, lambda v: v["x"], 0),
        Func.TRUNC: (np.trunc, X, lambda v: v["x"], 0),
        Func.ROUND: (_c_round, X, lambda v: v["x"], 0),
        Func.FABS: (np.abs, X, lambda v: v["x"], 0),
        Func.ERF: (sp.erf, X, lambda v: v["x"], 4),
        Func.ERFC: (sp.erfc, X, lambda v: v["x"], 8),
        Func.TGAMMA: (sp.gamma, POS_X, _pos_x, 8),
        Func.LGAMMA: (sp.gammaln, POS_X, _pos_x, 16),
    }
    return [
        Case(f.value, _call(f, arg), lambda v, fn=fn, a=a: fn(a(v)).astype(v["x"].dtype), ulp)
        for f, (fn, arg, a, ulp) in math1.items()
    ]


def _binary_cases() -> list[Case]:
    def two(fn: Callable) -> Ref:
        return lambda v: fn(v["x"], v["y"]).astype(v["x"].dtype)

    return [
        Case("add", Binary(BinaryOp.ADD, X, Y), two(np.add)),
        Case("sub", Binary(BinaryOp.SUB, X, Y), two(np.subtract)),
        Case("mul", Binary(BinaryOp.MUL, X, Y), two(np.multiply)),
        Case("div", Binary(BinaryOp.DIV, X, Y), two(np.divide)),
        Case("pow_op", Binary(BinaryOp.POW, X, Y), two(np.power), 2),
        Case("f_pow", _call(Func.POW, X, Y), two(np.power), 2),
        Case("atan2", _call(Func.ATAN2, X, Y), two(np.arctan2), 2),
        Case("hypot", _call(Func.HYPOT, X, Y), two(np.hypot), 1),
        Case("fmax", _call(Func.FMAX, X, Y), two(np.fmax)),
        Case("fmin", _call(Func.FMIN, X, Y), two(np.fmin)),
        Case("fmod", _call(Func.FMOD, X, Y), two(np.fmod)),
        Case("neg_op", Unary(UnaryOp.NEG, X), lambda v: -v["x"]),
        Case("pos", _call(Func.POS, X), lambda v: np.where(v["x"] > 0, v["x"], 0).astype(v["x"].dtype)),
        Case("neg", _call(Func.NEG, X), lambda v: np.where(v["x"] < 0, v["x"], 0).astype(v["x"].dtype)),
        Case(
            "clip",
            _call(Func.CLIP, X, Y, Z),
            lambda v: np.where(v["x"] < v["y"], v["y"], np.where(v["x"] > v["z"], v["z"], v["x"])),
        ),
        Case("modulo", _call(Func.MODULO, X, Y), _c_modulo),
        Case("power3", _call(Func.POWER, X, _c(3.0)), lambda v: v["x"] * v["x"] * v["x"]),
        Case("power_n", _call(Func.POWER, X, SMALL_Y), _power_loop),
        Case(
            "isfinite",
            _call(Func.ISFINITE, Binary(BinaryOp.DIV, X, Y)),
            lambda v: np.isfinite(v["x"] / v["y"]),
        ),
        Case("isnan", _call(Func.ISNAN, Binary(BinaryOp.DIV, X, Y)), lambda v: np.isnan(v["x"] / v["y"])),
    ]


_CMP_REF = {
    CmpOp.LT: np.less,
    CmpOp.LE: np.less_equal,
    CmpOp.GT: np.greater,
    CmpOp.GE: np.greater_equal,
    CmpOp.EQ: np.equal,
    CmpOp.NE: np.not_equal,
}


def _conversion_cases() -> list[Case]:
    def real(v: dict, a: np.ndarray) -> np.ndarray:
        return a.astype(v["x"].dtype)

    return [
        *(
            Case(f"cmp_{op.name}", Compare(op, X, Y), lambda v, f=f: f(v["x"], v["y"]))
            for op, f in _CMP_REF.items()
        ),
        Case("cmp_int", Compare(CmpOp.LT, K, X), lambda v: v["n"].astype(v["x"].dtype) < v["x"]),
        Case("and", Logic(LogicOp.AND, F, Compare(CmpOp.GT, X, Y)), lambda v: v["flag"] & (v["x"] > v["y"])),
        Case("or_real", Logic(LogicOp.OR, X, K), lambda v: (v["x"] != 0) | (v["n"] != 0)),
        Case("not", Unary(UnaryOp.NOT, F), lambda v: ~v["flag"]),
        Case("select", Select(F, X, Y), lambda v: np.where(v["flag"], v["x"], v["y"])),
        Case("select_mixed", Select(F, K, X), lambda v: np.where(v["flag"], real(v, v["n"]), v["x"])),
        Case(
            "select_int",
            Select(Compare(CmpOp.GT, X, Y), K, Const(7, DType.INT)),
            lambda v: np.where(v["x"] > v["y"], v["n"], 7).astype(np.int32),
        ),
        Case("int_plus_real", Binary(BinaryOp.ADD, K, X), lambda v: real(v, v["n"]) + v["x"]),
        Case("bool_times_real", Binary(BinaryOp.MUL, F, X), lambda v: real(v, v["flag"]) * v["x"]),
        Case("cast_int", Cast(DType.INT, X), lambda v: _trunc_int(v["x"])),
        Case("cast_real", Cast(DType.REAL, K), lambda v: real(v, v["n"])),
        Case("cast_bool_real", Cast(DType.BOOL, X), lambda v: v["x"] != 0),
        Case("cast_bool_int", Cast(DType.BOOL, K), lambda v: v["n"] != 0),
        Case("cast_int_bool", Cast(DType.INT, F), lambda v: v["flag"].astype(np.int32)),
        Case("int_const", Const(-3, DType.INT), lambda v: np.full(N, -3, np.int32)),
        Case("bool_const", Const(True, DType.BOOL), lambda v: np.ones(N, bool)),
    ]


CASES = _unary_cases() + _binary_cases() + _conversion_cases()
#: Cases whose value is assigned to an attribute of another type (Assign converts).
ASSIGN_CASES = [
    ("int_from_real", I, X, lambda v: _trunc_int(v["x"])),
    ("bool_from_real", B, X, lambda v: v["x"] != 0),
    ("real_from_bool", R, F, lambda v: v["flag"].astype(v["x"].dtype)),
]


def test_every_function_has_a_case() -> None:
    covered = {c.expr.func for c in CASES if isinstance(c.expr, Call)}
    assert covered == set(Func), set(Func) - covered


def _module(precision: Precision):
    ins = (attr("x"), attr("y"), attr("z"), attr("n", I), attr("flag", B))
    outs = tuple(attr(f"o_{c.name}", c.expr.dtype) for c in CASES)
    outs += tuple(attr(f"o_{name}", t) for name, t, _, _ in ASSIGN_CASES)
    eqs = tuple(Assign(var(f"o_{c.name}", c.expr.dtype), c.expr) for c in CASES)
    eqs += tuple(Assign(var(f"o_{name}", t), e) for name, t, e, _ in ASSIGN_CASES)
    return population_module(ins + outs, eqs, N, precision)


@pytest.fixture(scope="module", params=[Precision.F64, Precision.F32], ids=["f64", "f32"])
def engine(request: pytest.FixtureRequest):
    eng = compile_module(_module(request.param))
    yield eng
    eng.close()


def _close(got: np.ndarray, want: np.ndarray, ulp: int) -> np.ndarray:
    """Element-wise: equal (NaN = NaN), or within ``ulp`` ulp (plus ``ulp`` eps near 0)."""
    if got.dtype.kind != "f":
        return got == want
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    if ulp == 0:
        return same
    scale = np.spacing(np.maximum(np.abs(got), np.abs(want)).astype(got.dtype))
    with np.errstate(invalid="ignore"):
        near = np.abs(got.astype(np.float64) - want.astype(np.float64)) <= ulp * (
            scale + np.finfo(got.dtype).eps
        )
    return same | near


finite = st.floats(-20, 20, allow_nan=False, width=32)


@settings(max_examples=25, deadline=None)
@given(
    x=arrays(np.float64, N, elements=finite),
    y=arrays(np.float64, N, elements=finite | st.sampled_from([0.0, 1.0, -1.0, 2.5, -0.5])),
    z=arrays(np.float64, N, elements=finite),
    n=arrays(np.int32, N, elements=st.integers(-50, 50)),
    flag=arrays(np.bool_, N),
)
def test_ops_match_numpy(engine, x, y, z, n, flag) -> None:
    real = np.dtype(np.float64 if engine.module.precision is Precision.F64 else np.float32)
    buf = Buffers(engine.module, engine.layout, {})
    values = {"x": x.astype(real), "y": y.astype(real), "z": z.astype(real), "n": n, "flag": flag}
    for name, v in values.items():
        buf.array(StateKey(ObjKind.POPULATION, 0, name))[:] = v
    assert engine.run(buf, 1) == 1
    failures = []
    with np.errstate(all="ignore"):
        checks = [(c.name, c.ref, c.ulp) for c in CASES] + [(nm, ref, 0) for nm, _, _, ref in ASSIGN_CASES]
        for name, ref, ulp in checks:
            got = buf.array(StateKey(ObjKind.POPULATION, 0, f"o_{name}"))
            want = np.asarray(ref(values))
            want = want.astype(got.dtype) if got.dtype.kind != "u" else (want != 0).astype(np.uint8)
            ok = _close(got, want, ulp)
            if not ok.all():
                i = int(np.argmin(ok))
                failures.append(
                    f"{name}: x={values['x'][i]!r} y={values['y'][i]!r} got {got[i]!r} want {want[i]!r}"
                )
    assert not failures, "\n".join(failures)


def test_result_types_follow_the_function_table() -> None:
    for c in CASES:
        if isinstance(c.expr, Call):
            assert c.expr.dtype is FUNC_INFO[c.expr.func].result
