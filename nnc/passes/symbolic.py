"""Algebra on IR expressions for the discretise pass: solving for ``dx/dt`` and linear decompositions.

Three tools, all IR in and IR out:

* :func:`solve_derivative` — ``lhs = rhs`` → ``f`` with ``dx/dt = f``. An IR-level affine decomposition
  keeps the user's arrangement (``tau*dv/dt + v = I`` → ``(I - v) / tau``); only when ``dx/dt``
  appears on both sides, or inside a product/quotient of two derivative-carrying factors, does it fall
  back to sympy (imported lazily: about 0.5-1 s), converting IR → sympy → IR at once.
* :func:`expand` — a sum-of-products normal form with exact rational coefficients, over opaque atoms
  (function calls, conditionals, non-integer powers, divisions by sums).
* :func:`collect` — split such a sum into the coefficients of chosen unknowns (``dx/dt`` and the
  variables of a system), the remainder, and whether anything is not linear in the unknowns.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import isfinite

from nnc.ir.nodes import Binary, BinaryOp, Const, Deriv, Expr, Unary, UnaryOp, Var, walk
from nnc.ir.types import DType, Scope

ONE = Const(1.0)
ZERO = Const(0.0)
MINUS_ONE = Unary(UnaryOp.NEG, ONE)

#: products with more terms than this keep their factors as opaque atoms
MAX_TERMS = 256


# ------------------------------------------------------------------------------------------------
# small builders (None stands for zero)


def add(a: Expr | None, b: Expr | None) -> Expr | None:
    """``a + b``."""
    if a is None or b is None:
        return b if a is None else a
    if isinstance(b, Unary) and b.op is UnaryOp.NEG:
        return Binary(BinaryOp.SUB, a, b.operand)
    return Binary(BinaryOp.ADD, a, b)


def neg(a: Expr | None) -> Expr | None:
    """``-a``."""
    if a is None:
        return None
    if isinstance(a, Unary) and a.op is UnaryOp.NEG:
        return a.operand
    return Unary(UnaryOp.NEG, a)


def sub(a: Expr | None, b: Expr | None) -> Expr | None:
    """``a - b``."""
    if b is None:
        return a
    if a is None:
        return neg(b)
    return Binary(BinaryOp.SUB, a, b)


def mul(a: Expr, b: Expr) -> Expr:
    """``a * b``, dropping a factor that is exactly the literal 1 (or turning -1 into a negation)."""
    if a == ONE:
        return b
    if b == ONE:
        return a
    if a == MINUS_ONE or b == MINUS_ONE:
        return neg(b if a == MINUS_ONE else a) or ZERO
    if isinstance(a, Binary) and a.op is BinaryOp.DIV and a.rhs == b:  # (x / k) * k = x, exactly
        return a.lhs
    return Binary(BinaryOp.MUL, a, b)


def div(a: Expr, b: Expr) -> Expr:
    """``a / b``, with ``a / a = 1``, ``a / 1 = a``, ``a / -1 = -a`` and ``a / (1/k) = a * k``.

    ``a / a = 1`` keeps exact steady states exact: ``dx/dt = (1 - x)/tau`` has ``S = (1/tau)/(1/tau)``,
    which is 1 and not ``1/tau * tau`` (0.9999999999999999 for tau = 49).
    """
    if a == b:
        return ONE
    match b:
        case Const(value=1.0):
            return a
        case Unary(op=UnaryOp.NEG, operand=Const(value=1.0)):
            return neg(a) or ZERO
        case Binary(op=BinaryOp.DIV, lhs=Const(value=1.0), rhs=k):
            return mul(a, k)
    return Binary(BinaryOp.DIV, a, b)


def contains(e: Expr, node: Expr) -> bool:
    """Whether ``node`` occurs in ``e``."""
    return any(n == node for n in walk(e))


def self_var(name: str, e: Expr) -> bool:
    """Whether ``e`` is the owner's attribute ``name``."""
    return isinstance(e, Var) and e.name == name and e.scope is Scope.SELF


# ------------------------------------------------------------------------------------------------
# solving for the derivative


def _affine(e: Expr, d: Deriv) -> tuple[Expr | None, Expr | None] | None:
    """``(a, r)`` with ``e = a·d + r`` keeping the written structure, or None if not affine in ``d``."""
    if not contains(e, d):
        return None, e
    match e:
        case Deriv():
            return ONE, None
        case Unary(op=UnaryOp.NEG, operand=x):
            inner = _affine(x, d)
            return None if inner is None else (neg(inner[0]), neg(inner[1]))
        case Binary(op=BinaryOp.ADD | BinaryOp.SUB as op, lhs=x, rhs=y):
            ax, ay = _affine(x, d), _affine(y, d)
            if ax is None or ay is None:
                return None
            comb = add if op is BinaryOp.ADD else sub
            return comb(ax[0], ay[0]), comb(ax[1], ay[1])
        case Binary(op=BinaryOp.MUL, lhs=x, rhs=y) if not contains(x, d) or not contains(y, d):
            k, inner = (x, _affine(y, d)) if not contains(x, d) else (y, _affine(x, d))
            if inner is None:
                return None
            return tuple(None if c is None else mul(k, c) for c in inner)  # type: ignore[return-value]
        case Binary(op=BinaryOp.DIV, lhs=x, rhs=y) if not contains(y, d):
            inner = _affine(x, d)
            if inner is None:
                return None
            return tuple(None if c is None else div(c, y) for c in inner)  # type: ignore[return-value]
    return None


def solve_derivative(name: str, lhs: Expr, rhs: Expr) -> Expr | None:
    """``f`` with ``d<name>/dt = f`` for the equation ``lhs = rhs``; None if it is not linear in it."""
    d = Deriv(name)
    left, right = _affine(lhs, d), _affine(rhs, d)
    if left is not None and right is not None and (left[0] is None) != (right[0] is None):
        if right[0] is None:  # a·d + r_l = r_r  →  d = (r_r - r_l) / a
            return div(sub(right[1], left[1]) or ZERO, left[0])  # type: ignore[arg-type]
        return div(sub(left[1], right[1]) or ZERO, right[0])  # type: ignore[arg-type]
    from nnc.passes.symbolic_sympy import solve_linear  # lazy: sympy is slow to import

    return solve_linear(d, lhs, rhs)


# ------------------------------------------------------------------------------------------------
# expansion into a sum of products


@dataclass(frozen=True, slots=True)
class Term:
    """``coef · Π num / Π den`` with an exact rational coefficient."""

    coef: Fraction
    num: tuple[Expr, ...] = ()
    den: tuple[Expr, ...] = ()

    def scaled(self, k: Fraction) -> Term:
        """The term times ``k``."""
        return Term(self.coef * k, self.num, self.den)


def _product(xs: list[Term], ys: list[Term]) -> list[Term]:
    return [Term(a.coef * b.coef, a.num + b.num, a.den + b.den) for a in xs for b in ys]


def _const_fraction(e: Expr) -> Fraction | None:
    if isinstance(e, Const) and e.type is DType.REAL and isfinite(float(e.value)):
        return Fraction(float(e.value))
    return None


def expand(e: Expr) -> list[Term]:
    """``e`` as a sum of :class:`Term` s (anything but + - * / and small integer powers is an atom)."""
    value = _const_fraction(e)
    if value is not None:
        return [Term(value)] if value else []
    match e:
        case Unary(op=UnaryOp.NEG, operand=x):
            return [t.scaled(Fraction(-1)) for t in expand(x)]
        case Binary(op=BinaryOp.ADD, lhs=x, rhs=y):
            return expand(x) + expand(y)
        case Binary(op=BinaryOp.SUB, lhs=x, rhs=y):
            return expand(x) + [t.scaled(Fraction(-1)) for t in expand(y)]
        case Binary(op=BinaryOp.MUL, lhs=x, rhs=y):
            xs, ys = expand(x), expand(y)
            if len(xs) * len(ys) <= MAX_TERMS:
                return _product(xs, ys)
        case Binary(op=BinaryOp.DIV, lhs=x, rhs=y):
            ys = expand(y)
            if len(ys) == 1 and ys[0].coef:
                t = ys[0]
                return _product(expand(x), [Term(1 / t.coef, t.den, t.num)])
            return _product(expand(x), [Term(Fraction(1), (), (y,))])
        case Binary(op=BinaryOp.POW, lhs=x, rhs=Const(value=n)) if float(n) in (2.0, 3.0, 4.0):
            xs = expand(x)
            result = xs
            for _ in range(int(n) - 1):
                if len(result) * len(xs) > MAX_TERMS:
                    return [Term(Fraction(1), (e,))]
                result = _product(result, xs)
            return result
    return [Term(Fraction(1), (e,))]


def render(terms: list[Term]) -> Expr | None:
    """IR of a sum of terms (None for the empty sum)."""
    out: Expr | None = None
    for t in terms:
        mag = abs(t.coef)
        factors = ([] if mag == 1 else [Const(float(mag))]) + list(t.num)
        body: Expr = factors[0] if factors else ONE
        for f in factors[1:]:
            body = Binary(BinaryOp.MUL, body, f)
        if t.den:
            den = t.den[0]
            for f in t.den[1:]:
                den = Binary(BinaryOp.MUL, den, f)
            body = Binary(BinaryOp.DIV, body, den)
        out = add(out, body) if t.coef > 0 else sub(out, body)
    return out


# ------------------------------------------------------------------------------------------------
# coefficients of unknowns


@dataclass(frozen=True, slots=True)
class Collected:
    """A sum split by unknown: ``Σ_u coef[u]·u + rest``, plus terms that are not linear in them.

    ``rest`` keeps the original order and includes the ``nonpoly`` terms.
    """

    coef: dict[Expr, list[Term]]
    rest: list[Term]
    nonlinear: list[Term]
    nonpoly: list[Term]


def collect(terms: list[Term], unknowns: tuple[Expr, ...]) -> Collected:
    """Split ``terms`` by the unknown each is linear in.

    A term goes to ``nonlinear`` if it multiplies two unknowns (or one twice), to ``nonpoly`` (and
    ``rest``) if an unknown occurs inside one of its atoms or in its denominator (``exp(x)``,
    ``1/x``), else to the coefficient list of its unknown (with that factor removed) or to ``rest``.
    """
    coef: dict[Expr, list[Term]] = {u: [] for u in unknowns}
    rest: list[Term] = []
    nonlinear: list[Term] = []
    nonpoly: list[Term] = []
    for t in terms:
        bare = [i for i, f in enumerate(t.num) if f in coef]
        hidden = any(contains(f, u) for u in unknowns for f in t.den) or any(
            contains(f, u) for i, f in enumerate(t.num) if i not in bare for u in unknowns
        )
        if len(bare) > 1:
            nonlinear.append(t)
        elif hidden:
            nonpoly.append(t)
            rest.append(t)
        elif bare:
            i = bare[0]
            coef[t.num[i]].append(Term(t.coef, t.num[:i] + t.num[i + 1 :], t.den))
        else:
            rest.append(t)
    return Collected(coef, rest, nonlinear, nonpoly)
