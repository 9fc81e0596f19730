"""The ``"spiked : any"`` / ``"spiked : all"`` stop conditions of spiking populations (DSL.md §14)."""

from __future__ import annotations

import pytest

import nnc as ann
from nnc.diagnostics import ModelError


@pytest.mark.parametrize(("condition", "steps"), [("spiked: any", 4), ("spiked : all", 8), ("spiked", 4)])
def test_simulate_until_a_spike(condition, steps):
    net = ann.Network(dt=1.0, seed=1)
    src = net.create(ann.SpikeSourceArray(spike_times=[[3.0, 5.0], [7.0]]))
    src.stop_condition = condition
    # all: neuron 0 fires at steps 3 and 5, neuron 1 at step 7: never together, so it runs to the end
    net.compile()
    duration = net.simulate_until(8.0, population=src)
    assert duration == steps
    assert net.current_step == steps


def test_spiked_needs_a_spiking_population():
    net = ann.Network(dt=1.0, seed=1)
    pop = net.create(2, ann.Neuron(equations="r = 1.0"), stop_condition="spiked: any")
    net.compile()
    with pytest.raises(ModelError, match="'spiked' needs a spiking population"):
        net.simulate_until(5.0, population=pop)
