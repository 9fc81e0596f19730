"""fuse around timed arrays: their scheduler step assigns ``r`` (nnc.passes.fuse_rules.assigned), so a
projection from a timed array created before its post population stays in phase 2, one from a timed
array created after it is fused, and the timed array's own delay push stays in its phase (its kernel has
no neuron loop). Fused and unfused modules compute the same bits on both engines."""

from __future__ import annotations

import numpy as np
import pytest
from ir.timedkit import State, install
from passes.fusekit import Net, Proj, assert_same, fused, leaky_neuron, snapshot

from nnc.api.timed_array import TIMED_NEURON
from nnc.backend.abi import TimedField, TimedKey
from nnc.backend.interp.engine import InterpEngine
from nnc.backend.llvm.engine import LlvmEngine
from nnc.ir.model import Module
from nnc.ir.printer import print_module
from nnc.options import CompileOptions
from nnc.passes.fuse_rules import Kernels, assigned

ROWS = [[0, 1], [1, 2, 3], [], [3], [0, 2]]  # five post neurons, pre ranks of a 4-neuron timed array


def _net(delay: int = 1) -> Net:
    """pop0 (leaky) <- pop1 (timed, created after it) -> pop2 (leaky, created after the timed array)."""
    pops = [(leaky_neuron(), 5), (TIMED_NEURON, 4), (leaky_neuron(), 5)]
    return Net(pops, [Proj(1, 0, ROWS, delay=delay), Proj(1, 2, ROWS)])


def test_the_scheduler_step_assigns_r() -> None:
    ks = Kernels.of(_net().module(fuse=False))
    assert assigned(ks.neuron[1]) == {"r"}


def test_fused_only_where_the_timed_array_is_updated_later() -> None:
    m = _net().module()
    assert fused(m) == {"pop0.clear", "proj0.transmit"}
    text = print_module(m)
    assert "kernel pop0.update phase=neuron fused=(pop0.clear, proj0.transmit):" in text
    assert "// not fused: proj1.transmit reads pop1.r, which pop1 updates before pop2 (phase 5)" in text
    assert "kernel pop1.update phase=neuron:\n  timed step r\n" in text


def test_the_delay_push_of_a_timed_array_stays_in_its_phase() -> None:
    m = _net(delay=3).module()
    assert "pop1.delay" not in fused(m)
    assert "// not fused: pop1.delay: pop1 has no neuron loop ending its update" in print_module(m)


def _state() -> State:
    rates = np.arange(12, dtype=np.float64).reshape(3, 4) - 4.0
    return State(rates, (0, 2, 3), 5)


def _snapshot(net: Net, m: Module, engine: LlvmEngine | InterpEngine, steps: int) -> dict:
    b = net.buffers(m, getattr(engine, "layout", None))
    install(b, 1, _state())
    assert engine.run(b, steps) == steps
    out = snapshot(b)
    out["counters"] = np.array([b.value(TimedKey(1, f)) for f in (TimedField.COUNTER, TimedField.BLOCK)])
    return out


@pytest.mark.parametrize("delay", [1, 3])
def test_fusion_keeps_every_bit(delay: int) -> None:
    net = _net(delay)
    plain, fused_m = net.module(fuse=False), net.module()
    reference = _snapshot(net, plain, InterpEngine(plain), 12)
    assert_same(reference, _snapshot(net, fused_m, InterpEngine(fused_m), 12))
    engine = LlvmEngine.compile(fused_m, CompileOptions())
    for threads in (1, 2):
        engine.num_threads = threads
        assert_same(reference, _snapshot(net, fused_m, engine, 12))
    engine.close()
