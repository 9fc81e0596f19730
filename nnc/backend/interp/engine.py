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

* Gating (``Kernel`` docstring in :mod:`nnc.ir.model`): population kernels run iff the population is
  ENABLED; TRANSMIT kernels iff TRANSMISSION is set and the post population is enabled; SYNAPSE kernels
  iff TRANSMISSION and UPDATE are set, the post population is enabled and
  ``(k - LEARN_OFFSET) mod LEARN_PERIOD == 0``; there an ``Assign``/``Clamp`` of ``w`` runs only if
  PLASTICITY is set.
* ``t`` is ``double(k)·dt`` rounded to the model float type; ``dt`` is the module's ``dt`` rounded to
  the model float type, in SYNAPSE kernels ``double(LEARN_PERIOD)·dt`` rounded likewise.
* ``Delayed(x)`` reads slot ``m = d - 1`` of the pre population's queue of ``x``
  (``QueueKey[((head + m) mod len)·size + i]``, ``d`` the uniform delay or the synapse's own);
  ``PushDelayed`` moves ``head`` to ``(head - 1) mod len`` and stores the current values there.
* Connectivity (``ConnField`` in :mod:`nnc.backend.abi`; ``ProjectionDecl.format`` None means CSR):
  CSR rows are ``row_ptr[d] .. row_ptr[d+1]``; ELL rows start at ``d·row_stride`` and hold ``row_len[d]``
  synapses; DENSE rows hold ``row_stride`` synapses with pre ranks ``pre_offset + j``, less the column of
  their own post rank when ``ProjectionDecl.holes`` is ``SELF`` (position ``p`` of such a row with the
  hole at column ``h`` sits at column ``p + (p >= h)``).
* ``Reduce`` and ``ComputeGlobalOp`` use the fixed order of :mod:`nnc.ir.reductions`: lane
  ``l = position mod 8`` accumulates sequentially, lanes combine as
  ``((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))``, empty lanes give the identity, max/min of an empty row give
  0, mean divides the sum by the row length; a global operation reduces blocks of 1024 neurons as rows
  and combines the block results in block order. The LLVM backend implements the same order.
* ``Random`` calls :func:`nnc.ir.rng.draw` with ``elem_a`` = neuron rank (populations) or post rank
  (projections) and ``elem_b`` = pre rank for synapses, 0 otherwise (both 0 for global statements).
* ``AddInput`` adds the dendrite's value to ``sum(target)`` of its post neuron.
* Inside a neuron loop (fused work, :mod:`nnc.ir.nodes`): ``ClearInputs`` clears the loop's neurons,
  ``ForDendrite(J)`` runs J's dendrites of the loop's neurons (iff J's TRANSMISSION flag is set),
  ``ComputeGlobalOp`` reduces the values the statements before it left and stores the result when
  the loop ends, ``PushDelayed`` fills slot ``(head - 1) mod len`` and moves ``head`` when the loop ends.
* ``TimedStep`` runs the scheduler of a timed array as its docstring in :mod:`nnc.ir.nodes` says.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nnc.backend.abi import (
    ConnField,
    ConnKey,
    GlobalOpKey,
    InputKey,
    PopField,
    PopKey,
    QueueKey,
    RecordField,
    RuntimeField,
    RuntimeKey,
    StateKey,
    TimedField,
    TimedKey,
)
from nnc.backend.interp import spikes as interp_spikes
from nnc.backend.interp.level import Level, Rows, Step, projection_rows, rows_of
from nnc.diagnostics import CompileError, InternalError
from nnc.ir.evaluate import convert, eval_expr, to_real
from nnc.ir.model import Kernel, Module
from nnc.ir.nodes import (
    AddInput,
    Assign,
    Clamp,
    ClearInputs,
    ComputeGlobalOp,
    ForDendrite,
    ForEach,
    Let,
    Ode,
    PushDelayed,
    Spike,
    Stmt,
    TimedStep,
    Var,
    walk_stmts,
)
from nnc.ir.reductions import global_op
from nnc.ir.types import Domain, Locality, ObjKind, Phase, Scope
from nnc.runtime.buffers import Buffers

__all__ = ["InterpEngine", "Rows", "rows_of"]


# ------------------------------------------------------------------------------------------------
# statements


def _store(level: Level, target: Var, value: np.ndarray) -> None:
    """Write ``value`` (converted to the target's type) into the target's elements of this level."""
    ctx = level.ctx
    if target.name == "w" and not ctx.plastic:
        return
    value = convert(value, target.type, level.real)
    if target.scope is Scope.POST:  # a conductance of the post neurons (one per element: no duplicates)
        post = ctx.module.projections[ctx.kernel.owner_id].post
        arr = ctx.buffers.array(StateKey(ObjKind.POPULATION, post, target.name))
        idx = (
            level.conn.post_rank if level.domain is Domain.DENDRITE else level.conn.post_rank[level.conn.rows]
        )
        arr[idx] = np.broadcast_to(value, (level.n,)).astype(arr.dtype)
        return
    arr = ctx.buffers.array(StateKey(ctx.kernel.owner, ctx.kernel.owner_id, target.name))
    if target.locality is Locality.GLOBAL:
        if level.domain is not None:
            raise NotImplementedError(
                f"interp: global '{target.name}' assigned inside a {level.domain.value} loop"
            )
        arr[0] = np.reshape(value, -1)[-1]
        return
    idx = level.self_index(target.locality)
    arr[idx] = np.broadcast_to(value, (level.n,)).astype(arr.dtype)


def _clamp(level: Level, s: Clamp) -> None:
    """``if x < lo: x = lo``, then ``if x > hi: x = hi`` (each step converts to the target's type)."""
    for bound, below in ((s.lo, True), (s.hi, False)):
        if bound is None:
            continue
        x = to_real(level.leaf(s.target), level.real)
        b = to_real(eval_expr(bound, level), level.real)
        _store(level, s.target, np.where(x < b if below else x > b, b, x))


def _add_input(level: Level, s: AddInput) -> None:
    if level.domain is not Domain.DENDRITE:
        raise InternalError("interp", "AddInput outside a dendrite loop")
    post = level.ctx.module.projections[level.ctx.kernel.owner_id].post
    arr = level.ctx.buffers.array(InputKey(post, s.target))
    value = np.broadcast_to(to_real(eval_expr(s.value, level), level.real), (level.n,))
    np.add.at(arr, level.conn.post_rank, value)


def _compute_global_op(level: Level, s: ComputeGlobalOp) -> None:
    """Reduce now; store now at the top level, when the loop ends inside a neuron loop."""
    ctx = level.ctx
    pop = ctx.module.populations[ctx.kernel.owner_id]
    x = ctx.buffers.array(StateKey(ObjKind.POPULATION, pop.id, s.var))[: pop.size]
    out = ctx.buffers.array(GlobalOpKey(pop.id, s.op, s.var))
    value = global_op(s.op, to_real(x, level.real))[0]
    _at_end(level, lambda: out.__setitem__(0, value))


def _push_delayed(level: Level, s: PushDelayed) -> None:
    """Store the values in slot ``(head - 1) mod len``; move the head there now at the top level, when
    the loop ends inside a neuron loop."""
    b, pop = level.ctx.buffers, level.ctx.module.populations[level.ctx.kernel.owner_id]
    length = b.value(PopKey(pop.id, PopField.QUEUE_LEN))
    head = (b.value(PopKey(pop.id, PopField.QUEUE_HEAD)) - 1) % length
    for name in s.vars:
        x = b.array(StateKey(ObjKind.POPULATION, pop.id, name))
        n = 1 if pop.attribute(name).locality is Locality.GLOBAL else pop.size  # a global fills its slot
        b.array(QueueKey(pop.id, name))[head * pop.size : (head + 1) * pop.size] = x[:n]
    _at_end(level, lambda: b.set_value(PopKey(pop.id, PopField.QUEUE_HEAD), head))


def _at_end(level: Level, action: Callable[[], None]) -> None:
    """Run ``action`` now at a kernel's top level, after the loop inside a loop."""
    if level.domain is None:
        action()
    else:
        level.finish.append(action)


def _for_dendrite(level: Level, s: ForDendrite) -> None:
    """The fused dendrites of ``s.proj``: its TRANSMIT kernel's dendrite loop, gated by TRANSMISSION.

    Run for every neuron at once (one statement at a time, like every loop here): the fuse pass only
    fuses dendrites whose reads hold the same values before every neuron's update.
    """
    ctx = level.ctx
    if not ctx.buffers.value(ConnKey(s.proj, ConnField.TRANSMISSION)):
        return
    kernel = ctx.module.dendrite_kernel(s)
    sub = Step(ctx.module, ctx.buffers, kernel, ctx.step, ctx.seed, ctx.rows, ctx.module.dt, True)
    _exec(Level(sub, None, {}), kernel.body)


def _clear_inputs(level: Level, s: ClearInputs) -> None:
    b, pid = level.ctx.buffers, level.ctx.kernel.owner_id
    for t in s.targets:
        if b.has(InputKey(pid, t)):
            b.array(InputKey(pid, t))[:] = 0


def _timed_step(level: Level, s: TimedStep) -> None:
    """The scheduler step of a timed array (:class:`nnc.ir.nodes.TimedStep`)."""
    b, pid = level.ctx.buffers, level.ctx.kernel.owner_id
    if level.domain is not None:
        raise InternalError("interp", "TimedStep inside a loop")

    def get(f: TimedField) -> int:
        return b.value(TimedKey(pid, f))

    size = level.ctx.module.populations[pid].size
    tau, block, n = get(TimedField.COUNTER), get(TimedField.BLOCK), get(TimedField.N_SCHEDULE)
    r = b.array(StateKey(ObjKind.POPULATION, pid, s.var))
    if block < n and tau == int(b.array(TimedKey(pid, TimedField.SCHEDULE))[block]):
        if block < get(TimedField.N_ROWS):
            r[:size] = b.array(TimedKey(pid, TimedField.RATES))[block * size : (block + 1) * size]
            block = 0 if block + 1 == n else block + 1
        else:
            r[:size] = 0
    period = get(TimedField.PERIOD)
    if period >= 0 and tau == period - 1:
        block, tau = 0, -1
    b.set_value(TimedKey(pid, TimedField.BLOCK), block)
    b.set_value(TimedKey(pid, TimedField.COUNTER), tau + 1)


#: Statements that work on a whole population or projection row at once, by type.
_WHOLE: dict[type, Callable[[Level, Stmt], None]] = {
    Clamp: _clamp,  # type: ignore[dict-item]
    AddInput: _add_input,  # type: ignore[dict-item]
    ClearInputs: _clear_inputs,  # type: ignore[dict-item]
    ComputeGlobalOp: _compute_global_op,  # type: ignore[dict-item]
    PushDelayed: _push_delayed,  # type: ignore[dict-item]
    ForDendrite: _for_dendrite,  # type: ignore[dict-item]
    TimedStep: _timed_step,  # type: ignore[dict-item]
}


def _exec(level: Level, body: tuple[Stmt, ...]) -> None:
    for s in body:
        match s:
            case Assign(target=t, value=v):
                _store(level, t, eval_expr(v, level))
            case Let(name=n, value=v):
                level.temps[n] = eval_expr(v, level)
            case Spike():
                if level.domain is not Domain.NEURON:
                    raise InternalError("interp", "spike emission outside a neuron loop")
                interp_spikes.spike(level, s, _exec)
            case ForEach(domain=d) if d.is_event:
                interp_spikes.event_loop(level, s, _exec)
            case ForEach(domain=d, body=inner):
                child = level.child(d)
                _exec(child, inner)
                for action in child.finish:
                    action()
            case _ if type(s) in _WHOLE:
                _WHOLE[type(s)](level, s)
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
        if buffers.is_spike_record(row):
            interp_spikes.record_spikes(buffers, row)
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


def _gate(module: Module, b: Buffers, kernel: Kernel, k: int) -> tuple[float, bool] | None:
    """``(dt, plastic)`` for a kernel that runs at step ``k``, None for one that is skipped."""
    if kernel.owner is ObjKind.POPULATION:
        return (module.dt, True) if b.value(PopKey(kernel.owner_id, PopField.ENABLED)) else None
    pid = kernel.owner_id

    def flag(f: ConnField) -> int:
        return b.value(ConnKey(pid, f))

    post_on = b.value(PopKey(module.projections[pid].post, PopField.ENABLED))
    match kernel.phase:
        case Phase.TRANSMIT | Phase.POST_EVENTS:
            plastic = bool(flag(ConnField.PLASTICITY))
            return (module.dt, plastic) if flag(ConnField.TRANSMISSION) and post_on else None
        case Phase.SYNAPSE:
            period = max(1, flag(ConnField.LEARN_PERIOD))
            due = (k - flag(ConnField.LEARN_OFFSET)) % period == 0
            if not (flag(ConnField.TRANSMISSION) and flag(ConnField.UPDATE) and post_on and due):
                return None
            return float(period) * module.dt, bool(flag(ConnField.PLASTICITY))
    return module.dt, True


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
        rows = {p.id: projection_rows(buffers, self.module, p) for p in self.module.projections}
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
            ctx = _gate(self.module, buffers, kernel, k)
            if ctx is not None:
                _exec(Level(Step(self.module, buffers, kernel, k, seed, rows, *ctx), None, {}), kernel.body)
            elif any(isinstance(s, Spike) for s in walk_stmts(kernel.body)):  # a disabled population
                empty = np.zeros(0, dtype=np.int64)
                interp_spikes.push_spikes(buffers, self.module, kernel.owner_id, empty, empty)
        if not inputs_recorded:
            _run_records(buffers, Phase.RECORD_INPUTS.value, k)
        _run_records(buffers, Phase.RECORD.value, k)
        buffers.step = k + 1

    def close(self) -> None:
        """Nothing to release."""
