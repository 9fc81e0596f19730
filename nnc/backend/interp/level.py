"""Loop levels of the reference interpreter: where each leaf value of an expression comes from.

A :class:`Level` is one loop level of a running kernel (global statements, a neuron, dendrite or
synapse loop); it loads attributes, inputs, queues and temporaries as arrays with one entry per element
of that level, and knows the projection's flattened connectivity (:class:`Rows`). See
:mod:`nnc.backend.interp.engine` for the semantics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from nnc.backend.abi import (
    ConnField,
    ConnKey,
    ConstantKey,
    GlobalOpKey,
    InputKey,
    PopField,
    PopKey,
    QueueKey,
    SourceField,
    SourceKey,
    StateKey,
    attribute_owner,
    conn_key,
    real_dtype,
)
from nnc.diagnostics import InternalError
from nnc.ir.evaluate import convert, eval_expr, to_real
from nnc.ir.model import (
    LAST_EVENT,
    LAST_SPIKE,
    SOURCE_COUNTER,
    SOURCE_NEXT,
    Kernel,
    Module,
    ProjectionDecl,
)
from nnc.ir.nodes import (
    Delayed,
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
    Temp,
    Time,
    Var,
)
from nnc.ir.nodes import Step as StepCounter
from nnc.ir.reductions import reduce_rows
from nnc.ir.types import DelayKind, Domain, DType, Format, Holes, Locality, ObjKind, Padding, Scope
from nnc.runtime.buffers import Buffers


@dataclass(frozen=True, slots=True)
class Rows:
    """A projection's stored connectivity, flattened to its valid synapses in row order."""

    post_rank: np.ndarray  # [n_dendrites]
    lengths: np.ndarray  # [n_dendrites]
    slots: np.ndarray  # [n_valid]: slot of each synapse in the local synaptic arrays
    rows: np.ndarray  # [n_valid]: dendrite of each synapse
    pre: np.ndarray  # [n_valid]: pre rank of each synapse
    starts: np.ndarray  # [n_dendrites]: first synapse of each row in the flattened order
    #: STENCIL: positions whose pre-synaptic neuron lies outside the population (their ``pre`` is -1)
    outside: np.ndarray | None = None


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for every row."""
    total = int(lengths.sum()) if len(lengths) else 0
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return (offsets + np.arange(total)).astype(np.int64)


def _dense_holes(post: np.ndarray, offset: int, stride: int, holes: Holes) -> np.ndarray:
    """Column of each DENSE row's hole (``stride``: none): its own post rank's under ``Holes.SELF``."""
    hole = post - offset
    if holes is Holes.NONE:
        return np.full(len(post), stride, dtype=np.int64)
    return np.where((hole >= 0) & (hole < stride), hole, stride)


def stencil_rows(buffers: Buffers, module: Module, proj: ProjectionDecl) -> Rows:
    """The positions of every dendrite of a STENCIL projection (:class:`nnc.ir.model.Stencil`), in row
    order: slot ``W_ROW[d] + p``, pre rank from the anchor and the box (-1 outside the population)."""
    st = proj.stencil
    assert st is not None
    geometry = module.populations[proj.pre].geometry
    nd = buffers.value(ConnKey(proj.id, ConnField.N_DENDRITES))
    post = buffers.array(ConnKey(proj.id, ConnField.POST_RANK))[:nd].astype(np.int64)
    w_row = buffers.array(ConnKey(proj.id, ConnField.W_ROW))[:nd].astype(np.int64)
    center = buffers.array(ConnKey(proj.id, ConnField.CENTER))[: nd * len(geometry)].astype(np.int64)
    offsets = np.array(st.offsets(), dtype=np.int64).reshape(st.size, len(geometry))
    coords = center.reshape(nd, 1, len(geometry)) + offsets[None, :, :]
    bound = np.array(geometry, dtype=np.int64)
    if st.padding is Padding.BORDER:
        coords = np.clip(coords, 0, bound - 1)
    inside = np.all((coords >= 0) & (coords < bound), axis=2).reshape(-1)
    strides = np.cumprod((1, *geometry[:0:-1]))[::-1].astype(np.int64)
    pre = np.where(inside, coords.reshape(-1, len(geometry)) @ strides, -1)
    k = st.size
    slots = (w_row[:, None] + np.arange(k, dtype=np.int64)[None, :]).reshape(-1)
    rows = np.repeat(np.arange(nd, dtype=np.int64), k)
    lengths = np.full(nd, k, dtype=np.int64)
    outside = None if st.padding is Padding.BORDER else ~inside
    return Rows(post, lengths, slots, rows, pre, np.arange(nd, dtype=np.int64) * k, outside)


def transposed_rows(buffers: Buffers, module: Module, proj: ProjectionDecl) -> Rows:
    """The synapses of projection ``proj.shares`` read backwards: dendrite ``d`` (post rank ``d``) holds
    its synapses from pre rank ``d``, in the order of its pre->post index; their attributes are at the
    slots that index names (``EV_SLOT``)."""
    n = module.populations[proj.post].size
    ptr = buffers.array(conn_key(proj, ConnField.EV_PTR))[: n + 1].astype(np.int64)
    lengths = np.diff(ptr)
    positions = _ranges(ptr[:-1], lengths)
    slots = buffers.array(conn_key(proj, ConnField.EV_SLOT))[positions].astype(np.int64)
    pre = buffers.array(conn_key(proj, ConnField.EV_POST))[positions].astype(np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if n else lengths
    return Rows(np.arange(n, dtype=np.int64), lengths, slots, rows, pre, starts)


def projection_rows(buffers: Buffers, module: Module, proj: ProjectionDecl) -> Rows:
    """The stored connectivity of ``proj`` in its format, flattened (a copy: the copied projection's)."""
    if proj.format is Format.TRANSPOSED:
        return transposed_rows(buffers, module, proj)
    if proj.format is Format.STENCIL:
        return stencil_rows(buffers, module, replace(proj, id=conn_key(proj, ConnField.CENTER).proj))
    return rows_of(buffers, conn_key(proj, ConnField.POST_RANK).proj, proj.format, proj.holes)


def rows_of(buffers: Buffers, pid: int, fmt: Format | None, holes: Holes = Holes.NONE) -> Rows:
    """Flatten the connectivity of projection ``pid`` stored in ``fmt`` (None: CSR).

    A DENSE row with its hole at column ``h`` (``holes``) holds position ``p`` at column ``p`` for
    ``p < h`` and ``p + 1`` after it: positions count real synapses only.
    """
    if holes is not Holes.NONE and fmt is not Format.DENSE:
        raise InternalError("interp", f"projection {pid}: holes={holes.value} needs the dense format")
    nd = buffers.value(ConnKey(pid, ConnField.N_DENDRITES))
    post = buffers.array(ConnKey(pid, ConnField.POST_RANK))[:nd].astype(np.int64)
    stride = buffers.value(ConnKey(pid, ConnField.ROW_STRIDE))
    first = np.arange(nd, dtype=np.int64) * stride
    hole = None
    match fmt or Format.CSR:
        case Format.CSR:
            ptr = buffers.array(ConnKey(pid, ConnField.ROW_PTR))[: nd + 1].astype(np.int64)
            first, lengths = ptr[:-1], np.diff(ptr)
        case Format.ELL:
            lengths = buffers.array(ConnKey(pid, ConnField.ROW_LEN))[:nd].astype(np.int64)
        case Format.DENSE:
            hole = _dense_holes(post, buffers.value(ConnKey(pid, ConnField.PRE_OFFSET)), stride, holes)
            lengths = stride - (hole < stride).astype(np.int64)
    positions = _ranges(first, lengths)
    rows = np.repeat(np.arange(nd, dtype=np.int64), lengths)
    if hole is None:
        slots = positions
        pre = buffers.array(ConnKey(pid, ConnField.PRE_RANK))[slots].astype(np.int64)
    else:
        column = positions - first[rows]
        column += column >= hole[rows]
        slots = first[rows] + column
        pre = buffers.value(ConnKey(pid, ConnField.PRE_OFFSET)) + column
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if nd else lengths
    return Rows(post, lengths, slots, rows, pre, starts)


@dataclass(slots=True)
class Step:
    """What every level of one kernel execution shares."""

    module: Module
    buffers: Buffers
    kernel: Kernel
    step: int
    seed: int
    rows: dict[int, Rows]
    dt: float = 1.0  # the step, times the learning period in synaptic kernels
    plastic: bool = True  # whether ``w`` may be assigned
    real: np.dtype = field(init=False)

    def __post_init__(self) -> None:
        self.real = real_dtype(self.module.precision)


@dataclass(slots=True)
class Level:
    """One loop level of a kernel (``domain`` None: the global statements)."""

    ctx: Step
    domain: Domain | None
    temps: dict[str, np.ndarray]
    n: int = 1
    finish: list[Callable[[], None]] = field(default_factory=list)  # run when this loop level ends

    @property
    def real(self) -> np.dtype:
        return self.ctx.real

    @property
    def conn(self) -> Rows:
        return self.ctx.rows[self.ctx.kernel.owner_id]

    @property
    def is_pop(self) -> bool:
        return self.ctx.kernel.owner is ObjKind.POPULATION

    # -------------------------------------------------------------- element indices
    def _neurons(self, scope: Scope) -> tuple[int, np.ndarray | None]:
        """Population seen through ``scope`` and the neuron of each element (None: all, in order)."""
        k = self.ctx.kernel
        if self.is_pop and scope is Scope.SELF and self.domain is Domain.NEURON:
            return k.owner_id, None
        if not self.is_pop:
            proj = self.ctx.module.projections[k.owner_id]
            if scope is Scope.POST and self.domain is Domain.DENDRITE:
                return proj.post, self.conn.post_rank
            if scope is Scope.POST and self.domain is Domain.SYNAPSE:
                return proj.post, self.conn.post_rank[self.conn.rows]
            if scope is Scope.PRE and self.domain is Domain.SYNAPSE:
                pre = self.conn.pre
                return proj.pre, pre if self.conn.outside is None else np.where(self.conn.outside, 0, pre)
        raise InternalError("interp", f"{scope.value} neuron values are not available at {self.domain}")

    def self_index(self, locality: Locality) -> np.ndarray | slice:
        """Index of this level's elements in the owner's arrays of ``locality``."""
        match (self.domain, locality):
            case (Domain.NEURON, Locality.LOCAL) | (Domain.DENDRITE, Locality.SEMIGLOBAL):
                return slice(0, self.n)
            case (Domain.SYNAPSE, Locality.SEMIGLOBAL):
                return self.conn.rows
            case (Domain.SYNAPSE, Locality.LOCAL):
                return self.conn.slots
        raise InternalError("interp", f"{locality.value} attribute read at {self.domain}")

    def elems(self) -> tuple[np.ndarray, np.ndarray | int]:
        """``(elem_a, elem_b)`` of the random generator for this level."""
        match self.domain:
            case None:
                return np.zeros(1, dtype=np.int64), 0
            case Domain.NEURON:
                return np.arange(self.n, dtype=np.int64), 0
            case Domain.DENDRITE:
                return self.conn.post_rank, 0
        return self.conn.post_rank[self.conn.rows], self.conn.pre

    # -------------------------------------------------------------- leaves
    def _var(self, node: Var) -> np.ndarray:
        b, k = self.ctx.buffers, self.ctx.kernel
        if node.scope is Scope.NETWORK:
            return b.array(ConstantKey(node.name))[0:1].astype(self.real)
        if node.scope is Scope.SELF:
            owner = k.owner_id
            if k.owner is ObjKind.PROJECTION:  # a copy or a transposed projection reads another's
                owner = attribute_owner(self.ctx.module.projections[owner])
            arr = b.array(StateKey(k.owner, owner, node.name))
            raw = arr[0:1] if node.locality is Locality.GLOBAL else arr[self.self_index(node.locality)]
        else:
            pop, idx = self._neurons(node.scope)
            arr = b.array(StateKey(ObjKind.POPULATION, pop, node.name))
            raw = arr[0:1] if node.locality is Locality.GLOBAL else arr[idx]
            if node.scope is Scope.PRE and node.locality is not Locality.GLOBAL:
                return self._padded(convert(np.array(raw), node.type, self.real), node.type)
        return convert(np.array(raw), node.type, self.real)

    def _padded(self, values: np.ndarray, dtype: DType) -> np.ndarray:
        """Pre-synaptic values per synapse, with a stencil's padding value outside the population."""
        outside = self.conn.outside
        if outside is None or self.domain is not Domain.SYNAPSE:
            return values
        st = self.ctx.module.projections[self.ctx.kernel.owner_id].stencil
        if st is None or st.padding is not Padding.VALUE:
            return values
        fill = convert(np.array([st.value]), dtype, self.real)
        return np.where(outside, fill, values)

    def _input(self, node: Input) -> np.ndarray:
        pop, idx = self._neurons(node.scope)
        key = InputKey(pop, node.target)
        if not self.ctx.buffers.has(key):
            return np.zeros(1, dtype=self.real)
        arr = self.ctx.buffers.array(key)
        values = np.array(arr if idx is None else arr[idx])
        return self._padded(values, DType.REAL) if node.scope is Scope.PRE else values

    def _global_op(self, node: GlobalOpValue) -> np.ndarray:
        k = self.ctx.kernel
        if self.is_pop:
            pop = k.owner_id
        else:
            proj = self.ctx.module.projections[k.owner_id]
            pop = proj.pre if node.scope is Scope.PRE else proj.post
        key = GlobalOpKey(pop, node.op, node.var)
        if not self.ctx.buffers.has(key):
            return np.zeros(1, dtype=self.real)
        return np.array(self.ctx.buffers.array(key)[0:1])

    def _delayed(self, node: Delayed) -> np.ndarray:
        if self.domain is not Domain.SYNAPSE or node.var.scope is not Scope.PRE:
            raise InternalError("interp", "delayed reads are pre-synaptic and per synapse")
        b, pid = self.ctx.buffers, self.ctx.kernel.owner_id
        proj = self.ctx.module.projections[pid]
        size = self.ctx.module.populations[proj.pre].size
        if proj.delay is DelayKind.NONUNIFORM:
            d = b.array(ConnKey(pid, ConnField.DELAY))[self.conn.slots].astype(np.int64)
        else:
            d = np.int64(b.value(ConnKey(pid, ConnField.UNIFORM_DELAY)))
        length = b.value(PopKey(proj.pre, PopField.QUEUE_LEN))
        head = b.value(PopKey(proj.pre, PopField.QUEUE_HEAD))
        m = np.maximum(d, 1) - 1
        queue = b.array(QueueKey(proj.pre, node.var.name))
        _, pre = self._neurons(Scope.PRE)
        values = convert(queue[((head + m) % length) * size + pre], node.var.type, self.real)
        return self._padded(values, node.var.type)

    def _random(self, node: Random) -> np.ndarray:
        from nnc.ir import rng  # the NumPy reference of the counter-based generator

        args = tuple(to_real(eval_expr(a, self), self.real) for a in node.args)
        a, b = self.elems()
        return np.asarray(
            rng.draw(node.dist, args, self.ctx.seed, node.stream, a, b, self.ctx.step, self.real)
        )

    def _reduce(self, node: Reduce) -> np.ndarray:
        if self.domain is not Domain.DENDRITE:
            raise InternalError("interp", "reduce outside a dendrite loop")
        inner = self.child(Domain.SYNAPSE)
        values = np.broadcast_to(to_real(eval_expr(node.value, inner), self.real), (inner.n,))
        conn = self.conn
        st = self.ctx.module.projections[self.ctx.kernel.owner_id].stencil
        if st is None or st.padding is not Padding.SKIP or conn.outside is None:
            return reduce_rows(node.op, np.ascontiguousarray(values), conn.starts, conn.lengths)
        # positions outside the population take no part: the identity of the reduction in their place
        identity = {ReduceOp.MAX: -np.inf, ReduceOp.MIN: np.inf}.get(node.op, 0.0)
        kept = np.where(conn.outside, np.asarray(identity, dtype=self.real), values)
        out = reduce_rows(node.op, np.ascontiguousarray(kept), conn.starts, conn.lengths)
        if node.op in (ReduceOp.MAX, ReduceOp.MIN):  # no position inside: 0, as for an empty row
            inside = (
                np.add.reduceat((~conn.outside).astype(np.int64), conn.starts) if len(conn.starts) else []
            )
            out = np.where(np.asarray(inside) > 0, out, np.asarray(0.0, dtype=self.real))
        return out

    def _source_due(self) -> np.ndarray:
        """:class:`~nnc.ir.nodes.SourceDue` for every neuron of the loop."""
        b, pid = self.ctx.buffers, self.ctx.kernel.owner_id
        times = b.array(SourceKey(pid, SourceField.TIMES)).astype(np.int64)
        offsets = b.array(SourceKey(pid, SourceField.OFFSETS))[: self.n + 1].astype(np.int64)
        nxt = b.array(StateKey(ObjKind.POPULATION, pid, SOURCE_NEXT))[: self.n].astype(np.int64)
        tau = int(b.array(StateKey(ObjKind.POPULATION, pid, SOURCE_COUNTER))[0]) - 1
        left = nxt < offsets[1:] - offsets[:-1]
        at = np.where(left, offsets[:-1] + nxt, 0)
        return left & (times[at] == tau)

    def leaf(self, node: Expr) -> np.ndarray:  # noqa: C901 (one case per leaf kind)
        """Value of a leaf node at this level (the :class:`~nnc.ir.evaluate.Leaves` protocol)."""
        match node:
            case Var():
                return self._var(node)
            case Temp(name=n):
                return self.temps[n]
            case Time():
                return np.asarray(float(self.ctx.step) * self.ctx.module.dt).astype(self.real)
            case Dt():
                return np.asarray(self.ctx.dt).astype(self.real)
            case Delayed():
                return self._delayed(node)
            case SpikeTime(scope=scope):
                pop, idx = (self.ctx.kernel.owner_id, None) if scope is Scope.SELF else self._neurons(scope)
                last = self.ctx.buffers.array(StateKey(ObjKind.POPULATION, pop, LAST_SPIKE))
                raw = last[: self.n] if idx is None else last[idx]
                return (raw.astype(np.float64) * self.ctx.module.dt).astype(self.real)
            case StepCounter():
                return np.asarray(self.ctx.step, dtype=np.int32)
            case SourceDue():
                return self._source_due()
            case EventAge(lag=lag):
                last = self.ctx.buffers.array(
                    StateKey(self.ctx.kernel.owner, self.ctx.kernel.owner_id, LAST_EVENT)
                )
                age = (self.ctx.step - lag) - last[self.conn.slots].astype(np.int64)
                return age.astype(self.real)
            case Input():
                return self._input(node)
            case GlobalOpValue():
                return self._global_op(node)
            case Random():
                return self._random(node)
            case Reduce():
                return self._reduce(node)
        raise InternalError("interp", f"cannot evaluate {type(node).__name__} (is the module discretised?)")

    # -------------------------------------------------------------- nesting
    def child(self, domain: Domain) -> Level:
        """The level of a loop over ``domain`` nested in this one, seeing this level's temporaries."""
        k, m = self.ctx.kernel, self.ctx.module
        match domain:
            case Domain.NEURON:
                return Level(self.ctx, domain, dict(self.temps), m.populations[k.owner_id].size)
            case Domain.DENDRITE:
                return Level(self.ctx, domain, dict(self.temps), len(self.conn.post_rank))
        rows = self.conn.rows
        nd = len(self.conn.post_rank)
        temps = {
            name: v[rows] if np.ndim(v) == 1 and len(v) == nd and nd != 1 else v
            for name, v in self.temps.items()
        }
        return Level(self.ctx, domain, temps, len(rows))
