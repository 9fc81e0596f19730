"""Statements -> IR: equations, ODEs, event updates, conditions, bounds, attributes (DSL.md §4, §7, §10-11).

Shared by neurons and synapses. An equation is first *read* (parsed, its target and flags found) so that
every variable is declared before any expression is built: variables may read variables declared later
(DSL.md §4.1).
"""

from __future__ import annotations

from dataclasses import dataclass

from nnc.diagnostics import DslSyntaxError, DslTypeError, SourceSpan
from nnc.frontend.build_expr import ExprBuilder, Where, deriv_name
from nnc.frontend.build_params import ParamContext, ParamDecl, read_parameters
from nnc.frontend.checks import check_locality, check_stmt_locality
from nnc.frontend.flags import DEFAULT_INIT, VarFlags, init_value, read_flags, reject_flags
from nnc.frontend.names import Decl, ModelState, Names, check_declarable, declare
from nnc.frontend.parser import Token, Tree, parse
from nnc.frontend.text import EQUATIONS, Fragment, Statement, assignment_ops, statements
from nnc.ir.model import Attribute, InitValue
from nnc.ir.nodes import Assign, Binary, BinaryOp, Clamp, Expr, Ode, Stmt, Var
from nnc.ir.types import AttrKind, DType, Locality, Method, Scope

_AUGMENTED = {"+=": BinaryOp.ADD, "-=": BinaryOp.SUB, "*=": BinaryOp.MUL, "/=": BinaryOp.DIV}


@dataclass(frozen=True, slots=True)
class Equation:
    """A statement of an update field, parsed, before name resolution."""

    stmt: Statement
    lhs: Tree
    op: str
    rhs: Tree
    target: str
    target_span: SourceSpan
    ode: bool
    flags: VarFlags

    @property
    def span(self) -> SourceSpan:
        """Span of the whole statement."""
        return self.stmt.span


def read_equation(stmt: Statement, synapse: bool) -> Equation:
    """Parse one update statement and find what it assigns (DSL.md §4.1 rules)."""
    body = stmt.body
    ops = assignment_ops(body.text)
    if not body.text or not ops:
        raise DslSyntaxError(
            f"The equation can not be analysed: '{body.text}'", body.span(), "write name = expression"
        )
    if len(ops) > 1:
        raise DslSyntaxError(
            "Only one assignment operator is allowed per equation",
            body.span(*ops[1]),
            "compare with '==' or split the statement",
        )
    tree = parse(body, "equation")
    lhs, op, rhs = tree.children
    flags = read_flags(stmt, synapse)
    derivs = [t for t in lhs.scan_values(lambda v: isinstance(v, Token) and v.type == "DERIV")]
    if isinstance(lhs, Tree) and lhs.data == "deriv":
        derivs = [lhs.children[0]]
    if len(derivs) > 1:
        raise DslSyntaxError(
            "Exactly one derivative may appear in an ODE",
            _token_span(body, derivs[1]),
            "write one ODE per variable",
        )
    if derivs:
        if str(op) != "=":
            raise DslSyntaxError(
                f"an ODE is written with '=', not '{op}'", _token_span(body, op), "write tau * dx/dt = ..."
            )
        return Equation(
            stmt, lhs, "=", rhs, deriv_name(derivs[0]), _deriv_name_span(body, derivs[0]), True, flags
        )
    return Equation(stmt, lhs, str(op), rhs, _lhs_name(body, lhs), _tree_span(body, lhs), False, flags)


def _lhs_name(body: Fragment, lhs: Tree) -> str:
    if lhs.data == "name":
        return str(lhs.children[0])
    if lhs.data == "qualified":
        raise DslSyntaxError(
            "pre- and post-synaptic attributes cannot be assigned",
            _tree_span(body, lhs),
            "a synapse only assigns its own attributes",
        )
    raise DslSyntaxError(
        "only one variable may be assigned: the left-hand side must be a name or contain d<name>/dt",
        _tree_span(body, lhs),
        "write x = ... or tau * dx/dt + x = ...",
    )


def _tree_span(frag: Fragment, tree: Tree) -> SourceSpan:
    return frag.span(tree.meta.start_pos, tree.meta.end_pos)


def _token_span(frag: Fragment, tok: Token) -> SourceSpan:
    return frag.span(tok.start_pos or 0, tok.end_pos or 0)


def _deriv_name_span(frag: Fragment, tok: Token) -> SourceSpan:
    start = (tok.start_pos or 0) + 1
    return frag.span(start, start + len(deriv_name(tok)))


# --------------------------------------------------------------------------------------------------
# declarations


def declare_variables(
    equations: list[Equation], decls: dict[str, Decl], spiking_neuron: bool = False
) -> None:
    """Declare the target of every equation as a variable (locality and type from its flags)."""
    for eq in equations:
        check_declarable(eq.target, eq.target_span, spiking_neuron)
        locality = eq.flags.locality or Locality.LOCAL
        declare(
            decls, Decl(eq.target, eq.flags.dtype or DType.REAL, locality, AttrKind.VARIABLE, eq.target_span)
        )


def read_model(
    ctx: ParamContext, equations: object, allowed: set[str]
) -> tuple[list[ParamDecl], dict[str, Decl], list[Equation]]:
    """Parameters (declared) and equations (read, targets not yet declared) of a neuron or synapse."""
    params = read_parameters(ctx.parameters, ctx)
    decls: dict[str, Decl] = {}
    for p in params:
        declare(decls, p.decl)
    field = statements(equations, ctx.owner, "equations", EQUATIONS, ctx.synapse)
    eqs = [read_equation(s, ctx.synapse) for s in field]
    for eq in eqs:
        reject_flags(eq.flags, allowed, f"{'synapse' if ctx.synapse else 'neuron'} equations", eq.span)
    return params, decls, eqs


def model_attributes(
    params: list[ParamDecl],
    decls: dict[str, Decl],
    flags: dict[str, VarFlags],
    names: Names,
    state: ModelState,
) -> list[Attribute]:
    """Attributes in declaration order: the parameters as given, then the other declarations."""
    attrs = [
        Attribute(p.decl.name, p.decl.dtype, p.decl.locality, AttrKind.PARAMETER, p.init, span=p.decl.span)
        for p in params
    ]
    given = {p.decl.name for p in params}
    return attrs + [
        attribute(d, flags.get(d.name), names, state) for d in decls.values() if d.name not in given
    ]


def bound(flag, names: Names, state: ModelState, what: str) -> Expr | None:
    """The expression of a ``min=`` / ``max=`` flag (evaluated every step; no random draws)."""
    if flag is None:
        return None
    frag = flag.value
    tree = parse(frag, "expression")
    return ExprBuilder(names, state, frag, Where(field=what, random=False)).build(tree)


def attribute(decl: Decl, flags: VarFlags | None, names: Names, state: ModelState) -> Attribute:
    """The IR attribute of a declared variable, with its init value and bounds."""
    init: InitValue = DEFAULT_INIT[decl.dtype]
    lo = hi = None
    if flags is not None:
        if flags.init is not None:
            init = init_value(flags.init, decl.dtype, {*names.attrs, *names.constants})
        lo = bound(flags.lo, names, state, "min")
        hi = bound(flags.hi, names, state, "max")
        for e in (lo, hi):
            if e is not None:
                check_locality(e, decl.locality, f"the bound of {decl.name}")
    return Attribute(decl.name, decl.dtype, decl.locality, decl.kind, init, lo, hi, decl.span)


def target_var(decl: Decl, span: SourceSpan) -> Var:
    """The IR reference to an attribute being assigned."""
    return Var(decl.name, decl.dtype, decl.locality, Scope.SELF, span)


# --------------------------------------------------------------------------------------------------
# statements


def _assigned(eq: Equation, target: Var, value: Expr) -> Assign:
    if eq.op != "=":
        value = Binary(_AUGMENTED[eq.op], target, value, value.span if hasattr(value, "span") else None)
    return Assign(target, value, eq.span)


def build_equation(eq: Equation, names: Names, state: ModelState, default_method: Method) -> Stmt:
    """``Assign`` or ``Ode`` of one equation (methods: flag, else the default, DSL.md §9.8)."""
    decl = names.attrs[eq.target]
    target = target_var(decl, eq.target_span)
    builder = ExprBuilder(names, state, eq.stmt.body, Where(deriv=eq.ode))
    lhs = builder.build(eq.lhs) if eq.ode else None
    rhs = builder.build(eq.rhs)
    if lhs is None:
        stmt: Stmt = _assigned(eq, target, rhs)
    else:
        stmt = Ode(target, lhs, rhs, eq.flags.method or default_method, eq.span)
    check_stmt_locality(stmt, decl.locality, eq.target)
    return stmt


def build_event(eq: Equation, names: Names, state: ModelState, where: Where) -> list[Stmt]:
    """Statements of one event update (reset, pre_spike ...): the assignment, then its own bounds."""
    if eq.ode:
        raise DslTypeError(
            f"It is forbidden to use ODEs in a {where.field} term",
            eq.span,
            "events are instantaneous: write x += ... and put the ODE in equations",
        )
    builder = ExprBuilder(names, state, eq.stmt.body, where)
    target = builder.resolve(eq.target, eq.target_span)
    if not isinstance(target, Var) or target.scope is Scope.NETWORK:
        raise DslTypeError(
            f"{eq.target} cannot be assigned", eq.target_span, "only attributes of the model can be assigned"
        )
    decl = names.attrs.get(target.name) if target.scope is Scope.SELF else None
    if decl is not None and decl.kind is AttrKind.PARAMETER:
        raise DslTypeError(
            f"the parameter {eq.target} cannot be assigned in {where.field}",
            eq.target_span,
            f"parameters only change from Python; declare {eq.target} as a variable (in equations, "
            f"e.g. '{eq.target} = {eq.target} : init=...') to change it at events",
        )
    out: list[Stmt] = [_assigned(eq, target, builder.build(eq.rhs))]
    lo = bound(eq.flags.lo, names, state, "min")
    hi = bound(eq.flags.hi, names, state, "max")
    if lo is not None or hi is not None:
        out.append(Clamp(target, lo, hi, eq.span))
    return out


def build_condition(frag: Fragment, names: Names, state: ModelState, field: str) -> Expr:
    """One boolean expression (spike, axon_spike, creating, pruning)."""
    if assignment_ops(frag.text):
        start, stop = assignment_ops(frag.text)[0]
        raise DslSyntaxError(
            f"The {field} condition must be a single expression",
            frag.span(start, stop),
            "a condition compares values, e.g. v > v_thresh; updates belong in reset",
        )
    tree = parse(frag, "expression")
    return ExprBuilder(names, state, frag, Where(field=field)).build(tree)


def single_statement(stmts: tuple[Statement, ...], field: str, flags: bool = False) -> Statement | None:
    """The only statement of a condition field; "must be a single expression" otherwise."""
    if len(stmts) > 1:
        raise DslSyntaxError(
            f"The {field} condition must be a single expression",
            stmts[1].span,
            "combine conditions with 'and' / 'or' on one line",
        )
    if stmts and stmts[0].flags and not flags:
        raise DslSyntaxError(
            f"the {field} condition takes no flags", stmts[0].flags[0].span, "remove the text after ':'"
        )
    return stmts[0] if stmts else None
