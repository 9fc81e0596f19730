"""Network assembly: place analysed models into one :class:`Module` with a kernel per object and phase.

The kernels follow the step order of SEMANTICS.md §2: inputs are cleared (phase 1), projections transmit
(2), populations update (5), global operations are recomputed (7) and synapses update (8). Within a
phase, kernels run in object creation order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from nnc.diagnostics import ModelError
from nnc.frontend import assemble_spiking as spiking
from nnc.ir.model import (
    DECODED,
    DECODING_WINDOW,
    ConnectivityStats,
    Kernel,
    Module,
    NeuronModel,
    PopulationDecl,
    ProjectionDecl,
    Stencil,
    SynapseModel,
    decoding_state,
    event_state,
    spiking_state,
)
from nnc.ir.nodes import (
    AddInput,
    Assign,
    Binary,
    BinaryOp,
    Cast,
    ClearInputs,
    ComputeGlobalOp,
    Const,
    Delayed,
    Dt,
    Expr,
    ForEach,
    GlobalOpValue,
    Input,
    Let,
    Ode,
    PushDelayed,
    Random,
    Reduce,
    ReduceOp,
    Stmt,
    Temp,
    TimedStep,
    Var,
    map_exprs,
    rewrite,
    stmt_exprs,
    walk,
    walk_stmts,
)
from nnc.ir.types import (
    DelayKind,
    Domain,
    DType,
    Format,
    Locality,
    NeuronKind,
    ObjKind,
    Phase,
    Precision,
    Scope,
)


@dataclass(frozen=True, slots=True)
class PopulationSpec:
    """What the network knows about a population at compile time."""

    id: int
    name: str
    geometry: tuple[int, ...]
    model: NeuronModel


@dataclass(frozen=True, slots=True)
class ProjectionSpec:
    """What the network knows about a projection at compile time."""

    id: int
    name: str
    pre: int
    post: int
    targets: tuple[str, ...]
    model: SynapseModel
    stats: ConnectivityStats | None = None
    format_hint: Format | None = None
    delay: DelayKind = DelayKind.NONE
    current: bool = False  # a current injection (API.md §11): pre.r added to the post's g_<target>
    decoding: bool = False  # a decoding projection (API.md §11): windowed spikes to a rate-coded sum(target)
    dynamic: bool = False  # structural plasticity: synapses are created and pruned at run time
    #: the dendrite-loop body of a specific projection that computes its own inputs (the accumulating
    #: projection of a BOLD monitor, API.md §12): it replaces the psp reduction of the synapse model
    dendrite: tuple[Stmt, ...] | None = None
    #: the access pattern of a convolution or pooling projection (stored in ``Format.STENCIL``)
    stencil: Stencil | None = None
    #: the projection whose synapses this one reads (``ProjectionDecl.shares``) and whether it reads
    #: them transposed (a ``Transpose``) or as they are (a ``Copy``)
    shares: int | None = None
    transposed: bool = False
    #: post-synaptic variables other than conductances that its ``pre_spike`` adds to (``ProjectionDecl``)
    post_writes: tuple[str, ...] = ()


def random_stream(owner: ObjKind, owner_id: int, occurrence: int) -> int:
    """Module-wide stream number of the ``occurrence``-th random draw of an object (< 2**32)."""
    return (((owner_id << 1) | (owner is ObjKind.PROJECTION)) << 8) | occurrence


def _rewrite_all(stmts: tuple[Stmt, ...], fn: Callable[[Expr], Expr | None]) -> tuple[Stmt, ...]:
    """``stmts`` with :func:`~nnc.ir.nodes.rewrite` applied to every expression they hold."""
    return tuple(map_exprs(s, lambda e: rewrite(e, fn)) for s in stmts)


def _renumber_streams(stmts: tuple[Stmt, ...], owner: ObjKind, owner_id: int) -> tuple[Stmt, ...]:
    def fn(e: Expr) -> Expr | None:
        if isinstance(e, Random):
            args = tuple(rewrite(a, fn) for a in e.args)
            return Random(e.dist, args, random_stream(owner, owner_id, e.stream), e.span)
        return None

    return _rewrite_all(stmts, fn)


def _target_locality(s: Stmt) -> Locality:
    match s:
        case Assign(target=t) | Ode(target=t):
            return t.locality
        case TimedStep():  # whole-population work: at the kernel's top level
            return Locality.GLOBAL
    return Locality.LOCAL


def _split(stmts: tuple[Stmt, ...]) -> dict[Locality, tuple[Stmt, ...]]:
    """Statements grouped by the locality of what they assign, each group in declaration order."""
    return {loc: tuple(s for s in stmts if _target_locality(s) is loc) for loc in Locality}


def _fold_unconnected(stmts: tuple[Stmt, ...], connected: list[str]) -> tuple[Stmt, ...]:
    """``sum(t)`` of a target no projection feeds is 0 (DSL.md §5.2): read a literal, not a zero buffer."""

    def fn(e: Expr) -> Expr | None:
        if isinstance(e, Input) and e.scope is Scope.SELF and e.target not in connected:
            return Const(0.0, DType.REAL, e.span)
        return None

    return _rewrite_all(stmts, fn)


def _population_update(spec: PopulationSpec, connected: list[str]) -> Kernel | None:
    eqs = _renumber_streams(spec.model.equations, ObjKind.POPULATION, spec.id)
    groups = _split(_fold_unconnected(eqs, connected))
    body: list[Stmt] = list(groups[Locality.GLOBAL])
    local = groups[Locality.LOCAL]
    if local and spec.model.kind is NeuronKind.SPIKE:
        local = spiking.guard_refractory(local)
    if local:
        body.append(ForEach(Domain.NEURON, local))
    if not body:
        return None
    return Kernel(f"{spec.name}.update", Phase.NEURON, ObjKind.POPULATION, spec.id, tuple(body))


def _default_psp() -> Expr:
    return Binary(
        BinaryOp.MUL,
        Var("w", DType.REAL, Locality.LOCAL, Scope.SELF),
        Var("r", DType.REAL, Locality.LOCAL, Scope.PRE),
    )


def _delay_pre_reads(e: Expr, spec: ProjectionSpec) -> Expr:
    """Read pre-synaptic attributes through the projection's delays (SEMANTICS.md §5).

    Local attributes are delayed under uniform and per-synapse delays, global ones under a uniform delay
    (the reference keeps a queue of their values too); per-synapse delays cannot read a global one (the
    reference refuses it: "The psp accesses a global variable with a non-uniform delay!").
    """
    if spec.delay is DelayKind.NONE:
        return e

    def fn(node: Expr) -> Expr | None:
        if isinstance(node, Var) and node.scope is Scope.PRE:
            if node.locality is Locality.LOCAL or spec.delay is DelayKind.UNIFORM:
                return Delayed(node, node.span)
            raise ModelError(
                f"projection {spec.name}: non-uniform delays cannot read the global pre-synaptic "
                f"attribute '{node.name}'"
            )
        return None

    return rewrite(e, fn)


def _transmit(spec: ProjectionSpec) -> Kernel:
    psp = spec.model.psp if spec.model.psp is not None else _default_psp()
    psp = _delay_pre_reads(psp, spec)
    psp_let = Let("psp", Reduce(spec.model.operation, psp))
    psp_stmt = _renumber_streams((psp_let,), ObjKind.PROJECTION, spec.id)
    adds = tuple(AddInput(t, Temp("psp")) for t in spec.targets)
    body = (ForEach(Domain.DENDRITE, psp_stmt + adds),)
    return Kernel(f"{spec.name}.transmit", Phase.TRANSMIT, ObjKind.PROJECTION, spec.id, body)


def _specific_transmit(spec: ProjectionSpec) -> Kernel:
    """The TRANSMIT kernel of a projection that brings its own dendrite body (``ProjectionSpec.dendrite``)."""
    assert spec.dendrite is not None
    body = (ForEach(Domain.DENDRITE, _renumber_streams(spec.dendrite, ObjKind.PROJECTION, spec.id)),)
    return Kernel(f"{spec.name}.transmit", Phase.TRANSMIT, ObjKind.PROJECTION, spec.id, body)


def _transmit_kernels(proj: ProjectionSpec, populations: tuple[PopulationSpec, ...]) -> list[Kernel]:
    """The kernels that deliver a projection's input, by kind of projection."""
    if proj.current:
        return [_current_transmit(proj)]
    if proj.dendrite is not None:
        return [_specific_transmit(proj)]
    if proj.decoding:
        return [_decoding_transmit(proj)]
    if proj.stencil is not None:
        return [_stencil_transmit(proj, populations[proj.post].model.kind)]
    if populations[proj.pre].model.kind is NeuronKind.SPIKE:
        return _spiking_transmit(proj)
    return [_transmit(proj)]


def _stencil_transmit(spec: ProjectionSpec, post: NeuronKind) -> Kernel:
    """A convolution or pooling (``Format.STENCIL``): its psp reads pre-synaptic variables every step,
    whatever the pre population's kind, into ``sum(target)`` of a rate-coded post or ``g_<target>`` of a
    spiking one (the reference's Convolution and Pooling do the same)."""
    if post is NeuronKind.RATE:
        return _transmit(spec)
    psp = spec.model.psp if spec.model.psp is not None else _default_psp()
    psp_let = Let("psp", Reduce(spec.model.operation, _delay_pre_reads(psp, spec)))
    adds = tuple(
        Assign(g, Binary(BinaryOp.ADD, g, Temp("psp")))
        for g in (Var(f"g_{t}", DType.REAL, Locality.LOCAL, Scope.POST) for t in spec.targets)
    )
    body = (ForEach(Domain.DENDRITE, _renumber_streams((psp_let,), ObjKind.PROJECTION, spec.id) + adds),)
    return Kernel(f"{spec.name}.transmit", Phase.TRANSMIT, ObjKind.PROJECTION, spec.id, body)


def _spiking_transmit(spec: ProjectionSpec) -> list[Kernel]:
    """TRANSMIT and POST_EVENTS kernels of a projection from a spiking population."""

    def delayed(stmts: tuple[Stmt, ...]) -> tuple[Stmt, ...]:
        return tuple(map_exprs(s, lambda e: _delay_pre_reads(e, spec)) for s in stmts)

    kernels = [
        spiking.transmit_kernel(spec.name, spec.id, spec.model, spec.targets, delayed, _renumber_streams),
        spiking.post_events_kernel(spec.name, spec.id, spec.model, _renumber_streams),
    ]
    return [k for k in kernels if k is not None]


def _current_transmit(spec: ProjectionSpec) -> Kernel:
    """A current injection (API.md §11): ``post.g_<t> += pre.r`` for the one synapse of each dendrite."""
    pre_r = Reduce(spec.model.operation, Var("r", DType.REAL, Locality.LOCAL, Scope.PRE))
    stmts: list[Stmt] = [Let("psp", pre_r)]
    for t in spec.targets:
        g = Var(f"g_{t}", DType.REAL, Locality.LOCAL, Scope.POST)
        stmts.append(Assign(g, Binary(BinaryOp.ADD, g, Temp("psp"))))
    body = (ForEach(Domain.DENDRITE, tuple(stmts)),)
    return Kernel(f"{spec.name}.transmit", Phase.TRANSMIT, ObjKind.PROJECTION, spec.id, body)


def _decoding_transmit(spec: ProjectionSpec) -> Kernel:
    """A decoding projection (API.md §11): the weights of the spikes of the last ``_window`` steps, per
    dendrite, as a rate: ``sum(t) += Σ w / _window · 1000/dt / n_synapses``."""
    decoded = Var(DECODED, DType.REAL, Locality.SEMIGLOBAL)
    w = Var("w", DType.REAL, Locality.LOCAL)
    gather = ForEach(Domain.RECENT_SPIKE, (ForEach(Domain.SYNAPSE, (
        Assign(decoded, Binary(BinaryOp.ADD, decoded, w)),
    )),))  # fmt: skip
    window = Cast(DType.REAL, Var(DECODING_WINDOW, DType.INT, Locality.GLOBAL))
    rate = Binary(
        BinaryOp.DIV, Binary(BinaryOp.MUL, Binary(BinaryOp.DIV, decoded, window), Const(1000.0)), Dt()
    )
    body: list[Stmt] = [
        Let("n", Reduce(ReduceOp.SUM, Const(1.0))),
        Let("rate", Binary(BinaryOp.DIV, rate, Temp("n"))),
    ]
    body += [AddInput(t, Temp("rate")) for t in spec.targets]
    body.append(Assign(decoded, Const(0.0)))
    kernel_body = (gather, ForEach(Domain.DENDRITE, tuple(body)))
    return Kernel(f"{spec.name}.transmit", Phase.TRANSMIT, ObjKind.PROJECTION, spec.id, kernel_body)


def _synapse_update(spec: ProjectionSpec) -> Kernel | None:
    eqs = _renumber_streams(spiking.per_step(spec.model), ObjKind.PROJECTION, spec.id)
    groups = _split(eqs)
    dendrite: list[Stmt] = list(groups[Locality.SEMIGLOBAL])
    if groups[Locality.LOCAL]:
        local = tuple(map_exprs(st, lambda e: _delay_pre_reads(e, spec)) for st in groups[Locality.LOCAL])
        dendrite.append(ForEach(Domain.SYNAPSE, local))
    body: list[Stmt] = list(groups[Locality.GLOBAL])
    if dendrite:
        body.append(ForEach(Domain.DENDRITE, tuple(dendrite)))
    if not body:
        return None
    return Kernel(f"{spec.name}.update", Phase.SYNAPSE, ObjKind.PROJECTION, spec.id, tuple(body))


def _global_ops_used(kernels: list[Kernel], projs: tuple[ProjectionSpec, ...]) -> dict[int, list]:
    """Population id -> [(op, var)] of every global operation read by any kernel, first use first."""
    used: dict[int, list] = {}
    for k in kernels:
        for s in walk_stmts(k.body):
            for e in stmt_exprs(s):
                for node in walk(e):
                    if not isinstance(node, GlobalOpValue):
                        continue
                    if k.owner is ObjKind.POPULATION:
                        pop = k.owner_id
                    else:
                        proj = projs[k.owner_id]
                        pop = proj.pre if node.scope is Scope.PRE else proj.post
                    entry = (node.op, node.var)
                    if entry not in used.setdefault(pop, []):
                        used[pop].append(entry)
    return used


def _delayed_vars(kernels: list[Kernel], projs: tuple[ProjectionSpec, ...]) -> dict[int, list[str]]:
    """Population id -> attributes read through delays by any projection kernel, first use first."""
    found: dict[int, list[str]] = {}
    for k in kernels:
        if k.owner is not ObjKind.PROJECTION:
            continue
        for s in walk_stmts(k.body):
            for e in stmt_exprs(s):
                for node in walk(e):
                    if isinstance(node, Delayed):
                        names = found.setdefault(projs[k.owner_id].pre, [])
                        if node.var.name not in names:
                            names.append(node.var.name)
    return found


def _inputs_used(spec: PopulationSpec) -> tuple[str, ...]:
    found: list[str] = []
    for s in walk_stmts(spec.model.equations):
        for e in stmt_exprs(s):
            for node in walk(e):
                if isinstance(node, Input) and node.target not in found:
                    found.append(node.target)
    return tuple(found)


def _connected_targets(populations, projections) -> dict[int, list[str]]:
    connected: dict[int, list[str]] = {p.id: [] for p in populations}
    for proj in projections:
        for t in proj.targets:
            if t not in connected[proj.post]:
                connected[proj.post].append(t)
    return connected


def _projection_decl(proj: ProjectionSpec) -> ProjectionDecl:
    hidden = event_state() if spiking.event_driven(proj.model) else ()
    hidden += decoding_state() if proj.decoding else ()
    return ProjectionDecl(
        proj.id,
        proj.name,
        proj.pre,
        proj.post,
        proj.targets,
        (*proj.model.attributes, *hidden),
        proj.model.operation,
        proj.stats,
        format_hint=proj.format_hint,
        delay=proj.delay,
        current=proj.current,
        decoding=proj.decoding,
        dynamic=proj.dynamic,
        specific=proj.dendrite is not None,
        stencil=proj.stencil,
        shares=proj.shares,
        format=Format.TRANSPOSED if proj.transposed else None,
        post_writes=proj.post_writes,
    )


def _population_decl(p: PopulationSpec, targets: tuple[str, ...]) -> PopulationDecl:
    """The population with its inputs ``sum(t)`` and, for a spiking one, its hidden spiking state."""
    attrs = p.model.attributes
    if p.model.kind is NeuronKind.SPIKE:
        attrs = (*attrs, *spiking_state(not isinstance(p.model.refractory, str)))
    return PopulationDecl(p.id, p.name, p.geometry, p.model.kind, attrs, targets)


def _rate_inputs(
    populations: tuple[PopulationSpec, ...], projections: tuple[ProjectionSpec, ...]
) -> dict[int, list[str]]:
    """Targets whose weighted sums ``sum(t)`` a population receives: from rate-coded projections.

    A spiking population receives spikes and continuous psp in its conductances ``g_<t>`` instead;
    a rate-coded projection into it must feed a ``sum(t)`` its neurons read.
    """
    kinds = {p.id: p.model.kind for p in populations}
    inputs: dict[int, list[str]] = {p.id: [] for p in populations}
    for proj in projections:
        if proj.current or (proj.stencil is not None and kinds[proj.post] is NeuronKind.SPIKE):
            continue  # adds to the post's conductances
        if proj.stencil is not None:
            pass  # a stencil reads pre-synaptic variables every step, whatever the pre population's kind
        elif kinds[proj.pre] is NeuronKind.SPIKE and not proj.decoding and proj.dendrite is None:
            if kinds[proj.post] is NeuronKind.RATE:
                raise ModelError(
                    f"projection {proj.name}: a spiking population cannot project onto the rate-coded "
                    f"population {populations[proj.post].name} with a standard synapse (hint: use "
                    "DecodingProjection to turn spikes into a rate-coded input)"
                )
            continue
        for t in proj.targets:
            if kinds[proj.post] is NeuronKind.SPIKE and t not in _inputs_used(populations[proj.post]):
                raise ModelError(
                    f"projection {proj.name}: the rate-coded population {populations[proj.pre].name} "
                    f"projects on target '{t}' of the spiking population {populations[proj.post].name}, "
                    f"whose neurons do not read sum({t}) (hint: use CurrentInjection to drive a "
                    "conductance g_<target> from a rate-coded population)"
                )
            if t not in inputs[proj.post]:
                inputs[proj.post].append(t)
    return inputs


def assemble(
    name: str,
    precision: Precision,
    dt: float,
    populations: tuple[PopulationSpec, ...],
    projections: tuple[ProjectionSpec, ...] = (),
    constants: tuple[str, ...] = (),
) -> Module:
    """Build the module of a network from its analysed populations and projections."""
    connected = _rate_inputs(populations, projections)
    kernels: list[Kernel] = []
    pop_decls = []
    for p in populations:
        targets = tuple(dict.fromkeys((*connected[p.id], *_inputs_used(p))))
        pop_decls.append(_population_decl(p, targets))
        if connected[p.id]:
            body = (ClearInputs(tuple(connected[p.id])),)
            kernels.append(Kernel(f"{p.name}.clear", Phase.CLEAR_INPUTS, ObjKind.POPULATION, p.id, body))
    for proj in projections:
        kernels += _transmit_kernels(proj, populations)
    for p in populations:
        update = _population_update(p, connected[p.id])
        kernels += [update] if update is not None else []
        if p.model.kind is NeuronKind.SPIKE:
            emission = spiking.spike_kernel(p.name, p.id, p.model, _renumber_streams)
            kernels += [emission] if emission is not None else []
    kernels += [k for k in map(_synapse_update, projections) if k is not None]
    for pop_id, names in sorted(_delayed_vars(kernels, projections).items()):
        pop_decls[pop_id] = replace(pop_decls[pop_id], delayed=tuple(names))
        body = (PushDelayed(tuple(names)),)
        name_ = f"{populations[pop_id].name}.delay"
        kernels.append(Kernel(name_, Phase.DELAY, ObjKind.POPULATION, pop_id, body))
    for pop_id, ops in sorted(_global_ops_used(kernels, projections).items()):
        body = tuple(ComputeGlobalOp(op, var) for op, var in ops)
        name_ = f"{populations[pop_id].name}.globalops"
        kernels.append(Kernel(name_, Phase.GLOBAL_OPS, ObjKind.POPULATION, pop_id, body))
    kernels.sort(key=lambda k: (k.phase.value, k.owner is ObjKind.PROJECTION))
    projs = tuple(map(_projection_decl, projections))
    return Module(name, precision, dt, tuple(pop_decls), projs, tuple(kernels), constants)
