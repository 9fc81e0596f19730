"""Monitors on projections, dendrites and weighted sums (API.md §9 shapes, SEMANTICS.md §2 phases 3/8/11).

Pre neurons hold r = 1 after their first step; the synapse adds 1 to ``w`` (local), 2 to ``y``
(semiglobal) and 3 to ``z`` (global) in phase 8 of every step. So after step k: ``w = 0.5 + k + 1``,
``y = 2(k + 1)``, ``z = 3(k + 1)``, and ``sum(exc)`` at step k (phase 3, before the synaptic update)
is ``3 · w(k-1) · r_pre(k-1)`` = 0 at step 0 (r_pre = 0 initially), ``3 · (0.5 + k)`` afterwards.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnc as ann
from nnc.diagnostics import ModelError

SYNAPSE = ann.Synapse(equations=["w = w + 1", "y = y + 2 : postsynaptic", "z = z + 3 : projection"])
STEPS = 4
K = np.arange(STEPS)


@pytest.fixture
def net_objects(make_net):
    net = make_net()
    pre = net.create(3, ann.Neuron(equations="r = 1.0"))
    post = net.create(2, ann.Neuron(equations="r = sum(exc)"))
    proj = net.connect(pre, post, "exc", SYNAPSE)
    proj.all_to_all(weights=0.5)
    return net, post, proj


def test_weighted_sum_is_sampled_after_transmission(net_objects) -> None:
    net, post, _ = net_objects
    m = net.monitor(post, ["sum(exc)", "r"], period=1.0)
    net.compile()
    net.simulate(STEPS)
    data = m.get()
    expected = np.where(K == 0, 0.0, 3 * (0.5 + K))
    np.testing.assert_array_equal(data["sum(exc)"], np.stack([expected, expected], axis=1))
    np.testing.assert_array_equal(data["r"], data["sum(exc)"])
    np.testing.assert_array_equal(post.sum("exc"), [expected[-1]] * 2)


def test_projection_monitor_shapes(net_objects, capsys: pytest.CaptureFixture[str]) -> None:
    net, _, proj = net_objects
    m = net.monitor(proj, ["w", "y", "z"])
    assert "a projection at every step" in capsys.readouterr().err
    net.compile()
    net.simulate(STEPS)
    data = m.get()
    w = data["w"]
    assert w.shape == (STEPS, 2, 3)  # every dendrite has 3 synapses: np.array of the nested lists (API.md §9)
    assert w.dtype == object
    assert w[2, 1].tolist() == [3.5, 3.5, 3.5]
    np.testing.assert_array_equal(data["y"], np.stack([2.0 * (K + 1)] * 2, axis=1))
    np.testing.assert_array_equal(data["z"], 3.0 * (K + 1))


def test_dendrite_monitor_created_after_compile(net_objects) -> None:
    net, _, proj = net_objects
    net.compile()
    net.step()
    m = net.monitor(proj.dendrite(1), ["w", "y", "z"], period=2.0)
    assert m.name == f"Monitor_{proj.name}_dendrite1"
    net.simulate(STEPS)  # steps 1..4, recorded at 1 and 3 (phase of a monitor created at step 1)
    data = m.get()
    np.testing.assert_array_equal(data["w"], [[2.5] * 3, [4.5] * 3])
    np.testing.assert_array_equal(data["y"], [4.0, 8.0])
    np.testing.assert_array_equal(data["z"], [6.0, 12.0])


def test_synaptic_parameters_are_not_recordable(make_net) -> None:
    net = make_net()
    pre = net.create(2, ann.Neuron(equations="r = 1.0"))
    proj = net.connect(pre, pre, "exc")
    proj.all_to_all(weights=1.0)
    with pytest.raises(ModelError, match="parameter"):
        net.monitor(proj, "w")
