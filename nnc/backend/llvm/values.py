"""Values of context expressions at one element: attributes, inputs, temporaries, time, random draws,
dendrite reductions and delayed pre-synaptic reads (the :class:`~nnc.backend.llvm.expr.Env` of a kernel).

* ``t`` is ``double(k) * dt`` rounded to the model float type (SEMANTICS.md §14); inside SYNAPSE
  kernels ``dt`` means ``double(LEARN_PERIOD) * dt``, rounded likewise (:class:`nnc.ir.model.Kernel`).
* ``Random``: ``emit_random`` of :mod:`nnc.backend.llvm.rng` with key ``(seed_lo32, stream ^ seed_hi32)``
  and counter ``(elem_a, elem_b, step_lo32, 0)``: ``elem_a`` is the neuron or post rank, ``elem_b`` the
  pre rank for synapses (0 otherwise); both are 0 outside loops.
* ``Reduce``: per dendrite, the synapses' values in ``<8 x real>`` lanes (:mod:`nnc.backend.llvm.reduce`).
* ``Delayed``: slot ``d - 1`` of the pre population's queue, i.e. element
  ``((head + d - 1) mod len) * size + pre`` (SEMANTICS.md §5; ``d`` is at least 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from llvmlite import ir

from nnc.backend.abi import (
    ConnField,
    ConnKey,
    MirrorKey,
    PopField,
    PopKey,
    QueueKey,
    RuntimeField,
    RuntimeKey,
    SourceField,
    SourceKey,
    StateKey,
)
from nnc.backend.llvm.access import At, AtKind, lane_indices, load, offset
from nnc.backend.llvm.expr import I32, I64, Lowering, element, splat
from nnc.backend.llvm.places import Element, Role
from nnc.backend.llvm.reduce import (
    LANES,
    REDUCE_OPS,
    finish_mean,
    lane_reduce,
    lane_reduce_around,
    zero_if_empty,
)
from nnc.diagnostics import BackendError
from nnc.ir.model import LAST_EVENT, LAST_SPIKE, SOURCE_COUNTER, SOURCE_NEXT
from nnc.ir.nodes import (
    Delayed,
    Deriv,
    Dt,
    EventAge,
    Expr,
    GlobalOpValue,
    Input,
    Random,
    Reduce,
    ReduceOp,
    SourceDue,
    SpikeTime,
    Step,
    Temp,
    Time,
    Var,
)
from nnc.ir.types import DelayKind, Domain, DType, Locality, ObjKind, Phase, Scope

if TYPE_CHECKING:
    from nnc.backend.llvm.statements import StatementLowering


class ValueEnv:
    """The :class:`~nnc.backend.llvm.expr.Env` of element ``el`` of a stage."""

    def __init__(self, lw: StatementLowering, el: Element):
        self.lw = lw
        self.el = el

    def leaf(self, node: Expr, lo: Lowering) -> ir.Value:
        """Value of a context node."""
        handler = _LEAVES.get(type(node))
        if handler is None:
            raise BackendError(f"kernel {self.lw.places.kernel.name}: no lowering for {type(node).__name__}")
        return handler(self, node, lo)

    @property
    def b(self) -> ir.IRBuilder:
        """The stage's builder."""
        return self.lw.b

    def var(self, node: Var, lo: Lowering) -> ir.Value:
        event = self.el.at.get(Role.EVENT)
        if event is not None and self.lw.places.mirrored(node):  # delivery reads it in sequence
            return self.lw.read(MirrorKey(self.lw.places.proj.id, node.name), node.dtype, event, self.el)
        key, role = self.lw.places.state(node)
        at = self.el.position(role, f"'{node.name}'")
        if role is Role.PRE:
            return self.lw.read_pre(key, node.dtype, at, self.el)
        return self.lw.read(key, node.dtype, at, self.el)

    def input(self, node: Input, lo: Lowering) -> ir.Value:
        key, role = self.lw.places.input(node)
        at = self.el.position(role, f"sum({node.target})")
        if role is Role.PRE:
            return self.lw.read_pre(key, DType.REAL, at, self.el)
        return self.lw.read(key, DType.REAL, at, self.el)

    def global_op(self, node: GlobalOpValue, lo: Lowering) -> ir.Value:
        return self.lw.read(self.lw.places.global_op(node), DType.REAL, None, self.el)

    def temp(self, node: Temp, lo: Lowering) -> ir.Value:
        value = self.el.temps.get(node.name)
        if value is None:
            raise BackendError(
                f"kernel {self.lw.places.kernel.name}: temporary %{node.name} used before its let"
            )
        return value

    def _times_dt(self, count: ir.Value) -> ir.Value:
        """``double(count) * dt`` rounded to the model float type."""
        f64 = ir.DoubleType()
        value = self.b.fmul(self.b.sitofp(count, f64), ir.Constant(f64, self.lw.target.module.dt))
        return value if isinstance(self.lw.real, ir.DoubleType) else self.b.fptrunc(value, self.lw.real)

    def time(self, node: Time, lo: Lowering) -> ir.Value:
        return self._times_dt(self.lw.step)

    def dt(self, node: Dt, lo: Lowering) -> ir.Value:
        kernel = self.lw.places.kernel
        if kernel.phase is Phase.SYNAPSE and kernel.owner is ObjKind.PROJECTION:
            return self._times_dt(self.lw.conn_value(ConnField.LEARN_PERIOD))
        return ir.Constant(self.lw.real, self.lw.target.module.dt)

    def spike_time(self, node: SpikeTime, lo: Lowering) -> ir.Value:
        """``last_spike·dt`` of the neuron seen through the node's scope."""
        last = Var(LAST_SPIKE, DType.INT, Locality.LOCAL, node.scope)
        key, role = self.lw.places.state(last)
        steps = self.lw.read(key, DType.INT, self.el.position(role, "a spike time"), self.el)
        if isinstance(steps.type, ir.VectorType):  # read in lanes (a reduction)
            f64 = ir.VectorType(ir.DoubleType(), steps.type.count)
            dt = splat(self.b, ir.Constant(ir.DoubleType(), self.lw.target.module.dt), steps.type.count)
            value = self.b.fmul(self.b.sitofp(steps, f64), dt)
            real = ir.VectorType(self.lw.real, steps.type.count)
            return value if isinstance(self.lw.real, ir.DoubleType) else self.b.fptrunc(value, real)
        return self._times_dt(self.b.sext(steps, I64))

    def source_due(self, node: SourceDue, lo: Lowering) -> ir.Value:
        """Whether the neuron's next scheduled spike is now (:class:`~nnc.ir.nodes.SourceDue`)."""
        lw, b = self.lw, self.b
        pid = lw.places.population.id
        at = self.el.position(Role.SELF, "a spike source")
        assert at is not None
        offsets = lw.ptrs[SourceKey(pid, SourceField.OFFSETS)]
        first = b.load(element(b, offsets, at.index, I64), typ=I64)
        end = b.load(element(b, offsets, b.add(at.index, I64(1)), I64), typ=I64)
        nxt = b.sext(lw.read(StateKey(ObjKind.POPULATION, pid, SOURCE_NEXT), DType.INT, at, self.el), I64)
        counter = b.sext(
            lw.read(StateKey(ObjKind.POPULATION, pid, SOURCE_COUNTER), DType.INT, None, self.el), I64
        )
        left = b.icmp_signed("<", nxt, b.sub(end, first))
        index = b.select(left, b.add(first, nxt), I64(0))
        times = lw.ptrs[SourceKey(pid, SourceField.TIMES)]
        due = b.sext(b.load(element(b, times, index, I32), typ=I32), I64)
        return b.and_(left, b.icmp_signed("==", due, b.sub(counter, I64(1))))

    def step_counter(self, node: Step, lo: Lowering) -> ir.Value:
        return self.b.trunc(self.lw.step, I32)

    def event_age(self, node: EventAge, lo: Lowering) -> ir.Value:
        """``(k - lag) - _last_event`` in 64-bit integers, then as a real."""
        b = self.b
        last = Var(LAST_EVENT, DType.INT, Locality.LOCAL)
        key, role = self.lw.places.state(last)
        raw = self.lw.read(key, DType.INT, self.el.position(role, "an event age"), self.el)
        now = b.sub(self.lw.step, I64(node.lag))
        if isinstance(raw.type, ir.VectorType):  # synapses in lanes
            width = raw.type.count
            age = b.sub(splat(b, now, width), b.sext(raw, ir.VectorType(I64, width)))
            return b.sitofp(age, ir.VectorType(self.lw.real, width))
        return b.sitofp(b.sub(now, b.sext(raw, I64)), self.lw.real)

    def deriv(self, node: Deriv, lo: Lowering) -> ir.Value:
        raise BackendError(
            f"d{node.name}/dt left in kernel {self.lw.places.kernel.name}: run the discretise pass"
        )

    def random(self, node: Random, lo: Lowering) -> ir.Value:
        from nnc.backend.llvm import rng

        b = self.b
        seed = self.lw.ctx_value(RuntimeKey(RuntimeField.SEED))
        stream = self.lw.stream(node.stream)  # this instance's stream (nnc.backend.sharing)
        key = (b.trunc(seed, I32), b.xor(stream, b.trunc(b.lshr(seed, I64(32)), I32)))
        step = b.trunc(self.lw.step, I32)
        args = [lo.real(a) for a in node.args]
        counter = [lo.ty.splat(b, c) for c in self.el.counter]

        def draw(xs: list[ir.Value]) -> ir.Value:
            *values, elem_a, elem_b = xs
            return rng.emit_random(b, node.dist, values, key, (elem_a, elem_b, step, I32(0)), self.lw.real)

        return lo.per_lane(draw, [*args, *counter])

    def reduce(self, node: Reduce, lo: Lowering) -> ir.Value:
        el, lw, b = self.el, self.lw, self.b
        if el.domain is not Domain.DENDRITE or el.width != 1 or el.row is None:
            raise BackendError(f"kernel {lw.places.kernel.name}: reduce outside a dendrite loop")
        if lw.places.proj.stencil is not None:
            from nnc.backend.llvm import stencil

            return stencil.reduce(self, node)
        row = el.row
        n = row.count(b)

        def values(p0: ir.Value, mask: ir.Value | None, shift: ir.Value | None = None) -> ir.Value:
            return lw.lowering(self._lanes(row.begin, p0, mask, shift)).real(node.value)

        red = REDUCE_OPS[node.op]
        if row.hole is None:
            total = lane_reduce(b, lw.target.lib, red, n, values)
        else:
            total = lane_reduce_around(b, lw.target.lib, red, n, row.hole, values)
        match node.op:
            case ReduceOp.MEAN:
                return finish_mean(b, lw.real, total, n)
            case ReduceOp.MAX | ReduceOp.MIN:
                return zero_if_empty(b, lw.real, total, n)
        return total

    def _lanes(self, begin: ir.Value, p0: ir.Value, mask: ir.Value | None, shift: ir.Value | None) -> Element:
        """The synapses at positions ``p0 .. p0 + 7`` of the current row, as one lane element.

        ``shift`` (rows with a hole, :data:`~nnc.backend.llvm.reduce.ShiftedLaneValues`): which lanes sit
        one slot further.
        """
        lw, b = self.lw, self.b
        conn, desc = lw.connectivity()
        column, kind = p0, AtKind.CONTIGUOUS
        if shift is not None and not isinstance(shift.type, ir.VectorType):
            column, shift = b.add(p0, shift), None
        elif shift is not None:
            kind = AtKind.SPLIT
        slot = b.add(begin, column)
        if desc.contiguous_pre:
            pre = At(desc.pre_base(conn, column), kind, shift)
        else:
            ptr = conn.pointers[desc.pre_array]
            ranks = load(b, ptr, I32, At(slot, kind, shift), LANES, mask)
            pre = At(b.sext(ranks, ir.VectorType(I64, LANES)), AtKind.GATHER)
        pre_lanes = b.trunc(lane_indices(b, pre, LANES), ir.VectorType(I32, LANES))
        own = At(slot, kind, shift)
        if desc.slot_array is not None:  # the attributes of another projection's synapses
            slots = load(b, conn.pointers[desc.slot_array], I32, own, LANES, mask)
            own = At(b.sext(slots, ir.VectorType(I64, LANES)), AtKind.GATHER)
        at = {Role.SELF: own, Role.PRE: pre}
        return self.el.inner(Domain.SYNAPSE, at, (self.el.counter[0], pre_lanes), width=LANES, mask=mask)

    def delayed(self, node: Delayed, lo: Lowering) -> ir.Value:
        lw, b, v, width = self.lw, self.b, node.var, self.el.width
        proj = lw.places.proj
        if proj.delay is DelayKind.NONE:
            return self.var(v, lo)
        if v.scope is not Scope.PRE:
            raise BackendError(f"projection {proj.name}: only pre-synaptic attributes can be delayed")
        pre = lw.target.module.populations[proj.pre]
        back = self._steps_back(proj.delay)
        fit: Callable[[ir.Value], ir.Value] = (
            (lambda x: splat(b, x, width)) if isinstance(back.type, ir.VectorType) else (lambda x: x)
        )
        length = fit(lw.ctx_value(PopKey(pre.id, PopField.QUEUE_LEN)))
        head = fit(lw.ctx_value(PopKey(pre.id, PopField.QUEUE_HEAD)))
        base = b.mul(b.urem(b.add(head, back), length), fit(I64(pre.size)))
        at = self.el.position(Role.PRE, f"pre.{v.name}")
        assert at is not None
        mask = self.el.mask
        if self.el.outside is not None:  # a stencil's padded lanes are not read
            inside = b.xor(self.el.outside, ir.Constant(self.el.outside.type, [1] * width))
            mask = inside if mask is None else b.and_(mask, inside)
        raw = load(b, lw.ptrs[QueueKey(pre.id, v.name)], lw.real, offset(b, at, base, width), width, mask)
        return lw.pad_pre(lo.convert(raw, DType.REAL, v.dtype), v.dtype, self.el)

    def _steps_back(self, kind: DelayKind) -> ir.Value:
        """``max(d, 1) - 1`` (``i64``; one per lane for per-synapse delays read in lanes)."""
        lw, b = self.lw, self.b
        if kind is DelayKind.UNIFORM:
            d = lw.conn_value(ConnField.UNIFORM_DELAY)
        else:
            at = self.el.position(Role.SELF, "a per-synapse delay")
            assert at is not None
            raw = load(
                b, lw.ptrs[ConnKey(lw.places.proj.id, ConnField.DELAY)], I32, at, self.el.width, self.el.mask
            )
            d = b.sext(
                raw, I64 if not isinstance(raw.type, ir.VectorType) else ir.VectorType(I64, raw.type.count)
            )
        one = (
            ir.Constant(d.type, 1)
            if d.type is I64 or not isinstance(d.type, ir.VectorType)
            else (ir.Constant(d.type, [1] * d.type.count))
        )
        return b.sub(b.select(b.icmp_signed("<", d, one), one, d), one)


_LEAVES: dict[type, Callable[[ValueEnv, Expr, Lowering], ir.Value]] = {
    Var: ValueEnv.var,
    Input: ValueEnv.input,
    GlobalOpValue: ValueEnv.global_op,
    Temp: ValueEnv.temp,
    Time: ValueEnv.time,
    Dt: ValueEnv.dt,
    SpikeTime: ValueEnv.spike_time,
    Step: ValueEnv.step_counter,
    SourceDue: ValueEnv.source_due,
    EventAge: ValueEnv.event_age,
    Deriv: ValueEnv.deriv,
    Random: ValueEnv.random,
    Reduce: ValueEnv.reduce,
    Delayed: ValueEnv.delayed,
}
