"""Common-subexpression elimination over statement lists (part of the simplify pass).

An occurrence of a pure non-leaf expression in statement ``i`` and one in statement ``j > i`` share a
value when no statement ``i ≤ k < j`` writes anything the expression reads: attributes of the owner
(``Assign``/``Clamp`` targets), rate inputs (``AddInput``/``ClearInputs``), global-operation results
(``ComputeGlobalOp``); loops and ODEs count as writing everything. Occurrences inside a ``Reduce`` value
are per synapse and are left alone; neither are the bounds of a ``Clamp``
(its upper bound is evaluated after the lower one was applied).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from nnc.ir.nodes import (
    AddInput,
    Assign,
    Clamp,
    ClearInputs,
    ComputeGlobalOp,
    Const,
    Expr,
    ForEach,
    GlobalOpValue,
    Input,
    Let,
    Ode,
    Reduce,
    Stmt,
    Temp,
    Var,
    children,
    walk,
    with_children,
)
from nnc.ir.types import DType, Scope

ALL = "*"


def canon(e: Expr) -> Expr:
    """A key of ``e`` whose equality tells signed zeros apart (``Const(-0.0) == Const(0.0)`` in Python)."""
    if isinstance(e, Const):
        return Const(repr(float(e.value)), e.type) if e.type is DType.REAL else e  # type: ignore[arg-type]
    kids = children(e)
    return with_children(e, tuple(canon(k) for k in kids)) if kids else e


def _nodes(e: Expr) -> Iterator[Expr]:
    """Pre-order nodes of ``e``, not descending into ``Reduce`` values."""
    yield e
    if not isinstance(e, Reduce):
        for c in children(e):
            yield from _nodes(c)


def _reads(e: Expr) -> set[str]:
    """What ``e`` reads (reductions included) that a statement may write."""
    keys: set[str] = set()
    for n in walk(e):
        match n:
            case Var(name=name, scope=Scope.SELF):
                keys.add(f"var:{name}")
            case Input():
                keys.add("input")
            case GlobalOpValue():
                keys.add("globalop")
    return keys


def _writes(s: Stmt) -> set[str]:
    match s:
        case Assign(target=t) | Clamp(target=t):
            return {f"var:{t.name}"}
        case AddInput() | ClearInputs():
            return {"input"}
        case ComputeGlobalOp():
            return {"globalop"}
        case ForEach() | Ode():
            return {ALL}
    return set()


def _size(e: Expr) -> int:
    return sum(1 for _ in _nodes(e))


def _substitute(e: Expr, old: Expr, new: Expr) -> Expr:
    """``e`` with every occurrence of ``old`` (compared by :func:`canon`) replaced by ``new``."""
    if canon(e) == old:
        return new
    if isinstance(e, Reduce):
        return e
    kids = children(e)
    if not kids:
        return e
    return with_children(e, tuple(_substitute(c, old, new) for c in kids))


def _rewrite(s: Stmt, old: Expr, new: Expr) -> Stmt:
    old = canon(old)
    match s:
        case Assign() | Let() | AddInput():
            return replace(s, value=_substitute(s.value, old, new))
    return s


@dataclass(frozen=True, slots=True)
class _Group:
    expr: Expr  # as written (the canonical key only decides equality)
    stmts: tuple[int, ...]
    count: int


def _groups(body: list[Stmt]) -> list[_Group]:
    """Occurrences of each candidate, split into ranges in which its value cannot change."""
    open_: dict[Expr, tuple[Expr, list[int], int]] = {}
    done: list[_Group] = []
    for i, s in enumerate(body):
        if isinstance(s, Assign | Let | AddInput):
            for n in _nodes(s.value):
                if children(n) or isinstance(n, Reduce):
                    key = canon(n)
                    first, idx, count = open_.get(key, (n, [], 0))
                    if not idx or idx[-1] != i:
                        idx.append(i)
                    open_[key] = (first, idx, count + 1)
        written = _writes(s)
        if written:
            for key in [k for k, (e, _, _) in open_.items() if ALL in written or _reads(e) & written]:
                e, idx, count = open_.pop(key)
                done.append(_Group(e, tuple(idx), count))
    done.extend(_Group(e, tuple(idx), count) for e, idx, count in open_.values())
    return done


def _cse_list(body: list[Stmt], fresh: Callable[[], str]) -> list[Stmt]:
    while True:
        groups = [g for g in _groups(body) if g.count >= 2]
        if not groups:
            return body
        best = max(groups, key=lambda g: (_size(g.expr), -g.stmts[0]))
        temp = Temp(fresh(), best.expr.dtype)
        for i in best.stmts:
            body[i] = _rewrite(body[i], best.expr, temp)
        body.insert(best.stmts[0], Let(temp.name, best.expr))


def cse_body(body: tuple[Stmt, ...], simplify: Callable[[Expr], Expr], names: set[str]) -> tuple[Stmt, ...]:
    """Apply ``simplify`` to every expression of ``body`` (recursively), then CSE each statement list."""
    counter = [0]

    def fresh() -> str:
        while f"_cse{counter[0]}" in names:
            counter[0] += 1
        names.add(f"_cse{counter[0]}")
        return f"_cse{counter[0]}"

    def visit(stmts: tuple[Stmt, ...]) -> tuple[Stmt, ...]:
        out: list[Stmt] = []
        for s in stmts:
            match s:
                case ForEach():
                    out.append(replace(s, body=visit(s.body)))
                case Assign() | Let() | AddInput():
                    out.append(replace(s, value=simplify(s.value)))
                case Clamp(lo=lo, hi=hi):
                    out.append(replace(s, lo=None if lo is None else simplify(lo),
                                       hi=None if hi is None else simplify(hi)))
                case Ode(lhs=a, rhs=b):
                    out.append(replace(s, lhs=simplify(a), rhs=simplify(b)))
                case _:
                    out.append(s)
        return tuple(_cse_list(out, fresh))

    return visit(body)
