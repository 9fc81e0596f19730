"""The sympy fallback of :func:`nnc.passes.symbolic.solve_derivative` (imported only when needed).

Only sub-expressions that contain the derivative are converted structurally; every derivative-free
sub-expression becomes one opaque symbol and comes back as the very same IR node, so nothing but the
solved arrangement changes and no strings are involved.
"""

from __future__ import annotations

import sympy as sp

from nnc.ir.nodes import Binary, BinaryOp, Const, Deriv, Expr, Unary, UnaryOp
from nnc.passes.symbolic import ONE, contains


class _NotLinearError(Exception):
    """The derivative occurs where sympy's linear solve cannot use it."""


class _Converter:
    def __init__(self, d: Deriv):
        self.d = d
        self.dsym = sp.Symbol("__deriv")
        self.atoms: dict[Expr, sp.Symbol] = {}
        self.back: dict[sp.Symbol, Expr] = {}

    def to_sympy(self, e: Expr) -> sp.Expr:
        if e == self.d:
            return self.dsym
        if not contains(e, self.d):
            if e not in self.atoms:
                sym = sp.Symbol(f"__a{len(self.atoms)}")
                self.atoms[e], self.back[sym] = sym, e
            return self.atoms[e]
        match e:
            case Unary(op=UnaryOp.NEG, operand=x):
                return -self.to_sympy(x)
            case Binary(op=op, lhs=x, rhs=y):
                a, b = self.to_sympy(x), self.to_sympy(y)
                return {
                    BinaryOp.ADD: lambda: a + b,
                    BinaryOp.SUB: lambda: a - b,
                    BinaryOp.MUL: lambda: a * b,
                    BinaryOp.DIV: lambda: a / b,
                    BinaryOp.POW: lambda: a**b,
                }[op]()
        raise _NotLinearError

    def to_ir(self, e: sp.Expr) -> Expr:
        if e.is_Symbol:
            return self.back[e]
        if e.is_Number:
            return Const(float(e))
        if e.is_Add:
            terms = [self.to_ir(a) for a in e.args]
            out = terms[0]
            for t in terms[1:]:
                out = Binary(BinaryOp.ADD, out, t)
            return out
        if e.is_Mul or e.is_Pow:
            return self._product(e)
        raise _NotLinearError

    def _product(self, e: sp.Expr) -> Expr:
        num, den = sp.fraction(e)
        sign = 1
        if num.is_Mul and num.args[0] == -1:
            sign, num = -1, -num
        top = self._factors(num)
        out = top if den == 1 else Binary(BinaryOp.DIV, top, self._factors(den))
        return Unary(UnaryOp.NEG, out) if sign < 0 else out

    def _factors(self, e: sp.Expr) -> Expr:
        factors = e.args if e.is_Mul else (e,)
        out: Expr | None = None
        for f in factors:
            if f.is_Pow and f.exp.is_Integer and f.exp > 0:
                base = self.to_ir(f.base)
                node = base
                for _ in range(int(f.exp) - 1):
                    node = Binary(BinaryOp.MUL, node, base)
            elif f.is_Pow:
                node = Binary(BinaryOp.POW, self.to_ir(f.base), self.to_ir(f.exp))
            else:
                node = self.to_ir(f)
            out = node if out is None else Binary(BinaryOp.MUL, out, node)
        return out if out is not None else ONE


def solve_linear(d: Deriv, lhs: Expr, rhs: Expr) -> Expr | None:
    """``f`` with ``d = f`` solving ``lhs = rhs`` when it is linear in ``d`` after expansion; else None."""
    conv = _Converter(d)
    try:
        g = conv.to_sympy(lhs) - conv.to_sympy(rhs)
        num, den = sp.fraction(sp.together(g))
        if den.has(conv.dsym):
            return None
        poly = sp.Poly(sp.expand(num), conv.dsym)
        if poly.degree() != 1:
            return None
        a, b = poly.all_coeffs()
        return conv.to_ir(sp.cancel(-b / a))
    except (_NotLinearError, sp.PolynomialError):
        return None
