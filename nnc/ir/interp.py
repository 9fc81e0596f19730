"""NumPy reference interpreter of discretised modules: the oracle every backend is tested against.

:class:`InterpEngine` implements the :class:`~nnc.runtime.engine.Engine` protocol over
:class:`~nnc.runtime.buffers.Buffers`. One step (SEMANTICS.md §2) runs:

1. if the ``STOP`` slot is non-zero, stop (checked at the start of every step);
2. every kernel in module order (the module keeps them sorted by phase);
   the record-table rows of phase 3 run right after the ``TRANSMIT`` kernels (before the first kernel
   of a later phase), the rows of phase 11 after all kernels (see ``RecordField`` in
   :mod:`nnc.backend.abi`; the recording test is ``(k - ORIGIN) mod PERIOD == OFFSET`` with a
   non-negative modulo);
3. ``step += 1``.

Execution model: a ``ForEach`` body runs statement by statement on whole arrays (one entry per
element). Every statement of a neuron (dendrite, synapse) touches only that element, so this equals
running the body element by element. Global values are arrays of one entry and broadcast.

* ``t`` is ``double(k)·dt`` rounded to the model float type; ``dt`` is the module's ``dt`` (learning
  periods are not represented in the ABI yet, so synaptic kernels see the plain ``dt``).
* Connectivity (``ConnField`` in :mod:`nnc.backend.abi`; ``ProjectionDecl.format`` None means CSR):
  CSR rows are ``row_ptr[d] .. row_ptr[d+1]``; ELL rows start at ``d·row_stride`` and hold ``row_len[d]``
  synapses; DENSE rows hold ``row_stride`` synapses with pre ranks ``pre_offset + j``.
* ``Reduce`` and ``ComputeGlobalOp`` use the fixed order of :mod:`nnc.ir.interp_reduce`: lane
  ``l = position mod 8`` accumulates sequentially, lanes combine as
  ``((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))``, empty lanes give the identity, max/min of an empty row give
  0, mean divides the sum by the row length. The LLVM backend implements the same order.
* ``Random`` calls :func:`nnc.ir.rng.draw` with ``elem_a`` = neuron rank (populations) or post rank
  (projections) and ``elem_b`` = pre rank for synapses, 0 otherwise (both 0 for global statements).
* ``AddInput`` adds the dendrite's value to ``sum(target)`` of its post neuron.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnc.backend.abi import (
    ConnField,
    ConnKey,
    ConstantKey,
    GlobalOpKey,
    InputKey,
    RecordField,
    RuntimeField,
    RuntimeKey,
    StateKey,
    real_dtype,
)
from nnc.diagnostics import CompileError, InternalError
from nnc.ir.interp_eval import convert, eval_expr, to_real
from nnc.ir.interp_reduce import global_op, reduce_rows
from nnc.ir.model import Kernel, Module
from nnc.ir.nodes import (
    AddInput,
    Assign,
    Clamp,
    ClearInputs,
    ComputeGlobalOp,
    Dt,
    Expr,
    ForEach,
    GlobalOpValue,
    Input,
    Let,
    Ode,
    Random,
    Reduce,
    Stmt,
    Temp,
    Time,
    Var,
    walk_stmts,
)
from nnc.ir.types import Domain, Format, Locality, ObjKind, Phase, Scope
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


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    return np.concatenate([np.arange(s, s + n, dtype=np.int64) for s, n in zip(starts, lengths, strict=True)])


def rows_of(buffers: Buffers, pid: int, fmt: Format | None) -> Rows:
    """Flatten the connectivity of projection ``pid`` stored in ``fmt`` (None: CSR)."""
    nd = buffers.value(ConnKey(pid, ConnField.N_DENDRITES))
    post = buffers.array(ConnKey(pid, ConnField.POST_RANK))[:nd].astype(np.int64)
    match fmt or Format.CSR:
        case Format.CSR:
            ptr = buffers.array(ConnKey(pid, ConnField.ROW_PTR))[: nd + 1].astype(np.int64)
            first, lengths = ptr[:-1], np.diff(ptr)
        case Format.ELL:
            stride = buffers.value(ConnKey(pid, ConnField.ROW_STRIDE))
            lengths = buffers.array(ConnKey(pid, ConnField.ROW_LEN))[:nd].astype(np.int64)
            first = np.arange(nd, dtype=np.int64) * stride
        case Format.DENSE:
            stride = buffers.value(ConnKey(pid, ConnField.ROW_STRIDE))
            lengths = np.full(nd, stride, dtype=np.int64)
            first = np.arange(nd, dtype=np.int64) * stride
    slots = _ranges(first, lengths)
    rows = np.repeat(np.arange(nd, dtype=np.int64), lengths)
    if fmt is Format.DENSE:
        offset = buffers.value(ConnKey(pid, ConnField.PRE_OFFSET))
        pre = offset + (slots - first[rows]) if len(slots) else slots
    else:
        pre = buffers.array(ConnKey(pid, ConnField.PRE_RANK))[slots].astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if nd else lengths
    return Rows(post, lengths, slots, rows, pre, starts)


@dataclass(slots=True)
class _Step:
    """What every level of one kernel execution shares."""

    module: Module
    buffers: Buffers
    kernel: Kernel
    step: int
    seed: int
    rows: dict[int, Rows]
    real: np.dtype = field(init=False)

    def __post_init__(self) -> None:
        self.real = real_dtype(self.module.precision)


@dataclass(slots=True)
class _Level:
    """One loop level of a kernel (``domain`` None: the global statements)."""

    ctx: _Step
    domain: Domain | None
    temps: dict[str, np.ndarray]
    n: int = 1

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
                return proj.pre, self.conn.pre
        raise InternalError("interp", f"{scope.value} neuron values are not available at {self.domain}")

    def _self_index(self, locality: Locality) -> np.ndarray | slice:
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
            arr = b.array(StateKey(k.owner, k.owner_id, node.name))
            raw = arr[0:1] if node.locality is Locality.GLOBAL else arr[self._self_index(node.locality)]
        else:
            pop, idx = self._neurons(node.scope)
            arr = b.array(StateKey(ObjKind.POPULATION, pop, node.name))
            raw = arr[0:1] if node.locality is Locality.GLOBAL else arr[idx]
        return convert(np.array(raw), node.type, self.real)

    def _input(self, node: Input) -> np.ndarray:
        pop, idx = self._neurons(node.scope)
        key = InputKey(pop, node.target)
        if not self.ctx.buffers.has(key):
            return np.zeros(1, dtype=self.real)
        arr = self.ctx.buffers.array(key)
        return np.array(arr if idx is None else arr[idx])

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

    def _random(self, node: Random) -> np.ndarray:
        try:
            from nnc.ir import rng  # the NumPy reference of the counter-based generator
        except ImportError as e:
            raise NotImplementedError(
                "random draws in equations need nnc.ir.rng (the reference generator), which is missing"
            ) from e
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
        return reduce_rows(node.op, np.ascontiguousarray(values), conn.starts, conn.lengths)

    def leaf(self, node: Expr) -> np.ndarray:
        """Value of a leaf node at this level (the :class:`~nnc.ir.interp_eval.Leaves` protocol)."""
        match node:
            case Var():
                return self._var(node)
            case Temp(name=n):
                return self.temps[n]
            case Time():
                return np.asarray(float(self.ctx.step) * self.ctx.module.dt).astype(self.real)
            case Dt():
                return np.asarray(self.ctx.module.dt).astype(self.real)
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
    def child(self, domain: Domain) -> _Level:
        """The level of a loop over ``domain`` nested in this one, seeing this level's temporaries."""
        k, m = self.ctx.kernel, self.ctx.module
        match domain:
            case Domain.NEURON:
                return _Level(self.ctx, domain, dict(self.temps), m.populations[k.owner_id].size)
            case Domain.DENDRITE:
                return _Level(self.ctx, domain, dict(self.temps), len(self.conn.post_rank))
        rows = self.conn.rows
        nd = len(self.conn.post_rank)
        temps = {
            name: v[rows] if np.ndim(v) == 1 and len(v) == nd and nd != 1 else v
            for name, v in self.temps.items()
        }
        return _Level(self.ctx, domain, temps, len(rows))


# ------------------------------------------------------------------------------------------------
# statements


def _store(level: _Level, target: Var, value: np.ndarray) -> None:
    """Write ``value`` (converted to the target's type) into the target's elements of this level."""
    ctx = level.ctx
    arr = ctx.buffers.array(StateKey(ctx.kernel.owner, ctx.kernel.owner_id, target.name))
    value = convert(value, target.type, level.real)
    if target.locality is Locality.GLOBAL:
        if level.domain is not None:
            raise NotImplementedError(
                f"interp: global '{target.name}' assigned inside a {level.domain.value} loop"
            )
        arr[0] = np.reshape(value, -1)[-1]
        return
    idx = level._self_index(target.locality)
    arr[idx] = np.broadcast_to(value, (level.n,)).astype(arr.dtype)


def _clamp(level: _Level, s: Clamp) -> None:
    """``if x < lo: x = lo``, then ``if x > hi: x = hi`` (each step converts to the target's type)."""
    for bound, below in ((s.lo, True), (s.hi, False)):
        if bound is None:
            continue
        x = to_real(level.leaf(s.target), level.real)
        b = to_real(eval_expr(bound, level), level.real)
        _store(level, s.target, np.where(x < b if below else x > b, b, x))


def _add_input(level: _Level, s: AddInput) -> None:
    if level.domain is not Domain.DENDRITE:
        raise InternalError("interp", "AddInput outside a dendrite loop")
    post = level.ctx.module.projections[level.ctx.kernel.owner_id].post
    arr = level.ctx.buffers.array(InputKey(post, s.target))
    value = np.broadcast_to(to_real(eval_expr(s.value, level), level.real), (level.n,))
    np.add.at(arr, level.conn.post_rank, value)


def _compute_global_op(level: _Level, s: ComputeGlobalOp) -> None:
    ctx = level.ctx
    pop = ctx.module.populations[ctx.kernel.owner_id]
    x = ctx.buffers.array(StateKey(ObjKind.POPULATION, pop.id, s.var))[: pop.size]
    out = ctx.buffers.array(GlobalOpKey(pop.id, s.op, s.var))
    out[0] = global_op(s.op, to_real(x, level.real))[0]


def _clear_inputs(level: _Level, s: ClearInputs) -> None:
    b, pid = level.ctx.buffers, level.ctx.kernel.owner_id
    for t in s.targets:
        if b.has(InputKey(pid, t)):
            b.array(InputKey(pid, t))[:] = 0


def _exec(level: _Level, body: tuple[Stmt, ...]) -> None:
    for s in body:
        match s:
            case Assign(target=t, value=v):
                _store(level, t, eval_expr(v, level))
            case Let(name=n, value=v):
                level.temps[n] = eval_expr(v, level)
            case Clamp():
                _clamp(level, s)
            case AddInput():
                _add_input(level, s)
            case ClearInputs():
                _clear_inputs(level, s)
            case ComputeGlobalOp():
                _compute_global_op(level, s)
            case ForEach(domain=d, body=inner):
                _exec(level.child(d), inner)
            case _:
                raise InternalError("interp", f"cannot execute {type(s).__name__}")


# ------------------------------------------------------------------------------------------------
# the engine


def _run_records(buffers: Buffers, phase: int, step: int) -> None:
    """Copy the sources of the record-table rows of ``phase`` that are due at ``step``."""
    table = buffers.records
    f = {name: field.value for name, field in RecordField.__members__.items()}
    for row in range(len(table)):
        r = table[row]
        if r[f["PHASE"]] != phase or not r[f["ACTIVE"]]:
            continue
        if (step - r[f["ORIGIN"]]) % max(1, r[f["PERIOD"]]) != r[f["OFFSET"]]:
            continue
        count, n = int(r[f["COUNT"]]), int(r[f["N"]])
        if count >= r[f["CAPACITY"]]:
            continue
        src, idx = buffers.record_source(row)
        dst = buffers.record_destination(row)
        dst[count * n : (count + 1) * n] = src[idx] if idx is not None else src[:n]
        table[row, f["COUNT"]] = count + 1


class InterpEngine:
    """Runs a discretised module step by step with NumPy (the reference semantics of the IR)."""

    name = "interp"

    def __init__(self, module: Module):
        for k in module.kernels:
            if any(isinstance(s, Ode) for s in walk_stmts(k.body)):
                raise CompileError(f"kernel {k.name} still holds ODEs: run the discretise pass first")
        self.module = module

    def run(self, buffers: Buffers, nsteps: int) -> int:
        """Advance by up to ``nsteps`` steps; return the number of steps done."""
        rows = {p.id: rows_of(buffers, p.id, p.format) for p in self.module.projections}
        done = 0
        with np.errstate(all="ignore"):
            for _ in range(nsteps):
                if buffers.value(RuntimeKey(RuntimeField.STOP)) != 0:
                    break
                self._step(buffers, rows)
                done += 1
        return done

    def _step(self, buffers: Buffers, rows: dict[int, Rows]) -> None:
        k = buffers.step
        seed = buffers.value(RuntimeKey(RuntimeField.SEED))
        inputs_recorded = False
        for kernel in self.module.kernels:
            if not inputs_recorded and kernel.phase.value > Phase.TRANSMIT.value:
                _run_records(buffers, Phase.RECORD_INPUTS.value, k)
                inputs_recorded = True
            ctx = _Step(self.module, buffers, kernel, k, seed, rows)
            _exec(_Level(ctx, None, {}), kernel.body)
        if not inputs_recorded:
            _run_records(buffers, Phase.RECORD_INPUTS.value, k)
        _run_records(buffers, Phase.RECORD.value, k)
        buffers.step = k + 1

    def close(self) -> None:
        """Nothing to release."""
