"""Checks on built IR: what each locality may read (DSL.md §11.5) and event-driven restrictions (§9.7)."""

from __future__ import annotations

from nnc.diagnostics import DslTypeError
from nnc.ir.nodes import Expr, Input, Ode, SpikeTime, Stmt, Var, stmt_exprs, walk
from nnc.ir.types import Locality, Method, Scope

_LEVEL = {Locality.GLOBAL: 0, Locality.SEMIGLOBAL: 1, Locality.LOCAL: 2}


def needed_locality(node: Expr) -> Locality | None:
    """The narrowest locality at which ``node`` has a value (None: any).

    ``pre.x`` differs per synapse; ``post.x`` per dendrite (DSL.md §11.5: a global synaptic variable
    may not read ``post.`` either, a semiglobal one may).
    """
    match node:
        case Var(scope=Scope.SELF, locality=loc):
            return loc
        case Var(scope=Scope.NETWORK):
            return Locality.GLOBAL
        case Var(scope=Scope.PRE) | Input(scope=Scope.PRE) | SpikeTime(scope=Scope.PRE):
            return Locality.LOCAL
        case Var(scope=Scope.POST) | Input(scope=Scope.POST) | SpikeTime(scope=Scope.POST):
            return Locality.SEMIGLOBAL
        case Input() | SpikeTime():
            return Locality.LOCAL
    return None


def _describe(node: Expr) -> str:
    match node:
        case Var(scope=Scope.SELF, name=n, locality=loc):
            return f"the {loc.value} attribute {n}"
        case Var(scope=s, name=n):
            return f"{s.value}.{n}"
        case Input(target=t, scope=s):
            return ("" if s is Scope.SELF else f"{s.value}.") + f"sum({t})"
    return "the last spike time"


def check_locality(e: Expr, target: Locality, what: str) -> None:
    """Raise if ``e`` reads something narrower than ``target`` (e.g. a global reading a local value)."""
    for node in walk(e):
        need = needed_locality(node)
        if need is not None and _LEVEL[need] > _LEVEL[target]:
            raise DslTypeError(
                f"{what} is {target.value} and may not depend on {_describe(node)}",
                getattr(node, "span", None),
                _locality_hint(target),
            )


def _locality_hint(target: Locality) -> str:
    if target is Locality.GLOBAL:
        return "a global attribute has one value for the whole object: it cannot read per-element values"
    return (
        "a semiglobal attribute has one value per post-synaptic neuron: it cannot read synapse or pre values"
    )


def check_stmt_locality(stmt: Stmt, target: Locality, name: str) -> None:
    """Locality check of every expression of one equation statement."""
    for e in stmt_exprs(stmt):
        check_locality(e, target, f"the variable {name}")


#: Methods whose ODEs are solved as one coupled system (DSL.md §9.6): neurons / synapses.
_COUPLED = {
    False: frozenset({Method.IMPLICIT, Method.MIDPOINT, Method.RK4}),
    True: frozenset({Method.IMPLICIT, Method.MIDPOINT}),
}


def check_coupled_methods(equations: tuple[Stmt, ...], synapse: bool) -> None:
    """ "Cannot mix different numerical methods when solving a coupled system" (DSL.md §9.6)."""
    first: Ode | None = None
    for stmt in equations:
        if not isinstance(stmt, Ode) or stmt.method not in _COUPLED[synapse]:
            continue
        if first is None:
            first = stmt
        elif stmt.method is not first.method:
            raise DslTypeError(
                "Cannot mix different numerical methods when solving a coupled system: "
                f"{first.target.name} uses {first.method.value}, {stmt.target.name} uses {stmt.method.value}",
                stmt.span,
                "ODEs with implicit, midpoint or rk4 are solved together: give them the same method",
            )


def check_event_driven(equations: tuple[Stmt, ...], psp: Expr | None) -> None:
    """Event-driven variables may not be read by continuous updates nor coexist with psp (DSL.md §9.7)."""
    driven = {s.target.name: s for s in equations if isinstance(s, Ode) and s.method is Method.EVENT_DRIVEN}
    if not driven:
        return
    if psp is not None:
        first = next(iter(driven.values()))
        raise DslTypeError(
            "event-driven variables cannot be used in a synapse that defines psp",
            first.span,
            "use another numerical method (e.g. exponential) or remove psp",
        )
    for stmt in equations:
        if isinstance(stmt, Ode) and stmt.method is Method.EVENT_DRIVEN:
            continue
        for e in stmt_exprs(stmt):
            for node in walk(e):
                if isinstance(node, Var) and node.scope is Scope.SELF and node.name in driven:
                    raise DslTypeError(
                        f"the event-driven variable {node.name} cannot be read by a continuous equation",
                        node.span,
                        "event-driven variables are only up to date at events: use them in pre_spike",
                    )
