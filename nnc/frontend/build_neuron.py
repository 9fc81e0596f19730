"""A ``Neuron`` description -> :class:`NeuronModel` (DSL.md §1, §3, §4, §10)."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

from nnc.descriptions.models import Neuron, is_given
from nnc.diagnostics import DslNameError, DslTypeError, ModelError, SourceSpan, SourceText
from nnc.frontend.build_expr import Where
from nnc.frontend.build_function import parse_functions
from nnc.frontend.build_ir import (
    Equation,
    attribute,
    build_condition,
    build_equation,
    build_event,
    declare_variables,
    model_attributes,
    read_equation,
    read_model,
    single_statement,
)
from nnc.frontend.build_params import ParamContext
from nnc.frontend.checks import check_coupled_methods
from nnc.frontend.flags import reject_flags
from nnc.frontend.names import Decl, ModelState, Names
from nnc.frontend.text import CONDITION, EQUATIONS, statements
from nnc.ir.model import FunctionDef, NeuronModel
from nnc.ir.nodes import Assign, Const, Expr, Ode, Stmt, Var
from nnc.ir.types import AttrKind, DType, Locality, Method, NeuronKind, Scope

#: Flags a neuron equation may carry (``unless_post`` belongs to synapses' pre_spike).
_EQUATION_FLAGS = {"locality", "type", "method", "init", "min", "max"}
#: Flags of reset / axon_reset statements: their own bounds.
_EVENT_FLAGS = {"min", "max"}


@dataclass(frozen=True, slots=True)
class NeuronEnv:
    """What the network tells the analysis of one neuron (see ``analyse.Environment``)."""

    constants: tuple[str, ...]
    functions: tuple[FunctionDef, ...]
    default_method: Method
    connected_targets: tuple[str, ...] | None


def build_neuron(neuron: Neuron, env: NeuronEnv, name: str | None) -> NeuronModel:
    """Analyse ``neuron``; ``name`` (a population name) is used when the model has none."""
    model_name = neuron.name or name or "neuron"
    owner = f"Neuron '{model_name}'"
    spiking = is_given(neuron.spike)
    ctx = ParamContext(owner, False, spiking, frozenset(env.constants), neuron.parameters)
    params, decls, equations = read_model(ctx, neuron.equations, _EQUATION_FLAGS)
    declare_variables(equations, decls, spiking)
    _rate_variable(decls, spiking, neuron.implicit_rate, owner)
    local_functions = parse_functions(neuron.functions, owner, env.functions, env.constants)
    functions = {f.name: f for f in (*env.functions, *local_functions)}
    names = Names(decls, frozenset(env.constants), functions, spiking, connected=env.connected_targets)
    state = ModelState()
    stmts = [_equation(eq, names, state, env.default_method) for eq in equations]
    check_coupled_methods(tuple(stmts), synapse=False)
    spike, reset, axon_spike, axon_reset = _spiking_fields(neuron, owner, names, state, spiking)
    refractory = _refractory(neuron.refractory, owner, decls, spiking)
    if spiking:  # a target that projections use but the equations do not still has its conductance
        for t in env.connected_targets or ():
            g = f"g_{t}"
            if g not in decls and g not in state.implicit:
                state.implicit[g] = Decl(g, DType.REAL, Locality.LOCAL, AttrKind.VARIABLE)
                state.use_target(t)
    stmts += [
        Assign(Var(g, DType.REAL, Locality.LOCAL, Scope.SELF), Const(0.0, DType.REAL))
        for g in state.implicit
        if g not in {s.target.name for s in stmts if isinstance(s, Assign | Ode)}
    ]
    attrs = model_attributes(params, decls, {eq.target: eq.flags for eq in equations}, names, state)
    attrs += [attribute(d, None, names, state) for d in state.implicit.values()]
    return NeuronModel(
        model_name,
        NeuronKind.SPIKE if spiking else NeuronKind.RATE,
        tuple(attrs),
        tuple(stmts),
        _targets(decls, state, spiking),
        local_functions,
        spike,
        reset,
        axon_spike,
        axon_reset,
        refractory,
    )


def _targets(decls: dict[str, Decl], state: ModelState, spiking: bool) -> tuple[str, ...]:
    """Targets of the neuron: ``g_<t>`` variables of a spiking neuron, then ``sum(<t>)`` / implicit ones."""
    declared = [
        d.name[2:]
        for d in decls.values()
        if spiking and d.kind is AttrKind.VARIABLE and d.name.startswith("g_") and len(d.name) > 2
    ]
    return tuple(dict.fromkeys([*declared, *state.targets]))


def _rate_variable(decls: dict[str, Decl], spiking: bool, implicit: bool, owner: str) -> None:
    """Spiking neurons get ``r`` (mean rate) implicitly, as do BOLD models that do not declare it
    (``Neuron.implicit_rate``); other rate-coded neurons must declare it (DSL.md §5.2)."""
    if spiking or (implicit and "r" not in decls):
        decls["r"] = Decl("r", DType.REAL, Locality.LOCAL, AttrKind.VARIABLE)
    elif "r" not in decls:
        raise ModelError(
            f'{owner}: Rate-coded neurons must define the variable "r" (e.g. r = pos(v)), '
            "or a spike condition to be spiking"
        )


def _equation(eq: Equation, names: Names, state: ModelState, method: Method) -> Stmt:
    if eq.ode and eq.flags.method is Method.EVENT_DRIVEN:
        raise DslTypeError(
            "the event-driven method is only available in spiking synapses",
            eq.span,
            "use exponential for linear ODEs of neurons",
        )
    return build_equation(eq, names, state, method)


def _events(value: object, owner: str, field: str, names: Names, state: ModelState) -> tuple[Stmt, ...]:
    out: list[Stmt] = []
    for stmt in statements(value, owner, field, EQUATIONS):
        eq = read_equation(stmt, False)
        reject_flags(eq.flags, _EVENT_FLAGS, field, eq.span)
        out += build_event(eq, names, state, Where(field=field))
    return tuple(out)


def _condition(value: object, owner: str, field: str, names: Names, state: ModelState) -> Expr | None:
    stmt = single_statement(statements(value, owner, field, CONDITION), field)
    return None if stmt is None else build_condition(stmt.body, names, state, field)


def _spiking_fields(
    neuron: Neuron, owner: str, names: Names, state: ModelState, spiking: bool
) -> tuple[Expr | None, tuple[Stmt, ...], Expr | None, tuple[Stmt, ...]]:
    """spike, reset, axon_spike, axon_reset (DSL.md §10.1); none of them for rate-coded neurons."""
    if not spiking:
        for field in ("reset", "axon_spike", "axon_reset"):
            if is_given(getattr(neuron, field)):
                raise DslTypeError(
                    f"{field} is given but the neuron has no spike condition",
                    _first_span(getattr(neuron, field), owner, field),
                    "add spike='...' to make the neuron spiking, or remove it from this rate-coded neuron",
                )
        return None, (), None, ()
    spike = _condition(neuron.spike, owner, "spike", names, state)
    reset = _events(neuron.reset, owner, "reset", names, state)
    axon_spike = _condition(neuron.axon_spike, owner, "axon_spike", names, state)
    axon_reset = _events(neuron.axon_reset, owner, "axon_reset", names, state)
    if axon_reset and axon_spike is None:
        raise DslTypeError(
            "axon_reset is given without axon_spike",
            _first_span(neuron.axon_reset, owner, "axon_reset"),
            "add axon_spike='...' (the condition of the axonal events axon_reset runs at)",
        )
    return spike, reset, axon_spike, axon_reset


def _first_span(value: object, owner: str, field: str) -> SourceSpan | None:
    """The span of the first statement of a field (to point at a field that should not be there)."""
    stmts = statements(value, owner, field, CONDITION if field.endswith("spike") else EQUATIONS)
    return stmts[0].span if stmts else None


def _refractory(value: object, owner: str, decls: dict[str, Decl], spiking: bool) -> float | str | None:
    """ms as a number, or the name of a parameter / variable holding ms (DSL.md §10.1)."""
    if value is None:
        return None
    text = str(value)
    span = SourceSpan(SourceText(owner, "refractory", text), 1, 1, len(text) + 1)
    if not spiking:
        raise DslTypeError(
            f"{owner}: refractory is only meaningful for spiking neurons",
            span,
            "add a spike condition or remove it",
        )
    if isinstance(value, Real) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            name = value.strip()
            if name in decls:
                return name
            raise DslNameError(
                f"refractory = {name}: parameter or variable does not exist",
                span,
                "refractory takes a duration in ms or the name of a parameter or variable",
            ) from None
    raise DslTypeError(
        f"refractory must be a number of ms or a name, not {type(value).__name__}",
        span,
        "set per-neuron values with pop.refractory after creating the population",
    )
