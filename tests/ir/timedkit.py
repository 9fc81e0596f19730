"""Test kit for the scheduler step of timed arrays: a one-population module, its buffers in a given
scheduler state, and the step written out from the text of SEMANTICS.md §10 (the oracle of the engines).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from hypothesis import strategies as st

from nnc.api.timed_array import TIMED_NEURON
from nnc.backend.abi import StateKey, TimedField, TimedKey, layout_of, real_dtype
from nnc.frontend.assemble import PopulationSpec, assemble
from nnc.ir.model import Attribute, Module
from nnc.ir.nodes import TimedStep
from nnc.ir.types import AttrKind, DType, Locality, ObjKind, Precision
from nnc.runtime.buffers import Buffers


def timed_module(size: int, precision: Precision = Precision.F64) -> Module:
    """One timed array ``ta`` of ``size`` neurons."""
    return assemble("timed", precision, 1.0, (PopulationSpec(0, "ta", (size,), TIMED_NEURON),))


def proba_module(size: int) -> Module:
    """One population ``tp`` whose scheduler step fills ``proba`` (it also has ``r``, left alone)."""
    proba = Attribute("proba", DType.REAL, Locality.LOCAL, AttrKind.VARIABLE)
    attributes = (proba, *TIMED_NEURON.attributes)
    model = replace(TIMED_NEURON, attributes=attributes, equations=(TimedStep("proba"),))
    return assemble("t", Precision.F64, 1.0, (PopulationSpec(0, "tp", (size,), model),))


@dataclass(frozen=True)
class State:
    """A scheduler state: rows (``n_rows x size``), schedule (steps), period (steps), counters, ``r``."""

    rates: np.ndarray
    schedule: tuple[int, ...]
    period: int
    tau: int = 0
    block: int = 0
    r: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Neurons."""
        return self.rates.shape[1]


def install(b: Buffers, pid: int, state: State) -> None:
    """Put ``state`` into the scheduler of timed array ``pid`` (``r`` too, when the state gives it)."""
    rates = b.reallocate(TimedKey(pid, TimedField.RATES), state.rates.size)
    rates[:] = state.rates.reshape(-1)
    b.reallocate(TimedKey(pid, TimedField.SCHEDULE), len(state.schedule))[:] = state.schedule
    values = {
        TimedField.N_ROWS: len(state.rates),
        TimedField.N_SCHEDULE: len(state.schedule),
        TimedField.PERIOD: state.period,
        TimedField.COUNTER: state.tau,
        TimedField.BLOCK: state.block,
    }
    for f, value in values.items():
        b.set_value(TimedKey(pid, f), value)
    if state.r is not None:
        b.array(StateKey(ObjKind.POPULATION, pid, "r"))[: state.size] = state.r


def buffers_for(module: Module, state: State, layout: object = None) -> Buffers:
    """Buffers of ``module`` holding ``state`` (``r`` defaults to -1 everywhere: never a row value)."""
    b = Buffers(module, layout or layout_of(module), {})
    b.array(StateKey(ObjKind.POPULATION, 0, "r"))[:] = -1.0
    install(b, 0, state)
    return b


def r_of(b: Buffers) -> np.ndarray:
    """A copy of ``r``."""
    return b.array(StateKey(ObjKind.POPULATION, 0, "r")).copy()


def counters(b: Buffers) -> tuple[int, int]:
    """``(τ, b)``."""
    return b.value(TimedKey(0, TimedField.COUNTER)), b.value(TimedKey(0, TimedField.BLOCK))


def spec_steps(
    state: State, steps: int, precision: Precision = Precision.F64
) -> tuple[list[np.ndarray], int, int]:
    """``r`` after each of ``steps`` steps and the final ``(τ, b)``, following SEMANTICS.md §10 word by
    word: "if τ == schedule[b]: r = rates[b], b ← b+1, and b ← 0 when b == len(schedule). Then if
    period ≥ 0 and τ == period - 1: b ← 0, τ ← -1. Then τ ← τ+1." A block past the schedule is never due;
    a due block without a row sets r = 0 and stays (the reference's "not enough data" branch)."""
    real = real_dtype(precision)
    tau, block = state.tau, state.block
    r = np.full(state.size, -1.0, dtype=real) if state.r is None else np.asarray(state.r, dtype=real)
    out = []
    for _ in range(steps):
        if block < len(state.schedule) and tau == state.schedule[block]:
            if block < len(state.rates):
                r = state.rates[block].astype(real)
                block += 1
                if block == len(state.schedule):
                    block = 0
            else:
                r = np.zeros(state.size, dtype=real)
        if state.period >= 0 and tau == state.period - 1:
            block, tau = 0, -1
        tau += 1
        out.append(r.copy())
    return out, tau, block


@st.composite
def states(draw, size: int) -> State:
    """Scheduler states: 0-5 rows, 1-6 schedule entries in any order (repeats and unreachable times
    too), periods from none to 14 steps, counters anywhere (blocks past the schedule included)."""
    n_rows = draw(st.integers(0, 5))
    rates = np.arange(n_rows * size, dtype=np.float64).reshape(n_rows, size) / 8.0 + 1.0
    schedule = tuple(draw(st.lists(st.integers(0, 14), min_size=1, max_size=6)))
    period = draw(st.sampled_from([-1, -3, 0, 1, 2, 5, 9, 14]))
    tau = draw(st.integers(0, 16))
    block = draw(st.integers(0, len(schedule)))
    return State(rates, schedule, period, tau, block)
