"""TimedStep, the scheduler step of timed arrays (SEMANTICS.md §10): placement by assembly, printed form,
verifier rules, slots, and the interpreter against the specification's text and hand-written sequences."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ir.timedkit import State, buffers_for, counters, proba_module, r_of, spec_steps, states, timed_module

from nnc.api.timed_array import TIMED_NEURON
from nnc.backend.abi import SlotKind, StateKey, TimedField, TimedKey, layout_of
from nnc.backend.interp.engine import InterpEngine
from nnc.diagnostics import PassError
from nnc.frontend.assemble import PopulationSpec, assemble
from nnc.ir.model import Attribute, Kernel
from nnc.ir.nodes import Assign, ForEach, TimedStep, Var
from nnc.ir.printer import print_module
from nnc.ir.types import AttrKind, Domain, DType, Locality, NeuronKind, ObjKind, Phase, Precision
from nnc.ir.verify import verify
from nnc.passes.pipeline import default_pipeline, run_pipeline
from nnc.runtime.buffers import Buffers

ONE_HOT = np.eye(4) * np.arange(1, 5)[:, None]  # row i holds i + 1 at position i


def _run(state: State, steps: int) -> tuple[list[np.ndarray], int, int]:
    m = timed_module(state.size)
    b = buffers_for(m, state)
    engine = InterpEngine(m)
    out = []
    for _ in range(steps):
        assert engine.run(b, 1) == 1
        out.append(r_of(b))
    return (out, *counters(b))


def _rows(out: list[np.ndarray]) -> list[int]:
    """Index of the one-hot row each ``r`` shows (-1: zeros, -2: untouched, i.e. still -1 everywhere)."""
    return [int(np.argmax(r)) if r.max() > 0 else (-1 if r.max() == 0 else -2) for r in out]


# --------------------------------------------------------------------------------------------------
# assembly, printing, slots


def test_the_step_is_the_whole_neuron_kernel_and_survives_the_pipeline() -> None:
    m = run_pipeline(timed_module(3), default_pipeline())
    text = print_module(m)
    assert "population #0 ta rate geometry=(3,)\n  var r: real local = 0.0\n" in text
    assert text.endswith("kernel ta.update phase=neuron:\n  timed step r\n")
    (kernel,) = m.kernels
    assert kernel.body == (TimedStep(),)


def test_scheduler_slots_exist_for_timed_arrays_only() -> None:
    layout = layout_of(timed_module(5))
    for f in TimedField:
        kind = SlotKind.POINTER if f in (TimedField.RATES, TimedField.SCHEDULE) else SlotKind.VALUE
        assert layout.kinds[TimedKey(0, f)] is kind
    plain = replace(TIMED_NEURON, equations=(Assign(_r(), _r()),))
    other = assemble("plain", Precision.F64, 1.0, (PopulationSpec(0, "p", (5,), plain),))
    assert not any(isinstance(k, TimedKey) for k in layout_of(other).slots)


def test_a_fresh_scheduler_has_no_period_and_shows_nothing() -> None:
    m = timed_module(2)
    b = buffers_for(m, State(np.zeros((0, 2)), (), -1))
    fresh = Buffers(m, layout_of(m), {})
    assert fresh.value(TimedKey(0, TimedField.PERIOD)) == -1
    assert fresh.value(TimedKey(0, TimedField.N_SCHEDULE)) == 0
    InterpEngine(m).run(b, 3)
    np.testing.assert_array_equal(r_of(b)[:2], [-1.0, -1.0])  # nothing scheduled: r untouched
    assert counters(b) == (3, 0)


# --------------------------------------------------------------------------------------------------
# verifier


def _r() -> Var:
    return Var("r", DType.REAL, Locality.LOCAL)


def _with_body(body: tuple, phase: Phase = Phase.NEURON, model=TIMED_NEURON):
    m = assemble("t", Precision.F64, 1.0, (PopulationSpec(0, "ta", (2,), model),))
    return replace(m, kernels=(Kernel("ta.update", phase, ObjKind.POPULATION, 0, body),))


def test_verifier_accepts_the_assembled_step() -> None:
    verify(timed_module(2))


@pytest.mark.parametrize(
    ("body", "phase", "message"),
    [
        ((ForEach(Domain.NEURON, (TimedStep(),)),), Phase.NEURON, "outside the top level"),
        ((TimedStep(),), Phase.GLOBAL_OPS, "outside the top level"),
    ],
)
def test_verifier_rejects_misplaced_steps(body: tuple, phase: Phase, message: str) -> None:
    with pytest.raises(PassError, match=message):
        verify(_with_body(body, phase))


@pytest.mark.parametrize(
    "attribute",
    [
        Attribute("x", DType.REAL, Locality.LOCAL, AttrKind.VARIABLE),  # no r
        Attribute("r", DType.REAL, Locality.GLOBAL, AttrKind.VARIABLE),
        Attribute("r", DType.INT, Locality.LOCAL, AttrKind.VARIABLE),
        Attribute("r", DType.REAL, Locality.LOCAL, AttrKind.PARAMETER),
    ],
)
def test_verifier_needs_a_local_real_variable_r(attribute: Attribute) -> None:
    model = replace(TIMED_NEURON, attributes=(attribute,))
    with pytest.raises(PassError, match="local real variable r"):
        verify(_with_body((TimedStep(),), model=model))


def test_verifier_accepts_a_spiking_population() -> None:
    """TimedPoissonPopulation schedules its spiking neurons' rate ``proba`` with the same step."""
    model = replace(TIMED_NEURON, kind=NeuronKind.SPIKE)
    verify(_with_body((TimedStep(),), model=model))


# --------------------------------------------------------------------------------------------------
# interpreter: hand-written sequences


def test_list_schedule_with_period() -> None:
    """schedule [0, 3, 4, 8] steps, period 11: rows switch at τ = 0, 3, 4, 8 and τ restarts after 10."""
    out, tau, block = _run(State(ONE_HOT, (0, 3, 4, 8), 11), 24)
    #       τ: 0  1  2  3  4  5  6  7  8  9 10 | 0  1  2  3  4  5  6  7  8  9 10 | 0  1
    expected = [0, 0, 0, 1, 2, 2, 2, 2, 3, 3, 3, 0, 0, 0, 1, 2, 2, 2, 2, 3, 3, 3, 0, 0]
    assert _rows(out) == expected
    assert (tau, block) == (2, 1)


def test_without_period_the_last_row_stays_and_the_block_wraps() -> None:
    out, tau, block = _run(State(ONE_HOT[:3], (0, 1, 2), -1), 6)
    assert _rows(out) == [0, 1, 2, 2, 2, 2]
    assert (tau, block) == (6, 0)  # b wrapped to 0, but τ never meets schedule[0] = 0 again


def test_a_due_block_without_a_row_zeroes_r_and_waits() -> None:
    """The reference's 'not enough data' branch: r = 0, the block does not advance."""
    out, tau, block = _run(State(ONE_HOT[:1], (0, 2), -1), 4)
    assert _rows(out) == [0, 0, -1, -1]
    assert (tau, block) == (4, 1)


def test_a_block_past_the_schedule_is_never_due() -> None:
    out, tau, block = _run(State(ONE_HOT, (0, 1), 3, tau=0, block=2), 4)
    assert _rows(out) == [-2, -2, -2, 0]  # waits for the period (τ = 2) to restart at block 0
    assert (tau, block) == (1, 1)


def test_period_zero_never_wraps() -> None:
    """τ == period - 1 = -1 never holds: a period of 0 steps is no period."""
    out, _, _ = _run(State(ONE_HOT[:2], (0, 1), 0), 4)
    assert _rows(out) == [0, 1, 1, 1]


# --------------------------------------------------------------------------------------------------
# interpreter: the specification's text on drawn states


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 9).flatmap(states), st.integers(1, 30))
def test_interpreter_follows_the_specification(state: State, steps: int) -> None:
    got, tau, block = _run(state, steps)
    want, want_tau, want_block = spec_steps(state, steps)
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"step {k}")
    assert (tau, block) == (want_tau, want_block)


def test_the_step_may_fill_another_variable() -> None:
    """``TimedStep(var)`` copies into ``var`` (what a timed Poisson population's ``proba`` needs)."""
    m = proba_module(4)
    verify(m)
    assert "timed step proba" in print_module(m)
    b = buffers_for(m, State(ONE_HOT, (0, 1), -1))
    InterpEngine(m).run(b, 2)
    np.testing.assert_array_equal(b.array(StateKey(ObjKind.POPULATION, 0, "proba"))[:4], ONE_HOT[1])
    np.testing.assert_array_equal(r_of(b)[:4], -np.ones(4))  # r untouched
