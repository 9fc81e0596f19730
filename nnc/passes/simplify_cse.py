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
from dataclasses import dataclass, fields, replace

from nnc.ir.model import LAST_EVENT, LAST_SPIKE
from nnc.ir.nodes import (
    AddInput,
    Assign,
    Clamp,
    ClearInputs,
    ComputeGlobalOp,
    Const,
    EventAge,
    Expr,
    ForEach,
    GlobalOpValue,
    Input,
    Let,
    Ode,
    Reduce,
    Spike,
    SpikeTime,
    Stmt,
    Temp,
    TimedStep,
    Var,
    children,
    rewrite,
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


class Interner:
    """Numbers structurally equal expressions alike (hash-consing); signed zeros are told apart.

    Keys are memoised per node object (the node is kept alive, so its ``id`` cannot be reused).
    """

    def __init__(self) -> None:
        self.table: dict[tuple[object, ...], int] = {}
        self.memo: dict[int, tuple[Expr, int, frozenset[str]]] = {}

    def _visit(self, e: Expr) -> tuple[int, frozenset[str]]:
        hit = self.memo.get(id(e))
        if hit is not None:
            return hit[1], hit[2]
        parts = [self._visit(k) for k in children(e)]
        sig = (type(e), _attributes(e), tuple(p[0] for p in parts))
        key = self.table.setdefault(sig, len(self.table))
        reads = frozenset().union(_leaf_reads(e), *(p[1] for p in parts))
        self.memo[id(e)] = (e, key, reads)
        return key, reads

    def key(self, e: Expr) -> int:
        """The number of ``e``'s structure."""
        return self._visit(e)[0]

    def reads(self, e: Expr) -> frozenset[str]:
        """What ``e`` reads (reductions included) that a statement may write."""
        return self._visit(e)[1]


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _attributes(e: Expr) -> tuple[object, ...]:
    """The non-expression fields of ``e`` (spans excluded)."""
    if isinstance(e, Const):
        return (repr(float(e.value)) if e.type is DType.REAL else e.value, e.type)
    names = _CHILD_FIELDS.get(type(e))
    if names is None:
        names = tuple(
            f.name for f in fields(e) if f.name != "span" and not isinstance(getattr(e, f.name), Expr | tuple)
        )
        _CHILD_FIELDS[type(e)] = names
    return tuple(getattr(e, n) for n in names)


def _nodes(e: Expr) -> Iterator[Expr]:
    """Pre-order nodes of ``e``, not descending into ``Reduce`` values."""
    yield e
    if not isinstance(e, Reduce):
        for c in children(e):
            yield from _nodes(c)


def _leaf_reads(n: Expr) -> frozenset[str]:
    match n:
        case Var(name=name, scope=scope) if scope is not Scope.NETWORK:
            return frozenset({f"var:{scope.value}.{name}"})
        case EventAge():
            return frozenset({f"var:{Scope.SELF.value}.{LAST_EVENT}"})
        case SpikeTime(scope=scope):
            return frozenset({f"var:{scope.value}.{LAST_SPIKE}"})
        case Input():
            return frozenset({"input"})
        case GlobalOpValue():
            return frozenset({"globalop"})
    return frozenset()


def _writes(s: Stmt) -> set[str]:
    match s:
        case Assign(target=t) | Clamp(target=t):
            return {f"var:{t.scope.value}.{t.name}"}
        case AddInput() | ClearInputs():
            return {"input"}
        case ComputeGlobalOp():
            return {"globalop"}
        case TimedStep(var=v):
            return {f"var:{Scope.SELF.value}.{v}"}
        case ForEach() | Ode() | Spike():
            return {ALL}
    return set()


def _size(e: Expr) -> int:
    return sum(1 for _ in _nodes(e))


def _substitute(e: Expr, old: int, new: Expr, names: Interner) -> Expr:
    """``e`` with every occurrence of the structure numbered ``old`` replaced by ``new``."""

    def fn(x: Expr) -> Expr | None:
        if names.key(x) == old:
            return new
        return x if isinstance(x, Reduce) else None  # a reduce's operand is evaluated per synapse

    return rewrite(e, fn)


def _rewrite(s: Stmt, old: int, new: Expr, names: Interner) -> Stmt:
    if isinstance(s, Assign | Let | AddInput):
        return replace(s, value=_substitute(s.value, old, new, names))
    return s


@dataclass(frozen=True, slots=True)
class _Group:
    expr: Expr  # the first occurrence as written
    stmts: tuple[int, ...]
    count: int


class _Open:
    """Candidates whose value has not been invalidated yet, indexed by what they read."""

    def __init__(self) -> None:
        self.entries: dict[int, tuple[Expr, list[int], int]] = {}  # insertion-ordered
        self.by_read: dict[str, set[int]] = {}

    def add(self, i: int, node: Expr, key: int, reads: frozenset[str]) -> None:
        first, idx, count = self.entries.get(key, (node, [], 0))
        if not idx or idx[-1] != i:
            idx.append(i)
        self.entries[key] = (first, idx, count + 1)
        for r in reads:
            self.by_read.setdefault(r, set()).add(key)

    def close(self, written: set[str]) -> list[_Group]:
        if ALL in written:
            keys = list(self.entries)
        else:
            hit = set().union(*(self.by_read.get(w, ()) for w in written))
            keys = [k for k in self.entries if k in hit]  # deterministic: first appearance first
        done = []
        for key in keys:
            e, idx, count = self.entries.pop(key)
            done.append(_Group(e, tuple(idx), count))
        return done


def _candidates(e: Expr) -> Iterator[Expr]:
    """Non-leaf nodes of ``e`` (a ``Reduce`` itself, but nothing inside its per-synapse value)."""
    for n in _nodes(e):
        if children(n):
            yield n


def _groups(body: list[Stmt], names: Interner) -> list[_Group]:
    """Occurrences of each candidate, split into ranges in which its value cannot change."""
    live = _Open()
    done: list[_Group] = []
    for i, s in enumerate(body):
        if isinstance(s, Assign | Let | AddInput):
            for node in _candidates(s.value):
                live.add(i, node, names.key(node), names.reads(node))
        written = _writes(s)
        if written:
            done.extend(live.close(written))
    done.extend(live.close({ALL}))
    return done


def _cse_list(body: list[Stmt], fresh: Callable[[], str]) -> list[Stmt]:
    names = Interner()
    while True:
        groups = [g for g in _groups(body, names) if g.count >= 2]
        if not groups:
            return body
        best = max(groups, key=lambda g: (_size(g.expr), -g.stmts[0]))
        temp = Temp(fresh(), best.expr.dtype)
        old = names.key(best.expr)
        for i in best.stmts:
            body[i] = _rewrite(body[i], old, temp, names)
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
                    out.append(
                        replace(
                            s,
                            lo=None if lo is None else simplify(lo),
                            hi=None if hi is None else simplify(hi),
                        )
                    )
                case Ode(lhs=a, rhs=b, guard=g):
                    out.append(
                        replace(s, lhs=simplify(a), rhs=simplify(b), guard=None if g is None else simplify(g))
                    )
                case Spike():
                    axon = None if s.axon_cond is None else simplify(s.axon_cond)
                    out.append(
                        replace(
                            s,
                            cond=simplify(s.cond),
                            reset=visit(s.reset),
                            refractory=simplify(s.refractory),
                            axon_cond=axon,
                            axon_reset=visit(s.axon_reset),
                        )
                    )
                case _:
                    out.append(s)
        return tuple(_cse_list(out, fresh))

    return visit(body)
