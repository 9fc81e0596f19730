"""Structural plasticity of a projection (API.md §7.4, §7.5; SEMANTICS.md §16).

Mixed into :class:`~nnc.api.projection.Projection`. With ``structural_plasticity=True`` (set
automatically at compile when a synapse defines ``creating`` or ``pruning``) every rate-coded projection
is stored in CSR (the reference forces LIL), and synapses can be added and removed after compile:

* by the synapse's rules, once ``start_creating(period)`` / ``start_pruning(period)`` is called: the
  network runs the native step loop up to each step where a rule is due and applies it there, before
  the next step (:mod:`nnc.runtime.structural`);
* by ``Dendrite.create_synapse(s)`` / ``prune_synapse(s)`` between runs.

An edit keeps every dendrite (a pruned one may be left empty), the values of the synapses that remain,
and gives new synapses their weight, their delay and the initial values of the other attributes. The
connectivity arrays, the per-synapse buffers, the delay queues, the spike index of spiking projections
and the monitors of the projection are all updated before the next kernel runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nnc.backend.abi import Count, StateKey
from nnc.descriptions.random import RandomDistribution
from nnc.diagnostics import ModelError, SimulationError
from nnc.ir.model import StructuralRule
from nnc.ir.nodes import Random, rewrite, walk
from nnc.ir.types import DelayKind, Locality, ObjKind
from nnc.runtime import structural

if TYPE_CHECKING:
    from nnc.runtime.connectivity import Connectivity

_NUMBER = (int, float, bool, np.number, np.bool_)


class StructuralPlasticity:
    """``start_creating`` / ``start_pruning`` and the edits of a compiled projection's synapses."""

    # ------------------------------------------------------------------ control (API.md §7.4)
    def _timing(self, rule: str) -> structural.RuleTiming:
        timings = self.__dict__.setdefault("_rule_timing", {})
        return timings.setdefault(rule, structural.RuleTiming())

    def _check_rule(self, rule: str, action: str) -> None:
        if not self._compiled:
            raise SimulationError(f"projection {self.name}: cannot {action} before compile()")
        if not self.network._config.structural_plasticity:
            raise SimulationError(
                f"projection {self.name}: structural plasticity is off; call "
                f"net.config(structural_plasticity=True) before compile() to {action}"
            )
        if getattr(self._model(), rule) is None:
            raise SimulationError(f"projection {self.name}: the synapse does not define a '{rule}' argument")

    def _start(self, rule: str, period: float | None) -> None:
        self._check_rule(rule, f"start {rule}")
        dt = self.network.dt
        steps = int((period if period else dt) / dt)
        if steps < 1:
            raise ModelError(f"projection {self.name}: the {rule} period must be at least dt ({dt} ms)")
        timing = self._timing(rule)
        timing.active, timing.period, timing.offset = True, steps, self.network.current_step

    def start_creating(self, period: float | None = None) -> None:
        """Apply the synapse's ``creating`` rule every ``period`` ms (default dt) from the current step."""
        self._start("creating", period)

    def stop_creating(self) -> None:
        """Stop applying the ``creating`` rule."""
        self._check_rule("creating", "stop creating")
        self._timing("creating").active = False

    def start_pruning(self, period: float | None = None) -> None:
        """Apply the synapse's ``pruning`` rule every ``period`` ms (default dt) from the current step."""
        self._start("pruning", period)

    def stop_pruning(self) -> None:
        """Stop applying the ``pruning`` rule."""
        self._check_rule("pruning", "stop pruning")
        self._timing("pruning").active = False

    def _next_rule_step(self, k: int) -> int | None:
        """The first step ``>= k`` at which a rule of this projection is due (None: none started)."""
        steps = [s for r in ("creating", "pruning") if (s := self._timing(r).next_due(k)) is not None]
        return min(steps) if steps else None

    def _rule(self, name: str) -> StructuralRule:
        """The rule ``name`` with its random draws on streams of this projection (SEMANTICS.md §15)."""
        from nnc.frontend.assemble import random_stream

        rule: StructuralRule = getattr(self._model(), name)

        def fn(e: object) -> object:
            if isinstance(e, Random):
                args = tuple(rewrite(a, fn) for a in e.args)
                return Random(e.dist, args, random_stream(ObjKind.PROJECTION, self.id, e.stream), e.span)
            return None

        return StructuralRule(rewrite(rule.condition, fn), rule.proba, rule.w, rule.d)

    def _apply_rule(self, name: str, k: int) -> None:
        """Apply rule ``name`` if it is due at step ``k`` (after the native loop ran step k)."""
        if not self._timing(name).due(k):
            return
        from nnc.frontend.assemble import random_stream

        rule, conn, buffers = self._rule(name), self._conn, self._buffers
        module, decl, seed = buffers.module, self._decl, self.network.seed
        draw = CREATING_STREAM if name == "creating" else PRUNING_STREAM
        stream = random_stream(ObjKind.PROJECTION, self.id, draw)
        if name == "creating":
            rows, pre = structural.creating_pairs(buffers, module, decl, rule, stream, conn, k, seed)
            if len(rows):
                w = self._rule_weight(rule)
                self._edit(add_rows=rows, add_pre=pre, add_w=np.full(len(rows), w),
                           add_delays=self._rule_delays(rule, len(rows)), retake=k)  # fmt: skip
            return
        mask = structural.pruning_mask(
            buffers, module, decl, rule, stream, conn, self._values.slots(), k, seed
        )
        if mask.any():
            self._edit(remove=mask, retake=k)

    def _rule_weight(self, rule: StructuralRule) -> float:
        w = rule.w
        if isinstance(w, str):
            w = self.network._constant_value(w)
        return float(w)  # type: ignore[arg-type]

    def _rule_delays(self, rule: StructuralRule, n: int) -> np.ndarray:
        """Delays in steps of synapses a creating rule adds: ``int(d/dt)``, the projection's by default."""
        steps = self._uniform_steps() if rule.d is None else int(float(rule.d) / self.network.dt)
        return np.full(n, steps, dtype=np.int64)

    def _uniform_steps(self) -> int:
        """The delay in steps every synapse of a uniform projection has (1 without delays)."""
        return max(1, self._conn.uniform_delay) if self._conn.uniform else 1

    def _check_rules(self) -> None:
        """At compile: the rules' draws leave the streams of the probability draws free, and a creating
        rule's ``d`` suits the projection (the reference's checks)."""
        model = self._model()
        for rule in (model.creating, model.pruning):
            draws = [] if rule is None else [n.stream for n in walk(rule.condition) if isinstance(n, Random)]
            if draws and max(draws) >= structural.CREATING_DRAW:
                raise ModelError(f"projection {self.name}: the synapse draws too many random numbers")
        rule = model.creating
        if rule is None or rule.d is None:
            return
        steps = int(float(rule.d) / self.network.dt)
        if self._decl.delay is DelayKind.NONUNIFORM:
            if steps > self._conn.max_delay:
                raise ModelError(
                    f"projection {self.name}: creating: d={rule.d} ms is longer than the longest delay of "
                    f"the projection ({self._conn.max_delay * self.network.dt} ms)"
                )
        elif max(1, steps) != self._uniform_steps():
            raise ModelError(
                f"projection {self.name}: creating: d={rule.d} ms differs from the projection's uniform "
                f"delay ({self._uniform_steps() * self.network.dt} ms); a uniform projection keeps one delay"
            )

    # ------------------------------------------------------------------ edits
    def _require_structural(self, what: str) -> None:
        if not self.network._config.structural_plasticity:
            raise SimulationError(
                f"{what}: structural plasticity is off; call net.config(structural_plasticity=True) "
                f"before compile()"
            )

    def _synapse_delays(self, delays_ms: np.ndarray) -> np.ndarray | None:
        """Steps (``int(d/dt)``, as the reference) of new synapses given in ms; checks uniform projections."""
        steps = (np.asarray(delays_ms, dtype=np.float64) / self.network.dt).astype(np.int64)
        if self._decl.delay is DelayKind.NONUNIFORM:
            return steps
        uniform = self._uniform_steps()
        bad = (np.maximum(steps, 1) != uniform) & (steps != 0)
        if np.any(bad):
            raise SimulationError(
                f"projection {self.name} has one delay for every synapse ({uniform * self.network.dt} ms): "
                f"a new synapse takes it (give delay=0 or {uniform * self.network.dt})"
            )
        return None

    def _new_values(self, n: int, rows: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
        """Values of ``n`` new synapses (dendrite indices ``rows``) for every local buffer of the projection:
        ``w``, then the initial value of each other attribute (a distribution gives one sample per synapse;
        a name, the value of that attribute; a per-synapse list given by the user, the model's value)."""
        values, decl = self._values, self._decl
        out: dict[str, np.ndarray] = {}
        step = self.network.current_step
        pending = [a for a in decl.attributes if a.locality is Locality.LOCAL]

        def value_of(attr_name: str, seen: tuple[str, ...] = ()) -> np.ndarray:
            if attr_name in out:
                return out[attr_name]
            attr = decl.attribute(attr_name)
            if attr_name == "w":
                result = np.asarray(w, dtype=np.float64)
            else:
                init = values.init.get(attr_name, attr.init) if attr_name in values.attrs else attr.init
                if not isinstance(init, (*_NUMBER, str, RandomDistribution)):
                    init = attr.init  # per-synapse values given before compile: the model's value
                result = self._initial(attr_name, init, n, rows, step, value_of, seen)
            out[attr_name] = np.asarray(result)
            return out[attr_name]

        for attr in pending:
            value_of(attr.name)
        return out

    def _initial(self, name, init, n, rows, step, value_of, seen) -> np.ndarray:
        if isinstance(init, RandomDistribution):
            net = self.network
            rng = init.rng or np.random.default_rng([net.seed, 5, self.id, step, *name.encode()])
            return np.asarray(init.get_values(n, rng=rng), dtype=np.float64)
        if isinstance(init, str):
            if init in seen:
                raise SimulationError(f"projection {self.name}: circular initial values for '{name}'")
            source = self._decl.attribute(init)
            if source is None:
                return np.full(n, float(self.network._constant_value(init)))
            if source.locality is Locality.LOCAL:
                return value_of(init, (*seen, name))
            current = self._values.flat(init)
            return current[rows] if source.locality is Locality.SEMIGLOBAL else np.full(n, current[0])
        return np.full(n, init)

    def _edit(
        self,
        remove: np.ndarray | None = None,
        add_rows: np.ndarray | None = None,
        add_pre: np.ndarray | None = None,
        add_w: np.ndarray | None = None,
        add_delays: np.ndarray | None = None,
        retake: int | None = None,
    ) -> None:
        """Remove and add synapses of the compiled projection (see the module docstring).

        ``retake``: the step whose recorded samples of this projection are taken again from the edited
        state (a rule applied after the native loop recorded step k with the old synapses).
        """
        old: Connectivity = self._conn
        rows = np.zeros(0, np.int64) if add_rows is None else np.asarray(add_rows, np.int64)
        delays = None
        if old.delays is not None:
            delays = np.ones(len(rows), np.int64) if add_delays is None else np.asarray(add_delays, np.int64)
        conn, source = old.edited(remove, rows, add_pre, delays)
        new = self._new_values(len(rows), rows, np.zeros(len(rows)) if add_w is None else add_w)
        buffers, values, pid = self._buffers, self._values, self.id
        for m in self.network._monitors:
            m._freeze(self, retake)
        fmt = values.fmt
        old_slots = old.slot_index(fmt)
        saved: dict[StateKey, tuple[Count, np.ndarray]] = {}
        for spec in buffers.layout.buffers:
            key = spec.key
            if isinstance(key, StateKey) and key.owner is ObjKind.PROJECTION and key.owner_id == pid:
                array = buffers.array(key)
                if spec.count is Count.SYNAPSES:
                    saved[key] = (spec.count, array[old_slots].copy())
                elif spec.count is Count.DENDRITES:
                    saved[key] = (spec.count, array[: old.n_dendrites].copy())
        if conn.delays is not None:
            self._ensure_queue(max(1, int(conn.max_delay)))
        conn.fill(buffers, pid, fmt, self._decl.holes)
        slots = conn.slot_index(fmt)
        is_new = source < 0
        for key, (count, before) in saved.items():
            array = buffers.array(key)
            if count is Count.DENDRITES:
                array[: len(before)] = before
                continue
            merged = np.zeros(conn.n_synapses, dtype=array.dtype)
            merged[~is_new] = before[source[~is_new]]
            if key.name in new:
                merged[is_new] = new[key.name].astype(array.dtype)
            array[slots] = merged
        self.__dict__["_conn"] = conn
        values.conn, values._slots = conn, None
        values.sync_mirrors()
        for m in self.network._monitors:
            m._rebind(self)


#: Occurrences of the projection's random streams used by the probability draws of the rules.
CREATING_STREAM = structural.CREATING_DRAW
PRUNING_STREAM = structural.PRUNING_DRAW
