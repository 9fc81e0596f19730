"""The simplify pass: constant folding, IEEE-exact identities and common-subexpression elimination.

Folding evaluates an operation whose operands are all literals with the interpreter
(:func:`nnc.ir.evaluate.evaluate`) in the module precision (float32 modules fold in float32). Only
operations every backend computes exactly (correctly rounded or exact) are folded: ``+ - * /``,
negation, comparisons, logic, conditionals, casts and the exact built-ins of :data:`FOLDABLE`.
Transcendental functions (``exp``, ``log``, ``pow`` ...) are not folded, because libraries differ in
their last bit; neither are results that are not finite.

Identities applied (each is exact for every IEEE value, NaN, infinities and signed zeros included):
``x*1 = 1*x = x/1 = x``, ``x*(-1) = (-1)*x = x/(-1) = -x``, ``x + (-0.0) = (-0.0) + x = x``,
``x - (+0.0) = x``, ``-(-x) = x``, ``not not b = b``, ``cast(t, x) = x`` when ``x`` already has type
``t``, ``ite(true, a, b) = a``, ``ite(false, a, b) = b``, ``ite(c, a, a) = a``, ``true and b = b``,
``false or b = b``, ``false and b = false``, ``true or b = true`` (operands have no side effects).
Not applied, because they are not exact: ``x + 0.0`` (``-0.0 + 0.0 = +0.0``), ``0.0 - x``, ``x*0``,
``x - x``, ``x/x``, re-association and distribution.

CSE: within one statement list, a pure non-leaf sub-expression that occurs at least twice between two
writes of anything it reads is bound once by a ``Let`` placed before its first use (largest first). The
value of a ``Reduce`` is per synapse and is never split. Loops and ODEs end every such range.

Pre: the module verifies. Post: it verifies, computes the same values (bit for bit, in the
interpreter), and a second run changes nothing (idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from nnc.backend.abi import real_dtype
from nnc.ir.evaluate import evaluate
from nnc.ir.functions import Func
from nnc.ir.model import Kernel, Module
from nnc.ir.nodes import (
    Binary,
    BinaryOp,
    Call,
    Cast,
    Compare,
    Const,
    Expr,
    Let,
    Logic,
    LogicOp,
    Select,
    Stmt,
    Unary,
    UnaryOp,
    children,
    walk_stmts,
    with_children,
)
from nnc.ir.types import DType
from nnc.passes.memo import KernelMemo
from nnc.passes.registry import register
from nnc.passes.simplify_cse import canon, cse_body

#: functions folded at compile time (exact in IEEE arithmetic, or defined by exact operations)
FOLDABLE = frozenset(
    {
        Func.POS,
        Func.NEG,
        Func.CLIP,
        Func.MODULO,
        Func.POWER,
        Func.ROUND,
        Func.FABS,
        Func.ISFINITE,
        Func.ISNAN,
        Func.SQRT,
        Func.FLOOR,
        Func.CEIL,
        Func.TRUNC,
        Func.FMAX,
        Func.FMIN,
        Func.FMOD,
    }
)


def _is_const(e: Expr, value: float | None = None, sign: int = 0) -> bool:
    """Whether ``e`` is a real literal (equal to ``value``, with sign bit ``sign`` when given)."""
    if not isinstance(e, Const) or e.type is not DType.REAL:
        return False
    if value is None:
        return True
    v = float(e.value)
    return v == value and (sign == 0 or np.signbit(v) == (sign < 0))


def _as(e: Expr, dtype: DType) -> Expr:
    """``e`` converted to ``dtype`` (a ``Cast`` only when its type differs)."""
    return e if e.dtype is dtype else Cast(dtype, e)


def _foldable(e: Expr) -> bool:
    match e:
        case Binary(op=op):
            return op is not BinaryOp.POW
        case Call(func=f):
            return f in FOLDABLE
        case Unary() | Compare() | Logic() | Select() | Cast():
            return True
    return False


def _fold(e: Expr, real: np.dtype) -> Expr:
    kids = children(e)
    if not kids or not _foldable(e) or not all(isinstance(k, Const) for k in kids):
        return e
    value = np.asarray(evaluate(e, {}, real=real)).reshape(-1)[0]
    match e.dtype:
        case DType.REAL:
            return Const(float(value)) if np.isfinite(value) else e
        case DType.INT:
            return Const(int(value), DType.INT)
    return Const(bool(value), DType.BOOL)


def _identity(e: Expr) -> Expr:  # noqa: C901 - one case per identity
    """One identity step at the root of ``e`` (``e`` itself when none applies)."""
    match e:
        case Binary(op=BinaryOp.MUL, lhs=x, rhs=y) if _is_const(y, 1.0) or _is_const(x, 1.0):
            return _as(x if _is_const(y, 1.0) else y, DType.REAL)
        case Binary(op=BinaryOp.MUL, lhs=x, rhs=y) if _is_const(y, -1.0) or _is_const(x, -1.0):
            return Unary(UnaryOp.NEG, x if _is_const(y, -1.0) else y)
        case Binary(op=BinaryOp.DIV, lhs=x, rhs=y) if _is_const(y, 1.0):
            return _as(x, DType.REAL)
        case Binary(op=BinaryOp.DIV, lhs=x, rhs=y) if _is_const(y, -1.0):
            return Unary(UnaryOp.NEG, x)
        case Binary(op=BinaryOp.ADD, lhs=x, rhs=y) if _is_const(y, 0.0, -1) or _is_const(x, 0.0, -1):
            return _as(x if _is_const(y, 0.0, -1) else y, DType.REAL)
        case Binary(op=BinaryOp.SUB, lhs=x, rhs=y) if _is_const(y, 0.0, 1):
            return _as(x, DType.REAL)
        case Unary(op=UnaryOp.NEG, operand=Unary(op=UnaryOp.NEG, operand=x)):
            return _as(x, DType.REAL)
        case Unary(op=UnaryOp.NOT, operand=Unary(op=UnaryOp.NOT, operand=x)):
            return _as(x, DType.BOOL)
        case Cast(type=t, operand=x) if x.dtype is t:
            return x
        case Select(cond=Const(value=c), if_true=a, if_false=b):
            return _as(a if c else b, e.dtype)
        case Select(if_true=a, if_false=b) if canon(a) == canon(b):
            return _as(a, e.dtype)
        case Logic(op=op, lhs=Const(value=c), rhs=x) | Logic(op=op, lhs=x, rhs=Const(value=c)):
            absorbing = op is LogicOp.OR
            return Const(absorbing, DType.BOOL) if bool(c) is absorbing else _as(x, DType.BOOL)
    return e


def simplify_expr(e: Expr, real: np.dtype) -> Expr:
    """``e`` folded and reduced by the identities, bottom-up, to a fixed point."""
    kids = children(e)
    if kids:
        new = tuple(simplify_expr(k, real) for k in kids)
        if new != kids:
            e = with_children(e, new)
    while True:
        nxt = _identity(_fold(e, real))
        if canon(nxt) == canon(e):
            return e
        e = simplify_expr(nxt, real) if children(nxt) != children(e) else nxt


def _body(body: tuple[Stmt, ...], real: np.dtype) -> tuple[Stmt, ...]:
    names = {s.name for s in walk_stmts(body) if isinstance(s, Let)}
    return cse_body(body, lambda e: simplify_expr(e, real), names)


def _kernel(k: Kernel, real: np.dtype, memo: KernelMemo[tuple[Stmt, ...]]) -> Kernel:
    body = memo.get(k.body, None, lambda: _body(k.body, real))
    return k if body == k.body else replace(k, body=body)


@register("simplify", default=True)
@dataclass(frozen=True, slots=True)
class Simplify:
    """Fold constants, apply exact identities and eliminate common subexpressions (module docstring)."""

    name: ClassVar[str] = "simplify"

    def __call__(self, module: Module) -> Module:
        real = real_dtype(module.precision)
        memo: KernelMemo[tuple[Stmt, ...]] = KernelMemo()
        return replace(module, kernels=tuple(_kernel(k, real, memo) for k in module.kernels))
