"""LLVM lowering of TimedStep: the same rows and counters as the interpreter (and so as SEMANTICS.md §10)
on drawn scheduler states, for any thread count, in both precisions; the row copy becomes a memcpy."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ir.timedkit import State, buffers_for, counters, proba_module, r_of, spec_steps, states, timed_module
from netkit import compile_module

from nnc.backend.abi import StateKey
from nnc.backend.interp.engine import InterpEngine
from nnc.backend.llvm.engine import LlvmEngine
from nnc.ir.types import ObjKind, Precision

SIZES = (1, 13, 70)  # partitions with empty, partial and several chunks per thread


@functools.cache
def _engine(size: int, precision: Precision) -> LlvmEngine:
    return compile_module(timed_module(size, precision))


def _steps(engine: LlvmEngine | InterpEngine, state: State, steps: int) -> tuple[list[np.ndarray], int, int]:
    b = buffers_for(engine.module, state)
    out = []
    for _ in range(steps):
        assert engine.run(b, 1) == 1
        out.append(r_of(b))
    return (out, *counters(b))


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(SIZES).flatmap(states),
    st.integers(1, 25),
    st.integers(1, 3),
    st.sampled_from([Precision.F64, Precision.F32]),
)
def test_llvm_equals_interpreter_and_specification(
    state: State, steps: int, threads: int, precision: Precision
) -> None:
    engine = _engine(state.size, precision)
    engine.num_threads = threads
    got, tau, block = _steps(engine, state, steps)
    want, want_tau, want_block = _steps(InterpEngine(engine.module), state, steps)
    spec, spec_tau, spec_block = spec_steps(state, steps, precision)
    for k in range(steps):
        np.testing.assert_array_equal(got[k], want[k], err_msg=f"step {k}")
        np.testing.assert_array_equal(got[k], spec[k], err_msg=f"step {k}")
    assert (tau, block) == (want_tau, want_block) == (spec_tau, spec_block)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_one_run_of_many_steps(threads: int) -> None:
    """Steps inside one native call (no return to Python between them) cycle through the period."""
    rates = np.arange(4 * 70, dtype=np.float64).reshape(4, 70)
    state = State(rates, (0, 2, 3, 7), 9, tau=5, block=2)
    engine = _engine(70, Precision.F64)
    engine.num_threads = threads
    b = buffers_for(engine.module, state)
    assert engine.run(b, 40) == 40
    spec, tau, block = spec_steps(state, 40)
    np.testing.assert_array_equal(r_of(b), spec[-1])
    assert counters(b) == (tau, block)


def test_the_row_copy_is_a_memcpy_and_the_missing_row_a_memset() -> None:
    """Buffers are noalias arguments, so LLVM recognises both neuron loops as block operations."""
    text = _engine(70, Precision.F64).optimised_ir()
    assert "@llvm.memcpy" in text
    assert "@llvm.memset" in text


def test_the_step_may_fill_another_variable() -> None:
    m = proba_module(13)
    engine = compile_module(m)
    rates = np.arange(2 * 13, dtype=np.float64).reshape(2, 13)
    b = buffers_for(m, State(rates, (0, 1), -1), engine.layout)
    assert engine.run(b, 2) == 2
    np.testing.assert_array_equal(b.array(StateKey(ObjKind.POPULATION, 0, "proba"))[:13], rates[1])
    np.testing.assert_array_equal(r_of(b)[:13], -np.ones(13))
