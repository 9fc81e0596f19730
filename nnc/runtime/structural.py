"""Structural plasticity on the host: the creating / pruning rules of a projection and the edit of its
connectivity between two steps (SEMANTICS.md §16).

A rule is due at step k when ``(k - offset) mod period == 0`` (``start_creating(period)`` sets the period
in steps and the offset to the step of the call). The runtime runs the native step loop up to and
including step k, then applies the due rules here, before any kernel of step k + 1 runs:

* **creating**, for every dendrite i (existing post neurons only, as the reference's loop over
  ``post_rank``) and every rank q of the pre-synaptic *population* (views included): if the condition
  holds with ``pre.x`` of q, ``post.x`` of i and the synapse's global parameters, no synapse q -> i
  exists, and the probability draw succeeds, the synapse is added;
* **pruning**, for every existing synapse: if the condition holds (synaptic attributes allowed) and the
  draw succeeds, the synapse is removed (its dendrite stays, possibly empty).

Values are those after step k (phases 5-9 are done, nothing else changes them before phase 10), ``t`` is
``k·dt``. A draw of ``Uniform(0, 1) < proba`` (and any random distribution of the condition) comes from
the counter-based generator of :mod:`nnc.ir.rng` with element (post rank, pre rank) and step k, under a
stream of its own: the result does not depend on the engine, the thread count or the order of the
evaluation. The condition is evaluated with the IR's NumPy semantics (:mod:`nnc.ir.evaluate`), which the
generated code reproduces bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnc.backend.abi import (
    ConstantKey,
    GlobalOpKey,
    InputKey,
    StateKey,
    real_dtype,
)
from nnc.diagnostics import ModelError
from nnc.ir.evaluate import convert, eval_expr, to_bool, to_real
from nnc.ir.model import LAST_SPIKE, Module, ProjectionDecl, StructuralRule
from nnc.ir.nodes import (
    Dist,
    Dt,
    Expr,
    GlobalOpValue,
    Input,
    Random,
    SpikeTime,
    Step,
    Time,
    Var,
)
from nnc.ir.reductions import global_op
from nnc.ir.types import Locality, ObjKind, Scope
from nnc.runtime.buffers import Buffers

#: Random occurrences reserved for the probability draws of the rules (``random_stream`` occurrences of
#: the projection; the synapse's own distributions are numbered from 0).
CREATING_DRAW = 0xFE
PRUNING_DRAW = 0xFF

#: Candidate pairs evaluated at once by a creating rule (bounds the memory of a large projection).
CHUNK = 1 << 20


@dataclass(slots=True)
class RuleTiming:
    """When a rule runs: started or not, every ``period`` steps from step ``offset``."""

    active: bool = False
    period: int = 1
    offset: int = 0

    def due(self, k: int) -> bool:
        """Whether the rule runs at step ``k``."""
        return self.active and (k - self.offset) % self.period == 0

    def next_due(self, k: int) -> int | None:
        """The first step ``>= k`` at which the rule runs (None when it is stopped)."""
        if not self.active:
            return None
        return k + (self.offset - k) % self.period


class _Leaves:
    """Leaf values of a rule's condition over a batch of (dendrite, pre rank) pairs.

    ``post`` and ``pre`` are the post and pre ranks of each pair, ``rows`` the dendrite index and
    ``slots`` the slot of each existing synapse (pruning) or None (creating).
    """

    def __init__(
        self,
        buffers: Buffers,
        module: Module,
        decl: ProjectionDecl,
        step: int,
        seed: int,
        post: np.ndarray,
        pre: np.ndarray,
        rows: np.ndarray,
        slots: np.ndarray | None,
    ):
        self.buffers, self.module, self.decl = buffers, module, decl
        self.real = real_dtype(module.precision)
        self.step, self.seed = step, seed
        self.post, self.pre, self.rows, self.slots = post, pre, rows, slots

    def _owner(self, scope: Scope) -> tuple[int, np.ndarray]:
        return (self.decl.pre, self.pre) if scope is Scope.PRE else (self.decl.post, self.post)

    def _var(self, node: Var) -> np.ndarray:
        b = self.buffers
        match node.scope:
            case Scope.NETWORK:
                raw = b.array(ConstantKey(node.name))[0]
            case Scope.PRE | Scope.POST:
                pop, idx = self._owner(node.scope)
                buf = b.array(StateKey(ObjKind.POPULATION, pop, node.name))
                raw = buf[0] if node.locality is Locality.GLOBAL else buf[idx]
            case _:
                buf = b.array(StateKey(ObjKind.PROJECTION, self.decl.id, node.name))
                match node.locality:
                    case Locality.GLOBAL:
                        raw = buf[0]
                    case Locality.SEMIGLOBAL:
                        raw = buf[self.rows]
                    case _:
                        if self.slots is None:
                            raise ModelError(
                                f"projection {self.decl.name}: a creating condition cannot read the "
                                f"synaptic attribute {node.name}"
                            )
                        raw = buf[self.slots]
        return convert(np.asarray(raw), node.type, self.real)

    def leaf(self, node: Expr) -> np.ndarray:
        """Value of a leaf (the :class:`~nnc.ir.evaluate.Leaves` protocol)."""
        match node:
            case Var():
                return self._var(node)
            case Time():
                return np.asarray(float(self.step) * self.module.dt).astype(self.real)
            case Dt():
                return np.asarray(self.module.dt).astype(self.real)
            case Step():
                return np.asarray(self.step, dtype=np.int32)
            case Input(target=t, scope=scope):
                pop, idx = self._owner(scope)
                key = InputKey(pop, t)
                if not self.buffers.has(key):
                    return np.zeros(len(idx), dtype=self.real)
                return self.buffers.array(key)[idx].astype(self.real)
            case GlobalOpValue(op=op, var=var, scope=scope):
                pop, _ = self._owner(scope)
                key = GlobalOpKey(pop, op, var)
                if self.buffers.has(key):
                    return np.asarray(self.buffers.array(key)[0]).astype(self.real)
                size = self.module.populations[pop].size
                values = self.buffers.array(StateKey(ObjKind.POPULATION, pop, var))[:size]
                return np.asarray(global_op(op, to_real(values, self.real))).astype(self.real)
            case SpikeTime(scope=scope):
                pop, idx = self._owner(scope)
                last = self.buffers.array(StateKey(ObjKind.POPULATION, pop, LAST_SPIKE))[idx]
                return (last.astype(np.float64) * self.module.dt).astype(self.real)
            case Random():
                return self._draw(node.dist, node.args, node.stream)
        raise ModelError(
            f"projection {self.decl.name}: {type(node).__name__} cannot be used in a structural condition"
        )

    def _draw(self, dist: Dist, args: tuple[Expr, ...], stream: int) -> np.ndarray:
        from nnc.ir import rng

        values = tuple(to_real(eval_expr(a, self), self.real) for a in args)
        return np.asarray(
            rng.draw(dist, values, self.seed, stream, self.post, self.pre, self.step, self.real)
        )

    def holds(self, rule: StructuralRule, stream: int) -> np.ndarray:
        """Where the condition holds and the probability draw (``Uniform(0, 1) < proba``) succeeds."""
        from nnc.ir.nodes import Const

        with np.errstate(all="ignore"):
            ok = np.broadcast_to(to_bool(eval_expr(rule.condition, self)), self.post.shape)
            if rule.proba < 1.0:
                u = self._draw(Dist.UNIFORM, (Const(0.0), Const(1.0)), stream)
                ok = ok & (u < np.asarray(rule.proba).astype(self.real))
        return np.asarray(ok, dtype=bool)


def creating_pairs(
    buffers: Buffers,
    module: Module,
    decl: ProjectionDecl,
    rule: StructuralRule,
    stream: int,
    conn: object,
    step: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``(dendrite indices, pre ranks)`` of the synapses a creating rule adds at ``step``, in list order."""
    n_pre = module.populations[decl.pre].size
    nd = conn.n_dendrites  # type: ignore[attr-defined]
    post_ranks = conn.post_ranks.astype(np.int64)  # type: ignore[attr-defined]
    existing = np.zeros(0, dtype=np.int64)
    if conn.n_synapses:  # type: ignore[attr-defined]
        rows = np.repeat(np.arange(nd, dtype=np.int64), conn.row_lengths)  # type: ignore[attr-defined]
        existing = rows * n_pre + conn.pre_ranks.astype(np.int64)  # type: ignore[attr-defined]
    found_rows, found_pre = [], []
    per_chunk = max(1, CHUNK // max(n_pre, 1))
    for first in range(0, nd, per_chunk):
        rows = np.repeat(np.arange(first, min(nd, first + per_chunk), dtype=np.int64), n_pre)
        pre = np.tile(np.arange(n_pre, dtype=np.int64), len(rows) // max(n_pre, 1))
        free = ~np.isin(rows * n_pre + pre, existing, assume_unique=True)
        rows, pre = rows[free], pre[free]
        if not len(rows):
            continue
        leaves = _Leaves(buffers, module, decl, step, seed, post_ranks[rows], pre, rows, None)
        ok = leaves.holds(rule, stream)
        found_rows.append(rows[ok])
        found_pre.append(pre[ok])
    if not found_rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(found_rows), np.concatenate(found_pre)


def pruning_mask(
    buffers: Buffers,
    module: Module,
    decl: ProjectionDecl,
    rule: StructuralRule,
    stream: int,
    conn: object,
    slots: np.ndarray,
    step: int,
    seed: int,
) -> np.ndarray:
    """One bool per synapse (list order): whether a pruning rule removes it at ``step``."""
    if not conn.n_synapses:  # type: ignore[attr-defined]
        return np.zeros(0, dtype=bool)
    rows = np.repeat(np.arange(conn.n_dendrites, dtype=np.int64), conn.row_lengths)  # type: ignore[attr-defined]
    post = conn.post_ranks.astype(np.int64)[rows]  # type: ignore[attr-defined]
    pre = conn.pre_ranks.astype(np.int64)  # type: ignore[attr-defined]
    leaves = _Leaves(buffers, module, decl, step, seed, post, pre, rows, np.asarray(slots, dtype=np.int64))
    return leaves.holds(rule, stream)
