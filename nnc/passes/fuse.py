"""fuse: merge kernels into a population's neuron loop where every result stays the same, bit for bit.

Pre: a verified, discretised module whose kernels are in phase order, as assembled (one kernel per object
and phase). Post: a verified module that computes the same values with fewer kernels and fewer passes
over the data:

1. **Transmission fusion** (one pass over the data). The CLEAR kernel of a rate-coded population P and
   the TRANSMIT kernels of all projections into P become the start of P's neuron loop: for neuron i,
   clear its inputs, then for each projection into P in creation order run the dendrite of i
   (:class:`~nnc.ir.nodes.ForDendrite`, gated by the projection's TRANSMISSION flag), then i's equations.
   Only when *every* projection into P qualifies (:mod:`nnc.passes.fuse_rules`), so the inputs are added
   in the same order; and only when no other TRANSMIT kernel reads P's inputs in phase 2.
2. **Population fusion.** P's DELAY (``PushDelayed``) and GLOBAL_OPS (``ComputeGlobalOp``) kernels go to
   the end of its neuron loop: no other kernel between phases 5 and 7 writes P's attributes, and the
   in-loop forms take effect when the loop ends (:mod:`nnc.ir.nodes`), so the population's own
   equations still read the previous step's global operations. Refused where a fused dendrite would see
   the queue or the results change under it.

3. **Spike emission** (one pass over the population). A spiking population's ``<pop>.spike`` kernel
   (its :class:`~nnc.ir.nodes.Spike` statement) goes to the end of the neuron loop that ends
   ``<pop>.update``: the spike test, reset and refractory bookkeeping of neuron i read only neuron i's
   values after its equations, the same whether they run in that loop or in a loop of their own.

Every merged kernel is named in its host's ``fused`` field (``kernel res.update phase=neuron
fused=(res.clear, inp_res.transmit, res.globalops):``); every candidate left alone gets a note saying why
(printed by ``nnc dump-ir`` as a ``// not fused: ...`` comment, never part of the compile-cache key).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from nnc.ir.model import Kernel, Module
from nnc.ir.nodes import (
    Expr,
    ForDendrite,
    ForEach,
    Let,
    Spike,
    Stmt,
    Temp,
    map_exprs,
    rewrite,
    walk_stmts,
)
from nnc.ir.types import ObjKind, Phase
from nnc.options import CompileOptions
from nnc.passes.fuse_rules import (
    FusedReads,
    Kernels,
    clear_only,
    dendrite_body,
    dendrite_conflict,
    inputs_read_elsewhere,
    neuron_loop,
    population_refusal,
    transmit_refusal,
)
from nnc.passes.registry import register

_Key = tuple[Phase, int]


def _key(k: Kernel) -> _Key:
    return k.phase, k.owner_id


@dataclass(slots=True)
class Plan:
    """What to merge: post population -> fused projections; populations whose DELAY / GLOBAL_OPS kernels
    join their loop; notes per kernel."""

    transmit: dict[int, tuple[int, ...]] = field(default_factory=dict)
    delay: set[int] = field(default_factory=set)
    globalops: set[int] = field(default_factory=set)
    notes: dict[_Key, list[str]] = field(default_factory=dict)

    def note(self, kernel: Kernel, text: str) -> None:
        """Explain on ``kernel`` why a candidate was not fused."""
        self.notes.setdefault(_key(kernel), []).append(text)


def _host_or(ks: Kernels, pop: int, candidate: Kernel) -> Kernel:
    """The kernel a note about ``candidate`` goes to: the population's update if it has a loop."""
    host = ks.neuron.get(pop)
    return host if neuron_loop(host) is not None and host is not None else candidate


def _plan_transmission(module: Module, ks: Kernels, plan: Plan) -> None:
    into: dict[int, list[int]] = {}
    for p in module.projections:
        if p.id in ks.transmit:
            into.setdefault(p.post, []).append(p.id)
    read_elsewhere = inputs_read_elsewhere(module, ks)
    for pop, clear in ks.clear.items():
        projs = tuple(into.get(pop, ()))
        name = module.populations[pop].name
        reasons: list[str] = []
        if neuron_loop(ks.neuron.get(pop)) is None:
            reasons.append(f"{clear.name}: {name} has no neuron loop ending its update")
        elif not clear_only(clear):
            reasons.append(f"{clear.name} holds other statements than ClearInputs")
        elsewhere = read_elsewhere.get(pop)
        if elsewhere is not None:
            reasons.append(f"{clear.name}: {elsewhere}")
        refused = {j: transmit_refusal(module, ks, j) for j in projs}
        reasons += [why for why in refused.values() if why is not None]
        if not reasons:
            plan.transmit[pop] = projs
            continue
        fine = [ks.transmit[j].name for j, why in refused.items() if why is None]
        if fine:
            reasons.append(f"{', '.join([clear.name, *fine])}: every input of {name} is fused, or none")
        else:
            reasons.append(f"{clear.name}: no input of {name} is fused")
        host = _host_or(ks, pop, clear)
        for why in reasons:
            plan.note(host, why)


def _plan_population(module: Module, ks: Kernels, plan: Plan) -> None:
    reads = FusedReads.of(module, ks, plan.transmit)
    for pop in sorted(set(ks.delay) | set(ks.globalops)):
        queue, ops = dendrite_conflict(module, reads, pop)
        for candidates, target, conflict in (
            (ks.delay, plan.delay, queue),
            (ks.globalops, plan.globalops, ops),
        ):
            candidate = candidates.get(pop)
            if candidate is None:
                continue
            why = population_refusal(module, ks, pop, candidate) or conflict
            if why is None:
                target.add(pop)
            else:
                plan.note(_host_or(ks, pop, candidate), why)


def plan_fusion(module: Module) -> Plan:
    """Decide every fusion of ``module`` (transmission first: population fusion yields to it)."""
    ks = Kernels.of(module)
    plan = Plan()
    _plan_transmission(module, ks, plan)
    _plan_population(module, ks, plan)
    return plan


# --------------------------------------------------------------------------------------------------
# rewriting


def _prefixed(body: tuple[Stmt, ...], prefix: str) -> tuple[Stmt, ...]:
    """``body`` with its temporaries renamed ``prefix + name`` (unique within the host kernel)."""
    lets = {s.name for s in walk_stmts(body) if isinstance(s, Let)}

    def renamed(e: Expr) -> Expr | None:
        return Temp(prefix + e.name, e.type, e.span) if isinstance(e, Temp) and e.name in lets else None

    def rename_lets(s: Stmt) -> Stmt:
        match s:
            case Let():
                return Let(prefix + s.name, s.value, s.span)
            case ForEach() | ForDendrite():
                return replace(s, body=tuple(map(rename_lets, s.body)))
            case Spike():
                return replace(
                    s,
                    reset=tuple(map(rename_lets, s.reset)),
                    axon_reset=tuple(map(rename_lets, s.axon_reset)),
                )
        return s

    return tuple(rename_lets(map_exprs(s, lambda e: rewrite(e, renamed))) for s in body)


def _spike_kernels(module: Module) -> dict[int, tuple[Kernel, Kernel]]:
    """Spiking populations whose spike emission can join the loop ending their update: pop -> (update,
    spike)."""
    found: dict[int, tuple[Kernel, Kernel]] = {}
    neuron: dict[tuple[int, str], Kernel] = {}  # the first NEURON kernel of each population and name
    for k in module.kernels:
        if k.owner is ObjKind.POPULATION and k.phase is Phase.NEURON:
            neuron.setdefault((k.owner_id, k.name), k)
    for pop in module.populations:
        update = neuron.get((pop.id, f"{pop.name}.update"))
        spike = neuron.get((pop.id, f"{pop.name}.spike"))
        if update is not None and spike is not None and neuron_loop(update) is not None:
            found[pop.id] = (update, spike)
    return found


def fuse_spikes(module: Module) -> Module:
    """Move every spike emission to the end of its population's update loop (module docstring, 3)."""
    pairs = _spike_kernels(module)
    merged = {id(spike) for _, spike in pairs.values()}
    hosts = {id(update): spike for update, spike in pairs.values()}
    kernels: list[Kernel] = []
    for k in module.kernels:
        if id(k) in merged:
            continue
        spike = hosts.get(id(k))
        if spike is not None:
            loop = neuron_loop(k)
            assert loop is not None
            inner = neuron_loop(spike)
            tail = _prefixed(inner.body, "S.") if inner is not None else ()
            body = (*k.body[:-1], ForEach(loop.domain, (*loop.body, *tail)))
            k = replace(k, body=body, fused=(*k.fused, spike.name))
        kernels.append(k)
    return replace(module, kernels=tuple(kernels))


def _merged(ks: Kernels, plan: Plan) -> dict[_Key, int]:
    """Every kernel that moves, with the population whose loop receives it."""
    merged: dict[_Key, int] = {}
    for pop, projs in plan.transmit.items():
        merged[_key(ks.clear[pop])] = pop
        merged |= {_key(ks.transmit[j]): pop for j in projs}
    merged |= {_key(ks.delay[pop]): pop for pop in plan.delay}
    merged |= {_key(ks.globalops[pop]): pop for pop in plan.globalops}
    return merged


def _host(ks: Kernels, plan: Plan, pop: int) -> tuple[Stmt, ...]:
    """The new body of population ``pop``'s NEURON kernel."""
    kernel = ks.neuron[pop]
    loop = neuron_loop(kernel)
    assert loop is not None, "planned only for populations with a neuron loop"
    head: list[Stmt] = []
    if pop in plan.transmit:
        head += ks.clear[pop].body
        for j in plan.transmit[pop]:
            body = dendrite_body(ks.transmit[j]) or ()
            head.append(ForDendrite(j, _prefixed(body, f"J{j}.")))
    tail: list[Stmt] = []
    tail += ks.delay[pop].body if pop in plan.delay else ()
    tail += ks.globalops[pop].body if pop in plan.globalops else ()
    return (*kernel.body[:-1], ForEach(loop.domain, (*head, *loop.body, *tail)))


def apply_plan(module: Module, plan: Plan) -> Module:
    """Rewrite ``module`` as ``plan`` says."""
    ks = Kernels.of(module)
    merged = _merged(ks, plan)
    hosts = {_key(ks.neuron[pop]): pop for pop in set(merged.values())}
    kernels: list[Kernel] = []
    for k in module.kernels:
        key = _key(k)
        if key in merged:
            continue
        notes = (*k.notes, *plan.notes.get(key, ()))
        if key in hosts:
            pop = hosts[key]
            fused = tuple(m.name for m in module.kernels if merged.get(_key(m)) == pop)
            k = replace(k, body=_host(ks, plan, pop), fused=(*k.fused, *fused))
        kernels.append(replace(k, notes=notes))
    return replace(module, kernels=tuple(kernels))


@register("fuse", default=True)
@dataclass(frozen=True, slots=True)
class Fuse:
    """Merge kernels into neuron loops (``enabled=False``: leave the module as it is)."""

    name: ClassVar[str] = "fuse"
    enabled: bool = True

    @classmethod
    def from_options(cls, options: CompileOptions) -> Fuse:
        """The pass as a network's options configure it (``fuse``)."""
        return cls(options.fuse)

    def __call__(self, module: Module) -> Module:
        if not self.enabled:
            return module
        return fuse_spikes(apply_plan(module, plan_fusion(module)))
