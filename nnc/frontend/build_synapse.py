"""A ``Synapse`` description (or the default one) -> :class:`SynapseModel` (DSL.md §11, MODELS.md §3.1)."""

from __future__ import annotations

from dataclasses import dataclass

from nnc.descriptions.models import Synapse, is_given
from nnc.diagnostics import DslNameError, DslTypeError, ModelError
from nnc.frontend.build_expr import ExprBuilder, Where
from nnc.frontend.build_function import parse_functions
from nnc.frontend.build_ir import (
    Equation,
    build_equation,
    build_event,
    declare_variables,
    model_attributes,
    read_equation,
    read_model,
    single_statement,
)
from nnc.frontend.build_params import ParamContext
from nnc.frontend.build_structural import structural_rule
from nnc.frontend.checks import check_coupled_methods, check_event_driven
from nnc.frontend.flags import VarFlags, reject_flags
from nnc.frontend.names import Decl, ModelState, Names, check_declarable
from nnc.frontend.parser import parse
from nnc.frontend.text import CONDITION, EQUATIONS, statements
from nnc.ir.model import G_TARGET, FunctionDef, NeuronModel, SynapseModel
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    CmpOp,
    Compare,
    Expr,
    Ode,
    ReduceOp,
    Select,
    SpikeTime,
    Stmt,
    Var,
)
from nnc.ir.types import AttrKind, DType, Locality, Method, NeuronKind, Scope

_EQUATION_FLAGS = {"locality", "type", "method", "init", "min", "max"}
_EVENT_FIELDS = ("pre_spike", "post_spike", "pre_axon_spike")
_EVENT_FLAGS = {
    "pre_spike": {"init", "min", "max", "unless_post"},
    "post_spike": {"init", "min", "max"},
    "pre_axon_spike": {"min", "max"},
}


@dataclass(frozen=True, slots=True)
class SynapseEnv:
    """What the network tells the analysis of one synapse (see ``analyse.Environment``)."""

    constants: tuple[str, ...]
    functions: tuple[FunctionDef, ...]
    default_method: Method
    pre_targets: tuple[str, ...]
    post_targets: tuple[str, ...]


def default_synapse(spiking: bool) -> Synapse:
    """The synapse of a projection created without one (MODELS.md §3.1)."""
    if spiking:
        return Synapse(pre_spike="g_target += w", name="default spiking synapse")
    return Synapse(psp="w * pre.r", name="default rate-coded synapse")


def build_synapse(
    synapse: Synapse | None, env: SynapseEnv, pre: NeuronModel, post: NeuronModel
) -> SynapseModel:
    """Analyse ``synapse`` for a projection from ``pre`` to ``post`` (its kind is the kind of ``pre``)."""
    spiking = pre.kind is NeuronKind.SPIKE
    synapse = synapse if synapse is not None else default_synapse(spiking)
    owner = f"Synapse '{synapse.name or type(synapse).__name__}'"
    _check_kind(synapse, owner, pre, post)
    ctx = ParamContext(owner, True, False, frozenset(env.constants), synapse.parameters)
    params, decls, equations = read_model(ctx, synapse.equations, _EQUATION_FLAGS)
    if "w" not in decls and "w" not in {eq.target for eq in equations}:
        decls["w"] = Decl("w", DType.REAL, Locality.LOCAL, AttrKind.PARAMETER)
    declare_variables(equations, decls)
    _check_no_g_target(decls)
    events = {f: _read_events(getattr(synapse, f), owner, f) for f in _EVENT_FIELDS}
    event_flags = _declare_event_variables(events, decls)
    if any(eq.target == "w" for eqs in events.values() for eq in eqs) and "w" in decls:
        w = decls["w"]  # a weight that events change is a variable (DSL.md §11.1: the synapse is plastic)
        decls["w"] = Decl(w.name, w.dtype, w.locality, AttrKind.VARIABLE, w.span)
    local_functions = parse_functions(synapse.functions, owner, env.functions, env.constants)
    functions = {f.name: f for f in (*env.functions, *local_functions)}
    names = Names(decls, frozenset(env.constants), functions, spiking, True, pre, post, None, env.pre_targets,
                  env.post_targets)  # fmt: skip
    state = ModelState()
    stmts = tuple(_equation(eq, names, state, env.default_method, spiking) for eq in equations)
    psp = _psp(synapse.psp, owner, names, state)
    check_event_driven(stmts, psp)
    check_coupled_methods(stmts, synapse=True)
    if psp is None and not spiking:
        psp = Binary(BinaryOp.MUL, _var(decls["w"]), _pre_r(pre))
    pre_spike, post_spike, pre_axon = _event_fields(events, names, state, psp is not None or not spiking)
    creating = structural_rule(synapse.creating, owner, "creating", names, state)
    pruning = structural_rule(synapse.pruning, owner, "pruning", names, state)
    flags = {eq.target: eq.flags for eq in equations} | event_flags
    attrs = model_attributes(params, decls, flags, names, state)
    return SynapseModel(
        synapse.name or type(synapse).__name__,
        tuple(attrs),
        stmts,
        psp,
        ReduceOp(synapse.operation),
        local_functions,
        pre_spike,
        post_spike,
        pre_axon,
        pre.kind,
        creating,
        pruning,
    )


def _check_kind(synapse: Synapse, owner: str, pre: NeuronModel, post: NeuronModel) -> None:
    """The kind comes from the pre population: event fields need it spiking (DSL.md §1, §11)."""
    if pre.kind is NeuronKind.RATE:
        for field in _EVENT_FIELDS:
            if is_given(getattr(synapse, field)):
                raise ModelError(
                    f"{owner} defines {field} (a spiking synapse) but the pre-synaptic population "
                    f"({pre.name}) is rate-coded (hint: a synapse takes the kind of its pre-synaptic "
                    "population; a rate-coded synapse uses psp and equations)"
                )
        return
    if synapse.operation != "sum":
        raise ModelError(
            f"{owner}: Spiking synapses can only perform a sum of presynaptic potentials, "
            f"not {synapse.operation!r} (hint: remove operation=, spikes add up in g_target)"
        )
    if is_given(synapse.post_spike) and post.kind is not NeuronKind.SPIKE:
        raise ModelError(
            f"{owner} defines post_spike but the post-synaptic population ({post.name}) does not spike "
            "(hint: post_spike needs a spiking post-synaptic population; use equations with post.r "
            "for a rate-coded one)"
        )


def _var(decl: Decl) -> Var:
    return Var(decl.name, decl.dtype, decl.locality, Scope.SELF)


def _pre_r(pre: NeuronModel) -> Var:
    r = pre.attribute("r")
    if r is None:  # pragma: no cover - every analysed neuron has r
        raise ModelError(f"the pre-synaptic population ({pre.name}) has no r")
    return Var("r", r.dtype, r.locality, Scope.PRE)


def _equation(eq: Equation, names: Names, state: ModelState, method: Method, spiking: bool) -> Stmt:
    if eq.ode and eq.flags.method is Method.EVENT_DRIVEN and not spiking:
        raise DslTypeError(
            "the event-driven method is only available in spiking synapses",
            eq.span,
            "use exponential for linear ODEs of rate-coded synapses",
        )
    return build_equation(eq, names, state, method)


def _psp(value: object, owner: str, names: Names, state: ModelState) -> Expr | None:
    stmt = single_statement(statements(value, owner, "psp", CONDITION, True), "psp")
    if stmt is None:
        return None
    return ExprBuilder(names, state, stmt.body, Where(field="psp")).build(parse(stmt.body, "expression"))


# --------------------------------------------------------------------------------------------------
# event fields


def _read_events(value: object, owner: str, field: str) -> list[Equation]:
    out = []
    for stmt in statements(value, owner, field, EQUATIONS, True):
        eq = read_equation(stmt, True)
        reject_flags(eq.flags, _EVENT_FLAGS[field], field, eq.span)
        out.append(eq)
    return out


def _declare_event_variables(
    events: dict[str, list[Equation]], decls: dict[str, Decl]
) -> dict[str, VarFlags]:
    """Names first assigned in an event field become local float variables (DSL.md §11.1)."""
    flags: dict[str, VarFlags] = {}
    for field, eqs in events.items():
        for eq in eqs:
            if eq.target == G_TARGET:
                continue
            if eq.target in decls:
                if eq.flags.init is not None:
                    raise DslTypeError(
                        f"init can only be given where {eq.target} is declared",
                        eq.flags.init.span,
                        f"{eq.target} is declared in {decls[eq.target].span or 'the model'}",
                    )
                continue
            if field == "pre_axon_spike":
                continue  # reported when the statement is built
            check_declarable(eq.target, eq.target_span)
            _check_not_a_conductance(eq, field)
            decls[eq.target] = Decl(eq.target, DType.REAL, Locality.LOCAL, AttrKind.VARIABLE, eq.target_span)
            flags[eq.target] = eq.flags
    return flags


def _check_not_a_conductance(eq: Equation, field: str) -> None:
    """An undeclared ``g_<t>`` assigned in an event is most likely meant as the post conductance."""
    if eq.target.startswith("g_"):
        raise DslNameError(
            f"{eq.target} is not declared by the synapse: it would become a new synaptic variable, "
            "not the post-synaptic conductance",
            eq.target_span,
            "a synapse updates the conductance of its projection's target through g_target "
            "(pre_spike: g_target += w); declare the variable in equations if a synaptic variable is meant",
        )


def _check_no_g_target(decls: dict[str, Decl]) -> None:
    """``g_target`` is the post-synaptic conductance, not a name a synapse may declare."""
    decl = decls.get(G_TARGET)
    if decl is not None:
        raise DslNameError(
            "g_target is a reserved name in synapses",
            decl.span,
            "g_target (the post-synaptic conductance of the target) is only updated in pre_spike "
            "(g_target += w); choose another name",
        )


def _unless_post(stmt: Stmt) -> Stmt:
    """``: unless_post``: keep the old value when pre and post spiked in the same step (DSL.md §11.3)."""
    if not isinstance(stmt, Assign):
        return stmt
    same = Compare(CmpOp.EQ, SpikeTime(Scope.POST), SpikeTime(Scope.PRE))
    return Assign(stmt.target, Select(same, stmt.target, stmt.value, stmt.span), stmt.span)


def _event_stmts(eqs: list[Equation], names: Names, state: ModelState, field: str) -> tuple[Stmt, ...]:
    out: list[Stmt] = []
    for eq in eqs:
        if field == "pre_axon_spike" and eq.target != G_TARGET:
            raise DslTypeError(
                f"pre_axon_spike may only update g_target, not {eq.target}",
                eq.target_span,
                "write g_target += w",
            )
        on_g = field != "post_spike" and eq.target == G_TARGET
        built = build_event(eq, names, state, Where(field=field, g_target=on_g))
        out += [_unless_post(s) for s in built] if eq.flags.unless_post is not None else built
    return tuple(out)


def _event_fields(
    events: dict[str, list[Equation]], names: Names, state: ModelState, continuous: bool
) -> tuple[tuple[Stmt, ...], tuple[Stmt, ...], tuple[Stmt, ...]]:
    """pre_spike, post_spike and pre_axon_spike statements, in that order of analysis."""
    pre_spike = _pre_spike(events["pre_spike"], names, state, continuous)
    post_spike = _event_stmts(events["post_spike"], names, state, "post_spike")
    return pre_spike, post_spike, _event_stmts(events["pre_axon_spike"], names, state, "pre_axon_spike")


def _pre_spike(eqs: list[Equation], names: Names, state: ModelState, continuous: bool) -> tuple[Stmt, ...]:
    """``g_target`` statements first, then the others in order; default ``g_target += w`` (DSL.md §11.3)."""
    on_target = _event_stmts([eq for eq in eqs if eq.target == G_TARGET], names, state, "pre_spike")
    others = _event_stmts([eq for eq in eqs if eq.target != G_TARGET], names, state, "pre_spike")
    if not on_target and not continuous:
        g = Var(G_TARGET, DType.REAL, Locality.LOCAL, Scope.POST)
        on_target = (Assign(g, Binary(BinaryOp.ADD, g, _var(names.attrs["w"]))),)
    return on_target + others


__all__ = ["Ode", "SynapseEnv", "build_synapse", "default_synapse"]
