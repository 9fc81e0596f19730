"""Legality of fusion: what a candidate kernel reads, and why it may or may not move into a neuron loop.

Every rule keeps the values a candidate reads identical to those it read in its own phase
(SEMANTICS.md §2), so fused and unfused modules compute the same bits:

* a TRANSMIT kernel of projection J (pre Q, post P) moved into P's neuron loop runs, for neuron i, when
  the neurons of P before i (and every population created before P) are already updated. So it may read
  ``pre.x`` only if x still holds its step k-1 value then: through ``Delayed`` (a queue), or x is not
  assigned by Q's NEURON kernel, or Q is created after P (updated later in phase 5) — never P itself;
  ``post.x`` only if x is local (neuron i is not yet updated) or not assigned by P's NEURON kernel; never
  ``sum(t)`` (inputs are being accumulated) nor spike times;
* a population's DELAY / GLOBAL_OPS kernel moved into its own neuron loop must only handle local
  variables of a rate-coded population whose neuron loop ends its NEURON kernel, and no fused dendrite
  that runs at or after that loop may read the queue it pushes (the slot being filled is the oldest one)
  or, after it, the global operations it stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from nnc.ir.model import Kernel, Module, ProjectionDecl
from nnc.ir.nodes import (
    Assign,
    Clamp,
    ClearInputs,
    ComputeGlobalOp,
    Delayed,
    Expr,
    ForEach,
    GlobalOpValue,
    Input,
    PushDelayed,
    SpikeTime,
    Stmt,
    TimedStep,
    Var,
    children,
    stmt_exprs,
    walk_stmts,
)
from nnc.ir.types import Domain, Locality, NeuronKind, ObjKind, Phase, Scope


@dataclass(frozen=True, slots=True)
class Kernels:
    """The candidates and hosts of a module, by owner id."""

    neuron: dict[int, Kernel]
    clear: dict[int, Kernel]
    transmit: dict[int, Kernel]
    delay: dict[int, Kernel]
    globalops: dict[int, Kernel]

    @classmethod
    def of(cls, module: Module) -> Kernels:
        """Index the kernels of ``module`` (the first of each phase and owner)."""
        by: dict[Phase, dict[int, Kernel]] = {p: {} for p in Phase}
        for k in module.kernels:
            by[k.phase].setdefault(k.owner_id, k)
        phases = (Phase.NEURON, Phase.CLEAR_INPUTS, Phase.TRANSMIT, Phase.DELAY, Phase.GLOBAL_OPS)
        return cls(*(by[p] for p in phases))


def neuron_loop(kernel: Kernel | None) -> ForEach | None:
    """The neuron loop that ends a population's NEURON kernel, if there is one."""
    if kernel is None or kernel.owner is not ObjKind.POPULATION or not kernel.body:
        return None
    last = kernel.body[-1]
    return last if isinstance(last, ForEach) and last.domain is Domain.NEURON else None


def dendrite_body(kernel: Kernel) -> tuple[Stmt, ...] | None:
    """The dendrite-loop body of a TRANSMIT kernel (None if it is not one dendrite loop)."""
    match kernel.body:
        case (ForEach(domain=Domain.DENDRITE, body=body),):
            return body
    return None


def assigned(kernel: Kernel | None) -> set[str]:
    """Attributes a kernel changes: assigns (other than ``x = x``, as in ``InputArray``), clamps, and
    the variable of a timed array's scheduler step (``TimedStep`` copies a row into it)."""
    if kernel is None:
        return set()
    names = {
        s.target.name
        for s in walk_stmts(kernel.body)
        if isinstance(s, Clamp) or (isinstance(s, Assign) and s.value != s.target)
    }
    names.update(s.var for s in walk_stmts(kernel.body) if isinstance(s, TimedStep))
    return names


# --------------------------------------------------------------------------------------------------
# what a dendrite body reads


@dataclass(frozen=True, slots=True)
class Reads:
    """What a dendrite body reads: attributes (live or through queues), global operations, inputs."""

    live: tuple[Var, ...]
    queued: tuple[str, ...]
    global_ops: tuple[GlobalOpValue, ...]
    inputs: tuple[Input, ...]
    spike_times: bool


def _leaves(e: Expr, delayed: bool = False) -> Iterator[tuple[Expr, bool]]:
    yield e, delayed
    for c in children(e):
        yield from _leaves(c, delayed or isinstance(e, Delayed))


def reads_of(body: tuple[Stmt, ...]) -> Reads:
    """Collect the reads of ``body`` in program order."""
    live: list[Var] = []
    queued: list[str] = []
    ops: list[GlobalOpValue] = []
    inputs: list[Input] = []
    spikes = False
    for s in walk_stmts(body):
        for e in stmt_exprs(s):
            for node, delayed in _leaves(e):
                match node:
                    case Var(scope=Scope.NETWORK):
                        pass
                    case Var() if delayed:
                        queued.append(node.name)
                    case Var():
                        live.append(node)
                    case GlobalOpValue():
                        ops.append(node)
                    case Input():
                        inputs.append(node)
                    case SpikeTime():
                        spikes = True
    return Reads(tuple(live), tuple(queued), tuple(ops), tuple(inputs), spikes)


# --------------------------------------------------------------------------------------------------
# transmission fusion


def _live_refusal(module: Module, ks: Kernels, j: int, v: Var) -> str | None:
    """Why the live read ``v`` of projection ``j`` would change inside its post population's loop."""
    proj = module.projections[j]
    post = module.populations[proj.post]
    name = f"{module.projections[j].name}.transmit"
    match v.scope:
        case Scope.PRE:
            pre = module.populations[proj.pre]
            if v.name not in assigned(ks.neuron.get(pre.id)) or pre.id > post.id:
                return None
            if pre.id == post.id:
                return f"{name} reads {pre.name}.{v.name}, which {post.name} updates in this loop"
            return f"{name} reads {pre.name}.{v.name}, which {pre.name} updates before {post.name} (phase 5)"
        case Scope.POST if v.locality is Locality.GLOBAL and v.name in assigned(ks.neuron.get(post.id)):
            return f"{name} reads post.{v.name}, which {post.name} updates before this loop"
    return None


def transmit_refusal(module: Module, ks: Kernels, j: int) -> str | None:
    """Why the TRANSMIT kernel of projection ``j`` cannot run inside its post population's loop."""
    kernel = ks.transmit[j]
    body = dendrite_body(kernel)
    if body is None:
        return f"{kernel.name} is not a single dendrite loop"
    reads = reads_of(body)
    if reads.inputs:
        return f"{kernel.name} reads sum({reads.inputs[0].target}), which is being accumulated"
    if reads.spike_times:
        return f"{kernel.name} reads spike times"
    for v in reads.live:
        why = _live_refusal(module, ks, j, v)
        if why is not None:
            return why
    return None


def inputs_read_elsewhere(module: Module, ks: Kernels) -> dict[int, str]:
    """For each population whose inputs a TRANSMIT kernel of a projection not ending in it reads in
    phase 2, why (the first such kernel and read, in kernel order). One pass over the kernels."""
    found: dict[int, str] = {}
    for j, kernel in ks.transmit.items():
        proj = module.projections[j]
        for node in reads_of(kernel.body).inputs:
            seen = proj.pre if node.scope is Scope.PRE else proj.post
            if seen != proj.post and seen not in found:
                pop = module.populations[seen].name
                found[seen] = f"{kernel.name} reads sum({node.target}) of {pop} in phase 2"
    return found


# --------------------------------------------------------------------------------------------------
# population fusion


def population_refusal(module: Module, ks: Kernels, pop: int, candidate: Kernel) -> str | None:
    """Why a DELAY / GLOBAL_OPS kernel cannot move into its population's own neuron loop (ignoring the
    fused dendrites, see :func:`dendrite_conflict`)."""
    p = module.populations[pop]
    if neuron_loop(ks.neuron.get(pop)) is None:
        return f"{candidate.name}: {p.name} has no neuron loop ending its update"
    if p.kind is not NeuronKind.RATE:
        return f"{candidate.name}: spike emission ends the neuron loop of the spiking population {p.name}"
    for s in candidate.body:
        names = _handled(s)
        if names is None:
            return f"{candidate.name} holds other statements than its phase's"
        for name in names:
            attr = p.attribute(name)
            if attr is None or attr.locality is not Locality.LOCAL:
                return f"{candidate.name}: {p.name}.{name} is not a local variable"
    return None


def _handled(s: Stmt) -> tuple[str, ...] | None:
    """Variables a DELAY / GLOBAL_OPS statement works on (None for any other statement)."""
    match s:
        case PushDelayed(vars=names):
            return names
        case ComputeGlobalOp(var=name):
            return (name,)
    return None


@dataclass(frozen=True, slots=True)
class FusedReads:
    """What the fused dendrites read of each population, in the order of ``fused`` (post population ->
    projections): ``queues[pop]``: (host, projection) of the dendrites reading ``pop``'s delay queues;
    ``global_ops[pop]``: (host, projection, first read) of those reading ``pop``'s global operations."""

    queues: dict[int, list[tuple[int, ProjectionDecl]]]
    global_ops: dict[int, list[tuple[int, ProjectionDecl, GlobalOpValue]]]

    @classmethod
    def of(cls, module: Module, ks: Kernels, fused: dict[int, tuple[int, ...]]) -> FusedReads:
        """Index the reads of every fused dendrite (one pass)."""
        queues: dict[int, list[tuple[int, ProjectionDecl]]] = {}
        ops: dict[int, list[tuple[int, ProjectionDecl, GlobalOpValue]]] = {}
        for host, projs in fused.items():
            for j in projs:
                proj = module.projections[j]
                reads = reads_of(dendrite_body(ks.transmit[j]) or ())
                if reads.queued:
                    queues.setdefault(proj.pre, []).append((host, proj))
                first: dict[int, GlobalOpValue] = {}
                for g in reads.global_ops:
                    first.setdefault(proj.pre if g.scope is Scope.PRE else proj.post, g)
                for pop, g in first.items():
                    ops.setdefault(pop, []).append((host, proj, g))
        return cls(queues, ops)


def dendrite_conflict(module: Module, reads: FusedReads, pop: int) -> tuple[str | None, str | None]:
    """Why ``pop``'s delay queue / global operations must stay in their phases: a fused dendrite reads
    the queue at or after ``pop``'s loop, or its global operations after it (``reads``: what the fused
    dendrites read, :class:`FusedReads`)."""
    name = module.populations[pop].name

    def where(host: int) -> str:
        return "in this loop" if host == pop else f"later (in {module.populations[host].name}'s loop)"

    queue = ops = None
    for host, proj in reads.queues.get(pop, ()):
        if host >= pop:
            queue = f"{name}.delay: {proj.name}.transmit reads the delay queue of {name} {where(host)}"
            break
    for host, proj, g in reads.global_ops.get(pop, ()):
        if host > pop:
            ops = f"{name}.globalops: {proj.name}.transmit reads {g.op.value}({name}.{g.var}) {where(host)}"
            break
    return queue, ops


def clear_only(kernel: Kernel) -> bool:
    """Whether a CLEAR_INPUTS kernel holds nothing but ``ClearInputs``."""
    return all(isinstance(s, ClearInputs) for s in kernel.body)
