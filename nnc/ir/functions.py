"""The table of built-in and math functions of the DSL (DSL.md §6): names, arity, result type."""

from __future__ import annotations

from dataclasses import dataclass

from nnc.ir.types import DType, Enum


class Func(Enum):
    """Every function an IR ``Call`` may name. User functions are inlined by the frontend."""

    # DSL built-ins
    POS = "pos"
    NEG = "neg"
    CLIP = "clip"
    MODULO = "modulo"
    POWER = "power"
    ROUND = "round"
    FABS = "fabs"
    ISFINITE = "isfinite"
    ISNAN = "isnan"
    # <cmath>
    EXP = "exp"
    LOG = "log"
    LOG10 = "log10"
    LOG2 = "log2"
    LOG1P = "log1p"
    EXPM1 = "expm1"
    SQRT = "sqrt"
    CBRT = "cbrt"
    SIN = "sin"
    COS = "cos"
    TAN = "tan"
    ASIN = "asin"
    ACOS = "acos"
    ATAN = "atan"
    SINH = "sinh"
    COSH = "cosh"
    TANH = "tanh"
    FLOOR = "floor"
    CEIL = "ceil"
    TRUNC = "trunc"
    ERF = "erf"
    ERFC = "erfc"
    TGAMMA = "tgamma"
    LGAMMA = "lgamma"
    POW = "pow"
    ATAN2 = "atan2"
    HYPOT = "hypot"
    FMAX = "fmax"
    FMIN = "fmin"
    FMOD = "fmod"


@dataclass(frozen=True, slots=True)
class FuncInfo:
    """Arity and result type of a function."""

    arity: int
    result: DType


_REAL1 = FuncInfo(1, DType.REAL)
_REAL2 = FuncInfo(2, DType.REAL)

FUNC_INFO: dict[Func, FuncInfo] = {f: _REAL1 for f in Func}
FUNC_INFO.update(
    {
        Func.CLIP: FuncInfo(3, DType.REAL),
        Func.MODULO: FuncInfo(2, DType.INT),
        Func.POWER: _REAL2,
        Func.ISFINITE: FuncInfo(1, DType.BOOL),
        Func.ISNAN: FuncInfo(1, DType.BOOL),
        Func.POW: _REAL2,
        Func.ATAN2: _REAL2,
        Func.HYPOT: _REAL2,
        Func.FMAX: _REAL2,
        Func.FMIN: _REAL2,
        Func.FMOD: _REAL2,
    }
)

#: DSL spelling -> function. Aliases included (``ln``, ``abs``, ``positive``, ``ceiling`` ...).
FUNC_BY_NAME: dict[str, Func] = {f.value: f for f in Func}
FUNC_BY_NAME.update(
    {
        "positive": Func.POS,
        "negative": Func.NEG,
        "abs": Func.FABS,
        "ln": Func.LOG,
        "ceiling": Func.CEIL,
    }
)
