"""Element-wise NumPy evaluation of IR expressions: the reference meaning of every operator and function.

Every value is a NumPy array (or 0-d array / NumPy scalar) holding one entry per element of the
enclosing loop; types follow :class:`DType` (``REAL`` → the module float type, ``INT`` → int32,
``BOOL`` → bool). The implicit conversions are those documented at the top of :mod:`nnc.ir.nodes`.
All real arithmetic is done in the module precision: float32 mode computes in float32 (NumPy float32
arithmetic is IEEE single precision, correctly rounded for ``+ - * /`` and ``sqrt``).

The functions of :data:`nnc.ir.transcendental.DSL_MATH` are nnc's own (as in generated code); the other
transcendental functions call the C library, as generated code does.

Leaves that depend on where the expression is evaluated (attributes, inputs, temporaries, ``t``,
``dt``, random draws and reductions) are delegated to a :class:`Leaves` object.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable
from typing import Protocol

import numpy as np

from nnc.ir.functions import Func
from nnc.ir.nodes import (
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
from nnc.ir.transcendental import DSL_MATH
from nnc.ir.transcendental import evaluate as evaluate_math
from nnc.ir.types import DType

Array = np.ndarray


class Leaves(Protocol):
    """Where leaf values come from (the interpreter's loop levels, or a plain name → array mapping)."""

    real: np.dtype

    def leaf(self, node: Expr) -> Array:
        """Value of a leaf node (``Var``, ``Input``, ``Temp``, ``Time``, ``Random`` ...)."""
        ...


# ------------------------------------------------------------------------------------------------
# conversions


def to_real(x: Array, real: np.dtype) -> Array:
    """Convert to the model float type (bool → 0/1, int → real)."""
    return np.asarray(x).astype(real, copy=False)


def to_bool(x: Array) -> Array:
    """Convert to bool (non-zero → true)."""
    x = np.asarray(x)
    return x if x.dtype == np.bool_ else x != 0


def to_int(x: Array) -> Array:
    """Convert to int32: reals truncate toward zero (C semantics; NaN/inf/overflow are undefined)."""
    x = np.asarray(x)
    if x.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            return np.trunc(x).astype(np.int32)
    return x.astype(np.int32)


def convert(x: Array, dtype: DType, real: np.dtype) -> Array:
    """Convert ``x`` to the IR type ``dtype`` (the rules of ``Assign`` and ``Cast``)."""
    match dtype:
        case DType.REAL:
            return to_real(x, real)
        case DType.INT:
            return to_int(x)
    return to_bool(x)


def ir_type_of(x: Array) -> DType:
    """IR type of an evaluated value."""
    kind = np.asarray(x).dtype.kind
    return DType.REAL if kind == "f" else DType.BOOL if kind == "b" else DType.INT


# ------------------------------------------------------------------------------------------------
# functions (DSL.md §6): one entry per Func, arguments already converted to REAL


def _pos(x: Array) -> Array:
    return np.where(x > 0, x, np.zeros_like(x))


def _neg(x: Array) -> Array:
    return np.where(x < 0, x, np.zeros_like(x))


def _clip(x: Array, a: Array, b: Array) -> Array:
    """``a if x < a else (b if x > b else x)``."""
    return np.where(x < a, a, np.where(x > b, b, x))


def _modulo(a: Array, b: Array) -> Array:
    """C ``%`` on truncated ints (sign of the dividend); ``x % 0`` is undefined in C, 0 here."""
    ia, ib = to_int(a), to_int(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.fmod(ia, np.where(ib == 0, 1, ib)) * (ib != 0)


def _power(x: Array, n: Array) -> Array:
    """``x`` multiplied ``int(n)`` times, left to right (``n <= 0`` gives 1)."""
    count = to_int(n)
    x, count = np.broadcast_arrays(x, count)
    result = np.ones_like(x)
    top = int(count.max()) if count.size else 0
    for i in range(top):
        result = np.where(i < count, x if i == 0 else result * x, result)
    return result


def _round(x: Array) -> Array:
    """C ``round``: half away from zero (exact: ``x - trunc(x)`` is representable)."""
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t)


@functools.cache
def _libm_symbol(name: str, ctype: type, arity: int) -> Callable[..., float]:
    """The C math library's ``name`` taking and returning ``ctype`` (the function generated code calls)."""
    lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    fn = getattr(lib, name)
    fn.restype = ctype
    fn.argtypes = [ctype] * arity
    return fn


def _libm(name: str, arity: int = 1) -> Callable[..., Array]:
    """Element-wise ``name`` of the C math library: ``name`` for doubles, ``name + 'f'`` for floats.

    Generated code calls the C library for these functions (or LLVM intrinsics that become such calls),
    so the reference interpreter calls it too: the engines agree bit for bit.
    """

    def apply(*xs: Array) -> Array:
        arrays = np.broadcast_arrays(*(np.asarray(x) for x in xs))
        dtype = arrays[0].dtype
        single = dtype == np.float32
        fn = _libm_symbol(
            name + "f" if single else name, ctypes.c_float if single else ctypes.c_double, arity
        )
        ufunc = np.frompyfunc(fn, arity, 1)
        return np.asarray(ufunc(*(a.astype(dtype) for a in arrays)), dtype=dtype)

    return apply


def _special(name: str) -> Callable[[Array], Array]:
    def apply(x: Array) -> Array:
        import scipy.special  # lazy: only models using erf/gamma pay for the import

        return np.asarray(getattr(scipy.special, name)(x)).astype(x.dtype)

    return apply


FUNC_IMPL: dict[Func, Callable[..., Array]] = {
    Func.POS: _pos,
    Func.NEG: _neg,
    Func.CLIP: _clip,
    Func.MODULO: _modulo,
    Func.POWER: _power,
    Func.ROUND: _round,
    Func.FABS: np.abs,
    Func.ISFINITE: np.isfinite,
    Func.ISNAN: np.isnan,
    Func.EXP: _libm("exp"),
    Func.LOG: _libm("log"),
    Func.LOG10: _libm("log10"),
    Func.LOG2: _libm("log2"),
    Func.LOG1P: _libm("log1p"),
    Func.EXPM1: _libm("expm1"),
    Func.SQRT: np.sqrt,
    Func.CBRT: _libm("cbrt"),
    Func.SIN: _libm("sin"),
    Func.COS: _libm("cos"),
    Func.TAN: _libm("tan"),
    Func.ASIN: _libm("asin"),
    Func.ACOS: _libm("acos"),
    Func.ATAN: _libm("atan"),
    Func.SINH: _libm("sinh"),
    Func.COSH: _libm("cosh"),
    Func.TANH: _libm("tanh"),
    Func.FLOOR: np.floor,
    Func.CEIL: np.ceil,
    Func.TRUNC: np.trunc,
    Func.ERF: _libm("erf"),
    Func.ERFC: _libm("erfc"),
    Func.TGAMMA: _libm("tgamma"),
    Func.LGAMMA: _libm("lgamma"),
    Func.POW: _libm("pow", 2),
    Func.ATAN2: _libm("atan2", 2),
    Func.HYPOT: _libm("hypot", 2),
    Func.FMAX: np.fmax,
    Func.FMIN: np.fmin,
    Func.FMOD: np.fmod,
}


def call_func(f: Func, values: list[Array]) -> Array:
    """``f`` of real arguments: nnc's own function when :data:`DSL_MATH` names it, else ``FUNC_IMPL``'s."""
    own = DSL_MATH.get(f)
    if own is not None:
        return evaluate_math(own, values[0])
    return FUNC_IMPL[f](*values)


_BINARY: dict[BinaryOp, Callable[[Array, Array], Array]] = {
    BinaryOp.ADD: np.add,
    BinaryOp.SUB: np.subtract,
    BinaryOp.MUL: np.multiply,
    BinaryOp.DIV: np.divide,
    BinaryOp.POW: np.power,
}
_COMPARE: dict[CmpOp, Callable[[Array, Array], Array]] = {
    CmpOp.LT: np.less,
    CmpOp.LE: np.less_equal,
    CmpOp.GT: np.greater,
    CmpOp.GE: np.greater_equal,
    CmpOp.EQ: np.equal,
    CmpOp.NE: np.not_equal,
}
_LOGIC: dict[LogicOp, Callable[[Array, Array], Array]] = {
    LogicOp.AND: np.logical_and,
    LogicOp.OR: np.logical_or,
}


# ------------------------------------------------------------------------------------------------
# evaluation


def eval_expr(e: Expr, leaves: Leaves) -> Array:
    """Value of ``e`` for every element, in the IR type of ``e``."""
    real = leaves.real
    match e:
        case Const(value=v, type=t):
            return convert(np.asarray(v), t, real)
        case Unary(op=UnaryOp.NEG, operand=a):
            return np.negative(to_real(eval_expr(a, leaves), real))
        case Unary(op=UnaryOp.NOT, operand=a):
            return np.logical_not(to_bool(eval_expr(a, leaves)))
        case Binary(op=op, lhs=a, rhs=b):
            x, y = (to_real(eval_expr(s, leaves), real) for s in (a, b))
            return np.asarray(_BINARY[op](x, y)).astype(real, copy=False)
        case Compare(op=op, lhs=a, rhs=b):
            x, y = (to_real(eval_expr(s, leaves), real) for s in (a, b))
            return np.asarray(_COMPARE[op](x, y))
        case Logic(op=op, lhs=a, rhs=b):
            return np.asarray(_LOGIC[op](to_bool(eval_expr(a, leaves)), to_bool(eval_expr(b, leaves))))
        case Call(func=f, args=args):
            values = [to_real(eval_expr(a, leaves), real) for a in args]
            return convert(np.asarray(call_func(f, values)), e.dtype, real)
        case Select(cond=c, if_true=a, if_false=b):
            cond = to_bool(eval_expr(c, leaves))
            x, y = (convert(eval_expr(s, leaves), e.dtype, real) for s in (a, b))
            return np.where(cond, x, y)
        case Cast(type=t, operand=a):
            return convert(eval_expr(a, leaves), t, real)
    return leaves.leaf(e)


# ------------------------------------------------------------------------------------------------
# single expressions over named arrays


class _NamedLeaves:
    """Leaves looked up by their printed name (``v``, ``pre.r``, ``sum(exc)``, temporaries by name)."""

    def __init__(self, env: dict[str, Array], real: np.dtype, t: float, dt: float):
        self.env = env
        self.real = real
        self.t = t
        self.dt = dt

    def leaf(self, node: Expr) -> Array:
        from nnc.ir.nodes import Dt, Temp, Time
        from nnc.ir.printer import print_expr

        match node:
            case Time():
                return np.asarray(self.env.get("t", self.t)).astype(self.real)
            case Dt():
                return np.asarray(self.env.get("dt", self.dt)).astype(self.real)
            case Temp(name=n):
                key = n
            case _:
                key = print_expr(node)
        if key not in self.env:
            raise NotImplementedError(f"evaluate: no value given for '{key}' ({type(node).__name__})")
        return convert(np.asarray(self.env[key]), node.dtype, self.real)


def evaluate(
    expr: Expr,
    env: dict[str, Array],
    *,
    real: np.dtype | type = np.float64,
    t: float = 0.0,
    dt: float = 1.0,
) -> Array:
    """Evaluate one expression element-wise over the arrays of ``env``.

    ``env`` maps printed leaf names to values: attributes by name (``v``, ``pre.r``, ``post.v``,
    ``const.c``), inputs as ``sum(exc)``, global operations as ``mean(r)``, temporaries (e.g. the
    parameters of a user function, which its body reads as ``Temp``) by their name; ``t`` and ``dt``
    come from the keyword arguments unless ``env`` has them. Random draws and reductions need the
    network context and are not supported here.
    """
    with np.errstate(all="ignore"):
        return eval_expr(expr, _NamedLeaves(env, np.dtype(real), t, dt))
