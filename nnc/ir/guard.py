"""Statements that take effect only where a condition holds, written as unconditional selects.

Spike emission (:class:`~nnc.ir.nodes.Spike`) runs its reset statements for the neurons that fired.
Every engine runs them through :func:`guarded`: an assignment becomes ``x = ite(cond, value, x)`` and
a clamp becomes two such assignments, so a loop over neurons stays branch-free (and vectorisable) and
every engine gives the same values. ``let`` statements are computed everywhere (they have no effect of
their own).
"""

from __future__ import annotations

from nnc.ir.nodes import Assign, Clamp, CmpOp, Compare, Expr, Let, Logic, LogicOp, Select, Stmt


def guarded(body: tuple[Stmt, ...], cond: Expr) -> tuple[Stmt, ...]:
    """``body`` applied only where ``cond`` (a boolean) holds."""
    out: list[Stmt] = []
    for s in body:
        match s:
            case Assign(target=t, value=v):
                out.append(Assign(t, Select(cond, v, t, s.span), s.span))
            case Clamp(target=t, lo=lo, hi=hi):
                for bound, op in ((lo, CmpOp.LT), (hi, CmpOp.GT)):
                    if bound is not None:
                        outside = Logic(LogicOp.AND, cond, Compare(op, t, bound))
                        out.append(Assign(t, Select(outside, bound, t, s.span), s.span))
            case Let():
                out.append(s)
            case _:
                raise TypeError(f"{type(s).__name__} cannot be guarded")
    return tuple(out)
