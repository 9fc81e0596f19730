"""Lowering of the work the fuse pass moves into a population's neuron loop: fused dendrites, per-neuron
delay pushes, global operations by blocks, and the serial stage that finishes the loop.

* ``ForDendrite(J)`` at neuron ``i``: ``d = POST_INDEX[i]``; if ``d >= 0`` and J's TRANSMISSION flag is
  set, the body runs as J's TRANSMIT kernel would run it for dendrite ``d`` (same lowering, same row walk
  and lane order, so the same bits).
* ``PushDelayed`` at neuron ``i`` stores the neuron's values in slot ``(head - 1) mod len``; the finishing
  stage moves the head there (:class:`nnc.ir.nodes.PushDelayed`).
* ``ComputeGlobalOp`` in the loop: for a population larger than one block, the loop is partitioned
  in whole blocks of ``GLOBAL_OP_BLOCK`` neurons and each block's result is written to the scratch
  buffer as the block finishes; the finishing stage combines them (:mod:`nnc.backend.llvm.globalops`).
* A loop that starts with fused inputs (``ClearInputs`` and ``ForDendrite`` statements) runs in groups of
  :data:`GROUP` neurons: the inputs of the group, then the rest of the body for the group. Fused dendrites
  read nothing the loop writes (:class:`nnc.ir.nodes.ForDendrite`), so this is the element-by-element
  result; the group's inputs stay in L1 and the rest of the body keeps its own vectorisable loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llvmlite import ir

from nnc.backend.abi import ConnField, PopField, PopKey, QueueKey, StateKey
from nnc.backend.llvm import globalops
from nnc.backend.llvm.access import At
from nnc.backend.llvm.expr import I32, I64
from nnc.backend.llvm.loops import for_range, partition
from nnc.backend.llvm.places import Element, Role
from nnc.diagnostics import BackendError
from nnc.ir.model import PopulationDecl
from nnc.ir.nodes import ClearInputs, ComputeGlobalOp, ForDendrite, ForEach, PushDelayed, Stmt
from nnc.ir.types import Domain, DType, Locality, ObjKind

if TYPE_CHECKING:
    from nnc.backend.llvm.statements import StatementLowering


def loop_finish(loop: Stmt) -> tuple[Stmt, ...]:
    """Statements of a top-level neuron loop that need a finishing step after it (pushes, global ops)."""
    if not isinstance(loop, ForEach) or loop.domain is not Domain.NEURON:
        return ()
    return tuple(s for s in loop.body if isinstance(s, PushDelayed | ComputeGlobalOp))


def for_dendrite(lw: StatementLowering, s: ForDendrite, el: Element) -> None:
    """Run the fused dendrite of projection ``s.proj`` for the current neuron ``el``."""
    at = el.at.get(Role.SELF)
    if el.domain is not Domain.NEURON or at is None or lw.places.own_population is None:
        raise BackendError(f"kernel {lw.places.kernel.name}: a fused dendrite outside a neuron loop")
    sub = lw.nested(s)
    b = lw.b
    conn, _ = sub.connectivity()
    d = conn.load(ConnField.POST_INDEX, at.index, I32)
    on = b.icmp_signed("!=", sub.conn_value(ConnField.TRANSMISSION), I64(0))
    with b.if_then(b.and_(on, b.icmp_signed(">=", d, I64(0)))):
        sub.loop_body(ForEach(Domain.DENDRITE, s.body), d, Element(None, {}))


def _next_head(lw: StatementLowering, pop: PopulationDecl) -> ir.Value:
    """``(head - 1) mod len`` of the population's queues."""
    b = lw.b
    length = lw.ctx_value(PopKey(pop.id, PopField.QUEUE_LEN))
    return b.urem(b.add(lw.ctx_value(PopKey(pop.id, PopField.QUEUE_HEAD)), b.sub(length, I64(1))), length)


def push_element(lw: StatementLowering, s: PushDelayed, el: Element) -> None:
    """Store the current neuron's values of ``s.vars`` in the slot that becomes the head after the loop."""
    b, pop = lw.b, lw.places.population
    at = el.position(Role.SELF, "a delayed variable")
    assert at is not None
    base = b.mul(_next_head(lw, pop), I64(pop.size))
    for name in s.vars:
        attr = pop.attribute(name)
        if attr is None:
            raise BackendError(f"kernel {lw.places.kernel.name}: no attribute '{name}' to delay")
        source = None if attr.locality is Locality.GLOBAL else at  # a global fills its slot
        x = lw.read(StateKey(ObjKind.POPULATION, pop.id, name), attr.dtype, source, el)
        value = lw.lowering(el).convert(x, attr.dtype, DType.REAL)
        lw.write(QueueKey(pop.id, name), DType.REAL, At(b.add(base, at.index)), value)


def finish(lw: StatementLowering, body: tuple[Stmt, ...]) -> None:
    """The serial stage after a fused neuron loop: move queue heads, combine global operations."""
    pop = lw.places.population
    for s in body:
        match s:
            case PushDelayed():
                lw.store_ctx(PopKey(pop.id, PopField.QUEUE_HEAD), _next_head(lw, pop))
            case ComputeGlobalOp() if globalops.blocked(pop.size):
                globalops.combine_partials(lw, s)
            case ComputeGlobalOp():
                globalops.compute_serial(lw, s)
            case _:
                raise BackendError(f"kernel {lw.places.kernel.name}: nothing to finish for {s}")


#: Neurons whose inputs are computed before the rest of their loop body runs (a multiple of 8).
GROUP = 64


def neuron_range(lw: StatementLowering, loop: ForEach, start: ir.Value, stop: ir.Value, top: Element) -> None:
    """The body of a neuron loop for neurons ``[start, stop)``: fused inputs group by group, if any."""
    b = lw.b
    inputs = (ClearInputs, ForDendrite)
    n = next((k for k, s in enumerate(loop.body) if not isinstance(s, inputs)), len(loop.body))
    if n == 0:
        with for_range(b, start, stop) as i:
            lw.loop_body(loop, i, top)
        return
    inputs, rest = ForEach(loop.domain, loop.body[:n]), ForEach(loop.domain, loop.body[n:])
    with for_range(b, start, stop, GROUP) as first:
        last = b.add(first, I64(GROUP))
        last = b.select(b.icmp_signed("<", last, stop), last, stop)
        for part in (inputs, rest):
            with for_range(b, first, last) as i:
                lw.loop_body(part, i, top)


def needs_blocks(loop: ForEach, pop: PopulationDecl) -> bool:
    """Whether a top-level neuron loop is partitioned in whole blocks (it computes block partials)."""
    return globalops.blocked(pop.size) and any(isinstance(s, ComputeGlobalOp) for s in loop.body)


def blocked_loop(
    lw: StatementLowering, loop: ForEach, tid: ir.Value, nthreads: ir.Value, top: Element
) -> None:
    """The neuron loop partitioned in whole blocks; each block's global-op partials when it is done."""
    b, pop = lw.b, lw.places.population
    n, block = I64(pop.size), globalops.BLOCK
    begin, end = partition(b, n, tid, nthreads, align=block)
    ops = [s for s in loop.body if isinstance(s, ComputeGlobalOp)]
    with for_range(b, begin, end, block) as start:
        stop = b.add(start, I64(block))
        stop = b.select(b.icmp_signed("<", stop, end), stop, end)
        neuron_range(lw, loop, start, stop, top)
        for s in ops:
            globalops.write_partial(lw, s, start, stop)
