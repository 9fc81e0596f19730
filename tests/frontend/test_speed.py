"""Analysis stays within the compile budget: well under 5 ms for a typical neuron after warm-up (< 1 s for
a network of 10 populations, DESIGN.md §1)."""

from __future__ import annotations

import statistics
import time

import nnc.models as M  # noqa: N812 - short name for the model catalogue
from nnc.frontend.analyse import Environment, analyse_neuron, analyse_synapse


def _median_ms(fn, repeat: int = 15) -> float:
    fn()  # warm-up: grammar built, statements parsed once
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def test_typical_neuron_analyses_well_under_5_ms():
    env = Environment()
    assert _median_ms(lambda: analyse_neuron(M.IF_cond_exp(), env)) < 5.0
    assert _median_ms(lambda: analyse_neuron(M.Izhikevich(), env)) < 5.0


def test_typical_synapse_analyses_well_under_5_ms():
    env = Environment()
    lif = analyse_neuron(M.IF_cond_exp(), env)
    assert _median_ms(lambda: analyse_synapse(M.STDP(), env, lif, lif, (), ())) < 5.0
