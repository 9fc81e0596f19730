"""Network assembly of spiking objects: refractory guards, spike emission and the event kernels.

A spiking population's NEURON kernel freezes its non-conductance equations while the neuron is
refractory (SEMANTICS.md §6.2): the local equations read ``let %active = refractory_remaining <= 0``
and only apply where it holds (an ``Assign`` becomes ``x = ite(%active, value, x)``, an ``Ode`` gets
``%active`` as its guard). Variables named ``g_...`` and global equations are never frozen. Spike
emission (:class:`~nnc.ir.nodes.Spike`) is a kernel of its own, ``<pop>.spike``, in the same phase; the
fuse pass merges it into the update loop.

A spiking projection gets (SEMANTICS.md §4, §9):

* a TRANSMIT kernel with a ``pre_spike`` loop over the delivered spikes (event-driven variables brought
  up to date, ``_last_event = step``, then the ``pre_spike`` statements with ``g_target`` replaced by the
  post neuron's ``g_<t>`` for every target ``t``), a dendrite loop adding a continuous ``psp`` to
  ``post.g_<t>``, and an ``axon_spike`` loop for ``pre_axon_spike``;
* a POST_EVENTS kernel with a ``post_spike`` loop for ``post_spike`` statements.

Event-driven ODEs stay ``Ode`` statements inside the event loops; the discretise pass integrates them
over the synapse's ``event_age``. They are not part of the per-step SYNAPSE kernel.
"""

from __future__ import annotations

from collections.abc import Callable

from nnc.diagnostics import ModelError
from nnc.ir.model import (
    G_TARGET,
    LAST_EVENT,
    REFRACTORY,
    REFRACTORY_LEFT,
    Kernel,
    NeuronModel,
    SynapseModel,
)
from nnc.ir.nodes import (
    Assign,
    Binary,
    BinaryOp,
    Cast,
    Clamp,
    CmpOp,
    Compare,
    Const,
    Dt,
    Expr,
    ForEach,
    Let,
    Ode,
    Reduce,
    Select,
    Spike,
    Step,
    Stmt,
    Temp,
    Var,
    map_exprs,
    rewrite,
)
from nnc.ir.types import Domain, DType, Locality, Method, ObjKind, Phase, Scope

#: Name of the temporary that holds whether a neuron is out of its refractory period.
ACTIVE = "active"


# --------------------------------------------------------------------------------------------------
# neurons


def _frozen(target: Var) -> bool:
    """Whether refractoriness freezes ``target`` (every local variable but the conductances ``g_...``)."""
    return target.locality is Locality.LOCAL and not target.name.startswith("g_")


def guard_refractory(local: tuple[Stmt, ...]) -> tuple[Stmt, ...]:
    """The local equations of a spiking neuron, applied only while it is active (module docstring)."""
    active = Temp(ACTIVE, DType.BOOL)
    out: list[Stmt] = [
        Let(ACTIVE, Compare(CmpOp.LE, Var(REFRACTORY_LEFT, DType.INT, Locality.LOCAL), Const(0.0)))
    ]
    for s in local:
        match s:
            case Assign(target=t) if _frozen(t):
                out.append(Assign(t, Select(active, s.value, t, s.span), s.span))
            case Ode(target=t) if _frozen(t):
                out.append(Ode(t, s.lhs, s.rhs, s.method, s.span, guard=active))
            case _:
                out.append(s)
    return tuple(out)


def refractory_steps(model: NeuronModel) -> Expr:
    """``R_i`` in steps (SEMANTICS.md §6.2): the ``refractory`` state, or ``int(attr/dt)`` of a named one."""
    if isinstance(model.refractory, str):
        attr = model.attribute(model.refractory)
        if attr is None:  # pragma: no cover - the frontend checked the name
            raise ModelError(f"refractory = {model.refractory}: parameter or variable does not exist")
        value = Var(attr.name, attr.dtype, attr.locality)
        return Cast(DType.INT, Binary(BinaryOp.DIV, value, Dt()))
    return Var(REFRACTORY, DType.INT, Locality.LOCAL)


def spike_kernel(
    name: str, pop: int, model: NeuronModel, renumber: Callable[..., tuple[Stmt, ...]]
) -> Kernel | None:
    """``<pop>.spike``: the spike test, resets and refractoriness of every neuron (None without a spike
    condition, which only hand-built models lack)."""
    if model.spike is None:
        return None
    spike = Spike(model.spike, model.reset, refractory_steps(model), model.axon_spike, model.axon_reset)
    (spike,) = renumber((spike,), ObjKind.POPULATION, pop)
    body = (ForEach(Domain.NEURON, (spike,)),)
    return Kernel(f"{name}.spike", Phase.NEURON, ObjKind.POPULATION, pop, body)


# --------------------------------------------------------------------------------------------------
# synapses


def event_driven(model: SynapseModel) -> tuple[Ode, ...]:
    """The event-driven ODEs of a synapse, in declaration order."""
    return tuple(s for s in model.equations if isinstance(s, Ode) and s.method is Method.EVENT_DRIVEN)


def per_step(model: SynapseModel) -> tuple[Stmt, ...]:
    """The synaptic equations of the SYNAPSE phase (all but the event-driven ones)."""
    return tuple(s for s in model.equations if not (isinstance(s, Ode) and s.method is Method.EVENT_DRIVEN))


def _on_targets(stmts: tuple[Stmt, ...], targets: tuple[str, ...]) -> tuple[Stmt, ...]:
    """Statements on ``g_target`` repeated for each target's ``post.g_<t>``; the others unchanged."""
    out: list[Stmt] = []
    for s in stmts:
        on_g = isinstance(s, Assign | Clamp) and s.target.name == G_TARGET
        for t in targets if on_g else (None,):
            out.append(s if t is None else _retarget(s, f"g_{t}"))
    return tuple(out)


def _retarget(s: Stmt, name: str) -> Stmt:
    g = Var(name, DType.REAL, Locality.LOCAL, Scope.POST)

    def fn(e: Expr) -> Expr | None:
        return g if isinstance(e, Var) and e.name == G_TARGET else None

    s = map_exprs(s, lambda e: rewrite(e, fn))
    match s:
        case Assign():
            return Assign(g, s.value, s.span)
        case Clamp():
            return Clamp(g, s.lo, s.hi, s.span)
    return s


def _event_prelude(model: SynapseModel) -> tuple[Stmt, ...]:
    """Event-driven variables brought up to date and the event recorded (DSL.md §9.7)."""
    odes = event_driven(model)
    if not odes:
        return ()
    stamp = Assign(Var(LAST_EVENT, DType.INT, Locality.LOCAL), Step())
    return (*odes, stamp)


def _event_loop(domain: Domain, body: tuple[Stmt, ...]) -> ForEach:
    return ForEach(domain, (ForEach(Domain.SYNAPSE, body),))


def transmit_kernel(
    name: str,
    proj: int,
    model: SynapseModel,
    targets: tuple[str, ...],
    delayed: Callable[[tuple[Stmt, ...]], tuple[Stmt, ...]],
    renumber: Callable[..., tuple[Stmt, ...]],
) -> Kernel | None:
    """TRANSMIT of a spiking projection: delivered spikes, continuous psp, axonal spikes."""
    body: list[Stmt] = []
    if model.pre_spike:
        events = (*_event_prelude(model), *_on_targets(model.pre_spike, targets))
        body.append(_event_loop(Domain.PRE_SPIKE, delayed(events)))
    if model.psp is not None:
        psp = delayed((Let("psp", Reduce(model.operation, model.psp)),))
        adds = tuple(
            Assign(g, Binary(BinaryOp.ADD, g, Temp("psp")))
            for g in (Var(f"g_{t}", DType.REAL, Locality.LOCAL, Scope.POST) for t in targets)
        )
        body.append(ForEach(Domain.DENDRITE, (*psp, *adds)))
    if model.pre_axon_spike:
        events = (*_event_prelude(model), *_on_targets(model.pre_axon_spike, targets))
        body.append(_event_loop(Domain.AXON_SPIKE, delayed(events)))
    if not body:
        return None
    stmts = renumber(tuple(body), ObjKind.PROJECTION, proj)
    return Kernel(f"{name}.transmit", Phase.TRANSMIT, ObjKind.PROJECTION, proj, stmts)


def post_events_kernel(
    name: str, proj: int, model: SynapseModel, renumber: Callable[..., tuple[Stmt, ...]]
) -> Kernel | None:
    """POST_EVENTS of a spiking projection: ``post_spike`` for every post neuron that fired."""
    if not model.post_spike:
        return None
    body = (_event_loop(Domain.POST_SPIKE, (*_event_prelude(model), *model.post_spike)),)
    stmts = renumber(body, ObjKind.PROJECTION, proj)
    return Kernel(f"{name}.post_events", Phase.POST_EVENTS, ObjKind.PROJECTION, proj, stmts)
