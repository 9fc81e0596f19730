"""Per-synapse delays on half-way values round half to even, as the reference's connectivity builder does.

API.md §7.3: per-synapse delays are converted with ``round(d/dt)`` inside the reference's Cython LIL
builder. The spec left open (?) whether half-way values round away from zero there; measured with
ANNarchy 5.0.4.1 (benchmarks/compare ``case_connectors``: ``from_function`` delays 1.5 / 2.5 ms, and
``from_matrix`` delays 0.5 ... 6.5 ms at dt = 1): Cython compiles ``round`` of a C double to Python's
``round``, i.e. half to even (0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 3.5 -> 4, 4.5 -> 4). A delay of 0 steps acts
as 1 step (SEMANTICS.md §5); nnc reads it back as 1 step (the reference reads back 0.0 and its
simulation then crashes on such a projection).
"""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann

HALF_WAY = [[1.5, 2.5, 3.5, 4.5], [0.5, 2.0, 5.5, 6.5]]
# Python's round() of each value above; 0.5 ms rounds to 0 steps, which acts as (and reads back as) 1 step
HALF_TO_EVEN = [[2.0, 2.0, 4.0, 4.0], [1.0, 2.0, 6.0, 6.0]]
CLOCK = ann.Neuron(equations="r = t + 1.0")
SUM = ann.Neuron(equations="r = sum(exc)")


def _net(engine: str):
    net = ann.Network(dt=1.0, seed=1)
    net.config(engine=engine)
    return net, net.create(4, CLOCK), net.create(2, SUM)


def test_from_matrix_delays(engine: str) -> None:
    net, a, b = _net(engine)
    proj = net.connect(a, b, "exc").from_matrix(np.ones((2, 4)), delays=np.array(HALF_WAY))
    net.compile()
    assert proj.delay == HALF_TO_EVEN
    assert proj.max_delay == 6


def test_lil_connectivity_delays(engine: str) -> None:
    def rows(pre, post, dt):
        lil = ann.LILConnectivity(dt=dt)
        for i, delays in enumerate(HALF_WAY):
            lil.add(i, [0, 1, 2, 3], 1.0, delays)
        return lil

    net, a, b = _net(engine)
    proj = net.connect(a, b, "exc").from_function(rows)
    net.compile()
    assert proj.delay == HALF_TO_EVEN


@pytest.mark.parametrize("tiny", [0.5, 0.2])
def test_delays_of_at_most_one_step_are_no_delays(engine: str, tiny: float) -> None:
    """API §7.3: ``proj.delay`` is dt when the max delay is <= 1 step; sum(exc) at step k reads pre.r after
    step k-1 = k (r = t + 1, initially 0) through both synapses."""
    net, a, b = _net(engine)
    proj = net.connect(a[0:2], b[0:1], "exc").from_matrix([[1.0, 1.0]], delays=np.array([[tiny, 1.0]]))
    m = net.monitor(b[0:1], "sum(exc)")
    net.compile()
    assert proj.delay == 1.0
    net.simulate(5.0)
    np.testing.assert_array_equal(m.get("sum(exc)")[:, 0], 2.0 * np.arange(5.0))


def test_a_delay_rounded_to_zero_steps_acts_as_one_step(engine: str) -> None:
    """SEMANTICS §5: 0 and 1 step behave identically. The 3-step synapse reads pre.r after step k-3 = k-2,
    the initial value 0 before (the reference crashes on this projection)."""
    net, a, b = _net(engine)
    proj = net.connect(a[0:2], b[0:1], "exc").from_matrix([[1.0, 1.0]], delays=np.array([[0.5, 3.0]]))
    m = net.monitor(b[0:1], "sum(exc)")
    net.compile()
    assert proj.delay == [[1.0, 3.0]]
    net.simulate(6.0)
    k = np.arange(6.0)
    np.testing.assert_array_equal(m.get("sum(exc)")[:, 0], k + np.where(k >= 3, k - 2, 0.0))
