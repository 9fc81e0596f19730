"""Lowering of spikes: emission in the neuron loop, the spike lists of a step, and the event loops.

Emission (:class:`~nnc.ir.nodes.Spike`) is branch-free inside the neuron loop (so the loop stays
vectorisable): the resets are the selects of :func:`nnc.ir.guard.guarded`, and each neuron writes a
flag byte (bit 0: spike, bit 1: axonal spike). Right after its share ``[begin, end)`` of the loop, each
thread compacts its flags into the ring slot of the step at offset ``begin`` (and into the same slot
of the axonal ring) and stores its counts in ``THREAD``. The finishing stage (thread 0, after the barrier, run
even when the population is disabled, whose lists are then empty) moves the pieces together in thread
order, so the lists are in rank order whatever the number of threads, makes that slot the head,
publishes ``CURRENT`` for the recordings and updates the firing-rate counts (``SpikeField`` in
:mod:`nnc.backend.abi`, :mod:`nnc.backend.interp.spikes` for the reference).

Event loops (``pre_spike``, ``axon_spike``, ``post_spike``) are parallel stages. Every thread walks every
delivered spike and handles the synapses whose post neuron lies in its own contiguous range of post ranks
(found by bisection in the pre->post index, whose rows are sorted by (delay, post rank)): each
conductance receives its inputs in spike-list order, the same for any thread count, without atomics.
Post-synaptic events split the list of post neurons that fired between threads (their dendrites are
disjoint).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from llvmlite import ir

from nnc.backend.abi import (
    AXON,
    FIRE,
    MAX_THREADS,
    ConnField,
    PopField,
    PopKey,
    SpikeField,
    SpikeKey,
    StateKey,
    axonal_populations,
)
from nnc.backend.llvm.access import At, AtKind, load
from nnc.backend.llvm.expr import I8, I32, I64, PTR, element, splat
from nnc.backend.llvm.loops import alloca_once, for_range, partition
from nnc.backend.llvm.places import Element, Role
from nnc.diagnostics import BackendError
from nnc.ir.guard import guarded
from nnc.ir.model import DECODING_WINDOW, LAST_SPIKE, REFRACTORY_LEFT
from nnc.ir.nodes import ForEach, Spike, Temp
from nnc.ir.types import DelayKind, Domain, DType, ObjKind

if TYPE_CHECKING:
    from nnc.backend.llvm.statements import StatementLowering


def contains_spike(loop: object) -> bool:
    """Whether a neuron loop ends with spike emission."""
    return isinstance(loop, ForEach) and bool(loop.body) and isinstance(loop.body[-1], Spike)


# --------------------------------------------------------------------------------------------------
# emission


def emit(lw: StatementLowering, s: Spike, el: Element) -> None:
    """Spike emission of the neuron at ``el`` (inside the neuron loop)."""
    b, pid = lw.b, lw.places.population.id
    at = el.position(Role.SELF, "spike emission")
    left_key = StateKey(ObjKind.POPULATION, pid, REFRACTORY_LEFT)
    left = lw.read(left_key, DType.INT, at, el)
    active = b.icmp_signed("<=", left, I32(0))
    fire = b.and_(active, lw.lowering(el).as_type(s.cond, DType.BOOL))
    el.temps[FIRE] = fire
    for st in guarded(s.reset, Temp(FIRE, DType.BOOL)):
        lw.stmt(st, el)
    last_key = StateKey(ObjKind.POPULATION, pid, LAST_SPIKE)
    step = b.trunc(lw.step, I32)
    lw.write(last_key, DType.INT, at, b.select(fire, step, lw.read(last_key, DType.INT, at, el)))
    period = lw.lowering(el).as_type(s.refractory, DType.INT)
    kept = b.select(active, left, b.sub(left, I32(1)))
    lw.write(left_key, DType.INT, at, b.select(fire, period, kept))
    flags = b.zext(fire, I8)
    if s.axon_cond is not None:
        lo = lw.lowering(el)
        still = lo.as_type(s.cond, DType.BOOL)
        axon = b.and_(
            b.and_(active, lo.as_type(s.axon_cond, DType.BOOL)), b.xor(still, ir.Constant(still.type, 1))
        )
        el.temps[AXON] = axon
        for st in guarded(s.axon_reset, Temp(AXON, DType.BOOL)):
            lw.stmt(st, el)
        flags = b.or_(flags, b.shl(b.zext(axon, I8), I8(1)))
    assert at is not None
    b.store(flags, element(b, lw.ptrs[SpikeKey(pid, SpikeField.FLAGS)], at.index, I8))


def _ptr(lw: StatementLowering, pid: int, f: SpikeField) -> ir.Value:
    return lw.ptrs[SpikeKey(pid, f)]


def has_axonal_ring(lw: StatementLowering, pid: int) -> bool:
    """Whether population ``pid`` sends axonal events (only then its ``AXON`` buffer is a whole ring)."""
    return pid in axonal_populations(lw.target.module)


def _next_slot(lw: StatementLowering, pid: int) -> ir.Value:
    """``(head - 1) mod slots``: the ring slot the step's spike list goes to."""
    b = lw.b
    slots = lw.ctx_value(PopKey(pid, PopField.SPIKE_SLOTS))
    return b.urem(b.add(lw.ctx_value(PopKey(pid, PopField.SPIKE_HEAD)), b.sub(slots, I64(1))), slots)


def compact(lw: StatementLowering, begin: ir.Value, end: ir.Value, tid: ir.Value) -> None:
    """After the thread's part ``[begin, end)`` of the loop: its spikes (and axonal spikes) in order, at
    offset ``begin`` of the step's ring slot (of the axonal ring's slot); counts in ``THREAD[tid]``
    (``THREAD[MAX_THREADS + tid]``)."""
    b, pop = lw.b, lw.places.population
    base = b.mul(_next_slot(lw, pop.id), I64(pop.size))
    ring, axon = _ptr(lw, pop.id, SpikeField.RING), _ptr(lw, pop.id, SpikeField.AXON)
    flags = _ptr(lw, pop.id, SpikeField.FLAGS)
    count, acount = alloca_once(b, I64, "spikes"), alloca_once(b, I64, "axonal")
    b.store(I64(0), count)
    b.store(I64(0), acount)
    axonal = has_axonal_ring(lw, pop.id)
    # Eight flags at a time: most words are 0 (no neuron of the eight fired). ``begin`` is a multiple of
    # 8 (loops.partition) and the flags beyond the population are padding zeros (runtime.buffers).
    with for_range(b, begin, end, 8) as w:
        word = b.load(b.gep(flags, [w], inbounds=True, source_etype=I8), typ=I64, align=1)
        with b.if_then(b.icmp_unsigned("!=", word, I64(0)), likely=False):
            last = b.select(b.icmp_signed("<", b.add(w, I64(8)), end), b.add(w, I64(8)), end)
            with for_range(b, w, last) as i:
                f = b.zext(b.load(element(b, flags, i, I8), typ=I8), I64)
                rank = b.trunc(i, I32)
                c, ca = b.load(count, typ=I64), b.load(acount, typ=I64)
                b.store(rank, element(b, ring, b.add(base, b.add(begin, c)), I32))  # kept only if it spiked
                b.store(b.add(c, b.and_(f, I64(1))), count)
                if axonal:
                    b.store(rank, element(b, axon, b.add(base, b.add(begin, ca)), I32))
                    b.store(b.add(ca, b.lshr(f, I64(1))), acount)
    thread = _ptr(lw, pop.id, SpikeField.THREAD)
    b.store(b.load(count, typ=I64), element(b, thread, tid, I64))
    b.store(b.load(acount, typ=I64), element(b, thread, b.add(tid, I64(MAX_THREADS)), I64))


def _gather(
    lw: StatementLowering, buf: ir.Value, base: ir.Value, nthreads: ir.Value, column: int
) -> ir.Value:
    """Move every thread's piece of a list (``buf[base + begin_t ..]``) to follow the previous ones; the
    total length."""
    b, pop = lw.b, lw.places.population
    thread = _ptr(lw, pop.id, SpikeField.THREAD)
    total = alloca_once(b, I64, "total")
    b.store(I64(0), total)
    with for_range(b, I64(0), nthreads) as t:
        first, _ = partition(b, I64(pop.size), t, nthreads)
        n = b.load(element(b, thread, b.add(t, I64(column)), I64), typ=I64)
        done = b.load(total, typ=I64)
        with for_range(b, I64(0), n) as k:  # forward copy: the destination never passes the source
            value = b.load(element(b, buf, b.add(base, b.add(first, k)), I32), typ=I32)
            b.store(value, element(b, buf, b.add(base, b.add(done, k)), I32))
        b.store(b.add(done, n), total)
    return b.load(total, typ=I64)


def finish(lw: StatementLowering, nthreads: ir.Value) -> None:
    """The spike lists of the step, their ring slot, ``CURRENT`` and the firing rate (thread 0)."""
    b, pop = lw.b, lw.places.population
    pid = pop.id
    nxt = _next_slot(lw, pid)
    base = b.mul(nxt, I64(pop.size))
    ring, axon = _ptr(lw, pid, SpikeField.RING), _ptr(lw, pid, SpikeField.AXON)
    enabled = b.icmp_signed("!=", lw.ctx_value(PopKey(pid, PopField.ENABLED)), I64(0))
    total, atotal = alloca_once(b, I64, "n"), alloca_once(b, I64, "na")
    b.store(I64(0), total)
    b.store(I64(0), atotal)
    with b.if_then(enabled):
        b.store(_gather(lw, ring, base, nthreads, 0), total)
        if has_axonal_ring(lw, pid):
            b.store(_gather(lw, axon, base, nthreads, MAX_THREADS), atotal)
    publish(lw, nxt, b.load(total, typ=I64), b.load(atotal, typ=I64))


def publish(lw: StatementLowering, nxt: ir.Value, n: ir.Value, na: ir.Value) -> None:
    """Make ring slot ``nxt`` (holding ``n`` spikes; ``na`` axonal spikes in the same slot of ``AXON``)
    the step's lists: their counts, the head, ``CURRENT`` for the recordings, and the firing rate."""
    b, pop = lw.b, lw.places.population
    pid = pop.id
    base = b.mul(nxt, I64(pop.size))
    ring, axon = _ptr(lw, pid, SpikeField.RING), _ptr(lw, pid, SpikeField.AXON)
    b.store(b.trunc(n, I32), element(b, _ptr(lw, pid, SpikeField.COUNTS), nxt, I32))
    b.store(b.trunc(na, I32), element(b, _ptr(lw, pid, SpikeField.AXON_COUNTS), nxt, I32))
    lw.store_ctx(PopKey(pid, PopField.SPIKE_HEAD), nxt)
    current = _ptr(lw, pid, SpikeField.CURRENT)
    list_address = b.ptrtoint(element(b, ring, base, I32), I64)
    axon_address = b.ptrtoint(element(b, axon, base, I32) if has_axonal_ring(lw, pid) else axon, I64)
    for k, v in enumerate((n, list_address, na, axon_address)):
        b.store(v, element(b, current, I64(k), I64))
    _firing_rate(lw, nxt, n)


def _firing_rate(lw: StatementLowering, nxt: ir.Value, n: ir.Value) -> None:
    """``FR_WINDOW = W > 0``: counts gain the step's spikes, lose those of step k - W; ``r = count·scale``."""
    b, pop = lw.b, lw.places.population
    pid = pop.id
    window = lw.ctx_value(PopKey(pid, PopField.FR_WINDOW))
    slots = lw.ctx_value(PopKey(pid, PopField.SPIKE_SLOTS))
    ring, counts = _ptr(lw, pid, SpikeField.RING), _ptr(lw, pid, SpikeField.FR_COUNT)
    r = lw.ptrs[StateKey(ObjKind.POPULATION, pid, "r")]
    scale = b.load(_ptr(lw, pid, SpikeField.FR_SCALE), typ=lw.real)

    def update(slot: ir.Value, length: ir.Value, delta: int) -> None:
        base = b.mul(slot, I64(pop.size))
        with for_range(b, I64(0), length) as k:
            i = b.sext(b.load(element(b, ring, b.add(base, k), I32), typ=I32), I64)
            c = b.add(b.load(element(b, counts, i, I32), typ=I32), I32(delta))
            b.store(c, element(b, counts, i, I32))
            b.store(b.fmul(b.sitofp(c, lw.real), scale), element(b, r, i, lw.real))

    with b.if_then(b.icmp_signed(">", window, I64(0))):
        update(nxt, n, 1)
        with b.if_then(b.icmp_signed("<", window, slots)):
            old = b.urem(b.add(nxt, window), slots)
            length = b.load(element(b, _ptr(lw, pid, SpikeField.COUNTS), old, I32), typ=I32)
            update(old, b.sext(length, I64), -1)


# --------------------------------------------------------------------------------------------------
# event loops


def _lower_bound(
    b: ir.IRBuilder, lo: ir.Value, hi: ir.Value, below: Callable[[ir.Value], ir.Value]
) -> ir.Value:
    """First ``e`` in ``[lo, hi)`` with ``below(e)`` false (``below`` must hold on a prefix)."""
    first, count = alloca_once(b, I64, "lb.first"), alloca_once(b, I64, "lb.count")
    b.store(lo, first)
    b.store(b.sub(hi, lo), count)
    head = b.append_basic_block("lb.head")
    body = b.append_basic_block("lb.body")
    done = b.append_basic_block("lb.done")
    b.branch(head)
    b.position_at_end(head)
    n = b.load(count, typ=I64)
    b.cbranch(b.icmp_signed(">", n, I64(0)), body, done)
    b.position_at_end(body)
    half = b.ashr(n, I64(1))
    f = b.load(first, typ=I64)
    mid = b.add(f, half)
    go_right = below(mid)
    b.store(b.select(go_right, b.add(mid, I64(1)), f), first)
    b.store(b.select(go_right, b.sub(b.sub(n, half), I64(1)), half), count)
    b.branch(head)
    b.position_at_end(done)
    return b.load(first, typ=I64)


class _Synapses:
    """The pre->post index of the kernel's projection."""

    def __init__(self, lw: StatementLowering):
        conn, _ = lw.connectivity()
        self.lw, self.conn = lw, conn
        self.proj = lw.places.proj

    def post(self, e: ir.Value) -> ir.Value:
        return self.conn.load(ConnField.EV_POST, e, I32)

    def delay(self, e: ir.Value) -> ir.Value:
        return self.conn.load(ConnField.EV_DELAY, e, I32)

    def range_of(
        self, j: ir.Value, delay: ir.Value | None, posts: tuple[ir.Value, ir.Value], restrict: ir.Value
    ) -> tuple[ir.Value, ir.Value]:
        """Synapses of pre rank ``j`` with post rank in ``posts`` (and the given delay)."""
        b = self.lw.b
        lo = self.conn.load(ConnField.EV_PTR, j, I64)
        hi = self.conn.load(ConnField.EV_PTR, b.add(j, I64(1)), I64)
        if delay is None:  # the whole row, or (several threads) the part of this thread's posts
            first, last = alloca_once(b, I64, "row.first"), alloca_once(b, I64, "row.last")
            b.store(lo, first)
            b.store(hi, last)
            with b.if_then(restrict):
                start = _lower_bound(b, lo, hi, lambda e: b.icmp_signed("<", self.post(e), posts[0]))
                b.store(start, first)
                b.store(
                    _lower_bound(b, start, hi, lambda e: b.icmp_signed("<", self.post(e), posts[1])), last
                )
            return b.load(first, typ=I64), b.load(last, typ=I64)

        def before(bound: ir.Value) -> Callable[[ir.Value], ir.Value]:
            def test(e: ir.Value) -> ir.Value:
                d = self.delay(e)
                earlier = b.icmp_signed("<", d, delay)
                return b.or_(
                    earlier, b.and_(b.icmp_signed("==", d, delay), b.icmp_signed("<", self.post(e), bound))
                )

            return test

        first = _lower_bound(b, lo, hi, before(posts[0]))
        return first, _lower_bound(b, first, hi, before(posts[1]))


def _spike_list(
    lw: StatementLowering, pid: int, age: ir.Value, axonal: bool = False
) -> tuple[ir.Value, ir.Value]:
    """``(base, count)``: where the list (the axonal list) of ``age`` steps before the last one starts
    in the ring (the axonal ring)."""
    b = lw.b
    slots = lw.ctx_value(PopKey(pid, PopField.SPIKE_SLOTS))
    slot = b.urem(b.add(lw.ctx_value(PopKey(pid, PopField.SPIKE_HEAD)), age), slots)
    size = lw.target.module.populations[pid].size
    counts = _ptr(lw, pid, SpikeField.AXON_COUNTS if axonal else SpikeField.COUNTS)
    count = b.load(element(b, counts, slot, I32), typ=I32)
    return b.mul(slot, I64(size)), b.sext(count, I64)


def _synapse_element(
    lw: StatementLowering, e: ir.Value, slot: ir.Value, pre: ir.Value, post: ir.Value, top: Element
) -> Element:
    b = lw.b
    conn, _ = lw.connectivity()
    dend = conn.load(ConnField.POST_INDEX, post, I32)
    at = {
        Role.SELF: At(slot),
        Role.PRE: At(pre),
        Role.POST: At(post),
        Role.DENDRITE: At(dend),
        Role.EVENT: At(e),
    }
    return top.inner(Domain.SYNAPSE, at, (b.trunc(post, I32), b.trunc(pre, I32)))


#: Synapses of one spike handled together (one per lane): they differ in slot and in post rank.
LANES = 8


def _deliver_lanes(
    lw: StatementLowering,
    loop: ForEach,
    index: _Synapses,
    j: ir.Value,
    span: tuple[ir.Value, ir.Value],
    top: Element,
) -> None:
    """The synapses ``[first, last)`` of pre rank ``j`` in lanes of :data:`LANES`: the synapses of one spike
    have distinct slots and distinct post neurons, so running them side by side (gathers and scatters)
    is running them one after another; the remaining ones (fewer than :data:`LANES`) one by one."""
    b = lw.b
    first, last = span
    full = b.add(first, b.mul(b.sdiv(b.sub(last, first), I64(LANES)), I64(LANES)))
    with for_range(b, first, full, LANES) as e:
        _run(lw, loop, _lane_element(lw, index, e, j, None, top))
    with for_range(b, full, last) as e:
        slot = index.conn.load(ConnField.EV_SLOT, e, I32)
        _run(lw, loop, _synapse_element(lw, e, slot, j, index.post(e), top))


def _lane_element(
    lw: StatementLowering, index: _Synapses, e: ir.Value, j: ir.Value, mask: ir.Value | None, top: Element
) -> Element:
    """Synapses ``e .. e + LANES - 1`` of the pre->post index as one element of :data:`LANES` lanes."""
    b = lw.b
    conn = index.conn
    at_e = At(e, AtKind.CONTIGUOUS)
    vec64 = ir.VectorType(I64, LANES)
    slots = b.sext(load(b, conn.pointers[ConnField.EV_SLOT], I32, at_e, LANES, mask), vec64)
    posts = b.sext(load(b, conn.pointers[ConnField.EV_POST], I32, at_e, LANES, mask), vec64)
    dend = b.sext(
        load(b, conn.pointers[ConnField.POST_INDEX], I32, At(posts, AtKind.GATHER), LANES, mask), vec64
    )
    at = {
        Role.SELF: At(slots, AtKind.GATHER), Role.PRE: At(j), Role.POST: At(posts, AtKind.GATHER),
        Role.DENDRITE: At(dend, AtKind.GATHER), Role.EVENT: at_e,
    }  # fmt: skip
    counter = (b.trunc(posts, ir.VectorType(I32, LANES)), splat(b, b.trunc(j, I32), LANES))
    return top.inner(Domain.SYNAPSE, at, counter, width=LANES, mask=mask)


def _run(lw: StatementLowering, loop: ForEach, el: Element) -> None:
    """The synapse loops of an event loop, for the synapse at ``el``."""
    for inner in loop.body:
        if not (isinstance(inner, ForEach) and inner.domain is Domain.SYNAPSE):
            raise BackendError(f"kernel {lw.places.kernel.name}: an event loop holds {type(inner).__name__}")
        for s in inner.body:
            lw.stmt(s, el)


#: Visits one delivered spike list: ``(base, count, buf, delay, age)``: the list is
#: ``buf[base .. base + count)``, emitted ``age`` steps before the last step; ``delay`` (``i64``, or None
#: for whole rows) selects the part of each row with that delay.
DeliverList = Callable[[ir.Value, ir.Value, ir.Value, "ir.Value | None", ir.Value], None]


def delivered_lists(lw: StatementLowering, loop: ForEach, top: Element, deliver: DeliverList) -> None:
    """Call ``deliver`` for every spike list that reaches the kernel's projection this step (each age of
    a decoding window, each delay of per-synapse delays, or the list of the uniform delay; the axonal
    lists of the same steps for an axonal loop); the spikes a grown delay already delivered are left out
    (``DELIVERED_UNTIL``), and so are axonal lists while the projection's ``axon_transmission`` is off."""
    b, proj = lw.b, lw.places.proj
    pre = proj.pre
    delivered_until = lw.conn_value(ConnField.DELIVERED_UNTIL)
    axonal = loop.domain is Domain.AXON_SPIKE
    ring = _ptr(lw, pre, SpikeField.AXON if axonal else SpikeField.RING)
    gate = b.icmp_signed("!=", lw.conn_value(ConnField.AXON_TRANSMISSION), I64(0)) if axonal else None

    def fresh(base: ir.Value, count: ir.Value, buf: ir.Value, delay: ir.Value | None, age: ir.Value) -> None:
        recent = b.icmp_signed(">", b.sub(b.sub(lw.step, I64(1)), age), delivered_until)
        if gate is not None:
            recent = b.and_(recent, gate)
        deliver(base, b.select(recent, count, I64(0)), buf, delay, age)

    if loop.domain is Domain.RECENT_SPIKE:  # a decoding projection's window: every age, whole rows
        window_key = StateKey(ObjKind.PROJECTION, proj.id, DECODING_WINDOW)
        window = b.sext(lw.read(window_key, DType.INT, None, top), I64)
        with for_range(b, I64(0), window) as age:
            base, count = _spike_list(lw, pre, age)
            fresh(base, count, ring, None, age)
        return
    if proj.delay is DelayKind.NONUNIFORM:
        top_delay = lw.conn_value(ConnField.MAX_DELAY)
        with for_range(b, I64(1), b.add(top_delay, I64(1))) as d:
            base, count = _spike_list(lw, pre, b.sub(d, I64(1)), axonal)
            fresh(base, count, ring, d, b.sub(d, I64(1)))
        return
    d = lw.conn_value(ConnField.UNIFORM_DELAY) if proj.delay is DelayKind.UNIFORM else I64(1)
    age = b.select(b.icmp_signed("<", d, I64(1)), I64(0), b.sub(d, I64(1)))
    base, count = _spike_list(lw, pre, age, axonal)
    fresh(base, count, ring, None, age)


def pre_spikes(lw: StatementLowering, loop: ForEach, tid: ir.Value, nthreads: ir.Value, top: Element) -> None:
    """Deliver the spikes that reach the projection this step (a parallel stage, module docstring)."""
    b, proj = lw.b, lw.places.proj
    posts = partition(b, I64(lw.target.module.populations[proj.post].size), tid, nthreads)
    restrict = b.icmp_signed(">", nthreads, I64(1))
    index = _Synapses(lw)

    def deliver(
        base: ir.Value, count: ir.Value, buf: ir.Value, delay: ir.Value | None, age: ir.Value
    ) -> None:
        with for_range(b, I64(0), count) as s:
            j = b.sext(b.load(element(b, buf, b.add(base, s), I32), typ=I32), I64)
            first, last = index.range_of(j, delay, posts, restrict)
            _deliver_lanes(lw, loop, index, j, (first, last), top)

    delivered_lists(lw, loop, top, deliver)


def post_spikes(
    lw: StatementLowering, loop: ForEach, tid: ir.Value, nthreads: ir.Value, top: Element
) -> None:
    """Post-synaptic events: the post neurons that fired this step, split between threads."""
    b, proj = lw.b, lw.places.proj
    conn, desc = lw.connectivity()
    base, count = _spike_list(lw, proj.post, I64(0))
    begin, end = partition(b, count, tid, nthreads, align=1)
    ring = _ptr(lw, proj.post, SpikeField.RING)
    with for_range(b, begin, end) as s:
        p = b.sext(b.load(element(b, ring, b.add(base, s), I32), typ=I32), I64)
        d = conn.load(ConnField.POST_INDEX, p, I32)
        with b.if_then(b.icmp_signed(">=", d, I64(0))):
            row = desc.row(conn, d)
            with for_range(b, I64(0), row.count(b)) as pos:
                slot = row.slot(b, pos)
                pre = desc.pre_rank(conn, slot, pos)
                at = {Role.SELF: At(slot), Role.PRE: At(pre), Role.POST: At(p), Role.DENDRITE: At(d)}
                el = top.inner(Domain.SYNAPSE, at, (b.trunc(p, I32), b.trunc(pre, I32)))
                _run(lw, loop, el)


__all__ = [
    "PTR",
    "compact",
    "contains_spike",
    "delivered_lists",
    "emit",
    "finish",
    "post_spikes",
    "pre_spikes",
    "publish",
]
