"""Statement lowering inside one stage function: assignments, bounds, inputs, loops and whole-population work.

Reads and writes follow :mod:`nnc.backend.llvm.places`; the values of context expressions (attributes,
inputs, time, random draws, dendrite reductions, delayed reads) come from :mod:`nnc.backend.llvm.values`.
Gating inside SYNAPSE kernels (:class:`nnc.ir.model.Kernel`): an ``Assign``/``Clamp`` of ``w`` runs only
if the projection's PLASTICITY flag is set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from llvmlite import ir

from nnc.backend.abi import (
    ConnField,
    InputKey,
    PopField,
    PopKey,
    QueueKey,
    SlotKey,
    StateKey,
    conn_key,
)
from nnc.backend.llvm import fused, globalops, spiking
from nnc.backend.llvm.access import ORIGIN, At, load, store
from nnc.backend.llvm.expr import I32, I64, Lowering, Typing, element, storage_type
from nnc.backend.llvm.formats import ConnArrays, FormatDescriptor, descriptor
from nnc.backend.llvm.loops import for_range
from nnc.backend.llvm.places import Element, Places, Role
from nnc.backend.llvm.values import ValueEnv
from nnc.diagnostics import BackendError, InternalError
from nnc.ir.nodes import (
    AddInput,
    Assign,
    Clamp,
    ClearInputs,
    ComputeGlobalOp,
    ForDendrite,
    ForEach,
    Let,
    PushDelayed,
    Spike,
    Stmt,
    Var,
)
from nnc.ir.printer import print_stmts
from nnc.ir.types import Domain, DType, Locality, ObjKind, Phase, Scope

if TYPE_CHECKING:
    from nnc.backend.llvm.kernels import Target

_CONN_VALUES = (ConnField.N_DENDRITES, ConnField.ROW_STRIDE, ConnField.PRE_OFFSET)


def _padded(lw: StatementLowering, raw: ir.Value, dtype: DType, el: Element) -> ir.Value:
    """A pre-synaptic value read in lanes, with the stencil's padding value on the lanes outside
    (converted to the attribute's type as an assignment would: truncated to int, ``!= 0`` for bool)."""
    if el.outside is None:
        return raw
    value: float | int | bool = el.padding
    if dtype is DType.INT:
        value = int(el.padding)
    elif dtype is DType.BOOL:
        value = el.padding != 0
    ty = Typing(lw.real, el.width)
    fill = ty.const(ty.scalar(dtype), value)
    return lw.b.select(el.outside, fill, raw)


@dataclass(frozen=True, slots=True)
class StageArgs:
    """Arguments of a stage function: ``ctx``, the step ``k``, the buffer pointers by slot and the
    instance's descriptor (:mod:`nnc.backend.sharing`). Without a descriptor, the code is the
    network's own: the target's layout is the network's, its slots and random streams are constants
    (the PTX backend lowers this way)."""

    ctx: ir.Value
    step: ir.Value
    ptrs: dict[SlotKey, ir.Value]
    desc: ir.Value | None = None


class StatementLowering:
    """Lowers the statements of one stage function."""

    def __init__(self, target: Target, places: Places, b: ir.IRBuilder, args: StageArgs):
        self.target = target
        self.places = places
        self.b = b
        self.ctx = args.ctx
        self.step = args.step
        self.instance = args.desc  # the instance's descriptor (nnc.backend.sharing)
        self.ptrs = ptrs = args.ptrs
        self.real: ir.Type = target.real
        self._ctx_cache: dict[SlotKey, ir.Value] = {}
        self._desc_cache: dict[int, ir.Value] = {}
        self.conn: ConnArrays | None = None
        self.desc: FormatDescriptor | None = None
        self._nested: dict[int, StatementLowering] = {}
        if places.projection is not None:
            proj = places.projection
            keys = {conn_key(proj, f): f for f in ConnField}
            pointers = {keys[k]: v for k, v in ptrs.items() if k in keys}
            values = {f: self.ctx_value(conn_key(proj, f)) for f in _CONN_VALUES}
            self.conn = ConnArrays(b, pointers, values)
            self.desc = descriptor(places.projection.format, places.projection.holes)

    # ------------------------------------------------------------------ context values
    def ctx_slot(self, key: SlotKey) -> ir.Value:
        """The context slot of ``key`` for this instance: entry ``layout.slot(key)`` of the descriptor,
        loaded once in the entry block (without a descriptor: the layout's slot)."""
        if self.instance is None:
            return I64(self.target.layout.slot(key))
        return self._descriptor_entry(self.target.layout.slot(key))

    def stream(self, stream: int) -> ir.Value:
        """This instance's random stream number of canonical stream ``stream`` (``i32``; without a
        descriptor: ``stream`` itself)."""
        if self.instance is None:
            return I32(stream)
        entry = self._descriptor_entry(self.target.layout.size + stream)
        with self.b.goto_entry_block():
            return self.b.trunc(entry, I32)

    def _descriptor_entry(self, i: int) -> ir.Value:
        cached = self._desc_cache.get(i)
        if cached is None:
            with self.b.goto_entry_block():
                cached = self.b.load(element(self.b, self.instance, I64(i), I64), typ=I64)
            self._desc_cache[i] = cached
        return cached

    def ctx_value(self, key: SlotKey) -> ir.Value:
        """An ``i64`` value slot, loaded once in the entry block."""
        if key not in self._ctx_cache:
            slot = self.ctx_slot(key)
            with self.b.goto_entry_block():
                self._ctx_cache[key] = self.b.load(element(self.b, self.ctx, slot, I64), typ=I64)
        return self._ctx_cache[key]

    def nested(self, node: ForDendrite) -> StatementLowering:
        """The lowering of a fused dendrite's statements (owned by its projection), one per projection."""
        sub = self._nested.get(node.proj)
        if sub is None:
            places = Places(self.target.module, self.target.module.dendrite_kernel(node))
            sub = self._nested[node.proj] = StatementLowering(
                self.target, places, self.b, StageArgs(self.ctx, self.step, self.ptrs, self.instance)
            )
            sub._desc_cache = self._desc_cache
        return sub

    def connectivity(self) -> tuple[ConnArrays, FormatDescriptor]:
        """Connectivity arrays and format of the kernel's projection."""
        if self.conn is None or self.desc is None:
            raise BackendError(f"kernel {self.places.kernel.name}: dendrites and synapses need a projection")
        return self.conn, self.desc

    def conn_value(self, f: ConnField) -> ir.Value:
        """A value slot of the kernel's projection (of the projection it shares, for shared fields)."""
        return self.ctx_value(conn_key(self.places.proj, f))

    def store_ctx(self, key: SlotKey, value: ir.Value) -> None:
        """Write a value slot."""
        self.b.store(value, element(self.b, self.ctx, self.ctx_slot(key), I64))

    def lowering(self, el: Element) -> Lowering:
        """An expression lowering for element ``el``."""
        return Lowering(self.b, Typing(self.real, el.width), self.target.lib, ValueEnv(self, el))

    # ------------------------------------------------------------------ memory
    def read_pre(self, key: SlotKey, dtype: DType, at: At | None, el: Element) -> ir.Value:
        """Like :meth:`read`, for a pre-synaptic neuron's value: lanes outside the population (a stencil's
        padded positions) are not read and hold the padding value."""
        if el.outside is None or at is None:
            return self.read(key, dtype, at, el)
        inside = self.b.xor(el.outside, ir.Constant(el.outside.type, [1] * el.width))
        mask = inside if el.mask is None else self.b.and_(el.mask, inside)
        return _padded(self, self.read(key, dtype, at, replace(el, mask=mask)), dtype, el)

    def pad_pre(self, raw: ir.Value, dtype: DType, el: Element) -> ir.Value:
        """A pre-synaptic value already read with the lanes outside masked: the padding value there."""
        return _padded(self, raw, dtype, el)

    def read(self, key: SlotKey, dtype: DType, at: At | None, el: Element) -> ir.Value:
        """Element(s) of buffer ``key`` in register type (bools become ``i1``)."""
        raw = load(self.b, self.ptrs[key], storage_type(dtype, self.real), at or ORIGIN, el.width, el.mask)
        if dtype is DType.BOOL:
            return self.b.icmp_unsigned("!=", raw, ir.Constant(raw.type, None))
        return raw

    def write(
        self, key: SlotKey, dtype: DType, at: At | None, value: ir.Value, mask: ir.Value | None = None
    ) -> None:
        """Store a register value into buffer ``key`` (lanes: one element each, ``mask``ed ones not)."""
        st = storage_type(dtype, self.real)
        if dtype is DType.BOOL:
            lanes = value.type.count if isinstance(value.type, ir.VectorType) else 0
            value = self.b.zext(value, ir.VectorType(st, lanes) if lanes else st)
        store(self.b, self.ptrs[key], st, at or ORIGIN, value, mask)

    # ------------------------------------------------------------------ statements
    def stmt(self, s: Stmt, el: Element) -> None:
        """Lower one statement at element ``el``; a crash is reported with the statement and its location."""
        handler = _STATEMENTS.get(type(s))
        if handler is None:
            raise BackendError(f"kernel {self.places.kernel.name}: no lowering for {type(s).__name__}")
        try:
            handler(self, s, el)
        except (KeyError, TypeError, ValueError, AttributeError, AssertionError) as e:
            span = getattr(s, "span", None)
            where = f" at {span}" if span is not None else ""
            text = print_stmts((s,)).splitlines()[0]
            raise InternalError(
                "llvm-lower", f"kernel {self.places.kernel.name}, '{text}'{where}: {type(e).__name__}: {e}"
            ) from e

    def _target(self, t: Var, el: Element) -> tuple[SlotKey, At | None]:
        key, role = self.places.state(t)
        event = Role.EVENT in el.at  # a pre-synaptic spike touches each dendrite at most once
        if (role is None and el.domain is not None) or (
            role is Role.DENDRITE and el.domain is Domain.SYNAPSE and not event
        ):
            raise BackendError(
                f"kernel {self.places.kernel.name}: '{t.name}' ({t.locality.value}) assigned inside a "
                f"{el.domain.value if el.domain else ''} loop"
            )
        return key, el.position(role, f"'{t.name}'")

    def _gated(self, t: Var, emit: Callable[[], None]) -> None:
        k = self.places.kernel
        plastic_phases = (Phase.SYNAPSE, Phase.TRANSMIT, Phase.POST_EVENTS)
        if (
            k.phase in plastic_phases
            and k.owner is ObjKind.PROJECTION
            and t.name == "w"
            and t.scope is Scope.SELF
        ):
            with self.b.if_then(self.b.icmp_signed("!=", self.conn_value(ConnField.PLASTICITY), I64(0))):
                emit()
        else:
            emit()

    def assign(self, s: Assign, el: Element) -> None:
        key, at = self._target(s.target, el)
        value = self.lowering(el).as_type(s.value, s.target.dtype)
        self._gated(s.target, lambda: self.write(key, s.target.dtype, at, value, el.mask))

    def let(self, s: Let, el: Element) -> None:
        el.temps[s.name] = self.lowering(el).expr(s.value)

    def clamp(self, s: Clamp, el: Element) -> None:
        key, at = self._target(s.target, el)
        dtype = s.target.dtype
        lo = self.lowering(el)
        x = self.read(key, dtype, at, el)
        for bound, op in ((s.lo, "<"), (s.hi, ">")):
            if bound is None:
                continue
            limit = lo.real(bound)
            outside = self.b.fcmp_ordered(op, lo.convert(x, dtype, DType.REAL), limit)
            x = self.b.select(outside, lo.convert(limit, DType.REAL, dtype), x)
        self._gated(s.target, lambda: self.write(key, dtype, at, x, el.mask))

    def add_input(self, s: AddInput, el: Element) -> None:
        key = InputKey(self.places.proj.post, s.target)
        at = el.position(Role.POST, f"post.sum({s.target})")
        value = self.lowering(el).real(s.value)
        self.write(key, DType.REAL, at, self.b.fadd(self.read(key, DType.REAL, at, el), value))

    def clear_inputs(self, s: ClearInputs, el: Element) -> None:
        if el.domain is Domain.NEURON:  # fused: the current neuron's inputs
            zero = ir.Constant(self.real, 0.0)
            for t in s.targets:
                at = el.position(Role.SELF, f"sum({t})")
                self.write(InputKey(self.places.population.id, t), DType.REAL, at, zero)
            return
        self.clear_range(s, I64(0), I64(self.places.population.size))

    def clear_range(self, s: ClearInputs, begin: ir.Value, end: ir.Value) -> None:
        """Zero ``sum(t)`` of neurons ``[begin, end)`` for every target of ``s``."""
        pop = self.places.population
        for t in s.targets:
            with for_range(self.b, begin, end) as i:
                self.write(InputKey(pop.id, t), DType.REAL, At(i), ir.Constant(self.real, 0.0))

    def compute_global_op(self, s: ComputeGlobalOp, el: Element) -> None:
        if el.domain is None:
            globalops.compute_serial(self, s)
        # inside a fused neuron loop the loop builder and its finishing stage reduce (nnc.backend.llvm.fused)

    def push_delayed(self, s: PushDelayed, el: Element) -> None:
        if el.domain is Domain.NEURON:
            fused.push_element(self, s, el)
            return
        b, pop = self.b, self.places.population
        length = self.ctx_value(PopKey(pop.id, PopField.QUEUE_LEN))
        head_key = PopKey(pop.id, PopField.QUEUE_HEAD)
        head = b.urem(b.add(self.ctx_value(head_key), b.sub(length, I64(1))), length)
        base = b.mul(head, I64(pop.size))
        for name in s.vars:
            attr = pop.attribute(name)
            if attr is None:
                raise BackendError(f"kernel {self.places.kernel.name}: no attribute '{name}' to delay")
            lo = self.lowering(el)
            with for_range(b, I64(0), I64(pop.size)) as i:
                at = None if attr.locality is Locality.GLOBAL else At(i)  # a global fills its slot
                x = self.read(StateKey(ObjKind.POPULATION, pop.id, name), attr.dtype, at, el)
                self.write(
                    QueueKey(pop.id, name),
                    DType.REAL,
                    At(b.add(base, i)),
                    lo.convert(x, attr.dtype, DType.REAL),
                )
        self.store_ctx(head_key, head)

    def foreach(self, s: ForEach, el: Element) -> None:
        if s.domain is not Domain.SYNAPSE or el.domain is not Domain.DENDRITE or el.row is None:
            raise BackendError(
                f"kernel {self.places.kernel.name}: loop over {s.domain.value}s not allowed here"
            )
        row = el.row
        with for_range(self.b, I64(0), row.count(self.b)) as pos:  # real synapses, in position order
            self.loop_body(s, row.slot(self.b, pos), el)

    # ------------------------------------------------------------------ loop bodies
    def loop_body(self, loop: ForEach, index: ir.Value, outer: Element) -> None:
        """Lower the body of ``loop`` for element ``index`` (neuron, dendrite or synapse slot)."""
        b = self.b
        match loop.domain:
            case Domain.NEURON:
                el = outer.inner(Domain.NEURON, {Role.SELF: At(index)}, (b.trunc(index, I32), I32(0)))
            case Domain.DENDRITE:
                conn, desc = self.connectivity()
                post = conn.load(ConnField.POST_RANK, index, I32)
                row = desc.row(conn, index)
                at = {Role.DENDRITE: At(index), Role.POST: At(post)}
                el = outer.inner(Domain.DENDRITE, at, (b.trunc(post, I32), I32(0)), row=row)
            case Domain.SYNAPSE:
                conn, desc = self.connectivity()
                begin = outer.row.begin if outer.row is not None else index
                pre = desc.pre_rank(conn, index, b.sub(index, begin))
                el = outer.inner(
                    Domain.SYNAPSE,
                    {Role.SELF: At(desc.attribute_slot(conn, index)), Role.PRE: At(pre)},
                    (outer.counter[0], b.trunc(pre, I32)),
                )
        for s in loop.body:
            self.stmt(s, el)


_STATEMENTS: dict[type, Callable[[StatementLowering, Stmt, Element], None]] = {
    Assign: StatementLowering.assign,
    Let: StatementLowering.let,
    Clamp: StatementLowering.clamp,
    AddInput: StatementLowering.add_input,
    ClearInputs: StatementLowering.clear_inputs,
    ComputeGlobalOp: StatementLowering.compute_global_op,
    PushDelayed: StatementLowering.push_delayed,
    ForEach: StatementLowering.foreach,
    ForDendrite: fused.for_dendrite,
    Spike: spiking.emit,
}
