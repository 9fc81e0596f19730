"""Linear standard forms of ODEs: exponential/semiimplicit standardisation and backward Euler systems.

Standardisation (DSL.md §9.5): ``lhs - rhs`` is expanded into a sum of products and collected as
``A·dx/dt + B·x + R``. Terms that are not ``x¹`` (``exp(x)``, ``1/x`` ...) stay in ``R``; a term in
``x²`` or in ``x·dx/dt``, or a missing ``x`` or ``dx/dt`` term, is an error. Then ``τ = A/B`` and
``S = -R/B``.

Backward Euler (DSL.md §9.4, §9.6): every equation ``i`` of the system must be linear in all the
system's variables and in its own derivative: ``A_i·dx_i/dt + Σ_j B_ij·x_j + R_i``. Substituting
``dx_i/dt → (x_i,new - x_i)/dt`` and ``x_j → x_j,new`` gives, multiplied by ``dt``,
``Σ_j (A_i·δ_ij + dt·B_ij)·x_j,new = A_i·x_i - dt·R_i``, solved by Gaussian elimination over the
structurally non-zero entries (one ODE: ``x_new = (A·x - dt·R)/(A + dt·B)``).

Event-driven variables (DSL.md §9.7) use the same standard form: :func:`event_driven_update` builds
their exact decay over the steps since the last event, for the kernels that process spike events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from nnc.diagnostics import DslError, DslTypeError
from nnc.ir.functions import Func
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    Call,
    Deriv,
    Dt,
    Expr,
    Let,
    Ode,
    Stmt,
    Temp,
    Unary,
    UnaryOp,
    Var,
    children,
    walk,
)
from nnc.passes.symbolic import ZERO, Term, add, collect, contains, div, expand, mul, render, sub

NOT_LINEAR_IMPLICIT = "the ODE is not linear, can not use the implicit method"
NOT_SOLVABLE = "The multiple ODEs can not be solved together using the implicit Euler method"


@dataclass(frozen=True, slots=True)
class StandardForm:
    """``τ·dx/dt + x = S``."""

    tau: Expr
    steady: Expr


def _terms(ode: Ode) -> list[Term]:
    return expand(ode.lhs) + [t.scaled(Fraction(-1)) for t in expand(ode.rhs)]


def _negated(terms: list[Term]) -> list[Term]:
    return [t.scaled(Fraction(-1)) for t in terms]


def standard_form(ode: Ode) -> StandardForm:
    """``τ`` and ``S`` of an ODE for the exponential and semiimplicit methods."""
    x, d = ode.target, Deriv(ode.target.name)
    c = collect(_terms(ode), (d, x))
    hidden_d = any(contains(f, d) for t in c.nonpoly for f in (*t.num, *t.den))
    if c.nonlinear or hidden_d or not c.coef[d] or not c.coef[x]:
        raise DslTypeError(
            f"The {ode.method.value} method is reserved for linear first-order ODEs of the type "
            f"tau*d{x.name}/dt + {x.name} = f(t)",
            ode.span,
            f"{x.name} must appear linearly (no {x.name}^2, {x.name}*d{x.name}/dt); "
            "use explicit, midpoint or rk4 for other ODEs",
        )
    a, b = render(c.coef[d]), render(c.coef[x])
    assert a is not None
    assert b is not None
    steady = render(_negated(c.rest))
    return StandardForm(div(a, b), div(steady or ZERO, b))


@dataclass(frozen=True, slots=True)
class _Row:
    a: Expr
    b: list[Expr | None]
    rhs: Expr


def _row(ode: Ode, system: list[Ode]) -> _Row:
    d = Deriv(ode.target.name)
    xs = [o.target for o in system]
    c = collect(_terms(ode), (d, *xs))
    if c.nonlinear or c.nonpoly or not c.coef[d]:
        raise DslError(NOT_LINEAR_IMPLICIT, ode.span)
    a = render(c.coef[d])
    assert a is not None
    minus_r = render(_negated(c.rest))
    rhs = mul(a, ode.target)
    if minus_r is not None:
        rhs = add(rhs, mul(Dt(), minus_r)) or rhs
    return _Row(a, [render(c.coef[x]) for x in xs], rhs)


def implicit_update(odes: list[Ode], fresh: Callable[[str], str]) -> tuple[list[Stmt], list[str]]:
    """Lets computing ``x_new`` of every ODE of a backward Euler system, and the names of those lets."""
    rows = [_row(o, odes) for o in odes]
    n = len(odes)
    m: list[list[Expr | None]] = [
        [add(r.a if i == j else None, None if r.b[j] is None else mul(Dt(), r.b[j])) for j in range(n)]
        for i, r in enumerate(rows)
    ]
    rhs: list[Expr] = [r.rhs for r in rows]
    lets: list[Stmt] = []

    def bind(base: str, e: Expr) -> Expr:
        name = fresh(base)
        lets.append(Let(name, e, odes[0].span))
        return Temp(name)

    for col in range(n):
        pivot = next((r for r in range(col, n) if m[r][col] is not None), None)
        if pivot is None:
            raise DslError(NOT_SOLVABLE, odes[0].span)
        m[col], m[pivot] = m[pivot], m[col]
        rhs[col], rhs[pivot] = rhs[pivot], rhs[col]
        for r in range(col + 1, n):
            if m[r][col] is None:
                continue
            base = f"_{odes[0].target.name}_e{r}{col}"
            factor = bind(base, Binary(BinaryOp.DIV, m[r][col], m[col][col]))
            for j in range(col + 1, n):
                if m[col][j] is not None:
                    m[r][j] = bind(f"{base}_{j}", sub(m[r][j], mul(factor, m[col][j])) or ZERO)
            rhs[r] = bind(f"{base}_r", sub(rhs[r], mul(factor, rhs[col])) or ZERO)
            m[r][col] = None
    news: list[str | None] = [None] * n
    for i in reversed(range(n)):
        num: Expr = rhs[i]
        for j in range(i + 1, n):
            if m[i][j] is not None:
                num = Binary(BinaryOp.SUB, num, mul(m[i][j], Temp(news[j])))  # type: ignore[arg-type]
        news[i] = fresh(f"_{odes[i].target.name}_new")
        lets.append(Let(news[i], div(num, m[i][i]), odes[i].span))  # type: ignore[arg-type]
    return lets, [news[i] for i in range(n)]  # type: ignore[misc]


def event_driven_update(
    ode: Ode, elapsed: Expr, is_variable: Callable[[Var], bool], fresh: Callable[[str], str]
) -> list[Stmt]:
    """The update of an event-driven variable at an event (DSL.md §9.7), for the event kernels.

    ``elapsed`` is the number of steps to integrate over (``(k - 1) - last_event`` at a pre-synaptic
    event, ``k - last_event`` at a post-synaptic one); the result is
    ``x ← S + (x - S)·exp(-elapsed·dt/τ)`` (``x ← x·exp(...)`` when ``S = 0``). ``τ`` and ``S`` may read
    parameters and constants only: ``is_variable`` tells which attribute reads are variables.
    """
    form = standard_form(ode)
    reads = [n for e in (form.tau, form.steady) for n in walk(e) if isinstance(n, Var)]
    deps = sorted({n.name for n in reads if is_variable(n)})
    if deps:
        raise DslTypeError(
            f"The equation can not depend on other variables ({', '.join(deps)}) to be evaluated exactly",
            ode.span,
            "an event-driven variable is only updated at events: its time constant and steady state may "
            "read parameters and constants only; use exponential for one that follows other variables",
        )
    x = ode.target
    decay = Call(
        Func.EXP, (Binary(BinaryOp.DIV, Unary(UnaryOp.NEG, Binary(BinaryOp.MUL, elapsed, Dt())), form.tau),)
    )
    if form.steady == ZERO:
        return [Assign(x, Binary(BinaryOp.MUL, x, decay), ode.span)]
    lets: list[Stmt] = []
    steady = form.steady
    if children(steady):
        name = fresh(f"_{x.name}_S")
        lets.append(Let(name, steady, ode.span))
        steady = Temp(name)
    value = Binary(BinaryOp.ADD, steady, Binary(BinaryOp.MUL, Binary(BinaryOp.SUB, x, steady), decay))
    return [*lets, Assign(x, value, ode.span)]
