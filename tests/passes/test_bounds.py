"""Bounds pass: a clamp right after every update of a bounded variable (DSL.md §4.2, SEMANTICS.md §6.1)."""

from __future__ import annotations

import numpy as np
from ir.irkit import attrs, buffers, module, neuron, state

from nnc.backend.interp.engine import InterpEngine
from nnc.ir.printer import print_stmts
from nnc.passes.bounds import Bounds
from nnc.passes.discretise import Discretise
from nnc.passes.pipeline import run_pipeline
from nnc.passes.simplify import Simplify


def test_clamps_follow_each_update_also_in_ode_blocks():
    spec = attrs("p tau g, p lo g, v v l, v u l, v r l", v=("lo", "1.0"), r=(None, "lo * 2.0"))
    m = run_pipeline(
        module([(neuron("n", spec, ["tau*dv/dt = u - v", "tau*du/dt = -u", "r = v"]), 2)]),
        (Discretise(), Bounds()),
    )
    assert print_stmts(m.kernels[0].body) == (
        "for neuron:\n"
        "  let %0 = (u - v) / tau\n"
        "  let %1 = -u / tau\n"
        "  v = v + dt * %0\n"
        "  clamp v min=lo max=1.0\n"
        "  u = u + dt * %1\n"
        "  r = v\n"
        "  clamp r max=lo * 2.0"
    )
    assert Bounds()(m) == m


def test_semantics_example_20_bounds_read_global_parameters():
    """SEMANTICS.md §19 #20: r = t with min=min_r (1.0), max=max_r (3.0) gives 1, 1, 2, 3, 3."""
    spec = attrs("p min_r g, p max_r g, v r l", r=("min_r", "max_r"))
    m = run_pipeline(module([(neuron("n", spec, ["r = t"]), 1)]), (Discretise(), Simplify(), Bounds()))
    b = buffers(m)
    state(b, "min_r")[:] = 1.0
    state(b, "max_r")[:] = 3.0
    seen = []
    for _ in range(5):
        InterpEngine(m).run(b, 1)
        seen.append(state(b, "r")[0])
    assert seen == [1.0, 1.0, 2.0, 3.0, 3.0]


def test_min_is_applied_before_max_and_int_targets_truncate():
    spec = attrs("v r l, v n l int", r=("3.0", "1.0"), n=("-2.5", "2.5"))
    m = run_pipeline(module([(neuron("n", spec, ["r = 0.0", "n = n * 4.0"]), 3)]), (Bounds(),))
    b = buffers(m)
    state(b, "n")[:] = [-3, 0, 3]
    InterpEngine(m).run(b, 1)
    assert state(b, "r").tolist() == [1.0, 1.0, 1.0]  # min raised it to 3, then max lowered it to 1
    np.testing.assert_array_equal(state(b, "n"), [-2, 0, 2])  # -12 -> -2.5 -> -2; 12 -> 2.5 -> 2
