"""Structural invariants of a module, checked after every pass.

Checked: loop nesting per owner kind; attribute reads and writes exist, agree with their declaration
and happen at a loop level that sees their locality; only variables are assigned; ``Let`` names are
unique in their kernel and every ``Temp`` reads an earlier ``Let`` of the same type; call and
random-draw arities; ``Reduce`` only in a dendrite loop (its value is checked per synapse); ``Deriv``
only inside an ``Ode`` whose derivative it is, and neither survives discretisation. Whole-population
statements (``ClearInputs``, ``PushDelayed``, ``ComputeGlobalOp``) only in population kernels, at the top
level or in the neuron loop; a ``TimedStep`` only at the top level of the NEURON kernel of a rate-coded
population into a local real variable; a fused dendrite only in a neuron loop of its projection's
post population, its body checked as that projection's dendrite loop, never reading a delay queue the
same loop pushes. Spiking: a ``Spike`` only as the last statement of the neuron loop of a spiking
population's NEURON kernel (its resets checked as neuron statements); event loops (pre/axon/post spikes)
only at the top level of a projection kernel from a spiking population, each holding synapse loops;
``post.g_<target>`` assigned only in the synapse loop of pre-synaptic (or axonal) spikes, for a spiking
post population; ``event_age`` only in the synapse loop of an event, of a projection with a
``_last_event``; ODE guards boolean.
"""

from __future__ import annotations

from nnc.diagnostics import PassError
from nnc.ir.context import Interner, KernelContexts
from nnc.ir.functions import FUNC_INFO
from nnc.ir.model import LAST_EVENT, Attribute, Kernel, Module
from nnc.ir.nodes import (
    AddInput,
    Assign,
    Call,
    Clamp,
    ClearInputs,
    ComputeGlobalOp,
    Delayed,
    Deriv,
    EventAge,
    Expr,
    ForDendrite,
    ForEach,
    Let,
    Ode,
    PushDelayed,
    Random,
    Reduce,
    Spike,
    Stmt,
    Temp,
    TimedStep,
    Var,
    children,
    stmt_exprs,
    walk,
    walk_stmts,
)
from nnc.ir.types import AttrKind, Domain, DType, Locality, NeuronKind, ObjKind, Phase, Scope

#: Loop nesting allowed, per owner kind: the domain a ForEach may open inside the current one.
_NESTING = {
    (ObjKind.POPULATION, None): {Domain.NEURON},
    (ObjKind.PROJECTION, None): {
        Domain.DENDRITE,
        Domain.PRE_SPIKE,
        Domain.AXON_SPIKE,
        Domain.POST_SPIKE,
        Domain.RECENT_SPIKE,
    },
    (ObjKind.PROJECTION, Domain.DENDRITE): {Domain.SYNAPSE},
    (ObjKind.PROJECTION, Domain.PRE_SPIKE): {Domain.SYNAPSE},
    (ObjKind.PROJECTION, Domain.AXON_SPIKE): {Domain.SYNAPSE},
    (ObjKind.PROJECTION, Domain.POST_SPIKE): {Domain.SYNAPSE},
    (ObjKind.PROJECTION, Domain.RECENT_SPIKE): {Domain.SYNAPSE},
}
#: Event loops whose synapses may add to the post neuron's conductances.
_DELIVERING = frozenset({Domain.PRE_SPIKE, Domain.AXON_SPIKE})
#: Event loops over pre-synaptic spikes: each touches a dendrite at most once per spike, and a thread owns
#: its dendrites, so their synapse loops may also update semiglobal variables.
_PRE_EVENTS = frozenset({Domain.PRE_SPIKE, Domain.AXON_SPIKE, Domain.RECENT_SPIKE})
#: Localities of the owner's attributes readable at each loop level.
#: The locality of the owner's attributes assigned at each loop level (one value per iteration).
_ASSIGNED: dict[Domain | None, Locality | None] = {
    None: Locality.GLOBAL,
    Domain.NEURON: Locality.LOCAL,
    Domain.DENDRITE: Locality.SEMIGLOBAL,
    Domain.SYNAPSE: Locality.LOCAL,
    Domain.PRE_SPIKE: None,
    Domain.AXON_SPIKE: None,
    Domain.POST_SPIKE: None,
    Domain.RECENT_SPIKE: None,
}
_VISIBLE = {
    None: {Locality.GLOBAL},
    Domain.NEURON: {Locality.GLOBAL, Locality.LOCAL},
    Domain.DENDRITE: {Locality.GLOBAL, Locality.SEMIGLOBAL},
    Domain.SYNAPSE: {Locality.GLOBAL, Locality.SEMIGLOBAL, Locality.LOCAL},
    Domain.PRE_SPIKE: {Locality.GLOBAL},
    Domain.AXON_SPIKE: {Locality.GLOBAL},
    Domain.POST_SPIKE: {Locality.GLOBAL},
    Domain.RECENT_SPIKE: {Locality.GLOBAL},
}


class _Verifier:
    def __init__(self, module: Module, stage: str, odes: bool | None = None):
        self.module = module
        self.stage = stage
        self.odes = stage == "ir" if odes is None else odes
        self.lets: set[str] = set()
        self.let_types: dict[str, object] = {}

    def fail(self, kernel: Kernel, message: str) -> None:
        raise PassError(f"IR does not verify after '{self.stage}': kernel {kernel.name}: {message}")

    def attrs(self, kernel: Kernel, scope: Scope) -> dict[str, Attribute]:
        m = self.module
        if kernel.owner is ObjKind.POPULATION:
            if scope is Scope.SELF:
                return {a.name: a for a in m.populations[kernel.owner_id].attributes}
            return {}
        proj = m.projections[kernel.owner_id]
        match scope:
            case Scope.SELF:
                return {a.name: a for a in proj.attributes}
            case Scope.PRE:
                return {a.name: a for a in m.populations[proj.pre].attributes}
            case Scope.POST:
                return {a.name: a for a in m.populations[proj.post].attributes}
        return {}

    def kernel(self, k: Kernel) -> None:
        owners = self.module.populations if k.owner is ObjKind.POPULATION else self.module.projections
        if not 0 <= k.owner_id < len(owners):
            self.fail(k, f"owner {k.owner.value} #{k.owner_id} does not exist")
        self.lets = set()
        self.let_types = {}
        self.outer: Domain | None = None
        self.block(k, k.body, None, set())

    def block(self, k: Kernel, body: tuple[Stmt, ...], domain: Domain | None, temps: set[str]) -> None:
        temps = set(temps)
        for n, s in enumerate(body):
            in_ode = isinstance(s, Ode)
            for e in stmt_exprs(s):
                self.expr(k, e, domain, temps, in_ode)
            match s:
                case ForEach(domain=inner, body=inner_body):
                    if inner not in _NESTING.get((k.owner, domain), set()):
                        self.fail(k, f"loop over {inner.value} not allowed here")
                    if inner.is_event:
                        self.event_loop(k, inner)
                    outer, self.outer = self.outer, domain
                    self.block(k, inner_body, inner, temps)
                    self.outer = outer
                case Spike():
                    self.spike(k, s, domain, n == len(body) - 1, temps)
                case Let(name=n, value=v):
                    if n in temps or n in self.lets:
                        self.fail(k, f"temporary %{n} bound twice")
                    temps.add(n)
                    self.lets.add(n)
                    self.let_types[n] = v.dtype
                case Assign(target=t) | Clamp(target=t):
                    self.target(k, t, domain)
                case Ode():
                    self.ode(k, s, domain)
                case ForDendrite():
                    self.dendrite(k, s, domain, body)
                case _:
                    self.placement(k, s, domain)

    def spike(self, k: Kernel, s: Spike, domain: Domain | None, last: bool, temps: set[str]) -> None:
        """Spike emission: the end of a spiking population's neuron loop; resets are neuron statements."""
        pop = self.module.populations[k.owner_id] if k.owner is ObjKind.POPULATION else None
        if (
            pop is None
            or pop.kind is not NeuronKind.SPIKE
            or domain is not Domain.NEURON
            or (k.phase is not Phase.NEURON)
        ):
            self.fail(k, "spike emission outside the neuron loop of a spiking population's neuron kernel")
        if not last:
            self.fail(k, "spike emission must end its neuron loop")
        if s.refractory.dtype is not DType.INT:
            self.fail(k, "the refractory period of a spike must be an int (steps)")
        self.block(k, s.reset, domain, temps)
        self.block(k, s.axon_reset, domain, temps)

    def event_loop(self, k: Kernel, domain: Domain) -> None:
        """Event loops: in a projection from a spiking population, in the phase of their events."""
        proj = self.module.projections[k.owner_id]
        if self.module.populations[proj.pre].kind is not NeuronKind.SPIKE:
            self.fail(k, f"loop over {domain.value}s in a projection from a rate-coded population")
        phase = Phase.POST_EVENTS if domain is Domain.POST_SPIKE else Phase.TRANSMIT
        if domain is Domain.RECENT_SPIKE and not proj.decoding:
            self.fail(k, "a loop over recent spikes outside a decoding projection")
        if k.phase is not phase:
            self.fail(k, f"loop over {domain.value}s outside the {phase.name.lower()} phase")
        if domain is Domain.POST_SPIKE and self.module.populations[proj.post].kind is not NeuronKind.SPIKE:
            self.fail(k, "post-synaptic events of a rate-coded population")

    def placement(self, k: Kernel, s: Stmt, domain: Domain | None) -> None:
        match s:
            case AddInput() if domain is not Domain.DENDRITE:
                self.fail(k, "AddInput outside a dendrite loop")
            case ClearInputs() | PushDelayed() | ComputeGlobalOp() if (
                k.owner is not ObjKind.POPULATION or domain not in (None, Domain.NEURON)
            ):
                self.fail(k, f"{type(s).__name__} outside a population's top level or neuron loop")
            case TimedStep():
                self.timed_step(k, s, domain)

    def timed_step(self, k: Kernel, s: TimedStep, domain: Domain | None) -> None:
        """A scheduler step: top level of a rate-coded population's NEURON kernel, into a local real
        variable."""
        if k.owner is not ObjKind.POPULATION or k.phase is not Phase.NEURON or domain is not None:
            self.fail(k, "TimedStep outside the top level of a population's neuron kernel")
            return
        pop = self.module.populations[k.owner_id]
        r = pop.attribute(s.var)
        if (
            r is None
            or r.kind is not AttrKind.VARIABLE
            or (r.locality is not Locality.LOCAL or r.dtype is not DType.REAL)
        ):
            self.fail(k, f"TimedStep needs a population with a local real variable {s.var}")

    def dendrite(self, k: Kernel, s: ForDendrite, domain: Domain | None, loop: tuple[Stmt, ...]) -> None:
        m = self.module
        if k.owner is not ObjKind.POPULATION or domain is not Domain.NEURON:
            self.fail(k, "a fused dendrite outside a population's neuron loop")
        if not 0 <= s.proj < len(m.projections) or m.projections[s.proj].post != k.owner_id:
            self.fail(k, f"fused dendrite of projection #{s.proj}, which does not end in this population")
        pushed = {v for p in loop if isinstance(p, PushDelayed) for v in p.vars}
        if m.projections[s.proj].pre == k.owner_id and any(
            isinstance(n, Delayed) and n.var.name in pushed
            for st in walk_stmts(s.body)
            for e in stmt_exprs(st)
            for n in walk(e)
        ):
            self.fail(k, f"the fused dendrite of {m.projections[s.proj].name} reads a queue this loop pushes")
        inner = m.dendrite_kernel(s)
        self.block(inner, inner.body, None, set())

    def ode(self, k: Kernel, s: Ode, domain: Domain | None) -> None:
        t = s.target
        if s.guard is not None and s.guard.dtype is not DType.BOOL:
            self.fail(k, f"the guard of the ODE for '{t.name}' is not boolean")
        if not self.odes:
            self.fail(k, f"ODE for '{t.name}' left after discretisation")
        derivs = {n.name for e in (s.lhs, s.rhs) for n in walk(e) if isinstance(n, Deriv)}
        if derivs != {t.name}:
            self.fail(k, f"ODE for '{t.name}' must contain exactly its own derivative")
        self.target(k, t, domain)

    def target(self, k: Kernel, t: Var, domain: Domain | None) -> None:
        delivering = (domain is Domain.SYNAPSE and self.outer in _DELIVERING) or (
            domain is Domain.DENDRITE and k.phase is Phase.TRANSMIT
        )
        if t.scope is Scope.POST and delivering:
            self.conductance(k, t)
            return
        if t.scope is not Scope.SELF:
            self.fail(k, f"assignment to {t.scope.value}.{t.name}")
        attr = self.attrs(k, Scope.SELF).get(t.name)
        if attr is None:
            self.fail(k, f"assignment to undeclared '{t.name}'")
        elif attr.kind is AttrKind.PARAMETER:
            self.fail(k, f"assignment to parameter '{t.name}'")
        elif attr.locality is not _ASSIGNED[domain] and not (
            attr.locality is Locality.SEMIGLOBAL and domain is Domain.SYNAPSE and self.outer in _PRE_EVENTS
        ):
            self.fail(k, f"'{t.name}' ({attr.locality.value}) assigned at the wrong loop level")

    def conductance(self, k: Kernel, t: Var) -> None:
        """``post.g_<target>`` assigned by a delivered spike or a continuous psp: a local real variable of
        a spiking post, from a projection of a spiking population."""
        proj = self.module.projections[k.owner_id]
        post = self.module.populations[proj.post]
        reads_pre = proj.current or proj.stencil is not None  # pre-synaptic variables, every step
        if self.module.populations[proj.pre].kind is not NeuronKind.SPIKE and not reads_pre:
            self.fail(k, f"a projection from a rate-coded population assigns post.{t.name}")
        attr = post.attribute(t.name)
        if (
            post.kind is not NeuronKind.SPIKE
            or not (t.name.startswith("g_") or t.name in proj.post_writes)
            or attr is None
            or (attr.kind is not AttrKind.VARIABLE or attr.locality is not Locality.LOCAL)
        ):
            self.fail(k, f"a spike may only add to a conductance g_<target> of a spiking post, not {t.name}")

    def expr(self, k: Kernel, e: Expr, domain: Domain | None, temps: set[str], in_ode: bool = False) -> None:
        if isinstance(e, Reduce):
            if domain is not Domain.DENDRITE:
                self.fail(k, "reduce outside a dendrite loop")
            self.expr(k, e.value, Domain.SYNAPSE, temps)  # evaluated per synapse of the dendrite
            return
        for child in children(e):
            self.expr(k, child, domain, temps, in_ode)
        if isinstance(e, Var):
            self.var(k, e, domain)
        else:
            self.node(k, e, temps, in_ode)

    def node(self, k: Kernel, e: Expr, temps: set[str], in_ode: bool) -> None:
        match e:
            case Temp(name=n):
                if n not in temps:
                    self.fail(k, f"temporary %{n} used before its let")
                elif self.let_types[n] is not e.type:
                    self.fail(k, f"temporary %{n} read with another type than its let")
            case Deriv():
                if not self.odes:
                    self.fail(k, "derivative left after discretisation")
                if not in_ode:
                    self.fail(k, "derivative outside an ODE")
            case Call(func=f, args=args) if len(args) != FUNC_INFO[f].arity:
                self.fail(k, f"{f.value} takes {FUNC_INFO[f].arity} arguments, got {len(args)}")
            case Random(dist=d, args=args) if len(args) != d.arity:
                self.fail(k, f"{d.value} takes {d.arity} arguments, got {len(args)}")
            case EventAge():
                owner = self.module.projections[k.owner_id] if k.owner is ObjKind.PROJECTION else None
                if (
                    owner is None
                    or owner.attribute(LAST_EVENT) is None
                    or not (self.outer is not None and self.outer.is_event)
                ):
                    self.fail(
                        k, "event_age outside the synapse loop of an event of a projection that tracks them"
                    )

    def var(self, k: Kernel, node: Var, domain: Domain | None) -> None:
        if node.scope is Scope.NETWORK:
            if node.name not in self.module.constants:
                self.fail(k, f"unknown constant '{node.name}'")
            return
        attr = self.attrs(k, node.scope).get(node.name)
        if attr is None:
            self.fail(k, f"unknown attribute {node.scope.value}.{node.name}")
        elif attr.locality is not node.locality or attr.dtype is not node.dtype:
            self.fail(k, f"reference to '{node.name}' disagrees with its declaration")
        elif node.scope is Scope.SELF and node.locality not in _VISIBLE[domain]:
            self.fail(k, f"'{node.name}' ({node.locality.value}) read at the wrong loop level")


def verify(
    module: Module, stage: str = "ir", odes: bool | None = None, interner: Interner | None = None
) -> None:
    """Raise :class:`PassError` if ``module`` breaks an invariant; ``stage`` names the pass just run.

    ``odes``: whether ODEs (and derivatives) may still be present, that is, the discretise pass has not
    run yet (default: only at stage ``ir``). The verification of a kernel reads its body and the
    declarations of the objects it reaches: kernels with equal context keys
    (:class:`~nnc.ir.context.KernelContexts`) verify alike, and only the first of them is verified.
    ``interner``: one shared by the verifications of a pipeline run.
    """
    v = _Verifier(module, stage, odes)
    contexts = KernelContexts(module, interner)
    done: set[tuple[object, ...]] = set()
    for k in module.kernels:
        key = contexts.key(k)
        if key is not None and key in done:
            continue
        v.kernel(k)
        if key is not None:
            done.add(key)
