"""The discretise pass: every ``Ode`` becomes ``Let`` increments and ``Assign`` updates (DSL.md §4.3, §9).

Block rule (DSL.md §4.3): in each statement list (a kernel body or a loop body), a maximal run of
consecutive ``Ode`` statements is one ODE block. All its increments are computed first, from the values
at block entry, as ``Let`` temporaries; then the updates are applied in declaration order (the bounds
pass later puts each variable's clamp right after its update).

Methods (DSL.md §9): explicit, midpoint and rk4 are explicit Runge-Kutta schemes described as data
(:data:`TABLEAUX`); implicit is backward Euler on the linear standard form; exponential and
semiimplicit use the standard form ``A·dx/dt + B·x = C`` (``τ = A/B``, ``S = C/B``). ``t`` is not
advanced inside stages and a ``Random`` node is re-used as is, so every stage sees the same draw.

Coupled systems (DSL.md §9.6): in a neuron, all implicit, midpoint and rk4 ODEs of one statement list
(in a synapse: implicit and midpoint only) form one system when there are two or more; mixing methods
is an error. The whole system is integrated **at the position of its first member**: it joins that
member's ODE block (its stages use the values at that block's entry) and its updates are applied there,
in declaration order; the later members are removed from their own blocks.

When ``dt/τ`` of an exponential ODE inside a loop reads no per-element value, its factor
``1 - exp(-dt/τ)`` is computed once per step, just before the outermost loop.

A guarded ODE (``guard``, the refractoriness of spiking neurons) applies its update only where the
guard holds: ``x = ite(guard, x_new, x)``; its increments are computed as usual.

Event-driven ODEs (DSL.md §9.7) only occur in the synapse loops of events; each becomes the exact
decay ``x = S + (x - S)·exp(-age·dt/τ)`` over the synapse's ``event_age``: ``event_age(1)`` at
pre-synaptic and axonal spikes, ``event_age(0)`` at post-synaptic ones.

Pre: the module verifies (ODEs allowed). Post: no ``Ode`` and no ``Deriv`` remain; every new ``Let``
name is unique in its kernel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar

from nnc.diagnostics import DslError
from nnc.ir.functions import Func
from nnc.ir.model import Kernel, Module
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    Call,
    Const,
    Delayed,
    Dt,
    EventAge,
    Expr,
    ForEach,
    Input,
    Let,
    Ode,
    Random,
    Reduce,
    Select,
    SpikeTime,
    Stmt,
    Temp,
    Unary,
    UnaryOp,
    Var,
    children,
    rewrite,
    walk,
    walk_stmts,
)
from nnc.ir.types import AttrKind, Domain, Locality, Method, ObjKind, Scope
from nnc.passes.discretise_linear import event_driven_update, implicit_update, standard_form
from nnc.passes.memo import KernelMemo
from nnc.passes.registry import register
from nnc.passes.symbolic import ONE, add, div, mul, solve_derivative, sub


@dataclass(frozen=True, slots=True)
class Tableau:
    """An explicit Runge-Kutta scheme of DSL.md §9.1-9.3.

    Stage ``i`` evaluates ``f`` at ``x + stage[i]·dt·k[i-1]`` (``None``: at ``x``); the update is
    ``x + dt/divisor · Σ weights[i]·k[i]``.
    """

    stages: tuple[float | None, ...]
    weights: tuple[int, ...]
    divisor: int = 1


TABLEAUX: dict[Method, Tableau] = {
    Method.EXPLICIT: Tableau((None,), (1,)),
    Method.MIDPOINT: Tableau((None, 0.5), (0, 1)),
    Method.RK4: Tableau((None, 0.5, 0.5, 1.0), (1, 2, 2, 1), 6),
}

#: methods that form coupled systems (DSL.md §9.6), per owner kind
COUPLED: dict[ObjKind, frozenset[Method]] = {
    ObjKind.POPULATION: frozenset({Method.IMPLICIT, Method.MIDPOINT, Method.RK4}),
    ObjKind.PROJECTION: frozenset({Method.IMPLICIT, Method.MIDPOINT}),
}


@dataclass(slots=True)
class Names:
    """Fresh, readable ``Let`` names, unique within one kernel."""

    used: set[str] = field(default_factory=set)

    def fresh(self, base: str) -> str:
        name, n = base, 1
        while name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name


@dataclass(slots=True)
class Unit:
    """The discretised form of one ODE or one coupled system: increments, updates, hoistable lets."""

    lets: list[Stmt] = field(default_factory=list)
    updates: list[Assign] = field(default_factory=list)
    hoisted: list[Let] = field(default_factory=list)


def substitute(e: Expr, mapping: dict[Expr, Expr]) -> Expr:
    """``e`` with every occurrence of a key of ``mapping`` replaced by its value."""
    return rewrite(e, mapping.get)


def _derivative(ode: Ode) -> Expr:
    f = solve_derivative(ode.target.name, ode.lhs, ode.rhs)
    if f is None:
        raise DslError(f"the ODE is not linear in d{ode.target.name}/dt", ode.span)
    return f


def _runge_kutta(tab: Tableau, odes: list[Ode], names: Names) -> Unit:
    """Stages of an explicit scheme for one ODE or a coupled system (all k1 first, then all k2 ...)."""
    unit = Unit()
    fs = [_derivative(o) for o in odes]
    ks: list[list[Temp]] = [[] for _ in odes]
    for s, c in enumerate(tab.stages):
        mapping: dict[Expr, Expr] = {}
        if c is not None:
            for o, k in zip(odes, ks, strict=True):
                step = Binary(BinaryOp.MUL, mul(Const(c), Dt()), k[s - 1])
                point = names.fresh(f"_{o.target.name}_x{s + 1}")
                unit.lets.append(Let(point, Binary(BinaryOp.ADD, o.target, step), o.span))
                mapping[o.target] = Temp(point)
        for o, f, k in zip(odes, fs, ks, strict=True):
            name = names.fresh(f"_{o.target.name}_k{s + 1}")
            unit.lets.append(Let(name, substitute(f, mapping), o.span))
            k.append(Temp(name))
    scale: Expr = Dt() if tab.divisor == 1 else Binary(BinaryOp.DIV, Dt(), Const(float(tab.divisor)))
    for o, k in zip(odes, ks, strict=True):
        total: Expr | None = None
        for w, ki in zip(tab.weights, k, strict=True):
            if w:
                total = add(total, mul(Const(float(w)), ki))
        assert total is not None
        value = Binary(BinaryOp.ADD, o.target, Binary(BinaryOp.MUL, scale, total))
        unit.updates.append(Assign(o.target, value, o.span))
    return unit


def _invariant(e: Expr) -> bool:
    """Whether ``e`` has the same value for every element of any loop (reads only global values)."""
    for node in walk(e):
        match node:
            case Var(locality=loc) if loc is not Locality.GLOBAL:
                return False
            case Temp() | Random() | Input() | Reduce() | Delayed() | SpikeTime() | EventAge():
                return False
    return True


def _relaxation(ode: Ode, names: Names, in_loop: bool) -> Unit:
    """Exponential Euler or semi-implicit update ``x + factor·(S - x)`` (DSL.md §9.5)."""
    form = standard_form(ode)
    x = ode.target.name
    unit = Unit()
    steady: Expr = form.steady
    if children(steady):
        name = names.fresh(f"_{x}_S")
        unit.lets.append(Let(name, steady, ode.span))
        steady = Temp(name)
    if ode.method is Method.EXPONENTIAL:
        minus_h = div(Unary(UnaryOp.NEG, Dt()), form.tau)
        factor: Expr = Binary(BinaryOp.SUB, ONE, Call(Func.EXP, (minus_h,)))
        fname = names.fresh(f"_{x}_f")
        if in_loop and _invariant(factor):
            unit.hoisted.append(Let(fname, factor, ode.span))
        else:
            unit.lets.append(Let(fname, factor, ode.span))
    else:
        hname = names.fresh(f"_{x}_h")
        unit.lets.append(Let(hname, div(Dt(), form.tau), ode.span))
        factor = Binary(BinaryOp.DIV, Temp(hname), Binary(BinaryOp.ADD, Temp(hname), ONE))
        fname = names.fresh(f"_{x}_f")
        unit.lets.append(Let(fname, factor, ode.span))
    inc = names.fresh(f"_{x}_k1")
    unit.lets.append(Let(inc, Binary(BinaryOp.MUL, Temp(fname), sub(steady, ode.target)), ode.span))
    unit.updates.append(Assign(ode.target, Binary(BinaryOp.ADD, ode.target, Temp(inc)), ode.span))
    return unit


def _implicit(odes: list[Ode], names: Names) -> Unit:
    lets, news = implicit_update(odes, names.fresh)
    unit = Unit(lets=list(lets))
    unit.updates = [Assign(o.target, Temp(n), o.span) for o, n in zip(odes, news, strict=True)]
    return unit


@dataclass(frozen=True, slots=True)
class Context:
    """Where a statement list sits: inside a loop, inside the synapse loop of an event (its lag)."""

    in_loop: bool = False
    event_lag: int | None = None
    is_variable: Callable[[Var], bool] = lambda v: False


def _event_driven(ode: Ode, names: Names, ctx: Context) -> Unit:
    if ctx.event_lag is None:
        raise DslError(
            f"the event-driven variable '{ode.target.name}' is only updated at spikes, here it is not "
            "inside a spiking synapse's events",
            ode.span,
        )
    stmts = event_driven_update(ode, EventAge(ctx.event_lag), ctx.is_variable, names.fresh)
    return Unit(lets=list(stmts[:-1]), updates=[stmts[-1]])  # type: ignore[list-item]


def _unit(odes: list[Ode], names: Names, ctx: Context) -> Unit:
    method = odes[0].method
    match method:
        case Method.EXPLICIT | Method.MIDPOINT | Method.RK4:
            unit = _runge_kutta(TABLEAUX[method], odes, names)
        case Method.IMPLICIT:
            unit = _implicit(odes, names)
        case Method.EXPONENTIAL | Method.SEMIIMPLICIT:
            unit = _relaxation(odes[0], names, ctx.in_loop)
        case _:
            unit = _event_driven(odes[0], names, ctx)
    guards = {o.target.name: o.guard for o in odes if o.guard is not None}
    unit.updates = [
        Assign(u.target, Select(guards[u.target.name], u.value, u.target, u.span), u.span)
        if u.target.name in guards
        else u
        for u in unit.updates
    ]
    return unit


def _coupled(stmts: tuple[Stmt, ...], owner: ObjKind) -> list[Ode]:
    """The coupled system of a statement list (empty unless two or more ODEs qualify)."""
    members = [s for s in stmts if isinstance(s, Ode) and s.method in COUPLED[owner]]
    if len(members) < 2:
        return []
    for m in members[1:]:
        if m.method is not members[0].method:
            raise DslError(
                "Cannot mix different numerical methods when solving a coupled system "
                f"('{members[0].target.name}' uses {members[0].method.value}, "
                f"'{m.target.name}' uses {m.method.value})",
                m.span,
            )
    return members


#: ``event_age`` lag of event-driven updates, by the event loop around the synapse loop (DSL.md §9.7).
_EVENT_LAG = {Domain.PRE_SPIKE: 1, Domain.AXON_SPIKE: 1, Domain.POST_SPIKE: 0}


@dataclass(slots=True)
class _Lowering:
    """Discretises the statement lists of one kernel."""

    owner: ObjKind
    names: Names
    is_variable: Callable[[Var], bool]

    def block(self, odes: list[Ode], system: list[Ode], ctx: Context) -> tuple[list[Stmt], list[Let]]:
        units = []
        for o in odes:
            first = bool(system) and o is system[0]
            if any(o is m for m in system) and not first:
                continue
            units.append(_unit(system if first else [o], self.names, ctx))
        lets = [s for u in units for s in u.lets]
        return lets + [s for u in units for s in u.updates], [h for u in units for h in u.hoisted]

    def body(
        self,
        stmts: tuple[Stmt, ...],
        in_loop: bool,
        domain: Domain | None = None,
        outer: Domain | None = None,
    ) -> tuple[tuple[Stmt, ...], list[Let]]:
        """Discretised ``stmts`` (the body of a loop over ``domain``, itself inside a loop over ``outer``)
        and the lets to hoist before the enclosing loop."""
        lag = _EVENT_LAG.get(outer) if domain is Domain.SYNAPSE else None  # type: ignore[arg-type]
        ctx = Context(in_loop, lag, self.is_variable)
        system = _coupled(stmts, self.owner)
        out: list[Stmt] = []
        hoisted: list[Let] = []
        run: list[Ode] = []
        for s in (*stmts, None):
            if isinstance(s, Ode):
                run.append(s)
                continue
            if run:
                new, up = self.block(run, system, ctx)
                out.extend(new)
                hoisted.extend(up)
                run = []
            if isinstance(s, ForEach):
                inner, up = self.body(s.body, True, s.domain, domain)
                if in_loop:
                    hoisted.extend(up)
                else:
                    out.extend(up)
                out.append(replace(s, body=inner))
            elif s is not None:
                out.append(s)
        return tuple(out), hoisted


def _variables(module: Module, k: Kernel) -> Callable[[Var], bool]:
    """Whether an attribute read in ``k`` is a variable (of the owner, or of its pre/post population)."""

    def kinds(attrs: tuple) -> dict[str, AttrKind]:
        return {a.name: a.kind for a in attrs}

    own = kinds(module.owner_attributes(k))
    pre = post = own
    if k.owner is ObjKind.PROJECTION:
        proj = module.projections[k.owner_id]
        pre = kinds(module.populations[proj.pre].attributes)
        post = kinds(module.populations[proj.post].attributes)
    by_scope = {Scope.SELF: own, Scope.PRE: pre, Scope.POST: post}
    return lambda v: by_scope.get(v.scope, {}).get(v.name) is AttrKind.VARIABLE


def _kinds(module: Module, k: Kernel) -> tuple[tuple[tuple[str, AttrKind], ...], ...]:
    """The attribute kinds :func:`_variables` reads: the owner's, then its pre and post populations'."""
    attrs = [module.owner_attributes(k)]
    if k.owner is ObjKind.PROJECTION:
        proj = module.projections[k.owner_id]
        attrs += [module.populations[proj.pre].attributes, module.populations[proj.post].attributes]
    return tuple(tuple((a.name, a.kind) for a in group) for group in attrs)


def _kernel(module: Module, k: Kernel, memo: KernelMemo[tuple[Stmt, ...]]) -> Kernel:
    if not any(isinstance(s, Ode) for s in walk_stmts(k.body)):
        return k

    def lower() -> tuple[Stmt, ...]:
        names = Names({s.name for s in walk_stmts(k.body) if isinstance(s, Let)})
        body, hoisted = _Lowering(k.owner, names, _variables(module, k)).body(k.body, False)
        assert not hoisted  # the top level is not inside a loop
        return body

    return replace(k, body=memo.get(k.body, (k.owner, _kinds(module, k)), lower))


@register("discretise", default=True)
@dataclass(frozen=True, slots=True)
class Discretise:
    """Replace every ``Ode`` by explicit update statements (see the module docstring)."""

    name: ClassVar[str] = "discretise"

    def __call__(self, module: Module) -> Module:
        memo: KernelMemo[tuple[Stmt, ...]] = KernelMemo()
        return replace(module, kernels=tuple(_kernel(module, k, memo) for k in module.kernels))
